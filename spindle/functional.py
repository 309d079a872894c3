"""Top-level tensor functions (``spindle.exp(x)``, ``spindle.cat``, ``spindle.where``...) that are not
simply the Tensor method of the same name."""
from . import _dtype
from .backend.device import namespace_of
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


row_stack = vstack


def _at_least(tensors, make):
    """One tensor in, one out; several (or a list/tuple) in, a tuple out."""
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return make(tensors[0])
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    return tuple(make(tensor) for tensor in tensors)


def atleast_1d(*tensors):
    """Each tensor as is, a 0-d one as shape ``(1,)``."""
    return _at_least(tensors, lambda tensor: tensor.reshape(1) if tensor.ndim == 0 else tensor)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims: 0-d as ``(1, 1)``, ``(n,)`` as ``(1, n)``."""
    return _at_least(tensors, lambda tensor: tensor.reshape(1, -1) if tensor.ndim < 2 else tensor)


def _as_3d(tensor):
    if tensor.ndim == 0:
        return tensor.reshape(1, 1, 1)
    if tensor.ndim == 1:
        return tensor.reshape(1, -1, 1)
    if tensor.ndim == 2:
        return tensor.unsqueeze(-1)
    return tensor


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims: 0-d as ``(1, 1, 1)``, ``(n,)`` as ``(1, n, 1)``, ``(m, n)`` as ``(m, n, 1)``."""
    return _at_least(tensors, _as_3d)


def column_stack(tensors):
    """Join along dim 1, with 0-d and 1-d tensors taken as columns ``(n, 1)``."""
    return cat([tensor.reshape(-1, 1) if tensor.ndim < 2 else tensor for tensor in tensors], 1)


def dstack(tensors):
    """Join along dim 2 (depth), after ``atleast_3d``."""
    return cat([_as_3d(tensor) for tensor in tensors], 2)


def block_diag(*tensors):
    """A block-diagonal matrix of the inputs (0-d as 1x1, 1-d as a row), zeros elsewhere: shape
    ``(sum of rows, sum of columns)``, of the promoted dtype."""
    matrices = []
    for position, tensor in enumerate(tensors):
        if tensor.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {position} has {tensor.ndim} dimensions"
            )
        matrices.append(tensor.reshape(1, -1) if tensor.ndim < 2 else tensor)
    if not matrices:
        from .factory import empty

        return empty(1, 0)
    dtype = _dtype.result_type(*matrices) if len({matrix.dtype for matrix in matrices}) > 1 else matrices[0].dtype
    columns = sum(matrix.shape[1] for matrix in matrices)
    rows = []
    before = 0
    for matrix in matrices:
        after = columns - before - matrix.shape[1]
        pieces = [matrix.new_zeros(matrix.shape[0], before, dtype=dtype), matrix.to(dtype),
                  matrix.new_zeros(matrix.shape[0], after, dtype=dtype)]
        rows.append(cat(pieces, 1))
        before += matrix.shape[1]
    return cat(rows, 0)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-d tensor, as rows of a ``(product of sizes, count)``
    tensor (a single tensor comes back as it is)."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([grid.reshape(-1) for grid in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of a 1-d tensor's elements (in ``itertools`` order), as rows of a
    ``(count, r)`` tensor."""
    import itertools

    import numpy as np

    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty(0)
    choose = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = np.array(list(choose(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    from .backend.device import move

    index = Tensor._wrap(move(rows.reshape(-1), input.device))
    return input.index_select(0, index).reshape(-1, r)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-d ``x``: columns ``x**(N-1), ..., x, 1`` (reversed when ``increasing``),
    ``N`` defaulting to ``len(x)``; integers stay int64, floats keep their dtype."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    count = x.shape[0] if N is None else N
    if count < 0:
        raise RuntimeError("N must be non-negative.")
    source = x.to(_dtype.int64) if not x.is_floating_point() else x
    if count == 0:
        return source.new_empty(x.shape[0], 0)
    columns = [source.new_ones(x.shape[0], 1)]
    if count > 1:
        columns.append(source.unsqueeze(1).expand(x.shape[0], count - 1))
    powers = cat(columns, 1).cumprod(1)
    return powers if increasing else powers.flip(1)


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


def polygamma(n, input):
    """The ``n``-th derivative of digamma at each element of ``input`` (any shape; float result)."""
    return input.polygamma(n)


def xlogy(input, other):
    """``input * log(other)`` elementwise (broadcast), 0 where input is 0; either may be a number."""
    return elementwise.Xlogy.apply(input, other)


def float_power(input, exponent):
    """``input ** exponent`` computed in float64 (broadcast); either may be a number, the result is float64."""
    if isinstance(input, Tensor):
        return input.float_power(exponent)
    return elementwise.Pow.apply(float(input), exponent.double())


def numel(input):
    return input.numel()


def rsub(input, other, *, alpha=1):
    """``other - alpha * input`` (broadcast; ``other`` may be a number), PyTorch's reversed subtraction."""
    if not isinstance(input, Tensor):
        raise TypeError(f"rsub(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return _as_tensor_like(other, input).sub(input, alpha=alpha)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Bool tensor of ``elements``' shape: whether each element occurs anywhere in ``test_elements`` (the
    negation if ``invert``). Either argument may be a number (a number ``elements`` gives a 0-dim result)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(
            f"isin() received an invalid combination of arguments - got ({type(elements).__name__}, "
            f"{type(test_elements).__name__}), but expected a Tensor for elements or test_elements"
        )
    reference = elements if isinstance(elements, Tensor) else test_elements
    elements, test_elements = _as_tensor_like(elements, reference), _as_tensor_like(test_elements, reference)
    namespace = namespace_of(reference._data)
    return Tensor._wrap(namespace.isin(elements._data, test_elements._data, assume_unique=assume_unique, invert=invert))


def unravel_index(indices, shape):
    """The coordinates in a tensor of ``shape`` of each flat (row-major) index in ``indices`` (an integer
    tensor): a tuple of ``len(shape)`` int64 tensors of ``indices``' shape. As in PyTorch, indices out of
    range wrap around (each coordinate is ``index // stride % extent``, with floor division)."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be a tensor, but got {type(indices).__name__}")
    if indices._data.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(extent < 0 for extent in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    if 0 in shape and indices._data.size:
        raise RuntimeError("ZeroDivisionError")
    flat = indices._data.astype("int64")
    coordinates = []
    stride = 1
    for extent in reversed(shape):
        coordinates.append(Tensor._wrap(flat // stride % extent if extent else flat.copy()))
        stride *= extent
    return tuple(reversed(coordinates))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Insertion indices of ``input`` (a tensor or a scalar) in the last dim of ``sorted_sequence``."""
    from .ops import sorting

    return sorting.searchsorted(sorted_sequence, input, out_int32=out_int32, right=right, side=side, sorter=sorter)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket index of each element of ``input`` among the 1-D ``boundaries``."""
    from .ops import sorting

    return sorting.bucketize(input, boundaries, out_int32=out_int32, right=right)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Trapezoidal-rule integral of ``y`` along ``dim`` at points ``x`` or spacing ``dx``."""
    from .ops import reduction

    return reduction.trapezoid(y, x, dx=dx, dim=dim)


trapz = trapezoid


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Running trapezoidal-rule integral of ``y`` along ``dim``."""
    from .ops import reduction

    return reduction.cumulative_trapezoid(y, x, dx=dx, dim=dim)


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
