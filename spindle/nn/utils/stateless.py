"""``functional_call``: run a module with some of its parameters and buffers replaced by given tensors
(the module is restored afterwards), e.g. to differentiate a model's output with respect to weights
that are not its own."""
import contextlib
import warnings


__all__ = ["functional_call"]


def _untie_named_tensors_map(module, parameters_and_buffers):
    """``parameters_and_buffers`` extended so that a value given for one of several names of one tied
    tensor replaces it under all of them; ValueError if tied names are given different values."""
    named_tensors = dict(module.named_parameters(remove_duplicate=False))
    named_tensors.update(module.named_buffers(remove_duplicate=False))
    names_by_tensor = {}
    for name, tensor in named_tensors.items():
        names_by_tensor.setdefault(id(tensor), set()).add(name)
    tied_names = {name: names for names in names_by_tensor.values() if len(names) > 1 for name in names}
    given_tied = [name for name in parameters_and_buffers if name in tied_names]
    for name in given_tied:
        names = tied_names[name]
        given_values = {id(parameters_and_buffers[other]) for other in names if other in parameters_and_buffers}
        if len(given_values) > 1:
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(names)}, which are tied. "
                "Consider using tie_weights=False"
            )
    untied = dict(parameters_and_buffers)
    for name in given_tied:
        for other in tied_names[name]:
            untied[other] = parameters_and_buffers[name]
    return untied


def _swap_tensor(module, dotted_name, value):
    """Put ``value`` at ``module.<dotted_name>`` (bypassing the Parameter check); returns the old value
    (None if there was none, in which case passing None back removes the attribute)."""
    *path, name = dotted_name.split(".")
    for part in path:
        module = getattr(module, part)
    for members in (module._parameters, module._buffers):
        if name in members:
            previous = members[name]
            if value is None and previous is not None and members is module._parameters:
                del members[name]
            else:
                members[name] = value
            return previous
    previous = getattr(module, name, None)
    if value is None:
        if hasattr(module, name):
            delattr(module, name)
    else:
        setattr(module, name, value)
    return previous


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False):
    tensors = _untie_named_tensors_map(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        expected = {name for name, _ in module.named_parameters(remove_duplicate=False)}
        expected |= {name for name, _ in module.named_buffers(remove_duplicate=False)}
        unexpected_keys = sorted(set(tensors) - expected)
        missing_keys = sorted(expected - set(tensors))
        messages = []
        if unexpected_keys:
            messages.append(f"Unexpected key(s): {', '.join(map(repr, unexpected_keys))}.")
        if missing_keys:
            messages.append(f"Missing key(s): {', '.join(map(repr, missing_keys))}.")
        if messages:
            raise RuntimeError(
                "Error(s) in reparametrizing for {}:\n\t{}".format(module._get_name(), "\n\t".join(messages))
            )
    originals = {}
    try:
        for name, value in tensors.items():
            originals[name] = _swap_tensor(module, name, value)
        yield
    finally:
        for name, value in reversed(list(originals.items())):
            _swap_tensor(module, name, value)


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    kwargs = {} if kwargs is None else kwargs
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the parameters and buffers named in ``parameters_and_buffers``
    (dotted names, as in ``named_parameters``) replaced by the given tensors for this call only.
    Deprecated in PyTorch in favour of ``spindle.func.functional_call``."""
    warnings.warn(
        "`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed in a future "
        "version of PyTorch. Please use `torch.func.functional_call` instead which is a drop-in replacement.",
        FutureWarning,
        stacklevel=2,
    )
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
