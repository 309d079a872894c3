"""The vision model zoo against reference networks built here with ``torch.nn`` after torchvision's
published architectures and key names (torchvision itself is not installed).

The reference weights are made by PyTorch, saved with ``torch.save`` (a .pth zip checkpoint) and as
safetensors, and loaded by spindle's builders (``weights=<path>``) and by ``load_state_dict``
(strict); outputs must agree to 1e-4. Big models (ResNet-101/152, VGG-19) are checked by their state
dict keys and shapes only, to keep the suite fast. Also: the pretrained-weights lookup by torchvision's
file names in ``$SPINDLE_HOME``, its error when a file is missing, ``spindle.vision.models``, the CIFAR
ResNets, and the refusal of a checkpoint whose pickle would run code.
"""
import os

import numpy as np
import pytest
import safetensors.torch
import torch
from torch import nn

import spindle
import spindle.vision.models
from spindle import models

# ----------------------------------------------------------------- torchvision's architectures in torch.nn


def reference_alexnet(num_classes=1000):
    features = nn.Sequential(
        nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(True), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(True), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(True),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(True),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(3, 2),
    )
    classifier = nn.Sequential(
        nn.Dropout(), nn.Linear(256 * 36, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(True),
        nn.Linear(4096, num_classes),
    )
    model = nn.Module()
    model.features, model.avgpool, model.classifier = features, nn.AdaptiveAvgPool2d((6, 6)), classifier
    model.forward = lambda x: model.classifier(torch.flatten(model.avgpool(model.features(x)), 1))
    return model


VGG_CONFIGURATIONS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def reference_vgg(depth, batch_norm, num_classes=1000):
    layers, channels = [], 3
    for item in VGG_CONFIGURATIONS[depth]:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
            continue
        layers.append(nn.Conv2d(channels, item, 3, padding=1))
        layers += [nn.BatchNorm2d(item), nn.ReLU(True)] if batch_norm else [nn.ReLU(True)]
        channels = item
    model = nn.Module()
    model.features, model.avgpool = nn.Sequential(*layers), nn.AdaptiveAvgPool2d((7, 7))
    model.classifier = nn.Sequential(
        nn.Linear(512 * 49, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(),
        nn.Linear(4096, num_classes),
    )
    model.forward = lambda x: model.classifier(torch.flatten(model.avgpool(model.features(x)), 1))
    return model


class ReferenceBlock(nn.Module):
    """torchvision's BasicBlock (expansion 1) or Bottleneck (expansion 4, stride on the 3x3)."""

    def __init__(self, inplanes, planes, stride, bottleneck, groups=1, base_width=64):
        super().__init__()
        self.expansion = 4 if bottleneck else 1
        width = int(planes * base_width / 64) * groups if bottleneck else planes
        if bottleneck:
            self.conv1, self.bn1 = nn.Conv2d(inplanes, width, 1, bias=False), nn.BatchNorm2d(width)
            self.conv2 = nn.Conv2d(width, width, 3, stride, 1, groups=groups, bias=False)
            self.bn2 = nn.BatchNorm2d(width)
            self.conv3, self.bn3 = nn.Conv2d(width, planes * 4, 1, bias=False), nn.BatchNorm2d(planes * 4)
        else:
            self.conv1, self.bn1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False), nn.BatchNorm2d(planes)
            self.conv2, self.bn2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False), nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != planes * self.expansion:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes * self.expansion, 1, stride, bias=False), nn.BatchNorm2d(planes * self.expansion)
            )

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        if self.expansion == 4:
            out = self.bn3(self.conv3(self.relu(self.bn2(self.conv2(out)))))
        else:
            out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


def reference_resnet(layers, bottleneck, num_classes=1000, groups=1, width_per_group=64):
    model = nn.Module()
    model.conv1, model.bn1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64)
    model.relu, model.maxpool = nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)
    inplanes = 64
    for index, (blocks, planes) in enumerate(zip(layers, (64, 128, 256, 512))):
        stage = []
        for block in range(blocks):
            stride = 2 if index > 0 and block == 0 else 1
            stage.append(ReferenceBlock(inplanes, planes, stride, bottleneck, groups, width_per_group))
            inplanes = planes * (4 if bottleneck else 1)
        setattr(model, f"layer{index + 1}", nn.Sequential(*stage))
    model.avgpool, model.fc = nn.AdaptiveAvgPool2d((1, 1)), nn.Linear(inplanes, num_classes)

    def forward(x):
        x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        x = model.layer4(model.layer3(model.layer2(model.layer1(x))))
        return model.fc(torch.flatten(model.avgpool(x), 1))

    model.forward = forward
    return model


