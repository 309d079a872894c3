"""ResNets as torchvision builds them (module names, shapes and initialization), so torchvision's
state dicts load with ``strict=True``: ResNet-18/34/50/101/152, ResNeXt and Wide ResNet."""
import spindle
from spindle import nn

from ._weights import build_model, published_weights

__all__ = [
    "BasicBlock", "Bottleneck", "ResNet", "make_layer",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2",
    "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "ResNet101_Weights", "ResNet152_Weights",
    "ResNeXt50_32X4D_Weights", "ResNeXt101_32X8D_Weights", "ResNeXt101_64X4D_Weights",
    "Wide_ResNet50_2_Weights", "Wide_ResNet101_2_Weights",
]


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    """3x3 convolution with padding, no bias (a BatchNorm follows)."""
    return nn.Conv2d(
        in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups, bias=False,
        dilation=dilation,
    )


def conv1x1(in_planes, out_planes, stride=1):
    """1x1 convolution, no bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm and ReLU, plus the shortcut (``downsample`` when the shape
    changes): (N, inplanes, H, W) -> (N, planes, H / stride, W / stride)."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided, grouped), 1x1 expand by 4, each with BatchNorm, plus the shortcut:
    (N, inplanes, H, W) -> (N, 4 * planes, H / stride, W / stride). The stride sits on the 3x3
    convolution (ResNet v1.5), as in torchvision."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += identity
        return self.relu(out)


def make_layer(block, inplanes, planes, blocks, stride=1, norm_layer=None, groups=1, base_width=64, dilation=1,
               previous_dilation=1):
    """One stage of ``blocks`` blocks; the first one strides and gets a 1x1 convolution + BatchNorm
    shortcut when the shape changes. Returns the stage (``nn.Sequential``) and its output channels."""
    norm_layer = norm_layer or nn.BatchNorm2d
    downsample = None
    if stride != 1 or inplanes != planes * block.expansion:
        downsample = nn.Sequential(
            conv1x1(inplanes, planes * block.expansion, stride), norm_layer(planes * block.expansion)
        )
    layers = [block(inplanes, planes, stride, downsample, groups, base_width, previous_dilation, norm_layer)]
    inplanes = planes * block.expansion
    for _ in range(1, blocks):
        layers.append(
            block(inplanes, planes, groups=groups, base_width=base_width, dilation=dilation, norm_layer=norm_layer)
        )
    return nn.Sequential(*layers), inplanes


def initialize_resnet(model, zero_init_residual):
    """torchvision's initialization: convolutions kaiming_normal_(fan_out, relu), norms weight 1 and bias
    0; with ``zero_init_residual`` each block's last norm starts at 0, so blocks start as identities."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.constant_(module.weight, 1)
            nn.init.constant_(module.bias, 0)
    if zero_init_residual:
        for module in model.modules():
            if isinstance(module, Bottleneck) and module.bn3.weight is not None:
                nn.init.constant_(module.bn3.weight, 0)
            elif isinstance(module, BasicBlock) and module.bn2.weight is not None:
                nn.init.constant_(module.bn2.weight, 0)


class ResNet(nn.Module):
    """A 7x7 stride-2 stem with max pooling, four stages of ``block`` (64, 128, 256, 512 planes; the
    last three stride 2, or dilate per ``replace_stride_with_dilation``), global average pooling and a
    linear classifier. Input (N, 3, H, W); output (N, num_classes) logits."""

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64,
                 replace_stride_with_dilation=None, norm_layer=None):
        super().__init__()
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError(
                "replace_stride_with_dilation should be None or a 3-element tuple, got "
                f"{replace_stride_with_dilation}"
            )
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        initialize_resnet(self, zero_init_residual)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        stage, self.inplanes = make_layer(
            block, self.inplanes, planes, blocks, stride, self._norm_layer, self.groups, self.base_width,
            self.dilation, previous_dilation,
        )
        return stage

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = spindle.flatten(self.avgpool(x), 1)
        return self.fc(x)


