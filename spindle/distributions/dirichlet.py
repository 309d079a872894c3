"""The Dirichlet distribution over the probability simplex."""
from . import constraints
from .distribution import Distribution
from .gamma import standard_gamma

__all__ = ["Dirichlet"]


class Dirichlet(Distribution):
    """``Dirichlet(concentration)``: ``concentration`` of shape ``batch_shape + (k,)``; draws lie on the
    ``k``-simplex, with density proportional to ``prod_i x_i^(concentration_i - 1)``."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True
    _expand_parameters = (("concentration", 1),)

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        from ..factory import arange

        clamped = (self.concentration - 1).clamp(min=0.0)
        total = clamped.sum(-1, keepdim=True)
        mode = clamped / total.masked_fill(total == 0, 1)  # no 0 / 0, whose NaN would reach the gradient
        # With every concentration below 1 the density is unbounded at every vertex; PyTorch returns the
        # first one (the argmax of its all-NaN row there), and so does this.
        size = self.concentration.shape[-1]
        first_vertex = (arange(size, device=mode.device) == 0).to(mode.dtype)
        return mode.where(~(self.concentration < 1).all(-1, keepdim=True), first_vertex)

    @property
    def variance(self):
        total = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (total - self.concentration) / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        gammas = standard_gamma(self.concentration.expand(self._extended_shape(sample_shape)))
        return gammas / gammas.sum(-1, keepdim=True)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        concentration = self.concentration
        return (concentration - 1).xlogy(value).sum(-1) + concentration.sum(-1).lgamma() - concentration.lgamma().sum(-1)

    def entropy(self):
        size = self.concentration.shape[-1]
        total = self.concentration.sum(-1)
        return (
            self.concentration.lgamma().sum(-1) - total.lgamma() - (size - total) * total.digamma()
            - ((self.concentration - 1.0) * self.concentration.digamma()).sum(-1)
        )
