"""Resize/Upsample whose scales, sizes or roi are graph inputs (computed at run time): the
resized extents are -1 in the file and LiteRT sizes them when it runs; the coordinates,
nearest indices and interpolation weights are computed by the graph (resize_runtime.cc).
Every case runs in LiteRT and is compared with onnxruntime, and the same .tflite is run with
other parameter values, which give other output shapes.

align_corners with scales is only fed scales whose in * scale is a whole number: elsewhere
onnxruntime divides by the integer output length and the ONNX reference (which the run-time
path follows, and the ONNX node tests check) by the fractional in * scale."""

from __future__ import annotations

import numpy as np
import onnx
import onnx.helper as oh
import pytest
from onnx import TensorProto as TP

import harness

RNG = np.random.default_rng(11)
X4 = RNG.standard_normal((1, 2, 6, 8)).astype(np.float32)


def vi(name, dtype, shape):
    return oh.make_tensor_value_info(name, dtype, shape)


def resize_model(attrs, *, by="scales", k=4, opset=19, roi=False, dtype=TP.FLOAT, x_shape=(1, 2, 6, 8)):
    """Resize(x, roi, scales|sizes) with the parameter (and roi) as graph inputs."""
    ins = ["x", "roi" if roi else "", "s" if by == "scales" else "", "s" if by == "sizes" else ""]
    while ins[-1] == "":
        ins.pop()
    inputs = [vi("x", dtype, list(x_shape))]
    if roi:
        inputs.append(vi("roi", TP.FLOAT, [2 * k]))
    inputs.append(vi("s", TP.FLOAT if by == "scales" else TP.INT64, [k]))
    inits = []
    if opset < 13:  # roi (and scales, when sizes are given) are not optional there: empty ones
        ins = ["x", ins[1] or "no_roi", ins[2] or "no_scales"] + ins[3:]
        inits = [oh.make_tensor("no_roi", TP.FLOAT, [0], []), oh.make_tensor("no_scales", TP.FLOAT, [0], [])]
    g = oh.make_graph([oh.make_node("Resize", ins, ["y"], **attrs)], "g", inputs, [vi("y", dtype, None)],
                      initializer=inits)
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", opset)])


def check_with_other_values(tfl, feeds_list, onnx_model, tmp_path):
    """Runs the one .tflite with each set of feeds and compares with onnxruntime."""
    path = tmp_path / "again.onnx"
    onnx.save(onnx_model, str(path))
    shapes = set()
    for feeds in feeds_list:
        ref = harness.run_onnxruntime(path, feeds)
        got = harness.run_litert(tfl, feeds, list(ref)).outputs
        harness.assert_close(ref, got, context=f"[{ {k: v.tolist() for k, v in feeds.items() if k != 'x'} }] ")
        shapes.add(next(iter(ref.values())).shape)
    return shapes


def scales(*v):
    return np.array(v, np.float32)


def sizes(*v):
    return np.array(v, np.int64)


