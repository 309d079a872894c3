"""More shape and indexing functions against PyTorch: tile/ravel/atleast/stacks/splits, rot90, diff,
diagonal builders, combinatorial factories, select/slice scatters, take/put, index_fill/index_copy,
masked_scatter, scatter_reduce, the strided views ``unfold`` and ``as_strided`` (memory shared with the
base and written through), in-place view ops, and PyTorch's errors for bad arguments."""
import numpy as np
import pytest
import torch

import spindle
from tests.ops.oracle import (
    DTYPES,
    LAYOUTS,
    assert_close,
    assert_same_error,
    check_gradcheck,
    check_op,
    check_second_order,
    random_array,
)


def _index(framework, values):
    return framework.tensor(values, dtype=framework.int64)


# name -> (function(framework, x), input shape); every function is differentiable in x.
OPS = {
    "tile": (lambda fw, x: x.tile(2, 1, 3), (3, 4)),
    "tile fewer dims": (lambda fw, x: fw.tile(x, (2,)), (3, 4)),
    "ravel": (lambda fw, x: fw.ravel(x), (3, 4)),
    "atleast_1d 0-dim": (lambda fw, x: fw.atleast_1d(x), ()),
    "atleast_2d tuple": (lambda fw, x: fw.atleast_2d((x, x[0], x[0, 0])), (3, 4)),
    "atleast_3d several": (lambda fw, x: fw.atleast_3d(x, x[0], x[0, 0]), (3, 4)),
    "column_stack": (lambda fw, x: fw.column_stack([x[:, 0], x, x[:, 1]]), (3, 4)),
    "column_stack vectors": (lambda fw, x: fw.column_stack([x[0], x[1]]), (3, 4)),
    "row_stack": (lambda fw, x: fw.row_stack([x, x[0]]), (3, 4)),
    "dstack": (lambda fw, x: fw.dstack([x, x * 2]), (3, 4)),
    "hsplit": (lambda fw, x: x.hsplit(2), (3, 4)),
    "hsplit indices": (lambda fw, x: fw.hsplit(x, [1, 3]), (3, 4)),
    "vsplit": (lambda fw, x: fw.vsplit(x, 3), (3, 4)),
    "dsplit": (lambda fw, x: x.unsqueeze(-1).expand(3, 4, 4).dsplit([1]), (3, 4)),
    "tensor_split sections": (lambda fw, x: x.tensor_split(3, 1), (3, 5)),
    "tensor_split indices": (lambda fw, x: fw.tensor_split(x, [-3, 2, 9], dim=1), (3, 5)),
    "tensor_split tensor": (lambda fw, x: x.tensor_split(fw.tensor([1, 4]), 1), (3, 5)),
    "tensor_split 0-d tensor": (lambda fw, x: x.tensor_split(fw.tensor(2), 0), (3, 5)),
    "split_with_sizes": (lambda fw, x: fw.split_with_sizes(x, [2, 3], 1), (3, 5)),
    "unsafe_split": (lambda fw, x: fw.unsafe_split(x, 2, 1), (3, 5)),
    "unsafe_chunk": (lambda fw, x: x.unsafe_chunk(2, 1), (3, 5)),
    "rot90": (lambda fw, x: x.rot90(), (3, 4)),
    "rot90 k=2": (lambda fw, x: fw.rot90(x, 2, (1, 2)), (2, 3, 4)),
    "rot90 k=-1": (lambda fw, x: fw.rot90(x, -1, [2, 0]), (2, 3, 4)),
    "rot90 k=4": (lambda fw, x: x.rot90(4), (3, 4)),
    "diff": (lambda fw, x: x.diff(), (3, 5)),
    "diff n=2 dim 0": (lambda fw, x: fw.diff(x, 2, 0), (4, 5)),
    "diff prepend append": (lambda fw, x: fw.diff(x, 1, 1, prepend=x[:, :2], append=x[:, :1] * 2), (3, 5)),
    "diff beyond length": (lambda fw, x: x.diff(4), (3, 2)),
    "diag_embed": (lambda fw, x: x.diag_embed(), (2, 3)),
    "diag_embed offset dims": (lambda fw, x: fw.diag_embed(x, -1, 0, 2), (2, 3)),
    "diag_embed swapped dims": (lambda fw, x: fw.diag_embed(x, 2, -1, -2), (2, 3)),
    "diagflat": (lambda fw, x: fw.diagflat(x), (2, 3)),
    "diagflat offset": (lambda fw, x: x.diagflat(1), (3,)),
    "block_diag": (lambda fw, x: fw.block_diag(x, x[0], x[0, 0], x[:2, :1]), (3, 4)),
    "cartesian_prod": (lambda fw, x: fw.cartesian_prod(x[0], x[1, :2], x[2, 1:]), (3, 4)),
    "combinations": (lambda fw, x: fw.combinations(x), (4,)),
    "combinations r=3 with replacement": (lambda fw, x: fw.combinations(x, 3, with_replacement=True), (4,)),
    "select": (lambda fw, x: x.select(1, -2), (3, 4)),
    "select function": (lambda fw, x: fw.select(x, 0, 2), (3, 4)),
    "select_scatter": (lambda fw, x: fw.select_scatter(x, x[:, 0] * 3, 1, 2), (3, 4)),
    "slice_scatter": (lambda fw, x: fw.slice_scatter(x, x[:, 1:3] * 3, 1, 0, 4, 2), (3, 4)),
    "slice_scatter defaults": (lambda fw, x: x.slice_scatter(x[:2] * 3, start=1), (3, 4)),
    "narrow_copy": (lambda fw, x: fw.narrow_copy(x, 1, 1, 2), (3, 4)),
    "take": (lambda fw, x: x.take(_index(fw, [[0, 11], [-1, 5], [5, 3]])), (3, 4)),
    "put": (lambda fw, x: x.put(_index(fw, [1, -2, 7]), x[0, :3] * 2), (3, 4)),
    "put accumulate": (lambda fw, x: fw.put(x, _index(fw, [1, 1, 7]), x[1, :3], accumulate=True), (3, 4)),
    "index_fill": (lambda fw, x: x.index_fill(1, _index(fw, [0, -1]), -2.5), (3, 4)),
    "index_fill tensor value": (lambda fw, x: fw.index_fill(x, 0, _index(fw, [2]), x[0, 0]), (3, 4)),
    "index_copy": (lambda fw, x: x.index_copy(1, _index(fw, [3, 0]), x[:, 1:3] * 2), (3, 4)),
    "masked_scatter": (lambda fw, x: x.masked_scatter(x > 0, x.flip(0) * 2), (3, 4)),
    "masked_scatter broadcast": (lambda fw, x: x[0].masked_scatter(x > 0, x.flip(0) * 2), (3, 4)),
    "unfold": (lambda fw, x: x.unfold(1, 2, 1), (3, 5)),
    "unfold step": (lambda fw, x: x.unfold(0, 2, 3), (7, 2)),
    "unfold twice": (lambda fw, x: x.unfold(0, 2, 1).unfold(1, 3, 2), (3, 7)),
    "as_strided": (lambda fw, x: x.contiguous().as_strided((2, 3), (1, 2), 1), (3, 4)),
    "as_strided of a view": (lambda fw, x: fw.as_strided(x.contiguous()[1:], (3, 2), (2, 1)), (3, 4)),
    "sum_to_size": (lambda fw, x: x.sum_to_size(1, 4), (3, 4)),
    "sum_to_size fewer dims": (lambda fw, x: x.sum_to_size((3, 1)), (2, 3, 4)),
    "transpose_": (lambda fw, x: (x * 1).transpose_(0, 1), (3, 4)),
    "swapaxes_ then op": (lambda fw, x: (x * 1).swapaxes_(0, -1).exp(), (2, 3, 4)),
    "swapdims_": (lambda fw, x: (x * 1).swapdims_(1, 0), (3, 4)),
    "t_": (lambda fw, x: (x * 1).t_(), (3, 4)),
    "unsqueeze_": (lambda fw, x: (x * 1).unsqueeze_(1), (3, 4)),
    "squeeze_": (lambda fw, x: (x * 1).squeeze_(1), (3, 1, 4)),
    "fill_diagonal_": (lambda fw, x: (x * 1).fill_diagonal_(2.0), (3, 4)),
    "fill_diagonal_ wrap": (lambda fw, x: (x * 1).fill_diagonal_(-1.0, wrap=True), (7, 3)),
    "fill_diagonal_ cube": (lambda fw, x: (x * 1).fill_diagonal_(0.5), (3, 3, 3)),
    "put_": (lambda fw, x: (x * 1).put_(_index(fw, [0, 4]), x[2, :2]), (3, 4)),
    "index_fill_": (lambda fw, x: (x * 1).index_fill_(0, _index(fw, [1]), 7.0), (3, 4)),
    "index_copy_": (lambda fw, x: (x * 1).index_copy_(0, _index(fw, [2]), x[:1] * 5), (3, 4)),
    "masked_scatter_": (lambda fw, x: (x * 1).masked_scatter_(x[0] > 0, x * 3), (3, 4)),
}

