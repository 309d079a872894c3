"""``spindle.linalg`` (PyTorch's ``torch.linalg``) and the top-level linear-algebra functions built on it
(``spindle.det``, ``spindle.svd``, ``spindle.kron``, ``spindle.cdist``, the ``addmm`` family...).

Decompositions, inverses and solvers are the ops of ``spindle.ops.linalg`` (forward by the array
module's linalg, backward by matrix calculus); the rest composes Tensor operations, so gradients, also of
second order, follow from theirs. Results PyTorch returns as named tuples are named tuples here too.
"""
import collections
import math
import warnings

import numpy as np

from . import _dtype
from .ops import linalg as linalg_ops
from .ops.linalg import LinAlgError
from .ops.reduction import Norm2, normalize_dim
from .tensor import Tensor

_INF = float("inf")

# PyTorch's return types: unpack like tuples, and name their fields.
SlogdetResult = collections.namedtuple("linalg_slogdet", ["sign", "logabsdet"])
InvExResult = collections.namedtuple("linalg_inv_ex", ["inverse", "info"])
CholeskyExResult = collections.namedtuple("linalg_cholesky_ex", ["L", "info"])
QRResult = collections.namedtuple("linalg_qr", ["Q", "R"])
EighResult = collections.namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
SVDResult = collections.namedtuple("linalg_svd", ["U", "S", "Vh"])
LstsqResult = collections.namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
LegacySVDResult = collections.namedtuple("svd", ["U", "S", "V"])
LegacyQRResult = collections.namedtuple("qr", ["Q", "R"])
LegacySlogdetResult = collections.namedtuple("slogdet", ["sign", "logabsdet"])


def _constant(array):
    return Tensor._wrap(array)


def _namespace(tensor):
    return linalg_ops.namespace_of(tensor._data)


# ------------------------------------------------------------------------------------------- norms


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ``ord``-norm of ``x`` (*) over ``dim`` (an int, a tuple, or None for all elements) as a
    vector: ord 2, inf, -inf, 0 (count of nonzeros), or any real p (sum |x|^p)^(1/p)."""
    linalg_ops.check_floating(x._data, "linalg.vector_norm")
    source = x if dtype is None else x.to(dtype)
    if isinstance(dim, list):
        dim = tuple(dim)
    if ord == 2:
        return Norm2.apply(source, dim, keepdim)
    if ord in (_INF, -_INF):
        if source.numel() == 0:
            raise RuntimeError(
                "linalg.vector_norm cannot compute the {} norm on an empty tensor because the operation does "
                "not have an identity".format("inf" if ord > 0 else "-inf")
            )
        magnitude = source.abs()
        axes = () if dim is None else dim
        return magnitude.amax(axes, keepdim) if ord > 0 else magnitude.amin(axes, keepdim)
    if ord == 0:
        return source.abs().sign().sum(dim, keepdim)  # the count of nonzeros, with PyTorch's zero gradient
    if ord == 1:
        return source.abs().sum(dim, keepdim)
    return source.abs().pow(ord).sum(dim, keepdim).pow(1.0 / ord)


def _matrix_dims(a, dim, name):
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if len(dim) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}")
    rows, columns = normalize_dim(dim[0], a.ndim), normalize_dim(dim[1], a.ndim)
    if rows == columns:
        raise RuntimeError(f"{name}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return rows, columns


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The ``ord``-norm of the matrices of ``A`` in dims ``dim``: 'fro', 'nuc' (sum of singular
    values), 2 / -2 (largest / smallest singular value), 1 / -1 (max / min column sum of |A|), inf / -inf
    (max / min row sum). Shape (*) of the remaining dims (kept as size 1 with ``keepdim``)."""
    linalg_ops.check_floating(A._data, "linalg.matrix_norm")
    rows, columns = _matrix_dims(A, tuple(dim), "linalg.matrix_norm")
    source = A if dtype is None else A.to(dtype)
    if ord == "fro":
        return Norm2.apply(source, (rows, columns), keepdim)
    if ord in ("nuc", 2, -2):
        values = svdvals(source.movedim((rows, columns), (-2, -1)))
        result = values.sum(-1) if ord == "nuc" else values.amax(-1) if ord == 2 else values.amin(-1)
        if keepdim:
            for axis in sorted((rows, columns)):
                result = result.unsqueeze(axis)
        return result
    if ord in (1, -1, _INF, -_INF):
        summed, extremum = (rows, columns) if ord in (1, -1) else (columns, rows)
        sums = source.abs().sum(summed, keepdim=True)
        result = sums.amax(extremum, keepdim=True) if ord > 0 else sums.amin(extremum, keepdim=True)
        return result if keepdim else result.squeeze((rows, columns))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``vector_norm`` when ``dim`` is an int (or ``A`` is 1-D), ``matrix_norm`` when ``dim`` is a pair
    (or ``A`` is 2-D and ``ord`` is given); with neither, the 2-norm of all elements."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D.")


