"""Reductions against PyTorch: dims as None, ints, negative ints and tuples, with and without keepdim,
on contiguous and non-contiguous inputs; max/min with a dim as (values, indices); arg-reductions,
all/any; softmax family, norms, cumulative ops; gradients, second-order gradients and bad dims."""
import numpy as np
import pytest

from tests.ops.oracle import (
    DTYPES,
    assert_same_error,
    case_id,
    check_gradcheck,
    check_op,
    check_second_order,
    random_array,
    random_integers,
)

SHAPE = (2, 3, 4)

# Reductions taking dim=None, an int or a tuple of ints, and keepdim.
MULTI_DIM = {
    "sum": lambda fw, x, dim, keepdim: x.sum(dim=dim, keepdim=keepdim),
    "mean": lambda fw, x, dim, keepdim: fw.mean(x, dim=dim, keepdim=keepdim),
    "amax": lambda fw, x, dim, keepdim: x.amax(dim=() if dim is None else dim, keepdim=keepdim),
    "amin": lambda fw, x, dim, keepdim: fw.amin(x, dim=() if dim is None else dim, keepdim=keepdim),
    "var": lambda fw, x, dim, keepdim: x.var(dim=dim, keepdim=keepdim),
    "var_correction_0": lambda fw, x, dim, keepdim: fw.var(x, dim=dim, keepdim=keepdim, correction=0),
    "std": lambda fw, x, dim, keepdim: x.std(dim=dim, keepdim=keepdim),
    "std_unbiased_false": lambda fw, x, dim, keepdim: x.std(dim=dim, unbiased=False, keepdim=keepdim),
    "norm": lambda fw, x, dim, keepdim: x.norm(dim=dim, keepdim=keepdim),
    "norm_1": lambda fw, x, dim, keepdim: fw.norm(x, 1, dim=dim, keepdim=keepdim),
    "norm_3": lambda fw, x, dim, keepdim: x.norm(3, dim=dim, keepdim=keepdim),
    "norm_inf": lambda fw, x, dim, keepdim: x.norm(float("inf"), dim=dim, keepdim=keepdim),
    # PyTorch's logsumexp has no dim=None: all dims are named.
    "logsumexp": lambda fw, x, dim, keepdim: fw.logsumexp(x, dim=(0, 1, 2) if dim is None else dim, keepdim=keepdim),
    "nansum": lambda fw, x, dim, keepdim: x.nansum(dim=dim, keepdim=keepdim),
    "nanmean": lambda fw, x, dim, keepdim: x.nanmean(dim=dim, keepdim=keepdim),
}
# (dim, keepdim, layout): layouts rotate over the cases; an expanded input (repeated along dim 0) is never
# reduced over dim 0 alone, where var/std would be zero and their gradients undefined.
MULTI_DIM_CASES = [
    (None, False, "contiguous"),
    (None, True, "expanded"),
    (0, False, "transposed"),
    (-1, True, "strided"),
    ((0, 2), False, "expanded"),
    ((-1, -3), True, "transposed"),
    (1, False, "expanded"),
    ((1,), True, "contiguous"),
    (-2, False, "strided"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim, keepdim, layout", MULTI_DIM_CASES, ids=map(case_id, MULTI_DIM_CASES))
@pytest.mark.parametrize("name", MULTI_DIM)
def test_multi_dim_reductions_match_torch(rng, name, dim, keepdim, layout, dtype):
    check_op(rng, MULTI_DIM[name], random_array(rng, SHAPE, dtype), dim, keepdim, layout=layout)


# Reductions along one int dim (with keepdim where PyTorch has it) and normalisations.
SINGLE_DIM = {
    "prod": lambda fw, x, dim, keepdim: x.prod(dim, keepdim),
    "max": lambda fw, x, dim, keepdim: x.max(dim, keepdim),
    "min": lambda fw, x, dim, keepdim: fw.min(x, dim=dim, keepdim=keepdim),
    "max_fields": lambda fw, x, dim, keepdim: (x.max(dim=dim).values, x.max(dim=dim).indices),
    "argmax": lambda fw, x, dim, keepdim: x.argmax(dim, keepdim),
    "argmin": lambda fw, x, dim, keepdim: fw.argmin(x, dim=dim, keepdim=keepdim),
    "logsumexp": lambda fw, x, dim, keepdim: x.logsumexp(dim, keepdim),
    "softmax": lambda fw, x, dim, keepdim: x.softmax(dim),
    "log_softmax": lambda fw, x, dim, keepdim: fw.log_softmax(x, dim),
    "softmax_dtype": lambda fw, x, dim, keepdim: x.softmax(dim, dtype=fw.float64),
    "cumsum": lambda fw, x, dim, keepdim: x.cumsum(dim),
    "cumprod": lambda fw, x, dim, keepdim: fw.cumprod(x, dim),
}
SINGLE_DIM_CASES = [
    (0, False, "transposed"),
    (-1, True, "expanded"),
    (1, False, "strided"),
    (-2, True, "contiguous"),
    (2, False, "expanded"),
    (0, True, "expanded"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim, keepdim, layout", SINGLE_DIM_CASES, ids=map(case_id, SINGLE_DIM_CASES))
@pytest.mark.parametrize("name", SINGLE_DIM)
def test_single_dim_reductions_match_torch(rng, name, dim, keepdim, layout, dtype):
    check_op(rng, SINGLE_DIM[name], random_array(rng, SHAPE, dtype), dim, keepdim, layout=layout)


WHOLE_TENSOR = {
    "sum": lambda fw, x: x.sum(),
    "mean": lambda fw, x: fw.mean(x),
    "prod": lambda fw, x: x.prod(),
    "max": lambda fw, x: x.max(),
    "min": lambda fw, x: fw.min(x),
    "argmax": lambda fw, x: x.argmax(),
    "argmin": lambda fw, x: fw.argmin(x),
    "norm": lambda fw, x: fw.norm(x),
    "var": lambda fw, x: x.var(),
    "std_mean": lambda fw, x: fw.std_mean(x, dim=1),
    "var_mean": lambda fw, x: fw.var_mean(x, dim=(0, 1), correction=0),
}


@pytest.mark.parametrize("shape", [SHAPE, (5,), ()], ids=str)
@pytest.mark.parametrize("name", WHOLE_TENSOR)
def test_whole_tensor_reductions_match_torch(rng, name, shape):
    if name in ("std_mean", "var_mean") and len(shape) < 2:
        return
    check_op(rng, WHOLE_TENSOR[name], random_array(rng, shape), layout="strided")


def test_max_min_and_amax_with_ties(rng):
    # Small integers as floats: ties everywhere. max(dim)/argmax pick the first maximal index; amax and
    # max() split the gradient evenly among the tied elements.
    values = random_integers(rng, (4, 5), -1, 2).astype(np.float64)
    check_op(rng, lambda fw, x: (x.max(1), x.min(0, keepdim=True), x.argmax(1), x.argmin(0), x.argmax()), values)
    check_op(rng, lambda fw, x: (x.amax(1), x.amin((0, 1)), x.max(), x.min()), values)


def test_reductions_of_integer_and_bool_tensors(rng):
    integers = random_integers(rng, SHAPE)
    check_op(rng, lambda fw, x: (x.sum(), x.sum(1), x.prod(0), x.cumsum(2), x.amax(1), x.max(0), x.argmin(2)), integers)
    check_op(rng, lambda fw, x: (x.mean(dtype=fw.float64), x.sum(dtype=fw.float32), x.count_nonzero(1)), integers)
    check_op(rng, lambda fw, x: (x.sum(), x.sum((0, 1)), x.any(1), x.all()), rng.random(SHAPE) < 0.5)
    assert_same_error(lambda fw, x: x.mean(), integers, mentions=("int64",))


@pytest.mark.parametrize("dim", [None, 1, (0, 2)], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_all_and_any_match_torch(rng, dim, keepdim):
    # Mostly-true and mostly-false inputs, floats included (nonzero is true).
    for probability in (0.1, 0.9):
        check_op(rng, lambda fw, x: (x.all(dim=dim, keepdim=keepdim), fw.any(x, dim=dim, keepdim=keepdim)),
                 rng.random(SHAPE) < probability, layout="transposed")
        check_op(rng, lambda fw, x: (x.all(dim=dim, keepdim=keepdim), x.any(dim=dim, keepdim=keepdim)),
                 (rng.random(SHAPE) < probability).astype(np.float32))


def test_sum_dtype_and_float32_accumulation(rng):
    values = random_array(rng, SHAPE, "float32")
    check_op(rng, lambda fw, x: (x.sum(1, dtype=fw.float64), x.mean((0, 2), dtype=fw.float64)), values)


def test_prod_with_zeros(rng):
    # One zero in a slice, two zeros in another, none in the rest: product-of-others gradients.
    values = random_array(rng, (3, 4))
    values[0, 1] = 0.0
    values[1, 0] = values[1, 3] = 0.0
    check_op(rng, lambda fw, x: (x.prod(1), x.prod(0, keepdim=True)), values)
    check_op(rng, lambda fw, x: x.prod(), values[:1])
    check_gradcheck(lambda fw, x: x.prod(1), values)


def test_softmax_family_is_stable_for_large_inputs(rng):
    values = random_array(rng, (3, 5)) * 1000
    check_op(rng, lambda fw, x: (x.softmax(1), x.log_softmax(1), x.logsumexp(1)), values)
    infinite = np.array([[-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf]])
    check_op(rng, lambda fw, x: (x.logsumexp(1), x.log_softmax(1)), infinite, backward=False)


DIFFERENTIABLE_SINGLE_DIM = [name for name in SINGLE_DIM if name not in MULTI_DIM and not name.startswith("arg")]


@pytest.mark.parametrize("name", [*MULTI_DIM, *DIFFERENTIABLE_SINGLE_DIM])
def test_reduction_gradcheck(rng, name):
    function, dim = (MULTI_DIM[name], (0, 2)) if name in MULTI_DIM else (SINGLE_DIM[name], 1)
    check_gradcheck(function, random_array(rng, (2, 3, 2)), dim, False)


SECOND_ORDER = {
    **{name: MULTI_DIM[name] for name in ("sum", "mean", "amax", "var", "std", "norm", "norm_3", "logsumexp", "amin")},
    **{name: SINGLE_DIM[name] for name in ("prod", "max", "softmax", "log_softmax", "cumsum", "cumprod")},
}


@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, True), ((0, 2), False)], ids=str)
@pytest.mark.parametrize("name", SECOND_ORDER)
def test_reduction_second_order(rng, name, dim, keepdim):
    if name in SINGLE_DIM and not isinstance(dim, int):
        dim = -1
    check_second_order(rng, SECOND_ORDER[name], random_array(rng, SHAPE), dim, keepdim, layout="transposed")


def test_whole_tensor_prod_and_max_second_order(rng):
    check_second_order(rng, lambda fw, x: (x.prod(), x.max(), x.min()), random_array(rng, (3, 4)))


# ---------------------------------------------------------------- bad dims

# Each call gets the offending dim (3 or -4 for a 3-dim input).
BAD_DIM_CALLS = {
    "sum": lambda fw, x, dim: x.sum(dim),
    "mean tuple": lambda fw, x, dim: x.mean((0, dim)),
    "amax": lambda fw, x, dim: x.amax(dim),
    "max": lambda fw, x, dim: x.max(dim),
    "argmax": lambda fw, x, dim: x.argmax(dim),
    "softmax": lambda fw, x, dim: x.softmax(dim),
    "logsumexp": lambda fw, x, dim: x.logsumexp(dim),
    "cumsum": lambda fw, x, dim: x.cumsum(dim),
    "var": lambda fw, x, dim: x.var(dim),
    "all": lambda fw, x, dim: x.all(dim),
}


@pytest.mark.parametrize("dim", [3, -4])
@pytest.mark.parametrize("name", BAD_DIM_CALLS)
def test_dim_out_of_range_is_an_index_error_naming_the_range(rng, name, dim):
    assert_same_error(BAD_DIM_CALLS[name], random_array(rng, SHAPE), dim, mentions=("[-3, 2]", f"got {dim}"))


def test_repeated_dim_is_refused(rng):
    assert_same_error(lambda fw, x: x.sum((1, -2)), random_array(rng, SHAPE), mentions=("multiple times",))
