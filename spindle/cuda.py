"""``spindle.cuda``: whether a CUDA GPU is usable (through CuPy) and basic device queries."""
from .backend.device import cupy_module
from .backend.device import device as _device
from .backend.random import default_generator_for


def is_available():
    """True when CuPy is installed and sees at least one GPU."""
    return cupy_module() is not None


def device_count():
    cupy = cupy_module()
    return 0 if cupy is None else cupy.cuda.runtime.getDeviceCount()


def _require():
    cupy = cupy_module()
    if cupy is None:
        raise RuntimeError("CUDA is not available: CuPy with an NVIDIA GPU is needed (the 'cuda' extra)")
    return cupy


def current_device():
    return _require().cuda.runtime.getDevice()


def set_device(index):
    _require().cuda.runtime.setDevice(_device(index).index if not isinstance(index, int) else index)


def synchronize(device=None):
    _require().cuda.runtime.deviceSynchronize()


def manual_seed(seed):
    """Seed the current GPU's generator."""
    default_generator_for(_device("cuda", current_device())).manual_seed(seed)


def manual_seed_all(seed):
    for index in range(device_count()):
        default_generator_for(_device("cuda", index)).manual_seed(seed)


def get_device_name(device=None):
    cupy = _require()
    index = current_device() if device is None else _device(device).index if not isinstance(device, int) else device
    return cupy.cuda.runtime.getDeviceProperties(index)["name"].decode()
