"""Fetchers: turn what the DataLoader's sampler yields (an index, or a list of indices
when batching) into a collated batch. Shared by the in-process loader and the
worker processes."""

from spindle.data.dataset import IterableDataset


class MapDatasetFetcher:
    """Fetches from a map-style dataset: ``dataset[index]``, or for a list of indices
    ``dataset.__getitems__(indices)`` when defined, else one ``dataset[i]`` per index;
    then applies ``collate_fn``."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn

    def fetch(self, possibly_batched_index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[possibly_batched_index])
        if callable(getattr(self.dataset, "__getitems__", None)):
            samples = self.dataset.__getitems__(possibly_batched_index)
        else:
            samples = [self.dataset[index] for index in possibly_batched_index]
        return self.collate_fn(samples)


class IterableDatasetFetcher:
    """Fetches from an iterable dataset: the next sample, or as many samples as the
    batch of placeholder indices asks for. Raises ``StopIteration`` once the stream
    is exhausted (or, with ``drop_last``, when only a partial batch is left)."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, possibly_batched_index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        samples = []
        for _ in possibly_batched_index:
            try:
                samples.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if len(samples) == 0 or (self.drop_last and len(samples) < len(possibly_batched_index)):
            raise StopIteration
        return self.collate_fn(samples)


def create_fetcher(dataset, auto_collation, collate_fn, drop_last):
    """The fetcher that suits ``dataset`` (iterable-style or map-style)."""
    fetcher_class = IterableDatasetFetcher if isinstance(dataset, IterableDataset) else MapDatasetFetcher
    return fetcher_class(dataset, auto_collation, collate_fn, drop_last)
