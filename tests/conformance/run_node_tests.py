#!/usr/bin/env python3
"""ONNX backend node tests, converted by pt2tflite and run in LiteRT.

ONNX ships one tiny model per op case (onnx/backend/test/data/node/<test>/model.onnx plus
test_data_set_*/input_*.pb and output_*.pb). For every test whose op types are all ones the
converter claims (`pt2tflite ops`; Constant is read by the importer), this script converts
the model with the CLI, runs the .tflite in LiteRT (default op resolver, as a user gets it),
feeds the inputs by their ONNX names through the signature runner and compares with the
expected outputs. Each test ends up as one of:

  pass         every output matches (float: max|err| <= rel*max|ref| + 1e-5, NaN/inf in
               the same places; ints/bools exact; same dtype and shape)
  fail         wrong numbers/shape/dtype, LiteRT could not load or run our file, the
               converter crashed or reported an internal error / called a valid ONNX test
               model invalid: our bug
  refused      the converter exited with a clear 'unsupported' error (the reason is kept and
               classified: dtype TFLite lacks, opset, non-tensor types, ...)
  not_claimed  some op type of the model is not in `pt2tflite ops`
  random       the model draws random numbers (Bernoulli, RandomUniformLike …): ONNX's expected
               outputs are numpy's draws, which no other generator reproduces; these ops are
               judged by the statistical e2e tests instead (tests/e2e/test_losses_misc_onnx.py)

Pass rate = pass / claimed tests (claimed = pass + fail + refused). Refusals for a dtype
TFLite has no kernel type for (double, uint64, strings, float8 ...) are also reported apart,
with the rate over the other tests ("expressible").

The wheel may ship without the node test data; then the cases are generated once from the
wheel's own generator (onnx.backend.test.case.node, ~15 s) into a cache directory in the
same layout.

Usage:
  run_node_tests.py [--bin PT2TFLITE] [--data-dir DIR] [--json OUT.json] [--markdown OUT.md]
                    [-k SUBSTRING ...] [--jobs N] [--keep DIR] [-v]
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import os
import queue
import re
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]

# Float tolerance: max|actual - expected| <= REL_TOL * max|expected| + ABS_TOL.
REL_TOL = 1e-4
ABS_TOL = 1e-5
# Per-op relative tolerance where TFLite's float32 kernels are not correctly rounded and the
# ONNX reference is computed in float64 then rounded. Keyed by the test's op key.
#   (none needed so far: measured errors of EXP/LOG/POW/SOFTMAX/TANH/LOGISTIC stay inside REL_TOL)
OP_REL_TOL: dict[str, tuple[float, str]] = {}
# float16 outputs: the expected values are rounded to float16 (10-bit mantissa), and a
# kernel that keeps other intermediate precision lands one or two float16 steps away, so
# they get 2 float16 ulps at max|ref| instead of REL_TOL.
FLOAT16_REL_TOL = 2 * 2.0 ** -10
# Per-test absolute tolerance where the expected values themselves are rounded.
TEST_ABS_TOL: dict[str, tuple[float, str]] = {
    "test_averagepool_2d_ceil_last_window_starts_on_pad":
        (1e-4, "the expected output is written with 4 decimals in onnx/backend/test/case/node/averagepool.py"),
}

# Ops the importer handles itself (no lowering of their own).
IMPORTER_OPS = {"Constant"}

# Refusal categories, first match wins (matched against the converter's message, with the
# model's path removed).
REFUSAL_CATEGORIES = [
    ("opset", re.compile(r"ONNX opset \d+ \(supported")),
    ("non-tensor type", re.compile(r"is not a tensor|sequence/map/optional", re.I)),
    ("dtype", re.compile(r"element type|has no TFLite equivalent|float64|uint64|double|\bstrings?\b|"
                         r"bfloat16|float8|\bint4\b|dtype|data type", re.I)),
    ("run-time parameter", re.compile(r"computed at run time|must be constant|needs constant|"
                                      r"data-dependent|has no static shape", re.I)),
]


# --------------------------------------------------------------------------- test data


def default_data_dir() -> Path | None:
    import onnx

    d = Path(onnx.__file__).parent / "backend" / "test" / "data" / "node"
    return d if d.is_dir() and any(d.iterdir()) else None


def generated_data_dir(cache_root: Path | None = None) -> Path:
    """Node test data generated from the installed onnx's test case generators, cached per
    onnx version (the generators are deterministic)."""
    import onnx

    root = cache_root or Path(os.environ.get("PT2TFLITE_ONNX_NODE_CACHE",
                                             Path(tempfile.gettempdir()) / "pt2tflite-onnx-node-tests"))
    out = Path(root) / f"onnx-{onnx.__version__}" / "node"
    stamp = out / ".complete"
    if stamp.is_file():
        return out
    _generate(out)
    stamp.write_text(onnx.__version__ + "\n")
    return out


def _generate(out: Path) -> None:
    import shutil

    import onnx.backend.test.case.node as node_cases
    from onnx import TensorProto, numpy_helper

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        cases = node_cases.collect_testcases(None)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    def proto(value, vi):
        t = vi.type
        if t.HasField("sequence_type"):
            return numpy_helper.from_list(value, vi.name)
        if t.HasField("optional_type"):
            return numpy_helper.from_optional(value, vi.name)
        if t.HasField("map_type"):
            return numpy_helper.from_dict(value, vi.name)
        return value if isinstance(value, TensorProto) else numpy_helper.from_array(np.asarray(value), vi.name)

    for case in cases:
        d = out / case.name
        d.mkdir()
        (d / "model.onnx").write_bytes(case.model.SerializeToString())
        for i, (inputs, outputs) in enumerate(case.data_sets):
            ds = d / f"test_data_set_{i}"
            ds.mkdir()
            for kind, values, vis in (("input", inputs, case.model.graph.input),
                                      ("output", outputs, case.model.graph.output)):
                for j, v in enumerate(values):
                    try:
                        data = proto(v, vis[j]).SerializeToString()
                    except Exception:  # noqa: BLE001 — odd types we never convert anyway
                        continue
                    (ds / f"{kind}_{j}.pb").write_bytes(data)


def test_names(data_dir: Path) -> list[str]:
    return sorted(p.name for p in data_dir.iterdir() if (p / "model.onnx").is_file())


def model_op_types(model) -> set[tuple[str, str]]:
    """(domain, op_type) of every node, subgraphs included."""
    out = set()

    def walk(graph):
        for n in graph.node:
            out.add((n.domain or "", n.op_type))
            for a in n.attribute:
                if a.HasField("g"):
                    walk(a.g)
                for g in a.graphs:
                    walk(g)

    walk(model.graph)
    return out


def unclaimed_ops(model, claimed: set[str]) -> list[str]:
    missing = set()
    for domain, op in model_op_types(model):
        if domain not in ("", "ai.onnx"):
            missing.add(f"{domain}.{op}")
        elif op not in claimed and op not in IMPORTER_OPS:
            missing.add(op)
    return sorted(missing)


def op_key(name: str, model, keys: dict[str, str]) -> str:
    """The op a test is about: its node's op type; '<Op> [expanded]' for the function-body
    form ONNX also ships (test_<x>_expanded*), keyed by the un-expanded test's op."""
    m = re.match(r"(.*)_expanded(_.*)?$", name)
    if m:
        base = m.group(1) + (m.group(2) or "")
        base_key = keys.get(base) or keys.get(m.group(1))
        if base_key:
            return base_key + " [expanded]"
        return "? [expanded]"
    ops = sorted({op for _, op in model_op_types(model)} - {"Constant"}) or ["Constant"]
    return "+".join(ops)


