"""Detection ops with run-time regions: RoiAlign, MaxRoiPool and DeformConv, as torchvision's
roi_align / roi_pool / deform_conv2d export them (torchvision is not installed here, so the
single-node graphs are built with onnx.helper; the attributes are the ones torchvision sets).

rois, batch indices, offsets and masks are graph inputs, as in a detector where they come
from a proposal stage or a conv. Everything is converted, run in LiteRT and compared with
onnxruntime: float32 by max|err| <= 1e-4 * max|ref|.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import harness


def _rng(seed):
    return np.random.default_rng(seed)


def _model(op, attrs, feeds, consts, opset, input_order):
    inputs = [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
              for k, v in feeds.items()]
    node = helper.make_node(op, [k if k in feeds or k in consts else "" for k in input_order], ["y"], name="node",
                            **attrs)
    graph = helper.make_graph([node], op, inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              initializer=[numpy_helper.from_array(v, k) for k, v in consts.items()])
    return onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]))


def _boxes(rng, count, width, height, inside=True):
    """[count, 4] boxes (x1, y1, x2, y2) in input-image coordinates; inside=False lets them reach
    past the image on every side."""
    lo, hi = (0.0, 1.0) if inside else (-0.3, 1.3)
    a = rng.uniform(lo, hi, (count, 2)) * [width, height]
    b = rng.uniform(lo, hi, (count, 2)) * [width, height]
    return np.concatenate([np.minimum(a, b), np.maximum(a, b)], axis=1).astype(np.float32)


# --------------------------------------------------------------------------- RoiAlign

# (mode, coordinate_transformation_mode or None for opset 10, sampling_ratio, spatial_scale,
#  output (h, w), rois inside the image)
ALIGN_CASES = {
    "avg_half_pixel_sr2": ("avg", "half_pixel", 2, 0.25, (7, 7), True),
    "max_half_pixel_sr2": ("max", "half_pixel", 2, 0.25, (7, 7), True),
    "avg_output_half_pixel_sr1": ("avg", "output_half_pixel", 1, 0.5, (3, 5), True),
    "max_output_half_pixel_sr3": ("max", "output_half_pixel", 3, 0.5, (4, 2), True),
    "avg_opset10_sr2": ("avg", None, 2, 0.125, (5, 5), True),
    "max_opset10_sr2": ("max", None, 2, 1.0, (2, 3), True),
    "avg_outside_image": ("avg", "half_pixel", 2, 0.5, (4, 4), False),
    "max_outside_image": ("max", "half_pixel", 3, 0.5, (3, 3), False),
    "avg_outside_output_half_pixel": ("avg", "output_half_pixel", 2, 1.0, (3, 4), False),
}


def _align_inputs(seed, scale, inside, batch=3, channels=4, height=12, width=10, rois=9):
    rng = _rng(seed)
    x = rng.standard_normal((batch, channels, height, width)).astype(np.float32)
    boxes = _boxes(rng, rois, width / scale, height / scale, inside)
    idx = rng.integers(0, batch, rois).astype(np.int64)
    idx[:batch] = np.arange(batch)  # every image is used
    return x, boxes, idx


@pytest.mark.parametrize("case", list(ALIGN_CASES))
def test_roi_align_runtime_rois(case, tmp_path):
    mode, ctm, ratio, scale, (oh, ow), inside = ALIGN_CASES[case]
    x, boxes, idx = _align_inputs(list(ALIGN_CASES).index(case), scale, inside)
    attrs = {"mode": mode, "sampling_ratio": ratio, "spatial_scale": scale, "output_height": oh, "output_width": ow}
    if ctm:
        attrs["coordinate_transformation_mode"] = ctm
    feeds = {"x": x, "rois": boxes, "batch_indices": idx}
    model = _model("RoiAlign", attrs, feeds, {}, 16 if ctm else 10, ["x", "rois", "batch_indices"])
    tfl = harness.check_onnx_model(model, feeds, tmp_path, case)
    info = harness.inspect_json(tfl)
    assert info["transposes"] == 2, harness.op_summary(info)  # X to NHWC, the result back
    assert "GATHER_ND" in info["ops"] and "CUSTOM" not in info["ops"], harness.op_summary(info)


def test_roi_align_one_image_one_roi(tmp_path):
    """One image (the batch-index term is dropped: every valid index is 0) and one roi."""
    x, boxes, _ = _align_inputs(5, 0.5, True, batch=1, rois=1)
    feeds = {"x": x, "rois": boxes, "batch_indices": np.zeros(1, np.int64)}
    model = _model("RoiAlign", {"output_height": 2, "output_width": 2, "sampling_ratio": 2, "spatial_scale": 0.5},
                   feeds, {}, 16, ["x", "rois", "batch_indices"])
    harness.check_onnx_model(model, feeds, tmp_path, "align_single")


@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("ctm", ["half_pixel", "output_half_pixel"])
def test_roi_align_adaptive_sampling_constant_rois(mode, ctm, tmp_path):
    """sampling_ratio=0: the per-roi grid ceil(roi size / output size) is computed while
    converting from the constant rois; rois of very different sizes (1 to 5 samples per bin
    axis) and a zero-width roi (half_pixel: no samples, output 0) share one graph."""
    x, boxes, idx = _align_inputs(7, 1.0, True, rois=6)
    boxes[0] = [1.0, 2.0, 9.5, 11.0]  # large: several samples per bin
    boxes[1] = [3.0, 3.0, 3.4, 3.2]  # tiny: one sample (output_half_pixel: at least 1x1)
    boxes[2] = [4.0, 1.0, 4.0, 6.0]  # zero width
    feeds = {"x": x, "batch_indices": idx}
    model = _model("RoiAlign", {"mode": mode, "coordinate_transformation_mode": ctm, "output_height": 2,
                                "output_width": 3, "sampling_ratio": 0},
                   feeds, {"rois": boxes}, 16, ["x", "rois", "batch_indices"])
    harness.check_onnx_model(model, feeds, tmp_path, f"align_adaptive_{mode}_{ctm}")


def test_roi_align_adaptive_sampling_runtime_rois_is_refused(tmp_path):
    x, boxes, idx = _align_inputs(8, 1.0, True)
    feeds = {"x": x, "rois": boxes, "batch_indices": idx}
    path = tmp_path / "adaptive.onnx"
    onnx.save(_model("RoiAlign", {"sampling_ratio": 0}, feeds, {}, 16, ["x", "rois", "batch_indices"]), str(path))
    p = harness.run_cli("convert", path, "-o", tmp_path / "adaptive.tflite")
    assert p.returncode == 1, p.stderr
    assert "sampling_ratio=0" in p.stderr and "run-time" in p.stderr and "RoiAlign" in p.stderr, p.stderr
    assert not (tmp_path / "adaptive.tflite").exists()


def test_roi_align_as_torchvision_exports_it(tmp_path):
    """torchvision.ops.roi_align(x, boxes [K, 5], ...) at opset 16: the batch column is split
    off with Gather/Squeeze/Cast(int64) and the box columns gathered; aligned=False becomes
    output_half_pixel (MultiScaleRoIAlign's sampling_ratio=2)."""
    rng = _rng(12)
    x = rng.standard_normal((3, 8, 10, 12)).astype(np.float32)
    boxes = _boxes(rng, 7, 12 / 0.25, 10 / 0.25)
    b = np.array([2, 0, 1, 1, 0, 2, 2], np.float32)[:, None]
    feeds = {"x": x, "boxes": np.concatenate([b, boxes], axis=1)}
    nodes = [helper.make_node("Gather", ["boxes", "col0"], ["b1"], axis=1),
             helper.make_node("Squeeze", ["b1", "ax1"], ["b0"]),
             helper.make_node("Cast", ["b0"], ["bi"], to=TensorProto.INT64),
             helper.make_node("Gather", ["boxes", "cols"], ["rois"], axis=1),
             helper.make_node("RoiAlign", ["x", "rois", "bi"], ["y"], coordinate_transformation_mode="output_half_pixel",
                              spatial_scale=0.25, output_height=7, output_width=7, sampling_ratio=2)]
    inits = {"col0": np.array([0], np.int64), "ax1": np.array([1], np.int64), "cols": np.array([1, 2, 3, 4], np.int64)}
    graph = helper.make_graph(
        nodes, "tv", [helper.make_tensor_value_info(k, TensorProto.FLOAT, v.shape) for k, v in feeds.items()],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)]))
    harness.check_onnx_model(model, feeds, tmp_path, "torchvision_roi_align")


