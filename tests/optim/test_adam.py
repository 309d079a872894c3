"""Adam and AdamW follow PyTorch's trajectories over their option grids and validate arguments alike."""
import itertools

import pytest
import torch

import spindle
from tests.optim.oracle import assert_same_error, check_trajectory

GRID = [
    (name, dict(amsgrad=amsgrad, weight_decay=weight_decay, maximize=maximize, betas=betas, **extra))
    for (name, extra), amsgrad, weight_decay, maximize, betas in itertools.product(
        [("Adam", {}), ("Adam", dict(decoupled_weight_decay=True)), ("AdamW", {})],
        [False, True],
        [0, 0.1],
        [False, True],
        [(0.9, 0.999), (0.5, 0.8)],
    )
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, options", GRID, ids=repr)
def test_trajectory_matches_torch(trajectory_case, name, options, dtype):
    check_trajectory(trajectory_case(name, options, dtype))


def test_adamw_default_weight_decay_is_decoupled(trajectory_case):
    # AdamW's default weight_decay is 1e-2 (Adam's is 0); both must take effect like PyTorch's.
    check_trajectory(trajectory_case("AdamW", {}))
    optimizer = spindle.optim.AdamW([spindle.zeros(2, requires_grad=True)])
    assert optimizer.defaults["weight_decay"] == 1e-2 and optimizer.defaults["decoupled_weight_decay"]


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_capturable_matches_torch(trajectory_case, name, amsgrad):
    """The capturable form (bias corrections as tensor operations, no read-back) gives the same steps.

    Its step counter has the default dtype, so the comparison runs with float64 as the default.
    """
    previous = spindle.get_default_dtype()
    spindle.set_default_dtype(spindle.float64)
    try:
        case = trajectory_case(name, dict(amsgrad=amsgrad, weight_decay=0.1))
        _, _, expected = case.trajectory(torch)
        case.options["capturable"] = True
        optimizer, _, actual = case.trajectory(spindle)
    finally:
        spindle.set_default_dtype(previous)
    case.assert_close(actual, expected)
    step = optimizer.state[optimizer.param_groups[0]["params"][0]]["step"]
    assert step.dtype == spindle.float64 and step.item() == 20


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize(
    "arguments",
    [
        dict(lr=-1e-3),
        dict(eps=-1e-8),
        dict(betas=(1.0, 0.999)),
        dict(betas=(-0.1, 0.999)),
        dict(betas=(0.9, 1.0)),
        dict(betas=(0, 0.999)),  # betas must be floats
        dict(weight_decay=-0.1),
        dict(fused=True, foreach=True),
    ],
    ids=repr,
)
def test_invalid_arguments_raise_like_torch(name, arguments):
    assert_same_error(
        lambda framework: getattr(framework.optim, name)([framework.zeros(2, requires_grad=True)], **arguments)
    )
