"""Ops whose output length depends on the data (NonZero, NonMaxSuppression, TopK with a run-time
K, Compress with a run-time condition, Unique of a run-time input): the .tflite carries -1 in
the output's shape_signature and LiteRT sizes it when it runs. Each model is converted once
and several inputs go through the same file, so the output length changes from run to run;
every run is compared with onnxruntime (integers exactly, float32 by the harness rule)."""

from __future__ import annotations

import numpy as np
import onnx
import onnx.helper as oh
import pytest
from onnx import TensorProto as TP
from onnx import numpy_helper

import harness

RNG = np.random.default_rng(11)

_TP = {np.dtype(np.float32): TP.FLOAT, np.dtype(np.int64): TP.INT64, np.dtype(np.int32): TP.INT32,
       np.dtype(np.bool_): TP.BOOL, np.dtype(np.uint8): TP.UINT8, np.dtype(np.int8): TP.INT8}


def model(op, inputs: dict, outputs: int, attrs=None, consts=None, opset=13):
    """One-node model; `inputs` are run-time inputs (name → example array), `consts` initializers."""
    consts = consts or {}
    node = oh.make_node(op, [*inputs, *consts], [f"y{i}" for i in range(outputs)], **(attrs or {}))
    graph = oh.make_graph(
        [node], op, [oh.make_tensor_value_info(k, _TP[v.dtype], v.shape) for k, v in inputs.items()],
        [oh.make_tensor_value_info(f"y{i}", TP.UNDEFINED, None) for i in range(outputs)],
        initializer=[numpy_helper.from_array(v, k) for k, v in consts.items()])
    return onnx.shape_inference.infer_shapes(oh.make_model(graph, opset_imports=[oh.make_opsetid("", opset)]))


def check_runs(m, feeds_list, tmp_path, name, expect_lengths_vary=True, extra=()):
    """Converts once (CLI flags `extra`), runs every feed dict through the same .tflite, compares
    with onnxruntime. Returns the .tflite path."""
    tfl = harness.check_onnx_model(m, feeds_list[0], tmp_path, name, extra=extra)
    path = tmp_path / f"{name}.onnx"
    lengths = set()
    for i, feeds in enumerate(feeds_list):
        ref = harness.run_onnxruntime(path, feeds)
        got = harness.run_litert(tfl, feeds, list(ref)).outputs
        for out, r in ref.items():
            assert got[out].dtype == r.dtype, f"[{name} run {i}] {out}: {got[out].dtype} vs {r.dtype}"
        harness.assert_close(ref, got, context=f"[{name} run {i}] ")
        lengths.add(tuple(r.shape for r in ref.values()))
    if expect_lengths_vary:
        assert len(lengths) > 1, f"[{name}] every run had the same output shapes {lengths}: the test proves nothing"
    return tfl


def with_zeros(shape, frac, rng=RNG, dtype=np.float32):
    x = rng.standard_normal(shape).astype(np.float32)
    x[rng.random(shape) < frac] = 0
    return x.astype(dtype)


def dynamic_output(tfl, index=0):
    info = harness.inspect_json(tfl)
    return info["outputs"][index]["shape"]


# --------------------------------------------------------------------------- NonZero


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_, np.uint8])
def test_nonzero(tmp_path, dtype):
    shape = (3, 4, 5)
    feeds = [{"x": with_zeros(shape, f, dtype=dtype)} for f in (0.3, 0.8, 0.0)]
    if dtype == np.float32:  # -0.0 is zero, NaN is not
        feeds[0]["x"][0, 0, :2] = [-0.0, np.nan]
    tfl = check_runs(model("NonZero", feeds[0], 1), feeds, tmp_path, f"nonzero_{np.dtype(dtype).name}")
    assert "WHERE" in harness.inspect_json(tfl)["ops"]
    assert dynamic_output(tfl) == [3, -1]


def test_nonzero_all_zero_gives_empty(tmp_path):
    feeds = [{"x": with_zeros((6,), 0.5)}, {"x": np.zeros(6, np.float32)}]
    check_runs(model("NonZero", feeds[0], 1), feeds, tmp_path, "nonzero_empty")


# --------------------------------------------------------------------------- TopK, run-time K


