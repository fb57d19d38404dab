// Arithmetic dtype handling (src/lower/elementwise.cc) and the float64/uint64 refusal of
// lower_graph: found by the ONNX node conformance tests (tests/conformance/).
#include "lower/shape_test_util.h"

namespace pt2tflite::lower {
namespace {

using ir::DType;
using ir::Shape;
using testing::Floats;
using testing::Ints;
using testing::OnnxCase;

TEST(Elementwise, FloatAddIsOneAdd) {
  OnnxCase t;
  t.op("Add", {t.input("a", {2, 3}), t.input("b", {3})});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.count("tfl.ADD"), 1);
  EXPECT_EQ(t.count("tfl.CAST"), 0);
  EXPECT_EQ(t.out()->shape, (Shape{2, 3}));
}

// TFLite's ADD/SUB/MUL/DIV read int8/uint8/int16 as quantized: they run in int32.
TEST(Elementwise, SmallIntArithmeticRunsInInt32) {
  for (const char* op : {"Add", "Sub", "Mul", "Div"})
    for (DType dt : {DType::kInt8, DType::kUInt8, DType::kInt16}) {
      OnnxCase t;
      t.op(op, {t.input("a", {4}, dt), t.input("b", {4}, dt)});
      ASSERT_TRUE(t.run().is_ok()) << op;
      const std::string tfl = std::string("tfl.") + (std::string(op) == "Add"   ? "ADD"
                                                     : std::string(op) == "Sub" ? "SUB"
                                                     : std::string(op) == "Mul" ? "MUL"
                                                                                : "DIV");
      const ir::Node* arith = t.find(tfl);
      ASSERT_NE(arith, nullptr) << op;
      EXPECT_EQ(arith->inputs[0]->dtype, DType::kInt32) << op;
      EXPECT_EQ(arith->inputs[1]->dtype, DType::kInt32) << op;
      EXPECT_EQ(arith->outputs[0]->dtype, DType::kInt32) << op;
      EXPECT_EQ(t.count("tfl.CAST"), 3) << op;  // two in, one out
      EXPECT_EQ(t.out()->dtype, dt) << op;
    }
}

TEST(Elementwise, Int32AndInt64AddStayNative) {
  for (DType dt : {DType::kInt32, DType::kInt64}) {
    OnnxCase t;
    t.op("Add", {t.input("a", {4}, dt), t.input("b", {4}, dt)});
    ASSERT_TRUE(t.run().is_ok());
    EXPECT_EQ(t.count("tfl.CAST"), 0);
  }
}

TEST(Elementwise, Int64DivRunsInInt32) {  // TFLite's DIV has no int64 kernel
  OnnxCase t;
  t.op("Div", {t.input("a", {4}, DType::kInt64), t.input("b", {4}, DType::kInt64)});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.find("tfl.DIV")->outputs[0]->dtype, DType::kInt32);
  EXPECT_EQ(t.out()->dtype, DType::kInt64);
}

TEST(Elementwise, MaxOfInt8NeedsNoCast) {  // MAXIMUM compares raw values
  OnnxCase t;
  t.op("Max", {t.input("a", {4}, DType::kInt8), t.input("b", {4}, DType::kInt8)});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.count("tfl.CAST"), 0);
  EXPECT_EQ(t.count("tfl.MAXIMUM"), 1);
}

TEST(Elementwise, PowFloatByRuntimeIntExponentCastsTheExponent) {
  OnnxCase t;
  t.op("Pow", {t.input("x", {3}), t.input("y", {3}, DType::kInt64)});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* pow = t.find("tfl.POW");
  ASSERT_NE(pow, nullptr);
  EXPECT_EQ(pow->inputs[0]->dtype, DType::kFloat32);
  EXPECT_EQ(pow->inputs[1]->dtype, DType::kFloat32);
  EXPECT_EQ(pow->outputs[0], t.out());
  EXPECT_EQ(t.count("tfl.CAST"), 1);
}

