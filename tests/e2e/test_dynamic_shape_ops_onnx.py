"""Shape-family ops whose parameters are computed at run time (Squeeze/Unsqueeze axes, Slice
bounds, Split sizes, Pad pads, Expand/Tile/ConstantOfShape/Range arguments, window sizes):
the output extents are -1 in the .tflite and LiteRT sizes them when it runs. Every case
converts once, then runs the same .tflite with two different parameter values, each compared
with onnxruntime on the same inputs."""

from __future__ import annotations

import numpy as np
import onnx
import onnx.helper as oh
import pytest
from onnx import TensorProto as TP

import harness

RNG = np.random.default_rng(11)


def model(nodes, inputs, outputs, opset=18):
    g = oh.make_graph(nodes, "g", inputs, outputs)
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", opset)])


def vi(name, dtype, shape):
    return oh.make_tensor_value_info(name, dtype, shape)


def i64(*v):
    return np.array(v, np.int64)


def check_both(tmp_path, name, m, feeds_list, tol=harness.FLOAT_TOL):
    """Converts m with the first feeds, then runs the same file on every other feed set."""
    tfl = harness.check_onnx_model(m, feeds_list[0], tmp_path, name, tol=tol)
    onnx_path = tmp_path / f"{name}.onnx"
    for feeds in feeds_list[1:]:
        ref = harness.run_onnxruntime(onnx_path, feeds)
        got = harness.run_litert(tfl, feeds, list(ref)).outputs
        for out, r in ref.items():
            assert got[out].dtype == r.dtype
        harness.assert_close(ref, got, tol, context=f"[{name}] ")
    return tfl


X3 = RNG.standard_normal((2, 3, 4)).astype(np.float32)
X4 = RNG.standard_normal((1, 3, 1, 5)).astype(np.float32)


def test_unsqueeze_runtime_axes(tmp_path):
    m = model([oh.make_node("Unsqueeze", ["x", "a"], ["y"])],
              [vi("x", TP.FLOAT, [2, 3, 4]), vi("a", TP.INT64, [2])], [vi("y", TP.FLOAT, None)])
    tfl = check_both(tmp_path, "unsqueeze", m, [{"x": X3, "a": i64(0, 4)}, {"x": X3, "a": i64(-1, 1)},
                                                {"x": X3, "a": i64(3, 2)}])
    info = harness.inspect_json(tfl)
    assert all(d == -1 for d in info["outputs"][0]["shape"]), info["outputs"]


def test_squeeze_runtime_axes(tmp_path):
    m = model([oh.make_node("Squeeze", ["x", "a"], ["y"])],
              [vi("x", TP.FLOAT, [1, 3, 1, 5]), vi("a", TP.INT64, [1])], [vi("y", TP.FLOAT, None)])
    check_both(tmp_path, "squeeze", m, [{"x": X4, "a": i64(0)}, {"x": X4, "a": i64(-2)}])
    m2 = model([oh.make_node("Squeeze", ["x", "a"], ["y"])],
               [vi("x", TP.FLOAT, [1, 3, 1, 5]), vi("a", TP.INT64, [2])], [vi("y", TP.FLOAT, None)])
    check_both(tmp_path, "squeeze2", m2, [{"x": X4, "a": i64(2, 0)}, {"x": X4, "a": i64(-4, -2)}])


SLICE_CASES = [
    # starts, ends, axes, steps
    ((0, 1), (2, 3), (0, 1), (1, 1)),
    ((-1, 0), (-1000, 1000), (2, 1), (-1, 2)),           # negative step to "before index 0"
    ((1000, -1), (2000, -4), (2, 0), (1, -1)),           # start past the end: empty
    ((-2, 1), (2**62, 2**62), (-1, -2), (1, 1)),         # INT64-style "to the end"
    ((3, 2), (0, 0), (2, 1), (-2, -1)),
]


def test_slice_runtime_bounds(tmp_path):
    m = model([oh.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"])],
              [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [2]), vi("e", TP.INT64, [2]),
               vi("a", TP.INT64, [2]), vi("st", TP.INT64, [2])], [vi("y", TP.FLOAT, None)])
    feeds = [{"x": X3, "s": i64(*s), "e": i64(*e), "a": i64(*a), "st": i64(*st)} for s, e, a, st in SLICE_CASES]
    check_both(tmp_path, "slice", m, feeds)


