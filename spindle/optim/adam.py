"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""

import spindle

from .optimizer import Optimizer, _check_hyperparameters, _check_implementation_flags, _new_step_counter, _regularized_gradient


class Adam(Optimizer):
    r"""Adam, PyTorch's ``torch.optim.Adam`` (AdamW when ``decoupled_weight_decay=True``).

    Per parameter and step ``t`` (``g`` its gradient, negated when ``maximize``)::

        p = p * (1 - lr * weight_decay)                  (decoupled weight decay)
        g = g + weight_decay * p                         (otherwise, if weight_decay != 0)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                            (amsgrad; v_max replaces v below)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    ``state[p]`` holds ``'step'`` (a zero-dim float tensor), ``'exp_avg'`` (m), ``'exp_avg_sq'`` (v)
    and, with amsgrad, ``'max_exp_avg_sq'``, each of ``p``'s shape. With ``capturable=True`` the
    step counter lives on ``p``'s device and the bias corrections are computed with tensor
    operations, so a step never reads a value back to Python (needed to capture it in a graph).
    ``foreach`` and ``fused`` are accepted for compatibility: spindle has a single implementation.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        if not (isinstance(betas[0], float) and isinstance(betas[1], float)):
            raise ValueError("betas must be either both floats or both Tensors")
        _check_implementation_flags(foreach, fused, differentiable)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        amsgrad = group["amsgrad"]
        maximize = group["maximize"]
        capturable = group["capturable"]
        decoupled = group["decoupled_weight_decay"]
        for param, grad, state in self._parameters_with_gradients(group):
            if len(state) == 0:
                state["step"] = _new_step_counter(param, capturable or bool(group["fused"]), bool(group["fused"]))
                state["exp_avg"] = spindle.zeros_like(param)
                state["exp_avg_sq"] = spindle.zeros_like(param)
                if amsgrad:
                    state["max_exp_avg_sq"] = spindle.zeros_like(param)
            exp_avg = state["exp_avg"]
            exp_avg_sq = state["exp_avg_sq"]
            step_t = state["step"]
            step_t.add_(1)

            grad = _regularized_gradient(param, grad, maximize, weight_decay, lr if decoupled else None)

            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            if amsgrad:
                max_exp_avg_sq = state["max_exp_avg_sq"]
                max_exp_avg_sq.copy_(spindle.maximum(max_exp_avg_sq, exp_avg_sq))
                second_moment = max_exp_avg_sq
            else:
                second_moment = exp_avg_sq

            if capturable:
                # Everything stays a tensor on the device: fold -step_size into the denominator
                # because addcdiv_'s value must be a Python number.
                step_size_neg = -(lr / (1 - beta1 ** step_t))
                bias_correction2_sqrt = (1 - beta2 ** step_t).sqrt()
                denom = second_moment.sqrt().div_(bias_correction2_sqrt * step_size_neg).add_(eps / step_size_neg)
                param.addcdiv_(exp_avg, denom)
            else:
                step = step_t.item()
                step_size = lr / (1 - beta1 ** step)
                bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
                denom = second_moment.sqrt().div_(bias_correction2_sqrt).add_(eps)
                param.addcdiv_(exp_avg, denom, value=-step_size)


class AdamW(Adam):
    r"""AdamW, PyTorch's ``torch.optim.AdamW``: Adam whose weight decay shrinks the parameters
    directly (``p = p * (1 - lr * weight_decay)``) instead of entering the moment estimates.

    Same arguments and state as :class:`Adam`, with ``weight_decay`` defaulting to ``1e-2``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