# Scatter-reduce cases: (reduce, include_self, dim); the index draws positions with repeats.
SCATTER_REDUCE_CASES = [
    (reduce, include_self, dim)
    for reduce in ("sum", "prod", "mean", "amax", "amin")
    for include_self in (True, False)
    for dim in (0, 1)
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", OPS)
def test_op_matches_torch(rng, name, layout, dtype):
    function, shape = OPS[name]
    check_op(rng, function, random_array(rng, shape, dtype), layout=layout)


@pytest.mark.parametrize(
    "name", ["unfold", "unfold twice", "as_strided", "as_strided of a view", "diag_embed offset dims", "index_fill tensor value",
             "index_copy", "put", "put accumulate", "masked_scatter", "diff prepend append", "rot90 k=-1"]
)
def test_gradcheck(rng, name):
    function, shape = OPS[name]
    check_gradcheck(function, random_array(rng, shape))


@pytest.mark.parametrize("name", ["unfold twice", "as_strided of a view", "masked_scatter", "index_copy", "put"])
def test_second_order_matches_torch(rng, name):
    function, shape = OPS[name]
    check_second_order(rng, function, random_array(rng, shape), layout="transposed")


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "prod"])
def test_scatter_reduce_second_order_matches_torch(rng, reduce):
    index = rng.integers(0, 3, (4, 3))

    def function(fw, x, source):
        return x.scatter_reduce(0, fw.tensor(index), source, reduce, include_self=reduce != "mean")

    check_second_order(rng, function, random_array(rng, (3, 4)), random_array(rng, index.shape))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", SCATTER_REDUCE_CASES, ids=lambda case: "-".join(map(str, case)))
