"""F.scaled_dot_product_attention, F.multi_head_attention_forward and nn.MultiheadAttention against
PyTorch with identical weights: values and gradients over masks (boolean, float, causal, key
padding, 2-D and 3-D), layouts (batch_first, unbatched), kdim/vdim, bias_kv, zero_attn, returned
weights; dropout statistics; parameter names; errors."""
import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import (
    assert_close, assert_same_error, assert_same_parameter_grads, check_against_torch, copy_state, random_array,
)

TOLERANCE = {"float32": 1e-4, "float64": 1e-10}


def sdpa(**options):
    return lambda fw, q, k, v, *mask: fw.nn.functional.scaled_dot_product_attention(
        q, k, v, *(fw.tensor(m) for m in mask), **options)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ["plain", "causal", "scale", "causal_wide", "unbatched"])
def test_sdpa_without_mask(rng, case, dtype):
    target, source = {"causal_wide": (3, 6), "unbatched": (4, 5)}.get(case, (5, 5))
    batch_shape = () if case == "unbatched" else (2, 3)
    q = random_array(rng, batch_shape + (target, 4), dtype)
    k = random_array(rng, batch_shape + (source, 4), dtype)
    v = random_array(rng, batch_shape + (source, 6), dtype)
    options = {"causal": {"is_causal": True}, "causal_wide": {"is_causal": True}, "scale": {"scale": 0.7}}
    check_against_torch(rng, sdpa(**options.get(case, {})), [q, k, v], dtype, tolerance=TOLERANCE[dtype],
                        noncontiguous=case == "plain")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mask_kind", ["bool", "float", "bool_broadcast_heads"])
def test_sdpa_with_mask(rng, mask_kind, dtype):
    q = random_array(rng, (2, 3, 5, 4), dtype)
    k = random_array(rng, (2, 3, 7, 4), dtype)
    v = random_array(rng, (2, 3, 7, 2), dtype)
    if mask_kind == "float":
        mask = random_array(rng, (5, 7), dtype)
    elif mask_kind == "bool_broadcast_heads":
        mask = rng.random((2, 1, 5, 7)) < 0.7
        mask[..., 0] = True
    else:
        mask = rng.random((5, 7)) < 0.7
        mask[:, 0] = True
    check_against_torch(rng, sdpa(), [q, k, v, mask], dtype, tolerance=TOLERANCE[dtype])


def test_sdpa_query_attending_nothing_gives_zeros_and_no_gradient(rng):
    q, k, v = (random_array(rng, (2, 4, 3), "float64") for _ in range(3))
    mask = np.ones((4, 4), dtype=bool)
    mask[1] = False
    additive = np.zeros((4, 4))
    additive[2] = -np.inf
    spindle_out, _ = check_against_torch(rng, sdpa(), [q, k, v, mask], "float64")
    assert not spindle_out[:, 1].detach().numpy().any()
    check_against_torch(rng, sdpa(), [q, k, v, additive], "float64")


def test_sdpa_grouped_query_attention(rng):
    q = random_array(rng, (2, 4, 3, 5), "float32")
    k, v = (random_array(rng, (2, 2, 6, 5), "float32") for _ in range(2))
    check_against_torch(rng, sdpa(enable_gqa=True), [q, k, v], "float32", tolerance=1e-4)


def test_sdpa_dropout_drops_and_rescales_weights():
    spindle.manual_seed(0)
    q = spindle.zeros(1, 1, 200, 4)
    k = spindle.zeros(1, 1, 50, 4)
    v = spindle.ones(1, 1, 50, 1)
    # Uniform weights 1/50: after dropout each output is (kept count) / 50 / (1 - p), mean 1.
    out = spindle.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.4).numpy().ravel()
    assert out.std() > 0.05
    assert abs(out.mean() - 1.0) < 0.05
    check = spindle.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    assert not check.numpy().any()