# (mode, coordinate mode, extra attributes, scales for the first run, scales for the second)
SCALE_CASES = [
    ("nearest", "asymmetric", {"nearest_mode": "floor"}, scales(1, 1, 2, 3), scales(1, 1, 0.5, 0.75)),
    ("nearest", "half_pixel", {"nearest_mode": "round_prefer_floor"}, scales(1, 1, 1.5, 2), scales(1, 1, 0.5, 0.5)),
    ("nearest", "half_pixel", {"nearest_mode": "round_prefer_ceil"}, scales(1, 1, 2, 2), scales(1, 1, 0.7, 1.3)),
    ("nearest", "pytorch_half_pixel", {"nearest_mode": "ceil"}, scales(1, 1, 2.5, 1), scales(1, 1, 1.0 / 6, 0.5)),
    ("nearest", "align_corners", {"nearest_mode": "round_prefer_floor"}, scales(1, 1, 2, 1.5), scales(1, 1, 0.5, 0.25)),
    ("linear", "half_pixel", {}, scales(1, 1, 2, 3), scales(1, 1, 0.6, 0.8)),
    ("linear", "pytorch_half_pixel", {}, scales(1, 1, 1.7, 0.5), scales(1, 1, 1.0 / 6, 2)),
    ("linear", "asymmetric", {}, scales(1, 1, 2, 1.25), scales(1, 1, 0.5, 0.5)),
    ("linear", "align_corners", {}, scales(1, 1, 2, 2), scales(1, 1, 0.5, 1.5)),
    ("linear", "half_pixel_symmetric", {}, scales(1, 1, 2.3, 1.4), scales(1, 1, 0.6, 0.9)),
    ("cubic", "half_pixel", {}, scales(1, 1, 2, 2), scales(1, 1, 0.5, 0.8)),
    ("cubic", "half_pixel", {"cubic_coeff_a": -0.5, "exclude_outside": 1}, scales(1, 1, 1.5, 3), scales(1, 1, 0.8, 0.6)),
    ("cubic", "asymmetric", {"cubic_coeff_a": -0.5}, scales(1, 1, 2, 1), scales(1, 1, 0.5, 1.5)),
    ("cubic", "align_corners", {}, scales(1, 1, 2, 0.5), scales(1, 1, 1.5, 2)),
    ("cubic", "pytorch_half_pixel", {"exclude_outside": 1}, scales(1, 1, 2.5, 1.5), scales(1, 1, 0.4, 0.75)),
    # antialias: the widened kernel's tap count follows the scale; the same file serves both
    ("linear", "half_pixel", {"antialias": 1}, scales(1, 1, 0.5, 0.375), scales(1, 1, 1.0 / 3, 0.25)),
    ("linear", "half_pixel", {"antialias": 1}, scales(1, 1, 2, 0.75), scales(1, 1, 0.6, 1.5)),
    ("cubic", "half_pixel", {"antialias": 1}, scales(1, 1, 0.5, 0.625), scales(1, 1, 0.35, 0.2)),
    ("cubic", "pytorch_half_pixel", {"antialias": 1, "exclude_outside": 1}, scales(1, 1, 0.5, 0.5),
     scales(1, 1, 0.8, 0.25)),
    # the widest kernels: one output cell per axis (scale 1 / in)
    ("cubic", "half_pixel", {"antialias": 1}, scales(1, 1, 1.0 / 6, 1.0 / 8), scales(1, 1, 0.5, 0.3)),
    ("linear", "asymmetric", {"antialias": 1}, scales(1, 1, 1.0 / 6, 1.0 / 8), scales(1, 1, 0.34, 0.26)),
]


@pytest.mark.parametrize("mode,coord,extra,first,second", SCALE_CASES,
                         ids=[f"{m}-{c}-{'-'.join(f'{k}{v}' for k, v in e.items())}-{i}"
                              for i, (m, c, e, _, _) in enumerate(SCALE_CASES)])
def test_runtime_scales(tmp_path, mode, coord, extra, first, second):
    m = resize_model({"mode": mode, "coordinate_transformation_mode": coord, **extra})
    tfl = harness.check_onnx_model(m, {"x": X4, "s": first}, tmp_path, "scales")
    info = harness.inspect_json(tfl)
    assert info["outputs"][0]["shape"] == [-1, -1, -1, -1], info["outputs"]
    shapes = check_with_other_values(tfl, [{"x": X4, "s": second}, {"x": X4, "s": first}], m, tmp_path)
    assert len(shapes) == 2, shapes  # two output shapes from one file


