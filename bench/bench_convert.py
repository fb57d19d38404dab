#!/usr/bin/env python3
"""Conversion speed and memory of `pt2tflite convert` on MobileNetV2, ResNet-18, the ViT encoder
and a BERT-base-sized encoder (436 MB of weights).

Each model (tests/e2e/models.py) is exported once with the TorchScript exporter, opset 17;
then `pt2tflite convert` runs once to warm the page cache and N times timed (wall clock,
median), each run's peak RSS read from /usr/bin/time -v (or, without it, from
getrusage(RUSAGE_CHILDREN) of a fresh wrapper process per run). Targets: median <= 0.3 s,
peak RSS <= 2 x weights + 100 MB. Prints a table and writes the section
"Conversion speed and memory" of bench/RESULTS.md (other sections are kept).

  .venv/bin/python bench/bench_convert.py [--runs 7] [--models mobilenet_v2,resnet18,vit,bert_base] [--no-write]
Binary: build/pt2tflite, or PT2TFLITE_BIN.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "e2e"))

import harness  # noqa: E402
import models  # noqa: E402

SECTION = "Conversion speed and memory"

# Bench-only models: too big for the test suite, but what the memory target is about.
BERT_BASE_SEQ = 128
EXTRA_MODELS = {
    # BERT-base geometry (12 layers, hidden 768, 12 heads, MLP 3072, vocab 30522): 436 MB of weights.
    "bert_base": models.ModelSpec(
        lambda: models.MiniBert(vocab=30522, max_len=BERT_BASE_SEQ, dim=768, depth=12, heads=12, mlp=3072).eval(),
        ((1, BERT_BASE_SEQ), (1, BERT_BASE_SEQ)), ("ids:30522", "mask")),
}
TIME_TARGET_S = 0.3
TIME_TARGET_MAX_WEIGHTS_MB = 100
MB = 1e6


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        m = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        if m:
            ram = f"{int(m.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "?"
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "ram": ram, "os": platform.platform(), "load": load}


def git_commit() -> str:
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        # (The results file itself does not make the measured code dirty.)
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":!bench/RESULTS.md"], capture_output=True, text=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


def weights_bytes(onnx_path: Path) -> int:
    """Bytes of the model's initializers (what the converter must read and rewrite)."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(str(onnx_path))
    return sum(numpy_helper.to_array(t).nbytes for t in m.graph.initializer)


