"""Padding, instance/RMS/local-response norms, shrink/RReLU/channel-shuffle activations, alpha dropout,
distances, LP pooling, max unpooling, Gumbel-softmax and the spatial-transformer pair (affine_grid,
grid_sample) against PyTorch: values and gradients in float32 and float64, reprs, state_dict keys,
statistics of the random layers, and errors."""
import math
import warnings

import numpy as np
import pytest
import torch

import spindle
from spindle.autograd import gradcheck
from tests.nn.oracle import (
    assert_close, assert_same_error, assert_same_state, check_against_torch, copy_state, random_array, to_numpy,
)

DTYPES = ["float32", "float64"]


def module_pair(name, *args, dtype="float32", **kwargs):
    """The same layer built in both frameworks, with torch's parameters and buffers copied into ours."""
    torch_dtype = getattr(torch, dtype)
    torch_module = getattr(torch.nn, name)(*args, **kwargs).to(torch_dtype)
    spindle_module = getattr(spindle.nn, name)(*args, **kwargs).to(getattr(spindle, dtype))
    assert repr(spindle_module) == repr(torch_module)
    assert list(spindle_module.state_dict()) == list(torch_module.state_dict())
    copy_state(torch_module, spindle_module)
    return spindle_module, torch_module


def check_module(rng, name, args, shape, dtype, noncontiguous=True, kwargs=None, train=True, scale=1.0):
    """Forward and backward of a layer in both frameworks, then the same state afterwards."""
    ours, theirs = module_pair(name, *args, dtype=dtype, **(kwargs or {}))
    ours.train(train)
    theirs.train(train)
    x = random_array(rng, shape, dtype, scale)
    check_against_torch(rng, lambda fw, t: (ours if fw is spindle else theirs)(t), [x], dtype,
                        noncontiguous=noncontiguous, modules=(ours, theirs))
    assert_same_state(ours, theirs, dtype)


# Padding layers

