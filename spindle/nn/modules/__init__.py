"""The layers of ``spindle.nn``, one family per file; adding a family is adding its file, with an
``__all__``, and one import line here."""
import types as _types

from .activation import *  # noqa: F401,F403
from .batchnorm import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .module import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .instancenorm import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .lazy import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .pixelshuffle import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403

# What ``spindle.nn`` star-imports: the layers only. Submodules (e.g. ``modules.utils``) stay out, so
# that they cannot shadow ``spindle.nn.utils`` and friends.
__all__ = [
    _name for _name, _value in list(globals().items())
    if not _name.startswith("_") and not isinstance(_value, _types.ModuleType)
]
