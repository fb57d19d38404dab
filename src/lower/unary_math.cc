// The rest of ONNX's float elementwise math, composed from TFLite builtins (TFLite has
// SIN COS EXP LOG SQRT ATAN2 but no TAN, ASIN …, ERF). Layout-agnostic; all fold.
//   Tan   = SIN / COS
//   Atan  = ATAN2(x, 1)                    (ATAN2 does not broadcast: 1 is ZEROS_LIKE(x) + 1)
//   Asin  = ATAN2(x, √((1−x)(1+x)))        (the factored form keeps precision near ±1;
//   Acos  = ATAN2(√((1−x)(1+x)), x)         out of [−1, 1] the root is NaN, as ONNX gives)
//   Sinh  = (eˣ − 1/eˣ)/2, Cosh = (eˣ + 1/eˣ)/2
//   Asinh = sign(x)·log(|x| + √(x²+1)), Acosh = log(x + √((x−1)(x+1))),
//   Atanh = log((1+x)/(1−x))/2             (NaN outside the domains through LOG/SQRT)
//   Erf   — no builtin and no exact composition. Two branches, picked by SELECT_V2:
//           |x| < 0.25: the Maclaurin series (2/√π)·x·(1 − x²/3 + x⁴/10 − x⁶/42 + x⁸/216),
//                       truncation < 1e-9 relative;
//           otherwise:  Abramowitz & Stegun 7.1.26, 1 − (a₁t + … + a₅t⁵)·e^(−x²) with
//                       t = 1/(1 + p|x|), |error| ≤ 1.5e-7, times sign(x).
//           Measured (tests/unit/lower/unary_math_test.cc, float32 kernels, |x| ≤ 10):
//           relative error ≤ 2e-6 everywhere — well inside the converter's 1e-4.
//   ThresholdedRelu = x > alpha ? x : 0, Shrink = x < −λ ? x + bias : x > λ ? x − bias : 0
//   Swish (opset 24) = x·sigmoid(alpha·x)
// float16 computes in float32 between CASTs, small integers (Shrink) in int32.
// Mean (variadic) = (x₀ + x₁ + …)/n, with broadcasting.
#include <cmath>
#include <map>

#include "lower/context.h"
#include "lower/eval_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Value;

// Abramowitz & Stegun 7.1.26.
constexpr double kErfP = 0.3275911;
constexpr double kErfA[5] = {0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429};
constexpr double kErfSeriesBound = 0.25;

double shrink(const Node& n, double x) {
  const double lambd = n.get_float("lambd", 0.5), bias = n.get_float("bias", 0.0);
  return x < -lambd ? x + bias : x > lambd ? x - bias : 0.0;
}

double apply(const Node& n, double x) {
  const std::string& op = n.op;
  if (op == "onnx.Tan") return std::tan(x);
  if (op == "onnx.Asin") return std::asin(x);
  if (op == "onnx.Acos") return std::acos(x);
  if (op == "onnx.Atan") return std::atan(x);
  if (op == "onnx.Sinh") return std::sinh(x);
  if (op == "onnx.Cosh") return std::cosh(x);
  if (op == "onnx.Asinh") return std::asinh(x);
  if (op == "onnx.Acosh") return std::acosh(x);
  if (op == "onnx.Atanh") return std::atanh(x);
  if (op == "onnx.Erf") return std::erf(x);
  if (op == "onnx.ThresholdedRelu") return x > n.get_float("alpha", 1.0) ? x : 0.0;
  if (op == "onnx.Shrink") return shrink(n, x);
  return x / (1 + std::exp(-n.get_float("alpha", 1.0) * x));  // Swish
}

