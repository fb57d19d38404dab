// Convolution and matrix-product kernels: CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV,
// CONV_3D, CONV_3D_TRANSPOSE, FULLY_CONNECTED, BATCH_MATMUL. NHWC activations, OHWI filters
// (depthwise: 1HWO; 3-D: NDHWC, filters [kD, kH, kW, I, O] and, transposed, [.., O, I]),
// SAME padding split as TFLite's ComputePaddingHeightWidth (the odd row/column at the end).
//
// Speed: CONV_2D is im2col (row blocks of at most kIm2colFloats) times the filter as one
// Eigen GEMM per block (a 1x1 stride-1 convolution multiplies the input in place);
// DEPTHWISE_CONV_2D is a direct loop whose inner loop runs over contiguous channels;
// TRANSPOSE_CONV is one GEMM into per-tap columns, then a scatter-add (col2im).
#include <Eigen/Core>
#include <cstring>

#include "exec/kernel_util.h"

namespace pt2tflite::exec {

namespace {

using ir::Node;
using ir::Shape;
using ir::Tensor;
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMat>;
using Map = Eigen::Map<RowMat>;
using StridedMap = Eigen::Map<RowMat, 0, Eigen::OuterStride<>>;
using ConstStridedMap = Eigen::Map<const RowMat, 0, Eigen::OuterStride<>>;

constexpr int64_t kIm2colFloats = int64_t{1} << 19;  // 2 MB of patches per GEMM block

std::string shape_str(const Shape& s) { return ir::shape_to_string(s); }

// Adds bias (when given) along the last axis and applies the clamp to rows x cols.
void bias_and_clamp(float* y, int64_t rows, int64_t cols, const float* bias, const Clamp& clamp) {
  const bool do_clamp = !clamp.is_identity();
  for (int64_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    if (bias)
      for (int64_t c = 0; c < cols; ++c) row[c] += bias[c];
    if (do_clamp)
      for (int64_t c = 0; c < cols; ++c) row[c] = clamp(row[c]);
  }
}

// Optional bias of `n` floats at input `i`; nullptr when omitted.
Result<const float*> bias_of(const KernelIO& io, size_t i, int64_t n) {
  if (i >= io.in.size() || !io.in[i]) return static_cast<const float*>(nullptr);
  const Tensor& b = *io.in[i];
  PT_RETURN_IF_ERROR(need_float(b, "bias"));
  if (b.size() != n) return invalid_model("bias has " + std::to_string(b.size()) + " elements, expected " + std::to_string(n));
  return b.data<float>();
}

struct Conv2DGeometry {
  int64_t batch, in_h, in_w, in_c;
  int64_t out_h, out_w, out_c;
  int64_t k_h, k_w, filter_c;
  int64_t stride_h, stride_w, dil_h, dil_w;
  int64_t pad_top, pad_left;
};

Status conv_2d(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "input"));
  PT_RETURN_IF_ERROR(need_input(io, 1, "filter"));
  const Tensor& x = *io.in[0];
  const Tensor& f = *io.in[1];
  Tensor& y = *io.out[0];
  PT_RETURN_IF_ERROR(need_float(x, "input"));
  PT_RETURN_IF_ERROR(need_float(f, "filter"));
  if (x.shape.size() != 4 || f.shape.size() != 4)
    return invalid_model("input " + shape_str(x.shape) + " and filter " + shape_str(f.shape) + " must be 4-D");
  Conv2DGeometry g{};
  g.batch = x.shape[0], g.in_h = x.shape[1], g.in_w = x.shape[2], g.in_c = x.shape[3];
  g.out_c = f.shape[0], g.k_h = f.shape[1], g.k_w = f.shape[2], g.filter_c = f.shape[3];
  g.stride_h = n.get_int("stride_h", 1), g.stride_w = n.get_int("stride_w", 1);
  g.dil_h = n.get_int("dilation_h_factor", 1), g.dil_w = n.get_int("dilation_w_factor", 1);
  if (g.filter_c <= 0 || g.in_c % g.filter_c != 0)
    return invalid_model("filter depth " + std::to_string(g.filter_c) + " does not divide the input channels " +
                         std::to_string(g.in_c));
  const int64_t groups = g.in_c / g.filter_c;
  if (g.out_c % groups != 0) return invalid_model("output channels are not a multiple of the group count");
  const std::string padding = padding_of(n);
  const Window wh = window(padding, g.in_h, g.k_h, g.stride_h, g.dil_h);
  const Window ww = window(padding, g.in_w, g.k_w, g.stride_w, g.dil_w);
  g.out_h = wh.out, g.out_w = ww.out, g.pad_top = wh.pad_before, g.pad_left = ww.pad_before;
  if (y.shape != Shape{g.batch, g.out_h, g.out_w, g.out_c})
    return internal_error("output shape " + shape_str(y.shape) + ", the kernel computes " +
                          shape_str({g.batch, g.out_h, g.out_w, g.out_c}));
  PT_ASSIGN_OR_RETURN(const Clamp clamp, fused_activation(n));
  PT_ASSIGN_OR_RETURN(const float* bias, bias_of(io, 2, g.out_c));

