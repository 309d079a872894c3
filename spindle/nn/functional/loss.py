"""Loss functions (``F.mse_loss``, ``F.cross_entropy``, ...).

Every loss takes ``reduction`` (``'none'``: per-element losses in the broadcast input shape,
``'mean'``, ``'sum'``) and the deprecated ``size_average``/``reduce`` flags where PyTorch does.
Log-probabilities come from the stable ``log_softmax``; logit losses use a stable log-sigmoid.
"""
import warnings

import spindle
from spindle.nn import _reduction
from spindle.ops.fused import CrossEntropy

from .activation import logsigmoid

__all__ = [
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
]


def _warn_if_sizes_differ(input, target):
    if target.size() != input.size():
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def _pointwise_loss(input, target, reduction, weight, elementwise, mean_over_weights=True):
    """Shared body of the regression losses: broadcast, ``elementwise(difference)``, then an optional
    per-element ``weight`` (same size as input); with a weight, 'mean' divides by the weight sum
    if ``mean_over_weights``, else by the element count (PyTorch's huber_loss)."""
    _warn_if_sizes_differ(input, target)
    _reduction.get_enum(reduction)
    loss = elementwise(input - target)
    if weight is None:
        return _reduction.reduce_loss(loss, reduction)
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and mean_over_weights:
        return loss.sum() / weight.sum()
    return _reduction.reduce_loss(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean/sum/none of ``|input - target|`` (optionally weighted per element)."""
    reduction = _reduction.resolve(size_average, reduce, reduction)
    return _pointwise_loss(input, target, reduction, weight, lambda difference: difference.abs())


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean/sum/none of ``(input - target) ** 2`` (optionally weighted per element)."""
    reduction = _reduction.resolve(size_average, reduce, reduction)
    return _pointwise_loss(input, target, reduction, weight, lambda difference: difference * difference)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 z**2 / beta`` where ``z = |input - target| < beta``, else ``z - 0.5 beta`` (L1 if beta=0)."""
    reduction = _reduction.resolve(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _pointwise_loss(input, target, reduction, None, lambda difference: difference.abs())

    def elementwise(difference):
        z = difference.abs()
        return spindle.where(z < beta, (0.5 / beta) * z * z, z - 0.5 * beta)

    return _pointwise_loss(input, target, reduction, None, elementwise)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 z**2`` where ``z = |input - target| < delta``, else ``delta * (z - 0.5 delta)``."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")

    def elementwise(difference):
        z = difference.abs()
        return spindle.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))

    return _pointwise_loss(input, target, reduction, weight, elementwise, mean_over_weights=False)


def _check_class_target(input, target, weight):
    """PyTorch's shape/dtype checks for class-index targets of input (N, C, *) or (C,)."""
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    target_batch = target.shape[0] if target.dim() else 0
    if input.dim() != 1 and input.shape[0] != target_batch:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target_batch}).")
    if input.dim() == 1 and target.dim() == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    if input.dim() <= 2 and target.dim() > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.dim() > 2 and tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
        expected = [input.shape[0]] + list(input.shape[2:])
        raise RuntimeError(f"Expected target size {expected}, got {list(target.shape)}")
    if target.dtype not in (spindle.int64, spindle.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_dtype_name(target.dtype)}")
    classes = input.shape[1] if input.dim() >= 2 else input.shape[0]
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(
            f"weight tensor should be defined either for all {classes} classes or no classes but got weight "
            f"tensor of shape: {list(weight.shape)}"
        )


def _dtype_name(dtype):
    # PyTorch's scalar type names as printed in its dtype errors (Float, Double, Int, Long...).
    return {
        "float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int32": "Int",
        "int64": "Long", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
    }.get(str(dtype).rsplit(".", 1)[-1], str(dtype))


def _target_weights(target, weight, ignore_index, dtype):
    """Targets (N, *) with the ignored ones replaced by class 0 (safe to index with), and the
    per-element weights ``weight[t]`` (1 without ``weight``), 0 where ``target == ignore_index``,
    that 'mean' divides by."""
    kept = target != ignore_index
    safe_target = (target * kept.to(target.dtype)).to(spindle.int64)
    element_weights = kept.to(dtype)
    if weight is not None:
        element_weights = weight[safe_target] * element_weights
    return safe_target, element_weights


