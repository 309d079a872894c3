"""Lookups by index: ``F.embedding``, ``F.embedding_bag`` and ``F.one_hot``."""
import warnings

import spindle

__all__ = ["embedding", "embedding_bag", "one_hot"]


def _scale_gradient(tensor, factor):
    """``tensor`` unchanged in value (exactly), whose gradient is multiplied by ``factor``."""
    frozen = tensor.detach()
    return frozen + (tensor - frozen) * factor


def _normalize_padding_idx(padding_idx, num_embeddings):
    if padding_idx is None:
        return None
    if padding_idx > 0 and padding_idx >= num_embeddings:
        raise AssertionError("Padding_idx must be within num_embeddings")
    if padding_idx < 0:
        if padding_idx < -num_embeddings:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx += num_embeddings
    return padding_idx


def _renorm_rows_(weight, indices, max_norm, norm_type):
    """Rescale, in place, the rows of ``weight`` picked by ``indices`` whose ``norm_type``-norm exceeds
    ``max_norm`` down to norm ``max_norm`` (PyTorch's ``embedding_renorm_``)."""
    with spindle.no_grad():
        rows = weight[indices]
        norms = rows.norm(norm_type, dim=1, keepdim=True)
        scale = spindle.where(norms > max_norm, max_norm / (norms + 1e-7), spindle.ones_like(norms))
        weight[indices] = rows * scale


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` (num_embeddings, D) picked by the integer ``input`` (*): output (*, D).

    The row ``padding_idx`` gets no gradient. ``max_norm`` first renormalizes, in place, the picked
    rows whose norm exceeds it. ``scale_grad_by_freq`` divides each row's gradient by how often its
    index occurs in ``input``. Gradients are always dense (``sparse`` is accepted for compatibility).
    """
    if input.dtype not in (spindle.int64, spindle.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {input.type()} instead (while checking arguments for embedding)"
        )
    num_embeddings = weight.shape[0]
    padding_idx = _normalize_padding_idx(padding_idx, num_embeddings)
    flat_indices = input.reshape(-1)
    if max_norm is not None:
        _renorm_rows_(weight, flat_indices, max_norm, norm_type)
    output = weight[flat_indices]
    if padding_idx is not None or scale_grad_by_freq:
        factor = spindle.ones(flat_indices.shape, dtype=weight.dtype, device=weight.device)
        if scale_grad_by_freq:
            counts = spindle.zeros(num_embeddings, dtype=weight.dtype, device=weight.device)
            counts.index_add_(0, flat_indices, factor)
            factor = factor / counts[flat_indices]
        if padding_idx is not None:
            factor = factor * (flat_indices != padding_idx).to(weight.dtype)
        output = _scale_gradient(output, factor.unsqueeze(1))
    return output.reshape(tuple(input.shape) + (weight.shape[1],))


def _bag_offsets(input, offsets, per_sample_weights, include_last_offset):
    """Flatten a 2-D input (B, N) into B bags of N; check a 1-D input's offsets. Returns the flat
    indices, the bag start offsets (int64), the per-sample weights and include_last_offset."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length "
                f"sequences. However, found offsets of type {type(offsets)}"
            )
        offsets = spindle.arange(0, input.numel(), input.shape[1], dtype=spindle.int64, device=input.device)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
        return input.reshape(-1), offsets, per_sample_weights, False
    if input.dim() != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.dim() != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    return input, offsets.to(spindle.int64), per_sample_weights, include_last_offset


def _check_bag_arguments(input, weight, offsets, include_last_offset, per_sample_weights):
    """PyTorch's dtype, offset and index-range checks of embedding_bag (input already flat)."""
    if input.dtype not in (spindle.int64, spindle.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {input.type()} instead (while checking arguments for embedding_bag)"
        )
    if not weight.is_floating_point():
        raise RuntimeError(
            "Expected tensor for argument #1 'weight' to have one of the following scalar types: Half, BFloat16, "
            f"Float, Double; but got {weight.type()} instead (while checking arguments for embedding_bag)"
        )
    if per_sample_weights is not None and per_sample_weights.dtype != weight.dtype:
        raise RuntimeError(
            "Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
            f"'per_sample_weights'; but type {weight.type()} does not equal {per_sample_weights.type()} (while "
            "checking arguments for embedding_bag)"
        )
    if include_last_offset and offsets.numel() < 1:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    if offsets.numel():
        first, last = int(offsets[0].item()), int(offsets[-1].item())
        if first != 0:
            raise RuntimeError(
                "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. "
                f"However, got {first}"
            )
        if last > input.numel():
            raise RuntimeError(
                f"offsets[-1] can not be greater than input's length {input.numel()} but got offsets[-1] of {last}"
            )
        if offsets.numel() > 1 and bool((offsets[1:] < offsets[:-1]).any()):
            raise RuntimeError("offsets must be non-decreasing")
    rows = weight.shape[0]
    out_of_range = ((input < 0) | (input >= rows)).nonzero()
    if out_of_range.numel():
        position = int(out_of_range[0, 0].item())
        raise RuntimeError(
            f"Index {position} of input takes value {int(input[position].item())} which is not in the valid range "
            f"[0, {rows})"
        )


def _bag_max(rows, kept, bag_ids, starts, bag_count):
    """Per-bag elementwise max of ``rows`` (L, D) over the kept positions; 0 for empty bags. The rows
    are laid out as (bags, longest bag, D), padded with -inf; the gradient goes to the first maximum."""
    length = rows.shape[0]
    position = spindle.arange(length, device=rows.device)
    slot = position - starts[bag_ids] if length else position
    longest = max(int(slot.max().item()) + 1 if length else 0, 1)
    layout = spindle.full((bag_count, longest), length, dtype=spindle.int64, device=rows.device)
    layout[bag_ids[kept], slot[kept]] = position[kept]
    # Index ``length`` is a padding row of -inf appended to the rows.
    filler = spindle.full((1, rows.shape[1]), float("-inf"), dtype=rows.dtype, device=rows.device)
    padded = spindle.cat([rows, filler], 0)[layout]
    values = padded.max(dim=1)[0]
    has_rows = (layout < length).any(1, keepdim=True)
    return spindle.where(has_rows, values, 0.0)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of rows of ``weight`` (num_embeddings, D), without materialising
    the rows per bag: output (B, D).

    Bags: a 2-D ``input`` (B, N) is B bags of N indices; a 1-D input is cut at ``offsets`` (B,) (bag b
    runs from offsets[b] to offsets[b + 1], the last to the end), or at (B + 1,) boundaries with
    ``include_last_offset``. Empty bags give zeros. Indices equal to ``padding_idx`` are left out of
    their bag (and its count for 'mean'). ``per_sample_weights`` (the input's shape, 'sum' only)
    scale each row. ``max_norm``, ``norm_type`` and ``scale_grad_by_freq`` act as in :func:`embedding`.
    """
    if weight.dtype == spindle.int64 and input.is_floating_point():
        warnings.warn(
            "Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, ...)` "
            "is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
            stacklevel=2,
        )
        weight, input = input, weight
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it must have the "
            f"same shape as the input ({input.shape})"
        )
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    input, offsets, per_sample_weights, include_last_offset = _bag_offsets(
        input, offsets, per_sample_weights, include_last_offset
    )
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    _check_bag_arguments(input, weight, offsets, include_last_offset, per_sample_weights)
    rows_count = weight.shape[0]
    if padding_idx is not None and not -rows_count <= padding_idx < rows_count:
        raise RuntimeError(
            f"padding_idx must be within the number of embeddings, {-rows_count} through {rows_count - 1}, but got "
            f"{padding_idx}"
        )
    if max_norm is not None:
        _renorm_rows_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' "
            f"(got mode='{mode}'). Please open a feature request on GitHub."
        )
    padding_idx = _normalize_padding_idx(padding_idx, rows_count)
    bag_count = offsets.numel() - 1 if include_last_offset else offsets.numel()
    if bag_count == 0:
        return weight[:0].clone()
    starts = offsets[:bag_count]
    length = input.numel()
    # Bag of each position: how many bag starts are at or before it, less one.
    start_marks = spindle.zeros(length + 1, dtype=spindle.int64, device=input.device)
    start_marks.index_add_(0, starts, spindle.ones_like(starts))
    bag_ids = (start_marks[:length].cumsum(0) - 1).clamp_min(0)
    kept = spindle.ones(length, dtype=spindle.bool, device=input.device)
    if include_last_offset:
        kept = spindle.arange(length, device=input.device) < offsets[bag_count]
    if padding_idx is not None:
        kept = kept & (input != padding_idx)
    rows = embedding(input, weight, padding_idx, None, norm_type, scale_grad_by_freq)
    if mode == "max":
        return _bag_max(rows, kept, bag_ids, starts, bag_count)
    row_weights = kept.to(weight.dtype)
    if per_sample_weights is not None:
        row_weights = row_weights * per_sample_weights
    total = spindle.zeros((bag_count, weight.shape[1]), dtype=weight.dtype, device=weight.device).index_add(
        0, bag_ids, rows * row_weights.unsqueeze(1)
    )
    if mode == "sum":
        return total
    counts = spindle.zeros(bag_count, dtype=weight.dtype, device=weight.device).index_add(0, bag_ids, row_weights)
    return total / counts.clamp_min(1).unsqueeze(1)


def one_hot(tensor, num_classes=-1):
    """Integer class values (*) to a (*, num_classes) int64 tensor with a 1 at each value's position.

    ``num_classes=-1`` uses ``tensor.max() + 1``.
    """
    if tensor.dtype != spindle.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max().item()) + 1
    if tensor.numel() > 0:
        if tensor.min().item() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if tensor.max().item() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = spindle.arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).to(spindle.int64)
