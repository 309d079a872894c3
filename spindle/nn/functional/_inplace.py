"""The ``inplace=True`` option of activations and dropout, written once for all of them."""
import spindle


def apply_maybe_inplace(function, input, inplace):
    """``function(input)``, written into ``input`` when ``inplace``; returns the result tensor.

    The in-place form writes through ``copy_``, so autograd records it like any in-place op (and
    refuses it on a leaf that requires grad, as PyTorch does). When a gradient will flow, the
    function runs on a copy so that what its backward saved is not the tensor being overwritten.
    """
    if not inplace:
        return function(input)
    source = input.clone() if input.requires_grad and spindle.is_grad_enabled() else input
    return input.copy_(function(source))
