"""Rprop: sign-based steps whose per-coordinate size grows while the gradient keeps its sign."""

import spindle

from .optimizer import Optimizer, _check_implementation_flags, _new_step_counter


class Rprop(Optimizer):
    r"""Resilient backpropagation, PyTorch's ``torch.optim.Rprop``.

    Per parameter and step (``g`` its gradient, negated when ``maximize``; ``etas`` is
    ``(eta_minus, eta_plus)``, ``step_sizes`` is ``(step_min, step_max)``), coordinate-wise::

        s = clamp(s * eta_plus,  step_min, step_max)        (if g * g_prev > 0)
        s = clamp(s * eta_minus, step_min, step_max); g = 0 (if g * g_prev < 0)
        s = clamp(s, step_min, step_max)                    (otherwise)
        p = p - sign(g) * s
        g_prev = g

    ``state[p]`` holds ``'step'`` (a zero-dim float tensor), ``'prev'`` (g_prev, starting at 0) and
    ``'step_size'`` (s, starting at the group's ``lr``), both of ``p``'s shape. The update involves
    no value read back to Python, so ``capturable`` only keeps the step counter on ``p``'s device;
    ``foreach`` is accepted for compatibility (spindle has a single implementation).
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
                 foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_implementation_flags(foreach, differentiable=differentiable)
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _update_group(self, group):
        eta_minus, eta_plus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        maximize = group["maximize"]
        for param, grad, state in self._parameters_with_gradients(group):
            if len(state) == 0:
                state["step"] = _new_step_counter(param, group["capturable"])
                state["prev"] = spindle.zeros_like(param)
                state["step_size"] = spindle.full_like(grad, group["lr"])
            # The step count does not enter the update; it is kept for checkpoint parity.
            state["step"].add_(1)

            if maximize:
                grad = -grad
            prev = state["prev"]
            # The factor is eta_plus where the sign held, eta_minus where it flipped, and 1 where
            # g * g_prev is 0 (1 + sign keeps a NaN, as PyTorch does). where() with a Python number
            # keeps the tensor's dtype, so the factors are in the parameter's dtype as in PyTorch.
            sign = grad.mul(prev).sign()
            sign_flipped = sign < 0
            factor = spindle.where(sign > 0, eta_plus, spindle.where(sign_flipped, eta_minus, sign + 1))
            step_size = state["step_size"]
            step_size.mul_(factor).clamp_(step_size_min, step_size_max)
            # After a sign change the coordinate waits one step (and is not remembered as a change).
            grad = spindle.where(sign_flipped, 0.0, grad)
            param.addcmul_(grad.sign(), step_size, value=-1)
            prev.copy_(grad)
