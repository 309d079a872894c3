"""The hook-based ``weight_norm`` (PyTorch's original API): ``weight = g * v / ||v||`` recomputed
before every forward from the parameters ``<name>_g`` and ``<name>_v``."""
import warnings

from spindle.nn.parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dimension but ``dim``, shaped to broadcast against ``v``
    (size 1 on the other dimensions); ``dim=-1`` gives the norm of the whole tensor (0-dim)."""
    if dim == -1:
        return v.norm(pow)
    other_dims = tuple(axis for axis in range(v.ndim) if axis != dim % v.ndim)
    # A 1-D tensor has no other dimension: each element is its own norm.
    return v.norm(pow, other_dims, keepdim=True) if other_dims else v.abs()


def weight_norm_of(v, g, dim=0):
    """``g * v / norm_except_dim(v, 2, dim)``: the weight that weight normalization reparametrizes."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return weight_norm_of(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn(
            "`torch.nn.utils.weight_norm` is deprecated in favor of `torch.nn.utils.parametrizations.weight_norm`.",
            FutureWarning,
            stacklevel=3,
        )
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        hook = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, hook.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, hook.compute_weight(module))
        module.register_forward_pre_hook(hook)
        return hook

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Replace parameter ``name`` of ``module`` by a magnitude ``<name>_g`` (the norm over every
    dimension but ``dim``; the whole tensor's norm when ``dim`` is None) and a direction
    ``<name>_v`` (the old weight, same shape), recombined before each forward. Returns ``module``."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo :func:`weight_norm`: ``name`` becomes a plain parameter holding the current weight."""
    return remove_parameter_hook(module, name, WeightNorm, "weight_norm")


def remove_parameter_hook(module, name, hook_class, function_name):
    """Undo the forward pre-hook of class ``hook_class`` that ``function_name`` put on parameter
    ``name`` (weight_norm, spectral_norm); PyTorch's ValueError where there is none. Returns ``module``."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, hook_class) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"{function_name} of '{name}' not found in {module}")
