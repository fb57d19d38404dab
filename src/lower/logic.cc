// Comparisons and boolean logic: Equal Greater Less GreaterOrEqual LessOrEqual → EQUAL
// GREATER LESS GREATER_EQUAL LESS_EQUAL; And Or Not → LOGICAL_AND LOGICAL_OR LOGICAL_NOT;
// Xor → NOT_EQUAL on bools. Outputs are bool; inputs broadcast as in numpy (TFLite's
// kernels broadcast the same way). Layout-agnostic. All fold on constants.
//
// TFLite's comparison kernels read int8/uint8 as quantized tensors (they abort without
// scales) and have no float16 kernels: int8/uint8/int16 inputs compare in int32 and float16
// in float32, after a CAST that is exact.
#include <cmath>
#include <map>

#include "lower/context.h"
#include "lower/eval_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

const std::map<std::string, std::string>& compare_ops() {
  static const std::map<std::string, std::string> m = {
      {"Equal", "tfl.EQUAL"},          {"Greater", "tfl.GREATER"}, {"GreaterOrEqual", "tfl.GREATER_EQUAL"},
      {"Less", "tfl.LESS"},            {"LessOrEqual", "tfl.LESS_EQUAL"},
  };
  return m;
}

const std::map<std::string, std::string>& logic_ops() {
  static const std::map<std::string, std::string> m = {
      {"And", "tfl.LOGICAL_AND"}, {"Or", "tfl.LOGICAL_OR"}, {"Xor", "tfl.NOT_EQUAL"}};
  return m;
}

bool compare(const std::string& op, double a, double b) {
  if (op == "onnx.Equal") return a == b;
  if (op == "onnx.Greater") return a > b;
  if (op == "onnx.GreaterOrEqual") return a >= b;
  if (op == "onnx.Less") return a < b;
  return a <= b;  // LessOrEqual
}

bool compare_int(const std::string& op, int64_t a, int64_t b) {
  if (op == "onnx.Equal") return a == b;
  if (op == "onnx.Greater") return a > b;
  if (op == "onnx.GreaterOrEqual") return a >= b;
  if (op == "onnx.Less") return a < b;
  return a <= b;
}

bool logic(const std::string& op, bool a, bool b) {
  if (op == "onnx.And") return a && b;
  if (op == "onnx.Or") return a || b;
  return a != b;  // Xor
}

// The type TFLite compares `t` in (see the header comment).
DType compare_type(DType t) {
  if (t == DType::kInt8 || t == DType::kUInt8 || t == DType::kInt16) return DType::kInt32;
  if (t == DType::kFloat16) return DType::kFloat32;
  return t;
}

Status infer_binary_bool(Node& n) {
  NODE_CHECK(n, n.inputs.size() == 2 && n.inputs[0] && n.inputs[1], "needs two inputs");
  const Value *a = n.inputs[0], *b = n.inputs[1];
  NODE_CHECK(n, a->dtype == b->dtype,
             std::string("inputs have different types (") + ir::dtype_name(a->dtype) + ", " + ir::dtype_name(b->dtype) + ")");
  if (logic_ops().count(n.op.substr(5)))
    NODE_CHECK(n, a->dtype == DType::kBool, std::string("needs bool inputs, got ") + ir::dtype_name(a->dtype));
  Shape out;
  NODE_CHECK(n, ir::broadcast_shapes(a->shape, b->shape, &out),
             "shapes " + ir::shape_to_string(a->shape) + " and " + ir::shape_to_string(b->shape) + " do not broadcast");
  set_output(n, 0, DType::kBool, out);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_binary_bool(const Node& n) {
  const ir::Tensor &a = *n.inputs[0]->data, &b = *n.inputs[1]->data;
  const std::string& op = n.op;
  if (logic_ops().count(op.substr(5)))
    return std::vector<ir::Tensor>{
        broadcast_binary_int(a, b, DType::kBool, [&](int64_t x, int64_t y) -> int64_t { return logic(op, x != 0, y != 0); })};
  if (ir::is_float(a.dtype))
    return std::vector<ir::Tensor>{
        broadcast_binary(a, b, DType::kBool, [&](double x, double y) { return compare(op, x, y) ? 1.0 : 0.0; })};
  return std::vector<ir::Tensor>{
      broadcast_binary_int(a, b, DType::kBool, [&](int64_t x, int64_t y) -> int64_t { return compare_int(op, x, y); })};
}

Status lower_compare(LowerContext& ctx, Node& n) {
  const DType t = compare_type(n.inputs[0]->dtype);
  NODE_UNSUPPORTED_IF(n, t == DType::kBool && n.op != "onnx.Equal", "ordering comparison of booleans");
  ctx.emit(compare_ops().at(n.op.substr(5)), n, {ctx.cast(n, n.inputs[0], t), ctx.cast(n, n.inputs[1], t)},
           {n.outputs[0]});
  return Status::ok();
}

Status lower_logic(LowerContext& ctx, Node& n) {
  ctx.emit(logic_ops().at(n.op.substr(5)), n, {n.inputs[0], n.inputs[1]}, {n.outputs[0]});
  return Status::ok();
}

// --- Not ---

Status infer_not(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  NODE_CHECK(n, n.inputs[0]->dtype == DType::kBool,
             std::string("needs a bool input, got ") + ir::dtype_name(n.inputs[0]->dtype));
  set_output(n, 0, DType::kBool, n.inputs[0]->shape);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_not(const Node& n) {
  return std::vector<ir::Tensor>{map_unary(*n.inputs[0]->data, DType::kBool, [](double x) { return x == 0 ? 1.0 : 0.0; })};
}

Status lower_not(LowerContext& ctx, Node& n) {
  ctx.emit("tfl.LOGICAL_NOT", n, {n.inputs[0]}, {n.outputs[0]});
  return Status::ok();
}

}  // namespace

void register_logic(Registry& r) {
  for (const auto& [op, tfl] : compare_ops()) r.add(op, dynamic({infer_binary_bool, fold_binary_bool, lower_compare}));
  for (const auto& [op, tfl] : logic_ops()) r.add(op, dynamic({infer_binary_bool, fold_binary_bool, lower_logic}));
  r.add("Not", dynamic({infer_not, fold_not, lower_not}));
}

}  // namespace pt2tflite::lower
