"""Does int8 quantization cost accuracy? The seeds' experiment (Arm's Ethos-U guide: SimpleNetwork,
65.97 % in PyTorch → 66.02 % as int8 TFLite on CIFAR-10), on a labelled image set that ships inside
a package: scikit-learn's 8×8 handwritten digits, upsampled to SimpleNetwork's 3×32×32 input.

    python examples/digits_accuracy.py [--out DIR] [--epochs N] [--cli "pt2tflite"]

Trains SimpleNetwork for a few epochs (seconds on one CPU thread, fixed seed), converts it to
float32 and to full int8 (int8 inputs and outputs, as in the guide) through both front doors —
the `pt2tflite convert` CLI with --calibration calib.npy, and the Python
TFLiteConverter with a representative_dataset — calibrating on 100 training images, then runs
every .tflite in LiteRT on the test split and prints the accuracy table. Needs the pt2tflite
package with its [torch] and [verify] extras, and scikit-learn.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import pt2tflite
from pt2tflite import lite

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from models import SimpleNetwork  # noqa: E402 — the seed's network, one definition for all

SEED = 0
CALIBRATION_IMAGES = 100


# --------------------------------------------------------------------------- data


@dataclass
class Digits:
    x_train: np.ndarray  # float32 [N, 3, 32, 32] in [-1, 1]
    y_train: np.ndarray  # int64 [N]
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits(test_fraction: float = 0.3) -> Digits:
    """sklearn's digits (1797 images, 8×8, values 0..16) → 3×32×32 in [-1, 1] (bilinear upsampling,
    the grey channel repeated), split into train/test with a fixed, stratified permutation."""
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split

    d = sk_digits()
    x = torch.from_numpy(d.images.astype(np.float32) / 16.0).unsqueeze(1)      # [N, 1, 8, 8] in [0, 1]
    x = F.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)
    x = (x.repeat(1, 3, 1, 1) - 0.5) / 0.5
    x_train, x_test, y_train, y_test = train_test_split(
        x.numpy(), d.target.astype(np.int64), test_size=test_fraction, random_state=SEED, stratify=d.target)
    return Digits(np.ascontiguousarray(x_train), y_train, np.ascontiguousarray(x_test), y_test)


# --------------------------------------------------------------------------- training


def train(data: Digits, epochs: int, batch_size: int = 32, lr: float = 2e-3) -> SimpleNetwork:
    """Adam on the log of the softmax output (the network ends in Softmax, as in the seed)."""
    torch.manual_seed(SEED)
    model = SimpleNetwork()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    g = torch.Generator().manual_seed(SEED)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=g).split(batch_size):
            opt.zero_grad()
            loss = F.nll_loss(torch.log(model(x[idx]).clamp_min(1e-12)), y[idx])
            loss.backward()
            opt.step()
    return model.eval()


def torch_predictions(model: nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


# --------------------------------------------------------------------------- LiteRT


def tflite_outputs(tflite: bytes, x: np.ndarray) -> np.ndarray:
    """Runs the .tflite on each image (batch 1, as converted); int8 I/O is quantized and
    dequantized with the model's own scale and zero point. Returns float probabilities [N, 10]."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=tflite, num_threads=1)
    interp.allocate_tensors()
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    in_scale, in_zp = inp["quantization"]
    out_scale, out_zp = out["quantization"]
    probs = np.empty((len(x), 10), np.float32)
    for i in range(len(x)):
        xi = x[i:i + 1]
        if inp["dtype"] != np.float32:
            info = np.iinfo(inp["dtype"])
            xi = np.clip(np.round(xi / in_scale) + in_zp, info.min, info.max).astype(inp["dtype"])
        interp.set_tensor(inp["index"], xi)
        interp.invoke()
        y = interp.get_tensor(out["index"])
        probs[i] = (y.astype(np.float32) - out_zp) * out_scale if out["dtype"] != np.float32 else y
    return probs


def tensor_types(tflite: bytes) -> tuple[str, str]:
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=tflite)
    return interp.get_input_details()[0]["dtype"].__name__, interp.get_output_details()[0]["dtype"].__name__


def sqnr_db(ref: np.ndarray, got: np.ndarray) -> float:
    """Signal-to-quantization-noise ratio over all test outputs (softmax probabilities), in dB."""
    noise = float(np.sum((ref.astype(np.float64) - got) ** 2))
    return float("inf") if noise == 0 else 10 * np.log10(float(np.sum(ref.astype(np.float64) ** 2)) / noise)


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(probs, axis=1) == labels) * 100.0)


# --------------------------------------------------------------------------- the experiment


