"""``gradcheck`` / ``gradgradcheck``: compare analytical gradients with central finite differences."""
import numpy as np

from ..ops import op as op_module
from .functional import grad as autograd_grad


class GradcheckError(RuntimeError):
    """Raised when analytical and numerical gradients disagree."""


def _outputs_as_tuple(outputs):
    return outputs if isinstance(outputs, tuple) else (outputs,)


def _differentiable_inputs(inputs):
    Tensor = op_module.Tensor
    return [(position, t) for position, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _numerical_jacobian(function, inputs, input_tensor, output_index, eps):
    """d output / d input_tensor by central differences: shape (input numel, output numel)."""
    flat_input = input_tensor._data.reshape(-1) if input_tensor._data.flags.c_contiguous else None
    if flat_input is None:
        raise GradcheckError("gradcheck needs contiguous inputs")
    columns = []
    for element in range(flat_input.size):
        original = flat_input[element].item()
        # The input's memory is perturbed directly (no graph is involved), so grad mode stays as it is:
        # gradgradcheck's function itself calls autograd.
        flat_input[element] = original + eps
        plus = _outputs_as_tuple(function(*inputs))[output_index].__array__().astype(np.float64).copy()
        flat_input[element] = original - eps
        minus = _outputs_as_tuple(function(*inputs))[output_index].__array__().astype(np.float64).copy()
        flat_input[element] = original
        columns.append(((plus - minus) / (2 * eps)).reshape(-1))
    return np.stack(columns) if columns else np.zeros((0, 0))


def _analytical_jacobian(outputs, output_index, input_tensor, create_graph=False):
    output = outputs[output_index]
    rows = []
    for element in range(output.numel()):
        seed = np.zeros(output.numel(), dtype=output._data.dtype)
        seed[element] = 1.0
        grad_output = op_module.Tensor._wrap(seed.reshape(output._data.shape))
        (gradient,) = autograd_grad(output, input_tensor, grad_output, retain_graph=True, allow_unused=True)
        rows.append(np.zeros(input_tensor.numel()) if gradient is None else gradient.__array__().astype(np.float64).reshape(-1))
    return np.stack(rows, axis=1) if rows else np.zeros((input_tensor.numel(), 0))


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """Check ``func``'s gradients at ``inputs`` against finite differences (use float64 inputs).

    Returns True, or raises ``GradcheckError`` naming the input/output pair and both Jacobians.
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    differentiable = _differentiable_inputs(inputs)
    if not differentiable:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    outputs = _outputs_as_tuple(func(*inputs))
    for output_index, output in enumerate(outputs):
        if not isinstance(output, op_module.Tensor) or not output.requires_grad:
            continue
        for position, input_tensor in differentiable:
            numerical = _numerical_jacobian(func, inputs, input_tensor, output_index, eps)
            analytical = _analytical_jacobian(outputs, output_index, input_tensor)
            if not np.allclose(analytical, numerical, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {output_index} with respect to input {position},\n"
                    f"numerical:{numerical}\nanalytical:{analytical}\n"
                )
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, **unused):
    """Check second derivatives: gradcheck of the function inputs -> (gradients of func w.r.t. inputs)."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    outputs = _outputs_as_tuple(func(*inputs))
    Tensor = op_module.Tensor
    if grad_outputs is None:
        from ..random import randn

        grad_outputs = tuple(randn(*o.shape, dtype=o.dtype, requires_grad=True) for o in outputs)
    grad_outputs = tuple(grad_outputs)

    def first_derivatives(*all_inputs):
        primal = all_inputs[: len(inputs)]
        weights = all_inputs[len(inputs):]
        result = _outputs_as_tuple(func(*primal))
        wanted = [t for t in primal if isinstance(t, Tensor) and t.requires_grad]
        return autograd_grad(result, wanted, weights, create_graph=True, allow_unused=True)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
