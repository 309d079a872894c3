"""Fixtures shared by the serialization tests."""
import math

import numpy as np
import pytest
import torch

import spindle


def _expected_array_and_dtype(tensor):
    """The values and the spindle dtype a loaded tensor must have to match ``tensor``."""
    tensor = tensor.detach()
    if isinstance(tensor, spindle.Tensor):
        return tensor.numpy(), tensor.dtype
    if tensor.dtype == torch.bfloat16:  # spindle widens bfloat16 to float32 on loading
        return tensor.float().numpy(), spindle.float32
    return tensor.numpy(), getattr(spindle, str(tensor.dtype).removeprefix("torch."))


def _assert_same_state(actual, expected, path="state"):
    if isinstance(expected, (spindle.Tensor, torch.Tensor)):
        assert isinstance(actual, spindle.Tensor), f"{path}: got {type(actual).__name__}"
        expected_array, expected_dtype = _expected_array_and_dtype(expected)
        assert actual.dtype == expected_dtype, f"{path}: dtype {actual.dtype}, expected {expected_dtype}"
        assert tuple(actual.shape) == tuple(expected.shape), path
        assert actual.requires_grad == expected.requires_grad, path
        np.testing.assert_array_equal(actual.detach().numpy(), expected_array, err_msg=path)
        return
    assert type(actual) is type(expected), f"{path}: {type(actual).__name__} != {type(expected).__name__}"
    if isinstance(expected, dict):
        assert list(actual) == list(expected), path
        assert [type(key) for key in actual] == [type(key) for key in expected], path
        for key in expected:
            _assert_same_state(actual[key], expected[key], f"{path}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), path
        for index, (actual_item, expected_item) in enumerate(zip(actual, expected)):
            _assert_same_state(actual_item, expected_item, f"{path}[{index}]")
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(actual), path
    else:
        assert actual == expected, path


@pytest.fixture
def assert_same_state():
    """``assert_same_state(loaded, expected)``: same containers (exact types, key order, key types),
    same scalars (1 is not 1.0) and tensors equal in dtype, shape, requires_grad and every value.
    Expected tensors may be spindle or torch tensors (torch bfloat16 is expected as float32)."""
    return _assert_same_state
