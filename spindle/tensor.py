"""Tensor: the user's object. It holds a strided array (NumPy on the CPU, CuPy on CUDA) and its place in
the autograd graph; its methods and operators dispatch to the op table in ``spindle.ops``."""
import numbers
import weakref

import numpy as np

from . import _dtype
from ._tensor_str import format_tensor
from .autograd import graph
from .autograd.grad_mode import state as _grad_state
from .backend.device import device as device_class
from .backend.device import device_of, move, namespace_of, to_device
from .ops import elementwise, indexing, linalg, reduction, shape
from .ops import op as _op_module
from .ops.reduction import normalize_dim


class Size(tuple):
    """``tensor.shape``: a tuple of ints that prints as ``spindle.Size([2, 3])``."""

    def __repr__(self):
        return f"spindle.Size({list(self)})"

    def __getitem__(self, index):
        result = tuple.__getitem__(self, index)
        return Size(result) if isinstance(index, slice) else result

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def numel(self):
        result = 1
        for size in self:
            result *= size
        return result


def _shape_arguments(sizes):
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean shape (2, 3)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list, Size)):
        sizes = sizes[0]
    return tuple(int(size) for size in sizes)


def _leaf_in_place_error():
    return RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


class Tensor:
    """A multi-dimensional array on a device, recorded by autograd when ``requires_grad``.

    ``spindle.Tensor(data)`` copies ``data`` into a float32 tensor (PyTorch's legacy constructor);
    ``spindle.Tensor(2, 3)`` makes an uninitialised 2x3 tensor. Prefer ``spindle.tensor``.
    """

    __slots__ = (
        "_data",
        "_requires_grad",
        "_grad_fn",
        "_output_index",
        "_grad",
        "_version",
        "_base",
        "_hooks",
        "_view_index",
        "_retains_grad",
        "__weakref__",
        "__dict__",
    )
    __array_priority__ = 1000  # so that ndarray + tensor defers to Tensor.__radd__

    def __new__(cls, *args, device=None, dtype=None):
        default = _dtype.get_default_dtype()
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            data = args[0]
            if isinstance(data, Tensor):
                array = data._data.astype(default.numpy_dtype, copy=False)
            else:
                array = np.array(_plain_data(data), dtype=default.numpy_dtype)
        else:
            array = np.empty(_shape_arguments(args), dtype=default.numpy_dtype)
        self = cls._wrap(array)
        if device is not None:
            self._data = move(array, to_device(device))
        return self

    @classmethod
    def _wrap(cls, array):
        """A new leaf tensor around ``array`` (no copy). The hot path: every op result goes through here."""
        if isinstance(array, np.generic):
            array = np.asarray(array)
        self = object.__new__(cls)
        self._data = array
        self._requires_grad = False
        self._grad_fn = None
        self._output_index = 0
        self._grad = None
        self._version = [0]
        self._base = None
        self._hooks = None
        self._view_index = None
        self._retains_grad = False
        return self

    # ------------------------------------------------------------------ metadata

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[normalize_dim(dim, self._data.ndim)] if self._data.ndim else 1

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return device_of(self._data)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    @property
    def itemsize(self):
        return self._data.itemsize

    def element_size(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_signed(self):
        return self._data.dtype.kind not in "ub"

    def is_same_size(self, other):
        return self._data.shape == other._data.shape

    def is_complex(self):
        return False

    def is_contiguous(self, memory_format=None):
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim=None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[normalize_dim(dim, self._data.ndim)]

    def storage_offset(self):
        base = self._base._data if self._base is not None else self._data
        return (self._data.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // self._data.itemsize

    def data_ptr(self):
        return self._data.__array_interface__["data"][0] if type(self._data) is np.ndarray else self._data.data.ptr

    def untyped_storage(self):
        return _Storage(self)

    def get_device(self):
        return -1 if self.device.type == "cpu" else self.device.index

    # ------------------------------------------------------------------ autograd state

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self._grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed variable "
                "in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point and complex dtype can require gradients (got {self.dtype})"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: expected {list(self.shape)}, got {list(value.shape)}"
                )
            if value.dtype is not self.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: expected {self.dtype}, got {value.dtype}")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self):
        return self._grad_fn is None

    @property
    def retains_grad(self):
        return self._retains_grad

    @property
    def output_nr(self):
        return self._output_index

    @property
    def _version_number(self):
        return self._version[0]

    @property
    def data(self):
        return self.detach()

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    def detach(self):
        """A tensor sharing this one's memory (and version counter) but cut from the graph.

        It holds no reference to a tensor with a history: that would keep the graph behind it alive
        (a truncated-BPTT loop carrying detached states would keep every past window's graph). A
        detached view keeps a detached alias of its base, for ``storage_offset``."""
        result = Tensor._wrap(self._data)
        result._version = self._version
        if self._base is not None:
            result._base = self._base if self._base._grad_fn is None else self._base.detach()
        return result

    def detach_(self):
        if self._base is not None and self._grad_fn is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves keep theirs anyway)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        reference = weakref.ref(self)

        def store_grad(grad):
            tensor = reference()
            if tensor is not None:
                detached = grad.detach() if not _grad_state.enabled else grad
                tensor._grad = detached.clone() if tensor._grad is None else tensor._grad + detached

        self._grad_fn._add_output_hook(self._output_index, store_grad)

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` runs when this tensor's gradient is computed; returns a handle."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._add_output_hook(self._output_index, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return graph.RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor) -> None`` runs in backward right after this leaf's ``.grad`` was accumulated
        (optimizer-in-backward patterns); returns a handle whose ``remove()`` unregisters it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        # Kept in the instance dict, not a slot, so that Tensor._wrap (the per-op hot path) stays as it is.
        hooks = self.__dict__.setdefault("_post_accumulate_grad_hooks", [])
        hooks.append(hook)
        return graph.RemovableHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (``gradient`` weights a non-scalar self)."""
        from .autograd.functional import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ------------------------------------------------------------------ conversion

    def numpy(self, *, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if type(self._data) is not np.ndarray:
            if not force:
                raise TypeError(
                    f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first."
                )
            return self._data.get()
        return self._data

    def __array__(self, dtype=None, copy=None):
        array = self._data if type(self._data) is np.ndarray else self._data.get()
        return array if dtype is None else array.astype(dtype)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(-1)[0].item()

    def tolist(self):
        return self.__array__().tolist()

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous (tensor of shape {list(self.shape)})"
            )
        return bool(self._data.reshape(-1)[0])

    def is_nonzero(self):
        if self._data.size == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        return self.__bool__()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __hash__(self):
        return id(self)

    def __repr__(self):
        return format_tensor(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __reduce_ex__(self, protocol):
        # Pickling (DataLoader workers, multiprocessing) carries the values and requires_grad, not the graph.
        return (_rebuild_tensor, (type(self), self.__array__(), self._requires_grad, self.__dict__ or None))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment."
            )
        result = type(self)._wrap(self._data.copy())
        result._requires_grad = self._requires_grad
        if self._grad is not None:
            result._grad = self._grad.__deepcopy__(memo)
        if self.__dict__:
            import copy

            result.__dict__.update(copy.deepcopy(self.__dict__, memo))
        memo[id(self)] = result
        return result

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``, with ``copy=``/``non_blocking=``."""
        target_device = kwargs.pop("device", None)
        target_dtype = kwargs.pop("dtype", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        if len(args) > 1 and isinstance(args[-1], bool):
            args = args[:-1]  # to(device, dtype, non_blocking) given positionally
        for arg in args:
            if isinstance(arg, Tensor):
                target_device, target_dtype = arg.device, arg.dtype
            elif isinstance(arg, _dtype.dtype) or arg in (float, int, bool):
                target_dtype = arg
            elif isinstance(arg, (str, device_class, int)):
                target_device = arg
            elif arg is not None:
                raise TypeError(f"to() received an invalid combination of arguments: {arg!r}")
        result = self
        if target_device is not None:
            destination = to_device(target_device)
            if destination != self.device:
                result = _ToDevice.apply(result, destination)
        if target_dtype is not None:
            target_dtype = _dtype.to_dtype(target_dtype)
            if target_dtype is not result.dtype:
                result = _Cast.apply(result, target_dtype)
        if copy and result is self:
            result = self.clone()
        return result

    def _cast_to_numpy_dtype(self, numpy_dtype):
        return _Cast.apply(self, _dtype.from_numpy_dtype(numpy_dtype))

    def cpu(self):
        return self.to("cpu")

    def pin_memory(self, device=None):
        """CPU tensors are returned as they are: transfers from NumPy memory need no page-locking here."""
        return self

    def is_pinned(self, device=None):
        return False

    def share_memory_(self):
        """Returns self, only marked shared: Spindle's data loading runs in one process, so there is no
        shared-memory segment to move the data to."""
        self.__dict__["_marked_shared"] = True
        return self

    def is_shared(self):
        return self.__dict__.get("_marked_shared", False)

    def is_inference(self):
        """False: Spindle's ``inference_mode`` is ``no_grad`` and makes no separate inference tensors."""
        return False

    def cuda(self, device=None, non_blocking=False):
        return self.to("cuda" if device is None else device if not isinstance(device, int) else f"cuda:{device}")

    def type(self, dtype=None):
        if dtype is None:
            return f"spindle.{_LEGACY_TYPE_NAMES[self.dtype.name]}"
        return self.to(_dtype.to_dtype(dtype))

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def short(self):
        return self.to(_dtype.int16)

    def char(self):
        return self.to(_dtype.int8)

    def byte(self):
        return self.to(_dtype.uint8)

    def bool(self):
        return self.to(_dtype.bool_)

    def clone(self, *, memory_format=None):
        return shape.Clone.apply(self)

    def contiguous(self, memory_format=None):
        if self._data.flags.c_contiguous:
            return self
        return shape.Contiguous.apply(self)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from .factory import tensor

        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from .factory import zeros

        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from .factory import ones

        return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from .factory import empty

        return empty(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_empty_strided(self, size, stride, dtype=None, device=None, requires_grad=False):
        """An uninitialised tensor with the given sizes and strides, over just enough new memory."""
        extent = 0 if 0 in tuple(size) else 1 + sum((count - 1) * step for count, step in zip(size, stride))
        result = self.new_empty(extent, dtype=dtype, device=device).as_strided(size, stride, 0)
        return result.requires_grad_(requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        from .factory import full

        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    # ------------------------------------------------------------------ arithmetic operators

    def __add__(self, other):
        return elementwise.Add.apply(self, other)

    def __radd__(self, other):
        return elementwise.Add.apply(other, self)

    def __sub__(self, other):
        return elementwise.Sub.apply(self, other)

    def __rsub__(self, other):
        return elementwise.Sub.apply(other, self)

    def __mul__(self, other):
        return elementwise.Mul.apply(self, other)

    def __rmul__(self, other):
        return elementwise.Mul.apply(other, self)

    def __truediv__(self, other):
        return elementwise.Div.apply(self, other)

    def __rtruediv__(self, other):
        return elementwise.Div.apply(other, self)

    def __floordiv__(self, other):
        return elementwise.FloorDivide.apply(self, other)

    def __rfloordiv__(self, other):
        return elementwise.FloorDivide.apply(other, self)

    def __mod__(self, other):
        return elementwise.Remainder.apply(self, other)

    def __rmod__(self, other):
        return elementwise.Remainder.apply(other, self)

    def __pow__(self, exponent):
        return self.pow(exponent)

    def __rpow__(self, base):
        return elementwise.Pow.apply(base, self)

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return _as_tensor_like(other, self).matmul(self)

    def __neg__(self):
        return elementwise.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return elementwise.Abs.apply(self)

    def __invert__(self):
        if self._data.dtype == np.bool_:
            return elementwise.LogicalNot.apply(self)
        return elementwise.BitwiseNot.apply(self)

    def __and__(self, other):
        return elementwise.BitwiseAnd.apply(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return elementwise.BitwiseOr.apply(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return elementwise.BitwiseXor.apply(self, other)

    __rxor__ = __xor__

    def __eq__(self, other):
        if other is None:
            return False
        return elementwise.Equal.apply(self, other)

    def __ne__(self, other):
        if other is None:
            return True
        return elementwise.NotEqual.apply(self, other)

    def __lt__(self, other):
        return elementwise.Less.apply(self, other)

    def __le__(self, other):
        return elementwise.LessEqual.apply(self, other)

    def __gt__(self, other):
        return elementwise.Greater.apply(self, other)

    def __ge__(self, other):
        return elementwise.GreaterEqual.apply(self, other)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ifloordiv__(self, other):
        return self._in_place(elementwise.FloorDivide, other)

    def __imod__(self, other):
        return self._in_place(elementwise.Remainder, other)

    def __ipow__(self, other):
        return self.pow_(other)

    def __iand__(self, other):
        return self._in_place(elementwise.BitwiseAnd, other)

    def __ior__(self, other):
        return self._in_place(elementwise.BitwiseOr, other)

    def __ixor__(self, other):
        return self._in_place(elementwise.BitwiseXor, other)

    def __lshift__(self, other):
        return _bit_shift(self, other, left=True)

    def __rshift__(self, other):
        return _bit_shift(self, other, left=False)

    def __rlshift__(self, other):
        return _bit_shift(other, self, left=True)

    def __rrshift__(self, other):
        return _bit_shift(other, self, left=False)

    def __ilshift__(self, other):
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other):
        return self.bitwise_right_shift_(other)

    # ------------------------------------------------------------------ arithmetic methods

    def add(self, other, *, alpha=1):
        return elementwise.Add.apply(self, other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        return elementwise.Sub.apply(self, other if alpha == 1 else other * alpha)

    subtract = sub

    def mul(self, other):
        return elementwise.Mul.apply(self, other)

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        if rounding_mode is None:
            return elementwise.Div.apply(self, other)
        if rounding_mode == "floor":
            return elementwise.FloorDivide.apply(self, other)
        if rounding_mode == "trunc":
            quotient = elementwise.Div.apply(self, other).trunc()
            if not self.is_floating_point() and _is_integral_operand(other):
                return quotient.to(_dtype.result_type(self, other))  # integers divide to an integer result
            return quotient
        raise RuntimeError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
        )

    divide = div
    true_divide = div

    def floor_divide(self, other):
        return elementwise.FloorDivide.apply(self, other)

    def remainder(self, other):
        return elementwise.Remainder.apply(self, other)

    def fmod(self, other):
        return elementwise.Fmod.apply(self, other)

    def pow(self, exponent):
        if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
            if exponent == 1:
                return self.clone() if not self._requires_grad else elementwise.Mul.apply(self, 1)
        return elementwise.Pow.apply(self, exponent)

    def square(self):
        return elementwise.Mul.apply(self, self)

    def neg(self):
        return elementwise.Neg.apply(self)

    negative = neg

    def abs(self):
        return elementwise.Abs.apply(self)

    absolute = abs

    def sign(self):
        return elementwise.Sign.apply(self)

    sgn = sign

    def signbit(self):
        data = self._data
        return Tensor._wrap(np.signbit(data if data.dtype != np.bool_ else data.view(np.uint8)))

    def positive(self):
        if self._data.dtype == np.bool_:
            raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
        return self

    def exp(self):
        return elementwise.Exp.apply(self)

    def exp2(self):
        return elementwise.Exp2.apply(self)

    def log(self):
        return elementwise.Log.apply(self)

    def log2(self):
        return elementwise.Log2.apply(self)

    def log10(self):
        return elementwise.Log10.apply(self)

    def log1p(self):
        return elementwise.Log1p.apply(self)

    def expm1(self):
        return elementwise.Expm1.apply(self)

    def sqrt(self):
        return elementwise.Sqrt.apply(self)

    def rsqrt(self):
        return elementwise.Rsqrt.apply(self)

    def reciprocal(self):
        return elementwise.Reciprocal.apply(self)

    def sin(self):
        return elementwise.Sin.apply(self)

    def cos(self):
        return elementwise.Cos.apply(self)

    def tan(self):
        return elementwise.Tan.apply(self)

    def tanh(self):
        return elementwise.Tanh.apply(self)

    def sigmoid(self):
        return elementwise.Sigmoid.apply(self)

    def erf(self):
        return elementwise.Erf.apply(self)

    def erfc(self):
        return elementwise.Erfc.apply(self)

    def asin(self):
        return elementwise.Asin.apply(self)

    arcsin = asin

    def acos(self):
        return elementwise.Acos.apply(self)

    arccos = acos

    def atan(self):
        return elementwise.Atan.apply(self)

    arctan = atan

    def atan2(self, other):
        return elementwise.Atan2.apply(self, other)

    arctan2 = atan2

    def sinh(self):
        return elementwise.Sinh.apply(self)

    def cosh(self):
        return elementwise.Cosh.apply(self)

    def asinh(self):
        return elementwise.Asinh.apply(self)

    arcsinh = asinh

    def acosh(self):
        return elementwise.Acosh.apply(self)

    arccosh = acosh

    def atanh(self):
        return elementwise.Atanh.apply(self)

    arctanh = atanh

    def sinc(self):
        return elementwise.Sinc.apply(self)

    def deg2rad(self):
        return self * (np.pi / 180)

    def rad2deg(self):
        return self * (180 / np.pi)

    def logit(self, eps=None):
        """``log(p / (1 - p))``; with ``eps``, p is first clamped to [eps, 1 - eps] (zero gradient outside)."""
        probability = self if eps is None else self.clamp(eps, 1 - eps)
        return (probability / (1 - probability)).log()

    # special functions
    def lgamma(self):
        return elementwise.Lgamma.apply(self)

    def digamma(self):
        return elementwise.Digamma.apply(self)

    def polygamma(self, n):
        return elementwise.Polygamma.apply(self, n)

    def mvlgamma(self, p):
        """The multivariate log-gamma of dimension ``p``: sum_i lgamma(x - i/2) + p(p-1)/4 log(pi)."""
        if p < 1:
            raise RuntimeError("p has to be greater than or equal to 1")
        offsets = Tensor._wrap(namespace_of(self._data).arange(p, dtype=np.float64) * -0.5)
        terms = self.unsqueeze(-1) + offsets.to(_dtype.result_type(self, 0.5))
        return terms.lgamma().sum(-1) + p * (p - 1) / 4 * float(np.log(np.pi))

    def erfinv(self):
        return elementwise.Erfinv.apply(self)

    def i0(self):
        return elementwise.I0.apply(self)

    # binary math
    def xlogy(self, other):
        return elementwise.Xlogy.apply(self, other)

    def logaddexp(self, other):
        return elementwise.LogAddExp.apply(self, _tensor_operand("logaddexp", other))

    def logaddexp2(self, other):
        return elementwise.LogAddExp2.apply(self, _tensor_operand("logaddexp2", other))

    def hypot(self, other):
        return elementwise.Hypot.apply(self, _tensor_operand("hypot", other))

    def copysign(self, other):
        return elementwise.Copysign.apply(self, other)

    def heaviside(self, values):
        return elementwise.Heaviside.apply(self, values)

    def ldexp(self, other):
        """``self * 2**other`` in the operands' promoted float dtype (integers: the default float dtype)."""
        result_dtype = _dtype.result_type(self, _tensor_operand("ldexp", other))
        if not result_dtype.is_floating_point:
            result_dtype = _dtype.get_default_dtype()
        return self.to(result_dtype) * elementwise.Pow.apply(2.0, other).to(result_dtype)

    def float_power(self, exponent):
        """``pow`` computed in float64 (the result is float64 whatever the operands' dtypes)."""
        exponent = exponent.double() if isinstance(exponent, Tensor) else exponent
        return self.double().pow(exponent)

    def gcd(self, other):
        return elementwise.GreatestCommonDivisor.apply(self, _tensor_operand("gcd", other))

    def lcm(self, other):
        return elementwise.LeastCommonMultiple.apply(self, _tensor_operand("lcm", other))

    def nextafter(self, other):
        return elementwise.NextAfter.apply(self, _tensor_operand("nextafter", other))

    def frexp(self):
        """``(mantissa, exponent)`` with ``self = mantissa * 2**exponent``, |mantissa| in [0.5, 1), int32 exponent."""
        if not self.is_floating_point():
            raise RuntimeError("torch.frexp() only supports floating-point dtypes")
        exponent = np.frexp(self._data)[1]
        # mantissa = self * 2**-exponent, exact, and differentiable as such (gradient 2**-exponent).
        scale = Tensor._wrap(np.ldexp(np.ones_like(self._data), -exponent))
        return elementwise.FrexpResult(self * scale, Tensor._wrap(exponent.astype(np.int32)))

    def relu(self):
        return elementwise.Relu.apply(self)

    def prelu(self, weight):
        from .nn.functional import prelu

        return prelu(self, weight)

    def hardshrink(self, lambd=0.5):
        from .nn.functional import hardshrink

        return hardshrink(self, lambd)

    def floor(self):
        return elementwise.Floor.apply(self)

    def ceil(self):
        return elementwise.Ceil.apply(self)

    def trunc(self):
        return elementwise.Trunc.apply(self)

    fix = trunc

    def frac(self):
        return self - self.trunc()

    def round(self, decimals=0):
        return elementwise.Round.apply(self, decimals)

    def clamp(self, min=None, max=None):
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            result = self
            if min is not None:
                result = result.maximum(_as_tensor_like(min, self))
            if max is not None:
                result = result.minimum(_as_tensor_like(max, self))
            return result
        return elementwise.Clamp.apply(self, min, max)

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def maximum(self, other):
        return elementwise.Maximum.apply(self, other)

    def minimum(self, other):
        return elementwise.Minimum.apply(self, other)

    fmax = maximum
    fmin = minimum

    def lerp(self, end, weight):
        return elementwise.Lerp.apply(self, end, weight)

    def addcmul(self, tensor1, tensor2, *, value=1):
        product = tensor1 * tensor2
        return self + (product if value == 1 else product * value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        quotient = tensor1 / tensor2
        return self + (quotient if value == 1 else quotient * value)

    def where(self, condition, other):
        return elementwise.Where.apply(condition, self, other)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        if not self.is_floating_point():
            return self.clone()
        info = np.finfo(self._data.dtype)
        result = self.masked_fill(self.isnan(), nan)
        result = result.masked_fill(self == float("inf"), info.max if posinf is None else posinf)
        return result.masked_fill(self == float("-inf"), info.min if neginf is None else neginf)

    # comparisons and logic
    def eq(self, other):
        return elementwise.Equal.apply(self, other)

    def ne(self, other):
        return elementwise.NotEqual.apply(self, other)

    not_equal = ne

    def lt(self, other):
        return elementwise.Less.apply(self, other)

    less = lt

    def le(self, other):
        return elementwise.LessEqual.apply(self, other)

    less_equal = le

    def gt(self, other):
        return elementwise.Greater.apply(self, other)

    greater = gt

    def ge(self, other):
        return elementwise.GreaterEqual.apply(self, other)

    greater_equal = ge

    def equal(self, other):
        return self.shape == other.shape and bool((self == other).all())

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return bool(np.allclose(self.__array__(), other.__array__(), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return Tensor._wrap(np.isclose(self.__array__(), np.asarray(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def logical_and(self, other):
        return elementwise.LogicalAnd.apply(self, other)

    def logical_or(self, other):
        return elementwise.LogicalOr.apply(self, other)

    def logical_xor(self, other):
        return elementwise.LogicalXor.apply(self, other)

    def logical_not(self):
        return elementwise.LogicalNot.apply(self)

    def bitwise_not(self):
        return elementwise.BitwiseNot.apply(self)

    def bitwise_and(self, other):
        return elementwise.BitwiseAnd.apply(self, other)

    def bitwise_or(self, other):
        return elementwise.BitwiseOr.apply(self, other)

    def bitwise_xor(self, other):
        return elementwise.BitwiseXor.apply(self, other)

    def bitwise_left_shift(self, other):
        return _bit_shift(self, other, left=True)

    def bitwise_right_shift(self, other):
        return _bit_shift(self, other, left=False)

    def isnan(self):
        return elementwise.IsNan.apply(self)

    def isinf(self):
        return elementwise.IsInf.apply(self)

    def isfinite(self):
        return elementwise.IsFinite.apply(self)

    def isposinf(self):
        return self == float("inf")

    def isneginf(self):
        return self == float("-inf")

    def isreal(self):
        return Tensor._wrap(namespace_of(self._data).ones(self._data.shape, dtype=np.bool_))  # no complex dtypes

    # ------------------------------------------------------------------ reductions

    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None):
        return reduction.Sum.apply(self, axis if dim is None else dim, keepdim, dtype)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return self.masked_fill(self.isnan(), 0).sum(dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None):
        return reduction.Mean.apply(self, axis if dim is None else dim, keepdim, dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        valid = ~self.isnan()
        return self.nansum(dim, keepdim, dtype=dtype) / valid.sum(dim, keepdim)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return reduction.Prod.apply(self, dim, keepdim, dtype)

    def amax(self, dim=(), keepdim=False):
        return reduction.Amax.apply(self, None if dim == () else dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return reduction.Amin.apply(self, None if dim == () else dim, keepdim)

    def max(self, dim=None, keepdim=False):
        """``max()`` of all elements, ``max(dim)`` as (values, indices), or ``max(other)`` elementwise."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        if dim is None:
            return reduction.Amax.apply(self, None, False)
        return reduction.MaxAlongDim.values_and_indices(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        if dim is None:
            return reduction.Amin.apply(self, None, False)
        return reduction.MinAlongDim.values_and_indices(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return reduction.Argmax.apply(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return reduction.Argmin.apply(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Variance over ``dim`` with ``correction`` (1, Bessel's, by default; ``unbiased=False`` means 0)."""
        if isinstance(unbiased, bool) or unbiased is None:
            pass
        else:  # var(dim, keepdim) called positionally with an int/tuple dim already consumed
            raise TypeError("var(): argument 'unbiased' must be bool")
        if correction is None:
            correction = 0 if unbiased is False else 1
        axes = reduction.normalize_dims(dim, self.ndim)
        count = 1
        for axis in axes:
            count *= self._data.shape[axis]
        centered = self - self.mean(axes, keepdim=True)
        return (centered * centered).sum(axes, keepdim=keepdim) / max(count - correction, 0)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def logsumexp(self, dim, keepdim=False):
        return reduction.LogSumExp.apply(self, dim, keepdim)

    def softmax(self, dim, dtype=None):
        source = self if dtype is None else self.to(dtype)
        return reduction.Softmax.apply(source, dim)

    def log_softmax(self, dim, dtype=None):
        source = self if dtype is None else self.to(dtype)
        return reduction.LogSoftmax.apply(source, dim)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """Vector p-norm over ``dim`` (all elements by default); ``'fro'`` is the 2-norm."""
        source = self if dtype is None else self.to(dtype)
        if p in ("fro", 2, 2.0, None):
            return reduction.Norm2.apply(source, dim, keepdim)
        if p == float("inf"):
            return source.abs().amax(() if dim is None else dim, keepdim)
        if p == float("-inf"):
            return source.abs().amin(() if dim is None else dim, keepdim)
        if p == 0:
            return (source != 0).to(source.dtype).sum(dim, keepdim)
        if p == 1:
            return source.abs().sum(dim, keepdim)
        if p == "nuc":
            from .linalg import matrix_norm

            return matrix_norm(source, "nuc", (-2, -1) if dim is None else dim, keepdim)
        return source.abs().pow(p).sum(dim, keepdim).pow(1.0 / p)

    def renorm(self, p, dim, maxnorm):
        """Each slice ``self.select(dim, i)`` whose ``p``-norm exceeds ``maxnorm`` scaled down to norm
        ``maxnorm`` (times ``1 / (1 + 1e-7 / norm)``, as PyTorch); other slices unchanged. Same shape."""
        if p <= 0:
            raise RuntimeError("renorm: non-positive-norm not supported")
        if maxnorm < 0:
            raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
        if self._data.ndim <= 1:
            raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {self._data.ndim} dimensions")
        dim = normalize_dim(dim, self._data.ndim)
        norms = self.norm(p, tuple(axis for axis in range(self._data.ndim) if axis != dim), keepdim=True)
        return self * (maxnorm / (norms + 1e-7)).masked_fill(norms <= maxnorm, 1.0)

    def renorm_(self, p, dim, maxnorm):
        return self._assign_maybe_graph(lambda tensor: tensor.renorm(p, dim, maxnorm))

    def all(self, dim=None, keepdim=False):
        return reduction.All.apply(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return reduction.Any.apply(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        return reduction.CumSum.apply(self, dim, dtype)

    def cumprod(self, dim, *, dtype=None):
        return reduction.CumProd.apply(self, dim, dtype)

    def count_nonzero(self, dim=None):
        return reduction.CountNonzero.apply(self, dim)

    def cumsum_(self, dim, *, dtype=None):
        return self._in_place(reduction.CumSum, dim, dtype)

    def cumprod_(self, dim, *, dtype=None):
        return self._in_place(reduction.CumProd, dim, dtype)

    def logcumsumexp(self, dim):
        return reduction.LogCumSumExp.apply(self, dim)

    def cummax(self, dim):
        from .ops.sorting import cummax

        return cummax(self, dim)

    def cummin(self, dim):
        from .ops.sorting import cummin

        return cummin(self, dim)

    def aminmax(self, *, dim=None, keepdim=False):
        return reduction.aminmax(self, dim, keepdim)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        return reduction.cov(self, correction, fweights, aweights)

    def corrcoef(self):
        return reduction.corrcoef(self)

    def median(self, dim=None, keepdim=False):
        from .ops.sorting import median

        return median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        from .ops.sorting import nanmedian

        return nanmedian(self, dim, keepdim)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        from .ops.sorting import quantile

        return quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        from .ops.sorting import quantile

        return quantile(self, q, dim, keepdim, interpolation=interpolation, ignore_nan=True)

    def kthvalue(self, k, dim=-1, keepdim=False):
        from .ops.sorting import kthvalue

        return kthvalue(self, k, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        from .ops.sorting import mode

        return mode(self, dim, keepdim)

    def histc(self, bins=100, min=0, max=0):
        from .ops.sorting import histc

        return histc(self, bins, min, max)

    def histogram(self, bins, *, range=None, weight=None, density=False):
        from .ops.sorting import histogram

        return histogram(self, bins, range=range, weight=weight, density=density)

    def bincount(self, weights=None, minlength=0):
        from .ops.sorting import bincount

        return bincount(self, weights, minlength)

    # ------------------------------------------------------------------ matrix products

    def matmul(self, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"matmul(): argument 'other' must be Tensor, not {type(other).__name__}")
        return linalg.Matmul.apply(self, other)

    def mm(self, mat2):
        linalg.check_matrix_ranks(self, mat2, "mm", 2)
        return linalg.Matmul.apply(self, mat2)

    def bmm(self, mat2):
        linalg.check_matrix_ranks(self, mat2, "bmm", 3)
        return linalg.Matmul.apply(self, mat2)

    def mv(self, vec):
        if self.ndim != 2 or vec.ndim != 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got {self.ndim}, {vec.ndim}")
        return linalg.Matmul.apply(self, vec)

    def dot(self, other):
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
        if self.shape != other.shape:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{self.shape[0]}] and src [{other.shape[0]}] to have the "
                "same number of elements, but got different sizes"
            )
        return linalg.Matmul.apply(self, other)

    inner = dot

    def outer(self, other):
        return self.unsqueeze(-1) * other.unsqueeze(0)

    ger = outer

    # linear algebra (spindle.linalg; imported at call time because it is built on this class)

    def vdot(self, other):
        return self.dot(other)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        from .linalg import addmm

        return addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        from .linalg import addmv

        return addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        from .linalg import addbmm

        return addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        from .linalg import baddbmm

        return baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        from .linalg import addr

        return addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        return self._assign_maybe_graph(lambda tensor: tensor.addmm(mat1, mat2, beta=beta, alpha=alpha), mat1, mat2)

    def addmv_(self, mat, vec, *, beta=1, alpha=1):
        return self._assign_maybe_graph(lambda tensor: tensor.addmv(mat, vec, beta=beta, alpha=alpha), mat, vec)

    def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return self._assign_maybe_graph(lambda tensor: tensor.addbmm(batch1, batch2, beta=beta, alpha=alpha), batch1, batch2)

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return self._assign_maybe_graph(lambda tensor: tensor.baddbmm(batch1, batch2, beta=beta, alpha=alpha), batch1, batch2)

    def addr_(self, vec1, vec2, *, beta=1, alpha=1):
        return self._assign_maybe_graph(lambda tensor: tensor.addr(vec1, vec2, beta=beta, alpha=alpha), vec1, vec2)

    def trace(self):
        from .linalg import trace

        return trace(self)

    def kron(self, other):
        from .linalg import kron

        return kron(self, other)

    def cross(self, other, dim=None):
        from .linalg import legacy_cross

        return legacy_cross(self, other, dim)

    def dist(self, other, p=2):
        from .linalg import dist

        return dist(self, other, p)

    def det(self):
        from .linalg import det

        return det(self)

    def logdet(self):
        from .linalg import logdet

        return logdet(self)

    def slogdet(self):
        from .linalg import legacy_slogdet

        return legacy_slogdet(self)

    def inverse(self):
        from .linalg import inv

        return inv(self)

    def pinverse(self, rcond=1e-15, hermitian=False):
        from .linalg import pinverse

        return pinverse(self, rcond, hermitian)

    def cholesky(self, upper=False):
        from .linalg import cholesky

        return cholesky(self, upper=upper)

    def qr(self, some=True):
        from .linalg import legacy_qr

        return legacy_qr(self, some)

    def svd(self, some=True, compute_uv=True):
        from .linalg import legacy_svd

        return legacy_svd(self, some, compute_uv)

    def matrix_power(self, n):
        from .linalg import matrix_power

        return matrix_power(self, n)

    def matrix_exp(self):
        from .linalg import matrix_exp

        return matrix_exp(self)

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape_):
        return shape.Reshape.apply(self, _shape_arguments(shape_))

    def view(self, *shape_):
        if len(shape_) == 1 and isinstance(shape_[0], _dtype.dtype):
            target = shape_[0]
            if target.itemsize != self._data.itemsize:
                raise RuntimeError("view(dtype) between dtypes of different sizes is not supported")
            result = Tensor._wrap(self._data.view(target.numpy_dtype))
            result._version = self._version
            result._base = self if self._base is None else self._base
            return result
        return shape.View.apply(self, _shape_arguments(shape_))

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self._data.ndim == 0:
            return self.reshape(1)
        start = normalize_dim(start_dim, self._data.ndim)
        end = normalize_dim(end_dim, self._data.ndim)
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if start == end:
            return self
        sizes = self._data.shape
        return self.reshape(sizes[:start] + (-1,) + sizes[end + 1 :])

    def unflatten(self, dim, sizes):
        axis = normalize_dim(dim, self._data.ndim)
        sizes = tuple(sizes)
        resolved = shape.infer_shape(sizes, self._data.shape[axis])
        return self.reshape(self._data.shape[:axis] + resolved + self._data.shape[axis + 1 :])

    def squeeze(self, dim=None):
        return shape.Squeeze.apply(self, dim)

    def unsqueeze(self, dim):
        return shape.Unsqueeze.apply(self, dim)

    def permute(self, *dims):
        return shape.Permute.apply(self, _shape_arguments(dims) if dims else ())

    def transpose(self, dim0, dim1):
        return shape.Transpose.apply(self, dim0, dim1)

    swapaxes = transpose
    swapdims = transpose

    def movedim(self, source, destination):
        sources = [normalize_dim(d, self.ndim) for d in (source if isinstance(source, (tuple, list)) else [source])]
        targets = [normalize_dim(d, self.ndim) for d in (destination if isinstance(destination, (tuple, list)) else [destination])]
        order = [d for d in range(self.ndim) if d not in sources]
        for target, source_dim in sorted(zip(targets, sources)):
            order.insert(target, source_dim)
        return self.permute(order)

    moveaxis = movedim

    def t(self):
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D")
        if self._data.ndim < 2:
            return shape.Reshape.apply(self, self._data.shape)
        return shape.Transpose.apply(self, 0, 1)

    @property
    def T(self):
        return self.permute(tuple(range(self._data.ndim - 1, -1, -1)))

    @property
    def mT(self):
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {self._data.ndim}-D tensor.")
        return shape.Transpose.apply(self, -2, -1)

    # Spindle has only real dtypes, so conjugation is the identity and the conjugate transposes are transposes.
    @property
    def H(self):
        if self._data.ndim != 2:
            hint = " For batches of matrices, consider using tensor.mH" if self._data.ndim > 2 else ""
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self._data.ndim}-D tensor.{hint}")
        return shape.Transpose.apply(self, 0, 1)

    @property
    def mH(self):
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got {self._data.ndim}-D tensor.")
        return shape.Transpose.apply(self, -2, -1)

    def adjoint(self):
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of matrices. Got {self._data.ndim}-D tensor.")
        return shape.Transpose.apply(self, -2, -1)

    def conj(self):
        return self

    resolve_conj = conj
    resolve_neg = conj
    conj_physical = conj

    def is_conj(self):
        return False

    def is_neg(self):
        return False

    @property
    def real(self):
        return self

    @property
    def imag(self):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    def expand(self, *sizes):
        return shape.Expand.apply(self, _shape_arguments(sizes))

    def expand_as(self, other):
        return self.expand(other.shape)

    def broadcast_to(self, size):
        return self.expand(size)

    def repeat(self, *repeats):
        return shape.Repeat.apply(self, _shape_arguments(repeats))

    def repeat_interleave(self, repeats, dim=None):
        if dim is None:
            source, dim = self.reshape(-1), 0
        else:
            source = self
        axis = normalize_dim(dim, source.ndim)
        if isinstance(repeats, int):
            index = np.repeat(np.arange(source.shape[axis]), repeats)
        else:
            index = np.repeat(np.arange(source.shape[axis]), np.asarray(repeats.__array__() if isinstance(repeats, Tensor) else repeats))
        return source.index_select(axis, Tensor._wrap(index.astype(np.int64)))

    def narrow(self, dim, start, length):
        axis = normalize_dim(dim, self._data.ndim)
        size = self._data.shape[axis]
        start = int(start)
        if not -size <= start <= size:
            raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
        if start < 0:
            start += size
        if length < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        if start + length > size:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
        return self[(slice(None),) * axis + (slice(start, start + length),)]

    def split(self, split_size_or_sections, dim=0):
        """Views of consecutive pieces along ``dim``: equal ``split_size`` pieces, or the given sizes."""
        axis = normalize_dim(dim, self._data.ndim)
        size = self._data.shape[axis]
        if isinstance(split_size_or_sections, int):
            if split_size_or_sections <= 0 and size > 0:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
            step = split_size_or_sections
            sections = [min(step, size - start) for start in range(0, size, step)] if step else [0]
        else:
            sections = [int(s) for s in split_size_or_sections]
            if sum(sections) != size:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at dimension "
                    f"{axis}), but got split_sizes={sections}"
                )
        pieces = []
        start = 0
        for length in sections:
            pieces.append(self.narrow(axis, start, length))
            start += length
        return tuple(pieces)

    unsafe_split = split

    def split_with_sizes(self, split_sizes, dim=0):
        return self.split(list(split_sizes), dim)

    def chunk(self, chunks, dim=0):
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        size = self._data.shape[normalize_dim(dim, self._data.ndim)]
        return self.split(max(-(-size // chunks), 1), dim)

    unsafe_chunk = chunk

    def unbind(self, dim=0):
        axis = normalize_dim(dim, self._data.ndim)
        return tuple(self[(slice(None),) * axis + (i,)] for i in range(self._data.shape[axis]))

    def flip(self, *dims):
        return shape.Flip.apply(self, _shape_arguments(dims))

    def fliplr(self):
        return self.flip(1)

    def flipud(self):
        return self.flip(0)

    def roll(self, shifts, dims=None):
        return shape.Roll.apply(self, shifts, dims)

    def tril(self, diagonal=0):
        return shape.Tril.apply(self, diagonal)

    def triu(self, diagonal=0):
        return shape.Triu.apply(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return shape.Diagonal.apply(self, offset, dim1, dim2)

    def diag(self, diagonal=0):
        if self.ndim == 1:
            size = self.shape[0] + abs(diagonal)
            result = Tensor._wrap(np.zeros((size, size), dtype=self._data.dtype))
            return result.diagonal_scatter(self, diagonal)
        return self.diagonal(diagonal)

    def diagonal_scatter(self, source, offset=0, dim1=0, dim2=1):
        arguments = (offset, normalize_dim(dim1, self.ndim), normalize_dim(dim2, self.ndim))
        kept = self - shape.DiagonalBackward.apply(self.diagonal(*arguments), self.shape, arguments)
        return kept + shape.DiagonalBackward.apply(source, self.shape, arguments)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """Matrices (in dims ``dim1``, ``dim2`` of the result) with the last dim's values on diagonal
        ``offset``: ``(..., n)`` gives ``(..., n + |offset|, n + |offset|)`` for the default dims."""
        rank = self.ndim + 1
        first, second = normalize_dim(dim1, rank), normalize_dim(dim2, rank)
        if first == second:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        size = (self._data.shape[-1] if self.ndim else 1) + abs(offset)
        sizes = list(self._data.shape[:-1])
        for axis in sorted((first, second)):
            sizes.insert(axis, size)
        source = self if self.ndim else self.reshape(1)
        return shape.DiagonalBackward.apply(source, tuple(sizes), (offset, first, second))

    def diagflat(self, offset=0):
        """A square matrix with the flattened input on diagonal ``offset``."""
        return self.reshape(-1).diag_embed(offset, 0, 1)

    def fill_diagonal_(self, fill_value, wrap=False):
        """Write ``fill_value`` on the main diagonal (all dims equal, or a 2-D matrix; ``wrap`` restarts the
        diagonal of a tall matrix every ``columns + 1`` rows, as NumPy's ``fill_diagonal``)."""
        if self.ndim < 2:
            raise RuntimeError("dimensions must larger than 1")
        if self.ndim > 2 and len(set(self._data.shape)) != 1:
            raise RuntimeError("all dimensions of input must be of equal length")
        mask = namespace_of(self._data).zeros(self._data.shape, dtype=np.bool_)
        namespace_of(mask).fill_diagonal(mask, True, wrap=wrap)
        return self._assign_maybe_graph(lambda tensor: tensor.masked_fill(Tensor._wrap(mask), fill_value))

    def rot90(self, k=1, dims=(0, 1)):
        """Rotate by ``k`` quarter turns in the plane of ``dims``, from the first dim towards the second."""
        if len(dims) != 2:
            raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
        if self.ndim < 2:
            raise RuntimeError(f"expected total dims >= 2, but got total dims = {self.ndim}")
        first, second = normalize_dim(dims[0], self.ndim), normalize_dim(dims[1], self.ndim)
        if first == second:
            raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {first} and dim1 = {second}")
        turns = k % 4
        if turns == 1:
            return self.flip(second).transpose(first, second)
        if turns == 2:
            return self.flip(first, second)
        if turns == 3:
            return self.flip(first).transpose(first, second)
        return self.clone()

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The ``n``-th forward difference along ``dim`` (of ``prepend``, self and ``append`` joined there);
        each order shortens the dim by one. Booleans differ by exclusive or."""
        if self.ndim == 0:
            raise RuntimeError("diff expects input to be at least one-dimensional")
        if n < 0:
            raise RuntimeError(f"order must be non-negative but got {n}")
        axis = normalize_dim(dim, self.ndim)
        pieces = [piece for piece in (prepend, self, append) if piece is not None]
        if any(piece.ndim != self.ndim for piece in pieces):
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        result = shape.Cat.apply(pieces, axis) if len(pieces) > 1 else self
        for _ in range(n):
            length = result.shape[axis]
            if length == 0:
                break
            later, earlier = result.narrow(axis, 1, length - 1), result.narrow(axis, 0, length - 1)
            result = later.logical_xor(earlier) if result.dtype is _dtype.bool_ else later - earlier
        return self.clone() if result is self else result

    # views and copies of parts
    def unfold(self, dimension, size, step):
        """Windows of ``size`` elements along ``dimension``, ``step`` apart, as a new last dim: a view of
        shape ``(..., (length - size) // step + 1, ..., size)`` sharing this tensor's memory."""
        if self.ndim == 0:
            return shape.Unfold.apply(self.reshape(1), dimension, size, step).reshape(-1)
        return shape.Unfold.apply(self, dimension, size, step)

    def as_strided(self, size, stride, storage_offset=None):
        """A view of this tensor's memory (its base's, for a view) with the given sizes and strides (in
        elements), starting ``storage_offset`` elements in (by default where this tensor starts)."""
        root = self._base._data if self._base is not None else self._data
        return shape.AsStrided.apply(self, tuple(int(s) for s in size), tuple(int(s) for s in stride), storage_offset, root)

    def select(self, dim, index):
        """The slice at ``index`` along ``dim``, a view with that dim removed."""
        if self.ndim == 0:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        axis = normalize_dim(dim, self.ndim)
        size = self._data.shape[axis]
        index = int(index)
        if not -size <= index < size:
            raise IndexError(f"select(): index {index} out of range for tensor of size {list(self.shape)} at dimension {axis}")
        return self[(slice(None),) * axis + (index,)]

    def select_scatter(self, src, dim, index):
        """A copy of this tensor with the slice ``select(dim, index)`` replaced by ``src``."""
        axis = normalize_dim(dim, self.ndim)
        self.select(axis, index)  # PyTorch's range check
        return self._embed((slice(None),) * axis + (int(index),), src)

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        """A copy of this tensor with the slice ``start:end:step`` along ``dim`` replaced by ``src``."""
        axis = normalize_dim(dim, self.ndim)
        return self._embed((slice(None),) * axis + (slice(start, end, step),), src)

    def _embed(self, numpy_index, src):
        expected = indexing.get_items(self._data, numpy_index).shape
        if tuple(src.shape) != expected:
            raise RuntimeError(
                f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, slice size = "
                f"{list(expected)}"
            )
        return indexing.IndexPut.apply(self, numpy_index, src)

    def narrow_copy(self, dim, start, length):
        return self.narrow(dim, start, length).clone()

    def tensor_split(self, indices_or_sections, dim=0):
        """Views of ``sections`` nearly equal pieces along ``dim`` (the first ``size % sections`` one longer),
        or of the pieces between the given indices (Python slice bounds, so negative ones count from the end)."""
        if self.ndim == 0:
            raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
        if isinstance(indices_or_sections, Tensor):
            if indices_or_sections._data.dtype.kind not in "iu":
                raise RuntimeError(
                    "tensor_split expected tensor_indices_or_sections to have integer dtype, but got "
                    f"{_LEGACY_SCALAR_NAMES[indices_or_sections.dtype.name]}"
                )
            if indices_or_sections.ndim > 1:
                raise RuntimeError(
                    "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or one-dimensional "
                    f"tensor, but got a tensor with {indices_or_sections.ndim} dims"
                )
            indices_or_sections = indices_or_sections.tolist()
        axis = normalize_dim(dim, self.ndim)
        size = self._data.shape[axis]
        if isinstance(indices_or_sections, int):
            sections = indices_or_sections
            if sections <= 0:
                raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
            length, longer = divmod(size, sections)
            bounds = [0]
            for section in range(sections):
                bounds.append(bounds[-1] + length + (section < longer))
        else:
            bounds = [0] + [int(index) for index in indices_or_sections] + [size]
        lead = (slice(None),) * axis
        return tuple(self[lead + (slice(start, end),)] for start, end in zip(bounds[:-1], bounds[1:]))

    def _split_at_dim(self, sections, axis, name, least_dims):
        """``hsplit``/``vsplit``/``dsplit``: an int must divide the dim evenly, a list gives split indices."""
        if self.ndim < least_dims:
            raise RuntimeError(
                f"torch.{name} requires a tensor with at least {least_dims} dimension, but got a tensor with "
                f"{self.ndim} dimensions!"
            )
        if isinstance(sections, int):
            size = self._data.shape[axis]
            if sections == 0 or size % sections:
                raise RuntimeError(
                    f"torch.{name} attempted to split along dimension {axis}, but the size of the dimension {size} is "
                    f"not divisible by the split_size {sections}!"
                )
        return self.tensor_split(sections, axis)

    def hsplit(self, sections):
        return self._split_at_dim(sections, 1 if self.ndim > 1 else 0, "hsplit", 1)

    def vsplit(self, sections):
        return self._split_at_dim(sections, 0, "vsplit", 2)

    def dsplit(self, sections):
        return self._split_at_dim(sections, 2, "dsplit", 3)

    def tile(self, *dims):
        """Repeat the tensor ``dims[i]`` times along dim ``i``; missing leading dims count as 1 (for
        either the tensor or ``dims``)."""
        dims = _shape_arguments(dims)
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def ravel(self):
        return self.reshape(-1)

    def sum_to_size(self, *size):
        """Sum the broadcast dims away to get ``size`` (the inverse of ``expand``)."""
        size = _shape_arguments(size)
        if not _broadcastable(size, self._data.shape) or np.broadcast_shapes(size, self._data.shape) != self._data.shape:
            raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(self.shape)}}}.")
        return _op_module.sum_to_shape(self, size)

    # ------------------------------------------------------------------ indexing

    def __getitem__(self, index):
        numpy_index = indexing.convert_index(index)
        result = indexing.Getitem.apply(self, numpy_index)
        if result._base is self and indexing.is_basic_index(numpy_index):
            result._view_index = numpy_index
        return result

    def __setitem__(self, index, value):
        numpy_index = indexing.convert_index(index)
        value_is_tensor = isinstance(value, Tensor)
        if _grad_state.enabled and (self._requires_grad or (value_is_tensor and value._requires_grad)):
            self._in_place(indexing.IndexPut, numpy_index, value if value_is_tensor else _as_tensor_like(value, self))
            return
        if value_is_tensor:
            if value.device != self.device and value.ndim:
                raise RuntimeError(
                    f"Expected all tensors to be on the same device, but found at least two devices, {self.device} and {value.device}!"
                )
            value = value._data
        try:
            target, last_index = indexing.assignment_target(self._data, numpy_index)
            target[last_index] = value
        except IndexError as error:
            raise indexing._index_error(error, self._data.shape) from None
        except ValueError as error:
            if "read-only" in str(error):
                raise _overlap_error() from None
            raise RuntimeError(
                f"shape mismatch: value tensor of shape {list(np.shape(value))} cannot be broadcast to indexing "
                f"result of shape {list(np.shape(indexing.get_items(self._data, numpy_index)))}"
            ) from None
        self._version[0] += 1

    def index_put(self, indices, values, accumulate=False):
        return indexing.IndexPut.apply(self, indexing.convert_index(tuple(indices)), values, accumulate)

    def index_put_(self, indices, values, accumulate=False):
        return self._in_place(indexing.IndexPut, indexing.convert_index(tuple(indices)), values, accumulate)

    def gather(self, dim, index):
        return indexing.Gather.apply(self, dim, index)

    def take_along_dim(self, indices, dim):
        return self.gather(dim, indices)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        if reduce is not None:
            if reduce == "add":
                return self.scatter_add(dim, index, src if src is not None else self.new_full(index.shape, value))
            raise NotImplementedError(f"scatter with reduce={reduce!r} is not supported")
        return indexing.Scatter.apply(self, dim, index, src if src is not None else value)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        if reduce is not None:
            return self._assign_maybe_graph(lambda t: t.scatter(dim, index, src, value=value, reduce=reduce))
        return self._in_place(indexing.Scatter, dim, index, src if src is not None else value)

    def scatter_add(self, dim, index, src):
        return indexing.ScatterAdd.apply(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        return self._in_place(indexing.ScatterAdd, dim, index, src)

    def index_select(self, dim, index):
        return indexing.IndexSelect.apply(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        return indexing.IndexAdd.apply(self, dim, index, source, alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._in_place(indexing.IndexAdd, dim, index, source, alpha)

    def masked_fill(self, mask, value):
        return indexing.MaskedFill.apply(self, mask, value)

    def masked_fill_(self, mask, value):
        return self._in_place(indexing.MaskedFill, mask, value)

    def masked_select(self, mask):
        return self[mask.expand(self.shape) if mask.shape != self.shape else mask]

    def masked_scatter(self, mask, source):
        """A copy with the leading elements of ``source``, in order, where ``mask`` (broadcast with self) is True."""
        target = np.broadcast_shapes(self._data.shape, mask._data.shape)
        expanded = self.expand(target) if self._data.shape != target else self
        return indexing.MaskedScatter.apply(expanded, mask.expand(target)._data, source)

    def masked_scatter_(self, mask, source):
        return self._in_place(indexing.MaskedScatter, mask.expand(self.shape)._data, source)

    def take(self, index):
        """The elements at ``index`` of the flattened tensor, in ``index``'s shape (negative ones count from the end)."""
        if index._data.dtype.kind not in "iu":
            raise RuntimeError(f"take(): Expected a long tensor for index, but got {_LEGACY_SCALAR_NAMES[index.dtype.name]}")
        count = self.numel()
        positions = index._data
        if positions.size and (positions.min() < -count or positions.max() >= count):
            bad = positions.max() if positions.max() >= count else positions.min()
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {count} elements.")
        return indexing.Getitem.apply(self.reshape(-1), positions)

    def put(self, index, source, accumulate=False):
        """A copy with ``source`` written (or, with ``accumulate``, added) at flat positions ``index``."""
        return indexing.Put.apply(self, index, source, accumulate)

    def put_(self, index, source, accumulate=False):
        return self._in_place(indexing.Put, index, source, accumulate)

    def index_fill(self, dim, index, value):
        """A copy with ``value`` (a number or 0-d tensor) at positions ``index`` along ``dim``."""
        return indexing.IndexFill.apply(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return self._in_place(indexing.IndexFill, dim, index, value)

    def index_copy(self, dim, index, source):
        """A copy with the slices at positions ``index`` along ``dim`` taken from ``source`` in order."""
        return indexing.IndexCopy.apply(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        return self._in_place(indexing.IndexCopy, dim, index, source)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        """Reduce ``src[i][j][k]`` into ``self[index[i][j][k]][j][k]`` (for ``dim=0``) with ``reduce`` (sum,
        prod, mean, amax or amin), starting from self's value unless ``include_self=False``."""
        return indexing.ScatterReduce.apply(self, dim, index, src, reduce, include_self)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return self._in_place(indexing.ScatterReduce, dim, index, src, reduce, include_self)

    def nonzero(self, *, as_tuple=False):
        indices = np.nonzero(self.__array__())
        if as_tuple:
            return tuple(Tensor._wrap(i.astype(np.int64)) for i in indices)
        return Tensor._wrap(np.stack(indices, axis=1).astype(np.int64) if indices else np.zeros((1, 0), np.int64))

    def argwhere(self):
        return self.nonzero()

    def sort(self, dim=-1, descending=False, stable=False):
        from .ops.sorting import sort

        return sort(self, dim, descending)

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending, stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):
        from .ops.sorting import topk

        return topk(self, k, dim, largest)

    def msort(self):
        from .ops.sorting import msort

        return msort(self)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        from .ops.sorting import unique

        return unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        from .ops.sorting import unique_consecutive

        return unique_consecutive(self, return_inverse, return_counts, dim)

    # ------------------------------------------------------------------ in-place ops

    def _in_place(self, op_class, *args):
        """Run ``op_class(self, *args)`` and write the result into this tensor, as PyTorch's ``op_``.

        Outside a graph the result is written straight into memory (views see it). Inside one this tensor
        takes the op's node as its new history, with a copy of its old value as the op's input, so that
        earlier uses of the old value still differentiate correctly.
        """
        if _grad_state.enabled and (self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args)):
            self._check_in_place_allowed()
            return self._assign(op_class.apply(self._history_snapshot(), *args))
        return self._assign(op_class.apply(self, *args))

    def _history_snapshot(self):
        """A copy of this tensor's current value that keeps its place in the graph."""
        snapshot = Tensor._wrap(self._data.copy())
        snapshot._requires_grad = self._requires_grad
        snapshot._grad_fn = self._grad_fn
        snapshot._output_index = self._output_index
        return snapshot

    def _check_in_place_allowed(self):
        if self._grad_fn is None and self._requires_grad:
            raise _leaf_in_place_error()
        base = self._base
        if base is not None and base._grad_fn is None and base._requires_grad:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place operation."
            )

    def _assign(self, result):
        """Make this tensor hold ``result``'s values (and its history, if it has one)."""
        if result._data.shape != self._data.shape:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape {list(result._data.shape)}"
            )
        if result._data.dtype != self._data.dtype and not np.can_cast(result._data.dtype, self._data.dtype, "same_kind"):
            raise RuntimeError(
                f"result type {_LEGACY_SCALAR_NAMES[result.dtype.name]} can't be cast to the desired output type "
                f"{_LEGACY_SCALAR_NAMES[self.dtype.name]}"
            )
        if not self._data.flags.writeable:
            raise _overlap_error()
        base = self._base
        base_before = None
        if result._grad_fn is not None and base is not None:
            # Writing into a view changes its base too: the base's new history is index_put(base, index, value).
            if self._view_index is None:
                raise RuntimeError(
                    "in-place operation on a view recorded by autograd is only supported for views made by basic "
                    "indexing of a tensor (x[...]); do the operation out of place"
                )
            base_before = base._history_snapshot()
        self._data[...] = result._data
        self._version[0] += 1
        if result._grad_fn is not None:
            self._grad_fn = result._grad_fn
            self._output_index = result._output_index
            self._requires_grad = True
            if base_before is not None:
                updated = indexing.IndexPut.apply(base_before, self._view_index, result)
                base._grad_fn = updated._grad_fn
                base._output_index = 0
                base._requires_grad = True
        return self

    def _binary_in_place(self, op_class, other):
        if _grad_state.enabled and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)):
            return self._in_place(op_class, other)
        other_data = other._data if isinstance(other, Tensor) else other
        try:
            op_class.ufunc(self._data, other_data, out=self._data, casting="same_kind")
        except TypeError:
            return self._assign(op_class.apply(self, other))  # raises PyTorch's cast error
        except ValueError as error:
            if "read-only" in str(error):
                raise _overlap_error() from None
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                f"{list(np.broadcast_shapes(self._data.shape, np.shape(other_data)))}"
            ) from None
        self._version[0] += 1
        return self

    def add_(self, other, *, alpha=1):
        return self._binary_in_place(elementwise.Add, other if alpha == 1 else self._scaled_operand(other, alpha))

    def sub_(self, other, *, alpha=1):
        return self._binary_in_place(elementwise.Sub, other if alpha == 1 else self._scaled_operand(other, alpha))

    def _scaled_operand(self, other, alpha):
        """``other * alpha`` for an in-place update: a raw product outside a graph (no op overhead)."""
        if isinstance(other, Tensor) and not (_grad_state.enabled and (other._requires_grad or self._requires_grad)):
            return Tensor._wrap(np.multiply(other._data, alpha))
        return other * alpha

    subtract_ = sub_

    def mul_(self, other):
        return self._binary_in_place(elementwise.Mul, other)

    multiply_ = mul_

    def div_(self, other, *, rounding_mode=None):
        if rounding_mode is not None:
            return self._assign(self.div(other, rounding_mode=rounding_mode))
        return self._binary_in_place(elementwise.Div, other)

    divide_ = div_
    true_divide_ = div_

    def pow_(self, exponent):
        return self._in_place(elementwise.Pow, exponent)

    def remainder_(self, other):
        return self._in_place(elementwise.Remainder, other)

    def fmod_(self, other):
        return self._in_place(elementwise.Fmod, other)

    def floor_divide_(self, other):
        return self._in_place(elementwise.FloorDivide, other)

    def maximum_(self, other):
        return self._in_place(elementwise.Maximum, other)

    def minimum_(self, other):
        return self._in_place(elementwise.Minimum, other)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return self._fused_update(tensor1, tensor2, value, np.multiply, Tensor.addcmul)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return self._fused_update(tensor1, tensor2, value, np.true_divide, Tensor.addcdiv)

    def _fused_update(self, tensor1, tensor2, value, combine, out_of_place):
        """``self += value * combine(tensor1, tensor2)`` with one temporary (optimizers' hot path)."""
        if _grad_state.enabled and any(t._requires_grad for t in (self, tensor1, tensor2) if isinstance(t, Tensor)):
            return self._assign_differentiable(out_of_place(self, tensor1, tensor2, value=value))
        update = combine(tensor1._data, tensor2._data)
        if value != 1:
            np.multiply(update, value, out=update, casting="unsafe")
        return self._binary_in_place(elementwise.Add, Tensor._wrap(update))

    def lerp_(self, end, weight):
        if _grad_state.enabled and any(t._requires_grad for t in (self, end, weight) if isinstance(t, Tensor)):
            return self._in_place(elementwise.Lerp, end, weight)
        step = np.subtract(end._data, self._data)
        np.multiply(step, weight._data if isinstance(weight, Tensor) else weight, out=step, casting="unsafe")
        return self._binary_in_place(elementwise.Add, Tensor._wrap(step))

    def _assign_differentiable(self, result):
        self._check_in_place_allowed()
        return self._assign(result)

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        if isinstance(value, Tensor):
            if value.ndim:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")
            if _grad_state.enabled and (self._requires_grad or value._requires_grad):
                return self._in_place(_FillLike, value)
            value = value.item()
        if _grad_state.enabled and self._requires_grad:
            return self._in_place(_FillLike, value)
        if not self._data.flags.writeable:
            raise _overlap_error()
        self._data.fill(value)
        self._version[0] += 1
        return self

    def copy_(self, source, non_blocking=False):
        """Copy ``source`` (broadcast, cast, moved across devices) into this tensor's memory."""
        if _grad_state.enabled and (self._requires_grad or source._requires_grad):
            return self._in_place(_CopyFrom, source)
        data = source._data
        if type(data) is not type(self._data):
            data = move(data, self.device)
        if not self._data.flags.writeable:
            raise _overlap_error()
        try:
            np.copyto(self._data, data, casting="unsafe") if type(self._data) is np.ndarray else self._data.__setitem__(Ellipsis, data)
        except ValueError:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                f"{list(np.broadcast_shapes(self._data.shape, data.shape)) if _broadcastable(self._data.shape, data.shape) else list(data.shape)}"
            ) from None
        self._version[0] += 1
        return self

    def set_(self, source):
        self._data = source._data
        self._version[0] += 1
        return self

    def clamp_(self, min=None, max=None):
        return self._assign_maybe_graph(lambda t: t.clamp(min, max))

    clip_ = clamp_

    def clamp_min_(self, min):
        return self.clamp_(min=min)

    def clamp_max_(self, max):
        return self.clamp_(max=max)

    def _assign_maybe_graph(self, compute, *operands):
        """In-place form of a composite op: out of place, then written back (with history if recorded, as
        also when one of the other tensor ``operands`` that ``compute`` reads requires grad)."""
        if _grad_state.enabled and (
            self._requires_grad or any(isinstance(operand, Tensor) and operand._requires_grad for operand in operands)
        ):
            self._check_in_place_allowed()
            return self._assign(compute(self._history_snapshot()))
        return self._assign(compute(self))

    def neg_(self):
        return self._assign_maybe_graph(Tensor.neg)

    def abs_(self):
        return self._assign_maybe_graph(Tensor.abs)

    def exp_(self):
        return self._assign_maybe_graph(Tensor.exp)

    def log_(self):
        return self._assign_maybe_graph(Tensor.log)

    def sqrt_(self):
        return self._assign_maybe_graph(Tensor.sqrt)

    def rsqrt_(self):
        return self._assign_maybe_graph(Tensor.rsqrt)

    def reciprocal_(self):
        return self._assign_maybe_graph(Tensor.reciprocal)

    def sigmoid_(self):
        return self._assign_maybe_graph(Tensor.sigmoid)

    def erf_(self):
        return self._assign_maybe_graph(Tensor.erf)

    def erfc_(self):
        return self._assign_maybe_graph(Tensor.erfc)

    def tanh_(self):
        return self._assign_maybe_graph(Tensor.tanh)

    def relu_(self):
        return self._assign_maybe_graph(Tensor.relu)

    def sin_(self):
        return self._assign_maybe_graph(Tensor.sin)

    def cos_(self):
        return self._assign_maybe_graph(Tensor.cos)

    def floor_(self):
        return self._assign_maybe_graph(Tensor.floor)

    def ceil_(self):
        return self._assign_maybe_graph(Tensor.ceil)

    def round_(self, decimals=0):
        return self._assign_maybe_graph(lambda t: t.round(decimals))

    def trunc_(self):
        return self._assign_maybe_graph(Tensor.trunc)

    def sign_(self):
        return self._assign_maybe_graph(Tensor.sign)

    sgn_ = sign_
    absolute_ = abs_
    negative_ = neg_

    def tan_(self):
        return self._assign_maybe_graph(Tensor.tan)

    def asin_(self):
        return self._assign_maybe_graph(Tensor.asin)

    arcsin_ = asin_

    def acos_(self):
        return self._assign_maybe_graph(Tensor.acos)

    arccos_ = acos_

    def atan_(self):
        return self._assign_maybe_graph(Tensor.atan)

    arctan_ = atan_

    def atan2_(self, other):
        return self._assign_maybe_graph(lambda t: t.atan2(other), other)

    arctan2_ = atan2_

    def sinh_(self):
        return self._assign_maybe_graph(Tensor.sinh)

    def cosh_(self):
        return self._assign_maybe_graph(Tensor.cosh)

    def asinh_(self):
        return self._assign_maybe_graph(Tensor.asinh)

    arcsinh_ = asinh_

    def acosh_(self):
        return self._assign_maybe_graph(Tensor.acosh)

    arccosh_ = acosh_

    def atanh_(self):
        return self._assign_maybe_graph(Tensor.atanh)

    arctanh_ = atanh_

    def exp2_(self):
        return self._assign_maybe_graph(Tensor.exp2)

    def expm1_(self):
        return self._assign_maybe_graph(Tensor.expm1)

    def log2_(self):
        return self._assign_maybe_graph(Tensor.log2)

    def log10_(self):
        return self._assign_maybe_graph(Tensor.log10)

    def log1p_(self):
        return self._assign_maybe_graph(Tensor.log1p)

    def frac_(self):
        return self._assign_maybe_graph(Tensor.frac)

    fix_ = trunc_

    def sinc_(self):
        return self._assign_maybe_graph(Tensor.sinc)

    def deg2rad_(self):
        return self._assign_maybe_graph(Tensor.deg2rad)

    def rad2deg_(self):
        return self._assign_maybe_graph(Tensor.rad2deg)

    def logit_(self, eps=None):
        return self._assign_maybe_graph(lambda t: t.logit(eps))

    def lgamma_(self):
        return self._assign_maybe_graph(Tensor.lgamma)

    def digamma_(self):
        return self._assign_maybe_graph(Tensor.digamma)

    def polygamma_(self, n):
        return self._assign_maybe_graph(lambda t: t.polygamma(n))

    def mvlgamma_(self, p):
        return self._assign_maybe_graph(lambda t: t.mvlgamma(p))

    def erfinv_(self):
        return self._assign_maybe_graph(Tensor.erfinv)

    def i0_(self):
        return self._assign_maybe_graph(Tensor.i0)

    def xlogy_(self, other):
        return self._assign_maybe_graph(lambda t: t.xlogy(other), other)

    def hypot_(self, other):
        return self._assign_maybe_graph(lambda t: t.hypot(other), other)

    def copysign_(self, other):
        return self._assign_maybe_graph(lambda t: t.copysign(other), other)

    def heaviside_(self, values):
        return self._assign_maybe_graph(lambda t: t.heaviside(values), values)

    def ldexp_(self, other):
        return self._assign_maybe_graph(lambda t: t.ldexp(other), other)

    def float_power_(self, exponent):
        if self._data.dtype != np.float64:
            raise RuntimeError(
                f"the base given to float_power_ has dtype {_LEGACY_SCALAR_NAMES[self.dtype.name]} but the "
                "operation's result requires dtype Double"
            )
        return self._assign_maybe_graph(lambda t: t.float_power(exponent), exponent)

    def gcd_(self, other):
        return self._assign_maybe_graph(lambda t: t.gcd(other))

    def lcm_(self, other):
        return self._assign_maybe_graph(lambda t: t.lcm(other))

    def nextafter_(self, other):
        return self._assign_maybe_graph(lambda t: t.nextafter(other))

    def bitwise_not_(self):
        return self._assign_maybe_graph(Tensor.bitwise_not)

    def bitwise_and_(self, other):
        return self._in_place(elementwise.BitwiseAnd, other)

    def bitwise_or_(self, other):
        return self._in_place(elementwise.BitwiseOr, other)

    def bitwise_xor_(self, other):
        return self._in_place(elementwise.BitwiseXor, other)

    def bitwise_left_shift_(self, other):
        return self._assign_maybe_graph(lambda tensor: tensor.bitwise_left_shift(other))

    def bitwise_right_shift_(self, other):
        return self._assign_maybe_graph(lambda tensor: tensor.bitwise_right_shift(other))

    def _compare_in_place(self, compare, other):
        """``eq_``, ``lt_``...: the bool result written as 0/1 in this tensor's dtype. In a graph this
        tensor takes a history with zero gradients for both operands, as in PyTorch."""

        def compute(tensor):
            values = compare(tensor, other)._data.astype(tensor._data.dtype)
            return elementwise.ZeroGradient.apply(tensor, values, other)

        return self._assign_maybe_graph(compute, other)

    def _logical_in_place(self, logical, *operands):
        """``logical_and_``...: the bool result written as 0/1 in this tensor's dtype. PyTorch leaves these
        outside autograd: the tensor keeps its history, and a leaf that requires grad is no error."""
        return self._assign(logical(self, *operands))

    def eq_(self, other):
        return self._compare_in_place(Tensor.eq, other)

    def ne_(self, other):
        return self._compare_in_place(Tensor.ne, other)

    not_equal_ = ne_

    def lt_(self, other):
        return self._compare_in_place(Tensor.lt, other)

    less_ = lt_

    def le_(self, other):
        return self._compare_in_place(Tensor.le, other)

    less_equal_ = le_

    def gt_(self, other):
        return self._compare_in_place(Tensor.gt, other)

    greater_ = gt_

    def ge_(self, other):
        return self._compare_in_place(Tensor.ge, other)

    greater_equal_ = ge_

    def logical_and_(self, other):
        return self._logical_in_place(Tensor.logical_and, other)

    def logical_or_(self, other):
        return self._logical_in_place(Tensor.logical_or, other)

    def logical_xor_(self, other):
        return self._logical_in_place(Tensor.logical_xor, other)

    def logical_not_(self):
        return self._logical_in_place(Tensor.logical_not)

    def square_(self):
        return self._assign_maybe_graph(Tensor.square)

    def tril_(self, diagonal=0):
        return self._assign_maybe_graph(lambda t: t.tril(diagonal))

    def triu_(self, diagonal=0):
        return self._assign_maybe_graph(lambda t: t.triu(diagonal))

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self._assign_maybe_graph(lambda t: t.nan_to_num(nan, posinf, neginf))

    def _view_in_place(self, make_view):
        """``t_``, ``transpose_``, ``unsqueeze_``...: this tensor takes the shape and strides of a view of
        itself (the same memory), and in a graph the view's history, as PyTorch's in-place view ops."""
        if _grad_state.enabled and self._requires_grad:
            self._check_in_place_allowed()
        view = make_view(self)
        self._data = view._data
        if view._grad_fn is not None:
            self._grad_fn = view._grad_fn
            self._output_index = view._output_index
        self._view_index = None  # the basic index that made this view no longer describes its layout
        self._version[0] += 1
        return self

    def t_(self):
        return self._view_in_place(Tensor.t)

    def transpose_(self, dim0, dim1):
        return self._view_in_place(lambda tensor: tensor.transpose(dim0, dim1))

    swapaxes_ = transpose_
    swapdims_ = transpose_

    def unsqueeze_(self, dim):
        return self._view_in_place(lambda tensor: tensor.unsqueeze(dim))

    def squeeze_(self, dim=None):
        return self._view_in_place(lambda tensor: tensor.squeeze(dim))

    def resize_(self, *sizes):
        sizes = _shape_arguments(sizes)
        if int(np.prod(sizes)) == self._data.size:
            self._data = self._data.reshape(sizes)
        else:
            self._data = np.resize(self._data, sizes)
        return self

    # random in-place fills (nn.init builds on these)
    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        from . import random as spindle_random

        self._check_random_fill_allowed()
        return self._fill_random(spindle_random.uniform_array(self, a, b, generator, in_place=True))

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        from . import random as spindle_random

        self._check_random_fill_allowed()
        return self._fill_random(spindle_random.normal_array(self, mean, std, generator, in_place=True))

    def bernoulli_(self, p=0.5, *, generator=None):
        from . import random as spindle_random

        return self._fill_random(spindle_random.uniform_array(self, 0.0, 1.0, generator) < (p._data if isinstance(p, Tensor) else p))

    def random_(self, low=0, high=None, *, generator=None):
        from . import random as spindle_random

        if high is None:
            low, high = 0, low if low else (2**53 if self.is_floating_point() else int(np.iinfo(self._data.dtype).max) + 1)
        return self._fill_random(spindle_random.integer_array(self, low, high, generator))

    def exponential_(self, lambd=1.0, *, generator=None):
        from . import random as spindle_random

        uniform = spindle_random.uniform_array(self, 0.0, 1.0, generator)
        return self._fill_random(-np.log1p(-uniform) / lambd)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fill with ``exp(N(mean, std**2))`` draws (``mean``/``std`` are those of the underlying normal)."""
        from . import random as spindle_random

        normal = spindle_random.normal_array(self, mean, std, generator)
        return self._fill_random(namespace_of(normal).exp(normal))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        """Fill with Cauchy draws: ``median + sigma * tan(pi * (U - 1/2))`` for uniform ``U``."""
        from . import random as spindle_random

        uniform = spindle_random.uniform_array(self, 0.0, 1.0, generator)
        return self._fill_random(median + sigma * namespace_of(uniform).tan(np.pi * (uniform - 0.5)))

    def geometric_(self, p, *, generator=None):
        """Fill with the number of Bernoulli(``p``) trials up to the first success (1, 2, ...)."""
        from . import random as spindle_random

        uniform = spindle_random.uniform_array(self, 0.0, 1.0, generator)
        namespace = namespace_of(uniform)
        # A draw of exactly 0 would give 0 trials; the support starts at 1.
        return self._fill_random(namespace.maximum(namespace.ceil(namespace.log1p(-uniform) / np.log1p(-p)), 1))

    def _check_random_fill_allowed(self):
        if _grad_state.enabled and self._grad_fn is None and self._requires_grad:
            raise _leaf_in_place_error()

    def _fill_random(self, array):
        self._check_random_fill_allowed()
        if array is not self._data:  # drawn elsewhere (another dtype or layout): copy it in
            self._data[...] = array
        self._version[0] += 1
        return self

    def bernoulli(self, p=None, *, generator=None):
        from . import random as spindle_random

        probabilities = self if p is None else p
        uniform = spindle_random.uniform_array(self, 0.0, 1.0, generator)
        return Tensor._wrap((uniform < (probabilities._data if isinstance(probabilities, Tensor) else probabilities)).astype(self._data.dtype))

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        from . import random as spindle_random

        return spindle_random.multinomial(self, num_samples, replacement, generator=generator)


def _rebuild_tensor(cls, array, requires_grad, attributes):
    result = cls._wrap(np.array(array))
    result._requires_grad = requires_grad
    if attributes:
        result.__dict__.update(attributes)
    return result


def _plain_data(data):
    """Nested lists that may hold 0-d tensors or NumPy scalars, as plain Python values."""
    if isinstance(data, Tensor):
        return data.__array__()
    if isinstance(data, (list, tuple)):
        return [_plain_data(item) for item in data]
    return data


def _as_tensor_like(value, reference):
    if isinstance(value, Tensor):
        return value
    namespace = namespace_of(reference._data)
    return Tensor._wrap(namespace.asarray(value, dtype=_dtype.result_type(reference, value).numpy_dtype))


def _bit_shift(input, other, left):
    """``input << other`` (``left``) or ``input >> other``, broadcast, in the promoted integer dtype (either
    operand may be a Python int). As in PyTorch, a shift by a negative amount or by the bit width or more
    gives 0 to the left and the sign fill (0 or -1) to the right; float and bool results are refused."""
    reference = input if isinstance(input, Tensor) else other
    input, other = _as_tensor_like(input, reference), _as_tensor_like(other, reference)
    result_dtype = _dtype.result_type(input, other).numpy_dtype
    if result_dtype.kind not in "iu":
        kernel = "lshift_cpu" if left else "rshift_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_LEGACY_SCALAR_NAMES[_dtype.from_numpy_dtype(result_dtype).name]}'")
    namespace = namespace_of(reference._data)
    values, amounts = input._data.astype(result_dtype), other._data.astype(result_dtype)
    bit_width = result_dtype.itemsize * 8
    in_range = (amounts >= 0) & (amounts < bit_width)
    clipped = namespace.where(in_range, amounts, bit_width - 1).astype(result_dtype)
    if left:
        shifted = namespace.where(in_range, namespace.left_shift(values, clipped), 0)
    else:
        shifted = namespace.right_shift(values, clipped)
    return Tensor._wrap(namespace.asarray(shifted, dtype=result_dtype))


def _tensor_operand(function_name, other):
    """``other`` of the binary functions that PyTorch only accepts a Tensor for (no Python numbers)."""
    if not isinstance(other, Tensor):
        raise TypeError(f"{function_name}(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
    return other


def _is_integral_operand(value):
    return isinstance(value, int) or (isinstance(value, Tensor) and value._data.dtype.kind in "biu")


def _broadcastable(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def _overlap_error():
    return RuntimeError(
        "unsupported operation: more than one element of the written-to tensor refers to a single memory location "
        "(an expanded tensor is read-only). Please clone() the tensor before performing the operation."
    )


_LEGACY_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}
_LEGACY_SCALAR_NAMES = {
    "float32": "Float",
    "float64": "Double",
    "float16": "Half",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
}


class _Storage:
    """What ``untyped_storage()`` answers: enough to compare whether two tensors share memory."""

    def __init__(self, tensor):
        root = tensor._base if tensor._base is not None else tensor
        self.root = root

    def data_ptr(self):
        return self.root.data_ptr()

    def nbytes(self):
        return self.root._data.nbytes


class _Cast(_op_module.Op):
    def forward(self, x, target_dtype):
        self.source_dtype = x.dtype
        return x.astype(target_dtype.numpy_dtype)

    def backward(self, grad):
        if self.source_dtype.kind != "f":
            return None
        return grad._cast_to_numpy_dtype(self.source_dtype) if grad._data.dtype != self.source_dtype else grad


class _ToDevice(_op_module.Op):
    def forward(self, x, destination):
        self.source = device_of(x)
        return move(x, destination)

    def backward(self, grad):
        return grad.to(self.source)


class _FillLike(_op_module.Op):
    """``fill_`` inside a graph: the result no longer depends on the old value."""

    def forward(self, x, value):
        return namespace_of(x).full_like(x, value)

    def backward(self, grad):
        return grad * 0, grad.sum() if self.needs_grad(1) else None


class _CopyFrom(_op_module.Op):
    """``copy_`` inside a graph: gradient flows to the source (summed back from any broadcast)."""

    def forward(self, x, source):
        self.source_dtype = source.dtype
        result = namespace_of(x).empty_like(x)
        result[...] = source
        return result

    def backward(self, grad):
        return grad * 0, grad


for _name, _class in (("Add", np.add), ("Sub", np.subtract), ("Mul", np.multiply), ("Div", np.true_divide)):
    getattr(elementwise, _name).ufunc = staticmethod(_class)
del _name, _class

_op_module.bind_tensor_class(Tensor)
