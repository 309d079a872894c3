"""Lecture 9: sigmoid as a custom autograd Function with its own backward.

Instead of letting autograd walk through neg, exp, add and reciprocal, `Sigmoid`
saves its output and computes the gradient in one step as grad * y * (1 - y).
"""
import spindle as torch


class Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = 1.0 / (1.0 + (-x).exp())
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_y):
        (y,) = ctx.saved_tensors
        grad_x = grad_y * y * (1.0 - y)
        return grad_x


def sigmoid(x):
    return Sigmoid.apply(x)


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
        y_pred = sigmoid(x.mm(w1)).mm(w2)
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