@pytest.mark.parametrize("axis,largest", [(-1, 1), (0, 1), (1, 0), (2, 0)])
def test_topk_runtime_k(tmp_path, axis, largest):
    x = RNG.integers(-3, 4, (4, 6, 5)).astype(np.float32)  # many ties: lower index first
    feeds = [{"x": x, "k": np.array([k], np.int64)} for k in (1, 3, x.shape[axis])]
    tfl = check_runs(model("TopK", feeds[0], 2, {"axis": axis, "largest": largest}, opset=11), feeds, tmp_path,
                     f"topk_{axis}_{largest}")
    assert harness.inspect_json(tfl)["outputs"][0]["shape"][axis] == -1


def test_topk_runtime_k_int64_values(tmp_path):
    x = RNG.integers(-2**40, 2**40, (3, 7)).astype(np.int64)
    x[:, 3] = x[:, 1]
    feeds = [{"x": x, "k": np.array([k], np.int64)} for k in (2, 7)]
    check_runs(model("TopK", feeds[0], 2, {}, opset=11), feeds, tmp_path, "topk_int64")


# --------------------------------------------------------------------------- Compress


@pytest.mark.parametrize("attrs,shape,cond_len", [({"axis": 0}, (5, 3), 5), ({"axis": 1}, (2, 6, 2), 4),
                                                  ({"axis": -1}, (3, 4), 4), ({}, (2, 3, 2), 12), ({}, (3, 4), 7)])
def test_compress_runtime_condition(tmp_path, attrs, shape, cond_len):
    x = RNG.standard_normal(shape).astype(np.float32)
    conds = [RNG.random(cond_len) < 0.5, np.ones(cond_len, np.bool_), np.eye(1, cond_len, cond_len - 1, dtype=np.bool_)[0]]
    feeds = [{"x": x, "c": c} for c in conds]
    tfl = check_runs(model("Compress", feeds[0], 1, attrs, opset=11), feeds, tmp_path, "compress")
    assert "WHERE" in harness.inspect_json(tfl)["ops"]


# --------------------------------------------------------------------------- Unique


@pytest.mark.parametrize("sorted_", [1, 0])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int8])  # (onnxruntime has no int32 Unique)
def test_unique_runtime_input_all_outputs(tmp_path, sorted_, dtype):
    shape = (3, 5)
    feeds = [{"x": RNG.integers(-4, 4, shape).astype(dtype)}, {"x": RNG.integers(-50, 50, shape).astype(dtype)},
             {"x": np.full(shape, 7, dtype)}]
    tfl = check_runs(model("Unique", feeds[0], 4, {"sorted": sorted_}, opset=11), feeds, tmp_path,
                     f"unique_{sorted_}_{np.dtype(dtype).name}")
    assert "UNIQUE" in harness.inspect_json(tfl)["ops"]


def test_unique_only_values_and_1d_axis(tmp_path):
    feeds = [{"x": RNG.integers(0, 5, (9,)).astype(np.float32)}, {"x": np.arange(9, 0, -1).astype(np.float32)}]
    check_runs(model("Unique", feeds[0], 1, {}, opset=11), feeds, tmp_path, "unique_values")
    check_runs(model("Unique", feeds[0], 4, {"axis": 0}, opset=11), feeds, tmp_path, "unique_axis0_1d")


@pytest.mark.parametrize("sorted_", [1, 0])
@pytest.mark.parametrize("shape,axis,dtype", [((6, 3), 0, np.float32), ((2, 7), 1, np.int64), ((3, 5, 2), -2, np.float32),
                                              ((4, 2, 3), 0, np.int8)])
def test_unique_slices_runtime_input(tmp_path, sorted_, shape, axis, dtype):
    # Few distinct values per element, so slices repeat; the last run has all slices equal.
    rng = np.random.default_rng(9)
    feeds = [{"x": rng.integers(-1, 2, shape).astype(dtype)}, {"x": rng.integers(-1, 2, shape).astype(dtype)},
             {"x": np.broadcast_to(rng.integers(-3, 3, [d if i != axis % len(shape) else 1 for i, d in enumerate(shape)]),
                                   shape).astype(dtype)}]
    feeds[0]["x"] = np.concatenate([np.take(feeds[0]["x"], [0], axis)] * shape[axis], axis).astype(dtype)  # all equal
    feeds[0]["x"].flat[0] += 1  # but the first
    check_runs(model("Unique", feeds[0], 4, {"axis": axis, "sorted": sorted_}, opset=11), feeds, tmp_path,
               f"unique_slices_{axis}_{sorted_}")


def test_unique_slices_over_the_size_limit_refused(tmp_path):
    path = tmp_path / "m.onnx"
    onnx.save(model("Unique", {"x": np.zeros((300, 200), np.float32)}, 1, {"axis": 0}, opset=11), str(path))
    p = harness.run_cli("convert", path, "-o", tmp_path / "m.tflite")
    assert p.returncode == 1, p.stderr
    assert "onnx.Unique" in p.stderr and "unique slices" in p.stderr and "limit" in p.stderr, p.stderr
    assert not (tmp_path / "m.tflite").exists()


