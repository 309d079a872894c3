"""Reductions over dimensions: sum, mean, prod, max/min, softmax and friends, norms, cumulative sums."""
import collections

import numpy as np

from .. import _dtype
from ..backend.device import namespace_of
from . import op as op_module
from .op import NonDifferentiableOp, Op, ensure_array


def normalize_dim(dim, ndim):
    """A dim in ``[-ndim, ndim)`` as a non-negative int, else PyTorch's IndexError."""
    rank = max(ndim, 1)  # 0-d tensors accept dim 0 and -1, as in PyTorch
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if dim < -rank or dim >= rank:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got {dim})")
    return int(dim) % rank


def normalize_dims(dim, ndim):
    """``dim`` (None, an int, or a sequence of ints) as a sorted tuple of axes; None means all."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        axes = tuple(normalize_dim(d, ndim) for d in dim)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"dim {list(dim)} appears multiple times in the list of dims")
        if not axes:
            return tuple(range(ndim))
        return tuple(sorted(axes)) if ndim else ()
    return (normalize_dim(dim, ndim),) if ndim else ()


def expand_reduced(grad, input_shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes of ``input_shape``."""
    if not keepdim and axes:
        kept_shape = list(input_shape)
        for axis in axes:
            kept_shape[axis] = 1
        grad = grad.reshape(kept_shape)
    return grad.expand(input_shape)


class Sum(Op):
    def forward(self, x, dim=None, keepdim=False, dtype=None):
        self.input_shape = x.shape
        self.axes = normalize_dims(dim, x.ndim)
        self.keepdim = keepdim
        if dtype is not None:
            x = x.astype(dtype.numpy_dtype)
        elif x.dtype.kind in "bui":
            x = x.astype(np.int64)  # PyTorch sums integers and bools in int64
        return ensure_array(np.sum(x, axis=self.axes, keepdims=keepdim))

    def backward(self, grad):
        return expand_reduced(grad, self.input_shape, self.axes, self.keepdim)


def _require_float(x, name):
    if x.dtype.kind in "bui":
        raise RuntimeError(
            f"{name}(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {_dtype.from_numpy_dtype(x.dtype).name}"
        )


class Mean(Op):
    def forward(self, x, dim=None, keepdim=False, dtype=None):
        if dtype is not None:
            x = x.astype(dtype.numpy_dtype)
        _require_float(x, "mean")
        self.input_shape = x.shape
        self.axes = normalize_dims(dim, x.ndim)
        self.keepdim = keepdim
        self.count = int(np.prod([x.shape[axis] for axis in self.axes])) if self.axes else 1
        with np.errstate(invalid="ignore", divide="ignore"):
            return ensure_array(np.mean(x, axis=self.axes, keepdims=keepdim))

    def backward(self, grad):
        return expand_reduced(grad / self.count, self.input_shape, self.axes, self.keepdim)


class Prod(Op):
    save_inputs = (0,)
    save_output = True

    def forward(self, x, dim=None, keepdim=False, dtype=None):
        if dtype is not None:
            x = x.astype(dtype.numpy_dtype)
        elif x.dtype.kind in "bui":
            x = x.astype(np.int64)
        self.axis = None if dim is None else normalize_dim(dim, x.ndim)
        self.keepdim = keepdim
        return ensure_array(np.prod(x, axis=self.axis, keepdims=keepdim))

    def backward(self, grad):
        x = self.inputs[0]
        output = self.output()
        if self.axis is None:
            grad = grad.reshape(()).expand(x.shape)
            output = output.reshape(()).expand(x.shape)
        elif not self.keepdim:
            grad = grad.unsqueeze(self.axis).expand(x.shape)
            output = output.unsqueeze(self.axis).expand(x.shape)
        if not bool((x == 0).any()):
            return grad * output / x
        # With zeros, output / x is undefined: use the product of all other elements directly.
        return grad * op_module.Tensor._wrap(_product_of_others(x._data, self.axis))


