"""RMSprop: gradient steps scaled by a running root-mean-square of past gradients."""

import spindle

from .optimizer import Optimizer, _check_implementation_flags, _new_step_counter, _regularized_gradient


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's ``torch.optim.RMSprop``.

    Per parameter and step (``g`` its gradient, negated when ``maximize``)::

        g = g + weight_decay * p                       (if weight_decay != 0)
        v = alpha * v + (1 - alpha) * g * g
        a = alpha * a + (1 - alpha) * g                (centered)
        d = sqrt(v - a * a) + eps  (centered)  |  d = sqrt(v) + eps
        b = momentum * b + g / d;  p = p - lr * b       (if momentum > 0)
        p = p - lr * g / d                             (otherwise)

    ``state[p]`` holds ``'step'``, ``'square_avg'`` (v), and when used ``'momentum_buffer'`` (b)
    and ``'grad_avg'`` (a), each of ``p``'s shape. ``capturable`` keeps the step counter on ``p``'s
    device; ``foreach`` is accepted for compatibility (spindle has a single implementation).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _check_implementation_flags(foreach, differentiable=differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr = group["lr"]
        alpha = group["alpha"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        momentum = group["momentum"]
        centered = group["centered"]
        maximize = group["maximize"]
        for param, grad, state in self._parameters_with_gradients(group):
            if len(state) == 0:
                state["step"] = _new_step_counter(param, group["capturable"])
                state["square_avg"] = spindle.zeros_like(param)
                if momentum > 0:
                    state["momentum_buffer"] = spindle.zeros_like(param)
                if centered:
                    state["grad_avg"] = spindle.zeros_like(param)
            # The step count does not enter the update; it is kept for checkpoint parity.
            state["step"].add_(1)

            grad = _regularized_gradient(param, grad, maximize, weight_decay)
            square_avg = state["square_avg"]
            square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
            if centered:
                grad_avg = state["grad_avg"]
                grad_avg.lerp_(grad, 1 - alpha)
                denom = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            else:
                denom = square_avg.sqrt()
            denom.add_(eps)
            if momentum > 0:
                buffer = state["momentum_buffer"]
                buffer.mul_(momentum).addcdiv_(grad, denom)
                param.add_(buffer, alpha=-lr)
            else:
                param.addcdiv_(grad, denom, value=-lr)
