"""ONNX quantization-format ops (QDQ and QOperator models): QuantizeLinear, DequantizeLinear,
DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv, built as ONNX
graphs, converted, run in LiteRT and compared with onnxruntime (graph optimizations off, so
a QDQ model is not fused into QLinear* ops): integer outputs exactly, floats by the float32
rule. Covers per-tensor / per-axis / blocked parameters, run-time and constant scales,
round-half-to-even ties, saturation, int8/uint8/int16, and a small QDQ Conv→Relu→MatMul model
laid out as onnxruntime's quantize_static writes one.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import harness

_TYPES = {np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16, np.int8: TensorProto.INT8, np.uint8: TensorProto.UINT8,
          np.int16: TensorProto.INT16, np.int32: TensorProto.INT32}
_rng = np.random.default_rng(0)


def _f(*shape, scale=1.0):
    return (_rng.standard_normal(shape) * scale).astype(np.float32)


def _q(dtype, *shape):
    info = np.iinfo(dtype)
    return _rng.integers(info.min, int(info.max) + 1, shape).astype(dtype)


def _s(*v):
    return np.array(v, np.float32) if len(v) != 1 else np.array(v[0], np.float32)


# Ties: x / scale lands exactly on k + 0.5 (scale a power of two), both signs, odd and even k.
_TIES = (np.arange(-12, 12, dtype=np.float32) + 0.5) * np.float32(0.25)

# id: (op, attrs, run-time inputs, constant inputs (in input order after the run-time ones
#      unless named in `order`), opset, number of outputs, input order or None)
CASES = {
    "quantize_uint8_per_tensor": ("QuantizeLinear", {}, {"x": _f(2, 3, 5, 4, scale=3)},
                                  {"s": _s(0.037), "z": np.array(131, np.uint8)}, 13, 1, None),
    "quantize_int8_ties": ("QuantizeLinear", {}, {"x": _TIES.reshape(4, 6)},
                           {"s": _s(0.25), "z": np.array(-3, np.int8)}, 13, 1, None),
    "quantize_uint8_ties_no_zero_point": ("QuantizeLinear", {}, {"x": np.abs(_TIES)}, {"s": _s(0.25)}, 13, 1, None),
    "quantize_int8_saturates": ("QuantizeLinear", {}, {"x": _f(3, 7, scale=50)},
                                {"s": _s(0.1), "z": np.array(10, np.int8)}, 13, 1, None),
    "quantize_int8_per_axis1": ("QuantizeLinear", {"axis": 1}, {"x": _f(2, 3, 4, 4, scale=2)},
                                {"s": _s(0.01, 0.02, 0.05), "z": np.array([0, -5, 7], np.int8)}, 13, 1, None),
    "quantize_uint8_per_axis_last_negative": ("QuantizeLinear", {"axis": -1}, {"x": _f(5, 3, scale=2)},
                                              {"s": _s(0.01, 0.02, 0.5), "z": np.array([0, 128, 255], np.uint8)},
                                              13, 1, None),
    "quantize_int16": ("QuantizeLinear", {}, {"x": _f(4, 9, scale=100)},
                       {"s": _s(0.003), "z": np.array(-17, np.int16)}, 21, 1, None),
    "quantize_output_dtype_int8": ("QuantizeLinear", {"output_dtype": TensorProto.INT8}, {"x": _f(3, 8)},
                                   {"s": _s(0.02)}, 21, 1, None),
    "quantize_blocked": ("QuantizeLinear", {"axis": 1, "block_size": 3}, {"x": _f(2, 7, scale=2)},
                         {"s": np.array([[0.01, 0.02, 0.04], [0.03, 0.05, 0.1]], np.float32),
                          "z": np.array([[0, 1, -2], [3, -4, 5]], np.int8)}, 21, 1, None),
    "quantize_runtime_scale_and_zero_point": ("QuantizeLinear", {},
                                              {"x": _f(3, 4, scale=2), "s": _s(0.013),
                                               "z": np.array(120, np.uint8)}, {}, 13, 1, None),
    "quantize_runtime_per_axis": ("QuantizeLinear", {"axis": 0},
                                  {"x": _f(3, 4, scale=2), "s": _s(0.01, 0.02, 0.03),
                                   "z": np.array([-1, 0, 1], np.int8)}, {}, 13, 1, None),
    "quantize_blocked_runtime_scale": ("QuantizeLinear", {"axis": 0, "block_size": 2},
                                       {"x": _f(5, 3, scale=2),
                                        "s": np.array([[0.01, 0.02, 0.04], [0.03, 0.05, 0.1], [0.2, 0.3, 0.4]],
                                                      np.float32),
                                        "z": np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]], np.uint8)}, {}, 21, 1, None),
    "quantize_scalar_input": ("QuantizeLinear", {}, {"x": np.array(-3.7, np.float32)},
                              {"s": _s(0.5), "z": np.array(-100, np.int8)}, 13, 1, None),
    "quantize_opset10_uint8": ("QuantizeLinear", {}, {"x": _f(2, 6, scale=3)},
                               {"s": _s(0.03), "z": np.array(77, np.uint8)}, 10, 1, None),
    "quantize_float16": ("QuantizeLinear", {}, {"x": _f(4, 50, scale=3).astype(np.float16)},
                         {"s": np.array(0.0137, np.float16), "z": np.array(5, np.int8)}, 19, 1, None),
    "dequantize_to_float16": ("DequantizeLinear", {}, {"x": _q(np.int8, 4, 50)},
                              {"s": np.array(0.0137, np.float16), "z": np.array(5, np.int8)}, 19, 1, None),
    "dequantize_uint8_per_tensor": ("DequantizeLinear", {}, {"x": _q(np.uint8, 2, 3, 4)},
                                    {"s": _s(0.0371), "z": np.array(129, np.uint8)}, 13, 1, None),
    "dequantize_int8_per_axis": ("DequantizeLinear", {"axis": 1}, {"x": _q(np.int8, 2, 3, 2, 2)},
                                 {"s": _s(0.1, 0.01, 3.0), "z": np.array([1, -1, 0], np.int8)}, 13, 1, None),
    "dequantize_int16": ("DequantizeLinear", {}, {"x": _q(np.int16, 5, 6)},
                         {"s": _s(0.0007), "z": np.array(-300, np.int16)}, 21, 1, None),
    "dequantize_int32_bias": ("DequantizeLinear", {}, {"x": _rng.integers(-2**20, 2**20, (8,)).astype(np.int32)},
                              {"s": _s(0.00013)}, 13, 1, None),
    "dequantize_blocked": ("DequantizeLinear", {"axis": 0, "block_size": 2}, {"x": _q(np.int8, 5, 3)},
                           {"s": np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]], np.float32),
                            "z": np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]], np.int8)}, 21, 1, None),
    "dequantize_runtime_scale": ("DequantizeLinear", {},
                                 {"x": _q(np.uint8, 4, 5), "s": _s(0.05), "z": np.array(3, np.uint8)}, {}, 13, 1, None),
    "dynamic_quantize": ("DynamicQuantizeLinear", {}, {"x": _f(3, 4, 5, scale=4)}, {}, 11, 3, None),
    "dynamic_quantize_positive": ("DynamicQuantizeLinear", {}, {"x": np.abs(_f(6, 7)) + 0.5}, {}, 11, 3, None),
    "dynamic_quantize_all_zero": ("DynamicQuantizeLinear", {}, {"x": np.zeros((2, 3), np.float32)}, {}, 11, 3, None),
    "matmul_integer_uint8_int8": ("MatMulInteger", {}, {"a": _q(np.uint8, 2, 5, 16)},
                                  {"b": _q(np.int8, 16, 6), "az": np.array(128, np.uint8),
                                   "bz": np.array([0, 1, -1, 3, 0, 2], np.int8)}, 10, 1, None),
    "matmul_integer_runtime_b": ("MatMulInteger", {}, {"a": _q(np.int8, 3, 8), "b": _q(np.int8, 8, 4)},
                                 {"az": np.array(5, np.int8), "bz": np.array(-3, np.int8)}, 10, 1, None),
    "matmul_integer_no_zero_points": ("MatMulInteger", {}, {"a": _q(np.uint8, 4, 7)}, {"b": _q(np.uint8, 7, 3)},
                                      10, 1, None),
    "conv_integer": ("ConvInteger", {"pads": [1, 1, 1, 1], "strides": [2, 1]}, {"x": _q(np.uint8, 1, 3, 7, 6)},
                     {"w": _q(np.int8, 4, 3, 3, 3), "xz": np.array(100, np.uint8),
                      "wz": np.array(2, np.int8)}, 10, 1, None),
    "conv_integer_grouped_int8": ("ConvInteger", {"group": 2}, {"x": _q(np.int8, 2, 4, 5, 5)},
                                            {"w": _q(np.int8, 6, 2, 2, 2), "xz": np.array(-7, np.int8),
                                             "wz": np.array(3, np.int8)}, 10, 1, None),
    # Accumulators beyond 2^24 (float32's exact integers): the weights are split into digits.
    "matmul_integer_runtime_k512_split_base16": ("MatMulInteger", {}, {"a": _q(np.uint8, 2, 3, 512),
                                                                       "b": _q(np.uint8, 2, 512, 4)},
                                                 {"az": np.array(0, np.uint8), "bz": np.array(255, np.uint8)},
                                                 10, 1, None),
    "matmul_integer_runtime_k8000_split_base4": ("MatMulInteger", {}, {"a": _q(np.int8, 2, 8000),
                                                                       "b": _q(np.int8, 8000, 3)},
                                                 {"az": np.array(127, np.int8), "bz": np.array(-128, np.int8)},
                                                 10, 1, None),
    "qlinear_matmul_runtime_k1000_split": ("QLinearMatMul", {},
                                           {"a": _q(np.uint8, 4, 1000), "as": _s(0.05), "az": np.array(0, np.uint8),
                                            "b": _q(np.uint8, 1000, 3), "bs": _s(0.04), "bz": np.array(255, np.uint8),
                                            "ys": _s(200.0), "yz": np.array(255, np.uint8)}, {}, 10, 1, None),
    "matmul_integer_k2048_split_base16": ("MatMulInteger", {}, {"a": _q(np.uint8, 2, 2048)},
                                          {"b": _q(np.int8, 2048, 3)}, 10, 1, None),
    "matmul_integer_k16384_split_base4": ("MatMulInteger", {}, {"a": _q(np.uint8, 1, 16384)},
                                          {"b": _q(np.int8, 16384, 2)}, 10, 1, None),
    "conv_integer_k2304_split": ("ConvInteger", {"pads": [1, 1, 1, 1]}, {"x": _q(np.uint8, 1, 256, 4, 4)},
                                 {"w": _q(np.int8, 3, 256, 3, 3), "xz": np.array(0, np.uint8),
                                  "wz": np.array(-2, np.int8)}, 10, 1, None),
    "qlinear_conv_k2304_split_with_bias": ("QLinearConv", {}, {"x": _q(np.uint8, 1, 256, 4, 4)},
                                           {"xs": _s(0.01), "xz": np.array(0, np.uint8), "w": _q(np.int8, 3, 256, 3, 3),
                                            "ws": _s(0.01, 0.012, 0.009), "wz": np.zeros(3, np.int8), "ys": _s(0.9),
                                            "yz": np.array(128, np.uint8),
                                            "bias": np.array([30000, -40000, 123], np.int32)}, 10, 1, None),
    "matmul_integer_batched_const_b": ("MatMulInteger", {}, {"a": _q(np.int8, 2, 3, 4, 8)},
                                       {"b": _q(np.int8, 3, 8, 5), "az": np.array(-1, np.int8),
                                        "bz": np.array(4, np.int8)}, 10, 1, None),
    "matmul_integer_1d_a": ("MatMulInteger", {}, {"a": _q(np.uint8, 9)}, {"b": _q(np.uint8, 9, 4),
                                                                            "az": np.array(7, np.uint8)}, 10, 1, None),
    "conv_integer_1d": ("ConvInteger", {"pads": [2, 1], "dilations": [2]}, {"x": _q(np.uint8, 2, 3, 11)},
                        {"w": _q(np.uint8, 5, 3, 3), "xz": np.array(17, np.uint8), "wz": np.array(128, np.uint8)},
                        10, 1, None),
    "qlinear_conv_same_upper_no_bias": ("QLinearConv", {"auto_pad": "SAME_UPPER", "strides": [2, 2]},
                                        {"x": _q(np.uint8, 1, 2, 7, 8)},
                                        {"xs": _s(0.04), "xz": np.array(3, np.uint8), "w": _q(np.int8, 3, 2, 2, 3),
                                         "ws": _s(0.03), "wz": np.array(0, np.int8), "ys": _s(0.5),
                                         "yz": np.array(0, np.uint8)}, 10, 1, None),
    "qlinear_matmul_3d_uint8": ("QLinearMatMul", {}, {"a": _q(np.uint8, 2, 3, 6)},
                                {"as": _s(0.1), "az": np.array(10, np.uint8), "b": _q(np.uint8, 6, 4),
                                 "bs": _s(0.02), "bz": np.array(200, np.uint8), "ys": _s(1.5),
                                 "yz": np.array(90, np.uint8)}, 10, 1, None),
    "qlinear_matmul_per_column": ("QLinearMatMul", {}, {"a": _q(np.uint8, 2, 4, 32)},
                                  {"as": _s(0.02), "az": np.array(120, np.uint8), "b": _q(np.int8, 32, 5),
                                   "bs": _s(0.01, 0.02, 0.005, 0.03, 0.001), "bz": np.zeros(5, np.int8),
                                   "ys": _s(0.7), "yz": np.array(128, np.uint8)}, 10, 1, None),
    "qlinear_matmul_runtime_everything": ("QLinearMatMul", {},
                                          {"a": _q(np.int8, 3, 10), "as": _s(0.05), "az": np.array(1, np.int8),
                                           "b": _q(np.int8, 10, 4), "bs": _s(0.04), "bz": np.array(-2, np.int8),
                                           "ys": _s(0.9), "yz": np.array(-5, np.int8)}, {}, 10, 1, None),
    "qlinear_conv_per_channel": ("QLinearConv", {"pads": [1, 1, 1, 1]}, {"x": _q(np.uint8, 1, 3, 6, 6)},
                                 {"xs": _s(0.03), "xz": np.array(128, np.uint8), "w": _q(np.int8, 4, 3, 3, 3),
                                  "ws": _s(0.01, 0.02, 0.005, 0.04), "wz": np.zeros(4, np.int8),
                                  "ys": _s(0.2), "yz": np.array(100, np.uint8),
                                  "bias": np.array([1000, -2000, 0, 37], np.int32)}, 10, 1, None),
    "qlinear_conv_depthwise_int8": ("QLinearConv", {"group": 3, "strides": [2, 2]}, {"x": _q(np.int8, 1, 3, 7, 7)},
                                    {"xs": _s(0.05), "xz": np.array(-3, np.int8), "w": _q(np.int8, 3, 1, 3, 3),
                                     "ws": _s(0.02), "wz": np.array(0, np.int8), "ys": _s(0.3),
                                     "yz": np.array(4, np.int8)}, 10, 1, None),
}


def _model(op, attrs, feeds, consts, opset, outputs, order) -> onnx.ModelProto:
    inputs = [helper.make_tensor_value_info(k, _TYPES[v.dtype.type], v.shape) for k, v in feeds.items()]
    outs = [helper.make_tensor_value_info(f"y{i}", TensorProto.UNDEFINED, None) for i in range(outputs)]
    names = order or [*feeds, *consts]
    node = helper.make_node(op, names, [o.name for o in outs], **attrs)
    graph = helper.make_graph([node], op, inputs, outs,
                              initializer=[numpy_helper.from_array(v, k) for k, v in consts.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return onnx.shape_inference.infer_shapes(model, strict_mode=True)


# Operand order of the ops whose inputs interleave run-time and constant ones.
_ORDER = {
    "MatMulInteger": ["a", "b", "az", "bz"],
    "ConvInteger": ["x", "w", "xz", "wz"],
    "QLinearMatMul": ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
    "QLinearConv": ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "bias"],
}


def _run(model, feeds, tmp_path, name):
    return harness.check_onnx_model(model, feeds, tmp_path, name)


@pytest.mark.parametrize("case", list(CASES))
def test_quantization_op(case, tmp_path):
    op, attrs, feeds, consts, opset, outputs, order = CASES[case]
    order = order or ([n for n in _ORDER[op] if n in feeds or n in consts] if op in _ORDER else None)
    _run(_model(op, attrs, feeds, consts, opset, outputs, order), feeds, tmp_path, case)


def test_ties_round_half_to_even_not_away_from_zero(tmp_path):
    """The tie inputs must actually contain ties that the two rounding rules split on, and
    the converted model must round them half to even as onnxruntime does."""
    x = _TIES
    assert np.any(np.round(x / 0.25) != np.floor(x / 0.25 + 0.5))  # ties where the rules differ
    feeds = {"x": x}
    model = _model("QuantizeLinear", {}, feeds, {"s": _s(0.25), "z": np.array(0, np.int8)}, 13, 1, None)
    _run(model, feeds, tmp_path, "ties")


def test_dequantize_of_constant_weights_folds(tmp_path):
    """DequantizeLinear(int8 weights) → MatMul: the weights fold to float at conversion."""
    feeds = {"x": _f(3, 8)}
    w = _q(np.int8, 8, 5)
    nodes = [helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wf"], axis=1),
             helper.make_node("MatMul", ["x", "wf"], ["y"])]
    graph = helper.make_graph(nodes, "dq_fold", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 5])],
                              initializer=[numpy_helper.from_array(w, "w"),
                                           numpy_helper.from_array(_s(0.1, 0.2, 0.3, 0.4, 0.5), "ws"),
                                           numpy_helper.from_array(np.zeros(5, np.int8), "wz")])
    tfl = _run(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), feeds, tmp_path, "dq_fold")
    ops = harness.inspect_json(tfl)["ops"]
    assert set(ops) == {"FULLY_CONNECTED"}, ops


def _qdq(x, scale, zp, name, axis=None):
    """QuantizeLinear → DequantizeLinear nodes on `x`, as quantize_static places them."""
    kw = {} if axis is None else {"axis": axis}
    return [helper.make_node("QuantizeLinear", [x, scale, zp], [name + "_q"], **kw),
            helper.make_node("DequantizeLinear", [name + "_q", scale, zp], [name + "_dq"], **kw)]


def test_qdq_conv_relu_matmul_model(tmp_path):
    """A QDQ model shaped like onnxruntime's quantize_static output (QOperator-free): uint8
    activations with Q/DQ pairs, int8 per-channel weights and int32 bias behind
    DequantizeLinear, Conv → Relu → Flatten → MatMul."""
    w = _q(np.int8, 4, 3, 3, 3)
    w_scale = np.array([0.01, 0.02, 0.015, 0.03], np.float32)
    x_scale = np.float32(0.02)
    bias_q = _rng.integers(-500, 500, 4).astype(np.int32)
    m = _q(np.int8, 4 * 4 * 4, 6)
    inits = {
        "x_s": np.array(x_scale), "x_z": np.array(128, np.uint8),
        "w": w, "w_s": w_scale, "w_z": np.zeros(4, np.int8),
        "b": bias_q, "b_s": (x_scale * w_scale).astype(np.float32), "b_z": np.zeros(4, np.int32),
        "r_s": np.array(0.05, np.float32), "r_z": np.array(0, np.uint8),
        "m": m, "m_s": np.array(0.004, np.float32), "m_z": np.array(0, np.int8),
        "y_s": np.array(0.1, np.float32), "y_z": np.array(120, np.uint8),
        "shape": np.array([1, -1], np.int64),
    }
    nodes = [
        *_qdq("x", "x_s", "x_z", "x"),
        helper.make_node("DequantizeLinear", ["w", "w_s", "w_z"], ["w_dq"], axis=0),
        helper.make_node("DequantizeLinear", ["b", "b_s", "b_z"], ["b_dq"], axis=0),
        helper.make_node("Conv", ["x_dq", "w_dq", "b_dq"], ["conv"], pads=[0, 0, 0, 0], strides=[1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        *_qdq("relu", "r_s", "r_z", "relu"),
        helper.make_node("Reshape", ["relu_dq", "shape"], ["flat"]),
        helper.make_node("DequantizeLinear", ["m", "m_s", "m_z"], ["m_dq"]),
        helper.make_node("MatMul", ["flat", "m_dq"], ["mm"]),
        *_qdq("mm", "y_s", "y_z", "y"),
    ]
    graph = helper.make_graph(nodes, "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
                              [helper.make_tensor_value_info("y_dq", TensorProto.FLOAT, [1, 6])],
                              initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    feeds = {"x": _f(1, 3, 6, 6)}
    tfl = _run(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), feeds, tmp_path, "qdq")
    info = harness.inspect_json(tfl)
    assert info["transposes"] <= 1, harness.op_summary(info)


def test_accumulator_beyond_float32_exact_range_is_refused(tmp_path):
    """Both operands at run time and K so large that even base-4 digits of A would pass 2^24
    (K · 255 · 4 > 2^24): a clear refusal, not wrong numbers."""
    feeds = {"a": _q(np.uint8, 2, 20000), "b": _q(np.uint8, 20000, 3)}
    model = _model("MatMulInteger", {}, feeds, {}, 10, 1, None)
    path = tmp_path / "big.onnx"
    onnx.save(model, str(path))
    p = harness.run_cli("convert", path, "-o", tmp_path / "big.tflite")
    assert p.returncode != 0
    assert "2^24" in p.stderr + p.stdout, p.stderr
    assert not (tmp_path / "big.tflite").exists()


def _float_conv_matmul_model(tmp_path):
    """A float Conv → Relu → Reshape → MatMul model to hand to onnxruntime's quantizers."""
    rng = np.random.default_rng(1)
    inits = {"w": (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32),
             "b": (rng.standard_normal(8) * 0.1).astype(np.float32),
             "shape": np.array([1, -1], np.int64),
             "m": (rng.standard_normal((8 * 6 * 6, 10)) * 0.05).astype(np.float32)}
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("Reshape", ["r", "shape"], ["f"]),
             helper.make_node("MatMul", ["f", "m"], ["y"])]
    graph = helper.make_graph(nodes, "float", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
                              initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    path = tmp_path / "float.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
@pytest.mark.parametrize("fmt", ["QDQ", "QOperator"])
def test_onnxruntime_quantize_static_model(fmt, per_channel, tmp_path):
    """A float Conv → Relu → Reshape → MatMul model quantized by onnxruntime's quantize_static
    (uint8 activations, int8 weights). QOperator (QuantizeLinear, QLinearConv, QLinearMatMul,
    DequantizeLinear) is integer arithmetic throughout, so the outputs must be bit-identical;
    the QDQ form has float Conv/MatMul between the Q/DQ pairs and is held to the float rule."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    rng = np.random.default_rng(1)
    float_path, q_path = _float_conv_matmul_model(tmp_path), tmp_path / "quantized.onnx"

    class Calibration(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{"x": rng.standard_normal((1, 3, 6, 6)).astype(np.float32)} for _ in range(8)])

        def get_next(self):
            return next(self.batches, None)

    quantize_static(str(float_path), str(q_path), Calibration(), quant_format=getattr(QuantFormat, fmt),
                    per_channel=per_channel, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    ops = {n.op_type for n in onnx.load(str(q_path)).graph.node}
    assert ({"QLinearConv", "QLinearMatMul"} if fmt == "QOperator" else {"QuantizeLinear", "DequantizeLinear"}) <= ops
    feeds = {"x": rng.standard_normal((1, 3, 6, 6)).astype(np.float32)}
    ref = harness.run_onnxruntime(q_path, feeds)
    tfl = harness.convert(q_path, tmp_path / "quantized.tflite")
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    if fmt == "QOperator":
        assert np.array_equal(got["y"], ref["y"]), np.abs(got["y"] - ref["y"]).max()
    else:
        harness.assert_close(ref, got, context=f"[{fmt}] ")
        ops = harness.inspect_json(tfl)["ops"]
        assert "CAST" not in ops and "SUB" not in ops, f"Q→DQ pairs not collapsed: {ops}"


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
@pytest.mark.parametrize("weight_type", ["QInt8", "QUInt8"])
def test_onnxruntime_quantize_dynamic_model(weight_type, per_channel, tmp_path):
    """onnxruntime's quantize_dynamic: DynamicQuantizeLinear → ConvInteger / MatMulInteger
    (run-time activation zero point) → Cast → Mul by the scales. Every float op in it is one
    correctly rounded operation, so the outputs must be bit-identical."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    q_path = tmp_path / "dynamic.onnx"
    quantize_dynamic(str(_float_conv_matmul_model(tmp_path)), str(q_path), weight_type=getattr(QuantType, weight_type),
                     per_channel=per_channel, op_types_to_quantize=["Conv", "MatMul"])
    ops = {n.op_type for n in onnx.load(str(q_path)).graph.node}
    assert {"DynamicQuantizeLinear", "ConvInteger", "MatMulInteger"} <= ops, ops
    feeds = {"x": np.random.default_rng(2).standard_normal((1, 3, 6, 6)).astype(np.float32)}
    ref = harness.run_onnxruntime(q_path, feeds)
    got = harness.run_litert(harness.convert(q_path, tmp_path / "dynamic.tflite"), feeds, list(ref)).outputs
    assert np.array_equal(got["y"], ref["y"]), np.abs(got["y"] - ref["y"]).max()


# Q → DQ pairs: (Q params, DQ params, axis, also output the quantized tensor, collapses).
_PAIRS = {
    "same_per_tensor": ((0.05, 7), (0.05, 7), None, False, True),
    "same_per_axis": (((0.05, 0.1, 0.02), (3, -4, 0)), ((0.05, 0.1, 0.02), (3, -4, 0)), 1, False, True),
    "same_no_zero_point": ((0.05, None), (0.05, None), None, False, True),
    "different_scale": ((0.05, 7), (0.06, 7), None, False, False),
    "different_zero_point": ((0.05, 7), (0.05, 8), None, False, False),
    "quantized_also_an_output": ((0.05, 7), (0.05, 7), None, True, True),
}


@pytest.mark.parametrize("case", list(_PAIRS))
def test_quantize_dequantize_pair(case, tmp_path):
    """Around every activation of a QDQ model: with the same constant parameters the pair
    collapses to clamp(round(x / s), lo - zp, hi - zp) · s (no CASTs); otherwise it is
    lowered as two ops. Both must match onnxruntime."""
    (qs, qz), (ds, dz), axis, q_out, collapses = _PAIRS[case]
    kw = {} if axis is None else {"axis": axis}

    def params(prefix, scale, zp):
        inits = {prefix + "_s": np.array(scale, np.float32)}
        if zp is not None:
            inits[prefix + "_z"] = np.array(zp, np.int8)
        return inits

    inits = {**params("q", qs, qz), **params("d", ds, dz)}
    q_in = ["x", "q_s"] + (["q_z"] if qz is not None else [])
    d_in = ["q", "d_s"] + (["d_z"] if dz is not None else [])
    nodes = [helper.make_node("QuantizeLinear", q_in, ["q"], **kw),
             helper.make_node("DequantizeLinear", d_in, ["y"], **kw)]
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 4])]
    if q_out:
        outs.append(helper.make_tensor_value_info("q", TensorProto.INT8, [2, 3, 4]))
    graph = helper.make_graph(nodes, "pair", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])], outs,
                              initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    feeds = {"x": np.concatenate([_f(20, scale=8), _TIES[:4]]).reshape(2, 3, 4)}
    tfl = _run(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), feeds, tmp_path, case)
    ops = harness.inspect_json(tfl)["ops"]
    assert ("SUB" not in ops and ops.get("CAST", 0) == int(q_out)) == collapses, ops


