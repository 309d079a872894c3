"""Elementwise ops against PyTorch: unary math, arithmetic with broadcasting and scalars, type
promotion, comparisons and logic, clamp/maximum/minimum/where, in-place forms; gradients by PyTorch
and finite differences, second-order gradients; the error function against ``math.erf``."""
import math

import numpy as np
import pytest

import spindle
from tests.ops.oracle import (
    DTYPES,
    LAYOUTS,
    assert_same_error,
    case_id,
    check_gradcheck,
    check_op,
    check_op_or_same_error,
    check_second_order,
    random_array,
    random_integers,
)


def away_from_zero(rng, shape, dtype="float64"):
    """Values of either sign with magnitude in [0.5, 2) (divisors, reciprocals)."""
    magnitude = random_array(rng, shape, dtype, 0.5, 2.0)
    return np.where(rng.random(shape) < 0.5, -magnitude, magnitude).astype(dtype)


# Where each op's input is drawn: None is standard normal, a pair is a uniform interval.
POSITIVE = (0.2, 3.0)
UNIT = (-0.9, 0.9)
UNARY = {
    "neg": (lambda fw, x: -x, None),
    "abs": (lambda fw, x: fw.abs(x), None),
    "sign": (lambda fw, x: x.sign(), None),
    "exp": (lambda fw, x: fw.exp(x), None),
    "exp2": (lambda fw, x: x.exp2(), None),
    "log": (lambda fw, x: fw.log(x), POSITIVE),
    "log2": (lambda fw, x: x.log2(), POSITIVE),
    "log10": (lambda fw, x: fw.log10(x), POSITIVE),
    "log1p": (lambda fw, x: fw.log1p(x), UNIT),
    "expm1": (lambda fw, x: fw.expm1(x), None),
    "sqrt": (lambda fw, x: fw.sqrt(x), POSITIVE),
    "rsqrt": (lambda fw, x: fw.rsqrt(x), POSITIVE),
    "reciprocal": (lambda fw, x: x.reciprocal(), POSITIVE),
    "square": (lambda fw, x: fw.square(x), None),
    "sin": (lambda fw, x: fw.sin(x), None),
    "cos": (lambda fw, x: fw.cos(x), None),
    "tan": (lambda fw, x: fw.tan(x), (-1.2, 1.2)),
    "tanh": (lambda fw, x: fw.tanh(x), None),
    "sigmoid": (lambda fw, x: fw.sigmoid(x), None),
    "asin": (lambda fw, x: fw.asin(x), UNIT),
    "acos": (lambda fw, x: fw.acos(x), UNIT),
    "atan": (lambda fw, x: fw.atan(x), None),
    "sinh": (lambda fw, x: fw.sinh(x), None),
    "cosh": (lambda fw, x: fw.cosh(x), None),
    "relu": (lambda fw, x: fw.relu(x), None),
    "erf": (lambda fw, x: fw.erf(x), None),
    "erfc": (lambda fw, x: fw.erfc(x), None),
    "floor": (lambda fw, x: fw.floor(x * 3), None),
    "ceil": (lambda fw, x: x.mul(3).ceil(), None),
    "trunc": (lambda fw, x: fw.trunc(x * 3), None),
    "round": (lambda fw, x: fw.round(x * 3), None),
    "frac": (lambda fw, x: (x * 3).frac(), None),
    "clamp": (lambda fw, x: fw.clamp(x, -0.5, 0.7), None),
}
# (shape, layout): every layout on a matrix, plus a 0-dim and a 3-dim input.
UNARY_CASES = [((3, 4), layout) for layout in LAYOUTS] + [((), "contiguous"), ((2, 3, 2), "transposed")]


def unary_input(rng, name, shape, dtype="float64"):
    domain = UNARY[name][1]
    return random_array(rng, shape, dtype) if domain is None else random_array(rng, shape, dtype, *domain)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, layout", UNARY_CASES, ids=map(case_id, UNARY_CASES))
@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_torch(rng, name, shape, layout, dtype):
    check_op(rng, UNARY[name][0], unary_input(rng, name, shape, dtype), layout=layout)


@pytest.mark.parametrize("name", [name for name in UNARY if name not in ("floor", "ceil", "trunc", "round", "sign")])
def test_unary_gradcheck(rng, name):
    check_gradcheck(UNARY[name][0], unary_input(rng, name, (2, 3)))


