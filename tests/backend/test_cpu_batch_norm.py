"""The training batch-norm kernels of ``spindle.backend.cpu_batch_norm`` (float32, contiguous, CPU).

* ``applies`` picks exactly float32 C-contiguous NumPy inputs with float32 or absent weight and bias,
  and nothing once ``native.enabled`` is off; evaluation, float64 and non-contiguous inputs keep the
  NumPy path, training float32 takes the kernels both ways.
* Through ``F.batch_norm`` and the BatchNorm modules, in training, the kernel path equals PyTorch
  (output, running statistics, gradients of input, weight and bias) over shapes that leave partial
  vectors, rows longer than a summation block, one sample or one position per channel, 2-D to 5-D
  inputs, no affine parameters, no running statistics, and output gradients that are not contiguous.
* The kernel path equals the NumPy path (``native.enabled`` off) to 1e-6, and the statistics stay
  accurate when the mean is large against the spread; several threads give the same bits as one;
  a gradient taken with ``create_graph`` (through the composite) equals the kernel's.

Every test here calls the kernels and is skipped, with the reason, where they cannot be built.
"""
import numpy as np
import pytest
import torch

import spindle
from spindle.backend import cpu_batch_norm, native
from tests.nn.oracle import assert_close, to_numpy

pytestmark = pytest.mark.skipif(cpu_batch_norm._kernels() is None,
                                reason="the batch-norm C kernels cannot be built here (no C compiler)")

# Largest difference between the kernel path and the NumPy path, relative to the largest magnitude.
# The weight gradient sums thousands of float32 products that largely cancel: the NumPy path's
# float32 sums were seen 7e-6 (relative) away from the kernel's double-accumulated ones.
PATH_TOLERANCE = 2e-5

# (N, C, *): partial vectors of 16 lanes (P = 3, 17, 33), rows longer than a 1024-value block
# (P = 1600), one sample (N = 1), one position (P = 1: BatchNorm1d on (N, C)), an odd channel count.
SHAPES = [(8, 5), (1, 3, 17), (6, 7, 33), (4, 13, 3, 3), (2, 3, 40, 40), (3, 4, 2, 3, 5), (1, 2, 64)]


@pytest.fixture
def kernel_calls(monkeypatch):
    """Counts of calls to the kernels' forward and backward while the test runs."""
    counts = {"forward": 0, "backward": 0}
    for name in counts:
        original = getattr(cpu_batch_norm, name)

        def counted(*arguments, name=name, original=original):
            counts[name] += 1
            return original(*arguments)

        monkeypatch.setattr(cpu_batch_norm, name, counted)
    return counts


def make_inputs(rng, shape, affine=True, running=True, offset=2.0, scale=3.0):
    """NumPy float32 input (N, C, *), weight, bias, running mean and variance (C,) or None."""
    channels = shape[1]
    x = (rng.standard_normal(shape) * scale + offset).astype(np.float32)
    weight, bias = (rng.standard_normal(channels).astype(np.float32) for _ in range(2))
    mean = rng.standard_normal(channels).astype(np.float32)
    var = (rng.random(channels) + 0.5).astype(np.float32)
    if not affine:
        weight = bias = None
    if not running:
        mean = var = None
    return x, weight, bias, mean, var


def run_batch_norm(framework, arrays, cotangent, momentum=0.3, training=True):
    """``F.batch_norm`` of ``arrays`` (from ``make_inputs``) in ``framework``, backpropagating
    ``cotangent`` (a tensor of the framework, or a function of the output giving the loss): the
    output, running mean and variance, and gradients of input, weight, bias (None where absent)."""
    x, weight, bias, mean, var = (None if array is None else framework.tensor(array) for array in arrays)
    x.requires_grad_(True)
    for parameter in (weight, bias):
        if parameter is not None:
            parameter.requires_grad_(True)
    output = framework.nn.functional.batch_norm(x, mean, var, weight, bias, training=training, momentum=momentum)
    if callable(cotangent):
        cotangent(output).backward()
    else:
        output.backward(cotangent)
    return [output, mean, var] + [None if leaf is None else leaf.grad for leaf in (x, weight, bias)]


def assert_all_close(actual, expected, tolerance=None):
    for mine, reference in zip(actual, expected, strict=True):
        assert (mine is None) == (reference is None)
        if mine is not None:
            assert_close(mine, reference, tolerance=tolerance)


