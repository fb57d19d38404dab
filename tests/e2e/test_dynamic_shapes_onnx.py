"""Extents known only at run time: a shape decided by values the graph computes (a Reshape
whose target is an input, ...) is written with -1 in the tensor's shape_signature, and LiteRT
sizes the tensor when it runs. Ops that declare it (elementwise ops, the reshape family,
Shape/Size, Cast, Transpose) read such values; any other op is refused, naming the op that
made the shape dynamic. Each case runs in LiteRT and is compared with onnxruntime."""

from __future__ import annotations

import numpy as np
import onnx
import onnx.helper as oh
import pytest
from onnx import TensorProto as TP

import harness

RNG = np.random.default_rng(7)


def model(nodes, inputs, outputs, inits=(), opset=17):
    g = oh.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", opset)])


def vi(name, dtype, shape):
    return oh.make_tensor_value_info(name, dtype, shape)


X = RNG.standard_normal((2, 3, 4)).astype(np.float32)


@pytest.mark.parametrize("target", [[4, 0, -1], [-1], [2, 12], [3, -1, 2, 1], [0, 0, 4]])
def test_reshape_to_runtime_shape(tmp_path, target):
    m = model([oh.make_node("Reshape", ["x", "s"], ["r"]), oh.make_node("Relu", ["r"], ["y"])],
              [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [len(target)])], [vi("y", TP.FLOAT, None)])
    tfl = harness.check_onnx_model(m, {"x": X, "s": np.array(target, np.int64)}, tmp_path, "reshape")
    # The output's extents are -1 in the file: LiteRT sizes it when it runs.
    info = harness.inspect_json(tfl)
    assert all(d == -1 for d in info["outputs"][0]["shape"]), info["outputs"]


def test_same_file_serves_different_runtime_shapes(tmp_path):
    m = model([oh.make_node("Reshape", ["x", "s"], ["y"])],
              [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [2])], [vi("y", TP.FLOAT, None)])
    tfl = harness.check_onnx_model(m, {"x": X, "s": np.array([6, 4], np.int64)}, tmp_path, "first")
    for target in ([4, 6], [-1, 2], [24, 1]):
        got = harness.run_litert(tfl, {"x": X, "s": np.array(target, np.int64)}, ["y"]).outputs["y"]
        np.testing.assert_array_equal(got, X.reshape([d if d != 0 else X.shape[i] for i, d in enumerate(target)]))


def test_allowzero_keeps_zero_extent_semantics(tmp_path):
    # allowzero=1: a 0 in the target is an extent of 0, not a copy; here the target has none
    # and the op is a plain run-time reshape.
    m = model([oh.make_node("Reshape", ["x", "s"], ["y"], allowzero=1)],
              [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [2])], [vi("y", TP.FLOAT, None)], opset=14)
    harness.check_onnx_model(m, {"x": X, "s": np.array([3, 8], np.int64)}, tmp_path, "allowzero")


def test_chain_of_dynamic_capable_ops(tmp_path):
    # Reshape → (broadcast Add of a constant, Cast, Transpose, Unsqueeze, Shape, Size): every
    # op here reads a value whose extents are known only at run time.
    bias = oh.make_tensor("bias", TP.FLOAT, [4], RNG.standard_normal(4).astype(np.float32))
    axes = oh.make_tensor("axes", TP.INT64, [1], [1])
    nodes = [
        oh.make_node("Reshape", ["x", "s"], ["r"]),
        oh.make_node("Add", ["r", "bias"], ["a"]),
        oh.make_node("Mul", ["a", "a"], ["m"]),
        oh.make_node("Transpose", ["m"], ["t"], perm=[1, 0]),
        oh.make_node("Unsqueeze", ["t", "axes"], ["u"]),
        oh.make_node("Cast", ["u"], ["c"], to=TP.INT32),
        oh.make_node("Shape", ["u"], ["shape"]),
        oh.make_node("Size", ["u"], ["size"]),
        oh.make_node("Shape", ["u"], ["tail"], start=1),
    ]
    m = model(nodes, [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [2])],
              [vi("u", TP.FLOAT, None), vi("c", TP.INT32, None), vi("shape", TP.INT64, None),
               vi("size", TP.INT64, None), vi("tail", TP.INT64, None)], inits=[bias, axes], opset=15)
    harness.check_onnx_model(m, {"x": X, "s": np.array([6, 4], np.int64)}, tmp_path, "chain")


def test_op_without_dynamic_support_is_refused_naming_the_source(tmp_path):
    m = model([oh.make_node("Reshape", ["x", "s"], ["r"], name="make_dynamic"),
               oh.make_node("Softmax", ["r"], ["y"], name="needs_static")],
              [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [2])], [vi("y", TP.FLOAT, None)])
    path = tmp_path / "refused.onnx"
    onnx.save(m, str(path))
    out = tmp_path / "refused.tflite"
    r = harness.run_cli("convert", path, "-o", out)
    assert r.returncode != 0
    assert "needs_static" in r.stderr and "make_dynamic" in r.stderr and "known only at run time" in r.stderr, r.stderr
    assert not out.exists()


def test_int8_calibration_refuses_dynamic_graphs_with_advice(tmp_path):
    m = model([oh.make_node("Reshape", ["x", "s"], ["y"])],
              [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [2])], [vi("y", TP.FLOAT, None)])
    path = tmp_path / "q.onnx"
    onnx.save(m, str(path))
    calib = tmp_path / "calib.npz"
    np.savez(calib, x=X[None], s=np.array([[6, 4]], np.int64))
    r = harness.run_cli("convert", path, "-o", tmp_path / "q.tflite", "--quantize", "int8", "--calibration", calib)
    assert r.returncode != 0
    assert "known only at run time" in r.stderr and "float16" in r.stderr, r.stderr


def test_output_is_deterministic(tmp_path):
    m = model([oh.make_node("Reshape", ["x", "s"], ["y"])],
              [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [3])], [vi("y", TP.FLOAT, None)])
    path = tmp_path / "d.onnx"
    onnx.save(m, str(path))
    a = harness.convert(path, tmp_path / "a.tflite")
    b = harness.convert(path, tmp_path / "b.tflite")
    assert a.read_bytes() == b.read_bytes()
