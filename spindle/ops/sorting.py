"""Sorting and selection: ``sort``, ``topk``, medians, ``kthvalue``, ``mode``, quantiles, running
extrema (values and indices; the values' gradient goes back to the selected elements), and the
order-based integer results: ``unique``, ``searchsorted``, ``bucketize``, histograms and ``bincount``."""
import collections

import numpy as np

from ..backend.device import namespace_of
from . import op as op_module
from .op import Op
from .reduction import legacy_scalar_name, normalize_dim

SortResult = collections.namedtuple("SortResult", ["values", "indices"])


class TakeAlongDim(Op):
    """Values picked by a fixed integer index along one dim (the differentiable half of sort/topk)."""

    def forward(self, x, indices, axis):
        self.axis = axis
        self.indices = indices
        self.input_shape = x.shape
        return np.take_along_axis(x, indices, axis) if x.ndim else x.copy()

    def backward(self, grad):
        Tensor = op_module.Tensor
        if not self.input_shape:
            return grad
        zeros = Tensor._wrap(np.zeros(self.input_shape, dtype=grad._data.dtype))
        return zeros.scatter_add(self.axis, Tensor._wrap(self.indices), grad)


def sort(x, dim=-1, descending=False):
    """Sort along ``dim`` (stable); returns ``(values, indices)``."""
    axis = normalize_dim(dim, x.ndim)
    data = x._data
    if data.ndim == 0:
        indices = np.zeros((), dtype=np.int64)
    elif descending:
        # Stable descending order: ascending stable sort of negated dense ranks keeps ties in input order.
        indices = np.argsort(-_ranks(data, axis), axis=axis, kind="stable") if data.dtype.kind != "b" else np.argsort(~data, axis=axis, kind="stable")
    else:
        indices = np.argsort(data, axis=axis, kind="stable")
    indices = indices.astype(np.int64)
    return SortResult(TakeAlongDim.apply(x, indices, axis), op_module.Tensor._wrap(indices))


def _ranks(data, axis):
    """Dense ascending ranks along ``axis``, so that negating them sorts descending stably (NaN last in
    ascending order is largest, as in PyTorch)."""
    order = np.argsort(data, axis=axis, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(data.shape[axis]).reshape([-1 if a == axis else 1 for a in range(data.ndim)]), axis)
    sorted_values = np.take_along_axis(data, order, axis)
    # Equal values share a rank so that the stable sort keeps their original order (compared with ==, not
    # by differences, which are NaN between equal infinities; NaNs count as equal to each other).
    moved = np.moveaxis(sorted_values, axis, -1)
    equal = moved[..., 1:] == moved[..., :-1]
    if moved.dtype.kind == "f":
        equal |= np.isnan(moved[..., 1:]) & np.isnan(moved[..., :-1])
    same_as_previous = np.concatenate(
        [np.zeros_like(np.take(sorted_values, [0], axis), dtype=bool), np.moveaxis(equal, -1, axis)], axis=axis
    )
    dense = np.cumsum(~same_as_previous, axis=axis)
    np.put_along_axis(ranks, order, dense, axis)
    return ranks


def topk(x, k, dim=-1, largest=True):
    """The ``k`` largest (or smallest) elements along ``dim``, sorted; returns ``(values, indices)``."""
    axis = normalize_dim(dim, x.ndim)
    size = x._data.shape[axis] if x.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"selected index k out of range (k={k}, dimension {axis} has size {size})")
    ordered = sort(x, axis, descending=largest)
    index = (slice(None),) * axis + (slice(0, k),)
    indices = ordered.indices._data[index]
    return SortResult(TakeAlongDim.apply(x, indices, axis), op_module.Tensor._wrap(indices))


def _flatten_for_dim(x, dim):
    """``(tensor, axis)`` to work on: the flattened tensor along 0 when ``dim`` is None, else ``x``."""
    if dim is None:
        return x.reshape(-1), 0
    return x, normalize_dim(dim, x.ndim)


