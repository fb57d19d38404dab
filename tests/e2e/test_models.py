"""Whole models: SimpleNetwork (the seed's CIFAR net), MobileNetV2, ResNet-18, and toy-size
versions of the architectures people convert: a ViT encoder, a BERT/MiniLM encoder (int64
token ids, a 0/1 attention mask), a UNet, a DeepLab ASPP head, YOLOv5 and YOLOv8 detect heads, a
ShuffleNet v2 stage and ConvNeXt blocks (see models.py).

Each is exported once per exporter (session cache) and converted with NCHW io (default) and
with --nhwc-io; LiteRT must match onnxruntime within the float32 rule, and the layout must be
solved: the TRANSPOSE count is exactly the one in models.EXPECTED_TRANSPOSES, where every
transpose left is explained (an I/O border, or data movement the model asks for). MobileNetV2 /
ResNet-18 are marked slow (deselect with -m "not slow").
"""

from __future__ import annotations

import numpy as np
import pytest

import harness
import models

# The exporters plus torchscript_nofold: both real exporters fold BatchNorm into Conv
# themselves, so only the unfolded TorchScript export makes the converter fold BatchNorm.
MODEL_EXPORTERS = (*harness.EXPORTERS, "torchscript_nofold")

MODEL_NAMES = [
    pytest.param("simple_network", id="simple_network"),
    pytest.param("mobilenet_v2", id="mobilenet_v2", marks=pytest.mark.slow),
    pytest.param("resnet18", id="resnet18", marks=pytest.mark.slow),
    pytest.param("vit", id="vit"),
    pytest.param("mini_bert", id="mini_bert"),
    pytest.param("unet", id="unet"),
    pytest.param("deeplab_head", id="deeplab_head"),
    pytest.param("yolo_head", id="yolo_head"),
    pytest.param("yolov8_head", id="yolov8_head"),
    pytest.param("shufflenet_v2", id="shufflenet_v2"),
    pytest.param("convnext", id="convnext"),
    pytest.param("video_classifier", id="video_classifier"),
]

def _export(export_cache, name: str, exporter: str) -> harness.Exported:
    spec = models.MODELS[name]
    return export_cache.get(name, exporter, spec.build, spec.shapes, seed=1, kind=spec.input_kinds)


@pytest.mark.parametrize("io", ["nchw", "nhwc"])
@pytest.mark.parametrize("exporter", MODEL_EXPORTERS)
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_model_accuracy_and_layout(name, exporter, io, export_cache, tmp_path):
    exp = _export(export_cache, name, exporter)
    checked = harness.check_conversion(exp, tmp_path, nhwc_io=io == "nhwc")
    nchw, nhwc, why = models.EXPECTED_TRANSPOSES[name]
    want = nchw if io == "nchw" else nhwc
    got = checked.info["transposes"]
    assert got == want, (f"{got} TRANSPOSE ops left, expected exactly {want} ({why}); "
                         f"ops: {harness.op_summary(checked.info)}")


# Op counts that show BatchNorm folded into the convolutions and activations fused into them
# (and, for the transformers, GELU recognised and one softmax per attention layer).
# exact: op -> count that must match; absent: ops that must not appear at all.
_BN_ACT = ("MUL", "ADD", "SUB", "RELU")
EXPECTED_OPS = {
    "simple_network": dict(exact={"CONV_2D": 5, "MAX_POOL_2D": 2, "SOFTMAX": 1},
                           absent=("MUL", "ADD", "SUB", "RELU")),
    "mobilenet_v2": dict(exact={"DEPTHWISE_CONV_2D": 17, "CONV_2D": 35, "ADD": 10, "FULLY_CONNECTED": 1},
                         absent=("MUL", "SUB", "RELU6", "MINIMUM", "MAXIMUM")),
    "resnet18": dict(exact={"CONV_2D": 20, "ADD": 8, "MAX_POOL_2D": 1, "FULLY_CONNECTED": 1},
                     absent=("MUL", "SUB")),
    "vit": dict(exact={"CONV_2D": 1, "BATCH_MATMUL": 4, "SOFTMAX": 2, "GELU": 2}, absent=("ERF", "DIV")),
    "mini_bert": dict(exact={"BATCH_MATMUL": 4, "SOFTMAX": 2, "GELU": 2, "TANH": 1}, absent=("ERF",)),
    "unet": dict(exact={"CONV_2D": 11, "TRANSPOSE_CONV": 2, "CONCATENATION": 2, "MAX_POOL_2D": 2}, absent=_BN_ACT),
    "deeplab_head": dict(exact={"CONV_2D": 9, "RESIZE_BILINEAR": 2, "CONCATENATION": 1}, absent=_BN_ACT),
    "yolo_head": dict(exact={"CONV_2D": 6, "LOGISTIC": 2}, absent=("RELU", "POW")),
    "yolov8_head": dict(exact={"CONV_2D": 13, "SOFTMAX": 1, "LOGISTIC": 1}, absent=("RELU",)),
    "shufflenet_v2": dict(exact={"CONV_2D": 8, "DEPTHWISE_CONV_2D": 4, "FULLY_CONNECTED": 1}, absent=_BN_ACT),
    "convnext": dict(exact={"CONV_2D": 1, "DEPTHWISE_CONV_2D": 2, "GELU": 2}, absent=("ERF",)),
    "video_classifier": dict(exact={"CONV_3D": 2, "MAX_POOL_2D": 1, "FULLY_CONNECTED": 1}, absent=_BN_ACT),
}


