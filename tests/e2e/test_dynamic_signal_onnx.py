"""Signal ops whose parameters are computed at run time (ONNX's node tests feed them as graph
inputs): DFT's opset-20 axis input and CumProd's axis on a rank ≥ 2 input are taken when the
output shape does not depend on them — every candidate axis is computed and SELECT_V2 picks
the one named, so one .tflite serves every axis value. Each case converts once, then runs in
LiteRT for several parameter values and is compared with onnxruntime on the same inputs.
Cases whose output shape would depend on the value must be refused with a clear reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnx.helper as oh
import pytest
from onnx import TensorProto as TP

import harness

RNG = np.random.default_rng(23)


def model(nodes, inputs, outputs, opset):
    g = oh.make_graph(nodes, "g", inputs, outputs)
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", opset)])


def vi(name, dtype, shape):
    return oh.make_tensor_value_info(name, dtype, shape)


def check_values(tmp_path, m, feeds_list, name, tol=harness.FLOAT_TOL):
    """Converts once (with the first feeds), then runs every feed set on the same .tflite."""
    tfl = harness.check_onnx_model(m, feeds_list[0], tmp_path, name, tol=tol)
    path = tmp_path / f"{name}.onnx"
    for feeds in feeds_list[1:]:
        ref = harness.run_onnxruntime(path, feeds)
        got = harness.run_litert(tfl, feeds, list(ref)).outputs
        for out, r in ref.items():
            assert got[out].dtype == r.dtype, f"[{name}] {out}: dtype {got[out].dtype}, onnxruntime {r.dtype}"
        harness.assert_close(ref, got, tol, context=f"[{name} {[(k, v) for k, v in feeds.items() if v.size == 1]}] ")
    return tfl


refused = harness.convert_refused


# --- DFT (opset 20) with a run-time axis ---


@pytest.mark.parametrize("inverse", [0, 1])
@pytest.mark.parametrize("comp", [1, 2])
def test_dft_runtime_axis(tmp_path, comp, inverse):
    shape = [2, 5, 7, 3, comp]  # signal axes of different lengths: output shape = input's
    x = RNG.standard_normal(shape).astype(np.float32)
    m = model([oh.make_node("DFT", ["x", "", "axis"], ["y"], inverse=inverse)],
              [vi("x", TP.FLOAT, shape), vi("axis", TP.INT64, [])], [vi("y", TP.FLOAT, None)], 20)
    feeds = [{"x": x, "axis": np.array(a, np.int64)} for a in [1, -2, 0, 2, -4, -3, 3, -5]]
    tfl = check_values(tmp_path, m, feeds, f"dft_{comp}_{inverse}")
    info = harness.inspect_json(tfl)
    assert info["outputs"][0]["shape"] == shape[:-1] + [2], info["outputs"]


def test_dft_runtime_axis_dft_length_equal_lengths(tmp_path):
    # A dft_length equal to every signal axis's length leaves the shape independent of the axis.
    x = RNG.standard_normal([6, 6, 2]).astype(np.float32)
    m = model([oh.make_node("DFT", ["x", "dl", "axis"], ["y"], inverse=1)],
              [vi("x", TP.FLOAT, [6, 6, 2]), vi("axis", TP.INT64, [])], [vi("y", TP.FLOAT, None)], 20)
    m.graph.initializer.append(oh.make_tensor("dl", TP.INT64, [], [6]))
    check_values(tmp_path, m, [{"x": x, "axis": np.array(a, np.int64)} for a in [0, 1, -2, -3]], "dft_len_square")


def test_dft_runtime_axis_rank2(tmp_path):
    # One signal axis: the only candidate.
    x = RNG.standard_normal([16, 2]).astype(np.float32)
    m = model([oh.make_node("DFT", ["x", "", "axis"], ["y"])],
              [vi("x", TP.FLOAT, [16, 2]), vi("axis", TP.INT64, [])], [vi("y", TP.FLOAT, None)], 20)
    check_values(tmp_path, m, [{"x": x, "axis": np.array(a, np.int64)} for a in [0, -2]], "dft_rank2")


@pytest.mark.parametrize("attrs", [{"onesided": 1}, {"inverse": 1, "onesided": 1}])
def test_dft_runtime_axis_shape_depends_refused(tmp_path, attrs):
    m = model([oh.make_node("DFT", ["x", "", "axis"], ["y"], **attrs)],
              [vi("x", TP.FLOAT, [1, 6, 10, 2]), vi("axis", TP.INT64, [])], [vi("y", TP.FLOAT, None)], 20)
    err = refused(m, tmp_path, "dft_refused")
    assert "axis (input 'axis') is computed at run time and the output shape depends on it" in err, err


def test_dft_runtime_axis_with_dft_length_refused(tmp_path):
    dl = oh.make_tensor("dl", TP.INT64, [], [12])
    m = model([oh.make_node("DFT", ["x", "dl", "axis"], ["y"])],
              [vi("x", TP.FLOAT, [4, 6, 1]), vi("axis", TP.INT64, [])], [vi("y", TP.FLOAT, None)], 20)
    m.graph.initializer.append(dl)
    err = refused(m, tmp_path, "dft_len_refused")
    assert "output shape depends on it" in err, err


# --- CumProd (opset 26) with a run-time axis on a rank >= 2 input ---


@pytest.mark.parametrize("attrs", [{}, {"exclusive": 1}, {"reverse": 1}, {"exclusive": 1, "reverse": 1}])
@pytest.mark.parametrize("dtype", [TP.INT32, TP.INT64, TP.FLOAT])
def test_cumprod_runtime_axis(tmp_path, dtype, attrs):
    shape = [3, 4, 5]
    if dtype == TP.FLOAT:  # factors near ±1 keep the products well scaled
        x = (RNG.uniform(0.7, 1.4, shape) * RNG.choice([-1, 1], shape)).astype(np.float32)
    else:
        x = RNG.integers(-3, 4, shape).astype(np.int32 if dtype == TP.INT32 else np.int64)
    m = model([oh.make_node("CumProd", ["x", "axis"], ["y"], **attrs)],
              [vi("x", dtype, shape), vi("axis", TP.INT64, [])], [vi("y", dtype, shape)], 26)
    feeds = [{"x": x, "axis": np.array(a, np.int64)} for a in [1, 0, 2, -1, -2, -3]]
    name = f"cumprod_{dtype}_{'_'.join(attrs) or 'plain'}"
    tfl = check_values(tmp_path, m, feeds, name)
    assert harness.inspect_json(tfl)["outputs"][0]["shape"] == shape


def test_cumprod_runtime_axis_int32_one_element(tmp_path):
    # The axis as a 1-element int32 tensor (ONNX allows int32 and int64).
    x = RNG.integers(-4, 5, (2, 6)).astype(np.int32)
    m = model([oh.make_node("CumProd", ["x", "axis"], ["y"])],
              [vi("x", TP.INT32, [2, 6]), vi("axis", TP.INT32, [1])], [vi("y", TP.INT32, [2, 6])], 26)
    check_values(tmp_path, m, [{"x": x, "axis": np.array([a], np.int32)} for a in [0, 1, -1, -2]], "cumprod_i32axis")


# --- MelWeightMatrix (opset 17) with the sample rate / edges computed at run time ---


def mel_model(runtime, bins=8, dft_length=16, rate_type=TP.INT32):
    """num_mel_bins and dft_length constant (they decide the shape); `runtime` names the
    inputs fed at run time, the rest are initializers with the first feed's values."""
    types = {"sample_rate": rate_type, "lower_edge_hertz": TP.FLOAT, "upper_edge_hertz": TP.FLOAT}
    # num_mel_bins, dft_length and sample_rate share one type (T1).
    inits = [oh.make_tensor("num_mel_bins", rate_type, [], [bins]),
             oh.make_tensor("dft_length", rate_type, [], [dft_length])]
    ins = [vi(k, types[k], []) for k in runtime]
    m = model([oh.make_node("MelWeightMatrix", ["num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz",
                                                "upper_edge_hertz"], ["y"])],
              ins, [vi("y", TP.FLOAT, None)], 17)
    return m, inits


