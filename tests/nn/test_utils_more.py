"""nn.utils against PyTorch: hook-based weight_norm/spectral_norm, parametrize and
parametrizations (orthogonal, weight_norm, spectral_norm), BatchNorm fusion, skip_init and
functional_call (nn.utils.stateless and spindle.func). State-dict keys must equal PyTorch's."""
import warnings

import numpy as np
import pytest
import torch

import spindle
import spindle.func
import spindle.nn.utils as utils
from spindle.nn.utils import parametrizations, parametrize
from tests.nn.oracle import assert_close, to_spindle

DTYPES = ["float32", "float64"]
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def module_pair(make, dtype):
    """The same module in both frameworks, spindle's holding torch's initial values."""
    theirs = make(torch, getattr(torch, dtype))
    ours = make(spindle, getattr(spindle, dtype))
    ours.load_state_dict({key: to_spindle(value) for key, value in theirs.state_dict().items()})
    return ours, theirs


def copy_state(ours, theirs):
    ours.load_state_dict({key: to_spindle(value) for key, value in theirs.state_dict().items()})


def compare_forward_backward(rng, ours, theirs, input_shape, dtype):
    """Forward both modules on one random input (given transposed: non-contiguous) and compare the
    outputs and every parameter's gradient."""
    array = rng.standard_normal(input_shape[::-1]).astype(dtype)
    our_input = spindle.tensor(array).permute(*range(len(input_shape) - 1, -1, -1))
    their_input = torch.tensor(array).permute(*range(len(input_shape) - 1, -1, -1))
    our_output, their_output = ours(our_input), theirs(their_input)
    assert_close(our_output, their_output, dtype)
    upstream = rng.standard_normal(tuple(their_output.shape)).astype(dtype)
    our_output.backward(spindle.tensor(upstream))
    their_output.backward(torch.tensor(upstream))
    their_parameters = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        assert_close(parameter.grad, their_parameters[name].grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_hook_weight_norm_matches_torch(rng, dtype, dim):
    ours, theirs = module_pair(lambda fw, d: fw.nn.Conv1d(3, 4, 2, dtype=d), dtype)
    utils.weight_norm(ours, dim=dim)
    torch.nn.utils.weight_norm(theirs, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.weight_g.shape == theirs.weight_g.shape
    compare_forward_backward(rng, ours, theirs, (2, 3, 5), dtype)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        utils.weight_norm(ours, dim=dim)
    utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_close(ours.weight, theirs.weight, dtype)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        utils.remove_weight_norm(ours)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("transposed", [False, True])
def test_hook_spectral_norm_training_eval_and_remove(rng, dtype, transposed):
    def make(fw, d):
        layer = fw.nn.ConvTranspose2d if transposed else fw.nn.Conv2d
        return fw.nn.utils.spectral_norm(layer(3, 4, 2, dtype=d), n_power_iterations=2)

    ours, theirs = module_pair(make, dtype)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.weight_u.shape == theirs.weight_u.shape and ours.weight_v.shape == theirs.weight_v.shape
    compare_forward_backward(rng, ours, theirs, (2, 3, 4, 4), dtype)
    assert_close(ours.weight_u, theirs.weight_u, dtype)  # power iteration updated the buffers alike
    ours.eval(), theirs.eval()
    frozen = ours.weight_u.clone()
    compare_forward_backward(rng, ours, theirs, (2, 3, 4, 4), dtype)
    assert spindle.equal(ours.weight_u, frozen)
    utils.remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_close(ours.weight, theirs.weight, dtype)
    with pytest.raises(ValueError):
        utils.spectral_norm(spindle.nn.Linear(2, 2), n_power_iterations=0)


class Symmetric(spindle.nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):
        return A.triu()


class TorchSymmetric(torch.nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):
        return A.triu()


def test_register_and_remove_parametrization(rng):
    ours, theirs = module_pair(lambda fw, d: fw.nn.Linear(4, 4, dtype=d), "float64")
    parametrize.register_parametrization(ours, "weight", Symmetric())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", TorchSymmetric())
    assert type(ours).__name__ == "ParametrizedLinear" and parametrize.type_before_parametrizations(ours) is spindle.nn.Linear
    assert parametrize.is_parametrized(ours) and parametrize.is_parametrized(ours, "weight")
    assert not parametrize.is_parametrized(ours, "bias")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_close(ours.parametrizations.weight.original, theirs.parametrizations.weight.original, "float64")
    compare_forward_backward(rng, ours, theirs, (3, 4), "float64")
    assigned = rng.standard_normal((4, 4))
    ours.weight = spindle.tensor(assigned)
    theirs.weight = torch.tensor(assigned)
    assert_close(ours.weight, theirs.weight, "float64")
    assert repr(ours) == repr(theirs).replace("TorchSymmetric", "Symmetric")
    with parametrize.cached():
        assert ours.weight is ours.weight
    assert ours.weight is not ours.weight
    parametrize.remove_parametrizations(ours, "weight", leave_parametrized=False)
    torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight", leave_parametrized=False)
    assert type(ours) is spindle.nn.Linear and not hasattr(ours, "parametrizations")
    assert_close(ours.weight, theirs.weight, "float64")
    assert isinstance(ours.weight, spindle.nn.Parameter)
    with pytest.raises(ValueError, match="does not have a parametrization"):
        parametrize.remove_parametrizations(ours, "weight")
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        parametrize.register_parametrization(ours, "missing", Symmetric())


def test_parametrization_that_changes_shape_needs_unsafe():
    class Halve(spindle.nn.Module):
        def forward(self, X):
            return X[:2]

    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(spindle.nn.Linear(3, 4), "weight", Halve())
    layer = parametrize.register_parametrization(spindle.nn.Linear(3, 4), "weight", Halve(), unsafe=True)
    assert layer.weight.shape == (2, 3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_orthogonal_matches_torch(rng, dtype, orthogonal_map, shape):
    out_features, in_features = shape
    ours, theirs = module_pair(lambda fw, d: fw.nn.Linear(in_features, out_features, dtype=d), dtype)
    parametrizations.orthogonal(ours, orthogonal_map=orthogonal_map)
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map=orthogonal_map)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    weight = ours.weight.detach()
    product = weight.mT @ weight if out_features >= in_features else weight @ weight.mT
    assert spindle.allclose(product, spindle.eye(min(shape), dtype=weight.dtype), atol=1e-5)
    # The random completion of a non-square base differs: run from torch's state.
    copy_state(ours, theirs)
    tolerance = 1e-4 if dtype == "float32" else None
    assert_close(ours.weight, theirs.weight, dtype, tolerance)
    with torch.no_grad():
        theirs.parametrizations.weight.original.add_(torch.tensor(rng.standard_normal(shape) * 0.1))
    copy_state(ours, theirs)
    compare_forward_backward(rng, ours, theirs, (2, in_features), dtype)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_orthogonal_householder_without_trivialization(rng, shape):
    ours, theirs = module_pair(lambda fw, d: fw.nn.Linear(shape[1], shape[0], dtype=d), "float64")
    parametrizations.orthogonal(ours, orthogonal_map="householder", use_trivialization=False)
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map="householder", use_trivialization=False)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_close(ours.parametrizations.weight.original, theirs.parametrizations.weight.original, "float64")
    assert_close(ours.weight, theirs.weight, "float64")
    compare_forward_backward(rng, ours, theirs, (2, shape[1]), "float64")


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="Expected a matrix"):
        parametrizations.orthogonal(spindle.nn.Linear(3, 4), "bias")
    with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
        parametrizations.orthogonal(spindle.nn.Linear(3, 4), orthogonal_map="qr")
    layer = parametrizations.orthogonal(spindle.nn.Linear(3, 3), orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        layer.weight = spindle.eye(3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, None])