def test_roi_align_after_conv_nhwc_io_has_no_transposes(tmp_path):
    """Backbone conv → RoiAlign → box-head conv with --nhwc-io: the ROI sampling gathers NHWC
    rows, so no transpose is left at all."""
    rng = _rng(11)
    w1 = rng.standard_normal((6, 3, 3, 3)).astype(np.float32)
    w2 = rng.standard_normal((5, 6, 1, 1)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["f"], pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["f"], ["fr"]),
             helper.make_node("RoiAlign", ["fr", "rois", "bi"], ["p"], output_height=3, output_width=3,
                              sampling_ratio=2, spatial_scale=0.5),
             helper.make_node("Conv", ["p", "w2"], ["y"])]
    feeds = {"x": rng.standard_normal((2, 3, 16, 16)).astype(np.float32),
             "rois": _boxes(rng, 5, 16, 16), "bi": np.array([0, 1, 1, 0, 1], np.int64)}
    graph = helper.make_graph(
        nodes, "det", [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
                       for k, v in feeds.items()],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
    path = tmp_path / "det.onnx"
    onnx.save(onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])),
              str(path))
    ref = harness.run_onnxruntime(path, feeds)
    tfl = harness.convert(path, tmp_path / "det.tflite", nhwc_io=True)
    info = harness.inspect_json(tfl)
    assert info["transposes"] == 0, harness.op_summary(info)
    harness.assert_close(ref, harness.run_litert(tfl, feeds, list(ref), nhwc_io=True).outputs)


