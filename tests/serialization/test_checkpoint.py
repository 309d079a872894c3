"""spindle.save / spindle.load: round trips of state dicts, devices, file objects, bad input."""
import io
import math
from collections import OrderedDict

import numpy as np
import pytest

import spindle


def random_tensor(rng, shape, dtype="float32"):
    if dtype == "bool":
        return spindle.from_numpy(np.asarray(rng.random(shape) < 0.5))
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        return spindle.from_numpy(rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True))
    return spindle.from_numpy(rng.standard_normal(shape).astype(dtype))


def optimizer_like_state(rng):
    """Shaped like Adam's state_dict(): int keys, a tuple of betas, a list of parameter ids."""
    return {
        "state": {
            0: {"step": spindle.tensor(3.0), "exp_avg": random_tensor(rng, (4, 3)),
                "exp_avg_sq": random_tensor(rng, (4, 3))},
            1: {"step": spindle.tensor(3.0), "exp_avg": random_tensor(rng, (4,)),
                "exp_avg_sq": random_tensor(rng, (4,))},
        },
        "param_groups": [{
            "lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False,
            "foreach": None, "params": [0, 1],
        }],
    }


def test_round_trip_of_nested_state(tmp_path, rng, assert_same_state):
    state = {
        "model": OrderedDict([("fc.weight", random_tensor(rng, (4, 3))),
                              ("fc.bias", random_tensor(rng, (4,)))]),
        "optimizer": optimizer_like_state(rng),
        "epoch": 7,
        "loss": 0.25,
        "whole_float": 1.0,
        "flags": [True, False, None],
        "special_floats": (math.inf, -math.inf, math.nan, -0.0, 1e300),
        "big_int": 2**70,
        "name": "run \u00e9\u4e2d",
        "empty": {"dict": {}, "list": [], "tuple": (), "ordered": OrderedDict()},
        "mixed_keys": {1: "int", 1.5: "float", None: "none", False: "bool", (2, "a"): "tuple", "1": "str"},
        "list_of_tensors": [random_tensor(rng, (2, 2)), random_tensor(rng, ())],
    }
    spindle.save(state, tmp_path / "state.safetensors")
    assert_same_state(spindle.load(tmp_path / "state.safetensors"), state)


@pytest.mark.parametrize(
    "dtype", ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
)
def test_round_trip_of_each_dtype(tmp_path, rng, assert_same_state, dtype):
    state = {"values": random_tensor(rng, (3, 5), dtype), "scalar": random_tensor(rng, (), dtype),
             "empty": random_tensor(rng, (0, 4), dtype)}
    spindle.save(state, tmp_path / "state.safetensors")
    assert_same_state(spindle.load(tmp_path / "state.safetensors"), state)


def test_round_trip_of_non_contiguous_tensors(tmp_path, rng, assert_same_state):
    base = random_tensor(rng, (6, 8))
    state = {"transposed": base.t(), "strided": base[::2, 1::3], "row": base[3]}
    spindle.save(state, tmp_path / "state.safetensors")
    assert_same_state(spindle.load(tmp_path / "state.safetensors"), state)


def test_a_top_level_tensor_round_trips(tmp_path, rng, assert_same_state):
    tensor = random_tensor(rng, (2, 3))
    spindle.save(tensor, tmp_path / "tensor.safetensors")
    assert_same_state(spindle.load(tmp_path / "tensor.safetensors"), tensor)


def test_requires_grad_is_kept(tmp_path, rng, assert_same_state):
    state = {"trainable": random_tensor(rng, (3,)).requires_grad_(), "frozen": random_tensor(rng, (3,))}
    spindle.save(state, tmp_path / "state.safetensors")
    loaded = spindle.load(tmp_path / "state.safetensors")
    assert_same_state(loaded, state)
    assert loaded["trainable"].is_leaf


def test_one_tensor_referenced_twice_loads_as_one_object(tmp_path, rng):
    shared = random_tensor(rng, (3,))
    spindle.save({"encoder": shared, "decoder": [shared]}, tmp_path / "state.safetensors")
    loaded = spindle.load(tmp_path / "state.safetensors")
    assert loaded["encoder"] is loaded["decoder"][0]


def test_save_and_load_through_file_objects(rng, assert_same_state):
    state = optimizer_like_state(rng)
    buffer = io.BytesIO()
    spindle.save(state, buffer)
    buffer.seek(0)
    assert_same_state(spindle.load(buffer), state)


@pytest.mark.parametrize("map_location", [None, "cpu", spindle.device("cpu"), {"cpu": "cpu"}])
def test_map_location_forms(tmp_path, rng, assert_same_state, map_location):
    state = {"weight": random_tensor(rng, (2, 2))}
    spindle.save(state, tmp_path / "state.safetensors")
    loaded = spindle.load(tmp_path / "state.safetensors", map_location=map_location)
    assert_same_state(loaded, state)
    assert loaded["weight"].device == spindle.device("cpu")


def test_callable_map_location_is_refused(tmp_path, rng):
    spindle.save({"weight": random_tensor(rng, (2,))}, tmp_path / "state.safetensors")
    with pytest.raises(TypeError, match="map_location"):
        spindle.load(tmp_path / "state.safetensors", map_location=lambda storage, location: storage)


@pytest.mark.parametrize("value, what", [
    ({1, 2}, "set"),
    (np.zeros(3), "ndarray"),
    (object(), "object"),
    (b"bytes", "bytes"),
    ({"a": {"deep": [1, {2, 3}]}}, r"set at state\['value'\]\['a'\]\['deep'\]\[1\]"),
])
def test_unsupported_values_raise_type_error_and_write_nothing(tmp_path, value, what):
    with pytest.raises(TypeError, match=what):
        spindle.save({"value": value}, tmp_path / "state.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_tensor_dict_keys_are_refused(tmp_path):
    with pytest.raises(TypeError, match="dict key of type Tensor"):
        spindle.save({spindle.tensor(1.0): 1}, tmp_path / "state.safetensors")


@pytest.mark.parametrize("content, problem", [
    (b"", "empty"),
    (b"abc", "not a checkpoint"),
    (bytes(range(256)) * 4, "not a checkpoint"),
    (b"\x93NUMPY\x01\x00" + b"x" * 100, "not a checkpoint"),
])
def test_files_that_are_no_checkpoint_raise_runtime_error(tmp_path, content, problem):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match=problem) as error:
        spindle.load(path)
    assert str(path) in str(error.value)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        spindle.load(tmp_path / "missing.safetensors")


def test_training_resumes_identically_from_a_checkpoint(tmp_path, rng):
    def make():
        model = spindle.nn.Sequential(spindle.nn.Linear(3, 4), spindle.nn.Tanh(), spindle.nn.Linear(4, 2))
        return model, spindle.optim.Adam(model.parameters(), lr=0.01)

    def step(model, optimizer, inputs):
        optimizer.zero_grad()
        model(inputs).square().sum().backward()
        optimizer.step()

    inputs = [spindle.from_numpy(rng.standard_normal((5, 3)).astype(np.float32)) for _ in range(2)]
    model, optimizer = make()
    step(model, optimizer, inputs[0])
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
    spindle.save(checkpoint, tmp_path / "ckpt.safetensors")
    resumed_model, resumed_optimizer = make()
    checkpoint = spindle.load(tmp_path / "ckpt.safetensors")
    resumed_model.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    step(model, optimizer, inputs[1])
    step(resumed_model, resumed_optimizer, inputs[1])
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(resumed_model.state_dict()[name].numpy(), value.numpy(), err_msg=name)
