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
# beyond int32 (must not wrap into range): ONNX gives those all-off rows. depth is constant in
# most cases (a run-time depth makes the output extent run-time too: last case).
_IDX = _i64([[0, -1, 4, 2], [5, -5, -6, 3], [1 << 33, -(1 << 33), (1 << 32) + 1, -2]])

# id: (op, attrs, run-time inputs, constant inputs, opset, outputs[, node inputs]); the values
# [off, on] are a graph input.
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


def test_onehot_runtime_depth_and_values(tmp_path):
    """depth computed at run time too (the new axis is sized at run time): the int64 indices
    are clamped to the run-time [-depth-1, depth] before ONE_HOT narrows them."""
    feeds = {"i": _IDX, "d": _i64(5), "v": np.array([-1, 2.5], np.float32)}
    _check("onehot_runtime_depth", ("OneHot", {"axis": 1}, feeds, {}, 11, 1), tmp_path)


# --------------------------------------------------------------------------- Dropout
#
# Inference Dropout (training_mode absent or false, or ratio 0) is the identity whatever the
# ratio: compared with onnxruntime exactly. Training Dropout with ratio r > 0 draws: LiteRT's
# generator is not onnxruntime's, so the draw is judged by its statistics over n = 100 000
# elements: the kept fraction within 6 standard errors of 1 - r (a correct lowering fails
# with probability ~2e-9; keeping with probability r instead of 1 - r misses by > 100 σ), and
# every element exactly x · 1/(1 - r) where kept, 0 where dropped, the mask agreeing.

_N = 100_000