# --------------------------------------------------------------------------- MaxRoiPool

def _pool_rois(rng, count, batch, width, height, scale):
    boxes = _boxes(rng, count, width / scale, height / scale, inside=False)
    # Coordinates on .5 after scaling: round() must go away from zero as in C.
    boxes[0, :] = np.array([0.5, 1.5, 2.5, 4.5], np.float32) / scale
    boxes[1, :] = np.array([3.0, 2.0, 1.0, 1.0], np.float32) / scale  # x2 < x1: forced to one column
    b = rng.integers(0, batch, count).astype(np.float32)
    b[:batch] = np.arange(batch)
    return np.concatenate([b[:, None], boxes], axis=1).astype(np.float32)


POOL_CASES = {
    # pooled_shape, spatial_scale, batch, rois
    "7x7_scale_quarter": ((7, 7), 0.25, 2, 8),
    "2x3_scale_1": ((2, 3), 1.0, 3, 6),
    "3x2_scale_half": ((3, 2), 0.5, 1, 5),
    "1x1_scale_sixteenth": ((1, 1), 0.0625, 2, 4),
}


@pytest.mark.parametrize("case", list(POOL_CASES))
def test_max_roi_pool_runtime_rois(case, tmp_path):
    """Non-negative features (after a ReLU, where RoI pooling sits in Fast R-CNN)."""
    (ph, pw), scale, batch, count = POOL_CASES[case]
    rng = _rng(len(case))
    x = np.maximum(rng.standard_normal((batch, 3, 9, 11)), 0).astype(np.float32)
    feeds = {"x": x, "rois": _pool_rois(rng, count, batch, 11, 9, scale)}
    model = _model("MaxRoiPool", {"pooled_shape": [ph, pw], "spatial_scale": scale}, feeds, {}, 16, ["x", "rois"])
    tfl = harness.check_onnx_model(model, feeds, tmp_path, case)
    info = harness.inspect_json(tfl)
    # at most X to NHWC and the result back (the sinking pass may move one into the gather)
    assert info["transposes"] <= 2, harness.op_summary(info)


def test_max_roi_pool_negative_values(tmp_path):
    """Signed features: a bin of negative values gives its (negative) max, an empty bin 0."""
    rng = _rng(3)
    feeds = {"x": rng.standard_normal((2, 3, 9, 11)).astype(np.float32) - 1.0,
             "rois": _pool_rois(rng, 6, 2, 11, 9, 0.5)}
    model = _model("MaxRoiPool", {"pooled_shape": [3, 2], "spatial_scale": 0.5}, feeds, {}, 16, ["x", "rois"])
    harness.check_onnx_model(model, feeds, tmp_path, "pool_negative")


def test_max_roi_pool_too_large_is_refused(tmp_path):
    feeds = {"x": np.zeros((1, 256, 64, 64), np.float32), "rois": np.zeros((300, 5), np.float32)}
    path = tmp_path / "big.onnx"
    onnx.save(_model("MaxRoiPool", {"pooled_shape": [7, 7]}, feeds, {}, 16, ["x", "rois"]), str(path))
    p = harness.run_cli("convert", path, "-o", tmp_path / "big.tflite")
    assert p.returncode == 1 and "MaxRoiPool" in p.stderr and "2^26" in p.stderr, p.stderr


# --------------------------------------------------------------------------- DeformConv

# torchvision.ops.deform_conv2d's attributes: (kernel, stride, pads, dilation, group,
# offset_group, channels in/out, mask, bias, offset scale)
DEFORM_CASES = {
    "3x3_pad1": ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, 1, (4, 6), False, True, 1.5),
    "3x3_dcnv2_mask": ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, 1, (4, 6), True, True, 1.5),
    "stride2_dilation2": ((3, 3), (2, 2), (2, 2, 2, 2), (2, 2), 1, 1, (3, 5), True, False, 2.0),
    "offset_groups2": ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, 2, (4, 3), True, True, 1.0),
    "groups2_offset_groups2": ((2, 3), (1, 2), (0, 1, 1, 0), (1, 1), 2, 2, (4, 6), False, True, 1.0),
    "groups2_offset_groups4": ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 2, 4, (8, 4), True, False, 1.0),
    "depthwise": ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 4, 1, (4, 4), False, True, 1.0),
    # offsets far beyond the image: most taps read the zero padding
    "far_offsets": ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, 1, (3, 2), True, True, 8.0),
}


