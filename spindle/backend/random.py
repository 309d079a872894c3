"""Random number generators: one default generator per device, seeded by ``manual_seed``."""
import numpy as np

from .device import CPU, cupy_module, to_device

_DEFAULT_SEED = 67280421310721  # PyTorch's default CPU seed


class Generator:
    """``spindle.Generator(device='cpu')``: a seedable source of random numbers for one device.

    On the CPU it wraps a NumPy PCG64 bit generator; on CUDA a CuPy random state.
    """

    def __init__(self, device="cpu"):
        self.device = to_device(device)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            seed += 1 << 64  # PyTorch accepts negative seeds, wrapping them to unsigned 64-bit
        self._initial_seed = seed
        if self.device.type == "cpu":
            self.engine = np.random.Generator(np.random.PCG64(seed))
        else:
            cupy = cupy_module()
            with cupy.cuda.Device(self.device.index):
                self.engine = cupy.random.default_rng(seed)  # same API as NumPy's Generator
        return self

    def seed(self):
        """Re-seed from a non-deterministic source and return the new seed."""
        new_seed = int(np.random.SeedSequence().entropy % (1 << 63))
        self.manual_seed(new_seed)
        return new_seed

    def initial_seed(self):
        return self._initial_seed

    def get_state(self):
        from ..tensor import Tensor

        state = self.engine.bit_generator.state if self.device.type == "cpu" else None
        encoded = np.frombuffer(repr(state).encode(), dtype=np.uint8).copy()
        return Tensor._wrap(encoded)

    def set_state(self, new_state):
        import ast

        state = ast.literal_eval(bytes(new_state.numpy()).decode())
        self.engine.bit_generator.state = state
        return self


default_generators = {CPU: Generator("cpu")}


def default_generator_for(device):
    """The process-wide generator used when an op is not given ``generator=``."""
    generator = default_generators.get(device)
    if generator is None:
        generator = default_generators[device] = Generator(device)
        # A generator made after manual_seed starts from that seed, as if it had been seeded with the rest.
        generator.manual_seed(default_generators[CPU].initial_seed())
    return generator


def manual_seed(seed):
    """Seed every device's default generator; returns the CPU generator, as PyTorch does."""
    for generator in default_generators.values():
        generator.manual_seed(seed)
    return default_generators[CPU]


def seed():
    return default_generators[CPU].seed()


def initial_seed():
    return default_generators[CPU].initial_seed()


def get_rng_state():
    return default_generators[CPU].get_state()


def set_rng_state(state):
    default_generators[CPU].set_state(state)