# ------------------------------------------------------------------- inverses and determinants


def inv(A):
    """The inverse of each square matrix of ``A`` (*, n, n); LinAlgError if one is singular."""
    return linalg_ops.Inv.apply(A)


def inv_ex(A, *, check_errors=False):
    """``(inverse, info)``: ``info`` (*) int32 is 0 for invertible matrices, positive for singular ones
    (whose inverse is then NaN), raising only with ``check_errors``."""
    try:
        inverse = inv(A)
    except LinAlgError:
        if check_errors:
            raise
        singular = matrix_rank(A.detach()) < A.shape[-1]
        inverse = inv(A.masked_fill(singular.unsqueeze(-1).unsqueeze(-1), 0.0) + _identity_where(singular, A))
        inverse = inverse.masked_fill(singular.unsqueeze(-1).unsqueeze(-1), float("nan"))
        return InvExResult(inverse, singular.to(_dtype.int32))
    namespace = _namespace(A)
    return InvExResult(inverse, _constant(namespace.zeros(A.shape[:-2], dtype=namespace.int32)))


def _identity_where(mask, A):
    """The identity in the matrices of ``A`` selected by ``mask`` (*), zero elsewhere (a constant)."""
    namespace = _namespace(A)
    identity = namespace.eye(A.shape[-1], dtype=A._data.dtype)
    return _constant(mask._data[..., None, None] * identity)


def det(A):
    """The determinant of each square matrix of ``A`` (*, n, n), shape (*)."""
    return linalg_ops.Det.apply(A)


def slogdet(A):
    """``(sign, logabsdet)`` of the determinants of ``A`` (*, n, n): det = sign * exp(logabsdet)."""
    return SlogdetResult(*linalg_ops.Slogdet.apply(A))


def logdet(A):
    """log(det A) for square matrices: NaN where the determinant is negative, -inf where it is zero."""
    linalg_ops.check_matrix(A._data, "linalg.slogdet")
    sign, logabsdet = linalg_ops.Slogdet.apply(A)
    return logabsdet + sign.detach().log()


# ------------------------------------------------------------------------------------- solvers


