"""RAdam: Adam whose adaptive step is switched on, and rectified, once its variance is tractable."""

import spindle

from .optimizer import Optimizer, _check_hyperparameters, _check_implementation_flags, _new_step_counter, _regularized_gradient


class RAdam(Optimizer):
    r"""RAdam, PyTorch's ``torch.optim.RAdam`` (with ``decoupled_weight_decay``, RAdamW).

    Per parameter and step ``t`` (``g`` its gradient, negated when ``maximize``)::

        p = p * (1 - lr * weight_decay)                  (decoupled weight decay)
        g = g + weight_decay * p                         (otherwise, if weight_decay != 0)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        r = sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        p = p - lr * m / (1 - beta1**t) * r * sqrt(1 - beta2**t) / (sqrt(v) + eps)   (if rho_t > 5)
        p = p - lr * m / (1 - beta1**t)                                             (otherwise)

    ``state[p]`` holds ``'step'`` (a zero-dim float tensor), ``'exp_avg'`` (m) and
    ``'exp_avg_sq'`` (v), both of ``p``'s shape. With ``capturable=True`` the step counter lives on
    ``p``'s device and the choice between the two updates is a tensor ``where``, so a step never
    reads a value back to Python. ``foreach`` is accepted for compatibility: spindle has a single
    implementation.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        _check_implementation_flags(foreach, differentiable=differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        decoupled = group["decoupled_weight_decay"]
        maximize = group["maximize"]
        capturable = group["capturable"]
        rho_inf = 2 / (1 - beta2) - 1
        for param, grad, state in self._parameters_with_gradients(group):
            if len(state) == 0:
                state["step"] = _new_step_counter(param, capturable)
                state["exp_avg"] = spindle.zeros_like(param)
                state["exp_avg_sq"] = spindle.zeros_like(param)
            exp_avg = state["exp_avg"]
            exp_avg_sq = state["exp_avg_sq"]
            step_t = state["step"]
            step_t.add_(1)
            # The same formulas serve Python numbers and (capturable) zero-dim device tensors.
            step = step_t if capturable else step_t.item()

            grad = _regularized_gradient(param, grad, maximize, weight_decay, lr if decoupled else None)

            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)

            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
            rectified = rho_t > 5.0  # a zero-dim bool tensor when capturable
            if capturable or rectified:
                rectification = (
                    (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                ) ** 0.5
            if capturable:
                # Where rho_t <= 5 the rectification may be NaN; where() discards it.
                adaptive_lr = bias_correction2 ** 0.5 / exp_avg_sq.sqrt().add_(eps)
                scale = spindle.where(rectified, rectification * adaptive_lr, 1.0)
                param.sub_((exp_avg / bias_correction1).mul_(lr).mul_(scale))
            elif rectified:
                step_size = lr * rectification * bias_correction2 ** 0.5 / bias_correction1
                param.addcdiv_(exp_avg, exp_avg_sq.sqrt().add_(eps), value=-step_size)
            else:
                param.add_(exp_avg, alpha=-lr / bias_correction1)
