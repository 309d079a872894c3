"""Checkpoints in the safetensors format: tensors as named raw arrays, containers as JSON metadata.

The file is a plain safetensors file (8-byte little-endian header length, JSON header, raw tensor
bytes) that any safetensors reader opens. Tensors are named by their path in the saved object joined
with "." (``{"fc": {"weight": t}}`` -> ``"fc.weight"``), so a flat dict of tensors keeps its keys.
The header's ``__metadata__`` holds, under ``STRUCTURE_KEY``, JSON that rebuilds the exact object:

    tensor          {"tensor": name}, plus "requires_grad": true / "device": "cuda:0" when set
    list, tuple     {"list": [node, ...]}, {"tuple": [node, ...]}
    dict            {"dict": [[key, node], ...]}, {"ordered_dict": [[key, node], ...]}
    str/int/float/bool/None   the JSON value itself (Python's json keeps 1 and 1.0 apart)

Keys are nodes too, so int keys (optimizer state) and tuple keys come back unchanged. A file without
that metadata (written by another tool) loads as a flat dict of tensors in file order.
"""
import json
from collections import OrderedDict

import numpy as np
import safetensors
import safetensors.numpy

from .bfloat16 import bfloat16_to_float32
from .state_tree import MAPPING_TYPES, SCALAR_TYPES, TensorRecord, is_key

STRUCTURE_KEY = "spindle.structure"

_TAG_OF_CONTAINER = {dict: "dict", OrderedDict: "ordered_dict", list: "list", tuple: "tuple"}
_CONTAINER_OF_TAG = {tag: container for container, tag in _TAG_OF_CONTAINER.items()}
# The safetensors dtypes spindle has; BF16 is widened to float32 on reading.
_NUMPY_DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16,
    "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8,
    "U8": np.uint8, "BOOL": np.bool_,
}


def encode(state):
    """The bytes of a safetensors file holding ``state``, a tree as described in ``state_tree``.

    A ``TensorRecord`` object that occurs several times is stored once and comes back as one object.
    """
    arrays = {}
    name_of_record = {}

    def encode_node(node, path):
        if isinstance(node, TensorRecord):
            if id(node) not in name_of_record:
                name = _unique_name(".".join(path) or "tensor", arrays)
                name_of_record[id(node)] = name
                # safetensors copies from the array's raw pointer: it must be C-contiguous.
                arrays[name] = np.asarray(node.array, order="C")
            entry = {"tensor": name_of_record[id(node)]}
            if node.requires_grad:
                entry["requires_grad"] = True
            if node.device != "cpu":
                entry["device"] = node.device
            return entry
        tag = _TAG_OF_CONTAINER.get(type(node))
        if type(node) in MAPPING_TYPES:
            return {tag: [[encode_node(key, ()), encode_node(value, path + (str(key),))]
                          for key, value in node.items()]}
        if tag is not None:
            return {tag: [encode_node(value, path + (str(index),)) for index, value in enumerate(node)]}
        return node

    structure = encode_node(state, ())
    return safetensors.numpy.save(arrays, metadata={STRUCTURE_KEY: json.dumps(structure)})


def decode(data, source):
    """The state tree stored in the safetensors bytes ``data``; ``source`` names the file in errors.

    Raises ``RuntimeError`` when the file is truncated, corrupted or holds an unsupported dtype.
    """
    try:
        entries = safetensors.deserialize(data)
    except safetensors.SafetensorError as error:
        raise RuntimeError(
            f"{source}: not a valid safetensors file, it is truncated or corrupted ({error})"
        ) from None
    header_length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + header_length])  # valid JSON: deserialize has checked it
    arrays = {name: _to_array(name, info, source) for name, info in entries}
    structure = (header.get("__metadata__") or {}).get(STRUCTURE_KEY)
    if structure is None:
        return {name: TensorRecord(arrays[name]) for name in header if name != "__metadata__"}
    return _decode_structure(structure, arrays, source)


def _unique_name(base, taken):
    """``base``, or ``base#1``, ``base#2``... when two paths join to the same name."""
    name, suffix = base, 1
    while name in taken:
        name, suffix = f"{base}#{suffix}", suffix + 1
    return name


def _to_array(name, info, source):
    dtype = info["dtype"]
    if dtype == "BF16":
        array = bfloat16_to_float32(info["data"])
    elif dtype in _NUMPY_DTYPES:
        array = np.frombuffer(info["data"], dtype=_NUMPY_DTYPES[dtype])
    else:
        raise RuntimeError(f"{source}: tensor {name!r} has dtype {dtype}, which spindle does not support")
    return array.reshape(info["shape"])


def _decode_structure(text, arrays, source):
    """Rebuild the saved object from the JSON ``text`` of ``STRUCTURE_KEY``, checking every node."""
    records = {}  # one record per (name, requires_grad, device): shared tensors stay shared

    def fail(problem):
        raise RuntimeError(f"{source}: corrupt {STRUCTURE_KEY} metadata: {problem}")

    def decode_node(node):
        if type(node) in SCALAR_TYPES:
            return node
        if type(node) is not dict:
            fail(f"unexpected JSON value {node!r}")
        if "tensor" in node:
            return decode_tensor(node)
        if len(node) != 1:
            fail(f"a container node must have one tag, got {sorted(node)}")
        ((tag, items),) = node.items()
        container = _CONTAINER_OF_TAG.get(tag)
        if container is None or type(items) is not list:
            fail(f"unknown node {tag!r}")
        if container in MAPPING_TYPES:
            if not all(type(item) is list and len(item) == 2 for item in items):
                fail(f"the items of a {tag} must be [key, value] pairs")
            return container((decode_key(key), decode_node(value)) for key, value in items)
        return container(decode_node(item) for item in items)

    def decode_key(node):
        key = decode_node(node)
        if not is_key(key):
            fail(f"{key!r} cannot be a dict key")
        return key

    def decode_tensor(node):
        name = node["tensor"]
        requires_grad, device = node.get("requires_grad", False), node.get("device", "cpu")
        if (set(node) - {"tensor", "requires_grad", "device"} or type(name) is not str or name not in arrays
                or type(requires_grad) is not bool or type(device) is not str):
            fail(f"bad tensor entry {node!r}")
        if (name, requires_grad, device) not in records:
            records[name, requires_grad, device] = TensorRecord(arrays[name], requires_grad, device)
        return records[name, requires_grad, device]

    try:
        structure = json.loads(text)
    except ValueError as error:
        fail(f"invalid JSON ({error})")
    return decode_node(structure)
