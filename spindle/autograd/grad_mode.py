"""Grad modes: whether ops record the graph. ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""
import functools


class _State:
    # A module-level mutable read by every op: the flag lives in one attribute lookup on the hot path.
    enabled = True


state = _State()


def is_grad_enabled():
    return state.enabled


class _GradModeContext:
    """Base of the grad-mode context managers; each also works as a function decorator."""

    mode = True

    def __enter__(self):
        self.previous = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc_info):
        state.enabled = self.previous
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def run_in_mode(*args, **kwargs):
            with self.__class__():
                return function(*args, **kwargs)

        return run_in_mode

    def clone(self):
        return self.__class__()


class no_grad(_GradModeContext):
    """Context manager / decorator: ops inside record no graph (``requires_grad`` results are False)."""

    mode = False


class enable_grad(_GradModeContext):
    """Context manager / decorator: turn graph recording back on inside a ``no_grad`` block."""

    mode = True


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (Spindle has no separate inference tensors); ``inference_mode(False)`` is a no-op."""

    def __init__(self, mode=True):
        self.mode = not mode

    def __call__(self, function):
        if not callable(function) or isinstance(function, bool):
            return inference_mode(function)
        return super().__call__(function)

    def clone(self):
        return inference_mode(not self.mode)


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(mode)``: sets grad mode at once; as a context manager restores it on exit."""

    def __init__(self, mode):
        self.previous = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __enter__(self):
        pass

    def __call__(self, function):
        state.enabled = self.previous
        mode = self.mode

        @functools.wraps(function)
        def run_in_mode(*args, **kwargs):
            with set_grad_enabled(mode):
                return function(*args, **kwargs)

        return run_in_mode

    def clone(self):
        return set_grad_enabled(self.mode)
