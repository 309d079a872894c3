"""DataLoader in the main process (num_workers=0): batching, order, shuffling,
determinism, lengths, iterable datasets and argument checks."""
import math
import warnings

import numpy as np
import pytest
import torch

import spindle
from spindle.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    TensorDataset,
)


class Identity(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, index):
        return index

    def __len__(self):
        return self.n


class Counting(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def flatten(batches):
    return [index for batch in batches for index in batch.tolist()]


def test_batches_in_order_without_shuffle(rng):
    features = rng.standard_normal((10, 3)).astype(np.float32)
    labels = rng.integers(0, 5, size=10)
    loader = DataLoader(TensorDataset(spindle.from_numpy(features), spindle.from_numpy(labels)), batch_size=4)
    batches = list(loader)
    assert len(batches) == len(loader) == 3
    for number, (x, y) in enumerate(batches):
        np.testing.assert_array_equal(x.numpy(), features[4 * number : 4 * number + 4])
        np.testing.assert_array_equal(y.numpy(), labels[4 * number : 4 * number + 4])
    assert tuple(batches[-1][0].shape) == (2, 3)


def test_shuffle_gives_a_new_permutation_each_epoch():
    loader = DataLoader(Identity(60), batch_size=7, shuffle=True)
    first, second = flatten(loader), flatten(loader)
    assert sorted(first) == sorted(second) == list(range(60))
    assert first != second


def test_generator_seed_fixes_shuffle_order(rng):
    seed = int(rng.integers(2**31))

    def order(generator_seed):
        generator = spindle.Generator().manual_seed(generator_seed)
        return flatten(DataLoader(Identity(50), batch_size=8, shuffle=True, generator=generator))

    assert order(seed) == order(seed)
    assert order(seed) != order(seed + 1)


def test_global_seed_fixes_shuffle_order(rng):
    seed = int(rng.integers(2**31))
    loader = DataLoader(Identity(50), batch_size=8, shuffle=True)
    spindle.manual_seed(seed)
    first = flatten(loader)
    spindle.manual_seed(seed)
    assert flatten(loader) == first


@pytest.mark.parametrize("size, batch_size", [(10, 3), (12, 4), (3, 5), (1, 1)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_len_and_drop_last_match_torch(size, batch_size, drop_last):
    loader = DataLoader(Identity(size), batch_size=batch_size, drop_last=drop_last)
    reference = torch.utils.data.DataLoader(range(size), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(reference)
    assert [batch.tolist() for batch in loader] == [batch.tolist() for batch in reference]


def test_batch_sampler_defines_batches():
    batches = [[4, 0], [1, 2, 3], [5]]
    loader = DataLoader(Identity(6), batch_sampler=batches)
    assert [batch.tolist() for batch in loader] == batches
    assert len(loader) == 3
    assert loader.batch_size is None


def test_sampler_defines_order():
    loader = DataLoader(Identity(6), batch_size=2, sampler=[5, 3, 1, 0, 2, 4])
    assert [batch.tolist() for batch in loader] == [[5, 3], [1, 0], [2, 4]]


def test_batch_size_none_converts_samples_without_batching(rng):
    arrays = [rng.standard_normal(3) for _ in range(4)]

    class Arrays(Dataset):
        def __getitem__(self, index):
            return arrays[index]

        def __len__(self):
            return len(arrays)

    samples = list(DataLoader(Arrays(), batch_size=None))
    assert len(samples) == 4
    for sample, array in zip(samples, arrays):
        assert isinstance(sample, spindle.Tensor)
        np.testing.assert_array_equal(sample.numpy(), array)


def test_collate_fn_receives_the_list_of_samples():
    loader = DataLoader(Identity(5), batch_size=2, collate_fn=lambda samples: tuple(samples))
    assert list(loader) == [(0, 1), (2, 3), (4,)]


def test_getitems_fetches_whole_batches():
    class Batched(Identity):
        def __getitems__(self, indices):
            return [10 * index for index in indices]

    assert [batch.tolist() for batch in DataLoader(Batched(5), batch_size=2)] == [[0, 10], [20, 30], [40]]


@pytest.mark.parametrize("drop_last", [False, True])
def test_iterable_dataset_batches_and_len(drop_last):
    loader = DataLoader(Counting(10), batch_size=4, drop_last=drop_last)
    batches = [batch.tolist() for batch in loader]
    expected = [[0, 1, 2, 3], [4, 5, 6, 7]] + ([] if drop_last else [[8, 9]])
    assert batches == expected
    assert len(loader) == (2 if drop_last else math.ceil(10 / 4))


def test_iterable_dataset_longer_than_reported_warns():
    class Liar(Counting):
        def __len__(self):
            return 2

    loader = DataLoader(Liar(4), batch_size=1)
    assert len(loader) == 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert len(list(loader)) == 4
    assert any("was reported to be 2" in str(warning.message) for warning in caught)


def test_pin_memory_warns_and_loads_unpinned():
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but"):
        batches = [batch.tolist() for batch in DataLoader(Identity(3), batch_size=2, pin_memory=True)]
    assert batches == [[0, 1], [2]]


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"num_workers": -1}, "num_workers option should be non-negative"),
        ({"timeout": -1}, "timeout option should be non-negative"),
        ({"prefetch_factor": 2}, "prefetch_factor option could only be specified in multiprocessing"),
        ({"num_workers": 1, "prefetch_factor": -1}, "prefetch_factor option should be non-negative"),
        ({"num_workers": 1, "prefetch_factor": 0}, "prefetch_factor option should be positive"),
        ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
        ({"sampler": [0, 1], "shuffle": True}, "sampler option is mutually exclusive with shuffle"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually exclusive"),
        ({"batch_size": None, "drop_last": True}, "batch_size=None option disables auto-batching"),
        ({"multiprocessing_context": "fork"}, "multiprocessing_context can only be used with multi-process"),
        ({"num_workers": 1, "multiprocessing_context": "teleport"}, "should specify a valid start method"),
    ],
)
def test_argument_errors(arguments, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(Identity(4), **arguments)


def test_bad_multiprocessing_context_type():
    with pytest.raises(TypeError, match="multiprocessing_context option should be a valid context"):
        DataLoader(Identity(4), num_workers=1, multiprocessing_context=3)


@pytest.mark.parametrize(
    "arguments, option",
    [({"shuffle": True}, "shuffle"), ({"sampler": [0]}, "sampler"), ({"batch_sampler": [[0]]}, "batch_sampler")],
)
def test_iterable_dataset_rejects_order_options(arguments, option):
    with pytest.raises(ValueError, match=f"DataLoader with IterableDataset: expected unspecified {option} option"):
        DataLoader(Counting(4), **arguments)


def test_attributes_are_frozen_after_init():
    loader = DataLoader(Identity(4), batch_size=2)
    for attribute in ("batch_size", "sampler", "batch_sampler", "drop_last", "dataset", "persistent_workers"):
        with pytest.raises(ValueError, match=f"{attribute} attribute should not be set after DataLoader is initialized"):
            setattr(loader, attribute, None)
    loader.num_workers = 0  # not frozen, as in PyTorch


def test_default_samplers():
    assert isinstance(DataLoader(Identity(4)).sampler, SequentialSampler)
    assert isinstance(DataLoader(Identity(4)).batch_sampler, BatchSampler)
    assert isinstance(DataLoader(Identity(4), shuffle=True).sampler, spindle.data.RandomSampler)
