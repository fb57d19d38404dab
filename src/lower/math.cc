// Elementwise math beyond arithmetic: Sin Cos Round Sign → SIN COS ROUND SIGN, Mod, and the
// float classifiers IsNaN (x != x) and IsInf (x == ±inf, |x| == inf for both signs).
// Layout-agnostic; all fold on constants.
//
// Round is round-half-to-even in ONNX and in TFLite's ROUND. SIGN has float32 and int32
// kernels: int8/uint8/int16 take the sign in int32 (exact casts), int64 composes
// (x > 0) - (x < 0). float16 inputs compute in float32 and cast back.
//
// Mod: fmod=0 is the integer remainder with the divisor's sign (Python's %), which is
// TFLite's FLOOR_MOD. fmod=1 is C's fmod, with the dividend's sign:
//   floats  fmod(a, b) = sign(a) * floor_mod(|a|, |b|)   (exact: on non-negative operands
//           FLOOR_MOD is fmod);
//   ints    r = floor_mod(a, b); r - b where r != 0 and a, b differ in sign (exact).
// Integer FLOOR_MOD/SUB run in int32 for int8/uint8/int16 (TFLite reads those as quantized).
#include <cmath>
#include <limits>
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

bool is_small_int(DType t) { return t == DType::kInt8 || t == DType::kUInt8 || t == DType::kInt16; }

// --- Sin Cos Round Sign ---

double apply_unary(const std::string& op, double x) {
  if (op == "onnx.Sin") return std::sin(x);
  if (op == "onnx.Cos") return std::cos(x);
  if (op == "onnx.Round") return std::nearbyint(x);  // default rounding mode: half to even
  return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;       // Sign (NaN → 0)
}

