"""pt2tflite.verify and `pt2tflite verify`: pass on a good conversion, fail (exit 1) on a broken
one, and with per_layer name the tensor where the error starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import pkg_models
import pt2tflite


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pt2tflite", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def good(small_cnn_onnx, tmp_path_factory):
    d = tmp_path_factory.mktemp("good")
    nchw, nhwc = d / "nchw.tflite", d / "nhwc.tflite"
    nchw.write_bytes(pt2tflite.convert_onnx(small_cnn_onnx))
    nhwc.write_bytes(pt2tflite.convert_onnx(small_cnn_onnx, io_layout="nhwc"))
    return small_cnn_onnx, nchw, nhwc


def _conv2_bias(onnx_path) -> np.ndarray:
    m = onnx.load(str(onnx_path))
    node = next(n for n in m.graph.node if n.op_type == "Conv" and "conv2" in n.name)
    return numpy_helper.to_array(next(t for t in m.graph.initializer if t.name == node.input[2]))


@pytest.fixture(scope="module")
def flipped(good, tmp_path_factory):
    """The NCHW .tflite with conv2's bias changed in the file itself."""
    onnx_path, nchw, _ = good
    data = bytearray(nchw.read_bytes())
    bias = _conv2_bias(onnx_path).astype(np.float32)
    raw = bias.tobytes()
    at = bytes(data).find(raw)
    assert at >= 0 and bytes(data).find(raw, at + 1) < 0, "conv2's bias should be stored once, verbatim"
    data[at:at + len(raw)] = (bias + 3.0).astype(np.float32).tobytes()
    path = tmp_path_factory.mktemp("broken") / "flipped.tflite"
    path.write_bytes(bytes(data))
    return path


def test_good_model_passes_both_layouts(good):
    onnx_path, nchw, nhwc = good
    for tfl, layout in ((nchw, "nchw"), (nhwc, "nhwc")):
        r = pt2tflite.verify(onnx_path, tfl)
        assert r.passed, str(r)
        assert r.io_layout == layout and r.model_kind == "float32" and r.tolerance == 1e-4
        (o,) = r.outputs
        assert o.shape == (1, 5) and o.metrics.rel < 1e-5 and o.metrics.cosine > 0.99999 and o.metrics.sqnr_db > 80
        text = str(r)
        for word in ("max abs err", "rel err", "cosine", "SQNR dB", "ok"):
            assert word in text


def test_flipped_weight_fails_and_per_layer_finds_it(good, flipped):
    onnx_path, _, _ = good
    r = pt2tflite.verify(onnx_path, flipped, per_layer=True)
    assert not r.passed
    assert r.layers, "intermediate tensors should match by name"
    f = r.first_divergent
    assert f is not None, str(r)
    # conv2 (+ its fused ReLU) is where the error starts; conv1's output before it is fine.
    assert "conv2" in f.node or "relu_1" in f.node.lower() or "Relu_1" in f.node, str(r)
    before = r.layers[: r.layers.index(f)]
    assert all(l.metrics.rel <= r.tolerance for l in before)
    assert "first divergent tensor" in str(r)


def test_per_layer_on_a_good_model(good):
    onnx_path, _, nhwc = good
    r = pt2tflite.verify(onnx_path, nhwc, per_layer=True)
    assert r.passed and r.first_divergent is None
    assert len(r.layers) >= 3, str(r)
    assert any(l.layout == "nhwc" for l in r.layers), "NHWC intermediates are compared after permuting back"


def test_a_different_model_fails(small_cnn_onnx, tmp_path):
    """A .tflite converted from the same architecture with other weights."""
    other = pkg_models.export(pkg_models.small_cnn(seed=1), pkg_models.image(16), tmp_path / "other.onnx")
    tfl = tmp_path / "other.tflite"
    tfl.write_bytes(pt2tflite.convert_onnx(other))
    r = pt2tflite.verify(small_cnn_onnx, tfl)
    assert not r.passed and r.outputs[0].metrics.rel > 0.01
    assert "FAIL" in str(r)


