// MaxPool, AveragePool (1-D, 2-D and 3-D) → MAX_POOL_2D / AVERAGE_POOL_2D on NHWC;
// GlobalAveragePool, GlobalMaxPool → MEAN / REDUCE_MAX over the spatial axes.
//
// ONNX pads are explicit per side; TFLite pools know SAME (padded cells are neither read
// nor counted) and VALID. Per spatial axis, with the end padding no window reaches ignored:
//   no padding                                  → VALID;
//   SAME's split, and (AveragePool) ONNX's divisor is the count of input cells
//   (count_include_pad=0, or no window covers an explicit pad cell)  → SAME;
//   otherwise                                   → PAD then VALID: MaxPool pads with the
//     lowest float (never wins), AveragePool with zeros and, where ONNX divides by
//     something else than the kernel area (count_include_pad=0, ceil_mode overhang), a MUL
//     by a constant [1,OH,OW,1] map kernel_area / divisor fixes the mean.
// 1-D pools run as 2-D with H = 1. TFLite has no 3-D pool: on NDHWC, a 2-D pool over (H, W)
// of [N·D, H, W, C], then a 2-D pool over D with a (kD, 1) window of [N, D, H'·W', C]. A
// 3-D window is a box, so its max is the max of per-plane maxima, and ONNX's divisor (count
// of cells, with or without pads) is the product of per-axis counts: the mean is the mean
// of per-plane means, each stage dividing by its own axes' counts as above. Exact either way.
// Dilated pools (any rank), which no TFLite pool expresses, run axis by axis on the padded
// channels-last input: one STRIDED_SLICE per tap (start tap·dilation, step stride) joined by
// MAXIMUM, or by ADD and then a MUL by 1 / (ONNX's count of taps inside the input, or inside
// input and pads with count_include_pad).
// MaxPool's Indices output (1-D, 2-D): see emit_max_pool_with_indices.
// Global pools reduce in the ONNX layout (keep_dims), so they need no transposes at all.
#include <cfloat>
#include <limits>

#include "ir/padding.h"
#include "lower/context.h"
#include "lower/pool_geometry.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::AxisWindow;
using ir::Node;
using ir::Shape;
using ir::Value;

Status infer_pool(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  PoolGeometry g;
  PT_RETURN_IF_ERROR(read_pool_geometry(n, &g));
  Shape out{n.inputs[0]->shape[0], n.inputs[0]->shape[1]};
  out.insert(out.end(), g.out.begin(), g.out.end());
  set_output(n, 0, n.inputs[0]->dtype, out);
  set_output(n, 1, ir::DType::kInt64, out);  // MaxPool's optional Indices
  return Status::ok();
}

