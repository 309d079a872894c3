"""Container semantics (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict) against
PyTorch's: indexing, slicing, mutation, renumbering, registration and repr."""
from collections import OrderedDict

import pytest
import torch

import spindle
import spindle.nn as nn
from tests.nn.oracle import assert_same_error


def layer_names(container):
    return [type(module).__name__ + str(getattr(module, "out_features", "")) for module in container]


def make_sequential(framework):
    f = framework.nn
    return f.Sequential(f.Linear(1, 2), f.ReLU(), f.Linear(2, 3), f.Tanh(), f.Linear(3, 4))


def test_sequential_indexing_slicing_and_forward():
    ours, theirs = make_sequential(spindle), make_sequential(torch)
    for index in (0, 2, -1, -5):
        assert layer_names([ours[index]]) == layer_names([theirs[index]])
    for part in (slice(1, 4), slice(None, None, 2), slice(-2, None)):
        assert isinstance(ours[part], nn.Sequential)
        assert layer_names(ours[part]) == layer_names(theirs[part])
        assert [name for name, _ in ours[part].named_children()] == [name for name, _ in theirs[part].named_children()]
    assert len(ours) == 5 and layer_names(iter(ours)) == layer_names(theirs)
    assert_same_error(lambda f: make_sequential(f)[5])
    assert_same_error(lambda f: make_sequential(f)[-6])
    x = spindle.ones(2, 1)
    expected = x
    for module in ours:
        expected = module(expected)
    assert (ours(x) == expected).all()


def test_sequential_from_ordered_dict_and_mutation():
    def mutate(framework):
        f = framework.nn
        model = f.Sequential(f.Linear(1, 2), f.ReLU())
        model.append(f.Linear(2, 3))
        model.insert(1, f.Tanh())
        model.insert(-1, f.Sigmoid())
        model.extend([f.GELU(), f.SiLU()])
        del model[0]
        del model[1:3]
        model[0] = f.ELU()
        popped = model.pop(-1)
        return model, popped

    (ours, ours_popped), (theirs, theirs_popped) = mutate(spindle), mutate(torch)
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert layer_names(ours) == layer_names(theirs)
    assert type(ours_popped).__name__ == type(theirs_popped).__name__
    assert repr(ours) == repr(theirs)
    assert_same_error(lambda f: f.nn.Sequential().insert(2, f.nn.ReLU()))
    named = nn.Sequential(OrderedDict(first=nn.Linear(1, 2), act=nn.ReLU()))
    assert [name for name, _ in named.named_children()] == ["first", "act"]
    assert isinstance(named[-1], nn.ReLU) and isinstance(named.first, nn.Linear)


def test_sequential_add_and_multiply():
    ours, theirs = make_sequential(spindle), make_sequential(torch)
    assert layer_names(ours + ours[:2]) == layer_names(theirs + theirs[:2])
    assert layer_names(ours[:2] * 3) == layer_names(theirs[:2] * 3)
    assert layer_names(2 * ours[:2]) == layer_names(2 * theirs[:2])
    doubled = ours[:2]
    doubled += ours[2:3]
    assert layer_names(doubled) == layer_names(theirs[:3])
    assert_same_error(lambda f: make_sequential(f) * 0)
    assert_same_error(lambda f: make_sequential(f) + f.nn.ReLU())


def test_module_list():
    def build(framework):
        f = framework.nn
        modules = f.ModuleList([f.Linear(1, 1), f.ReLU()])
        modules.append(f.Linear(1, 2))
        modules.extend([f.Tanh(), f.Linear(2, 3)])
        modules += [f.GELU()]
        modules.insert(1, f.Sigmoid())
        del modules[0]
        modules[-1] = f.SiLU()
        return modules

    ours, theirs = build(spindle), build(torch)
    assert layer_names(ours) == layer_names(theirs)
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert layer_names(ours[1:4]) == layer_names(theirs[1:4]) and isinstance(ours[1:4], nn.ModuleList)
    assert layer_names(ours + ours[:1]) == layer_names(theirs + theirs[:1])
    assert type(ours.pop(2)).__name__ == type(theirs.pop(2)).__name__
    del ours[::2]
    del theirs[::2]
    assert layer_names(ours) == layer_names(theirs)
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert_same_error(lambda f: build(f)[10])
    assert_same_error(lambda f: f.nn.ModuleList().extend(3))
    with pytest.raises(NotImplementedError):
        ours(spindle.ones(1))


