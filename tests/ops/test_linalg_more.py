"""``spindle.linalg`` and the top-level linear-algebra functions against PyTorch: inverses, determinants,
solvers, Cholesky, QR, eigh, SVD, pseudo-inverse, least squares, matrix powers and exponentials, norms,
cross/Kronecker/tensor products and the ``addmm`` family; forward values and gradients (through
gauge-invariant functions of eigenvectors and singular vectors) in float32 and float64 on batched and
non-contiguous inputs, finite differences, second-order gradients, and PyTorch's errors.

Matrices are drawn with a known, well-separated spectrum (U diag(s) V^T with random orthogonal U, V), so
that every decomposition is well conditioned and its gradient defined."""
import warnings

import numpy as np
import pytest
import torch

import spindle
from tests.ops.oracle import (
    DTYPES,
    assert_same_error,
    check_gradcheck,
    check_op,
    check_second_order,
    error_of,
    random_array,
)


def orthogonal(rng, batch, size):
    return np.linalg.qr(rng.standard_normal(batch + (size, size)))[0]


def spectrum(rng, batch, count):
    """Values from 1 upwards, at least 0.5 apart, in random order."""
    values = 1.0 + 0.8 * np.arange(count) + rng.uniform(0.0, 0.3, batch + (count,))
    return rng.permuted(values, axis=-1)


def general(rng, shape, dtype="float64"):
    """A matrix (stack) of ``shape`` with singular values in [1, 1 + 0.8 min(m, n)]."""
    batch, (rows, columns) = tuple(shape[:-2]), shape[-2:]
    rank = min(rows, columns)
    left = orthogonal(rng, batch, rows)[..., :rank]
    right = orthogonal(rng, batch, columns)[..., :rank]
    return ((left * spectrum(rng, batch, rank)[..., None, :]) @ np.swapaxes(right, -1, -2)).astype(dtype)


def symmetric(rng, shape, dtype="float64", positive=False):
    """A symmetric matrix (stack) with eigenvalues 0.5 apart (all >= 1 when ``positive``)."""
    batch, size = tuple(shape[:-2]), shape[-1]
    vectors = orthogonal(rng, batch, size)
    values = spectrum(rng, batch, size)
    if not positive:
        values = values - values.mean(-1, keepdims=True)
    return ((vectors * values[..., None, :]) @ np.swapaxes(vectors, -1, -2)).astype(dtype)


def positive_definite(rng, shape, dtype="float64"):
    return symmetric(rng, shape, dtype, positive=True)


def eigh_invariants(result):
    """Eigenvalues and the squared eigenvectors: unchanged by the eigenvectors' signs."""
    values, vectors = result
    return values, vectors * vectors


def svd_invariants(result):
    u, s, vh = result
    return u * u, s, vh * vh


def qr_invariants(result):
    q, r = result
    return q * q, r * r


# name -> (function(framework, *inputs), input makers (rng, dtype) -> array)
SQUARE = lambda rng, dtype: general(rng, (2, 4, 4), dtype)  # noqa: E731
SPD = lambda rng, dtype: positive_definite(rng, (2, 4, 4), dtype)  # noqa: E731
SYMMETRIC = lambda rng, dtype: symmetric(rng, (2, 4, 4), dtype)  # noqa: E731
TALL = lambda rng, dtype: general(rng, (2, 5, 3), dtype)  # noqa: E731
WIDE = lambda rng, dtype: general(rng, (2, 3, 5), dtype)  # noqa: E731


def wide_with_square_start(rng, dtype):
    """A wide matrix whose leading square block (the one QR triangularizes) is well conditioned."""
    return np.concatenate([general(rng, (2, 3, 3)), random_array(rng, (2, 3, 2))], -1).astype(dtype)


def normal(*shape):
    return lambda rng, dtype: random_array(rng, shape, dtype)


