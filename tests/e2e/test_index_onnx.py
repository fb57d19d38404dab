"""Index ops with run-time integer inputs (int64/int32 indices, integer data), built directly
as ONNX graphs: torch models in op_cases.py only take float inputs. Each graph is converted,
run in LiteRT and compared with onnxruntime exactly for integers, by the float32 rule for
floats. Covers negative indices (ONNX counts them from the end, TFLite's kernels reject them)
and int64 indices given to int32-only TFLite kernels.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import harness

_TYPES = {np.float32: TensorProto.FLOAT, np.int64: TensorProto.INT64, np.int32: TensorProto.INT32}
_rng = np.random.default_rng(0)


def _f(*shape):
    return _rng.standard_normal(shape).astype(np.float32)


def _i64(v):
    return np.array(v, np.int64)


# id: (op, attrs, run-time inputs, constant inputs, opset, outputs)
CASES = {
    "gathernd_negative": ("GatherND", {}, {"x": _f(3, 4, 5), "i": _i64([[1, -1], [0, 2], [-3, -4]])}, {}, 13, 1),
    "gathernd_batch_dims1": ("GatherND", {"batch_dims": 1}, {"x": _f(2, 3, 4), "i": _i64([[[1], [-1]], [[0], [2]]])},
                             {}, 13, 1),
    "gather_elements_negative": ("GatherElements", {"axis": 1},
                                 {"x": _f(2, 5, 3), "i": _i64([[[4, -1, 0], [1, 2, -5]], [[0, 0, 0], [3, 3, -2]]])},
                                 {}, 13, 1),
    "scatternd_negative": ("ScatterND", {}, {"x": _f(4, 3), "i": _i64([[3], [-4]]), "u": _f(2, 3)}, {}, 13, 1),
    "scatternd_add_duplicates": ("ScatterND", {"reduction": "add"},
                                 {"x": _f(4, 3), "i": _i64([[1], [1], [2]]), "u": _f(3, 3)}, {}, 16, 1),
    "scatter_elements_axis0": ("ScatterElements", {"axis": 0},
                               {"x": _f(3, 4), "i": _i64([[2, 0, -1, 1]]), "u": _f(1, 4)}, {}, 13, 1),
    "scatter_elements_int32_indices": ("ScatterElements", {"axis": 1},
                                       {"x": _f(3, 4), "i": np.array([[3], [0], [-2]], np.int32), "u": _f(3, 1)},
                                       {}, 13, 1),
    # reduction max/min/mul: composed with a one-hot mask (no TFLite scatter reduces so);
    # duplicates reduce together, untouched elements keep their value.
    "scatter_elements_max_duplicates": ("ScatterElements", {"axis": 1, "reduction": "max"},
                                        {"x": _f(3, 5), "i": _i64([[0, 0, -1], [2, 4, 2], [1, 1, 1]]), "u": _f(3, 3)},
                                        {}, 18, 1),
    "scatter_elements_min_axis0": ("ScatterElements", {"axis": 0, "reduction": "min"},
                                   {"x": _f(4, 3), "i": _i64([[3, 0, 1], [3, -4, 2]]), "u": _f(2, 3)}, {}, 18, 1),
    "scatternd_mul_slices_duplicates": ("ScatterND", {"reduction": "mul"},
                                        {"x": _f(4, 2, 3), "i": _i64([[1], [3], [1]]), "u": _f(3, 2, 3)}, {}, 18, 1),
    "scatternd_max_elements": ("ScatterND", {"reduction": "max"},
                               {"x": _f(3, 4), "i": _i64([[0, 1], [2, -1], [0, 1]]), "u": _f(3)}, {}, 18, 1),
    "scatternd_min_constant_indices": ("ScatterND", {"reduction": "min"}, {"x": _f(2, 3, 4)},
                                       {"i": _i64([[1, 2], [0, 0]]), "u": _f(2, 4)}, 18, 1),
    "onehot_negative_and_out_of_range": ("OneHot", {"axis": 0}, {"i": _i64([[0, -1, 3], [7, -8, 2]])},
                                         {"d": np.array(5, np.int64), "v": np.array([0.5, 3], np.float32)}, 11, 1),
    "topk_int64_ties": ("TopK", {}, {"x": _i64([[5, 1, 5, 3], [0, 0, 2, -7]])}, {"k": _i64([2])}, 11, 2),
    "topk_smallest_axis0": ("TopK", {"axis": 0, "largest": 0}, {"x": _f(5, 3)}, {"k": _i64([2])}, 11, 2),
    "cumsum_int32_reverse": ("CumSum", {"reverse": 1}, {"x": np.array([[5, 1, 5, 3], [0, 0, 2, -7]], np.int32)},
                             {"a": np.array(1, np.int64)}, 14, 1),
    "trilu_int64_lower": ("Trilu", {"upper": 0}, {"x": _i64([[5, 1, 5, 3], [0, 0, 2, -7]])}, {}, 14, 1),
    "argmin_last_index": ("ArgMin", {"axis": 1, "select_last_index": 1},
                          {"x": np.array([[0, 0, 1, 1, 1], [2, 2, 0, 0, 1]], np.float32)}, {}, 12, 1),
}


def _model(op, attrs, feeds, consts, opset, outputs) -> onnx.ModelProto:
    inputs = [helper.make_tensor_value_info(k, _TYPES[v.dtype.type], v.shape) for k, v in feeds.items()]
    outs = [helper.make_tensor_value_info(f"y{i}", TensorProto.UNDEFINED, None) for i in range(outputs)]
    node = helper.make_node(op, [*feeds, *consts], [o.name for o in outs], **attrs)
    graph = helper.make_graph([node], op, inputs, outs,
                              initializer=[numpy_helper.from_array(v, k) for k, v in consts.items()])
    return onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]))


@pytest.mark.parametrize("case", list(CASES))
def test_index_op_with_integer_inputs(case, tmp_path):
    op, attrs, feeds, consts, opset, outputs = CASES[case]
    harness.check_onnx_model(_model(op, attrs, feeds, consts, opset, outputs), feeds, tmp_path, case)


def test_nonzero_of_a_constant_mask_folds(tmp_path):
    """NonZero is evaluated while converting when its input is constant (the usual case: a
    mask built from shapes or weights); its coordinates then index run-time data."""
    mask = np.array([[0, 1.5, 0, 2], [3, 0, 0, -1], [0, 0, 0, 0]], np.float32)
    x = _f(3, 4, 6)
    nodes = [helper.make_node("NonZero", ["m"], ["nz"]),
             helper.make_node("Transpose", ["nz"], ["idx"], perm=[1, 0]),
             helper.make_node("GatherND", ["x", "idx"], ["y"])]
    graph = helper.make_graph(nodes, "nonzero_fold", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              initializer=[numpy_helper.from_array(mask, "m")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    harness.check_onnx_model(model, {"x": x}, tmp_path, "nonzero_fold")
