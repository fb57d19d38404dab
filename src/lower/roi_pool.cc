// RoiAlign (opset 10, 16) and MaxRoiPool (opset 1): pooling over regions of interest, with
// the regions given at run time (a detector's proposals). Both work channels-last: X is
// transposed to [N, H, W, C] (the sinking pass cancels it after a conv backbone) and the
// result [R, PH, PW, C] is transposed back; no other layout transpose is emitted.
//
// RoiAlign, X [N, C, H, W], rois [R, 4] (x1, y1, x2, y2), batch_indices [R]: every output
// bin (r, ph, pw) averages (mode avg) or takes the max (mode max) of Gh × Gw bilinear samples.
// The coordinates are onnxruntime's float32 arithmetic, operation for operation, so sample
// positions and weights are bit-identical to it:
//   start = roi·spatial_scale − 0.5 (half_pixel; output_half_pixel, opset 10's only mode,
//   subtracts nothing and makes a roi at least 1×1), bin = (end − start) / PH,
//   y = (start + ph·bin) + (iy + 0.5)·bin / Gh                         (x alike)
// Per axis, a sample outside [−1, D] gets weight 0 (as onnxruntime: it then counts as the
// value 0); else y = max(y, 0), low = min(floor y, D−1), high = min(floor y + 1, D−1),
// l = min(y, D−1) − low, weights 1 − l and l. The rows X[b, low/high, low/high, :] are four
// GATHER_NDs of the flattened [N·H·W, C] by the int32 row b·H·W + y·W + x ([R, PH, PW, S, 1],
// S = Gh·Gw), each times its weight product [R, PH, PW, S, 1]; avg sums the four and SUMs
// the S samples, then divides by Gh·Gw; max takes the MAXIMUM of the four weighted taps
// (onnxruntime's definition) and REDUCE_MAX over S.
// sampling_ratio > 0 fixes Gh = Gw = sampling_ratio: static shapes, any run-time rois.
// sampling_ratio = 0 (adaptive) makes Gh = ceil((end − start)/PH) depend on the roi values:
// with constant rois the grids are computed here (per roi, in float32 as onnxruntime), the
// sample axes sized to the largest, samples past a roi's own grid masked out (weight 0 for
// avg, −inf before the max) and the divisor per roi; with run-time rois the sample count is
// unknown when the graph is built, so that case is refused.
//
// MaxRoiPool, X [N, C, H, W], rois [R, 5] (batch, x1, y1, x2, y2): onnxruntime's integer
// bins, computed exactly in float32 (all values are small integers): start = round(v·scale)
// (half away from zero, built from FLOOR since TFLite's ROUND ties to even), roi size
// max(end − start + 1, 1), bin b = size / P, rows [floor(p·b), ceil((p+1)·b)) + start clipped
// to [0, H]. The max over a bin whose extent depends on the rois is taken exactly with a
// mask: for each (r, ph) the rows of X[b_r] outside the bin become −inf (SELECT_V2) and
// REDUCE_MAX over H gives [R, PH, W, C]; the same over W gives [R, PH, PW, C] (max is
// separable). Empty bins give 0. The masked tensor holds R·PH·H·W·C values: above 2^26 the
// node is refused (64 rois of 7×7 bins on a 14×14×256 map need 22 M).
#include <cmath>
#include <limits>

#include "lower/context.h"
#include "lower/emit_arith.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Common checks: X float32 [N, C, H, W] with static shape, rois float with static shape.
Status check_inputs(const Node& n, int64_t roi_cols) {
  const Value* x = n.inputs[0];
  const Value* rois = n.inputs[1];
  NODE_UNSUPPORTED_IF(n, x->dtype != DType::kFloat32,
                      std::string("X of type ") + ir::dtype_name(x->dtype) + " (only float32 is lowered)");
  NODE_UNSUPPORTED_IF(n, rois->dtype != DType::kFloat32 && rois->dtype != DType::kFloat16,
                      std::string("rois of type ") + ir::dtype_name(rois->dtype) + " (float32/float16 are lowered)");
  NODE_UNSUPPORTED_IF(n, !ir::is_static(x->shape) || !ir::is_static(rois->shape),
                      "dynamic shapes (fix the number of rois and X's shape with --input-shape)");
  NODE_CHECK(n, rois->shape.size() == 2 && rois->shape[1] == roi_cols,
             "rois must be [num_rois, " + std::to_string(roi_cols) + "], got " + ir::shape_to_string(rois->shape));
  NODE_UNSUPPORTED_IF(n, ir::num_elements(x->shape) == 0 || rois->shape[0] == 0, "empty X or no rois");
  NODE_UNSUPPORTED_IF(n, x->shape[0] * x->shape[2] * x->shape[3] > (int64_t{1} << 31) - 1,
                      "more pixels than int32 indices reach");
  return Status::ok();
}

