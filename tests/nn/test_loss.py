"""Losses (functional and module forms) against PyTorch over their options: reductions, class
weights, ignore_index, label smoothing, probability targets, pos_weight, log targets; values and
gradients (inputs and targets) in float32 and float64, extreme inputs, gradcheck, and errors.

Inputs are drawn so that every per-element loss is non-negative: a reduced loss is then never a
cancellation of large terms, whose float32 rounding no relative tolerance could bound."""
from contextlib import nullcontext

import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import assert_same_error, check_against_torch, random_array

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = ["float32", "float64"]


def call(name, **options):
    return lambda fw, *tensors: getattr(fw.nn.functional, name)(*tensors, **options)


REGRESSION = {
    "l1_loss": {},
    "mse_loss": {},
    "smooth_l1_loss": {"beta": 1.0},
    "smooth_l1_loss_beta": {"beta": 0.4},
    "smooth_l1_loss_l1": {"beta": 0.0},
    "huber_loss": {"delta": 1.0},
    "huber_loss_delta": {"delta": 2.5},
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", sorted(REGRESSION))
def test_regression_losses(rng, case, reduction, dtype):
    name = case.split("_beta")[0].replace("_loss_l1", "_loss").replace("_loss_delta", "_loss")
    options = dict(REGRESSION[case], reduction=reduction)
    arrays = [random_array(rng, (4, 5), dtype, 2.0), random_array(rng, (4, 5), dtype, 2.0)]
    check_against_torch(rng, call(name, **options), arrays, dtype, noncontiguous=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "huber_loss"])
def test_weighted_regression_losses(rng, name, reduction):
    arrays = [random_array(rng, (3, 4), "float64"), random_array(rng, (3, 4), "float64"),
              np.abs(random_array(rng, (3, 4), "float64"))]

    def compute(fw, input, target, weight):
        return getattr(fw.nn.functional, name)(input, target, reduction=reduction, weight=weight)

    check_against_torch(rng, compute, arrays, "float64")


def test_regression_broadcast_warns_like_torch(rng):
    arrays = [random_array(rng, (3, 4), "float64"), random_array(rng, (4,), "float64")]
    with pytest.warns(UserWarning, match="different to the input size"):
        check_against_torch(rng, call("mse_loss"), arrays, "float64")


def class_inputs(rng, shape, dtype, ignore_index=None):
    """Log-probability-like scores (negative) of ``shape`` (N, C, *) or (C,) and matching
    class-index targets, some ignored."""
    classes = shape[1] if len(shape) > 1 else shape[0]
    target_shape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    target = rng.integers(0, classes, size=target_shape)
    if ignore_index is not None and target.size > 1:
        target.flat[::3] = ignore_index
    return -np.abs(random_array(rng, shape, dtype, 2.0)), target.astype(np.int64)


CLASS_SHAPES = [(5, 4), (4,), (2, 4, 3, 2)]
CLASS_OPTIONS = {
    "plain": {},
    "weight": {"weight": True},
    "ignore": {"ignore_index": 1},
    "ignore_default": {"ignore_index": -100},
    "weight_ignore": {"weight": True, "ignore_index": 2},
}


def class_loss(name, options, rng, classes, dtype, **extra):
    weight = np.abs(random_array(rng, (classes,), dtype)) + 0.1 if options.get("weight") else None
    kwargs = {k: v for k, v in options.items() if k != "weight"}
    kwargs.update(extra)

    def compute(fw, input, target):
        return getattr(fw.nn.functional, name)(
            input, target, weight=None if weight is None else fw.tensor(weight), **kwargs
        )

    return compute


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", sorted(CLASS_OPTIONS))
@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=str)
def test_nll_loss(rng, shape, options, reduction, dtype):
    input, target = class_inputs(rng, shape, dtype, CLASS_OPTIONS[options].get("ignore_index"))
    classes = shape[1] if len(shape) > 1 else shape[0]
    compute = class_loss("nll_loss", CLASS_OPTIONS[options], rng, classes, dtype, reduction=reduction)
    # PyTorch's nll_loss2d backward refuses non-contiguous input, so only 2-D inputs are transposed.
    check_against_torch(rng, compute, [input, target], dtype, noncontiguous=len(shape) == 2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.15])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", sorted(CLASS_OPTIONS))
