"""examples/demo.py: trains the digits MLP, checkpoints, plots, resumes, and reads MNIST."""
import gzip
import importlib.util
import pathlib

import numpy as np
import pytest

import spindle

DEMO_PATH = pathlib.Path(__file__).resolve().parents[2] / "examples" / "demo.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo():
    specification = importlib.util.spec_from_file_location("demo", DEMO_PATH)
    module = importlib.util.module_from_spec(specification)
    specification.loader.exec_module(module)
    return module


def run_demo(demo, folder, *arguments):
    """The curves of one demo run writing its checkpoint and plot into `folder`."""
    return demo.main(
        [
            "--checkpoint", str(folder / "demo.safetensors"),
            "--plot", str(folder / "demo.png"),
            *arguments,
        ]
    )


def test_default_run_reaches_97_percent_test_accuracy(demo, tmp_path, capsys):
    curves = run_demo(demo, tmp_path)

    assert len(curves["test_accuracy"]) == 30
    assert curves["test_accuracy"][-1] >= 0.97
    assert f"test accuracy: {curves['test_accuracy'][-1]:.2%}" in capsys.readouterr().out


def test_writes_checkpoint_and_plot(demo, tmp_path):
    curves = run_demo(demo, tmp_path, "--epochs", "2")

    checkpoint = spindle.load(tmp_path / "demo.safetensors")
    assert set(checkpoint) == {"model", "optimizer", "epoch", "rng_state", "curves"}
    assert checkpoint["epoch"] == 2
    assert checkpoint["curves"] == curves
    assert all(len(values) == 2 for values in curves.values())
    assert tuple(checkpoint["model"]["0.weight"].shape) == (256, 64)
    assert len(checkpoint["optimizer"]["state"]) == len(checkpoint["model"])
    assert (tmp_path / "demo.png").read_bytes().startswith(PNG_SIGNATURE)


def test_resume_continues_exactly_as_an_uninterrupted_run(demo, tmp_path):
    interrupted, uninterrupted = tmp_path / "interrupted", tmp_path / "uninterrupted"
    interrupted.mkdir()
    uninterrupted.mkdir()
    first_part = run_demo(demo, interrupted, "--epochs", "2")
    resumed = run_demo(demo, interrupted, "--epochs", "3", "--resume")
    straight = run_demo(demo, uninterrupted, "--epochs", "3")

    assert {name: values[:2] for name, values in resumed.items()} == first_part
    assert resumed == straight
    resumed_model = spindle.load(interrupted / "demo.safetensors")["model"]
    straight_model = spindle.load(uninterrupted / "demo.safetensors")["model"]
    for key, value in straight_model.items():
        assert spindle.equal(resumed_model[key], value), key


def write_idx(path, array):
    """`array` (uint8) as a gzipped IDX file, the format MNIST is distributed in."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">i4").tobytes()
    with gzip.open(path, "wb") as file:
        file.write(header + array.tobytes())


def test_trains_on_mnist_files_from_data_folder(demo, tmp_path, rng):
    for prefix, count in [("train", 96), ("t10k", 32)]:
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (count, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, count, dtype=np.uint8))

    curves = run_demo(demo, tmp_path, "--data", str(tmp_path), "--epochs", "1")

    assert len(curves["test_accuracy"]) == 1
    model_state = spindle.load(tmp_path / "demo.safetensors")["model"]
    assert tuple(model_state["0.weight"].shape) == (256, 784)
