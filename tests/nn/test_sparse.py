"""Embedding and one_hot against PyTorch: lookups, gradients (padding row, repeated indices,
scale_grad_by_freq), max_norm renormalization, from_pretrained, initialization and errors."""
import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import assert_close, assert_same_error, check_against_torch, copy_state


def embedding_pair(**options):
    theirs = torch.nn.Embedding(7, 3, **options)
    ours = spindle.nn.Embedding(7, 3, **options)
    copy_state(theirs, ours)
    return ours, theirs


OPTIONS = {
    "plain": {},
    "padding": {"padding_idx": 2},
    "negative_padding": {"padding_idx": -1},
    "scale_grad_by_freq": {"scale_grad_by_freq": True},
    "padding_and_freq": {"padding_idx": 0, "scale_grad_by_freq": True},
}


@pytest.mark.parametrize("options", sorted(OPTIONS))
@pytest.mark.parametrize("index_shape", [(5,), (3, 4), ()])
def test_embedding_module(rng, options, index_shape):
    ours, theirs = embedding_pair(**OPTIONS[options])
    assert repr(ours) == repr(theirs)
    # Repeated indices (and the padding index) so that gradients accumulate.
    indices = rng.integers(0, 7, size=index_shape)
    indices.flat[:1] = 2
    if indices.size > 2:
        indices.flat[1] = 6
        indices.flat[2] = 2
    check_against_torch(
        rng, lambda fw, i: (ours if fw is spindle else theirs)(i), [indices.astype(np.int64)], modules=(ours, theirs)
    )


def test_embedding_padding_row_initialized_to_zero_and_stays_without_gradient():
    layer = spindle.nn.Embedding(5, 4, padding_idx=1)
    assert not layer.weight[1].detach().numpy().any()
    weights = layer.weight.detach().numpy()
    assert layer.padding_idx == 1 and spindle.nn.Embedding(5, 4, padding_idx=-2).padding_idx == 3
    layer(spindle.tensor([1, 1, 3])).sum().backward()
    assert not layer.weight.grad[1].numpy().any()
    np.testing.assert_array_equal(layer.weight.grad[3].numpy(), np.ones(4, dtype=np.float32))
    np.testing.assert_array_equal(layer.weight.detach().numpy(), weights)


def test_embedding_default_init_is_standard_normal():
    values = spindle.nn.Embedding(1000, 50).weight.detach().numpy()
    # 50000 draws: both tolerances exceed 5 standard errors.
    assert abs(values.mean()) < 0.025 and abs(values.std() - 1.0) < 0.02


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_renormalizes_looked_up_rows(rng, norm_type):
    theirs = torch.nn.Embedding(6, 4, max_norm=1.0, norm_type=norm_type)
    ours = spindle.nn.Embedding(6, 4, max_norm=1.0, norm_type=norm_type)
    with torch.no_grad():
        theirs.weight.mul_(3.0)
    copy_state(theirs, ours)
    indices = np.array([[0, 2], [2, 5]], dtype=np.int64)
    check_against_torch(rng, lambda fw, i: (ours if fw is spindle else theirs)(i), [indices], modules=(ours, theirs))
    assert_close(ours.weight, theirs.weight)  # rows 0, 2, 5 shrunk in place, the others untouched
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("freeze", [True, False])
def test_from_pretrained(freeze):
    table = spindle.tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
    layer = spindle.nn.Embedding.from_pretrained(table, freeze=freeze, padding_idx=0)
    assert layer.weight.requires_grad is not freeze
    np.testing.assert_array_equal(layer(spindle.tensor([3, 0])).detach().numpy(), [[9, 10, 11], [0, 1, 2]])
    assert repr(layer) == repr(torch.nn.Embedding.from_pretrained(torch.zeros(4, 3), padding_idx=0))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_functional_embedding(rng, dtype):
    weight = rng.standard_normal((5, 3)).astype(dtype)
    indices = np.array([[4, 0, 4], [1, 1, 2]])
    check_against_torch(rng, lambda fw, i, w: fw.nn.functional.embedding(i, w), [indices, weight], dtype)
    check_against_torch(rng, lambda fw, i, w: fw.nn.functional.embedding(i, w, padding_idx=4), [indices, weight], dtype)
    check_against_torch(
        rng, lambda fw, i, w: fw.nn.functional.embedding(i.int(), w, scale_grad_by_freq=True), [indices, weight], dtype
    )


def test_embedding_errors():
    assert_same_error(lambda fw: fw.nn.functional.embedding(fw.tensor([1.0]), fw.ones(3, 2)))
    assert_same_error(lambda fw: fw.nn.Embedding(3, 2, padding_idx=3))
    assert_same_error(lambda fw: fw.nn.Embedding(3, 2, padding_idx=-4))
    assert_same_error(lambda fw: fw.nn.Embedding.from_pretrained(fw.ones(3)))
    assert_same_error(lambda fw: fw.nn.Embedding(3, 2, _weight=fw.ones(2, 2)))
    with pytest.raises(IndexError):
        spindle.nn.Embedding(3, 2)(spindle.tensor([3]))


def test_one_hot():
    for values, classes in (([[0, 2], [1, 1]], -1), ([3, 0], 5), (2, 4)):
        ours = spindle.nn.functional.one_hot(spindle.tensor(values), classes)
        theirs = torch.nn.functional.one_hot(torch.tensor(values), classes)
        assert_close(ours, theirs)
    assert_same_error(lambda fw: fw.nn.functional.one_hot(fw.tensor([1.0])))
    assert_same_error(lambda fw: fw.nn.functional.one_hot(fw.tensor([1], dtype=fw.int32), 3))
    assert_same_error(lambda fw: fw.nn.functional.one_hot(fw.tensor([-1])))
    assert_same_error(lambda fw: fw.nn.functional.one_hot(fw.tensor([3]), 2))
    assert_same_error(lambda fw: fw.nn.functional.one_hot(fw.tensor([], dtype=fw.int64)))
