"""``spindle.models``: ready-made networks. Vision models with torchvision's names, module names and
parameter shapes (AlexNet, VGG, ResNet and variants), so torchvision's published checkpoints load, and
ResNets for 32x32 images. Also reachable as ``spindle.vision.models``."""
from ._weights import Weights, WeightsEnum, weights_folder  # noqa: F401
from .alexnet import *  # noqa: F401,F403
from .cifar_resnet import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from .gpt import *  # noqa: F401,F403
from .lstm_lm import *  # noqa: F401,F403
