"""More elementwise functions against PyTorch: special functions (lgamma, digamma, polygamma, mvlgamma,
erfinv, i0, i1), inverse hyperbolics, sinc, logit and friends, binary math (xlogy, logaddexp, hypot,
copysign, ldexp, float_power, gcd, lcm, nextafter, heaviside), frexp, the in-place forms, and
``spindle.special``; forward and gradients by PyTorch and finite differences, special values, errors."""
import numpy as np
import pytest
import torch

import spindle
from tests.ops.oracle import (
    DTYPES,
    assert_close,
    assert_same_error,
    case_id,
    check_gradcheck,
    check_op,
    check_second_order,
    random_array,
    random_integers,
)


def away_from_integers(rng, shape, dtype="float64", low=-4, high=6):
    """Values k + u with integer k in [low, high) and u in [0.1, 0.9]: both signs, clear of the poles of
    lgamma/digamma/polygamma at 0, -1, -2, ..."""
    values = rng.integers(low, high, shape) + rng.uniform(0.1, 0.9, shape)
    return np.asarray(values).astype(dtype)


def positive(rng, shape, dtype="float64"):
    return random_array(rng, shape, dtype, 0.3, 4.0)


# name -> (function, input maker)
UNARY = {
    "lgamma": (lambda fw, x: fw.lgamma(x), away_from_integers),
    "digamma": (lambda fw, x: x.digamma(), away_from_integers),
    "polygamma1": (lambda fw, x: fw.polygamma(1, x), away_from_integers),
    "polygamma2": (lambda fw, x: x.polygamma(2), away_from_integers),
    "polygamma3": (lambda fw, x: fw.special.polygamma(3, x), positive),
    "mvlgamma": (lambda fw, x: fw.mvlgamma(x + 1.5, 3), positive),
    "erfinv": (lambda fw, x: fw.erfinv(x), lambda rng, shape, dtype: random_array(rng, shape, dtype, -0.97, 0.97)),
    "i0": (lambda fw, x: fw.i0(x * 4), random_array),
    "i1": (lambda fw, x: fw.special.i1(x * 4), random_array),
    "sinc": (lambda fw, x: fw.sinc(x * 2), random_array),
    "asinh": (lambda fw, x: fw.asinh(x * 3), random_array),
    "arccosh": (lambda fw, x: fw.arccosh(x + 0.8), positive),
    "atanh": (lambda fw, x: x.arctanh(), lambda rng, shape, dtype: random_array(rng, shape, dtype, -0.9, 0.9)),
    "logit": (lambda fw, x: fw.logit(x), lambda rng, shape, dtype: random_array(rng, shape, dtype, 0.05, 0.95)),
    "logit_eps": (lambda fw, x: x.logit(0.2), lambda rng, shape, dtype: random_array(rng, shape, dtype, 0.0, 1.0)),
    "deg2rad": (lambda fw, x: fw.deg2rad(x * 100), random_array),
    "rad2deg": (lambda fw, x: x.rad2deg(), random_array),
    "sgn": (lambda fw, x: fw.sgn(x), random_array),
    "positive": (lambda fw, x: fw.positive(x) * 2, random_array),
    "frexp": (lambda fw, x: fw.frexp(x * 10), random_array),
    "ndtr": (lambda fw, x: fw.special.ndtr(x * 2), random_array),
    "expit": (lambda fw, x: fw.special.expit(x), random_array),
    "gammaln": (lambda fw, x: fw.special.gammaln(x), positive),
    "psi": (lambda fw, x: fw.special.psi(x), positive),
}
CASES = [((3, 4), "contiguous"), ((3, 4), "strided"), ((), "contiguous")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, layout", CASES, ids=map(case_id, CASES))
@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_torch(rng, name, shape, layout, dtype):
    function, make = UNARY[name]
    check_op(rng, function, make(rng, shape, dtype), layout=layout)


BINARY = {
    "xlogy": (lambda fw, x, y: fw.xlogy(x.masked_fill(x > 1, 0.0), y.abs() + 0.1)),
    "xlogy_number": (lambda fw, x, y: fw.xlogy(2.5, y.abs() + 0.1) + fw.special.xlogy(x, 3)),
    "logaddexp": (lambda fw, x, y: fw.logaddexp(x * 3, y)),
    "logaddexp2": (lambda fw, x, y: x.logaddexp2(y * 3)),
    "hypot": (lambda fw, x, y: fw.hypot(x, y)),
    "copysign": (lambda fw, x, y: fw.copysign(x, y)),
    "copysign_number": (lambda fw, x, y: x.copysign(-1.0) + y.copysign(2)),
    "float_power": (lambda fw, x, y: fw.float_power(x.abs() + 0.1, y)),
    "float_power_number": (lambda fw, x, y: fw.float_power(2, y) + x.float_power(2)),
    # Non-negative integer exponents only: PyTorch's gradient takes 2**exponent in the integer dtype (0 for
    # negative exponents), where spindle gives the true 2**exponent.
    "ldexp": (lambda fw, x, y: fw.ldexp(x, (y * 3).round().abs().long()) + fw.ldexp(y, x * 2)),
}
BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((), (2, 3))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=map(case_id, BINARY_SHAPES))
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_torch(rng, name, shapes, dtype):
    first, second = (random_array(rng, shape, dtype) for shape in shapes)
    check_op(rng, BINARY[name], first, second, layout="transposed")


