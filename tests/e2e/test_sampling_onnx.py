"""Sampling and vision ops TFLite has no single builtin for, lowered as compositions:
GridSample, AffineGrid, Col2Im, LpPool, CenterCropPad, ReverseSequence, Det, MaxUnpool.

Single-node graphs built with onnx.helper cover each attribute a user meets (modes, padding
modes, align_corners, strides, pads …); small torch models (a spatial transformer with
F.affine_grid + F.grid_sample, nn.Fold, torch.linalg.det) are exported with both exporters.
(torch exports nn.LPPool2d as Pow/AveragePool, not LpPool: LpPool is covered by onnx.helper
graphs here; a SegNet block runs MaxPool(return_indices) into MaxUnpool.) Everything is converted, run in LiteRT and compared with onnxruntime:
integers exactly, float32 by max|err| <= 1e-4 * max|ref| (Det compares each determinant
with its own scale, see test_det; one Col2Im case with the ONNX reference, see there).
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import harness

def _rng(seed=0):
    return np.random.default_rng(seed)


def _f(*shape, seed=0, scale=1.0):
    return (_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def _u(*shape, lo=-1.0, hi=1.0, seed=1):
    return _rng(seed).uniform(lo, hi, shape).astype(np.float32)


def _model(op, attrs, feeds, consts, opset, outputs=1) -> onnx.ModelProto:
    inputs = [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
              for k, v in feeds.items()]
    outs = [helper.make_tensor_value_info(f"y{i}", TensorProto.UNDEFINED, None) for i in range(outputs)]
    names = [k if k in feeds or k in consts else "" for k in _input_order(feeds, consts)]
    node = helper.make_node(op, names, [o.name for o in outs], name="node", **attrs)
    graph = helper.make_graph([node], op, inputs, outs,
                              initializer=[numpy_helper.from_array(v, k) for k, v in consts.items()])
    return onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]))


def _input_order(feeds, consts):
    # Inputs are named so that sorting gives the ONNX input order: "0x", "1grid", ...
    return sorted([*feeds, *consts])


def run_case(tmp_path, name, op, attrs, feeds, consts=None, opset=20, outputs=1, tol=harness.FLOAT_TOL):
    """Converts the one-node model, runs it in LiteRT and compares with onnxruntime."""
    tfl = harness.check_onnx_model(_model(op, attrs, feeds, consts or {}, opset, outputs), feeds, tmp_path, name,
                                   tol=tol)
    return harness.inspect_json(tfl)


# --------------------------------------------------------------------------- GridSample

# Grids reach past [-1, 1] so that every padding mode matters.
GRID_CASES = [(mode, pad, align)
              for mode in ("linear", "nearest", "cubic")
              for pad in ("zeros", "border", "reflection")
              for align in (0, 1)]


@pytest.mark.parametrize("mode,pad,align", GRID_CASES)
def test_grid_sample_2d(mode, pad, align, tmp_path):
    feeds = {"0x": _f(2, 3, 5, 7), "1grid": _u(2, 4, 6, 2, lo=-1.4, hi=1.4)}
    info = run_case(tmp_path, f"gs_{mode}_{pad}_{align}", "GridSample",
                    {"mode": mode, "padding_mode": pad, "align_corners": align}, feeds)
    assert not any(k.startswith("FLEX") or k == "CUSTOM" for k in info["ops"]), info["ops"]


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_sample_opset16_names(mode, tmp_path):
    feeds = {"0x": _f(1, 2, 4, 4), "1grid": _u(1, 3, 5, 2, lo=-1.2, hi=1.2)}
    run_case(tmp_path, f"gs16_{mode}", "GridSample", {"mode": mode, "padding_mode": "border"}, feeds, opset=16)


def test_grid_sample_nearest_ties_round_to_even(tmp_path):
    # x = ((g + 1) * 4 - 1) / 2 lands on .5 for these g: ONNX rounds half to even.
    g = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, -0.75, 0.25], np.float32)
    grid = np.stack(np.meshgrid(g, g), axis=-1)[None].astype(np.float32)  # [1, 7, 7, 2]
    run_case(tmp_path, "gs_ties", "GridSample", {"mode": "nearest"}, {"0x": _f(1, 2, 4, 4), "1grid": grid})


@pytest.mark.parametrize("mode,pad,align", [("linear", "zeros", 0), ("linear", "reflection", 1),
                                            ("nearest", "border", 0), ("linear", "border", 1)])
def test_grid_sample_3d(mode, pad, align, tmp_path):
    feeds = {"0x": _f(2, 3, 4, 5, 6), "1grid": _u(2, 3, 2, 4, 3, lo=-1.3, hi=1.3)}
    run_case(tmp_path, f"gs3d_{mode}_{pad}_{align}", "GridSample",
             {"mode": mode, "padding_mode": pad, "align_corners": align}, feeds)


def test_grid_sample_identity_grid_in_nhwc_cnn_has_no_transposes(tmp_path):
    """Conv → GridSample (a constant grid, as a fixed warp) → Conv with --nhwc-io: the sampling
    works channels-last inside, so no transpose is left."""
    from onnx import helper as h

    w1, w2 = _f(4, 3, 3, 3, seed=2), _f(2, 4, 1, 1, seed=3)
    nodes = [h.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1]),
             h.make_node("GridSample", ["a", "grid"], ["b"], mode="linear", padding_mode="border"),
             h.make_node("Conv", ["b", "w2"], ["y"])]
    graph = h.make_graph(nodes, "cnn", [h.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
                         [h.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 5, 5])],
                         initializer=[numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2"),
                                      numpy_helper.from_array(_u(1, 5, 5, 2, lo=-1.1, hi=1.1), "grid")])
    path = tmp_path / "cnn.onnx"
    onnx.save(h.make_model(graph, opset_imports=[h.make_opsetid("", 20)]), str(path))
    feeds = {"x": _f(1, 3, 6, 6, seed=4)}
    ref = harness.run_onnxruntime(path, feeds)
    tfl = harness.convert(path, tmp_path / "cnn.tflite", nhwc_io=True)
    info = harness.inspect_json(tfl)
    assert info["transposes"] == 0, harness.op_summary(info)
    run = harness.run_litert(tfl, feeds, list(ref), nhwc_io=True)
    harness.assert_close(ref, run.outputs)


# --------------------------------------------------------------------------- AffineGrid

@pytest.mark.parametrize("dims", [(2, 3, 5, 7), (2, 3, 4, 5, 6), (1, 2, 3, 2)])
@pytest.mark.parametrize("align", [0, 1])
def test_affine_grid(dims, align, tmp_path):
    k = len(dims) - 2
    theta = _f(dims[0], k, k + 1, seed=5)
    run_case(tmp_path, f"ag_{len(dims)}_{align}", "AffineGrid", {"align_corners": align}, {"0theta": theta},
             {"1size": np.array(dims, np.int64)})


def test_affine_grid_align_corners_extent_one_is_refused(tmp_path):
    path = tmp_path / "ag1.onnx"
    onnx.save(_model("AffineGrid", {"align_corners": 1}, {"0theta": _f(1, 2, 3)}, {"1size": np.array([1, 1, 1, 4], np.int64)},
                     20), str(path))
    r = harness.run_cli("convert", path, "-o", tmp_path / "ag1.tflite")
    assert r.returncode == 1 and "align_corners=1 with a spatial extent of 1" in r.stderr, r.stderr


class SpatialTransformer:
    """Localisation net → theta → F.affine_grid → F.grid_sample → conv (torch's STN tutorial)."""

    @staticmethod
    def build(mode="bilinear", padding_mode="zeros", align_corners=False):
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        class STN(nn.Module):
            def __init__(self):
                super().__init__()
                self.loc = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                         nn.Flatten(), nn.Linear(4, 6))
                with torch.no_grad():  # near the identity, as the tutorial initialises it
                    self.loc[-1].weight.mul_(0.1)
                    self.loc[-1].bias.copy_(torch.tensor([1.1, 0.1, 0.05, -0.1, 0.9, 0.1]))
                self.head = nn.Conv2d(3, 5, 3, padding=1)

            def forward(self, x):
                theta = self.loc(x).view(-1, 2, 3)
                grid = F.affine_grid(theta, list(x.shape), align_corners=align_corners)
                y = F.grid_sample(x, grid, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
                return self.head(y)

        torch.manual_seed(0)
        return STN().eval()


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
@pytest.mark.parametrize("variant", [("bilinear", "zeros", False), ("nearest", "border", True),
                                     ("bicubic", "reflection", False)])
def test_spatial_transformer_torch(exporter, variant, export_cache, tmp_path):
    opset = 20  # AffineGrid and GridSample with these modes need opset 20 (TorchScript cannot below)
    key = "stn_" + "_".join(map(str, variant))
    exp = export_cache.get(key, exporter, lambda: SpatialTransformer.build(*variant), [(2, 3, 12, 10)], opset=opset)
    checked = harness.check_conversion(exp, tmp_path)
    assert not any(k.startswith("FLEX") or k == "CUSTOM" for k in checked.info["ops"]), checked.info["ops"]
    harness.assert_transposes(checked, 2, "the NCHW input and output")
    # Channels-last io: the sampling gathers NHWC rows, so no transpose is left at all.
    harness.assert_transposes(harness.check_conversion(exp, tmp_path, nhwc_io=True), 0)


# --------------------------------------------------------------------------- LpPool

LP_CASES = {
    "p2_default": ({"kernel_shape": [3, 3]}, (2, 3, 7, 8)),
    "p1_strides": ({"kernel_shape": [2, 3], "strides": [2, 2], "p": 1}, (1, 4, 7, 9)),
    "p3_pads": ({"kernel_shape": [3, 3], "pads": [1, 0, 2, 1], "p": 3}, (1, 2, 6, 6)),
    "p2_same_upper": ({"kernel_shape": [4, 3], "auto_pad": "SAME_UPPER", "strides": [2, 1]}, (1, 3, 7, 6)),
    "p2_same_lower": ({"kernel_shape": [2, 2], "auto_pad": "SAME_LOWER"}, (1, 3, 5, 5)),
    "p2_dilations": ({"kernel_shape": [2, 2], "dilations": [2, 3]}, (1, 2, 7, 8)),
    "p2_ceil_mode": ({"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}, (1, 2, 8, 8)),
    "p4_1d": ({"kernel_shape": [3], "strides": [2], "pads": [1, 1], "p": 4}, (2, 3, 9)),
    "p2_3d": ({"kernel_shape": [2, 3, 2]}, (2, 3, 4, 5, 6)),
    "p3_3d_pads_strides": ({"kernel_shape": [3, 2, 3], "strides": [2, 1, 2], "pads": [1, 0, 1, 2, 1, 0], "p": 3},
                           (1, 2, 6, 5, 7)),
    # (onnxruntime ignores auto_pad together with dilations, so explicit pads here)
    "p1_3d_dilations": ({"kernel_shape": [2, 2, 2], "dilations": [2, 1, 2], "pads": [1, 1, 0, 0, 1, 1], "p": 1},
                        (1, 2, 5, 4, 6)),
    "p2_3d_same_upper": ({"kernel_shape": [3, 2, 2], "auto_pad": "SAME_UPPER", "strides": [2, 2, 1]}, (1, 2, 5, 4, 6)),
}


@pytest.mark.parametrize("case", list(LP_CASES))
def test_lp_pool(case, tmp_path):
    attrs, shape = LP_CASES[case]
    info = run_case(tmp_path, f"lp_{case}", "LpPool", attrs, {"0x": _f(*shape, seed=6)}, opset=18)
    assert "DEPTHWISE_CONV_2D" in info["ops"], info["ops"]


def test_lp_pool_inside_cnn_has_no_transposes(tmp_path):
    w1, w2 = _f(4, 3, 3, 3, seed=2), _f(2, 4, 1, 1, seed=3)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1]),
             helper.make_node("LpPool", ["a"], ["b"], kernel_shape=[2, 2], strides=[2, 2], p=2),
             helper.make_node("Conv", ["b", "w2"], ["y"])]
    graph = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])],
                              initializer=[numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
    path = tmp_path / "lpcnn.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(path))
    feeds = {"x": _f(1, 3, 8, 8, seed=4)}
    ref = harness.run_onnxruntime(path, feeds)
    for nhwc_io, want in ((True, 0), (False, 2)):  # NCHW io: only the two border transposes
        tfl = harness.convert(path, tmp_path / f"lpcnn{nhwc_io}.tflite", nhwc_io=nhwc_io)
        info = harness.inspect_json(tfl)
        assert info["transposes"] == want, harness.op_summary(info)
        harness.assert_close(ref, harness.run_litert(tfl, feeds, list(ref), nhwc_io=nhwc_io).outputs)


# --------------------------------------------------------------------------- CenterCropPad, ReverseSequence

CROP_CASES = {
    "crop_and_pad_all_axes": ({}, _f(3, 7, 4, seed=7), [5, 4, 9]),
    "crop_odd_hw": ({"axes": [2, 3]}, _f(1, 3, 9, 8, seed=8), [4, 5]),
    "pad_odd_negative_axes": ({"axes": [-3, -2]}, _f(6, 5, 3, seed=9), [9, 8]),
    "unchanged": ({"axes": [1]}, _f(2, 4, seed=10), [4]),
    "int64_data": ({"axes": [0, 1]}, np.arange(35, dtype=np.int64).reshape(5, 7), [2, 10]),
}


@pytest.mark.parametrize("case", list(CROP_CASES))
def test_center_crop_pad(case, tmp_path):
    attrs, x, shape = CROP_CASES[case]
    run_case(tmp_path, f"ccp_{case}", "CenterCropPad", attrs, {"0x": x}, {"1shape": np.array(shape, np.int64)},
             opset=18)


@pytest.mark.parametrize("time_axis", [0, 1])
@pytest.mark.parametrize("lens_at_run_time", [True, False])
def test_reverse_sequence(time_axis, lens_at_run_time, tmp_path):
    steps, batch = 5, 4
    shape = (steps, batch, 3) if time_axis == 0 else (batch, steps, 2, 3)
    lens = np.array([5, 1, 0, 3], np.int64)
    feeds = {"0x": _f(*shape, seed=11)}
    consts = {}
    (feeds if lens_at_run_time else consts)["1lens"] = lens
    run_case(tmp_path, f"rs_{time_axis}_{lens_at_run_time}", "ReverseSequence",
             {"time_axis": time_axis, "batch_axis": 1 - time_axis}, feeds, consts, opset=10)


def test_reverse_sequence_int32_data(tmp_path):
    feeds = {"0x": np.arange(24, dtype=np.int32).reshape(4, 6), "1lens": np.array([2, 4, 1, 3, 4, 0], np.int64)}
    run_case(tmp_path, "rs_int32", "ReverseSequence", {}, feeds, opset=10)


# --------------------------------------------------------------------------- Col2Im

# (attrs, C, image_shape, block_shape)
COL2IM_CASES = {
    "plain": ({}, 2, [5, 5], [2, 2]),
    "strides_overlap": ({"strides": [2, 1]}, 3, [7, 6], [3, 2]),
    "pads": ({"pads": [1, 0, 2, 1]}, 1, [5, 4], [3, 3]),
    "dilations": ({"dilations": [2, 2]}, 2, [6, 7], [2, 3]),
    "stride_gap": ({"strides": [3, 3]}, 2, [8, 8], [2, 2]),  # rows/cols no block reaches stay 0
    "all": ({"strides": [2, 2], "dilations": [1, 2], "pads": [1, 2, 0, 1]}, 2, [7, 9], [3, 2]),
    "1d": ({"strides": [2], "pads": [1, 2]}, 3, [9], [3]),
    "3d": ({"strides": [1, 2, 1], "pads": [0, 1, 0, 1, 0, 1]}, 2, [3, 4, 5], [2, 2, 2]),
}


def _col2im_blocks(attrs, image, block):
    k = len(image)
    s, d, p = attrs.get("strides", [1] * k), attrs.get("dilations", [1] * k), attrs.get("pads", [0] * 2 * k)
    grid = [(image[i] + p[i] + p[k + i] - ((block[i] - 1) * d[i] + 1)) // s[i] + 1 for i in range(k)]
    return int(np.prod(grid))


@pytest.mark.parametrize("case", list(COL2IM_CASES))
def test_col2im(case, tmp_path):
    attrs, c, image, block = COL2IM_CASES[case]
    x = _f(2, c * int(np.prod(block)), _col2im_blocks(attrs, image, block), seed=12)
    run_case(tmp_path, f"col2im_{case}", "Col2Im", attrs, {"0x": x},
             {"1image": np.array(image, np.int64), "2block": np.array(block, np.int64)}, opset=18)


def test_col2im_3d_dilations_against_onnx_reference(tmp_path):
    """onnxruntime (1.32) misplaces dilated 3-D blocks (its 2-D path agrees with the spec), so
    this case is checked against the ONNX reference implementation instead."""
    from ai_edge_litert.interpreter import Interpreter
    from onnx.reference import ReferenceEvaluator

    attrs, image, block = {"strides": [1, 2, 1], "dilations": [1, 1, 2], "pads": [0, 1, 0, 1, 0, 1]}, [3, 4, 5], [2, 2, 2]
    x = _f(2, 16, _col2im_blocks(attrs, image, block), seed=12)
    model = _model("Col2Im", attrs, {"0x": x}, {"1image": np.array(image, np.int64),
                                               "2block": np.array(block, np.int64)}, 18)
    ref = ReferenceEvaluator(model).run(None, {"0x": x})[0]
    path = tmp_path / "c3d.onnx"
    onnx.save(model, str(path))
    interp = Interpreter(model_path=str(harness.convert(path, tmp_path / "c3d.tflite")), num_threads=1)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    harness.assert_close({"y0": ref}, {"y0": interp.get_tensor(interp.get_output_details()[0]["index"])})


def test_col2im_3d_too_large_is_refused(tmp_path):
    attrs, image, block = {}, [16, 16, 16], [3, 3, 3]
    x = _f(1, 27, _col2im_blocks(attrs, image, block))
    path = tmp_path / "c3.onnx"
    onnx.save(_model("Col2Im", attrs, {"0x": x}, {"1image": np.array(image, np.int64),
                                                  "2block": np.array(block, np.int64)}, 18), str(path))
    r = harness.run_cli("convert", path, "-o", tmp_path / "c3.tflite")
    assert r.returncode == 1 and "scatter matrix" in r.stderr, r.stderr


class FoldModel:
    @staticmethod
    def build():
        import torch.nn as nn

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                # symmetric padding: the exporters write torch's (1, 0) in an order onnxruntime reads otherwise
                self.fold = nn.Fold(output_size=(6, 7), kernel_size=(3, 2), stride=(1, 2), padding=1)

            def forward(self, x):
                return self.fold(x * 2.0)

        return M().eval()


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_fold_torch(exporter, export_cache, tmp_path):
    # C = 2, K = 6; blocks: ((6 + 2 - 3) // 1 + 1) * ((7 + 2 - 2) // 2 + 1) = 6 * 4
    exp = export_cache.get("fold", exporter, FoldModel.build, [(2, 12, 24)], opset=18)
    harness.check_conversion(exp, tmp_path)


# --------------------------------------------------------------------------- Det

def _det_inputs(m, batch, seed):
    x = _f(*batch, m, m, seed=seed)
    flat = x.reshape(-1, m, m)
    if flat.shape[0] >= 3:
        flat[1] = flat[1][::-1]                 # a permutation: pivoting needed from the first step
        flat[2, :, 0] = 0.0                     # singular: a zero column (det exactly 0)
        flat[0, 0, 0] = 0.0                     # a zero in the first pivot position
    return flat.reshape(x.shape)


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 8])
@pytest.mark.parametrize("batch", [(), (3,), (2, 3)])
def test_det(m, batch, tmp_path):
    """Float32 rule per matrix: |det - ref| <= 1e-4 * scale, scale = max(|ref|, prod of the row
    norms) — Hadamard's bound on |det|. A batch's determinants span orders of magnitude, and
    two LU implementations agree to a few ulps of the pivots' product, not of a tiny det."""
    from ai_edge_litert.interpreter import Interpreter

    x = _det_inputs(m, batch, seed=13 + m)
    path = tmp_path / f"det{m}.onnx"
    onnx.save(_model("Det", {}, {"0x": x}, {}, 11), str(path))
    ref = harness.run_onnxruntime(path, {"0x": x})["y0"]
    tfl = harness.convert(path, tmp_path / f"det{m}.tflite")
    interp = Interpreter(model_path=str(tfl), num_threads=1)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    got = interp.get_tensor(interp.get_output_details()[0]["index"])
    assert got.shape == ref.shape and got.dtype == ref.dtype
    hadamard = np.prod(np.linalg.norm(x.astype(np.float64), axis=-1), axis=-1)
    scale = np.maximum(np.abs(ref), hadamard)
    assert np.all(np.abs(got - ref) <= 1e-4 * scale), (got, ref)
    if m <= 3 or len(batch) == 0:
        return
    assert np.all(got.reshape(-1)[2] == 0.0), "a zero column must give exactly 0"


