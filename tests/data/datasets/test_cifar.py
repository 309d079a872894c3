"""CIFAR-10 binary reader on batch files written by the tests."""
import os

import numpy as np
import pytest

import spindle
from spindle.data import transforms
from spindle.data.datasets import CIFAR10, DatasetNotFoundError


def write_batch(path, rng, count):
    """A binary CIFAR-10 batch of `count` random records; returns the records as (labels, planes)."""
    labels = rng.integers(0, 10, count).astype(np.uint8)
    planes = rng.integers(0, 256, size=(count, 3 * 32 * 32)).astype(np.uint8)
    np.concatenate([labels[:, None], planes], axis=1).tofile(path)
    return labels, planes


def write_dataset(root, rng, count_per_batch=2):
    folder = os.path.join(root, "cifar-10-batches-bin")
    os.makedirs(folder)
    names = [f"data_batch_{number}.bin" for number in range(1, 6)] + ["test_batch.bin"]
    return {name: write_batch(os.path.join(folder, name), rng, count_per_batch) for name in names}


def test_train_split_concatenates_five_batches_in_hwc(tmp_path, rng):
    records = write_dataset(str(tmp_path), rng)
    dataset = CIFAR10(tmp_path)
    assert len(dataset) == 10
    assert dataset.data.shape == (10, 32, 32, 3) and dataset.data.dtype == np.uint8
    labels = np.concatenate([records[f"data_batch_{number}.bin"][0] for number in range(1, 6)])
    planes = np.concatenate([records[f"data_batch_{number}.bin"][1] for number in range(1, 6)])
    assert dataset.targets == labels.tolist()
    # Pixel (y, x) of channel c is byte c * 1024 + y * 32 + x of the record's image.
    for index, y, x, channel in [(0, 0, 0, 0), (3, 5, 31, 1), (9, 31, 7, 2)]:
        assert dataset.data[index, y, x, channel] == planes[index, channel * 1024 + y * 32 + x]
    image, label = dataset[3]
    np.testing.assert_array_equal(image, planes[3].reshape(3, 32, 32).transpose(1, 2, 0))
    assert type(label) is int and label == labels[3]


def test_test_split_and_transforms(tmp_path, rng):
    records = write_dataset(str(tmp_path), rng)
    dataset = CIFAR10(str(tmp_path), train=False, transform=transforms.ToTensor())
    labels, planes = records["test_batch.bin"]
    assert len(dataset) == 2
    image, label = dataset[1]
    assert tuple(image.shape) == (3, 32, 32) and image.dtype == spindle.float32
    np.testing.assert_allclose(image.numpy(), planes[1].reshape(3, 32, 32) / 255, rtol=1e-6)
    assert label == labels[1]
    assert dataset.classes[label] == CIFAR10.classes[label] and dataset.class_to_idx["truck"] == 9


def test_missing_batch_error_names_files_and_folder(tmp_path, rng):
    write_dataset(str(tmp_path), rng)
    os.remove(tmp_path / "cifar-10-batches-bin" / "data_batch_4.bin")
    CIFAR10(tmp_path, train=False)
    with pytest.raises(DatasetNotFoundError) as caught:
        CIFAR10(tmp_path)
    message = str(caught.value)
    assert "data_batch_1.bin" in message and "data_batch_5.bin" in message
    assert repr(os.path.join(str(tmp_path), "cifar-10-batches-bin")) in message


def test_truncated_batch_is_rejected(tmp_path, rng):
    write_dataset(str(tmp_path), rng)
    path = tmp_path / "cifar-10-batches-bin" / "test_batch.bin"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(RuntimeError, match=r"test_batch.bin is not a CIFAR-10 binary batch"):
        CIFAR10(tmp_path, train=False)
