"""Instance normalization layers: ``InstanceNorm1d``, ``InstanceNorm2d``, ``InstanceNorm3d``."""
import warnings

from spindle.nn import functional as F

from .module import Module
from .normalization import (
    register_affine_parameters, register_running_statistics, reset_affine_parameters, reset_running_statistics,
)

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(Module):
    """Normalize each channel of each sample of (N, C, *) or unbatched (C, *) input over its spatial
    dims. With ``affine``, a learned per-channel weight (ones) and bias (zeros) follow. With
    ``track_running_stats``, training updates buffers ``running_mean``/``running_var`` (as BatchNorm
    does, from the batch-averaged instance statistics) and evaluation normalizes with them.
    ``spatial_dims`` (set by subclasses) is the number of dims after the channel."""

    # PyTorch's version of the normalization layers' state (2 since num_batches_tracked).
    _version = 2
    spatial_dims = None

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        register_affine_parameters(self, affine, (num_features,), bias, device, dtype)
        register_running_statistics(self, track_running_stats, num_features, device, dtype)
        self.reset_parameters()

    def reset_running_stats(self):
        reset_running_statistics(self)

    def reset_parameters(self):
        self.reset_running_stats()
        reset_affine_parameters(self)

    def _apply_instance_norm(self, input):
        return F.instance_norm(
            input, self.running_mean, self.running_var, self.weight, self.bias,
            self.training or not self.track_running_stats, self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )

    def forward(self, input):
        unbatched_dims = self.spatial_dims + 1
        if input.dim() not in (unbatched_dims, unbatched_dims + 1):
            raise ValueError(f"expected {unbatched_dims}D or {unbatched_dims + 1}D input (got {input.dim()}D input)")
        feature_dim = input.dim() - unbatched_dims
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features ({self.num_features}), but "
                    f"got: {input.shape[feature_dim]}."
                )
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can silence this warning by "
                "not passing in num_features, which is not used because affine=False",
                stacklevel=2,
            )
        if input.dim() == unbatched_dims:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # Checkpoints from before PyTorch 0.4 carry running statistics even when none are tracked.
        if local_metadata.get("version", None) is None and not self.track_running_stats:
            keys = [prefix + name for name in ("running_mean", "running_var") if prefix + name in state_dict]
            if keys:
                name = type(self).__name__
                quoted = " and ".join('"' + key + '"' for key in keys)
                error_msgs.append(
                    f"Unexpected running stats buffer(s) {quoted} "
                    f"for {name} with track_running_stats=False. If state_dict is a checkpoint saved before 0.4.0, "
                    f"this may be expected because {name} does not track running stats by default since 0.4.0. "
                    "Please remove these keys from state_dict. If the running stats are actually needed, instead "
                    f"set track_running_stats=True in {name} to enable them. See the documentation of {name} for "
                    "details."
                )
                for key in keys:
                    state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or (C, L) input."""

    spatial_dims = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or (C, H, W) input."""

    spatial_dims = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or (C, D, H, W) input."""

    spatial_dims = 3
