#include <gtest/gtest.h>

#include "exec/interpreter.h"
#include "graph_builder.h"
#include "ir/verify.h"
#include "passes/layout_rules.h"
#include "passes/passes.h"

namespace pt2tflite::passes {
namespace {

using testing::Builder;
const std::vector<int64_t> kToNhwc{0, 2, 3, 1}, kToNchw{0, 3, 1, 2};

// conv-like NHWC value → NCHW → RELU → NHWC: the pair cancels through the RELU.
TEST(SinkTransposes, CancelsPairAcrossElementwise) {
  Builder b;
  ir::Value* x = b.input("x", {1, 4, 4, 8});
  ir::Value* a = b.value("a", {1, 4, 4, 8});
  b.node("tfl.RELU6", {x}, {a});
  ir::Value* nchw = b.transpose(a, kToNchw);
  ir::Value* r = b.value("r", {1, 8, 4, 4});
  b.node("tfl.RELU", {nchw}, {r});
  ir::Value* back = b.transpose(r, kToNhwc);
  ir::Value* y = b.value("y", {1, 4, 4, 8});
  b.node("tfl.LOGISTIC", {back}, {y});
  b.g.outputs = {y};
  ASSERT_TRUE(sink_transposes(b.g).is_ok());
  EXPECT_EQ(b.count("tfl.TRANSPOSE"), 0);
  EXPECT_TRUE(ir::verify(b.g).is_ok());
  EXPECT_EQ(b.g.outputs[0]->shape, (ir::Shape{1, 4, 4, 8}));
}

// Two transposed operands of ADD and a per-channel constant: one transpose remains, after ADD,
// and the constant [C,1,1] is permuted to [1,1,1,C].
TEST(SinkTransposes, SinksThroughBinaryAndPermutesConstant) {
  Builder b;
  // (Producers with two varying inputs: a unary op on a graph input would pull the
  // transposes up to the border instead.)
  ir::Value* x = b.input("x", {1, 2, 3, 4});
  ir::Value* x2 = b.input("x2", {1, 2, 3, 4});
  ir::Value* a = b.value("a", {1, 2, 3, 4});
  ir::Value* c = b.value("c", {1, 2, 3, 4});
  b.node("tfl.ADD", {x, x2}, {a});
  b.node("tfl.SUB", {x, x2}, {c});
  ir::Value* ta = b.transpose(a, kToNchw);
  ir::Value* tc = b.transpose(c, kToNchw);
  ir::Value* s = b.value("s", {1, 4, 2, 3});
  b.node("tfl.ADD", {ta, tc}, {s});
  ir::Value* bias = b.floats("bias", {4, 1, 1}, {1, 2, 3, 4});
  ir::Value* y = b.value("y", {1, 4, 2, 3});
  b.node("tfl.MUL", {s, bias}, {y});
  b.g.outputs = {y};
  ASSERT_TRUE(sink_transposes(b.g).is_ok());
  EXPECT_EQ(b.count("tfl.TRANSPOSE"), 1);
  const ir::Node* last = b.g.nodes().back().get();
  EXPECT_EQ(last->op, "tfl.TRANSPOSE");
  EXPECT_EQ(last->outputs[0]->name, "y");
  const ir::Node* found = b.find("tfl.MUL");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->inputs[1]->shape, (ir::Shape{1, 1, 1, 4}));
  EXPECT_TRUE(ir::verify(b.g).is_ok());
}

// A transposed operand next to a non-transposed activation must not be sunk: that would
// add a transpose on the other branch.
TEST(SinkTransposes, DoesNotAddTransposes) {
  Builder b;
  ir::Value* x = b.input("x", {1, 4, 2, 3});
  ir::Value* z = b.input("z", {1, 2, 3, 4});
  ir::Value* tz = b.transpose(z, kToNchw);  // a border transpose: stays
  ir::Value* rz = b.value("rz", {1, 4, 2, 3});
  b.node("tfl.RELU", {tz}, {rz});
  ir::Value* y = b.value("y", {1, 4, 2, 3});
  b.node("tfl.ADD", {rz, x}, {y});
  b.g.outputs = {y};
  ASSERT_TRUE(sink_transposes(b.g).is_ok());
  EXPECT_EQ(b.count("tfl.TRANSPOSE"), 1);
  EXPECT_TRUE(ir::verify(b.g).is_ok());
}

// MEAN over NCHW spatial axes without keep_dims: the axes remap to NHWC's and the
// remaining transpose over [N, C] is an identity, so nothing is left.
TEST(SinkTransposes, ReduceWithoutKeepDims) {
  Builder b;
  ir::Value* x = b.input("x", {1, 5, 5, 8});
  ir::Value* x2 = b.input("x2", {1, 5, 5, 8});
  ir::Value* a = b.value("a", {1, 5, 5, 8});
  b.node("tfl.ADD", {x, x2}, {a});  // (a unary op on x would pull the transpose to the border)
  ir::Value* t = b.transpose(a, kToNchw);
  ir::Value* m = b.value("m", {1, 8});
  b.node("tfl.MEAN", {t, b.ints("axes", {2, 3})}, {m}, {{"keep_dims", int64_t{0}}});
  b.g.outputs = {m};
  ASSERT_TRUE(sink_transposes(b.g).is_ok());
  ASSERT_TRUE(transpose_to_reshape(b.g).is_ok());
  ASSERT_TRUE(merge_reshapes(b.g).is_ok());
  EXPECT_EQ(b.count("tfl.TRANSPOSE"), 0);
  const ir::Node* found = b.find("tfl.MEAN");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->inputs[1]->data->to_int64s(), (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(ir::verify(b.g).is_ok());
}

// Concat on channels of two NCHW views of NHWC values becomes a concat on axis 3.
TEST(SinkTransposes, ConcatRemapsAxis) {
  Builder b;
  ir::Value* x = b.input("x", {1, 2, 2, 3});
  ir::Value* x2 = b.input("x2", {1, 2, 2, 3});
  ir::Value* a = b.value("a", {1, 2, 2, 3});
  ir::Value* c = b.value("c", {1, 2, 2, 3});
  b.node("tfl.ADD", {x, x2}, {a});
  b.node("tfl.SUB", {x, x2}, {c});
  ir::Value* y = b.value("y", {1, 6, 2, 2});
  b.node("tfl.CONCATENATION", {b.transpose(a, kToNchw), b.transpose(c, kToNchw)}, {y}, {{"axis", int64_t{1}}});
  b.g.outputs = {y};
  ASSERT_TRUE(sink_transposes(b.g).is_ok());
  EXPECT_EQ(b.count("tfl.TRANSPOSE"), 1);
  const ir::Node* found = b.find("tfl.CONCATENATION");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->get_int("axis", -1), 3);
}

TEST(NhwcIo, BorderTransposesCancel) {
  Builder b;
  ir::Value* x = b.input("x", {1, 3, 4, 4});
  ir::Value* t = b.transpose(x, kToNhwc);
  ir::Value* a = b.value("a", {1, 4, 4, 3});
  b.node("tfl.RELU", {t}, {a});
  ir::Value* y = b.value("y", {1, 3, 4, 4});
  b.node("tfl.TRANSPOSE", {a, b.ints("p", kToNchw)}, {y});
  b.g.outputs = {y};
  ASSERT_TRUE(io_layout_nhwc(b.g).is_ok());
  ASSERT_TRUE(sink_transposes(b.g).is_ok());
  EXPECT_EQ(b.count("tfl.TRANSPOSE"), 0);
  EXPECT_EQ(b.g.inputs[0]->name, "x");
  EXPECT_EQ(b.g.inputs[0]->shape, (ir::Shape{1, 4, 4, 3}));
  EXPECT_EQ(b.g.outputs[0]->name, "y");
  EXPECT_EQ(b.g.outputs[0]->shape, (ir::Shape{1, 4, 4, 3}));
  EXPECT_TRUE(ir::verify(b.g).is_ok());
}

}  // namespace
}  // namespace pt2tflite::passes