MEL_CASES = [  # (sample_rate, lower, upper): edges at 0 / Nyquist, inside, narrow bands
    # (an upper edge at Nyquist maps to bin (dft_length + 1)/2: in range for even lengths only)
    (8192, 0.0, 4096.0), (16000, 20.0, 8000.0), (16000, 125.0, 3800.0), (44100, 300.0, 11025.0),
    (8000, 1000.0, 1500.0), (22050, 0.0, 11025.0),
]


@pytest.mark.parametrize("runtime", [("sample_rate", "lower_edge_hertz", "upper_edge_hertz"),
                                     ("lower_edge_hertz", "upper_edge_hertz"), ("sample_rate",)])
@pytest.mark.parametrize("bins,dft_length", [(8, 16), (40, 512), (13, 256)])
def test_mel_runtime_values(tmp_path, runtime, bins, dft_length):
    m, inits = mel_model(runtime, bins, dft_length, TP.INT64 if runtime == ("sample_rate",) else TP.INT32)
    rate_np = np.int64 if runtime == ("sample_rate",) else np.int32
    first = dict(zip(("sample_rate", "lower_edge_hertz", "upper_edge_hertz"), MEL_CASES[0]))
    const_types = {"sample_rate": TP.INT64 if rate_np is np.int64 else TP.INT32,
                   "lower_edge_hertz": TP.FLOAT, "upper_edge_hertz": TP.FLOAT}
    for k, v in first.items():
        if k not in runtime:
            inits.append(oh.make_tensor(k, const_types[k], [], [v]))
    m.graph.initializer.extend(inits)
    cases = MEL_CASES if len(runtime) == 3 else [
        c for c in MEL_CASES if all(c[i] == MEL_CASES[0][i] for i, k in
                                    enumerate(("sample_rate", "lower_edge_hertz", "upper_edge_hertz"))
                                    if k not in runtime)]
    if runtime == ("lower_edge_hertz", "upper_edge_hertz"):
        cases = [(8192, 0.0, 4096.0), (8192, 100.0, 3000.0), (8192, 500.0, 4000.0), (8192, 30.0, 1000.0)]
    if runtime == ("sample_rate",):
        cases = [(8192, 0.0, 4096.0), (16000, 0.0, 4096.0), (9000, 0.0, 4096.0)]
    feeds = []
    for c in cases:
        vals = dict(zip(("sample_rate", "lower_edge_hertz", "upper_edge_hertz"), c))
        feeds.append({k: np.array(vals[k], rate_np if k == "sample_rate" else np.float32) for k in runtime})
    tfl = check_values(tmp_path, m, feeds, f"mel_{len(runtime)}_{bins}_{dft_length}")
    assert harness.inspect_json(tfl)["outputs"][0]["shape"] == [dft_length // 2 + 1, bins]


def test_mel_runtime_bins_refused(tmp_path):
    m = model([oh.make_node("MelWeightMatrix", ["num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz",
                                                "upper_edge_hertz"], ["y"])],
              [vi("num_mel_bins", TP.INT32, []), vi("sample_rate", TP.INT32, [])], [vi("y", TP.FLOAT, None)], 17)
    m.graph.initializer.extend([oh.make_tensor("dft_length", TP.INT32, [], [16]),
                                oh.make_tensor("lower_edge_hertz", TP.FLOAT, [], [0.0]),
                                oh.make_tensor("upper_edge_hertz", TP.FLOAT, [], [4000.0])])
    err = refused(m, tmp_path, "mel_bins")
    assert "num_mel_bins (input 'num_mel_bins') is computed at run time" in err, err


# --- STFT (opset 17) with a run-time frame_step: the frame count is known only at run time ---


@pytest.mark.parametrize("window", ["none", "const", "runtime"])
@pytest.mark.parametrize("comp", [0, 1, 2])  # 0: a [batch, length] real signal
@pytest.mark.parametrize("onesided", [1, 0])
def test_stft_runtime_step(tmp_path, window, comp, onesided):
    length, frame = 64, 16
    shape = [2, length] + ([comp] if comp else [])
    x = RNG.standard_normal(shape).astype(np.float32)
    ins = [vi("x", TP.FLOAT, shape), vi("step", TP.INT64, [])]
    inits = [oh.make_tensor("frame_length", TP.INT64, [], [frame])]
    w = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame) / frame)).astype(np.float32)
    if window == "const":
        inits.append(oh.make_tensor("w", TP.FLOAT, [frame], w))
    elif window == "runtime":
        ins.append(vi("w", TP.FLOAT, [frame]))
    node_ins = ["x", "step", "w" if window != "none" else "", "frame_length"]
    m = model([oh.make_node("STFT", node_ins, ["y"], onesided=onesided)], ins, [vi("y", TP.FLOAT, None)], 17)
    m.graph.initializer.extend(inits)
    feeds = []
    for step in [8, 1, 5, 16, 48, 49]:  # 49: one frame; 5: a tail shorter than a frame is dropped
        f = {"x": x, "step": np.array(step, np.int64)}
        if window == "runtime":
            f["w"] = RNG.uniform(0.2, 1.0, frame).astype(np.float32)
        feeds.append(f)
    tfl = check_values(tmp_path, m, feeds, f"stft_{window}_{comp}_{onesided}")
    bins = frame // 2 + 1 if onesided else frame
    assert harness.inspect_json(tfl)["outputs"][0]["shape"] == [2, -1, bins, 2]