def test_det_larger_than_8_is_refused(tmp_path):
    path = tmp_path / "det9.onnx"
    onnx.save(_model("Det", {}, {"0x": _f(9, 9)}, {}, 11), str(path))
    r = harness.run_cli("convert", path, "-o", tmp_path / "det9.tflite")
    assert r.returncode == 1 and "9x9 matrices" in r.stderr, r.stderr


class DetModel:
    @staticmethod
    def build():
        import torch
        import torch.nn as nn

        class M(nn.Module):
            def forward(self, a, b):
                return torch.linalg.det(a) * 2.0, torch.det(b @ b.transpose(-1, -2))

        return M().eval()


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_det_torch(exporter, export_cache, tmp_path):
    exp = export_cache.get("det", exporter, DetModel.build, [(4, 3, 3), (2, 5, 5)], opset=18)
    harness.check_conversion(exp, tmp_path)


# --------------------------------------------------------------------------- MaxUnpool

def _pool_indices(x, kernel, strides, pads):
    """MaxPool's values and Indices (flat positions in the whole NCHW input) from onnxruntime."""
    import onnxruntime as ort

    node = helper.make_node("MaxPool", ["x"], ["v", "i"], kernel_shape=kernel, strides=strides, pads=pads)
    graph = helper.make_graph([node], "p", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                              [helper.make_tensor_value_info("v", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("i", TensorProto.INT64, None)])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])
    v, i = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    return v, i.astype(np.int64)


