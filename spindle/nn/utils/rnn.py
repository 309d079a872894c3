"""Variable-length sequences for the recurrent layers: :class:`PackedSequence` and the functions that
pad, pack and unpack batches of sequences, as ``torch.nn.utils.rnn``.

A packed sequence stores only the real (non-padding) time steps of a batch of sequences sorted by
decreasing length: ``data`` holds, for t = 0, 1, ..., the rows of the ``batch_sizes[t]`` sequences
still running at step t, one after the other. The recurrent layers consume it without wasting work
on padding.
"""
from collections import namedtuple

import spindle

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pad_sequence",
    "unpad_sequence",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pack_sequence",
    "unpack_sequence",
]


def invert_permutation(permutation):
    """The permutation ``inverse`` with ``inverse[permutation[i]] = i`` (None for None)."""
    if permutation is None:
        return None
    inverse = spindle.empty_like(permutation)
    inverse.scatter_(0, permutation, spindle.arange(permutation.numel(), device=permutation.device))
    return inverse


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A batch of variable-length sequences packed without padding.

    ``data`` (sum of lengths, *) holds the time steps of the sequences sorted by decreasing length,
    step by step; ``batch_sizes`` (max length,), an int64 CPU tensor, says how many sequences are
    still running at each step. ``sorted_indices`` maps sorted position to original batch position
    (None when the batch was given already sorted) and ``unsorted_indices`` is its inverse. Build it
    with :func:`pack_padded_sequence` or :func:`pack_sequence` rather than by hand.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not isinstance(data, (list, tuple)) or len(data) != 2:
                raise TypeError("PackedSequence expects (data, batch_sizes) when batch_sizes is not given")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never be created "
                "manually. They should be instantiated by functions like pack_sequence and "
                "pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
            )
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The same packed sequence with ``data`` converted by ``Tensor.to(*args, **kwargs)`` (the
        index tensors follow it to its device; ``batch_sizes`` stays on the CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        device = data.device
        sorted_indices = None if self.sorted_indices is None else self.sorted_indices.to(device)
        unsorted_indices = None if self.unsorted_indices is None else self.unsorted_indices.to(device)
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, *args, **kwargs):
        return self.to(*args, device="cuda", **kwargs)

    def cpu(self, *args, **kwargs):
        return self.to(*args, device="cpu", **kwargs)

    def double(self):
        return self.to(dtype=spindle.float64)

    def float(self):
        return self.to(dtype=spindle.float32)

    def half(self):
        return self.to(dtype=spindle.float16)

    @property
    def is_cuda(self):
        return self.data.is_cuda


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shape (L_i, *) into one (T, B, *) tensor (``(B, T, *)`` with
    ``batch_first``), T = max L_i, filling the missing steps with ``padding_value`` after each
    sequence (before it with ``padding_side='left'``)."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    longest = max(sequence.size(0) for sequence in sequences)
    padded = []
    for sequence in sequences:
        missing = longest - sequence.size(0)
        if missing:
            filler = sequence.new_full((missing,) + tuple(sequence.shape[1:]), padding_value)
            sequence = spindle.cat([sequence, filler] if padding_side == "right" else [filler, sequence])
        padded.append(sequence)
    return spindle.stack(padded, dim=0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The inverse of :func:`pad_sequence`: the list of the B sequences of ``padded_sequences``
    (T, B, *) (or (B, T, *)), the b-th cut to ``lengths[b]`` steps."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [sequence[:length] for sequence, length in zip(padded_sequences, _as_length_list(lengths))]


def _as_length_list(lengths):
    return lengths.tolist() if isinstance(lengths, spindle.Tensor) else [int(length) for length in lengths]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack the padded batch ``input`` (T, B, *) (or (B, T, *) with ``batch_first``) of sequences
    with the given ``lengths`` (a list or 1-D tensor of B positive ints) into a
    :class:`PackedSequence`. With ``enforce_sorted`` the lengths must be decreasing; otherwise the
    batch is sorted here and the permutation recorded. Differentiable with respect to ``input``."""
    lengths = spindle.as_tensor(_as_length_list(lengths), dtype=spindle.int64)
    if lengths.dim() != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D tensor")
    batch_dim = 0 if batch_first else 1
    if lengths.numel() != input.size(batch_dim):
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.numel()} "
            f"(batch_size={input.size(batch_dim)})"
        )
    if enforce_sorted:
        sorted_indices = None
        if lengths.numel() > 1 and bool((lengths[1:] > lengths[:-1]).any()):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
                "if you do not need ONNX exportability."
            )
    else:
        lengths, sorted_indices = lengths.sort(descending=True, stable=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(batch_dim, sorted_indices)
    if lengths.numel() and int(lengths.min()) <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    if batch_first:
        input = input.transpose(0, 1)
    steps = int(lengths[0])
    if steps > input.size(0):
        raise RuntimeError(
            f"Expected the longest length ({steps}) to be at most the padded length ({input.size(0)})"
        )
    batch = input.size(1)
    # Row t * B + b of the time-major padded input is step t of sequence b; it is kept while t < length.
    running = spindle.arange(steps).unsqueeze(1) < lengths.unsqueeze(0)
    batch_sizes = running.sum(1)
    rows = running.reshape(-1).nonzero().squeeze(1).to(input.device)
    data = input[:steps].reshape((steps * batch,) + tuple(input.shape[2:])).index_select(0, rows)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of :func:`pack_padded_sequence`: returns ``(padded, lengths)`` with ``padded``
    (T, B, *) (or (B, T, *)) in the original batch order, T the longest length or ``total_length``,
    padding filled with ``padding_value``, and ``lengths`` an int64 tensor of the B lengths.
    Differentiable with respect to ``sequence.data``."""
    batch_sizes = sequence.batch_sizes
    steps = batch_sizes.size(0)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {steps}"
            )
        steps = total_length
    data = sequence.data
    batch = int(batch_sizes[0])
    lengths = (batch_sizes.unsqueeze(0) > spindle.arange(batch).unsqueeze(1)).sum(1)
    running = spindle.arange(steps).unsqueeze(1) < lengths.unsqueeze(0)
    # Each padded position reads its data row, or the extra padding row appended after the data.
    padding_row = data.size(0)
    source = spindle.full((steps * batch,), padding_row, dtype=spindle.int64)
    source[running.reshape(-1)] = spindle.arange(padding_row)
    filler = data.new_full((1,) + tuple(data.shape[1:]), padding_value)
    padded = spindle.cat([data, filler]).index_select(0, source.to(data.device))
    padded = padded.reshape((steps, batch) + tuple(data.shape[1:]))
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu()]
    return padded, lengths


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors (L_i, *) into a :class:`PackedSequence` (lengths decreasing unless
    ``enforce_sorted=False``)."""
    lengths = [sequence.size(0) for sequence in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The inverse of :func:`pack_sequence`: the list of the packed tensors (L_i, *)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
