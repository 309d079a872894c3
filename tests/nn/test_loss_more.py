"""The less common losses (triplet, margin, embedding, multi-label, Poisson, Gaussian, CTC) and
EmbeddingBag against PyTorch: values and gradients over their options in float32 and float64,
non-contiguous inputs, module forms (repr, state_dict), and errors."""
import re
import warnings

import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import (
    assert_close, assert_same_error, check_against_torch, copy_state, error_of, random_array,
)

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = ["float32", "float64"]


def signs(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def call(name, *args, **options):
    return lambda fw, *tensors: getattr(fw.nn.functional, name)(*tensors, *args, **options)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"p": 1}, {"p": 3, "swap": True}, {"margin": 2.5, "eps": 1e-3}])
def test_triplet_margin_loss(rng, options, reduction, dtype):
    arrays = [random_array(rng, (5, 4), dtype) for _ in range(3)]
    check_against_torch(rng, call("triplet_margin_loss", reduction=reduction, **options), arrays, dtype,
                        noncontiguous=True, tolerance=1e-4 if dtype == "float32" else None)


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss(rng, swap):
    arrays = [random_array(rng, (5, 4), "float64") for _ in range(3)]

    def compute(fw, anchor, positive, negative, distance=None):
        return fw.nn.functional.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=distance, margin=1.5, swap=swap, reduction="none")

    check_against_torch(rng, compute, arrays, "float64")
    cosine_distance = lambda x, y: 1 - (x * y).sum(-1) / (x.norm(dim=-1) * y.norm(dim=-1))  # noqa: E731
    check_against_torch(rng, lambda fw, *t: compute(fw, *t, distance=cosine_distance), arrays, "float64")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_and_hinge_and_soft_margin(rng, reduction, dtype):
    inputs = [random_array(rng, (6,), dtype), random_array(rng, (6,), dtype), signs(rng, (6,)).astype(dtype)]
    check_against_torch(rng, call("margin_ranking_loss", margin=0.3, reduction=reduction), inputs, dtype,
                        constant_inputs=(2,))
    hinge = [random_array(rng, (3, 5), dtype), signs(rng, (3, 5)).astype(dtype)]
    check_against_torch(rng, call("hinge_embedding_loss", margin=0.7, reduction=reduction), hinge, dtype,
                        noncontiguous=True, constant_inputs=(1,))
    soft = [random_array(rng, (3, 5), dtype), signs(rng, (3, 5)).astype(dtype)]
    check_against_torch(rng, call("soft_margin_loss", reduction=reduction), soft, dtype, noncontiguous=True,
                        constant_inputs=(1,))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (4,)])