  const float* in = x.data<float>();
  const float* filter = f.data<float>();
  float* out = y.data<float>();
  const int64_t pixels = g.out_h * g.out_w;
  const int64_t depth = g.k_h * g.k_w * g.filter_c;  // one patch
  const int64_t group_out = g.out_c / groups;

  const bool pointwise = g.k_h == 1 && g.k_w == 1 && g.stride_h == 1 && g.stride_w == 1 && groups == 1;
  if (pointwise) {
    // [N·H·W, C] × [O, C]ᵀ: the input is its own patch matrix.
    Map(out, g.batch * pixels, g.out_c).noalias() =
        ConstMap(in, g.batch * pixels, g.in_c) * ConstMap(filter, g.out_c, g.in_c).transpose();
  } else {
    const int64_t block = std::max<int64_t>(1, std::min<int64_t>(pixels, kIm2colFloats / std::max<int64_t>(depth, 1)));
    std::vector<float> cols(static_cast<size_t>(block * depth));
    for (int64_t b = 0; b < g.batch; ++b) {
      const float* image = in + b * g.in_h * g.in_w * g.in_c;
      for (int64_t p0 = 0; p0 < pixels; p0 += block) {
        const int64_t rows = std::min(block, pixels - p0);
        for (int64_t grp = 0; grp < groups; ++grp) {
          // im2col: row (oy, ox) holds the patch [kh][kw][filter_c], zeros outside the image.
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t oy = (p0 + r) / g.out_w, ox = (p0 + r) % g.out_w;
            float* dst = cols.data() + r * depth;
            for (int64_t ky = 0; ky < g.k_h; ++ky) {
              const int64_t iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
              for (int64_t kx = 0; kx < g.k_w; ++kx, dst += g.filter_c) {
                const int64_t ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
                if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) {
                  std::memset(dst, 0, sizeof(float) * g.filter_c);
                } else {
                  std::memcpy(dst, image + (iy * g.in_w + ix) * g.in_c + grp * g.filter_c, sizeof(float) * g.filter_c);
                }
              }
            }
          }
          StridedMap(out + (b * pixels + p0) * g.out_c + grp * group_out, rows, group_out,
                     Eigen::OuterStride<>(g.out_c))
              .noalias() = ConstMap(cols.data(), rows, depth) *
                           ConstMap(filter + grp * group_out * depth, group_out, depth).transpose();
        }
      }
    }
  }
  bias_and_clamp(out, g.batch * pixels, g.out_c, bias, clamp);
  return Status::ok();
}

