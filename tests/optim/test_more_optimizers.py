"""Adamax, NAdam, RAdam, Adadelta, Rprop and ASGD follow PyTorch's trajectories over their option
grids, keep PyTorch's checkpoint layout, and validate their arguments alike."""
import itertools

import pytest
import torch

import spindle
from tests.optim import test_state_dict as checkpoint_checks
from tests.optim.oracle import assert_same_error, assert_same_structure, check_trajectory


def grid(name, **choices):
    """(name, options) for every combination of the option values in `choices`."""
    keys = list(choices)
    return [(name, dict(zip(keys, values))) for values in itertools.product(*choices.values())]


BETAS = [(0.9, 0.999), (0.5, 0.8)]
GRID = (
    grid("Adamax", weight_decay=[0, 0.1], maximize=[False, True], betas=BETAS, eps=[1e-8, 1e-2])
    + grid("NAdam", weight_decay=[0, 0.1], maximize=[False, True], momentum_decay=[4e-3, 0.2], betas=BETAS)
    + grid("NAdam", weight_decay=[0.1], decoupled_weight_decay=[True], maximize=[False, True], betas=BETAS)
    # With beta2 = 0.999 the rectified step starts at step 6; with 0.8, at step 3.
    + grid("RAdam", weight_decay=[0, 0.1], maximize=[False, True], betas=BETAS)
    + grid("RAdam", weight_decay=[0.1], decoupled_weight_decay=[True], maximize=[False, True], betas=BETAS)
    + grid("Adadelta", weight_decay=[0, 0.1], maximize=[False, True], rho=[0.9, 0.5], eps=[1e-6, 1e-2])
    # step_sizes (1e-2, 0.06) clamps both groups' step sizes (lr 0.05 and 0.01) from the first step.
    + grid("Rprop", maximize=[False, True], etas=[(0.5, 1.2), (0.3, 1.5)], step_sizes=[(1e-6, 50), (1e-2, 0.06)])
    # t0 = 5 starts the averaging within the run; lambd = 0.1 makes the step-size decay visible.
    + grid("ASGD", weight_decay=[0, 0.1], maximize=[False, True], t0=[1e6, 5.0], lambd=[1e-4, 0.1])
    + grid("ASGD", lambd=[0.1], alpha=[0.5, 1.0], t0=[5.0])
)
NAMES = ["Adamax", "NAdam", "RAdam", "Adadelta", "Rprop", "ASGD"]
# One configuration per optimizer with its non-default options on, for the checkpoint checks.
CHECKPOINT_CONFIGS = [
    ("Adamax", dict(weight_decay=0.1, maximize=True)),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True, momentum_decay=0.2)),
    ("RAdam", dict(weight_decay=0.1, betas=(0.5, 0.8))),
    ("Adadelta", dict(weight_decay=0.1, rho=0.5)),
    ("Rprop", dict(etas=(0.3, 1.5), step_sizes=(1e-2, 0.06))),
    ("ASGD", dict(t0=5.0, lambd=0.1, weight_decay=0.1)),
]
parametrize_checkpoint_configs = pytest.mark.parametrize("name, options", CHECKPOINT_CONFIGS, ids=repr)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, options", GRID, ids=repr)
def test_trajectory_matches_torch(trajectory_case, name, options, dtype):
    check_trajectory(trajectory_case(name, options, dtype))


@pytest.mark.parametrize("name, options", GRID, ids=repr)
def test_final_state_matches_torch(trajectory_case, name, options):
    """Every state buffer, including those that enter no parameter (ASGD's average `ax`)."""
    case = trajectory_case(name, options)
    torch_optimizer, _, _ = case.trajectory(torch)
    optimizer, _, _ = case.trajectory(spindle)
    assert_same_structure(optimizer.state_dict(), torch_optimizer.state_dict())


@pytest.fixture
def float64_default():
    """Both frameworks create float64 by default during the test.

    The optimizers' scalar state (the step, NAdam's mu_product, ASGD's eta and mu) takes the
    default dtype. The capturable form computes with these tensors where PyTorch's default form
    computes with Python floats; in float64 the two agree to rounding.
    """
    previous = spindle.get_default_dtype(), torch.get_default_dtype()
    spindle.set_default_dtype(spindle.float64)
    torch.set_default_dtype(torch.float64)
    yield
    spindle.set_default_dtype(previous[0])
    torch.set_default_dtype(previous[1])


