"""Normalization: ``F.batch_norm``, ``F.instance_norm``, ``F.layer_norm``, ``F.rms_norm``,
``F.group_norm``, ``F.local_response_norm`` and ``F.normalize``."""
import numpy

import spindle
from spindle.ops.fused import BatchNorm, LayerNorm

from .padding import pad

__all__ = [
    "batch_norm", "instance_norm", "layer_norm", "rms_norm", "group_norm", "local_response_norm", "normalize",
]


def _standardize(input, dims, eps):
    """``(input - mean) / sqrt(var + eps)`` over ``dims`` (biased variance), with the mean and
    variance (keepdim shapes) for callers that track running statistics."""
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dims, keepdim=True)
    return centered * (var + eps).rsqrt(), mean, var


def _channel_shape(input):
    """Shape that broadcasts a per-channel vector over ``input`` of shape (N, C, *)."""
    return (1, input.shape[1]) + (1,) * (input.dim() - 2)


def _affine(output, weight, bias, shape):
    if weight is not None:
        output = output * weight.reshape(shape)
    if bias is not None:
        output = output + bias.reshape(shape)
    return output


def _verify_batch_size(size):
    values_per_channel = size[0]
    for extent in size[2:]:
        values_per_channel *= extent
    if values_per_channel == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalize each channel of ``input`` (N, C, *) over the batch and spatial dims.

    In training, batch statistics normalize and, if given, ``running_mean``/``running_var`` (C,) are
    updated in place: ``running = (1 - momentum) * running + momentum * batch``, with the unbiased
    batch variance. Otherwise the running statistics normalize. ``weight``/``bias`` (C,) scale and
    shift the result.
    """
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if input.dim() < 2:
        raise ValueError(f"Expected 2D or more input (got {input.dim()}D input)")
    channels = input.shape[1]
    for name, tensor in (("running_mean", running_mean), ("running_var", running_var),
                         ("weight", weight), ("bias", bias)):
        if tensor is not None and tensor.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {tensor.numel()}")
    if not training:
        for name, tensor in (("running_mean", running_mean), ("running_var", running_var)):
            if tensor is None:
                raise RuntimeError(f"{name} must be defined in evaluation mode")
    return BatchNorm.apply(input, weight, bias, running_mean, running_var, training, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the trailing dims given by ``normalized_shape``, then scale by ``weight`` and
    shift by ``bias`` (both of shape ``normalized_shape``)."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    count = len(normalized_shape)
    if count == 0 or input.dim() < count or tuple(input.shape[input.dim() - count:]) != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size{list(input.shape)}"
        )
    return LayerNorm.apply(input, count, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the C channels of ``input`` (N, C, *) into ``num_groups`` groups and normalize each
    group of each sample; ``weight``/``bias`` (C,) apply per channel."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    batch, channels = input.shape[0], input.shape[1]
    if channels % num_groups != 0:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"{list(input.shape)} and num_groups={num_groups}"
        )
    _verify_batch_size([batch * channels // num_groups, num_groups] + list(input.shape[2:]))
    grouped = input.reshape(batch, num_groups, -1)
    output, _, _ = _standardize(grouped, (2,), eps)
    return _affine(output.reshape(input.shape), weight, bias, _channel_shape(input))


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``; written into ``out`` if given."""
    denominator = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denominator
    return out.copy_(input / denominator)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalize each channel of each sample of ``input`` (N, C, *) over its spatial dims.

    With ``use_input_stats`` the per-instance statistics normalize and, if given, the running
    statistics (C,) move towards their average over the batch (unbiased variances), as in PyTorch;
    otherwise ``running_mean``/``running_var`` normalize. ``weight``/``bias`` (C,) scale and shift.
    """
    if use_input_stats:
        spatial = 1
        for extent in input.shape[2:]:
            spatial *= extent
        if spatial == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.size()}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    batch, channels = input.shape[0], input.shape[1]

    def per_instance(tensor):
        return None if tensor is None else tensor.repeat(batch)

    # Instance norm is batch norm of a batch of one sample whose channels are all (sample, channel) pairs.
    instance_mean, instance_var = per_instance(running_mean), per_instance(running_var)
    folded = input.reshape((1, batch * channels) + tuple(input.shape[2:]))
    output = batch_norm(folded, instance_mean, instance_var, per_instance(weight), per_instance(bias),
                        use_input_stats, momentum, eps)
    if use_input_stats:
        with spindle.no_grad():
            for running, updated in ((running_mean, instance_mean), (running_var, instance_var)):
                if running is not None:
                    running.copy_(updated.reshape(batch, channels).mean(0))
    return output.reshape(tuple(input.shape))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``input / sqrt(mean(input**2) + eps)`` over the trailing ``normalized_shape`` dims, times
    ``weight`` (of that shape) if given; ``eps=None`` is the machine epsilon of the input's dtype."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    count = len(normalized_shape)
    if input.dim() < count or tuple(input.shape[input.dim() - count:]) != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*{', '.join(str(s) for s in normalized_shape)}], but got input of size{list(input.shape)}"
        )
    if weight is not None and tuple(weight.shape) != normalized_shape:
        raise RuntimeError(
            f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
            f"{list(weight.shape)} and normalized_shape = {list(normalized_shape)}"
        )
    if eps is None:
        eps = float(numpy.finfo(input.dtype.numpy_dtype).eps)
    dims = tuple(range(-count, 0))
    output = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return output if weight is None else output * weight


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Divide each element of ``input`` (N, C, *) by ``(k + alpha * mean(x**2)) ** beta``, the mean
    taken over ``size`` neighbouring channels (zero-padded at the ends, always divided by ``size``)."""
    if input.dim() < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality                          input (got {input.dim()} dimensions)"
        )
    if input.numel() == 0:
        return input
    # Pad the channel dim (moved last) so every window of `size` channels is a slice of the padding.
    squares = (input * input).transpose(1, -1)
    padded = pad(squares, (size // 2, (size - 1) // 2))
    channels = input.shape[1]
    window_sum = padded.narrow(-1, 0, channels)
    for offset in range(1, size):
        window_sum = window_sum + padded.narrow(-1, offset, channels)
    divisor = (window_sum.transpose(1, -1) * (alpha / size) + k).pow(beta)
    return input / divisor
