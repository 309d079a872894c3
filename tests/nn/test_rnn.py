"""RNN, LSTM, GRU and their cells against PyTorch with identical weights: outputs, final states and
the gradients of inputs, initial states and every parameter, over layer counts, directions,
batch_first, bias, projections, packed variable-length batches and unbatched input; parameter
names, initialisation, dropout between layers, repr and errors."""
import math

import numpy as np
import pytest
import torch

import spindle
from tests.nn.oracle import assert_close, assert_same_error, assert_same_parameter_grads, copy_state, random_array

INPUT_SIZE, HIDDEN_SIZE, STEPS, BATCH = 3, 5, 4, 3
TOLERANCE = {"float32": 1e-4, "float64": 1e-10}
MODES = {
    "rnn_tanh": ("RNN", {}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "gru": ("GRU", {}),
}
VARIANTS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"num_layers": 2, "bias": False},
]


def module_pair(class_name, dtype, **options):
    theirs = getattr(torch.nn, class_name)(INPUT_SIZE, HIDDEN_SIZE, dtype=getattr(torch, dtype), **options)
    ours = getattr(spindle.nn, class_name)(INPUT_SIZE, HIDDEN_SIZE, dtype=getattr(spindle, dtype), **options)
    copy_state(theirs, ours)
    return ours, theirs


def state_shapes(module, batch):
    """Shapes of the initial state tensors the module takes: (h0,) or (h0, c0)."""
    layers = module.num_layers * (2 if module.bidirectional else 1)
    output_size = module.proj_size or module.hidden_size
    if module.mode == "LSTM":
        return [(layers, batch, output_size), (layers, batch, module.hidden_size)]
    return [(layers, batch, output_size)]


def as_hidden(module, states):
    if not states:
        return None
    return tuple(states) if module.mode == "LSTM" else states[0]


def as_tuple(hidden):
    return hidden if isinstance(hidden, tuple) else (hidden,)


def compare_runs(rng, ours, theirs, dtype, input_shape, with_state, lengths=None):
    """Run both modules on the same input (packed with ``lengths`` when given) and initial state,
    compare outputs and final states, backpropagate the same cotangents and compare gradients."""
    batch_first = ours.batch_first
    arrays = [random_array(rng, input_shape, dtype)]
    batch = input_shape[0 if batch_first else 1] if len(input_shape) == 3 else None
    if with_state:
        shapes = state_shapes(ours, batch if batch is not None else 1)
        if batch is None:
            shapes = [shape[:1] + shape[2:] for shape in shapes]
        arrays += [random_array(rng, shape, dtype) for shape in shapes]
    spindle_leaves = [spindle.tensor(a, requires_grad=True) for a in arrays]
    torch_leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    results = []
    for framework, module, leaves in ((spindle, ours, spindle_leaves), (torch, theirs, torch_leaves)):
        inputs = leaves[0]
        if lengths is not None:
            inputs = framework.nn.utils.rnn.pack_padded_sequence(inputs, lengths, batch_first, enforce_sorted=False)
        output, hidden = module(inputs, as_hidden(module, leaves[1:]))
        if lengths is not None:
            output, _ = framework.nn.utils.rnn.pad_packed_sequence(output, batch_first)
        results.append([output, *as_tuple(hidden)])
    tolerance = TOLERANCE[dtype]
    for mine, reference in zip(*results):
        assert_close(mine, reference, dtype, tolerance)
    cotangents = [rng.standard_normal(tuple(t.shape)).astype(dtype) for t in results[1]]
    spindle.autograd.backward(results[0], [spindle.tensor(c) for c in cotangents])
    torch.autograd.backward(results[1], [torch.tensor(c) for c in cotangents])
    for mine, reference in zip(spindle_leaves, torch_leaves):
        assert_close(mine.grad, reference.grad, dtype, tolerance)
    assert_same_parameter_grads(ours, theirs, dtype, tolerance)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(f"{k}={v[k]}" for k in v) or "default")
@pytest.mark.parametrize("mode", sorted(MODES))
def test_sequence_module_matches_torch(rng, mode, variant, with_state, dtype):
    class_name, options = MODES[mode]
    ours, theirs = module_pair(class_name, dtype, **options, **variant)
    shape = (BATCH, STEPS, INPUT_SIZE) if variant.get("batch_first") else (STEPS, BATCH, INPUT_SIZE)
    compare_runs(rng, ours, theirs, dtype, shape, with_state)


@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(f"{k}={v[k]}" for k in v) or "default")
@pytest.mark.parametrize("mode", sorted(MODES))
def test_packed_sequence_matches_torch(rng, mode, variant, with_state):
    class_name, options = MODES[mode]
    ours, theirs = module_pair(class_name, "float32", **options, **variant)
    batch = 4
    shape = (batch, 5, INPUT_SIZE) if variant.get("batch_first") else (5, batch, INPUT_SIZE)
    # Unsorted lengths, one of them equal to another, one full length: every row-count change occurs.
    compare_runs(rng, ours, theirs, "float32", shape, with_state, lengths=[2, 5, 1, 2])


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("variant", [{}, {"num_layers": 2, "bidirectional": True}],
                         ids=["single", "deep_bidirectional"])