namespace pt2tflite::passes {
namespace {

// x (NHWC) → NCHW → instance-norm-like fan-out: MEAN and SUB both read the transposed
// value; a final NHWC transpose (the next conv) follows. Cloning the transpose per reader
// lets every copy cancel: nothing is left.
TEST(SinkTransposes, FanOutIsClonedWhenItPaysOff) {
  testing::Builder b;
  ir::Value* x = b.input("x", {1, 4, 4, 8});
  ir::Value* x2 = b.input("x2", {1, 4, 4, 8});
  ir::Value* a = b.value("a", {1, 4, 4, 8});
  b.node("tfl.ADD", {x, x2}, {a});
  ir::Value* t = b.transpose(a, {0, 3, 1, 2});  // [1,8,4,4]
  ir::Value* m = b.value("m", {1, 8, 1, 1});
  b.node("tfl.MEAN", {t, b.ints("axes", {2, 3})}, {m}, {{"keep_dims", int64_t{1}}});
  ir::Value* d = b.value("d", {1, 8, 4, 4});
  b.node("tfl.SUB", {t, m}, {d});
  ir::Value* back = b.transpose(d, {0, 2, 3, 1});
  ir::Value* y = b.value("y", {1, 4, 4, 8});
  b.node("tfl.RELU", {back}, {y});
  b.g.outputs = {y};
  ASSERT_TRUE(sink_transposes(b.g).is_ok());
  EXPECT_EQ(b.count("tfl.TRANSPOSE"), 0);
  EXPECT_TRUE(ir::verify(b.g).is_ok());
}

// With no transpose below to cancel against, cloning would only add copies: declined.
TEST(SinkTransposes, FanOutNotClonedWhenItDoesNotPay) {
  testing::Builder b;
  ir::Value* x = b.input("x", {1, 4, 4, 8});
  ir::Value* x2 = b.input("x2", {1, 4, 4, 8});
  ir::Value* a = b.value("a", {1, 4, 4, 8});
  b.node("tfl.ADD", {x, x2}, {a});
  ir::Value* t = b.transpose(a, {0, 3, 1, 2});
  ir::Value* r = b.value("r", {1, 8, 4, 4});
  ir::Value* s = b.value("s", {1, 8, 4, 4});
  b.node("tfl.RELU", {t}, {r});
  b.node("tfl.TANH", {t}, {s});
  b.g.outputs = {r, s};
  ASSERT_TRUE(sink_transposes(b.g).is_ok());
  EXPECT_EQ(b.count("tfl.TRANSPOSE"), 1);
}

// A border transpose stays at the input even when a clip-like op with constant operands
// sits between it and the conv: the constants are permuted instead.
TEST(SinkTransposes, HoistsBorderThroughOpWithConstantOperand) {
  testing::Builder b;
  ir::Value* x = b.input("x", {1, 3, 4, 4});
  ir::Value* m = b.value("m", {1, 3, 4, 4});
  b.node("tfl.MAXIMUM", {x, b.floats("lo", {3, 1, 1}, {0, 1, 2})}, {m});
  ir::Value* t = b.transpose(m, {0, 2, 3, 1});
  ir::Value* y = b.value("y", {1, 4, 4, 3});
  b.node("tfl.RELU", {t}, {y});
  b.g.outputs = {y};
  ASSERT_TRUE(sink_transposes(b.g).is_ok());
  ASSERT_EQ(b.count("tfl.TRANSPOSE"), 1);
  EXPECT_EQ(b.g.nodes()[0]->op, "tfl.TRANSPOSE");
  EXPECT_EQ(b.g.nodes()[0]->inputs[0]->name, "x");
  const ir::Node* found = b.find("tfl.MAXIMUM");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->inputs[1]->shape, (ir::Shape{1, 1, 1, 3}));
}

}  // namespace
}  // namespace pt2tflite::passes

