"""F.pad against PyTorch: constant (any dims, cropping, fill values, integer tensors) and
reflect/replicate/circular (last 1-3 dims, batched or not), values and gradients, and errors."""
import pytest
import torch

import spindle
from tests.nn.oracle import assert_close, assert_same_error, check_against_torch, random_array


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "pad, value",
    [((1, 2), None), ((0, 0, 2, 1), 3.5), ((1, 1, 1, 1, 1, 1), -1.0), ((-1, 2), 0.0), ((2, -1, -1, 0), 2.0),
     ((0, 0), None), ((1, 0, 0, 2, 3, 1, 1, 1), 1.0)],
)
def test_constant_pad(rng, pad, value, dtype):
    x = random_array(rng, (2, 3, 4, 5), dtype)
    check_against_torch(rng, lambda fw, t: fw.nn.functional.pad(t, pad, value=value), [x], dtype, noncontiguous=True)


def test_zero_padding_returns_a_new_tensor():
    x = spindle.ones(2, 3)
    padded = spindle.nn.functional.pad(x, (0, 0))
    padded[0, 0] = 5.0
    assert x[0, 0].item() == 1.0


def test_constant_pad_keeps_integer_dtype():
    ours = spindle.nn.functional.pad(spindle.tensor([[1, 2]]), (1, 1), value=7)
    assert_close(ours, torch.nn.functional.pad(torch.tensor([[1, 2]]), (1, 1), value=7))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "shape, pad",
    [((2, 3, 5), (2, 1)), ((3, 6), (0, 3)), ((2, 3, 4, 5), (1, 2, 3, 0)), ((3, 4, 5), (2, 2, 1, 3)),
     ((1, 2, 3, 4, 5), (1, 0, 2, 1, 2, 2)), ((2, 3, 4, 5), (1, 1, 1, 1, 1, 1)), ((2, 3, 5), (-1, 2)),
     ((2, 3, 5), (1, -2)), ((2, 4, 5), (-2, 0, 1, -1))],
)
def test_non_constant_pad(rng, mode, shape, pad, dtype):
    x = random_array(rng, shape, dtype)
    check_against_torch(rng, lambda fw, t: fw.nn.functional.pad(t, pad, mode=mode), [x], dtype, noncontiguous=True)


def test_pad_errors_match_torch():
    assert_same_error(lambda fw: fw.nn.functional.pad(fw.ones(1, 1, 3), (3, 3), mode="reflect"))
    assert_same_error(lambda fw: fw.nn.functional.pad(fw.ones(1, 1, 3), (4, 4), mode="circular"))
    assert_same_error(lambda fw: fw.nn.functional.pad(fw.ones(3), (1, 1), mode="reflect"))
    assert_same_error(lambda fw: fw.nn.functional.pad(fw.ones(2, 3), (1, 1, 1, 1), mode="replicate"))
    assert_same_error(lambda fw: fw.nn.functional.pad(fw.ones(1, 1, 3), (1, 1, 1, 1, 1, 1, 1, 1)))
    assert_same_error(lambda fw: fw.nn.functional.pad(fw.ones(1, 1, 3), (1,)))
    assert_same_error(lambda fw: fw.nn.functional.pad(fw.ones(1, 1, 3), (1, 1), mode="wrap"))
    assert_same_error(lambda fw: fw.nn.functional.pad(fw.ones(1, 1, 3), (1, 1), mode="reflect", value=2))
    assert_same_error(lambda fw: fw.nn.functional.pad(fw.ones(1, 1, 3), (-2, -2)))
