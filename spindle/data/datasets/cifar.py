"""CIFAR-10 read from its binary version (``cifar-10-batches-bin``), with
torchvision's ``datasets.CIFAR10`` interface but no downloading."""

import os

import numpy

from spindle.data.datasets.files import find_files
from spindle.data.datasets.vision import VisionDataset

__all__ = ["CIFAR10"]

_IMAGE_SHAPE = (3, 32, 32)
# Each record: one label byte, then the red, green and blue 32x32 planes.
_RECORD_BYTES = 1 + 3 * 32 * 32


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training or 10,000 test colour images of 32x32 pixels in 10
    classes.

    Reads ``data_batch_1.bin`` ... ``data_batch_5.bin`` (``train=True``) or
    ``test_batch.bin`` from ``root/cifar-10-batches-bin`` (or from ``root`` itself).
    As in torchvision, ``data`` is a uint8 NumPy array ``(N, 32, 32, 3)`` (HWC) and
    ``targets`` a list of ints; a sample is ``(image, label)`` with ``image`` a uint8
    ``(32, 32, 3)`` array (torchvision gives the same pixels as a PIL image), which
    ``transforms.ToTensor`` turns into a float ``(3, 32, 32)`` tensor in [0, 1].
    ``download=True`` is accepted for compatibility but cannot fetch anything.
    """

    base_folder = "cifar-10-batches-bin"
    train_list = [f"data_batch_{number}.bin" for number in range(1, 6)]
    test_list = ["test_batch.bin"]
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        self.train = train
        paths = find_files(
            type(self).__name__,
            [os.path.join(self.root, self.base_folder), self.root],
            self.train_list if train else self.test_list,
        )
        records = numpy.concatenate([self._read_records(path) for path in paths])
        self.targets = records[:, 0].astype(numpy.int64).tolist()
        self.data = numpy.ascontiguousarray(records[:, 1:].reshape(-1, *_IMAGE_SHAPE).transpose(0, 2, 3, 1))

    @staticmethod
    def _read_records(path):
        content = numpy.fromfile(path, dtype=numpy.uint8)
        if content.size % _RECORD_BYTES != 0:
            raise RuntimeError(
                f"{path} is not a CIFAR-10 binary batch: its {content.size} bytes are not a whole number "
                f"of {_RECORD_BYTES}-byte records"
            )
        return content.reshape(-1, _RECORD_BYTES)

    def _raw_sample(self, index):
        # A copy, as torchvision's PIL image is: transforms may modify it in place.
        return self.data[index].copy(), self.targets[index]

    def __len__(self):
        return len(self.data)
