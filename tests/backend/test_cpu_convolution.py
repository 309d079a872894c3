"""The convolution kernels of ``spindle.backend.cpu_convolution`` (float32, one group), every test
run with each instruction set the CPU has (AVX-512, and AVX2 forced on an AVX-512 machine).

* ``applies`` picks exactly the float32 NumPy, one-group convolutions, and nothing once
  ``native.enabled`` is off.
* ``forward``, ``transposed`` (the input gradient) and ``weight_gradient`` called directly equal
  PyTorch (``F.conv2d`` on the padded input, ``torch.autograd.grad`` for the gradients) over fixed
  edge cases and random configurations drawn from a grid that stresses the tiling: 16- and 8-lane vectors
  that cross output rows and images, out-channel counts that leave partial tiles, tiny images,
  dilation, strides, asymmetric and 'same' padding; also split over several threads and over small
  chunks of images.
* Through the public API (``F.conv2d``, ``Conv2d`` with its padding modes, ``ConvTranspose2d``) the
  kernel path and the im2col path agree on the output and on the gradients of input, weight and
  bias, with the C kernels doing all three products; non-contiguous inputs match PyTorch.
* NaN and infinities land where PyTorch puts them; large magnitudes stay relative-accurate; the
  kernels read no memory past their input (an input that ends right before an unreadable page).

Every test here calls the kernels and is skipped, with the reason, where they cannot be built (no
AVX2 and FMA, no C compiler) or the CPU lacks the instruction set; ``tests/backend/test_native.py``
fails instead where the machine could.
"""
import collections
import os
import subprocess
import sys
from typing import NamedTuple

import numpy as np
import pytest
import torch

import spindle
from spindle.backend import cpu_convolution, native
from spindle.ops.convolution import ConvolutionGeometry

pytestmark = [
    pytest.mark.skipif(cpu_convolution._kernels() is None,
                       reason="the convolution kernels cannot be built or run here (no AVX2 and FMA or no C compiler)"),
    # PyTorch warns that it copies the input for 'same' padding with even kernels.
    pytest.mark.filterwarnings("ignore:Using padding='same'"),
]

# Largest error against PyTorch, relative to the largest magnitude of PyTorch's result.
TOLERANCE = 1e-4
# Largest difference between the kernel path and the im2col path (both float32, different summation orders).
PATH_TOLERANCE = 1e-5


