"""Reduce ops whose axes are computed at run time (opset 18 passes axes as an input; ONNX's node
tests feed it as a graph input) and Reduce ops reading values with run-time extents. The axes
go to TFLite's SUM / MEAN / REDUCE_* as a tensor and LiteRT sizes the output when it runs: one
.tflite serves every axis set of the same count. Each case runs in LiteRT and is compared with
onnxruntime on the same inputs."""

from __future__ import annotations

import numpy as np
import onnx.helper as oh
import pytest
from onnx import TensorProto as TP

import harness

RNG = np.random.default_rng(11)

OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
       "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"]


def model(nodes, inputs, outputs, opset=18):
    g = oh.make_graph(nodes, "g", inputs, outputs)
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", opset)])


def vi(name, dtype, shape):
    return oh.make_tensor_value_info(name, dtype, shape)


def data_for(op: str, shape) -> np.ndarray:
    if op == "ReduceLogSum":  # log of a sum: keep it positive
        return RNG.uniform(0.5, 2.0, shape).astype(np.float32)
    if op == "ReduceProd":  # products of ~1 stay well scaled
        return RNG.uniform(0.7, 1.4, shape).astype(np.float32) * RNG.choice([-1, 1], shape).astype(np.float32)
    if op == "ReduceLogSumExp":  # large values: only the max-shifted form stays finite
        return (RNG.standard_normal(shape) * 30).astype(np.float32)
    return RNG.standard_normal(shape).astype(np.float32)


def check_axis_sets(tmp_path, m, x, axis_sets, name, more=None):
    """Converts once (with the first axis set), then runs every axis set on the same file."""
    feeds = {"x": x, "axes": np.array(axis_sets[0], np.int64), **(more or {})}
    tfl = harness.check_onnx_model(m, feeds, tmp_path, name)
    path = tmp_path / f"{name}.onnx"
    for axes in axis_sets[1:]:
        feeds = {"x": x, "axes": np.array(axes, np.int64), **(more or {})}
        ref = harness.run_onnxruntime(path, feeds)
        got = harness.run_litert(tfl, feeds, list(ref)).outputs
        harness.assert_close(ref, got, context=f"[{name} axes={axes}] ")
    return tfl


@pytest.mark.parametrize("keepdims", [0, 1])
@pytest.mark.parametrize("op", OPS)
def test_runtime_axes_float(tmp_path, op, keepdims):
    x = data_for(op, (2, 3, 4, 5))
    m = model([oh.make_node(op, ["x", "axes"], ["y"], keepdims=keepdims)],
              [vi("x", TP.FLOAT, [2, 3, 4, 5]), vi("axes", TP.INT64, [2])], [vi("y", TP.FLOAT, None)])
    # Positive and negative axes, in and out of order, all fed to one .tflite.
    tfl = check_axis_sets(tmp_path, m, x, [[1, 3], [0, -1], [-2, -3], [3, 0], [2, 1]], f"{op}_{keepdims}")
    info = harness.inspect_json(tfl)
    # Which extents survive is decided at run time: written as -1 (here no candidate agrees).
    assert info["outputs"][0]["shape"] == [-1] * (4 if keepdims else 2), info["outputs"]


@pytest.mark.parametrize("keepdims", [0, 1])
@pytest.mark.parametrize("op", ["ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd"])
@pytest.mark.parametrize("dtype", [TP.INT32, TP.INT64])
def test_runtime_axes_integers(tmp_path, op, keepdims, dtype):
    np_type = np.int32 if dtype == TP.INT32 else np.int64
    x = RNG.integers(-3, 4, (3, 4, 2)).astype(np_type)
    m = model([oh.make_node(op, ["x", "axes"], ["y"], keepdims=keepdims)],
              [vi("x", dtype, [3, 4, 2]), vi("axes", TP.INT64, [1])], [vi("y", dtype, None)])
    check_axis_sets(tmp_path, m, x, [[0], [-1], [1], [-3]], f"{op}_{keepdims}_{np_type.__name__}")


@pytest.mark.parametrize("noop", [0, 1])
@pytest.mark.parametrize("op", ["ReduceSum", "ReduceMax", "ReduceLogSumExp"])
def test_empty_axes_input(tmp_path, op, noop):
    # A 0-length axes input: statically "no axes", so noop_with_empty_axes decides between a
    # copy (1) and reducing every axis (0), as with a constant empty axes.
    x = data_for(op, (3, 4))
    m = model([oh.make_node(op, ["x", "axes"], ["y"], keepdims=1, noop_with_empty_axes=noop)],
              [vi("x", TP.FLOAT, [3, 4]), vi("axes", TP.INT64, [0])], [vi("y", TP.FLOAT, None)])
    tfl = harness.check_onnx_model(m, {"x": x, "axes": np.zeros(0, np.int64)}, tmp_path, f"{op}_noop{noop}")
    assert harness.inspect_json(tfl)["outputs"][0]["shape"] == ([3, 4] if noop else [1, 1])


