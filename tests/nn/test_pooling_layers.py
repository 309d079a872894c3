"""Pooling layers against PyTorch: MaxPool1d/2d (with return_indices), AvgPool1d/2d and the adaptive
layers: outputs, indices, input gradients, attributes and repr. The functional forms are tested over
grids of settings in tests/ops/test_pooling.py."""
import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import check_against_torch, random_array

LAYERS = {
    "MaxPool2d": (lambda nn: nn.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 3, 9, 8)),
    "MaxPool2d dilated": (lambda nn: nn.MaxPool2d((2, 3), (1, 2), dilation=(2, 1)), (2, 3, 9, 8)),
    "MaxPool1d": (lambda nn: nn.MaxPool1d(3, padding=1), (2, 3, 10)),
    "AvgPool2d": (lambda nn: nn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 3, 9, 8)),
    "AvgPool2d divisor": (lambda nn: nn.AvgPool2d(2, ceil_mode=True, divisor_override=3), (2, 3, 9, 8)),
    "AvgPool1d": (lambda nn: nn.AvgPool1d(4, 3, 2, ceil_mode=True), (2, 3, 10)),
    "AdaptiveAvgPool2d": (lambda nn: nn.AdaptiveAvgPool2d((5, None)), (2, 3, 9, 8)),
    "AdaptiveAvgPool1d": (lambda nn: nn.AdaptiveAvgPool1d(4), (2, 3, 10)),
    "AdaptiveMaxPool2d": (lambda nn: nn.AdaptiveMaxPool2d(3), (2, 3, 9, 8)),
    "AdaptiveMaxPool1d": (lambda nn: nn.AdaptiveMaxPool1d(6), (2, 3, 10)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", LAYERS)
def test_pooling_layer(rng, name, dtype):
    build, shape = LAYERS[name]
    layers = {spindle: build(spindle.nn), torch: build(torch.nn)}
    check_against_torch(rng, lambda fw, x: layers[fw](x), [random_array(rng, shape, dtype)], dtype)
    check_against_torch(rng, lambda fw, x: layers[fw](x), [random_array(rng, shape[1:], dtype)], dtype)  # unbatched
    assert repr(layers[spindle]) == repr(layers[torch])


@pytest.mark.parametrize("build", [
    lambda nn: nn.MaxPool2d(2, return_indices=True),
    lambda nn: nn.MaxPool1d(3, 2, 1, return_indices=True),
    lambda nn: nn.AdaptiveMaxPool2d((2, 3), return_indices=True),
    lambda nn: nn.AdaptiveMaxPool1d(4, return_indices=True),
])
def test_max_pooling_layers_return_indices(rng, build):
    array = random_array(rng, (2, 3, 8, 9) if "2d" in repr(build(torch.nn)).lower() else (2, 3, 9))
    values, indices = build(spindle.nn)(spindle.tensor(array))
    expected_values, expected_indices = build(torch.nn)(torch.tensor(array))
    np.testing.assert_array_equal(values.numpy(), expected_values.numpy())
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())


def test_attributes_match_torch():
    for build in (lambda nn: nn.MaxPool2d(3), lambda nn: nn.MaxPool2d((3, 2), padding=1, ceil_mode=True),
                  lambda nn: nn.AvgPool2d(3, 1), lambda nn: nn.AvgPool1d(3), lambda nn: nn.MaxPool1d(2, 1)):
        ours, theirs = build(spindle.nn), build(torch.nn)
        for name in ("kernel_size", "stride", "padding", "ceil_mode"):
            assert getattr(ours, name) == getattr(theirs, name), name
        assert list(ours.state_dict()) == list(theirs.state_dict()) == []
