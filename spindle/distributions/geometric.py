"""The geometric distribution: the number of failures before the first success."""

from . import constraints
from .distribution import Distribution
from .utils import BinaryProbabilities, batch_shape_of, broadcast_all, check_probs_or_logits

__all__ = ["Geometric"]


class Geometric(BinaryProbabilities, Distribution):
    """``Geometric(probs=None, logits=None)``: ``k >= 0`` failures before the first success, each trial
    succeeding with probability ``probs`` (or ``sigmoid(logits)``)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer
    _expand_parameters = (("probs", 0), ("logits", 0))

    def __init__(self, probs=None, logits=None, validate_args=None):
        check_probs_or_logits(probs, logits)
        parameter = probs if probs is not None else logits
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
        else:
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(batch_shape_of((parameter,), (self._param,)), validate_args=validate_args)
        if self._validate_args and probs is not None and not bool((self.probs > 0).all()):
            # A success probability of 0 never ends the trials: no distribution over finite counts.
            raise ValueError(f"Expected parameter probs of distribution {self!r} to be positive but found invalid values:\n{self.probs}")

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return self.probs.new_zeros(self.probs.shape)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()):
        from .. import _dtype
        from ..autograd.grad_mode import no_grad
        from ..random import rand

        shape = self._extended_shape(sample_shape)
        with no_grad():
            probs = self.probs.expand(shape)
            # Inverse CDF; a uniform of exactly 0 would give an infinite count.
            uniform = rand(shape, dtype=probs.dtype, device=probs.device).clamp(min=_dtype.finfo(probs.dtype).tiny)
            return (uniform.log() / (-probs).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # probs == 1 makes 0 failures certain: 0 * log(0) there is 0, not NaN.
        probs = probs.masked_fill((probs == 1) & (value == 0), 0)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        from ..nn.functional import binary_cross_entropy_with_logits

        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none") / self.probs
