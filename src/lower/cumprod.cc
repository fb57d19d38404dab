// CumProd (opset 26): running product along one axis (a constant input), `exclusive` and
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
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

Result<int64_t> scan_axis(const Node& n) {
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> a, const_ints(n, 1, "axis"));
  NODE_CHECK(n, a.size() == 1, "axis must hold one value");
  const int64_t axis = normalize_axis(a[0], n.inputs[0]->shape.size());
  NODE_CHECK(n, axis >= 0, "axis " + std::to_string(a[0]) + " out of range");
  return axis;
}

Status infer_cumprod(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs x and axis");
  NODE_CHECK(n, !n.inputs[0]->shape.empty(), "input must have rank >= 1");
  PT_ASSIGN_OR_RETURN(int64_t axis, scan_axis(n));
  (void)axis;
  set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
  return Status::ok();
}

Result<std::vector<Tensor>> fold_cumprod(const Node& n) {
  PT_ASSIGN_OR_RETURN(int64_t axis, scan_axis(n));
  const Tensor& t = *n.inputs[0]->data;
  const bool exclusive = n.get_int("exclusive", 0) != 0, reverse = n.get_int("reverse", 0) != 0;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= t.shape[d];
  for (size_t d = axis + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
  const int64_t extent = t.shape[axis];
  const bool fl = ir::is_float(t.dtype);
  const std::vector<double> xf = fl ? t.to_doubles() : std::vector<double>{};
  const std::vector<int64_t> xi = fl ? std::vector<int64_t>{} : t.to_int64s();
  std::vector<double> of(xf.size());
  std::vector<int64_t> oi(xi.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double pf = 1;
      uint64_t pi = 1;  // unsigned: wrap-around, as the kernels do
      for (int64_t s = 0; s < extent; ++s) {
        const int64_t k = reverse ? extent - 1 - s : s;
        const int64_t at = (o * extent + k) * inner + i;
        if (exclusive) (fl ? of[at] = pf : oi[at] = static_cast<int64_t>(pi));
        if (fl) pf *= xf[at]; else pi *= static_cast<uint64_t>(xi[at]);
        if (!exclusive) (fl ? of[at] = pf : oi[at] = static_cast<int64_t>(pi));
      }
    }
  return std::vector<Tensor>{fl ? Tensor::from_doubles(t.dtype, t.shape, of) : Tensor::from_int64s(t.dtype, t.shape, oi)};
}

Status lower_cumprod(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(int64_t axis, scan_axis(n));
  Value* out = n.outputs[0];
  const DType t = out->dtype == DType::kFloat16 ? DType::kFloat32 : out->dtype;
  NODE_UNSUPPORTED_IF(n, t != DType::kFloat32 && t != DType::kInt32 && t != DType::kInt64,
                      std::string("element type ") + ir::dtype_name(t) +
                          " (TFLite's MUL/PADV2 kernels take float32, int32 and int64 here)");
  const bool exclusive = n.get_int("exclusive", 0) != 0, reverse = n.get_int("reverse", 0) != 0;
  Value* y = ctx.cast(n, n.inputs[0], t);
  const Shape& s = y->shape;
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
  if (t == out->dtype)
    ctx.reshape(n, y, s, out);
  else
    ctx.cast(n, y, out->dtype, out);
  return Status::ok();
}

}  // namespace

void register_cumprod(Registry& r) { r.add("CumProd", {infer_cumprod, fold_cumprod, lower_cumprod}); }

}  // namespace pt2tflite::lower
