"""Shape ops. Views (reshape when possible, view, expand, permute, transpose, squeeze, unsqueeze,
basic slicing) share memory with their input, as PyTorch's do; the others copy."""
import numpy as np

from ..backend import namespace_of
from . import op as op_module
from .op import Op
from .reduction import normalize_dim


class ViewOp(Op):
    """An op whose output aliases its input's memory: it shares the input's version counter and base."""

    @classmethod
    def apply(cls, x, *attrs):
        node = cls.__new__(cls)
        output = node.forward(x._data, *attrs)
        if op_module.state.enabled and x._requires_grad:
            result = node.connect(output, (x,) + attrs)
        else:
            result = op_module.Tensor._wrap(output)
        if type(output) is np.ndarray and not np.may_share_memory(output, x._data):
            return result  # e.g. reshape of a non-contiguous tensor made a copy: not a view
        result._version = x._version
        result._base = x if x._base is None else x._base
        return result


def infer_shape(shape, numel):
    """Resolve a single -1 in ``shape`` against ``numel`` elements, with PyTorch's errors."""
    shape = tuple(int(size) for size in shape)
    unknown = [i for i, size in enumerate(shape) if size == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for size in shape:
        if size < -1:
            raise RuntimeError(f"invalid shape dimension {size}")
    known = 1
    for size in shape:
        if size != -1:
            known *= size
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[: unknown[0]] + (numel // known,) + shape[unknown[0] + 1 :]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(ViewOp):
    def forward(self, x, shape):
        self.input_shape = x.shape
        return x.reshape(infer_shape(shape, x.size))

    def backward(self, grad):
        return grad.reshape(self.input_shape)


class View(ViewOp):
    def forward(self, x, shape):
        self.input_shape = x.shape
        target = infer_shape(shape, x.size)
        try:
            return np.reshape(x, target, copy=False)
        except ValueError:
            raise RuntimeError(
                f"view size is not compatible with input tensor's size and stride (at least one dimension spans "
                f"across two contiguous subspaces): cannot view shape {list(x.shape)} with strides "
                f"{[s // x.itemsize for s in x.strides]} as {list(target)}. Use .reshape(...) instead."
            ) from None

    def backward(self, grad):
        return grad.reshape(self.input_shape)


class Expand(ViewOp):
    def forward(self, x, shape):
        shape = tuple(int(s) for s in shape)
        if len(shape) < x.ndim:
            raise RuntimeError(
                f"expand(torch.FloatTensor{{{list(x.shape)}}}, size={list(shape)}): the number of sizes provided "
                f"({len(shape)}) must be greater or equal to the number of dimensions in the tensor ({x.ndim})"
            )
        lead = len(shape) - x.ndim
        target = []
        for i, size in enumerate(shape):
            if i < lead:
                if size == -1:
                    raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension ({i})")
                target.append(size)
                continue
            existing = x.shape[i - lead]
            if size == -1:
                size = existing
            if existing != size and existing != 1:
                raise RuntimeError(
                    f"The expanded size of the tensor ({size}) must match the existing size ({existing}) at "
                    f"non-singleton dimension {i}.  Target sizes: {list(shape)}.  Tensor sizes: {list(x.shape)}"
                )
            target.append(size)
        return np.broadcast_to(x, tuple(target))

    def backward(self, grad):
        return grad  # the engine sums it back to the input's shape


class Permute(ViewOp):
    def forward(self, x, dims):
        axes = tuple(normalize_dim(d, x.ndim) for d in dims)
        if len(axes) != x.ndim:
            raise RuntimeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
                f"desired ordering of dimensions i.e. input.dim() = {x.ndim} is not equal to len(dims) = {len(axes)}"
            )
        if len(set(axes)) != len(axes):
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        self.axes = axes
        return np.transpose(x, axes)

    def backward(self, grad):
        return grad.permute(tuple(np.argsort(self.axes)))


class Transpose(ViewOp):
    def forward(self, x, dim0, dim1):
        self.dim0 = normalize_dim(dim0, x.ndim)
        self.dim1 = normalize_dim(dim1, x.ndim)
        if x.ndim == 0:
            return x.view()
        return np.swapaxes(x, self.dim0, self.dim1)

    def backward(self, grad):
        return grad.transpose(self.dim0, self.dim1)


class Squeeze(ViewOp):
    def forward(self, x, dim=None):
        self.input_shape = x.shape
        if dim is None:
            return np.squeeze(x)
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = tuple(a for a in (normalize_dim(d, x.ndim) for d in dims) if x.ndim and x.shape[a] == 1)
        return np.squeeze(x, axis=axes) if axes else x.view()

    def backward(self, grad):
        return grad.reshape(self.input_shape)


class Unsqueeze(ViewOp):
    def forward(self, x, dim):
        rank = x.ndim + 1
        if not -rank <= dim < rank:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got {dim})")
        self.axis = dim % rank
        return np.expand_dims(x, self.axis)

    def backward(self, grad):
        return grad.squeeze(self.axis)


