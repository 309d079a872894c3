"""Sorting ops: ``sort`` and ``topk`` return (values, indices); values' gradient scatters back."""
import collections

import numpy as np

from . import op as op_module
from .op import Op
from .reduction import normalize_dim

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
