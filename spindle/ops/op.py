"""The op base class: a differentiable primitive whose forward and backward live together.

An op subclasses ``Op`` and implements

* ``forward(self, *args) -> array`` on raw arrays (NumPy, or CuPy on the GPU; Tensor arguments arrive
  as their arrays, other arguments as they are). It may keep non-tensor facts on ``self`` (a shape, an
  axis) for backward.
* ``backward(self, grad) -> Tensor | tuple`` with one gradient per leading argument (None for one
  that gets none; non-tensor arguments are skipped; trailing ones may be left out), written with Tensor
  operations so that backward is itself differentiable
  (``create_graph=True``). A gradient may have the broadcast shape of the output: the engine sums it
  back to the input's shape and casts it to the input's dtype.

``save_inputs`` lists the positions of arguments that backward reads (``self.inputs`` then holds all
arguments; the saved tensors are checked for in-place modification); ``save_output`` keeps the output
(``self.output()``). ``self.needs_grad(position)`` tells whether an argument wants a gradient.
"""
import numpy as np

from ..autograd.graph import Node
from ..autograd.grad_mode import state

Tensor = None  # bound by spindle.tensor once the Tensor class exists (ops sit below the Tensor layer)


def bind_tensor_class(tensor_class):
    global Tensor
    Tensor = tensor_class


def edge_of(tensor):
    """Where the gradient of ``tensor`` goes: its node, itself if a leaf requiring grad, else None."""
    node = tensor._grad_fn
    if node is not None:
        return (node, tensor._output_index)
    if tensor._requires_grad:
        return (tensor, 0)
    return None


def sum_to_shape(grad, shape):
    """Sum a broadcast gradient back to ``shape`` (the inverse of broadcasting)."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + axis for axis, size in enumerate(shape) if size == 1 and grad.shape[extra + axis] != 1
    )
    if axes:
        grad = grad.sum(axes, keepdim=True)
    if extra:
        grad = grad.reshape(shape)
    return grad


class Op(Node):
    save_inputs = ()
    save_output = False
    differentiable = True

    @classmethod
    def apply(cls, *args):
        """Run the op on Tensors (and plain values) and record it in the graph when needed."""
        node = cls.__new__(cls)
        arrays = [arg._data if isinstance(arg, Tensor) else arg for arg in args]
        output = node.forward(*arrays)
        if state.enabled and cls.differentiable:
            for arg in args:
                if isinstance(arg, Tensor) and (arg._requires_grad):
                    return node.connect(output, args)
        return Tensor._wrap(output)

    def connect(self, output, args):
        """Make the output tensor of this node and record where input gradients go."""
        tensor_class = Tensor
        if output.dtype.kind not in "fc":
            return tensor_class._wrap(output)  # integer and bool results never require grad, as in PyTorch
        positions = []
        edges = []
        meta = []
        position = 0
        for arg in args:
            if isinstance(arg, tensor_class):
                positions.append(position)
                node = arg._grad_fn
                if node is not None:
                    edges.append((node, arg._output_index))
                else:
                    edges.append((arg, 0) if arg._requires_grad else None)
                data = arg._data
                meta.append((data.shape, data.dtype))
            position += 1
        self.tensor_positions = positions
        self.edges = edges
        self.input_meta = meta
        if self.save_inputs:
            self.inputs = args
            self.save(*[args[position] for position in self.save_inputs])
        result = tensor_class._wrap(output)
        result._requires_grad = True
        result._grad_fn = self
        if self.save_output:
            self.output_data = result._data
            self.output_version = result._version
            self.output_version_saved = result._version[0]
        return result

    def needs_grad(self, position):
        """Whether argument ``position`` is a tensor whose gradient is wanted."""
        positions = self.tensor_positions
        return position in positions and self.edges[positions.index(position)] is not None

    def output(self):
        """The op's output as a Tensor in the graph (for backward formulas that use it)."""
        if self.released:
            self.saved_tensors_checked()
        if self.output_version[0] != self.output_version_saved:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: the output 0 of {self.name()} is at version {self.output_version[0]}; expected "
                f"version {self.output_version_saved} instead. Hint: do the in-place operation out of place."
            )
        tensor = Tensor._wrap(self.output_data)
        tensor._version = self.output_version
        tensor._requires_grad = True
        tensor._grad_fn = self
        return tensor

    def release(self):
        if self.save_output and not self.released:
            self.output_data = None
            self.released = True
        super().release()
        if self.save_inputs:
            self.inputs = None

    def run(self, grads):
        """Called by the engine: backward, then gradients summed/cast back to each input's shape/dtype."""
        if self.save_inputs or self.released:
            self.saved_tensors_checked()  # raises if freed by an earlier backward or modified in place
        result = self.backward(grads[0])
        if type(result) is not tuple:
            result = (result,)
        count = len(result)
        fixed = []
        for position, (shape, dtype) in zip(self.tensor_positions, self.input_meta):
            grad = result[position] if position < count else None
            if grad is not None:
                data = grad._data
                if data.shape != shape:
                    grad = sum_to_shape(grad, shape)
                if data.dtype != dtype:
                    grad = grad._cast_to_numpy_dtype(dtype)
            fixed.append(grad)
        return fixed


class NonDifferentiableOp(Op):
    """An op whose result never requires grad (comparisons, argmax, floor, ...)."""

    differentiable = False


def ensure_array(value):
    """NumPy reductions/ufuncs return scalars for 0-d results; keep everything an array."""
    if isinstance(value, np.generic):
        return np.asarray(value)
    return value
