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
import torch
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


# --------------------------------------------------------------------------- ConvInteger / QLinearConv weights


def u8(shape, lo=0, hi=256):
    return RNG.integers(lo, hi, size=shape).astype(np.uint8)


CONV_CASES = {
    # name: (x shape, w shape, attributes)
    "plain": ((1, 3, 6, 6), (4, 3, 3, 3), {}),
    "padded_strided": ((2, 3, 7, 5), (5, 3, 3, 2), {"pads": [1, 0, 1, 1], "strides": [2, 1]}),
    "grouped": ((1, 4, 5, 5), (6, 2, 3, 3), {"group": 2, "pads": [1, 1, 1, 1]}),
    "1d": ((1, 3, 9), (2, 3, 4), {"dilations": [2]}),
    # K = 64·3·3 = 576: 255 · 576 · 255 > 2^24, so x - x_zp is split into digits at run time.
    "large_k": ((1, 64, 5, 5), (3, 64, 3, 3), {"pads": [1, 1, 1, 1]}),
}


@pytest.mark.parametrize("case", list(CONV_CASES))
def test_convinteger_runtime_weights(tmp_path, case):
    xs, ws, attrs = CONV_CASES[case]
    m = model([oh.make_node("ConvInteger", ["x", "w", "x_zp", "w_zp"], ["y"], **attrs)],
              [vi("x", TP.UINT8, xs), vi("w", TP.UINT8, ws), vi("x_zp", TP.UINT8, []), vi("w_zp", TP.UINT8, [])],
              [vi("y", TP.INT32, None)], opset=10)
    feeds = [{"x": u8(xs), "w": u8(ws), "x_zp": np.array(zx, np.uint8), "w_zp": np.array(zw, np.uint8)}
             for zx, zw in ((128, 0), (3, 200), (0, 255))]
    tfl = check_feeds(m, feeds, tmp_path, "convinteger")
    ops = harness.op_summary(harness.inspect_json(tfl))
    assert "CONV_2D" in ops, ops
    if case == "large_k":
        assert "FLOOR" in ops, ops  # the digit split ran


def test_convinteger_runtime_weights_no_zero_points(tmp_path):
    # No zero points at all: the weights are only cast to float32.
    m = model([oh.make_node("ConvInteger", ["x", "w"], ["y"], pads=[1, 1, 1, 1])],
              [vi("x", TP.UINT8, [1, 2, 4, 4]), vi("w", TP.UINT8, [3, 2, 3, 3])], [vi("y", TP.INT32, None)], opset=10)
    check_feeds(m, [{"x": u8((1, 2, 4, 4)), "w": u8((3, 2, 3, 3))} for _ in range(2)], tmp_path, "convinteger_nozp")


@pytest.mark.parametrize("runtime", ["w", "w_bias", "bias"])
def test_qlinearconv_runtime_weights(tmp_path, runtime):
    # Weights int8 with per-channel scales (zero points 0, as onnxruntime requires for int8),
    # an int32 bias; 'runtime' names what the graph feeds as inputs (the rest are constants).
    xs, ws = (1, 3, 6, 6), (4, 3, 3, 3)
    params = {
        "x_scale": np.array(0.02, np.float32), "x_zp": np.array(120, np.uint8),
        "w_scale": RNG.uniform(0.005, 0.02, 4).astype(np.float32), "w_zp": np.zeros(4, np.int8),
        "y_scale": np.array(0.3, np.float32), "y_zp": np.array(110, np.uint8),
    }
    rt = {"w": ["w"], "w_bias": ["w", "bias"], "bias": ["bias"]}[runtime]
    dtypes = {"w": TP.INT8, "bias": TP.INT32}
    w0 = RNG.integers(-128, 128, ws).astype(np.int8)
    b0 = RNG.integers(-20000, 20000, 4).astype(np.int32)
    inits = [onnx.numpy_helper.from_array(v, k) for k, v in params.items()]
    inits += [onnx.numpy_helper.from_array(v, k) for k, v in (("w", w0), ("bias", b0)) if k not in rt]
    names = ["x", "x_scale", "x_zp", "w", "w_scale", "w_zp", "y_scale", "y_zp", "bias"]
    m = model([oh.make_node("QLinearConv", names, ["y"], pads=[1, 1, 1, 1])],
              [vi("x", TP.UINT8, xs)] + [vi(k, dtypes[k], list(ws) if k == "w" else [4]) for k in rt],
              [vi("y", TP.UINT8, None)], inits=inits, opset=10)
    feeds = []
    for i in range(3):
        f = {"x": u8(xs)}
        if "w" in rt:
            f["w"] = w0 if i == 0 else RNG.integers(-128, 128, ws).astype(np.int8)
        if "bias" in rt:
            f["bias"] = b0 if i == 0 else RNG.integers(-20000, 20000, 4).astype(np.int32)
        feeds.append(f)
    check_feeds(m, feeds, tmp_path, "qlinearconv")


