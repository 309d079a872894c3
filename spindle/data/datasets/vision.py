"""Base class of the image classification datasets (torchvision's ``VisionDataset``)."""

import os

from spindle.data.dataset import Dataset

__all__ = ["VisionDataset"]


class VisionDataset(Dataset):
    """An image classification dataset stored under ``root``: subclasses define
    ``classes`` and ``_raw_sample(index) -> (image, label)``; indexing applies
    ``transform`` to the image and ``target_transform`` to the label when given."""

    classes = []

    def __init__(self, root, transform=None, target_transform=None):
        self.root = os.path.expanduser(os.fspath(root))
        self.transform = transform
        self.target_transform = target_transform

    @property
    def class_to_idx(self):
        return {name: index for index, name in enumerate(self.classes)}

    def _raw_sample(self, index):
        raise NotImplementedError

    def __getitem__(self, index):
        image, target = self._raw_sample(index)
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target