def test_qlinear_conv_chain_reads_requantized_float(tmp_path):
    """QuantizeLinear → QLinearConv → QLinearConv → DequantizeLinear (a QOperator model's
    spine): each consumer reads the requantized float, so no CAST is left, and the result
    is integer arithmetic: bit-identical to onnxruntime."""
    inits = {"xs": _s(0.03), "xz": np.array(120, np.uint8),
             "w1": _q(np.int8, 4, 3, 3, 3), "w1s": _s(0.01, 0.02, 0.015, 0.01), "w1z": np.zeros(4, np.int8),
             "s1": _s(0.15), "z1": np.array(100, np.uint8), "b1": np.array([100, -50, 0, 7], np.int32),
             "w2": _q(np.int8, 2, 4, 1, 1), "w2s": _s(0.02), "w2z": np.array(0, np.int8),
             "s2": _s(0.3), "z2": np.array(128, np.uint8)}
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["q"]),
             helper.make_node("QLinearConv", ["q", "xs", "xz", "w1", "w1s", "w1z", "s1", "z1", "b1"], ["c1"],
                              pads=[1, 1, 1, 1]),
             helper.make_node("QLinearConv", ["c1", "s1", "z1", "w2", "w2s", "w2z", "s2", "z2"], ["c2"]),
             helper.make_node("DequantizeLinear", ["c2", "s2", "z2"], ["y"])]
    graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 5, 5])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 5, 5])],
                              initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    path = tmp_path / "chain.onnx"
    onnx.save(model, str(path))
    feeds = {"x": _f(1, 3, 5, 5)}
    ref = harness.run_onnxruntime(path, feeds)
    tfl = harness.convert(path, tmp_path / "chain.tflite")
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    assert np.array_equal(got["y"], ref["y"]), np.abs(got["y"] - ref["y"]).max()
    ops = harness.inspect_json(tfl)["ops"]
    assert "CAST" not in ops, ops