def test_parametrized_weight_norm_matches_torch(rng, dtype, dim):
    ours, theirs = module_pair(lambda fw, d: fw.nn.Linear(5, 3, dtype=d), dtype)
    parametrizations.weight_norm(ours, dim=dim)
    torch.nn.utils.parametrizations.weight_norm(theirs, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    copy_state(ours, theirs)
    compare_forward_backward(rng, ours, theirs, (4, 5), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_parametrized_spectral_norm_training_and_eval(rng, dtype):
    ours, theirs = module_pair(lambda fw, d: fw.nn.Linear(5, 3, dtype=d), dtype)
    parametrizations.spectral_norm(ours)
    torch.nn.utils.parametrizations.spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    copy_state(ours, theirs)
    compare_forward_backward(rng, ours, theirs, (4, 5), dtype)
    assert_close(ours.parametrizations.weight[0]._u, theirs.parametrizations.weight[0]._u, dtype)
    ours.eval(), theirs.eval()
    compare_forward_backward(rng, ours, theirs, (4, 5), dtype)
    with pytest.raises(IndexError):
        parametrizations.spectral_norm(spindle.nn.Linear(2, 2), dim=2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_eval_matches_torch(rng, dtype, transpose):
    def make(fw, d):
        conv = (fw.nn.ConvTranspose2d if transpose else fw.nn.Conv2d)(3, 4, 2, dtype=d)
        return fw.nn.Sequential(conv, fw.nn.BatchNorm2d(4, dtype=d))

    ours, theirs = module_pair(make, dtype)
    running = rng.random(4).astype(dtype) + 0.5
    theirs[1].running_var.copy_(torch.tensor(running))
    theirs[1].running_mean.copy_(torch.tensor(running - 1))
    copy_state(ours, theirs)
    ours.eval(), theirs.eval()
    our_fused = utils.fuse_conv_bn_eval(ours[0], ours[1], transpose=transpose)
    their_fused = torch.nn.utils.fuse_conv_bn_eval(theirs[0], theirs[1], transpose=transpose)
    assert_close(our_fused.weight, their_fused.weight, dtype)
    assert_close(our_fused.bias, their_fused.bias, dtype)
    array = rng.standard_normal((2, 3, 4, 4)).astype(dtype)
    assert_close(our_fused(spindle.tensor(array)), ours(spindle.tensor(array)), dtype, 1e-4 if dtype == "float32" else None)
    ours.train()
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        utils.fuse_conv_bn_eval(ours[0], ours[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_fuse_linear_bn_eval_matches_torch(rng, dtype):
    ours, theirs = module_pair(lambda fw, d: fw.nn.Sequential(fw.nn.Linear(3, 4, dtype=d), fw.nn.BatchNorm1d(4, dtype=d)), dtype)
    theirs[1].running_var.copy_(torch.tensor(rng.random(4).astype(dtype) + 0.5))
    copy_state(ours, theirs)
    ours.eval(), theirs.eval()
    our_fused = utils.fuse_linear_bn_eval(ours[0], ours[1])
    their_fused = torch.nn.utils.fuse_linear_bn_eval(theirs[0], theirs[1])
    assert_close(our_fused.weight, their_fused.weight, dtype)
    assert_close(our_fused.bias, their_fused.bias, dtype)
    with pytest.raises(AssertionError, match="To fuse"):
        utils.fuse_linear_bn_eval(spindle.nn.Linear(3, 5).eval(), ours[1])


def test_skip_init():
    layer = utils.skip_init(spindle.nn.Linear, 5, out_features=2)
    assert type(layer) is spindle.nn.Linear and layer.weight.shape == (2, 5) and layer.weight.requires_grad
    with pytest.raises(RuntimeError, match="Expected a Module"):
        utils.skip_init(int)
    with pytest.raises(RuntimeError, match="device"):
        utils.skip_init(spindle.nn.ReLU)


class Tied(spindle.nn.Module):
    def __init__(self):
        super().__init__()
        self.first = spindle.nn.Linear(3, 3)
        self.second = spindle.nn.Linear(3, 3)
        self.second.weight = self.first.weight
        self.register_buffer("scale", spindle.ones(1))

    def forward(self, x):
        return self.second(self.first(x)) * self.scale


@pytest.mark.parametrize("call", ["func", "stateless"])
def test_functional_call(rng, call):
    model = Tied()
    function = spindle.func.functional_call if call == "func" else utils.stateless.functional_call
    weight = spindle.tensor(rng.standard_normal((3, 3)).astype(np.float32), requires_grad=True)
    x = spindle.tensor(rng.standard_normal((2, 3)).astype(np.float32))
    output = function(model, {"first.weight": weight, "scale": spindle.full((1,), 2.0)}, (x,))
    expected = ((x @ weight.detach().T + model.first.bias) @ weight.detach().T + model.second.bias) * 2
    assert spindle.allclose(output, expected, atol=1e-5)
    output.sum().backward()
    assert weight.grad is not None and model.first.weight.grad is None
    assert model.first.weight is model.second.weight and float(model.scale) == 1.0
    untied = function(model, {"first.weight": weight}, x, tie_weights=False)
    expected = (x @ weight.detach().T + model.first.bias) @ model.second.weight.T + model.second.bias
    assert spindle.allclose(untied, expected, atol=1e-5)
    with pytest.raises(ValueError, match="which are tied"):
        function(model, {"first.weight": weight, "second.weight": weight.detach().clone()}, x)
    with pytest.raises(RuntimeError, match="Missing key"):
        function(model, {"first.weight": weight}, x, strict=True)


def test_func_functional_call_dict_sequence():
    model = spindle.nn.Linear(2, 2)
    x = spindle.ones(1, 2)
    parts = ({"weight": spindle.zeros(2, 2)}, {"bias": spindle.full((2,), 3.0)})
    assert spindle.equal(spindle.func.functional_call(model, parts, (x,)), spindle.full((1, 2), 3.0))
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        spindle.func.functional_call(model, (parts[0], parts[0]), (x,))
    with pytest.raises(ValueError, match="Expected parameter_and_buffer_dicts"):
        spindle.func.functional_call(model, 3, (x,))
