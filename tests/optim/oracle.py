"""PyTorch as the oracle of the optimizer tests: run one problem through spindle and PyTorch.

A `TrajectoryCase` holds random starting values for three parameters (two parameter groups with
different learning rates; the first parameter non-contiguous) and a fresh random gradient per
step and parameter (one parameter gets no gradient on one step, which an optimizer must skip).
Both frameworks start from the same NumPy arrays and receive the same gradients, set by hand on
`.grad`, so their parameter trajectories must agree to rounding.
"""
import copy

import numpy as np
import pytest
import torch

import spindle
import spindle.optim

SHAPES = [(3, 4), (5,), (2, 3, 2)]
GROUP_LRS = (0.05, 0.01)
NUMPY_DTYPES = {"float32": np.float32, "float64": np.float64}
# Relative error allowed against PyTorch; the absolute term only covers entries near zero.
TOLERANCES = {"float64": dict(rtol=1e-6, atol=1e-12), "float32": dict(rtol=1e-5, atol=2e-5)}


class TrajectoryCase:
    """One optimizer configuration on one random problem, runnable in either framework."""

    def __init__(self, rng, optimizer_name, options, dtype, steps=20):
        self.optimizer_name = optimizer_name
        self.options = dict(options)
        self.dtype = dtype
        numpy_dtype = NUMPY_DTYPES[dtype]
        self.initial = [rng.standard_normal(shape).astype(numpy_dtype) for shape in SHAPES]
        self.grads = [[rng.standard_normal(shape).astype(numpy_dtype) for shape in SHAPES] for _ in range(steps)]
        self.grads[3][1] = None

    def make_params(self, framework, values=None):
        """Leaf tensors holding `values` (the initial ones by default); the first is a transposed,
        non-contiguous view, so in-place updates must write through strides."""
        values = self.initial if values is None else values
        first = framework.tensor(values[0].T.copy()).t().requires_grad_(True)
        return [first] + [framework.tensor(value.copy(), requires_grad=True) for value in values[1:]]

    def make_optimizer(self, framework, params):
        groups = [{"params": params[:2], "lr": GROUP_LRS[0]}, {"params": params[2:], "lr": GROUP_LRS[1]}]
        return getattr(framework.optim, self.optimizer_name)(groups, **self.options)

    def run(self, framework, optimizer, params, steps):
        """Apply the gradients of `steps` (a range); return the parameters after each step."""
        trajectory = []
        for step in steps:
            for param, grad in zip(params, self.grads[step]):
                param.grad = None if grad is None else framework.from_numpy(grad.copy())
            optimizer.step()
            trajectory.append([param.detach().numpy().copy() for param in params])
        return trajectory

    def start(self, framework, values=None):
        """Fresh parameters (the initial values, or `values`) and an optimizer over them."""
        params = self.make_params(framework, values)
        return self.make_optimizer(framework, params), params

    def trajectory(self, framework, steps=None):
        """Run `framework` from the start for `steps` steps (all by default).

        Returns the optimizer, its parameters and the trajectory.
        """
        optimizer, params = self.start(framework)
        steps = len(self.grads) if steps is None else steps
        return optimizer, params, self.run(framework, optimizer, params, range(steps))

    def assert_close(self, actual, expected, first_step=0):
        for step, (actual_params, expected_params) in enumerate(zip(actual, expected), first_step):
            for index, (got, want) in enumerate(zip(actual_params, expected_params)):
                assert got.dtype == want.dtype, f"step {step}, param {index}: dtype {got.dtype} != {want.dtype}"
                np.testing.assert_allclose(
                    got, want, **TOLERANCES[self.dtype], err_msg=f"step {step}, param {index}"
                )


def convert_state(value, framework):
    """Copy an optimizer/scheduler state (nested dicts, lists, tensors) into `framework`'s tensors."""
    if isinstance(value, (torch.Tensor, spindle.Tensor)):
        return framework.from_numpy(value.detach().numpy().copy())
    if isinstance(value, dict):
        return {key: convert_state(item, framework) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(convert_state(item, framework) for item in value)
    return value


def assert_same_structure(actual, expected, path="state_dict"):
    """Same nested keys, same group hyperparameters, tensors of the same shape, dtype and values."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, spindle.Tensor), f"{path}: {type(actual)} is not a Tensor"
        assert tuple(actual.shape) == tuple(expected.shape), f"{path}: shape"
        assert str(actual.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1], f"{path}: dtype"
        np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=1e-6, atol=1e-12,
                                   err_msg=path)
    elif isinstance(expected, dict):
        assert set(actual) == set(expected), f"{path}: keys {list(actual)} != {list(expected)}"
        for key in expected:
            assert_same_structure(actual[key], expected[key], f"{path}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert type(actual) is type(expected) and len(actual) == len(expected), f"{path}: {actual!r}"
        for index, (got, want) in enumerate(zip(actual, expected)):
            assert_same_structure(got, want, f"{path}[{index}]")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def assert_same_error(build):
    """`build(framework)` raises the same exception type in spindle as in PyTorch."""
    with pytest.raises(Exception) as expected:
        build(torch)
    with pytest.raises(expected.type):
        build(spindle)


def check_trajectory(case):
    """Spindle's parameter trajectory equals PyTorch's at every step."""
    _, _, expected = case.trajectory(torch)
    _, _, actual = case.trajectory(spindle)
    case.assert_close(actual, expected)
