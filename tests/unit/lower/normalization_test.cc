#include <gtest/gtest.h>

#include <cmath>

#include "graph_builder.h"
#include "ir/verify.h"
#include "lower/lower.h"
#include "lower_test_util.h"

namespace pt2tflite::lower {
namespace {

using testing::Builder;

struct Norm {
  Builder b;
  ir::Value* x;
  ir::Value* y;
  ir::Node* n = nullptr;
  explicit Norm(ir::Shape shape) {
    x = b.input("x", std::move(shape));
    y = b.value("y", {-1});
  }
  ir::Node* add(const std::string& op, std::vector<ir::Value*> params, std::map<std::string, ir::Attribute> attrs = {},
                int opset = 17) {
    std::vector<ir::Value*> in{x};
    in.insert(in.end(), params.begin(), params.end());
    n = b.node(op, in, {y}, std::move(attrs));
    n->opset = opset;
    b.g.outputs = {y};
    return n;
  }
  Status run() { return infer_and_lower(b.g); }
  std::vector<const ir::Node*> all(const std::string& op) const {
    std::vector<const ir::Node*> out;
    for (const auto& node : b.g.nodes())
      if (node->op == op) out.push_back(node.get());
    return out;
  }
};

TEST(LowerBatchNorm, StandaloneIsMulAddWithPerChannelConstants) {
  Norm t({2, 2, 3, 3});
  t.add("onnx.BatchNormalization", {t.b.floats("scale", {2}, {1, 2}), t.b.floats("B", {2}, {0, 1}),
                                    t.b.floats("mean", {2}, {1, -1}), t.b.floats("var", {2}, {4, 1})},
        {{"epsilon", 0.0}});
  ASSERT_TRUE(t.run().is_ok());
  ASSERT_EQ(t.b.g.nodes().size(), 2u);
  const ir::Node* mul = t.b.g.nodes()[0].get();
  const ir::Node* add = t.b.g.nodes()[1].get();
  EXPECT_EQ(mul->op, "tfl.MUL");
  EXPECT_EQ(mul->inputs[0], t.x);
  EXPECT_EQ(mul->inputs[1]->shape, (ir::Shape{2, 1, 1}));
  EXPECT_EQ(mul->inputs[1]->data->to_floats(), (std::vector<float>{0.5f, 2}));  // scale/sqrt(var)
  EXPECT_EQ(add->op, "tfl.ADD");
  EXPECT_EQ(add->inputs[1]->data->to_floats(), (std::vector<float>{-0.5f, 3}));  // B - mean·s
  EXPECT_EQ(add->outputs[0], t.b.g.outputs[0]);
}

TEST(LowerBatchNorm, TwoDimensionalInputGetsVectorConstants) {
  Norm t({4, 3});
  t.add("onnx.BatchNormalization", {t.b.floats("s", {3}, {1, 1, 1}), t.b.floats("b", {3}, {0, 0, 0}),
                                    t.b.floats("m", {3}, {0, 0, 0}), t.b.floats("v", {3}, {1, 1, 1})});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.all("tfl.MUL")[0]->inputs[1]->shape, (ir::Shape{3}));
}

TEST(LowerBatchNorm, TrainingModeUsesTheBatchMoments) {
  Norm t({2, 3});
  t.add("onnx.BatchNormalization", {t.b.floats("s", {3}, {1, 1, 1}), t.b.floats("b", {3}, {0, 0, 0}),
                                    t.b.floats("m", {3}, {0, 0, 0}), t.b.floats("v", {3}, {1, 1, 1})},
        {{"training_mode", int64_t{1}}});
  ASSERT_TRUE(t.run().is_ok());
  const auto means = t.all("tfl.MEAN");
  ASSERT_EQ(means.size(), 2u);  // mean, then the biased variance
  EXPECT_EQ(means[0]->outputs[0]->shape, (ir::Shape{1, 3}));
  EXPECT_EQ(t.all("tfl.RSQRT").size(), 1u);
}

TEST(LowerBatchNorm, UnreadStatisticsOutputsAreIgnoredReadOnesRejected) {
  for (bool read : {false, true}) {
    Norm t({2, 3});
    t.add("onnx.BatchNormalization", {t.b.floats("s", {3}, {1, 1, 1}), t.b.floats("b", {3}, {0, 0, 0}),
                                      t.b.floats("m", {3}, {0, 0, 0}), t.b.floats("v", {3}, {1, 1, 1})});
    ir::Value* running_mean = t.b.value("running_mean", {-1});
    t.n->outputs.push_back(running_mean);
    if (read) t.b.g.outputs.push_back(running_mean);
    Status s = t.run();
    EXPECT_EQ(s.is_ok(), !read) << s.message();
    if (read) {
      EXPECT_EQ(s.kind(), ErrorKind::kUnsupported);
    }
  }
}

TEST(LowerLayerNorm, ComposedOverTrailingAxes) {
  Norm t({2, 7, 16});
  t.add("onnx.LayerNormalization", {t.b.floats("g", {16}, std::vector<float>(16, 2)), t.b.floats("b", {16}, std::vector<float>(16, 1))},
        {{"epsilon", 1e-5}});
  ASSERT_TRUE(t.run().is_ok());
  auto means = t.all("tfl.MEAN");
  ASSERT_EQ(means.size(), 2u);
  for (const ir::Node* m : means) {
    EXPECT_EQ(m->get_int("keep_dims", 0), 1);
    EXPECT_EQ(m->inputs[1]->data->to_int64s(), (std::vector<int64_t>{2}));
    EXPECT_EQ(m->outputs[0]->shape, (ir::Shape{2, 7, 1}));
  }
  EXPECT_EQ(means[0]->inputs[0], t.x);
  EXPECT_EQ(t.all("tfl.SUB").size(), 1u);
  EXPECT_EQ(t.all("tfl.RSQRT").size(), 1u);
  EXPECT_EQ(t.all("tfl.MUL").size(), 3u);  // d·d, d·rstd, ·gamma
  auto adds = t.all("tfl.ADD");            // + eps, + beta
  ASSERT_EQ(adds.size(), 2u);
  EXPECT_NEAR(adds[0]->inputs[1]->data->to_doubles()[0], 1e-5, 1e-12);
  EXPECT_EQ(adds[1]->outputs[0], t.b.g.outputs[0]);
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{2, 7, 16}));
}

