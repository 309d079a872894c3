"""The fused ops (cross-entropy, layer normalization, GELU, masked softmax) against PyTorch: values
and gradients in float32 and float64 over memory layouts and in blocks of a few elements, finite
differences, second-order gradients (which go through each op's composite), a second backward with
retain_graph, and the error for a freed graph."""
import numpy as np
import pytest

import spindle
from spindle.ops import fused
from spindle.ops.fused import MaskedSoftmax
from tests.ops.oracle import (
    DTYPES,
    LAYOUTS,
    check_gradcheck,
    check_op,
    check_second_order,
    random_array,
)

CLASSES = 5


def targets(rng, rows, ignored=0):
    """Class indices for ``rows`` samples, ``ignored`` of them set to ignore_index -100."""
    values = rng.integers(0, CLASSES, rows)
    values[rng.permutation(rows)[:ignored]] = -100
    return values


def class_weights(rng):
    """Per-class weights as a tuple: PyTorch's cross-entropy takes no gradient for them."""
    return tuple(rng.uniform(0.5, 2.0, CLASSES).tolist())


def weighted_cross_entropy(reduction):
    return lambda fw, x, weights, t: fw.nn.functional.cross_entropy(
        x, t, fw.tensor(weights, dtype=x.dtype), reduction=reduction)


CROSS_ENTROPY = {
    "mean": lambda fw, x, t: fw.nn.functional.cross_entropy(x, t),
    "sum": lambda fw, x, t: fw.nn.functional.cross_entropy(x, t, reduction="sum"),
    "none": lambda fw, x, t: fw.nn.functional.cross_entropy(x, t, reduction="none"),
    "ignore_index_2": lambda fw, x, t: fw.nn.functional.cross_entropy(x, t.abs() % CLASSES, ignore_index=2),
}
LAYER_NORM = {
    "affine": lambda fw, x, w, b: fw.nn.functional.layer_norm(x, (x.shape[-1],), w, b),
    "weight_only": lambda fw, x, w, b: fw.nn.functional.layer_norm(x, (x.shape[-1],), w),
    "plain": lambda fw, x, w, b: fw.nn.functional.layer_norm(x, (x.shape[-1],), eps=1e-3),
    "two_dims": lambda fw, x, w, b: fw.nn.functional.layer_norm(x, tuple(x.shape[-2:])),
    # The weight also makes the input: its gradient sums both paths, the op gives only its own.
    "weight_in_input": lambda fw, x, w, b: fw.nn.functional.layer_norm(x * w, (x.shape[-1],), w, b),
}
GELU = {
    "exact": lambda fw, x: fw.nn.functional.gelu(x),
    "tanh": lambda fw, x: fw.nn.functional.gelu(x, approximate="tanh"),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS[:3])
@pytest.mark.parametrize("name", sorted(CROSS_ENTROPY))
def test_cross_entropy_matches_torch(rng, name, layout, dtype):
    check_op(rng, CROSS_ENTROPY[name], random_array(rng, (6, CLASSES), dtype, scale=3.0), targets(rng, 6, 2),
             layout=layout)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_with_class_weights_and_extra_dims_matches_torch(rng, dtype):
    target = targets(rng, 12, 3).reshape(3, 4)
    check_op(rng, weighted_cross_entropy("mean"), random_array(rng, (3, CLASSES, 4), dtype), class_weights(rng),
             target)
    check_op(rng, lambda fw, x, t: fw.nn.functional.cross_entropy(x, t), random_array(rng, (CLASSES,), dtype),
             np.array(3))


def test_cross_entropy_of_large_logits_is_finite(rng):
    logits = random_array(rng, (4, CLASSES), "float32", scale=1e4)
    check_op(rng, CROSS_ENTROPY["mean"], logits, targets(rng, 4))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", sorted(LAYER_NORM))
def test_layer_norm_matches_torch(rng, name, layout, dtype):
    check_op(rng, LAYER_NORM[name], random_array(rng, (3, 4, 6), dtype), random_array(rng, (6,), dtype),
             random_array(rng, (6,), dtype), layout=layout)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", sorted(GELU))
def test_gelu_matches_torch(rng, name, layout, dtype):
    check_op(rng, GELU[name], random_array(rng, (4, 6), dtype, scale=3.0), layout=layout)