# (kernel, strides, pads, input shape, output_shape or None)
UNPOOL_CASES = {
    "k2s2": ([2, 2], [2, 2], [0, 0, 0, 0], (2, 3, 6, 8), None),
    "k3s2_overlapping": ([3, 3], [2, 2], [0, 0, 0, 0], (1, 2, 7, 7), None),
    "k3s1_overlapping_pads": ([3, 3], [1, 1], [1, 1, 1, 1], (2, 2, 5, 4), None),
    "output_shape": ([2, 2], [2, 2], [0, 0, 0, 0], (2, 2, 5, 7), [2, 2, 5, 7]),  # odd sizes: torch's output_size
    "k2s2_1d": ([2], [2], [0, 0], (2, 3, 8), None),
}


@pytest.mark.parametrize("case", list(UNPOOL_CASES))
def test_max_unpool(case, tmp_path):
    kernel, strides, pads, shape, out_shape = UNPOOL_CASES[case]
    x = _f(*shape, seed=14)
    values, indices = _pool_indices(x, kernel, strides, pads)
    attrs = {"kernel_shape": kernel, "strides": strides, "pads": pads}
    consts = {"2shape": np.array(out_shape, np.int64)} if out_shape else {}
    run_case(tmp_path, f"unpool_{case}", "MaxUnpool", attrs, {"0x": values, "1i": indices}, consts, opset=11)