def _is_vector_right_side(A, B):
    """PyTorch's rule: B is a (batch of) vector(s) if it is 1-D or has A's shape without its last dim."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def solve(A, B, *, left=True):
    """The solution X of ``A X = B`` (or ``X A = B`` with ``left=False``) for square ``A`` (*, n, n) and
    ``B`` (*, n, k) or vectors (*, n); batch dims broadcast."""
    linalg_ops.check_matrix(A._data, "linalg.solve")
    if A.dtype != B.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{linalg_ops.SCALAR_TYPE_NAMES[A._data.dtype.name]} and B of type "
            f"{linalg_ops.SCALAR_TYPE_NAMES[B._data.dtype.name]} instead."
        )
    vector = _is_vector_right_side(A, B)
    if not left:
        A = A.mT
        B = B if vector else B.mT
    right = B.unsqueeze(-1) if vector else B
    if right.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {right.shape[-2]}x{right.shape[-1]})"
        )
    try:
        solution = linalg_ops.Solve.apply(A, right)
    except ValueError:
        raise RuntimeError(
            f"linalg.solve: the batch dimensions of A {list(A.shape)} and B {list(B.shape)} cannot be broadcast"
        ) from None
    if vector:
        return solution.squeeze(-1)
    return solution if left else solution.mT


def cholesky(A, *, upper=False):
    """The Cholesky factor L (*, n, n) with A = L L^T of symmetric positive-definite ``A`` (its lower
    triangle is read), or L^T when ``upper``; LinAlgError when A is not positive-definite."""
    return linalg_ops.Cholesky.apply(A, upper)


def cholesky_ex(A, *, upper=False, check_errors=False):
    """``(L, info)``: ``info`` (*) int32 is 0 where the factorization succeeded, else the order of the
    first leading minor that is not positive-definite (L is then NaN there)."""
    try:
        factor = cholesky(A, upper=upper)
    except LinAlgError:
        if check_errors:
            raise
        namespace = _namespace(A)
        matrices = A._data.reshape((-1,) + A.shape[-2:])
        orders = [linalg_ops.first_failing_minor(matrix) for matrix in matrices]
        info = namespace.asarray(orders, dtype=namespace.int32).reshape(A.shape[:-2])
        failed = _constant(info != 0)
        mask = failed.unsqueeze(-1).unsqueeze(-1)
        factor = cholesky(A.masked_fill(mask, 0.0) + _identity_where(failed, A), upper=upper)
        return CholeskyExResult(factor.masked_fill(mask, float("nan")), _constant(info))
    namespace = _namespace(A)
    return CholeskyExResult(factor, _constant(namespace.zeros(A.shape[:-2], dtype=namespace.int32)))


# ------------------------------------------------------------------------------ decompositions


def qr(A, mode="reduced"):
    """``(Q, R)`` with A = Q R for ``A`` (*, m, n): 'reduced' Q (*, m, k), R (*, k, n), k = min(m, n);
    'complete' Q (*, m, m), R (*, m, n); 'r' only R (Q empty)."""
    return QRResult(*linalg_ops.QR.apply(A, mode))


def eigh(A, UPLO="L"):
    """``(eigenvalues, eigenvectors)`` of symmetric ``A`` (*, n, n) read from its ``UPLO`` triangle:
    eigenvalues (*, n) ascending, orthonormal eigenvectors as the columns of (*, n, n)."""
    return EighResult(*linalg_ops.Eigh.apply(A, UPLO))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues (*, n), ascending, of symmetric ``A`` (*, n, n)."""
    return linalg_ops.Eigh.apply(A, UPLO)[0]


def svd(A, full_matrices=True, *, driver=None):
    """``(U, S, Vh)`` with A = U diag(S) Vh for ``A`` (*, m, n): S (*, k) descending, k = min(m, n); U
    (*, m, m) and Vh (*, n, n) with ``full_matrices``, else (*, m, k) and (*, k, n)."""
    return SVDResult(*linalg_ops.SVD.apply(A, full_matrices))


def svdvals(A, *, driver=None):
    """The singular values (*, k), descending, of ``A`` (*, m, n)."""
    return linalg_ops.SVD.apply(A, False)[1]


