// Index/selection ops (select.cc, gather_scatter.cc, positional.cc, einsum.cc): what they
// lower to, what they refuse, and their folds on constants (values worked out by hand from
// the ONNX spec).
#include "lower/shape_test_util.h"

namespace pt2tflite::lower {
namespace {

using ir::DType;
using ir::Shape;
using testing::Floats;
using testing::Ints;
using testing::OnnxCase;
using Attrs = std::map<std::string, ir::Attribute>;

// --- ArgMax / ArgMin ---

TEST(Select, ArgMaxKeepdimsIsArgMaxThenReshapeToInt64) {
  OnnxCase t;
  t.op("ArgMax", {t.input("x", {1, 8, 4, 4})}, {{"axis", int64_t{1}}});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* a = t.find("tfl.ARG_MAX");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(OnnxCase::ints_of(a, 1), (Ints{1}));
  EXPECT_EQ(a->outputs[0]->dtype, DType::kInt64);  // no CAST: ARG_MAX writes int64
  EXPECT_EQ(t.count("tfl.CAST"), 0);
  EXPECT_EQ(t.count("tfl.RESHAPE"), 1);
  EXPECT_EQ(t.out()->shape, (Shape{1, 1, 4, 4}));
}

TEST(Select, ArgMinWithoutKeepdimsWritesTheOutput) {
  OnnxCase t;
  t.op("ArgMin", {t.input("x", {2, 5})}, {{"axis", int64_t{-1}}, {"keepdims", int64_t{0}}});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.find("tfl.ARG_MIN")->outputs[0], t.out());
  EXPECT_EQ(t.out()->shape, (Shape{2}));
}

TEST(Select, SelectLastIndexReversesAndMapsBack) {
  OnnxCase t;
  t.op("ArgMax", {t.input("x", {3, 5})}, {{"axis", int64_t{1}}, {"select_last_index", int64_t{1}}});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.count("tfl.REVERSE_V2"), 1);
  const ir::Node* sub = t.find("tfl.SUB");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(OnnxCase::ints_of(sub, 0), (Ints{4}));  // extent - 1 - i
}

TEST(Select, ArgFoldsFirstOrLastOfTies) {
  for (int64_t last : {0, 1}) {
    OnnxCase t;
    t.op("ArgMax", {t.f32("x", {2, 3}, {1, 5, 5, 7, 2, 7})},
         {{"axis", int64_t{1}}, {"keepdims", int64_t{0}}, {"select_last_index", last}});
    ASSERT_TRUE(t.infer().is_ok());
    EXPECT_EQ(t.folded_ints(), last ? (Ints{2, 2}) : (Ints{1, 0}));
  }
}

TEST(Select, Int64ArgMaxIsRefused) {
  OnnxCase t;
  t.op("ArgMax", {t.input("x", {4}, DType::kInt64)});
  const Status s = t.run();
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("int64"), std::string::npos) << s.message();
}

// --- TopK ---

TEST(Select, TopKOnLastAxisIsOneTopKAndACast) {
  OnnxCase t;
  t.op("TopK", {t.input("x", {2, 10}), t.i64("k", {3})}, {}, 17, 2);
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* k = t.find("tfl.TOPK_V2");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(OnnxCase::ints_of(k, 1), (Ints{3}));
  EXPECT_EQ(k->outputs[0], t.out(0));
  EXPECT_EQ(k->outputs[1]->dtype, DType::kInt32);
  EXPECT_EQ(t.out(1)->dtype, DType::kInt64);
  EXPECT_EQ(t.count("tfl.CAST"), 1);
  EXPECT_EQ(t.count("tfl.TRANSPOSE"), 0);
}

