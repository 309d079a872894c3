"""Recurrent layers as one graph node per layer and direction: the Elman RNN (tanh or ReLU), the
LSTM (optionally projected) and the GRU over a whole packed sequence (:class:`RecurrentLayer`).

Recorded op by op, a recurrence costs a graph node per elementary operation and time step, and a
fresh array for each. Here the input projection of all time steps is one matrix product before the
loop; each step adds one fused product of the state with all gates' weights and updates the state in
place in buffers allocated once per sequence; backward is hand-written backpropagation through time
with the same buffers, and each weight gradient is one product over all time steps after the loop.

Sequences are packed (time-major, sorted by decreasing length): ``batch_sizes[t]`` rows run at time
t, the leading rows of the batch, and the rows of time t lie at ``offsets[t]`` of the packed arrays.
The state buffers hold all B rows and a row that does not run keeps its value: running forward,
finished rows end holding their final state; running in reverse, rows not yet started hold their
initial state. Backward treats its gradient buffers the same way.
"""
from collections import namedtuple

from ..autograd.function import Function
from ..autograd.grad_mode import state as grad_mode
from ..backend.device import namespace_of
from . import op as op_module
from .linalg import matmul_rows

# Arrays a step reads besides its state: the hidden weights (G, H_out) and a contiguous copy of their
# transpose (a product with a contiguous matrix is faster, and it is reused at every step), the hidden
# bias where the step applies it itself (GRU), the LSTM projection (P, H) and its transpose (None
# without).
_Weights = namedtuple("_Weights", ["hidden", "hidden_t", "hidden_bias", "projection", "projection_t"])


def _sigmoid_in_place(xp, x):
    """sigmoid(x) = (1 + tanh(x / 2)) / 2, in place: stable for any x and one tanh pass, several
    times cheaper than the exp, where and division of the direct form."""
    x *= 0.5
    xp.tanh(x, out=x)
    x *= 0.5
    x += 0.5


