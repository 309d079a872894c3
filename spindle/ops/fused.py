"""Fused ops: one graph node for a composite that would otherwise record many (cross-entropy, layer
normalization, batch normalization, GELU).

A composite of elementwise ops allocates a full-size array per op and records a node per op, whose
backward allocates more; on large activations that memory traffic, not arithmetic, sets the speed.
A fused op computes its forward in a few passes over raw arrays, in place where the array is its own,
keeps what its backward needs, and computes its first backward by hand the same way.

That hand-written backward is not recorded on the graph. Where a gradient must itself be
differentiable (``create_graph=True``), backward instead differentiates the op's ``composite``: the same
function written with Tensor operations, so higher-order gradients stay exact.
"""
import math

import numpy as np

from ..autograd.graph import run_backward
from ..backend import cpu_batch_norm
from ..backend.device import namespace_of
from . import op as op_module
from .elementwise import _float_array, error_function
from .indexing import _check_bounds
from .op import Op


class FusedOp(Op):
    """Base of the fused ops: ``composite(*inputs)`` defines the op with Tensor operations;
    ``fast_backward(grad)`` returns the gradients from raw arrays kept by ``forward``, which
    ``release_extra`` frees with the graph. ``save_inputs`` must list every Tensor argument."""

    kept = ()  # names of the attributes holding what fast_backward reads

    def composite(self, *inputs):
        raise NotImplementedError

    def fast_backward(self, grad):
        raise NotImplementedError

    def backward(self, grad):
        if not op_module.state.enabled:
            return self.fast_backward(grad)
        inputs = list(self.inputs)
        wanted = [position for position in self.tensor_positions if self.needs_grad(position)]
        # Each wanted input enters the composite through a fresh view node where its gradient is
        # captured: the engine then stops there, and a path from one input to another (a weight that
        # also made the input) adds nothing that is not this op's own gradient. retain_graph: the
        # inputs' own nodes belong to the outer graph and must not be freed here.
        for position in wanted:
            inputs[position] = inputs[position].view(inputs[position].shape)
        grads = run_backward([self.composite(*inputs)], [grad], True, True,
                             inputs=[inputs[position] for position in wanted], accumulate=False)
        result = [None] * len(inputs)
        for position, gradient in zip(wanted, grads):
            result[position] = gradient
        return tuple(result)

    def release_extra(self):
        for name in self.kept:
            setattr(self, name, None)


def _wrap(array):
    return op_module.Tensor._wrap(array)


# Elements per block of the blocked loops below: the temporaries of a block stay in the L2 cache,
# where passes over whole arrays would stream every intermediate result through memory. A GPU runs
# best with one launch per operation, i.e. one block.
_BLOCK_ELEMENTS = 1 << 16


