"""spindle.distributions against torch.distributions: log_prob, entropy, moments, cdf/icdf, KL values and
their gradients on the same parameters; sample shapes and statistics; manual_seed reproducibility; errors."""
import numpy as np
import pytest
import torch

import spindle

DTYPES = ("float32", "float64")
TOLERANCE = {"float32": 2e-5, "float64": 1e-10}


def _leaves(arrays):
    """The same parameter arrays as spindle and torch leaves that require grad."""
    ours = [spindle.tensor(array, requires_grad=True) for array in arrays]
    theirs = [torch.tensor(array, requires_grad=True) for array in arrays]
    return ours, theirs


def _compare(ours, theirs, dtype, ours_leaves=(), theirs_leaves=(), tolerance_scale=1.0):
    """Values equal to PyTorch's, and the gradients of their sum with respect to the leaves too."""
    tolerance = TOLERANCE[dtype] * tolerance_scale
    np.testing.assert_allclose(np.asarray(ours.detach().numpy()), theirs.detach().numpy(), rtol=tolerance, atol=tolerance)
    if ours_leaves:
        ours_gradients = spindle.autograd.grad(ours.sum(), list(ours_leaves), retain_graph=True, allow_unused=True)
        theirs_gradients = torch.autograd.grad(theirs.sum(), list(theirs_leaves), retain_graph=True, allow_unused=True)
        for leaf, our_gradient, their_gradient in zip(theirs_leaves, ours_gradients, theirs_gradients):
            # An unused leaf has no gradient in one framework and a zero one in the other.
            our_gradient = np.zeros(leaf.shape) if our_gradient is None else our_gradient.numpy()
            their_gradient = np.zeros(leaf.shape) if their_gradient is None else their_gradient.numpy()
            np.testing.assert_allclose(our_gradient, their_gradient, rtol=tolerance, atol=tolerance)


def _positive_definite(rng, batch, size, dtype):
    factor = rng.standard_normal(batch + (size, size))
    return (factor @ np.swapaxes(factor, -1, -2) + size * np.eye(size)).astype(dtype)


def _scale_tril(rng, batch, size, dtype):
    return np.linalg.cholesky(_positive_definite(rng, batch, size, "float64")).astype(dtype)


