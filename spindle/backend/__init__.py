"""Devices and their array libraries: NumPy on the CPU, CuPy on CUDA GPUs."""
from . import host_memory  # noqa: F401 - applies the host memory policy on import
from .device import CPU, cupy_module, device, device_of, move, namespace_for, namespace_of, to_device
from .random import Generator, default_generator_for, manual_seed
