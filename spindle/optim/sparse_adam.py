"""SparseAdam: Adam that updates only the rows a gradient touches (for embedding tables)."""

import math

import spindle

from .optimizer import Optimizer


class SparseAdam(Optimizer):
    r"""SparseAdam, PyTorch's ``torch.optim.SparseAdam``: a lazy Adam for row-sparse gradients.

    For the rows ``i`` of a parameter (its first dimension) that the gradient touches, at the
    parameter's step ``t`` (``g`` the gradient, negated when ``maximize``)::

        m[i] = m[i] + (1 - beta1) * (g[i] - m[i])
        v[i] = v[i] + (1 - beta2) * (g[i]**2 - v[i])
        p[i] = p[i] - lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m[i] / (sqrt(v[i]) + eps)

    Other rows, and their moments, stay as they are. ``state[p]`` holds ``'step'`` (a Python int,
    counted on every step in which ``p`` has a gradient) and ``'exp_avg'``/``'exp_avg_sq'`` of
    ``p``'s shape.

    Difference from PyTorch: spindle has no sparse tensors, so ``Embedding(sparse=True)`` produces
    a dense gradient and SparseAdam accepts it (PyTorch raises ``RuntimeError`` for a dense one).
    The touched rows are those holding a non-zero gradient entry; a row PyTorch's sparse gradient
    lists with all-zero values (looked up, but receiving a zero gradient) is therefore left alone
    here, where PyTorch would decay its moments and move it.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if isinstance(lr, spindle.Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr = group["lr"].item() if isinstance(group["lr"], spindle.Tensor) else group["lr"]
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        for param, grad, state in self._parameters_with_gradients(group):
            if len(state) == 0:
                state["step"] = 0
                state["exp_avg"] = spindle.zeros_like(param)
                state["exp_avg_sq"] = spindle.zeros_like(param)
            state["step"] += 1
            if group.get("maximize", False):
                grad = -grad
            if grad.dim() == 0:
                rows = (grad != 0).reshape(1).nonzero().reshape(-1)
                grad, param, exp_avg, exp_avg_sq = (
                    tensor.reshape(1) for tensor in (grad, param, state["exp_avg"], state["exp_avg_sq"])
                )
            else:
                rows = (grad != 0).reshape(grad.shape[0], -1).any(dim=1).nonzero().reshape(-1)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            if rows.numel() == 0:
                continue
            # The same operations, in the same order, as PyTorch on the values of a sparse gradient.
            grad_values = grad[rows]
            old_exp_avg_values = exp_avg[rows]
            numerator = grad_values.sub(old_exp_avg_values).mul_(1 - beta1).add_(old_exp_avg_values)
            exp_avg[rows] = numerator
            old_exp_avg_sq_values = exp_avg_sq[rows]
            new_exp_avg_sq_values = grad_values.pow(2).sub_(old_exp_avg_sq_values).mul_(1 - beta2)
            new_exp_avg_sq_values.add_(old_exp_avg_sq_values)
            exp_avg_sq[rows] = new_exp_avg_sq_values
            denominator = new_exp_avg_sq_values.sqrt().add_(eps)

            step = state["step"]
            step_size = lr * math.sqrt(1 - beta2**step) / (1 - beta1**step)
            param[rows] = param[rows].add_(numerator.div_(denominator).mul_(-step_size))