def _dropout_model(path, *, training=None, ratio=None, runtime=(), mask=True, seed=None, opset=13):
    """Dropout(x, ratio, training_mode); `runtime` names the parameters fed as inputs ("r", "t"),
    the others are initializers (None: absent)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [_N])
    ins, inits = [x], []
    names = ["x", "", ""]
    for i, (name, value, vtype) in enumerate([("r", ratio, TensorProto.FLOAT), ("t", training, TensorProto.BOOL)], 1):
        if name in runtime:
            ins.append(helper.make_tensor_value_info(name, vtype, []))
            names[i] = name
        elif value is not None:
            inits.append(numpy_helper.from_array(np.array(value, np.float32 if name == "r" else np.bool_), name))
            names[i] = name
    while names and names[-1] == "":
        names.pop()
    outs = ["y", "m"] if mask else ["y"]
    node = helper.make_node("Dropout", names, outs, **({"seed": seed} if seed is not None else {}))
    graph = helper.make_graph([node], "dropout", ins,
                              [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None) for o in outs],
                              initializer=inits)
    onnx.save(onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])),
              str(path))
    return path


def _x():
    return _rng.uniform(0.5, 2.0, _N).astype(np.float32) * np.where(_rng.random(_N) < 0.5, -1, 1).astype(np.float32)


def _run(tfl, feeds):
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(tfl), num_threads=1)
    it.allocate_tensors()
    for d in it.get_input_details():
        it.set_tensor(d["index"], feeds[d["name"]])
    it.invoke()
    return {d["name"]: it.get_tensor(d["index"]).copy() for d in it.get_output_details()}


def _check_drawn(x, y, m, ratio):
    assert y.shape == x.shape and y.dtype == np.float32
    kept = y != 0 if m is None else m
    if m is not None:
        assert m.dtype == np.bool_ and m.shape == x.shape
    p = 1 - ratio
    frac = float(np.mean(kept))
    assert abs(frac - p) <= 6 * np.sqrt(p * (1 - p) / x.size), f"kept {frac:.5f}, expected {p} (ratio {ratio})"
    scale = np.float32(1) / (np.float32(1) - np.float32(ratio))
    np.testing.assert_allclose(y[kept], x[kept] * scale, rtol=2e-7, atol=0)
    assert np.all(y[~kept] == 0)


def test_dropout_training_constant_ratio_draws(tmp_path):
    """training_mode and ratio constants (torch's export in training mode), mask returned."""
    path = _dropout_model(tmp_path / "d.onnx", training=True, ratio=0.3)
    x = _x()
    ref = harness.run_onnxruntime(path, {"x": x})  # a draw too: only shapes and dtypes compare
    tfl = harness.convert(path, tmp_path / "d.tflite")
    assert harness.inspect_json(tfl)["ops"].get("RANDOM_UNIFORM") == 1
    got = _run(tfl, {"x": x})
    assert {k: (v.shape, v.dtype) for k, v in got.items()} == {k: (v.shape, v.dtype) for k, v in ref.items()}
    _check_drawn(x, got["y"], got["m"], 0.3)
    again = _run(tfl, {"x": x})  # no seed: a fresh stream per interpreter
    assert not np.array_equal(again["m"], got["m"])


def test_dropout_training_without_mask_output_still_drops(tmp_path):
    """Only y read: the node must not be dropped as an inference Dropout would be."""
    path = _dropout_model(tmp_path / "d.onnx", training=True, ratio=0.6, mask=False)
    x = _x()
    got = _run(harness.convert(path, tmp_path / "d.tflite"), {"x": x})
    _check_drawn(x, got["y"], None, 0.6)


def test_dropout_runtime_ratio_and_training_mode(tmp_path):
    """ratio and training_mode fed at run time (as ONNX's node tests do): one .tflite drops at
    random when training_mode is true and ratio > 0, and is the identity with an all-true mask
    otherwise (then compared with onnxruntime exactly)."""
    path = _dropout_model(tmp_path / "d.onnx", runtime=("r", "t"))
    tfl = harness.convert(path, tmp_path / "d.tflite")
    x = _x()
    for r in (0.2, 0.75):
        got = _run(tfl, {"x": x, "r": np.array(r, np.float32), "t": np.array(True)})
        _check_drawn(x, got["y"], got["m"], r)
    for r, t in ((0.75, False), (0.0, True), (0.0, False)):
        feeds = {"x": x, "r": np.array(r, np.float32), "t": np.array(t)}
        ref = harness.run_onnxruntime(path, feeds)
        got = _run(tfl, feeds)
        for k in ref:
            assert got[k].dtype == ref[k].dtype, (k, got[k].dtype, ref[k].dtype)
            np.testing.assert_array_equal(got[k], ref[k], err_msg=f"{k} with ratio {r}, training_mode {t}")


@pytest.mark.parametrize("mask", [False, True])
def test_dropout_inference_with_runtime_ratio_is_identity(mask, tmp_path):
    """No training_mode: the identity whatever the (run-time) ratio."""
    path = _dropout_model(tmp_path / "d.onnx", runtime=("r",), mask=mask)
    feeds = {"x": _x(), "r": np.array(0.9, np.float32)}
    ref = harness.run_onnxruntime(path, feeds)
    got = _run(harness.convert(path, tmp_path / "d.tflite"), feeds)
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k], err_msg=k)


def test_dropout_training_float16(tmp_path):
    """float16 x and ratio: drawn and scaled in float32 between CASTs; kept elements equal
    x / (1 - r) to float16 rounding (half an ulp: rtol 2^-11)."""
    r = 0.4
    g = helper.make_graph([helper.make_node("Dropout", ["x", "r", "t"], ["y", "m"])], "d16",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT16, [_N])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT16, None),
                           helper.make_tensor_value_info("m", TensorProto.BOOL, None)],
                          initializer=[numpy_helper.from_array(np.array(r, np.float16), "r"),
                                       numpy_helper.from_array(np.array(True), "t")])
    path = tmp_path / "d16.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    x = _x().astype(np.float16)
    ref = harness.run_onnxruntime(path, {"x": x})
    got = _run(harness.convert(path, tmp_path / "d16.tflite"), {"x": x})
    assert {k: (v.shape, v.dtype) for k, v in got.items()} == {k: (v.shape, v.dtype) for k, v in ref.items()}
    m, y = got["m"], got["y"]
    p = 1 - float(np.float16(r))
    assert abs(m.mean() - p) <= 6 * np.sqrt(p * (1 - p) / _N), m.mean()
    np.testing.assert_allclose(y[m].astype(np.float32), x[m].astype(np.float32) / p, rtol=2.0 ** -11)
    assert np.all(y[~m] == 0)


