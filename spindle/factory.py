"""Tensor factories: ``tensor``, ``as_tensor``, ``from_numpy``, ``zeros``/``ones``/``empty``/``full``,
``arange``/``linspace``/``logspace``/``eye`` and the ``*_like`` forms; creation-style ops (cat, stack...)."""
import math
import numbers
import warnings

import numpy as np

from . import _dtype
from .backend.device import move, namespace_for, to_device
from .tensor import _LEGACY_SCALAR_NAMES, Tensor, _plain_data, _shape_arguments


def _finish(array, device, requires_grad):
    if device is not None:
        target = to_device(device)
        if target.type != "cpu":
            array = move(array, target)
    result = Tensor._wrap(array)
    if requires_grad:
        result.requires_grad_(True)
    return result


def _infer_numpy_dtype(data):
    """PyTorch's inference for Python data: floats -> default dtype, ints -> int64, bools -> bool."""
    array = np.asarray(data)
    kind = array.dtype.kind
    if kind == "f":
        # NumPy arrays keep their dtype; Python floats take the default dtype.
        return array, (array.dtype if isinstance(data, (np.ndarray, np.generic)) else _dtype.get_default_dtype().numpy_dtype)
    if kind in "iu":
        return array, (array.dtype if isinstance(data, (np.ndarray, np.generic)) else np.dtype(np.int64))
    if kind == "b":
        return array, np.dtype(np.bool_)
    if kind == "c":
        raise TypeError("complex tensors are not supported")
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (a number, nested lists, a NumPy array or a tensor)."""
    if isinstance(data, Tensor):
        array = data.__array__().copy() if device is None or to_device(device).type == "cpu" else data._data.copy()
        if dtype is not None:
            array = array.astype(_dtype.to_dtype(dtype).numpy_dtype)
        return _finish(array, device or data.device, requires_grad)
    plain = _plain_data(data)
    array, inferred = _infer_numpy_dtype(plain)
    target = _dtype.to_dtype(dtype).numpy_dtype if dtype is not None else inferred
    return _finish(np.array(array, dtype=target, copy=True), device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or tensor when no conversion is needed."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (dtype or device) else data
    if isinstance(data, np.ndarray) and (dtype is None or _dtype.to_dtype(dtype).numpy_dtype == data.dtype):
        _dtype.from_numpy_dtype(data.dtype)
        return _finish(data, device, False)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(array):
    """A tensor sharing memory with the NumPy ``array`` (writes through in both directions)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dtype.from_numpy_dtype(array.dtype)
    return Tensor._wrap(array)


def _creation_dtype(dtype, fallback=None):
    if dtype is not None:
        return _dtype.to_dtype(dtype)
    return fallback or _dtype.get_default_dtype()


def _filled(size, dtype, device, requires_grad, make):
    shape = _shape_arguments(size)
    for extent in shape:
        if extent < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {extent}: {list(shape)}")
    target = to_device(device)
    array = make(namespace_for(target), shape, _creation_dtype(dtype).numpy_dtype)
    return _finish(array, None, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    """A tensor of zeros with the given shape."""
    return _filled(size, dtype, device, requires_grad, lambda xp, shape, d: xp.zeros(shape, dtype=d))


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    """A tensor of ones with the given shape."""
    return _filled(size, dtype, device, requires_grad, lambda xp, shape, d: xp.ones(shape, dtype=d))


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False, memory_format=None):
    """An uninitialised tensor with the given shape."""
    return _filled(size, dtype, device, requires_grad, lambda xp, shape, d: xp.empty(shape, dtype=d))


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    """A tensor of ``fill_value``; its dtype follows the value (bool, int64 or the default float)."""
    if dtype is None:
        dtype = _dtype.result_type(fill_value) if isinstance(fill_value, numbers.Number) else None
    return _filled((size,) if isinstance(size, int) else (tuple(size),), dtype, device, requires_grad,
                   lambda xp, shape, d: xp.full(shape, fill_value, dtype=d))


