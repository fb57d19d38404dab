"""Calibration from a folder of images (issue 4): `--calibration DIR --mean --std`.

SimpleNetwork (3×32×32) is calibrated on 16 generated 64×64 PNGs. The converter decodes,
resizes (bilinear, half-pixel centres), scales to [0, 1] and normalises them; the same images
preprocessed in numpy and saved as one .npy stack must give a byte-identical .tflite (a 2×
downscale averages 2×2 blocks of integers exactly, so numpy and C++ agree to the bit). The
int8 model, run in LiteRT on held-out images, is checked against the float model's outputs.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

import harness
import models

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
SQNR_MIN_DB = 25.0  # the bar; measured 40.1 dB (NCHW, rgb, 16 images) and 36.8 dB (NHWC, bgr, 8)


def write_png(path: Path, pixels: np.ndarray) -> None:
    """8-bit gray (H, W) or RGB (H, W, 3) PNG: one IDAT, filter 0 on every row."""
    h, w = pixels.shape[:2]
    colour_type = 2 if pixels.ndim == 3 else 0

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + pixels[y].tobytes() for y in range(h))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def make_images(n: int, seed: int) -> np.ndarray:
    """n smooth-ish 64×64 RGB uint8 images: a random colour gradient plus noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32) / 63
    out = []
    for _ in range(n):
        a, b, c = rng.uniform(0, 255, (3, 3))
        img = a * yy[..., None] + b * xx[..., None] + c * (1 - yy[..., None]) / 2 + rng.normal(0, 20, (64, 64, 3))
        out.append(np.clip(img, 0, 255).astype(np.uint8))
    return np.stack(out)


def preprocess(images: np.ndarray, bgr: bool = False) -> np.ndarray:
    """What the converter does, in float32: 64→32 bilinear (= 2×2 mean), [0,1], mean/std, NCHW."""
    x = images.astype(np.float32).reshape(-1, 32, 2, 32, 2, 3).mean(axis=(2, 4), dtype=np.float32)
    x = x / np.float32(255)
    if bgr:
        x = x[..., ::-1]
    x = (x - np.array(IMAGENET_MEAN, np.float32)) / np.array(IMAGENET_STD, np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def sqnr_db(ref: np.ndarray, got: np.ndarray) -> float:
    err = float(((ref.astype(np.float64) - got) ** 2).sum())
    return 10 * np.log10(float((ref.astype(np.float64) ** 2).sum()) / max(err, 1e-30))


@pytest.fixture(scope="module")
def simple_network(export_cache):
    spec = models.MODELS["simple_network"]
    return export_cache.get("simple_network", "torchscript", spec.build, spec.shapes, seed=1, kind=spec.input_kinds)


def convert(exp, out: Path, *args) -> bytes:
    r = harness.run_cli("convert", exp.onnx_path, "-o", out, "--quantize", "int8", *args)
    assert r.returncode == 0, r.stderr
    return out.read_bytes()


@pytest.mark.parametrize("nhwc_io, order, size", [(False, "rgb", None), (True, "bgr", 8)])
def test_image_folder_matches_npy_and_float(simple_network, tmp_path, nhwc_io, order, size):
    images = make_images(16, seed=3)
    folder = tmp_path / "images"
    folder.mkdir()
    for i, img in enumerate(images):
        write_png(folder / f"img_{i:02d}.png", img)
    (folder / "README.txt").write_text("not an image: ignored")
    bgr = order == "bgr"
    stack = preprocess(images[:size] if size else images, bgr)
    np.save(tmp_path / "same.npy", stack)

    common = ["--nhwc-io"] if nhwc_io else []
    common += ["--calibration-size", str(size)] if size else []
    norm = ["--mean", ",".join(map(str, IMAGENET_MEAN)), "--std", ",".join(map(str, IMAGENET_STD))]
    norm += ["--channel-order", order] if bgr else []
    from_images = convert(simple_network, tmp_path / "images.tflite", "--calibration", folder, *norm, *common)
    from_npy = convert(simple_network, tmp_path / "npy.tflite", "--calibration", tmp_path / "same.npy", *common)
    assert from_images == from_npy, "images and the same data as .npy must calibrate identically"

    name = simple_network.input_dims[0][0]
    out_names = simple_network.output_names
    sq = []
    for x in preprocess(make_images(4, seed=4), bgr):
        x = x[None]
        ref = harness.run_onnxruntime(simple_network.onnx_path, {name: x})[out_names[0]]
        got = harness.run_litert(tmp_path / "images.tflite", {name: x}, out_names, nhwc_io=nhwc_io).outputs
        sq.append(sqnr_db(ref, got[out_names[0]]))
    print(f"\nimage-calibrated SimpleNetwork int8 (nhwc_io={nhwc_io}, {order}): SQNR {np.mean(sq):.1f} dB")
    assert np.mean(sq) >= SQNR_MIN_DB


def test_grayscale_images_for_an_rgb_model_are_refused(simple_network, tmp_path):
    folder = tmp_path / "gray"
    folder.mkdir()
    write_png(folder / "a.png", make_images(1, seed=5)[0, :, :, 0])
    out = tmp_path / "out.tflite"
    r = harness.run_cli("convert", simple_network.onnx_path, "-o", out, "--quantize", "int8", "--calibration", folder)
    assert r.returncode == 1
    assert "a.png: the image is grayscale but input" in r.stderr and "takes 3 channels" in r.stderr, r.stderr
    assert not out.exists()


def test_mean_with_arrays_is_refused(simple_network, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((1, 3, 32, 32), np.float32))
    r = harness.run_cli("convert", simple_network.onnx_path, "-o", tmp_path / "o.tflite", "--quantize", "int8",
                        "--calibration", tmp_path / "x.npy", "--mean", "0.5")
    assert r.returncode == 1
    assert "apply to image files only" in r.stderr, r.stderr


def test_mean_without_integer_quantization_is_refused(simple_network, tmp_path):
    r = harness.run_cli("convert", simple_network.onnx_path, "-o", tmp_path / "o.tflite", "--quantize", "float16",
                        "--channel-order", "bgr")
    assert r.returncode == 1
    assert "need --quantize int8 or int16x8" in r.stderr, r.stderr
