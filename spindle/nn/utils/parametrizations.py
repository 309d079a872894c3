"""``nn.utils.parametrizations``: ``orthogonal``, ``weight_norm`` and ``spectral_norm`` as
parametrizations (see ``parametrize``), with PyTorch's state-dict layout
(``parametrizations.weight.original``, ``original0``/``original1``, ``0._u``/``0._v``, ``0.base``)."""
from enum import Enum, auto

import spindle
import spindle.nn.functional as F
from spindle.nn.modules.module import Module
from spindle.nn.utils import parametrize
from spindle.nn.utils.spectral_norm import transposed_convolution_dim
from spindle.nn.utils.weight_norm import norm_except_dim, weight_norm_of

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _householder_product(reflectors, tau):
    """The first ``k`` columns of ``H_1 ... H_k`` with ``H_i = I - tau_i v_i v_i^T``, ``v_i`` the
    ``i``-th column of ``reflectors`` (``(..., n, k)``) below the diagonal with a 1 on it
    (LAPACK's ``orgqr``), built from Tensor ops so that it is differentiable."""
    rows, columns = reflectors.shape[-2], reflectors.shape[-1]
    identity = spindle.eye(rows, columns, dtype=reflectors.dtype, device=reflectors.device)
    vectors = reflectors.tril(-1) + identity
    product = identity.expand(*reflectors.shape)
    for index in range(columns - 1, -1, -1):
        vector = vectors[..., :, index:index + 1]
        product = product - tau[..., index, None, None] * (vector @ (vector.mT @ product))
    return product


def _householder_qr(matrix):
    """LAPACK's ``geqrf`` of ``(..., n, k)`` (``n >= k``): R on and above the diagonal, the
    Householder vectors below it, and their scales ``tau`` (``(..., k)``). Not differentiable."""
    with spindle.no_grad():
        packed = matrix.clone()
        taus = []
        for index in range(matrix.shape[-1]):
            column = packed[..., index:, index]
            head = column[..., 0]
            tail_norm = column[..., 1:].norm(dim=-1)
            beta = -spindle.where(head >= 0, 1.0, -1.0).to(matrix.dtype) * column.norm(dim=-1)
            reflects = tail_norm > 0  # a column already zero below the diagonal needs no reflection
            safe_beta = spindle.where(reflects, beta, spindle.ones_like(beta))
            tau = spindle.where(reflects, (safe_beta - head) / safe_beta, spindle.zeros_like(beta))
            scale = spindle.where(reflects, 1.0 / (head - safe_beta + (~reflects).to(matrix.dtype)), spindle.zeros_like(beta))
            vector = spindle.cat([spindle.ones_like(head)[..., None], column[..., 1:] * scale[..., None]], dim=-1)
            trailing = packed[..., index:, index:]
            trailing = trailing - tau[..., None, None] * (vector[..., :, None] @ (vector[..., None, :] @ trailing))
            trailing[..., 1:, 0] = vector[..., 1:]
            trailing[..., 0, 0] = spindle.where(reflects, beta, head)
            packed[..., index:, index:] = trailing
            taus.append(tau)
        return packed, spindle.stack(taus, dim=-1)


def _is_orthogonal(matrix):
    columns = matrix.size(-1)
    identity = spindle.eye(columns, dtype=matrix.dtype, device=matrix.device)
    tolerance = 10.0 * matrix.size(-2) * spindle.finfo(matrix.dtype).eps
    return spindle.allclose(matrix.mT @ matrix, identity, atol=tolerance)