def _select_sorted_position(x, dim, keepdim, position_of, name):
    """``(values, indices)`` of the element at ascending sorted position ``position_of(valid_counts, size)``
    of each slice along ``dim`` (NaN sorted last; ``valid_counts``, the non-NaN count of each slice with
    kept dims, is None when there is no NaN): the engine of median, nanmedian and kthvalue. Which of tied
    elements is chosen is unspecified, as in PyTorch. The values' gradient goes to the selected element."""
    axis = normalize_dim(dim, x.ndim)
    data = x._data
    xp = namespace_of(data)
    if data.ndim == 0:
        data = data.reshape(1)
    size = data.shape[axis]
    if size == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    nan_mask = xp.isnan(data) if data.dtype.kind == "f" else None
    reduced_shape = data.shape[:axis] + (1,) + data.shape[axis + 1:]
    if nan_mask is None or not bool(nan_mask.any()):
        # One sorted position for every slice: a partial sort (selection) is enough.
        position = position_of(None, size)
        order = xp.argpartition(data, position, axis=axis)
        positions = xp.full(reduced_shape, position, dtype=np.int64)
    else:
        # The position depends on each slice's NaN count; a stable sort makes "the first NaN" well defined.
        order = xp.argsort(data, axis=axis, kind="stable")
        positions = xp.broadcast_to(xp.asarray(position_of((~nan_mask).sum(axis=axis, keepdims=True), size)), reduced_shape)
    indices = xp.take_along_axis(order, positions.astype(np.int64), axis).astype(np.int64)
    if x.ndim == 0:
        indices = indices.reshape(())
    elif not keepdim:
        indices = indices.squeeze(axis)
    selector = indices if x.ndim == 0 or keepdim else xp.expand_dims(indices, axis)
    values = TakeAlongDim.apply(x, selector, axis)
    if x.ndim and not keepdim:
        values = values.squeeze(axis)
    return SortResult(values, op_module.Tensor._wrap(indices))


def _median_position(valid_counts, size):
    """The lower middle of the slice, or the first NaN (NaN propagates) when the slice has any."""
    lower_middle = (size - 1) // 2
    if valid_counts is None:
        return lower_middle
    return namespace_of(valid_counts).where(valid_counts < size, valid_counts, lower_middle)


def _nanmedian_position(valid_counts, size):
    """The lower middle of the non-NaN elements (position 0, a NaN, when all are NaN)."""
    if valid_counts is None:
        return (size - 1) // 2
    return namespace_of(valid_counts).maximum(valid_counts - 1, 0) // 2


def _evenly_distributed_median(x, position_of, name):
    """The median of all elements as a 0-d tensor; its gradient is shared evenly by the elements equal
    to it (all NaNs when it is NaN), as PyTorch's ``median()`` without ``dim``."""
    if x.numel() == 0:
        chosen = op_module.Tensor._wrap(namespace_of(x._data).full((), np.nan, dtype=x._data.dtype))
    else:
        chosen = _select_sorted_position(x.detach().reshape(-1), 0, False, position_of, name).values
    return EvenlyDistributedSelection.apply(x, chosen)


class EvenlyDistributedSelection(Op):
    """One value chosen from ``x`` (given as ``chosen``) whose gradient is shared by its equal elements."""

    save_inputs = (0,)

    def forward(self, x, chosen):
        self.chosen = chosen
        return chosen.copy()

    def backward(self, grad):
        x = self.inputs[0]
        chosen = op_module.Tensor._wrap(self.chosen)
        mask = x.isnan() if bool(chosen.isnan()) else x == chosen
        mask = mask.to(grad.dtype)
        return mask * (grad / mask.sum())


def median(x, dim=None, keepdim=False):
    """The lower median of all elements (0-d), or ``(values, indices)`` along ``dim``; NaN propagates."""
    if dim is None:
        return _evenly_distributed_median(x, _median_position, "median")
    return _select_sorted_position(x, dim, keepdim, _median_position, "median")


def nanmedian(x, dim=None, keepdim=False):
    """``median`` ignoring NaNs (NaN only where a slice is all NaN)."""
    if dim is None:
        return _evenly_distributed_median(x, _nanmedian_position, "nanmedian")
    return _select_sorted_position(x, dim, keepdim, _nanmedian_position, "nanmedian")


def kthvalue(x, k, dim=-1, keepdim=False):
    """``(values, indices)`` of the ``k``-th smallest element (1-based) of each slice along ``dim``."""
    axis = normalize_dim(dim, x.ndim)
    size = x._data.shape[axis] if x.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    return _select_sorted_position(x, axis, keepdim, lambda valid_counts, size: k - 1, "kthvalue")


