#!/usr/bin/env python3
"""Post-training quantization (issue 4): conversion time and memory, and accuracy in LiteRT.

Models: MobileNetV2 and ResNet-18 of tests/e2e/models.py (random init, randomized batch norm,
224x224), exported with the TorchScript exporter, opset 17. Calibration and held-out inputs are
drawn the same way (standard normal, one seeded generator: the first N_calib rows calibrate, the
next N_test are held out).

  speed     `pt2tflite convert --quantize int8 --calibration calib.npy` on MobileNetV2 with 100
            samples (issue target: <= 5 s on 2 cores), and the float16 / dynamic / int16x8
            conversions: wall and CPU time (user + system of the converter, from
            resource.getrusage(RUSAGE_CHILDREN) of a fresh wrapper per run), median of 3 runs
            after one warm-up, and the largest peak RSS of the runs.
  accuracy  for float32 (the baseline), int8, int16x8, dynamic and float16: the .tflite runs in
            LiteRT (1 thread) on the held-out inputs and is compared with onnxruntime on the
            float ONNX model: mean and worst output SQNR (dB; signal power over error power),
            top-1 agreement, and the file size relative to the float32 .tflite.
  observers minmax / moving_average / percentile (99.99) on MobileNetV2 int8: the same SQNR.

Prints the tables and writes the section "Quantization" of bench/RESULTS.md (others are kept).

  .venv/bin/python bench/bench_quantize.py [--runs 3] [--calibration-samples 100]
        [--test-samples 50] [--models mobilenet_v2,resnet18] [--no-write]
Binary: build/pt2tflite, or PT2TFLITE_BIN.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "e2e"))
sys.path.insert(0, str(HERE))

import bench_convert  # noqa: E402  (machine_info, git_commit, run_once, write_results)
import harness  # noqa: E402
import models  # noqa: E402

SECTION = "Quantization"
INT8_TARGET_S = 5.0
TIMED_MODES = ("int8", "int16x8", "float16", "dynamic")
ACCURACY_MODES = ("float32", "int8", "int16x8", "dynamic", "float16")
OBSERVERS = ("minmax", "moving_average", "percentile")
SPEED_MODEL = "mobilenet_v2"
MB = 1e6


def sqnr_db(ref: np.ndarray, got: np.ndarray) -> float:
    ref = ref.astype(np.float64)
    err = float(((ref - got.astype(np.float64)) ** 2).sum())
    return 10 * np.log10(float((ref ** 2).sum()) / max(err, 1e-30))


def convert_cmd(onnx_path: Path, out: Path, mode: str, calib: Path, *extra: str) -> list[str]:
    cmd = [str(harness.converter_bin()), "convert", str(onnx_path), "-o", str(out)]
    if mode != "float32":
        cmd += ["--quantize", mode]
    if mode in ("int8", "int16x8"):
        cmd += ["--calibration", str(calib)]
    return cmd + list(extra)


def convert(cmd: list[str]) -> float:
    """Runs one conversion (raises with the converter's message on failure); wall seconds."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip()[:400])
    return time.perf_counter() - t0


class Model:
    """One exported model with its calibration file, held-out inputs and float references."""

    def __init__(self, name: str, workdir: Path, n_calib: int, n_test: int):
        import torch

        spec = models.MODELS[name]
        self.name, self.dir = name, workdir / name
        shape = spec.shapes[0]
        example = (torch.from_numpy(harness.random_inputs(spec.shapes)[0]),)
        self.onnx = harness.export_onnx(spec.build(), example, self.dir / "model.onnx", "torchscript", opset=17)
        rng = np.random.default_rng(1)
        data = rng.standard_normal((n_calib + n_test, *shape[1:])).astype(np.float32)
        # Each calibration row is one sample of the model's input shape [1, C, H, W].
        self.calib = self.dir / "calib.npy"
        np.save(self.calib, data[:n_calib, None])
        self.tests = [data[n_calib + i][None] for i in range(n_test)]
        in_name = harness.onnx_io(self.onnx)[0][0][0]
        self.refs = [next(iter(harness.run_onnxruntime(self.onnx, {in_name: x}).values())) for x in self.tests]

    def tflite(self, tag: str) -> Path:
        return self.dir / f"{tag}.tflite"

    def accuracy(self, path: Path) -> dict:
        from ai_edge_litert.interpreter import Interpreter

        it = Interpreter(model_path=str(path), num_threads=1)
        it.allocate_tensors()
        d_in, d_out = it.get_input_details()[0], it.get_output_details()[0]
        sq, agree = [], 0
        for x, ref in zip(self.tests, self.refs):
            it.set_tensor(d_in["index"], x)
            it.invoke()
            got = it.get_tensor(d_out["index"]).reshape(ref.shape)
            sq.append(sqnr_db(ref, got))
            agree += int(ref.argmax() == got.argmax())
        return {"sqnr_mean": float(np.mean(sq)), "sqnr_min": float(np.min(sq)), "agree": agree, "n": len(self.tests),
                "bytes": path.stat().st_size}


def bench_speed(m: Model, runs: int, use_gnu_time: bool) -> list[dict]:
    rows = []
    for mode in TIMED_MODES:
        out = m.tflite(f"timed-{mode}")
        cmd = convert_cmd(m.onnx, out, mode, m.calib)
        row = {"mode": mode}
        try:
            convert(cmd)  # warm-up: page cache, lazy loading
            walls, cpus, rsss = [], [], []
            for _ in range(runs):
                wall, cpu, rss, p = bench_convert.run_once(cmd, use_gnu_time)
                if p.returncode != 0:
                    raise RuntimeError(p.stderr.strip()[:400])
                walls.append(wall)
                cpus.append(cpu)
                rsss.append(rss)
            row.update(wall=statistics.median(walls), cpu=statistics.median(cpus), wall_min=min(walls),
                       wall_max=max(walls), rss_mb=max(rsss) / MB)
        except RuntimeError as e:
            row["error"] = str(e)
        rows.append(row)
        print(f"bench: speed {m.name} {mode}: {row}", file=sys.stderr, flush=True)
    return rows


def bench_accuracy(m: Model) -> dict[str, dict]:
    out = {}
    for mode in ACCURACY_MODES:
        path = m.tflite(mode)
        try:
            row = {"convert_s": convert(convert_cmd(m.onnx, path, mode, m.calib))}
            row.update(m.accuracy(path))
        except RuntimeError as e:
            row = {"error": str(e)}
        out[mode] = row
        print(f"bench: accuracy {m.name} {mode}: {row}", file=sys.stderr, flush=True)
    return out


def bench_observers(m: Model) -> dict[str, dict]:
    out = {}
    for obs in OBSERVERS:
        path = m.tflite(f"int8-{obs}")
        try:
            row = {"convert_s": convert(convert_cmd(m.onnx, path, "int8", m.calib, "--observer", obs))}
            row.update(m.accuracy(path))
        except RuntimeError as e:
            row = {"error": str(e)}
        out[obs] = row
        print(f"bench: observer {obs}: {row}", file=sys.stderr, flush=True)
    return out


def speed_table(rows: list[dict], n_calib: int) -> list[str]:
    lines = ["| mode | wall s median (min–max) | CPU s (median) | peak RSS MB | target |", "|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['mode']} | FAILED: {r['error']} | – | – | – |")
            continue
        target = ""
        if r["mode"] == "int8":
            target = f"≤ {INT8_TARGET_S:.0f} s with {n_calib} samples: {'PASS' if r['wall'] <= INT8_TARGET_S else 'MISS'}"
        lines.append(f"| {r['mode']} | {r['wall']:.2f} ({r['wall_min']:.2f}–{r['wall_max']:.2f}) | {r['cpu']:.2f} | "
                     f"{r['rss_mb']:.1f} | {target} |")
    return lines


def accuracy_table(results: dict[str, dict[str, dict]]) -> list[str]:
    lines = ["| model | mode | SQNR dB mean (worst) | top-1 agreement | .tflite MB | size vs float32 |",
             "|---|---|---|---|---|---|"]
    for name, rows in results.items():
        base = rows.get("float32", {}).get("bytes")
        for mode, r in rows.items():
            if "error" in r:
                lines.append(f"| {name} | {mode} | FAILED: {r['error']} | – | – | – |")
                continue
            ratio = f"{r['bytes'] / base:.3f}" if base else "–"
            lines.append(f"| {name} | {mode} | {_sqnr(r)} | {r['agree']}/{r['n']} | {r['bytes'] / MB:.2f} | {ratio} |")
    return lines


def observer_table(rows: dict[str, dict]) -> list[str]:
    lines = ["| observer | SQNR dB mean (worst) | top-1 agreement | convert s |", "|---|---|---|---|"]
    for obs, r in rows.items():
        if "error" in r:
            lines.append(f"| {obs} | FAILED: {r['error']} | – | – |")
            continue
        lines.append(f"| {obs} | {_sqnr(r)} | {r['agree']}/{r['n']} | {r['convert_s']:.2f} |")
    return lines


def _sqnr(r: dict) -> str:
    # Float32 agrees to rounding: its SQNR is large and says only "no quantization error".
    return f"{r['sqnr_mean']:.1f} ({r['sqnr_min']:.1f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="timed runs per mode (median)")
    ap.add_argument("--calibration-samples", type=int, default=100)
    ap.add_argument("--test-samples", type=int, default=50)
    ap.add_argument("--models", default="mobilenet_v2,resnet18")
    ap.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = ap.parse_args()

    exe = harness.converter_bin()
    if not exe.is_file():
        print(f"bench: no converter binary at {exe} (build it or set PT2TFLITE_BIN)", file=sys.stderr)
        return 2
    use_gnu_time = False  # per-run getrusage(RUSAGE_CHILDREN) in a fresh wrapper (see bench_convert.run_once)
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip() or "?"
    info = bench_convert.machine_info()  # load average before the runs: a busy machine inflates times

    names = args.models.split(",")
    speed, accuracy, observers = [], {}, {}
    with tempfile.TemporaryDirectory(prefix="pt2tflite_qbench_") as tmp:
        for name in names:
            print(f"bench: {name}: export, {args.test_samples} float references…", file=sys.stderr, flush=True)
            m = Model(name, Path(tmp), args.calibration_samples, args.test_samples)
            if name == SPEED_MODEL:
                speed = bench_speed(m, args.runs, use_gnu_time)
            accuracy[name] = bench_accuracy(m)
            if name == SPEED_MODEL:
                observers = bench_observers(m)

    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        f"Measured {now} on {info['nproc']} CPU(s), {info['cpu']}, {info['ram']} RAM ({info['os']}); "
        f"load average {info['load']} when it started.",
        f"Converter: `{version}` ({os.path.relpath(exe, REPO)}), commit {bench_convert.git_commit()}. Models of "
        f"`tests/e2e/models.py` (random init), TorchScript exporter, opset 17, input 1×3×224×224. Calibration: "
        f"{args.calibration_samples} standard-normal samples in one .npy; accuracy on {args.test_samples} more drawn "
        f"the same way, the .tflite run in LiteRT (1 thread) against onnxruntime on the float ONNX model.",
        "",
    ]
    if speed:
        lines += [
            f"Conversion time on {SPEED_MODEL} (`pt2tflite convert --quantize MODE`, int8/int16x8 with "
            f"`--calibration` of {args.calibration_samples} samples, default minmax observer): wall time and CPU time "
            f"(user + system, steadier on a busy machine), median of {args.runs} runs after one warm-up; peak RSS "
            f"from getrusage(RUSAGE_CHILDREN) of a fresh wrapper per run, the largest of the runs. Calibration runs "
            f"the samples on one interpreter per CPU thread: wall < CPU only when a core is free.",
            "",
            *speed_table(speed, args.calibration_samples),
            "",
        ]
    lines += [
        "Accuracy: SQNR = 10·log10(Σref² / Σ(ref − tflite)²) of the output (1000 logits), mean over the held-out "
        "inputs (worst in brackets); top-1 agreement = argmax equal to onnxruntime's. Size relative to the float32 "
        ".tflite.",
        "",
        *accuracy_table(accuracy),
        "",
    ]
    if observers:
        lines += [f"Observers ({SPEED_MODEL}, int8, `--observer KIND`; percentile keeps 99.99 %):", "",
                  *observer_table(observers), ""]
    lines.append("Reproduce: `.venv/bin/python bench/bench_quantize.py` (see bench/README.md).")
    print("\n".join(lines))
    if not args.no_write:
        bench_convert.write_results(lines, args.results, SECTION)
        print(f"\nbench: wrote section '{SECTION}' of {args.results}", file=sys.stderr)
    failed = any("error" in r for r in speed) or any("error" in r for rows in accuracy.values() for r in rows.values())
    return 1 if failed or any("error" in r for r in observers.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