def test_stft_runtime_step_int32_whole_signal_frame(tmp_path):
    # A frame as long as the signal: one frame whatever the step (a static shape).
    # (onnxruntime 1.2x fails on STFT without frame_length and window, so it is given.)
    x = RNG.standard_normal([3, 20, 1]).astype(np.float32)
    m = model([oh.make_node("STFT", ["x", "step", "", "fl"], ["y"])],
              [vi("x", TP.FLOAT, [3, 20, 1]), vi("step", TP.INT32, [])], [vi("y", TP.FLOAT, None)], 17)
    m.graph.initializer.append(oh.make_tensor("fl", TP.INT32, [], [20]))
    tfl = check_values(tmp_path, m, [{"x": x, "step": np.array(s, np.int32)} for s in [1, 7, 20]], "stft_whole")
    assert harness.inspect_json(tfl)["outputs"][0]["shape"] == [3, 1, 11, 2]


def test_stft_runtime_frame_length_refused(tmp_path):
    m = model([oh.make_node("STFT", ["x", "step", "", "fl"], ["y"])],
              [vi("x", TP.FLOAT, [1, 64, 1]), vi("step", TP.INT64, []), vi("fl", TP.INT64, [])],
              [vi("y", TP.FLOAT, None)], 17)
    err = refused(m, tmp_path, "stft_fl")
    assert "frame_length (input 'fl') is computed at run time" in err, err
