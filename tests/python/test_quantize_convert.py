"""What quantization requests produce through the Python package: the float fallback rules, the
CLI's finer controls (quantize_options), calibration arrays under io_layout="nhwc", and that the
binding's in-memory calibration gives the same file as the CLI's --calibration .npy."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

import pkg_models
import pt2tflite
from pt2tflite import lite


def rep_images(n: int = 4, size: int = 32, seed: int = 0):
    def gen():
        rng = np.random.default_rng(seed)
        for _ in range(n):
            yield [rng.random((1, 3, size, size), dtype=np.float32)]
    return gen


class SinNet(torch.nn.Module):
    """conv → sin: SIN has no int8 kernel in TFLite."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return torch.sin(self.conv(x))


@pytest.fixture(scope="module")
def simple():
    return pkg_models.simple_network(), torch.rand(1, 3, 32, 32)


def _scale_counts(tflite: bytes) -> set[int]:
    interp = lite.Interpreter(model_content=tflite)
    return {len(t["quantization_parameters"]["scales"]) for t in interp.get_tensor_details()}


def test_float_fallback_follows_supported_ops():
    torch.manual_seed(0)
    model, x = SinNet().eval(), torch.rand(1, 3, 8, 8)
    rep = rep_images(size=8)

    # TF's default supported_ops (TFLITE_BUILTINS): SIN stays float between DEQUANTIZE/QUANTIZE.
    c = lite.TFLiteConverter.from_pytorch(model, x)
    c.optimizations = [lite.Optimize.DEFAULT]
    c.representative_dataset = rep
    ops = pkg_models.tflite_ops(c.convert())
    assert ops[ops.index("SIN") - 1] == "DEQUANTIZE" and ops[ops.index("SIN") + 1] == "QUANTIZE", ops

    # TFLITE_BUILTINS_INT8 alone: no float fallback, the op is named.
    c.target_spec.supported_ops = [lite.OpsSet.TFLITE_BUILTINS_INT8]
    with pytest.raises(pt2tflite.UnsupportedError, match="no int8 kernel in TFLite for:\n  tfl.SIN"):
        c.convert()
    with pytest.raises(pt2tflite.UnsupportedError, match="tfl.SIN"):
        pt2tflite.convert(model, x, quantize="int8", representative_dataset=rep,
                          quantize_options={"allow_float_fallback": False})


def test_fallback_float_keeps_named_ops_float(simple):
    model, x = simple
    ops = pkg_models.tflite_ops(pt2tflite.convert(model, x, quantize="int8", representative_dataset=rep_images(),
                                                  quantize_options={"fallback_float": ["SOFTMAX"]}))
    assert ops[-2:] == ["DEQUANTIZE", "SOFTMAX"], ops


def test_per_tensor_weights(simple):
    model, x = simple
    per_channel = pt2tflite.convert(model, x, quantize="int8", representative_dataset=rep_images())
    per_tensor = pt2tflite.convert(model, x, quantize="int8", representative_dataset=rep_images(),
                                   quantize_options={"per_tensor": True})
    assert max(_scale_counts(per_channel)) == 64  # conv4's 64 output channels
    assert max(_scale_counts(per_tensor)) == 1


def test_observer_and_calibration_size_reach_the_core(simple):
    model, x = simple
    rep = rep_images(n=8)
    base = pt2tflite.convert(model, x, quantize="int8", representative_dataset=rep)
    assert pt2tflite.convert(model, x, quantize="int8", representative_dataset=rep,
                             quantize_options={"observer": "percentile", "percentile": 90.0}) != base
    first4 = pt2tflite.convert(model, x, quantize="int8", representative_dataset=rep_images(n=4))
    assert pt2tflite.convert(model, x, quantize="int8", representative_dataset=rep,
                             quantize_options={"calibration_size": 4}) == first4 != base


def test_nhwc_io_takes_nchw_or_nhwc_calibration_arrays(simple):
    model, x = simple

    def nhwc_rep():
        for (a,) in rep_images()():
            yield [a.transpose(0, 2, 3, 1)]

    from_nchw = pt2tflite.convert(model, x, io_layout="nhwc", quantize="int8", representative_dataset=rep_images(),
                                  io_type=pt2tflite.int8)
    from_nhwc = pt2tflite.convert(model, x, io_layout="nhwc", quantize="int8", representative_dataset=nhwc_rep,
                                  io_type=pt2tflite.int8)
    assert from_nchw == from_nhwc
    ops = pkg_models.tflite_ops(from_nchw)
    assert "TRANSPOSE" not in ops and "QUANTIZE" not in ops and "DEQUANTIZE" not in ops, ops
    interp = lite.Interpreter(model_content=from_nchw)
    assert tuple(interp.get_input_details()[0]["shape"]) == (1, 32, 32, 3)


def test_python_calibration_matches_the_cli(small_cnn_onnx, tmp_path):
    """representative_dataset (in memory, through the binding) and --calibration .npy (the CLI)
    calibrate on the same arrays: the same file."""
    rng = np.random.default_rng(5)
    stack = rng.standard_normal((6, 1, 3, 16, 16)).astype(np.float32)
    np.save(tmp_path / "calib.npy", stack[:, 0])  # [N, 3, 16, 16]: N samples

    def rep():
        for s in stack:
            yield [s]

    for mode, io in (("int8", "uint8"), ("int16x8", "int16")):
        out = tmp_path / f"{mode}.tflite"
        p = subprocess.run([sys.executable, "-m", "pt2tflite", "convert", str(small_cnn_onnx), "-o", str(out),
                            "--quantize", mode, "--calibration", str(tmp_path / "calib.npy"), "--io-type", io],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        # The CLI is strict by default; so is allow_float_fallback=False.
        api = pt2tflite.convert_onnx(small_cnn_onnx, quantize=mode, representative_dataset=rep, io_type=io,
                                     quantize_options={"allow_float_fallback": False})
        assert api == out.read_bytes(), mode
        interp = lite.Interpreter(model_content=api)
        assert interp.get_input_details()[0]["dtype"] == np.dtype(io)


def test_auto_fallback_reaches_the_core(simple):
    """quantize_options={"auto_fallback_db": ...} keeps some layers float (a target far above
    plain int8's SQNR forces it), and the same request from the CLI gives the same bytes."""
    model, x = simple
    rep = rep_images(n=8)
    plain = pt2tflite.convert(model, x, quantize="int8", representative_dataset=rep)
    auto = pt2tflite.convert(model, x, quantize="int8", representative_dataset=rep,
                             quantize_options={"auto_fallback_db": 80.0, "auto_fallback_samples": 4})
    assert len(auto) > len(plain), "float layers make the file bigger"
    with pytest.raises(ValueError, match="auto_fallback_db"):
        pt2tflite.convert(model, x, quantize="int8", representative_dataset=rep,
                          quantize_options={"auto_fallback_db": -1})
