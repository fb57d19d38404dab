#include <gtest/gtest.h>

#include <cfloat>

#include "graph_builder.h"
#include "ir/verify.h"
#include "lower/lower.h"
#include "lower_test_util.h"

namespace pt2tflite::lower {
namespace {

using testing::Builder;
using Ints = std::vector<int64_t>;

// One onnx pooling node on x of `shape`.
struct PoolCase {
  Builder b;
  ir::Node* pool = nullptr;
  PoolCase(const std::string& op, ir::Shape shape, std::map<std::string, ir::Attribute> attrs, int opset = 17) {
    ir::Value* x = b.input("x", std::move(shape));
    ir::Value* y = b.value("y", {-1});
    pool = b.node("onnx." + op, {x}, {y}, std::move(attrs));
    pool->opset = opset;
    b.g.outputs = {y};
  }
  Status run() { return infer_and_lower(b.g); }
  const ir::Node* find(const std::string& op) const { return b.find(op); }
};

std::map<std::string, ir::Attribute> window(Ints k, Ints s, Ints pads) {
  return {{"kernel_shape", k}, {"strides", s}, {"pads", pads}};
}

TEST(LowerPool, MaxPoolWithoutPaddingIsValidNhwc) {
  PoolCase t("MaxPool", {1, 3, 8, 8}, window({2, 2}, {2, 2}, {0, 0, 0, 0}));
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* p = t.find("tfl.MAX_POOL_2D");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->get_string("padding", ""), "VALID");
  EXPECT_EQ(p->get_int("filter_height", 0), 2);
  EXPECT_EQ(p->get_int("filter_width", 0), 2);
  EXPECT_EQ(p->get_int("stride_h", 0), 2);
  EXPECT_EQ(p->get_int("stride_w", 0), 2);
  EXPECT_EQ(p->inputs[0]->shape, (ir::Shape{1, 8, 8, 3}));
  EXPECT_EQ(p->outputs[0]->shape, (ir::Shape{1, 4, 4, 3}));
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{1, 3, 4, 4}));
  EXPECT_EQ(t.b.count("tfl.TRANSPOSE"), 2);
}

TEST(LowerPool, CenteredPaddingIsSame) {
  PoolCase t("MaxPool", {1, 3, 7, 7}, window({3, 3}, {1, 1}, {1, 1, 1, 1}));
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.find("tfl.MAX_POOL_2D")->get_string("padding", ""), "SAME");
  EXPECT_EQ(t.b.count("tfl.PADV2"), 0);
}

TEST(LowerPool, MaxPoolStride2OnEvenInputPadsWithLowestFloat) {
  PoolCase t("MaxPool", {1, 3, 8, 8}, window({3, 3}, {2, 2}, {1, 1, 1, 1}));
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* pad = t.find("tfl.PADV2");
  ASSERT_NE(pad, nullptr);
  // PyTorch pads (1, 1) but the last row/column is never read; TFLite SAME would pad (0, 1).
  EXPECT_EQ(pad->inputs[1]->data->to_int64s(), (Ints{0, 0, 1, 0, 1, 0, 0, 0}));
  EXPECT_EQ(pad->inputs[2]->data->to_doubles(), (std::vector<double>{-FLT_MAX}));
  EXPECT_EQ(t.find("tfl.MAX_POOL_2D")->get_string("padding", ""), "VALID");
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{1, 3, 4, 4}));
}

TEST(LowerPool, AveragePoolExcludingPadIsSame) {
  PoolCase t("AveragePool", {1, 3, 7, 7}, window({3, 3}, {1, 1}, {1, 1, 1, 1}));
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.find("tfl.AVERAGE_POOL_2D")->get_string("padding", ""), "SAME");
  EXPECT_EQ(t.b.count("tfl.PAD"), 0);
  EXPECT_EQ(t.b.count("tfl.MUL"), 0);
}

TEST(LowerPool, AveragePoolCountingPadIsZeroPadThenValid) {
  auto attrs = window({3, 3}, {1, 1}, {1, 1, 1, 1});
  attrs["count_include_pad"] = int64_t{1};
  PoolCase t("AveragePool", {1, 3, 7, 7}, attrs);
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* pad = t.find("tfl.PAD");
  ASSERT_NE(pad, nullptr);
  EXPECT_EQ(pad->inputs[1]->data->to_int64s(), (Ints{0, 0, 1, 1, 1, 1, 0, 0}));
  EXPECT_EQ(t.find("tfl.AVERAGE_POOL_2D")->get_string("padding", ""), "VALID");
  EXPECT_EQ(t.b.count("tfl.MUL"), 0);  // every window divides by the kernel area
}