def test_dropout_seed_gives_the_same_draw_in_every_interpreter(tmp_path):
    draws = {}
    for seed in (5, 6):
        path = _dropout_model(tmp_path / f"d{seed}.onnx", training=True, ratio=0.5, seed=seed)
        tfl = harness.convert(path, tmp_path / f"d{seed}.tflite")
        x = _x()
        a, b = _run(tfl, {"x": x}), _run(tfl, {"x": x})
        np.testing.assert_array_equal(a["m"], b["m"])
        _check_drawn(x, a["y"], a["m"], 0.5)
        draws[seed] = a["m"]
    assert not np.array_equal(draws[5], draws[6])


def test_dropout_training_ratio_one_is_invalid(tmp_path):
    """ONNX and onnxruntime require ratio in [0, 1) (onnxruntime fails the run otherwise)."""
    path = _dropout_model(tmp_path / "d.onnx", training=True, ratio=1.0)
    p = harness.run_cli("convert", path, "-o", tmp_path / "d.tflite")
    assert p.returncode != 0 and "ratio" in p.stderr and "[0, 1)" in p.stderr, p.stderr


# --------------------------------------------------------------------------- BatchNormalization, training mode
#
# training_mode = 1 (opset 14+): y uses the batch's own mean and biased variance over every
# axis but the channels; running_mean/var = input·momentum + current·(1 − momentum).

