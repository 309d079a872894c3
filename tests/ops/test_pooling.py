"""Pooling against PyTorch: ``F.max_pool1d/2d`` (indices, ceil_mode, padding, dilation),
``F.avg_pool1d/2d`` (count_include_pad, ceil_mode, divisor_override), ``F.adaptive_avg_pool1d/2d``
and ``F.adaptive_max_pool1d/2d`` over grids of window settings: values, indices and gradients in
float32 and float64, ties and NaN, finite differences, second-order gradients and errors."""
import itertools

import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import check_against_torch, random_array
from tests.ops.oracle import assert_same_error, check_gradcheck, check_second_order

TOLERANCE = {"float32": 1e-5, "float64": 1e-12}


def raises_in_torch(function, array):
    try:
        function(torch, torch.tensor(array))
    except Exception:  # noqa: BLE001 - any error: spindle must raise the same type
        return True
    return False


def check_pooling(rng, function, array, dtype="float32", noncontiguous=False):
    """Values (and indices, for max pooling) and input gradients equal PyTorch's; where PyTorch refuses the
    arguments, spindle raises the same exception type."""
    if raises_in_torch(function, array):
        assert_same_error(function, array)
        return
    check_against_torch(
        rng, lambda fw, x: function(fw, x)[0] if isinstance(function(fw, x), tuple) else function(fw, x), [array],
        dtype, noncontiguous=noncontiguous, tolerance=TOLERANCE[dtype],
    )
    expected = function(torch, torch.tensor(array))
    if isinstance(expected, tuple):
        actual = function(spindle, spindle.tensor(array))
        assert actual[1].dtype == spindle.int64
        np.testing.assert_array_equal(actual[1].numpy(), expected[1].numpy())


MAX_POOL2D_GRID = list(itertools.product([2, 3, (3, 2)], [None, 1, 2], [0, 1], [1, 2], [False, True]))


@pytest.mark.parametrize("kernel_size, stride, padding, dilation, ceil_mode", MAX_POOL2D_GRID)
def test_max_pool2d_grid(rng, kernel_size, stride, padding, dilation, ceil_mode):
    def function(fw, x):
        return fw.nn.functional.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)

    check_pooling(rng, function, random_array(rng, (2, 3, 9, 8)))


@pytest.mark.parametrize("noncontiguous", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_pool2d_dtypes_layouts_and_unbatched(rng, dtype, noncontiguous):
    function = lambda fw, x: fw.nn.functional.max_pool2d(x, 3, 2, 1)  # noqa: E731
    check_pooling(rng, function, random_array(rng, (2, 4, 7, 10), dtype), dtype, noncontiguous)
    check_pooling(rng, function, random_array(rng, (4, 7, 10), dtype), dtype, noncontiguous)


def test_max_pool2d_ties_pick_the_first_pixel_of_the_window(rng):
    # Small integers repeat within windows; PyTorch reports the first maximum in row-major order.
    values = rng.integers(0, 3, (2, 3, 8, 9)).astype("float32")
    function = lambda fw, x: fw.nn.functional.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)  # noqa: E731
    check_pooling(rng, function, values)


def test_max_pool2d_propagates_nan_and_infinity():
    values = np.arange(2 * 6 * 6, dtype="float32").reshape(1, 2, 6, 6)
    values[0, 0, 1, 1] = np.nan
    values[0, 1, :2, :2] = -np.inf
    for framework in (spindle, torch):
        pooled, indices = framework.nn.functional.max_pool2d(framework.tensor(values), 2, return_indices=True)
        if framework is torch:
            np.testing.assert_array_equal(ours[0].numpy(), pooled.numpy())
            np.testing.assert_array_equal(ours[1].numpy(), indices.numpy())
        ours = (pooled, indices)
    integers = spindle.arange(16).reshape(1, 1, 4, 4)
    assert spindle.nn.functional.max_pool2d(integers, 2).tolist() == [[[[5, 7], [13, 15]]]]


AVG_POOL2D_GRID = list(itertools.product([2, 3, (3, 2)], [None, 2], [0, 1], [False, True], [True, False]))


