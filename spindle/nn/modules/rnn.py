"""Recurrent layers: ``RNN`` (tanh or ReLU), ``LSTM`` (optionally projected), ``GRU``, and their
single-step cells ``RNNCell``, ``LSTMCell``, ``GRUCell``, with PyTorch's parameter names, layouts,
initialisation and input/output conventions, so that state dicts interchange.

Every layer direction runs as one autograd node over the whole sequence (:class:`_RecurrentLayer`):
the input projection of all time steps is one matrix product, each step adds one fused product of
the hidden state with all gates' weights, and backward is hand-written backpropagation through time
ending in one matrix product per weight. Recording the graph step by step would cost a node per
elementary operation and time step.
"""
import math
import numbers
import warnings
from collections import namedtuple

import spindle
from spindle.autograd import Function
from spindle.nn import functional as F
from spindle.nn import init
from spindle.nn.parameter import Parameter
from spindle.nn.utils.rnn import PackedSequence

from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# ---------------------------------------------------------------------------------------- one time step

# What a step reads besides its state: ``hidden`` (G, H_out) and a contiguous copy of its transpose
# (a product with a contiguous matrix is faster, and it is reused at every step), the hidden bias
# where the step applies it itself (GRU), the LSTM projection (P, H) and its transpose (None
# without), and the LSTM's per-gate activation constants (see _LSTMStep).
_StepWeights = namedtuple(
    "_StepWeights", ["hidden", "hidden_t", "hidden_bias", "projection", "projection_t", "gate_scale"]
)


def _step_weights(step, w_hh, b_hh, w_hr):
    gate_scale = None
    if isinstance(step, _LSTMStep):
        size = w_hh.shape[0] // 4
        gate_scale = spindle.full((4 * size,), 0.5, dtype=w_hh.dtype, device=w_hh.device)
        gate_scale[2 * size : 3 * size] = 1.0
    return _StepWeights(
        w_hh, w_hh.t().contiguous(), b_hh if step.bias_in_step else None, w_hr,
        None if w_hr is None else w_hr.t().contiguous(), gate_scale,
    )


def _sigmoid(x):
    """sigmoid(x) = (1 + tanh(x / 2)) / 2: stable for any x, and one tanh pass is several times
    cheaper than the exp, where and division of the direct form."""
    return (x * 0.5).tanh() * 0.5 + 0.5


