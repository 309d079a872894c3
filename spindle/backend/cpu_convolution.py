"""Direct convolution on the CPU: the C kernels of ``kernels/convolution.c`` (AVX-512 or AVX2 with FMA, float32).

For float32 NumPy arrays and one group, ``spindle.ops.convolution`` hands its forward product, its
weight gradient and its transposed product (the input gradient, ``conv_transpose2d``) to these
kernels instead of building the im2col matrix: they read the zero-padded input in place (split
into stride phases, see ``_planes``), which saves the im2col copy (kh * kw times the input) and
keeps the arithmetic in registers (see the C file). Everything else, and every machine without AVX2 and FMA or without a C compiler, keeps the
im2col + GEMM path, which is also the GPU's.

The kernels use the best instruction set of the CPU; ``SPINDLE_CONVOLUTION_ISA=avx2`` (read at
import) or ``set_instruction_set("avx2")`` makes an AVX-512 machine run the AVX2 ones instead.
"""
import ctypes
import functools
import os
import warnings
from typing import NamedTuple

import numpy

from . import native
from .threads import get_num_threads

_ROWS = 8  # output channels per forward tile: ROWS in convolution.c
# The gradient's channels are padded to a multiple of this: the weight-gradient tiles' channels in
# convolution.c (32 with AVX-512, 16 with AVX2).
_GRADIENT_CHANNELS = 32
_CHUNK_BYTES = 2**20  # images per weight-gradient chunk: about this much input and gradient (the L2 cache)
# The instruction sets of the kernels, by their number in convolution.c (0: the best the CPU has).
INSTRUCTION_SETS = {"avx2": 1, "avx512": 2}
# The instruction set the kernels are to use, None for the best one.
_REQUESTED_INSTRUCTION_SET = os.environ.get("SPINDLE_CONVOLUTION_ISA") or None


class _Shape(ctypes.Structure):
    _fields_ = [(name, ctypes.c_long) for name in (
        "batch", "channels", "height", "width", "out_channels", "output_height", "output_width", "depth")]


class _PlanesShape(ctypes.Structure):
    _fields_ = [(name, ctypes.c_long) for name in (
        "images", "height", "width", "stride_h", "stride_w", "top", "left", "plane_height", "plane_width")]


@functools.cache
def _kernels():
    """The kernel library, or None where it cannot be built or the CPU lacks AVX2 and FMA."""
    library = native.library("convolution")
    if library is None or library.supported_instruction_set() < INSTRUCTION_SETS["avx2"]:
        return None
    if _REQUESTED_INSTRUCTION_SET is not None:
        try:
            _set_instruction_set(library, _REQUESTED_INSTRUCTION_SET)
        except ValueError as error:
            warnings.warn(f"spindle: SPINDLE_CONVOLUTION_ISA is ignored: {error}", RuntimeWarning, stacklevel=2)
    library.convolution_forward_float32.argtypes = [ctypes.c_void_p] * 4 + [ctypes.POINTER(_Shape), ctypes.c_long]
    library.convolution_weight_float32.argtypes = (
        [ctypes.c_void_p] * 4 + [ctypes.POINTER(_Shape), ctypes.c_long, ctypes.c_long, ctypes.c_long])
    library.convolution_weight_float32.restype = None
    library.stride_planes_float32.argtypes = [ctypes.c_void_p] * 2 + [ctypes.POINTER(_PlanesShape), ctypes.c_long]
    library.stride_planes_float32.restype = None
    library.channels_last_float32.argtypes = [ctypes.c_void_p] * 2 + [ctypes.c_long] * 5
    library.channels_last_float32.restype = None
    return library


def _set_instruction_set(library, name):
    number = 0 if name is None else INSTRUCTION_SETS.get(name)
    if number is None:
        raise ValueError(f"unknown instruction set {name!r}, expected one of {sorted(INSTRUCTION_SETS)}")
    if library.set_instruction_set(number) != 0:
        raise ValueError(f"this CPU does not run the {name} kernels")


