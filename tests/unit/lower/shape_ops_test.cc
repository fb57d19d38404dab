// Shape Size Reshape Flatten Squeeze Unsqueeze Identity Transpose Cast: inference, folding
// and lowering (src/lower/shape_ops.cc).
#include "lower/shape_test_util.h"

namespace pt2tflite::lower {
namespace {

using ir::DType;
using ir::Shape;
using testing::Floats;
using testing::Ints;
using testing::OnnxCase;

TEST(ShapeOps, ShapeFoldsFromARuntimeInput) {
  OnnxCase t;
  t.op("Shape", {t.input("x", {2, 3, 4, 5})});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_TRUE(t.out()->is_const());
  EXPECT_EQ(t.out()->dtype, DType::kInt64);
  EXPECT_EQ(t.folded_ints(), (Ints{2, 3, 4, 5}));
}

TEST(ShapeOps, ShapeStartEndAreClamped) {
  OnnxCase t;
  t.op("Shape", {t.input("x", {2, 3, 4, 5})}, {{"start", int64_t{1}}, {"end", int64_t{-1}}}, 15);
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.folded_ints(), (Ints{3, 4}));

  OnnxCase u;
  u.op("Shape", {u.input("x", {2, 3, 4})}, {{"start", int64_t{-10}}, {"end", int64_t{99}}}, 15);
  ASSERT_TRUE(u.infer().is_ok());
  EXPECT_EQ(u.folded_ints(), (Ints{2, 3, 4}));

  OnnxCase v;
  v.op("Shape", {v.input("x", {2, 3, 4})}, {{"start", int64_t{2}}, {"end", int64_t{1}}}, 15);
  ASSERT_TRUE(v.infer().is_ok());
  EXPECT_EQ(v.out()->shape, (Shape{0}));
}

TEST(ShapeOps, SizeFoldsToAScalar) {
  OnnxCase t;
  t.op("Size", {t.input("x", {2, 3, 4})});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.out()->shape, Shape{});
  EXPECT_EQ(t.folded_ints(), (Ints{24}));
}

// The chain torch exports for x.view(x.size(0), -1) folds to one RESHAPE.
TEST(ShapeOps, ShapeGatherUnsqueezeConcatReshapeChainFolds) {
  OnnxCase t;
  ir::Value* x = t.input("x", {2, 3, 4, 5});
  ir::Value* s = t.op("Shape", {x})->outputs[0];
  ir::Value* b = t.op("Gather", {s, t.i64("zero", {0}, {}, true)}, {{"axis", int64_t{0}}})->outputs[0];
  ir::Value* bu = t.op("Unsqueeze", {b, t.i64("axes", {0})}, {}, 13)->outputs[0];
  ir::Value* ns = t.op("Concat", {bu, t.i64("m1", {-1})}, {{"axis", int64_t{0}}})->outputs[0];
  t.op("Reshape", {x, ns});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.out()->shape, (Shape{2, 60}));
  ASSERT_TRUE(t.lower().is_ok());
  ASSERT_EQ(t.b.g.nodes().size(), 1u);
  const ir::Node* r = t.find("tfl.RESHAPE");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->inputs[1]->dtype, DType::kInt32);
  EXPECT_EQ(OnnxCase::ints_of(r, 1), (Ints{2, 60}));
}

TEST(ShapeOps, ReshapeCopiesZerosAndInfersMinusOne) {
  OnnxCase t;
  t.op("Reshape", {t.input("x", {2, 3, 4}), t.i64("s", {0, -1, 2})});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.out()->shape, (Shape{2, 6, 2}));
  EXPECT_EQ(OnnxCase::ints_of(t.find("tfl.RESHAPE"), 1), (Ints{2, 6, 2}));
}

TEST(ShapeOps, ReshapeAllowZeroKeepsALiteralZero) {
  OnnxCase t;
  t.op("Reshape", {t.input("x", {0, 3}), t.i64("s", {3, 0})}, {{"allowzero", int64_t{1}}}, 14);
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.out()->shape, (Shape{3, 0}));
}

