"""Reading files written by torch.save, and refusing the pickles that would run code."""
import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import spindle


def random_torch(rng, shape, dtype=torch.float32):
    if dtype == torch.bool:
        return torch.from_numpy(np.asarray(rng.random(shape) < 0.5))
    if not dtype.is_floating_point:
        info = torch.iinfo(dtype)
        return torch.from_numpy(rng.integers(info.min, info.max, size=shape, endpoint=True)).to(dtype)
    return torch.from_numpy(rng.standard_normal(shape)).to(dtype)


def torch_saved(tmp_path, obj, name="checkpoint.pt", **save_options):
    path = tmp_path / name
    torch.save(obj, path, **save_options)
    return path


def rewrite_archive(path, change):
    """Rewrite the zip at ``path``, passing each (name, bytes) entry through ``change``."""
    with zipfile.ZipFile(path) as archive:
        entries = [(name, archive.read(name)) for name in archive.namelist()]
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in entries:
            archive.writestr(name, change(name, content))


def test_linear_state_dict(tmp_path, rng, assert_same_state):
    layer = torch.nn.Linear(5, 3)
    with torch.no_grad():
        layer.weight.copy_(random_torch(rng, (3, 5)))
    loaded = spindle.load(torch_saved(tmp_path, layer.state_dict()))
    assert_same_state(loaded, layer.state_dict())


def test_nested_containers_and_scalars(tmp_path, rng, assert_same_state):
    state = {
        "model": OrderedDict([("conv.weight", random_torch(rng, (2, 1, 3, 3))),
                              ("bn.num_batches_tracked", torch.tensor(5))]),
        "history": [0.5, 0.25, float("inf")],
        "shape": (3, 4),
        "best": None,
        "epoch": 12,
        "by_id": {3: "three", (1, 2): [True, False]},
    }
    assert_same_state(spindle.load(torch_saved(tmp_path, state)), state)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int8,
                                   torch.int16, torch.int32, torch.int64, torch.uint8, torch.bool])
def test_each_dtype(tmp_path, rng, assert_same_state, dtype):
    state = {"values": random_torch(rng, (4, 3), dtype), "scalar": random_torch(rng, (), dtype),
             "empty": random_torch(rng, (0, 2), dtype)}
    assert_same_state(spindle.load(torch_saved(tmp_path, state)), state)


def test_views_of_one_storage_keep_their_layout_and_share_memory(tmp_path, rng, assert_same_state):
    base = random_torch(rng, (6, 8))
    state = {"base": base, "transposed": base.t(), "strided": base[1::2, ::3], "row": base[4],
             "expanded": base[2:3].expand(3, 8), "flat_tail": base.view(-1)[40:]}
    loaded = spindle.load(torch_saved(tmp_path, state))
    assert_same_state(loaded, state)
    loaded["base"].add_(1.0)  # as in PyTorch, views loaded from one storage still share it
    base.add_(1.0)
    assert_same_state(loaded, state)


def test_adam_state_dict_after_a_step(tmp_path, rng, assert_same_state):
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    model(random_torch(rng, (5, 4))).square().sum().backward()
    optimizer.step()
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
    loaded = spindle.load(torch_saved(tmp_path, state))
    assert_same_state(loaded, state)
    assert list(loaded["optimizer"]["state"]) == [0, 1, 2, 3]
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.9)


def test_parameters_load_as_tensors_with_their_requires_grad(tmp_path, rng):
    frozen = torch.nn.Parameter(random_torch(rng, (2, 3)), requires_grad=False)
    trainable = torch.nn.Parameter(random_torch(rng, (3,)))
    loaded = spindle.load(torch_saved(tmp_path, {"frozen": frozen, "trainable": trainable}))
    assert isinstance(loaded["trainable"], spindle.Tensor)
    assert loaded["trainable"].requires_grad and not loaded["frozen"].requires_grad
    np.testing.assert_array_equal(loaded["trainable"].detach().numpy(), trainable.detach().numpy())


def test_map_location_and_file_objects(tmp_path, rng, assert_same_state):
    state = {"weight": random_torch(rng, (2, 2))}
    path = torch_saved(tmp_path, state)
    assert_same_state(spindle.load(path, map_location="cpu"), state)
    assert_same_state(spindle.load(io.BytesIO(path.read_bytes()), map_location={"cpu": "cpu"}), state)


def test_big_endian_checkpoints(tmp_path, rng, assert_same_state):
    state = {"weight": random_torch(rng, (3, 2), torch.float64),
             "half": random_torch(rng, (4,), torch.bfloat16)}
    path = torch_saved(tmp_path, state)
    item_sizes = {"0": 8, "1": 2}  # storages in pickling order: weight, half

    def to_big_endian(name, content):
        if name.endswith("/byteorder"):
            return b"big"
        if "/data/" in name:
            item_size = item_sizes[name.rsplit("/", 1)[1]]
            return np.frombuffer(content, dtype=f"<u{item_size}").byteswap().tobytes()
        return content

    rewrite_archive(path, to_big_endian)
    assert_same_state(spindle.load(path), state)


class RunsShellCommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class EvaluatesCode(RunsShellCommand):
    def __reduce__(self):
        return eval, (f"open({str(self.marker)!r}, 'w')",)


class WritesFileWhenBuilt(RunsShellCommand):
    """An arbitrary class: unpickling it imports this test module and calls __setstate__."""

    def __reduce__(self):
        return WritesFileWhenBuilt, (self.marker,), {"marker": self.marker}

    def __setstate__(self, state):
        open(state["marker"], "w").close()


@pytest.mark.parametrize("payload, global_name", [
    (RunsShellCommand, "posix.system" if os.name == "posix" else "nt.system"),
    (EvaluatesCode, r"(__builtin__|builtins)\.eval"),  # protocol 2 names Python 2's module
    (WritesFileWhenBuilt, "WritesFileWhenBuilt"),
])
def test_pickles_that_run_code_are_refused(tmp_path, rng, payload, global_name):
    marker = tmp_path / "marker"
    path = torch_saved(tmp_path, {"weight": random_torch(rng, (2,)), "payload": payload(marker)})
    with pytest.raises(pickle.UnpicklingError, match=global_name):
        spindle.load(path)
    assert not marker.exists()
    # The same file does run the payload when unpickled without restrictions.
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_build_is_refused_on_anything_but_ordered_dict(tmp_path):
    # GLOBAL torch._utils._rebuild_parameter, then BUILD with the state {'a': 1}: would set an attribute
    # of the reader's own function.
    path = tmp_path / "build.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl",
                         b"\x80\x02ctorch._utils\n_rebuild_parameter\n" b"}q\x00(X\x01\x00\x00\x00aK\x01ub.")
    with pytest.raises(pickle.UnpicklingError, match="refusing to set the state of a function"):
        spindle.load(path)


def test_unsupported_globals_are_named(tmp_path):
    with pytest.raises(pickle.UnpicklingError, match=r"global (__builtin__|builtins)\.set"):
        spindle.load(torch_saved(tmp_path, {"ids": {1, 2}}))


def test_values_a_checkpoint_may_not_hold_are_refused(tmp_path):
    path = torch_saved(tmp_path, {"raw": b"\x00\x01"}, pickle_protocol=3)
    with pytest.raises(RuntimeError, match=r"unsupported value of type bytes at state\['raw'\]"):
        spindle.load(path)


def test_layouts_reaching_outside_their_storage_are_refused(tmp_path):
    path = torch_saved(tmp_path, torch.arange(6.0).reshape(2, 3))
    # In data.pkl the stride (3, 1) is BININT1 3, BININT1 1, TUPLE2; make it (99, 1).
    rewrite_archive(path, lambda name, content: content.replace(b"K\x03K\x01\x86", b"K\x63K\x01\x86")
                    if name.endswith("data.pkl") else content)
    with pytest.raises(pickle.UnpicklingError, match="reaches element 101 of a storage of 6 elements"):
        spindle.load(path)


def test_storages_of_the_wrong_size_are_refused(tmp_path):
    path = torch_saved(tmp_path, torch.arange(6.0))
    rewrite_archive(path, lambda name, content: content[:-4] if "/data/" in name else content)
    with pytest.raises(RuntimeError, match="holds 20 bytes, expected 6 elements of 4 bytes"):
        spindle.load(path)


def test_legacy_format_is_refused(tmp_path):
    path = torch_saved(tmp_path, {"weight": torch.ones(2)}, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy .* Re-save it with a recent torch"):
        spindle.load(path)


@pytest.fixture
def torch_file(tmp_path, rng):
    path = torch_saved(tmp_path, {"weight": random_torch(rng, (16, 16)), "bias": random_torch(rng, (16,))})
    return path, path.read_bytes()


@pytest.mark.parametrize("fraction", [0.0, 0.05, 0.3, 0.6, 0.9, 0.99])
def test_truncated_torch_files_are_refused(torch_file, fraction):
    path, content = torch_file
    path.write_bytes(content[: int(len(content) * fraction)])
    with pytest.raises(RuntimeError, match="empty" if fraction == 0.0 else "truncated or corrupted") as error:
        spindle.load(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("entry", ["data.pkl", "data/0"])
def test_damaged_entries_fail_their_checksum(torch_file, entry):
    path, content = torch_file
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(f"checkpoint/{entry}").header_offset
    # A local file header is 30 bytes, then the name and the extra field, whose lengths end it.
    name_length, extra_length = struct.unpack("<HH", content[offset + 26:offset + 30])
    corrupted = bytearray(content)
    corrupted[offset + 30 + name_length + extra_length + 5] ^= 0xFF
    path.write_bytes(bytes(corrupted))
    with pytest.raises(RuntimeError, match=f"entry '.*/{entry}' is damaged"):
        spindle.load(path)


def test_a_zip_without_data_pkl_is_refused(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(RuntimeError, match="no single '<archive>/data.pkl'"):
        spindle.load(path)
