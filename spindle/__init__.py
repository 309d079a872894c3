"""Spindle: a deep-learning framework with PyTorch's API (``import spindle as torch``).

Tensors on the CPU (NumPy) or an NVIDIA GPU (CuPy), reverse-mode autograd over a dynamic graph, and
(as they land) nn, optim, data, models and a compiler.
"""
from . import _dtype, autograd, backend
from ._dtype import (
    bool_ as bool,
    dtype,
    finfo,
    iinfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
)
from .autograd.grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled
from .backend.device import device
from .backend.threads import get_num_threads, set_num_threads
from .factory import (
    arange,
    as_tensor,
    asarray,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    tensor,
    tril_indices,
    triu_indices,
    zeros,
    zeros_like,
)
from .functional import (
    add,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    block_diag,
    broadcast_shapes,
    broadcast_tensors,
    bucketize,
    can_cast,
    cartesian_prod,
    cat,
    clamp,
    clip,
    column_stack,
    combinations,
    concat,
    concatenate,
    cumulative_trapezoid,
    div,
    divide,
    dstack,
    einsum,
    float_power,
    hstack,
    is_floating_point,
    is_tensor,
    maximum,
    meshgrid,
    minimum,
    mul,
    multiply,
    numel,
    polygamma,
    pow,
    result_type,
    row_stack,
    searchsorted,
    stack,
    sub,
    subtract,
    trapezoid,
    trapz,
    true_divide,
    vander,
    vstack,
    where,
    xlogy,
)
from .random import (
    Generator,
    bernoulli,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    normal,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from .tensor import Size, Tensor

half = float16
float = float32
double = float64
short = int16
int = int32
long = int64

# Functions that are exactly the Tensor method of the same name (``spindle.exp(x)`` is ``x.exp()``).
for _name in (
    "abs absolute acos acosh addbmm addcdiv addcmul addmm addmv addr all allclose amax amin aminmax "
    "any arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin argsort argwhere "
    "as_strided asin asinh atan atan2 atanh baddbmm bincount bitwise_and bitwise_not bitwise_or "
    "bitwise_xor bmm broadcast_to ceil cholesky chunk clamp_max clamp_min clone copysign corrcoef "
    "cos cosh count_nonzero cov cross cummax cummin cumprod cumsum deg2rad det diag diag_embed "
    "diagflat diagonal diagonal_scatter diff digamma dist dot dsplit eq equal erf erfc erfinv exp "
    "exp2 expm1 fix flatten flip fliplr flipud floor floor_divide fmax fmin fmod frac frexp gather "
    "gcd ge ger greater greater_equal gt heaviside histc histogram hsplit hypot i0 index_add "
    "index_copy index_fill index_put index_select inner inverse is_nonzero is_same_size is_signed "
    "isclose isfinite isinf isnan isneginf isposinf isreal kron kthvalue lcm ldexp le lerp less "
    "less_equal lgamma log log10 log1p log2 log_softmax logaddexp logaddexp2 logcumsumexp logdet "
    "logical_and logical_not logical_or logical_xor logit logsumexp lt masked_fill masked_scatter "
    "masked_select matmul matrix_exp matrix_power max mean median min mm mode moveaxis movedim msort "
    "mv mvlgamma nan_to_num nanmean nanmedian nanquantile nansum narrow narrow_copy ne neg negative "
    "nextafter nonzero norm not_equal outer permute pinverse positive prod put qr quantile rad2deg "
    "ravel reciprocal relu remainder repeat_interleave reshape roll rot90 round rsqrt scatter "
    "scatter_add scatter_reduce select select_scatter sgn sigmoid sign signbit sin sinc sinh "
    "slice_scatter slogdet softmax sort split split_with_sizes sqrt square squeeze std sum svd "
    "swapaxes swapdims t take take_along_dim tan tanh tensor_split tile topk trace transpose tril "
    "triu trunc unbind unflatten unique unique_consecutive unsafe_chunk unsafe_split unsqueeze var "
    "vdot vsplit"
).split():
    globals()[_name] = getattr(Tensor, _name)
del _name

# The top-level in-place forms PyTorch has (``torch.relu_(x)`` is ``x.relu_()``).
for _name in (
    "abs_ acos_ acosh_ addmv_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ atan_ atanh_ ceil_ "
    "clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ detach_ erf_ erfc_ exp2_ exp_ expm1_ fill_ fix_ "
    "floor_ frac_ gcd_ i0_ index_put_ lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_ nan_to_num_ neg_ negative_ "
    "rad2deg_ reciprocal_ relu_ round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ "
    "xlogy_ zero_"
).split():
    globals()[_name] = getattr(Tensor, _name)
del _name

# Methods added with the misc-API batch that PyTorch also exposes at top level.
for _name in "adjoint bitwise_left_shift bitwise_right_shift conj conj_physical is_conj is_neg renorm resolve_conj resolve_neg".split():
    globals()[_name] = getattr(Tensor, _name)
del _name

from .factory import (  # noqa: E402
    bartlett_window,
    blackman_window,
    empty_strided,
    hamming_window,
    hann_window,
    kaiser_window,
    range,
    scalar_tensor,
)
from .functional import isin, rsub, unravel_index  # noqa: E402

_FLOAT32_MATMUL_PRECISIONS = ("highest", "high", "medium")
_float32_matmul_precision = "highest"
_deterministic_algorithms = {"mode": False, "warn_only": False}


def set_float32_matmul_precision(precision):
    """Record the float32 matmul precision ('highest', 'high' or 'medium'); Spindle's matmuls always run
    in full float32, so this only changes what ``get_float32_matmul_precision`` reports."""
    global _float32_matmul_precision
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _FLOAT32_MATMUL_PRECISIONS:
        import warnings

        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
            "setFloat32MatmulPrecision call has no effect."
        )
        return
    _float32_matmul_precision = precision


