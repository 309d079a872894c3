"""The Optimizer base class: parameter groups, gradients, state and its errors, as in PyTorch."""
import importlib

import numpy as np
import pytest
import torch

import spindle
import spindle.optim
from tests.optim.oracle import assert_same_error, assert_same_structure, convert_state


def leaves(framework, rng, count=3, dtype=np.float64):
    return [framework.tensor(rng.standard_normal(3).astype(dtype), requires_grad=True) for _ in range(count)]


def without_params(groups):
    return [{key: value for key, value in group.items() if key != "params"} for group in groups]


def test_tensor_list_makes_one_group_filled_with_defaults(rng):
    params = leaves(spindle, rng)
    optimizer = spindle.optim.SGD(iter(params), lr=0.1, momentum=0.9)
    reference = torch.optim.SGD(leaves(torch, rng), lr=0.1, momentum=0.9)
    assert len(optimizer.param_groups) == 1
    grouped = optimizer.param_groups[0]["params"]
    assert len(grouped) == len(params) and all(a is b for a, b in zip(grouped, params))
    assert without_params(optimizer.param_groups) == without_params(reference.param_groups)
    assert optimizer.defaults == reference.defaults


def test_group_options_override_defaults(rng):
    def build(framework):
        a, b, c = leaves(framework, rng)
        return framework.optim.Adam([{"params": [a, b]}, {"params": c, "lr": 0.5, "betas": (0.8, 0.9)}], lr=0.1)

    assert without_params(build(spindle).param_groups) == without_params(build(torch).param_groups)
    assert len(build(spindle).param_groups[1]["params"]) == 1  # a lone Tensor becomes a list


def test_named_parameters_are_recorded(rng):
    def state_dict(framework):
        a, b = leaves(framework, rng, 2)
        optimizer = framework.optim.SGD([("layer.weight", a), ("layer.bias", b)], lr=0.1)
        return optimizer.state_dict()

    spindle_state = state_dict(spindle)
    assert spindle_state["param_groups"][0]["param_names"] == ["layer.weight", "layer.bias"]
    assert_same_structure(spindle_state, state_dict(torch))


def test_zero_grad(rng):
    a, b, c = leaves(spindle, rng)
    optimizer = spindle.optim.SGD([a, b, c])
    a.grad = spindle.ones_like(a)
    b.grad = spindle.ones_like(b)
    grad_b = b.grad
    optimizer.zero_grad(set_to_none=False)
    assert b.grad is grad_b and np.array_equal(b.grad.numpy(), np.zeros(3))
    assert c.grad is None
    optimizer.zero_grad()
    assert a.grad is None and b.grad is None


def test_parameters_without_grad_are_skipped(rng):
    a, b = leaves(spindle, rng, 2)
    before = b.detach().numpy().copy()
    optimizer = spindle.optim.Adam([a, b], lr=0.1)
    a.grad = spindle.ones(3, dtype=spindle.float64)
    optimizer.step()
    assert np.array_equal(b.detach().numpy(), before)
    assert b not in optimizer.state and set(optimizer.state[a]) == {"step", "exp_avg", "exp_avg_sq"}


def test_step_with_closure_matches_torch(rng):
    start = rng.standard_normal((4, 3))
    target = rng.standard_normal(3)

    def train(framework):
        weight = framework.tensor(start.copy(), requires_grad=True)
        optimizer = framework.optim.SGD([weight], lr=0.1, momentum=0.9)

        def closure():
            optimizer.zero_grad()
            loss = ((weight.sum(0) - framework.tensor(target)) ** 2).sum()
            loss.backward()
            return loss

        losses = [optimizer.step(closure).item() for _ in range(5)]
        return losses, weight.detach().numpy()

    losses, weight = train(spindle)
    expected_losses, expected_weight = train(torch)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-10)
    np.testing.assert_allclose(weight, expected_weight, rtol=1e-10)
    assert spindle.optim.SGD(leaves(spindle, rng), lr=0.1).step() is None


def test_add_param_group_while_training_matches_torch(rng):
    starts = [rng.standard_normal(3) for _ in range(2)]
    grads = [[rng.standard_normal(3) for _ in range(2)] for _ in range(6)]

    def train(framework):
        a, b = (framework.tensor(start.copy(), requires_grad=True) for start in starts)
        optimizer = framework.optim.Adam([a], lr=0.1)
        for step, (grad_a, grad_b) in enumerate(grads):
            if step == 3:
                optimizer.add_param_group({"params": [b], "lr": 0.01, "amsgrad": True})
            a.grad = framework.from_numpy(grad_a.copy())
            b.grad = framework.from_numpy(grad_b.copy())
            optimizer.step()
        return a.detach().numpy(), b.detach().numpy(), optimizer.state_dict()

    *values, state = train(spindle)
    *expected_values, expected_state = train(torch)
    for value, expected in zip(values, expected_values):
        np.testing.assert_allclose(value, expected, rtol=1e-10)
    assert_same_structure(state, expected_state)