Status depthwise_conv_2d(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "input"));
  PT_RETURN_IF_ERROR(need_input(io, 1, "filter"));
  const Tensor& x = *io.in[0];
  const Tensor& f = *io.in[1];
  Tensor& y = *io.out[0];
  PT_RETURN_IF_ERROR(need_float(x, "input"));
  PT_RETURN_IF_ERROR(need_float(f, "filter"));
  if (x.shape.size() != 4 || f.shape.size() != 4 || f.shape[0] != 1)
    return invalid_model("input " + shape_str(x.shape) + " must be 4-D and filter " + shape_str(f.shape) + " [1,H,W,C·M]");
  const int64_t batch = x.shape[0], in_h = x.shape[1], in_w = x.shape[2], in_c = x.shape[3];
  const int64_t k_h = f.shape[1], k_w = f.shape[2], out_c = f.shape[3];
  if (in_c <= 0 || out_c % in_c != 0)
    return invalid_model("filter channels " + std::to_string(out_c) + " are not a multiple of the input's " +
                         std::to_string(in_c));
  const int64_t mult = out_c / in_c;
  if (n.has("depth_multiplier") && n.get_int("depth_multiplier", 1) != mult)
    return invalid_model("depth_multiplier " + std::to_string(n.get_int("depth_multiplier", 1)) +
                         " does not match the filter (" + std::to_string(mult) + ")");
  const int64_t sh = n.get_int("stride_h", 1), sw = n.get_int("stride_w", 1);
  const int64_t dh = n.get_int("dilation_h_factor", 1), dw = n.get_int("dilation_w_factor", 1);
  const std::string padding = padding_of(n);
  const Window wh = window(padding, in_h, k_h, sh, dh);
  const Window ww = window(padding, in_w, k_w, sw, dw);
  if (y.shape != Shape{batch, wh.out, ww.out, out_c})
    return internal_error("output shape " + shape_str(y.shape) + ", the kernel computes " +
                          shape_str({batch, wh.out, ww.out, out_c}));
  PT_ASSIGN_OR_RETURN(const Clamp clamp, fused_activation(n));
  PT_ASSIGN_OR_RETURN(const float* bias, bias_of(io, 2, out_c));

  const float* in = x.data<float>();
  const float* filter = f.data<float>();
  float* out = y.data<float>();
  for (int64_t b = 0; b < batch; ++b) {
    const float* image = in + b * in_h * in_w * in_c;
    for (int64_t oy = 0; oy < wh.out; ++oy) {
      for (int64_t ox = 0; ox < ww.out; ++ox) {
        float* acc = out + ((b * wh.out + oy) * ww.out + ox) * out_c;
        if (bias) std::memcpy(acc, bias, sizeof(float) * out_c);
        for (int64_t ky = 0; ky < k_h; ++ky) {
          const int64_t iy = oy * sh - wh.pad_before + ky * dh;
          if (iy < 0 || iy >= in_h) continue;
          for (int64_t kx = 0; kx < k_w; ++kx) {
            const int64_t ix = ox * sw - ww.pad_before + kx * dw;
            if (ix < 0 || ix >= in_w) continue;
            const float* src = image + (iy * in_w + ix) * in_c;
            const float* w = filter + (ky * k_w + kx) * out_c;
            if (mult == 1) {
              for (int64_t c = 0; c < in_c; ++c) acc[c] += src[c] * w[c];
            } else {
              for (int64_t c = 0; c < in_c; ++c)
                for (int64_t m = 0; m < mult; ++m) acc[c * mult + m] += src[c] * w[c * mult + m];
            }
          }
        }
        if (!clamp.is_identity())
          for (int64_t c = 0; c < out_c; ++c) acc[c] = clamp(acc[c]);
      }
    }
  }
  return Status::ok();
}

