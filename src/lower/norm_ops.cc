// More normalisations, composed from TFLite builtins in the ONNX layout (reductions are
// remapped by the transpose-sinking pass), float32 (float16 between CASTs):
//   LRN: TFLite's LOCAL_RESPONSE_NORMALIZATION over the channels-last axis. ONNX divides
//        alpha by size and sums a window of `size` channels, floor((size−1)/2) before and
//        ceil((size−1)/2) after; TFLite sums [c − radius, c + radius] and does not divide:
//        radius = (size−1)/2, alpha' = alpha/size. An even size (an asymmetric window) is
//        refused. Any rank ≥ 2: the spatial axes are flattened into one.
//   RMSNormalization (opset 23): x · RSQRT(MEAN(x², axes [axis, rank)) + eps) · scale.
//   LpNormalization: x / SUM(|x|) (p=1) or x / SQRT(SUM(x²)) (p=2) along one axis; a zero
//        norm gives 0, not 0/0 (ONNX's reference and onnxruntime do so).
//   MeanVarianceNormalization: (x − m) / (√MEAN((x − m)²) + 1e-9) over `axes` — ONNX's
//        function body uses E[x²] − E[x]² for the variance; the two-pass form is the same
//        number, more accurately.
//   GlobalLpPool: (Σ |x|ᵖ over the spatial axes)^(1/p), SUM(ABS) / SQRT(SUM(x²)) for p = 1, 2.
//   Hardmax: one-hot of the first maximum: EQUAL(ARG_MAX(x, axis) kept as size 1, iota)
//        cast to the type of x; before opset 13 over x coerced to 2-D at `axis`.
#include <algorithm>
#include <cmath>

#include "lower/context.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

Value* emit(LowerContext& ctx, const Node& n, const std::string& op, std::vector<Value*> in, Value* out = nullptr) {
  if (!out) out = ctx.temp(n, in[0]->dtype, in[0]->shape, op.substr(4));
  ctx.emit(op, n, std::move(in), {out});
  return out;
}

Value* scalar(LowerContext& ctx, const Node& n, double v) { return ctx.const_float(n, "c", {static_cast<float>(v)}, {}); }

// A reduction with keep_dims over `axes` of x.
Value* reduce(LowerContext& ctx, const Node& n, const char* op, Value* x, const std::vector<int64_t>& axes) {
  Shape s = x->shape;
  for (int64_t a : axes) s[a] = 1;
  Value* y = ctx.temp(n, x->dtype, s, std::string(op + 4));
  ctx.emit(op, n, {x, ctx.const_int32(n, "axes", axes)}, {y})->attrs["keep_dims"] = int64_t{1};
  return y;
}

Status infer_same(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  NODE_CHECK(n, ir::is_float(n.inputs[0]->dtype), "needs a float input");
  set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
  return Status::ok();
}

// Runs `body` on x in float32 into a float32 result, casting float16 in and out.
template <typename Body>
Status in_float32(LowerContext& ctx, Node& n, Body body) {
  Value* out = n.outputs[0];
  NODE_UNSUPPORTED_IF(n, out->dtype != DType::kFloat32 && out->dtype != DType::kFloat16,
                      std::string("TFLite has no kernels for ") + ir::dtype_name(out->dtype) + " here");
  Value* x = ctx.cast(n, n.inputs[0], DType::kFloat32);
  Value* y = out->dtype == DType::kFloat32 ? out : ctx.temp(n, DType::kFloat32, out->shape, "f32");
  PT_RETURN_IF_ERROR(body(x, y));
  if (y != out) ctx.cast(n, y, out->dtype, out);
  return Status::ok();
}

std::vector<int64_t> axes_from(int64_t first, size_t rank) {
  std::vector<int64_t> axes;
  for (int64_t a = first; a < static_cast<int64_t>(rank); ++a) axes.push_back(a);
  return axes;
}

// --- LRN ---

