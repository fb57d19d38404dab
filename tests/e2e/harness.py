"""End-to-end harness: torch → ONNX (either exporter) → `pt2tflite convert` → LiteRT, compared
with onnxruntime on the same seeded float32 inputs.

Used by the tests in this folder and by bench/. Never imports TensorFlow.

Contract under test (the CLI):
  pt2tflite convert MODEL.onnx -o OUT.tflite [--nhwc-io] [--batch N] [--input-shape NAME:D0,...]
  pt2tflite inspect FILE.tflite --json   → {"ops": {...}, "transposes": n, "inputs": [...], ...}
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]

# Exporter variants a test can be parametrized with.
#   torchscript        the legacy TorchScript exporter, opset 17 (attribute forms of
#                      Squeeze/ReduceMean/Split…; folds BatchNorm into Conv itself)
#   dynamo             the default torch.export-based exporter, its default opset (20 in
#                      torch 2.13), optimizer on, weights in an external .onnx.data file
#   torchscript_nofold TorchScript exporter, opset 17, do_constant_folding=False: keeps
#                      BatchNormalization nodes (and Identity/Constant nodes) so the
#                      converter's own BatchNorm folding is exercised
EXPORTERS = ("torchscript", "dynamo")
TORCHSCRIPT_OPSET = 17

# --nhwc-io makes inputs/outputs of these ranks channels-last (see `pt2tflite --help`).
NHWC_IO_RANKS = (3, 4, 5)

# float32 accuracy rule: max |tflite - onnxruntime| <= FLOAT_TOL * max |onnxruntime|.
FLOAT_TOL = 1e-4


# --------------------------------------------------------------------------- the binary


def converter_bin() -> Path:
    return Path(os.environ.get("PT2TFLITE_BIN", REPO_ROOT / "build" / "pt2tflite"))


def run_cli(*args: str | os.PathLike, timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs the converter binary with `args`; returns the completed process (text mode)."""
    exe = converter_bin()
    if not exe.is_file():
        raise AssertionError(f"converter binary not found at {exe}: build it (cmake --build build) "
                             f"or point PT2TFLITE_BIN at it")
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def convert_args(nhwc_io: bool = False, batch: int | None = None,
                 input_shapes: dict[str, Sequence[int]] | None = None) -> list[str]:
    args: list[str] = []
    if nhwc_io:
        args.append("--nhwc-io")
    if batch is not None:
        args += ["--batch", str(batch)]
    for name, dims in (input_shapes or {}).items():
        args += ["--input-shape", f"{name}:{','.join(str(int(d)) for d in dims)}"]
    return args


def convert(onnx_path: Path, out_path: Path, *, nhwc_io: bool = False, batch: int | None = None,
            input_shapes: dict[str, Sequence[int]] | None = None, extra: Sequence[str] = ()) -> Path:
    """`pt2tflite convert`; raises AssertionError with the converter's stderr on failure."""
    out_path = Path(out_path)
    p = run_cli("convert", onnx_path, "-o", out_path, *convert_args(nhwc_io, batch, input_shapes), *extra)
    if p.returncode != 0:
        raise AssertionError(f"pt2tflite convert {onnx_path.name} failed (exit {p.returncode}):\n"
                             f"{p.stderr.strip()}\n{p.stdout.strip()}")
    assert out_path.is_file() and out_path.stat().st_size > 0, f"exit 0 but no {out_path} written"
    return out_path


def inspect_json(tflite_path: Path) -> dict:
    """Parsed `pt2tflite inspect FILE --json`."""
    p = run_cli("inspect", tflite_path, "--json")
    if p.returncode != 0:
        raise AssertionError(f"pt2tflite inspect {tflite_path} failed (exit {p.returncode}):\n{p.stderr}")
    try:
        info = json.loads(p.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"inspect --json printed invalid JSON ({e}):\n{p.stdout[:2000]}") from e
    for key in ("ops", "transposes", "inputs", "outputs", "tensors", "bytes"):
        assert key in info, f"inspect --json lacks '{key}': {sorted(info)}"
    return info


