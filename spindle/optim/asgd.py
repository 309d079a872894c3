"""ASGD: stochastic gradient descent with a decaying step size and a running average of the iterates."""

import spindle

from .optimizer import Optimizer, _check_implementation_flags, _new_step_counter, _regularized_gradient


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent, PyTorch's ``torch.optim.ASGD``.

    Per parameter and step ``t`` (``g`` its gradient, negated when ``maximize``; ``eta`` starts at
    the group's ``lr`` and ``mu`` at 1)::

        g = g + weight_decay * p                       (if weight_decay != 0)
        p = p * (1 - lambd * eta) - eta * g
        a = a + mu * (p - a)                           (a = p while mu == 1)
        eta = lr / (1 + lambd * lr * t)**alpha
        mu = 1 / max(1, t - t0)

    ``state[p]`` holds ``'step'``, ``'eta'`` and ``'mu'`` (zero-dim float tensors on ``p``'s device)
    and ``'ax'`` (a, the averaged parameter, of ``p``'s shape). With ``capturable=True`` ``eta`` and
    ``mu`` are used and updated with tensor operations, so a step never reads a value back to
    Python. ``foreach`` is accepted for compatibility: spindle has a single implementation.
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_implementation_flags(foreach, differentiable=differentiable)
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr = group["lr"]
        lambd = group["lambd"]
        alpha = group["alpha"]
        t0 = group["t0"]
        weight_decay = group["weight_decay"]
        maximize = group["maximize"]
        capturable = group["capturable"]
        for param, grad, state in self._parameters_with_gradients(group):
            if len(state) == 0:
                # PyTorch keeps all three scalars on the parameter's device, capturable or not.
                state["step"] = _new_step_counter(param, on_param_device=True)
                state["eta"] = spindle.full_like(state["step"], lr)
                state["mu"] = spindle.ones_like(state["step"])
                state["ax"] = spindle.zeros_like(param)
            eta = state["eta"]
            mu = state["mu"]
            ax = state["ax"]
            step_t = state["step"]
            step_t.add_(1)

            grad = _regularized_gradient(param, grad, maximize, weight_decay)

            if capturable:
                param.mul_(1 - lambd * eta)
                param.addcmul_(grad, eta, value=-1)
                ax.add_(param.sub(ax).mul_(mu))
                eta.copy_(lr / (1 + lambd * lr * step_t) ** alpha)
                mu.copy_(1 / spindle.maximum(step_t - t0, spindle.ones_like(step_t)))
            else:
                eta_value = eta.item()
                param.mul_(1 - lambd * eta_value)
                param.add_(grad, alpha=-eta_value)
                if mu.item() != 1:
                    ax.add_(param.sub(ax).mul_(mu))
                else:
                    ax.copy_(param)
                step = step_t.item()
                # PyTorch makes the new values default-dtype tensors before copying them in, so they
                # are rounded to that dtype even where eta and mu were loaded as float64.
                eta.copy_(spindle.tensor(lr / (1 + lambd * lr * step) ** alpha))
                mu.copy_(spindle.tensor(1 / max(1, step - t0)))