def test_module_dict():
    def build(framework):
        f = framework.nn
        modules = f.ModuleDict({"b": f.Linear(1, 2), "a": f.ReLU()})
        modules.update([("c", f.Tanh())])
        modules.update(OrderedDict(d=f.GELU()))
        modules["e"] = f.Linear(2, 2)
        del modules["a"]
        return modules

    ours, theirs = build(spindle), build(torch)
    assert list(ours.keys()) == list(theirs.keys()) == list(ours)
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert "b" in ours and "a" not in ours and len(ours) == 4
    assert isinstance(ours.pop("b"), nn.Linear) and "b" not in ours
    assert [type(v).__name__ for v in ours.values()] == ["Tanh", "GELU", "Linear"]
    assert [k for k, _ in ours.items()] == ["c", "d", "e"]
    assert_same_error(lambda f: f.nn.ModuleDict().update(3))
    assert_same_error(lambda f: f.nn.ModuleDict().update([("a", f.nn.ReLU(), 1)]))
    ours.clear()
    assert len(ours) == 0


def test_parameter_list():
    def build(framework):
        f = framework.nn
        params = f.ParameterList([f.Parameter(framework.zeros(2, 3)), framework.ones(4)])
        params.append(framework.zeros(1, dtype=framework.float64))
        params.extend([f.Parameter(framework.ones(2), requires_grad=False)])
        params.append("not a tensor")
        return params

    ours, theirs = build(spindle), build(torch)
    assert all(isinstance(p, nn.Parameter) for p in list(ours)[:4])
    assert not ours[3].requires_grad
    assert len(ours) == 5 and ours[-1] == "not a tensor"
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs).replace("torch.", "spindle.")
    assert len(ours[1:3]) == 2 and isinstance(ours[1:3], nn.ParameterList)
    ours[0] = spindle.ones(2)
    assert isinstance(ours[0], nn.Parameter) and ours[0].shape == (2,)
    assert_same_error(lambda f: build(f)[7])
    assert_same_error(lambda f: build(f).extend(f.zeros(2)))
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        ours(1)


def test_parameter_dict():
    def build(framework):
        f = framework.nn
        params = f.ParameterDict({"b": framework.zeros(2), "a": f.Parameter(framework.ones(3))})
        params.update([("d", framework.zeros(1))])
        params["c"] = framework.ones(2, 2)
        params.setdefault("e", framework.zeros(5))
        return params

    ours, theirs = build(spindle), build(torch)
    assert list(ours) == list(theirs) == list(ours.keys())  # plain dicts are sorted, pairs kept in order
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert all(isinstance(v, nn.Parameter) for v in ours.values())
    assert repr(ours) == repr(theirs).replace("torch.", "spindle.")
    assert "a" in ours and ours.get("zz") is None and len(ours) == 5
    key, value = ours.popitem()
    assert key == "e" and value.shape == (5,)
    assert ours.pop("a").shape == (3,) and "a" not in ours
    merged = ours | nn.ParameterDict({"z": spindle.zeros(1)})
    assert list(merged) == list(ours) + ["z"]
    assert list(ours.copy()) == list(ours)
    assert list(ours.fromkeys(["x", "y"])) == ["x", "y"]
    assert_same_error(lambda f: build(f)[1])
    ours.clear()
    assert len(ours) == 0