@pytest.mark.parametrize("dtype", DTYPES)
def test_integer_and_bool_inputs_promote_like_torch(rng, dtype):
    integers = random_integers(rng, (3, 4), 1, 9)
    floats = random_array(rng, (3, 4), dtype)
    for function in (
        lambda fw, n, x: (fw.lgamma(n), fw.digamma(n), fw.erfinv(n - 5), fw.i0(n), fw.sinc(n), fw.logit(n)),
        lambda fw, n, x: (fw.deg2rad(n), fw.rad2deg(n), fw.sgn(n - 5), fw.signbit(n - 5), fw.asinh(n), fw.mvlgamma(n, 2)),
        lambda fw, n, x: (fw.xlogy(n, n), fw.xlogy(x, n), fw.copysign(n, n - 5), fw.copysign(x, n - 5)),
        lambda fw, n, x: (fw.float_power(n, 2), fw.float_power(x, n), fw.ldexp(n, n)),
        lambda fw, n, x: (fw.gcd(n, n * 3 - 4), fw.lcm(n, n + 1), fw.heaviside(n - 5, n)),
        lambda fw, n, x: (fw.isposinf(n), fw.isneginf(x), fw.isreal(n), fw.signbit(n > 4)),
    ):
        check_op(rng, function, integers, floats)


def test_non_differentiable_functions_match_torch(rng):
    values = random_array(rng, (4, 5))
    values[0, :3] = [np.inf, -np.inf, np.nan]
    values[1, :2] = [0.0, -0.0]
    for dtype in DTYPES:
        check_op(
            rng,
            lambda fw, x, y: (fw.isposinf(x), fw.isneginf(x), fw.signbit(x), fw.nextafter(x, y), fw.frexp(x)),
            values.astype(dtype),
            random_array(rng, (5,), dtype),
            backward=False,  # nextafter's result requires grad, but has no derivative
        )
    check_op(rng, lambda fw, x, v: fw.heaviside(x.round(), v), values, random_array(rng, (5,)), backward=False)


