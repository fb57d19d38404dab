// CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED, BATCH_MATMUL: hand-computed
// cases for the padding split and activations, plus naive loops for grouped/dilated shapes.
#include <gtest/gtest.h>

#include <random>

#include "exec_test_util.h"

namespace pt2tflite::exec {
namespace {

using namespace pt2tflite::testing;
using Attrs = std::map<std::string, ir::Attribute>;

std::vector<float> random_floats(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

Attrs conv_attrs(const std::string& padding, int64_t sh, int64_t sw, const std::string& act = "NONE") {
  return {{"padding", padding}, {"stride_h", sh}, {"stride_w", sw}, {"fused_activation_function", act}};
}

TEST(ConvKernels, Conv2DValidWithBias) {
  auto y = run_f("tfl.CONV_2D", {Iota({1, 3, 3, 1}, 1, 1), F({1, 2, 2, 1}, {1, 1, 1, 1}), F({1}, {1})}, {1, 2, 2, 1},
                 conv_attrs("VALID", 1, 1));
  expect_near(y, {13, 17, 25, 29});
}

TEST(ConvKernels, Conv2DSamePutsTheOddPadAtTheEnd) {
  // 3x3 input, 2x2 filter, stride 2: total padding 1 goes after (TFLite), not before.
  auto y = run_f("tfl.CONV_2D", {Iota({1, 3, 3, 1}, 1, 1), F({1, 2, 2, 1}, {1, 1, 1, 1}), std::nullopt}, {1, 2, 2, 1},
                 conv_attrs("SAME", 2, 2));
  expect_near(y, {12, 9, 15, 9});
}

TEST(ConvKernels, Conv2DSame3x3) {
  auto y = run_f("tfl.CONV_2D", {Iota({1, 3, 3, 1}, 1, 1), F({1, 3, 3, 1}, std::vector<float>(9, 1.0f)), F({1}, {0})},
                 {1, 3, 3, 1}, conv_attrs("SAME", 1, 1));
  expect_near(y, {12, 21, 16, 27, 45, 33, 24, 39, 28});
}

TEST(ConvKernels, Conv2DFusedRelu6) {
  auto y = run_f("tfl.CONV_2D", {Iota({1, 3, 3, 1}, 1, 1), F({1, 2, 2, 1}, {1, 1, 1, 1}), F({1}, {-20})}, {1, 2, 2, 1},
                 conv_attrs("VALID", 1, 1, "RELU6"));
  expect_near(y, {0, 0, 4, 6});
}

TEST(ConvKernels, Conv2DRefusesFusedTanh) {
  // TFLite's CONV_2D does not apply a fused TANH: computing it would hide a wrong graph.
  auto r = run_op("tfl.CONV_2D", {Iota({1, 3, 3, 1}), F({1, 2, 2, 1}, {1, 1, 1, 1}), std::nullopt}, {{{1, 2, 2, 1}}},
                  conv_attrs("VALID", 1, 1, "TANH"));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("TANH"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("tfl.CONV_2D"), std::string::npos) << r.status().message();
}

// Naive NHWC/OHWI convolution with groups, dilation and TFLite's padding.
std::vector<float> naive_conv(const ir::Tensor& x, const ir::Tensor& f, const std::vector<float>& bias, int64_t sh,
                              int64_t sw, int64_t dh, int64_t dw, int64_t pad_t, int64_t pad_l, int64_t oh, int64_t ow) {
  const auto xs = x.shape, fs = f.shape;
  const auto xv = x.to_floats(), fv = f.to_floats();
  const int64_t N = xs[0], H = xs[1], W = xs[2], C = xs[3], O = fs[0], KH = fs[1], KW = fs[2], I = fs[3];
  const int64_t groups = C / I, og = O / groups;
  std::vector<float> y;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t a = 0; a < oh; ++a)
      for (int64_t b = 0; b < ow; ++b)
        for (int64_t o = 0; o < O; ++o) {
          double acc = bias[o];
          const int64_t g = o / og;
          for (int64_t ky = 0; ky < KH; ++ky)
            for (int64_t kx = 0; kx < KW; ++kx)
              for (int64_t i = 0; i < I; ++i) {
                const int64_t iy = a * sh - pad_t + ky * dh, ix = b * sw - pad_l + kx * dw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                acc += xv[((n * H + iy) * W + ix) * C + g * I + i] * fv[((o * KH + ky) * KW + kx) * I + i];
              }
          y.push_back(static_cast<float>(acc));
        }
  return y;
}

TEST(ConvKernels, Conv2DGroupedDilatedStridedMatchesNaive) {
  // 2 batches, 7x6 image, 4 channels in 2 groups, 6 outputs, 3x2 kernel, dilation 2x1, stride 2x1, SAME.
  ir::Tensor x = F({2, 7, 6, 4}, random_floats(2 * 7 * 6 * 4, 1));
  ir::Tensor f = F({6, 3, 2, 2}, random_floats(6 * 3 * 2 * 2, 2));
  const std::vector<float> bias = random_floats(6, 3);
  // SAME: out = ceil(7/2)=4, ceil(6/1)=6; eff kernel 5x2: pad_h total (4-1)*2+5-7=4 → 2; pad_w total 1 → 0.
  Attrs a = conv_attrs("SAME", 2, 1);
  a["dilation_h_factor"] = int64_t{2};
  auto y = run_f("tfl.CONV_2D", {x, f, F({6}, bias)}, {2, 4, 6, 6}, a);
  expect_near(y, naive_conv(x, f, bias, 2, 1, 2, 1, 2, 0, 4, 6), 1e-5f);
}

TEST(ConvKernels, Conv2DPointwiseMatchesNaive) {
  ir::Tensor x = F({1, 5, 5, 8}, random_floats(200, 4));
  ir::Tensor f = F({3, 1, 1, 8}, random_floats(24, 5));
  auto y = run_f("tfl.CONV_2D", {x, f, std::nullopt}, {1, 5, 5, 3}, conv_attrs("VALID", 1, 1));
  expect_near(y, naive_conv(x, f, {0, 0, 0}, 1, 1, 1, 1, 0, 0, 5, 5), 1e-5f);
}

TEST(ConvKernels, DepthwiseWithMultiplierMatchesNaive) {
  // Depthwise = grouped conv with one input channel per group: filter [1,kh,kw,C·M] → [C·M,kh,kw,1].
  const int64_t C = 3, M = 2;
  ir::Tensor x = F({1, 5, 4, C}, random_floats(5 * 4 * C, 6));
  ir::Tensor f = F({1, 3, 3, C * M}, random_floats(9 * C * M, 7));
  const std::vector<float> bias = random_floats(C * M, 8);
  ir::Tensor as_grouped = ir::transpose(f, {3, 1, 2, 0});
  Attrs a = conv_attrs("SAME", 2, 2, "RELU");
  a["depth_multiplier"] = M;
  auto y = run_f("tfl.DEPTHWISE_CONV_2D", {x, f, F({C * M}, bias)}, {1, 3, 2, C * M}, a);
  auto want = naive_conv(x, as_grouped, bias, 2, 2, 1, 1, 1, 0, 3, 2);  // pads: h (3-1)*2+3-5=2 → 1, w 1 → 0
  for (float& v : want) v = std::max(v, 0.0f);
  expect_near(y, want, 1e-5f);
}

TEST(ConvKernels, DepthwiseSimple) {
  // One channel, 2x2 ones filter, VALID: sums of 2x2 windows.
  auto y = run_f("tfl.DEPTHWISE_CONV_2D", {Iota({1, 3, 3, 1}, 1, 1), F({1, 2, 2, 1}, {1, 1, 1, 1}), F({1}, {0.5f})},
                 {1, 2, 2, 1}, conv_attrs("VALID", 1, 1));
  expect_near(y, {12.5f, 16.5f, 24.5f, 28.5f});
}

TEST(ConvKernels, TransposeConvStride2Valid) {
  auto y = run_f("tfl.TRANSPOSE_CONV", {I32({1, 4, 4, 1}), F({1, 2, 2, 1}, {1, 1, 1, 1}), Iota({1, 2, 2, 1}, 1, 1)},
                 {1, 4, 4, 1}, conv_attrs("VALID", 2, 2));
  expect_near(y, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
}

TEST(ConvKernels, TransposeConvSameWithBiasAndRelu) {
  // stride 1, 3x3 filter, SAME on 2x2 (pad 1): out[oy,ox,o] = Σ in[iy,ix] · w[o, oy-iy+1, ox-ix+1, 0],
  // then bias -12 and RELU. Weights alternate 1, 2 over the flattened [O,kH,kW] taps.
  std::vector<float> w(18);
  for (size_t i = 0; i < w.size(); ++i) w[i] = i % 2 ? 2.0f : 1.0f;
  auto y = run_f("tfl.TRANSPOSE_CONV", {I32({1, 2, 2, 2}), F({2, 3, 3, 1}, w), Iota({1, 2, 2, 1}, 1, 1), F({2}, {-12, -12})},
                 {1, 2, 2, 2}, conv_attrs("SAME", 1, 1, "RELU"));
  ASSERT_EQ(y.size(), 8u);
  const float in[2][2] = {{1, 2}, {3, 4}};
  for (int oy = 0; oy < 2; ++oy)
    for (int ox = 0; ox < 2; ++ox)
      for (int o = 0; o < 2; ++o) {
        float acc = -12;
        for (int iy = 0; iy < 2; ++iy)
          for (int ix = 0; ix < 2; ++ix) acc += in[iy][ix] * w[(o * 3 + oy - iy + 1) * 3 + ox - ix + 1];
        EXPECT_NEAR(y[(oy * 2 + ox) * 2 + o], std::max(acc, 0.0f), 1e-5f) << oy << "," << ox << "," << o;
      }
}

TEST(ConvKernels, FullyConnected) {
  ir::Tensor w = F({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f});
  expect_near(run_f("tfl.FULLY_CONNECTED", {Iota({2, 3}), w, F({2}, {1, 0})}, {2, 2}), {-1, 1.5f, -1, 6});
  expect_near(run_f("tfl.FULLY_CONNECTED", {Iota({1, 2, 3}), w, std::nullopt}, {1, 2, 2}, {{"keep_num_dims", int64_t{1}}}),
              {-2, 1.5f, -2, 6});
  expect_near(run_f("tfl.FULLY_CONNECTED", {Iota({2, 3}), w, F({2}, {1, 0})}, {2, 2},
                    {{"fused_activation_function", std::string("RELU")}}),
              {0, 1.5f, 0, 6});
}

TEST(ConvKernels, BatchMatMulBroadcastAndAdjoint) {
  ir::Tensor a = Iota({2, 2, 3});
  ir::Tensor b = F({3, 2}, {1, 0, 0, 1, 1, 1});
  // a[0] = [[0,1,2],[3,4,5]] · b = [[2,3],[8,9]]; a[1] = [[6,7,8],[9,10,11]] · b = [[14,15],[20,21]].
  expect_near(run_f("tfl.BATCH_MATMUL", {a, b}, {2, 2, 2}), {2, 3, 8, 9, 14, 15, 20, 21});
  expect_near(run_f("tfl.BATCH_MATMUL", {a, ir::transpose(b, {1, 0})}, {2, 2, 2}, {{"adj_y", int64_t{1}}}),
              {2, 3, 8, 9, 14, 15, 20, 21});
  expect_near(run_f("tfl.BATCH_MATMUL", {ir::transpose(a, {0, 2, 1}), b}, {2, 2, 2}, {{"adj_x", int64_t{1}}}),
              {2, 3, 8, 9, 14, 15, 20, 21});
  // Batch broadcast [2,1,1,2] × [3,2,1]: output [2,3,1,1].
  expect_near(run_f("tfl.BATCH_MATMUL", {Iota({2, 1, 1, 2}), Iota({3, 2, 1})}, {2, 3, 1, 1}),
              {1, 3, 5, 3, 13, 23});
}

// CONV_3D, NDHWC with a [kD, kH, kW, I, O] filter, SAME: D 5 → 3 (k3 s2: total pad 2, 1
// before), H 4 → 4 (k2 dilation 2: total 2, 1 before), W 5 → 3 (k3 s2: total 2, 1 before),
// against a naive loop with those pads.
TEST(ConvKernels, Conv3DSameStridedDilatedMatchesNaive) {
  const int64_t N = 2, D = 5, H = 4, W = 5, I = 3, O = 4, KD = 3, KH = 2, KW = 3;
  ir::Tensor x = F({N, D, H, W, I}, random_floats(N * D * H * W * I, 11));
  ir::Tensor f = F({KD, KH, KW, I, O}, random_floats(KD * KH * KW * I * O, 12));
  const std::vector<float> bias = random_floats(O, 13);
  const int64_t s[3] = {2, 1, 2}, d[3] = {1, 2, 1};
  // SAME: out = ceil(in / s); pad before = ((out - 1) * s + (k - 1) * d + 1 - in) / 2.
  const int64_t od = 3, oh = 4, ow = 3, pd = 1, ph = 1, pw = 1;
  Attrs a{{"padding", std::string("SAME")}, {"stride_d", s[0]}, {"stride_h", s[1]}, {"stride_w", s[2]},
          {"dilation_d_factor", d[0]}, {"dilation_h_factor", d[1]}, {"dilation_w_factor", d[2]}};
  auto y = run_f("tfl.CONV_3D", {x, f, F({O}, bias)}, {N, od, oh, ow, O}, a);
  const auto xv = x.to_floats(), fv = f.to_floats();
  std::vector<float> want;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t a0 = 0; a0 < od; ++a0)
      for (int64_t a1 = 0; a1 < oh; ++a1)
        for (int64_t a2 = 0; a2 < ow; ++a2)
          for (int64_t o = 0; o < O; ++o) {
            double acc = bias[o];
            for (int64_t kd = 0; kd < KD; ++kd)
              for (int64_t kh = 0; kh < KH; ++kh)
                for (int64_t kw = 0; kw < KW; ++kw) {
                  const int64_t iz = a0 * s[0] - pd + kd * d[0], iy = a1 * s[1] - ph + kh * d[1],
                                ix = a2 * s[2] - pw + kw * d[2];
                  if (iz < 0 || iz >= D || iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                  for (int64_t i = 0; i < I; ++i)
                    acc += xv[(((n * D + iz) * H + iy) * W + ix) * I + i] *
                           fv[(((kd * KH + kh) * KW + kw) * I + i) * O + o];
                }
            want.push_back(static_cast<float>(acc));
          }
  expect_near(y, want, 1e-5f);
}

// CONV_3D_TRANSPOSE is the adjoint of CONV_3D with the same filter bytes ([kD, kH, kW, Ca, Cb]
// read as I = Ca, O = Cb by CONV_3D and as O = Ca, I = Cb by the transpose), the same
// padding, strides and dilations: <conv(x), y> = <x, conv_transpose(y)>.
TEST(ConvKernels, Conv3DTransposeIsTheAdjointOfConv3D) {
  for (const std::string padding : {"SAME", "VALID"}) {
    const int64_t N = 1, D = 6, H = 5, W = 7, Ca = 3, Cb = 2;
    const ir::Shape fs{3, 2, 3, Ca, Cb};
    ir::Tensor f = F(fs, random_floats(static_cast<size_t>(ir::num_elements(fs)), 21));
    Attrs a{{"padding", padding}, {"stride_d", int64_t{2}}, {"stride_h", int64_t{1}}, {"stride_w", int64_t{2}},
            {"dilation_d_factor", int64_t{1}}, {"dilation_h_factor", int64_t{2}}, {"dilation_w_factor", int64_t{1}}};
    // Output extents of the forward conv.
    const bool same = padding == "SAME";
    const int64_t od = same ? 3 : (D - 3) / 2 + 1, oh = same ? 5 : H - 3 + 1, ow = same ? 4 : (W - 3) / 2 + 1;
    ir::Tensor x = F({N, D, H, W, Ca}, random_floats(N * D * H * W * Ca, 22));
    ir::Tensor y = F({N, od, oh, ow, Cb}, random_floats(N * od * oh * ow * Cb, 23));
    auto cx = run_f("tfl.CONV_3D", {x, f, std::nullopt}, {N, od, oh, ow, Cb}, a);
    auto ty = run_f("tfl.CONV_3D_TRANSPOSE", {I32({N, D, H, W, Ca}), f, y, std::nullopt}, {N, D, H, W, Ca}, a);
    ASSERT_EQ(cx.size(), static_cast<size_t>(y.size()));
    ASSERT_EQ(ty.size(), static_cast<size_t>(x.size()));
    double lhs = 0, rhs = 0;
    const auto yv = y.to_floats(), xv = x.to_floats();
    for (size_t i = 0; i < cx.size(); ++i) lhs += static_cast<double>(cx[i]) * yv[i];
    for (size_t i = 0; i < ty.size(); ++i) rhs += static_cast<double>(ty[i]) * xv[i];
    EXPECT_NEAR(lhs, rhs, 1e-4 * std::max(1.0, std::abs(lhs))) << padding;
  }
}

}  // namespace
}  // namespace pt2tflite::exec