def op_summary(info: dict) -> str:
    return ", ".join(f"{k}:{v}" for k, v in sorted(info["ops"].items()))


# --------------------------------------------------------------------------- export


def export_onnx(model, example_inputs: tuple, path: Path, exporter: str, *, opset: int | None = None,
                input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
                dynamic_axes: dict | None = None, **kwargs) -> Path:
    """Exports `model` (already in eval mode) to `path` with the named exporter variant."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    common = dict(input_names=list(input_names) if input_names else None,
                  output_names=list(output_names) if output_names else None)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # deprecation chatter of the TorchScript exporter
        if exporter in ("torchscript", "torchscript_nofold"):
            if exporter == "torchscript_nofold":
                kwargs.setdefault("do_constant_folding", False)
            # Under no_grad in eval mode, nn.TransformerEncoderLayer / nn.MultiheadAttention
            # take a fused "fast path" kernel the TorchScript exporter cannot export; users
            # turn it off the same way (the math is the same).
            fastpath = torch.backends.mha.get_fastpath_enabled()
            torch.backends.mha.set_fastpath_enabled(False)
            try:
                torch.onnx.export(model, example_inputs, str(path), dynamo=False,
                                  opset_version=opset or TORCHSCRIPT_OPSET, dynamic_axes=dynamic_axes,
                                  **common, **kwargs)
            finally:
                torch.backends.mha.set_fastpath_enabled(fastpath)
        elif exporter == "dynamo":
            if dynamic_axes:
                raise ValueError("use dynamic_shapes with the dynamo exporter")
            # verbose=False silences the "[torch.onnx] Obtain model graph…" progress lines.
            with contextlib.redirect_stdout(io.StringIO()):
                torch.onnx.export(model, example_inputs, str(path), dynamo=True, opset_version=opset,
                                  verbose=False, **common, **kwargs)
        else:
            raise ValueError(f"unknown exporter {exporter!r}")
    assert path.is_file(), f"{exporter} export wrote no {path}"
    return path


def onnx_io(onnx_path: Path) -> tuple[list[tuple[str, list]], list[tuple[str, list]]]:
    """[(name, dims)] of the graph inputs (initializers excluded) and outputs; dims are ints or
    symbolic names."""
    import onnx

    m = onnx.load(str(onnx_path), load_external_data=False)
    inits = {t.name for t in m.graph.initializer}

    def dims(vi):
        return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
                for d in vi.type.tensor_type.shape.dim]

    ins = [(i.name, dims(i)) for i in m.graph.input if i.name not in inits]
    outs = [(o.name, dims(o)) for o in m.graph.output]
    return ins, outs


# --------------------------------------------------------------------------- inputs


def random_inputs(shapes: Sequence[Sequence[int]], seed: int = 0, kind: str | Sequence[str] = "normal"
                  ) -> list[np.ndarray]:
    """Seeded inputs. kind: "normal" (float32 N(0,1)), "positive" (float32 uniform [0.5, 2)),
    "ties" (float32 integers in [-2, 2]: many equal values, for argmax-like outputs), "ids:V" (int64 token ids uniform in [0, V)) or "mask" (int64 attention mask of shape
    [B, L]: ones, then zeros on a padded tail of 1 .. L/2 positions per row)."""
    rng = np.random.default_rng(seed)
    kinds = [kind] * len(shapes) if isinstance(kind, str) else list(kind)
    out = []
    for shape, k in zip(shapes, kinds):
        if k == "normal":
            a = rng.standard_normal(tuple(shape))
        elif k == "positive":
            a = rng.uniform(0.5, 2.0, tuple(shape))
        elif k == "ties":
            a = rng.integers(-2, 3, tuple(shape)).astype(np.float32)
        elif k.startswith("ids:"):
            out.append(rng.integers(0, int(k[4:]), tuple(shape), dtype=np.int64))
            continue
        elif k == "mask":
            b, length = shape
            pad = rng.integers(1, length // 2 + 1, b)
            out.append((np.arange(length)[None, :] < (length - pad)[:, None]).astype(np.int64))
            continue
        else:
            raise ValueError(k)
        out.append(np.ascontiguousarray(a, dtype=np.float32))
    return out


# --------------------------------------------------------------------------- runtimes


def run_onnxruntime(onnx_path: Path, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Outputs by name, in graph order. Graph optimizations off: the reference is the plain
    op semantics."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def channels_last_perm(rank: int) -> tuple[int, ...]:
    return (0, *range(2, rank), 1)


def channels_first_perm(rank: int) -> tuple[int, ...]:
    return (0, rank - 1, *range(1, rank - 1))


def _is_channels_last(nhwc_io: bool, rank: int) -> bool:
    return nhwc_io and rank in NHWC_IO_RANKS


def _match(tfl_names: list[str], onnx_names: list[str], what: str) -> tuple[list[int], str]:
    """For each ONNX name, the position of the TFLite tensor that carries it: by name, and the
    unmatched ones by order among the unmatched."""
    assert len(tfl_names) == len(onnx_names), (
        f"the .tflite has {len(tfl_names)} {what} {tfl_names}, the ONNX model {len(onnx_names)} {onnx_names}")
    pos: list[int | None] = [tfl_names.index(n) if n in tfl_names else None for n in onnx_names]
    free = [i for i in range(len(tfl_names)) if i not in pos]
    how = "by name" if not free else ("by order" if len(free) == len(tfl_names) else "by name and order")
    it = iter(free)
    return [p if p is not None else next(it) for p in pos], how


@dataclass
class LiteRTRun:
    outputs: dict[str, np.ndarray]           # by ONNX output name, ONNX (channels-first) layout
    input_match: str                          # "by name", "by order", …
    output_match: str
    tflite_inputs: list[dict] = field(default_factory=list)


def run_litert(tflite_path: Path, feeds: dict[str, np.ndarray], output_names: Sequence[str], *,
               nhwc_io: bool = False) -> LiteRTRun:
    """Feeds ONNX-layout `feeds` to the .tflite (transposed to channels-last for rank 3-5 when
    nhwc_io), returns the outputs in ONNX layout keyed by ONNX output name."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(tflite_path), num_threads=1)
    interp.allocate_tensors()
    ins, outs = interp.get_input_details(), interp.get_output_details()
    in_pos, in_how = _match([d["name"] for d in ins], list(feeds), "inputs")
    for (name, value), p in zip(feeds.items(), in_pos):
        d = ins[p]
        x = value.transpose(channels_last_perm(value.ndim)) if _is_channels_last(nhwc_io, value.ndim) else value
        assert tuple(d["shape"]) == x.shape, (
            f"input '{name}': the .tflite expects shape {tuple(d['shape'])}, the harness feeds {x.shape} "
            f"({'channels-last' if x is not value else 'ONNX layout'}; matched {in_how})")
        assert d["dtype"] == value.dtype, f"input '{name}' has dtype {d['dtype']}, the ONNX model {value.dtype}"
        # (np.ascontiguousarray would turn a 0-d input, e.g. a run-time scale, into 1-d.)
        interp.set_tensor(d["index"], x if x.flags.c_contiguous else np.ascontiguousarray(x))
    interp.invoke()
    out_pos, out_how = _match([d["name"] for d in outs], list(output_names), "outputs")
    result = {}
    ran = interp.get_output_details()  # shapes as sized in this run (-1 extents resolved)
    for name, p in zip(output_names, out_pos):
        # LiteRT's Python API cannot read a tensor of 0 bytes: an empty output is its shape.
        y = (np.zeros(ran[p]["shape"], ran[p]["dtype"]) if 0 in ran[p]["shape"]
             else interp.get_tensor(outs[p]["index"]))
        result[name] = y.transpose(channels_first_perm(y.ndim)) if _is_channels_last(nhwc_io, y.ndim) else y
    return LiteRTRun(result, in_how, out_how, ins)