SPECIAL_VALUES = np.array(
    [0.0, -0.0, 1.0, 2.0, -1.0, -2.0, -7.0, 0.5, -0.5, -2.5, 1e-8, -1e-8, 1e-30, 1e6, -1e6 - 0.5, 9.0, 10.0, 10.5,
     np.inf, -np.inf, np.nan]
)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["lgamma", "digamma", "polygamma1", "polygamma2", "i0", "i1", "sinc"])
def test_special_values_match_torch(name, dtype):
    functions = {
        "lgamma": lambda fw, x: fw.lgamma(x),
        "digamma": lambda fw, x: fw.digamma(x),
        "polygamma1": lambda fw, x: fw.polygamma(1, x),
        "polygamma2": lambda fw, x: fw.polygamma(2, x),
        "i0": lambda fw, x: fw.i0(x),
        "i1": lambda fw, x: fw.special.i1(x),
        "sinc": lambda fw, x: fw.sinc(x),
    }
    values = SPECIAL_VALUES
    if name.startswith("polygamma"):
        values = values[np.abs(values) < 1e5]  # far from 0, PyTorch's float32 reflection rounds differently
        values = values[(values != np.round(values)) | (values >= 0)] if dtype == "float32" else values
    if name in ("i0", "i1") and dtype == "float32":
        values = values[np.abs(values) < 80]  # PyTorch's float32 exp(x) overflows before I0(x) does
    function = functions[name]
    assert_close(function(spindle, spindle.tensor(values.astype(dtype))), function(torch, torch.tensor(values.astype(dtype))))


def test_erfinv_special_values_match_torch():
    values = np.array([-1.0, 1.0, 0.0, -0.0, 2.0, -1.5, np.nan, 1 - 1e-5, -1 + 1e-6, 1e-20])
    for dtype in DTYPES:
        assert_close(spindle.erfinv(spindle.tensor(values.astype(dtype))), torch.erfinv(torch.tensor(values.astype(dtype))))


def test_wide_range_accuracy(rng):
    """Over wide ranges (both signs, huge and tiny magnitudes) the float64 results agree with PyTorch to
    about 1e-12 relative; near the zeros of lgamma for x < 0 (about -2.457, -2.747...) the reflection
    formula leaves an absolute error of a few 1e-16, so an absolute tolerance accompanies the relative one."""
    values = np.concatenate([
        rng.uniform(-40, 40, 2000), rng.uniform(0, 3, 2000), np.exp(rng.uniform(-40, 40, 500)),
        -np.exp(rng.uniform(-10, 6, 500)),
    ])
    spindle_values, torch_values = spindle.tensor(values), torch.tensor(values)
    for function in (lambda fw, x: fw.lgamma(x), lambda fw, x: fw.digamma(x), lambda fw, x: fw.polygamma(1, x)):
        assert_close(function(spindle, spindle_values), function(torch, torch_values), tolerance=1e-12)
    moderate = values[np.abs(values) < 30]
    for order in (2, 3, 6):
        assert_close(spindle.polygamma(order, spindle.tensor(moderate)), torch.polygamma(order, torch.tensor(moderate)),
                     tolerance=1e-12)
    unit = rng.uniform(-1, 1, 3000)
    assert_close(spindle.erfinv(spindle.tensor(unit)), torch.erfinv(torch.tensor(unit)), tolerance=1e-12)
    bessel = rng.uniform(-700, 700, 3000)
    assert_close(spindle.i0(spindle.tensor(bessel)), torch.i0(torch.tensor(bessel)), tolerance=1e-12)
    assert_close(spindle.special.i1(spindle.tensor(bessel)), torch.special.i1(torch.tensor(bessel)), tolerance=1e-12)
    floats = values.astype(np.float32)
    for function in (lambda fw, x: fw.lgamma(x), lambda fw, x: fw.digamma(x)):
        assert_close(function(spindle, spindle.tensor(floats)), function(torch, torch.tensor(floats)), tolerance=1e-5)


GRADCHECK = {
    "lgamma": (lambda fw, x: fw.lgamma(x), away_from_integers),
    "digamma": (lambda fw, x: fw.digamma(x), away_from_integers),
    "polygamma": (lambda fw, x: fw.polygamma(2, x), away_from_integers),
    "erfinv": (lambda fw, x: fw.erfinv(x), lambda rng, shape: random_array(rng, shape, "float64", -0.9, 0.9)),
    "i0": (lambda fw, x: fw.i0(x * 3), random_array),
    "i1": (lambda fw, x: fw.special.i1(x * 3), random_array),
    "sinc": (lambda fw, x: fw.sinc(x), random_array),
    "asinh": (lambda fw, x: fw.asinh(x), random_array),
    "acosh": (lambda fw, x: fw.acosh(x + 1.5), positive),
    "atanh": (lambda fw, x: fw.atanh(x), lambda rng, shape: random_array(rng, shape, "float64", -0.9, 0.9)),
}