class Diagonal(ViewOp):
    def forward(self, x, offset=0, dim1=0, dim2=1):
        self.input_shape = x.shape
        self.arguments = (offset, normalize_dim(dim1, x.ndim), normalize_dim(dim2, x.ndim))
        return np.diagonal(x, *self.arguments)

    def backward(self, grad):
        return DiagonalBackward.apply(grad, self.input_shape, self.arguments)


class DiagonalBackward(Op):
    """Scatter a diagonal's gradient back into zeros of the input's shape."""

    def forward(self, grad, input_shape, arguments):
        self.arguments = arguments
        offset, dim1, dim2 = arguments
        result = namespace_of(grad).zeros(input_shape, dtype=grad.dtype)
        moved = np.moveaxis(result, (dim1, dim2), (-2, -1))  # a writable view of result
        steps = np.arange(grad.shape[-1])
        moved[..., steps + max(-offset, 0), steps + max(offset, 0)] = grad
        return result

    def backward(self, grad):
        return grad.diagonal(*self.arguments)


class Contiguous(Op):
    def forward(self, x):
        return np.ascontiguousarray(x) if x.ndim else x.copy()

    def backward(self, grad):
        return grad


class Clone(Op):
    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


class Cat(Op):
    """``cat(tensors, dim)``: join along an existing dim; backward slices the gradient apart."""

    @classmethod
    def apply(cls, tensors, dim=0):
        tensors = list(tensors)
        if not tensors:
            raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
        Tensor = op_module.Tensor
        for tensor in tensors:
            if not isinstance(tensor, Tensor):
                raise TypeError(f"expected Tensor as element of the tensors argument, but got {type(tensor).__name__}")
        # Legacy behaviour kept by PyTorch: 1-D empty tensors are skipped.
        kept = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
        reference = kept[0]
        axis = normalize_dim(dim, reference.ndim)
        from .. import _dtype

        result_dtype = _dtype.result_type(*[t for t in kept]) if len({t.dtype for t in kept}) > 1 else reference.dtype
        for index, tensor in enumerate(kept):
            if tensor.ndim != reference.ndim:
                raise RuntimeError(
                    f"Tensors must have same number of dimensions: got {reference.ndim} and {tensor.ndim}"
                )
            for d in range(reference.ndim):
                if d != axis and tensor.shape[d] != reference.shape[d]:
                    raise RuntimeError(
                        f"Sizes of tensors must match except in dimension {axis}. Expected size {reference.shape[d]} "
                        f"but got size {tensor.shape[d]} for tensor number {index} in the list."
                    )
            if tensor.device != reference.device:
                raise RuntimeError(
                    f"Expected all tensors to be on the same device, but found at least two devices, "
                    f"{reference.device} and {tensor.device}!"
                )
        node = cls.__new__(cls)
        namespace = namespace_of(reference._data)
        arrays = [t._data.astype(result_dtype.numpy_dtype, copy=False) for t in kept]
        output = namespace.concatenate(arrays, axis=axis) if reference.ndim else namespace.stack(arrays)
        node.axis = axis
        node.sizes = [t.shape[axis] if t.ndim else 1 for t in kept]
        if op_module.state.enabled and any(t._requires_grad for t in kept):
            return node.connect(output, tuple(kept))
        return Tensor._wrap(output)

    def backward(self, grad):
        pieces = []
        start = 0
        for size in self.sizes:
            pieces.append(grad.narrow(self.axis, start, size))
            start += size
        return tuple(pieces)


