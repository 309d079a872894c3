"""Matrix products (matmul with 1-D and batch-broadcast semantics, mm, bmm, a fused Linear) and the
linear-algebra ops behind ``spindle.linalg``: inverse, determinants, solve, Cholesky, QR, eigh, SVD and
the matrix exponential."""
import numpy as np

from ..autograd.grad_mode import state
from ..backend.device import namespace_of
from . import op as op_module
from .op import Op, ensure_array


def _dims_text(shape):
    return "x".join(str(size) for size in shape)


def matmul_rows(a, b):
    """``a`` (*, K) @ ``b`` (K, N) as one GEMM over all leading rows of ``a``: NumPy runs a stacked
    ``a`` as one small product per matrix, several times slower than the single large one."""
    if a.ndim <= 2:
        return np.matmul(a, b)
    return np.matmul(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + (b.shape[-1],))


class Matmul(Op):
    save_inputs = (0, 1)

    def forward(self, a, b):
        if a.dtype != b.dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}")
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(
                f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
            )
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            if a.ndim <= 2 and b.ndim <= 2:
                raise RuntimeError(
                    f"mat1 and mat2 shapes cannot be multiplied ({_dims_text(a.shape if a.ndim == 2 else (1,) + a.shape)} "
                    f"and {_dims_text(b.shape if b.ndim == 2 else b.shape + (1,))})"
                )
            raise RuntimeError(
                f"Expected size for the contracted dimension to match: got shapes {list(a.shape)} and {list(b.shape)} "
                f"(a.size(-1)={a.shape[-1]} vs b.size({-2 if b.ndim > 1 else 0})={b.shape[-2 if b.ndim > 1 else 0]})"
            )
        if b.ndim == 2:
            return matmul_rows(a, b)
        try:
            return np.matmul(a, b)
        except ValueError:
            raise RuntimeError(
                f"matmul: batch dimensions of shapes {list(a.shape)} and {list(b.shape)} cannot be broadcast together"
            ) from None

    def backward(self, grad):
        a, b = self.inputs
        grad_a = grad_b = None
        if a.ndim == 1 and b.ndim == 1:
            return grad * b if self.needs_grad(0) else None, grad * a if self.needs_grad(1) else None
        if self.needs_grad(0):
            if a.ndim == 1:
                grad_a = (grad.unsqueeze(-2) @ b.mT).squeeze(-2)
            elif b.ndim == 1:
                grad_a = grad.unsqueeze(-1) @ b.unsqueeze(-2)
            else:
                grad_a = grad @ b.mT
        if self.needs_grad(1):
            if a.ndim == 1:
                grad_b = a.unsqueeze(-1) @ grad.unsqueeze(-2)
            elif b.ndim == 1:
                grad_b = (a.mT @ grad.unsqueeze(-1)).squeeze(-1)
            else:
                grad_b = a.mT @ grad
        return grad_a, grad_b


def check_matrix_ranks(a, b, name, rank):
    """``mm`` takes exactly 2-D, ``bmm`` exactly 3-D operands with equal batch sizes."""
    if a.ndim != rank or b.ndim != rank:
        which = "self" if a.ndim != rank else "mat2"
        bad = a if a.ndim != rank else b
        raise RuntimeError(f"{which} must be a {rank}D tensor (got a {bad.ndim}D tensor of shape {list(bad.shape)} in {name})")
    if rank == 3 and a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"batch1 and batch2 must have same number of batches, got {a.shape[0]} and {b.shape[0]}"
        )


class Linear(Op):
    """``input @ weight.T + bias`` as one op, so the weight gradient comes out as one contiguous GEMM in
    the weight's own layout (no transposed view to copy when it accumulates into ``.grad``).

    Shapes: input (*, in_features), weight (out_features, in_features), bias (out_features,) or None.
    """

    save_inputs = (0, 1)

    def forward(self, x, weight, bias=None):
        if x.dtype != weight.dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {x.dtype} != {weight.dtype}")
        if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            rows = int(np.prod(x.shape[:-1])) if x.ndim > 1 else 1
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1] if x.ndim else 0} and "
                f"{weight.shape[1]}x{weight.shape[0]})"
            )
        output = matmul_rows(x, weight.T)
        if bias is not None:
            output += bias
        return output

    def backward(self, grad):
        x, weight = self.inputs[0], self.inputs[1]
        out_features, in_features = weight.shape
        grad_rows = grad.reshape(-1, out_features)
        grad_x = grad @ weight if self.needs_grad(0) else None
        grad_weight = grad_rows.mT @ x.reshape(-1, in_features) if self.needs_grad(1) else None
        grad_bias = grad_rows.sum(0) if self.needs_grad(2) else None
        return grad_x, grad_weight, grad_bias


