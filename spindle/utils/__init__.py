"""Utilities under PyTorch's ``torch.utils`` paths; ``spindle.utils.data`` is
:mod:`spindle.data`."""

from spindle.utils import data

__all__ = ["data"]
