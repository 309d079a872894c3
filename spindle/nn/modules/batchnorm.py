"""Batch normalization layers: ``BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d``."""
import spindle
from spindle.nn import functional as F

from .module import Module
from .normalization import (
    register_affine_parameters,
    register_running_statistics,
    reset_affine_parameters,
    reset_running_statistics,
)

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _BatchNorm(Module):
    """Normalize each channel over the batch (and spatial dims) of (N, C, *) input.

    Training uses batch statistics and, with ``track_running_stats``, updates the buffers
    ``running_mean`` (zeros), ``running_var`` (ones, from unbiased batch variances) and
    ``num_batches_tracked``: exponentially with ``momentum``, or as a cumulative average when
    ``momentum`` is None. Evaluation uses the running statistics (batch ones if not tracked).
    With ``affine``, a learned per-channel weight (ones) and bias (zeros) follow.
    """

    # Version 2 added num_batches_tracked; older checkpoints get it filled in on load.
    _version = 2
    expected_dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        register_affine_parameters(self, self.affine, (num_features,), bias, device, dtype)
        register_running_statistics(self, self.track_running_stats, num_features, device, dtype)
        self.reset_parameters()

    def reset_running_stats(self):
        reset_running_statistics(self)

    def reset_parameters(self):
        self.reset_running_stats()
        reset_affine_parameters(self)

    def _check_input_dim(self, input):
        if input.dim() not in self.expected_dims:
            expected = " or ".join(f"{dims}D" for dims in self.expected_dims)
            raise ValueError(f"expected {expected} input (got {input.dim()}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        exponential_average_factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                exponential_average_factor = 1.0 / float(self.num_batches_tracked)
        # Batch statistics normalize in training, and in evaluation when nothing was tracked.
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        # Buffers are passed only when they are to be updated (training) or used (evaluation).
        pass_buffers = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if pass_buffers else None,
            self.running_var if pass_buffers else None,
            self.weight,
            self.bias,
            use_batch_stats,
            exponential_average_factor,
            self.eps,
        )

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = (
                    self.num_batches_tracked
                    if self.num_batches_tracked is not None
                    else spindle.tensor(0, dtype=spindle.int64)
                )
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input."""

    expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input."""

    expected_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) input."""

    expected_dims = (5,)
