"""``kl_divergence(p, q)`` and ``register_kl``: closed-form KL divergences dispatched on both types."""
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .dirichlet import Dirichlet
from .exponential import Exponential
from .gamma import Gamma
from .independent import Independent
from .laplace import Laplace
from .log_normal import LogNormal
from .multivariate_normal import MultivariateNormal, _half_log_det
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .poisson import Poisson
from .uniform import Uniform
from .utils import sum_rightmost

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY = {}


def register_kl(type_p, type_q):
    """Decorator registering ``function(p, q)`` as the KL divergence of a ``type_p`` from a ``type_q``."""
    if not isinstance(type_p, type) or not isinstance(type_q, type):
        raise TypeError(f"Expected type_p and type_q to be subclasses of Distribution, but got {type_p} and {type_q}")

    def decorator(function):
        _KL_REGISTRY[type_p, type_q] = function
        return function

    return decorator


def _dispatch_kl(type_p, type_q):
    """The registered function for the most specific pair of ancestors (closest in the two MROs)."""
    matches = [
        (index_p + index_q, index_p, function)
        for index_p, super_p in enumerate(type_p.__mro__)
        for index_q, super_q in enumerate(type_q.__mro__)
        if (function := _KL_REGISTRY.get((super_p, super_q))) is not None
    ]
    return min(matches, key=lambda match: match[:2])[2] if matches else None


def kl_divergence(p, q):
    """KL(p || q) = E_p[log p(x) - log q(x)], of the batch shape of ``p`` and ``q`` broadcast together."""
    function = _dispatch_kl(type(p), type(q))
    if function is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {p.__class__.__name__} and q type {q.__class__.__name__}")
    return function(p, q)


def _infinite_where(condition, value):
    return value.masked_fill(condition, float("inf"))


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    variance_ratio = (p.scale / q.scale).pow(2)
    squared_distance = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (variance_ratio + squared_distance - 1 - variance_ratio.log())


@register_kl(LogNormal, LogNormal)
def _kl_lognormal_lognormal(p, q):
    return _kl_normal_normal(p, q)  # KL is unchanged by the shared bijection exp


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_distance = (p.loc - q.loc).abs()
    return -scale_ratio.log() + loc_distance / q.scale + scale_ratio * (-loc_distance / p.scale).exp() - 1


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    rate_ratio = q.rate / p.rate
    return rate_ratio - rate_ratio.log() - 1


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    from ..nn.functional import softplus

    # Categories impossible under p contribute nothing; those possible under p but not q make KL infinite.
    term_one = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    term_one = _infinite_where(q.probs == 0, term_one).masked_fill(p.probs == 0, 0)
    term_zero = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    term_zero = _infinite_where(q.probs == 1, term_zero).masked_fill(p.probs == 1, 0)
    return term_one + term_zero


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    terms = p.probs * (p.logits - q.logits)
    terms = _infinite_where((q.probs == 0).expand_as(terms), terms).masked_fill((p.probs == 0).expand_as(terms), 0)
    return terms.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return _infinite_where((q.low > p.low) | (q.high < p.high), result)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_multivariatenormal_multivariatenormal(p, q):
    from ..functional import broadcast_shapes
    from ..linalg import solve

    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event shapes cannot be computed")
    half_log_det_ratio = _half_log_det(q._unbroadcasted_scale_tril) - _half_log_det(p._unbroadcasted_scale_tril)
    size = p.event_shape[0]
    batch_shape = broadcast_shapes(q._unbroadcasted_scale_tril.shape[:-2], p._unbroadcasted_scale_tril.shape[:-2], q.loc.shape[:-1], p.loc.shape[:-1])
    q_scale_tril = q._unbroadcasted_scale_tril.expand(batch_shape + (size, size))
    p_scale_tril = p._unbroadcasted_scale_tril.expand(batch_shape + (size, size))
    q_scale_tril = q_scale_tril.tril()  # as a triangular solve: the upper triangle of q gets no gradient
    trace_term = solve(q_scale_tril, p_scale_tril).pow(2).flatten(-2).sum(-1)
    loc_difference = (q.loc - p.loc).expand(batch_shape + (size,)).unsqueeze(-1)
    mahalanobis_term = solve(q_scale_tril, loc_difference).pow(2).flatten(-2).sum(-1)
    return half_log_det_ratio + 0.5 * (trace_term + mahalanobis_term - size)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    log_rate_term = q.concentration * (p.rate / q.rate).log()
    log_normalizer_term = q.concentration.lgamma() - p.concentration.lgamma()
    digamma_term = (p.concentration - q.concentration) * p.concentration.digamma()
    rate_term = (q.rate - p.rate) * (p.concentration / p.rate)
    return log_rate_term + log_normalizer_term + digamma_term + rate_term


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    return _kl_dirichlet_dirichlet(p._dirichlet, q._dirichlet)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    p_total, q_total = p.concentration.sum(-1), q.concentration.sum(-1)
    log_normalizer_term = p_total.lgamma() - q_total.lgamma() - (p.concentration.lgamma() - q.concentration.lgamma()).sum(-1)
    expected_log_term = (p.concentration - q.concentration) * (p.concentration.digamma() - p_total.digamma().unsqueeze(-1))
    return log_normalizer_term + expected_log_term.sum(-1)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)