def test_as_many_axes_as_rank_is_static(tmp_path):
    # ONNX axes are distinct: as many as the rank means every axis, so the shape is static.
    x = data_for("ReduceMean", (3, 4))
    m = model([oh.make_node("ReduceMean", ["x", "axes"], ["y"], keepdims=0)],
              [vi("x", TP.FLOAT, [3, 4]), vi("axes", TP.INT64, [2])], [vi("y", TP.FLOAT, None)])
    tfl = check_axis_sets(tmp_path, m, x, [[0, 1], [-1, 0]], "all_axes")
    assert harness.inspect_json(tfl)["outputs"][0]["shape"] == []


def test_extents_known_where_candidates_agree(tmp_path):
    # keepdims=1: an extent of 1 stays 1 whichever axes are reduced; keepdims=0 with equal
    # extents: every candidate is the same. The MatMul reads such a static result.
    x = RNG.standard_normal((4, 4, 4)).astype(np.float32)
    z = RNG.standard_normal((1, 5, 6)).astype(np.float32)
    w = oh.make_tensor("w", TP.FLOAT, [4, 3], RNG.standard_normal((4, 3)).astype(np.float32).ravel())
    nodes = [oh.make_node("ReduceSum", ["z", "axes"], ["k"], keepdims=1),
             oh.make_node("ReduceMax", ["x", "axes"], ["d"], keepdims=0),
             oh.make_node("MatMul", ["d", "w"], ["y"])]
    g = oh.make_graph(nodes, "g", [vi("x", TP.FLOAT, [4, 4, 4]), vi("z", TP.FLOAT, [1, 5, 6]),
                                   vi("axes", TP.INT64, [1])],
                      [vi("k", TP.FLOAT, None), vi("y", TP.FLOAT, None)], initializer=[w])
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 18)])
    tfl = check_axis_sets(tmp_path, m, x, [[1], [0], [-1]], "agree", more={"z": z})
    outs = {o["name"]: o["shape"] for o in harness.inspect_json(tfl)["outputs"]}
    assert outs["k"] == [1, -1, -1] and outs["y"] == [4, 3], outs


@pytest.mark.parametrize("op", ["ReduceMax", "ReduceMin", "ReduceSum", "ReduceProd"])
def test_empty_input(tmp_path, op):
    # Reducing an axis of extent 0: ONNX gives -inf / +inf / 0 / 1; the other axis keeps the
    # zero extent and the output is empty.
    x = np.zeros((2, 0, 3), np.float32)
    m = model([oh.make_node(op, ["x", "axes"], ["y"], keepdims=1)],
              [vi("x", TP.FLOAT, [2, 0, 3]), vi("axes", TP.INT64, [1])], [vi("y", TP.FLOAT, None)])
    path = tmp_path / f"{op}.onnx"
    import onnx

    onnx.save(m, str(path))
    tfl = harness.convert(path, tmp_path / f"{op}.tflite")
    from ai_edge_litert.interpreter import Interpreter

    for axes in ([1], [-2], [0], [2]):
        feeds = {"x": x, "axes": np.array(axes, np.int64)}
        ref = harness.run_onnxruntime(path, feeds)["y"]
        interp = Interpreter(model_path=str(tfl), num_threads=1)
        interp.allocate_tensors()
        for d in interp.get_input_details():
            interp.set_tensor(d["index"], feeds[d["name"]])
        interp.invoke()
        out = interp.get_output_details()[0]
        # LiteRT's get_tensor refuses an empty tensor: compare its shape then.
        got = np.zeros(out["shape"], np.float32) if 0 in out["shape"] else interp.get_tensor(out["index"])
        assert got.shape == ref.shape, (axes, got.shape, ref.shape)
        np.testing.assert_array_equal(got, ref, err_msg=f"{op} axes={axes}")


@pytest.mark.parametrize("keepdims", [0, 1])
@pytest.mark.parametrize("op", ["ReduceSum", "ReduceLogSumExp", "ReduceL2", "ReduceMean"])
def test_input_with_runtime_extents(tmp_path, op, keepdims):
    # The reduced value comes out of a Reshape to a run-time shape; the axes are constant.
    x = data_for(op, (2, 3, 4))
    axes = oh.make_tensor("axes", TP.INT64, [1], [1])
    nodes = [oh.make_node("Reshape", ["x", "s"], ["r"]),
             oh.make_node(op, ["r", "axes"], ["y"], keepdims=keepdims)]
    g = oh.make_graph(nodes, "g", [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [3])],
                      [vi("y", TP.FLOAT, None)], initializer=[axes])
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 18)])
    tfl = harness.check_onnx_model(m, {"x": x, "s": np.array([4, 3, 2], np.int64)}, tmp_path, f"{op}_{keepdims}")
    for target in ([6, 2, 2], [1, 24, 1]):
        feeds = {"x": x, "s": np.array(target, np.int64)}
        ref = harness.run_onnxruntime(tmp_path / f"{op}_{keepdims}.onnx", feeds)
        harness.assert_close(ref, harness.run_litert(tfl, feeds, list(ref)).outputs, context=f"[{target}] ")


