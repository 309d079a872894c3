"""Attention: ``F.scaled_dot_product_attention`` and ``F.multi_head_attention_forward`` (the
computation behind ``nn.MultiheadAttention``), with PyTorch's mask conventions.

Masks come in two kinds. An *additive* float mask is added to the attention scores (``-inf`` forbids
a position). A *boolean* mask means opposite things in the two functions, as in PyTorch:
``scaled_dot_product_attention`` attends where it is True, while ``multi_head_attention_forward``'s
``attn_mask`` and ``key_padding_mask`` forbid where they are True.
"""
import math
import warnings

import spindle
from spindle.ops.fused import MaskedSoftmax

from .dropout import dropout
from .linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value.

    Shapes: query (*, L, E), key (*, S, E), value (*, S, Ev); output (*, L, Ev); the leading dims
    broadcast. ``scale`` defaults to 1/sqrt(E). ``attn_mask`` broadcasts to (*, L, S): boolean
    (True = may attend) or float (added to the scores). ``is_causal`` lets query i attend keys
    0..i only (and excludes ``attn_mask``, as PyTorch's reference does). ``dropout_p`` drops attention
    weights (always, as in PyTorch: pass 0 in evaluation). With ``enable_gqa`` key and value may
    have fewer heads (dim -3) than query, each shared by a group of query heads. A query row that
    may attend nothing gets zeros.
    """
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_dtype_name(query.dtype)} key.dtype: {_dtype_name(key.dtype)} and value.dtype: "
            f"{_dtype_name(value.dtype)} instead."
        )
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(
            f"scaled_dot_product_attention expects query, key and value to be at least 2-D, but got "
            f"{query.dim()}-D, {key.dim()}-D and {value.dim()}-D tensors"
        )
    if query.size(-1) != key.size(-1) or key.size(-2) != value.size(-2):
        raise RuntimeError(
            "scaled_dot_product_attention expects query (*, L, E), key (*, S, E) and value (*, S, Ev), but got "
            f"query {list(query.shape)}, key {list(key.shape)} and value {list(value.shape)}"
        )
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if attn_mask is not None and attn_mask.dtype != spindle.bool and not attn_mask.is_floating_point():
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: "
            f"{_dtype_name(attn_mask.dtype)} and  query.dtype: {_dtype_name(query.dtype)} instead."
        )
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa and key.dim() >= 3 and key.size(-3) != query.size(-3):
        groups = query.size(-3) // key.size(-3)
        key = key.repeat_interleave(groups, -3)
        value = value.repeat_interleave(groups, -3)
    target_length, source_length = query.size(-2), key.size(-2)
    scale = 1.0 / math.sqrt(query.size(-1)) if scale is None else scale
    # Scaling the (L, E) query costs less than scaling the (L, S) scores whenever E < S.
    scores = (query * scale) @ key.transpose(-2, -1)
    forbidden = None
    if is_causal:
        forbidden = spindle.ones(target_length, source_length, dtype=spindle.bool, device=query.device).triu(1)
    elif attn_mask is not None and attn_mask.dtype == spindle.bool:
        forbidden = attn_mask.logical_not()
    elif attn_mask is not None:
        scores = scores + attn_mask
    if forbidden is not None:
        weights = MaskedSoftmax.apply(scores, forbidden)
    else:
        weights = _softmax_attending_nothing_to_zero(scores, may_be_empty=attn_mask is not None)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights @ value


def _softmax_attending_nothing_to_zero(scores, may_be_empty):
    """softmax over the last dim, except that rows of -inf only (nothing to attend) give zeros and
    no gradient, where a plain softmax gives NaN (as the fused ``MaskedSoftmax`` does for boolean
    masks). ``may_be_empty`` False skips the check."""
    if not may_be_empty:
        return scores.softmax(-1)
    empty = scores.amax(-1, keepdim=True) == float("-inf")
    if not bool(empty.any()):
        return scores.softmax(-1)
    return scores.masked_fill(empty, 0.0).softmax(-1).masked_fill(empty, 0.0)


def _dtype_name(dtype):
    return {spindle.float32: "float", spindle.float64: "double", spindle.float16: "c10::Half",
            spindle.int64: "long int", spindle.int32: "int"}.get(dtype, str(dtype).replace("spindle.", ""))


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A boolean mask (True = forbidden) as an additive float mask of ``target_type`` (-inf where
    forbidden); a float mask as is. Warns when ``mask`` and the other mask differ in type."""
    if mask is None:
        return None
    is_float = mask.is_floating_point()
    if mask.dtype != spindle.bool and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both instead.",
            stacklevel=3,
        )
    if not is_float:
        mask = spindle.zeros(mask.shape, dtype=target_type, device=mask.device).masked_fill(mask, float("-inf"))
    return mask


def _none_or_dtype(input):
    return None if input is None else input.dtype


def _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the input is batched (3-D query), after checking that the other arguments agree."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D"
                f" but found {key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D"
                f" but found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D"
                f" but found {attn_mask.dim()}-D tensor instead"
            )
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D"
                f" but found {key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D"
                f" but found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D"
                    f" but found {attn_mask.dim()}-D tensor instead"
                )
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return False
    raise AssertionError(
        f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query tensor"
    )