// The columns of rois [R, k] as k values [R, 1], float32.
std::vector<Value*> roi_columns(LowerContext& ctx, const Node& n, int64_t k) {
  Value* rois = ctx.cast(n, n.inputs[1], DType::kFloat32);
  const int64_t r = rois->shape[0];
  std::vector<Value*> cols;
  for (int64_t i = 0; i < k; ++i) cols.push_back(ctx.temp(n, DType::kFloat32, {r, 1}, "roi_col"));
  ctx.emit("tfl.SPLIT", n, {ctx.const_int32(n, "axis", {1}, Shape{}), rois}, cols)->attrs["num_splits"] = k;
  return cols;
}

// --- RoiAlign ---

Status infer_roi_align(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1) && n.input(2), "needs X, rois and batch_indices");
  const Shape& x = n.inputs[0]->shape;
  NODE_CHECK(n, x.size() == 4, "X must be [N, C, H, W], got " + ir::shape_to_string(x));
  const Shape& r = n.inputs[1]->shape;
  NODE_CHECK(n, r.size() == 2, "rois must be [num_rois, 4], got " + ir::shape_to_string(r));
  set_output(n, 0, n.inputs[0]->dtype,
             {r[0], x[1], n.get_int("output_height", 1), n.get_int("output_width", 1)});
  return Status::ok();
}

// The sample grid of one roi axis in onnxruntime's float32 arithmetic (constant rois).
struct RoiAxis {
  float start, size;
};
RoiAxis roi_axis(float lo, float hi, float scale, bool half_pixel) {
  const float off = half_pixel ? 0.5f : 0.0f;
  const float start = lo * scale - off, end = hi * scale - off;
  float size = end - start;
  if (!half_pixel) size = std::max(size, 1.0f);
  return {start, size};
}

// The samples along one axis (extent d, p bins, g samples per bin): row offsets of the low
// and high taps (int32, already times `stride`) and their weights, all [R, p, g].
struct AxisTaps {
  Value *low, *high, *w_low, *w_high;
};

class RoiAligner {
 public:
  RoiAligner(LowerContext& ctx, const Node& n) : ctx_(ctx), n_(n), a_(ctx, n) {}

  // start, bin: [R, 1, 1]; grid: a scalar or [R, 1, 1] (per-roi sample counts, ≥ 1).
  // `keep` ([R, 1, g] float 0/1, or null) zeroes samples past a roi's own grid.
  AxisTaps taps(Value* start, Value* bin, Value* grid, int64_t p, int64_t g, int64_t d, int64_t stride,
                Value* keep) {
    std::vector<float> pv, gv;
    for (int64_t i = 0; i < p; ++i) pv.push_back(static_cast<float>(i));
    for (int64_t i = 0; i < g; ++i) gv.push_back(static_cast<float>(i) + 0.5f);
    Value* bins = a_.add(start, a_.mul(ctx_.const_float(n_, "bin_index", pv, {1, p, 1}), bin));  // [R, p, 1]
    Value* within = a_.div(a_.mul(ctx_.const_float(n_, "sample_offset", gv, {1, 1, g}), bin), grid);  // [R, 1, g]
    Value* c = a_.add(bins, within);                                                       // [R, p, g]
    const double last = static_cast<double>(d - 1);
    Value* inside = a_.bin("tfl.LOGICAL_AND", a_.bin("tfl.GREATER_EQUAL", c, a_.scalar(-1.0), DType::kBool),
                           a_.bin("tfl.LESS_EQUAL", c, a_.scalar(static_cast<double>(d)), DType::kBool));
    Value* valid = ctx_.cast(n_, inside, DType::kFloat32);
    if (keep) valid = a_.mul(valid, keep);
    Value* y = a_.bin("tfl.MAXIMUM", c, a_.scalar(0.0));
    Value* f = a_.un("tfl.FLOOR", y);
    Value* low = a_.bin("tfl.MINIMUM", f, a_.scalar(last));
    Value* high = a_.bin("tfl.MINIMUM", a_.add(f, 1.0), a_.scalar(last));
    Value* l = a_.sub(a_.bin("tfl.MINIMUM", y, a_.scalar(last)), low);
    Value* h = a_.sub(a_.scalar(1.0), l);
    return {rows(low, stride), rows(high, stride), a_.mul(h, valid), a_.mul(l, valid)};
  }