@pytest.mark.parametrize("compute", [
    lambda fw: fw.nn.functional.scaled_dot_product_attention(
        fw.zeros(1, 2, 3), fw.zeros(1, 2, 3, dtype=fw.float64), fw.zeros(1, 2, 3)),
    lambda fw: fw.nn.functional.scaled_dot_product_attention(
        fw.zeros(1, 2, 3), fw.zeros(1, 2, 3), fw.zeros(1, 2, 3), attn_mask=fw.zeros(2, 2, dtype=fw.int64)),
    lambda fw: fw.nn.functional.scaled_dot_product_attention(
        fw.zeros(1, 2, 3), fw.zeros(1, 2, 3), fw.zeros(1, 2, 3), dropout_p=1.5),
    lambda fw: fw.nn.functional.scaled_dot_product_attention(
        fw.zeros(1, 2, 3), fw.zeros(1, 2, 3), fw.zeros(1, 2, 3), attn_mask=fw.ones(2, 2, dtype=fw.bool),
        is_causal=True),
], ids=["dtypes", "mask_dtype", "dropout", "mask_and_causal"])
def test_sdpa_errors_match_torch(compute):
    assert_same_error(compute)


def test_sdpa_shape_mismatch_raises():
    with pytest.raises(RuntimeError, match="expects query"):
        spindle.nn.functional.scaled_dot_product_attention(
            spindle.zeros(2, 3), spindle.zeros(4, 5), spindle.zeros(4, 2))


# ---------------------------------------------------------------------------------------- MultiheadAttention

EMBED, HEADS = 8, 2


def mha_pair(dtype="float32", **options):
    theirs = torch.nn.MultiheadAttention(EMBED, HEADS, dtype=getattr(torch, dtype), **options)
    ours = spindle.nn.MultiheadAttention(EMBED, HEADS, dtype=getattr(spindle, dtype), **options)
    copy_state(theirs, ours)
    return ours, theirs


def compare_mha(rng, ours, theirs, dtype, arrays, same_query_key_value=False, **call):
    """Call both modules on leaves made from ``arrays`` (query, key, value) with the keyword
    arguments ``call`` (masks given as NumPy arrays), compare outputs and weights, backpropagate
    and compare the input and parameter gradients."""
    tolerance = TOLERANCE[dtype]
    results, leaves = [], []
    for framework, module in ((spindle, ours), (torch, theirs)):
        tensors = [framework.tensor(a, requires_grad=True) for a in arrays]
        leaves.append(tensors)
        query, key, value = (tensors[0],) * 3 if same_query_key_value else tensors
        options = {name: framework.tensor(value) if isinstance(value, np.ndarray) else value
                   for name, value in call.items()}
        output, weights = module(query, key, value, **options)
        results.append((output, weights))
    (spindle_output, spindle_weights), (torch_output, torch_weights) = results
    assert_close(spindle_output, torch_output, dtype, tolerance)
    assert (spindle_weights is None) == (torch_weights is None)
    if torch_weights is not None:
        assert_close(spindle_weights, torch_weights, dtype, tolerance)
    cotangent = rng.standard_normal(tuple(torch_output.shape)).astype(dtype)
    spindle_output.backward(spindle.tensor(cotangent))
    torch_output.backward(torch.tensor(cotangent))
    for mine, reference in zip(*leaves):
        if reference.grad is None:  # an argument passed for query, key and value at once
            assert mine.grad is None
        else:
            assert_close(mine.grad, reference.grad, dtype, tolerance)
    assert_same_parameter_grads(ours, theirs, dtype, tolerance)


