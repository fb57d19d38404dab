#include <gtest/gtest.h>

#include "graph_builder.h"
#include "ir/verify.h"
#include "lower/lower.h"
#include "lower_test_util.h"

namespace pt2tflite::lower {
namespace {

using testing::Builder;
using Ints = std::vector<int64_t>;

// onnx.Conv on x [1,C,H,W] with weights [M, C/group, k, k].
struct ConvCase {
  Builder b;
  ir::Node* conv = nullptr;
  ConvCase(int64_t c, int64_t m, int64_t group, int64_t k, int64_t stride, int64_t pad, int64_t hw = 8) {
    ir::Value* x = b.input("x", {1, c, hw, hw});
    ir::Value* w = b.floats("w", {m, c / group, k, k}, std::vector<float>(m * (c / group) * k * k, 0.5f));
    ir::Value* y = b.value("y", {-1});
    conv = b.node("onnx.Conv", {x, w}, {y},
                  {{"strides", std::vector<int64_t>{stride, stride}}, {"pads", std::vector<int64_t>{pad, pad, pad, pad}},
                   {"group", group}});
    conv->opset = 17;
    b.g.outputs = {y};
  }
  Status run() { return infer_and_lower(b.g); }
  const ir::Node* find(const std::string& op) const { return b.find(op); }
};

TEST(LowerConv, PlainConvIsNhwcWithOhwiFilterAndSamePadding) {
  ConvCase t(3, 4, 1, 3, 1, 1);
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* c = t.find("tfl.CONV_2D");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->inputs[0]->shape, (ir::Shape{1, 8, 8, 3}));
  EXPECT_EQ(c->inputs[1]->shape, (ir::Shape{4, 3, 3, 3}));
  EXPECT_EQ(c->get_string("padding", ""), "SAME");
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{1, 4, 8, 8}));
  EXPECT_EQ(t.b.count("tfl.TRANSPOSE"), 2);  // in and out; cancelled later by sink_transposes
  EXPECT_TRUE(ir::verify(t.b.g).is_ok());
}

TEST(LowerConv, Conv3DIsNdhwcWithDhwioFilterSplitPerGroup) {
  Builder b;
  ir::Value* x = b.input("x", {1, 4, 5, 6, 7});
  std::vector<float> wv(6 * 2 * 3 * 1 * 3);
  for (size_t i = 0; i < wv.size(); ++i) wv[i] = static_cast<float>(i);
  ir::Value* w = b.floats("w", {6, 2, 3, 1, 3}, wv);  // [O, I/g, kD, kH, kW], 2 groups
  ir::Value* y = b.value("y", {-1});
  ir::Node* conv = b.node("onnx.Conv", {x, w}, {y},
                          {{"strides", Ints{2, 1, 1}}, {"pads", Ints{1, 0, 2, 1, 0, 2}}, {"dilations", Ints{1, 1, 2}},
                           {"group", int64_t{2}}});
  conv->opset = 17;
  b.g.outputs = {y};
  ASSERT_TRUE(infer_and_lower(b.g).is_ok());
  EXPECT_EQ(b.count("tfl.CONV_3D"), 2);
  EXPECT_EQ(b.count("tfl.SPLIT"), 1);
  const ir::Node* c = b.find("tfl.CONV_3D");
  EXPECT_EQ(c->inputs[0]->shape, (ir::Shape{1, 5, 6, 7, 2}));  // NDHWC, one group's channels
  ASSERT_TRUE(c->inputs[1]->is_const());
  EXPECT_EQ(c->inputs[1]->shape, (ir::Shape{3, 1, 3, 2, 3}));  // [kD, kH, kW, I/g, O/g]
  // filter[kd=0, kh=0, kw=1, i=1, o=2] is ONNX w[o=2, i=1, 0, 0, 1] of group 0.
  EXPECT_EQ(c->inputs[1]->data->to_floats()[((0 * 1 + 0) * 3 + 1) * 6 + 1 * 3 + 2], wv[((2 * 2 + 1) * 3 + 0) * 3 + 1]);
  EXPECT_EQ(c->get_int("stride_d", 0), 2);
  EXPECT_EQ(c->get_int("dilation_w_factor", 0), 2);
  EXPECT_EQ(c->get_string("padding", ""), "SAME");  // D: k3 s2 on 5, W: dilated k3 on 7
  EXPECT_EQ(b.g.outputs[0]->shape, (ir::Shape{1, 6, 3, 6, 7}));
  EXPECT_TRUE(ir::verify(b.g).is_ok());
}

