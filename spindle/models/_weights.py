"""Pretrained weights: torchvision's published checkpoints, looked up in a local folder.

Each architecture has an enum of its weights with torchvision's names (``ResNet18_Weights.IMAGENET1K_V1``,
``.DEFAULT``), whose files keep torchvision's names (``resnet18-f37072fd.pth``). Nothing is downloaded:
a file is read from the weights folder, ``$SPINDLE_HOME`` (default ``~/.cache/spindle``), with
``spindle.load`` (PyTorch's zip checkpoints and safetensors alike), and a missing file is an error that
names it and the folder. A builder's ``weights=`` may also be a path to a local checkpoint.
"""
import enum
import os
import warnings
from typing import NamedTuple

import spindle
from spindle.backend.home import spindle_home

__all__ = ["Weights", "WeightsEnum", "weights_folder"]

PUBLISHED_AT = "https://download.pytorch.org/models/"


def weights_folder():
    """The folder pretrained weight files are read from: ``$SPINDLE_HOME``, else ``~/.cache/spindle``."""
    return spindle_home()


class Weights(NamedTuple):
    """One published checkpoint: where torchvision publishes it, and the classes its head predicts."""

    url: str
    num_classes: int = 1000

    @property
    def file_name(self):
        return self.url.rsplit("/", 1)[-1]


class WeightsEnum(enum.Enum):
    """Base of the per-architecture weight enums; members are ``Weights`` (``DEFAULT`` is an alias)."""

    @property
    def url(self):
        return self.value.url

    @property
    def file_name(self):
        return self.value.file_name

    @property
    def num_classes(self):
        return self.value.num_classes

    @property
    def path(self):
        """Where the file is expected: the weights folder joined with torchvision's file name."""
        return os.path.join(weights_folder(), self.file_name)

    def get_state_dict(self, progress=True, check_hash=False):
        """The checkpoint's state dict, read from ``path``; FileNotFoundError naming the file and the
        folder if it is not there (``progress`` and ``check_hash`` are accepted for torchvision's API)."""
        if not os.path.isfile(self.path):
            folder = weights_folder()
            raise FileNotFoundError(
                f"pretrained weights {type(self).__name__}.{self.name} need the file '{self.file_name}' in the "
                f"weights folder '{folder}', and it is not there. Spindle downloads nothing: fetch {self.url} where "
                f"there is network access and copy it to '{self.path}' (or set SPINDLE_HOME to the folder that "
                "holds it)."
            )
        return spindle.load(self.path)


def published_weights(enum_name, file_v1, file_v2=None):
    """A weights enum with torchvision's members: IMAGENET1K_V1, IMAGENET1K_V2 when published, and
    DEFAULT (the newest), for files named as torchvision publishes them."""
    members = {"IMAGENET1K_V1": Weights(PUBLISHED_AT + file_v1)}
    if file_v2 is not None:
        members["IMAGENET1K_V2"] = Weights(PUBLISHED_AT + file_v2)
    members["DEFAULT"] = members["IMAGENET1K_V2" if file_v2 else "IMAGENET1K_V1"]
    return WeightsEnum(enum_name, members)


def resolve_weights(weights, pretrained, weights_enum):
    """What a model builder was asked to load: None, a member of ``weights_enum`` (given as the member,
    its name such as ``"DEFAULT"``, or ``pretrained=True`` meaning ``IMAGENET1K_V1``), or a local path."""
    if isinstance(weights, bool):  # torchvision's legacy positional ``resnet18(True)``
        weights, pretrained = None, weights or pretrained
    if pretrained:
        if weights is not None:
            raise ValueError("pass either 'weights' or the deprecated 'pretrained', not both")
        warnings.warn(
            "The parameter 'pretrained' is deprecated, please use 'weights' instead "
            f"(pretrained=True means weights={weights_enum.__name__}.IMAGENET1K_V1).",
            UserWarning,
            stacklevel=3,
        )
        return weights_enum.IMAGENET1K_V1
    if weights is None or isinstance(weights, weights_enum):
        return weights
    if isinstance(weights, WeightsEnum):
        raise ValueError(f"weights {weights} are not weights of this model (expected {weights_enum.__name__})")
    if isinstance(weights, str) and weights in weights_enum.__members__:
        return weights_enum[weights]
    if isinstance(weights, (str, os.PathLike)):
        return os.fspath(weights)
    raise TypeError(f"weights must be None, a {weights_enum.__name__} member or name, or a file path; got {weights!r}")


def build_model(make_model, weights, pretrained, weights_enum, kwargs):
    """``make_model(**kwargs)``, then load the asked-for weights into it (strict). Published weights fix
    ``num_classes`` to their own, as in torchvision."""
    weights = resolve_weights(weights, pretrained, weights_enum)
    state_dict = None
    # The checkpoint is read first, so that a missing or refused file fails before a big model is built.
    if isinstance(weights, WeightsEnum):
        expected = weights.num_classes
        if kwargs.get("num_classes", expected) != expected:
            raise ValueError(
                f"The parameter 'num_classes' expected value {expected} but got {kwargs['num_classes']} instead."
            )
        kwargs["num_classes"] = expected
        state_dict = weights.get_state_dict()
    elif weights is not None:
        if not os.path.isfile(weights):
            raise FileNotFoundError(f"weights file '{weights}' does not exist")
        state_dict = spindle.load(weights)
        if not isinstance(state_dict, dict):
            raise TypeError(f"weights file '{weights}' holds a {type(state_dict).__name__}, not a state dict")
    model = make_model(**kwargs)
    if state_dict is not None:
        model.load_state_dict(state_dict)
    return model