def test_scatter_reduce_matches_torch(rng, case, dtype):
    reduce, include_self, dim = case
    index = rng.integers(0, 3, (4, 3) if dim == 0 else (3, 5))

    def function(fw, x, source):
        return x.scatter_reduce(dim, fw.tensor(index), source, reduce, include_self=include_self)

    check_op(rng, function, random_array(rng, (3, 4), dtype), random_array(rng, index.shape, dtype), layout="transposed")
    check_gradcheck(function, random_array(rng, (3, 4)), random_array(rng, index.shape))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin", "max", "min"])
def test_scatter_reduce_integers_and_in_place(rng, reduce):
    values, source = rng.integers(-9, 9, (3, 4)), rng.integers(-9, 9, (5, 4))
    index = rng.integers(0, 3, (5, 4))
    results = []
    for fw in (spindle, torch):
        x = fw.tensor(values)
        returned = x.scatter_reduce_(0, fw.tensor(index), fw.tensor(source), reduce, include_self=False)
        assert returned is x
        results.append(x)
    assert_close(*results)


def test_scatter_reduce_product_with_zeros_matches_torch(rng):
    x, source = random_array(rng, (3, 4)), random_array(rng, (5, 4))
    x[0, 1] = 0.0
    source[1, 2] = 0.0
    index = np.zeros((5, 4), dtype=np.int64)
    index[3:, :] = 2
    check_op(rng, lambda fw, x, s: x.scatter_reduce(0, fw.tensor(index), s, "prod"), x, source)


