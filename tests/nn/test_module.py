"""Module bookkeeping against PyTorch: registration, named_* order, state_dict keys and loading
(with PyTorch's error messages), hooks, train/eval, conversions and repr."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import spindle
import spindle.nn as nn
from tests.nn.oracle import assert_close, assert_same_error, assert_same_state, copy_state, error_of, to_spindle


def build_network(framework):
    """The same model in either framework: nested modules, a shared layer, buffers (persistent and
    not), a parameter-less layer and a None parameter."""
    torch_nn = framework.nn

    class Block(torch_nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch_nn.Linear(4, 4)
            self.norm = torch_nn.BatchNorm1d(4)
            self.register_buffer("scale", framework.ones(4))
            self.register_buffer("scratch", framework.zeros(2), persistent=False)

        def forward(self, x):
            return self.norm(self.fc(x)) * self.scale

    class Network(torch_nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch_nn.Embedding(10, 4, padding_idx=0)
            self.blocks = torch_nn.Sequential(Block(), torch_nn.ReLU(), Block())
            self.heads = torch_nn.ModuleDict({"main": torch_nn.Linear(4, 3), "aux": torch_nn.Linear(4, 2, bias=False)})
            self.shared = self.heads["main"]
            self.temperature = torch_nn.Parameter(framework.ones(()))
            self.register_parameter("unused", None)

        def forward(self, tokens):
            hidden = self.blocks(self.embedding(tokens).mean(1))
            return self.heads["main"](hidden) / self.temperature + self.shared(hidden)

    return Network()


@pytest.fixture
def networks():
    torch_network = build_network(torch)
    spindle_network = build_network(spindle)
    copy_state(torch_network, spindle_network)
    return spindle_network, torch_network


def names(pairs):
    return [name for name, _ in pairs]


def test_named_members_match_torch_order_and_names(networks):
    ours, theirs = networks
    assert names(ours.named_parameters()) == names(theirs.named_parameters())
    assert names(ours.named_buffers()) == names(theirs.named_buffers())
    assert names(ours.named_modules()) == names(theirs.named_modules())
    assert names(ours.named_children()) == names(theirs.named_children())
    assert names(ours.named_parameters(remove_duplicate=False)) == names(theirs.named_parameters(remove_duplicate=False))
    assert names(ours.named_modules(remove_duplicate=False)) == names(theirs.named_modules(remove_duplicate=False))
    assert names(ours.named_parameters(prefix="model", recurse=False)) == ["model.temperature"]
    assert names(ours.blocks.named_buffers(recurse=False)) == []
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert len(list(ours.buffers())) == len(list(theirs.buffers()))
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in theirs.modules()]
    assert [type(m).__name__ for m in ours.children()] == [type(m).__name__ for m in theirs.children()]


def test_state_dict_keys_values_and_detachment(networks):
    ours, theirs = networks
    assert_same_state(ours, theirs)
    state = ours.state_dict()
    assert isinstance(state, OrderedDict)
    assert "blocks.0.scratch" not in state  # non-persistent
    assert not state["embedding.weight"].requires_grad
    assert not isinstance(state["embedding.weight"], nn.Parameter)
    # Detached, but sharing memory with the parameter.
    with spindle.no_grad():
        ours.embedding.weight[1, 0] = 42.0
    assert state["embedding.weight"][1, 0].item() == 42.0
    kept = ours.state_dict(keep_vars=True)
    assert kept["temperature"] is ours.temperature
    assert list(ours.state_dict(prefix="net.")) == ["net." + key for key in state]
    with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
        positional = ours.state_dict(None, "net.", True)
    assert list(positional) == list(ours.state_dict(prefix="net.")) and positional["net.temperature"] is ours.temperature
    assert state._metadata[""]["version"] == 1
    assert state._metadata["blocks.0.norm"]["version"] == 2


def test_load_state_dict_copies_in_place_and_reports_keys(networks):
    ours, theirs = networks
    weight_before = ours.heads["aux"].weight
    theirs_state = {k: v + 1 if v.is_floating_point() else v for k, v in theirs.state_dict().items()}
    result = ours.load_state_dict({k: to_spindle(v) for k, v in theirs_state.items()})
    assert ours.heads["aux"].weight is weight_before  # copied in place, identity kept
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for key, value in theirs_state.items():
        assert_close(ours.state_dict()[key], value)
    state = ours.state_dict()
    del state["temperature"]
    state["extra.weight"] = spindle.zeros(1)
    result = ours.load_state_dict(state, strict=False)
    assert result.missing_keys == ["temperature"] and result.unexpected_keys == ["extra.weight"]


def test_load_state_dict_errors_match_torch():
    def missing_and_unexpected(framework):
        model = framework.nn.Sequential(framework.nn.Linear(2, 3), framework.nn.BatchNorm1d(3))
        state = model.state_dict()
        del state["0.bias"], state["1.running_var"]
        state["1.extra"] = framework.zeros(1)
        state["2.weight"] = framework.zeros(1)
        model.load_state_dict(state)

    def size_mismatch(framework):
        model = framework.nn.Linear(2, 3)
        model.load_state_dict({"weight": framework.zeros(3, 4), "bias": framework.zeros(3)})

    def not_a_tensor(framework):
        framework.nn.Linear(2, 3).load_state_dict({"weight": [1.0], "bias": framework.zeros(3)})

    for compute in (missing_and_unexpected, size_mismatch):
        assert_same_error(compute)
    error = error_of(not_a_tensor, spindle)
    assert isinstance(error, RuntimeError) and 'While copying the parameter named "weight"' in str(error)
    assert isinstance(error_of(nn.Linear(2, 3).load_state_dict, [1, 2]), TypeError)


def test_load_state_dict_non_strict_returns_incompatible_keys():
    ours = nn.Sequential(nn.Linear(2, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3))
    state = {"0.weight": spindle.zeros(3, 2), "1.bias": spindle.zeros(1)}
    torch_state = {"0.weight": torch.zeros(3, 2), "1.bias": torch.zeros(1)}
    ours_result = ours.load_state_dict(state, strict=False)
    theirs_result = theirs.load_state_dict(torch_state, strict=False)
    assert ours_result.missing_keys == theirs_result.missing_keys == ["0.bias"]
    assert ours_result.unexpected_keys == theirs_result.unexpected_keys == ["1.bias"]
    assert repr(ours_result) == repr(theirs_result)
    assert not ours[0].weight.detach().numpy().any()


def test_load_state_dict_assign_keeps_requires_grad():
    model = nn.Linear(2, 3)
    new_weight = spindle.ones(3, 2)
    model.load_state_dict({"weight": new_weight, "bias": spindle.zeros(3)}, assign=True)
    assert isinstance(model.weight, nn.Parameter) and model.weight.requires_grad
    new_weight[0, 0] = 5.0
    assert model.weight[0, 0].item() == 5.0  # assigned, not copied


def test_load_state_dict_post_hook_sees_and_may_edit_incompatible_keys():
    model = nn.Sequential(nn.Linear(2, 2))
    seen = []

    def forgive_bias(module, incompatible_keys):
        seen.append(list(incompatible_keys.missing_keys))
        incompatible_keys.missing_keys.remove("0.bias")

    handle = model.register_load_state_dict_post_hook(forgive_bias)
    assert model.load_state_dict({"0.weight": spindle.zeros(2, 2)}).missing_keys == []
    assert seen == [["0.bias"]]
    handle.remove()
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0.bias"'):
        model.load_state_dict({"0.weight": spindle.zeros(2, 2)})


def test_old_batchnorm_checkpoint_without_num_batches_tracked_loads():
    norm = nn.BatchNorm1d(3)
    state = norm.state_dict()
    del state["num_batches_tracked"]
    state._metadata[""]["version"] = 1
    assert norm.load_state_dict(state).missing_keys == []


def test_registration_rules_and_errors():
    def bad_cases(framework):
        module = framework.nn.Module()
        module.weight = framework.nn.Parameter(framework.zeros(2))
        module.child = framework.nn.Linear(1, 1)
        return module

    ours = bad_cases(spindle)
    assert_same_error(lambda f: setattr(bad_cases(f), "weight", f.zeros(2)))
    assert_same_error(lambda f: setattr(bad_cases(f), "child", f.zeros(2)))
    assert_same_error(lambda f: bad_cases(f).register_buffer("weight", f.zeros(1)))
    assert_same_error(lambda f: bad_cases(f).register_buffer("a.b", f.zeros(1)))
    assert_same_error(lambda f: bad_cases(f).register_buffer("", f.zeros(1)))
    assert_same_error(lambda f: bad_cases(f).register_parameter("child", f.nn.Parameter(f.zeros(1))))
    assert_same_error(lambda f: bad_cases(f).register_parameter("a.b", f.nn.Parameter(f.zeros(1))))
    assert_same_error(lambda f: bad_cases(f).add_module("a.b", f.nn.ReLU()))
    assert_same_error(lambda f: bad_cases(f).add_module("", f.nn.ReLU()))
    assert_same_error(lambda f: bad_cases(f).add_module("weight", f.nn.ReLU()))
    assert_same_error(lambda f: bad_cases(f).missing)
    non_leaf = nn.Parameter(spindle.ones(2)) * 2
    assert isinstance(error_of(ours.register_buffer, "buffer", 3), TypeError)
    assert isinstance(error_of(ours.add_module, "x", 3), TypeError)
    assert isinstance(error_of(ours.register_parameter, "p", non_leaf), TypeError)

    class Early(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(spindle.zeros(1))

    assert "cannot assign parameters before Module.__init__() call" in str(error_of(Early))


def test_reassignment_moves_between_kinds_and_delattr():
    module = nn.Module()
    module.register_buffer("thing", spindle.zeros(2))
    module.thing = nn.Linear(2, 2)  # a buffer replaced by a module
    assert "thing" not in module._buffers and "thing" in module._modules
    module.weight = nn.Parameter(spindle.zeros(2))
    module.weight = None  # a None parameter stays registered
    assert "weight" in module._parameters and module.weight is None
    assert_same_error(lambda f: setattr(f.nn.Linear(1, 1), "bias", f.nn.ReLU()))
    module.thing = None
    assert module.thing is None and "thing" in module._modules
    module.register_buffer("state", spindle.zeros(2))
    module.state = spindle.ones(2)  # assigning a tensor to a buffer name updates the buffer
    assert module._buffers["state"].sum().item() == 2
    module.plain = 3
    assert module.plain == 3 and "plain" in module.__dict__
    del module.state, module.thing, module.plain
    assert "state" not in module._buffers and "thing" not in module._modules and not hasattr(module, "plain")
    module.tracked = nn.Buffer(spindle.zeros(3), persistent=False)
    assert "tracked" in module._buffers and "tracked" not in module.state_dict()


def test_get_submodule_parameter_and_buffer(networks):
    ours, theirs = networks
    assert ours.get_submodule("blocks.0.fc") is ours.blocks[0].fc
    assert ours.get_submodule("") is ours
    assert ours.get_parameter("blocks.2.fc.bias") is ours.blocks[2].fc.bias
    assert ours.get_buffer("blocks.0.norm.running_mean") is ours.blocks[0].norm.running_mean
    assert_same_error(lambda f: build_network(f).get_submodule("blocks.7"))
    assert_same_error(lambda f: build_network(f).get_submodule("blocks.0.fc.weight"))
    assert_same_error(lambda f: build_network(f).get_parameter("blocks.0.scale"))
    assert_same_error(lambda f: build_network(f).get_parameter("blocks.0.nothing"))
    assert_same_error(lambda f: build_network(f).get_buffer("blocks.0.fc.weight"))
    ours.set_submodule("blocks.1", nn.Tanh())
    assert isinstance(ours.blocks[1], nn.Tanh)


def test_repr_matches_torch(networks):
    ours, theirs = networks
    assert repr(ours) == repr(theirs)
    assert repr(ours.blocks) == repr(theirs.blocks)
    for make in (
        lambda f: f.nn.ModuleList([f.nn.ReLU(), f.nn.ReLU(), f.nn.Linear(2, 3), f.nn.ReLU()]),
        lambda f: f.nn.ModuleList(),
        lambda f: f.nn.ModuleList([f.nn.Sequential(f.nn.Linear(1, 2), f.nn.GELU())] * 3),
        lambda f: f.nn.Sequential(),
        lambda f: f.nn.Sequential(OrderedDict(conv=f.nn.Identity(), flat=f.nn.Flatten())),
    ):
        assert repr(make(spindle)) == repr(make(torch))


def test_parameter_repr_and_type():
    param = nn.Parameter(spindle.tensor([1.0, 2.0]))
    assert repr(param).startswith("Parameter containing:\ntensor([1., 2.]")
    assert isinstance(param, spindle.Tensor) and param.requires_grad and param.is_leaf
    frozen = nn.Parameter(spindle.zeros(2), requires_grad=False)
    assert not frozen.requires_grad
    assert nn.Parameter().shape == (0,)
    data = spindle.zeros(3)
    shared = nn.Parameter(data)
    data[0] = 7.0
    assert shared[0].item() == 7.0  # shares memory
    assert type(shared * 2) is spindle.Tensor


def test_train_eval_propagate(networks):
    ours, _ = networks
    assert all(module.training for module in ours.modules())
    assert ours.eval() is ours
    assert not any(module.training for module in ours.modules())
    ours.blocks.train()
    assert ours.blocks[0].norm.training and not ours.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        ours.train("yes")


def test_forward_hooks_order_modification_and_removal():
    layer = nn.Linear(3, 2)
    calls = []

    def pre_hook(module, args):
        calls.append("pre")
        return (args[0] * 0,)

    def hook(module, args, output):
        calls.append("post")
        return output + 1

    def kwargs_pre_hook(module, args, kwargs):
        calls.append("pre_kwargs")

    pre_handle = layer.register_forward_pre_hook(pre_hook)
    layer.register_forward_pre_hook(kwargs_pre_hook, with_kwargs=True, prepend=True)
    handle = layer.register_forward_hook(hook)
    output = layer(spindle.ones(1, 3))
    assert calls == ["pre_kwargs", "pre", "post"]
    assert_close(output, torch.from_numpy(layer.bias.detach().numpy() + 1).reshape(1, 2))
    pre_handle.remove()
    handle.remove()
    handle.remove()  # removing twice is harmless
    assert_close(layer(spindle.ones(1, 3)), torch.from_numpy((spindle.ones(1, 3) @ layer.weight.t() + layer.bias).detach().numpy()))

    seen = []
    with layer.register_forward_hook(lambda m, a, k, o: seen.append(sorted(k)), with_kwargs=True):
        layer(input=spindle.ones(1, 3))
    layer(spindle.ones(1, 3))
    assert seen == [["input"]]


def test_always_call_hook_runs_when_forward_raises():
    layer = nn.Linear(3, 2)
    seen = []
    layer.register_forward_hook(lambda module, args, output: seen.append(output), always_call=True)
    with pytest.raises(RuntimeError):
        layer(spindle.ones(1, 4))
    assert seen == [None]


def test_forward_not_implemented():
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        nn.Module()(spindle.ones(1))


def test_zero_grad_apply_requires_grad(networks):
    ours, _ = networks
    output = ours(spindle.tensor([[1, 2], [3, 0]])).sum()
    output.backward()
    assert ours.heads["main"].weight.grad is not None and ours.heads["aux"].weight.grad is None  # aux unused
    ours.zero_grad(set_to_none=False)
    grads = [param.grad for param in ours.parameters() if param.grad is not None]
    assert len(grads) == len(list(ours.parameters())) - 1 and not any(grad.numpy().any() for grad in grads)
    ours.zero_grad()
    assert all(param.grad is None for param in ours.parameters())
    visited = []
    ours.apply(lambda module: visited.append(type(module).__name__))
    assert visited[-1] == "Network" and visited[0] == "Embedding"
    ours.requires_grad_(False)
    assert not any(param.requires_grad for param in ours.parameters())


def test_dtype_conversions_keep_parameter_identity(networks):
    ours, _ = networks
    weight = ours.heads["main"].weight
    ours(spindle.tensor([[1, 2], [3, 4]])).sum().backward()
    assert ours.double() is ours
    assert ours.heads["main"].weight is weight and weight.dtype == spindle.float64
    assert weight.grad.dtype == spindle.float64
    assert ours.blocks[0].norm.num_batches_tracked.dtype == spindle.int64  # integers keep their dtype
    assert ours.blocks[0].norm.running_mean.dtype == spindle.float64
    assert ours.half().heads["main"].weight.dtype == spindle.float16
    ours.to(spindle.float32)
    assert weight.dtype == spindle.float32
    ours.to(spindle.zeros(1, dtype=spindle.float64))
    assert weight.dtype == spindle.float64
    ours.to("cpu", spindle.float32).float()
    assert weight.dtype == spindle.float32 and ours.cpu() is ours
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes"):
        ours.to(spindle.int64)


def test_type_and_to_empty():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    weight = model[0].weight
    model.type(spindle.float64)
    assert weight.dtype == spindle.float64 and model[1].num_batches_tracked.dtype == spindle.float64
    model.to_empty(device="cpu")
    assert model[0].weight is weight and weight.shape == (3, 2)


@pytest.mark.cuda
def test_cuda_moves_parameters_buffers_and_gradients():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
    x = spindle.randn(5, 4)
    model(x).sum().backward()
    expected = model(x).detach().numpy()
    weight = model[0].weight
    assert model.cuda() is model
    assert model[0].weight is weight and weight.is_cuda and weight.grad.is_cuda
    assert model[1].running_mean.is_cuda and model[1].num_batches_tracked.is_cuda
    output = model(x.cuda())
    output.sum().backward()
    assert output.is_cuda and model[3].bias.grad.is_cuda
    np.testing.assert_allclose(output.detach().cpu().numpy(), expected, rtol=1e-5, atol=1e-6)
    model.cpu()
    assert not weight.is_cuda


def test_dir_lists_members_but_not_indices(networks):
    ours, _ = networks
    listing = dir(ours)
    for name in ("embedding", "blocks", "temperature", "forward", "training"):
        assert name in listing
    assert "0" not in dir(ours.blocks)


def test_deepcopy_and_pickle_round_trip(networks):
    ours, _ = networks
    tokens = spindle.tensor([[1, 2], [3, 4]])
    ours.eval()
    clone = copy.deepcopy(ours)
    assert clone.heads["main"].weight is not ours.heads["main"].weight
    assert isinstance(clone.heads["main"].weight, nn.Parameter)
    assert clone.shared is clone.heads["main"]  # sharing survives
    np.testing.assert_array_equal(clone(tokens).detach().numpy(), ours(tokens).detach().numpy())
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.ReLU(), shared, nn.BatchNorm1d(3)).eval()
    restored = pickle.loads(pickle.dumps(model))
    assert restored[0] is restored[2] and isinstance(restored[0].weight, nn.Parameter)
    assert restored[0].weight.requires_grad
    x = spindle.ones(2, 3)
    np.testing.assert_array_equal(restored(x).detach().numpy(), model(x).detach().numpy())


def test_extra_state_round_trip():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.count = 0

        def get_extra_state(self):
            return {"count": self.count}

        def set_extra_state(self, state):
            self.count = state["count"]

    source = nn.Sequential(Counter())
    source[0].count = 5
    state = source.state_dict()
    assert state["0._extra_state"] == {"count": 5}
    target = nn.Sequential(Counter())
    target.load_state_dict(state)
    assert target[0].count == 5
