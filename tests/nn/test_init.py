"""nn.init: fans and gains equal PyTorch's; random fills have the right law (bounds, mean, std,
with tolerances of several standard errors); deterministic fills equal PyTorch's; fills run under
no_grad, accept generator= and fail on bad arguments like PyTorch."""
import math

import numpy as np
import pytest
import torch

import spindle
import spindle.nn.init as init
from tests.nn.oracle import assert_close, assert_same_error

SHAPES = [(3, 4), (5, 2, 3), (6, 3, 2, 2), (2, 3, 1, 2, 4)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_fans_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(spindle.empty(shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    for mode in ("fan_in", "fan_out", "FAN_OUT"):
        assert init._calculate_correct_fan(spindle.empty(shape), mode) == torch.nn.init._calculate_correct_fan(
            torch.empty(shape), mode)


def test_gains_match_torch():
    for nonlinearity in ("linear", "conv1d", "conv2d", "conv_transpose3d", "sigmoid", "tanh", "relu", "selu"):
        assert init.calculate_gain(nonlinearity) == torch.nn.init.calculate_gain(nonlinearity)
    for slope in (None, 0.2, 1, 0.0):
        assert init.calculate_gain("leaky_relu", slope) == torch.nn.init.calculate_gain("leaky_relu", slope)
    assert_same_error(lambda fw: fw.nn.init.calculate_gain("softmax"))
    assert_same_error(lambda fw: fw.nn.init.calculate_gain("leaky_relu", True))
    assert_same_error(lambda fw: fw.nn.init._calculate_fan_in_and_fan_out(fw.empty(3)))
    assert_same_error(lambda fw: fw.nn.init.kaiming_uniform_(fw.empty(3, 4), mode="fan_avg"))


def check_uniform(values, low, high):
    """Within [low, high], reaching near both ends, with the mean and std of U(low, high)."""
    n = values.size
    width = high - low
    assert values.min() >= low and values.max() <= high
    assert values.min() < low + 0.01 * width and values.max() > high - 0.01 * width
    assert abs(values.mean() - (low + high) / 2) < 5 * width / math.sqrt(12 * n)
    assert abs(values.std() - width / math.sqrt(12)) < 0.02 * width


def check_normal(values, mean, std):
    n = values.size
    assert abs(values.mean() - mean) < 5 * std / math.sqrt(n)
    assert abs(values.std() - std) < 5 * std / math.sqrt(2 * n)
    # Gaussian tails: about 4.6% beyond two standard deviations.
    assert abs(np.mean(np.abs(values - mean) > 2 * std) - 0.0455) < 0.01


def fill(function, shape=(200, 300), **kwargs):
    tensor = spindle.empty(shape)
    assert function(tensor, **kwargs) is tensor
    return tensor.numpy()


def test_uniform_and_normal():
    check_uniform(fill(init.uniform_, a=-2.0, b=3.0), -2.0, 3.0)
    check_uniform(fill(init.uniform_), 0.0, 1.0)
    check_normal(fill(init.normal_, mean=1.5, std=0.3), 1.5, 0.3)
    check_normal(fill(init.normal_), 0.0, 1.0)


@pytest.mark.parametrize("shape", [(200, 300), (64, 32, 3, 3)], ids=str)
def test_xavier_and_kaiming_laws(shape):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(spindle.empty(shape))
    bound = math.sqrt(6.0 / (fan_in + fan_out)) * 2.0
    check_uniform(fill(init.xavier_uniform_, shape, gain=2.0), -bound, bound)
    check_normal(fill(init.xavier_normal_, shape, gain=0.5), 0.0, 0.5 * math.sqrt(2.0 / (fan_in + fan_out)))
    gain = math.sqrt(2.0 / (1 + 0.2**2))
    bound = gain * math.sqrt(3.0 / fan_in)
    check_uniform(fill(init.kaiming_uniform_, shape, a=0.2), -bound, bound)
    std = math.sqrt(2.0) / math.sqrt(fan_out)
    check_normal(fill(init.kaiming_normal_, shape, mode="fan_out", nonlinearity="relu"), 0.0, std)


def test_kaiming_on_empty_tensor_warns_like_torch():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(spindle.empty(0, 3))
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_normal_(spindle.empty(3, 0))


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 1.0), (0.0, 1.0, 1.0, 3.0)])
def test_trunc_normal(mean, std, a, b):
    values = fill(init.trunc_normal_, (300, 300), mean=mean, std=std, a=a, b=b)
    assert values.min() >= a and values.max() <= b
    # Moments of the truncated normal, computed by quadrature.
    grid = np.linspace(a, b, 200001)
    density = np.exp(-0.5 * ((grid - mean) / std) ** 2)
    density /= np.trapezoid(density, grid)
    expected_mean = np.trapezoid(grid * density, grid)
    expected_std = math.sqrt(np.trapezoid((grid - expected_mean) ** 2 * density, grid))
    assert abs(values.mean() - expected_mean) < 5 * expected_std / 300
    assert abs(values.std() - expected_std) < 0.02 * expected_std