class _ElmanStep:
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu. State: (h,)."""

    state_count = 1
    bias_in_step = False

    def __init__(self, nonlinearity):
        self.nonlinearity = nonlinearity

    def forward(self, input_gates, state, weights):
        pre_activation = input_gates + state[0] @ weights.hidden_t
        hidden = pre_activation.tanh() if self.nonlinearity == "tanh" else pre_activation.relu()
        return (hidden,), hidden

    def backward(self, grad_state, hidden, weights):
        grad_hidden = grad_state[0]
        if self.nonlinearity == "tanh":
            grad_pre = grad_hidden * (1 - hidden * hidden)
        else:
            grad_pre = grad_hidden.masked_fill(hidden <= 0, 0)
        return grad_pre, grad_pre, (grad_pre @ weights.hidden,)


class _LSTMStep:
    """Gates i, f, g, o (in this order along the gate axis) from one (B, 4H) pre-activation;
    c' = f c + i g, h' = o tanh(c'), projected by W_hr when ``proj_size > 0``. State: (h, c).

    All four activations come from one tanh pass: with s = ``gate_scale`` (1/2 on the sigmoid
    gates i, f, o and 1 on g), t = tanh(s x) gives act = s t + (1 - s), i.e. sigmoid(x) =
    (1 + tanh(x/2)) / 2 on i, f, o and tanh(x) on g; and d act / dx = s^2 (1 - t^2).
    """

    state_count = 2
    bias_in_step = False

    def forward(self, input_gates, state, weights):
        hidden, cell = state
        size = cell.shape[1]
        scale = weights.gate_scale
        tanhs = ((input_gates + hidden @ weights.hidden_t) * scale).tanh()
        activations = tanhs * scale + (1 - scale)
        input_gate, forget_gate, candidate, output_gate = (activations.narrow(1, k * size, size) for k in range(4))
        new_cell = forget_gate * cell + input_gate * candidate
        tanh_cell = new_cell.tanh()
        new_hidden = output_gate * tanh_cell
        unprojected = new_hidden
        if weights.projection is not None:
            new_hidden = unprojected @ weights.projection_t
        return (new_hidden, new_cell), (tanhs, activations, cell, tanh_cell, unprojected)

    def backward(self, grad_state, saved, weights):
        grad_hidden, grad_cell = grad_state
        tanhs, activations, cell, tanh_cell, _ = saved
        size = cell.shape[1]
        if weights.projection is not None:
            grad_hidden = grad_hidden @ weights.projection
        input_gate, forget_gate, candidate, output_gate = (activations.narrow(1, k * size, size) for k in range(4))
        grad_cell = grad_cell + grad_hidden * output_gate * (1 - tanh_cell * tanh_cell)
        grad_activations = spindle.cat(
            [grad_cell * candidate, grad_cell * cell, grad_cell * input_gate, grad_hidden * tanh_cell], 1
        )
        scale = weights.gate_scale
        grad_gates = grad_activations * ((1 - tanhs * tanhs) * (scale * scale))
        return grad_gates, grad_gates, (grad_gates @ weights.hidden, grad_cell * forget_gate)

    @staticmethod
    def unprojected_hidden(saved):
        return saved[4]


class _GRUStep:
    """r, z = sigmoid(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z}),
    n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)), h' = (1 - z) n + z h. State: (h,)."""

    state_count = 1
    bias_in_step = True  # b_hn sits inside r * (...), so it cannot join the input projection

    def forward(self, input_gates, state, weights):
        hidden = state[0]
        size = hidden.shape[1]
        hidden_gates = hidden @ weights.hidden_t
        if weights.hidden_bias is not None:
            hidden_gates = hidden_gates + weights.hidden_bias
        reset_update = _sigmoid(input_gates[:, : 2 * size] + hidden_gates[:, : 2 * size])
        reset = reset_update[:, :size]
        update = reset_update[:, size:]
        hidden_new_gate = hidden_gates[:, 2 * size :]
        new_gate = (input_gates[:, 2 * size :] + reset * hidden_new_gate).tanh()
        new_hidden = new_gate + update * (hidden - new_gate)
        return (new_hidden,), (reset_update, new_gate, hidden_new_gate, hidden)

    def backward(self, grad_state, saved, weights):
        grad_hidden = grad_state[0]
        reset_update, new_gate, hidden_new_gate, hidden = saved
        size = hidden.shape[1]
        update = reset_update[:, size:]
        grad_new_pre = grad_hidden * (1 - update) * (1 - new_gate * new_gate)
        grad_reset_update = spindle.cat([grad_new_pre * hidden_new_gate, grad_hidden * (hidden - new_gate)], 1)
        grad_reset_update_pre = grad_reset_update * reset_update * (1 - reset_update)
        grad_input_gates = spindle.cat([grad_reset_update_pre, grad_new_pre], 1)
        grad_hidden_gates = spindle.cat([grad_reset_update_pre, grad_new_pre * reset_update[:, :size]], 1)
        grad_previous = grad_hidden * update + grad_hidden_gates @ weights.hidden
        return grad_input_gates, grad_hidden_gates, (grad_previous,)


_STEPS = {
    "RNN_TANH": _ElmanStep("tanh"),
    "RNN_RELU": _ElmanStep("relu"),
    "LSTM": _LSTMStep(),
    "GRU": _GRUStep(),
}


# ---------------------------------------------------------------------------------------- one layer