ResNet18_Weights = published_weights("ResNet18_Weights", "resnet18-f37072fd.pth")
ResNet34_Weights = published_weights("ResNet34_Weights", "resnet34-b627a593.pth")
ResNet50_Weights = published_weights("ResNet50_Weights", "resnet50-0676ba61.pth", "resnet50-11ad3fa6.pth")
ResNet101_Weights = published_weights("ResNet101_Weights", "resnet101-63fe2227.pth", "resnet101-cd907fc2.pth")
ResNet152_Weights = published_weights("ResNet152_Weights", "resnet152-394f9c45.pth", "resnet152-f82ba261.pth")
ResNeXt50_32X4D_Weights = published_weights(
    "ResNeXt50_32X4D_Weights", "resnext50_32x4d-7cdf4587.pth", "resnext50_32x4d-1a0047aa.pth"
)
ResNeXt101_32X8D_Weights = published_weights(
    "ResNeXt101_32X8D_Weights", "resnext101_32x8d-8ba56ff5.pth", "resnext101_32x8d-110c445d.pth"
)
ResNeXt101_64X4D_Weights = published_weights("ResNeXt101_64X4D_Weights", "resnext101_64x4d-173b62eb.pth")
Wide_ResNet50_2_Weights = published_weights(
    "Wide_ResNet50_2_Weights", "wide_resnet50_2-95faca4d.pth", "wide_resnet50_2-9ba9bcbe.pth"
)
Wide_ResNet101_2_Weights = published_weights(
    "Wide_ResNet101_2_Weights", "wide_resnet101_2-32ee1156.pth", "wide_resnet101_2-d733dc28.pth"
)


def _resnet(block, layers, weights_enum, weights, pretrained, kwargs, **architecture):
    def make_model(**options):
        return ResNet(block, layers, **architecture, **options)

    return build_model(make_model, weights, pretrained, weights_enum, kwargs)


def resnet18(weights=None, progress=True, *, pretrained=False, **kwargs):
    """ResNet-18. ``weights``: None, a ``ResNet18_Weights`` member or name ("DEFAULT"), or a checkpoint
    path; ``pretrained=True`` (deprecated) means IMAGENET1K_V1. Other keywords go to ``ResNet``."""
    return _resnet(BasicBlock, [2, 2, 2, 2], ResNet18_Weights, weights, pretrained, kwargs)


def resnet34(weights=None, progress=True, *, pretrained=False, **kwargs):
    """ResNet-34; ``weights`` as for ``resnet18`` with ``ResNet34_Weights``."""
    return _resnet(BasicBlock, [3, 4, 6, 3], ResNet34_Weights, weights, pretrained, kwargs)


def resnet50(weights=None, progress=True, *, pretrained=False, **kwargs):
    """ResNet-50; ``weights`` as for ``resnet18`` with ``ResNet50_Weights`` (DEFAULT is IMAGENET1K_V2)."""
    return _resnet(Bottleneck, [3, 4, 6, 3], ResNet50_Weights, weights, pretrained, kwargs)


def resnet101(weights=None, progress=True, *, pretrained=False, **kwargs):
    """ResNet-101; ``weights`` as for ``resnet18`` with ``ResNet101_Weights`` (DEFAULT is IMAGENET1K_V2)."""
    return _resnet(Bottleneck, [3, 4, 23, 3], ResNet101_Weights, weights, pretrained, kwargs)


def resnet152(weights=None, progress=True, *, pretrained=False, **kwargs):
    """ResNet-152; ``weights`` as for ``resnet18`` with ``ResNet152_Weights`` (DEFAULT is IMAGENET1K_V2)."""
    return _resnet(Bottleneck, [3, 8, 36, 3], ResNet152_Weights, weights, pretrained, kwargs)


def resnext50_32x4d(weights=None, progress=True, *, pretrained=False, **kwargs):
    """ResNeXt-50 32x4d (grouped 3x3 convolutions: 32 groups of width 4)."""
    return _resnet(Bottleneck, [3, 4, 6, 3], ResNeXt50_32X4D_Weights, weights, pretrained, kwargs,
                   groups=32, width_per_group=4)


def resnext101_32x8d(weights=None, progress=True, *, pretrained=False, **kwargs):
    """ResNeXt-101 32x8d."""
    return _resnet(Bottleneck, [3, 4, 23, 3], ResNeXt101_32X8D_Weights, weights, pretrained, kwargs,
                   groups=32, width_per_group=8)


def resnext101_64x4d(weights=None, progress=True, *, pretrained=False, **kwargs):
    """ResNeXt-101 64x4d."""
    return _resnet(Bottleneck, [3, 4, 23, 3], ResNeXt101_64X4D_Weights, weights, pretrained, kwargs,
                   groups=64, width_per_group=4)


def wide_resnet50_2(weights=None, progress=True, *, pretrained=False, **kwargs):
    """Wide ResNet-50-2 (bottlenecks twice as wide)."""
    return _resnet(Bottleneck, [3, 4, 6, 3], Wide_ResNet50_2_Weights, weights, pretrained, kwargs,
                   width_per_group=128)


def wide_resnet101_2(weights=None, progress=True, *, pretrained=False, **kwargs):
    """Wide ResNet-101-2."""
    return _resnet(Bottleneck, [3, 4, 23, 3], Wide_ResNet101_2_Weights, weights, pretrained, kwargs,
                   width_per_group=128)
