"""DataLoader with worker processes: same batches as in-process loading, worker
seeding and init, errors and crashes in workers, timeouts, persistent workers,
iterable datasets, and shutdown. Every test runs under `hang_guard`."""
import gc
import os
import random
import signal
import time

import numpy as np
import pytest
from torch.utils.data._utils.worker import _generate_state

import spindle
from spindle.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info

pytestmark = pytest.mark.usefixtures("hang_guard")


class Identity(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, index):
        return index

    def __len__(self):
        return self.n


class FailingAt(Identity):
    """Raises `error` when asked for index `bad_index`."""

    def __init__(self, n, bad_index, error):
        super().__init__(n)
        self.bad_index = bad_index
        self.error = error

    def __getitem__(self, index):
        if index == self.bad_index:
            raise self.error
        return index


class DyingAt(Identity):
    """The worker process that is asked for `bad_index` dies with `kill(pid)`."""

    def __init__(self, n, bad_index, kill):
        super().__init__(n)
        self.bad_index = bad_index
        self.kill = kill

    def __getitem__(self, index):
        if index == self.bad_index:
            self.kill(os.getpid())
        return index


def exit_abruptly(pid):
    os._exit(1)


def kill_with_sigkill(pid):
    os.kill(pid, signal.SIGKILL)


class SlowAt(Identity):
    def __getitem__(self, index):
        if index == 1:
            time.sleep(1)
        return index


class WorkerReport(Identity):
    """Each sample tells which process, worker and init tag produced it."""

    tag = -1

    def __getitem__(self, index):
        info = get_worker_info()
        return {"index": index, "pid": os.getpid(), "worker": info.id, "tag": self.tag}


def tag_dataset(worker_id):
    get_worker_info().dataset.tag = 100 + worker_id


class RandomState(Identity):
    """The worker's seeds and first draws from each random library."""

    def __getitem__(self, index):
        info = get_worker_info()
        return {
            "worker": info.id,
            "seed": info.seed,
            "initial_seed": spindle.initial_seed(),
            "python": random.random(),
            "numpy": float(np.random.random()),
            "spindle": spindle.rand(1).item(),
        }


