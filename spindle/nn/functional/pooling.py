"""Pooling: max and average pooling over sliding windows (1-D, 2-D and 3-D), and adaptive pooling.

Sliding-window pooling runs on the ops of ``spindle.ops.pooling`` (one strided array operation per
kernel offset); a 1-D pooling is a 2-D one of height 1. Adaptive pooling, whose windows vary in size,
is written with Tensor operations: average pooling as two matrix products with averaging matrices,
max pooling as a gather of every window followed by a max. A 3-D pooling is separable (a 3-D window
is a depth range of height-width windows): it pools each depth slice in 2-D, then along depth in 1-D.
"""
import math

import spindle
from spindle.ops.convolution import ConvolutionGeometry
from spindle.ops.pooling import MaxPool, WindowSum
from spindle.ops.reduction import legacy_scalar_name

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "lp_pool1d",
    "lp_pool2d",
    "max_unpool1d",
    "max_unpool2d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
]


def _expand(value, dims, name, function):
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if len(values) == 1:
        values = values * dims
    if len(values) != dims:
        kind = "a single int" if dims == 1 else f"a single int, or a tuple of {dims} ints"
        raise RuntimeError(f"{function}: {name} must either be {kind}")
    return tuple(int(item) for item in values)


def _check_input(input, dims, function):
    """``input`` with a batch dim (N, C, *spatial), and whether it came with one."""
    if input.dim() not in (dims + 1, dims + 2) or any(size == 0 for size in input.shape[-dims:]):
        raise RuntimeError(
            f"{function}: Expected {dims + 1}D or {dims + 2}D (batch mode) non-empty tensor for input, but got "
            f"input of size: {list(input.shape)}"
        )
    batched = input.dim() == dims + 2
    return (input if batched else input.unsqueeze(0)), batched


