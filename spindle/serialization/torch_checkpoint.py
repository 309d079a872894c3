"""Reading PyTorch's zip checkpoints (what ``torch.save`` writes) without torch and without running code.

A checkpoint is a zip archive ``<prefix>/data.pkl`` (the pickled object), ``<prefix>/data/<key>``
(the raw bytes of each storage), ``<prefix>/byteorder`` and ``<prefix>/version``. The pickle is read
by an unpickler whose ``find_class`` knows only the handful of globals a tensor checkpoint needs:
``collections.OrderedDict``, ``torch.Size`` (read as a tuple), the ``torch.*Storage`` types and
``torch._utils._rebuild_tensor_v2`` / ``_rebuild_parameter``, all replaced by the functions below.
Any other global (``os.system``, ``builtins.eval``, a user's class) raises ``pickle.UnpicklingError``
before anything is called. Tensors come back as ``TensorRecord`` views of one writable copy of their
storage, so tensors that shared a storage (views) still share memory. bfloat16 storages are widened
to float32 (NumPy has no bfloat16); parameters come back as tensors with their ``requires_grad``.
"""
import io
import math
import pickle
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from .bfloat16 import bfloat16_to_float32
from .state_tree import TensorRecord

# torch's storage classes and the element type of each ("bfloat16" is widened to float32).
_STORAGE_ELEMENT_TYPES = {
    "DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
    "BFloat16Storage": "bfloat16", "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}
_ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)


def is_legacy_checkpoint(data):
    """Whether ``data`` looks like a checkpoint of PyTorch before 1.6: a bare pickle stream (starting
    with the PROTO opcode) or the even older tar archive."""
    return data[:1] == b"\x80" or data[257:262] == b"ustar"


def decode(data, source):
    """The state tree of the PyTorch zip checkpoint in ``data``; ``source`` names the file in errors.

    Raises ``RuntimeError`` for a damaged archive and ``pickle.UnpicklingError`` for a pickle that
    uses anything but tensors and containers (nothing from the pickle is ever executed).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_READ_ERRORS as error:
        raise RuntimeError(
            f"{source}: damaged zip archive, the file is truncated or corrupted ({error})"
        ) from None
    with archive:
        pickles = [name for name in archive.namelist() if name.count("/") == 1 and name.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise RuntimeError(
                f"{source}: not a PyTorch checkpoint: found no single '<archive>/data.pkl' in the zip"
            )
        prefix = pickles[0][: -len("data.pkl")]
        byteorder = _read_entry(archive, prefix + "byteorder", source, default=b"little")
        if byteorder not in (b"little", b"big"):
            raise RuntimeError(f"{source}: unknown byte order {byteorder!r} in {prefix}byteorder")
        unpickler = _WeightsUnpickler(
            io.BytesIO(_read_entry(archive, prefix + "data.pkl", source)),
            _StorageReader(archive, prefix, byteorder.decode(), source),
            source,
        )
        try:
            return unpickler.load()
        except (RuntimeError, pickle.UnpicklingError):
            raise
        except Exception as error:  # bad pickles and tensor layouts fail in many ways: report as one
            raise pickle.UnpicklingError(
                f"{source}: malformed {prefix}data.pkl ({type(error).__name__}: {error})"
            ) from None


def _read_entry(archive, name, source, default=None):
    """The bytes of one zip entry; its CRC is checked, so damaged bytes raise RuntimeError."""
    try:
        return archive.read(name)
    except KeyError:
        if default is not None:
            return default
        raise RuntimeError(f"{source}: entry {name!r} is missing from the checkpoint") from None
    except _ZIP_READ_ERRORS as error:
        raise RuntimeError(f"{source}: entry {name!r} is damaged ({error})") from None


class _StorageType:
    """What the pickle's ``torch.FloatStorage`` (etc.) global resolves to: an element type."""

    def __init__(self, element_type):
        self.element_type = element_type
        self.itemsize = 2 if element_type == "bfloat16" else np.dtype(element_type).itemsize


class _Storage:
    """One storage of the archive as a flat writable array, and the device it was saved from."""

    def __init__(self, elements, location):
        self.elements = elements
        self.location = location