 private:
  Value* rows(Value* index, int64_t stride) {
    Value* i = ctx_.cast(n_, index, DType::kInt32);
    return stride == 1 ? i : a_.mul(i, a_.scalar(DType::kInt32, static_cast<double>(stride)));
  }

  LowerContext& ctx_;
  const Node& n_;
  Arith a_;
};

Status lower_roi_align(LowerContext& ctx, Node& n) {
  PT_RETURN_IF_ERROR(check_inputs(n, 4));
  const std::string mode = n.get_string("mode", "avg");
  NODE_CHECK(n, mode == "avg" || mode == "max", "unknown mode '" + mode + "'");
  const bool is_max = mode == "max";
  const std::string ctm = n.opset >= 16 ? n.get_string("coordinate_transformation_mode", "half_pixel")
                                        : std::string("output_half_pixel");
  NODE_CHECK(n, ctm == "half_pixel" || ctm == "output_half_pixel",
             "unknown coordinate_transformation_mode '" + ctm + "'");
  const bool half_pixel = ctm == "half_pixel";
  const int64_t ph = n.get_int("output_height", 1), pw = n.get_int("output_width", 1);
  const int64_t ratio = n.get_int("sampling_ratio", 0);
  const float scale = static_cast<float>(n.get_float("spatial_scale", 1.0));
  NODE_CHECK(n, ph > 0 && pw > 0, "output_height and output_width must be positive");
  Value* x = n.inputs[0];
  Value* rois = n.inputs[1];
  Value* batch_idx = n.inputs[2];
  const int64_t batch = x->shape[0], channels = x->shape[1], height = x->shape[2], width = x->shape[3];
  const int64_t r = rois->shape[0];
  NODE_CHECK(n, batch_idx->shape.size() == 1 && (batch_idx->shape[0] == r || batch_idx->shape[0] < 0),
             "batch_indices must be [num_rois]");
  NODE_UNSUPPORTED_IF(n, ratio <= 0 && !rois->is_const(),
                      "sampling_ratio=0 (adaptive: ceil(roi size / output size) samples per bin) with run-time "
                      "rois: the number of samples depends on the roi values, which a static TFLite graph "
                      "cannot size; export with sampling_ratio > 0 (torchvision's roi_align/MultiScaleRoIAlign "
                      "take it, 2 is their detectors' value) or make the rois constant");

  // Samples per bin: fixed, or per roi from constant rois.
  int64_t gh = ratio, gw = ratio;
  std::vector<float> grid_h, grid_w;
  bool any_empty = false;
  if (ratio <= 0) {
    const std::vector<float> v = rois->data->to_floats();
    gh = gw = 1;
    for (int64_t i = 0; i < r; ++i) {
      const RoiAxis ax = roi_axis(v[i * 4 + 0], v[i * 4 + 2], scale, half_pixel);
      const RoiAxis ay = roi_axis(v[i * 4 + 1], v[i * 4 + 3], scale, half_pixel);
      const float cy = std::ceil(ay.size / static_cast<float>(ph)), cx = std::ceil(ax.size / static_cast<float>(pw));
      NODE_UNSUPPORTED_IF(n, !(cy < 4096.0f && cx < 4096.0f), "a roi needing more than 4096 samples per bin axis");
      grid_h.push_back(std::max(cy, 0.0f));
      grid_w.push_back(std::max(cx, 0.0f));
      gh = std::max<int64_t>(gh, static_cast<int64_t>(grid_h.back()));
      gw = std::max<int64_t>(gw, static_cast<int64_t>(grid_w.back()));
      any_empty |= grid_h.back() == 0 || grid_w.back() == 0;
    }
  }
  const bool per_roi = ratio <= 0;
  const int64_t samples = gh * gw;

  Arith a(ctx, n);
  RoiAligner al(ctx, n);
  std::vector<Value*> c = roi_columns(ctx, n, 4);  // x1 y1 x2 y2, [R, 1]
  auto axis = [&](Value* lo, Value* hi, int64_t p, int64_t g, const std::vector<float>& grid, int64_t d,
                  int64_t stride) {
    Value* s = a.mul(lo, static_cast<double>(scale));
    Value* e = a.mul(hi, static_cast<double>(scale));
    if (half_pixel) {
      s = a.add(s, -0.5);
      e = a.add(e, -0.5);
    }
    Value* size = a.sub(e, s);
    if (!half_pixel) size = a.bin("tfl.MAXIMUM", size, a.scalar(1.0));
    Value* bin = ctx.reshape(n, a.div(size, a.scalar(static_cast<double>(p))), {r, 1, 1});
    Value* grid_v = nullptr;
    Value* keep = nullptr;
    if (per_roi) {
      std::vector<float> divisor, kv;
      for (int64_t i = 0; i < r; ++i) {
        divisor.push_back(std::max(grid[i], 1.0f));
        for (int64_t j = 0; j < g; ++j) kv.push_back(static_cast<float>(j) < grid[i] ? 1.0f : 0.0f);
      }
      grid_v = ctx.const_float(n, "grid", divisor, {r, 1, 1});
      keep = ctx.const_float(n, "keep", kv, {r, 1, g});
    } else {
      grid_v = a.scalar(static_cast<double>(g));
    }
    return al.taps(ctx.reshape(n, s, {r, 1, 1}), bin, grid_v, p, g, d, stride, is_max ? nullptr : keep);
  };
  AxisTaps ty = axis(c[1], c[3], ph, gh, grid_h, height, width);
  AxisTaps tx = axis(c[0], c[2], pw, gw, grid_w, width, 1);

  // Rows of the image of each roi: b·H·W ([R, 1, 1], int32), added to the y taps.
  const Shape ys{r, ph, 1, gh, 1}, xs{r, 1, pw, 1, gw};
  Value* y_low = ty.low;
  Value* y_high = ty.high;
  if (batch > 1) {
    Value* b = ctx.cast(n, batch_idx, DType::kInt32);
    b = ctx.reshape(n, a.mul(b, a.scalar(DType::kInt32, static_cast<double>(height * width))), {r, 1, 1});
    y_low = a.add(y_low, b);
    y_high = a.add(y_high, b);
  }
  Value* rows = ctx.reshape(n, ctx.to_channels_last(n, x), {batch * height * width, channels});
  const Shape idx_shape{r, ph, pw, samples, 1};
  const Shape gathered{r, ph, pw, samples, channels};
  auto tap = [&](Value* yi, Value* xi, Value* wy, Value* wx) {
    Value* idx = ctx.reshape(n, a.add(ctx.reshape(n, yi, ys), ctx.reshape(n, xi, xs)), idx_shape);
    Value* w = ctx.reshape(n, a.mul(ctx.reshape(n, wy, ys), ctx.reshape(n, wx, xs)), idx_shape);
    Value* g = ctx.temp(n, DType::kFloat32, gathered, "sampled");
    ctx.emit("tfl.GATHER_ND", n, {rows, idx}, {g});
    return a.mul(g, w);
  };
  // Each tap is combined as soon as it is gathered, so at most two gathered tensors are live.
  const char* combine = is_max ? "tfl.MAXIMUM" : "tfl.ADD";
  Value* acc = tap(y_low, tx.low, ty.w_low, tx.w_low);
  acc = a.bin(combine, acc, tap(y_low, tx.high, ty.w_low, tx.w_high));
  acc = a.bin(combine, acc, tap(y_high, tx.low, ty.w_high, tx.w_low));
  acc = a.bin(combine, acc, tap(y_high, tx.high, ty.w_high, tx.w_high));

  const Shape pooled{r, ph, pw, channels};
  Value* result = nullptr;
  if (!is_max) {
    Value* sum = acc;
    Value* total = ctx.temp(n, DType::kFloat32, pooled, "sum");
    ctx.emit("tfl.SUM", n, {sum, ctx.const_int32(n, "samples_axis", {3})}, {total})->attrs["keep_dims"] = int64_t{0};
    Value* count;
    if (per_roi) {
      std::vector<float> cnt;
      for (int64_t i = 0; i < r; ++i) cnt.push_back(std::max(grid_h[i] * grid_w[i], 1.0f));
      count = ctx.const_float(n, "count", cnt, {r, 1, 1, 1});
    } else {
      count = a.scalar(static_cast<double>(samples));
    }
    result = a.div(total, count);
  } else {
    Value* m = acc;
    if (per_roi) {
      std::vector<int64_t> keep;
      for (int64_t i = 0; i < r; ++i)
        for (int64_t iy = 0; iy < gh; ++iy)
          for (int64_t ix = 0; ix < gw; ++ix)
            keep.push_back(static_cast<float>(iy) < grid_h[i] && static_cast<float>(ix) < grid_w[i] ? 1 : 0);
      Value* k = ctx.constant(n, "keep", Tensor::from_int64s(DType::kBool, {r, 1, 1, samples, 1}, keep));
      m = a.select(k, m, a.scalar(kNegInf));
    }
    Value* mx = ctx.temp(n, DType::kFloat32, pooled, "max");
    ctx.emit("tfl.REDUCE_MAX", n, {m, ctx.const_int32(n, "samples_axis", {3})}, {mx})->attrs["keep_dims"] = int64_t{0};
    result = mx;
    if (any_empty) {
      std::vector<int64_t> nonempty;
      for (int64_t i = 0; i < r; ++i) nonempty.push_back(grid_h[i] > 0 && grid_w[i] > 0 ? 1 : 0);
      result = a.select(ctx.constant(n, "nonempty", Tensor::from_int64s(DType::kBool, {r, 1, 1, 1}, nonempty)), mx,
                        a.scalar(0.0));
    }
  }
  ctx.from_channels_last(n, result, n.outputs[0]);
  return Status::ok();
}

