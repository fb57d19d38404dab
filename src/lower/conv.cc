// Conv and ConvTranspose, 1-D and 2-D, → CONV_2D / DEPTHWISE_CONV_2D / TRANSPOSE_CONV;
// 3-D → CONV_3D / CONV_3D_TRANSPOSE (NDHWC, filters [kD, kH, kW, I, O] and [kD, kH, kW, O, I]).
// TFLite convolutions are NHWC with OHWI filters (depthwise: 1HWO), so the input is
// transposed to channels-last, the weights are permuted once here, and the result is
// transposed back; the sinking pass cancels those transposes between neighbours.
// 1-D runs as 2-D with H = 1. Groups other than 1 and depthwise are split into per-group
// convolutions joined by CONCATENATION: every TFLite runtime (Micro, Vela) supports that.
// Dilated 2-D ConvTranspose runs with a zero-dilated kernel (TRANSPOSE_CONV has no dilation;
// CONV_3D_TRANSPOSE has). 3-D groups split per group too (CONV_3D has none); 3-D depthwise
// runs as one DEPTHWISE_CONV_2D per depth tap (lower_depthwise_3d).
// Weights and bias computed at run time (F.conv2d(x, w) with a computed w: correlation
// layers, Siamese trackers, dynamic filters) are permuted/split by TRANSPOSE/SPLIT ops:
// LiteRT's convolution kernels accept non-constant filters; a dilated 2-D ConvTranspose with
// such weights runs as CONV_3D_TRANSPOSE with D = 1 (zero taps cannot be inserted at run time).
#include <algorithm>
#include <numeric>

#include "lower/context.h"
#include "ir/padding.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;
using ir::AxisWindow;
using ir::AxisPadding;
using ir::TflPadding;
using ir::apply_auto_pad;
using ir::window_output_size;
using ir::effective_pad_end;
using ir::classify_padding;
using ir::combine;

struct Geometry {
  std::vector<AxisWindow> axes;  // one per spatial axis
  std::vector<int64_t> out;      // output spatial extents
  int64_t group = 1;
  std::vector<int64_t> output_padding;
};

// Reads kernel/stride/dilation/pads for Conv (transposed = false) or ConvTranspose.
Status read_geometry(const Node& n, bool transposed, Geometry* g) {
  const Shape& x = n.inputs[0]->shape;
  const Shape& w = n.inputs[1]->shape;
  NODE_CHECK(n, x.size() >= 3 && w.size() == x.size(), "input rank " + std::to_string(x.size()) +
                                                           " and weight rank " + std::to_string(w.size()) + " do not fit");
  const size_t k = x.size() - 2;
  NODE_UNSUPPORTED_IF(n, k > 3, std::to_string(k) + "-D convolution (only 1-D, 2-D and 3-D are lowered)");
  auto kernel = n.get_ints("kernel_shape", Shape(w.begin() + 2, w.end()));
  auto strides = n.get_ints("strides", std::vector<int64_t>(k, 1));
  auto dil = n.get_ints("dilations", std::vector<int64_t>(k, 1));
  auto pads = n.get_ints("pads", std::vector<int64_t>(2 * k, 0));
  g->output_padding = n.get_ints("output_padding", std::vector<int64_t>(k, 0));
  g->group = n.get_int("group", 1);
  NODE_CHECK(n, kernel.size() == k && strides.size() == k && dil.size() == k && pads.size() == 2 * k &&
                    g->output_padding.size() == k,
             "kernel_shape/strides/dilations/pads do not match the input rank");
  NODE_CHECK(n, g->group >= 1 && x[1] % g->group == 0, "group " + std::to_string(g->group) +
                                                           " does not divide the input channels " + std::to_string(x[1]));
  const std::string auto_pad = n.get_string("auto_pad", "NOTSET");
  const auto output_shape = n.get_ints("output_shape");
  g->axes.clear();
  g->out.clear();
  for (size_t i = 0; i < k; ++i) {
    AxisWindow a{x[2 + i], kernel[i], strides[i], dil[i], pads[i], pads[k + i]};
    NODE_CHECK(n, a.stride >= 1 && a.dilation >= 1 && a.kernel >= 1, "non-positive kernel, stride or dilation");
    if (!transposed) {
      apply_auto_pad(auto_pad, &a);
      g->out.push_back(window_output_size(a));
    } else {
      const int64_t full = a.stride * (a.in - 1) + g->output_padding[i] + a.dilated_kernel();
      if (!output_shape.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        const int64_t target = !output_shape.empty() ? output_shape[output_shape.size() - k + i] : a.in * a.stride;
        const int64_t total = full - target;
        NODE_CHECK(n, target > 0, "output_shape must be positive");
        if (total < 0) {
          // A larger output_shape extends the end with cells no input reaches (bias only),
          // as in onnxruntime and the ONNX reference: a negative end pad.
          a.pad_begin = 0;
          a.pad_end = total;
        } else {
          const bool upper = auto_pad != "SAME_LOWER";
          a.pad_begin = upper ? total / 2 : total - total / 2;
          a.pad_end = total - a.pad_begin;
        }
      } else if (auto_pad == "VALID") {
        a.pad_begin = a.pad_end = 0;
      }
      g->out.push_back(full - a.pad_begin - a.pad_end);
    }
    NODE_CHECK(n, g->out.back() > 0, "output extent along spatial axis " + std::to_string(i) + " is not positive");
    g->axes.push_back(a);
  }
  return Status::ok();
}

