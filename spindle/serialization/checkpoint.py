"""``spindle.save`` and ``spindle.load``: checkpoints as safetensors files; PyTorch's read safely too."""
import os

import spindle

from . import safetensors_file, torch_checkpoint
from .atomic_write import write_atomically
from .state_tree import TensorRecord, map_leaves


def save(obj, f):
    """Save ``obj`` to ``f`` (a path, or a binary file object opened for writing), like ``torch.save``.

    ``obj`` is a tensor or nested ``dict``/``OrderedDict``/``list``/``tuple`` of tensors and Python
    ``str``/``int``/``float``/``bool``/``None`` — a model's or an optimizer's ``state_dict()``. The file
    is a safetensors file (see ``safetensors_file``): any safetensors reader gets the tensors, and
    ``load`` gives back the same containers, key types and scalars; tensors keep their values, dtype,
    shape, ``requires_grad`` and device, and one tensor object referenced twice comes back as one
    object. Nothing is pickled: any other value raises ``TypeError``. Writing to a path is atomic
    (see ``write_atomically``): a crash mid-save leaves the previous file at that path intact.
    """
    records = {}

    def to_record(tensor):
        if id(tensor) not in records:
            records[id(tensor)] = TensorRecord(
                tensor.detach().cpu().numpy(), tensor.requires_grad, str(tensor.device)
            )
        return records[id(tensor)]

    data = safetensors_file.encode(map_leaves(obj, spindle.Tensor, to_record))
    if isinstance(f, (str, os.PathLike)):
        write_atomically(f, data)
    else:
        f.write(data)


def load(f, map_location=None, *, weights_only=True, mmap=None):
    """Load an object saved by ``save`` or by ``torch.save`` from ``f`` (a path or a binary file object).

    The format is recognised by its bytes: safetensors (also files written by other tools, which
    load as a flat dict of tensors) or PyTorch's zip checkpoint, read without torch by an unpickler
    that only builds tensors and containers (see ``torch_checkpoint``): a pickle that names anything
    else raises ``pickle.UnpicklingError`` and nothing in it runs. bfloat16 tensors come back as
    float32 and ``nn.Parameter`` objects as tensors with their ``requires_grad``.

    ``map_location`` says where tensors go: ``None`` (the device they were saved from), a device or
    device string (all tensors there), or a dict from saved to wanted device names. ``weights_only``
    and ``mmap`` are accepted for PyTorch compatibility and change nothing: no code from the file is
    ever run, and the file is read into memory. A truncated, corrupted or unrecognised file raises
    ``RuntimeError`` naming the file and the problem, and nothing is returned.
    """
    target_device = _device_rule(map_location)
    if isinstance(f, (str, os.PathLike)):
        source = os.fspath(f)
        with open(source, "rb") as file:
            data = file.read()
    else:
        source = getattr(f, "name", "<file object>")
        data = f.read()
    state = _decode(data, source)
    tensors = {}

    def to_tensor(record):
        if id(record) not in tensors:
            tensor = spindle.from_numpy(record.array)
            device = str(target_device(record.device))
            if device != "cpu":
                tensor = tensor.to(device)
            tensors[id(record)] = tensor.requires_grad_(record.requires_grad)
        return tensors[id(record)]

    try:
        return map_leaves(state, TensorRecord, to_tensor)
    except TypeError as error:  # a pickle holding values a checkpoint may not (a set, bytes...)
        raise RuntimeError(f"{source}: {error}") from None


def _decode(data, source):
    """The state tree in the bytes of a checkpoint file, whichever format it is in."""
    if data[8:9] == b"{":  # 8-byte header length, then the JSON header
        return safetensors_file.decode(data, source)
    if data[:2] == b"PK":
        return torch_checkpoint.decode(data, source)
    if torch_checkpoint.is_legacy_checkpoint(data):
        raise RuntimeError(
            f"{source}: this is a PyTorch checkpoint in the legacy (pre-1.6, non-zip) format, which "
            "cannot be read safely. Re-save it with a recent torch "
            "(torch.save(torch.load(path, weights_only=True), path)) or convert it to safetensors."
        )
    if not data:
        raise RuntimeError(f"{source}: the file is empty")
    raise RuntimeError(
        f"{source}: not a checkpoint, or a truncated one: it is neither safetensors (8-byte header "
        "length, then a JSON header) nor a PyTorch zip archive"
    )


def _device_rule(map_location):
    """A function from the device name a tensor was saved from to the device to load it onto."""
    if map_location is None:
        return lambda saved: saved
    if isinstance(map_location, dict):
        return lambda saved: map_location.get(saved, saved)
    if isinstance(map_location, (str, spindle.device)):
        return lambda saved: map_location
    raise TypeError(
        "map_location must be None, a device, a device string or a dict of device names, got "
        f"{type(map_location).__name__} (callables are not supported)"
    )