def _univariate_cases(rng, dtype):
    """(name, parameter arrays, value array inside the support, supports cdf/icdf)."""
    shape = (3, 4)
    positive = lambda: rng.uniform(0.5, 2.0, shape).astype(dtype)  # noqa: E731
    normal = lambda: rng.standard_normal(shape).astype(dtype)  # noqa: E731
    low = normal()
    return [
        ("Normal", [normal(), positive()], normal(), True),
        ("Laplace", [normal(), positive()], normal(), True),
        ("Exponential", [positive()], positive(), True),
        ("Uniform", [low, low + positive()], low + rng.uniform(0.0, 0.5, shape).astype(dtype), True),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_univariate_against_torch(rng, dtype):
    for name, parameters, value, has_cdf in _univariate_cases(rng, dtype):
        ours_leaves, theirs_leaves = _leaves(parameters)
        ours = getattr(spindle.distributions, name)(*ours_leaves)
        theirs = getattr(torch.distributions, name)(*theirs_leaves)
        assert tuple(ours.batch_shape) == tuple(theirs.batch_shape) and tuple(ours.event_shape) == tuple(theirs.event_shape)
        our_value, their_value = spindle.tensor(value), torch.tensor(value)
        _compare(ours.log_prob(our_value), theirs.log_prob(their_value), dtype, ours_leaves, theirs_leaves)
        _compare(ours.entropy(), theirs.entropy(), dtype, ours_leaves, theirs_leaves)
        for moment in ("mean", "variance", "stddev"):
            _compare(getattr(ours, moment), getattr(theirs, moment), dtype)
        if has_cdf:
            _compare(ours.cdf(our_value), theirs.cdf(their_value), dtype, ours_leaves, theirs_leaves)
            quantile = rng.uniform(0.05, 0.95, value.shape).astype(dtype)
            _compare(ours.icdf(spindle.tensor(quantile)), theirs.icdf(torch.tensor(quantile)), dtype, ours_leaves, theirs_leaves, 10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("parameterisation", ["probs", "logits"])
def test_discrete_against_torch(rng, dtype, parameterisation):
    weights = rng.uniform(0.1, 1.0, (3, 5)).astype(dtype) if parameterisation == "probs" else rng.standard_normal((3, 5)).astype(dtype)
    ours_leaves, theirs_leaves = _leaves([weights])
    ours = spindle.distributions.Categorical(**{parameterisation: ours_leaves[0]})
    theirs = torch.distributions.Categorical(**{parameterisation: theirs_leaves[0]})
    indices = rng.integers(0, 5, (2, 3))
    _compare(ours.log_prob(spindle.tensor(indices)), theirs.log_prob(torch.tensor(indices)), dtype, ours_leaves, theirs_leaves)
    _compare(ours.entropy(), theirs.entropy(), dtype, ours_leaves, theirs_leaves)
    assert ours.mode.tolist() == theirs.mode.tolist()

    one_hot = spindle.distributions.OneHotCategorical(**{parameterisation: ours_leaves[0]})
    their_one_hot = torch.distributions.OneHotCategorical(**{parameterisation: theirs_leaves[0]})
    vectors = np.eye(5, dtype=dtype)[indices]
    _compare(one_hot.log_prob(spindle.tensor(vectors)), their_one_hot.log_prob(torch.tensor(vectors)), dtype, ours_leaves, theirs_leaves)
    _compare(one_hot.variance, their_one_hot.variance, dtype)

    binary = rng.uniform(0.05, 0.95, (3, 5)).astype(dtype) if parameterisation == "probs" else weights
    ours_leaves, theirs_leaves = _leaves([binary])
    ours = spindle.distributions.Bernoulli(**{parameterisation: ours_leaves[0]})
    theirs = torch.distributions.Bernoulli(**{parameterisation: theirs_leaves[0]})
    outcomes = rng.integers(0, 2, (3, 5)).astype(dtype)
    _compare(ours.log_prob(spindle.tensor(outcomes)), theirs.log_prob(torch.tensor(outcomes)), dtype, ours_leaves, theirs_leaves)
    _compare(ours.entropy(), theirs.entropy(), dtype, ours_leaves, theirs_leaves)
    _compare(ours.variance, theirs.variance, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("matrix", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_multivariate_normal_against_torch(rng, dtype, matrix):
    builder = _scale_tril if matrix == "scale_tril" else _positive_definite
    loc, given = rng.standard_normal((2, 3)).astype(dtype), builder(rng, (2,), 3, dtype)
    ours_leaves, theirs_leaves = _leaves([loc, given])
    ours = spindle.distributions.MultivariateNormal(ours_leaves[0], **{matrix: ours_leaves[1]})
    theirs = torch.distributions.MultivariateNormal(theirs_leaves[0], **{matrix: theirs_leaves[1]})
    value = rng.standard_normal((4, 2, 3)).astype(dtype)
    _compare(ours.log_prob(spindle.tensor(value)), theirs.log_prob(torch.tensor(value)), dtype, ours_leaves, theirs_leaves, 100)
    _compare(ours.entropy(), theirs.entropy(), dtype, ours_leaves, theirs_leaves, 100)
    _compare(ours.variance, theirs.variance, dtype, tolerance_scale=100)
    _compare(ours.covariance_matrix, theirs.covariance_matrix, dtype, tolerance_scale=100)
    independent = spindle.distributions.Independent(spindle.distributions.Normal(ours_leaves[0], 1.0), 1)
    their_independent = torch.distributions.Independent(torch.distributions.Normal(theirs_leaves[0], 1.0), 1)
    assert tuple(independent.event_shape) == tuple(their_independent.event_shape) == (3,)
    _compare(independent.log_prob(spindle.tensor(value)), their_independent.log_prob(torch.tensor(value)), dtype, ours_leaves[:1], theirs_leaves[:1])


def _kl_pairs(rng, dtype):
    """(family, parameter arrays of p, of q, keyword names)."""
    positive = lambda shape=(4,): rng.uniform(0.5, 2.0, shape).astype(dtype)  # noqa: E731
    normal = lambda shape=(4,): rng.standard_normal(shape).astype(dtype)  # noqa: E731
    low = normal()
    return [
        ("Normal", [normal(), positive()], [normal(), positive()], ("loc", "scale")),
        ("Laplace", [normal(), positive()], [normal(), positive()], ("loc", "scale")),
        ("Exponential", [positive()], [positive()], ("rate",)),
        ("Categorical", [normal((4, 3))], [normal((4, 3))], ("logits",)),
        ("Bernoulli", [rng.uniform(0.1, 0.9, 4).astype(dtype)], [rng.uniform(0.1, 0.9, 4).astype(dtype)], ("probs",)),
        ("Uniform", [low, low + 1], [low - positive(), low + 1 + positive()], ("low", "high")),
        ("MultivariateNormal", [normal((2, 3)), _scale_tril(rng, (2,), 3, dtype)], [normal((3,)), _scale_tril(rng, (), 3, dtype)], ("loc", "scale_tril")),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_divergence_against_torch(rng, dtype):
    for name, p_arrays, q_arrays, keywords in _kl_pairs(rng, dtype):
        ours_leaves, theirs_leaves = _leaves(p_arrays + q_arrays)
        count = len(p_arrays)
        ours_p = getattr(spindle.distributions, name)(**dict(zip(keywords, ours_leaves[:count])))
        ours_q = getattr(spindle.distributions, name)(**dict(zip(keywords, ours_leaves[count:])))
        theirs_p = getattr(torch.distributions, name)(**dict(zip(keywords, theirs_leaves[:count])))
        theirs_q = getattr(torch.distributions, name)(**dict(zip(keywords, theirs_leaves[count:])))
        ours, theirs = spindle.distributions.kl_divergence(ours_p, ours_q), torch.distributions.kl_divergence(theirs_p, theirs_q)
        _compare(ours, theirs, dtype, ours_leaves, theirs_leaves, 100)
    # q cannot cover p: infinite, as in PyTorch.
    narrow = spindle.distributions.kl_divergence(spindle.distributions.Uniform(0.0, 2.0), spindle.distributions.Uniform(0.0, 1.0))
    assert narrow.item() == torch.distributions.kl_divergence(torch.distributions.Uniform(0.0, 2.0), torch.distributions.Uniform(0.0, 1.0)).item()
    with pytest.raises(NotImplementedError):
        spindle.distributions.kl_divergence(spindle.distributions.Normal(0.0, 1.0), spindle.distributions.Exponential(1.0))


def test_sample_shapes_and_statistics():
    spindle.manual_seed(0)
    loc, scale = spindle.tensor([0.5, -1.0]), spindle.tensor([1.0, 2.0])
    count = 20000
    cases = [
        spindle.distributions.Normal(loc, scale),
        spindle.distributions.Laplace(loc, scale),
        spindle.distributions.Exponential(scale),
        spindle.distributions.Uniform(loc, loc + scale),
        spindle.distributions.Bernoulli(probs=spindle.tensor([0.2, 0.7])),
        spindle.distributions.MultivariateNormal(loc, scale_tril=spindle.tensor([[1.0, 0.0], [0.5, 2.0]])),
        spindle.distributions.OneHotCategorical(probs=spindle.tensor([0.2, 0.8])),
    ]
    for distribution in cases:
        samples = distribution.sample((count,))
        assert tuple(samples.shape) == (count,) + tuple(distribution.batch_shape) + tuple(distribution.event_shape)
        standard_error = (distribution.variance / count).sqrt()
        assert ((samples.mean(0) - distribution.mean).abs() < 5 * standard_error).all(), type(distribution).__name__
    categorical = spindle.distributions.Categorical(probs=spindle.tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]]))
    draws = categorical.sample((count, 2))
    assert tuple(draws.shape) == (count, 2, 2) and draws.dtype == spindle.int64
    frequencies = np.stack([(draws.numpy()[..., row] == k).mean() for row in range(2) for k in range(3)]).reshape(2, 3)
    assert np.abs(frequencies - categorical.probs.numpy()).max() < 0.01
    assert spindle.distributions.Normal(0.0, 1.0).sample().shape == ()


def test_rsample_is_differentiable_and_sample_is_not():
    loc = spindle.tensor([1.0, 2.0], requires_grad=True)
    normal = spindle.distributions.Normal(loc, 1.0)
    assert normal.rsample((3,)).requires_grad and not normal.sample((3,)).requires_grad
    (gradient,) = spindle.autograd.grad(normal.rsample((5,)).sum(), [loc])
    assert gradient.tolist() == [5.0, 5.0]


def test_manual_seed_reproducibility():
    def draw():
        spindle.manual_seed(1234)
        return [
            spindle.distributions.Normal(spindle.zeros(3), 1.0).sample((2,)).numpy(),
            spindle.distributions.Categorical(logits=spindle.zeros(4)).sample((6,)).numpy(),
            spindle.distributions.MultivariateNormal(spindle.zeros(2), spindle.eye(2)).sample((3,)).numpy(),
        ]

    for first, second in zip(draw(), draw()):
        np.testing.assert_array_equal(first, second)


def test_expand_matches_torch():
    ours = spindle.distributions.Normal(spindle.tensor([0.0, 1.0]), 1.0).expand((3, 2))
    theirs = torch.distributions.Normal(torch.tensor([0.0, 1.0]), 1.0).expand((3, 2))
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape) and tuple(ours.sample().shape) == (3, 2)
    ours = spindle.distributions.Categorical(logits=spindle.zeros(4)).expand((5,))
    assert tuple(ours.batch_shape) == (5,) and tuple(ours.sample().shape) == (5,)


def _error_type(build):
    try:
        build()
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error)
    return None