def test_state_is_keyed_by_parameter(rng):
    a, b = leaves(spindle, rng, 2)
    optimizer = spindle.optim.SGD([a, b], lr=0.1, momentum=0.5)
    a.grad = spindle.ones(3, dtype=spindle.float64)
    optimizer.step()
    assert list(optimizer.state) == [a]
    np.testing.assert_array_equal(optimizer.state[a]["momentum_buffer"].numpy(), np.ones(3))
    assert optimizer.state[b] == {}  # a defaultdict: unseen parameters read as empty state


def test_load_casts_state_to_the_parameters_dtype(rng):
    def state_after_load(framework):
        source = framework.optim.Adam(leaves(framework, rng, 1), lr=0.1)
        source.param_groups[0]["params"][0].grad = framework.ones(3, dtype=framework.float64)
        source.step()
        target = framework.optim.Adam(leaves(framework, rng, 1, np.float32), lr=0.1)
        target.load_state_dict(source.state_dict())
        return target.state_dict()

    state = state_after_load(spindle)
    assert state["state"][0]["exp_avg"].dtype == spindle.float32
    assert state["state"][0]["step"].dtype == spindle.float32  # the step counter keeps its dtype
    assert_same_structure(state, state_after_load(torch))


def test_repr_matches_torch(rng):
    def build(framework):
        a, b = leaves(framework, rng, 2)
        return framework.optim.RMSprop([{"params": [a]}, {"params": [b], "lr": 0.5}], momentum=0.1)

    assert repr(build(spindle)) == repr(build(torch))


def test_duplicate_parameter_within_a_group_warns(rng):
    (a,) = leaves(spindle, rng, 1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        spindle.optim.SGD([a, a], lr=0.1)


def test_differentiable_steps_are_not_offered(rng):
    with pytest.raises(NotImplementedError, match="differentiable"):
        spindle.optim.Adam(leaves(spindle, rng, 1), differentiable=True)


def custom_optimizer_class(framework):
    """A user-defined optimizer whose `lr` every group must set (PyTorch's `required`)."""

    required = importlib.import_module(framework.__name__ + ".optim.optimizer").required

    class Custom(framework.optim.Optimizer):
        def __init__(self, params, lr=required):
            super().__init__(params, {"lr": lr})

    return Custom


def duplicate_across_groups(framework, rng):
    a, b = leaves(framework, rng, 2)
    return framework.optim.SGD([{"params": [a, b]}, {"params": [b]}], lr=0.1)


def add_duplicate_group(framework, rng):
    a, b = leaves(framework, rng, 2)
    optimizer = framework.optim.Adam([a, b])
    optimizer.add_param_group({"params": [b], "lr": 0.5})


def non_leaf(framework, rng):
    (a,) = leaves(framework, rng, 1)
    return framework.optim.SGD([a * 2], lr=0.1)


def load_mismatched(framework, rng, group_sizes):
    source = framework.optim.SGD([{"params": leaves(framework, rng, size)} for size in group_sizes], lr=0.1)
    target = framework.optim.SGD(leaves(framework, rng, 2), lr=0.1)
    target.load_state_dict(source.state_dict())


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda framework, rng: framework.optim.SGD(leaves(framework, rng, 1)[0]), id="tensor-as-params"),
        pytest.param(lambda framework, rng: framework.optim.SGD([]), id="empty"),
        pytest.param(lambda framework, rng: framework.optim.SGD([{"params": set(leaves(framework, rng, 2))}]), id="set"),
        pytest.param(lambda framework, rng: framework.optim.SGD([1.0, 2.0]), id="not-a-tensor"),
        pytest.param(non_leaf, id="non-leaf"),
        pytest.param(duplicate_across_groups, id="duplicate-across-groups"),
        pytest.param(add_duplicate_group, id="add-duplicate-group"),
        pytest.param(
            lambda framework, rng: framework.optim.SGD(leaves(framework, rng, 1)).add_param_group(leaves(framework, rng, 1)),
            id="group-not-a-dict",
        ),
        pytest.param(
            lambda framework, rng: framework.optim.SGD([("w", leaves(framework, rng, 1)[0]), leaves(framework, rng, 1)[0]]),
            id="names-partly-missing",
        ),
        pytest.param(lambda framework, rng: custom_optimizer_class(framework)(leaves(framework, rng, 1)), id="required"),
        pytest.param(lambda framework, rng: load_mismatched(framework, rng, [1, 1]), id="load-group-count"),
        pytest.param(lambda framework, rng: load_mismatched(framework, rng, [3]), id="load-group-size"),
    ],
)
def test_errors_match_torch(build, rng):
    assert_same_error(lambda framework: build(framework, rng))
