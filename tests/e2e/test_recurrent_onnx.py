"""ONNX LSTM / GRU / RNN forms torch never exports, built with onnx.helper: sequence_lens,
layout=1, GRU's linear_before_reset=0, peepholes, input_forget, Relu activations, clip, old opsets,
weights fed at run time. Each is
converted, run in LiteRT and compared with onnxruntime (float32 rule); what the converter
cannot express must be refused with a message naming the node and the reason.
"""

from __future__ import annotations

import numpy as np
import pytest

import harness

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def build(tmp_path, op, *, T=5, B=3, I=4, H=6, direction="forward", layout=0, lens=None, h0=False, c0=False,
          peepholes=False, opset=14, live=(), zero_state=False, outs=None, **attrs):
    """One recurrent node; weights are initializers, X (and h0/c0) graph inputs, and so are
    the initializers named in `live` (weights fed at run time). zero_state: h0/c0 are
    constant zeros (as torch exports them). outs: the node outputs that are graph outputs
    (default all; an LSTM reading Y_c stays unrolled). Returns the model path and the feeds."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    D = 2 if direction == "bidirectional" else 1
    G = GATES[op]
    f32 = lambda *s: (rng.standard_normal(s) * 0.5).astype(np.float32)  # noqa: E731
    inits = [numpy_helper.from_array(f32(D, G * H, I), "W"), numpy_helper.from_array(f32(D, G * H, H), "R"),
             numpy_helper.from_array(f32(D, 2 * G * H), "B")]
    names = ["X", "W", "R", "B", ""]
    if lens is not None:
        inits.append(numpy_helper.from_array(np.array(lens, np.int32), "sequence_lens"))
        names[4] = "sequence_lens"
    x_shape = [B, T, I] if layout else [T, B, I]
    s_shape = [B, D, H] if layout else [D, B, H]
    feeds = {"X": rng.standard_normal(x_shape).astype(np.float32)}
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)]
    for flag, name in ((h0, "initial_h"), (c0, "initial_c")):
        if op != "LSTM" and name == "initial_c":
            continue
        names.append(name if flag or zero_state else "")
        if zero_state:
            inits.append(numpy_helper.from_array(np.zeros(s_shape, np.float32), name))
        elif flag:
            feeds[name] = f32(*s_shape)
            inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, s_shape))
    if peepholes:
        inits.append(numpy_helper.from_array(f32(D, 3 * H), "P"))
        names.append("P")
    while names[-1] == "":
        names.pop()
    for t in [t for t in inits if t.name in live]:
        feeds[t.name] = numpy_helper.to_array(t)
        inputs.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    inits = [t for t in inits if t.name not in live]
    all_outs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    outs = all_outs if outs is None else outs
    if layout:
        attrs["layout"] = 1
    node_outs = [o if o in outs else "" for o in all_outs]
    while node_outs[-1] == "":
        node_outs.pop()
    node = helper.make_node(op, names, node_outs, name="rec", hidden_size=H, direction=direction, **attrs)
    graph = helper.make_graph([node], "g", inputs, [helper.make_tensor_value_info(o, TensorProto.FLOAT, None)
                                                    for o in outs], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"{op}.onnx"
    onnx.save(model, str(path))
    return path, feeds


CASES = {
    "lstm_bidirectional_sequence_lens": dict(op="LSTM", direction="bidirectional", lens=[5, 2, 1], h0=True, c0=True),
    "lstm_layout1_peepholes_reverse": dict(op="LSTM", layout=1, peepholes=True, direction="reverse", h0=True, c0=True),
    "gru_reset_before_linear_layout1_lens": dict(op="GRU", layout=1, lens=[3, 5, 4], direction="bidirectional"),
    "gru_linear_before_reset_reverse_lens": dict(op="GRU", linear_before_reset=1, direction="reverse", lens=[1, 5, 2]),
    "rnn_relu_opset7": dict(op="RNN", activations=["Relu"], opset=7, h0=True),
    "lstm_custom_activations": dict(op="LSTM", activations=["Sigmoid", "Relu", "Tanh"]),
    "lstm_input_forget": dict(op="LSTM", input_forget=1, h0=True, c0=True, peepholes=True),
    # (run-time sequence_lens: the harness feeds float32 only; ONNX's test_lstm_with_peepholes
    # and the unit tests run them)
    "lstm_weights_at_run_time": dict(op="LSTM", direction="bidirectional", lens=[5, 2, 3], peepholes=True,
                                     live=("W", "R", "B", "P")),
    "gru_linear_before_reset_weights_at_run_time": dict(op="GRU", linear_before_reset=1, live=("W", "R", "B")),
    # A clip small enough to bind on most gate inputs.
    "lstm_clip": dict(op="LSTM", clip=0.4, direction="bidirectional", h0=True, c0=True, peepholes=True),
    "gru_clip": dict(op="GRU", clip=0.4, linear_before_reset=1, h0=True),
    "gru_clip_reset_before_linear": dict(op="GRU", clip=0.4, h0=True),
    "rnn_clip": dict(op="RNN", clip=0.4, h0=True),
}


def reference(tmp_path, spec):
    """onnxruntime's outputs. Its CPU kernels refuse layout=1, so a batch-major model is
    compared with its time-major twin (same weights), inputs and outputs transposed."""
    if not spec.get("layout"):
        path, feeds = build(tmp_path, **spec)
        return path, feeds, harness.run_onnxruntime(path, feeds)
    twin, twin_feeds = build(tmp_path / "twin", **{**spec, "layout": 0})
    ref = harness.run_onnxruntime(twin, twin_feeds)
    ref = {k: v.transpose((2, 0, 1, 3) if k == "Y" else (1, 0, 2)) for k, v in ref.items()}
    path, _ = build(tmp_path, **spec)
    return path, {k: np.ascontiguousarray(v.transpose(1, 0, 2)) for k, v in twin_feeds.items()}, ref


@pytest.mark.parametrize("case", list(CASES))
def test_recurrent_matches_onnxruntime(case, tmp_path):
    path, feeds, ref = reference(tmp_path, CASES[case])
    tfl = harness.convert(path, tmp_path / "m.tflite")
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    harness.assert_close(ref, got, context=f"[{case}] ")
    assert harness.inspect_json(tfl)["transposes"] <= 1  # ONNX's bidirectional time-major Y only


@pytest.mark.parametrize("attrs,words", [
    (dict(activations=["HardSigmoid", "Tanh", "Tanh"]), "HardSigmoid"),
    (dict(lens=[5, 0, 2]), "sequence_lens"),
])
def test_recurrent_refusals_name_node_and_reason(attrs, words, tmp_path):
    path, _ = build(tmp_path, "LSTM", **attrs)
    p = harness.run_cli("convert", path, "-o", tmp_path / "m.tflite")
    assert p.returncode == 1, p.stderr
    assert "'rec'" in p.stderr and "onnx.LSTM" in p.stderr and words in p.stderr, p.stderr
    assert not (tmp_path / "m.tflite").exists()
