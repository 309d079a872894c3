"""Selections, scans and statistics against PyTorch: median/nanmedian/kthvalue/mode, quantiles, running
extrema, logcumsumexp, aminmax, cov/corrcoef, trapezoid rules, in-place cumsum/cumprod (values, indices,
gradients), and the integer results unique/searchsorted/bucketize/histc/histogram/bincount; NaN, empty
and 0-d inputs; errors. (PyTorch marks the floating results of unique, histogram and bincount as
requiring grad though they have no gradient; the tests detach their inputs.) Indices are compared on
tie-free inputs only (random normal values); on inputs with ties the gradient must land on one of the
tied elements."""
import numpy as np
import pytest

import spindle
from tests.ops.oracle import (
    DTYPES,
    LAYOUTS,
    assert_same_error,
    check_gradcheck,
    check_op,
    check_second_order,
    random_array,
    random_integers,
)

SHAPE = (4, 5)  # an even and an odd dim: lower medians and exact middles

# Differentiable functions of one input; on tie-free inputs their values, indices and gradients are unique.
SELECTIONS = {
    "median": lambda fw, x: x.median(),
    "median dim": lambda fw, x: fw.median(x, 1),
    "median even dim keepdim": lambda fw, x: x.median(dim=-2, keepdim=True),
    "median fields": lambda fw, x: (x.median(0).values, x.median(0).indices),
    "nanmedian": lambda fw, x: fw.nanmedian(x),
    "nanmedian dim": lambda fw, x: x.nanmedian(0),
    "kthvalue": lambda fw, x: x.kthvalue(2),
    "kthvalue dim keepdim": lambda fw, x: fw.kthvalue(x, 3, 0, True),
    "cummax": lambda fw, x: fw.cummax(x, 1),
    "cummin fields": lambda fw, x: (x.cummin(0).values, x.cummin(dim=0).indices),
    "msort": lambda fw, x: fw.msort(x),
    "quantile": lambda fw, x: fw.quantile(x, 0.3),
    "quantile dim": lambda fw, x: x.quantile(0.7, dim=1),
    "quantile keepdim": lambda fw, x: x.quantile(0.25, dim=0, keepdim=True),
    "quantile all keepdim": lambda fw, x: x.quantile(0.6, keepdim=True),
    "quantile lower": lambda fw, x: x.quantile(0.4, dim=1, interpolation="lower"),
    "quantile higher": lambda fw, x: x.quantile(0.4, dim=0, interpolation="higher"),
    "quantile midpoint": lambda fw, x: x.quantile(0.55, dim=1, interpolation="midpoint"),
    "quantile nearest": lambda fw, x: fw.quantile(x, 0.35, dim=-1, interpolation="nearest"),
    "nanquantile": lambda fw, x: fw.nanquantile(x, 0.8, dim=0),
    "logcumsumexp": lambda fw, x: x.logcumsumexp(1),
    "logcumsumexp dim 0": lambda fw, x: fw.logcumsumexp(x, dim=0),
    "aminmax": lambda fw, x: fw.aminmax(x),
    "aminmax dim": lambda fw, x: x.aminmax(dim=1, keepdim=True),
    "aminmax fields": lambda fw, x: (x.aminmax(dim=0).min, x.aminmax(dim=0).max),
    "cov": lambda fw, x: fw.cov(x),
    "cov correction 0": lambda fw, x: x.cov(correction=0),
    "cov one variable": lambda fw, x: fw.cov(x[0]),
    "corrcoef": lambda fw, x: fw.corrcoef(x),
    "trapezoid": lambda fw, x: fw.trapezoid(x),
    "trapezoid dx dim": lambda fw, x: fw.trapezoid(x, dx=0.5, dim=0),
    "trapz": lambda fw, x: fw.trapz(x, dim=0),
    "cumulative_trapezoid": lambda fw, x: fw.cumulative_trapezoid(x),
    "cumulative_trapezoid dx": lambda fw, x: fw.cumulative_trapezoid(x, dx=2.0, dim=0),
    "cumsum_": lambda fw, x: (x * 1).cumsum_(1),
    "cumprod_": lambda fw, x: (x * 1).cumprod_(dim=0),
}
GRADCHECKED = ("median", "median dim", "kthvalue", "cummax", "quantile dim", "quantile midpoint", "logcumsumexp",
               "cov", "corrcoef", "cumulative_trapezoid")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", [layout for layout in LAYOUTS if layout != "expanded"])  # expanded: ties
