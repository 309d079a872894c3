"""The hook-based ``spectral_norm`` (PyTorch's original API): ``weight = weight_orig / sigma``, with
the largest singular value ``sigma`` estimated by power iteration on the buffers ``weight_u`` and
``weight_v`` (updated in place before every forward in training mode)."""
import spindle
import spindle.nn.functional as F
from spindle.nn.modules.conv import _ConvTransposeNd
from spindle.nn.parameter import Parameter
from spindle.nn.utils.weight_norm import remove_parameter_hook

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


class SpectralNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_orig``, ``<name>_u``, ``<name>_v``."""

    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError(
                f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}"
            )
        self.name = name
        self.dim = dim
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        """``weight`` as a ``(weight.shape[dim], -1)`` matrix, ``dim`` moved first."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *[axis for axis in range(weight.dim()) if axis != self.dim])
        return weight.reshape(weight.size(0), -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_matrix = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with spindle.no_grad():
                # The buffers are updated in place: the estimate improves across forwards.
                for _ in range(self.n_power_iterations):
                    F.normalize(spindle.mv(weight_matrix.t(), u), dim=0, eps=self.eps, out=v)
                    F.normalize(spindle.mv(weight_matrix, v), dim=0, eps=self.eps, out=u)
                u = u.clone()
                v = v.clone()
        sigma = spindle.dot(u, spindle.mv(weight_matrix, v))
        return weight / sigma

    def remove(self, module):
        with spindle.no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        hook = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        with spindle.no_grad():
            height, width = hook.reshape_weight_to_matrix(weight).shape
            u = F.normalize(weight.new_empty(height).normal_(0, 1), dim=0, eps=hook.eps)
            v = F.normalize(weight.new_empty(width).normal_(0, 1), dim=0, eps=hook.eps)
        delattr(module, hook.name)
        module.register_parameter(hook.name + "_orig", weight)
        setattr(module, hook.name, weight.data)
        module.register_buffer(hook.name + "_u", u)
        module.register_buffer(hook.name + "_v", v)
        module.register_forward_pre_hook(hook)
        return hook


def transposed_convolution_dim(module, dim):
    """The default output dimension of a weight: 1 for transposed convolutions, 0 otherwise."""
    if dim is not None:
        return dim
    return 1 if isinstance(module, _ConvTransposeNd) else 0


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide parameter ``name`` of ``module`` by its spectral norm before each forward: the
    parameter becomes ``<name>_orig``, the power-iteration vectors the buffers ``<name>_u`` (length
    ``weight.shape[dim]``) and ``<name>_v`` (the other dimensions' product). Returns ``module``."""
    SpectralNorm.apply(module, name, n_power_iterations, transposed_convolution_dim(module, dim), eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undo :func:`spectral_norm`: ``name`` becomes a plain parameter holding the normalized weight."""
    return remove_parameter_hook(module, name, SpectralNorm, "spectral_norm")
