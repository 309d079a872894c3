"""SGD follows PyTorch's trajectory over its whole option grid and validates its arguments alike."""
import itertools

import pytest

from tests.optim.oracle import assert_same_error, check_trajectory

GRID = [
    dict(momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=weight_decay, maximize=maximize)
    for momentum, dampening, nesterov, weight_decay, maximize in itertools.product(
        [0, 0.9], [0, 0.3], [False, True], [0, 0.1], [False, True]
    )
    if not nesterov or (momentum > 0 and dampening == 0)
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", GRID, ids=repr)
def test_trajectory_matches_torch(trajectory_case, options, dtype):
    check_trajectory(trajectory_case("SGD", options, dtype))


@pytest.mark.parametrize(
    "arguments",
    [
        dict(lr=-0.1),
        dict(momentum=-0.5),
        dict(weight_decay=-1e-4),
        dict(nesterov=True),  # nesterov without momentum
        dict(nesterov=True, momentum=0.9, dampening=0.1),
        dict(fused=True, foreach=True),
    ],
    ids=repr,
)
def test_invalid_arguments_raise_like_torch(arguments):
    assert_same_error(lambda framework: framework.optim.SGD([framework.zeros(2, requires_grad=True)], **arguments))
