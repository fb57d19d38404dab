"""Small models and helpers for the package tests (named pkg_models so it never shadows
tests/e2e/models.py when both folders run in one session)."""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def image(size: int = 16, channels: int = 3, batch: int = 1, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, channels, size, size, generator=g)


def small_cnn(seed: int = 0) -> nn.Module:
    """conv → relu → conv → relu → conv → global pool → linear."""
    torch.manual_seed(seed)

    class SmallCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
            self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
            self.conv3 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
            self.fc = nn.Linear(16, 5)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = self.conv3(x)
            return self.fc(x.mean((2, 3)))

    return SmallCNN().eval()


def _e2e_models():
    """tests/e2e/models.py, loaded under its own name: one definition of the seed's network."""
    import importlib.util
    import sys

    name = "pt2tflite_e2e_models"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "e2e" / "models.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


SimpleNetwork = _e2e_models().SimpleNetwork  # the Arm Ethos-U guide's CIFAR-10 network


def simple_network(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    m = SimpleNetwork()
    # Non-trivial BatchNorm statistics, as after training.
    for bn in (m.bn1, m.bn2, m.bn3, m.bn4):
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    return m.eval()


class TinyMobileNet(nn.Module):
    """A stand-in for the tutorial's MobileNetV2: stem, one inverted residual block (expansion 6)
    with a depthwise conv and ReLU6, global pool, classifier. The two 1x1 convs have 1536
    weights each: above dynamic-range quantization's 1024-element threshold."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU6())
        self.expand = nn.Sequential(nn.Conv2d(16, 96, 1, bias=False), nn.BatchNorm2d(96), nn.ReLU6())
        self.depthwise = nn.Sequential(nn.Conv2d(96, 96, 3, padding=1, groups=96, bias=False), nn.BatchNorm2d(96),
                                       nn.ReLU6())
        self.project = nn.Sequential(nn.Conv2d(96, 16, 1, bias=False), nn.BatchNorm2d(16))
        self.classifier = nn.Linear(16, 10)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.project(self.depthwise(self.expand(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x)


def tiny_mobilenet(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return TinyMobileNet().eval()


class WideCNN(nn.Module):
    """Three wide 3x3 convs on an 8x8 image: ~0.9 M weights, so the weights are ~99 % of the
    .tflite and its size follows their type (float16 ≈ ½, int8 ≈ ¼ of float32)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 128, 3, padding=1)
        self.conv2 = nn.Conv2d(128, 256, 3, padding=1)
        self.conv3 = nn.Conv2d(256, 256, 3, padding=1)
        self.fc = nn.Linear(256, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x))
        return self.fc(x.mean((2, 3)))


def wide_cnn(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return WideCNN().eval()


def export(model: nn.Module, example: torch.Tensor, path: Path, exporter: str = "torchscript") -> Path:
    """torch.onnx.export with the named exporter (TorchScript: opset 17, names like /conv2/Conv)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
        warnings.simplefilter("ignore")
        if exporter == "torchscript":
            torch.onnx.export(model, (example,), str(path), dynamo=False, opset_version=17,
                              input_names=["input"], output_names=["output"])
        else:
            torch.onnx.export(model, (example,), str(path), dynamo=True, verbose=False,
                              input_names=["input"], output_names=["output"])
    return path


def run_tflite(tflite: bytes | Path, *inputs: np.ndarray) -> list[np.ndarray]:
    """Runs a float .tflite in LiteRT; inputs/outputs in the .tflite's own layout."""
    from ai_edge_litert.interpreter import Interpreter

    kw = {"model_content": bytes(tflite)} if isinstance(tflite, (bytes, bytearray)) else {"model_path": str(tflite)}
    interp = Interpreter(**kw, num_threads=1)
    interp.allocate_tensors()
    for d, x in zip(interp.get_input_details(), inputs):
        interp.set_tensor(d["index"], np.ascontiguousarray(x, dtype=d["dtype"]))
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def tflite_ops(tflite: bytes | Path) -> list[str]:
    """Op names in the .tflite, in execution order."""
    from ai_edge_litert.interpreter import Interpreter

    kw = {"model_content": bytes(tflite)} if isinstance(tflite, (bytes, bytearray)) else {"model_path": str(tflite)}
    interp = Interpreter(**kw)
    return [op["op_name"] for op in interp._get_ops_details()]  # noqa: SLF001 — LiteRT's only op listing


def weight_dtypes(tflite: bytes, op_name: str) -> list[np.dtype]:
    """The dtype of the weights (input 1) of every op_name op in the .tflite, as stored: for
    weights computed by a DEQUANTIZE (float16 mode), the type of that DEQUANTIZE's constant."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=bytes(tflite))
    tensors = {t["index"]: t for t in interp.get_tensor_details()}
    ops = interp._get_ops_details()  # noqa: SLF001 — LiteRT's only op listing
    dequantized = {int(op["outputs"][0]): int(op["inputs"][0]) for op in ops if op["op_name"] == "DEQUANTIZE"}
    weights = [int(op["inputs"][1]) for op in ops if op["op_name"] == op_name]
    return [np.dtype(tensors[dequantized.get(w, w)]["dtype"]) for w in weights]


def sqnr_db(ref: np.ndarray, got: np.ndarray) -> float:
    """Signal-to-quantization-noise ratio of got against ref, in dB."""
    ref = np.asarray(ref, np.float64)
    noise = np.sum((ref - np.asarray(got, np.float64)) ** 2)
    return float("inf") if noise == 0 else float(10 * np.log10(np.sum(ref ** 2) / noise))


def torch_out(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return model(x).numpy()


def assert_close(got: np.ndarray, ref: np.ndarray, tol: float = 1e-4, what: str = "output") -> None:
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, expected {ref.shape}"
    err = float(np.max(np.abs(got.astype(np.float64) - ref)))
    scale = float(np.max(np.abs(ref)))
    assert err <= tol * max(scale, 1e-30), f"{what}: max abs error {err:.3e} > {tol:g} * max|ref| ({scale:.3e})"