def test_slice_runtime_starts_constant_axes_int32(tmp_path):
    # Only starts/ends are inputs (int32); the untouched axes keep static extents.
    axes = oh.make_tensor("axes", TP.INT32, [1], [1])
    g = oh.make_graph([oh.make_node("Slice", ["x", "s", "e", "axes"], ["y"])], "g",
                      [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT32, [1]), vi("e", TP.INT32, [1])],
                      [vi("y", TP.FLOAT, None)], initializer=[axes])
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 13)])
    tfl = check_both(tmp_path, "slice_i32", m, [{"x": X3, "s": np.array([1], np.int32), "e": np.array([3], np.int32)},
                                                {"x": X3, "s": np.array([-3], np.int32), "e": np.array([-1], np.int32)}])
    assert harness.inspect_json(tfl)["outputs"][0]["shape"] == [2, -1, 4]


def test_split_runtime_sizes(tmp_path):
    m = model([oh.make_node("Split", ["x", "s"], ["a", "b", "c"], axis=2)],
              [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [3])],
              [vi("a", TP.FLOAT, None), vi("b", TP.FLOAT, None), vi("c", TP.FLOAT, None)])
    check_both(tmp_path, "split", m, [{"x": X3, "s": i64(1, 1, 2)}, {"x": X3, "s": i64(0, 3, 1)}])


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "wrap"])
def test_pad_runtime_pads(tmp_path, mode):
    m = model([oh.make_node("Pad", ["x", "p"], ["y"], mode=mode)],
              [vi("x", TP.FLOAT, [2, 3, 4]), vi("p", TP.INT64, [6])], [vi("y", TP.FLOAT, None)])
    feeds = [{"x": X3, "p": i64(0, 1, 2, 1, 0, 3)}, {"x": X3, "p": i64(1, -1, 0, 0, 2, -2)},
             {"x": X3, "p": i64(0, 2, 1, 0, 1, 1)}]
    if mode == "reflect":  # ONNX reflect needs pads below the (cropped) extent
        feeds[1]["p"] = i64(1, -1, 0, 0, 1, -2)
    check_both(tmp_path, f"pad_{mode}", m, feeds)


def test_pad_runtime_axes_and_value(tmp_path):
    m = model([oh.make_node("Pad", ["x", "p", "v", "a"], ["y"])],
              [vi("x", TP.FLOAT, [2, 3, 4]), vi("p", TP.INT64, [2]), vi("v", TP.FLOAT, []),
               vi("a", TP.INT64, [1])], [vi("y", TP.FLOAT, None)])
    v = np.array(1.5, np.float32)
    check_both(tmp_path, "pad_axes", m, [{"x": X3, "p": i64(1, 2), "v": v, "a": i64(-1)},
                                        {"x": X3, "p": i64(0, 3), "v": v, "a": i64(0)}])


def test_expand_runtime_shape_bidirectional(tmp_path):
    x = RNG.standard_normal((3, 1)).astype(np.float32)
    m = model([oh.make_node("Expand", ["x", "s"], ["y"])],
              [vi("x", TP.FLOAT, [3, 1]), vi("s", TP.INT64, [3])], [vi("y", TP.FLOAT, None)])
    # [2, 1, 6]: the target says 1 where x has 3 (ONNX broadcasts both ways).
    check_both(tmp_path, "expand", m, [{"x": x, "s": i64(2, 1, 6)}, {"x": x, "s": i64(1, 3, 1)}])


def test_tile_constant_of_shape_range(tmp_path):
    nodes = [oh.make_node("Tile", ["x", "r"], ["t"]),
             oh.make_node("ConstantOfShape", ["s"], ["c"], value=oh.make_tensor("v", TP.INT32, [1], [7])),
             oh.make_node("Range", ["start", "limit", "delta"], ["g"])]
    m = model(nodes, [vi("x", TP.FLOAT, [2, 3, 4]), vi("r", TP.INT64, [3]), vi("s", TP.INT64, [2]),
                      vi("start", TP.FLOAT, []), vi("limit", TP.FLOAT, []), vi("delta", TP.FLOAT, [])],
              [vi("t", TP.FLOAT, None), vi("c", TP.INT32, None), vi("g", TP.FLOAT, None)])
    f = lambda v: np.array(v, np.float32)  # noqa: E731
    check_both(tmp_path, "tile_fill_range", m, [
        {"x": X3, "r": i64(1, 2, 1), "s": i64(2, 5), "start": f(0.5), "limit": f(7.0), "delta": f(1.5)},
        {"x": X3, "r": i64(3, 1, 2), "s": i64(4, 1), "start": f(3.0), "limit": f(-2.0), "delta": f(-0.5)},
    ])


