"""Conversion options → the dict the C++ binding reads (src/python/module.cc), and the
quantization request both front doors (convert()/convert_onnx() and lite.TFLiteConverter)
resolve their settings into. A request is fully validated here, before any export; the
representative dataset is materialised into float32 arrays only when the dict is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from . import dtypes

# pt2tflite's quantization modes (the CLI's --quantize values) and what each does.
MODES = {
    "float16": "float16 quantization (float16 weights)",
    "dynamic": "dynamic-range quantization (int8 weights, float activations)",
    "int8": "full-integer int8 quantization",
    "int16x8": "int16x8 quantization (int16 activations, int8 weights)",
}
# Model input/output types each mode allows (as TFLite's converter does).
IO_TYPES = {
    "float16": (dtypes.float32,),
    "dynamic": (dtypes.float32,),
    "int8": (dtypes.float32, dtypes.int8, dtypes.uint8),
    "int16x8": (dtypes.float32, dtypes.int16),
}
NEEDS_DATASET = ("int8", "int16x8")
OBSERVERS = ("minmax", "moving_average", "percentile")
# quantize_options keys (the CLI's flags of the same names) and their defaults.
QUANTIZE_OPTIONS = {
    "allow_float_fallback": "ops with no integer kernel stay float32 (default True, as TF's TFLITE_BUILTINS)",
    "per_tensor": "conv/depthwise weights per tensor instead of per output channel (default False)",
    "fallback_float": "ONNX node names or TFLite op types (\"SOFTMAX\") kept float32 in int8/int16x8",
    "observer": "calibration range observer: 'minmax' (default), 'moving_average', 'percentile'",
    "percentile": "percentile kept by observer='percentile' (default 99.99)",
    "calibration_size": "use the first N representative samples only",
    "auto_fallback_db": "keep the fewest layers float32 that reach this output SQNR (dB) vs the float model",
    "auto_fallback_samples": "representative samples the auto-fallback simulation uses (default 8)",
}
IO_LAYOUTS = ("nchw", "nhwc")


@dataclass
class QuantizationRequest:
    """What to quantize and how, whichever API it came from."""

    mode: str                                     # a key of MODES
    input_type: np.dtype = dtypes.float32
    output_type: np.dtype = dtypes.float32
    representative_dataset: Callable[[], Iterable] | None = None
    # TF's TFLITE_BUILTINS next to TFLITE_BUILTINS_INT8: ops without an int8 kernel may stay
    # float (DEQUANTIZE/QUANTIZE around them); False: such an op fails the conversion, named.
    allow_float_fallback: bool = True
    requested_by: list[str] = field(default_factory=list)  # the user's settings, for messages
    # The CLI's finer controls (QUANTIZE_OPTIONS), passed as quantize_options={...}.
    per_tensor: bool = False
    fallback_float: list[str] = field(default_factory=list)
    observer: str = "minmax"
    percentile: float = 99.99
    calibration_size: int | None = None
    auto_fallback_db: float | None = None
    auto_fallback_samples: int = 8

    def describe(self) -> str:
        return MODES[self.mode]


def quantization_request(quantize: str | None, representative_dataset, io_type, quantize_options=None, *,
                         api: str = "convert()") -> QuantizationRequest | None:
    """The request of convert()/convert_onnx(): quantize="float16"|"dynamic"|"int8"|"int16x8",
    io_type = a dtype or (input dtype, output dtype), quantize_options = {QUANTIZE_OPTIONS key: value}."""
    if quantize is None:
        extra = [n for n, v in (("representative_dataset", representative_dataset), ("io_type", io_type),
                                ("quantize_options", quantize_options)) if v is not None]
        if extra:
            raise ValueError(f"{api}: {' and '.join(extra)} only apply with quantize=...; "
                             f"pass quantize='int8' (or 'int16x8'), or leave {' and '.join(extra)} unset")
        return None
    if not isinstance(quantize, str) or quantize not in MODES:
        raise ValueError(f"{api}: quantize={quantize!r}; expected one of {', '.join(map(repr, MODES))} or None")
    in_t = out_t = dtypes.float32
    if io_type is not None:
        if isinstance(io_type, (tuple, list)):
            if len(io_type) != 2:
                raise ValueError(f"{api}: io_type is a dtype or an (input dtype, output dtype) pair")
            in_t, out_t = (dtypes.as_dtype(t, "io_type") for t in io_type)
        else:
            in_t = out_t = dtypes.as_dtype(io_type, "io_type")
    by = [f"quantize={quantize!r}"]
    if representative_dataset is not None:
        by.append("representative_dataset=...")
    if io_type is not None:
        by.append(f"io_type={in_t.name}" if in_t == out_t else f"io_type=({in_t.name}, {out_t.name})")
    if quantize_options is not None:
        by.append(f"quantize_options={quantize_options!r}")
    req = QuantizationRequest(quantize, in_t, out_t, representative_dataset, requested_by=by)
    apply_quantize_options(req, quantize_options, api)
    validate(req, api)
    return req


def apply_quantize_options(req: QuantizationRequest, options: Mapping[str, Any] | None, api: str,
                           forbidden: Sequence[str] = ()) -> None:
    """quantize_options={...} onto the request; unknown keys and bad values are errors."""
    if options is None:
        return
    if not isinstance(options, Mapping):
        raise TypeError(f"{api}: quantize_options must be a dict, got {type(options).__name__}")
    for key, v in options.items():
        if key not in QUANTIZE_OPTIONS or key in forbidden:
            known = ", ".join(k for k in QUANTIZE_OPTIONS if k not in forbidden)
            raise ValueError(f"{api}: unknown quantize_options key {key!r}; known: {known}")
        if key in ("allow_float_fallback", "per_tensor"):
            if not isinstance(v, (bool, np.bool_)):
                raise TypeError(f"{api}: quantize_options[{key!r}] must be True or False, got {v!r}")
            v = bool(v)
        elif key == "fallback_float":
            v = [v] if isinstance(v, str) else list(v)
            if not v or not all(isinstance(n, str) and n for n in v):
                raise ValueError(f"{api}: quantize_options['fallback_float'] = {options[key]!r}: expected node "
                                 f"names or op types (non-empty strings)")
        elif key == "observer":
            if v not in OBSERVERS:
                raise ValueError(f"{api}: quantize_options['observer'] = {v!r}; expected one of {', '.join(OBSERVERS)}")
        elif key == "percentile":
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or not 50 < v <= 100:
                raise ValueError(f"{api}: quantize_options['percentile'] = {v!r}; expected a number in (50, 100]")
            v = float(v)
        elif key in ("calibration_size", "auto_fallback_samples"):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
                raise ValueError(f"{api}: quantize_options[{key!r}] = {v!r}; expected a positive integer")
            v = int(v)
        elif key == "auto_fallback_db":
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or not v > 0:
                raise ValueError(f"{api}: quantize_options['auto_fallback_db'] = {v!r}; expected a target SQNR in dB > 0")
            v = float(v)
        setattr(req, key, v)
    # What each mode reads; anything else would be silently ignored by the core.
    used = set(QUANTIZE_OPTIONS) if req.mode in NEEDS_DATASET else {"per_tensor"} if req.mode == "dynamic" else set()
    unused = [k for k in options if k not in used]
    if unused:
        raise ValueError(f"{api}: quantize_options {unused} do not apply to {req.describe()}")


def validate(req: QuantizationRequest, api: str) -> None:
    """Consistency rules shared by both front doors (ValueError, like TF's converter)."""
    allowed = IO_TYPES[req.mode]
    for what, t in (("input", req.input_type), ("output", req.output_type)):
        if t not in allowed:
            raise ValueError(f"{api}: {req.describe()} takes {what} type {' or '.join(a.name for a in allowed)}, "
                             f"not {t.name}")
    if req.mode in NEEDS_DATASET and req.representative_dataset is None:
        raise ValueError(f"{api}: {req.describe()} needs a representative_dataset to calibrate activation "
                         f"ranges (a function that yields lists of input arrays, ~100 samples)")
    if req.mode not in NEEDS_DATASET and req.representative_dataset is not None:
        raise ValueError(f"{api}: {req.describe()} does not use a representative_dataset; "
                         f"remove it, or ask for full-integer quantization")
    if req.representative_dataset is not None and not callable(req.representative_dataset):
        raise TypeError(f"{api}: representative_dataset must be a function returning an iterable "
                        f"(e.g. a generator function), got {type(req.representative_dataset).__name__}")


# --------------------------------------------------------------------------- to the binding


def check_layout(io_layout: str) -> bool:
    """True for NHWC I/O."""
    if not isinstance(io_layout, str) or io_layout.lower() not in IO_LAYOUTS:
        raise ValueError(f"io_layout={io_layout!r}; expected 'nchw' (the model's own layout, as in PyTorch) "
                         f"or 'nhwc' (channels-last inputs and outputs of rank 3-5, no border transposes)")
    return io_layout.lower() == "nhwc"


def check_batch(batch) -> int | None:
    if batch is None:
        return None
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch <= 0:
        raise ValueError(f"batch={batch!r}; expected a positive integer or None")
    return int(batch)


def _dims(name: str, dims) -> list[int]:
    try:
        out = [int(d) for d in dims]
    except (TypeError, ValueError):
        raise ValueError(f"input_shapes[{name!r}] = {dims!r}: expected a sequence of positive integers") from None
    if not out or any(d <= 0 for d in out):
        raise ValueError(f"input_shapes[{name!r}] = {dims!r}: expected a sequence of positive integers")
    return out


def check_input_shapes(input_shapes, input_names: Sequence[str] | None) -> dict[str, list[int]]:
    """{name: dims}. A list/tuple of shapes is positional and needs `input_names` (the ONNX
    graph inputs, in order)."""
    if input_shapes is None:
        return {}
    if isinstance(input_shapes, Mapping):
        return {str(k): _dims(str(k), v) for k, v in input_shapes.items()}
    shapes = list(input_shapes)
    if input_names is None:
        raise ValueError("input_shapes as a list needs the model's input names; pass {name: shape} instead")
    if len(shapes) != len(input_names):
        raise ValueError(f"input_shapes has {len(shapes)} shapes, the model has {len(input_names)} inputs "
                         f"{list(input_names)}")
    return {n: _dims(n, s) for n, s in zip(input_names, shapes) if s is not None}


LSTM_FORMS = ("fused", "unrolled")


def check_lstm(lstm: str) -> str:
    if not isinstance(lstm, str) or lstm.lower() not in LSTM_FORMS:
        raise ValueError(f"lstm={lstm!r}: use 'fused' (TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM where exact) "
                         f"or 'unrolled' (plain ops per time step, for TFLite Micro / Ethos-U)")
    return lstm.lower()


def to_core(*, nhwc_io: bool, batch: int | None, input_shapes: dict[str, list[int]],
            dump_after: str | None, quantization: QuantizationRequest | None,
            input_names: Sequence[str] | None = None, lstm: str = "fused") -> dict[str, Any]:
    """The options dict src/python/module.cc reads; it refuses keys it does not know."""
    opts: dict[str, Any] = {"nhwc_io": bool(nhwc_io), "batch": batch, "input_shapes": input_shapes,
                            "dump_after": dump_after, "lstm": lstm}
    if quantization is not None:
        opts["quantization"] = {
            "mode": quantization.mode,
            "input_type": quantization.input_type.name,
            "output_type": quantization.output_type.name,
            "allow_float_fallback": quantization.allow_float_fallback,
            "per_tensor": quantization.per_tensor,
            "fallback_float": list(quantization.fallback_float),
            "observer": quantization.observer,
            "percentile": quantization.percentile,
            "calibration_size": quantization.calibration_size,
            "auto_fallback_db": quantization.auto_fallback_db,
            "auto_fallback_samples": quantization.auto_fallback_samples,
            # Materialised here, after the export: the user's generator is consumed once.
            "calibration": (calibration_samples(quantization.representative_dataset, input_names,
                                                quantization.calibration_size)
                            if quantization.representative_dataset is not None else None),
        }
    return opts


def calibration_samples(dataset, input_names: Sequence[str] | None, limit: int | None = None
                        ) -> list[list[np.ndarray]]:
    """The representative dataset as a list of samples, each a list of float32 arrays in the
    model's input order (ONNX layout, i.e. as the PyTorch model takes them, whatever io_layout).

    `dataset` is what TFLiteConverter.representative_dataset holds: a function returning an
    iterable whose items are a list/tuple of arrays (the seeds' `yield [image]`), one array, or
    a dict {input name: array}; torch tensors are accepted. lite.RepresentativeDataset too.
    """
    gen = getattr(dataset, "input_gen", dataset)
    it = gen() if callable(gen) else gen
    samples: list[list[np.ndarray]] = []
    for i, item in enumerate(it):
        if limit is not None and i >= limit:
            break
        if isinstance(item, Mapping):
            if input_names is None:
                raise ValueError("representative_dataset yields dicts, but the model's input names are unknown")
            missing = [n for n in input_names if n not in item]
            if missing:
                raise ValueError(f"representative_dataset sample {i} lacks inputs {missing} (has {sorted(item)})")
            arrays = [item[n] for n in input_names]
        elif isinstance(item, (list, tuple)):
            arrays = list(item)
        else:
            arrays = [item]
        if input_names is not None and len(arrays) != len(input_names):
            raise ValueError(f"representative_dataset sample {i} has {len(arrays)} arrays, the model has "
                             f"{len(input_names)} inputs {list(input_names)}")
        samples.append([_to_numpy(a) for a in arrays])
    if not samples:
        raise ValueError("representative_dataset yielded no samples")
    return samples


def _to_numpy(a) -> np.ndarray:
    if type(a).__module__.startswith("torch"):
        a = a.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))
