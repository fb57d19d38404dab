#include <gtest/gtest.h>

#include <functional>

#include "graph_builder.h"
#include "ir/verify.h"
#include "passes/passes.h"

namespace pt2tflite::passes {
namespace {

using testing::Builder;

// y = FULLY_CONNECTED(x [1,3,4], w [2,4], bias) with keep_num_dims, as a Linear on a 3-D input.
ir::Value* fc(Builder& b, ir::Value* x, const std::vector<float>& bias) {
  ir::Value* y = b.value("y", {1, 3, 2});
  b.node("tfl.FULLY_CONNECTED", {x, b.floats("w", {2, 4}, std::vector<float>(8, 1.f)), b.floats("b", {2}, bias)}, {y},
         {{"keep_num_dims", int64_t{1}}});
  return y;
}

TEST(FuseBiasAdd, ConstantAfterLinearJoinsTheBias) {
  Builder b;
  ir::Value* y = fc(b, b.input("x", {1, 3, 4}), {1, 2});
  ir::Value* z = b.value("z", {1, 3, 2});
  b.node("tfl.ADD", {b.floats("c", {2}, {10, 20}), y}, {z});  // the constant first, as exporters write it
  b.g.outputs = {z};
  ASSERT_TRUE(fuse_bias_add(b.g).is_ok());
  ASSERT_EQ(b.g.nodes().size(), 1u);
  const ir::Node* n = b.g.nodes()[0].get();
  EXPECT_EQ(n->outputs[0]->name, "z");
  EXPECT_EQ(n->inputs[2]->data->to_floats(), (std::vector<float>{11, 22}));
  EXPECT_TRUE(ir::verify(b.g).is_ok());
}

TEST(FuseBiasAdd, SubtractedScalarAfterConv) {
  Builder b;
  ir::Value* x = b.input("x", {1, 3, 3, 2});
  ir::Value* y = b.value("y", {1, 1, 1, 2});
  b.node("tfl.CONV_2D", {x, b.floats("w", {2, 3, 3, 2}, std::vector<float>(36, 1.f)), b.floats("b", {2}, {1, 2})}, {y},
         {{"padding", std::string("VALID")}, {"stride_h", int64_t{1}}, {"stride_w", int64_t{1}}});
  ir::Value* z = b.value("z", {1, 1, 1, 2});
  b.node("tfl.SUB", {y, b.floats("c", {}, {0.5f})}, {z});
  b.g.outputs = {z};
  ASSERT_TRUE(fuse_bias_add(b.g).is_ok());
  ASSERT_EQ(b.g.nodes().size(), 1u);
  EXPECT_EQ(b.g.nodes()[0]->inputs[2]->data->to_floats(), (std::vector<float>{0.5f, 1.5f}));
}

// Not a bias: c varies along another axis, c - y, y read elsewhere, an activation already fused.
TEST(FuseBiasAdd, LeavesOtherAddsAlone) {
  auto unchanged = [](const std::function<void(Builder&, ir::Value* y, ir::Value* z)>& tail, size_t nodes) {
    Builder b;
    ir::Value* y = fc(b, b.input("x", {1, 3, 4}), {1, 2});
    ir::Value* z = b.value("z", {1, 3, 2});
    tail(b, y, z);
    if (b.g.outputs.empty()) b.g.outputs = {z};
    EXPECT_TRUE(fuse_bias_add(b.g).is_ok());
    EXPECT_EQ(b.g.nodes().size(), nodes);
  };
  unchanged([](Builder& b, ir::Value* y, ir::Value* z) { b.node("tfl.ADD", {y, b.floats("c", {3, 1}, {1, 2, 3})}, {z}); }, 2);
  unchanged([](Builder& b, ir::Value* y, ir::Value* z) { b.node("tfl.SUB", {b.floats("c", {2}, {1, 2}), y}, {z}); }, 2);
  unchanged([](Builder& b, ir::Value* y, ir::Value* z) {
    b.node("tfl.ADD", {y, b.floats("c", {2}, {1, 2})}, {z});
    b.g.outputs = {z, y};
  }, 2);
  unchanged([](Builder& b, ir::Value* y, ir::Value* z) {
    b.node("tfl.ADD", {y, b.floats("c", {2}, {1, 2})}, {z}, {{"fused_activation_function", std::string("RELU")}});
  }, 2);
}

}  // namespace
}  // namespace pt2tflite::passes
