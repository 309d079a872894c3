"""Adagrad follows PyTorch's trajectory over its option grid and validates its arguments alike."""
import itertools

import pytest

from tests.optim.oracle import assert_same_error, check_trajectory

GRID = [
    dict(lr_decay=lr_decay, weight_decay=weight_decay, initial_accumulator_value=initial, maximize=maximize, eps=eps)
    for lr_decay, weight_decay, initial, maximize, eps in itertools.product(
        [0, 0.1], [0, 0.1], [0, 0.5], [False, True], [1e-10, 1e-3]
    )
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", GRID, ids=repr)
def test_trajectory_matches_torch(trajectory_case, options, dtype):
    check_trajectory(trajectory_case("Adagrad", options, dtype))


@pytest.mark.parametrize(
    "arguments",
    [dict(lr=-0.1), dict(lr_decay=-0.1), dict(weight_decay=-0.1), dict(initial_accumulator_value=-1.0),
     dict(eps=-1.0), dict(fused=True, foreach=True)],
    ids=repr,
)
def test_invalid_arguments_raise_like_torch(arguments):
    assert_same_error(
        lambda framework: framework.optim.Adagrad([framework.zeros(2, requires_grad=True)], **arguments)
    )
