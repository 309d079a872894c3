"""The DataLoader (PyTorch's ``torch.utils.data.DataLoader``): iterates a dataset in
batches, in the main process or with worker processes.

With ``num_workers > 0`` every worker gets its own index queue; the main process
keeps ``prefetch_factor * num_workers`` tasks outstanding, hands them to the workers
round-robin, and returns results strictly in task order however they arrive on the
shared result queue. While it waits it checks every few hundredths of a second that
the workers are alive, so a crashed worker raises instead of hanging.
"""

import atexit
import itertools
import math
import multiprocessing
import os
import queue
import sys
import time
import warnings
from typing import Generic, TypeVar

from spindle.data.collate import default_collate, default_convert
from spindle.data.dataset import IterableDataset
from spindle.data.fetch import create_fetcher
from spindle.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, draw_seed
from spindle.data.worker import ExceptionWrapper, IterableDatasetStopIteration, ResumeIteration, worker_loop

__all__ = ["DataLoader"]

# Seconds the main process waits on the result queue between checks that workers are alive.
WORKER_CHECK_INTERVAL = 0.05

# Seconds given to a worker to exit after being told to stop, before it is terminated.
WORKER_JOIN_TIMEOUT = 5.0

_python_exiting = False


def _mark_python_exiting():
    # At interpreter exit multiprocessing terminates daemon workers itself and module
    # globals may already be gone: iterators then skip their own cleanup.
    global _python_exiting
    _python_exiting = True


atexit.register(_mark_python_exiting)

_SampleType = TypeVar("_SampleType", covariant=True)


class _InfiniteConstantSampler(Sampler):
    """The sampler of an iterable dataset: yields None forever; the dataset's own
    iterator decides where the epoch ends."""

    def __iter__(self):
        while True:
            yield None


def _default_context():
    # Forking is much faster than spawning and needs nothing picklable; on other
    # platforms fork is unavailable or unsafe, so the platform default is used.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


class DataLoader(Generic[_SampleType]):
    """Combines a dataset and a sampler into an iterable over batches.

    ``batch_size`` samples (drawn in order, or shuffled with ``shuffle=True``, or as
    ``sampler``/``batch_sampler`` dictate) are merged by ``collate_fn`` (default:
    :func:`default_collate`, which stacks ``(B, ...)`` tensors). ``batch_size=None``
    turns batching off. ``num_workers > 0`` loads in that many worker processes,
    each seeded from one base seed drawn from ``generator`` (or the global generator),
    ``worker_init_fn(worker_id)`` run in each; ``prefetch_factor`` batches per worker
    are kept in flight (default 2), ``timeout`` seconds bound each wait for a batch,
    and ``persistent_workers`` keeps the workers between epochs. Iterable datasets
    are supported; each worker iterates its own copy.
    """

    __initialized = False

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=None,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        timeout=0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor=None,
        persistent_workers=False,
    ):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing. "
                "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if num_workers > 0 and prefetch_factor == 0:
            # PyTorch only fails later, with an AssertionError, when iteration starts.
            raise ValueError("prefetch_factor option should be positive with num_workers > 0")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context

        self._is_iterable_dataset = isinstance(dataset, IterableDataset)
        if self._is_iterable_dataset:
            if shuffle not in {False, None}:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                    f"but got batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
            )

        if sampler is None:
            if self._is_iterable_dataset:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        # len(dataset) as last reported through len(loader), to warn when an iterable dataset yields more.
        self._IterableDataset_len_called = None
        self._iterator = None

    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, multiprocessing_context):
        if multiprocessing_context is not None:
            if self.num_workers == 0:
                raise ValueError(
                    "multiprocessing_context can only be used with multi-process loading "
                    f"(num_workers > 0), but got num_workers={self.num_workers}"
                )
            if isinstance(multiprocessing_context, str):
                valid_start_methods = multiprocessing.get_all_start_methods()
                if multiprocessing_context not in valid_start_methods:
                    raise ValueError(
                        "multiprocessing_context option should specify a valid start method in "
                        f"{valid_start_methods!r}, but got multiprocessing_context={multiprocessing_context!r}"
                    )
                multiprocessing_context = multiprocessing.get_context(multiprocessing_context)
            if not isinstance(multiprocessing_context, multiprocessing.context.BaseContext):
                raise TypeError(
                    "multiprocessing_context option should be a valid context object or a string "
                    f"specifying the start method, but got multiprocessing_context={multiprocessing_context}"
                )
        self.__multiprocessing_context = multiprocessing_context

    def __setattr__(self, attr, value):
        if self.__initialized and attr in (
            "batch_size",
            "batch_sampler",
            "sampler",
            "drop_last",
            "dataset",
            "persistent_workers",
        ):
            raise ValueError(f"{attr} attribute should not be set after {self.__class__.__name__} is initialized")
        super().__setattr__(attr, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        # What the iterator draws from: lists of indices when batching, single indices otherwise.
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self):
        """Number of batches: ``len(batch_sampler)`` (or ``len(sampler)`` without
        batching); for an iterable dataset, ``len(dataset)`` divided by ``batch_size``,
        rounded down with ``drop_last`` and up otherwise."""
        if not self._is_iterable_dataset:
            return len(self._index_sampler)
        length = self._IterableDataset_len_called = len(self.dataset)
        if self.batch_size is not None:
            length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
        return length


