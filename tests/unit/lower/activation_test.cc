#include <gtest/gtest.h>

#include <cmath>

#include "graph_builder.h"
#include "ir/verify.h"
#include "lower/lower.h"
#include "lower_test_util.h"

namespace pt2tflite::lower {
namespace {

using testing::Builder;

// One onnx.<op> on x [2,3,4,5] (or `shape`), extra inputs after x; y is the graph output.
struct Act {
  Builder b;
  ir::Value* x;
  ir::Value* y;
  ir::Node* n;
  Act(const std::string& op, std::map<std::string, ir::Attribute> attrs = {}, std::vector<ir::Value*> extra = {},
      ir::Shape shape = {2, 3, 4, 5}, ir::DType dt = ir::DType::kFloat32, int opset = 17) {
    x = b.input("x", shape, dt);
    y = b.value("y", {-1});
    std::vector<ir::Value*> in{x};
    in.insert(in.end(), extra.begin(), extra.end());
    n = b.node("onnx." + op, in, {y}, std::move(attrs));
    n->opset = opset;
    b.g.outputs = {y};
  }
  Status run() { return infer_and_lower(b.g); }
  const ir::Node* find(const std::string& op) const {
    for (const auto& node : b.g.nodes())
      if (node->op == op) return node.get();
    return nullptr;
  }
  const ir::Node* producer_of_output() const {
    for (const auto& node : b.g.nodes())
      for (const ir::Value* o : node->outputs)
        if (o == b.g.outputs[0]) return node.get();
    return nullptr;
  }
  // The scalar constant operand of `node` (its second input).
  static double scalar_arg(const ir::Node* node) { return node->inputs[1]->data->to_doubles().at(0); }
};

ir::Value* scalar(Builder& b, const std::string& name, float v) { return b.floats(name, {}, {v}); }

TEST(LowerActivation, DirectBuiltins) {
  for (auto [onnx_op, tfl] : std::vector<std::pair<std::string, std::string>>{
           {"Relu", "tfl.RELU"}, {"Sigmoid", "tfl.LOGISTIC"}, {"Tanh", "tfl.TANH"}, {"HardSwish", "tfl.HARD_SWISH"}}) {
    Act t(onnx_op);
    ASSERT_TRUE(t.run().is_ok()) << onnx_op;
    EXPECT_EQ(t.b.g.nodes().size(), 1u) << onnx_op;
    EXPECT_EQ(t.producer_of_output()->op, tfl);
    EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{2, 3, 4, 5}));
  }
}

TEST(LowerActivation, ClipRecognisesFusedActivationRanges) {
  struct Case {
    float lo, hi;
    bool has_hi;
    const char* op;
  };
  for (const Case& c : {Case{0, 6, true, "tfl.RELU6"}, Case{-1, 1, true, "tfl.RELU_N1_TO_1"}, Case{0, 0, false, "tfl.RELU"}}) {
    Act t("Clip", {}, {}, {2, 3, 4, 5}, ir::DType::kFloat32, 13);
    t.n->inputs.push_back(scalar(t.b, "lo", c.lo));
    if (c.has_hi) t.n->inputs.push_back(scalar(t.b, "hi", c.hi));
    ASSERT_TRUE(t.run().is_ok()) << c.op;
    EXPECT_EQ(t.b.g.nodes().size(), 1u) << c.op;
    EXPECT_EQ(t.producer_of_output()->op, c.op);
  }
}

TEST(LowerActivation, ClipOldOpsetAttributes) {
  Act t("Clip", {{"min", 0.0}, {"max", 6.0}}, {}, {2, 3, 4, 5}, ir::DType::kFloat32, 6);
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.producer_of_output()->op, "tfl.RELU6");
}

TEST(LowerActivation, ClipGeneralRangeIsMaximumThenMinimum) {
  Act t("Clip", {}, {}, {2, 3, 4, 5}, ir::DType::kFloat32, 13);
  t.n->inputs = {t.x, scalar(t.b, "lo", -0.5f), scalar(t.b, "hi", 2.5f)};
  ASSERT_TRUE(t.run().is_ok());
  ASSERT_EQ(t.b.g.nodes().size(), 2u);
  const ir::Node* mx = t.b.g.nodes()[0].get();
  const ir::Node* mn = t.b.g.nodes()[1].get();
  EXPECT_EQ(mx->op, "tfl.MAXIMUM");
  EXPECT_EQ(mx->inputs[0], t.x);
  EXPECT_EQ(Act::scalar_arg(mx), -0.5);
  EXPECT_EQ(mn->op, "tfl.MINIMUM");
  EXPECT_EQ(mn->inputs[0], mx->outputs[0]);
  EXPECT_EQ(Act::scalar_arg(mn), 2.5);
  EXPECT_EQ(mn->outputs[0], t.b.g.outputs[0]);
}

