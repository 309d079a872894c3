"""Per-sample normalization layers: ``LayerNorm`` and ``GroupNorm``."""
import numbers

import spindle
from spindle.nn import functional as F
from spindle.nn import init
from spindle.nn.parameter import Parameter

from .module import Module

__all__ = ["LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm"]



def register_affine_parameters(module, affine, shape, bias, device, dtype):
    """A normalization layer's learned ``weight`` and ``bias`` of ``shape`` (registered as None when
    ``affine`` or ``bias`` is off, so that they still show up as attributes, as in PyTorch)."""
    def parameter(enabled):
        return Parameter(spindle.empty(shape, device=device, dtype=dtype)) if enabled else None

    module.register_parameter("weight", parameter(affine))
    module.register_parameter("bias", parameter(affine and bias))


def register_running_statistics(module, track_running_stats, num_features, device, dtype):
    """The buffers ``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked`` of a
    layer that tracks running statistics (registered as None when it does not, as in PyTorch)."""
    if track_running_stats:
        module.register_buffer("running_mean", spindle.zeros(num_features, device=device, dtype=dtype))
        module.register_buffer("running_var", spindle.ones(num_features, device=device, dtype=dtype))
        module.register_buffer("num_batches_tracked", spindle.tensor(0, dtype=spindle.int64, device=device))
    else:
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            module.register_buffer(name, None)


def reset_running_statistics(module):
    """Back to no statistics seen: mean zeros, variance ones, no batches tracked."""
    if module.running_mean is not None:
        module.running_mean.zero_()
        module.running_var.fill_(1)
        module.num_batches_tracked.zero_()


def reset_affine_parameters(module):
    """The identity transform: weight ones, bias zeros."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)

class LayerNorm(Module):
    """Normalize over the trailing ``normalized_shape`` dims of (*, normalized_shape); with
    ``elementwise_affine`` a learned weight (ones) and ``bias`` (zeros) of that shape follow."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        register_affine_parameters(self, self.elementwise_affine, self.normalized_shape, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        reset_affine_parameters(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Normalize (N, C, *) over groups of ``num_channels // num_groups`` channels of each sample;
    with ``affine`` a learned per-channel weight (ones) and bias (zeros) follow."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        register_affine_parameters(self, self.affine, (num_channels,), bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        reset_affine_parameters(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class RMSNorm(Module):
    """Divide (*, normalized_shape) input by its root mean square over the trailing
    ``normalized_shape`` dims (plus ``eps``; None is the dtype's machine epsilon); with
    ``elementwise_affine`` a learned weight (ones) of that shape follows."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        # A weight only: PyTorch's RMSNorm has no bias entry at all.
        weight = Parameter(spindle.empty(self.normalized_shape, device=device, dtype=dtype)) if elementwise_affine else None
        self.register_parameter("weight", weight)
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LocalResponseNorm(Module):
    """Normalize (N, C, *) input across ``size`` neighbouring channels; see ``F.local_response_norm``."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
