"""Issue 4's accuracy experiment (examples/digits_accuracy.py), run as a test: SimpleNetwork trained
on scikit-learn's digits (fixed seed, one thread), converted to float32 and to full int8 through
the CLI and through TFLiteConverter, evaluated in LiteRT on the test split."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits_accuracy.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("digits_accuracy", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    digits = _load_example()
    exp = digits.run(tmp_path_factory.mktemp("digits"), log=lambda *_: None)
    print("\n" + digits.table(exp.rows))
    return exp


def _rows(exp):
    torch_row, float_row, cli_row, api_row = exp.rows
    assert (torch_row.name, float_row.name, cli_row.name, api_row.name) == (
        "PyTorch", "TFLite float32", "TFLite int8", "TFLite int8")
    return torch_row, float_row, cli_row, api_row


def test_the_network_learned(experiment):
    torch_row, *_ = _rows(experiment)
    # 10 balanced classes: chance is 10 %. A broken training loop or data pipeline lands far below.
    assert torch_row.accuracy > 90, f"PyTorch test accuracy {torch_row.accuracy:.2f} %"


def test_float_tflite_predicts_what_torch_predicts(experiment):
    torch_row, float_row, *_ = _rows(experiment)
    ref, got = torch_row.probs, float_row.probs
    np.testing.assert_allclose(got, ref, atol=1e-4 * np.abs(ref).max())
    top2 = np.sort(ref, axis=1)[:, -2:]
    tie = (top2[:, 1] - top2[:, 0]) <= 1e-5  # two classes within float rounding: either is right
    differ = np.argmax(got, axis=1) != np.argmax(ref, axis=1)
    assert not np.any(differ & ~tie), f"float TFLite changes the class of test images {np.flatnonzero(differ & ~tie)}"
    if not np.any(differ):
        assert float_row.accuracy == torch_row.accuracy


def test_int8_within_half_a_point_of_float(experiment):
    _, float_row, cli_row, api_row = _rows(experiment)
    for row in (cli_row, api_row):
        assert row.io == "int8", f"{row.how}: I/O {row.io}, asked for int8"
        assert abs(row.accuracy - float_row.accuracy) <= 0.5, (
            f"{row.how}: int8 {row.accuracy:.2f} % vs float {float_row.accuracy:.2f} %")
        # Weights dominate this model: int8 is about a quarter of float32.
        assert 0.2 < row.size / float_row.size < 0.32, f"{row.how}: {row.size} B vs float {float_row.size} B"


def test_cli_and_tfliteconverter_write_the_same_file(experiment):
    """Same ONNX graph, same 100 calibration images, same settings (int8 I/O, no float fallback):
    the two doors are one converter, and its output is deterministic."""
    assert experiment.int8_cli == experiment.int8_api
