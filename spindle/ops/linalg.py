"""Matrix products: matmul with 1-D and batch-broadcast semantics, mm, bmm."""
import numpy as np

from .op import Op


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