Status infer_conv(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs input X and weights W");
  Geometry g;
  PT_RETURN_IF_ERROR(read_geometry(n, false, &g));
  Shape out{n.inputs[0]->shape[0], n.inputs[1]->shape[0]};
  out.insert(out.end(), g.out.begin(), g.out.end());
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

Status infer_conv_transpose(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs input X and weights W");
  Geometry g;
  PT_RETURN_IF_ERROR(read_geometry(n, true, &g));
  Shape out{n.inputs[0]->shape[0], n.inputs[1]->shape[1] * g.group};
  out.insert(out.end(), g.out.begin(), g.out.end());
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

// Slices a constant along axis 0 into `parts` equal pieces (for per-group weights/bias).
Tensor slice_axis0(const Tensor& t, int64_t parts, int64_t index) {
  Tensor out{t.dtype, t.shape, {}};
  out.shape[0] /= parts;
  const size_t bytes = t.bytes.size() / static_cast<size_t>(parts);
  out.bytes.assign(t.bytes.begin() + bytes * index, t.bytes.begin() + bytes * (index + 1));
  return out;
}

// Grouped convolutions run per group: SPLIT the NHWC (NDHWC) input on channels, call
// `per_group(i, x_i, y_i)` to write group i's result (y's shape with channels / group),
// CONCATENATE into y. Every TFLite runtime (Micro, Vela) supports these three ops.
template <typename PerGroup>
void split_per_group(LowerContext& ctx, const Node& n, Value* x, int64_t group, Value* y, PerGroup per_group) {
  std::vector<Value*> parts, results;
  const int64_t c = static_cast<int64_t>(x->shape.size()) - 1;  // channels, the last axis
  Shape part_shape = x->shape;
  part_shape[c] /= group;
  for (int64_t i = 0; i < group; ++i) parts.push_back(ctx.temp(n, x->dtype, part_shape, "group"));
  ctx.emit("tfl.SPLIT", n, {ctx.const_int32(n, "axis", {c}, {}), x}, parts);
  for (int64_t i = 0; i < group; ++i) {
    Shape ys = y->shape;
    ys[c] /= group;
    results.push_back(ctx.temp(n, x->dtype, ys, "group_out"));
    per_group(i, parts[i], results.back());
  }
  ctx.emit("tfl.CONCATENATION", n, results, {y})->attrs["axis"] = c;
}

// Brings a 1-D convolution's input, weights and geometry to 2-D with H = 1.
struct Conv2DOperands {
  Value* x = nullptr;  // NCHW
  Tensor w;            // [O, I/g, kH, kW] (ConvTranspose: [I, O/g, kH, kW]) when constant
  Value* w_runtime = nullptr;  // the same, computed at run time (then w is empty)
  Shape w_shape;
  Geometry geo;
  bool was_1d = false;
};

Status to_2d(LowerContext& ctx, const Node& n, bool transposed, Conv2DOperands* ops) {
  PT_RETURN_IF_ERROR(read_geometry(n, transposed, &ops->geo));
  NODE_UNSUPPORTED_IF(n, !ir::is_float(n.inputs[0]->dtype), "integer convolution");
  NODE_UNSUPPORTED_IF(n, n.inputs[0]->dtype != ir::DType::kFloat32,
                      std::string(ir::dtype_name(n.inputs[0]->dtype)) + " convolution");
  NODE_UNSUPPORTED_IF(n, n.inputs[1]->dtype != n.inputs[0]->dtype,
                      "weights '" + n.inputs[1]->name + "' and X have different types");
  ops->x = n.inputs[0];
  if (n.inputs[1]->is_const())
    ops->w = *n.inputs[1]->data;
  else
    ops->w_runtime = n.inputs[1];
  ops->w_shape = n.inputs[1]->shape;
  if (n.inputs[0]->shape.size() == 3) {
    ops->was_1d = true;
    Shape xs = ops->x->shape;
    ops->x = ctx.reshape(n, ops->x, {xs[0], xs[1], 1, xs[2]});
    ops->w_shape.insert(ops->w_shape.begin() + 2, 1);
    if (ops->w_runtime)
      ops->w_runtime = ctx.reshape(n, ops->w_runtime, ops->w_shape);
    else
      ops->w.shape = ops->w_shape;
    ops->geo.axes.insert(ops->geo.axes.begin(), AxisWindow{1, 1, 1, 1, 0, 0});
    ops->geo.out.insert(ops->geo.out.begin(), 1);
    ops->geo.output_padding.insert(ops->geo.output_padding.begin(), 0);
  }
  return Status::ok();
}

// A run-time tensor cut into `group` equal parts along `axis` (itself for 1 group).
std::vector<Value*> split_runtime(LowerContext& ctx, const Node& n, Value* v, int64_t group, int64_t axis = 0) {
  if (!v || group == 1) return {v};
  std::vector<Value*> parts;
  Shape part = v->shape;
  part[axis] /= group;
  for (int64_t i = 0; i < group; ++i) parts.push_back(ctx.temp(n, v->dtype, part, "group_operand"));
  ctx.emit("tfl.SPLIT", n, {ctx.const_int32(n, "axis", {axis}, {}), v}, parts);
  return parts;
}

// The filters of all groups in TFLite's layout (`perm` of ONNX's weights): permuted constant
// slices, or one TRANSPOSE of the run-time weights SPLIT along the axis ONNX's axis 0 went to.
std::vector<Value*> group_filters(LowerContext& ctx, const Node& n, const Conv2DOperands& ops, int64_t group,
                                  const std::vector<int64_t>& perm) {
  if (ops.w_runtime) {
    const int64_t axis = std::find(perm.begin(), perm.end(), 0) - perm.begin();
    return split_runtime(ctx, n, ctx.transpose(n, ops.w_runtime, perm), group, axis);
  }
  std::vector<Value*> out;
  for (int64_t i = 0; i < group; ++i)
    out.push_back(ctx.constant(n, "filter", ir::transpose(group == 1 ? ops.w : slice_axis0(ops.w, group, i), perm)));
  return out;
}

// Group i's bias: a constant slice, or the run-time bias' SPLIT part; nullptr without bias.
Value* group_bias(LowerContext& ctx, const Node& n, Value* bias, const std::vector<Value*>& parts, int64_t group,
                  int64_t i) {
  if (!bias || group == 1) return bias;
  if (!bias->is_const()) return parts[static_cast<size_t>(i)];
  return ctx.constant(n, "bias", slice_axis0(*bias->data, group, i));
}

// Writes the NHWC result into the node's output (reshaping back to 1-D when needed).
void finish(LowerContext& ctx, const Node& n, Value* y_nhwc, bool was_1d) {
  if (!was_1d) {
    ctx.from_channels_last(n, y_nhwc, n.outputs[0]);
    return;
  }
  const Shape& ys = y_nhwc->shape;  // [N, 1, W, C]
  Value* nchw = ctx.temp(n, y_nhwc->dtype, {ys[0], ys[3], 1, ys[2]}, "nchw");
  ctx.from_channels_last(n, y_nhwc, nchw);
  ctx.reshape(n, nchw, n.outputs[0]->shape, n.outputs[0]);
}

// Explicit PAD for windows TFLite's SAME/VALID cannot express; returns the padded input.
Value* pad_explicit(LowerContext& ctx, const Node& n, Value* x_nhwc, const Geometry& geo) {
  std::vector<int64_t> pads{0, 0};
  Shape s = x_nhwc->shape;
  for (size_t i = 0; i < geo.axes.size(); ++i) {
    const AxisWindow& a = geo.axes[i];
    const int64_t end = effective_pad_end(a, geo.out[i]);
    pads.push_back(a.pad_begin);
    pads.push_back(end);
    s[1 + i] += a.pad_begin + end;
  }
  pads.push_back(0);
  pads.push_back(0);
  Value* out = ctx.temp(n, x_nhwc->dtype, s, "padded");
  ctx.emit("tfl.PAD", n, {x_nhwc, ctx.const_int32(n, "paddings", pads, {static_cast<int64_t>(s.size()), 2})}, {out});
  return out;
}

void set_window_attrs(Node* op, const Geometry& geo, bool same) {
  op->attrs["padding"] = std::string(same ? "SAME" : "VALID");
  const size_t h = geo.axes.size() - 2;  // 3-D: axes are D, H, W
  if (geo.axes.size() == 3) op->attrs["stride_d"] = geo.axes[0].stride;
  op->attrs["stride_h"] = geo.axes[h].stride;
  op->attrs["stride_w"] = geo.axes[h + 1].stride;
}

// Conv3DOptions' dilations (CONV_3D and CONV_3D_TRANSPOSE).
void set_dilation_3d(Node* op, const Geometry& geo) {
  op->attrs["dilation_d_factor"] = geo.axes[0].dilation;
  op->attrs["dilation_h_factor"] = geo.axes[1].dilation;
  op->attrs["dilation_w_factor"] = geo.axes[2].dilation;
}

// Depthwise 3-D (constant float32 weights): CONV_3D has no depthwise form, and one CONV_3D
// per channel is slow, so each of the kD depth taps runs as a DEPTHWISE_CONV_2D over (H, W)
// of the [N·OD, H, W, C] slice of the input at depth kd·dilation + od·stride, and the taps'
// results are summed (the bias rides on the first). All of these have integer kernels.
Status lower_depthwise_3d(LowerContext& ctx, const Node& n, const Conv2DOperands& ops) {
  const Geometry& geo = ops.geo;
  const AxisWindow& d = geo.axes[0];
  const int64_t batch = ops.x->shape[0], c = ops.x->shape[1], cm = ops.w_shape[0], od = geo.out[0];
  const int64_t kd_n = ops.w_shape[2], kh = ops.w_shape[3], kw = ops.w_shape[4];
  Geometry hw = geo;
  hw.axes.erase(hw.axes.begin());
  hw.out.erase(hw.out.begin());
  const TflPadding padding =
      combine({classify_padding(hw.axes[0], hw.out[0]), classify_padding(hw.axes[1], hw.out[1])});
  Value* x = ctx.to_channels_last(n, ops.x);  // [N, D, H, W, C]
  // One PAD: the depth pads always (the taps slice a padded depth), H and W's only when
  // neither SAME nor VALID computes them.
  const bool pad_hw = padding == TflPadding::kExplicit;
  std::vector<int64_t> pads{0, 0, d.pad_begin, effective_pad_end(d, od)};
  for (size_t i = 0; i < 2; ++i) {
    pads.push_back(pad_hw ? hw.axes[i].pad_begin : 0);
    pads.push_back(pad_hw ? effective_pad_end(hw.axes[i], hw.out[i]) : 0);
  }
  pads.push_back(0);
  pads.push_back(0);
  if (std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p != 0; })) {
    Shape ps = x->shape;
    for (size_t a = 1; a < 4; ++a) ps[a] += pads[2 * a] + pads[2 * a + 1];
    Value* padded = ctx.temp(n, x->dtype, ps, "padded");
    ctx.emit("tfl.PAD", n, {x, ctx.const_int32(n, "paddings", pads, {5, 2})}, {padded});
    x = padded;
  }
  const Shape xs = x->shape;
  const std::vector<float> w = ops.w.to_floats();  // [C·M, 1, kD, kH, kW]
  Value* zeros = ctx.constant(n, "bias", Tensor::from_floats({cm}, std::vector<float>(cm, 0.0f)));
  const Shape part{batch * od, hw.out[0], hw.out[1], cm};
  Value* sum = nullptr;
  for (int64_t kd = 0; kd < kd_n; ++kd) {
    Value* slice = ctx.temp(n, x->dtype, {batch, od, xs[2], xs[3], c}, "depth_tap");
    const int64_t first = kd * d.dilation;
    ctx.emit("tfl.STRIDED_SLICE", n,
             {x, ctx.const_int32(n, "begin", {0, first, 0, 0, 0}),
              ctx.const_int32(n, "end", {batch, first + (od - 1) * d.stride + 1, xs[2], xs[3], c}),
              ctx.const_int32(n, "strides", {1, d.stride, 1, 1, 1})},
             {slice});
    std::vector<float> f(static_cast<size_t>(kh * kw * cm));  // [1, kH, kW, C·M]
    for (int64_t o = 0; o < cm; ++o)
      for (int64_t i = 0; i < kh * kw; ++i) f[i * cm + o] = w[(o * kd_n + kd) * kh * kw + i];
    Value* y = ctx.temp(n, x->dtype, part, "depth_tap_out");
    Node* op = ctx.emit("tfl.DEPTHWISE_CONV_2D", n,
                        {ctx.reshape(n, slice, {batch * od, xs[2], xs[3], c}), ctx.const_float(n, "filter", f, {1, kh, kw, cm}),
                         kd == 0 && n.input(2) ? n.inputs[2] : zeros},
                        {y});
    set_window_attrs(op, hw, padding == TflPadding::kSame);
    op->attrs["dilation_h_factor"] = hw.axes[0].dilation;
    op->attrs["dilation_w_factor"] = hw.axes[1].dilation;
    op->attrs["depth_multiplier"] = cm / c;
    if (sum) {
      Value* s2 = ctx.temp(n, x->dtype, part, "depth_sum");
      ctx.emit("tfl.ADD", n, {sum, y}, {s2});
      y = s2;
    }
    sum = y;
  }
  finish(ctx, n, ctx.reshape(n, sum, {batch, od, hw.out[0], hw.out[1], cm}), false);
  return Status::ok();
}

