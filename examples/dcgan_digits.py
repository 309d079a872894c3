"""A DCGAN (Radford et al., 2016) that learns to draw handwritten digits.

The data are scikit-learn's 1797 digits (8x8 pixels, values 0..16), upsampled to 16x16
with bilinear interpolation and scaled to [-1, 1]. The generator maps 16-D noise to an
image with transposed convolutions (1x1 -> 4x4 -> 8x8 -> 16x16), BatchNorm and ReLU,
and a tanh; the discriminator mirrors it with strided convolutions, BatchNorm and
LeakyReLU and outputs one logit. Both train with Adam (lr 2e-4, betas (0.5, 0.999)) on
the binary cross-entropy of "real" against "generated". The program prints the losses
and the discriminator's mean output on real and generated images; with `--samples
FILE.png` it also saves a grid of generated digits (needs matplotlib).
"""
import argparse

import numpy as np

import spindle as torch
from spindle import nn
from spindle.nn import functional as F


def load_digits_16x16():
    """The scikit-learn digits as a (1797, 1, 16, 16) float tensor in [-1, 1]."""
    from sklearn.datasets import load_digits

    images = torch.tensor(load_digits().images, dtype=torch.float32).unsqueeze(1) / 16
    images = F.interpolate(images, size=(16, 16), mode="bilinear", align_corners=False)
    return images * 2 - 1


def generator(noise_size=16, width=64):
    return nn.Sequential(
        nn.ConvTranspose2d(noise_size, width, 4, 1, 0, bias=False),  # 1x1 -> 4x4
        nn.BatchNorm2d(width),
        nn.ReLU(True),
        nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),  # -> 8x8
        nn.BatchNorm2d(width // 2),
        nn.ReLU(True),
        nn.ConvTranspose2d(width // 2, 1, 4, 2, 1, bias=False),  # -> 16x16
        nn.Tanh(),
    )


def discriminator(width=64):
    return nn.Sequential(
        nn.Conv2d(1, width // 2, 4, 2, 1, bias=False),  # 16x16 -> 8x8
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(width // 2, width, 4, 2, 1, bias=False),  # -> 4x4
        nn.BatchNorm2d(width),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(width, 1, 4, 1, 0, bias=False),  # -> 1x1: one logit
        nn.Flatten(0),
    )


def initialize(module):
    """DCGAN's initialization: convolutions N(0, 0.02), BatchNorm weights N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def main(steps=300, batch_size=64, noise_size=16, seed=0, print_every=50, samples=None):
    """Train for `steps` steps; return the discriminator's mean probability of "real" on the last
    real and generated batches."""
    torch.manual_seed(seed)
    images = load_digits_16x16()
    net_g, net_d = generator(noise_size), discriminator()
    net_g.apply(initialize)
    net_d.apply(initialize)
    optimizer_g = torch.optim.Adam(net_g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizer_d = torch.optim.Adam(net_d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real_label, fake_label = torch.ones(batch_size), torch.zeros(batch_size)

    for step in range(steps):
        real = images[torch.randint(0, len(images), (batch_size,))]
        fake = net_g(torch.randn(batch_size, noise_size, 1, 1))

        optimizer_d.zero_grad()
        real_logits, fake_logits = net_d(real), net_d(fake.detach())
        loss_d = (F.binary_cross_entropy_with_logits(real_logits, real_label)
                  + F.binary_cross_entropy_with_logits(fake_logits, fake_label))
        loss_d.backward()
        optimizer_d.step()

        optimizer_g.zero_grad()
        loss_g = F.binary_cross_entropy_with_logits(net_d(fake), real_label)
        loss_g.backward()
        optimizer_g.step()

        real_score, fake_score = real_logits.sigmoid().mean().item(), fake_logits.sigmoid().mean().item()
        if print_every and (step % print_every == 0 or step == steps - 1):
            print(f"step {step:4d}  loss D {loss_d.item():.3f}  loss G {loss_g.item():.3f}  "
                  f"D(real) {real_score:.2f}  D(generated) {fake_score:.2f}")
    if samples:
        save_grid(net_g.eval()(torch.randn(64, noise_size, 1, 1)), samples)
    return real_score, fake_score


def save_grid(images, path):
    """Save 64 images (N, 1, H, W) in [-1, 1] as an 8x8 grid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pixels = images.detach().numpy()[:, 0]
    rows = [np.concatenate(list(pixels[row * 8 : row * 8 + 8]), axis=1) for row in range(8)]
    plt.imsave(path, np.concatenate(rows, axis=0), cmap="gray_r", vmin=-1, vmax=1)
    print("saved", path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--samples", help="save a grid of generated digits to this PNG file")
    arguments = parser.parse_args()
    main(arguments.steps, arguments.batch_size, samples=arguments.samples)