Status infer_unary(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  const DType t = n.inputs[0]->dtype;
  if (n.op != "onnx.Sign") NODE_CHECK(n, ir::is_float(t), std::string("needs a float input, got ") + ir::dtype_name(t));
  NODE_CHECK(n, t != DType::kBool, "needs a numeric input");
  set_output(n, 0, t, n.inputs[0]->shape);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_unary(const Node& n) {
  return std::vector<ir::Tensor>{
      map_unary(*n.inputs[0]->data, n.outputs[0]->dtype, [&](double x) { return apply_unary(n.op, x); })};
}

// (x > 0) - (x < 0) in int32, cast to x's type.
void lower_sign_by_comparison(LowerContext& ctx, const Node& n, Value* x) {
  Value* zero = ctx.constant(n, "zero", ir::Tensor::from_int64s(x->dtype, {}, {0}));
  Value* parts[2];
  const char* cmp[2] = {"tfl.GREATER", "tfl.LESS"};
  for (int i = 0; i < 2; ++i) {
    Value* b = ctx.temp(n, DType::kBool, x->shape, "sign_cmp");
    ctx.emit(cmp[i], n, {x, zero}, {b});
    parts[i] = ctx.cast(n, b, DType::kInt32);
  }
  Value* diff = ctx.temp(n, DType::kInt32, x->shape, "sign");
  ctx.emit("tfl.SUB", n, {parts[0], parts[1]}, {diff});
  ctx.cast(n, diff, n.outputs[0]->dtype, n.outputs[0]);
}

Status lower_unary(LowerContext& ctx, Node& n) {
  static const std::map<std::string, std::string> tfl = {
      {"onnx.Sin", "tfl.SIN"}, {"onnx.Cos", "tfl.COS"}, {"onnx.Round", "tfl.ROUND"}, {"onnx.Sign", "tfl.SIGN"}};
  Value* x = n.inputs[0];
  Value* out = n.outputs[0];
  if (x->dtype == DType::kInt64) {  // Sign only (infer refuses integer Sin/Cos/Round)
    lower_sign_by_comparison(ctx, n, x);
    return Status::ok();
  }
  const DType t = is_small_int(x->dtype) ? DType::kInt32 : x->dtype == DType::kFloat16 ? DType::kFloat32 : x->dtype;
  Value* y = t == out->dtype ? out : ctx.temp(n, t, out->shape, "wide");
  ctx.emit(tfl.at(n.op), n, {ctx.cast(n, x, t)}, {y});
  if (y != out) ctx.cast(n, y, out->dtype, out);
  return Status::ok();
}

// --- Mod ---

Status infer_mod(Node& n) {
  NODE_CHECK(n, n.inputs.size() == 2 && n.inputs[0] && n.inputs[1], "needs two inputs");
  const Value *a = n.inputs[0], *b = n.inputs[1];
  NODE_CHECK(n, a->dtype == b->dtype, "inputs have different types");
  NODE_CHECK(n, a->dtype != DType::kBool, "needs numeric inputs");
  Shape out;
  NODE_CHECK(n, ir::broadcast_shapes(a->shape, b->shape, &out), "input shapes do not broadcast");
  set_output(n, 0, a->dtype, out);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_mod(const Node& n) {
  const bool fmod = n.get_int("fmod", 0) != 0;
  const ir::Tensor &a = *n.inputs[0]->data, &b = *n.inputs[1]->data;
  const DType t = n.outputs[0]->dtype;
  if (ir::is_float(t))
    return std::vector<ir::Tensor>{broadcast_binary(a, b, t, [&](double x, double y) {
      const double r = std::fmod(x, y);
      return !fmod && r != 0 && ((r < 0) != (y < 0)) ? r + y : r;
    })};
  for (int64_t y : b.to_int64s()) NODE_CHECK(n, y != 0, "integer Mod by zero");
  return std::vector<ir::Tensor>{broadcast_binary_int(a, b, t, [&](int64_t x, int64_t y) {
    const int64_t r = x % y;
    return !fmod && r != 0 && ((r < 0) != (y < 0)) ? r + y : r;
  })};
}

Status lower_mod(LowerContext& ctx, Node& n) {
  const bool fmod = n.get_int("fmod", 0) != 0;
  Value* out = n.outputs[0];
  const DType t = is_small_int(out->dtype) ? DType::kInt32 : out->dtype == DType::kFloat16 ? DType::kFloat32 : out->dtype;
  Value* a = ctx.cast(n, n.inputs[0], t);
  Value* b = ctx.cast(n, n.inputs[1], t);
  const Shape& s = out->shape;
  auto temp = [&](DType dt, const std::string& what) { return ctx.temp(n, dt, s, what); };
  auto unary = [&](const char* op, Value* x) {
    Value* y = ctx.temp(n, x->dtype, x->shape, "mod_" + std::string(op + 4));
    ctx.emit(op, n, {x}, {y});
    return y;
  };
  Value* y = t == out->dtype ? out : temp(t, "wide");
  if (!fmod) {
    ctx.emit("tfl.FLOOR_MOD", n, {a, b}, {y});
  } else if (ir::is_float(t)) {
    Value* r = temp(t, "abs_mod");
    ctx.emit("tfl.FLOOR_MOD", n, {unary("tfl.ABS", a), unary("tfl.ABS", b)}, {r});
    ctx.emit("tfl.MUL", n, {unary("tfl.SIGN", a), r}, {y});
  } else {
    Value* r = temp(t, "floor_mod");
    ctx.emit("tfl.FLOOR_MOD", n, {a, b}, {r});
    Value* zero = ctx.constant(n, "zero", ir::Tensor::from_int64s(t, {}, {0}));
    Value* nonzero = temp(DType::kBool, "nonzero");
    ctx.emit("tfl.NOT_EQUAL", n, {r, zero}, {nonzero});
    Value* a_neg = ctx.temp(n, DType::kBool, a->shape, "a_negative");
    ctx.emit("tfl.LESS", n, {a, zero}, {a_neg});
    Value* b_neg = ctx.temp(n, DType::kBool, b->shape, "b_negative");
    ctx.emit("tfl.LESS", n, {b, zero}, {b_neg});
    Value* signs_differ = temp(DType::kBool, "signs_differ");
    ctx.emit("tfl.NOT_EQUAL", n, {a_neg, b_neg}, {signs_differ});
    Value* fix = temp(DType::kBool, "fix");
    ctx.emit("tfl.LOGICAL_AND", n, {nonzero, signs_differ}, {fix});
    Value* shifted = temp(t, "shifted");
    ctx.emit("tfl.SUB", n, {r, b}, {shifted});
    ctx.emit("tfl.SELECT_V2", n, {fix, shifted, r}, {y});
  }
  if (y != out) ctx.cast(n, y, out->dtype, out);
  return Status::ok();
}

// --- IsNaN, IsInf ---

Status infer_classify(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  NODE_CHECK(n, ir::is_float(n.inputs[0]->dtype), "needs a float input");
  set_output(n, 0, DType::kBool, n.inputs[0]->shape);
  return Status::ok();
}

bool classify(const Node& n, double x) {
  if (n.op == "onnx.IsNaN") return std::isnan(x);
  return std::isinf(x) && (x > 0 ? n.get_int("detect_positive", 1) != 0 : n.get_int("detect_negative", 1) != 0);
}

Result<std::vector<ir::Tensor>> fold_classify(const Node& n) {
  return std::vector<ir::Tensor>{
      map_unary(*n.inputs[0]->data, DType::kBool, [&](double x) { return classify(n, x) ? 1.0 : 0.0; })};
}

Status lower_classify(LowerContext& ctx, Node& n) {
  Value* x = ctx.cast(n, n.inputs[0], DType::kFloat32);
  auto scalar = [&](const char* name, float v) { return ctx.const_float(n, name, {v}, {}); };
  if (n.op == "onnx.IsNaN") {  // NaN is the one value unequal to itself
    ctx.emit("tfl.NOT_EQUAL", n, {x, x}, {n.outputs[0]});
    return Status::ok();
  }
  const bool pos = n.get_int("detect_positive", 1) != 0, neg = n.get_int("detect_negative", 1) != 0;
  const float inf = std::numeric_limits<float>::infinity();
  if (pos && neg) {
    Value* mag = ctx.temp(n, DType::kFloat32, x->shape, "abs");
    ctx.emit("tfl.ABS", n, {x}, {mag});
    ctx.emit("tfl.EQUAL", n, {mag, scalar("inf", inf)}, {n.outputs[0]});
  } else {  // one sign, or none: comparing with NaN is never true
    const float target = pos ? inf : neg ? -inf : std::numeric_limits<float>::quiet_NaN();
    ctx.emit("tfl.EQUAL", n, {x, scalar("target", target)}, {n.outputs[0]});
  }
  return Status::ok();
}

}  // namespace

void register_math(Registry& r) {
  for (const char* op : {"Sin", "Cos", "Round", "Sign"}) r.add(op, dynamic({infer_unary, fold_unary, lower_unary}));
  r.add("Mod", dynamic({infer_mod, fold_mod, lower_mod}));
  r.add("IsNaN", dynamic({infer_classify, fold_classify, lower_classify}));
  r.add("IsInf", dynamic({infer_classify, fold_classify, lower_classify}));
}

}  // namespace pt2tflite::lower
