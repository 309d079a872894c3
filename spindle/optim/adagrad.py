"""Adagrad: per-coordinate step sizes shrinking with the sum of past squared gradients."""

import spindle

from .optimizer import Optimizer, _check_implementation_flags, _new_step_counter, _regularized_gradient


class Adagrad(Optimizer):
    r"""Adagrad, PyTorch's ``torch.optim.Adagrad``.

    Per parameter and step ``t`` (``g`` its gradient, negated when ``maximize``)::

        g = g + weight_decay * p                       (if weight_decay != 0)
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - lr_t * g / (sqrt(s) + eps)

    ``state[p]`` holds ``'step'`` and ``'sum'`` (s, of ``p``'s shape, starting at
    ``initial_accumulator_value``); as in PyTorch it is created at construction. ``foreach`` and
    ``fused`` are accepted for compatibility: spindle has a single implementation.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_implementation_flags(foreach, fused, differentiable)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(param, group)

    def _init_state(self, param, group):
        # PyTorch fills the accumulator from the optimizer-wide default, even for a group that
        # sets its own initial_accumulator_value; trajectories match PyTorch's.
        fused = bool(group["fused"])
        state = self.state[param]
        state["step"] = _new_step_counter(param, fused, fused)
        state["sum"] = spindle.full_like(param, self.defaults["initial_accumulator_value"])
        return state

    def _update_group(self, group):
        lr = group["lr"]
        lr_decay = group["lr_decay"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        maximize = group["maximize"]
        for param, grad, state in self._parameters_with_gradients(group):
            if len(state) == 0:  # a group added after construction
                state = self._init_state(param, group)
            step_t = state["step"]
            step_t.add_(1)
            step = step_t.item()

            grad = _regularized_gradient(param, grad, maximize, weight_decay)
            decayed_lr = lr / (1 + (step - 1) * lr_decay)
            state_sum = state["sum"]
            state_sum.addcmul_(grad, grad, value=1)
            denom = state_sum.sqrt().add_(eps)
            param.addcdiv_(grad, denom, value=-decayed_lr)
