// Elementwise activations, layout-agnostic: Relu Clip Sigmoid HardSigmoid HardSwish Tanh
// LeakyRelu PRelu Elu Selu Celu Gelu Softplus Softsign Mish (Erf is in unary_math.cc; the
// GELU pattern around it becomes one onnx.Gelu in passes/fuse_gelu.cc).
// One builtin where TFLite has it; otherwise an exact composition of builtins:
//   HardSigmoid(x) = RELU6(6a·x + 6b) / 6          (no clamp op for [0,1] is portable)
//   Elu_a(x)       = RELU(x) + a·ELU(MIN(x, 0))     (TFLite's ELU has a = 1)
//   Celu_a(x)      = RELU(x) + a·ELU(MIN(x, 0)/a)
//   Selu(x)        = g·Elu_a(x)
//   Softplus(x)    = RELU(x) + LOG(1 + EXP(-|x|))   (no overflow for large x)
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <map>

#include "lower/context.h"
#include "lower/eval_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::Node;
using ir::Value;

constexpr double kSeluAlpha = 1.67326319217681884765625;
constexpr double kSeluGamma = 1.05070102214813232421875;

double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }

// The activation on one element, in double (folding and the reference for the composed forms).
double apply(const Node& n, double x) {
  const std::string& op = n.op;
  if (op == "onnx.Relu") return std::max(x, 0.0);
  if (op == "onnx.Sigmoid") return 1.0 / (1.0 + std::exp(-x));
  if (op == "onnx.Tanh") return std::tanh(x);
  if (op == "onnx.HardSigmoid")
    return std::clamp(n.get_float("alpha", 0.2) * x + n.get_float("beta", 0.5), 0.0, 1.0);
  if (op == "onnx.HardSwish") return x * std::clamp(x / 6.0 + 0.5, 0.0, 1.0);
  if (op == "onnx.LeakyRelu") return x < 0 ? n.get_float("alpha", 0.01) * x : x;
  if (op == "onnx.Elu") return x < 0 ? n.get_float("alpha", 1.0) * std::expm1(x) : x;
  if (op == "onnx.Selu")
    return n.get_float("gamma", kSeluGamma) * (x <= 0 ? n.get_float("alpha", kSeluAlpha) * std::expm1(x) : x);
  if (op == "onnx.Celu") {
    const double a = n.get_float("alpha", 1.0);
    return std::max(x, 0.0) + std::min(0.0, a * std::expm1(x / a));
  }
  if (op == "onnx.Gelu") {
    if (n.get_string("approximate", "none") == "tanh")
      return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  }
  if (op == "onnx.Softplus") return softplus(x);
  if (op == "onnx.Softsign") return x / (1 + std::fabs(x));
  return x * std::tanh(softplus(x));  // onnx.Mish
}

