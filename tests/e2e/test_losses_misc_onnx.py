"""Losses (NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss) and the odd ops beside them,
built as ONNX graphs with onnx.helper (int64 labels, constant parameters, attributes torch
never writes) and as torch models using F.cross_entropy / F.nll_loss exported with both
exporters. Each model is converted, run in LiteRT and compared with onnxruntime: integers
exactly, floats by the float32 rule (max|err| <= 1e-4 * max|ref|).
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import harness

_TYPES = {np.float32: TensorProto.FLOAT, np.int64: TensorProto.INT64, np.int32: TensorProto.INT32,
          np.bool_: TensorProto.BOOL, np.float16: TensorProto.FLOAT16, np.uint8: TensorProto.UINT8,
          np.int8: TensorProto.INT8, np.int16: TensorProto.INT16}
_rng = np.random.default_rng(0)


def _f(*shape, scale=1.0):
    return (_rng.standard_normal(shape) * scale).astype(np.float32)


def _labels(shape, classes, ignore=None, dtype=np.int64):
    """Labels in [0, classes); with `ignore`, about a quarter of them set to it."""
    y = _rng.integers(0, classes, shape)
    if ignore is not None:
        y = np.where(_rng.random(shape) < 0.25, ignore, y)
    return y.astype(dtype)


def _model(op, attrs, feeds, consts, opset, outputs) -> onnx.ModelProto:
    inputs = [helper.make_tensor_value_info(k, _TYPES[v.dtype.type], v.shape) for k, v in feeds.items()]
    outs = [helper.make_tensor_value_info(f"y{i}", TensorProto.UNDEFINED, None) for i in range(outputs)]
    node = helper.make_node(op, [*feeds, *consts], [o.name for o in outs], **attrs)
    graph = helper.make_graph([node], op, inputs, outs,
                              initializer=[numpy_helper.from_array(v, k) for k, v in consts.items()])
    return onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]))


def _run_case(case, spec, tmp_path, tol=harness.FLOAT_TOL):
    op, attrs, feeds, consts, opset, outputs = spec
    path = tmp_path / f"{case}.onnx"
    onnx.save(_model(op, attrs, feeds, consts, opset, outputs), str(path))
    ref = harness.run_onnxruntime(path, feeds)
    tfl = harness.convert(path, tmp_path / f"{case}.tflite")
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    for name, r in ref.items():
        assert got[name].dtype == r.dtype, f"{name}: {got[name].dtype}, onnxruntime {r.dtype}"
    harness.assert_close(ref, got, tol=tol, context=f"[{case}] ")
    return tfl


# id: (op, attrs, run-time inputs, constant inputs, opset, outputs)
NLL = "NegativeLogLikelihoodLoss"
SCE = "SoftmaxCrossEntropyLoss"
LOSS_CASES = {
    "nll_none_2d": (NLL, {"reduction": "none"}, {"x": _f(4, 7), "t": _labels(4, 7)}, {}, 13, 1),
    "nll_mean_default": (NLL, {}, {"x": _f(4, 7), "t": _labels(4, 7)}, {}, 13, 1),
    "nll_sum_int32_labels": (NLL, {"reduction": "sum"}, {"x": _f(4, 7), "t": _labels(4, 7, dtype=np.int32)}, {},
                             13, 1),
    "nll_mean_weight_runtime_4d": (NLL, {}, {"x": _f(2, 5, 3, 4), "t": _labels((2, 3, 4), 5),
                                             "w": np.abs(_f(5)) + 0.1}, {}, 13, 1),
    "nll_mean_weight_const_negative_ii": (NLL, {"ignore_index": -100},
                                          {"x": _f(3, 6, 5), "t": _labels((3, 5), 6, ignore=-100)},
                                          {"w": np.abs(_f(6)) + 0.1}, 13, 1),
    "nll_none_ii_inside_range": (NLL, {"reduction": "none", "ignore_index": 2},
                                 {"x": _f(3, 4, 5), "t": _labels((3, 5), 4, ignore=2)}, {}, 22, 1),
    "nll_sum_ii_out_of_range": (NLL, {"reduction": "sum", "ignore_index": 255},
                                {"x": _f(2, 3, 4, 4), "t": _labels((2, 4, 4), 3, ignore=255)}, {}, 22, 1),
    "sce_mean_2d": (SCE, {}, {"x": _f(5, 10, scale=3), "t": _labels(5, 10)}, {}, 13, 1),
    "sce_none_log_prob_4d": (SCE, {"reduction": "none"}, {"x": _f(2, 5, 3, 4, scale=3), "t": _labels((2, 3, 4), 5)},
                             {}, 13, 2),
    "sce_mean_weight_negative_ii_log_prob": (SCE, {"ignore_index": -1},
                                             {"x": _f(3, 6, 5), "t": _labels((3, 5), 6, ignore=-1)},
                                             {"w": np.abs(_f(6)) + 0.1}, 13, 2),
    "sce_sum_5d_int32": (SCE, {"reduction": "sum"}, {"x": _f(2, 4, 3, 2, 2), "t": _labels((2, 3, 2, 2), 4,
                                                                                          dtype=np.int32)}, {}, 12, 1),
    # Scores far apart: log_softmax is very negative for most classes, the loss large.
    "sce_mean_extreme_scores": (SCE, {}, {"x": _f(4, 6, scale=60), "t": _labels(4, 6)}, {}, 13, 1),
}


@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_loss_matches_onnxruntime(case, tmp_path):
    tfl = _run_case(case, LOSS_CASES[case], tmp_path)
    info = harness.inspect_json(tfl)
    # GATHER with batch_dims picks the label's score: no FlexOps, no one-hot [M, C] product.
    assert not any(k.startswith("FLEX") or k == "CUSTOM" for k in info["ops"]), info["ops"]
    x = LOSS_CASES[case][2]["x"]
    # The class axis is moved last and (log_prob only) back: at most those two transposes.
    assert info["transposes"] <= (0 if x.ndim == 2 else 1 + (LOSS_CASES[case][5] == 2)), harness.op_summary(info)


def test_loss_all_ignored_mean_is_nan_like_onnxruntime(tmp_path):
    """Every label ignored with reduction mean: 0 / 0. onnxruntime gives NaN; so must we."""
    feeds = {"x": _f(3, 4), "t": np.full(3, 1, np.int64)}
    path = tmp_path / "m.onnx"
    onnx.save(_model(NLL, {"ignore_index": 1}, feeds, {}, 13, 1), str(path))
    ref = harness.run_onnxruntime(path, feeds)["y0"]
    got = harness.run_litert(harness.convert(path, tmp_path / "m.tflite"), feeds, ["y0"]).outputs["y0"]
    assert np.isnan(ref) == np.isnan(got), (ref, got)


# --------------------------------------------------------------------------- torch losses


def _torch_loss_model(kind):
    import torch
    import torch.nn.functional as F

    class Seg(torch.nn.Module):
        """A 1x1-conv 'segmentation head' and its per-pixel loss, as people export it to
        evaluate a loss on device."""

        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.head = torch.nn.Conv2d(3, 5, 1)
            self.register_buffer("w", torch.tensor([0.5, 1.0, 2.0, 1.5, 0.25]))

        def forward(self, img, target):
            logits = self.head(img)
            if kind == "cross_entropy":
                return F.cross_entropy(logits, target, weight=self.w, ignore_index=4)
            if kind == "cross_entropy_none":
                return F.cross_entropy(logits, target, reduction="none")
            # On raw scores (log_softmax before it would be fused into SoftmaxCrossEntropyLoss).
            return F.nll_loss(logits, target, reduction="sum", ignore_index=-100)

    return Seg().eval()


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
@pytest.mark.parametrize("kind", ["cross_entropy", "cross_entropy_none", "nll_loss_sum"])
def test_torch_loss_matches_onnxruntime(kind, exporter, tmp_path):
    import torch

    rng = np.random.default_rng(1)
    img = rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
    target = rng.integers(0, 5, (2, 6, 5)).astype(np.int64)
    if kind == "nll_loss_sum":
        target[0, :2] = -100  # torch's default ignore_index
    path = harness.export_onnx(_torch_loss_model(kind), (torch.from_numpy(img), torch.from_numpy(target)),
                               tmp_path / "m.onnx", exporter)
    names = [i.name for i in onnx.load(str(path)).graph.input]
    feeds = dict(zip(names, [img, target]))
    ref = harness.run_onnxruntime(path, feeds)
    tfl = harness.convert(path, tmp_path / "m.tflite")
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    harness.assert_close(ref, got, context=f"[{kind}, {exporter}] ")
    info = harness.inspect_json(tfl)
    assert not any(k.startswith("FLEX") or k == "CUSTOM" for k in info["ops"]), info["ops"]
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    if ops & {NLL, SCE}:  # the loss takes the conv's channels-last scores as they are
        assert info["transposes"] <= 1, f"only the NCHW image input's transpose may stay; {harness.op_summary(info)}"


# --------------------------------------------------------------------------- CumProd


def _near_one(*shape):
    """Factors of magnitude 0.8 .. 1.25 with random signs: long products stay O(1)."""
    return (np.exp(_rng.uniform(-0.22, 0.22, shape)) * _rng.choice([-1, 1], shape)).astype(np.float32)


def _axis(a):
    return {"a": np.array(a, np.int64)}


CUMPROD_CASES = {
    "f32_axis1_len13": ({}, {"x": _near_one(3, 13)}, _axis(1)),
    "f32_reverse": ({"reverse": 1}, {"x": _near_one(3, 13)}, _axis(1)),
    "f32_exclusive": ({"exclusive": 1}, {"x": _near_one(3, 13)}, _axis(-1)),
    "f32_reverse_exclusive_middle_axis": ({"reverse": 1, "exclusive": 1}, {"x": _near_one(2, 9, 4)}, _axis(1)),
    "f32_axis0_len64_with_zeros": ({}, {"x": np.where(_rng.random((64, 3)) < 0.02, 0,
                                                         _near_one(64, 3)).astype(np.float32)}, _axis(0)),
    "f32_len1_exclusive": ({"exclusive": 1}, {"x": _near_one(4, 1)}, _axis(1)),
    "int32_small": ({}, {"x": _rng.integers(-3, 4, (3, 8)).astype(np.int32)}, _axis(1)),
    "int64_beyond_int32": ({"reverse": 1}, {"x": _rng.integers(1, 10, (2, 16)).astype(np.int64)}, _axis(1)),
}


@pytest.mark.parametrize("case", list(CUMPROD_CASES))
def test_cumprod_matches_onnxruntime(case, tmp_path):
    attrs, feeds, consts = CUMPROD_CASES[case]
    tfl = _run_case(f"cumprod_{case}", ("CumProd", attrs, feeds, consts, 26, 1), tmp_path)
    info = harness.inspect_json(tfl)
    length = feeds["x"].shape[int(consts["a"]) % feeds["x"].ndim]
    steps = int(np.ceil(np.log2(length))) if length > 1 else 0
    # The log-step scan: one MUL per doubling, not one per element.
    assert info["ops"].get("MUL", 0) == steps, harness.op_summary(info)


# --------------------------------------------------------------------------- BitCast


# bool → uint8 and 0-d inputs run in the ONNX node tests (onnxruntime has no bool BitCast;
# the harness feeds 0-d arrays as 1-d).
BITCAST_CASES = {
    # -0.0, a denormal, inf and a NaN payload must come through bit for bit.
    "float32_to_int32": (TensorProto.INT32, np.array([[1.5, -0.0, 1e-40], [np.inf, np.nan, -3.25]], np.float32)),
    "int32_to_float32": (TensorProto.FLOAT, np.array([1065353216, -1082130432, 0, 8388608], np.int32)),
    "int8_to_uint8": (TensorProto.UINT8, np.array([-128, -1, 0, 127], np.int8)),
    "uint8_to_int8": (TensorProto.INT8, np.array([[0, 128], [255, 7]], np.uint8)),
    "float16_to_int16": (TensorProto.INT16, np.array([1.0, -2.5, 65504], np.float16)),
}


@pytest.mark.parametrize("case", list(BITCAST_CASES))
def test_bitcast_matches_onnxruntime(case, tmp_path):
    to, x = BITCAST_CASES[case]
    tfl = _run_case(f"bitcast_{case}", ("BitCast", {"to": to}, {"x": x}, {}, 26, 1), tmp_path)
    assert harness.inspect_json(tfl)["ops"] == {"BITCAST": 1}


# --------------------------------------------------------------------------- Compress, Unique


def _cond(v):
    return {"c": np.array(v, np.bool_)}


COMPRESS_CASES = {
    "axis0": ({"axis": 0}, {"x": _f(4, 3)}, _cond([1, 0, 1, 1])),
    "axis_negative_short_condition": ({"axis": -1}, {"x": _f(2, 3, 5)}, _cond([0, 1, 1])),  # rest false
    "no_axis_flattened": ({}, {"x": _f(3, 4)}, _cond([1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1])),
    "int64_data": ({"axis": 1}, {"x": _rng.integers(-2**40, 2**40, (3, 4))}, _cond([1, 0, 0, 1])),
}


@pytest.mark.parametrize("case", list(COMPRESS_CASES))
def test_compress_constant_condition_matches_onnxruntime(case, tmp_path):
    attrs, feeds, consts = COMPRESS_CASES[case]
    tfl = _run_case(f"compress_{case}", ("Compress", attrs, feeds, consts, 11, 1), tmp_path)
    assert "GATHER" in harness.inspect_json(tfl)["ops"]


# A run-time condition (output length known only at run time): tests/e2e/test_dynamic_data_onnx.py.


UNIQUE_CASES = {
    "sorted_flat": ({}, np.array([2, 1, 1, 3, 4, 3, -7], np.float32)),
    "unsorted_flat_int64": ({"sorted": 0}, np.array([[2**40, 1], [1, 3], [2**40 + 1, 3]], np.int64)),
    "sorted_axis0": ({"axis": 0}, np.array([[1, 3], [2, 2], [1, 3], [0, 5]], np.float32)),
    "unsorted_axis_negative": ({"axis": -1, "sorted": 0}, np.array([[[1, 0, 1, 2], [5, 5, 5, 0]],
                                                                    [[7, 7, 7, 1], [0, 0, 0, 3]]], np.float32)),
}


@pytest.mark.parametrize("case", list(UNIQUE_CASES))
def test_unique_of_constant_folds_like_onnxruntime(case, tmp_path):
    """All four outputs of Unique on a constant; Y also feeds an Add with a run-time input so
    the folded value is used inside the graph."""
    attrs, x = UNIQUE_CASES[case]
    probe = tmp_path / "probe.onnx"  # onnxruntime tells Y's shape
    onnx.save(helper.make_model(helper.make_graph(
        [helper.make_node("Unique", ["X"], ["Y"], **attrs)], "u", [],
        [helper.make_tensor_value_info("Y", _TYPES[x.dtype.type], None)], initializer=[numpy_helper.from_array(x, "X")]),
        opset_imports=[helper.make_opsetid("", 11)]), str(probe))
    ref_y = harness.run_onnxruntime(probe, {})["Y"]
    feeds = {"z": _rng.integers(-5, 5, ref_y.shape).astype(x.dtype)}
    graph = helper.make_graph(
        [helper.make_node("Unique", ["X"], ["Y", "first", "inverse", "counts"], **attrs),
         helper.make_node("Add", ["Y", "z"], ["out"])], "unique",
        [helper.make_tensor_value_info("z", _TYPES[x.dtype.type], ref_y.shape)],
        [helper.make_tensor_value_info(n, TensorProto.UNDEFINED, None) for n in ["out", "first", "inverse", "counts"]],
        initializer=[numpy_helper.from_array(x, "X")])
    path = tmp_path / "m.onnx"
    onnx.save(onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])),
              str(path))
    ref = harness.run_onnxruntime(path, feeds)
    got = harness.run_litert(harness.convert(path, tmp_path / "m.tflite"), feeds, list(ref)).outputs
    for name, r in ref.items():
        assert got[name].dtype == r.dtype and np.array_equal(got[name], r), (name, got[name], r)


# Unique of a run-time input (elements or slices): tests/e2e/test_dynamic_data_onnx.py.


# --------------------------------------------------------------------------- random generators
#
# LiteRT's generator is not onnxruntime's, so only shape, dtype and the distribution can be
# compared. Each statistic is checked to 6 standard errors of its estimate over n = 100 000
# draws: a correct lowering fails one check with probability ~2e-9 (normal tail), while each
# check is missed by a plausible wrong one by many standard errors (forgotten mean/scale
# shift ~200 σ, a uniform instead of a normal in the ±1σ mass: 0.577 vs 0.683 ≈ 70 σ,
# logits used as probabilities instead of softmax ≈ 10 σ).

_N = 100_000


def _random_model(tmp_path, op, attrs, inputs=None, opset=21):  # onnxruntime lacks the -22 kernels
    inputs = inputs or {}
    g = helper.make_graph([helper.make_node(op, list(inputs), ["y"], **attrs)], op,
                          [helper.make_tensor_value_info(k, _TYPES[v.dtype.type], v.shape) for k, v in inputs.items()],
                          [helper.make_tensor_value_info("y", TensorProto.UNDEFINED, None)])
    path = tmp_path / f"{op}.onnx"
    onnx.save(onnx.shape_inference.infer_shapes(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])),
              str(path))
    return path


def _draw(path, tmp_path, feeds=None, runs=1):
    """Converts, then draws `runs` times, each in a fresh interpreter; checks shape and dtype
    against onnxruntime's draw."""
    from ai_edge_litert.interpreter import Interpreter

    feeds = feeds or {}
    ref = next(iter(harness.run_onnxruntime(path, feeds).values()))  # the first output
    tfl = harness.convert(path, tmp_path / "m.tflite")
    info = harness.inspect_json(tfl)
    assert not any(k.startswith("FLEX") or k == "CUSTOM" for k in info["ops"]), info["ops"]
    out = []
    for _ in range(runs):
        it = Interpreter(model_path=str(tfl), num_threads=1)
        it.allocate_tensors()
        for d in it.get_input_details():
            it.set_tensor(d["index"], feeds[d["name"]])
        it.invoke()
        y = it.get_tensor(it.get_output_details()[0]["index"]).copy()
        assert y.shape == ref.shape and y.dtype == ref.dtype, (y.shape, y.dtype, ref.shape, ref.dtype)
        out.append(y)
    return out


