"""LBFGS, SparseAdam, Adafactor and the SWA utilities follow PyTorch's trajectories and state on small problems."""
import numpy as np
import pytest
import torch

import spindle
import spindle.optim
from tests.optim.oracle import assert_same_error, assert_same_structure, convert_state

LBFGS_TOLERANCE = dict(rtol=1e-8, atol=1e-12)


def rosenbrock_problem(rng, curvature=10):
    """A start for the 2-D Rosenbrock function (one non-contiguous 2x1 parameter) and its closure.

    The default valley is milder than the classic ``curvature = 100``: without a line search the
    fixed steps overshoot chaotically there, amplifying rounding differences beyond any tolerance."""
    start = rng.uniform(-1.5, 1.5, size=(1, 2))

    def make(framework):
        point = framework.tensor(start.copy()).t().requires_grad_(True)

        def loss_of():
            return (1 - point[0, 0]) ** 2 + curvature * (point[1, 0] - point[0, 0] ** 2) ** 2

        return [point], loss_of

    return make


def least_squares_problem(rng):
    """Linear least squares with a weight matrix and a bias."""
    inputs, targets = rng.standard_normal((12, 4)), rng.standard_normal((12, 2))
    weight, bias = rng.standard_normal((2, 4)), rng.standard_normal(2)

    def make(framework):
        params = [framework.tensor(weight.copy(), requires_grad=True), framework.tensor(bias.copy(), requires_grad=True)]
        x, y = framework.tensor(inputs), framework.tensor(targets)
        return params, lambda: ((x @ params[0].t() + params[1] - y) ** 2).mean()

    return make


def logistic_regression_problem(rng):
    """L2-regularised logistic regression on random binary labels."""
    inputs = rng.standard_normal((20, 3))
    labels = (rng.uniform(size=20) < 0.5).astype(np.float64)
    weight = rng.standard_normal(3)

    def make(framework):
        params = [framework.tensor(weight.copy(), requires_grad=True)]
        x, y = framework.tensor(inputs), framework.tensor(labels)

        def loss_of():
            logits = x @ params[0]
            return framework.nn.functional.binary_cross_entropy_with_logits(logits, y) + 0.01 * (params[0] ** 2).sum()

        return params, loss_of

    return make


PROBLEMS = [rosenbrock_problem, least_squares_problem, logistic_regression_problem]


def run_lbfgs(framework, make_problem, options, steps, state_dict=None):
    """Losses and parameters after each of `steps` LBFGS steps (continuing from `state_dict`)."""
    params, loss_of = make_problem(framework)
    optimizer = framework.optim.LBFGS(params, **options)
    if state_dict is not None:
        optimizer.load_state_dict(state_dict)

    def closure():
        optimizer.zero_grad()
        loss = loss_of()
        loss.backward()
        return loss

    trajectory = []
    for _ in range(steps):
        loss = optimizer.step(closure)
        trajectory.append((loss.item(), [param.detach().numpy().copy() for param in params]))
    return optimizer, params, trajectory


def assert_same_trajectory(actual, expected):
    for step, ((got_loss, got_params), (want_loss, want_params)) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(got_loss, want_loss, **LBFGS_TOLERANCE, err_msg=f"loss at step {step}")
        for got, want in zip(got_params, want_params):
            np.testing.assert_allclose(got, want, **LBFGS_TOLERANCE, err_msg=f"parameters at step {step}")


LBFGS_OPTIONS = [
    dict(),
    dict(line_search_fn="strong_wolfe"),
    dict(lr=0.5, max_iter=7, history_size=3),
    dict(lr=0.8, max_iter=6, max_eval=9, history_size=2, line_search_fn="strong_wolfe"),
]


