#include <gtest/gtest.h>

#include "graph_builder.h"
#include "ir/verify.h"
#include "lower/lower.h"
#include "lower_test_util.h"

namespace pt2tflite::lower {
namespace {

using testing::Builder;
using Ints = std::vector<int64_t>;
using Attrs = std::map<std::string, ir::Attribute>;

// onnx.Resize (opset >= 11 input order: X, roi, scales, sizes) on x of `shape`.
struct ResizeCase {
  Builder b;
  ir::Node* node = nullptr;
  ResizeCase(ir::Shape shape, std::vector<float> scales, Ints sizes, Attrs attrs, int opset = 13) {
    ir::Value* x = b.input("x", shape);
    ir::Value* roi = b.floats("roi", {0}, {});
    ir::Value* sc = scales.empty() ? nullptr : b.floats("scales", {static_cast<int64_t>(scales.size())}, scales);
    ir::Value* sz = nullptr;
    if (!sizes.empty())
      sz = b.g.add_const("sizes", ir::Tensor::from_int64s(ir::DType::kInt64, {static_cast<int64_t>(sizes.size())}, sizes));
    ir::Value* y = b.value("y", {-1});
    node = b.node("onnx.Resize", {x, roi, sc, sz}, {y}, std::move(attrs));
    node->opset = opset;
    b.g.outputs = {y};
  }
  Status run() { return infer_and_lower(b.g); }
  const ir::Node* find(const std::string& op) const { return b.find(op); }
  // The chosen (align_corners, half_pixel_centers) of the emitted resize.
  std::pair<int64_t, int64_t> flags(const std::string& op) const {
    const ir::Node* r = find(op);
    if (!r) return {-1, -1};
    return {r->get_int("align_corners", -1), r->get_int("half_pixel_centers", -1)};
  }
};

Attrs nearest(const std::string& coord, const std::string& rounding) {
  return {{"mode", std::string("nearest")},
          {"coordinate_transformation_mode", coord},
          {"nearest_mode", rounding}};
}
Attrs linear(const std::string& coord) {
  return {{"mode", std::string("linear")}, {"coordinate_transformation_mode", coord}};
}

TEST(LowerResize, TorchNearestX2IsPlainNearestNeighbor) {
  ResizeCase t({1, 3, 4, 5}, {1, 1, 2, 2}, {}, nearest("asymmetric", "floor"));
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* r = t.find("tfl.RESIZE_NEAREST_NEIGHBOR");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->inputs[0]->shape, (ir::Shape{1, 4, 5, 3}));
  EXPECT_EQ(r->inputs[1]->dtype, ir::DType::kInt32);
  EXPECT_EQ(r->inputs[1]->data->to_int64s(), (Ints{8, 10}));
  EXPECT_EQ(t.flags("tfl.RESIZE_NEAREST_NEIGHBOR"), std::make_pair(int64_t{0}, int64_t{0}));
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{1, 3, 8, 10}));
  EXPECT_EQ(t.b.count("tfl.TRANSPOSE"), 2);
}

TEST(LowerResize, HalfPixelNearestDownsamplingDependsOnTieRounding) {
  // Source coordinate 2o + 0.5 is a tie: round_prefer_ceil picks 2o + 1 = TFLite's
  // half_pixel_centers; round_prefer_floor picks 2o = TFLite's plain floor(o * 2).
  ResizeCase ceil({1, 1, 8, 8}, {1, 1, 0.5f, 0.5f}, {}, nearest("half_pixel", "round_prefer_ceil"));
  ASSERT_TRUE(ceil.run().is_ok());
  EXPECT_EQ(ceil.flags("tfl.RESIZE_NEAREST_NEIGHBOR"), std::make_pair(int64_t{0}, int64_t{1}));
  ResizeCase floor({1, 1, 8, 8}, {1, 1, 0.5f, 0.5f}, {}, nearest("half_pixel", "round_prefer_floor"));
  ASSERT_TRUE(floor.run().is_ok());
  EXPECT_EQ(floor.flags("tfl.RESIZE_NEAREST_NEIGHBOR"), std::make_pair(int64_t{0}, int64_t{0}));
}

TEST(LowerResize, HalfPixelRoundPreferCeilUpsamplingIsHalfPixelCenters) {
  // 4 → 7: sources 0 0 1 2 2 3 3 in both ONNX (round((o + .5) / 1.75 - .5)) and TFLite
  // (floor((o + .5) * 4 / 7)); plain floor(o * 4 / 7) differs at o = 3.
  ResizeCase t({1, 1, 4, 4}, {}, {1, 1, 7, 4}, nearest("half_pixel", "round_prefer_ceil"));
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.flags("tfl.RESIZE_NEAREST_NEIGHBOR"), std::make_pair(int64_t{0}, int64_t{1}));
}