def test_cli_verify_exit_codes(good, flipped):
    onnx_path, nchw, nhwc = good
    p = cli("verify", onnx_path, nhwc)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "NHWC I/O" in p.stdout and "ok" in p.stdout
    p = cli("verify", onnx_path, flipped, "--per-layer")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "first divergent tensor" in p.stdout and "FAIL" in p.stdout
    p = cli("verify", onnx_path, flipped, "--json")
    assert p.returncode == 1
    assert json.loads(p.stdout)["passed"] is False
    p = cli("verify", onnx_path)
    assert p.returncode == 2 and "usage" in p.stderr.lower()
    p = cli("verify", onnx_path, onnx_path.parent / "missing.tflite")
    assert p.returncode == 2 and "missing.tflite" in p.stderr


def test_cli_verify_with_inputs_npz(good, tmp_path):
    onnx_path, nchw, _ = good
    x = np.random.default_rng(5).uniform(-1, 1, (1, 3, 16, 16)).astype(np.float32)
    np.savez(tmp_path / "data.npz", input=x)
    p = cli("verify", onnx_path, nchw, "--inputs", tmp_path / "data.npz", "--tolerance", "1e-5")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "data.npz" in p.stdout
    np.savez(tmp_path / "wrong.npz", nope=x)
    p = cli("verify", onnx_path, nchw, "--inputs", tmp_path / "wrong.npz")
    assert p.returncode == 2 and "nope" in p.stderr


def test_given_inputs_are_used(good):
    onnx_path, nchw, _ = good
    x = np.zeros((1, 3, 16, 16), np.float32)
    r = pt2tflite.verify(onnx_path, nchw, {"input": x})
    assert r.passed and r.inputs == "given arrays"
    r = pt2tflite.verify(onnx_path, nchw, [x])
    assert r.passed


def test_ambiguous_layout_is_resolved_by_the_better_match(tmp_path):
    """An 8x8x8 map fits both layouts by shape; verify tries both and says so."""
    import torch

    model = torch.nn.Sequential(torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU()).eval()
    onnx_path = pkg_models.export(model, torch.randn(1, 8, 8, 8), tmp_path / "sq.onnx")
    for layout in ("nchw", "nhwc"):
        tfl = tmp_path / f"{layout}.tflite"
        tfl.write_bytes(pt2tflite.convert_onnx(onnx_path, io_layout=layout))
        r = pt2tflite.verify(onnx_path, tfl)
        assert r.passed and r.io_layout == layout, str(r)
        assert any("both layouts" in n for n in r.notes)


