"""Miscellaneous top-level functions and Tensor methods against PyTorch: isin, rsub, unravel_index, the
matmul-precision and determinism flags, scalar_tensor, empty_strided, range, the window functions, the
top-level in-place and nn.functional aliases with ATen signatures, bit shifts, conjugation on real
tensors, renorm, the extra random fills, the add*_ in-place forms and post-accumulate-grad hooks."""
import warnings

import numpy as np
import pytest
import torch

import spindle
from tests.ops.oracle import (
    DTYPES,
    assert_close,
    assert_same_error,
    check_gradcheck,
    check_op,
    random_array,
    random_integers,
)


@pytest.mark.parametrize("invert", [False, True])
def test_isin_matches_torch_for_tensors_and_scalars(rng, invert):
    elements = random_integers(rng, (4, 5), -4, 5)
    test_elements = random_integers(rng, (6,), -4, 5)
    for function in (
        lambda fw, a, b: fw.isin(a, b, invert=invert),
        lambda fw, a, b: fw.isin(a.float().t(), b, invert=invert),
        lambda fw, a, b: fw.isin(a, int(b[0]), invert=invert),
        lambda fw, a, b: fw.isin(int(a[0, 0]), b, invert=invert),
    ):
        check_op(rng, function, elements, test_elements, backward=False)
    assert_same_error(lambda fw: fw.isin(1, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_rsub_forward_backward_and_scalar_promotion(rng, dtype):
    check_op(rng, lambda fw, a, b: fw.rsub(a, b, alpha=2.5), random_array(rng, (3, 4), dtype), random_array(rng, (4,), dtype))
    check_op(rng, lambda fw, a: fw.rsub(a, 3), random_array(rng, (3, 4), dtype), layout="transposed")
    check_op(rng, lambda fw, a: fw.rsub(a, 2.5), random_integers(rng, (5,)))
    assert_same_error(lambda fw, b: fw.rsub(2, b), random_array(rng, (3,), dtype))


def test_unravel_index_wraps_like_torch_and_rejects_floats(rng):
    indices = random_integers(rng, (3, 4), -30, 30)
    for shape in ((2, 3), (5, 1, 4), 7, ()):
        check_op(rng, lambda fw, i: fw.unravel_index(i, shape), indices)
    check_op(rng, lambda fw, i: fw.unravel_index(i[:0], (2, 0)), indices)
    assert_same_error(lambda fw, i: fw.unravel_index(i, (2, 3)), random_array(rng, (3,)))
    assert_same_error(lambda fw, i: fw.unravel_index(i, (2, -3)), indices)
    assert_same_error(lambda fw, i: fw.unravel_index(i, (2, 0)), indices)


def test_matmul_precision_and_determinism_flags_round_trip():
    previous = spindle.get_float32_matmul_precision()
    try:
        for precision in ("high", "medium", "highest"):
            spindle.set_float32_matmul_precision(precision)
            assert spindle.get_float32_matmul_precision() == precision
        with pytest.warns(UserWarning):
            spindle.set_float32_matmul_precision("low")
        assert spindle.get_float32_matmul_precision() == "highest"
        with pytest.raises(RuntimeError):
            spindle.set_float32_matmul_precision(1)
    finally:
        spindle.set_float32_matmul_precision(previous)
    try:
        spindle.use_deterministic_algorithms(True, warn_only=True)
        assert spindle.are_deterministic_algorithms_enabled() and spindle.is_deterministic_algorithms_warn_only_enabled()
    finally:
        spindle.use_deterministic_algorithms(False)
    assert not spindle.are_deterministic_algorithms_enabled() and not spindle.is_deterministic_algorithms_warn_only_enabled()
    assert spindle.is_inference_mode_enabled() is False


def test_scalar_tensor_empty_strided_and_range():
    for value, dtype in ((3, None), (True, None), (2.5, spindle.float64), (7, spindle.int64)):
        torch_dtype = None if dtype is None else getattr(torch, dtype.name)
        assert_close(spindle.scalar_tensor(value, dtype=dtype), torch.scalar_tensor(value, dtype=torch_dtype))
    for size, stride in (((2, 3), (1, 2)), ((4, 3), (3, 1)), ((2, 0), (1, 1))):
        strided = spindle.empty_strided(size, stride)
        assert strided.shape == torch.empty_strided(size, stride).shape and strided.stride() == stride
    for arguments, options in (((0, 3), {}), ((0, 3.5), {}), ((3, 0, -1), {}), ((1, 2, 0.25), {}), ((0, 4), {"dtype": "int64"})):
        spindle_options = {k: getattr(spindle, v) for k, v in options.items()}
        torch_options = {k: getattr(torch, v) for k, v in options.items()}
        with pytest.warns(UserWarning, match="deprecated"):
            actual = spindle.range(*arguments, **spindle_options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_close(actual, torch.range(*arguments, **torch_options))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(lambda fw: fw.range(3, 0))
        assert_same_error(lambda fw: fw.range(0, 1, 0))


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_window_functions_match_torch(rng, name, dtype):
    length = int(rng.integers(2, 12))
    for window_length in (0, 1, length):
        for periodic in (True, False):
            actual = getattr(spindle, name)(window_length, periodic, dtype=getattr(spindle, dtype))
            assert_close(actual, getattr(torch, name)(window_length, periodic, dtype=getattr(torch, dtype)), tolerance=1e-6)
    assert_close(getattr(spindle, name)(length), getattr(torch, name)(length))
    assert_same_error(lambda fw: getattr(fw, name)(-1))
    assert_same_error(lambda fw: getattr(fw, name)(3, dtype=fw.int64))


def test_hamming_and_kaiser_window_parameters(rng):
    alpha, beta = rng.uniform(0.3, 0.7), rng.uniform(0.1, 0.5)
    assert_close(spindle.hamming_window(9, False, alpha, beta, dtype=spindle.float64),
                 torch.hamming_window(9, False, alpha, beta, dtype=torch.float64))
    kaiser_beta = rng.uniform(1, 15)
    assert_close(spindle.kaiser_window(10, True, kaiser_beta, dtype=spindle.float64),
                 torch.kaiser_window(10, True, kaiser_beta, dtype=torch.float64))


def test_top_level_in_place_aliases_cover_torch():
    in_place = [name for name in dir(torch) if name.endswith("_") and not name.startswith("_") and hasattr(spindle.Tensor, name)]
    assert [name for name in in_place if getattr(spindle, name, None) is not getattr(spindle.Tensor, name)] == []
    values = spindle.tensor([-1.0, 2.0])
    assert spindle.relu_(values) is values and values.tolist() == [0.0, 2.0]


@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_aliases_with_aten_signatures(rng, dtype):
    images = random_array(rng, (2, 4, 3, 3), dtype)
    check_op(rng, lambda fw, x: fw.dropout(x, 0.3, False), images)
    check_op(rng, lambda fw, x, w, b: fw.layer_norm(x, [3, 3], w, b, 1e-5, True), images,
             random_array(rng, (3, 3), dtype), random_array(rng, (3, 3), dtype))
    check_op(rng, lambda fw, x, w, b: fw.group_norm(x, 2, w, b, 1e-5, True), images,
             random_array(rng, (4,), dtype), random_array(rng, (4,), dtype))
    mean, variance = random_array(rng, (4,), dtype), random_array(rng, (4,), dtype, 0.5, 2.0)
    check_op(rng, lambda fw, x, w, b: fw.batch_norm(x, w, b, fw.tensor(mean), fw.tensor(variance), False, 0.1, 1e-5, True),
             images, random_array(rng, (4,), dtype), random_array(rng, (4,), dtype))
    check_op(rng, lambda fw, x, w, b: fw.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, True),
             images, random_array(rng, (4,), dtype), random_array(rng, (4,), dtype))
    indices = random_integers(rng, (2, 5), 0, 6)
    check_op(rng, lambda fw, w, i: fw.embedding(w, i, 2), random_array(rng, (6, 3), dtype), indices)
    check_op(rng, lambda fw, w, i: fw.embedding(w, i), random_array(rng, (6, 3), dtype), indices)
    check_op(rng, lambda fw, x: fw.pixel_shuffle(x, 2), images)
    check_op(rng, lambda fw, x: fw.pixel_unshuffle(x, 3), images)
    log_probabilities = random_array(rng, (3, 5), dtype)
    for reduction in (0, 1, 2):
        check_op(rng, lambda fw, x, t: fw.kl_div(x, t, reduction), log_probabilities, random_array(rng, (3, 5), dtype, 0.1, 1.0))
        check_op(rng, lambda fw, x, t: fw.kl_div(x, t, reduction, log_target=True), log_probabilities, random_array(rng, (3, 5), dtype))
        weight, pos_weight = random_array(rng, (5,), dtype, 0.5, 2.0), random_array(rng, (5,), dtype, 0.5, 2.0)
        check_op(rng, lambda fw, x, t: fw.binary_cross_entropy_with_logits(x, t, fw.tensor(weight), fw.tensor(pos_weight), reduction),
                 random_array(rng, (3, 5), dtype), random_array(rng, (3, 5), dtype, 0.0, 1.0))
    check_op(rng, lambda fw, a, b, w, bias: fw.bilinear(a, b, w, bias), random_array(rng, (4, 3), dtype),
             random_array(rng, (4, 2), dtype), random_array(rng, (5, 3, 2), dtype), random_array(rng, (5,), dtype))
    check_op(rng, lambda fw, x: fw.threshold(x, 0.1, -2.0), images, layout="transposed")
    check_op(rng, lambda fw, x, w: fw.prelu(x, w), images, random_array(rng, (4,), dtype, 0.0, 0.5))
    check_op(rng, lambda fw, x: fw.selu(x), images)
    check_op(rng, lambda fw, x: fw.celu(x, 1.5), images)
    check_op(rng, lambda fw, x: fw.rrelu(x, 0.1, 0.3, False), images)
    check_op(rng, lambda fw, a, b: fw.cosine_similarity(a, b, 1, 1e-8), random_array(rng, (4, 3), dtype), random_array(rng, (4, 3), dtype))
    check_op(rng, lambda fw, a, b: fw.pairwise_distance(a, b, 2, 1e-6, False), random_array(rng, (4, 3), dtype), random_array(rng, (4, 3), dtype))
    check_op(rng, lambda fw, x: fw.adaptive_max_pool1d(x, 2), random_array(rng, (2, 3, 7), dtype))
    with pytest.raises(ValueError):
        spindle.kl_div(spindle.zeros(2), spindle.zeros(2), 3)


def test_in_place_selu_and_celu_aliases(rng):
    for name in ("selu_", "celu_"):
        values = random_array(rng, (3, 4))
        actual, expected = spindle.tensor(values), torch.tensor(values)
        assert getattr(spindle, name)(actual) is actual
        getattr(torch, name)(expected)
        assert_close(actual, expected)


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8"])
def test_bit_shifts_match_torch_including_out_of_range_amounts(rng, dtype):
    low = 0 if dtype == "uint8" else -100
    values = random_integers(rng, (4, 5), low, 100, dtype)
    bit_width = np.dtype(dtype).itemsize * 8
    amounts = random_integers(rng, (5,), 0 if dtype == "uint8" else -3, bit_width + 3, dtype)
    for function in (
        lambda fw, a, b: a << b,
        lambda fw, a, b: a >> b,
        lambda fw, a, b: fw.bitwise_left_shift(a, b),
        lambda fw, a, b: fw.bitwise_right_shift(a.t(), 1),
        lambda fw, a, b: 3 << b,
        lambda fw, a, b: 100 >> b,
        lambda fw, a, b: a.bitwise_left_shift(2),
    ):
        check_op(rng, function, values, amounts)
    for method in ("bitwise_left_shift_", "bitwise_right_shift_", "__ilshift__", "__irshift__"):
        actual, expected = spindle.tensor(values), torch.tensor(values)
        assert getattr(actual, method)(spindle.tensor(amounts)) is actual
        getattr(expected, method)(torch.tensor(amounts))
        assert_close(actual, expected)
    assert_same_error(lambda fw, a: a << 1.5, values)
    assert_same_error(lambda fw, a: a.float() >> 1, values)
    assert_same_error(lambda fw, a: (a > 0) << (a > 0), values)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conjugation_methods_are_identities_and_transposes_on_real_tensors(rng, dtype):
    matrices = random_array(rng, (2, 3, 4), dtype)
    check_op(rng, lambda fw, x: x.mH, matrices, layout="strided")
    check_op(rng, lambda fw, x: x.adjoint(), matrices)
    check_op(rng, lambda fw, x: fw.adjoint(x), matrices)
    check_op(rng, lambda fw, x: x[0].H, matrices)
    for name in ("conj", "resolve_conj", "resolve_neg", "conj_physical"):
        check_op(rng, lambda fw, x: getattr(x, name)() * 2, matrices)
        check_op(rng, lambda fw, x: getattr(fw, name)(x) * 2, matrices)
    check_op(rng, lambda fw, x: x.real * 2, matrices)
    tensor = spindle.tensor(matrices)
    assert not tensor.is_conj() and not tensor.is_neg() and not spindle.is_conj(tensor)
    assert_same_error(lambda fw, x: x.imag, matrices)
    assert_same_error(lambda fw, x: x.H, matrices)
    assert_same_error(lambda fw, x: x[0, 0].mH, matrices)
    assert_same_error(lambda fw, x: x[0, 0].adjoint(), matrices)


def test_share_memory_is_shared_and_is_inference():
    values = spindle.ones(2, 3)
    assert not values.is_shared() and not values.is_inference()
    assert values.share_memory_() is values and values.is_shared()


@pytest.mark.parametrize("dtype", DTYPES)
def test_renorm_forward_backward_and_errors(rng, dtype):
    values = random_array(rng, (4, 3, 5), dtype)
    for p, dim, maxnorm in ((2, 0, 1.5), (1, 1, 2.0), (3.5, -1, 1.0)):
        check_op(rng, lambda fw, x: x.renorm(p, dim, maxnorm), values, layout="strided")
        check_op(rng, lambda fw, x: fw.renorm(x, p, dim, maxnorm), values)
    actual, expected = spindle.tensor(values), torch.tensor(values)
    assert actual.renorm_(2, 0, 1.0) is actual
    assert_close(actual, expected.renorm_(2, 0, 1.0))
    assert_same_error(lambda fw, x: x.renorm(0, 0, 1.0), values)
    assert_same_error(lambda fw, x: x.renorm(2, 0, -1.0), values)
    assert_same_error(lambda fw, x: x[0, 0].renorm(2, 0, 1.0), values)


def test_renorm_gradcheck(rng):
    check_gradcheck(lambda fw, x: x.renorm(2, 1, 1.0), random_array(rng, (3, 4)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_prelu_and_hardshrink_methods(rng, dtype):
    check_op(rng, lambda fw, x, w: x.prelu(w), random_array(rng, (2, 3, 4), dtype), random_array(rng, (3,), dtype))
    check_op(rng, lambda fw, x: x.hardshrink(0.3), random_array(rng, (2, 3, 4), dtype), layout="transposed")
    check_op(rng, lambda fw, x: x.hardshrink(), random_array(rng, (2, 3, 4), dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_fills_have_the_right_distribution(dtype):
    count = 200_000
    generator = spindle.Generator().manual_seed(int(np.random.default_rng().integers(2**31)))
    mean, std = 0.3, 0.4
    log_normal = spindle.empty(count, dtype=getattr(spindle, dtype)).log_normal_(mean, std, generator=generator).numpy()
    assert log_normal.dtype == np.dtype(dtype) and log_normal.min() > 0
    assert abs(np.log(log_normal).mean() - mean) < 0.01 and abs(np.log(log_normal).std() - std) < 0.01
    median, sigma = 1.5, 2.0
    cauchy = spindle.empty(count, dtype=getattr(spindle, dtype)).cauchy_(median, sigma, generator=generator).numpy()
    quartiles = np.quantile(cauchy, [0.25, 0.5, 0.75])
    np.testing.assert_allclose(quartiles, [median - sigma, median, median + sigma], atol=0.05)
    p = 0.3
    geometric = spindle.empty(count, dtype=getattr(spindle, dtype)).geometric_(p, generator=generator).numpy()
    assert geometric.min() >= 1 and np.all(geometric == np.round(geometric))
    assert abs(geometric.mean() - 1 / p) < 0.05 and abs((geometric == 1).mean() - p) < 0.01
    seeded = [spindle.empty(5).cauchy_(generator=spindle.Generator().manual_seed(7)) for _ in range(2)]
    assert spindle.equal(*seeded)


@pytest.mark.parametrize("dtype", DTYPES)
def test_add_matrix_products_in_place(rng, dtype):
    cases = (
        ("addmm_", (3, 4), ((3, 2), (2, 4))),
        ("addmv_", (3,), ((3, 2), (2,))),
        ("addbmm_", (3, 4), ((5, 3, 2), (5, 2, 4))),
        ("baddbmm_", (5, 3, 4), ((5, 3, 2), (5, 2, 4))),
        ("addr_", (3, 4), ((3,), (4,))),
    )
    for name, target_shape, operand_shapes in cases:
        operands = [random_array(rng, shape, dtype) for shape in operand_shapes]
        check_op(rng, lambda fw, t, a, b: getattr(t * 1, name)(a, b, beta=0.5, alpha=2.0), random_array(rng, target_shape, dtype), *operands)
        target = spindle.tensor(random_array(rng, target_shape, dtype))
        assert getattr(target, name)(*[spindle.tensor(o) for o in operands]) is target


def test_post_accumulate_grad_hook_sees_the_accumulated_grad(rng):
    weight = spindle.tensor(random_array(rng, (3, 4)), requires_grad=True)
    seen = []
    handle = weight.register_post_accumulate_grad_hook(lambda tensor: seen.append((tensor, tensor.grad.clone())))
    (weight * 2).sum().backward()
    (weight * 3).sum().backward()
    assert [tensor is weight for tensor, _ in seen] == [True, True]
    assert_close(seen[0][1], torch.full((3, 4), 2.0, dtype=torch.float64))
    assert_close(seen[1][1], torch.full((3, 4), 5.0, dtype=torch.float64))
    handle.remove()
    (weight * 3).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError):
        (weight * 2).register_post_accumulate_grad_hook(lambda tensor: None)
    with pytest.raises(RuntimeError):
        spindle.ones(2).register_post_accumulate_grad_hook(lambda tensor: None)