VANDER_CASES = {
    "vander": lambda fw, x: fw.vander(x),
    "vander increasing N": lambda fw, x: fw.vander(x, N=3, increasing=True),
    "vander N=1": lambda fw, x: fw.vander(x, 1),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", VANDER_CASES)
def test_vander(rng, name, dtype):
    """Values against PyTorch; gradients by finite differences (PyTorch's own vander backward fails: it
    modifies a saved tensor in place)."""
    check_op(rng, VANDER_CASES[name], random_array(rng, (4,), dtype), backward=False)
    check_gradcheck(VANDER_CASES[name], random_array(rng, (4,)))


@pytest.mark.parametrize("dtype", ["int64", "bool", "float64"])
def test_diff_of_integers_and_booleans(rng, dtype):
    values = rng.integers(0, 2 if dtype == "bool" else 9, (3, 6)).astype(dtype)
    check_op(rng, lambda fw, x: (x.diff(), fw.diff(x, 2, 0)), values)


@pytest.mark.parametrize("arguments", [(3, 3, 0), (4, 3, 1), (3, 5, -2), (0, 3, 0), (2, 6, 10)])
@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
def test_triangle_indices(name, arguments):
    assert_close(getattr(spindle, name)(*arguments), getattr(torch, name)(*arguments))
    assert_close(getattr(spindle, name)(*arguments, dtype=spindle.int32), getattr(torch, name)(*arguments, dtype=torch.int32))


def test_integer_results_keep_their_dtype(rng):
    values = rng.integers(-5, 5, (4,))
    check_op(rng, lambda fw, x: (fw.vander(x), fw.combinations(x), fw.block_diag(x, x[:2].reshape(2, 1).float())), values)


def test_unfold_is_a_view_written_through_and_through_which_the_base_changes(rng):
    values = random_array(rng, (4, 6))
    results = []
    for fw in (spindle, torch):
        base = fw.tensor(values)
        windows = base.unfold(1, 3, 2)
        windows[1, 0, 2] = 100.0  # element (1, 2) of the base
        base[2, 4] = -100.0  # seen by windows (2, 1, 2) and (2, 2, 0)
        assert windows._version == base._version
        results.append((base.clone(), windows.clone(), windows.stride()))
    assert_close(results[0][0], results[1][0])
    assert_close(results[0][1], results[1][1])
    assert results[0][2] == results[1][2]


def test_as_strided_views_the_base_storage(rng):
    values = random_array(rng, (3, 4))
    results = []
    for fw in (spindle, torch):
        base = fw.tensor(values)
        part = base[1:]
        strided = part.as_strided((2, 2), (4, 1), 0)  # storage offset counts from the base's start
        default_offset = part.as_strided((2,), (1,))  # starts where ``part`` starts
        strided[0, 1] = 50.0
        results.append((base.clone(), strided.clone(), default_offset.clone(), strided.storage_offset(), default_offset.storage_offset()))
    for actual, expected in zip(results[0][:3], results[1][:3]):
        assert_close(actual, expected)
    assert results[0][3:] == results[1][3:]


def test_select_is_a_view_and_in_place_through_it_reaches_the_base(rng):
    values = random_array(rng, (3, 4))
    results = []
    for fw in (spindle, torch):
        leaf = fw.tensor(values, requires_grad=True)
        base = leaf * 2
        base.select(1, 2).mul_(3)
        base.sum().backward()
        results.append((base.detach().clone(), leaf.grad))
    assert_close(*[result[0] for result in results])
    assert_close(*[result[1] for result in results])


def test_in_place_ops_refuse_leaves_that_require_grad():
    for call in (lambda x: x.transpose_(0, 1), lambda x: x.t_(), lambda x: x.fill_diagonal_(1.0),
                 lambda x: x.index_fill_(0, spindle.tensor([0]), 1.0), lambda x: x[0].unsqueeze_(0)):
        with pytest.raises(RuntimeError, match="leaf Variable"):
            call(spindle.zeros(3, 3, requires_grad=True))


def test_predicates_and_new_empty_strided():
    x = spindle.zeros(2, 3)
    assert spindle.is_same_size(x, spindle.ones(2, 3)) and not x.is_same_size(spindle.ones(3, 2))
    assert [t.is_signed() for t in (x, x.long(), x.byte(), x.bool())] == [True, True, False, False]
    assert spindle.is_nonzero(spindle.tensor([1.5])) and not spindle.tensor(0).is_nonzero()
    strided = x.new_empty_strided((2, 3), (1, 2), dtype=spindle.float64)
    reference = torch.zeros(2, 3).new_empty_strided((2, 3), (1, 2), dtype=torch.float64)
    assert (strided.shape, strided.stride(), strided.dtype) == (tuple(reference.shape), reference.stride(), spindle.float64)


ERRORS = {
    "unfold too large": (lambda fw, x: x.unfold(0, 4, 1), (3, 4)),
    "unfold zero step": (lambda fw, x: x.unfold(1, 2, 0), (3, 4)),
    "unfold bad dim": (lambda fw, x: x.unfold(2, 1, 1), (3, 4)),
    "as_strided out of bounds": (lambda fw, x: x.as_strided((3, 5), (4, 1)), (3, 4)),
    "as_strided negative stride": (lambda fw, x: x.as_strided((2, 2), (1, -1)), (3, 4)),
    "as_strided length mismatch": (lambda fw, x: x.as_strided((2, 2), (1,)), (3, 4)),
    "select out of range": (lambda fw, x: x.select(0, 3), (3, 4)),
    "select_scatter wrong size": (lambda fw, x: fw.select_scatter(x, x[0], 1, 0), (3, 4)),
    "slice_scatter wrong size": (lambda fw, x: fw.slice_scatter(x, x[:, :2], 1, 0, 1), (3, 4)),
    "take float index": (lambda fw, x: x.take(fw.tensor([1.0])), (3, 4)),
    "take out of range": (lambda fw, x: x.take(fw.tensor([12])), (3, 4)),
    "put sizes differ": (lambda fw, x: x.put(fw.tensor([1, 2]), x[0]), (3, 4)),
    "put out of range": (lambda fw, x: x.put(fw.tensor([-13]), x[0, :1]), (3, 4)),
    "index_fill out of range": (lambda fw, x: x.index_fill(1, fw.tensor([4]), 1.0), (3, 4)),
    "index_fill vector value": (lambda fw, x: x.index_fill(1, fw.tensor([0]), x[0]), (3, 4)),
    "index_copy count": (lambda fw, x: x.index_copy(0, fw.tensor([1]), x[:2]), (3, 4)),
    "index_copy out of range": (lambda fw, x: x.index_copy(0, fw.tensor([3]), x[:1]), (3, 4)),
    "masked_scatter float mask": (lambda fw, x: x.masked_scatter(x, x), (3, 4)),
    "masked_scatter short source": (lambda fw, x: x.masked_scatter(x == x, x[0]), (3, 4)),
    "scatter_reduce bad reduce": (lambda fw, x: x.scatter_reduce(0, fw.tensor([[0]]), x, "add"), (3, 4)),
    "scatter_reduce out of range": (lambda fw, x: x.scatter_reduce(0, fw.tensor([[3]]), x, "sum"), (3, 4)),
    "rot90 one dim": (lambda fw, x: x.rot90(1, [0]), (3, 4)),
    "rot90 vector": (lambda fw, x: x[0].rot90(), (3, 4)),
    "rot90 same dims": (lambda fw, x: x.rot90(1, [1, -1]), (3, 4)),
    "diff negative order": (lambda fw, x: x.diff(-1), (3, 4)),
    "diff 0-dim": (lambda fw, x: x[0, 0].diff(), (3, 4)),
    "diff prepend dims": (lambda fw, x: x.diff(prepend=x[0]), (3, 4)),
    "diag_embed same dims": (lambda fw, x: x.diag_embed(0, 1, -2), (3, 4)),
    "block_diag 3-d": (lambda fw, x: fw.block_diag(x, x.unsqueeze(0)), (3, 4)),
    "combinations of a matrix": (lambda fw, x: fw.combinations(x), (3, 4)),
    "vander of a matrix": (lambda fw, x: fw.vander(x), (3, 4)),
    "tensor_split zero sections": (lambda fw, x: x.tensor_split(0), (3, 4)),
    "tensor_split float tensor": (lambda fw, x: x.tensor_split(fw.tensor([1.0])), (3, 4)),
    "hsplit indivisible": (lambda fw, x: x.hsplit(3), (3, 4)),
    "vsplit of a vector": (lambda fw, x: x[0].vsplit(2), (3, 4)),
    "dsplit of a matrix": (lambda fw, x: x.dsplit(2), (3, 4)),
    "sum_to_size not expandable": (lambda fw, x: x.sum_to_size(2, 4), (3, 4)),
    "fill_diagonal_ vector": (lambda fw, x: x[0].fill_diagonal_(1.0), (3, 4)),
    "fill_diagonal_ unequal cube": (lambda fw, x: x.unsqueeze(0).fill_diagonal_(1.0), (3, 4)),
    "is_nonzero of many": (lambda fw, x: x.is_nonzero(), (3, 4)),
    "is_nonzero of none": (lambda fw, x: x[:0].is_nonzero(), (3, 4)),
    "tril_indices float": (lambda fw, x: fw.tril_indices(3, 3, dtype=fw.float32), (3, 4)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_bad_arguments_raise_torch_errors(rng, name):
    function, shape = ERRORS[name]
    assert_same_error(function, random_array(rng, shape))
