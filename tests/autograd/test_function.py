"""Custom ``autograd.Function`` (the seed's Sigmoid) and ``gradcheck``."""
import numpy as np
import pytest
import torch

import spindle


def make_sigmoid(framework):
    class Sigmoid(framework.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = 1.0 / (1.0 + (-x).exp())
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_y):
            (y,) = ctx.saved_tensors
            return grad_y * y * (1.0 - y)

    return Sigmoid


def test_custom_sigmoid_matches_torch():
    data = np.random.default_rng().standard_normal((3, 4))
    x, tx = spindle.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, ty = make_sigmoid(spindle).apply(x), make_sigmoid(torch).apply(tx)
    assert y.grad_fn.name() == "SigmoidBackward"
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_needs_input_grad_multiple_outputs_and_non_tensor_args():
    class ScaleAndShift(spindle.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, factor):
            ctx.save_for_backward(x, w)
            ctx.factor = factor
            ctx.flags = ctx.needs_input_grad
            return x * w * factor, x + w

        @staticmethod
        def backward(ctx, grad_product, grad_sum):
            x, w = ctx.saved_tensors
            return grad_product * w * ctx.factor + grad_sum, grad_product * x * ctx.factor + grad_sum, None

    x = spindle.randn(3, requires_grad=True)
    w = spindle.randn(3)
    product, total = ScaleAndShift.apply(x, w, 2.0)
    product.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * w.numpy(), rtol=1e-6)
    assert product.grad_fn.flags == (True, False, False)
    assert total.requires_grad


def test_function_wrong_gradient_count_raises():
    class Bad(spindle.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = spindle.randn(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(x, x).sum().backward()


def test_saved_tensor_modified_in_place_raises():
    Sigmoid = make_sigmoid(spindle)
    x = spindle.randn(3, requires_grad=True)
    y = Sigmoid.apply(x)
    y.detach().add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_gradcheck_passes_and_catches_wrong_gradients():
    x = spindle.randn(3, 2, dtype=spindle.float64, requires_grad=True)
    assert spindle.autograd.gradcheck(lambda t: (t.sin() * t).sum(1), (x,))
    assert spindle.autograd.gradcheck(make_sigmoid(spindle).apply, (x,))

    class WrongSquare(spindle.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t

        @staticmethod
        def backward(ctx, grad):
            (t,) = ctx.saved_tensors
            return grad * t  # should be 2 * t

    with pytest.raises(spindle.autograd.GradcheckError):
        spindle.autograd.gradcheck(WrongSquare.apply, (x,))
    assert spindle.autograd.gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_gradgradcheck():
    x = spindle.randn(2, 2, dtype=spindle.float64, requires_grad=True)
    assert spindle.autograd.gradgradcheck(lambda t: (t.exp() * t.tanh()).sum(), (x,))