def random_qkv(rng, dtype, batch_first, target=4, source=6, kdim=EMBED, vdim=EMBED, batch=3):
    def shaped(length, size):
        return random_array(rng, (batch, length, size) if batch_first else (length, batch, size), dtype)

    return [shaped(target, EMBED), shaped(source, kdim), shaped(source, vdim)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_cross_attention(rng, batch_first, need_weights, dtype):
    ours, theirs = mha_pair(dtype, batch_first=batch_first)
    compare_mha(rng, ours, theirs, dtype, random_qkv(rng, dtype, batch_first), need_weights=need_weights)


@pytest.mark.parametrize("average", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_self_attention_with_masks(rng, batch_first, average):
    ours, theirs = mha_pair(batch_first=batch_first)
    x = random_qkv(rng, "float32", batch_first, source=4)[0]
    padding = np.zeros((3, 4), dtype=bool)
    padding[0, 3] = padding[2, 1:] = True
    causal = np.triu(np.ones((4, 4), dtype=bool), 1)
    for need_weights in (True, False):
        compare_mha(rng, ours, theirs, "float32", [x, x, x], same_query_key_value=True, key_padding_mask=padding,
                    attn_mask=causal, need_weights=need_weights, average_attn_weights=average)
        ours.zero_grad()
        theirs.zero_grad()


@pytest.mark.parametrize("mask", ["float_2d", "bool_3d", "float_padding", "causal_hint"])
def test_mha_mask_kinds(rng, mask):
    ours, theirs = mha_pair("float64")
    arrays = random_qkv(rng, "float64", False, target=5, source=5)
    call = {"need_weights": False}
    if mask == "float_2d":
        call["attn_mask"] = random_array(rng, (5, 5), "float64")
    elif mask == "bool_3d":
        boolean = rng.random((3 * HEADS, 5, 5)) < 0.5
        boolean[..., 0] = False
        call["attn_mask"] = boolean
        call["need_weights"] = True
    elif mask == "float_padding":
        padding = np.zeros((3, 5))
        padding[1, 2:] = -np.inf
        call["key_padding_mask"] = padding
    else:
        call["attn_mask"] = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64).numpy()
        call["is_causal"] = True
    compare_mha(rng, ours, theirs, "float64", arrays, **call)


@pytest.mark.parametrize("options", [
    {"kdim": 5, "vdim": 3},
    {"bias": False},
    {"add_bias_kv": True},
    {"add_zero_attn": True},
    {"add_bias_kv": True, "add_zero_attn": True, "kdim": 6},
], ids=["kdim_vdim", "no_bias", "bias_kv", "zero_attn", "all"])
def test_mha_options(rng, options):
    ours, theirs = mha_pair(**options)
    arrays = random_qkv(rng, "float32", False, kdim=options.get("kdim", EMBED), vdim=options.get("vdim", EMBED))
    padding = np.zeros((3, 6), dtype=bool)
    padding[1, 4:] = True
    attn_mask = rng.random((4, 6)) < 0.3
    attn_mask[:, 0] = False
    compare_mha(rng, ours, theirs, "float32", arrays, key_padding_mask=padding, attn_mask=attn_mask)


def test_mha_unbatched(rng):
    ours, theirs = mha_pair("float64", batch_first=True)
    arrays = [random_array(rng, (4, EMBED), "float64"), random_array(rng, (6, EMBED), "float64"),
              random_array(rng, (6, EMBED), "float64")]
    padding = np.array([False, False, True, False, False, True])
    compare_mha(rng, ours, theirs, "float64", arrays, key_padding_mask=padding, average_attn_weights=False)


def test_mha_dropout_only_in_training(rng):
    ours, theirs = mha_pair("float64", dropout=0.5)
    ours.eval()
    theirs.eval()
    compare_mha(rng, ours, theirs, "float64", random_qkv(rng, "float64", False))
    ours.train()
    x = spindle.tensor(random_qkv(rng, "float64", False)[0])
    assert not np.allclose(ours(x, x, x)[0].detach().numpy(), ours(x, x, x)[0].detach().numpy())


@pytest.mark.parametrize("separate", [False, True])
def test_functional_multi_head_attention_forward(rng, separate):
    embed = EMBED
    arrays = random_qkv(rng, "float64", False)
    weights = [random_array(rng, shape, "float64") for shape in
               ((3 * embed, embed), (3 * embed,), (embed, embed), (embed,))]
    if separate:
        weights += [random_array(rng, (embed, embed), "float64") for _ in range(3)]

    def compute(fw, query, key, value, in_weight, in_bias, out_weight, out_bias, *projections):
        separate_options = dict(zip(("q_proj_weight", "k_proj_weight", "v_proj_weight"), projections))
        output, attention = fw.nn.functional.multi_head_attention_forward(
            query, key, value, embed, HEADS, None if separate else in_weight, in_bias, None, None, False, 0.0,
            out_weight, out_bias, use_separate_proj_weight=separate, **separate_options)
        return output + attention.sum() * 0.5

    check_against_torch(rng, compute, arrays + weights, "float64")


def test_mha_parameters_and_state_dict_match_torch():
    for options in ({}, {"kdim": 3, "vdim": 5, "add_bias_kv": True}, {"bias": False}):
        ours, theirs = spindle.nn.MultiheadAttention(12, 3, **options), torch.nn.MultiheadAttention(12, 3, **options)
        assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
        assert list(ours.state_dict()) == list(theirs.state_dict())
        copy_state(theirs, ours)
    mha = spindle.nn.MultiheadAttention(64, 4)
    bound = float(np.sqrt(6 / (64 + 3 * 64)))  # xavier_uniform_ on the (3E, E) packed weight
    values = mha.in_proj_weight.detach().numpy()
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.95 * bound
    assert not mha.in_proj_bias.detach().numpy().any() and not mha.out_proj.bias.detach().numpy().any()


@pytest.mark.parametrize("compute", [
    lambda fw: fw.nn.MultiheadAttention(6, 4),
    lambda fw: fw.nn.MultiheadAttention(0, 4),
    lambda fw: fw.nn.MultiheadAttention(8, 2)(fw.zeros(2, 3, 8), fw.zeros(2, 8), fw.zeros(2, 8)),
    lambda fw: fw.nn.MultiheadAttention(8, 2)(fw.zeros(2, 3, 8), fw.zeros(2, 3, 8), fw.zeros(2, 3, 8),
                                              key_padding_mask=fw.zeros(3, dtype=fw.bool)),
    lambda fw: fw.nn.MultiheadAttention(8, 2)(fw.zeros(2, 3, 8), fw.zeros(2, 3, 8), fw.zeros(2, 3, 8),
                                              attn_mask=fw.zeros(3, 3, dtype=fw.bool)),
    lambda fw: fw.nn.MultiheadAttention(8, 2)(fw.zeros(2, 3, 8), fw.zeros(4, 3, 8), fw.zeros(4, 3, 8),
                                              attn_mask=fw.zeros(2, 3, 3, dtype=fw.bool)),
    lambda fw: fw.nn.MultiheadAttention(8, 2)(fw.zeros(2, 3, 8), fw.zeros(2, 3, 8), fw.zeros(2, 3, 8),
                                              attn_mask=fw.zeros(2, 2, dtype=fw.int64)),
    lambda fw: fw.nn.MultiheadAttention(8, 2)(fw.zeros(2, 3, 8), fw.zeros(2, 3, 8), fw.zeros(2, 3, 8),
                                              is_causal=True),
    lambda fw: fw.nn.MultiheadAttention(8, 2)(fw.zeros(2, 2, 3, 8), fw.zeros(2, 3, 8), fw.zeros(2, 3, 8)),
], ids=["indivisible", "zero_embed", "key_dims", "padding_dims", "mask_2d_shape", "mask_3d_shape", "mask_dtype",
        "causal_without_mask", "query_dims"])
def test_mha_errors_match_torch(compute):
    assert_same_error(compute)


def test_mismatched_mask_types_warn_like_torch():
    mha = spindle.nn.MultiheadAttention(8, 2)
    x = spindle.zeros(2, 3, 8)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        mha(x, x, x, key_padding_mask=spindle.zeros(3, 2, dtype=spindle.bool), attn_mask=spindle.zeros(2, 2))


def test_mha_fully_padded_sequence_gives_zeros_like_torch(rng):
    ours, theirs = mha_pair("float64", batch_first=True)
    arrays = random_qkv(rng, "float64", True, target=3, source=3)
    padding = np.zeros((3, 3), dtype=bool)
    padding[1] = True
    compare_mha(rng, ours, theirs, "float64", arrays, key_padding_mask=padding, need_weights=False)


def test_functional_static_keys_and_values(rng):
    embed, batch, source = EMBED, 3, 5
    arrays = random_qkv(rng, "float64", False, source=source)
    weights = [random_array(rng, shape, "float64") for shape in ((3 * embed, embed), (embed, embed))]
    static = [random_array(rng, (batch * HEADS, source, embed // HEADS), "float64") for _ in range(2)]

    def compute(fw, query, key, value, in_weight, out_weight, static_k, static_v):
        return fw.nn.functional.multi_head_attention_forward(
            query, key, value, embed, HEADS, in_weight, None, None, None, False, 0.0, out_weight, None,
            static_k=static_k, static_v=static_v, need_weights=False)[0]

    check_against_torch(rng, compute, arrays + weights + static, "float64")
