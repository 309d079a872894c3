"""Dataset abstractions (PyTorch's ``torch.utils.data.dataset``).

A map-style :class:`Dataset` answers ``dataset[index]`` and usually ``len(dataset)``;
an :class:`IterableDataset` is consumed with ``iter(dataset)``. The wrappers here
combine datasets (:class:`ConcatDataset`, :class:`ChainDataset`), select parts of one
(:class:`Subset`, :func:`random_split`) or expose tensors sample by sample
(:class:`TensorDataset`).
"""

import bisect
import itertools
import math
import warnings
from typing import Generic, TypeVar

import spindle

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "ConcatDataset",
    "ChainDataset",
    "Subset",
    "random_split",
]

# Generic so that annotations such as ``Dataset[tuple[Tensor, int]]`` work as in PyTorch.
_SampleType = TypeVar("_SampleType", covariant=True)


class Dataset(Generic[_SampleType]):
    """Map-style dataset: subclasses implement ``__getitem__(index)`` and, for the
    default samplers, ``__len__``. They may also implement ``__getitems__(indices)``
    to fetch a whole batch at once; the DataLoader then calls it instead of indexing
    sample by sample. ``dataset_a + dataset_b`` concatenates."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Iterable-style dataset: subclasses implement ``__iter__``. With worker processes
    every worker holds its own copy and iterates it completely, so a dataset that
    must not be duplicated splits its stream with :func:`spindle.data.get_worker_info`.
    ``dataset_a + dataset_b`` chains the two streams."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Dataset over tensors that share their first dimension: sample ``i`` is the
    tuple ``(t[i] for t in tensors)``; each tensor has shape ``(N, ...)``."""

    def __init__(self, *tensors):
        if any(tensors[0].size(0) != tensor.size(0) for tensor in tensors):
            shapes = ", ".join(str(tuple(tensor.shape)) for tensor in tensors)
            raise AssertionError(f"Size mismatch between tensors: shapes {shapes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)


class ConcatDataset(Dataset):
    """Concatenation of map-style datasets: indices run through the first dataset,
    then the second, and so on. ``cumulative_sizes[k]`` is the total length of the
    first ``k + 1`` datasets."""

    @staticmethod
    def cumsum(sequence):
        return list(itertools.accumulate(len(dataset) for dataset in sequence))

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return self.datasets[dataset_idx][sample_idx]


class ChainDataset(IterableDataset):
    """Chains iterable datasets: iterating yields every sample of the first dataset,
    then of the second, and so on. The chaining happens lazily, per iteration."""

    def __init__(self, datasets):
        self.datasets = datasets

    def _iterable_datasets(self):
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield dataset

    def __iter__(self):
        for dataset in self._iterable_datasets():
            yield from dataset

    def __len__(self):
        return sum(len(dataset) for dataset in self._iterable_datasets())


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``subset[i]`` is
    ``dataset[indices[i]]``."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        dataset_indices = [self.indices[idx] for idx in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(dataset_indices)
        return [self.dataset[idx] for idx in dataset_indices]

    def __len__(self):
        return len(self.indices)


def _lengths_from_fractions(fractions, total):
    """Turns fractions summing to 1 into integer lengths summing to ``total``: each
    split gets ``floor(total * fraction)`` and the remainder is dealt round-robin
    from the first split on, as PyTorch does."""
    lengths = []
    for i, fraction in enumerate(fractions):
        if fraction < 0 or fraction > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths.append(math.floor(total * fraction))
    for i in range(total - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(
                f"Length of split at index {i} is 0. This might result in an empty dataset.",
                stacklevel=3,
            )
    return lengths


def random_split(dataset, lengths, generator=None):
    """Splits ``dataset`` into non-overlapping random :class:`Subset` s of the given
    ``lengths``: integers summing to ``len(dataset)``, or fractions summing to 1.
    The permutation is drawn with ``spindle.randperm(len(dataset), generator=generator)``
    (the global generator when ``generator`` is None), so a seeded generator gives
    the same split every time."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(lengths, len(dataset))
    if sum(lengths) != len(dataset):
        raise ValueError(
            "Sum of input lengths does not equal the length of the input dataset! "
            f"(lengths sum to {sum(lengths)}, dataset has {len(dataset)} samples)"
        )
    indices = spindle.randperm(sum(lengths), generator=generator).tolist()
    return [
        Subset(dataset, indices[offset - length : offset])
        for offset, length in zip(itertools.accumulate(lengths), lengths)
    ]