# --------------------------------------------------------------------------- comparison


def max_rel_error(ref: np.ndarray, got: np.ndarray) -> tuple[float, float]:
    """(max abs error, max |ref|)."""
    err = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64)))) if ref.size else 0.0
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    return err, scale


def assert_close(ref: dict[str, np.ndarray], got: dict[str, np.ndarray], tol: float = FLOAT_TOL,
                 context: str = "") -> dict[str, float]:
    """max|got - ref| <= tol * max|ref| per output; returns the relative errors by name."""
    rel = {}
    for name, r in ref.items():
        g = got[name]
        assert g.shape == r.shape, f"{context}output '{name}': shape {g.shape}, onnxruntime {r.shape}"
        if not np.issubdtype(r.dtype, np.floating):
            assert np.array_equal(g, r), f"{context}output '{name}' ({r.dtype}) differs from onnxruntime"
            rel[name] = 0.0
            continue
        assert np.all(np.isfinite(g)) or not np.all(np.isfinite(r)), f"{context}output '{name}' has NaN/Inf"
        err, scale = max_rel_error(r, g)
        # An all-zero reference must be matched exactly (the bound would be 0 anyway).
        bound = tol * max(scale, float(np.finfo(np.float32).tiny))
        rel[name] = err / scale if scale else err
        assert err <= bound, (f"{context}output '{name}': max abs error {err:.3e} > {tol:g} * max|ref| "
                              f"({bound:.3e}); max|ref| = {scale:.4g}")
    return rel


