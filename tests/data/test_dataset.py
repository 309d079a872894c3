"""Dataset classes and random_split (spindle.data.dataset), against PyTorch's behaviour."""
import warnings

import numpy as np
import pytest
import torch

import spindle
from spindle.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, index):
        return index * index

    def __len__(self):
        return self.n


class Stream(IterableDataset):
    def __init__(self, values):
        self.values = values

    def __iter__(self):
        return iter(self.values)

    def __len__(self):
        return len(self.values)


def test_dataset_base_requires_getitem():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]


def test_tensor_dataset_returns_rows_of_every_tensor(rng):
    features = rng.standard_normal((6, 3)).astype(np.float32)
    labels = rng.integers(0, 10, size=6)
    dataset = TensorDataset(spindle.from_numpy(features), spindle.from_numpy(labels))
    assert len(dataset) == 6
    for i in range(6):
        x, y = dataset[i]
        np.testing.assert_array_equal(x.numpy(), features[i])
        assert y.item() == labels[i]


def test_tensor_dataset_size_mismatch_names_shapes():
    with pytest.raises(AssertionError, match=r"Size mismatch between tensors.*\(4, 2\).*\(3,\)"):
        TensorDataset(spindle.zeros(4, 2), spindle.zeros(3))


def test_concat_dataset_indexes_through_parts():
    dataset = ConcatDataset([Squares(3), Squares(0), Squares(2)])
    assert len(dataset) == 5
    assert dataset.cumulative_sizes == [3, 3, 5]
    assert [dataset[i] for i in range(5)] == [0, 1, 4, 0, 1]
    assert dataset[-1] == 1 and dataset[-5] == 0
    with pytest.raises(ValueError, match="absolute value of index"):
        dataset[-6]


def test_dataset_add_concatenates():
    dataset = Squares(2) + Squares(3)
    assert isinstance(dataset, ConcatDataset)
    assert [dataset[i] for i in range(len(dataset))] == [0, 1, 0, 1, 4]


def test_concat_dataset_rejects_empty_and_iterable():
    with pytest.raises(AssertionError, match="empty"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="IterableDataset"):
        ConcatDataset([Squares(2), Stream([1])])


def test_chain_dataset_chains_streams():
    chained = Stream([1, 2]) + Stream([3])
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [1, 2, 3]
    assert len(chained) == 3
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ChainDataset([Squares(2)]))


def test_subset_maps_indices():
    subset = Subset(Squares(10), [7, 2, 5])
    assert len(subset) == 3
    assert [subset[i] for i in range(3)] == [49, 4, 25]
    assert subset.__getitems__([2, 0]) == [25, 49]


def test_random_split_integer_lengths_partition_dataset(rng):
    dataset = Squares(23)
    generator = spindle.Generator().manual_seed(int(rng.integers(2**31)))
    parts = random_split(dataset, [10, 8, 5], generator=generator)
    assert [len(part) for part in parts] == [10, 8, 5]
    indices = [index for part in parts for index in part.indices]
    assert sorted(indices) == list(range(23))
    assert all(part.dataset is dataset for part in parts)


@pytest.mark.parametrize(
    "size, fractions",
    [(10, [0.5, 0.5]), (11, [0.3, 0.3, 0.4]), (7, [0.1, 0.2, 0.7]), (100, [1 / 3, 1 / 3, 1 / 3])],
)
def test_random_split_fraction_lengths_match_torch(size, fractions):
    ours = random_split(Squares(size), fractions, generator=spindle.Generator().manual_seed(0))
    theirs = torch.utils.data.random_split(range(size), fractions, generator=torch.Generator().manual_seed(0))
    assert [len(part) for part in ours] == [len(part) for part in theirs]


def test_random_split_is_deterministic_per_generator_seed(rng):
    seed = int(rng.integers(2**31))

    def split(split_seed):
        parts = random_split(Squares(40), [20, 20], generator=spindle.Generator().manual_seed(split_seed))
        return [list(part.indices) for part in parts]

    assert split(seed) == split(seed)
    assert split(seed) != split(seed + 1)


def test_random_split_uses_global_generator_without_generator(rng):
    seed = int(rng.integers(2**31))
    spindle.manual_seed(seed)
    first = [list(part.indices) for part in random_split(Squares(30), [15, 15])]
    spindle.manual_seed(seed)
    second = [list(part.indices) for part in random_split(Squares(30), [15, 15])]
    assert first == second


def test_random_split_errors():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(Squares(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        random_split(Squares(10), [0.5, 1.2, -0.7])


def test_random_split_warns_about_empty_split():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parts = random_split(Squares(2), [0.1, 0.1, 0.8])
    assert [len(part) for part in parts] == [1, 0, 1]
    assert any("Length of split at index 1 is 0" in str(warning.message) for warning in caught)
