"""Parameters that ONNX graphs compute at run time, converted without freezing them:
OneHot's depth (the new axis' extent is -1 in the file; ONE_HOT reads depth as a tensor),
ConvInteger/QLinearConv weights (centered in float32 and fed to the run-time-weight conv
path), and If with a run-time condition (both branches inlined, each output picked by
SELECT_V2). One .tflite is run with several parameter values, each compared with onnxruntime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnx.helper as oh
import pytest
from onnx import TensorProto as TP

import harness

RNG = np.random.default_rng(11)


def model(nodes, inputs, outputs, inits=(), opset=17):
    g = oh.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", opset)])


def vi(name, dtype, shape):
    return oh.make_tensor_value_info(name, dtype, shape)


def check_feeds(m, feeds_list, tmp_path: Path, name: str, tol: float = harness.FLOAT_TOL) -> Path:
    """Converts m once (checking the first feeds), then runs the same .tflite on every other
    feeds set in LiteRT and compares with onnxruntime: integers exactly, floats within tol."""
    tfl = harness.check_onnx_model(m, feeds_list[0], tmp_path, name, tol=tol)
    path = tmp_path / f"{name}.onnx"
    for i, feeds in enumerate(feeds_list[1:], 1):
        ref = harness.run_onnxruntime(path, feeds)
        got = harness.run_litert(tfl, feeds, list(ref)).outputs
        for out, r in ref.items():
            assert got[out].dtype == r.dtype, f"[{name} #{i}] {out}: dtype {got[out].dtype}, onnxruntime {r.dtype}"
            assert got[out].shape == r.shape, f"[{name} #{i}] {out}: shape {got[out].shape}, onnxruntime {r.shape}"
        harness.assert_close(ref, got, tol, context=f"[{name} #{i}] ")
    return tfl


# --------------------------------------------------------------------------- OneHot depth


@pytest.mark.parametrize("axis", [-1, 0, 1, -2])
@pytest.mark.parametrize("depth_type", [TP.INT64, TP.FLOAT, TP.INT32])
def test_onehot_runtime_depth(tmp_path, axis, depth_type):
    # Indices include negative ones (counted from the end) and ones outside [-depth, depth)
    # for the smaller depth (all-off rows); the same file runs with depths 3, 5 and 8.
    idx = np.array([[0, 2, -1, 4], [7, -3, 1, -8]], np.int64)
    values = oh.make_tensor("values", TP.FLOAT, [2], [-0.5, 2.0])
    depth_np = {TP.INT64: np.int64, TP.FLOAT: np.float32, TP.INT32: np.int32}[depth_type]
    m = model([oh.make_node("OneHot", ["i", "depth", "values"], ["y"], axis=axis)],
              [vi("i", TP.INT64, [2, 4]), vi("depth", depth_type, [1])], [vi("y", TP.FLOAT, None)],
              inits=[values], opset=11)
    feeds = [{"i": idx, "depth": np.array([d], depth_np)} for d in (5, 3, 8)]
    tfl = check_feeds(m, feeds, tmp_path, "onehot")
    info = harness.inspect_json(tfl)
    shape = info["outputs"][0]["shape"]
    assert shape.count(-1) == 1 and shape[axis] == -1, shape  # only the new axis is run-time


def test_onehot_runtime_depth_scalar_int_values_runtime_indices(tmp_path):
    # A 0-d depth, int64 on/off values, indices computed by the graph (Add).
    values = oh.make_tensor("values", TP.INT64, [2], [0, 7])
    m = model([oh.make_node("Add", ["i", "i"], ["j"]), oh.make_node("OneHot", ["j", "depth", "values"], ["y"])],
              [vi("i", TP.INT64, [3]), vi("depth", TP.INT64, [])], [vi("y", TP.INT64, None)],
              inits=[values], opset=11)
    idx = np.array([1, -1, 2], np.int64)
    check_feeds(m, [{"i": idx, "depth": np.array(d, np.int64)} for d in (6, 4)], tmp_path, "onehot_int")


def test_onehot_runtime_depth_feeds_dynamic_capable_op(tmp_path):
    # The -1 extent flows into an elementwise op (declared dynamic), then out.
    values = oh.make_tensor("values", TP.FLOAT, [2], [0.0, 1.0])
    m = model([oh.make_node("OneHot", ["i", "depth", "values"], ["h"]), oh.make_node("Mul", ["h", "s"], ["y"])],
              [vi("i", TP.INT64, [4]), vi("depth", TP.INT64, [1]), vi("s", TP.FLOAT, [4, 1])],
              [vi("y", TP.FLOAT, None)], inits=[values], opset=11)
    s = RNG.standard_normal((4, 1)).astype(np.float32)
    idx = np.array([0, 1, 2, 3], np.int64)
    check_feeds(m, [{"i": idx, "depth": np.array([d], np.int64), "s": s} for d in (4, 7)], tmp_path, "onehot_mul")
