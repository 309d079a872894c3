"""Lecture 9: the two-layer net as a custom `nn.Module`, trained with SGD.

Assigning `nn.Linear` layers to attributes in `__init__` registers them, so
`model.parameters()` finds their weights; `forward` says how they are used, and
calling `model(x)` runs it.
"""
import spindle as torch

N, D_in, H, D_out = 64, 1000, 100, 10


class TwoLayerNet(torch.nn.Module):
    """x (N, D_in) -> linear1 -> ReLU (as clamp) -> linear2 -> (N, D_out)."""

    def __init__(self, D_in, H, D_out):
        super(TwoLayerNet, self).__init__()
        self.linear1 = torch.nn.Linear(D_in, H)
        self.linear2 = torch.nn.Linear(H, D_out)

    def forward(self, x):
        h_relu = self.linear1(x).clamp(min=0)
        y_pred = self.linear2(h_relu)
        return y_pred


def build_model():
    """The TwoLayerNet for the lecture's sizes."""
    return TwoLayerNet(D_in, H, D_out)


def main(steps=500, print_every=100):
    """Train for `steps` steps and return the loss of every step."""
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)
    model = build_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)

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
