"""Whole models for the end-to-end tests and the benchmark, in plain torch (no torchvision).

Every builder seeds torch, builds the model, makes BatchNorm non-trivial (random affine
parameters, running statistics measured on random data so they differ from 0/1 but keep the
activations in a sane range) and returns the model in eval() mode. The same builder always
returns the same weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

BERT_VOCAB = 100


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


# --------------------------------------------------------------------------- ViT encoder
# The layers of torchvision's VisionTransformer at a toy size: a patch-embedding conv, a
# class token, learned position embeddings, pre-norm nn.TransformerEncoder layers
# (nn.MultiheadAttention, GELU MLP), a final LayerNorm and a linear head on the class token.


class ViT(nn.Module):
    def __init__(self, image: int = 32, patch: int = 8, dim: int = 32, depth: int = 2, heads: int = 4,
                 mlp: int = 64, num_classes: int = 10):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)
        tokens = (image // patch) ** 2 + 1
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embedding = nn.Parameter(torch.randn(1, tokens, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, mlp, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x)                      # [N, D, h, w]
        x = x.flatten(2).transpose(1, 2)             # [N, h*w, D]
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embedding
        x = self.norm(self.encoder(x))
        return self.head(x[:, 0])


# --------------------------------------------------------------------------- BERT / MiniLM encoder
# Written the way Hugging Face's BertModel is: token + position embeddings, embedding
# LayerNorm, post-norm layers with hand-written multi-head attention (view/permute to heads),
# an additive attention mask built from the tokenizer's 0/1 mask, a tanh pooler on [CLS].


class BertSelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.query, self.key, self.value = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)

    def split_heads(self, x):
        b, l, _ = x.shape
        return x.view(b, l, self.heads, self.head_dim).permute(0, 2, 1, 3)  # [B, H, L, d]

    def forward(self, x, additive_mask):
        q, k, v = self.split_heads(self.query(x)), self.split_heads(self.key(x)), self.split_heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + additive_mask
        context = torch.matmul(scores.softmax(dim=-1), v)                       # [B, H, L, d]
        b, _, l, _ = context.shape
        return context.permute(0, 2, 1, 3).reshape(b, l, self.heads * self.head_dim)


class BertLayer(nn.Module):
    def __init__(self, dim: int, heads: int, mlp: int):
        super().__init__()
        self.attention = BertSelfAttention(dim, heads)
        self.attn_out, self.attn_norm = nn.Linear(dim, dim), nn.LayerNorm(dim, eps=1e-12)
        self.intermediate, self.output = nn.Linear(dim, mlp), nn.Linear(mlp, dim)
        self.out_norm = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, x, additive_mask):
        x = self.attn_norm(x + self.attn_out(self.attention(x, additive_mask)))
        return self.out_norm(x + self.output(F.gelu(self.intermediate(x))))


class MiniBert(nn.Module):
    def __init__(self, vocab: int = BERT_VOCAB, max_len: int = 64, dim: int = 32, depth: int = 2, heads: int = 4,
                 mlp: int = 64):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, dim)
        self.position_embeddings = nn.Embedding(max_len, dim)
        self.register_buffer("position_ids", torch.arange(max_len).unsqueeze(0), persistent=False)
        self.embed_norm = nn.LayerNorm(dim, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer(dim, heads, mlp) for _ in range(depth))
        self.pooler = nn.Linear(dim, dim)

    def forward(self, input_ids, attention_mask):
        seq = input_ids.shape[1]
        x = self.word_embeddings(input_ids) + self.position_embeddings(self.position_ids[:, :seq])
        x = self.embed_norm(x)
        # [B, L] 0/1 → [B, 1, 1, L]: 0 where attended, a large negative number on padding.
        additive = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.layers:
            x = layer(x, additive)
        return torch.tanh(self.pooler(x[:, 0]))


# --------------------------------------------------------------------------- UNet


def _double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNet(nn.Module):
    """The original UNet's shape at a toy size: max-pool down, ConvTranspose 2x2/2 up, skip concats."""

    def __init__(self, channels: int = 3, classes: int = 2, width: int = 8):
        super().__init__()
        w = width
        self.down0, self.down1, self.bottom = _double_conv(channels, w), _double_conv(w, 2 * w), _double_conv(2 * w, 4 * w)
        self.up1 = nn.ConvTranspose2d(4 * w, 2 * w, kernel_size=2, stride=2)
        self.dec1 = _double_conv(4 * w, 2 * w)
        self.up0 = nn.ConvTranspose2d(2 * w, w, kernel_size=2, stride=2)
        self.dec0 = _double_conv(2 * w, w)
        self.out = nn.Conv2d(w, classes, 1)

    def forward(self, x):
        s0 = self.down0(x)
        s1 = self.down1(F.max_pool2d(s0, 2))
        x = self.bottom(F.max_pool2d(s1, 2))
        x = self.dec1(torch.cat([s1, self.up1(x)], dim=1))
        x = self.dec0(torch.cat([s0, self.up0(x)], dim=1))
        return self.out(x)


