"""Lecture 9: a dynamic computation graph.

The second-layer weight is chosen by ordinary Python control flow from the loss of the
previous step, so the graph can differ from one step to the next. (The model makes no
sense; it only shows that the graph is rebuilt on every forward pass.)
"""
import spindle as torch


def main(steps=500, print_every=100):
    """Train for `steps` steps and return the loss of every step."""
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)
    w1 = torch.randn(D_in, H, requires_grad=True)
    w2a = torch.randn(H, D_out, requires_grad=True)
    w2b = torch.randn(H, D_out, requires_grad=True)

    learning_rate = 1e-6
    prev_loss = 5.0
    losses = []
    for t in range(steps):
        # Decide which weight to use from the loss at the previous iteration.
        w2 = w2a if prev_loss < 5.0 else w2b
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        if print_every and t % print_every == 0:
            print(t, loss.item(), "w2a" if w2 is w2a else "w2b")

        loss.backward()
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
        prev_loss = loss.item()
    return losses


if __name__ == "__main__":
    main()