def test_runtime_axes_then_dynamic_capable_ops(tmp_path):
    # ReduceMax with run-time axes feeds elementwise ops, which take run-time extents.
    x = data_for("ReduceMax", (3, 4, 5))
    nodes = [oh.make_node("ReduceMax", ["x", "axes"], ["m"], keepdims=1),
             oh.make_node("Sub", ["x", "m"], ["d"]),
             oh.make_node("Exp", ["d"], ["e"]),
             oh.make_node("ReduceSum", ["e", "axes"], ["s"], keepdims=1),
             oh.make_node("Div", ["e", "s"], ["y"])]
    m = model(nodes, [vi("x", TP.FLOAT, [3, 4, 5]), vi("axes", TP.INT64, [1])], [vi("y", TP.FLOAT, None)])
    check_axis_sets(tmp_path, m, x, [[2], [0], [-2]], "softmax_like")


# --- CumSum / CumProd with the axis computed at run time ---


@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
@pytest.mark.parametrize("dtype", [TP.FLOAT, TP.INT32, TP.INT64])
def test_cumsum_runtime_axis(tmp_path, dtype, exclusive, reverse):
    # TFLite's CUMSUM reads its axis tensor when it runs: one file serves every axis.
    np_type = {TP.FLOAT: np.float32, TP.INT32: np.int32, TP.INT64: np.int64}[dtype]
    x = (RNG.standard_normal((2, 3, 4)) * 5).astype(np_type)
    m = model([oh.make_node("CumSum", ["x", "axes"], ["y"], exclusive=exclusive, reverse=reverse)],
              [vi("x", dtype, [2, 3, 4]), vi("axes", TP.INT64, [])], [vi("y", dtype, [2, 3, 4])], opset=14)
    name = f"cumsum_{np_type.__name__}_{exclusive}{reverse}"
    feeds = {"x": x, "axes": np.array(0, np.int64)}
    tfl = harness.check_onnx_model(m, feeds, tmp_path, name)
    for axis in (1, 2, -1, -3):
        feeds = {"x": x, "axes": np.array(axis, np.int64)}
        ref = harness.run_onnxruntime(tmp_path / f"{name}.onnx", feeds)
        got = harness.run_litert(tfl, feeds, list(ref)).outputs
        harness.assert_close(ref, got, context=f"[{name} axis={axis}] ")


@pytest.mark.parametrize("axis", [0, -1])
def test_cumprod_runtime_axis_of_1d_input(tmp_path, axis):
    # A 1-D input has one axis: whatever the run-time value names, it is that one.
    x = RNG.integers(-3, 4, (7,)).astype(np.int32)
    m = model([oh.make_node("CumProd", ["x", "axes"], ["y"], exclusive=1)],
              [vi("x", TP.INT32, [7]), vi("axes", TP.INT64, [])], [vi("y", TP.INT32, [7])], opset=26)
    harness.check_onnx_model(m, {"x": x, "axes": np.array(axis, np.int64)}, tmp_path, "cumprod1d")


def test_cumprod_runtime_axis_refused_for_rank_2(tmp_path):
    import onnx

    m = model([oh.make_node("CumProd", ["x", "axes"], ["y"])],
              [vi("x", TP.INT32, [2, 3]), vi("axes", TP.INT64, [])], [vi("y", TP.INT32, [2, 3])], opset=26)
    path = tmp_path / "cumprod2d.onnx"
    onnx.save(m, str(path))
    p = harness.run_cli("convert", path, "-o", tmp_path / "cumprod2d.tflite")
    assert p.returncode != 0 and "axis (input 'axes') is computed at run time" in p.stderr, p.stderr
    assert not (tmp_path / "cumprod2d.tflite").exists()


def test_float64_is_refused_for_its_type_first(tmp_path):
    # Both a float64 tensor and a run-time axis: the element type, which no export option of
    # the axis can fix, is what the refusal names.
    import onnx

    m = model([oh.make_node("CumProd", ["x", "axes"], ["y"])],
              [vi("x", TP.DOUBLE, [2, 3]), vi("axes", TP.INT64, [])], [vi("y", TP.DOUBLE, [2, 3])], opset=26)
    path = tmp_path / "f64.onnx"
    onnx.save(m, str(path))
    p = harness.run_cli("convert", path, "-o", tmp_path / "f64.tflite")
    assert p.returncode != 0 and "float64" in p.stderr, p.stderr
