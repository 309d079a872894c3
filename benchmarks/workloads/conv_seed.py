"""The lecture's convolution, forward: a 10x8x32x32 input with a 16x8x3x3 kernel, no padding.

One step is `F.conv2d(x, weight)` (no bias, stride 1), no autograd. The lecture times a
seven-loop version at 2500x and one matmul per kernel offset at 14x PyTorch's time;
Spindle's conv2d is im2col on a strided view plus one GEMM.
"""


def setup(torch):
    x = torch.randn(10, 8, 32, 32)
    weight = torch.randn(16, 8, 3, 3)

    def step():
        return torch.nn.functional.conv2d(x, weight)

    return step