def test_applies_to_float32_contiguous_arrays_only(monkeypatch):
    x = np.zeros((4, 3, 5), dtype=np.float32)
    vector = np.ones(3, dtype=np.float32)
    assert cpu_batch_norm.applies(x, vector, vector) and cpu_batch_norm.applies(x, None, None)
    assert not cpu_batch_norm.applies(x.astype(np.float64), None, None)
    assert not cpu_batch_norm.applies(x.swapaxes(1, 2), None, None)
    assert not cpu_batch_norm.applies(x, vector.astype(np.float64), None)
    assert not cpu_batch_norm.applies(x, None, vector.astype(np.float64))
    monkeypatch.setattr(native, "enabled", False)
    assert not cpu_batch_norm.applies(x, vector, vector)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("running", [True, False])
def test_training_matches_torch(rng, kernel_calls, shape, affine, running):
    arrays = make_inputs(rng, shape, affine, running)
    cotangent = rng.standard_normal(shape).astype(np.float32)
    ours = run_batch_norm(spindle, arrays, spindle.tensor(cotangent))
    theirs = run_batch_norm(torch, arrays, torch.tensor(cotangent))
    assert kernel_calls == {"forward": 1, "backward": 1}
    assert_all_close(ours, theirs)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_kernel_path_equals_numpy_path(rng, monkeypatch, kernel_calls, shape, affine):
    arrays = make_inputs(rng, shape, affine)
    cotangent = rng.standard_normal(shape).astype(np.float32)
    kernel = run_batch_norm(spindle, arrays, spindle.tensor(cotangent))
    monkeypatch.setattr(native, "enabled", False)
    numpy_path = run_batch_norm(spindle, arrays, spindle.tensor(cotangent))
    assert kernel_calls == {"forward": 1, "backward": 1}
    assert_all_close(kernel, numpy_path, tolerance=PATH_TOLERANCE)


def test_other_inputs_keep_the_numpy_path(rng, kernel_calls):
    x, weight, bias, mean, var = make_inputs(rng, (4, 3, 5))
    cotangent = rng.standard_normal((4, 3, 5)).astype(np.float32)
    cases = [
        ("evaluation", (x, weight, bias, mean, var), False),
        ("float64", [array.astype(np.float64) for array in (x, weight, bias, mean, var)], True),
        ("non-contiguous", (np.ascontiguousarray(x.swapaxes(1, 2)).swapaxes(1, 2), weight, bias, mean, var), True),
    ]
    for name, arrays, training in cases:
        grad = cotangent.astype(arrays[0].dtype)
        ours = run_batch_norm(spindle, arrays, spindle.tensor(grad), training=training)
        theirs = run_batch_norm(torch, arrays, torch.tensor(grad), training=training)
        assert_all_close(ours, theirs)
        assert kernel_calls == {"forward": 0, "backward": 0}, name


@pytest.mark.parametrize("module, shape", [("BatchNorm1d", (16, 6)), ("BatchNorm1d", (5, 6, 9)),
                                           ("BatchNorm2d", (4, 6, 5, 7)), ("BatchNorm3d", (2, 6, 3, 4, 5))])
@pytest.mark.parametrize("track_running_stats", [True, False])
def test_modules_over_training_steps_match_torch(rng, kernel_calls, module, shape, track_running_stats):
    ours = getattr(spindle.nn, module)(6, track_running_stats=track_running_stats)
    theirs = getattr(torch.nn, module)(6, track_running_stats=track_running_stats)
    for _ in range(3):
        x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
        cotangent = rng.standard_normal(shape).astype(np.float32)
        outputs = []
        for framework, layer in ((spindle, ours), (torch, theirs)):
            leaf = framework.tensor(x, requires_grad=True)
            output = layer(leaf)
            output.backward(framework.tensor(cotangent))
            outputs.append([output, leaf.grad, layer.weight.grad, layer.bias.grad])
            layer.weight.grad = layer.bias.grad = None
        assert_all_close(*outputs)
        if track_running_stats:
            assert_close(ours.running_mean, theirs.running_mean)
            assert_close(ours.running_var, theirs.running_var)
    assert kernel_calls == {"forward": 3, "backward": 3}


@pytest.mark.parametrize("gradient", ["transposed", "broadcast"])
def test_output_gradients_that_are_not_contiguous(rng, kernel_calls, gradient):
    arrays = make_inputs(rng, (5, 4, 6))
    weights = rng.standard_normal((5, 6, 4)).astype(np.float32)
    if gradient == "transposed":  # the engine hands backward a transposed view
        def loss(framework):
            return lambda output: (output.transpose(1, 2) * framework.tensor(weights)).sum()
    else:  # the gradient of sum(0): broadcast along the batch (stride 0)
        def loss(framework):
            return lambda output: (output.sum(0) * framework.tensor(weights[0].T)).sum()
    ours = run_batch_norm(spindle, arrays, loss(spindle))
    theirs = run_batch_norm(torch, arrays, loss(torch))
    assert kernel_calls == {"forward": 1, "backward": 1}
    assert_all_close(ours, theirs)