class Repeat(Op):
    def forward(self, x, repeats):
        repeats = tuple(int(r) for r in repeats)
        if len(repeats) < x.ndim:
            raise RuntimeError(
                "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
            )
        self.input_shape = (1,) * (len(repeats) - x.ndim) + x.shape
        self.repeats = repeats
        return np.tile(x.reshape(self.input_shape), repeats)

    def backward(self, grad):
        # Fold each repeated dim into (repeat, size) and sum the repeats away.
        split_shape = []
        for repeat, size in zip(self.repeats, self.input_shape):
            split_shape += [repeat, size]
        summed = grad.reshape(split_shape).sum(tuple(range(0, len(split_shape), 2)))
        return summed


class Flip(Op):
    def forward(self, x, dims):
        self.axes = tuple(normalize_dim(d, x.ndim) for d in dims)
        return np.flip(x, self.axes).copy()

    def backward(self, grad):
        return grad.flip(self.axes)


class Roll(Op):
    def forward(self, x, shifts, dims=None):
        self.shifts = shifts
        self.dims = dims
        if dims is None:
            return np.roll(x.reshape(-1), shifts).reshape(x.shape)
        return np.roll(x, shifts, dims)

    def backward(self, grad):
        negated = tuple(-s for s in self.shifts) if isinstance(self.shifts, (tuple, list)) else -self.shifts
        return grad.roll(negated, self.dims)


class Triangle(Op):
    """``tril``/``triu``: keep one triangle of the last two dims, zero the rest."""

    def forward(self, x, diagonal=0):
        if x.ndim < 2:
            raise RuntimeError(f"{self.name_text}: input tensor must have at least 2 dimensions")
        self.diagonal = diagonal
        return self.function(x, diagonal)

    def backward(self, grad):
        return self.tensor_method(grad, self.diagonal)


class Tril(Triangle):
    function = staticmethod(np.tril)
    name_text = "tril"

    @staticmethod
    def tensor_method(grad, diagonal):
        return grad.tril(diagonal)


class Triu(Triangle):
    function = staticmethod(np.triu)
    name_text = "triu"

    @staticmethod
    def tensor_method(grad, diagonal):
        return grad.triu(diagonal)


class Unfold(ViewOp):
    """``x.unfold(dimension, size, step)``: every window of ``size`` along ``dimension``, ``step`` apart, as
    a new last dim of a strided view (windows overlap in memory when ``step < size``)."""

    def forward(self, x, dimension, size, step):
        axis = normalize_dim(dimension, x.ndim)
        length = x.shape[axis]
        if size > length:
            raise RuntimeError(f"maximum size for tensor at dimension {axis} is {length} but size is {size}")
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        self.input_shape = x.shape
        self.arguments = (axis, size, step)
        count = (length - size) // step + 1
        shape = x.shape[:axis] + (count,) + x.shape[axis + 1 :] + (size,)
        strides = x.strides[:axis] + (x.strides[axis] * step,) + x.strides[axis + 1 :] + (x.strides[axis],)
        return namespace_of(x).lib.stride_tricks.as_strided(x, shape, strides)

    def backward(self, grad):
        return UnfoldBackward.apply(grad, self.input_shape, self.arguments)


