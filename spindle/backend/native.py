"""C kernels for the CPU: compiled on first use by the system C compiler, loaded with ctypes.

A kernel library is a C file in ``spindle/backend/kernels/`` (it may include the headers there). It
is compiled once per source text (headers included), compiler and machine type into
``$SPINDLE_HOME/kernels/<name>-<hash>.so``, written to a temporary file and renamed into place, so
processes compiling at the same time never load half a library.
Where it cannot be built (no compiler, another architecture), ``library`` warns once and returns
None, and callers take their NumPy path. Setting ``SPINDLE_NATIVE_KERNELS=0`` before import, or
``spindle.backend.native.enabled = False`` at run time, turns the kernels off.
"""
import ctypes
import functools
import glob
import hashlib
import os
import platform
import subprocess
import tempfile
import warnings

from .home import spindle_home

COMPILE_FLAGS = ("-O3", "-std=gnu11", "-fPIC", "-shared", "-pthread")
SOURCE_FOLDER = os.path.join(os.path.dirname(__file__), "kernels")

enabled = os.environ.get("SPINDLE_NATIVE_KERNELS", "1") != "0"


@functools.cache
def library(name):
    """The compiled kernels of ``kernels/<name>.c`` as a ``ctypes.CDLL``, or None if they cannot be built."""
    source_path = os.path.join(SOURCE_FOLDER, name + ".c")
    text = b""
    for path in [source_path] + sorted(glob.glob(os.path.join(SOURCE_FOLDER, "*.h"))):
        with open(path, "rb") as source:
            text += source.read()
    compiler = os.environ.get("CC", "cc")
    key = hashlib.sha256(text + repr((compiler, COMPILE_FLAGS, platform.machine())).encode()).hexdigest()[:16]
    folder = os.path.join(spindle_home(), "kernels")
    path = os.path.join(folder, f"{name}-{key}.so")
    try:
        if not os.path.exists(path):
            os.makedirs(folder, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(suffix=".so", dir=folder)
            os.close(descriptor)
            try:
                subprocess.run([compiler, *COMPILE_FLAGS, "-o", temporary, source_path],
                               check=True, capture_output=True, text=True)
                os.replace(temporary, path)
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
        return ctypes.CDLL(path)
    except (OSError, subprocess.CalledProcessError) as error:
        detail = (getattr(error, "stderr", None) or str(error)).strip()
        warnings.warn(f"spindle: the C kernels '{name}' could not be built, NumPy is used instead: {detail}",
                      RuntimeWarning, stacklevel=2)
        return None