# --------------------------------------------------------------------------- DeepLab-style head
# torchvision's DeepLabHead / ASPP on a tiny stride-4 backbone: parallel 1x1 and dilated 3x3
# convs, an image-pooling branch upsampled with bilinear interpolate, a 1x1 projection, the
# classifier and a bilinear upsampling back to the input size.


def _conv_bn_relu(cin: int, cout: int, k: int = 3, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, padding=dilation * (k - 1) // 2, dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())


class ASPPPooling(nn.Sequential):
    def __init__(self, cin: int, cout: int):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    def forward(self, x):
        size = x.shape[-2:]
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class DeepLabHeadNet(nn.Module):
    def __init__(self, classes: int = 3, width: int = 16, rates: tuple[int, ...] = (2, 4)):
        super().__init__()
        self.backbone = nn.Sequential(_conv_bn_relu(3, width, stride=2), _conv_bn_relu(width, 2 * width, stride=2))
        cin, cout = 2 * width, width
        branches = [_conv_bn_relu(cin, cout, k=1)]
        branches += [_conv_bn_relu(cin, cout, dilation=r) for r in rates]
        branches.append(ASPPPooling(cin, cout))
        self.aspp = nn.ModuleList(branches)
        self.project = _conv_bn_relu(len(branches) * cout, cout, k=1)
        self.classifier = nn.Sequential(_conv_bn_relu(cout, cout), nn.Conv2d(cout, classes, 1))

    def forward(self, x):
        size = x.shape[-2:]
        f = self.backbone(x)
        f = self.project(torch.cat([b(f) for b in self.aspp], dim=1))
        return F.interpolate(self.classifier(f), size=size, mode="bilinear", align_corners=False)


# --------------------------------------------------------------------------- YOLO-style head
# YOLOv5's Detect layer on a tiny two-scale backbone: per scale a 1x1 conv gives
# anchors x (box, objectness, classes); view/permute to [N, anchors, H, W, outputs], sigmoid,
# decode xy with the grid and wh with the anchors, and concatenate all scales' boxes.


class YoloHeadNet(nn.Module):
    def __init__(self, classes: int = 4, width: int = 16,
                 anchors: tuple = ((10, 13, 16, 30, 33, 23), (30, 61, 62, 45, 59, 119)), strides=(8, 16),
                 image: int = 64):
        super().__init__()
        self.na, self.no = len(anchors[0]) // 2, classes + 5
        self.strides = strides
        self.stem = nn.Sequential(_conv_bn_relu(3, width, stride=2), _conv_bn_relu(width, width, stride=2),
                                  _conv_bn_relu(width, 2 * width, stride=2))                       # stride 8
        self.down = _conv_bn_relu(2 * width, 4 * width, stride=2)                                  # stride 16
        self.detect = nn.ModuleList(nn.Conv2d(c, self.na * self.no, 1) for c in (2 * width, 4 * width))
        for i, s in enumerate(strides):
            n = image // s
            yv, xv = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
            grid = torch.stack((xv, yv), 2).view(1, 1, n, n, 2).float() - 0.5
            anchor_grid = torch.tensor(anchors[i], dtype=torch.float32).view(1, self.na, 1, 1, 2)
            self.register_buffer(f"grid{i}", grid, persistent=False)
            self.register_buffer(f"anchor_grid{i}", anchor_grid.expand(1, self.na, n, n, 2).contiguous(),
                                 persistent=False)

    def forward(self, x):
        p8 = self.stem(x)
        features = (p8, self.down(p8))
        out = []
        for i, f in enumerate(features):
            y = self.detect[i](f)
            b, _, ny, nx = y.shape
            y = y.view(b, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).sigmoid()
            xy, wh, conf = y.split((2, 2, self.no - 4), dim=4)
            xy = (xy * 2 + getattr(self, f"grid{i}")) * self.strides[i]
            wh = (wh * 2) ** 2 * getattr(self, f"anchor_grid{i}")
            out.append(torch.cat((xy, wh, conf), 4).view(b, self.na * ny * nx, self.no))
        return torch.cat(out, 1)


# --------------------------------------------------------------------------- YOLOv8-style head
# Ultralytics' anchor-free Detect at a toy size: per scale a box branch (4 x reg_max
# distance bins) and a class branch, concatenated and flattened to [N, 4*reg_max + nc, cells];
# DFL (softmax over the bins, a fixed 1x1 conv taking their expectation), distances to boxes
# around the cell centres, sigmoid scores: output [N, 4 + nc, cells], channels first.


class DFL(nn.Module):
    def __init__(self, bins: int = 16):
        super().__init__()
        self.bins = bins
        self.conv = nn.Conv2d(bins, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = torch.arange(bins, dtype=torch.float32).view(1, bins, 1, 1)

    def forward(self, x):
        b, _, a = x.shape
        return self.conv(x.view(b, 4, self.bins, a).transpose(2, 1).softmax(1)).view(b, 4, a)


class YoloV8HeadNet(nn.Module):
    def __init__(self, classes: int = 4, width: int = 16, reg_max: int = 16, strides=(8, 16), image: int = 64):
        super().__init__()
        self.nc, self.reg_max, self.no = classes, reg_max, classes + 4 * reg_max
        self.stem = nn.Sequential(_conv_bn_relu(3, width, stride=2), _conv_bn_relu(width, width, stride=2),
                                  _conv_bn_relu(width, 2 * width, stride=2))                       # stride 8
        self.down = _conv_bn_relu(2 * width, 4 * width, stride=2)                                  # stride 16
        chans = (2 * width, 4 * width)
        self.box = nn.ModuleList(nn.Sequential(_conv_bn_relu(c, 2 * width), nn.Conv2d(2 * width, 4 * reg_max, 1))
                                 for c in chans)
        self.cls = nn.ModuleList(nn.Sequential(_conv_bn_relu(c, 2 * width), nn.Conv2d(2 * width, classes, 1))
                                 for c in chans)
        self.dfl = DFL(reg_max)
        points, stride_of = [], []
        for s in strides:
            n = image // s
            sy, sx = torch.meshgrid(torch.arange(n) + 0.5, torch.arange(n) + 0.5, indexing="ij")
            points.append(torch.stack((sx, sy), -1).view(-1, 2))
            stride_of.append(torch.full((n * n, 1), float(s)))
        self.register_buffer("anchors", torch.cat(points).transpose(0, 1).unsqueeze(0), persistent=False)
        self.register_buffer("stride_of", torch.cat(stride_of).transpose(0, 1).unsqueeze(0), persistent=False)

    def forward(self, x):
        p8 = self.stem(x)
        features = (p8, self.down(p8))
        b = x.shape[0]
        maps = [torch.cat((self.box[i](f), self.cls[i](f)), 1).view(b, self.no, -1) for i, f in enumerate(features)]
        box, cls = torch.cat(maps, 2).split((4 * self.reg_max, self.nc), 1)
        lt, rb = self.dfl(box).chunk(2, 1)
        x1y1, x2y2 = self.anchors - lt, self.anchors + rb
        boxes = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * self.stride_of
        return torch.cat((boxes, cls.sigmoid()), 1)


# --------------------------------------------------------------------------- ShuffleNet v2 block
# torchvision's shufflenetv2 InvertedResidual (stride 1 and stride 2) with channel_shuffle.


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    b, c, h, w = x.size()
    x = x.view(b, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(b, c, h, w)


class ShuffleV2Block(nn.Module):
    def __init__(self, inp: int, oup: int, stride: int):
        super().__init__()
        self.stride = stride
        branch = oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False), nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch, 1, bias=False), nn.BatchNorm2d(branch), nn.ReLU(inplace=True))
        else:
            self.branch1 = nn.Sequential()
        cin = inp if stride > 1 else branch
        self.branch2 = nn.Sequential(
            nn.Conv2d(cin, branch, 1, bias=False), nn.BatchNorm2d(branch), nn.ReLU(inplace=True),
            nn.Conv2d(branch, branch, 3, stride, 1, groups=branch, bias=False), nn.BatchNorm2d(branch),
            nn.Conv2d(branch, branch, 1, bias=False), nn.BatchNorm2d(branch), nn.ReLU(inplace=True))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2Stage(nn.Module):
    """Stem conv, a stride-2 block and two stride-1 blocks, global pool, classifier."""

    def __init__(self, width: int = 24, out: int = 48, classes: int = 10):
        super().__init__()
        self.stem = _conv_bn_relu(3, width, stride=2)
        self.stage = nn.Sequential(ShuffleV2Block(width, out, 2), ShuffleV2Block(out, out, 1),
                                   ShuffleV2Block(out, out, 1))
        self.fc = nn.Linear(out, classes)

    def forward(self, x):
        x = self.stage(self.stem(x))
        return self.fc(x.mean([2, 3]))


