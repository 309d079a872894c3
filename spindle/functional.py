"""Top-level tensor functions (``spindle.exp(x)``, ``spindle.cat``, ``spindle.where``...) that are not
simply the Tensor method of the same name."""
from . import _dtype
from .ops import elementwise, shape
from .tensor import Tensor, _as_tensor_like


def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dim (all other sizes must match)."""
    return shape.Cat.apply(tensors, dim)


concat = cat
concatenate = cat


def stack(tensors, dim=0, *, out=None):
    """Join equally shaped tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = tensors[0].shape
    for index, tensor in enumerate(tensors):
        if tensor.shape != first:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 and "
                f"{list(tensor.shape)} at entry {index}"
            )
    return shape.Cat.apply([t.unsqueeze(dim) for t in tensors], dim if dim >= 0 else dim + len(first) + 1)


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


def where(condition, input=None, other=None):
    """``where(condition, input, other)``: elementwise choice; ``where(condition)`` is ``nonzero(as_tuple=True)``."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    return elementwise.Where.apply(condition, input, other)


def clamp(input, min=None, max=None):
    return input.clamp(min, max)


clip = clamp


def maximum(input, other):
    return input.maximum(other)


def minimum(input, other):
    return input.minimum(other)


def pow(input, exponent):
    if isinstance(input, Tensor):
        return input.pow(exponent)
    return elementwise.Pow.apply(input, exponent)


def add(input, other, *, alpha=1):
    return _as_tensor_like(input, other).add(other, alpha=alpha)


def sub(input, other, *, alpha=1):
    return _as_tensor_like(input, other).sub(other, alpha=alpha)


subtract = sub


def mul(input, other):
    return _as_tensor_like(input, other).mul(other)


multiply = mul


def div(input, other, *, rounding_mode=None):
    return _as_tensor_like(input, other).div(other, rounding_mode=rounding_mode)


divide = div
true_divide = div


def numel(input):
    return input.numel()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def result_type(tensor1, tensor2):
    return _dtype.result_type(tensor1, tensor2)


def can_cast(from_, to):
    import numpy as np

    return bool(np.can_cast(from_.numpy_dtype, to.numpy_dtype, "same_kind"))


def broadcast_shapes(*shapes):
    import numpy as np

    from .tensor import Size

    try:
        return Size(np.broadcast_shapes(*[tuple(s) if not isinstance(s, int) else (s,) for s in shapes]))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: {[list(s) for s in shapes]}") from None


def broadcast_tensors(*tensors):
    target = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(target) for t in tensors)


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    count = len(tensors)
    sizes = [t.numel() for t in tensors]
    grids = []
    for position, tensor in enumerate(tensors):
        view_shape = [1] * count
        view_shape[position] = sizes[position]
        grids.append(tensor.reshape(view_shape).expand(sizes))
    if indexing == "xy" and count >= 2:
        grids = [g.transpose(0, 1) for g in grids]
    return tuple(grids)


def einsum(equation, *operands):
    """Einstein summation by aligning operands on all letters, multiplying and summing (differentiable)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    inputs_text, _, output_text = equation.replace(" ", "").partition("->")
    input_terms = inputs_text.split(",")
    if not _:
        letters = sorted(set("".join(input_terms)))
        output_text = "".join(c for c in letters if "".join(input_terms).count(c) == 1)
    all_letters = sorted(set("".join(input_terms)) | set(output_text))
    sizes = {}
    for term, tensor in zip(input_terms, operands):
        for letter, size in zip(term, tensor.shape):
            sizes[letter] = max(sizes.get(letter, 1), size)
    product = None
    for term, tensor in zip(input_terms, operands):
        order = [term.index(c) for c in all_letters if c in term]
        present = [c for c in all_letters if c in term]
        aligned = tensor.permute(order) if order != list(range(len(order))) else tensor
        full_shape = [aligned.shape[present.index(c)] if c in present else 1 for c in all_letters]
        aligned = aligned.reshape(full_shape)
        product = aligned if product is None else product * aligned
    reduce_axes = tuple(i for i, c in enumerate(all_letters) if c not in output_text)
    result = product.sum(reduce_axes) if reduce_axes else product
    remaining = [c for c in all_letters if c in output_text]
    return result.permute([remaining.index(c) for c in output_text]) if remaining else result
