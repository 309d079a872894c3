"""Anomaly detection, the legacy Variable and autograd.functional, compared with PyTorch."""
import numpy as np
import pytest
import torch
import torch.autograd.functional as torch_functional

import spindle
import spindle.autograd.functional as spindle_functional


def test_variable_is_a_detached_leaf(rng):
    data = rng.standard_normal(3)
    for library in (torch, spindle):
        source = library.tensor(data, requires_grad=True) * 2
        variable = library.autograd.Variable(source, requires_grad=True)
        assert isinstance(variable, library.Tensor) and isinstance(variable, library.autograd.Variable)
        assert variable.is_leaf and variable.requires_grad and variable.grad_fn is None
        assert not isinstance(1.0, library.autograd.Variable)
        assert library.autograd.Variable().shape == (0,)
        with pytest.raises(TypeError):
            library.autograd.Variable([1.0])
    from spindle.autograd import Variable

    assert Variable(spindle.tensor(data)).requires_grad is False


class _ReturnsNan(spindle.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, grad):
        return grad * float("nan")


def test_detect_anomaly_raises_on_nan_like_torch(rng):
    data = rng.standard_normal(3)
    x = spindle.tensor(data, requires_grad=True)
    _ReturnsNan.apply(x).sum().backward()  # off: no error
    assert np.isnan(x.grad.numpy()).all()
    with pytest.warns(UserWarning, match="Anomaly Detection"), spindle.autograd.detect_anomaly():
        assert spindle.is_anomaly_enabled()
        with pytest.raises(RuntimeError, match=r"Function '_ReturnsNanBackward' returned nan values in its 0th output."):
            _ReturnsNan.apply(x).sum().backward()
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            (spindle.tensor(-1.0 - abs(data), requires_grad=True).sqrt() * 0).sum().backward()
    assert not spindle.is_anomaly_enabled()
    with spindle.autograd.set_detect_anomaly(True, check_nan=False):
        assert spindle.is_anomaly_enabled() and not spindle.is_anomaly_check_nan_enabled()
        _ReturnsNan.apply(x).sum().backward()
    assert not spindle.is_anomaly_enabled() and spindle.is_anomaly_check_nan_enabled()
    spindle.set_anomaly_enabled(False)


def _both(array, library, requires_grad=False):
    return library.tensor(array, requires_grad=requires_grad)


def _assert_nested_close(expected, actual, tolerance):
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for e, a in zip(expected, actual):
            _assert_nested_close(e, a, tolerance)
        return
    assert tuple(actual.shape) == tuple(expected.shape)
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=tolerance, atol=tolerance)


def _two_outputs(x, y):
    return (x * y.exp()).sum(), x.sin() * y


def _scalar(x, y):
    return (x ** 3 * y).sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functional_matches_torch(rng, dtype):
    tolerance = 1e-4 if dtype == np.float32 else 1e-10
    x = rng.standard_normal((3, 2)).astype(dtype)
    y = rng.standard_normal((2, 3)).astype(dtype).T  # non-contiguous
    v_out = rng.standard_normal((3, 2)).astype(dtype)
    results = []
    for library, functional in ((torch, torch_functional), (spindle, spindle_functional)):
        inputs = (_both(x, library), _both(y, library))
        vectors = (_both(v_out, library), _both(v_out, library))
        results.append((
            functional.jacobian(_two_outputs, inputs, vectorize=True),
            functional.jacobian(lambda a: a.tanh(), inputs[0]),
            functional.hessian(_scalar, inputs),
            functional.hessian(lambda a: (a ** 3).sum(), inputs[0]),
            functional.vjp(lambda a: a.sin(), inputs[0], vectors[0]),
            functional.jvp(lambda a, b: a * b, inputs, vectors),
            functional.hvp(_scalar, inputs, vectors),
            functional.vhp(_scalar, inputs, vectors, create_graph=True),
        ))
    _assert_nested_close(results[0], results[1], tolerance)


def test_functional_errors():
    x = spindle.randn(3)
    with pytest.raises(RuntimeError):
        spindle_functional.vjp(lambda a: a * 2, x)  # v=None needs a one-element output
    with pytest.raises(RuntimeError, match="independent of input 1"):
        spindle_functional.jacobian(lambda a, b: a * 2, (x, x), strict=True)
    with pytest.raises(TypeError):
        spindle_functional.jacobian(lambda a: a, [1.0])
