"""Dropout: ``F.dropout`` (element-wise), ``F.dropout1d/2d/3d`` (whole channels), and the alpha
dropouts of self-normalizing networks (``F.alpha_dropout``, ``F.feature_alpha_dropout``)."""
import warnings

import spindle

from ._inplace import apply_maybe_inplace

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

# The negative saturation value of SELU, -scale * alpha: what alpha dropout sets dropped units to.
_SELU_NEGATIVE_SATURATION = 1.7580993408473766


def _check_probability(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _drop(input, p, mask_shape, inplace):
    """Zero entries with probability ``p`` (drawn once per element of a ``mask_shape`` tensor that
    broadcasts over ``input``) and scale the kept ones by 1 / (1 - p)."""
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    keep = spindle.rand(mask_shape, dtype=input.dtype, device=input.device) >= p
    mask = keep.to(input.dtype) * scale
    return apply_maybe_inplace(lambda x: x * mask, input, inplace)


def dropout(input, p=0.5, training=True, inplace=False):
    """During training, zero each element with probability ``p`` and scale the rest by 1/(1-p);
    the identity otherwise. Shape: any; output has the input's shape."""
    _check_probability(p)
    if not training or p == 0.0:
        return input
    return _drop(input, p, tuple(input.shape), inplace)


def _feature_dropout(input, p, training, inplace):
    # One draw per (sample, channel): the mask has size 1 along every spatial dim.
    if not training or p == 0.0:
        return input
    return _drop(input, p, tuple(input.shape[:2]) + (1,) * (input.dim() - 2), inplace)


def _unbatched_feature_dropout(input, p, training, inplace, batched):
    if batched:
        return _feature_dropout(input, p, training, inplace)
    result = _feature_dropout(input.unsqueeze(0), p, training, False)
    result = result.squeeze(0)
    return input.copy_(result) if inplace and training and p != 0.0 else result


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p`` during training."""
    _check_probability(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that dropout1d "
            "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, "
            "and an optional batch dimension (i.e. 2D or 3D inputs)."
        )
    return _unbatched_feature_dropout(input, p, training, inplace, batched=input.dim() == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) input with probability ``p`` during training."""
    _check_probability(p)
    if input.dim() not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.dim()}-D input to dropout2d, which is deprecated and will result "
            "in an error in a future release. To retain the behavior and silence this warning, please use "
            "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
            "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.dim() == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
            "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
            "will change in a future release to interpret the input as one without a batch dimension, i.e. "
            "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
            "dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    _check_probability(p)
    if input.dim() not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.dim()}-D input to dropout3d, which is deprecated and will result "
            "in an error in a future release. To retain the behavior and silence this warning, please use "
            "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 "
            "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    return _unbatched_feature_dropout(input, p, training, inplace, batched=input.dim() == 5)


def _alpha_drop(input, p, training, inplace, per_channel):
    """Set entries (one draw per element, or per (sample, channel) when ``per_channel``) to
    SELU's saturation value with probability ``p``, then apply the affine map ``a * x + b`` that
    restores zero mean and unit variance, as PyTorch does."""
    _check_probability(p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        return apply_maybe_inplace(lambda x: x * 0.0, input, inplace)
    mask_shape = tuple(input.shape)
    if per_channel:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        mask_shape = mask_shape[:2] + (1,) * (input.dim() - 2)
    keep = (spindle.rand(mask_shape, dtype=input.dtype, device=input.device) >= p).to(input.dtype)
    scale = ((_SELU_NEGATIVE_SATURATION ** 2 * p + 1) * (1 - p)) ** -0.5
    # Kept entries: scale * x + scale * alpha * p; dropped ones: -scale * alpha + scale * alpha * p.
    shift = (keep - 1) * (_SELU_NEGATIVE_SATURATION * scale) + _SELU_NEGATIVE_SATURATION * scale * p
    multiplier = keep * scale
    return apply_maybe_inplace(lambda x: x * multiplier + shift, input, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout (for SELU networks): in training, each element is replaced with probability ``p``
    by SELU's negative saturation, and the result is rescaled to keep the input's mean and variance;
    the identity otherwise (note ``training`` defaults to False). Shape: any."""
    return _alpha_drop(input, p, training, inplace, per_channel=False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels of (N, C, *) input: one draw per (sample, channel)."""
    return _alpha_drop(input, p, training, inplace, per_channel=True)
