"""Convolutions: ``F.conv1d``, ``F.conv2d``, ``F.conv3d`` and their transposed forms.

They check their arguments as PyTorch does and run on the im2col ops of ``spindle.ops.convolution``;
a 1-D convolution is a 2-D one of height 1, and a 3-D one is a single 2-D one over depth windows folded
into the batch (see ``_convolution3d``). Input without a batch dim (C, *) is accepted as in PyTorch.
"""
import spindle
from spindle.ops.convolution import Convolution, ConvolutionGeometry, ConvolutionTranspose

from .padding import pad

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


def expand_argument(value, count, name):
    """An int, or a sequence of ``count`` ints, as a tuple of ``count`` ints."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * count
    if len(values) != count:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {count} values to match the "
            f"convolution dimensions, but got {name}={list(values)}"
        )
    return tuple(int(item) for item in values)


def batched_input(input, dims, name):
    """``input`` with a batch dim (unbatched input gets one), and whether it had one."""
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {name}, but got input of "
            f"size: {list(input.shape)}"
        )
    batched = input.dim() == dims + 2
    return (input if batched else input.unsqueeze(0)), batched


def _check_weight(weight, dims, name):
    if weight.dim() != dims + 2:
        raise RuntimeError(
            f"Expected {dims + 2}D weight for {name} ({dims} spatial dims), but got weight of size "
            f"{list(weight.shape)}"
        )


def _check_positive(values, what):
    if any(value <= 0 for value in values):
        raise RuntimeError(f"non-positive {what} is not supported")


def _check_non_negative(values, what):
    if any(value < 0 for value in values):
        raise RuntimeError(f"negative {what} is not supported")


def _check_dtypes(input, weight, bias):
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"Input type ({input.type()}) and weight type ({weight.type()}) should be the same"
        )
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({input.type()}) and bias type ({bias.type()}) should be the same")


def _check_bias(bias, channels, weight):
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != channels):
        raise RuntimeError(
            f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with {channels} "
            f"elements, but got bias of size {list(bias.shape)} instead"
        )


def _check_groups(groups, weight):
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
            f"weight of size {list(weight.shape)} instead"
        )


def _sizes_text(sizes):
    return " x ".join(str(size) for size in sizes)


def _as_two_dims(sizes, fill):
    """Per-dim values of a 1-D convolution as 2-D ones (height 1 with value ``fill``)."""
    return (fill,) + tuple(sizes) if len(sizes) == 1 else tuple(sizes)


def _same_padding(kernel_size, stride, dilation):
    """'same' padding: the total ``dilation * (kernel - 1)`` per dim, the odd pixel after, as PyTorch."""
    if any(step != 1 for step in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    totals = [rate * (size - 1) for rate, size in zip(dilation, kernel_size)]
    return tuple((total // 2, total - total // 2) for total in totals)


def _convolution(input, weight, bias, stride, padding, dilation, groups, dims, name):
    x, batched = batched_input(input, dims, name)
    _check_weight(weight, dims, name)
    stride = expand_argument(stride, dims, "stride")
    dilation = expand_argument(dilation, dims, "dilation")
    _check_positive(stride, "stride")
    _check_positive(dilation, "dilation")
    _check_groups(groups, weight)
    kernel_size = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * dims
        elif padding == "same":
            pads = _same_padding(kernel_size, stride, dilation)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        padding = expand_argument(padding, dims, "padding")
        _check_non_negative(padding, "padding")
        pads = tuple((amount, amount) for amount in padding)
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input{list(x.shape)} to have "
            f"{weight.shape[1] * groups} channels, but got {x.shape[1]} channels instead"
        )
    _check_bias(bias, weight.shape[0], weight)
    _check_dtypes(x, weight, bias)
    padded = [size + before + after for size, (before, after) in zip(x.shape[2:], pads)]
    extents = [rate * (size - 1) + 1 for rate, size in zip(dilation, kernel_size)]
    if any(size < extent for size, extent in zip(padded, extents)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({_sizes_text(padded)}). Kernel size: "
            f"({_sizes_text(extents)}). Kernel size can't be greater than actual input size"
        )
    output_size = [(size - extent) // step + 1 for size, extent, step in zip(padded, extents, stride)]
    if dims == 3:
        output = _convolution3d(x, weight, bias, stride, pads, dilation, groups, output_size[0])
        return output if batched else output.squeeze(0)
    if dims == 1:
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
    geometry = ConvolutionGeometry(
        _as_two_dims(x.shape[-dims:], 1), _as_two_dims(output_size, 1), _as_two_dims(kernel_size, 1),
        _as_two_dims(stride, 1), _as_two_dims(dilation, 1), _as_two_dims(pads, (0, 0)), groups,
    )
    output = Convolution.apply(x, weight, bias, geometry)
    if dims == 1:
        output = output.squeeze(2)
    return output if batched else output.squeeze(0)


def _convolution_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, dims, name):
    x, batched = batched_input(input, dims, name)
    _check_weight(weight, dims, name)
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    stride = expand_argument(stride, dims, "stride")
    dilation = expand_argument(dilation, dims, "dilation")
    padding = expand_argument(padding, dims, "padding")
    output_padding = expand_argument(output_padding, dims, "output_padding")
    _check_positive(stride, "stride")
    _check_positive(dilation, "dilation")
    _check_non_negative(padding, "padding")
    _check_non_negative(output_padding, "output_padding")
    _check_groups(groups, weight)
    if any(extra >= step and extra >= rate for extra, step, rate in zip(output_padding, stride, dilation)):
        if dims == 3:
            # PyTorch's 3-D kernel words its message per axis.
            got = " ".join(
                f"{name}_{axis}: {value}"
                for name, values in (("output_padding", output_padding), ("stride", stride), ("dilation", dilation))
                for axis, value in zip(("depth", "height", "width"), values)
            )
        else:
            got = f"output_padding: {list(output_padding)}, stride: {list(stride)}, dilation: {list(dilation)}"
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got {got}")
    if x.shape[1] != weight.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(x.shape)} to have "
            f"{weight.shape[0]} channels, but got {x.shape[1]} channels instead"
        )
    _check_bias(bias, weight.shape[1] * groups, weight)
    _check_dtypes(x, weight, bias)
    kernel_size = tuple(weight.shape[2:])
    input_size = tuple(x.shape[2:])
    output_size = [
        (size - 1) * step - 2 * amount + rate * (kernel - 1) + extra + 1
        for size, step, amount, rate, kernel, extra in zip(input_size, stride, padding, dilation, kernel_size, output_padding)
    ]
    if any(size <= 0 for size in output_size):
        raise RuntimeError(
            f"Given input size per channel: ({_sizes_text(input_size)}). Calculated output size per channel: "
            f"({_sizes_text(output_size)}). Output size is too small"
        )
    if dims == 3:
        output = _convolution_transpose3d(
            x, weight, bias, stride, padding, output_padding, groups, dilation, output_size[0]
        )
        return output if batched else output.squeeze(0)
    if dims == 1:
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
    # The transposed convolution's output is the input of the convolution it transposes.
    geometry = ConvolutionGeometry(
        _as_two_dims(output_size, 1), _as_two_dims(input_size, 1), _as_two_dims(kernel_size, 1),
        _as_two_dims(stride, 1), _as_two_dims(dilation, 1),
        _as_two_dims(tuple((amount, amount) for amount in padding), (0, 0)), groups,
    )
    output = ConvolutionTranspose.apply(x, weight, bias, geometry)
    if dims == 1:
        output = output.squeeze(2)
    return output if batched else output.squeeze(0)


def _depth_windows_as_channels(x, kernel_depth, dilation, stride, output_depth, groups):
    """The depth windows of ``x`` (N, C, D, H, W) folded for one 2-D convolution:
    (N * output_depth, C * kernel_depth, H, W), where image (n, od) holds, for each group, its channels
    at depth ``od * stride + k * dilation`` for every kernel offset k (channel order: group, k,
    channel within the group), so that a (O, kernel_depth * C / groups, kh, kw) weight sees a 3-D window."""
    batch, channels, _, height, width = x.shape
    last = (output_depth - 1) * stride + 1
    windows = [x[:, :, k * dilation:k * dilation + last:stride] for k in range(kernel_depth)]
    stacked = spindle.stack(windows, 2).reshape(
        batch, groups, channels // groups, kernel_depth, output_depth, height, width
    )
    return stacked.permute(0, 4, 1, 3, 2, 5, 6).reshape(batch * output_depth, channels * kernel_depth, height, width)


def _unfold_depth(output, batch, output_depth):
    """(N * OD, C, H, W) images back to the volume (N, C, OD, H, W)."""
    channels, height, width = output.shape[1:]
    return output.reshape(batch, output_depth, channels, height, width).permute(0, 2, 1, 3, 4)


def _convolution3d(x, weight, bias, stride, pads, dilation, groups, output_depth):
    """``conv3d`` of checked arguments: ``x`` (N, C, D, H, W) is zero-padded, its depth windows are
    folded into the batch and the kernel depth into the channels, and one ``conv2d`` does the rest
    (gradients flow through it and the views, so no op of its own is needed)."""
    if any(before or after for before, after in pads):
        x = pad(x, [amount for pair in reversed(pads) for amount in pair])
    out_channels, group_channels, kernel_depth, kernel_height, kernel_width = weight.shape
    images = _depth_windows_as_channels(x, kernel_depth, dilation[0], stride[0], output_depth, groups)
    planar_weight = weight.permute(0, 2, 1, 3, 4).reshape(
        out_channels, kernel_depth * group_channels, kernel_height, kernel_width
    )
    output = conv2d(images, planar_weight, bias, stride[1:], 0, dilation[1:], groups)
    return _unfold_depth(output, x.shape[0], output_depth)


def _convolution_transpose3d(x, weight, bias, stride, padding, output_padding, groups, dilation, output_depth):
    """``conv_transpose3d`` of checked arguments. Along depth a transposed convolution is a plain
    convolution with the kernel flipped, over the input with ``stride - 1`` zeros between its slices and
    ``dilation * (k - 1) - padding`` zeros before (negative: cropped); that depth convolution folds into
    the batch as in ``_convolution3d``, and one ``conv_transpose2d`` does the height and width."""
    batch, in_channels, depth, height, width = x.shape
    _, group_out_channels, kernel_depth, kernel_height, kernel_width = weight.shape
    if stride[0] > 1:
        spread = spindle.stack([x] + [spindle.zeros_like(x)] * (stride[0] - 1), 3)
        x = spread.reshape(batch, in_channels, depth * stride[0], height, width)[:, :, :(depth - 1) * stride[0] + 1]
    before = dilation[0] * (kernel_depth - 1) - padding[0]
    after = before + output_padding[0]
    x = pad(x, (0, 0, 0, 0, before, after))
    images = _depth_windows_as_channels(x, kernel_depth, dilation[0], 1, output_depth, groups)
    planar_weight = (
        weight.flip(2)
        .reshape(groups, in_channels // groups, group_out_channels, kernel_depth, kernel_height, kernel_width)
        .permute(0, 3, 1, 2, 4, 5)
        .reshape(in_channels * kernel_depth, group_out_channels, kernel_height, kernel_width)
    )
    output = conv_transpose2d(
        images, planar_weight, bias, stride[1:], padding[1:], output_padding[1:], groups, dilation[1:]
    )
    return _unfold_depth(output, batch, output_depth)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) of ``input`` (N, C_in, L) or (C_in, L) with ``weight``
    (C_out, C_in / groups, k), plus ``bias`` (C_out,). ``padding`` is an int, a 1-tuple, 'valid' or
    'same'. Output (N, C_out, L_out), L_out = (L + 2 * padding - dilation * (k - 1) - 1) // stride + 1."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of ``input`` (N, C_in, H, W) or (C_in, H, W) with ``weight``
    (C_out, C_in / groups, kh, kw), plus ``bias`` (C_out,). ``stride``, ``padding`` and ``dilation`` are
    ints or pairs; ``padding`` may also be 'valid' or 'same' (stride 1). Output (N, C_out, H_out, W_out),
    H_out = (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation) of ``input`` (N, C_in, D, H, W) or (C_in, D, H, W) with
    ``weight`` (C_out, C_in / groups, kd, kh, kw), plus ``bias`` (C_out,). ``stride``, ``padding`` and
    ``dilation`` are ints or triples; ``padding`` may also be 'valid' or 'same' (stride 1). Output
    (N, C_out, D_out, H_out, W_out), D_out = (D + 2 * padding - dilation * (kd - 1) - 1) // stride + 1."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution (the gradient of ``conv1d`` with respect to its input) of ``input``
    (N, C_in, L) or (C_in, L) with ``weight`` (C_in, C_out / groups, k), plus ``bias`` (C_out,). Output
    (N, C_out, L_out), L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1."""
    return _convolution_transpose(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 1, "conv_transpose1d"
    )


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution (the gradient of ``conv2d`` with respect to its input; an upsampler)
    of ``input`` (N, C_in, H, W) or (C_in, H, W) with ``weight`` (C_in, C_out / groups, kh, kw), plus
    ``bias`` (C_out,). Output (N, C_out, H_out, W_out),
    H_out = (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1."""
    return _convolution_transpose(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 2, "conv_transpose2d"
    )


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution (the gradient of ``conv3d`` with respect to its input) of ``input``
    (N, C_in, D, H, W) or (C_in, D, H, W) with ``weight`` (C_in, C_out / groups, kd, kh, kw), plus
    ``bias`` (C_out,). Output (N, C_out, D_out, H_out, W_out),
    D_out = (D - 1) * stride - 2 * padding + dilation * (kd - 1) + output_padding + 1."""
    return _convolution_transpose(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 3, "conv_transpose3d"
    )