PADDING_CASES = [
    ("ConstantPad1d", ((1, 2), 1.5), (2, 3, 5)), ("ConstantPad2d", (1, -0.5), (3, 4, 5)),
    ("ConstantPad3d", ((1, 0, 2, 1, 0, 1), 2.0), (1, 2, 3, 4, 5)), ("ZeroPad1d", (2,), (3, 4)),
    ("ZeroPad2d", ((1, 2, 0, -1),), (2, 3, 4, 5)), ("ZeroPad3d", (1,), (2, 3, 4, 5)),
    ("ReflectionPad1d", ((2, 1),), (2, 3, 5)), ("ReflectionPad2d", (2,), (3, 4, 5)),
    ("ReflectionPad3d", ((1, 2, 0, 1, 1, 1),), (1, 2, 3, 4, 5)), ("ReplicationPad1d", (3,), (3, 4)),
    ("ReplicationPad2d", ((1, 0, 2, 3),), (2, 3, 4, 5)), ("ReplicationPad3d", (1,), (2, 3, 4, 5)),
    ("CircularPad1d", ((1, 2),), (2, 3, 5)), ("CircularPad2d", (1,), (3, 4, 5)),
    ("CircularPad3d", ((1, 1, 2, 0, 0, 1),), (1, 2, 3, 4, 5)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, args, shape", PADDING_CASES, ids=[case[0] for case in PADDING_CASES])
def test_padding_layers(rng, name, args, shape, dtype):
    check_module(rng, name, args, shape, dtype)


def test_circular_pad_rejects_wrong_dims():
    assert_same_error(lambda fw: fw.nn.CircularPad2d(1)(fw.ones(2, 3, 4, 5, 6)))
    assert_same_error(lambda fw: fw.nn.CircularPad1d(1)(fw.ones(3)))


# Normalization layers

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name, shape, kwargs",
    [("InstanceNorm1d", (3, 4, 6), {}), ("InstanceNorm1d", (4, 6), {"affine": True}),
     ("InstanceNorm2d", (2, 3, 4, 5), {"affine": True, "track_running_stats": True}),
     ("InstanceNorm2d", (3, 4, 5), {"track_running_stats": True, "momentum": None}),
     ("InstanceNorm3d", (2, 3, 2, 3, 4), {"affine": True, "bias": False, "eps": 1e-3})],
)
def test_instance_norm_layers(rng, name, shape, kwargs, dtype):
    spatial_dims = int(name[-2])
    channels = shape[-spatial_dims - 1]
    ours, theirs = module_pair(name, channels, dtype=dtype, **kwargs)
    for mode in (True, True, False):
        ours.train(mode)
        theirs.train(mode)
        x = random_array(rng, shape, dtype, scale=2.0) + 0.5
        check_against_torch(rng, lambda fw, t: (ours if fw is spindle else theirs)(t), [x], dtype,
                            noncontiguous=True, modules=(ours, theirs))
        assert_same_state(ours, theirs, dtype)


def test_instance_norm_warnings_and_errors():
    with pytest.warns(UserWarning, match="does not match num_features"):
        spindle.nn.InstanceNorm1d(3)(spindle.randn(2, 4, 5))
    assert_same_error(lambda fw: fw.nn.InstanceNorm2d(3, affine=True)(fw.ones(2, 4, 5, 5)))
    assert_same_error(lambda fw: fw.nn.InstanceNorm1d(3)(fw.ones(2, 3, 4, 5)))
    assert_same_error(lambda fw: fw.nn.functional.instance_norm(fw.ones(2, 3, 1)))
    assert_same_error(lambda fw: fw.nn.functional.instance_norm(fw.ones(2, 3, 4), use_input_stats=False))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "args, kwargs, shape",
    [((5,), {}, (3, 5)), (((3, 4),), {"eps": 1e-3}, (2, 3, 4)), ((4,), {"elementwise_affine": False}, (2, 3, 4))],
)
def test_rms_norm(rng, args, kwargs, shape, dtype):
    ours, theirs = module_pair("RMSNorm", *args, dtype=dtype, **kwargs)
    with torch.no_grad():
        if theirs.weight is not None:
            theirs.weight.normal_()
    copy_state(theirs, ours)
    check_against_torch(rng, lambda fw, t: (ours if fw is spindle else theirs)(t), [random_array(rng, shape, dtype)],
                        dtype, noncontiguous=True, modules=(ours, theirs))


def test_rms_norm_errors():
    assert_same_error(lambda fw: fw.nn.functional.rms_norm(fw.ones(2, 3), (4,)))
    assert_same_error(lambda fw: fw.nn.functional.rms_norm(fw.ones(2, 3), (3,), fw.ones(2)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size, shape", [(3, (2, 5, 4)), (2, (2, 6, 3, 4)), (4, (1, 5, 2, 3, 2))])
def test_local_response_norm(rng, size, shape, dtype):
    # PyTorch's own LRN cannot take a non-contiguous input of 4 or more dims (it calls view).
    check_module(rng, "LocalResponseNorm", (size, 1e-2, 0.75, 1.5), shape, dtype, noncontiguous=len(shape) == 3)


def test_local_response_norm_rejects_2d_input():
    assert_same_error(lambda fw: fw.nn.functional.local_response_norm(fw.ones(2, 3), 2))


# Activations

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name, args", [("Hardshrink", ()), ("Hardshrink", (0.8,)), ("Softshrink", ()), ("Softshrink", (0.3,)),
                   ("ChannelShuffle", (3,)), ("Softmax2d", ())],
)
def test_activation_layers(rng, name, args, dtype):
    check_module(rng, name, args, (2, 6, 3, 4), dtype)


def test_shrink_keeps_nan_and_channel_shuffle_errors():
    values = [float("nan"), 0.2, -0.7, 0.5]
    for name in ("hardshrink", "softshrink"):
        assert_close(getattr(spindle.nn.functional, name)(spindle.tensor(values)),
                     getattr(torch.nn.functional, name)(torch.tensor(values)))
    assert_same_error(lambda fw: fw.nn.functional.channel_shuffle(fw.ones(2, 6, 3), 4))
    assert_same_error(lambda fw: fw.nn.functional.channel_shuffle(fw.ones(2, 6, 3), 0))
    assert_same_error(lambda fw: fw.nn.functional.channel_shuffle(fw.ones(2, 6), 3))
    assert_same_error(lambda fw: fw.nn.Softmax2d()(fw.ones(2, 3)))
    assert_same_error(lambda fw: fw.nn.functional.rrelu(fw.ones(3), 0.5, 0.1))
    assert_same_error(lambda fw: fw.nn.functional.softshrink(fw.ones(2), -1.0))
    assert_same_error(lambda fw: fw.nn.functional.softshrink(fw.ones(2, dtype=fw.float64), -0.5))


