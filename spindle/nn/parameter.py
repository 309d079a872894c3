"""``Parameter`` (a tensor that modules register as learnable) and ``Buffer`` (a tensor they
register as state), both Tensor subclasses sharing the memory of the tensor they wrap."""
import spindle
from spindle.tensor import Tensor

__all__ = ["Parameter", "Buffer"]


def _share(cls, data):
    """A new leaf of class ``cls`` over ``data``'s memory, with its version counter (like ``detach``)."""
    if data is None:
        data = spindle.empty(0)
    if not isinstance(data, Tensor):
        raise TypeError(f"{cls.__name__} data must be a Tensor, got {type(data).__name__}")
    shared = cls._wrap(data._data)
    shared._version = data._version
    return shared


class Parameter(Tensor):
    """A Tensor that, assigned as a Module attribute, is registered in ``module.parameters()``.

    ``Parameter(data=None, requires_grad=True)`` shares ``data``'s memory (an empty tensor if None)
    and is a leaf that requires grad (even under ``no_grad``) unless ``requires_grad=False``.
    """

    def __new__(cls, data=None, requires_grad=True):
        return _share(cls, data).requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """A Tensor that, assigned as a Module attribute, is registered as a buffer (module state that
    is not learned, e.g. running statistics); ``persistent=False`` keeps it out of ``state_dict()``."""

    def __new__(cls, data=None, *, persistent=True):
        buffer = _share(cls, data)
        if data is not None:
            buffer.requires_grad_(data.requires_grad)
        buffer.persistent = persistent
        return buffer
