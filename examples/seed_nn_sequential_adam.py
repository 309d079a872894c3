"""Lecture 9: the two-layer net built from `nn` layers and trained with Adam.

`nn.Sequential` chains the layers and owns their weights; `model.parameters()` hands
those to `optim.Adam`, whose `step()` applies the update rule, and `zero_grad()` clears
the gradients that backward accumulated. `nn.functional.mse_loss` is the mean squared
error.
"""
import spindle as torch

N, D_in, H, D_out = 64, 1000, 100, 10


def build_model():
    """Linear -> ReLU -> Linear, from D_in to D_out features."""
    return torch.nn.Sequential(
        torch.nn.Linear(D_in, H),
        torch.nn.ReLU(),
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
