"""Activation functions (``F.relu``, ``F.gelu``, ``F.softmax``...), element-wise unless stated.

All keep the input's shape. Each is written with stable Tensor operations: no branch of a
``where`` can overflow, so no NaN leaks into gradients of the branch not taken.
"""
import warnings

import numpy

import spindle
from spindle.ops.fused import Gelu
from spindle.ops.reduction import legacy_scalar_name

from ._inplace import apply_maybe_inplace

__all__ = [
    "threshold", "relu", "relu_", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish",
    "softplus", "logsigmoid", "hardtanh", "hardsigmoid", "hardswish", "sigmoid", "tanh", "softsign",
    "tanhshrink", "glu", "prelu", "softmax", "log_softmax", "softmin",
    "threshold_", "hardtanh_", "leaky_relu_", "elu_", "selu_", "celu_", "hardshrink", "softshrink",
    "rrelu", "rrelu_", "channel_shuffle", "gumbel_softmax",
]


def _stable_softplus(x):
    """log(1 + exp(x)) as relu(x) + log1p(exp(-|x|)): never overflows, exact gradient sigmoid(x)
    everywhere (including 0, whatever subgradient the clamp uses, since both terms share ``m``)."""
    m = x.clamp(min=0)
    return m + (x - 2 * m).exp().log1p()


def _thresholded(threshold, value):
    return lambda x: spindle.where(x > threshold, x, value)


def threshold(input, threshold, value, inplace=False):
    """``input`` where ``input > threshold``, else ``value``."""
    return apply_maybe_inplace(_thresholded(threshold, value), input, inplace)


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


def threshold_(input, threshold, value):
    """In-place :func:`threshold`."""
    return apply_maybe_inplace(_thresholded(threshold, value), input, True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def leaky_relu_(input, negative_slope=0.01):
    """In-place :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def elu_(input, alpha=1.0):
    """In-place :func:`elu`."""
    return elu(input, alpha, inplace=True)


def selu_(input):
    """In-place :func:`selu`."""
    return selu(input, inplace=True)


def celu_(input, alpha=1.0):
    """In-place :func:`celu`."""
    return celu(input, alpha, inplace=True)


def hardshrink(input, lambd=0.5):
    """x where ``|x| > lambd``, else 0 (gradient 1 outside [-lambd, lambd], 0 inside)."""
    # Written as "inside -> 0" so that NaN (outside every interval) passes through, as in PyTorch.
    return spindle.where((input >= -lambd) & (input <= lambd), 0.0, input)


def softshrink(input, lambd=0.5):
    """x - lambd above ``lambd``, x + lambd below ``-lambd``, 0 in between; ``lambd`` >= 0."""
    if lambd < 0:
        largest = float(numpy.finfo(input.dtype.numpy_dtype).max)
        raise RuntimeError(
            f"lambda must be in range [0, {largest:g}] for input dtype {legacy_scalar_name(input.dtype)}, but found {lambd:g}"
        )
    return input - input.clamp(-lambd, lambd)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: x for x > 0, else ``a * x``. In training each element draws its slope
    ``a`` uniformly from [lower, upper] (from the default generator); otherwise ``a`` is the mean
    slope ``(lower + upper) / 2``. Shape: any."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    slopes = spindle.empty(tuple(input.shape), dtype=input.dtype, device=input.device).uniform_(lower, upper)
    return apply_maybe_inplace(lambda x: spindle.where(x > 0, x, x * slopes), input, inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place :func:`rrelu`."""
    return rrelu(input, lower, upper, training, inplace=True)


def channel_shuffle(input, groups):
    """Interleave the channels of ``input`` (N, C, *) in ``groups``: channel ``g * (C / groups) + i``
    moves to ``i * groups + g``. Output has the input's shape."""
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    channels = input.shape[1]
    if channels % groups != 0:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {channels} channels and {groups} groups.")
    batch, spatial = input.shape[0], tuple(input.shape[2:])
    grouped = input.reshape((batch, groups, channels // groups) + spatial)
    return grouped.transpose(1, 2).reshape(tuple(input.shape))


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Sample from the Gumbel-softmax distribution: ``softmax((logits + g) / tau)`` along ``dim`` with
    ``g`` standard Gumbel noise. With ``hard`` the result is the one-hot of that sample's argmax, but
    its gradient is the soft sample's (straight-through). Shape: the logits' shape."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -spindle.empty(tuple(logits.shape), dtype=logits.dtype, device=logits.device).exponential_().log()
    soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return soft
    index = soft.max(dim, keepdim=True)[1]
    one_hot = spindle.zeros(tuple(logits.shape), dtype=logits.dtype, device=logits.device).scatter_(dim, index, 1.0)
    return one_hot - soft.detach() + soft