class _BaseDataLoaderIter:
    """State shared by both iterators: the sampler iterator, the base seed drawn for
    this epoch, and the count of batches yielded."""

    def __init__(self, loader):
        self._dataset = loader.dataset
        self._is_iterable_dataset = loader._is_iterable_dataset
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._persistent_workers = loader.persistent_workers
        if loader.pin_memory:
            # Spindle tensors have no page-locked host memory yet; PyTorch likewise
            # warns and loads unpinned when it cannot pin.
            warnings.warn(
                "'pin_memory' argument is set as true but spindle has no page-locked host memory, "
                "then device pinned memory won't be used.",
                stacklevel=3,
            )
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = draw_seed(loader.generator)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def __iter__(self):
        return self

    def _reset(self, loader):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self):
        return next(self._sampler_iter)

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        if (
            self._is_iterable_dataset
            and self._IterableDataset_len_called is not None
            and self._num_yielded > self._IterableDataset_len_called
        ):
            message = (
                f"Length of IterableDataset {self._dataset} was reported to be {self._IterableDataset_len_called} "
                f"(when accessing len(dataloader)), but {self._num_yielded} samples have been fetched."
            )
            if self._num_workers > 0:
                message += (
                    " For multiprocessing data-loading, this could be caused by not properly configuring "
                    "the IterableDataset replica at each worker (see spindle.data.get_worker_info)."
                )
            warnings.warn(message, stacklevel=2)
        return data

    def __len__(self):
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{self.__class__.__name__} cannot be pickled")


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    """Loads every batch in the calling process."""

    def __init__(self, loader):
        super().__init__(loader)
        self._dataset_fetcher = create_fetcher(self._dataset, self._auto_collation, self._collate_fn, self._drop_last)

    def _next_data(self):
        index = self._next_index()
        return self._dataset_fetcher.fetch(index)


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Loads batches in ``num_workers`` worker processes and returns them in order.

    Task ``k`` (the ``k``-th output of the index sampler) goes to the next active
    worker in round-robin order. ``_task_info[k]`` is ``(worker_id,)`` while the task
    is outstanding and ``(worker_id, data)`` once its result arrived ahead of turn.
    """

    def __init__(self, loader):
        # Set first so that __del__ works even if starting the workers fails.
        self._shutdown = False
        self._workers = []
        self._owner_pid = os.getpid()
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        context = loader.multiprocessing_context or _default_context()
        self._worker_result_queue = context.Queue()
        self._workers_done_event = context.Event()
        self._index_queues = []
        self._workers_status = []
        for worker_id in range(self._num_workers):
            index_queue = context.Queue()
            # Requests still unread when the loader stops are garbage: do not wait to flush them.
            index_queue.cancel_join_thread()
            worker = context.Process(
                target=worker_loop,
                args=(
                    self._dataset,
                    index_queue,
                    self._worker_result_queue,
                    self._workers_done_event,
                    self._auto_collation,
                    self._collate_fn,
                    self._drop_last,
                    self._base_seed,
                    loader.worker_init_fn,
                    worker_id,
                    self._num_workers,
                ),
            )
            worker.daemon = True
            worker.start()
            self._index_queues.append(index_queue)
            self._workers.append(worker)
            self._workers_status.append(True)
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        super()._reset(loader)
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info = {}
        self._workers_status = [True] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # Persistent workers: restart every worker and drop results of the previous
            # epoch still in flight until each has acknowledged.
            for index_queue in self._index_queues:
                index_queue.put(ResumeIteration())
            remaining_acknowledgements = self._num_workers
            while remaining_acknowledgements > 0:
                task_index, _ = self._get_data()
                if isinstance(task_index, ResumeIteration):
                    remaining_acknowledgements -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_get_data(self, timeout):
        """``(True, message)`` from the result queue, or ``(False, None)`` after
        ``timeout`` seconds. Raises RuntimeError if a worker died meanwhile."""
        try:
            return True, self._worker_result_queue.get(timeout=timeout)
        except Exception as error:
            dead_worker_ids = [
                worker_id
                for worker_id, worker in enumerate(self._workers)
                if self._workers_status[worker_id] and not worker.is_alive()
            ]
            for worker_id in dead_worker_ids:
                self._mark_worker_as_unavailable(worker_id)
            if dead_worker_ids:
                pids = ", ".join(str(self._workers[worker_id].pid) for worker_id in dead_worker_ids)
                exit_codes = ", ".join(str(self._workers[worker_id].exitcode) for worker_id in dead_worker_ids)
                raise RuntimeError(
                    f"DataLoader worker (pid(s) {pids}) exited unexpectedly (exit code(s) {exit_codes})"
                ) from error
            if isinstance(error, queue.Empty):
                return False, None
            raise

    def _get_data(self):
        """The next message from the workers, waiting at most ``timeout`` seconds when
        the loader has one (RuntimeError after that), indefinitely otherwise."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = WORKER_CHECK_INTERVAL
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            success, data = self._try_get_data(wait)
            if success:
                return data
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _next_data(self):
        while True:
            # Skip tasks whose worker ended its share of an iterable dataset before serving them.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info:
                    worker_id = info[0]
                    if len(info) == 2 or self._workers_status[worker_id]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration

            if len(self._task_info[self._rcvd_idx]) == 2:
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

            task_index, data = self._get_data()
            if isinstance(data, IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if task_index != self._rcvd_idx:
                self._task_info[task_index] += (data,)
            else:
                worker_id = self._task_info.pop(task_index)[0]
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

    def _try_put_index(self):
        """Sends the sampler's next output to the next active worker, if both exist."""
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._send_idx += 1

    def _process_data(self, data, worker_id):
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _mark_worker_as_unavailable(self, worker_id):
        # None tells the worker to exit once it has read its pending requests.
        self._index_queues[worker_id].put(None)
        self._workers_status[worker_id] = False

    def _shutdown_workers(self):
        """Stops every worker: asks politely, waits a little, then terminates."""
        # A forked worker inherits copies of the iterators alive at fork time; when its
        # garbage collector finalizes one, the workers are not its own to stop.
        if _python_exiting or self._shutdown or not self._workers or os.getpid() != self._owner_pid:
            return
        self._shutdown = True
        try:
            self._workers_done_event.set()
            for worker_id in range(len(self._workers)):
                if self._persistent_workers or self._workers_status[worker_id]:
                    self._mark_worker_as_unavailable(worker_id)
            for worker in self._workers:
                worker.join(timeout=WORKER_JOIN_TIMEOUT)
            for index_queue in self._index_queues:
                index_queue.cancel_join_thread()
                index_queue.close()
        finally:
            for worker in self._workers:
                if worker.is_alive():
                    worker.terminate()
                    worker.join(timeout=WORKER_JOIN_TIMEOUT)

    def __del__(self):
        self._shutdown_workers()
