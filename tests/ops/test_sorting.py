"""Sorting against PyTorch: sort/argsort/topk values and indices along any dim, ascending and
descending, stable order of ties, NaN placement; gradients scatter back to the chosen elements."""
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

# Sorts are stable (PyTorch's default sort leaves the order of ties unspecified; spindle's is always stable).
SORTS = {
    "sort": lambda fw, x: x.sort(stable=True),
    "sort dim 0": lambda fw, x: fw.sort(x, dim=0, stable=True),
    "sort descending": lambda fw, x: x.sort(dim=1, descending=True, stable=True),
    "sort fields": lambda fw, x: (x.sort(dim=-2, stable=True).values, x.sort(dim=-2, stable=True).indices),
    "argsort": lambda fw, x: x.argsort(stable=True),
    "argsort descending": lambda fw, x: fw.argsort(x, dim=0, descending=True, stable=True),
    "topk": lambda fw, x: x.topk(2),
    "topk smallest": lambda fw, x: fw.topk(x, 3, dim=0, largest=False),
    "topk all": lambda fw, x: x.topk(4, 1),
    "topk fields": lambda fw, x: (x.topk(1, 0).values, x.topk(1, 0).indices),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", SORTS)
def test_sorting_matches_torch(rng, name, layout, dtype):
    # Expanded inputs repeat along dim 0: ties there, which stable sorts keep in input order.
    if layout == "expanded" and "topk" in name:
        return  # PyTorch leaves the order of tied topk elements unspecified
    check_op(rng, SORTS[name], random_array(rng, (3, 4), dtype), layout=layout)


@pytest.mark.parametrize("name", [name for name in SORTS if "argsort" not in name])
def test_sorting_gradcheck(rng, name):
    check_gradcheck(SORTS[name], random_array(rng, (3, 4)))


@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_keeps_ties_in_input_order(rng, descending):
    values = random_integers(rng, (4, 9), 0, 3).astype(np.float64)
    check_op(rng, lambda fw, x: fw.sort(x, dim=1, descending=descending, stable=True), values)
    check_op(rng, lambda fw, x: x.argsort(dim=0, descending=descending, stable=True), values)


def test_sort_places_nan_and_infinities_as_torch(rng):
    values = np.array([[np.nan, 1.0, -np.inf, np.inf, 0.5, np.nan, -2.0]])
    check_op(rng, lambda fw, x: (x.sort(stable=True), x.sort(descending=True, stable=True)), values, backward=False)


def test_sort_of_integers_and_bools(rng):
    distinct = rng.permutation(200)[:15].reshape(3, 5) - 100  # topk leaves the order of ties unspecified
    check_op(rng, lambda fw, x: (x.sort(stable=True), x.topk(2)), distinct)
    check_op(rng, lambda fw, x: x.sort(dim=0, stable=True), random_integers(rng, (6, 5), -3, 3))
    check_op(rng, lambda fw, x: x.sort(dim=0, stable=True), rng.random((6, 2)) < 0.5)


def test_topk_with_too_large_k_is_refused(rng):
    assert_same_error(lambda fw, x: x.topk(5), random_array(rng, (3, 4)), mentions=("k",))
