"""Anomaly detection: make the backward engine raise when a backward function returns NaN."""
import functools
import warnings


class _AnomalyState:
    """Process-wide switches read once per backward call by the engine (``graph.run_backward``)."""

    enabled = False
    check_nan = True


state = _AnomalyState()


def is_anomaly_enabled():
    """Whether anomaly detection is on (``torch.is_anomaly_enabled``)."""
    return state.enabled


def is_anomaly_check_nan_enabled():
    """Whether anomaly detection also checks backward results for NaN."""
    return state.check_nan


def set_anomaly_enabled(enabled, check_nan=True):
    """Turn anomaly detection on or off globally (``torch.set_anomaly_enabled``)."""
    state.enabled = bool(enabled)
    state.check_nan = bool(check_nan)


class _AnomalyModeBase:
    """Shared context-manager and decorator behaviour: switch on enter, restore the previous mode on exit."""

    def _enter(self):
        self.previous = (state.enabled, state.check_nan)
        set_anomaly_enabled(self.mode, self.check_nan)

    def __exit__(self, *exc_info):
        set_anomaly_enabled(*self.previous)

    def __call__(self, function):
        @functools.wraps(function)
        def wrapped(*args, **kwargs):
            with self.__class__(*self.arguments):
                return function(*args, **kwargs)

        return wrapped


class detect_anomaly(_AnomalyModeBase):
    """Context manager (or decorator) that enables anomaly detection inside it.

    While it is active, a backward function whose result contains NaN raises
    ``RuntimeError("Function 'XBackward0' returned nan values in its 0th output.")`` (only when
    ``check_nan``). Nesting restores the enclosing mode on exit.
    """

    def __init__(self, check_nan=True):
        self.mode = True
        self.check_nan = check_nan
        self.arguments = (check_nan,)
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should only be enabled "
            "for debugging.",
            stacklevel=2,
        )

    def __enter__(self):
        self._enter()


class set_detect_anomaly(_AnomalyModeBase):
    """Switch anomaly detection to ``mode`` now; as a context manager, restore the previous mode on exit."""

    def __init__(self, mode, check_nan=True):
        self.mode = mode
        self.check_nan = check_nan
        self.arguments = (mode, check_nan)
        self.previous = (state.enabled, state.check_nan)
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def clone(self):
        return self.__class__(*self.arguments)
