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

    def relu(self):
        return elementwise.Relu.apply(self)

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

    def isnan(self):
        return elementwise.IsNan.apply(self)

    def isinf(self):
        return elementwise.IsInf.apply(self)

    def isfinite(self):
        return elementwise.IsFinite.apply(self)

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
            raise NotImplementedError("nuclear norm is not supported")
        return source.abs().pow(p).sum(dim, keepdim).pow(1.0 / p)

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

    def chunk(self, chunks, dim=0):
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        size = self._data.shape[normalize_dim(dim, self._data.ndim)]
        return self.split(max(-(-size // chunks), 1), dim)

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

    def _assign_maybe_graph(self, compute):
        """In-place form of a composite op: out of place, then written back (with history if recorded)."""
        if _grad_state.enabled and self._requires_grad:
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

    def square_(self):
        return self._assign_maybe_graph(Tensor.square)

    def tril_(self, diagonal=0):
        return self._assign_maybe_graph(lambda t: t.tril(diagonal))

    def triu_(self, diagonal=0):
        return self._assign_maybe_graph(lambda t: t.triu(diagonal))

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self._assign_maybe_graph(lambda t: t.nan_to_num(nan, posinf, neginf))

    def t_(self):
        self._data = self._data.T
        return self

    def unsqueeze_(self, dim):
        self._data = np.expand_dims(self._data, normalize_dim(dim, self.ndim + 1))
        return self

    def squeeze_(self, dim=None):
        self._data = self.squeeze(dim)._data
        return self

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