Status lower_lrn(LowerContext& ctx, Node& n) {
  const int64_t size = n.get_int("size", 0);
  NODE_CHECK(n, size >= 1, "size must be positive");
  NODE_UNSUPPORTED_IF(n, size % 2 == 0,
                      "even size " + std::to_string(size) +
                          " sums an asymmetric channel window; TFLite's LOCAL_RESPONSE_NORMALIZATION is symmetric");
  const size_t rank = n.inputs[0]->shape.size();
  NODE_CHECK(n, rank >= 2, "needs [N, C, ...]");
  return in_float32(ctx, n, [&](Value* x, Value* y) {
    const Shape& s = x->shape;
    Value* cl = rank >= 3 ? ctx.to_channels_last(n, x) : x;
    const Shape cl_shape = cl->shape;
    const Shape four = {s[0], 1, ir::num_elements(s) / (s[0] * s[1]), s[1]};
    Value* in4 = cl_shape == four ? cl : ctx.reshape(n, cl, four);
    Value* out4 = ctx.temp(n, DType::kFloat32, four, "lrn");
    ir::Node* l = ctx.emit("tfl.LOCAL_RESPONSE_NORMALIZATION", n, {in4}, {out4});
    l->attrs["radius"] = (size - 1) / 2;
    l->attrs["bias"] = n.get_float("bias", 1.0);
    l->attrs["alpha"] = n.get_float("alpha", 1e-4) / static_cast<double>(size);
    l->attrs["beta"] = n.get_float("beta", 0.75);
    if (rank < 3) {
      ctx.reshape(n, out4, s, y);
    } else {
      Value* back = cl_shape == four ? out4 : ctx.reshape(n, out4, cl_shape);
      ctx.from_channels_last(n, back, y);
    }
    return Status::ok();
  });
}

// --- RMSNormalization ---

Status infer_rms(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs X and scale");
  PT_RETURN_IF_ERROR(infer_same(n));
  const size_t rank = n.inputs[0]->shape.size();
  NODE_CHECK(n, normalize_axis(n.get_int("axis", -1), rank) >= 0, "axis out of range");
  Shape s;
  NODE_CHECK(n, ir::broadcast_shapes(n.inputs[0]->shape, n.inputs[1]->shape, &s) && s == n.inputs[0]->shape,
             "scale does not broadcast to X");
  return Status::ok();
}

Status lower_rms(LowerContext& ctx, Node& n) {
  const size_t rank = n.inputs[0]->shape.size();
  const int64_t axis = normalize_axis(n.get_int("axis", -1), rank);
  return in_float32(ctx, n, [&](Value* x, Value* y) {
    Value* ms = reduce(ctx, n, "tfl.MEAN", emit(ctx, n, "tfl.MUL", {x, x}), axes_from(axis, rank));
    Value* r = emit(ctx, n, "tfl.RSQRT", {emit(ctx, n, "tfl.ADD", {ms, scalar(ctx, n, n.get_float("epsilon", 1e-5))})});
    emit(ctx, n, "tfl.MUL", {emit(ctx, n, "tfl.MUL", {x, r}), ctx.cast(n, n.inputs[1], DType::kFloat32)}, y);
    return Status::ok();
  });
}

// --- LpNormalization, GlobalLpPool ---

// SUM(|x|^p) over axes and its p-th root, for p = 1, 2 or any p > 0.
Value* lp_norm(LowerContext& ctx, const Node& n, Value* x, double p, const std::vector<int64_t>& axes) {
  if (p == 1) return reduce(ctx, n, "tfl.SUM", emit(ctx, n, "tfl.ABS", {x}), axes);
  if (p == 2) return emit(ctx, n, "tfl.SQRT", {reduce(ctx, n, "tfl.SUM", emit(ctx, n, "tfl.MUL", {x, x}), axes)});
  Value* powered = emit(ctx, n, "tfl.POW", {emit(ctx, n, "tfl.ABS", {x}), scalar(ctx, n, p)});
  return emit(ctx, n, "tfl.POW", {reduce(ctx, n, "tfl.SUM", powered, axes), scalar(ctx, n, 1 / p)});
}

Status lower_lp_normalization(LowerContext& ctx, Node& n) {
  const int64_t p = n.get_int("p", 2);
  NODE_CHECK(n, p == 1 || p == 2, "p must be 1 or 2");
  const int64_t axis = normalize_axis(n.get_int("axis", -1), n.inputs[0]->shape.size());
  NODE_CHECK(n, axis >= 0, "axis out of range");
  return in_float32(ctx, n, [&](Value* x, Value* y) {
    Value* norm = lp_norm(ctx, n, x, static_cast<double>(p), {axis});
    Value* zero = scalar(ctx, n, 0);
    Value* is_zero = ctx.temp(n, DType::kBool, norm->shape, "zero_norm");
    ctx.emit("tfl.EQUAL", n, {norm, zero}, {is_zero});
    emit(ctx, n, "tfl.SELECT_V2", {is_zero, zero, emit(ctx, n, "tfl.DIV", {x, norm})}, y);
    return Status::ok();
  });
}

Status infer_global_lp_pool(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  NODE_CHECK(n, ir::is_float(n.inputs[0]->dtype), "needs a float input");
  Shape s = n.inputs[0]->shape;
  NODE_CHECK(n, s.size() >= 3, "needs [N, C, D1, ...]");
  for (size_t a = 2; a < s.size(); ++a) s[a] = 1;
  set_output(n, 0, n.inputs[0]->dtype, s);
  return Status::ok();
}