class _ElmanCell:
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu. State: (h,)."""

    gates = 1
    state_count = 1
    bias_in_step = False

    def __init__(self, nonlinearity):
        self.nonlinearity = nonlinearity

    def buffers(self, xp, rows, batch, size, dtype):
        return {}

    def forward(self, xp, time_rows, count, input_gates, state, output, saved, weights):
        hidden = state[0][:count]
        new_hidden = output[time_rows]
        xp.matmul(hidden, weights.hidden_t, out=new_hidden)
        new_hidden += input_gates
        if self.nonlinearity == "tanh":
            xp.tanh(new_hidden, out=new_hidden)
        else:
            xp.maximum(new_hidden, 0, out=new_hidden)
        hidden[...] = new_hidden

    def backward(self, xp, time_rows, count, grad_state, output, saved, grads, weights):
        grad_hidden = grad_state[0][:count]
        hidden = output[time_rows]
        grad_pre = grads.input_gates[time_rows]
        if self.nonlinearity == "tanh":
            xp.multiply(hidden, hidden, out=grad_pre)
            xp.subtract(1, grad_pre, out=grad_pre)
            grad_pre *= grad_hidden
        else:
            xp.multiply(grad_hidden, hidden > 0, out=grad_pre)
        xp.matmul(grad_pre, weights.hidden, out=grad_hidden)


class _LSTMCell:
    """Gates i, f, g, o (in this order along the gate axis) from one (B, 4H) pre-activation;
    c' = f c + i g, h' = o tanh(c'), projected by W_hr when ``proj_size > 0``. State: (h, c).

    All four activations come from one tanh pass: with s = 1/2 on the sigmoid gates i, f, o and 1 on
    g, t = tanh(s x) gives act = s t + (1 - s), i.e. sigmoid(x) = (1 + tanh(x/2)) / 2 on i, f, o and
    tanh(x) on g.
    """

    gates = 4
    state_count = 2
    bias_in_step = False

    def buffers(self, xp, rows, batch, size, dtype):
        buffers = {
            "activations": xp.empty((rows, 4 * size), dtype),
            "previous_cell": xp.empty((rows, size), dtype),
            "tanh_cell": xp.empty((rows, size), dtype),
            "scratch": xp.empty((batch, size), dtype),
            "gate_scale": xp.full(4 * size, 0.5, dtype),
        }
        buffers["gate_scale"][2 * size : 3 * size] = 1.0
        buffers["gate_shift"] = 1.0 - buffers["gate_scale"]
        return buffers

    def forward(self, xp, time_rows, count, input_gates, state, output, saved, weights):
        hidden, cell = state[0][:count], state[1][:count]
        size = cell.shape[1]
        gates = saved["activations"][time_rows]
        xp.matmul(hidden, weights.hidden_t, out=gates)
        gates += input_gates
        gates *= saved["gate_scale"]
        xp.tanh(gates, out=gates)
        gates *= saved["gate_scale"]
        gates += saved["gate_shift"]
        input_gate, forget_gate, candidate, output_gate = (gates[:, k * size : (k + 1) * size] for k in range(4))
        saved["previous_cell"][time_rows] = cell
        cell *= forget_gate
        product = saved["scratch"][:count]
        xp.multiply(input_gate, candidate, out=product)
        cell += product
        tanh_cell = saved["tanh_cell"][time_rows]
        xp.tanh(cell, out=tanh_cell)
        if weights.projection is None:
            xp.multiply(output_gate, tanh_cell, out=hidden)
        else:
            unprojected = saved["unprojected"][time_rows]
            xp.multiply(output_gate, tanh_cell, out=unprojected)
            xp.matmul(unprojected, weights.projection_t, out=hidden)
        output[time_rows] = hidden

    def backward(self, xp, time_rows, count, grad_state, output, saved, grads, weights):
        grad_hidden, grad_cell = grad_state[0][:count], grad_state[1][:count]
        size = grad_cell.shape[1]
        if weights.projection is not None:
            grads.projected[time_rows] = grad_hidden
            grad_hidden = grad_hidden @ weights.projection
        activations = saved["activations"][time_rows]
        input_gate, forget_gate, candidate, output_gate = (
            activations[:, k * size : (k + 1) * size] for k in range(4)
        )
        tanh_cell = saved["tanh_cell"][time_rows]
        # grad_cell += grad_hidden * output_gate * (1 - tanh_cell^2)
        term = saved["scratch"][:count]
        xp.multiply(tanh_cell, tanh_cell, out=term)
        xp.subtract(1, term, out=term)
        term *= output_gate
        term *= grad_hidden
        grad_cell += term
        grad_gates = grads.input_gates[time_rows]
        xp.multiply(grad_cell, candidate, out=grad_gates[:, :size])
        xp.multiply(grad_cell, saved["previous_cell"][time_rows], out=grad_gates[:, size : 2 * size])
        xp.multiply(grad_cell, input_gate, out=grad_gates[:, 2 * size : 3 * size])
        xp.multiply(grad_hidden, tanh_cell, out=grad_gates[:, 3 * size :])
        # Through the activations: a (1 - a) on the sigmoid gates, 1 - a^2 on the candidate.
        slope = grads.scratch[:count]
        xp.multiply(activations, activations, out=slope)
        xp.subtract(activations[:, : 2 * size], slope[:, : 2 * size], out=slope[:, : 2 * size])
        xp.subtract(1, slope[:, 2 * size : 3 * size], out=slope[:, 2 * size : 3 * size])
        xp.subtract(activations[:, 3 * size :], slope[:, 3 * size :], out=slope[:, 3 * size :])
        grad_gates *= slope
        grad_cell *= forget_gate
        xp.matmul(grad_gates, weights.hidden, out=grad_state[0][:count])


class _GRUCell:
    """r, z = sigmoid(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z}),
    n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)), h' = (1 - z) n + z h. State: (h,)."""

    gates = 3
    state_count = 1
    bias_in_step = True  # b_hn sits inside r * (...), so it cannot join the input projection

    def buffers(self, xp, rows, batch, size, dtype):
        return {
            "reset_update": xp.empty((rows, 2 * size), dtype),
            "new_gate": xp.empty((rows, size), dtype),
            "hidden_new_gate": xp.empty((rows, size), dtype),
            "hidden_gates": xp.empty((batch, 3 * size), dtype),
        }

    def forward(self, xp, time_rows, count, input_gates, state, output, saved, weights):
        hidden = state[0][:count]
        size = hidden.shape[1]
        hidden_gates = saved["hidden_gates"][:count]
        xp.matmul(hidden, weights.hidden_t, out=hidden_gates)
        if weights.hidden_bias is not None:
            hidden_gates += weights.hidden_bias
        reset_update = saved["reset_update"][time_rows]
        xp.add(input_gates[:, : 2 * size], hidden_gates[:, : 2 * size], out=reset_update)
        _sigmoid_in_place(xp, reset_update)
        hidden_new_gate = saved["hidden_new_gate"][time_rows]
        hidden_new_gate[...] = hidden_gates[:, 2 * size :]
        new_gate = saved["new_gate"][time_rows]
        xp.multiply(reset_update[:, :size], hidden_new_gate, out=new_gate)
        new_gate += input_gates[:, 2 * size :]
        xp.tanh(new_gate, out=new_gate)
        hidden -= new_gate
        hidden *= reset_update[:, size:]
        hidden += new_gate
        output[time_rows] = hidden

    def backward(self, xp, time_rows, count, grad_state, output, saved, grads, weights):
        grad_hidden = grad_state[0][:count]
        size = grad_hidden.shape[1]
        reset_update = saved["reset_update"][time_rows]
        reset, update = reset_update[:, :size], reset_update[:, size:]
        new_gate = saved["new_gate"][time_rows]
        scratch = grads.scratch[:count, :size]
        grad_input_gates = grads.input_gates[time_rows]
        grad_reset, grad_update, grad_new = (grad_input_gates[:, k * size : (k + 1) * size] for k in range(3))
        # n: grad_hidden (1 - z) (1 - n^2)
        xp.multiply(new_gate, new_gate, out=grad_new)
        xp.subtract(1, grad_new, out=grad_new)
        grad_new *= grad_hidden
        xp.subtract(1, update, out=scratch)
        grad_new *= scratch
        # z: grad_hidden (h - n) z (1 - z)
        xp.subtract(grads.previous_hidden[time_rows], new_gate, out=grad_update)
        grad_update *= grad_hidden
        scratch *= update
        grad_update *= scratch
        # r: grad_n_pre (h W_hn^T + b_hn) r (1 - r)
        xp.multiply(grad_new, saved["hidden_new_gate"][time_rows], out=grad_reset)
        xp.subtract(1, reset, out=scratch)
        scratch *= reset
        grad_reset *= scratch
        grad_hidden_gates = grads.hidden_gates[time_rows]
        grad_hidden_gates[:, : 2 * size] = grad_input_gates[:, : 2 * size]
        xp.multiply(grad_new, reset, out=grad_hidden_gates[:, 2 * size :])
        grad_hidden *= update
        grad_hidden += grad_hidden_gates @ weights.hidden


