"""RMSprop follows PyTorch's trajectory over its option grid and validates its arguments alike."""
import itertools

import pytest

from tests.optim.oracle import assert_same_error, check_trajectory

GRID = [
    dict(centered=centered, momentum=momentum, weight_decay=weight_decay, maximize=maximize, alpha=alpha)
    for centered, momentum, weight_decay, maximize, alpha in itertools.product(
        [False, True], [0, 0.9], [0, 0.1], [False, True], [0.99, 0.8]
    )
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", GRID, ids=repr)
def test_trajectory_matches_torch(trajectory_case, options, dtype):
    check_trajectory(trajectory_case("RMSprop", options, dtype))


@pytest.mark.parametrize(
    "arguments",
    [dict(lr=-0.1), dict(eps=-1.0), dict(momentum=-0.1), dict(weight_decay=-0.1), dict(alpha=-0.5)],
    ids=repr,
)
def test_invalid_arguments_raise_like_torch(arguments):
    assert_same_error(
        lambda framework: framework.optim.RMSprop([framework.zeros(2, requires_grad=True)], **arguments)
    )
