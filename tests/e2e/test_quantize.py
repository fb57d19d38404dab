"""Post-training quantization (issue 4), run in LiteRT and checked against the float model.

Each mode converts the e2e models with the CLI, runs the file in LiteRT on held-out inputs
drawn like the calibration set, and compares with onnxruntime on the float ONNX model:
  int8 / int16x8  output SQNR in dB (signal power over error power) and top-1 agreement
  float16         near-float accuracy; weights stored FLOAT16; file ≈ ½ the float32 file
  dynamic         int8 weights read by hybrid kernels; file ≈ ¼ on weight-dominated models
The written file is read back (LiteRT's tensor and op details) and checked against the TFLite
quantization spec: symmetric per-channel int8 conv weights, int32 bias with scale = input
scale × weight scale, fixed output params for softmax, shared params where kernels move raw
integers, and the I/O types asked for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import harness
import models

CALIBRATION_SAMPLES = 32
TEST_SAMPLES = 8

# Minimum mean output SQNR (dB) over the test inputs. Measured on this code (8 inputs,
# 32 calibration samples): SimpleNetwork int8 35.4, int16x8 43.3; MobileNetV2 int8 27.7.
# The bar for MobileNetV2 int8 is 25 dB.
SQNR_MIN = {("simple_network", "int8"): 30.0, ("simple_network", "int16x8"): 38.0,
            ("mobilenet_v2", "int8"): 25.0, ("resnet18", "int8"): 25.0}


def sqnr_db(ref: np.ndarray, got: np.ndarray) -> float:
    err = float(((ref.astype(np.float64) - got) ** 2).sum())
    return 10 * np.log10(float((ref.astype(np.float64) ** 2).sum()) / max(err, 1e-30))


class Quantized:
    def __init__(self, exp: harness.Exported, tmp: Path, mode: str, *extra: str, nhwc_io: bool = False):
        self.exp = exp
        shape = exp.input_dims[0][1]
        rng = np.random.default_rng(1)
        self.calibration = rng.standard_normal((CALIBRATION_SAMPLES, *shape)).astype(np.float32)
        self.tests = rng.standard_normal((TEST_SAMPLES, *shape)).astype(np.float32)
        np.save(tmp / "calibration.npy", self.calibration)
        self.path = tmp / f"{mode}.tflite"
        args = ["--quantize", mode, *extra]
        if mode in ("int8", "int16x8"):
            args += ["--calibration", tmp / "calibration.npy"]
        if nhwc_io:
            args.append("--nhwc-io")
        r = harness.run_cli("convert", exp.onnx_path, "-o", self.path, *args)
        assert r.returncode == 0, r.stderr
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
        self.interp = Interpreter(model_path=str(self.path), num_threads=1)
        self.interp.allocate_tensors()
        # The file as written: read before any kernel is prepared (preparing FULLY_CONNECTED
        # expands a per-tensor weight scale to one per row in memory) and without delegates.
        as_written = Interpreter(model_path=str(self.path),
                                 experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        self.tensors = {t["index"]: t for t in as_written.get_tensor_details()}
        self.ops = as_written._get_ops_details()

    def run(self, x: np.ndarray, nhwc_io: bool = False) -> np.ndarray:
        it = self.interp
        d_in, d_out = it.get_input_details()[0], it.get_output_details()[0]
        if nhwc_io:
            x = x.transpose(harness.channels_last_perm(x.ndim))
        if d_in["dtype"] != np.float32:
            s, z = d_in["quantization"]
            info = np.iinfo(d_in["dtype"])
            x = np.clip(np.round(x / s + z), info.min, info.max).astype(d_in["dtype"])
        it.set_tensor(d_in["index"], np.ascontiguousarray(x))
        it.invoke()
        y = it.get_tensor(d_out["index"])
        if d_out["dtype"] != np.float32:
            s, z = d_out["quantization"]
            y = (y.astype(np.float32) - z) * s
        return y

    def accuracy(self) -> tuple[float, int]:
        """Mean SQNR (dB) against onnxruntime's float outputs, and top-1 agreements."""
        name = self.exp.input_dims[0][0]
        sq, agree = [], 0
        for x in self.tests:
            ref = next(iter(harness.run_onnxruntime(self.exp.onnx_path, {name: x}).values()))
            got = self.run(x)
            sq.append(sqnr_db(ref, got))
            agree += int(ref.argmax() == got.argmax())
        return float(np.mean(sq)), agree

    def tensor(self, i: int) -> dict:
        return self.tensors[i]

    def ops_of(self, name: str) -> list[dict]:
        return [op for op in self.ops if op["op_name"] == name]


