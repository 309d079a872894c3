"""Gamma, Beta, Dirichlet, Poisson, LogNormal, Geometric and Binomial against torch.distributions:
log_prob, entropy, moments and their parameter gradients; KL values and gradients; sample shapes and
statistics; the implicit reparameterization gradient of Gamma/Beta/Dirichlet rsample, exactly per draw
(against torch._standard_gamma_grad) and in expectation (against torch's rsample)."""
import numpy as np
import pytest
import torch

import spindle

DTYPES = ("float32", "float64")
TOLERANCE = {"float32": 2e-4, "float64": 1e-9}


def _leaves(arrays):
    """The same parameter arrays as spindle and torch leaves that require grad."""
    ours = [spindle.tensor(array, requires_grad=True) for array in arrays]
    theirs = [torch.tensor(array, requires_grad=True) for array in arrays]
    return ours, theirs


def _compare(ours, theirs, dtype, ours_leaves=(), theirs_leaves=()):
    """Values equal to PyTorch's, and the gradients of their sum with respect to the leaves too."""
    tolerance = TOLERANCE[dtype]
    assert ours.dtype == getattr(spindle, str(theirs.dtype).split(".")[-1])
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tolerance, atol=tolerance)
    assert ours.requires_grad == theirs.requires_grad
    if ours_leaves and theirs.requires_grad:
        ours_gradients = spindle.autograd.grad(ours.sum(), list(ours_leaves), retain_graph=True, allow_unused=True)
        theirs_gradients = torch.autograd.grad(theirs.sum(), list(theirs_leaves), retain_graph=True, allow_unused=True)
        for leaf, our_gradient, their_gradient in zip(theirs_leaves, ours_gradients, theirs_gradients):
            our_gradient = np.zeros(leaf.shape) if our_gradient is None else our_gradient.numpy()
            their_gradient = np.zeros(leaf.shape) if their_gradient is None else their_gradient.numpy()
            np.testing.assert_allclose(our_gradient, their_gradient, rtol=tolerance, atol=tolerance)


