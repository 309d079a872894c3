"""The lecture's two-layer net: N=64, 1000-100-10, ReLU, mean squared error, Adam.

One step is the forward pass, backward, and a `torch.optim.Adam` update (lr 1e-4,
PyTorch's defaults otherwise) that clears the gradients after. The layers are plain
weight and bias tensors with nn.Linear's initialisation, so the step times the core's
ops and the optimizer without any Module overhead.
"""
import math


def setup(torch):
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)
    w1, b1 = linear_parameters(torch, D_in, H)
    w2, b2 = linear_parameters(torch, H, D_out)
    optimizer = torch.optim.Adam([w1, b1, w2, b2], lr=1e-4)

    def step():
        y_pred = (x.mm(w1) + b1).clamp(min=0).mm(w2) + b2
        loss = (y_pred - y).pow(2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    return step


def linear_parameters(torch, fan_in, fan_out):
    """Weight (fan_in, fan_out) and bias (fan_out,) drawn like nn.Linear's."""
    bound = 1 / math.sqrt(fan_in)
    weight = (torch.rand(fan_in, fan_out) * 2 - 1) * bound
    bias = (torch.rand(fan_out) * 2 - 1) * bound
    return weight.requires_grad_(), bias.requires_grad_()
