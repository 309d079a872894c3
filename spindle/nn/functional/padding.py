"""``F.pad``: constant, reflect, replicate and circular padding of the trailing dimensions."""
import spindle

__all__ = ["pad"]

_NON_CONSTANT_HELP = (
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
)


def _source_positions(mode, size, left, right, dim, shape):
    """For each output position along one dim, the input position it copies (reflect: mirror
    without repeating the edge; replicate: clamp to the edge; circular: wrap around)."""
    if mode == "reflect" and (left >= size or right >= size):
        raise RuntimeError(
            "Argument #4: Padding size should be less than the corresponding input dimension, but got: "
            f"padding ({left}, {right}) at dimension {dim} of input {list(shape)}"
        )
    if mode == "circular" and (left > size or right > size):
        raise RuntimeError("Padding value causes wrapping around more than once.")
    if mode == "circular":
        # Negative amounts crop first; the padding then wraps around what is left.
        start, stop = max(-left, 0), size - max(-right, 0)
        kept = stop - start
        return [start + i % kept for i in range(-max(left, 0), kept + max(right, 0))]
    if mode == "reflect":
        return [-i if i < 0 else (2 * (size - 1) - i if i >= size else i) for i in range(-left, size + right)]
    return [min(max(i, 0), size - 1) for i in range(-left, size + right)]


def _constant_pad_dim(input, dim, left, right, value):
    size = input.shape[dim]
    # Negative padding crops.
    start, stop = max(-left, 0), size - max(-right, 0)
    if stop < start:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start > 0 or stop < size:
        input = input.narrow(dim, start, stop - start)
    parts = []
    for amount in (left, right):
        shape = list(input.shape)
        shape[dim] = max(amount, 0)
        parts.append(spindle.full(shape, value, dtype=input.dtype, device=input.device) if amount > 0 else None)
    pieces = [piece for piece in (parts[0], input, parts[1]) if piece is not None]
    return spindle.cat(pieces, dim) if len(pieces) > 1 else input


def pad(input, pad, mode="constant", value=None):
    """Pad ``input``: ``pad = (left_last, right_last, left_2nd_last, right_2nd_last, ...)`` gives the
    amount added before/after each trailing dim, starting from the last (negative amounts crop).

    ``mode``: ``'constant'`` (filled with ``value``, default 0; any number of dims), or
    ``'reflect'``, ``'replicate'``, ``'circular'`` (the last 1, 2 or 3 dims of a batched or
    unbatched input). Output shape: each padded dim grows by its two amounts.
    """
    if len(pad) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but got padding "
            f"length {len(pad)} and input of dimension {input.dim()}"
        )
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant":
        if value is not None and value != 0:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
        padded_dims = len(pad) // 2
        if padded_dims not in (1, 2, 3) or input.dim() not in (padded_dims + 1, padded_dims + 2):
            raise NotImplementedError(
                f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n" + _NON_CONSTANT_HELP
            )
    output = input
    for pair in range(len(pad) // 2):
        dim = input.dim() - 1 - pair
        left, right = pad[2 * pair], pad[2 * pair + 1]
        if mode == "constant":
            output = _constant_pad_dim(output, dim, left, right, 0 if value is None else value)
        else:
            positions = _source_positions(mode, output.shape[dim], left, right, dim, input.shape)
            output = output.index_select(dim, spindle.tensor(positions, dtype=spindle.int64, device=input.device))
    # Like PyTorch, never hand back the input itself (zero padding still gives a new tensor).
    return input.clone() if output is input else output