class SegNetBlock:
    """SegNet/ENet's decoder idiom: MaxPool2d(return_indices=True) ... MaxUnpool2d(indices)."""

    @staticmethod
    def build():
        import torch
        import torch.nn as nn

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.enc = nn.Conv2d(3, 8, 3, padding=1)
                self.pool = nn.MaxPool2d(2, return_indices=True)
                self.mid = nn.Conv2d(8, 8, 3, padding=1)
                self.unpool = nn.MaxUnpool2d(2)
                self.dec = nn.Conv2d(8, 4, 3, padding=1)

            def forward(self, x):
                y, idx = self.pool(torch.relu(self.enc(x)))
                return self.dec(self.unpool(torch.relu(self.mid(y)), idx))

        torch.manual_seed(0)
        return M().eval()


def test_segnet_max_pool_indices_into_max_unpool(export_cache, tmp_path):
    """MaxPool's Indices output (computed from strided taps, no TFLite argmax builtin) feeds
    MaxUnpool's SCATTER_ND: the pair round-trips like onnxruntime. Dynamo only: torch 2.13's
    TorchScript exporter fails inside max_unpool2d's output-size check (a traced tensor meets
    torch._check)."""
    exp = export_cache.get("segnet_block", "dynamo", SegNetBlock.build, [(1, 3, 16, 16)])
    harness.check_conversion(exp, tmp_path)


class LPPoolCNN:
    """torch's nn.LPPool2d inside a CNN: exported as Pow/AveragePool/Sign/Abs/Relu/Mul, not LpPool."""

    @staticmethod
    def build():
        import torch
        import torch.nn as nn

        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.LPPool2d(2, 2), nn.Conv2d(4, 2, 1)).eval()


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_lppool2d_torch(exporter, export_cache, tmp_path):
    exp = export_cache.get("lppool2d", exporter, LPPoolCNN.build, [(1, 3, 8, 8)], opset=18)
    harness.assert_transposes(harness.check_conversion(exp, tmp_path), 2, "the NCHW input and output")
    harness.assert_transposes(harness.check_conversion(exp, tmp_path, nhwc_io=True), 0)