# --------------------------------------------------------------------------- one test


@dataclass
class Result:
    name: str
    op: str
    status: str  # pass | fail | refused | not_claimed | random
    reason: str = ""  # one line, for tables
    detail: str = ""  # the converter's/LiteRT's whole message
    category: str = ""  # refusal category, or the stage a failure happened in
    missing_ops: list[str] = field(default_factory=list)
    max_err: float | None = None
    seconds: float = 0.0
    # Retry of a test refused for a run-time parameter, with the named graph inputs frozen
    # into constants (their test values). Not part of `status`; reported apart.
    frozen: list[str] = field(default_factory=list)
    frozen_status: str = ""
    frozen_reason: str = ""
    frozen_category: str = ""
    io_types: list[str] = field(default_factory=list)  # ONNX element types of the graph inputs/outputs


def _load_tensor(path: Path) -> np.ndarray:
    import onnx
    from onnx import numpy_helper

    return numpy_helper.to_array(onnx.load_tensor(str(path)))


def _is_tensor_vi(vi) -> bool:
    return vi.type.HasField("tensor_type")


def _elem_type_name(vi) -> str:
    from onnx import TensorProto

    if not _is_tensor_vi(vi):
        return vi.type.WhichOneof("value") or "?"
    return TensorProto.DataType.Name(vi.type.tensor_type.elem_type)


