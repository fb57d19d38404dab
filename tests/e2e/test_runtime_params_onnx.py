"""Ops whose parameters are computed at run time rather than stored as initializers, built
directly as ONNX graphs (torch folds them into constants) and compared with onnxruntime:
BatchNormalization with statistics fed as inputs. Conv/ConvTranspose with run-time weights
are covered from torch in op_cases.py."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper

import harness

_rng = np.random.default_rng(0)


def test_batchnorm_with_runtime_statistics(tmp_path):
    x = _rng.standard_normal((2, 3, 5, 4)).astype(np.float32)
    feeds = {"x": x, "scale": _rng.standard_normal(3).astype(np.float32), "b": _rng.standard_normal(3).astype(np.float32),
             "mean": _rng.standard_normal(3).astype(np.float32), "var": _rng.uniform(0.1, 2, 3).astype(np.float32)}
    node = helper.make_node("BatchNormalization", list(feeds), ["y"], epsilon=1e-3)
    graph = helper.make_graph([node], "bn", [helper.make_tensor_value_info(k, TensorProto.FLOAT, v.shape)
                                             for k, v in feeds.items()],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, x.shape)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    harness.check_onnx_model(model, feeds, tmp_path, "bn_runtime")


def _conv_with_runtime_weights(path):
    import onnx

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 4, 8, 8))
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, (6, 36))
    shape = helper.make_tensor("shape", TensorProto.INT64, [4], [6, 4, 3, 3])
    nodes = [helper.make_node("Reshape", ["z", "shape"], ["w"]),
             helper.make_node("Conv", ["x", "w"], ["y"], name="conv_runtime_w", pads=[1, 1, 1, 1])]
    graph = helper.make_graph(nodes, "conv_rw", [x, z], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              initializer=[shape])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))


def test_int8_keeps_a_conv_with_runtime_weights_float(tmp_path):
    """Integer convolutions need symmetric weights, which a run-time tensor cannot promise: full
    int8 names the node unless float fallback is allowed; then the conv runs float in LiteRT."""
    path = tmp_path / "conv_rw.onnx"
    _conv_with_runtime_weights(path)
    samples = {"x": _rng.standard_normal((8, 1, 4, 8, 8)).astype(np.float32),
               "z": _rng.standard_normal((8, 6, 36)).astype(np.float32)}
    np.savez(tmp_path / "calib.npz", **samples)
    q = ["--quantize", "int8", "--calibration", str(tmp_path / "calib.npz")]
    p = harness.run_cli("convert", path, "-o", tmp_path / "strict.tflite", *q)
    assert p.returncode == 1 and "conv_runtime_w" in p.stderr and "weights computed at run time" in p.stderr, p.stderr
    assert not (tmp_path / "strict.tflite").exists()

    tfl = harness.convert(path, tmp_path / "fallback.tflite", extra=[*q, "--allow-float-fallback"])
    assert harness.inspect_json(tfl)["ops"].get("CONV_2D") == 1
    feeds = {k: v[0] for k, v in samples.items()}
    ref = harness.run_onnxruntime(path, feeds)["y"]
    got = harness.run_litert(tfl, feeds, ["y"]).outputs["y"]
    # int8 inputs (8 calibration samples, these among them): a few quantization steps of error.
    err, scale = harness.max_rel_error(ref, got)
    assert err <= 0.05 * scale, f"max abs error {err:.3g} vs max|ref| {scale:.3g}"