# ---------------------------------------------------------------------------------------------------
# Decompositions, inverses and solvers. Forwards call the array module's linalg (numpy.linalg or
# cupy.linalg); backwards are the standard matrix-calculus formulas written with Tensor ops, so that
# they are themselves differentiable.


class LinAlgError(RuntimeError):
    """A matrix the computation needs to be invertible or positive-definite is not (as
    ``torch.linalg.LinAlgError``, a RuntimeError)."""


def _identity_like(tensor):
    """The identity matrix of the size of the last dim of ``tensor``, as a constant Tensor of its dtype
    and device."""
    namespace = namespace_of(tensor._data)
    return op_module.Tensor._wrap(namespace.eye(tensor.shape[-1], dtype=tensor._data.dtype))


def _tril_ones_like(tensor, diagonal):
    """A constant lower-triangular matrix of ones (``diagonal`` on its diagonal), shaped like the last
    two dims of ``tensor``."""
    namespace = namespace_of(tensor._data)
    size = tensor.shape[-1]
    values = namespace.tril(namespace.ones((size, size), dtype=tensor._data.dtype), -1)
    values += diagonal * namespace.eye(size, dtype=values.dtype)
    return op_module.Tensor._wrap(values)


class MultiOutputOp(Op):
    """An op with several outputs (a decomposition). ``forward`` returns a tuple of arrays; ``backward``
    receives the list of the outputs' gradients, None for an output no gradient reached; ``outputs()``
    gives the outputs as Tensors of the graph (for formulas that use them)."""

    @classmethod
    def apply(cls, *args):
        node = cls.__new__(cls)
        tensor_class = op_module.Tensor
        outputs = node.forward(*[arg._data if isinstance(arg, tensor_class) else arg for arg in args])
        if not (state.enabled and any(isinstance(arg, tensor_class) and arg._requires_grad for arg in args)):
            return tuple(tensor_class._wrap(output) for output in outputs)
        node.num_outputs = len(outputs)
        results = [node.connect(outputs[0], args)] + [tensor_class._wrap(output) for output in outputs[1:]]
        for index, result in enumerate(results):
            if result._data.dtype.kind in "fc":
                result._requires_grad = True
                result._grad_fn = node
                result._output_index = index
        node.outputs_data = outputs
        node.outputs_versions = [(result._version, result._version[0]) for result in results]
        return tuple(results)

    def outputs(self):
        if self.released:
            self.saved_tensors_checked()
        results = []
        for index, (data, (version, saved)) in enumerate(zip(self.outputs_data, self.outputs_versions)):
            if version[0] != saved:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: the output {index} of {self.name()} is at version {version[0]}; expected "
                    f"version {saved} instead. Hint: do the in-place operation out of place."
                )
            result = op_module.Tensor._wrap(data)
            result._version = version
            result._requires_grad = True
            result._grad_fn = self
            result._output_index = index
            results.append(result)
        return results

    def release_extra(self):
        self.outputs_data = None
        self.released = True

    def run(self, grads):
        return super().run([list(grads)])  # Op.run hands backward its first entry: here all gradients


def check_matrix(array, name, square=True):
    """PyTorch's checks of a linalg input: at least 2-D, square when ``square``, floating."""
    if array.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and array.shape[-1] != array.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but they are {array.shape[-2]} by {array.shape[-1]} matrices"
        )
    check_floating(array, name)


# PyTorch's names of the scalar types, as its error messages print them.
SCALAR_TYPE_NAMES = {
    "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
    "float16": "Half", "float32": "Float", "float64": "Double",
}


def check_floating(array, name):
    if array.dtype.kind not in "fc":
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got {SCALAR_TYPE_NAMES[array.dtype.name]}"
        )
    if array.dtype.itemsize < 4:
        raise RuntimeError(f'"{name}" not implemented for \'{SCALAR_TYPE_NAMES[array.dtype.name]}\'')


class Inv(Op):
    save_output = True

    def forward(self, a):
        check_matrix(a, "linalg.inv")
        try:
            return namespace_of(a).linalg.inv(a)
        except np.linalg.LinAlgError:
            raise LinAlgError(
                "linalg.inv: The inversion could not be completed because the input matrix is singular."
            ) from None

    def backward(self, grad):
        inverse_transposed = self.output().mT
        return -(inverse_transposed @ grad @ inverse_transposed)