def get_float32_matmul_precision():
    return _float32_matmul_precision


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Record whether deterministic algorithms are requested. Spindle's CPU kernels are deterministic
    already, so the flag is only reported back by ``are_deterministic_algorithms_enabled``."""
    from operator import truth  # the name ``bool`` is spindle's dtype in this module

    _deterministic_algorithms.update(mode=truth(mode), warn_only=truth(warn_only))


def are_deterministic_algorithms_enabled():
    return _deterministic_algorithms["mode"]


def is_deterministic_algorithms_warn_only_enabled():
    return _deterministic_algorithms["warn_only"]


def is_inference_mode_enabled():
    """False: Spindle's ``inference_mode`` is ``no_grad`` (no separate inference state is tracked)."""
    return False


def typename(obj):
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


def std_mean(input, dim=None, *, correction=1, keepdim=False):
    return input.std(dim, keepdim=keepdim, correction=correction), input.mean(dim, keepdim)


def var_mean(input, dim=None, *, correction=1, keepdim=False):
    return input.var(dim, keepdim=keepdim, correction=correction), input.mean(dim, keepdim)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    from . import _tensor_str

    if precision is not None:
        _tensor_str._PRECISION = precision
    if threshold is not None:
        _tensor_str._THRESHOLD = threshold
    if edgeitems is not None:
        _tensor_str._EDGE_ITEMS = edgeitems
    if linewidth is not None:
        _tensor_str._LINE_WIDTH = linewidth


__version__ = "0.1.0"

default_generator = backend.random.default_generators[backend.CPU]

# Higher layers, built only on the Tensor API above (they import spindle themselves, so they come last).
from . import cuda, data, distributions, linalg, nn, optim, special, utils  # noqa: E402
from .linalg import cdist, chain_matmul, pdist, tensordot  # noqa: E402
from .serialization import load, save  # noqa: E402
# PyTorch also exposes the convolutions and a few poolings at top level (torch.conv2d, torch.max_pool1d...).
from .nn.functional.conv import (  # noqa: E402
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from .nn.functional.pooling import (  # noqa: E402
    adaptive_avg_pool1d,
    avg_pool1d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool3d,
)
from .nn.functional.pooling import adaptive_max_pool1d_with_indices as adaptive_max_pool1d  # noqa: E402
# Likewise the distances and some layers of nn.functional whose top-level signatures are the same.
from .nn.functional.distance import cosine_similarity, pairwise_distance  # noqa: E402
from .nn.functional.activation import channel_shuffle, hardshrink, rrelu_  # noqa: E402
from .nn.functional.dropout import alpha_dropout, feature_alpha_dropout  # noqa: E402
from .nn.functional.normalization import rms_norm  # noqa: E402
from . import models, vision  # noqa: E402
from . import func  # noqa: E402  (built on nn.utils.stateless)
from ._functional_aliases import (  # noqa: E402  (adapters onto nn.functional with ATen's signatures)
    batch_norm,
    bilinear,
    binary_cross_entropy_with_logits,
    celu,
    celu_,
    dropout,
    embedding,
    group_norm,
    kl_div,
    layer_norm,
    pixel_shuffle,
    pixel_unshuffle,
    prelu,
    rrelu,
    selu,
    selu_,
    threshold,
)