REFERENCES = {
    "alexnet": lambda: reference_alexnet(),
    "vgg11": lambda: reference_vgg(11, False),
    "vgg11_bn": lambda: reference_vgg(11, True),
    "vgg16": lambda: reference_vgg(16, False),
    "vgg16_bn": lambda: reference_vgg(16, True),
    "vgg19": lambda: reference_vgg(19, False),
    "resnet18": lambda: reference_resnet([2, 2, 2, 2], False),
    "resnet34": lambda: reference_resnet([3, 4, 6, 3], False),
    "resnet50": lambda: reference_resnet([3, 4, 6, 3], True),
    "resnet101": lambda: reference_resnet([3, 4, 23, 3], True),
    "resnet152": lambda: reference_resnet([3, 8, 36, 3], True),
    "resnext50_32x4d": lambda: reference_resnet([3, 4, 6, 3], True, groups=32, width_per_group=4),
    "wide_resnet50_2": lambda: reference_resnet([3, 4, 6, 3], True, width_per_group=128),
}

# ----------------------------------------------------------------- helpers


def randomized_reference(name, seed):
    """The reference network in evaluation mode with random weights and BatchNorm statistics."""
    torch.manual_seed(seed)
    model = REFERENCES[name]()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.1)
    return model.eval()


def assert_same_keys_and_shapes(ours, theirs):
    our_state, their_state = ours.state_dict(), theirs.state_dict()
    assert list(our_state) == list(their_state)
    for key, value in their_state.items():
        assert tuple(our_state[key].shape) == tuple(value.shape), key
        assert str(our_state[key].dtype).split(".")[-1] == str(value.dtype).split(".")[-1], key


def assert_same_outputs(ours, theirs, image):
    expected = theirs(torch.tensor(image)).detach().numpy()
    with spindle.no_grad():
        actual = ours(spindle.tensor(image)).numpy()
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() <= 1e-4


def save_checkpoints(model, folder, formats):
    """The reference weights as a .pth zip checkpoint (``torch.save``) and/or as safetensors: their paths."""
    state = model.state_dict()
    paths = {"pth": os.path.join(folder, "weights.pth"), "safetensors": os.path.join(folder, "weights.safetensors")}
    if "pth" in formats:
        torch.save(state, paths["pth"])
    if "safetensors" in formats:
        safetensors.torch.save_file({key: value.contiguous() for key, value in state.items()}, paths["safetensors"])
    return [paths[name] for name in formats]


# ----------------------------------------------------------------- tests

# Every model is checked on its state dict; these also run forward (input size, checkpoint formats).
# VGG checkpoints are half a gigabyte: one format each keeps the suite fast.
FORWARD_CHECKED = {
    "alexnet": (64, ("pth", "safetensors")),
    "vgg11_bn": (32, ("pth",)),
    "vgg16": (32, ("safetensors",)),
    "resnet18": (64, ("pth", "safetensors")),
    "resnet50": (64, ("pth", "safetensors")),
}


@pytest.fixture
def skip_initialization(monkeypatch):
    """Spindle's layers keep their uninitialized parameters: only shapes matter, or a checkpoint
    overwrites them (initializing VGG's 100M-weight layers would dominate the test's time)."""
    for name in ("uniform_", "normal_", "kaiming_uniform_", "kaiming_normal_", "constant_"):
        monkeypatch.setattr(spindle.nn.init, name, lambda tensor, *args, **kwargs: tensor)


@pytest.mark.parametrize("name", list(REFERENCES))
def test_state_dict_keys_and_shapes_match_torchvision(skip_initialization, name):
    with torch.device("meta"):
        reference = REFERENCES[name]()
    assert_same_keys_and_shapes(getattr(models, name)(), reference)


@pytest.mark.parametrize("name", list(FORWARD_CHECKED))
def test_forward_matches_torch_from_pth_and_safetensors(tmp_path, rng, seed, skip_initialization, name):
    reference = randomized_reference(name, seed % 2**31)
    size, formats = FORWARD_CHECKED[name]
    image = rng.standard_normal((1, 3, size, size)).astype(np.float32)
    paths = save_checkpoints(reference, tmp_path, formats)
    # The builder reads the first file; the second goes through spindle.load and a strict load_state_dict.
    assert_same_outputs(getattr(models, name)(weights=paths[0]).eval(), reference, image)
    for path in paths[1:]:
        loaded = getattr(models, name)().eval()
        loaded.load_state_dict(spindle.load(path), strict=True)
        assert_same_outputs(loaded, reference, image)


