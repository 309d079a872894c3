"""ResNets for 32x32 images (He et al., 2016, section 4.2): a 3x3 stem without max pooling, three
stages of basic blocks, global average pooling and a linear classifier."""
import spindle
from spindle import nn

from .resnet import BasicBlock, initialize_resnet, make_layer

__all__ = ["CifarResNet", "cifar_resnet20", "cifar_resnet32", "cifar_resnet44", "cifar_resnet56", "cifar_resnet110"]


class CifarResNet(nn.Module):
    """Stem: 3x3 convolution to ``widths[0]`` channels, BatchNorm, ReLU. Then one stage per width (the
    first at stride 1, the others at stride 2) of ``layers[i]`` ``block``s, whose shortcuts are 1x1
    convolutions + BatchNorm where the shape changes; global average pooling; a linear layer.

    Input (N, in_channels, 32, 32) (any size works: the pooling is adaptive); output (N, num_classes)
    logits. ``widths=(16, 32, 64)`` is the paper's network; the benchmark uses (32, 64, 128).
    """

    def __init__(self, layers=(3, 3, 3), widths=(16, 32, 64), num_classes=10, in_channels=3, block=BasicBlock,
                 zero_init_residual=False, norm_layer=None):
        super().__init__()
        if len(layers) != len(widths):
            raise ValueError(f"one width per stage expected: got layers={layers} and widths={widths}")
        norm_layer = norm_layer or nn.BatchNorm2d
        self.conv1 = nn.Conv2d(in_channels, widths[0], kernel_size=3, padding=1, bias=False)
        self.bn1 = norm_layer(widths[0])
        self.relu = nn.ReLU(inplace=True)
        stages = []
        channels = widths[0]
        for index, (blocks, width) in enumerate(zip(layers, widths)):
            stage, channels = make_layer(block, channels, width, blocks, stride=1 if index == 0 else 2,
                                         norm_layer=norm_layer)
            stages.append(stage)
        self.layers = nn.Sequential(*stages)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(channels, num_classes)
        initialize_resnet(self, zero_init_residual)

    def forward(self, x):
        x = self.layers(self.relu(self.bn1(self.conv1(x))))
        return self.fc(spindle.flatten(self.avgpool(x), 1))


def cifar_resnet20(**kwargs):
    """ResNet-20 for CIFAR (3 blocks per stage); keywords go to ``CifarResNet``."""
    return CifarResNet((3, 3, 3), **kwargs)


def cifar_resnet32(**kwargs):
    """ResNet-32 for CIFAR (5 blocks per stage)."""
    return CifarResNet((5, 5, 5), **kwargs)


def cifar_resnet44(**kwargs):
    """ResNet-44 for CIFAR (7 blocks per stage)."""
    return CifarResNet((7, 7, 7), **kwargs)


def cifar_resnet56(**kwargs):
    """ResNet-56 for CIFAR (9 blocks per stage)."""
    return CifarResNet((9, 9, 9), **kwargs)


def cifar_resnet110(**kwargs):
    """ResNet-110 for CIFAR (18 blocks per stage)."""
    return CifarResNet((18, 18, 18), **kwargs)