TEST(ShapeOps, ReshapeRejectsBadShapes) {
  OnnxCase two;
  two.op("Reshape", {two.input("x", {2, 3}), two.i64("s", {-1, -1})});
  Status s = two.infer();
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("more than one -1"), std::string::npos);

  OnnxCase count;
  count.op("Reshape", {count.input("x", {2, 3}), count.i64("s", {4, 2})});
  EXPECT_FALSE(count.infer().is_ok());
}

// A target shape computed at run time gives extents known only at run time; ONNX's 0
// (copy the input's extent) is resolved with SHAPE + SELECT_V2, which allowzero skips.
TEST(ShapeOps, ReshapeToRuntimeShapeHasRuntimeExtents) {
  for (int64_t allowzero : {0, 1}) {
    OnnxCase t;
    t.op("Reshape", {t.input("x", {2, 3}), t.input("s", {2}, DType::kInt64)}, {{"allowzero", allowzero}});
    ASSERT_TRUE(t.run().is_ok());
    EXPECT_EQ(t.out()->shape, (Shape{-1, -1}));
    EXPECT_EQ(t.count("tfl.RESHAPE"), 1);
    EXPECT_EQ(t.count("tfl.SELECT_V2"), allowzero ? 0 : 1);
  }
}

TEST(ShapeOps, ReshapeFoldsConstants) {
  OnnxCase t;
  t.op("Reshape", {t.f32("c", {2, 3}, {0, 1, 2, 3, 4, 5}), t.i64("s", {3, -1})});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.out()->shape, (Shape{3, 2}));
  EXPECT_EQ(t.folded_floats(), (Floats{0, 1, 2, 3, 4, 5}));
}

TEST(ShapeOps, FlattenAxes) {
  for (auto [axis, want] : std::vector<std::pair<int64_t, Shape>>{{0, {1, 24}}, {1, {2, 12}}, {-1, {6, 4}}, {3, {24, 1}}}) {
    OnnxCase t;
    t.op("Flatten", {t.input("x", {2, 3, 4})}, {{"axis", axis}});
    ASSERT_TRUE(t.run().is_ok()) << axis;
    EXPECT_EQ(t.out()->shape, want) << axis;
    EXPECT_EQ(t.count("tfl.RESHAPE"), 1);
  }
}

TEST(ShapeOps, SqueezeAxesAsAttributeOrInput) {
  OnnxCase attr;
  attr.op("Squeeze", {attr.input("x", {1, 3, 1, 4})}, {{"axes", Ints{0}}}, 11);
  ASSERT_TRUE(attr.run().is_ok());
  EXPECT_EQ(attr.out()->shape, (Shape{3, 1, 4}));

  OnnxCase input;
  input.op("Squeeze", {input.input("x", {1, 3, 1, 4}), input.i64("a", {-2, 0})}, {}, 13);
  ASSERT_TRUE(input.run().is_ok());
  EXPECT_EQ(input.out()->shape, (Shape{3, 4}));
  EXPECT_EQ(OnnxCase::ints_of(input.find("tfl.RESHAPE"), 1), (Ints{3, 4}));

  OnnxCase all;
  all.op("Squeeze", {all.input("x", {1, 3, 1, 4})}, {}, 13);
  ASSERT_TRUE(all.run().is_ok());
  EXPECT_EQ(all.out()->shape, (Shape{3, 4}));

  OnnxCase bad;
  bad.op("Squeeze", {bad.input("x", {1, 3})}, {{"axes", Ints{1}}}, 11);
  EXPECT_FALSE(bad.infer().is_ok());
}