def check_onnx_model(model, feeds: dict[str, np.ndarray], tmp_path: Path, name: str, *,
                     tol: float = FLOAT_TOL, extra: Sequence[str] = ()) -> Path:
    """Saves an ONNX ModelProto built in a test, converts it with the CLI (`extra` flags), runs it
    in LiteRT and onnxruntime on `feeds` (ONNX-named, any dtype) and asserts the outputs agree
    (same dtype, integers exactly, floats by assert_close). Returns the .tflite path."""
    import onnx

    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    ref = run_onnxruntime(path, feeds)
    tfl = convert(path, tmp_path / f"{name}.tflite", extra=extra)
    got = run_litert(tfl, feeds, list(ref)).outputs
    for out, r in ref.items():
        assert got[out].dtype == r.dtype, f"[{name}] {out}: dtype {got[out].dtype}, onnxruntime {r.dtype}"
    assert_close(ref, got, tol, context=f"[{name}] ")
    return tfl


def convert_refused(model, tmp_path: Path, name: str) -> str:
    """Saves an ONNX ModelProto built in a test, converts it with the CLI and asserts a clean
    refusal: exit 1, an 'unsupported' message, no output file. Returns the message."""
    import onnx

    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    out = tmp_path / f"{name}.tflite"
    p = run_cli("convert", path, "-o", out)
    assert p.returncode == 1, f"expected a refusal, got exit {p.returncode}\n{p.stderr}"
    assert "unsupported" in p.stderr, p.stderr
    assert not out.exists()
    return p.stderr


# --------------------------------------------------------------------------- exports, cached


@dataclass
class Exported:
    """One exported ONNX model with its seeded inputs and onnxruntime's outputs."""
    key: str
    exporter: str
    onnx_path: Path
    feeds: dict[str, np.ndarray]              # by ONNX input name, graph order
    reference: dict[str, np.ndarray]          # onnxruntime outputs by name, graph order
    input_dims: list[tuple[str, list]]
    output_dims: list[tuple[str, list]]

    @property
    def output_names(self) -> list[str]:
        return list(self.reference)

    def border_tensors(self) -> int:
        """Inputs + outputs of rank 3-5: the places NCHW io may need a layout transpose."""
        return sum(1 for _, d in self.input_dims + self.output_dims if len(d) in NHWC_IO_RANKS)


