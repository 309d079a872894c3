"""The convolutional examples run end to end on short settings: the 2-D Gaussian GAN learns the
data's mean, the DCGAN's losses stay finite, and the CIFAR ResNet trains on the digits and on a
CIFAR-10 folder (a small fake one in CIFAR's binary format)."""
import importlib.util
import math
import pathlib

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gan_learns_the_gaussian_mean_and_covariance():
    # The program's own settings (2000 steps, seed 0); fewer steps leave the mean still moving.
    data_mean, data_covariance, sample_mean, sample_covariance = load_example("gan_gaussian").main(print_every=0)
    np.testing.assert_allclose(sample_mean, data_mean, atol=0.3)
    np.testing.assert_allclose(sample_covariance, data_covariance, atol=0.3 * np.abs(data_covariance).max())


def test_dcgan_trains_a_few_steps(tmp_path):
    pytest.importorskip("matplotlib")
    real_score, fake_score = load_example("dcgan_digits").main(
        steps=3, batch_size=16, print_every=0, samples=str(tmp_path / "digits.png")
    )
    assert 0 < real_score < 1 and 0 < fake_score < 1
    assert (tmp_path / "digits.png").stat().st_size > 0


def test_cifar_resnet_on_digits():
    accuracy = load_example("cifar_resnet").main(epochs=1, batch_size=32, blocks=1, max_steps=4)
    assert 0 <= accuracy <= 1


def test_cifar_resnet_on_a_cifar10_folder(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    for name in [f"data_batch_{number}.bin" for number in range(1, 6)] + ["test_batch.bin"]:
        records = rng.integers(0, 256, (8, 1 + 3 * 32 * 32), dtype=np.uint8)
        records[:, 0] = rng.integers(0, 10, 8)
        records.tofile(folder / name)
    accuracy = load_example("cifar_resnet").main(data=str(tmp_path), epochs=1, batch_size=8, blocks=1, max_steps=2)
    assert 0 <= accuracy <= 1 and not math.isnan(accuracy)