def _within(value, expected, stderr, what):
    assert abs(value - expected) <= 6 * stderr, f"{what}: {value:.5f}, expected {expected:.5f} ± 6 × {stderr:.2e}"


@pytest.mark.parametrize("seeded", [False, True])
def test_random_normal_distribution(seeded, tmp_path):
    mean, scale = 2.0, 3.0
    attrs = dict(shape=[400, _N // 400], mean=mean, scale=scale, **({"seed": 7.0} if seeded else {}))
    (y,) = _draw(_random_model(tmp_path, "RandomNormal", attrs), tmp_path)
    y = y.astype(np.float64).ravel()
    _within(y.mean(), mean, scale / np.sqrt(_N), "mean")
    _within(y.std(), scale, scale / np.sqrt(2 * _N), "std")
    inside = np.mean(np.abs(y - mean) < scale)  # P(|z| < 1) of a normal
    _within(inside, 0.682689, np.sqrt(0.682689 * 0.317311 / _N), "mass within one sigma")


def test_random_normal_like_float16_distribution(tmp_path):
    x = np.zeros((250, _N // 250), np.float16)  # no dtype: the output takes the input's (float16)
    (y,) = _draw(_random_model(tmp_path, "RandomNormalLike", {}, {"x": x}), tmp_path,
                 {"x": x})
    y = y.astype(np.float64).ravel()
    _within(y.mean(), 0.0, 1 / np.sqrt(_N), "mean")
    _within(y.std(), 1.0, 1 / np.sqrt(2 * _N) + 1e-3, "std")  # + float16 rounding of each draw


def test_random_uniform_distribution(tmp_path):
    low, high = -2.0, 5.0
    (y,) = _draw(_random_model(tmp_path, "RandomUniform", dict(shape=[_N], low=low, high=high)), tmp_path)
    y = y.astype(np.float64)
    assert y.min() >= low and y.max() <= high, (y.min(), y.max())
    width = high - low
    _within(y.mean(), (low + high) / 2, width / np.sqrt(12 * _N), "mean")
    for q in (0.1, 0.25, 0.9):  # the CDF is linear
        _within(np.mean(y < low + q * width), q, np.sqrt(q * (1 - q) / _N), f"P(y < {q} quantile)")


@pytest.mark.parametrize("dtype", [TensorProto.INT32, TensorProto.INT64])
def test_multinomial_frequencies(dtype, tmp_path):
    logits = np.array([[0, 1, 2, 3], [1, 1, 1, 1], [-30, 0, 0, -30]], np.float32)  # unnormalised log-probs
    samples = 20_000
    (y,) = _draw(_random_model(tmp_path, "Multinomial", dict(sample_size=samples, dtype=dtype), {"l": logits}, 7),
                 tmp_path, {"l": logits})
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    for b in range(len(logits)):
        freq = np.bincount(y[b], minlength=4) / samples
        assert freq.size == 4, freq  # no class index out of range
        for c in range(4):
            _within(freq[c], p[b, c], np.sqrt(p[b, c] * (1 - p[b, c]) / samples) + 1e-12, f"row {b} class {c}")


def test_random_seed_gives_the_same_stream_in_every_interpreter(tmp_path):
    """ONNX 'seed' set: reproducible across interpreters (also seed 0.0, which TFLite alone
    would read as 'unseeded'); different seeds and no seed give different draws."""
    draws = {}
    for name, attrs in {"s7": {"seed": 7.0}, "s0": {"seed": 0.0}, "s8": {"seed": 8.0}, "none": {}}.items():
        d = tmp_path / name
        d.mkdir()
        draws[name] = _draw(_random_model(d, "RandomUniform", dict(shape=[1000], **attrs)), d, runs=2)
    for name in ("s7", "s0", "s8"):
        assert np.array_equal(*draws[name]), f"seed {name}: two interpreters drew differently"
    assert not np.array_equal(draws["s7"][0], draws["s8"][0])
    assert not np.array_equal(*draws["none"]), "unseeded draws repeated across interpreters"


# --------------------------------------------------------------------------- folding


FOLD_CASES = {
    # op, attrs, constant inputs (all of the node's inputs), opset
    "cumprod_reverse_exclusive": ("CumProd", {"reverse": 1, "exclusive": 1},
                                  {"x": _near_one(3, 6), "a": np.array(1, np.int64)}, 26),
    "cumprod_int64_wraps": ("CumProd", {}, {"x": np.full((1, 5), 2**20, np.int64), "a": np.array(-1, np.int64)}, 26),
    "compress_axis1": ("Compress", {"axis": 1}, {"x": _f(2, 5), "c": np.array([0, 1, 1, 0, 1], np.bool_)}, 11),
    "bitcast_float32_to_int32": ("BitCast", {"to": TensorProto.INT32}, {"x": _f(2, 3)}, 26),
}


@pytest.mark.parametrize("case", list(FOLD_CASES))
def test_folded_on_constant_inputs_matches_onnxruntime(case, tmp_path):
    """The op's inputs are initializers: the converter folds it; its result then meets a
    run-time input in an Add so the folded constant is used by the graph."""
    op, attrs, consts, opset = FOLD_CASES[case]
    probe = tmp_path / "probe.onnx"  # onnxruntime tells the result's shape and type
    onnx.save(onnx.shape_inference.infer_shapes(helper.make_model(helper.make_graph(
        [helper.make_node(op, list(consts), ["r"], **attrs)], "p", [],
        [helper.make_tensor_value_info("r", TensorProto.UNDEFINED, None)],
        initializer=[numpy_helper.from_array(v, k) for k, v in consts.items()]),
        opset_imports=[helper.make_opsetid("", opset)])), str(probe))
    r = harness.run_onnxruntime(probe, {})["r"]
    feeds = {"z": np.ones(r.shape, np.dtype(r.dtype.str))}  # onnxruntime says longlong, LiteRT wants int64
    graph = helper.make_graph(
        [helper.make_node(op, list(consts), ["r"], **attrs), helper.make_node("Add", ["r", "z"], ["y"])], case,
        [helper.make_tensor_value_info("z", helper.np_dtype_to_tensor_dtype(r.dtype), r.shape)],
        [helper.make_tensor_value_info("y", helper.np_dtype_to_tensor_dtype(r.dtype), r.shape)],
        initializer=[numpy_helper.from_array(v, k) for k, v in consts.items()])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), str(path))
    ref = harness.run_onnxruntime(path, feeds)
    tfl = harness.convert(path, tmp_path / "m.tflite")
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    harness.assert_close(ref, got, context=f"[{case}] ")
    assert harness.inspect_json(tfl)["ops"] == {"ADD": 1}, "the op should have been folded"


# torch noise layers (torch.rand under the dynamo exporter becomes RandomUniformLike).
TORCH_NOISE = [("randn_like", "torchscript"), ("randn_like", "dynamo"), ("randn", "torchscript"),
               ("randn", "dynamo"), ("rand", "torchscript"), ("rand", "dynamo")]


@pytest.mark.parametrize("kind,exporter", TORCH_NOISE)
def test_torch_noise_distribution(kind, exporter, tmp_path):
    import torch

    shape = (100, _N // 100)

    class Noise(torch.nn.Module):
        def forward(self, x):
            if kind == "randn_like":
                return x + 0.5 * torch.randn_like(x)
            if kind == "randn":
                return x + torch.randn(*shape)
            return x * torch.rand(*shape)

    x = np.random.default_rng(2).uniform(1, 2, shape).astype(np.float32)
    path = harness.export_onnx(Noise().eval(), (torch.from_numpy(x),), tmp_path / "m.onnx", exporter)
    feeds = {onnx.load(str(path)).graph.input[0].name: x}
    (y,) = _draw(path, tmp_path, feeds)
    y = y.astype(np.float64)
    if kind == "rand":
        u = (y / x).ravel()  # uniform [0, 1)
        assert u.min() >= 0 and u.max() <= 1
        _within(u.mean(), 0.5, 1 / np.sqrt(12 * _N), "mean")
        _within(np.mean(u < 0.25), 0.25, np.sqrt(0.25 * 0.75 / _N), "P(u < 0.25)")
        return
    z = ((y - x) / (0.5 if kind == "randn_like" else 1.0)).ravel()  # standard normal
    _within(z.mean(), 0.0, 1 / np.sqrt(_N), "mean")
    _within(z.std(), 1.0, 1 / np.sqrt(2 * _N), "std")
    _within(np.mean(np.abs(z) < 1), 0.682689, np.sqrt(0.682689 * 0.317311 / _N), "mass within one sigma")

@pytest.mark.parametrize("dtype", [None, TensorProto.INT32, TensorProto.BOOL])
def test_bernoulli_frequencies(dtype, tmp_path):
    """p = 0 gives exactly 0 and p = 1 exactly 1; elsewhere the frequency of 1s matches p to
    6 standard errors over 20 000 draws (p(1−p)/n), which a flipped comparison (1 − p) or a
    threshold at 0.5 misses by ≥ 50 of them."""
    block = 20_000
    ps = [0.0, 0.1, 0.5, 0.9, 1.0]
    p = np.repeat(np.array(ps, np.float32), block)
    attrs = {} if dtype is None else {"dtype": dtype}
    (y,) = _draw(_random_model(tmp_path, "Bernoulli", attrs, {"p": p}), tmp_path, {"p": p})
    y = y.astype(np.float64).reshape(len(ps), block)
    assert set(np.unique(y)) <= {0.0, 1.0}
    assert np.all(y[0] == 0) and np.all(y[-1] == 1)
    for i, q in enumerate(ps[1:-1], 1):
        _within(y[i].mean(), q, np.sqrt(q * (1 - q) / block), f"frequency at p={q}")


def test_bernoulli_seeded_is_reproducible(tmp_path):
    p = np.full(1000, 0.5, np.float32)
    a, b = _draw(_random_model(tmp_path, "Bernoulli", {"seed": 0.0}, {"p": p}), tmp_path, {"p": p}, runs=2)
    assert np.array_equal(a, b)


def test_random_uniform_like_distribution(tmp_path):
    x = np.zeros((4, _N // 4), np.float32)
    (y,) = _draw(_random_model(tmp_path, "RandomUniformLike", dict(low=1.0, high=3.0), {"x": x}), tmp_path, {"x": x})
    y = y.astype(np.float64).ravel()
    assert y.min() >= 1 and y.max() <= 3
    _within(y.mean(), 2.0, 2 / np.sqrt(12 * _N), "mean")
    _within(np.mean(y < 1.5), 0.25, np.sqrt(0.25 * 0.75 / _N), "P(y < 1.5)")
