"""``skip_init``: build a module without spending time on initializing its parameters."""
import inspect

from spindle.nn.modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with uninitialized parameters and buffers (on ``device``,
    default the CPU). The class must accept a ``device`` argument, as in PyTorch."""
    if not isinstance(module_cls, type) or not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    device = kwargs.pop("device", "cpu")
    # Without a meta device the module is built (and initialized) on the CPU, then emptied.
    return module_cls(*args, **kwargs).to_empty(device=device)
