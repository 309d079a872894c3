"""Lecture 9: custom Modules mixed with `nn.Sequential`, trained with Adam.

`ParallelBlock` runs two linear layers on the same input and multiplies their outputs;
`Sequential` stacks two such blocks and a final linear layer like any built-in layer.
"""
import spindle as torch

N, D_in, H, D_out = 64, 1000, 100, 10


class ParallelBlock(torch.nn.Module):
    """x (N, D_in) -> relu(linear1(x) * linear2(x)) (N, D_out)."""

    def __init__(self, D_in, D_out):
        super(ParallelBlock, self).__init__()
        self.linear1 = torch.nn.Linear(D_in, D_out)
        self.linear2 = torch.nn.Linear(D_in, D_out)

    def forward(self, x):
        h1 = self.linear1(x)
        h2 = self.linear2(x)
        return (h1 * h2).clamp(min=0)


def build_model():
    """Two ParallelBlocks and a Linear layer, from D_in to D_out features."""
    return torch.nn.Sequential(
        ParallelBlock(D_in, H),
        ParallelBlock(H, H),
        torch.nn.Linear(H, D_out),
    )


def main(steps=500, print_every=100):
    """Train for `steps` steps and return the loss of every step."""
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)
    model = build_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

    losses = []
    for t in range(steps):
        y_pred = model(x)
        loss = torch.nn.functional.mse_loss(y_pred, y)
        losses.append(loss.item())
        if print_every and t % print_every == 0:
            print(t, loss.item())

        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return losses


if __name__ == "__main__":
    main()