# --------------------------------------------------------------------------- NonMaxSuppression


def random_boxes(b, n, center, rng, grid=None):
    """Boxes clustered so that many overlap; corners in random order (y1 > y2 allowed) or
    [x_c, y_c, w, h]. grid: snap coordinates to multiples of it (exact IoU ties)."""
    c = rng.uniform(0, 10, (b, n, 2))
    size = rng.uniform(0.5, 4, (b, n, 2))
    if grid:
        c, size = np.round(c / grid) * grid, np.maximum(np.round(size / grid), 1) * grid
    if center:
        return np.concatenate([c[..., ::-1], size[..., ::-1]], -1).astype(np.float32)  # x_c, y_c, w, h
    lo, hi = c - size / 2, c + size / 2
    boxes = np.concatenate([lo, hi], -1)
    flip = rng.random((b, n)) < 0.4  # corners given the other way round
    boxes[flip] = boxes[flip][:, [2, 3, 0, 1]]
    return boxes.astype(np.float32)


def nms_model(b, c, n, k=None, iou=None, score=None, center=0, opset=11):
    """k / iou / score: None (absent), a number (constant) or "input" (run-time)."""
    inputs = {"boxes": np.zeros((b, n, 4), np.float32), "scores": np.zeros((b, c, n), np.float32)}
    names = ["boxes", "scores"]
    consts = []
    for name, v, dt in (("max_per_class", k, np.int64), ("iou", iou, np.float32), ("score_thr", score, np.float32)):
        if v is None:
            names.append("")
        elif isinstance(v, str):
            inputs[name] = np.zeros(1, dt)
            names.append(name)
        else:
            consts.append(numpy_helper.from_array(np.array([v], dt), name))
            names.append(name)
    while names and names[-1] == "":
        names.pop()
    node = oh.make_node("NonMaxSuppression", names, ["selected"], center_point_box=center)
    graph = oh.make_graph([node], "nms", [oh.make_tensor_value_info(k_, _TP[v_.dtype], v_.shape)
                                          for k_, v_ in inputs.items()],
                          [oh.make_tensor_value_info("selected", TP.INT64, None)], initializer=consts)
    return oh.make_model(graph, opset_imports=[oh.make_opsetid("", opset)])


def nms_feeds(b, c, n, center, runtime, seeds, grid=None, tie_levels=None):
    out = []
    for s in seeds:
        rng = np.random.default_rng(s)
        scores = rng.random((b, c, n)).astype(np.float32)
        if tie_levels:
            scores = (rng.integers(0, tie_levels, (b, c, n)) / tie_levels).astype(np.float32)
        f = {"boxes": random_boxes(b, n, center, rng, grid), "scores": scores}
        f.update({k: v(rng) for k, v in runtime.items()})
        out.append(f)
    return out


NMS_CASES = {
    # id: (B, C, N, k, iou, score, center, run-time generators, extra)
    "corners_const": (2, 3, 20, 15, 0.5, 0.3, 0, {}, {}),
    "center_const": (2, 2, 16, 12, 0.4, 0.2, 1, {}, {}),
    "no_score_threshold": (1, 2, 12, 20, 0.3, None, 0, {}, {}),
    "k_larger_than_boxes": (1, 1, 10, 100, 0.5, 0.0, 0, {}, {}),
    "score_ties": (2, 2, 24, 50, 0.5, 0.2, 0, {}, {"tie_levels": 4}),
    "iou_ties_on_grid": (1, 2, 24, 50, 0.5, None, 0, {}, {"grid": 1.0, "tie_levels": 3}),
    "iou_zero": (1, 1, 15, 15, 0.0, None, 1, {}, {"grid": 0.5}),
    "iou_one_keeps_all": (1, 2, 10, 6, 1.0, 0.5, 0, {}, {}),
    "runtime_all": (2, 2, 16, "input", "input", "input", 0, {
        "max_per_class": lambda r: np.array([r.integers(0, 8)], np.int64),
        "iou": lambda r: np.array([r.choice([0.0, 0.25, 0.5, 1.0])], np.float32),
        "score_thr": lambda r: np.array([r.uniform(0, 0.6)], np.float32)}, {"grid": 0.5}),
    "runtime_k_center": (1, 3, 12, "input", 0.5, None, 1, {
        "max_per_class": lambda r: np.array([r.integers(-1, 14)], np.int64)}, {}),
}


