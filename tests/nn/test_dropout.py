"""Dropout: the masks are random, so the tests check the law (drop rate, 1/(1-p) scaling, whole
channels for the Nd forms), that the gradient uses the same mask, and train/eval behaviour."""
import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import assert_same_error

F = spindle.nn.functional


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_rate_scaling_and_gradient(p):
    x = spindle.rand(200, 100, dtype=spindle.float64, requires_grad=True)
    output = F.dropout(x + 1.0, p=p)
    kept = output.detach().numpy() != 0
    # 20000 Bernoulli draws: the kept fraction is within 5 standard deviations of 1 - p.
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / kept.size)
    np.testing.assert_allclose(output.detach().numpy()[kept], (x.detach().numpy() + 1.0)[kept] / (1 - p))
    output.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / (1 - p))


def test_dropout_keeps_expectation():
    x = spindle.ones(100000)
    assert abs(F.dropout(x, 0.3).mean().item() - 1.0) < 0.02


def test_dropout_extremes_and_eval():
    x = spindle.randn(10, 10, requires_grad=True)
    assert F.dropout(x, p=0.5, training=False) is x
    assert F.dropout(x, p=0.0) is x
    dropped = F.dropout(x, p=1.0)
    assert not dropped.detach().numpy().any()
    dropped.sum().backward()
    assert not x.grad.numpy().any()
    layer = spindle.nn.Dropout(0.5)
    layer.eval()
    assert layer(x) is x
    layer.train()
    assert (layer(x).detach().numpy() == 0).any()


def test_dropout_masks_differ_between_calls_and_follow_the_seed():
    x = spindle.ones(1000)
    spindle.manual_seed(3)
    first, second = F.dropout(x), F.dropout(x)
    spindle.manual_seed(3)
    replay = F.dropout(x)
    assert not np.array_equal(first.numpy(), second.numpy())
    np.testing.assert_array_equal(first.numpy(), replay.numpy())


def test_dropout_inplace():
    x = spindle.ones(50, 50)
    result = F.dropout(x, 0.5, inplace=True)
    assert result is x
    assert set(np.unique(x.numpy())) <= {0.0, 2.0}
    leaf = spindle.ones(4, requires_grad=True)
    hidden = leaf * 3
    F.dropout(hidden, 0.5, inplace=True).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), (hidden.detach().numpy() != 0) * 6.0)


@pytest.mark.parametrize(
    "function, shape, channel_dims",
    [("dropout1d", (8, 16, 10), 2), ("dropout1d", (40, 10), 1), ("dropout2d", (8, 16, 4, 5), 2),
     ("dropout3d", (4, 16, 2, 3, 4), 2), ("dropout3d", (40, 2, 3, 4), 1)],
)
def test_feature_dropout_zeroes_whole_channels(function, shape, channel_dims):
    x = spindle.rand(*shape) + 1.0
    output = getattr(F, function)(x, p=0.5).numpy()
    per_channel = output.reshape(shape[:channel_dims] + (-1,))
    zero_channels = (per_channel == 0).all(-1)
    assert ((per_channel != 0).all(-1) | zero_channels).all()  # a channel is dropped whole or kept whole
    assert 0 < zero_channels.mean() < 1
    kept = ~zero_channels
    np.testing.assert_allclose(per_channel[kept], (x.numpy().reshape(per_channel.shape) * 2)[kept], rtol=1e-6)
    np.testing.assert_array_equal(getattr(F, function)(x, 0.5, training=False).numpy(), x.numpy())


def test_dropout_modules_repr_and_errors():
    for build in (lambda nn: nn.Dropout(), lambda nn: nn.Dropout(0.1, inplace=True), lambda nn: nn.Dropout2d(0.3),
                  lambda nn: nn.Dropout1d(), lambda nn: nn.Dropout3d()):
        assert repr(build(spindle.nn)) == repr(build(torch.nn))
    assert_same_error(lambda fw: fw.nn.Dropout(1.5))
    assert_same_error(lambda fw: fw.nn.functional.dropout(fw.ones(2), p=-0.1))
    assert_same_error(lambda fw: fw.nn.functional.dropout1d(fw.ones(2, 3, 4, 5)))
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input"):
        F.dropout2d(spindle.ones(2, 3, 4))
    spindle.nn.Dropout2d()(spindle.ones(2, 3, 4, 4))