FUNCTIONS = {
    "inv": (lambda fw, a: fw.linalg.inv(a), SQUARE),
    "inverse": (lambda fw, a: a.inverse(), SQUARE),
    "inv_ex": (lambda fw, a: fw.linalg.inv_ex(a), SQUARE),
    "det": (lambda fw, a: fw.linalg.det(a), SQUARE),
    "det method": (lambda fw, a: a[0].det(), SQUARE),
    "slogdet": (lambda fw, a: fw.linalg.slogdet(a), SQUARE),
    "slogdet top-level": (lambda fw, a: fw.slogdet(a), SQUARE),
    "logdet": (lambda fw, a: fw.logdet(a), SPD),
    "solve matrix": (lambda fw, a, b: fw.linalg.solve(a, b), SQUARE, normal(2, 4, 3)),
    "solve vector": (lambda fw, a, b: fw.linalg.solve(a, b), SQUARE, normal(2, 4)),
    "solve broadcast": (lambda fw, a, b: fw.linalg.solve(a, b), SQUARE, normal(3, 1, 4, 2)),
    "solve right": (lambda fw, a, b: fw.linalg.solve(a, b, left=False), SQUARE, normal(2, 3, 4)),
    "cholesky": (lambda fw, a: fw.linalg.cholesky(a), SPD),
    "cholesky upper": (lambda fw, a: fw.linalg.cholesky(a, upper=True), SPD),
    "cholesky method": (lambda fw, a: a.cholesky(), SPD),
    "cholesky_ex": (lambda fw, a: fw.linalg.cholesky_ex(a), SPD),
    "qr tall": (lambda fw, a: qr_invariants(fw.linalg.qr(a)), TALL),
    "qr square complete": (lambda fw, a: qr_invariants(fw.linalg.qr(a, mode="complete")), SQUARE),
    "qr wide": (lambda fw, a: qr_invariants(fw.linalg.qr(a)), wide_with_square_start),
    "qr top-level": (lambda fw, a: qr_invariants(fw.qr(a)), TALL),
    "eigh": (lambda fw, a: eigh_invariants(fw.linalg.eigh(a)), SYMMETRIC),
    "eigh upper": (lambda fw, a: eigh_invariants(fw.linalg.eigh(a, UPLO="U")), SYMMETRIC),
    "eigvalsh": (lambda fw, a: fw.linalg.eigvalsh(a), SYMMETRIC),
    "svd tall": (lambda fw, a: svd_invariants(fw.linalg.svd(a, full_matrices=False)), TALL),
    "svd wide": (lambda fw, a: svd_invariants(fw.linalg.svd(a, full_matrices=False)), WIDE),
    "svd square full": (lambda fw, a: svd_invariants(fw.linalg.svd(a)), SQUARE),
    "svd top-level": (lambda fw, a: svd_invariants(fw.svd(a)), TALL),
    "svdvals": (lambda fw, a: fw.linalg.svdvals(a), WIDE),
    "pinv": (lambda fw, a: fw.linalg.pinv(a), TALL),
    "pinv hermitian": (lambda fw, a: fw.linalg.pinv(a, hermitian=True), SPD),
    "pinverse": (lambda fw, a: fw.pinverse(a), WIDE),
    "matrix_rank": (lambda fw, a: fw.linalg.matrix_rank(a), TALL),
    "lstsq": (lambda fw, a, b: fw.linalg.lstsq(a, b).solution, TALL, normal(2, 5, 2)),
    "lstsq gelsd": (lambda fw, a, b: fw.linalg.lstsq(a, b, driver="gelsd"), TALL, normal(2, 5, 2)),
    "matrix_power 3": (lambda fw, a: fw.linalg.matrix_power(a, 3), SQUARE),
    "matrix_power 0": (lambda fw, a: fw.matrix_power(a, 0), SQUARE),
    "matrix_power -2": (lambda fw, a: a.matrix_power(-2), SQUARE),
    "matrix_exp": (lambda fw, a: fw.linalg.matrix_exp(a), normal(2, 4, 4)),
    "cross": (lambda fw, a, b: fw.linalg.cross(a, b), normal(2, 4, 3), normal(1, 4, 3)),
    "cross dim": (lambda fw, a, b: fw.cross(a, b, dim=0), normal(3, 4), normal(3, 4)),
    "vecdot": (lambda fw, a, b: fw.linalg.vecdot(a, b, dim=0), normal(3, 4), normal(3, 1)),
    "multi_dot": (lambda fw, a, b, c: fw.linalg.multi_dot([a, b, c]), normal(3), normal(3, 6), normal(6, 2)),
    "multi_dot matrices": (lambda fw, a, b, c: fw.linalg.multi_dot([a, b, c]), normal(5, 3), normal(3, 6), normal(6)),
    "diagonal": (lambda fw, a: fw.linalg.diagonal(a, offset=1), normal(2, 4, 3)),
    "kron": (lambda fw, a, b: fw.kron(a, b), normal(2, 3), normal(4, 2, 2)),
    "trace": (lambda fw, a: fw.trace(a), normal(4, 3)),
    "tensordot int": (lambda fw, a, b: fw.tensordot(a, b, 2), normal(2, 3, 4), normal(3, 4, 5)),
    "tensordot lists": (lambda fw, a, b: fw.tensordot(a, b, dims=([1, 0], [0, 2])), normal(3, 4, 5), normal(4, 2, 3)),
    "vdot": (lambda fw, a, b: fw.vdot(a, b), normal(5), normal(5)),
    "addmm": (lambda fw, c, a, b: fw.addmm(c, a, b, beta=0.5, alpha=2), normal(4), normal(3, 5), normal(5, 4)),
    "addmm method": (lambda fw, c, a, b: c.addmm(a, b), normal(3, 4), normal(3, 5), normal(5, 4)),
    "addmv": (lambda fw, c, a, b: fw.addmv(c, a, b, alpha=-1), normal(3), normal(3, 5), normal(5)),
    "addbmm": (lambda fw, c, a, b: fw.addbmm(c, a, b, beta=2), normal(3, 4), normal(2, 3, 5), normal(2, 5, 4)),
    "baddbmm": (lambda fw, c, a, b: fw.baddbmm(c, a, b, alpha=0.5), normal(1, 4), normal(2, 3, 5), normal(2, 5, 4)),
    "addr": (lambda fw, c, a, b: fw.addr(c, a, b, beta=3), normal(3, 4), normal(3), normal(4)),
    "dist": (lambda fw, a, b: fw.dist(a, b, 3), normal(3, 4), normal(4)),
    "cdist": (lambda fw, a, b: fw.cdist(a, b), normal(2, 4, 3), normal(2, 5, 3)),
    "cdist p=1": (lambda fw, a, b: fw.cdist(a, b, p=1), normal(4, 3), normal(5, 3)),
    "cdist by matrix product": (lambda fw, a, b: fw.cdist(a, b), normal(2, 30, 3), normal(1, 5, 3)),
    "cdist forced product": (
        lambda fw, a, b: fw.cdist(a, b, compute_mode="use_mm_for_euclid_dist"), normal(4, 3), normal(5, 3)
    ),
    "pdist": (lambda fw, a: fw.pdist(a, 3), normal(4, 3)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_functions_match_torch(rng, name, layout, dtype):
    function, *makers = FUNCTIONS[name]
    check_op(rng, function, *[make(rng, dtype) for make in makers], layout=layout)


@pytest.mark.parametrize("name", ["inv", "det", "solve matrix", "cholesky", "qr tall", "eigh", "svd wide", "matrix_exp"])
def test_strided_inputs(rng, name):
    function, *makers = FUNCTIONS[name]
    check_op(rng, function, *[make(rng, "float64") for make in makers], layout="strided")


@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_matrix_exp_with_squarings(rng, layout):
    """Norms past the Padé limit take scaling and squaring (each matrix of the batch its own number of
    squarings). float64 only: spindle computes float32 input in float64, PyTorch in float32, whose error
    on these large results exceeds the float32 tolerance."""
    matrices = random_array(rng, (3, 4, 4)) * np.array([0.5, 3.0, 8.0])[:, None, None]
    check_op(rng, lambda fw, a: fw.matrix_exp(a), matrices, layout=layout)


VECTOR_ORDERS = [2, 1, 3, 0.5, float("inf"), -float("inf"), 0, -1]
MATRIX_ORDERS = ["fro", "nuc", 2, -2, 1, -1, float("inf"), -float("inf")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, -1, (0, 2)])
@pytest.mark.parametrize("order", VECTOR_ORDERS)
def test_vector_norm(rng, order, dim, keepdim, dtype):
    # PyTorch leaves the gradient of the 0-"norm" (a count) undefined; spindle's is zero.
    check_op(
        rng, lambda fw, x: fw.linalg.vector_norm(x, order, dim, keepdim), random_array(rng, (2, 3, 4), dtype),
        backward=order != 0,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [(-2, -1), (2, 0)])
@pytest.mark.parametrize("order", MATRIX_ORDERS)
def test_matrix_norm(rng, order, dim, keepdim, dtype):
    source = np.moveaxis(general(rng, (2, 4, 3), dtype), (-2, -1), dim)
    check_op(rng, lambda fw, x: fw.linalg.matrix_norm(x, order, dim, keepdim), source, layout="transposed")


NORM_CALLS = {
    "all elements": lambda fw, x: fw.linalg.norm(x),
    "vector dim": lambda fw, x: fw.linalg.norm(x, 3, dim=1, keepdim=True),
    "matrix dims": lambda fw, x: fw.linalg.norm(x, "nuc", dim=(0, 1)),
    "2-D with ord": lambda fw, x: fw.linalg.norm(x[0], -2),
    "1-D with ord": lambda fw, x: fw.linalg.norm(x[0, 0], float("inf")),
    "dtype": lambda fw, x: fw.linalg.vector_norm(x, dtype=fw.float64),
    "tensor nuclear": lambda fw, x: x[0].norm("nuc"),
    "torch.norm nuclear dims": lambda fw, x: fw.norm(x, "nuc", dim=(1, 2), keepdim=True),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NORM_CALLS)
def test_norm_forms(rng, name, dtype):
    check_op(rng, NORM_CALLS[name], general(rng, (2, 4, 3), dtype))


GRADCHECKED = {
    "inv": (lambda fw, a: fw.linalg.inv(a), SQUARE),
    "det": (lambda fw, a: fw.linalg.det(a), SQUARE),
    "slogdet": (lambda fw, a: fw.linalg.slogdet(a).logabsdet, SQUARE),
    "solve": (lambda fw, a, b: fw.linalg.solve(a, b), SQUARE, normal(2, 4, 2)),
    "cholesky": (lambda fw, a: fw.linalg.cholesky(a @ a.mT + 4 * fw.eye(4, dtype=a.dtype)), SQUARE),
    "qr tall": (lambda fw, a: qr_invariants(fw.linalg.qr(a)), TALL),
    "qr wide": (lambda fw, a: qr_invariants(fw.linalg.qr(a)), wide_with_square_start),
    "eigh": (lambda fw, a: eigh_invariants(fw.linalg.eigh(a + a.mT)), SYMMETRIC),
    "svd tall": (lambda fw, a: svd_invariants(fw.linalg.svd(a, full_matrices=False)), TALL),
    "svd wide": (lambda fw, a: svd_invariants(fw.linalg.svd(a, full_matrices=False)), WIDE),
    "pinv": (lambda fw, a: fw.linalg.pinv(a), WIDE),
    "matrix_exp": (lambda fw, a: fw.linalg.matrix_exp(a), normal(2, 3, 3)),
    "nuclear norm": (lambda fw, a: fw.linalg.matrix_norm(a, "nuc"), TALL),
}


@pytest.mark.parametrize("name", GRADCHECKED)
def test_gradcheck(rng, name):
    function, *makers = GRADCHECKED[name]
    check_gradcheck(function, *[make(rng, "float64") for make in makers])


@pytest.mark.parametrize("name", GRADCHECKED)
def test_second_order(rng, name):
    function, *makers = GRADCHECKED[name]
    check_second_order(rng, function, *[make(rng, "float64") for make in makers])


def test_named_results_unpack_and_name_fields(rng):
    matrix = spindle.tensor(general(rng, (3, 3)))
    sign, logabsdet = spindle.linalg.slogdet(matrix)
    assert spindle.equal(sign, spindle.linalg.slogdet(matrix).sign)
    assert spindle.equal(logabsdet, spindle.linalg.slogdet(matrix).logabsdet)
    q, r = spindle.linalg.qr(matrix)
    assert spindle.allclose(spindle.linalg.qr(matrix).Q @ spindle.linalg.qr(matrix).R, matrix)
    values, vectors = spindle.linalg.eigh(matrix + matrix.mT)
    result = spindle.linalg.eigh(matrix + matrix.mT)
    assert spindle.equal(result.eigenvalues, values) and spindle.equal(result.eigenvectors, vectors)
    u, s, vh = spindle.linalg.svd(matrix)
    assert spindle.allclose(spindle.linalg.svd(matrix).U * spindle.linalg.svd(matrix).S @ spindle.linalg.svd(matrix).Vh, matrix)
    assert spindle.allclose(spindle.svd(matrix).V, vh.mT)
    assert spindle.allclose(spindle.linalg.lstsq(matrix, matrix).solution, spindle.eye(3, dtype=matrix.dtype))


def test_torch_cross_default_dim_warns(rng):
    first, second = random_array(rng, (4, 3, 3)), random_array(rng, (4, 3, 3))
    with pytest.warns(UserWarning, match="dim arg is deprecated"):
        actual = spindle.cross(spindle.tensor(first), spindle.tensor(second))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.cross(torch.tensor(first), torch.tensor(second))
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


def test_chain_matmul_and_edge_cases(rng):
    matrices = [random_array(rng, shape) for shape in ((2, 3), (3, 4), (4, 2))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(rng, lambda fw, *m: fw.chain_matmul(*m), *matrices)
    check_op(rng, lambda fw, a: fw.linalg.det(a), random_array(rng, (0, 3, 3)))
    check_op(rng, lambda fw, a: fw.linalg.inv(a), random_array(rng, (2, 0, 0)))
    check_op(rng, lambda fw, a: fw.linalg.det(a), random_array(rng, (0, 0)))
    check_op(rng, lambda fw, a: fw.trace(a), random_integers_matrix(rng))


def random_integers_matrix(rng):
    return rng.integers(-5, 6, (3, 4))


def test_addmm_family_beta_zero_ignores_nan(rng):
    nan_input = np.full((3, 4), np.nan)
    check_op(rng, lambda fw, c, a, b: fw.addmm(c, a, b, beta=0), nan_input, random_array(rng, (3, 5)), random_array(rng, (5, 4)))
    check_op(rng, lambda fw, c, a, b: fw.addr(c, a, b, beta=0, alpha=2), nan_input, random_array(rng, (3,)), random_array(rng, (4,)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_determinant_gradient_of_singular_matrices(rng, dtype):
    """The gradient of det is the transposed adjugate, defined (and nonzero for rank n - 1) where A is
    singular."""
    singular = general(rng, (2, 4, 4))
    singular[0, :, -1] = singular[0, :, :-1] @ rng.standard_normal(3)  # rank 3
    singular[0, -1] = singular[0, :-1].sum(0)
    check_op(rng, lambda fw, a: fw.linalg.det(a), singular.astype(dtype))
    # Where the LU factorization meets an exact zero pivot PyTorch returns a zero gradient; spindle keeps
    # the adjugate, which finite differences confirm.
    exactly_singular = np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 3.0]])
    check_gradcheck(lambda fw, a: fw.linalg.det(a), exactly_singular)


def test_singular_and_failed_factorizations_raise_linalg_error():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    not_positive = -np.eye(3)
    for call, array in [
        (lambda fw, a: fw.linalg.inv(a), singular),
        (lambda fw, a: fw.linalg.solve(a, a[:, :1]), singular),
        (lambda fw, a: fw.linalg.cholesky(a), not_positive),
    ]:
        assert isinstance(error_of(lambda: call(torch, torch.tensor(array))), torch.linalg.LinAlgError)
        error = error_of(lambda: call(spindle, spindle.tensor(array)))
        assert isinstance(error, spindle.linalg.LinAlgError) and isinstance(error, RuntimeError), repr(error)
    assert "order 1" in str(error_of(lambda: spindle.linalg.cholesky(spindle.tensor(not_positive))))


def test_ex_variants_report_failures_in_info():
    matrices = np.stack([np.eye(2), np.zeros((2, 2))])
    inverse, info = spindle.linalg.inv_ex(spindle.tensor(matrices))
    expected_info = torch.linalg.inv_ex(torch.tensor(matrices)).info
    assert info.dtype == spindle.int32 and (info.numpy() > 0).tolist() == (expected_info.numpy() > 0).tolist()
    np.testing.assert_array_equal(inverse[0].numpy(), np.eye(2))
    factor, info = spindle.linalg.cholesky_ex(spindle.tensor(np.stack([np.eye(2), -np.eye(2)])))
    expected = torch.linalg.cholesky_ex(torch.tensor(np.stack([np.eye(2), -np.eye(2)])))
    np.testing.assert_array_equal(info.numpy(), expected.info.numpy())
    np.testing.assert_array_equal(factor[0].numpy(), expected.L[0].numpy())
    with pytest.raises(spindle.linalg.LinAlgError):
        spindle.linalg.inv_ex(spindle.tensor(matrices), check_errors=True)


ERRORS = {
    "inv non-square": (lambda fw, a: fw.linalg.inv(a), np.ones((2, 3)), "2 by 3"),
    "det 1-D": (lambda fw, a: fw.linalg.det(a), np.ones(3), "at least 2 dimensions"),
    "det integer": (lambda fw, a: fw.linalg.det(a), np.ones((2, 2), dtype=np.int64), "Long"),
    "cholesky non-square": (lambda fw, a: fw.linalg.cholesky(a), np.ones((3, 2)), "3 by 2"),
    "eigh non-square": (lambda fw, a: fw.linalg.eigh(a), np.ones((3, 2)), "3 by 2"),
    "eigh bad UPLO": (lambda fw, a: fw.linalg.eigh(a, UPLO="X"), np.eye(2), "UPLO"),
    "qr bad mode": (lambda fw, a: fw.linalg.qr(a, mode="thin"), np.eye(2), "thin"),
    "solve mismatch": (lambda fw, a: fw.linalg.solve(a, a[:2, :2]), np.eye(3), "3x3"),
    "solve dtypes": (lambda fw, a: fw.linalg.solve(a, a.float()), np.eye(3), "Float"),
    "matrix_power non-square": (lambda fw, a: fw.linalg.matrix_power(a, 2), np.ones((2, 3)), "2 by 3"),
    "matrix_exp non-square": (lambda fw, a: fw.linalg.matrix_exp(a), np.ones((2, 3)), "2 by 3"),
    "matrix_norm 1-D": (lambda fw, a: fw.linalg.matrix_norm(a), np.ones(3), "at least 2 dimensions"),
    "matrix_norm order": (lambda fw, a: fw.linalg.matrix_norm(a, 3), np.ones((3, 3)), "Order 3"),
    "norm 3-D with ord": (lambda fw, a: fw.linalg.norm(a, 2), np.ones((2, 2, 2)), "1D or 2D"),
    "vector_norm integer": (lambda fw, a: fw.linalg.vector_norm(a), np.ones(3, dtype=np.int64), "Long"),
    "cross length": (lambda fw, a: fw.linalg.cross(a, a), np.ones((2, 4)), "length 3"),
    "cross ranks": (lambda fw, a: fw.linalg.cross(a, a[0]), np.ones((2, 3)), "number of dimensions"),
    "torch.cross no size 3": (lambda fw, a: fw.cross(a, a), np.ones((2, 4)), "size 3"),
    "trace 3-D": (lambda fw, a: fw.trace(a), np.ones((2, 2, 2)), "dim 3"),
    "multi_dot one": (lambda fw, a: fw.linalg.multi_dot([a]), np.ones((2, 2)), "at least 2"),
    "tensordot sizes": (lambda fw, a: fw.tensordot(a, a, dims=([0], [1])), np.ones((2, 3)), "size 2"),
    "cdist columns": (lambda fw, a: fw.cdist(a, a[:, :2]), np.ones((2, 3)), "same number of columns"),
    "pdist 3-D": (lambda fw, a: fw.pdist(a), np.ones((2, 2, 2)), "2D"),
    "mm in addmm": (lambda fw, a: fw.addmm(a, a, a), np.ones((2, 3)), ""),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name):
    function, array, mention = ERRORS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(function, array, mentions=(mention,) if mention else ())


def test_non_differentiable_modes_raise_in_backward(rng):
    tall = spindle.tensor(general(rng, (4, 3)), requires_grad=True)
    _, r = spindle.linalg.qr(tall, mode="r")
    with pytest.raises(RuntimeError, match="mode='r'"):
        r.sum().backward()
    q, _ = spindle.linalg.qr(tall, mode="complete")
    with pytest.raises(RuntimeError, match="mode='complete'"):
        q.sum().backward()