TEST(LowerPool, AveragePoolExcludingNonSamePadFixesTheDivisor) {
  PoolCase t("AveragePool", {1, 3, 8, 8}, window({3, 3}, {2, 2}, {1, 1, 1, 1}));
  ASSERT_TRUE(t.run().is_ok());
  ASSERT_NE(t.find("tfl.PAD"), nullptr);
  const ir::Node* mul = t.find("tfl.MUL");
  ASSERT_NE(mul, nullptr);
  const ir::Value* fix = mul->inputs[1];
  ASSERT_TRUE(fix->is_const());
  EXPECT_EQ(fix->shape, (ir::Shape{1, 4, 4, 1}));
  // The first row/column windows cover 2 real cells (one is padding): 9/4, 9/6, then 1.
  const auto f = fix->data->to_floats();
  EXPECT_FLOAT_EQ(f[0], 2.25f);
  EXPECT_FLOAT_EQ(f[1], 1.5f);
  EXPECT_FLOAT_EQ(f[4], 1.5f);
  EXPECT_FLOAT_EQ(f[5], 1.0f);
}

TEST(LowerPool, CeilModeOverhangIsNeverCounted) {
  auto attrs = window({3, 3}, {2, 2}, {1, 1, 1, 1});
  attrs["ceil_mode"] = int64_t{1};
  attrs["count_include_pad"] = int64_t{1};
  PoolCase t("AveragePool", {1, 2, 8, 8}, attrs);
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{1, 2, 5, 5}));
  // Last window starts at 7: cells 7 (input), 8 (explicit pad), 9 (ceil overhang).
  EXPECT_EQ(t.find("tfl.PAD")->inputs[1]->data->to_int64s(), (Ints{0, 0, 1, 2, 1, 2, 0, 0}));
  const ir::Node* mul = t.find("tfl.MUL");
  ASSERT_NE(mul, nullptr);
  const auto f = mul->inputs[1]->data->to_floats();
  ASSERT_EQ(f.size(), 25u);
  EXPECT_FLOAT_EQ(f[0], 1.0f);
  EXPECT_FLOAT_EQ(f[4], 1.5f);
  EXPECT_FLOAT_EQ(f[24], 2.25f);
}

TEST(LowerPool, AutoPadSameLowerNeedsExplicitPad) {
  auto attrs = window({3, 3}, {2, 2}, {0, 0, 0, 0});
  attrs["auto_pad"] = std::string("SAME_LOWER");
  PoolCase t("MaxPool", {1, 2, 8, 8}, attrs);
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.find("tfl.PADV2")->inputs[1]->data->to_int64s(), (Ints{0, 0, 1, 0, 1, 0, 0, 0}));

  attrs["auto_pad"] = std::string("SAME_UPPER");
  PoolCase u("MaxPool", {1, 2, 8, 8}, attrs);
  ASSERT_TRUE(u.run().is_ok());
  EXPECT_EQ(u.find("tfl.MAX_POOL_2D")->get_string("padding", ""), "SAME");
}

TEST(LowerPool, OneDimensionalPoolRunsAs2DWithHeightOne) {
  PoolCase t("MaxPool", {2, 3, 10}, window({3}, {2}, {0, 0}));
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* p = t.find("tfl.MAX_POOL_2D");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->get_int("filter_height", 0), 1);
  EXPECT_EQ(p->get_int("filter_width", 0), 3);
  EXPECT_EQ(p->inputs[0]->shape, (ir::Shape{2, 1, 10, 3}));
  EXPECT_EQ(t.b.count("tfl.RESHAPE"), 2);
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{2, 3, 4}));
}

