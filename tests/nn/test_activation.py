"""Activations (functional and module forms) against PyTorch: values and gradients in float32 and
float64, contiguous and not, extreme inputs, in-place variants, repr and argument errors."""
import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import assert_same_error, check_against_torch, random_array

# name -> f(framework, x) using the functional form with non-default options where they exist.
ELEMENTWISE = {
    "relu": lambda fw, x: fw.nn.functional.relu(x),
    "relu6": lambda fw, x: fw.nn.functional.relu6(x),
    "leaky_relu": lambda fw, x: fw.nn.functional.leaky_relu(x, 0.2),
    "elu": lambda fw, x: fw.nn.functional.elu(x, alpha=1.5),
    "selu": lambda fw, x: fw.nn.functional.selu(x),
    "celu": lambda fw, x: fw.nn.functional.celu(x, alpha=0.75),  # PyTorch rounds alpha to float32 in backward
    "gelu": lambda fw, x: fw.nn.functional.gelu(x),
    "gelu_tanh": lambda fw, x: fw.nn.functional.gelu(x, approximate="tanh"),
    "silu": lambda fw, x: fw.nn.functional.silu(x),
    "mish": lambda fw, x: fw.nn.functional.mish(x),
    "softplus": lambda fw, x: fw.nn.functional.softplus(x),
    "softplus_beta": lambda fw, x: fw.nn.functional.softplus(x, beta=2.0, threshold=3.0),
    "hardtanh": lambda fw, x: fw.nn.functional.hardtanh(x, -0.5, 1.5),
    "hardsigmoid": lambda fw, x: fw.nn.functional.hardsigmoid(x),
    "hardswish": lambda fw, x: fw.nn.functional.hardswish(x),
    "sigmoid": lambda fw, x: fw.nn.functional.sigmoid(x),
    "tanh": lambda fw, x: fw.nn.functional.tanh(x),
    "logsigmoid": lambda fw, x: fw.nn.functional.logsigmoid(x),
    "softsign": lambda fw, x: fw.nn.functional.softsign(x),
    "tanhshrink": lambda fw, x: fw.nn.functional.tanhshrink(x),
    "threshold": lambda fw, x: fw.nn.functional.threshold(x, 0.3, -2.0),
}

# PyTorch computes hardsigmoid's gradient with the float32 constant 1/6, also for float64 inputs.
FLOAT64_TOLERANCE = {"hardsigmoid": 1e-7}


