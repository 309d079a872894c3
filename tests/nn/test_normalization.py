"""BatchNorm, LayerNorm, GroupNorm and F.normalize against PyTorch: values, gradients, running
statistics over several steps (momentum and cumulative average), train/eval, options, errors."""
import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import (
    assert_close, assert_same_error, assert_same_state, check_against_torch, copy_state, random_array,
    module_pair,
    run_module,
)


def randomized_module_pair(build):
    ours, theirs = module_pair(build)
    # Non-trivial affine parameters, identical on both sides.
    with torch.no_grad():
        for param in theirs.parameters():
            param.uniform_(0.5, 1.5)
    copy_state(theirs, ours)
    return ours, theirs



BATCHNORM_CASES = {
    "1d_2d_input": (lambda nn, **kw: nn.BatchNorm1d(4, **kw), (6, 4)),
    "1d_3d_input": (lambda nn, **kw: nn.BatchNorm1d(4, **kw), (3, 4, 5)),
    "2d": (lambda nn, **kw: nn.BatchNorm2d(4, **kw), (2, 4, 3, 3)),
    "3d": (lambda nn, **kw: nn.BatchNorm3d(4, **kw), (2, 4, 2, 2, 3)),
}
BATCHNORM_OPTIONS = {
    "default": {},
    "momentum_none": {"momentum": None},
    "momentum_0.3": {"momentum": 0.3, "eps": 1e-3},
    "no_affine": {"affine": False},
    "no_bias": {"bias": False},
    "untracked": {"track_running_stats": False},
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", sorted(BATCHNORM_OPTIONS))
@pytest.mark.parametrize("case", sorted(BATCHNORM_CASES))
def test_batchnorm_training_steps_then_eval(rng, case, options, dtype):
    build, shape = BATCHNORM_CASES[case]
    kwargs = dict(BATCHNORM_OPTIONS[options], dtype=None)
    pair = randomized_module_pair(lambda fw: build(fw.nn, **{**kwargs, "dtype": getattr(fw, dtype)}))
    assert repr(pair[0]) == repr(pair[1])
    for step in range(3):
        # Shifted, scaled inputs so that running statistics move visibly.
        x = random_array(rng, shape, dtype, scale=2.0) + step
        check_against_torch(rng, run_module(pair), [x], dtype, modules=pair, noncontiguous=step == 1)
        for module in pair[1].parameters():
            module.grad = None
        pair[0].zero_grad()
    assert_same_state(*pair, dtype=dtype)
    for module in pair:
        module.eval()
    check_against_torch(rng, run_module(pair), [random_array(rng, shape, dtype)], dtype, modules=pair)
    assert_same_state(*pair, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batchnorm_of_an_empty_batch(rng, dtype):
    """No samples in training: an empty output, zero weight and bias gradients, running statistics
    untouched but the batch counted, as in PyTorch."""
    pair = randomized_module_pair(lambda fw: fw.nn.BatchNorm2d(3, dtype=getattr(fw, dtype)))
    check_against_torch(rng, run_module(pair), [random_array(rng, (0, 3, 4, 4), dtype)], dtype, modules=pair)
    assert_same_state(*pair, dtype=dtype)


def test_batchnorm_state_and_buffers():
    norm = spindle.nn.BatchNorm2d(3)
    assert list(norm.state_dict()) == list(torch.nn.BatchNorm2d(3).state_dict())
    assert norm.num_batches_tracked.dtype == spindle.int64 and norm.num_batches_tracked.item() == 0
    norm(spindle.randn(4, 3, 2, 2))
    norm(spindle.randn(4, 3, 2, 2))
    assert norm.num_batches_tracked.item() == 2
    norm.eval()
    norm(spindle.randn(4, 3, 2, 2))
    assert norm.num_batches_tracked.item() == 2
    norm.reset_running_stats()
    assert norm.num_batches_tracked.item() == 0 and norm.running_var.sum().item() == 3
    untracked = spindle.nn.BatchNorm1d(3, track_running_stats=False)
    assert untracked.running_mean is None and list(untracked.state_dict()) == ["weight", "bias"]
    untracked.eval()  # no running statistics: batch statistics even in evaluation
    x = spindle.randn(5, 3)
    expected = (x - x.mean(0)) / (x.var(0, unbiased=False) + 1e-5).sqrt()
    np.testing.assert_allclose(untracked(x).detach().numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_functional_batch_norm(rng):
    x = random_array(rng, (5, 3, 2), "float64")
    mean, var = np.abs(random_array(rng, (3,), "float64")), np.abs(random_array(rng, (3,), "float64")) + 0.5
    weight, bias = random_array(rng, (3,), "float64"), random_array(rng, (3,), "float64")
    check_against_torch(
        rng,
        lambda fw, t, w, b: fw.nn.functional.batch_norm(t, fw.tensor(mean), fw.tensor(var), w, b, training=False),
        [x, weight, bias], "float64",
    )
    ours_mean, theirs_mean = spindle.tensor(mean), torch.tensor(mean)
    ours_var, theirs_var = spindle.tensor(var), torch.tensor(var)
    check_against_torch(
        rng,
        lambda fw, t: fw.nn.functional.batch_norm(
            t, ours_mean if fw is spindle else theirs_mean, ours_var if fw is spindle else theirs_var,
            training=True, momentum=0.25, eps=1e-4,
        ),
        [x], "float64",
    )
    assert_close(ours_mean, theirs_mean, "float64")
    assert_close(ours_var, theirs_var, "float64")


def test_batchnorm_errors_match_torch():
    assert_same_error(lambda fw: fw.nn.BatchNorm1d(3)(fw.ones(2, 3, 4, 5)))
    assert_same_error(lambda fw: fw.nn.BatchNorm2d(3)(fw.ones(2, 3, 4)))
    assert_same_error(lambda fw: fw.nn.BatchNorm1d(3)(fw.ones(1, 3)))
    assert_same_error(lambda fw: fw.nn.functional.batch_norm(fw.ones(4, 3), fw.zeros(4), fw.ones(4)))
    assert_same_error(lambda fw: fw.nn.functional.batch_norm(fw.ones(4, 3), None, None))
    assert_same_error(lambda fw: fw.nn.functional.batch_norm(fw.ones(4, 3), None, None, training=True, eps=0))


LAYERNORM_CASES = {
    "last_dim": (lambda nn, **kw: nn.LayerNorm(5, **kw), (2, 3, 5)),
    "two_dims": (lambda nn, **kw: nn.LayerNorm([3, 5], **kw), (2, 3, 5)),
    "no_affine": (lambda nn, **kw: nn.LayerNorm((5,), elementwise_affine=False, **kw), (4, 5)),
    "no_bias": (lambda nn, **kw: nn.LayerNorm(5, bias=False, eps=1e-3, **kw), (4, 5)),
}


@pytest.mark.parametrize("noncontiguous", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(LAYERNORM_CASES))
def test_layernorm(rng, case, dtype, noncontiguous):
    build, shape = LAYERNORM_CASES[case]
    pair = randomized_module_pair(lambda fw: build(fw.nn, dtype=getattr(fw, dtype)))
    assert repr(pair[0]) == repr(pair[1])
    x = random_array(rng, shape, dtype, scale=3.0) + 1.0
    check_against_torch(rng, run_module(pair), [x], dtype, modules=pair, noncontiguous=noncontiguous)


GROUPNORM_CASES = {
    "groups_2": (lambda nn, **kw: nn.GroupNorm(2, 6, **kw), (3, 6, 4)),
    "groups_1": (lambda nn, **kw: nn.GroupNorm(1, 4, **kw), (2, 4, 3, 2)),
    "per_channel": (lambda nn, **kw: nn.GroupNorm(4, 4, eps=1e-3, **kw), (2, 4, 5)),
    "no_affine": (lambda nn, **kw: nn.GroupNorm(3, 6, affine=False, **kw), (2, 6, 3)),
    "no_bias": (lambda nn, **kw: nn.GroupNorm(2, 4, bias=False, **kw), (2, 4, 3)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(GROUPNORM_CASES))
def test_groupnorm(rng, case, dtype):
    build, shape = GROUPNORM_CASES[case]
    pair = randomized_module_pair(lambda fw: build(fw.nn, dtype=getattr(fw, dtype)))
    assert repr(pair[0]) == repr(pair[1])
    x = random_array(rng, shape, dtype, scale=2.0) - 0.5
    check_against_torch(rng, run_module(pair), [x], dtype, modules=pair, noncontiguous=len(shape) > 2)


def test_norm_errors_match_torch():
    assert_same_error(lambda fw: fw.nn.functional.layer_norm(fw.ones(2, 3), (4,)))
    assert_same_error(lambda fw: fw.nn.functional.group_norm(fw.ones(2, 5, 3), 2))
    assert_same_error(lambda fw: fw.nn.functional.group_norm(fw.ones(3), 1))
    assert_same_error(lambda fw: fw.nn.GroupNorm(2, 5))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normalize(rng, dtype):
    x = random_array(rng, (4, 3, 2), dtype)
    for p, dim in ((2.0, 1), (1.0, -1), (3.0, 0)):
        check_against_torch(rng, lambda fw, t: fw.nn.functional.normalize(t, p=p, dim=dim), [x], dtype,
                            noncontiguous=True)
    x[1] = 0.0  # a zero vector is divided by eps: stays zero, with a finite gradient
    check_against_torch(rng, lambda fw, t: fw.nn.functional.normalize(t, dim=2), [x], dtype)


def test_gradcheck_batch_and_group_norm():
    x = spindle.randn(4, 3, 2, dtype=spindle.float64, requires_grad=True)
    weight = spindle.randn(3, dtype=spindle.float64, requires_grad=True)
    bias = spindle.randn(3, dtype=spindle.float64, requires_grad=True)
    F = spindle.nn.functional
    assert spindle.autograd.gradcheck(lambda t, w, b: F.batch_norm(t, None, None, w, b, training=True), (x, weight, bias))
    assert spindle.autograd.gradcheck(lambda t, w, b: F.group_norm(t, 3, w, b), (x, weight, bias))
    assert spindle.autograd.gradcheck(lambda t: F.layer_norm(t, (3, 2)), (x,))
