"""Transformer encoder/decoder layers, stacks and the full Transformer against PyTorch with identical
weights: outputs and all gradients over norm_first, activations, batch_first, masks and padding;
submodule names, causal-mask helpers, initialisation and errors."""
import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import assert_close, assert_same_error, assert_same_parameter_grads, copy_state, random_array

D_MODEL, HEADS, FEEDFORWARD, BATCH = 8, 2, 16, 3
TOLERANCE = 1e-4


def pair(build):
    theirs, ours = build(torch), build(spindle)
    copy_state(theirs, ours)
    return ours, theirs


def compare(rng, ours, theirs, arrays, call, dtype="float32", differentiable=1):
    """``call(module, framework, *tensors)`` in both frameworks on tensors from ``arrays`` (the
    first ``differentiable`` of them requiring grad); compares output, their gradients and the
    parameter gradients."""
    outputs, leaves = [], []
    for framework, module in ((spindle, ours), (torch, theirs)):
        tensors = [framework.tensor(a, requires_grad=i < differentiable) for i, a in enumerate(arrays)]
        leaves.append(tensors)
        outputs.append(call(module, framework, *tensors))
    assert_close(outputs[0], outputs[1], dtype, TOLERANCE)
    cotangent = rng.standard_normal(tuple(outputs[1].shape)).astype(dtype)
    outputs[0].backward(spindle.tensor(cotangent))
    outputs[1].backward(torch.tensor(cotangent))
    for mine, reference in zip(*leaves):
        if reference.requires_grad:
            assert_close(mine.grad, reference.grad, dtype, TOLERANCE)
    assert_same_parameter_grads(ours, theirs, dtype, TOLERANCE)


def sequence(rng, batch_first, length, dtype="float32"):
    return random_array(rng, (BATCH, length, D_MODEL) if batch_first else (length, BATCH, D_MODEL), dtype)


def padding_mask(length):
    mask = np.zeros((BATCH, length), dtype=bool)
    mask[1, length - 2:] = True
    return mask


@pytest.mark.parametrize("activation", ["relu", "gelu", "callable"])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer(rng, batch_first, norm_first, activation):
    def build(fw):
        chosen = (lambda x: fw.tanh(x) * 2) if activation == "callable" else activation
        return fw.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, dropout=0.0, activation=chosen,
                                             batch_first=batch_first, norm_first=norm_first)

    ours, theirs = pair(build)
    mask = np.triu(np.ones((5, 5), dtype=bool), 1)

    def call(module, fw, src, mask, padding):
        return module(src, src_mask=mask, src_key_padding_mask=padding)

    compare(rng, ours, theirs, [sequence(rng, batch_first, 5), mask, padding_mask(5)], call)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_layer(rng, batch_first, norm_first):
    ours, theirs = pair(lambda fw: fw.nn.TransformerDecoderLayer(
        D_MODEL, HEADS, FEEDFORWARD, dropout=0.0, activation="gelu", batch_first=batch_first, norm_first=norm_first))
    causal = torch.nn.Transformer.generate_square_subsequent_mask(4).numpy()

    def call(module, fw, tgt, memory, tgt_mask, memory_padding):
        return module(tgt, memory, tgt_mask=tgt_mask, memory_key_padding_mask=memory_padding, tgt_is_causal=True)

    arrays = [sequence(rng, batch_first, 4), sequence(rng, batch_first, 6), causal, padding_mask(6)]
    compare(rng, ours, theirs, arrays, call, differentiable=2)


@pytest.mark.parametrize("is_causal", [None, True, False])
def test_encoder_stack_with_final_norm(rng, is_causal):
    def build(fw):
        layer = fw.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, dropout=0.0, batch_first=True,
                                              norm_first=True)
        return fw.nn.TransformerEncoder(layer, 2, norm=fw.nn.LayerNorm(D_MODEL), enable_nested_tensor=False)

    ours, theirs = pair(build)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5).numpy()

    def call(module, fw, src, mask):
        return module(src, mask=mask, is_causal=is_causal)

    compare(rng, ours, theirs, [sequence(rng, True, 5), causal], call)