TEST(Elementwise, PowFloatByConstantIntExponentConvertsTheConstant) {
  OnnxCase t;
  t.op("Pow", {t.input("x", {3}), t.i64("y", {3}, {}, true)});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* pow = t.find("tfl.POW");
  ASSERT_NE(pow, nullptr);
  EXPECT_TRUE(pow->inputs[1]->is_const());
  EXPECT_EQ(pow->inputs[1]->dtype, DType::kFloat32);
  EXPECT_EQ(t.count("tfl.CAST"), 0);
}

TEST(Elementwise, IntPowIntRunsTheInt32Kernel) {
  OnnxCase t;
  t.op("Pow", {t.input("x", {3}, DType::kInt64), t.input("y", {3}, DType::kInt64)});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* pow = t.find("tfl.POW");
  EXPECT_EQ(pow->inputs[0]->dtype, DType::kInt32);
  EXPECT_EQ(pow->outputs[0]->dtype, DType::kInt32);
  EXPECT_EQ(t.out()->dtype, DType::kInt64);
}

TEST(Elementwise, IntPowFloatRunsInFloatAndTruncates) {
  OnnxCase t;
  t.op("Pow", {t.input("x", {3}, DType::kInt32), t.input("y", {3})});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.find("tfl.POW")->outputs[0]->dtype, DType::kFloat32);
  EXPECT_EQ(t.out()->dtype, DType::kInt32);
  EXPECT_EQ(t.count("tfl.CAST"), 2);
}

TEST(Elementwise, SquareOfInt8IsNotAQuantizedMul) {
  OnnxCase t;
  t.op("Pow", {t.input("x", {3}, DType::kInt8), t.f32("two", {}, {2})});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.count("tfl.MUL"), 0);
  EXPECT_EQ(t.find("tfl.POW")->inputs[0]->dtype, DType::kFloat32);
}

TEST(Elementwise, IntPowFolds) {
  OnnxCase t;
  t.op("Pow", {t.i64("x", {2, 3}), t.i64("y", {3, 2})});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.folded_ints(), (Ints{8, 9}));
}

TEST(LowerGraph, Float64AndUint64ValuesAreRefusedByName) {
  OnnxCase t;
  t.op("Add", {t.input("d", {2}, DType::kFloat64), t.input("e", {2}, DType::kFloat64)});
  ASSERT_TRUE(t.infer().is_ok());
  Status s = t.lower();
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.kind(), ErrorKind::kUnsupported);
  EXPECT_NE(s.message().find("float64: 'd', 'e'"), std::string::npos) << s.message();
}

TEST(LowerGraph, Float64IsNamedBeforeAShapeInferenceFailure) {
  // MaxUnpool's output_shape computed at run time stops the walk; the float64 input is named
  // first, since no constant output_shape would make the model convert.
  OnnxCase t;
  t.op("MaxUnpool", {t.input("d", {1, 1, 2, 2}, DType::kFloat64), t.input("i", {1, 1, 2, 2}, DType::kInt64),
                     t.input("shape", {4}, DType::kInt64)},
       {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}});
  Status s = t.infer();
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.kind(), ErrorKind::kUnsupported);
  EXPECT_EQ(s.message().rfind("TFLite has no kernels for these element types:", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("cannot infer static shapes:"), std::string::npos) << s.message();
}

TEST(LowerGraph, Float64ConstantThatFoldsAwayIsFine) {
  OnnxCase t;
  ir::Value* d = t.b.g.add_const("d", ir::Tensor::from_doubles(DType::kFloat64, {2}, {1.5, 2.5}));
  ir::Value* f = t.op("Cast", {d}, {{"to", int64_t{1}}})->outputs[0];  // FLOAT
  t.op("Add", {t.input("x", {2}), f});
  ASSERT_TRUE(t.run().is_ok());
}

}  // namespace
}  // namespace pt2tflite::lower