class _StorageReader:
    """Reads each storage of the archive once; tensors naming the same key get the same array."""

    def __init__(self, archive, prefix, byteorder, source):
        self.archive, self.prefix, self.byteorder, self.source = archive, prefix, byteorder, source
        self.storages = {}

    def storage(self, storage_type, key, location, numel):
        if key not in self.storages:
            raw = _read_entry(self.archive, f"{self.prefix}data/{key}", self.source)
            if len(raw) != numel * storage_type.itemsize:
                raise RuntimeError(
                    f"{self.source}: storage {key!r} holds {len(raw)} bytes, expected {numel} elements "
                    f"of {storage_type.itemsize} bytes"
                )
            self.storages[key] = _Storage(self._elements(raw, storage_type.element_type), location)
        return self.storages[key]

    def _elements(self, raw, element_type):
        if element_type == "bfloat16":
            return bfloat16_to_float32(raw, self.byteorder)
        stored = np.dtype(element_type).newbyteorder("<" if self.byteorder == "little" else ">")
        # astype copies: the array owns writable memory in native byte order.
        return np.frombuffer(raw, dtype=stored).astype(element_type)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    """torch._utils._rebuild_tensor_v2: a strided view of ``storage``, bounds-checked."""
    if not isinstance(storage, _Storage):
        raise ValueError(f"_rebuild_tensor_v2 expects a storage, got {type(storage).__name__}")
    if metadata and any(metadata.values()):
        # conj/neg bits mark lazily conjugated or negated views; spindle has neither.
        raise ValueError(f"unsupported tensor metadata {metadata!r}")
    array = _strided_view(storage.elements, storage_offset, size, stride)
    return TensorRecord(array, bool(requires_grad), storage.location)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    """torch._utils._rebuild_parameter: the parameter's tensor with its ``requires_grad``."""
    if not isinstance(data, TensorRecord):
        raise ValueError(f"_rebuild_parameter expects a tensor, got {type(data).__name__}")
    return TensorRecord(data.array, bool(requires_grad), data.device)


def _is_count(value):
    return type(value) is int and value >= 0


def _strided_view(elements, offset, size, stride):
    """``elements[offset:]`` seen with ``size`` and ``stride`` (in elements), refusing any layout that
    would reach outside ``elements`` (as_strided does not check, and a crafted file must not read
    foreign memory)."""
    if not (_is_count(offset) and type(size) is tuple and type(stride) is tuple and len(size) == len(stride)
            and all(map(_is_count, size)) and all(map(_is_count, stride))):
        raise ValueError(f"bad tensor layout: offset {offset!r}, size {size!r}, stride {stride!r}")
    if math.prod(size) == 0:
        return np.empty(size, dtype=elements.dtype)
    last = offset + sum((length - 1) * step for length, step in zip(size, stride))
    if last >= elements.size:
        raise ValueError(
            f"tensor of size {size}, stride {stride} at offset {offset} reaches element {last} "
            f"of a storage of {elements.size} elements"
        )
    return np.lib.stride_tricks.as_strided(
        elements[offset:], shape=size, strides=[step * elements.itemsize for step in stride]
    )


_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch", "Size"): tuple,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(element_type) for name, element_type in _STORAGE_ELEMENT_TYPES.items()},
}


class _WeightsUnpickler(pickle._Unpickler):
    """An unpickler that can only build containers, scalars and tensors (see the module docstring).

    It is the pure-Python unpickler so that the BUILD opcode (set an object's attributes) can be
    limited, as in torch's weights-only unpickler, to OrderedDict instances: a state dict pickles its
    ``_metadata`` that way. That state is dropped; on anything else BUILD could change the attributes
    of the functions above.
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, storage_reader, source):
        super().__init__(file)
        self.storage_reader = storage_reader
        self.source = source

    def find_class(self, module, name):
        allowed = _ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise pickle.UnpicklingError(
                f"{self.source}: refusing to load the global {module}.{name}: a checkpoint may only hold "
                "tensors, containers and scalars, and nothing in it is executed. Re-save the data as a "
                "state dict of tensors."
            )
        return allowed

    def persistent_load(self, saved_id):
        if not (type(saved_id) is tuple and len(saved_id) == 5 and saved_id[0] in ("storage", b"storage")):
            raise pickle.UnpicklingError(f"{self.source}: unsupported persistent id {saved_id!r}")
        _, storage_type, key, location, numel = saved_id
        if not (isinstance(storage_type, _StorageType) and type(key) is str and type(location) is str
                and type(numel) is int and numel >= 0):
            raise pickle.UnpicklingError(f"{self.source}: bad storage reference {saved_id!r}")
        return self.storage_reader.storage(storage_type, key, location, numel)

    def load_build(self):
        self.stack.pop()  # the state
        if type(self.stack[-1]) is not OrderedDict:
            raise pickle.UnpicklingError(
                f"{self.source}: refusing to set the state of a {type(self.stack[-1]).__name__} object; "
                "only OrderedDict may carry state in a checkpoint"
            )

    dispatch[pickle.BUILD[0]] = load_build