# --------------------------------------------------------------------------- ConvNeXt block
# The official ConvNeXt code: a stem conv + channels_first LayerNorm (written out with mean /
# pow / sqrt), blocks of depthwise 7x7 → permute to NHWC → LayerNorm → Linear → GELU → Linear
# → layer scale → permute back → residual, global average pool, LayerNorm, head.


class LayerNorm2d(nn.Module):
    """ConvNeXt's LayerNorm(data_format="channels_first"): normalises over dim 1 by hand."""

    def __init__(self, c: int, eps: float = 1e-6):
        super().__init__()
        self.weight, self.bias, self.eps = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c)), eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int, layer_scale: float = 0.5):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1, self.pwconv2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)
        # Non-trivial layer scale (the official init 1e-6 would hide the branch's errors).
        self.gamma = nn.Parameter(layer_scale * (torch.rand(dim) + 0.5))

    def forward(self, x):
        y = self.dwconv(x).permute(0, 2, 3, 1)       # (N, C, H, W) -> (N, H, W, C)
        y = self.pwconv2(F.gelu(self.pwconv1(self.norm(y))))
        y = (self.gamma * y).permute(0, 3, 1, 2)     # (N, H, W, C) -> (N, C, H, W)
        return x + y


class ConvNeXtTiny(nn.Module):
    def __init__(self, dim: int = 32, depth: int = 2, classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, dim, kernel_size=4, stride=4), LayerNorm2d(dim))
        self.blocks = nn.Sequential(*[ConvNeXtBlock(dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(self.norm(x.mean([-2, -1])))


class VideoClassifier(nn.Module):
    """A small 3-D CNN for clips [N, 3, T, H, W]: Conv3d-BN-ReLU-MaxPool3d-Conv3d-ReLU-
    AdaptiveAvgPool3d-Linear (C3D / R3D in miniature)."""

    def __init__(self, classes: int = 5):
        super().__init__()
        self.conv1 = nn.Conv3d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm3d(8)
        self.pool = nn.MaxPool3d((1, 2, 2), (1, 2, 2))
        self.conv2 = nn.Conv3d(8, 16, 3, stride=(2, 1, 1), padding=1)
        self.avg = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = torch.relu(self.conv2(x))
        return self.fc(torch.flatten(self.avg(x), 1))


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

VIT_INPUT = (1, 3, 32, 32)
BERT_SEQ = 16
UNET_INPUT = (1, 3, 32, 32)
DEEPLAB_INPUT = (1, 3, 64, 64)
YOLO_INPUT = (1, 3, 64, 64)
SHUFFLENET_INPUT = (1, 3, 32, 32)
CONVNEXT_INPUT = (1, 3, 32, 32)


VIDEO_INPUT = (1, 3, 8, 16, 16)  # [N, C, T, H, W]


def video_classifier(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return randomize_batchnorm(VideoClassifier(), VIDEO_INPUT, seed=seed)


def randomize_norms(model: nn.Module, seed: int = 0) -> nn.Module:
    """LayerNorm (and ConvNeXt's LayerNorm2d) with random affine parameters instead of 1/0,
    so a wrong axis or a lost scale shows in the output."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.LayerNorm, LayerNorm2d)) and m.weight is not None:
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
    return model


def vit(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    model = ViT()
    # nn.TransformerEncoder deep-copies one layer, and MultiheadAttention starts with zero
    # biases: perturb every encoder parameter so that the layers differ and no bias is 0.
    with torch.no_grad():
        for p in model.encoder.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return randomize_norms(model, seed).eval()


def mini_bert(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return randomize_norms(MiniBert(), seed).eval()


def unet(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return randomize_batchnorm(UNet(), UNET_INPUT, seed=seed)


def deeplab_head(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return randomize_batchnorm(DeepLabHeadNet(), DEEPLAB_INPUT, seed=seed)


def yolo_head(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return randomize_batchnorm(YoloHeadNet(), YOLO_INPUT, seed=seed)


def yolov8_head(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return randomize_batchnorm(YoloV8HeadNet(), YOLO_INPUT, seed=seed)


def shufflenet_v2(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return randomize_batchnorm(ShuffleNetV2Stage(), SHUFFLENET_INPUT, seed=seed)


def convnext(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return randomize_norms(ConvNeXtTiny(), seed).eval()


@dataclass(frozen=True)
class ModelSpec:
    """A builder and its inputs: shapes and kinds (see harness.random_inputs)."""
    build: Callable[[], nn.Module]
    shapes: tuple[tuple[int, ...], ...]
    kinds: tuple[str, ...] = ()

    @property
    def input_kinds(self) -> tuple[str, ...]:
        return self.kinds or ("normal",) * len(self.shapes)


MODELS = {
    "simple_network": ModelSpec(simple_network, (SIMPLE_INPUT,)),
    "mobilenet_v2": ModelSpec(mobilenet_v2, (IMAGENET_INPUT,)),
    "resnet18": ModelSpec(resnet18, (IMAGENET_INPUT,)),
    "vit": ModelSpec(vit, (VIT_INPUT,)),
    # input_ids [1, L] int64 in [0, vocab); attention_mask [1, L] int64, ones then padding zeros.
    "mini_bert": ModelSpec(mini_bert, ((1, BERT_SEQ), (1, BERT_SEQ)), (f"ids:{BERT_VOCAB}", "mask")),
    "unet": ModelSpec(unet, (UNET_INPUT,)),
    "deeplab_head": ModelSpec(deeplab_head, (DEEPLAB_INPUT,)),
    "yolo_head": ModelSpec(yolo_head, (YOLO_INPUT,)),
    "yolov8_head": ModelSpec(yolov8_head, (YOLO_INPUT,)),
    "shufflenet_v2": ModelSpec(shufflenet_v2, (SHUFFLENET_INPUT,)),
    "convnext": ModelSpec(convnext, (CONVNEXT_INPUT,)),
    "lstm_classifier": ModelSpec(lstm_classifier, (LSTM_INPUT,)),
    "conv_gru_tagger": ModelSpec(conv_gru_tagger, (AUDIO_INPUT,)),
    "video_classifier": ModelSpec(video_classifier, (VIDEO_INPUT,)),
}


# --------------------------------------------------------------------------- layout
# name -> (TRANSPOSE ops left with NCHW io, with --nhwc-io, why each one is there), asserted
# exactly by test_models.py (a higher count is a layout regression, a lower one an
# improvement to record here) and reported by bench/bench_models.py.
_ATTENTION = ("4 per attention layer, data moves rather than layout: the head splits of q, k, v "
              "([B, L, H, d] -> [B, H, L, d]; k -> [B, H, d, L]) that let BATCH_MATMUL batch over heads, "
              "and the head merge back to [B, L, H*d]")
EXPECTED_TRANSPOSES = {
    "simple_network": (1, 0, "NCHW io: the input border (the output is 2-D)"),
    "mobilenet_v2": (1, 0, "NCHW io: the input border (the output is 2-D)"),
    "resnet18": (1, 0, "NCHW io: the input border (the output is 2-D)"),
    "vit": (1 + 2 * 4, 2 * 4, "NCHW io: the input border; " + _ATTENTION + " (2 layers)"),
    "mini_bert": (2 * 4, 2 * 4, "inputs and output are 2-D, no border; " + _ATTENTION + " (2 layers)"),
    "unet": (2, 0, "NCHW io: the input and the (4-D) output border"),
    "deeplab_head": (2, 0, "NCHW io: the input and the (4-D) output border"),
    "yolo_head": (1 + 2, 2 + 1, "one per scale: Detect's view/permute moves the anchor axis in front of "
                                "the grid ([N, H, W, A, O] -> [N, A, H, W, O]), a data move; NCHW io: the "
                                "input border; --nhwc-io: the [1, boxes, 9] output is rank 3, so it is "
                                "made channels-last ([1, 9, boxes]) like any rank-3 output"),
    "yolov8_head": (2, 0, "NCHW io: the input border and the output's, whose [1, 4 + classes, cells] layout is "
                          "channels-first; inside, the flatten/split/DFL softmax and 1x1 conv and the box "
                          "arithmetic all run on the NHWC maps"),
    "shufflenet_v2": (1 + 3, 3, "one per block: channel_shuffle's group swap, a data move that stays as "
                                "a transpose of [N, H, W, g, C/g]; NCHW io: the input border"),
    "convnext": (1, 0, "NCHW io: the input border; the blocks' permutes to NHWC and back cancel "
                       "against the layout of the depthwise convs"),
    "lstm_classifier": (0, 0, "2-D token input and output; batch_first's time-major transposes move a unit "
                              "axis (batch 1) and become reshapes"),
    "video_classifier": (1, 0, "NCDHW io: the input border (the output is 2-D); the 3-D convs and the "
                               "two-stage 3-D max pool all run NDHWC"),
    "conv_gru_tagger": (1, 1, "the 1-D conv front end's input border (its explicit PAD sits before the first "
                              "conv); none around the recurrence"),
}
