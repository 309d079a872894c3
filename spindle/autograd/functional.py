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


# ---------------------------------------------------------------------- higher-level functional API
# ``torch.autograd.functional``: Jacobians, Hessians and vector products of a function of tensors,
# all built on reverse mode (``jvp`` with PyTorch's double-backward trick).


def _as_tuple_with_flag(value, argument_name, function_name):
    """``(was_tuple, tuple_of_tensors)``, with PyTorch's TypeError for anything but Tensors."""
    was_tuple = isinstance(value, tuple)
    values = value if was_tuple else (value,)
    for position, element in enumerate(values):
        if not isinstance(element, op_module.Tensor):
            where = f"The {argument_name} given to {function_name} must be either a Tensor or a tuple of Tensors"
            raise TypeError(f"{where} but the value at index {position} has type {type(element)}.")
    return was_tuple, values


def _prepare_inputs(inputs, create_graph):
    """Fresh leaves (or, with ``create_graph``, differentiable views) of ``inputs`` that require grad."""
    from .grad_mode import enable_grad

    if create_graph:
        with enable_grad():
            return tuple(tensor if tensor.requires_grad else tensor.view_as(tensor).requires_grad_() for tensor in inputs)
    return tuple(tensor.detach().requires_grad_() for tensor in inputs)


def _call_function(function, inputs, function_name):
    from .grad_mode import enable_grad

    with enable_grad():
        outputs = function(*inputs)
    return _as_tuple_with_flag(outputs, "outputs of the user-provided function", function_name)


def _vector_products(outputs, inputs, vectors, create_graph, strict, strict_message):
    """Vector-Jacobian products ``sum_k vectors[k] . d outputs[k] / d inputs``, zeros (or, with
    ``strict``, a RuntimeError) where an input does not influence the outputs."""
    from ..factory import zeros_like

    pairs = [(output, vector) for output, vector in zip(outputs, vectors) if output.requires_grad]
    if pairs:
        products = grad(
            [output for output, _ in pairs], inputs, [vector for _, vector in pairs],
            retain_graph=True, create_graph=create_graph, allow_unused=True,
        )
    else:
        products = (None,) * len(inputs)
    result = []
    for position, (product, tensor) in enumerate(zip(products, inputs)):
        if product is None:
            if strict:
                raise RuntimeError(strict_message.format(position))
            product = zeros_like(tensor)
        result.append(product)
    return tuple(result)


def _finish(values, create_graph, was_tuple):
    values = tuple(value if create_graph else value.detach() for value in values)
    return values if was_tuple else values[0]


def _check_vectors(vectors, references, name, function_name):
    if len(vectors) != len(references):
        raise RuntimeError(
            f"The given {name} should contain a single Tensor for each {'input' if name == 'v' else 'output'}, "
            f"got {len(vectors)} but expected {len(references)}."
        )
    for position, (vector, reference) in enumerate(zip(vectors, references)):
        if vector.shape != reference.shape:
            raise RuntimeError(
                f"Entry {position} in {name} has invalid size: should be {reference.shape} but got {vector.shape}."
            )


def _default_vector(references, function_name):
    if any(reference.numel() != 1 for reference in references):
        raise RuntimeError(
            "The vector v can only be None if the user-provided function returns a single Tensor with a single "
            "element." if function_name != "jvp" else
            "The vector v can only be None if the input to the user-provided function is a single Tensor with a "
            "single element."
        )
    return tuple(_ones_like(reference) for reference in references)


