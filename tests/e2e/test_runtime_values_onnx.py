"""Op parameters computed at run time that change values but not the output shape (ONNX's node
tests feed them as graph inputs; real models compute them): Trilu's k, OneHot's [off, on]
values, Dropout's ratio/training_mode, BatchNormalization in training mode. Built directly as
ONNX graphs, converted, run in LiteRT and compared with onnxruntime on the same inputs:
integers exactly, floats by the float32 rule (max|err| <= 1e-4 * max|ref|). Training-mode
Dropout draws random numbers, so it is checked statistically (LiteRT's generator is not
onnxruntime's).
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import harness

_TYPES = {np.float32: TensorProto.FLOAT, np.int64: TensorProto.INT64, np.int32: TensorProto.INT32,
          np.bool_: TensorProto.BOOL, np.float16: TensorProto.FLOAT16}
_rng = np.random.default_rng(0)


def _f(*shape):
    return _rng.standard_normal(shape).astype(np.float32)


def _i64(v):
    return np.array(v, np.int64)


def _model(op, attrs, feeds, consts, opset, outputs, inputs=None) -> onnx.ModelProto:
    """One `op` node; its inputs are `inputs` (names, "" for absent) or feeds then consts."""
    ins = [helper.make_tensor_value_info(k, _TYPES[v.dtype.type], v.shape) for k, v in feeds.items()]
    outs = [helper.make_tensor_value_info(f"y{i}", TensorProto.UNDEFINED, None) for i in range(outputs)]
    node = helper.make_node(op, inputs if inputs is not None else [*feeds, *consts], [o.name for o in outs], **attrs)
    graph = helper.make_graph([node], op, ins, outs,
                              initializer=[numpy_helper.from_array(v, k) for k, v in consts.items()])
    return onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]))


def _check(case, spec, tmp_path):
    op, attrs, feeds, consts, opset, outputs, *inputs = spec
    model = _model(op, attrs, feeds, consts, opset, outputs, inputs[0] if inputs else None)
    return harness.check_onnx_model(model, feeds, tmp_path, case)


# --------------------------------------------------------------------------- Trilu, run-time k

def _with_inf(x):
    """x with +inf/-inf/NaN planted: the masked-out zeros must stay exact zeros (0·inf = NaN)."""
    x = x.copy()
    flat = x.reshape(-1)
    flat[1], flat[-2], flat[len(flat) // 2] = np.inf, -np.inf, np.nan
    return x


# id: (op, attrs, run-time inputs, constant inputs, opset, outputs)
TRILU_CASES = {
    "upper_k_positive": ("Trilu", {}, {"x": _f(4, 5), "k": _i64(2)}, {}, 14, 1),
    "upper_k_negative_batched": ("Trilu", {}, {"x": _f(2, 3, 5, 4), "k": _i64(-1)}, {}, 14, 1),
    "lower_k_zero_with_inf": ("Trilu", {"upper": 0}, {"x": _with_inf(_f(3, 6, 6)), "k": _i64(0)}, {}, 14, 1),
    "lower_k_beyond_columns": ("Trilu", {"upper": 0}, {"x": _f(3, 4), "k": _i64(9)}, {}, 14, 1),
    "upper_k_beyond_rows_all_zero": ("Trilu", {}, {"x": _f(3, 4), "k": _i64(-7)}, {}, 14, 1),
    "upper_k_huge": ("Trilu", {}, {"x": _f(3, 4), "k": _i64(1 << 40)}, {}, 14, 1),
    "lower_int64_k_negative": ("Trilu", {"upper": 0}, {"x": _i64(_rng.integers(-9, 9, (5, 3))), "k": _i64(-2)},
                               {}, 14, 1),
    "upper_int32": ("Trilu", {}, {"x": _rng.integers(-9, 9, (2, 4, 4)).astype(np.int32), "k": _i64(1)}, {}, 14, 1),
}


@pytest.mark.parametrize("case", list(TRILU_CASES))
def test_trilu_runtime_k(case, tmp_path):
    """Trilu copies or zeroes elements: LiteRT must equal onnxruntime bit for bit, the planted
    inf/NaN included (where kept) and exact zeros where masked."""
    op, attrs, feeds, consts, opset, outputs = TRILU_CASES[case]
    path = tmp_path / f"{case}.onnx"
    onnx.save(_model(op, attrs, feeds, consts, opset, outputs), str(path))
    ref = harness.run_onnxruntime(path, feeds)
    tfl = harness.convert(path, tmp_path / f"{case}.tflite")
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    for name, r in ref.items():
        assert got[name].dtype == r.dtype, (got[name].dtype, r.dtype)
        np.testing.assert_array_equal(got[name], r, err_msg=f"[{case}] {name}")


def test_trilu_computed_k_feeds_later_ops(tmp_path):
    """k computed from a run-time value (here a ReduceMax of an int tensor), the result used
    by later ops: the mask follows k on every invoke (two different k through one .tflite)."""
    x = _f(2, 5, 5)
    nodes = [helper.make_node("ReduceMax", ["kk"], ["k"], keepdims=0),
             helper.make_node("Trilu", ["x", "k"], ["t"]),
             helper.make_node("Relu", ["t"], ["y"])]
    graph = helper.make_graph(nodes, "trilu_chain",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape),
                               helper.make_tensor_value_info("kk", TensorProto.INT64, [3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    path = tmp_path / "trilu_chain.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), str(path))
    tfl = harness.convert(path, tmp_path / "trilu_chain.tflite")
    for kk in ([-3, 1, 0], [-9, -2, -4]):
        feeds = {"x": x, "kk": _i64(kk)}
        ref = harness.run_onnxruntime(path, feeds)
        got = harness.run_litert(tfl, feeds, list(ref)).outputs
        harness.assert_close(ref, got, context=f"[k={max(kk)}] ")


# --------------------------------------------------------------------------- OneHot, run-time values

# Indices in range, negative (counted from the end), and outside [-depth, depth) incl. values
# beyond int32 (must not wrap into range): ONNX gives those all-off rows.
_IDX = _i64([[0, -1, 4, 2], [5, -5, -6, 3], [1 << 33, -(1 << 33), (1 << 32) + 1, -2]])

# id: (op, attrs, run-time inputs, constant inputs, opset, outputs); depth is constant (it
# sets the shape), the values [off, on] are a graph input.
ONEHOT_CASES = {
    "float_values_default_axis": ("OneHot", {}, {"i": _IDX, "v": np.array([-0.5, 2.25], np.float32)},
                                  {"d": _i64(5)}, 11, 1, ["i", "d", "v"]),
    "float_values_axis0": ("OneHot", {"axis": 0}, {"i": _IDX, "v": np.array([1.5, -3], np.float32)},
                           {"d": _i64(5)}, 11, 1, ["i", "d", "v"]),
    "int64_values_axis1": ("OneHot", {"axis": 1}, {"i": _IDX, "v": _i64([7, -(1 << 40)])},
                           {"d": _i64(5)}, 11, 1, ["i", "d", "v"]),
    # (onnxruntime implements only some index/value/depth type triples)
    "int32_indices_negative_axis": (
        "OneHot", {"axis": -2}, {"i": np.array([[3, -1, -4, 4, 0, -5]], np.int32), "v": np.array([0, 9], np.float32)},
        {"d": np.array([4], np.int32)}, 11, 1, ["i", "d", "v"]),
    "float_indices_truncate": ("OneHot", {}, {"i": np.array([0.7, -0.7, 2.9, -2.2, 3.0, -3.5, 7.1], np.float32),
                                              "v": np.array([0, 1], np.float32)},
                               {"d": np.array(3, np.float32)}, 11, 1, ["i", "d", "v"]),
    "constant_indices_runtime_values": ("OneHot", {"axis": 0}, {"v": np.array([0.25, 4], np.float32)},
                                        {"i": _i64([2, -1, 9, -4]), "d": _i64(4)}, 11, 1, ["i", "d", "v"]),
    "runtime_indices_constant_values_huge": ("OneHot", {}, {"i": _IDX},
                                             {"d": _i64(5), "v": np.array([0, 1], np.float32)}, 11, 1),
}


@pytest.mark.parametrize("case", list(ONEHOT_CASES))
def test_onehot_runtime_values(case, tmp_path):
    _check(case, ONEHOT_CASES[case], tmp_path)


def test_onehot_runtime_depth_is_refused_with_the_reason(tmp_path):
    feeds = {"i": _i64([0, 2]), "d": _i64(3)}
    path = tmp_path / "onehot_depth.onnx"
    onnx.save(_model("OneHot", {}, feeds, {"v": np.array([0, 1], np.float32)}, 11, 1), str(path))
    p = harness.run_cli("convert", path, "-o", tmp_path / "m.tflite")
    assert p.returncode != 0 and "depth (input 'd') is computed at run time" in p.stderr, p.stderr
    assert "output's shape" in p.stderr, p.stderr
    assert not (tmp_path / "m.tflite").exists()