def _picked_losses(log_probs, target, weight, ignore_index):
    """Per-element ``-weight[t] * log_probs[n, t, ...]`` for input (N, C, *) and target (N, *), and the
    per-element weights (see :func:`_target_weights`)."""
    safe_target, element_weights = _target_weights(target, weight, ignore_index, log_probs.dtype)
    picked = log_probs.gather(1, safe_target.unsqueeze(1)).squeeze(1)
    return -picked * element_weights, element_weights


def _fused_cross_entropy(input, target, weight, ignore_index):
    """What :func:`_picked_losses` gives for ``log_softmax(input, 1)``, from the fused op, which takes
    the classes last: logits (N, C, d1, ...) move C to the end first."""
    rows = input if input.dim() == 2 else input.movedim(1, -1).reshape(-1, input.shape[1])
    _, element_weights = _target_weights(target, weight, ignore_index, input.dtype)
    loss = CrossEntropy.apply(rows, target.reshape(-1), weight, ignore_index)
    return loss.reshape(target.shape), element_weights


def _reduce_weighted(loss, element_weights, reduction):
    """Reduce per-element losses; 'mean' divides by the total weight of the non-ignored targets."""
    if reduction != "mean":
        return _reduction.reduce_loss(loss, reduction)
    total = element_weights.sum()
    # With every target ignored PyTorch returns NaN but zero gradients: divide by 1 instead of 0
    # (the gradient then stays 0 * finite) and add the NaN as a constant.
    nothing_kept = total == 0
    return loss.sum() / spindle.where(nothing_kept, 1.0, total) + spindle.where(nothing_kept, float("nan"), 0.0)


