"""Spindle's folder on this machine: ``$SPINDLE_HOME``, else ``~/.cache/spindle``.

Pretrained weights are looked up in it, and compiled C kernels are cached in its ``kernels``
subfolder.
"""
import os


def spindle_home():
    """The folder's path (not created here)."""
    return os.path.expanduser(os.environ.get("SPINDLE_HOME") or os.path.join("~", ".cache", "spindle"))