def test_constant_channel_matches_torch(rng, kernel_calls):
    # Variance 0: the output is the bias, and the running variance must not go below 0.
    arrays = make_inputs(rng, (7, 3, 19))
    arrays[0][:, 1] = 0.1
    cotangent = rng.standard_normal(arrays[0].shape).astype(np.float32)
    ours = run_batch_norm(spindle, arrays, spindle.tensor(cotangent), momentum=1.0)
    theirs = run_batch_norm(torch, arrays, torch.tensor(cotangent), momentum=1.0)
    assert kernel_calls == {"forward": 1, "backward": 1}
    assert_all_close(ours, theirs)
    assert to_numpy(ours[2])[1] >= 0


def test_gradients_of_weight_and_bias_alone(rng, kernel_calls):
    x, weight, bias, _, _ = make_inputs(rng, (6, 3, 10))
    cotangent = rng.standard_normal(x.shape).astype(np.float32)
    grads = []
    for framework in (spindle, torch):
        parameters = [framework.tensor(weight, requires_grad=True), framework.tensor(bias, requires_grad=True)]
        output = framework.nn.functional.batch_norm(framework.tensor(x), None, None, *parameters, training=True)
        output.backward(framework.tensor(cotangent))
        grads.append([parameter.grad for parameter in parameters])
    assert kernel_calls == {"forward": 1, "backward": 1}
    assert_all_close(*grads)


@pytest.mark.parametrize("shape", [(16, 3, 24, 24), (2, 1, 1 << 21)])
def test_statistics_accurate_with_large_mean(rng, kernel_calls, shape):
    # 1000 + N(0, 1): the variance is a millionth of the mean square, which a float32 sum of squares
    # would lose; a channel of 4 million values would overflow the precision of float partial sums
    # that are never flushed. momentum 1: the running statistics are the batch's (variance unbiased).
    x = (rng.standard_normal(shape) + 1000.0).astype(np.float32)
    channels, axes = shape[1], (0,) + tuple(range(2, len(shape)))
    mean, var = spindle.zeros(channels), spindle.ones(channels)
    output = spindle.nn.functional.batch_norm(spindle.tensor(x), mean, var, training=True, momentum=1.0)
    assert kernel_calls["forward"] == 1
    exact = x.astype(np.float64)
    exact_mean = exact.mean(axis=axes, keepdims=True)
    np.testing.assert_allclose(to_numpy(mean), exact_mean.reshape(-1), rtol=1e-7)
    np.testing.assert_allclose(to_numpy(var), exact.var(axis=axes, ddof=1), rtol=1e-6)
    # x * scale + shift (as PyTorch computes it) would round x * scale, about 1000, to float32: an
    # error of 3e-5 and more. (x - mean) * scale is off by the rounding of the output, about 1e-7.
    expected = (exact - exact_mean) / np.sqrt(exact.var(axis=axes, keepdims=True) + 1e-5)
    np.testing.assert_allclose(to_numpy(output), expected, atol=2e-6)


def test_threads_give_the_same_bits(rng, monkeypatch):
    monkeypatch.setattr(cpu_batch_norm, "_ELEMENTS_PER_THREAD", 1)  # split even this small input
    x, weight, bias, _, _ = make_inputs(rng, (4, 11, 7, 7))
    cotangent = rng.standard_normal(x.shape).astype(np.float32)
    threads = spindle.get_num_threads()
    results = []
    try:
        for count in (1, 3):
            spindle.set_num_threads(count)
            output, mean, variance, inverse_std = cpu_batch_norm.forward(x, weight, bias, 1e-5)
            grads = cpu_batch_norm.backward(cotangent, x, weight, mean, inverse_std, True)
            results.append([output, mean, variance, inverse_std, *grads])
    finally:
        spindle.set_num_threads(threads)
    for single, several in zip(*results):
        np.testing.assert_array_equal(single, several)


def test_double_backward_composite_agrees_with_kernel(rng, kernel_calls):
    x, weight, bias, _, _ = make_inputs(rng, (6, 4, 9))
    cotangent = spindle.tensor(rng.standard_normal(x.shape).astype(np.float32))
    grads = []
    for create_graph in (False, True):
        leaves = [spindle.tensor(array, requires_grad=True) for array in (x, weight, bias)]
        output = spindle.nn.functional.batch_norm(leaves[0], None, None, *leaves[1:], training=True)
        grads.append(spindle.autograd.grad(output, leaves, cotangent, create_graph=create_graph))
    assert kernel_calls == {"forward": 2, "backward": 1}
    for fast, composite in zip(*grads):
        assert_close(fast, composite.detach(), tolerance=1e-5)
