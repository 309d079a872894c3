"""Collation: merging a list of samples into a batch (PyTorch's
``torch.utils.data._utils.collate``).

:func:`default_collate` stacks tensors along a new first dimension and recurses
through mappings, named tuples and sequences; :func:`default_convert` only turns
NumPy arrays into tensors (used when automatic batching is off). :func:`collate`
is the general walker, dispatching leaf types through a ``collate_fn_map``.
"""

import collections.abc
import copy
import re

import numpy

import spindle

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map"]

# NumPy dtype strings of bytes, unicode and object arrays, which cannot become tensors.
_NUMPY_STRING_OR_OBJECT = re.compile(r"[SaUO]")

_COLLATE_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_numpy_value(value):
    """NumPy arrays and scalars, but not NumPy's string scalars."""
    value_type = type(value)
    return value_type.__module__ == "numpy" and value_type.__name__ not in ("str_", "bytes_")


def default_convert(data):
    """Converts every NumPy array or scalar inside ``data`` into a tensor, recursing
    through mappings, named tuples and sequences (a plain tuple becomes a list, as in
    PyTorch); everything else is returned unchanged."""
    if isinstance(data, spindle.Tensor):
        return data
    if _is_numpy_value(data):
        if isinstance(data, numpy.ndarray) and _NUMPY_STRING_OR_OBJECT.search(data.dtype.str):
            return data
        return spindle.as_tensor(numpy.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(item) for item in data))
    if isinstance(data, tuple):
        return [default_convert(item) for item in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(item) for item in data])
    return data


def _rebuild_mapping(template, values):
    """A mapping of ``template``'s type holding ``values`` (a dict), or a plain dict
    when that type cannot be built from one."""
    try:
        if isinstance(template, collections.abc.MutableMapping):
            clone = copy.copy(template)
            clone.update(values)
            return clone
        return type(template)(values)
    except TypeError:
        return values


def _rebuild_sequence(template, items):
    """A sequence of ``template``'s type holding ``items`` (a list), or the list
    itself when that type cannot be built from one."""
    try:
        if isinstance(template, collections.abc.MutableSequence):
            clone = copy.copy(template)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(template)(items)
    except TypeError:
        return items


def collate(batch, *, collate_fn_map=None):
    """Collates ``batch`` (a list of samples of one structure). Leaves whose type is a
    key of ``collate_fn_map`` (exactly, else the first key they are an instance of)
    are handed to that function as ``fn(batch, collate_fn_map=...)``; mappings collate
    key by key, named tuples field by field, sequences position by position (tuples
    come back as lists, as in PyTorch). Raises ``TypeError`` on any other type and
    ``RuntimeError`` when sequences in the batch differ in length."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type, collate_fn in collate_fn_map.items():
            if isinstance(elem, collate_type):
                return collate_fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(
            elem, {key: collate([sample[key] for sample in batch], collate_fn_map=collate_fn_map) for key in elem}
        )
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        elem_size = len(elem)
        if any(len(sample) != elem_size for sample in batch):
            sizes = [len(sample) for sample in batch]
            raise RuntimeError(f"each element in list of batch should be of equal size (got sizes {sizes})")
        collated = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return collated
        return _rebuild_sequence(elem, collated)
    raise TypeError(_COLLATE_ERROR.format(elem_type))


def _collate_tensors(batch, *, collate_fn_map=None):
    return spindle.stack(batch, 0)


def _collate_numpy_arrays(batch, *, collate_fn_map=None):
    if _NUMPY_STRING_OR_OBJECT.search(batch[0].dtype.str):
        raise TypeError(_COLLATE_ERROR.format(batch[0].dtype))
    return collate([spindle.as_tensor(array) for array in batch], collate_fn_map=collate_fn_map)


def _collate_numpy_scalars(batch, *, collate_fn_map=None):
    return spindle.as_tensor(numpy.array(batch))


def _collate_floats(batch, *, collate_fn_map=None):
    return spindle.tensor(batch, dtype=spindle.float64)


def _collate_ints(batch, *, collate_fn_map=None):
    # Python bools are ints: a batch of bools becomes a bool tensor, of ints int64.
    return spindle.tensor(batch)


def _collate_strings(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    spindle.Tensor: _collate_tensors,
    numpy.ndarray: _collate_numpy_arrays,
    (numpy.bool_, numpy.number, numpy.object_): _collate_numpy_scalars,
    float: _collate_floats,
    int: _collate_ints,
    str: _collate_strings,
    bytes: _collate_strings,
}


def default_collate(batch):
    """PyTorch's default collation: a list of ``B`` samples becomes one batch.
    Tensors of shape ``S`` stack into ``(B, *S)``; NumPy arrays likewise (as tensors);
    Python floats give a float64 tensor of shape ``(B,)``, ints an int64 one, bools
    a bool one; strings and bytes are returned as grouped (the list or column
    tuple of them); mappings, named tuples and sequences
    are collated element-wise (tuples become lists)."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
