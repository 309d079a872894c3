"""Convolution layers: ``Conv1d``, ``Conv2d``, ``Conv3d``, ``ConvTranspose1d``, ``ConvTranspose2d``,
``ConvTranspose3d``, and their lazy forms (``LazyConv2d``...), whose ``in_channels`` is read from the
first input."""

import spindle
from spindle.nn import functional as F
from spindle.nn.parameter import UninitializedParameter
from spindle.nn.functional.conv import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)

from .lazy import LazyModuleMixin
from .linear import register_weight_and_bias, reset_fan_in_uniform
from .module import Module
from .utils import _pair, _reverse_repeat_tuple, _single, _triple

__all__ = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
]

_PADDING_STRINGS = ("same", "valid")
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _set_text(names):
    """``{'a', 'b'}``: how PyTorch's messages print the accepted values (its sets' order varies)."""
    return "{" + ", ".join(repr(name) for name in names) + "}"


class _ConvNd(Module):
    """Shared by all convolution layers: argument checks, the weight and bias, their initialization
    (weight ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias
    ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = weight.size(1) * kernel area) and the repr."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in _PADDING_STRINGS:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {_set_text(_PADDING_STRINGS)}")
            if padding == "same" and any(step != 1 for step in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {_set_text(_PADDING_MODES)}, but got padding_mode='{padding_mode}'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's amounts (last dim first) for the non-zero padding modes.
        if isinstance(padding, str):
            amounts = [0, 0] * len(kernel_size)
            if padding == "same":
                for rate, size, position in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1)):
                    total = rate * (size - 1)
                    amounts[2 * position] = total // 2
                    amounts[2 * position + 1] = total - total // 2
            self._reversed_padding_repeated_twice = amounts
        else:
            self._reversed_padding_repeated_twice = _reverse_repeat_tuple(padding, 2)
        if transposed:
            shape = (in_channels, out_channels // groups) + tuple(kernel_size)
        else:
            shape = (out_channels, in_channels // groups) + tuple(kernel_size)
        register_weight_and_bias(self, shape, out_channels, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        reset_fan_in_uniform(self.weight, self.bias)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class _Conv(_ConvNd):
    functional = None

    def _conv_forward(self, input, weight, bias):
        function = type(self).functional
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return function(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return function(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution: input (N, C_in, L) or (C_in, L), output (N, C_out, L_out); weight
    (C_out, C_in / groups, k), bias (C_out,). See ``F.conv1d``; ``padding_mode`` may also be
    'reflect', 'replicate' or 'circular'."""

    functional = staticmethod(conv1d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(
            in_channels, out_channels, _single(kernel_size), _single(stride),
            padding if isinstance(padding, str) else _single(padding), _single(dilation), False, _single(0),
            groups, bias, padding_mode, device, dtype,
        )


class Conv2d(_Conv):
    """2-D convolution: input (N, C_in, H, W) or (C_in, H, W), output (N, C_out, H_out, W_out); weight
    (C_out, C_in / groups, kh, kw), bias (C_out,). See ``F.conv2d``; ``padding_mode`` may also be
    'reflect', 'replicate' or 'circular'."""

    functional = staticmethod(conv2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(
            in_channels, out_channels, _pair(kernel_size), _pair(stride),
            padding if isinstance(padding, str) else _pair(padding), _pair(dilation), False, _pair(0),
            groups, bias, padding_mode, device, dtype,
        )


class Conv3d(_Conv):
    """3-D convolution: input (N, C_in, D, H, W) or (C_in, D, H, W), output (N, C_out, D_out, H_out, W_out);
    weight (C_out, C_in / groups, kd, kh, kw), bias (C_out,). See ``F.conv3d``; ``padding_mode`` may
    also be 'reflect', 'replicate' or 'circular'."""

    functional = staticmethod(conv3d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(
            in_channels, out_channels, _triple(kernel_size), _triple(stride),
            padding if isinstance(padding, str) else _triple(padding), _triple(dilation), False, _triple(0),
            groups, bias, padding_mode, device, dtype,
        )


class _ConvTransposeNd(_ConvNd):
    functional = None

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, groups,
                 bias, padding_mode, device, dtype):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding, groups, bias,
            padding_mode, device, dtype,
        )

    def _output_padding(self, input, output_size, stride, padding, kernel_size, num_spatial_dims, dilation=None):
        """The output_padding that makes the output ``output_size`` (None: the layer's own)."""
        if output_size is None:
            return self.output_padding
        batch_dims = 2 if input.dim() == num_spatial_dims + 2 else 1
        if len(output_size) == batch_dims + num_spatial_dims:
            output_size = output_size[batch_dims:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(
                f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, output_size must have {num_spatial_dims} "
                f"or {batch_dims + num_spatial_dims} elements (got {len(output_size)})"
            )
        smallest = [
            (input.shape[d + batch_dims] - 1) * stride[d] - 2 * padding[d]
            + (dilation[d] if dilation is not None else 1) * (kernel_size[d] - 1) + 1
            for d in range(num_spatial_dims)
        ]
        largest = [size + stride[d] - 1 for d, size in enumerate(smallest)]
        for size, low, high in zip(output_size, smallest, largest):
            if size < low or size > high:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from {smallest} to {largest} "
                    f"(for an input of {spindle.Size(input.shape[2:])})"
                )
        return tuple(size - low for size, low in zip(output_size, smallest))

    def forward(self, input, output_size=None):
        """``output_size`` picks among the output sizes that a strided layer can produce."""
        output_padding = self._output_padding(
            input, output_size, self.stride, self.padding, self.kernel_size, len(self.kernel_size), self.dilation
        )
        return type(self).functional(
            input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups, self.dilation
        )


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution: input (N, C_in, L) or (C_in, L), output (N, C_out, L_out); weight
    (C_in, C_out / groups, k), bias (C_out,). See ``F.conv_transpose1d``."""

    functional = staticmethod(conv_transpose1d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(
            in_channels, out_channels, _single(kernel_size), _single(stride), _single(padding), _single(dilation),
            _single(output_padding), groups, bias, padding_mode, device, dtype,
        )


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (an upsampler, as in DCGAN's generator): input (N, C_in, H, W) or
    (C_in, H, W), output (N, C_out, H_out, W_out); weight (C_in, C_out / groups, kh, kw), bias
    (C_out,). See ``F.conv_transpose2d``."""

    functional = staticmethod(conv_transpose2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(
            in_channels, out_channels, _pair(kernel_size), _pair(stride), _pair(padding), _pair(dilation),
            _pair(output_padding), groups, bias, padding_mode, device, dtype,
        )


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution (a volume upsampler): input (N, C_in, D, H, W) or (C_in, D, H, W),
    output (N, C_out, D_out, H_out, W_out); weight (C_in, C_out / groups, kd, kh, kw), bias (C_out,).
    See ``F.conv_transpose3d``."""

    functional = staticmethod(conv_transpose3d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(
            in_channels, out_channels, _triple(kernel_size), _triple(stride), _triple(padding), _triple(dilation),
            _triple(output_padding), groups, bias, padding_mode, device, dtype,
        )


class _LazyConvolution(LazyModuleMixin):
    """Shared by the lazy convolutions: ``weight`` and ``bias`` are placeholders until the first
    input's channel count (dim 1, or dim 0 when unbatched) gives ``in_channels``."""

    def _use_placeholders(self, out_channels, bias, device, dtype):
        # The layer was built with 0 channels and no bias, so that no tensor was made only to be replaced.
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            spatial_dims = len(self.kernel_size)
            if input.dim() not in (spatial_dims + 1, spatial_dims + 2):
                raise RuntimeError(
                    f"Expected {spatial_dims + 1}D (unbatched) or {spatial_dims + 2}D (batched) input to "
                    f"{type(self).__name__}, but got input of size: {input.shape}"
                )
            self.in_channels = input.shape[1] if input.dim() == spatial_dims + 2 else input.shape[0]
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups)
            else:
                shape = (self.out_channels, self.in_channels // self.groups)
            self.weight.materialize(shape + tuple(self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()


class _LazyConv(_LazyConvolution):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype)
        self._use_placeholders(out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvolution):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(
            0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode, device, dtype
        )
        self._use_placeholders(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """A ``Conv1d`` whose ``in_channels`` is read from its first input: ``LazyConv1d(out_channels,
    kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros')``."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """A ``Conv2d`` whose ``in_channels`` is read from its first input: ``LazyConv2d(out_channels,
    kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros')``."""

    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """A ``Conv3d`` whose ``in_channels`` is read from its first input: ``LazyConv3d(out_channels,
    kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros')``."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """A ``ConvTranspose1d`` whose ``in_channels`` is read from its first input:
    ``LazyConvTranspose1d(out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
    bias=True, dilation=1)``."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """A ``ConvTranspose2d`` whose ``in_channels`` is read from its first input:
    ``LazyConvTranspose2d(out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
    bias=True, dilation=1)``."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """A ``ConvTranspose3d`` whose ``in_channels`` is read from its first input:
    ``LazyConvTranspose3d(out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
    bias=True, dilation=1)``."""

    cls_to_become = ConvTranspose3d