TEST(Select, TopKOverChannelsMovesTheAxisLastAndBack) {
  OnnxCase t;
  t.op("TopK", {t.input("x", {1, 8, 4, 4}), t.i64("k", {2})}, {{"axis", int64_t{1}}, {"largest", int64_t{0}}}, 17, 2);
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.count("tfl.TRANSPOSE"), 3);  // in, and back for each output
  EXPECT_EQ(t.count("tfl.NEG"), 2);        // smallest = largest of -x, negated back
  const ir::Node* in_t = t.find("tfl.TRANSPOSE");
  EXPECT_EQ(OnnxCase::ints_of(in_t, 1), (Ints{0, 2, 3, 1}));  // the NHWC order: cancels in NCHW models
  EXPECT_EQ(t.out(0)->shape, (Shape{1, 2, 4, 4}));
}

TEST(Select, TopKFoldsLowerIndexFirstAmongEquals) {
  OnnxCase t;
  t.op("TopK", {t.f32("x", {1, 5}, {3, 1, 3, 2, 1}), t.i64("k", {3})}, {{"largest", int64_t{0}}}, 17, 2);
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.folded_floats(0), (Floats{1, 1, 2}));
  EXPECT_EQ(t.folded_ints(1), (Ints{1, 4, 3}));
}

TEST(Select, TopKWithRunTimeKHasRunTimeExtent) {
  OnnxCase t;
  t.op("TopK", {t.input("x", {2, 10}), t.input("k", {1}, DType::kInt64)}, {{"axis", int64_t{0}}}, 17, 2);
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.out(0)->shape, (Shape{-1, 10}));
  EXPECT_EQ(t.out(1)->shape, (Shape{-1, 10}));
  EXPECT_EQ(t.count("tfl.TOPK_V2"), 1);
}

// --- GatherElements / GatherND ---

TEST(GatherScatter, GatherElementsWithConstantIndicesIsOneGatherNd) {
  OnnxCase t;
  t.op("GatherElements", {t.input("x", {2, 3}), t.i64("i", {2, -1, 0, 1}, {2, 2})}, {{"axis", int64_t{1}}});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* g = t.find("tfl.GATHER_ND");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->inputs[1]->shape, (Shape{2, 2, 2}));
  // (row, indices[row][j]) with -1 → 2
  EXPECT_EQ(OnnxCase::ints_of(g, 1), (Ints{0, 2, 0, 2, 1, 0, 1, 1}));
  EXPECT_EQ(t.b.g.nodes().size(), 1u);
}

TEST(GatherScatter, GatherElementsWithRunTimeIndicesConcatenatesGrids) {
  OnnxCase t;
  ir::Value* idx = t.input("i", {1, 2, 3}, DType::kInt64);
  t.op("GatherElements", {t.input("x", {1, 4, 3}), idx}, {{"axis", int64_t{1}}});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* mod = t.find("tfl.FLOOR_MOD");
  ASSERT_NE(mod, nullptr);  // negative indices wrap
  EXPECT_EQ(OnnxCase::ints_of(mod, 1), (Ints{4, 4, 4, 4, 4, 4}));
  const ir::Node* cat = t.find("tfl.CONCATENATION");
  ASSERT_NE(cat, nullptr);
  ASSERT_EQ(cat->inputs.size(), 3u);  // axis-0 grid, the indices, axis-2 grid
  EXPECT_EQ(OnnxCase::ints_of(cat, 2), (Ints{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(t.find("tfl.GATHER_ND")->inputs[1]->shape, (Shape{1, 2, 3, 3}));
}

TEST(GatherScatter, GatherElementsFolds) {
  OnnxCase t;
  t.op("GatherElements", {t.f32("x", {2, 2}, {1, 2, 3, 4}), t.i64("i", {0, 0, 1, 0}, {2, 2})}, {{"axis", int64_t{1}}});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.folded_floats(), (Floats{1, 1, 4, 3}));
}

TEST(GatherScatter, GatherElementsIndexOutOfRangeIsInvalid) {
  OnnxCase t;
  t.op("GatherElements", {t.input("x", {2, 2}), t.i64("i", {0, 2}, {1, 2})}, {{"axis", int64_t{1}}});
  ASSERT_TRUE(t.infer().is_ok());
  const Status s = t.lower();
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("out of range"), std::string::npos) << s.message();
}

TEST(GatherScatter, GatherNdBatchDimsPrependsBatchCoordinates) {
  OnnxCase t;  // data [2,3,4], indices [2,1,1] with batch_dims=1 → out [2,1,4]
  t.op("GatherND", {t.input("x", {2, 3, 4}), t.i64("i", {2, 1}, {2, 1, 1})}, {{"batch_dims", int64_t{1}}});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* g = t.find("tfl.GATHER_ND");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(OnnxCase::ints_of(g, 1), (Ints{0, 2, 1, 1}));
  EXPECT_EQ(t.out()->shape, (Shape{2, 1, 4}));
}

TEST(GatherScatter, GatherNdFolds) {
  OnnxCase t;
  t.op("GatherND", {t.f32("x", {2, 2}, {1, 2, 3, 4}), t.i64("i", {1, 0}, {2, 1})});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.folded_floats(), (Floats{3, 4, 1, 2}));
}

