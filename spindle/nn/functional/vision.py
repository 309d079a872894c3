"""Resampling and patch functions for images: ``F.interpolate`` (and the ``upsample`` aliases),
``F.pixel_shuffle``/``F.pixel_unshuffle``, ``F.unfold``/``F.fold`` (im2col and col2im).

Interpolation is separable: along each spatial dim, output position i reads input positions computed
as PyTorch computes them (in the input's floating dtype, so rounding matches), gathered with
``index_select`` and blended with per-position weights; autograd gives the backward.
"""
import math
import warnings

import spindle
from spindle.ops.convolution import ConvolutionGeometry, Fold, Unfold

from .conv import expand_argument
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

__all__ = [
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "pixel_shuffle",
    "pixel_unshuffle",
    "unfold",
    "fold",
]

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "area")
_INTERPOLATING_MODES = ("linear", "bilinear")


def _output_sizes(input, size, scale_factor, dims):
    """Each spatial dim's output size and the scale factor that maps output to input positions
    (None when the sizes alone define it)."""
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = list(size) if isinstance(size, (tuple, list)) else [size] * dims
        if len(sizes) != dims:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got input with spatial "
                f"dimensions of {list(input.shape[2:])} and output size of {list(sizes)}. Please provide input "
                "tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
            )
        return [int(item) for item in sizes], [None] * dims
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    factors = list(scale_factor) if isinstance(scale_factor, (tuple, list)) else [scale_factor] * dims
    if len(factors) != dims:
        raise ValueError(
            "Input and scale_factor must have the same number of spatial dimensions, but got input with spatial "
            f"dimensions of {list(input.shape[2:])} and scale_factor of shape {list(factors)}. Please provide "
            "input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
        )
    sizes = [math.floor(float(length) * float(factor)) for length, factor in zip(input.shape[2:], factors)]
    return sizes, [float(factor) for factor in factors]


def _scale(input_size, output_size, factor, dtype):
    """Output-to-input position scale as a 0-d tensor of ``dtype`` (PyTorch computes it in that precision)."""
    if factor is not None and factor > 0:
        return spindle.tensor(1.0 / factor, dtype=dtype)
    return spindle.tensor(float(input_size), dtype=dtype) / output_size


def _nearest_positions(input_size, output_size, factor, dtype, exact, device):
    positions = spindle.arange(output_size, dtype=dtype, device=device)
    if not exact and output_size == input_size:
        return positions.long()
    if exact:
        positions = positions + 0.5
    positions = (positions * _scale(input_size, output_size, factor, dtype).to(device)).floor()
    return positions.long().clamp(max=input_size - 1)


def _resample_nearest(x, axis, output_size, factor, exact):
    positions = _nearest_positions(x.shape[axis], output_size, factor, x.dtype, exact, x.device)
    return x.index_select(axis, positions)


