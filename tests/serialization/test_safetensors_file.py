"""The safetensors layout of spindle checkpoints: interoperability with other readers and writers,
and clear errors for truncated or corrupted files."""
import struct

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

import spindle
from spindle.serialization.safetensors_file import STRUCTURE_KEY


def random_array(rng, shape, dtype="float32"):
    return rng.standard_normal(shape).astype(dtype)


def test_a_flat_dict_is_an_ordinary_safetensors_file(tmp_path, rng):
    arrays = {"fc1.weight": random_array(rng, (4, 3)), "fc1.bias": random_array(rng, (4,), "float64"),
              "steps": rng.integers(0, 100, size=(2,), dtype=np.int64)}
    state = {name: spindle.from_numpy(array) for name, array in arrays.items()}
    spindle.save(state, tmp_path / "m.safetensors")
    read_back = safetensors.numpy.load_file(tmp_path / "m.safetensors")
    assert sorted(read_back) == sorted(arrays)
    for name, array in arrays.items():
        assert read_back[name].dtype == array.dtype
        np.testing.assert_array_equal(read_back[name], array)


def test_nested_tensors_are_named_by_their_dotted_path(tmp_path, rng):
    state = {"model": {"fc": {"weight": spindle.from_numpy(random_array(rng, (2, 2)))}},
             "state": {0: {"exp_avg": spindle.from_numpy(random_array(rng, (2,)))}},
             "tensors": [spindle.from_numpy(random_array(rng, (1,)))]}
    spindle.save(state, tmp_path / "m.safetensors")
    assert sorted(safetensors.numpy.load_file(tmp_path / "m.safetensors")) == [
        "model.fc.weight", "state.0.exp_avg", "tensors.0"]


def test_paths_that_join_to_the_same_name_stay_apart(tmp_path, rng, assert_same_state):
    state = {"a.b": spindle.from_numpy(random_array(rng, (2,))),
             "a": {"b": spindle.from_numpy(random_array(rng, (3,)))}}
    spindle.save(state, tmp_path / "m.safetensors")
    assert_same_state(spindle.load(tmp_path / "m.safetensors"), state)


def test_files_of_other_writers_load_as_a_flat_dict(tmp_path, rng):
    arrays = {"embedding": random_array(rng, (5, 2)), "mask": rng.random((3,)) < 0.5,
              "ids": rng.integers(-9, 9, size=(2, 2), dtype=np.int32)}
    safetensors.numpy.save_file(arrays, tmp_path / "other.safetensors", metadata={"format": "np"})
    loaded = spindle.load(tmp_path / "other.safetensors")
    assert type(loaded) is dict and sorted(loaded) == sorted(arrays)
    for name, array in arrays.items():
        np.testing.assert_array_equal(loaded[name].numpy(), array)


def test_bfloat16_from_other_writers_is_widened_to_float32(tmp_path, rng):
    weight = torch.from_numpy(random_array(rng, (3, 4))).to(torch.bfloat16)
    safetensors.torch.save_file({"weight": weight}, tmp_path / "bf16.safetensors")
    loaded = spindle.load(tmp_path / "bf16.safetensors")["weight"]
    assert loaded.dtype == spindle.float32
    np.testing.assert_array_equal(loaded.numpy(), weight.float().numpy())


def test_dtypes_spindle_lacks_are_refused(tmp_path):
    safetensors.numpy.save_file({"counts": np.arange(3, dtype=np.uint16)}, tmp_path / "u16.safetensors")
    with pytest.raises(RuntimeError, match="'counts' has dtype U16"):
        spindle.load(tmp_path / "u16.safetensors")


@pytest.fixture
def saved_file(tmp_path, rng):
    """A checkpoint with nested containers, and its bytes."""
    path = tmp_path / "state.safetensors"
    spindle.save({"model": {"weight": spindle.from_numpy(random_array(rng, (8, 8)))},
                  "state": {0: {"step": spindle.tensor(1.0)}}, "epoch": 3}, path)
    return path, path.read_bytes()


def assert_refused(path, content, problem):
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match=problem) as error:
        spindle.load(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.01, 0.03, 0.1, 0.5, 0.9, 0.999])
def test_truncated_files_are_refused(saved_file, fraction):
    path, content = saved_file
    assert_refused(path, content[: int(len(content) * fraction)], "empty" if fraction == 0 else "truncated")


def test_a_file_cut_by_one_byte_is_refused(saved_file):
    path, content = saved_file
    assert_refused(path, content[:-1], "truncated or corrupted")


def test_trailing_garbage_is_refused(saved_file):
    path, content = saved_file
    assert_refused(path, content + b"\0" * 16, "truncated or corrupted")


@pytest.mark.parametrize("position", [0, 1, 3, 7, 8, 9, 12, 30])
def test_flipped_header_bytes_are_refused(saved_file, position):
    path, content = saved_file
    corrupted = bytearray(content)
    corrupted[position] ^= 0xFF
    assert_refused(path, bytes(corrupted), "truncated")


def write_with_structure(path, arrays, structure):
    path.write_bytes(safetensors.numpy.save(arrays, metadata={STRUCTURE_KEY: structure}))


@pytest.mark.parametrize("structure, problem", [
    ('{"dict": [["w", {"tensor": "missing"}]]}', "bad tensor entry"),
    ('{"dict": [["w", {"tensor": "w", "requires_grad": "yes"}]]}', "bad tensor entry"),
    ('{"set": [1, 2]}', "unknown node 'set'"),
    ('{"dict": [["w"]]}', r"\[key, value\] pairs"),
    ('{"dict": [[{"list": [1]}, 2]]}', "cannot be a dict key"),
    ('{"dict": [["w", {"tensor": "w"}]', "invalid JSON"),
    ('{"list": [1], "tuple": [2]}', "one tag"),
])
def test_corrupt_structure_metadata_is_refused(tmp_path, structure, problem):
    path = tmp_path / "state.safetensors"
    write_with_structure(path, {"w": np.zeros(2, dtype=np.float32)}, structure)
    with pytest.raises(RuntimeError, match=f"corrupt {STRUCTURE_KEY} metadata: .*{problem}"):
        spindle.load(path)


def test_the_header_length_field_is_checked(saved_file):
    path, content = saved_file
    header_length = struct.unpack("<Q", content[:8])[0]
    for wrong_length in (header_length - 1, header_length + 1, 2**40):
        assert_refused(path, struct.pack("<Q", wrong_length) + content[8:], "truncated or corrupted")
