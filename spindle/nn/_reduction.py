"""The ``reduction=`` argument of losses: validation, the legacy ``size_average``/``reduce`` flags,
and applying ``'none'``, ``'mean'`` or ``'sum'`` to a tensor of per-element losses."""
import warnings


def get_enum(reduction):
    """PyTorch's integer code of ``reduction`` (0 none, 1 mean, 2 sum); ValueError if invalid."""
    if reduction == "none":
        return 0
    if reduction == "mean":
        return 1
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.", stacklevel=2)
        return 1
    if reduction == "sum":
        return 2
    raise ValueError(f"{reduction} is not a valid value for reduction")


def legacy_get_string(size_average, reduce, emit_warning=True):
    """The ``reduction`` string equivalent to the deprecated ``size_average``/``reduce`` pair."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        result = "mean"
    elif reduce:
        result = "sum"
    else:
        result = "none"
    if emit_warning:
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use reduction='{result}' instead.",
            stacklevel=2,
        )
    return result


def resolve(size_average, reduce, reduction):
    """The effective reduction string, honouring the legacy flags when either is given."""
    if size_average is not None or reduce is not None:
        return legacy_get_string(size_average, reduce)
    return reduction


def reduce_loss(loss, reduction):
    """Apply ``reduction`` to per-element losses: unchanged, mean over all elements, or sum."""
    code = get_enum(reduction)
    if code == 0:
        return loss
    if code == 1:
        return loss.mean()
    return loss.sum()
