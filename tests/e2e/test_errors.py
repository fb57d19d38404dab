"""Bad input through the CLI: every failure exits non-zero (no crash), says what went wrong on
stderr (file, node, reason, what to do), and leaves nothing at -o (nor a temp file beside it).
Plus: conversion is deterministic (byte-identical output for the same input and options).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

import harness
import models


def convert_must_fail(tmp_path: Path, onnx_path: Path, *extra: str) -> str:
    """Runs convert into an empty folder; asserts a clean failure; returns stderr."""
    out_dir = tmp_path / "out"
    out_dir.mkdir(exist_ok=True)
    before = set(out_dir.iterdir())
    out = out_dir / "model.tflite"
    p = harness.run_cli("convert", onnx_path, "-o", out, *extra)
    assert 0 < p.returncode < 128, f"expected a clean failure exit code, got {p.returncode}\n{p.stderr}"
    assert p.stderr.strip(), "failure without a message on stderr"
    assert not out.exists(), f"{out} was left behind by a failed conversion"
    left = set(out_dir.iterdir()) - before
    assert not left, f"failed conversion left files behind: {sorted(map(str, left))}"
    return p.stderr


def _small_conv_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 4, 1)).eval()


# --------------------------------------------------------------------------- unreadable files


def test_missing_file(tmp_path):
    err = convert_must_fail(tmp_path, tmp_path / "does_not_exist.onnx")
    assert "does_not_exist.onnx" in err


def test_text_file_is_not_a_model(tmp_path):
    bad = tmp_path / "x.onnx"
    bad.write_text("not an ONNX model\n")
    err = convert_must_fail(tmp_path, bad)
    assert "x.onnx" in err, f"the message should name the file:\n{err}"


def test_truncated_model(tmp_path):
    full = harness.export_onnx(_small_conv_model(), (torch.randn(1, 3, 16, 16),), tmp_path / "full.onnx",
                               "torchscript")
    data = full.read_bytes()
    assert len(data) > 1000
    bad = tmp_path / "truncated.onnx"
    bad.write_bytes(data[: len(data) // 2])
    err = convert_must_fail(tmp_path, bad)
    assert "truncated.onnx" in err, f"the message should name the file:\n{err}"


# --------------------------------------------------------------------------- unsupported ops


def test_unsupported_ops_reported_together(tmp_path):
    """Every unsupported op type with its node names, in one message, before anything is written."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu_supported"),
        helper.make_node("ImageDecoder", ["r"], ["u"], name="imagedecoder_node_a"),
        helper.make_node("TfIdfVectorizer", ["r"], ["nz_a"], name="tfidf_node_a", mode="TF", min_gram_length=1,
                         max_gram_length=1, max_skip_count=0, ngram_counts=[0], ngram_indexes=[0], pool_int64s=[1]),
        helper.make_node("TfIdfVectorizer", ["x"], ["nz_b"], name="tfidf_node_b", mode="TF", min_gram_length=1,
                         max_gram_length=1, max_skip_count=0, ngram_counts=[0], ngram_indexes=[0], pool_int64s=[1]),
        helper.make_node("FancyOp", ["r"], ["f"], name="custom_domain_node", domain="com.example"),
    ]
    outputs = [
        helper.make_tensor_value_info("u", TensorProto.FLOAT, None),
        helper.make_tensor_value_info("nz_a", TensorProto.FLOAT, None),
        helper.make_tensor_value_info("nz_b", TensorProto.FLOAT, None),
        helper.make_tensor_value_info("f", TensorProto.FLOAT, None),
    ]
    graph = helper.make_graph(nodes, "unsupported", [x], outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    path = tmp_path / "unsupported.onnx"
    onnx.save(model, str(path))

    err = convert_must_fail(tmp_path, path)
    for needle in ("ImageDecoder", "TfIdfVectorizer", "FancyOp", "imagedecoder_node_a", "tfidf_node_a", "tfidf_node_b",
                   "custom_domain_node"):
        assert needle in err, f"'{needle}' missing from the error message:\n{err}"
    assert "relu_supported" not in err, f"a supported node is listed as unsupported:\n{err}"


# --------------------------------------------------------------------------- dynamic batch


def _export_dynamic_batch(tmp_path: Path, exporter: str) -> Path:
    model, x = _small_conv_model(), torch.randn(2, 3, 16, 16)
    path = tmp_path / f"dynamic-{exporter}" / "model.onnx"
    if exporter == "torchscript":
        harness.export_onnx(model, (x,), path, exporter, input_names=["image"],
                            dynamic_axes={"image": {0: "batch"}})
    else:
        harness.export_onnx(model, (x,), path, exporter, input_names=["image"],
                            dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=64)},))
    (name, dims), = harness.onnx_io(path)[0]
    assert name == "image" and not isinstance(dims[0], int), f"batch dim not symbolic: {dims}"
    return path