// TRANSPOSE_CONV(output_shape, weights [O,kH,kW,I], input [N,H,W,I], bias?): every input
// pixel scatters input·filter into the output window at (y·stride − pad, x·stride − pad),
// with pad as for a SAME/VALID convolution of the output back to the input.
Status transpose_conv(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "output_shape"));
  PT_RETURN_IF_ERROR(need_input(io, 1, "weights"));
  PT_RETURN_IF_ERROR(need_input(io, 2, "input"));
  const Tensor& f = *io.in[1];
  const Tensor& x = *io.in[2];
  Tensor& y = *io.out[0];
  PT_RETURN_IF_ERROR(need_float(x, "input"));
  PT_RETURN_IF_ERROR(need_float(f, "weights"));
  const std::vector<int64_t> want = ints(*io.in[0]);
  if (want != y.shape) return internal_error("output_shape input differs from the output's shape " + shape_str(y.shape));
  if (x.shape.size() != 4 || f.shape.size() != 4 || y.shape.size() != 4 || f.shape[3] != x.shape[3] ||
      f.shape[0] != y.shape[3] || x.shape[0] != y.shape[0])
    return invalid_model("input " + shape_str(x.shape) + ", weights " + shape_str(f.shape) + " and output " +
                         shape_str(y.shape) + " do not fit");
  const int64_t batch = x.shape[0], in_h = x.shape[1], in_w = x.shape[2], in_c = x.shape[3];
  const int64_t out_c = f.shape[0], k_h = f.shape[1], k_w = f.shape[2];
  const int64_t out_h = y.shape[1], out_w = y.shape[2];
  const int64_t sh = n.get_int("stride_h", 1), sw = n.get_int("stride_w", 1);
  const std::string padding = padding_of(n);
  const int64_t pad_top = window(padding, out_h, k_h, sh, 1).pad_before;
  const int64_t pad_left = window(padding, out_w, k_w, sw, 1).pad_before;
  PT_ASSIGN_OR_RETURN(const Clamp clamp, fused_activation(n));
  PT_ASSIGN_OR_RETURN(const float* bias, bias_of(io, 3, out_c));

  // Weights as rows (ky, kx, o) × I, then columns = X · Wᵀ: [N·H·W, kH·kW·O].
  const int64_t taps = k_h * k_w;
  RowMat w(taps * out_c, in_c);
  const float* pf = f.data<float>();
  for (int64_t o = 0; o < out_c; ++o)
    for (int64_t t = 0; t < taps; ++t)
      for (int64_t i = 0; i < in_c; ++i) w(t * out_c + o, i) = pf[(o * taps + t) * in_c + i];
  const int64_t in_pixels = in_h * in_w;
  RowMat cols = ConstMap(x.data<float>(), batch * in_pixels, in_c) * w.transpose();
  float* out = y.data<float>();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t iy = 0; iy < in_h; ++iy)
      for (int64_t ix = 0; ix < in_w; ++ix) {
        const float* col = cols.data() + ((b * in_h + iy) * in_w + ix) * taps * out_c;
        for (int64_t ky = 0; ky < k_h; ++ky) {
          const int64_t oy = iy * sh - pad_top + ky;
          if (oy < 0 || oy >= out_h) continue;
          for (int64_t kx = 0; kx < k_w; ++kx) {
            const int64_t ox = ix * sw - pad_left + kx;
            if (ox < 0 || ox >= out_w) continue;
            float* dst = out + ((b * out_h + oy) * out_w + ox) * out_c;
            const float* src = col + (ky * k_w + kx) * out_c;
            for (int64_t o = 0; o < out_c; ++o) dst[o] += src[o];
          }
        }
      }
  bias_and_clamp(out, batch * out_h * out_w, out_c, bias, clamp);
  return Status::ok();
}

