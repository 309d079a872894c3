"""CPU thread count: ``set_num_threads`` limits the BLAS behind NumPy (via threadpoolctl) and
Spindle's own C kernels, as ``torch.set_num_threads`` limits PyTorch's intra-op pool.

The default is ``OMP_NUM_THREADS`` where set, else the cores this process may run on: what
OpenBLAS itself starts with.
"""
import os

from threadpoolctl import ThreadpoolController

_controller = None
_limit = None
_count = None


def _default_count():
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def set_num_threads(count):
    """Use at most ``count`` threads in matrix products, other BLAS calls and the C kernels."""
    global _controller, _limit, _count
    count = int(count)
    if count < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {count}")
    if _controller is None:
        _controller = ThreadpoolController()
    # The limiter object keeps the limit in force until the next call replaces it.
    _limit = _controller.limit(limits=count, user_api="blas")
    _count = count


def get_num_threads():
    """The number of threads CPU kernels may use (cheap: called by kernels on every run)."""
    global _count
    if _count is None:
        _count = _default_count()
    return _count
