"""Helpers shared by the distributions: broadcasting parameters, converting probabilities and logits,
and cached properties."""
import numbers

from .. import _dtype


def broadcast_all(*values):
    """Broadcast Tensors and Python numbers to one shape. Numbers become Tensors of the first Tensor's
    dtype and device (the default dtype when all are numbers)."""
    from ..factory import tensor as make_tensor
    from ..functional import broadcast_tensors
    from ..tensor import Tensor

    if not all(isinstance(value, (Tensor, numbers.Number)) for value in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, torch.Tensor or objects implementing __torch_function__.")
    reference = next((value for value in values if isinstance(value, Tensor)), None)
    dtype = _dtype.get_default_dtype() if reference is None else reference.dtype
    device = None if reference is None else reference.device
    tensors = [value if isinstance(value, Tensor) else make_tensor(value, dtype=dtype, device=device) for value in values]
    return broadcast_tensors(*tensors)


def batch_shape_of(values, tensors):
    """The batch shape of parameters ``values`` broadcast to ``tensors``: () when every value is a
    Python number (PyTorch's rule), else the broadcast shape."""
    return () if all(isinstance(value, numbers.Number) for value in values) else tensors[0].size()


def check_probs_or_logits(probs, logits):
    """PyTorch's ValueError unless exactly one of ``probs`` and ``logits`` is given."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


def clamp_probs(probs):
    """Probabilities kept within ``[eps, 1 - eps]`` of their dtype, so their logs stay finite."""
    eps = _dtype.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Logits of ``probs``: log-odds when ``is_binary``, else log-probabilities."""
    clamped = clamp_probs(probs)
    if is_binary:
        return clamped.log() - (-clamped).log1p()
    return clamped.log()


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: sigmoid when ``is_binary``, else softmax over the last dim."""
    if is_binary:
        return logits.sigmoid()
    return logits.softmax(-1)


def sum_rightmost(value, dims):
    """Sum out the ``dims`` rightmost dims of ``value``."""
    if dims == 0:
        return value
    return value.reshape(value.shape[: value.dim() - dims] + (-1,)).sum(-1)


class lazy_property:
    """A property computed on first access and then stored on the instance (so it is no longer lazy)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class BinaryProbabilities:
    """Mixin of the distributions over success and failure (Bernoulli, Binomial, Geometric): of
    ``probs`` and ``logits`` the one not given is derived from the other on first use, and
    ``_param`` (whose shape is ``param_shape``) is the given one, also after ``expand``."""

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        return new
