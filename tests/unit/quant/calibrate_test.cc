// Calibration observers (src/quant/calibrate.h): x → RELU → y run on the reference kernels.
#include "quant/calibrate.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>

#include "graph_builder.h"

namespace pt2tflite::quant {
namespace {

using pt2tflite::testing::Builder;

struct ReluGraph {
  Builder b;
  explicit ReluGraph(int64_t n) {
    ir::Value* x = b.input("x", {1, n});
    ir::Value* y = b.value("y", {1, n});
    b.node("tfl.RELU", {x}, {y});
    b.g.outputs = {y};
  }
};

Sample sample(std::vector<float> v) { return {ir::Tensor::from_floats({1, static_cast<int64_t>(v.size())}, v)}; }

RangeMap run(const ir::Graph& g, const std::vector<Sample>& s, ObserverKind kind, double percentile = 99.99) {
  CalibrationOptions o;
  o.observer = kind;
  o.percentile = percentile;
  Result<RangeMap> r = calibrate(g, s, o);
  EXPECT_TRUE(r.is_ok()) << (r.is_ok() ? "" : r.status().message());
  return r.is_ok() ? r.value() : RangeMap{};
}

TEST(Calibrate, MinMaxCoversEverySampleForInputsAndOutputs) {
  ReluGraph m(3);
  const RangeMap r = run(m.b.g, {sample({-1, 2, 0.5f}), sample({-5, 1, 3})}, ObserverKind::kMinMax);
  ASSERT_EQ(r.count("x"), 1u);
  ASSERT_EQ(r.count("y"), 1u);
  EXPECT_FLOAT_EQ(r.at("x").min, -5);
  EXPECT_FLOAT_EQ(r.at("x").max, 3);
  EXPECT_FLOAT_EQ(r.at("y").min, 0);
  EXPECT_FLOAT_EQ(r.at("y").max, 3);
}

TEST(Calibrate, MovingAverageWeighsLaterSamplesByOnePercent) {
  ReluGraph m(2);
  const RangeMap r = run(m.b.g, {sample({-1, 1}), sample({-3, 5}), sample({-3, 5})}, ObserverKind::kMovingAverage);
  // Start at [-1, 1]; then twice acc = 0.99 acc + 0.01 new.
  const double min1 = 0.99 * -1 + 0.01 * -3, max1 = 0.99 * 1 + 0.01 * 5;
  EXPECT_NEAR(r.at("x").min, 0.99 * min1 + 0.01 * -3, 1e-5);
  EXPECT_NEAR(r.at("x").max, 0.99 * max1 + 0.01 * 5, 1e-5);
  // Much narrower than min/max's [-3, 5] of the same samples.
  const RangeMap mm = run(m.b.g, {sample({-1, 1}), sample({-3, 5}), sample({-3, 5})}, ObserverKind::kMinMax);
  EXPECT_FLOAT_EQ(mm.at("x").max, 5);
}

TEST(Calibrate, PercentileClipsARareOutlier) {
  // 4000 values evenly in [0, 1) and one outlier at 1000.
  std::vector<float> v;
  for (int i = 0; i < 4000; ++i) v.push_back(static_cast<float>(i) / 4000);
  v.push_back(1000);
  ReluGraph m(static_cast<int64_t>(v.size()));
  const RangeMap mm = run(m.b.g, {sample(v)}, ObserverKind::kMinMax);
  EXPECT_FLOAT_EQ(mm.at("x").max, 1000);
  const RangeMap p = run(m.b.g, {sample(v)}, ObserverKind::kPercentile, 99.9);
  // 2048 bins over [0, 1000]: the kept top is the edge of the bin holding the 99.9th
  // percentile (≈ 1.0), one bin (≈ 0.49) wide.
  EXPECT_GE(p.at("x").max, 0.99f);
  EXPECT_LE(p.at("x").max, 1.5f);
  EXPECT_FLOAT_EQ(p.at("x").min, 0);
  // Percentile 100 keeps the whole range.
  const RangeMap all = run(m.b.g, {sample(v)}, ObserverKind::kPercentile, 100);
  EXPECT_FLOAT_EQ(all.at("x").max, 1000);
}

TEST(Calibrate, FloatLimitsDoNotCountForTheRange) {
  // -FLT_MAX stands for -infinity (max-pool padding): it must not stretch the range.
  ReluGraph m(3);
  const RangeMap r = run(m.b.g, {sample({-FLT_MAX, -2, 4}), sample({1, FLT_MAX, 0})}, ObserverKind::kMinMax);
  EXPECT_FLOAT_EQ(r.at("x").min, -2);
  EXPECT_FLOAT_EQ(r.at("x").max, 4);
  const RangeMap p = run(m.b.g, {sample({-FLT_MAX, -2, 4}), sample({1, FLT_MAX, 0})}, ObserverKind::kPercentile, 100);
  EXPECT_FLOAT_EQ(p.at("x").min, -2);
  EXPECT_FLOAT_EQ(p.at("x").max, 4);
}

TEST(Calibrate, ThreadCountDoesNotChangeTheRanges) {
  // Samples run in parallel; moving average and percentile depend on the order of merging.
  ReluGraph m(64);
  std::vector<Sample> samples;
  for (int s = 0; s < 23; ++s) {
    std::vector<float> v(64);
    for (int i = 0; i < 64; ++i) v[i] = std::sin(0.37f * static_cast<float>(s * 64 + i)) * static_cast<float>(1 + s % 5);
    samples.push_back(sample(v));
  }
  for (ObserverKind kind : {ObserverKind::kMinMax, ObserverKind::kMovingAverage, ObserverKind::kPercentile}) {
    CalibrationOptions one, many;
    one.observer = many.observer = kind;
    one.percentile = many.percentile = 95;
    one.threads = 1;
    many.threads = 4;
    size_t calls = 0, last = 0;
    many.progress = [&](size_t done, size_t total) {
      ++calls;
      last = done;
      EXPECT_LE(done, total);
    };
    Result<RangeMap> a = calibrate(m.b.g, samples, one), b = calibrate(m.b.g, samples, many);
    ASSERT_TRUE(a.is_ok() && b.is_ok());
    for (const char* v : {"x", "y"}) {
      EXPECT_EQ(a.value().at(v).min, b.value().at(v).min) << v;
      EXPECT_EQ(a.value().at(v).max, b.value().at(v).max) << v;
    }
    const size_t passes = kind == ObserverKind::kPercentile ? 2 : 1;
    EXPECT_EQ(calls, 23 * passes);
    EXPECT_EQ(last, 23 * passes);
  }
}

TEST(Calibrate, FloatLimitsAndNaNAreSkippedInLongTensorsToo) {
  // Long enough for the vectorized body (lanes of 16) and a tail.
  std::vector<float> v(53);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 7) - 2.5f;  // [-2.5, 3.5]
  v[3] = -FLT_MAX;
  v[17] = FLT_MAX;
  v[31] = NAN;
  v[50] = -FLT_MAX;
  v[40] = -7;  // the true minimum, inside a lane
  v[52] = 9;   // the true maximum, in the tail
  ReluGraph m(static_cast<int64_t>(v.size()));
  const RangeMap r = run(m.b.g, {sample(v)}, ObserverKind::kMinMax);
  EXPECT_FLOAT_EQ(r.at("x").min, -7);
  EXPECT_FLOAT_EQ(r.at("x").max, 9);
}

TEST(Calibrate, NeedsASample) {
  ReluGraph m(1);
  Result<RangeMap> r = calibrate(m.b.g, {}, CalibrationOptions());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("representative"), std::string::npos);
}

}  // namespace
}  // namespace pt2tflite::quant