def _cases(rng, dtype):
    """(name, keyword parameter arrays, value array inside the support, moments to compare)."""
    shape = (3, 4)
    positive = lambda size=shape: rng.uniform(0.5, 3.0, size).astype(dtype)  # noqa: E731
    counts = lambda: rng.integers(0, 6, shape).astype(dtype)  # noqa: E731
    probability = lambda: rng.uniform(0.1, 0.9, shape).astype(dtype)  # noqa: E731
    simplex = rng.dirichlet(np.ones(4), shape[:1]).astype(dtype)
    total_count = np.full(shape, 7, dtype)
    return [
        ("Gamma", {"concentration": positive(), "rate": positive()}, positive(), ("mean", "variance", "mode")),
        ("Beta", {"concentration1": positive(), "concentration0": positive()}, probability(), ("mean", "variance", "mode")),
        ("Dirichlet", {"concentration": positive()}, simplex, ("mean", "variance", "mode")),
        # Every concentration below 1 in some rows: the mode is a vertex there.
        ("Dirichlet", {"concentration": rng.uniform(0.2, 1.2, shape).astype(dtype)}, simplex, ("mode",)),
        ("Poisson", {"rate": positive()}, counts(), ("mean", "variance", "mode")),
        ("LogNormal", {"loc": rng.standard_normal(shape).astype(dtype), "scale": positive()}, positive(), ("mean", "variance", "mode")),
        ("Geometric", {"probs": probability()}, counts(), ("mean", "variance", "mode")),
        ("Geometric", {"logits": rng.standard_normal(shape).astype(dtype)}, counts(), ("mean", "variance")),
        ("Binomial", {"total_count": total_count, "probs": probability()}, counts(), ("mean", "variance", "mode")),
        ("Binomial", {"total_count": total_count, "logits": rng.standard_normal(shape).astype(dtype)}, counts(), ("mean", "variance")),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_against_torch(rng, dtype):
    for name, parameters, value, moments in _cases(rng, dtype):
        ours_leaves, theirs_leaves = _leaves(list(parameters.values()))
        if name == "Binomial":  # total_count is an integer count: not a differentiable parameter
            ours_leaves[0].requires_grad_(False)
            theirs_leaves[0].requires_grad_(False)
        ours = getattr(spindle.distributions, name)(**dict(zip(parameters, ours_leaves)))
        theirs = getattr(torch.distributions, name)(**dict(zip(parameters, theirs_leaves)))
        assert tuple(ours.batch_shape) == tuple(theirs.batch_shape) and tuple(ours.event_shape) == tuple(theirs.event_shape), name
        differentiable = [(our, their) for our, their in zip(ours_leaves, theirs_leaves) if their.requires_grad]
        our_leaves, their_leaves = zip(*differentiable)
        _compare(ours.log_prob(spindle.tensor(value)), theirs.log_prob(torch.tensor(value)), dtype, our_leaves, their_leaves)
        if name != "Poisson":  # torch has no closed-form Poisson entropy
            _compare(ours.entropy(), theirs.entropy(), dtype, our_leaves, their_leaves)
        for moment in moments:
            _compare(getattr(ours, moment), getattr(theirs, moment), dtype, our_leaves, their_leaves)
    log_normal = spindle.distributions.LogNormal(spindle.tensor(value), 1.5)
    their_log_normal = torch.distributions.LogNormal(torch.tensor(value), 1.5)
    quantile = rng.uniform(0.05, 0.95, value.shape).astype(dtype)
    _compare(log_normal.cdf(spindle.tensor(value + 1)), their_log_normal.cdf(torch.tensor(value + 1)), dtype)
    _compare(log_normal.icdf(spindle.tensor(quantile)), their_log_normal.icdf(torch.tensor(quantile)), dtype)


def _kl_pairs(rng, dtype):
    positive = lambda shape=(4,): rng.uniform(0.5, 3.0, shape).astype(dtype)  # noqa: E731
    return [
        ("Gamma", [positive(), positive()], [positive(), positive()], ("concentration", "rate")),
        ("Beta", [positive(), positive()], [positive(), positive()], ("concentration1", "concentration0")),
        ("Dirichlet", [positive((2, 3))], [positive((2, 3))], ("concentration",)),
        ("Poisson", [positive()], [positive()], ("rate",)),
        ("LogNormal", [rng.standard_normal(4).astype(dtype), positive()], [rng.standard_normal(4).astype(dtype), positive()], ("loc", "scale")),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_divergence_against_torch(rng, dtype):
    for name, p_arrays, q_arrays, keywords in _kl_pairs(rng, dtype):
        ours_leaves, theirs_leaves = _leaves(p_arrays + q_arrays)
        count = len(p_arrays)
        family, their_family = getattr(spindle.distributions, name), getattr(torch.distributions, name)
        ours = spindle.distributions.kl_divergence(
            family(**dict(zip(keywords, ours_leaves[:count]))), family(**dict(zip(keywords, ours_leaves[count:])))
        )
        theirs = torch.distributions.kl_divergence(
            their_family(**dict(zip(keywords, theirs_leaves[:count]))), their_family(**dict(zip(keywords, theirs_leaves[count:])))
        )
        _compare(ours, theirs, dtype, ours_leaves, theirs_leaves)


def test_sample_shapes_and_statistics():
    spindle.manual_seed(0)
    count = 20000
    cases = [
        spindle.distributions.Gamma(spindle.tensor([0.3, 2.0]), spindle.tensor([1.0, 0.5])),
        spindle.distributions.Beta(spindle.tensor([0.5, 2.0]), spindle.tensor([1.5, 3.0])),
        spindle.distributions.Dirichlet(spindle.tensor([0.5, 1.0, 4.0])),
        spindle.distributions.Poisson(spindle.tensor([0.5, 7.0])),
        spindle.distributions.LogNormal(spindle.tensor([0.0, 1.0]), spindle.tensor([0.5, 0.25])),
        spindle.distributions.Geometric(probs=spindle.tensor([0.2, 0.9])),
        spindle.distributions.Binomial(spindle.tensor([10.0, 3.0]), probs=spindle.tensor([0.3, 0.8])),
    ]
    for distribution in cases:
        samples = distribution.sample((count, 2))
        assert tuple(samples.shape) == (count, 2) + tuple(distribution.batch_shape) + tuple(distribution.event_shape)
        assert samples.dtype == spindle.float32 and not samples.requires_grad
        assert bool(distribution.support.check(samples).all()), type(distribution).__name__
        standard_error = (distribution.variance / (2 * count)).sqrt()
        assert ((samples.mean((0, 1)) - distribution.mean).abs() < 5 * standard_error).all(), type(distribution).__name__
    assert spindle.distributions.Gamma(1.0, 1.0).sample().shape == ()
    assert spindle.distributions.Beta(1.0, 1.0).rsample((3,)).shape == (3,)


def test_manual_seed_reproducibility():
    def draw():
        spindle.manual_seed(1234)
        return [
            spindle.distributions.Gamma(spindle.ones(3), 1.0).sample((2,)).numpy(),
            spindle.distributions.Poisson(spindle.ones(3)).sample((2,)).numpy(),
            spindle.distributions.Binomial(5, probs=spindle.ones(3) / 2).sample((2,)).numpy(),
        ]

    for first, second in zip(draw(), draw()):
        np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("dtype", DTYPES)
def test_standard_gamma_gradient_matches_torch_per_draw(rng, dtype):
    """The implicit gradient of each draw equals torch._standard_gamma_grad at that draw, across all the
    approximation regimes (small draws, large concentration near and away from the mode, the rational fit)."""
    from spindle.distributions.gamma import standard_gamma

    concentration = np.concatenate([rng.uniform(0.05, 2.0, 500), rng.uniform(2.0, 8.0, 500), rng.uniform(8.0, 50.0, 500)])
    concentration = concentration.astype(dtype)[::-1]  # a non-contiguous parameter
    leaf = spindle.tensor(concentration, requires_grad=True)
    draws = standard_gamma(leaf)
    (gradient,) = spindle.autograd.grad(draws.sum(), [leaf])
    expected = torch._standard_gamma_grad(torch.tensor(concentration.copy()), torch.tensor(draws.detach().numpy()))
    np.testing.assert_allclose(gradient.numpy(), expected.numpy(), rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])
    assert draws.dtype == leaf.dtype and bool((draws > 0).all())


def _mean_and_standard_error(values):
    return values.mean(0), values.std(0) / np.sqrt(values.shape[0])


def test_rsample_gradient_matches_torch_in_expectation():
    """d/dparameters E[f(draw)] for a smooth f, estimated from many draws in each framework, agrees within
    a few standard errors of the difference (the random streams differ, so per-draw values do not)."""
    spindle.manual_seed(7)
    torch.manual_seed(7)
    count = 4000
    families = [
        ("Gamma", {"concentration": [0.4, 3.0], "rate": [1.5, 0.7]}),
        ("Beta", {"concentration1": [0.6, 4.0], "concentration0": [2.0, 1.2]}),
        ("Dirichlet", {"concentration": [[0.7, 2.0, 5.0]]}),
    ]
    for name, parameters in families:
        estimates = []
        for framework in (spindle, torch):
            leaves = [framework.tensor(np.repeat(np.asarray(value, "float64")[None], count, 0), requires_grad=True) for value in parameters.values()]
            distribution = getattr(framework.distributions, name)(*leaves)
            draws = distribution.rsample()
            smooth = (draws.sin() + draws * draws / 4).sum()
            gradients = framework.autograd.grad(smooth, leaves)
            # One draw per row: the per-row gradients are independent estimates of the expected gradient.
            estimates.append([_mean_and_standard_error(np.asarray(gradient.numpy())) for gradient in gradients])
        for (our_mean, our_error), (their_mean, their_error) in zip(*estimates):
            assert (np.abs(our_mean - their_mean) < 5 * np.sqrt(our_error**2 + their_error**2)).all(), name


def _error_type(build):
    try:
        build()
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error)
    return None