TEST(LowerPool, GlobalPoolsReduceSpatialAxesInPlace) {
  for (const auto& [op, tfl] : {std::pair<std::string, std::string>{"GlobalAveragePool", "tfl.MEAN"},
                                {"GlobalMaxPool", "tfl.REDUCE_MAX"}}) {
    PoolCase t(op, {2, 3, 5, 7}, {});
    ASSERT_TRUE(t.run().is_ok()) << op;
    const ir::Node* r = t.find(tfl);
    ASSERT_NE(r, nullptr) << op;
    EXPECT_EQ(r->inputs[1]->data->to_int64s(), (Ints{2, 3}));
    EXPECT_EQ(r->inputs[1]->dtype, ir::DType::kInt32);
    EXPECT_EQ(r->get_int("keep_dims", 0), 1);
    EXPECT_EQ(t.b.count("tfl.TRANSPOSE"), 0);
    EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{2, 3, 1, 1}));
  }
}

// A read Indices output switches to one strided slice per tap: 2x2 taps, their maxima, the
// positions selected where a tap is strictly greater, and an int64 index tensor.
TEST(LowerPool, UsedIndicesOutputIsComputedFromTaps) {
  PoolCase t("MaxPool", {1, 2, 4, 4}, window({2, 2}, {2, 2}, {0, 0, 0, 0}));
  ir::Value* idx = t.b.value("indices", {-1});
  t.pool->outputs.push_back(idx);
  t.b.g.outputs.push_back(idx);
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.b.count("tfl.MAX_POOL_2D"), 0);
  EXPECT_EQ(t.b.count("tfl.STRIDED_SLICE"), 4);
  EXPECT_EQ(t.b.count("tfl.MAXIMUM"), 3);
  EXPECT_EQ(t.b.count("tfl.SELECT_V2"), 3);
  EXPECT_EQ(idx->dtype, ir::DType::kInt64);
  EXPECT_EQ(idx->shape, (ir::Shape{1, 2, 2, 2}));
}

TEST(LowerPool, UnusedIndicesOutputIsIgnored) {
  PoolCase t("MaxPool", {1, 2, 4, 4}, window({2, 2}, {2, 2}, {0, 0, 0, 0}));
  t.pool->outputs.push_back(t.b.value("indices", {-1}));
  EXPECT_TRUE(t.run().is_ok());
}

TEST(LowerPool, DilatedPoolIsStridedSliceTapsPerAxis) {
  auto attrs = window({2, 3}, {1, 2}, {0, 0, 0, 0});
  attrs["dilations"] = Ints{2, 2};
  PoolCase t("MaxPool", {1, 2, 8, 9}, attrs);
  ASSERT_TRUE(t.run().is_ok());
  // 2 taps along H, 3 along W; no TFLite pool.
  EXPECT_EQ(t.b.count("tfl.STRIDED_SLICE"), 5);
  EXPECT_EQ(t.b.count("tfl.MAXIMUM"), 3);
  EXPECT_EQ(t.b.count("tfl.MAX_POOL_2D"), 0);
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{1, 2, 6, 3}));  // H 8-3+1, W (9-5)/2+1
}

TEST(LowerPool, ThreeDimensionalPoolIsAnHWPoolThenADPool) {
  PoolCase t("AveragePool", {2, 3, 6, 8, 8}, window({3, 2, 2}, {2, 2, 2}, {0, 0, 0, 0, 0, 0}));
  ASSERT_TRUE(t.run().is_ok());
  std::vector<const ir::Node*> pools;
  for (const auto& n : t.b.g.nodes())
    if (n->op == "tfl.AVERAGE_POOL_2D") pools.push_back(n.get());
  ASSERT_EQ(pools.size(), 2u);
  const ir::Node* hw = pools[0]->inputs[0]->shape[0] == 12 ? pools[0] : pools[1];  // [N·D, H, W, C]
  const ir::Node* d = hw == pools[0] ? pools[1] : pools[0];                       // [N, D, H'·W', C]
  EXPECT_EQ(hw->inputs[0]->shape, (ir::Shape{12, 8, 8, 3}));
  EXPECT_EQ(hw->get_int("filter_height", 0), 2);
  EXPECT_EQ(d->inputs[0]->shape, (ir::Shape{2, 6, 16, 3}));
  EXPECT_EQ(d->get_int("filter_height", 0), 3);
  EXPECT_EQ(d->get_int("filter_width", 0), 1);
  EXPECT_EQ(d->get_int("stride_h", 0), 2);
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{2, 3, 2, 4, 4}));
}

}  // namespace
}  // namespace pt2tflite::lower