@pytest.mark.parametrize("case", list(NMS_CASES))
def test_nms_matches_onnxruntime(tmp_path, case):
    b, c, n, k, iou, score, center, runtime, extra = NMS_CASES[case]
    m = nms_model(b, c, n, k, iou, score, center)
    feeds = nms_feeds(b, c, n, center, runtime, range(6), **extra)
    tfl = check_runs(m, feeds, tmp_path, f"nms_{case}", expect_lengths_vary=case != "k_larger_than_boxes")
    info = harness.inspect_json(tfl)
    assert info["outputs"][0]["shape"] == [-1, 3]
    assert "NON_MAX_SUPPRESSION_V4" in info["ops"] or iou == 1.0


def test_nms_many_boxes_float16_storage(tmp_path):
    # 2100 boxes with tied scores under --quantize float16 (float constants of 16+ elements are
    # stored as float16, exact for integers only up to 2048): the order must not move.
    m = nms_model(1, 2, 2100, 2100, 0.5, None, 0)
    feeds = nms_feeds(1, 2, 2100, 0, {}, range(2), tie_levels=40)
    feeds[1]["scores"][:, 1] = 0.0  # class 1: every score tied
    feeds[1]["boxes"][:] = feeds[1]["boxes"][:, :1]  # one box 2100 times: only the best-ranked survives
    tfl = check_runs(m, feeds, tmp_path, "nms_many_f16", extra=("--quantize", "float16"))
    # Equal float16 stand-ins would leave the order among them to V4's heap, which rarely shows
    # in a comparison: check directly that nothing of the lowering was stored as float16.
    assert "DEQUANTIZE" not in harness.inspect_json(tfl)["ops"]


def test_nms_degenerate_and_identical_boxes(tmp_path):
    # Zero-area boxes (a line, a point) suppress nothing and are never suppressed; identical
    # boxes with equal scores keep the lower index; K counts every kind.
    boxes = np.array([[[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1], [0.5, 0.5, 0.5, 0.5], [0, 0, 1, 1],
                       [5, 5, 6, 6], [6, 6, 5, 5], [0, 0, 1, 1]]], np.float32)
    m = nms_model(1, 1, 8, "input", 0.5, None, 0)
    feeds = []
    for s, k in zip(range(4), (8, 3, 1, 5)):
        scores = np.array([[[0.9, 0.9, 0.95, 0.8, 0.9, 0.5, 0.5, 0.1]]], np.float32)
        if s:
            scores = np.random.default_rng(s).permutation(scores.ravel()).reshape(1, 1, 8)
        feeds.append({"boxes": boxes, "scores": scores, "max_per_class": np.array([k], np.int64)})
    check_runs(m, feeds, tmp_path, "nms_degenerate")


def test_nms_center_negative_sizes_and_missing_k(tmp_path):
    # center_point_box=1 with a negative width: onnxruntime lets such a box neither suppress nor be
    # suppressed. Without max_output_boxes_per_class nothing is selected.
    rng = np.random.default_rng(3)
    boxes = random_boxes(1, 10, True, rng)
    boxes[0, ::3, 2] *= -1
    feeds = [{"boxes": boxes, "scores": rng.random((1, 2, 10)).astype(np.float32)}]
    check_runs(nms_model(1, 2, 10, 10, 0.3, None, 1), feeds, tmp_path, "nms_negative_size", expect_lengths_vary=False)
    ref = check_runs(nms_model(1, 2, 10, None, None, None, 1), feeds, tmp_path, "nms_no_k", expect_lengths_vary=False)
    assert ref.exists()


def test_torchvision_style_batched_nms_graph(tmp_path):
    """The pattern detection post-processing exports: NonMaxSuppression, then the selected box
    indices pulled out of its output and used to gather the boxes."""
    b, c, n = 1, 3, 30
    nodes = [
        oh.make_node("NonMaxSuppression", ["boxes", "scores", "k", "iou", "st"], ["sel"]),
        oh.make_node("Gather", ["sel", "two"], ["box_idx"], axis=1),
        oh.make_node("NonZero", ["scores_gt"], ["nz"]),
        oh.make_node("Greater", ["scores", "half"], ["scores_gt"]),
    ]
    consts = [numpy_helper.from_array(np.array([10], np.int64), "k"),
              numpy_helper.from_array(np.array([0.45], np.float32), "iou"),
              numpy_helper.from_array(np.array([0.05], np.float32), "st"),
              numpy_helper.from_array(np.array(2, np.int64), "two"),
              numpy_helper.from_array(np.array(0.5, np.float32), "half")]
    graph = oh.make_graph(nodes, "post", [oh.make_tensor_value_info("boxes", TP.FLOAT, [b, n, 4]),
                                          oh.make_tensor_value_info("scores", TP.FLOAT, [b, c, n])],
                          [oh.make_tensor_value_info(o, TP.INT64, None) for o in ("sel", "box_idx", "nz")],
                          initializer=consts)
    m = oh.make_model(graph, opset_imports=[oh.make_opsetid("", 11)])
    feeds = nms_feeds(b, c, n, 0, {}, range(3))
    # Gather reads NMS's rows, whose number is known only at run time.
    check_runs(m, feeds, tmp_path, "post")