def _pooled_size(size, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's pooling output size; with ``ceil_mode`` the last window must start inside the input
    or its left padding."""
    numerator = size + 2 * padding - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)
    output = numerator // stride + 1
    if ceil_mode and (output - 1) * stride >= size + padding:
        output -= 1
    return output


def _window_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, dims, function):
    """Checked arguments as a ``ConvolutionGeometry`` over the last two dims of ``x`` (N, C, H, W)."""
    kernel_size = _expand(kernel_size, dims, "kernel_size", function)
    stride = kernel_size if stride is None or stride == [] or stride == () else _expand(stride, dims, "stride", function)
    padding = _expand(padding, dims, "padding", function)
    dilation = _expand(dilation, dims, "dilation", function)
    if any(size <= 0 for size in kernel_size):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_size={list(kernel_size)}")
    if any(step <= 0 for step in stride):
        raise RuntimeError("stride should not be zero" if 0 in stride else f"stride should be greater than zero, but got stride={list(stride)}")
    if any(rate <= 0 for rate in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation={list(dilation)}")
    if any(amount < 0 for amount in padding):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(padding)}")
    for amount, kernel, rate in zip(padding, kernel_size, dilation):
        if amount > (rate * (kernel - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={amount}, kernel_size={kernel} "
                f"and dilation={rate}"
            )
    input_size = tuple(x.shape[-dims:])
    output_size = tuple(
        _pooled_size(*arguments, ceil_mode) for arguments in zip(input_size, kernel_size, stride, padding, dilation)
    )
    if any(size < 1 for size in output_size):
        sizes = "x".join(str(size) for size in (x.shape[1],) + input_size)
        pooled = "x".join(str(size) for size in (x.shape[1],) + output_size)
        raise RuntimeError(f"Given input size: ({sizes}). Calculated output size: ({pooled}). Output size is too small")

    def two_dims(values, fill):
        return (fill,) + tuple(values) if dims == 1 else tuple(values)

    return ConvolutionGeometry(
        two_dims(input_size, 1), two_dims(output_size, 1), two_dims(kernel_size, 1), two_dims(stride, 1),
        two_dims(dilation, 1), two_dims(tuple((amount, amount) for amount in padding), (0, 0)),
    )


def _as_planes(x, dims):
    """(N, C, L) as (N, C, 1, L) for 1-D pooling; 2-D input as it is."""
    return x.unsqueeze(2) if dims == 1 else x


def _from_planes(y, dims, batched):
    y = y.squeeze(2) if dims == 1 else y
    return y if batched else y.squeeze(0)


def _split_geometry(geometry):
    """A checked 3-D window geometry as (depth geometry, as a 1-D one of height 1; height-width one)."""
    def depth(values, fill):
        return (fill, values[0])

    def planes(values):
        return tuple(values[1:])

    fields = (geometry.input_size, geometry.output_size, geometry.kernel_size, geometry.stride, geometry.dilation)
    depth_geometry = ConvolutionGeometry(*(depth(values, 1) for values in fields), depth(geometry.padding, (0, 0)))
    plane_geometry = ConvolutionGeometry(*(planes(values) for values in fields), planes(geometry.padding))
    return depth_geometry, plane_geometry


def _max_pooling(geometry, return_indices):
    """Max pooling of (N, C, H, W) planes over ``geometry``: its values, or (values, indices)."""
    if return_indices:
        return lambda planes: MaxPool.values_and_indices(planes, geometry)
    return lambda planes: MaxPool.apply(planes, geometry)


def _without_batch(result, batched):
    """``result`` (a tensor or a tuple of them) without the batch dim that unbatched input was given."""
    if batched:
        return result
    return tuple(part.squeeze(0) for part in result) if isinstance(result, tuple) else result.squeeze(0)


def _pool_separably(x, pool_planes, pool_depth, return_indices):
    """A 3-D pooling of ``x`` (N, C, D, H, W) as ``pool_planes`` of every depth slice, (N, C', H, W)
    -> (N, C', OH, OW), followed by ``pool_depth`` along depth, given as planes of height 1,
    (N, C', 1, D) -> (N, C', 1, OD). Each returns its values, or (values, int64 flat indices) when
    ``return_indices``; the result's indices are then d * H * W + h * W + w, as PyTorch's."""
    batch, channels, depth, height, width = x.shape
    pooled = pool_planes(x.reshape(batch, channels * depth, height, width))
    plane_values, plane_indices = pooled if return_indices else (pooled, None)
    output_height, output_width = plane_values.shape[2:]
    lines = plane_values.reshape(batch, channels, depth, output_height, output_width).permute(0, 1, 3, 4, 2)
    pooled = pool_depth(lines.reshape(batch, channels * output_height * output_width, 1, depth))
    depth_values, depth_indices = pooled if return_indices else (pooled, None)

    def as_volume(lines):
        output_depth = lines.shape[-1]
        return lines.reshape(batch, channels, output_height, output_width, output_depth).permute(0, 1, 4, 2, 3)

    values = as_volume(depth_values)
    if not return_indices:
        return values
    depth_indices = as_volume(depth_indices)
    plane_indices = plane_indices.reshape(batch, channels, depth, output_height, output_width)
    return values, depth_indices * (height * width) + plane_indices.gather(2, depth_indices)


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, dims):
    function = f"max_pool{dims}d"
    x, batched = _check_input(input, dims, function)
    geometry = _window_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, dims, function)
    if dims == 3:
        depth_geometry, plane_geometry = _split_geometry(geometry)
        pooled = _pool_separably(
            x, _max_pooling(plane_geometry, return_indices), _max_pooling(depth_geometry, return_indices),
            return_indices,
        )
        return _without_batch(pooled, batched)
    planes = _as_planes(x, dims)
    if not return_indices:
        return _from_planes(MaxPool.apply(planes, geometry), dims, batched)
    values, indices = MaxPool.values_and_indices(planes, geometry)
    return _from_planes(values, dims, batched), _from_planes(indices, dims, batched)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over windows of ``kernel_size`` of ``input`` (N, C, L) or (C, L), every ``stride`` (default:
    ``kernel_size``) positions, with ``padding`` (never chosen) and ``dilation``. Output (N, C, L_out),
    plus the int64 positions of the maxima when ``return_indices``."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over ``kernel_size`` windows of ``input`` (N, C, H, W) or (C, H, W), every ``stride`` (default:
    ``kernel_size``) pixels, with ``padding`` (never chosen) and ``dilation``; ``ceil_mode`` keeps partial
    windows at the end. Output (N, C, H_out, W_out), plus the int64 flat indices (row * W + column) of
    the maxima in each input plane when ``return_indices``."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over ``kernel_size`` windows of ``input`` (N, C, D, H, W) or (C, D, H, W), every ``stride``
    (default: ``kernel_size``) voxels, with ``padding`` (never chosen) and ``dilation``; ``ceil_mode``
    keeps partial windows at the end. Output (N, C, D_out, H_out, W_out), plus the int64 flat indices
    (d * H * W + h * W + w) of the maxima in each input volume when ``return_indices``."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, 1)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, 2)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, 3)


def _window_counts(geometry, axis, count_include_pad):
    """Per output position along ``axis``: how many pixels its window averages over (PyTorch's rule:
    padding counts when ``count_include_pad``, what lies beyond the padding never does)."""
    size, stride, kernel = geometry.input_size[axis], geometry.stride[axis], geometry.kernel_size[axis]
    padding = geometry.padding[axis][0]
    counts = []
    for position in range(geometry.output_size[axis]):
        start = position * stride - padding
        end = min(start + kernel, size + padding)
        counts.append(end - start if count_include_pad else min(end, size) - max(start, 0))
    return counts


def _average(sums, divisor):
    """``sums / divisor``, rounded toward zero for integer sums (as PyTorch's integer pooling)."""
    return sums / divisor if sums.is_floating_point() else spindle.div(sums, divisor, rounding_mode="trunc")


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, dims):
    function = f"avg_pool{dims}d"
    x, batched = _check_input(input, dims, function)
    # PyTorch averages integer volumes (rounding toward zero), but not integer images or lines.
    if not x.is_floating_point() and (dims != 3 or x.dtype == spindle.bool):
        raise RuntimeError(f'"{function}" not implemented for \'{x.dtype}\'')
    geometry = _window_geometry(x, kernel_size, stride, padding, 1, ceil_mode, dims, function)
    if dims == 3:
        depth_geometry, plane_geometry = _split_geometry(geometry)
        sums = _pool_separably(
            x, lambda planes: WindowSum.apply(planes, plane_geometry),
            lambda planes: WindowSum.apply(planes, depth_geometry), False,
        )
    else:
        sums = _from_planes(WindowSum.apply(_as_planes(x, dims), geometry), dims, True)
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        return _without_batch(_average(sums, divisor_override), batched)
    # The window size is separable too: the product of the per-dim counts.
    counts = [_window_counts(geometry, axis, count_include_pad) for axis in range(len(geometry.kernel_size))]
    if all(len(set(axis_counts)) == 1 for axis_counts in counts):
        divisor = math.prod(axis_counts[0] for axis_counts in counts)
    else:
        divisor = spindle.ones((), dtype=x.dtype, device=x.device)
        for axis, axis_counts in enumerate(counts):
            shape = [1] * len(counts)
            shape[axis] = len(axis_counts)
            divisor = divisor * spindle.tensor(axis_counts, dtype=x.dtype, device=x.device).reshape(shape)
    return _without_batch(_average(sums, divisor), batched)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over windows of ``kernel_size`` of ``input`` (N, C, L) or (C, L), every ``stride`` (default:
    ``kernel_size``) positions; zero ``padding`` counts in the mean when ``count_include_pad``."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over ``kernel_size`` windows of ``input`` (N, C, D, H, W) or (C, D, H, W), every ``stride``
    (default: ``kernel_size``) voxels; zero ``padding`` counts in the mean when ``count_include_pad``,
    and ``divisor_override`` replaces the window size as divisor. Output (N, C, D_out, H_out, W_out)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over ``kernel_size`` windows of ``input`` (N, C, H, W) or (C, H, W), every ``stride`` (default:
    ``kernel_size``) pixels; zero ``padding`` counts in the mean when ``count_include_pad``, and
    ``divisor_override`` replaces the window size as divisor. Output (N, C, H_out, W_out)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2)


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, dims):
    max_pool, avg_pool = (max_pool1d, avg_pool1d) if dims == 1 else (max_pool2d, avg_pool2d)
    if norm_type == math.inf:
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -math.inf:
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    means = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    window = math.prod(_expand(kernel_size, dims, "kernel_size", f"lp_pool{dims}d"))
    # PyTorch's form: the relu makes the gradient zero where a window's sum of powers is zero.
    return (means.sign() * means.abs().relu()).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling of (N, C, L) or (C, L) input: ``(sum of x**p over each window) ** (1/p)``
    with ``p = norm_type`` (inf: max of |x|), windows of ``kernel_size`` every ``stride`` positions."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling of (N, C, H, W) or (C, H, W) input: ``(sum of x**p over each window) **
    (1/p)`` with ``p = norm_type`` (inf: max of |x|). Output (N, C, H_out, W_out) as for avg_pool2d."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """The spatial size of max-unpooling's output: the default inverts the pooling's size formula;
    an explicit ``output_size`` (spatial, or with N and C in front) must lie within a stride of it."""
    dims = len(kernel_size)
    default = [(input.shape[-dims + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d] for d in range(dims)]
    if output_size is None:
        sizes = default
    else:
        if len(output_size) == dims + 2:
            output_size = output_size[2:]
        if len(output_size) != dims:
            raise ValueError(
                f"output_size should be a sequence containing {dims} or {dims + 2} elements, but it has a length "
                f"of '{len(output_size)}'"
            )
        for d in range(dims):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < output_size[d] < high:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {low} and {high})')
        sizes = output_size
    for d, size in enumerate(sizes):
        if size < 0:
            raise ValueError(
                f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                f"output_size[{d}]={size}"
            )
    return tuple(int(size) for size in sizes)


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, dims):
    function = f"max_unpool{dims}d"
    kernel_size = _expand(kernel_size, dims, "kernel_size", function)
    stride = kernel_size if stride is None else _expand(stride, dims, "stride", function)
    padding = _expand(padding, dims, "padding", function)
    sizes = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    # PyTorch runs the 1-D form as the 2-D one on (..., L, 1): its messages count that extra dim.
    extra = (1,) if dims == 1 else ()
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with {input.dim() + len(extra)} "
            "dimensions."
        )
    if indices.dtype != spindle.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {legacy_scalar_name(indices.dtype)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(
            "Expected shape of indices to be same as that of the input tensor "
            f"({list(input.shape) + list(extra)}) but got indices tensor with shape: {list(indices.shape) + list(extra)}"
        )
    batched = input.dim() == dims + 2
    x, positions = (input, indices) if batched else (input.unsqueeze(0), indices.unsqueeze(0))
    batch, channels, plane = x.shape[0], x.shape[1], math.prod(sizes)
    positions = positions.reshape(batch, channels, -1)
    invalid = (positions < 0) | (positions >= plane)
    if bool(invalid.any()):
        raise RuntimeError(
            f"Found an invalid max index: {positions[invalid][0].item()} (output volumes are of size "
            f"{'x'.join(str(size) for size in sizes + extra)})"
        )
    output = spindle.zeros(batch, channels, plane, dtype=x.dtype, device=x.device)
    output = output.scatter(2, positions, x.reshape(batch, channels, -1)).reshape((batch, channels) + sizes)
    return output if batched else output.squeeze(0)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool1d``: each value of ``input`` (N, C, L) or (C, L) goes to position
    ``indices`` (from ``max_pool1d(..., return_indices=True)``) of a zero output (N, C, L_out), where
    ``L_out = (L - 1) * stride - 2 * padding + kernel_size`` unless ``output_size`` says otherwise."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool2d``: each value of ``input`` (N, C, H, W) or (C, H, W) goes to the
    flat position ``indices`` (row * W_out + column) of a zero output (N, C, H_out, W_out), sized by
    inverting the pooling's size formula unless ``output_size`` is given."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def _adaptive_output_size(output_size, input_size, dims, function):
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * dims
    if len(sizes) != dims:
        raise RuntimeError(f"{function}(): internal error: output_size.size() must be {dims}")
    sizes = tuple(size if size is not None else default for size, default in zip(sizes, input_size))
    if any(size < 0 for size in sizes):
        raise RuntimeError(
            f"{function}: elements of output_size must be greater than or equal to 0 but received {list(sizes)}"
        )
    return sizes


def _adaptive_windows(size, output_size):
    """(start, end) of each adaptive window along a dim: start = floor(i * size / out),
    end = ceil((i + 1) * size / out)."""
    return [((i * size) // output_size, -(-((i + 1) * size) // output_size)) for i in range(output_size)]


def _averaging_matrix(size, output_size, like):
    """(output_size, size): row i averages the pixels of adaptive window i."""
    rows = [
        [1.0 / (end - start) if start <= position < end else 0.0 for position in range(size)]
        for start, end in _adaptive_windows(size, output_size)
    ]
    return spindle.tensor(rows, dtype=like.dtype, device=like.device).reshape(output_size, size)


def _adaptive_avg_pool(input, output_size, dims):
    function = f"adaptive_avg_pool{dims}d"
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"{function}(): Expected {dims + 1}D or {dims + 2}D tensor, but got {list(input.shape)}")
    sizes = _adaptive_output_size(output_size, tuple(input.shape[-dims:]), dims, function)
    if all(size == 1 for size in sizes):
        return input.mean(tuple(range(-dims, 0)), keepdim=True)
    output = input
    for axis, size in zip(range(-dims, 0), sizes):
        matrix = _averaging_matrix(input.shape[axis], size, input)
        # Average along one dim at a time: move it last, multiply by the transposed matrix, move it back.
        output = (output.transpose(axis, -1) @ matrix.t()).transpose(axis, -1)
    return output


def adaptive_avg_pool1d(input, output_size):
    """Mean over ``output_size`` windows that tile ``input`` (N, C, L) or (C, L): window i spans
    [floor(i * L / out), ceil((i + 1) * L / out))."""
    return _adaptive_avg_pool(input, output_size, 1)


def adaptive_avg_pool2d(input, output_size):
    """Mean over an ``output_size`` (an int, a pair, None keeping the input's size) grid of windows
    tiling ``input`` (N, C, H, W) or (C, H, W); along each dim window i spans
    [floor(i * size / out), ceil((i + 1) * size / out)). Output (N, C, *output_size)."""
    return _adaptive_avg_pool(input, output_size, 2)


def adaptive_avg_pool3d(input, output_size):
    """Mean over an ``output_size`` (an int, a triple, None keeping the input's size) grid of windows
    tiling ``input`` (N, C, D, H, W) or (C, D, H, W); along each dim window i spans
    [floor(i * size / out), ceil((i + 1) * size / out)). Output (N, C, *output_size)."""
    return _adaptive_avg_pool(input, output_size, 3)


def _gather_positions(windows):
    """Each window's pixel positions padded to the longest window by repeating its last pixel (which
    leaves a maximum unchanged): a list of lists, one per window."""
    longest = max(end - start for start, end in windows)
    return [[min(start + offset, end - 1) for offset in range(longest)] for start, end in windows]


def _adaptive_max_pool(input, output_size, return_indices, dims):
    function = f"adaptive_max_pool{dims}d"
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"{function}(): Expected {dims + 1}D or {dims + 2}D tensor, but got: {list(input.shape)}")
    if any(size == 0 for size in input.shape[-dims:]):
        raise RuntimeError(
            f"{function}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
            f"{list(input.shape)}"
        )
    batched = input.dim() == dims + 2
    sizes = _adaptive_output_size(output_size, tuple(input.shape[-dims:]), dims, function)
    if dims == 3:
        pooled = _pool_separably(
            input if batched else input.unsqueeze(0),
            lambda planes: _adaptive_max_pool(planes, sizes[1:], return_indices, 2),
            lambda planes: _adaptive_max_pool(planes, (1, sizes[0]), return_indices, 2),
            return_indices,
        )
        return _without_batch(pooled, batched)
    x = _as_planes(input if batched else input.unsqueeze(0), dims)
    height, width = x.shape[2], x.shape[3]
    output_height, output_width = (1,) + sizes if dims == 1 else sizes
    rows = _gather_positions(_adaptive_windows(height, output_height))
    columns = _gather_positions(_adaptive_windows(width, output_width))
    window_height, window_width = len(rows[0]), len(columns[0])

    def index(positions):
        return spindle.tensor([p for window in positions for p in window], dtype=spindle.int64, device=x.device)

    gathered = x.index_select(2, index(rows)).index_select(3, index(columns))
    batch, channels = x.shape[0], x.shape[1]
    windows = gathered.reshape(batch, channels, output_height, window_height, output_width, window_width)
    windows = windows.permute(0, 1, 2, 4, 3, 5).reshape(batch, channels, output_height, output_width, -1)
    values, offsets = windows.max(-1)
    values = _from_planes(values, dims, batched)
    if not return_indices:
        return values
    flat = [
        [[row * width + column for row in row_window for column in column_window] for column_window in columns]
        for row_window in rows
    ]
    table = spindle.tensor(flat, dtype=spindle.int64, device=x.device)
    table = table.expand(batch, channels, output_height, output_width, window_height * window_width)
    indices = table.gather(-1, offsets.unsqueeze(-1)).squeeze(-1)
    return values, _from_planes(indices, dims, batched)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over ``output_size`` windows that tile ``input`` (N, C, L) or (C, L) (the windows of
    ``adaptive_avg_pool1d``), plus the int64 positions of the maxima when ``return_indices``."""
    return _adaptive_max_pool(input, output_size, return_indices, 1)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over the ``output_size`` grid of windows tiling ``input`` (N, C, H, W) or (C, H, W) (the
    windows of ``adaptive_avg_pool2d``), plus the int64 flat indices (row * W + column) of the maxima
    when ``return_indices``. Output (N, C, *output_size)."""
    return _adaptive_max_pool(input, output_size, return_indices, 2)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over the ``output_size`` grid of windows tiling ``input`` (N, C, D, H, W) or (C, D, H, W) (the
    windows of ``adaptive_avg_pool3d``), plus the int64 flat indices (d * H * W + h * W + w) of the
    maxima when ``return_indices``. Output (N, C, *output_size)."""
    return _adaptive_max_pool(input, output_size, return_indices, 3)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max_pool(input, output_size, True, 1)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max_pool(input, output_size, True, 2)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max_pool(input, output_size, True, 3)
