"""The reference kernels (src/exec/) against onnxruntime: every op case of op_cases.py, a few
MobileNetV2 building blocks and the whole models, each run through the converter's pipeline
and then exec::Interpreter by the `exec_check` test tool (tests/tools/exec_check.cc), with
the float32 rule max|exec - onnxruntime| <= tol * max|onnxruntime|.

Binary: $PT2TFLITE_EXEC_CHECK or build/exec_check (built with the unit tests).
  .venv/bin/python -m pytest tests/e2e/test_exec_kernels.py -m "not slow"
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn

import harness
import models
from op_cases import CASES

EXPORTER = "torchscript"


def exec_check_bin() -> Path:
    return Path(os.environ.get("PT2TFLITE_EXEC_CHECK", harness.REPO_ROOT / "build" / "exec_check"))


def run_exec(exp: harness.Exported, out_dir: Path, *, nhwc_io: bool = False, repeat: int = 1,
             inputs_as: str = "npy") -> tuple[dict[str, np.ndarray], dict]:
    """Runs exec_check on exp's inputs; returns (outputs by ONNX name in ONNX layout, timing JSON)."""
    exe = exec_check_bin()
    if not exe.is_file():
        pytest.fail(f"exec_check not found at {exe}: build the tests (cmake --build build) or set PT2TFLITE_EXEC_CHECK")
    out_dir.mkdir(parents=True, exist_ok=True)
    feeds = {}
    for name, x in exp.feeds.items():
        if nhwc_io and x.ndim in harness.NHWC_IO_RANKS:
            x = x.transpose(harness.channels_last_perm(x.ndim))
        feeds[name] = np.ascontiguousarray(x)
    if inputs_as == "npz":
        files = [out_dir / "inputs.npz"]
        np.savez(files[0], **feeds)  # stored zip with zip64 local headers, as numpy writes it
    else:
        files = []
        for i, x in enumerate(feeds.values()):
            files.append(out_dir / f"input{i}.npy")
            np.save(files[-1], x)
    out = out_dir / "outputs.npz"
    args = [str(exe), str(exp.onnx_path), *map(str, files), "-o", str(out), "--repeat", str(repeat)]
    if nhwc_io:
        args.append("--nhwc-io")
    p = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if p.returncode == 3:  # the converter itself refused the model: nothing for the kernels to run
        pytest.fail(f"conversion failed: {p.stderr.strip()}")
    if p.returncode != 0:
        raise AssertionError(f"exec_check {exp.key} failed (exit {p.returncode}):\n{p.stderr.strip()}")
    timing = json.loads(p.stdout.strip().splitlines()[-1])
    with np.load(out) as z:
        got = {k: z[k] for k in z.files}
    result = {}
    for name in exp.output_names:
        assert name in got, f"exec_check wrote outputs {sorted(got)}, the ONNX model has '{name}'"
        y = got[name]
        if nhwc_io and y.ndim in harness.NHWC_IO_RANKS:
            y = y.transpose(harness.channels_first_perm(y.ndim))
        result[name] = y
    return result, timing


def check(exp: harness.Exported, tmp_path: Path, *, nhwc_io: bool = False, tol: float = harness.FLOAT_TOL,
          **kwargs) -> dict:
    got, timing = run_exec(exp, tmp_path, nhwc_io=nhwc_io, **kwargs)
    harness.assert_close(exp.reference, got, tol=tol, context=f"[exec {exp.key}, {'nhwc' if nhwc_io else 'nchw'} io] ")
    return timing


# --------------------------------------------------------------------------- every op case


def _exporter(case) -> str:
    """TorchScript, unless the case cannot be exported with it (ops new after opset 17)."""
    return EXPORTER if EXPORTER in case.exporters else case.exporters[0]


def _case_params():
    for case in CASES:
        marks = []
        if _exporter(case) in case.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason="conversion is expected to fail: " +
                                           case.xfail[_exporter(case)]))
        for io in ("nchw", "nhwc"):
            yield pytest.param(case, io, id=f"{case.id}-{io}", marks=marks)


@pytest.mark.parametrize("case,io", list(_case_params()))
def test_exec_op_case(case, io, export_cache, tmp_path):
    exp = export_cache.get(case.id, _exporter(case), case.build, case.shapes, kind=case.kind)
    check(exp, tmp_path, nhwc_io=io == "nhwc", tol=case.tol)


# --------------------------------------------------------------------------- small models


