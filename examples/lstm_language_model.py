"""Character-level LSTM language model trained with truncated backpropagation through time.

The text is the Python standard library's own source (the first few hundred KB of the .py files
beside the `os` module, so every machine has it) or any UTF-8 file given with --data. It is split
90/5/5 into train/valid/test, laid out as `batch_size` parallel streams (`batchify`), and cut into
windows of `bptt` characters (`get_batch`). The LSTM's state is carried from one window to the next
but detached, so gradients flow back `bptt` steps only: the model sees long contexts at the cost of
short backward passes. Progress bars show the training loss; after each epoch the validation loss
and perplexity are printed next to the unigram baseline, and the run ends by sampling text.

    python examples/lstm_language_model.py [--data FILE] [--epochs 2] [--bptt 64] ...
"""
import argparse
import math

from tqdm import tqdm

import spindle
from spindle import nn
from spindle.data.datasets import Corpus, batchify, get_batch, standard_library_text
from spindle.models import LSTMLanguageModel


def unigram_loss(train, evaluated, vocabulary_size):
    """Cross-entropy (nats/char) on ``evaluated`` of character frequencies counted on ``train``
    (add-one smoothed): the loss of a model that ignores context."""
    counts = spindle.ones(vocabulary_size).index_add(0, train, spindle.ones(train.numel()))
    log_probabilities = (counts / counts.sum()).log()
    return -log_probabilities[evaluated].mean().item()


def evaluate(model, data, bptt, batch_size):
    """Mean cross-entropy per character over ``data`` (a batchified (T, B) tensor)."""
    model.eval()
    hidden = model.init_hidden(batch_size)
    total, count = 0.0, 0
    with spindle.no_grad():
        for start in range(0, data.size(0) - 1, bptt):
            inputs, targets = get_batch(data, start, bptt)
            logits, hidden = model(inputs, hidden)
            total += nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), targets, reduction="sum").item()
            count += targets.numel()
    return total / count


def sample(model, dictionary, length, temperature, prompt="\n"):
    """``length`` characters drawn one at a time, each from the model's prediction given all before."""
    model.eval()
    hidden = model.init_hidden(1)
    indices = [dictionary.word2idx[character] for character in prompt if character in dictionary.word2idx]
    inputs = spindle.tensor(indices or [0]).reshape(-1, 1)
    generated = []
    with spindle.no_grad():
        for _ in range(length):
            logits, hidden = model(inputs, hidden)
            probabilities = nn.functional.softmax(logits[-1, 0] / temperature, dim=-1)
            index = spindle.multinomial(probabilities, 1).item()
            generated.append(dictionary.idx2word[index])
            inputs = spindle.tensor([[index]])
    return prompt + "".join(generated)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="UTF-8 text file (default: the Python standard library's source)")
    parser.add_argument("--chars", type=int, default=300_000, help="characters of standard library text to use")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--bptt", type=int, default=64, help="truncated-BPTT window length")
    parser.add_argument("--emsize", type=int, default=64)
    parser.add_argument("--nhid", type=int, default=256)
    parser.add_argument("--nlayers", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping")
    parser.add_argument("--sample-length", type=int, default=400)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=1111)
    args = parser.parse_args(argv)
    spindle.manual_seed(args.seed)

    if args.data:
        corpus = Corpus(args.data, level="char", fractions=(0.9, 0.05, 0.05))
    else:
        corpus = Corpus(text=standard_library_text(args.chars), level="char", fractions=(0.9, 0.05, 0.05))
    vocabulary_size = len(corpus.dictionary)
    train_data = batchify(corpus.train, args.batch_size)
    valid_data = batchify(corpus.valid, 10)
    print(f"{corpus.train.numel()} training characters, vocabulary of {vocabulary_size}")

    model = LSTMLanguageModel(vocabulary_size, args.emsize, args.nhid, args.nlayers, args.dropout)
    optimizer = spindle.optim.Adam(model.parameters(), lr=args.lr)
    baseline = unigram_loss(corpus.train, corpus.valid, vocabulary_size)

    for epoch in range(1, args.epochs + 1):
        model.train()
        hidden = model.init_hidden(args.batch_size)
        windows = tqdm(range(0, train_data.size(0) - 1, args.bptt), desc=f"epoch {epoch}", unit="window")
        for start in windows:
            inputs, targets = get_batch(train_data, start, args.bptt)
            hidden = tuple(state.detach() for state in hidden)  # truncate: no gradient into past windows
            logits, hidden = model(inputs, hidden)
            loss = nn.functional.cross_entropy(logits.reshape(-1, vocabulary_size), targets)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            windows.set_postfix(loss=f"{loss.item():.3f}", ppl=f"{math.exp(loss.item()):.1f}")
        valid_loss = evaluate(model, valid_data, args.bptt, 10)
        print(f"epoch {epoch}: validation loss {valid_loss:.3f} (perplexity {math.exp(valid_loss):.2f}, "
              f"{valid_loss / math.log(2):.2f} bits/char); unigram baseline {baseline:.3f} "
              f"(perplexity {math.exp(baseline):.2f})")

    test_loss = evaluate(model, batchify(corpus.test, 10), args.bptt, 10)
    print(f"test loss {test_loss:.3f}, perplexity {math.exp(test_loss):.2f}")
    print("-" * 30 + " sample " + "-" * 30)
    print(sample(model, corpus.dictionary, args.sample_length, args.temperature))
    return valid_loss, baseline


if __name__ == "__main__":
    main()
