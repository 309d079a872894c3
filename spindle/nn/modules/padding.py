"""Padding layers: ``ConstantPad``, ``ZeroPad``, ``ReflectionPad``, ``ReplicationPad`` and
``CircularPad`` in 1, 2 and 3 dims, as modules over ``F.pad``.

``padding`` is an int (the same amount on every side) or a tuple ``(left, right[, top, bottom[,
front, back]])`` in ``F.pad``'s order, last dim first; an ND layer pads the last N dims of a
batched or unbatched input.
"""
from spindle.nn import functional as F

from .module import Module
from .utils import _ntuple

__all__ = [
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
    "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
]


class _PadNd(Module):
    """Pads with ``F.pad`` in ``mode``; subclasses set ``mode`` and ``dims`` (the dims padded)."""

    mode = None
    dims = None

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(2 * self.dims)(padding)

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``."""

    dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last 2 dims with ``value``."""

    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last 3 dims with ``value``."""

    dims = 3


class _ZeroPad:
    """Mixin turning a ``ConstantPadNd`` into the matching ``ZeroPadNd`` (value 0, shorter repr)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    """Pad the last dim with zeros."""


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    """Pad the last 2 dims with zeros."""


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    """Pad the last 3 dims with zeros."""


class ReflectionPad1d(_PadNd):
    """Pad the last dim with its reflection (the edge not repeated)."""

    mode, dims = "reflect", 1


class ReflectionPad2d(_PadNd):
    """Pad the last 2 dims with their reflection (the edge not repeated)."""

    mode, dims = "reflect", 2


class ReflectionPad3d(_PadNd):
    """Pad the last 3 dims with their reflection (the edge not repeated)."""

    mode, dims = "reflect", 3


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating its edge values."""

    mode, dims = "replicate", 1


class ReplicationPad2d(_PadNd):
    """Pad the last 2 dims by repeating their edge values."""

    mode, dims = "replicate", 2


class ReplicationPad3d(_PadNd):
    """Pad the last 3 dims by repeating their edge values."""

    mode, dims = "replicate", 3


class _CircularPadNd(_PadNd):
    """Pad by wrapping around; the input must have ``dims + 1`` or ``dims + 2`` dims."""

    mode = "circular"

    def forward(self, input):
        if input.dim() not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"expected {self.dims + 1}D or {self.dims + 2}D input (got {input.dim()}D input)")
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    """Pad the last dim circularly (values from its other end)."""

    dims = 1


class CircularPad2d(_CircularPadNd):
    """Pad the last 2 dims circularly (values from their other ends)."""

    dims = 2


class CircularPad3d(_CircularPadNd):
    """Pad the last 3 dims circularly (values from their other ends)."""

    dims = 3
