"""float16 convolutions (a model exported after model.half()): LiteRT convolves in float32
only, so Conv/ConvTranspose run in float32 between CASTs, weights widened at conversion.
onnxruntime is the reference; outputs are float16, so the bound is two float16 steps at
max|ref| (the kernels round once at the end, onnxruntime may round partial sums)."""

from __future__ import annotations

import numpy as np
import onnx.helper as oh
import pytest
from onnx import TensorProto as TP
from onnx import numpy_helper

import harness

FLOAT16_TOL = 2 * 2.0 ** -10


def conv_model(op, x_shape, w, b, **attrs):
    inits = [numpy_helper.from_array(w, "w")]
    ins = ["x", "w"]
    if b is not None:
        inits.append(numpy_helper.from_array(b, "b"))
        ins.append("b")
    g = oh.make_graph([oh.make_node(op, ins, ["y"], **attrs)], "g", [oh.make_tensor_value_info("x", TP.FLOAT16, x_shape)],
                      [oh.make_tensor_value_info("y", TP.FLOAT16, None)], initializer=inits)
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", 17)])


@pytest.mark.parametrize("case", [
    dict(op="Conv", x=(1, 4, 9, 9), w=(6, 4, 3, 3), attrs=dict(pads=[1, 1, 1, 1])),
    dict(op="Conv", x=(2, 4, 8, 8), w=(4, 1, 3, 3), attrs=dict(group=4, strides=[2, 2])),
    dict(op="Conv", x=(1, 3, 16), w=(5, 3, 4), attrs=dict(dilations=[2])),
    dict(op="ConvTranspose", x=(1, 4, 5, 5), w=(4, 3, 3, 3), attrs=dict(strides=[2, 2], output_padding=[1, 1])),
], ids=lambda c: f"{c['op']}_{len(c['x']) - 2}d")
def test_float16_conv_runs_in_float32(tmp_path, case):
    rng = np.random.default_rng(3)
    w = (rng.standard_normal(case["w"]) * 0.3).astype(np.float16)
    out_ch = case["w"][1] * case["attrs"].get("group", 1) if case["op"] == "ConvTranspose" else case["w"][0]
    b = rng.standard_normal(out_ch).astype(np.float16)
    m = conv_model(case["op"], list(case["x"]), w, b, **case["attrs"])
    x = rng.standard_normal(case["x"]).astype(np.float16)
    # check_onnx_model also asserts the output dtype is onnxruntime's (float16).
    harness.check_onnx_model(m, {"x": x}, tmp_path, case["op"], tol=FLOAT16_TOL)
