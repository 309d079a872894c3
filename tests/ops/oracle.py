"""PyTorch as the oracle of the op tests.

Every check runs one function, written once against the shared API as ``function(framework, *inputs)``,
in spindle and in PyTorch on inputs built from the same NumPy arrays, and compares what comes out:

* ``check_op``: forward values, shapes, dtypes and ``requires_grad`` of every output, then the
  gradients of every floating input after backpropagating the same random upstream gradient. Inputs
  can be given in four memory layouts (``LAYOUTS``); the layout op is applied identically in both
  frameworks to a leaf, so the gradient also flows back through the view.
* ``check_gradcheck``: spindle's gradients against finite differences (``spindle.autograd.gradcheck``),
  independently of PyTorch.
* ``check_second_order``: first gradients taken with ``create_graph=True``, then differentiated again;
  the second-order gradients of the inputs and of the upstream gradient are compared with PyTorch's.
* ``assert_same_error``: both frameworks raise the same exception type; spindle's message names the
  offending shapes or dims.

Arrays are drawn fresh each run from the ``rng`` fixture of ``tests/conftest.py``, which reports the
seed of a failing test (rerun with ``--seed N``).
"""
import numpy as np
import pytest
import torch

import spindle

DTYPES = ("float32", "float64")
LAYOUTS = ("contiguous", "transposed", "strided", "expanded")
# Largest error allowed relative to each expected element, and also as an absolute error for elements
# near zero, whose value comes out of a cancellation of terms of order one (inputs are of order one).
TOLERANCE = {np.dtype(np.float16): 1e-3, np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}


def random_array(rng, shape, dtype="float64", low=None, high=None, scale=1.0):
    """Normal values of ``shape`` (standard deviation ``scale``), or uniform in ``[low, high)`` (an op's
    domain) when given. Always an ndarray, also for shape ``()``."""
    if low is None:
        values = rng.standard_normal(shape) * scale
    else:
        values = rng.uniform(low, high, shape)
    return np.asarray(values).astype(dtype)


def random_integers(rng, shape, low=-5, high=6, dtype="int64"):
    return rng.integers(low, high, shape).astype(dtype)


def case_id(case):
    """A short pytest id for a tuple of parameters: ``(3,4)-(2,4)-transposed``."""
    return "-".join(str(part).replace(" ", "").replace("'", "") for part in case)


def _layout_base(values, layout):
    """The array to store in the leaf, and the view (the same for both frameworks) that shows ``values``.

    * ``transposed``: the leaf holds the transpose of the last two dims, the view is ``.mT``.
    * ``strided``: the leaf is larger (the rest filled with other values); the view is ``[::2, 1::3]``.
    * ``expanded``: the leaf holds the first slice of dim 0 only, the view expands it back, so the
      values the op sees repeat along dim 0.
    Arrays of too few dims for a layout are used as they are.
    """
    if layout == "contiguous" or values.ndim == 0:
        return values, lambda tensor: tensor
    if layout == "transposed":
        if values.ndim < 2:
            return values, lambda tensor: tensor
        return np.ascontiguousarray(np.swapaxes(values, -1, -2)), lambda tensor: tensor.mT
    if layout == "strided":
        index = (slice(None, None, 2),) if values.ndim == 1 else (slice(None, None, 2), slice(1, None, 3))
        shape = list(values.shape)
        shape[0] = 2 * shape[0]
        if values.ndim > 1:
            shape[1] = 3 * shape[1] + 1
        base = np.full(shape, 1000, dtype=values.dtype)  # values the view must never show
        base[index] = values
        return base, lambda tensor: tensor[index]
    if layout == "expanded":
        return np.ascontiguousarray(values[:1]), lambda tensor: tensor.expand(values.shape)
    raise ValueError(f"unknown layout {layout!r}")


class Input:
    """One NumPy array given to both frameworks: a leaf each (requiring grad when floating) and the view
    of it, in ``layout``, that the computation receives."""

    def __init__(self, array, layout="contiguous", requires_grad=True):
        base, view = _layout_base(np.asarray(array), layout)
        self.requires_grad = requires_grad and base.dtype.kind == "f"
        self.spindle_leaf = spindle.tensor(base, requires_grad=self.requires_grad)
        self.torch_leaf = torch.tensor(base, requires_grad=self.requires_grad)
        self.spindle = view(self.spindle_leaf)
        self.torch = view(self.torch_leaf)


def _inputs(args, layout, requires_grad=True):
    """NumPy arrays among ``args`` become ``Input``s; other arguments are passed as they are."""
    return [Input(arg, layout, requires_grad) if isinstance(arg, np.ndarray) else arg for arg in args]