def _export(export_cache, name: str) -> harness.Exported:
    spec = models.MODELS[name]
    return export_cache.get(name, "torchscript", spec.build, spec.shapes, seed=1, kind=spec.input_kinds)


def _scales(t: dict) -> np.ndarray:
    return t["quantization_parameters"]["scales"]


def _zero_points(t: dict) -> np.ndarray:
    return t["quantization_parameters"]["zero_points"]


@pytest.mark.parametrize("name, mode", [
    ("simple_network", "int8"), ("simple_network", "int16x8"),
    pytest.param("mobilenet_v2", "int8", marks=pytest.mark.slow),
    pytest.param("resnet18", "int8", marks=pytest.mark.slow)])
def test_integer_accuracy(name, mode, export_cache, tmp_path):
    q = Quantized(_export(export_cache, name), tmp_path, mode)
    sq, agree = q.accuracy()
    print(f"\n{name} {mode}: SQNR {sq:.1f} dB, top-1 agreement {agree}/{TEST_SAMPLES}")
    assert sq >= SQNR_MIN[(name, mode)], f"{name} {mode}: SQNR {sq:.1f} dB"
    assert agree >= TEST_SAMPLES - 1


@pytest.mark.parametrize("name", ["simple_network", pytest.param("mobilenet_v2", marks=pytest.mark.slow)])
def test_int8_follows_the_spec(name, export_cache, tmp_path):
    q = Quantized(_export(export_cache, name), tmp_path, "int8")
    conv_like = q.ops_of("CONV_2D") + q.ops_of("DEPTHWISE_CONV_2D") + q.ops_of("FULLY_CONNECTED")
    assert conv_like
    for op in conv_like:
        x, w = q.tensor(op["inputs"][0]), q.tensor(op["inputs"][1])
        assert x["dtype"] == np.int8 and w["dtype"] == np.int8, op
        wq = q.interp.get_tensor(w["index"])
        assert wq.min() >= -127, f"{op['op_name']} weights use -128"
        assert not _zero_points(w).any(), "weights must be symmetric (zero point 0)"
        if op["op_name"] == "FULLY_CONNECTED":
            assert len(_scales(w)) == 1, "FULLY_CONNECTED weights are per tensor"
        else:
            axis = 3 if op["op_name"] == "DEPTHWISE_CONV_2D" else 0
            assert w["quantization_parameters"]["quantized_dimension"] == axis
            assert len(_scales(w)) == w["shape"][axis], "conv weights per output channel"
        if len(op["inputs"]) > 2 and op["inputs"][2] >= 0:
            b = q.tensor(op["inputs"][2])
            assert b["dtype"] == np.int32 and not _zero_points(b).any()
            np.testing.assert_allclose(_scales(b), _scales(x)[0] * _scales(w), rtol=1e-6)
    for op in q.ops_of("SOFTMAX"):
        out = q.tensor(op["outputs"][0])
        assert out["quantization"] == (pytest.approx(1 / 256), -128)
    for name_ in ("MAX_POOL_2D", "AVERAGE_POOL_2D", "RESHAPE", "CONCATENATION", "TRANSPOSE", "PAD"):
        for op in q.ops_of(name_):
            out = q.tensor(op["outputs"][0]).get("quantization")
            data_inputs = [i for i in op["inputs"] if i >= 0 and q.tensor(i)["dtype"] == np.int8]
            for i in data_inputs:
                assert q.tensor(i)["quantization"] == out, f"{name_} must keep its input's params"
    for t in q.tensors.values():
        if t["dtype"] == np.int8:
            assert all(-128 <= z <= 127 for z in _zero_points(t))


