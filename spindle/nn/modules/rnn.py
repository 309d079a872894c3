"""Recurrent layers: ``RNN`` (tanh or ReLU), ``LSTM`` (optionally projected), ``GRU``, and their
single-step cells ``RNNCell``, ``LSTMCell``, ``GRUCell``, with PyTorch's parameter names, layouts,
initialisation and input/output conventions, so that state dicts interchange.

Every layer direction runs as one autograd node over the whole sequence
(:class:`spindle.ops.recurrent.RecurrentLayer`): the input projection of all time steps is one matrix
product, each step adds one fused product of the hidden state with all gates' weights, and backward is
hand-written backpropagation through time ending in one matrix product per weight.
"""
import math
import numbers
import warnings

import spindle
from spindle.nn import functional as F
from spindle.nn import init
from spindle.nn.parameter import Parameter
from spindle.nn.utils.rnn import PackedSequence
from spindle.ops.recurrent import STATE_COUNTS, RecurrentLayer

from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


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
        if mode not in STATE_COUNTS:
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
                output, *final = RecurrentLayer.apply(
                    self.mode, batch_sizes, direction == 1, layer_input, initial[0],
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

    mode = None  # 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU', as in RNNBase

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
        count = STATE_COUNTS[self.mode]
        if states is None:
            zeros = spindle.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
            states = (zeros,) * count
        elif unbatched:
            states = tuple(state.unsqueeze(0) for state in states)
        _, *new_states = RecurrentLayer.apply(
            self.mode, [input.size(0)], False, input, states[0], states[1] if count > 1 else None,
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