def test_projected_lstm_matches_torch(rng, variant, packed):
    ours, theirs = module_pair("LSTM", "float32", proj_size=2, **variant)
    compare_runs(rng, ours, theirs, "float32", (5, 3, INPUT_SIZE), True, lengths=[5, 3, 4] if packed else None)


@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("mode", sorted(MODES))
def test_unbatched_input_matches_torch(rng, mode, with_state):
    class_name, options = MODES[mode]
    ours, theirs = module_pair(class_name, "float64", num_layers=2, bidirectional=True, **options)
    compare_runs(rng, ours, theirs, "float64", (STEPS, INPUT_SIZE), with_state)


def test_noncontiguous_input_matches_torch(rng):
    ours, theirs = module_pair("LSTM", "float32", num_layers=2)
    x = random_array(rng, (BATCH, STEPS, INPUT_SIZE), "float32")
    spindle_x = spindle.tensor(x, requires_grad=True)
    torch_x = torch.tensor(x, requires_grad=True)
    spindle_output = ours(spindle_x.transpose(0, 1))[0]
    torch_output = theirs(torch_x.transpose(0, 1))[0]
    assert_close(spindle_output, torch_output, tolerance=1e-4)
    spindle_output.sum().backward()
    torch_output.sum().backward()
    assert_close(spindle_x.grad, torch_x.grad, tolerance=1e-4)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_dropout_between_layers_only(rng, mode):
    # With p = 1 every layer but the first sees zeros and the last layer's output is not dropped:
    # deterministic, so it pins down where dropout is applied.
    class_name, options = MODES[mode]
    ours, theirs = module_pair(class_name, "float64", num_layers=3, dropout=1.0, **options)
    compare_runs(rng, ours, theirs, "float64", (STEPS, BATCH, INPUT_SIZE), True)
    ours.eval()
    theirs.eval()
    ours.dropout = theirs.dropout = 0.5
    compare_runs(rng, ours, theirs, "float64", (STEPS, BATCH, INPUT_SIZE), True)