@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=str)
def test_cross_entropy_with_class_indices(rng, shape, options, reduction, label_smoothing, dtype):
    input, target = class_inputs(rng, shape, dtype, CLASS_OPTIONS[options].get("ignore_index"))
    classes = shape[1] if len(shape) > 1 else shape[0]
    compute = class_loss("cross_entropy", CLASS_OPTIONS[options], rng, classes, dtype, reduction=reduction,
                         label_smoothing=label_smoothing)
    check_against_torch(rng, compute, [input, target], dtype, noncontiguous=len(shape) > 2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=str)
def test_cross_entropy_with_probabilities(rng, shape, reduction, weighted, label_smoothing, dtype):
    class_dim = 1 if len(shape) > 1 else 0
    logits = random_array(rng, shape, dtype, 2.0)
    probabilities = np.exp(random_array(rng, shape, dtype))
    probabilities /= probabilities.sum(axis=class_dim, keepdims=True)
    compute = class_loss("cross_entropy", {"weight": weighted}, rng, shape[class_dim], dtype, reduction=reduction,
                         label_smoothing=label_smoothing)
    # Gradients flow to the probabilities too.
    check_against_torch(rng, compute, [logits, probabilities], dtype)


def test_cross_entropy_of_extreme_logits_is_finite_like_torch(rng):
    logits = np.array([[1000.0, -1000.0, 0.0], [-500.0, 500.0, 499.0]], dtype=np.float32)
    check_against_torch(rng, call("cross_entropy", label_smoothing=0.1), [logits, np.array([1, 2])])


def test_all_targets_ignored_gives_nan_mean_like_torch(rng):
    logits = random_array(rng, (3, 4), "float64")
    check_against_torch(rng, call("cross_entropy"), [logits, np.full(3, -100)], "float64")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape", [None, (4,), (3, 4)], ids=str)
def test_binary_cross_entropy(rng, weight_shape, reduction, dtype):
    probabilities = 1 / (1 + np.exp(-random_array(rng, (3, 4), dtype, 2.0)))
    target = rng.random((3, 4)).astype(dtype)
    arrays = [probabilities, target]
    if weight_shape is not None:
        arrays.append(np.abs(random_array(rng, weight_shape, dtype)))
    # PyTorch does not differentiate with respect to the weight.
    check_against_torch(rng, call("binary_cross_entropy", reduction=reduction), arrays, dtype, noncontiguous=True,
                        constant_inputs=(2,))


def test_binary_cross_entropy_at_exact_zero_and_one_matches_torch(rng):
    probabilities = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=np.float32)
    target = np.array([0.0, 1.0, 1.0, 0.0, 1.0], dtype=np.float32)
    check_against_torch(rng, call("binary_cross_entropy", reduction="none"), [probabilities, target])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", ["plain", "weight", "pos_weight", "both"])
def test_binary_cross_entropy_with_logits(rng, options, reduction, dtype):
    arrays = [random_array(rng, (3, 4), dtype, 3.0), rng.random((3, 4)).astype(dtype)]
    weight = np.abs(random_array(rng, (3, 4), dtype)) if options in ("weight", "both") else None
    pos_weight = np.abs(random_array(rng, (4,), dtype)) + 0.5 if options in ("pos_weight", "both") else None

    def compute(fw, input, target):
        return fw.nn.functional.binary_cross_entropy_with_logits(
            input, target, weight=None if weight is None else fw.tensor(weight), reduction=reduction,
            pos_weight=None if pos_weight is None else fw.tensor(pos_weight),
        )

    check_against_torch(rng, compute, arrays, dtype, noncontiguous=True)


def test_binary_cross_entropy_with_extreme_logits_is_stable(rng):
    logits = np.array([-1000.0, -100.0, -20.0, 0.0, 20.0, 100.0, 1000.0], dtype=np.float32)
    target = np.array([1.0, 0.0, 1.0, 0.5, 0.0, 1.0, 0.0], dtype=np.float32)
    check_against_torch(rng, call("binary_cross_entropy_with_logits", pos_weight=None), [logits, target])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