class ConvBnReluPoolHead(nn.Module):
    """conv → bn → relu → maxpool → conv(stride 2) → relu6 → avgpool → flatten → linear → softmax."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = nn.Linear(16 * 2 * 2, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn(self.c1(x))), 2)
        x = nn.functional.relu6(self.c2(x))
        x = nn.functional.avg_pool2d(x, 2)
        return torch.softmax(self.fc(torch.flatten(x, 1)), dim=1)


class ResizeConcat(nn.Module):
    """Two branches at different resolutions, upsampled and concatenated (a tiny FPN)."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.lat = nn.Conv2d(4, 8, 1)
        self.head = nn.Conv2d(24, 4, 3, padding=1)

    def forward(self, x):
        d = torch.relu(self.down(x))
        up_b = nn.functional.interpolate(d, scale_factor=2, mode="bilinear", align_corners=False)
        up_n = nn.functional.interpolate(d, scale_factor=2, mode="nearest")
        y = torch.cat([self.lat(x), up_b, up_n], dim=1)
        return self.head(y), torch.sigmoid(y.mean(dim=(2, 3)))


class Attention(nn.Module):
    """Single-head self-attention over tokens: matmuls of two run-time tensors, softmax, residual."""

    def __init__(self, d: int = 16):
        super().__init__()
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.norm_scale = d ** -0.5

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        a = torch.softmax(q @ k.transpose(-2, -1) * self.norm_scale, dim=-1)
        return x + self.out(a @ v)


SMALL_MODELS = {
    "conv_bn_relu_pool_head": (ConvBnReluPoolHead, [(2, 3, 16, 16)]),
    "resize_concat": (ResizeConcat, [(1, 4, 12, 10)]),
    "attention": (Attention, [(2, 7, 16)]),
    "inverted_residual_t1_s1": (lambda: models.InvertedResidual(16, 16, 1, 1), [(1, 16, 14, 14)]),
    "inverted_residual_t6_s1_res": (lambda: models.InvertedResidual(24, 24, 1, 6), [(1, 24, 14, 14)]),
    "inverted_residual_t6_s2": (lambda: models.InvertedResidual(16, 24, 2, 6), [(1, 16, 15, 15)]),
    "inverted_residual_t6_s1_widen": (lambda: models.InvertedResidual(32, 64, 1, 6), [(1, 32, 7, 7)]),
}


def _build_small(name: str):
    factory, shapes = SMALL_MODELS[name]

    def build():
        torch.manual_seed(0)
        return models.randomize_batchnorm(factory(), shapes[0], seed=0)

    return build, shapes


@pytest.mark.parametrize("io", ["nchw", "nhwc"])
@pytest.mark.parametrize("name", list(SMALL_MODELS))
def test_exec_small_model(name, io, export_cache, tmp_path):
    build, shapes = _build_small(name)
    exp = export_cache.get(f"exec_{name}", EXPORTER, build, shapes, seed=3)
    check(exp, tmp_path, nhwc_io=io == "nhwc")


def test_exec_reads_npz_inputs(export_cache, tmp_path):
    """np.savez archives (zip64 headers, entries matched by input name) give the same result."""
    build, shapes = _build_small("resize_concat")
    exp = export_cache.get("exec_resize_concat", EXPORTER, build, shapes, seed=3)
    check(exp, tmp_path, inputs_as="npz")


# --------------------------------------------------------------------------- whole models


MODEL_NAMES = [
    pytest.param("simple_network", id="simple_network"),
    pytest.param("mobilenet_v2", id="mobilenet_v2", marks=pytest.mark.slow),
    pytest.param("resnet18", id="resnet18", marks=pytest.mark.slow),
    pytest.param("lstm_classifier", id="lstm_classifier"),
    pytest.param("conv_gru_tagger", id="conv_gru_tagger"),
    *(pytest.param(n, id=n) for n in ("vit", "mini_bert", "unet", "deeplab_head", "yolo_head", "yolov8_head",
                                      "shufflenet_v2", "convnext", "video_classifier")),
]


@pytest.mark.parametrize("exporter", harness.EXPORTERS)
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_exec_model(name, exporter, export_cache, tmp_path):
    spec = models.MODELS[name]
    exp = export_cache.get(name, exporter, spec.build, spec.shapes, seed=1, kind=spec.input_kinds)
    check(exp, tmp_path)


@pytest.mark.slow
def test_exec_mobilenet_v2_speed(export_cache, tmp_path):
    """MobileNetV2 224² forward pass on the reference kernels: well under a second (release build)."""
    spec = models.MODELS["mobilenet_v2"]
    exp = export_cache.get("mobilenet_v2", EXPORTER, spec.build, spec.shapes, seed=1)
    timing = check(exp, tmp_path, repeat=5)
    best = min(timing["run_ms"])
    print(f"\nMobileNetV2 224x224 exec forward: best {best:.1f} ms of {timing['run_ms']} ({timing['build']} build)")
    if timing["build"] == "release":
        assert best < 1000, f"MobileNetV2 forward took {best:.0f} ms on the reference kernels (target well under 1 s)"
