"""Graph overhead: forward and backward through a chain of 10 ops on 4x4 tensors.

The tensors are tiny, so the time is what the framework spends per op recording the
graph, walking it backward and accumulating gradients into the two leaves.
"""


def setup(torch):
    x = torch.randn(4, 4, requires_grad=True)
    w = torch.randn(4, 4, requires_grad=True)

    def step():
        h = x * w
        h = h + 1.0
        h = h.tanh()
        h = h * 2.0
        h = h - x
        h = h.exp()
        h = h / 3.0
        h = h.relu()
        h = h.pow(2)
        h.sum().backward()

    return step