class Case(NamedTuple):
    """One convolution: ``padding`` is an int, 'same', or ((top, bottom), (left, right))."""

    batch: int
    in_channels: int
    out_channels: int
    input_size: tuple
    kernel_size: tuple
    dilation: tuple
    padding: object
    stride: tuple = (1, 1)

    def padding_pairs(self):
        if self.padding == "same":
            totals = [rate * (kernel - 1) for rate, kernel in zip(self.dilation, self.kernel_size)]
            return tuple((total // 2, total - total // 2) for total in totals)
        if isinstance(self.padding, int):
            return ((self.padding, self.padding),) * 2
        return self.padding

    def geometry(self):
        """The ``ConvolutionGeometry`` the kernels take (one group)."""
        padding = self.padding_pairs()
        output_size = tuple(
            (size + before + after - rate * (kernel - 1) - 1) // step + 1
            for size, kernel, rate, (before, after), step in zip(
                self.input_size, self.kernel_size, self.dilation, padding, self.stride)
        )
        return ConvolutionGeometry(self.input_size, output_size, self.kernel_size, self.stride, self.dilation, padding)

    def arrays(self, rng):
        """Random float32 input (N, C, H, W), weight (O, C, kh, kw) and output gradient (N, O, OH, OW)."""
        return (
            random_array(rng, (self.batch, self.in_channels) + self.input_size),
            random_array(rng, (self.out_channels, self.in_channels) + self.kernel_size),
            random_array(rng, (self.batch, self.out_channels) + self.geometry().output_size),
        )


def random_array(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


# Fixed edge cases of the tiling: a forward tile is 8 out channels x 3 vectors of 16 (AVX2: 8) output
# positions (over images, rows and columns); a weight-gradient tile is 32 out channels x 12 kernel
# entries (AVX2: 16 x 6).
EDGE_CASES = {
    "single pixel": Case(1, 1, 1, (1, 1), (1, 1), (1, 1), 0),
    "empty batch": Case(0, 3, 5, (4, 6), (3, 3), (1, 1), 1),
    "1x1 image, 3x3 kernel": Case(2, 3, 3, (1, 1), (3, 3), (1, 1), 1),
    "1x1 image, 5x5 kernel": Case(3, 2, 9, (1, 1), (5, 5), (1, 1), 2),
    "2x3 image, same, dilated 2x4": Case(5, 4, 17, (2, 3), (2, 4), (2, 3), "same"),
    "2x3 image, asymmetric": Case(2, 5, 8, (2, 3), (2, 4), (1, 1), ((1, 0), (2, 1))),
    "rows of 16": Case(3, 2, 8, (4, 18), (1, 3), (1, 1), 0),
    "rows of 17": Case(3, 3, 9, (5, 17), (3, 3), (1, 1), 1),
    "one row of 33 per image": Case(5, 2, 3, (1, 33), (1, 1), (1, 1), 0),
    "last vector partial in its row": Case(1, 1, 1, (1, 37), (1, 1), (1, 1), 0),
    "one full tile": Case(1, 1, 3, (3, 16), (1, 1), (1, 1), 0),
    "dilated 5x5": Case(2, 6, 9, (12, 15), (5, 5), (2, 3), 2),
    "33 out channels": Case(2, 3, 33, (6, 7), (3, 3), (1, 1), 1),
    "stride 2": Case(3, 4, 9, (9, 34), (3, 3), (1, 1), 1, (2, 2)),
    "stride 3x2, dilated 2x4": Case(2, 3, 8, (11, 20), (2, 4), (2, 3), ((1, 0), (2, 1)), (3, 2)),
    "stride larger than the kernel": Case(2, 2, 3, (7, 9), (1, 2), (1, 1), 0, (3, 4)),
    "larger": Case(2, 16, 17, (20, 37), (3, 3), (1, 1), 1),
}

GRID = {
    "batch": [1, 2, 3, 4, 5],
    "in_channels": list(range(1, 21)),
    "out_channels": [1, 3, 8, 9, 17],
    "kernel_size": [(1, 1), (3, 3), (5, 5), (2, 4)],
    "dilation": [(1, 1), (2, 3)],
    "padding": [0, 1, 2, ((1, 0), (2, 1)), "same"],
    "stride": [(1, 1), (1, 1), (2, 2), (2, 1), (1, 3)],  # stride 1 twice: the common case, drawn more often
    "output_height": [1, 2, 3, 5],
    "output_width": [1, 2, 7, 8, 15, 16, 17, 33],
}
RANDOM_CASES = 30


def draw_case(rng):
    """A random configuration from ``GRID``: the input size is chosen to give the drawn output size
    (larger where the padding alone exceeds it)."""
    pick = {name: values[rng.integers(len(values))] for name, values in GRID.items()}
    case = Case(pick["batch"], pick["in_channels"], pick["out_channels"], (1, 1), pick["kernel_size"],
                pick["dilation"], pick["padding"], pick["stride"])
    input_size = tuple(
        max(1, (output - 1) * step + rate * (kernel - 1) + 1 - before - after)
        for output, kernel, rate, (before, after), step in zip(
            (pick["output_height"], pick["output_width"]), case.kernel_size, case.dilation, case.padding_pairs(),
            case.stride)
    )
    return case._replace(input_size=input_size)


@pytest.fixture(autouse=True, params=sorted(cpu_convolution.INSTRUCTION_SETS))
def instruction_set(request):
    """Runs the test with the kernels forced to each instruction set (skipped where the CPU lacks it),
    and puts the automatic choice back after it; the name, for tests that start a child process."""
    try:
        cpu_convolution.set_instruction_set(request.param)
    except ValueError as error:
        pytest.skip(str(error))
    yield request.param
    cpu_convolution.set_instruction_set(None)


def torch_convolution(x, weight, geometry):
    """PyTorch's convolution of ``x`` with ``weight`` (torch tensors) padded as ``geometry`` says."""
    (top, bottom), (left, right) = geometry.padding
    padded = torch.nn.functional.pad(x, (left, right, top, bottom))
    return torch.nn.functional.conv2d(padded, weight, stride=geometry.stride, dilation=geometry.dilation)


def torch_gradients(x, weight, grad, geometry):
    """PyTorch's gradients of the convolution's input and weight for output gradient ``grad`` (arrays)."""
    x, weight = torch.from_numpy(x).requires_grad_(), torch.from_numpy(weight).requires_grad_()
    output = torch_convolution(x, weight, geometry)
    return [gradient.numpy() for gradient in torch.autograd.grad(output, (x, weight), torch.from_numpy(grad))]


def assert_close(actual, expected, tolerance, what):
    """Same shape and dtype, NaN and infinities in the same places, the finite values within
    ``tolerance`` times the largest finite magnitude of ``expected``."""
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    assert np.array_equal(np.isnan(actual), np.isnan(expected)), f"{what}: NaN at other positions"
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(actual[~finite], expected[~finite], err_msg=f"{what}: infinities differ")
    scale = max(float(np.abs(expected[finite]).max(initial=0.0)), 1e-30)
    error = float(np.abs(actual[finite].astype(np.float64) - expected[finite]).max(initial=0.0))
    assert error <= tolerance * scale, f"{what}: max error {error:.3e} exceeds {tolerance:.0e} x {scale:.3e}"


def check_kernels(x, weight, grad, geometry, what):
    """``forward``, ``transposed`` and ``weight_gradient`` of ``x``, ``weight`` and the output gradient
    ``grad`` against PyTorch."""
    assert cpu_convolution.applies(x, weight, geometry) and cpu_convolution.applies(x, grad, geometry)
    expected = torch_convolution(torch.from_numpy(x), torch.from_numpy(weight), geometry).numpy()
    expected_input_gradient, expected_weight_gradient = torch_gradients(x, weight, grad, geometry)
    assert_close(cpu_convolution.forward(x, weight, geometry), expected, TOLERANCE, f"forward of {what}")
    assert_close(cpu_convolution.transposed(grad, weight, geometry), expected_input_gradient, TOLERANCE,
                 f"input gradient of {what}")
    assert_close(cpu_convolution.weight_gradient(x, grad, geometry), expected_weight_gradient, TOLERANCE,
                 f"weight gradient of {what}")


def check_case(case, rng):
    """``check_kernels`` on random arrays of ``case``."""
    check_kernels(*case.arrays(rng), case.geometry(), case)


def test_applies_to_float32_one_group_arrays_only(rng, monkeypatch):
    case = Case(2, 4, 6, (5, 17), (3, 3), (1, 1), 1)
    geometry = case.geometry()
    x, weight, grad = case.arrays(rng)
    assert cpu_convolution.applies(x, weight, geometry) and cpu_convolution.applies(x, grad, geometry)
    assert cpu_convolution.applies(x, weight, geometry._replace(stride=(2, 2)))
    assert not cpu_convolution.applies(x.astype(np.float64), weight.astype(np.float64), geometry)
    assert not cpu_convolution.applies(x, weight.astype(np.float64), geometry)
    assert not cpu_convolution.applies(x.astype(np.float16), weight.astype(np.float16), geometry)
    assert not cpu_convolution.applies(x, weight[:, :2], geometry._replace(groups=2))
    monkeypatch.setattr(native, "enabled", False)
    assert not cpu_convolution.applies(x, weight, geometry)


@pytest.mark.parametrize("case", [
    pytest.param(case, id=name) for name, case in EDGE_CASES.items()
])
def test_kernels_match_torch_on_edge_cases(rng, case):
    check_case(case, rng)


def test_kernels_match_torch_on_random_configurations(rng):
    for _ in range(RANDOM_CASES):
        check_case(draw_case(rng), rng)


@pytest.fixture
def thread_count():
    """Sets ``spindle.set_num_threads`` for the test, and puts the previous count back after it."""
    previous = spindle.get_num_threads()
    yield spindle.set_num_threads
    spindle.set_num_threads(previous)


@pytest.mark.parametrize("threads", [2, 3, 7, 100])
def test_kernels_split_over_threads(rng, thread_count, threads):
    """More threads than tiles, uneven shares, and more than the kernels start (64 at most)."""
    thread_count(threads)
    for case in (EDGE_CASES["larger"], EDGE_CASES["33 out channels"], EDGE_CASES["stride 2"], draw_case(rng)):
        check_case(case, rng)


def test_weight_gradient_adds_up_chunks_of_images(rng, monkeypatch):
    """The weight kernel sums the batch chunk by chunk (sized for the L2 cache); with no cache to
    speak of, every image is a chunk of its own."""
    monkeypatch.setattr(cpu_convolution, "_CHUNK_BYTES", 1)
    for case in (Case(5, 3, 4, (6, 9), (3, 3), (1, 1), 1), Case(3, 2, 5, (7, 8), (2, 2), (1, 1), 0, (2, 2))):
        check_case(case, rng)


@pytest.fixture
def kernel_calls(monkeypatch):
    """Counts the calls of the C kernels (``forward``, ``weight``), which still run."""
    calls = collections.Counter()
    library = cpu_convolution._kernels()
    for name in ("forward", "weight"):
        def counted(*arguments, original=getattr(library, f"convolution_{name}_float32"), name=name):
            calls[name] += 1
            return original(*arguments)

        monkeypatch.setattr(library, f"convolution_{name}_float32", counted)
    return calls


def stored_transposed(array):
    """The leaf of the "transposed" layout: the last two dims swapped (the view swaps them back)."""
    return np.ascontiguousarray(np.swapaxes(array, -1, -2))


def stored_sliced(array):
    """The leaf of the "sliced" layout: ``array`` inside a larger array, among values that the view
    ``[:, :-1, 2:, 1::2]`` leaves out and the convolution must never read."""
    batch, channels, height, width = array.shape
    leaf = np.full((batch, channels + 1, height + 2, 2 * width + 1), 1000, dtype=array.dtype)
    leaf[:, :-1, 2:, 1::2] = array
    return leaf


# How a leaf stores an array, and the view (the same in both frameworks) that shows it.
LAYOUTS = {
    "transposed": (stored_transposed, lambda tensor: tensor.transpose(-1, -2)),
    "sliced": (stored_sliced, lambda tensor: tensor[:, :-1, 2:, 1::2]),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_non_contiguous_inputs_through_conv2d(rng, kernel_calls, layout):
    """``F.conv2d`` on non-contiguous input and weight views: output and the gradients of input, weight
    and bias against PyTorch, with the kernels doing the forward, the input gradient and the weight
    gradient."""
    store, view = LAYOUTS[layout]
    x, weight = random_array(rng, (3, 5, 7, 18)), random_array(rng, (9, 5, 3, 2))
    bias = random_array(rng, (9,))
    upstream = random_array(rng, (3, 9, 7, 18))
    results = []
    for framework in (spindle, torch):
        leaves = [framework.tensor(store(x), requires_grad=True), framework.tensor(store(weight), requires_grad=True),
                  framework.tensor(bias, requires_grad=True)]
        output = framework.nn.functional.conv2d(view(leaves[0]), view(leaves[1]), leaves[2], padding="same",
                                                dilation=(2, 1))
        output.backward(framework.tensor(upstream))
        results.append([output.detach().numpy()] + [leaf.grad.numpy() for leaf in leaves])
    for what, actual, expected in zip(("output", "input grad", "weight grad", "bias grad"), *results):
        assert_close(actual, expected, TOLERANCE, f"{what} ({layout})")
    assert kernel_calls["forward"] >= 2 and kernel_calls["weight"] == 1, kernel_calls


def with_parameters_from(rng, layer):
    """``layer`` (float32) with random parameters drawn from ``rng``."""
    with spindle.no_grad():
        for parameter in layer.parameters():
            parameter.copy_(spindle.tensor(random_array(rng, tuple(parameter.shape))))
    return layer


# Layers and input shapes.
LAYERS = {
    "plain": (lambda: spindle.nn.Conv2d(5, 9, 3), (3, 5, 9, 17)),
    "1x1": (lambda: spindle.nn.Conv2d(20, 17, 1), (2, 20, 4, 15)),
    "padded dilated 2x4": (lambda: spindle.nn.Conv2d(4, 17, (2, 4), padding=(2, 1), dilation=(2, 3)), (3, 4, 8, 16)),
    "same": (lambda: spindle.nn.Conv2d(3, 8, (4, 2), padding="same", dilation=(1, 2)), (4, 3, 5, 7)),
    "reflect": (lambda: spindle.nn.Conv2d(4, 3, 3, padding=(1, 2), padding_mode="reflect"), (2, 4, 6, 17)),
    "circular": (lambda: spindle.nn.Conv2d(4, 9, (3, 5), padding=2, dilation=(2, 1), padding_mode="circular"),
                 (3, 4, 7, 11)),
    "transposed": (lambda: spindle.nn.ConvTranspose2d(6, 3, 3), (2, 6, 5, 14)),
    "transposed padded dilated": (lambda: spindle.nn.ConvTranspose2d(5, 9, (3, 2), padding=1, dilation=(2, 3)),
                                  (3, 5, 6, 16)),
    "transposed output padding": (lambda: spindle.nn.ConvTranspose2d(4, 8, 3, padding=1, dilation=2, output_padding=1),
                                  (2, 4, 5, 9)),
    "strided": (lambda: spindle.nn.Conv2d(4, 9, 3, stride=2, padding=1), (3, 4, 9, 16)),
    "strided dilated 2x4": (lambda: spindle.nn.Conv2d(3, 8, (2, 4), stride=(3, 2), dilation=(2, 3)), (2, 3, 12, 17)),
    "transposed strided": (lambda: spindle.nn.ConvTranspose2d(5, 4, 3, stride=2, padding=1, output_padding=1),
                           (2, 5, 6, 9)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_kernel_path_equals_im2col_path(rng, monkeypatch, kernel_calls, name):
    """The same layer and input with the kernels on and off: output and the gradients of input,
    weight and bias agree (``Conv2d`` runs ``F.conv2d``, ``ConvTranspose2d`` ``F.conv_transpose2d``)."""
    make_layer, input_shape = LAYERS[name]
    layer = with_parameters_from(rng, make_layer())
    x = random_array(rng, input_shape)
    upstream = None
    results = {}
    for enabled in (True, False):
        monkeypatch.setattr(native, "enabled", enabled)
        kernel_calls.clear()
        leaf = spindle.tensor(x, requires_grad=True)
        output = layer(leaf)
        if upstream is None:
            upstream = random_array(rng, tuple(output.shape))
        gradients = spindle.autograd.grad(output, [leaf, *layer.parameters()], spindle.tensor(upstream))
        results[enabled] = [output.detach().numpy()] + [gradient.numpy() for gradient in gradients]
        if enabled:  # the forward, the input gradient (one run per stride phase) and the weight gradient
            assert kernel_calls["forward"] >= 2 and kernel_calls["weight"] == 1, kernel_calls
        else:
            assert not kernel_calls, kernel_calls
    for what, actual, expected in zip(("output", "input grad", "weight grad", "bias grad"), results[True], results[False]):
        assert_close(actual, expected, PATH_TOLERANCE, f"{what} of {name}")


NON_FINITE_CASES = {
    "rows of 17": Case(3, 4, 9, (6, 17), (3, 3), (2, 1), 1),
    "stride 2": Case(2, 3, 5, (7, 12), (3, 2), (1, 1), 0, (2, 2)),
}


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["random pixel", "last pixel", "last column"])
@pytest.mark.parametrize("case", NON_FINITE_CASES.values(), ids=NON_FINITE_CASES)
def test_non_finite_values_land_where_torch_puts_them(rng, case, where, value):
    """One NaN or infinity in the input and one in the output gradient: the NaN and infinities of the
    output and of both gradients are exactly PyTorch's (the kernels multiply nothing that a window
    does not cover)."""
    x, weight, grad = case.arrays(rng)
    for array in (x, grad):
        pixel = tuple(int(rng.integers(size)) for size in array.shape)
        if where == "last pixel":
            pixel = (-1, -1, -1, -1)
        elif where == "last column":
            pixel = pixel[:3] + (-1,)
        array[pixel] = value
    check_kernels(x, weight, grad, case.geometry(), f"{case} with {value} at the {where}")


def test_large_magnitudes_keep_their_relative_accuracy(rng):
    """Inputs, weights and gradients of 1e15 (products of 1e30; float32's range ends near 3.4e38)."""
    case = EDGE_CASES["rows of 17"]
    x, weight, grad = (array * np.float32(1e15) for array in case.arrays(rng))
    check_kernels(x, weight, grad, case.geometry(), f"{case} at 1e15")


# Runs in a child process, since a read past the input kills it: the input (unpadded, contiguous,
# stride 1, so the kernels read it in place) ends where an unreadable page begins.
READ_NEXT_TO_A_GUARD_PAGE = """
import ctypes, mmap, sys
import numpy as np
from spindle.backend import cpu_convolution
from spindle.ops.convolution import ConvolutionGeometry

function, instruction_set = sys.argv[1:3]
batch, channels, height, width, out_channels = map(int, sys.argv[3:])
assert cpu_convolution.instruction_set() == instruction_set, cpu_convolution.instruction_set()
page = mmap.PAGESIZE
memory = mmap.mmap(-1, 2 * page, prot=mmap.PROT_READ | mmap.PROT_WRITE)
start = ctypes.addressof(ctypes.c_char.from_buffer(memory))
libc = ctypes.CDLL(None, use_errno=True)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
assert libc.mprotect(start + page, page, 0) == 0, ctypes.get_errno()  # 0: PROT_NONE
count = batch * channels * height * width
x = np.frombuffer(memory, np.float32, count, page - 4 * count).reshape(batch, channels, height, width)
rng = np.random.default_rng()
x[...] = rng.standard_normal(x.shape)
weight = rng.standard_normal((out_channels, channels, 1, 1)).astype(np.float32)
grad = rng.standard_normal((batch, out_channels, height, width)).astype(np.float32)
geometry = ConvolutionGeometry((height, width), (height, width), (1, 1), (1, 1), (1, 1), ((0, 0), (0, 0)))
assert cpu_convolution.applies(x, weight, geometry)
if function == "forward":
    result, expected = cpu_convolution.forward(x, weight, geometry), np.einsum("oc,nchw->nohw", weight[:, :, 0, 0], x)
else:
    result, expected = cpu_convolution.weight_gradient(x, grad, geometry)[:, :, 0, 0], np.einsum("nohw,nchw->oc", grad, x)
np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-4)
"""

@pytest.mark.skipif(sys.platform != "linux", reason="places the input before a PROT_NONE page with mprotect")
@pytest.mark.parametrize("function, shape", [
    pytest.param("forward", (1, 1, 1, 37, 1), id="forward-(1,1,1,37)"),
    pytest.param("forward", (2, 3, 1, 45, 9), id="forward-(2,3,1,45)"),
    pytest.param("forward", (2, 3, 4, 8, 9), id="forward-(2,3,4,8)"),
    pytest.param("forward", (1, 2, 3, 16, 3), id="forward-(1,2,3,16)"),
    pytest.param("weight_gradient", (1, 1, 1, 37, 1), id="weight_gradient-(1,1,1,37)"),
    pytest.param("weight_gradient", (2, 3, 1, 45, 9), id="weight_gradient-(2,3,1,45)"),
])
def test_kernels_read_nothing_past_their_input(instruction_set, function, shape):
    """The last element of the input sits right before an unreadable page (shape is N, C, H, W, O;
    1x1 kernel, no padding); the child picks the instruction set from ``SPINDLE_CONVOLUTION_ISA``."""
    completed = subprocess.run(
        [sys.executable, "-c", READ_NEXT_TO_A_GUARD_PAGE, function, instruction_set, *map(str, shape)],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, OMP_NUM_THREADS="1", SPINDLE_CONVOLUTION_ISA=instruction_set),
    )
    assert completed.returncode == 0, f"exit status {completed.returncode}: {completed.stderr[-2000:]}"