@pytest.mark.parametrize("exporter", harness.EXPORTERS)
def test_dynamic_batch_needs_batch_option(exporter, tmp_path):
    path = _export_dynamic_batch(tmp_path, exporter)
    err = convert_must_fail(tmp_path, path)
    assert "--batch" in err or "--input-shape" in err, f"the message should say how to fix the batch:\n{err}"
    assert "image" in err, f"the message should name the input:\n{err}"


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("exporter", harness.EXPORTERS)
def test_dynamic_batch_with_batch_option(exporter, batch, tmp_path):
    path = _export_dynamic_batch(tmp_path, exporter)
    out = harness.convert(path, tmp_path / "m.tflite", batch=batch)
    info = harness.inspect_json(out)
    assert info["inputs"][0]["shape"] == [batch, 3, 16, 16]
    x = harness.random_inputs([(batch, 3, 16, 16)], seed=3)[0]
    ref = harness.run_onnxruntime(path, {"image": x})
    got = harness.run_litert(out, {"image": x}, list(ref)).outputs
    harness.assert_close(ref, got)


@pytest.mark.parametrize("exporter", harness.EXPORTERS)
def test_dynamic_batch_with_input_shape_option(exporter, tmp_path):
    path = _export_dynamic_batch(tmp_path, exporter)
    out = harness.convert(path, tmp_path / "m.tflite", input_shapes={"image": (2, 3, 16, 16)})
    assert harness.inspect_json(out)["inputs"][0]["shape"] == [2, 3, 16, 16]


# --------------------------------------------------------------------------- external data


def _model_with_external_weight(folder: Path, location: str) -> Path:
    """y = x + W, W stored as external data at `location` (set by hand, not by onnx's helpers)."""
    folder.mkdir(parents=True, exist_ok=True)
    w = numpy_helper.from_array(np.zeros(16, dtype=np.float32), "W")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", str(16 * 4))):
        e = w.external_data.add()
        e.key, e.value = k, v
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16])
    graph = helper.make_graph([helper.make_node("Add", ["x", "W"], ["y"], name="add_w")], "ext", [x], [y], [w])
    path = folder / "model.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


@pytest.mark.parametrize("kind", ["parent_dir", "absolute", "nested_escape"])
def test_external_data_outside_model_folder_refused(kind, tmp_path):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(16, dtype=np.float32).tobytes())  # readable: only the path check stops it
    location = {"parent_dir": "../secret.bin", "absolute": str(secret),
                "nested_escape": "sub/../../secret.bin"}[kind]
    path = _model_with_external_weight(tmp_path / "model_dir", location)
    err = convert_must_fail(tmp_path, path)
    assert "secret.bin" in err, f"the message should name the offending location:\n{err}"


def test_external_data_missing_file(tmp_path):
    path = _model_with_external_weight(tmp_path / "model_dir", "weights.bin")
    err = convert_must_fail(tmp_path, path)
    assert "weights.bin" in err, f"the message should name the missing file:\n{err}"


def test_external_data_inside_folder_works(tmp_path):
    """The positive control for the tests above: the same model with its data beside it."""
    path = _model_with_external_weight(tmp_path / "model_dir", "weights.bin")
    w = np.linspace(-1, 1, 16, dtype=np.float32)
    (tmp_path / "model_dir" / "weights.bin").write_bytes(w.tobytes())
    out = harness.convert(path, tmp_path / "m.tflite")
    x = harness.random_inputs([(1, 16)], seed=5)[0]
    got = harness.run_litert(out, {"x": x}, ["y"]).outputs
    harness.assert_close({"y": x + w}, got)


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("nhwc_io", [False, True], ids=["nchw", "nhwc"])
@pytest.mark.parametrize("exporter", harness.EXPORTERS)
# shufflenet_v2 and yolov8_head go through sink_transposes' trial rewrites (graph copies).
@pytest.mark.parametrize("name", ["conv_stack", "simple_network", "shufflenet_v2", "yolov8_head"])
def test_deterministic_output(name, exporter, nhwc_io, export_cache, tmp_path):
    if name == "conv_stack":
        exp = export_cache.get(name, exporter, _small_conv_model, [(1, 3, 16, 16)])
    else:
        spec = models.MODELS[name]
        exp = export_cache.get(name, exporter, spec.build, spec.shapes, seed=1, kind=spec.input_kinds)
    (tmp_path / "sub").mkdir()
    a = harness.convert(exp.onnx_path, tmp_path / "a.tflite", nhwc_io=nhwc_io)
    b = harness.convert(exp.onnx_path, tmp_path / "sub" / "b.tflite", nhwc_io=nhwc_io)
    assert a.read_bytes() == b.read_bytes(), "two conversions of the same model differ"
