"""Whole models for the end-to-end tests and the benchmark, in plain torch (no torchvision).

Every builder seeds torch, builds the model, makes BatchNorm non-trivial (random affine
parameters, running statistics measured on random data so they differ from 0/1 but keep the
activations in a sane range) and returns the model in eval() mode. The same builder always
returns the same weights.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


# --------------------------------------------------------------------------- BatchNorm


def randomize_batchnorm(model: nn.Module, example_shape: tuple[int, ...], seed: int = 0,
                        calibration_batches: int = 2) -> nn.Module:
    """Give every BatchNorm random gamma/beta and data-derived running mean/var.

    Running statistics come from a few forward passes in train mode on random input
    (cumulative average, momentum=None), so they are non-trivial (mean != 0, var != 1) and
    folding them into the preceding conv is really exercised, while the activations of deep
    models neither explode nor vanish. Other layers are not changed (dropout is in eval mode
    when the model is used).
    """
    g = torch.Generator().manual_seed(seed)
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for bn in bns:
            c = bn.num_features
            if bn.affine:
                bn.weight.copy_(torch.rand(c, generator=g) + 0.5)           # gamma in [0.5, 1.5)
                bn.bias.copy_(torch.randn(c, generator=g) * 0.1)             # beta ~ N(0, 0.1)
            bn.reset_running_stats()
            bn.momentum = None                                               # cumulative average
        model.train()
        for _ in range(calibration_batches):
            model(torch.randn((4,) + tuple(example_shape[1:]), generator=g))
        for bn in bns:
            bn.momentum = 0.1
            # A little extra spread so no channel has exactly the measured statistics.
            bn.running_mean.add_(torch.randn(bn.num_features, generator=g) * 0.05)
            bn.running_var.mul_(torch.rand(bn.num_features, generator=g) * 0.4 + 0.8)
    return model.eval()


# --------------------------------------------------------------------------- SimpleNetwork


class SimpleNetwork(nn.Module):
    """The seed's CIFAR-10 network (Arm's PyTorch → TFLite guide), input 1x3x32x32."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels=3, out_channels=16, kernel_size=(3, 3))
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(in_channels=16, out_channels=16, kernel_size=(3, 3))
        self.bn2 = nn.BatchNorm2d(16)
        self.conv3 = nn.Conv2d(in_channels=16, out_channels=32, kernel_size=(3, 3))
        self.bn3 = nn.BatchNorm2d(32)
        self.pool1 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.conv4 = nn.Conv2d(in_channels=32, out_channels=64, kernel_size=(3, 3), padding=(1, 1))
        self.bn4 = nn.BatchNorm2d(64)
        self.pool2 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.conv5 = nn.Conv2d(in_channels=64, out_channels=10, kernel_size=(6, 6))
        # The seed writes nn.Softmax(), whose implicit dim is 1 for a 2-D input; spelled out
        # here to avoid torch's implicit-dim warning. Same graph.
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = self.pool1(x)
        x = F.relu(self.bn3(self.conv3(x)))
        x = F.relu(self.bn4(self.conv4(x)))
        x = self.pool2(x)
        x = self.conv5(x)
        x = x.view(-1, 10)
        x = self.softmax(x)
        return x


# --------------------------------------------------------------------------- MobileNetV2
# Faithful to torchvision.models.mobilenetv2 (v0.2x): same layers, order, strides, padding,
# bias=False convs, ReLU6, dropout + linear classifier, adaptive average pool + flatten.


def _make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:  # make sure rounding down does not go down by more than 10%
        new_v += divisor
    return new_v