def _make_orthogonal(matrix):
    """The Q of ``matrix``'s QR decomposition with R's diagonal made positive (unique for full rank)."""
    q, r = spindle.linalg.qr(matrix)
    return q * r.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """Maps an unconstrained matrix to one with orthonormal columns (rows, if wide)."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        rows, columns = X.size(-2), X.size(-1)
        transposed = rows < columns
        if transposed:
            X = X.mT
            rows, columns = columns, rows
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if rows != columns:
                X = spindle.cat([X, X.new_zeros(rows, rows - columns).expand(*X.shape[:-2], -1, -1)], dim=-1)
            skew = X - X.mT
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = spindle.matrix_exp(skew)
            else:
                identity = spindle.eye(rows, dtype=skew.dtype, device=skew.device)
                Q = spindle.linalg.solve(identity - 0.5 * skew, identity + 0.5 * skew)
            if rows != columns:
                Q = Q[..., :columns]
        else:
            reflectors = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (reflectors * reflectors).sum(dim=-2))
            Q = _householder_product(reflectors, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q):
        with spindle.no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of shape {Q.shape}.")
            initial = Q
            rows, columns = Q.size(-2), Q.size(-1)
            transposed = rows < columns
            if transposed:
                Q = Q.mT
                rows, columns = columns, rows
            if not hasattr(self, "base"):
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential or the Cayley parametrizations when "
                        "use_trivialization=False."
                    )
                packed, tau = _householder_qr(Q)
                # forward multiplies column i by the sign kept on the diagonal (negated where no reflection).
                signs = packed.diagonal(dim1=-2, dim2=-1).sign()
                signs = spindle.where(tau == 0.0, -signs, signs)
                packed = packed.tril(-1) + packed.triu(1) + spindle.eye(rows, columns, dtype=packed.dtype) * signs.unsqueeze(-2)
                return packed.mT if transposed else packed
            if rows == columns:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                # Complete the columns to a random orthonormal basis of the whole space.
                completion = spindle.randn(*(Q.size()[:-2] + (rows, rows - columns)), dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(spindle.cat([Q, completion], dim=-1))
            self.base = Q
            identity = spindle.eye(initial.size(-2), initial.size(-1), dtype=initial.dtype, device=initial.device)
            return (-identity).expand(*initial.shape).clone()


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Constrain ``module.<name>`` (a matrix or batch of matrices ``(..., n, k)``) to have orthonormal
    columns (rows if ``n < k``), through ``orthogonal_map`` "matrix_exp" (default for square),
    "cayley" or "householder" (default otherwise). With ``use_trivialization`` the map is applied
    around a base point (the buffer ``base``), which is what makes assigning to the weight possible.
    Returns ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, spindle.Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.size(-2) == weight.size(-1) else "householder"
    map_kind = getattr(_OrthMaps, orthogonal_map, None)
    if map_kind is None:
        raise ValueError(
            f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: {orthogonal_map}'
        )
    parametrize.register_parametrization(
        module, name, _Orthogonal(weight, map_kind, use_trivialization=use_trivialization), unsafe=True
    )
    return module


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_norm_of(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` with ``original0`` the magnitude ``g``
    (norm over every dimension but ``dim``; all of them when None) and ``original1`` the direction
    ``v`` (the weight's shape). Returns ``module``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(
                f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_matrix = self._reshape_weight_to_matrix(weight)
            height, width = weight_matrix.shape
            self.register_buffer("_u", F.normalize(weight_matrix.new_empty(height).normal_(0, 1), dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(weight_matrix.new_empty(width).normal_(0, 1), dim=0, eps=self.eps))
            self._power_method(weight_matrix, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(axis for axis in range(weight.dim()) if axis != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_matrix, n_power_iterations):
        # The buffers are refined in place, so the estimate improves across forwards.
        with spindle.no_grad():
            for _ in range(n_power_iterations):
                F.normalize(spindle.mv(weight_matrix, self._v), dim=0, eps=self.eps, out=self._u)
                F.normalize(spindle.mv(weight_matrix.mT, self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_matrix = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_matrix, self.n_power_iterations)
        sigma = spindle.dot(self._u.clone(), spindle.mv(weight_matrix, self._v.clone()))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Reparametrize ``module.<name>`` as itself divided by its spectral norm, estimated by power
    iteration on the buffers ``_u``/``_v`` of the parametrization (refined at each access in training
    mode, frozen in eval mode). Returns ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, spindle.Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, transposed_convolution_dim(module, dim), eps)
    )
    return module