TEST(LowerLayerNorm, IdentityAffineIsSkippedAndAxisHonoured) {
  Norm t({2, 3, 4});
  t.add("onnx.LayerNormalization", {t.b.floats("g", {3, 4}, std::vector<float>(12, 1)), t.b.floats("b", {3, 4}, std::vector<float>(12, 0))},
        {{"axis", int64_t{1}}});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.all("tfl.MEAN")[0]->inputs[1]->data->to_int64s(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(t.all("tfl.MUL").size(), 2u);
  EXPECT_EQ(t.all("tfl.ADD").size(), 1u);  // only + eps
  EXPECT_EQ(t.all("tfl.MUL")[1]->outputs[0], t.b.g.outputs[0]);
}

TEST(LowerLayerNorm, MeanAndInvStdDevOutputsAreWrittenWhenRead) {
  Norm t({2, 8});
  t.add("onnx.LayerNormalization", {t.b.floats("g", {8}, std::vector<float>(8, 1))});
  ir::Value* mean = t.b.value("mean", {-1});
  ir::Value* rstd = t.b.value("rstd", {-1});
  t.n->outputs = {t.y, mean, rstd};
  t.b.g.outputs = {t.y, mean, rstd};
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(mean->shape, (ir::Shape{2, 1}));
  EXPECT_EQ(t.all("tfl.MEAN")[0]->outputs[0], mean);
  EXPECT_EQ(t.all("tfl.RSQRT")[0]->outputs[0], rstd);
}

TEST(LowerInstanceNorm, SpatialMomentsAndScaleFoldedIntoRstd) {
  Norm t({2, 3, 4, 5});
  t.add("onnx.InstanceNormalization", {t.b.floats("s", {3}, {1, 2, 3}), t.b.floats("b", {3}, {0, 1, 0})});
  ASSERT_TRUE(t.run().is_ok());
  auto means = t.all("tfl.MEAN");
  ASSERT_EQ(means.size(), 2u);
  EXPECT_EQ(means[0]->inputs[1]->data->to_int64s(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(means[0]->outputs[0]->shape, (ir::Shape{2, 3, 1, 1}));
  // scale multiplies the small [N,C,1,1] rstd, not the whole tensor
  auto muls = t.all("tfl.MUL");
  ASSERT_EQ(muls.size(), 3u);
  EXPECT_EQ(muls[1]->inputs[0], t.all("tfl.RSQRT")[0]->outputs[0]);
  EXPECT_EQ(muls[1]->inputs[1]->shape, (ir::Shape{3, 1, 1}));
  const ir::Node* last = t.b.g.nodes().back().get();
  EXPECT_EQ(last->op, "tfl.ADD");
  EXPECT_EQ(last->inputs[1]->shape, (ir::Shape{3, 1, 1}));
  EXPECT_EQ(last->outputs[0], t.b.g.outputs[0]);
}

TEST(LowerGroupNorm, GroupsAreAReshapeAroundMoments) {
  Norm t({2, 6, 4, 5});
  t.add("onnx.GroupNormalization", {t.b.floats("s", {6}, {1, 2, 3, 4, 5, 6}), t.b.floats("b", {6}, {1, 1, 1, 1, 1, 1})},
        {{"num_groups", int64_t{3}}}, 21);
  ASSERT_TRUE(t.run().is_ok());
  auto reshapes = t.all("tfl.RESHAPE");
  ASSERT_EQ(reshapes.size(), 2u);
  EXPECT_EQ(reshapes[0]->outputs[0]->shape, (ir::Shape{2, 3, 40}));
  EXPECT_EQ(reshapes[1]->outputs[0]->shape, (ir::Shape{2, 6, 4, 5}));
  EXPECT_EQ(t.all("tfl.MEAN")[0]->inputs[1]->data->to_int64s(), (std::vector<int64_t>{2}));
  EXPECT_EQ(t.b.g.nodes().back()->outputs[0], t.b.g.outputs[0]);
}

TEST(LowerGroupNorm, Opset18PerGroupScaleIsExpandedToChannels) {
  Norm t({1, 4, 2, 2});
  t.add("onnx.GroupNormalization", {t.b.floats("s", {2}, {2, 3}), t.b.floats("b", {2}, {0, 0})},
        {{"num_groups", int64_t{2}}}, 18);
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* scale = t.all("tfl.MUL").back();
  EXPECT_EQ(scale->inputs[1]->shape, (ir::Shape{4, 1, 1}));
  EXPECT_EQ(scale->inputs[1]->data->to_floats(), (std::vector<float>{2, 2, 3, 3}));
  EXPECT_EQ(t.all("tfl.ADD").size(), 1u);  // + eps only: zero bias skipped
}

}  // namespace
}  // namespace pt2tflite::lower