Status infer_unary(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  const DType t = n.inputs[0]->dtype;
  if (n.op != "onnx.Shrink")
    NODE_CHECK(n, ir::is_float(t), std::string("needs a float input, got ") + ir::dtype_name(t));
  NODE_CHECK(n, t != DType::kBool, "needs a numeric input");
  set_output(n, 0, t, n.inputs[0]->shape);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_unary(const Node& n) {
  return std::vector<ir::Tensor>{
      map_unary(*n.inputs[0]->data, n.outputs[0]->dtype, [&](double x) { return apply(n, x); })};
}

// Emits ops on values of one shape and dtype (scalars broadcast where the op allows).
class Emitter {
 public:
  Emitter(LowerContext& ctx, const Node& n, Value* like) : ctx_(ctx), n_(n), like_(like) {}
  Value* op(const std::string& name, std::vector<Value*> in, Value* out = nullptr) {
    if (!out) out = ctx_.temp(n_, like_->dtype, like_->shape, name.substr(4));
    ctx_.emit(name, n_, std::move(in), {out});
    return out;
  }
  Value* cmp(const std::string& name, Value* a, Value* b) {
    Value* out = ctx_.temp(n_, DType::kBool, like_->shape, name.substr(4));
    ctx_.emit(name, n_, {a, b}, {out});
    return out;
  }
  Value* c(double v) { return ctx_.constant(n_, "c", ir::Tensor::from_doubles(like_->dtype, {}, {v})); }
  Value* add(Value* a, Value* b, Value* out = nullptr) { return op("tfl.ADD", {a, b}, out); }
  Value* sub(Value* a, Value* b, Value* out = nullptr) { return op("tfl.SUB", {a, b}, out); }
  Value* mul(Value* a, Value* b, Value* out = nullptr) { return op("tfl.MUL", {a, b}, out); }
  Value* div(Value* a, Value* b, Value* out = nullptr) { return op("tfl.DIV", {a, b}, out); }
  Value* un(const char* name, Value* a, Value* out = nullptr) { return op(name, {a}, out); }
  Value* select(Value* cond, Value* a, Value* b, Value* out = nullptr) { return op("tfl.SELECT_V2", {cond, a, b}, out); }
  // √((1−x)(1+x)), and √((x−1)(x+1)) when `minus_one_first`.
  Value* root_of_product(Value* x, bool minus_one_first) {
    Value* a = minus_one_first ? sub(x, c(1)) : sub(c(1), x);
    return un("tfl.SQRT", mul(a, add(x, c(1))));
  }

 private:
  LowerContext& ctx_;
  const Node& n_;
  Value* like_;
};

// erf(x) for float32 x (see the header comment).
void emit_erf(Emitter& e, Value* x, Value* out) {
  Value* x2 = e.mul(x, x);
  // Small |x|: Horner in x² of the Maclaurin series.
  Value* s = e.c(1.0 / 216);
  for (double k : {-1.0 / 42, 1.0 / 10, -1.0 / 3, 1.0}) s = e.add(e.mul(s, x2), e.c(k));
  Value* small = e.mul(e.mul(s, x), e.c(2 / std::sqrt(M_PI)));
  // Large |x|: A&S 7.1.26 on |x|, sign restored.
  Value* ax = e.un("tfl.ABS", x);
  Value* t = e.div(e.c(1), e.add(e.mul(ax, e.c(kErfP)), e.c(1)));
  Value* p = e.c(kErfA[4]);
  for (int i = 3; i >= 0; --i) p = e.add(e.mul(p, t), e.c(kErfA[i]));
  Value* tail = e.mul(e.mul(p, t), e.un("tfl.EXP", e.un("tfl.NEG", x2)));
  Value* large = e.mul(e.un("tfl.SIGN", x), e.sub(e.c(1), tail));
  e.select(e.cmp("tfl.LESS", ax, e.c(kErfSeriesBound)), small, large, out);
}

// The float32 composition of n's op on x into out.
Status emit_float(const Node& n, Emitter& e, Value* x, Value* out) {
  const std::string& op = n.op;
  if (op == "onnx.Tan") {
    e.div(e.un("tfl.SIN", x), e.un("tfl.COS", x), out);
  } else if (op == "onnx.Atan") {
    e.op("tfl.ATAN2", {x, e.add(e.un("tfl.ZEROS_LIKE", x), e.c(1))}, out);
  } else if (op == "onnx.Asin") {
    e.op("tfl.ATAN2", {x, e.root_of_product(x, false)}, out);
  } else if (op == "onnx.Acos") {
    e.op("tfl.ATAN2", {e.root_of_product(x, false), x}, out);
  } else if (op == "onnx.Sinh" || op == "onnx.Cosh") {
    Value* ex = e.un("tfl.EXP", x);
    Value* inv = e.div(e.c(1), ex);
    e.mul(op == "onnx.Sinh" ? e.sub(ex, inv) : e.add(ex, inv), e.c(0.5), out);
  } else if (op == "onnx.Asinh") {
    Value* ax = e.un("tfl.ABS", x);
    Value* r = e.un("tfl.SQRT", e.add(e.mul(x, x), e.c(1)));
    e.mul(e.un("tfl.SIGN", x), e.un("tfl.LOG", e.add(ax, r)), out);
  } else if (op == "onnx.Acosh") {
    e.un("tfl.LOG", e.add(x, e.root_of_product(x, true)), out);
  } else if (op == "onnx.Atanh") {
    Value* q = e.div(e.add(e.c(1), x), e.sub(e.c(1), x));
    e.mul(e.un("tfl.LOG", q), e.c(0.5), out);
  } else if (op == "onnx.Erf") {
    emit_erf(e, x, out);
  } else if (op == "onnx.Swish") {
    const double alpha = n.get_float("alpha", 1.0);
    Value* ax = alpha == 1.0 ? x : e.mul(x, e.c(alpha));
    e.mul(x, e.un("tfl.LOGISTIC", ax), out);
  } else {
    return internal_error(n.describe() + ": no float composition");
  }
  return Status::ok();
}

// The type the composition runs in: float32 for float16 (TFLite's kernels here are float32
// only), int32 for int8/uint8/int16 (TFLite's ADD/SUB read those as quantized).
DType compute_type(DType t) {
  if (t == DType::kFloat16) return DType::kFloat32;
  if (t == DType::kInt8 || t == DType::kUInt8 || t == DType::kInt16) return DType::kInt32;
  return t;
}

Status lower_unary(LowerContext& ctx, Node& n) {
  Value* out = n.outputs[0];
  const DType t = compute_type(n.inputs[0]->dtype);
  const bool selection = n.op == "onnx.ThresholdedRelu" || n.op == "onnx.Shrink";
  NODE_UNSUPPORTED_IF(n, !(t == DType::kFloat32 || (selection && (t == DType::kInt32 || t == DType::kInt64))),
                      std::string("TFLite has no kernels for ") + ir::dtype_name(n.inputs[0]->dtype) + " here");
  Value* x = ctx.cast(n, n.inputs[0], t);
  Value* y = out->dtype == t ? out : ctx.temp(n, t, out->shape, "wide");
  Emitter e(ctx, n, x);
  if (n.op == "onnx.ThresholdedRelu") {
    e.select(e.cmp("tfl.GREATER", x, e.c(n.get_float("alpha", 1.0))), x, e.c(0), y);
  } else if (n.op == "onnx.Shrink") {
    const double lambd = n.get_float("lambd", 0.5), bias = n.get_float("bias", 0.0);
    Value* above = e.select(e.cmp("tfl.GREATER", x, e.c(lambd)), e.sub(x, e.c(bias)), e.c(0));
    e.select(e.cmp("tfl.LESS", x, e.c(-lambd)), e.add(x, e.c(bias)), above, y);
  } else {
    PT_RETURN_IF_ERROR(emit_float(n, e, x, y));
  }
  if (y != out) ctx.cast(n, y, out->dtype, out);
  return Status::ok();
}

// --- Mean: sum of the inputs, broadcast, divided by their count ---

Status infer_mean(Node& n) {
  NODE_CHECK(n, !n.inputs.empty() && n.inputs[0], "needs at least one input");
  ir::Shape shape = n.inputs[0]->shape;
  for (size_t i = 1; i < n.inputs.size(); ++i) {
    NODE_CHECK(n, n.inputs[i] && n.inputs[i]->dtype == n.inputs[0]->dtype, "inputs must share one float type");
    ir::Shape s;
    NODE_CHECK(n, ir::broadcast_shapes(shape, n.inputs[i]->shape, &s), "input shapes do not broadcast");
    shape = s;
  }
  NODE_CHECK(n, ir::is_float(n.inputs[0]->dtype), "needs float inputs");
  set_output(n, 0, n.inputs[0]->dtype, shape);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_mean(const Node& n) {
  const DType t = n.outputs[0]->dtype;
  ir::Tensor acc = *n.inputs[0]->data;
  for (size_t i = 1; i < n.inputs.size(); ++i)
    acc = broadcast_binary(acc, *n.inputs[i]->data, t, [](double a, double b) { return a + b; });
  const double count = static_cast<double>(n.inputs.size());
  return std::vector<ir::Tensor>{map_unary(acc, t, [&](double s) { return s / count; })};
}

Status lower_mean(LowerContext& ctx, Node& n) {
  Value* out = n.outputs[0];
  NODE_UNSUPPORTED_IF(n, out->dtype != DType::kFloat32, std::string("TFLite has no kernels for ") +
                                                            ir::dtype_name(out->dtype) + " here");
  Value* acc = n.inputs[0];
  for (size_t i = 1; i < n.inputs.size(); ++i) {
    ir::Shape s;
    ir::broadcast_shapes(acc->shape, n.inputs[i]->shape, &s);
    Value* sum = ctx.temp(n, out->dtype, s, "sum");
    ctx.emit("tfl.ADD", n, {acc, n.inputs[i]}, {sum});
    acc = sum;
  }
  Value* count = ctx.const_float(n, "count", {static_cast<float>(n.inputs.size())}, {});
  ctx.emit("tfl.DIV", n, {acc, count}, {out});
  return Status::ok();
}

}  // namespace

void register_unary_math(Registry& r) {
  for (const char* op : {"Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Erf",
                         "ThresholdedRelu", "Shrink", "Swish"})
    r.add(op, dynamic({infer_unary, fold_unary, lower_unary}));
  r.add("Mean", dynamic({infer_mean, fold_mean, lower_mean}));
}

}  // namespace pt2tflite::lower