TEST(ShapeOps, UnsqueezeAxesCountInTheOutputRank) {
  OnnxCase attr;
  attr.op("Unsqueeze", {attr.input("x", {3, 4})}, {{"axes", Ints{0, 3}}}, 11);
  ASSERT_TRUE(attr.run().is_ok());
  EXPECT_EQ(attr.out()->shape, (Shape{1, 3, 4, 1}));

  OnnxCase neg;
  neg.op("Unsqueeze", {neg.input("x", {3, 4}), neg.i64("a", {-1, 1})}, {}, 13);
  ASSERT_TRUE(neg.run().is_ok());
  EXPECT_EQ(neg.out()->shape, (Shape{3, 1, 4, 1}));

  OnnxCase scalar;  // a scalar constant becomes a 1-element vector (exporters do this a lot)
  scalar.op("Unsqueeze", {scalar.i64("s", {7}, {}, true), scalar.i64("a", {0})}, {}, 13);
  ASSERT_TRUE(scalar.infer().is_ok());
  EXPECT_EQ(scalar.out()->shape, (Shape{1}));
  EXPECT_EQ(scalar.folded_ints(), (Ints{7}));

  OnnxCase repeated;
  repeated.op("Unsqueeze", {repeated.input("x", {3})}, {{"axes", Ints{0, -3}}}, 11);  // -3 is 0 again
  EXPECT_FALSE(repeated.infer().is_ok());
}

TEST(ShapeOps, IdentityLowersToReshapeOfTheSameShape) {
  OnnxCase t;
  t.op("Identity", {t.input("x", {2, 3})});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* r = t.find("tfl.RESHAPE");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->outputs[0]->shape, (Shape{2, 3}));
  EXPECT_EQ(OnnxCase::ints_of(r, 1), (Ints{2, 3}));
}

TEST(ShapeOps, TransposeDefaultPermReversesAxes) {
  OnnxCase t;
  t.op("Transpose", {t.input("x", {2, 3, 4})});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.out()->shape, (Shape{4, 3, 2}));
  EXPECT_EQ(OnnxCase::ints_of(t.find("tfl.TRANSPOSE"), 1), (Ints{2, 1, 0}));
}

TEST(ShapeOps, TransposeExplicitPermAndIdentity) {
  OnnxCase t;
  t.op("Transpose", {t.input("x", {1, 2, 3, 4})}, {{"perm", Ints{0, 2, 3, 1}}});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.out()->shape, (Shape{1, 3, 4, 2}));
  EXPECT_EQ(OnnxCase::ints_of(t.find("tfl.TRANSPOSE"), 1), (Ints{0, 2, 3, 1}));

  OnnxCase id;
  id.op("Transpose", {id.input("x", {2, 3})}, {{"perm", Ints{0, 1}}});
  ASSERT_TRUE(id.run().is_ok());
  EXPECT_EQ(id.count("tfl.TRANSPOSE"), 0);
  EXPECT_EQ(id.count("tfl.RESHAPE"), 1);

  OnnxCase bad;
  bad.op("Transpose", {bad.input("x", {2, 3})}, {{"perm", Ints{0, 0}}});
  EXPECT_FALSE(bad.infer().is_ok());
}

TEST(ShapeOps, TransposeFoldsConstants) {
  OnnxCase t;
  t.op("Transpose", {t.f32("c", {2, 3}, {0, 1, 2, 3, 4, 5})});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.out()->shape, (Shape{3, 2}));
  EXPECT_EQ(t.folded_floats(), (Floats{0, 3, 1, 4, 2, 5}));
}