namespace pt2tflite::passes {
namespace {

// Runs g on inputs 0, 1, 2, … (input k offset by 100 k) and returns its first output.
std::vector<float> run_iota(const ir::Graph& g) {
  std::vector<ir::Tensor> in;
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    std::vector<float> v(static_cast<size_t>(ir::num_elements(g.inputs[k]->shape)));
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(100 * k + i);
    in.push_back(ir::Tensor::from_floats(g.inputs[k]->shape, v));
  }
  auto it = exec::Interpreter::create(g);
  EXPECT_TRUE(it.is_ok());
  if (!it.is_ok()) return {};
  EXPECT_TRUE(it->run(in).is_ok());
  return it->value(g.outputs[0]).to_floats();
}

// ShuffleNet's channel shuffle between two NHWC ops, as lowered: NHWC → NCHW, reshape
// [N,C,H,W] → [N,g,C/g,H,W], swap the group axes, reshape back, → NHWC. The swap is a real
// data move, but the NCHW/NHWC pair around it must go: the transpose above the reshape is
// split into the group swap (kept, on [N,H,W,g,C/g]) and a layout half that cancels.
TEST(SinkTransposes, ChannelShuffleKeepsOnlyTheGroupSwap) {
  Builder b;
  ir::Value* x = b.input("x", {1, 3, 3, 6});
  ir::Value* x2 = b.input("x2", {1, 3, 3, 6});
  ir::Value* a = b.value("a", {1, 3, 3, 6});
  b.node("tfl.ADD", {x, x2}, {a});
  ir::Value* nchw = b.transpose(a, kToNchw);  // [1,6,3,3]
  ir::Value* grouped = b.value("grouped", {1, 2, 3, 3, 3});
  b.node("tfl.RESHAPE", {nchw, b.ints("s1", {1, 2, 3, 3, 3})}, {grouped});
  ir::Value* swapped = b.transpose(grouped, {0, 2, 1, 3, 4});
  ir::Value* merged = b.value("merged", {1, 6, 3, 3});
  b.node("tfl.RESHAPE", {swapped, b.ints("s2", {1, 6, 3, 3})}, {merged});
  ir::Value* back = b.transpose(merged, kToNhwc);
  ir::Value* y = b.value("y", {1, 3, 3, 6});
  b.node("tfl.RELU", {back}, {y});
  b.g.outputs = {y};
  const std::vector<float> before = run_iota(b.g);

  ASSERT_TRUE(sink_transposes(b.g).is_ok());
  EXPECT_TRUE(ir::verify(b.g).is_ok());
  ASSERT_EQ(b.count("tfl.TRANSPOSE"), 1);
  const ir::Node* t = b.find("tfl.TRANSPOSE");
  EXPECT_EQ(t->inputs[0]->shape, (ir::Shape{1, 3, 3, 2, 3}));
  EXPECT_EQ(t->inputs[1]->data->to_int64s(), (std::vector<int64_t>{0, 1, 2, 4, 3}));
  EXPECT_EQ(run_iota(b.g), before);
}

// A reshape that merely groups axes the transpose keeps in order needs no split; one that
// has nothing below to cancel against is left alone (the split would add a transpose).
TEST(SinkTransposes, SplitAboveReshapeOnlyWhenItPays) {
  Builder b;
  ir::Value* x = b.input("x", {1, 3, 3, 6});
  ir::Value* x2 = b.input("x2", {1, 3, 3, 6});
  ir::Value* a = b.value("a", {1, 3, 3, 6});
  b.node("tfl.ADD", {x, x2}, {a});
  ir::Value* nchw = b.transpose(a, kToNchw);
  ir::Value* grouped = b.value("grouped", {1, 2, 3, 3, 3});
  b.node("tfl.RESHAPE", {nchw, b.ints("s1", {1, 2, 3, 3, 3})}, {grouped});
  ir::Value* swapped = b.transpose(grouped, {0, 2, 1, 3, 4});
  ir::Value* y = b.value("y", {1, 6, 3, 3});
  b.node("tfl.RESHAPE", {swapped, b.ints("s2", {1, 6, 3, 3})}, {y});
  b.g.outputs = {y};
  const std::vector<float> before = run_iota(b.g);
  ASSERT_TRUE(sink_transposes(b.g).is_ok());
  EXPECT_EQ(b.count("tfl.TRANSPOSE"), 1);
  EXPECT_EQ(run_iota(b.g), before);
}

// split_for_reshape itself: [N,H,W,g,c] viewed as [N,c,g,H,W] and merged to [N,C,H,W].
TEST(LayoutRules, SplitForReshapeFactorsThePermutation) {
  Builder b;
  ir::Value* y = b.input("y", {1, 3, 2, 4, 5});
  ir::Value* z = b.value("z", {1, 6, 4, 5});
  const ir::Node* r = b.node("tfl.RESHAPE", {y, b.ints("s", {1, 6, 4, 5})}, {z});
  std::vector<int64_t> inner, outer;
  ASSERT_TRUE(split_for_reshape(*r, {0, 4, 3, 1, 2}, &inner, &outer));
  EXPECT_EQ(inner, (std::vector<int64_t>{0, 1, 2, 4, 3}));
  EXPECT_EQ(outer, (std::vector<int64_t>{0, 3, 4, 1, 2}));
  // Axes already adjacent and in order: the reshape commutes, nothing to split.
  EXPECT_FALSE(split_for_reshape(*r, {0, 3, 4, 1, 2}, &inner, &outer));
}

}  // namespace
}  // namespace pt2tflite::passes