// --- MaxRoiPool ---

Status infer_max_roi_pool(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs X and rois");
  const Shape& x = n.inputs[0]->shape;
  NODE_CHECK(n, x.size() == 4, "X must be [N, C, H, W], got " + ir::shape_to_string(x));
  const Shape& r = n.inputs[1]->shape;
  NODE_CHECK(n, r.size() == 2, "rois must be [num_rois, 5], got " + ir::shape_to_string(r));
  const std::vector<int64_t> pooled = n.get_ints("pooled_shape");
  NODE_CHECK(n, pooled.size() == 2 && pooled[0] > 0 && pooled[1] > 0, "pooled_shape must be two positive sizes");
  set_output(n, 0, n.inputs[0]->dtype, {r[0], x[1], pooled[0], pooled[1]});
  return Status::ok();
}

// Rounds half away from zero (C's round), exactly: |v| − floor|v| is exact in float32.
Value* round_away(Arith& a, Value* v) {
  Value* m = a.un("tfl.ABS", v);
  Value* f = a.un("tfl.FLOOR", m);
  Value* up = a.bin("tfl.GREATER_EQUAL", a.sub(m, f), a.scalar(0.5), DType::kBool);
  Value* r = a.select(up, a.add(f, 1.0), f);
  return a.select(a.bin("tfl.LESS", v, a.scalar(0.0), DType::kBool), a.un("tfl.NEG", r), r);
}