Status lower_conv(LowerContext& ctx, Node& n) {
  Conv2DOperands ops;
  PT_RETURN_IF_ERROR(to_2d(ctx, n, false, &ops));
  const Geometry& geo = ops.geo;
  const int64_t c_in = ops.x->shape[1], c_out = ops.w_shape[0], group = geo.group;
  if (geo.axes.size() == 3 && group == c_in && group > 1 && c_out % c_in == 0 && !ops.w_runtime &&
      ops.w.dtype == ir::DType::kFloat32 && (!n.input(2) || n.inputs[2]->is_const()))
    return lower_depthwise_3d(ctx, n, ops);
  std::vector<AxisPadding> per_axis;
  for (size_t i = 0; i < geo.axes.size(); ++i) per_axis.push_back(classify_padding(geo.axes[i], geo.out[i]));
  TflPadding padding = combine(per_axis);

  Value* x = ctx.to_channels_last(n, ops.x);
  if (padding == TflPadding::kExplicit) x = pad_explicit(ctx, n, x, geo);
  const bool same = padding == TflPadding::kSame;

  Value* bias = n.input(2) ? n.inputs[2] : ctx.constant(n, "bias", Tensor::from_floats({c_out}, std::vector<float>(c_out, 0.0f)));
  Shape y_shape{ops.x->shape[0]};
  y_shape.insert(y_shape.end(), geo.out.begin(), geo.out.end());
  y_shape.push_back(c_out);
  Value* y = ctx.temp(n, ops.x->dtype, y_shape, "nhwc");

  if (geo.axes.size() == 3) {
    // CONV_3D: filter [kD, kH, kW, I/g, O] from ONNX's [O, I/g, kD, kH, kW]; no group form, so
    // grouped convolutions (and depthwise ones with run-time weights) run per group.
    const std::vector<Value*> filters = group_filters(ctx, n, ops, group, {2, 3, 4, 1, 0});
    const std::vector<Value*> b_parts = split_runtime(ctx, n, bias->is_const() ? nullptr : bias, group);
    auto conv3d = [&](Value* xi, int64_t i, Value* yi) {
      Node* op = ctx.emit("tfl.CONV_3D", n, {xi, filters[i], group_bias(ctx, n, bias, b_parts, group, i)}, {yi});
      set_window_attrs(op, geo, same);
      set_dilation_3d(op, geo);
    };
    if (group == 1)
      conv3d(x, 0, y);
    else
      split_per_group(ctx, n, x, group, y, [&](int64_t i, Value* xi, Value* yi) { conv3d(xi, i, yi); });
    finish(ctx, n, y, false);
    return Status::ok();
  }

  auto set_dilation = [&](Node* op) {
    op->attrs["dilation_h_factor"] = geo.axes[0].dilation;
    op->attrs["dilation_w_factor"] = geo.axes[1].dilation;
  };
  if (group == c_in && group > 1 && c_out % c_in == 0) {
    // Depthwise: filter [1, kH, kW, C*multiplier]; ONNX's output channel o reads input o / multiplier.
    Value* filter = group_filters(ctx, n, ops, 1, {1, 2, 3, 0})[0];
    Node* op = ctx.emit("tfl.DEPTHWISE_CONV_2D", n, {x, filter, bias}, {y});
    set_window_attrs(op, geo, same);
    set_dilation(op);
    op->attrs["depth_multiplier"] = c_out / c_in;
  } else if (group == 1) {
    Value* filter = group_filters(ctx, n, ops, 1, {0, 2, 3, 1})[0];
    Node* op = ctx.emit("tfl.CONV_2D", n, {x, filter, bias}, {y});
    set_window_attrs(op, geo, same);
    set_dilation(op);
  } else {
    const std::vector<Value*> filters = group_filters(ctx, n, ops, group, {0, 2, 3, 1});
    const std::vector<Value*> b_parts = split_runtime(ctx, n, bias->is_const() ? nullptr : bias, group);
    split_per_group(ctx, n, x, group, y, [&](int64_t i, Value* xi, Value* yi) {
      Node* op = ctx.emit("tfl.CONV_2D", n, {xi, filters[i], group_bias(ctx, n, bias, b_parts, group, i)}, {yi});
      set_window_attrs(op, geo, same);
      set_dilation(op);
    });
  }
  finish(ctx, n, y, ops.was_1d);
  return Status::ok();
}

