"""The two front doors: convert() for a torch.nn.Module, convert_onnx() for an ONNX model.
Both convert in-process through the C++ binding (pt2tflite._core) and return the .tflite
flatbuffer as bytes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from . import _core, _export, _options
from ._options import QuantizationRequest

__all__ = ["convert", "convert_onnx", "supported_onnx_ops", "constant_input_onnx_ops", "dynamic_shape_onnx_ops",
           "pass_names"]

def convert(model, example_inputs, *, io_layout: str = "nchw", batch: int | None = None,
            input_shapes: Mapping[str, Sequence[int]] | Sequence[Sequence[int]] | None = None,
            opset: int | None = None, exporter: str = "auto",
            input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
            quantize: str | None = None, representative_dataset: Callable[[], Iterable] | None = None,
            io_type=None, quantize_options: Mapping[str, Any] | None = None,
            save_onnx: str | os.PathLike | None = None,
            export_options: dict[str, Any] | None = None, dump_after: str | None = None,
            lstm: str = "fused") -> bytes:
    """Converts a torch.nn.Module to a .tflite flatbuffer (bytes).

    The model is exported to ONNX in a temporary folder (in eval mode; its training flags are
    restored afterwards), then converted by the C++ core in-process.

    model, example_inputs  the module and one example per input (a tensor, or a tuple of them;
                           numpy arrays work too); the export traces the model with them
    io_layout              "nchw": inputs/outputs as the PyTorch model has them (one transpose
                           at each image border); "nhwc": channels-last inputs/outputs of rank
                           3-5, no layout transposes at all
    batch, input_shapes    the .tflite's input sizes, when other than the examples': the batch
                           of every input, or full shapes by input name (or a list, by position).
                           The model is exported at those sizes (examples repeated along the
                           batch or, for other shapes, replaced by random values)
    opset, exporter        ONNX opset (default: the exporter's), and "auto" (dynamo, falling
                           back to TorchScript with a warning), "dynamo" or "torchscript"
    input_names, output_names
                           names in the ONNX model and the .tflite signature; inputs default to
                           forward()'s parameter names
    quantize, representative_dataset, io_type, quantize_options
                           post-training quantization: "float16" (float16 weights), "dynamic"
                           (int8 weights), "int8" (full integer), "int16x8" (int16 activations).
                           representative_dataset (int8/int16x8): a function yielding samples, each
                           a list of input arrays in the PyTorch model's layout (~100 samples);
                           io_type: the .tflite's input/output dtype (pt2tflite.int8, uint8 for
                           int8; int16 for int16x8; float32 by default), or an (input, output) pair;
                           quantize_options: the CLI's finer controls, as a dict:
                           allow_float_fallback (default True: an op with no integer kernel stays
                           float; False fails instead), per_tensor, fallback_float (node names or
                           op types kept float), observer ("minmax", "moving_average",
                           "percentile"), percentile, calibration_size
    save_onnx              also keep the exported ONNX model here (e.g. for pt2tflite.verify)
    export_options         extra keyword arguments for torch.onnx.export
    dump_after             print the graph after this converter pass to stderr ("all", "list")
    lstm                   "fused" (default): an LSTM becomes TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM
                           where that is exact (int8/int16x8 always unroll); "unrolled": plain
                           ops per time step, for TFLite Micro and Ethos-U (Vela)

    Raises ConversionError subclasses (UnsupportedError, InvalidModelError, …) with the
    converter's message, ExportError when torch.onnx.export fails, MissingExtraError without torch.
    """
    nhwc = _options.check_layout(io_layout)
    batch = _options.check_batch(batch)
    q = _options.quantization_request(quantize, representative_dataset, io_type, quantize_options,
                                      api="pt2tflite.convert()")
    return convert_torch(model, example_inputs, nhwc_io=nhwc, batch=batch, input_shapes=input_shapes,
                         quantization=q, opset=opset, exporter=exporter, input_names=input_names,
                         output_names=output_names, save_onnx=save_onnx, export_options=export_options,
                         dump_after=dump_after, lstm=_options.check_lstm(lstm))


def convert_onnx(model, *, io_layout: str = "nchw", batch: int | None = None,
                 input_shapes: Mapping[str, Sequence[int]] | Sequence[Sequence[int]] | None = None,
                 quantize: str | None = None, representative_dataset: Callable[[], Iterable] | None = None,
                 io_type=None, quantize_options: Mapping[str, Any] | None = None,
                 dump_after: str | None = None, lstm: str = "fused") -> bytes:
    """Converts an ONNX model to a .tflite flatbuffer (bytes).

    model: a path (external data is read from its folder), the serialized model as bytes (no
    external data), or an onnx.ModelProto. Other arguments as for convert().
    """
    nhwc = _options.check_layout(io_layout)
    batch = _options.check_batch(batch)
    q = _options.quantization_request(quantize, representative_dataset, io_type, quantize_options,
                                      api="pt2tflite.convert_onnx()")
    return convert_onnx_model(model, nhwc_io=nhwc, batch=batch, input_shapes=input_shapes, quantization=q,
                              dump_after=dump_after, lstm=_options.check_lstm(lstm))


def supported_onnx_ops() -> list[str]:
    """The ONNX op types this build converts, sorted."""
    return list(_core.supported_onnx_ops())


def constant_input_onnx_ops() -> list[str]:
    """The supported ONNX op types evaluated while converting (NonZero, window functions ...):
    their output shape depends on input values, so their inputs must be constant."""
    return list(_core.constant_input_onnx_ops())


def dynamic_shape_onnx_ops() -> list[str]:
    """The supported ONNX op types that also take and give tensors whose extents are known only
    at run time (a Reshape to a shape the graph computes, NonZero …): LiteRT sizes those
    tensors when it runs; other ops need static shapes."""
    return list(_core.dynamic_shape_onnx_ops())


def pass_names() -> list[str]:
    """The converter's passes in pipeline order (for dump_after)."""
    return list(_core.pass_names())


