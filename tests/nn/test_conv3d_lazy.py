"""3-D convolution and pooling, and lazy modules, against PyTorch.

F.conv3d / F.conv_transpose3d and their layers (strides, padding incl. 'same' and the padding modes,
dilation, groups, output_padding), F.max_pool3d (with indices), F.avg_pool3d, the adaptive 3-D poolings
and their layers: outputs and gradients of inputs and parameters, float32 and float64, non-contiguous and
unbatched inputs, reprs, errors. Lazy modules: placeholders, state dicts before and after the first
call, the switch to the ordinary class, and the same results as PyTorch's once initialized alike.
"""
import math

import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import (
    assert_close,
    assert_same_error,
    assert_same_state,
    check_against_torch,
    copy_state,
    module_pair,
    random_array,
    run_module,
    to_spindle,
)

TOLERANCE = {"float32": 1e-4, "float64": 1e-10}
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")




# ---------------------------------------------------------------------------------- convolutions

CONV3D_CASES = {
    # name: (input shape, weight shape, keyword arguments)
    "plain": ((2, 3, 5, 6, 7), (4, 3, 3, 2, 3), {}),
    "strided padded dilated": ((2, 3, 5, 6, 7), (4, 3, 2, 3, 2), dict(stride=(2, 1, 3), padding=(1, 2, 0),
                                                                     dilation=(2, 1, 2))),
    "grouped": ((2, 4, 5, 6, 7), (6, 2, 3, 3, 1), dict(groups=2, padding=1)),
    "same": ((2, 3, 5, 6, 7), (4, 3, 2, 3, 4), dict(padding="same", dilation=(2, 1, 1))),
    "valid": ((2, 3, 5, 6, 7), (4, 3, 3, 3, 3), dict(padding="valid")),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", CONV3D_CASES)
def test_conv3d_function(rng, name, dtype):
    input_shape, weight_shape, options = CONV3D_CASES[name]
    arrays = [random_array(rng, input_shape, dtype), random_array(rng, weight_shape, dtype),
              random_array(rng, weight_shape[:1], dtype)]
    check_against_torch(rng, lambda fw, x, w, b: fw.nn.functional.conv3d(x, w, b, **options), arrays, dtype,
                        noncontiguous=name == "grouped", tolerance=TOLERANCE[dtype])


CONV_TRANSPOSE3D_CASES = {
    "plain": ((2, 4, 3, 4, 5), (4, 3, 2, 3, 2), {}),
    "strided output padding": ((2, 4, 3, 4, 5), (4, 3, 3, 2, 3), dict(stride=(2, 3, 1), padding=(1, 0, 1),
                                                                     output_padding=(1, 2, 0))),
    "grouped dilated": ((2, 4, 3, 4, 5), (4, 2, 2, 3, 2), dict(groups=2, dilation=(2, 1, 3), stride=2,
                                                              output_padding=1)),
    "padding crops": ((2, 4, 3, 4, 5), (4, 3, 2, 2, 2), dict(stride=3, padding=2)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", CONV_TRANSPOSE3D_CASES)
def test_conv_transpose3d_function(rng, name, dtype):
    input_shape, weight_shape, options = CONV_TRANSPOSE3D_CASES[name]
    out_channels = weight_shape[1] * options.get("groups", 1)
    arrays = [random_array(rng, input_shape, dtype), random_array(rng, weight_shape, dtype),
              random_array(rng, (out_channels,), dtype)]
    check_against_torch(rng, lambda fw, x, w, b: fw.nn.functional.conv_transpose3d(x, w, b, **options), arrays,
                        dtype, noncontiguous=name == "plain", tolerance=TOLERANCE[dtype])


def test_conv3d_unbatched_and_without_bias(rng):
    x, w = random_array(rng, (3, 4, 5, 6)), random_array(rng, (2, 3, 2, 2, 2))
    check_against_torch(rng, lambda fw, x, w: fw.nn.functional.conv3d(x, w, stride=2), [x, w],
                        tolerance=TOLERANCE["float32"])
    w = random_array(rng, (3, 2, 2, 2, 2))
    check_against_torch(rng, lambda fw, x, w: fw.nn.functional.conv_transpose3d(x, w, stride=2), [x, w],
                        tolerance=TOLERANCE["float32"])


def test_conv3d_gradcheck(rng):
    x = spindle.tensor(rng.standard_normal((1, 2, 3, 4, 3)), requires_grad=True)
    w = spindle.tensor(rng.standard_normal((2, 1, 2, 2, 2)), requires_grad=True)
    b = spindle.tensor(rng.standard_normal(2), requires_grad=True)
    assert spindle.autograd.gradcheck(
        lambda x, w, b: spindle.nn.functional.conv3d(x, w, b, padding=1, stride=(2, 1, 1), groups=2), (x, w, b)
    )
    assert spindle.autograd.gradcheck(
        lambda x, w, b: spindle.nn.functional.conv_transpose3d(x, w, b, stride=2, output_padding=1, groups=2),
        (x, w, b),
    )


def test_top_level_functions(rng):
    x, w = random_array(rng, (2, 3, 4, 5, 3)), random_array(rng, (3, 3, 2, 2, 2))
    for name in ("conv3d", "conv_transpose3d"):
        check_against_torch(rng, lambda fw, x, w: getattr(fw, name)(x, w, None, 1, 1), [x, w],
                            tolerance=TOLERANCE["float32"])
    line = random_array(rng, (2, 3, 9))
    for name, arguments in (("conv1d", (random_array(rng, (4, 3, 2)),)), ("max_pool1d", (3, 2)),
                            ("avg_pool1d", (3, 2, 1)), ("adaptive_avg_pool1d", (4,))):
        outputs = [getattr(fw, name)(fw.tensor(line), *[fw.tensor(a) if isinstance(a, np.ndarray) else a
                                                         for a in arguments]) for fw in (spindle, torch)]
        assert_close(*outputs)
    for name in ("adaptive_max_pool1d", "max_pool1d_with_indices"):
        ours, theirs = getattr(spindle, name)(spindle.tensor(line), 4), getattr(torch, name)(torch.tensor(line), 4)
        assert_close(ours[0], theirs[0])
        assert_close(ours[1], theirs[1])


CONV3D_LAYERS = {
    "plain": lambda nn, dtype: nn.Conv3d(3, 4, 3, dtype=dtype),
    "strided grouped no bias": lambda nn, dtype: nn.Conv3d(4, 6, (3, 2, 2), stride=2, padding=1, groups=2, bias=False,
                                                           dtype=dtype),
    "same reflect": lambda nn, dtype: nn.Conv3d(3, 4, (2, 3, 4), padding="same", padding_mode="reflect", dtype=dtype),
    "replicate": lambda nn, dtype: nn.Conv3d(3, 4, 3, padding=(1, 2, 1), padding_mode="replicate", dtype=dtype),
    "circular dilated": lambda nn, dtype: nn.Conv3d(3, 4, 2, padding=2, dilation=2, padding_mode="circular",
                                                    dtype=dtype),
    "transposed": lambda nn, dtype: nn.ConvTranspose3d(3, 4, (2, 3, 2), stride=2, padding=1, output_padding=(1, 0, 1),
                                                       dtype=dtype),
    "transposed grouped": lambda nn, dtype: nn.ConvTranspose3d(4, 6, 3, groups=2, dilation=(1, 2, 1), bias=False,
                                                               dtype=dtype),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", CONV3D_LAYERS)
def test_conv3d_layer(rng, name, dtype):
    pair = module_pair(lambda fw: CONV3D_LAYERS[name](fw.nn, getattr(fw, dtype)))
    x = random_array(rng, (2, pair[1].in_channels, 5, 6, 7), dtype)
    check_against_torch(rng, run_module(pair), [x], dtype, modules=pair, tolerance=TOLERANCE[dtype])
    check_against_torch(rng, run_module(pair), [x[1]], dtype, tolerance=TOLERANCE[dtype])  # unbatched
    assert repr(pair[0]) == repr(pair[1])
    assert list(pair[0].state_dict()) == list(pair[1].state_dict())


def test_conv_transpose3d_output_size(rng):
    pair = module_pair(lambda fw: fw.nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1))
    x = random_array(rng, (2, 2, 3, 4, 3))
    output, _ = check_against_torch(rng, lambda fw, t: run_module(pair)(fw, t, (6, 8, 5)), [x], modules=pair,
                                    tolerance=TOLERANCE["float32"])
    assert tuple(output.shape) == (2, 3, 6, 8, 5)
    assert_same_error(lambda fw: run_module(pair)(fw, fw.ones(2, 2, 3, 4, 3), (9, 9, 9)))


def test_conv3d_default_initialization_range():
    layer = spindle.nn.Conv3d(8, 300, 3, groups=2)
    bound = 1 / math.sqrt(4 * 3 * 3 * 3)
    weight = layer.weight.detach().numpy()
    assert weight.shape == (300, 4, 3, 3, 3)
    assert np.abs(weight).max() <= bound and abs(weight.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(layer.bias.detach().numpy()).max() <= bound


CONV3D_ERRORS = {
    "input dims": lambda fw: fw.nn.functional.conv3d(fw.ones(2, 3, 3), fw.ones(2, 2, 1, 1, 1)),
    "channels": lambda fw: fw.nn.functional.conv3d(fw.ones(1, 3, 3, 3, 3), fw.ones(2, 2, 1, 1, 1)),
    "kernel too big": lambda fw: fw.nn.functional.conv3d(fw.ones(1, 2, 2, 3, 3), fw.ones(2, 2, 3, 1, 1)),
    "same strided": lambda fw: fw.nn.functional.conv3d(fw.ones(1, 2, 3, 3, 3), fw.ones(2, 2, 1, 1, 1), stride=2,
                                                       padding="same"),
    "stride length": lambda fw: fw.nn.functional.conv3d(fw.ones(1, 2, 3, 3, 3), fw.ones(2, 2, 1, 1, 1),
                                                        stride=(1, 2)),
    "output padding": lambda fw: fw.nn.functional.conv_transpose3d(fw.ones(1, 2, 3, 3, 3), fw.ones(2, 2, 1, 1, 1),
                                                                   output_padding=1),
    "transposed padding string": lambda fw: fw.nn.functional.conv_transpose3d(
        fw.ones(1, 2, 3, 3, 3), fw.ones(2, 2, 1, 1, 1), padding="same"),
    "layer groups": lambda fw: fw.nn.Conv3d(3, 4, 3, groups=2),
    "transposed layer padding mode": lambda fw: fw.nn.ConvTranspose3d(3, 4, 3, padding_mode="reflect"),
}


@pytest.mark.parametrize("name", CONV3D_ERRORS)
def test_conv3d_errors(name):
    assert_same_error(CONV3D_ERRORS[name])


# ---------------------------------------------------------------------------------- pooling

POOL3D_CASES = {
    "max": ("max_pool3d", (2,), {}),
    "max strided padded dilated ceil": ("max_pool3d", ((3, 2, 3), (2, 1, 2), 1), dict(dilation=(1, 2, 1),
                                                                                      ceil_mode=True)),
    "max indices": ("max_pool3d", (3, 2, 1), dict(return_indices=True, ceil_mode=True)),
    "avg": ("avg_pool3d", ((2, 3, 2),), {}),
    "avg padded ceil": ("avg_pool3d", ((3, 2, 3), (2, 1, 2), 1), dict(ceil_mode=True)),
    "avg excluding padding": ("avg_pool3d", ((3, 2, 3), (2, 1, 2), 1), dict(ceil_mode=True, count_include_pad=False)),
    "avg divisor": ("avg_pool3d", (3, 2, 1), dict(divisor_override=5)),
    "adaptive avg": ("adaptive_avg_pool3d", ((2, 4, 3),), {}),
    "adaptive avg keeping a size": ("adaptive_avg_pool3d", ((3, None, 2),), {}),
    "adaptive max": ("adaptive_max_pool3d", ((2, 4, 3),), {}),
    "adaptive max indices": ("adaptive_max_pool3d", ((3, None, 4),), dict(return_indices=True)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", POOL3D_CASES)
def test_pool3d_function(rng, name, dtype):
    function, arguments, options = POOL3D_CASES[name]
    indices = {}

    def compute(fw, x):
        result = getattr(fw.nn.functional, function)(x, *arguments, **options)
        if isinstance(result, tuple):
            indices[fw] = result[1]
            return result[0]
        return result

    x = random_array(rng, (2, 3, 5, 6, 7), dtype)
    check_against_torch(rng, compute, [x], dtype, noncontiguous=True, tolerance=TOLERANCE[dtype])
    check_against_torch(rng, compute, [x[0]], dtype, tolerance=TOLERANCE[dtype])  # unbatched
    if indices:
        assert_close(indices[spindle], indices[torch])


def test_avg_pool3d_of_integers_rounds_toward_zero(rng):
    x = rng.integers(-50, 50, (1, 2, 4, 5, 3))
    for options in ({}, dict(count_include_pad=False), dict(divisor_override=3)):
        outputs = [fw.nn.functional.avg_pool3d(fw.tensor(x), 2, 1, 1, **options) for fw in (spindle, torch)]
        assert_close(*outputs)


POOL3D_LAYERS = {
    "max": lambda nn: nn.MaxPool3d(3, 2, 1, ceil_mode=True),
    "max indices": lambda nn: nn.MaxPool3d((2, 3, 2), return_indices=True),
    "avg": lambda nn: nn.AvgPool3d((2, 2, 3), stride=1, padding=1, count_include_pad=False),
    "adaptive avg": lambda nn: nn.AdaptiveAvgPool3d((2, None, 3)),
    "adaptive max": lambda nn: nn.AdaptiveMaxPool3d(2, return_indices=True),
}


@pytest.mark.parametrize("name", POOL3D_LAYERS)
def test_pool3d_layer(rng, name):
    pair = (POOL3D_LAYERS[name](spindle.nn), POOL3D_LAYERS[name](torch.nn))
    x = random_array(rng, (2, 3, 5, 6, 7))
    ours, theirs = pair[0](spindle.tensor(x)), pair[1](torch.tensor(x))
    for mine, expected in zip(ours if isinstance(ours, tuple) else [ours], theirs if isinstance(theirs, tuple)
                              else [theirs]):
        assert_close(mine, expected)
    assert repr(pair[0]) == repr(pair[1])


POOL3D_ERRORS = {
    "pad too big": lambda fw: fw.nn.functional.max_pool3d(fw.ones(1, 3, 3, 3), 2, padding=2),
    "output too small": lambda fw: fw.nn.functional.max_pool3d(fw.ones(1, 1, 3, 3, 3), (4, 1, 1)),
    "zero divisor": lambda fw: fw.nn.functional.avg_pool3d(fw.ones(1, 1, 3, 3, 3), 2, divisor_override=0),
    "adaptive avg dims": lambda fw: fw.nn.functional.adaptive_avg_pool3d(fw.ones(3, 3, 3), 2),
    "adaptive max dims": lambda fw: fw.nn.functional.adaptive_max_pool3d(fw.ones(3, 3, 3), 2),
    "adaptive max size": lambda fw: fw.nn.functional.adaptive_max_pool3d(fw.ones(1, 3, 3, 3), (2, 2)),
}


@pytest.mark.parametrize("name", POOL3D_ERRORS)
def test_pool3d_errors(name):
    assert_same_error(POOL3D_ERRORS[name])


def test_pool3d_error_types():
    # Same exception types; PyTorch words these differently per kernel.
    for compute in (lambda fw: fw.nn.functional.max_pool3d(fw.ones(3, 3, 3), 2),
                    lambda fw: fw.nn.functional.max_pool3d(fw.ones(1, 1, 3, 3, 3), (2, 2))):
        with pytest.raises(RuntimeError):
            compute(torch)
        with pytest.raises(RuntimeError):
            compute(spindle)


# ---------------------------------------------------------------------------------- lazy modules

LAZY_LAYERS = {
    # name: (build, input shape)
    "linear": (lambda nn: nn.LazyLinear(3), (2, 5, 4)),
    "conv1d": (lambda nn: nn.LazyConv1d(4, 2, stride=2, bias=False), (2, 3, 7)),
    "conv2d": (lambda nn: nn.LazyConv2d(4, 3, padding=1, groups=2), (2, 6, 5, 4)),
    "conv3d": (lambda nn: nn.LazyConv3d(4, 2, padding_mode="circular", padding=1), (2, 3, 4, 5, 3)),
    "conv transpose1d": (lambda nn: nn.LazyConvTranspose1d(4, 3, 2, 1, 1), (2, 3, 5)),
    "conv transpose2d": (lambda nn: nn.LazyConvTranspose2d(4, 3, groups=2, bias=False), (2, 4, 3, 4)),
    "conv transpose3d": (lambda nn: nn.LazyConvTranspose3d(4, 2, stride=2), (2, 3, 3, 2, 3)),
    "batchnorm1d": (lambda nn: nn.LazyBatchNorm1d(), (4, 3, 5)),
    "batchnorm2d": (lambda nn: nn.LazyBatchNorm2d(momentum=0.3), (4, 3, 2, 5)),
    "batchnorm3d": (lambda nn: nn.LazyBatchNorm3d(affine=False), (4, 3, 2, 3, 2)),
    "instancenorm1d": (lambda nn: nn.LazyInstanceNorm1d(), (4, 3, 5)),
    "instancenorm2d": (lambda nn: nn.LazyInstanceNorm2d(momentum=0.2, track_running_stats=False), (2, 3, 4, 5)),
    "instancenorm3d": (lambda nn: nn.LazyInstanceNorm3d(affine=False), (2, 3, 2, 3, 2)),
}


def lazy_description(module):
    """What a lazy module shows before its first call: class, repr, state dict (placeholders by repr)."""
    return type(module).__name__, repr(module), [(key, repr(value) if "Uninitialized" in type(value).__name__
                                                  else tuple(value.shape)) for key, value in module.state_dict().items()]


@pytest.mark.parametrize("name", LAZY_LAYERS)
def test_lazy_module_initializes_like_torch(rng, name):
    build, shape = LAZY_LAYERS[name]
    ours, theirs = build(spindle.nn), build(torch.nn)
    assert lazy_description(ours) == lazy_description(theirs)
    assert ours.has_uninitialized_params()
    x = random_array(rng, shape)
    ours(spindle.tensor(x))
    theirs(torch.tensor(x))
    assert type(ours).__name__ == type(theirs).__name__ and not type(ours).__name__.startswith("Lazy")
    assert repr(ours) == repr(theirs)
    assert [tuple(value.shape) for value in ours.state_dict().values()] == [
        tuple(value.shape) for value in theirs.state_dict().values()]
    assert all(type(param) is spindle.nn.Parameter for param in ours.parameters())
    # Initialized alike, the layers compute alike.
    copy_state(theirs, ours)
    check_against_torch(rng, run_module((ours, theirs)), [x], modules=(ours, theirs), tolerance=TOLERANCE["float32"])
    assert_same_state(ours, theirs, tolerance=TOLERANCE["float32"])


def test_lazy_initialization_follows_default_laws():
    layer = spindle.nn.LazyLinear(400)
    layer(spindle.ones(2, 30))
    bound = 1 / math.sqrt(30)
    weight = layer.weight.detach().numpy()
    assert weight.shape == (400, 30) and np.abs(weight).max() <= bound
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.05 * bound
    norm = spindle.nn.LazyBatchNorm2d()
    norm.eval()
    norm(spindle.ones(2, 3, 2, 2))
    assert norm.weight.tolist() == [1.0] * 3 and norm.running_var.tolist() == [1.0] * 3


def test_lazy_state_dict_loading():
    source = torch.nn.LazyConv2d(4, 3)
    source(torch.ones(1, 2, 5, 5))
    # A lazy module takes the checkpoint's shapes and values, and becomes a Conv2d on its first call.
    ours = spindle.nn.LazyConv2d(4, 3)
    ours.load_state_dict({key: to_spindle(value) for key, value in source.state_dict().items()})
    assert type(ours).__name__ == "LazyConv2d" and tuple(ours.weight.shape) == (4, 2, 3, 3)
    assert not ours.has_uninitialized_params()
    assert_close(ours(spindle.ones(1, 2, 5, 5)), source(torch.ones(1, 2, 5, 5)))
    assert type(ours) is spindle.nn.Conv2d
    # Uninitialized into uninitialized: every key matches, nothing materializes.
    target = spindle.nn.LazyLinear(3)
    assert str(target.load_state_dict(spindle.nn.LazyLinear(3).state_dict())) == "<All keys matched successfully>"
    assert target.has_uninitialized_params()
    # Uninitialized into initialized: the placeholder's shape cannot be read.
    assert_same_error(lambda fw: fw.nn.Linear(4, 3).load_state_dict(fw.nn.LazyLinear(3).state_dict()))


def test_lazy_conversions_and_optimizer():
    layer = spindle.nn.LazyLinear(3).double()
    assert isinstance(layer.weight, spindle.nn.parameter.UninitializedParameter)
    norm = spindle.nn.LazyBatchNorm1d().double()
    assert spindle.nn.parameter.is_lazy(norm.running_mean) and norm.running_mean.dtype == spindle.float64
    # An optimizer may be built before the first call: the placeholders become the parameters in place.
    optimizer = spindle.optim.SGD(layer.parameters(), lr=0.5)
    output = layer(spindle.ones(2, 4, dtype=spindle.float64))
    assert layer.weight.dtype == spindle.float64
    before = layer.weight.detach().clone()
    output.sum().backward()
    optimizer.step()
    assert_close(layer.weight, before - 0.5 * layer.weight.grad, "float64")


def test_uninitialized_placeholders():
    for fw in (spindle, torch):
        parameter = fw.nn.parameter.UninitializedParameter(dtype=fw.float64)
        buffer = fw.nn.parameter.UninitializedBuffer()
        assert repr(parameter) == "<UninitializedParameter>" and repr(buffer) == "<UninitializedBuffer>"
        assert parameter.requires_grad and not buffer.requires_grad and parameter.dtype == fw.float64
        assert isinstance(parameter, fw.nn.Parameter)
        parameter.materialize((2, 3))
        buffer.materialize((4,))
        assert type(parameter) is fw.nn.Parameter and type(buffer) is fw.Tensor
        assert tuple(parameter.shape) == (2, 3) and parameter.dtype == fw.float64 and tuple(buffer.shape) == (4,)
    assert_same_error(lambda fw: fw.nn.parameter.UninitializedParameter().shape)


LAZY_ERRORS = {
    "groups": lambda fw: fw.nn.LazyConv2d(4, 3, groups=2)(fw.ones(1, 3, 5, 5)),
    "input dims": lambda fw: fw.nn.LazyConv2d(4, 3)(fw.ones(5, 5)),
}


@pytest.mark.parametrize("name", LAZY_ERRORS)
def test_lazy_errors(name):
    assert_same_error(LAZY_ERRORS[name])