Status infer_same(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_unary(const Node& n) {
  return std::vector<ir::Tensor>{
      map_unary(*n.inputs[0]->data, n.outputs[0]->dtype, [&](double x) { return apply(n, x); })};
}

// A scalar constant of x's dtype.
Value* scalar(LowerContext& ctx, const Node& n, const std::string& suffix, ir::DType dt, double v) {
  return ctx.constant(n, suffix, ir::Tensor::from_doubles(dt, {}, {v}));
}

// Emits `op` on `in` into `out`, or into a new temporary shaped like in[0].
Value* emit(LowerContext& ctx, const Node& n, const std::string& op, std::vector<Value*> in, Value* out = nullptr) {
  if (!out) out = ctx.temp(n, in[0]->dtype, in[0]->shape, op.substr(4));
  ctx.emit(op, n, std::move(in), {out});
  return out;
}

// RELU(x) + out_scale · ELU(in_scale · MIN(x, 0)): Elu, Celu and (scaled) Selu.
void emit_elu_like(LowerContext& ctx, const Node& n, Value* x, double in_scale, double out_scale, Value* out) {
  const ir::DType dt = x->dtype;
  Value* neg = emit(ctx, n, "tfl.MINIMUM", {x, scalar(ctx, n, "zero", dt, 0)});
  if (in_scale != 1) neg = emit(ctx, n, "tfl.MUL", {neg, scalar(ctx, n, "in_scale", dt, in_scale)});
  Value* e = emit(ctx, n, "tfl.ELU", {neg});
  if (out_scale != 1) e = emit(ctx, n, "tfl.MUL", {e, scalar(ctx, n, "out_scale", dt, out_scale)});
  emit(ctx, n, "tfl.ADD", {emit(ctx, n, "tfl.RELU", {x}), e}, out);
}

// RELU(x) + LOG(1 + EXP(-|x|)).
Value* emit_softplus(LowerContext& ctx, const Node& n, Value* x, Value* out) {
  Value* e = emit(ctx, n, "tfl.EXP", {emit(ctx, n, "tfl.NEG", {emit(ctx, n, "tfl.ABS", {x})})});
  Value* l = emit(ctx, n, "tfl.LOG", {emit(ctx, n, "tfl.ADD", {e, scalar(ctx, n, "one", x->dtype, 1)})});
  return emit(ctx, n, "tfl.ADD", {emit(ctx, n, "tfl.RELU", {x}), l}, out);
}

// The activation of x into out (both of x's type).
Status lower_unary_as(LowerContext& ctx, Node& n, Value* x, Value* out) {
  const ir::DType dt = x->dtype;
  const std::string& op = n.op;
  if (op == "onnx.Relu" && !ir::is_float(dt)) {  // TFLite's RELU is float/quantized only
    emit(ctx, n, "tfl.MAXIMUM", {x, scalar(ctx, n, "zero", dt, 0)}, out);
    return Status::ok();
  }
  NODE_UNSUPPORTED_IF(n, !ir::is_float(dt), std::string("TFLite has no kernel for this op on ") + ir::dtype_name(dt));
  static const std::map<std::string, std::string> direct = {
      {"onnx.Relu", "tfl.RELU"}, {"onnx.Sigmoid", "tfl.LOGISTIC"}, {"onnx.Tanh", "tfl.TANH"},
      {"onnx.HardSwish", "tfl.HARD_SWISH"}};
  if (auto it = direct.find(op); it != direct.end()) {
    emit(ctx, n, it->second, {x}, out);
  } else if (op == "onnx.LeakyRelu") {
    ctx.emit("tfl.LEAKY_RELU", n, {x}, {out})->attrs["alpha"] = n.get_float("alpha", 0.01);
  } else if (op == "onnx.Gelu") {
    const std::string approx = n.get_string("approximate", "none");
    NODE_CHECK(n, approx == "none" || approx == "tanh", "approximate must be 'none' or 'tanh', not '" + approx + "'");
    ctx.emit("tfl.GELU", n, {x}, {out})->attrs["approximate"] = int64_t{approx == "tanh"};
  } else if (op == "onnx.HardSigmoid") {  // RELU6(6a·x + 6b) / 6
    const float a6 = static_cast<float>(6 * n.get_float("alpha", 0.2));
    const float b6 = static_cast<float>(6 * n.get_float("beta", 0.5));
    Value* s = a6 == 1.0f ? x : emit(ctx, n, "tfl.MUL", {x, scalar(ctx, n, "alpha6", dt, a6)});
    Value* r = emit(ctx, n, "tfl.RELU6", {emit(ctx, n, "tfl.ADD", {s, scalar(ctx, n, "beta6", dt, b6)})});
    emit(ctx, n, "tfl.MUL", {r, scalar(ctx, n, "sixth", dt, 1.0 / 6)}, out);
  } else if (op == "onnx.Elu") {
    const double a = n.get_float("alpha", 1.0);
    if (a == 1.0)
      emit(ctx, n, "tfl.ELU", {x}, out);
    else
      emit_elu_like(ctx, n, x, 1, a, out);
  } else if (op == "onnx.Celu") {
    const double a = n.get_float("alpha", 1.0);
    NODE_CHECK(n, a != 0, "alpha must not be 0");
    if (a == 1.0)
      emit(ctx, n, "tfl.ELU", {x}, out);
    else
      emit_elu_like(ctx, n, x, 1 / a, a, out);
  } else if (op == "onnx.Selu") {
    const double a = n.get_float("alpha", kSeluAlpha), g = n.get_float("gamma", kSeluGamma);
    Value* e = ctx.temp(n, dt, x->shape, "elu");
    emit_elu_like(ctx, n, x, 1, a, e);
    emit(ctx, n, "tfl.MUL", {e, scalar(ctx, n, "gamma", dt, g)}, out);
  } else if (op == "onnx.Softplus") {
    emit_softplus(ctx, n, x, out);
  } else if (op == "onnx.Mish") {  // x · tanh(softplus(x))
    Value* t = emit(ctx, n, "tfl.TANH", {emit_softplus(ctx, n, x, nullptr)});
    emit(ctx, n, "tfl.MUL", {x, t}, out);
  } else if (op == "onnx.Softsign") {  // x / (1 + |x|)
    Value* d = emit(ctx, n, "tfl.ADD", {emit(ctx, n, "tfl.ABS", {x}), scalar(ctx, n, "one", dt, 1)});
    emit(ctx, n, "tfl.DIV", {x, d}, out);
  } else {
    return internal_error(n.describe() + ": not an activation");
  }
  return Status::ok();
}

// float16 runs in float32 between CASTs: TFLite's activation kernels have no float16
// (Celu allows float16 from opset 28, most others since their first version).
Status lower_unary(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  Value* out = n.outputs[0];
  if (x->dtype != ir::DType::kFloat16) return lower_unary_as(ctx, n, x, out);
  Value* y = ctx.temp(n, ir::DType::kFloat32, out->shape, "f32");
  PT_RETURN_IF_ERROR(lower_unary_as(ctx, n, ctx.cast(n, x, ir::DType::kFloat32), y));
  ctx.cast(n, y, out->dtype, out);
  return Status::ok();
}

// --- Clip: bounds from attributes (opset < 11) or optional inputs (opset >= 11) ---

struct Bound {
  bool present = false;
  bool is_const = false;
  double value = 0;
  Value* v = nullptr;  // the runtime bound when not constant
};

Bound clip_bound(const Node& n, const char* attr, size_t input) {
  Bound b;
  if (n.has(attr)) {
    b = {true, true, n.get_float(attr, 0), nullptr};
  } else if (Value* v = n.input(input)) {
    b.present = true;
    b.is_const = v->is_const();
    if (b.is_const) b.value = v->data->to_doubles().at(0);
    b.v = v;
  }
  // Old exporters spell "no bound" as ±FLT_MAX.
  if (b.present && b.is_const && std::fabs(b.value) >= FLT_MAX) b.present = false;
  return b;
}

Result<std::vector<ir::Tensor>> fold_clip(const Node& n) {
  const Bound lo = clip_bound(n, "min", 1), hi = clip_bound(n, "max", 2);
  return std::vector<ir::Tensor>{map_unary(*n.inputs[0]->data, n.outputs[0]->dtype, [&](double x) {
    if (lo.present) x = std::max(x, lo.value);
    if (hi.present) x = std::min(x, hi.value);
    return x;
  })};
}

Status lower_clip(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  Value* out = n.outputs[0];
  const Bound lo = clip_bound(n, "min", 1), hi = clip_bound(n, "max", 2);
  for (const Bound* b : {&lo, &hi})
    NODE_CHECK(n, !b->present || b->is_const || ir::num_elements(b->v->shape) == 1, "min and max must be scalars");
  if (ir::is_float(x->dtype) && lo.present && lo.is_const && (!hi.present || hi.is_const)) {
    const char* fused = nullptr;
    if (lo.value == 0 && !hi.present) fused = "tfl.RELU";
    if (lo.value == 0 && hi.present && hi.value == 6) fused = "tfl.RELU6";
    if (lo.value == -1 && hi.present && hi.value == 1) fused = "tfl.RELU_N1_TO_1";
    if (fused) {
      emit(ctx, n, fused, {x}, out);
      return Status::ok();
    }
  }
  auto bound_value = [&](const Bound& b, const char* name) {
    return b.is_const ? scalar(ctx, n, name, x->dtype, b.value) : b.v;
  };
  // min(max(x, lo), hi): when lo > hi every element becomes hi, as ONNX specifies.
  Value* y = x;
  if (lo.present) y = emit(ctx, n, "tfl.MAXIMUM", {y, bound_value(lo, "min")}, hi.present ? nullptr : out);
  if (hi.present) y = emit(ctx, n, "tfl.MINIMUM", {y, bound_value(hi, "max")}, out);
  if (y == x) ctx.reshape(n, x, x->shape, out);  // no bounds: a copy
  return Status::ok();
}

// --- PRelu: a single slope is LEAKY_RELU; otherwise PRELU with the slope at x's rank ---

Status infer_prelu(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs X and slope");
  ir::Shape s;
  NODE_CHECK(n, ir::broadcast_shapes(n.inputs[0]->shape, n.inputs[1]->shape, &s) && s == n.inputs[0]->shape,
             "slope " + ir::shape_to_string(n.inputs[1]->shape) + " does not broadcast to X " +
                 ir::shape_to_string(n.inputs[0]->shape));
  set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_prelu(const Node& n) {
  return std::vector<ir::Tensor>{broadcast_binary(*n.inputs[0]->data, *n.inputs[1]->data, n.outputs[0]->dtype,
                                                  [](double x, double a) { return x < 0 ? a * x : x; })};
}

Status lower_prelu(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  Value* slope = n.inputs[1];
  NODE_UNSUPPORTED_IF(n, !ir::is_float(x->dtype), "PRelu on integers has no TFLite kernel");
  if (slope->is_const() && slope->data->size() == 1) {
    ctx.emit("tfl.LEAKY_RELU", n, {x}, {n.outputs[0]})->attrs["alpha"] = slope->data->to_doubles()[0];
    return Status::ok();
  }
  // TFLite broadcasts alpha numpy-style too; same rank keeps the layout pass's job simple.
  ir::Shape full(x->shape.size() - slope->shape.size(), 1);
  full.insert(full.end(), slope->shape.begin(), slope->shape.end());
  if (full != slope->shape) {
    if (slope->is_const()) {
      ir::Tensor t = *slope->data;
      t.shape = full;
      slope = ctx.constant(n, "slope", std::move(t));
    } else {
      slope = ctx.reshape(n, slope, full);
    }
  }
  emit(ctx, n, "tfl.PRELU", {x, slope}, n.outputs[0]);
  return Status::ok();
}

}  // namespace

void register_activation(Registry& r) {
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu", "Elu", "Selu", "Celu",
                         "Gelu", "Softplus", "Softsign", "Mish"})
    r.add(op, dynamic({infer_same, fold_unary, lower_unary}));
  r.add("Clip", dynamic({infer_same, fold_clip, lower_clip}));
  r.add("PRelu", {infer_prelu, fold_prelu, lower_prelu});
}

}  // namespace pt2tflite::lower
