// Random generators → TFLite's RANDOM_STANDARD_NORMAL / RANDOM_UNIFORM / MULTINOMIAL builtins
// (all in LiteRT's default resolver):
//   RandomNormal(shape, mean, scale)      → RANDOM_STANDARD_NORMAL(shape) · scale + mean
//   RandomUniform(shape, low, high)       → RANDOM_UNIFORM(shape) · (high − low) + low
//   RandomNormalLike(x), RandomUniformLike(x) → the same with x's static shape
//   Bernoulli(p)                          → CAST(LESS(RANDOM_UNIFORM(shape of p), p)): 1 with
//                                           probability p (u ∈ [0, 1): p = 0 never, p = 1 always)
//   Multinomial(logits [B, C], sample_size) → MULTINOMIAL(logits, sample_size), int32/int64
// float32 (float16 after a CAST). The numbers differ from onnxruntime's (another generator);
// the distributions are the same.
// Seeds: TFLite draws a fresh seed on every interpreter when both seed and seed2 are 0 (as
// ONNX does without `seed`). With ONNX's float `seed`, seed = its int32 bit pattern and
// seed2 = 1, so the stream is the same in every interpreter (seed 0.0 included). Like the
// TFLite ops, each invoke continues the stream.
// ONNX's node tests test_bernoulli_seed[_expanded] compare with numpy's own random draws,
// which no other generator reproduces: they fail for every implementation but numpy's.
#include <cstring>

#include "lower/context.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

// Output element type: the `dtype` attribute, else `def`; float32 or float16 only.
Result<DType> float_dtype(const Node& n, DType def) {
  DType t = def;
  if (n.has("dtype")) {
    PT_ASSIGN_OR_RETURN(t, dtype_attr(n, "dtype"));
  }
  NODE_UNSUPPORTED_IF(n, t != DType::kFloat32 && t != DType::kFloat16,
                      std::string("output element type ") + ir::dtype_name(t) +
                          " (TFLite's random kernels produce float32)");
  return t;
}

Result<Shape> static_shape(const Node& n) {
  if (n.op == "onnx.RandomNormalLike" || n.op == "onnx.RandomUniformLike") {
    NODE_CHECK(n, n.input(0), "missing input");
    return n.inputs[0]->shape;
  }
  NODE_CHECK(n, n.has("shape"), "missing attribute 'shape'");
  Shape s = n.get_ints("shape");
  for (int64_t d : s) NODE_CHECK(n, d >= 0, "shape extents must be >= 0");
  return s;
}

Status infer_random(Node& n) {
  PT_ASSIGN_OR_RETURN(Shape s, static_shape(n));
  const DType def = n.inputs.empty() ? DType::kFloat32 : n.inputs[0]->dtype;
  if (!ir::is_float(def) && !n.has("dtype"))
    return unsupported(n.describe() + ": an integer input without 'dtype' (the output must be float)");
  PT_ASSIGN_OR_RETURN(DType t, float_dtype(n, def));
  set_output(n, 0, t, s);
  return Status::ok();
}

void set_seed(const Node& n, Node* r) {
  if (!n.has("seed")) return;  // seed = seed2 = 0: TFLite seeds non-deterministically
  const float f = static_cast<float>(n.get_float("seed", 0));
  int32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  r->attrs["seed"] = int64_t{bits};
  r->attrs["seed2"] = int64_t{1};
}

// y = x · a + b, skipping the identity steps; writes `out` (casting to its type).
void affine(LowerContext& ctx, const Node& n, Value* x, double a, double b, Value* out) {
  const Shape& s = out->shape;
  auto step = [&](const char* op, double c, bool last) {
    Value* y = last && out->dtype == DType::kFloat32 ? out : ctx.temp(n, DType::kFloat32, s, op + 4);
    ctx.emit(op, n, {x, ctx.const_float(n, "c", {static_cast<float>(c)}, {})}, {y});
    x = y;
  };
  if (a != 1) step("tfl.MUL", a, b == 0);
  if (b != 0) step("tfl.ADD", b, true);
  if (x != out) ctx.cast(n, x, out->dtype, out);
}

