"""Batch normalization in training on the CPU: the C kernels of ``kernels/batch_norm.c`` (float32).

For C-contiguous float32 NumPy inputs, ``spindle.ops.fused.BatchNorm`` hands its training forward
and backward to these kernels: each reads a channel from memory once and its later passes from the
cache, where the NumPy path makes about six passes over full-size arrays each way. Forward keeps
no normalized copy of the input: backward recomputes it from the input and the batch mean.
Evaluation, other dtypes and layouts, the GPU, and machines without a C compiler keep the NumPy path.
"""
import ctypes
import functools
import math

import numpy

from . import native
from .threads import get_num_threads


# Fewest elements per thread: starting a thread costs tens of microseconds, which is what a kernel
# takes for about this many elements (below it, a second thread made a 1 MB batch norm slower).
_ELEMENTS_PER_THREAD = 1 << 15


class _Shape(ctypes.Structure):
    _fields_ = [(name, ctypes.c_long) for name in ("batch", "channels", "positions")]


@functools.cache
def _kernels():
    library = native.library("batch_norm")
    if library is None:
        return None
    library.batch_norm_forward.argtypes = [ctypes.c_void_p] * 7 + [ctypes.POINTER(_Shape), ctypes.c_double,
                                                                   ctypes.c_long]
    library.batch_norm_forward.restype = None
    library.batch_norm_backward.argtypes = [ctypes.c_void_p] * 8 + [ctypes.POINTER(_Shape), ctypes.c_long]
    library.batch_norm_backward.restype = None
    return library


def _is_float32_array(array):
    return type(array) is numpy.ndarray and array.dtype == numpy.float32


def applies(input, weight, bias):
    """Whether these kernels compute the training batch norm of ``input`` (N, C, *) with this
    ``weight`` and ``bias`` (C,) or None."""
    return (native.enabled and _is_float32_array(input) and input.flags.c_contiguous
            and all(vector is None or _is_float32_array(vector) for vector in (weight, bias))
            and _kernels() is not None)


def _shape(input):
    """``input`` (N, C, *) seen as (N, C, P)."""
    batch, channels = input.shape[:2]
    return _Shape(batch, channels, math.prod(input.shape[2:]))


def _threads(input):
    return max(1, min(get_num_threads(), input.size // _ELEMENTS_PER_THREAD))


def _contiguous(vector):
    return None if vector is None else numpy.ascontiguousarray(vector)


def _address(array):
    """The data pointer of ``array``, NULL for None (a kernel's absent weight or bias)."""
    return None if array is None else array.ctypes.data


def forward(input, weight, bias, eps):
    """Training batch norm of ``input`` (N, C, *) with ``weight``/``bias`` (C,) or None: returns the
    output (N, C, *) and the batch's mean, biased variance and ``1 / sqrt(variance + eps)`` (C,)."""
    output = numpy.empty_like(input)
    mean, variance, inverse_std = numpy.empty((3, input.shape[1]), dtype=numpy.float32)
    weight, bias = _contiguous(weight), _contiguous(bias)
    _kernels().batch_norm_forward(
        input.ctypes.data, _address(weight), _address(bias), output.ctypes.data, mean.ctypes.data,
        variance.ctypes.data, inverse_std.ctypes.data, ctypes.byref(_shape(input)), eps, _threads(input))
    return output, mean, variance, inverse_std


def backward(grad, input, weight, mean, inverse_std, needs_grad_input):
    """Gradients of ``forward`` for the output gradient ``grad`` (N, C, *): the input gradient
    (N, C, *; None unless ``needs_grad_input``), ``sum(grad * normalized)`` and ``sum(grad)`` (C,),
    the gradients of weight and bias."""
    grad = numpy.ascontiguousarray(grad, dtype=numpy.float32)
    grad_input = numpy.empty_like(input) if needs_grad_input else None
    grad_weight, grad_bias = numpy.empty((2, input.shape[1]), dtype=numpy.float32)
    weight = _contiguous(weight)
    _kernels().batch_norm_backward(
        grad.ctypes.data, input.ctypes.data, _address(weight), mean.ctypes.data, inverse_std.ctypes.data,
        _address(grad_input), grad_weight.ctypes.data, grad_bias.ctypes.data, ctypes.byref(_shape(input)),
        _threads(input))
    return grad_input, grad_weight, grad_bias
