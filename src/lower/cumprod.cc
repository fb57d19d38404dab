// CumProd (opset 26): running product along one axis (a constant input; one computed at run
// time: the scan along every axis, the one named picked by SELECT_V2), `exclusive` and
// `reverse` as in CumSum. TFLite has no cumulative-product builtin; this is a Hillis–Steele
// scan of ceil(log2 L) steps for an axis of static length L:
//   y ← y · shift(y, s)   for s = 1, 2, 4, … < L
// where shift(y, s) moves y by s along the axis (towards the end, or the start when reversed)
// and fills the vacated s positions with 1: PADV2 (value 1) then SLICE back to length L.
// After the step with shift s every element holds the product of the up to 2s elements
// ending at it, so the last step leaves the inclusive scan; `exclusive` is one more shift by 1.
// 3 ops per step instead of L−1 MULs of an unrolled chain; no length limit.
// Integers are exact (wrap-around multiplication is associative); floats multiply in a tree
// order instead of left to right, a difference of a few ulps per factor like any reordering.
// float32, int32, int64 (float16 between CASTs). Folds on a constant input.
#include <algorithm>

#include "lower/context.h"
#include "lower/emit_arith.h"
#include "lower/cumulative.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

Result<std::vector<Tensor>> fold_cumprod(const Node& n) { return fold_cumulative(n, true); }

// The scan of y (type t) along `axis`.
Value* scan_along(LowerContext& ctx, const Node& n, Value* y, DType t, int64_t axis) {
  const bool exclusive = n.get_int("exclusive", 0) != 0, reverse = n.get_int("reverse", 0) != 0;
  const Shape s = y->shape;
  const int64_t len = s[axis], rank = static_cast<int64_t>(s.size());
  Value* one = ctx.constant(n, "one", ir::is_float(t) ? Tensor::from_doubles(t, {}, {1.0}) : Tensor::from_int64s(t, {}, {1}));
  // y shifted by `by` along the axis, the vacated positions 1.
  auto shift = [&](Value* v, int64_t by) {
    std::vector<int64_t> pads(2 * rank, 0);
    pads[2 * axis + (reverse ? 1 : 0)] = by;
    Shape padded = s;
    padded[axis] += by;
    Value* p = ctx.temp(n, t, padded, "shift_pad");
    ctx.emit("tfl.PADV2", n, {v, ctx.const_int32(n, "paddings", pads, {rank, 2}), one}, {p});
    std::vector<int64_t> begin(rank, 0);
    begin[axis] = reverse ? by : 0;
    std::vector<int64_t> size(s.begin(), s.end());
    Value* r = ctx.temp(n, t, s, "shifted");
    // Forward: the first len of [1 × by, y]; reverse: the last len of [y, 1 × by].
    ctx.emit("tfl.SLICE", n, {p, ctx.const_int32(n, "begin", begin), ctx.const_int32(n, "size", size)}, {r});
    return r;
  };
  for (int64_t by = 1; by < len; by *= 2) {
    Value* prod = ctx.temp(n, t, s, "scan");
    ctx.emit("tfl.MUL", n, {y, shift(y, by)}, {prod});
    y = prod;
  }
  if (exclusive && len > 0) y = shift(y, 1);
  return y;
}

Status lower_cumprod(LowerContext& ctx, Node& n) {
  Value* out = n.outputs[0];
  const DType t = out->dtype == DType::kFloat16 ? DType::kFloat32 : out->dtype;
  NODE_UNSUPPORTED_IF(n, t != DType::kFloat32 && t != DType::kInt32 && t != DType::kInt64,
                      std::string("element type ") + ir::dtype_name(t) +
                          " (TFLite's MUL/PADV2 kernels take float32, int32 and int64 here)");
  Value* x = ctx.cast(n, n.inputs[0], t);
  Value* y = nullptr;
  if (!runtime_axis(n)) {
    PT_ASSIGN_OR_RETURN(int64_t axis, cumulative_axis(n));
    y = scan_along(ctx, n, x, t, axis);
  } else {
    // A run-time axis: the scan along every axis, the one named picked by SELECT_V2 (exact:
    // a copy); an axis out of range leaves the last axis's scan.
    Value* a = n.inputs[1];
    NODE_UNSUPPORTED_IF(n, a->dtype != DType::kInt32 && a->dtype != DType::kInt64,
                        std::string("axis must be int32 or int64, is ") + ir::dtype_name(a->dtype));
    const int64_t rank = static_cast<int64_t>(x->shape.size());
    y = scan_along(ctx, n, x, t, rank - 1);
    for (int64_t k = rank - 2; k >= 0; --k) {
      Value* picked = ctx.temp(n, t, x->shape, "cumprod_axis" + std::to_string(k));
      ctx.emit("tfl.SELECT_V2", n, {Arith(ctx, n).axis_is(a, k, rank), scan_along(ctx, n, x, t, k), y}, {picked});
      y = picked;
    }
  }
  if (t == out->dtype)
    ctx.reshape(n, y, y->shape, out);
  else
    ctx.cast(n, y, out->dtype, out);
  return Status::ok();
}

}  // namespace

void register_cumprod(Registry& r) { r.add("CumProd", {infer_cumulative, fold_cumprod, lower_cumprod}); }

}  // namespace pt2tflite::lower