class Det(Op):
    save_inputs = (0,)
    save_output = True

    def forward(self, a):
        check_matrix(a, "linalg.det")
        return ensure_array(namespace_of(a).linalg.det(a))

    def backward(self, grad):
        # d det(A) = tr(adj(A) dA): the gradient is adj(A)^T = det(A) A^-T, or from the SVD where A is singular.
        a = self.inputs[0]
        scale = grad.unsqueeze(-1).unsqueeze(-1)
        try:
            return scale * self.output().unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).mT
        except LinAlgError:
            return scale * adjugate_transposed(a)


def adjugate_transposed(a):
    """adj(A)^T of square matrices (*, n, n), singular ones included: with A = U diag(s) Vh,
    det(U) det(Vh) U diag(prod of the other singular values) Vh."""
    u, s, vh = SVD.apply(a, False)
    identity = _identity_like(a)
    others = (s.unsqueeze(-2) * (1 - identity) + identity).prod(-1)
    orientation = (Det.apply(u) * Det.apply(vh)).unsqueeze(-1).unsqueeze(-1)
    return orientation * (u * others.unsqueeze(-2)) @ vh


class Slogdet(MultiOutputOp):
    """``(sign, log|det A|)``; only the log-magnitude carries a gradient, ``A^-T`` times its own."""

    save_inputs = (0,)

    def forward(self, a):
        check_matrix(a, "linalg.slogdet")
        sign, logabsdet = namespace_of(a).linalg.slogdet(a)
        return ensure_array(sign), ensure_array(logabsdet)

    def backward(self, grads):
        grad_logabsdet = grads[1]
        if grad_logabsdet is None:
            return None
        return grad_logabsdet.unsqueeze(-1).unsqueeze(-1) * Inv.apply(self.inputs[0]).mT


class Solve(Op):
    """``X = A^-1 B`` for square ``A`` (*, n, n) and matrices ``B`` (*, n, k), batch dims broadcast."""

    save_inputs = (0,)
    save_output = True

    def forward(self, a, b):
        try:
            return namespace_of(a).linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.") from None

    def backward(self, grad):
        a = self.inputs[0]
        grad_b = Solve.apply(a.mT, grad)
        grad_a = -(grad_b @ self.output().mT) if self.needs_grad(0) else None
        return grad_a, grad_b


class Cholesky(Op):
    """The lower factor ``L`` of ``A = L L^T`` (or ``L^T`` when ``upper``); A's lower triangle is read."""

    save_output = True

    def forward(self, a, upper=False):
        check_matrix(a, "linalg.cholesky")
        self.upper = upper
        try:
            factor = namespace_of(a).linalg.cholesky(a)
        except np.linalg.LinAlgError:
            order = next(filter(None, map(first_failing_minor, a.reshape((-1,) + a.shape[-2:]))))
            raise LinAlgError(
                "linalg.cholesky: The factorization could not be completed because the input is not "
                f"positive-definite (the leading minor of order {order} is not positive-definite)."
            ) from None
        return namespace_of(a).ascontiguousarray(factor.swapaxes(-1, -2)) if upper else factor

    def backward(self, grad):
        factor = self.output().mT if self.upper else self.output()
        grad = grad.mT if self.upper else grad
        # Phi(L^T dL): the lower triangle with a halved diagonal; the gradient is L^-T Phi L^-1, symmetrized.
        phi = (factor.mT @ grad.tril()) * _tril_ones_like(factor, 0.5)
        factor_inverse = Inv.apply(factor)
        grad_a = factor_inverse.mT @ phi @ factor_inverse
        return (grad_a + grad_a.mT) * 0.5


def first_failing_minor(matrix):
    """The order (1-based) of the first leading minor of ``matrix`` (n, n) that is not positive-definite,
    0 if there is none: the ``info`` of a Cholesky factorization."""
    namespace = namespace_of(matrix)
    for order in range(1, matrix.shape[-1] + 1):
        try:
            namespace.linalg.cholesky(matrix[:order, :order])
        except np.linalg.LinAlgError:
            return order
    return 0


