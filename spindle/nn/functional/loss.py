"""Loss functions (``F.mse_loss``, ``F.cross_entropy``, ...).

Every loss takes ``reduction`` (``'none'``: per-element losses in the broadcast input shape,
``'mean'``, ``'sum'``) and the deprecated ``size_average``/``reduce`` flags where PyTorch does.
Log-probabilities come from the stable ``log_softmax``; logit losses use a stable log-sigmoid.
"""
import math
import warnings

import spindle
from spindle.nn import _reduction
from spindle.ops.fused import CrossEntropy

from .activation import logsigmoid
from .distance import pairwise_distance

__all__ = [
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "triplet_margin_loss",
    "triplet_margin_with_distance_loss", "margin_ranking_loss", "cosine_embedding_loss", "hinge_embedding_loss",
    "soft_margin_loss", "multilabel_soft_margin_loss", "multilabel_margin_loss", "multi_margin_loss",
    "poisson_nll_loss", "gaussian_nll_loss", "ctc_loss",
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


def _check_margin(margin):
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")


def _check_same_dims(anchor, positive, negative):
    if not anchor.dim() == positive.dim() == negative.dim():
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, "
            f"but got: anchor {anchor.dim()}D, positive {positive.dim()}D, and negative {negative.dim()}D inputs"
        )