SECOND_ORDER_UNARY = "exp log sqrt rsqrt sin cos tanh sigmoid relu abs log1p expm1 clamp erf erfc reciprocal".split()


@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("name", SECOND_ORDER_UNARY)
def test_unary_second_order(rng, name, layout):
    check_second_order(rng, UNARY[name][0], unary_input(rng, name, (3, 4)), layout=layout)


IN_PLACE_UNARY = {
    "neg_": None, "abs_": None, "exp_": None, "log_": POSITIVE, "sqrt_": POSITIVE, "rsqrt_": POSITIVE,
    "reciprocal_": POSITIVE, "sigmoid_": None, "tanh_": None, "relu_": None, "sin_": None, "cos_": None,
    "erf_": None, "erfc_": None, "square_": None,
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", IN_PLACE_UNARY)
def test_in_place_unary_matches_torch(rng, name, dtype):
    domain = IN_PLACE_UNARY[name]
    values = random_array(rng, (3, 4), dtype) if domain is None else random_array(rng, (3, 4), dtype, *domain)
    # On a non-leaf (a leaf requiring grad refuses in-place ops); the gradient goes through the rewrite.
    check_op(rng, lambda fw, x: getattr(x * 1, name)(), values)


def test_clamp_in_place_and_with_one_bound(rng):
    values = random_array(rng, (3, 4))
    check_op(rng, lambda fw, x: (x * 1).clamp_(min=-0.3), values)
    check_op(rng, lambda fw, x: (x * 1).clamp_(max=0.3), values)
    check_op(rng, lambda fw, x: (x * 1).clip_(-0.2, 0.4), values)


# ---------------------------------------------------------------- the error function


def test_erf_and_erfc_match_math_on_a_dense_grid():
    tiny_to_large = np.geomspace(1e-300, 30.0, 4001)
    grid = np.concatenate([np.linspace(-30.0, 30.0, 120001), tiny_to_large, -tiny_to_large])
    erf = spindle.erf(spindle.tensor(grid)).numpy()
    erfc = spindle.erfc(spindle.tensor(grid)).numpy()
    expected_erf = np.array([math.erf(value) for value in grid])
    expected_erfc = np.array([math.erfc(value) for value in grid])
    np.testing.assert_allclose(erf, expected_erf, rtol=1e-15, atol=0)
    # erfc underflows past x ~ 26.5: its subnormal values carry fewer digits.
    normal = expected_erfc > np.finfo(np.float64).tiny
    np.testing.assert_allclose(erfc[normal], expected_erfc[normal], rtol=2e-15, atol=0)
    np.testing.assert_allclose(erfc[~normal], expected_erfc[~normal], rtol=0, atol=1e-300)


def test_erf_special_values_and_integer_input(rng):
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])
    check_op(rng, lambda fw, x: (fw.erf(x), fw.erfc(x)), special, backward=False)
    check_op(rng, lambda fw, x: (fw.erf(x), fw.erfc(x)), np.array([-2, 0, 3]))
    assert math.copysign(1.0, spindle.erf(spindle.tensor(-0.0)).item()) == -1.0


# ---------------------------------------------------------------- arithmetic and broadcasting

BINARY = {
    "add": (lambda fw, a, b: a + b, None),
    "add_alpha": (lambda fw, a, b: fw.add(a, b, alpha=2.5), None),
    "sub": (lambda fw, a, b: a - b, None),
    "sub_alpha": (lambda fw, a, b: a.sub(b, alpha=-0.5), None),
    "mul": (lambda fw, a, b: fw.mul(a, b), None),
    "div": (lambda fw, a, b: a / b, "divisor"),
    "pow": (lambda fw, a, b: fw.pow(a, b), "positive_base"),
    "maximum": (lambda fw, a, b: fw.maximum(a, b), None),
    "minimum": (lambda fw, a, b: fw.minimum(a, b), None),
    "atan2": (lambda fw, a, b: fw.atan2(a, b), None),
    "remainder": (lambda fw, a, b: a % b, "divisor"),
    "fmod": (lambda fw, a, b: fw.fmod(a, b), "divisor"),
    "floor_divide": (lambda fw, a, b: a // b, "divisor"),
}
# Pairs of shapes that broadcast: equal, a broadcast against a lower-rank one, 0-dim on either side, outer.
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 1, 4), (2, 4)), ((4,), (3, 4)), ((3, 4), ()), ((), (3, 4)), ((2, 1), (1, 3))]
BINARY_CASES = [((3, 4), (3, 4), layout) for layout in LAYOUTS] + [
    (a, b, "contiguous") for a, b in BROADCAST_SHAPES[1:]
] + [((3, 1, 4), (2, 4), "transposed"), ((3, 1, 4), (2, 4), "strided")]


