"""Activation functions (``F.relu``, ``F.gelu``, ``F.softmax``...), element-wise unless stated.

All keep the input's shape. Each is written with stable Tensor operations: no branch of a
``where`` can overflow, so no NaN leaks into gradients of the branch not taken.
"""
import warnings

import spindle
from spindle.ops.fused import Gelu

from ._inplace import apply_maybe_inplace

__all__ = [
    "threshold", "relu", "relu_", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish",
    "softplus", "logsigmoid", "hardtanh", "hardsigmoid", "hardswish", "sigmoid", "tanh", "softsign",
    "tanhshrink", "glu", "prelu", "softmax", "log_softmax", "softmin",
]


def _stable_softplus(x):
    """log(1 + exp(x)) as relu(x) + log1p(exp(-|x|)): never overflows, exact gradient sigmoid(x)
    everywhere (including 0, whatever subgradient the clamp uses, since both terms share ``m``)."""
    m = x.clamp(min=0)
    return m + (x - 2 * m).exp().log1p()


def threshold(input, threshold, value, inplace=False):
    """``input`` where ``input > threshold``, else ``value``."""
    return apply_maybe_inplace(lambda x: spindle.where(x > threshold, x, value), input, inplace)


def relu(input, inplace=False):
    """max(0, x)."""
    return input.relu_() if inplace else spindle.relu(input)


def relu_(input):
    """In-place :func:`relu`."""
    return relu(input, inplace=True)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped to [min_val, max_val]; the gradient is 0 at and beyond the bounds, as in PyTorch."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")

    def compute(x):
        inside = (x > min_val) & (x < max_val)
        return spindle.where(inside, x, x.detach().clamp(min_val, max_val))

    return apply_maybe_inplace(compute, input, inplace)


def relu6(input, inplace=False):
    """min(max(0, x), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, else ``negative_slope * x``."""
    return apply_maybe_inplace(lambda x: spindle.where(x > 0, x, x * negative_slope), input, inplace)


def _elu(x, alpha, scale=1.0, input_scale=1.0):
    # expm1 only sees non-positive values, so the branch not taken cannot overflow.
    negative = alpha * (x.clamp(max=0) * input_scale).expm1()
    result = spindle.where(x > 0, x, negative)
    return result * scale if scale != 1.0 else result


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, else ``alpha * (exp(x) - 1)``."""
    return apply_maybe_inplace(lambda x: _elu(x, alpha), input, inplace)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """``scale * elu(x, alpha)`` with the self-normalizing constants."""
    return apply_maybe_inplace(lambda x: _elu(x, _SELU_ALPHA, scale=_SELU_SCALE), input, inplace)


def celu(input, alpha=1.0, inplace=False):
    """x for x > 0, else ``alpha * (exp(x / alpha) - 1)``."""
    return apply_maybe_inplace(lambda x: _elu(x, alpha, input_scale=1.0 / alpha), input, inplace)


def gelu(input, approximate="none"):
    """x * Phi(x) with the exact normal CDF (erf), or its tanh approximation (``approximate='tanh'``)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return Gelu.apply(input, approximate)


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    return apply_maybe_inplace(lambda x: x * spindle.sigmoid(x), input, inplace)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return apply_maybe_inplace(lambda x: x * spindle.tanh(_stable_softplus(x)), input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where ``beta * x > threshold``."""
    scaled = input * beta
    return spindle.where(scaled > threshold, input, _stable_softplus(scaled) / beta)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return -_stable_softplus(-input)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    return apply_maybe_inplace(lambda x: relu6(x + 3.0) / 6.0, input, inplace)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    return apply_maybe_inplace(lambda x: x * relu6(x + 3.0) / 6.0, input, inplace)


def sigmoid(input):
    """1 / (1 + exp(-x))."""
    return spindle.sigmoid(input)


def tanh(input):
    """Hyperbolic tangent."""
    return spindle.tanh(input)


def softsign(input):
    """x / (1 + |x|)."""
    return input / (1 + input.abs())


def tanhshrink(input):
    """x - tanh(x)."""
    return input - spindle.tanh(input)


def glu(input, dim=-1):
    """Gated linear unit: ``a * sigmoid(b)`` where ``a, b`` are the halves of ``input`` along ``dim``."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2 != 0:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.dim()} is size {size}")
    first, second = input.chunk(2, dim)
    return first * spindle.sigmoid(second)


def prelu(input, weight):
    """x for x > 0, else ``weight * x``; ``weight`` has 1 or C elements (C = ``input.shape[1]``)."""
    if weight.numel() != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() >= 2 else 1
        if weight.numel() != channels:
            raise RuntimeError(
                "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                f"{weight.numel()} and channel size = {channels}."
            )
        if input.dim() >= 2:
            weight = weight.reshape((channels,) + (1,) * (input.dim() - 2))
    return spindle.where(input > 0, input, weight * input)


def _get_softmax_dim(name, ndim, stacklevel):
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``, computed in ``dtype`` if given."""
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return spindle.softmax(input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along ``dim``, computed stably in ``dtype`` if given."""
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return spindle.log_softmax(input, dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``."""
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return spindle.softmax(-input, dim)
