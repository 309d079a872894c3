"""Fixtures of the optimizer tests (the helpers themselves live in `oracle.py`)."""
import pytest

from tests.optim.oracle import TrajectoryCase


@pytest.fixture
def trajectory_case(rng):
    """Build a `TrajectoryCase(optimizer_name, options, dtype)` on fresh random data."""
    return lambda optimizer_name, options, dtype="float64", steps=20: TrajectoryCase(
        rng, optimizer_name, options, dtype, steps
    )
