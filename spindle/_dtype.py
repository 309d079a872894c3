"""Data types: PyTorch's dtype objects over NumPy dtypes, and PyTorch's type-promotion rules."""
import numpy as np


class dtype:
    """A tensor element type (``spindle.float32``...), mapped onto one NumPy dtype."""

    __slots__ = ("name", "numpy_dtype", "is_floating_point", "is_complex", "is_signed", "itemsize", "category")

    def __init__(self, name, numpy_dtype, category):
        self.name = name
        self.numpy_dtype = np.dtype(numpy_dtype)
        # Promotion categories, lowest first: bool < integer < floating point.
        self.category = category
        self.is_floating_point = category == 2
        self.is_complex = False
        self.is_signed = category == 2 or self.numpy_dtype.kind == "i"
        self.itemsize = self.numpy_dtype.itemsize

    def __repr__(self):
        return "spindle." + self.name

    def __reduce__(self):
        # dtypes are singletons: unpickling (e.g. in DataLoader workers) must give back the same object.
        return (_dtype_by_name, (self.name,))

    def to_real(self):
        return self

    def to_complex(self):
        raise RuntimeError(f"complex dtypes are not supported (asked for the complex form of {self})")


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)

ALL_DTYPES = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NUMPY = {d.numpy_dtype: d for d in ALL_DTYPES}
_BY_NAME = {d.name: d for d in ALL_DTYPES}


def _dtype_by_name(name):
    return _BY_NAME[name]


def from_numpy_dtype(numpy_dtype):
    """The spindle dtype of a NumPy dtype; TypeError for types PyTorch has no equivalent of."""
    try:
        return _BY_NUMPY[numpy_dtype]
    except KeyError:
        numpy_dtype = np.dtype(numpy_dtype)
        if numpy_dtype in _BY_NUMPY:
            return _BY_NUMPY[numpy_dtype]
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{numpy_dtype}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


_default_float = float32


def get_default_dtype():
    """The dtype of floating-point tensors made from Python floats (float32 unless changed)."""
    return _default_float


def set_default_dtype(d):
    """Set the default floating-point dtype (float32 or float64, as PyTorch allows)."""
    global _default_float
    if d not in (float16, float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


class finfo:
    """Machine limits of a floating-point dtype (the default dtype when none is given): ``bits``,
    ``eps``, ``max``, ``min``, ``tiny`` (= ``smallest_normal``), ``resolution`` and ``dtype`` (its name)."""

    def __init__(self, type=None):
        type = get_default_dtype() if type is None else to_dtype(type)
        if not type.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'")
        limits = np.finfo(type.numpy_dtype)
        self.bits = limits.bits
        self.eps = float(limits.eps)
        self.max = float(limits.max)
        self.min = float(limits.min)
        self.tiny = self.smallest_normal = float(limits.smallest_normal)
        self.resolution = 10.0 ** -limits.precision  # a Python float, not NumPy's rounded-to-dtype value
        self.dtype = type.name

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("finfo", self.dtype))

    def __repr__(self):
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:
    """Limits of an integer dtype: ``bits``, ``max``, ``min`` (Python ints) and ``dtype`` (its name)."""

    def __init__(self, type):
        type = to_dtype(type)
        if type is bool_:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if type.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        limits = np.iinfo(type.numpy_dtype)
        self.bits = limits.bits
        self.max = int(limits.max)
        self.min = int(limits.min)
        self.dtype = type.name

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("iinfo", self.dtype))

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def to_dtype(value):
    """Accept a spindle dtype, a NumPy dtype/type or a Python type (float, int, bool) as PyTorch does."""
    if isinstance(value, dtype):
        return value
    if value is float:
        return _default_float
    if value is int:
        return int64
    if value is bool:
        return bool_
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]
    try:
        return from_numpy_dtype(np.dtype(value))
    except TypeError:
        raise TypeError(f"{value!r} is not a dtype") from None


def _promote_two(a, b):
    """Promotion of two dtypes of equal priority (both tensors with dims, or both 0-dim)."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b  # int + float -> that float, not NumPy's float64
    return _BY_NUMPY[np.promote_types(a.numpy_dtype, b.numpy_dtype)]


def promote_types(a, b):
    """``spindle.promote_types``: the smallest dtype both ``a`` and ``b`` convert to."""
    return _promote_two(to_dtype(a), to_dtype(b))


def _scalar_dtype(value):
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    return _default_float


def result_type(*operands):
    """PyTorch's promotion over tensors and Python scalars.

    Tensors with dimensions outrank 0-dim tensors, which outrank Python scalars; a lower-priority
    operand only changes the result when it is of a higher category (bool < int < float), and then
    only up to its category's default (so ``int_tensor * 2.5`` is float32, ``float16_tensor * 2.5``
    stays float16).
    """
    dimensioned = None
    zero_dim = None
    scalar = None
    for operand in operands:
        if hasattr(operand, "_data"):
            operand_dtype = operand.dtype
            if operand._data.ndim:
                dimensioned = operand_dtype if dimensioned is None else _promote_two(dimensioned, operand_dtype)
            else:
                zero_dim = operand_dtype if zero_dim is None else _promote_two(zero_dim, operand_dtype)
        else:
            operand_dtype = _scalar_dtype(operand)
            if scalar is None or operand_dtype.category > scalar.category:
                scalar = operand_dtype
    result = dimensioned
    for lower in (zero_dim, scalar):
        if lower is None:
            continue
        if result is None:
            result = lower
        elif lower.category > result.category:
            result = lower if lower is zero_dim else (_default_float if lower.category == 2 else lower)
    return result
