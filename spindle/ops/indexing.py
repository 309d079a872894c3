"""Indexing ops: ``x[index]`` (views for ints/slices/None/..., copies for masks and integer tensors),
its functional inverse ``index_put``, and gather/scatter/index_select/index_add/masked_fill."""
import re

import numpy as np

from ..backend import namespace_of
from . import op as op_module
from .op import Op
from .reduction import normalize_dim
from .shape import ViewOp


def _convert_index_item(item):
    Tensor = op_module.Tensor
    if isinstance(item, Tensor):
        array = item._data
        if array.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if array.ndim == 0 and array.dtype.kind in "iu":
            return int(array)
        return array
    if isinstance(item, slice):
        if item.step is not None and int(item.step) <= 0:
            raise ValueError("step must be greater than zero")
        return item
    if isinstance(item, (list, np.ndarray)):
        array = np.asarray([_convert_index_item(v) if isinstance(v, Tensor) else v for v in item] if isinstance(item, list) else item)
        if array.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return array
    if isinstance(item, np.integer):
        return int(item)
    if item is None or item is Ellipsis or isinstance(item, (int, bool)):
        return item
    raise IndexError(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
        f"(got {type(item).__name__})"
    )


def convert_index(index):
    """A PyTorch index (ints, slices, None, ..., bool/int tensors, lists) as a NumPy index."""
    if isinstance(index, tuple):
        return tuple(_convert_index_item(item) for item in index)
    return _convert_index_item(index)


def is_basic_index(index):
    """Whether ``index`` selects a strided view (no masks or integer arrays)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(item is None or item is Ellipsis or isinstance(item, (int, slice)) and not isinstance(item, bool) for item in items)


def _index_error(error, shape):
    message = str(error)
    match = re.match(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", message)
    if match:
        return IndexError(f"index {match.group(1)} is out of bounds for dimension {match.group(2)} with size {match.group(3)}")
    if "too many indices" in message:
        return IndexError(f"too many indices for tensor of dimension {len(shape)}")
    return IndexError(message.replace("axis", "dimension") + f" (tensor shape {list(shape)})")


def checked_getitem(array, index):
    try:
        return array[index]
    except IndexError as error:
        raise _index_error(error, array.shape) from None


def _is_index_array(item):
    return hasattr(item, "dtype") and hasattr(item, "ndim")


def indexing_steps(index):
    """``index`` as the NumPy indices to apply one after the other to get PyTorch's result.

    PyTorch applies integers first, as selections, and index tensors afterwards; NumPy counts integers
    among the advanced indices when index arrays are present, which places the result's dims differently
    (``x[None, i, ..., 0]`` of a 4x5x6 tensor with 6 indices is 1x6x5 in PyTorch, 6x1x5 in NumPy). Such an
    index splits into a basic step (integers, slices, None; a view) and an advanced step; any other is
    one step.
    """
    items = index if isinstance(index, tuple) else (index,)
    if not (any(type(item) is int for item in items) and any(_is_index_array(item) for item in items)):
        return (index,)
    basic, advanced = [], []
    for item in items:
        if type(item) is int:
            basic.append(item)
        elif _is_index_array(item):
            basic.extend([slice(None)] * (item.ndim if item.dtype == np.bool_ else 1))  # a mask spans its dims
            advanced.append(item)
        elif item is None or type(item) is bool:
            basic.append(item)  # a new dim, kept as it is by the advanced step
            advanced.append(slice(None))
        else:
            basic.append(item)
            advanced.append(item if item is Ellipsis else slice(None))
    return tuple(basic), tuple(advanced)


def get_items(array, index):
    """``array[index]`` with PyTorch's semantics and errors."""
    for step in indexing_steps(index):
        array = checked_getitem(array, step)
    return array


def assignment_target(array, index):
    """``(view, last_index)`` such that ``view[last_index] = value`` writes ``array[index] = value``
    (NumPy's IndexError is left to the caller)."""
    steps = indexing_steps(index)
    for step in steps[:-1]:
        array = array[step]
    return array, steps[-1]


class Getitem(ViewOp):
    def forward(self, x, index):
        self.input_shape = x.shape
        self.index = index
        if is_basic_index(index):
            items = index if isinstance(index, tuple) else (index,)
            if Ellipsis not in items:
                # A trailing ... keeps a full integer index a 0-d view instead of a NumPy scalar copy.
                index = items + (Ellipsis,)
        return op_module.ensure_array(get_items(x, index))

    def backward(self, grad):
        return IndexBackward.apply(grad, self.input_shape, self.index)