@pytest.mark.parametrize("kernel_size, stride, padding, ceil_mode, count_include_pad", AVG_POOL2D_GRID)
def test_avg_pool2d_grid(rng, kernel_size, stride, padding, ceil_mode, count_include_pad):
    def function(fw, x):
        return fw.nn.functional.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad)

    check_pooling(rng, function, random_array(rng, (2, 3, 9, 8)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_avg_pool2d_divisor_override_dtypes_and_unbatched(rng, dtype):
    function = lambda fw, x: fw.nn.functional.avg_pool2d(x, 3, 2, 1, divisor_override=5)  # noqa: E731
    check_pooling(rng, function, random_array(rng, (2, 3, 7, 6), dtype), dtype, noncontiguous=True)
    check_pooling(rng, lambda fw, x: fw.nn.functional.avg_pool2d(x, 2), random_array(rng, (3, 4, 6), dtype), dtype)


POOL1D_GRID = list(itertools.product([2, 3], [None, 1], [0, 1], [False, True]))


@pytest.mark.parametrize("kernel_size, stride, padding, ceil_mode", POOL1D_GRID)
def test_pool1d_grid(rng, kernel_size, stride, padding, ceil_mode):
    array = random_array(rng, (2, 3, 10))
    check_pooling(
        rng, lambda fw, x: fw.nn.functional.max_pool1d(x, kernel_size, stride, padding, 2, ceil_mode, True), array
    )
    check_pooling(rng, lambda fw, x: fw.nn.functional.avg_pool1d(x, kernel_size, stride, padding, ceil_mode), array)
    check_pooling(rng, lambda fw, x: fw.nn.functional.max_pool1d(x, kernel_size), array[0])


ADAPTIVE_SIZES = [1, 2, (3, 2), (4, 5), (7, 7), (9, 8), (12, 3), (None, 3)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("output_size", ADAPTIVE_SIZES)
def test_adaptive_pool2d(rng, output_size, dtype):
    array = random_array(rng, (2, 3, 9, 8), dtype)
    check_pooling(rng, lambda fw, x: fw.nn.functional.adaptive_avg_pool2d(x, output_size), array, dtype)
    check_pooling(
        rng, lambda fw, x: fw.nn.functional.adaptive_max_pool2d(x, output_size, return_indices=True), array, dtype
    )


@pytest.mark.parametrize("output_size", [1, 3, 4, 7, 13])
def test_adaptive_pool1d_and_unbatched(rng, output_size):
    array = random_array(rng, (2, 3, 10))
    check_pooling(rng, lambda fw, x: fw.nn.functional.adaptive_avg_pool1d(x, output_size), array)
    check_pooling(rng, lambda fw, x: fw.nn.functional.adaptive_max_pool1d(x, output_size, True), array)
    check_pooling(rng, lambda fw, x: fw.nn.functional.adaptive_avg_pool2d(x, output_size), array)
    check_pooling(rng, lambda fw, x: fw.nn.functional.adaptive_max_pool2d(x, output_size), array)


GRADCHECK_CASES = {
    "max_pool2d": (lambda fw, x: fw.nn.functional.max_pool2d(x, 3, 2, 1, dilation=(1, 2), ceil_mode=True), (2, 2, 6, 7)),
    "max_pool1d": (lambda fw, x: fw.nn.functional.max_pool1d(x, 2, 1), (2, 2, 5)),
    "avg_pool2d": (lambda fw, x: fw.nn.functional.avg_pool2d(x, 3, 2, 1, True, False), (2, 2, 6, 7)),
    "avg_pool1d": (lambda fw, x: fw.nn.functional.avg_pool1d(x, 3, 2, 1), (2, 2, 7)),
    "adaptive_avg_pool2d": (lambda fw, x: fw.nn.functional.adaptive_avg_pool2d(x, (3, 4)), (2, 2, 5, 7)),
    "adaptive_max_pool2d": (lambda fw, x: fw.nn.functional.adaptive_max_pool2d(x, (3, 4)), (2, 2, 5, 7)),
}


@pytest.mark.parametrize("name", GRADCHECK_CASES)
def test_gradcheck(rng, name):
    function, shape = GRADCHECK_CASES[name]
    check_gradcheck(function, random_array(rng, shape, "float64"))


@pytest.mark.parametrize("name", GRADCHECK_CASES)
def test_second_order_gradients(rng, name):
    function, shape = GRADCHECK_CASES[name]
    # The square makes the second derivative depend on the routing of the first one.
    check_second_order(rng, lambda fw, x: function(fw, x).pow(2), random_array(rng, shape, "float64"))


POOL_ERRORS = {
    "padding over half the kernel": (lambda fw, x: fw.nn.functional.max_pool2d(x, 3, padding=2), ("pad",)),
    "kernel larger than input": (lambda fw, x: fw.nn.functional.max_pool2d(x, 9), ("too small",)),
    "average padding over half the kernel": (lambda fw, x: fw.nn.functional.avg_pool2d(x, 3, padding=2), ("pad",)),
    "2-D input": (lambda fw, x: fw.nn.functional.max_pool2d(x[0, 0], 2), ()),
    "zero stride": (lambda fw, x: fw.nn.functional.max_pool2d(x, 2, stride=0), ("stride",)),
    "zero dilation": (lambda fw, x: fw.nn.functional.max_pool2d(x, 2, dilation=0), ("dilation",)),
    "negative padding": (lambda fw, x: fw.nn.functional.avg_pool2d(x, 2, padding=-1), ("pad",)),
    "zero divisor": (lambda fw, x: fw.nn.functional.avg_pool2d(x, 2, divisor_override=0), ("divisor",)),
    "kernel of three dims": (lambda fw, x: fw.nn.functional.max_pool2d(x, (2, 2, 2)), ("kernel_size",)),
    "adaptive 2-D input": (lambda fw, x: fw.nn.functional.adaptive_avg_pool2d(x[0, 0], 2), ("[8, 8]",)),
    "adaptive output of three dims": (lambda fw, x: fw.nn.functional.adaptive_max_pool2d(x, (2, 2, 2)), ()),
    "adaptive negative output": (lambda fw, x: fw.nn.functional.adaptive_avg_pool2d(x, -1), ()),
    "1-D pooling of 1-D input": (lambda fw, x: fw.nn.functional.max_pool1d(x[0, 0, 0], 2), ()),
}


@pytest.mark.parametrize("name", POOL_ERRORS)
def test_errors(rng, name):
    function, mentions = POOL_ERRORS[name]
    assert_same_error(function, random_array(rng, (2, 4, 8, 8)), mentions=mentions)