class ShardedRange(IterableDataset):
    """Yields range(n), split into contiguous shards across workers."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        per_worker = -(-self.n // info.num_workers)
        start = info.id * per_worker
        return iter(range(start, min(start + per_worker, self.n)))


class UnshardedRange(ShardedRange):
    def __iter__(self):
        return iter(range(self.n))


def batches_as_lists(loader):
    return [batch.tolist() for batch in loader]


def test_two_workers_give_the_same_batches_as_zero(rng):
    features = spindle.from_numpy(rng.standard_normal((23, 4)).astype(np.float32))
    labels = spindle.from_numpy(rng.integers(0, 3, size=23))
    dataset = TensorDataset(features, labels)
    seed = int(rng.integers(2**31))

    def load(num_workers):
        generator = spindle.Generator().manual_seed(seed)
        loader = DataLoader(dataset, batch_size=5, shuffle=True, num_workers=num_workers, generator=generator)
        return [(x.numpy(), y.numpy()) for x, y in loader]

    in_process, with_workers = load(0), load(2)
    assert len(in_process) == len(with_workers) == 5
    for (x0, y0), (x2, y2) in zip(in_process, with_workers):
        assert x2.dtype == np.float32 and y2.dtype == np.int64
        np.testing.assert_array_equal(x0, x2)
        np.testing.assert_array_equal(y0, y2)


@pytest.mark.parametrize("prefetch_factor", [1, 3])
def test_prefetch_factor_bounds_outstanding_tasks(prefetch_factor):
    loader = DataLoader(Identity(40), batch_size=2, num_workers=2, prefetch_factor=prefetch_factor)
    iterator = iter(loader)
    assert len(iterator._task_info) == 2 * prefetch_factor
    assert [batch.tolist() for batch in iterator] == [[i, i + 1] for i in range(0, 40, 2)]


def test_tensors_cross_processes_intact(rng):
    values = rng.standard_normal((6, 3, 2))
    dataset = TensorDataset(
        spindle.from_numpy(values),
        spindle.from_numpy(values.astype(np.float32)).transpose(1, 2),
        spindle.from_numpy(values > 0),
    )
    for doubles, floats, flags in DataLoader(dataset, batch_size=3, num_workers=2):
        assert (doubles.dtype, floats.dtype, flags.dtype) == (spindle.float64, spindle.float32, spindle.bool)
        assert tuple(floats.shape) == (3, 2, 3)
    np.testing.assert_array_equal(doubles.numpy(), values[3:])
    np.testing.assert_array_equal(floats.numpy(), values[3:].astype(np.float32).transpose(0, 2, 1))
    np.testing.assert_array_equal(flags.numpy(), values[3:] > 0)


def test_worker_init_fn_runs_in_each_worker_with_its_id():
    assert get_worker_info() is None
    loader = DataLoader(WorkerReport(12), batch_size=2, num_workers=2, worker_init_fn=tag_dataset)
    batches = list(loader)
    assert [index for batch in batches for index in batch["index"].tolist()] == list(range(12))
    pids = {}
    for batch in batches:
        workers, tags = batch["worker"].tolist(), batch["tag"].tolist()
        assert tags == [100 + worker for worker in workers]
        pids.setdefault(workers[0], set()).update(batch["pid"].tolist())
    assert sorted(pids) == [0, 1]
    assert os.getpid() not in pids[0] | pids[1] and pids[0] != pids[1]


def test_workers_are_seeded_like_pytorch(rng):
    seed = int(rng.integers(2**31))

    def first_draws():
        generator = spindle.Generator().manual_seed(seed)
        loader = DataLoader(RandomState(2), batch_size=None, num_workers=2, generator=generator)
        return list(loader)

    reports = first_draws()
    assert [report["worker"] for report in reports] == [0, 1]
    base_seed = reports[0]["seed"]
    for worker_id, report in enumerate(reports):
        assert report["seed"] == base_seed + worker_id == report["initial_seed"]
        assert report["python"] == random.Random(report["seed"]).random()
        expected_numpy = np.random.RandomState(_generate_state(base_seed, worker_id)).random_sample()
        assert report["numpy"] == expected_numpy
    assert reports[0]["spindle"] != reports[1]["spindle"]
    assert reports[0]["numpy"] != reports[1]["numpy"]
    assert first_draws() == reports


def test_worker_exception_is_reraised_with_its_traceback():
    loader = DataLoader(FailingAt(8, 5, ValueError("sample 5 is corrupt")), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as caught:
        list(loader)
    message = str(caught.value)
    assert message.startswith("Caught ValueError in DataLoader worker process 0.")
    assert "Original Traceback (most recent call last):" in message
    assert "in __getitem__" in message and "ValueError: sample 5 is corrupt" in message


def test_worker_key_error_message_stays_readable():
    loader = DataLoader(FailingAt(4, 1, KeyError("missing")), batch_size=None, num_workers=1)
    with pytest.raises(KeyError) as caught:
        list(loader)
    assert str(caught.value).startswith("Caught KeyError in DataLoader worker process 0.\nOriginal Traceback")


def test_worker_init_fn_exception_is_reraised():
    def broken_init(worker_id):
        raise OSError(f"cannot open shard {worker_id}")

    loader = DataLoader(Identity(4), num_workers=1, worker_init_fn=broken_init)
    with pytest.raises(OSError, match=r"Caught OSError in DataLoader worker process 0(.|\n)*cannot open shard 0"):
        list(loader)


@pytest.mark.parametrize("kill", [exit_abruptly, kill_with_sigkill])
def test_dead_worker_raises_promptly(kill):
    loader = DataLoader(DyingAt(10, 3, kill), batch_size=2, num_workers=2)
    started = time.monotonic()
    iterator = iter(loader)
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        list(iterator)
    assert time.monotonic() - started < 5
    workers = iterator._workers
    del iterator
    gc.collect()
    assert not any(worker.is_alive() for worker in workers)


def test_timeout_raises_when_a_batch_is_late():
    loader = DataLoader(SlowAt(4), batch_size=None, num_workers=1, timeout=0.3)
    iterator = iter(loader)
    assert next(iterator) == 0
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.3 seconds"):
        next(iterator)
    assert time.monotonic() - started < 2


def test_timeout_allows_batches_that_arrive_in_time():
    assert batches_as_lists(DataLoader(Identity(6), batch_size=2, num_workers=2, timeout=5)) == [[0, 1], [2, 3], [4, 5]]


def test_persistent_workers_are_reused_across_epochs():
    loader = DataLoader(WorkerReport(8), batch_size=2, num_workers=2, shuffle=True, persistent_workers=True)
    epochs = [list(loader) for _ in range(3)]
    pids = [{pid for batch in epoch for pid in batch["pid"].tolist()} for epoch in epochs]
    assert pids[0] == pids[1] == pids[2] and len(pids[0]) == 2
    orders = [[index for batch in epoch for index in batch["index"].tolist()] for epoch in epochs]
    assert all(sorted(order) == list(range(8)) for order in orders)
    workers = loader._iterator._workers
    assert all(worker.is_alive() for worker in workers)
    del loader, epochs
    gc.collect()
    assert not any(worker.is_alive() for worker in workers)


def test_persistent_workers_recover_from_an_interrupted_epoch():
    loader = DataLoader(Identity(10), batch_size=2, num_workers=2, persistent_workers=True)
    for batch in loader:
        assert batch.tolist() == [0, 1]
        break
    assert batches_as_lists(loader) == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]


def test_workers_exit_after_the_epoch_and_when_the_iterator_is_dropped():
    iterator = iter(DataLoader(Identity(6), batch_size=2, num_workers=2))
    workers = iterator._workers
    assert len(list(iterator)) == 3
    assert not any(worker.is_alive() for worker in workers)

    iterator = iter(DataLoader(Identity(60), batch_size=2, num_workers=2))
    next(iterator)
    workers = iterator._workers
    del iterator
    gc.collect()
    assert not any(worker.is_alive() for worker in workers)


@pytest.mark.parametrize("batch_size", [None, 3])
def test_iterable_dataset_sharded_across_workers(batch_size):
    loader = DataLoader(ShardedRange(17), batch_size=batch_size, num_workers=2)
    values = [value for batch in loader for value in (batch.tolist() if batch_size else [batch])]
    assert sorted(values) == list(range(17))


def test_iterable_dataset_without_sharding_is_repeated_per_worker():
    # As in PyTorch: each worker iterates its own full copy of the dataset.
    values = [value for batch in DataLoader(UnshardedRange(5), batch_size=2, num_workers=2) for value in batch.tolist()]
    assert sorted(values) == sorted(list(range(5)) * 2)


def test_iterable_dataset_with_persistent_workers_restarts_each_epoch():
    loader = DataLoader(ShardedRange(9), batch_size=2, num_workers=2, persistent_workers=True)
    for _ in range(2):
        assert sorted(value for batch in loader for value in batch.tolist()) == list(range(9))
