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
    zeros,
    zeros_like,
)
from .functional import (
    add,
    broadcast_shapes,
    broadcast_tensors,
    can_cast,
    cat,
    clamp,
    clip,
    concat,
    concatenate,
    div,
    divide,
    einsum,
    hstack,
    is_floating_point,
    is_tensor,
    maximum,
    meshgrid,
    minimum,
    mul,
    multiply,
    numel,
    pow,
    result_type,
    stack,
    sub,
    subtract,
    true_divide,
    vstack,
    where,
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
    "abs absolute acos arccos addcdiv addcmul all allclose amax amin any argmax argmin argsort argwhere asin arcsin "
    "atan arctan atan2 arctan2 bitwise_and bitwise_not bitwise_or bitwise_xor bmm broadcast_to ceil chunk "
    "clamp_max clamp_min "
    "clone count_nonzero cos cosh cumprod cumsum diag diagonal diagonal_scatter dot eq equal erf erfc exp exp2 expm1 fix "
    "flatten flip fliplr flipud floor floor_divide fmax fmin fmod frac gather ge ger greater greater_equal gt "
    "index_add index_put index_select inner isclose isfinite isinf isnan le lerp less less_equal log log10 log1p "
    "log2 log_softmax logical_and logical_not logical_or logical_xor logsumexp lt masked_fill masked_select "
    "matmul max mean min mm moveaxis movedim mv nan_to_num nanmean nansum narrow ne neg negative nonzero norm "
    "not_equal outer permute prod reciprocal relu remainder repeat_interleave reshape roll round rsqrt scatter "
    "scatter_add sigmoid sign sin sinh softmax sort split sqrt square squeeze std sum swapaxes swapdims t take_along_dim "
    "tan tanh topk transpose tril triu trunc unbind unflatten unsqueeze var"
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
from . import cuda, data, nn, optim, utils  # noqa: E402
from .serialization import load, save  # noqa: E402
from . import models, vision  # noqa: E402
