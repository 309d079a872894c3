"""``repr(tensor)`` in PyTorch's format: 4 decimals (or scientific when the range needs it),
integral floats as ``1.``, long tensors summarised with ``...``, and dtype/device/grad suffixes."""
import numpy as np

from . import _dtype

_THRESHOLD = 1000
_EDGE_ITEMS = 3
_LINE_WIDTH = 80
_PRECISION = 4


def _float_formatter(array):
    finite = array[np.isfinite(array)] if array.size else array
    magnitudes = np.abs(finite[finite != 0]) if finite.size else finite
    integral = finite.size == 0 or bool(np.all(finite == np.round(finite)))
    scientific = False
    if magnitudes.size:
        largest, smallest = float(magnitudes.max()), float(magnitudes.min())
        scientific = largest / smallest > 1000.0 or largest > 1e8 or smallest < 1e-4
        if integral and largest <= 1e8:
            scientific = False
    if integral and not scientific:
        def format_value(value):
            return _special(value) or f"{value:.0f}."
    elif scientific:
        def format_value(value):
            return _special(value) or f"{value:.{_PRECISION}e}"
    else:
        def format_value(value):
            return _special(value) or f"{value:.{_PRECISION}f}"
    return format_value


def _special(value):
    if np.isnan(value):
        return "nan"
    if np.isinf(value):
        return "inf" if value > 0 else "-inf"
    return None


def format_tensor(tensor):
    array = tensor._data if type(tensor._data) is np.ndarray else tensor._data.get()
    summarise = array.size > _THRESHOLD
    shown = _edge_values(array) if summarise else array
    if array.dtype.kind == "f":
        format_value = _float_formatter(shown.astype(np.float64))
    elif array.dtype == np.bool_:
        def format_value(value):
            return "True" if value else "False"
    else:
        def format_value(value):
            return str(int(value))
    width = max((len(format_value(v)) for v in shown.reshape(-1)), default=0)
    suffixes = []
    if array.size == 0 and array.shape != (0,):
        body = "[]"
        suffixes.append(f"size={tuple(array.shape)}")
    else:
        body = np.array2string(
            array,
            separator=", ",
            prefix="tensor(",
            formatter={"all": lambda value: format_value(value).rjust(width)},
            threshold=_THRESHOLD,
            edgeitems=_EDGE_ITEMS,
            max_line_width=_LINE_WIDTH,
        ).replace(", ...,", ",  ...,")  # PyTorch pads the in-row ellipsis by one more space
    dtype = tensor.dtype
    default_for_kind = {2: _dtype.get_default_dtype(), 1: _dtype.int64, 0: _dtype.bool_}
    if dtype is not default_for_kind[dtype.category] or (array.size == 0 and dtype.category != 2):
        suffixes.append(f"dtype={dtype}")
    if tensor.device.type != "cpu":
        suffixes.insert(0, f"device='{tensor.device}'")
    if tensor._grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor._grad_fn.name()}>")
    elif tensor._requires_grad:
        suffixes.append("requires_grad=True")
    return "tensor(" + ", ".join([body] + suffixes) + ")"


def _edge_values(array):
    """The elements a summarised print shows (the first and last few along every dim)."""
    for axis in range(array.ndim):
        if array.shape[axis] > 2 * _EDGE_ITEMS:
            head = np.take(array, range(_EDGE_ITEMS), axis=axis)
            tail = np.take(array, range(array.shape[axis] - _EDGE_ITEMS, array.shape[axis]), axis=axis)
            array = np.concatenate([head, tail], axis=axis)
    return array