def _row_blocks(array, row_size):
    """Slices of consecutive rows (``row_size`` elements each) that cover ``array``'s first axis."""
    rows = array.shape[0]
    if namespace_of(array) is not np:
        return [slice(0, rows)]
    step = max(1, _BLOCK_ELEMENTS // max(row_size, 1))
    return [slice(start, min(start + step, rows)) for start in range(0, rows, step)]


class CrossEntropy(FusedOp):
    """Per-sample cross-entropy ``-weight[t] * log_softmax(input)[n, t]`` of logits ``input`` (N, C)
    and class indices ``target`` (N,); 0 where ``target == ignore_index``. ``weight`` (C,) or None.

    Backward is ``(softmax(input) - one_hot(target)) * weight[t] * grad``: one array, where
    log_softmax followed by gather would allocate and traverse (N, C) arrays five times.
    """

    save_inputs = (0, 1, 2)
    kept = ("exponentials", "sums", "safe_target", "sample_weights")

    def forward(self, input, target, weight, ignore_index):
        input = _float_array(input)
        xp = namespace_of(input)
        self.ignore_index = ignore_index
        kept = target != ignore_index
        safe_target = xp.where(kept, target, 0)
        _check_bounds(safe_target, input.shape[1], 1)
        sample_weights = kept.astype(input.dtype)
        if weight is not None:
            sample_weights *= weight[safe_target]
        count, classes = input.shape
        exponentials = xp.empty(input.shape, input.dtype)
        maximum = xp.empty((count, 1), input.dtype)
        sums = xp.empty((count, 1), input.dtype)
        for rows in _row_blocks(input, classes):
            block = exponentials[rows]
            xp.max(input[rows], axis=1, keepdims=True, out=maximum[rows])
            xp.subtract(input[rows], maximum[rows], out=block)
            xp.exp(block, out=block)
            xp.sum(block, axis=1, keepdims=True, out=sums[rows])
        self.exponentials, self.sums = exponentials, sums
        self.safe_target, self.sample_weights = safe_target, sample_weights
        loss = xp.log(sums[:, 0])
        loss += maximum[:, 0]
        loss -= input[xp.arange(count), safe_target]
        loss *= sample_weights
        return loss

    def fast_backward(self, grad):
        xp = namespace_of(self.exponentials)
        scale = grad._data * self.sample_weights
        grad_input = self.exponentials * (scale / self.sums[:, 0])[:, None]
        grad_input[xp.arange(grad_input.shape[0]), self.safe_target] -= scale
        return _wrap(grad_input), None, None

    def composite(self, input, target, weight, ignore_index):
        safe_target = _wrap(self.safe_target)
        picked = input.log_softmax(1).gather(1, safe_target.unsqueeze(1)).squeeze(1)
        sample_weights = (target != ignore_index).to(input.dtype)
        if weight is not None:
            sample_weights = sample_weights * weight[safe_target]
        return -picked * sample_weights


class LayerNorm(FusedOp):
    """``(x - mean) / sqrt(var + eps) * weight + bias`` over the last ``normalized_dims`` dims of
    ``input`` (biased variance); ``weight`` and ``bias`` have those dims' shape or are None."""

    save_inputs = (0, 2, 3)
    kept = ("normalized", "inverse_std")

    def forward(self, input, normalized_dims, weight, bias, eps):
        input = _float_array(input)
        xp = namespace_of(input)
        self.normalized_dims, self.eps = normalized_dims, eps
        size = math.prod(input.shape[input.ndim - normalized_dims:])
        rows = input.reshape(-1, size)
        normalized = xp.empty(rows.shape, input.dtype)
        inverse_std = xp.empty((rows.shape[0], 1), input.dtype)
        output = xp.empty(rows.shape, input.dtype)  # never shares memory with ``normalized``
        for part in _row_blocks(rows, size):
            block, result, scale = normalized[part], output[part], inverse_std[part]
            xp.subtract(rows[part], rows[part].mean(axis=1, keepdims=True), out=block)
            xp.multiply(block, block, out=result)
            xp.mean(result, axis=1, keepdims=True, out=scale)
            scale += eps
            xp.sqrt(scale, out=scale)
            xp.reciprocal(scale, out=scale)
            block *= scale
            if weight is not None:
                xp.multiply(block, weight.reshape(size), out=result)
            else:
                result[...] = block
            if bias is not None:
                result += bias.reshape(size)
        self.normalized, self.inverse_std = normalized, inverse_std
        return output.reshape(input.shape)

    def fast_backward(self, grad):
        xp = namespace_of(self.normalized)
        weight, bias = self.inputs[2], self.inputs[3]
        normalized = self.normalized
        size = normalized.shape[1]
        grad_rows = grad._data.reshape(normalized.shape)
        grad_weight = xp.zeros(size, normalized.dtype) if self.needs_grad(2) else None
        grad_bias = xp.zeros(size, normalized.dtype) if self.needs_grad(3) else None
        grad_input = xp.empty(normalized.shape, normalized.dtype) if self.needs_grad(0) else None
        for part in _row_blocks(normalized, size):
            block, values = grad_rows[part], normalized[part]
            product = block * values
            if grad_weight is not None:
                grad_weight += product.sum(axis=0)
            if grad_bias is not None:
                grad_bias += block.sum(axis=0)
            if grad_input is None:
                continue
            # d input = inverse_std * (g - mean(g) - normalized * mean(g * normalized)), g = grad * weight
            scaled = grad_input[part]
            if weight is not None:
                xp.multiply(block, weight._data.reshape(size), out=scaled)
                xp.multiply(scaled, values, out=product)
            else:
                scaled[...] = block
            mean_product = product.mean(axis=1, keepdims=True)
            scaled -= scaled.mean(axis=1, keepdims=True)
            xp.multiply(values, mean_product, out=product)
            scaled -= product
            scaled *= self.inverse_std[part]
        return (
            None if grad_input is None else _wrap(grad_input.reshape(grad._data.shape)), None,
            None if grad_weight is None else _wrap(grad_weight.reshape(weight.shape)),
            None if grad_bias is None else _wrap(grad_bias.reshape(bias.shape)), None,
        )

    def composite(self, input, normalized_dims, weight, bias, eps):
        dims = tuple(range(input.dim() - normalized_dims, input.dim()))
        centered = input - input.mean(dims, keepdim=True)
        output = centered * ((centered * centered).mean(dims, keepdim=True) + eps).rsqrt()
        if weight is not None:
            output = output * weight
        if bias is not None:
            output = output + bias
        return output


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_TANH_CUBIC = 0.044715
_INVERSE_SQRT_2 = 1.0 / math.sqrt(2.0)
_INVERSE_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class Gelu(FusedOp):
    """``x * Phi(x)``, Phi the standard normal CDF, exact (``approximate='none'``, with erf) or
    GPT-2's ``0.5 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`` (``approximate='tanh'``)."""

    save_inputs = (0,)
    kept = ("cdf",)

    def forward(self, x, approximate):
        x = _float_array(x)
        xp = namespace_of(x)
        self.approximate = approximate
        values = x.reshape(-1)
        cdf = xp.empty(values.shape, x.dtype)
        output = xp.empty(values.shape, x.dtype)
        for part in _row_blocks(values, 1):
            block, value = cdf[part], values[part]
            if approximate == "tanh":
                xp.multiply(value, value, out=block)
                block *= _TANH_CUBIC
                block += 1.0
                block *= value
                block *= _SQRT_2_OVER_PI
                xp.tanh(block, out=block)
            else:
                block[...] = error_function(value * _INVERSE_SQRT_2)
            block += 1.0
            block *= 0.5
            xp.multiply(value, block, out=output[part])
        self.cdf = cdf
        return output.reshape(x.shape)

    def fast_backward(self, grad):
        xp = namespace_of(self.cdf)
        shape = self.inputs[0].shape
        values, cdf, grads = self.inputs[0]._data.reshape(-1), self.cdf, grad._data.reshape(-1)
        grad_input = xp.empty(cdf.shape, cdf.dtype)
        for part in _row_blocks(cdf, 1):
            slope, value = grad_input[part], values[part]
            xp.multiply(value, value, out=slope)
            if self.approximate == "tanh":
                # d/dx = cdf + x * d cdf/dx, with d cdf/dx = 0.5 (1 - tanh^2) sqrt(2/pi) (1 + 3 c x^2)
                # and 0.5 (1 - tanh^2) = 2 cdf (1 - cdf).
                slope *= 3 * _TANH_CUBIC
                slope += 1.0
                slope *= 2 * _SQRT_2_OVER_PI
                slope *= cdf[part]
                slope *= 1.0 - cdf[part]
            else:
                # d cdf/dx is the normal density exp(-x^2 / 2) / sqrt(2 pi).
                slope *= -0.5
                xp.exp(slope, out=slope)
                slope *= _INVERSE_SQRT_2PI
            slope *= value
            slope += cdf[part]
            slope *= grads[part]
        return _wrap(grad_input.reshape(shape))

    def composite(self, x, approximate):
        if approximate == "tanh":
            return 0.5 * x * (1.0 + (_SQRT_2_OVER_PI * (x + _TANH_CUBIC * x * x * x)).tanh())
        return 0.5 * x * (1.0 + (x * _INVERSE_SQRT_2).erf())


class MaskedSoftmax(FusedOp):
    """Softmax over the last dim of ``input`` where the boolean ``forbidden`` is False (the two
    broadcast together); forbidden places get 0, and a row with no place allowed gets zeros (and no
    gradient) where ``masked_fill(forbidden, -inf).softmax(-1)`` would give NaN. Attention's masked
    softmax."""

    save_inputs = (0, 1)
    save_output = True  # backward reads the probabilities, checked for in-place changes

    def forward(self, input, forbidden):
        xp = namespace_of(input)
        shape = xp.broadcast_shapes(input.shape, forbidden.shape)
        size = shape[-1]
        rows = xp.broadcast_to(input, shape).reshape(-1, size)
        forbidden_rows = xp.broadcast_to(forbidden, shape).reshape(-1, size)
        probabilities = xp.empty(rows.shape, input.dtype)
        for part in _row_blocks(rows, size):
            block = probabilities[part]
            xp.copyto(block, rows[part])
            xp.copyto(block, -xp.inf, where=forbidden_rows[part])
            maximum = block.max(axis=1, keepdims=True)
            nothing_allowed = maximum == -xp.inf
            xp.copyto(maximum, 0, where=nothing_allowed)  # exp(-inf - 0) = 0 in those rows
            block -= maximum
            xp.exp(block, out=block)
            sums = block.sum(axis=1, keepdims=True)
            xp.copyto(sums, 1, where=nothing_allowed)
            block /= sums
        return probabilities.reshape(shape)

    def fast_backward(self, grad):
        output = self.output()._data
        xp = namespace_of(output)
        probabilities = output.reshape(-1, output.shape[-1])
        grads = grad._data.reshape(probabilities.shape)
        grad_input = xp.empty(probabilities.shape, probabilities.dtype)
        for part in _row_blocks(probabilities, probabilities.shape[1]):
            block = grad_input[part]
            xp.multiply(grads[part], probabilities[part], out=block)
            total = block.sum(axis=1, keepdims=True)
            xp.subtract(grads[part], total, out=block)
            block *= probabilities[part]
        return _wrap(grad_input.reshape(grad._data.shape)), None

    def composite(self, input, forbidden):
        masked = input.masked_fill(forbidden, float("-inf"))
        nothing_allowed = masked.amax(-1, keepdim=True) == float("-inf")
        return masked.masked_fill(nothing_allowed, 0.0).softmax(-1).masked_fill(nothing_allowed, 0.0)


class BatchNorm(FusedOp):
    """Batch normalization of ``input`` (N, C, *) per channel: ``(x - mean) / sqrt(var + eps) * weight
    + bias``, ``weight``/``bias`` (C,) or None. In training the batch's mean and biased variance
    normalize, and ``running_mean``/``running_var`` (C,), where given, are updated in place with
    ``momentum`` (the variance unbiased); otherwise the running statistics normalize.

    Backward is ``scale * (g - mean(g) - normalized * mean(g * normalized))`` per channel, with the
    two channel sums as its only reductions. In training on float32 CPU arrays the C kernels of
    ``backend.cpu_batch_norm`` compute both ways, forward keeping only the batch mean and
    ``inverse_std`` (C,) and backward recomputing the normalized input; the NumPy path (evaluation,
    other dtypes and layouts, the GPU) keeps the normalized input instead.
    """

    kept = ("normalized", "mean", "inverse_std")

    def forward(self, input, weight, bias, running_mean, running_var, training, momentum, eps):
        input = _float_array(input)
        xp = namespace_of(input)
        self.training = training
        # Evaluation reads the running statistics in backward (and its composite): save them too.
        self.save_inputs = (0, 1, 2) if training else (0, 1, 2, 3, 4)
        values = input.reshape(input.shape[0], input.shape[1], math.prod(input.shape[2:]))
        count = values.shape[0] * values.shape[2]
        self.normalized = self.mean = None  # mean: set where backward takes the C kernels
        if training and count == 0:
            # An empty batch (as PyTorch): an empty output, zero weight and bias gradients, and the
            # running statistics left as they are.
            self.normalized = values
            self.inverse_std = xp.zeros(values.shape[1], dtype=values.dtype)
            return xp.empty(input.shape, dtype=values.dtype)
        if training:
            if cpu_batch_norm.applies(input, weight, bias):
                output, mean, variance, inverse_std = cpu_batch_norm.forward(input, weight, bias, eps)
                self.mean = mean
            else:
                mean = values.mean(axis=(0, 2))
                normalized = values - mean[:, None]
                variance = xp.einsum("ncp,ncp->c", normalized, normalized) / count
                inverse_std = 1.0 / xp.sqrt(variance + eps)
                normalized *= inverse_std[:, None]
                self.normalized = normalized
                output = normalized * weight[:, None] if weight is not None else normalized.copy()
                if bias is not None:
                    output += bias[:, None]
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += (momentum * mean).astype(running_mean.dtype, copy=False)
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += (momentum * count / (count - 1) * variance).astype(running_var.dtype, copy=False)
        else:
            mean = running_mean.astype(values.dtype, copy=False)
            inverse_std = (1.0 / xp.sqrt(running_var + eps)).astype(values.dtype, copy=False)
            scale = inverse_std if weight is None else inverse_std * weight
            shift = -mean * scale if bias is None else bias - mean * scale
            output = values * scale[:, None]
            output += shift[:, None]
        self.inverse_std = inverse_std
        return output.reshape(input.shape)

    def fast_backward(self, grad):
        input, weight = self.inputs[0]._data, self.inputs[1]
        weight = None if weight is None else weight._data
        if self.mean is not None:
            grad_values, sum_grad_normalized, sum_grad = cpu_batch_norm.backward(
                grad._data, input, weight, self.mean, self.inverse_std, self.needs_grad(0))
        else:
            grad_values, sum_grad_normalized, sum_grad = self._array_backward(grad._data, input, weight)
        grad_input = None if grad_values is None else _wrap(grad_values)
        grad_weight = _wrap(sum_grad_normalized) if self.needs_grad(1) else None
        grad_bias = _wrap(sum_grad) if self.needs_grad(2) else None
        return grad_input, grad_weight, grad_bias, None, None

    def _array_backward(self, grad, input, weight):
        """The NumPy/CuPy backward for ``grad`` (N, C, *): the input gradient (None unless wanted),
        ``sum(grad * normalized)`` and ``sum(grad)`` (C,)."""
        xp = namespace_of(grad)
        g = grad.reshape(input.shape[0], input.shape[1], math.prod(input.shape[2:]))
        count = max(1, g.shape[0] * g.shape[2])  # an empty batch divides nothing
        inverse_std = self.inverse_std
        scale = inverse_std if weight is None else inverse_std * weight
        sum_grad = g.sum(axis=(0, 2))
        if self.training:
            normalized = self.normalized
            sum_grad_normalized = xp.einsum("ncp,ncp->c", g, normalized)
        else:
            # sum(g * (x - mean)) * inverse_std, without a full-size (x - mean).
            values = input.reshape(g.shape)
            mean = self.inputs[3]._data.astype(g.dtype, copy=False)
            sum_grad_normalized = (xp.einsum("ncp,ncp->c", g, values) - mean * sum_grad) * inverse_std
        grad_values = None
        if self.needs_grad(0):
            if self.training:
                grad_values = xp.multiply(normalized, (-scale * sum_grad_normalized / count)[:, None])
                grad_values += g * scale[:, None]
                grad_values -= (scale * sum_grad / count)[:, None]
            else:
                grad_values = g * scale[:, None]
            grad_values = grad_values.reshape(input.shape)
        return grad_values, sum_grad_normalized, sum_grad

    def composite(self, input, weight, bias, running_mean, running_var, training, momentum, eps):
        shape = (1, input.shape[1]) + (1,) * (input.dim() - 2)
        if training:
            dims = (0,) + tuple(range(2, input.dim()))
            centered = input - input.mean(dims, keepdim=True)
            output = centered * ((centered * centered).mean(dims, keepdim=True) + eps).rsqrt()
        else:
            mean = running_mean.to(input.dtype).reshape(shape)
            output = (input - mean) * (running_var.to(input.dtype).reshape(shape) + eps).rsqrt()
        if weight is not None:
            output = output * weight.reshape(shape)
        if bias is not None:
            output = output + bias.reshape(shape)
        return output
