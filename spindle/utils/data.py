"""``spindle.utils.data``: the same module as :mod:`spindle.data`, under the path
PyTorch scripts use (``from torch.utils.data import DataLoader``,
``from torch.utils.data.sampler import SubsetRandomSampler``)."""

import sys

import spindle.data

# Register the module objects themselves, not copies of their names: importing a
# submodule through this path must not load a second copy of its classes (an
# IterableDataset from one copy would not be an IterableDataset to the other).
for _name, _module in list(sys.modules.items()):
    if _name.startswith("spindle.data."):
        sys.modules["spindle.utils.data." + _name[len("spindle.data.") :]] = _module
sys.modules[__name__] = spindle.data
