"""Distances between batches of vectors: ``F.pairwise_distance`` and ``F.cosine_similarity``."""
import spindle
from spindle.ops.reduction import legacy_scalar_name

__all__ = ["pairwise_distance", "cosine_similarity"]


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The ``p``-norm of ``x1 - x2 + eps`` over the last dim of the broadcast inputs (*, D):
    output (*), or (*, 1) with ``keepdim``."""
    last_dim = max(x1.dim(), x2.dim()) - 1
    return (x1 - x2 + eps).norm(p, last_dim, keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``<x1, x2> / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim`` of the broadcast inputs.

    As in PyTorch, each input is divided by its own clamped norm before the dot product (so the result
    stays in [-1, 1]), and the clamp does not block the gradient through the norm.
    """
    common = spindle.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(
            f"expected common dtype to be floating point, yet common dtype is {legacy_scalar_name(common)}"
        )
    x1, x2 = spindle.broadcast_tensors(x1.to(common), x2.to(common))

    def normalized(x):
        norm = x.norm(2, dim, keepdim=True)
        clamped = norm + (norm.detach().clamp_min(eps) - norm.detach())
        return x / clamped

    return (normalized(x1) * normalized(x2)).sum(dim)