// One axis of the bins: [start, end) per (roi, bin) as float [R, p] (integers), clipped to
// [0, d]; and the mask [R, p, d] of the positions inside.
struct BinAxis {
  Value *mask, *empty;
};

BinAxis bin_axis(LowerContext& ctx, const Node& n, Value* lo, Value* hi, float scale, int64_t p, int64_t d) {
  Arith a(ctx, n);
  Value* s = round_away(a, a.mul(lo, static_cast<double>(scale)));  // [R, 1]
  Value* e = round_away(a, a.mul(hi, static_cast<double>(scale)));
  Value* size = a.bin("tfl.MAXIMUM", a.add(a.sub(e, s), 1.0), a.scalar(1.0));
  Value* bin = a.div(size, a.scalar(static_cast<double>(p)));
  std::vector<float> pv, pv1, dv;
  for (int64_t i = 0; i < p; ++i) {
    pv.push_back(static_cast<float>(i));
    pv1.push_back(static_cast<float>(i + 1));
  }
  for (int64_t i = 0; i < d; ++i) dv.push_back(static_cast<float>(i));
  const double dd = static_cast<double>(d);
  Value* start = a.clamp(a.add(a.un("tfl.FLOOR", a.mul(ctx.const_float(n, "bin_index", pv, {1, p}), bin)), s), 0, dd);
  Value* end = a.clamp(a.add(a.un("tfl.CEIL", a.mul(ctx.const_float(n, "bin_next", pv1, {1, p}), bin)), s), 0, dd);
  const int64_t r = lo->shape[0];
  Value* pos = ctx.const_float(n, "positions", dv, {1, 1, d});
  Value* mask = a.bin("tfl.LOGICAL_AND",
                      a.bin("tfl.GREATER_EQUAL", pos, ctx.reshape(n, start, {r, p, 1}), DType::kBool),
                      a.bin("tfl.LESS", pos, ctx.reshape(n, end, {r, p, 1}), DType::kBool));
  return {mask, a.bin("tfl.LESS_EQUAL", end, start, DType::kBool)};
}