def test_deterministic_fills_equal_torch():
    for function, shape, kwargs in (
        ("constant_", (3, 4), {"val": 2.5}),
        ("ones_", (2, 3), {}),
        ("zeros_", (4,), {}),
        ("eye_", (3, 5), {}),
        ("dirac_", (4, 2, 3), {}),
        ("dirac_", (6, 3, 3, 2), {"groups": 2}),
        ("dirac_", (2, 2, 3, 3, 3), {}),
    ):
        ours = getattr(init, function)(spindle.randn(*shape), **kwargs)
        theirs = getattr(torch.nn.init, function)(torch.randn(*shape), **kwargs)
        assert_close(ours, theirs)
    assert_same_error(lambda fw: fw.nn.init.eye_(fw.empty(2, 3, 4)))
    assert_same_error(lambda fw: fw.nn.init.dirac_(fw.empty(2, 3)))
    assert_same_error(lambda fw: fw.nn.init.dirac_(fw.empty(3, 2, 2), groups=2))


@pytest.mark.parametrize("shape", [(30, 10), (10, 30), (8, 4, 2, 2)], ids=str)
def test_orthogonal(shape):
    values = fill(init.orthogonal_, shape, gain=1.5).reshape(shape[0], -1) / 1.5
    rows, cols = values.shape
    gram = values.T @ values if rows >= cols else values @ values.T
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-5)
    assert_same_error(lambda fw: fw.nn.init.orthogonal_(fw.empty(3)))


def test_orthogonal_is_uniformly_distributed():
    # For Haar-random orthogonal 2x2 matrices the first entry is cos(theta), theta uniform: E[q00^2] = 1/2.
    # Tolerances are over 5 standard errors of the 1000-sample means.
    entries = np.array([fill(init.orthogonal_, (2, 2))[0, 0] for _ in range(1000)])
    assert abs(np.mean(entries**2) - 0.5) < 0.06 and abs(np.mean(entries)) < 0.15


def test_sparse():
    values = fill(init.sparse_, (200, 100), sparsity=0.3, std=0.5)
    assert ((values == 0).sum(axis=0) == 60).all()
    check_normal(values[values != 0], 0.0, 0.5)
    assert_same_error(lambda fw: fw.nn.init.sparse_(fw.empty(3, 4, 5), 0.5))


def test_fills_run_under_no_grad_and_keep_leaves():
    weight = spindle.nn.Parameter(spindle.empty(4, 5))
    for function, kwargs in ((init.uniform_, {}), (init.normal_, {}), (init.xavier_uniform_, {}),
                             (init.kaiming_normal_, {}), (init.trunc_normal_, {}), (init.orthogonal_, {}),
                             (init.constant_, {"val": 1.0}), (init.eye_, {}), (init.zeros_, {})):
        function(weight, **kwargs)
        assert weight.is_leaf and weight.grad_fn is None and weight.requires_grad


def test_generator_makes_fills_reproducible():
    for function in (init.uniform_, init.normal_, init.xavier_normal_, init.kaiming_uniform_, init.trunc_normal_,
                     init.orthogonal_):
        first = function(spindle.empty(6, 5), generator=spindle.Generator().manual_seed(7)).numpy()
        second = function(spindle.empty(6, 5), generator=spindle.Generator().manual_seed(7)).numpy()
        np.testing.assert_array_equal(first, second)


def test_deprecated_aliases_warn():
    with pytest.warns(FutureWarning, match="nn.init.normal` is now deprecated"):
        init.normal(spindle.empty(2))
