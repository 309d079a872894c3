"""The fused recurrent layer against finite differences, independently of PyTorch (tests/nn/test_rnn.py
compares the modules built on it with PyTorch's): every mode, both directions, packed batches whose
size shrinks over time, a projected LSTM, gradients reaching only the output or only the final states,
a second backward with retain_graph, and the error for an output modified in place."""
import numpy as np
import pytest

import spindle
from spindle.ops.recurrent import RecurrentLayer

INPUT, HIDDEN, PROJECTION = 3, 4, 2
BATCH_SIZES = [3, 3, 2, 1]  # a packed batch of sequences of lengths 4, 3, 2
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def leaf(rng, *shape):
    return spindle.tensor(rng.standard_normal(shape), requires_grad=True)


def layer_arguments(rng, mode, projected=False):
    """Input, initial states and weights (float64 leaves) of one layer over BATCH_SIZES."""
    gates = GATES[mode] * HIDDEN
    output_size = PROJECTION if projected else HIDDEN
    data = leaf(rng, sum(BATCH_SIZES), INPUT)
    h0 = leaf(rng, BATCH_SIZES[0], output_size)
    c0 = leaf(rng, BATCH_SIZES[0], HIDDEN) if mode == "LSTM" else None
    weights = [leaf(rng, gates, INPUT), leaf(rng, gates, output_size), leaf(rng, gates), leaf(rng, gates)]
    w_hr = leaf(rng, PROJECTION, HIDDEN) if projected else None
    return [data, h0, c0, *weights, w_hr]


def check_layer(mode, reverse, arguments, outputs=slice(None)):
    """gradcheck of the chosen outputs with respect to every tensor argument."""
    positions = [position for position, value in enumerate(arguments) if value is not None]

    def run(*tensors):
        values = list(arguments)
        for position, tensor in zip(positions, tensors):
            values[position] = tensor
        return RecurrentLayer.apply(mode, BATCH_SIZES, reverse, *values)[outputs]

    assert spindle.autograd.gradcheck(run, [arguments[position] for position in positions])


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("mode", sorted(GATES))
def test_gradcheck(rng, mode, reverse):
    arguments = layer_arguments(rng, mode)
    if mode == "RNN_RELU":  # keep pre-activations away from the kink of relu
        arguments[0] = spindle.tensor(arguments[0].detach().numpy() * 0.1, requires_grad=True)
    check_layer(mode, reverse, arguments)


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_gradcheck_projected_lstm(rng, reverse):
    check_layer("LSTM", reverse, layer_arguments(rng, "LSTM", projected=True))


@pytest.mark.parametrize("outputs", [slice(0, 1), slice(1, None)], ids=["output_only", "final_states_only"])
@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_gradcheck_with_some_outputs_unused(rng, mode, outputs):
    check_layer(mode, False, layer_arguments(rng, mode), outputs)


def test_second_backward_with_retain_graph_gives_the_same_gradients(rng):
    arguments = layer_arguments(rng, "LSTM")
    output, h_n, c_n = RecurrentLayer.apply("LSTM", BATCH_SIZES, False, *arguments)
    loss = output.sum() + (h_n * c_n).sum()
    loss.backward(retain_graph=True)
    first = [argument.grad.clone() for argument in arguments if argument is not None]
    loss.backward()
    for gradient, argument in zip(first, [argument for argument in arguments if argument is not None]):
        np.testing.assert_allclose(argument.grad.numpy(), 2 * gradient.numpy(), rtol=1e-12)


def test_modifying_the_output_in_place_makes_backward_raise(rng):
    output, _ = RecurrentLayer.apply("RNN_TANH", BATCH_SIZES, False, *layer_arguments(rng, "RNN_TANH"))
    loss = output.sum()
    with spindle.no_grad():
        output.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