def mode(x, dim=-1, keepdim=False):
    """``(values, indices)``: the most frequent value of each slice along ``dim`` (the smallest among
    equally frequent ones) and the index of its last occurrence, as PyTorch on the CPU."""
    axis = normalize_dim(dim, x.ndim)
    data = x._data
    xp = namespace_of(data)
    flat = xp.moveaxis(data.reshape(1) if data.ndim == 0 else data, axis, -1)
    size = flat.shape[-1]
    if size == 0:
        raise IndexError(f"mode(): Expected reduction dim {axis} to have non-zero size.")
    order = xp.argsort(flat, axis=-1, kind="stable")
    ordered = xp.take_along_axis(flat, order, -1)
    # Runs of equal sorted values: each element's run start, and the run length ending at each element.
    starts = xp.ones(ordered.shape, dtype=bool)
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    run_numbers = xp.cumsum(starts, axis=-1) - 1
    start_positions = xp.where(starts, xp.arange(size), size)
    start_positions.sort(axis=-1)  # each slice's run starts first, in order: run n starts at entry n
    run_length = xp.arange(size) - xp.take_along_axis(start_positions, run_numbers, -1) + 1
    # The first longest run is the smallest most frequent value; its end is its last occurrence.
    run_end = xp.argmax(run_length, axis=-1)[..., None]
    indices = xp.take_along_axis(order, run_end, -1).astype(np.int64)
    indices = xp.moveaxis(indices, -1, axis)
    if x.ndim == 0:
        indices = indices.reshape(())
    values = TakeAlongDim.apply(x, indices, axis)
    if x.ndim and not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return SortResult(values, op_module.Tensor._wrap(indices))


def msort(x):
    """Values sorted along dim 0."""
    return sort(x, 0).values


def _cumulative_extremum(x, dim, ufunc):
    """``(values, indices)`` of the running maximum or minimum along ``dim``; NaN propagates; the index
    is the last position holding the running value (PyTorch's choice, also for NaN)."""
    axis = normalize_dim(dim, x.ndim)
    data = x._data
    xp = namespace_of(data)
    if data.ndim == 0 or data.size == 0:
        return SortResult(x.clone(), op_module.Tensor._wrap(xp.zeros(data.shape, dtype=np.int64)))
    running = ufunc.accumulate(data, axis=axis)
    matches = data == running
    if data.dtype.kind == "f":
        matches |= xp.isnan(data) & xp.isnan(running)
    positions = xp.arange(data.shape[axis]).reshape([-1 if a == axis else 1 for a in range(data.ndim)])
    indices = xp.maximum.accumulate(xp.where(matches, positions, 0), axis=axis).astype(np.int64)
    return SortResult(TakeAlongDim.apply(x, indices, axis), op_module.Tensor._wrap(indices))


def cummax(x, dim):
    return _cumulative_extremum(x, dim, namespace_of(x._data).maximum)


def cummin(x, dim):
    return _cumulative_extremum(x, dim, namespace_of(x._data).minimum)


QUANTILE_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(x, q, dim=None, keepdim=False, *, interpolation="linear", ignore_nan=False):
    """The ``q``-quantiles of ``x`` along ``dim`` (all elements when None), by sorting and interpolating
    between neighbouring order statistics, as PyTorch: a scalar ``q`` gives the reduced shape, a 1-D
    ``q`` of size Q adds a leading dim of size Q. NaN propagates (``ignore_nan``: NaNs are left out).
    Differentiable through the sort and the interpolation weights."""
    Tensor = op_module.Tensor
    if x.dtype.name not in ("float32", "float64"):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if x.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if interpolation not in QUANTILE_INTERPOLATIONS:
        raise RuntimeError(
            f"quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, but got {interpolation}"
        )
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        if q.dtype != x.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        if not bool(((q >= 0) & (q <= 1)).all()):
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
        scalar_q = q.ndim == 0
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q:g}")
        q = Tensor._wrap(namespace_of(x._data).asarray(q, dtype=x._data.dtype))
        scalar_q = True
    if dim is None:
        ordered = x.reshape(-1).sort().values
    else:
        axis = normalize_dim(dim, x.ndim)
        ordered = x.movedim(axis, -1).sort().values if x.ndim else x.reshape(1)
    ordered = ordered.unsqueeze(0)  # (1, ..., n): a leading dim for the quantiles
    size = ordered.shape[-1]
    quantiles = q.reshape([-1] + [1] * (ordered.ndim - 1))
    is_nan = ordered.isnan()
    if ignore_nan:
        # Ranks among the non-NaN values; an all-NaN slice gets rank 0, a NaN.
        ranks = quantiles * ((~is_nan).sum(-1, keepdim=True) - 1)
        ranks = ranks.masked_fill(ranks < 0, 0)
    else:
        # A slice with a NaN gets the last rank, a NaN (sorted last).
        has_nan = is_nan.any(-1, keepdim=True)
        ranks = quantiles * (size - 1)
        ranks = ranks.expand(np.broadcast_shapes(ranks.shape, has_nan.shape)).masked_fill(has_nan, size - 1)
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()
    target_shape = ranks.shape[:-1] + (size,)
    ordered = ordered.expand(target_shape)
    ranks_below = ranks.long()
    result = ordered.gather(-1, ranks_below)
    if interpolation in ("linear", "midpoint"):
        weights = ranks - ranks_below if interpolation == "linear" else ranks.new_full(ranks.shape, 0.5)
        result = result.lerp(ordered.gather(-1, ranks.ceil().long()), weights)
    result = result.squeeze(-1)
    if keepdim:
        if dim is None:
            result = result.reshape([result.shape[0]] + [1] * x.ndim)
        elif x.ndim:
            result = result.unsqueeze(axis + 1)
    return result.squeeze(0) if scalar_q else result