@pytest.mark.parametrize("name", SELECTIONS)
def test_selections_and_statistics_match_torch(rng, name, layout, dtype):
    check_op(rng, SELECTIONS[name], random_array(rng, SHAPE, dtype), layout=layout)


@pytest.mark.parametrize("name", GRADCHECKED)
def test_gradcheck(rng, name):
    check_gradcheck(SELECTIONS[name], random_array(rng, SHAPE))


@pytest.mark.parametrize("name", ["logcumsumexp", "median", "quantile dim"])
def test_second_order(rng, name):
    check_second_order(rng, SELECTIONS[name], random_array(rng, SHAPE))


def test_logcumsumexp_is_stable_and_handles_infinities(rng):
    values = np.array([[-1000.0, 0.0, 1000.0, -np.inf, 3.0], [-np.inf, -np.inf, 2.0, 1e30 * 0 + 5.0, -7.0]])
    check_op(rng, lambda fw, x: x.logcumsumexp(1), values)


# Selections keeping the reduced dim, so that their indices index the input along ``axis``: (function, axis).
TIED_SELECTIONS = {
    "median": (lambda x: x.median(1, keepdim=True), 1),
    "nanmedian": (lambda x: x.nanmedian(0, True), 0),
    "kthvalue": (lambda x: x.kthvalue(2, 1, True), 1),
    "mode": (lambda x: x.mode(0, True), 0),
    "cummax": (lambda x: x.cummax(1), 1),
    "cummin": (lambda x: x.cummin(0), 0),
}