def _bn_training(x_shape, *, momentum=None, opset=15, outputs=("y", "rm", "rv"), runtime_stats=False,
                 identity_affine=False, conv=False):
    c = x_shape[1]
    params = {"s": np.ones(c, np.float32) if identity_affine else _rng.uniform(0.5, 2, c).astype(np.float32),
              "b": np.zeros(c, np.float32) if identity_affine else _f(c),
              "m": _f(c), "v": _rng.uniform(0.5, 2, c).astype(np.float32)}
    feeds = {"x": _f(*x_shape) * 3 + 1}
    consts = dict(params)
    if runtime_stats:
        feeds.update(params)
        consts = {}
    nodes, bn_in = [], "x"
    if conv:  # a Conv before it: fold_batch_norm must not fold a training-mode BatchNorm
        consts["w"] = _f(c, c, 3, 3)
        nodes.append(helper.make_node("Conv", ["x", "w"], ["cx"], pads=[1, 1, 1, 1]))
        bn_in = "cx"
    attrs = {"training_mode": 1, **({"momentum": momentum} if momentum is not None else {})}
    # ONNX requires all three outputs in training mode; `outputs` are the ones the graph returns
    nodes.append(helper.make_node("BatchNormalization", [bn_in, "s", "b", "m", "v"], ["y", "rm", "rv"], **attrs))
    graph = helper.make_graph(nodes, "bn_train",
                              [helper.make_tensor_value_info(k, TensorProto.FLOAT, v.shape) for k, v in feeds.items()],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
                              initializer=[numpy_helper.from_array(v, k) for k, v in consts.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), feeds


BN_CASES = {
    "nchw_momentum_all_outputs": dict(x_shape=(4, 3, 5, 6), momentum=0.8),
    "opset14_default_momentum": dict(x_shape=(2, 4, 7), opset=14),
    "2d_runtime_statistics": dict(x_shape=(16, 5), runtime_stats=True, momentum=0.3),
    "5d_identity_affine": dict(x_shape=(2, 3, 3, 4, 5), identity_affine=True),
    "only_y_after_conv": dict(x_shape=(2, 4, 6, 6), outputs=("y",), conv=True),
    "running_var_only": dict(x_shape=(3, 2, 4, 4), outputs=("y", "rv"), momentum=0.5),
}


@pytest.mark.parametrize("case", list(BN_CASES))
def test_batchnorm_training_mode(case, tmp_path):
    kw = dict(BN_CASES[case])
    outputs = kw.pop("outputs", ("y", "rm", "rv"))
    model, feeds = _bn_training(**kw, outputs=outputs)
    harness.check_onnx_model(model, feeds, tmp_path, case)


def test_batchnorm_training_mode_keeps_the_layout_free_of_transposes(tmp_path):
    """Conv → BatchNorm (training) → Relu with --nhwc-io: the batch moments reduce over the
    remapped axes, no transpose is left."""
    model, feeds = _bn_training((2, 4, 6, 6), outputs=("y",), conv=True)
    relu = helper.make_node("Relu", ["y"], ["z"])
    model.graph.node.append(relu)
    del model.graph.output[:]
    model.graph.output.append(helper.make_tensor_value_info("z", TensorProto.FLOAT, None))
    path = tmp_path / "bn_nhwc.onnx"
    onnx.save(model, str(path))
    ref = harness.run_onnxruntime(path, feeds)
    tfl = harness.convert(path, tmp_path / "bn_nhwc.tflite", nhwc_io=True)
    assert harness.inspect_json(tfl)["transposes"] == 0
    got = harness.run_litert(tfl, feeds, list(ref), nhwc_io=True).outputs
    harness.assert_close(ref, got)


def test_batchnorm_opset9_statistics_outputs_are_refused_with_the_reason(tmp_path):
    """Before opset 14, training is spelled by reading the mean/var outputs: refused, naming
    what to do."""
    model, feeds = _bn_training((2, 3, 4), outputs=("y", "rm", "rv"))
    for n in model.graph.node:
        del n.attribute[:]
    model.opset_import[0].version = 9
    path = tmp_path / "bn9.onnx"
    onnx.save(model, str(path))
    p = harness.run_cli("convert", path, "-o", tmp_path / "bn9.tflite")
    assert p.returncode != 0 and "opset 14" in p.stderr and "eval()" in p.stderr, p.stderr


# --------------------------------------------------------------------------- Scan-8 (batched)
#
# Scan at opset 8: states [B, ...] and scan inputs [B, T, ...], scanned along axis 1 per batch
# element (`directions` per scan input), scan outputs [B, T, ...]; sequence_lens absent or
# all full (shorter ones would stop each element at a different step: refused).

def _scan8_model(lens=None, runtime_lens=False, directions=(0, 1)):
    F = TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    # s += x_t * y_t ; outputs: s and x_t - y_t (two scan inputs, the second maybe reversed)
    body = helper.make_graph(
        [helper.make_node("Mul", ["xt", "yt"], ["p"]), helper.make_node("Add", ["s_in", "p"], ["s_out"]),
         helper.make_node("Sub", ["xt", "yt"], ["d"]), helper.make_node("Relu", ["s_out"], ["r"])],
        "body", [vi("s_in", F, [3]), vi("xt", F, [3]), vi("yt", F, [3])],
        [vi("s_out", F, [3]), vi("d", F, [3]), vi("r", F, [3])])
    ins = [vi("s0", F, [2, 3]), vi("x", F, [2, 4, 3]), vi("y", F, [2, 4, 3])]
    inits = []
    if runtime_lens:
        ins.append(vi("lens", TensorProto.INT64, [2]))
    elif lens is not None:
        inits.append(numpy_helper.from_array(np.array(lens, np.int64), "lens"))
    lens_name = "lens" if runtime_lens or lens is not None else ""
    node = helper.make_node("Scan", [lens_name, "s0", "x", "y"], ["s", "d", "r"], body=body, num_scan_inputs=2,
                            directions=list(directions))
    graph = helper.make_graph([node], "scan8", ins, [vi(o, F, None) for o in ("s", "d", "r")], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 8)])


