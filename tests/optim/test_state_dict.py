"""Optimizer checkpoints: PyTorch's layout, and a save/load in the middle of training changes nothing.

Each check stops after HALF of the steps, moves the state (within spindle, or between spindle and
PyTorch), continues on fresh parameters holding the values reached, and compares with PyTorch's
uninterrupted trajectory.
"""
import copy

import pytest
import torch

import spindle
from tests.optim.oracle import assert_same_structure, convert_state

STEPS = 20
HALF = 10
CONFIGS = [
    ("SGD", dict()),
    ("SGD", dict(momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("Adam", dict(amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(maximize=True)),
    ("RMSprop", dict(centered=True, momentum=0.9)),
    ("Adagrad", dict(lr_decay=0.1, initial_accumulator_value=0.2)),
]
parametrize_configs = pytest.mark.parametrize("name, options", CONFIGS, ids=repr)


@parametrize_configs
@pytest.mark.parametrize("steps", [0, HALF])
def test_layout_matches_torch(trajectory_case, name, options, steps):
    case = trajectory_case(name, options, steps=STEPS)
    torch_optimizer, _, _ = case.trajectory(torch, steps)
    optimizer, _, _ = case.trajectory(spindle, steps)
    assert_same_structure(optimizer.state_dict(), torch_optimizer.state_dict())


@parametrize_configs
def test_round_trip_continues_the_trajectory(trajectory_case, name, options):
    case = trajectory_case(name, options, steps=STEPS)
    _, _, expected = case.trajectory(torch)
    optimizer, _, first = case.trajectory(spindle, HALF)
    saved = copy.deepcopy(optimizer.state_dict())
    resumed, params = case.start(spindle, first[-1])
    resumed.load_state_dict(saved)
    case.assert_close(first + case.run(spindle, resumed, params, range(HALF, STEPS)), expected)


@parametrize_configs
def test_loads_a_torch_state_dict(trajectory_case, name, options):
    case = trajectory_case(name, options, steps=STEPS)
    _, _, expected = case.trajectory(torch)
    torch_optimizer, _, first = case.trajectory(torch, HALF)
    resumed, params = case.start(spindle, first[-1])
    resumed.load_state_dict(convert_state(torch_optimizer.state_dict(), spindle))
    case.assert_close(case.run(spindle, resumed, params, range(HALF, STEPS)), expected[HALF:], first_step=HALF)


@parametrize_configs
def test_torch_loads_its_state_dict(trajectory_case, name, options):
    case = trajectory_case(name, options, steps=STEPS)
    _, _, expected = case.trajectory(torch)
    optimizer, _, first = case.trajectory(spindle, HALF)
    resumed, params = case.start(torch, first[-1])
    resumed.load_state_dict(convert_state(optimizer.state_dict(), torch))
    case.assert_close(case.run(torch, resumed, params, range(HALF, STEPS)), expected[HALF:], first_step=HALF)
