"""``set_num_threads`` / ``get_num_threads``: the count the C kernels use, and the BLAS limit."""
import os
import subprocess
import sys

import pytest
from threadpoolctl import threadpool_info

import spindle


@pytest.fixture
def restore_threads():
    previous = spindle.get_num_threads()
    yield
    spindle.set_num_threads(previous)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_set_num_threads_limits_blas_and_is_read_back(restore_threads, count):
    spindle.set_num_threads(count)
    assert spindle.get_num_threads() == count
    blas = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    assert blas and all(threads == count for threads in blas)


@pytest.mark.parametrize("count", [0, -2])
def test_set_num_threads_refuses_counts_below_one(restore_threads, count):
    with pytest.raises(RuntimeError, match=str(count)):
        spindle.set_num_threads(count)


@pytest.mark.parametrize("environment, expected", [("3", 3), ("", None), ("many", None)])
def test_default_is_omp_num_threads_else_the_usable_cores(environment, expected):
    code = "import os, spindle; print(spindle.get_num_threads(), len(os.sched_getaffinity(0)))"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                               env=dict(os.environ, OMP_NUM_THREADS=environment))
    threads, cores = map(int, completed.stdout.split())
    assert threads == (expected if expected is not None else cores)
