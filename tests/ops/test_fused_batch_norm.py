"""The fused BatchNorm op (``spindle.ops.fused.BatchNorm``, behind ``F.batch_norm``) against PyTorch:
values, hand-written gradients of input, weight and bias in training and evaluation, the running
statistics it updates in place, layouts, and gradcheck/gradgradcheck through its composite."""
import pytest
import torch

import spindle
from tests.nn.oracle import assert_close, check_against_torch, random_array

SHAPES = [(6, 4), (3, 4, 5), (2, 4, 3, 3)]


def batch_norm(training, affine, running=True):
    def compute(fw, x, weight, bias, mean, var):
        return fw.nn.functional.batch_norm(
            x, mean if running else None, var if running else None,
            weight if affine else None, bias if affine else None, training=training, momentum=0.3,
        )
    return compute


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_values_and_gradients_match_torch(rng, dtype, shape, training, affine):
    channels = shape[1]
    arrays = [
        random_array(rng, shape, dtype, scale=3.0) + 2.0, random_array(rng, (channels,), dtype),
        random_array(rng, (channels,), dtype), random_array(rng, (channels,), dtype),
        abs(random_array(rng, (channels,), dtype)) + 0.5,
    ]
    # Running statistics never require grad: the op updates them in place.
    check_against_torch(rng, batch_norm(training, affine), arrays, dtype, constant_inputs=(3, 4))


@pytest.mark.parametrize("training", [True, False])
def test_noncontiguous_input(rng, training):
    # (3, 4, 5) as a transposed view of a (3, 5, 4) array.
    arrays = [random_array(rng, (3, 5, 4)).swapaxes(1, 2), random_array(rng, (4,)),
              random_array(rng, (4,)), random_array(rng, (4,)), abs(random_array(rng, (4,))) + 0.5]
    check_against_torch(rng, batch_norm(training, True), arrays, constant_inputs=(3, 4))


def test_running_statistics_updated_in_place(rng):
    x = random_array(rng, (5, 3, 4), "float32", scale=2.0)
    ours = [spindle.zeros(3), spindle.ones(3)]
    theirs = [torch.zeros(3), torch.ones(3)]
    for _ in range(3):
        spindle.nn.functional.batch_norm(spindle.tensor(x), *ours, training=True, momentum=0.2)
        torch.nn.functional.batch_norm(torch.tensor(x), *theirs, training=True, momentum=0.2)
    for mine, reference in zip(ours, theirs):
        assert_close(mine, reference)


@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_and_gradgradcheck(training):
    x = spindle.randn(4, 3, 2, dtype=spindle.float64, requires_grad=True)
    weight = spindle.randn(3, dtype=spindle.float64, requires_grad=True)
    bias = spindle.randn(3, dtype=spindle.float64, requires_grad=True)
    mean = spindle.randn(3, dtype=spindle.float64)
    var = spindle.rand(3, dtype=spindle.float64) + 0.5

    def function(t, w, b):
        # Fresh copies: training must not move the statistics between finite-difference evaluations.
        return spindle.nn.functional.batch_norm(t, mean.clone(), var.clone(), w, b, training=training)

    assert spindle.autograd.gradcheck(function, (x, weight, bias))
    assert spindle.autograd.gradgradcheck(function, (x, weight, bias))