SIZE_CASES = [
    ("nearest", "half_pixel", {"nearest_mode": "round_prefer_floor"}, sizes(1, 2, 9, 4), sizes(1, 2, 3, 13)),
    ("nearest", "asymmetric", {"nearest_mode": "floor", "keep_aspect_ratio_policy": "not_larger"},
     sizes(1, 2, 9, 20), sizes(1, 2, 3, 7)),
    ("nearest", "align_corners", {"nearest_mode": "round_prefer_ceil", "keep_aspect_ratio_policy": "not_smaller"},
     sizes(1, 2, 9, 4), sizes(1, 2, 3, 2)),
    ("linear", "half_pixel", {}, sizes(1, 2, 12, 5), sizes(1, 2, 4, 17)),
    ("linear", "align_corners", {}, sizes(1, 2, 7, 3), sizes(1, 2, 1, 9)),
    ("linear", "half_pixel_symmetric", {"keep_aspect_ratio_policy": "not_larger"}, sizes(1, 2, 10, 9),
     sizes(1, 2, 5, 20)),
    ("linear", "pytorch_half_pixel", {"antialias": 1}, sizes(1, 2, 4, 3), sizes(1, 2, 2, 5)),
    ("cubic", "half_pixel", {"exclude_outside": 1}, sizes(1, 2, 11, 5), sizes(1, 2, 3, 16)),
    ("cubic", "asymmetric", {"antialias": 1, "keep_aspect_ratio_policy": "not_smaller"}, sizes(1, 2, 3, 3),
     sizes(1, 2, 2, 1)),
]


@pytest.mark.parametrize("mode,coord,extra,first,second", SIZE_CASES,
                         ids=[f"{m}-{c}-{i}" for i, (m, c, _, _, _) in enumerate(SIZE_CASES)])
def test_runtime_sizes(tmp_path, mode, coord, extra, first, second):
    if "keep_aspect_ratio_policy" in extra:  # one scale for H and W (onnxruntime resizes N, C only by 1)
        extra, first, second = {**extra, "axes": [2, 3]}, first[2:], second[2:]
    m = resize_model({"mode": mode, "coordinate_transformation_mode": coord, **extra}, by="sizes", k=len(first))
    tfl = harness.check_onnx_model(m, {"x": X4, "s": first}, tmp_path, "sizes")
    shapes = check_with_other_values(tfl, [{"x": X4, "s": second}], m, tmp_path)
    assert shapes == {tuple(harness.run_onnxruntime(tmp_path / "again.onnx", {"x": X4, "s": second})["y"].shape)}


def test_tf_half_pixel_for_nn_opset11(tmp_path):
    # Deprecated since opset 13; an axis with scale 1 (N, C here) is left as it is.
    m = resize_model({"mode": "nearest", "coordinate_transformation_mode": "tf_half_pixel_for_nn",
                      "nearest_mode": "round_prefer_ceil"}, opset=11)
    tfl = harness.check_onnx_model(m, {"x": X4, "s": scales(1, 1, 2, 1.5)}, tmp_path, "tf_nn")
    check_with_other_values(tfl, [{"x": X4, "s": scales(1, 1, 0.5, 1)}], m, tmp_path)


def test_sizes_opset11_with_empty_scales(tmp_path):
    m = resize_model({"mode": "linear", "coordinate_transformation_mode": "asymmetric"}, by="sizes", opset=11)
    tfl = harness.check_onnx_model(m, {"x": X4, "s": sizes(1, 2, 9, 5)}, tmp_path, "sizes11")
    check_with_other_values(tfl, [{"x": X4, "s": sizes(1, 2, 2, 16)}], m, tmp_path)


def test_axes_keep_other_extents_static(tmp_path):
    # axes=[3, 2] (descending): only W and H are run-time; N and C stay static in the file.
    m = resize_model({"mode": "linear", "axes": [3, 2]}, k=2)
    tfl = harness.check_onnx_model(m, {"x": X4, "s": scales(2.5, 0.5)}, tmp_path, "axes")
    assert harness.inspect_json(tfl)["outputs"][0]["shape"] == [1, 2, -1, -1]
    check_with_other_values(tfl, [{"x": X4, "s": scales(0.75, 3)}], m, tmp_path)


def test_tf_crop_and_resize_with_runtime_roi_and_sizes(tmp_path):
    attrs = {"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize", "extrapolation_value": 2.5,
             "axes": [2, 3]}
    m = resize_model(attrs, by="sizes", k=2, roi=True)
    feeds = {"x": X4, "roi": np.array([0.2, -0.3, 0.9, 1.2], np.float32), "s": sizes(5, 7)}
    tfl = harness.check_onnx_model(m, feeds, tmp_path, "crop")
    check_with_other_values(tfl, [{"x": X4, "roi": np.array([0.0, 0.5, 1.0, 0.7], np.float32), "s": sizes(1, 3)},
                                  {"x": X4, "roi": np.array([-0.5, 0.1, 0.4, 0.6], np.float32), "s": sizes(8, 4)}],
                            m, tmp_path)


