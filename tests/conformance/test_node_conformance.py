"""ONNX's backend node tests converted by pt2tflite and run in LiteRT, as pytest checks.

The sweep (run_node_tests.py) runs once per module: every node test whose op types the
converter claims (`pt2tflite ops`) is converted, run in LiteRT and compared with ONNX's
expected outputs. Binary: $PT2TFLITE_BIN or build/pt2tflite. The first run generates the
node test data from the onnx wheel into a cache (~1 min; $PT2TFLITE_ONNX_NODE_CACHE).
Set PT2TFLITE_CONFORMANCE_JSON / PT2TFLITE_CONFORMANCE_MD to keep the report.

    .venv/bin/python -m pytest tests/conformance -q
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run_node_tests as rnt  # noqa: E402

# Floors from measurement (onnx 1.23.2; 1820 of the wheel's 1884 node tests claimed, 212 op
# types incl. 15 of ai.onnx.ml, importer opsets 1–28 op by op; 2026-12-04 evening):
#   pass rate as shipped                          79.9 %  (1455 / 1820, 0 fail, 10 random)
#   without refusals for types TFLite lacks       98.4 %  (1455 / 1479)
#   counting passes with run-time params frozen   80.5 %  (+10)
# The 341 type refusals are double, uint16/32/64, bfloat16, float8, int4/2, strings (316) and
# sequences/optionals as model inputs/outputs (25): TFLite has no tensor type for them, and the
# issue asks for them to be refused. The 24 others: parameters that decide a shape through an
# op with a static geometry (Col2Im image_shape, MaxUnpool output_shape, MelWeightMatrix bins,
# STFT frame_length, a onesided DFT's run-time axis), Loops with a run-time trip count, run-time
# If over sequences, SplitToSequence with run-time sizes, Squeeze without axes of a run-time
# extent, int64 bit shifts, and an empty (kernel size 1) CausalConvWithState state.
MIN_PASS_RATE = 0.78
MIN_PASS_RATE_WITH_FROZEN = 0.79
# The target: 95 % of the claimed node tests pass, counting the ones TFLite can express.
MIN_PASS_RATE_EXPRESSIBLE = 0.95

# Where the runner's frozen-parameter retry meets test data that disagrees with onnxruntime,
# which pt2tflite follows (the e2e tests compare with it): test name → why.
FROZEN_DEVIATIONS = {
    "test_maxunpool_export_with_output_shape": (
        "with output_shape, onnxruntime and PyTorch read the indices as positions in the output_shape "
        "tensor; ONNX's expected output places them in the inferred shape's top-left corner"),
}

# ONNX element types TFLite has no tensor type or kernels for: such tests must be refused.
TYPES_TFLITE_LACKS = {"DOUBLE", "UINT64", "UINT32", "UINT16", "STRING", "BFLOAT16", "COMPLEX64", "COMPLEX128",
                      "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "FLOAT8E8M0", "UINT4", "INT4",
                      "FLOAT4E2M1", "INT2", "UINT2"}


@pytest.fixture(scope="module")
def report() -> dict:
    binary = rnt.default_binary()
    if not Path(binary).is_file():
        pytest.fail(f"converter binary not found at {binary}: build it or set PT2TFLITE_BIN")
    rep = rnt.run(binary=binary, jobs=2)
    if os.environ.get("PT2TFLITE_CONFORMANCE_JSON"):
        import json

        Path(os.environ["PT2TFLITE_CONFORMANCE_JSON"]).write_text(json.dumps(rep, indent=1) + "\n")
    if os.environ.get("PT2TFLITE_CONFORMANCE_MD"):
        Path(os.environ["PT2TFLITE_CONFORMANCE_MD"]).write_text(rnt.markdown(rep))
    return rep


def _listing(tests: list[dict], reason_key: str = "reason") -> str:
    return "\n".join(f"  {t['name']} ({t['op']}): {t.get(reason_key, '')}" for t in tests)


def test_litert_runs_every_converted_file(report):
    """A file the converter wrote that LiteRT cannot load or run (or dies on) is our bug."""
    broken = [t for t in report["tests"] if t["status"] == "fail" and t.get("category") in ("load", "run", "crash")]
    frozen = [t for t in report["tests"]
              if t.get("frozen_status") == "fail" and t.get("frozen_category") in ("load", "run", "crash")]
    assert not broken and not frozen, ("LiteRT could not load/run these conversions:\n" + _listing(broken) +
                                       "\n" + _listing(frozen, "frozen_reason"))


def test_no_wrong_results(report):
    """Converted and ran, but the numbers (or dtype/shape) differ from ONNX's expected outputs,
    or the converter crashed / called a valid test model invalid."""
    fails = [t for t in report["tests"] if t["status"] == "fail"]
    frozen = [t for t in report["tests"] if t.get("frozen_status") == "fail" and t["name"] not in FROZEN_DEVIATIONS]
    known = {t["name"] for t in report["tests"] if t.get("frozen_status") == "fail"}
    stale = sorted(set(FROZEN_DEVIATIONS) - known)
    assert not stale, f"FROZEN_DEVIATIONS lists tests that no longer fail: {stale}"
    assert not fails and not frozen, ("failing node tests:\n" + _listing(fails) + "\nwith frozen parameters:\n" +
                                      _listing(frozen, "frozen_reason"))


def test_types_tflite_lacks_are_refused(report):
    """double, uint64, strings, float8 … must be refused with a clear error, never 'pass'."""
    wrong = [t for t in report["tests"] if t["status"] == "pass" and TYPES_TFLITE_LACKS & set(t.get("io_types", []))]
    assert not wrong, "converted although TFLite lacks the type:\n" + _listing(wrong)
    for t in report["tests"]:
        if t["status"] == "refused" and t.get("category") == "dtype":
            assert "unsupported" in t["reason"], t


def test_pass_rate(report):
    s = report["summary"]
    assert s["claimed"] > 0, "no node test is claimed: is `pt2tflite ops` empty?"
    assert s["pass_rate"] >= MIN_PASS_RATE, (
        f"pass rate {100 * s['pass_rate']:.1f} % < {100 * MIN_PASS_RATE:.0f} % "
        f"({s['pass']} of {s['claimed']} claimed tests)")
    assert s["pass_rate_with_frozen"] >= MIN_PASS_RATE_WITH_FROZEN, (
        f"pass rate counting frozen parameters {100 * s['pass_rate_with_frozen']:.1f} % < "
        f"{100 * MIN_PASS_RATE_WITH_FROZEN:.0f} %")
    assert s["pass_rate_expressible"] >= MIN_PASS_RATE_EXPRESSIBLE, (
        f"pass rate without refusals for types TFLite lacks {100 * s['pass_rate_expressible']:.1f} % < "
        f"{100 * MIN_PASS_RATE_EXPRESSIBLE:.0f} %")