def _framework_args(inputs, framework):
    side = "spindle" if framework is spindle else "torch"
    return [getattr(item, side) if isinstance(item, Input) else item for item in inputs]


def flatten_outputs(output):
    """An op's result as a flat list: tensors and plain values, from nested tuples and lists."""
    if isinstance(output, (tuple, list)):
        return [leaf for item in output for leaf in flatten_outputs(item)]
    return [output]


def to_numpy(tensor):
    return tensor.detach().numpy(force=True)  # force: PyTorch may hand back a lazy zero tensor


def loosest_tolerance(*arrays):
    """The tolerance of the least precise floating dtype among ``arrays`` (a float64 gradient of a
    computation done in float32 carries float32 rounding errors)."""
    tolerances = [TOLERANCE[array.dtype] for array in arrays if array.dtype.kind == "f"]
    return max(tolerances, default=0.0)


def assert_close(actual, expected, what="value", tolerance=None):
    """A spindle tensor equals a torch tensor: same shape and dtype, values within ``tolerance`` (by
    default the dtype's; exact for integers and bools), NaN and infinities in the same places."""
    assert isinstance(actual, spindle.Tensor), f"{what}: expected a spindle.Tensor, got {type(actual).__name__}"
    actual_array, expected_array = to_numpy(actual), to_numpy(expected)
    assert actual_array.shape == expected_array.shape, f"{what}: shape {actual_array.shape} != {expected_array.shape}"
    assert actual_array.dtype == expected_array.dtype, f"{what}: dtype {actual_array.dtype} != {expected_array.dtype}"
    if actual_array.dtype.kind != "f":
        np.testing.assert_array_equal(actual_array, expected_array, err_msg=what)
        return
    tolerance = TOLERANCE[actual_array.dtype] if tolerance is None else max(tolerance, TOLERANCE[actual_array.dtype])
    np.testing.assert_allclose(actual_array, expected_array, rtol=tolerance, atol=tolerance, err_msg=what)


def assert_same_outputs(spindle_output, torch_output, tolerance=None):
    """Compare results element by element (tensors, and plain values such as sizes)."""
    spindle_items, torch_items = flatten_outputs(spindle_output), flatten_outputs(torch_output)
    assert len(spindle_items) == len(torch_items), f"{len(spindle_items)} outputs, torch has {len(torch_items)}"
    for position, (actual, expected) in enumerate(zip(spindle_items, torch_items)):
        if isinstance(expected, torch.Tensor):
            assert_close(actual, expected, f"output {position}", tolerance)
            assert actual.requires_grad == expected.requires_grad, f"output {position}: requires_grad differs"
        else:
            assert actual == expected, f"output {position}: {actual!r} != {expected!r}"


def _upstream_gradients(rng, torch_outputs):
    return [random_array(rng, tuple(output.shape), to_numpy(output).dtype) for output in torch_outputs]


def check_op(rng, function, *args, layout="contiguous", backward=True):
    """Run ``function(framework, *args)`` in both frameworks and compare outputs, then input gradients.

    NumPy arrays in ``args`` become inputs in ``layout`` (floating ones require grad); other arguments
    (dims, scalars, shapes) are passed unchanged. Returns the spindle and torch outputs.
    """
    inputs = _inputs(args, layout)
    spindle_output = function(spindle, *_framework_args(inputs, spindle))
    torch_output = function(torch, *_framework_args(inputs, torch))
    tensors = [to_numpy(item) for item in flatten_outputs(torch_output) if isinstance(item, torch.Tensor)]
    tolerance = loosest_tolerance(*[arg for arg in args if isinstance(arg, np.ndarray)], *tensors)
    assert_same_outputs(spindle_output, torch_output, tolerance)
    pairs = [
        (actual, expected)
        for actual, expected in zip(flatten_outputs(spindle_output), flatten_outputs(torch_output))
        if isinstance(expected, torch.Tensor) and expected.requires_grad
    ]
    if not backward or not pairs:
        return spindle_output, torch_output
    upstream = _upstream_gradients(rng, [expected for _, expected in pairs])
    spindle.autograd.backward([actual for actual, _ in pairs], [spindle.tensor(g) for g in upstream])
    torch.autograd.backward([expected for _, expected in pairs], [torch.tensor(g) for g in upstream])
    for position, item in enumerate(inputs):
        if not isinstance(item, Input) or not item.requires_grad:
            continue
        if item.torch_leaf.grad is None:
            assert item.spindle_leaf.grad is None, f"input {position}: torch computes no gradient, spindle does"
            continue
        assert item.spindle_leaf.grad is not None, f"input {position} got no gradient"
        assert_close(item.spindle_leaf.grad, item.torch_leaf.grad, f"gradient of input {position}", tolerance)
    return spindle_output, torch_output


