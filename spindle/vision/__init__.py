"""``spindle.vision``: torchvision's namespaces, so that ``import spindle.vision as torchvision`` finds
``models`` (``spindle.models``), ``datasets`` and ``transforms`` (``spindle.data``'s)."""
import sys

from spindle import models
from spindle.data import datasets, transforms

__all__ = ["datasets", "models", "transforms"]

# ``import spindle.vision.models`` and ``from spindle.vision.models import resnet18`` find the same modules.
for _name in __all__:
    sys.modules[f"{__name__}.{_name}"] = globals()[_name]
del _name
