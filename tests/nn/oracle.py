"""PyTorch as the oracle of the nn tests: run the same computation in spindle and in PyTorch from the
same NumPy values, then compare outputs and gradients.

Because spindle follows PyTorch's API, most tests build both sides with one function taking the
framework (``spindle`` or ``torch``) as its argument.
"""
import numpy as np
import torch

import spindle
import spindle.nn  # noqa: F401  (makes spindle.nn reachable as an attribute)

NUMPY_DTYPES = {"float32": np.float32, "float64": np.float64}
# Largest error allowed, relative to the largest magnitude of the PyTorch value.
RELATIVE_TOLERANCE = {"float32": 1e-5, "float64": 1e-10}


def to_numpy(tensor):
    """The values of a spindle or torch tensor as a NumPy array."""
    return tensor.detach().numpy()


def to_torch(tensor):
    """A torch copy of a spindle tensor (same values and dtype)."""
    return torch.from_numpy(np.array(tensor.detach().numpy()))


def to_spindle(tensor):
    """A spindle copy of a torch tensor (same values and dtype)."""
    return spindle.from_numpy(np.array(tensor.detach().numpy()))


def assert_close(actual, expected, dtype="float32", tolerance=None):
    """``actual`` (spindle) equals ``expected`` (torch) up to a relative error measured against the
    largest magnitude of ``expected``; shapes and dtypes must match exactly."""
    actual_array, expected_array = to_numpy(actual), to_numpy(expected)
    assert actual_array.shape == expected_array.shape, (actual_array.shape, expected_array.shape)
    assert actual_array.dtype == expected_array.dtype, (actual_array.dtype, expected_array.dtype)
    if actual_array.dtype.kind != "f":
        np.testing.assert_array_equal(actual_array, expected_array)
        return
    tolerance = RELATIVE_TOLERANCE[dtype] if tolerance is None else tolerance
    assert np.array_equal(np.isnan(actual_array), np.isnan(expected_array)), "NaN positions differ"
    finite = np.isfinite(expected_array)
    np.testing.assert_array_equal(actual_array[~finite], expected_array[~finite])
    scale = max(float(np.abs(expected_array[finite]).max(initial=0.0)), 1e-30)
    error = float(np.abs(actual_array[finite].astype(np.float64) - expected_array[finite]).max(initial=0.0))
    assert error <= tolerance * scale, f"max error {error:.3e} exceeds {tolerance:.0e} x scale {scale:.3e}"


class Leaf:
    """One input given to both frameworks: leaves built from the same NumPy array, and the tensors
    actually passed to the computation (a transposed, non-contiguous view of the leaf when asked)."""

    def __init__(self, array, requires_grad=True, noncontiguous=False):
        requires_grad = requires_grad and array.dtype.kind == "f"
        stored = np.ascontiguousarray(np.swapaxes(array, -1, -2)) if noncontiguous else array
        self.spindle_leaf = spindle.tensor(stored, requires_grad=requires_grad)
        self.torch_leaf = torch.tensor(stored, requires_grad=requires_grad)
        self.spindle_input = self.spindle_leaf.transpose(-1, -2) if noncontiguous else self.spindle_leaf
        self.torch_input = self.torch_leaf.transpose(-1, -2) if noncontiguous else self.torch_leaf
        self.requires_grad = requires_grad


