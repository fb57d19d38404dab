"""Signal ops (HannWindow, HammingWindow, BlackmanWindow, MelWeightMatrix, DFT, STFT) built as
ONNX graphs, converted, run in LiteRT and compared with onnxruntime by the float32 rule.

Windows and MelWeightMatrix take constant sizes (as after export) and must fold away; DFT and
STFT become a constant basis matrix and FULLY_CONNECTED. The DFT's float32 dot products are
compared with onnxruntime's own float32 FFT, both against the same reference.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import harness

_rng = np.random.default_rng(0)


def _f(*shape):
    return _rng.standard_normal(shape).astype(np.float32)


def _i64(v):
    return np.array(v, np.int64)


def _model(nodes, feeds, consts, opset, outputs=("y",)) -> onnx.ModelProto:
    inputs = [helper.make_tensor_value_info(k, TensorProto.FLOAT, v.shape) for k, v in feeds.items()]
    outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
    graph = helper.make_graph(nodes, "signal", inputs, outs,
                              initializer=[numpy_helper.from_array(v, k) for k, v in consts.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _check(model, feeds, tmp_path, name, tol=harness.FLOAT_TOL):
    """Converts and compares with onnxruntime; returns the inspect summary."""
    return harness.inspect_json(harness.check_onnx_model(model, feeds, tmp_path, name, tol=tol))


# --- windows: constant size, folded into the graph as constants ---

WINDOWS = {
    "hann_periodic": ("HannWindow", {}, 16),
    "hann_symmetric": ("HannWindow", {"periodic": 0}, 17),
    "hamming_periodic": ("HammingWindow", {}, 20),
    "hamming_symmetric": ("HammingWindow", {"periodic": 0}, 9),
    "blackman_periodic": ("BlackmanWindow", {"output_datatype": TensorProto.FLOAT}, 32),
    "blackman_symmetric": ("BlackmanWindow", {"periodic": 0}, 7),
}


@pytest.mark.parametrize("case", list(WINDOWS))
def test_window_folds(case, tmp_path):
    op, attrs, size = WINDOWS[case]
    nodes = [helper.make_node(op, ["size"], ["w"], **attrs), helper.make_node("Mul", ["x", "w"], ["y"])]
    # x = 1 + noise keeps every window value visible in the product.
    feeds = {"x": (1 + 0.1 * _f(3, size)).astype(np.float32)}
    info = _check(_model(nodes, feeds, {"size": _i64(size)}, 17), feeds, tmp_path, case)
    assert info["ops"] == {"MUL": 1}, f"the window should fold to a constant: {harness.op_summary(info)}"


def test_mel_run_time_parameter_is_refused(tmp_path):
    # (A window's run-time size is supported: tests/e2e/test_dynamic_shape_ops_onnx.py. A
    # run-time MelWeightMatrix parameter still leaves the output shape unknown.)
    names = ["num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz", "upper_edge_hertz"]
    node = helper.make_node("MelWeightMatrix", names, ["y"])
    consts = [helper.make_tensor(n, TensorProto.INT64, [], [v]) for n, v in
              (("dft_length", 64), ("sample_rate", 16000))]
    consts += [helper.make_tensor(n, TensorProto.FLOAT, [], [v]) for n, v in
               (("lower_edge_hertz", 0.0), ("upper_edge_hertz", 8000.0))]
    graph = helper.make_graph([node], "w", [helper.make_tensor_value_info("num_mel_bins", TensorProto.INT64, [])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=consts)
    path = tmp_path / "mel_runtime.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    p = harness.run_cli("convert", path, "-o", tmp_path / "mel_runtime.tflite")
    assert p.returncode != 0
    assert "num_mel_bins" in p.stderr and "run time" in p.stderr, p.stderr
    assert not (tmp_path / "mel_runtime.tflite").exists()


# --- MelWeightMatrix: constant inputs, folded; compared entry by entry (x + mel with x = 0) ---

MELS = {  # num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz
    "whisper_like": (80, 400, 16000, 0.0, 8000.0),
    "kws_40": (40, 512, 16000, 20.0, 4000.0),
    "odd_dft_8k": (23, 255, 8000, 100.0, 3800.0),
    "few_bins_narrow": (8, 64, 22050, 300.0, 1200.0),  # bins that collapse to one point
}


@pytest.mark.parametrize("case", list(MELS))
def test_mel_weight_matrix_folds(case, tmp_path):
    bins, dft, rate, lo, hi = MELS[case]
    consts = {"bins": _i64(bins), "dft": _i64(dft), "rate": _i64(rate),
              "lo": np.array(lo, np.float32), "hi": np.array(hi, np.float32)}
    nodes = [helper.make_node("MelWeightMatrix", list(consts), ["mel"]), helper.make_node("Add", ["x", "mel"], ["y"])]
    feeds = {"x": np.zeros((dft // 2 + 1, bins), np.float32)}
    info = _check(_model(nodes, feeds, consts, 17), feeds, tmp_path, case)
    assert info["ops"] == {"ADD": 1}, harness.op_summary(info)


# --- DFT ---

def _dft_case(x, attrs, opset, dft_length=None, axis_input=None):
    ins = ["x", "n" if dft_length is not None else ""]
    consts = {}
    if dft_length is not None:
        consts["n"] = _i64(dft_length)
    if axis_input is not None:
        ins.append("axis")
        consts["axis"] = _i64(axis_input)
    while ins and ins[-1] == "":
        ins.pop()
    return [helper.make_node("DFT", ins, ["y"], **attrs)], {"x": x}, consts, opset


DFTS = {
    "real_axis1_opset17": _dft_case(_f(2, 16, 3, 1), {"axis": 1}, 17),
    "real_axis2_opset17": _dft_case(_f(2, 5, 12, 1), {"axis": 2}, 17),
    "real_default_axis_opset20": _dft_case(_f(2, 3, 12, 1), {}, 20),
    "real_axis0_input_opset20": _dft_case(_f(6, 3, 4, 1), {}, 20, axis_input=0),
    "real_negative_axis_opset20": _dft_case(_f(2, 10, 3, 1), {}, 20, axis_input=-3),
    "complex_axis1_opset19": _dft_case(_f(2, 12, 3, 2), {"axis": 1}, 19),
    "onesided_even": _dft_case(_f(3, 16, 1), {"axis": 1, "onesided": 1}, 17),
    "onesided_odd": _dft_case(_f(3, 15, 1), {"axis": 1, "onesided": 1}, 17),
    "inverse_complex": _dft_case(_f(2, 10, 4, 2), {"axis": 1, "inverse": 1}, 17),
    "inverse_complex_opset20": _dft_case(_f(2, 4, 10, 2), {"inverse": 1}, 20),
    "inverse_real_input": _dft_case(_f(2, 9, 1), {"axis": 1, "inverse": 1}, 17),
    "irfft_default_length": _dft_case(_f(2, 9, 3, 2), {"axis": 1, "inverse": 1, "onesided": 1}, 17),
    "irfft_odd_length": _dft_case(_f(2, 9, 3, 2), {"axis": 1, "inverse": 1, "onesided": 1}, 17, dft_length=17),
    "dft_length_pads": _dft_case(_f(2, 10, 1), {"axis": 1}, 17, dft_length=16),
    "dft_length_truncates": _dft_case(_f(2, 12, 3, 2), {"axis": 1}, 17, dft_length=8),
    "dft_length_onesided_opset20": _dft_case(_f(2, 3, 20, 1), {"onesided": 1}, 20, dft_length=25, axis_input=-2),
    "long_512_onesided": _dft_case(_f(2, 512, 1), {"axis": 1, "onesided": 1}, 17),
}


@pytest.mark.parametrize("case", list(DFTS))
def test_dft(case, tmp_path):
    nodes, feeds, consts, opset = DFTS[case]
    info = _check(_model(nodes, feeds, consts, opset), feeds, tmp_path, case)
    assert info["ops"].get("FULLY_CONNECTED") == 1, harness.op_summary(info)
    # Only a DFT along an axis other than the one before real/imag needs a transpose pair.
    assert info["transposes"] <= 2, harness.op_summary(info)


# An inverse one-sided DFT given other than dft_length/2 + 1 bins: onnxruntime 1.32 departs
# from the ONNX reference (numpy.fft.irfft: bins past n/2 are dropped, missing ones are zero)
# by 0.08-0.19 on inputs in [0, 1), so these compare with onnx.reference instead.
IRFFT_VS_REFERENCE = {
    "irfft_truncating": (_f(2, 9, 2), 10),
    "irfft_padding": (_f(2, 4, 3, 2), 12),
}


@pytest.mark.parametrize("case", list(IRFFT_VS_REFERENCE))
def test_irfft_with_dft_length_against_onnx_reference(case, tmp_path):
    from onnx.reference import ReferenceEvaluator

    x, n = IRFFT_VS_REFERENCE[case]
    nodes, feeds, consts, opset = _dft_case(x, {"axis": 1, "inverse": 1, "onesided": 1}, 17, dft_length=n)
    model = _model(nodes, feeds, consts, opset)
    path = tmp_path / f"{case}.onnx"
    onnx.save(model, str(path))
    ref = {"y": ReferenceEvaluator(model).run(None, feeds)[0]}
    np.testing.assert_allclose(ref["y"][..., 0], np.fft.irfft(x[..., 0] + 1j * x[..., 1], n=n, axis=1), atol=1e-6)
    got = harness.run_litert(harness.convert(path, tmp_path / f"{case}.tflite"), feeds, ["y"]).outputs
    harness.assert_close(ref, got, context=f"[{case}] ")


def test_dft_run_time_length_is_refused(tmp_path):
    node = helper.make_node("DFT", ["x", "n"], ["y"], axis=1)
    graph = helper.make_graph([node], "d", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 1]),
                                            helper.make_tensor_value_info("n", TensorProto.INT64, [])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    path = tmp_path / "dft_runtime.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    p = harness.run_cli("convert", path, "-o", tmp_path / "dft_runtime.tflite")
    assert p.returncode != 0
    assert "dft_length" in p.stderr and "run time" in p.stderr, p.stderr


# --- STFT ---

def _hann(n):
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)


def _stft_case(x, step, window=None, frame_length=None, attrs=None, window_feed=False):
    feeds, consts = {"signal": x}, {"step": _i64(step)}
    ins = ["signal", "step", "", ""]
    if window is not None:
        ins[2] = "window"
        (feeds if window_feed else consts)["window"] = window
    if frame_length is not None:
        ins[3] = "length"
        consts["length"] = _i64(frame_length)
    while ins[-1] == "":
        ins.pop()
    return [helper.make_node("STFT", ins, ["y"], **(attrs or {}))], feeds, consts


STFTS = {
    "hann_window": _stft_case(_f(2, 400, 1), 32, window=_hann(64)),
    "hann_window_and_length": _stft_case(_f(1, 300, 1), 50, window=_hann(100), frame_length=100),
    "no_window_twosided": _stft_case(_f(1, 128, 1), 8, frame_length=16, attrs={"onesided": 0}),
    "odd_frame_tail_dropped": _stft_case(_f(1, 131, 1), 10, window=_hann(25)),
    "complex_signal": _stft_case(_f(2, 96, 2), 16, window=_hann(32), attrs={"onesided": 0}),
    "run_time_window": _stft_case(_f(1, 256, 1), 64, window=_hann(128), window_feed=True),
    # [batch, length] without the component axis: onnxruntime reads it as real, and torch.onnx's
    # TorchScript exporter writes it.
    "rank2_signal": _stft_case(_f(2, 200), 20, window=_hann(40)),
    "rank2_signal_run_time_window": _stft_case(_f(2, 200), 20, window=_hann(40), window_feed=True),
}


@pytest.mark.parametrize("case", list(STFTS))
def test_stft(case, tmp_path):
    nodes, feeds, consts = STFTS[case]
    info = _check(_model(nodes, feeds, consts, 17), feeds, tmp_path, case)
    assert info["ops"].get("FULLY_CONNECTED") == 1 and info["transposes"] == 0, harness.op_summary(info)


def test_stft_with_hann_window_node(tmp_path):
    """The window computed by a HannWindow node (as exporters write it) folds into the basis."""
    nodes = [helper.make_node("HannWindow", ["wlen"], ["window"]),
             helper.make_node("STFT", ["signal", "step", "window"], ["y"])]
    feeds = {"signal": _f(1, 512, 1)}
    info = _check(_model(nodes, feeds, {"wlen": _i64(128), "step": _i64(32)}, 17), feeds, tmp_path, "stft_hann_node")
    assert sorted(info["ops"]) == ["FULLY_CONNECTED", "GATHER", "RESHAPE"], harness.op_summary(info)


def test_audio_front_end(tmp_path):
    """log-mel spectrogram as one model: STFT (Hann 400, hop 160) → power → MelWeightMatrix
    product → log, 1 s of 16 kHz audio (tones plus noise).

    The mel power is compared with onnxruntime by the float32 rule. The log of it is compared
    with the same pipeline in float64 (numpy FFT, the ONNX reference's mel matrix): log turns
    small absolute errors in quiet mel bins into large ones, and onnxruntime's own STFT (a
    direct float32 DFT for this non-power-of-2 length) is 6.1e-4 x max|ref| off the float64
    log-mel, while the converted model measures 2.3e-5 x max|ref|.
    """
    from onnx.reference import ReferenceEvaluator

    t = np.arange(16000) / 16000.0
    audio = (0.5 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 3000 * t)
             + 0.05 * _rng.standard_normal(16000)).astype(np.float32).reshape(1, 16000, 1)
    consts = {"wlen": _i64(400), "step": _i64(160), "bins": _i64(80), "dft": _i64(400), "rate": _i64(16000),
              "lo": np.array(20.0, np.float32), "hi": np.array(8000.0, np.float32),
              "axes": _i64([-1]), "two": np.array(2.0, np.float32), "eps": np.array(1e-6, np.float32)}
    mel_node = helper.make_node("MelWeightMatrix", ["bins", "dft", "rate", "lo", "hi"], ["mel"])
    nodes = [
        helper.make_node("HannWindow", ["wlen"], ["window"]),
        helper.make_node("STFT", ["signal", "step", "window"], ["spec"]),         # [1, 98, 201, 2]
        helper.make_node("Pow", ["spec", "two"], ["sq"]),
        helper.make_node("ReduceSum", ["sq", "axes"], ["power"], keepdims=0),   # [1, 98, 201]
        mel_node,
        helper.make_node("MatMul", ["power", "mel"], ["melspec"]),              # [1, 98, 80]
        helper.make_node("Add", ["melspec", "eps"], ["floored"]),
        helper.make_node("Log", ["floored"], ["y"]),
    ]
    feeds = {"signal": audio}
    path = tmp_path / "audio_front_end.onnx"
    onnx.save(_model(nodes, feeds, consts, 17, outputs=("melspec", "y")), str(path))
    ort = harness.run_onnxruntime(path, feeds)
    tfl = harness.convert(path, tmp_path / "audio_front_end.tflite")
    got = harness.run_litert(tfl, feeds, ["melspec", "y"]).outputs
    harness.assert_close({"melspec": ort["melspec"]}, got, context="[audio_front_end] ")

    mel = ReferenceEvaluator(_model([mel_node], {}, {k: consts[k] for k in ("bins", "dft", "rate", "lo", "hi")},
                                    17, outputs=("mel",))).run(None, {})[0].astype(np.float64)
    x = audio[0, :, 0].astype(np.float64)
    frames = np.stack([x[f * 160:f * 160 + 400] for f in range(98)]) * (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 400))
    spec = np.fft.rfft(frames, axis=1)
    exact = np.log((spec.real ** 2 + spec.imag ** 2) @ mel + 1e-6)[np.newaxis].astype(np.float32)
    harness.assert_close({"y": exact}, got, context="[audio_front_end log-mel vs float64] ")
    assert harness.inspect_json(tfl)["transposes"] == 0


# --- torch.stft exported by torch.onnx ---

def _power_spectrogram(center: bool, complex_out: bool):
    """torch.stft (Hann 400, hop 160) → power, the front of Whisper-style models."""
    import torch

    class PowerSpectrogram(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("window", torch.hann_window(400))

        def forward(self, x):
            if complex_out:
                z = torch.stft(x, 400, 160, window=self.window, center=center, return_complex=True)
                return z.abs() ** 2
            # The TorchScript exporter cannot export complex tensors; return_complex=False
            # (deprecated in torch) is how its users export an STFT.
            z = torch.stft(x, 400, 160, window=self.window, center=center, return_complex=False)
            return z.pow(2).sum(-1)

    return PowerSpectrogram().eval()


# (center, complex output, exporter). The TorchScript exporter refuses return_complex=True
# itself ("STFT does not currently support complex types"), so that pair is not exported.
TORCH_STFTS = {
    "complex_dynamo": (False, True, "dynamo"),
    "complex_center_reflect_dynamo": (True, True, "dynamo"),
    "real_pairs_dynamo": (False, False, "dynamo"),
    "real_pairs_torchscript": (False, False, "torchscript"),
    "real_pairs_center_reflect_torchscript": (True, False, "torchscript"),
}


@pytest.mark.parametrize("case", list(TORCH_STFTS))
def test_torch_stft_export(case, tmp_path):
    import torch

    center, complex_out, exporter = TORCH_STFTS[case]
    audio = _f(1, 8000)
    path = harness.export_onnx(_power_spectrogram(center, complex_out), (torch.from_numpy(audio),),
                               tmp_path / f"{case}.onnx", exporter, opset=17 if exporter == "torchscript" else 18)
    assert "STFT" in {n.op_type for n in onnx.load(str(path)).graph.node}
    feeds = {onnx.load(str(path)).graph.input[0].name: audio}
    ref = harness.run_onnxruntime(path, feeds)
    tfl = harness.convert(path, tmp_path / f"{case}.tflite")
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    harness.assert_close(ref, got, context=f"[{case}] ")
    with torch.no_grad():
        want = _power_spectrogram(center, complex_out)(torch.from_numpy(audio)).numpy()
    harness.assert_close({k: want for k in ref}, got, context=f"[{case} vs torch] ")
