"""Host memory policy: keep freed array memory in the process for the next training step.

A training step allocates its activations in the forward pass and frees most of them, last in first
out, in backward. With glibc's default policy that freed memory ends at the top of the heap and is
handed back to the kernel (trimmed), and the next step's forward gets fresh pages: the kernel zeroes
each one in a page fault, often more time than the arithmetic done on it (an eighth of a small
Transformer's training step). This is the role of PyTorch's caching allocator on the GPU; on the CPU, glibc
does it once told to keep up to ``TRIM_THRESHOLD`` bytes of freed heap and to serve requests up to
``MMAP_THRESHOLD`` bytes from the heap (larger ones still map and unmap pages of their own).

Applied when spindle is imported, unless the environment variable ``SPINDLE_KEEP_HOST_MEMORY`` is
``0``; a no-op where the C library is not glibc.
"""
import ctypes
import os

MMAP_THRESHOLD = 32 * 2**20  # glibc's own ceiling for its adaptive threshold
TRIM_THRESHOLD = 512 * 2**20
_M_TRIM_THRESHOLD = -1  # mallopt parameter numbers, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3


def keep_freed_memory():
    """Tell glibc's malloc to keep freed memory for reuse; returns whether it applied."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # raises AttributeError unless the C library is glibc
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


if os.environ.get("SPINDLE_KEEP_HOST_MEMORY", "1") != "0":
    keep_freed_memory()
