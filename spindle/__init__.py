"""Spindle: a deep-learning framework with PyTorch's API (``import spindle as torch``).

Tensors on the CPU (NumPy) or an NVIDIA GPU (CuPy), reverse-mode autograd over a dynamic graph, and
(as they land) nn, optim, data, models and a compiler.
"""
from . import _dtype, autograd, backend
from ._dtype import (
    bool_ as bool,
    dtype,
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
from . import cuda, data, linalg, nn, optim, special, utils  # noqa: E402
from .linalg import cdist, chain_matmul, pdist, tensordot  # noqa: E402
from .serialization import load, save  # noqa: E402
from . import models, vision  # noqa: E402