def _project_inputs(query, key, value, in_proj_weight, in_proj_bias, separate_weights):
    """q, k, v = the input projections of query, key, value. Self-attention too makes three
    products with the three blocks of the packed weight: the gradient of one packed product split
    in three would be assembled from three full-size zero-padded pieces."""
    weights = separate_weights if separate_weights is not None else in_proj_weight.chunk(3)
    biases = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention over sequence-first inputs: query (L, N, E), key (S, N, E_k), value
    (S, N, E_v), or unbatched (L, E), (S, E_k), (S, E_v). Returns ``(output, weights)``: output
    (L, N, E) and, with ``need_weights``, the attention weights (N, L, S) averaged over heads
    (``average_attn_weights``) or (N, num_heads, L, S); else None. See
    :class:`spindle.nn.MultiheadAttention` for the masks and the other arguments."""
    separate_weights = (q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight else None
    return _multi_head_attention(
        query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
        add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training, key_padding_mask, need_weights,
        attn_mask, separate_weights, static_k, static_v, average_attn_weights, is_causal, batch_first=False,
    )


def _multi_head_attention(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k,
                          bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training,
                          key_padding_mask, need_weights, attn_mask, separate_weights, static_k, static_v,
                          average_attn_weights, is_causal, batch_first):
    """:func:`multi_head_attention_forward` for batched or unbatched input; batched input is (N, L, E)
    with ``batch_first`` (computed in that layout, without transposed copies), else (L, N, E).
    ``separate_weights`` is (W_q, W_k, W_v), or None for the packed ``in_proj_weight``."""
    is_batched = _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    output, weights = _batched_multi_head_attention(
        query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
        add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training, key_padding_mask, need_weights,
        attn_mask, separate_weights, static_k, static_v, average_attn_weights, is_causal,
        batch_first=batch_first and is_batched,
    )
    if not is_batched:
        output = output.squeeze(1)
        if weights is not None:
            weights = weights.squeeze(0)
    return output, weights


def _batched_multi_head_attention(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                  bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training,
                                  key_padding_mask, need_weights, attn_mask, separate_weights, static_k, static_v,
                                  average_attn_weights, is_causal, batch_first):
    """The computation of :func:`_multi_head_attention` on batched inputs."""
    batch_dim = 0 if batch_first else 1
    batch, target_length, embed_dim = query.size(batch_dim), query.size(1 - batch_dim), query.size(2)
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask),
                                       "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method "
            "`generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint replaces the mask: scaled_dot_product_attention builds it itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if separate_weights is not None:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(
                f"key's sequence and batch dims {key.shape[:2]} do not match value's {value.shape[:2]}"
            )
        if any(weight is None for weight in separate_weights):
            raise AssertionError("use_separate_proj_weight is True but q_proj_weight, k_proj_weight or "
                                 "v_proj_weight is None")
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
    q, k, v = _project_inputs(query, key, value, in_proj_weight, in_proj_bias, separate_weights)
    if not batch_first:
        q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
    # From here on q, k, v are (N, length, E).
    if attn_mask is not None:
        source_length = k.size(1)
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (target_length, source_length):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                    f"{(target_length, source_length)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (batch * num_heads, target_length, source_length):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                    f"{(batch * num_heads, target_length, source_length)}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key or value.")
        k = spindle.cat([k, bias_k.reshape(1, 1, embed_dim).expand(batch, 1, embed_dim)], 1)
        v = spindle.cat([v, bias_v.reshape(1, 1, embed_dim).expand(batch, 1, embed_dim)], 1)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must be both set or both None")

    def heads(x):  # (N, length, E) -> (N, heads, length, head_dim)
        return x.reshape(batch, x.size(1), num_heads, head_dim).transpose(1, 2)

    q = heads(q)
    k = heads(k) if static_k is None else _static_heads(static_k, batch, num_heads, head_dim, "static_k")
    v = heads(v) if static_v is None else _static_heads(static_v, batch, num_heads, head_dim, "static_v")
    if add_zero_attn:
        zeros = spindle.zeros(batch, num_heads, 1, head_dim, dtype=k.dtype, device=k.device)
        k = spindle.cat([k, zeros], 2)
        v = spindle.cat([v, zeros], 2)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    source_length = k.size(2)
    if attn_mask is not None:  # (1 or N * heads, L, S) -> (1 or N, 1 or heads, L, S)
        shared = attn_mask.size(0) == 1
        attn_mask = attn_mask.reshape(1 if shared else batch, 1 if shared else num_heads, target_length, source_length)
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (batch, source_length):
            dim = 0 if key_padding_mask.shape[0] != batch else 1
            raise AssertionError(
                f"Expected key_padded_mask.shape[{dim}] to be {(batch, source_length)[dim]}, but got "
                f"{key_padding_mask.shape[dim]}"
            )
        padding = key_padding_mask.reshape(batch, 1, 1, source_length)
        attn_mask = padding if attn_mask is None else attn_mask + padding
    if not training:
        dropout_p = 0.0
    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        scores = (q * (1.0 / math.sqrt(head_dim))) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = scores.softmax(-1)
        attended = (dropout(weights, dropout_p) if dropout_p > 0.0 else weights) @ v
        if average_attn_weights:
            weights = weights.mean(1)
    else:
        weights = None
        attended = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    # (N, heads, L, head_dim) -> (N, L, E) or (L, N, E)
    attended = attended.permute(0, 2, 1, 3) if batch_first else attended.permute(2, 0, 1, 3)
    output = linear(attended.reshape(attended.size(0), attended.size(1), embed_dim), out_proj_weight, out_proj_bias)
    return output, weights


def _pad_last(mask):
    """Append one zero (allowed) column to an additive mask, for an extra key (bias_k, zero_attn)."""
    if mask is None:
        return None
    return spindle.cat([mask, mask.new_zeros(tuple(mask.shape[:-1]) + (1,))], -1)


def _static_heads(static, batch, num_heads, head_dim, name):
    """A given (N * heads, S, head_dim) key or value as (N, heads, S, head_dim)."""
    if static.size(0) != batch * num_heads:
        raise AssertionError(f"expecting {name}.size(0) of {batch * num_heads}, but got {static.size(0)}")
    if static.size(2) != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.size(2)}")
    return static.reshape(batch, num_heads, static.size(1), head_dim)