Status lower_max_roi_pool(LowerContext& ctx, Node& n) {
  PT_RETURN_IF_ERROR(check_inputs(n, 5));
  const std::vector<int64_t> pooled = n.get_ints("pooled_shape");
  const int64_t ph = pooled[0], pw = pooled[1];
  const float scale = static_cast<float>(n.get_float("spatial_scale", 1.0));
  Value* x = n.inputs[0];
  const int64_t batch = x->shape[0], channels = x->shape[1], height = x->shape[2], width = x->shape[3];
  const int64_t r = n.inputs[1]->shape[0];
  const int64_t masked = std::max(r * ph * height * width * channels, r * ph * pw * width * channels);
  NODE_UNSUPPORTED_IF(n, masked > (int64_t{1} << 26),
                      "the exact masked max over the feature map would hold " + std::to_string(masked) +
                          " values (num_rois·pooled_h·H·W·C), above the 2^26 this lowering allows");
  Arith a(ctx, n);
  std::vector<Value*> c = roi_columns(ctx, n, 5);  // batch x1 y1 x2 y2, [R, 1]
  Value* xcl = ctx.to_channels_last(n, x);         // [N, H, W, C]
  Value* img = xcl;  // the image of each roi, [R, H, W, C] (one image: [1, H, W, C], broadcast)
  if (batch > 1) {
    Value* b = ctx.reshape(n, ctx.cast(n, c[0], DType::kInt32), {r});
    img = ctx.temp(n, DType::kFloat32, {r, height, width, channels}, "roi_image");
    ctx.emit("tfl.GATHER", n, {xcl, b}, {img})->attrs["axis"] = int64_t{0};
  }
  const int64_t images = img->shape[0];
  BinAxis by = bin_axis(ctx, n, c[2], c[4], scale, ph, height);
  BinAxis bx = bin_axis(ctx, n, c[1], c[3], scale, pw, width);
  Value* neg_inf = a.scalar(kNegInf);
  // Max over the rows of each bin: [R, PH, H, W, C] → [R, PH, W, C].
  Value* rows_masked = a.select(ctx.reshape(n, by.mask, {r, ph, height, 1, 1}),
                                ctx.reshape(n, img, {images, 1, height, width, channels}), neg_inf);
  Value* row_max = ctx.temp(n, DType::kFloat32, {r, ph, width, channels}, "row_max");
  ctx.emit("tfl.REDUCE_MAX", n, {rows_masked, ctx.const_int32(n, "h_axis", {2})}, {row_max})->attrs["keep_dims"] =
      int64_t{0};
  // Then over the columns: [R, PH, PW, W, C] → [R, PH, PW, C].
  Value* cols_masked = a.select(ctx.reshape(n, bx.mask, {r, 1, pw, width, 1}),
                                ctx.reshape(n, row_max, {r, ph, 1, width, channels}), neg_inf);
  Value* bin_max = ctx.temp(n, DType::kFloat32, {r, ph, pw, channels}, "bin_max");
  ctx.emit("tfl.REDUCE_MAX", n, {cols_masked, ctx.const_int32(n, "w_axis", {3})}, {bin_max})->attrs["keep_dims"] =
      int64_t{0};
  Value* empty = a.bin("tfl.LOGICAL_OR", ctx.reshape(n, by.empty, {r, ph, 1, 1}),
                       ctx.reshape(n, bx.empty, {r, 1, pw, 1}));
  ctx.from_channels_last(n, a.select(empty, a.scalar(0.0), bin_max), n.outputs[0]);
  return Status::ok();
}

}  // namespace

void register_roi_pool(Registry& r) {
  r.add("RoiAlign", {infer_roi_align, nullptr, lower_roi_align});
  r.add("MaxRoiPool", {infer_max_roi_pool, nullptr, lower_max_roi_pool});
}

}  // namespace pt2tflite::lower
