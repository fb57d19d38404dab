// MaxPool, AveragePool (1-D and 2-D) → MAX_POOL_2D / AVERAGE_POOL_2D on NHWC;
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
// 1-D pools run as 2-D with H = 1. Global pools reduce in the ONNX layout (keep_dims), so
// they need no transposes at all.
// Dilated windows and MaxPool's Indices output (SegNet/ENet feed it to MaxUnpool) have no
// TFLite pool: emit_pool_by_taps computes them from one strided slice per kernel tap.
#include <cfloat>
#include <limits>

#include "ir/padding.h"
#include "lower/context.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::AxisWindow;
using ir::Node;
using ir::Shape;
using ir::Value;

struct PoolGeometry {
  std::vector<AxisWindow> axes;  // one per spatial axis
  std::vector<int64_t> out;      // output spatial extents
  bool count_include_pad = false;
};

Status read_geometry(const Node& n, PoolGeometry* g) {
  const Shape& x = n.inputs[0]->shape;
  NODE_CHECK(n, x.size() >= 3, "input must be [N, C, spatial...], got " + ir::shape_to_string(x));
  const size_t k = x.size() - 2;
  NODE_CHECK(n, n.has("kernel_shape"), "kernel_shape is required");
  const auto kernel = n.get_ints("kernel_shape");
  const auto strides = n.get_ints("strides", std::vector<int64_t>(k, 1));
  const auto dil = n.get_ints("dilations", std::vector<int64_t>(k, 1));
  const auto pads = n.get_ints("pads", std::vector<int64_t>(2 * k, 0));
  NODE_CHECK(n, kernel.size() == k && strides.size() == k && dil.size() == k && pads.size() == 2 * k,
             "kernel_shape/strides/dilations/pads do not match the input rank " + std::to_string(x.size()));
  const bool ceil_mode = n.get_int("ceil_mode", 0) != 0;
  const std::string auto_pad = n.get_string("auto_pad", "NOTSET");
  g->count_include_pad = n.get_int("count_include_pad", 0) != 0;
  g->axes.clear();
  g->out.clear();
  for (size_t i = 0; i < k; ++i) {
    AxisWindow a{x[2 + i], kernel[i], strides[i], dil[i], pads[i], pads[k + i]};
    NODE_CHECK(n, a.kernel >= 1 && a.stride >= 1 && a.dilation >= 1, "non-positive kernel, stride or dilation");
    NODE_CHECK(n, a.pad_begin >= 0 && a.pad_end >= 0, "negative pads");
    ir::apply_auto_pad(auto_pad, &a);
    const int64_t out = ir::window_output_size(a, ceil_mode);
    NODE_CHECK(n, out > 0, "the window does not fit the input along spatial axis " + std::to_string(i));
    g->axes.push_back(a);
    g->out.push_back(out);
  }
  return Status::ok();
}