@pytest.mark.parametrize("name", NAMES)
def test_capturable_matches_torch(trajectory_case, float64_default, name):
    """The capturable form (scalars kept as tensors on the parameter's device, no read-back) gives
    the same steps as PyTorch's default form (PyTorch's capturable form does not run on the CPU)."""
    case = trajectory_case(name, dict(CHECKPOINT_CONFIGS)[name])
    torch_optimizer, _, expected = case.trajectory(torch)
    case.options["capturable"] = True
    optimizer, _, actual = case.trajectory(spindle)
    case.assert_close(actual, expected)
    # The state too (ASGD's average `ax` enters no parameter).
    assert_same_structure(optimizer.state_dict()["state"], torch_optimizer.state_dict()["state"])


@pytest.mark.cuda
@pytest.mark.parametrize("capturable", [False, True])
@pytest.mark.parametrize("name, options", CHECKPOINT_CONFIGS, ids=repr)
def test_cuda_matches_torch(trajectory_case, float64_default, name, options, capturable):
    """On CUDA parameters (buffers on the device; scalars on the CPU unless capturable, ASGD's
    always on the device) the steps are PyTorch's."""
    case = trajectory_case(name, options)
    _, _, expected = case.trajectory(torch)
    case.options["capturable"] = capturable
    params = [spindle.tensor(value, device="cuda", requires_grad=True) for value in case.initial]
    optimizer = case.make_optimizer(spindle, params)
    actual = []
    for grads in case.grads:
        for param, grad in zip(params, grads):
            param.grad = None if grad is None else spindle.tensor(grad, device="cuda")
        optimizer.step()
        actual.append([param.detach().cpu().numpy() for param in params])
    case.assert_close(actual, expected)


# The checkpoint checks of test_state_dict.py, run on these optimizers' configurations.
@parametrize_checkpoint_configs
@pytest.mark.parametrize("steps", [0, checkpoint_checks.HALF])
def test_state_dict_layout_matches_torch(trajectory_case, name, options, steps):
    checkpoint_checks.test_layout_matches_torch(trajectory_case, name, options, steps)


@parametrize_checkpoint_configs
@pytest.mark.parametrize(
    "check",
    [
        checkpoint_checks.test_round_trip_continues_the_trajectory,
        checkpoint_checks.test_loads_a_torch_state_dict,
        checkpoint_checks.test_torch_loads_its_state_dict,
    ],
    ids=lambda check: check.__name__,
)
def test_checkpoint_continues_the_trajectory(trajectory_case, name, options, check):
    check(trajectory_case, name, options)


@pytest.mark.parametrize(
    "name, arguments",
    [
        (name, arguments)
        for name in ["Adamax", "NAdam", "RAdam"]
        for arguments in [dict(lr=-1e-3), dict(eps=-1e-8), dict(betas=(1.0, 0.999)), dict(betas=(-0.1, 0.999)),
                          dict(betas=(0.9, 1.0)), dict(weight_decay=-0.1)]
    ]
    + [
        ("NAdam", dict(momentum_decay=-1e-3)),
        ("Adadelta", dict(lr=-1.0)),
        ("Adadelta", dict(rho=1.5)),
        ("Adadelta", dict(rho=-0.1)),
        ("Adadelta", dict(eps=-1e-6)),
        ("Adadelta", dict(weight_decay=-0.1)),
        ("Rprop", dict(lr=-1e-2)),
        ("Rprop", dict(etas=(0.0, 1.2))),
        ("Rprop", dict(etas=(1.0, 1.2))),
        ("Rprop", dict(etas=(0.5, 1.0))),
        ("Rprop", dict(etas=(1.2, 0.5))),
        ("ASGD", dict(lr=-1e-2)),
        ("ASGD", dict(weight_decay=-0.1)),
    ],
    ids=repr,
)
def test_invalid_arguments_raise_like_torch(name, arguments):
    assert_same_error(
        lambda framework: getattr(framework.optim, name)([framework.zeros(2, requires_grad=True)], **arguments)
    )


def test_exported_in_all():
    assert set(NAMES) <= set(spindle.optim.__all__)
