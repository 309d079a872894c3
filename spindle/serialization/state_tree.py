"""The in-between form of a checkpoint: the user's containers with NumPy-backed tensor records.

Both file readers produce, and the writer consumes, a tree made only of ``dict``, ``OrderedDict``,
``list``, ``tuple``, the scalars ``str``/``int``/``float``/``bool``/``None`` and ``TensorRecord``
leaves. Keeping the readers at this level means a file is parsed and checked completely before a
single Tensor is built, and that the readers never need the Tensor class.
"""
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

SCALAR_TYPES = (str, int, float, bool, type(None))
MAPPING_TYPES = (dict, OrderedDict)
SEQUENCE_TYPES = (list, tuple)


@dataclass(frozen=True, eq=False)
class TensorRecord:
    """One tensor read from or going to a file: its values, ``requires_grad`` and device name.

    ``array`` is a NumPy array of any shape that owns (or shares with other records of the same
    file) writable memory; ``device`` is where the tensor lived when saved (``"cpu"``, ``"cuda:0"``).
    """

    array: np.ndarray
    requires_grad: bool = False
    device: str = "cpu"


def is_key(key):
    """Whether ``key`` may be a dict key in a checkpoint: a scalar or a tuple of keys."""
    if type(key) is tuple:
        return all(is_key(part) for part in key)
    return type(key) in SCALAR_TYPES


def map_leaves(obj, leaf_type, convert, path="state"):
    """Rebuild ``obj`` with the same container types, replacing each ``leaf_type`` leaf by ``convert``.

    Containers keep their exact type (``OrderedDict`` stays ``OrderedDict``, tuples stay tuples) and
    their key order. ``convert(leaf)`` is called once per leaf. Anything that is neither a leaf, a
    supported container nor a scalar raises ``TypeError`` naming where it was found (``path``).
    """
    if isinstance(obj, leaf_type):
        return convert(obj)
    if type(obj) in SCALAR_TYPES:
        return obj
    if type(obj) in MAPPING_TYPES:
        result = type(obj)()
        for key, value in obj.items():
            if not is_key(key):
                raise TypeError(
                    f"unsupported dict key of type {type(key).__name__} in {path}: keys must be "
                    "str, int, float, bool, None or tuples of those"
                )
            result[key] = map_leaves(value, leaf_type, convert, f"{path}[{key!r}]")
        return result
    if type(obj) in SEQUENCE_TYPES:
        return type(obj)(
            map_leaves(value, leaf_type, convert, f"{path}[{index}]") for index, value in enumerate(obj)
        )
    raise TypeError(
        f"unsupported value of type {type(obj).__name__} at {path}: a checkpoint may hold tensors, "
        "dict, OrderedDict, list, tuple, str, int, float, bool and None"
    )
