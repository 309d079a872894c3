"""``Variable``: the pre-0.4 wrapper, kept so that old scripts run; it now just makes a Tensor."""
import warnings

from ..ops import op as op_module


class _VariableMeta(type):
    """Makes ``isinstance(tensor, Variable)`` true for every Tensor, as in PyTorch."""

    def __instancecheck__(cls, instance):
        return isinstance(instance, op_module.Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False)`` returns ``data`` detached (same storage, same shape) as a
    new leaf Tensor with ``requires_grad`` set; ``Variable()`` is an empty 1-D tensor. ``volatile`` is
    accepted with PyTorch's warning and ignored."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        Tensor = op_module.Tensor
        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with torch.no_grad():` instead.", stacklevel=2
            )
        if data is None:
            from ..factory import empty

            data = empty(0)
        elif not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
