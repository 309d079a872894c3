"""``autograd.backward`` and ``autograd.grad``: entry points into the backward engine."""
from ..backend.device import namespace_of
from ..ops import op as op_module
from .graph import run_backward


def _as_tuple(value):
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,)


def _ones_like(tensor):
    data = tensor._data
    return op_module.Tensor._wrap(namespace_of(data).ones(data.shape, dtype=data.dtype))


def _root_gradients(outputs, grad_outputs):
    grads = []
    for position, output in enumerate(outputs):
        if not output._requires_grad:
            raise RuntimeError(f"element {position} of tensors does not require grad and does not have a grad_fn")
        grad = grad_outputs[position] if grad_outputs is not None and position < len(grad_outputs) else None
        if grad is None:
            if output.numel() != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (got a tensor of shape {list(output.shape)}; "
                    "pass `gradient=` with that shape)"
                )
            grad = _ones_like(output)
        elif not isinstance(grad, op_module.Tensor):
            grad = op_module.Tensor._wrap(_ones_like(output)._data * grad)
        elif grad.shape != output.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{position}] has a shape of {list(grad.shape)} and output[{position}] "
                f"has a shape of {list(output.shape)}."
            )
        grads.append(grad)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulate the gradients of ``tensors`` (weighted by ``grad_tensors``) into the leaves' ``.grad``."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors if grad_tensors is not None else grad_variables)
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    run_backward(tensors, _root_gradients(tensors, grad_tensors), retain_graph, create_graph, inputs=inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs`` (a tuple), without touching ``.grad``."""
    outputs = _as_tuple(outputs)
    inputs_tuple = _as_tuple(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    for position, tensor in enumerate(inputs_tuple):
        if not tensor._requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {position}) does not require grad")
    grads = run_backward(outputs, _root_gradients(outputs, _as_tuple(grad_outputs)), retain_graph, create_graph,
                         inputs=inputs_tuple, accumulate=False)
    result = []
    for tensor, gradient in zip(inputs_tuple, grads):
        if gradient is None:
            if materialize_grads:
                from ..factory import zeros_like

                gradient = zeros_like(tensor)
            elif not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph:
            gradient = gradient.detach()
        result.append(gradient)
    return tuple(result)