// CONV_3D(input [N, D, H, W, I], filter [kD, kH, kW, I, O], bias [O]?): im2col row blocks
// (patch order kd, kh, kw, i — the filter's own row order) times the filter as [K, O].
Status conv_3d(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "input"));
  PT_RETURN_IF_ERROR(need_input(io, 1, "filter"));
  const Tensor& x = *io.in[0];
  const Tensor& f = *io.in[1];
  Tensor& y = *io.out[0];
  PT_RETURN_IF_ERROR(need_float(x, "input"));
  PT_RETURN_IF_ERROR(need_float(f, "filter"));
  if (x.shape.size() != 5 || f.shape.size() != 5 || f.shape[3] != x.shape[4])
    return invalid_model("input " + shape_str(x.shape) + " and filter " + shape_str(f.shape) +
                         " must be [N,D,H,W,I] and [kD,kH,kW,I,O]");
  const int64_t batch = x.shape[0], in_c = x.shape[4], out_c = f.shape[4];
  const int64_t in[3] = {x.shape[1], x.shape[2], x.shape[3]}, k[3] = {f.shape[0], f.shape[1], f.shape[2]};
  const int64_t stride[3] = {n.get_int("stride_d", 1), n.get_int("stride_h", 1), n.get_int("stride_w", 1)};
  const int64_t dil[3] = {n.get_int("dilation_d_factor", 1), n.get_int("dilation_h_factor", 1),
                          n.get_int("dilation_w_factor", 1)};
  const std::string padding = padding_of(n);
  int64_t out[3], pad[3];
  for (int a = 0; a < 3; ++a) {
    const Window w = window(padding, in[a], k[a], stride[a], dil[a]);
    out[a] = w.out;
    pad[a] = w.pad_before;
  }
  if (y.shape != Shape{batch, out[0], out[1], out[2], out_c})
    return internal_error("output shape " + shape_str(y.shape) + ", the kernel computes " +
                          shape_str({batch, out[0], out[1], out[2], out_c}));
  PT_ASSIGN_OR_RETURN(const Clamp clamp, fused_activation(n));
  PT_ASSIGN_OR_RETURN(const float* bias, bias_of(io, 2, out_c));
  const float* src = x.data<float>();
  float* dst = y.data<float>();
  const int64_t cells = out[0] * out[1] * out[2];
  const int64_t depth = k[0] * k[1] * k[2] * in_c;
  const int64_t block = std::max<int64_t>(1, std::min<int64_t>(cells, kIm2colFloats / std::max<int64_t>(depth, 1)));
  std::vector<float> cols(static_cast<size_t>(block * depth));
  for (int64_t b = 0; b < batch; ++b) {
    const float* volume = src + b * in[0] * in[1] * in[2] * in_c;
    for (int64_t p0 = 0; p0 < cells; p0 += block) {
      const int64_t rows = std::min(block, cells - p0);
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t p = p0 + r;
        const int64_t od = p / (out[1] * out[2]), oh = (p / out[2]) % out[1], ow = p % out[2];
        float* row = cols.data() + r * depth;
        for (int64_t kd = 0; kd < k[0]; ++kd) {
          const int64_t id = od * stride[0] - pad[0] + kd * dil[0];
          for (int64_t kh = 0; kh < k[1]; ++kh) {
            const int64_t ih = oh * stride[1] - pad[1] + kh * dil[1];
            for (int64_t kw = 0; kw < k[2]; ++kw, row += in_c) {
              const int64_t iw = ow * stride[2] - pad[2] + kw * dil[2];
              if (id < 0 || id >= in[0] || ih < 0 || ih >= in[1] || iw < 0 || iw >= in[2])
                std::memset(row, 0, sizeof(float) * in_c);
              else
                std::memcpy(row, volume + ((id * in[1] + ih) * in[2] + iw) * in_c, sizeof(float) * in_c);
            }
          }
        }
      }
      Map(dst + (b * cells + p0) * out_c, rows, out_c).noalias() =
          ConstMap(cols.data(), rows, depth) * ConstMap(f.data<float>(), depth, out_c);
    }
  }
  bias_and_clamp(dst, batch * cells, out_c, bias, clamp);
  return Status::ok();
}