// --- ScatterND / ScatterElements ---

TEST(GatherScatter, ScatterNdNoneSelectsWithAConstantMask) {
  OnnxCase t;
  t.op("ScatterND", {t.input("x", {4, 2}), t.i64("i", {3, 1}, {2, 1}), t.input("u", {2, 2})});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.count("tfl.SCATTER_ND"), 1);
  const ir::Node* sel = t.find("tfl.SELECT_V2");
  ASSERT_NE(sel, nullptr);
  EXPECT_EQ(OnnxCase::ints_of(sel, 0), (Ints{0, 0, 1, 1, 0, 0, 1, 1}));
  EXPECT_EQ(sel->outputs[0], t.out());
}

TEST(GatherScatter, ConstantSliceIndicesBecomeOneCoordinatePerElement) {
  OnnxCase t;  // rows 2 and 0 of [3,2]: coordinates (2,0) (2,1) (0,0) (0,1), so layout can permute them
  t.op("ScatterND", {t.input("x", {3, 2}), t.i64("i", {2, 0}, {2, 1}), t.input("u", {2, 2})});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* s = t.find("tfl.SCATTER_ND");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->inputs[0]->shape, (Shape{2, 2, 2}));
  EXPECT_EQ(OnnxCase::ints_of(s, 0), (Ints{2, 0, 2, 1, 0, 0, 0, 1}));
}

TEST(GatherScatter, ConstantUpdatesScatterAtConversionTime) {
  OnnxCase t;  // x[:, 1] = 0
  t.op("ScatterND", {t.input("x", {2, 3}), t.i64("i", {0, 1, 1, 1}, {2, 2}), t.f32("u", {2}, {0, 0})});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.count("tfl.SCATTER_ND"), 0);
  const ir::Node* sel = t.find("tfl.SELECT_V2");
  ASSERT_NE(sel, nullptr);
  EXPECT_EQ(OnnxCase::ints_of(sel, 0), (Ints{0, 1, 0, 0, 1, 0}));
  EXPECT_TRUE(sel->inputs[1]->is_const());
}

TEST(GatherScatter, ScatterNdRunTimeIndicesCountWrites) {
  OnnxCase t;
  t.op("ScatterND", {t.input("x", {4, 2}), t.input("i", {2, 1}, DType::kInt64), t.input("u", {2, 2})});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.count("tfl.SCATTER_ND"), 2);  // the updates, and ones for the mask
  EXPECT_EQ(t.count("tfl.GREATER"), 1);
  EXPECT_EQ(t.count("tfl.SELECT_V2"), 1);
}

