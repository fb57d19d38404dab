// Col2Im (opset 18): the sum of overlapping blocks; 2-D images as one TRANSPOSE_CONV.
//
// Input [N, C·kH·kW, L] holds, for each of the L = Lh·Lw block positions over the padded
// image, the kH·kW values of each channel's block (channel-major). Reshaped to
// [N, C·K, Lh, Lw] and made channels-last, it is exactly the input of a transposed
// convolution with stride = strides whose filter [C, kH', kW', C·K] is one-hot: output
// channel c at tap (i·dH, j·dW) reads input channel c·K + i·kW + j (dilation as zero taps,
// TRANSPOSE_CONV has none). Products are by 1 and 0, so the overlapping sums are the only
// roundings. The VALID result covers [0, (Lh−1)·sH + kH'); a SLICE drops the leading pads
// and keeps H rows, a PAD adds the trailing rows no block reaches.
// Other ranks (1-D, 3-D, …): FULLY_CONNECTED of the rows [N·C, K·L] with a constant 0/1
// scatter matrix [ΠD, K·L] (block value → image pixel), up to kMaxScatterElements entries.
// image_shape and block_shape must be constant; float32 only.
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

struct Col2ImGeometry {
  int64_t n = 0, c = 0;
  std::vector<int64_t> image, block, stride, dilation, pads, grid;  // grid: block positions per axis
};

Result<Col2ImGeometry> geometry(const Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1) && n.input(2), "needs input, image_shape and block_shape");
  Col2ImGeometry g;
  PT_ASSIGN_OR_RETURN(g.image, const_ints(n, 1, "image_shape"));
  PT_ASSIGN_OR_RETURN(g.block, const_ints(n, 2, "block_shape"));
  const size_t k = g.image.size();
  NODE_CHECK(n, k >= 1 && g.block.size() == k, "image_shape and block_shape differ in length");
  g.stride = n.get_ints("strides", std::vector<int64_t>(k, 1));
  g.dilation = n.get_ints("dilations", std::vector<int64_t>(k, 1));
  g.pads = n.get_ints("pads", std::vector<int64_t>(2 * k, 0));
  NODE_CHECK(n, g.stride.size() == k && g.dilation.size() == k && g.pads.size() == 2 * k,
             "strides/dilations/pads do not match image_shape");
  const Shape& x = n.inputs[0]->shape;
  NODE_CHECK(n, x.size() == 3, "input must be [N, C * prod(block_shape), L], got " + ir::shape_to_string(x));
  int64_t kprod = 1, lprod = 1;
  for (size_t i = 0; i < k; ++i) {
    NODE_CHECK(n, g.block[i] >= 1 && g.stride[i] >= 1 && g.dilation[i] >= 1 && g.image[i] >= 1,
               "non-positive image, block, stride or dilation");
    const int64_t span = g.image[i] + g.pads[i] + g.pads[k + i] - ((g.block[i] - 1) * g.dilation[i] + 1);
    NODE_CHECK(n, span >= 0, "the block does not fit the padded image along axis " + std::to_string(i));
    g.grid.push_back(span / g.stride[i] + 1);
    kprod *= g.block[i];
    lprod *= g.grid.back();
  }
  g.n = x[0];
  NODE_CHECK(n, x[1] < 0 || x[1] % kprod == 0, "input channels are not a multiple of prod(block_shape)");
  g.c = x[1] < 0 ? -1 : x[1] / kprod;
  NODE_CHECK(n, x[2] < 0 || x[2] == lprod,
             "input has " + std::to_string(x[2]) + " blocks, the geometry gives " + std::to_string(lprod));
  return g;
}