def test_kl_div(rng, reduction, log_target, dtype):
    # input <= target (in log space) makes every term non-negative.
    target = rng.uniform(0.05, 1.0, (3, 5)).astype(dtype)
    log_probabilities = np.log(target * rng.uniform(0.1, 0.9, (3, 5))).astype(dtype)
    if log_target:
        target = np.log(target)
    compute = call("kl_div", reduction=reduction, log_target=log_target)
    with pytest.warns(UserWarning, match="batchmean") if reduction == "mean" else nullcontext():
        check_against_torch(rng, compute, [log_probabilities, target], dtype, noncontiguous=True)
    if not log_target:
        # Zero target probabilities contribute nothing. (PyTorch's gradient with respect to such a
        # target is NaN; ours is finite, so the target is held constant here.)
        target[0, :2] = 0.0
        with pytest.warns(UserWarning, match="batchmean") if reduction == "mean" else nullcontext():
            check_against_torch(rng, compute, [log_probabilities, target], dtype, constant_inputs=(1,))


MODULES = {
    "L1Loss": (lambda nn: nn.L1Loss(reduction="sum"), "regression"),
    "MSELoss": (lambda nn: nn.MSELoss(), "regression"),
    "SmoothL1Loss": (lambda nn: nn.SmoothL1Loss(beta=0.5), "regression"),
    "HuberLoss": (lambda nn: nn.HuberLoss(delta=0.7, reduction="none"), "regression"),
    "NLLLoss": (lambda nn: nn.NLLLoss(ignore_index=0), "classes"),
    "CrossEntropyLoss": (lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1), "classes"),
    "CrossEntropyLoss_weight": (lambda nn: nn.CrossEntropyLoss(weight=nn_tensor(nn, [1.0, 2.0, 0.5])), "classes"),
    "BCELoss": (lambda nn: nn.BCELoss(weight=nn_tensor(nn, [1.0, 2.0, 0.5])), "probabilities"),
    "BCEWithLogitsLoss": (lambda nn: nn.BCEWithLogitsLoss(pos_weight=nn_tensor(nn, [1.0, 3.0, 0.5])), "regression"),
    "KLDivLoss": (lambda nn: nn.KLDivLoss(reduction="batchmean", log_target=True), "log_distributions"),
}


def nn_tensor(nn, values):
    framework = spindle if nn is spindle.nn else torch
    return framework.tensor(values, dtype=framework.float64)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_loss_modules(rng, name):
    build, kind = MODULES[name]
    ours, theirs = build(spindle.nn), build(torch.nn)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if kind == "classes":
        arrays = [-np.abs(random_array(rng, (4, 3), "float64")), rng.integers(0, 3, 4)]
    elif kind == "log_distributions":
        log_target = np.log(rng.uniform(0.05, 1.0, (4, 3)))
        arrays = [log_target - rng.uniform(0.1, 2.0, (4, 3)), log_target]
    elif kind == "probabilities":
        arrays = [rng.random((4, 3)) * 0.9 + 0.05, rng.random((4, 3))]
    else:
        arrays = [random_array(rng, (4, 3), "float64"), rng.random((4, 3))]
    check_against_torch(rng, lambda fw, *t: (ours if fw is spindle else theirs)(*t), arrays, "float64")


def test_legacy_size_average_and_reduce_flags(rng):
    arrays = [random_array(rng, (3, 4), "float64"), random_array(rng, (3, 4), "float64")]
    for size_average, reduce in ((False, None), (None, False), (True, True)):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            check_against_torch(rng, call("mse_loss", size_average=size_average, reduce=reduce), arrays, "float64")
    with pytest.warns(UserWarning):
        assert spindle.nn.L1Loss(size_average=False).reduction == "sum"


