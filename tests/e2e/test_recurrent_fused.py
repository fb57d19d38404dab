"""ONNX LSTM as TFLite's fused UNIDIRECTIONAL_SEQUENCE_LSTM (src/lower/recurrent_fused.cc):
forward, reverse, bidirectional, layout 0 and 1, peepholes, constant zero initial states,
Y_h only; the cases that must stay unrolled (Y_c read, clip, input_forget, other
activations, initial states or lengths that are not trivial); state not leaking from one
invoke() to the next; --lstm unrolled; int8 keeps the unrolled form; float16 and dynamic
modes; the reference kernel (exec_check) against onnxruntime. Float32 rule throughout.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

import harness
from test_exec_kernels import exec_check_bin
from test_recurrent_onnx import build, reference

FUSED = "UNIDIRECTIONAL_SEQUENCE_LSTM"


def ops(tfl) -> dict[str, int]:
    return harness.inspect_json(tfl)["ops"]


# name → (build spec, fused ops expected). Y_c is left out unless the case is about it.
CASES = {
    "forward": (dict(outs=["Y", "Y_h"]), 1),
    "forward_y_only": (dict(outs=["Y"]), 1),
    "forward_y_h_only": (dict(outs=["Y_h"]), 1),
    "reverse": (dict(direction="reverse", outs=["Y", "Y_h"]), 1),
    "bidirectional": (dict(direction="bidirectional", outs=["Y", "Y_h"]), 2),
    "batch_first": (dict(layout=1, outs=["Y", "Y_h"]), 1),
    "batch_first_bidirectional": (dict(layout=1, direction="bidirectional", outs=["Y", "Y_h"]), 2),
    "batch_first_reverse_peepholes": (dict(layout=1, direction="reverse", peepholes=True, outs=["Y", "Y_h"]), 1),
    "peepholes_bidirectional": (dict(direction="bidirectional", peepholes=True, outs=["Y", "Y_h"]), 2),
    # torch's export: constant zero initial states
    "zero_initial_state": (dict(direction="bidirectional", zero_state=True, outs=["Y", "Y_h"]), 2),
    "full_sequence_lens": (dict(lens=[5, 5, 5], outs=["Y", "Y_h"]), 1),
    "explicit_default_activations": (dict(direction="bidirectional", outs=["Y"],
                                          activations=["Sigmoid", "Tanh", "Tanh"] * 2), 2),
    "one_step_one_row": (dict(T=1, B=1, outs=["Y", "Y_h"]), 1),
    # stay unrolled
    "y_c_read": (dict(), 0),
    "clip": (dict(clip=0.4, outs=["Y", "Y_h"]), 0),
    "input_forget": (dict(input_forget=1, outs=["Y"]), 0),
    "relu_candidate": (dict(activations=["Sigmoid", "Relu", "Tanh"], outs=["Y"]), 0),
    "initial_state_input": (dict(h0=True, c0=True, outs=["Y"]), 0),
    "short_sequence_lens": (dict(lens=[5, 2, 4], outs=["Y"]), 0),
}


@pytest.mark.parametrize("case", list(CASES))
def test_lstm_fused_matches_onnxruntime(case, tmp_path):
    spec, fused = CASES[case]
    path, feeds, ref = reference(tmp_path, dict(op="LSTM", **spec))
    tfl = harness.convert(path, tmp_path / "m.tflite")
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    harness.assert_close(ref, got, context=f"[{case}] ")
    info = harness.inspect_json(tfl)
    assert info["ops"].get(FUSED, 0) == fused, harness.op_summary(info)
    if fused:
        # one FILL per state tensor, REVERSE_V2 around each backward direction; no per-step ops
        assert "LOGISTIC" not in info["ops"] and "FULLY_CONNECTED" not in info["ops"], harness.op_summary(info)
        assert info["ops"].get("FILL", 0) == 2 * fused, harness.op_summary(info)
        backward = fused == 2 or spec.get("direction") == "reverse"
        assert info["ops"].get("REVERSE_V2", 0) == (2 if backward else 0), harness.op_summary(info)
    assert info["transposes"] <= 1  # ONNX's bidirectional time-major Y only


def _invoke(interp, x):
    d = interp.get_input_details()[0]
    interp.set_tensor(d["index"], x)
    interp.invoke()
    return {o["name"]: interp.get_tensor(o["index"]).copy() for o in interp.get_output_details()}


@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
def test_lstm_state_does_not_leak_across_invokes(direction, tmp_path):
    """LiteRT keeps variable tensors from one invoke() to the next: the FILLs before the op
    must reset the state, so a repeated input gives the same, correct output."""
    from ai_edge_litert.interpreter import Interpreter

    path, feeds = build(tmp_path, "LSTM", direction=direction, outs=["Y", "Y_h"])
    tfl = harness.convert(path, tmp_path / "m.tflite")
    assert ops(tfl).get(FUSED, 0) >= 1
    interp = Interpreter(model_path=str(tfl), num_threads=1)
    interp.allocate_tensors()
    x = feeds["X"]
    other = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32) * 3
    first = _invoke(interp, x)
    _invoke(interp, other)
    again = _invoke(interp, x)
    for name in first:
        np.testing.assert_array_equal(first[name], again[name], err_msg=f"output {name} changed between invokes")
    ref = harness.run_onnxruntime(path, feeds)
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    harness.assert_close(ref, got)


def test_lstm_unrolled_flag(tmp_path):
    path, feeds, ref = reference(tmp_path, dict(op="LSTM", direction="bidirectional", layout=1, outs=["Y", "Y_h"]))
    tfl = harness.convert(path, tmp_path / "m.tflite", extra=["--lstm", "unrolled"])
    info = harness.inspect_json(tfl)
    assert FUSED not in info["ops"] and info["ops"].get("LOGISTIC", 0) > 0, harness.op_summary(info)
    harness.assert_close(ref, harness.run_litert(tfl, feeds, list(ref)).outputs)


def test_lstm_flag_refuses_unknown_form(tmp_path):
    path, _ = build(tmp_path, "LSTM", outs=["Y"])
    p = harness.run_cli("convert", path, "-o", tmp_path / "m.tflite", "--lstm", "stacked")
    assert p.returncode == 2 and "--lstm" in p.stderr, p.stderr


def _calibration(tmp_path, feeds, n=16):
    rng = np.random.default_rng(2)
    x = feeds["X"]
    data = np.stack([x] + [rng.standard_normal(x.shape).astype(np.float32) for _ in range(n - 1)])
    np.save(tmp_path / "cal.npy", data)
    return tmp_path / "cal.npy"


@pytest.mark.parametrize("mode", ["int8", "int16x8"])
def test_lstm_full_integer_keeps_unrolled(mode, tmp_path):
    """The fused kernel's integer forms need per-gate intermediate scales the calibrator does
    not compute: full-integer conversions unroll (and quantize FC/LOGISTIC/TANH as usual)."""
    path, feeds = build(tmp_path, "LSTM", outs=["Y", "Y_h"])
    tfl = harness.convert(path, tmp_path / "m.tflite",
                          extra=["--quantize", mode, "--calibration", str(_calibration(tmp_path, feeds))])
    info = harness.inspect_json(tfl)
    assert FUSED not in info["ops"] and info["ops"].get("LOGISTIC", 0) > 0, harness.op_summary(info)
    ref = harness.run_onnxruntime(path, feeds)
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    # quantized: a loose bound that still catches a wrong graph (outputs are in (-1, 1))
    harness.assert_close(ref, got, tol=0.1)


@pytest.mark.parametrize("mode", ["float16", "dynamic"])
def test_lstm_fused_weight_compression_modes(mode, tmp_path):
    """float16 and dynamic keep the fused op; its large weights are stored FLOAT16 / int8
    (per row) and DEQUANTIZEd before it (the op's float kernel runs on the dequantized
    weights). float16: the unrolled form reads the same float16 weights, so both forms agree
    to the float32 rule; against onnxruntime the weights' rounding shows."""
    # H = I = 32: each gate block [32, 32] has 1024 elements, enough for dynamic mode.
    path, feeds = build(tmp_path, "LSTM", direction="bidirectional", I=32, H=32, outs=["Y", "Y_h"])
    tfl = harness.convert(path, tmp_path / "m.tflite", extra=["--quantize", mode])
    info = harness.inspect_json(tfl)
    assert info["ops"].get(FUSED, 0) == 2, harness.op_summary(info)
    # per direction 8 weight blocks [32, 32]; float16 also stores the 4 gate biases [32]
    assert info["ops"].get("DEQUANTIZE", 0) == (24 if mode == "float16" else 16), harness.op_summary(info)
    ref = harness.run_onnxruntime(path, feeds)
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    # dynamic: int8 weights through 5 recurrent steps give ~3e-2 here (the unrolled form's
    # hybrid FCs, which also quantize their inputs, ~6e-2)
    rel = harness.assert_close(ref, got, tol=5e-3 if mode == "float16" else 5e-2)
    print(f"{mode}: relative errors against onnxruntime {rel}")
    if mode == "float16":
        unrolled = harness.convert(path, tmp_path / "u.tflite", extra=["--quantize", mode, "--lstm", "unrolled"])
        assert FUSED not in ops(unrolled)
        harness.assert_close(harness.run_litert(unrolled, feeds, list(ref)).outputs, got, context="[fused vs unrolled] ")


@pytest.mark.parametrize("spec", [
    dict(direction="bidirectional", peepholes=True),
    dict(layout=1, direction="reverse"),
], ids=["bidirectional_peepholes", "batch_first_reverse"])
def test_lstm_reference_kernel_matches_onnxruntime(spec, tmp_path):
    """exec_check converts with the default options (fused) and runs src/exec's
    UNIDIRECTIONAL_SEQUENCE_LSTM kernel."""
    exe = exec_check_bin()
    assert exe.is_file(), f"exec_check not found at {exe}"
    path, feeds, ref = reference(tmp_path, dict(op="LSTM", outs=["Y", "Y_h"], **spec))
    tfl = harness.convert(path, tmp_path / "m.tflite")
    assert ops(tfl).get(FUSED, 0) >= 1
    np.save(tmp_path / "x.npy", feeds["X"])
    p = subprocess.run([str(exe), str(path), str(tmp_path / "x.npy"), "-o", str(tmp_path / "out.npz")],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    with np.load(tmp_path / "out.npz") as z:
        got = {k: z[k] for k in z.files}
    harness.assert_close(ref, {k: got[k] for k in ref}, context="[exec] ")
