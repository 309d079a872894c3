"""bfloat16 values read from files, widened to float32 because NumPy (hence spindle) has no bfloat16."""
import numpy as np


def bfloat16_to_float32(raw, byteorder="little"):
    """The float32 array of the bfloat16 values in the bytes ``raw``; exact, since a bfloat16 is the
    upper half of the float32 with the same value. ``byteorder`` is ``"little"`` or ``"big"``."""
    bits = np.frombuffer(raw, dtype="<u2" if byteorder == "little" else ">u2")
    return (bits.astype(np.uint32) << 16).view(np.float32)
