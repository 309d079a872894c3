"""VGG networks (configurations A, B, D, E, with or without BatchNorm) as torchvision builds them."""
import spindle
from spindle import nn

from ._weights import build_model, published_weights

__all__ = [
    "VGG", "make_layers", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights", "VGG16_BN_Weights",
    "VGG19_Weights", "VGG19_BN_Weights",
]

# Output channels of each 3x3 convolution; "M" is a 2x2 max pooling.
CONFIGURATIONS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    """``features`` (see ``make_layers``), adaptive average pooling to 7x7 and a three-layer classifier
    with dropout. Input (N, 3, H, W) with H, W at least 32; output (N, num_classes) logits. With
    ``init_weights`` convolutions get kaiming_normal_(fan_out, relu), linear layers N(0, 0.01)."""

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for module in self.modules():
                if isinstance(module, nn.Conv2d):
                    nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                    if module.bias is not None:
                        nn.init.constant_(module.bias, 0)
                elif isinstance(module, nn.BatchNorm2d):
                    nn.init.constant_(module.weight, 1)
                    nn.init.constant_(module.bias, 0)
                elif isinstance(module, nn.Linear):
                    nn.init.normal_(module.weight, 0, 0.01)
                    nn.init.constant_(module.bias, 0)

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = spindle.flatten(x, 1)
        return self.classifier(x)


def make_layers(configuration, batch_norm=False):
    """The convolutional part of a VGG: 3x3 convolutions (padding 1) with ReLU, optionally BatchNorm
    between them, and 2x2 max pooling at each "M" of ``configuration``."""
    layers = []
    in_channels = 3
    for item in configuration:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        convolution = nn.Conv2d(in_channels, item, kernel_size=3, padding=1)
        if batch_norm:
            layers += [convolution, nn.BatchNorm2d(item), nn.ReLU(inplace=True)]
        else:
            layers += [convolution, nn.ReLU(inplace=True)]
        in_channels = item
    return nn.Sequential(*layers)


VGG11_Weights = published_weights("VGG11_Weights", "vgg11-8a719046.pth")
VGG11_BN_Weights = published_weights("VGG11_BN_Weights", "vgg11_bn-6002323d.pth")
VGG13_Weights = published_weights("VGG13_Weights", "vgg13-19584684.pth")
VGG13_BN_Weights = published_weights("VGG13_BN_Weights", "vgg13_bn-abd245e5.pth")
VGG16_Weights = published_weights("VGG16_Weights", "vgg16-397923af.pth")
VGG16_BN_Weights = published_weights("VGG16_BN_Weights", "vgg16_bn-6c64b313.pth")
VGG19_Weights = published_weights("VGG19_Weights", "vgg19-dcbb9e9d.pth")
VGG19_BN_Weights = published_weights("VGG19_BN_Weights", "vgg19_bn-c79401a0.pth")


def _vgg(configuration, batch_norm, weights_enum, weights, pretrained, kwargs):
    def make_model(**options):
        if weights is not None or pretrained:
            options.setdefault("init_weights", False)  # the checkpoint overwrites them anyway
        return VGG(make_layers(CONFIGURATIONS[configuration], batch_norm), **options)

    return build_model(make_model, weights, pretrained, weights_enum, kwargs)


def vgg11(weights=None, progress=True, *, pretrained=False, **kwargs):
    """VGG-11 (configuration A). ``weights``: None, a ``VGG11_Weights`` member or name, or a checkpoint path."""
    return _vgg("A", False, VGG11_Weights, weights, pretrained, kwargs)


def vgg11_bn(weights=None, progress=True, *, pretrained=False, **kwargs):
    """VGG-11 with BatchNorm. ``weights``: None, a ``VGG11_BN_Weights`` member or name, or a checkpoint path."""
    return _vgg("A", True, VGG11_BN_Weights, weights, pretrained, kwargs)


def vgg13(weights=None, progress=True, *, pretrained=False, **kwargs):
    """VGG-13 (configuration B). ``weights``: None, a ``VGG13_Weights`` member or name, or a checkpoint path."""
    return _vgg("B", False, VGG13_Weights, weights, pretrained, kwargs)


def vgg13_bn(weights=None, progress=True, *, pretrained=False, **kwargs):
    """VGG-13 with BatchNorm. ``weights``: None, a ``VGG13_BN_Weights`` member or name, or a checkpoint path."""
    return _vgg("B", True, VGG13_BN_Weights, weights, pretrained, kwargs)


def vgg16(weights=None, progress=True, *, pretrained=False, **kwargs):
    """VGG-16 (configuration D). ``weights``: None, a ``VGG16_Weights`` member or name, or a checkpoint path."""
    return _vgg("D", False, VGG16_Weights, weights, pretrained, kwargs)


def vgg16_bn(weights=None, progress=True, *, pretrained=False, **kwargs):
    """VGG-16 with BatchNorm. ``weights``: None, a ``VGG16_BN_Weights`` member or name, or a checkpoint path."""
    return _vgg("D", True, VGG16_BN_Weights, weights, pretrained, kwargs)


def vgg19(weights=None, progress=True, *, pretrained=False, **kwargs):
    """VGG-19 (configuration E). ``weights``: None, a ``VGG19_Weights`` member or name, or a checkpoint path."""
    return _vgg("E", False, VGG19_Weights, weights, pretrained, kwargs)


def vgg19_bn(weights=None, progress=True, *, pretrained=False, **kwargs):
    """VGG-19 with BatchNorm. ``weights``: None, a ``VGG19_BN_Weights`` member or name, or a checkpoint path."""
    return _vgg("E", True, VGG19_BN_Weights, weights, pretrained, kwargs)
