"""nn.utils.rnn against PyTorch: pad_sequence, pack_padded_sequence, pad_packed_sequence,
pack_sequence and their inverses, values and gradients, sorted and unsorted batches, and errors."""
import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import assert_close, assert_same_error, random_array

spindle_rnn = spindle.nn.utils.rnn
torch_rnn = torch.nn.utils.rnn


def leaves(arrays):
    """The same arrays as leaves requiring grad in (spindle, torch)."""
    return ([spindle.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def backward_same(rng, spindle_output, torch_output):
    cotangent = rng.standard_normal(tuple(torch_output.shape)).astype(torch_output.detach().numpy().dtype)
    spindle_output.backward(spindle.tensor(cotangent))
    torch_output.backward(torch.tensor(cotangent))


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence(rng, batch_first, padding_side):
    arrays = [random_array(rng, (length, 3), "float64") for length in (4, 1, 6)]
    ours, theirs = leaves(arrays)
    spindle_padded = spindle_rnn.pad_sequence(ours, batch_first, -2.5, padding_side)
    torch_padded = torch_rnn.pad_sequence(theirs, batch_first, -2.5, padding_side)
    assert_close(spindle_padded, torch_padded, "float64")
    backward_same(rng, spindle_padded, torch_padded)
    for mine, reference in zip(ours, theirs):
        assert_close(mine.grad, reference.grad, "float64")
    unpadded = spindle_rnn.unpad_sequence(spindle_padded, [4, 1, 6], batch_first)
    if padding_side == "right":
        for piece, array in zip(unpadded, arrays):
            np.testing.assert_array_equal(piece.detach().numpy(), array)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_padded_then_pad_packed(rng, batch_first, enforce_sorted):
    lengths = [5, 3, 2, 1] if enforce_sorted else [2, 5, 1, 3]
    shape = (4, 6, 3) if batch_first else (6, 4, 3)
    ours, theirs = leaves([random_array(rng, shape, "float32")])
    spindle_packed = spindle_rnn.pack_padded_sequence(ours[0], lengths, batch_first, enforce_sorted)
    torch_packed = torch_rnn.pack_padded_sequence(theirs[0], lengths, batch_first, enforce_sorted)
    assert_close(spindle_packed.data, torch_packed.data)
    assert spindle_packed.batch_sizes.tolist() == torch_packed.batch_sizes.tolist()
    assert spindle_packed.batch_sizes.dtype == spindle.int64
    for name in ("sorted_indices", "unsorted_indices"):
        mine, reference = getattr(spindle_packed, name), getattr(torch_packed, name)
        assert (mine is None) == (reference is None)
        if mine is not None:
            assert mine.tolist() == reference.tolist()
    spindle_padded, spindle_lengths = spindle_rnn.pad_packed_sequence(spindle_packed, batch_first, 7.0, total_length=7)
    torch_padded, torch_lengths = torch_rnn.pad_packed_sequence(torch_packed, batch_first, 7.0, total_length=7)
    assert_close(spindle_padded, torch_padded)
    assert spindle_lengths.tolist() == torch_lengths.tolist() == lengths
    assert spindle_lengths.dtype == spindle.int64
    backward_same(rng, spindle_padded, torch_padded)
    assert_close(ours[0].grad, theirs[0].grad)


def test_pack_sequence_roundtrip_and_tensor_lengths(rng):
    arrays = [random_array(rng, (length, 2, 2), "float64") for length in (2, 4, 3)]
    packed = spindle_rnn.pack_sequence([spindle.tensor(a) for a in arrays], enforce_sorted=False)
    reference = torch_rnn.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted=False)
    assert_close(packed.data, reference.data, "float64")
    for piece, array in zip(spindle_rnn.unpack_sequence(packed), arrays):
        np.testing.assert_array_equal(piece.numpy(), array)
    padded = spindle.tensor(random_array(rng, (4, 3, 2), "float64"))
    from_list = spindle_rnn.pack_padded_sequence(padded, [4, 2, 1])
    from_tensor = spindle_rnn.pack_padded_sequence(padded, spindle.tensor([4, 2, 1]))
    np.testing.assert_array_equal(from_list.data.numpy(), from_tensor.data.numpy())


def test_packed_sequence_conversions_and_fields(rng):
    packed = spindle_rnn.pack_sequence([spindle.tensor(random_array(rng, (n, 2), "float32")) for n in (1, 3)],
                                       enforce_sorted=False)
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert batch_sizes.tolist() == [2, 1, 1] and sorted_indices.tolist() == [1, 0]
    assert unsorted_indices.tolist() == [1, 0]
    assert packed.double().data.dtype == spindle.float64 and packed.double().batch_sizes is batch_sizes
    assert packed.to(spindle.float32) is packed
    assert not packed.is_cuda
    assert spindle_rnn.invert_permutation(spindle.tensor([2, 0, 1])).tolist() == [1, 2, 0]


def test_errors_match_torch(rng):
    padded = random_array(rng, (3, 2, 1), "float32")

    def unsorted(fw):
        fw.nn.utils.rnn.pack_padded_sequence(fw.tensor(padded), [1, 3])

    def zero_length(fw):
        fw.nn.utils.rnn.pack_padded_sequence(fw.tensor(padded), [3, 0])

    def wrong_count(fw):
        fw.nn.utils.rnn.pack_padded_sequence(fw.tensor(padded), [3, 2, 1])

    def short_total(fw):
        packed = fw.nn.utils.rnn.pack_padded_sequence(fw.tensor(padded), [3, 2])
        fw.nn.utils.rnn.pad_packed_sequence(packed, total_length=2)

    def bad_side(fw):
        fw.nn.utils.rnn.pad_sequence([fw.tensor(padded)], padding_side="middle")

    for compute in (unsorted, zero_length, wrong_count, short_total, bad_side):
        assert_same_error(compute)


def test_lengths_longer_than_padding_and_empty_list_raise():
    with pytest.raises(RuntimeError, match="longest length"):
        spindle_rnn.pack_padded_sequence(spindle.zeros(3, 2, 1), [4, 2])
    assert_same_error(lambda fw: fw.nn.utils.rnn.pad_sequence([]))
