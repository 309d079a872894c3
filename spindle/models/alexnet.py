"""AlexNet as torchvision builds it (the "one weird trick" variant), with its module names."""
import spindle
from spindle import nn

from ._weights import build_model, published_weights

__all__ = ["AlexNet", "AlexNet_Weights", "alexnet"]


class AlexNet(nn.Module):
    """Five convolutions with max pooling, adaptive average pooling to 6x6 and a three-layer classifier
    with dropout. Input (N, 3, H, W), H and W at least 63 (224 for the published weights); output
    (N, num_classes) logits."""

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = spindle.flatten(x, 1)
        return self.classifier(x)


AlexNet_Weights = published_weights("AlexNet_Weights", "alexnet-owt-7be5be79.pth")


def alexnet(weights=None, progress=True, *, pretrained=False, **kwargs):
    """AlexNet; ``weights``: None, an ``AlexNet_Weights`` member or name ("DEFAULT"), or a checkpoint path.
    ``pretrained=True`` (deprecated) means ``AlexNet_Weights.IMAGENET1K_V1``."""
    return build_model(AlexNet, weights, pretrained, AlexNet_Weights, kwargs)