class QR(MultiOutputOp):
    """``A = Q R`` (mode 'reduced', 'complete' or 'r'); the gradient needs Q and, for tall matrices,
    the reduced mode."""

    def forward(self, a, mode="reduced"):
        check_matrix(a, "linalg.qr", square=False)
        if mode not in ("reduced", "complete", "r"):
            raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'")
        self.mode = mode
        namespace = namespace_of(a)
        if mode == "r":
            return namespace.zeros((0,), dtype=a.dtype), namespace.linalg.qr(a, mode="r")
        q, r = namespace.linalg.qr(a, mode=mode)
        return q, r

    def backward(self, grads):
        if self.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
                "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
            )
        q, r = self.outputs()
        grad_q, grad_r = grads
        rows, columns = q.shape[-2], r.shape[-1]
        if self.mode == "complete" and rows > columns:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        grad_q = q * 0 if grad_q is None else grad_q
        grad_r = r * 0 if grad_r is None else grad_r
        if rows >= columns:
            return qr_backward_tall(q, r, grad_q, grad_r)
        # Wide A = Q [U V]: the square part X = Q U is a tall QR; Y = Q V only adds Q dV and Y dV^T.
        from ..functional import cat

        square_r, rest_r = r[..., :rows], r[..., rows:]
        grad_square_r, grad_rest_r = grad_r[..., :rows], grad_r[..., rows:]
        rest = q @ rest_r
        grad_square = qr_backward_tall(q, square_r, grad_q + rest @ grad_rest_r.mT, grad_square_r)
        return cat([grad_square, q @ grad_rest_r], -1)


def qr_backward_tall(q, r, grad_q, grad_r):
    """Gradient of A = QR for A (*, m, n) with m >= n (Liao et al., 2019): with M = R dR^T - dQ^T Q,
    dA = (dQ + Q copyltu(M)) R^-T, where copyltu mirrors M's lower triangle onto its upper one."""
    m = r @ grad_r.mT - grad_q.mT @ q
    copied = m.tril() + m.tril(-1).mT
    return Solve.apply(r, (grad_q + q @ copied).mT).mT


