"""Conv1d, Conv2d, ConvTranspose1d and ConvTranspose2d against PyTorch: outputs and gradients of inputs
and parameters (every padding mode, 'same' padding, groups), default initialization ranges, state dict
keys, repr, the transposed layers' ``output_size``, constructor errors, and a small CNN with BatchNorm2d,
Dropout2d and pooling trained one step in both frameworks."""
import math

import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import (
    assert_same_error,
    assert_same_parameter_grads,
    assert_same_state,
    check_against_torch,
    module_pair,
    random_array,
    run_module,
)

TOLERANCE = {"float32": 1e-4, "float64": 1e-10}
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")




CONV2D_LAYERS = {
    "plain": lambda nn, dtype: nn.Conv2d(4, 6, 3, dtype=dtype),
    "strided no bias": lambda nn, dtype: nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, bias=False, dtype=dtype),
    "grouped dilated": lambda nn, dtype: nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2, dtype=dtype),
    "same": lambda nn, dtype: nn.Conv2d(4, 6, (4, 3), padding="same", dtype=dtype),
    "reflect": lambda nn, dtype: nn.Conv2d(4, 6, 3, padding=(1, 2), padding_mode="reflect", dtype=dtype),
    "replicate": lambda nn, dtype: nn.Conv2d(4, 6, 3, stride=2, padding=1, padding_mode="replicate", dtype=dtype),
    "circular": lambda nn, dtype: nn.Conv2d(4, 6, 3, padding=2, dilation=2, padding_mode="circular", dtype=dtype),
    "same circular": lambda nn, dtype: nn.Conv2d(4, 6, 4, padding="same", padding_mode="circular", dtype=dtype),
    "depthwise": lambda nn, dtype: nn.Conv2d(4, 8, 3, padding=1, groups=4, dtype=dtype),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", CONV2D_LAYERS)
def test_conv2d_layer(rng, name, dtype):
    pair = module_pair(lambda fw: CONV2D_LAYERS[name](fw.nn, getattr(fw, dtype)))
    x = random_array(rng, (2, 4, 7, 8), dtype)
    check_against_torch(rng, run_module(pair), [x], dtype, modules=pair, tolerance=TOLERANCE[dtype])
    check_against_torch(rng, run_module(pair), [x[0]], dtype, tolerance=TOLERANCE[dtype])  # unbatched
    assert repr(pair[0]) == repr(pair[1])


CONV1D_LAYERS = {
    "plain": lambda nn: nn.Conv1d(3, 5, 3),
    "strided grouped": lambda nn: nn.Conv1d(4, 6, 2, stride=2, groups=2, bias=False),
    "same reflect": lambda nn: nn.Conv1d(3, 5, 4, padding="same", padding_mode="reflect"),
    "circular dilated": lambda nn: nn.Conv1d(3, 5, 3, padding=2, dilation=2, padding_mode="circular"),
}


@pytest.mark.parametrize("name", CONV1D_LAYERS)
def test_conv1d_layer(rng, name):
    pair = module_pair(lambda fw: CONV1D_LAYERS[name](fw.nn))
    channels = pair[1].in_channels
    check_against_torch(rng, run_module(pair), [random_array(rng, (2, channels, 9))], modules=pair,
                        tolerance=TOLERANCE["float32"])
    assert repr(pair[0]) == repr(pair[1])


TRANSPOSED_LAYERS = {
    "plain": lambda nn: nn.ConvTranspose2d(4, 6, 3),
    "dcgan": lambda nn: nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1, bias=False),
    "output padding grouped": lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
    "dilated": lambda nn: nn.ConvTranspose2d(4, 6, (3, 2), stride=(1, 2), dilation=2, output_padding=(1, 0)),
    "1d": lambda nn: nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1),
}


@pytest.mark.parametrize("name", TRANSPOSED_LAYERS)
def test_conv_transpose_layer(rng, name):
    pair = module_pair(lambda fw: TRANSPOSED_LAYERS[name](fw.nn))
    shape = (2, 4, 5) if name == "1d" else (2, 4, 5, 4)
    check_against_torch(rng, run_module(pair), [random_array(rng, shape)], modules=pair, tolerance=TOLERANCE["float32"])
    assert repr(pair[0]) == repr(pair[1])


@pytest.mark.parametrize("output_size", [(9, 9), (10, 10), [2, 6, 10, 9]])
def test_conv_transpose2d_output_size(rng, output_size):
    pair = module_pair(lambda fw: fw.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1))
    x = random_array(rng, (2, 4, 5, 5))
    output, _ = check_against_torch(rng, lambda fw, t: run_module(pair)(fw, t, output_size), [x], modules=pair,
                                    tolerance=TOLERANCE["float32"])
    assert tuple(output.shape[-2:]) == tuple(output_size[-2:])
    assert_same_error(lambda fw: run_module(pair)(fw, fw.ones(2, 4, 5, 5), (12, 12)))
    assert_same_error(lambda fw: run_module(pair)(fw, fw.ones(2, 4, 5, 5), (9,)))


