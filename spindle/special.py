"""``spindle.special``: PyTorch's ``torch.special`` names for functions that spindle computes elsewhere
(each is the Tensor method or top-level function it names, so gradients come with it)."""
import math

from .functional import polygamma, xlogy
from .ops import elementwise
from .tensor import Tensor

erf = Tensor.erf
erfc = Tensor.erfc
erfinv = Tensor.erfinv
expit = Tensor.sigmoid
logit = Tensor.logit
gammaln = Tensor.lgamma
digamma = Tensor.digamma
psi = Tensor.digamma
multigammaln = Tensor.mvlgamma
sinc = Tensor.sinc
i0 = Tensor.i0
exp2 = Tensor.exp2
expm1 = Tensor.expm1
log1p = Tensor.log1p
round = Tensor.round

__all__ = [
    "digamma", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "i1", "log1p", "log_softmax",
    "logit", "logsumexp", "multigammaln", "ndtr", "polygamma", "psi", "round", "sinc", "softmax", "xlogy",
]


def i1(input):
    """The modified Bessel function of the first kind of order 1 at each element of ``input`` (any shape)."""
    return elementwise.I1.apply(input)


def ndtr(input):
    """The standard normal cumulative distribution function at each element of ``input`` (any shape)."""
    return (input * -math.sqrt(0.5)).erfc() * 0.5


def softmax(input, dim, *, dtype=None):
    """Softmax of ``input`` along ``dim`` (same shape), optionally computed in ``dtype``."""
    return input.softmax(dim, dtype)


def log_softmax(input, dim, *, dtype=None):
    """Log-softmax of ``input`` along ``dim`` (same shape), optionally computed in ``dtype``."""
    return input.log_softmax(dim, dtype)


def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(input)))`` along ``dim`` (removed unless ``keepdim``), without overflow."""
    return input.logsumexp(dim, keepdim)