def binary_inputs(rng, name, shape_a, shape_b, dtype="float64"):
    kind = BINARY[name][1]
    if kind == "positive_base":
        return random_array(rng, shape_a, dtype, 0.3, 2.0), random_array(rng, shape_b, dtype)
    second = away_from_zero(rng, shape_b, dtype) if kind == "divisor" else random_array(rng, shape_b, dtype)
    return random_array(rng, shape_a, dtype, scale=2.0), second


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape_a, shape_b, layout", BINARY_CASES, ids=map(case_id, BINARY_CASES))
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_torch(rng, name, shape_a, shape_b, layout, dtype):
    first, second = binary_inputs(rng, name, shape_a, shape_b, dtype)
    # PyTorch has no derivative for floor_divide (it raises in backward).
    check_op(rng, BINARY[name][0], first, second, layout=layout, backward=name != "floor_divide")


@pytest.mark.parametrize("name", [name for name in BINARY if name != "floor_divide"])
def test_binary_gradcheck(rng, name):
    check_gradcheck(BINARY[name][0], *binary_inputs(rng, name, (2, 1, 3), (2, 3)))


# Python numbers on either side, through the operators and their reflected forms.
SCALAR_FORMS = {
    "x + 2.5": lambda fw, x: x + 2.5,
    "2.5 + x": lambda fw, x: 2.5 + x,
    "x - 3": lambda fw, x: x - 3,
    "3 - x": lambda fw, x: 3 - x,
    "x * -1.5": lambda fw, x: x * -1.5,
    "2 * x": lambda fw, x: 2 * x,
    "x / 4": lambda fw, x: x / 4,
    "1.5 / x": lambda fw, x: 1.5 / x,
    "x // 0.7": lambda fw, x: x // 0.7,
    "7 // x": lambda fw, x: 7 // x,
    "x % 0.7": lambda fw, x: x % 0.7,
    "5 % x": lambda fw, x: 5 % x,
    "x ** 2": lambda fw, x: x**2,
    "x ** 3": lambda fw, x: x**3,
    "x ** 0.5": lambda fw, x: x.abs() ** 0.5,
    "x ** -1.5": lambda fw, x: x.abs() ** -1.5,
    "x ** 0": lambda fw, x: x**0,
    "x ** 1": lambda fw, x: x**1,
    "2 ** x": lambda fw, x: 2**x,
    "0.5 ** x": lambda fw, x: 0.5**x,
    "pow(x, 2)": lambda fw, x: fw.pow(x, 2),
    "pow(3, x)": lambda fw, x: fw.pow(3, x),
    "x.pow(0-dim)": lambda fw, x: x.abs().pow(fw.tensor(1.5, dtype=x.dtype)),
    "maximum(x, 0-dim)": lambda fw, x: fw.maximum(x, fw.tensor(0.1, dtype=x.dtype)),
    "lerp(x, 2x, 0.3)": lambda fw, x: fw.lerp(x, x * x, 0.3),
    "lerp(x, y, w)": lambda fw, x: x.lerp(x.exp(), x.sigmoid()),
    "addcmul": lambda fw, x: fw.addcmul(x, x.sin(), x.cos(), value=0.5),
    "addcdiv": lambda fw, x: x.addcdiv(x.sin(), x.exp(), value=-2),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", SCALAR_FORMS)
def test_scalar_operands_match_torch(rng, form, dtype):
    function = SCALAR_FORMS[form]
    values = away_from_zero(rng, (3, 4), dtype)
    # PyTorch has no derivative for floor division, nor for a remainder of a number by a tensor.
    backward = "//" not in form and form != "5 % x"
    check_op(rng, function, values, layout="transposed", backward=backward)
    if backward:
        check_gradcheck(function, away_from_zero(rng, (2, 3)))


SECOND_ORDER_BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "atan2"]


