"""spindle.models' text models against equivalent PyTorch models with identical weights: the LSTM
language model (forward, backward, tied weights, truncated backpropagation through time over
several windows with training steps between them) and the small GPT (forward, backward,
generation); and the two example programs, run with tiny settings."""
import math
import pathlib
import runpy

import numpy as np
import pytest
import torch

import spindle
from spindle.data.datasets import batchify, get_batch
from spindle.models import GPT, LSTMLanguageModel
from tests.nn.oracle import assert_close, assert_same_parameter_grads, copy_state

TOLERANCE = 1e-4


class TorchLSTMLanguageModel(torch.nn.Module):
    """PyTorch's word_language_model RNNModel (LSTM), with spindle's attribute names."""

    def __init__(self, ntoken, ninp, nhid, nlayers, dropout, tie_weights):
        super().__init__()
        self.drop = torch.nn.Dropout(dropout)
        self.encoder = torch.nn.Embedding(ntoken, ninp)
        self.rnn = torch.nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = torch.nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight

    def forward(self, input, hidden):
        output, hidden = self.rnn(self.drop(self.encoder(input)), hidden)
        return self.decoder(self.drop(output)), hidden


class TorchGPT(torch.nn.Module):
    """spindle.models.GPT written with PyTorch modules (same names and computation)."""

    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd):
        super().__init__()
        nn = torch.nn
        self.token_embedding = nn.Embedding(vocab_size, n_embd)
        self.position_embedding = nn.Embedding(block_size, n_embd)
        self.drop = nn.Dropout(0.0)
        self.blocks = nn.ModuleList([TorchBlock(n_embd, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab_size, bias=False)
        self.head.weight = self.token_embedding.weight

    def forward(self, idx):
        x = self.token_embedding(idx) + self.position_embedding(torch.arange(idx.size(1)))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


class TorchAttention(torch.nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.n_head = n_head
        self.qkv = torch.nn.Linear(n_embd, 3 * n_embd)
        self.proj = torch.nn.Linear(n_embd, n_embd)
        self.resid_dropout = torch.nn.Dropout(0.0)

    def forward(self, x):
        batch, steps, channels = x.shape
        q, k, v = self.qkv(x).split(channels, dim=2)
        q, k, v = (t.view(batch, steps, self.n_head, -1).transpose(1, 2) for t in (q, k, v))
        y = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.resid_dropout(self.proj(y.transpose(1, 2).reshape(batch, steps, channels)))


class TorchBlock(torch.nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        nn = torch.nn
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = TorchAttention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(approximate="tanh"),
                                 nn.Linear(4 * n_embd, n_embd), nn.Dropout(0.0))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


def torch_batchify(data, batch_size):
    steps = data.size(0) // batch_size
    return data[: steps * batch_size].view(batch_size, -1).t().contiguous()


@pytest.mark.parametrize("tie_weights", [False, True])
def test_lstm_language_model_matches_torch(rng, tie_weights):
    ours = LSTMLanguageModel(30, 12, 12, nlayers=2, dropout=0.0, tie_weights=tie_weights)
    theirs = TorchLSTMLanguageModel(30, 12, 12, 2, 0.0, tie_weights)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    copy_state(theirs, ours)
    tokens = rng.integers(0, 30, size=(7, 4))
    hidden = ours.init_hidden(4)
    assert [tuple(h.shape) for h in hidden] == [(2, 4, 12), (2, 4, 12)]
    spindle_logits, _ = ours(spindle.tensor(tokens), hidden)
    torch_logits, _ = theirs(torch.tensor(tokens), None)
    assert_close(spindle_logits, torch_logits, tolerance=TOLERANCE)
    targets = rng.integers(0, 30, size=7 * 4)
    spindle.nn.functional.cross_entropy(spindle_logits.reshape(-1, 30), spindle.tensor(targets)).backward()
    torch.nn.functional.cross_entropy(torch_logits.reshape(-1, 30), torch.tensor(targets)).backward()
    assert_same_parameter_grads(ours, theirs, tolerance=TOLERANCE)
    assert (ours.decoder.weight is ours.encoder.weight) == tie_weights
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))


def test_lstm_language_model_init_and_tie_error():
    model = LSTMLanguageModel(100, 16, 16)
    assert np.abs(model.encoder.weight.detach().numpy()).max() <= 0.1
    assert not model.decoder.bias.detach().numpy().any()
    with pytest.raises(ValueError, match="nhid must be equal to emsize"):
        LSTMLanguageModel(100, 16, 20, tie_weights=True)


def test_truncated_bptt_matches_torch_window_by_window(rng):
    """Train on consecutive windows carrying the detached state, as the example does: every
    window's loss and gradients (including through the carried state) agree with PyTorch's."""
    vocab, batch, bptt, learning_rate = 25, 3, 5, 0.5
    ours = LSTMLanguageModel(vocab, 10, 10, nlayers=2, dropout=0.0)
    theirs = TorchLSTMLanguageModel(vocab, 10, 10, 2, 0.0, False)
    copy_state(theirs, ours)
    stream = rng.integers(0, vocab, size=64)
    spindle_data = batchify(spindle.tensor(stream), batch)
    torch_data = torch_batchify(torch.tensor(stream), batch)
    spindle_hidden, torch_hidden = ours.init_hidden(batch), None
    for start in range(0, spindle_data.size(0) - 1, bptt):
        spindle_input, spindle_target = get_batch(spindle_data, start, bptt)
        length = min(bptt, torch_data.size(0) - 1 - start)
        torch_input = torch_data[start:start + length]
        torch_target = torch_data[start + 1:start + 1 + length].reshape(-1)
        ours.zero_grad()
        theirs.zero_grad()
        spindle_hidden = tuple(h.detach() for h in spindle_hidden)
        torch_hidden = None if torch_hidden is None else tuple(h.detach() for h in torch_hidden)
        spindle_logits, spindle_hidden = ours(spindle_input, spindle_hidden)
        torch_logits, torch_hidden = theirs(torch_input, torch_hidden)
        spindle_loss = spindle.nn.functional.cross_entropy(spindle_logits.reshape(-1, vocab), spindle_target)
        torch_loss = torch.nn.functional.cross_entropy(torch_logits.reshape(-1, vocab), torch_target)
        spindle_loss.backward()
        torch_loss.backward()
        assert_close(spindle_loss, torch_loss, tolerance=TOLERANCE)
        assert_same_parameter_grads(ours, theirs, tolerance=TOLERANCE)
        with spindle.no_grad():
            for parameter in ours.parameters():
                parameter.add_(parameter.grad, alpha=-learning_rate)
        with torch.no_grad():
            for parameter in theirs.parameters():
                parameter.add_(parameter.grad, alpha=-learning_rate)
    for mine, reference in zip(spindle_hidden, torch_hidden):
        assert_close(mine, reference, tolerance=TOLERANCE)


def small_gpt_pair():
    ours = GPT(40, block_size=8, n_layer=2, n_head=2, n_embd=16)
    theirs = TorchGPT(40, 8, 2, 2, 16)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    copy_state(theirs, ours)
    return ours, theirs


def test_gpt_forward_and_backward_match_torch(rng):
    ours, theirs = small_gpt_pair()
    tokens = rng.integers(0, 40, size=(3, 8))
    targets = rng.integers(0, 40, size=3 * 8)
    spindle_logits, torch_logits = ours(spindle.tensor(tokens)), theirs(torch.tensor(tokens))
    assert_close(spindle_logits, torch_logits, tolerance=TOLERANCE)
    spindle.nn.functional.cross_entropy(spindle_logits.reshape(-1, 40), spindle.tensor(targets)).backward()
    torch.nn.functional.cross_entropy(torch_logits.reshape(-1, 40), torch.tensor(targets)).backward()
    assert_same_parameter_grads(ours, theirs, tolerance=TOLERANCE)
    assert ours.head.weight is ours.token_embedding.weight
    with pytest.raises(ValueError, match="block size is only 8"):
        ours(spindle.zeros(1, 9, dtype=spindle.int64))


def test_gpt_initialisation():
    model = GPT(50, block_size=8, n_layer=4, n_head=2, n_embd=64)
    std = model.token_embedding.weight.detach().numpy().std()
    assert abs(std - 0.02) < 0.002
    projection_std = model.blocks[0].attn.proj.weight.detach().numpy().std()
    assert abs(projection_std - 0.02 / math.sqrt(8)) < 0.001
    assert not model.blocks[0].mlp[0].bias.detach().numpy().any()


def test_gpt_generate_greedy_and_top_k(rng):
    ours, theirs = small_gpt_pair()
    context = rng.integers(0, 40, size=(2, 3))
    # top_k=1 is greedy decoding: compare with PyTorch's argmax continuation, past the block size.
    generated = ours.generate(spindle.tensor(context), 7, top_k=1)
    expected = torch.tensor(context)
    with torch.no_grad():
        for _ in range(7):
            logits = theirs(expected[:, -8:])[:, -1]
            expected = torch.cat([expected, logits.argmax(-1, keepdim=True)], 1)
    assert generated.tolist() == expected.tolist()
    # With top_k=3 every sample is one of the three most likely next tokens.
    spindle.manual_seed(0)
    repeated = spindle.tensor(np.repeat(context[:1], 200, axis=0))
    samples = ours.generate(repeated, 1, temperature=2.0, top_k=3)[:, -1].tolist()
    with torch.no_grad():
        top3 = set(theirs(torch.tensor(context[:1]))[0, -1].topk(3).indices.tolist())
    assert set(samples) <= top3 and len(set(samples)) > 1


EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name, arguments", [
    ("lstm_language_model", ["--chars", "6000", "--epochs", "1", "--batch-size", "4", "--bptt", "16", "--emsize", "8",
                             "--nhid", "16", "--sample-length", "20"]),
    ("gpt_char", ["--chars", "6000", "--steps", "4", "--eval-every", "2", "--batch-size", "4", "--block-size", "16",
                  "--n-layer", "1", "--n-embd", "16", "--sample-length", "20"]),
], ids=["lstm_language_model", "gpt_char"])
def test_examples_run_and_report_losses(name, arguments, capsys):
    """The examples run end to end on the standard-library corpus (tiny settings) and print the
    validation loss beside the unigram baseline, then a sample."""
    main = runpy.run_path(str(EXAMPLES / f"{name}.py"))["main"]
    valid_loss, baseline = main(arguments)
    assert math.isfinite(valid_loss) and 2.0 < baseline < 6.0
    output = capsys.readouterr().out
    assert "unigram baseline" in output and "-" * 30 + " sample " in output