def _unique_runs(x, dim, sort_first, return_inverse, return_counts):
    """``unique``/``unique_consecutive``: the first element (or slice along ``dim``) of each run of equal
    ones, after a stable sort when ``sort_first``; NaNs never equal each other, as in PyTorch. Returns the
    tensor alone, or a tuple with the inverse indices (int64, the input's shape; ``(size,)`` with a
    dim) and the run lengths (int64) when asked."""
    Tensor = op_module.Tensor
    data = x._data
    xp = namespace_of(data)
    if dim is None:
        rows = data.reshape(-1, 1)
    else:
        axis = normalize_dim(dim, data.ndim)
        rows = xp.moveaxis(data, axis, 0).reshape(data.shape[axis] if data.ndim else 1, -1)
    count = rows.shape[0]
    if not sort_first:
        order = xp.arange(count)
    elif rows.shape[1] == 1:
        order = xp.argsort(rows[:, 0], kind="stable")
    else:
        order = xp.lexsort(rows.T[::-1])  # lexicographic order of the slices, the first element primary
    ordered = rows[order]
    starts = xp.ones(count, dtype=bool)
    starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    first_of_runs = xp.nonzero(starts)[0]
    values = ordered[first_of_runs]
    if dim is None:
        values = values.reshape(-1)
    else:
        kept_shape = (data.shape[:axis] + data.shape[axis + 1:]) if data.ndim else ()
        values = xp.moveaxis(values.reshape((len(first_of_runs),) + kept_shape), 0, axis if data.ndim else 0)
    result = (Tensor._wrap(values),)
    if return_inverse:
        inverse = xp.empty(count, dtype=np.int64)
        inverse[order] = xp.cumsum(starts) - 1
        result += (Tensor._wrap(inverse.reshape(data.shape) if dim is None else inverse),)
    if return_counts:
        boundaries = xp.concatenate([first_of_runs, xp.asarray([count])])
        result += (Tensor._wrap(xp.diff(boundaries).astype(np.int64)),)
    return result[0] if len(result) == 1 else result


def unique(x, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements of ``x`` (or distinct slices along ``dim``) in ascending order; PyTorch's CPU
    result is sorted whatever ``sorted`` says, and so is this one."""
    return _unique_runs(x, dim, True, return_inverse, return_counts)


def unique_consecutive(x, return_inverse=False, return_counts=False, dim=None):
    """``x`` with each run of equal consecutive elements (or slices along ``dim``) kept once."""
    return _unique_runs(x, dim, False, return_inverse, return_counts)


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices at which ``values`` would be inserted into the last dim of ``sorted_sequence`` to keep it
    sorted (``right``/``side='right'``: after equal elements). A 1-D sequence serves every value; an N-D one
    has one row per leading index of ``values``, whose leading dims must match. int64 (or int32)."""
    Tensor = op_module.Tensor
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True"
            )
        right = side == "right"
    boundaries = sorted_sequence._data
    xp = namespace_of(boundaries)
    scalar_values = not isinstance(values, Tensor)
    queries = xp.asarray(values) if scalar_values else values._data
    if sorter is not None:
        if tuple(sorter.shape) != boundaries.shape:
            raise RuntimeError(
                "torch.searchsorted(): boundary and sorter must have the same size, but got boundary tensor "
                f"{list(boundaries.shape)}and got sorter tensor {list(sorter.shape)}"
            )
        boundaries = xp.take_along_axis(boundaries, sorter._data, -1)
    if boundaries.ndim > 1 and (scalar_values or boundaries.shape[:-1] != queries.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries "
            f"tensor and input value tensor must match, but we got boundaries tensor {list(boundaries.shape)} and "
            f"input value tensor {list(queries.shape)}"
        )
    side_name = "right" if right else "left"
    if boundaries.ndim <= 1:
        positions = xp.searchsorted(boundaries.reshape(-1), queries, side=side_name)
    else:
        rows = boundaries.reshape(-1, boundaries.shape[-1])
        row_queries = queries.reshape(rows.shape[0], -1)
        positions = xp.stack([xp.searchsorted(row, query, side=side_name) for row, query in zip(rows, row_queries)])
        positions = positions.reshape(queries.shape)
    return Tensor._wrap(xp.asarray(positions, dtype=np.int32 if out_int32 else np.int64))