def test_range_int64_runtime(tmp_path):
    m = model([oh.make_node("Range", ["a", "b", "c"], ["y"])],
              [vi("a", TP.INT64, []), vi("b", TP.INT64, []), vi("c", TP.INT64, [])], [vi("y", TP.INT64, None)])
    check_both(tmp_path, "range_i64", m, [{"a": np.array(2, np.int64), "b": np.array(11, np.int64),
                                           "c": np.array(3, np.int64)},
                                          {"a": np.array(5, np.int64), "b": np.array(-5, np.int64),
                                           "c": np.array(-2, np.int64)}])


@pytest.mark.parametrize("op", ["HannWindow", "HammingWindow", "BlackmanWindow"])
@pytest.mark.parametrize("periodic", [0, 1])
def test_window_runtime_size(tmp_path, op, periodic):
    m = model([oh.make_node(op, ["n"], ["w"], periodic=periodic)], [vi("n", TP.INT32, [])],
              [vi("w", TP.FLOAT, None)], opset=17)
    check_both(tmp_path, f"{op}_{periodic}", m, [{"n": np.array(10, np.int32)}, {"n": np.array(401, np.int32)}])


def test_chain_shape_from_input(tmp_path):
    # CenterCropPad-like: the pads come from the input's own shape, then Unsqueeze/Squeeze of
    # the result with run-time axes; every intermediate extent is known only at run time.
    nodes = [
        oh.make_node("Shape", ["x"], ["sx"]),
        oh.make_node("Sub", ["t", "sx"], ["diff"]),
        oh.make_node("Div", ["diff", "two"], ["half"]),
        oh.make_node("Sub", ["diff", "half"], ["rest"]),
        oh.make_node("Concat", ["half", "rest"], ["pads"], axis=0),
        oh.make_node("Pad", ["x", "pads"], ["p"]),
        oh.make_node("Unsqueeze", ["p", "a"], ["u"]),
        oh.make_node("Squeeze", ["u", "a"], ["y"]),
    ]
    two = oh.make_tensor("two", TP.INT64, [], [2])
    g = oh.make_graph(nodes, "g", [vi("x", TP.FLOAT, [2, 3, 4]), vi("t", TP.INT64, [3]), vi("a", TP.INT64, [1])],
                      [vi("y", TP.FLOAT, None)], initializer=[two])
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 18)])
    check_both(tmp_path, "chain", m, [{"x": X3, "t": i64(4, 3, 6), "a": i64(1)},
                                      {"x": X3, "t": i64(2, 1, 2), "a": i64(-1)}])


def test_static_slice_unchanged(tmp_path):
    # Constant parameters keep the static lowering: no SHAPE op, static output shape.
    inits = [oh.make_tensor(n, TP.INT64, [1], v) for n, v in (("s", [1]), ("e", [3]), ("a", [2]))]
    g = oh.make_graph([oh.make_node("Slice", ["x", "s", "e", "a"], ["y"])], "g", [vi("x", TP.FLOAT, [2, 3, 4])],
                      [vi("y", TP.FLOAT, None)], initializer=inits)
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 13)])
    tfl = harness.check_onnx_model(m, {"x": X3}, tmp_path, "static")
    info = harness.inspect_json(tfl)
    assert info["outputs"][0]["shape"] == [2, 3, 2]
    assert "SHAPE" not in harness.op_summary(info), harness.op_summary(info)


def test_center_crop_pad_runtime_shape(tmp_path):
    x = RNG.standard_normal((5, 6, 3)).astype(np.float32)
    m = model([oh.make_node("CenterCropPad", ["x", "s"], ["y"], axes=[0, -2])],
              [vi("x", TP.FLOAT, [5, 6, 3]), vi("s", TP.INT64, [2])], [vi("y", TP.FLOAT, None)])
    tfl = check_both(tmp_path, "center_crop_pad", m, [{"x": x, "s": i64(3, 9)}, {"x": x, "s": i64(8, 1)},
                                                      {"x": x, "s": i64(5, 6)}])
    assert harness.inspect_json(tfl)["outputs"][0]["shape"] == [-1, -1, 3]