def _resize_rows(state, size, source, removed):
    """Bring every tensor of ``state`` to ``size`` rows: rows beyond it go to ``removed`` (a list of
    pieces), missing rows come from the same rows of ``source``. Sequences of a packed batch are
    sorted by length, so the running ones are always the leading rows."""
    rows = state[0].shape[0]
    if size < rows:
        removed.append(tuple(tensor[size:] for tensor in state))
        return tuple(tensor[:size] for tensor in state)
    if size > rows:
        return tuple(spindle.cat([tensor, extra[rows:size]]) for tensor, extra in zip(state, source))
    return state


def _join_rows(pieces):
    """Stack the row pieces collected by :func:`_resize_rows` (last piece = lowest rows)."""
    if len(pieces) == 1:
        return pieces[0]
    return tuple(spindle.cat(list(parts)) for parts in zip(*reversed(pieces)))


class _RecurrentLayer(Function):
    """One direction of one recurrent layer over a whole packed sequence, as one autograd node.

    ``data`` (N, I) is packed (time-major padded input with constant batch size is the special
    case ``batch_sizes = [B] * T``); ``initial`` states are (B, H_k). Returns the output (N, H_out)
    and each final state (B, H_k). ``reverse`` runs from the last step to the first.
    """

    @staticmethod
    def forward(ctx, step, batch_sizes, reverse, data, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
        initial = (h0,) if c0 is None else (h0, c0)
        weights = _step_weights(step, w_hh, b_hh, w_hr)
        input_bias = b_ih if step.bias_in_step or b_ih is None else b_ih + b_hh
        input_gates = F.linear(data, w_ih, input_bias)
        offsets = _offsets(batch_sizes)
        times = _times(len(batch_sizes), reverse)
        state = tuple(tensor[: batch_sizes[times[0]]] for tensor in initial)
        finished = []
        outputs, previous_hidden, saved = {}, {}, {}
        for time in times:
            size = batch_sizes[time]
            state = _resize_rows(state, size, initial, finished)
            previous_hidden[time] = state[0]
            state, saved[time] = step.forward(input_gates[offsets[time] : offsets[time] + size], state, weights)
            outputs[time] = state[0]
        finished.append(state)
        ctx.step, ctx.batch_sizes, ctx.reverse, ctx.weights = step, batch_sizes, reverse, weights
        ctx.previous_hidden, ctx.activations = previous_hidden, saved
        ctx.save_for_backward(data, w_ih, w_hh, w_hr)
        output = spindle.cat([outputs[time] for time in range(len(batch_sizes))])
        return (output,) + _join_rows(finished)

    @staticmethod
    def backward(ctx, grad_output, *grad_final):
        if spindle.is_grad_enabled():
            raise RuntimeError(
                "the fused recurrent layer's backward is not differentiable: double backward "
                "(create_graph=True) through RNN/LSTM/GRU is not supported"
            )
        step, batch_sizes, weights = ctx.step, ctx.batch_sizes, ctx.weights
        data, w_ih, w_hh, w_hr = ctx.saved_tensors
        offsets = _offsets(batch_sizes)
        times = _times(len(batch_sizes), not ctx.reverse)
        grad_state = tuple(grad[: batch_sizes[times[0]]] for grad in grad_final)
        grad_initial = []
        grad_input_gates, grad_hidden_gates, grad_projected = {}, {}, {}
        for time in times:
            size = batch_sizes[time]
            grad_state = _resize_rows(grad_state, size, grad_final, grad_initial)
            grad_hidden = grad_state[0] + grad_output[offsets[time] : offsets[time] + size]
            grad_projected[time] = grad_hidden
            grad_input_gates[time], grad_hidden_gates[time], grad_state = step.backward(
                (grad_hidden,) + grad_state[1:], ctx.activations[time], weights
            )
        grad_initial.append(grad_state)
        grad_initial = _join_rows(grad_initial)

        def in_time_order(per_step):
            return spindle.cat([per_step[time] for time in range(len(batch_sizes))])

        grad_gates = in_time_order(grad_input_gates)
        # Only the GRU's hidden-side gate gradients differ from the input-side ones (r scales b_hn).
        grad_hidden_all = in_time_order(grad_hidden_gates) if step.bias_in_step else grad_gates
        needs = ctx.needs_input_grad
        grad_data = grad_gates @ w_ih if needs[3] else None
        grad_w_ih = grad_gates.t() @ data if needs[6] else None
        grad_w_hh = grad_hidden_all.t() @ in_time_order(ctx.previous_hidden) if needs[7] else None
        grad_b_ih = grad_gates.sum(0) if needs[8] else None
        grad_b_hh = grad_hidden_all.sum(0) if needs[9] else None
        grad_w_hr = None
        if w_hr is not None and needs[10]:
            unprojected = {time: step.unprojected_hidden(saved) for time, saved in ctx.activations.items()}
            grad_w_hr = in_time_order(grad_projected).t() @ in_time_order(unprojected)
        grad_c0 = grad_initial[1] if len(grad_initial) > 1 else None
        return (None, None, None, grad_data, grad_initial[0], grad_c0, grad_w_ih, grad_w_hh, grad_b_ih,
                grad_b_hh, grad_w_hr)


def _offsets(batch_sizes):
    """Row of ``data`` where each time step starts."""
    offsets = [0]
    for size in batch_sizes:
        offsets.append(offsets[-1] + size)
    return offsets


def _times(steps, reverse):
    return list(range(steps - 1, -1, -1)) if reverse else list(range(steps))


# ---------------------------------------------------------------------------------------- modules


class RNNBase(Module):
    """Shared machinery of :class:`RNN`, :class:`LSTM` and :class:`GRU` (``mode`` is one of
    'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU').

    For layer ``k`` and direction suffix ``''`` or ``'_reverse'`` it registers
    ``weight_ih_l{k}`` (G, I_k), ``weight_hh_l{k}`` (G, H_out), ``bias_ih_l{k}``, ``bias_hh_l{k}``
    (G,) and, for a projected LSTM, ``weight_hr_l{k}`` (proj_size, H), where G is 1, 3 or 4 times
    ``hidden_size``, H_out is ``proj_size`` or ``hidden_size`` and I_k is ``input_size`` for the
    first layer, ``num_directions * H_out`` after. All start uniform in ±1/sqrt(hidden_size).
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int), ("hidden_size", hidden_size, int)):
            if not isinstance(value, kind):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
            if kind is int and value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _STEPS:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = {"LSTM": 4, "GRU": 3}.get(mode, 1) * hidden_size
        num_directions = 2 if bidirectional else 1
        output_size = proj_size if proj_size > 0 else hidden_size
        self._all_weights = []  # per layer and direction, the names of its parameters
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else output_size * num_directions
            for direction in range(num_directions):
                shapes = {"weight_ih": (gate_size, layer_input_size), "weight_hh": (gate_size, output_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for kind, shape in shapes.items():
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(spindle.empty(shape, device=device, dtype=dtype)))
                    names.append(name)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self):
        """Accepted for compatibility: weights are used where they are (cuDNN packs them on CUDA)."""

    @property
    def all_weights(self):
        """Per layer and direction, the list of its parameters in registration order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text

    # -- shapes and checks

    def _state_sizes(self):
        """Feature size of each state tensor: (H_out,) or, for the LSTM, (H_out, hidden_size)."""
        output_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (output_size, self.hidden_size) if self.mode == "LSTM" else (output_size,)

    def _check_input(self, input, packed):
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                f"Convert input: input.to({weight_dtype}), or convert model: model.to({input.dtype})"
            )
        expected_dim = 2 if packed else 3
        if input.dim() != expected_dim:
            raise RuntimeError(f"input must have {expected_dim} dimensions, got {input.dim()}")
        if input.size(-1) != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.size(-1)}"
            )

    def _check_states(self, states, batch):
        num_directions = 2 if self.bidirectional else 1
        messages = ["Expected hidden size {}, got {}"] if self.mode != "LSTM" else [
            "Expected hidden[0] size {}, got {}", "Expected hidden[1] size {}, got {}"]
        for state, size, message in zip(states, self._state_sizes(), messages):
            expected = (self.num_layers * num_directions, batch, size)
            if tuple(state.shape) != expected:
                raise RuntimeError(message.format(expected, list(state.shape)))

    def _states_tuple(self, hx):
        return (hx,) if self.mode != "LSTM" else tuple(hx)

    def _states_result(self, states):
        return states[0] if self.mode != "LSTM" else states

    # -- forward

    def forward(self, input, hx=None):
        """Run over ``input`` (T, B, I), (B, T, I) with ``batch_first``, (T, I) unbatched, or a
        :class:`PackedSequence`, from initial states ``hx`` (zeros if None): h0 of shape
        (num_layers * num_directions, B, H_out), and for the LSTM a pair (h0, c0) with c0 of size
        ``hidden_size``. Returns ``(output, h_n)`` (``(output, (h_n, c_n))`` for the LSTM): output
        (T, B, num_directions * H_out) (or packed like the input), final states shaped like hx."""
        name = {"LSTM": "LSTM", "GRU": "GRU"}.get(self.mode, "RNN")
        packed = isinstance(input, PackedSequence)
        sorted_indices = unsorted_indices = None
        unbatched = False
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            batch_sizes = batch_sizes.tolist()
            batch = batch_sizes[0]
        else:
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                                 + ("instead" if self.mode == "LSTM" else "tensor instead"))
            unbatched = input.dim() == 2
            if unbatched:
                input = input.unsqueeze(0 if self.batch_first else 1)
            if self.batch_first:
                input = input.transpose(0, 1)
            steps, batch = input.shape[0], input.shape[1]
            batch_sizes = [batch] * steps
            data = input
        if hx is None:
            num_directions = 2 if self.bidirectional else 1
            states = tuple(
                spindle.zeros(self.num_layers * num_directions, batch, size, dtype=data.dtype, device=data.device)
                for size in self._state_sizes()
            )
        else:
            states = self._states_tuple(hx)
            if not packed:
                expected = 2 if unbatched else 3
                if any(state.dim() != expected for state in states):
                    dims = [state.dim() for state in states]
                    kind = "unbatched 2-D" if unbatched else "batched 3-D"
                    if self.mode == "LSTM":
                        raise RuntimeError(f"For {kind} input, hx and cx should also be {expected}-D but got "
                                           f"({dims[0]}-D, {dims[1]}-D) tensors")
                    raise RuntimeError(f"For {kind} input, hx should also be {expected}-D but got {dims[0]}-D tensor")
                if unbatched:
                    states = tuple(state.unsqueeze(1) for state in states)
            if sorted_indices is not None:
                states = tuple(state.index_select(1, sorted_indices) for state in states)
        self._check_input(data, packed)
        self._check_states(states, batch)
        output, final_states = self._run_layers(data.reshape(-1, data.shape[-1]), batch_sizes, states)
        if unsorted_indices is not None:
            final_states = tuple(state.index_select(1, unsorted_indices) for state in final_states)
        if packed:
            return PackedSequence(output, input.batch_sizes, sorted_indices, unsorted_indices), \
                self._states_result(final_states)
        output = output.reshape(len(batch_sizes), batch, output.shape[-1])
        if self.batch_first:
            output = output.transpose(0, 1)
        if unbatched:
            output = output.squeeze(0 if self.batch_first else 1)
            final_states = tuple(state.squeeze(1) for state in final_states)
        return output, self._states_result(final_states)

    def _run_layers(self, data, batch_sizes, states):
        """All layers and directions over packed ``data`` (N, I); returns the last layer's output
        (N, num_directions * H_out) and the final states (num_layers * num_directions, B, H_k)."""
        step = _STEPS[self.mode]
        num_directions = 2 if self.bidirectional else 1
        finals = [[] for _ in states]
        layer_input = data
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                index = layer * num_directions + direction
                names = self._all_weights[index]
                weights = {name.split("_l")[0]: getattr(self, name) for name in names}
                initial = tuple(state[index] for state in states)
                output, *final = _RecurrentLayer.apply(
                    step, batch_sizes, direction == 1, layer_input, initial[0],
                    initial[1] if len(initial) > 1 else None, weights["weight_ih"], weights["weight_hh"],
                    weights.get("bias_ih"), weights.get("bias_hh"), weights.get("weight_hr"),
                )
                outputs.append(output)
                for collected, tensor in zip(finals, final):
                    collected.append(tensor)
            layer_input = outputs[0] if num_directions == 1 else spindle.cat(outputs, 1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        return layer_input, tuple(spindle.stack(collected) for collected in finals)


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), ``nonlinearity`` 'tanh' or
    'relu'. ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; see :meth:`RNNBase.forward` for shapes."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o from x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh,
    c_t = f c_{t-1} + i g, h_t = o tanh(c_t) (times W_hr^T when ``proj_size > 0``).
    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0)``; see :meth:`RNNBase.forward` for shapes."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit: r, z = sigmoid(...), n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)),
    h_t = (1 - z) n + z h_{t-1}. ``GRU(input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; see :meth:`RNNBase.forward` for shapes."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """Shared parameters of the cells: ``weight_ih`` (G, input_size), ``weight_hh`` (G, hidden_size)
    and, with ``bias``, ``bias_ih`` and ``bias_hh`` (G,), G = ``num_chunks * hidden_size``, all
    uniform in ±1/sqrt(hidden_size)."""

    mode = None  # the key of the step in _STEPS

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate_size = num_chunks * hidden_size
        self.weight_ih = Parameter(spindle.empty((gate_size, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(spindle.empty((gate_size, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(spindle.empty(gate_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(spindle.empty(gate_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _step(self, input, states):
        """One time step from ``states`` (a tuple of (B, hidden_size) tensors, or None for zeros)
        on ``input`` (B, input_size) or unbatched (input_size,); returns the new states."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if states is not None:
            for index, state in enumerate(states):
                if state.dim() not in (1, 2):
                    which = f"hx[{index}]" if len(states) > 1 else "hidden"
                    raise ValueError(f"{name}: Expected {which} to be 1D or 2D, got {state.dim()}D instead")
        unbatched = input.dim() == 1
        if unbatched:
            input = input.unsqueeze(0)
        count = _STEPS[self.mode].state_count
        if states is None:
            zeros = spindle.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
            states = (zeros,) * count
        elif unbatched:
            states = tuple(state.unsqueeze(0) for state in states)
        _, *new_states = _RecurrentLayer.apply(
            _STEPS[self.mode], [input.size(0)], False, input, states[0], states[1] if count > 1 else None,
            self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, None,
        )
        if unbatched:
            new_states = [state.squeeze(0) for state in new_states]
        return tuple(new_states)


class RNNCell(RNNCellBase):
    """One Elman step: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh). ``forward(input, hx=None)``
    with input (B, input_size) or (input_size,), hx like the output (B, hidden_size)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    @property
    def mode(self):
        return "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._step(input, None if hx is None else (hx,))[0]


class LSTMCell(RNNCellBase):
    """One LSTM step. ``forward(input, hx=None)`` with input (B, input_size) or (input_size,) and
    hx a pair (h, c) of (B, hidden_size); returns the new pair (h', c')."""

    mode = "LSTM"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step(input, None if hx is None else tuple(hx))


class GRUCell(RNNCellBase):
    """One GRU step. ``forward(input, hx=None)`` with input (B, input_size) or (input_size,), hx
    like the output (B, hidden_size)."""

    mode = "GRU"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step(input, None if hx is None else (hx,))[0]