def bucketize(values, boundaries, *, out_int32=False, right=False):
    """The bucket of each value among the 1-D ``boundaries``: ``searchsorted(boundaries, values)``."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, values, out_int32=out_int32, right=right)


def _not_implemented_for(kernel_name, x):
    """PyTorch's error for a kernel that has no version for x's dtype."""
    return NotImplementedError(f'"{kernel_name}" not implemented for \'{legacy_scalar_name(x.dtype)}\'')


def _require_floating_histogram_input(x, kernel_name):
    if x._data.dtype.kind != "f":
        raise _not_implemented_for(kernel_name, x)


def histc(x, bins=100, min=0, max=0):
    """Counts of ``x`` in ``bins`` equal bins over ``[min, max]`` (the data's range when both are equal;
    one more on each side when that is a single value); elements outside are ignored. x's dtype, ``(bins,)``."""
    _require_floating_histogram_input(x, "histogram_cpu")
    data = x._data.reshape(-1)
    xp = namespace_of(data)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    low, high = float(min), float(max)
    if low == high and data.size:
        low, high = float(data.min()), float(data.max())
    if low == high:
        low, high = low - 1, high + 1
    if low > high:
        raise RuntimeError("torch.histc: max must be larger than min")
    low, high = data.dtype.type(low), data.dtype.type(high)
    inside = data[(data >= low) & (data <= high)]
    # PyTorch's arithmetic in the input's dtype, so that elements next to an edge land in the same bin.
    positions = ((inside - low) * data.dtype.type(bins) / (high - low)).astype(np.int64)
    positions = xp.minimum(positions, bins - 1)
    return op_module.Tensor._wrap(xp.bincount(positions, minlength=bins).astype(data.dtype))


HistogramResult = collections.namedtuple("HistogramResult", ["hist", "bin_edges"])


def histogram(x, bins, *, range=None, weight=None, density=False):
    """``(hist, bin_edges)``: counts (or summed ``weight``; a density when asked) of ``x`` in ``bins``
    equal bins over ``range`` (the data's range, widened by 0.5 each side when it is one value), or in the
    bins between the 1-D tensor of edges ``bins``. The last bin includes its right edge."""
    Tensor = op_module.Tensor
    _require_floating_histogram_input(x, "histogramdd")
    data = x._data.reshape(-1)
    xp = namespace_of(data)
    if isinstance(bins, Tensor):
        edges = bins._data
    else:
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
        if range is not None:
            low, high = float(range[0]), float(range[1])
        elif data.size:
            low, high = float(data.min()), float(data.max())
        else:
            low, high = 0.0, 1.0
        if low > high:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {low:g} max {high:g} for dimension 0")
        if low == high:
            low, high = low - 0.5, high + 0.5
        edges = xp.linspace(low, high, bins + 1).astype(data.dtype)
    bin_count = edges.shape[0] - 1
    inside = (data >= edges[0]) & (data <= edges[-1])
    positions = xp.minimum(xp.searchsorted(edges, data[inside], side="right") - 1, bin_count - 1)
    weights = None if weight is None else weight._data.reshape(-1)[inside]
    hist = xp.bincount(positions, weights=weights, minlength=bin_count).astype(data.dtype)
    if density:
        hist = hist / (hist.sum() * xp.diff(edges))
    return HistogramResult(Tensor._wrap(hist), Tensor._wrap(edges.copy()))


def bincount(x, weights=None, minlength=0):
    """How often each value ``0..max(x)`` occurs in the 1-D non-negative integer ``x`` (at least
    ``minlength`` bins), or the sum of ``weights`` per value: int64, or the weights' floating dtype
    (float64 for integer weights)."""
    data = x._data
    xp = namespace_of(data)
    if data.dtype.kind not in "ui":
        raise _not_implemented_for("bincount_cpu", x)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if data.ndim != 1 or (data.size and bool(data.min() < 0)):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return op_module.Tensor._wrap(xp.bincount(data, minlength=minlength).astype(np.int64))
    weight_data = weights._data
    if weight_data.ndim != 1 or weight_data.shape[0] != data.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    result_dtype = weight_data.dtype if weight_data.dtype.kind == "f" else np.float64
    return op_module.Tensor._wrap(xp.bincount(data, weights=weight_data, minlength=minlength).astype(result_dtype))
