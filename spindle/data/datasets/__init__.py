"""Readers of standard datasets from local files (no downloading): MNIST,
Fashion-MNIST and CIFAR-10 with torchvision's interfaces, and text corpora for
language modelling."""

from spindle.data.datasets.cifar import CIFAR10
from spindle.data.datasets.files import DatasetNotFoundError
from spindle.data.datasets.mnist import MNIST, FashionMNIST
from spindle.data.datasets.text import Corpus, Dictionary, Vocabulary, batchify, get_batch, standard_library_text
from spindle.data.datasets.vision import VisionDataset

__all__ = [
    "CIFAR10",
    "Corpus",
    "DatasetNotFoundError",
    "Dictionary",
    "FashionMNIST",
    "MNIST",
    "VisionDataset",
    "Vocabulary",
    "batchify",
    "get_batch",
    "standard_library_text",
]
