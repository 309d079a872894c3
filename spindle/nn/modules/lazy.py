"""Lazy modules: layers whose input size (``in_features``, ``in_channels``, ``num_features``) is read
from their first input. Until then their parameters and buffers are ``UninitializedParameter`` /
``UninitializedBuffer`` placeholders; the first call materializes them, initializes them as the
ordinary layer would, and turns the module into that layer (``cls_to_become``): a ``LazyLinear``
becomes a ``Linear``. Loading a state dict with real tensors materializes the placeholders too.

``LazyLinear``, ``LazyBatchNorm*`` and ``LazyInstanceNorm*`` live here (PyTorch puts them beside
``Linear``, ``BatchNorm*`` and ``InstanceNorm*``); the lazy convolutions are in ``conv``.
"""
import itertools

import spindle
from spindle.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, _InstanceNorm
from .linear import Linear

__all__ = [
    "LazyModuleMixin",
    "LazyLinear",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
]


class LazyModuleMixin:
    """Mixed in before a layer class: the layer is built with size 0, its placeholders are assigned,
    and a forward pre-hook calls ``initialize_parameters(*args, **kwargs)`` on the first call, then
    turns the module into ``cls_to_become``. A state dict saved before the first call holds the
    placeholders themselves; loading real tensors into a lazy module materializes it."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        # Placeholders go in as they are: detaching one would make an empty, initialized tensor.
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if is_lazy(param) or keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buffer if is_lazy(buffer) or keep_vars else buffer.detach()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Materialize each placeholder that the checkpoint has a real tensor for (to its shape), then
        load as usual; a placeholder loaded from a placeholder stays one (nothing to copy)."""
        still_lazy = []
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and is_lazy(param):
                if is_lazy(state_dict[key]):
                    still_lazy.append(key)
                else:
                    with spindle.no_grad():
                        param.materialize(state_dict[key].shape)
        if still_lazy:
            # The base class would read the placeholders' shapes: it loads the rest, and they count as found.
            state_dict = {key: value for key, value in state_dict.items() if key not in still_lazy}
        known_missing = len(missing_keys)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )
        missing_keys[known_missing:] = [key for key in missing_keys[known_missing:] if key not in still_lazy]

    def initialize_parameters(self, *args, **kwargs):
        """Materialize the placeholders from the first input (each lazy layer defines it)."""
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def has_uninitialized_params(self):
        """Whether a parameter or buffer of this module (not its children) is still a placeholder."""
        return any(is_lazy(value) for value in itertools.chain(self._parameters.values(), self._buffers.values()))

    def _infer_parameters(self, module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        del module._initialize_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """A ``Linear`` whose ``in_features`` is ``input.shape[-1]`` of its first input:
    ``LazyLinear(out_features, bias=True, device=None, dtype=None)``."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        # Built without bias, so that no tensor is made only to be replaced.
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            with spindle.no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


class _LazyNormBase(LazyModuleMixin):
    """Shared by the lazy normalization layers: ``num_features`` is ``input.shape[1]`` of the first
    input (also for unbatched instance-norm input, as PyTorch); the affine parameters and running
    statistics are placeholders until then. Both default to on, for instance norm too (as PyTorch)."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None, *,
                 bias=True):
        # Built without parameters or statistics, so that no tensor is made only to be replaced.
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if self.affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if self.track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = spindle.tensor(0, dtype=spindle.int64, device=device)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            for name in ("weight", "bias", "running_mean", "running_var"):
                placeholder = getattr(self, name)
                if placeholder is not None:
                    placeholder.materialize((self.num_features,))
            self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, _BatchNorm):
    """A ``BatchNorm1d`` whose ``num_features`` is ``input.shape[1]`` of its first input."""

    cls_to_become = BatchNorm1d
    expected_dims = BatchNorm1d.expected_dims


class LazyBatchNorm2d(_LazyNormBase, _BatchNorm):
    """A ``BatchNorm2d`` whose ``num_features`` is ``input.shape[1]`` of its first input."""

    cls_to_become = BatchNorm2d
    expected_dims = BatchNorm2d.expected_dims


class LazyBatchNorm3d(_LazyNormBase, _BatchNorm):
    """A ``BatchNorm3d`` whose ``num_features`` is ``input.shape[1]`` of its first input."""

    cls_to_become = BatchNorm3d
    expected_dims = BatchNorm3d.expected_dims


class LazyInstanceNorm1d(_LazyNormBase, _InstanceNorm):
    """An ``InstanceNorm1d`` whose ``num_features`` is ``input.shape[1]`` of its first input."""

    cls_to_become = InstanceNorm1d
    spatial_dims = InstanceNorm1d.spatial_dims


class LazyInstanceNorm2d(_LazyNormBase, _InstanceNorm):
    """An ``InstanceNorm2d`` whose ``num_features`` is ``input.shape[1]`` of its first input."""

    cls_to_become = InstanceNorm2d
    spatial_dims = InstanceNorm2d.spatial_dims


class LazyInstanceNorm3d(_LazyNormBase, _InstanceNorm):
    """An ``InstanceNorm3d`` whose ``num_features`` is ``input.shape[1]`` of its first input."""

    cls_to_become = InstanceNorm3d
    spatial_dims = InstanceNorm3d.spatial_dims
