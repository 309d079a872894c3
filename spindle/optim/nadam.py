"""NAdam: Adam with Nesterov momentum, its momentum coefficient warming up over the steps."""

import spindle

from .optimizer import Optimizer, _check_hyperparameters, _check_implementation_flags, _new_step_counter, _regularized_gradient


class NAdam(Optimizer):
    r"""NAdam, PyTorch's ``torch.optim.NAdam`` (with ``decoupled_weight_decay``, NAdamW).

    Per parameter and step ``t`` (``g`` its gradient, negated when ``maximize``)::

        p = p * (1 - lr * weight_decay)                  (decoupled weight decay)
        g = g + weight_decay * p                         (otherwise, if weight_decay != 0)
        mu_t = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay))
        P = P * mu_t                                     (P: product of mu_1 .. mu_t)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - P) * g / d - lr * mu_{t+1} / (1 - P * mu_{t+1}) * m / d

    ``state[p]`` holds ``'step'`` and ``'mu_product'`` (P), zero-dim float tensors, and
    ``'exp_avg'`` (m) and ``'exp_avg_sq'`` (v) of ``p``'s shape. With ``capturable=True`` the two
    scalars live on ``p``'s device and the coefficients are computed with tensor operations, so a
    step never reads a value back to Python. ``foreach`` is accepted for compatibility: spindle has
    a single implementation.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        _check_implementation_flags(foreach, differentiable=differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        momentum_decay = group["momentum_decay"]
        decoupled = group["decoupled_weight_decay"]
        maximize = group["maximize"]
        capturable = group["capturable"]
        for param, grad, state in self._parameters_with_gradients(group):
            if len(state) == 0:
                state["step"] = _new_step_counter(param, capturable)
                # The product of the momentum coefficients is kept like the step counter: same
                # dtype, on the CPU unless capturable.
                state["mu_product"] = spindle.ones_like(_new_step_counter(param, capturable))
                state["exp_avg"] = spindle.zeros_like(param)
                state["exp_avg_sq"] = spindle.zeros_like(param)
            exp_avg = state["exp_avg"]
            exp_avg_sq = state["exp_avg_sq"]
            mu_product = state["mu_product"]
            step_t = state["step"]
            step_t.add_(1)
            # The same formulas serve Python numbers and (capturable) zero-dim device tensors.
            step = step_t if capturable else step_t.item()

            grad = _regularized_gradient(param, grad, maximize, weight_decay, lr if decoupled else None)

            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
            mu_product.mul_(mu)
            product = mu_product if capturable else mu_product.item()
            gradient_coefficient = -lr * (1.0 - mu) / (1.0 - product)
            momentum_coefficient = -lr * mu_next / (1.0 - product * mu_next)

            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denom = exp_avg_sq.sqrt().div_((1 - beta2 ** step) ** 0.5).add_(eps)
            if capturable:
                # addcdiv_'s value must be a Python number: scale the numerators instead.
                param.addcdiv_(grad * gradient_coefficient, denom)
                param.addcdiv_(exp_avg * momentum_coefficient, denom)
            else:
                param.addcdiv_(grad, denom, value=gradient_coefficient)
                param.addcdiv_(exp_avg, denom, value=momentum_coefficient)