def classify_refusal(msg: str) -> str:
    for cat, rx in REFUSAL_CATEGORIES:
        if rx.search(msg):
            return cat
    return "other"


def _short(msg: str, limit: int = 240) -> str:
    msg = msg.strip().replace("pt2tflite: error: ", "")
    text = " | ".join(l.strip() for l in msg.splitlines() if l.strip())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def compare(actual: np.ndarray, expected: np.ndarray, rel: float, abs_tol: float = ABS_TOL
            ) -> tuple[bool, str, float | None]:
    """(ok, reason, max_err) of one output against the expected tensor."""
    if actual.shape != expected.shape:
        return False, f"shape {list(actual.shape)} != expected {list(expected.shape)}", None
    if actual.dtype != expected.dtype:
        return False, f"dtype {actual.dtype} != expected {expected.dtype}", None
    if expected.dtype.kind != "f":
        if not np.array_equal(actual, expected):
            bad = int(np.sum(actual != expected))
            return False, f"{bad} of {expected.size} elements differ", None
        return True, "", 0.0
    if expected.dtype == np.float16:
        rel = max(rel, FLOAT16_REL_TOL)
    a, e = actual.astype(np.float64), expected.astype(np.float64)
    nan_e, nan_a = np.isnan(e), np.isnan(a)
    if not np.array_equal(nan_e, nan_a):
        return False, f"NaN in {int((nan_e != nan_a).sum())} position(s) that differ from expected", None
    inf_e = np.isinf(e)
    if not np.array_equal(a[inf_e], e[inf_e]) or np.isinf(a[~inf_e]).any():
        return False, "infinities differ from expected", None
    fin = ~(nan_e | inf_e)
    if not fin.any():
        return True, "", 0.0
    err = float(np.max(np.abs(a[fin] - e[fin])))
    ref = float(np.max(np.abs(e[fin])))
    tol = rel * ref + abs_tol
    if err > tol:
        return False, f"max abs err {err:.3g} > tol {tol:.3g} (max|ref| {ref:.3g})", err
    return True, "", err


@dataclass
class Outcome:
    status: str
    reason: str = ""
    detail: str = ""
    category: str = ""
    max_err: float | None = None


def load_datasets(tdir: Path, model) -> list[tuple[dict[str, np.ndarray], list[np.ndarray]]] | None:
    """[(inputs by graph input name, expected outputs in graph order)], or None when the
    model has non-tensor inputs/outputs (whose .pb files are not TensorProtos)."""
    if not all(_is_tensor_vi(v) for v in list(model.graph.input) + list(model.graph.output)):
        return None
    init = {i.name for i in model.graph.initializer}
    in_names = [i.name for i in model.graph.input if i.name not in init]
    out = []
    for ds in sorted(tdir.glob("test_data_set_*")):
        feeds = {n: _load_tensor(ds / f"input_{j}.pb") for j, n in enumerate(in_names)}
        expected = [_load_tensor(ds / f"output_{j}.pb") for j in range(len(model.graph.output))]
        out.append((feeds, expected))
    return out