@pytest.mark.parametrize("exporter", MODEL_EXPORTERS)
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_model_batchnorm_folded_and_activations_fused(name, exporter, export_cache, tmp_path):
    exp = _export(export_cache, name, exporter)
    tfl = harness.convert(exp.onnx_path, tmp_path / "m.tflite")
    info = harness.inspect_json(tfl)
    ops = info["ops"]
    want = EXPECTED_OPS[name]
    got = {op: ops.get(op, 0) for op in want["exact"]}
    assert got == want["exact"], f"op counts {got}, expected {want['exact']}; all ops: {harness.op_summary(info)}"
    present = [op for op in want["absent"] if ops.get(op)]
    assert not present, (f"{present} should have been folded/fused away (BatchNorm into conv weights, "
                         f"ReLU/ReLU6 into the conv's fused activation, x*x for a square, erf into GELU); "
                         f"ops: {harness.op_summary(info)}")


@pytest.mark.parametrize("exporter", harness.EXPORTERS)
def test_bert_attention_mask_is_honoured(exporter, export_cache, tmp_path):
    """The mask input changes the result the same way in LiteRT and onnxruntime: with the
    padding unmasked, both give another pooled output (so the mask is not folded away)."""
    exp = _export(export_cache, "mini_bert", exporter)
    ids, mask = exp.feeds.values()
    assert 0 < mask.sum() < mask.size, "the test mask must have both attended and padded positions"
    tfl = harness.convert(exp.onnx_path, tmp_path / "m.tflite")
    feeds = dict(zip(exp.feeds, (ids, np.ones_like(mask))))
    ref = harness.run_onnxruntime(exp.onnx_path, feeds)
    got = harness.run_litert(tfl, feeds, exp.output_names).outputs
    harness.assert_close(ref, got)
    name = exp.output_names[0]
    assert not np.allclose(ref[name], exp.reference[name], atol=1e-3), "the attention mask has no effect"


@pytest.mark.parametrize("io", ["nchw", "nhwc"])
@pytest.mark.parametrize("exporter", harness.EXPORTERS)
def test_io_names_shapes_dtypes(exporter, io, export_cache, tmp_path):
    """The .tflite keeps the ONNX input/output names; shapes are ONNX's (NCHW) or channels-last
    with --nhwc-io; float32 in and out."""
    exp = _export(export_cache, "simple_network", exporter)
    nhwc = io == "nhwc"
    tfl = harness.convert(exp.onnx_path, tmp_path / "m.tflite", nhwc_io=nhwc)
    info = harness.inspect_json(tfl)

    def expected(dims):
        if nhwc and len(dims) in harness.NHWC_IO_RANKS:
            return [dims[i] for i in harness.channels_last_perm(len(dims))]
        return list(dims)

    for kind, onnx_side in (("inputs", exp.input_dims), ("outputs", exp.output_dims)):
        tfl_side = info[kind]
        assert [t["name"] for t in tfl_side] == [n for n, _ in onnx_side], f"{kind} names"
        assert [list(t["shape"]) for t in tfl_side] == [expected(d) for _, d in onnx_side], f"{kind} shapes"
        assert all(t["dtype"].upper() in ("FLOAT32", "FLOAT") for t in tfl_side), f"{kind} dtypes: {tfl_side}"