_INDEPENDENT = "The output of the user-provided function is independent of input {}. This is not allowed in strict mode."


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), v^T J)``: the function's output and the vector-Jacobian product with ``v``
    (shaped like the output), shaped like the inputs. Tuples in, tuples out; ``v`` may be None for a
    single one-element output."""
    from .grad_mode import enable_grad

    with enable_grad():
        inputs_were_tuple, inputs = _as_tuple_with_flag(inputs, "inputs", "vjp")
        inputs = _prepare_inputs(inputs, create_graph)
        outputs_were_tuple, outputs = _call_function(func, inputs, "vjp")
        if v is None:
            vectors = _default_vector(outputs, "vjp")
        else:
            _, vectors = _as_tuple_with_flag(v, "v", "vjp")
            _check_vectors(vectors, outputs, "v", "vjp")
        products = _vector_products(outputs, inputs, vectors, create_graph, strict, _INDEPENDENT)
    return _finish(outputs, create_graph, outputs_were_tuple), _finish(products, create_graph, inputs_were_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), J v)``: the function's output and the Jacobian-vector product with ``v``
    (shaped like the inputs), shaped like the output. Computed by differentiating a vector-Jacobian
    product with respect to its (dummy) vector, as PyTorch does."""
    from .grad_mode import enable_grad
    from ..factory import zeros_like

    with enable_grad():
        inputs_were_tuple, inputs = _as_tuple_with_flag(inputs, "inputs", "jvp")
        inputs = _prepare_inputs(inputs, create_graph)
        if v is None:
            vectors = _default_vector(inputs, "jvp")
        else:
            _, vectors = _as_tuple_with_flag(v, "v", "jvp")
            _check_vectors(vectors, inputs, "v", "jvp")
        outputs_were_tuple, outputs = _call_function(func, inputs, "jvp")
        dummies = tuple(zeros_like(output).requires_grad_() for output in outputs)
        backward_products = _vector_products(outputs, inputs, dummies, True, strict, _INDEPENDENT)
        products = _vector_products(
            backward_products, dummies, vectors, create_graph, strict,
            "The output of the user-provided function is independent of input {}. This is not allowed in strict mode.",
        )
    return _finish(outputs, create_graph, outputs_were_tuple), _finish(products, create_graph, outputs_were_tuple)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for output ``i`` and input ``j`` a tensor of shape
    ``outputs[i].shape + inputs[j].shape``, nested as tuples the way the inputs and outputs are.
    Computed one output element at a time in reverse mode; ``vectorize`` and ``strategy`` are accepted
    and give the same values."""
    from .grad_mode import enable_grad
    from ..functional import stack

    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more '
            'outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("torch.autograd.functional.jacobian: `strategy=\"forward-mode\"` is only implemented when `vectorize=True`.")
    with enable_grad():
        inputs_were_tuple, inputs = _as_tuple_with_flag(inputs, "inputs", "jacobian")
        inputs = _prepare_inputs(inputs, create_graph)
        outputs_were_tuple, outputs = _call_function(func, inputs, "jacobian")
        jacobians = []
        for output_position, output in enumerate(outputs):
            flat_output = output.reshape(-1)
            rows = [[] for _ in inputs]
            for element in range(flat_output.numel()):
                message = (
                    f"Output {output_position} of the user-provided function is independent of input {{}}. "
                    "This is not allowed in strict mode."
                )
                row = _vector_products((flat_output[element],), inputs, (_ones_like(flat_output[element]),),
                                       create_graph, strict, message)
                for position, value in enumerate(row):
                    rows[position].append(value)
            blocks = []
            for tensor, row in zip(inputs, rows):
                if row:
                    block = stack(row).reshape(tuple(output.shape) + tuple(tensor.shape))
                else:
                    from ..factory import zeros

                    block = zeros(tuple(output.shape) + tuple(tensor.shape), dtype=tensor.dtype, device=tensor.device)
                blocks.append(block if create_graph else block.detach())
            jacobians.append(tuple(blocks) if inputs_were_tuple else blocks[0])
    if outputs_were_tuple:
        return tuple(jacobians)
    return jacobians[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar-valued ``func`` at ``inputs``: for inputs ``i`` and ``j`` a tensor of
    shape ``inputs[i].shape + inputs[j].shape`` (a tuple of tuples when ``inputs`` is a tuple)."""
    inputs_were_tuple, inputs_tuple = _as_tuple_with_flag(inputs, "inputs", "hessian")

    def gradient_of_function(*arguments):
        outputs_were_tuple, outputs = _call_function(func, arguments, "hessian")
        if outputs_were_tuple or outputs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element.")
        return _vector_products(outputs, arguments, (_ones_like(outputs[0]),), True, strict,
                                "The function given to hessian is independent of input {}. This is not allowed in strict mode.")

    result = jacobian(gradient_of_function, inputs_tuple, create_graph=create_graph, strict=strict,
                      vectorize=vectorize, strategy=outer_jacobian_strategy)
    return result if inputs_were_tuple else result[0][0]


def _hessian_vector(func, inputs, v, create_graph, strict, function_name):
    from .grad_mode import enable_grad

    with enable_grad():
        inputs_were_tuple, inputs = _as_tuple_with_flag(inputs, "inputs", function_name)
        inputs = _prepare_inputs(inputs, create_graph)
        if v is None:
            vectors = _default_vector(inputs, "jvp")
        else:
            _, vectors = _as_tuple_with_flag(v, "v", function_name)
            _check_vectors(vectors, inputs, "v", function_name)
        outputs_were_tuple, outputs = _call_function(func, inputs, function_name)
        if outputs_were_tuple or outputs[0].numel() != 1:
            raise RuntimeError(
                f"The function given to {function_name} should return a single Tensor with a single element."
            )
        gradients = _vector_products(outputs, inputs, (_ones_like(outputs[0]),), True, strict, _INDEPENDENT)
        products = _vector_products(gradients, inputs, vectors, create_graph, strict, _INDEPENDENT)
    return _finish(outputs, create_graph, False), _finish(products, create_graph, inputs_were_tuple)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), v^T H)``: a scalar function's value and the product of ``v`` (shaped like the
    inputs) with its Hessian at ``inputs``."""
    return _hessian_vector(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), H v)``: a scalar function's value and its Hessian at ``inputs`` times ``v``.
    The Hessian is symmetric for twice-differentiable functions, so this equals ``vhp``."""
    return _hessian_vector(func, inputs, v, create_graph, strict, "hvp")