def test_qlinearconv_runtime_weights_and_zero_point(tmp_path):
    # uint8 weights with a run-time zero point (the node tests' form), scalar scales.
    xs, ws = (1, 2, 5, 5), (3, 2, 2, 2)
    names = ["x", "x_scale", "x_zp", "w", "w_scale", "w_zp", "y_scale", "y_zp"]
    types = [TP.UINT8, TP.FLOAT, TP.UINT8, TP.UINT8, TP.FLOAT, TP.UINT8, TP.FLOAT, TP.UINT8]
    shapes = [xs, [], [], ws, [], [], [], []]
    m = model([oh.make_node("QLinearConv", names, ["y"])], [vi(k, t, s) for k, t, s in zip(names, types, shapes)],
              [vi("y", TP.UINT8, None)], opset=10)
    feeds = [{"x": u8(xs), "x_scale": np.array(0.05, np.float32), "x_zp": np.array(zx, np.uint8), "w": u8(ws),
              "w_scale": np.array(0.01, np.float32), "w_zp": np.array(zw, np.uint8),
              "y_scale": np.array(0.2, np.float32), "y_zp": np.array(zy, np.uint8)}
             for zx, zw, zy in ((100, 128, 30), (0, 5, 200))]
    check_feeds(m, feeds, tmp_path, "qlinearconv_zp")


# --------------------------------------------------------------------------- If with a run-time condition


refused = harness.convert_refused


def branch(name, nodes, outputs):
    return oh.make_graph(nodes, name, [], outputs)


def sum_positive(x="x", out="cond"):
    return [oh.make_node("ReduceSum", [x], [f"{out}_s"], keepdims=0),
            oh.make_node("Constant", [], [f"{out}_z"], value=oh.make_tensor(f"{out}_zv", TP.FLOAT, [], [0.0])),
            oh.make_node("Greater", [f"{out}_s", f"{out}_z"], [out])]


X3 = RNG.standard_normal((2, 3, 4)).astype(np.float32)
SIGNED_X = [{"x": np.abs(X3) + 0.1}, {"x": -np.abs(X3) - 0.1}]  # sum > 0, then sum < 0


def test_if_runtime_condition_selects_between_branches(tmp_path):
    # Two outputs (float and int64), the branches reading an outer input and an outer
    # initializer; the same file runs the then branch and the else branch.
    w = onnx.numpy_helper.from_array(RNG.standard_normal((3, 4)).astype(np.float32), "w")
    then_g = branch("then", [oh.make_node("Relu", ["x"], ["t0"]), oh.make_node("ArgMax", ["x"], ["t1"], axis=1)],
                    [vi("t0", TP.FLOAT, [2, 3, 4]), vi("t1", TP.INT64, [2, 1, 4])])
    else_g = branch("else", [oh.make_node("Mul", ["x", "w"], ["e0"]), oh.make_node("ArgMin", ["x"], ["e1"], axis=1)],
                    [vi("e0", TP.FLOAT, [2, 3, 4]), vi("e1", TP.INT64, [2, 1, 4])])
    m = model(sum_positive() + [oh.make_node("If", ["cond"], ["y", "k"], then_branch=then_g, else_branch=else_g)],
              [vi("x", TP.FLOAT, [2, 3, 4])], [vi("y", TP.FLOAT, None), vi("k", TP.INT64, None)], inits=[w])
    tfl = check_feeds(m, SIGNED_X, tmp_path, "if_select")
    ops = harness.inspect_json(tfl)["ops"]
    assert ops.get("SELECT_V2") == 2 and "RELU" in ops and "ARG_MIN" in ops, ops


@pytest.mark.parametrize("cond_shape", [[], [1]])
def test_if_condition_is_a_graph_input(tmp_path, cond_shape):
    then_g = branch("then", [oh.make_node("Sigmoid", ["x"], ["t"])], [vi("t", TP.FLOAT, [2, 3, 4])])
    else_g = branch("else", [oh.make_node("Tanh", ["x"], ["e"])], [vi("e", TP.FLOAT, [2, 3, 4])])
    m = model([oh.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)],
              [vi("c", TP.BOOL, cond_shape), vi("x", TP.FLOAT, [2, 3, 4])], [vi("y", TP.FLOAT, None)])
    feeds = [{"c": np.full(cond_shape, v, np.bool_), "x": X3} for v in (True, False)]
    tfl = check_feeds(m, feeds, tmp_path, "if_input")
    assert harness.inspect_json(tfl)["outputs"][0]["shape"] == [2, 3, 4]