# --------------------------------------------------------------------------- sequence models
# An LSTM becomes one fused UNIDIRECTIONAL_SEQUENCE_LSTM per layer and direction (its two
# state tensors zeroed by a FILL each: src/lower/recurrent_fused.cc); GRU, and LSTM under
# --lstm unrolled, are unrolled per time step (src/lower/recurrent.cc). Unrolled, per direction
# and layer: one FULLY_CONNECTED projects the input of all T steps, then one per step for the
# recurrent product except the first (the zero initial state skips it). The counts below
# follow from that and fail if the unrolling grows. Transposes: with batch 1, torch's
# batch_first transposes to and from time-major move only a unit axis and become reshapes; the
# tagger keeps the 1-D conv front end's input border (before its explicit PAD).
T_LSTM, T_GRU = models.LSTM_INPUT[1], models.AUDIO_INPUT[2] // 2
# lstm_classifier unrolled: 2 layers x (1 + (T-1)) + head; LSTM gates i, o, f (f skipped on
# step 1: zero cell state), tanh for the candidate and the output.
LSTM_UNROLLED = {"FULLY_CONNECTED": 2 * T_LSTM + 1, "LOGISTIC": 2 * (3 * T_LSTM - 1), "TANH": 2 * 2 * T_LSTM}
SEQUENCE_MODELS = {
    # 2 layers, one fused op each (was 389 ops unrolled, now 15); the head's FULLY_CONNECTED.
    "lstm_classifier": dict(exact={"UNIDIRECTIONAL_SEQUENCE_LSTM": 2, "FILL": 4, "FULLY_CONNECTED": 1,
                                   "LOGISTIC": 0, "TANH": 0},
                            transposes={"nchw": 0, "nhwc": 0}),
    # 2 directions x (1 + (T-1)) + head; GRU gates z, r (r still needed on step 1: it scales the
    # recurrent bias under linear_before_reset) and the tanh candidate.
    "conv_gru_tagger": dict(exact={"FULLY_CONNECTED": 2 * T_GRU + 1, "LOGISTIC": 2 * 2 * T_GRU, "TANH": 2 * T_GRU,
                                   "CONV_2D": 2},
                            transposes={"nchw": 1, "nhwc": 1}),
}


@pytest.mark.parametrize("exporter", harness.EXPORTERS)
def test_lstm_classifier_unrolled(exporter, export_cache, tmp_path):
    """--lstm unrolled (TFLite Micro, Vela): the per-step form, exact and no larger than counted."""
    exp = _export(export_cache, "lstm_classifier", exporter)
    tfl = harness.convert(exp.onnx_path, tmp_path / "m.tflite", extra=["--lstm", "unrolled"])
    info = harness.inspect_json(tfl)
    got = {op: info["ops"].get(op, 0) for op in LSTM_UNROLLED}
    assert got == LSTM_UNROLLED and "UNIDIRECTIONAL_SEQUENCE_LSTM" not in info["ops"], harness.op_summary(info)
    assert info["transposes"] == 0, harness.op_summary(info)
    harness.assert_close(exp.reference, harness.run_litert(tfl, exp.feeds, exp.output_names).outputs)


@pytest.mark.parametrize("io", ["nchw", "nhwc"])
@pytest.mark.parametrize("exporter", harness.EXPORTERS)
@pytest.mark.parametrize("name", list(SEQUENCE_MODELS))
def test_sequence_model(name, exporter, io, export_cache, tmp_path):
    exp = _export(export_cache, name, exporter)
    checked = harness.check_conversion(exp, tmp_path, nhwc_io=io == "nhwc")
    want = SEQUENCE_MODELS[name]
    ops = checked.info["ops"]
    got = {op: ops.get(op, 0) for op in want["exact"]}
    assert got == want["exact"], f"op counts {got}, expected {want['exact']}; all ops: {harness.op_summary(checked.info)}"
    harness.assert_transposes(checked, want["transposes"][io], "none around the recurrence")
    # The steps share one copy of each weight: the file is the float32 parameters plus a
    # bounded cost per op and per tensor (a copy of R per step would blow this up T-fold; the
    # fused LSTM has few ops but a tensor per gate matrix and bias).
    params = sum(p.numel() for p in models.MODELS[name].build().parameters())
    size, n_ops, n_tensors = checked.tflite_path.stat().st_size, sum(ops.values()), checked.info["tensors"]
    assert size <= 4 * params + 256 * n_ops + 128 * n_tensors, (
        f"{size} bytes for {params} parameters, {n_ops} ops and {n_tensors} tensors")
    print(f"\n{name} {exporter} {io}: {sum(ops.values())} ops ({harness.op_summary(checked.info)}), "
          f"rel err {max(checked.rel_errors.values()):.2e}")
