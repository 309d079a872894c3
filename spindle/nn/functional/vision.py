"""Resampling and patch functions for images: ``F.interpolate`` (and the ``upsample`` aliases),
``F.pixel_shuffle``/``F.pixel_unshuffle``, ``F.unfold``/``F.fold`` (im2col and col2im), and the
spatial-transformer pair ``F.affine_grid``/``F.grid_sample``.

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
    "affine_grid",
    "grid_sample",
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


def _warn_align_corners_default():
    warnings.warn(
        "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please "
        "specify align_corners=True if the old behavior is desired. See the documentation of grid_sample for "
        "details.",
        stacklevel=3,
    )


def _grid_coordinates(steps, align_corners, like):
    """The normalized coordinates in [-1, 1] of ``steps`` pixel centres (corners with ``align_corners``)."""
    if steps == 1:
        return spindle.zeros(1, dtype=like.dtype, device=like.device)
    coordinates = spindle.linspace(-1.0, 1.0, steps, dtype=like.dtype, device=like.device)
    return coordinates if align_corners else coordinates * ((steps - 1) / steps)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine maps ``theta`` (N, 2, 3) for an output of ``size``
    (N, C, H, W): (N, H, W, 2) normalized (x, y) source positions for ``grid_sample``; (N, 3, 4) and
    (N, C, D, H, W) give a 3-D grid (N, D, H, W, 3)."""
    if align_corners is None:
        _warn_align_corners_default()
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) not in (4, 5):
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. "
            f"Got size {size}."
        )
    spatial_dims = len(size) - 2
    if theta.dim() != 3 or tuple(theta.shape[-2:]) != (spatial_dims, spatial_dims + 1):
        raise ValueError(
            f"Expected a batch of {spatial_dims}D affine matrices of shape Nx{spatial_dims}x{spatial_dims + 1} "
            f"for size {size}. Got {theta.shape}."
        )
    spatial_size = list(size[2:])
    if align_corners and min(spatial_size) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when align_corners=True. "
            "This is not an intended use case of affine_grid. See the documentation of affine_grid for details.",
            stacklevel=2,
        )
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    # Homogeneous source positions (x, y[, z], 1), x varying along the last dim.
    axes = [_grid_coordinates(steps, align_corners, theta) for steps in reversed(spatial_size)]
    columns = []
    for position, coordinates in enumerate(axes):
        shape = [1] * spatial_dims
        shape[spatial_dims - 1 - position] = coordinates.shape[0]
        columns.append(coordinates.reshape(shape).expand(spatial_size))
    columns.append(spindle.ones(spatial_size, dtype=theta.dtype, device=theta.device))
    base = spindle.stack(columns, -1).reshape(1, -1, spatial_dims + 1)
    grid = base @ theta.transpose(1, 2)
    return grid.reshape([size[0]] + spatial_size + [spatial_dims])


def _reflect(coordinates, twice_low, twice_high):
    """Reflect ``coordinates`` off the bounds ``twice_low / 2`` and ``twice_high / 2`` until they lie
    between them (PyTorch's ``reflect_coordinates``)."""
    if twice_low == twice_high:
        return coordinates * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    distance = (coordinates - low).abs()
    extra = distance.fmod(span)
    flips = (distance / span).floor().detach()
    return spindle.where(flips.remainder(2) == 0, extra + low, span - extra + low)


def _source_coordinates(normalized, size, padding_mode, align_corners):
    """Pixel coordinates of normalized grid values along a dim of ``size`` pixels, after the border or
    reflection rule of ``padding_mode`` (zeros leaves them, to be masked later)."""
    if align_corners:
        coordinates = (normalized + 1) / 2 * (size - 1)
    else:
        coordinates = ((normalized + 1) * size - 1) / 2
    if padding_mode == "reflection":
        if align_corners:
            coordinates = _reflect(coordinates, 0, 2 * (size - 1))
        else:
            coordinates = _reflect(coordinates, -1, 2 * size - 1)
    if padding_mode in ("border", "reflection"):
        coordinates = coordinates.clamp(0, size - 1)
    return coordinates


def _gather_pixels(planes, rows, columns, height, width):
    """Values of ``planes`` (N, C, H * W) at integer pixel positions ``rows``/``columns`` (N, P), zero
    where a position falls outside the image: (N, C, P)."""
    inside = (rows >= 0) & (rows < height) & (columns >= 0) & (columns < width)
    flat = (rows.clamp(0, height - 1) * width + columns.clamp(0, width - 1)).long()
    flat = flat.unsqueeze(1).expand(planes.shape[0], planes.shape[1], flat.shape[-1])
    return planes.gather(2, flat) * inside.unsqueeze(1).to(planes.dtype)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` (N, C, H, W) at the normalized positions ``grid`` (N, H_out, W_out, 2), with
    x = -1 the left edge and y = -1 the top edge (pixel centres of the edge pixels with
    ``align_corners``, their outer edges otherwise). ``mode``: bilinear or nearest; positions outside
    read zeros, the border, or the reflected image (``padding_mode``). Output (N, C, H_out, W_out);
    differentiable in ``input`` and (bilinear) ``grid``."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', "
            f"but got: '{padding_mode}'"
        )
    if align_corners is None:
        _warn_align_corners_default()
        align_corners = False
    if input.dim() != grid.dim():
        raise RuntimeError(
            f"grid_sampler(): expected {input.dim()}D input and grid with same number of dimensions, but got input "
            f"with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if input.dim() != 4 or mode == "bicubic":
        raise NotImplementedError("grid_sample: only 4-D input with bilinear or nearest mode is supported")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            "grid_sampler(): expected grid and input to have same batch size, but got input with sizes "
            f"{list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if grid.shape[-1] != 2:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size 2 in last dimension, but got grid with sizes {list(grid.shape)}"
        )
    batch, channels, height, width = input.shape
    output_height, output_width = grid.shape[1], grid.shape[2]
    flat_grid = grid.reshape(batch, -1, 2)
    x = _source_coordinates(flat_grid[..., 0], width, padding_mode, align_corners)
    y = _source_coordinates(flat_grid[..., 1], height, padding_mode, align_corners)
    planes = input.reshape(batch, channels, height * width)
    if mode == "nearest":
        # round() rounds halves to even, as PyTorch's nearbyint does.
        output = _gather_pixels(planes, y.detach().round(), x.detach().round(), height, width)
    else:
        left, top = x.detach().floor(), y.detach().floor()
        right_weight, bottom_weight = x - left, y - top
        output = 0
        for row, row_weight in ((top, 1 - bottom_weight), (top + 1, bottom_weight)):
            for column, column_weight in ((left, 1 - right_weight), (left + 1, right_weight)):
                corner = _gather_pixels(planes, row, column, height, width)
                output = output + corner * (row_weight * column_weight).unsqueeze(1)
    return output.reshape(batch, channels, output_height, output_width)