@pytest.mark.parametrize("lens,directions", [(None, (0, 1)), ([4, 4], (1, 0)), (None, (0, 0))])
def test_scan8_batched(lens, directions, tmp_path):
    feeds = {"s0": _f(2, 3), "x": _f(2, 4, 3), "y": _f(2, 4, 3)}
    harness.check_onnx_model(_scan8_model(lens, directions=directions), feeds, tmp_path,
                             f"scan8_{lens is not None}_{directions[0]}{directions[1]}")


@pytest.mark.parametrize("runtime", [False, True])
def test_scan8_short_or_runtime_sequence_lens_is_refused(runtime, tmp_path):
    path = tmp_path / "scan8.onnx"
    onnx.save(_scan8_model(lens=None if runtime else [4, 2], runtime_lens=runtime), str(path))
    p = harness.run_cli("convert", path, "-o", tmp_path / "scan8.tflite")
    assert p.returncode != 0 and "sequence_lens" in p.stderr and "opset 9" in p.stderr, p.stderr
    assert ("run time" in p.stderr) == runtime, p.stderr


# --------------------------------------------------------------------------- opsets 1-6
#
# Models importing a default-domain opset below 7 are accepted op by op: an op whose opset-7
# definition dates from an older opset v (Not-1, Transpose-1, Reshape-5, Relu-6) is the same
# op from v on; older definitions (Relu-1, Add-6 with legacy broadcast, Dropout-6 with is_test,
# BatchNormalization-6) are refused, naming the op and what to do.

def _old_model(nodes, inputs, outputs, opset, inits=()):
    graph = helper.make_graph(nodes, "old", inputs, outputs, initializer=list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=3)


def test_not_at_opset_1(tmp_path):
    x = _rng.random((3, 4, 5)) < 0.5
    m = _old_model([helper.make_node("Not", ["x"], ["y"])], [helper.make_tensor_value_info("x", TensorProto.BOOL, x.shape)],
                   [helper.make_tensor_value_info("y", TensorProto.BOOL, x.shape)], 1)
    harness.check_onnx_model(m, {"x": x}, tmp_path, "not1")


def test_unchanged_ops_at_opset_6(tmp_path):
    """Relu-6, Transpose-1, Reshape-5, Softmax-1 (2-D coercion at axis 1), Concat-4."""
    x = _f(2, 3, 4)
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Transpose", ["r"], ["t"], perm=[0, 2, 1]),
             helper.make_node("Reshape", ["t", "shape"], ["f"]), helper.make_node("Softmax", ["f"], ["s"], axis=1),
             helper.make_node("Concat", ["s", "f"], ["y"], axis=0)]
    m = _old_model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], 6,
                   [numpy_helper.from_array(_i64([2, 12]), "shape")])
    harness.check_onnx_model(m, {"x": x}, tmp_path, "opset6")


def _refusal(model, tmp_path):
    path = tmp_path / "old.onnx"
    onnx.save(model, str(path))
    p = harness.run_cli("convert", path, "-o", tmp_path / "old.tflite")
    assert p.returncode != 0 and not (tmp_path / "old.tflite").exists(), p.stderr
    return p.stderr


def test_changed_ops_below_opset_7_are_refused_with_the_reason(tmp_path):
    F = TensorProto.FLOAT
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], broadcast=1, axis=1),  # legacy broadcast
             helper.make_node("Dropout", ["a"], ["d"], ratio=0.5),  # Dropout-6: is_test=0 drops
             helper.make_node("Not", ["m"], ["n"])]
    m = _old_model(nodes, [helper.make_tensor_value_info("x", F, [2, 3, 4]), helper.make_tensor_value_info("b", F, [3]),
                           helper.make_tensor_value_info("m", TensorProto.BOOL, [2])],
                   [helper.make_tensor_value_info("d", F, None), helper.make_tensor_value_info("n", TensorProto.BOOL, None)],
                   6)
    err = _refusal(m, tmp_path)
    for op in ("Add", "Dropout"):
        assert f"onnx.{op} (opset 6) [pt2tflite implements {op} as ONNX defines it from opset 7 on" in err, err
    assert "onnx.Not" not in err and "onnx.version_converter" in err, err


