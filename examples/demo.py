"""Spindle's demo: classify handwritten digits with a small MLP, checkpoint it and plot it.

    python examples/demo.py [--epochs N] [--data MNIST_DIR] [--resume]
                            [--checkpoint PATH] [--plot PATH]

By default it trains on the 8x8 digits bundled with scikit-learn (1,797 images; a fixed
80/20 split, seeded); with `--data DIR` on MNIST read from DIR's IDX files. The pixels are
standardised with the training set's statistics, and an MLP (hidden layers of 256 and
128 with ReLU and dropout) is trained with Adam and cross-entropy with label smoothing,
in shuffled batches of 64. A progress bar shows the loss and accuracy; after every epoch
the test set is evaluated and a checkpoint (model, optimizer, epoch, random state and
the curves so far) is saved atomically, so an interrupted run continues with `--resume`
exactly where it stopped. At the end it prints the test accuracy (about 98% on the
digits) and plots the curves. An epoch of MNIST takes far longer than one of the digits:
pass `--epochs 5` or so.
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")  # render to files only: no display needed
import matplotlib.pyplot as plt
from tqdm import tqdm

import spindle as torch
from spindle import nn
from spindle.data import DataLoader, TensorDataset

CURVES = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30, help="total epochs, counting resumed ones")
    parser.add_argument("--data", metavar="DIR", help="train on MNIST from DIR instead of the 8x8 digits")
    parser.add_argument("--checkpoint", default="checkpoints/demo.safetensors", help="checkpoint file")
    parser.add_argument("--plot", default="outputs/demo.png", help="PNG of the loss and accuracy curves")
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seeds the split, weights, dropout and shuffling")
    args = parser.parse_args(argv)
    if args.resume and not os.path.exists(args.checkpoint):
        parser.error(f"--resume: there is no checkpoint at {args.checkpoint}")
    return args


def load_digits_split(seed):
    """scikit-learn's 8x8 digits as (train_x, train_y, test_x, test_y): x (N, 64) float32
    pixels in [0, 1], y (N,) int64 labels; a random 20% (fixed by `seed`) is the test set."""
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    x = torch.from_numpy(images).float() / 16  # 17 grey levels, 0..16
    y = torch.from_numpy(labels).long()
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    test_size = len(y) // 5
    test, train = order[:test_size], order[test_size:]
    return x[train], y[train], x[test], y[test]


def load_mnist_split(root):
    """MNIST's training and test sets from the IDX files in `root`, as for
    `load_digits_split`: x (N, 784) float32 pixels in [0, 1], y (N,) int64."""
    from spindle.data.datasets import MNIST

    splits = []
    for train in (True, False):
        dataset = MNIST(root, train=train)
        splits += [dataset.data.flatten(1).float() / 255, dataset.targets]
    return tuple(splits)


def standardise(train_x, test_x):
    """Both sets of [0, 1] pixels shifted and scaled per feature by the training set's mean
    and standard deviation. The deviation is floored at a tenth of the pixel range so that
    pixels which are almost always blank (the digits' borders) are not blown up into noise."""
    mean = train_x.mean(dim=0)
    std = train_x.std(dim=0).clamp(min=0.1)
    return (train_x - mean) / std, (test_x - mean) / std


def build_model(in_features, classes=10):
    """An MLP from (N, in_features) to (N, classes) logits."""
    return nn.Sequential(
        nn.Linear(in_features, 256),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, classes),
    )


def evaluate(model, x, y, loss_function):
    """(mean loss, accuracy) of `model` in eval mode on the whole of x, y."""
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = loss_function(logits, y).item()
        accuracy = (logits.argmax(dim=1) == y).float().mean().item()
    model.train()
    return loss, accuracy


def save_checkpoint(path, model, optimizer, epoch, curves):
    """Everything `--resume` needs, in one safetensors file written atomically."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "epoch": epoch,
            # The random state, so that a resumed run shuffles and drops out exactly as an
            # uninterrupted one would.
            "rng_state": torch.get_rng_state(),
            "curves": curves,
        },
        path,
    )


def plot_curves(path, curves):
    """A PNG with the loss (left) and accuracy (right) of every epoch, train and test."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    epochs = range(1, len(curves["train_loss"]) + 1)
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for split in ("train", "test"):
        loss_axes.plot(epochs, curves[f"{split}_loss"], marker=".", label=split)
        accuracy_axes.plot(epochs, [100 * a for a in curves[f"{split}_accuracy"]], marker=".", label=split)
    loss_axes.set(title="cross-entropy loss (label smoothing 0.1)", xlabel="epoch", ylabel="loss")
    accuracy_axes.set(title="accuracy", xlabel="epoch", ylabel="accuracy (%)")
    for axes in (loss_axes, accuracy_axes):
        axes.grid(alpha=0.3)
        axes.legend()
    figure.suptitle(f"test accuracy after epoch {len(epochs)}: {curves['test_accuracy'][-1]:.2%}")
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv=None):
    """Train as the command line says; return the curves (a dict of per-epoch lists)."""
    args = parse_arguments(argv)
    # These matrices are too small to gain from more BLAS threads; on a busy machine
    # threads waiting for each other would make every step many times slower.
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    if args.data:
        train_x, train_y, test_x, test_y = load_mnist_split(args.data)
    else:
        train_x, train_y, test_x, test_y = load_digits_split(args.seed)
    train_x, test_x = standardise(train_x, test_x)
    loader = DataLoader(TensorDataset(train_x, train_y), batch_size=args.batch_size, shuffle=True)

    model = build_model(train_x.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_function = nn.CrossEntropyLoss(label_smoothing=0.1)
    start_epoch, curves = 0, {name: [] for name in CURVES}
    if args.resume:
        checkpoint = torch.load(args.checkpoint)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        torch.set_rng_state(checkpoint["rng_state"])
        start_epoch, curves = checkpoint["epoch"], checkpoint["curves"]
        print(f"resumed from {args.checkpoint} after epoch {start_epoch}")

    remaining_epochs = max(args.epochs - start_epoch, 0)
    progress = tqdm(total=len(loader) * remaining_epochs, unit="batch", disable=not remaining_epochs)
    for epoch in range(start_epoch, args.epochs):
        progress.set_description(f"epoch {epoch + 1}/{args.epochs}")
        loss_sum, correct, seen = 0.0, 0, 0
        for x, y in loader:
            logits = model(x)
            loss = loss_function(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += len(y)
            progress.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.2%}", refresh=False)
            progress.update()
        test_loss, test_accuracy = evaluate(model, test_x, test_y, loss_function)
        for name, value in zip(CURVES, (loss_sum / seen, correct / seen, test_loss, test_accuracy)):
            curves[name].append(value)
        save_checkpoint(args.checkpoint, model, optimizer, epoch + 1, curves)
    progress.close()

    _, test_accuracy = evaluate(model, test_x, test_y, loss_function)
    print(f"test accuracy: {test_accuracy:.2%} on {len(test_y)} images")
    print(f"checkpoint: {args.checkpoint}")
    if curves["train_loss"]:
        plot_curves(args.plot, curves)
        print(f"plot: {args.plot}")
    return curves


if __name__ == "__main__":
    main()
