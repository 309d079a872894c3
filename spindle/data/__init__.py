"""Data loading (PyTorch's ``torch.utils.data``, also importable as
``spindle.utils.data``): datasets and their combinators, samplers, collation and the
:class:`DataLoader` with worker processes; readers of standard dataset files in
:mod:`spindle.data.datasets` and image transforms in :mod:`spindle.data.transforms`.
"""

from spindle.data import datasets, transforms
from spindle.data.collate import default_collate, default_convert
from spindle.data.dataloader import DataLoader
from spindle.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from spindle.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from spindle.data.worker import WorkerInfo, get_worker_info

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "datasets",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
    "transforms",
]