TEST(GatherScatter, ScatterAddIsAddAndMulIsAOneHotProduct) {
  OnnxCase t;
  t.op("ScatterND", {t.input("x", {4}), t.i64("i", {0, 0}, {2, 1}), t.input("u", {2})}, {{"reduction", std::string("add")}},
       18);
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.find("tfl.ADD")->outputs[0], t.out());
  OnnxCase m;
  m.op("ScatterND", {m.input("x", {4}), m.i64("i", {0}, {1, 1}), m.input("u", {1})}, {{"reduction", std::string("mul")}},
       18);
  ASSERT_TRUE(m.run().is_ok());
  ASSERT_NE(m.find("tfl.ONE_HOT"), nullptr);
  ASSERT_NE(m.find("tfl.REDUCE_PROD"), nullptr);
  EXPECT_EQ(m.find("tfl.MUL")->op, "tfl.MUL");
  // Integer data has no composed form: refused, naming the reduction.
  OnnxCase i;
  i.op("ScatterND", {i.input("x", {4}, ir::DType::kInt64), i.i64("i", {0}, {1, 1}), i.input("u", {1}, ir::DType::kInt64)},
       {{"reduction", std::string("max")}}, 18);
  const Status s = i.run();
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("reduction='max'"), std::string::npos) << s.message();
}

TEST(GatherScatter, ScatterElementsFoldsWithReductions) {
  OnnxCase t;
  t.op("ScatterElements", {t.f32("x", {1, 5}, {1, 2, 3, 4, 5}), t.i64("i", {1, 3}, {1, 2}), t.f32("u", {1, 2}, {1.1f, 2.1f})},
       {{"axis", int64_t{1}}});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.folded_floats(), (Floats{1, 1.1f, 3, 2.1f, 5}));
  OnnxCase a;
  a.op("ScatterElements", {a.f32("x", {1, 3}, {1, 2, 3}), a.i64("i", {1, 1}, {1, 2}), a.f32("u", {1, 2}, {5, 7})},
       {{"axis", int64_t{1}}, {"reduction", std::string("add")}}, 18);
  ASSERT_TRUE(a.infer().is_ok());
  EXPECT_EQ(a.folded_floats(), (Floats{1, 14, 3}));  // duplicates accumulate
}

// --- Trilu / CumSum / OneHot / EyeLike / NonZero ---

TEST(Positional, TriluIsSelectWithARankMatchedMask) {
  OnnxCase t;
  t.op("Trilu", {t.input("x", {1, 2, 3, 3}), t.i64("k", {1}, {}, true)});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* s = t.find("tfl.SELECT_V2");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->inputs[0]->shape, (Shape{1, 1, 3, 3}));
  EXPECT_EQ(OnnxCase::ints_of(s, 0), (Ints{0, 1, 1, 0, 0, 1, 0, 0, 0}));
}

TEST(Positional, TriluRunTimeKComparesColumnMinusRowWithK) {
  OnnxCase t;
  t.op("Trilu", {t.input("x", {2, 3}), t.input("k", {}, DType::kInt64)}, {{"upper", int64_t{0}}});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* le = t.find("tfl.LESS_EQUAL");
  ASSERT_NE(le, nullptr);
  EXPECT_EQ(OnnxCase::ints_of(le, 0), (Ints{0, 1, 2, -1, 0, 1}));
  EXPECT_EQ(le->inputs[0]->dtype, DType::kInt64);
  const ir::Node* s = t.find("tfl.SELECT_V2");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->inputs[0], le->outputs[0]);
}

TEST(Positional, TriluLowerFolds) {
  OnnxCase t;
  t.op("Trilu", {t.f32("x", {2, 3}, {1, 2, 3, 4, 5, 6}), t.i64("k", {-1}, {}, true)}, {{"upper", int64_t{0}}});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.folded_floats(), (Floats{0, 0, 0, 4, 0, 0}));
}

TEST(Positional, CumSumIsCumsumWithItsFlags) {
  OnnxCase t;
  t.op("CumSum", {t.input("x", {2, 3}), t.i64("axis", {-1}, {}, true)}, {{"exclusive", int64_t{1}}, {"reverse", int64_t{1}}});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* c = t.find("tfl.CUMSUM");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(OnnxCase::ints_of(c, 1), (Ints{1}));
  EXPECT_EQ(c->inputs[1]->shape, Shape{});
  EXPECT_EQ(c->get_int("exclusive", 0), 1);
  EXPECT_EQ(c->get_int("reverse", 0), 1);
}

