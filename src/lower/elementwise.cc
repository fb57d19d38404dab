// Arithmetic with ONNX (numpy) broadcasting: Add Sub Mul Div Pow Max Min Sum, and the
// unary math ops Sqrt Exp Log Neg Abs Floor Ceil Reciprocal. TFLite's kernels broadcast
// the same way, so each maps onto one builtin; Pow with exponent 2 or 0.5 becomes MUL or
// SQRT because those have integer kernels and are exact.
// Integer types: TFLite's ADD/SUB/MUL/DIV read int8/uint8/int16 as quantized tensors (they
// abort or scale without quantization parameters), and DIV and POW have int32 kernels only:
// those compute in int32 between CASTs, which wrap back like ONNX's fixed-width integers
// (int64 DIV/POW assume values that fit in int32). POW needs both operands of one type.
#include <cmath>
#include <map>

#include "lower/context.h"
#include "lower/eval_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::Node;
using ir::Value;

const std::map<std::string, std::string>& binary_ops() {
  static const std::map<std::string, std::string> m = {
      {"onnx.Add", "tfl.ADD"}, {"onnx.Sub", "tfl.SUB"},     {"onnx.Mul", "tfl.MUL"},
      {"onnx.Div", "tfl.DIV"}, {"onnx.Pow", "tfl.POW"},     {"onnx.Max", "tfl.MAXIMUM"},
      {"onnx.Min", "tfl.MINIMUM"}, {"onnx.Sum", "tfl.ADD"},
  };
  return m;
}

const std::map<std::string, std::string>& unary_ops() {
  static const std::map<std::string, std::string> m = {
      {"onnx.Sqrt", "tfl.SQRT"}, {"onnx.Exp", "tfl.EXP"},     {"onnx.Log", "tfl.LOG"},
      {"onnx.Neg", "tfl.NEG"},   {"onnx.Abs", "tfl.ABS"},     {"onnx.Floor", "tfl.FLOOR"},
      {"onnx.Ceil", "tfl.CEIL"}, {"onnx.Reciprocal", ""},
  };
  return m;
}

Status infer_binary(Node& n) {
  NODE_CHECK(n, !n.inputs.empty() && n.inputs[0], "needs at least one input");
  ir::Shape shape = n.inputs[0]->shape;
  for (size_t i = 1; i < n.inputs.size(); ++i) {
    NODE_CHECK(n, n.inputs[i], "missing input " + std::to_string(i));
    ir::Shape out;
    NODE_CHECK(n, ir::broadcast_shapes(shape, n.inputs[i]->shape, &out),
               "shapes " + ir::shape_to_string(shape) + " and " + ir::shape_to_string(n.inputs[i]->shape) +
                   " do not broadcast");
    shape = out;
  }
  set_output(n, 0, n.inputs[0]->dtype, shape);
  return Status::ok();
}

double apply_binary(const std::string& op, double a, double b) {
  if (op == "onnx.Add" || op == "onnx.Sum") return a + b;
  if (op == "onnx.Sub") return a - b;
  if (op == "onnx.Mul") return a * b;
  if (op == "onnx.Div") return a / b;
  if (op == "onnx.Pow") return std::pow(a, b);
  if (op == "onnx.Max") return std::max(a, b);
  return std::min(a, b);
}

int64_t apply_binary_int(const std::string& op, int64_t a, int64_t b) {
  if (op == "onnx.Add" || op == "onnx.Sum") return a + b;
  if (op == "onnx.Sub") return a - b;
  if (op == "onnx.Mul") return a * b;
  if (op == "onnx.Div") return b == 0 ? 0 : a / b;  // ONNX integer Div truncates
  if (op == "onnx.Pow") return static_cast<int64_t>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  if (op == "onnx.Max") return std::max(a, b);
  return std::min(a, b);
}

Result<std::vector<ir::Tensor>> fold_binary(const Node& n) {
  const ir::DType dt = n.outputs[0]->dtype;
  ir::Tensor acc = *n.inputs[0]->data;
  for (size_t i = 1; i < n.inputs.size(); ++i) {
    const ir::Tensor& b = *n.inputs[i]->data;
    if (ir::is_float(dt))
      acc = broadcast_binary(acc, b, dt, [&](double x, double y) { return apply_binary(n.op, x, y); });
    else
      acc = broadcast_binary_int(acc, b, dt, [&](int64_t x, int64_t y) { return apply_binary_int(n.op, x, y); });
  }
  return std::vector<ir::Tensor>{std::move(acc)};
}

// x ** c for a constant scalar c with a cheaper exact form; nullptr when there is none.
bool lower_pow_special(LowerContext& ctx, Node& n) {
  const Value* e = n.input(1);
  if (!e->is_const() || e->data->size() != 1) return false;
  const double c = e->data->to_doubles()[0];
  Value* x = n.inputs[0];
  if (x->shape != n.outputs[0]->shape) return false;
  if (x->dtype != ir::DType::kFloat32 && x->dtype != ir::DType::kInt32 && x->dtype != ir::DType::kInt64) return false;
  if (c == 2.0) {
    ctx.emit("tfl.MUL", n, {x, x}, {n.outputs[0]});
    return true;
  }
  if (c == 0.5 && ir::is_float(x->dtype)) {
    ctx.emit("tfl.SQRT", n, {x}, {n.outputs[0]});
    return true;
  }
  if (c == 1.0) {
    ctx.reshape(n, x, x->shape, n.outputs[0]);
    return true;
  }
  return false;
}