@pytest.mark.parametrize("io_type, dtype", [("int8", np.int8), ("uint8", np.uint8), ("float32", np.float32)])
def test_int8_io_types(io_type, dtype, export_cache, tmp_path):
    q = Quantized(_export(export_cache, "simple_network"), tmp_path, "int8", "--io-type", io_type)
    assert q.interp.get_input_details()[0]["dtype"] == dtype
    assert q.interp.get_output_details()[0]["dtype"] == dtype
    sq, _ = q.accuracy()
    assert sq >= SQNR_MIN[("simple_network", "int8")] - 1.0


def test_int8_nhwc_io(export_cache, tmp_path):
    """--nhwc-io with NCHW calibration arrays (transposed by the converter)."""
    exp = _export(export_cache, "simple_network")
    q = Quantized(exp, tmp_path, "int8", nhwc_io=True)
    assert q.ops_of("TRANSPOSE") == []
    x = q.tests[0]
    ref = next(iter(harness.run_onnxruntime(exp.onnx_path, {exp.input_dims[0][0]: x}).values()))
    assert sqnr_db(ref, q.run(x, nhwc_io=True)) >= SQNR_MIN[("simple_network", "int8")] - 3


def test_int16x8_types(export_cache, tmp_path):
    q = Quantized(_export(export_cache, "simple_network"), tmp_path, "int16x8")
    conv = q.ops_of("CONV_2D")
    assert conv
    for op in conv:
        x, w, b = (q.tensor(i) for i in op["inputs"][:3])
        assert x["dtype"] == np.int16 and not _zero_points(x).any(), "int16 activations are symmetric"
        assert w["dtype"] == np.int8 and b["dtype"] == np.int64


def _float_size(exp, tmp_path) -> int:
    out = tmp_path / "float.tflite"
    harness.convert(exp.onnx_path, out)
    return out.stat().st_size


@pytest.mark.slow
@pytest.mark.parametrize("mode, ratio", [("float16", 0.5), ("dynamic", 0.25), ("int8", 0.25)])
def test_sizes(mode, ratio, export_cache, tmp_path):
    """float16 ≈ ½ and int8 ≈ ¼ of float32 (±5 points: per-channel scales and zero points,
    int32 biases and the graph itself do not shrink)."""
    exp = _export(export_cache, "mobilenet_v2")
    q = Quantized(exp, tmp_path, mode)
    r = q.path.stat().st_size / _float_size(exp, tmp_path)
    print(f"\nmobilenet_v2 {mode}: {r:.3f} of float32")
    assert ratio - 0.05 <= r <= ratio + 0.05


def test_float16_weights(export_cache, tmp_path):
    q = Quantized(_export(export_cache, "simple_network"), tmp_path, "float16")
    deq = q.ops_of("DEQUANTIZE")
    assert deq and all(q.tensor(op["inputs"][0])["dtype"] == np.float16 for op in deq)
    for op in q.ops_of("CONV_2D"):
        assert q.tensor(op["inputs"][0])["dtype"] == np.float32
    sq, agree = q.accuracy()
    assert sq >= 55 and agree == TEST_SAMPLES


def test_dynamic_hybrid_weights(export_cache, tmp_path):
    q = Quantized(_export(export_cache, "simple_network"), tmp_path, "dynamic")
    big = [op for op in q.ops_of("CONV_2D") if np.prod(q.tensor(op["inputs"][1])["shape"]) >= 1024]
    assert big
    for op in big:
        assert q.tensor(op["inputs"][0])["dtype"] == np.float32
        assert q.tensor(op["inputs"][1])["dtype"] == np.int8
    sq, agree = q.accuracy()
    assert sq >= 30 and agree == TEST_SAMPLES


def test_fallback_float_keeps_named_ops_float(export_cache, tmp_path):
    q = Quantized(_export(export_cache, "simple_network"), tmp_path, "int8", "--fallback-float", "SOFTMAX")
    (softmax,) = q.ops_of("SOFTMAX")
    assert q.tensor(softmax["inputs"][0])["dtype"] == np.float32
    assert q.ops_of("DEQUANTIZE"), "a DEQUANTIZE feeds the float softmax"
    sq, _ = q.accuracy()
    assert sq >= SQNR_MIN[("simple_network", "int8")]