TEST(Positional, CumSumFoldsExclusiveReverse) {
  OnnxCase t;
  t.op("CumSum", {t.f32("x", {4}, {1, 2, 3, 4}), t.i64("axis", {0}, {}, true)},
       {{"exclusive", int64_t{1}}, {"reverse", int64_t{1}}});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.folded_floats(), (Floats{9, 7, 4, 0}));
}

TEST(Positional, OneHotWrapsNegativeRunTimeIndices) {
  OnnxCase t;
  t.op("OneHot", {t.input("i", {3}, DType::kInt64), t.i64("depth", {5}, {}, true), t.f32("v", {2}, {0, 1})});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* oh = t.find("tfl.ONE_HOT");
  ASSERT_NE(oh, nullptr);
  EXPECT_EQ(oh->get_int("axis", 0), 1);
  EXPECT_EQ(t.count("tfl.SELECT_V2"), 1);
  EXPECT_EQ(t.out()->shape, (Shape{3, 5}));
}

TEST(Positional, OneHotRunTimeValuesAreSlicedAndInt64IndicesClamped) {
  OnnxCase t;  // int64 indices are clamped to [-depth-1, depth] before narrowing to int32
  t.op("OneHot", {t.input("i", {3}, DType::kInt64), t.i64("depth", {5}, {}, true), t.input("v", {2})});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.count("tfl.SLICE"), 2);
  const ir::Node* lo = t.find("tfl.MAXIMUM");
  const ir::Node* hi = t.find("tfl.MINIMUM");
  ASSERT_NE(lo, nullptr);
  ASSERT_NE(hi, nullptr);
  EXPECT_EQ(OnnxCase::ints_of(lo, 1), (Ints{-6}));
  EXPECT_EQ(OnnxCase::ints_of(hi, 1), (Ints{5}));
  const ir::Node* oh = t.find("tfl.ONE_HOT");
  ASSERT_NE(oh, nullptr);
  EXPECT_EQ(oh->inputs[0]->dtype, DType::kInt32);
  EXPECT_EQ(oh->inputs[2]->shape, Shape{});
}

TEST(Positional, OneHotFoldsWithAxisAndOutOfRange) {
  OnnxCase t;  // axis 0: output [depth, n]; -1 → 2; 7 is out of range → all off
  t.op("OneHot", {t.i64("i", {0, -1, 7}), t.i64("depth", {3}, {}, true), t.f32("v", {2}, {-1, 2})}, {{"axis", int64_t{0}}});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.folded_floats(), (Floats{2, -1, -1, -1, -1, -1, -1, 2, -1}));
}

TEST(Positional, EyeLikeFoldsFromTheShapeAlone) {
  OnnxCase t;
  t.op("EyeLike", {t.input("x", {2, 3})}, {{"k", int64_t{1}}, {"dtype", int64_t{7}}});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.out()->dtype, DType::kInt64);
  EXPECT_EQ(t.folded_ints(), (Ints{0, 1, 0, 0, 0, 1}));
}

TEST(Positional, NonZeroFoldsOnConstantsAndIsWhereOtherwise) {
  OnnxCase t;
  t.op("NonZero", {t.f32("x", {2, 2}, {1, 0, 0, 3})});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.folded_ints(), (Ints{0, 1, 0, 1}));
  OnnxCase r;
  r.op("NonZero", {r.input("x", {2, 2})});
  ASSERT_TRUE(r.run().is_ok());
  EXPECT_EQ(r.out()->shape, (Shape{2, -1}));  // the count is known only at run time
  EXPECT_EQ(r.count("tfl.WHERE"), 1);
}

// --- Einsum ---

