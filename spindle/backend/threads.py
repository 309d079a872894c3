"""CPU thread count: ``set_num_threads`` limits the BLAS behind NumPy (via threadpoolctl), as
``torch.set_num_threads`` limits PyTorch's intra-op pool."""
import os

from threadpoolctl import ThreadpoolController

_controller = None
_limit = None


def _blas_controller():
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller


def set_num_threads(count):
    """Use at most ``count`` threads in matrix products and other BLAS calls."""
    global _limit
    count = int(count)
    if count < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {count}")
    # The limiter object keeps the limit in force until the next call replaces it.
    _limit = _blas_controller().limit(limits=count, user_api="blas")


def get_num_threads():
    """The number of threads BLAS calls may use."""
    infos = [info["num_threads"] for info in _blas_controller().select(user_api="blas").info()]
    return max(infos) if infos else (os.cpu_count() or 1)
