"""Resampling and patch functions and layers against PyTorch: ``F.interpolate`` (nearest,
nearest-exact, linear, bilinear with and without align_corners, area; by size or scale factor),
``Upsample`` and its fixed-mode forms, ``F.pixel_shuffle``/``F.pixel_unshuffle`` and their layers,
``Fold``/``Unfold`` layers: values, gradients, double gradients, repr and errors."""
import pytest
import torch

import spindle
from tests.nn.oracle import assert_same_error, check_against_torch, random_array
from tests.ops.oracle import check_gradcheck, check_second_order

TOLERANCE = {"float32": 1e-5, "float64": 1e-12}

INTERPOLATIONS = {
    "nearest x2": {"scale_factor": 2},
    "nearest to size": {"size": (5, 13)},
    "nearest fractional factor": {"scale_factor": 1.7},
    "nearest per-dim factors": {"scale_factor": (0.5, 2.3)},
    "nearest recomputed factor": {"scale_factor": 1.7, "recompute_scale_factor": True},
    "nearest-exact": {"size": (13, 5), "mode": "nearest-exact"},
    "bilinear up": {"size": (18, 16), "mode": "bilinear"},
    "bilinear down": {"size": (4, 3), "mode": "bilinear"},
    "bilinear factor": {"scale_factor": 1.7, "mode": "bilinear"},
    "bilinear aligned corners": {"size": (5, 13), "mode": "bilinear", "align_corners": True},
    "bilinear aligned factor": {"scale_factor": (2, 0.5), "mode": "bilinear", "align_corners": True},
    "bilinear to one pixel": {"size": 1, "mode": "bilinear", "align_corners": True},
    "area": {"size": (4, 3), "mode": "area"},
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", INTERPOLATIONS)
def test_interpolate_2d(rng, name, dtype):
    options = INTERPOLATIONS[name]
    check_against_torch(
        rng, lambda fw, x: fw.nn.functional.interpolate(x, **options), [random_array(rng, (2, 3, 9, 8), dtype)],
        dtype, noncontiguous=True, tolerance=TOLERANCE[dtype],
    )


@pytest.mark.parametrize("options", [
    {"scale_factor": 1.5}, {"size": 4, "mode": "nearest-exact"}, {"scale_factor": 2.5, "mode": "linear"},
    {"size": 17, "mode": "linear", "align_corners": True}, {"size": 3, "mode": "area"},
])
def test_interpolate_1d(rng, options):
    check_against_torch(rng, lambda fw, x: fw.nn.functional.interpolate(x, **options), [random_array(rng, (2, 3, 7))],
                        tolerance=TOLERANCE["float32"])


def test_interpolate_gradcheck_and_second_order(rng):
    function = lambda fw, x: fw.nn.functional.interpolate(x, scale_factor=1.5, mode="bilinear")  # noqa: E731
    check_gradcheck(function, random_array(rng, (1, 2, 3, 4), "float64"))
    check_second_order(rng, lambda fw, x: function(fw, x).pow(2), random_array(rng, (1, 2, 3, 4), "float64"))
    check_gradcheck(lambda fw, x: fw.nn.functional.interpolate(x, size=(5, 2)), random_array(rng, (1, 2, 3, 4), "float64"))


INTERPOLATE_ERRORS = {
    "size and factor": lambda fw, x: fw.nn.functional.interpolate(x, size=3, scale_factor=2),
    "neither size nor factor": lambda fw, x: fw.nn.functional.interpolate(x),
    "align_corners with nearest": lambda fw, x: fw.nn.functional.interpolate(x, size=3, align_corners=True),
    "linear on 4-D input": lambda fw, x: fw.nn.functional.interpolate(x, size=3, mode="linear"),
    "bilinear on 3-D input": lambda fw, x: fw.nn.functional.interpolate(x[0], size=3, mode="bilinear"),
    "size of wrong length": lambda fw, x: fw.nn.functional.interpolate(x, size=(2, 3, 4)),
    "recompute with a size": lambda fw, x: fw.nn.functional.interpolate(x, size=3, recompute_scale_factor=True),
}


@pytest.mark.parametrize("name", INTERPOLATE_ERRORS)
def test_interpolate_errors(name):
    function = INTERPOLATE_ERRORS[name]
    expected = pytest.raises(Exception, function, torch, torch.ones(2, 3, 4, 4)).type
    pytest.raises(expected, function, spindle, spindle.ones(2, 3, 4, 4))


UPSAMPLE_LAYERS = {
    "Upsample factor": lambda nn: nn.Upsample(scale_factor=2),
    "Upsample size bilinear": lambda nn: nn.Upsample(size=(5, 7), mode="bilinear"),
    "Upsample aligned": lambda nn: nn.Upsample(scale_factor=(1.5, 2), mode="bilinear", align_corners=True),
    "UpsamplingNearest2d": lambda nn: nn.UpsamplingNearest2d(scale_factor=3),
    "UpsamplingBilinear2d": lambda nn: nn.UpsamplingBilinear2d(size=6),
}


@pytest.mark.parametrize("name", UPSAMPLE_LAYERS)
def test_upsample_layers(rng, name):
    layers = {spindle: UPSAMPLE_LAYERS[name](spindle.nn), torch: UPSAMPLE_LAYERS[name](torch.nn)}
    check_against_torch(rng, lambda fw, x: layers[fw](x), [random_array(rng, (2, 3, 4, 5))], tolerance=1e-5)
    assert repr(layers[spindle]) == repr(layers[torch])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("factor, shape", [(2, (2, 8, 3, 4)), (3, (9, 2, 2)), (2, (2, 3, 4, 3, 2))])
def test_pixel_shuffle_and_unshuffle(rng, factor, shape, dtype):
    layers = {fw: (fw.nn.PixelShuffle(factor), fw.nn.PixelUnshuffle(factor)) for fw in (spindle, torch)}
    shuffled, _ = check_against_torch(rng, lambda fw, x: layers[fw][0](x), [random_array(rng, shape, dtype)], dtype,
                                      noncontiguous=True)
    check_against_torch(rng, lambda fw, x: layers[fw][1](x), [random_array(rng, tuple(shuffled.shape), dtype)], dtype)
    assert repr(layers[spindle][0]) == repr(layers[torch][0])
    assert repr(layers[spindle][1]) == repr(layers[torch][1])


def test_pixel_shuffle_errors():
    assert_same_error(lambda fw: fw.nn.functional.pixel_shuffle(fw.ones(1, 5, 2, 2), 2))
    assert_same_error(lambda fw: fw.nn.functional.pixel_unshuffle(fw.ones(1, 1, 3, 4), 2))
    assert_same_error(lambda fw: fw.nn.functional.pixel_unshuffle(fw.ones(1, 1, 4, 3), 2))


def test_fold_and_unfold_layers(rng):
    layers = {fw: (fw.nn.Unfold((2, 3), dilation=2, padding=1, stride=(1, 2)), fw.nn.Fold((6, 7), (2, 3), 2, 1, (1, 2)))
              for fw in (spindle, torch)}
    columns, _ = check_against_torch(rng, lambda fw, x: layers[fw][0](x), [random_array(rng, (2, 3, 6, 7))])
    check_against_torch(rng, lambda fw, x: layers[fw][1](x), [random_array(rng, tuple(columns.shape))])
    assert repr(layers[spindle][0]) == repr(layers[torch][0])
    assert repr(layers[spindle][1]) == repr(layers[torch][1])