@pytest.mark.parametrize("dtype", DTYPES)
def test_rrelu_eval_is_leaky_relu_with_mean_slope(rng, dtype):
    check_module(rng, "RReLU", (0.1, 0.4), (3, 4, 5), dtype, train=False)


def test_rrelu_training_slopes():
    lower, upper = 0.1, 0.3
    x = -spindle.rand(20000, dtype=spindle.float64) - 0.5
    x.requires_grad_(True)
    output = spindle.nn.RReLU(lower, upper)(x)
    output.sum().backward()
    slopes = to_numpy(output / x)
    assert slopes.min() >= lower and slopes.max() <= upper
    # U(lower, upper): mean (l + u) / 2, variance (u - l)^2 / 12; the gradient is the slope used.
    assert abs(slopes.mean() - (lower + upper) / 2) < 4 * (upper - lower) / math.sqrt(12 * 20000)
    assert abs(slopes.var() - (upper - lower) ** 2 / 12) < 0.1 * (upper - lower) ** 2 / 12
    np.testing.assert_allclose(to_numpy(x.grad), slopes)
    positive = spindle.rand(10) + 0.1
    assert_close(spindle.nn.functional.rrelu(positive, training=True), positive)


@pytest.mark.parametrize("name, args", [("elu_", (0.7,)), ("leaky_relu_", (0.2,)), ("hardtanh_", (-0.5, 0.5)),
                                        ("selu_", ()), ("celu_", (1.3,)), ("threshold_", (0.1, -2.0)),
                                        ("rrelu_", (0.1, 0.3))])
def test_inplace_functional_variants(rng, name, args):
    values = random_array(rng, (3, 4), "float64")
    ours, theirs = spindle.tensor(values), torch.tensor(values)
    our_result = getattr(spindle.nn.functional, name)(ours, *args)
    their_result = getattr(torch.nn.functional, name)(theirs, *args)
    assert our_result is ours
    assert_close(ours, theirs, "float64")
    assert_close(our_result, their_result, "float64")


# Alpha dropout

@pytest.mark.parametrize("name, shape", [("alpha_dropout", (200, 500)), ("feature_alpha_dropout", (400, 50, 6))])
def test_alpha_dropout_keeps_mean_and_variance(name, shape):
    p = 0.3
    x = spindle.randn(*shape, dtype=spindle.float64)
    output = getattr(spindle.nn.functional, name)(x, p, training=True)
    values = to_numpy(output)
    assert abs(values.mean()) < 0.02 and abs(values.std() - 1) < 0.02
    # Dropped entries all hold the same value, and a fraction p of them (whole channels when feature-wise).
    dropped_value = ((0.0 - 1) * 1.7580993408473766 + 1.7580993408473766 * p) / math.sqrt(
        (1.7580993408473766 ** 2 * p + 1) * (1 - p))
    dropped = np.isclose(values, dropped_value)
    assert abs(dropped.mean() - p) < 0.02
    if name == "feature_alpha_dropout":
        assert (dropped == dropped[:, :, :1]).all()
    kept = ~dropped
    scale = 1 / math.sqrt((1.7580993408473766 ** 2 * p + 1) * (1 - p))
    np.testing.assert_allclose(values[kept], to_numpy(x)[kept] * scale + 1.7580993408473766 * scale * p)