@pytest.mark.parametrize("name", SECOND_ORDER_BINARY)
def test_binary_second_order(rng, name):
    check_second_order(rng, BINARY[name][0], *binary_inputs(rng, name, (3, 1, 4), (2, 4)))


SECOND_ORDER_SCALAR_FORMS = ["x ** 2", "x ** 3", "x ** 0.5", "x ** -1.5", "2 ** x", "1.5 / x", "3 - x", "x * -1.5"]


@pytest.mark.parametrize("form", SECOND_ORDER_SCALAR_FORMS)
def test_scalar_operands_second_order(rng, form):
    check_second_order(rng, SCALAR_FORMS[form], away_from_zero(rng, (3, 4)), layout="transposed")


def test_maximum_and_minimum_split_the_gradient_on_ties(rng):
    # Small integers as floats make ties frequent; PyTorch gives each side half the gradient on a tie.
    first = random_integers(rng, (4, 5), -2, 3).astype(np.float64)
    second = random_integers(rng, (4, 5), -2, 3).astype(np.float64)
    check_op(rng, lambda fw, a, b: (fw.maximum(a, b), fw.minimum(a, b)), first, second)
    check_op(rng, lambda fw, a, b: (a.max(b), a.min(b)), first, second)


# ---------------------------------------------------------------- type promotion


def int_tensor(rng, shape=(3, 4)):
    return random_integers(rng, shape, 1, 6)  # nonzero divisors, small powers


def float_tensor(rng, shape=(3, 4), dtype="float32"):
    return random_array(rng, shape, dtype, 0.5, 2.0)  # positive bases of fractional powers, safe divisors


# Each case makes (first, second) operands from an rng: tensors as NumPy arrays, or Python numbers.
PROMOTION_CASES = {
    "int64 + float32": lambda rng: (int_tensor(rng), float_tensor(rng, (3, 4), "float32")),
    "int32 + int64": lambda rng: (int_tensor(rng).astype("int32"), int_tensor(rng)),
    "int64 * python float": lambda rng: (int_tensor(rng), 2.5),
    "python float * int32": lambda rng: (1.5, int_tensor(rng).astype("int32")),
    "int64 + python int": lambda rng: (int_tensor(rng), 3),
    "bool + int64": lambda rng: (rng.random((3, 4)) < 0.5, int_tensor(rng)),
    "bool + python int": lambda rng: (rng.random((3, 4)) < 0.5, 2),
    "bool + bool": lambda rng: (rng.random((3, 4)) < 0.5, rng.random((3, 4)) < 0.5),
    "uint8 + int8": lambda rng: (int_tensor(rng).astype("uint8"), int_tensor(rng).astype("int8")),
    "float32 + float64 0-dim": lambda rng: (float_tensor(rng, (3, 4), "float32"), float_tensor(rng, (), "float64")),
    "float64 0-dim + float32": lambda rng: (float_tensor(rng, (), "float64"), float_tensor(rng, (3, 4), "float32")),
    "int32 + float64 0-dim": lambda rng: (int_tensor(rng).astype("int32"), float_tensor(rng, (), "float64")),
    "int64 0-dim + float32": lambda rng: (int_tensor(rng, ()), float_tensor(rng, (3, 4), "float32")),
    "float32 + float64": lambda rng: (float_tensor(rng, (3, 4), "float32"), float_tensor(rng, (3, 4), "float64")),
    "int8 + python float": lambda rng: (int_tensor(rng).astype("int8"), -0.5),
}
PROMOTING_OPS = {
    "+": lambda fw, a, b: a + b,
    "-": lambda fw, a, b: a - b,
    "*": lambda fw, a, b: a * b,
    "/": lambda fw, a, b: a / b,
    "//": lambda fw, a, b: a // b,
    "%": lambda fw, a, b: a % b,
    "**": lambda fw, a, b: a**b,
    "==": lambda fw, a, b: a == b,
    "<": lambda fw, a, b: a < b,
    "maximum": lambda fw, a, b: fw.maximum(*[x if isinstance(x, fw.Tensor) else fw.tensor(x) for x in (a, b)]),
    "where": lambda fw, a, b: fw.where(fw.ones(3, 4, dtype=fw.bool).tril(), a, b),
}