def _like(input, dtype, device):
    return dict(dtype=dtype or input.dtype, device=device or input.device)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return zeros(*input.shape, requires_grad=requires_grad, **_like(input, dtype, device))


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return ones(*input.shape, requires_grad=requires_grad, **_like(input, dtype, device))


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return empty(*input.shape, requires_grad=requires_grad, **_like(input, dtype, device))


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return full(tuple(input.shape), fill_value, requires_grad=requires_grad, **_like(input, dtype, device))


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound or step is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError(
            f"upper bound and larger bound inconsistent with step sign (start={start}, end={end}, step={step})"
        )
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        dtype = _dtype.get_default_dtype() if any(isinstance(v, float) for v in values) else _dtype.int64
    dtype = _dtype.to_dtype(dtype)
    count = max(math.ceil((values[1] - values[0]) / values[2]), 0)
    array = (np.arange(count, dtype=np.float64) * values[2] + values[0]).astype(dtype.numpy_dtype)
    return _finish(array, device, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = _creation_dtype(dtype)
    return _finish(np.linspace(float(start), float(end), int(steps)).astype(dtype.numpy_dtype), device, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    dtype = _creation_dtype(dtype)
    return _finish(np.logspace(start, end, int(steps), base=base).astype(dtype.numpy_dtype), device, requires_grad)


def _triangle_indices(numpy_function, name, row, col, offset, dtype, device):
    dtype = _dtype.int64 if dtype is None else _dtype.to_dtype(dtype)
    if dtype.numpy_dtype.kind not in "iu":
        raise NotImplementedError(f'"{name}" not implemented for \'{_LEGACY_SCALAR_NAMES[dtype.name]}\'')
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else f"col must be non-negative, got{col}")
    rows, columns = numpy_function(row, offset, col)
    return _finish(np.stack([rows, columns]).astype(dtype.numpy_dtype).reshape(2, -1), device, False)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The coordinates of the lower triangle (diagonal ``offset`` included) of a ``row x col`` matrix,
    row by row, as a ``(2, count)`` int64 tensor."""
    return _triangle_indices(np.tril_indices, "tril_indices", row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The coordinates of the upper triangle (diagonal ``offset`` included) of a ``row x col`` matrix,
    row by row, as a ``(2, count)`` int64 tensor."""
    return _triangle_indices(np.triu_indices, "triu_indices", row, col, offset, dtype, device)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """An ``n x m`` identity matrix."""
    dtype = _creation_dtype(dtype)
    return _finish(np.eye(n, n if m is None else m, dtype=dtype.numpy_dtype), device, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    """A 0-dim tensor holding the number ``s``, in the default float dtype unless ``dtype`` is given."""
    value = s.item() if isinstance(s, Tensor) else s
    return _finish(np.array(value, dtype=_creation_dtype(dtype).numpy_dtype), device, requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    """An uninitialised tensor of shape ``size`` laid out with the given element ``stride``s (a view of a
    fresh buffer just large enough for them)."""
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    storage_size = 0 if 0 in size else 1 + sum((extent - 1) * step for extent, step in zip(size, stride))
    buffer = empty(storage_size, dtype=dtype, device=device)
    result = buffer.as_strided(size, stride, 0)
    if requires_grad:
        result.requires_grad_(True)
    return result


# Shadows the builtin ``range`` in this module (and in spindle/__init__.py): neither may call the builtin.
def range(start, end, step=1, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """Deprecated (as in PyTorch, with a UserWarning): values from ``start`` to ``end`` INCLUSIVE by
    ``step``, in the default float dtype unless ``dtype`` is given. Prefer ``arange`` (end exclusive)."""
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its behavior is inconsistent "
        "with Python's range builtin. Instead, use torch.arange, which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    start, end, step = (value.item() if isinstance(value, Tensor) else value for value in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    count = math.floor((end - start) / step) + 1
    array = np.arange(count, dtype=np.float64) * step + start
    return _finish(array.astype(_creation_dtype(dtype).numpy_dtype), device, requires_grad)


def _window(name, window_length, periodic, dtype, device, requires_grad, shape):
    """A window of ``window_length`` samples: ``shape(positions, span)`` evaluated at positions 0, 1, ...
    with ``span`` = (length - 1) for a symmetric window; a periodic window is the symmetric one of
    length + 1 without its last sample (PyTorch's convention, for spectral analysis)."""
    dtype = _creation_dtype(dtype)
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dtype}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    if window_length <= 1:
        return _finish(np.ones(window_length, dtype=dtype.numpy_dtype), device, requires_grad)
    span = window_length if periodic else window_length - 1
    values = shape(np.arange(window_length, dtype=np.float64), span)
    return _finish(values.astype(dtype.numpy_dtype), device, requires_grad)


def _cosine_sum(*coefficients):
    """The generalised cosine window sum_k (-1)^k a_k cos(2 pi k n / span) (Hann, Hamming, Blackman)."""
    return lambda positions, span: sum(
        (-1) ** order * coefficient * np.cos(2 * np.pi * order * positions / span) for order, coefficient in enumerate(coefficients)
    )


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    """The Hann window ``0.5 - 0.5 cos(2 pi n / span)``, shape ``(window_length,)``."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad, _cosine_sum(0.5, 0.5))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None, device=None,
                   pin_memory=False, requires_grad=False):
    """The Hamming window ``alpha - beta cos(2 pi n / span)``, shape ``(window_length,)``."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad, _cosine_sum(alpha, beta))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    """The Blackman window ``0.42 - 0.5 cos(2 pi n / span) + 0.08 cos(4 pi n / span)``, shape ``(window_length,)``."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, _cosine_sum(0.42, 0.5, 0.08))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    """The triangular Bartlett window ``1 - |2 n / span - 1|``, shape ``(window_length,)``."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda positions, span: 1 - np.abs(2 * positions / span - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None, pin_memory=False,
                  requires_grad=False):
    """The Kaiser window ``I0(beta sqrt(1 - (2 n / span - 1)^2)) / I0(beta)``, shape ``(window_length,)``."""
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   lambda positions, span: np.i0(beta * np.sqrt(np.clip(1 - (2 * positions / span - 1) ** 2, 0, None))) / np.i0(beta))