Status infer_pool(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  PoolGeometry g;
  PT_RETURN_IF_ERROR(read_geometry(n, &g));
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

// The 2-D pool of an NCHW value x into the NCHW value out; g has two axes.
Status emit_pool_2d(LowerContext& ctx, const Node& n, bool is_max, const PoolGeometry& g, Value* x, Value* out) {
  const AxisWindow &h = g.axes[0], &w = g.axes[1];
  const int64_t oh = g.out[0], ow = g.out[1];
  const ir::TflPadding padding = ir::combine({ir::classify_padding(h, oh), ir::classify_padding(w, ow)});
  const bool same_counts = is_max || divisors_are(g, g.count_include_pad, false);
  Value* y = ctx.to_channels_last(n, x);  // [N, H, W, C]
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
  ctx.from_channels_last(n, pooled, out);
  return Status::ok();
}

// Taps of a window along one axis that land inside [lo, hi) for output position o.
int64_t taps_inside(const AxisWindow& a, int64_t o, int64_t lo, int64_t hi) {
  int64_t count = 0;
  for (int64_t t = 0; t < a.kernel; ++t) {
    const int64_t pos = o * a.stride - a.pad_begin + t * a.dilation;
    count += pos >= lo && pos < hi;
  }
  return count;
}

// A 2-D pool as kernel_h × kernel_w taps: tap (a, b) is the STRIDED_SLICE of the padded NHWC
// input starting at (a·dh, b·dw) with the pool's strides, so any dilation works. Max folds the
// taps with MAXIMUM; its Indices (when `indices` is given) follow with a SELECT_V2 wherever a
// tap is strictly greater, so the first maximum in scan order wins, as in onnxruntime, and are
// ONNX's flat NCHW offsets (storage_order 1: column-major within a plane). Average sums the
// taps and divides by ONNX's count per output position.
Status emit_pool_by_taps(LowerContext& ctx, const Node& n, bool is_max, const PoolGeometry& g, Value* x, Value* out,
                         Value* indices) {
  const AxisWindow &h = g.axes[0], &w = g.axes[1];
  const int64_t oh = g.out[0], ow = g.out[1];
  Value* y = ctx.to_channels_last(n, x);  // [N, H, W, C]
  const Shape s = y->shape;
  const int64_t batch = s[0], channels = s[3];
  // Pad so that every tap's slice fits: the last window may overhang (ceil_mode).
  auto pad_end = [](const AxisWindow& a, int64_t o) {
    return std::max<int64_t>(0, (o - 1) * a.stride + (a.kernel - 1) * a.dilation + 1 - a.pad_begin - a.in);
  };
  const int64_t he = pad_end(h, oh), we = pad_end(w, ow);
  if (h.pad_begin || he || w.pad_begin || we) {
    Value* padded = ctx.temp(n, y->dtype, {batch, s[1] + h.pad_begin + he, s[2] + w.pad_begin + we, channels}, "padded");
    Value* paddings = ctx.const_int32(n, "paddings", {0, 0, h.pad_begin, he, w.pad_begin, we, 0, 0}, {4, 2});
    if (is_max)
      ctx.emit("tfl.PADV2", n, {y, paddings, ctx.constant(n, "pad_value", lowest(y->dtype))}, {padded});
    else
      ctx.emit("tfl.PAD", n, {y, paddings}, {padded});
    y = padded;
  }
  const Shape tap_shape{batch, oh, ow, channels};
  const bool column_major = n.get_int("storage_order", 0) != 0;
  Value* acc = nullptr;
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
      Value* tap_index = nullptr;
      if (indices) {  // the input position this tap reads, per output position: [1, OH, OW, 1]
        std::vector<int64_t> at;
        for (int64_t i = 0; i < oh; ++i)
          for (int64_t j = 0; j < ow; ++j) {
            const int64_t r = i * h.stride - h.pad_begin + r0, c = j * w.stride - w.pad_begin + c0;
            at.push_back(column_major ? c * h.in + r : r * w.in + c);
          }
        tap_index = ctx.const_int32(n, "tap_index", at, {1, oh, ow, 1});
      }
      if (!acc) {
        acc = tap;
        if (indices) {
          idx = ctx.temp(n, ir::DType::kInt32, tap_shape, "index");
          ctx.emit("tfl.ADD", n, {tap_index, ctx.constant(n, "zeros", ir::Tensor::from_int64s(ir::DType::kInt32, tap_shape,
                                                                                               std::vector<int64_t>(
                                                                                                   ir::num_elements(tap_shape), 0)))},
                   {idx});
        }
        continue;
      }
      if (indices) {
        Value* better = ctx.temp(n, ir::DType::kBool, tap_shape, "better");
        ctx.emit("tfl.GREATER", n, {tap, acc}, {better});
        Value* next_idx = ctx.temp(n, ir::DType::kInt32, tap_shape, "index");
        ctx.emit("tfl.SELECT_V2", n, {better, tap_index, idx}, {next_idx});
        idx = next_idx;
      }
      Value* next = ctx.temp(n, y->dtype, tap_shape, is_max ? "max" : "sum");
      ctx.emit(is_max ? "tfl.MAXIMUM" : "tfl.ADD", n, {acc, tap}, {next});
      acc = next;
    }
  if (!is_max) {
    std::vector<float> inv;
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        auto count = [&](const AxisWindow& ax, int64_t o) {
          return g.count_include_pad ? taps_inside(ax, o, -ax.pad_begin, ax.in + ax.pad_end) : taps_inside(ax, o, 0, ax.in);
        };
        inv.push_back(static_cast<float>(1.0 / static_cast<double>(count(h, i) * count(w, j))));
      }
    Value* mean = ctx.temp(n, y->dtype, tap_shape, "mean");
    ctx.emit("tfl.MUL", n, {acc, ctx.const_float(n, "inverse_count", inv, {1, oh, ow, 1})}, {mean});
    acc = mean;
  }
  ctx.from_channels_last(n, acc, out);
  if (indices) {
    // Plane offsets (n·C + c)·H·W on top of the in-plane position, then ONNX's int64.
    std::vector<int64_t> base;
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t c = 0; c < channels; ++c) base.push_back((b * channels + c) * h.in * w.in);
    Value* flat = ctx.temp(n, ir::DType::kInt32, tap_shape, "flat_index");
    ctx.emit("tfl.ADD", n, {idx, ctx.const_int32(n, "plane_offset", base, {batch, 1, 1, channels})}, {flat});
    ctx.from_channels_last(n, ctx.cast(n, flat, ir::DType::kInt64), indices);
  }
  return Status::ok();
}