def run_once(cmd: list[str], use_gnu_time: bool) -> tuple[float, float, int, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds (user + system), peak RSS bytes, process) for one conversion."""
    if use_gnu_time:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        rss = int(m.group(1)) * 1024 if m else -1
        cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", p.stderr))
        return wall, cpu, rss, p
    # A fresh wrapper per run, so RUSAGE_CHILDREN's maximum is this run's alone. It can read
    # ~10 MB high: the forked child counts the wrapper's pages until it execs the converter.
    wrapper = ("import resource, subprocess, sys, time\n"
               "t0 = time.perf_counter(); p = subprocess.run(sys.argv[1:]); w = time.perf_counter() - t0\n"
               "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
               "print(w, r.ru_utime + r.ru_stime, r.ru_maxrss, p.returncode, file=sys.stderr)\n"
               "sys.exit(p.returncode)\n")
    p = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True)
    wall_s, cpu_s, rss_kb, _ = p.stderr.strip().splitlines()[-1].split()
    return float(wall_s), float(cpu_s), int(rss_kb) * 1024, p


def bench_model(name: str, runs: int, workdir: Path, use_gnu_time: bool) -> dict:
    import torch

    spec = EXTRA_MODELS[name] if name in EXTRA_MODELS else models.MODELS[name]
    onnx_path = workdir / name / "model.onnx"
    inputs = tuple(torch.from_numpy(a) for a in harness.random_inputs(spec.shapes, kind=spec.input_kinds))
    t0 = time.perf_counter()
    harness.export_onnx(spec.build(), inputs, onnx_path, "torchscript", opset=17)
    export_s = time.perf_counter() - t0
    wbytes = weights_bytes(onnx_path)
    out = workdir / name / "model.tflite"
    cmd = [str(harness.converter_bin()), "convert", str(onnx_path), "-o", str(out)]

    row = {"model": name, "weights_mb": wbytes / MB, "onnx_mb": onnx_path.stat().st_size / MB,
           "export_s": export_s, "runs": runs}
    _, _, _, warm = run_once(cmd, use_gnu_time)  # page cache, lazy loading: not counted
    if warm.returncode != 0:
        msg = [line for line in warm.stderr.splitlines() if line.startswith("pt2tflite")]
        row["error"] = (msg[0] if msg else warm.stderr.strip().splitlines()[0])[:300]
        return row
    walls, cpus, rsss = [], [], []
    for _ in range(runs):
        wall, cpu, rss, p = run_once(cmd, use_gnu_time)
        if p.returncode != 0:
            row["error"] = f"run failed: {p.stderr.strip()[:300]}"
            return row
        walls.append(wall)
        cpus.append(cpu)
        rsss.append(rss)
    row.update(median_s=statistics.median(walls), cpu_s=statistics.median(cpus), min_s=min(walls), max_s=max(walls),
               peak_rss_mb=max(rsss) / MB, tflite_mb=out.stat().st_size / MB)
    row["rss_target_mb"] = 2 * row["weights_mb"] + 100
    # The 0.3 s target is for mobile-sized models; writing (and fsyncing) 400+ MB cannot meet it.
    row["time_ok"] = row["median_s"] <= TIME_TARGET_S if row["weights_mb"] <= TIME_TARGET_MAX_WEIGHTS_MB else None
    row["rss_ok"] = row["peak_rss_mb"] <= row["rss_target_mb"]
    return row


def table(rows: list[dict]) -> list[str]:
    head = ("| model | weights MB | .tflite MB | convert median s (min–max) | CPU s (median) | time ≤ 0.3 s "
            "| peak RSS MB | RSS ≤ 2×weights+100 MB |")
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | {r['weights_mb']:.1f} | – | FAILED: {r['error']} | – | MISS | – | MISS |")
            continue
        lines.append(
            f"| {r['model']} | {r['weights_mb']:.1f} | {r['tflite_mb']:.1f} | "
            f"{r['median_s']:.3f} ({r['min_s']:.3f}–{r['max_s']:.3f}) | {r['cpu_s']:.3f} | "
            f"{'n/a (> 100 MB weights)' if r['time_ok'] is None else 'PASS' if r['time_ok'] else 'MISS'} | "
            f"{r['peak_rss_mb']:.1f} | {'PASS' if r['rss_ok'] else 'MISS'} (≤ {r['rss_target_mb']:.0f}) |")
    return lines


def write_results(section_lines: list[str], path: Path, section: str = SECTION) -> None:
    """Replaces (or appends) one section of RESULTS.md, keeping the others."""
    text = path.read_text() if path.exists() else "# pt2tflite benchmark results\n"
    new = "\n".join([f"## {section}", "", *section_lines, ""]) + "\n"
    pat = re.compile(rf"^## {re.escape(section)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pat.sub(lambda _: new, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + new
    path.write_text(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="timed runs per model (>= 7 for the record)")
    ap.add_argument("--models", default="mobilenet_v2,resnet18,vit,bert_base")
    ap.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = ap.parse_args()

    exe = harness.converter_bin()
    if not exe.is_file():
        print(f"bench: no converter binary at {exe} (build it or set PT2TFLITE_BIN)", file=sys.stderr)
        return 2
    use_gnu_time = Path("/usr/bin/time").is_file() and shutil.which("/usr/bin/time") is not None
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip() or "?"

    info = machine_info()  # load average before the runs: a busy machine inflates the numbers
    rows = []
    with tempfile.TemporaryDirectory(prefix="pt2tflite_bench_") as tmp:
        for name in args.models.split(","):
            print(f"bench: {name}: exporting and converting {args.runs}+1 times…", file=sys.stderr, flush=True)
            rows.append(bench_model(name, args.runs, Path(tmp), use_gnu_time))

    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        f"Measured {now} on {info['nproc']} CPU(s), {info['cpu']}, {info['ram']} RAM ({info['os']}); "
        f"load average {info['load']} when it started.",
        f"Converter: `{version}` ({os.path.relpath(exe, REPO)}), commit {git_commit()}. Models exported with the TorchScript "
        f"exporter, opset 17, float32. Wall time of `pt2tflite convert` (process start to exit), median of "
        f"{args.runs} runs after one warm-up (CPU s: user + system, the better number on a busy machine); peak RSS from "
        f"{'/usr/bin/time -v' if use_gnu_time else 'getrusage(RUSAGE_CHILDREN)'}, the largest of the runs.",
        "",
        *table(rows),
        "",
        "Reproduce: `.venv/bin/python bench/bench_convert.py` (see bench/README.md).",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_results(lines, args.results)
        print(f"\nbench: wrote section '{SECTION}' of {args.results}", file=sys.stderr)
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
