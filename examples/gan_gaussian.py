"""Lecture 17: a generative adversarial network that learns a 2-D Gaussian.

The data are 3200 points x = z @ A + mu with z ~ N(0, I), so x ~ N(mu, A^T A). The
generator is one linear layer of 2-D noise; the discriminator a 2-20-10-2 perceptron
trained with the softmax (cross-entropy) loss to tell real points (label 1) from
generated ones (label 0). Each step updates the discriminator on a batch of real and
detached generated points, then the generator to make the discriminator answer 1 on
its points. Both use Adam with lr 0.01. At the end the program compares the mean and
covariance of generated points with the data's.
"""
import numpy as np

import spindle as torch


def main(steps=2000, batch_size=32, seed=0, print_every=500):
    """Train for `steps` steps; return (data mean, data covariance, sample mean, sample covariance)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    A = np.array([[1, 2], [-0.2, 0.5]])
    mu = np.array([2, 1])
    data = torch.tensor(rng.normal(0, 1, (3200, 2)) @ A + mu, dtype=torch.float32)

    generator = torch.nn.Sequential(torch.nn.Linear(2, 2))
    discriminator = torch.nn.Sequential(
        torch.nn.Linear(2, 20), torch.nn.ReLU(), torch.nn.Linear(20, 10), torch.nn.ReLU(), torch.nn.Linear(10, 2)
    )
    loss_function = torch.nn.CrossEntropyLoss()
    optimizer_g = torch.optim.Adam(generator.parameters(), lr=0.01)
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=0.01)
    real_label = torch.ones(batch_size, dtype=torch.long)
    fake_label = torch.zeros(batch_size, dtype=torch.long)

    for step in range(steps):
        begin = (batch_size * step) % len(data)
        real = data[begin : begin + batch_size]
        z = torch.randn(batch_size, 2)

        optimizer_d.zero_grad()
        fake = generator(z).detach()
        loss_d = loss_function(discriminator(real), real_label) + loss_function(discriminator(fake), fake_label)
        loss_d.backward()
        optimizer_d.step()

        optimizer_g.zero_grad()
        loss_g = loss_function(discriminator(generator(z)), real_label)
        loss_g.backward()
        optimizer_g.step()
        if print_every and step % print_every == 0:
            print(f"step {step:5d}  discriminator loss {loss_d.item():.3f}  generator loss {loss_g.item():.3f}")

    with torch.no_grad():
        samples = generator(torch.randn(len(data), 2)).numpy()
    points = data.numpy()
    result = points.mean(0), np.cov(points.T), samples.mean(0), np.cov(samples.T)
    print("data mean", np.round(result[0], 2), " generated mean", np.round(result[2], 2))
    print("data covariance\n", np.round(result[1], 2), "\ngenerated covariance\n", np.round(result[3], 2))
    return result


if __name__ == "__main__":
    main()
