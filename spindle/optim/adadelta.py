"""Adadelta: steps scaled by the ratio of running RMS of past updates to that of past gradients."""

import spindle

from .optimizer import Optimizer, _check_implementation_flags, _new_step_counter, _regularized_gradient


class Adadelta(Optimizer):
    r"""Adadelta, PyTorch's ``torch.optim.Adadelta``.

    Per parameter and step (``g`` its gradient, negated when ``maximize``)::

        g = g + weight_decay * p                       (if weight_decay != 0)
        v = rho * v + (1 - rho) * g * g
        d = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * d * d
        p = p - lr * d

    ``state[p]`` holds ``'step'`` (a zero-dim float tensor), ``'square_avg'`` (v) and
    ``'acc_delta'`` (u), both of ``p``'s shape. ``capturable`` keeps the step counter on ``p``'s
    device; ``foreach`` is accepted for compatibility (spindle has a single implementation).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_implementation_flags(foreach, differentiable=differentiable)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr = group["lr"]
        rho = group["rho"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        maximize = group["maximize"]
        for param, grad, state in self._parameters_with_gradients(group):
            if len(state) == 0:
                state["step"] = _new_step_counter(param, group["capturable"])
                state["square_avg"] = spindle.zeros_like(param)
                state["acc_delta"] = spindle.zeros_like(param)
            # The step count does not enter the update; it is kept for checkpoint parity.
            state["step"].add_(1)

            grad = _regularized_gradient(param, grad, maximize, weight_decay)
            square_avg = state["square_avg"]
            acc_delta = state["acc_delta"]
            square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
            delta = acc_delta.add(eps).sqrt_().div_(square_avg.add(eps).sqrt_()).mul_(grad)
            acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
            param.add_(delta, alpha=-lr)