@pytest.mark.parametrize("operator", PROMOTING_OPS)
@pytest.mark.parametrize("case", PROMOTION_CASES)
def test_result_dtype_and_values_match_torch(rng, case, operator):
    # Where PyTorch refuses a combination (bool - bool, ...), spindle must raise the same exception type.
    check_op_or_same_error(rng, PROMOTING_OPS[operator], *PROMOTION_CASES[case](rng), backward=operator != "//")


# ---------------------------------------------------------------- comparisons and logic

COMPARISONS = {
    "==": lambda fw, a, b: a == b,
    "!=": lambda fw, a, b: a != b,
    "<": lambda fw, a, b: a < b,
    "<=": lambda fw, a, b: a <= b,
    ">": lambda fw, a, b: a > b,
    ">=": lambda fw, a, b: a >= b,
    "eq": lambda fw, a, b: fw.eq(a, b),
    "ne": lambda fw, a, b: a.ne(b),
    "lt": lambda fw, a, b: fw.lt(a, b),
    "le": lambda fw, a, b: a.le(b),
    "gt": lambda fw, a, b: fw.gt(a, b),
    "ge": lambda fw, a, b: a.ge(b),
    "greater_equal": lambda fw, a, b: fw.greater_equal(a, b),
    "less": lambda fw, a, b: a.less(b),
}


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_return_bool_without_grad(rng, name):
    # Small integers as floats make equal elements common; comparisons broadcast and never require grad.
    first = random_integers(rng, (3, 1, 4), -2, 3).astype(np.float32)
    second = random_integers(rng, (2, 4), -2, 3).astype(np.float64)
    function = COMPARISONS[name]
    check_op(rng, function, first, second, layout="transposed")
    check_op(rng, function, first, 0.5)
    if not name[0].isalpha():  # an operator also takes a Python number on the left
        check_op(rng, lambda fw, a, b: function(fw, b, a), first, 1)
    check_op(rng, function, random_integers(rng, (3, 4)), second[0])
    check_op(rng, function, np.array([np.nan, np.inf, -np.inf, 1.0]), np.array([np.nan, np.inf, 0.0, 1.0]))


LOGICAL = {
    "logical_and": lambda fw, a, b: fw.logical_and(a, b),
    "logical_or": lambda fw, a, b: a.logical_or(b),
    "logical_xor": lambda fw, a, b: fw.logical_xor(a, b),
    "logical_not": lambda fw, a, b: fw.logical_not(a) & ~b.bool(),
    "&": lambda fw, a, b: a.bool() & b.bool(),
    "|": lambda fw, a, b: a.bool() | b.bool(),
    "^": lambda fw, a, b: a.bool() ^ b.bool(),
    "bitwise": lambda fw, a, b: (a.long() & 6, a.long() | b.long(), fw.bitwise_xor(a.long(), 3), ~a.long()),
}


@pytest.mark.parametrize("name", LOGICAL)
def test_logical_and_bitwise_ops_match_torch(rng, name):
    first = random_integers(rng, (3, 4), -1, 2).astype(np.float64)  # -1, 0, 1: truthiness varies
    second = random_integers(rng, (4,), 0, 2)
    check_op(rng, LOGICAL[name], first, second)


def test_bitwise_ops_refuse_floats(rng):
    assert_same_error(lambda fw, a, b: a & b, random_array(rng, (3,)), random_array(rng, (3,)))


# ---------------------------------------------------------------- clamp, where

CLAMPS = {
    "min and max": lambda fw, x: fw.clamp(x, -0.5, 0.5),
    "min only": lambda fw, x: x.clamp(min=-0.2),
    "max only": lambda fw, x: fw.clamp(x, max=0.3),
    "min above max": lambda fw, x: x.clamp(0.5, -0.5),
    "clip": lambda fw, x: fw.clip(x, -1, 1),
    "clamp_min": lambda fw, x: x.clamp_min(0.1),
    "clamp_max": lambda fw, x: fw.clamp_max(x, -0.1),
    "tensor bounds": lambda fw, x: x.clamp(fw.full((4,), -0.5).to(x.dtype), fw.linspace(0, 1, 3).to(x.dtype)[:, None]),
    "tensor min only": lambda fw, x: fw.clamp(x, min=x.detach().mean(0)),
    "int tensor, float bound": lambda fw, x: (x * 4).long().clamp(-1.5, 2.5),
    "int tensor, int bounds": lambda fw, x: (x * 4).long().clamp(max=1),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CLAMPS)
