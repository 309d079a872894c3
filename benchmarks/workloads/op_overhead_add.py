"""Per-op overhead: one `a + b` on 2x2 float32 tensors, with and without requires_grad.

The arithmetic is four additions, so the time is the framework's own cost per op:
argument checks, dtype promotion, allocating the result and, with requires_grad,
recording the graph node. The harness's call of `step` (tens of nanoseconds) is
included for both frameworks.
"""

VARIANTS = [{"requires_grad": False}, {"requires_grad": True}]


def setup(torch, requires_grad):
    a = torch.randn(2, 2, requires_grad=requires_grad)
    b = torch.randn(2, 2, requires_grad=requires_grad)

    def step():
        return a + b

    return step
