"""The backward engine: accumulation, graph freeing, retain_graph, hooks, higher order, autograd.grad,
and the errors PyTorch raises, compared with PyTorch where values are involved."""
import numpy as np
import pytest
import torch

import spindle

rng = np.random.default_rng()


def both(*shape):
    data = rng.standard_normal(shape)
    return spindle.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)


def test_gradients_accumulate_across_backward_calls():
    x, tx = both(3)
    for _ in range(2):
        (x * x).sum().backward()
        (tx * tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_shared_subexpression_and_diamond_graph():
    x, tx = both(4)
    for framework_x, framework in ((x, spindle), (tx, torch)):
        a = framework_x.exp()
        b = a * framework_x
        c = a + b.sin()
        (c * a).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


def test_second_backward_raises_and_retain_graph_allows_it():
    x = spindle.randn(3, requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp(x.detach().numpy()), rtol=1e-6)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_non_scalar_backward_needs_gradient():
    x = spindle.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(spindle.ones(3))
    assert x.grad.tolist() == [2, 2, 2]
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(spindle.ones(4))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        spindle.ones(2).sum().backward()


def test_no_grad_enable_grad_set_grad_enabled():
    x = spindle.ones(2, requires_grad=True)
    with spindle.no_grad():
        assert not (x * 2).requires_grad
        with spindle.enable_grad():
            assert (x * 2).requires_grad
    with spindle.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert spindle.is_grad_enabled()

    @spindle.no_grad()
    def decorated():
        return x * 2

    assert not decorated().requires_grad
    spindle.set_grad_enabled(False)
    assert not spindle.is_grad_enabled()
    spindle.set_grad_enabled(True)


def test_autograd_grad_matches_torch_and_does_not_touch_grad():
    x, tx = both(3)
    w, tw = both(3)
    (gx, gw) = spindle.autograd.grad((x * w).sin().sum(), (x, w))
    (tgx, tgw) = torch.autograd.grad((tx * tw).sin().sum(), (tx, tw))
    np.testing.assert_allclose(gx.numpy(), tgx.numpy())
    np.testing.assert_allclose(gw.numpy(), tgw.numpy())
    assert x.grad is None and not gx.requires_grad


def test_autograd_grad_unused_input():
    x = spindle.randn(2, requires_grad=True)
    unused = spindle.randn(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        spindle.autograd.grad((x * 2).sum(), (x, unused))
    gx, gu = spindle.autograd.grad((x * 2).sum(), (x, unused), allow_unused=True)
    assert gu is None and gx.tolist() == [2, 2]


def test_grad_with_respect_to_intermediate():
    x, tx = both(3)
    h, th = x * 3, tx * 3
    (gh,) = spindle.autograd.grad((h * h).sum(), h)
    (tgh,) = torch.autograd.grad((th * th).sum(), th)
    np.testing.assert_allclose(gh.numpy(), tgh.numpy())


@pytest.mark.parametrize(
    "function",
    [
        lambda x: (x * x * x).sum(),
        lambda x: (x.exp() * x.sin()).sum(),
        lambda x: x.tanh().pow(3).mean(),
        lambda x: (x @ x.t()).sigmoid().sum(),
        lambda x: x.softmax(-1).log().sum() + x.logsumexp(0).sum(),
    ],
)
def test_higher_order_matches_torch(function):
    x, tx = both(2, 3)
    (g,) = spindle.autograd.grad(function(x), x, create_graph=True)
    (tg,) = torch.autograd.grad(function(tx), tx, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-9)
    (gg,) = spindle.autograd.grad((g * g).sum(), x)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), tx)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-8, atol=1e-12)


def test_third_order():
    x = spindle.tensor(1.3, dtype=spindle.float64, requires_grad=True)
    (first,) = spindle.autograd.grad(x ** 4, x, create_graph=True)
    (second,) = spindle.autograd.grad(first, x, create_graph=True)
    (third,) = spindle.autograd.grad(second, x)
    assert abs(third.item() - 24 * 1.3) < 1e-10


