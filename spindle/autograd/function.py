"""``autograd.Function``: user-defined ops with hand-written forward and backward, as in PyTorch."""
from ..ops import op as op_module
from ..ops.op import edge_of, sum_to_shape
from .graph import Node
from .grad_mode import no_grad, state


class FunctionCtx(Node):
    """The ``ctx`` of a custom Function: it is also the function's node in the backward graph."""

    materialize_grads = True

    def save_for_backward(self, *tensors):
        """Keep tensors for backward; ``saved_tensors`` checks they were not modified in place since."""
        self.save(*tensors)

    @property
    def saved_tensors(self):
        return self.saved_tensors_checked()

    def mark_dirty(self, *tensors):
        self.dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    def name(self):
        return self.function_class.__name__ + "Backward"

    def run(self, grads):
        if self.released:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved tensors after they "
                "have already been freed). Specify retain_graph=True if you need to backward through the graph a "
                "second time."
            )
        Tensor = op_module.Tensor
        if self.materialize_grads:
            from ..factory import zeros

            grads = [
                grad if grad is not None else zeros(*shape, dtype=dtype, device=device)
                for grad, (shape, dtype, device) in zip(grads, self.output_meta)
            ]
        result = self.function_class.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) < len(self.argument_is_tensor):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {len(self.argument_is_tensor)}, got {len(result)})"
            )
        gradients = []
        for grad, is_tensor, meta in zip(result, self.argument_is_tensor, self.argument_meta):
            if not is_tensor:
                if grad is not None:
                    raise RuntimeError(
                        f"function {self.name()} returned a gradient different than None at a position where the "
                        "input is not a Tensor"
                    )
                continue
            if grad is not None:
                if not isinstance(grad, Tensor):
                    raise TypeError(f"function {self.name()} returned a gradient of type {type(grad).__name__}, not a Tensor")
                if grad.shape != meta:
                    try:
                        grad = sum_to_shape(grad, meta)
                    except Exception:
                        grad = None
                    if grad is None or grad.shape != meta:
                        raise RuntimeError(
                            f"Function {self.name()} returned an invalid gradient - got {list(result[len(gradients)].shape)} "
                            f"but expected shape compatible with {list(meta)}"
                        ) from None
            gradients.append(grad)
        return tuple(gradients)


class Function:
    """Base class for custom differentiable operations.

    Subclasses define ``forward(ctx, *args)`` (receives and returns Tensors; runs without recording)
    and ``backward(ctx, *grad_outputs)`` (one gradient per forward argument, None for non-tensors),
    and are called through ``apply``. ``ctx.save_for_backward`` keeps tensors for backward, and
    ``ctx.needs_input_grad`` tells which inputs need a gradient.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = op_module.Tensor
        ctx = FunctionCtx()
        ctx.function_class = cls
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        uses_setup_context = cls.setup_context is not Function.setup_context
        with no_grad():
            if uses_setup_context:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        if not (state.enabled and any(ctx.needs_input_grad)):
            return outputs
        is_tuple = isinstance(outputs, tuple)
        output_list = list(outputs) if is_tuple else [outputs]
        ctx.argument_is_tensor = tuple(isinstance(a, Tensor) for a in args)
        ctx.argument_meta = tuple(a.shape if isinstance(a, Tensor) else None for a in args)
        ctx.edges = tuple(edge_of(a) for a in args if isinstance(a, Tensor))
        ctx.num_outputs = len(output_list)
        ctx.output_meta = []
        non_differentiable = getattr(ctx, "non_differentiable", set())
        dirty = {id(t) for t in getattr(ctx, "dirty", ())}
        for index, output in enumerate(output_list):
            if not isinstance(output, Tensor):
                ctx.output_meta.append(((), None, None))
                continue
            if any(output is a for a in args) and id(output) not in dirty:
                # Returning an input unchanged: the result is a new tensor aliasing it, as in PyTorch.
                output = output.detach()
                output_list[index] = output
            ctx.output_meta.append((tuple(output.shape), output.dtype, output.device))
            if id(output) in non_differentiable or not output.is_floating_point():
                continue
            output._grad_fn = ctx
            output._output_index = index
            output._requires_grad = True
        return tuple(output_list) if is_tuple else output_list[0]


def once_differentiable(function):
    """Accepted for compatibility: marks a backward that is not itself differentiable."""
    return function