class Conv2dNormActivation(nn.Sequential):
    def __init__(self, in_planes: int, out_planes: int, kernel_size: int = 3, stride: int = 1,
                 groups: int = 1, activation_layer=nn.ReLU6):
        padding = (kernel_size - 1) // 2
        layers = [
            nn.Conv2d(in_planes, out_planes, kernel_size, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(out_planes),
        ]
        if activation_layer is not None:
            layers.append(activation_layer(inplace=True))
        super().__init__(*layers)
        self.out_channels = out_planes


class InvertedResidual(nn.Module):
    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int):
        super().__init__()
        assert stride in (1, 2)
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1))  # pointwise
        layers.extend([
            Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim),  # depthwise
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),  # pointwise-linear
            nn.BatchNorm2d(oup),
        ])
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup

    def forward(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0, round_nearest: int = 8,
                 dropout: float = 0.2):
        super().__init__()
        input_channel = 32
        last_channel = 1280
        inverted_residual_setting = [
            # t, c, n, s
            [1, 16, 1, 1],
            [6, 24, 2, 2],
            [6, 32, 3, 2],
            [6, 64, 4, 2],
            [6, 96, 3, 1],
            [6, 160, 3, 2],
            [6, 320, 1, 1],
        ]
        input_channel = _make_divisible(input_channel * width_mult, round_nearest)
        self.last_channel = _make_divisible(last_channel * max(1.0, width_mult), round_nearest)
        features: list[nn.Module] = [Conv2dNormActivation(3, input_channel, stride=2)]
        for t, c, n, s in inverted_residual_setting:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                stride = s if i == 0 else 1
                features.append(InvertedResidual(input_channel, output_channel, stride, expand_ratio=t))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(self.last_channel, num_classes),
        )
        # torchvision's weight initialization
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.features(x)
        x = nn.functional.adaptive_avg_pool2d(x, (1, 1))
        x = torch.flatten(x, 1)
        x = self.classifier(x)
        return x


# --------------------------------------------------------------------------- ResNet-18
# Faithful to torchvision.models.resnet.resnet18 (BasicBlock, [2, 2, 2, 2]).


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        out = self.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block=BasicBlock, layers=(2, 2, 2, 2), num_classes: int = 1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.fc(x)
        return x


# --------------------------------------------------------------------------- sequence models


class LstmClassifier(nn.Module):
    """Token ids → embedding → 2-layer LSTM (batch_first) → linear classifier on the last step.

    The harness feeds float32, so the ids are made inside: |x|·10 bucketed into the vocabulary
    (an exact float computation, identical in every runtime).
    """

    def __init__(self, vocab: int = 40, dim: int = 24, hidden: int = 32, classes: int = 5):
        super().__init__()
        self.vocab = vocab
        self.embed = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        ids = (x.abs() * 10).long().clamp(max=self.vocab - 1)
        y, _ = self.lstm(self.embed(ids))
        return self.head(y[:, -1])


class ConvGruTagger(nn.Module):
    """Audio frames [N, mels, frames] → 1-D conv front end (stride 2) → bidirectional GRU →
    per-frame linear tagger [N, frames/2, classes]."""

    def __init__(self, mels: int = 40, channels: int = 32, hidden: int = 24, classes: int = 10):
        super().__init__()
        self.front = nn.Sequential(nn.Conv1d(mels, channels, 5, stride=2, padding=2), nn.ReLU(),
                                   nn.Conv1d(channels, channels, 3, padding=1), nn.ReLU())
        self.gru = nn.GRU(channels, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        y, _ = self.gru(self.front(x).transpose(1, 2))
        return self.head(y)


# --------------------------------------------------------------------------- builders

SIMPLE_INPUT = (1, 3, 32, 32)
IMAGENET_INPUT = (1, 3, 224, 224)


def simple_network(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return randomize_batchnorm(SimpleNetwork(), SIMPLE_INPUT, seed=seed)


def mobilenet_v2(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return randomize_batchnorm(MobileNetV2(), IMAGENET_INPUT, seed=seed)


def resnet18(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return randomize_batchnorm(ResNet(BasicBlock, (2, 2, 2, 2)), IMAGENET_INPUT, seed=seed)


def lstm_classifier(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return LstmClassifier().eval()


def conv_gru_tagger(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return ConvGruTagger().eval()


LSTM_INPUT = (1, 16)       # 16 tokens
AUDIO_INPUT = (1, 40, 64)  # 40 mel bins, 64 frames

# name -> (builder, input shape)
MODELS = {
    "simple_network": (simple_network, SIMPLE_INPUT),
    "mobilenet_v2": (mobilenet_v2, IMAGENET_INPUT),
    "resnet18": (resnet18, IMAGENET_INPUT),
    "lstm_classifier": (lstm_classifier, LSTM_INPUT),
    "conv_gru_tagger": (conv_gru_tagger, AUDIO_INPUT),
}