TEST(ShapeOps, CastFoldTruncatesTowardZeroAndTestsNonZeroForBool) {
  OnnxCase i;
  i.op("Cast", {i.f32("c", {4}, {-1.7f, 2.9f, 0.5f, -0.2f})}, {{"to", int64_t{6}}});  // INT32
  ASSERT_TRUE(i.infer().is_ok());
  EXPECT_EQ(i.out()->dtype, DType::kInt32);
  EXPECT_EQ(i.folded_ints(), (Ints{-1, 2, 0, 0}));

  OnnxCase b;
  b.op("Cast", {b.f32("c", {3}, {0.5f, 0.f, -2.f})}, {{"to", int64_t{9}}});  // BOOL
  ASSERT_TRUE(b.infer().is_ok());
  EXPECT_EQ(b.out()->dtype, DType::kBool);
  EXPECT_EQ(b.folded_ints(), (Ints{1, 0, 1}));

  OnnxCase f;
  f.op("Cast", {f.i64("c", {3, -4})}, {{"to", int64_t{1}}});  // FLOAT
  ASSERT_TRUE(f.infer().is_ok());
  EXPECT_EQ(f.folded_floats(), (Floats{3, -4}));
}

TEST(ShapeOps, CastLowersToCastOrNothing) {
  OnnxCase t;
  t.op("Cast", {t.input("x", {2, 3})}, {{"to", int64_t{7}}});  // INT64
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* c = t.find("tfl.CAST");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->outputs[0]->dtype, DType::kInt64);

  OnnxCase same;
  same.op("Cast", {same.input("x", {2, 3})}, {{"to", int64_t{1}}});
  ASSERT_TRUE(same.run().is_ok());
  EXPECT_EQ(same.count("tfl.CAST"), 0);
  EXPECT_EQ(same.count("tfl.RESHAPE"), 1);

  OnnxCase dbl;
  dbl.op("Cast", {dbl.input("x", {2})}, {{"to", int64_t{11}}});
  ASSERT_TRUE(dbl.infer().is_ok());
  Status s = dbl.lower();
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.kind(), ErrorKind::kUnsupported);

  OnnxCase str;
  str.op("Cast", {str.input("x", {2})}, {{"to", int64_t{8}}});  // STRING
  EXPECT_FALSE(str.infer().is_ok());
}

TEST(ShapeOps, CastLikeTakesTheSecondInputsType) {
  OnnxCase t;
  t.op("CastLike", {t.input("x", {2, 3}), t.input("like", {1}, DType::kInt32)});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.out()->dtype, DType::kInt32);
  const ir::Node* c = t.find("tfl.CAST");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->inputs.size(), 1u);

  OnnxCase folded;
  folded.op("CastLike", {folded.f32("x", {2}, {1.7f, -2.5f}), folded.i64("like", {0})});
  ASSERT_TRUE(folded.infer().is_ok());
  EXPECT_EQ(folded.folded_ints(), (Ints{1, -2}));  // truncates toward zero
}

TEST(ShapeOps, DropoutWithItsMaskReadIsACopyAndAllTrue) {
  OnnxCase t;
  t.op("Dropout", {t.input("x", {2, 3})}, {}, 13, 2);
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.out(1)->dtype, DType::kBool);
  EXPECT_EQ(t.count("tfl.RESHAPE"), 1);
  const ir::Node* fill = t.find("tfl.FILL");
  ASSERT_NE(fill, nullptr);
  EXPECT_EQ(fill->outputs[0], t.out(1));
  EXPECT_EQ(OnnxCase::ints_of(fill, 0), (Ints{2, 3}));
  EXPECT_EQ(OnnxCase::ints_of(fill, 1), (Ints{1}));
}

TEST(ShapeOps, TrainingDropoutIsRefusedUnlessTheRatioIsZero) {
  auto training = [](OnnxCase& t, float ratio) {
    ir::Value* on = t.b.g.add_const("on", ir::Tensor::from_int64s(DType::kBool, {}, {1}));
    t.op("Dropout", {t.input("x", {4}), t.f32("ratio", {}, {ratio}), on}, {}, 13, 2);
  };
  OnnxCase random;
  training(random, 0.5f);
  Status s = random.infer();
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.kind(), ErrorKind::kUnsupported);
  EXPECT_NE(s.message().find("eval()"), std::string::npos);
  OnnxCase zero;
  training(zero, 0.0f);
  EXPECT_TRUE(zero.run().is_ok());
}

}  // namespace
}  // namespace pt2tflite::lower
