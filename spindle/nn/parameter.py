"""``Parameter`` (a tensor that modules register as learnable) and ``Buffer`` (a tensor they
register as state), both Tensor subclasses sharing the memory of the tensor they wrap; and their
uninitialized forms, the placeholders of lazy modules until the first input fixes their shapes."""
import spindle
from spindle.tensor import Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]


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


class UninitializedTensorMixin:
    """What makes a placeholder uninitialized: it holds no data (an empty tensor that only remembers a
    dtype and a device), refuses to tell its shape, survives ``to()`` (dtype and device conversions)
    still uninitialized, and ``materialize(shape)`` turns it, in place, into its ``cls_to_become``."""

    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        """Give the placeholder uninitialized memory of ``shape`` (on ``device``, of ``dtype``: by
        default its own) and turn it into a ``cls_to_become`` (same object, so modules and optimizers
        holding it see the change)."""
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        self.data = spindle.empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
            "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
            "`forward` to initialize the parameters before accessing their attributes."
        )

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize the "
            "parameters before calling `module.share_memory()`."
        )

    def to(self, *args, **kwargs):
        # Module.to/.double()/.cuda() convert placeholders too: the result must stay a placeholder.
        converted = _share(type(self), Tensor.to(self, *args, **kwargs))
        converted.requires_grad_(self.requires_grad)
        converted.__dict__.update(self.__dict__)
        return converted

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, protocol):
        return (type(self), (self.requires_grad,))

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]


def is_lazy(param):
    """Whether ``param`` is an ``UninitializedParameter`` or ``UninitializedBuffer``."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A ``Parameter`` whose shape is not known yet (a lazy module's weight before its first input):
    ``UninitializedParameter(requires_grad=True, device=None, dtype=None)``. It becomes a ``Parameter``
    with ``materialize(shape)``."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return _share(cls, spindle.empty(0, device=device, dtype=dtype)).requires_grad_(requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Buffer):
    """A buffer whose shape is not known yet (a lazy module's running statistics before its first
    input): ``UninitializedBuffer(requires_grad=False, device=None, dtype=None, persistent=True)``. It
    becomes a plain Tensor with ``materialize(shape)``."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        buffer = _share(cls, spindle.empty(0, device=device, dtype=dtype)).requires_grad_(requires_grad)
        buffer.persistent = persistent
        return buffer
