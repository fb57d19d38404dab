// Tan … Atanh, Erf, ThresholdedRelu, Shrink, Swish, Mean (src/lower/unary_math.cc): the
// compositions, run on the reference kernels over wide input ranges against <cmath>.
#include <cmath>

#include "exec/interpreter.h"
#include "lower/shape_test_util.h"

namespace pt2tflite::lower {
namespace {

using ir::DType;
using testing::Floats;
using testing::OnnxCase;

// Lowers onnx.<op>(x) for x = xs and runs it on the reference kernels.
std::vector<float> run_lowered(const std::string& op, const std::vector<float>& xs,
                               std::map<std::string, ir::Attribute> attrs = {}) {
  OnnxCase t;
  t.op(op, {t.input("x", {static_cast<int64_t>(xs.size())})}, std::move(attrs));
  Status s = t.run();
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  if (!s.is_ok()) return {};
  auto interp = exec::Interpreter::create(t.b.g);
  EXPECT_TRUE(interp.is_ok()) << interp.status().to_string();
  if (!interp.is_ok()) return {};
  const ir::Tensor x = ir::Tensor::from_floats({static_cast<int64_t>(xs.size())}, xs);
  s = interp->run({x});
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  return s.is_ok() ? interp->value(t.out()).to_floats() : std::vector<float>{};
}

std::vector<float> range(double lo, double hi, int n) {
  std::vector<float> v;
  for (int i = 0; i < n; ++i) v.push_back(static_cast<float>(lo + (hi - lo) * i / (n - 1)));
  return v;
}

// max |got − ref| / max |ref| over xs (NaN must match NaN).
double rel_error(const std::vector<float>& xs, const std::vector<float>& got, double (*ref)(double)) {
  double err = 0, scale = 0;
  EXPECT_EQ(got.size(), xs.size());
  for (size_t i = 0; i < got.size() && i < xs.size(); ++i) {
    const double r = ref(xs[i]);
    if (std::isnan(r)) {
      EXPECT_TRUE(std::isnan(got[i])) << "at " << xs[i];
      continue;
    }
    err = std::max(err, std::fabs(got[i] - r));
    scale = std::max(scale, std::fabs(r));
  }
  return err / scale;
}

TEST(UnaryMath, TrigAndHyperbolicMatchCmath) {
  struct Case {
    const char* op;
    double lo, hi;
    double (*ref)(double);
  };
  const std::vector<Case> cases = {
      {"Tan", -1.5, 1.5, [](double x) { return std::tan(x); }},
      {"Atan", -50, 50, [](double x) { return std::atan(x); }},
      {"Asin", -1.2, 1.2, [](double x) { return std::asin(x); }},   // NaN beyond ±1
      {"Acos", -1.2, 1.2, [](double x) { return std::acos(x); }},
      {"Sinh", -10, 10, [](double x) { return std::sinh(x); }},
      {"Cosh", -10, 10, [](double x) { return std::cosh(x); }},
      {"Asinh", -1e4, 1e4, [](double x) { return std::asinh(x); }},
      {"Acosh", 0.5, 1e4, [](double x) { return std::acosh(x); }},  // NaN below 1
      {"Atanh", -1.2, 1.2, [](double x) { return std::atanh(x); }},  // ±inf at ±1, NaN beyond
  };
  for (const Case& c : cases) {
    std::vector<float> xs = range(c.lo, c.hi, 2001);
    xs.push_back(0.0f);
    std::vector<float> got = run_lowered(c.op, xs);
    if (std::string(c.op) == "Atanh") {  // compare the finite part; ±1 give ±inf
      std::vector<float> fx, fg;
      for (size_t i = 0; i < xs.size(); ++i)
        if (std::fabs(xs[i]) < 0.999f || std::fabs(xs[i]) > 1) fx.push_back(xs[i]), fg.push_back(got[i]);
      xs = fx;
      got = fg;
    }
    EXPECT_LE(rel_error(xs, got, c.ref), 1e-5) << c.op;
  }
}

TEST(UnaryMath, AtanUsesAtan2OnOperandsOfOneShape) {
  OnnxCase t;
  t.op("Atan", {t.input("x", {2, 3})});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* a = t.find("tfl.ATAN2");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->inputs[0]->shape, a->inputs[1]->shape);  // TFLite's ATAN2 does not broadcast
}

// The polynomial Erf: measured over [-10, 10] and near 0, relative to each value.
TEST(UnaryMath, ErfPolynomialErrorIsMeasuredSmall) {
  std::vector<float> xs = range(-10, 10, 40001);
  std::vector<float> tiny = range(-1e-3, 1e-3, 2001);
  xs.insert(xs.end(), tiny.begin(), tiny.end());
  const std::vector<float> got = run_lowered("Erf", xs);
  ASSERT_EQ(got.size(), xs.size());
  double worst_abs = 0, worst_rel = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double r = std::erf(static_cast<double>(xs[i]));
    const double e = std::fabs(got[i] - r);
    worst_abs = std::max(worst_abs, e);
    if (r != 0) worst_rel = std::max(worst_rel, e / std::fabs(r));
  }
  EXPECT_LE(worst_abs, 1e-6);
  EXPECT_LE(worst_rel, 3e-6);  // per element, not just against max|erf|
  EXPECT_EQ(run_lowered("Erf", {0.0f}).at(0), 0.0f);
}

