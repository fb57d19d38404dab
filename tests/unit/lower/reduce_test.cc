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

// One onnx reduce node on x (an input, or a constant when `data` is given). `axes_input`
// passes the axes as a constant second input (new opsets) instead of an attribute.
struct ReduceCase {
  Builder b;
  ir::Node* node = nullptr;
  ReduceCase(const std::string& op, ir::Shape shape, Attrs attrs, int opset, std::optional<Ints> axes_input = {},
             std::optional<std::vector<float>> data = {}) {
    ir::Value* x = data ? b.floats("x", shape, *data) : b.input("x", shape);
    std::vector<ir::Value*> ins{x};
    if (axes_input)
      ins.push_back(b.g.add_const("axes", ir::Tensor::from_int64s(ir::DType::kInt64,
                                                                 {static_cast<int64_t>(axes_input->size())}, *axes_input)));
    ir::Value* y = b.value("y", {-1});
    node = b.node("onnx." + op, ins, {y}, std::move(attrs));
    node->opset = opset;
    b.g.outputs = {y};
  }
  Status run() { return infer_and_lower(b.g); }
  const ir::Node* find(const std::string& op) const { return b.find(op); }
};

TEST(LowerReduce, MeanWithAxesAttributeKeepsDims) {
  ReduceCase t("ReduceMean", {2, 3, 4, 5}, {{"axes", Ints{2, 3}}}, 13);
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* r = t.find("tfl.MEAN");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->inputs[1]->dtype, ir::DType::kInt32);
  EXPECT_EQ(r->inputs[1]->data->to_int64s(), (Ints{2, 3}));
  EXPECT_EQ(r->get_int("keep_dims", 0), 1);
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{2, 3, 1, 1}));
  EXPECT_EQ(t.b.count("tfl.TRANSPOSE"), 0);
}

TEST(LowerReduce, SumOpset13TakesAxesInputAndNormalisesThem) {
  ReduceCase t("ReduceSum", {2, 3, 4}, {{"keepdims", int64_t{0}}}, 13, Ints{-1, 0});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* r = t.find("tfl.SUM");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->inputs[1]->data->to_int64s(), (Ints{0, 2}));
  EXPECT_EQ(r->get_int("keep_dims", 1), 0);
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{3}));
}

TEST(LowerReduce, OpsMapOneToOne) {
  for (const auto& [op, tfl] : std::vector<std::pair<std::string, std::string>>{
           {"ReduceMax", "tfl.REDUCE_MAX"}, {"ReduceMin", "tfl.REDUCE_MIN"}, {"ReduceProd", "tfl.REDUCE_PROD"}}) {
    ReduceCase t(op, {2, 3}, {{"axes", Ints{1}}}, 13);
    ASSERT_TRUE(t.run().is_ok()) << op;
    EXPECT_NE(t.find(tfl), nullptr) << op;
    EXPECT_EQ(t.b.g.nodes().size(), 1u) << op;
  }
}

// TFLite's REDUCE_MAX/MIN have no bool kernels (ONNX node tests reduce_max_bool_inputs …).
TEST(LowerReduce, BoolMaxIsAnyAndMinIsAll) {
  for (const auto& [op, tfl] : std::vector<std::pair<std::string, std::string>>{{"ReduceMax", "tfl.REDUCE_ANY"},
                                                                                {"ReduceMin", "tfl.REDUCE_ALL"}}) {
    Builder b;
    ir::Value* x = b.input("x", {2, 3}, ir::DType::kBool);
    ir::Value* y = b.value("y", {-1});
    ir::Node* n = b.node("onnx." + op, {x}, {y}, {{"axes", Ints{1}}, {"keepdims", int64_t{0}}});
    n->opset = 13;
    b.g.outputs = {y};
    ASSERT_TRUE(infer_shapes_and_fold(b.g).is_ok());
    ASSERT_TRUE(lower_graph(b.g).is_ok());
    ASSERT_EQ(b.g.nodes().size(), 1u);
    EXPECT_EQ(b.g.nodes()[0]->op, tfl);
    EXPECT_EQ(b.g.nodes()[0]->get_int("keep_dims", 1), 0);
    EXPECT_EQ(b.g.outputs[0]->dtype, ir::DType::kBool);
    EXPECT_EQ(b.g.outputs[0]->shape, (ir::Shape{2}));
  }
}

TEST(LowerReduce, NoAxesReducesEverything) {
  ReduceCase t("ReduceMax", {2, 3, 4}, {{"keepdims", int64_t{0}}}, 18);
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.find("tfl.REDUCE_MAX")->inputs[1]->data->to_int64s(), (Ints{0, 1, 2}));
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{}));
}

TEST(LowerReduce, NoopWithEmptyAxesIsACopy) {
  ReduceCase t("ReduceSum", {2, 3}, {{"noop_with_empty_axes", int64_t{1}}}, 13, Ints{});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.b.count("tfl.SUM"), 0);
  EXPECT_EQ(t.b.count("tfl.RESHAPE"), 1);
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{2, 3}));
}

TEST(LowerReduce, L2IsSquareSumSqrt) {
  ReduceCase t("ReduceL2", {2, 3}, {{"axes", Ints{1}}, {"keepdims", int64_t{0}}}, 13);
  ASSERT_TRUE(t.run().is_ok());
  ASSERT_EQ(t.b.g.nodes().size(), 3u);
  EXPECT_EQ(t.b.g.nodes()[0]->op, "tfl.MUL");
  EXPECT_EQ(t.b.g.nodes()[1]->op, "tfl.SUM");
  EXPECT_EQ(t.b.g.nodes()[2]->op, "tfl.SQRT");
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{2}));
}

