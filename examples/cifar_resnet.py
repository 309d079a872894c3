"""Train a CIFAR-style ResNet with data augmentation (random crop with 4 pixels of padding,
horizontal flips) and report test accuracy.

With `--data FOLDER` the data are CIFAR-10's binary batches (`cifar-10-batches-bin`, or
the .bin files directly in FOLDER), normalized per channel. Without it the program
trains on scikit-learn's handwritten digits (8x8, upsampled to 32x32 with bilinear
interpolation; flips are left out, a mirrored digit being another symbol), so that it
runs anywhere in a minute or two. The network is `spindle.models.CifarResNet`
(ResNet-20 layout with 16-32-64 channels by default), trained with SGD, momentum 0.9,
weight decay 5e-4 and a cosine learning-rate schedule.
"""
import argparse

import spindle as torch
from spindle import models
from spindle.data import DataLoader, Dataset, TensorDataset, transforms
from spindle.data.datasets import CIFAR10
from spindle.nn import functional as F

CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


class Transformed(Dataset):
    """Applies ``transform`` to the image of each (image, label) sample of ``dataset``."""

    def __init__(self, dataset, transform):
        self.dataset, self.transform = dataset, transform

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        image, label = self.dataset[index]
        return self.transform(image), label


def cifar10(folder):
    """CIFAR-10 train and test sets as (3, 32, 32) normalized tensors; training images augmented."""
    normalize = [transforms.ToTensor(), transforms.Normalize(CIFAR_MEAN, CIFAR_STD)]
    train = CIFAR10(folder, train=True, transform=transforms.Compose(
        normalize + [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip()]
    ))
    return train, CIFAR10(folder, train=False, transform=transforms.Compose(normalize)), 3


def digits():
    """The scikit-learn digits as (1, 32, 32) tensors: 1500 for training (augmented), the rest for testing."""
    from sklearn.datasets import load_digits

    data = load_digits()
    images = torch.tensor(data.images, dtype=torch.float32).unsqueeze(1) / 16
    images = (F.interpolate(images, size=(32, 32), mode="bilinear", align_corners=False) - 0.5) / 0.5
    labels = torch.tensor(data.target)
    train = Transformed(TensorDataset(images[:1500], labels[:1500]), transforms.RandomCrop(32, padding=4))
    return train, TensorDataset(images[1500:], labels[1500:]), 1


def evaluate(model, loader):
    """Fraction of ``loader``'s samples that ``model`` classifies correctly."""
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(1) == labels).sum().item()
            total += len(labels)
    return correct / total


def main(data=None, epochs=2, batch_size=64, learning_rate=0.1, widths=(16, 32, 64), blocks=3, seed=0,
         max_steps=None):
    """Train for ``epochs`` epochs (or ``max_steps`` steps) and return the test accuracy."""
    torch.manual_seed(seed)
    train, test, channels = cifar10(data) if data else digits()
    train_loader = DataLoader(train, batch_size=batch_size, shuffle=True, drop_last=True)
    test_loader = DataLoader(test, batch_size=128)
    model = models.CifarResNet((blocks,) * 3, widths=widths, num_classes=10, in_channels=channels)
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9, weight_decay=5e-4)
    total_steps = epochs * len(train_loader) if max_steps is None else max_steps
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, total_steps)
    step = 0
    for epoch in range(epochs):
        model.train()
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            if step % 10 == 0:
                print(f"epoch {epoch}  step {step:4d}  loss {loss.item():.3f}", flush=True)
            if step == total_steps:
                break
        accuracy = evaluate(model, test_loader)
        print(f"epoch {epoch}: test accuracy {accuracy:.3f}", flush=True)
        if step == total_steps:
            break
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="folder with CIFAR-10's binary batches (default: digits)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--blocks", type=int, default=3, help="basic blocks per stage (3: ResNet-20)")
    arguments = parser.parse_args()
    main(arguments.data, arguments.epochs, arguments.batch_size, arguments.lr, blocks=arguments.blocks)