def _resample_linear(x, axis, output_size, factor, align_corners):
    """Linear interpolation along ``axis``: each output blends the two nearest input positions."""
    input_size = x.shape[axis]
    positions = spindle.arange(output_size, dtype=x.dtype, device=x.device)
    if align_corners:
        scale = spindle.tensor(float(input_size - 1), dtype=x.dtype, device=x.device) / max(output_size - 1, 1)
        source = positions * (scale if output_size > 1 else 0.0)
    else:
        scale = _scale(input_size, output_size, factor, x.dtype).to(x.device)
        source = ((positions + 0.5) * scale - 0.5).clamp(min=0)
    lower = source.long()
    upper = (lower + 1).clamp(max=input_size - 1)
    upper_weight = source - lower.to(x.dtype)
    shape = [1] * x.dim()
    shape[axis] = output_size
    upper_weight = upper_weight.reshape(shape)
    return x.index_select(axis, lower) * (1 - upper_weight) + x.index_select(axis, upper) * upper_weight


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize ``input`` (N, C, L) or (N, C, H, W) to ``size`` (an int or one per spatial dim) or by
    ``scale_factor`` (output size = floor(size * factor)).

    Modes: ``'nearest'`` (PyTorch's legacy rule, floor(i * scale)), ``'nearest-exact'``
    (floor((i + 0.5) * scale)), ``'linear'`` (3-D) and ``'bilinear'`` (4-D) with ``align_corners``
    (corner pixels aligned, else pixel centres; default False), and ``'area'`` (adaptive average
    pooling). With ``recompute_scale_factor`` the scale comes from the sizes instead of the factor.
    """
    if mode not in _MODES:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the modes: nearest | "
            f"linear | bilinear | bicubic | trilinear | area | nearest-exact (got {mode})"
        )
    if mode not in _INTERPOLATING_MODES:
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError("Anti-alias option is not supported by spindle's interpolate")
    if input.dim() not in (3, 4):
        raise NotImplementedError(
            f"Input Error: Only 3D and 4D input Tensors are supported by spindle (got {input.dim()}D) for the mode {mode}"
        )
    if mode == "linear" and input.dim() != 3:
        raise NotImplementedError(f"Got {input.dim()}D input, but linear mode needs 3D input")
    if mode == "bilinear" and input.dim() != 4:
        raise NotImplementedError(f"Got {input.dim()}D input, but bilinear mode needs 4D input")
    dims = input.dim() - 2
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    sizes, factors = _output_sizes(input, size, scale_factor, dims)
    if recompute_scale_factor:
        factors = [None] * dims
    if mode == "area":
        return (adaptive_avg_pool1d if dims == 1 else adaptive_avg_pool2d)(input, sizes)
    output = input
    for axis, output_size, factor in zip(range(2, input.dim()), sizes, factors):
        if mode in ("nearest", "nearest-exact"):
            output = _resample_nearest(output, axis, output_size, factor, mode == "nearest-exact")
        else:
            output = _resample_linear(output, axis, output_size, factor, align_corners)
    return output


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate``."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='bilinear', align_corners=True)``."""
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    """Rearrange (*, C * r^2, H, W) into (*, C, H * r, W * r), r = ``upscale_factor``: the r^2 channels
    of each output channel become an r x r block of pixels."""
    factor = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(
            f"pixel_shuffle expects input to have at least 3 dimensions, but got input with {input.dim()} dimension(s)"
        )
    if factor <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {factor}")
    *lead, channels, height, width = input.shape
    if channels % (factor * factor):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, "
            f"but input.size(-3)={channels} is not divisible by {factor * factor}"
        )
    count = len(lead)
    blocks = input.reshape(*lead, channels // (factor * factor), factor, factor, height, width)
    order = list(range(count)) + [count, count + 3, count + 1, count + 4, count + 2]
    return blocks.permute(*order).reshape(*lead, channels // (factor * factor), height * factor, width * factor)


def pixel_unshuffle(input, downscale_factor):
    """The inverse of ``pixel_shuffle``: (*, C, H * r, W * r) -> (*, C * r^2, H, W)."""
    factor = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(
            f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with {input.dim()} dimension(s)"
        )
    if factor <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {factor}")
    *lead, channels, height, width = input.shape
    if height % factor:
        raise RuntimeError(
            f"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)={height} is not "
            f"divisible by {factor}"
        )
    if width % factor:
        raise RuntimeError(
            f"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)={width} is not "
            f"divisible by {factor}"
        )
    count = len(lead)
    blocks = input.reshape(*lead, channels, height // factor, factor, width // factor, factor)
    order = list(range(count)) + [count, count + 2, count + 4, count + 1, count + 3]
    return blocks.permute(*order).reshape(*lead, channels * factor * factor, height // factor, width // factor)


def _patch_geometry(input_size, kernel_size, dilation, padding, stride):
    """The sliding-block layout of ``unfold``/``fold`` (2-D) and its number of blocks per dim."""
    kernel_size = expand_argument(kernel_size, 2, "kernel_size")
    dilation = expand_argument(dilation, 2, "dilation")
    padding = expand_argument(padding, 2, "padding")
    stride = expand_argument(stride, 2, "stride")
    for name, values, low in (("kernel_size", kernel_size, 1), ("dilation", dilation, 1), ("stride", stride, 1),
                              ("padding", padding, 0)):
        if any(value < low for value in values):
            raise RuntimeError(f"{name} should be {'greater than zero' if low else 'non-negative'}, but got {name}={list(values)}")
    blocks = tuple(
        (size + 2 * amount - rate * (kernel - 1) - 1) // step + 1
        for size, amount, rate, kernel, step in zip(input_size, padding, dilation, kernel_size, stride)
    )
    geometry = ConvolutionGeometry(
        tuple(input_size), blocks, kernel_size, stride, dilation, tuple((amount, amount) for amount in padding)
    )
    return geometry, f"kernel_size={kernel_size}, dilation={dilation}, padding={padding}"


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: the sliding ``kernel_size`` blocks of ``input`` (N, C, H, W) or (C, H, W) as columns,
    output (N, C * kh * kw, L) with L the number of block positions; row order (channel, kernel row,
    kernel column)."""
    if input.dim() not in (3, 4):
        raise RuntimeError(
            f"Input Error: Only 3D or 4D input Tensors are supported (got {input.dim()}D)"
        )
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    geometry, described = _patch_geometry(tuple(x.shape[2:]), kernel_size, dilation, padding, stride)
    if any(count < 1 for count in geometry.output_size):
        raise RuntimeError(
            f"Given input with spatial size {tuple(x.shape[2:])}, {described}, calculated shape of the array of "
            f"sliding blocks as {geometry.output_size}, but its components must be at least one."
        )
    output = Unfold.apply(x, geometry)
    return output if batched else output.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of ``unfold``: sum the columns of ``input`` (N, C * kh * kw, L) or
    (C * kh * kw, L) back into an image (N, C, *output_size); overlapping blocks add up."""
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for "
            f"input, but got: {list(input.shape)}"
        )
    batched = input.dim() == 3
    columns = input if batched else input.unsqueeze(0)
    output_size = expand_argument(output_size, 2, "output_size")
    geometry, described = _patch_geometry(output_size, kernel_size, dilation, padding, stride)
    kernel_height, kernel_width = geometry.kernel_size
    if columns.shape[1] % (kernel_height * kernel_width):
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got "
            f"input.size(1)={columns.shape[1]} and kernel_size={geometry.kernel_size}"
        )
    blocks = geometry.output_size[0] * geometry.output_size[1]
    if columns.shape[2] != blocks or any(count < 1 for count in geometry.output_size):
        raise RuntimeError(
            f"Given output_size={output_size}, {described}, stride={geometry.stride}, expected size of input's "
            f"dimension 2 to match the calculated number of sliding blocks {geometry.output_size[0]} * "
            f"{geometry.output_size[1]} = {blocks}, but got input.size(2)={columns.shape[2]}."
        )
    output = Fold.apply(columns, geometry)
    return output if batched else output.squeeze(0)
