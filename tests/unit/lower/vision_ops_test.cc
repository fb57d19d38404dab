// DepthToSpace/SpaceToDepth (depth_space.cc), LRN/Hardmax/norms (norm_ops.cc), bitwise ops
// (bitwise.cc) and the pixel-unshuffle fusion (passes/fuse_depth_space.cc).
#include <climits>

#include "exec/interpreter.h"
#include "lower/shape_test_util.h"
#include "passes/passes.h"

namespace pt2tflite::lower {
namespace {

using ir::DType;
using testing::Ints;
using testing::OnnxCase;

TEST(DepthSpace, CrdGathersChannelsIntoDcrOrder) {
  OnnxCase t;
  t.op("DepthToSpace", {t.input("x", {1, 8, 3, 3})}, {{"blocksize", int64_t{2}}, {"mode", std::string("CRD")}}, 13);
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.out()->shape, (ir::Shape{1, 2, 6, 6}));
  const ir::Node* g = t.find("tfl.GATHER");
  ASSERT_NE(g, nullptr);
  // DCR channel (i·2 + j)·2 + c reads CRD channel c·4 + i·2 + j.
  EXPECT_EQ(OnnxCase::ints_of(g, 1), (Ints{0, 4, 1, 5, 2, 6, 3, 7}));
  EXPECT_EQ(t.find("tfl.DEPTH_TO_SPACE")->get_int("block_size", 0), 2);
}

TEST(DepthSpace, DcrIsOneBuiltin) {
  OnnxCase t;
  t.op("SpaceToDepth", {t.input("x", {1, 3, 4, 6})}, {{"blocksize", int64_t{2}}});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.out()->shape, (ir::Shape{1, 12, 2, 3}));
  EXPECT_EQ(t.count("tfl.GATHER"), 0);
  EXPECT_EQ(t.count("tfl.SPACE_TO_DEPTH"), 1);
}

TEST(DepthSpace, PixelUnshuffleReshapesFuse) {
  OnnxCase t;
  ir::Value* x = t.input("x", {1, 3, 4, 6});
  ir::Node* r1 = t.op("Reshape", {x, t.i64("s6", {1, 3, 2, 2, 3, 2})});
  ir::Node* tr = t.op("Transpose", {r1->outputs[0]}, {{"perm", std::vector<int64_t>{0, 1, 3, 5, 2, 4}}});
  t.op("Reshape", {tr->outputs[0], t.i64("s4", {1, 12, 2, 3})});
  ASSERT_TRUE(t.infer().is_ok());
  ASSERT_TRUE(passes::fuse_depth_space(t.b.g).is_ok());
  ASSERT_EQ(t.b.g.nodes().size(), 1u);
  const ir::Node* n = t.b.g.nodes()[0].get();
  EXPECT_EQ(n->op, "onnx.SpaceToDepth");
  EXPECT_EQ(n->get_string("mode", ""), "CRD");
  EXPECT_EQ(n->get_int("blocksize", 0), 2);
}

TEST(NormOps, LrnDividesAlphaBySizeAndRefusesEvenSizes) {
  OnnxCase t;
  t.op("LRN", {t.input("x", {1, 8, 4, 4})}, {{"size", int64_t{5}}, {"alpha", 2e-4}});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* l = t.find("tfl.LOCAL_RESPONSE_NORMALIZATION");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->get_int("radius", 0), 2);
  EXPECT_DOUBLE_EQ(l->get_float("alpha", 0), 2e-4 / 5);
  EXPECT_EQ(l->inputs[0]->shape, (ir::Shape{1, 1, 16, 8}));  // channels last, spatial flattened
  OnnxCase e;
  e.op("LRN", {e.input("x", {1, 8, 4, 4})}, {{"size", int64_t{4}}});
  Status s = e.run();
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.kind(), ErrorKind::kUnsupported);
}

// Runs the lowered single-op graph on the reference kernels.
std::vector<int64_t> run_ints(OnnxCase& t, const std::vector<ir::Tensor>& inputs) {
  auto interp = exec::Interpreter::create(t.b.g);
  EXPECT_TRUE(interp.is_ok());
  if (!interp.is_ok()) return {};
  Status s = interp->run(inputs);
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  return s.is_ok() ? interp->value(t.out()).to_int64s() : std::vector<int64_t>{};
}

TEST(Bitwise, AndOrOnInt32ExtremesAreExact) {
  const std::vector<int64_t> a = {0, -1, INT32_MIN, INT32_MAX, 12345, -98765, INT32_MIN, -2, 7};
  const std::vector<int64_t> b = {-1, -1, INT32_MAX, INT32_MIN, -1, 4321, INT32_MIN, INT32_MAX, -8};
  for (const char* op : {"BitwiseAnd", "BitwiseOr", "BitwiseXor"}) {
    OnnxCase t;
    t.op(op, {t.input("a", {9}, DType::kInt32), t.input("b", {9}, DType::kInt32)}, {}, 18);
    ASSERT_TRUE(t.run().is_ok()) << op;
    const auto got = run_ints(t, {ir::Tensor::from_int64s(DType::kInt32, {9}, a),
                                  ir::Tensor::from_int64s(DType::kInt32, {9}, b)});
    ASSERT_EQ(got.size(), a.size()) << op;
    for (size_t i = 0; i < a.size(); ++i) {
      const int32_t x = static_cast<int32_t>(a[i]), y = static_cast<int32_t>(b[i]);
      const int32_t want = std::string(op) == "BitwiseAnd" ? (x & y) : std::string(op) == "BitwiseOr" ? (x | y) : (x ^ y);
      EXPECT_EQ(got[i], want) << op << " " << x << " " << y;
    }
  }
}

TEST(Bitwise, ShiftsFollowOpset28) {
  const std::vector<int64_t> x = {-128, -3, 5, 127, 64, -1};
  const std::vector<int64_t> y = {1, 9, -1, 3, 1, 7};
  for (const char* dir : {"RIGHT", "LEFT"}) {
    OnnxCase t;
    t.op("BitShift", {t.input("x", {6}, DType::kInt8), t.input("y", {6}, DType::kInt8)},
         {{"direction", std::string(dir)}}, 28);
    ASSERT_TRUE(t.run().is_ok()) << dir;
    const auto got = run_ints(t, {ir::Tensor::from_int64s(DType::kInt8, {6}, x),
                                  ir::Tensor::from_int64s(DType::kInt8, {6}, y)});
    ASSERT_EQ(got.size(), x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      int64_t want;
      if (y[i] < 0 || y[i] >= 8) want = std::string(dir) == "RIGHT" && x[i] < 0 ? -1 : 0;
      else if (std::string(dir) == "RIGHT") want = x[i] >> y[i];
      else want = static_cast<int8_t>(static_cast<uint8_t>(x[i] << y[i]));
      EXPECT_EQ(got[i], want) << dir << " " << x[i] << " by " << y[i];
    }
  }
}

TEST(NormOps, HardmaxPicksTheFirstMaximum) {
  OnnxCase t;
  t.op("Hardmax", {t.input("x", {2, 4})}, {}, 13);
  ASSERT_TRUE(t.run().is_ok());
  auto interp = exec::Interpreter::create(t.b.g);
  ASSERT_TRUE(interp.is_ok());
  ASSERT_TRUE(interp->run({ir::Tensor::from_floats({2, 4}, {1, 3, 3, 0, -1, -2, -1, -5})}).is_ok());
  EXPECT_EQ(interp->value(t.out()).to_floats(), (std::vector<float>{0, 1, 0, 0, 1, 0, 0, 0}));
}

}  // namespace
}  // namespace pt2tflite::lower
