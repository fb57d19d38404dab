"""Bad models and missing pieces surface as Python exceptions carrying the C++ message:
ConversionError (.kind, .message) and its subclasses."""

from __future__ import annotations

import builtins

import pytest
from onnx import TensorProto, helper

import pkg_models
import pt2tflite


def _model_bytes(nodes, inputs, outputs, opset=17) -> bytes:
    g = helper.make_graph(nodes, "g", inputs, outputs)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


def test_hierarchy():
    assert issubclass(pt2tflite.UnsupportedError, pt2tflite.ConversionError)
    assert issubclass(pt2tflite.InvalidModelError, pt2tflite.ConversionError)
    assert issubclass(pt2tflite.NotYetImplementedError, pt2tflite.UnsupportedError)
    assert issubclass(pt2tflite.NotYetImplementedError, NotImplementedError)
    assert issubclass(pt2tflite.InvalidArgumentError, ValueError)
    assert issubclass(pt2tflite.MissingExtraError, ImportError)


def test_garbage_bytes_are_an_invalid_model():
    with pytest.raises(pt2tflite.InvalidModelError) as e:
        pt2tflite.convert_onnx(b"this is not an ONNX model")
    assert e.value.kind == "invalid_model" and e.value.message
    assert str(e.value).startswith("invalid model: ")


def test_truncated_file_names_the_file(small_cnn_onnx, tmp_path):
    bad = tmp_path / "truncated.onnx"
    data = small_cnn_onnx.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(pt2tflite.ConversionError) as e:
        pt2tflite.convert_onnx(bad)
    assert "truncated.onnx" in e.value.message


def test_missing_file_is_an_io_error(tmp_path):
    with pytest.raises(pt2tflite.ConversionError) as e:
        pt2tflite.convert_onnx(tmp_path / "does_not_exist.onnx")
    assert e.value.kind == "io" and "does_not_exist.onnx" in e.value.message


def test_unsupported_ops_are_listed_with_their_nodes():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu_ok"),
        helper.make_node("ImageDecoder", ["r"], ["nz"], name="imagedecoder_node"),
        helper.make_node("FancyOp", ["r"], ["f"], name="custom_node", domain="com.example"),
    ]
    outs = [helper.make_tensor_value_info("nz", TensorProto.FLOAT, None),
            helper.make_tensor_value_info("f", TensorProto.FLOAT, None)]
    data = helper.make_model(helper.make_graph(nodes, "g", [x], outs),
                             opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)]
                             ).SerializeToString()
    with pytest.raises(pt2tflite.UnsupportedError) as e:
        pt2tflite.convert_onnx(data)
    msg = e.value.message
    assert e.value.kind == "unsupported"
    for text in ("ImageDecoder", "imagedecoder_node", "FancyOp", "custom_node"):
        assert text in msg, f"{text!r} missing from: {msg}"


def test_symbolic_dimension_needs_a_shape():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    data = _model_bytes([helper.make_node("Relu", ["x"], ["y"], name="r")], [x], [y])
    with pytest.raises(pt2tflite.ConversionError) as e:
        pt2tflite.convert_onnx(data)
    assert "x" in e.value.message
    # …which batch= fixes.
    assert pt2tflite.convert_onnx(data, batch=2)[4:8] == b"TFL3"


def test_input_shape_for_an_unknown_input_is_refused():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    data = _model_bytes([helper.make_node("Relu", ["x"], ["y"], name="r")], [x], [y])
    with pytest.raises(pt2tflite.ConversionError) as e:
        pt2tflite.convert_onnx(data, input_shapes={"nope": [1, 4]})
    assert "nope" in e.value.message


def test_bytes_with_external_data_are_refused(tmp_path):
    """Bytes have no folder, so a model whose weights live in a side file cannot be read."""
    import onnx

    m = onnx.load(str(pkg_models.export(pkg_models.small_cnn(), pkg_models.image(8), tmp_path / "m.onnx")))
    onnx.save(m, str(tmp_path / "ext.onnx"), save_as_external_data=True, location="ext.bin", size_threshold=0)
    data = (tmp_path / "ext.onnx").read_bytes()
    with pytest.raises(pt2tflite.ConversionError):
        pt2tflite.convert_onnx(data)
    assert pt2tflite.convert_onnx(tmp_path / "ext.onnx")[4:8] == b"TFL3"  # by path it works


def test_binding_refuses_unknown_options():
    """Nothing is dropped silently, even past the Python layer."""
    with pytest.raises(pt2tflite.InvalidArgumentError, match="unknown conversion option 'nhwc'"):
        pt2tflite._core.convert_bytes(b"", "", {"nhwc": True})
    with pytest.raises(pt2tflite.InvalidArgumentError, match="unknown quantization option 'per_channel'"):
        pt2tflite._core.convert_bytes(b"", "", {"quantization": {"mode": "int8", "per_channel": True}})
    with pytest.raises(pt2tflite.InvalidArgumentError, match="quantization mode 'int4'; expected one of float16"):
        pt2tflite._core.convert_bytes(b"", "", {"quantization": {"mode": "int4"}})
    with pytest.raises(pt2tflite.InvalidArgumentError, match="quantization input_type 'int32'"):
        pt2tflite._core.convert_bytes(b"", "", {"quantization": {"mode": "int8", "input_type": "int32"}})
    with pytest.raises(pt2tflite.InvalidArgumentError, match="without a mode"):
        pt2tflite._core.convert_bytes(b"", "", {"quantization": {"per_tensor": True}})


def test_missing_torch_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(pt2tflite.MissingExtraError, match=r"pip install 'pt2tflite\[torch\]'"):
        pt2tflite.convert(object(), ())


def test_missing_litert_names_the_extra(monkeypatch, small_cnn_onnx, tmp_path):
    tfl = tmp_path / "m.tflite"
    tfl.write_bytes(pt2tflite.convert_onnx(small_cnn_onnx))
    real_import = builtins.__import__

    def no_litert(name, *args, **kwargs):
        if name.startswith("ai_edge_litert"):
            raise ImportError("No module named 'ai_edge_litert'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_litert)
    with pytest.raises(pt2tflite.MissingExtraError, match=r"pip install 'pt2tflite\[verify\]'"):
        pt2tflite.verify(small_cnn_onnx, tfl)
    with pytest.raises(pt2tflite.MissingExtraError, match=r"pt2tflite\[verify\]"):
        pt2tflite.lite.Interpreter  # noqa: B018
