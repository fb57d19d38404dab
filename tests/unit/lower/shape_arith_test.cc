// ConstantOfShape Range Expand Tile Equal Not Where: inference, folding and lowering
// (src/lower/shape_arith.cc).
#include "lower/shape_test_util.h"

namespace pt2tflite::lower {
namespace {

using ir::DType;
using ir::Shape;
using testing::Floats;
using testing::Ints;
using testing::OnnxCase;

TEST(ConstantOfShape, FoldsWithTheValueAttributeAndItsDtype) {
  OnnxCase t;
  t.op("ConstantOfShape", {t.i64("s", {2, 3})},
       {{"value", 1.0}, {"value_dtype", static_cast<int64_t>(DType::kInt64)}});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.out()->dtype, DType::kInt64);
  EXPECT_EQ(t.out()->shape, (Shape{2, 3}));
  EXPECT_EQ(t.folded_ints(), (Ints(6, 1)));
}

TEST(ConstantOfShape, DefaultIsFloatZero) {
  OnnxCase t;
  t.op("ConstantOfShape", {t.i64("s", {2})});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.out()->dtype, DType::kFloat32);
  EXPECT_EQ(t.folded_floats(), (Floats{0, 0}));
}

TEST(ConstantOfShape, TooBigToFoldBecomesFill) {
  OnnxCase t;
  t.op("ConstantOfShape", {t.i64("s", {2048, 2049})}, {{"value", 0.5}});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* f = t.find("tfl.FILL");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(OnnxCase::ints_of(f, 0), (Ints{2048, 2049}));
  EXPECT_EQ(f->inputs[1]->shape, Shape{});
  EXPECT_EQ(f->inputs[1]->data->to_floats(), (Floats{0.5f}));
}

TEST(Range, FoldsIntegerAndFloatRanges) {
  OnnxCase i;
  i.op("Range", {i.i64("a", {10}, {}, true), i.i64("b", {1}, {}, true), i.i64("d", {-3}, {}, true)});
  ASSERT_TRUE(i.infer().is_ok());
  EXPECT_EQ(i.folded_ints(), (Ints{10, 7, 4}));

  OnnxCase f;
  f.op("Range", {f.f32("a", {}, {0.5f}), f.f32("b", {}, {2.f}), f.f32("d", {}, {0.5f})});
  ASSERT_TRUE(f.infer().is_ok());
  EXPECT_EQ(f.folded_floats(), (Floats{0.5f, 1.f, 1.5f}));

  OnnxCase empty;
  empty.op("Range", {empty.i64("a", {3}, {}, true), empty.i64("b", {1}, {}, true), empty.i64("d", {1}, {}, true)});
  ASSERT_TRUE(empty.infer().is_ok());
  EXPECT_EQ(empty.out()->shape, (Shape{0}));
}

TEST(Range, RuntimeLimitGivesARunTimeLength) {
  OnnxCase t;
  t.op("Range", {t.i64("a", {0}, {}, true), t.input("n", {}, DType::kInt64), t.i64("d", {1}, {}, true)});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.out()->shape, (Shape{-1}));
  EXPECT_NE(t.find("tfl.RANGE"), nullptr);
}

TEST(Range, RuntimeFloat16AccumulatingInFloat16IsUnsupported) {
  OnnxCase t;
  t.op("Range", {t.input("a", {}, DType::kFloat16), t.input("b", {}, DType::kFloat16), t.input("d", {}, DType::kFloat16)},
       {{"stash_type", ir::Attribute(int64_t{0})}});
  Status s = t.infer();
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("run time"), std::string::npos);
}

TEST(Expand, BroadcastsBothWaysAndLowersToBroadcastTo) {
  OnnxCase t;
  t.op("Expand", {t.input("x", {3, 1}), t.i64("s", {2, 1, 4})});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.out()->shape, (Shape{2, 3, 4}));
  const ir::Node* b = t.find("tfl.BROADCAST_TO");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->inputs[1]->dtype, DType::kInt32);
  EXPECT_EQ(OnnxCase::ints_of(b, 1), (Ints{2, 3, 4}));
}

