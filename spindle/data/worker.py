"""The DataLoader worker process: its seeding, its loop, and how it reports results
and failures to the main process (PyTorch's ``torch.utils.data._utils.worker``).

A worker reads ``(task_index, sampler_output)`` from its own index queue, fetches and
collates the batch, and puts ``(task_index, batch)`` on the result queue shared by all
workers. An exception is sent back as an :class:`ExceptionWrapper` holding its
traceback text, re-raised in the main process. ``None`` on the index queue stops the
worker; a :class:`ResumeIteration` restarts it for a new epoch (persistent workers).
"""

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy

import spindle
from spindle.data.fetch import IterableDatasetFetcher, create_fetcher

__all__ = ["WorkerInfo", "get_worker_info"]

# Seconds an idle worker waits for a request before checking that it should still run.
IDLE_CHECK_INTERVAL = 0.25

_worker_info = None


@dataclass(frozen=True)
class WorkerInfo:
    """Describes the current DataLoader worker: its ``id`` in ``[0, num_workers)``,
    ``num_workers``, the ``seed`` it was given (``base_seed + id``) and its own copy
    of the ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """The :class:`WorkerInfo` of the calling DataLoader worker process, or None in
    the main process. An :class:`IterableDataset` uses it to give each worker a
    different share of its stream."""
    return _worker_info


@dataclass(frozen=True)
class IterableDatasetStopIteration:
    """Sent by a worker whose copy of an iterable dataset is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class ResumeIteration:
    """Sent to a persistent worker to start a new epoch; echoed back as acknowledgement."""


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process as its type and
    formatted traceback (traceback objects cannot be pickled)."""

    def __init__(self, where):
        exc_type, exc_value, exc_traceback = sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc_value, exc_traceback))
        self.where = where

    def reraise(self):
        """Raises the worker's exception type with a message that starts with
        ``Caught <Type> in DataLoader worker process <id>.`` followed by the worker's
        original traceback; types that cannot be built from one string message
        become a RuntimeError with the same text."""
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            # KeyError shows repr() of its argument, which would print the traceback as one line.
            message = _KeyErrorMessage(message)
        try:
            exception = self.exc_type(message)
        except Exception:
            raise RuntimeError(message) from None
        raise exception


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


def seed_worker_random_state(base_seed, worker_id):
    """Seeds Python's ``random``, spindle's global generator and NumPy's global
    generator in worker ``worker_id`` exactly as PyTorch does: the first two with
    ``base_seed + worker_id``, NumPy with a 128-bit state hashed from both (NumPy's
    own SeedSequence, which is what PyTorch reimplements), so that no two workers
    or libraries share a stream. Returns the worker seed."""
    seed = base_seed + worker_id
    random.seed(seed)
    spindle.manual_seed(seed)
    low_mask = 0xFFFFFFFF
    entropy = [worker_id, base_seed & low_mask, base_seed >> 32, 0]
    numpy.random.seed(numpy.random.SeedSequence(entropy).generate_state(4))
    return seed


def worker_loop(
    dataset,
    index_queue,
    result_queue,
    done_event,
    auto_collation,
    collate_fn,
    drop_last,
    base_seed,
    worker_init_fn,
    worker_id,
    num_workers,
):
    """Body of worker process ``worker_id``: seeds its random state, calls
    ``worker_init_fn(worker_id)``, then serves fetch requests until told to stop or
    until the main process dies."""
    global _worker_info
    try:
        seed = seed_worker_random_state(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        # A failing init is reported with the first request, where the main process waits for it.
        init_exception = None
        try:
            if worker_init_fn is not None:
                worker_init_fn(worker_id)
            fetcher = create_fetcher(dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        iteration_end = False
        parent_pid = os.getppid()
        while os.getppid() == parent_pid:
            try:
                request = index_queue.get(timeout=IDLE_CHECK_INTERVAL)
            except queue.Empty:
                # The stop request (None) can be lost when the main process stops the
                # workers from a garbage collection that has already closed the index
                # queue's feeder thread; the shared event is always seen.
                if done_event.is_set():
                    break
                continue
            if isinstance(request, ResumeIteration):
                result_queue.put((request, None))
                iteration_end = False
                fetcher = create_fetcher(dataset, auto_collation, collate_fn, drop_last)
                continue
            if request is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            task_index, possibly_batched_index = request
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(possibly_batched_index)
                except Exception as error:
                    if isinstance(error, StopIteration) and isinstance(fetcher, IterableDatasetFetcher):
                        data = IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            result_queue.put((task_index, data))
            del data, request
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        # The main process no longer reads results: do not block exit flushing them.
        result_queue.cancel_join_thread()
        result_queue.close()
