"""Character-level GPT: a small decoder-only Transformer trained to predict the next character.

The text is the Python standard library's own source (the first few hundred KB of the .py files
beside the `os` module, so every machine has it) or any UTF-8 file given with --data, split 90/5/5
into train/valid/test. Each step trains on a batch of random `block_size`-character windows with
AdamW. A progress bar shows the training loss; at intervals the validation loss and perplexity are
estimated on fixed validation windows and printed next to the unigram baseline (the loss of
predicting characters by their frequency alone, which any model that uses context must beat). The
run ends by sampling text with temperature and top-k.

    python examples/gpt_char.py [--data FILE] [--steps 300] [--block-size 64] ...
"""
import argparse
import math

from tqdm import tqdm

import spindle
from spindle import nn
from spindle.data.datasets import Corpus, standard_library_text
from spindle.models import GPT


def unigram_loss(train, evaluated, vocabulary_size):
    """Cross-entropy (nats/char) on ``evaluated`` of character frequencies counted on ``train``
    (add-one smoothed): the loss of a model that ignores context."""
    counts = spindle.ones(vocabulary_size).index_add(0, train, spindle.ones(train.numel()))
    log_probabilities = (counts / counts.sum()).log()
    return -log_probabilities[evaluated].mean().item()


def windows(data, starts, block_size):
    """Inputs (B, block_size) starting at ``starts`` and the targets one character later."""
    offsets = spindle.arange(block_size)
    rows = starts.unsqueeze(1) + offsets
    return data[rows], data[rows + 1]


def evaluate(model, inputs, targets):
    model.eval()
    with spindle.no_grad():
        logits = model(inputs)
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))
    model.train()
    return loss.item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="UTF-8 text file (default: the Python standard library's source)")
    parser.add_argument("--chars", type=int, default=300_000, help="characters of standard library text to use")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--block-size", type=int, default=64, help="context length in characters")
    parser.add_argument("--n-layer", type=int, default=3)
    parser.add_argument("--n-head", type=int, default=4)
    parser.add_argument("--n-embd", type=int, default=96)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--eval-windows", type=int, default=64, help="validation windows per estimate")
    parser.add_argument("--sample-length", type=int, default=300)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--top-k", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args(argv)
    spindle.manual_seed(args.seed)

    if args.data:
        corpus = Corpus(args.data, level="char", fractions=(0.9, 0.05, 0.05))
    else:
        corpus = Corpus(text=standard_library_text(args.chars), level="char", fractions=(0.9, 0.05, 0.05))
    vocabulary_size = len(corpus.dictionary)
    train, valid = corpus.train, corpus.valid
    print(f"{train.numel()} training characters, vocabulary of {vocabulary_size}")

    model = GPT(vocabulary_size, args.block_size, args.n_layer, args.n_head, args.n_embd, args.dropout)
    print(f"{sum(p.numel() for p in model.parameters())} parameters")
    optimizer = spindle.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.1)
    schedule = spindle.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.steps, eta_min=args.lr / 10)
    baseline = unigram_loss(train, valid, vocabulary_size)
    valid_starts = spindle.linspace(0, valid.numel() - args.block_size - 2, args.eval_windows).long()
    valid_inputs, valid_targets = windows(valid, valid_starts, args.block_size)

    progress = tqdm(range(1, args.steps + 1), unit="step")
    for step in progress:
        starts = spindle.randint(0, train.numel() - args.block_size - 1, (args.batch_size,))
        inputs, targets = windows(train, starts, args.block_size)
        loss = nn.functional.cross_entropy(model(inputs).reshape(-1, vocabulary_size), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        progress.set_postfix(loss=f"{loss.item():.3f}")
        if step % args.eval_every == 0 or step == args.steps:
            valid_loss = evaluate(model, valid_inputs, valid_targets)
            progress.write(f"step {step}: validation loss {valid_loss:.3f} (perplexity {math.exp(valid_loss):.2f}); "
                           f"unigram baseline {baseline:.3f} (perplexity {math.exp(baseline):.2f})")

    verdict = "below" if valid_loss < baseline else "NOT below"
    print(f"final validation loss {valid_loss:.3f} is {verdict} the unigram baseline {baseline:.3f}")
    print("-" * 30 + " sample " + "-" * 30)
    model.eval()
    prompt = spindle.tensor([[corpus.dictionary.word2idx["\n"]]])
    generated = model.generate(prompt, args.sample_length, temperature=args.temperature, top_k=args.top_k)
    print("".join(corpus.dictionary.idx2word[index] for index in generated[0].tolist()))
    return valid_loss, baseline


if __name__ == "__main__":
    main()