def convert_and_run(binary: str, model_path: Path, model, datasets, tfl: Path, rel: float,
                    abs_tol: float = ABS_TOL) -> Outcome:
    """Converts `model_path` with the CLI and checks the .tflite in LiteRT against datasets."""
    try:
        p = subprocess.run([binary, "convert", str(model_path), "-o", str(tfl)],
                           capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return Outcome("fail", "converter timed out (120 s)", category="convert")
    if p.returncode != 0:
        msg = (p.stderr + p.stdout).replace(str(model_path), model_path.name)
        m = re.search(r"error: (unsupported|invalid model|internal error|[a-z ]+):", msg)
        kind = m.group(1) if m else ""
        if p.returncode == 1 and kind == "unsupported":
            return Outcome("refused", _short(msg), msg.strip(), classify_refusal(msg))
        what = (f"converter crashed (exit {p.returncode})" if p.returncode < 0 or p.returncode > 2
                else f"converter: {kind or 'error'}")
        return Outcome("fail", f"{what}: {_short(msg, 200)}", msg.strip(), "convert")
    if not tfl.is_file():
        return Outcome("fail", "converter exited 0 but wrote nothing", category="convert")
    if datasets is None:
        return Outcome("fail", "converted a model with sequence/optional/map inputs or outputs instead of refusing",
                       category="convert")
    try:
        from ai_edge_litert.interpreter import Interpreter

        # Inputs and outputs by their (ONNX) tensor names, run through the interpreter: the
        # signature runner cannot return a 0-element output (Python's LiteRT cannot read one).
        interp = Interpreter(model_path=str(tfl))
        interp.allocate_tensors()
        in_details = {d["name"]: d for d in interp.get_input_details()}
        out_details = {d["name"]: d for d in interp.get_output_details()}
        signatures = interp.get_signature_list()
    except Exception as e:  # noqa: BLE001
        return Outcome("fail", "LiteRT could not load the file: " + _short(str(e), 200), str(e), "load")
    worst = 0.0
    out_names = [o.name for o in model.graph.output]
    sig = next(iter(signatures.values()), {})
    if sorted(sig.get("inputs", [])) != sorted(datasets[0][0] if datasets else []) or \
            sorted(sig.get("outputs", [])) != sorted(out_names):
        return Outcome("fail", f"the signature {sig} does not name the ONNX inputs/outputs", category="io")
    for feeds, expected in datasets:
        for name, x in feeds.items():
            if name not in in_details:
                return Outcome("fail", f"the TFLite model has no input '{name}' (has {sorted(in_details)})",
                               category="io")
            d = in_details[name]
            if np.dtype(d["dtype"]) != x.dtype or tuple(d["shape"]) != x.shape:
                return Outcome("fail", f"input '{name}' is {np.dtype(d['dtype'])}{list(d['shape'])} in TFLite, "
                               f"{x.dtype}{list(x.shape)} in the test", category="io")
        try:
            for name, x in feeds.items():
                interp.set_tensor(in_details[name]["index"], x)
            interp.invoke()
            # Shapes as of this run: an output sized at run time may be empty now, and LiteRT's
            # get_tensor refuses an empty tensor.
            now = {d["name"]: d for d in interp.get_output_details()}
            got = {name: (np.zeros(now[name]["shape"], d["dtype"]) if 0 in now[name]["shape"]
                          else interp.get_tensor(d["index"]))
                   for name, d in out_details.items()}
        except Exception as e:  # noqa: BLE001
            return Outcome("fail", "LiteRT could not run the file: " + _short(str(e), 200), str(e), "run")
        for oname, exp in zip(out_names, expected):
            if oname not in got:
                return Outcome("fail", f"the TFLite model has no output '{oname}' (has {sorted(got)})",
                               category="io")
            ok, why, err = compare(np.asarray(got[oname]), exp, rel, abs_tol)
            if not ok:
                return Outcome("fail", f"output '{oname}': {why}", category="numbers", max_err=err)
            worst = max(worst, err or 0.0)
    return Outcome("pass", max_err=worst)


def freezable_inputs(message: str, model, datasets, already: list[str]) -> list[str]:
    """Graph inputs a run-time-parameter refusal names (quoted), whose value is the same in
    every data set; never every input of the model."""
    if not datasets:
        return []
    init = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in init]
    quoted = set(re.findall(r"'([^']+)'", message))
    names = [n for n in inputs if n in quoted and n not in already]
    names = [n for n in names if all(np.array_equal(ds[0][n], datasets[0][0][n]) for ds in datasets)]
    return names if len(names) < len(inputs) else []


def freeze(model, datasets, names: list[str]):
    """A copy of `model` with the graph inputs `names` turned into initializers."""
    import onnx
    from onnx import numpy_helper

    m = onnx.ModelProto()
    m.CopyFrom(model)
    keep = [i for i in m.graph.input if i.name not in names]
    del m.graph.input[:]
    m.graph.input.extend(keep)
    for n in names:
        m.graph.initializer.append(numpy_helper.from_array(datasets[0][0][n], n))
    new_sets = [({k: v for k, v in feeds.items() if k not in names}, exp) for feeds, exp in datasets]
    return m, new_sets