TEST(LowerConv, Stride2OnEvenInputNeedsExplicitPad) {
  ConvCase t(3, 4, 1, 3, 2, 1);
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* pad = t.find("tfl.PAD");
  ASSERT_NE(pad, nullptr);
  // PyTorch pads 1 on both sides, but the last row/column is never read: only (1, 0) is kept.
  EXPECT_EQ(pad->inputs[1]->data->to_int64s(), (std::vector<int64_t>{0, 0, 1, 0, 1, 0, 0, 0}));
  EXPECT_EQ(t.find("tfl.CONV_2D")->get_string("padding", ""), "VALID");
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{1, 4, 4, 4}));
}

TEST(LowerConv, DepthwiseWithMultiplier) {
  ConvCase t(4, 8, 4, 3, 1, 1);
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* d = t.find("tfl.DEPTHWISE_CONV_2D");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->inputs[1]->shape, (ir::Shape{1, 3, 3, 8}));
  EXPECT_EQ(d->get_int("depth_multiplier", 0), 2);
}

TEST(LowerConv, GroupedConvSplitsPerGroup) {
  ConvCase t(4, 6, 2, 1, 1, 0);
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.b.count("tfl.SPLIT"), 1);
  EXPECT_EQ(t.b.count("tfl.CONV_2D"), 2);
  EXPECT_EQ(t.b.count("tfl.CONCATENATION"), 1);
  EXPECT_EQ(t.find("tfl.CONV_2D")->inputs[1]->shape, (ir::Shape{3, 1, 1, 2}));
}

// Weights computed at run time reach CONV_2D through one TRANSPOSE to OHWI (a grouped conv
// then SPLITs the transposed filter along O, not the raw weights per group).
TEST(LowerConv, RuntimeWeightsAreTransposedToOhwi) {
  for (int64_t group : {1, 2}) {
    Builder b;
    ir::Value* x = b.input("x", {1, 4, 4, 4});  // 4 channels: group 2 is not depthwise
    ir::Value* w = b.input("w", {4, 4 / group, 3, 3});
    ir::Value* y = b.value("y", {-1});
    b.node("onnx.Conv", {x, w}, {y}, {{"group", group}});
    b.g.outputs = {y};
    ASSERT_TRUE(infer_shapes_and_fold(b.g).is_ok());
    ASSERT_TRUE(lower_graph(b.g).is_ok());
    std::vector<const ir::Node*> convs;
    const ir::Node* filter_transpose = nullptr;
    for (const auto& n : b.g.nodes()) {
      if (n->op == "tfl.CONV_2D") convs.push_back(n.get());
      if (n->op == "tfl.TRANSPOSE" && n->inputs[0] == w) filter_transpose = n.get();
    }
    ASSERT_NE(filter_transpose, nullptr) << "group " << group;
    EXPECT_EQ(filter_transpose->outputs[0]->shape, (ir::Shape{4, 3, 3, 4 / group}));
    ASSERT_EQ(convs.size(), static_cast<size_t>(group));
    for (const ir::Node* c : convs) {
      EXPECT_FALSE(c->inputs[1]->is_const());
      EXPECT_EQ(c->inputs[1]->shape, (ir::Shape{4 / group, 3, 3, 4 / group}));
    }
  }
}

// onnx.ConvTranspose of x [1, c, 3, 3] with weights [c, m/group, k, k] (all 1).
struct ConvTransposeCase {
  Builder b;
  ConvTransposeCase(int64_t c, int64_t m, int64_t group, int64_t k, std::map<std::string, ir::Attribute> attrs) {
    ir::Value* x = b.input("x", {1, c, 3, 3});
    ir::Value* w = b.floats("w", {c, m / group, k, k}, std::vector<float>(c * (m / group) * k * k, 1.0f));
    ir::Value* bias = b.floats("bias", {m}, std::vector<float>(m, 0.5f));
    ir::Value* y = b.value("y", {-1});
    attrs["group"] = group;
    b.node("onnx.ConvTranspose", {x, w, bias}, {y}, std::move(attrs))->opset = 17;
    b.g.outputs = {y};
  }
  Status run() { return infer_and_lower(b.g); }
  std::vector<const ir::Node*> all(const std::string& op) const {
    std::vector<const ir::Node*> out;
    for (const auto& n : b.g.nodes())
      if (n->op == op) out.push_back(n.get());
    return out;
  }
};