# --------------------------------------------------------------------------- shared with lite


def convert_torch(model, example_inputs, *, nhwc_io: bool, batch: int | None, input_shapes,
                  quantization: QuantizationRequest | None, opset=None, exporter="auto",
                  input_names=None, output_names=None, save_onnx=None, export_options=None,
                  dump_after=None, lstm: str = "fused") -> bytes:
    torch = _export.import_torch("pt2tflite.convert() of a torch.nn.Module")
    accepted = (torch.nn.Module,) + ((torch.export.ExportedProgram,) if hasattr(torch, "export") else ())
    if not isinstance(model, accepted):
        raise TypeError(f"model is a {type(model).__name__}; expected a torch.nn.Module "
                        f"(for an ONNX file use pt2tflite.convert_onnx)")
    examples = _export.as_example_inputs(torch, example_inputs)
    names = list(input_names) if input_names else (
        _export.default_input_names(model, len(examples))
        or (["input"] if len(examples) == 1 else [f"input_{i}" for i in range(len(examples))]))
    if len(names) != len(examples):
        raise ValueError(f"input_names has {len(names)} names for {len(examples)} example inputs")
    shapes = _options.check_input_shapes(input_shapes, names)
    unknown = sorted(set(shapes) - set(names))
    if unknown:
        raise ValueError(f"input_shapes names {unknown}; the model's inputs are {names}")
    examples = _export.reshape_examples(torch, examples, names, batch, shapes)
    with tempfile.TemporaryDirectory(prefix="pt2tflite-") as tmp:
        path = Path(save_onnx) if save_onnx is not None else Path(tmp) / "model.onnx"
        path.parent.mkdir(parents=True, exist_ok=True)
        _export.export(model, examples, path, exporter=exporter, opset=opset, input_names=names,
                       output_names=output_names, export_options=export_options)
        opts = _options.to_core(nhwc_io=nhwc_io, batch=batch, input_shapes=shapes, dump_after=dump_after,
                                quantization=quantization, input_names=names, lstm=lstm)
        return _core.convert_file(str(path), opts)


def convert_onnx_model(model, *, nhwc_io: bool, batch: int | None, input_shapes,
                       quantization: QuantizationRequest | None, dump_after=None, lstm: str = "fused") -> bytes:
    if isinstance(model, (str, os.PathLike)):
        source, data = os.fspath(model), None
    elif isinstance(model, (bytes, bytearray, memoryview)):
        source, data = None, bytes(model)
    elif hasattr(model, "SerializeToString"):  # onnx.ModelProto
        source, data = None, model.SerializeToString()
    else:
        raise TypeError(f"model is a {type(model).__name__}; expected a path, the model's bytes or an "
                        f"onnx.ModelProto (for a torch.nn.Module use pt2tflite.convert)")
    names = None
    needs_names = (input_shapes is not None and not isinstance(input_shapes, Mapping)) or quantization is not None
    if needs_names:
        names = _onnx_input_names(source if source is not None else data)
    shapes = _options.check_input_shapes(input_shapes, names)
    opts = _options.to_core(nhwc_io=nhwc_io, batch=batch, input_shapes=shapes, dump_after=dump_after,
                            quantization=quantization, input_names=names, lstm=lstm)
    if source is not None:
        return _core.convert_file(source, opts)
    return _core.convert_bytes(data, "", opts)


def _onnx_input_names(source) -> list[str] | None:
    """Graph inputs that are not initializers, in order; None without the onnx package."""
    try:
        import onnx
    except ImportError:
        return None
    try:
        m = onnx.load_from_string(source) if isinstance(source, bytes) else onnx.load(source, load_external_data=False)
    except Exception:  # noqa: BLE001 — the converter reports a bad model with its own message
        return None
    inits = {t.name for t in m.graph.initializer}
    return [i.name for i in m.graph.input if i.name not in inits]