// CONV_3D_TRANSPOSE(output_shape, filter [kD, kH, kW, O, I], input [N, D, H, W, I], bias?):
// every input cell scatters input·filter into the output window at cell·stride − pad (taps
// dilation apart), pad as for a SAME/VALID CONV_3D of the output back to the input.
Status conv_3d_transpose(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "output_shape"));
  PT_RETURN_IF_ERROR(need_input(io, 1, "filter"));
  PT_RETURN_IF_ERROR(need_input(io, 2, "input"));
  const Tensor& f = *io.in[1];
  const Tensor& x = *io.in[2];
  Tensor& y = *io.out[0];
  PT_RETURN_IF_ERROR(need_float(x, "input"));
  PT_RETURN_IF_ERROR(need_float(f, "filter"));
  if (ints(*io.in[0]) != y.shape) return internal_error("output_shape input differs from the output's shape " + shape_str(y.shape));
  if (x.shape.size() != 5 || f.shape.size() != 5 || y.shape.size() != 5 || f.shape[4] != x.shape[4] ||
      f.shape[3] != y.shape[4] || x.shape[0] != y.shape[0])
    return invalid_model("input " + shape_str(x.shape) + ", filter " + shape_str(f.shape) + " and output " +
                         shape_str(y.shape) + " do not fit");
  const int64_t batch = x.shape[0], in_c = x.shape[4], out_c = f.shape[3];
  const int64_t in[3] = {x.shape[1], x.shape[2], x.shape[3]}, k[3] = {f.shape[0], f.shape[1], f.shape[2]};
  const int64_t out[3] = {y.shape[1], y.shape[2], y.shape[3]};
  const int64_t stride[3] = {n.get_int("stride_d", 1), n.get_int("stride_h", 1), n.get_int("stride_w", 1)};
  const int64_t dil[3] = {n.get_int("dilation_d_factor", 1), n.get_int("dilation_h_factor", 1),
                          n.get_int("dilation_w_factor", 1)};
  const std::string padding = padding_of(n);
  int64_t pad[3];
  for (int a = 0; a < 3; ++a) {
    const Window w = window(padding, out[a], k[a], stride[a], dil[a]);
    if (w.out != in[a]) return invalid_model("input " + shape_str(x.shape) + " does not match output " + shape_str(y.shape));
    pad[a] = w.pad_before;
  }
  PT_ASSIGN_OR_RETURN(const Clamp clamp, fused_activation(n));
  PT_ASSIGN_OR_RETURN(const float* bias, bias_of(io, 3, out_c));
  // The filter is already [taps·O, I]: columns = X · Wᵀ, [N·D·H·W, taps·O].
  const int64_t taps = k[0] * k[1] * k[2];
  const int64_t cells = in[0] * in[1] * in[2];
  RowMat cols = ConstMap(x.data<float>(), batch * cells, in_c) * ConstMap(f.data<float>(), taps * out_c, in_c).transpose();
  float* dst = y.data<float>();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < cells; ++c) {
      const int64_t id = c / (in[1] * in[2]), ih = (c / in[2]) % in[1], iw = c % in[2];
      const float* col = cols.data() + (b * cells + c) * taps * out_c;
      for (int64_t kd = 0; kd < k[0]; ++kd) {
        const int64_t od = id * stride[0] - pad[0] + kd * dil[0];
        if (od < 0 || od >= out[0]) continue;
        for (int64_t kh = 0; kh < k[1]; ++kh) {
          const int64_t oh = ih * stride[1] - pad[1] + kh * dil[1];
          if (oh < 0 || oh >= out[1]) continue;
          for (int64_t kw = 0; kw < k[2]; ++kw) {
            const int64_t ow = iw * stride[2] - pad[2] + kw * dil[2];
            if (ow < 0 || ow >= out[2]) continue;
            float* o = dst + (((b * out[0] + od) * out[1] + oh) * out[2] + ow) * out_c;
            const float* v = col + ((kd * k[1] + kh) * k[2] + kw) * out_c;
            for (int64_t j = 0; j < out_c; ++j) o[j] += v[j];
          }
        }
      }
    }
  bias_and_clamp(dst, batch * out[0] * out[1] * out[2], out_c, bias, clamp);
  return Status::ok();
}

// FULLY_CONNECTED(input [..., K], weights [N, K], bias [N]?): rows of the input times Wᵀ.
Status fully_connected(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "input"));
  PT_RETURN_IF_ERROR(need_input(io, 1, "weights"));
  const Tensor& x = *io.in[0];
  const Tensor& w = *io.in[1];
  Tensor& y = *io.out[0];
  PT_RETURN_IF_ERROR(need_float(x, "input"));
  PT_RETURN_IF_ERROR(need_float(w, "weights"));
  if (w.shape.size() != 2) return invalid_model("weights " + shape_str(w.shape) + " are not 2-D");
  const int64_t units = w.shape[0], depth = w.shape[1];
  if (depth <= 0 || x.size() % depth != 0)
    return invalid_model("input " + shape_str(x.shape) + " does not split into rows of " + std::to_string(depth));
  const int64_t rows = x.size() / depth;
  if (y.size() != rows * units) return internal_error("output shape " + shape_str(y.shape) + " does not hold " +
                                                      std::to_string(rows) + "x" + std::to_string(units));
  PT_ASSIGN_OR_RETURN(const Clamp clamp, fused_activation(n));
  PT_ASSIGN_OR_RETURN(const float* bias, bias_of(io, 2, units));
  Map(y.data<float>(), rows, units).noalias() =
      ConstMap(x.data<float>(), rows, depth) * ConstMap(w.data<float>(), units, depth).transpose();
  bias_and_clamp(y.data<float>(), rows, units, bias, clamp);
  return Status::ok();
}