def test_integer_and_multiple_io(tmp_path):
    """Random integer inputs; several outputs, matched by name."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    i = helper.make_tensor_value_info("i", TensorProto.INT32, [2, 3])
    nodes = [helper.make_node("Cast", ["i"], ["f"], to=TensorProto.FLOAT, name="cast"),
             helper.make_node("Add", ["x", "f"], ["sum"], name="add"),
             helper.make_node("Relu", ["x"], ["relu"], name="relu")]
    outs = [helper.make_tensor_value_info("sum", TensorProto.FLOAT, [2, 3]),
            helper.make_tensor_value_info("relu", TensorProto.FLOAT, [2, 3])]
    m = helper.make_model(helper.make_graph(nodes, "g", [x, i], outs), opset_imports=[helper.make_opsetid("", 17)])
    onnx_path = tmp_path / "m.onnx"
    onnx.save(m, str(onnx_path))
    tfl = tmp_path / "m.tflite"
    tfl.write_bytes(pt2tflite.convert_onnx(onnx_path))
    r = pt2tflite.verify(onnx_path, tfl)
    assert r.passed, str(r)
    assert [o.name for o in r.outputs] == ["sum", "relu"]


# --------------------------------------------------------------------------- quantized I/O


def _int8_relu_tflite(path, shape, in_q=(0.05, 3), out_q=(0.03, -128)):
    """int8 in → DEQUANTIZE → RELU → QUANTIZE → int8 out, written from JSON by flatc with the
    project's schema: an exact, minimal model whose errors are known (TensorFlow is never used)."""
    import shutil

    flatc = shutil.which("flatc")
    assert flatc, "flatc (apt: flatbuffers-compiler, installed by scripts/setup.sh) is needed"
    t = lambda name, buf, typ, q=None: {"shape": list(shape), "type": typ, "buffer": buf, "name": name,  # noqa: E731
                                        **({"quantization": {"scale": [q[0]], "zero_point": [q[1]]}} if q else {})}
    model = {
        "version": 3,
        "operator_codes": [{"deprecated_builtin_code": 6, "builtin_code": "DEQUANTIZE"},
                           {"deprecated_builtin_code": 19, "builtin_code": "RELU"},
                           {"deprecated_builtin_code": 114, "builtin_code": "QUANTIZE"}],
        "subgraphs": [{"tensors": [t("x", 1, "INT8", in_q), t("x_float", 2, "FLOAT32"), t("y_float", 3, "FLOAT32"),
                                   t("y", 4, "INT8", out_q)],
                       "inputs": [0], "outputs": [3],
                       "operators": [{"opcode_index": i, "inputs": [i], "outputs": [i + 1]} for i in range(3)],
                       "name": "main"}],
        "buffers": [{}, {}, {}, {}, {}],
    }
    js = path.with_suffix(".json")
    js.write_text(json.dumps(model))
    schema = Path(__file__).resolve().parents[2] / "src" / "tflite" / "schema.fbs"
    p = subprocess.run([flatc, "-b", "-o", str(path.parent), str(schema), str(js)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return path


def _onnx_unary(path, op, shape):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, list(shape))
    m = helper.make_model(helper.make_graph([helper.make_node(op, ["x"], ["y"], name=op.lower())], "g", [x], [y]),
                          opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(m, str(path))
    return path


@pytest.mark.parametrize("onnx_shape, tflite_shape, layout", [
    ((1, 16), (1, 16), "nchw"),
    ((1, 2, 4, 6), (1, 4, 6, 2), "nhwc"),
])
def test_quantized_io(tmp_path, onnx_shape, tflite_shape, layout):
    tfl = _int8_relu_tflite(tmp_path / "q.tflite", tflite_shape)
    good = pt2tflite.verify(_onnx_unary(tmp_path / "relu.onnx", "Relu", onnx_shape), tfl)
    assert good.passed, str(good)
    assert good.model_kind == "quantized" and good.tolerance == 0.1 and good.io_layout == layout
    # Output quantization step 0.03 over max ~3.2: a relative error of ~1%, as quantization gives.
    assert 1e-4 < good.outputs[0].metrics.rel < 0.02 and good.outputs[0].metrics.sqnr_db > 30
    bad = pt2tflite.verify(_onnx_unary(tmp_path / "sigmoid.onnx", "Sigmoid", onnx_shape), tfl)
    assert not bad.passed, str(bad)


def test_pt2tflite_int8_model_with_int8_io(small_cnn_onnx, tmp_path):
    """A real full-int8 conversion with int8 inputs and outputs: verify quantizes its inputs and
    dequantizes its outputs, in both layouts, and a wrong model still fails."""
    rng = np.random.default_rng(3)
    calib = rng.standard_normal((32, 1, 3, 16, 16)).astype(np.float32)  # N(0,1), as verify's inputs

    def rep():
        for x in calib:
            yield [x]

    for layout in ("nchw", "nhwc"):
        tfl = tmp_path / f"int8_{layout}.tflite"
        tfl.write_bytes(pt2tflite.convert_onnx(small_cnn_onnx, io_layout=layout, quantize="int8",
                                               representative_dataset=rep, io_type=pt2tflite.int8))
        r = pt2tflite.verify(small_cnn_onnx, tfl)
        assert r.passed, str(r)
        assert r.model_kind == "quantized" and r.io_layout == layout and r.tolerance == 0.1
        assert any("quantized inputs" in n for n in r.notes)
        (o,) = r.outputs
        assert o.metrics.sqnr_db > 25 and o.metrics.rel > 1e-4, str(r)  # int8 noise, but small
        given = pt2tflite.verify(small_cnn_onnx, tfl, inputs=[calib[0]])
        assert given.passed and given.inputs == "given arrays", str(given)
    other = pkg_models.export(pkg_models.small_cnn(seed=1), pkg_models.image(16), tmp_path / "other.onnx")
    bad = pt2tflite.verify(other, tmp_path / "int8_nchw.tflite")
    assert not bad.passed, str(bad)