# --------------------------------------------------------------------------- from PyTorch


class _NonZero:  # torch.nonzero: NonZero + Transpose in both exporters
    @staticmethod
    def build():
        import torch

        class M(torch.nn.Module):
            def forward(self, x):
                return torch.nonzero(torch.relu(x))
        return M().eval()


class _BoolMask:  # x[x > 0]: NonZero → Transpose → GatherND (TorchScript) / Index (dynamo)
    @staticmethod
    def build():
        import torch

        class M(torch.nn.Module):
            def forward(self, x):
                return x[x > 0] * 2.0
        return M().eval()


class _TopKComputedK:  # k computed from the data: ReduceSum → (Gather) → Reshape → TopK
    @staticmethod
    def build():
        import torch

        class M(torch.nn.Module):
            def forward(self, x, s):
                return torch.topk(x, (s > 0).sum(), dim=-1)
        return M().eval()


@pytest.mark.parametrize("exporter", harness.EXPORTERS)
@pytest.mark.parametrize("case", ["nonzero", "topk_computed_k", "bool_mask"])
def test_torch_export(tmp_path, exporter, case):
    import torch

    rng = np.random.default_rng(5)
    if case in ("nonzero", "bool_mask"):
        mod, names = (_NonZero if case == "nonzero" else _BoolMask).build(), ["x"]
        feeds = [{"x": rng.standard_normal((3, 5)).astype(np.float32)} for _ in range(3)]
    else:
        mod, names = _TopKComputedK.build(), ["x", "s"]
        feeds = [{"x": rng.standard_normal((2, 6)).astype(np.float32),
                  "s": (np.arange(6) < k).astype(np.float32) - 0.5} for k in (1, 4, 6)]
    path = harness.export_onnx(mod, tuple(torch.from_numpy(v) for v in feeds[0].values()), tmp_path / f"{case}.onnx",
                               exporter, input_names=names)
    check_runs(onnx.load(str(path)), feeds, tmp_path, f"{case}_{exporter}")


@pytest.mark.parametrize("nhwc_io", [False, True])
def test_nonzero_and_topk_after_a_conv_keep_onnx_layout(tmp_path, nhwc_io):
    # The conv runs NHWC inside; NonZero's coordinates and TopK's channel axis must still be
    # ONNX's (NCHW) ones.
    w = numpy_helper.from_array(RNG.standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    nodes = [oh.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]), oh.make_node("Relu", ["c"], ["r"]),
             oh.make_node("NonZero", ["r"], ["nz"]), oh.make_node("TopK", ["r", "k"], ["v", "i"], axis=1)]
    graph = oh.make_graph(nodes, "conv_nz", [oh.make_tensor_value_info("x", TP.FLOAT, [1, 3, 5, 6]),
                                             oh.make_tensor_value_info("k", TP.INT64, [1])],
                          [oh.make_tensor_value_info(o, t, None) for o, t in (("nz", TP.INT64), ("v", TP.FLOAT),
                                                                              ("i", TP.INT64))], initializer=[w])
    m = oh.make_model(graph, opset_imports=[oh.make_opsetid("", 13)])
    feeds = [{"x": RNG.standard_normal((1, 3, 5, 6)).astype(np.float32), "k": np.array([k], np.int64)}
             for k in (1, 3, 4)]
    path = tmp_path / "conv_nz.onnx"
    onnx.save(m, str(path))
    tfl = harness.convert(path, tmp_path / "conv_nz.tflite", nhwc_io=nhwc_io)
    for f in feeds:
        ref = harness.run_onnxruntime(path, f)
        got = harness.run_litert(tfl, f, list(ref), nhwc_io=nhwc_io).outputs
        harness.assert_close(ref, got)