TEST(UnaryMath, SelectionsAndSwish) {
  const std::vector<float> xs = {-3, -1, -0.5f, 0, 0.4f, 0.5f, 1, 2.5f};
  const auto tr = run_lowered("ThresholdedRelu", xs, {{"alpha", 0.5}});
  const auto sh = run_lowered("Shrink", xs, {{"lambd", 0.5}, {"bias", 1.0}});
  const auto sw = run_lowered("Swish", xs, {{"alpha", 2.0}});
  ASSERT_EQ(tr.size(), xs.size());
  ASSERT_EQ(sh.size(), xs.size());
  ASSERT_EQ(sw.size(), xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    const float x = xs[i];
    EXPECT_EQ(tr[i], x > 0.5f ? x : 0.0f) << x;
    EXPECT_EQ(sh[i], x < -0.5f ? x + 1 : x > 0.5f ? x - 1 : 0.0f) << x;
    EXPECT_NEAR(sw[i], x / (1 + std::exp(-2.0 * x)), 1e-6) << x;
  }
}

TEST(UnaryMath, ShrinkOnInt8RunsInInt32) {
  OnnxCase t;
  t.op("Shrink", {t.input("x", {4}, DType::kInt8)}, {{"lambd", 1.0}, {"bias", 1.0}});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.find("tfl.SUB")->outputs[0]->dtype, DType::kInt32);
  EXPECT_EQ(t.out()->dtype, DType::kInt8);
}

TEST(UnaryMath, IntegerTanIsInvalid) {
  OnnxCase t;
  t.op("Tan", {t.input("x", {2}, DType::kInt32)});
  EXPECT_FALSE(t.infer().is_ok());
}

TEST(UnaryMath, FoldsConstants) {
  OnnxCase t;
  t.op("Erf", {t.f32("x", {3}, {-1, 0, 0.5f})});
  ASSERT_TRUE(t.infer().is_ok());
  const Floats got = t.folded_floats();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_FLOAT_EQ(got[0], static_cast<float>(std::erf(-1.0)));
  EXPECT_FLOAT_EQ(got[2], static_cast<float>(std::erf(0.5)));
}

TEST(UnaryMath, MeanBroadcastsAndDivides) {
  OnnxCase t;
  t.op("Mean", {t.input("a", {2, 3}), t.input("b", {3}), t.input("c", {2, 1})});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.out()->shape, (ir::Shape{2, 3}));
  EXPECT_EQ(t.count("tfl.ADD"), 2);
  const ir::Node* d = t.find("tfl.DIV");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->inputs[1]->data->to_floats(), (Floats{3}));
  OnnxCase f;
  f.op("Mean", {f.f32("a", {2}, {1, 2}), f.f32("b", {2}, {3, 6})});
  ASSERT_TRUE(f.infer().is_ok());
  EXPECT_EQ(f.folded_floats(), (Floats{2, 4}));
}

}  // namespace
}  // namespace pt2tflite::lower