def test_cosine_embedding_loss(rng, shape, reduction, dtype):
    target = signs(rng, shape[:-1])
    arrays = [random_array(rng, shape, dtype), random_array(rng, shape, dtype), target.astype(np.int64)]
    check_against_torch(rng, call("cosine_embedding_loss", margin=-0.2, reduction=reduction), arrays, dtype,
                        noncontiguous=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_soft_margin_loss(rng, reduction, dtype):
    arrays = [random_array(rng, (4, 5), dtype), rng.integers(0, 2, (4, 5)).astype(dtype),
              np.abs(random_array(rng, (5,), dtype))]

    def compute(fw, input, target, weight):
        return fw.nn.functional.multilabel_soft_margin_loss(input, target, weight=weight, reduction=reduction)

    check_against_torch(rng, compute, arrays, dtype, noncontiguous=True)


def multilabel_targets(rng, frames, classes):
    """Label lists ended by -1 (one row without -1, one starting with -1, one with a repeat)."""
    target = np.full((frames, classes), -1, dtype=np.int64)
    for row in range(frames):
        count = [classes, 0, 3][row] if row < 3 else rng.integers(1, classes)
        target[row, :count] = rng.permutation(classes)[:count]
    target[2, 1] = target[2, 0]
    target[2, 4] = 1  # after the -1: ignored
    return target


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(rng, reduction, dtype):
    arrays = [random_array(rng, (5, 6), dtype), multilabel_targets(rng, 5, 6)]
    check_against_torch(rng, call("multilabel_margin_loss", reduction=reduction), arrays, dtype)
    single = [random_array(rng, (6,), dtype), multilabel_targets(rng, 5, 6)[3]]
    check_against_torch(rng, call("multilabel_margin_loss", reduction=reduction), single, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss(rng, p, reduction, dtype):
    weight = np.abs(random_array(rng, (5,), dtype))
    arrays = [random_array(rng, (4, 5), dtype), rng.integers(0, 5, (4,)), weight]

    def compute(fw, input, target, weight):
        return fw.nn.functional.multi_margin_loss(input, target, p=p, margin=0.8, weight=weight, reduction=reduction)

    check_against_torch(rng, compute, arrays, dtype, noncontiguous=True, constant_inputs=(2,))
    single = [random_array(rng, (5,), dtype), np.array(rng.integers(0, 5))]
    check_against_torch(rng, call("multi_margin_loss", p=p, reduction=reduction), single, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_loss(rng, full, log_input, reduction, dtype):
    input = random_array(rng, (3, 4), dtype) if log_input else rng.uniform(0.1, 3, (3, 4)).astype(dtype)
    # Counts, some at or below 1 (no Stirling term); non-integer values check the target gradient too.
    target = (rng.poisson(2.0, (3, 4)) + rng.uniform(0.01, 0.99, (3, 4))).astype(dtype)
    check_against_torch(rng, call("poisson_nll_loss", log_input=log_input, full=full, reduction=reduction),
                        [input, target], dtype, noncontiguous=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(3, 4, 5), (3, 4), (3, 1, 5), (3, 4, 1)])
def test_gaussian_nll_loss(rng, var_shape, reduction, dtype):
    var = rng.uniform(0.0, 2.0, var_shape).astype(dtype)
    var.flat[0] = 1e-9  # clamped at eps in value, not in gradient
    arrays = [random_array(rng, (3, 4, 5), dtype), random_array(rng, (3, 4, 5), dtype), var]

    def compute(fw, input, target, var):
        return fw.nn.functional.gaussian_nll_loss(input, target, var, full=True, reduction=reduction)

    check_against_torch(rng, compute, arrays, dtype, noncontiguous=True, tolerance=1e-4 if dtype == "float32" else None)
    check_against_torch(rng, lambda fw, input, target: fw.nn.functional.gaussian_nll_loss(input, target, 0.7),
                        arrays[:2], dtype)


def ctc_case(rng, dtype, concatenated):
    steps, batch, classes = 12, 4, 6
    log_probs = torch.log_softmax(torch.tensor(random_array(rng, (steps, batch, classes), dtype, 2.0)), 2)
    input_lengths = np.array([12, 9, 3, 0])
    target_lengths = np.array([4, 0, 5, 0])  # sample 2 cannot fit its target: infinite loss
    targets = rng.integers(1, classes, (batch, 5))
    targets[0, 1] = targets[0, 0]  # a repeated label needs a blank between
    if concatenated:
        targets = np.concatenate([row[:length] for row, length in zip(targets, target_lengths)])
    return [log_probs.numpy(), targets, input_lengths, target_lengths]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("concatenated", [False, True])
def test_ctc_loss(rng, concatenated, zero_infinity, reduction, dtype):
    arrays = ctc_case(rng, dtype, concatenated)

    def compute(fw, log_probs, targets, input_lengths, target_lengths):
        return fw.nn.functional.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0,
                                         reduction=reduction, zero_infinity=zero_infinity)

    # The gradient is a difference of probabilities: float32 rounding is relative to the terms.
    check_against_torch(rng, compute, arrays, dtype, noncontiguous=False,
                        tolerance=1e-4 if dtype == "float32" else 1e-9)


def test_ctc_loss_unbatched_blank_and_lists(rng):
    log_probs = torch.log_softmax(torch.tensor(random_array(rng, (7, 5), "float64")), 1).numpy()
    targets = rng.integers(0, 4, (3,))

    def compute(fw, log_probs, targets):
        return fw.nn.functional.ctc_loss(log_probs, targets, fw.tensor(7), fw.tensor(3), blank=4, reduction="none")

    check_against_torch(rng, compute, [log_probs, targets], "float64")
    batched = ctc_case(rng, "float64", False)[:2]

    def with_lists(fw, log_probs, targets):
        return fw.nn.functional.ctc_loss(log_probs, targets, (12, 9, 3, 0), [4, 0, 5, 0], zero_infinity=True)

    check_against_torch(rng, with_lists, batched, "float64")


def test_ctc_loss_gradcheck_through_log_softmax(rng):
    logits = spindle.tensor(random_array(rng, (5, 2, 4), "float64"), requires_grad=True)
    targets = spindle.tensor([[1, 1], [2, 3]])

    def loss(logits):
        return spindle.nn.functional.ctc_loss(logits.log_softmax(2), targets, [5, 4], [2, 1], reduction="sum")

    assert spindle.autograd.gradcheck(loss, (logits,))


EMBEDDING_BAG_CASES = {
    "offsets": {"offsets": [0, 3, 3, 6]},
    "last_offset": {"offsets": [0, 3, 3, 6, 8], "include_last_offset": True},
    "padding": {"offsets": [0, 3, 3, 6], "padding_idx": 2},
    "negative_padding": {"offsets": [0, 4], "padding_idx": -1},
    "two_dims": {"offsets": None},
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("case", sorted(EMBEDDING_BAG_CASES))
def test_embedding_bag(rng, case, mode, dtype):
    options = dict(EMBEDDING_BAG_CASES[case])
    if mode == "max" and options.get("scale_grad_by_freq"):
        return
    offsets = options.pop("offsets")
    indices = rng.integers(0, 7, (2, 4) if offsets is None else (8,))
    indices[1] = 2  # make sure the padding row occurs
    weight = random_array(rng, (7, 3), dtype)

    def compute(fw, weight, indices):
        offsets_tensor = None if offsets is None else fw.tensor(offsets)
        return fw.nn.functional.embedding_bag(indices, weight, offsets_tensor, mode=mode, **options)

    check_against_torch(rng, compute, [weight, indices], dtype, noncontiguous=True)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_scale_grad_by_freq(rng, mode):
    """Against torch's documented equivalent, embedding then a sum/mean over each bag: torch's own
    embedding_bag divides by the count of the wrong index on the CPU (counts of the sorted indices
    by position)."""
    indices = rng.integers(0, 5, (3, 4))

    def compute(fw, weight, indices):
        if fw is spindle:
            return spindle.nn.functional.embedding_bag(indices, weight, mode=mode, scale_grad_by_freq=True)
        rows = torch.nn.functional.embedding(indices, weight, scale_grad_by_freq=True)
        return rows.sum(1) if mode == "sum" else rows.mean(1)

    check_against_torch(rng, compute, [random_array(rng, (5, 3), "float64"), indices], "float64")


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_bag_per_sample_weights_and_max_norm(rng, dtype):
    arrays = [random_array(rng, (7, 3), dtype, 3.0), rng.integers(0, 7, (8,)), random_array(rng, (8,), dtype)]

    def compute(fw, weight, indices, per_sample_weights):
        return fw.nn.functional.embedding_bag(indices, weight, fw.tensor([0, 5, 5]), mode="sum", padding_idx=3,
                                              per_sample_weights=per_sample_weights)

    check_against_torch(rng, compute, arrays, dtype)

    def renormed(fw, weight, indices):
        weight = weight.detach().clone()
        output = fw.nn.functional.embedding_bag(indices, weight, fw.tensor([0, 4]), max_norm=1.5, norm_type=1.0)
        return fw.cat([output, weight])

    check_against_torch(rng, renormed, arrays[:2], dtype, requires_grad=False)


def test_embedding_bag_module(rng):
    torch_bag = torch.nn.EmbeddingBag(6, 3, mode="max", padding_idx=-2, max_norm=2.0, norm_type=1.0)
    spindle_bag = spindle.nn.EmbeddingBag(6, 3, mode="max", padding_idx=-2, max_norm=2.0, norm_type=1.0)
    assert repr(spindle_bag) == repr(torch_bag)
    assert not spindle_bag.weight[4].abs().sum().item()
    copy_state(torch_bag, spindle_bag)
    indices = rng.integers(0, 6, (3, 4))
    check_against_torch(rng, lambda fw, index: (spindle_bag if fw is spindle else torch_bag)(index), [indices],
                        modules=(spindle_bag, torch_bag))
    assert repr(spindle.nn.EmbeddingBag(4, 2)) == repr(torch.nn.EmbeddingBag(4, 2))
    weight = random_array(rng, (4, 2), "float64")
    for freeze in (True, False):
        pair = [fw.nn.EmbeddingBag.from_pretrained(fw.tensor(weight), freeze=freeze, mode="sum")
                for fw in (spindle, torch)]
        assert pair[0].weight.requires_grad == pair[1].weight.requires_grad == (not freeze)
        assert_close(pair[0](spindle.tensor([[0, 3]])), pair[1](torch.tensor([[0, 3]])).detach(), "float64")
    assert list(spindle.nn.EmbeddingBag(4, 2).state_dict()) == ["weight"]


LOSS_MODULES = [
    ("TripletMarginLoss", {"margin": 0.5, "p": 1.0, "swap": True}, 3),
    ("TripletMarginWithDistanceLoss", {"margin": 0.5, "swap": True}, 3),
    ("MarginRankingLoss", {"margin": 0.1, "reduction": "sum"}, 3),
    ("CosineEmbeddingLoss", {"margin": 0.2}, 3),
    ("HingeEmbeddingLoss", {"margin": 2.0}, 2),
    ("SoftMarginLoss", {"reduction": "none"}, 2),
    ("MultiLabelSoftMarginLoss", {"size_average": False}, 2),
    ("PoissonNLLLoss", {"log_input": True, "full": True}, 2),
    ("GaussianNLLLoss", {"full": True, "reduction": "sum"}, 3),
]


@pytest.mark.parametrize("name,options,inputs", LOSS_MODULES, ids=[case[0] for case in LOSS_MODULES])
def test_loss_modules(rng, name, options, inputs):
    modules = {}
    for fw in (spindle, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            modules[fw] = getattr(fw.nn, name)(**options)
    assert repr(modules[spindle]) == repr(modules[torch])
    assert modules[spindle].reduction == modules[torch].reduction
    shape = (4,) if name == "MarginRankingLoss" else (4, 3)
    arrays = [random_array(rng, shape, "float64") for _ in range(inputs)]
    if name in ("CosineEmbeddingLoss", "HingeEmbeddingLoss", "SoftMarginLoss", "MarginRankingLoss"):
        arrays[-1] = signs(rng, (4,) if name == "CosineEmbeddingLoss" else shape)
    if name in ("GaussianNLLLoss", "PoissonNLLLoss", "MultiLabelSoftMarginLoss"):
        arrays[-1] = np.abs(arrays[-1])
    constant_targets = (inputs - 1,) if name in ("SoftMarginLoss", "MarginRankingLoss") else ()
    check_against_torch(rng, lambda fw, *tensors: modules[fw](*tensors), arrays, "float64",
                        constant_inputs=constant_targets)


def test_class_loss_modules(rng):
    weight = np.abs(random_array(rng, (5,), "float32"))
    pairs = [(fw.nn.MultiMarginLoss(p=2, margin=0.5, weight=fw.tensor(weight)), fw) for fw in (spindle, torch)]
    assert list(pairs[0][0].state_dict()) == list(pairs[1][0].state_dict()) == ["weight"]
    arrays = [random_array(rng, (3, 5)), rng.integers(0, 5, (3,))]
    check_against_torch(rng, lambda fw, *t: dict((f, m) for m, f in pairs)[fw](*t), arrays)
    labels = [random_array(rng, (3, 5)), multilabel_targets(rng, 3, 5)]
    check_against_torch(rng, lambda fw, *t: fw.nn.MultiLabelMarginLoss(reduction="sum")(*t), labels)
    ctc = ctc_case(rng, "float32", False)
    check_against_torch(rng, lambda fw, *t: fw.nn.CTCLoss(zero_infinity=True)(*t), ctc, tolerance=1e-4)
    with pytest.warns(FutureWarning, match="NLLLoss2d"):
        legacy = spindle.nn.NLLLoss2d(ignore_index=1)
    scores, target = -np.abs(random_array(rng, (2, 3, 4, 4))), rng.integers(0, 3, (2, 4, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_against_torch(rng, lambda fw, *t: (legacy if fw is spindle else fw.nn.NLLLoss2d(ignore_index=1))(*t),
                            [scores, target])


def test_legacy_reduction_flags(rng):
    arrays = [random_array(rng, (4, 3), "float64") for _ in range(3)]
    for size_average, reduce in [(False, None), (None, False), (True, True)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_against_torch(rng, call("triplet_margin_loss", size_average=size_average, reduce=reduce),
                                arrays, "float64")
            check_against_torch(rng, call("poisson_nll_loss", size_average=size_average, reduce=reduce),
                                arrays[:2], "float64")


def rand(fw, *shape):
    return fw.ones(shape)


ERRORS = {
    "triplet_margin": lambda fw: fw.nn.functional.triplet_margin_loss(rand(fw, 3, 4), rand(fw, 3, 4), rand(fw, 3, 4),
                                                                      margin=0),
    "triplet_dims": lambda fw: fw.nn.functional.triplet_margin_loss(rand(fw, 3, 4), rand(fw, 4), rand(fw, 3, 4)),
    "triplet_reduction": lambda fw: fw.nn.functional.triplet_margin_with_distance_loss(
        rand(fw, 3, 4), rand(fw, 3, 4), rand(fw, 3, 4), reduction="bad"),
    "triplet_module_margin": lambda fw: fw.nn.TripletMarginLoss(margin=-1),
    "ranking_dims": lambda fw: fw.nn.functional.margin_ranking_loss(rand(fw, 3), rand(fw, 3, 1), rand(fw, 3)),
    "cosine_target_dims": lambda fw: fw.nn.functional.cosine_embedding_loss(rand(fw, 3, 4), rand(fw, 3, 4),
                                                                            rand(fw, 3, 1)),
    "cosine_input_dims": lambda fw: fw.nn.functional.cosine_embedding_loss(rand(fw, 4), rand(fw, 4), rand(fw, 1)),
    "multilabel_soft_reduction": lambda fw: fw.nn.functional.multilabel_soft_margin_loss(rand(fw, 2, 3),
                                                                                        rand(fw, 2, 3), reduction="x"),
    "multilabel_size": lambda fw: fw.nn.functional.multilabel_margin_loss(rand(fw, 3, 4), fw.zeros(2, 4).long()),
    "multilabel_range": lambda fw: fw.nn.functional.multilabel_margin_loss(rand(fw, 3, 4), fw.full((3, 4), 4)),
    "multilabel_dtype": lambda fw: fw.nn.functional.multilabel_margin_loss(rand(fw, 3, 4), rand(fw, 3, 4)),
    "multilabel_3d": lambda fw: fw.nn.functional.multilabel_margin_loss(rand(fw, 2, 3, 4), fw.zeros(2, 3, 4).long()),
    "multi_margin_p": lambda fw: fw.nn.functional.multi_margin_loss(rand(fw, 3, 4), fw.zeros(3).long(), p=3),
    "multi_margin_target": lambda fw: fw.nn.functional.multi_margin_loss(rand(fw, 3, 4), fw.zeros(2).long()),
    "multi_margin_range": lambda fw: fw.nn.functional.multi_margin_loss(rand(fw, 3, 4), fw.full((3,), 4)),
    "multi_margin_weight": lambda fw: fw.nn.functional.multi_margin_loss(rand(fw, 3, 4), fw.zeros(3).long(),
                                                                         weight=rand(fw, 3)),
    "multi_margin_weight_grad": lambda fw: fw.nn.functional.multi_margin_loss(
        rand(fw, 3, 4), fw.zeros(3).long(), weight=rand(fw, 4).requires_grad_()),
    "multi_margin_module_weight": lambda fw: fw.nn.MultiMarginLoss(weight=rand(fw, 2, 2)),
    "poisson_reduction": lambda fw: fw.nn.functional.poisson_nll_loss(rand(fw, 3), rand(fw, 3), reduction="bad"),
    "gaussian_negative": lambda fw: fw.nn.functional.gaussian_nll_loss(rand(fw, 3, 4), rand(fw, 3, 4), -rand(fw, 3, 4)),
    "gaussian_size": lambda fw: fw.nn.functional.gaussian_nll_loss(rand(fw, 3, 4), rand(fw, 3, 4), rand(fw, 1, 1)),
    "gaussian_reduction": lambda fw: fw.nn.functional.gaussian_nll_loss(rand(fw, 3), rand(fw, 3), rand(fw, 3),
                                                                        reduction="x"),
    "ctc_blank": lambda fw: fw.nn.functional.ctc_loss(rand(fw, 6, 2, 4), fw.ones(2, 3).long(), [6, 6], [3, 3],
                                                      blank=4),
    "ctc_reduction": lambda fw: fw.nn.functional.ctc_loss(rand(fw, 6, 2, 4), fw.ones(2, 3).long(), [6, 6], [3, 3],
                                                          reduction="bad"),
    "ctc_lengths_dtype": lambda fw: fw.nn.functional.ctc_loss(rand(fw, 6, 2, 4), fw.ones(2, 3).long(),
                                                              fw.tensor([6.0, 6.0]), fw.tensor([3, 3])),
    "ctc_input_too_long": lambda fw: fw.nn.functional.ctc_loss(rand(fw, 6, 2, 4), fw.ones(2, 3).long(), [7, 6],
                                                               [3, 3]),
    "ctc_batch": lambda fw: fw.nn.functional.ctc_loss(rand(fw, 6, 2, 4), fw.ones(2, 3).long(), [6], [3, 3]),
    "ctc_target_width": lambda fw: fw.nn.functional.ctc_loss(rand(fw, 6, 2, 4), fw.ones(2, 3).long(), [6, 6], [4, 3]),
    "ctc_concatenated": lambda fw: fw.nn.functional.ctc_loss(rand(fw, 6, 2, 4), fw.ones(5).long(), [6, 6], [3, 3]),
    "ctc_negative": lambda fw: fw.nn.functional.ctc_loss(rand(fw, 6, 2, 4), fw.ones(2, 3).long(), [6, 6], [3, -1]),
    "bag_offsets_end": lambda fw: fw.nn.functional.embedding_bag(fw.tensor([1, 2, 3]), rand(fw, 4, 2),
                                                                 fw.tensor([0, 4])),
    "bag_no_offsets": lambda fw: fw.nn.functional.embedding_bag(fw.tensor([1, 2, 3]), rand(fw, 4, 2)),
    "bag_3d": lambda fw: fw.nn.functional.embedding_bag(fw.zeros(1, 1, 1).long(), rand(fw, 4, 2)),
    "bag_mode": lambda fw: fw.nn.functional.embedding_bag(fw.tensor([[1, 2]]), rand(fw, 4, 2), mode="min"),
    "bag_max_freq": lambda fw: fw.nn.functional.embedding_bag(fw.tensor([[1, 2]]), rand(fw, 4, 2), mode="max",
                                                              scale_grad_by_freq=True),
    "bag_weights_mode": lambda fw: fw.nn.functional.embedding_bag(fw.tensor([[1, 2]]), rand(fw, 4, 2),
                                                                  per_sample_weights=rand(fw, 1, 2)),
    "bag_weights_shape": lambda fw: fw.nn.functional.embedding_bag(fw.tensor([[1, 2]]), rand(fw, 4, 2), mode="sum",
                                                                   per_sample_weights=rand(fw, 2)),
    "bag_index_range": lambda fw: fw.nn.functional.embedding_bag(fw.tensor([[1, 4]]), rand(fw, 4, 2)),
    "bag_index_dtype": lambda fw: fw.nn.functional.embedding_bag(rand(fw, 1, 2), rand(fw, 4, 2).long()),
    "bag_weight_dims": lambda fw: fw.nn.functional.embedding_bag(fw.tensor([[1, 2]]), rand(fw, 4)),
    "bag_padding": lambda fw: fw.nn.functional.embedding_bag(fw.tensor([[1, 2]]), rand(fw, 4, 2), padding_idx=4),
    "bag_empty_columns": lambda fw: fw.nn.functional.embedding_bag(fw.zeros(2, 0).long(), rand(fw, 4, 2)),
    "bag_last_offset": lambda fw: fw.nn.functional.embedding_bag(fw.tensor([1]), rand(fw, 4, 2),
                                                                 fw.zeros(0).long(), include_last_offset=True),
}


# Messages where torch prints a tensor or a class of its own: the same type and message start.
ERROR_PREFIXES = {
    "bag_offsets_start": lambda fw: fw.nn.functional.embedding_bag(fw.tensor([1, 2, 3]), rand(fw, 4, 2),
                                                                   fw.tensor([1, 2])),
    "bag_2d_offsets": lambda fw: fw.nn.functional.embedding_bag(fw.tensor([[1, 2]]), rand(fw, 4, 2), fw.tensor([0])),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_torch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(ERRORS[case])


@pytest.mark.parametrize("case", sorted(ERROR_PREFIXES))
def test_errors_match_torch_up_to_printed_objects(case):
    expected, actual = error_of(ERROR_PREFIXES[case], torch), error_of(ERROR_PREFIXES[case], spindle)
    assert type(actual) is type(expected)
    common = re.split(r"[<\n]", str(expected))[0]
    assert str(actual).startswith(common) and len(common) > 20


def test_empty_and_zero_dim_edges():
    for fw in (spindle, torch):
        assert fw.nn.functional.embedding_bag(fw.zeros(0, 3).long(), fw.ones(4, 2)).shape == (0, 2)
    for compute in (lambda fw: fw.nn.functional.multi_margin_loss(fw.tensor(0.5), fw.tensor(0), reduction="none"),
                    lambda fw: fw.nn.functional.triplet_margin_loss(fw.tensor(1.0), fw.tensor(2.0), fw.tensor(0.5)),
                    lambda fw: fw.nn.functional.multilabel_margin_loss(fw.tensor(1.0), fw.tensor(0))):
        assert_close(compute(spindle), compute(torch))
