"""Convolutions against PyTorch: ``F.conv1d``, ``F.conv2d``, ``F.conv_transpose1d``,
``F.conv_transpose2d``, ``F.unfold`` and ``F.fold`` over grids of strides, paddings, dilations and
groups (values and gradients of input, weight and bias in float32 and float64, non-contiguous inputs),
finite differences and second-order gradients in float64, the adjoint identities that tie the three
convolution ops together, and the errors for bad arguments."""
import itertools

import numpy as np
import pytest
import torch

import spindle
from spindle.ops.convolution import (
    Convolution,
    ConvolutionGeometry,
    ConvolutionTranspose,
    ConvolutionWeight,
)
from tests.nn.oracle import check_against_torch, random_array
from tests.ops.oracle import assert_same_error, check_gradcheck, check_second_order

# PyTorch warns that it copies the input for 'same' padding with even kernels; spindle always pads.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

# Relative error allowed against PyTorch (measured against the largest magnitude of the result).
TOLERANCE = {"float32": 1e-4, "float64": 1e-10}


def raises_in_torch(function, *arrays):
    try:
        function(torch, *[torch.tensor(array) for array in arrays])
    except Exception:  # noqa: BLE001 - any error: spindle must raise the same type
        return True
    return False


def check_or_same_error(rng, function, arrays, dtype="float32", noncontiguous=False):
    """Values and gradients equal PyTorch's; where PyTorch refuses the arguments, spindle raises the
    same exception type."""
    if raises_in_torch(function, *arrays):
        assert_same_error(function, *arrays)
        return
    check_against_torch(rng, function, arrays, dtype, noncontiguous=noncontiguous, tolerance=TOLERANCE[dtype])


CONV2D_GRID = list(
    itertools.product([1, 2, (2, 1)], [0, 1, (2, 0), "same", "valid"], [1, 2, (1, 2)], [1, 2], [True, False])
)


