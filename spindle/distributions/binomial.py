"""The binomial distribution, parameterised by ``total_count`` and ``probs`` or ``logits``."""
from . import constraints
from .distribution import Distribution
from .utils import BinaryProbabilities, broadcast_all, check_probs_or_logits

__all__ = ["Binomial"]


class Binomial(BinaryProbabilities, Distribution):
    """``Binomial(total_count=1, probs=None, logits=None)``: the number of successes in ``total_count``
    independent trials, each succeeding with probability ``probs`` (or ``sigmoid(logits)``)."""

    arg_constraints = {
        "total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval, "logits": constraints.real,
    }
    has_enumerate_support = True
    _expand_parameters = (("total_count", 0), ("probs", 0), ("logits", 0))

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        check_probs_or_logits(probs, logits)
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.size(), validate_args=validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        from ..backend.device import device_of
        from ..backend.random import default_generator_for
        from ..tensor import Tensor

        shape = self._extended_shape(sample_shape)
        total_count = self.total_count.detach().expand(shape)._data
        probs = self.probs.detach().expand(shape)._data
        engine = default_generator_for(device_of(probs)).engine
        return Tensor._wrap(engine.binomial(total_count.astype("int64"), probs).astype(probs.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = (self.total_count + 1).lgamma()
        log_factorial_k = (value + 1).lgamma()
        log_factorial_n_minus_k = (self.total_count - value + 1).lgamma()
        # n * log(1 + exp(logits)), written to stay finite for large |logits|.
        log_normalizer = self.total_count * (self.logits.clamp(min=0) + (-self.logits.abs()).exp().log1p())
        return value * self.logits - log_factorial_k - log_factorial_n_minus_k + log_factorial_n - log_normalizer

    def entropy(self):
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        from ..factory import arange

        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        values = arange(1 + total_count, dtype=self._param.dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