def _as_batched(input, target):
    # An unbatched input (C,) with target () is computed as a batch of one.
    if input.dim() == 1:
        return input.unsqueeze(0), target.reshape(1)
    return input, target


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of class indices: ``-weight[t] * input[n, t]``.

    Shapes: input (N, C) or (C,) or (N, C, d1, ...) of log-probabilities; target (N,) or () or
    (N, d1, ...) int64 class indices; weight (C,). Targets equal to ``ignore_index`` contribute
    nothing; 'mean' divides by the sum of the weights of the non-ignored targets.
    """
    reduction = _reduction.resolve(size_average, reduce, reduction)
    _reduction.get_enum(reduction)
    _check_class_target(input, target, weight)
    unbatched = input.dim() == 1
    input, target = _as_batched(input, target)
    loss, element_weights = _picked_losses(input, target, weight, ignore_index)
    if unbatched:
        loss, element_weights = loss.squeeze(0), element_weights.squeeze(0)
    return _reduce_weighted(loss, element_weights, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits ``input`` and class indices or class probabilities ``target``.

    Shapes: input (N, C), (C,) or (N, C, d1, ...) unnormalized logits; target either int64 class
    indices (N,), () or (N, d1, ...) (``ignore_index`` and ``weight`` (C,) as in :func:`nll_loss`),
    or probabilities with the input's shape. ``label_smoothing`` in [0, 1] mixes the target with the
    uniform distribution over the C classes.
    """
    reduction = _reduction.resolve(size_average, reduce, reduction)
    _reduction.get_enum(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 1 if input.dim() >= 2 else 0
    if input.dim() >= 1 and target.shape == input.shape:
        return _cross_entropy_with_probabilities(input, target, weight, ignore_index, reduction, label_smoothing)
    _check_class_target(input, target, weight)
    classes = input.shape[class_dim]
    unbatched = input.dim() == 1
    input, target = _as_batched(input, target)
    if label_smoothing == 0.0:
        loss, element_weights = _fused_cross_entropy(input, target, weight, ignore_index)
    else:
        log_probs = spindle.log_softmax(input, 1)
        loss, element_weights = _picked_losses(log_probs, target, weight, ignore_index)
    if unbatched:
        loss, element_weights = loss.squeeze(0), element_weights.squeeze(0)
    result = _reduce_weighted(loss, element_weights, reduction)
    if label_smoothing == 0.0:
        return result
    # Uniform part of the smoothed target: -sum_c weight[c] * log p_c, zero on ignored targets.
    weighted = log_probs if weight is None else log_probs * weight.reshape((1, classes) + (1,) * (input.dim() - 2))
    kept = (target != ignore_index).to(log_probs.dtype)
    smooth_loss = -weighted.sum(1) * kept
    if unbatched:
        smooth_loss = smooth_loss.squeeze(0)
    return (1 - label_smoothing) * result + _reduce_weighted(smooth_loss, element_weights, reduction) * (
        label_smoothing / classes
    )


def _cross_entropy_with_probabilities(input, target, weight, ignore_index, reduction, label_smoothing):
    if not target.is_floating_point():
        raise RuntimeError(
            f"Expected floating point type for target with class probabilities, got {_dtype_name(target.dtype)}"
        )
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    class_dim = 1 if input.dim() >= 2 else 0
    classes = input.shape[class_dim]
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    products = spindle.log_softmax(input, class_dim) * target
    if weight is not None:
        products = products * weight.reshape((classes,) + (1,) * (input.dim() - class_dim - 1))
    # 'mean' averages over the batch elements, whatever the weights.
    return _reduction.reduce_loss(-products.sum(class_dim), reduction)


class _BinaryCrossEntropy(spindle.autograd.Function):
    """Elementwise ``-w * (t * log(x) + (1 - t) * log(1 - x))`` with logs clamped at -100.

    A Function so that the gradient is PyTorch's ``w * (x - t) / max(x * (1 - x), 1e-12)``: the
    composite form would give 0 * inf = NaN where a probability is exactly 0 or 1.
    """

    @staticmethod
    def forward(ctx, input, target, weight):
        ctx.save_for_backward(input, target, weight)
        loss = -(target * _clamped_log(input) + (1 - target) * _clamped_log(1 - input))
        return loss if weight is None else loss * weight

    @staticmethod
    def backward(ctx, grad_output):
        input, target, weight = ctx.saved_tensors
        grad_input = grad_target = None
        if weight is not None:
            grad_output = grad_output * weight
        if ctx.needs_input_grad[0]:
            grad_input = grad_output * (input - target) / (input * (1 - input)).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:
            # Unclamped, as in PyTorch: infinite where a probability is exactly 0 or 1.
            grad_target = grad_output * ((1 - input).log() - input.log())
        return grad_input, grad_target, None


def _clamped_log(x):
    return x.log().clamp(min=-100)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy between probabilities ``input`` and ``target`` (same shape, any).

    ``weight`` broadcasts to the target's shape and rescales each element's loss. Logs are clamped
    at -100, as in PyTorch, so probabilities of exactly 0 or 1 give finite losses.
    """
    reduction = _reduction.resolve(size_average, reduce, reduction)
    _reduction.get_enum(reduction)
    if target.size() != input.size():
        raise ValueError(
            f"Using a target size ({target.size()}) that is different to the input size ({input.size()}) is "
            "deprecated. Please ensure they have the same size."
        )
    if weight is not None:
        weight = weight.expand(spindle.broadcast_shapes(target.shape, weight.shape))
    return _reduction.reduce_loss(_BinaryCrossEntropy.apply(input, target, weight), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross-entropy of ``sigmoid(input)`` against ``target``, computed stably from logits.

    ``loss = (1 - t) * x - (1 + (pos_weight - 1) * t) * log(sigmoid(x))``, times ``weight``.
    Shapes: input and target the same (any); ``pos_weight`` broadcasts along the last (class) dim.
    """
    reduction = _reduction.resolve(size_average, reduce, reduction)
    _reduction.get_enum(reduction)
    if target.size() != input.size():
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    log_weight = 1 if pos_weight is None else (pos_weight - 1) * target + 1
    loss = (1 - target) * input - log_weight * logsigmoid(input)
    if weight is not None:
        loss = loss * weight
    return _reduction.reduce_loss(loss, reduction)


def _x_log_x(x):
    """``x * log(x)`` with ``0 * log(0) = 0`` (PyTorch's ``xlogy(x, x)``); the inner ``where`` keeps
    log's infinite slope at 0 out of the gradient."""
    is_zero = x == 0
    return spindle.where(is_zero, 0.0, x * spindle.where(is_zero, 1.0, x).log())


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence ``target * (log(target) - input)`` with ``input`` log-probabilities.

    ``log_target=True`` takes the target as log-probabilities. ``reduction='batchmean'`` divides the
    sum by the batch size (the mathematically correct KL); 'mean' divides by every element and warns.
    """
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
    if reduction != "batchmean":
        _reduction.get_enum(reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _x_log_x(target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() != 0 else total
    return _reduction.reduce_loss(loss, reduction)