def test_alpha_dropout_identity_in_eval_and_edge_probabilities():
    x = spindle.randn(4, 5)
    for layer in (spindle.nn.AlphaDropout(0.4), spindle.nn.FeatureAlphaDropout(0.4)):
        assert layer.eval()(x) is x
        assert repr(layer) == repr(getattr(torch.nn, type(layer).__name__)(0.4))
    assert spindle.nn.functional.alpha_dropout(x, 0.4) is x  # training defaults to False
    assert not to_numpy(spindle.nn.functional.alpha_dropout(x, 1.0, True)).any()
    assert_same_error(lambda fw: fw.nn.functional.alpha_dropout(fw.ones(3), 1.5))
    assert_same_error(lambda fw: fw.nn.functional.feature_alpha_dropout(fw.ones(3), 0.5, True))
    gradient_input = spindle.randn(6, 7, requires_grad=True)
    output = spindle.nn.functional.alpha_dropout(gradient_input, 0.5, True)
    output.sum().backward()
    # The gradient is the scale of kept entries, and zero where the entry was dropped.
    scale = 1 / math.sqrt((1.7580993408473766 ** 2 * 0.5 + 1) * 0.5)
    np.testing.assert_allclose(np.unique(to_numpy(gradient_input.grad)), [0.0, scale], rtol=1e-6)


# Distances

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shapes, kwargs",
    [(((4, 5), (4, 5)), {}), (((3, 1, 5), (4, 5)), {"dim": -1}), (((2, 6, 3), (2, 6, 3)), {"dim": 1, "eps": 0.5}),
     (((5,), (5,)), {"dim": 0})],
)
def test_cosine_similarity(rng, shapes, kwargs, dtype):
    arrays = [random_array(rng, shape, dtype) for shape in shapes]
    check_against_torch(rng, lambda fw, a, b: fw.nn.CosineSimilarity(**kwargs)(a, b), arrays, dtype,
                        noncontiguous=True)


def test_cosine_similarity_of_zero_vectors_and_errors(rng):
    zeros = np.zeros((3, 4))
    zeros[1] = rng.standard_normal(4)
    check_against_torch(rng, lambda fw, a, b: fw.nn.functional.cosine_similarity(a, b),
                        [zeros, random_array(rng, (3, 4), "float64")], "float64")
    assert_same_error(lambda fw: fw.nn.functional.cosine_similarity(fw.ones(3, 4).long(), fw.ones(3, 4).long()))
    assert_same_error(lambda fw: fw.nn.functional.cosine_similarity(fw.ones(3, 4), fw.ones(3, 4), dim=2))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shapes, kwargs",
    [(((4, 5), (4, 5)), {}), (((3, 1, 5), (4, 5)), {"p": 1.0, "keepdim": True}), (((6,), (2, 6)), {"p": 3.0}),
     (((4, 5), (4, 5)), {"p": float("inf"), "eps": 0.0})],
)
def test_pairwise_distance(rng, shapes, kwargs, dtype):
    arrays = [random_array(rng, shape, dtype) for shape in shapes]
    check_against_torch(rng, lambda fw, a, b: fw.nn.PairwiseDistance(**kwargs)(a, b), arrays, dtype,
                        noncontiguous=True)
    assert repr(spindle.nn.PairwiseDistance(**kwargs)) == repr(torch.nn.PairwiseDistance(**kwargs))


