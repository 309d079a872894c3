"""MNIST and Fashion-MNIST read from their IDX files (torchvision's
``datasets.MNIST`` / ``datasets.FashionMNIST`` without downloading)."""

import gzip
import os

import numpy

import spindle
from spindle.data.datasets.files import find_files
from spindle.data.datasets.vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

# IDX type codes (third byte of the magic number) and the big-endian dtypes they denote.
_IDX_DTYPES = {
    0x08: numpy.dtype(">u1"),
    0x09: numpy.dtype(">i1"),
    0x0B: numpy.dtype(">i2"),
    0x0C: numpy.dtype(">i4"),
    0x0D: numpy.dtype(">f4"),
    0x0E: numpy.dtype(">f8"),
}


def read_idx(path):
    """Reads an IDX file (optionally gzipped, by its ``.gz`` suffix) into a NumPy
    array of the shape and dtype its header declares. Raises RuntimeError, naming the
    file, when the header or the size is inconsistent."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as file:
        content = file.read()
    if len(content) < 4 or content[0] != 0 or content[1] != 0 or content[2] not in _IDX_DTYPES:
        raise RuntimeError(f"{path} is not an IDX file: bad magic number {content[:4]!r}")
    dtype = _IDX_DTYPES[content[2]]
    ndim = content[3]
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise RuntimeError(f"{path}: IDX header declares {ndim} dimensions but the file is too short")
    shape = tuple(int(size) for size in numpy.frombuffer(content, dtype=">i4", count=ndim, offset=4))
    expected_bytes = header_size + int(numpy.prod(shape)) * dtype.itemsize
    if len(content) != expected_bytes:
        raise RuntimeError(
            f"{path}: IDX header declares shape {shape} of {dtype.name}, i.e. {expected_bytes} bytes, "
            f"but the file has {len(content)} bytes"
        )
    array = numpy.frombuffer(content, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


class MNIST(VisionDataset):
    """The MNIST digits: 60,000 training or 10,000 test images of 28x28 pixels.

    Looks for ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte`` (or the
    ``t10k-`` pair when ``train=False``), each possibly gzipped, in
    ``root/<ClassName>/raw`` (torchvision's layout) or in ``root`` itself.
    ``data`` is a uint8 tensor ``(N, 28, 28)``, ``targets`` an int64 tensor ``(N,)``.
    A sample is ``(image, label)``: ``image`` a uint8 NumPy array ``(28, 28)`` (where
    torchvision gives a PIL image; ``transforms.ToTensor`` turns either into a float
    ``(1, 28, 28)`` tensor in [0, 1]) and ``label`` an int; ``transform`` and
    ``target_transform`` are applied to them when given. ``download=True`` is
    accepted for compatibility but cannot fetch anything: the files must be present.
    """

    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        self.train = train
        prefix = "train" if train else "t10k"
        images_path, labels_path = find_files(
            type(self).__name__,
            [self.raw_folder, self.root],
            [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"],
            allow_gzip=True,
        )
        images = read_idx(images_path)
        labels = read_idx(labels_path)
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise RuntimeError(
                f"{images_path} and {labels_path} do not match: expected images (N, H, W) and labels (N,), "
                f"got {images.shape} and {labels.shape}"
            )
        self.data = spindle.from_numpy(images.astype(numpy.uint8))
        self.targets = spindle.from_numpy(labels.astype(numpy.int64))

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    def _raw_sample(self, index):
        # A copy, as torchvision's PIL image is: transforms may modify it in place.
        return self.data[index].numpy().copy(), int(self.targets[index].item())

    def __len__(self):
        return self.data.size(0)


class FashionMNIST(MNIST):
    """Fashion-MNIST: Zalando's article images in MNIST's exact file format and
    layout (``root/FashionMNIST/raw`` or ``root``); see :class:`MNIST`."""

    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