@pytest.mark.parametrize(
    "build",
    [
        lambda D, t: D.Normal(t.tensor([0.0]), t.tensor([-1.0])),
        lambda D, t: D.Normal(t.zeros(2), t.ones(2)).log_prob(t.zeros(3)),
        lambda D, t: D.Normal(0.0, 1.0).log_prob(0.5),
        lambda D, t: D.Bernoulli(probs=t.tensor([1.5])),
        lambda D, t: D.Bernoulli(probs=t.tensor([0.5])).log_prob(t.tensor([0.5])),
        lambda D, t: D.Bernoulli(probs=t.tensor([0.5]), logits=t.tensor([0.0])),
        lambda D, t: D.Categorical(probs=t.tensor([0.5, 0.5])).log_prob(t.tensor([2])),
        lambda D, t: D.Categorical(probs=t.tensor([0.5, -0.5])),
        lambda D, t: D.Uniform(1.0, 0.0),
        lambda D, t: D.Exponential(t.tensor([1.0])).log_prob(t.tensor([-1.0])),
        lambda D, t: D.MultivariateNormal(t.zeros(2), t.tensor([[1.0, 2.0], [2.0, 1.0]])),
        lambda D, t: D.MultivariateNormal(t.zeros(2)),
        lambda D, t: D.MultivariateNormal(t.tensor(0.0), t.eye(1)),
        lambda D, t: D.Independent(D.Normal(t.zeros(2), 1.0), 2),
        lambda D, t: D.kl_divergence(D.MultivariateNormal(t.zeros(2), t.eye(2)), D.MultivariateNormal(t.zeros(3), t.eye(3))),
    ],
)
def test_errors_match_torch(build):
    expected = _error_type(lambda: build(torch.distributions, torch))
    assert expected is not None
    assert _error_type(lambda: build(spindle.distributions, spindle)) is expected


def test_validation_can_be_turned_off():
    normal = spindle.distributions.Normal(spindle.tensor([0.0]), spindle.tensor([-1.0]), validate_args=False)
    assert normal.scale.item() == -1.0