TEST(Expand, WithoutNewElementsIsAReshape) {
  OnnxCase t;
  t.op("Expand", {t.input("x", {3, 4}), t.i64("s", {1, 1, 4})});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.out()->shape, (Shape{1, 3, 4}));
  EXPECT_EQ(t.count("tfl.BROADCAST_TO"), 0);
  EXPECT_EQ(t.count("tfl.RESHAPE"), 1);
}

TEST(Expand, FoldsAndRejectsIncompatibleShapes) {
  OnnxCase t;
  t.op("Expand", {t.f32("c", {2, 1}, {1, 2}), t.i64("s", {2, 3})});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.folded_floats(), (Floats{1, 1, 1, 2, 2, 2}));

  OnnxCase bad;
  bad.op("Expand", {bad.input("x", {3}), bad.i64("s", {2})});
  EXPECT_FALSE(bad.infer().is_ok());
}

TEST(Tile, FoldsAndLowersToTile) {
  OnnxCase f;
  f.op("Tile", {f.f32("c", {1, 2}, {1, 2}), f.i64("r", {2, 2})});
  ASSERT_TRUE(f.infer().is_ok());
  EXPECT_EQ(f.out()->shape, (Shape{2, 4}));
  EXPECT_EQ(f.folded_floats(), (Floats{1, 2, 1, 2, 1, 2, 1, 2}));

  OnnxCase t;
  t.op("Tile", {t.input("x", {2, 3}), t.i64("r", {2, 1})});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* n = t.find("tfl.TILE");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(OnnxCase::ints_of(n, 1), (Ints{2, 1}));
  EXPECT_EQ(n->inputs[1]->dtype, DType::kInt32);

  OnnxCase ones;
  ones.op("Tile", {ones.input("x", {2, 3}), ones.i64("r", {1, 1})});
  ASSERT_TRUE(ones.run().is_ok());
  EXPECT_EQ(ones.count("tfl.TILE"), 0);
}

// What torch exports for shape arithmetic like `torch.where(shape == 1, -1, shape)`.
TEST(ShapeArith, EqualNotWhereFold) {
  OnnxCase t;
  ir::Value* s = t.i64("s", {1, 3, 1});
  ir::Value* eq = t.op("Equal", {s, t.i64("one", {1}, {}, true)})->outputs[0];
  ir::Value* ne = t.op("Not", {eq})->outputs[0];
  t.op("Where", {ne, s, t.i64("m1", {-1}, {}, true)});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.out()->dtype, DType::kInt64);
  EXPECT_EQ(t.folded_ints(), (Ints{-1, 3, -1}));
}

TEST(ShapeArith, EqualFoldsFloatsToBool) {
  OnnxCase t;
  t.op("Equal", {t.f32("a", {3}, {1, 2, 3}), t.f32("b", {}, {2})});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.out()->dtype, DType::kBool);
  EXPECT_EQ(t.folded_ints(), (Ints{0, 1, 0}));
}

TEST(ShapeArith, RuntimeEqualNotWhereLowerOneToOne) {
  OnnxCase t;
  ir::Value* x = t.input("x", {2, 3});
  ir::Value* eq = t.op("Equal", {x, t.f32("z", {}, {0})})->outputs[0];
  ir::Value* ne = t.op("Not", {eq})->outputs[0];
  t.op("Where", {ne, x, t.f32("w", {3}, {9, 8, 7})});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.count("tfl.EQUAL"), 1);
  EXPECT_EQ(t.count("tfl.LOGICAL_NOT"), 1);
  const ir::Node* w = t.find("tfl.SELECT_V2");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->inputs.size(), 3u);
  EXPECT_EQ(t.out()->shape, (Shape{2, 3}));
  EXPECT_EQ(t.out()->dtype, DType::kFloat32);
}

}  // namespace
}  // namespace pt2tflite::lower