def test_encoder_stack_with_padding_and_unbatched_input(rng):
    ours, theirs = pair(lambda fw: fw.nn.TransformerEncoder(
        fw.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, dropout=0.0), 2, enable_nested_tensor=False))
    compare(rng, ours, theirs, [sequence(rng, False, 5), padding_mask(5)],
            lambda module, fw, src, padding: module(src, src_key_padding_mask=padding))
    compare(rng, ours, theirs, [random_array(rng, (5, D_MODEL))],
            lambda module, fw, src: module(src))


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_full_transformer(rng, batch_first, norm_first):
    ours, theirs = pair(lambda fw: fw.nn.Transformer(
        D_MODEL, HEADS, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=FEEDFORWARD, dropout=0.0,
        batch_first=batch_first, norm_first=norm_first))
    causal = torch.nn.Transformer.generate_square_subsequent_mask(4).numpy()

    def call(module, fw, src, tgt, tgt_mask, src_padding):
        return module(src, tgt, tgt_mask=tgt_mask, src_key_padding_mask=src_padding,
                      memory_key_padding_mask=src_padding)

    arrays = [sequence(rng, batch_first, 6), sequence(rng, batch_first, 4), causal, padding_mask(6)]
    compare(rng, ours, theirs, arrays, call, differentiable=2)


def test_float64_transformer(rng):
    ours, theirs = pair(lambda fw: fw.nn.Transformer(D_MODEL, HEADS, 1, 1, FEEDFORWARD, dropout=0.0,
                                                     dtype=fw.float64))
    arrays = [sequence(rng, False, 3, "float64"), sequence(rng, False, 2, "float64")]
    compare(rng, ours, theirs, arrays, lambda module, fw, src, tgt: module(src, tgt), "float64", differentiable=2)


def test_dropout_is_active_in_training_only(rng):
    layer = spindle.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, dropout=0.5)
    x = spindle.tensor(sequence(rng, False, 5))
    assert not np.allclose(layer(x).detach().numpy(), layer(x).detach().numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())


def test_names_state_dicts_and_initialisation_match_torch():
    ours = spindle.nn.Transformer(D_MODEL, HEADS, 2, 2, FEEDFORWARD)
    theirs = torch.nn.Transformer(D_MODEL, HEADS, 2, 2, FEEDFORWARD)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    # Every matrix xavier-uniform: |w| <= sqrt(6 / (fan_in + fan_out)).
    for name, parameter in ours.named_parameters():
        if parameter.dim() > 1:
            rows, columns = parameter.shape
            assert np.abs(parameter.detach().numpy()).max() <= np.sqrt(6 / (rows + columns)), name
    layer = spindle.nn.TransformerEncoderLayer(D_MODEL, HEADS, activation="gelu")
    assert layer.activation_relu_or_gelu == 2
    assert spindle.nn.TransformerEncoderLayer(D_MODEL, HEADS, activation=spindle.nn.ReLU()).activation_relu_or_gelu == 1


def test_generate_square_subsequent_mask_matches_torch():
    for size in (1, 4):
        assert_close(spindle.nn.Transformer.generate_square_subsequent_mask(size),
                     torch.nn.Transformer.generate_square_subsequent_mask(size))
    mask = spindle.nn.Transformer.generate_square_subsequent_mask(3, dtype=spindle.float64)
    assert mask.dtype == spindle.float64


@pytest.mark.parametrize("compute", [
    lambda fw: fw.nn.TransformerEncoderLayer(8, 2, activation="tanh"),
    lambda fw: fw.nn.Transformer(8, 2, 1, 1, 16)(fw.zeros(3, 2, 8), fw.zeros(3, 4, 8)),
    lambda fw: fw.nn.Transformer(8, 2, 1, 1, 16)(fw.zeros(3, 2, 8), fw.zeros(3, 2, 6)),
    lambda fw: fw.nn.TransformerEncoderLayer(8, 2)(fw.zeros(3, 2, 8), src_mask=fw.zeros(3, 3, dtype=fw.int64)),
], ids=["activation", "batch", "features", "mask_dtype"])
def test_errors_match_torch(compute):
    assert_same_error(compute)