class IndexBackward(Op):
    """Zeros of the indexed tensor's shape with the gradient added at the indexed places."""

    def forward(self, grad, shape, index):
        self.index = index
        result = np.zeros(shape, dtype=grad.dtype)
        if is_basic_index(index):
            result[index] = grad
        else:
            target, last_index = assignment_target(result, index)
            np.add.at(target, last_index, grad)  # repeated integer indices accumulate
        return result

    def backward(self, grad):
        return Getitem.apply(grad, self.index)


class IndexPut(Op):
    """Functional ``x[index] = value`` (``value`` broadcast); what ``__setitem__`` records in a graph."""

    def forward(self, x, index, value, accumulate=False):
        self.index = index
        self.accumulate = accumulate
        result = x.copy()
        try:
            target, last_index = assignment_target(result, index)
            if accumulate:
                np.add.at(target, last_index, value)
            else:
                target[last_index] = value
        except IndexError as error:
            raise _index_error(error, x.shape) from None
        except ValueError:
            raise RuntimeError(
                f"shape mismatch: value tensor of shape {list(np.shape(value))} cannot be broadcast to indexing "
                f"result of shape {list(np.shape(get_items(x, index)))}"
            ) from None
        return result

    def backward(self, grad):
        grad_x = grad if self.accumulate else IndexPut.apply(grad, self.index, 0.0)
        return grad_x, None, Getitem.apply(grad, self.index)


def _check_index_tensor(index, name):
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {index.dtype}")


def _check_bounds(index, size, axis, error_class=RuntimeError):
    """Indices of gather/scatter/index_select/index_add lie in [0, size): unlike x[i], no negative ones."""
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.max() if index.max() >= size else index.min()
        raise error_class(f"index {bad} is out of bounds for dimension {axis} with size {size}")


