"""Devices: where a tensor's array lives and which array library (NumPy or CuPy) computes on it."""
import numpy as np

_cupy = None
_cupy_checked = False


def cupy_module():
    """CuPy if it is installed and sees a GPU, else None (checked once)."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() > 0:
                _cupy = cupy
        except Exception:  # no CuPy, no driver, or no GPU: CUDA is simply unavailable
            _cupy = None
    return _cupy


class device:
    """``spindle.device('cpu')``, ``device('cuda:1')``, ``device('cuda', 0)``: a place for tensors."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string or int, got {type.__class__.__name__}")
        if ":" in type:
            if index is not None:
                raise ValueError(f"type (string) must not include an index because index was passed explicitly: {type}")
            type, _, index_text = type.partition(":")
            if not index_text.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{index_text}'")
            index = int(index_text)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")
_cuda_devices = {}


def to_device(value):
    """Normalise a device argument (str, int, device or None meaning the CPU)."""
    if value is None:
        return CPU
    if isinstance(value, device):
        result = value
    else:
        result = device(value)
    if result.type == "cuda":
        if cupy_module() is None:
            raise RuntimeError(
                f"cannot use device '{result}': CUDA is not available (CuPy with a GPU is needed; "
                "install the 'cuda' extra on a machine with an NVIDIA GPU)"
            )
        if result.index is None:
            result = device("cuda", cupy_module().cuda.runtime.getDevice())
    return result


def device_of(array):
    """The device that holds ``array``."""
    if type(array) is np.ndarray:
        return CPU
    index = array.device.id
    cached = _cuda_devices.get(index)
    if cached is None:
        cached = _cuda_devices[index] = device("cuda", index)
    return cached


def namespace_of(array):
    """The array module (numpy or cupy) that computes on ``array``: op code is written once against it."""
    if type(array) is np.ndarray:
        return np
    return cupy_module()


def namespace_for(target):
    """The array module of a device."""
    if target.type == "cpu":
        return np
    return cupy_module()


def move(array, target):
    """Copy ``array`` onto device ``target`` (no copy if it is already there)."""
    source = device_of(array)
    if source == target:
        return array
    if target.type == "cpu":
        return array.get()
    cupy = cupy_module()
    with cupy.cuda.Device(target.index):
        return cupy.asarray(array)
