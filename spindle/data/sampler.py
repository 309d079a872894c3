"""Samplers: the order in which a DataLoader visits dataset indices (PyTorch's
``torch.utils.data.sampler``).

All randomness comes from spindle generators (``spindle.randperm``, ``spindle.randint``,
``spindle.multinomial``), so ``spindle.manual_seed`` or an explicitly seeded
``spindle.Generator`` makes every order reproducible.
"""

import itertools
from typing import Generic, TypeVar

import spindle

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]

_IndexType = TypeVar("_IndexType", covariant=True)


def draw_seed(generator=None):
    """A fresh 64-bit seed drawn from ``generator`` (the global generator when None),
    the way PyTorch derives sampler seeds and DataLoader worker base seeds."""
    return int(spindle.empty((), dtype=spindle.int64).random_(generator=generator).item())


class Sampler(Generic[_IndexType]):
    """Base class: subclasses implement ``__iter__`` yielding dataset indices (or
    lists of indices for batch samplers) and usually ``__len__``."""

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Yields ``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Yields ``num_samples`` random indices of ``data_source`` (default: all of them).
    Without replacement it walks fresh permutations (``spindle.randperm``), so every
    index appears once per ``len(data_source)`` samples; with replacement it draws
    independent ``spindle.randint`` indices. Without a ``generator`` each iteration
    seeds a private one from the global generator, as PyTorch does."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={self.replacement}"
            )
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={self.num_samples}"
            )

    @property
    def num_samples(self):
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        generator = self.generator
        if generator is None:
            generator = spindle.Generator()
            generator.manual_seed(draw_seed())
        if self.replacement:
            # Drawn in chunks of 32 (as PyTorch does) so a long epoch never holds all indices.
            for _ in range(self.num_samples // 32):
                yield from spindle.randint(high=n, size=(32,), dtype=spindle.int64, generator=generator).tolist()
            yield from spindle.randint(
                high=n, size=(self.num_samples % 32,), dtype=spindle.int64, generator=generator
            ).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from spindle.randperm(n, generator=generator).tolist()
            yield from spindle.randperm(n, generator=generator).tolist()[: self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """Yields the elements of ``indices`` in a random order (one permutation per
    iteration, drawn from ``generator``)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in spindle.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Yields ``num_samples`` indices in ``[0, len(weights))`` drawn with probability
    proportional to ``weights`` (a 1-D sequence of non-negative numbers), with or
    without ``replacement``, via ``spindle.multinomial``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights_tensor = spindle.as_tensor(weights, dtype=spindle.double)
        if weights_tensor.dim() != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {tuple(weights_tensor.shape)}"
            )
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        drawn = spindle.multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator)
        yield from drawn.tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; the last,
    shorter list is kept unless ``drop_last``."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        sampler_iter = iter(self.sampler)
        batch = list(itertools.islice(sampler_iter, self.batch_size))
        while batch and (len(batch) == self.batch_size or not self.drop_last):
            yield batch
            batch = list(itertools.islice(sampler_iter, self.batch_size))

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