def test_resnet18_gradients_match_torch_from_the_same_weights(tmp_path, rng):
    # Evaluation mode: BatchNorm uses its running statistics, so gradients are well conditioned and
    # every convolution, pooling and shortcut is checked backward.
    reference = randomized_reference("resnet18", 0)
    ours = models.resnet18(weights=save_checkpoints(reference, tmp_path, ["pth"])[0]).eval()
    image = rng.standard_normal((2, 3, 48, 48)).astype(np.float32)
    labels = [1, 7]
    losses = []
    for framework, model in ((torch, reference), (spindle, ours)):
        loss = framework.nn.functional.cross_entropy(model(framework.tensor(image)), framework.tensor(labels))
        loss.backward()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-4)
    for (name, theirs), (_, mine) in zip(reference.named_parameters(), ours.named_parameters()):
        scale = theirs.grad.abs().max().item()
        assert np.abs(mine.grad.numpy() - theirs.grad.numpy()).max() <= 1e-4 * scale + 1e-7, name
    # Training mode (batch statistics): the same loss.
    reference.train(), ours.train()
    batch = rng.standard_normal((4, 3, 64, 64)).astype(np.float32)
    expected = reference(torch.tensor(batch)).detach().numpy()
    actual = ours(spindle.tensor(batch)).detach().numpy()
    assert np.abs(actual - expected).max() <= 1e-3 * np.abs(expected).max()


@pytest.mark.parametrize("builder, weights, file_name", [
    ("resnet18", "DEFAULT", "resnet18-f37072fd.pth"),
    ("resnet50", "DEFAULT", "resnet50-11ad3fa6.pth"),
    ("resnet50", "IMAGENET1K_V1", "resnet50-0676ba61.pth"),
    ("resnet101", models.ResNet101_Weights.IMAGENET1K_V2, "resnet101-cd907fc2.pth"),
    ("resnet152", "DEFAULT", "resnet152-f82ba261.pth"),
    ("alexnet", "DEFAULT", "alexnet-owt-7be5be79.pth"),
    ("vgg11", "DEFAULT", "vgg11-8a719046.pth"),
    ("vgg16", "DEFAULT", "vgg16-397923af.pth"),
    ("vgg19", "DEFAULT", "vgg19-dcbb9e9d.pth"),
    ("vgg11_bn", "DEFAULT", "vgg11_bn-6002323d.pth"),
    ("vgg16_bn", "DEFAULT", "vgg16_bn-6c64b313.pth"),
])
def test_missing_pretrained_file_names_the_file_and_folder(tmp_path, monkeypatch, builder, weights, file_name):
    monkeypatch.setenv("SPINDLE_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError) as error:
        getattr(models, builder)(weights=weights)
    assert file_name in str(error.value) and str(tmp_path) in str(error.value)


def test_pretrained_weights_load_from_the_weights_folder(tmp_path, monkeypatch, rng):
    monkeypatch.setenv("SPINDLE_HOME", str(tmp_path))
    reference = randomized_reference("resnet18", 1)
    torch.save(reference.state_dict(), tmp_path / "resnet18-f37072fd.pth")
    image = rng.standard_normal((1, 3, 40, 40)).astype(np.float32)
    with pytest.warns(UserWarning, match="pretrained"):
        legacy = spindle.vision.models.resnet18(pretrained=True)
    for model in (legacy, models.resnet18(weights="DEFAULT"), models.resnet18(models.ResNet18_Weights.IMAGENET1K_V1)):
        assert_same_outputs(model.eval(), reference, image)
    with pytest.raises(ValueError, match="num_classes"):
        models.resnet18(weights="DEFAULT", num_classes=10)
    with pytest.raises(ValueError):
        models.resnet18(weights=models.ResNet50_Weights.DEFAULT)


def test_weights_enums_follow_torchvision():
    assert models.ResNet50_Weights.DEFAULT is models.ResNet50_Weights.IMAGENET1K_V2
    assert models.ResNet18_Weights.DEFAULT is models.ResNet18_Weights.IMAGENET1K_V1
    assert models.VGG16_Weights.DEFAULT.url == "https://download.pytorch.org/models/vgg16-397923af.pth"
    assert [member.name for member in models.ResNet152_Weights] == ["IMAGENET1K_V1", "IMAGENET1K_V2"]
    assert spindle.vision.models is models
    from spindle.vision.models import resnet101

    assert resnet101 is models.resnet101


def test_checkpoint_whose_pickle_runs_code_is_refused(tmp_path):
    marker = tmp_path / "code-ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pth"
    torch.save({"conv1.weight": Payload()}, path)
    with pytest.raises(Exception) as error:
        models.resnet18(weights=str(path))
    assert "open" in str(error.value)
    assert not marker.exists()


@pytest.mark.parametrize("builder, blocks", [("cifar_resnet20", 3), ("cifar_resnet32", 5)])
def test_cifar_resnets(builder, blocks):
    model = getattr(models, builder)()
    assert [len(stage) for stage in model.layers] == [blocks] * 3
    assert tuple(model(spindle.randn(2, 3, 32, 32)).shape) == (2, 10)
    wide = models.CifarResNet((1, 1, 1), widths=(32, 64, 128), num_classes=5, in_channels=1)
    assert tuple(wide(spindle.randn(2, 1, 32, 32)).shape) == (2, 5)
    assert tuple(wide.layers[2][0].downsample[0].weight.shape) == (128, 64, 1, 1)
