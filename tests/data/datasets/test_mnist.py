"""MNIST / Fashion-MNIST readers on IDX files written by the tests."""
import gzip
import os

import numpy as np
import pytest

import spindle
from spindle.data import DataLoader, transforms
from spindle.data.datasets import MNIST, DatasetNotFoundError, FashionMNIST
from spindle.data.datasets.mnist import read_idx

IDX_TYPE_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def write_idx(path, array, compress=False):
    """Writes `array` in the IDX format: magic (0, 0, type code, ndim), big-endian sizes, big-endian data."""
    header = bytes([0, 0, IDX_TYPE_CODES[array.dtype.type], array.ndim])
    header += np.array(array.shape, dtype=">i4").tobytes()
    content = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if compress else open
    with opener(path, "wb") as file:
        file.write(content)


def write_split(folder, prefix, images, labels, compress=False):
    os.makedirs(folder, exist_ok=True)
    suffix = ".gz" if compress else ""
    write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte{suffix}"), images, compress)
    write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte{suffix}"), labels, compress)


def random_split_arrays(rng, count, height=7, width=5):
    return rng.integers(0, 256, size=(count, height, width)).astype(np.uint8), rng.integers(0, 10, count).astype(np.uint8)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trips(tmp_path, rng, dtype, compress):
    array = (rng.standard_normal((3, 4, 2)) * 50).astype(dtype)
    path = str(tmp_path / ("array.idx" + (".gz" if compress else "")))
    write_idx(path, array, compress)
    loaded = read_idx(path)
    assert loaded.dtype == np.dtype(dtype) and loaded.shape == array.shape
    np.testing.assert_array_equal(loaded, array)


def test_read_idx_rejects_malformed_files(tmp_path):
    bad_magic = tmp_path / "bad-magic"
    bad_magic.write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(RuntimeError, match="bad-magic is not an IDX file"):
        read_idx(str(bad_magic))
    truncated = tmp_path / "truncated"
    truncated.write_bytes(bytes([0, 0, 0x08, 2]) + np.array([3, 3], dtype=">i4").tobytes() + b"\x00" * 5)
    with pytest.raises(RuntimeError, match=r"truncated: IDX header declares shape \(3, 3\)"):
        read_idx(str(truncated))


@pytest.mark.parametrize("train, prefix", [(True, "train"), (False, "t10k")])
def test_mnist_reads_torchvision_layout(tmp_path, rng, train, prefix):
    images, labels = random_split_arrays(rng, 6)
    write_split(tmp_path / "MNIST" / "raw", prefix, images, labels)
    dataset = MNIST(tmp_path, train=train)
    assert len(dataset) == 6
    assert dataset.data.dtype == spindle.uint8 and tuple(dataset.data.shape) == (6, 7, 5)
    assert dataset.targets.dtype == spindle.int64
    np.testing.assert_array_equal(dataset.targets.numpy(), labels)
    for index in range(6):
        image, label = dataset[index]
        assert isinstance(image, np.ndarray) and image.dtype == np.uint8
        np.testing.assert_array_equal(image, images[index])
        assert type(label) is int and label == labels[index]


def test_mnist_reads_gzipped_files_in_root(tmp_path, rng):
    images, labels = random_split_arrays(rng, 3)
    write_split(tmp_path, "train", images, labels, compress=True)
    np.testing.assert_array_equal(MNIST(str(tmp_path)).data.numpy(), images)


def test_fashion_mnist_uses_its_own_folder_and_classes(tmp_path, rng):
    images, labels = random_split_arrays(rng, 4)
    write_split(tmp_path / "FashionMNIST" / "raw", "train", images, labels)
    dataset = FashionMNIST(tmp_path)
    np.testing.assert_array_equal(dataset.data.numpy(), images)
    assert dataset.classes[9] == "Ankle boot" and dataset.class_to_idx["Trouser"] == 1
    with pytest.raises(DatasetNotFoundError):
        MNIST(tmp_path)


def test_mnist_applies_transforms(tmp_path, rng):
    images, labels = random_split_arrays(rng, 4)
    write_split(tmp_path, "train", images, labels)
    dataset = MNIST(tmp_path, transform=transforms.ToTensor(), target_transform=lambda label: label + 100)
    image, label = dataset[2]
    assert tuple(image.shape) == (1, 7, 5) and image.dtype == spindle.float32
    np.testing.assert_allclose(image.numpy()[0], images[2] / 255, rtol=1e-6)
    assert label == labels[2] + 100


def test_mnist_in_a_dataloader_with_workers(tmp_path, rng):
    images, labels = random_split_arrays(rng, 10)
    write_split(tmp_path, "train", images, labels)
    dataset = MNIST(tmp_path, transform=transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.25,))]))
    batches = list(DataLoader(dataset, batch_size=4, num_workers=2))
    assert [tuple(x.shape) for x, _ in batches] == [(4, 1, 7, 5), (4, 1, 7, 5), (2, 1, 7, 5)]
    np.testing.assert_array_equal(np.concatenate([y.numpy() for _, y in batches]), labels)
    expected = (images[:4, None].astype(np.float32) / 255 - 0.5) / 0.25
    np.testing.assert_allclose(batches[0][0].numpy(), expected, rtol=1e-5, atol=1e-6)


def test_missing_files_error_names_files_and_folders(tmp_path):
    with pytest.raises(DatasetNotFoundError) as caught:
        MNIST(tmp_path, train=False)
    message = str(caught.value)
    assert "t10k-images-idx3-ubyte (or .gz)" in message and "t10k-labels-idx1-ubyte" in message
    assert repr(os.path.join(str(tmp_path), "MNIST", "raw")) in message and repr(str(tmp_path)) in message
    assert isinstance(caught.value, FileNotFoundError) and isinstance(caught.value, RuntimeError)


def test_images_and_labels_must_match(tmp_path, rng):
    images, labels = random_split_arrays(rng, 4)
    write_split(tmp_path, "train", images, labels[:3])
    with pytest.raises(RuntimeError, match=r"do not match.*\(4, 7, 5\) and \(3,\)"):
        MNIST(tmp_path)