class Eigh(MultiOutputOp):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix, read from the
    ``UPLO`` triangle."""

    def forward(self, a, uplo="L"):
        check_matrix(a, "linalg.eigh")
        if uplo not in ("L", "U"):
            raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")
        eigenvalues, eigenvectors = namespace_of(a).linalg.eigh(a, UPLO=uplo)
        return eigenvalues, eigenvectors

    def backward(self, grads):
        eigenvalues, eigenvectors = self.outputs()
        grad_values, grad_vectors = grads
        identity = _identity_like(eigenvectors)
        inner = 0
        if grad_vectors is not None:
            # Only the skew part of V^T dV is seen by a loss that is invariant to the eigenvectors' signs.
            projected = eigenvectors.mT @ grad_vectors
            projected = (projected - projected.mT) * 0.5
            gaps = eigenvalues.unsqueeze(-2) - eigenvalues.unsqueeze(-1) + identity
            inner = projected / gaps
        if grad_values is not None:
            inner = inner + grad_values.unsqueeze(-1) * identity
        return eigenvectors @ inner @ eigenvectors.mT


class SVD(MultiOutputOp):
    """``A = U diag(S) Vh``; the gradient needs distinct singular values (and nonzero ones where the
    singular vectors of a non-square A are differentiated)."""

    def forward(self, a, full_matrices=True):
        check_matrix(a, "linalg.svd", square=False)
        u, s, vh = namespace_of(a).linalg.svd(a, full_matrices=full_matrices)
        return u, s, vh

    def backward(self, grads):
        u, s, vh = self.outputs()
        grad_u, grad_s, grad_vh = grads
        rows, columns = u.shape[-2], vh.shape[-1]
        rank = s.shape[-1]
        # Full matrices: the extra columns of U and rows of Vh do not depend on A in a defined way; the
        # gradient is that of the reduced decomposition.
        u, vh = u[..., :rank], vh[..., :rank, :]
        if grad_u is not None:
            grad_u = grad_u[..., :rank]
        if grad_vh is not None:
            grad_vh = grad_vh[..., :rank, :]
        if grad_u is None and grad_vh is None:
            return (u * grad_s.unsqueeze(-2)) @ vh
        identity = _identity_like(s)
        squares = s * s
        inverse_gaps = (1 - identity) / (squares.unsqueeze(-2) - squares.unsqueeze(-1) + identity)
        inner = 0
        if grad_s is not None:
            inner = grad_s.unsqueeze(-1) * identity
        if grad_u is not None:
            u_projected = u.mT @ grad_u
            inner = inner + (inverse_gaps * (u_projected - u_projected.mT)) * s.unsqueeze(-2)
        if grad_vh is not None:
            v_projected = vh @ grad_vh.mT
            inner = inner + s.unsqueeze(-1) * (inverse_gaps * (v_projected - v_projected.mT))
        grad_a = u @ inner @ vh
        if grad_u is not None and rows > rank:
            grad_a = grad_a + ((grad_u - u @ (u.mT @ grad_u)) / s.unsqueeze(-2)) @ vh
        if grad_vh is not None and columns > rank:
            grad_a = grad_a + (u / s.unsqueeze(-2)) @ (grad_vh - (grad_vh @ vh.mT) @ vh)
        return grad_a


# Padé(13) coefficients and the largest 1-norm for which it is accurate to double precision
# (Higham, "The scaling and squaring method for the matrix exponential revisited", 2005).
_PADE13 = (
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
    10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0,
)
_PADE13_NORM_LIMIT = 5.371920351148152


def matrix_exponential(a):
    """exp(A) for a stack of square matrices: each scaled by 2^-s to a 1-norm under the Padé(13) limit,
    approximated, then squared s times. Computed in float64 and cast back."""
    namespace = namespace_of(a)
    matrices = a.astype(namespace.float64)
    size = a.shape[-1]
    if size == 0 or matrices.size == 0:
        return a.copy()
    norms = namespace.abs(matrices).sum(-2).max(-1)
    squarings = namespace.maximum(0, namespace.ceil(namespace.log2(namespace.maximum(norms, 1e-300) / _PADE13_NORM_LIMIT)))
    squarings = namespace.where(namespace.isfinite(squarings), squarings, 0).astype(namespace.int64)
    matrices = matrices / (2.0 ** squarings)[..., None, None]
    identity = namespace.eye(size, dtype=namespace.float64)
    b = _PADE13
    square = matrices @ matrices
    fourth = square @ square
    sixth = fourth @ square
    odd = matrices @ (sixth @ (b[13] * sixth + b[11] * fourth + b[9] * square) + b[7] * sixth + b[5] * fourth + b[3] * square + b[1] * identity)
    even = sixth @ (b[12] * sixth + b[10] * fourth + b[8] * square) + b[6] * sixth + b[4] * fourth + b[2] * square + b[0] * identity
    result = namespace.linalg.solve(even - odd, even + odd)
    for step in range(int(squarings.max()) if squarings.size else 0):
        result = namespace.where((squarings > step)[..., None, None], result @ result, result)
    return result.astype(a.dtype)


class MatrixExp(Op):
    save_inputs = (0,)

    def forward(self, a):
        check_matrix(a, "linalg.matrix_exp")
        return matrix_exponential(a)

    def backward(self, grad):
        # The Fréchet derivative in direction G is the top-right block of exp([[A, G], [0, A]]); the
        # gradient is the adjoint, that block for A^T.
        from ..functional import cat

        a = self.inputs[0]
        size = a.shape[-1]
        transposed = a.mT.expand(grad.shape)
        block = cat([cat([transposed, grad], -1), cat([grad * 0, transposed], -1)], -2)
        return MatrixExp.apply(block)[..., :size, size:]


class Pinv(Op):
    """The Moore-Penrose pseudo-inverse (*, n, m) of A (*, m, n) from its SVD (its eigendecomposition
    when ``hermitian``), singular values at most ``max(atol, rtol * largest)`` counted as zero."""

    save_inputs = (0,)
    save_output = True

    def forward(self, a, atol, rtol, hermitian):
        namespace = namespace_of(a)
        if hermitian:
            values, vectors = namespace.linalg.eigh(a)
            magnitudes = namespace.abs(values)
            left, right = vectors, vectors.swapaxes(-1, -2)
        else:
            left, values, right = namespace.linalg.svd(a, full_matrices=False)
            magnitudes = values
        largest = magnitudes.max(-1, keepdims=True) if magnitudes.shape[-1] else magnitudes
        keep = magnitudes > namespace.maximum(atol, rtol * largest)
        inverse_values = namespace.where(keep, 1 / namespace.where(keep, values, 1), 0).astype(a.dtype)
        return (right.swapaxes(-1, -2) * inverse_values[..., None, :]) @ left.swapaxes(-1, -2)

    def backward(self, grad):
        # PyTorch's formula (exact where the rank is locally constant), arranged for the smaller side.
        a, inverse = self.inputs[0], self.output()
        rows, columns = a.shape[-2:]
        inverse_t, grad_t = inverse.mT, grad.mT
        if rows <= columns:
            k = grad_t @ inverse
            k_inverse_t = k @ inverse_t
            return (-(inverse @ k).mT + k_inverse_t - (a @ inverse) @ k_inverse_t
                    + (inverse_t @ inverse) @ (grad_t - k @ a))
        k = inverse @ grad_t
        inverse_t_k = inverse_t @ k
        return (-(k @ inverse).mT + (grad_t - a @ k) @ inverse @ inverse_t + inverse_t_k
                - inverse_t_k @ inverse @ a)