def set_instruction_set(name):
    """Makes the kernels use instruction set ``name`` ("avx2" or "avx512"; None: the best the CPU
    has). Raises ValueError for a name the CPU cannot run, RuntimeError where there are no kernels."""
    library = _kernels()
    if library is None:
        raise RuntimeError("the convolution kernels cannot be built or run here")
    _set_instruction_set(library, name)


def instruction_set():
    """The name of the instruction set the kernels use ("avx2" or "avx512"), None where there are no kernels."""
    library = _kernels()
    if library is None:
        return None
    number = library.instruction_set()
    return next(name for name, value in INSTRUCTION_SETS.items() if value == number)


def applies(x, weight_or_grad, geometry):
    """Whether these kernels compute the convolution of ``x`` in ``geometry`` (with this weight, or
    this output gradient for the weight gradient)."""
    return (native.enabled and type(x) is numpy.ndarray and type(weight_or_grad) is numpy.ndarray
            and x.dtype == numpy.float32 and weight_or_grad.dtype == numpy.float32
            and geometry.groups == 1 and _kernels() is not None)


class _Planes(NamedTuple):
    """The kernels' view of an input: ``array`` (N, C * sh * sw, Hq, Wq), C-contiguous, followed by
    readable zeros, and the input offset of each (channel, kernel row, kernel column) relative to an
    output position (``offsets``, int64 (C * kh * kw,))."""

    array: numpy.ndarray
    offsets: numpy.ndarray


def _planes(x, geometry):
    """``x`` (N, C, H, W) zero-padded and split into its stride phases.

    With stride (sh, sw), output pixel (oh, ow) reads padded pixel (oh * sh + i * dh, ow * sw + j * dw)
    at kernel offset (i, j). Plane (c, a, b) holds the padded pixels (r * sh + a, q * sw + b) at (r, q),
    so that pixel is (oh + i * dh // sh, ow + j * dw // sw) of plane (c, i * dh % sh, j * dw % sw):
    in the planes every convolution reads like a stride-1 one, which the kernels compute. For stride 1
    this is just the padded input.
    """
    planes = _stride_planes(x, geometry.stride, geometry.padding)
    return _Planes(planes, _plane_offsets(geometry, x.shape[1], *planes.shape[2:]))


