"""``spindle.func``: PyTorch's functional transforms; for now ``functional_call``."""
from collections.abc import Sequence

from .nn.utils.stateless import _functional_call

__all__ = ["functional_call"]


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the parameters and buffers named in
    ``parameter_and_buffer_dicts`` (one dict, or a sequence of dicts with disjoint keys; dotted names
    as in ``named_parameters``) replaced by the given tensors for this call only. ``tie_weights``
    makes a value given for one name of a tied tensor apply to all its names; ``strict`` requires
    exactly the module's names."""
    if isinstance(parameter_and_buffer_dicts, dict):
        parameters_and_buffers = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(dictionary, dict) for dictionary in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts = {}
        for dictionary in parameter_and_buffer_dicts:
            for key in dictionary:
                counts[key] = counts.get(key, 0) + 1
        repeated_keys = [key for key, count in counts.items() if count > 1]
        if repeated_keys:
            raise ValueError(
                f"{repeated_keys} appeared in multiple dictionaries; behavior of functional call is ambiguous"
            )
        parameters_and_buffers = {key: value for dictionary in parameter_and_buffer_dicts for key, value in dictionary.items()}
    else:
        raise ValueError(
            "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
            f"{type(parameter_and_buffer_dicts)}"
        )
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
