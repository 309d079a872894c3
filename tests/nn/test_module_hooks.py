"""Module backward hooks, state-dict hooks and share_memory, compared with PyTorch."""
import numpy as np
import pytest
import torch

import spindle


def _pair(rng, dtype):
    """The same Linear(4, 3) in both libraries and matching inputs; the spindle input is non-contiguous."""
    weight = rng.standard_normal((3, 4)).astype(dtype)
    bias = rng.standard_normal(3).astype(dtype)
    data = rng.standard_normal((4, 5)).astype(dtype)
    modules = []
    for library in (torch, spindle):
        module = library.nn.Linear(4, 3).to(getattr(library, np.dtype(dtype).name))
        with library.no_grad():
            module.weight.copy_(library.tensor(weight))
            module.bias.copy_(library.tensor(bias))
        modules.append(module)
    torch_input = torch.tensor(data).t().requires_grad_()
    spindle_input = spindle.tensor(data).t().requires_grad_()
    return modules, (torch_input, spindle_input)


def _assert_grads_equal(torch_grads, spindle_grads, dtype):
    assert len(torch_grads) == len(spindle_grads)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for expected, actual in zip(torch_grads, spindle_grads):
        assert (expected is None) == (actual is None)
        if expected is not None:
            np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_full_backward_hooks_see_and_replace_gradients(rng, dtype):
    modules, inputs = _pair(rng, dtype)
    scale = float(rng.uniform(0.5, 2.0))
    seen = []
    for module, tensor in zip(modules, inputs):
        record = {}
        module.register_full_backward_pre_hook(lambda m, grad_output, record=record: record.update(pre=grad_output))
        module.register_full_backward_hook(
            lambda m, grad_input, grad_output, record=record: (record.update(grad_input=grad_input, grad_output=grad_output),
                                                               tuple(g * scale for g in grad_input))[1]
        )
        (module(tensor) ** 2).sum().backward()
        seen.append((record, tensor.grad, module.weight.grad))
    (torch_record, torch_grad, torch_weight_grad), (spindle_record, spindle_grad, spindle_weight_grad) = seen
    for key in ("pre", "grad_input", "grad_output"):
        _assert_grads_equal(torch_record[key], spindle_record[key], dtype)
    _assert_grads_equal((torch_grad, torch_weight_grad), (spindle_grad, spindle_weight_grad), dtype)


def test_pre_hook_replacement_and_none_inputs(rng):
    dtype = np.float64
    modules, inputs = _pair(rng, dtype)
    results = []
    for library, module, tensor in zip((torch, spindle), modules, inputs):
        record = {}
        module.register_full_backward_pre_hook(lambda m, grad_output: (grad_output[0] * 3,))
        handle = module.register_full_backward_hook(lambda m, gi, go, record=record: record.update(gi=gi, go=go))
        frozen = tensor.detach()  # no input needs a gradient: grad_input is all None
        module(frozen).sum().backward()
        results.append((record["gi"], record["go"], module.weight.grad))
        handle.remove()
        record.clear()
        module(tensor).sum().backward()
        assert record == {}
    _assert_grads_equal(results[0][0], results[1][0], dtype)
    _assert_grads_equal(results[0][1], results[1][1], dtype)
    _assert_grads_equal(results[0][2:], results[1][2:], dtype)


def test_backward_hook_errors_and_legacy():
    module = spindle.nn.Linear(2, 2)
    module.register_full_backward_hook(lambda m, gi, go: (None, None))
    with pytest.raises(RuntimeError, match="invalid number of grad_input"):
        module(spindle.randn(1, 2, requires_grad=True)).sum().backward()
    with pytest.raises(RuntimeError, match="Cannot use both"):
        module.register_backward_hook(lambda m, gi, go: None)
    legacy = spindle.nn.Tanh()
    calls = []
    legacy.register_backward_hook(lambda m, gi, go: calls.append(go))
    legacy(spindle.randn(3, requires_grad=True)).sum().backward()
    assert len(calls) == 1


def test_state_dict_hooks_match_torch():
    calls = {torch: [], spindle: []}
    for library in (torch, spindle):
        module = library.nn.Sequential(library.nn.Linear(2, 2))
        child = module[0]
        log = calls[library]
        child.register_state_dict_pre_hook(lambda m, prefix, keep_vars, log=log: log.append(("pre", prefix, keep_vars)))
        child.register_state_dict_post_hook(
            lambda m, state, prefix, metadata, log=log: log.append(("post", prefix, sorted(state)))
        )
        child.register_load_state_dict_pre_hook(
            lambda m, state, prefix, metadata, strict, missing, unexpected, errors, log=log: log.append(("load", prefix, sorted(state)))
        )
        state = module.state_dict()
        module.load_state_dict(state)
        bad = library.nn.Linear(2, 2)
        bad.register_state_dict_post_hook(lambda *arguments: {})
        with pytest.raises(RuntimeError, match="must return None"):
            bad.state_dict()
    assert calls[torch] == calls[spindle]


def test_share_memory_returns_module():
    module = spindle.nn.Linear(2, 2)
    assert module.share_memory() is module
