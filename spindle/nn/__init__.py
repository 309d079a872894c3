"""``spindle.nn``: modules (layers, containers, losses), ``Parameter``, ``functional``, ``init`` and
``utils``, with PyTorch's names and behaviour."""
from .parameter import Buffer, Parameter
from .modules import *  # noqa: F401,F403
from . import functional, init, utils