Status infer_global_pool(Node& n) {
  NODE_CHECK(n, n.input(0) && n.inputs[0]->shape.size() >= 3, "input must be [N, C, spatial...]");
  Shape out = n.inputs[0]->shape;
  for (size_t i = 2; i < out.size(); ++i) out[i] = 1;
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

// ONNX AveragePool's divisor for output position o along one axis.
int64_t onnx_count(const AxisWindow& a, int64_t o, bool count_include_pad) {
  const int64_t start = o * a.stride - a.pad_begin, end = start + a.kernel;
  if (count_include_pad) return std::min(end, a.in + a.pad_end) - start;  // overhang is never counted
  return std::min(end, a.in) - std::max<int64_t>(start, 0);
}

bool divisors_are(const PoolGeometry& g, bool count_include_pad, bool kernel_area) {
  for (size_t i = 0; i < g.axes.size(); ++i)
    for (int64_t o = 0; o < g.out[i]; ++o) {
      const int64_t want = kernel_area ? g.axes[i].kernel : onnx_count(g.axes[i], o, false);
      if (onnx_count(g.axes[i], o, count_include_pad) != want) return false;
    }
  return true;
}

bool is_read(const ir::Graph& graph, const Value* v) {
  for (const Value* o : graph.outputs)
    if (o == v) return true;
  for (const auto& node : graph.nodes())
    for (const Value* in : node->inputs)
      if (in == v) return true;
  return false;
}

// The lowest value of a dtype, as a scalar constant (MaxPool's padding).
ir::Tensor lowest(ir::DType t) {
  double v = -static_cast<double>(FLT_MAX);
  if (t == ir::DType::kFloat16) v = -65504.0;
  if (t == ir::DType::kInt8) v = std::numeric_limits<int8_t>::min();
  if (t == ir::DType::kUInt8) v = 0;
  if (t == ir::DType::kInt16) v = std::numeric_limits<int16_t>::min();
  if (t == ir::DType::kInt32) v = std::numeric_limits<int32_t>::min();
  return ir::Tensor::from_doubles(t, {}, {v});
}

// The 2-D pool of an NHWC value y; g has two axes. Returns the pooled NHWC value.
Result<Value*> pool_nhwc(LowerContext& ctx, const Node& n, bool is_max, const PoolGeometry& g, Value* y) {
  const AxisWindow &h = g.axes[0], &w = g.axes[1];
  const int64_t oh = g.out[0], ow = g.out[1];
  const ir::TflPadding padding = ir::combine({ir::classify_padding(h, oh), ir::classify_padding(w, ow)});
  const bool same_counts = is_max || divisors_are(g, g.count_include_pad, false);
  std::string tfl_padding = "VALID";
  bool correct_divisor = false;
  if (padding == ir::TflPadding::kSame && same_counts) {
    tfl_padding = "SAME";
  } else if (padding != ir::TflPadding::kValid) {
    const int64_t he = ir::effective_pad_end(h, oh), we = ir::effective_pad_end(w, ow);
    const Shape& s = y->shape;
    Value* padded = ctx.temp(n, y->dtype, {s[0], s[1] + h.pad_begin + he, s[2] + w.pad_begin + we, s[3]}, "padded");
    Value* paddings = ctx.const_int32(n, "paddings", {0, 0, h.pad_begin, he, w.pad_begin, we, 0, 0}, {4, 2});
    if (is_max)
      ctx.emit("tfl.PADV2", n, {y, paddings, ctx.constant(n, "pad_value", lowest(y->dtype))}, {padded});
    else
      ctx.emit("tfl.PAD", n, {y, paddings}, {padded});
    y = padded;
    correct_divisor = !is_max && !divisors_are(g, g.count_include_pad, true);
  }
  const Shape pooled_shape{y->shape[0], oh, ow, y->shape[3]};
  if (tfl_padding == "VALID" &&
      ((y->shape[1] - h.kernel) / h.stride + 1 != oh || (y->shape[2] - w.kernel) / w.stride + 1 != ow))
    return internal_error(n.describe() + ": VALID pooling of " + ir::shape_to_string(y->shape) +
                          " does not give the ONNX output extent");
  Value* pooled = ctx.temp(n, y->dtype, pooled_shape, "pooled");
  Node* p = ctx.emit(is_max ? "tfl.MAX_POOL_2D" : "tfl.AVERAGE_POOL_2D", n, {y}, {pooled});
  p->attrs["padding"] = tfl_padding;
  p->attrs["stride_h"] = h.stride;
  p->attrs["stride_w"] = w.stride;
  p->attrs["filter_height"] = h.kernel;
  p->attrs["filter_width"] = w.kernel;
  if (correct_divisor) {
    std::vector<float> factor;
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        factor.push_back(static_cast<float>(static_cast<double>(h.kernel * w.kernel) /
                                            static_cast<double>(onnx_count(h, i, g.count_include_pad) *
                                                                onnx_count(w, j, g.count_include_pad))));
    Value* fixed = ctx.temp(n, y->dtype, pooled_shape, "mean");
    ctx.emit("tfl.MUL", n, {pooled, ctx.const_float(n, "divisor_fix", factor, {1, oh, ow, 1})}, {fixed});
    pooled = fixed;
  }
  return pooled;
}

// The 2-D pool of an NCHW value x into the NCHW value out; g has two axes.
Status emit_pool_2d(LowerContext& ctx, const Node& n, bool is_max, const PoolGeometry& g, Value* x, Value* out) {
  PT_ASSIGN_OR_RETURN(Value* pooled, pool_nhwc(ctx, n, is_max, g, ctx.to_channels_last(n, x)));
  ctx.from_channels_last(n, pooled, out);
  return Status::ok();
}

// ONNX's AveragePool divisor along one axis for a dilated window: the taps that land in the
// input (or, with count_include_pad, in the input and its explicit pads).
int64_t tap_count(const AxisWindow& a, int64_t o, bool count_include_pad) {
  const int64_t lo = count_include_pad ? -a.pad_begin : 0, hi = count_include_pad ? a.in + a.pad_end : a.in;
  int64_t c = 0;
  for (int64_t j = 0; j < a.kernel; ++j) {
    const int64_t p = o * a.stride - a.pad_begin + j * a.dilation;
    c += p >= lo && p < hi ? 1 : 0;
  }
  return c;
}

// The dilated pool of channels-first x into out, tap by tap (see the file comment).
Status emit_pool_taps(LowerContext& ctx, const Node& n, bool is_max, const PoolGeometry& g, Value* x, Value* out) {
  Value* y = ctx.to_channels_last(n, x);
  const size_t k = g.axes.size(), rank = k + 2;
  std::vector<int64_t> paddings(2 * rank, 0);
  Shape padded = y->shape;
  bool any_pad = false;
  for (size_t i = 0; i < k; ++i) {
    paddings[2 * (1 + i)] = g.axes[i].pad_begin;
    paddings[2 * (1 + i) + 1] = ir::effective_pad_end(g.axes[i], g.out[i]);
    padded[1 + i] += paddings[2 * (1 + i)] + paddings[2 * (1 + i) + 1];
    any_pad = any_pad || paddings[2 * (1 + i)] || paddings[2 * (1 + i) + 1];
  }
  if (any_pad) {
    Value* p = ctx.temp(n, y->dtype, padded, "padded");
    Value* table = ctx.const_int32(n, "paddings", paddings, {static_cast<int64_t>(rank), 2});
    if (is_max)
      ctx.emit("tfl.PADV2", n, {y, table, ctx.constant(n, "pad_value", lowest(y->dtype))}, {p});
    else
      ctx.emit("tfl.PAD", n, {y, table}, {p});
    y = p;
  }
  for (size_t i = 0; i < k; ++i) {
    const AxisWindow& a = g.axes[i];
    const int64_t o = g.out[i];
    if (a.kernel == 1 && a.stride == 1 && y->shape[1 + i] == o) continue;
    Shape part = y->shape;
    part[1 + i] = o;
    Value* acc = nullptr;
    for (int64_t j = 0; j < a.kernel; ++j) {
      std::vector<int64_t> begin(rank, 0), end = y->shape, strides(rank, 1);
      begin[1 + i] = j * a.dilation;
      end[1 + i] = j * a.dilation + (o - 1) * a.stride + 1;
      strides[1 + i] = a.stride;
      Value* tap = ctx.temp(n, y->dtype, part, "tap");
      ctx.emit("tfl.STRIDED_SLICE", n,
               {y, ctx.const_int32(n, "begin", begin), ctx.const_int32(n, "end", end),
                ctx.const_int32(n, "strides", strides)},
               {tap});
      if (acc) {
        Value* joined = ctx.temp(n, y->dtype, part, is_max ? "max" : "sum");
        ctx.emit(is_max ? "tfl.MAXIMUM" : "tfl.ADD", n, {acc, tap}, {joined});
        tap = joined;
      }
      acc = tap;
    }
    y = acc;
  }
  if (!is_max) {
    // 1 / count at every output position: the product of the per-axis tap counts.
    Shape fs(rank, 1);
    std::vector<float> factor{1.0f};
    for (size_t i = 0; i < k; ++i) {
      fs[1 + i] = g.out[i];
      std::vector<float> next;
      for (float f : factor)
        for (int64_t o = 0; o < g.out[i]; ++o)
          next.push_back(f * static_cast<float>(tap_count(g.axes[i], o, g.count_include_pad)));
      factor = std::move(next);
    }
    for (float& f : factor) f = 1.0f / f;
    Value* mean = ctx.temp(n, y->dtype, y->shape, "mean");
    ctx.emit("tfl.MUL", n, {y, ctx.const_float(n, "divisor", factor, fs)}, {mean});
    y = mean;
  }
  ctx.from_channels_last(n, y, out);
  return Status::ok();
}

// A window that leaves its axis as it is (size 1, stride 1, no pads).
bool is_identity(const AxisWindow& a) { return a.kernel == 1 && a.stride == 1 && a.pad_begin == 0 && a.pad_end == 0; }

// The 3-D pool of an NCDHW value x into out (see the file comment); a stage whose window
// leaves its axes unchanged is skipped.
Status emit_pool_3d(LowerContext& ctx, const Node& n, bool is_max, const PoolGeometry& g, Value* x, Value* out) {
  Value* y = ctx.to_channels_last(n, x);  // [N, D, H, W, C]
  const Shape s = y->shape;
  const int64_t od = g.out[0], oh = g.out[1], ow = g.out[2];
  if (!is_identity(g.axes[1]) || !is_identity(g.axes[2])) {
    PoolGeometry hw = g;
    hw.axes = {g.axes[1], g.axes[2]};
    hw.out = {oh, ow};
    PT_ASSIGN_OR_RETURN(y, pool_nhwc(ctx, n, is_max, hw, ctx.reshape(n, y, {s[0] * s[1], s[2], s[3], s[4]})));
  }
  if (!is_identity(g.axes[0])) {
    PoolGeometry d = g;
    d.axes = {g.axes[0], AxisWindow{oh * ow, 1, 1, 1, 0, 0}};
    d.out = {od, oh * ow};
    PT_ASSIGN_OR_RETURN(y, pool_nhwc(ctx, n, is_max, d, ctx.reshape(n, y, {s[0], s[1], oh * ow, s[4]})));
  }
  ctx.from_channels_last(n, ctx.reshape(n, y, {s[0], od, oh, ow, s[4]}), out);
  return Status::ok();
}

// A 2-D MaxPool whose Indices output is read (SegNet/ENet feed it to MaxUnpool; TFLite has
// no argmax pool), as kernel_h × kernel_w taps: tap (a, b) is the STRIDED_SLICE of the padded
// NHWC input starting at (a·dh, b·dw) with the pool's strides. Unlike emit_pool_taps the taps
// cannot go axis by axis: the index follows the maximum with a SELECT_V2 wherever a tap is
// strictly greater, so the first maximum in scan order wins, as in onnxruntime. Indices are
// ONNX's flat NCHW offsets (storage_order 1: column-major within a plane).
Status emit_max_pool_with_indices(LowerContext& ctx, const Node& n, const PoolGeometry& g, Value* x, Value* out,
                                  Value* indices) {
  const AxisWindow &h = g.axes[0], &w = g.axes[1];
  const int64_t oh = g.out[0], ow = g.out[1];
  Value* y = ctx.to_channels_last(n, x);  // [N, H, W, C]
  const Shape s = y->shape;
  const int64_t batch = s[0], channels = s[3];
  // Pad (with the lowest value, which never wins) so that every tap's slice fits.
  auto pad_end = [](const AxisWindow& a, int64_t o) {
    return std::max<int64_t>(0, (o - 1) * a.stride + (a.kernel - 1) * a.dilation + 1 - a.pad_begin - a.in);
  };
  const int64_t he = pad_end(h, oh), we = pad_end(w, ow);
  if (h.pad_begin || he || w.pad_begin || we) {
    Value* padded = ctx.temp(n, y->dtype, {batch, s[1] + h.pad_begin + he, s[2] + w.pad_begin + we, channels}, "padded");
    Value* paddings = ctx.const_int32(n, "paddings", {0, 0, h.pad_begin, he, w.pad_begin, we, 0, 0}, {4, 2});
    ctx.emit("tfl.PADV2", n, {y, paddings, ctx.constant(n, "pad_value", lowest(y->dtype))}, {padded});
    y = padded;
  }
  const Shape tap_shape{batch, oh, ow, channels};
  const bool column_major = n.get_int("storage_order", 0) != 0;
  Value* max = nullptr;
  Value* idx = nullptr;
  for (int64_t a = 0; a < h.kernel; ++a)
    for (int64_t b = 0; b < w.kernel; ++b) {
      const int64_t r0 = a * h.dilation, c0 = b * w.dilation;
      Value* tap = ctx.temp(n, y->dtype, tap_shape, "tap");
      ctx.emit("tfl.STRIDED_SLICE", n,
               {y, ctx.const_int32(n, "begin", {0, r0, c0, 0}),
                ctx.const_int32(n, "end", {batch, r0 + (oh - 1) * h.stride + 1, c0 + (ow - 1) * w.stride + 1, channels}),
                ctx.const_int32(n, "strides", {1, h.stride, w.stride, 1})},
               {tap});
      // The in-plane input position this tap reads, per output position: [1, OH, OW, 1].
      std::vector<int64_t> at;
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          const int64_t r = i * h.stride - h.pad_begin + r0, c = j * w.stride - w.pad_begin + c0;
          at.push_back(column_major ? c * h.in + r : r * w.in + c);
        }
      Value* tap_index = ctx.const_int32(n, "tap_index", at, {1, oh, ow, 1});
      if (!max) {
        max = tap;
        idx = tap_index;  // broadcast by the SELECT_V2s and the final ADD
        continue;
      }
      Value* better = ctx.temp(n, ir::DType::kBool, tap_shape, "better");
      ctx.emit("tfl.GREATER", n, {tap, max}, {better});
      Value* next_idx = ctx.temp(n, ir::DType::kInt32, tap_shape, "index");
      ctx.emit("tfl.SELECT_V2", n, {better, tap_index, idx}, {next_idx});
      idx = next_idx;
      Value* next = ctx.temp(n, y->dtype, tap_shape, "max");
      ctx.emit("tfl.MAXIMUM", n, {max, tap}, {next});
      max = next;
    }
  ctx.from_channels_last(n, max, out);
  // Plane offsets (n·C + c)·H·W on top of the in-plane position, then ONNX's int64.
  std::vector<int64_t> base;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < channels; ++c) base.push_back((b * channels + c) * h.in * w.in);
  Value* flat = ctx.temp(n, ir::DType::kInt32, tap_shape, "flat_index");
  ctx.emit("tfl.ADD", n, {idx, ctx.const_int32(n, "plane_offset", base, {batch, 1, 1, channels})}, {flat});
  ctx.from_channels_last(n, ctx.cast(n, flat, ir::DType::kInt64), indices);
  return Status::ok();
}