TEST(LowerActivation, ClipOnlyMaxAndNoBounds) {
  Act only_max("Clip", {}, {}, {2, 3}, ir::DType::kFloat32, 13);
  only_max.n->inputs = {only_max.x, nullptr, scalar(only_max.b, "hi", 3)};
  ASSERT_TRUE(only_max.run().is_ok());
  EXPECT_EQ(only_max.b.g.nodes().size(), 1u);
  EXPECT_EQ(only_max.producer_of_output()->op, "tfl.MINIMUM");

  Act none("Clip", {}, {}, {2, 3}, ir::DType::kFloat32, 13);
  ASSERT_TRUE(none.run().is_ok());
  EXPECT_EQ(none.producer_of_output()->op, "tfl.RESHAPE");  // a copy
}

TEST(LowerActivation, ClipOnIntegersUsesMinMaxNotRelu6) {
  Act t("Clip", {}, {}, {4}, ir::DType::kInt32, 13);
  t.n->inputs = {t.x, t.b.ints("lo", {0}, {}), t.b.ints("hi", {6}, {})};
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.b.count("tfl.MAXIMUM"), 1);
  EXPECT_EQ(t.b.count("tfl.MINIMUM"), 1);
  EXPECT_EQ(t.b.count("tfl.RELU6"), 0);
  EXPECT_EQ(t.find("tfl.MINIMUM")->inputs[1]->dtype, ir::DType::kInt32);
}

TEST(LowerActivation, ClipFoldsConstants) {
  Builder b;
  ir::Value* x = b.floats("x", {4}, {-3, -0.5f, 0.5f, 9});
  ir::Value* y = b.value("y", {-1});
  b.node("onnx.Clip", {x, b.floats("lo", {}, {-1}), b.floats("hi", {}, {1})}, {y})->opset = 13;
  b.g.outputs = {y};
  ASSERT_TRUE(infer_shapes_and_fold(b.g).is_ok());
  ASSERT_TRUE(b.g.outputs[0]->is_const());
  EXPECT_EQ(b.g.outputs[0]->data->to_floats(), (std::vector<float>{-1, -0.5f, 0.5f, 1}));
}

TEST(LowerActivation, HardSigmoidIsScaledRelu6) {
  Act t("HardSigmoid");  // alpha 0.2, beta 0.5: RELU6(1.2x + 3) / 6
  ASSERT_TRUE(t.run().is_ok());
  ASSERT_EQ(t.b.g.nodes().size(), 4u);
  const auto& nodes = t.b.g.nodes();
  EXPECT_EQ(nodes[0]->op, "tfl.MUL");
  EXPECT_NEAR(Act::scalar_arg(nodes[0].get()), 1.2, 1e-6);
  EXPECT_EQ(nodes[1]->op, "tfl.ADD");
  EXPECT_NEAR(Act::scalar_arg(nodes[1].get()), 3.0, 1e-6);
  EXPECT_EQ(nodes[2]->op, "tfl.RELU6");
  EXPECT_EQ(nodes[3]->op, "tfl.MUL");
  EXPECT_NEAR(Act::scalar_arg(nodes[3].get()), 1.0 / 6, 1e-7);
  EXPECT_EQ(nodes[3]->outputs[0], t.b.g.outputs[0]);
}

TEST(LowerActivation, PyTorchHardsigmoidSkipsTheUnitScale) {
  Act t("HardSigmoid", {{"alpha", static_cast<double>(1.0f / 6)}});  // as stored in ONNX (float)
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.b.g.nodes().size(), 3u);
  EXPECT_EQ(t.b.g.nodes()[0]->op, "tfl.ADD");
  EXPECT_EQ(t.b.g.nodes()[0]->inputs[0], t.x);
}

TEST(LowerActivation, LeakyReluCarriesAlpha) {
  Act def("LeakyRelu");
  ASSERT_TRUE(def.run().is_ok());
  EXPECT_DOUBLE_EQ(def.find("tfl.LEAKY_RELU")->get_float("alpha", 0), 0.01);
  Act t("LeakyRelu", {{"alpha", 0.2}});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_DOUBLE_EQ(t.find("tfl.LEAKY_RELU")->get_float("alpha", 0), 0.2);
}