def _default_rtol(A, atol, rtol):
    """PyTorch's rule: without rtol, the dtype's epsilon times max(m, n), unless a positive atol is given."""
    if rtol is None:
        return np.finfo(A._data.dtype).eps * max(A.shape[-2:]) if atol is None or atol <= 0 else 0.0
    return rtol


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse (*, n, m) of ``A`` (*, m, n) from its SVD (its eigendecomposition
    when ``hermitian``); singular values at most max(atol, rtol * largest) count as zero."""
    linalg_ops.check_matrix(A._data, "linalg.pinv", square=hermitian)
    return linalg_ops.Pinv.apply(A, 0.0 if atol is None else atol, _default_rtol(A, atol, rtol), hermitian)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """The number (*) int64 of singular values of ``A`` (*, m, n) above max(atol, rtol * largest)."""
    linalg_ops.check_matrix(A._data, "linalg.matrix_rank", square=hermitian)
    source = A.detach()
    values = linalg_ops.Eigh.apply(source, "L")[0].abs() if hermitian else svdvals(source)
    largest = values.amax(-1, keepdim=True) if values.shape[-1] else values
    cutoff = (largest * _default_rtol(A, atol, rtol)).clamp_min(0.0 if atol is None else atol)
    return (values > cutoff).sum(-1)


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of ``A X = B`` for ``A`` (*, m, n) and ``B`` (*, m, k) (or (*, m)),
    as ``(solution, residuals, rank, singular_values)``; the solution is pinv(A) B, differentiable.
    As PyTorch: the rank with drivers 'gelsy' (default), 'gelsd', 'gelss'; the singular values with
    'gelsd', 'gelss'; residuals (squared, per column) for m > n full-rank A with a driver other than
    'gelsy'. What is not computed is empty."""
    linalg_ops.check_matrix(A._data, "linalg.lstsq", square=False)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    driver = driver or "gelsy"
    vector = B.ndim == A.ndim - 1
    right = B.unsqueeze(-1) if vector else B
    if right.shape[-2] != A.shape[-2]:
        raise RuntimeError(
            f"torch.linalg.lstsq: input.size(-2) should match other.size(-2). Got {A.shape[-2]} and {right.shape[-2]}"
        )
    rtol = rcond if rcond is not None and rcond > 0 else None
    solution = pinv(A, rtol=rtol) @ right
    namespace = _namespace(A)
    empty = _constant(namespace.zeros((0,), dtype=A._data.dtype))
    rank = matrix_rank(A, rtol=rtol) if driver != "gels" else _constant(namespace.zeros((0,), dtype=namespace.int64))
    values = svdvals(A.detach()) if driver in ("gelsd", "gelss") else empty
    residuals = empty
    rows, columns = A.shape[-2:]
    if driver != "gelsy" and rows > columns and bool((matrix_rank(A.detach()) == columns).all()):
        residuals = (A @ solution - right).square().sum(-2)
        residuals = residuals.squeeze(-1) if vector else residuals
    return LstsqResult(solution.squeeze(-1) if vector else solution, residuals, rank, values)


# ----------------------------------------------------------------------------- matrix functions


def matrix_power(A, n):
    """``A`` (*, m, m) to the integer power ``n`` by repeated squaring (the inverse's for n < 0; the
    identity for n = 0)."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            "linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{A.shape[-2] if A.ndim > 1 else 1} by {A.shape[-1] if A.ndim else 1} matrices"
        )
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:
        # The identity, still in A's graph (with a zero gradient) as in PyTorch.
        return _zeros_in_graph(A) + _constant(_namespace(A).eye(A.shape[-1], dtype=A._data.dtype))
    base = inv(A) if n < 0 else A
    result = None
    exponent = abs(int(n))
    while exponent:
        if exponent & 1:
            result = base if result is None else result @ base
        exponent >>= 1
        if exponent:
            base = base @ base
    return result


def matrix_exp(A):
    """exp(A) = sum A^k / k! of each square matrix of ``A`` (*, n, n) (Padé(13) scaling and squaring)."""
    return linalg_ops.MatrixExp.apply(A)


# -------------------------------------------------------------------------------------- products


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` of ``input`` and ``other`` (of equal ranks, their
    other dims broadcast together)."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    axis = normalize_dim(dim, input.ndim)
    if input.shape[axis] != 3 or other.shape[axis] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[axis]} and {other.shape[axis]}"
        )
    if input.shape != other.shape:
        from .functional import broadcast_tensors

        input, other = broadcast_tensors(input, other)
    # (a x b)_i = a_{i+1} b_{i+2} - a_{i+2} b_{i+1}, indices mod 3: rolls line the factors up.
    return input.roll(-1, axis) * other.roll(-2, axis) - input.roll(-2, axis) * other.roll(-1, axis)


def vecdot(x, y, *, dim=-1):
    """The dot products of the vectors along ``dim`` of ``x`` and ``y`` (broadcast together)."""
    return (x * y).sum(dim)


def multi_dot(tensors):
    """The product of a chain of matrices (the first may be a vector (n,), the last a vector (n,)),
    multiplied in the order that needs the fewest scalar multiplications."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first_vector, last_vector = tensors[0].ndim == 1, tensors[-1].ndim == 1
    matrices = [tensors[0].unsqueeze(0) if first_vector else tensors[0]]
    matrices += tensors[1:-1]
    matrices.append(tensors[-1].unsqueeze(-1) if last_vector else tensors[-1])
    for position, matrix in enumerate(matrices):
        if matrix.ndim != 2:
            which = "first" if position == 0 else "last" if position == len(matrices) - 1 else None
            if which:
                raise RuntimeError(f"multi_dot(): the {which} tensor must be 1D or 2D but got {matrix.ndim}D")
            raise RuntimeError(f"multi_dot(): tensor {position} must be 2D but got {matrix.ndim}D")
    result = _chain_product(matrices, _chain_order(matrices), 0, len(matrices) - 1)
    if first_vector:
        result = result.squeeze(0)
    return result.squeeze(-1) if last_vector else result


