// Layout rules of the index ops (layout_rules.cc): ARG_MAX, GATHER_ND and SCATTER_ND with
// full constant coordinates let an NCHW↔NHWC transpose pair cancel, and the rewritten graph
// computes the same numbers (checked with the reference interpreter).
#include <gtest/gtest.h>

#include "exec/interpreter.h"
#include "graph_builder.h"
#include "ir/verify.h"
#include "passes/passes.h"

namespace pt2tflite::passes {
namespace {

using testing::Builder;
const std::vector<int64_t> kToNhwc{0, 2, 3, 1}, kToNchw{0, 3, 1, 2};

ir::Tensor iota(const ir::Shape& s) {
  std::vector<float> v(static_cast<size_t>(ir::num_elements(s)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 7) % 11) - 5.0f;
  return ir::Tensor::from_floats(s, v);
}

// Runs g on `in` and returns output 0's values as doubles.
std::vector<double> run(const ir::Graph& g, const ir::Tensor& in) {
  auto it = exec::Interpreter::create(g);
  EXPECT_TRUE(it.is_ok());
  if (!it.is_ok()) return {};
  EXPECT_TRUE(it.value().run({in}).is_ok());
  return it.value().value(g.outputs[0]).to_doubles();
}

// x (NHWC, from a producer) → NCHW → op → back to NHWC → RELU: sinking must leave no transposes
// and keep the numbers.
void expect_cancels(Builder& b, ir::Value* nchw_result, const ir::Shape& in_shape) {
  ir::Value* back = b.transpose(nchw_result, kToNhwc);
  ir::Value* y = b.value("y", back->shape, back->dtype);
  b.node(back->dtype == ir::DType::kFloat32 ? "tfl.RELU" : "tfl.CAST", {back}, {y});
  b.g.outputs = {y};
  const ir::Tensor in = iota(in_shape);
  const std::vector<double> before = run(b.g, in);
  ASSERT_TRUE(sink_transposes(b.g).is_ok());
  ASSERT_TRUE(ir::verify(b.g).is_ok());
  EXPECT_EQ(b.count("tfl.TRANSPOSE"), 0);
  EXPECT_EQ(run(b.g, in), before);
}

ir::Value* nhwc_producer(Builder& b, const ir::Shape& s) {
  ir::Value* x = b.input("x", s);
  ir::Value* a = b.value("a", s);
  b.node("tfl.RELU6", {x}, {a});  // not a graph input: a border transpose would be hoisted instead
  return b.transpose(a, kToNchw);
}

TEST(IndexLayout, GatherNdWithFullCoordinatesCarriesThePermutation) {
  Builder b;
  ir::Value* x = nhwc_producer(b, {1, 2, 2, 3});  // NCHW [1,3,2,2]
  // GatherElements along C with indices [1,2,2,2]: coordinates (n, idx, h, w)
  std::vector<int64_t> c;
  const int64_t idx[8] = {2, 0, 1, 1, 0, 2, 2, 0};
  for (int64_t k = 0; k < 2; ++k)
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t w = 0; w < 2; ++w) c.insert(c.end(), {0, idx[(k * 2 + h) * 2 + w], h, w});
  ir::Value* g = b.value("g", {1, 2, 2, 2});
  b.node("tfl.GATHER_ND", {x, b.ints("coords", c, {1, 2, 2, 2, 4})}, {g});
  expect_cancels(b, g, {1, 2, 2, 3});
}

TEST(IndexLayout, ScatterNdWithFullCoordinatesCarriesThePermutation) {
  Builder b;
  ir::Value* x = nhwc_producer(b, {1, 2, 2, 3});  // the updates, NCHW [1,3,2,2]
  std::vector<int64_t> c;
  for (int64_t k = 0; k < 3; ++k)  // channel k → channel 2-k
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t w = 0; w < 2; ++w) c.insert(c.end(), {0, 2 - k, h, w});
  ir::Value* s = b.value("s", {1, 3, 2, 2});
  b.node("tfl.SCATTER_ND", {b.ints("coords", c, {1, 3, 2, 2, 4}), x, b.ints("shape", {1, 3, 2, 2})}, {s});
  expect_cancels(b, s, {1, 2, 2, 3});
}

TEST(IndexLayout, ArgMaxOverChannelsDropsThePair) {
  Builder b;
  ir::Value* x = nhwc_producer(b, {1, 2, 2, 3});
  ir::Value* a = b.value("amax", {1, 2, 2}, ir::DType::kInt64);
  b.node("tfl.ARG_MAX", {x, b.ints("axis", {1})}, {a});
  ir::Value* y = b.value("y", {1, 2, 2}, ir::DType::kInt64);
  b.node("tfl.CAST", {a}, {y});
  b.g.outputs = {y};
  ASSERT_TRUE(sink_transposes(b.g).is_ok());
  ASSERT_TRUE(transpose_to_reshape(b.g).is_ok());  // what sinking leaves is an identity
  ASSERT_TRUE(merge_reshapes(b.g).is_ok());
  EXPECT_EQ(b.count("tfl.TRANSPOSE"), 0);
  EXPECT_TRUE(ir::verify(b.g).is_ok());
  EXPECT_EQ(b.find("tfl.ARG_MAX")->inputs[1]->data->to_int64s(), (std::vector<int64_t>{3}));
}

}  // namespace
}  // namespace pt2tflite::passes