def _scatter_coordinates(index, axis):
    """Full coordinate arrays addressing ``out[..., index[i,j,k] (at axis), ...]`` for every index element."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[axis] = index
    return tuple(grids)


class Gather(Op):
    def forward(self, x, dim, index):
        _check_index_tensor(index, "gather")
        axis = normalize_dim(dim, x.ndim)
        if index.ndim != x.ndim and not (x.ndim == 0 and index.ndim <= 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        for d in range(index.ndim):
            if d != axis and index.shape[d] > x.shape[d]:
                raise RuntimeError(
                    f"Size does not match at dimension {d} expected index {list(index.shape)} to be smaller than "
                    f"self {list(x.shape)} apart from dimension {axis}"
                )
        _check_bounds(index, x.shape[axis] if x.ndim else 1, axis)
        self.axis = axis
        self.input_shape = x.shape
        self.index = index
        if x.ndim == 0:
            return x.reshape(1)[index]
        return x[_scatter_coordinates(index, axis)]

    def backward(self, grad):
        Tensor = op_module.Tensor
        zeros = Tensor._wrap(np.zeros(self.input_shape, dtype=grad._data.dtype))
        return zeros.scatter_add(self.axis, Tensor._wrap(self.index), grad)


class ScatterAdd(Op):
    def forward(self, x, dim, index, source):
        _check_index_tensor(index, "scatter_add")
        axis = normalize_dim(dim, x.ndim)
        _check_bounds(index, x.shape[axis], axis)
        self.axis = axis
        self.index = index
        self.source_shape = source.shape
        result = x.copy()
        coordinates = _scatter_coordinates(index, axis)
        np.add.at(result, coordinates, source[tuple(slice(0, size) for size in index.shape)])
        return result

    def backward(self, grad):
        Tensor = op_module.Tensor
        return grad, None, None, _pad_to(grad.gather(self.axis, Tensor._wrap(self.index)), self.source_shape)


class Scatter(Op):
    def forward(self, x, dim, index, source):
        _check_index_tensor(index, "scatter")
        axis = normalize_dim(dim, x.ndim)
        _check_bounds(index, x.shape[axis], axis)
        self.axis = axis
        self.index = index
        self.source_shape = np.shape(source)
        result = x.copy()
        coordinates = _scatter_coordinates(index, axis)
        if np.ndim(source):
            result[coordinates] = source[tuple(slice(0, size) for size in index.shape)]
        else:
            result[coordinates] = source
        return result

    def backward(self, grad):
        Tensor = op_module.Tensor
        index = Tensor._wrap(self.index)
        grad_x = grad.scatter(self.axis, index, 0.0)
        grad_source = _pad_to(grad.gather(self.axis, index), self.source_shape) if self.source_shape else None
        return grad_x, None, None, grad_source


def _pad_to(tensor, shape):
    """Place ``tensor`` at the start of zeros of ``shape`` (for sources larger than their index)."""
    if tuple(tensor.shape) == tuple(shape):
        return tensor
    Tensor = op_module.Tensor
    zeros = Tensor._wrap(np.zeros(shape, dtype=tensor._data.dtype))
    return IndexPut.apply(zeros, tuple(slice(0, size) for size in tensor.shape), tensor)


class IndexSelect(Op):
    def forward(self, x, dim, index):
        if index.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        _check_index_tensor(index, "index_select")
        axis = normalize_dim(dim, x.ndim)
        size = x.shape[axis] if x.ndim else 1
        _check_bounds(index, size, axis, IndexError)
        self.axis = axis
        self.index = index.reshape(-1)
        self.input_shape = x.shape
        if x.ndim == 0:
            return x.reshape(1)[self.index].reshape(())
        return np.take(x, self.index, axis=axis)

    def backward(self, grad):
        Tensor = op_module.Tensor
        zeros = Tensor._wrap(np.zeros(self.input_shape, dtype=grad._data.dtype))
        return zeros.index_add(self.axis, Tensor._wrap(self.index), grad)


class IndexAdd(Op):
    def forward(self, x, dim, index, source, alpha=1):
        axis = normalize_dim(dim, x.ndim)
        _check_bounds(index, x.shape[axis], axis)
        self.axis = axis
        self.index = index
        self.alpha = alpha
        result = x.copy()
        np.add.at(result, (slice(None),) * axis + (index,), source * alpha if alpha != 1 else source)
        return result

    def backward(self, grad):
        Tensor = op_module.Tensor
        grad_source = grad.index_select(self.axis, Tensor._wrap(self.index))
        return grad, None, None, grad_source * self.alpha if self.alpha != 1 else grad_source


class MaskedFill(Op):
    def forward(self, x, mask, value):
        if mask.dtype != np.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}")
        if np.ndim(value) != 0:
            raise RuntimeError(
                f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {np.ndim(value)} dimension(s)."
            )
        self.mask = mask
        try:
            result = np.where(mask, np.asarray(value, dtype=x.dtype), x)
        except ValueError:
            raise RuntimeError(
                f"The size of tensor a ({list(x.shape)}) must match the size of tensor b ({list(mask.shape)}): "
                "mask and input cannot be broadcast together"
            ) from None
        if result.shape != x.shape:
            raise RuntimeError(f"masked_fill: mask of shape {list(mask.shape)} is larger than the input of shape {list(x.shape)}")
        return result

    def backward(self, grad):
        Tensor = op_module.Tensor
        mask = Tensor._wrap(self.mask)
        grad_value = (grad * mask).sum() if self.needs_grad(2) else None
        return grad.masked_fill(mask, 0.0), None, grad_value


def _wrapped_positions(index, size, axis):
    """Index values in ``[-size, size)`` as positions in ``[0, size)`` (index_fill and put accept negative
    indices, unlike gather/scatter), else PyTorch's IndexError."""
    if index.size:
        low, high = int(index.min()), int(index.max())
        if low < -size or high >= size:
            raise IndexError(f"index {high if high >= size else low} is out of bounds for dimension {axis} with size {size}")
    return index % size if size else index


