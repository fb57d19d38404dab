"""`tf.lite`, spelled for PyTorch: `import pt2tflite as tf` and TFLiteConverter code runs with
only the constructor changed.

    converter = tf.lite.TFLiteConverter.from_pytorch(model, example_input)   # or .from_onnx(path)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset_gen
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    tflite_model = converter.convert()

The settings mean what they mean in TensorFlow's converter:
  no optimizations                               → float32
  optimizations=[DEFAULT], supported_types=[float16] → float16 weights
  optimizations=[DEFAULT]                        → dynamic range (int8 weights)
  optimizations=[DEFAULT] + representative_dataset → full int8 (TFLITE_BUILTINS_INT8 alone: no
                                                   float fallback); int8/uint8 I/O allowed
  … + supported_ops=[EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8] → int16x8
with two differences, both loud: settings TensorFlow silently ignores (a representative_dataset
without optimizations, …) raise ValueError, and OpsSet.SELECT_TF_OPS raises UnsupportedError
(pt2tflite writes builtin ops only). Unknown converter attributes raise AttributeError.
pt2tflite's own settings: io_layout, batch, input_shapes (as in pt2tflite.convert()) and
quantize_options (per_tensor, fallback_float, observer, percentile, calibration_size; the float
fallback itself follows supported_ops, as in TF).
"""

from __future__ import annotations

import enum
from typing import Any

from . import _options, api, dtypes
from .errors import MissingExtraError, UnsupportedError

__all__ = ["TFLiteConverter", "Optimize", "OpsSet", "TargetSpec", "RepresentativeDataset", "Interpreter"]


class Optimize(enum.Enum):
    DEFAULT = "DEFAULT"
    OPTIMIZE_FOR_SIZE = "OPTIMIZE_FOR_SIZE"        # deprecated in TF: the same as DEFAULT
    OPTIMIZE_FOR_LATENCY = "OPTIMIZE_FOR_LATENCY"  # deprecated in TF: the same as DEFAULT
    EXPERIMENTAL_SPARSITY = "EXPERIMENTAL_SPARSITY"

    def __repr__(self) -> str:
        return f"Optimize.{self.name}"


class OpsSet(enum.Enum):
    TFLITE_BUILTINS = "TFLITE_BUILTINS"
    TFLITE_BUILTINS_INT8 = "TFLITE_BUILTINS_INT8"
    EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 = \
        "EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8"
    SELECT_TF_OPS = "SELECT_TF_OPS"

    def __repr__(self) -> str:
        return f"OpsSet.{self.name}"


class RepresentativeDataset:
    """tf.lite.RepresentativeDataset: wraps a generator function."""

    def __init__(self, input_gen):
        self.input_gen = input_gen

    def __call__(self):
        return self.input_gen()


class _Strict:
    """Attribute assignment limited to the names in _ATTRS: a typo or a TF setting pt2tflite
    does not have fails instead of being ignored."""

    _ATTRS: dict[str, str] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._ATTRS:
            known = ", ".join(sorted(self._ATTRS))
            raise AttributeError(f"{type(self).__name__} has no setting {name!r} in pt2tflite; it has: {known}")
        object.__setattr__(self, name, value)


class TargetSpec(_Strict):
    _ATTRS = {"supported_ops": "set of OpsSet", "supported_types": "list of dtypes"}

    def __init__(self, supported_ops=None, supported_types=None):
        self.supported_ops = set(supported_ops) if supported_ops is not None else {OpsSet.TFLITE_BUILTINS}
        self.supported_types = list(supported_types) if supported_types is not None else []

    def __repr__(self) -> str:
        return f"TargetSpec(supported_ops={self.supported_ops!r}, supported_types={self.supported_types!r})"


# TF converter settings accepted with no effect, because pt2tflite already behaves that way.
_NO_OP_SETTINGS = {
    "allow_custom_ops": "pt2tflite writes builtin ops only, so there are never custom ops to allow",
    "experimental_new_converter": "there is one converter",
    "experimental_new_quantizer": "there is one quantizer",
}


