"""Shared pytest configuration.

- Tests marked `cuda` are skipped, with the reason, when CuPy or a CUDA device is missing.
- The `seed` fixture gives each test a fresh random seed (or the one passed with
  `--seed N`) and prints it when the test fails, so a failure can be replayed;
  `rng` is a NumPy Generator seeded with it.
"""
import numpy as np
import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--seed",
        type=int,
        default=None,
        help="seed for the `seed` and `rng` fixtures (default: a fresh one per test)",
    )


def _cuda_unavailable_reason():
    """Why CUDA tests cannot run here, or None when they can."""
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed"
    try:
        device_count = cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError as error:
        return f"no usable CUDA driver or device: {error}"
    return None if device_count > 0 else "no CUDA device"


def pytest_collection_modifyitems(config, items):
    cuda_items = [item for item in items if item.get_closest_marker("cuda")]
    if not cuda_items:
        return
    reason = _cuda_unavailable_reason()
    if reason is not None:
        skip = pytest.mark.skip(reason=reason)
        for item in cuda_items:
            item.add_marker(skip)


# Where the `seed` fixture leaves its value for the failure report.
_seed_key = pytest.StashKey[int]()


@pytest.fixture
def seed(request):
    """A random seed for this test: `--seed` when given, else fresh entropy."""
    chosen = request.config.getoption("--seed")
    if chosen is None:
        chosen = np.random.SeedSequence().entropy
    request.node.stash[_seed_key] = chosen
    return chosen


@pytest.fixture
def rng(seed):
    """A NumPy Generator seeded with this test's `seed`."""
    return np.random.default_rng(seed)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and _seed_key in item.stash:
        seed = item.stash[_seed_key]
        report.sections.append(("random seed", f"rerun with --seed {seed}"))
    return report
