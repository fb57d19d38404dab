// Quantization arithmetic (src/quant/params.h) against the TFLite quantization spec.
#include "quant/params.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace pt2tflite::quant {
namespace {

using ir::DType;

std::vector<int64_t> ints(const ir::Tensor& t) { return t.to_int64s(); }

TEST(QuantParams, IntegerLimits) {
  EXPECT_EQ(qmin(DType::kInt8), -128);
  EXPECT_EQ(qmax(DType::kInt8), 127);
  EXPECT_EQ(qmin(DType::kUInt8), 0);
  EXPECT_EQ(qmax(DType::kUInt8), 255);
  EXPECT_EQ(qmin(DType::kInt16), -32768);
  EXPECT_EQ(qmax(DType::kInt16), 32767);
}

TEST(QuantParams, AsymmetricCoversTheRangeAndZeroIsExact) {
  // Ranges on both sides of 0, and ranges that do not contain it (nudged to include it).
  for (Range r : {Range{-1, 3}, Range{-0.37f, 5.1f}, Range{0.5f, 2}, Range{-3, -1}, Range{-6, 0.01f}}) {
    SCOPED_TRACE(std::to_string(r.min) + ".." + std::to_string(r.max));
    const QParams p = asymmetric(r, -128, 127);
    const double lo = std::min(0.0f, r.min), hi = std::max(0.0f, r.max);
    EXPECT_NEAR(p.scale, (hi - lo) / 255, 1e-6 * (hi - lo));
    ASSERT_GE(p.zero_point, -128);
    ASSERT_LE(p.zero_point, 127);
    // Real 0 quantizes to the zero point and comes back as exactly 0.
    const ir::Tensor q = quantize(ir::Tensor::from_floats({1}, {0.0f}), p, DType::kInt8);
    EXPECT_EQ(ints(q)[0], p.zero_point);
    EXPECT_EQ(dequantize(q, p).to_floats()[0], 0.0f);
    // The integer grid spans the range to within one rounding of the zero point.
    EXPECT_LE((-128 - p.zero_point) * static_cast<double>(p.scale), lo + p.scale / 2 + 1e-6);
    EXPECT_GE((127 - p.zero_point) * static_cast<double>(p.scale), hi - p.scale / 2 - 1e-6);
  }
  // All positive: zero sits at qmin. All negative: at qmax.
  EXPECT_EQ(asymmetric(Range{0.5f, 2}, -128, 127).zero_point, -128);
  EXPECT_EQ(asymmetric(Range{-3, -1}, -128, 127).zero_point, 127);
  EXPECT_EQ(asymmetric(Range{-1, 4}, -128, 127).zero_point, -77);  // -128 + 1 / (5/255)
  EXPECT_EQ(asymmetric(Range{-1, 4}, 0, 255).zero_point, 51);      // uint8: the int8 one + 128
}

TEST(QuantParams, EmptyRangeStillHasAPositiveScale) {
  const QParams p = asymmetric(Range{0, 0}, -128, 127);
  EXPECT_GT(p.scale, 0);
  EXPECT_EQ(p.zero_point, -128);
  EXPECT_GT(symmetric(Range{0, 0}, 127).scale, 0);
}

TEST(QuantParams, SymmetricHasZeroPointZero) {
  const QParams p = symmetric(Range{-2, 5}, 32767);
  EXPECT_EQ(p.zero_point, 0);
  EXPECT_FLOAT_EQ(p.scale, 5.0f / 32767);
  EXPECT_FLOAT_EQ(symmetric(Range{-8, 1}, 127).scale, 8.0f / 127);
}

TEST(QuantParams, RoundTripErrorIsAtMostHalfAStep) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-2.5f, 6.0f);
  std::vector<float> x(1000);
  for (float& v : x) v = u(rng);
  x.push_back(-2.5f);
  x.push_back(6.0f);
  const ir::Tensor f = ir::Tensor::from_floats({static_cast<int64_t>(x.size())}, x);
  for (DType t : {DType::kInt8, DType::kUInt8, DType::kInt16}) {
    const QParams p = t == DType::kInt16 ? symmetric(Range{-2.5f, 6}, qmax(t)) : asymmetric(Range{-2.5f, 6}, qmin(t), qmax(t));
    const ir::Tensor q = quantize(f, p, t);
    EXPECT_EQ(q.dtype, t);
    const std::vector<float> back = dequantize(q, p).to_floats();
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(static_cast<double>(back[i]) - x[i]));
    EXPECT_LE(worst, p.scale / 2 * (1 + 1e-4)) << ir::dtype_name(t);
    EXPECT_GT(worst, p.scale / 4) << "values fall between the levels: some error must show";
  }
}

