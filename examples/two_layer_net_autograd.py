"""Lecture 9: the two-layer ReLU network again, with gradients from autograd.

The weights are created with requires_grad=True, so the forward pass records a graph
and `loss.backward()` fills `w1.grad` and `w2.grad`. The update runs under
`torch.no_grad()` so it is not recorded, and the gradients are zeroed afterwards
because backward accumulates into `.grad`.
"""
import spindle as torch


def main(steps=500, print_every=100):
    """Train for `steps` steps and return the loss of every step."""
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)
    w1 = torch.randn(D_in, H, requires_grad=True)
    w2 = torch.randn(H, D_out, requires_grad=True)

    learning_rate = 1e-6
    losses = []
    for t in range(steps):
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        if print_every and t % print_every == 0:
            print(t, loss.item())

        loss.backward()
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    return losses


if __name__ == "__main__":
    main()