Status infer_col2im(Node& n) {
  PT_ASSIGN_OR_RETURN(Col2ImGeometry g, geometry(n));
  Shape out{g.n, g.c};
  out.insert(out.end(), g.image.begin(), g.image.end());
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

// Past this many entries the scatter matrix (4 bytes each) would bloat the model.
constexpr int64_t kMaxScatterElements = int64_t{1} << 22;

// Any rank: out[n·C + c, p] = Σ_j rows[n·C + c, j] · S[p, j], S one-hot per column j = (kernel
// offset, block position) that lands inside the image.
Status lower_col2im_fc(LowerContext& ctx, Node& n, const Col2ImGeometry& g) {
  const size_t k = g.image.size();
  int64_t kk = 1, blocks = 1, pixels = 1;
  for (size_t i = 0; i < k; ++i) {
    kk *= g.block[i];
    blocks *= g.grid[i];
    pixels *= g.image[i];
  }
  NODE_UNSUPPORTED_IF(n, pixels * kk * blocks > kMaxScatterElements,
                      std::to_string(k) + "-D Col2Im needs a " + std::to_string(pixels) + " x " +
                          std::to_string(kk * blocks) + " scatter matrix (larger than " +
                          std::to_string(kMaxScatterElements) + " entries)");
  std::vector<float> scatter(static_cast<size_t>(pixels * kk * blocks), 0.0f);
  std::vector<int64_t> off(k, 0), pos(k, 0);
  for (int64_t o = 0; o < kk; ++o) {
    for (int64_t l = 0; l < blocks; ++l) {
      // Unravel the kernel offset o and the block position l (row-major, last axis fastest).
      int64_t ro = o, rl = l, pixel = 0;
      bool inside = true;
      for (int64_t i = static_cast<int64_t>(k) - 1; i >= 0; --i) {
        off[i] = ro % g.block[i];
        ro /= g.block[i];
        pos[i] = rl % g.grid[i];
        rl /= g.grid[i];
      }
      for (size_t i = 0; i < k; ++i) {
        const int64_t c = pos[i] * g.stride[i] - g.pads[i] + off[i] * g.dilation[i];
        inside = inside && c >= 0 && c < g.image[i];
        pixel = pixel * g.image[i] + c;
      }
      if (inside) scatter[static_cast<size_t>(pixel * kk * blocks + o * blocks + l)] = 1.0f;
    }
  }
  Value* rows = ctx.reshape(n, n.inputs[0], {g.n * g.c, kk * blocks});
  Value* y = ctx.temp(n, DType::kFloat32, {g.n * g.c, pixels}, "image_rows");
  ctx.emit("tfl.FULLY_CONNECTED", n,
           {rows, ctx.const_float(n, "scatter", scatter, {pixels, kk * blocks}),
            ctx.const_float(n, "bias", std::vector<float>(static_cast<size_t>(pixels), 0.0f), {pixels})},
           {y});
  ctx.reshape(n, y, n.outputs[0]->shape, n.outputs[0]);
  return Status::ok();
}

Status lower_col2im(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Col2ImGeometry g, geometry(n));
  Value* x = n.inputs[0];
  NODE_UNSUPPORTED_IF(n, x->dtype != DType::kFloat32,
                      std::string("Col2Im of ") + ir::dtype_name(x->dtype) + " (only float32 is lowered)");
  NODE_UNSUPPORTED_IF(n, !ir::is_static(x->shape), "dynamic input shape (fix it with --input-shape)");
  if (g.image.size() != 2) return lower_col2im_fc(ctx, n, g);
  const int64_t c = g.c, kh = g.block[0], kw = g.block[1], kk = kh * kw;
  const int64_t eh = (kh - 1) * g.dilation[0] + 1, ew = (kw - 1) * g.dilation[1] + 1;
  // One-hot filter [C, eh, ew, C·K] (OHWI).
  std::vector<float> filter(static_cast<size_t>(c * eh * ew * c * kk), 0.0f);
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) {
        const int64_t y = i * g.dilation[0], xx = j * g.dilation[1];
        filter[((ch * eh + y) * ew + xx) * (c * kk) + ch * kk + i * kw + j] = 1.0f;
      }
  Value* blocks = ctx.to_channels_last(n, ctx.reshape(n, x, {g.n, c * kk, g.grid[0], g.grid[1]}));
  const int64_t fh = (g.grid[0] - 1) * g.stride[0] + eh, fw = (g.grid[1] - 1) * g.stride[1] + ew;
  Value* full = ctx.temp(n, DType::kFloat32, {g.n, fh, fw, c}, "full");
  Node* op = ctx.emit("tfl.TRANSPOSE_CONV", n,
                      {ctx.const_int32(n, "output_shape", full->shape),
                       ctx.const_float(n, "one_hot", filter, {c, eh, ew, c * kk}), blocks, nullptr},
                      {full});
  op->attrs["padding"] = std::string("VALID");
  op->attrs["stride_h"] = g.stride[0];
  op->attrs["stride_w"] = g.stride[1];
  // Rows [pad_top, pad_top + H) of the padded image; those past fh are zeros.
  Value* y = full;
  const int64_t h = g.image[0], w = g.image[1], pt = g.pads[0], pl = g.pads[1];
  const int64_t kept_h = std::min(fh - pt, h), kept_w = std::min(fw - pl, w);
  if (pt != 0 || pl != 0 || kept_h != fh || kept_w != fw) {
    y = ctx.temp(n, DType::kFloat32, {g.n, kept_h, kept_w, c}, "cropped");
    ctx.emit("tfl.SLICE", n, {full, ctx.const_int32(n, "begin", {0, pt, pl, 0}),
                              ctx.const_int32(n, "size", {g.n, kept_h, kept_w, c})},
             {y});
  }
  if (kept_h != h || kept_w != w) {
    Value* padded = ctx.temp(n, DType::kFloat32, {g.n, h, w, c}, "padded");
    ctx.emit("tfl.PAD", n, {y, ctx.const_int32(n, "paddings", {0, 0, 0, h - kept_h, 0, w - kept_w, 0, 0}, {4, 2})},
             {padded});
    y = padded;
  }
  ctx.from_channels_last(n, y, n.outputs[0]);
  return Status::ok();
}

}  // namespace

void register_col2im(Registry& r) { r.add("Col2Im", {infer_col2im, nullptr, lower_col2im}); }

}  // namespace pt2tflite::lower