def check_gradcheck(function, *args):
    """``spindle.autograd.gradcheck`` of ``function(spindle, *args)`` at float64 copies of the arrays."""
    inputs = [
        spindle.tensor(arg.astype(np.float64), requires_grad=True)
        if isinstance(arg, np.ndarray) and arg.dtype.kind == "f"
        else spindle.tensor(arg) if isinstance(arg, np.ndarray) else arg
        for arg in args
    ]
    assert spindle.autograd.gradcheck(lambda *values: function(spindle, *values), inputs)


def _second_order(framework, function, inputs, upstream_arrays, weight_arrays):
    """Gradients of sum(first_grads * weights) with respect to the inputs and the upstream gradients."""
    outputs = [
        output
        for output in flatten_outputs(function(framework, *_framework_args(inputs, framework)))
        if isinstance(output, framework.Tensor) and output.requires_grad
    ]
    side = "spindle_leaf" if framework is spindle else "torch_leaf"
    leaves = [getattr(item, side) for item in inputs if isinstance(item, Input) and item.requires_grad]
    upstream = [framework.tensor(g, requires_grad=True) for g in upstream_arrays]
    first = framework.autograd.grad(outputs, leaves, upstream, create_graph=True, allow_unused=True)
    total = sum(
        (grad * framework.tensor(weight)).sum() for grad, weight in zip(first, weight_arrays) if grad is not None
    )
    total.backward()
    first = [framework.zeros_like(leaf) if grad is None else grad for grad, leaf in zip(first, leaves)]
    second = [framework.zeros_like(tensor) if tensor.grad is None else tensor.grad for tensor in leaves + upstream]
    return first, second


def check_second_order(rng, function, *args, layout="contiguous"):
    """First gradients with ``create_graph=True`` (float64), differentiated again: the gradients of
    ``sum(first_gradient * random_weight)`` with respect to every input and every upstream gradient must
    equal PyTorch's. A gradient that one framework leaves undefined counts as zero."""
    args = [arg.astype(np.float64) if isinstance(arg, np.ndarray) and arg.dtype.kind == "f" else arg for arg in args]
    inputs = _inputs(args, layout)
    torch_outputs = [
        output
        for output in flatten_outputs(function(torch, *_framework_args(inputs, torch)))
        if isinstance(output, torch.Tensor) and output.requires_grad
    ]
    upstream = _upstream_gradients(rng, torch_outputs)
    leaves = [item.torch_leaf for item in inputs if isinstance(item, Input) and item.requires_grad]
    weights = [random_array(rng, tuple(leaf.shape)) for leaf in leaves]
    spindle_first, spindle_second = _second_order(spindle, function, inputs, upstream, weights)
    torch_first, torch_second = _second_order(torch, function, inputs, upstream, weights)
    for position, (actual, expected) in enumerate(zip(spindle_first, torch_first)):
        assert_close(actual, expected, f"first gradient {position}")
    for position, (actual, expected) in enumerate(zip(spindle_second, torch_second)):
        assert_close(actual, expected, f"second-order gradient {position}")


def error_of(call):
    """The exception ``call()`` raises (fails the test if none)."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the caller compares whatever is raised
        return error
    pytest.fail(f"{call} raised nothing")


def assert_same_error(function, *args, mentions=()):
    """``function(framework, *args)`` raises in PyTorch; spindle raises the same exception type, with a
    message containing every text of ``mentions`` (the shapes or dims at fault)."""
    inputs = _inputs(args, "contiguous", requires_grad=False)
    expected = error_of(lambda: function(torch, *_framework_args(inputs, torch)))
    actual = error_of(lambda: function(spindle, *_framework_args(inputs, spindle)))
    assert isinstance(actual, type(expected)), f"spindle raised {actual!r}, torch raised {expected!r}"
    for text in mentions:
        assert text in str(actual), f"{text!r} is not mentioned in {str(actual)!r}"
    return actual


def check_op_or_same_error(rng, function, *args, **options):
    """``check_op``, or where PyTorch raises for these arguments, ``assert_same_error``."""
    inputs = _inputs(args, "contiguous", requires_grad=False)
    try:
        function(torch, *_framework_args(inputs, torch))
    except Exception:  # noqa: BLE001 - whatever torch raises, spindle must raise too
        assert_same_error(function, *args)
        return
    check_op(rng, function, *args, **options)
