#!/usr/bin/env python3
"""What the converter makes of each model of tests/e2e/models.py: op count, TRANSPOSE ops left
(NCHW io and --nhwc-io) with the reason for each, and the ONNX conformance pass rate.

Each model is exported with the TorchScript exporter (opset 17) and the dynamo exporter, and
converted with and without --nhwc-io; `pt2tflite inspect --json` gives the numbers. The reason
for the transposes is models.EXPECTED_TRANSPOSES (what tests/e2e/test_models.py asserts); a
count that differs from it is flagged. Accuracy is the tests' business, not measured here.
The conformance figures are read from a report of `tests/conformance/run_node_tests.py --json`
(this script does not run the node tests). Writes the sections "Models: ops and layout" and
"ONNX conformance" of bench/RESULTS.md (other sections are kept).

  .venv/bin/python bench/bench_models.py [--models vit,unet] [--exporters torchscript]
                                         [--conformance-json REPORT.json] [--no-write]
Binary: build/pt2tflite, or PT2TFLITE_BIN.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "e2e"))
sys.path.insert(0, str(HERE))

import bench_convert  # noqa: E402  (machine_info, git_commit, write_results)
import harness  # noqa: E402
import models  # noqa: E402

MODELS_SECTION = "Models: ops and layout"
CONFORMANCE_SECTION = "ONNX conformance"


def measure(name: str, exporter: str, workdir: Path) -> dict:
    """{'ops': total, 'by_op': {...}, 'transposes': {'nchw': n, 'nhwc': n}} or {'error': msg}."""
    import torch

    spec = models.MODELS[name]
    inputs = tuple(torch.from_numpy(a) for a in harness.random_inputs(spec.shapes, kind=spec.input_kinds))
    folder = workdir / f"{name}-{exporter}"
    try:
        onnx_path = harness.export_onnx(spec.build(), inputs, folder / "model.onnx", exporter)
    except Exception as e:  # noqa: BLE001 — reported in the table
        return {"error": f"export failed: {str(e).splitlines()[0][:200]}"}
    row: dict = {"transposes": {}}
    for io in ("nchw", "nhwc"):
        try:
            tfl = harness.convert(onnx_path, folder / f"{io}.tflite", nhwc_io=io == "nhwc")
        except AssertionError as e:
            return {"error": str(e).splitlines()[1][:200] if "\n" in str(e) else str(e)[:200]}
        info = harness.inspect_json(tfl)
        row["transposes"][io] = info["transposes"]
        if io == "nchw":
            row["ops"] = sum(info["ops"].values())
            row["by_op"] = info["ops"]
    return row


def models_table(results: dict[str, dict[str, dict]], exporters: list[str]) -> list[str]:
    head = ["model", *(f"ops ({e})" for e in exporters), "TRANSPOSE NCHW io", "TRANSPOSE --nhwc-io",
            "why they are there"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, per_exp in results.items():
        want_nchw, want_nhwc, why = models.EXPECTED_TRANSPOSES[name]
        cells = [f"`{name}`"]
        cells += [str(per_exp[e]["ops"]) if "ops" in per_exp[e] else f"FAILED: {per_exp[e]['error']}"
                  for e in exporters]
        for io, want in (("nchw", want_nchw), ("nhwc", want_nhwc)):
            got = sorted({r["transposes"][io] for r in per_exp.values() if "transposes" in r})
            text = " / ".join(map(str, got)) if got else "–"
            if got and got != [want]:
                text += f" (**expected {want}**)"
            cells.append(text)
        cells.append(why)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def top_ops(by_op: dict[str, int], n: int = 6) -> str:
    items = sorted(by_op.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{k} {v}" for k, v in items[:n]) + (", …" if len(items) > n else "")


def conformance_lines(path: Path | None) -> list[str]:
    if path is None or not path.is_file():
        where = f" ({path} does not exist)" if path else ""
        return [f"No report given{where}: run `tests/conformance/run_node_tests.py --json OUT.json` and pass "
                f"`--conformance-json OUT.json`."]
    rep = json.loads(path.read_text())
    s = rep["summary"]
    when = datetime.datetime.fromtimestamp(path.stat().st_mtime).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    pct = lambda x: f"{100 * x:.1f} %"  # noqa: E731
    cats = ", ".join(f"{k} {v}" for k, v in s["refused_by_category"].items())
    return [
        f"From `{path}` (written {when}; converter `{rep.get('converter', '?')}`, onnx {rep.get('onnx_version', '?')}, "
        f"{len(rep.get('claimed_ops', []))} claimed op types). Not re-run by this script.",
        "",
        "| node tests | claimed | pass | fail | refused | pass rate | without type refusals | with frozen parameters |",
        "|---|---|---|---|---|---|---|---|",
        f"| {s['tests']} | {s['claimed']} | {s['pass']} | {s['fail']} | {s['refused']} | {pct(s['pass_rate'])} | "
        f"{pct(s['pass_rate_expressible'])} | {pct(s['pass_rate_with_frozen'])} |",
        "",
        f"Refusals by reason: {cats}. Pass rate = pass / claimed (claimed: every op type of the test is in "
        f"`pt2tflite ops`); see the script's docstring for the categories.",
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(models.MODELS))
    ap.add_argument("--exporters", default=",".join(harness.EXPORTERS))
    ap.add_argument("--conformance-json", type=Path, default=None,
                    help="a report written by tests/conformance/run_node_tests.py --json")
    ap.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = ap.parse_args()

    exe = harness.converter_bin()
    if not exe.is_file():
        print(f"bench: no converter binary at {exe} (build it or set PT2TFLITE_BIN)", file=sys.stderr)
        return 2
    exporters = args.exporters.split(",")
    info = bench_convert.machine_info()
    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="pt2tflite_models_") as tmp:
        for name in args.models.split(","):
            print(f"bench: {name}: exporting ({', '.join(exporters)}) and converting…", file=sys.stderr, flush=True)
            results[name] = {e: measure(name, e, Path(tmp)) for e in exporters}

    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    first = exporters[0]
    lines = [
        f"Measured {now}, converter commit {bench_convert.git_commit()} ({os.path.relpath(exe, REPO)}); "
        f"load average {info['load']} when it started (counts do not depend on it). Models of "
        f"`tests/e2e/models.py` at their test sizes, exported with {' and '.join(exporters)} "
        f"(TorchScript: opset {harness.TORCHSCRIPT_OPSET}; dynamo: its default opset). *ops*: operators in the "
        f".tflite with NCHW io; *TRANSPOSE*: as counted by `pt2tflite inspect` (\"a / b\" when the exporters "
        f"differ). A transpose at an I/O border goes away with `--nhwc-io`; the others move data the model asks "
        f"to move.",
        "",
        *models_table(results, exporters),
        "",
        f"Most frequent ops ({first} export):",
        "",
        *(f"- `{n}`: {top_ops(r[first]['by_op'])}" for n, r in results.items() if "by_op" in r[first]),
        "",
        "Reproduce: `.venv/bin/python bench/bench_models.py` (see bench/README.md).",
    ]
    conf = conformance_lines(args.conformance_json)
    print("\n".join(lines + ["", *conf]))
    if not args.no_write:
        bench_convert.write_results(lines, args.results, MODELS_SECTION)
        bench_convert.write_results(conf, args.results, CONFORMANCE_SECTION)
        print(f"\nbench: wrote sections '{MODELS_SECTION}' and '{CONFORMANCE_SECTION}' of {args.results}",
              file=sys.stderr)
    expected_mismatch = any(
        r.get("transposes", {}).get(io) not in (None, want)
        for n, per in results.items() for r in per.values()
        for io, want in zip(("nchw", "nhwc"), models.EXPECTED_TRANSPOSES[n][:2]))
    failed = any("error" in r for per in results.values() for r in per.values())
    return 1 if failed or expected_mismatch else 0


if __name__ == "__main__":
    sys.exit(main())