def test_runtime_roi_with_constant_sizes_keeps_a_static_output(tmp_path):
    sz = oh.make_tensor("sz", TP.INT64, [4], [1, 2, 5, 9])
    node = oh.make_node("Resize", ["x", "roi", "", "sz"], ["y"], mode="linear",
                        coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=0.5)
    g = oh.make_graph([node], "g", [vi("x", TP.FLOAT, [1, 2, 6, 8]), vi("roi", TP.FLOAT, [8])],
                      [vi("y", TP.FLOAT, None)], initializer=[sz])
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 19)])
    roi = np.array([0, 0, 0.25, -0.1, 1, 1, 0.75, 0.9], np.float32)
    tfl = harness.check_onnx_model(m, {"x": X4, "roi": roi}, tmp_path, "roi_only")
    assert harness.inspect_json(tfl)["outputs"][0]["shape"] == [1, 2, 5, 9]
    check_with_other_values(tfl, [{"x": X4, "roi": np.array([0, 0, -0.2, 0.3, 1, 1, 1.3, 0.6], np.float32)}],
                            m, tmp_path)


def test_cubic_tf_crop_and_resize_with_runtime_scales(tmp_path):
    attrs = {"mode": "cubic", "coordinate_transformation_mode": "tf_crop_and_resize", "extrapolation_value": -1.0}
    m = resize_model(attrs, roi=True)
    roi = np.array([0, 0, 0.1, -0.2, 1, 1, 0.8, 1.1], np.float32)
    tfl = harness.check_onnx_model(m, {"x": X4, "roi": roi, "s": scales(1, 1, 2, 1.5)}, tmp_path, "crop_cubic")
    check_with_other_values(tfl, [{"x": X4, "roi": roi, "s": scales(1, 1, 0.5, 0.75)}], m, tmp_path)


def test_nearest_keeps_integer_data_exact(tmp_path):
    x = RNG.integers(-1000, 1000, size=(2, 3, 5)).astype(np.int32)
    m = resize_model({"mode": "nearest", "nearest_mode": "round_prefer_ceil"}, k=3, dtype=TP.INT32, x_shape=(2, 3, 5))
    tfl = harness.check_onnx_model(m, {"x": x, "s": scales(1, 2, 1.6)}, tmp_path, "int")
    check_with_other_values(tfl, [{"x": x, "s": scales(2, 0.5, 0.4)}], m, tmp_path)


def test_runtime_scales_resize_batch_and_channels(tmp_path):
    # No axes attribute: every axis is resized, the batch and channel ones too.
    m = resize_model({"mode": "nearest", "nearest_mode": "floor"})
    tfl = harness.check_onnx_model(m, {"x": X4, "s": scales(2, 1.5, 0.5, 1)}, tmp_path, "all_axes")
    check_with_other_values(tfl, [{"x": X4, "s": scales(3, 0.5, 1, 2)}], m, tmp_path)


def test_trilinear_runtime_scales(tmp_path):
    # Linear on a 3-D input resizes all three axes (onnxruntime's trilinear).
    x = RNG.standard_normal((3, 4, 5)).astype(np.float32)
    m = resize_model({"mode": "linear"}, k=3, x_shape=(3, 4, 5))
    tfl = harness.check_onnx_model(m, {"x": x, "s": scales(2, 0.5, 1.6)}, tmp_path, "trilinear")
    check_with_other_values(tfl, [{"x": x, "s": scales(0.7, 2.5, 1)}], m, tmp_path)


