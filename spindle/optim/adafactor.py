"""Adafactor: Adam-like steps whose second moment of a matrix is kept as row and column factors."""

import spindle

from .optimizer import Optimizer, _new_step_counter


class Adafactor(Optimizer):
    r"""Adafactor, PyTorch's ``torch.optim.Adafactor`` (no first moment, relative step sizes).

    Per parameter and step ``t`` (``g`` its gradient, negated when ``maximize``;
    ``beta2_t = 1 - t**beta2_decay``; ``eps1`` defaults to the machine epsilon of the first
    parameter's dtype)::

        rho   = min(lr, 1 / sqrt(t))
        alpha = max(eps2, rms(p)) * rho
        p     = p * (1 - lr * weight_decay)
        R = beta2_t * R + (1 - beta2_t) * mean(g**2, dim=-1)   C likewise over dim=-2  (dim >= 2)
        V = (R @ C) / max(mean(R, dim=-2), eps1)                                         (dim >= 2)
        V = beta2_t * V + (1 - beta2_t) * g**2                                          (dim <= 1)
        u = g / sqrt(max(V, eps1**2))
        p = p - alpha / max(1, rms(u) / d) * u

    ``state[p]`` holds ``'step'`` (a zero-dim float tensor) and, for a parameter of shape
    ``(..., m, n)``, ``'row_var'`` ``(..., m, 1)`` and ``'col_var'`` ``(..., 1, n)``; for fewer than
    two dimensions, ``'variance'`` of ``p``'s shape. ``foreach`` is accepted for compatibility.
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        if isinstance(lr, spindle.Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": eps,
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr = group["lr"].item() if isinstance(group["lr"], spindle.Tensor) else group["lr"]
        eps1, eps2 = group["eps"]
        beta2_decay = group["beta2_decay"]
        weight_decay = group["weight_decay"]
        clip_threshold = group["d"]
        for param, grad, state in self._parameters_with_gradients(group):
            if len(state) == 0:
                state["step"] = _new_step_counter(param)
                if grad.dim() > 1:
                    state["row_var"] = grad.new_zeros((*grad.shape[:-1], 1))
                    state["col_var"] = grad.new_zeros((*grad.shape[:-2], 1, grad.shape[-1]))
                else:
                    state["variance"] = spindle.zeros_like(grad)
            if group["maximize"]:
                grad = -grad
            # As in PyTorch, the default eps1 is set once, from the first parameter's dtype.
            if eps1 is None:
                eps1 = spindle.finfo(param.dtype).eps

            step_t = state["step"]
            step_t.add_(1)
            step = step_t.item()
            one_minus_beta2_t = step**beta2_decay
            rho_t = min(lr, 1 / (step**0.5))
            alpha = max(eps2, param.norm(2).item() / (param.numel() ** 0.5)) * rho_t
            if weight_decay != 0:
                param.mul_(1 - lr * weight_decay)

            if grad.dim() > 1:
                row_var, col_var = state["row_var"], state["col_var"]
                row_mean = spindle.norm(grad, dim=-1, keepdim=True).square_().div_(grad.size(-1))
                row_var.lerp_(row_mean, one_minus_beta2_t)
                col_mean = spindle.norm(grad, dim=-2, keepdim=True).square_().div_(grad.size(-2))
                col_var.lerp_(col_mean, one_minus_beta2_t)
                variance_estimate = row_var @ col_var
                variance_estimate.div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))
            else:
                variance = state["variance"]
                variance.lerp_(grad * grad, one_minus_beta2_t)
                variance_estimate = variance.clone()

            update = variance_estimate.clamp_(min=eps1 * eps1).rsqrt_()
            update.mul_(grad)
            denominator = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * clip_threshold))
            param.add_(update, alpha=-alpha / denominator)