TEST(LowerReduce, LogSumExpIsShiftedByTheMax) {
  ReduceCase t("ReduceLogSumExp", {2, 3}, {{"axes", Ints{1}}, {"keepdims", int64_t{0}}}, 13);
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* m = t.find("tfl.REDUCE_MAX");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->get_int("keep_dims", 0), 1);  // broadcasts against x in the SUB
  for (const char* op : {"tfl.SUB", "tfl.EXP", "tfl.SUM", "tfl.LOG", "tfl.ADD", "tfl.RESHAPE"})
    EXPECT_EQ(t.b.count(op), 1) << op;
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{2}));
}

TEST(LowerReduce, ConstantInputsFold) {
  const std::vector<float> data{1, 2, 3, 4, 5, 6};  // [[1,2,3],[4,5,6]]
  struct Want {
    std::string op;
    std::vector<float> values;
  };
  for (const Want& w : std::vector<Want>{{"ReduceSum", {6, 15}},
                                         {"ReduceMean", {2, 5}},
                                         {"ReduceMax", {3, 6}},
                                         {"ReduceMin", {1, 4}},
                                         {"ReduceProd", {6, 120}},
                                         {"ReduceL1", {6, 15}},
                                         {"ReduceSumSquare", {14, 77}},
                                         {"ReduceLogSumExp", {3.40760596f, 6.40760596f}}}) {
    ReduceCase t(w.op, {2, 3}, {{"axes", Ints{1}}, {"keepdims", int64_t{0}}}, 13, std::nullopt, data);
    ASSERT_TRUE(infer_shapes_and_fold(t.b.g).is_ok()) << w.op;
    EXPECT_TRUE(t.b.g.nodes().empty()) << w.op;
    ASSERT_TRUE(t.b.g.outputs[0]->is_const()) << w.op;
    EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{2})) << w.op;
    const auto got = t.b.g.outputs[0]->data->to_floats();
    ASSERT_EQ(got.size(), 2u);
    for (size_t i = 0; i < 2; ++i) EXPECT_NEAR(got[i], w.values[i], 1e-5) << w.op;
  }
}

TEST(LowerReduce, FoldOverFirstAxisKeepingDims) {
  ReduceCase t("ReduceSum", {2, 3}, {}, 13, Ints{0}, std::vector<float>{1, 2, 3, 4, 5, 6});
  ASSERT_TRUE(infer_shapes_and_fold(t.b.g).is_ok());
  ASSERT_TRUE(t.b.g.outputs[0]->is_const());
  EXPECT_EQ(t.b.g.outputs[0]->shape, (ir::Shape{1, 3}));
  EXPECT_EQ(t.b.g.outputs[0]->data->to_floats(), (std::vector<float>{5, 7, 9}));
}

// Axes computed at run time: their (static) count gives the output's rank, the TFLite op
// reads them as an int32 tensor, and the extents are known only at run time.
Status runtime_axes_case(Builder& b, ir::Shape x_shape, ir::Shape axes_shape, int64_t keepdims) {
  ir::Value* x = b.input("x", x_shape);
  ir::Value* axes = b.input("axes", axes_shape, ir::DType::kInt64);
  ir::Value* y = b.value("y", {-1});
  b.node("onnx.ReduceSum", {x, axes}, {y}, {{"keepdims", keepdims}})->opset = 13;
  b.g.outputs = {y};
  return infer_and_lower(b.g);
}

TEST(LowerReduce, RuntimeAxesGoToTheOpAsATensor) {
  for (int64_t keep : {0, 1}) {
    Builder b;
    ASSERT_TRUE(runtime_axes_case(b, {2, 3, 1}, {1}, keep).is_ok());
    const ir::Node* r = b.find("tfl.SUM");
    ASSERT_NE(r, nullptr);
    EXPECT_FALSE(r->inputs[1]->is_const());
    EXPECT_EQ(r->inputs[1]->dtype, ir::DType::kInt32);
    EXPECT_EQ(r->get_int("keep_dims", -1), keep);
    // keepdims: an extent of 1 stays 1; without: axis 1 of the output is x's 1 or 2 (3 or 1).
    EXPECT_EQ(b.g.outputs[0]->shape, keep ? (ir::Shape{-1, -1, 1}) : (ir::Shape{-1, -1}));
  }
}

TEST(LowerReduce, RuntimeAxesAsManyAsTheRankAreEveryAxis) {
  Builder b;
  ASSERT_TRUE(runtime_axes_case(b, {2, 3}, {2}, 0).is_ok());
  const ir::Node* r = b.find("tfl.SUM");
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->inputs[1]->is_const());
  EXPECT_EQ(r->inputs[1]->data->to_int64s(), (Ints{0, 1}));
  EXPECT_EQ(b.g.outputs[0]->shape, (ir::Shape{}));
}

TEST(LowerReduce, RuntimeAxesOfUnknownCountAreUnsupported) {
  Builder b;
  Status s = runtime_axes_case(b, {2, 3}, {-1}, 1);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.kind(), ErrorKind::kUnsupported);
  EXPECT_NE(s.message().find("computed at run time"), std::string::npos);
}

TEST(LowerReduce, RepeatedAxisIsInvalid) {
  ReduceCase t("ReduceMean", {2, 3}, {{"axes", Ints{1, -1}}}, 13);
  Status s = t.run();
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.kind(), ErrorKind::kInvalidModel);
}

}  // namespace
}  // namespace pt2tflite::lower
