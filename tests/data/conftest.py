"""Fixtures of the data tests."""
import signal

import pytest


@pytest.fixture
def hang_guard():
    """Fails the test with TimeoutError instead of hanging CI when it runs past 30 s
    (multi-process loading that deadlocks must fail, not block)."""

    def on_alarm(signum, frame):
        raise TimeoutError("test ran past 30 s: the DataLoader hangs")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)
