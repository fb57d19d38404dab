"""How quantization settings resolve, through both front doors, before any conversion: TF's
rules for TFLiteConverter, pt2tflite's quantize=/io_type=/quantize_options= for convert().
Invalid requests are ValueErrors/TypeErrors raised before any export. What the resolved
requests produce is tested in test_quantize_convert.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import pt2tflite
from pt2tflite import _options, lite
from pt2tflite.lite import Optimize, OpsSet


def rep():
    for _ in range(3):
        yield [np.zeros((1, 4), np.float32)]


def converter(**settings) -> lite.TFLiteConverter:
    c = lite.TFLiteConverter.from_onnx(b"unused: the request is resolved first")
    for k, v in settings.items():
        if k in ("supported_ops", "supported_types"):
            setattr(c.target_spec, k, v)
        else:
            setattr(c, k, v)
    return c


@pytest.mark.parametrize("settings, mode, io", [
    (dict(optimizations=[Optimize.DEFAULT]), "dynamic", ("float32", "float32")),
    (dict(optimizations=[Optimize.OPTIMIZE_FOR_SIZE]), "dynamic", ("float32", "float32")),
    (dict(optimizations=[Optimize.DEFAULT], supported_types=[pt2tflite.float16]), "float16", ("float32", "float32")),
    (dict(optimizations=[Optimize.DEFAULT], supported_types=[np.float16]), "float16", ("float32", "float32")),
    (dict(optimizations=[Optimize.DEFAULT], representative_dataset=rep), "int8", ("float32", "float32")),
    (dict(optimizations=[Optimize.DEFAULT], representative_dataset=rep,
          supported_ops=[OpsSet.TFLITE_BUILTINS_INT8], inference_input_type=pt2tflite.int8,
          inference_output_type=np.uint8), "int8", ("int8", "uint8")),
    (dict(optimizations=[Optimize.DEFAULT], representative_dataset=lite.RepresentativeDataset(rep),
          inference_input_type=torch.int8, inference_output_type="int8"), "int8", ("int8", "int8")),
    (dict(optimizations=[Optimize.DEFAULT], representative_dataset=rep,
          supported_ops=[OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8],
          inference_input_type=pt2tflite.int16, inference_output_type=pt2tflite.int16), "int16x8", ("int16", "int16")),
])
def test_tf_rules_resolve_to_a_mode(settings, mode, io):
    req = converter(**settings)._quantization_request()
    assert req.mode == mode and (req.input_type.name, req.output_type.name) == io


def test_int8_only_means_no_float_fallback():
    strict = converter(optimizations=[Optimize.DEFAULT], representative_dataset=rep,
                       supported_ops=[OpsSet.TFLITE_BUILTINS_INT8])._quantization_request()
    lenient = converter(optimizations=[Optimize.DEFAULT], representative_dataset=rep,
                        supported_ops=[OpsSet.TFLITE_BUILTINS_INT8, OpsSet.TFLITE_BUILTINS])._quantization_request()
    assert not strict.allow_float_fallback and lenient.allow_float_fallback


@pytest.mark.parametrize("settings, exc, match", [
    # What TF silently ignores without optimizations, pt2tflite refuses.
    (dict(representative_dataset=rep), ValueError, "only with optimizations"),
    (dict(supported_types=[pt2tflite.float16]), ValueError, "only with optimizations"),
    (dict(inference_input_type=pt2tflite.int8), ValueError, "only with optimizations"),
    (dict(supported_ops=[OpsSet.TFLITE_BUILTINS_INT8]), ValueError, "only with optimizations"),
    # TF's own errors.
    (dict(optimizations=[Optimize.DEFAULT], supported_ops=[OpsSet.TFLITE_BUILTINS_INT8]), ValueError,
     "needs a representative_dataset"),
    (dict(optimizations=[Optimize.DEFAULT], inference_input_type=pt2tflite.int8), ValueError,
     "takes input type float32"),
    (dict(optimizations=[Optimize.DEFAULT], representative_dataset=rep, inference_input_type=pt2tflite.int16),
     ValueError, "takes input type float32 or int8 or uint8"),
    (dict(optimizations=[Optimize.DEFAULT], supported_types=[pt2tflite.float16], representative_dataset=rep),
     ValueError, "does not use a representative_dataset"),
    (dict(optimizations=[Optimize.DEFAULT], supported_types=[pt2tflite.float16],
          supported_ops=[OpsSet.TFLITE_BUILTINS_INT8]), ValueError, "pick one"),
    (dict(optimizations=[Optimize.DEFAULT], representative_dataset=[np.zeros(3)]), TypeError, "must be a function"),
    (dict(optimizations=["DEFAULT"]), TypeError, "not an Optimize value"),
    (dict(supported_ops=["TFLITE_BUILTINS"]), TypeError, "not an OpsSet value"),
    (dict(supported_ops=[]), ValueError, "empty"),
    (dict(optimizations=[Optimize.DEFAULT], supported_types=[np.int32]), ValueError, "not a TFLite quantization target"),
    (dict(inference_input_type="int9"), TypeError, "unknown dtype"),
    (dict(optimizations=[Optimize.EXPERIMENTAL_SPARSITY]), pt2tflite.UnsupportedError, "SPARSITY"),
    (dict(supported_ops=[OpsSet.SELECT_TF_OPS]), pt2tflite.UnsupportedError, "SELECT_TF_OPS"),
])
def test_inconsistent_settings_fail_before_converting(settings, exc, match):
    with pytest.raises(exc, match=match):
        converter(**settings).convert()


def test_convert_quantize_argument():
    req = _options.quantization_request("int8", rep, (pt2tflite.int8, np.uint8))
    assert (req.mode, req.input_type, req.output_type) == ("int8", np.int8, np.uint8)
    assert req.requested_by == ["quantize='int8'", "representative_dataset=...", "io_type=(int8, uint8)"]
    assert _options.quantization_request(None, None, None) is None
    with pytest.raises(ValueError, match="needs a representative_dataset"):
        _options.quantization_request("int16x8", None, None)
    with pytest.raises(ValueError, match="takes input type float32"):
        _options.quantization_request("float16", None, "int8")


class Explodes(torch.nn.Module):
    def forward(self, x):
        raise AssertionError("export should not have started")


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(quantize="int8"), ValueError, "needs a representative_dataset"),
    (dict(quantize="dynamic", io_type=pt2tflite.int8), ValueError, "takes input type float32"),
    (dict(quantize="int8", representative_dataset=rep, quantize_options={"per_channel": False}), ValueError,
     "unknown quantize_options key 'per_channel'"),
    (dict(quantize="int8", representative_dataset=rep, quantize_options={"observer": "max"}), ValueError,
     "\\['observer'\\] = 'max'"),
    (dict(quantize="int8", representative_dataset=rep, quantize_options={"percentile": 40}), ValueError,
     "expected a number in \\(50, 100\\]"),
    (dict(quantize="int8", representative_dataset=rep, quantize_options={"per_tensor": 1}), TypeError,
     "True or False"),
    (dict(quantize="int8", representative_dataset=rep, quantize_options={"calibration_size": 0}), ValueError,
     "positive integer"),
    (dict(quantize="int8", representative_dataset=rep, quantize_options={"fallback_float": []}), ValueError,
     "node names or op types"),
    (dict(quantize="dynamic", quantize_options={"observer": "percentile"}), ValueError,
     "\\['observer'\\] do not apply to dynamic-range"),
    (dict(quantize="float16", quantize_options={"per_tensor": True}), ValueError, "do not apply to float16"),
    (dict(quantize_options={"per_tensor": True}), ValueError, "quantize_options only apply with quantize"),
])
def test_convert_refuses_bad_requests_before_any_export(kwargs, exc, match):
    """convert() checks the whole request before exporting: the model is never even run."""
    with pytest.raises(exc, match=match):
        pt2tflite.convert(Explodes(), torch.zeros(1, 4), **kwargs)


def test_converter_quantize_options():
    c = converter(optimizations=[Optimize.DEFAULT], representative_dataset=rep,
                  quantize_options={"per_tensor": True, "fallback_float": "SOFTMAX", "observer": "percentile",
                                    "percentile": 99.9, "calibration_size": 2})
    req = c._quantization_request()
    assert (req.per_tensor, req.fallback_float, req.observer, req.percentile, req.calibration_size) == (
        True, ["SOFTMAX"], "percentile", 99.9, 2)
    assert req.allow_float_fallback  # from supported_ops, as in TF
    # The float fallback is TF's supported_ops setting on the converter; not a second switch.
    with pytest.raises(ValueError, match="unknown quantize_options key 'allow_float_fallback'"):
        converter(optimizations=[Optimize.DEFAULT], representative_dataset=rep,
                  quantize_options={"allow_float_fallback": False})._quantization_request()
    with pytest.raises(ValueError, match="only with optimizations"):
        converter(quantize_options={"per_tensor": True}).convert()


def test_to_core_dict_and_calibration_size():
    req = _options.quantization_request("int8", rep, pt2tflite.int8, {"calibration_size": 2, "observer": "moving_average"})
    d = _options.to_core(nhwc_io=False, batch=None, input_shapes={}, dump_after=None, quantization=req,
                         input_names=["x"])["quantization"]
    assert {k: v for k, v in d.items() if k != "calibration"} == {
        "mode": "int8", "input_type": "int8", "output_type": "int8", "allow_float_fallback": True,
        "per_tensor": False, "fallback_float": [], "observer": "moving_average", "percentile": 99.99,
        "calibration_size": 2, "auto_fallback_db": None, "auto_fallback_samples": 8}
    assert len(d["calibration"]) == 2  # the generator (3 samples) is read no further than needed


def test_calibration_samples_take_the_seeds_forms():
    """What the binding receives: lists of float32 arrays in input order."""
    names = ["a", "b"]

    def lists():
        yield [np.ones((1, 2)), torch.zeros(1, 3)]

    def dicts():
        yield {"b": np.zeros((1, 3)), "a": np.ones((1, 2), np.float64)}

    for gen in (lists, dicts, lite.RepresentativeDataset(lists)):
        (sample,) = _options.calibration_samples(gen, names)
        assert [a.shape for a in sample] == [(1, 2), (1, 3)] and all(a.dtype == np.float32 for a in sample)
    with pytest.raises(ValueError, match="has 1 arrays"):
        _options.calibration_samples(lambda: iter([[np.zeros(2)]]), names)
    with pytest.raises(ValueError, match="no samples"):
        _options.calibration_samples(lambda: iter([]), names)