def test_backward_create_graph_gives_differentiable_grad():
    x = spindle.tensor([1.0, 2.0], dtype=spindle.float64, requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    first = x.grad.clone()
    x.grad = None
    first.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def test_tensor_hooks():
    x = spindle.ones(3, requires_grad=True)
    seen = []
    x.register_hook(lambda grad: seen.append(grad.clone()))
    y = x * 2
    handle = y.register_hook(lambda grad: grad * 10)
    y.sum().backward()
    assert x.grad.tolist() == [20, 20, 20] and seen[0].tolist() == [20, 20, 20]
    handle.remove()
    x.grad = None
    y = x * 2
    y.sum().backward()
    assert x.grad.tolist() == [2, 2, 2]
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        spindle.ones(2).register_hook(lambda g: g)


def test_retain_grad():
    x = spindle.ones(2, requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    assert y.grad.tolist() == [6, 6] and y.retains_grad


def test_leaf_grads_are_not_aliased():
    x = spindle.ones(2, requires_grad=True)
    w = spindle.ones(2, requires_grad=True)
    (x + w).sum().backward()
    x.grad.zero_()
    assert w.grad.tolist() == [1, 1]
    upstream = spindle.ones(2)
    x.grad = None
    x.backward(upstream)
    x.grad.zero_()
    assert upstream.tolist() == [1, 1]


def test_in_place_on_leaf_requiring_grad_raises():
    w = spindle.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0] = 3
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        w[0].mul_(2)
    with spindle.no_grad():
        w -= 0.5
    assert w.tolist() == [0.5, 0.5]


def test_modifying_saved_tensor_raises_like_torch():
    for framework in (spindle, torch):
        x = framework.ones(3, requires_grad=True)
        y = x * 1
        z = (y * y).sum()
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.backward()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda y, w: y.mul_(w),
        lambda y, w: y.add_(w).relu_(),
        lambda y, w: y.__setitem__((slice(0, 2),), w[:2] * 3),
        lambda y, w: y[1:].mul_(w[1:]),
        lambda y, w: y.masked_fill_(y > 0, 0.5),
        lambda y, w: y.clamp_(-0.2, 0.2),
    ],
)
def test_in_place_history_rebasing_matches_torch(mutate):
    x, tx = both(4)
    w, tw = both(4)
    for inputs in ((x, w), (tx, tw)):
        y = inputs[0] * 2
        mutate(y, inputs[1])
        (y * y.detach() + y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
    assert (w.grad is None) == (tw.grad is None)
    if tw.grad is not None:
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10)


def test_seed_style_masking_update():
    h, th = both(4, 3)
    grad_h = h.detach().clone()
    grad_h[h.detach() < 0] = 0
    expected = th.detach().clone()
    expected[th.detach() < 0] = 0
    np.testing.assert_array_equal(grad_h.numpy(), expected.numpy())


def test_backward_inputs_argument():
    x = spindle.ones(2, requires_grad=True)
    w = spindle.ones(2, requires_grad=True)
    (x * w * 3).sum().backward(inputs=[x])
    assert x.grad.tolist() == [3, 3] and w.grad is None


def test_grad_fn_names_and_next_functions():
    x = spindle.ones(2, requires_grad=True)
    y = (x + 1) * 2
    assert y.grad_fn.name() == "MulBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "AddBackward0"
    leaf = y.grad_fn.next_functions[0][0].next_functions[0][0]
    assert leaf.variable is x


def test_grad_fn_prehook_sees_and_replaces_the_output_gradients():
    """``grad_fn.register_prehook(hook)``: hook(grad_outputs) runs before the node's backward, and a
    returned tuple replaces the gradients, as in PyTorch; a removed hook no longer runs."""
    results = {}
    for framework in (torch, spindle):
        x = framework.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = (x * x).sum()
        seen = []
        handle = y.grad_fn.register_prehook(lambda grads: (seen.append(grads[0].item()), (grads[0] * 10,))[1])
        y.backward(retain_graph=True)
        first = x.grad.clone()
        handle.remove()
        x.grad = None
        y.backward()
        results[framework] = (seen, first.tolist(), x.grad.tolist())
    assert results[spindle] == results[torch]