@pytest.mark.parametrize("options", LBFGS_OPTIONS, ids=repr)
@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda problem: problem.__name__)
def test_lbfgs_trajectory_matches_torch(rng, problem, options):
    make_problem = problem(rng)
    torch_optimizer, _, expected = run_lbfgs(torch, make_problem, options, steps=2)
    spindle_optimizer, spindle_params, actual = run_lbfgs(spindle, make_problem, options, steps=2)
    assert_same_trajectory(actual, expected)
    expected_state = torch_optimizer.state_dict()["state"][0]
    actual_state = spindle_optimizer.state_dict()["state"][0]
    assert set(actual_state) == set(expected_state)
    assert actual_state["func_evals"] == expected_state["func_evals"]
    assert actual_state["n_iter"] == expected_state["n_iter"]
    assert len(actual_state["old_dirs"]) == len(expected_state["old_dirs"])


@pytest.mark.parametrize("options", [dict(lr=2.0, history_size=3), dict(max_iter=5)], ids=repr)
def test_lbfgs_strong_wolfe_on_classic_rosenbrock_matches_torch(rng, options):
    """The classic, steep Rosenbrock valley makes the line search bracket and zoom many times."""
    make_problem = rosenbrock_problem(rng, curvature=100)
    options = dict(options, line_search_fn="strong_wolfe")
    _, _, expected = run_lbfgs(torch, make_problem, options, steps=3)
    _, _, actual = run_lbfgs(spindle, make_problem, options, steps=3)
    assert_same_trajectory(actual, expected)


@pytest.mark.parametrize("options", LBFGS_OPTIONS[:2], ids=repr)
def test_lbfgs_state_dict_round_trip(rng, options):
    """Continuing from PyTorch's state after two steps, then from spindle's own state_dict in a
    fresh optimizer, gives PyTorch's continuation."""
    make_problem = least_squares_problem(rng)
    options = dict(options, max_iter=3)
    torch_optimizer, torch_params, _ = run_lbfgs(torch, make_problem, options, steps=2)
    saved = torch_optimizer.state_dict()

    def continue_from(framework, state_dict, params_to_copy, steps):
        values = [param.detach().numpy().copy() for param in params_to_copy]

        def make_moved(framework):
            params, loss_of = make_problem(framework)
            with framework.no_grad():
                for param, value in zip(params, values):
                    param.copy_(framework.tensor(value))
            return params, loss_of

        return run_lbfgs(framework, make_moved, options, steps=steps, state_dict=state_dict)

    # Converted first: PyTorch's continuation updates the loaded state tensors in place.
    converted = convert_state(saved, spindle)
    _, _, expected = continue_from(torch, saved, torch_params, steps=2)
    spindle_optimizer, spindle_params, actual = continue_from(spindle, converted, torch_params, steps=1)
    assert_same_trajectory(actual, expected[:1])
    _, _, resumed = continue_from(spindle, spindle_optimizer.state_dict(), spindle_params, steps=1)
    assert_same_trajectory(resumed, expected[1:])