def _product_of_others(x, axis):
    """For each element, the product of the other elements along ``axis`` (all elements if None)."""
    shape = x.shape
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    moved = np.moveaxis(x, axis, -1)
    ones = np.ones(moved.shape[:-1] + (1,), dtype=x.dtype)
    before = np.cumprod(np.concatenate([ones, moved[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, moved[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.moveaxis(before * after, -1, axis).reshape(shape)


class ExtremumAll(Op):
    """``amax``/``amin`` (and ``max()``/``min()`` without dim): ties share the gradient evenly."""

    save_inputs = (0,)
    save_output = True

    def forward(self, x, dim=None, keepdim=False):
        if x.size == 0:
            raise RuntimeError(
                f"{self.name_text}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        self.axes = normalize_dims(dim, x.ndim)
        self.keepdim = keepdim
        return ensure_array(self.function(x, axis=self.axes, keepdims=keepdim))

    def backward(self, grad):
        x = self.inputs[0]
        output = expand_reduced(self.output(), x.shape, self.axes, self.keepdim)
        mask = (x == output).to(grad.dtype)
        count = mask.sum(self.axes, keepdim=True)
        return expand_reduced(grad, x.shape, self.axes, self.keepdim) * mask / count


class Amax(ExtremumAll):
    function = staticmethod(np.max)
    name_text = "max"


class Amin(ExtremumAll):
    function = staticmethod(np.min)
    name_text = "min"


MinMaxResult = collections.namedtuple("MinMaxResult", ["values", "indices"])


def arg_extremum(arg_function, x, axis):
    """``argmax``/``argmin`` along ``axis`` as int64, where a NaN wins (the first one), as in PyTorch:
    NumPy's arg functions skip NaN ordering, PyTorch propagates NaN."""
    indices = arg_function(x, axis=axis)
    if x.dtype.kind == "f":
        nan_mask = np.isnan(x)
        if nan_mask.any():
            indices = np.where(nan_mask.any(axis=axis), np.argmax(nan_mask, axis=axis), indices)
    return np.asarray(indices, dtype=np.int64)


class ExtremumAlongDim(Op):
    """``max(dim)``/``min(dim)``: values whose gradient goes to the chosen index (indices via ``.indices``)."""

    def forward(self, x, dim, keepdim=False):
        if x.ndim == 0:
            self.axis = 0
            self.indices = np.zeros((), dtype=np.int64)
            self.keepdim = keepdim
            self.input_shape = x.shape
            return x.copy()
        axis = normalize_dim(dim, x.ndim)
        if x.shape[axis] == 0:
            raise IndexError(f"{self.name_text}(): Expected reduction dim {dim} to have non-zero size.")
        indices = np.expand_dims(arg_extremum(self.arg_function, x, axis), axis)
        values = np.take_along_axis(x, indices, axis)
        self.axis = axis
        self.keepdim = keepdim
        self.input_shape = x.shape
        self.indices = indices if keepdim else np.squeeze(indices, axis)
        return values if keepdim else np.squeeze(values, axis)

    def backward(self, grad):
        Tensor = op_module.Tensor
        if not self.input_shape:
            return grad
        indices = Tensor._wrap(self.indices)
        if not self.keepdim:
            grad = grad.unsqueeze(self.axis)
            indices = indices.unsqueeze(self.axis)
        zeros = Tensor._wrap(np.zeros(self.input_shape, dtype=grad._data.dtype))
        return zeros.scatter_add(self.axis, indices, grad)

    @classmethod
    def values_and_indices(cls, x, dim, keepdim):
        node_holder = []
        values = cls.apply_keeping_node(x, dim, keepdim, node_holder)
        return MinMaxResult(values, op_module.Tensor._wrap(node_holder[0].indices))

    @classmethod
    def apply_keeping_node(cls, x, dim, keepdim, node_holder):
        node = cls.__new__(cls)
        output = node.forward(x._data, dim, keepdim)
        node_holder.append(node)
        if op_module.state.enabled and x._requires_grad:
            return node.connect(output, (x, dim, keepdim))
        return op_module.Tensor._wrap(output)


class MaxAlongDim(ExtremumAlongDim):
    arg_function = staticmethod(np.argmax)
    name_text = "max"


class MinAlongDim(ExtremumAlongDim):
    arg_function = staticmethod(np.argmin)
    name_text = "min"


class ArgExtremum(NonDifferentiableOp):
    def forward(self, x, dim=None, keepdim=False):
        if x.size == 0:
            raise RuntimeError(f"{self.name_text}(): Expected reduction dim to be specified for input.numel() == 0.")
        if dim is None:
            result = arg_extremum(self.function, x.reshape(-1), 0)
            return result.reshape((1,) * x.ndim) if keepdim else result
        axis = normalize_dim(dim, x.ndim)
        if x.ndim == 0:
            return np.zeros((), dtype=np.int64)
        result = arg_extremum(self.function, x, axis)
        return np.expand_dims(result, axis) if keepdim else result


class Argmax(ArgExtremum):
    function = staticmethod(np.argmax)
    name_text = "argmax"


class Argmin(ArgExtremum):
    function = staticmethod(np.argmin)
    name_text = "argmin"


class Softmax(Op):
    save_output = True

    def forward(self, x, dim):
        x = x if x.dtype.kind == "f" else x.astype(_dtype.get_default_dtype().numpy_dtype)
        self.axis = normalize_dim(dim, x.ndim)
        if x.ndim == 0:
            return np.ones_like(x)
        exponentials = x - np.max(x, axis=self.axis, keepdims=True)
        np.exp(exponentials, out=exponentials)  # in place: one buffer for the whole forward
        exponentials /= np.sum(exponentials, axis=self.axis, keepdims=True)
        return exponentials

    def backward(self, grad):
        output = self.output()
        return output * (grad - (grad * output).sum(self.axis, keepdim=True))


class LogSoftmax(Op):
    save_output = True

    def forward(self, x, dim):
        x = x if x.dtype.kind == "f" else x.astype(_dtype.get_default_dtype().numpy_dtype)
        self.axis = normalize_dim(dim, x.ndim)
        if x.ndim == 0:
            return np.zeros_like(x)
        shifted = x - np.max(x, axis=self.axis, keepdims=True)
        log_normalizer = np.log(np.sum(np.exp(shifted), axis=self.axis, keepdims=True))
        shifted -= log_normalizer
        return shifted

    def backward(self, grad):
        return grad - self.output().exp() * grad.sum(self.axis, keepdim=True)


class LogSumExp(Op):
    save_inputs = (0,)
    save_output = True

    def forward(self, x, dim, keepdim=False):
        x = x if x.dtype.kind == "f" else x.astype(_dtype.get_default_dtype().numpy_dtype)
        self.axes = normalize_dims(dim, x.ndim)
        self.keepdim = keepdim
        if x.size == 0:
            return ensure_array(np.log(np.sum(np.exp(x), axis=self.axes, keepdims=keepdim)))
        maximum = np.max(x, axis=self.axes, keepdims=True)
        # An all -inf (or inf) slice would give inf - inf = nan: shift by 0 there instead.
        maximum = np.where(np.isfinite(maximum), maximum, 0)
        with np.errstate(divide="ignore"):
            result = np.log(np.sum(np.exp(x - maximum), axis=self.axes, keepdims=True)) + maximum
        return ensure_array(result if keepdim else np.squeeze(result, self.axes))

    def backward(self, grad):
        x = self.inputs[0]
        output = expand_reduced(self.output(), x.shape, self.axes, self.keepdim)
        return expand_reduced(grad, x.shape, self.axes, self.keepdim) * (x - output).exp()


class CumSum(Op):
    def forward(self, x, dim, dtype=None):
        self.axis = normalize_dim(dim, x.ndim)
        if dtype is not None:
            x = x.astype(dtype.numpy_dtype)
        elif x.dtype.kind in "bui":
            x = x.astype(np.int64)
        if x.ndim == 0:
            return x.copy()
        return np.cumsum(x, axis=self.axis)

    def backward(self, grad):
        if grad.ndim == 0:
            return grad
        return grad.flip(self.axis).cumsum(self.axis).flip(self.axis)


class CumProd(Op):
    save_inputs = (0,)
    save_output = True

    def forward(self, x, dim, dtype=None):
        self.axis = normalize_dim(dim, x.ndim)
        if dtype is not None:
            x = x.astype(dtype.numpy_dtype)
        elif x.dtype.kind in "bui":
            x = x.astype(np.int64)
        if x.ndim == 0:
            return x.copy()
        return np.cumprod(x, axis=self.axis)

    def backward(self, grad):
        x = self.inputs[0]
        if grad.ndim == 0:
            return grad
        if bool((x == 0).any()):
            raise RuntimeError("cumprod backward with zeros in the input is not supported")
        # sum_{j >= i} grad_j * out_j / x_i
        weighted = (grad * self.output()).flip(self.axis).cumsum(self.axis).flip(self.axis)
        return weighted / x


class LogCumSumExp(Op):
    """``log(cumsum(exp(x)))`` along ``dim`` without overflow or underflow."""

    save_inputs = (0,)
    save_output = True

    def forward(self, x, dim):
        if x.dtype.kind != "f":
            raise NotImplementedError(
                f'"logcumsumexp_out_cpu" not implemented for \'{legacy_scalar_name(_dtype.from_numpy_dtype(x.dtype))}\''
            )
        self.axis = normalize_dim(dim, x.ndim)
        if x.ndim == 0 or x.size == 0:
            return x.copy()
        xp = namespace_of(x)
        if xp is np:
            return np.logaddexp.accumulate(x, axis=self.axis)  # one pass, stable at every step
        # Array libraries without ufunc.accumulate: shift each slice by its maximum (finite ones only).
        maximum = xp.max(x, axis=self.axis, keepdims=True)
        maximum = xp.where(xp.isfinite(maximum), maximum, 0)
        with np.errstate(divide="ignore"):
            return xp.log(xp.cumsum(xp.exp(x - maximum), axis=self.axis)) + maximum

    def backward(self, grad):
        # PyTorch's stable form: sum_{i >= j} grad_i exp(x_j - out_i), with the positive and negative parts
        # of grad summed separately in log space by reversed logcumsumexp.
        if grad.ndim == 0 or grad.numel() == 0:
            return grad
        x = self.inputs[0]
        output = self.output()
        lowest = float(np.finfo(grad._data.dtype).min)
        log_abs_grad = grad.abs().log()
        positive = self._reversed(log_abs_grad.masked_fill(grad <= 0, lowest) - output)
        negative = self._reversed(log_abs_grad.masked_fill(grad >= 0, lowest) - output)
        return (positive + x).exp() - (negative + x).exp()

    def _reversed(self, tensor):
        return LogCumSumExp.apply(tensor.flip(self.axis), self.axis).flip(self.axis)


class Norm2(Op):
    """The Euclidean norm over ``dim``; its gradient at the zero vector is 0 (a subgradient), as in PyTorch."""

    save_inputs = (0,)
    save_output = True

    def forward(self, x, dim=None, keepdim=False):
        _require_float(x, "linalg.vector_norm")
        self.axes = normalize_dims(dim, x.ndim)
        self.keepdim = keepdim
        if x.dtype.kind == "f" and len(self.axes) == x.ndim:
            # Over all elements: one BLAS dot product, with no full-size temporary (gradient clipping).
            flat = x.reshape(-1)
            total = np.sqrt(np.asarray(np.dot(flat, flat)))
            return total.reshape((1,) * x.ndim) if keepdim else total
        return ensure_array(np.sqrt(np.sum(x * x, axis=self.axes, keepdims=keepdim)))

    def backward(self, grad):
        x = self.inputs[0]
        output = expand_reduced(self.output(), x.shape, self.axes, self.keepdim)
        is_zero = output == 0
        scale = expand_reduced(grad, x.shape, self.axes, self.keepdim) / output.masked_fill(is_zero, 1.0)
        return (x * scale).masked_fill(is_zero, 0.0)


class All(NonDifferentiableOp):
    def forward(self, x, dim=None, keepdim=False):
        return ensure_array(np.all(x, axis=normalize_dims(dim, x.ndim), keepdims=keepdim))


class Any(NonDifferentiableOp):
    def forward(self, x, dim=None, keepdim=False):
        return ensure_array(np.any(x, axis=normalize_dims(dim, x.ndim), keepdims=keepdim))


class CountNonzero(NonDifferentiableOp):
    def forward(self, x, dim=None):
        return ensure_array(np.count_nonzero(x, axis=normalize_dims(dim, x.ndim))).astype(np.int64)


AminmaxResult = collections.namedtuple("AminmaxResult", ["min", "max"])


def aminmax(x, dim=None, keepdim=False):
    """``(min, max)`` over ``dim`` (all elements when None); ties share the gradient, as ``amin``/``amax``."""
    if dim is None and x.numel() == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity.")
    if dim is not None and x.ndim and x.shape[normalize_dim(dim, x.ndim)] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {normalize_dim(dim, x.ndim)} to have non-zero size.")
    if dim is None:
        return AminmaxResult(Amin.apply(x, None, keepdim), Amax.apply(x, None, keepdim))
    return AminmaxResult(Amin.apply(x, dim, keepdim), Amax.apply(x, dim, keepdim))


def cov(x, correction=1, fweights=None, aweights=None):
    """Covariance matrix of the variables in the rows of ``x`` (observations in columns; a 1-D ``x`` is one
    variable), with integer frequency weights and floating observation weights ``(observations,)``:
    ``(variables, variables)``, or 0-d for one variable. PyTorch's formula, by composition."""
    if x.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with {x.ndim} dimensions")
    if not x.is_floating_point():
        x = x.to(_dtype.get_default_dtype())
    observations = x.reshape(1, -1) if x.ndim < 2 else x
    count = observations.shape[1]
    weights = None
    for name, given, integral in (("fweights", fweights, True), ("aweights", aweights, False)):
        if given is None:
            continue
        if given.ndim > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with {given.ndim} dimensions")
        if given.numel() != count:
            raise RuntimeError(
                f"cov(): expected {name} to have the same numel as there are observations in the input but got "
                f"{given.numel()} != {count}"
            )
        if integral and given.is_floating_point():
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with {legacy_scalar_name(given.dtype)} dtype")
        if not integral and not given.is_floating_point():
            raise RuntimeError(
                f"cov(): expected aweights to have floating point dtype but got aweights with {legacy_scalar_name(given.dtype)} dtype"
            )
        if bool((given < 0).any()):
            raise RuntimeError(f"cov(): {name} cannot be negative")
        weights = given if weights is None else weights * given
    weight_sum = weights.sum() if weights is not None else count
    weighted = observations if weights is None else observations * weights
    average = weighted.sum(1) / weight_sum
    if weights is not None and aweights is not None and correction != 0:
        normalizer = weight_sum - correction * (weights * aweights).sum() / weight_sum
    else:
        normalizer = weight_sum - correction
    if float(normalizer) <= 0:
        normalizer = normalizer * 0  # no degrees of freedom left: inf/nan results, as in PyTorch
    centered = observations - average.unsqueeze(1)
    weighted = centered if weights is None else centered * weights
    return (centered.matmul(weighted.t()) / normalizer).squeeze()


def legacy_scalar_name(dtype):
    """PyTorch's name of a dtype in error messages ("Float", "Long")."""
    from ..tensor import _LEGACY_SCALAR_NAMES  # the Tensor layer sits above the ops

    return _LEGACY_SCALAR_NAMES[dtype.name]


def corrcoef(x):
    """Pearson correlation coefficients of the variables in the rows of ``x`` (see ``cov``), clipped to
    [-1, 1]."""
    covariance = cov(x)
    if covariance.ndim == 0:
        return covariance / covariance
    deviations = covariance.diagonal().sqrt()
    covariance = covariance / deviations.reshape(-1, 1)
    covariance = covariance / deviations.reshape(1, -1)
    return covariance.clamp(-1, 1)


def _trapezoid_spacings(y, x, axis):
    """The gaps between sample points along ``axis``, shaped to broadcast against ``y``'s differences:
    a 1-D ``x`` lies along ``axis``, a lower-rank one gets leading dims of size 1 (NumPy's rule)."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[axis]:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[axis] = x.shape[0]
        x = x.reshape(shape)
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    size = x.shape[axis]
    return x.narrow(axis, 1, size - 1) - x.narrow(axis, 0, size - 1)


def _check_trapezoid_input(y, x):
    if y.dtype.name == "bool" or (x is not None and x.dtype.name == "bool"):
        raise RuntimeError("trapezoid: received a bool input for `x` or `y`, but bool is not supported")


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal-rule integral of ``y`` along ``dim``, at sample points ``x`` or spacing ``dx``
    (1 by default): ``y``'s shape without ``dim`` (zeros when ``dim`` is empty)."""
    _check_trapezoid_input(y, x)
    axis = normalize_dim(dim, y.ndim)
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments: both x and dx given")
    size = y.shape[axis]
    if size == 0:
        kept = tuple(y.shape[:axis]) + tuple(y.shape[axis + 1:])
        return op_module.Tensor._wrap(namespace_of(y._data).zeros(kept, dtype=y._data.dtype))
    if x is None:
        spacing = 1 if dx is None else dx
        return (y.sum(axis) - (y.narrow(axis, 0, 1) + y.narrow(axis, size - 1, 1)).squeeze(axis) * 0.5) * spacing
    sums = y.narrow(axis, 0, size - 1) + y.narrow(axis, 1, size - 1)
    return (sums * _trapezoid_spacings(y, x, axis)).sum(axis) / 2.0


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal integral of ``y`` along ``dim`` (one element shorter there)."""
    _check_trapezoid_input(y, x)
    axis = normalize_dim(dim, y.ndim)
    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid() received an invalid combination of arguments: both x and dx given")
    size = y.shape[axis]
    if size == 0:
        return y.clone()
    sums = y.narrow(axis, 0, size - 1) + y.narrow(axis, 1, size - 1)
    if x is None:
        return ((1 if dx is None else dx) / 2.0 * sums).cumsum(axis)
    return (sums * _trapezoid_spacings(y, x, axis)).cumsum(axis) / 2.0
