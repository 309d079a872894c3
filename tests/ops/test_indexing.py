"""Indexing against PyTorch: ``x[...]`` with ints, slices with steps, None, ..., bool masks and integer
tensors (repeated indices accumulate their gradients) and their combinations; ``x[...] = v`` inside and
outside a graph, also through views; gather/scatter/index_select/index_add/masked_fill and friends;
out-of-range and malformed indices."""
import numpy as np
import pytest

from tests.ops.oracle import (
    DTYPES,
    LAYOUTS,
    assert_same_error,
    check_gradcheck,
    check_op,
    random_array,
    random_integers,
)

SHAPE = (4, 5, 6)

# name -> function(fw, x, rng-made index arrays...): the index arrays are built by ``index_arrays``.
GETITEMS = {
    "int": lambda fw, x: x[1],
    "negative int": lambda fw, x: x[-1],
    "ints": lambda fw, x: x[1, -2],
    "all ints (0-dim)": lambda fw, x: x[3, 0, 5],
    "slice": lambda fw, x: x[1:3],
    "slices with steps": lambda fw, x: x[::2, 1::3],
    "slice with stop and step": lambda fw, x: x[:, :4:3, -3:],
    "empty slice": lambda fw, x: x[3:1],
    "None": lambda fw, x: x[None],
    "None in the middle": lambda fw, x: x[:, None, 1],
    "ellipsis": lambda fw, x: x[..., 1],
    "ellipsis first int": lambda fw, x: x[1, ...],
    "ellipsis None step": lambda fw, x: x[..., None, ::2],
    "0-dim int tensor": lambda fw, x: x[fw.tensor(2)],
    "list": lambda fw, x: x[[0, 2, 2, 3]],
    "list on dim 1": lambda fw, x: x[:, [4, 0, 4]],
    "bool list": lambda fw, x: x[[True, False, True, True]],
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", GETITEMS)
def test_basic_getitem_matches_torch(rng, name, layout, dtype):
    check_op(rng, GETITEMS[name], random_array(rng, SHAPE, dtype), layout=layout)


# Advanced indices: each function gets the indexed tensor and a few random index tensors.
ADVANCED = {
    "int tensor with repeats": lambda fw, x, i, j, m: x[i],
    "negative int tensor": lambda fw, x, i, j, m: x[i - 4],
    "int tensor on dim 1": lambda fw, x, i, j, m: x[:, j],
    "two int tensors": lambda fw, x, i, j, m: x[i, j],
    "broadcast int tensors": lambda fw, x, i, j, m: x[i[:, None], j],
    "int tensors apart": lambda fw, x, i, j, m: x[i, :, j % 4],
    "2-dim int tensor": lambda fw, x, i, j, m: x[i.reshape(2, 3)],
    "int tensor and slice": lambda fw, x, i, j, m: x[1:, j],
    "int tensor and None and int": lambda fw, x, i, j, m: x[None, i, ..., 0],
    "int, slice, int tensor": lambda fw, x, i, j, m: x[1, :, j],
    "int tensor, int, mask": lambda fw, x, i, j, m: x[i[:2], 3, fw.tensor([True, False, False, False, True, False])],
    "ellipsis and int tensor": lambda fw, x, i, j, m: x[..., j],
    "mask of the tensor": lambda fw, x, i, j, m: x[x > 0],
    "mask on dim 0": lambda fw, x, i, j, m: x[m[:, 0, 0]],
    "mask on dims 0 and 1": lambda fw, x, i, j, m: x[m[:, :, 0]],
    "mask on dim 1": lambda fw, x, i, j, m: x[:, m[0, :, 0]],
    "mask and int": lambda fw, x, i, j, m: x[m[:, 0, 0], 2],
    "full mask": lambda fw, x, i, j, m: x[m],
    "masked_select": lambda fw, x, i, j, m: x.masked_select(m[0]),
}


def index_arrays(rng):
    """Random index tensors for ``SHAPE``: 6 indices into dim 0 (with repeats), 6 into dim 1, a mask."""
    return random_integers(rng, (6,), 0, 4), random_integers(rng, (6,), -5, 5), rng.random(SHAPE) < 0.5


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", ADVANCED)
def test_advanced_getitem_matches_torch(rng, name, layout, dtype):
    check_op(rng, ADVANCED[name], random_array(rng, SHAPE, dtype), *index_arrays(rng), layout=layout)


def test_repeated_indices_accumulate_gradients(rng):
    index = np.array([0, 2, 2, 2, 3, 0])
    check_op(rng, lambda fw, x, i: x[i] * 2, random_array(rng, (4, 3)), index)
    check_op(rng, lambda fw, x, i: x[i, i], random_array(rng, (4, 4)), index)
    check_gradcheck(lambda fw, x, i: x[i], random_array(rng, (4, 3)), index)


@pytest.mark.parametrize("name", ["slices with steps", "None in the middle", "ellipsis None step", "list"])
def test_basic_getitem_gradcheck(rng, name):
    check_gradcheck(GETITEMS[name], random_array(rng, SHAPE))


# ---------------------------------------------------------------- setitem


def assign(index, value_of):
    """``function(fw, x, v, ...)`` that writes into a non-leaf copy of ``x``: ``y[index] = value``."""

    def function(fw, x, value, *index_tensors):
        result = x * 1
        result[index(fw, result, *index_tensors)] = value_of(fw, value)
        return result

    return function


SETITEMS = {
    "int, tensor": assign(lambda fw, y, i: 1, lambda fw, v: v[0]),
    "int, broadcast tensor": assign(lambda fw, y, i: 1, lambda fw, v: v[0, :1]),
    "slices, scalar": assign(lambda fw, y, i: (slice(None), slice(1, 3)), lambda fw, v: 2.5),
    "step slices, tensor": assign(lambda fw, y, i: (slice(None, None, 2), slice(1, None, 3)), lambda fw, v: v[:3, :1]),
    "ellipsis, tensor": assign(lambda fw, y, i: (Ellipsis, 0), lambda fw, v: v[:, 0]),
    "mask, scalar": assign(lambda fw, y, i: y > 0, lambda fw, v: 0.0),
    "mask, 0-dim tensor": assign(lambda fw, y, i: y < 0, lambda fw, v: v.sum()),
    "int tensor and int, tensor": assign(lambda fw, y, i: (i, 2), lambda fw, v: v[0, :3]),
    "int tensor, tensor": assign(lambda fw, y, i: i, lambda fw, v: v[:3]),
    "int tensor on dim 1, broadcast": assign(lambda fw, y, i: (slice(None), i % 4), lambda fw, v: v[:, :1]),
    "int tensor, int value": assign(lambda fw, y, i: (i, 0), lambda fw, v: 7),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided"])
@pytest.mark.parametrize("name", SETITEMS)
def test_setitem_matches_torch(rng, name, layout, dtype):
    # Distinct indices: with repeated ones PyTorch leaves unspecified which value wins.
    distinct = rng.permutation(5)[:3]
    check_op(rng, SETITEMS[name], random_array(rng, (5, 4), dtype), random_array(rng, (5, 4), dtype), distinct,
             layout=layout)


def test_setitem_with_ints_and_index_tensors_places_dims_as_torch(rng):
    # PyTorch selects with the ints first: y[1, :, i] is y[1][:, i], of shape 5x3 (NumPy would make it 3x5).
    check_op(rng, assign(lambda fw, y, i: (1, slice(None), i), lambda fw, v: v), random_array(rng, SHAPE),
             random_array(rng, (5, 3)), rng.permutation(6)[:3])
    check_op(rng, assign(lambda fw, y, i: (None, i, Ellipsis, 0), lambda fw, v: v[None]), random_array(rng, SHAPE),
             random_array(rng, (3, 5)), rng.permutation(4)[:3])


def test_setitem_through_a_view_reaches_the_base(rng):
    def write_through_views(fw, x, value):
        result = x * 1
        row = result[1]
        row[2:4] = value  # a view of a view: the base sees the write, and its graph does too
        result[:, 0][::2] = value.sum()
        return result, row

    check_op(rng, write_through_views, random_array(rng, (4, 5)), random_array(rng, (2,)))


def test_setitem_outside_a_graph_writes_in_place(rng):
    def write(fw, x, index):
        with fw.no_grad():
            target = x.detach().clone()
            view = target[1:]
            view[index] = -1.0
            target[0, ::2] = fw.arange(3, dtype=target.dtype)
        return target

    check_op(rng, write, random_array(rng, (4, 6)), np.array([0, 2]))


# ---------------------------------------------------------------- gather, scatter and friends


def gather_index(rng, shape=(4, 3), size=5):
    return random_integers(rng, shape, 0, size)


INDEX_OPS = {
    "gather dim 1": lambda fw, x, i: x.gather(1, i),
    "gather dim 0": lambda fw, x, i: fw.gather(x, 0, i[:, :2] % 4),
    "gather negative dim": lambda fw, x, i: x.gather(-1, i[:2]),
    "take_along_dim": lambda fw, x, i: fw.take_along_dim(x, i, 1),
    "scatter_add": lambda fw, x, i: x.scatter_add(1, i, x[:, :3] * 2),
    "scatter distinct": lambda fw, x, i: x.scatter(1, fw.arange(3).flip(0).expand(4, 3), x[:, 2:] * 3),
    "scatter value": lambda fw, x, i: x.scatter(1, i, 0.5),
    "scatter_ in place": lambda fw, x, i: (x * 1).scatter_(0, i[:1] % 4, -1.0),
    "index_select": lambda fw, x, i: x.index_select(1, i[0]),
    "index_select dim 0": lambda fw, x, i: fw.index_select(x, 0, i.flatten() % 4),
    "index_add": lambda fw, x, i: x.index_add(1, i[0], x[:, :3] * 2),
    "index_add alpha": lambda fw, x, i: fw.index_add(x, 0, i[:, 0] % 4, x, alpha=0.5),
    "index_put accumulate": lambda fw, x, i: x.index_put((i[0] % 4,), x[0, :1] * 3, accumulate=True),
    "index_put": lambda fw, x, i: fw.index_put(x, (fw.arange(3), i[0]), x[0, :3]),
    "masked_fill": lambda fw, x, i: x.masked_fill(x > 0, -1.0),
    "masked_fill broadcast mask": lambda fw, x, i: fw.masked_fill(x, i[:, :1] > 2, 0.5),
    "masked_fill 0-dim tensor": lambda fw, x, i: x.masked_fill(x < 0, x.sum()),
    "masked_fill_ in place": lambda fw, x, i: (x * 1).masked_fill_(x.abs() > 1, 2.0),
    "where one argument": lambda fw, x, i: fw.where(x > 0),
    "nonzero": lambda fw, x, i: (x > 0).nonzero(),
    "nonzero tuple": lambda fw, x, i: fw.nonzero(x > 0, as_tuple=True),
    "argwhere": lambda fw, x, i: fw.argwhere(x < 0),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", INDEX_OPS)
def test_index_ops_match_torch(rng, name, layout, dtype):
    check_op(rng, INDEX_OPS[name], random_array(rng, (4, 5), dtype), gather_index(rng), layout=layout)


@pytest.mark.parametrize("name", [name for name in INDEX_OPS if not name.startswith(("where", "nonzero", "argwhere"))])
def test_index_ops_gradcheck(rng, name):
    check_gradcheck(INDEX_OPS[name], random_array(rng, (4, 5)), gather_index(rng))


def test_scatter_add_of_a_source_larger_than_its_index(rng):
    # Only the part of the source that the index covers is added (PyTorch cannot differentiate this case).
    function = lambda fw, x, i: fw.scatter_add(x, 1, i[:, :2], x * 2)  # noqa: E731
    check_op(rng, function, random_array(rng, (4, 5)), gather_index(rng), backward=False)
    check_gradcheck(function, random_array(rng, (4, 5)), gather_index(rng))


# ---------------------------------------------------------------- bad indices

INDEX_ERRORS = {
    "int out of range": (lambda fw, x: x[4], ("index 4", "size 4")),
    "int out of range on dim 1": (lambda fw, x: x[:, 7], ("index 7", "dimension 1", "size 5")),
    "negative int out of range": (lambda fw, x: x[-5], ("-5", "size 4")),
    "int tensor out of range": (lambda fw, x: x[fw.tensor([0, 4])], ("index 4", "size 4")),
    "too many indices": (lambda fw, x: x[1, 2, 3], ("too many indices", "2")),
    "float index tensor": (lambda fw, x: x[fw.tensor([0.5])], ("long",)),
    "negative step": (lambda fw, x: x[::-1], ("step",)),
    "mask of the wrong shape": (lambda fw, x: x[fw.ones(3, dtype=fw.bool)], ("3", "[4, 5]")),
    "setitem of a wrong shape": (lambda fw, x: x.__setitem__(slice(None), fw.ones(3)), ("[3]", "[4, 5]")),
    "gather index out of range": (lambda fw, x: x.gather(0, fw.tensor([[4]])), ("index 4", "size 4")),
    "gather index of the wrong rank": (lambda fw, x: x.gather(0, fw.tensor([0])), ("dimensions",)),
    "scatter_add index out of range": (lambda fw, x: x.scatter_add(0, fw.tensor([[7]]), x), ("index 7", "size 4")),
    "index_select out of range": (lambda fw, x: x.index_select(0, fw.tensor([9])), ("9",)),
    "masked_fill mask mismatch": (lambda fw, x: x.masked_fill(fw.ones(3, dtype=fw.bool), 0.0), ("[4, 5]", "[3]")),
}


@pytest.mark.parametrize("name", INDEX_ERRORS)
def test_bad_indices_raise_torch_errors_naming_them(rng, name):
    function, mentions = INDEX_ERRORS[name]
    assert_same_error(function, random_array(rng, (4, 5)), mentions=mentions)