# Ops whose outputs are random draws: their node tests cannot be compared value by value.
RANDOM_OPS = {"Bernoulli", "Multinomial", "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike"}


def _op_types(model) -> set[str]:
    ops = set()
    for node in model.graph.node:
        ops.add(node.op_type)
        for a in node.attribute:
            if a.g.node:
                ops |= {n.op_type for n in a.g.node}
    return ops


def run_one(name: str, data_dir: Path, binary: str, claimed: set[str], key: str, work: Path,
            keep: Path | None = None) -> Result:
    import onnx

    t0 = time.time()
    tdir = data_dir / name
    model = onnx.load(str(tdir / "model.onnx"))
    missing = unclaimed_ops(model, claimed)
    if missing:
        return Result(name, key, "not_claimed", "needs " + ", ".join(missing), missing_ops=missing)
    drawn = sorted(RANDOM_OPS & _op_types(model))
    if drawn:
        return Result(name, key, "random", "expected outputs are numpy's random draws (" + ", ".join(drawn) + ")")
    io_types = sorted({_elem_type_name(v) for v in list(model.graph.input) + list(model.graph.output)})
    rel = OP_REL_TOL.get(key, (REL_TOL, ""))[0]
    abs_tol = TEST_ABS_TOL.get(name, (ABS_TOL, ""))[0]
    datasets = load_datasets(tdir, model)
    out_dir = keep or work
    tfl = out_dir / f"{name}.tflite"
    o = convert_and_run(binary, tdir / "model.onnx", model, datasets, tfl, rel, abs_tol)
    r = Result(name, key, o.status, o.reason, o.detail, o.category, max_err=o.max_err, io_types=io_types)
    # A refusal for a parameter fed at run time (the node tests feed Slice starts, Resize
    # sizes, Reduce axes ... as graph inputs): retry with it frozen to its test value, which
    # is how exported models carry it, so the lowering's semantics still get checked.
    msg, m, sets = o.detail, model, datasets
    for _ in range(6):  # one parameter may be reported per round
        if not (o.status == "refused" and o.category == "run-time parameter"):
            break
        names = freezable_inputs(msg, m, sets, r.frozen)
        if not names:
            break
        r.frozen += names
        m, sets = freeze(m, sets, names)
        frozen_path = out_dir / f"{name}.frozen.onnx"
        onnx.save(m, str(frozen_path))
        o = convert_and_run(binary, frozen_path, m, sets, out_dir / f"{name}.frozen.tflite", rel, abs_tol)
        msg = o.detail
        r.frozen_status, r.frozen_reason, r.frozen_category = o.status, o.reason, o.category
    if not keep:
        for f in work.glob(f"{name}.*"):
            f.unlink(missing_ok=True)
    r.seconds = round(time.time() - t0, 3)
    return r


# --------------------------------------------------------------------------- the sweep


def _worker(tasks, results, data_dir, binary, claimed, work, keep, log_path):
    # LiteRT prints "INFO: Created TensorFlow Lite XNNPACK delegate" per interpreter, and an
    # abort message when it dies: keep both in a log the parent reads on a crash.
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    warnings.simplefilter("ignore")
    while True:
        item = tasks.get()
        if item is None:
            return
        idx, name, key = item
        results.put(("start", idx, os.getpid()))
        try:
            r = run_one(name, Path(data_dir), binary, claimed, key, Path(work), Path(keep) if keep else None)
        except Exception as e:  # noqa: BLE001 — the runner's own problem, reported as such
            r = Result(name, key, "fail", f"runner error: {type(e).__name__}: {_short(str(e), 160)}",
                       category="runner")
        results.put(("done", idx, asdict(r)))


def _log_tail(path: str) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    lines = [l for l in text.splitlines() if l.strip() and not l.startswith("INFO:")]
    return " | ".join(lines[-3:])[-300:]


