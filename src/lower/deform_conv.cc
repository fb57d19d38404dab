// DeformConv (opset 19, 22): a 2-D convolution whose kernel taps are moved by learned
// per-position offsets (torchvision.ops.deform_conv2d), optionally scaled by a mask
// (DCNv2) — bilinear sampling at the moved taps, then a matrix product with the weights.
//
// X [N, C, H, W] is transposed channels-last (cancelled by the sinking pass in a CNN) and
// flattened to rows [N·H·W·G_off, C/G_off]: one row per pixel and offset group. offset
// [N, G_off·K·2, oh, ow] (K = kh·kw, (dy, dx) pairs) and mask [N, G_off·K, oh, ow] are taken
// channels-last too — they come from a conv, so their transposes cancel as well — and
// reshaped to [N, P, G_off·K, ·] (P = oh·ow). Tap (a, b) of output (i, j) samples at
//   y = −pad_top + i·stride_h + a·dilation_h + dy,   x = −pad_left + j·stride_w + b·dilation_w + dx
// (the base positions are one constant). As in ONNX's reference (GridSample bilinear,
// align_corners, zeros padding: the coordinate normalisation there is the identity map) and
// onnxruntime, the four neighbours floor(y)(+1), floor(x)(+1) are weighted by 1 − t and t,
// and a neighbour outside the image contributes 0 (weight zeroed, index clamped); the mask
// multiplies the weights. Each neighbour is one GATHER_ND of the rows (int32 index
// ((n·H + y)·W + x)·G_off + g), so the four weighted gathers summed are the sampled columns
// [N·P, G_off·K·C/G_off] in (g, k, c) order.
// The product with W [OC, C/group, kh, kw]: with constant weights and group = 1, one
// FULLY_CONNECTED whose weight rows are W permuted here to that (g, k, c) order (bias fused);
// otherwise a constant GATHER reorders the columns to (group, c, k), W's own order, and a
// BATCH_MATMUL of [N·P, group, 1, C/group·K] by W as [group, OC/group, C/group·K] (adj_y)
// does every group at once (run-time weights need no transpose). The result [N, oh, ow, OC]
// goes back NCHW. Every step is float32 arithmetic on the same products as the reference:
// exact to rounding.
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

struct Geometry {
  int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group, offset_group, oh, ow;
};

Result<Geometry> geometry(const Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1) && n.input(2), "needs X, W and offset");
  const Shape& x = n.inputs[0]->shape;
  const Shape& w = n.inputs[1]->shape;
  NODE_UNSUPPORTED_IF(n, x.size() != 4, "X of rank " + std::to_string(x.size()) + " (only 2-D deformable convolution, X [N, C, H, W], is lowered)");
  NODE_CHECK(n, w.size() == 4, "W must be [OC, C/group, kh, kw], got " + ir::shape_to_string(w));
  Geometry g{};
  const auto k = n.get_ints("kernel_shape", {w[2], w[3]});
  const auto s = n.get_ints("strides", {1, 1});
  const auto d = n.get_ints("dilations", {1, 1});
  const auto p = n.get_ints("pads", {0, 0, 0, 0});
  NODE_CHECK(n, k.size() == 2 && s.size() == 2 && d.size() == 2 && p.size() == 4,
             "kernel_shape/strides/dilations/pads do not match a 2-D convolution");
  g.kh = k[0], g.kw = k[1], g.sh = s[0], g.sw = s[1], g.dh = d[0], g.dw = d[1];
  g.pt = p[0], g.pl = p[1], g.pb = p[2], g.pr = p[3];
  g.group = n.get_int("group", 1);
  g.offset_group = n.get_int("offset_group", 1);
  NODE_CHECK(n, g.kh > 0 && g.kw > 0 && g.sh > 0 && g.sw > 0 && g.dh > 0 && g.dw > 0 && g.group > 0 &&
                    g.offset_group > 0,
             "kernel_shape, strides, dilations, group and offset_group must be positive");
  g.oh = x[2] < 0 ? -1 : (x[2] + g.pt + g.pb - ((g.kh - 1) * g.dh + 1)) / g.sh + 1;
  g.ow = x[3] < 0 ? -1 : (x[3] + g.pl + g.pr - ((g.kw - 1) * g.dw + 1)) / g.sw + 1;
  return g;
}

Status infer_deform_conv(Node& n) {
  PT_ASSIGN_OR_RETURN(Geometry g, geometry(n));
  const Shape& x = n.inputs[0]->shape;
  set_output(n, 0, n.inputs[0]->dtype, {x[0], n.inputs[1]->shape[0], g.oh, g.ow});
  return Status::ok();
}

// One tap per axis: int32 row offset (already times its stride) and float weight.
struct Tap {
  Value *index, *weight;
};