@pytest.mark.parametrize(
    "build",
    [
        lambda D, t: D.Gamma(t.tensor([1.0]), t.tensor([-1.0])),
        lambda D, t: D.Gamma(t.tensor([1.0]), t.tensor([1.0])).log_prob(t.tensor([-1.0])),
        lambda D, t: D.Beta(t.tensor([1.0]), t.tensor([0.0])),
        lambda D, t: D.Beta(t.tensor([1.0]), t.tensor([1.0])).log_prob(t.tensor([1.5])),
        lambda D, t: D.Dirichlet(t.tensor(1.0)),
        lambda D, t: D.Dirichlet(t.tensor([1.0, -1.0])),
        lambda D, t: D.Dirichlet(t.tensor([1.0, 1.0])).log_prob(t.tensor([0.5, 0.6])),
        lambda D, t: D.Poisson(t.tensor([-1.0])),
        lambda D, t: D.Poisson(t.tensor([1.0])).log_prob(t.tensor([0.5])),
        lambda D, t: D.LogNormal(t.tensor([0.0]), t.tensor([1.0])).log_prob(t.tensor([-1.0])),
        lambda D, t: D.Geometric(probs=t.tensor([0.0])),
        lambda D, t: D.Geometric(probs=t.tensor([0.5]), logits=t.tensor([0.0])),
        lambda D, t: D.Binomial(t.tensor([2.5]), probs=t.tensor([0.5])),
        lambda D, t: D.Binomial(t.tensor([3.0]), probs=t.tensor([0.5])).log_prob(t.tensor([4.0])),
        lambda D, t: D.Binomial(t.tensor([2.0, 3.0]), probs=t.tensor([0.5, 0.5])).entropy(),
    ],
)
def test_errors_match_torch(build):
    expected = _error_type(lambda: build(torch.distributions, torch))
    assert expected is not None
    assert _error_type(lambda: build(spindle.distributions, spindle)) is expected