TEST(LowerResize, BilinearCoordinateModes) {
  ResizeCase ac({1, 3, 4, 5}, {}, {1, 3, 9, 7}, linear("align_corners"));
  ASSERT_TRUE(ac.run().is_ok());
  EXPECT_EQ(ac.flags("tfl.RESIZE_BILINEAR"), std::make_pair(int64_t{1}, int64_t{0}));
  EXPECT_EQ(ac.b.g.outputs[0]->shape, (ir::Shape{1, 3, 9, 7}));

  ResizeCase hp({1, 3, 4, 5}, {1, 1, 2, 2}, {}, linear("half_pixel"));
  ASSERT_TRUE(hp.run().is_ok());
  EXPECT_EQ(hp.flags("tfl.RESIZE_BILINEAR"), std::make_pair(int64_t{0}, int64_t{1}));

  ResizeCase php({1, 3, 4, 5}, {1, 1, 2, 2}, {}, linear("pytorch_half_pixel"));
  ASSERT_TRUE(php.run().is_ok());
  EXPECT_EQ(php.flags("tfl.RESIZE_BILINEAR"), std::make_pair(int64_t{0}, int64_t{1}));

  ResizeCase asym({1, 3, 4, 5}, {1, 1, 2, 2}, {}, linear("asymmetric"));
  ASSERT_TRUE(asym.run().is_ok());
  EXPECT_EQ(asym.flags("tfl.RESIZE_BILINEAR"), std::make_pair(int64_t{0}, int64_t{0}));
}

TEST(LowerResize, PytorchHalfPixelToSizeOneRunsSeparably) {
  // ONNX samples coordinate 0 for a length-1 output; TFLite's half-pixel samples the middle:
  // no builtin, the per-axis matrices instead (H: 4 → 1, W: 5 → 3).
  ResizeCase t({1, 3, 4, 5}, {}, {1, 3, 1, 3}, linear("pytorch_half_pixel"));
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.find("tfl.RESIZE_BILINEAR"), nullptr);
  const ir::Node* h = t.find("tfl.BATCH_MATMUL");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->inputs[0]->shape, (ir::Shape{1, 1, 4}));
  EXPECT_EQ(h->inputs[0]->data->to_floats(), (std::vector<float>{1, 0, 0, 0}));  // row 0 only
  const ir::Node* w = t.find("tfl.FULLY_CONNECTED");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->inputs[1]->shape, (ir::Shape{3, 5}));
  EXPECT_EQ(t.b.count("tfl.TRANSPOSE"), 0);
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{1, 3, 1, 3}));
}

TEST(LowerResize, ScaleThatIsNotOutOverInGathersTheRowsOnnxPicks) {
  // 5 * 2.7 → 13 rows, but ONNX maps with 1/2.7, TFLite with 5/13: different pixels, so
  // one GATHER per axis with ONNX's indices floor(o / 2.7).
  ResizeCase t({1, 1, 5, 5}, {1, 1, 2.7f, 2.7f}, {}, nearest("asymmetric", "floor"));
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.find("tfl.RESIZE_NEAREST_NEIGHBOR"), nullptr);
  ASSERT_EQ(t.b.count("tfl.GATHER"), 2);
  const ir::Node* g = t.find("tfl.GATHER");
  EXPECT_EQ(g->get_int("axis", -1), 2);
  EXPECT_EQ(g->inputs[1]->data->to_int64s(), (Ints{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4}));
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{1, 1, 13, 13}));
}

TEST(LowerResize, CubicMatrixRowsAreTheReferenceCoefficients) {
  // Upsampling by 2, half_pixel, A = -0.75: output 0 sits at -0.25, taps -2..1 clamped.
  ResizeCase t({1, 1, 1, 4}, {1, 1, 1, 2}, {}, {{"mode", std::string("cubic")}});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* w = t.find("tfl.FULLY_CONNECTED");
  ASSERT_NE(w, nullptr);
  const std::vector<float> m = w->inputs[1]->data->to_floats();
  ASSERT_EQ(m.size(), 32u);
  const double r = 0.75, a = -0.75;  // x = -0.25: floor -1, ratio 0.75
  const double c0 = ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a;
  const double c1 = ((a + 2) * r - (a + 3)) * r * r + 1;
  const double c2 = ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1;
  const double c3 = ((a * (2 - r) - 5 * a) * (2 - r) + 8 * a) * (2 - r) - 4 * a;
  EXPECT_NEAR(m[0], c0 + c1 + c2, 1e-6);  // taps -2, -1, 0 clamp to cell 0
  EXPECT_NEAR(m[1], c3, 1e-6);
  for (int row = 0; row < 8; ++row) {
    double sum = 0;
    for (int i = 0; i < 4; ++i) sum += m[row * 4 + i];
    EXPECT_NEAR(sum, 1.0, 1e-6) << row;
  }
}

