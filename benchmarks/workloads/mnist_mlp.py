"""An MNIST-sized MLP: batch 128, 784-512-512-10, ReLU, cross-entropy, SGD with momentum.

One step is zero_grad, the forward pass through `nn.Sequential`, `F.cross_entropy` on
class indices, backward, and `torch.optim.SGD` (lr 0.01, momentum 0.9). The batch is
random pixels and labels: the time does not depend on the values.
"""


def setup(torch):
    batch, pixels, hidden, classes = 128, 784, 512, 10
    x = torch.rand(batch, pixels)
    y = torch.randint(0, classes, (batch,))
    model = torch.nn.Sequential(
        torch.nn.Linear(pixels, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, classes),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    return step