@dataclass
class Row:
    name: str
    how: str
    size: int | None  # bytes of the .tflite; None for PyTorch
    io: str
    probs: np.ndarray
    accuracy: float


@dataclass
class Experiment:
    rows: list[Row]          # PyTorch, float32 TFLite, int8 via the CLI, int8 via TFLiteConverter
    labels: np.ndarray       # of the test split
    float_tflite: bytes
    int8_cli: bytes
    int8_api: bytes


def run(out_dir: Path, epochs: int = 3, cli: list[str] | None = None, log=print) -> Experiment:
    """Trains, converts through the CLI and the Python API, evaluates in LiteRT."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the same training, bit for bit, on every machine
    try:
        return _run(out_dir, epochs, cli, log)
    finally:
        torch.set_num_threads(threads)


def _run(out_dir: Path, epochs: int, cli: list[str] | None, log) -> Experiment:
    cli = cli or [sys.executable, "-m", "pt2tflite"]
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    data = load_digits()
    model = train(data, epochs)
    log(f"trained SimpleNetwork on {len(data.x_train)} digits for {epochs} epochs "
        f"in {time.perf_counter() - t0:.1f} s; testing on {len(data.x_test)}")
    example = torch.from_numpy(data.x_test[:1])
    rows = [Row("PyTorch", "—", None, "float32", p := torch_predictions(model, data.x_test),
                accuracy(p, data.y_test))]

    # Float32, through the Python API; the ONNX file it exports feeds the CLI below.
    onnx_path = out_dir / "digits.onnx"
    float_tflite = pt2tflite.convert(model, example, save_onnx=onnx_path)
    (out_dir / "digits_float32.tflite").write_bytes(float_tflite)

    # 100 training images calibrate the int8 ranges, through each door.
    calib = data.x_train[:CALIBRATION_IMAGES]
    np.save(out_dir / "calib.npy", calib)  # a stack [100, 3, 32, 32]: one sample per leading index
    cli_path = out_dir / "digits_int8_cli.tflite"
    subprocess.run([*cli, "convert", str(onnx_path), "-o", str(cli_path), "--quantize", "int8",
                    "--calibration", str(out_dir / "calib.npy"), "--io-type", "int8"], check=True)
    int8_cli = cli_path.read_bytes()

    def representative_dataset():  # the seed's form: one list of input arrays per sample
        for i in range(CALIBRATION_IMAGES):
            yield [calib[i:i + 1]]

    converter = lite.TFLiteConverter.from_pytorch(model, example)
    converter.optimizations = [lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
    converter.target_spec.supported_ops = [lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = pt2tflite.int8
    converter.inference_output_type = pt2tflite.int8
    int8_api = converter.convert()
    (out_dir / "digits_int8_api.tflite").write_bytes(int8_api)

    for name, how, tfl in (("TFLite float32", "pt2tflite.convert()", float_tflite),
                           ("TFLite int8", "CLI --calibration calib.npy", int8_cli),
                           ("TFLite int8", "TFLiteConverter + representative_dataset", int8_api)):
        probs = tflite_outputs(tfl, data.x_test)
        rows.append(Row(name, how, len(tfl), "/".join(dict.fromkeys(tensor_types(tfl))), probs,
                        accuracy(probs, data.y_test)))
    return Experiment(rows, data.y_test, float_tflite, int8_cli, int8_api)


def table(rows: list[Row]) -> str:
    """Markdown; "same class as PyTorch" counts test images whose predicted class is PyTorch's."""
    ref = np.argmax(rows[0].probs, axis=1)
    lines = ["| model | converted by | I/O | size | test accuracy | same class as PyTorch | SQNR vs PyTorch |",
             "|---|---|---|---:|---:|---:|---:|"]
    for r in rows:
        size = "—" if r.size is None else f"{r.size / 1024:.1f} KiB"
        same = int(np.sum(np.argmax(r.probs, axis=1) == ref))
        sqnr = "—" if r is rows[0] else f"{sqnr_db(rows[0].probs, r.probs):.1f} dB"
        lines.append(f"| {r.name} | {r.how} | {r.io} | {size} | {r.accuracy:.2f} % | {same}/{len(ref)} | {sqnr} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="keep the .onnx, .tflite and calib.npy files here")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--cli", help="the pt2tflite command (default: python -m pt2tflite)")
    args = ap.parse_args(argv)
    cli = shlex.split(args.cli) if args.cli else None
    with tempfile.TemporaryDirectory(prefix="digits-") as tmp:
        exp = run(args.out or Path(tmp), args.epochs, cli)
    print(table(exp.rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
