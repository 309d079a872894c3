"""Top-level forms of nn.functional ops with PyTorch's own ``torch.*`` signatures (``torch.dropout(input, p,
train)``, ``torch.layer_norm(...)``, integer ``reduction`` codes...). These are the ATen signatures, which
differ from ``torch.nn.functional``'s, so each is a small adapter onto ``spindle.nn.functional``."""
from .nn import functional as F

# ATen's integer reduction codes (at::Reduction): 0 none, 1 mean, 2 sum.
_REDUCTION_NAMES = ("none", "mean", "sum")


def _reduction_name(reduction):
    if reduction not in (0, 1, 2):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _REDUCTION_NAMES[reduction]


def dropout(input, p, train):
    """``torch.dropout``: F.dropout with ``train`` positional and required; same shape as ``input``."""
    return F.dropout(input, p, train)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    """``torch.layer_norm``: normalise over the trailing ``normalized_shape`` dims (``cudnn_enable`` ignored)."""
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    """``torch.group_norm``: normalise ``(N, C, *)`` over groups of ``C // num_groups`` channels."""
    return F.group_norm(input, num_groups, weight, bias, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    """``torch.batch_norm``: the ATen argument order (weight and bias before the running statistics)."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """``torch.embedding``: rows of ``weight`` (num_embeddings, dim) at ``indices`` (any shape) -> (*, dim);
    a negative ``padding_idx`` means none (ATen's convention)."""
    return F.embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def kl_div(input, target, reduction=1, *, log_target=False):
    """``torch.kl_div`` with an integer ``reduction`` (0 none, 1 mean over all elements, 2 sum)."""
    name = _reduction_name(reduction)
    # ATen's mean is plain (no warning, unlike F.kl_div's 'mean' that suggests 'batchmean').
    pointwise = F.kl_div(input, target, reduction="none" if name == "mean" else name, log_target=log_target)
    return pointwise.mean() if name == "mean" else pointwise


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    """``torch.binary_cross_entropy_with_logits`` with an integer ``reduction`` (0 none, 1 mean, 2 sum)."""
    return F.binary_cross_entropy_with_logits(input, target, weight, reduction=_reduction_name(reduction),
                                              pos_weight=pos_weight)


def threshold(input, threshold, value):
    """``torch.threshold``: ``value`` where ``input <= threshold``, else ``input`` (never in place)."""
    return F.threshold(input, threshold, value)


def selu(input):
    return F.selu(input)


def celu(input, alpha=1.0):
    return F.celu(input, alpha)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """``torch.rrelu``: leaky ReLU with a random slope in [lower, upper] when ``training``, else their mean."""
    return F.rrelu(input, lower, upper, training)


bilinear = F.bilinear
prelu = F.prelu
selu_ = F.selu_
celu_ = F.celu_
pixel_shuffle = F.pixel_shuffle
pixel_unshuffle = F.pixel_unshuffle