def sweep(binary: str, data_dir: Path, names: list[str], claimed: set[str], keys: dict[str, str], jobs: int = 2,
          keep: Path | None = None, verbose: bool = False) -> list[Result]:
    """Runs the tests in worker processes. A worker that dies (LiteRT aborting on a bad
    file) marks its test 'fail' with the tail of its stderr, and is replaced."""
    ctx = mp.get_context("fork")
    out: dict[int, Result] = {}
    with tempfile.TemporaryDirectory(prefix="pt2tflite-conformance-") as work:
        tasks, results = ctx.Queue(), ctx.Queue()
        for i, n in enumerate(names):
            tasks.put((i, n, keys[n]))
        workers: dict[int, tuple] = {}  # pid -> (process, log path)
        running: dict[int, int] = {}  # pid -> test index
        serial = [0]

        def spawn():
            serial[0] += 1
            log = os.path.join(work, f"worker{serial[0]}.log")
            w = ctx.Process(target=_worker, daemon=True,
                            args=(tasks, results, str(data_dir), binary, claimed, work, str(keep) if keep else None,
                                  log))
            w.start()
            workers[w.pid] = (w, log)

        def record(idx: int, res: Result):
            out[idx] = res
            if verbose and res.status != "not_claimed":
                extra = f" [frozen {','.join(res.frozen)}: {res.frozen_status}]" if res.frozen else ""
                print(f"  {res.status:<8} {res.name}{extra}" + (f": {res.reason}" if res.reason else ""),
                      file=sys.stderr)

        for _ in range(max(1, min(jobs, len(names)))):
            spawn()
        while len(out) < len(names):
            try:
                msg = results.get(timeout=0.5)
            except queue.Empty:
                for pid, (w, log) in list(workers.items()):
                    if w.is_alive():
                        continue
                    del workers[pid]
                    idx = running.pop(pid, None)
                    if idx is not None and idx not in out:
                        n = names[idx]
                        record(idx, Result(n, keys[n], "fail", f"LiteRT crashed the process (exit code {w.exitcode}): "
                                           f"{_log_tail(log)}", category="crash"))
                    if len(out) < len(names):
                        spawn()
                continue
            if msg[0] == "start":
                running[msg[2]] = msg[1]
                continue
            _, idx, r = msg
            running = {pid: i for pid, i in running.items() if i != idx}
            record(idx, Result(**r))
        for _ in workers:
            tasks.put(None)
        for w, _ in workers.values():
            w.join(timeout=5)
    return [out[i] for i in range(len(names))]


# --------------------------------------------------------------------------- the report


def summarize(results: list[Result]) -> dict:
    counts = collections.Counter(r.status for r in results)
    claimed = counts["pass"] + counts["fail"] + counts["refused"]
    refused = collections.Counter(r.category for r in results if r.status == "refused")
    frozen = collections.Counter(r.frozen_status for r in results if r.frozen)
    # TFLite has no tensor type for these: a refusal is the right answer, not a gap.
    inexpressible = refused["dtype"] + refused["non-tensor type"]
    broken = ("load", "run", "crash")
    return {
        "tests": len(results),
        "claimed": claimed,
        "pass": counts["pass"],
        "fail": counts["fail"],
        "refused": counts["refused"],
        "not_claimed": counts["not_claimed"],
        "random": counts["random"],
        "refused_by_category": dict(refused.most_common()),
        "pass_rate": counts["pass"] / claimed if claimed else 0.0,
        # over claimed tests minus those refused for a type TFLite lacks
        "pass_rate_expressible": counts["pass"] / (claimed - inexpressible) if claimed > inexpressible else 0.0,
        "frozen_retried": sum(frozen.values()),
        "frozen_pass": frozen["pass"],
        "frozen_fail": frozen["fail"],
        "frozen_refused": frozen["refused"],
        # passes as shipped + passes once run-time parameters are frozen to their test values
        "pass_rate_with_frozen": (counts["pass"] + frozen["pass"]) / claimed if claimed else 0.0,
        # LiteRT could not load or run our file, or died on it
        "load_failures": sum(1 for r in results if (r.status == "fail" and r.category in broken)
                             or (r.frozen_status == "fail" and r.frozen_category in broken)),
    }