def masked_softmax(fw, x, forbidden):
    """Spindle's fused op; PyTorch's composite of the same definition."""
    forbidden = fw.tensor(forbidden)
    if fw is spindle:
        return MaskedSoftmax.apply(x, forbidden)
    masked = x.masked_fill(forbidden, float("-inf"))
    nothing_allowed = masked.amax(-1, keepdim=True) == float("-inf")
    return masked.masked_fill(nothing_allowed, 0.0).softmax(-1).masked_fill(nothing_allowed, 0.0)


def forbidden_places(rng, shape):
    """A boolean mask with every row of the last two dims partly allowed, except row 1, forbidden."""
    forbidden = rng.random(shape) < 0.4
    forbidden[..., 0] = False
    forbidden[..., 1, :] = True
    return forbidden


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shapes", [((2, 3, 4, 5), (2, 3, 4, 5)), ((2, 3, 4, 5), (4, 5)), ((3, 4, 5), (2, 1, 4, 5))],
                         ids=["same", "mask_broadcast", "both_broadcast"])
def test_masked_softmax_matches_torch(rng, shapes, layout, dtype):
    check_op(rng, masked_softmax, random_array(rng, shapes[0], dtype, scale=3.0), forbidden_places(rng, shapes[1]),
             layout=layout)


@pytest.mark.parametrize("dtype", DTYPES)
def test_blocked_loops_match_torch(rng, monkeypatch, dtype):
    # Blocks of a few elements: rows split across blocks, and a last block shorter than the others.
    monkeypatch.setattr(fused, "_BLOCK_ELEMENTS", 7)
    check_op(rng, CROSS_ENTROPY["mean"], random_array(rng, (9, CLASSES), dtype), targets(rng, 9, 2))
    check_op(rng, LAYER_NORM["affine"], random_array(rng, (3, 5, 6), dtype), random_array(rng, (6,), dtype),
             random_array(rng, (6,), dtype), layout="strided")
    for function in GELU.values():
        check_op(rng, function, random_array(rng, (5, 6), dtype), layout="transposed")
    check_op(rng, masked_softmax, random_array(rng, (3, 4, 5), dtype), forbidden_places(rng, (4, 5)))


def test_gradcheck(rng):
    check_gradcheck(CROSS_ENTROPY["ignore_index_2"], random_array(rng, (6, CLASSES)), targets(rng, 6, 2))
    for function in LAYER_NORM.values():
        check_gradcheck(function, random_array(rng, (3, 4, 6)), random_array(rng, (6,)), random_array(rng, (6,)))
    for function in GELU.values():
        check_gradcheck(function, random_array(rng, (4, 6), scale=3.0))
    check_gradcheck(masked_softmax, random_array(rng, (2, 4, 5)), forbidden_places(rng, (4, 5)))


def test_second_order_gradients_match_torch(rng):
    check_second_order(rng, CROSS_ENTROPY["mean"], random_array(rng, (6, CLASSES)), targets(rng, 6, 2))
    check_second_order(rng, weighted_cross_entropy("none"), random_array(rng, (6, CLASSES)), class_weights(rng),
                       targets(rng, 6, 2))
    for function in LAYER_NORM.values():
        check_second_order(rng, function, random_array(rng, (3, 4, 6)), random_array(rng, (6,)),
                           random_array(rng, (6,)), layout="transposed")
    for function in GELU.values():
        check_second_order(rng, function, random_array(rng, (4, 6), scale=3.0))
    check_second_order(rng, masked_softmax, random_array(rng, (2, 4, 5)), forbidden_places(rng, (4, 5)))


CALLS = {
    "cross_entropy": lambda x: spindle.nn.functional.cross_entropy(x, spindle.tensor([0, 3, 1])),
    "layer_norm": lambda x: spindle.nn.functional.layer_norm(x, (5,), spindle.ones(5, requires_grad=True)).sum(),
    "gelu": lambda x: spindle.nn.functional.gelu(x, approximate="tanh").sum(),
    "masked_softmax": lambda x: (MaskedSoftmax.apply(x, spindle.ones(5, 5, dtype=spindle.bool).triu(1)[:3]) * x).sum(),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_second_backward_needs_retain_graph(rng, name):
    x = spindle.tensor(random_array(rng, (3, 5)), requires_grad=True)
    loss = CALLS[name](x)
    loss.backward(retain_graph=True)
    first = x.grad.clone()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
