"""Random sampling: factories (rand, randn, randint, randperm, multinomial, ...) and the raw draws that
in-place fills (``uniform_``, ``normal_``) use, all from a device's generator."""
import numpy as np

from . import _dtype
from .backend.device import device_of, to_device
from .backend.random import Generator, default_generator_for, get_rng_state, initial_seed, manual_seed, seed, set_rng_state


def _engine(generator, device):
    return (generator or default_generator_for(device)).engine


def _draw(like, sample, in_place):
    """``sample(shape, dtype=..., out=...)`` drawn in ``like``'s dtype; straight into ``like``'s memory when
    ``in_place`` and the layout allows (a large layer's init then touches its memory once)."""
    data = like._data
    if data.dtype in (np.float32, np.float64):
        if in_place and data.flags.c_contiguous and data.flags.writeable:
            return sample(data.shape, dtype=data.dtype, out=data)
        return sample(data.shape, dtype=data.dtype)
    return sample(data.shape).astype(data.dtype if data.dtype.kind == "f" else np.float64)


def uniform_array(like, low, high, generator=None, in_place=False):
    """Uniform draws in [low, high) with ``like``'s shape, dtype and device (into ``like`` if ``in_place``)."""
    values = _draw(like, _engine(generator, device_of(like._data)).random, in_place)
    if (low, high) != (0.0, 1.0):
        values *= high - low
        values += low
    return values


def normal_array(like, mean, std, generator=None, in_place=False):
    """Normal draws with ``like``'s shape, dtype and device (into ``like`` if ``in_place``)."""
    if isinstance(std, (int, float)) and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    values = _draw(like, _engine(generator, device_of(like._data)).standard_normal, in_place)
    if (mean, std) != (0.0, 1.0):
        values *= std
        values += mean
    return values


def integer_array(like, low, high, generator=None):
    engine = _engine(generator, device_of(like._data))
    return engine.integers(low, high, size=like._data.shape).astype(like._data.dtype)


def _new(shape, dtype, device, requires_grad, fill):
    from .factory import empty

    result = empty(*shape, dtype=dtype, device=device)
    result._data[...] = fill(result)
    if requires_grad:
        result.requires_grad_(True)
    return result


def _float_dtype(dtype):
    dtype = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
    if not dtype.is_floating_point:
        raise RuntimeError(f"expected a floating-point dtype for random floats, got {dtype}")
    return dtype


def _sizes(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    """Uniform samples in [0, 1) of the given shape."""
    return _new(_sizes(size), _float_dtype(dtype), device, requires_grad, lambda t: uniform_array(t, 0.0, 1.0, generator))


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    """Standard normal samples of the given shape."""
    return _new(_sizes(size), _float_dtype(dtype), device, requires_grad, lambda t: normal_array(t, 0.0, 1.0, generator))


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers uniformly in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype = _dtype.int64 if dtype is None else _dtype.to_dtype(dtype)
    return _new(tuple(size), dtype, device, requires_grad, lambda t: integer_array(t, low, high, generator))


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of ``0..n-1``."""
    from .tensor import Tensor

    engine = _engine(generator, to_device(device))
    dtype = _dtype.int64 if dtype is None else _dtype.to_dtype(dtype)
    result = Tensor._wrap(engine.permutation(int(n)).astype(dtype.numpy_dtype))
    return result.to(device) if device is not None else result


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    return rand(*input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad, generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    return randn(*input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad, generator=generator)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, generator=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device, generator=generator)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Normal samples: tensor ``mean``/``std`` broadcast elementwise, or floats with ``size``."""
    from .tensor import Tensor

    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        reference = mean if isinstance(mean, Tensor) else std
        shape = np.broadcast_shapes(np.shape(mean._data if isinstance(mean, Tensor) else mean), np.shape(std._data if isinstance(std, Tensor) else std))
        noise = randn(*shape, generator=generator, dtype=reference.dtype, device=reference.device)
        return noise * std + mean
    return randn(*size, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad) * std + mean


def bernoulli(input, p=None, *, generator=None):
    return input.bernoulli(p, generator=generator)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Draw ``num_samples`` category indices per row from (unnormalised) ``input`` weights."""
    from .tensor import Tensor

    weights = np.asarray(input.__array__(), dtype=np.float64)
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got {weights.ndim}")
    if (weights < 0).any() or not np.isfinite(weights).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = weights.reshape(-1, weights.shape[-1])
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    engine = _engine(generator, input.device)
    samples = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for row_index, row in enumerate(rows):
        samples[row_index] = engine.choice(row.shape[0], size=num_samples, replace=replacement, p=row / row.sum())
    result = Tensor._wrap(samples.reshape(weights.shape[:-1] + (num_samples,)))
    return result.to(input.device) if input.device.type != "cpu" else result


__all__ = [
    "Generator",
    "bernoulli",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "multinomial",
    "normal",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "seed",
    "set_rng_state",
]
