"""Direct convolution on the CPU: the C kernels of ``kernels/convolution.c`` (AVX-512, float32).

For float32 NumPy arrays, stride 1 and one group, ``spindle.ops.convolution`` hands its forward
product and its weight gradient to these kernels instead of building the im2col matrix: they read
the zero-padded input in place, which saves the im2col copy (kh * kw times the input) and keeps the
arithmetic in registers (see the C file). The input gradient of such a convolution is itself one
(the "full" convolution with the flipped kernel), so it runs here too. Everything else, and every
machine without AVX-512 or a C compiler, keeps the im2col + GEMM path, which is also the GPU's.
"""
import ctypes
import functools

import numpy

from . import native

_ROWS = 8  # output channels per forward tile: ROWS in convolution.c
_GRADIENT_SLACK = 16  # readable elements the weight kernel needs after the input, beyond (kw - 1) * dw
_CHUNK_BYTES = 2**20  # images per weight-gradient chunk: about this much input and gradient (the L2 cache)


class _Shape(ctypes.Structure):
    _fields_ = [(name, ctypes.c_long) for name in (
        "batch", "channels", "height", "width", "out_channels", "output_height", "output_width", "depth")]


@functools.cache
def _kernels():
    library = native.library("convolution")
    if library is None or not library.has_avx512():
        return None
    library.convolution_forward_float32.argtypes = [ctypes.c_void_p] * 4 + [ctypes.POINTER(_Shape)]
    library.convolution_weight_float32.argtypes = [ctypes.c_void_p] * 4 + [ctypes.POINTER(_Shape), ctypes.c_long]
    library.convolution_weight_float32.restype = None
    return library


def applies(x, weight_or_grad, geometry):
    """Whether these kernels compute the convolution of ``x`` in ``geometry`` (with this weight, or
    this output gradient for the weight gradient)."""
    return (native.enabled and type(x) is numpy.ndarray and type(weight_or_grad) is numpy.ndarray
            and x.dtype == numpy.float32 and weight_or_grad.dtype == numpy.float32
            and geometry.groups == 1 and geometry.stride == (1, 1) and _kernels() is not None)


def _padded(x, geometry, slack=0):
    """``x`` (N, C, H, W) zero-padded as ``geometry`` says, C-contiguous, with ``slack`` zeros after it."""
    (top, bottom), (left, right) = geometry.padding
    batch, channels, height, width = x.shape
    if not (top or bottom or left or right or slack) and x.flags.c_contiguous:
        return x
    shape = (batch, channels, top + height + bottom, left + width + right)
    storage = numpy.zeros(numpy.prod(shape) + slack, dtype=x.dtype)
    padded = storage[: storage.size - slack].reshape(shape)
    padded[:, :, top : top + height, left : left + width] = x
    return padded


def _offsets(padded, geometry):
    """The input offset of each (channel, kernel row, kernel column), relative to an output position."""
    channels, height, width = padded.shape[1:]
    (kernel_height, kernel_width), (dilation_h, dilation_w) = geometry.kernel_size, geometry.dilation
    return (numpy.arange(channels)[:, None, None] * (height * width)
            + numpy.arange(kernel_height)[None, :, None] * (dilation_h * width)
            + numpy.arange(kernel_width)[None, None, :] * dilation_w).reshape(-1)


def _shape(padded, out_channels, geometry):
    batch, channels, height, width = padded.shape
    kernel_height, kernel_width = geometry.kernel_size
    return _Shape(batch, channels, height, width, out_channels, *geometry.output_size,
                  channels * kernel_height * kernel_width)


def forward(x, weight, geometry):
    """``conv2d(x, weight)`` without bias: ``x`` (N, C, H, W), ``weight`` (O, C, kh, kw) -> (N, O, OH, OW)."""
    padded = _padded(x, geometry)
    out_channels = weight.shape[0]
    blocks = -(-out_channels // _ROWS)
    # (blocks, C * kh * kw, ROWS): the ROWS weights a tile broadcasts at one kernel entry are adjacent.
    packed = numpy.zeros((blocks * _ROWS, weight[0].size), dtype=numpy.float32)
    packed[:out_channels] = weight.reshape(out_channels, -1)
    packed = numpy.ascontiguousarray(packed.reshape(blocks, _ROWS, -1).transpose(0, 2, 1))
    offsets = _offsets(padded, geometry)
    output = numpy.empty((x.shape[0], out_channels) + tuple(geometry.output_size), dtype=numpy.float32)
    status = _kernels().convolution_forward_float32(
        padded.ctypes.data, packed.ctypes.data, offsets.ctypes.data, output.ctypes.data,
        ctypes.byref(_shape(padded, out_channels, geometry)))
    if status != 0:
        raise MemoryError("conv2d: could not allocate the convolution kernel's tile buffer")
    return output


def weight_gradient(x, grad, geometry):
    """The weight gradient of ``conv2d``: ``x`` (N, C, H, W), ``grad`` (N, O, OH, OW) -> (O, C, kh, kw)."""
    kernel_width, dilation_w = geometry.kernel_size[1], geometry.dilation[1]
    padded = _padded(x, geometry, slack=(kernel_width - 1) * dilation_w + _GRADIENT_SLACK)
    batch, out_channels, output_height, output_width = grad.shape
    width = padded.shape[3]
    # Positions run over the padded width: the gradient gets zero columns there.
    grad_rows = numpy.zeros((batch, out_channels, output_height, width), dtype=numpy.float32)
    grad_rows[..., :output_width] = grad
    offsets = _offsets(padded, geometry)
    grad_weight = numpy.empty((out_channels, x.shape[1]) + tuple(geometry.kernel_size), dtype=numpy.float32)
    image_bytes = (out_channels + x.shape[1]) * padded[0, 0].size * 4
    _kernels().convolution_weight_float32(
        padded.ctypes.data, grad_rows.ctypes.data, offsets.ctypes.data, grad_weight.ctypes.data,
        ctypes.byref(_shape(padded, out_channels, geometry)), max(1, _CHUNK_BYTES // image_bytes))
    return grad_weight