def _deform_inputs(case):
    (kh, kw), (sh, sw), pads, (dh, dw), group, og, (cin, cout), mask, bias, off_scale = DEFORM_CASES[case]
    rng = _rng(len(case) * 7)
    n, h, w = 2, 7, 8
    oh = (h + pads[0] + pads[2] - (dh * (kh - 1) + 1)) // sh + 1
    ow = (w + pads[1] + pads[3] - (dw * (kw - 1) + 1)) // sw + 1
    t = {"0x": rng.standard_normal((n, cin, h, w)).astype(np.float32),
         "1w": rng.standard_normal((cout, cin // group, kh, kw)).astype(np.float32),
         "2offset": (rng.standard_normal((n, og * kh * kw * 2, oh, ow)) * off_scale).astype(np.float32)}
    if bias:
        t["3b"] = rng.standard_normal(cout).astype(np.float32)
    if mask:
        t["4mask"] = rng.uniform(0, 1, (n, og * kh * kw, oh, ow)).astype(np.float32)
    attrs = {"kernel_shape": [kh, kw], "strides": [sh, sw], "pads": list(pads), "dilations": [dh, dw],
             "group": group, "offset_group": og}
    return attrs, t


@pytest.mark.parametrize("weights", ["constant", "runtime"])
@pytest.mark.parametrize("case", list(DEFORM_CASES))
def test_deform_conv(case, weights, tmp_path):
    attrs, t = _deform_inputs(case)
    const_names = {"1w", "3b"} if weights == "constant" else set()
    feeds = {k: v for k, v in t.items() if k not in const_names}
    consts = {k: v for k, v in t.items() if k in const_names}
    model = _model("DeformConv", attrs, feeds, consts, 19, ["0x", "1w", "2offset", "3b", "4mask"])
    tfl = harness.check_onnx_model(model, feeds, tmp_path, f"deform_{case}_{weights}")
    info = harness.inspect_json(tfl)
    # X, offset (and mask) to NHWC, the result back; the weights are never transposed
    assert info["transposes"] == 3 + ("4mask" in t), harness.op_summary(info)
    if weights == "constant" and attrs["group"] == 1:
        assert "FULLY_CONNECTED" in info["ops"], harness.op_summary(info)


def test_deform_conv_block_nhwc_io_has_no_transposes(tmp_path):
    """A DCNv2 block as torchvision builds it: a conv predicts offsets and (sigmoid) mask from
    the features, deform_conv2d consumes them. With --nhwc-io nothing is transposed."""
    rng = _rng(21)
    c, h, w = 4, 9, 9
    w0 = rng.standard_normal((c, 3, 3, 3)).astype(np.float32)
    w_off = (rng.standard_normal((27, c, 3, 3)) * 0.3).astype(np.float32)
    w_dc = rng.standard_normal((6, c, 3, 3)).astype(np.float32)
    b_dc = rng.standard_normal(6).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w0"], ["f"], pads=[1, 1, 1, 1]),
             helper.make_node("Conv", ["f", "w_off"], ["om"], pads=[1, 1, 1, 1]),
             helper.make_node("Split", ["om", "split"], ["off", "m_logit"], axis=1),
             helper.make_node("Sigmoid", ["m_logit"], ["m"]),
             helper.make_node("DeformConv", ["f", "w_dc", "off", "b_dc", "m"], ["y"], kernel_shape=[3, 3],
                              pads=[1, 1, 1, 1])]
    inits = {"w0": w0, "w_off": w_off, "w_dc": w_dc, "b_dc": b_dc, "split": np.array([18, 9], np.int64)}
    graph = helper.make_graph(nodes, "dcn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, h, w])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    path = tmp_path / "dcn.onnx"
    onnx.save(onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])),
              str(path))
    feeds = {"x": rng.standard_normal((1, 3, h, w)).astype(np.float32)}
    ref = harness.run_onnxruntime(path, feeds)
    for nhwc_io, want in ((True, 0), (False, 2)):
        tfl = harness.convert(path, tmp_path / f"dcn{nhwc_io}.tflite", nhwc_io=nhwc_io)
        info = harness.inspect_json(tfl)
        assert info["transposes"] == want, harness.op_summary(info)
        harness.assert_close(ref, harness.run_litert(tfl, feeds, list(ref), nhwc_io=nhwc_io).outputs)