@pytest.mark.parametrize("name", TIED_SELECTIONS)
def test_gradient_of_tied_selection_goes_to_a_tied_element(rng, name):
    function, axis = TIED_SELECTIONS[name]
    values = random_integers(rng, (6, 7), 0, 3).astype(np.float64)  # many ties
    x = spindle.tensor(values, requires_grad=True)
    chosen_values, chosen_indices = function(x)
    np.testing.assert_array_equal(np.take_along_axis(values, chosen_indices.numpy(), axis), chosen_values.detach().numpy())
    chosen_values.sum().backward()
    expected = np.zeros_like(values)
    np.add.at(expected, tuple(np.indices(chosen_indices.shape)[:axis]) + (chosen_indices.numpy(),)
              + tuple(np.indices(chosen_indices.shape)[axis + 1:]), 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    if name != "mode":
        check_op(rng, lambda fw, x: function(x).values, values, backward=False)  # PyTorch's values


def test_mode_values(rng):
    values = random_integers(rng, (6, 7), 0, 4).astype(np.float64)
    check_op(rng, lambda fw, x: (fw.mode(x).values, x.mode(0, True).values), values)
    check_op(rng, lambda fw, x: fw.mode(x), rng.permutation(10).astype(np.float32))  # no repeats: the smallest


def test_median_of_ties_shares_the_gradient_evenly(rng):
    values = random_integers(rng, SHAPE, 0, 3).astype(np.float64)
    check_op(rng, lambda fw, x: (x.median(), fw.nanmedian(x)), values)


def test_nan_handling_matches_torch(rng):
    values = random_array(rng, (3, 6))
    values[0, 2] = values[0, 4] = values[2, 1] = np.nan
    values[1, :] = np.nan
    # Among NaNs (ties) PyTorch's index choice is its quickselect's, except median's first NaN: indices are
    # compared only where they are defined.
    functions = {
        "median": lambda fw, x: (x.median(), x.median(1), x.median(0)),
        "nanmedian": lambda fw, x: (x.nanmedian(), x.nanmedian(1).values, x.nanmedian(0), x[::2].nanmedian(1)),
        "kthvalue": lambda fw, x: (x.kthvalue(6, 1).values, x.kthvalue(3, 1).values),
        "quantile": lambda fw, x: (x.quantile(0.3), x.quantile(0.5, 1)),
        "nanquantile": lambda fw, x: (x.nanquantile(0.3), x.nanquantile(0.5, 1), x.nanquantile(0.5, 0)),
        "cummax": lambda fw, x: (fw.cummax(x, 1), fw.cummin(x, 1)),
    }
    for function in functions.values():
        check_op(rng, function, values, backward=False)


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_with_tensor_q(rng, interpolation):
    q = np.concatenate([random_array(rng, (3,), low=0.0, high=1.0), [0.0, 1.0]])
    check_op(rng, lambda fw, x, q: fw.quantile(x, q, dim=1, interpolation=interpolation), random_array(rng, SHAPE), q)
    check_op(rng, lambda fw, x, q: x.nanquantile(q, keepdim=True, interpolation=interpolation), random_array(rng, SHAPE, "float32"), q.astype(np.float32))


def test_quantile_rounds_half_to_even_with_nearest(rng):
    check_op(rng, lambda fw, x: x.quantile(fw.tensor([0.125, 0.375, 0.625]), interpolation="nearest"), random_array(rng, (5,), "float32"))


def test_trapezoid_with_sample_points(rng):
    y = random_array(rng, SHAPE)
    check_op(rng, lambda fw, y, x: fw.trapezoid(y, x), y, random_array(rng, (5,)))
    check_op(rng, lambda fw, y, x: fw.trapezoid(y, x, dim=0), y, random_array(rng, (4,)))
    check_op(rng, lambda fw, y, x: fw.trapezoid(y, x), y, random_array(rng, SHAPE))
    check_op(rng, lambda fw, y, x: fw.cumulative_trapezoid(y, x, dim=0), y, random_array(rng, (4,)))
    check_op(rng, lambda fw, y, x: fw.trapz(y, x), y, random_array(rng, (1, 5)))
    integers = random_integers(rng, SHAPE)
    check_op(rng, lambda fw, y: (fw.trapezoid(y), fw.trapezoid(y, dx=2), fw.cumulative_trapezoid(y)), integers)
    check_op(rng, lambda fw, y, x: fw.trapezoid(y, x), integers, random_integers(rng, (5,)))


def test_cov_with_weights(rng):
    x = random_array(rng, (3, 6))
    frequencies = random_integers(rng, (6,), 0, 4)
    weights = random_array(rng, (6,), low=0.1, high=2.0)
    check_op(rng, lambda fw, x, f: fw.cov(x, fweights=f), x, frequencies)
    check_op(rng, lambda fw, x, a: fw.cov(x, aweights=a), x, weights)
    check_op(rng, lambda fw, x, f, a: x.cov(correction=0, fweights=f, aweights=a), x, frequencies, weights)
    check_op(rng, lambda fw, x, f, a: fw.cov(x, correction=2, fweights=f, aweights=a), x, frequencies, weights)
    check_op(rng, lambda fw, x: (fw.cov(x), fw.corrcoef(x)), random_integers(rng, (3, 6)))


def test_edge_cases_match_torch(rng):
    scalar = random_array(rng, ())
    check_op(rng, lambda fw, x: (x.median(), x.median(0), fw.kthvalue(x, 1), x.mode(), x.cummax(0), x.cummin(-1),
                                 x.logcumsumexp(0), x.quantile(0.5), x.quantile(0.5, 0), x.aminmax(),
                                 fw.nanmedian(x, 0, True)), scalar)
    empty = np.zeros((2, 0))
    check_op(rng, lambda fw, x: (x.median(), x.nanmedian(), x.cummax(1), x.logcumsumexp(1), fw.trapezoid(x),
                                 fw.cumulative_trapezoid(x), fw.msort(x)), empty)
    check_op(rng, lambda fw, x: x.detach().unique(return_inverse=True, return_counts=True), empty)
    check_op(rng, lambda fw, x: fw.unique(x.detach(), return_inverse=True), scalar)


def test_unique_and_unique_consecutive(rng):
    values = random_integers(rng, (5, 3), 0, 3)
    check_op(rng, lambda fw, x: fw.unique(x), values)
    check_op(rng, lambda fw, x: x.unique(sorted=True, return_inverse=True, return_counts=True), values)
    check_op(rng, lambda fw, x: fw.unique(x, return_counts=True, dim=0), values)
    check_op(rng, lambda fw, x: x.unique(return_inverse=True, dim=1), values)
    check_op(rng, lambda fw, x: x.unique(sorted=False), values.T)
    check_op(rng, lambda fw, x: fw.unique_consecutive(x, return_inverse=True, return_counts=True), values)
    check_op(rng, lambda fw, x: x.unique_consecutive(return_counts=True, dim=0), np.repeat(values, 2, axis=0))
    check_op(rng, lambda fw, x: fw.unique_consecutive(x, return_inverse=True, dim=-1), values)
    with_nan = np.array([2.0, np.nan, 1.0, 2.0, np.nan, 1.0], dtype=np.float32)
    check_op(rng, lambda fw, x: x.detach().unique(return_inverse=True, return_counts=True), with_nan)
    check_op(rng, lambda fw, x: fw.unique(x), rng.integers(0, 2, 7).astype(bool))


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_searchsorted_and_bucketize(rng, dtype):
    boundaries = np.sort(random_array(rng, (6,)) * 3).astype(dtype)
    rows = np.sort(random_array(rng, (2, 3, 6)) * 3, axis=-1).astype(dtype)
    values = (random_array(rng, (2, 3, 4)) * 3).astype(dtype)
    values.flat[0] = boundaries[2]  # exactly on an edge: left and right differ
    for right in (False, True):
        check_op(rng, lambda fw, s, v: fw.searchsorted(s, v, right=right), boundaries, values)
        check_op(rng, lambda fw, s, v: fw.searchsorted(s, v, side="right" if right else "left", out_int32=True), rows, values)
        check_op(rng, lambda fw, v, b: fw.bucketize(v, b, right=right), values, boundaries)
    check_op(rng, lambda fw, s: (fw.searchsorted(s, boundaries[1].item()), fw.bucketize(2, s)), boundaries)
    order = rng.permutation(6)
    unsorted = boundaries[np.argsort(order)]
    check_op(rng, lambda fw, s, v, o: fw.searchsorted(s, v, sorter=o), unsorted, values, np.argsort(unsorted, kind="stable"))


@pytest.mark.parametrize("dtype", DTYPES)
def test_histograms_and_bincount(rng, dtype):
    values = random_array(rng, (7, 9), dtype)
    check_op(rng, lambda fw, x: (fw.histc(x), x.histc(bins=7, min=-1, max=1)), values, backward=False)
    check_op(rng, lambda fw, x: fw.histc(x, 4), np.full((3,), 2.0, dtype), backward=False)
    check_op(rng, lambda fw, x: x.histc(5), np.zeros((0,), dtype), backward=False)
    check_op(rng, lambda fw, x: fw.histogram(x.detach(), 6), values[:, ::2])
    check_op(rng, lambda fw, x, w: x.detach().histogram(5, range=(-1.0, 2.0), weight=w.detach(), density=True),
             values, random_array(rng, (7, 9), dtype, low=0.0, high=1.0))
    edges = np.sort(random_array(rng, (5,), dtype))
    check_op(rng, lambda fw, x, e: fw.histogram(x.detach(), e.detach()), values, edges)
    check_op(rng, lambda fw, x: fw.histogram(x.detach(), 3), np.full((2,), 1.5, dtype))
    counts = random_integers(rng, (20,), 0, 6)
    check_op(rng, lambda fw, c: (fw.bincount(c), c.bincount(minlength=9)), counts)
    check_op(rng, lambda fw, c, w: fw.bincount(c, w.detach()), counts, random_array(rng, (20,), dtype))
    check_op(rng, lambda fw, c, w: c.bincount(weights=w), counts, random_integers(rng, (20,)))
    check_op(rng, lambda fw, c: fw.bincount(c), np.zeros((0,), np.int64))


ERRORS = [
    (lambda fw, x: x.median(2), (SHAPE,)),
    (lambda fw, x: x.kthvalue(6, 1), (SHAPE,)),
    (lambda fw, x: x.kthvalue(0), (SHAPE,)),
    (lambda fw, x: x.median(0), ((0, 3),)),
    (lambda fw, x: x.mode(0), ((0, 3),)),
    (lambda fw, x: x.quantile(1.5), (SHAPE,)),
    (lambda fw, x: x.quantile(fw.tensor([0.5, -0.1], dtype=x.dtype)), (SHAPE,)),
    (lambda fw, x: x.quantile(fw.tensor([0.5], dtype=fw.float32)), (SHAPE,)),
    (lambda fw, x: x.quantile(fw.tensor([[0.5]], dtype=x.dtype)), (SHAPE,)),
    (lambda fw, x: x.quantile(0.5, interpolation="cubic"), (SHAPE,)),
    (lambda fw, x: x.long().quantile(0.5), (SHAPE,)),
    (lambda fw, x: x.quantile(0.5), ((0,),)),
    (lambda fw, x: x.aminmax(), ((0,),)),
    (lambda fw, x: x.aminmax(dim=0), ((0, 2),)),
    (lambda fw, x: x.long().logcumsumexp(0), (SHAPE,)),
    (lambda fw, x: x.cummax(2), (SHAPE,)),
    (lambda fw, x: fw.cov(x.reshape(2, 2, 5)), (SHAPE,)),
    (lambda fw, x: fw.cov(x, fweights=fw.ones(5)), (SHAPE,)),
    (lambda fw, x: fw.cov(x, aweights=fw.ones(5, dtype=fw.int64)), (SHAPE,)),
    (lambda fw, x: fw.cov(x, aweights=fw.ones(4)), (SHAPE,)),
    (lambda fw, x: fw.cov(x, fweights=-fw.ones(5, dtype=fw.int64)), (SHAPE,)),
    (lambda fw, x: fw.trapezoid(x, fw.ones(4)), (SHAPE,)),
    (lambda fw, x: fw.trapezoid(x, dim=2), (SHAPE,)),
    (lambda fw, x: fw.trapezoid(x > 0), (SHAPE,)),
    (lambda fw, x: fw.unique(x, dim=2), (SHAPE,)),
    (lambda fw, x: fw.searchsorted(x, x[:, :2], side="left", right=True), (SHAPE,)),
    (lambda fw, x: fw.searchsorted(x[0], x[0], side="middle"), (SHAPE,)),
    (lambda fw, x: fw.searchsorted(x, x[:2]), (SHAPE,)),
    (lambda fw, x: fw.searchsorted(x[0], x[0], sorter=fw.zeros(2, dtype=fw.int64)), (SHAPE,)),
    (lambda fw, x: fw.bucketize(x, x), (SHAPE,)),
    (lambda fw, x: fw.histc(x, 0), (SHAPE,)),
    (lambda fw, x: fw.histc(x, 4, 3, 1), (SHAPE,)),
    (lambda fw, x: fw.histc(x.long()), (SHAPE,)),
    (lambda fw, x: fw.histogram(x.long(), 3), (SHAPE,)),
    (lambda fw, x: fw.histogram(x, 3, range=(2.0, 1.0)), (SHAPE,)),
    (lambda fw, x: fw.bincount(x), (SHAPE,)),
    (lambda fw, x: fw.bincount(x.long().abs()), (SHAPE,)),
    (lambda fw, x: fw.bincount(-x[0].long().abs() - 1), (SHAPE,)),
    (lambda fw, x: fw.bincount(x[0].long().abs(), minlength=-1), (SHAPE,)),
    (lambda fw, x: fw.bincount(x[0].long().abs(), weights=x[1, :2]), (SHAPE,)),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_match_torch(rng, case):
    function, shapes = ERRORS[case]
    assert_same_error(function, *[random_array(rng, shape) for shape in shapes])
