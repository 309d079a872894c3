"""Handles returned by ``Module.register_forward_hook`` and friends (PyTorch's ``torch.utils.hooks``)."""
import weakref


class RemovableHandle:
    """A handle that removes one registered hook from its dictionaries with ``remove()``.

    ``hooks_dict`` maps hook ids to hooks; ``extra_dict`` is one dictionary or a list of dictionaries
    keyed by the same id (e.g. the set of hooks that take kwargs) that are cleaned up together.
    The handle holds only weak references, so it never keeps a module alive. It is also a context
    manager that removes the hook on exit.
    """

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        if isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in (extra_dict or ()))

    def remove(self):
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            dictionary = ref()
            if dictionary is not None and self.id in dictionary:
                del dictionary[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


class _IdentityWithBackwardCallback:
    """Built lazily (autograd imports nn indirectly): an identity ``autograd.Function`` over some
    tensors whose backward hands the incoming gradients to ``callback`` and returns what it gives back."""

    function_class = None

    @classmethod
    def apply(cls, callback, tensors):
        if cls.function_class is None:
            from ...autograd.function import Function

            class BackwardHookFunction(Function):
                @staticmethod
                def forward(ctx, callback, *tensors):
                    ctx.callback = callback
                    # Unused gradients stay None, as PyTorch's hooks see them.
                    ctx.set_materialize_grads(False)
                    return tensors

                @staticmethod
                def backward(ctx, *grads):
                    return (None, *ctx.callback(grads))

            cls.function_class = BackwardHookFunction
        return cls.function_class.apply(callback, *tensors)


class BackwardHook:
    """Module backward hooks for one call, as PyTorch's ``torch.utils.hooks.BackwardHook``.

    The tensor inputs that require grad and the tensor outputs are passed through identity autograd
    Functions. In backward the output one runs first: it records ``grad_output`` and lets the
    backward pre-hooks replace it. The input one then calls the full backward hooks with
    ``(module, grad_input, grad_output)`` (one entry per positional argument, None for non-tensors
    and tensors without gradient), whose non-None result replaces ``grad_input``.
    """

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.number_of_inputs = 0
        self.input_positions = None

    def _wrap(self, values, callback):
        """Pass the tensors requiring grad among ``values`` (a tuple, or one tensor) through the identity
        Function; returns the new values and the positions wrapped (None when nothing was)."""
        from ...ops.op import Tensor

        is_tuple = isinstance(values, tuple)
        value_list = list(values) if is_tuple else [values]
        positions = [i for i, value in enumerate(value_list) if isinstance(value, Tensor) and value.requires_grad]
        if not positions:
            return values, None
        wrapped = _IdentityWithBackwardCallback.apply(callback, [value_list[i] for i in positions])
        for position, tensor in zip(positions, wrapped):
            value_list[position] = tensor
        return (tuple(value_list) if is_tuple else value_list[0]), positions

    def _pack(self, grads, positions, size):
        packed = [None] * size
        for position, grad in zip(positions, grads):
            packed[position] = grad
        return tuple(packed)

    def setup_input_hook(self, args):
        """Wrap the module's positional ``args``; their gradients go through the full backward hooks."""
        self.number_of_inputs = len(args)
        if not self.user_hooks:
            return args
        new_args, self.input_positions = self._wrap(args, self._on_input_gradients)
        return new_args

    def _on_input_gradients(self, grads):
        grad_inputs = _run_hooks(
            self.user_hooks, lambda hook, grads: hook(self.module, grads, self.grad_outputs),
            self._pack(grads, self.input_positions, self.number_of_inputs), "Backward hook", "grad_input",
        )
        self.grad_outputs = None
        return tuple(grad_inputs[position] for position in self.input_positions)

    def setup_output_hook(self, result):
        """Wrap the module's output (a tensor or a tuple) to capture ``grad_output`` in backward."""
        new_result, self.output_positions = self._wrap(result, self._on_output_gradients)
        if self.output_positions is not None:
            self.number_of_outputs = len(result) if isinstance(result, tuple) else 1
        return new_result

    def _on_output_gradients(self, grads):
        grad_outputs = _run_hooks(
            self.user_pre_hooks, lambda hook, grads: hook(self.module, grads),
            self._pack(grads, self.output_positions, self.number_of_outputs), "Backward pre hook", "grad_output",
        )
        self.grad_outputs = grad_outputs
        if self.input_positions is None and self.user_hooks:
            # No input needs a gradient, so the input Function never runs: call the hooks now.
            no_grad_inputs = (None,) * self.number_of_inputs
            for hook in self.user_hooks:
                returned = hook(self.module, no_grad_inputs, grad_outputs)
                if returned is not None and not (isinstance(returned, tuple) and all(g is None for g in returned)):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should always return None or "
                        "None for all gradients."
                    )
            self.grad_outputs = None
        return tuple(grad_outputs[position] for position in self.output_positions)


def _run_hooks(hooks, call, grads, kind, name):
    """Call each hook in turn (``call(hook, grads)``); one that returns a tuple (or one tensor) of as
    many gradients replaces ``grads`` for the next, as in PyTorch. Returns the final gradients."""
    for hook in hooks:
        result = call(hook, grads)
        if result is None:
            continue
        result = result if isinstance(result, tuple) else (result,)
        if len(result) != len(grads):
            raise RuntimeError(
                f"{kind} returned an invalid number of {name}, got {len(result)}, but expected {len(grads)}"
            )
        grads = result
    return grads