def test_relu_1_is_refused_but_accepted_from_opset_6(tmp_path):
    F = TensorProto.FLOAT
    m = _old_model([helper.make_node("Relu", ["x"], ["y"])], [helper.make_tensor_value_info("x", F, [4])],
                   [helper.make_tensor_value_info("y", F, None)], 5)
    assert "Relu as ONNX defines it from opset 6 on" in _refusal(m, tmp_path)


def test_min_opset_table_matches_onnx_schemas():
    """src/lower/min_opset.cc: for every op the converter lowers, the opset its opset-7
    definition dates from, when older than 7 (onnx.defs is the source)."""
    import re

    import onnx.defs

    text = (harness.REPO_ROOT / "src" / "lower" / "min_opset.cc").read_text()
    table = {op: int(v) for v, body in re.findall(r"\{(\d+), \{([^}]*)\}\}", text) for op in re.findall(r'"(\w+)"', body)}
    ops = harness.run_cli("ops").stdout.split()
    expected = {}
    for op in ops:
        try:
            since = onnx.defs.get_schema(op, 7, "").since_version
        except onnx.defs.SchemaError:
            continue  # introduced after opset 7
        if since < 7:
            expected[op] = since
    expected.pop("Constant", None)  # read by the importer at any opset
    assert table == expected


# --------------------------------------------------------------------------- from torch, training mode


@pytest.mark.parametrize("with_dropout", [False, True])
def test_torch_training_export(with_dropout, tmp_path):
    """torch.onnx.export(..., training=TrainingMode.TRAINING): Conv → BatchNorm2d (training_mode=1,
    batch statistics) → ReLU [→ Dropout(0.3), training_mode true]. Without Dropout compared with
    onnxruntime by the float32 rule; with it, every kept element equals the no-dropout result
    / (1 − p) and the kept fraction of the non-zero ones is 1 − p to 6 standard errors."""
    import torch

    p = 0.3

    class Net(torch.nn.Module):
        def __init__(self, dropout):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
            self.bn = torch.nn.BatchNorm2d(4)
            self.drop = torch.nn.Dropout(p) if dropout else torch.nn.Identity()

        def forward(self, x):
            return self.drop(torch.relu(self.bn(self.conv(x))))

    torch.manual_seed(0)
    x = torch.from_numpy(_f(8, 3, 32, 32))
    base = Net(False).train()
    nets = {False: base}
    if with_dropout:  # the same weights, Dropout added
        nets[True] = Net(True).train()
        nets[True].load_state_dict(base.state_dict())
    paths = {d: tmp_path / f"net_{d}.onnx" for d in nets}
    for d, net in nets.items():
        harness.export_onnx(net, (x,), paths[d], "torchscript", input_names=["x"], output_names=["y"],
                            training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)
    feeds = {"x": x.numpy()}
    if not with_dropout:
        tfl = harness.convert(paths[False], tmp_path / "net.tflite")
        ops = harness.inspect_json(tfl)["ops"]
        assert ops.get("MEAN") == 2, ops  # batch mean and variance, not folded into the conv
        ref = harness.run_onnxruntime(paths[False], feeds)
        harness.assert_close(ref, harness.run_litert(tfl, feeds, ["y"]).outputs)
        return
    a = harness.run_onnxruntime(paths[False], feeds)["y"]
    y = harness.run_litert(harness.convert(paths[True], tmp_path / "drop.tflite"), feeds, ["y"]).outputs["y"]
    kept = y != 0
    assert np.all(a[kept] != 0)
    err, scale = harness.max_rel_error(a[kept] / (1 - p), y[kept])
    assert err <= harness.FLOAT_TOL * scale, (err, scale)
    n = int(np.count_nonzero(a))
    frac = np.count_nonzero(kept) / n
    assert abs(frac - (1 - p)) <= 6 * np.sqrt(p * (1 - p) / n), f"kept {frac:.4f} of {n}"
