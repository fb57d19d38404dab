"""Control flow (If, Loop, Scan) and non-tensor values (sequences, optionals), resolved at
conversion time: TFLite gets a flat graph. Each ONNX graph is built with onnx.helper, converted,
run in LiteRT and compared with onnxruntime (float32 rule, integers exact). Conditions and trip
counts come from shapes (as PyTorch computes them) or constants; a run-time If condition whose
branches give different shapes, a run-time sequence position, too many iterations and a sequence graph output must be refused
with a reason. Plus a TorchScript-exported model with an `if` on a shape and a shape-bound loop.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

import harness

F = TensorProto.FLOAT
_rng = np.random.default_rng(0)


def _f(*shape):
    return _rng.standard_normal(shape).astype(np.float32)


def _c(name, value, dtype=np.int64):
    return numpy_helper.from_array(np.array(value, dtype), name)


def _const(out, value, dtype=np.int64):
    return helper.make_node("Constant", [], [out], value=_c(out + "_v", value, dtype))


def _vi(name, elem=F, shape=None):
    return helper.make_tensor_value_info(name, elem, shape)


def _model(nodes, inputs, outputs, opset=17, inits=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def _shape_dim(x, axis, out, tag):
    """out = Shape(x)[axis] as a 0-d int64: a value PyTorch exporters compute from shapes."""
    return [helper.make_node("Shape", [x], [f"{tag}_shape"]),
            _const(f"{tag}_axis", axis),
            helper.make_node("Gather", [f"{tag}_shape", f"{tag}_axis"], [out], axis=0)]


def _check(model, feeds, tmp_path: Path, name: str):
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    ref = harness.run_onnxruntime(path, feeds)
    tfl = harness.convert(path, tmp_path / f"{name}.tflite")
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    for k, r in ref.items():
        assert got[k].dtype == r.dtype, f"{k}: {got[k].dtype}, onnxruntime {r.dtype}"
    harness.assert_close(ref, got, context=f"[{name}] ")
    ops = harness.inspect_json(tfl)["ops"]
    return ops


_refused = harness.convert_refused


# --------------------------------------------------------------------------- If


def _if_model(cond_nodes, then_op="Relu", else_op="Neg"):
    then_g = helper.make_graph([helper.make_node(then_op, ["x"], ["t"])], "then", [], [_vi("t")])
    else_g = helper.make_graph([helper.make_node(else_op, ["x"], ["e"])], "else", [], [_vi("e")])
    nodes = cond_nodes + [helper.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g)]
    return _model(nodes, [_vi("x", F, [2, 3, 4])], [_vi("y")])


@pytest.mark.parametrize("dim,taken", [(3, "then"), (5, "else")])
def test_if_on_a_shape_inlines_the_taken_branch(dim, taken, tmp_path):
    cond = _shape_dim("x", 1, "d", "c") + [_const("k", dim), helper.make_node("Equal", ["d", "k"], ["cond"])]
    ops = _check(_if_model(cond), {"x": _f(2, 3, 4)}, tmp_path, f"if_{taken}")
    assert set(ops) == ({"RELU"} if taken == "then" else {"NEG"}), ops


def test_if_with_a_run_time_condition_and_different_branch_shapes_is_refused(tmp_path):
    # A run-time condition selects between both branches' outputs (SELECT_V2; covered in
    # test_dynamic_misc_onnx.py), which needs the same shape in both: Flatten's differs.
    cond = [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0), _const("z", 0.0, np.float32),
            helper.make_node("Greater", ["s", "z"], ["cond"])]
    err = _refused(_if_model(cond, else_op="Flatten"), tmp_path, "if_runtime")
    assert "condition" in err and "run time" in err and "shape" in err, err


def test_if_branch_returns_an_outer_constant_and_a_sequence(tmp_path):
    # The taken branch builds a sequence of outer values; the main graph concatenates it.
    then_g = helper.make_graph([helper.make_node("Sigmoid", ["x"], ["s"]),
                                helper.make_node("SequenceConstruct", ["x", "s", "w"], ["seq"])],
                               "then", [], [helper.make_tensor_sequence_value_info("seq", F, None)])
    else_g = helper.make_graph([helper.make_node("SequenceConstruct", ["w"], ["seq2"])], "else", [],
                               [helper.make_tensor_sequence_value_info("seq2", F, None)])
    nodes = _shape_dim("x", 0, "d", "c") + [
        _const("k", 2), helper.make_node("Equal", ["d", "k"], ["cond"]),
        helper.make_node("If", ["cond"], ["seq_out"], then_branch=then_g, else_branch=else_g),
        helper.make_node("ConcatFromSequence", ["seq_out"], ["y"], axis=0)]
    m = _model(nodes, [_vi("x", F, [2, 3])], [_vi("y")], inits=[_c("w", _f(1, 3), np.float32)])
    _check(m, {"x": _f(2, 3)}, tmp_path, "if_seq")


# --------------------------------------------------------------------------- Loop


def _loop_body(extra_nodes=(), cond_out="cond_in"):
    """y_out = y * 0.5 + x + iter (x read from the outer graph); scan output y_out * 2."""
    nodes = [helper.make_node("Cast", ["iter"], ["iter_f"], to=F),
             _const("half", 0.5, np.float32), _const("two", 2.0, np.float32),
             helper.make_node("Mul", ["y_in", "half"], ["a"]),
             helper.make_node("Add", ["a", "x"], ["b"]),
             helper.make_node("Add", ["b", "iter_f"], ["y_out"]),
             helper.make_node("Mul", ["y_out", "two"], ["scan"]),
             *extra_nodes]
    if cond_out == "cond_in":
        nodes.append(helper.make_node("Identity", ["cond_in"], ["cond_out"]))
    return helper.make_graph(nodes, "body", [_vi("iter", TensorProto.INT64, []), _vi("cond_in", TensorProto.BOOL, []),
                                             _vi("y_in")], [_vi("cond_out", TensorProto.BOOL, []), _vi("y_out"),
                                                            _vi("scan")])


def _loop_model(body, trip_nodes, trip="M", cond="c0", opset=17):
    nodes = trip_nodes + [_const("c0", True, np.bool_),
                          helper.make_node("Loop", [trip, cond, "x"], ["y", "scans"], body=body)]
    return _model(nodes, [_vi("x", F, [2, 3])], [_vi("y"), _vi("scans")], opset=opset)


def test_loop_with_a_constant_trip_count_is_unrolled(tmp_path):
    ops = _check(_loop_model(_loop_body(), [_const("M", 4)]), {"x": _f(2, 3)}, tmp_path, "loop_const")
    assert "WHILE" not in ops


def test_loop_trip_count_from_a_shape(tmp_path):
    # for i in range(x.shape[1]): PyTorch's TorchScript exporter writes this Loop.
    _check(_loop_model(_loop_body(), _shape_dim("x", 1, "M", "t")), {"x": _f(2, 3)}, tmp_path, "loop_shape")


def test_loop_stops_when_the_body_condition_folds_false(tmp_path):
    # A while loop: no trip count, the body's condition is iter < 2, so 3 iterations run.
    stop = [_const("lim", 2), helper.make_node("Less", ["iter", "lim"], ["cond_out"])]
    _check(_loop_model(_loop_body(stop, cond_out="stop"), [], trip=""), {"x": _f(2, 3)}, tmp_path, "loop_while")


def test_loop_with_a_nested_if_on_the_iteration_number(tmp_path):
    # Inside the body: if iter < 2: y_out = y + x else: y_out = y * x — the condition folds
    # once the loop is unrolled.
    then_g = helper.make_graph([helper.make_node("Add", ["y_in", "x"], ["t"])], "then", [], [_vi("t")])
    else_g = helper.make_graph([helper.make_node("Mul", ["y_in", "x"], ["e"])], "else", [], [_vi("e")])
    body = helper.make_graph(
        [_const("lim", 2), helper.make_node("Less", ["iter", "lim"], ["early"]),
         helper.make_node("If", ["early"], ["y_out"], then_branch=then_g, else_branch=else_g),
         helper.make_node("Identity", ["y_out"], ["scan"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body", [_vi("iter", TensorProto.INT64, []), _vi("cond_in", TensorProto.BOOL, []), _vi("y_in")],
        [_vi("cond_out", TensorProto.BOOL, []), _vi("y_out"), _vi("scan")])
    ops = _check(_loop_model(body, [_const("M", 4)]), {"x": _f(2, 3)}, tmp_path, "loop_nested_if")
    assert ops.get("ADD") and ops.get("MUL"), ops


def test_loop_carrying_a_sequence(tmp_path):
    # seq = []; for i in range(3): seq.append(x * i); y = concat(seq) — a loop-carried sequence.
    body = helper.make_graph(
        [helper.make_node("Cast", ["iter"], ["fi"], to=F), helper.make_node("Mul", ["x", "fi"], ["xi"]),
         helper.make_node("SequenceInsert", ["seq_in", "xi"], ["seq_out"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body", [_vi("iter", TensorProto.INT64, []), _vi("cond_in", TensorProto.BOOL, []),
                 helper.make_tensor_sequence_value_info("seq_in", F, None)],
        [_vi("cond_out", TensorProto.BOOL, []), helper.make_tensor_sequence_value_info("seq_out", F, None)])
    nodes = [_const("M", 3), _const("c0", True, np.bool_),
             helper.make_node("SequenceEmpty", [], ["empty"], dtype=F),
             helper.make_node("Loop", ["M", "c0", "empty"], ["seq"], body=body),
             helper.make_node("ConcatFromSequence", ["seq"], ["y"], axis=0, new_axis=1)]
    _check(_model(nodes, [_vi("x", F, [2, 3])], [_vi("y")]), {"x": _f(2, 3)}, tmp_path, "loop_seq")


def test_loop_growing_a_carried_tensor(tmp_path):
    # y = concat(y, x * iter) each iteration: the carried value changes shape, which only works
    # because every unrolled copy of the body is inferred anew.
    body = helper.make_graph(
        [helper.make_node("Cast", ["iter"], ["fi"], to=F), helper.make_node("Mul", ["x", "fi"], ["xi"]),
         helper.make_node("Concat", ["y_in", "xi"], ["y_out"], axis=0),
         helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body", [_vi("iter", TensorProto.INT64, []), _vi("cond_in", TensorProto.BOOL, []), _vi("y_in")],
        [_vi("cond_out", TensorProto.BOOL, []), _vi("y_out")])
    nodes = [_const("M", 3), _const("c0", True, np.bool_), helper.make_node("Loop", ["M", "c0", "x"], ["y"], body=body)]
    _check(_model(nodes, [_vi("x", F, [2, 3])], [_vi("y")]), {"x": _f(2, 3)}, tmp_path, "loop_grow")


def test_loop_with_too_many_iterations_is_refused(tmp_path):
    err = _refused(_loop_model(_loop_body(), [_const("M", 100)]), tmp_path, "loop_long")
    assert "64" in err and "iterations" in err, err


def test_loop_with_a_run_time_trip_count_is_refused(tmp_path):
    nodes = [helper.make_node("ReduceMax", ["x"], ["mx"], keepdims=0),
             helper.make_node("Cast", ["mx"], ["M"], to=TensorProto.INT64)]
    err = _refused(_loop_model(_loop_body(), nodes), tmp_path, "loop_runtime")
    assert "trip count" in err and "run time" in err, err


# --------------------------------------------------------------------------- Scan


@pytest.mark.parametrize("in_dir,out_dir,out_axis", [(0, 0, 0), (1, 0, 1), (0, 1, -1)])
def test_scan_cumulative_sum(in_dir, out_dir, out_axis, tmp_path):
    # state += x[:, t] (scan axis 1 of a [2,5,3] input); scan output: state * w (w outer).
    body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "xt"], ["s_out"]), helper.make_node("Mul", ["s_out", "w"], ["o"])],
        "body", [_vi("s_in", F, [2, 3]), _vi("xt", F, [2, 3])], [_vi("s_out", F, [2, 3]), _vi("o", F, [2, 3])])
    node = helper.make_node("Scan", ["s0", "x"], ["s", "outs"], body=body, num_scan_inputs=1,
                            scan_input_axes=[1], scan_input_directions=[in_dir],
                            scan_output_axes=[out_axis], scan_output_directions=[out_dir])
    m = _model([node], [_vi("s0", F, [2, 3]), _vi("x", F, [2, 5, 3])], [_vi("s"), _vi("outs")],
               inits=[_c("w", _f(3), np.float32)])
    _check(m, {"s0": _f(2, 3), "x": _f(2, 5, 3)}, tmp_path, f"scan_{in_dir}{out_dir}{out_axis}")


# --------------------------------------------------------------------------- sequences


def test_split_insert_erase_at_length_concat(tmp_path):
    nodes = [_const("split", [1, 2, 1]),
             helper.make_node("SplitToSequence", ["x", "split"], ["seq"], axis=2),
             helper.make_node("SequenceErase", ["seq"], ["seq2"]),  # drops the last piece
             helper.make_node("Sigmoid", ["x"], ["sx"]),
             _const("front", 0),
             helper.make_node("SequenceInsert", ["seq2", "sx", "front"], ["seq3"]),
             _const("pos", -1),
             helper.make_node("SequenceAt", ["seq", "pos"], ["last"]),
             helper.make_node("SequenceLength", ["seq3"], ["n"]),
             helper.make_node("ConcatFromSequence", ["seq3"], ["y"], axis=-1)]
    m = _model(nodes, [_vi("x", F, [2, 3, 4])], [_vi("y"), _vi("last"), _vi("n", TensorProto.INT64)])
    _check(m, {"x": _f(2, 3, 4)}, tmp_path, "seq_ops")


def test_split_to_sequence_scalar_split_and_no_keepdims(tmp_path):
    nodes = [_const("chunk", 2),
             helper.make_node("SplitToSequence", ["x", "chunk"], ["seq_a"], axis=1),  # 2, 2, 1
             _const("p1", 2), helper.make_node("SequenceAt", ["seq_a", "p1"], ["a"]),
             helper.make_node("SplitToSequence", ["x"], ["seq_b"], axis=0, keepdims=0),
             helper.make_node("ConcatFromSequence", ["seq_b"], ["b"], axis=1, new_axis=1)]
    m = _model(nodes, [_vi("x", F, [3, 5])], [_vi("a"), _vi("b")])
    _check(m, {"x": _f(3, 5)}, tmp_path, "split_seq")


def test_sequence_map_with_an_extra_tensor(tmp_path):
    body = helper.make_graph([helper.make_node("Mul", ["e", "k"], ["m"]), helper.make_node("Relu", ["m"], ["r"])],
                             "map", [_vi("e"), _vi("k")], [_vi("r")])
    nodes = [helper.make_node("SequenceConstruct", ["x", "z"], ["seq"]),
             helper.make_node("SequenceMap", ["seq", "k"], ["mapped"], body=body),
             helper.make_node("ConcatFromSequence", ["mapped"], ["y"], axis=0)]
    m = _model(nodes, [_vi("x", F, [2, 3]), _vi("z", F, [1, 3]), _vi("k", F, [3])], [_vi("y")])
    _check(m, {"x": _f(2, 3), "z": _f(1, 3), "k": _f(3)}, tmp_path, "seq_map")


def test_sequence_position_at_run_time_is_refused(tmp_path):
    nodes = [helper.make_node("SequenceConstruct", ["x", "x"], ["seq"]),
             helper.make_node("SequenceAt", ["seq", "p"], ["y"])]
    m = _model(nodes, [_vi("x", F, [2, 3]), _vi("p", TensorProto.INT64, [])], [_vi("y")])
    err = _refused(m, tmp_path, "seq_runtime_pos")
    assert "position" in err and "run time" in err, err


def test_sequence_graph_output_is_refused(tmp_path):
    nodes = [helper.make_node("SplitToSequence", ["x"], ["seq"], axis=0)]
    m = _model(nodes, [_vi("x", F, [2, 3])], [helper.make_tensor_sequence_value_info("seq", F, None)])
    err = _refused(m, tmp_path, "seq_output")
    assert "not tensors" in err and "'seq'" in err, err


# --------------------------------------------------------------------------- optionals


def test_optional_present_and_empty(tmp_path):
    # has(Optional(x)) picks relu(x); has(Optional()) is false and picks -x via Where.
    opt_type = helper.make_tensor_type_proto(F, None)
    nodes = [helper.make_node("Optional", ["x"], ["ox"]),
             helper.make_node("Optional", [], ["none"], type=opt_type),
             helper.make_node("OptionalHasElement", ["ox"], ["has"]),
             helper.make_node("OptionalHasElement", ["none"], ["has_none"]),
             helper.make_node("OptionalGetElement", ["ox"], ["xe"]),
             helper.make_node("Relu", ["xe"], ["r"]), helper.make_node("Neg", ["x"], ["nx"]),
             helper.make_node("Where", ["has", "r", "nx"], ["y"]),
             helper.make_node("Where", ["has_none", "r", "nx"], ["y_none"])]
    m = _model(nodes, [_vi("x", F, [2, 3])], [_vi("y"), _vi("y_none")], opset=18)
    _check(m, {"x": _f(2, 3)}, tmp_path, "optional")


# --------------------------------------------------------------------------- PyTorch


class _ScriptedBranchLoop(torch.nn.Module):
    def forward(self, x):
        if x.shape[1] == 3:
            y = x * 2
        else:
            y = x - 1
        for _ in range(4):  # constant range: TorchScript's exporter unrolls it itself
            y = y * 0.5 + x
        for i in range(x.shape[0]):  # bound by a shape: exported as an ONNX Loop
            y = y + i
        return y


@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 4, 5)])
def test_torchscript_if_on_shape_and_loop(shape, tmp_path):
    path = tmp_path / "scripted.onnx"
    torch.onnx.export(torch.jit.script(_ScriptedBranchLoop()), (torch.randn(2, 3, 5),), str(path), dynamo=False,
                      opset_version=17, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "n", 1: "c"}})
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert {"If", "Loop"} <= ops, f"the exporter no longer writes If/Loop ({sorted(ops)}): the test tests nothing"
    x = _f(*shape)
    ref = harness.run_onnxruntime(path, {"x": x})
    tfl = harness.convert(path, tmp_path / "scripted.tflite", input_shapes={"x": shape})
    got = harness.run_litert(tfl, {"x": x}, list(ref)).outputs
    harness.assert_close(ref, got)


class _CondOnShape(torch.nn.Module):
    def forward(self, x):
        return torch.cond(x.shape[0] > 1, lambda x: x * 2, lambda x: x - 1, (x,))


@pytest.mark.parametrize("rows", [2, 1])
def test_dynamo_torch_cond_on_a_shape(rows, tmp_path):
    # The dynamo exporter writes torch.cond as an If whose branches read outer initializers.
    path = tmp_path / "cond.onnx"
    torch.onnx.export(_CondOnShape(), (torch.randn(2, 3),), str(path), dynamo=True, input_names=["x"],
                      output_names=["y"], dynamic_shapes={"x": {0: torch.export.Dim("n")}})
    assert "If" in {n.op_type for n in onnx.load(str(path)).graph.node}, "the exporter no longer writes an If"
    x = _f(rows, 3)
    ref = harness.run_onnxruntime(path, {"x": x})
    tfl = harness.convert(path, tmp_path / "cond.tflite", input_shapes={"x": x.shape})
    harness.assert_close(ref, harness.run_litert(tfl, {"x": x}, list(ref)).outputs)


class _ScriptedLists(torch.nn.Module):
    def forward(self, x):
        outs: list[torch.Tensor] = []
        for i in range(x.shape[0]):  # a list appended in a Loop: SequenceEmpty / SequenceInsert
            outs.append(torch.relu(x[i]) * i)
        parts = torch.split(x, 2, dim=1)  # SplitToSequence, iterated by a Loop over SequenceLength
        return torch.stack(outs, 0), torch.cat([p * 2 for p in parts], 1)


def test_torchscript_lists_become_sequences(tmp_path):
    path = tmp_path / "lists.onnx"
    torch.onnx.export(torch.jit.script(_ScriptedLists()), (torch.randn(3, 5),), str(path), dynamo=False,
                      opset_version=17, input_names=["x"], output_names=["y", "z"],
                      dynamic_axes={"x": {0: "n", 1: "c"}})
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert {"Loop", "SplitToSequence", "ConcatFromSequence"} <= ops, f"the exporter wrote {sorted(ops)}"
    x = _f(3, 5)
    ref = harness.run_onnxruntime(path, {"x": x})
    tfl = harness.convert(path, tmp_path / "lists.tflite", input_shapes={"x": x.shape})
    harness.assert_close(ref, harness.run_litert(tfl, {"x": x}, list(ref)).outputs)