Status lower_global_lp_pool(LowerContext& ctx, Node& n) {
  const double p = static_cast<double>(n.get_int("p", 2));
  NODE_CHECK(n, p > 0, "p must be positive");
  return in_float32(ctx, n, [&](Value* x, Value* y) {
    Value* r = lp_norm(ctx, n, x, p, axes_from(2, x->shape.size()));
    ctx.reshape(n, r, r->shape, y);
    return Status::ok();
  });
}

// --- MeanVarianceNormalization ---

Status lower_mvn(LowerContext& ctx, Node& n) {
  const size_t rank = n.inputs[0]->shape.size();
  std::vector<int64_t> axes;
  for (int64_t a : n.get_ints("axes", {0, 2, 3})) {
    const int64_t k = normalize_axis(a, rank);
    NODE_CHECK(n, k >= 0, "axis " + std::to_string(a) + " out of range");
    axes.push_back(k);
  }
  std::sort(axes.begin(), axes.end());
  return in_float32(ctx, n, [&](Value* x, Value* y) {
    Value* d = emit(ctx, n, "tfl.SUB", {x, reduce(ctx, n, "tfl.MEAN", x, axes)});
    Value* sd = emit(ctx, n, "tfl.SQRT", {reduce(ctx, n, "tfl.MEAN", emit(ctx, n, "tfl.MUL", {d, d}), axes)});
    emit(ctx, n, "tfl.DIV", {d, emit(ctx, n, "tfl.ADD", {sd, scalar(ctx, n, 1e-9)})}, y);
    return Status::ok();
  });
}

// --- Hardmax ---

Status lower_hardmax(LowerContext& ctx, Node& n) {
  Value* x = ctx.cast(n, n.inputs[0], DType::kFloat32);  // ARG_MAX has no float16 kernel
  Value* out = n.outputs[0];
  const size_t rank = x->shape.size();
  const bool coerce_2d = n.opset > 0 && n.opset < 13;
  int64_t axis = normalize_axis(n.get_int("axis", coerce_2d ? 1 : -1), rank);
  NODE_CHECK(n, axis >= 0, "axis out of range");
  if (coerce_2d) {  // [prod(d < axis), prod(d >= axis)], hardmax over the second
    int64_t outer = 1;
    for (int64_t a = 0; a < axis; ++a) outer *= x->shape[a];
    x = ctx.reshape(n, x, {outer, ir::num_elements(x->shape) / std::max<int64_t>(outer, 1)});
    axis = 1;
  }
  const Shape& s = x->shape;
  Shape kept = s;
  kept[axis] = 1;
  Shape reduced;
  for (size_t a = 0; a < s.size(); ++a)
    if (static_cast<int64_t>(a) != axis) reduced.push_back(s[a]);
  Value* idx = ctx.temp(n, DType::kInt32, reduced, "argmax");
  ctx.emit("tfl.ARG_MAX", n, {x, ctx.const_int32(n, "axis", {axis}, Shape{})}, {idx});
  Value* idx_kept = ctx.reshape(n, idx, kept);
  std::vector<int64_t> iota(static_cast<size_t>(s[axis]));
  for (size_t i = 0; i < iota.size(); ++i) iota[i] = static_cast<int64_t>(i);
  Shape iota_shape(s.size(), 1);
  iota_shape[axis] = s[axis];
  Value* hit = ctx.temp(n, DType::kBool, s, "is_max");
  ctx.emit("tfl.EQUAL", n, {idx_kept, ctx.const_int32(n, "iota", iota, iota_shape)}, {hit});
  if (s == out->shape) {
    ctx.cast(n, hit, out->dtype, out);
  } else {
    ctx.reshape(n, ctx.cast(n, hit, out->dtype), out->shape, out);
  }
  return Status::ok();
}

}  // namespace

void register_norm_ops(Registry& r) {
  r.add("LRN", {infer_same, nullptr, lower_lrn});
  r.add("RMSNormalization", {infer_rms, nullptr, lower_rms});
  r.add("LpNormalization", {infer_same, nullptr, lower_lp_normalization});
  r.add("MeanVarianceNormalization", {infer_same, nullptr, lower_mvn});
  r.add("GlobalLpPool", {infer_global_lp_pool, nullptr, lower_global_lp_pool});
  r.add("Hardmax", {infer_same, nullptr, lower_hardmax});
}

}  // namespace pt2tflite::lower