@pytest.mark.parametrize("align", [0, 1])
@pytest.mark.parametrize("k", [2, 3])
def test_affine_grid_runtime_size(tmp_path, align, k):
    theta = RNG.standard_normal((2, k, k + 1)).astype(np.float32)
    m = model([oh.make_node("AffineGrid", ["theta", "size"], ["grid"], align_corners=align)],
              [vi("theta", TP.FLOAT, [2, k, k + 1]), vi("size", TP.INT64, [k + 2])], [vi("grid", TP.FLOAT, None)],
              opset=20)
    sizes = [i64(2, 3, 4, 5), i64(2, 1, 7, 2)] if k == 2 else [i64(2, 3, 4, 5, 6), i64(2, 1, 2, 3, 2)]
    check_both(tmp_path, f"affine_grid_{k}d_{align}", m, [{"theta": theta, "size": s} for s in sizes])


def test_consumers_of_runtime_extents(tmp_path):
    # Expand(indices, run-time shape) → GatherElements → MatMul (constant weights and a
    # run-time operand) → Concat → Gather with a negative constant index: each reads values
    # whose extents are known only at run time.
    w = oh.make_tensor("w", TP.FLOAT, [4, 5], RNG.standard_normal((4, 5)).astype(np.float32).ravel())
    idx = oh.make_tensor("idx", TP.INT64, [1, 3, 4], RNG.integers(-2, 2, (1, 3, 4)).ravel())
    minus_one = oh.make_tensor("m1", TP.INT64, [], [-1])
    nodes = [
        oh.make_node("Expand", ["idx", "s"], ["ie"]),
        oh.make_node("GatherElements", ["x", "ie"], ["ge"], axis=0),
        oh.make_node("MatMul", ["ge", "w"], ["mm"]),
        oh.make_node("Transpose", ["ge"], ["gt"], perm=[0, 2, 1]),
        oh.make_node("MatMul", ["gt", "ge"], ["mm2"]),
        oh.make_node("Concat", ["mm", "mm"], ["cc"], axis=1),
        oh.make_node("Gather", ["cc", "m1"], ["y"], axis=1),
    ]
    g = oh.make_graph(nodes, "g", [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [3])],
                      [vi("y", TP.FLOAT, None), vi("mm2", TP.FLOAT, None)], initializer=[w, idx, minus_one])
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 18)])
    check_both(tmp_path, "consumers", m, [{"x": X3, "s": i64(2, 1, 1)}, {"x": X3, "s": i64(1, 3, 4)}])


def test_constant_parameters_on_runtime_extents(tmp_path):
    # x reshaped to a run-time shape, then ops with constant parameters read it: Slice, Pad
    # (edge), Tile, Expand, Unsqueeze, CenterCropPad keep working on -1 extents.
    def c(name, vals):
        return oh.make_tensor(name, TP.INT64, [len(vals)], vals)
    inits = [c("st", [1]), c("en", [-1]), c("ax", [1]), c("pads", [0, 1, 2, 0]),
             c("rep", [2, 1]), c("shp", [2, 1, 1]), c("uax", [0]), c("crop", [3])]
    nodes = [
        oh.make_node("Reshape", ["x", "s"], ["r"]),
        oh.make_node("Slice", ["r", "st", "en", "ax"], ["y_slice"]),
        oh.make_node("Pad", ["r", "pads"], ["y_pad"], mode="edge"),
        oh.make_node("Tile", ["r", "rep"], ["y_tile"]),
        oh.make_node("Expand", ["r", "shp"], ["y_expand"]),
        oh.make_node("Unsqueeze", ["r", "uax"], ["y_unsq"]),
        oh.make_node("CenterCropPad", ["r", "crop"], ["y_ccp"], axes=[1]),
    ]
    outs = ["y_slice", "y_pad", "y_tile", "y_expand", "y_unsq", "y_ccp"]
    g = oh.make_graph(nodes, "g", [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [2])],
                      [vi(o, TP.FLOAT, None) for o in outs], initializer=inits)
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 18)])
    check_both(tmp_path, "const_params", m, [{"x": X3, "s": i64(6, 4)}, {"x": X3, "s": i64(3, 8)}])


