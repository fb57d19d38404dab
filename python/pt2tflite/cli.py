"""The `pt2tflite` command installed by pip.

`pt2tflite verify ...` runs here, in Python (it needs onnxruntime and LiteRT). Every other
command — convert, inspect, ops, --help, --version — is the C++ CLI shipped inside the package
(pt2tflite/bin/pt2tflite), exec'd in place of this process, so flags, messages and exit codes are
exactly those of the CMake-built binary.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

VERIFY_USAGE = "pt2tflite verify MODEL.onnx MODEL.tflite [--inputs DATA.npz] [--tolerance T] [--per-layer]"

VERIFY_HELP = """
verify (Python; needs pip install 'pt2tflite[verify]'): runs MODEL.onnx in onnxruntime and
MODEL.tflite in LiteRT on the same inputs (seeded random, or --inputs DATA.npz keyed by ONNX input
name, in the ONNX model's layout) and prints, per output, max abs error, relative error (max abs
error / max |reference|), cosine similarity and SQNR. NCHW/NHWC and quantized I/O are handled.
  --tolerance T            relative error bound (default: float32 1e-4, float16 1e-2, quantized 0.1)
  --per-layer              also name the first intermediate tensor whose error exceeds T
  --io-layout auto|nchw|nhwc   I/O layout of the .tflite (default: worked out from the shapes)
  --seed N                 seed of the random inputs (default 0)
  --json                   print the report as JSON
  Exit status: 0 within tolerance, 1 above it, 2 usage error or the models could not be compared.
"""


def bundled_binary() -> Path:
    return Path(__file__).resolve().parent / "bin" / "pt2tflite"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "verify":
        return run_verify(argv[1:])
    exe = bundled_binary()
    if not exe.is_file():
        print(f"pt2tflite: the converter binary is missing from the package ({exe}); reinstall pt2tflite",
              file=sys.stderr)
        return 2
    if argv and argv[0] in ("-h", "--help", "help"):
        p = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
        sys.stdout.write(_help_with_verify(p.stdout))
        return p.returncode
    sys.stdout.flush()
    sys.stderr.flush()
    if hasattr(os, "execv"):
        os.execv(str(exe), [str(exe), *argv])
    return subprocess.call([str(exe), *argv])  # pragma: no cover — platforms without exec


def _help_with_verify(text: str) -> str:
    # After the usage line of `ops` (whatever its options), before `--help | --version`.
    lines = text.split("\n")
    at = next((i for i, line in enumerate(lines) if line.startswith("  pt2tflite ops")), None)
    if at is not None:
        lines.insert(at + 1, "  " + VERIFY_USAGE)
    return "\n".join(lines).rstrip("\n") + "\n" + VERIFY_HELP


def run_verify(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="pt2tflite verify", usage=VERIFY_USAGE,
                                 description="Compare a .tflite with its ONNX model (onnxruntime vs LiteRT).")
    ap.add_argument("onnx", metavar="MODEL.onnx")
    ap.add_argument("tflite", metavar="MODEL.tflite")
    ap.add_argument("--inputs", metavar="DATA.npz", help="input arrays keyed by ONNX input name (.npz) or one .npy")
    ap.add_argument("--tolerance", type=float, help="relative error bound per output")
    ap.add_argument("--per-layer", action="store_true", help="name the first intermediate tensor above tolerance")
    ap.add_argument("--io-layout", choices=("auto", "nchw", "nhwc"), default="auto")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args(argv)

    from .errors import MissingExtraError
    from .verify import verify

    try:
        report = verify(args.onnx, args.tflite, args.inputs, tolerance=args.tolerance, per_layer=args.per_layer,
                        seed=args.seed, io_layout=args.io_layout)
    except (MissingExtraError, FileNotFoundError, ValueError) as e:
        print(f"pt2tflite verify: error: {e}", file=sys.stderr)
        return 2
    if args.json:
        d = dataclasses.asdict(report)
        d["passed"] = report.passed
        print(json.dumps(d, indent=2, default=str))
    else:
        print(report)
    return 0 if report.passed else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
