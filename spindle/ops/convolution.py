"""Convolution by im2col and one matrix multiply (the seed lectures' method), with its adjoints.

Layout is PyTorch's NCHW. A convolution of ``x`` (N, C, H, W) with ``weight`` (O, C/groups, kh, kw)
reads, for every output pixel, a kh x kw window of the zero-padded input. The windows are a strided
view of the padded array (no copy: ``as_strided``); one copy turns them into the column matrix
(im2col) with one row per (channel, kernel row, kernel column), in the weight's order, and one column
per output pixel of every image. One GEMM per group, batched over the groups, multiplies the weight
matrix with it. The batch sits inside the GEMM's columns, so BLAS sees a single large product.

Three linear maps share this arithmetic and are each other's adjoints, so each one's backward is made
of the others (and double backward works to any order):

* ``Convolution``           x, weight -> y   (``conv2d``)
* ``ConvolutionTranspose``  y, weight -> x   (``conv_transpose2d``; the input gradient of a convolution)
* ``ConvolutionWeight``     x, y -> weight   (the weight gradient of both)

``ConvolutionTranspose`` multiplies by the transposed weight matrix and adds the columns back into
the image (col2im): one strided add per kernel offset, never a loop over pixels, channels or images.
``Unfold`` and ``Fold`` are im2col and col2im on their own (``F.unfold`` / ``F.fold``). 1-D
convolutions are 2-D ones of height 1. Everything runs on the array namespace of its inputs (NumPy
or CuPy).

On the CPU, float32 convolutions with one group take the direct C kernels of
``backend.cpu_convolution`` instead, for all three maps: they read the padded input in place, where
im2col's copy and OpenBLAS's GEMM on these skinny shapes cost twice PyTorch's time. The im2col + GEMM
path serves every other case (float64, groups, CuPy, machines without the kernels).
"""
from typing import NamedTuple

from ..backend import cpu_convolution, namespace_of
from .op import Op


class ConvolutionGeometry(NamedTuple):
    """The sizes of a 2-D sliding-window layout, each a (height, width) pair.

    ``input_size`` is the unpadded input's, ``output_size`` the number of window positions,
    ``padding`` a ((top, bottom), (left, right)) pair of pairs. Output pixel (oh, ow) reads, at
    kernel offset (i, j), input pixel (oh * stride_h + i * dilation_h - top,
    ow * stride_w + j * dilation_w - left); pixels outside the input are padding.
    """

    input_size: tuple
    output_size: tuple
    kernel_size: tuple
    stride: tuple
    dilation: tuple
    padding: tuple
    groups: int = 1

    def kernel_offsets(self):
        """All kernel offsets (i, j), row by row."""
        kernel_height, kernel_width = self.kernel_size
        return [(i, j) for i in range(kernel_height) for j in range(kernel_width)]

    def offset_slices(self, i, j):
        """For kernel offset (i, j): ``(output_index, input_index)``, index tuples over the last two
        dims such that ``output[..., output_index]`` reads ``input[..., input_index]`` at this offset,
        leaving out the output pixels whose input pixel is padding. None if all of them are."""
        rows = _axis_slices(i, 0, self)
        columns = _axis_slices(j, 1, self)
        if rows is None or columns is None:
            return None
        return (rows[0], columns[0]), (rows[1], columns[1])