// ConvTranspose weights [I, O/g, kH, kW] with dilation d: the same kernel with d-1 zero
// taps between the taps, so TRANSPOSE_CONV (which has no dilation) computes it exactly.
Tensor dilate_kernel(const Tensor& w, int64_t dh, int64_t dw) {
  const int64_t io = w.shape[0] * w.shape[1], kh = w.shape[2], kw = w.shape[3];
  const int64_t eh = (kh - 1) * dh + 1, ew = (kw - 1) * dw + 1;
  const std::vector<float> src = w.to_floats();
  std::vector<float> dst(static_cast<size_t>(io * eh * ew), 0.0f);
  for (int64_t c = 0; c < io; ++c)
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) dst[(c * eh + i * dh) * ew + j * dw] = src[(c * kh + i) * kw + j];
  return Tensor::from_floats({w.shape[0], w.shape[1], eh, ew}, dst);
}

// TRANSPOSE_CONV with VALID padding computes the full (in-1)*s + k extent; ONNX's pads
// crop it and output_padding / a larger output_shape extend it, which a STRIDED_SLICE /
// PAD then applies. Dilation becomes a zero-dilated kernel; groups run as one
// TRANSPOSE_CONV per group between a SPLIT and a CONCATENATION, like Conv's.
Status lower_conv_transpose(LowerContext& ctx, Node& n) {
  Conv2DOperands ops;
  PT_RETURN_IF_ERROR(to_2d(ctx, n, true, &ops));
  Geometry& geo = ops.geo;
  size_t k = geo.axes.size();  // 2 (1-D runs as 2-D) or 3
  bool lifted = false;         // a 2-D one run as 3-D with D = 1
  if (k == 2 && (geo.axes[0].dilation != 1 || geo.axes[1].dilation != 1) && ops.w_runtime) {
    // Run-time weights cannot get zero taps inserted here, but CONV_3D_TRANSPOSE dilates.
    const Shape xs = ops.x->shape;
    ops.x = ctx.reshape(n, ops.x, {xs[0], xs[1], 1, xs[2], xs[3]});
    ops.w_shape.insert(ops.w_shape.begin() + 2, 1);
    ops.w_runtime = ctx.reshape(n, ops.w_runtime, ops.w_shape);
    geo.axes.insert(geo.axes.begin(), AxisWindow{1, 1, 1, 1, 0, 0});
    geo.out.insert(geo.out.begin(), 1);
    geo.output_padding.insert(geo.output_padding.begin(), 0);
    k = 3;
    lifted = true;
  } else if (k == 2 && (geo.axes[0].dilation != 1 || geo.axes[1].dilation != 1)) {
    ops.w = dilate_kernel(ops.w, geo.axes[0].dilation, geo.axes[1].dilation);
    ops.w_shape = ops.w.shape;
    for (AxisWindow& a : geo.axes) {
      a.kernel = a.dilated_kernel();
      a.dilation = 1;
    }
  }
  const int64_t batch = ops.x->shape[0], group = geo.group, c_in = ops.x->shape[1];
  const int64_t c_out = ops.w_shape[1] * group;
  NODE_CHECK(n, ops.w_shape[0] == c_in, "weights have " + std::to_string(ops.w_shape[0]) + " input channels, X has " +
                                            std::to_string(c_in));
  Shape full(k + 2, 0);
  full[0] = batch;
  full[k + 1] = c_out;
  bool crop_or_pad = false;
  for (size_t i = 0; i < k; ++i) {
    const AxisWindow& a = geo.axes[i];
    full[1 + i] = (a.in - 1) * a.stride + a.dilated_kernel();
    if (a.pad_begin != 0 || full[1 + i] != geo.out[i]) crop_or_pad = true;
  }
  Value* x = ctx.to_channels_last(n, ops.x);
  Value* bias = n.input(2) ? n.inputs[2] : nullptr;
  Value* y = ctx.temp(n, x->dtype, full, "full");
  // One TRANSPOSE_CONV of x with group i's weights ([I, O, kH, kW] → filter [O, kH, kW, I])
  // and bias b into y; 3-D: CONV_3D_TRANSPOSE, filter [kD, kH, kW, O, I], with dilation.
  const std::vector<Value*> filters =
      group_filters(ctx, n, ops, group, k == 3 ? std::vector<int64_t>{2, 3, 4, 1, 0} : std::vector<int64_t>{1, 2, 3, 0});
  auto transpose_conv = [&](Value* xi, int64_t i, Value* b, Value* yi) {
    Value* filter = filters[static_cast<size_t>(i)];
    Node* op = ctx.emit(k == 3 ? "tfl.CONV_3D_TRANSPOSE" : "tfl.TRANSPOSE_CONV", n,
                        {ctx.const_int32(n, "output_shape", yi->shape), filter, xi, b}, {yi});
    set_window_attrs(op, geo, false);
    if (k == 3) set_dilation_3d(op, geo);
  };
  if (group == 1) {
    transpose_conv(x, 0, crop_or_pad ? nullptr : bias, y);
  } else {
    const std::vector<Value*> b_parts =
        split_runtime(ctx, n, bias && !bias->is_const() && !crop_or_pad ? bias : nullptr, group);
    split_per_group(ctx, n, x, group, y, [&](int64_t i, Value* xi, Value* yi) {
      transpose_conv(xi, i, crop_or_pad ? nullptr : group_bias(ctx, n, bias, b_parts, group, i), yi);
    });
  }
  if (crop_or_pad) {
    // Crop [pad_begin, min(full, pad_begin + out)) on each axis, then zero-pad what
    // output_padding adds beyond the full extent.
    std::vector<int64_t> begin(k + 2, 0), end = full, strides(k + 2, 1);
    std::vector<int64_t> tail(k, 0);
    Shape cropped = full;
    bool extend = false;
    for (size_t i = 0; i < k; ++i) {
      const int64_t b = geo.axes[i].pad_begin, want = geo.out[i];
      begin[1 + i] = b;
      end[1 + i] = std::min(full[1 + i], b + want);
      cropped[1 + i] = end[1 + i] - b;
      tail[i] = want - cropped[1 + i];
      extend = extend || tail[i] > 0;
    }
    Value* c = ctx.temp(n, x->dtype, cropped, "cropped");
    ctx.emit("tfl.STRIDED_SLICE", n,
             {y, ctx.const_int32(n, "begin", begin), ctx.const_int32(n, "end", end), ctx.const_int32(n, "strides", strides)},
             {c});
    y = c;
    if (extend) {
      Shape padded = cropped;
      std::vector<int64_t> paddings(2 * (k + 2), 0);
      for (size_t i = 0; i < k; ++i) {
        padded[1 + i] = geo.out[i];
        paddings[2 * (1 + i) + 1] = tail[i];
      }
      Value* p = ctx.temp(n, x->dtype, padded, "extended");
      ctx.emit("tfl.PAD", n, {y, ctx.const_int32(n, "paddings", paddings, {static_cast<int64_t>(k + 2), 2})}, {p});
      y = p;
    }
    if (bias) {
      Value* b = ctx.temp(n, x->dtype, y->shape, "biased");
      ctx.emit("tfl.ADD", n, {y, bias}, {b});
      y = b;
    }
  }
  if (lifted) {
    Shape ys = y->shape;  // [N, 1, H, W, C]
    ys.erase(ys.begin() + 1);
    y = ctx.reshape(n, y, ys);
  }
  finish(ctx, n, y, ops.was_1d);
  return Status::ok();
}