@pytest.mark.parametrize("noncontiguous", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_matches_torch(rng, name, dtype, noncontiguous):
    x = random_array(rng, (4, 6), dtype, scale=3.0)
    tolerance = FLOAT64_TOLERANCE.get(name) if dtype == "float64" else None
    check_against_torch(rng, ELEMENTWISE[name], [x], dtype, noncontiguous=noncontiguous, tolerance=tolerance)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_extreme_inputs_stay_finite_like_torch(rng, name):
    x = np.array([-1e4, -100.0, -30.0, -3.0, 0.0, 3.0, 30.0, 100.0, 1e4], dtype=np.float32)
    check_against_torch(rng, ELEMENTWISE[name], [x], "float32")


def test_gradient_at_kinks_matches_torch(rng):
    x = np.array([-6.0, -3.0, -1.0, -0.5, 0.0, 1.5, 3.0, 6.0], dtype=np.float64)
    for name in ("relu", "relu6", "leaky_relu", "elu", "hardtanh", "hardsigmoid", "threshold", "softplus"):
        check_against_torch(rng, ELEMENTWISE[name], [x], "float64", tolerance=FLOAT64_TOLERANCE.get(name))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_glu_and_prelu(rng, dtype):
    x = random_array(rng, (3, 4, 2), dtype)
    check_against_torch(rng, lambda fw, t: fw.nn.functional.glu(t, dim=1), [x], dtype)
    check_against_torch(rng, lambda fw, t: fw.nn.functional.glu(t), [x], dtype)
    for weight_shape in ((1,), (4,)):
        weight = np.abs(random_array(rng, weight_shape, dtype))
        check_against_torch(rng, lambda fw, t, w: fw.nn.functional.prelu(t, w), [x, weight], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("function", ["softmax", "log_softmax", "softmin"])
def test_softmax_family(rng, function, dtype):
    x = random_array(rng, (3, 4, 5), dtype, scale=4.0)
    for dim in (0, 1, -1):
        check_against_torch(rng, lambda fw, t: getattr(fw.nn.functional, function)(t, dim=dim), [x], dtype,
                            noncontiguous=True)
    # dtype= computes in another precision.
    check_against_torch(
        rng, lambda fw, t: getattr(fw.nn.functional, function)(t, 1, dtype=fw.float64), [x.astype(np.float32)],
        "float32", tolerance=1e-6,
    )
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        implicit = getattr(spindle.nn.functional, function)(spindle.tensor(x))
    explicit = getattr(torch.nn.functional, function)(torch.tensor(x), dim=0)  # 3-D input: dim 0
    np.testing.assert_allclose(implicit.numpy(), explicit.numpy(), rtol=1e-5, atol=1e-6)


MODULES = {
    "ReLU": lambda nn: nn.ReLU(),
    "ReLU6": lambda nn: nn.ReLU6(),
    "LeakyReLU": lambda nn: nn.LeakyReLU(0.1),
    "ELU": lambda nn: nn.ELU(alpha=0.5),
    "SELU": lambda nn: nn.SELU(),
    "CELU": lambda nn: nn.CELU(alpha=2.0),
    "GELU": lambda nn: nn.GELU(),
    "GELU_tanh": lambda nn: nn.GELU(approximate="tanh"),
    "SiLU": lambda nn: nn.SiLU(),
    "Mish": lambda nn: nn.Mish(),
    "Softplus": lambda nn: nn.Softplus(beta=0.5, threshold=10),
    "Hardtanh": lambda nn: nn.Hardtanh(-2.0, 2.0),
    "Hardsigmoid": lambda nn: nn.Hardsigmoid(),
    "Hardswish": lambda nn: nn.Hardswish(),
    "Sigmoid": lambda nn: nn.Sigmoid(),
    "Tanh": lambda nn: nn.Tanh(),
    "LogSigmoid": lambda nn: nn.LogSigmoid(),
    "Softsign": lambda nn: nn.Softsign(),
    "Tanhshrink": lambda nn: nn.Tanhshrink(),
    "Threshold": lambda nn: nn.Threshold(0.1, 20.0),
    "GLU": lambda nn: nn.GLU(dim=0),
    "PReLU": lambda nn: nn.PReLU(),
    "PReLU_channels": lambda nn: nn.PReLU(num_parameters=4, init=0.1),
    "Softmax": lambda nn: nn.Softmax(dim=1),
    "LogSoftmax": lambda nn: nn.LogSoftmax(dim=-1),
    "Softmin": lambda nn: nn.Softmin(dim=0),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_match_torch_and_repr(rng, name):
    ours, theirs = MODULES[name](spindle.nn), MODULES[name](torch.nn)
    assert repr(ours) == repr(theirs)
    x = random_array(rng, (6, 4), "float32", scale=2.0)
    modules = (ours, theirs) if list(theirs.parameters()) else None
    check_against_torch(rng, lambda fw, t: (ours if fw is spindle else theirs)(t), [x], modules=modules)


def test_inplace_repr_flags():
    for build in (lambda nn: nn.ReLU(inplace=True), lambda nn: nn.ReLU6(True), lambda nn: nn.ELU(inplace=True),
                  lambda nn: nn.LeakyReLU(inplace=True), lambda nn: nn.Hardtanh(inplace=True),
                  lambda nn: nn.SiLU(inplace=True), lambda nn: nn.Threshold(1, 2, True), lambda nn: nn.Softmax()):
        assert repr(build(spindle.nn)) == repr(build(torch.nn))


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "selu", "celu", "silu", "mish", "hardtanh",
                                  "relu6", "hardsigmoid", "hardswish", "threshold"])
def test_inplace_writes_input_and_backpropagates_like_torch(rng, name):
    parameters = {"leaky_relu": (0.2,), "elu": (1.5,), "celu": (0.75,), "hardtanh": (-0.5, 1.5), "threshold": (0.3, -2.0)}
    extra = parameters.get(name, ())

    def compute(framework, x):
        hidden = x * 1.0  # a non-leaf, which in-place ops may overwrite
        result = getattr(framework.nn.functional, name)(hidden, *extra, inplace=True)
        assert result is hidden
        return result * 2

    check_against_torch(rng, compute, [random_array(rng, (3, 5), "float64", 2.0)], "float64",
                        tolerance=FLOAT64_TOLERANCE.get(name))


def test_inplace_on_leaf_requiring_grad_is_refused():
    leaf = spindle.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        spindle.nn.functional.relu(leaf, inplace=True)
    plain = spindle.tensor([-1.0, 2.0])
    spindle.nn.functional.relu_(plain)
    assert plain.tolist() == [0.0, 2.0]


def test_argument_errors_match_torch():
    assert_same_error(lambda fw: fw.nn.functional.gelu(fw.ones(2), approximate="exact"))
    assert_same_error(lambda fw: fw.nn.functional.hardtanh(fw.ones(2), 1.0, -1.0))
    assert_same_error(lambda fw: fw.nn.functional.glu(fw.ones(2, 3)))
    assert_same_error(lambda fw: fw.nn.functional.prelu(fw.ones(2, 3), fw.ones(2)))
    assert_same_error(lambda fw: fw.nn.Hardtanh(1.0, 1.0))


def test_gradcheck_composites():
    # Points away from the kinks, where finite differences are meaningful.
    x = spindle.tensor(np.linspace(-4, 4, 9) * 1.01 + 0.003, dtype=spindle.float64, requires_grad=True)
    for name in ("gelu", "gelu_tanh", "mish", "softplus_beta", "logsigmoid", "elu", "selu", "hardswish"):
        assert spindle.autograd.gradcheck(lambda t: ELEMENTWISE[name](spindle, t), (x,))