@pytest.mark.parametrize("exporter", harness.EXPORTERS)
def test_pytorch_fake_quant_export(exporter, tmp_path):
    """A PyTorch QAT-style model (fake_quantize per tensor on activations, per channel on the
    conv weights) exported to ONNX: Q/DQ pairs on activations, Q → DQ of the weights that
    fold to float. Compared with onnxruntime on the exported graph."""
    import torch

    class FakeQuantNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
            self.fc = torch.nn.Linear(8 * 6 * 6, 10)

        def forward(self, x):
            x = torch.fake_quantize_per_tensor_affine(x, 0.02, 128, 0, 255)
            w = torch.fake_quantize_per_channel_affine(self.conv.weight, torch.full((8,), 0.01),
                                                       torch.zeros(8, dtype=torch.int32), 0, -128, 127)
            y = torch.nn.functional.conv2d(x, w, self.conv.bias, padding=1).relu()
            y = torch.fake_quantize_per_tensor_affine(y, 0.05, 0, 0, 255)
            return torch.fake_quantize_per_tensor_affine(self.fc(y.flatten(1)), 0.1, -3, -128, 127)

    torch.manual_seed(0)
    x = torch.randn(1, 3, 6, 6)
    path = harness.export_onnx(FakeQuantNet().eval(), (x,), tmp_path / "fq.onnx", exporter)
    model = onnx.load(str(path))
    assert {"QuantizeLinear", "DequantizeLinear"} <= {n.op_type for n in model.graph.node}
    feeds = {model.graph.input[0].name: x.numpy()}
    ref = harness.run_onnxruntime(path, feeds)
    tfl = harness.convert(path, tmp_path / "fq.tflite")
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    harness.assert_close(ref, got, context=f"[{exporter}] ")
    ops = harness.inspect_json(tfl)["ops"]
    assert "CAST" not in ops and "QUANTIZE" not in ops, ops


def test_dequantize_of_large_weights_folds(tmp_path):
    """A 2100 × 2100 int8 weight (more elements than the converter folds by default): folding
    DequantizeLinear makes nothing larger than its input, so it still folds and the product
    is one FULLY_CONNECTED, not a run-time MUL feeding BATCH_MATMUL."""
    w = _q(np.int8, 2100, 2100)
    nodes = [helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wf"]),
             helper.make_node("MatMul", ["x", "wf"], ["y"])]
    graph = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2100])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2100])],
                              initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(_s(0.01), "ws"),
                                           numpy_helper.from_array(np.array(3, np.int8), "wz")])
    feeds = {"x": _f(1, 2100)}
    tfl = _run(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), feeds, tmp_path, "big")
    assert set(harness.inspect_json(tfl)["ops"]) == {"FULLY_CONNECTED"}
