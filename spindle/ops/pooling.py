"""Pooling over sliding windows laid out by ``ConvolutionGeometry`` (see ``convolution``).

* ``MaxPool``: the largest value of each window, remembering which kernel offset won (the first
  largest in row-major window order; a NaN always wins, as in PyTorch). Padding never wins.
* ``WindowSum`` and ``WindowSpread``: the sum of each window's input pixels, and its adjoint (each
  output value added back to the pixels of its window). Average pooling divides the sum.
* ``WindowSelect`` and ``WindowScatter``: read each window's winning pixel, and the adjoint (send each
  output value to its window's winning pixel). They are max pooling's backward and double backward.

Each op is linear or piecewise linear and written as kh * kw strided array operations, one per kernel
offset, over the array namespace of its input (NumPy or CuPy): no loop over pixels, channels or images.
"""
from ..autograd.grad_mode import state
from ..backend import namespace_of
from . import op as op_module
from .convolution import add_windows
from .op import Op


def _offset_blocks(geometry):
    """(offset number, output index, input index) for every kernel offset that reads some input pixel."""
    blocks = []
    for number, (i, j) in enumerate(geometry.kernel_offsets()):
        slices = geometry.offset_slices(i, j)
        if slices is not None:
            blocks.append((number, (Ellipsis,) + slices[0], (Ellipsis,) + slices[1]))
    return blocks


def _first_valid_offsets(geometry, axis):
    """For each output position along ``axis``, the first kernel offset whose pixel is in the input."""
    stride, dilation = geometry.stride[axis], geometry.dilation[axis]
    before = geometry.padding[axis][0]
    return [max(0, -((position * stride - before) // dilation)) for position in range(geometry.output_size[axis])]


class MaxPool(Op):
    """``max_pool2d``: ``x`` (N, C, H, W) -> (N, C, OH, OW), the maximum of each window."""

    def forward(self, x, geometry):
        namespace = namespace_of(x)
        self.geometry = geometry
        shape = x.shape[:2] + tuple(geometry.output_size)
        floating = x.dtype.kind == "f"
        lowest = -namespace.inf if floating else namespace.iinfo(x.dtype).min
        best = namespace.full(shape, lowest, dtype=x.dtype)
        # A window whose pixels all hold the lowest value reports its first pixel, as PyTorch's does.
        rows = namespace.asarray(_first_valid_offsets(geometry, 0))
        columns = namespace.asarray(_first_valid_offsets(geometry, 1))
        first = rows[:, None] * geometry.kernel_size[1] + columns[None, :]
        winner = namespace.empty(shape, dtype=namespace.int32)
        winner[...] = first
        for number, output_index, input_index in _offset_blocks(geometry):
            candidate = x[input_index]
            current = best[output_index]
            better = candidate > current
            if floating:
                better |= namespace.isnan(candidate)
            namespace.copyto(current, candidate, where=better)
            namespace.copyto(winner[output_index], number, where=better)
        self.winner = winner
        return best

    @classmethod
    def values_and_indices(cls, x, geometry):
        """The pooled tensor and the int64 tensor of ``indices()`` (``return_indices=True``)."""
        node = cls.__new__(cls)
        values = node.forward(x._data, geometry)
        indices = op_module.Tensor._wrap(node.indices())
        if state.enabled and x._requires_grad:
            return node.connect(values, (x, geometry)), indices
        return op_module.Tensor._wrap(values), indices

    def indices(self):
        """Flat indices (row * W + column) into each input plane of the winning pixels, as int64."""
        namespace = namespace_of(self.winner)
        geometry = self.geometry
        (stride_h, stride_w), (dilation_h, dilation_w) = geometry.stride, geometry.dilation
        kernel_width = geometry.kernel_size[1]
        output_height, output_width = geometry.output_size
        winner = self.winner.astype(namespace.int64)
        rows = (namespace.arange(output_height)[:, None] * stride_h - geometry.padding[0][0]
                + (winner // kernel_width) * dilation_h)
        columns = (namespace.arange(output_width) * stride_w - geometry.padding[1][0]
                   + (winner % kernel_width) * dilation_w)
        return rows * geometry.input_size[1] + columns

    def backward(self, grad):
        return WindowScatter.apply(grad, self.winner, self.geometry)


class WindowSelect(Op):
    """``x`` (N, C, H, W) -> (N, C, OH, OW): each window's pixel at the kernel offset ``winner`` names."""

    def forward(self, x, winner, geometry):
        namespace = namespace_of(x)
        self.winner, self.geometry = winner, geometry
        output = namespace.zeros(winner.shape, dtype=x.dtype)
        for number, output_index, input_index in _offset_blocks(geometry):
            namespace.copyto(output[output_index], x[input_index], where=winner[output_index] == number)
        return output

    def backward(self, grad):
        return WindowScatter.apply(grad, self.winner, self.geometry)


class WindowScatter(Op):
    """The adjoint of ``WindowSelect``: ``y`` (N, C, OH, OW) -> (N, C, H, W), each value added to its
    window's pixel at the offset ``winner`` names."""

    def forward(self, y, winner, geometry):
        namespace = namespace_of(y)
        self.winner, self.geometry = winner, geometry
        target = namespace.zeros(y.shape[:2] + tuple(geometry.input_size), dtype=y.dtype)
        for number, output_index, input_index in _offset_blocks(geometry):
            target[input_index] += namespace.where(winner[output_index] == number, y[output_index], 0)
        return target

    def backward(self, grad):
        return WindowSelect.apply(grad, self.winner, self.geometry)


class WindowSum(Op):
    """``x`` (N, C, H, W) -> (N, C, OH, OW): the sum of each window's input pixels (padding adds 0)."""

    def forward(self, x, geometry):
        namespace = namespace_of(x)
        self.geometry = geometry
        output = namespace.zeros(x.shape[:2] + tuple(geometry.output_size), dtype=x.dtype)
        for _, output_index, input_index in _offset_blocks(geometry):
            output[output_index] += x[input_index]
        return output

    def backward(self, grad):
        return WindowSpread.apply(grad, self.geometry)


class WindowSpread(Op):
    """The adjoint of ``WindowSum``: ``y`` (N, C, OH, OW) -> (N, C, H, W), each value added to every
    input pixel of its window."""

    def forward(self, y, geometry):
        namespace = namespace_of(y)
        self.geometry = geometry
        kernel_height, kernel_width = geometry.kernel_size
        windows = namespace.broadcast_to(
            y[:, :, None, None], y.shape[:2] + (kernel_height, kernel_width) + y.shape[2:]
        )
        target = namespace.zeros(y.shape[:2] + tuple(geometry.input_size), dtype=y.dtype)
        return add_windows(target, windows, geometry)

    def backward(self, grad):
        return WindowSum.apply(grad, self.geometry)
