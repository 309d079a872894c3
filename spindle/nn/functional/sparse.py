"""Lookups by index: ``F.embedding`` and ``F.one_hot``."""
import spindle

__all__ = ["embedding", "one_hot"]


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