def _chain_order(matrices):
    """The classic dynamic program for the cheapest parenthesization: split[i][j] is where the product
    of matrices i..j splits."""
    sizes = [matrices[0].shape[0]] + [matrix.shape[1] for matrix in matrices]
    count = len(matrices)
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            cost[i][j], split[i][j] = min(
                (cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1], k) for k in range(i, j)
            )
    return split


def _chain_product(matrices, split, i, j):
    if i == j:
        return matrices[i]
    k = split[i][j]
    return _chain_product(matrices, split, i, k).mm(_chain_product(matrices, split, k + 1, j))


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonals (*, d) of the matrices of ``A`` in dims (dim1, dim2) (a view)."""
    return A.diagonal(offset, dim1, dim2)


def matmul(input, other):
    """``spindle.matmul``, also under ``linalg``."""
    return input.matmul(other)


# ---------------------------------------- top-level functions (spindle.X) and PyTorch's older forms


def pinverse(input, rcond=1e-15, hermitian=False):
    """``pinv`` with singular values under ``rcond`` times the largest counted as zero."""
    return pinv(input, rtol=rcond, hermitian=hermitian)


def legacy_slogdet(input):
    """``spindle.slogdet``: ``linalg.slogdet`` under PyTorch's older result type."""
    return LegacySlogdetResult(*linalg_ops.Slogdet.apply(input))


def legacy_svd(input, some=True, compute_uv=True):
    """``(U, S, V)`` with input = U diag(S) V^T (V, not Vh); reduced unless ``some=False``; without
    ``compute_uv`` U and V are zero matrices (*, m, m) and (*, n, n)."""
    if not compute_uv:
        values = svdvals(input)
        namespace = _namespace(input)
        batch, (rows, columns) = input.shape[:-2], input.shape[-2:]
        dtype = input._data.dtype
        return LegacySVDResult(
            _constant(namespace.zeros(batch + (rows, rows), dtype=dtype)),
            values,
            _constant(namespace.zeros(batch + (columns, columns), dtype=dtype)),
        )
    u, s, vh = linalg_ops.SVD.apply(input, not some)
    return LegacySVDResult(u, s, vh.mT)


def legacy_qr(input, some=True):
    """``spindle.qr``: reduced (``some``) or complete ``(Q, R)``."""
    return LegacyQRResult(*linalg_ops.QR.apply(input, "reduced" if some else "complete"))


def legacy_cross(input, other, dim=None):
    """``linalg.cross``; without ``dim``, along the first dim of size 3 (deprecated in PyTorch)."""
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
            "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree with "
            "that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=2,
        )
        shape = input.shape if input.ndim >= other.ndim else other.shape
        dim = next((axis for axis, size in enumerate(shape) if size == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return cross(input, other, dim=dim)


def trace(input):
    """The sum of the diagonal of a 2-D ``input`` (int64 for integer inputs)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return input.diagonal().sum()


def kron(input, other):
    """The Kronecker product: for shapes (a0, a1, ...) and (b0, b1, ...) (the shorter padded with
    leading ones), shape (a0 b0, a1 b1, ...) with block (i, j) equal to input[i, j] * other."""
    size = max(input.ndim, other.ndim)
    input_shape = (1,) * (size - input.ndim) + tuple(input.shape)
    other_shape = (1,) * (size - other.ndim) + tuple(other.shape)
    spread_input = input.reshape([extent for axis in input_shape for extent in (axis, 1)])
    spread_other = other.reshape([extent for axis in other_shape for extent in (1, axis)])
    return (spread_input * spread_other).reshape([a * b for a, b in zip(input_shape, other_shape)])


def tensordot(a, b, dims=2):
    """Contract dims ``dims[0]`` of ``a`` with dims ``dims[1]`` of ``b`` (an int n: the last n of ``a``
    with the first n of ``b``); result: a's free dims then b's."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    dims_a = [normalize_dim(dim, a.ndim) for dim in dims_a]
    dims_b = [normalize_dim(dim, b.ndim) for dim in dims_b]
    for dim_a, dim_b in zip(dims_a, dims_b):
        if a.shape[dim_a] != b.shape[dim_b]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[dim_a]} in dim {dim_a} and "
                f"second has size {b.shape[dim_b]} in dim {dim_b}"
            )
    free_a = [dim for dim in range(a.ndim) if dim not in dims_a]
    free_b = [dim for dim in range(b.ndim) if dim not in dims_b]
    contracted = math.prod(a.shape[dim] for dim in dims_a)
    left = a.permute(free_a + dims_a).reshape(-1, contracted)
    right = b.permute(dims_b + free_b).reshape(contracted, -1)
    return (left @ right).reshape([a.shape[dim] for dim in free_a] + [b.shape[dim] for dim in free_b])