def by_op(results: list[Result]) -> dict[str, dict[str, int]]:
    table: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in results:
        if r.status not in ("not_claimed", "random"):
            table[r.op][r.status] += 1
            if r.frozen_status == "pass":
                table[r.op]["frozen_pass"] += 1
    return {op: {s: c[s] for s in ("pass", "fail", "refused", "frozen_pass")} for op, c in sorted(table.items())}


def report(results: list[Result], binary: str, claimed: set[str], seconds: float) -> dict:
    import onnx

    missing = collections.Counter(op for r in results if r.status == "not_claimed" for op in r.missing_ops)
    return {
        "onnx_version": onnx.__version__,
        "converter": binary,
        "claimed_ops": sorted(claimed),
        "tolerance": {"rel": REL_TOL, "abs": ABS_TOL, "float16_rel": FLOAT16_REL_TOL,
                      "per_op": {k: {"rel": v[0], "why": v[1]} for k, v in OP_REL_TOL.items()},
                      "per_test_abs": {k: {"abs": v[0], "why": v[1]} for k, v in TEST_ABS_TOL.items()}},
        "seconds": round(seconds, 1),
        "summary": summarize(results),
        "by_op": by_op(results),
        "unclaimed_ops": dict(missing.most_common()),
        "tests": [{k: v for k, v in asdict(r).items() if v not in ("", [], None) or k in ("name", "status")}
                  for r in results],
    }