class TFLiteConverter(_Strict):
    """Mirrors tf.lite.TFLiteConverter; construct with from_pytorch() or from_onnx()."""

    _ATTRS = {
        "optimizations": "", "representative_dataset": "", "target_spec": "",
        "inference_input_type": "", "inference_output_type": "",
        # pt2tflite's own, with the meaning they have in pt2tflite.convert():
        "io_layout": "", "batch": "", "input_shapes": "", "quantize_options": "",
        **{k: "" for k in _NO_OP_SETTINGS},
        "_source": "", "_model": "", "_args": "",
    }

    def __init__(self, source: str, model, args: dict[str, Any]):
        self._source = source
        self._model = model
        self._args = args
        self.optimizations = []
        self.representative_dataset = None
        self.target_spec = TargetSpec()
        self.inference_input_type = dtypes.float32
        self.inference_output_type = dtypes.float32
        self.io_layout = "nchw"
        self.batch = None
        self.input_shapes = None
        self.quantize_options = None
        self.allow_custom_ops = False
        self.experimental_new_converter = True
        self.experimental_new_quantizer = True

    @classmethod
    def from_pytorch(cls, model, example_inputs, *, exporter: str = "auto", opset: int | None = None,
                     input_names=None, output_names=None, save_onnx=None, export_options=None
                     ) -> "TFLiteConverter":
        """From a torch.nn.Module and example inputs (a tensor or a tuple of them); the ONNX
        export happens in convert(). Keyword arguments as for pt2tflite.convert()."""
        return cls("torch", model, dict(example_inputs=example_inputs, exporter=exporter, opset=opset,
                                        input_names=input_names, output_names=output_names,
                                        save_onnx=save_onnx, export_options=export_options))

    @classmethod
    def from_onnx(cls, model) -> "TFLiteConverter":
        """From an ONNX model: a path, its bytes, or an onnx.ModelProto."""
        return cls("onnx", model, {})

    @classmethod
    def from_saved_model(cls, *args, **kwargs):
        raise UnsupportedError(_NOT_TF)

    from_keras_model = from_concrete_functions = from_saved_model

    def convert(self) -> bytes:
        """The .tflite flatbuffer, as bytes."""
        q = self._quantization_request()
        nhwc = _options.check_layout(self.io_layout)
        batch = _options.check_batch(self.batch)
        if self._source == "torch":
            a = self._args
            return api.convert_torch(self._model, a["example_inputs"], nhwc_io=nhwc, batch=batch,
                                     input_shapes=self.input_shapes, quantization=q, opset=a["opset"],
                                     exporter=a["exporter"], input_names=a["input_names"],
                                     output_names=a["output_names"], save_onnx=a["save_onnx"],
                                     export_options=a["export_options"])
        return api.convert_onnx_model(self._model, nhwc_io=nhwc, batch=batch, input_shapes=self.input_shapes,
                                      quantization=q)

    # ----------------------------------------------------------------------- TF's rules

    def _quantization_request(self) -> _options.QuantizationRequest | None:
        api_name = "TFLiteConverter"
        opts = list(self.optimizations or [])
        for o in opts:
            if not isinstance(o, Optimize):
                raise TypeError(f"optimizations: {o!r} is not an Optimize value; use [pt2tflite.lite.Optimize.DEFAULT]")
        if Optimize.EXPERIMENTAL_SPARSITY in opts:
            raise UnsupportedError("Optimize.EXPERIMENTAL_SPARSITY is not supported by pt2tflite; "
                                   "use Optimize.DEFAULT")
        ts = self.target_spec
        ops = set(ts.supported_ops)
        for o in ops:
            if not isinstance(o, OpsSet):
                raise TypeError(f"target_spec.supported_ops: {o!r} is not an OpsSet value")
        if OpsSet.SELECT_TF_OPS in ops:
            raise UnsupportedError(
                "target_spec.supported_ops contains OpsSet.SELECT_TF_OPS: pt2tflite writes TFLite builtin "
                "ops only — no TensorFlow (Flex) ops, so the model never needs the TensorFlow runtime on the "
                "device. Remove SELECT_TF_OPS (keep OpsSet.TFLITE_BUILTINS or TFLITE_BUILTINS_INT8); an op "
                "that has no builtin form is reported by name when converting.")
        if not ops:
            raise ValueError("target_spec.supported_ops is empty; use [OpsSet.TFLITE_BUILTINS]")
        types = [dtypes.as_dtype(t, "target_spec.supported_types") for t in ts.supported_types]
        for t in types:
            if t not in (dtypes.float16, dtypes.int8, dtypes.float32):
                raise ValueError(f"target_spec.supported_types: {t.name} is not a TFLite quantization target; "
                                 f"use [pt2tflite.float16] (float16 weights) or [pt2tflite.int8]")
        in_t = dtypes.as_dtype(self.inference_input_type, "inference_input_type")
        out_t = dtypes.as_dtype(self.inference_output_type, "inference_output_type")
        int16x8 = OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 in ops
        int8_target = OpsSet.TFLITE_BUILTINS_INT8 in ops or dtypes.int8 in types
        fp16 = dtypes.float16 in types
        rd = self.representative_dataset

        asked = []  # the settings that ask for quantization, for messages
        if opts:
            asked.append(f"optimizations={opts!r}")
        if rd is not None:
            asked.append(f"representative_dataset={getattr(rd, '__name__', type(rd).__name__)}")
        if ops != {OpsSet.TFLITE_BUILTINS}:
            asked.append(f"target_spec.supported_ops={sorted(ops, key=lambda o: o.name)!r}")
        if types and types != [dtypes.float32]:
            asked.append(f"target_spec.supported_types=[{', '.join(t.name for t in types)}]")
        if in_t != dtypes.float32:
            asked.append(f"inference_input_type={in_t.name}")
        if out_t != dtypes.float32:
            asked.append(f"inference_output_type={out_t.name}")
        if self.quantize_options is not None:
            asked.append("quantize_options=...")

        if not opts:
            if asked:
                raise ValueError(f"{api_name}: {', '.join(asked)} take effect only with "
                                 f"optimizations=[Optimize.DEFAULT] (TensorFlow's converter would silently "
                                 f"write a float model here); set it, or remove them")
            return None
        if fp16 and (int8_target or int16x8):
            raise ValueError(f"{api_name}: float16 and integer targets together ({', '.join(asked)}); pick one")
        if int16x8:
            mode = "int16x8"
        elif fp16:
            mode = "float16"
        elif rd is not None or int8_target:
            mode = "int8"
        else:
            mode = "dynamic"
        req = _options.QuantizationRequest(mode, in_t, out_t, rd,
                                           allow_float_fallback=OpsSet.TFLITE_BUILTINS in ops,
                                           requested_by=asked)
        _options.apply_quantize_options(req, self.quantize_options, api_name, forbidden=("allow_float_fallback",))
        _options.validate(req, api_name)
        return req


_NOT_TF = ("pt2tflite converts PyTorch and ONNX models, not TensorFlow ones: use "
           "TFLiteConverter.from_pytorch(model, example_inputs) or TFLiteConverter.from_onnx(path)")


def __getattr__(name: str):
    # tf.lite.Interpreter → LiteRT's interpreter (the [verify] extra), imported on first use.
    if name == "Interpreter":
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as e:
            raise MissingExtraError("pt2tflite.lite.Interpreter", "verify", "ai-edge-litert", e) from e
        return Interpreter
    raise AttributeError(f"module 'pt2tflite.lite' has no attribute {name!r}")