def chain_matmul(*matrices):
    """The product of 2-D ``matrices`` (deprecated in PyTorch for ``linalg.multi_dot``)."""
    warnings.warn(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
        "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
        "parameters.",
        UserWarning,
        stacklevel=2,
    )
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(matrices)


def _zeros_in_graph(tensor):
    """Zeros shaped like ``tensor`` whose gradient flows back to it as zero (NaN and inf included)."""
    return tensor.masked_fill(_constant(_namespace(tensor).ones((), dtype=bool)), 0)


def _scaled_sum(input, product, beta, alpha):
    """beta * input + alpha * product, with input ignored (NaN included) when beta is 0, as PyTorch
    (which still gives it a zero gradient)."""
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product + _zeros_in_graph(input) if input.requires_grad else product
    return product + (input if beta == 1 else input * beta)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2) for mat1 (n, m), mat2 (m, p), input broadcastable to (n, p)."""
    return _scaled_sum(input, mat1.mm(mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec) for mat (n, m), vec (m,), input broadcastable to (n,)."""
    return _scaled_sum(input, mat.mv(vec), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum_b batch1[b] @ batch2[b] for batches (b, n, m) and (b, m, p)."""
    return _scaled_sum(input, batch1.bmm(batch2).sum(0), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2) for batches (b, n, m), (b, m, p)."""
    return _scaled_sum(input, batch1.bmm(batch2), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2) for vectors (n,), (m,), input broadcastable to (n, m)."""
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1.ndim}-D" if vec1.ndim != 1 else
                           f"addr: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    return _scaled_sum(input, vec1.outer(vec2), beta, alpha)


def dist(input, other, p=2):
    """The p-norm of input - other (broadcast), over all elements."""
    return vector_norm(input - other, p)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distances (*, P, R) between the rows of ``x1`` (*, P, M) and of ``x2`` (*, R, M);
    Euclidean ones by a matrix product where ``compute_mode`` says so (by default for P or R > 25)."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X{1 if x1.ndim < 2 else 2} got: "
                           f"{min(x1.ndim, x2.ndim) if x1.ndim < 2 else x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    large = x1.shape[-2] > 25 or x2.shape[-2] > 25
    if p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (compute_mode == "use_mm_for_euclid_dist_if_necessary" and large)):
        # |a - b|^2 = |a|^2 + |b|^2 - 2 a.b by one matrix product instead of a (*, P, R, M) difference;
        # PyTorch's floor of 1e-30 keeps the square root's gradient finite (and zero) at zero distance.
        squares = (x1 * x1).sum(-1, keepdim=True) + (x2 * x2).sum(-1).unsqueeze(-2) - 2 * (x1 @ x2.mT)
        return squares.clamp_min(1e-30).sqrt()
    return vector_norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, -1)


def pdist(input, p=2):
    """The p-norm distances (N(N-1)/2,) between all pairs i < j of rows of ``input`` (N, M), row-major."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    first, second = np.triu_indices(input.shape[0], 1)
    namespace = _namespace(input)
    first, second = _constant(namespace.asarray(first)), _constant(namespace.asarray(second))
    return vector_norm(input.index_select(0, first) - input.index_select(0, second), p, -1)