@pytest.mark.parametrize("name", GRADCHECK)
def test_unary_gradcheck_and_second_order(rng, name):
    function, make = GRADCHECK[name]
    values = make(rng, (2, 3))
    check_gradcheck(function, values)
    check_second_order(rng, function, values)


@pytest.mark.parametrize("name", ["xlogy", "logaddexp", "logaddexp2", "hypot", "copysign"])
def test_binary_gradcheck_and_second_order(rng, name):
    function = BINARY[name]
    first, second = random_array(rng, (2, 3)), random_array(rng, (3,))
    check_gradcheck(function, first, second)
    check_second_order(rng, function, first, second)


def test_gradients_at_special_points_match_torch(rng):
    """sinc and i1 at 0, xlogy at x = 0, copysign at 0, logaddexp of equal infinities."""
    check_op(rng, lambda fw, x: (fw.sinc(x), fw.special.i1(x), fw.i0(x)), np.array([0.0, 1.0, -2.0]))
    check_op(rng, lambda fw, x, y: fw.xlogy(x, y), np.array([0.0, 0.0, 2.0]), np.array([0.0, 3.0, np.nan]))
    check_op(rng, lambda fw, x, y: fw.copysign(x, y), np.array([0.0, -0.0, 2.0]), np.array([1.0, -1.0, -0.0]))
    check_op(rng, lambda fw, x, y: fw.logaddexp(x, y), np.array([np.inf, -np.inf, 1.0]),
             np.array([np.inf, -np.inf, -np.inf]), backward=False)


UNARY_IN_PLACE = {
    "acos_": (), "arccos_": (), "asin_": (), "arcsin_": (), "atan_": (), "arctan_": (), "cosh_": (), "sinh_": (),
    "tan_": (), "asinh_": (), "arcsinh_": (), "atanh_": (), "arctanh_": (), "exp2_": (), "expm1_": (),
    "log10_": (), "log1p_": (), "log2_": (), "frac_": (), "fix_": (), "absolute_": (), "negative_": (),
    "lgamma_": (), "digamma_": (), "polygamma_": (1,), "erfinv_": (), "i0_": (), "sinc_": (), "deg2rad_": (),
    "rad2deg_": (), "logit_": (), "sgn_": (),
}


# PyTorch implements no derivative for these in-place forms: spindle's is compared with the out-of-place one.
NO_TORCH_IN_PLACE_DERIVATIVE = {"asinh_", "arcsinh_", "atanh_", "arctanh_", "acosh_", "arccosh_"}


def in_place_method(framework, name):
    """The method to call: PyTorch's out-of-place form where its in-place one has no derivative."""
    return name[:-1] if framework is torch and name in NO_TORCH_IN_PLACE_DERIVATIVE else name


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", UNARY_IN_PLACE)
def test_unary_in_place_matches_torch(rng, name, dtype):
    """Forward and gradient through the in-place op on a non-leaf (the old value's history is kept)."""
    arguments = UNARY_IN_PLACE[name]
    values = random_array(rng, (3, 4), dtype, 0.1, 0.9)  # inside every domain (acos, atanh, logit...)
    check_op(rng, lambda fw, x: getattr(x * 1.5 - 0.6, in_place_method(fw, name))(*arguments) * x, values,
             layout="strided")


def test_in_place_on_arccosh_and_mvlgamma_match_torch(rng):
    for name in ("acosh_", "arccosh_"):
        check_op(rng, lambda fw, x: getattr(x + 1.2, in_place_method(fw, name))() * x, positive(rng, (3, 4)))
    check_op(rng, lambda fw, x: (x + 2).mvlgamma_(2) * x, positive(rng, (3, 4)))