class UnfoldBackward(Op):
    """Sum each window's gradient back onto the elements it covers (windows that overlap add up)."""

    def forward(self, grad, input_shape, arguments):
        self.arguments = arguments
        axis, size, step = arguments
        result = namespace_of(grad).zeros(input_shape, dtype=grad.dtype)
        count = grad.shape[axis]
        for offset in range(size):  # one strided slice per position inside the window
            covered = (slice(None),) * axis + (slice(offset, offset + step * (count - 1) + 1, step),)
            result[covered] += grad[..., offset]
        return result

    def backward(self, grad):
        return grad.unfold(*self.arguments)


def _element_offset(array, root):
    """How many elements ``array``'s first element lies after ``root``'s."""
    if type(array) is np.ndarray:
        distance = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    else:
        distance = array.data.ptr - root.data.ptr
    return distance // array.itemsize


def storage_extent(root):
    """Elements of memory that ``root`` (a tensor's base array, non-negative strides) spans."""
    if root.size == 0:
        return 0
    return 1 + sum((size - 1) * stride // root.itemsize for size, stride in zip(root.shape, root.strides))


def _storage_positions(namespace, geometry):
    """Storage position of every element of a strided layout ``(sizes, strides, offset)``, in its shape."""
    sizes, strides, offset = geometry
    positions = namespace.full(sizes, offset, dtype=np.int64)
    for axis, (size, stride) in enumerate(zip(sizes, strides)):
        positions += (namespace.arange(size) * stride).reshape((size,) + (1,) * (len(sizes) - axis - 1))
    return positions


class AsStrided(ViewOp):
    """``as_strided(size, stride, storage_offset)``: a view of the memory under a tensor's base with the
    given layout. Backward writes the gradient into a zero storage and reads the input's elements from it,
    as PyTorch does (exact when the input's own elements do not overlap)."""

    @classmethod
    def apply(cls, x, size, stride, storage_offset, root):
        result = super().apply(x, size, stride, storage_offset, root)
        result._version = x._version  # a view even where it reads none of ``x``'s own elements
        result._base = x if x._base is None else x._base
        return result

    def forward(self, x, size, stride, storage_offset, root):
        if len(size) != len(stride):
            raise RuntimeError("mismatch in length of strides and shape")
        if any(step < 0 for step in stride):
            raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}")
        if any(extent < 0 for extent in size):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
        extent = storage_extent(root)
        input_offset = _element_offset(x, root)
        offset = input_offset if storage_offset is None else int(storage_offset)
        needed = 0 if 0 in size else offset + 1 + sum((n - 1) * step for n, step in zip(size, stride))
        if needed > extent:
            raise RuntimeError(
                f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and itemsize "
                f"{x.itemsize} requiring a storage size of {needed * x.itemsize} are out of bounds for storage of "
                f"size {extent * x.itemsize}"
            )
        self.extent = extent
        self.output_geometry = (size, stride, offset)
        self.input_geometry = (x.shape, tuple(s // x.itemsize for s in x.strides), input_offset)
        stride_tricks = namespace_of(x).lib.stride_tricks
        storage = stride_tricks.as_strided(root, (extent,), (root.itemsize,))
        return stride_tricks.as_strided(storage[offset:], size, tuple(step * x.itemsize for step in stride))

    def backward(self, grad):
        return StorageTransfer.apply(grad, self.extent, self.output_geometry, self.input_geometry)


class StorageTransfer(Op):
    """Add ``grad`` (laid out by ``source`` geometry) into a zero storage of ``extent`` elements, then read
    the elements of the ``target`` geometry: the adjoint of one strided view of a storage relative to
    another (its own backward swaps the two geometries)."""

    def forward(self, grad, extent, source, target):
        self.arguments = (extent, target, source)
        namespace = namespace_of(grad)
        storage = namespace.zeros(extent, dtype=grad.dtype)
        np.add.at(storage, _storage_positions(namespace, source), grad)  # overlapping elements add up
        return storage[_storage_positions(namespace, target)]

    def backward(self, grad):
        return StorageTransfer.apply(grad, *self.arguments)