Status lower_pool(LowerContext& ctx, Node& n) {
  const bool is_max = n.op == "onnx.MaxPool";
  PoolGeometry g;
  PT_RETURN_IF_ERROR(read_geometry(n, &g));
  NODE_UNSUPPORTED_IF(n, g.axes.size() > 2,
                      std::to_string(g.axes.size()) + "-D pooling (only 1-D and 2-D are lowered)");
  bool dilated = false;
  for (const AxisWindow& a : g.axes) dilated = dilated || a.dilation != 1;
  Value* indices = is_max && n.outputs.size() > 1 && is_read(ctx.graph(), n.outputs[1]) ? n.outputs[1] : nullptr;
  const bool by_taps = dilated || indices;
  for (const AxisWindow& a : g.axes)
    NODE_UNSUPPORTED_IF(n, a.pad_begin >= a.kernel || a.pad_end >= a.kernel,
                        "padding as large as the kernel (windows entirely in the padding)");
  NODE_UNSUPPORTED_IF(n, !is_max && !ir::is_float(n.inputs[0]->dtype), "integer AveragePool");
  Value* x = n.inputs[0];
  Value* out = n.outputs[0];
  auto emit = [&](Value* xi, Value* outi, Value* indices_i) {
    return by_taps ? emit_pool_by_taps(ctx, n, is_max, g, xi, outi, indices_i) : emit_pool_2d(ctx, n, is_max, g, xi, outi);
  };
  if (g.axes.size() == 2) return emit(x, out, indices);
  // 1-D: [N, C, L] → [N, C, 1, L], pool with a 1 x k window, and back.
  g.axes.insert(g.axes.begin(), AxisWindow{1, 1, 1, 1, 0, 0});
  g.out.insert(g.out.begin(), 1);
  const Shape& s = x->shape;
  Value* x4 = ctx.reshape(n, x, {s[0], s[1], 1, s[2]});
  Value* out4 = ctx.temp(n, out->dtype, {s[0], s[1], 1, g.out[1]}, "pooled_2d");
  Value* idx4 = indices ? ctx.temp(n, ir::DType::kInt64, out4->shape, "indices_2d") : nullptr;
  PT_RETURN_IF_ERROR(emit(x4, out4, idx4));
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