namespace pt2tflite::passes {
namespace {

// [1,4,3,8] → transpose (0,2,1,3) → op → transpose back: the pair cancels through ops that
// map each last-axis vector on its own (1x1 conv, FULLY_CONNECTED keeping dims), not
// through a 3x3 conv, whose window sees the swapped axes.
int transposes_left_around(const std::string& op, const ir::Shape& w_shape, bool keep_num_dims = false) {
  Builder b;
  ir::Value* x = b.input("x", {1, 4, 3, 8});
  ir::Value* x2 = b.input("x2", {1, 4, 3, 8});
  ir::Value* a = b.value("a", {1, 4, 3, 8});
  b.node("tfl.ADD", {x, x2}, {a});
  ir::Value* t = b.transpose(a, {0, 2, 1, 3});  // [1,3,4,8]
  const int64_t units = w_shape[0];
  std::map<std::string, ir::Attribute> attrs;
  if (op == "tfl.CONV_2D") attrs = {{"padding", std::string("SAME")}, {"stride_h", int64_t{1}}, {"stride_w", int64_t{1}}};
  if (keep_num_dims) attrs["keep_num_dims"] = int64_t{1};
  ir::Value* y = b.value("y", {1, 3, 4, units});
  b.node(op, {t, b.floats("w", w_shape, std::vector<float>(static_cast<size_t>(ir::num_elements(w_shape)), 0.5f)),
              b.floats("b", {units}, std::vector<float>(static_cast<size_t>(units), 1.f))},
         {y}, attrs);
  ir::Value* back = b.transpose(y, {0, 2, 1, 3});
  ir::Value* z = b.value("z", {1, 4, 3, units});
  b.node("tfl.RELU", {back}, {z});
  b.g.outputs = {z};
  const std::vector<float> before = run_iota(b.g);
  EXPECT_TRUE(sink_transposes(b.g).is_ok());
  EXPECT_TRUE(ir::verify(b.g).is_ok());
  EXPECT_EQ(run_iota(b.g), before) << op;
  return b.count("tfl.TRANSPOSE");
}

TEST(SinkTransposes, PassesPointwiseOpsOnTheLastAxis) {
  EXPECT_EQ(transposes_left_around("tfl.CONV_2D", {5, 1, 1, 8}), 0);
  EXPECT_EQ(transposes_left_around("tfl.FULLY_CONNECTED", {5, 8}, /*keep_num_dims=*/true), 0);
  EXPECT_EQ(transposes_left_around("tfl.CONV_2D", {5, 3, 3, 8}), 2);
}

TEST(LayoutRules, MayCommuteKeepsTheLastAxis) {
  Builder b;
  ir::Value* x = b.input("x", {1, 3, 4, 8});
  const ir::Node* fc = b.node("tfl.FULLY_CONNECTED", {x, b.floats("w", {5, 8}, std::vector<float>(40, 1.f)),
                                                     b.floats("b", {5}, std::vector<float>(5, 0.f))},
                              {b.value("y", {1, 3, 4, 5})}, {{"keep_num_dims", int64_t{1}}});
  EXPECT_TRUE(may_commute(*fc, {0, 2, 1, 3}));
  EXPECT_FALSE(may_commute(*fc, {0, 3, 1, 2}));
}

}  // namespace
}  // namespace pt2tflite::passes
