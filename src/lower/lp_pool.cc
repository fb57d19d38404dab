// LpPool (1-D to 3-D) → (Σ_window |x|^p)^(1/p) on NHWC, next to pool.cc's pools.
//
// The window sum is a DEPTHWISE_CONV_2D of |x|^p with a ones kernel [1, kH, kW, C] (zero
// bias), so strides and dilations come for free; ONNX's padded cells count as 0, which is
// what TFLite's SAME padding and an explicit zero PAD before VALID both give. p = 1: ABS and
// no root; p = 2: MUL x·x and SQRT; other p: POW(ABS(x), p) and POW(·, 1/p). ceil_mode's
// overhanging windows read zeros too (the explicit pad covers the cells they reach).
// 1-D pools run as 2-D with H = 1; 3-D ones as a 2-D sum over (H, W) per depth slice, then
// a [kD, 1] sum over the slices (a box sum is separable). Float32 only.
#include "ir/padding.h"
#include "lower/context.h"
#include "lower/emit_arith.h"
#include "lower/pool_geometry.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::AxisWindow;
using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

Status infer_lp_pool(Node& n) {
  PoolGeometry g;
  PT_RETURN_IF_ERROR(read_pool_geometry(n, &g));
  Shape out{n.inputs[0]->shape[0], n.inputs[0]->shape[1]};
  out.insert(out.end(), g.out.begin(), g.out.end());
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

// The window sums of a [B, H, W, C] value over axes h and w (zero padding): one
// DEPTHWISE_CONV_2D with a ones kernel, after an explicit PAD when SAME/VALID cannot say it.
Value* window_sum(LowerContext& ctx, const Node& n, Value* x, const AxisWindow& h, int64_t oh, const AxisWindow& w,
                  int64_t ow) {
  const ir::TflPadding padding = ir::combine({ir::classify_padding(h, oh), ir::classify_padding(w, ow)});
  const Shape& s = x->shape;
  const int64_t channels = s[3];
  if (padding == ir::TflPadding::kExplicit) {
    const int64_t he = ir::effective_pad_end(h, oh), we = ir::effective_pad_end(w, ow);
    Value* padded = ctx.temp(n, DType::kFloat32, {s[0], s[1] + h.pad_begin + he, s[2] + w.pad_begin + we, channels},
                             "padded");
    ctx.emit("tfl.PAD", n, {x, ctx.const_int32(n, "paddings", {0, 0, h.pad_begin, he, w.pad_begin, we, 0, 0}, {4, 2})},
             {padded});
    x = padded;
  }
  Value* ones = ctx.const_float(n, "ones", std::vector<float>(static_cast<size_t>(h.kernel * w.kernel * channels), 1.0f),
                                {1, h.kernel, w.kernel, channels});
  Value* zeros = ctx.const_float(n, "bias", std::vector<float>(static_cast<size_t>(channels), 0.0f), {channels});
  Value* sum = ctx.temp(n, DType::kFloat32, {s[0], oh, ow, channels}, "window_sum");
  Node* conv = ctx.emit("tfl.DEPTHWISE_CONV_2D", n, {x, ones, zeros}, {sum});
  conv->attrs["padding"] = std::string(padding == ir::TflPadding::kSame ? "SAME" : "VALID");
  conv->attrs["stride_h"] = h.stride;
  conv->attrs["stride_w"] = w.stride;
  conv->attrs["dilation_h_factor"] = h.dilation;
  conv->attrs["dilation_w_factor"] = w.dilation;
  conv->attrs["depth_multiplier"] = int64_t{1};
  return sum;
}

Status lower_lp_pool(LowerContext& ctx, Node& n) {
  PoolGeometry g;
  PT_RETURN_IF_ERROR(read_pool_geometry(n, &g));
  Value* x = n.inputs[0];
  Value* out = n.outputs[0];
  const size_t k = g.axes.size();
  NODE_UNSUPPORTED_IF(n, k > 3, std::to_string(k) + "-D LpPool (only 1-D to 3-D are lowered)");
  NODE_UNSUPPORTED_IF(n, x->dtype != DType::kFloat32,
                      std::string("LpPool of ") + ir::dtype_name(x->dtype) + " (only float32 is lowered)");
  NODE_UNSUPPORTED_IF(n, !ir::is_static(x->shape), "dynamic input shape (fix it with --input-shape)");
  const double p = static_cast<double>(n.get_int("p", 2));
  NODE_CHECK(n, p > 0, "p must be positive");
  const Shape& s = x->shape;
  const int64_t batch = s[0], channels = s[1];
  Arith a(ctx, n);
  Value* y = ctx.to_channels_last(n, x);  // [N, spatial..., C]
  Value* powered = p == 2 ? a.mul(y, y) : a.un("tfl.ABS", y);
  if (p != 1 && p != 2) powered = a.bin("tfl.POW", powered, a.scalar(p));
  const AxisWindow unit{1, 1, 1, 1, 0, 0};
  Value* sum;
  if (k == 1) {
    sum = window_sum(ctx, n, ctx.reshape(n, powered, {batch, 1, s[2], channels}), unit, 1, g.axes[0], g.out[0]);
  } else if (k == 2) {
    sum = window_sum(ctx, n, powered, g.axes[0], g.out[0], g.axes[1], g.out[1]);
  } else {
    // A box sum is separable: (H, W) windows per depth slice, then D windows over the
    // slices' results, each a depthwise sum with zero padding.
    Value* hw = window_sum(ctx, n, ctx.reshape(n, powered, {batch * s[2], s[3], s[4], channels}), g.axes[1],
                           g.out[1], g.axes[2], g.out[2]);
    const int64_t plane = g.out[1] * g.out[2];
    Value* d = window_sum(ctx, n, ctx.reshape(n, hw, {batch, s[2], plane, channels}), g.axes[0], g.out[0],
                          AxisWindow{plane, 1, 1, 1, 0, 0}, plane);
    sum = ctx.reshape(n, d, {batch, g.out[0], g.out[1], g.out[2], channels});
  }
  Value* root = p == 1 ? sum : p == 2 ? a.un("tfl.SQRT", sum) : a.bin("tfl.POW", sum, a.scalar(1 / p));
  Shape cl_out{batch};
  cl_out.insert(cl_out.end(), g.out.begin(), g.out.end());
  cl_out.push_back(channels);
  if (root->shape != cl_out) root = ctx.reshape(n, root, cl_out);
  ctx.from_channels_last(n, root, out);
  return Status::ok();
}

}  // namespace

void register_lp_pool(Registry& r) { r.add("LpPool", {infer_lp_pool, nullptr, lower_lp_pool}); }

}  // namespace pt2tflite::lower