// The type the TFLite kernel computes `op` in for ONNX type t (see the header comment).
ir::DType compute_type(const std::string& op, ir::DType t) {
  using ir::DType;
  if (ir::is_float(t) || op == "onnx.Max" || op == "onnx.Min") return t;
  if (t == DType::kInt8 || t == DType::kUInt8 || t == DType::kInt16) return DType::kInt32;
  if (t == DType::kInt64 && (op == "onnx.Div" || op == "onnx.Pow")) return DType::kInt32;
  return t;
}

// Pow: x ** y with y of any numeric type; the result has x's type.
Status lower_pow(LowerContext& ctx, Node& n) {
  if (lower_pow_special(ctx, n)) return Status::ok();
  Value* x = n.inputs[0];
  Value* y = n.inputs[1];
  const ir::DType out_t = n.outputs[0]->dtype;
  NODE_UNSUPPORTED_IF(n, x->dtype == ir::DType::kBool || y->dtype == ir::DType::kBool, "Pow on booleans");
  // Integer ** integer runs the int32 kernel; anything with a float runs in float32.
  const ir::DType t = !ir::is_float(x->dtype) && !ir::is_float(y->dtype) ? ir::DType::kInt32 : ir::DType::kFloat32;
  ir::Shape s;
  ir::broadcast_shapes(x->shape, y->shape, &s);
  Value* out = t == out_t ? n.outputs[0] : ctx.temp(n, t, s, "pow");
  ctx.emit("tfl.POW", n, {ctx.cast(n, x, t), ctx.cast(n, y, t)}, {out});
  if (out != n.outputs[0]) ctx.cast(n, out, out_t, n.outputs[0]);  // float → int truncates, like ONNX
  return Status::ok();
}

Status lower_binary(LowerContext& ctx, Node& n) {
  const std::string& op = binary_ops().at(n.op);
  if (n.op == "onnx.Pow") return lower_pow(ctx, n);
  if (n.inputs.size() == 1) {  // variadic op with one input: a copy
    ctx.reshape(n, n.inputs[0], n.inputs[0]->shape, n.outputs[0]);
    return Status::ok();
  }
  const ir::DType out_t = n.outputs[0]->dtype;
  NODE_UNSUPPORTED_IF(n, out_t == ir::DType::kBool, "arithmetic on booleans");
  const ir::DType t = compute_type(n.op, out_t);
  Value* acc = ctx.cast(n, n.inputs[0], t);
  for (size_t i = 1; i < n.inputs.size(); ++i) {
    const bool last = i + 1 == n.inputs.size();
    ir::Shape s;
    ir::broadcast_shapes(acc->shape, n.inputs[i]->shape, &s);
    Value* out = last && t == out_t ? n.outputs[0] : ctx.temp(n, t, s, "partial");
    ctx.emit(op, n, {acc, ctx.cast(n, n.inputs[i], t)}, {out});
    acc = out;
  }
  if (acc != n.outputs[0]) ctx.cast(n, acc, out_t, n.outputs[0]);
  return Status::ok();
}

Status infer_unary(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
  return Status::ok();
}

double apply_unary(const std::string& op, double x) {
  if (op == "onnx.Sqrt") return std::sqrt(x);
  if (op == "onnx.Exp") return std::exp(x);
  if (op == "onnx.Log") return std::log(x);
  if (op == "onnx.Neg") return -x;
  if (op == "onnx.Abs") return std::fabs(x);
  if (op == "onnx.Floor") return std::floor(x);
  if (op == "onnx.Ceil") return std::ceil(x);
  return 1.0 / x;  // Reciprocal
}

Result<std::vector<ir::Tensor>> fold_unary(const Node& n) {
  return std::vector<ir::Tensor>{map_unary(*n.inputs[0]->data, n.outputs[0]->dtype,
                                           [&](double x) { return apply_unary(n.op, x); })};
}

Status lower_unary(LowerContext& ctx, Node& n) {
  const std::string& op = unary_ops().at(n.op);
  Value* x = n.inputs[0];
  if (n.op == "onnx.Reciprocal") {  // 1 / x
    NODE_UNSUPPORTED_IF(n, !ir::is_float(x->dtype), "Reciprocal on integers");
    ctx.emit("tfl.DIV", n, {ctx.const_float(n, "one", {1.0f}, {}), x}, {n.outputs[0]});
    return Status::ok();
  }
  NODE_UNSUPPORTED_IF(n, !ir::is_float(x->dtype) && n.op != "onnx.Neg" && n.op != "onnx.Abs",
                      std::string("TFLite has no integer ") + op + " kernel");
  ctx.emit(op, n, {x}, {n.outputs[0]});
  return Status::ok();
}

}  // namespace

void register_elementwise(Registry& r) {
  for (const auto& [onnx_op, tfl] : binary_ops()) r.add(onnx_op.substr(5), dynamic({infer_binary, fold_binary, lower_binary}));
  for (const auto& [onnx_op, tfl] : unary_ops()) r.add(onnx_op.substr(5), dynamic({infer_unary, fold_unary, lower_unary}));
}

}  // namespace pt2tflite::lower