def _triplet_loss(distance_positive, distance_negative, distance_swap, margin, reduction):
    if distance_swap is not None:
        distance_negative = spindle.minimum(distance_negative, distance_swap)
    return _reduction.reduce_loss((margin + distance_positive - distance_negative).clamp_min(0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the p-norm distance ``||x - y + eps||_p`` over
    the last dim; ``swap`` uses ``min(d(a, n), d(p, n))`` as the negative distance.

    Shapes: anchor, positive, negative (N, D) or (D,) (broadcastable, same number of dims);
    'none' gives (N,) or ().
    """
    reduction = _reduction.resolve(size_average, reduce, reduction)
    _reduction.get_enum(reduction)
    _check_margin(margin)
    _check_same_dims(anchor, positive, negative)
    distance_swap = pairwise_distance(positive, negative, p, eps) if swap else None
    return _triplet_loss(pairwise_distance(anchor, positive, p, eps), pairwise_distance(anchor, negative, p, eps),
                         distance_swap, margin, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """:func:`triplet_margin_loss` with any ``distance_function(x, y) -> (N,)`` (default: the
    Euclidean pairwise distance)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _check_margin(margin)
    _check_same_dims(anchor, positive, negative)
    if distance_function is None:
        distance_function = pairwise_distance
    distance_swap = distance_function(positive, negative) if swap else None
    return _triplet_loss(distance_function(anchor, positive), distance_function(anchor, negative), distance_swap,
                         margin, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)`` with target in {1, -1}; inputs broadcast but
    must have the same number of dims (N,) or ()."""
    reduction = _reduction.resolve(size_average, reduce, reduction)
    _reduction.get_enum(reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} "
        )
    return _reduction.reduce_loss((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos(x1, x2)`` where target is 1, ``max(0, cos(x1, x2) - margin)`` where it is -1 (0 for
    other targets). Shapes: inputs (N, D) with target (N,), or inputs (D,) with target ()."""
    reduction = _reduction.resolve(size_average, reduce, reduction)
    _reduction.get_enum(reduction)
    target_dims = target.dim()
    if target_dims > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    expected_input_dims = target_dims + 1
    if input1.dim() != expected_input_dims or input2.dim() != expected_input_dims:
        raise RuntimeError(
            f"{target_dims}D target tensor expects {expected_input_dims}D input tensors, but found inputs with "
            f"sizes {list(input1.shape)} and {list(input2.shape)}."
        )
    # The 1e-12 in each squared norm is PyTorch's: it keeps zero vectors from dividing by zero.
    product_sum = (input1 * input2).sum(target_dims)
    squared_norms = ((input1 * input1).sum(target_dims) + 1e-12) * ((input2 * input2).sum(target_dims) + 1e-12)
    cosine = product_sum / squared_norms.sqrt()
    loss = spindle.where(target == 1, 1 - cosine, 0.0) + spindle.where(
        target == -1, (cosine - margin).clamp_min(0), 0.0
    )
    return _reduction.reduce_loss(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``input`` where target is 1, ``max(0, margin - input)`` where it is -1 (other targets add both);
    input and target broadcast, any shape."""
    reduction = _reduction.resolve(size_average, reduce, reduction)
    _reduction.get_enum(reduction)
    loss = spindle.where(target != 1, (margin - input).clamp_min(0), 0.0) + spindle.where(target != -1, input, 0.0)
    return _reduction.reduce_loss(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Two-class logistic loss ``log(1 + exp(-target * input))``, input and target broadcast (any shape).

    Computed as ``-logsigmoid(target * input)``, which stays finite where PyTorch's direct form
    overflows to inf (``target * input < -88`` in float32).
    """
    reduction = _reduction.resolve(size_average, reduce, reduction)
    _reduction.get_enum(reduction)
    return _reduction.reduce_loss(-logsigmoid(input * target), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Per-class binary cross-entropy of logits averaged over the classes (last dim), optionally
    weighted per class: input and target (N, C) give 'none' losses (N,)."""
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(dim=class_dim) / input.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _reduction.reduce_loss(loss, reduction)


def _as_frames(input):
    """(frames, classes) of a margin-loss input (N, C), (C,) or (); PyTorch's emptiness check."""
    dims = input.dim()
    if not ((dims == 2 and input.shape[1] != 0) or (dims == 1 and input.shape[0] != 0) or dims == 0):
        raise RuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {list(input.shape)}"
        )
    if dims <= 1:
        return 1, (1 if dims == 0 else input.shape[0])
    return input.shape[0], input.shape[1]


def _check_long_target(target):
    if target.dtype != spindle.int64:
        raise RuntimeError(f"expected scalar type Long but found {_dtype_name(target.dtype)}")


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-class multi-label hinge loss: ``sum_{j, i} max(0, 1 - (x[y_j] - x[i])) / C`` over the
    target classes ``y_j`` (the entries of ``target`` before its first -1) and the non-target classes i.

    Shapes: input (N, C), (C,) or (); target int64 of the same shape; 'none' gives (N,) or ().
    """
    reduction = _reduction.resolve(size_average, reduce, reduction)
    _reduction.get_enum(reduction)
    frames, classes = _as_frames(input)
    if input.dim() <= 1:
        consistent = target.dim() <= 1 and target.numel() == classes
    else:
        consistent = target.dim() == 2 and tuple(target.shape) == (frames, classes)
    if not consistent:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    _check_long_target(target)
    if target.numel() and (bool((target < -1).any()) or bool((target >= classes).any())):
        raise RuntimeError("argument #2 'target' is out of range")
    scores = input.reshape(frames, classes)
    labels = target.reshape(frames, classes)
    # Labels count up to the first -1; a class listed twice counts twice, as in PyTorch's loop.
    listed = ((labels == -1).cumsum(1) == 0).to(scores.dtype)
    label_counts = spindle.zeros((frames, classes), dtype=scores.dtype, device=scores.device).scatter_add(
        1, labels.clamp_min(0), listed
    )
    non_target = (label_counts == 0).to(scores.dtype)
    # hinges[n, j, i] = max(0, 1 - (x[n, j] - x[n, i])), kept for target classes j and others i.
    hinges = (1 - scores.unsqueeze(2) + scores.unsqueeze(1)).clamp_min(0)
    loss = (hinges * label_counts.unsqueeze(2) * non_target.unsqueeze(1)).sum((1, 2)) / classes
    if input.dim() <= 1:
        loss = loss.reshape(())
    return _reduction.reduce_loss(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Multi-class hinge loss ``sum_{i != y} weight[y] * max(0, margin - x[y] + x[i])^p / C``, p 1 or 2.

    Shapes: input (N, C), (C,) or (); target int64 (N,) (or () / (1,) for one sample); weight (C,),
    not differentiable (as in PyTorch). 'none' gives the target's shape.
    """
    reduction = _reduction.resolve(size_average, reduce, reduction)
    _reduction.get_enum(reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    frames, classes = _as_frames(input)
    if target.dim() > 1 or target.numel() != frames:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of input samples (batch "
            f"size). Expected target size [{frames}], but got {list(target.shape)}. Input has shape "
            f"{list(input.shape)}."
        )
    if weight is not None:
        if weight.numel() != classes:
            raise RuntimeError(f"inconsistent weight size, expected {classes} but got {list(weight.shape)}")
        if weight.requires_grad and spindle.is_grad_enabled():
            raise RuntimeError(
                "The function 'multi_margin_loss' is not differentiable with respect to argument 'weight'. "
                "This input cannot have requires_grad True."
            )
    _check_long_target(target)
    if target.numel() and (bool((target < 0).any()) or bool((target >= classes).any())):
        raise RuntimeError("target out of range")
    scores = input.reshape(frames, classes)
    labels = target.reshape(frames, 1)
    hinges = (margin - scores.gather(1, labels) + scores).clamp_min(0)
    if p == 2:
        hinges = hinges * hinges
    if weight is not None:
        hinges = hinges * weight[labels]
    others = spindle.arange(classes, device=scores.device) != labels
    loss = (hinges * others.to(hinges.dtype)).sum(1) / classes
    return _reduction.reduce_loss(loss.reshape(target.shape), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Poisson negative log-likelihood: ``exp(input) - target * input`` (``log_input``) or
    ``input - target * log(input + eps)``; ``full`` adds the Stirling approximation of
    ``log(target!)`` where target > 1. Input and target broadcast (any shape).

    Where target <= 1 the Stirling term is 0 with a zero gradient (PyTorch's gradient is NaN at 0).
    """
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        below_two = target <= 1
        # Evaluated at a harmless 2 where masked, so no log(0) can put a NaN in the gradient.
        safe_target = spindle.where(below_two, 2.0, target)
        stirling = safe_target * safe_target.log() - safe_target + 0.5 * (2 * math.pi * safe_target).log()
        loss = loss + spindle.where(below_two, 0.0, stirling)
    return _reduction.reduce_loss(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log-likelihood ``0.5 * (log(var) + (input - target)^2 / var)`` (+ ``0.5 log(2 pi)``
    with ``full``); ``var`` is clamped at ``eps`` in value only (its gradient passes unclamped).

    Shapes: input (N, *) or (*); target broadcastable to input; var the input's shape, the input's
    shape without its last dim, one dim of size 1 where the input's is larger, or a float.
    """
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * spindle.ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim()
                  and sum(var_size for input_size, var_size in zip(input.shape, var.shape)
                          if input_size != var_size) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with spindle.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduction.reduce_loss(loss, reduction)


def _shift_right(values, steps):
    """``values`` (N, L) moved ``steps`` positions along L, -inf filling the start."""
    filler = spindle.full((values.shape[0], steps), float("-inf"), dtype=values.dtype, device=values.device)
    return spindle.cat([filler, values[:, : values.shape[1] - steps]], 1)


def _shift_left(values, steps):
    """``values`` (N, L) moved ``steps`` positions back along L, -inf filling the end."""
    filler = spindle.full((values.shape[0], steps), float("-inf"), dtype=values.dtype, device=values.device)
    return spindle.cat([values[:, steps:], filler], 1)


def _log_add3(first, second, third):
    return spindle.stack([first, second, third]).logsumexp(0)


class _ConnectionistTemporalClassification(spindle.autograd.Function):
    """Per-sample CTC negative log-likelihoods (N,) from log_probs (T, N, C) and the extended label
    sequences (N, L) (blank, y1, blank, y2, ..., blank, padded with blanks).

    The forward runs the log-space alpha recursion over time, vectorised over the batch and the label
    positions, then the beta recursion, and keeps PyTorch's gradient: ``exp(log_probs) - occupancy``
    where the occupancy of class c at time t is the posterior probability of the paths through a
    position labelled c at t. That is the gradient with respect to the logits of a log_softmax that
    produced log_probs (not the plain derivative), as PyTorch returns; it is 0 for t >= the input
    length, and 0 for infinite losses with ``zero_infinity`` (NaN without, as in PyTorch).
    """

    @staticmethod
    def forward(ctx, log_probs, extended_labels, input_lengths, extended_lengths, blank, zero_infinity):
        steps, batch, _ = log_probs.shape
        positions = extended_labels.shape[1]
        label_log_probs = log_probs.gather(2, extended_labels.unsqueeze(0).expand(steps, batch, positions))
        position = spindle.arange(positions, device=log_probs.device)
        # A path may jump from position s - 2 to s over a blank unless both labels are equal.
        can_skip = (extended_labels != blank) & (extended_labels != _shift_right_labels(extended_labels))
        minus_infinity = spindle.full((batch, positions), float("-inf"), dtype=log_probs.dtype,
                                      device=log_probs.device)
        log_alpha = _ctc_alpha(label_log_probs, position, can_skip, minus_infinity)
        log_beta = _ctc_beta(label_log_probs, position, can_skip, minus_infinity, input_lengths, extended_lengths)
        negative_log_likelihood = _ctc_final(log_alpha, input_lengths, extended_lengths, minus_infinity)
        impossible = (negative_log_likelihood == float("inf")).reshape(1, batch, 1)
        # log_alpha + log_beta is -inf throughout an impossible sample: adding 0 instead of its infinite
        # loss keeps inf - inf out (its gradient is set below).
        finite_loss = spindle.where(impossible, 0.0, negative_log_likelihood.reshape(1, batch, 1))
        occupancy = (log_alpha + log_beta - label_log_probs + finite_loss).exp()
        class_occupancy = spindle.zeros_like(log_probs).scatter_add(
            2, extended_labels.unsqueeze(0).expand(steps, batch, positions), occupancy
        )
        inside_input = (spindle.arange(steps, device=log_probs.device).unsqueeze(1) < input_lengths).unsqueeze(2)
        gradient = log_probs.exp() - class_occupancy
        if zero_infinity:
            inside_input = inside_input & ~impossible
        else:
            # PyTorch's log-space formula gives NaN for every class of an impossible alignment.
            gradient = spindle.where(impossible, float("nan"), gradient)
        ctx.save_for_backward(spindle.where(inside_input, gradient, 0.0))
        return negative_log_likelihood

    @staticmethod
    def backward(ctx, grad_output):
        (gradient,) = ctx.saved_tensors
        return gradient * grad_output.reshape(1, -1, 1), None, None, None, None, None


def _shift_right_labels(extended_labels):
    """The label two positions earlier (the position itself for the first two)."""
    return spindle.cat([extended_labels[:, :2], extended_labels[:, :-2]], 1)


def _ctc_alpha(label_log_probs, position, can_skip, minus_infinity):
    """log alpha (T, N, L): log-probability of the path prefixes ending at position s at time t."""
    start = spindle.where(position < 2, label_log_probs[0], minus_infinity)
    log_alphas = [start]
    for time in range(1, label_log_probs.shape[0]):
        previous = log_alphas[-1]
        skipped = spindle.where(can_skip, _shift_right(previous, 2), minus_infinity)
        log_alphas.append(_log_add3(previous, _shift_right(previous, 1), skipped) + label_log_probs[time])
    return spindle.stack(log_alphas)


def _ctc_beta(label_log_probs, position, can_skip, minus_infinity, input_lengths, extended_lengths):
    """log beta (T, N, L): log-probability of the path suffixes from position s at time t (including
    time t's label), for t below each sample's input length; -inf elsewhere."""
    steps = label_log_probs.shape[0]
    last_time = (input_lengths - 1).unsqueeze(1)
    is_end = (position == (extended_lengths - 1).unsqueeze(1)) | (position == (extended_lengths - 2).unsqueeze(1))
    can_skip_ahead = _shift_left(can_skip.to(label_log_probs.dtype), 2) == 1
    log_betas = [minus_infinity] * steps
    following = minus_infinity
    for time in range(steps - 1, -1, -1):
        skipped = spindle.where(can_skip_ahead, _shift_left(following, 2), minus_infinity)
        recurred = _log_add3(following, _shift_left(following, 1), skipped) + label_log_probs[time]
        start = spindle.where(is_end, label_log_probs[time], minus_infinity)
        following = spindle.where(last_time == time, start, spindle.where(last_time > time, recurred, minus_infinity))
        log_betas[time] = following
    return spindle.stack(log_betas)


def _ctc_final(log_alpha, input_lengths, extended_lengths, minus_infinity):
    """-log p(target | input) per sample: alpha at the last input step, summed over the two end
    positions; 0 for empty inputs with empty targets and inf for empty inputs with targets."""
    batch = log_alpha.shape[1]
    last_time = (input_lengths - 1).clamp_min(0)
    last_alpha = log_alpha[last_time, spindle.arange(batch, device=log_alpha.device)]
    padded = spindle.cat([minus_infinity[:, :1], last_alpha], 1)
    # Position indices shifted by one for the -inf column: the end blank and the last label.
    ends = spindle.stack([extended_lengths, extended_lengths - 1], 1)
    log_likelihood = padded.gather(1, ends).logsumexp(1)
    empty_input = input_lengths == 0
    empty_value = spindle.where(extended_lengths == 1, 0.0, float("-inf")).to(log_alpha.dtype)
    return -spindle.where(empty_input, empty_value, log_likelihood)


def _lengths_list(lengths, name):
    """Sequence lengths (a tensor of any shape, or a list/tuple of ints) as a list of ints."""
    if isinstance(lengths, spindle.Tensor):
        if lengths.is_floating_point() or lengths.dtype == spindle.bool:
            raise RuntimeError(f"{name} must be integral")
        return [int(length) for length in lengths.reshape(-1).tolist()]
    return [int(length) for length in lengths]


def _ctc_checks(log_probs, targets, input_lengths, target_lengths, blank):
    """PyTorch's argument checks of ctc_loss (log_probs already batched (T, N, C))."""
    steps, batch, classes = log_probs.shape
    where = " (while checking arguments for ctc_loss_allocate_outputs)"
    if not 0 <= blank < classes:
        raise RuntimeError("blank must be in label range")
    if len(input_lengths) != batch:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(target_lengths) != batch:
        raise RuntimeError("target_lengths must be of size batch_size")
    for length in target_lengths:
        if length < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value {length}{where}")
    expected_rows = sum(target_lengths) if targets.dim() == 1 else batch
    if targets.shape[0] != expected_rows:
        raise RuntimeError(
            f"Expected tensor to have size {expected_rows} at dimension 0, but got size {targets.shape[0]} for "
            f"argument #2 'targets'{where}"
        )
    longest = max(target_lengths, default=0)
    if targets.dim() == 2 and targets.shape[1] < longest:
        raise RuntimeError(
            f"Expected tensor to have size at least {longest} at dimension 1, but got size {targets.shape[1]} for "
            f"argument #2 'targets'{where}"
        )
    for length in input_lengths:
        if length < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value {length}{where}")
        if length > steps:
            raise RuntimeError(f"Expected input_lengths to have value at most {steps}, but got value {length}{where}")


def _extended_labels(targets, target_lengths, blank, device):
    """(N, 2 S + 1) int64: blank, y1, blank, ..., yS, blank per sample (S the longest target), with
    the positions past each target (padding, possibly invalid class values) set to blank."""
    batch = len(target_lengths)
    longest = max(target_lengths, default=0)
    lengths = spindle.tensor(target_lengths, dtype=spindle.int64, device=device)
    label_position = spindle.arange(longest, device=device)
    if targets.dim() == 1:
        # Concatenated targets: sample n's labels start at the sum of the earlier lengths.
        starts = lengths.cumsum(0) - lengths
        flat_index = (starts.unsqueeze(1) + label_position).clamp(max=max(targets.shape[0] - 1, 0))
        labels = targets.to(spindle.int64)[flat_index] if targets.shape[0] else flat_index
    else:
        labels = targets[:, :longest].to(spindle.int64)
    labels = spindle.where(label_position < lengths.unsqueeze(1), labels, blank)
    blanks = spindle.full((batch, longest + 1), blank, dtype=spindle.int64, device=device)
    interleaved = spindle.stack([blanks[:, :longest], labels], 2).reshape(batch, 2 * longest)
    return spindle.cat([interleaved, blanks[:, longest:]], 1)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """Connectionist Temporal Classification loss: ``-log`` of the total probability of the alignments
    of each target sequence with its input sequence.

    Shapes: log_probs (T, N, C) or (T, C) (log_softmax outputs); targets (N, S) padded or the (sum of
    target_lengths,) concatenation of the targets, class indices other than ``blank``; input_lengths
    and target_lengths (N,) (tensors or sequences of ints). 'mean' divides each loss by its target
    length (at least 1) before averaging over the batch; 'none' gives (N,) or ().
    ``zero_infinity`` replaces infinite losses (targets too long for their inputs) and their
    gradients by zeros.
    """
    reduction_code = _reduction.get_enum(reduction)
    batched = log_probs.dim() == 3
    if not batched:
        log_probs = log_probs.unsqueeze(1)
    input_lengths = _lengths_list(input_lengths, "input_lengths")
    target_lengths = _lengths_list(target_lengths, "target_lengths")
    _ctc_checks(log_probs, targets, input_lengths, target_lengths, blank)
    device = log_probs.device
    extended_labels = _extended_labels(targets, target_lengths, blank, device)
    extended_lengths = spindle.tensor([2 * length + 1 for length in target_lengths], dtype=spindle.int64,
                                      device=device)
    losses = _ConnectionistTemporalClassification.apply(
        log_probs, extended_labels, spindle.tensor(input_lengths, dtype=spindle.int64, device=device),
        extended_lengths, blank, zero_infinity,
    )
    if zero_infinity:
        losses = spindle.where(losses == float("inf"), 0.0, losses)
    if reduction_code == 1:
        divisors = spindle.tensor(target_lengths, dtype=losses.dtype, device=device).clamp_min(1)
        return (losses / divisors).mean()
    if reduction_code == 2:
        return losses.sum()
    return losses if batched else losses.squeeze(0)
