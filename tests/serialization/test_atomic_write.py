"""Atomic replacement of checkpoint files, including a save killed half-way."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import spindle
from spindle.serialization.atomic_write import write_atomically


def temporary_files(directory):
    return sorted(path.name for path in directory.glob(".*.tmp"))


def test_writes_a_new_file_with_the_umask_permissions(tmp_path):
    path = tmp_path / "new.bin"
    write_atomically(path, b"payload")
    assert path.read_bytes() == b"payload"
    assert temporary_files(tmp_path) == []
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_replaces_an_existing_file(tmp_path):
    path = tmp_path / "existing.bin"
    path.write_bytes(b"old content that is longer")
    write_atomically(str(path), b"new")
    assert path.read_bytes() == b"new"
    assert temporary_files(tmp_path) == []


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch):
    path = tmp_path / "existing.bin"
    path.write_bytes(b"old")

    def failing_fsync(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, b"new" * 1000)
    assert path.read_bytes() == b"old"
    assert temporary_files(tmp_path) == []


def test_a_failing_save_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / "model.safetensors"
    spindle.save({"weight": spindle.ones(3)}, path)
    with pytest.raises(TypeError):
        spindle.save({"weight": spindle.zeros(3), "bad": {1, 2}}, path)
    np.testing.assert_array_equal(spindle.load(path)["weight"].numpy(), np.ones(3, dtype=np.float32))


# Saves 128 MiB: writing it takes long enough to kill the process while the temporary file grows.
SAVE_A_LARGE_STATE = """
import sys
import spindle
spindle.save({"weight": spindle.zeros(32 * 2**20), "step": 2}, sys.argv[1])
"""


@pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")
def test_a_save_killed_mid_write_leaves_the_previous_checkpoint_intact(tmp_path, rng):
    path = tmp_path / "model.safetensors"
    previous = rng.standard_normal((4, 5)).astype(np.float32)
    spindle.save({"weight": spindle.from_numpy(previous), "step": 1}, path)

    repository = os.path.dirname(os.path.dirname(spindle.__file__))
    environment = dict(os.environ, PYTHONPATH=repository + os.pathsep + os.environ.get("PYTHONPATH", ""))
    saver = subprocess.Popen([sys.executable, "-c", SAVE_A_LARGE_STATE, str(path)], env=environment)
    try:
        deadline = time.monotonic() + 60
        while not temporary_files(tmp_path):  # poll without sleeping: kill as soon as the write starts
            assert saver.poll() is None, "the saving process ended before it was killed"
            assert time.monotonic() < deadline, "the saving process never started writing"
        saver.send_signal(signal.SIGKILL)
    finally:
        saver.kill()
        saver.wait()
    assert saver.returncode == -signal.SIGKILL

    assert len(temporary_files(tmp_path)) == 1  # the half-written file, left by the killed process
    loaded = spindle.load(path)
    assert loaded["step"] == 1
    np.testing.assert_array_equal(loaded["weight"].numpy(), previous)