// The two bilinear neighbours of coordinates c along an axis of extent d; outside [0, d−1]
// a neighbour's weight is 0 and its index clamped.
std::vector<Tap> neighbours(LowerContext& ctx, const Node& n, Value* c, int64_t d, int64_t stride) {
  Arith a(ctx, n);
  Value* f = a.un("tfl.FLOOR", c);
  Value* t = a.sub(c, f);
  std::vector<Tap> taps;
  for (int side = 0; side < 2; ++side) {
    Value* i = side == 0 ? f : a.add(f, 1.0);
    Value* w = side == 0 ? a.sub(a.scalar(1.0), t) : t;
    Value* clamped = a.clamp(i, 0, static_cast<double>(d - 1));
    Value* inside = ctx.cast(n, a.bin("tfl.EQUAL", i, clamped, DType::kBool), DType::kFloat32);
    Value* row = ctx.cast(n, clamped, DType::kInt32);
    if (stride != 1) row = a.mul(row, a.scalar(DType::kInt32, static_cast<double>(stride)));
    taps.push_back({row, a.mul(w, inside)});
  }
  return taps;
}

Status lower_deform_conv(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Geometry g, geometry(n));
  Value* x = n.inputs[0];
  Value* w = n.inputs[1];
  Value* offset = n.inputs[2];
  Value* bias = n.input(3);
  Value* mask = n.input(4);
  for (const Value* v : {x, w, offset, bias, mask}) {
    if (!v) continue;
    NODE_UNSUPPORTED_IF(n, v->dtype != DType::kFloat32,
                        "'" + v->name + "' of type " + ir::dtype_name(v->dtype) + " (only float32 is lowered)");
    NODE_UNSUPPORTED_IF(n, !ir::is_static(v->shape), "dynamic shapes (fix them with --input-shape)");
  }
  const int64_t batch = x->shape[0], channels = x->shape[1], height = x->shape[2], width = x->shape[3];
  const int64_t out_ch = w->shape[0], group = g.group, og = g.offset_group;
  const int64_t k = g.kh * g.kw, p = g.oh * g.ow, m = batch * p;
  NODE_CHECK(n, g.oh > 0 && g.ow > 0, "the kernel does not fit the padded input");
  NODE_CHECK(n, channels == w->shape[1] * group && out_ch % group == 0,
             "W " + ir::shape_to_string(w->shape) + " does not match " + std::to_string(channels) +
                 " input channels in " + std::to_string(group) + " groups");
  NODE_CHECK(n, w->shape[2] == g.kh && w->shape[3] == g.kw, "kernel_shape differs from W's");
  NODE_CHECK(n, channels % og == 0, "the input channels do not split into offset_group groups");
  NODE_CHECK(n, offset->shape == Shape({batch, og * k * 2, g.oh, g.ow}),
             "offset must be " + ir::shape_to_string({batch, og * k * 2, g.oh, g.ow}) + ", got " +
                 ir::shape_to_string(offset->shape));
  NODE_CHECK(n, !mask || mask->shape == Shape({batch, og * k, g.oh, g.ow}),
             "mask must be " + ir::shape_to_string({batch, og * k, g.oh, g.ow}));
  NODE_CHECK(n, !bias || ir::num_elements(bias->shape) == out_ch, "B must hold one value per output channel");
  NODE_UNSUPPORTED_IF(n, batch * height * width * og > (int64_t{1} << 31) - 1, "more pixels than int32 indices reach");
  const int64_t cg = channels / og;  // channels per offset group

  Arith a(ctx, n);
  Value* rows = ctx.reshape(n, ctx.to_channels_last(n, x), {batch * height * width * og, cg});
  const Shape pos_shape{batch, p, og * k, 1};
  Value* off = ctx.reshape(n, ctx.to_channels_last(n, offset), {batch, p, og * k, 2});
  Value* dy = ctx.temp(n, DType::kFloat32, pos_shape, "dy");
  Value* dx = ctx.temp(n, DType::kFloat32, pos_shape, "dx");
  ctx.emit("tfl.SPLIT", n, {ctx.const_int32(n, "axis", {3}, Shape{}), off}, {dy, dx})->attrs["num_splits"] = int64_t{2};

  // Undeformed tap positions [1, P, G_off·K, 1] and each (image, offset group)'s first row.
  std::vector<float> base_y, base_x;
  for (int64_t i = 0; i < g.oh; ++i)
    for (int64_t j = 0; j < g.ow; ++j)
      for (int64_t gi = 0; gi < og; ++gi)
        for (int64_t ka = 0; ka < g.kh; ++ka)
          for (int64_t kb = 0; kb < g.kw; ++kb) {
            base_y.push_back(static_cast<float>(-g.pt + i * g.sh + ka * g.dh));
            base_x.push_back(static_cast<float>(-g.pl + j * g.sw + kb * g.dw));
          }
  std::vector<int64_t> first_row;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t gi = 0; gi < og; ++gi)
      for (int64_t kk = 0; kk < k; ++kk) first_row.push_back(b * height * width * og + gi);
  Value* py = a.add(ctx.const_float(n, "base_y", base_y, {1, p, og * k, 1}), dy);
  Value* px = a.add(ctx.const_float(n, "base_x", base_x, {1, p, og * k, 1}), dx);
  Value* row0 = ctx.constant(n, "first_row", Tensor::from_int64s(DType::kInt32, {batch, 1, og * k, 1}, first_row));

  std::vector<Tap> ty = neighbours(ctx, n, py, height, width * og);
  std::vector<Tap> tx = neighbours(ctx, n, px, width, og);
  Value* mask_w = mask ? ctx.reshape(n, ctx.to_channels_last(n, mask), pos_shape) : nullptr;
  Value* sampled = nullptr;  // [N, P, G_off·K, C/G_off]
  for (Tap& yt : ty) {
    Value* yrow = a.add(yt.index, row0);
    Value* wy = mask_w ? a.mul(yt.weight, mask_w) : yt.weight;
    for (Tap& xt : tx) {
      Value* g_out = ctx.temp(n, DType::kFloat32, {batch, p, og * k, cg}, "sampled");
      ctx.emit("tfl.GATHER_ND", n, {rows, a.add(yrow, xt.index)}, {g_out});
      Value* term = a.mul(g_out, a.mul(wy, xt.weight));
      sampled = sampled ? a.add(sampled, term) : term;
    }
  }
  Value* cols = ctx.reshape(n, sampled, {m, og * k * cg});  // columns in (g, k, c) order

  Value* y = ctx.temp(n, DType::kFloat32, {m, out_ch}, "conv");
  const bool bias_fused = w->is_const() && group == 1 && (!bias || bias->is_const());
  if (bias_fused) {
    // W[oc, g·cg + c, k] → row oc, column (g·K + k)·cg + c.
    const std::vector<float> wv = w->data->to_floats();
    std::vector<float> perm(wv.size());
    for (int64_t oc = 0; oc < out_ch; ++oc)
      for (int64_t gi = 0; gi < og; ++gi)
        for (int64_t kk = 0; kk < k; ++kk)
          for (int64_t c = 0; c < cg; ++c)
            perm[(oc * og * k + gi * k + kk) * cg + c] = wv[(oc * channels + gi * cg + c) * k + kk];
    std::vector<float> bv = bias ? bias->data->to_floats() : std::vector<float>(static_cast<size_t>(out_ch), 0.0f);
    ctx.emit("tfl.FULLY_CONNECTED", n,
             {cols, ctx.const_float(n, "weights", perm, {out_ch, channels * k}), ctx.const_float(n, "bias", bv, {out_ch})},
             {y});
  } else {
    // Columns to (group, c, k) order: c = group·C/group + c', source column (c / cg · K + k)·cg + c % cg.
    std::vector<int64_t> order;
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t kk = 0; kk < k; ++kk) order.push_back(((c / cg) * k + kk) * cg + c % cg);
    Value* ordered = ctx.temp(n, DType::kFloat32, {m, channels * k}, "columns");
    ctx.emit("tfl.GATHER", n, {cols, ctx.const_int32(n, "column_order", order)}, {ordered})->attrs["axis"] = int64_t{1};
    const int64_t depth = channels / group * k;
    Value* prod;
    if (group == 1) {
      prod = y;
      ctx.emit("tfl.BATCH_MATMUL", n, {ordered, ctx.reshape(n, w, {out_ch, depth})}, {prod})->attrs["adj_y"] =
          int64_t{1};
    } else {
      prod = ctx.temp(n, DType::kFloat32, {m, group, 1, out_ch / group}, "grouped");
      ctx.emit("tfl.BATCH_MATMUL", n,
               {ctx.reshape(n, ordered, {m, group, 1, depth}), ctx.reshape(n, w, {group, out_ch / group, depth})},
               {prod})->attrs["adj_y"] = int64_t{1};
      prod = ctx.reshape(n, prod, {m, out_ch}, y);
    }
    if (bias) y = a.add(y, ctx.reshape(n, bias, {out_ch}));
  }
  ctx.from_channels_last(n, ctx.reshape(n, y, {batch, g.oh, g.ow, out_ch}), n.outputs[0]);
  return Status::ok();
}

}  // namespace

void register_deform_conv(Registry& r) { r.add("DeformConv", {infer_deform_conv, nullptr, lower_deform_conv}); }

}  // namespace pt2tflite::lower