TEST(LowerResize, TfCropAndResizeAddsTheExtrapolationValue) {
  Builder b;
  ir::Value* x = b.input("x", {1, 1, 4, 4});
  ir::Value* roi = b.floats("roi", {4}, {-0.5f, 0.0f, 1.0f, 1.0f});  // H starts outside
  ir::Value* sz = b.g.add_const("sizes", ir::Tensor::from_int64s(ir::DType::kInt64, {2}, {3, 3}));
  ir::Value* y = b.value("y", {-1});
  ir::Node* n = b.node("onnx.Resize", {x, roi, nullptr, sz}, {y},
                       {{"mode", std::string("linear")}, {"axes", Ints{2, 3}},
                        {"coordinate_transformation_mode", std::string("tf_crop_and_resize")},
                        {"extrapolation_value", 10.0}});
  n->opset = 18;
  b.g.outputs = {y};
  ASSERT_TRUE(infer_shapes_and_fold(b.g).is_ok());
  ASSERT_TRUE(lower_graph(b.g).is_ok());
  const ir::Node* add = nullptr;
  for (const auto& node : b.g.nodes())
    if (node->op == "tfl.ADD") add = node.get();
  ASSERT_NE(add, nullptr);
  // H coordinates -1.5, 0, 1.5: row 0 is outside, so it is all 10.
  EXPECT_EQ(add->inputs[1]->shape, (ir::Shape{1, 1, 3, 3}));
  EXPECT_EQ(add->inputs[1]->data->to_floats(), (std::vector<float>{10, 10, 10, 0, 0, 0, 0, 0, 0}));
}

TEST(LowerResize, UpsampleOpset7ScalesAttribute) {
  Builder b;
  ir::Value* x = b.input("x", {1, 2, 3, 4});
  ir::Value* y = b.value("y", {-1});
  ir::Node* n = b.node("onnx.Upsample", {x}, {y},
                       {{"mode", std::string("nearest")}, {"scales", std::vector<double>{1, 1, 2, 3}}});
  n->opset = 7;
  b.g.outputs = {y};
  ASSERT_TRUE(infer_shapes_and_fold(b.g).is_ok());
  ASSERT_TRUE(lower_graph(b.g).is_ok());
  EXPECT_EQ(b.count("tfl.RESIZE_NEAREST_NEIGHBOR"), 1);
  EXPECT_EQ(b.g.outputs[0]->shape, (ir::Shape{1, 2, 6, 12}));
}

TEST(LowerResize, ThreeDimensionalRunsWithHeightOne) {
  ResizeCase t({2, 3, 5}, {}, {2, 3, 11}, linear("half_pixel"));
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* r = t.find("tfl.RESIZE_BILINEAR");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->inputs[1]->data->to_int64s(), (Ints{1, 11}));
  EXPECT_EQ(t.b.count("tfl.RESHAPE"), 2);
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{2, 3, 11}));
}

TEST(LowerResize, ChannelAndCubicResizesRunSeparablyWithoutTransposes) {
  ResizeCase channels({1, 3, 4, 5}, {1, 2, 1, 1}, {}, nearest("asymmetric", "floor"));
  ASSERT_TRUE(channels.run().is_ok());
  const ir::Node* g = channels.find("tfl.GATHER");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->get_int("axis", -1), 1);
  EXPECT_EQ(g->inputs[1]->data->to_int64s(), (Ints{0, 0, 1, 1, 2, 2}));

  ResizeCase cubic({1, 3, 4, 5}, {1, 1, 2, 2}, {}, {{"mode", std::string("cubic")}});
  ASSERT_TRUE(cubic.run().is_ok());
  EXPECT_NE(cubic.find("tfl.BATCH_MATMUL"), nullptr);
  EXPECT_NE(cubic.find("tfl.FULLY_CONNECTED"), nullptr);
  EXPECT_EQ(cubic.b.count("tfl.TRANSPOSE"), 0);
  EXPECT_EQ(cubic.b.g.outputs[0]->shape, (ir::Shape{1, 3, 8, 10}));
}

TEST(LowerResize, UnsupportedCasesSayWhy) {
  ResizeCase area({1, 3, 4, 5}, {1, 1, 2, 2}, {}, {{"mode", std::string("area")}});
  Status s = area.run();
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.kind(), ErrorKind::kUnsupported);
  EXPECT_NE(s.message().find("area"), std::string::npos);
}

// Scales fed at run time: the resized extents are -1 and the lowering computes the source
// cells in the graph (resize_runtime.cc), one RANGE and GATHER per listed axis.
TEST(LowerResize, RuntimeScalesGiveRunTimeExtents) {
  Builder b;
  ir::Value* x = b.input("x", {1, 3, 4, 5});
  ir::Value* sc = b.input("scales", {2});
  ir::Value* y = b.value("y", {-1});
  Attrs attrs = nearest("asymmetric", "floor");
  attrs["axes"] = Ints{3, 2};
  ir::Node* n = b.node("onnx.Resize", {x, nullptr, sc}, {y}, attrs);
  n->opset = 18;
  b.g.outputs = {y};
  ASSERT_TRUE(infer_and_lower(b.g).is_ok());
  EXPECT_EQ(b.g.outputs[0]->shape, (ir::Shape{1, 3, -1, -1}));
  EXPECT_EQ(b.count("tfl.RANGE"), 2);
  EXPECT_EQ(b.count("tfl.RESIZE_NEAREST_NEIGHBOR"), 0);
  EXPECT_EQ(b.count("tfl.TRANSPOSE"), 0);
}

}  // namespace
}  // namespace pt2tflite::lower