class Put(Op):
    """``x.put(index, source, accumulate)``: write (or add) ``source`` at flat positions of ``x``."""

    def forward(self, x, index, source, accumulate=False):
        if index.dtype.kind not in "iu":
            raise RuntimeError(f"put_(): Expected a long tensor for index, but got {index.dtype}")
        if index.size != source.size:
            raise IndexError(
                "put_(): Expected source and index to have the same number of elements, but got "
                f"source.numel() = {source.size}, index.numel() = {index.size}"
            )
        if index.size and (index.min() < -x.size or index.max() >= x.size):
            bad = index.max() if index.max() >= x.size else index.min()
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {x.size} elements.")
        self.positions = index.reshape(-1) % max(x.size, 1)
        self.accumulate = accumulate
        self.source_shape = source.shape
        result = x.copy()  # C-ordered, so its flat view below writes into it
        flat = result.reshape(-1)
        if accumulate:
            np.add.at(flat, self.positions, source.reshape(-1))
        else:
            flat[self.positions] = source.reshape(-1)
        return result

    def backward(self, grad):
        positions = op_module.Tensor._wrap(self.positions)
        flat = grad.reshape(-1)
        grad_x = grad if self.accumulate else flat.index_fill(0, positions, 0).reshape(grad.shape)
        return grad_x, None, flat.index_select(0, positions).reshape(self.source_shape)


class IndexFill(Op):
    """``x.index_fill(dim, index, value)``: ``value`` at the given positions along ``dim``."""

    def forward(self, x, dim, index, value):
        _check_index_tensor(index, "index_fill")
        if np.ndim(value) != 0:
            raise RuntimeError(
                f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with {np.ndim(value)} dimension(s)."
            )
        if index.ndim > 1:
            raise IndexError("Index has to be a vector/scalar")
        axis = normalize_dim(dim, x.ndim)
        self.axis = axis
        self.positions = _wrapped_positions(index.reshape(-1), x.shape[axis] if x.ndim else 1, axis)
        result = x.copy()
        if x.ndim:
            result[(slice(None),) * axis + (self.positions,)] = value
        elif self.positions.size:
            result[...] = value
        return result

    def backward(self, grad):
        positions = op_module.Tensor._wrap(self.positions)
        grad_value = grad.index_select(self.axis, positions).sum() if self.needs_grad(3) else None
        return grad.index_fill(self.axis, positions, 0), None, None, grad_value


class IndexCopy(Op):
    """``x.index_copy(dim, index, source)``: the slices of ``source`` along ``dim`` at the given positions."""

    def forward(self, x, dim, index, source):
        _check_index_tensor(index, "index_copy")
        if index.ndim > 1:
            raise IndexError("index_copy_(): Index should have dimension 1 or 0 (got 2)")
        axis = normalize_dim(dim, x.ndim)
        index = index.reshape(-1)
        source_size = source.shape[axis] if source.ndim else 1
        if index.size != source_size:
            raise IndexError(
                f"index_copy_(): Number of indices ({index.size}) should be equal to source.size(dim) ({source_size})"
            )
        expected = x.shape[:axis] + (index.size,) + x.shape[axis + 1 :]
        if source.ndim and source.shape != expected:
            raise RuntimeError(
                f"index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: "
                f"{list(x.shape[:axis] + x.shape[axis + 1:])} at dimension {axis} and source slice shape: "
                f"{list(source.shape[:axis] + source.shape[axis + 1:])} at dimension 0."
            )
        _check_bounds(index, x.shape[axis] if x.ndim else 1, axis, IndexError)
        self.axis = axis
        self.index = index
        result = x.copy()
        if x.ndim:
            result[(slice(None),) * axis + (index,)] = source
        elif index.size:
            result[...] = source
        return result

    def backward(self, grad):
        index = op_module.Tensor._wrap(self.index)
        return grad.index_fill(self.axis, index, 0), None, None, grad.index_select(self.axis, index)


class MaskedScatter(Op):
    """``x.masked_scatter(mask, source)``: the leading elements of ``source``, in order, where ``mask`` is
    True (``mask`` already broadcast to ``x``'s shape)."""

    def forward(self, x, mask, source):
        if mask.dtype != np.bool_:
            raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {mask.dtype}")
        count = int(mask.sum())
        if source.size < count:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        self.mask = mask
        self.source_shape = source.shape
        result = x.copy()
        result[mask] = source.reshape(-1)[:count]
        return result

    def backward(self, grad):
        mask = op_module.Tensor._wrap(self.mask)
        grad_source = None
        if self.needs_grad(2):
            total = int(np.prod(self.source_shape))
            grad_source = _pad_to(Getitem.apply(grad, self.mask), (total,)).reshape(self.source_shape)
        return grad.masked_fill(mask, 0.0), None, grad_source


SCATTER_REDUCTIONS = {"sum": np.add, "prod": np.multiply, "mean": np.add, "amax": np.maximum, "amin": np.minimum}