BINARY_IN_PLACE = {
    "atan2_": lambda x, y: x.atan2_(y),
    "arctan2_": lambda x, y: x.arctan2_(y),
    "xlogy_": lambda x, y: x.xlogy_(y.abs() + 0.2),
    "hypot_": lambda x, y: x.hypot_(y),
    "copysign_": lambda x, y: x.copysign_(y),
    "ldexp_": lambda x, y: x.ldexp_(y),
    "logit_eps": lambda x, y: (x.sigmoid() * y.sigmoid()).logit_(0.3),
}


@pytest.mark.parametrize("name", BINARY_IN_PLACE)
def test_binary_in_place_matches_torch(rng, name):
    """Both operands require grad; the written-to tensor is a non-leaf."""
    check_op(rng, lambda fw, x, y: BINARY_IN_PLACE[name](x * 1, y) * x, random_array(rng, (3, 4)), random_array(rng, (4,)))


def test_float_power_in_place_matches_torch(rng):
    check_op(rng, lambda fw, x, y: (x.abs() + 0.5).float_power_(y) * x, random_array(rng, (3, 4)), random_array(rng, (3, 4)))
    check_op(rng, lambda fw, x: (x.abs() + 0.5).float_power_(3) + 0, random_array(rng, (3, 4)))


COMPARISONS_IN_PLACE = ["eq_", "ne_", "not_equal_", "lt_", "less_", "le_", "less_equal_", "gt_", "greater_", "ge_",
                        "greater_equal_", "logical_and_", "logical_or_", "logical_xor_"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", COMPARISONS_IN_PLACE)
def test_comparison_in_place_matches_torch(rng, name, dtype):
    """The 0/1 result in the tensor's own dtype. In a graph, comparisons give zero gradients to both
    operands; the logical ops stay outside autograd (the old history is kept), as in PyTorch."""
    first = random_array(rng, (3, 4), dtype).round()
    second = random_array(rng, (4,), dtype).round()
    check_op(rng, lambda fw, x, y: getattr(x * 1, name)(y) + x, first, second)
    if not name.startswith("logical"):  # PyTorch's logical ops take no Python numbers
        check_op(rng, lambda fw, x: getattr(x * 1, name)(0.0), first, backward=False)


def test_logical_not_and_bitwise_in_place_match_torch(rng):
    integers = random_integers(rng, (3, 4))
    others = random_integers(rng, (4,))
    check_op(rng, lambda fw, x: (x * 1).logical_not_() + x, random_array(rng, (3, 4)).round())
    for name in ("bitwise_and_", "bitwise_or_", "bitwise_xor_", "gcd_", "lcm_"):
        check_op(rng, lambda fw, x, y: getattr(x.clone(), name)(y), integers, others)
    check_op(rng, lambda fw, x: x.clone().bitwise_not_(), integers)
    check_op(rng, lambda fw, x: (x > 0).logical_not_().bitwise_xor_(x < 1), integers)
    check_op(rng, lambda fw, x, y: x.clone().nextafter_(y), random_array(rng, (3, 4)), random_array(rng, (4,)),
             backward=False)
    check_op(rng, lambda fw, x, y: x.clone().heaviside_(y), random_array(rng, (3, 4)).round(), random_array(rng, (4,)),
             backward=False)


def test_in_place_writes_through_views_and_bumps_version(rng):
    values = random_array(rng, (3, 4), "float64", 0.1, 0.9)
    for framework in (spindle, torch):
        leaf = framework.tensor(values, requires_grad=True)
        product = leaf * 1
        saved = product * leaf  # saves product for backward: the in-place op below must invalidate it
        product.lgamma_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            saved.sum().backward()
    spindle_base, torch_base = spindle.tensor(values), torch.tensor(values)
    spindle_base[1:, ::2].lgamma_().erfinv_()
    torch_base[1:, ::2].lgamma_().erfinv_()
    assert_close(spindle_base, torch_base)


@pytest.mark.parametrize("name", ["lgamma_", "digamma_", "erfinv_", "i0_", "sinc_", "asinh_", "tan_", "eq_", "hypot_"])
def test_in_place_on_leaf_requiring_grad_raises(name):
    arguments = {"eq_": (spindle.tensor(0.5),), "hypot_": (spindle.tensor(0.5),)}.get(name, ())
    leaf = spindle.tensor([0.5, 0.25], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        getattr(leaf, name)(*arguments)


ERRORS = [
    (lambda fw, x, n: fw.polygamma(-1, x), "polygamma negative order"),
    (lambda fw, x, n: fw.mvlgamma(x, 0), "mvlgamma p < 1"),
    (lambda fw, x, n: fw.frexp(n), "frexp of integers"),
    (lambda fw, x, n: fw.gcd(x, x), "gcd of floats"),
    (lambda fw, x, n: fw.lcm(n, 3), "lcm with a number"),
    (lambda fw, x, n: fw.hypot(n, n), "hypot of integers"),
    (lambda fw, x, n: fw.hypot(x, 2.0), "hypot with a number"),
    (lambda fw, x, n: fw.logaddexp(n, n), "logaddexp of integers"),
    (lambda fw, x, n: x.logaddexp2(2), "logaddexp2 with a number"),
    (lambda fw, x, n: fw.nextafter(n, n), "nextafter of integers"),
    (lambda fw, x, n: fw.ldexp(x, 2), "ldexp with a number"),
    (lambda fw, x, n: fw.heaviside(x, x.float()), "heaviside of mixed dtypes"),
    (lambda fw, x, n: fw.heaviside(x, 0.5), "heaviside with a number"),
    (lambda fw, x, n: fw.positive(n > 0), "positive of bools"),
    (lambda fw, x, n: n.deg2rad_(), "deg2rad_ of integers"),
    (lambda fw, x, n: n.xlogy_(2), "xlogy_ of integers"),
    (lambda fw, x, n: x.float().float_power_(2), "float_power_ of float32"),
    (lambda fw, x, n: fw.xlogy(x, fw.ones(3)), "xlogy broadcast failure"),
    (lambda fw, x, n: fw.hypot(x, fw.ones(3)), "hypot broadcast failure"),
]


@pytest.mark.parametrize("function, description", ERRORS, ids=[description for _, description in ERRORS])
def test_errors_match_torch(rng, function, description):
    assert_same_error(function, random_array(rng, (2, 4)), random_integers(rng, (2, 4)))


def test_heaviside_has_no_derivative():
    for framework in (spindle, torch):
        x = framework.tensor([1.0, -2.0], requires_grad=True)
        result = framework.heaviside(x, framework.tensor([0.5]))
        assert result.requires_grad
        with pytest.raises(RuntimeError, match="heaviside"):
            result.sum().backward()


def test_frexp_and_empty_inputs(rng):
    for framework in (spindle, torch):
        mantissa, exponent = framework.frexp(framework.tensor([3.0]))
        assert framework.frexp(framework.tensor([3.0])).mantissa.item() == mantissa.item() == 0.75
        assert exponent.item() == 2
    empty = np.zeros((0, 3))
    check_op(rng, lambda fw, x: (fw.lgamma(x), fw.digamma(x), fw.erfinv(x), fw.i0(x), fw.logaddexp(x, x)), empty)
    check_op(rng, lambda fw, x: (fw.polygamma(3, x), fw.xlogy(x, x), fw.hypot(x, x), fw.frexp(x)), empty)


def test_special_module_names_match_torch(rng):
    values = random_array(rng, (3, 4))
    check_op(
        rng,
        lambda fw, x: (fw.special.erf(x), fw.special.erfc(x), fw.special.erfinv(x.tanh() * 0.9),
                       fw.special.logit(x.sigmoid()), fw.special.multigammaln(x.abs() + 2, 2),
                       fw.special.sinc(x), fw.special.i0(x), fw.special.exp2(x), fw.special.expm1(x),
                       fw.special.log1p(x.abs()), fw.special.round(x * 3), fw.special.digamma(x.abs() + 0.5)),
        values,
    )
    check_op(
        rng,
        lambda fw, x: (fw.special.softmax(x, 1), fw.special.log_softmax(x, 0), fw.special.logsumexp(x, 1),
                       fw.special.logsumexp(x, 0, keepdim=True), fw.special.softmax(x, -1, dtype=fw.float64)),
        values,
    )