# LP pooling and max unpooling

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name, args, shape",
    [("LPPool1d", (2, 3), (2, 3, 8)), ("LPPool1d", (1.5, 2, 1, True), (3, 7)), ("LPPool2d", (2, (2, 3)), (2, 3, 6, 7)),
     ("LPPool2d", (3, 2, (1, 2), True), (3, 5, 7)), ("LPPool2d", (float("inf"), 2), (2, 2, 4, 4))],
)
def test_lp_pool(rng, name, args, shape, dtype):
    # Positive inputs: a fractional power of a negative sum is NaN in both frameworks.
    ours, theirs = module_pair(name, *args, dtype=dtype)
    x = np.abs(random_array(rng, shape, dtype)) + 0.1
    check_against_torch(rng, lambda fw, t: (ours if fw is spindle else theirs)(t), [x], dtype, noncontiguous=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "dims, kernel, stride, padding, shape, output_size",
    [(1, 2, None, 0, (2, 3, 8), None), (1, 3, 2, 1, (3, 9), (9,)), (2, 2, None, 0, (2, 3, 6, 8), None),
     (2, (3, 2), (2, 1), (1, 0), (3, 7, 5), None), (2, 2, 2, 0, (1, 2, 7, 7), (1, 2, 7, 7))],
)
def test_max_unpool(rng, dims, kernel, stride, padding, shape, output_size, dtype):
    def compute(fw, x):
        nn = fw.nn
        pool = (nn.MaxPool1d if dims == 1 else nn.MaxPool2d)(kernel, stride, padding, return_indices=True)
        unpool = (nn.MaxUnpool1d if dims == 1 else nn.MaxUnpool2d)(kernel, stride, padding)
        values, indices = pool(x)
        return unpool(values, indices, output_size=output_size)

    check_against_torch(rng, compute, [random_array(rng, shape, dtype)], dtype, noncontiguous=True)
    assert repr(spindle.nn.MaxUnpool2d(kernel, stride, padding)) == repr(torch.nn.MaxUnpool2d(kernel, stride, padding))


def test_max_unpool_errors():
    def unpool(fw, input_shape, indices, **kwargs):
        return fw.nn.functional.max_unpool2d(fw.ones(*input_shape), indices, 2, **kwargs)

    assert_same_error(lambda fw: unpool(fw, (1, 1, 2, 2), fw.full((1, 1, 2, 2), 20, dtype=fw.int64)))
    assert_same_error(lambda fw: unpool(fw, (1, 1, 2, 2), fw.zeros(1, 1, 2, 2, dtype=fw.int64), output_size=(9, 9)))
    assert_same_error(lambda fw: unpool(fw, (1, 1, 2, 2), fw.zeros(1, 1, 2, 3, dtype=fw.int64)))
    assert_same_error(lambda fw: unpool(fw, (1, 1, 2, 2), fw.zeros(1, 1, 2, 2, dtype=fw.int32)))
    assert_same_error(lambda fw: unpool(fw, (2, 2), fw.zeros(2, 2, dtype=fw.int64)))
    assert_same_error(lambda fw: unpool(fw, (1, 1, 2, 2), fw.zeros(1, 1, 2, 2, dtype=fw.int64), output_size=(1, 2, 3)))


# Gumbel-softmax

def test_gumbel_softmax_statistics_and_straight_through_gradient():
    logits_values = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    logits = spindle.tensor(np.tile(logits_values, (20000, 1)), requires_grad=True)
    hard = spindle.nn.functional.gumbel_softmax(logits, tau=0.5, hard=True)
    samples = to_numpy(hard)
    assert set(np.unique(samples)) == {0.0, 1.0} and (samples.sum(-1) == 1).all()
    # The argmax of logits + Gumbel noise is a sample of softmax(logits).
    frequencies = samples.mean(0)
    assert np.abs(frequencies - np.exp(logits_values)).max() < 0.02
    # Straight-through: the gradient is that of the soft sample, whose rows sum to one.
    weights = spindle.tensor(np.random.default_rng(0).standard_normal((20000, 4)))
    (hard * weights).sum().backward()
    assert np.abs(to_numpy(logits.grad)).max() > 0
    np.testing.assert_allclose(to_numpy(logits.grad).sum(-1), 0.0, atol=1e-10)
    soft = spindle.nn.functional.gumbel_softmax(spindle.randn(5, 3), dim=0)
    np.testing.assert_allclose(to_numpy(soft).sum(0), 1.0, rtol=1e-6)
    assert (to_numpy(soft) > 0).all() and len(np.unique(to_numpy(soft))) > 2
    with pytest.warns(UserWarning, match="deprecated"):
        spindle.nn.functional.gumbel_softmax(spindle.randn(2, 3), eps=1e-5)