def test_lbfgs_stops_at_optimum_without_moving():
    """With a zero gradient the step evaluates once and returns at once, as PyTorch does."""
    point = spindle.zeros(3, dtype=spindle.float64, requires_grad=True)
    optimizer = spindle.optim.LBFGS([point])

    def closure():
        optimizer.zero_grad()
        loss = (point**2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    assert optimizer.state[point] == {"func_evals": 1, "n_iter": 0}


@pytest.mark.parametrize(
    "build",
    [
        lambda framework: framework.optim.LBFGS([framework.zeros(2, requires_grad=True)], lr=-1.0),
        lambda framework: framework.optim.LBFGS(
            [{"params": [framework.zeros(2, requires_grad=True)]}, {"params": [framework.zeros(2, requires_grad=True)]}]
        ),
    ],
)
def test_lbfgs_invalid_arguments_raise_like_torch(build):
    assert_same_error(build)


def test_lbfgs_unknown_line_search_raises_like_torch():
    def build(framework):
        point = framework.ones(2, requires_grad=True)
        optimizer = framework.optim.LBFGS([point], line_search_fn="backtracking")

        def closure():
            optimizer.zero_grad()
            loss = (point**2).sum()
            loss.backward()
            return loss

        optimizer.step(closure)

    assert_same_error(build)


def small_models(rng, dtype):
    """The same Linear-BatchNorm-ReLU-Linear model in PyTorch and spindle, from random weights."""
    torch_model = torch.nn.Sequential(
        torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(), torch.nn.Linear(5, 2)
    ).to(getattr(torch, dtype))
    spindle_model = spindle.nn.Sequential(
        spindle.nn.Linear(4, 5), spindle.nn.BatchNorm1d(5), spindle.nn.ReLU(), spindle.nn.Linear(5, 2)
    ).to(getattr(spindle, dtype))
    randomize(rng, torch_model, spindle_model)
    return torch_model, spindle_model


def randomize(rng, torch_model, spindle_model):
    """Give both models the same fresh random parameters, and run one training batch through both
    so the batch-norm buffers move as well."""
    with torch.no_grad(), spindle.no_grad():
        for torch_param, spindle_param in zip(torch_model.parameters(), spindle_model.parameters()):
            value = rng.standard_normal(tuple(torch_param.shape))
            torch_param.copy_(torch.tensor(value))
            spindle_param.copy_(spindle.tensor(value))
    batch = rng.standard_normal((6, 4))
    dtype = torch_model[0].weight.dtype
    torch_model.train()(torch.tensor(batch, dtype=dtype))
    spindle_model.train()(spindle.tensor(batch).to(getattr(spindle, str(dtype).split(".")[-1])))


def assert_same_state(spindle_module, torch_module, rtol):
    expected = torch_module.state_dict()
    actual = spindle_module.state_dict()
    assert list(actual) == list(expected)
    for key, want in expected.items():
        got = actual[key].numpy()
        assert str(got.dtype) == str(want.dtype).split(".")[-1], key
        np.testing.assert_allclose(got, want.numpy(), rtol=rtol, atol=rtol * 0.1, err_msg=key)


AVERAGING = {
    "swa": lambda utils: {},
    "ema avg_fn": lambda utils: dict(avg_fn=utils.get_ema_avg_fn(0.8)),
    "ema multi_avg_fn": lambda utils: dict(multi_avg_fn=utils.get_ema_multi_avg_fn(0.7)),
    "swa avg_fn": lambda utils: dict(avg_fn=utils.get_swa_avg_fn()),
    "swa multi_avg_fn": lambda utils: dict(multi_avg_fn=utils.get_swa_multi_avg_fn()),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("averaging", list(AVERAGING))
def test_averaged_model_matches_torch(rng, averaging, use_buffers, dtype):
    torch_model, spindle_model = small_models(rng, dtype)
    if averaging == "swa multi_avg_fn" and use_buffers:
        # The integer batch counter reaches addcdiv_, which both frameworks reject for integers.
        torch_average = torch.optim.swa_utils.AveragedModel(torch_model, use_buffers=True, **AVERAGING[averaging](torch.optim.swa_utils))
        spindle_average = spindle.optim.swa_utils.AveragedModel(spindle_model, use_buffers=True, **AVERAGING[averaging](spindle.optim.swa_utils))
        for average, model in ((torch_average, torch_model), (spindle_average, spindle_model)):
            average.update_parameters(model)
            with pytest.raises(RuntimeError):
                average.update_parameters(model)
        return
    torch_average = torch.optim.swa_utils.AveragedModel(
        torch_model, use_buffers=use_buffers, **AVERAGING[averaging](torch.optim.swa_utils)
    )
    spindle_average = spindle.optim.swa_utils.AveragedModel(
        spindle_model, use_buffers=use_buffers, **AVERAGING[averaging](spindle.optim.swa_utils)
    )
    rtol = 1e-10 if dtype == "float64" else 1e-5
    for _ in range(4):
        randomize(rng, torch_model, spindle_model)
        torch_average.update_parameters(torch_model)
        spindle_average.update_parameters(spindle_model)
        assert_same_state(spindle_average, torch_average, rtol)
    assert spindle_average.n_averaged.item() == 4 and spindle_average.n_averaged.dtype == spindle.int64
    inputs = rng.standard_normal((3, 4))
    torch_average.eval()
    spindle_average.eval()
    np.testing.assert_allclose(
        spindle_average(spindle.tensor(inputs).to(getattr(spindle, dtype))).detach().numpy(),
        torch_average(torch.tensor(inputs).to(getattr(torch, dtype))).detach().numpy(), rtol=rtol, atol=rtol,
    )


@pytest.mark.parametrize("batch_form", ["tensor", "tuple"])
def test_update_bn_matches_torch(rng, batch_form):
    torch_model, spindle_model = small_models(rng, "float64")
    torch_model.eval()
    spindle_model.eval()
    batches = [rng.standard_normal((5, 4)) for _ in range(3)]

    def loader(framework):
        tensors = [framework.tensor(batch) for batch in batches]
        return tensors if batch_form == "tensor" else [(tensor, tensor.sum()) for tensor in tensors]

    torch.optim.swa_utils.update_bn(loader(torch), torch_model)
    spindle.optim.swa_utils.update_bn(loader(spindle), spindle_model)
    assert_same_state(spindle_model, torch_model, 1e-10)
    assert not spindle_model.training and spindle_model[1].momentum == torch_model[1].momentum


@pytest.mark.parametrize("anneal_strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 4])
@pytest.mark.parametrize("swa_lr", [0.05, [0.05, 0.2]], ids=repr)
def test_swalr_matches_torch(anneal_strategy, anneal_epochs, swa_lr):
    def run(framework):
        groups = [{"params": [framework.zeros(2, requires_grad=True)], "lr": lr} for lr in (0.5, 0.01)]
        optimizer = framework.optim.SGD(groups)
        scheduler = framework.optim.swa_utils.SWALR(
            optimizer, swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=anneal_strategy
        )
        rates = [scheduler.get_last_lr()]
        for _ in range(7):
            optimizer.step()
            scheduler.step()
            rates.append(scheduler.get_last_lr())
        return scheduler, rates

    torch_scheduler, expected = run(torch)
    spindle_scheduler, actual = run(spindle)
    np.testing.assert_allclose(actual, expected, rtol=1e-12)
    expected_state = torch_scheduler.state_dict()
    actual_state = spindle_scheduler.state_dict()
    for key in ("anneal_epochs", "base_lrs", "last_epoch", "_step_count", "_last_lr"):
        np.testing.assert_allclose(actual_state[key], expected_state[key], rtol=1e-12, err_msg=key)
    assert actual_state["_anneal_strategy"] == expected_state["_anneal_strategy"]
    assert "anneal_func" not in actual_state and "optimizer" not in actual_state

    # Loading restores the annealing function of the saved strategy, not of the constructor's.
    fresh_optimizer = spindle.optim.SGD([{"params": [spindle.zeros(2, requires_grad=True)], "lr": lr} for lr in (0.5, 0.01)])
    resumed = spindle.optim.swa_utils.SWALR(fresh_optimizer, 1.0, anneal_strategy="linear")
    resumed.load_state_dict(actual_state)
    assert resumed.anneal_func(0.5) == spindle_scheduler.anneal_func(0.5)


@pytest.mark.parametrize(
    "build",
    [
        lambda framework: framework.optim.swa_utils.get_ema_avg_fn(1.5),
        lambda framework: framework.optim.swa_utils.get_ema_multi_avg_fn(-0.1),
        lambda framework: framework.optim.swa_utils.AveragedModel(
            framework.nn.Linear(2, 2), avg_fn=framework.optim.swa_utils.get_swa_avg_fn(),
            multi_avg_fn=framework.optim.swa_utils.get_swa_multi_avg_fn(),
        ),
        lambda framework: framework.optim.swa_utils.SWALR(
            framework.optim.SGD([framework.zeros(2, requires_grad=True)]), 0.1, anneal_strategy="step"
        ),
        lambda framework: framework.optim.swa_utils.SWALR(
            framework.optim.SGD([framework.zeros(2, requires_grad=True)]), 0.1, anneal_epochs=-1
        ),
        lambda framework: framework.optim.swa_utils.SWALR(
            framework.optim.SGD([framework.zeros(2, requires_grad=True)]), [0.1, 0.2]
        ),
    ],
)
def test_swa_invalid_arguments_raise_like_torch(build):
    assert_same_error(build)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_sparse_adam_on_sparse_embedding_matches_torch(rng, dtype, maximize, padding_idx):
    """An Embedding(sparse=True) trained by SparseAdam: each step looks up a few random rows (some
    repeated, the padding row getting no gradient), so untouched rows and their moments must stay."""
    table = rng.standard_normal((7, 3)).astype(dtype)
    lookups = [rng.integers(0, 7, size=4) for _ in range(6)]
    targets = [rng.standard_normal((4, 3)).astype(dtype) for _ in range(6)]

    def run(framework):
        embedding = framework.nn.Embedding(7, 3, sparse=True, padding_idx=padding_idx, dtype=getattr(framework, dtype))
        with framework.no_grad():
            embedding.weight.copy_(framework.tensor(table))
        optimizer = framework.optim.SparseAdam(embedding.parameters(), lr=0.1, betas=(0.8, 0.9), maximize=maximize)
        trajectory = []
        for indices, target in zip(lookups, targets):
            optimizer.zero_grad()
            loss = ((embedding(framework.tensor(indices)) - framework.tensor(target)) ** 2).sum()
            loss.backward()
            optimizer.step()
            trajectory.append(embedding.weight.detach().numpy().copy())
        return optimizer, trajectory

    torch_optimizer, expected = run(torch)
    spindle_optimizer, actual = run(spindle)
    tolerance = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=2e-5, atol=2e-6)
    for step, (got, want) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(got, want, **tolerance, err_msg=f"step {step}")
    expected_state = torch_optimizer.state_dict()["state"][0]
    actual_state = spindle_optimizer.state_dict()["state"][0]
    assert actual_state["step"] == expected_state["step"] == len(lookups)
    for key in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_allclose(actual_state[key].numpy(), expected_state[key].numpy(), **tolerance, err_msg=key)


@pytest.mark.parametrize(
    "arguments", [dict(lr=0.0), dict(eps=0.0), dict(betas=(1.0, 0.9)), dict(betas=(0.9, -0.1))], ids=repr
)
def test_sparse_adam_invalid_arguments_raise_like_torch(arguments):
    assert_same_error(lambda framework: framework.optim.SparseAdam([framework.zeros(2, requires_grad=True)], **arguments))


ADAFACTOR_GRID = [
    dict(),
    dict(weight_decay=0.1, maximize=True),
    dict(beta2_decay=-0.5, eps=(1e-20, 1e-2), d=1.5),
    dict(eps=(None, 0.5), d=1.0),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", ADAFACTOR_GRID, ids=repr)
def test_adafactor_trajectory_matches_torch(trajectory_case, options, dtype):
    """Matrix, vector and 3-D parameters (factored and unfactored second moments) follow PyTorch,
    and the state (step counter, row/column factors, variances) has PyTorch's layout and values."""
    case = trajectory_case("Adafactor", options, dtype)
    torch_optimizer, _, expected = case.trajectory(torch)
    spindle_optimizer, _, actual = case.trajectory(spindle)
    case.assert_close(actual, expected)
    if dtype == "float64":
        assert_same_structure(spindle_optimizer.state_dict(), torch_optimizer.state_dict())


@pytest.mark.parametrize(
    "arguments",
    [dict(lr=-0.1), dict(beta2_decay=0.1), dict(eps=(-1e-3, 1e-3)), dict(eps=(None, -1.0)), dict(d=0.5),
     dict(weight_decay=-0.1)],
    ids=repr,
)
def test_adafactor_invalid_arguments_raise_like_torch(arguments):
    assert_same_error(lambda framework: framework.optim.Adafactor([framework.zeros(2, requires_grad=True)], **arguments))