Status lower_random(LowerContext& ctx, Node& n) {
  Value* out = n.outputs[0];
  const Shape& s = out->shape;
  NODE_UNSUPPORTED_IF(n, ir::num_elements(s) <= 0, "an empty or unknown output shape");
  const bool normal = n.op == "onnx.RandomNormal" || n.op == "onnx.RandomNormalLike";
  Value* r = ctx.temp(n, DType::kFloat32, s, normal ? "standard_normal" : "uniform");
  Node* g = ctx.emit(normal ? "tfl.RANDOM_STANDARD_NORMAL" : "tfl.RANDOM_UNIFORM", n,
                     {ctx.const_int32(n, "shape", std::vector<int64_t>(s.begin(), s.end()))}, {r});
  set_seed(n, g);
  if (normal) {
    affine(ctx, n, r, n.get_float("scale", 1.0), n.get_float("mean", 0.0), out);
  } else {
    const double low = n.get_float("low", 0.0), high = n.get_float("high", 1.0);
    affine(ctx, n, r, high - low, low, out);
  }
  return Status::ok();
}

// --- Bernoulli: output dtype the `dtype` attribute, else the input's ---

Status infer_bernoulli(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  DType t = n.inputs[0]->dtype;
  if (n.has("dtype")) {
    PT_ASSIGN_OR_RETURN(t, dtype_attr(n, "dtype"));
  }
  set_output(n, 0, t, n.inputs[0]->shape);
  return Status::ok();
}

Status lower_bernoulli(LowerContext& ctx, Node& n) {
  Value* p = n.inputs[0];
  Value* out = n.outputs[0];
  const Shape& s = p->shape;
  NODE_UNSUPPORTED_IF(n, ir::num_elements(s) <= 0, "an empty or unknown shape");
  NODE_UNSUPPORTED_IF(n, p->dtype != DType::kFloat32 && p->dtype != DType::kFloat16,
                      std::string("probabilities of element type ") + ir::dtype_name(p->dtype));
  Value* u = ctx.temp(n, DType::kFloat32, s, "uniform");
  set_seed(n, ctx.emit("tfl.RANDOM_UNIFORM", n, {ctx.const_int32(n, "shape", std::vector<int64_t>(s.begin(), s.end()))},
                       {u}));
  Value* hit = out->dtype == DType::kBool ? out : ctx.temp(n, DType::kBool, s, "hit");
  ctx.emit("tfl.LESS", n, {u, ctx.cast(n, p, DType::kFloat32)}, {hit});
  if (hit != out) ctx.cast(n, hit, out->dtype, out);
  return Status::ok();
}

// --- Multinomial ---

Status infer_multinomial(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  const Shape& x = n.inputs[0]->shape;
  NODE_CHECK(n, x.size() == 2, "input must be [batch, classes]");
  const int64_t samples = n.get_int("sample_size", 1);
  NODE_CHECK(n, samples >= 1, "sample_size must be >= 1");
  DType t = DType::kInt32;
  if (n.has("dtype")) {
    PT_ASSIGN_OR_RETURN(t, dtype_attr(n, "dtype"));
  }
  NODE_CHECK(n, t == DType::kInt32 || t == DType::kInt64, "dtype must be int32 or int64");
  set_output(n, 0, t, {x[0], samples});
  return Status::ok();
}

Status lower_multinomial(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  NODE_UNSUPPORTED_IF(n, x->dtype != DType::kFloat32 && x->dtype != DType::kFloat16,
                      std::string("logits of element type ") + ir::dtype_name(x->dtype) +
                          " (TFLite's MULTINOMIAL takes float32)");
  Node* g = ctx.emit("tfl.MULTINOMIAL", n,
                     {ctx.cast(n, x, DType::kFloat32),
                      ctx.constant(n, "samples", ir::Tensor::from_int64s(DType::kInt32, {}, {n.get_int("sample_size", 1)}))},
                     {n.outputs[0]});
  set_seed(n, g);
  return Status::ok();
}

}  // namespace

void register_random(Registry& r) {
  r.add("RandomNormal", {infer_random, nullptr, lower_random});
  r.add("RandomUniform", {infer_random, nullptr, lower_random});
  r.add("RandomNormalLike", {infer_random, nullptr, lower_random});
  r.add("RandomUniformLike", {infer_random, nullptr, lower_random});
  r.add("Bernoulli", {infer_bernoulli, nullptr, lower_bernoulli});
  r.add("Multinomial", {infer_multinomial, nullptr, lower_multinomial});
}

}  // namespace pt2tflite::lower