def markdown(rep: dict) -> str:
    s = rep["summary"]
    pct = lambda x: f"{100 * x:.1f} %"  # noqa: E731
    cats = ", ".join(f"{k}: {v}" for k, v in s["refused_by_category"].items())
    lines = [
        "# ONNX backend node tests in LiteRT",
        "",
        f"Generated by `tests/conformance/run_node_tests.py` (onnx {rep['onnx_version']}, "
        f"{len(rep['claimed_ops'])} claimed op types, {rep['seconds']} s). A test is *claimed* when every "
        "op type in it is one `pt2tflite ops` lists.",
        "",
        f"- node tests: {s['tests']}; claimed: **{s['claimed']}**; not claimed: {s['not_claimed']}; random draws (not comparable): {s.get('random', 0)}",
        f"- **pass {s['pass']}**, **fail {s['fail']}**, **refused {s['refused']}** ({cats})",
        f"- pass rate over claimed tests: **{pct(s['pass_rate'])}**; without the tests refused for a type "
        f"TFLite lacks (dtype, non-tensor): **{pct(s['pass_rate_expressible'])}**",
        f"- tests refused for a run-time parameter, retried with it frozen to its test value: "
        f"{s['frozen_retried']} → pass {s['frozen_pass']}, fail {s['frozen_fail']}, refused {s['frozen_refused']}; "
        f"pass rate counting those: **{pct(s['pass_rate_with_frozen'])}**",
        f"- float tolerance: max|err| <= {rep['tolerance']['rel']:g}·max|ref| + {rep['tolerance']['abs']:g} "
        f"(float16 outputs: {rep['tolerance']['float16_rel']:g}·max|ref|, two float16 steps); "
        "ints/bools exact; dtype, shape, NaN and inf positions must match",
        "",
    ]
    if rep["tolerance"]["per_op"] or rep["tolerance"]["per_test_abs"]:
        lines += ["Tolerance exceptions:", ""]
        lines += [f"- {op}: rel {t['rel']:g} — {t['why']}" for op, t in rep["tolerance"]["per_op"].items()]
        lines += [f"- `{k}`: abs {t['abs']:g} — {t['why']}" for k, t in rep["tolerance"]["per_test_abs"].items()]
        lines.append("")
    lines += ["## Per op", "", "| op | pass | fail | refused | of which pass frozen |", "|---|---:|---:|---:|---:|"]
    for op, c in rep["by_op"].items():
        lines.append(f"| {op} | {c['pass']} | {c['fail']} | {c['refused']} | {c['frozen_pass'] or ''} |")
    fails = [t for t in rep["tests"] if t["status"] == "fail"]
    lines += ["", f"## Failures ({len(fails)})", ""]
    lines += [f"- `{t['name']}` ({t['op']}): {t.get('reason', '')}" for t in fails] or ["(none)"]
    ffails = [t for t in rep["tests"] if t.get("frozen_status") == "fail"]
    lines += ["", f"## Failures once run-time parameters are frozen ({len(ffails)})", ""]
    lines += [f"- `{t['name']}` ({t['op']}, frozen {', '.join(t['frozen'])}): {t.get('frozen_reason', '')}"
              for t in ffails] or ["(none)"]
    lines += ["", f"## Refusals ({s['refused']})", ""]
    by_cat = collections.defaultdict(list)
    for t in rep["tests"]:
        if t["status"] == "refused":
            by_cat[t.get("category", "other")].append(t)
    for cat, ts in sorted(by_cat.items(), key=lambda kv: -len(kv[1])):
        lines += [f"### {cat} ({len(ts)})", ""]
        for t in ts:
            extra = f" — frozen {', '.join(t['frozen'])}: **{t['frozen_status']}**" if t.get("frozen") else ""
            lines.append(f"- `{t['name']}`: {t.get('reason', '')}{extra}")
        lines.append("")
    lines += ["## Op types that keep tests from being claimed (tests needing each)", "",
              ", ".join(f"{op} ({n})" for op, n in rep["unclaimed_ops"].items()), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- entry points


def claimed_ops(binary: str) -> set[str]:
    p = subprocess.run([binary, "ops"], capture_output=True, text=True, check=True)
    return set(p.stdout.split())


def default_binary() -> str:
    return os.environ.get("PT2TFLITE_BIN", str(REPO_ROOT / "build" / "pt2tflite"))


def run(binary: str | None = None, data_dir: Path | None = None, filters: list[str] | None = None, jobs: int = 2,
        keep: Path | None = None, verbose: bool = False) -> dict:
    """The whole sweep; returns the report (see report())."""
    import onnx

    binary = str(Path(binary or default_binary()).resolve())
    if not Path(binary).is_file():
        raise FileNotFoundError(f"converter binary not found at {binary} (set PT2TFLITE_BIN or --bin)")
    data_dir = Path(data_dir) if data_dir else (default_data_dir() or generated_data_dir())
    names = test_names(data_dir)
    if filters:
        names = [n for n in names if any(f in n for f in filters)]
    claimed = claimed_ops(binary)
    models = {n: onnx.load(str(data_dir / n / "model.onnx"), load_external_data=False) for n in names}
    keys: dict[str, str] = {}
    for expanded in (False, True):  # expanded tests are keyed after their un-expanded twin
        for n in names:
            if ("_expanded" in n) == expanded:
                keys[n] = op_key(n, models[n], keys)
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    todo = [n for n in names if not unclaimed_ops(models[n], claimed)]
    ran = {r.name: r for r in sweep(binary, data_dir, todo, claimed, keys, jobs, keep, verbose)}
    results = []
    for n in names:
        if n in ran:
            results.append(ran[n])
        else:
            missing = unclaimed_ops(models[n], claimed)
            results.append(Result(n, keys[n], "not_claimed", "needs " + ", ".join(missing), missing_ops=missing))
    return report(results, binary, claimed, time.time() - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=None, help="pt2tflite binary (default: $PT2TFLITE_BIN or build/pt2tflite)")
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="node test directory (default: the onnx wheel's, else generated into a cache)")
    ap.add_argument("--json", type=Path, default=None, help="write the full report as JSON here")
    ap.add_argument("--markdown", type=Path, default=None, help="write the report as markdown here")
    ap.add_argument("-k", action="append", default=None, help="only tests whose name contains this (repeatable)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--keep", type=Path, default=None, help="keep the .tflite (and frozen .onnx) files here")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every claimed test's result")
    a = ap.parse_args(argv)
    rep = run(a.bin, a.data_dir, a.k, a.jobs, a.keep, a.verbose)
    for path, text in ((a.json, json.dumps(rep, indent=1) + "\n"), (a.markdown, markdown(rep))):
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    s = rep["summary"]
    print(f"claimed {s['claimed']} of {s['tests']} node tests: pass {s['pass']}, fail {s['fail']}, "
          f"refused {s['refused']} {s['refused_by_category']}; pass rate {100 * s['pass_rate']:.1f} % "
          f"({100 * s['pass_rate_expressible']:.1f} % without type refusals, "
          f"{100 * s['pass_rate_with_frozen']:.1f} % counting {s['frozen_pass']} passes with frozen parameters; "
          f"{s['frozen_fail']} frozen fails); {rep['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