@pytest.mark.parametrize("op,opset", [("Upsample", 9), ("Resize", 10)])
def test_legacy_forms_with_runtime_scales(tmp_path, op, opset):
    g = oh.make_graph([oh.make_node(op, ["x", "s"], ["y"], mode="nearest")], "g",
                      [vi("x", TP.FLOAT, [1, 2, 6, 8]), vi("s", TP.FLOAT, [4])], [vi("y", TP.FLOAT, None)])
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", opset)])
    feeds = {"x": X4, "s": scales(1, 1, 2, 3)}
    if op == "Upsample":  # onnxruntime runs Upsample for upscaling only
        tfl = harness.check_onnx_model(m, feeds, tmp_path, "legacy")
        check_with_other_values(tfl, [{"x": X4, "s": scales(1, 1, 1.5, 2.5)}], m, tmp_path)
    else:  # Resize-10 downsamples with the old rule (ceil)
        tfl = harness.check_onnx_model(m, feeds, tmp_path, "legacy")
        check_with_other_values(tfl, [{"x": X4, "s": scales(1, 1, 0.5, 0.6)}], m, tmp_path)


def test_runtime_scales_after_a_runtime_shape_is_refused_clearly(tmp_path):
    # X itself with run-time extents: its lengths size the interpolation, so this is refused.
    g = oh.make_graph([oh.make_node("Reshape", ["x", "shape"], ["r"], name="make_dynamic"),
                       oh.make_node("Resize", ["r", "", "s"], ["y"], name="resize", mode="linear")], "g",
                      [vi("x", TP.FLOAT, [1, 2, 6, 8]), vi("shape", TP.INT64, [4]), vi("s", TP.FLOAT, [4])],
                      [vi("y", TP.FLOAT, None)])
    path = tmp_path / "refused.onnx"
    onnx.save(oh.make_model(g, opset_imports=[oh.make_opsetid("", 19)]), str(path))
    r = harness.run_cli("convert", path, "-o", tmp_path / "refused.tflite")
    assert r.returncode != 0
    assert "resize" in r.stderr and "known only at run time" in r.stderr and "X's shape static" in r.stderr, r.stderr


def test_consumers_of_the_runtime_output(tmp_path):
    # An elementwise op reads the run-time-extent output; an op that needs static shapes is
    # refused, naming the Resize that made the shape dynamic.
    nodes = [oh.make_node("Resize", ["x", "", "s"], ["r"], name="upscale", mode="linear"),
             oh.make_node("Relu", ["r"], ["y"])]
    g = oh.make_graph(nodes, "g", [vi("x", TP.FLOAT, [1, 2, 6, 8]), vi("s", TP.FLOAT, [4])], [vi("y", TP.FLOAT, None)])
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 19)])
    harness.check_onnx_model(m, {"x": X4, "s": scales(1, 1, 1.5, 2)}, tmp_path, "relu")
    nodes[1] = oh.make_node("Softmax", ["r"], ["y"], name="needs_static")
    g = oh.make_graph(nodes, "g", [vi("x", TP.FLOAT, [1, 2, 6, 8]), vi("s", TP.FLOAT, [4])], [vi("y", TP.FLOAT, None)])
    path = tmp_path / "softmax.onnx"
    onnx.save(oh.make_model(g, opset_imports=[oh.make_opsetid("", 19)]), str(path))
    r = harness.run_cli("convert", path, "-o", tmp_path / "softmax.tflite")
    assert r.returncode != 0
    assert "needs_static" in r.stderr and "upscale" in r.stderr and "known only at run time" in r.stderr, r.stderr


def test_constant_scales_keep_the_builtin(tmp_path):
    # The static path is unchanged: constant scales still give one RESIZE_BILINEAR.
    s = oh.make_tensor("s", TP.FLOAT, [4], [1, 1, 2, 2])
    g = oh.make_graph([oh.make_node("Resize", ["x", "", "s"], ["y"], mode="linear")], "g",
                      [vi("x", TP.FLOAT, [1, 2, 6, 8])], [vi("y", TP.FLOAT, None)], initializer=[s])
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 19)])
    tfl = harness.check_onnx_model(m, {"x": X4}, tmp_path, "static")
    summary = harness.op_summary(harness.inspect_json(tfl))
    assert "RESIZE_BILINEAR" in summary and "BATCH_MATMUL" not in summary, summary