def _stride_planes(x, strides, padding):
    """The planes of ``_planes`` as an array (N, C * sh * sw, Hq, Wq), for ``padding`` ((top, bottom),
    (left, right)); ``x`` itself where there is nothing to do."""
    (top, bottom), (left, right) = padding
    batch, channels, height, width = x.shape
    plane_height = -(-(top + height + bottom) // strides[0])
    plane_width = -(-(left + width + right) // strides[1])
    shape = (batch, channels * strides[0] * strides[1], plane_height, plane_width)
    if not (top or bottom or left or right) and strides == (1, 1) and x.flags.c_contiguous:
        return x
    x = numpy.ascontiguousarray(x)
    planes = numpy.empty(shape, dtype=numpy.float32)
    layout = _PlanesShape(batch * channels, height, width, *strides, top, left, plane_height, plane_width)
    _kernels().stride_planes_float32(x.ctypes.data, planes.ctypes.data, ctypes.byref(layout), get_num_threads())
    return planes


@functools.lru_cache(maxsize=256)
def _plane_offsets(geometry, channels, plane_height, plane_width):
    """The offsets of ``_planes``: kernel entry (c, i, j) reads plane (c, i * dh % sh, j * dw % sw) at
    (i * dh // sh, j * dw // sw) from an output pixel. Cached: a network asks for the same few."""
    strides, dilation = geometry.stride, geometry.dilation
    rows = numpy.arange(geometry.kernel_size[0]) * dilation[0]
    columns = numpy.arange(geometry.kernel_size[1]) * dilation[1]
    plane = (numpy.arange(channels)[:, None, None] * strides[0] + rows[None, :, None] % strides[0]) * strides[1] \
        + columns[None, None, :] % strides[1]
    offsets = (plane * (plane_height * plane_width) + (rows // strides[0])[None, :, None] * plane_width
               + (columns // strides[1])[None, None, :])
    offsets = offsets.reshape(-1)
    offsets.flags.writeable = False
    return offsets


def _phase_slices(phase, stride, before, size):
    """Along one axis: (slice of the phase's plane, slice of the input) holding the same pixels, for
    the padded positions ``r * stride + phase`` that are input pixels (``before`` padding in front)."""
    first = (phase - before) % stride  # the first input pixel in this phase
    count = len(range(first, size, stride))
    start = (first + before) // stride
    return slice(start, start + count), slice(first, size, stride)


def _shape(planes, out_channels, output_size):
    batch, channels, height, width = planes.array.shape
    return _Shape(batch, channels, height, width, out_channels, *output_size, planes.offsets.size)


def _convolve(planes, weight_matrix, output_size):
    """The forward kernel: ``output[n, o, p] = sum over k of weight_matrix[o, k] * planes.array[n]`` at
    ``planes.offsets[k]`` from output pixel p; ``weight_matrix`` (O, K) -> output (N, O, *output_size)."""
    out_channels = weight_matrix.shape[0]
    blocks = -(-out_channels // _ROWS)
    # (blocks, K, ROWS): the ROWS weights a tile broadcasts at one kernel entry are adjacent.
    packed = numpy.zeros((blocks * _ROWS, weight_matrix.shape[1]), dtype=numpy.float32)
    packed[:out_channels] = weight_matrix
    packed = numpy.ascontiguousarray(packed.reshape(blocks, _ROWS, -1).transpose(0, 2, 1))
    output = numpy.empty((planes.array.shape[0], out_channels) + tuple(output_size), dtype=numpy.float32)
    status = _kernels().convolution_forward_float32(
        planes.array.ctypes.data, packed.ctypes.data, planes.offsets.ctypes.data, output.ctypes.data,
        ctypes.byref(_shape(planes, out_channels, output_size)), get_num_threads())
    if status != 0:
        raise MemoryError("conv2d: could not allocate the convolution kernel's tile buffer")
    return output


def forward(x, weight, geometry):
    """``conv2d(x, weight)`` without bias: ``x`` (N, C, H, W), ``weight`` (O, C, kh, kw) -> (N, O, OH, OW)."""
    return _convolve(_planes(x, geometry), weight.reshape(weight.shape[0], -1), geometry.output_size)


def transposed(y, weight, geometry):
    """``conv_transpose2d(y, weight)`` without bias, the adjoint of ``forward`` in its input (and the
    input gradient of a convolution): ``y`` (N, O, OH, OW), ``weight`` (O, C, kh, kw) -> (N, C, H, W).

    Kernel row i adds output row oh into padded input row oh * sh + i * dh: into stride phase
    a = i * dh % sh, at row oh + u of that phase's plane, u = i * dh // sh. So each phase of the
    result is a stride-1 convolution of y (zero-padded by the largest shift U in front) with the
    kernel entries of that phase at offsets U - u: one kernel run per phase, each writing its pixels.
    """
    (stride_h, stride_w), (dilation_h, dilation_w) = geometry.stride, geometry.dilation
    (top, _), (left, _) = geometry.padding
    height, width = geometry.input_size
    batch, out_channels, output_height, output_width = y.shape
    channels = weight.shape[1]
    row_steps = numpy.arange(geometry.kernel_size[0]) * dilation_h
    column_steps = numpy.arange(geometry.kernel_size[1]) * dilation_w
    row_shifts, column_shifts = row_steps // stride_h, column_steps // stride_w
    phase_rows = [_phase_slices(phase, stride_h, top, height) for phase in range(stride_h)]
    phase_columns = [_phase_slices(phase, stride_w, left, width) for phase in range(stride_w)]
    # y padded so that every phase's rows [start, start + count) read inside it.
    front, left_pad = int(row_shifts.max()), int(column_shifts.max())
    back = max([0] + [rows.stop - output_height for rows, _ in phase_rows])
    right = max([0] + [columns.stop - output_width for columns, _ in phase_columns])
    padded = _stride_planes(y, (1, 1), ((front, back), (left_pad, right)))
    plane_height, plane_width = padded.shape[2:]
    if (stride_h == stride_w == 1 and height > 0 and width > 0
            and phase_rows[0][0] == slice(0, height) and phase_columns[0][0] == slice(0, width)):
        # One phase, the whole result: the kernel writes it directly.
        x = None
    else:
        x = numpy.empty((batch, channels, height, width), dtype=numpy.float32)
    for row_phase, (plane_rows, x_rows) in enumerate(phase_rows):
        kernel_rows = numpy.flatnonzero(row_steps % stride_h == row_phase)
        for column_phase, (plane_columns, x_columns) in enumerate(phase_columns):
            kernel_columns = numpy.flatnonzero(column_steps % stride_w == column_phase)
            size = (plane_rows.stop - plane_rows.start, plane_columns.stop - plane_columns.start)
            if min(size) <= 0:
                continue
            if kernel_rows.size == 0 or kernel_columns.size == 0:  # no kernel entry lands in this phase
                x[:, :, x_rows, x_columns] = 0
                continue
            offsets = (numpy.arange(out_channels)[:, None, None] * (plane_height * plane_width)
                       + (plane_rows.start + front - row_shifts[kernel_rows])[None, :, None] * plane_width
                       + (plane_columns.start + left_pad - column_shifts[kernel_columns])[None, None, :])
            # (C, O * rows * columns) in the offsets' (o, i, j) order.
            weight_matrix = weight[:, :, kernel_rows][:, :, :, kernel_columns].transpose(1, 0, 2, 3).reshape(channels, -1)
            phase = _convolve(_Planes(padded, offsets.reshape(-1)), weight_matrix, size)
            if x is None:
                return phase
            x[:, :, x_rows, x_columns] = phase
    return x


def weight_gradient(x, grad, geometry):
    """The weight gradient of ``conv2d``: ``x`` (N, C, H, W), ``grad`` (N, O, OH, OW) -> (O, C, kh, kw)."""
    planes = _planes(x, geometry)
    batch, out_channels = grad.shape[:2]
    # Channels last, zero-padded to whole tiles: a tile's output channels are one vector load.
    padded_channels = -(-out_channels // _GRADIENT_CHANNELS) * _GRADIENT_CHANNELS
    grad = numpy.ascontiguousarray(grad)
    grad_last = numpy.empty((batch,) + tuple(geometry.output_size) + (padded_channels,), dtype=numpy.float32)
    _kernels().channels_last_float32(grad.ctypes.data, grad_last.ctypes.data, batch, out_channels,
                                     grad[0:1, 0:1].size, padded_channels, get_num_threads())
    grad_weight = numpy.empty((planes.offsets.size, padded_channels), dtype=numpy.float32)
    image_bytes = (planes.array[0:1].size + grad_last[0:1].size) * 4 or 1
    _kernels().convolution_weight_float32(
        planes.array.ctypes.data, grad_last.ctypes.data, planes.offsets.ctypes.data, grad_weight.ctypes.data,
        ctypes.byref(_shape(planes, out_channels, geometry.output_size)), padded_channels,
        max(1, _CHUNK_BYTES // image_bytes), get_num_threads())
    return numpy.ascontiguousarray(grad_weight[:, :out_channels].T).reshape(
        (out_channels, x.shape[1]) + tuple(geometry.kernel_size))
