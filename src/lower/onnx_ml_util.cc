#include "lower/onnx_ml_util.h"

#include <cmath>

namespace pt2tflite::lower::ml {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

std::optional<std::vector<double>> numbers(const Node& n, const std::string& key) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return std::nullopt;
  if (const auto* d = std::get_if<std::vector<double>>(&it->second)) return *d;
  if (const auto* i = std::get_if<std::vector<int64_t>>(&it->second))
    return std::vector<double>(i->begin(), i->end());
  if (const auto* d = std::get_if<double>(&it->second)) return std::vector<double>{*d};
  if (const auto* i = std::get_if<int64_t>(&it->second)) return std::vector<double>{static_cast<double>(*i)};
  return std::nullopt;
}

bool is_strings(const Node& n, const std::string& key) {
  auto it = n.attrs.find(key);
  return it != n.attrs.end() && std::holds_alternative<std::vector<std::string>>(it->second);
}

Result<Value*> rows_float(LowerContext& ctx, const Node& n, Value* x) {
  NODE_UNSUPPORTED_IF(n, x->shape.empty() || x->shape.size() > 2,
                      "input of rank " + std::to_string(x->shape.size()) +
                          " (the ONNX-ML linear models read [N, C] or [C], as onnxruntime does)");
  NODE_UNSUPPORTED_IF(n, x->dtype != DType::kFloat32 && x->dtype != DType::kInt32 && x->dtype != DType::kInt64,
                      std::string("input of element type ") + ir::dtype_name(x->dtype));
  Value* f = ctx.cast(n, x, DType::kFloat32);
  if (f->shape.size() == 1) f = ctx.reshape(n, f, {1, f->shape[0]});
  return f;
}

Result<PostTransform> post_transform_attr(const Node& n) {
  const std::string t = n.get_string("post_transform", "NONE");
  if (t == "NONE") return PostTransform::kNone;
  if (t == "LOGISTIC") return PostTransform::kLogistic;
  if (t == "SOFTMAX") return PostTransform::kSoftmax;
  if (t == "SOFTMAX_ZERO") return PostTransform::kSoftmaxZero;
  if (t == "PROBIT") return PostTransform::kProbit;
  NODE_CHECK(n, false, "post_transform '" + t + "' is not one of NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO, PROBIT");
  return PostTransform::kNone;
}

Value* dense(LowerContext& ctx, const Node& n, Value* rows, const std::vector<double>& w, int64_t outs,
             const std::vector<double>& bias) {
  const int64_t c = rows->shape[1];
  Value* s = ctx.temp(n, DType::kFloat32, {rows->shape[0], outs}, "dense");
  ctx.emit("tfl.FULLY_CONNECTED", n,
           {rows, ctx.constant(n, "weights", ir::Tensor::from_doubles(DType::kFloat32, {outs, c}, w)),
            ctx.constant(n, "bias", ir::Tensor::from_doubles(DType::kFloat32, {outs}, bias))},
           {s});
  return s;
}

Value* reduce_last(LowerContext& ctx, const Node& n, const std::string& op, Value* x) {
  Shape s = x->shape;
  s.back() = 1;
  Value* y = ctx.temp(n, x->dtype, s, op.substr(4));
  ctx.emit(op, n, {x, ctx.const_int32(n, "axis", {static_cast<int64_t>(s.size()) - 1})}, {y})->attrs["keep_dims"] =
      int64_t{1};
  return y;
}

Value* probit(LowerContext& ctx, const Node& n, Value* x) {
  // onnxruntime's ErfInv (ml_common.h): for t = 2x − 1, sgn·sqrt(−v + sqrt(v² − ln(1−t²)/a))
  // with v = 2/(πa) + ln(1−t²)/2, a = 0.147; the result times √2.
  Arith a(ctx, n);
  Value* t = a.add(a.mul(x, 2.0), -1.0);
  Value* sgn = a.select(a.bin("tfl.LESS", t, a.scalar(0.0), DType::kBool), a.scalar(-1.0), a.scalar(1.0));
  Value* lg = a.un("tfl.LOG", a.mul(a.sub(a.scalar(1.0), t), a.add(t, 1.0)));
  Value* v = a.add(a.mul(lg, 0.5), 2.0 / (M_PI * 0.147));
  Value* v2 = a.mul(lg, 1.0 / 0.147);
  Value* v3 = a.sub(a.un("tfl.SQRT", a.sub(a.mul(v, v), v2)), v);
  return a.mul(a.mul(a.un("tfl.SQRT", v3), sgn), M_SQRT2);
}

Value* post_transform(LowerContext& ctx, const Node& n, Value* s, PostTransform t) {
  Arith a(ctx, n);
  switch (t) {
    case PostTransform::kNone: return s;
    case PostTransform::kLogistic: return a.un("tfl.LOGISTIC", s);
    case PostTransform::kSoftmax: {
      Value* y = ctx.temp(n, DType::kFloat32, s->shape, "softmax");
      ctx.emit("tfl.SOFTMAX", n, {s}, {y})->attrs["beta"] = 1.0;
      return y;
    }
    case PostTransform::kSoftmaxZero: {
      // onnxruntime's ComputeSoftmaxZero: entries with |x| <= 1e-7 count as absent.
      Value* mx = reduce_last(ctx, n, "tfl.REDUCE_MAX", s);
      Value* present = a.bin("tfl.GREATER", a.un("tfl.ABS", s), a.scalar(1e-7), DType::kBool);
      Value* e = a.un("tfl.EXP", a.sub(s, mx));
      Value* zero_scaled = a.mul(s, a.un("tfl.EXP", a.un("tfl.NEG", mx)));
      Value* sum = reduce_last(ctx, n, "tfl.SUM", a.select(present, e, a.scalar(0.0)));
      return a.div(a.select(present, e, zero_scaled), sum);
    }
    case PostTransform::kProbit: return probit(ctx, n, s);
  }
  return s;
}

}  // namespace pt2tflite::lower::ml
