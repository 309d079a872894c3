"""``spindle.nn.functional`` (``F``): the stateless forms of the layers and losses.

One file per family; adding a family (conv, pooling, attention...) is adding its file, with an
``__all__``, and one import line here.
"""
from .activation import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
