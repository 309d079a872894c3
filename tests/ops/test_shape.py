"""Shape ops against PyTorch: values, gradients and finite differences on every layout, whether the
result is a view that shares memory with its input (exactly when PyTorch's is), joining and splitting,
triangles, flips and rolls, and the errors for impossible shapes and bad dims."""
import pytest
import torch

import spindle
from tests.ops.oracle import (
    DTYPES,
    LAYOUTS,
    Input,
    assert_same_error,
    check_gradcheck,
    check_op,
    flatten_outputs,
    random_array,
)

# name -> (function, input shape)
SHAPE_OPS = {
    "reshape": (lambda fw, x: x.reshape(4, -1), (3, 4)),
    "reshape tuple": (lambda fw, x: fw.reshape(x, (2, 2, 3)), (3, 4)),
    "reshape_as": (lambda fw, x: x.reshape_as(fw.zeros(6, 2)), (3, 4)),
    "view of contiguous": (lambda fw, x: x.contiguous().view(2, 6), (3, 4)),
    "view -1": (lambda fw, x: x.contiguous().view(-1), (3, 4)),
    "view_as": (lambda fw, x: x.contiguous().view_as(fw.zeros(12, 1)), (3, 4)),
    "view splitting a dim": (lambda fw, x: x.view(3, 2, 2), (3, 4)),
    "flatten": (lambda fw, x: fw.flatten(x), (2, 3, 2)),
    "flatten range": (lambda fw, x: x.flatten(1), (2, 3, 2)),
    "flatten 0-dim": (lambda fw, x: x.flatten(), ()),
    "unflatten": (lambda fw, x: x.unflatten(1, (2, -1)), (3, 4)),
    "squeeze": (lambda fw, x: x.squeeze(), (3, 1, 4)),
    "squeeze dim": (lambda fw, x: fw.squeeze(x, -2), (3, 1, 4)),
    "squeeze non-1 dim": (lambda fw, x: x.squeeze(0), (3, 1, 4)),
    "squeeze dims": (lambda fw, x: x.squeeze((0, 1)), (3, 1, 4)),
    "unsqueeze": (lambda fw, x: x.unsqueeze(1), (3, 4)),
    "unsqueeze -1": (lambda fw, x: fw.unsqueeze(x, -1), (3, 4)),
    "permute": (lambda fw, x: x.permute(2, 0, 1), (2, 3, 4)),
    "permute tuple": (lambda fw, x: fw.permute(x, (1, -1, 0)), (2, 3, 4)),
    "transpose": (lambda fw, x: x.transpose(0, 2), (2, 3, 4)),
    "swapaxes": (lambda fw, x: fw.swapaxes(x, -1, 0), (2, 3, 4)),
    "movedim": (lambda fw, x: x.movedim(0, -1), (2, 3, 4)),
    "t": (lambda fw, x: x.t(), (3, 4)),
    "t 1-dim": (lambda fw, x: fw.t(x), (4,)),
    "T": (lambda fw, x: x.T, (3, 4)),
    "mT": (lambda fw, x: x.mT, (2, 3, 4)),
    "expand": (lambda fw, x: x[:, :1].expand(3, 5), (3, 4)),
    "expand new dims": (lambda fw, x: x.expand(2, 3, 4), (3, 4)),
    "expand -1": (lambda fw, x: x.unsqueeze(1).expand(-1, 2, -1), (3, 4)),
    "expand_as": (lambda fw, x: x.expand_as(fw.zeros(2, 3, 4)), (3, 4)),
    "broadcast_to": (lambda fw, x: fw.broadcast_to(x, (5, 3, 4)), (3, 4)),
    "broadcast_tensors": (lambda fw, x: fw.broadcast_tensors(x, x[:1].unsqueeze(0)), (3, 4)),
    "repeat": (lambda fw, x: x.repeat(2, 1, 3), (3, 4)),
    "repeat_interleave": (lambda fw, x: x.repeat_interleave(2, dim=0), (3, 4)),
    "split": (lambda fw, x: x.split(2, dim=1), (3, 5)),
    "split sizes": (lambda fw, x: fw.split(x, [1, 3, 1], -1), (3, 5)),
    "chunk": (lambda fw, x: x.chunk(3, 1), (3, 5)),
    "chunk uneven": (lambda fw, x: fw.chunk(x, 4, 0), (3, 5)),
    "unbind": (lambda fw, x: x.unbind(1), (3, 4)),
    "unbind 0": (lambda fw, x: fw.unbind(x), (3, 4)),
    "narrow": (lambda fw, x: x.narrow(1, 1, 2), (3, 4)),
    "narrow negative start": (lambda fw, x: fw.narrow(x, 0, -2, 2), (3, 4)),
    "triu": (lambda fw, x: x.triu(), (3, 4)),
    "triu offset": (lambda fw, x: fw.triu(x, 1), (3, 4)),
    "tril": (lambda fw, x: fw.tril(x), (2, 3, 4)),
    "tril negative offset": (lambda fw, x: x.tril(-1), (3, 4)),
    "flip": (lambda fw, x: x.flip(0), (3, 4)),
    "flip dims": (lambda fw, x: fw.flip(x, (0, -1)), (2, 3, 4)),
    "fliplr": (lambda fw, x: x.fliplr(), (3, 4)),
    "roll": (lambda fw, x: x.roll(1, 0), (3, 4)),
    "roll dims": (lambda fw, x: fw.roll(x, (2, -1), (1, 0)), (3, 4)),
    "roll flat": (lambda fw, x: x.roll(5), (3, 4)),
    "diagonal": (lambda fw, x: x.diagonal(), (3, 4)),
    "diagonal offset": (lambda fw, x: fw.diagonal(x, 1, -1, -2), (2, 3, 4)),
    "diag of vector": (lambda fw, x: fw.diag(x), (4,)),
    "contiguous": (lambda fw, x: x.contiguous(), (3, 4)),
    "clone": (lambda fw, x: fw.clone(x), (3, 4)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_op_matches_torch(rng, name, layout, dtype):
    function, shape = SHAPE_OPS[name]
    check_op(rng, function, random_array(rng, shape, dtype), layout=layout)


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_op_gradcheck(rng, name):
    function, shape = SHAPE_OPS[name]
    check_gradcheck(function, random_array(rng, shape))


def writes_show_through(framework, item, function):
    """For each result of ``function``: whether writing into the input changes it (it is a view)."""
    data = (item.spindle if framework is spindle else item.torch).detach()
    with framework.no_grad():
        results = flatten_outputs(function(framework, data))
        before = [result.clone() for result in results]
        data.add_(1.0)
        return [not bool((result == original).all()) for result, original in zip(results, before)]


VIEW_OPS = [
    "reshape", "view splitting a dim", "flatten", "unflatten", "squeeze", "squeeze dim", "unsqueeze", "permute",
    "transpose", "movedim", "t", "T", "mT", "expand", "expand new dims", "broadcast_to", "split", "chunk", "unbind",
    "narrow", "diagonal", "contiguous", "clone", "flip", "roll", "repeat", "triu",
]


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided"])
@pytest.mark.parametrize("name", VIEW_OPS)
def test_views_share_memory_exactly_when_torch_views_do(rng, name, layout):
    function, shape = SHAPE_OPS[name]
    item = Input(random_array(rng, shape), layout, requires_grad=False)
    assert writes_show_through(spindle, item, function) == writes_show_through(torch, item, function)


# ---------------------------------------------------------------- joining


JOINS = {
    "cat dim 0": lambda fw, a, b: fw.cat([a, b]),
    "cat dim 1": lambda fw, a, b: fw.cat((a.mT, b.mT, a.mT), dim=1),
    "cat negative dim": lambda fw, a, b: fw.concat([a, b[:1]], dim=-2),
    "cat empty 1-dim": lambda fw, a, b: fw.cat([fw.zeros(0, dtype=a.dtype), a.flatten()]),
    "cat dtypes": lambda fw, a, b: fw.cat([a, b.float()]),
    "stack": lambda fw, a, b: fw.stack([a, b]),
    "stack dim 1": lambda fw, a, b: fw.stack((a, b, a), 1),
    "stack negative dim": lambda fw, a, b: fw.stack([a, b], dim=-1),
    "stack 0-dim": lambda fw, a, b: fw.stack([a.sum(), b[0, 0]]),
    "hstack": lambda fw, a, b: fw.hstack([a, b]),
    "vstack": lambda fw, a, b: fw.vstack([a, b[0]]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", JOINS)
def test_joins_match_torch(rng, name, layout, dtype):
    check_op(rng, JOINS[name], random_array(rng, (3, 4), dtype), random_array(rng, (3, 4), dtype), layout=layout)


@pytest.mark.parametrize("name", [name for name in JOINS if name != "cat dtypes"])  # float32 defeats finite differences
def test_joins_gradcheck(rng, name):
    check_gradcheck(JOINS[name], random_array(rng, (2, 3)), random_array(rng, (2, 3)))


# ---------------------------------------------------------------- bad shapes

SHAPE_ERRORS = {
    "reshape to an impossible shape": (lambda fw, x: x.reshape(5, 5), ("[5, 5]", "24")),
    "reshape with two -1": (lambda fw, x: x.reshape(-1, -1), ("inferred",)),
    "view of incompatible strides": (lambda fw, x: x.mT.view(24), ("view", "[2, 4, 3]")),
    "expand a non-1 dim": (lambda fw, x: x.expand(2, 5, 4), ("5", "3", "[2, 5, 4]")),
    "expand to fewer dims": (lambda fw, x: x.expand(3, 4), ("[3, 4]",)),
    "permute with wrong length": (lambda fw, x: x.permute(0, 1), ("3", "2")),
    "permute with repeated dims": (lambda fw, x: x.permute(0, 1, 1), ("duplicate",)),
    "transpose of a bad dim": (lambda fw, x: x.transpose(0, 3), ("[-3, 2]", "3")),
    "unsqueeze at a bad dim": (lambda fw, x: x.unsqueeze(5), ("[-4, 3]", "5")),
    "squeeze a bad dim": (lambda fw, x: x.squeeze(-4), ("[-3, 2]", "-4")),
    "flatten with start after end": (lambda fw, x: x.flatten(2, 1), ("start_dim",)),
    "repeat with too few sizes": (lambda fw, x: x.repeat(2, 2), ("dimensions",)),
    "split sizes not summing": (lambda fw, x: x.split([1, 1], 1), ("3", "[1, 1]")),
    "narrow past the end": (lambda fw, x: x.narrow(1, 2, 2), ("2", "3")),
    "narrow from a bad start": (lambda fw, x: x.narrow(1, 5, 1), ("[-3, 3]", "5")),
    "t of 3 dims": (lambda fw, x: x.t(), ("3",)),
    "cat of different sizes": (lambda fw, x: fw.cat([x, x[:, :2]], 2), ("3", "2")),
    "cat of different ranks": (lambda fw, x: fw.cat([x, x[0]]), ("3", "2")),
    "stack of different shapes": (lambda fw, x: fw.stack([x, x[:1]]), ("[2, 3, 4]", "[1, 3, 4]")),
    "tril of a vector": (lambda fw, x: x[0, 0].tril(), ("2",)),
}


@pytest.mark.parametrize("name", SHAPE_ERRORS)
def test_bad_shapes_raise_torch_errors_naming_them(rng, name):
    function, mentions = SHAPE_ERRORS[name]
    assert_same_error(function, random_array(rng, (2, 3, 4)), mentions=mentions)


def test_view_of_incompatible_strides_is_refused(rng):
    for layout in ("transposed", "strided"):
        item = Input(random_array(rng, (3, 4)), layout)
        with pytest.raises(RuntimeError):
            item.torch.view(12)
        with pytest.raises(RuntimeError, match="view"):
            item.spindle.view(12)
