"""nn.utils against PyTorch: clip_grad_norm_ over norm types (incl. inf), its total norm and
non-finite error, clip_grad_value_, parameters_to_vector and vector_to_parameters."""
import numpy as np
import pytest
import torch

import spindle
import spindle.nn.utils as utils
from tests.nn.oracle import assert_close, assert_same_error


def parameter_pairs(rng, scale=1.0, dtype=np.float32):
    """Three parameters with gradients in both frameworks (and one without a gradient)."""
    ours, theirs = [], []
    for shape in ((3, 4), (5,), (2, 2, 2), (4,)):
        value = rng.standard_normal(shape).astype(dtype)
        ours.append(spindle.nn.Parameter(spindle.tensor(value)))
        theirs.append(torch.nn.Parameter(torch.tensor(value)))
    for our_param, their_param in zip(ours[:3], theirs[:3]):
        grad = (rng.standard_normal(tuple(their_param.shape)) * scale).astype(dtype)
        our_param.grad, their_param.grad = spindle.tensor(grad), torch.tensor(grad)
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(rng, norm_type, max_norm, dtype):
    ours, theirs = parameter_pairs(rng, dtype=dtype)
    name = "float32" if dtype == np.float32 else "float64"
    total_ours = utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    total_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert_close(total_ours, total_theirs, name)
    for our_param, their_param in zip(ours[:3], theirs[:3]):
        assert_close(our_param.grad, their_param.grad, name)
    assert ours[3].grad is None


def test_clip_grad_norm_of_one_tensor_and_generator(rng):
    ours, theirs = parameter_pairs(rng)
    assert_close(utils.clip_grad_norm_(ours[0], 0.1), torch.nn.utils.clip_grad_norm_(theirs[0], 0.1))
    assert_close(ours[0].grad, theirs[0].grad)
    assert_close(utils.clip_grad_norm_((p for p in ours), 0.1), torch.nn.utils.clip_grad_norm_(iter(theirs), 0.1))
    with pytest.warns(UserWarning, match="empty generator"):
        assert utils.clip_grad_norm_((p for p in []), 1.0).item() == 0.0


def test_clip_grad_norm_non_finite(rng):
    ours, _ = parameter_pairs(rng)
    ours[1].grad[0] = float("inf")
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with np.errstate(invalid="ignore"):  # inf * 0 while scaling, as in PyTorch
        assert np.isinf(utils.clip_grad_norm_(ours, 1.0).item())


def test_clip_grad_value_matches_torch(rng):
    ours, theirs = parameter_pairs(rng, scale=3.0)
    utils.clip_grad_value_(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for our_param, their_param in zip(ours, theirs):
        assert (our_param.grad is None) == (their_param.grad is None)
        if their_param.grad is not None:
            assert_close(our_param.grad, their_param.grad)


def test_parameters_to_vector_and_back(rng):
    ours, theirs = parameter_pairs(rng)
    vector = utils.parameters_to_vector(ours)
    assert_close(vector, torch.nn.utils.parameters_to_vector(theirs))
    vector.sum().backward()  # differentiable
    assert np.array_equal(ours[3].grad.numpy(), np.ones(4, dtype=np.float32))
    replacement = rng.standard_normal(vector.shape[0]).astype(np.float32)
    utils.vector_to_parameters(spindle.tensor(replacement), ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(replacement), theirs)
    for our_param, their_param in zip(ours, theirs):
        assert_close(our_param, their_param)
        assert isinstance(our_param, spindle.nn.Parameter)
    assert_same_error(lambda fw: fw.nn.utils.vector_to_parameters([1.0], [fw.nn.Parameter(fw.ones(1))]))