TEST(Einsum, AttentionScoresUseAdjYWithoutTransposes) {
  OnnxCase t;
  t.op("Einsum", {t.input("q", {2, 4, 5, 8}), t.input("k", {2, 4, 6, 8})}, {{"equation", std::string("bhqd,bhkd->bhqk")}});
  ASSERT_TRUE(t.run().is_ok());
  const ir::Node* mm = t.find("tfl.BATCH_MATMUL");
  ASSERT_NE(mm, nullptr);
  EXPECT_EQ(mm->get_int("adj_y", 0), 1);
  EXPECT_EQ(mm->get_int("adj_x", 0), 0);
  EXPECT_EQ(t.count("tfl.TRANSPOSE"), 0);
  EXPECT_EQ(mm->inputs[0]->shape, (Shape{8, 5, 8}));
  EXPECT_EQ(t.out()->shape, (Shape{2, 4, 5, 6}));
}

TEST(Einsum, MatmulFamilyShapes) {
  const std::vector<std::tuple<std::string, Shape, Shape, Shape>> cases = {
      {"ij,jk->ik", {3, 4}, {4, 5}, {3, 5}},
      {"bij,bjk->bik", {2, 3, 4}, {2, 4, 5}, {2, 3, 5}},
      {"bi,bi->b", {3, 4}, {3, 4}, {3}},
      {"ji,jk->ki", {4, 3}, {4, 5}, {5, 3}},
      {"...ij,...jk->...ik", {2, 3, 3, 4}, {2, 3, 4, 5}, {2, 3, 3, 5}},
      {"i,j->ij", {3}, {4}, {3, 4}},
      {"ij,jk", {3, 4}, {4, 5}, {3, 5}},  // implicit output
  };
  for (const auto& [eq, a, b, out] : cases) {
    OnnxCase t;
    t.op("Einsum", {t.input("a", a), t.input("b", b)}, {{"equation", eq}});
    ASSERT_TRUE(t.run().is_ok()) << eq;
    EXPECT_EQ(t.count("tfl.BATCH_MATMUL"), 1) << eq;
    EXPECT_EQ(t.out()->shape, out) << eq;
  }
}

TEST(Einsum, OneOperandSumsAndTransposes) {
  OnnxCase t;
  t.op("Einsum", {t.input("x", {3, 4, 5})}, {{"equation", std::string("ijk->kj")}});
  ASSERT_TRUE(t.run().is_ok());
  EXPECT_EQ(t.count("tfl.SUM"), 1);
  EXPECT_EQ(t.count("tfl.TRANSPOSE"), 1);
  EXPECT_EQ(t.out()->shape, (Shape{5, 4}));
}

TEST(Einsum, RefusesDiagonalsAndThreeOperands) {
  OnnxCase d;
  d.op("Einsum", {d.input("x", {3, 3})}, {{"equation", std::string("ii->i")}});
  Status s = d.run();
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("diagonal"), std::string::npos) << s.message();
  OnnxCase three;
  three.op("Einsum", {three.input("a", {2, 3}), three.input("b", {3, 4}), three.input("c", {4, 5})},
           {{"equation", std::string("ij,jk,kl->il")}});
  s = three.run();
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("more than two operands"), std::string::npos) << s.message();
}

TEST(Einsum, FoldsAnyEquation) {
  OnnxCase t;
  t.op("Einsum", {t.f32("x", {2, 2}, {1, 2, 3, 4})}, {{"equation", std::string("ii->")}});
  ASSERT_TRUE(t.infer().is_ok());
  EXPECT_EQ(t.folded_floats(), (Floats{5}));  // the trace
  OnnxCase m;
  m.op("Einsum", {m.f32("a", {1, 2}, {1, 2}), m.f32("b", {2, 2}, {3, 4, 5, 6})}, {{"equation", std::string("ij,jk->ik")}});
  ASSERT_TRUE(m.infer().is_ok());
  EXPECT_EQ(m.folded_floats(), (Floats{13, 16}));
}

}  // namespace
}  // namespace pt2tflite::lower