def test_default_initialization_ranges():
    layer = spindle.nn.Conv2d(16, 400, 3, groups=2)
    fan_in = 8 * 3 * 3
    bound = 1 / math.sqrt(fan_in)
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    # kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), std bound/sqrt(3).
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.95 * bound
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(bias).max() <= bound and np.abs(bias).max() > 0.9 * bound
    transposed = spindle.nn.ConvTranspose2d(300, 20, 2)
    bound = 1 / math.sqrt(20 * 2 * 2)  # fan_in of the (in, out, kh, kw) weight is out * kh * kw
    values = transposed.weight.detach().numpy()
    assert tuple(transposed.weight.shape) == (300, 20, 2, 2)
    assert np.abs(values).max() <= bound and abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert spindle.nn.Conv1d(2, 3, 2, dtype=spindle.float64).weight.dtype == spindle.float64


def test_state_dict_keys_and_attributes_match_torch():
    for build in (lambda nn: nn.Conv2d(3, 4, 3, bias=False), lambda nn: nn.ConvTranspose2d(3, 4, 3),
                  lambda nn: nn.Conv1d(3, 4, 2, padding="same")):
        ours, theirs = build(spindle.nn), build(torch.nn)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for name in ("kernel_size", "stride", "padding", "dilation", "output_padding", "groups", "padding_mode",
                     "transposed", "in_channels", "out_channels"):
            assert getattr(ours, name) == getattr(theirs, name), name
        assert list(ours._reversed_padding_repeated_twice) == list(theirs._reversed_padding_repeated_twice)


CONSTRUCTOR_ERRORS = {
    "groups not dividing in_channels": lambda nn: nn.Conv2d(5, 6, 3, groups=2),
    "groups not dividing out_channels": lambda nn: nn.Conv2d(4, 6, 3, groups=4),
    "zero groups": lambda nn: nn.Conv2d(4, 6, 3, groups=0),
    "same with stride": lambda nn: nn.Conv2d(4, 6, 3, padding="same", stride=2),
    "transposed with reflect": lambda nn: nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect"),
}


@pytest.mark.parametrize("name", CONSTRUCTOR_ERRORS)
def test_constructor_errors(name):
    assert_same_error(lambda fw: CONSTRUCTOR_ERRORS[name](fw.nn))


def test_errors_listing_the_accepted_values():
    # PyTorch prints these as sets, whose order varies between processes: compare the substance.
    for build, text in ((lambda nn: nn.Conv2d(4, 6, 3, padding="full"), "'full'"),
                        (lambda nn: nn.Conv2d(4, 6, 3, padding_mode="mirror"), "'mirror'")):
        expected = pytest.raises(ValueError, build, torch.nn).value
        actual = pytest.raises(ValueError, build, spindle.nn).value
        assert str(actual).split(" one of ")[0] == str(expected).split(" one of ")[0]
        assert text in str(actual)


def test_wrong_input_channels_error():
    error = pytest.raises(RuntimeError, spindle.nn.Conv2d(3, 4, 3), spindle.ones(1, 5, 6, 6))
    assert "3 channels" in str(error.value) and "5 channels" in str(error.value)


def small_cnn(nn):
    """Conv, BatchNorm2d, ReLU, max pooling, Dropout2d, average pooling, linear. No conv bias before a
    BatchNorm: its gradient is zero up to rounding, which a relative comparison cannot judge."""
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.Dropout2d(0.3),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5),
    )


def test_small_cnn_training_step_matches_torch(rng):
    ours, theirs = module_pair(lambda fw: small_cnn(fw.nn))
    x = random_array(rng, (4, 3, 12, 12))
    labels = rng.integers(0, 5, 4)
    for module in (ours, theirs):
        module.eval()  # deterministic: Dropout2d off, BatchNorm on running statistics
    check_against_torch(rng, run_module((ours, theirs)), [x], modules=(ours, theirs), tolerance=TOLERANCE["float32"])
    for module in (ours, theirs):
        module.train()
        module.zero_grad()
        module[7].p = 0.0  # keep training mode but make dropout the identity in both
    losses = []
    for framework, module in ((spindle, ours), (torch, theirs)):
        optimizer = framework.optim.SGD(module.parameters(), lr=0.1, momentum=0.9)
        loss = framework.nn.functional.cross_entropy(module(framework.tensor(x)), framework.tensor(labels))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    assert_same_parameter_grads(ours, theirs, tolerance=TOLERANCE["float32"])
    assert_same_state(ours, theirs, tolerance=TOLERANCE["float32"])


def test_dropout2d_zeroes_whole_channels():
    spindle.manual_seed(0)
    output = spindle.nn.Dropout2d(0.5)(spindle.ones(8, 16, 3, 3))
    per_channel = output.numpy().reshape(8 * 16, 9)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(1) == per_channel.max(1)).all()  # each channel all kept or all dropped
    assert 0.2 < (per_channel[:, 0] == 0).mean() < 0.8