// LiteRT's convolution kernels are float32 only (float16 is a storage format there), so a
// float16 convolution runs in float32 between CASTs, like the other float16 ops: constant
// weights and bias are widened here, run-time operands by CAST. Exact up to the final
// rounding to float16. (For float16 *storage* of a float32 model, --quantize float16.)
template <Status (*kLower)(LowerContext&, Node&)>
Status lower_in_float32(LowerContext& ctx, Node& n) {
  if (n.inputs[0]->dtype != ir::DType::kFloat16) return kLower(ctx, n);
  Node wide = n;
  for (Value*& v : wide.inputs)
    if (v) v = ctx.cast(n, v, ir::DType::kFloat32);
  wide.outputs[0] = ctx.temp(n, ir::DType::kFloat32, n.outputs[0]->shape, "f32");
  PT_RETURN_IF_ERROR(kLower(ctx, wide));
  ctx.cast(n, wide.outputs[0], ir::DType::kFloat16, n.outputs[0]);
  return Status::ok();
}

}  // namespace

void register_conv(Registry& r) {
  r.add("Conv", {infer_conv, nullptr, lower_in_float32<lower_conv>});
  r.add("ConvTranspose", {infer_conv_transpose, nullptr, lower_in_float32<lower_conv_transpose>});
}

}  // namespace pt2tflite::lower