_CELLS = {
    "RNN_TANH": _ElmanCell("tanh"),
    "RNN_RELU": _ElmanCell("relu"),
    "LSTM": _LSTMCell(),
    "GRU": _GRUCell(),
}

STATE_COUNTS = {mode: cell.state_count for mode, cell in _CELLS.items()}


class _Gradients:
    """Backward's packed buffers: the gates' gradients on the input side (N, G) and, where they
    differ (GRU), on the hidden side; the hidden gradient of a projected LSTM before projection."""

    def __init__(self, xp, cell, rows, batch, gate_size, output_size, dtype, previous_hidden, projected):
        self.input_gates = xp.empty((rows, gate_size), dtype)
        self.hidden_gates = xp.empty((rows, gate_size), dtype) if cell.bias_in_step else self.input_gates
        self.scratch = xp.empty((batch, gate_size), dtype)
        self.previous_hidden = previous_hidden
        self.projected = xp.empty((rows, output_size), dtype) if projected else None


def _offsets(batch_sizes):
    """Row of the packed arrays where each time step starts."""
    offsets = [0]
    for size in batch_sizes:
        offsets.append(offsets[-1] + size)
    return offsets


def _times(steps, reverse):
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _wrap(array):
    return op_module.Tensor._wrap(array)


class RecurrentLayer(Function):
    """One direction of one recurrent layer over a whole packed sequence, as one autograd node.

    ``mode`` is 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'; ``data`` (N, I) is packed (time-major
    padded input with constant batch size is the special case ``batch_sizes = [B] * T``);
    ``h0`` (B, H_out) and, for the LSTM, ``c0`` (B, H) are the initial states; weights as in
    ``nn.LSTM`` (biases and ``w_hr`` may be None). Returns the output (N, H_out) and each final
    state (B, H_k). ``reverse`` runs from the last step to the first. Backward is not differentiable
    (double backward raises).
    """

    @staticmethod
    def forward(ctx, mode, batch_sizes, reverse, data, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
        ctx.set_materialize_grads(False)
        cell = _CELLS[mode]
        x = data._data
        xp = namespace_of(x)
        dtype = x.dtype
        weights = _Weights(
            w_hh._data, xp.ascontiguousarray(w_hh._data.T),
            None if b_hh is None or not cell.bias_in_step else b_hh._data,
            None if w_hr is None else w_hr._data, None if w_hr is None else xp.ascontiguousarray(w_hr._data.T),
        )
        input_gates = matmul_rows(x, w_ih._data.T)
        if b_ih is not None:
            input_gates += b_ih._data
        if b_hh is not None and not cell.bias_in_step:
            input_gates += b_hh._data
        rows, batch, output_size = x.shape[0], h0.shape[0], h0.shape[1]
        size = w_hh.shape[0] // cell.gates
        state = tuple(tensor._data.copy() for tensor in ((h0,) if c0 is None else (h0, c0)))
        output = xp.empty((rows, output_size), dtype)
        previous_hidden = xp.empty((rows, output_size), dtype)
        saved = cell.buffers(xp, rows, batch, size, dtype)
        if w_hr is not None:
            saved["unprojected"] = xp.empty((rows, size), dtype)
        offsets = _offsets(batch_sizes)
        for time in _times(len(batch_sizes), reverse):
            count = batch_sizes[time]
            time_rows = slice(offsets[time], offsets[time] + count)
            previous_hidden[time_rows] = state[0][:count]
            cell.forward(xp, time_rows, count, input_gates[time_rows], state, output, saved, weights)
        ctx.cell, ctx.batch_sizes, ctx.reverse, ctx.weights = cell, batch_sizes, reverse, weights
        ctx.output, ctx.previous_hidden, ctx.buffers = output, previous_hidden, saved
        ctx.state_shapes = tuple(array.shape for array in state)
        ctx.save_for_backward(data, w_ih, w_hh, w_hr)
        result = (_wrap(output),) + tuple(_wrap(array) for array in state)
        # Backward reads the output (the Elman step's derivative): remember its version, not the
        # tensor itself, which would make a reference cycle through its grad_fn.
        ctx.output_version, ctx.output_version_saved = result[0]._version, result[0]._version[0]
        return result

    @staticmethod
    def backward(ctx, grad_output, *grad_final):
        if grad_mode.enabled:
            raise RuntimeError(
                "the fused recurrent layer's backward is not differentiable: double backward "
                "(create_graph=True) through RNN/LSTM/GRU is not supported"
            )
        data, w_ih, w_hh, w_hr = ctx.saved_tensors
        if ctx.output_version[0] != ctx.output_version_saved:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: the output 0 of {ctx.name()} is at version {ctx.output_version[0]}; expected "
                f"version {ctx.output_version_saved} instead. Hint: do the in-place operation out of place."
            )
        cell, batch_sizes, weights, output = ctx.cell, ctx.batch_sizes, ctx.weights, ctx.output
        xp = namespace_of(output)
        dtype = output.dtype
        rows, output_size = output.shape
        grad_state = tuple(
            xp.zeros(shape, dtype) if grad is None else grad._data.astype(dtype, copy=True)
            for shape, grad in zip(ctx.state_shapes, grad_final)
        )
        grads = _Gradients(xp, cell, rows, ctx.state_shapes[0][0], w_hh.shape[0], output_size, dtype,
                           ctx.previous_hidden, w_hr is not None)
        grad_output = None if grad_output is None else grad_output._data
        offsets = _offsets(batch_sizes)
        for time in _times(len(batch_sizes), not ctx.reverse):
            count = batch_sizes[time]
            time_rows = slice(offsets[time], offsets[time] + count)
            if grad_output is not None:
                grad_state[0][:count] += grad_output[time_rows]
            cell.backward(xp, time_rows, count, grad_state, output, ctx.buffers, grads, weights)
        needs = ctx.needs_input_grad
        x = data._data
        grad_gates, grad_hidden_gates = grads.input_gates, grads.hidden_gates
        grad_data = _wrap(grad_gates @ w_ih._data) if needs[3] else None
        grad_w_ih = _wrap(grad_gates.T @ x) if needs[6] else None
        grad_w_hh = _wrap(grad_hidden_gates.T @ ctx.previous_hidden) if needs[7] else None
        grad_b_ih = _wrap(grad_gates.sum(axis=0)) if needs[8] else None
        grad_b_hh = _wrap(grad_hidden_gates.sum(axis=0)) if needs[9] else None
        grad_w_hr = None
        if w_hr is not None and needs[10]:
            grad_w_hr = _wrap(grads.projected.T @ ctx.buffers["unprojected"])
        grad_c0 = _wrap(grad_state[1]) if len(grad_state) > 1 else None
        return (None, None, None, grad_data, _wrap(grad_state[0]), grad_c0, grad_w_ih, grad_w_hh, grad_b_ih,
                grad_b_hh, grad_w_hr)