TEST(LowerActivation, PReluPerChannelSlopeGetsInputRank) {
  Act t("PRelu");
  t.n->inputs.push_back(t.b.floats("slope", {3, 1, 1}, {0.1f, 0.2f, 0.3f}));
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* p = t.find("tfl.PRELU");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->inputs[1]->shape, (ir::Shape{1, 3, 1, 1}));
  EXPECT_EQ(p->inputs[1]->data->to_floats(), (std::vector<float>{0.1f, 0.2f, 0.3f}));
  EXPECT_EQ(p->outputs[0], t.b.g.outputs[0]);
}

TEST(LowerActivation, PReluWithOneSlopeIsLeakyRelu) {
  Act t("PRelu");
  t.n->inputs.push_back(t.b.floats("slope", {1}, {0.25f}));
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.b.g.nodes().size(), 1u);
  EXPECT_DOUBLE_EQ(t.find("tfl.LEAKY_RELU")->get_float("alpha", 0), 0.25);
}

TEST(LowerActivation, EluWithAlphaOneIsOneBuiltin) {
  Act t("Elu");
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.b.g.nodes().size(), 1u);
  EXPECT_EQ(t.producer_of_output()->op, "tfl.ELU");
}

TEST(LowerActivation, EluWithOtherAlphaIsComposed) {
  Act t("Elu", {{"alpha", 0.5}});  // RELU(x) + 0.5·ELU(MIN(x, 0))
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.b.count("tfl.MINIMUM"), 1);
  EXPECT_EQ(t.b.count("tfl.ELU"), 1);
  EXPECT_EQ(t.b.count("tfl.RELU"), 1);
  EXPECT_EQ(t.b.count("tfl.MUL"), 1);
  EXPECT_DOUBLE_EQ(Act::scalar_arg(t.find("tfl.MUL")), 0.5);
  EXPECT_EQ(t.producer_of_output()->op, "tfl.ADD");
}

TEST(LowerActivation, GeluApproximateAttribute) {
  Act exact("Gelu", {}, {}, {2, 3, 4, 5}, ir::DType::kFloat32, 20);
  ASSERT_TRUE(exact.run().is_ok());
  EXPECT_EQ(exact.find("tfl.GELU")->get_int("approximate", -1), 0);
  Act tanh("Gelu", {{"approximate", std::string("tanh")}}, {}, {2, 3, 4, 5}, ir::DType::kFloat32, 20);
  ASSERT_TRUE(tanh.run().is_ok());
  EXPECT_EQ(tanh.find("tfl.GELU")->get_int("approximate", -1), 1);
}

TEST(LowerActivation, ComposedFormsUseOnlyBuiltins) {
  for (const char* op : {"Selu", "Celu", "Softplus", "Softsign", "Mish"}) {
    Act t(op, std::string(op) == "Celu" ? std::map<std::string, ir::Attribute>{{"alpha", 2.0}}
                                          : std::map<std::string, ir::Attribute>{});
    ASSERT_TRUE(t.run().is_ok()) << op;
    EXPECT_GT(t.b.g.nodes().size(), 1u) << op;
    EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{2, 3, 4, 5})) << op;
  }
}

TEST(LowerActivation, FoldsConstantInputs) {
  const std::vector<float> in{-2.0f, -0.5f, 0.0f, 1.5f};
  struct Case {
    const char* op;
    std::map<std::string, ir::Attribute> attrs;
    double (*ref)(double);
  };
  std::vector<Case> cases = {
      {"Sigmoid", {}, [](double x) { return 1 / (1 + std::exp(-x)); }},
      {"Softplus", {}, [](double x) { return std::log1p(std::exp(x)); }},
      {"Erf", {}, [](double x) { return std::erf(x); }},
      {"Elu", {{"alpha", 0.5}}, [](double x) { return x < 0 ? 0.5 * std::expm1(x) : x; }},
      {"HardSigmoid", {}, [](double x) { return std::clamp(0.2 * x + 0.5, 0.0, 1.0); }},
      {"Gelu", {}, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
  };
  for (const Case& c : cases) {
    Builder b;
    ir::Value* x = b.floats("x", {4}, in);
    ir::Value* y = b.value("y", {-1});
    b.node(std::string("onnx.") + c.op, {x}, {y}, c.attrs);
    b.g.outputs = {y};
    ASSERT_TRUE(infer_shapes_and_fold(b.g).is_ok()) << c.op;
    ASSERT_TRUE(b.g.outputs[0]->is_const()) << c.op;
    auto got = b.g.outputs[0]->data->to_floats();
    for (size_t i = 0; i < in.size(); ++i) EXPECT_NEAR(got[i], c.ref(in[i]), 1e-6) << c.op << " at " << in[i];
  }
}

}  // namespace
}  // namespace pt2tflite::lower