def test_calibration_errors(export_cache, tmp_path):
    exp = _export(export_cache, "simple_network")
    out = tmp_path / "m.tflite"
    r = harness.run_cli("convert", exp.onnx_path, "-o", out, "--quantize", "int8")
    assert r.returncode == 1 and "representative data" in r.stderr and not out.exists()
    np.save(tmp_path / "bad.npy", np.zeros((4, 3, 31, 32), np.float32))
    r = harness.run_cli("convert", exp.onnx_path, "-o", out, "--quantize", "int8", "--calibration", tmp_path / "bad.npy")
    assert r.returncode == 1 and "does not fit input" in r.stderr and "bad.npy" in r.stderr and not out.exists()
    r = harness.run_cli("convert", exp.onnx_path, "-o", out, "--quantize", "int4")
    assert r.returncode == 2


def test_quantized_output_is_deterministic(export_cache, tmp_path):
    exp = _export(export_cache, "simple_network")
    a = Quantized(exp, tmp_path, "int8").path.read_bytes()
    (tmp_path / "again").mkdir()
    b = Quantized(exp, tmp_path / "again", "int8").path.read_bytes()
    assert a == b


def test_auto_fallback_reaches_the_target(export_cache, tmp_path):
    """--auto-fallback keeps layers float until the simulated output SQNR reaches the target;
    LiteRT running the written file must agree with the simulation."""
    exp = _export(export_cache, "simple_network")
    plain = Quantized(exp, tmp_path, "int8")
    base, _ = plain.accuracy()
    target = base + 2.0
    (tmp_path / "auto").mkdir()
    q = Quantized(exp, tmp_path / "auto", "int8", "--auto-fallback", f"{target:.2f}", "--auto-fallback-samples", "8")
    got, agree = q.accuracy()
    print(f"\nsimple_network int8 {base:.1f} dB; --auto-fallback {target:.1f}: {got:.1f} dB")
    float_convs = [op for op in q.ops_of("CONV_2D") if q.tensor(op["inputs"][0])["dtype"] == np.float32]
    assert float_convs, "some layer must have been kept float"
    assert q.ops_of("MAX_POOL_2D") and any(q.tensor(op["inputs"][0])["dtype"] == np.int8
                                           for op in q.ops_of("MAX_POOL_2D")), "the rest stays int8"
    assert got >= target - 1.0, f"LiteRT gives {got:.1f} dB, the target was {target:.1f}"
    assert agree == TEST_SAMPLES


def test_int8_video_classifier_keeps_conv3d_float(export_cache, tmp_path):
    """LiteRT's CONV_3D kernel is float32 only: with --allow-float-fallback the 3-D convs stay
    float between DEQUANTIZE/QUANTIZE, everything else (pools, mean, FC) runs int8; without
    it the conversion names the CONV_3D nodes."""
    exp = _export(export_cache, "video_classifier")
    cal = tmp_path / "calibration.npy"
    np.save(cal, np.random.default_rng(1).standard_normal((4, *models.VIDEO_INPUT)).astype(np.float32))
    r = harness.run_cli("convert", exp.onnx_path, "-o", tmp_path / "x.tflite", "--quantize", "int8", "--calibration", cal)
    assert r.returncode != 0 and "tfl.CONV_3D" in r.stderr, r.stderr
    q = Quantized(exp, tmp_path, "int8", "--allow-float-fallback")
    convs = q.ops_of("CONV_3D")
    assert len(convs) == 2
    for op in convs:
        assert q.tensor(op["inputs"][0])["dtype"] == np.float32
        assert q.tensor(op["inputs"][1])["dtype"] == np.float32
    for name in ("MAX_POOL_2D", "FULLY_CONNECTED"):
        (op,) = q.ops_of(name)
        assert q.tensor(op["inputs"][0])["dtype"] == np.int8, name
    sq, agree = q.accuracy()
    print(f"\nvideo_classifier int8 (CONV_3D float): SQNR {sq:.1f} dB, top-1 agreement {agree}/{TEST_SAMPLES}")
    assert sq >= 35.0 and agree >= TEST_SAMPLES - 1  # measured 45 dB
