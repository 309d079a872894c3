"""default_collate / default_convert / collate against torch.utils.data's on the same inputs."""
import collections

import numpy as np
import pytest
import torch

import spindle
from spindle.data import default_collate, default_convert
from spindle.data.collate import collate, default_collate_fn_map

Point = collections.namedtuple("Point", "x y")


class TensorLeaf:
    """A tensor to be: built as a spindle tensor on one side and a torch tensor on the other."""

    def __init__(self, array):
        self.array = array


def realize(structure, make_tensor):
    if isinstance(structure, TensorLeaf):
        return make_tensor(structure.array.copy())
    if isinstance(structure, dict):
        return {key: realize(value, make_tensor) for key, value in structure.items()}
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*(realize(value, make_tensor) for value in structure))
    if isinstance(structure, (tuple, list)):
        return type(structure)(realize(value, make_tensor) for value in structure)
    return structure


def assert_same(ours, theirs):
    """Equal structure, container types, tensor dtypes and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, spindle.Tensor), type(ours)
        assert ours.numpy().dtype == theirs.numpy().dtype
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        return
    assert type(ours) is type(theirs), (type(ours), type(theirs))
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs)
        for our_item, their_item in zip(ours, theirs):
            assert_same(our_item, their_item)
    elif isinstance(theirs, np.ndarray):
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert ours == theirs


def random_sample(rng, index):
    return {
        "image": TensorLeaf(rng.standard_normal((2, 3)).astype(np.float32)),
        "mask": TensorLeaf(rng.random(4) < 0.5),
        "label": int(rng.integers(-5, 10)),
        "weight": float(rng.standard_normal()),
        "flag": bool(rng.random() < 0.5),
        "name": f"sample-{index}",
        "raw": b"bytes",
        "array": rng.integers(-3, 5, size=(3,)).astype(np.int16),
        "float32_scalar": np.float32(rng.standard_normal()),
        "int64_scalar": np.int64(rng.integers(100)),
        "pair": (TensorLeaf(rng.standard_normal(2)), [int(rng.integers(5)), float(rng.random())]),
        "point": Point(x=int(rng.integers(5)), y=TensorLeaf(rng.integers(0, 9, size=(2, 2)))),
        "nested": {"values": [TensorLeaf(rng.standard_normal(1).astype(np.float32)), "text"]},
    }


def test_default_collate_nested_matches_torch(rng):
    batch = [random_sample(rng, index) for index in range(4)]
    ours = default_collate(realize(batch, spindle.from_numpy))
    theirs = torch.utils.data.default_collate(realize(batch, torch.from_numpy))
    assert_same(ours, theirs)


def test_default_collate_noncontiguous_tensors(rng):
    arrays = [rng.standard_normal((3, 4)) for _ in range(3)]
    ours = default_collate([spindle.from_numpy(array).t() for array in arrays])
    theirs = torch.utils.data.default_collate([torch.from_numpy(array).t() for array in arrays])
    assert_same(ours, theirs)


@pytest.mark.parametrize(
    "batch, dtype",
    [([1.5, 2.0], spindle.float64), ([1, -2, 3], spindle.int64), ([True, False], spindle.bool)],
)
def test_default_collate_python_numbers(batch, dtype):
    collated = default_collate(batch)
    assert collated.dtype == dtype
    assert collated.tolist() == batch


def test_default_collate_tuples_become_lists_of_columns():
    collated = default_collate([(1, "a"), (2, "b"), (3, "c")])
    assert isinstance(collated, list)
    assert collated[0].tolist() == [1, 2, 3]
    assert collated[1] == ("a", "b", "c")  # the column of strings, as zip() gives it (as in PyTorch)


def test_default_convert_matches_torch(rng):
    sample = {
        "array": rng.standard_normal((2, 2)),
        "scalar": np.float32(1.5),
        "pair": (rng.integers(0, 3, size=2), "text"),
        "point": Point(x=np.int32(3), y=[1, 2]),
        "strings": np.array(["a", "b"]),
    }
    assert_same(default_convert(sample), torch.utils.data.default_convert(sample))


def test_default_collate_unequal_sequences_raises():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])


def test_default_collate_unsupported_types_raise():
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors.*found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_collate_with_custom_map_dispatches_leaves():
    def collate_strings(batch, *, collate_fn_map=None):
        return "+".join(batch)

    custom_map = {**default_collate_fn_map, str: collate_strings}
    collated = collate([{"name": "a", "x": 1}, {"name": "b", "x": 2}], collate_fn_map=custom_map)
    assert collated["name"] == "a+b"
    assert collated["x"].tolist() == [1, 2]