TEST(QuantParams, QuantizeRoundsHalfAwayFromZeroAndSaturates) {
  const QParams p{0.5f, 0};
  const ir::Tensor q = quantize(ir::Tensor::from_floats({6}, {0.25f, -0.25f, 0.75f, 1000, -1000, NAN}), p, DType::kInt8);
  EXPECT_EQ(ints(q), (std::vector<int64_t>{1, -1, 2, 127, -128, -128}));
}

TEST(QuantParams, WeightsPerChannelAreSymmetricInMinus127To127) {
  // [2, 3], channels along axis 0: max |w| 1 and 4.
  const ir::Tensor w = ir::Tensor::from_floats({2, 3}, {-1, 0.3f, 0.25f, 4, -2.2f, 1});
  const QuantizedWeights q = quantize_weights(w, 0);
  ASSERT_EQ(q.scales.size(), 2u);
  EXPECT_FLOAT_EQ(q.scales[0], 1.0f / 127);
  EXPECT_FLOAT_EQ(q.scales[1], 4.0f / 127);
  EXPECT_EQ(q.data.dtype, DType::kInt8);
  // -1 is -127, never -128 (the spec leaves -128 out).
  EXPECT_EQ(ints(q.data), (std::vector<int64_t>{-127, 38, 32, 127, -70, 32}));

  // The last axis (depthwise 1HWO): channel = index % 2.
  const QuantizedWeights last = quantize_weights(ir::Tensor::from_floats({1, 2, 2}, {1, -8, -0.3f, 2}), 2);
  ASSERT_EQ(last.scales.size(), 2u);
  EXPECT_FLOAT_EQ(last.scales[0], 1.0f / 127);
  EXPECT_FLOAT_EQ(last.scales[1], 8.0f / 127);
  EXPECT_EQ(ints(last.data), (std::vector<int64_t>{127, -127, -38, 32}));

  // Per tensor: one scale from the largest |w|.
  const QuantizedWeights pt = quantize_weights(w, -1);
  ASSERT_EQ(pt.scales.size(), 1u);
  EXPECT_FLOAT_EQ(pt.scales[0], 4.0f / 127);
  EXPECT_EQ(ints(pt.data), (std::vector<int64_t>{-32, 10, 8, 127, -70, 32}));
}

TEST(QuantParams, AllZeroWeightChannelGetsScaleOne) {
  const QuantizedWeights q = quantize_weights(ir::Tensor::from_floats({2, 2}, {0, 0, 3, -3}), 0);
  EXPECT_FLOAT_EQ(q.scales[0], 1.0f);
  EXPECT_FLOAT_EQ(q.scales[1], 3.0f / 127);
  EXPECT_EQ(ints(q.data), (std::vector<int64_t>{0, 0, 127, -127}));
}

TEST(QuantParams, BiasScaleIsInputScaleTimesWeightScale) {
  const ir::Tensor b = ir::Tensor::from_floats({2}, {1.0f, -0.36f});
  const QuantizedBias q = quantize_bias(b, 0.5f, {0.1f, 0.2f}, DType::kInt32);
  ASSERT_EQ(q.scales.size(), 2u);
  EXPECT_FLOAT_EQ(q.scales[0], 0.05f);
  EXPECT_FLOAT_EQ(q.scales[1], 0.1f);
  EXPECT_EQ(q.data.dtype, DType::kInt32);
  EXPECT_EQ(ints(q.data), (std::vector<int64_t>{20, -4}));  // 1/0.05, -0.36/0.1

  // One weight scale for every element; int64 for 16x8.
  const QuantizedBias wide = quantize_bias(ir::Tensor::from_floats({3}, {1e9f, -2, 0}), 0.5f, {0.25f}, DType::kInt64);
  EXPECT_EQ(wide.data.dtype, DType::kInt64);
  EXPECT_EQ(ints(wide.data), (std::vector<int64_t>{8000000000, -16, 0}));
  // int32 saturates where int64 does not.
  const QuantizedBias narrow = quantize_bias(ir::Tensor::from_floats({1}, {1e9f}), 0.5f, {0.25f}, DType::kInt32);
  EXPECT_EQ(ints(narrow.data)[0], 2147483647);
}

}  // namespace
}  // namespace pt2tflite::quant