// BATCH_MATMUL(x [..., M, K], y [..., K, N]) with adj_x/adj_y transposing the last two axes;
// batch axes broadcast like numpy.
Status batch_matmul(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "x"));
  PT_RETURN_IF_ERROR(need_input(io, 1, "y"));
  const Tensor& a = *io.in[0];
  const Tensor& b = *io.in[1];
  Tensor& out = *io.out[0];
  PT_RETURN_IF_ERROR(need_float(a, "x"));
  PT_RETURN_IF_ERROR(need_float(b, "y"));
  if (a.shape.size() < 2 || b.shape.size() < 2) return invalid_model("operands must have rank >= 2");
  const bool adj_x = n.get_int("adj_x", 0) != 0, adj_y = n.get_int("adj_y", 0) != 0;
  const size_t ra = a.shape.size(), rb = b.shape.size();
  const int64_t a_rows = a.shape[ra - 2], a_cols = a.shape[ra - 1];
  const int64_t b_rows = b.shape[rb - 2], b_cols = b.shape[rb - 1];
  const int64_t m = adj_x ? a_cols : a_rows, k = adj_x ? a_rows : a_cols;
  const int64_t k2 = adj_y ? b_cols : b_rows, nn = adj_y ? b_rows : b_cols;
  if (k != k2) return invalid_model("inner dimensions differ: " + shape_str(a.shape) + " and " + shape_str(b.shape));
  const Shape batch_a(a.shape.begin(), a.shape.end() - 2), batch_b(b.shape.begin(), b.shape.end() - 2);
  Shape batch;
  if (!ir::broadcast_shapes(batch_a, batch_b, &batch)) return invalid_model("batch dimensions do not broadcast");
  Shape want = batch;
  want.push_back(m);
  want.push_back(nn);
  if (out.shape != want) return internal_error("output shape " + shape_str(out.shape) + ", expected " + shape_str(want));
  Broadcast plan;
  plan_broadcast({&batch_a, &batch_b}, batch, &plan);
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* po = out.data<float>();
  for_each_run<2>(plan, [&](int64_t o, const int64_t* offs, int64_t count, const int64_t* steps) {
    for (int64_t i = 0; i < count; ++i) {
      ConstMap ma(pa + (offs[0] + i * steps[0]) * a_rows * a_cols, a_rows, a_cols);
      ConstMap mb(pb + (offs[1] + i * steps[1]) * b_rows * b_cols, b_rows, b_cols);
      Map mo(po + (o + i) * m * nn, m, nn);
      if (!adj_x && !adj_y) mo.noalias() = ma * mb;
      else if (adj_x && !adj_y) mo.noalias() = ma.transpose() * mb;
      else if (!adj_x && adj_y) mo.noalias() = ma * mb.transpose();
      else mo.noalias() = ma.transpose() * mb.transpose();
    }
  });
  return Status::ok();
}

}  // namespace

void register_conv_kernels(KernelTable& t) {
  t.add("tfl.CONV_2D", conv_2d);
  t.add("tfl.DEPTHWISE_CONV_2D", depthwise_conv_2d);
  t.add("tfl.TRANSPOSE_CONV", transpose_conv);
  t.add("tfl.CONV_3D", conv_3d);
  t.add("tfl.CONV_3D_TRANSPOSE", conv_3d_transpose);
  t.add("tfl.FULLY_CONNECTED", fully_connected);
  t.add("tfl.BATCH_MATMUL", batch_matmul);
}

}  // namespace pt2tflite::exec
