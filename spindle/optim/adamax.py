"""Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm."""

import spindle

from .optimizer import Optimizer, _check_hyperparameters, _check_implementation_flags, _new_step_counter, _regularized_gradient


class Adamax(Optimizer):
    r"""Adamax, PyTorch's ``torch.optim.Adamax``.

    Per parameter and step ``t`` (``g`` its gradient, negated when ``maximize``)::

        g = g + weight_decay * p                         (if weight_decay != 0)
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1**t) * m / u

    ``state[p]`` holds ``'step'`` (a zero-dim float tensor), ``'exp_avg'`` (m) and ``'exp_inf'``
    (u), both of ``p``'s shape. With ``capturable=True`` the step counter lives on ``p``'s device
    and the bias correction is computed with tensor operations, so a step never reads a value back
    to Python. ``foreach`` is accepted for compatibility: spindle has a single implementation.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        _check_implementation_flags(foreach, differentiable=differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        maximize = group["maximize"]
        capturable = group["capturable"]
        for param, grad, state in self._parameters_with_gradients(group):
            if len(state) == 0:
                state["step"] = _new_step_counter(param, capturable)
                state["exp_avg"] = spindle.zeros_like(param)
                state["exp_inf"] = spindle.zeros_like(param)
            exp_avg = state["exp_avg"]
            exp_inf = state["exp_inf"]
            step_t = state["step"]
            step_t.add_(1)

            grad = _regularized_gradient(param, grad, maximize, weight_decay)

            exp_avg.lerp_(grad, 1 - beta1)
            exp_inf.mul_(beta2).maximum_(grad.abs().add_(eps))

            if capturable:
                # addcdiv_'s value must be a Python number: fold -lr / (1 - beta1**t) into the
                # denominator, which stays a tensor on the device.
                negative_bias_correction = (beta1 ** step_t - 1).div_(lr)
                param.addcdiv_(exp_avg, exp_inf * negative_bias_correction)
            else:
                bias_correction = 1 - beta1 ** step_t.item()
                param.addcdiv_(exp_avg, exp_inf, value=-lr / bias_correction)
