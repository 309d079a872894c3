"""Linear, Bilinear, Identity, Flatten and Unflatten against PyTorch: values, gradients (inputs and
parameters), default initialization ranges, repr and shape errors."""
import math

import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import (
    assert_same_error,
    check_against_torch,
    module_pair,
    random_array,
    run_module,
)




@pytest.mark.parametrize("noncontiguous", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch_shape", [(), (5,), (2, 3)])
def test_linear_module(rng, batch_shape, bias, dtype, noncontiguous):
    pair = module_pair(lambda fw: fw.nn.Linear(4, 3, bias=bias, dtype=getattr(fw, dtype)))
    x = random_array(rng, batch_shape + (4,), dtype)
    check_against_torch(rng, run_module(pair), [x], dtype, noncontiguous=noncontiguous, modules=pair)
    assert repr(pair[0]) == repr(pair[1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_functional_linear_weight_and_bias_shapes(rng, dtype):
    x = random_array(rng, (3, 4), dtype)
    check_against_torch(rng, lambda fw, a, w: fw.nn.functional.linear(a, w), [x, random_array(rng, (4,), dtype)], dtype)
    check_against_torch(
        rng, lambda fw, a, w, b: fw.nn.functional.linear(a, w, b),
        [x, random_array(rng, (2, 4), dtype), random_array(rng, (2,), dtype)], dtype, noncontiguous=True,
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear(rng, dtype, bias):
    pair = module_pair(lambda fw: fw.nn.Bilinear(3, 4, 5, bias=bias, dtype=getattr(fw, dtype)))
    inputs = [random_array(rng, (2, 6, 3), dtype), random_array(rng, (2, 6, 4), dtype)]
    check_against_torch(rng, run_module(pair), inputs, dtype, modules=pair)
    assert repr(pair[0]) == repr(pair[1])
    check_against_torch(
        rng, lambda fw, a, b, w: fw.nn.functional.bilinear(a, b, w),
        [random_array(rng, (7, 3), dtype), random_array(rng, (7, 2), dtype), random_array(rng, (4, 3, 2), dtype)],
        dtype, noncontiguous=True,
    )


def test_default_initialization_ranges():
    layer = spindle.nn.Linear(50, 400)
    bound = 1 / math.sqrt(50)
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    # kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)): std bound/sqrt(3).
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.95 * bound
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert abs(weight.mean()) < 0.03 * bound
    assert np.abs(bias).max() <= bound and np.abs(bias).max() > 0.9 * bound
    bilinear = spindle.nn.Bilinear(16, 3, 200)
    bound = 1 / math.sqrt(16)
    values = bilinear.weight.detach().numpy()
    assert np.abs(values).max() <= bound and abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert layer.weight.dtype == spindle.float32
    assert spindle.nn.Linear(2, 2, dtype=spindle.float64).bias.dtype == spindle.float64


def test_identity_flatten_unflatten(rng):
    x = random_array(rng, (2, 3, 4, 5), "float64")
    check_against_torch(rng, lambda fw, t: fw.nn.Identity(3, unused=True)(t), [x], "float64")
    for start, end in ((1, -1), (0, 2), (2, 3), (-3, -2)):
        check_against_torch(rng, lambda fw, t: fw.nn.Flatten(start, end)(t), [x], "float64", noncontiguous=True)
    for dim, sizes in ((1, (3, 1)), (-1, (5, 1)), (2, [2, -1])):
        check_against_torch(rng, lambda fw, t: fw.nn.Unflatten(dim, sizes)(t), [x], "float64")
    for build in (lambda nn: nn.Flatten(), lambda nn: nn.Unflatten(1, (2, 3)), lambda nn: nn.Identity()):
        assert repr(build(spindle.nn)) == repr(build(torch.nn))
    assert_same_error(lambda fw: fw.nn.Unflatten(1, 3))
    assert_same_error(lambda fw: fw.nn.Unflatten(1, (2, 1.5)))


def test_shape_errors_name_the_shapes():
    assert_same_error(lambda fw: fw.nn.functional.linear(fw.ones(4, 3), fw.ones(2, 5)))
    assert_same_error(lambda fw: fw.nn.functional.bilinear(fw.ones(3, 2), fw.ones(4, 3), fw.ones(5, 2, 3)))
    assert_same_error(lambda fw: fw.nn.functional.bilinear(fw.ones(3, 4), fw.ones(3, 3), fw.ones(5, 2, 3)))
    assert_same_error(lambda fw: fw.nn.Bilinear(0, 2, 3))
