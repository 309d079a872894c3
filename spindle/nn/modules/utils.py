"""Argument helpers at PyTorch's path ``torch.nn.modules.utils``: ``_pair(3) == (3, 3)``, and a
tuple or list is kept as a tuple."""
import collections.abc
from itertools import repeat

__all__ = []


def _ntuple(count, name="parse"):
    def parse(value):
        if isinstance(value, collections.abc.Iterable) and not isinstance(value, str):
            return tuple(value)
        return tuple(repeat(value, count))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(values, count):
    """``(1, 2)`` with count 2 -> ``(2, 2, 1, 1)``: per-dim padding in ``F.pad``'s last-dim-first order."""
    return tuple(value for value in reversed(values) for _ in range(count))
