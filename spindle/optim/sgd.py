"""Stochastic gradient descent, optionally with (Nesterov) momentum and weight decay."""

from .optimizer import Optimizer, _check_implementation_flags, _regularized_gradient


class SGD(Optimizer):
    r"""Stochastic gradient descent, PyTorch's ``torch.optim.SGD``.

    Per parameter and step (``g`` its gradient, negated when ``maximize``)::

        g = g + weight_decay * p                      (if weight_decay != 0)
        b = g  (first step)  |  b = momentum * b + (1 - dampening) * g
        g = g + momentum * b  (nesterov)  |  g = b     (if momentum != 0)
        p = p - lr * g

    The momentum buffer ``b`` (same shape as ``p``) is kept in ``state[p]['momentum_buffer']``.
    ``foreach`` and ``fused`` are accepted for compatibility: spindle has a single implementation.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_implementation_flags(foreach, fused, differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def _update_group(self, group):
        lr = group["lr"]
        momentum = group["momentum"]
        dampening = group["dampening"]
        weight_decay = group["weight_decay"]
        nesterov = group["nesterov"]
        maximize = group["maximize"]
        for param in group["params"]:
            grad = param.grad
            if grad is None:
                continue
            grad = _regularized_gradient(param, grad, maximize, weight_decay)
            if momentum != 0:
                state = self.state[param]
                buffer = state.get("momentum_buffer")
                if buffer is None:
                    buffer = state["momentum_buffer"] = grad.clone()
                else:
                    buffer.mul_(momentum).add_(grad, alpha=1 - dampening)
                grad = grad.add(buffer, alpha=momentum) if nesterov else buffer
            param.add_(grad, alpha=-lr)
