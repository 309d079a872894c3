"""Lecture 9: a two-layer ReLU network trained with hand-written gradients.

Random data x (64, 1000) -> hidden (64, 100) -> prediction (64, 10), summed squared
error against random targets y, plain gradient descent. Every gradient is computed by
hand with matrix products, so only Tensor arithmetic is used, no autograd.
"""
import spindle as torch


def main(steps=500, print_every=100):
    """Train for `steps` steps and return the loss of every step."""
    device = torch.device("cpu")
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in, device=device)
    y = torch.randn(N, D_out, device=device)
    w1 = torch.randn(D_in, H, device=device)
    w2 = torch.randn(H, D_out, device=device)

    learning_rate = 1e-6
    losses = []
    for t in range(steps):
        h = x.mm(w1)
        h_relu = h.clamp(min=0)
        y_pred = h_relu.mm(w2)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        if print_every and t % print_every == 0:
            print(t, loss.item())

        # Backward pass by hand: the chain rule through mm, clamp and mm.
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h_relu = grad_y_pred.mm(w2.t())
        grad_h = grad_h_relu.clone()
        grad_h[h < 0] = 0
        grad_w1 = x.t().mm(grad_h)

        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    return losses


if __name__ == "__main__":
    main()