def test_gumbel_softmax_soft_gradient_matches_softmax_of_noisy_logits():
    spindle.manual_seed(3)
    logits = spindle.randn(4, 6, dtype=spindle.float64, requires_grad=True)
    sample = spindle.nn.functional.gumbel_softmax(logits, tau=2.0)
    # Same draw again: recover the noise from the sample, then compare with an explicit softmax.
    noise = (sample.detach().log() * 2.0 - logits.detach())
    noise = noise - noise.mean(-1, keepdim=True)
    weights = spindle.randn(4, 6, dtype=spindle.float64)
    (sample * weights).sum().backward()
    reference_logits = logits.detach().clone().requires_grad_(True)
    reference = ((reference_logits + noise) / 2.0).softmax(-1)
    (reference * weights).sum().backward()
    np.testing.assert_allclose(to_numpy(sample), to_numpy(reference), rtol=1e-10)
    np.testing.assert_allclose(to_numpy(logits.grad), to_numpy(reference_logits.grad), rtol=1e-8, atol=1e-12)


# Spatial transformer: affine_grid and grid_sample

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (1, 2, 1, 6), (2, 1, 3, 2, 4)])
@pytest.mark.parametrize("align_corners", [True, False])
def test_affine_grid(rng, size, align_corners, dtype):
    spatial = len(size) - 2
    theta = random_array(rng, (size[0], spatial, spatial + 1), dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_against_torch(rng, lambda fw, t: fw.nn.functional.affine_grid(t, size, align_corners=align_corners),
                            [theta], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_grid_sample(rng, mode, padding_mode, align_corners, dtype):
    # Grid values beyond [-1, 1] exercise the padding rules, including several reflections.
    image = random_array(rng, (2, 3, 5, 6), dtype)
    grid = random_array(rng, (2, 4, 7, 2), dtype, scale=1.5)
    check_against_torch(
        rng,
        lambda fw, x, g: fw.nn.functional.grid_sample(x, g, mode=mode, padding_mode=padding_mode,
                                                      align_corners=align_corners),
        [image, grid], dtype, noncontiguous=True,
        # Nearest sampling is piecewise constant in the grid: PyTorch returns a zero gradient, we none.
        constant_inputs=(1,) if mode == "nearest" else (),
    )


def test_spatial_transformer_pipeline_and_gradcheck(rng):
    theta = spindle.tensor(random_array(rng, (2, 2, 3), "float64") * 0.3 + np.array([[1.0, 0, 0], [0, 1.0, 0]]),
                           requires_grad=True)
    image = spindle.tensor(random_array(rng, (2, 2, 4, 5), "float64"), requires_grad=True)

    def transform(image, theta):
        grid = spindle.nn.functional.affine_grid(theta, (2, 2, 3, 3), align_corners=False)
        return spindle.nn.functional.grid_sample(image, grid, padding_mode="reflection", align_corners=False)

    assert gradcheck(transform, (image, theta))
    with pytest.warns(UserWarning, match="align_corners=False"):
        spindle.nn.functional.grid_sample(spindle.ones(1, 1, 2, 2), spindle.zeros(1, 1, 1, 2))


def test_spatial_transformer_errors():
    assert_same_error(lambda fw: fw.nn.functional.grid_sample(fw.ones(1, 1, 3, 3), fw.ones(2, 2, 2, 2),
                                                              align_corners=False))
    assert_same_error(lambda fw: fw.nn.functional.grid_sample(fw.ones(1, 1, 3, 3), fw.ones(1, 2, 2, 3),
                                                              align_corners=False))
    assert_same_error(lambda fw: fw.nn.functional.grid_sample(fw.ones(1, 1, 3, 3), fw.ones(1, 2, 2),
                                                              align_corners=False))
    assert_same_error(lambda fw: fw.nn.functional.grid_sample(fw.ones(1, 1, 3, 3), fw.ones(1, 2, 2, 2), mode="cubic"))
    assert_same_error(lambda fw: fw.nn.functional.affine_grid(fw.ones(1, 2, 3), (1, 1, 3, 3, 3), align_corners=False))
    assert_same_error(lambda fw: fw.nn.functional.affine_grid(fw.ones(1, 2, 3), (1, 3), align_corners=False))
    assert_same_error(lambda fw: fw.nn.functional.affine_grid(fw.ones(1, 2, 3).long(), (1, 1, 3, 3),
                                                              align_corners=False))