class ExportCache:
    """Exports each (key, exporter) once per session into `root`; a failed export is
    remembered and re-raised, so an xfail does not cost a second export.

    With `persistent` (conftest passes $PT2TFLITE_E2E_EXPORT_CACHE), exported files are also
    kept there across sessions, in a folder named by a fingerprint of the torch/onnx versions
    and of this folder's Python sources (where the models and the export are defined): a
    change to any of them starts afresh. onnxruntime still runs every session.
    """

    def __init__(self, root: Path, persistent: Path | None = None):
        self.root = Path(root)
        self.persistent = Path(persistent) / _fingerprint() if persistent else None
        self._done: dict[tuple[str, str], Exported | Exception] = {}

    def get(self, key: str, exporter: str, build: Callable[[], object], input_shapes: Sequence[Sequence[int]],
            *, seed: int = 0, kind: str | Sequence[str] = "normal", opset: int | None = None,
            export_kwargs: dict | None = None) -> Exported:
        """Callers must use one key for one (build, shapes, seed, kind, opset, kwargs)."""
        k = (key, exporter)
        if k not in self._done:
            try:
                self._done[k] = self._export(key, exporter, build, input_shapes, seed, kind, opset,
                                             export_kwargs or {})
            except Exception as e:  # noqa: BLE001 — stored and re-raised to every user
                self._done[k] = e
        v = self._done[k]
        if isinstance(v, Exception):
            raise v
        return v

    def _export(self, key, exporter, build, input_shapes, seed, kind, opset, export_kwargs) -> Exported:
        import torch

        arrays = random_inputs(input_shapes, seed=seed, kind=kind)
        name = f"{key}-{exporter}".replace("/", "_")
        kept = self.persistent / name if self.persistent else None
        if kept and (kept / "done").is_file():
            folder = kept
        else:
            folder = self.root / name
            folder.mkdir(parents=True, exist_ok=True)
            export_onnx(build(), tuple(torch.from_numpy(a.copy()) for a in arrays), folder / "model.onnx",
                        exporter, opset=opset, **export_kwargs)
            if kept:
                _keep(folder, kept)
        path = folder / "model.onnx"
        ins, outs = onnx_io(path)
        assert len(ins) == len(arrays), f"exported model has inputs {ins}, expected {len(arrays)}"
        feeds = {n: a for (n, _), a in zip(ins, arrays)}
        ref = run_onnxruntime(path, feeds)
        return Exported(key, exporter, path, feeds, ref, ins, outs)


def _fingerprint() -> str:
    import hashlib

    import onnx
    import torch

    h = hashlib.sha256(f"{torch.__version__} {onnx.__version__}".encode())
    try:
        import onnxscript
        h.update(onnxscript.__version__.encode())
    except ImportError:
        pass
    for f in sorted(Path(__file__).resolve().parent.glob("*.py")):  # model definitions live in these
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _keep(src: Path, dst: Path) -> None:
    """Copies an export into the persistent cache atomically (copy to a temp folder, rename)."""
    import shutil
    import tempfile

    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dst.parent, prefix=f".{dst.name}."))
    for f in src.iterdir():
        shutil.copy2(f, tmp / f.name)
    (tmp / "done").write_text("ok\n")
    try:
        tmp.rename(dst)
    except OSError:  # another session kept it first
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- one check


@dataclass
class Checked:
    tflite_path: Path
    info: dict                 # inspect --json
    rel_errors: dict[str, float]
    litert: LiteRTRun


def check_conversion(exp: Exported, out_dir: Path, *, nhwc_io: bool = False, tol: float = FLOAT_TOL,
                     batch: int | None = None, input_shapes: dict | None = None) -> Checked:
    """Converts `exp`, runs it in LiteRT on the same inputs as onnxruntime and asserts accuracy."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tfl = convert(exp.onnx_path, out_dir / f"{exp.key}-{exp.exporter}{'-nhwc' if nhwc_io else ''}.tflite",
                  nhwc_io=nhwc_io, batch=batch, input_shapes=input_shapes)
    info = inspect_json(tfl)
    run = run_litert(tfl, exp.feeds, exp.output_names, nhwc_io=nhwc_io)
    ctx = f"[{exp.key}, {exp.exporter}, {'nhwc' if nhwc_io else 'nchw'} io; ops {op_summary(info)}] "
    rel = assert_close(exp.reference, run.outputs, tol=tol, context=ctx)
    return Checked(tfl, info, rel, run)


def assert_transposes(checked: Checked, at_most: int, why: str = "") -> None:
    n = checked.info["transposes"]
    assert n <= at_most, (f"{n} TRANSPOSE ops left in the .tflite, expected <= {at_most}"
                          f"{' (' + why + ')' if why else ''}; ops: {op_summary(checked.info)}")