@pytest.mark.parametrize("stride, padding, dilation, groups, bias", CONV2D_GRID)
def test_conv2d_grid(rng, stride, padding, dilation, groups, bias):
    arrays = [random_array(rng, (2, 4, 9, 8)), random_array(rng, (6, 4 // groups, 3, 2))]
    if bias:
        arrays.append(random_array(rng, (6,)))

    def function(fw, x, weight, bias=None):
        return fw.nn.functional.conv2d(x, weight, bias, stride, padding, dilation, groups)

    check_or_same_error(rng, function, arrays)


@pytest.mark.parametrize("noncontiguous", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "options",
    [{}, {"stride": 2, "padding": 1}, {"padding": 2, "dilation": 2, "groups": 3}, {"padding": "same", "groups": 6}],
    ids=["plain", "strided", "dilated-grouped", "depthwise-same"],
)
def test_conv2d_dtypes_and_layouts(rng, options, dtype, noncontiguous):
    arrays = [
        random_array(rng, (3, 6, 7, 10), dtype),
        random_array(rng, (12, 6 // options.get("groups", 1), 3, 3), dtype),
        random_array(rng, (12,), dtype),
    ]
    check_against_torch(
        rng, lambda fw, x, w, b: fw.nn.functional.conv2d(x, w, b, **options), arrays, dtype,
        noncontiguous=noncontiguous, tolerance=TOLERANCE[dtype],
    )


def test_conv2d_unbatched_input_and_one_by_one_kernel(rng):
    check_against_torch(
        rng, lambda fw, x, w: fw.nn.functional.conv2d(x, w, padding=1), [random_array(rng, (3, 5, 6)),
                                                                         random_array(rng, (4, 3, 3, 3))],
        tolerance=TOLERANCE["float32"],
    )
    check_against_torch(
        rng, lambda fw, x, w: fw.nn.functional.conv2d(x, w, stride=2), [random_array(rng, (2, 8, 6, 6)),
                                                                        random_array(rng, (5, 8, 1, 1))],
        tolerance=TOLERANCE["float32"],
    )


def test_conv2d_weight_only_and_input_only_gradients(rng):
    arrays = [random_array(rng, (2, 3, 6, 6)), random_array(rng, (4, 3, 3, 3))]
    function = lambda fw, x, w: fw.nn.functional.conv2d(x, w, padding=1)  # noqa: E731
    check_against_torch(rng, function, arrays, constant_inputs=(0,), tolerance=TOLERANCE["float32"])
    check_against_torch(rng, function, arrays, constant_inputs=(1,), tolerance=TOLERANCE["float32"])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", [{"padding": 1}, {"stride": 2, "padding": 1}], ids=["plain", "strided"])
def test_conv2d_of_an_empty_batch(rng, options, dtype):
    """No images: an empty output, an empty input gradient and a zero weight gradient, as in PyTorch."""
    arrays = [random_array(rng, (0, 3, 5, 6), dtype), random_array(rng, (4, 3, 3, 3), dtype),
              random_array(rng, (4,), dtype)]
    check_against_torch(
        rng, lambda fw, x, w, b: fw.nn.functional.conv2d(x, w, b, **options), arrays, dtype,
        tolerance=TOLERANCE[dtype],
    )


CONV1D_GRID = list(itertools.product([1, 3], [0, 2, "same"], [1, 2], [1, 3]))


@pytest.mark.parametrize("stride, padding, dilation, groups", CONV1D_GRID)
def test_conv1d_grid(rng, stride, padding, dilation, groups):
    arrays = [random_array(rng, (2, 6, 11)), random_array(rng, (9, 6 // groups, 4)), random_array(rng, (9,))]

    def function(fw, x, weight, bias):
        return fw.nn.functional.conv1d(x, weight, bias, stride, padding, dilation, groups)

    check_or_same_error(rng, function, arrays)


def test_conv1d_unbatched_and_float64(rng):
    arrays = [random_array(rng, (4, 9), "float64"), random_array(rng, (2, 4, 3), "float64")]
    check_against_torch(rng, lambda fw, x, w: fw.nn.functional.conv1d(x, w, padding=1), arrays, "float64")


CONV_TRANSPOSE2D_GRID = list(itertools.product([1, 2, (2, 3)], [0, 1], [0, 1], [1, 2], [1, 2]))


@pytest.mark.parametrize("stride, padding, output_padding, groups, dilation", CONV_TRANSPOSE2D_GRID)
def test_conv_transpose2d_grid(rng, stride, padding, output_padding, groups, dilation):
    arrays = [random_array(rng, (2, 4, 5, 6)), random_array(rng, (4, 6 // groups, 3, 2)), random_array(rng, (6,))]

    def function(fw, x, weight, bias):
        return fw.nn.functional.conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation)

    check_or_same_error(rng, function, arrays)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv_transpose2d_dcgan_upsampler_and_layouts(rng, dtype):
    # The DCGAN generator's layer: kernel 4, stride 2, padding 1 doubles the resolution.
    arrays = [random_array(rng, (3, 8, 4, 4), dtype), random_array(rng, (8, 5, 4, 4), dtype)]
    output, _ = check_against_torch(
        rng, lambda fw, x, w: fw.nn.functional.conv_transpose2d(x, w, stride=2, padding=1), arrays, dtype,
        noncontiguous=True, tolerance=TOLERANCE[dtype],
    )
    assert tuple(output.shape) == (3, 5, 8, 8)


@pytest.mark.parametrize("stride, padding, output_padding, dilation", [(1, 0, 0, 1), (2, 1, 1, 1), (3, 2, 1, 2)])
def test_conv_transpose1d(rng, stride, padding, output_padding, dilation):
    arrays = [random_array(rng, (2, 4, 7)), random_array(rng, (4, 3, 3)), random_array(rng, (3,))]

    def function(fw, x, weight, bias):
        return fw.nn.functional.conv_transpose1d(x, weight, bias, stride, padding, output_padding, 1, dilation)

    check_against_torch(rng, function, arrays, tolerance=TOLERANCE["float32"])


def test_conv_transpose2d_unbatched(rng):
    arrays = [random_array(rng, (4, 3, 3)), random_array(rng, (4, 2, 2, 2))]
    check_against_torch(
        rng, lambda fw, x, w: fw.nn.functional.conv_transpose2d(x, w, stride=2), arrays, tolerance=TOLERANCE["float32"]
    )


GRADCHECK_CASES = {
    "conv2d strided dilated grouped": (
        lambda fw, x, w, b: fw.nn.functional.conv2d(x, w, b, stride=2, padding=1, dilation=2, groups=2),
        [(2, 4, 6, 5), (4, 2, 2, 3), (4,)],
    ),
    "conv2d same": (lambda fw, x, w, b: fw.nn.functional.conv2d(x, w, b, padding="same"), [(1, 2, 4, 5), (3, 2, 2, 3), (3,)]),
    "conv1d": (lambda fw, x, w, b: fw.nn.functional.conv1d(x, w, b, stride=2, padding=1), [(2, 3, 7), (2, 3, 3), (2,)]),
    "conv_transpose2d": (
        lambda fw, x, w, b: fw.nn.functional.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
        [(2, 4, 3, 3), (4, 1, 3, 2), (2,)],
    ),
    "conv_transpose1d": (
        lambda fw, x, w, b: fw.nn.functional.conv_transpose1d(x, w, b, stride=3, dilation=2), [(1, 2, 4), (2, 3, 2), (3,)]
    ),
}


@pytest.mark.parametrize("name", GRADCHECK_CASES)
def test_gradcheck(rng, name):
    function, shapes = GRADCHECK_CASES[name]
    check_gradcheck(function, *[random_array(rng, shape, "float64") for shape in shapes])


@pytest.mark.parametrize("name", GRADCHECK_CASES)
def test_second_order_gradients(rng, name):
    function, shapes = GRADCHECK_CASES[name]
    check_second_order(rng, function, *[random_array(rng, shape, "float64") for shape in shapes])


def test_gradgradcheck_of_a_small_convnet(rng):
    x, w1, w2 = (random_array(rng, shape, "float64") for shape in [(1, 2, 5, 5), (3, 2, 3, 3), (2, 3, 2, 2)])

    def network(x, w1, w2):
        hidden = spindle.nn.functional.conv2d(x, w1, padding=1).tanh()
        return spindle.nn.functional.conv_transpose2d(hidden, w2.transpose(0, 1), stride=2)

    inputs = [spindle.tensor(array, requires_grad=True) for array in (x, w1, w2)]
    assert spindle.autograd.gradgradcheck(network, inputs)


def random_geometry(rng):
    """A random valid 2-D geometry with asymmetric padding, and matching x, weight and y shapes."""
    kernel = tuple(int(k) for k in rng.integers(1, 4, 2))
    stride = tuple(int(s) for s in rng.integers(1, 4, 2))
    dilation = tuple(int(d) for d in rng.integers(1, 3, 2))
    padding = tuple((int(a), int(b)) for a, b in rng.integers(0, 3, (2, 2)))
    groups = int(rng.choice([1, 2]))
    input_size = tuple(int(s) for s in rng.integers(6, 10, 2))
    output_size = tuple(
        (size + before + after - rate * (k - 1) - 1) // step + 1
        for size, (before, after), rate, k, step in zip(input_size, padding, dilation, kernel, stride)
    )
    geometry = ConvolutionGeometry(input_size, output_size, kernel, stride, dilation, padding, groups)
    return geometry, (2, 2 * groups) + input_size, (4, 2) + kernel, (2, 4) + output_size


def test_convolution_ops_are_adjoints(rng):
    # <conv(x, W), y> = <x, conv_transpose(y, W)> = <W, conv_weight(x, y)>: the identities from which
    # every backward here is built, checked on their own with asymmetric padding.
    for _ in range(10):
        geometry, x_shape, weight_shape, y_shape = random_geometry(rng)
        x, weight, y = (spindle.tensor(random_array(rng, shape, "float64")) for shape in (x_shape, weight_shape, y_shape))
        forward = (Convolution.apply(x, weight, None, geometry) * y).sum().item()
        transposed = (x * ConvolutionTranspose.apply(y, weight, None, geometry)).sum().item()
        weighted = (weight * ConvolutionWeight.apply(x, y, geometry)).sum().item()
        assert forward == pytest.approx(transposed, rel=1e-10, abs=1e-10)
        assert forward == pytest.approx(weighted, rel=1e-10, abs=1e-10)


def test_offset_slices_cover_exactly_the_pixels_inside_the_input(rng):
    for _ in range(10):
        geometry = random_geometry(rng)[0]
        covered = np.zeros(geometry.output_size + tuple(geometry.kernel_size), dtype=bool)
        for i, j in geometry.kernel_offsets():
            slices = geometry.offset_slices(i, j)
            if slices is not None:
                covered[slices[0] + (i, j)] = True
        rows = np.arange(geometry.output_size[0])[:, None] * geometry.stride[0] + np.arange(
            geometry.kernel_size[0]) * geometry.dilation[0] - geometry.padding[0][0]
        columns = np.arange(geometry.output_size[1])[:, None] * geometry.stride[1] + np.arange(
            geometry.kernel_size[1]) * geometry.dilation[1] - geometry.padding[1][0]
        inside_rows = (rows >= 0) & (rows < geometry.input_size[0])
        inside_columns = (columns >= 0) & (columns < geometry.input_size[1])
        expected = inside_rows[:, None, :, None] & inside_columns[None, :, None, :]
        np.testing.assert_array_equal(covered, expected)


UNFOLD_CASES = [
    {"kernel_size": 2},
    {"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1, "stride": (2, 1)},
    {"kernel_size": 3, "padding": 1, "stride": 2},
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", UNFOLD_CASES)
def test_unfold_and_fold(rng, options, dtype):
    x = random_array(rng, (2, 3, 7, 6), dtype)
    columns, _ = check_against_torch(
        rng, lambda fw, a: fw.nn.functional.unfold(a, **options), [x], dtype, noncontiguous=True,
        tolerance=TOLERANCE[dtype],
    )
    check_against_torch(
        rng, lambda fw, a: fw.nn.functional.fold(a, (7, 6), **options), [random_array(rng, tuple(columns.shape), dtype)],
        dtype, tolerance=TOLERANCE[dtype],
    )


def test_unfold_and_fold_unbatched_and_gradcheck(rng):
    check_against_torch(rng, lambda fw, a: fw.nn.functional.unfold(a, 2), [random_array(rng, (3, 4, 5))])
    check_against_torch(rng, lambda fw, a: fw.nn.functional.fold(a, (3, 4), 2), [random_array(rng, (8, 6))])
    check_gradcheck(lambda fw, a: fw.nn.functional.unfold(a, 2, padding=1, stride=2), random_array(rng, (1, 2, 3, 4)))
    check_gradcheck(lambda fw, a: fw.nn.functional.fold(a, (3, 3), 2, dilation=2, padding=1), random_array(rng, (1, 4, 9)))
    check_second_order(rng, lambda fw, a: fw.nn.functional.unfold(a, 2).pow(2), random_array(rng, (1, 2, 3, 3)))


def test_unfold_of_a_one_by_one_kernel_is_a_copy():
    # The windows of a 1x1 kernel are the input itself; unfold must still return new memory.
    x = spindle.randn(1, 2, 3, 3)
    columns = spindle.nn.functional.unfold(x, 1)
    columns.add_(1)
    assert np.allclose(columns.reshape(1, 2, 3, 3).numpy() - x.numpy(), 1)


CONV_ERRORS = {
    "1-D input to conv2d": (lambda fw, x, w: fw.nn.functional.conv2d(x[0, 0, 0], w), ("conv2d", "[8]")),
    "weight of wrong rank": (lambda fw, x, w: fw.nn.functional.conv2d(x, w[0]), ()),
    "channel mismatch": (lambda fw, x, w: fw.nn.functional.conv2d(x[:, :2], w), ("4 channels", "2 channels")),
    "groups mismatch": (lambda fw, x, w: fw.nn.functional.conv2d(x, w, groups=2), ("groups=2",)),
    "bias size": (lambda fw, x, w: fw.nn.functional.conv2d(x, w, w[0, 0, 0, :2]), ("[2]",)),
    "kernel larger than input": (lambda fw, x, w: fw.nn.functional.conv2d(x[:, :, :2, :2], w), ("(2 x 2)", "(3 x 3)")),
    "dtype mismatch": (lambda fw, x, w: fw.nn.functional.conv2d(x, w.double()), ()),
    "bias dtype mismatch": (lambda fw, x, w: fw.nn.functional.conv2d(x, w, w[:, 0, 0, 0].double()), ()),
    "zero stride": (lambda fw, x, w: fw.nn.functional.conv2d(x, w, stride=0), ("stride",)),
    "negative padding": (lambda fw, x, w: fw.nn.functional.conv2d(x, w, padding=-1), ("padding",)),
    "zero dilation": (lambda fw, x, w: fw.nn.functional.conv2d(x, w, dilation=0), ("dilation",)),
    "zero groups": (lambda fw, x, w: fw.nn.functional.conv2d(x, w, groups=0), ("groups",)),
    "same padding with stride": (lambda fw, x, w: fw.nn.functional.conv2d(x, w, padding="same", stride=2), ("same",)),
    "unknown padding string": (lambda fw, x, w: fw.nn.functional.conv2d(x, w, padding="full"), ("full",)),
    "stride of wrong length": (lambda fw, x, w: fw.nn.functional.conv2d(x, w, stride=(1, 1, 1)), ("stride",)),
    "transposed channel mismatch": (
        lambda fw, x, w: fw.nn.functional.conv_transpose2d(x, w[:, :3].transpose(0, 1)), ("3 channels", "4 channels")
    ),
    "transposed output padding too large": (
        lambda fw, x, w: fw.nn.functional.conv_transpose2d(x, w.transpose(0, 1), output_padding=1), ("output padding",)
    ),
    "transposed padding string": (
        lambda fw, x, w: fw.nn.functional.conv_transpose2d(x, w.transpose(0, 1), padding="same"), ("padding",)
    ),
    "unfold with too few blocks": (lambda fw, x, w: fw.nn.functional.unfold(x, 9), ("(8, 8)",)),
    "fold with the wrong block count": (
        lambda fw, x, w: fw.nn.functional.fold(x.reshape(2, 16, 16)[:, :, :5], (4, 4), 2), ("9", "5")
    ),
}


@pytest.mark.parametrize("name", CONV_ERRORS)
def test_errors(rng, name):
    function, mentions = CONV_ERRORS[name]
    assert_same_error(function, random_array(rng, (2, 4, 8, 8)), random_array(rng, (6, 4, 3, 3)), mentions=mentions)