def test_if_runtime_condition_nested(tmp_path):
    # The then branch holds another If with its own run-time condition: 3 distinct results.
    inner_then = branch("it", [oh.make_node("Exp", ["x"], ["it_o"])], [vi("it_o", TP.FLOAT, [2, 3, 4])])
    inner_else = branch("ie", [oh.make_node("Abs", ["x"], ["ie_o"])], [vi("ie_o", TP.FLOAT, [2, 3, 4])])
    then_g = branch("then", [oh.make_node("ReduceMax", ["x"], ["mx"], keepdims=0),
                             oh.make_node("Constant", [], ["two"], value=oh.make_tensor("tv", TP.FLOAT, [], [2.0])),
                             oh.make_node("Greater", ["mx", "two"], ["c2"]),
                             oh.make_node("If", ["c2"], ["t"], then_branch=inner_then, else_branch=inner_else)],
                    [vi("t", TP.FLOAT, [2, 3, 4])])
    else_g = branch("else", [oh.make_node("Neg", ["x"], ["e"])], [vi("e", TP.FLOAT, [2, 3, 4])])
    m = model(sum_positive() + [oh.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g)],
              [vi("x", TP.FLOAT, [2, 3, 4])], [vi("y", TP.FLOAT, None)])
    small = {"x": np.clip(np.abs(X3), 0.1, 1.5).astype(np.float32)}  # sum > 0, max ≤ 2
    big = {"x": small["x"] + np.float32(1.0)}  # max > 2
    check_feeds(m, [small, big, SIGNED_X[1]], tmp_path, "if_nested")


def test_if_same_value_in_both_branches(tmp_path):
    # Both branches return the outer x unchanged for one output: no selection needed there.
    then_g = branch("then", [oh.make_node("Identity", ["x"], ["t0"]), oh.make_node("Relu", ["x"], ["t1"])],
                    [vi("t0", TP.FLOAT, [2, 3, 4]), vi("t1", TP.FLOAT, [2, 3, 4])])
    else_g = branch("else", [oh.make_node("Identity", ["x"], ["e0"]), oh.make_node("Neg", ["x"], ["e1"])],
                    [vi("e0", TP.FLOAT, [2, 3, 4]), vi("e1", TP.FLOAT, [2, 3, 4])])
    m = model(sum_positive() + [oh.make_node("If", ["cond"], ["y0", "y1"], then_branch=then_g, else_branch=else_g)],
              [vi("x", TP.FLOAT, [2, 3, 4])], [vi("y0", TP.FLOAT, None), vi("y1", TP.FLOAT, None)])
    check_feeds(m, SIGNED_X, tmp_path, "if_same")


def test_if_runtime_condition_different_shapes_refused(tmp_path):
    then_g = branch("then", [oh.make_node("Relu", ["x"], ["t"])], [vi("t", TP.FLOAT, None)])
    else_g = branch("else", [oh.make_node("Flatten", ["x"], ["e"])], [vi("e", TP.FLOAT, None)])
    m = model(sum_positive() + [oh.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g)],
              [vi("x", TP.FLOAT, [2, 3, 4])], [vi("y", TP.FLOAT, None)])
    err = refused(m, tmp_path, "if_shapes")
    assert "run time" in err and "same static shape" in err, err


def test_if_runtime_condition_sequence_output_refused(tmp_path):
    # The branches build sequences (the main graph concatenates them): only tensors can be
    # selected at run time.
    seq = oh.make_tensor_sequence_value_info
    then_g = branch("then", [oh.make_node("SequenceConstruct", ["x", "x"], ["ts"])], [seq("ts", TP.FLOAT, None)])
    else_g = branch("else", [oh.make_node("SequenceConstruct", ["x"], ["es"])], [seq("es", TP.FLOAT, None)])
    m = model(sum_positive() + [oh.make_node("If", ["cond"], ["s"], then_branch=then_g, else_branch=else_g),
                                oh.make_node("ConcatFromSequence", ["s"], ["y"], axis=0)],
              [vi("x", TP.FLOAT, [2, 3, 4])], [vi("y", TP.FLOAT, None)])
    err = refused(m, tmp_path, "if_seq")
    assert "run time" in err and "sequence" in err, err


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_torch_data_dependent_if(tmp_path, exporter):
    # TorchScript's `if x.sum() > 0` and torch.cond with a tensor predicate both export as an
    # ONNX If with a run-time condition.
    def then_fn(x):
        return torch.relu(x) * 2.0

    def else_fn(x):
        return torch.sigmoid(x) - 1.0

    class Scripted(torch.nn.Module):
        def forward(self, x):
            if x.sum() > 0:
                y = torch.relu(x) * 2.0
            else:
                y = torch.sigmoid(x) - 1.0
            return y

    class Cond(torch.nn.Module):
        def forward(self, x):
            return torch.cond(x.sum() > 0, then_fn, else_fn, (x,))

    net = torch.jit.script(Scripted()) if exporter == "torchscript" else Cond()
    path = harness.export_onnx(net.eval(), (torch.from_numpy(X3),), tmp_path / "torch_if.onnx", exporter,
                               opset=17, input_names=["x"])
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert "If" in ops, ops
    m = onnx.load(str(path))
    check_feeds(m, SIGNED_X, tmp_path, f"torch_if_{exporter}")