def test_gradcheck_composite_losses():
    def leaf(*shape):
        return spindle.randn(*shape, dtype=spindle.float64, requires_grad=True)

    F = spindle.nn.functional
    target = spindle.tensor([0, 2, 1, 2])
    weight = spindle.tensor([0.5, 1.0, 2.0], dtype=spindle.float64)
    assert spindle.autograd.gradcheck(
        lambda x: F.cross_entropy(x, target, weight=weight, label_smoothing=0.2, ignore_index=1), (leaf(4, 3),)
    )
    probabilities = spindle.rand(4, 3, dtype=spindle.float64)
    assert spindle.autograd.gradcheck(lambda x, t: F.binary_cross_entropy_with_logits(
        x, t, pos_weight=weight), (leaf(4, 3), probabilities.clone().requires_grad_()))
    assert spindle.autograd.gradcheck(lambda x: F.binary_cross_entropy(x.sigmoid(), probabilities), (leaf(4, 3),))
    assert spindle.autograd.gradcheck(lambda x, t: F.kl_div(x, t, reduction="batchmean", log_target=True),
                                      (leaf(4, 3), leaf(4, 3)))
    assert spindle.autograd.gradcheck(lambda x, y: F.smooth_l1_loss(x, y, beta=0.5), (leaf(5), leaf(5)))


def test_loss_errors_match_torch():
    assert_same_error(lambda fw: fw.nn.functional.nll_loss(fw.ones(3, 4), fw.tensor([1, 2])))
    assert_same_error(lambda fw: fw.nn.functional.nll_loss(fw.ones(2, 3, 4), fw.tensor([[1, 2, 0], [0, 1, 2]])))
    assert_same_error(lambda fw: fw.nn.functional.nll_loss(fw.ones(3, 4), fw.tensor([1.0, 2.0, 0.0])))
    assert_same_error(lambda fw: fw.nn.functional.nll_loss(fw.tensor(1.0), fw.tensor(0)))
    assert_same_error(lambda fw: fw.nn.functional.nll_loss(fw.ones(3, 4), fw.tensor(1)))
    assert_same_error(lambda fw: fw.nn.functional.nll_loss(fw.ones(3, 4), fw.tensor([1, 2, 0]), weight=fw.ones(3)))
    assert_same_error(lambda fw: fw.nn.functional.cross_entropy(fw.ones(4), fw.tensor([1, 2])))
    assert_same_error(lambda fw: fw.nn.functional.cross_entropy(fw.ones(3, 4), fw.rand(3, 4), ignore_index=1))
    assert_same_error(lambda fw: fw.nn.functional.cross_entropy(fw.ones(3, 4), fw.rand(3, 5)))
    assert_same_error(lambda fw: fw.nn.functional.cross_entropy(fw.ones(3, 4), fw.ones(3, 4, dtype=fw.int64)))
    assert_same_error(lambda fw: fw.nn.functional.cross_entropy(fw.ones(3, 4), fw.tensor([1, 2, 0]),
                                                                label_smoothing=1.5))
    assert_same_error(lambda fw: fw.nn.functional.smooth_l1_loss(fw.ones(2), fw.ones(2), beta=-1))
    assert_same_error(lambda fw: fw.nn.functional.huber_loss(fw.ones(2), fw.ones(2), delta=0))
    assert_same_error(lambda fw: fw.nn.functional.binary_cross_entropy_with_logits(fw.ones(3, 4), fw.ones(3)))
    assert_same_error(lambda fw: fw.nn.functional.binary_cross_entropy(fw.ones(3, 4) / 2, fw.ones(3)))
    assert_same_error(lambda fw: fw.nn.functional.mse_loss(fw.ones(2), fw.ones(2), reduction="average"))
    assert_same_error(lambda fw: fw.nn.functional.mse_loss(fw.ones(2), fw.ones(2), weight=fw.ones(3)))
    assert_same_error(lambda fw: fw.nn.HuberLoss(delta="1"))
    # PyTorch raises IndexError("Target 7 is out of bounds."); ours comes from the gather, with the
    # same words, without synchronizing to inspect the targets first.
    with pytest.raises(RuntimeError, match="index 7 is out of bounds"):
        spindle.nn.functional.cross_entropy(spindle.randn(3, 4), spindle.tensor([1, 2, 7]))