def _reduction_identity(reduce, dtype):
    """The value a reduction starts from where ``include_self=False`` leaves out the input's own value."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


class ScatterReduce(Op):
    """``x.scatter_reduce(dim, index, src, reduce, include_self)``: reduce each ``src`` element into the
    place ``index`` names along ``dim`` (sum, prod, mean, amax, amin), starting from ``x``'s value or, with
    ``include_self=False``, from the scattered values alone. Backward follows PyTorch's formulas (ties of
    amax/amin share the gradient evenly)."""

    save_inputs = (0, 3)
    save_output = True

    def forward(self, x, dim, index, source, reduce, include_self=True):
        reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # PyTorch accepts both spellings
        if reduce not in SCATTER_REDUCTIONS:
            raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
        _check_index_tensor(index, "scatter_reduce")
        axis = normalize_dim(dim, x.ndim)
        if index.ndim != source.ndim or index.ndim != x.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
        _check_bounds(index, x.shape[axis], axis)
        self.arguments = (axis, reduce, include_self)
        self.index = index
        self.source_shape = source.shape
        coordinates = _scatter_coordinates(index, axis)
        values = source[tuple(slice(0, size) for size in index.shape)]
        result = x.copy()
        if not include_self:
            result[coordinates] = _reduction_identity(reduce, x.dtype)
        SCATTER_REDUCTIONS[reduce].at(result, coordinates, values)
        if reduce == "mean":
            namespace = namespace_of(x)
            counts = namespace.full(x.shape, 1 if include_self else 0, dtype=np.int64)
            np.add.at(counts, coordinates, 1)
            counts = np.maximum(counts, 1)  # places nothing was scattered to keep their value
            result = result / counts if x.dtype.kind == "f" else np.floor_divide(result, counts).astype(x.dtype)
            result = result.astype(x.dtype, copy=False)
        return result

    def backward(self, grad):
        Tensor = op_module.Tensor
        x, _, _, source = self.inputs[:4]
        axis, reduce, include_self = self.arguments
        index = Tensor._wrap(self.index)
        source = source[tuple(slice(0, size) for size in self.index.shape)]
        result = self.output()
        if reduce == "sum":
            grad_x, grad_source = grad, grad.gather(axis, index)
        elif reduce == "mean":
            counts = (grad * 0 + (1 if include_self else 0)).scatter_add(axis, index, source * 0 + 1)
            scaled = grad / counts.masked_fill(counts == 0, 1)
            grad_x, grad_source = scaled, scaled.gather(axis, index)
        elif reduce == "prod":
            grad_x, grad_source = self._product_gradients(grad, x, source, index, result)
        else:
            value = result.gather(axis, index)
            x_is_result = (x == result).to(grad.dtype)
            source_is_result = (source == value).to(grad.dtype)
            distributed = grad / x_is_result.scatter_add(axis, index, source_is_result)
            grad_x = x_is_result * distributed
            grad_source = source_is_result * distributed.gather(axis, index)
        if not include_self:
            grad_x = grad_x.scatter(axis, index, 0.0)
        return grad_x, None, None, _pad_to(grad_source, self.source_shape)

    def _product_gradients(self, grad, x, source, index, result):
        """The products of all other factors, computed without dividing by a zero factor."""
        axis, reduce, include_self = self.arguments
        masked_x = x.masked_fill(x == 0, 1)
        grad_x = grad * masked_x.scatter_reduce(axis, index, source, "prod", include_self=include_self) / masked_x
        source_zero = source == 0
        zeros_at = (x * 0).scatter_add(axis, index, source_zero.to(x.dtype)).gather(axis, index)
        if op_module.state.enabled and bool((zeros_at > 1).any()):  # recording a double-backward graph
            raise RuntimeError(
                "scatter_reduce(): Double backward is unsupported for src when >1 zeros in src are scattered to the "
                "same position. This behavior may change in future."
            )
        single_zero = source_zero & (zeros_at == 1)
        others = x.scatter_reduce(axis, index, source.masked_fill(single_zero, 1), "prod", include_self=include_self)
        grad_source = (grad * others).gather(axis, index).where(
            single_zero, (grad * result).gather(axis, index) / source.masked_fill(source_zero, 1)
        )
        return grad_x, grad_source
