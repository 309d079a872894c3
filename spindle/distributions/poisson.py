"""The Poisson distribution."""

from . import constraints
from .distribution import Distribution
from .utils import batch_shape_of, broadcast_all

__all__ = ["Poisson"]


class Poisson(Distribution):
    """``Poisson(rate)``: counts ``k >= 0`` with probability ``rate^k exp(-rate) / k!``."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer
    _expand_parameters = (("rate", 0),)

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(batch_shape_of((rate,), (self.rate,)), validate_args=validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        from ..backend.device import device_of
        from ..backend.random import default_generator_for
        from ..tensor import Tensor

        rate = self.rate.detach().expand(self._extended_shape(sample_shape))
        engine = default_generator_for(device_of(rate._data)).engine
        return Tensor._wrap(engine.poisson(rate._data).astype(rate._data.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()