// ONNX node test convtranspose_output_shape: output_shape one larger than the full result
// extends it with bias-only cells at the end.
TEST(LowerConvTranspose, OutputShapeLargerThanFullExtendsTheEnd) {
  ConvTransposeCase t(1, 2, 1, 3, {{"strides", std::vector<int64_t>{3, 2}}, {"output_shape", std::vector<int64_t>{10, 8}}});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{1, 2, 10, 8}));
  ASSERT_EQ(t.all("tfl.TRANSPOSE_CONV").size(), 1u);
  EXPECT_EQ(t.all("tfl.TRANSPOSE_CONV")[0]->outputs[0]->shape, (ir::Shape{1, 9, 7, 2}));
  ASSERT_EQ(t.all("tfl.PAD").size(), 1u);
  EXPECT_EQ(t.all("tfl.PAD")[0]->inputs[1]->data->to_int64s(), (Ints{0, 0, 0, 1, 0, 1, 0, 0}));
  EXPECT_EQ(t.all("tfl.ADD").size(), 1u);  // the bias, after the padding
}

TEST(LowerConvTranspose, DilationBecomesAZeroDilatedKernel) {
  ConvTransposeCase t(1, 1, 1, 2, {{"dilations", std::vector<int64_t>{2, 2}}});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{1, 1, 5, 5}));  // (3-1) + (2-1)*2 + 1
  const auto tc = t.all("tfl.TRANSPOSE_CONV");
  ASSERT_EQ(tc.size(), 1u);
  const ir::Value* filter = tc[0]->inputs[1];
  EXPECT_EQ(filter->shape, (ir::Shape{1, 3, 3, 1}));
  EXPECT_EQ(filter->data->to_floats(), (std::vector<float>{1, 0, 1, 0, 0, 0, 1, 0, 1}));
}

TEST(LowerConvTranspose, GroupsSplitIntoOneTransposeConvEach) {
  ConvTransposeCase t(4, 6, 2, 3, {});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{1, 6, 5, 5}));
  const auto tc = t.all("tfl.TRANSPOSE_CONV");
  ASSERT_EQ(tc.size(), 2u);
  for (const ir::Node* c : tc) {
    EXPECT_EQ(c->inputs[1]->shape, (ir::Shape{3, 3, 3, 2}));  // [O/g, kH, kW, I/g]
    ASSERT_NE(c->inputs[3], nullptr);
    EXPECT_EQ(c->inputs[3]->shape, (ir::Shape{3}));
  }
  EXPECT_EQ(t.all("tfl.SPLIT").size(), 1u);
  EXPECT_EQ(t.all("tfl.CONCATENATION").size(), 1u);
}

// Found by the ONNX node tests (causal_conv_with_state_*_expanded): a run-time bias was
// read before it was checked, and the converter crashed. It is now an operand like the
// weights: passed as is, or SPLIT per group.
TEST(LowerConv, RuntimeBiasIsPassedOrSplitPerGroup) {
  for (int64_t group : {1, 2}) {
    Builder b;
    ir::Value* x = b.input("x", {1, 2, 4, 4});
    ir::Value* w = b.floats("w", {2, 2 / group, 1, 1}, std::vector<float>(4 / group, 1.0f));
    ir::Value* bias = b.input("bias", {2});
    ir::Value* y = b.value("y", {-1});
    b.node("onnx.Conv", {x, w, bias}, {y}, {{"group", group}});
    b.g.outputs = {y};
    ASSERT_TRUE(infer_shapes_and_fold(b.g).is_ok());
    ASSERT_TRUE(lower_graph(b.g).is_ok());
    for (const auto& n : b.g.nodes()) {
      if (n->op != "tfl.CONV_2D") continue;
      if (group == 1) {
        EXPECT_EQ(n->inputs[2], bias);
      } else {
        EXPECT_FALSE(n->inputs[2]->is_const());
        EXPECT_EQ(n->inputs[2]->shape, (ir::Shape{1}));
      }
    }
  }
}

TEST(LowerGraph, ListsEveryUnsupportedOpAtOnce) {
  Builder b;
  ir::Value* x = b.input("x", {2});
  ir::Value* a = b.value("a", {-1});
  ir::Value* c = b.value("c", {-1});
  ir::Node* n1 = b.node("onnx.Frobnicate", {x}, {a});
  ir::Node* n2 = b.node("com.vendor.Magic", {a}, {c});
  n1->opset = 17;
  b.g.outputs = {c};
  (void)n2;
  Status s = lower_graph(b.g);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("onnx.Frobnicate"), std::string::npos);
  EXPECT_NE(s.message().find("com.vendor.Magic"), std::string::npos);
  EXPECT_NE(s.message().find("2 unsupported op type(s)"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace pt2tflite::lower