Status lower_pool(LowerContext& ctx, Node& n) {
  const bool is_max = n.op == "onnx.MaxPool";
  PoolGeometry g;
  PT_RETURN_IF_ERROR(read_pool_geometry(n, &g));
  NODE_UNSUPPORTED_IF(n, g.axes.size() > 3,
                      std::to_string(g.axes.size()) + "-D pooling (only 1-D, 2-D and 3-D are lowered)");
  Value* indices = is_max && n.outputs.size() > 1 && is_read(ctx.graph(), n.outputs[1]) ? n.outputs[1] : nullptr;
  NODE_UNSUPPORTED_IF(n, indices && g.axes.size() > 2, "the Indices output of a 3-D MaxPool");
  for (const AxisWindow& a : g.axes)
    NODE_UNSUPPORTED_IF(n, a.pad_begin >= a.kernel || a.pad_end >= a.kernel,
                        "padding as large as the kernel (windows entirely in the padding)");
  NODE_UNSUPPORTED_IF(n, !is_max && !ir::is_float(n.inputs[0]->dtype), "integer AveragePool");
  Value* x = n.inputs[0];
  Value* out = n.outputs[0];
  if (!indices)
    for (const AxisWindow& a : g.axes)
      if (a.dilation != 1) return emit_pool_taps(ctx, n, is_max, g, x, out);
  auto emit_2d = [&](Value* xi, Value* outi, Value* indices_i) {
    return indices_i ? emit_max_pool_with_indices(ctx, n, g, xi, outi, indices_i) : emit_pool_2d(ctx, n, is_max, g, xi, outi);
  };
  if (g.axes.size() == 2) return emit_2d(x, out, indices);
  if (g.axes.size() == 3) return emit_pool_3d(ctx, n, is_max, g, x, out);
  // 1-D: [N, C, L] → [N, C, 1, L], pool with a 1 x k window, and back.
  g.axes.insert(g.axes.begin(), AxisWindow{1, 1, 1, 1, 0, 0});
  g.out.insert(g.out.begin(), 1);
  const Shape& s = x->shape;
  Value* x4 = ctx.reshape(n, x, {s[0], s[1], 1, s[2]});
  Value* out4 = ctx.temp(n, out->dtype, {s[0], s[1], 1, g.out[1]}, "pooled_2d");
  Value* idx4 = indices ? ctx.temp(n, ir::DType::kInt64, out4->shape, "indices_2d") : nullptr;
  PT_RETURN_IF_ERROR(emit_2d(x4, out4, idx4));
  ctx.reshape(n, out4, out->shape, out);
  if (indices) ctx.reshape(n, idx4, indices->shape, indices);
  return Status::ok();
}

Status lower_global_pool(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  std::vector<int64_t> axes;
  for (size_t i = 2; i < x->shape.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  NODE_UNSUPPORTED_IF(n, n.op == "onnx.GlobalAveragePool" && !ir::is_float(x->dtype), "integer GlobalAveragePool");
  Node* r = ctx.emit(n.op == "onnx.GlobalAveragePool" ? "tfl.MEAN" : "tfl.REDUCE_MAX", n,
                     {x, ctx.const_int32(n, "axes", axes)}, {n.outputs[0]});
  r->attrs["keep_dims"] = int64_t{1};
  return Status::ok();
}

}  // namespace

void register_pool(Registry& r) {
  r.add("MaxPool", {infer_pool, nullptr, lower_pool});
  r.add("AveragePool", {infer_pool, nullptr, lower_pool});
  r.add("GlobalAveragePool", {infer_global_pool, nullptr, lower_global_pool});
  r.add("GlobalMaxPool", {infer_global_pool, nullptr, lower_global_pool});
}

}  // namespace pt2tflite::lower