def _axis_slices(offset, axis, geometry):
    """(output slice, input slice) of one spatial axis at one kernel offset (see ``offset_slices``)."""
    stride = geometry.stride[axis]
    size = geometry.input_size[axis]
    shift = offset * geometry.dilation[axis] - geometry.padding[axis][0]  # input position of output 0
    first = max(0, -(shift // stride))
    last = min(geometry.output_size[axis] - 1, (size - 1 - shift) // stride)
    if last < first:
        return None
    return slice(first, last + 1), slice(first * stride + shift, last * stride + shift + 1, stride)


def _windows(x, geometry):
    """The windows of ``x`` (N, C, H, W) as a strided view (N, C, kh, kw, OH, OW) of its zero-padded copy:
    ``windows[n, c, i, j, oh, ow]`` is what output pixel (oh, ow) reads at kernel offset (i, j)."""
    namespace = namespace_of(x)
    (top, bottom), (left, right) = geometry.padding
    if top or bottom or left or right:
        batch, channels, height, width = x.shape
        padded = namespace.zeros((batch, channels, height + top + bottom, width + left + right), dtype=x.dtype)
        padded[:, :, top : top + height, left : left + width] = x
        x = padded
    batch_stride, channel_stride, row_stride, column_stride = x.strides
    (kernel_height, kernel_width), (output_height, output_width) = geometry.kernel_size, geometry.output_size
    (dilation_h, dilation_w), (stride_h, stride_w) = geometry.dilation, geometry.stride
    return namespace.lib.stride_tricks.as_strided(
        x,
        shape=(x.shape[0], x.shape[1], kernel_height, kernel_width, output_height, output_width),
        strides=(
            batch_stride,
            channel_stride,
            row_stride * dilation_h,
            column_stride * dilation_w,
            row_stride * stride_h,
            column_stride * stride_w,
        ),
    )


def _columns(x, geometry):
    """im2col for the GEMM: (groups, C/groups * kh * kw, N * OH * OW), contiguous, rows in the weight's
    (channel, kernel row, kernel column) order, columns over (image, output row, output column)."""
    windows = _windows(x, geometry)
    columns = namespace_of(x).ascontiguousarray(windows.transpose(1, 2, 3, 0, 4, 5))
    return columns.reshape(geometry.groups, -1, columns.shape[3] * columns.shape[4] * columns.shape[5])


def add_windows(target, windows, geometry):
    """col2im: add ``windows`` (N, C, kh, kw, OH, OW; any strides) into ``target`` (N, C, H, W) at
    the pixels they were read from; what falls in the padding is dropped. One add per kernel offset."""
    for i, j in geometry.kernel_offsets():
        slices = geometry.offset_slices(i, j)
        if slices is not None:
            output_index, input_index = slices
            target[(Ellipsis,) + input_index] += windows[(slice(None), slice(None), i, j) + output_index]
    return target


# Images per GEMM: enough for this many matrix columns (output pixels), so that small feature maps still
# give BLAS a wide product, while each chunk's column matrix stays small. A full-batch column matrix is
# kh * kw times the input: allocating and filling it fresh costs about as much as the GEMM.
_COLUMNS_PER_CHUNK = 1024


def _batch_chunks(batch, geometry):
    """Slices of the batch, each holding about ``_COLUMNS_PER_CHUNK`` output pixels."""
    output_height, output_width = geometry.output_size
    step = max(1, _COLUMNS_PER_CHUNK // max(1, output_height * output_width))
    return [slice(start, min(start + step, batch)) for start in range(0, batch, step)]


def _output_matrix(y, geometry):
    """``y`` (N, O, OH, OW) as the GEMM's (groups, O/groups, N * OH * OW) matrix (a transposed copy)."""
    batch, channels = y.shape[0], y.shape[1]
    matrix = namespace_of(y).ascontiguousarray(y.reshape(batch, channels, -1).transpose(1, 0, 2))
    return matrix.reshape(geometry.groups, channels // geometry.groups, -1)


def _weight_matrix(weight, groups):
    """``weight`` (O, C/groups, kh, kw) as (groups, O/groups, C/groups * kh * kw)."""
    return weight.reshape(groups, weight.shape[0] // groups, -1)


def _bias_view(bias):
    return bias.reshape(1, -1, 1, 1)


def _im2col_convolution(x, weight, geometry):
    """``conv2d(x, weight)`` without bias as im2col and one GEMM per chunk of the batch."""
    namespace = namespace_of(x)
    weight_matrix = _weight_matrix(weight, geometry.groups)
    batch, channels = x.shape[0], weight.shape[0]
    output = namespace.empty((batch, channels, geometry.output_size[0] * geometry.output_size[1]),
                             dtype=namespace.result_type(x, weight))
    for chunk in _batch_chunks(batch, geometry):
        product = namespace.matmul(weight_matrix, _columns(x[chunk], geometry))
        output[chunk] = product.reshape(channels, -1, output.shape[2]).transpose(1, 0, 2)
    return output.reshape((batch, channels) + tuple(geometry.output_size))


class Convolution(Op):
    """``y = conv2d(x, weight, bias)`` for ``x`` (N, C, H, W), ``weight`` (O, C/groups, kh, kw),
    ``bias`` (O,) or None; ``y`` (N, O, OH, OW). im2col + GEMM chunk by chunk of the batch
    (``_batch_chunks``), or the CPU's direct kernels where they apply (``backend.cpu_convolution``)."""

    save_inputs = (0, 1)

    def forward(self, x, weight, bias, geometry):
        self.geometry = geometry
        if cpu_convolution.applies(x, weight, geometry):
            output = cpu_convolution.forward(x, weight, geometry)
        else:
            output = _im2col_convolution(x, weight, geometry)
        if bias is not None:
            output += _bias_view(bias)
        return output

    def backward(self, grad):
        x, weight, bias, geometry = self.inputs
        grad_x = grad_weight = grad_bias = None
        if self.needs_grad(0):
            grad_x = ConvolutionTranspose.apply(grad, weight, None, geometry)
        if self.needs_grad(1):
            grad_weight = ConvolutionWeight.apply(x, grad, geometry)
        if self.needs_grad(2):
            grad_bias = grad.sum((0, 2, 3))
        return grad_x, grad_weight, grad_bias


def _full_convolution_geometry(geometry):
    """For stride 1, the transposed convolution is the "full" convolution of ``y`` with the flipped
    kernel: the same GEMM as a forward convolution, with im2col instead of col2im's nine strided adds.
    Its geometry (``y``'s size in, the input size out), or None where it does not apply (strides, or
    padding beyond the kernel's extent)."""
    if geometry.stride != (1, 1):
        return None
    # Padded by (extent - 1 - before) in front, and behind by what makes the output the input's size
    # (more than the mirror image where the input has rows no window reads, as with output_padding).
    padding = tuple(
        (rate * (kernel - 1) - before, input_size - output_size + before)
        for rate, kernel, (before, _), input_size, output_size in zip(
            geometry.dilation, geometry.kernel_size, geometry.padding, geometry.input_size, geometry.output_size
        )
    )
    if min(min(pair) for pair in padding) < 0:
        return None
    return geometry._replace(input_size=geometry.output_size, output_size=geometry.input_size, padding=padding)


def _flipped_weight(weight, groups):
    """The full convolution's kernel: ``weight`` (O, C/groups, kh, kw) with in and out channels swapped
    within each group and both spatial axes reversed, (C, O/groups, kh, kw)."""
    out_channels, group_channels, kernel_height, kernel_width = weight.shape
    grouped = weight.reshape(groups, out_channels // groups, group_channels, kernel_height, kernel_width)
    flipped = grouped.transpose(0, 2, 1, 3, 4)[:, :, :, ::-1, ::-1]
    return namespace_of(weight).ascontiguousarray(flipped).reshape(
        groups * group_channels, out_channels // groups, kernel_height, kernel_width
    )


def _col2im_transposed(y, weight, geometry):
    """``conv_transpose2d(y, weight)`` without bias as one GEMM per chunk of the batch and col2im."""
    namespace = namespace_of(y)
    transposed_weight = _weight_matrix(weight, geometry.groups).transpose(0, 2, 1)
    batch = y.shape[0]
    channels = weight.shape[1] * geometry.groups
    (kernel_height, kernel_width), (output_height, output_width) = geometry.kernel_size, geometry.output_size
    x = namespace.zeros((batch, channels) + tuple(geometry.input_size), dtype=namespace.result_type(y, weight))
    for chunk in _batch_chunks(batch, geometry):
        columns = namespace.matmul(transposed_weight, _output_matrix(y[chunk], geometry))
        windows = columns.reshape(channels, kernel_height, kernel_width, -1, output_height, output_width)
        add_windows(x[chunk], windows.transpose(3, 0, 1, 2, 4, 5), geometry)
    return x


class ConvolutionTranspose(Op):
    """``x = conv_transpose2d(y, weight, bias)``: the adjoint of ``Convolution`` in its input. ``y``
    (N, O, OH, OW), ``weight`` (O, C/groups, kh, kw), ``bias`` (C,) or None; ``x`` (N, C, H, W)
    with (H, W) = ``geometry.input_size``."""

    save_inputs = (0, 1)

    def forward(self, y, weight, bias, geometry):
        self.geometry = geometry
        full_geometry = _full_convolution_geometry(geometry)
        if cpu_convolution.applies(y, weight, geometry):
            x = cpu_convolution.transposed(y, weight, geometry)
        elif full_geometry is not None:
            x = _im2col_convolution(y, _flipped_weight(weight, geometry.groups), full_geometry)
        else:
            x = _col2im_transposed(y, weight, geometry)
        if bias is not None:
            x += _bias_view(bias)
        return x

    def backward(self, grad):
        y, weight, bias, geometry = self.inputs
        grad_y = grad_weight = grad_bias = None
        if self.needs_grad(0):
            grad_y = Convolution.apply(grad, weight, None, geometry)
        if self.needs_grad(1):
            grad_weight = ConvolutionWeight.apply(grad, y, geometry)
        if self.needs_grad(2):
            grad_bias = grad.sum((0, 2, 3))
        return grad_y, grad_weight, grad_bias


class ConvolutionWeight(Op):
    """The weight gradient of ``Convolution``: ``sum over images and pixels of y x columns(x)^T``, for
    ``x`` (N, C, H, W) and ``y`` (N, O, OH, OW); result (O, C/groups, kh, kw)."""

    save_inputs = (0, 1)

    def forward(self, x, y, geometry):
        namespace = namespace_of(x)
        self.geometry = geometry
        if cpu_convolution.applies(x, y, geometry):
            return cpu_convolution.weight_gradient(x, y, geometry)
        kernel_height, kernel_width = geometry.kernel_size
        # (groups, C/groups*kh*kw, O/groups): BLAS runs this orientation faster than its transpose.
        weight = namespace.zeros((geometry.groups, x.shape[1] // geometry.groups * kernel_height * kernel_width,
                                  y.shape[1] // geometry.groups), dtype=namespace.result_type(x, y))
        for chunk in _batch_chunks(x.shape[0], geometry):
            weight += namespace.matmul(_columns(x[chunk], geometry), _output_matrix(y[chunk], geometry).transpose(0, 2, 1))
        return namespace.ascontiguousarray(weight.transpose(0, 2, 1)).reshape(
            (y.shape[1], x.shape[1] // geometry.groups) + tuple(geometry.kernel_size)
        )

    def backward(self, grad):
        x, y, geometry = self.inputs
        grad_x = grad_y = None
        if self.needs_grad(0):
            grad_x = ConvolutionTranspose.apply(y, grad, None, geometry)
        if self.needs_grad(1):
            grad_y = Convolution.apply(x, grad, None, geometry)
        return grad_x, grad_y


class Unfold(Op):
    """im2col (``F.unfold``): ``x`` (N, C, H, W) -> (N, C * kh * kw, OH * OW), rows in (channel,
    kernel row, kernel column) order."""

    def forward(self, x, geometry):
        self.geometry = geometry
        windows = _windows(x, geometry)
        # Always a new array: for some geometries the windows are a plain view of x.
        columns = namespace_of(x).empty(windows.shape, dtype=x.dtype)
        columns[...] = windows
        batch, channels = x.shape[0], x.shape[1]
        return columns.reshape(batch, channels * windows.shape[2] * windows.shape[3], -1)

    def backward(self, grad):
        return Fold.apply(grad, self.geometry)


class Fold(Op):
    """col2im (``F.fold``), the adjoint of ``Unfold``: (N, C * kh * kw, L) -> (N, C, H, W), summing
    the values that windows share."""

    def forward(self, columns, geometry):
        self.geometry = geometry
        namespace = namespace_of(columns)
        (kernel_height, kernel_width), (output_height, output_width) = geometry.kernel_size, geometry.output_size
        batch = columns.shape[0]
        channels = columns.shape[1] // (kernel_height * kernel_width)
        windows = columns.reshape(batch, channels, kernel_height, kernel_width, output_height, output_width)
        target = namespace.zeros((batch, channels) + tuple(geometry.input_size), dtype=columns.dtype)
        return add_windows(target, windows, geometry)

    def backward(self, grad):
        return Unfold.apply(grad, self.geometry)