def random_array(rng, shape, dtype="float32", scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(NUMPY_DTYPES[dtype])


def check_against_torch(rng, compute, arrays, dtype="float32", noncontiguous=False, requires_grad=True,
                        tolerance=None, modules=None, constant_inputs=()):
    """Run ``compute(framework, *inputs)`` in both frameworks and compare the outputs, then the
    gradients of every floating input (and of every parameter of ``modules``, a pair
    ``(spindle_module, torch_module)``) after backpropagating the same random output gradient.

    ``arrays`` are NumPy arrays; with ``noncontiguous`` every input of 2 or more dims is passed as a
    transposed view. Inputs whose positions are in ``constant_inputs`` do not require grad.
    Returns the two outputs.
    """
    leaves = [
        Leaf(array, requires_grad=requires_grad and index not in constant_inputs,
             noncontiguous=noncontiguous and array.ndim >= 2)
        for index, array in enumerate(arrays)
    ]
    spindle_output = compute(spindle, *[leaf.spindle_input for leaf in leaves])
    torch_output = compute(torch, *[leaf.torch_input for leaf in leaves])
    assert_close(spindle_output, torch_output, dtype, tolerance)
    if not torch_output.requires_grad:
        return spindle_output, torch_output
    cotangent = rng.standard_normal(tuple(torch_output.shape)).astype(to_numpy(torch_output).dtype)
    spindle_output.backward(spindle.tensor(cotangent))
    torch_output.backward(torch.tensor(cotangent))
    for index, leaf in enumerate(leaves):
        if not leaf.requires_grad:
            continue
        if leaf.torch_leaf.grad is None:
            assert leaf.spindle_leaf.grad is None or not to_numpy(leaf.spindle_leaf.grad).any(), index
            continue
        assert leaf.spindle_leaf.grad is not None, f"input {index} got no gradient"
        assert_close(leaf.spindle_leaf.grad, leaf.torch_leaf.grad, dtype, tolerance)
    if modules is not None:
        assert_same_parameter_grads(*modules, dtype=dtype, tolerance=tolerance)
    return spindle_output, torch_output


def copy_state(torch_module, spindle_module):
    """Load ``torch_module``'s parameters and buffers into ``spindle_module`` (strict keys)."""
    state = {name: to_spindle(value) for name, value in torch_module.state_dict().items()}
    spindle_module.load_state_dict(state)


def module_pair(build):
    """The same module in both frameworks: ``build(framework)`` for each, spindle's loaded with
    PyTorch's initial parameters and buffers. Returns ``(ours, theirs)``."""
    theirs = build(torch)
    ours = build(spindle)
    copy_state(theirs, ours)
    return ours, theirs


def run_module(pair):
    """A ``compute(framework, *inputs)`` for ``check_against_torch`` that calls the pair's module."""
    ours, theirs = pair
    return lambda framework, *inputs: (ours if framework is spindle else theirs)(*inputs)


def assert_same_parameter_grads(spindle_module, torch_module, dtype="float32", tolerance=None):
    spindle_params = dict(spindle_module.named_parameters())
    torch_params = dict(torch_module.named_parameters())
    assert list(spindle_params) == list(torch_params)
    for name, torch_param in torch_params.items():
        if torch_param.grad is None:
            assert spindle_params[name].grad is None, name
        else:
            assert spindle_params[name].grad is not None, f"{name} got no gradient"
            assert_close(spindle_params[name].grad, torch_param.grad, dtype, tolerance)


def assert_same_state(spindle_module, torch_module, dtype="float32", tolerance=None):
    """Same state_dict keys, in order, with the same values."""
    spindle_state = spindle_module.state_dict()
    torch_state = torch_module.state_dict()
    assert list(spindle_state) == list(torch_state)
    for key, value in torch_state.items():
        assert_close(spindle_state[key], value, dtype, tolerance)


def error_of(function, *args, **kwargs):
    """The exception ``function`` raises (AssertionError if none)."""
    try:
        function(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the test compares whatever is raised
        return error
    raise AssertionError(f"{function} raised nothing")


def assert_same_error(compute):
    """``compute(framework)`` raises the same exception type with the same message in both
    frameworks (where PyTorch names a type ``torch.X``, ours reads ``spindle.X``)."""
    expected = error_of(compute, torch)
    actual = error_of(compute, spindle)
    assert type(actual) is type(expected), (actual, expected)
    assert str(actual).replace("spindle.", "torch.") == str(expected), (str(actual), str(expected))