def test_clamp_matches_torch(rng, name, dtype):
    check_op(rng, CLAMPS[name], random_array(rng, (3, 4), dtype), layout="strided")


def test_clamp_with_tensor_bounds_gives_the_bounds_their_gradient(rng):
    check_op(rng, lambda fw, x, low, high: x.clamp(low, high), random_array(rng, (3, 4)),
             random_array(rng, (4,), scale=0.5) - 0.5, random_array(rng, (3, 1), scale=0.5) + 0.5)
    check_gradcheck(lambda fw, x, low: fw.clamp(x, min=low), random_array(rng, (2, 3)), random_array(rng, (3,)))


def test_clamp_without_bounds_is_refused(rng):
    assert_same_error(lambda fw, x: fw.clamp(x), random_array(rng, (3,)), mentions=("min", "max"))


WHERES = {
    "tensors": lambda fw, c, x, y: fw.where(c, x, y),
    "method": lambda fw, c, x, y: x.where(c, y),
    "broadcast": lambda fw, c, x, y: fw.where(c[:, :1], x, y[0]),
    "scalar other": lambda fw, c, x, y: fw.where(c, x, 0.0),
    "scalar input": lambda fw, c, x, y: fw.where(c, -1.5, y),
    "int and float": lambda fw, c, x, y: fw.where(c, (x * 3).long(), y),
    "0-dim other": lambda fw, c, x, y: fw.where(c, x, y.sum()),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", WHERES)
def test_where_matches_torch(rng, name, dtype):
    condition = rng.random((3, 4)) < 0.5
    check_op(rng, WHERES[name], condition, random_array(rng, (3, 4), dtype), random_array(rng, (3, 4), dtype),
             layout="transposed")


def test_where_gradcheck_and_second_order(rng):
    condition = rng.random((3, 4)) < 0.5
    function = lambda fw, x, y: fw.where(x > 0, x * y, y.exp())  # noqa: E731
    check_gradcheck(function, random_array(rng, (3, 4)), random_array(rng, (4,)))
    check_second_order(rng, lambda fw, c, x, y: fw.where(c, x * x, y.sin()), condition, random_array(rng, (3, 4)),
                       random_array(rng, (3, 1)))


# ---------------------------------------------------------------- bad input

MISMATCHED = {
    "+": lambda fw, a, b: a + b,
    "*": lambda fw, a, b: a * b,
    "/": lambda fw, a, b: fw.div(a, b),
    "**": lambda fw, a, b: a.abs() ** b,
    "maximum": lambda fw, a, b: fw.maximum(a, b),
    "atan2": lambda fw, a, b: fw.atan2(a, b),
    "==": lambda fw, a, b: a == b,
    "<": lambda fw, a, b: a < b,
    "logical_and": lambda fw, a, b: fw.logical_and(a, b),
    "where": lambda fw, a, b: fw.where(a > 0, a, b),
}


@pytest.mark.parametrize("name", MISMATCHED)
def test_broadcast_mismatch_names_both_shapes(rng, name):
    first, second = random_array(rng, (3, 4)), random_array(rng, (2, 4))
    assert_same_error(MISMATCHED[name], first, second, mentions=("[3, 4]", "[2, 4]"))


@pytest.mark.parametrize("operator", ["//", "%"])
def test_integer_division_by_zero_is_refused(rng, operator):
    function = PROMOTING_OPS[operator]
    divisor = random_integers(rng, (3,), 1, 4)
    divisor[1] = 0
    assert_same_error(function, random_integers(rng, (3,)), divisor, mentions=("ZeroDivisionError",))
    assert_same_error(function, random_integers(rng, (3,)), 0, mentions=("ZeroDivisionError",))
    fmod = lambda fw, a, b: fw.fmod(a, b)  # noqa: E731
    assert_same_error(fmod, random_integers(rng, (3,)), divisor, mentions=("ZeroDivisionError",))


def test_integer_to_negative_integer_power_is_refused(rng):
    assert_same_error(lambda fw, x: x**-2, random_integers(rng, (3,), 1, 4), mentions=("negative",))