def test_dropout_in_training_is_random_and_off_in_eval():
    spindle.manual_seed(0)
    lstm = spindle.nn.LSTM(2, 200, num_layers=2, dropout=0.5)
    x = spindle.randn(3, 4, 2)
    first, second = lstm(x)[0], lstm(x)[0]
    assert not np.allclose(first.detach().numpy(), second.detach().numpy())
    lstm.eval()
    np.testing.assert_array_equal(lstm(x)[0].detach().numpy(), lstm(x)[0].detach().numpy())


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell", "RNNCell-relu"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "given_state"])
def test_cells_match_torch(rng, cell, batched, with_state):
    class_name, _, nonlinearity = cell.partition("-")
    options = {"nonlinearity": nonlinearity} if nonlinearity else {}
    theirs = getattr(torch.nn, class_name)(INPUT_SIZE, HIDDEN_SIZE, dtype=torch.float64, **options)
    ours = getattr(spindle.nn, class_name)(INPUT_SIZE, HIDDEN_SIZE, dtype=spindle.float64, **options)
    copy_state(theirs, ours)
    batch_shape = (BATCH,) if batched else ()
    arrays = [random_array(rng, batch_shape + (INPUT_SIZE,), "float64")]
    if with_state:
        arrays += [random_array(rng, batch_shape + (HIDDEN_SIZE,), "float64")
                   for _ in range(2 if class_name == "LSTMCell" else 1)]
    spindle_leaves = [spindle.tensor(a, requires_grad=True) for a in arrays]
    torch_leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    outputs = []
    for module, leaves in ((ours, spindle_leaves), (theirs, torch_leaves)):
        state = None
        if with_state:
            state = tuple(leaves[1:]) if class_name == "LSTMCell" else leaves[1]
        outputs.append(as_tuple(module(leaves[0], state)))
    for mine, reference in zip(*outputs):
        assert_close(mine, reference, "float64")
    cotangents = [rng.standard_normal(tuple(t.shape)) for t in outputs[1]]
    spindle.autograd.backward(list(outputs[0]), [spindle.tensor(c) for c in cotangents])
    torch.autograd.backward(list(outputs[1]), [torch.tensor(c) for c in cotangents])
    for mine, reference in zip(spindle_leaves, torch_leaves):
        assert_close(mine.grad, reference.grad, "float64")
    assert_same_parameter_grads(ours, theirs, "float64")
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("build", [
    lambda fw: fw.nn.LSTM(3, 6, num_layers=2, bidirectional=True, proj_size=4),
    lambda fw: fw.nn.GRU(3, 6, num_layers=2, bias=False, batch_first=True),
    lambda fw: fw.nn.RNN(3, 6, 2, "relu", dropout=0.25),
    lambda fw: fw.nn.LSTMCell(3, 6, bias=False),
], ids=["lstm", "gru", "rnn", "lstm_cell"])
def test_parameter_names_shapes_and_repr_match_torch(build):
    ours, theirs = build(spindle), build(torch)
    assert [(name, tuple(p.shape)) for name, p in ours.named_parameters()] == \
        [(name, tuple(p.shape)) for name, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    if hasattr(theirs, "all_weights"):
        assert [[tuple(w.shape) for w in ws] for ws in ours.all_weights] == \
            [[tuple(w.shape) for w in ws] for ws in theirs.all_weights]
    # A state dict saved by PyTorch loads (strictly) into spindle.
    copy_state(theirs, ours)


def test_initialisation_is_uniform_in_inverse_sqrt_hidden():
    lstm = spindle.nn.LSTM(40, 100, num_layers=2)
    bound = 1 / math.sqrt(100)
    values = np.concatenate([p.detach().numpy().ravel() for p in lstm.parameters()])
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.99 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert abs(values.mean()) < 0.02 * bound
    assert lstm.weight_ih_l0.dtype == spindle.float32


def test_states_are_permuted_with_an_unsorted_packed_batch(rng):
    # The final state of sequence b must be in row b (original order), whatever the sorting.
    lstm = spindle.nn.LSTM(INPUT_SIZE, HIDDEN_SIZE)
    sequences = [spindle.tensor(random_array(rng, (n, INPUT_SIZE), "float32")) for n in (2, 4, 3)]
    packed = spindle.nn.utils.rnn.pack_sequence(sequences, enforce_sorted=False)
    _, (h_n, c_n) = lstm(packed)
    for index, sequence in enumerate(sequences):
        _, (h_alone, c_alone) = lstm(sequence)
        assert_close(h_n[:, index], h_alone, tolerance=1e-5)
        assert_close(c_n[:, index], c_alone, tolerance=1e-5)


def test_double_backward_is_refused(rng):
    lstm = spindle.nn.LSTM(INPUT_SIZE, HIDDEN_SIZE)
    x = spindle.tensor(random_array(rng, (STEPS, BATCH, INPUT_SIZE), "float32"), requires_grad=True)
    (grad,) = spindle.autograd.grad(lstm(x)[0].sum(), x, create_graph=False)
    assert grad.shape == x.shape
    with pytest.raises(RuntimeError, match="double backward"):
        spindle.autograd.grad(lstm(x)[0].sum(), x, create_graph=True)


@pytest.mark.parametrize("compute", [
    lambda fw: fw.nn.RNN(3, 4)(fw.zeros(2, 2, 2, 3)),
    lambda fw: fw.nn.LSTM(3, 4)(fw.zeros(3)),
    lambda fw: fw.nn.GRU(3, 4)(fw.zeros(2, 2, 5)),
    lambda fw: fw.nn.GRU(3, 4)(fw.zeros(2, 2, 3), fw.zeros(1, 3, 4)),
    lambda fw: fw.nn.LSTM(3, 4)(fw.zeros(2, 2, 3), (fw.zeros(1, 2, 4), fw.zeros(1, 2, 5))),
    lambda fw: fw.nn.LSTM(3, 4)(fw.zeros(2, 2, 3), (fw.zeros(2, 4), fw.zeros(2, 4))),
    lambda fw: fw.nn.RNN(3, 4)(fw.zeros(2, 3), fw.zeros(1, 1, 4)),
    lambda fw: fw.nn.RNN(3, 4)(fw.zeros(2, 2, 3, dtype=fw.float64)),
    lambda fw: fw.nn.LSTM(3, 4, proj_size=4),
    lambda fw: fw.nn.GRU(3, 4, proj_size=2),
    lambda fw: fw.nn.RNN(3, 4, nonlinearity="sigmoid"),
    lambda fw: fw.nn.LSTM(3, 4, dropout=1.5),
    lambda fw: fw.nn.LSTM(3, 0),
    lambda fw: fw.nn.LSTM(3, 4, num_layers=0),
    lambda fw: fw.nn.LSTMCell(3, 4)(fw.zeros(1, 2, 3)),
    lambda fw: fw.nn.GRUCell(3, 4)(fw.zeros(2, 3), fw.zeros(1, 2, 4)),
], ids=["rnn_4d", "lstm_1d", "input_size", "hidden_size", "cell_size", "state_dims", "unbatched_state_dims",
        "dtype", "proj_too_big", "gru_proj", "nonlinearity", "dropout", "hidden_zero", "layers_zero", "cell_input",
        "cell_hidden"])
def test_errors_match_torch(compute):
    assert_same_error(compute)


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        spindle.nn.GRU(3, 4, dropout=0.3)
