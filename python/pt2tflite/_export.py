"""torch.nn.Module → ONNX file, with either of torch's exporters.

exporter="auto" (the default) tries the dynamo exporter (torch.export based; torch's default
since 2.9 and the maintained one; it handles more Python than tracing does) and, if it fails,
falls back to the TorchScript exporter with a warning naming the dynamo error. Both produce
models pt2tflite converts (the e2e suite runs every model through both).
"""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .errors import ConversionError, MissingExtraError

EXPORTERS = ("auto", "dynamo", "torchscript")
TORCHSCRIPT_OPSET = 17  # what the TorchScript exporter does best; the importer takes 7-28


class ExportError(ConversionError):
    """torch.onnx.export failed (the converter never saw the model)."""

    kind = "export"


def import_torch(feature: str):
    try:
        import torch
    except ImportError as e:
        raise MissingExtraError(feature, "torch", "torch", e) from e
    return torch


def as_example_inputs(torch, example_inputs) -> tuple:
    """A tensor, an array, or a tuple/list of them → a tuple of tensors."""
    if isinstance(example_inputs, (tuple, list)):
        items = list(example_inputs)
    else:
        items = [example_inputs]
    out = []
    for i, x in enumerate(items):
        if isinstance(x, np.ndarray):
            x = torch.from_numpy(np.ascontiguousarray(x))
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"example_inputs[{i}] is a {type(x).__name__}; expected a torch.Tensor or numpy array "
                            f"(pass several inputs as a tuple)")
        out.append(x)
    if not out:
        raise ValueError("example_inputs is empty; pass one example tensor per model input")
    return tuple(out)


def reshape_examples(torch, examples: tuple, names: Sequence[str], batch: int | None,
                     input_shapes: dict[str, list[int]]) -> tuple:
    """Example inputs with the requested batch / shapes, so the export is static at the size
    the .tflite will have: the batch by repeating the examples, other shapes by new values
    (seeded normal for floats, zeros otherwise)."""
    out = []
    gen = torch.Generator().manual_seed(0)
    for name, x in zip(names, examples):
        want = list(x.shape)
        if batch is not None and x.dim() > 0:
            want[0] = batch
        if name in input_shapes:
            want = list(input_shapes[name])
        if want == list(x.shape):
            out.append(x)
        elif len(want) == x.dim() and want[1:] == list(x.shape[1:]) and x.shape[0] > 0:
            reps = -(-want[0] // x.shape[0])
            out.append(x.repeat(reps, *([1] * (x.dim() - 1)))[: want[0]].contiguous())
        elif x.is_floating_point():
            out.append(torch.randn(want, generator=gen, dtype=x.dtype))
        else:
            out.append(torch.zeros(want, dtype=x.dtype))
    return tuple(out)


def default_input_names(model, n: int) -> list[str] | None:
    """The forward() parameter names of the first n positional inputs, when there are such."""
    try:
        params = list(inspect.signature(model.forward).parameters.values())
    except (TypeError, ValueError, AttributeError):
        return None
    names = []
    for p in params[:n]:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            return None
        names.append(p.name)
    return names if len(names) == n else None


@contextlib.contextmanager
def _eval_mode(model):
    """Exports see the model in eval mode (dropout off, BatchNorm running stats); the caller's
    training flags are restored afterwards."""
    modules = list(model.modules()) if hasattr(model, "modules") else []
    flags = [m.training for m in modules]
    try:
        if hasattr(model, "eval"):
            model.eval()
        yield
    finally:
        for m, f in zip(modules, flags):
            m.training = f


@contextlib.contextmanager
def _quiet():
    """Hides the exporters' progress lines, deprecation warnings and registry chatter; the
    captured text is attached to an ExportError instead."""
    buf = io.StringIO()
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(buf):
            warnings.simplefilter("ignore")
            yield buf
    finally:
        logger.setLevel(level)


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"


def export(model, examples: tuple, path: Path, *, exporter: str = "auto", opset: int | None = None,
           input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
           export_options: dict[str, Any] | None = None) -> str:
    """Writes `path` (and, with dynamo, weights beside it); returns the exporter used."""
    torch = import_torch("pt2tflite.convert() of a torch.nn.Module")
    if exporter not in EXPORTERS:
        raise ValueError(f"exporter={exporter!r}; expected one of {', '.join(map(repr, EXPORTERS))}")
    common: dict[str, Any] = dict(input_names=list(input_names) if input_names else None,
                                  output_names=list(output_names) if output_names else None)
    common.update(export_options or {})

    def run(which: str) -> None:
        with _quiet(), torch.no_grad():
            if which == "dynamo":
                torch.onnx.export(model, examples, str(path), dynamo=True, opset_version=opset,
                                  verbose=False, **common)
            else:
                torch.onnx.export(model, examples, str(path), dynamo=False,
                                  opset_version=opset or TORCHSCRIPT_OPSET, **common)
        if not Path(path).is_file():
            raise ExportError(f"the {which} exporter wrote no {path}")

    with _eval_mode(model):
        if exporter != "auto":
            try:
                run(exporter)
            except ExportError:
                raise
            except Exception as e:  # noqa: BLE001 — any exporter failure, with its message
                raise ExportError(f"torch.onnx.export (exporter={exporter!r}) failed: {_first_line(e)}") from e
            return exporter
        try:
            run("dynamo")
            return "dynamo"
        except Exception as e_dynamo:  # noqa: BLE001
            for leftover in Path(path).parent.glob(Path(path).name + "*"):
                leftover.unlink()
            warnings.warn(f"pt2tflite: the dynamo exporter failed ({_first_line(e_dynamo)}); "
                          f"falling back to the TorchScript exporter. Pass exporter='torchscript' to skip "
                          f"the attempt, or exporter='dynamo' to see the full error.", stacklevel=3)
            try:
                run("torchscript")
            except Exception as e_ts:  # noqa: BLE001
                raise ExportError(f"torch.onnx.export failed with both exporters: dynamo: {_first_line(e_dynamo)}; "
                                  f"torchscript: {_first_line(e_ts)}") from e_ts
            return "torchscript"
