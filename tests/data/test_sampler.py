"""Samplers (spindle.data.sampler): orders, lengths, determinism and argument checks."""
import collections

import pytest
import torch

import spindle
from spindle.data import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def seeded_generator(seed):
    return spindle.Generator().manual_seed(seed)


def test_sequential_sampler():
    sampler = SequentialSampler(range(7))
    assert list(sampler) == list(range(7))
    assert len(sampler) == 7


def test_random_sampler_without_replacement_is_a_permutation():
    sampler = RandomSampler(range(50))
    order = list(sampler)
    assert sorted(order) == list(range(50))
    assert len(sampler) == 50
    assert all(isinstance(index, int) for index in order)


def test_random_sampler_more_samples_than_data_repeats_whole_permutations():
    sampler = RandomSampler(range(4), num_samples=10)
    order = list(sampler)
    assert len(order) == len(sampler) == 10
    assert sorted(order[:4]) == sorted(order[4:8]) == [0, 1, 2, 3]
    assert len(set(order[8:])) == 2


def test_random_sampler_with_replacement(rng):
    num_samples = int(rng.integers(33, 100))
    sampler = RandomSampler(range(5), replacement=True, num_samples=num_samples)
    order = list(sampler)
    assert len(order) == len(sampler) == num_samples
    assert set(order) <= set(range(5))
    # 70+ draws from 5 values without a repeat are impossible: replacement really happens.
    assert len(set(order)) < len(order)


@pytest.mark.parametrize("replacement", [False, True])
def test_random_sampler_generator_seed_fixes_order(rng, replacement):
    seed = int(rng.integers(2**31))

    def order(generator_seed):
        return list(RandomSampler(range(40), replacement=replacement, generator=seeded_generator(generator_seed)))

    assert order(seed) == order(seed)
    assert order(seed) != order(seed + 1)


def test_random_sampler_global_seed_fixes_order(rng):
    seed = int(rng.integers(2**31))
    spindle.manual_seed(seed)
    first = list(RandomSampler(range(30)))
    spindle.manual_seed(seed)
    assert list(RandomSampler(range(30))) == first


def test_random_sampler_reshuffles_every_iteration():
    sampler = RandomSampler(range(40), generator=seeded_generator(3))
    assert list(sampler) != list(sampler)


def test_random_sampler_argument_errors():
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="num_samples=0"):
        RandomSampler([])


def test_subset_random_sampler_permutes_given_indices(rng):
    indices = [int(i) for i in rng.choice(1000, size=20, replace=False)]
    seed = int(rng.integers(2**31))
    sampler = SubsetRandomSampler(indices, generator=seeded_generator(seed))
    order = list(sampler)
    assert sorted(order) == sorted(indices)
    assert len(sampler) == 20
    assert order == list(SubsetRandomSampler(indices, generator=seeded_generator(seed)))


def test_weighted_random_sampler_follows_weights():
    weights = [1.0, 0.0, 3.0, 6.0]
    draws = list(WeightedRandomSampler(weights, num_samples=20000))
    counts = collections.Counter(draws)
    assert counts[1] == 0
    for index, weight in enumerate(weights):
        # Binomial standard deviation is below 0.004 here; 0.02 is five of them.
        assert abs(counts[index] / 20000 - weight / 10) < 0.02


def test_weighted_random_sampler_without_replacement_draws_distinct():
    draws = list(WeightedRandomSampler([0.5, 2.0, 1.0, 0.1, 3.0], num_samples=5, replacement=False))
    assert sorted(draws) == [0, 1, 2, 3, 4]


def test_weighted_random_sampler_generator_seed_fixes_draws(rng):
    seed = int(rng.integers(2**31))

    def draws(generator_seed):
        return list(WeightedRandomSampler([1.0, 2.0, 3.0], 50, generator=seeded_generator(generator_seed)))

    assert draws(seed) == draws(seed)
    assert draws(seed) != draws(seed + 1)


def test_weighted_random_sampler_argument_errors():
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence but given weights have shape \(2, 2\)"):
        WeightedRandomSampler([[1.0, 2.0], [3.0, 4.0]], 3)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        WeightedRandomSampler([1.0], True)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        WeightedRandomSampler([1.0], 1, replacement="yes")


@pytest.mark.parametrize("size, batch_size", [(10, 3), (9, 3), (2, 5), (0, 4)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_torch(size, batch_size, drop_last):
    ours = BatchSampler(SequentialSampler(range(size)), batch_size, drop_last)
    theirs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(size)), batch_size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)


def test_batch_sampler_argument_errors():
    for bad_size in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
            BatchSampler(range(3), bad_size, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 0)