def test_split_constant_sizes_on_runtime_extents(tmp_path):
    sp = oh.make_tensor("sp", TP.INT64, [2], [1, 3])
    nodes = [oh.make_node("Reshape", ["x", "s"], ["r"]), oh.make_node("Split", ["r", "sp"], ["a", "b"], axis=1)]
    g = oh.make_graph(nodes, "g", [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [2])],
                      [vi("a", TP.FLOAT, None), vi("b", TP.FLOAT, None)], initializer=[sp])
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 18)])
    check_both(tmp_path, "split_const", m, [{"x": X3, "s": i64(6, 4)}, {"x": X3, "s": i64(-1, 4)}])


@pytest.mark.parametrize("mode,pads,ops", [("constant", [0, 1, 2, 0], {"PAD"}), ("reflect", [1, 2, 0, 1], {"MIRROR_PAD"}),
                                           ("edge", [1, 0, 1, 1], {"MIRROR_PAD"}),
                                           ("edge", [0, 3, 0, 0], {"GATHER", "RANGE"}),
                                           ("constant", [0, -1, 1, 0], {"PAD", "STRIDED_SLICE"})])
def test_constant_pads_on_runtime_extents(tmp_path, mode, pads, ops):
    # Constant pads on a run-time-shaped input: a constant paddings argument where the op
    # allows it (no crop, edge pads of at most 1), the run-time index maps otherwise.
    p = oh.make_tensor("pads", TP.INT64, [4], pads)
    nodes = [oh.make_node("Reshape", ["x", "s"], ["r"]), oh.make_node("Pad", ["r", "pads"], ["y"], mode=mode)]
    g = oh.make_graph(nodes, "g", [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [2])],
                      [vi("y", TP.FLOAT, None)], initializer=[p])
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 18)])
    tfl = check_both(tmp_path, f"const_pads_{mode}", m, [{"x": X3, "s": i64(6, 4)}, {"x": X3, "s": i64(4, 6)}])
    got = set(harness.inspect_json(tfl)["ops"])
    assert ops <= got, harness.op_summary(harness.inspect_json(tfl))
    if len(ops) == 1:  # constant paddings: no run-time index arithmetic
        assert "GATHER" not in got, harness.op_summary(harness.inspect_json(tfl))


CONST_SLICES = [
    # starts, ends, axes, steps on a [?, ?] input
    ([1], [-1], [1], [1]),
    ([0, -3], [2**62, 2**62], [0, 1], [1, 1]),
    ([-1], [-(2**62)], [0], [-1]),                 # reversed, through index 0
    ([-1, 100], [-100, 1], [1, 0], [-2, -1]),
    ([2], [2**31 + 5], [-1], [3]),
    ([-2], [0], [1], [-1]),                        # start below -1 with a negative step: run-time path
]


@pytest.mark.parametrize("case", range(len(CONST_SLICES)))
def test_constant_slice_on_runtime_extents(tmp_path, case):
    starts, ends, axes, steps = CONST_SLICES[case]
    inits = [oh.make_tensor(nm, TP.INT64, [len(v)], v)
             for nm, v in (("st", starts), ("en", ends), ("ax", axes), ("sp", steps))]
    nodes = [oh.make_node("Reshape", ["x", "s"], ["r"]), oh.make_node("Slice", ["r", "st", "en", "ax", "sp"], ["y"])]
    g = oh.make_graph(nodes, "g", [vi("x", TP.FLOAT, [2, 3, 4]), vi("s", TP.INT64, [2])],
                      [vi("y", TP.FLOAT, None)], initializer=inits)
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 18)])
    tfl = check_both(tmp_path, f"const_slice_{case}", m, [{"x": X3, "s": i64(6, 4)}, {"x": X3, "s": i64(2, 12)},
                                                          {"x": X3, "s": i64(1, 24)}])
    ops = harness.inspect_json(tfl)["ops"]
    runtime_path = steps[0] < 0 and starts[0] < -1
    assert ("STRIDED_SLICE" in ops) and (("MAXIMUM" in ops) == runtime_path), harness.op_summary(
        harness.inspect_json(tfl))
