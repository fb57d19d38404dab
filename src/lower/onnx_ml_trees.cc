// ONNX-ML tree ensembles: TreeEnsembleRegressor, TreeEnsembleClassifier (opsets 1, 3) and
// TreeEnsemble (opset 5), as skl2onnx exports decision trees, random forests and boosting.
//
// Every tree is walked at once, one level per step, with static shapes: the state is the node
// each (sample, tree) pair stands on, [N, T] int32 indices into constant per-node tables
// (feature, threshold, true/false successor, mode). A step GATHERs the node's feature from the
// flattened input, compares it with the node's threshold (per-mode comparisons selected by the
// node's mode when the ensemble mixes modes; BRANCH_MEMBER against the node's padded member set;
// NaN goes the true way where nodes_missing_value_tracks_true says so) and SELECTs the next node.
// Leaves point at themselves, so depth-many steps bring every pair to its leaf. The leaves'
// outputs are a [nodes, targets] table: GATHER + a reduction over trees aggregates them.
//
// Aggregation and finishing follow onnxruntime (tree_ensemble_aggregator.h): SUM / AVERAGE
// (÷ trees) plus base_values when there is one per target (one base value for one target);
// MIN / MAX over the trees that hold a weight for the target, 0 when none does. One target is
// post-transformed only by PROBIT; several by any post_transform. Classifiers: labels are
// classlabels_int64s[first maximum over the classes some leaf or base value scored]; binary
// classifiers follow onnxruntime's binary rules (binary_classifier). String labels are refused.
#include <algorithm>
#include <array>
#include <limits>
#include <set>

#include "lower/onnx_ml_forest.h"
#include "lower/onnx_ml_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;
using ml::Agg;
using ml::Forest;
using ml::kLeaf;
using ml::numbers;


Result<Agg> agg_attr(const Node& n) {
  if (n.op == "ai.onnx.ml.TreeEnsemble") {
    const int64_t v = n.get_int("aggregate_function", 1);
    NODE_CHECK(n, v >= 0 && v <= 3, "aggregate_function " + std::to_string(v));
    return std::array<Agg, 4>{Agg::kAverage, Agg::kSum, Agg::kMin, Agg::kMax}[static_cast<size_t>(v)];
  }
  const std::string s = n.get_string("aggregate_function", "SUM");
  if (s == "SUM") return Agg::kSum;
  if (s == "AVERAGE") return Agg::kAverage;
  if (s == "MIN") return Agg::kMin;
  if (s == "MAX") return Agg::kMax;
  NODE_CHECK(n, false, "aggregate_function '" + s + "'");
  return Agg::kSum;
}

Result<ml::PostTransform> transform_attr(const Node& n) {
  if (n.op != "ai.onnx.ml.TreeEnsemble") return ml::post_transform_attr(n);
  const int64_t v = n.get_int("post_transform", 0);
  NODE_CHECK(n, v >= 0 && v <= 4, "post_transform " + std::to_string(v));
  // The spec numbers them NONE 0, SOFTMAX 1, LOGISTIC 2, SOFTMAX_ZERO 3, PROBIT 4; onnxruntime
  // (1.32, measured) reads 1 as LOGISTIC and 2 as SOFTMAX (its own enum order). Models are run
  // by onnxruntime, so its reading is followed.
  using P = ml::PostTransform;
  return std::array<P, 5>{P::kNone, P::kLogistic, P::kSoftmax, P::kSoftmaxZero, P::kProbit}[static_cast<size_t>(v)];
}

std::vector<double> base_values(const Node& n) {
  if (auto b = numbers(n, "base_values"); b && !b->empty()) return *b;
  return numbers(n, "base_values_as_tensor").value_or(std::vector<double>{});
}

Result<Forest> forest_of(const Node& n) {
  if (n.op == "ai.onnx.ml.TreeEnsemble") return ml::forest_v5(n);
  if (n.op == "ai.onnx.ml.TreeEnsembleRegressor") {
    PT_ASSIGN_OR_RETURN(Forest f, ml::forest_v1(n, "target"));
    f.targets = std::max(f.targets, n.get_int("n_targets", 1));
    return f;
  }
  NODE_UNSUPPORTED_IF(n, n.has("classlabels_strings"),
                      "string class labels (classlabels_strings): TFLite has no string tensors; export the model "
                      "with integer labels (classlabels_int64s)");
  PT_ASSIGN_OR_RETURN(Forest f, ml::forest_v1(n, "class"));
  f.targets = std::max<int64_t>(f.targets, static_cast<int64_t>(n.get_ints("classlabels_int64s").size()));
  return f;
}

int64_t batch_of(const Value* x) { return x->shape.size() == 1 ? 1 : x->shape[0]; }

// --- TreeEnsembleRegressor, TreeEnsemble ---

Status infer_tree_regressor(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  PT_ASSIGN_OR_RETURN(Forest f, forest_of(n));
  const DType t = n.op == "ai.onnx.ml.TreeEnsemble" ? n.inputs[0]->dtype : DType::kFloat32;
  set_output(n, 0, t, {batch_of(n.inputs[0]), f.targets});
  return Status::ok();
}

Status lower_tree_regressor(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Forest f, forest_of(n));
  PT_ASSIGN_OR_RETURN(Agg agg, agg_attr(n));
  PT_ASSIGN_OR_RETURN(ml::PostTransform t, transform_attr(n));
  PT_ASSIGN_OR_RETURN(Value* rows, ml::rows_float(ctx, n, n.inputs[0]));
  PT_ASSIGN_OR_RETURN(Value* leaves, ml::walk(ctx, n, f, rows));
  PT_ASSIGN_OR_RETURN(Value* s, ml::aggregate(ctx, n, f, leaves, agg, nullptr));
  const std::vector<double> base = base_values(n);
  Arith a(ctx, n);
  if (static_cast<int64_t>(base.size()) == f.targets)  // onnxruntime: one per target, else none
    s = a.add(s, ctx.constant(n, "base_values", Tensor::from_doubles(DType::kFloat32, {f.targets}, base)));
  if (f.targets > 1 || t == ml::PostTransform::kProbit) s = ml::post_transform(ctx, n, s, t);
  ctx.reshape(n, s, n.outputs[0]->shape, n.outputs[0]);
  return Status::ok();
}

// --- TreeEnsembleClassifier ---

Status infer_tree_classifier(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  PT_ASSIGN_OR_RETURN(Forest f, forest_of(n));
  const int64_t b = batch_of(n.inputs[0]);
  set_output(n, 0, DType::kInt64, {b});
  if (n.outputs.size() > 1) set_output(n, 1, DType::kFloat32, {b, f.targets});
  return Status::ok();
}

// Two classes: onnxruntime's TreeAggregatorClassifier binary rules (tree_ensemble_aggregator.h,
// checked against onnxruntime 1.32). s0, s1: the class sums; h0, h1: whether a leaf weighted
// the class. base_values of 2: with h1, s1 = b1 + s0 and s0 = −s1 (b0 unused), else each adds
// its own; of 1: s0 += b0. Without h1 (and fewer than 2 base values) only s0 is kept ("popped").
// The label: "binary case" (one class id in the weights) → labels[1] when the positive score
// (s1 if kept and scored, else s0) is > 0.5 (all weights ≥ 0) or > 0 (mixed), else labels[0];
// otherwise the literal 1 / 0 by the positive score's sign. Scores: kept → the post_transform of
// [s0, s1] (an unscored class reads 0); popped → [σ(−s), σ(s)] under LOGISTIC, else [1 − s, s]
// (binary case, weights ≥ 0) or [−s, s].
Status binary_classifier(LowerContext& ctx, const Node& n, const Forest& f, Value* s, Value* scored,
                         ml::PostTransform t, const std::vector<int64_t>& labels) {
  Arith a(ctx, n);
  const std::vector<double> base = base_values(n);
  NODE_CHECK(n, base.size() <= 2, "more base_values than classes");
  std::set<int64_t> ids;
  bool all_positive = true, class1_everywhere = true;
  for (size_t i = 0; i < f.leaf.size(); ++i) {
    bool has1 = false;
    for (const auto& [id, w] : f.leaf[i]) {
      ids.insert(id);
      all_positive = all_positive && w >= 0;
      has1 = has1 || id == 1;
    }
    if (f.mode[i] == kLeaf) class1_everywhere = class1_everywhere && has1;
  }
  const bool binary_case = ids.size() == 1;
  const bool can_pop = base.size() != 2 && !class1_everywhere;
  NODE_UNSUPPORTED_IF(n, can_pop && t == ml::PostTransform::kProbit,
                      "PROBIT on a binary tree classifier whose leaves do not all weight class 1 (onnxruntime "
                      "writes only the first score there)");
  NODE_UNSUPPORTED_IF(n, can_pop && !binary_case && base.size() == 1,
                      "a binary tree classifier with one base value whose leaves do not all weight class 1 "
                      "(onnxruntime writes only the first score there)");
  const int64_t b = s->shape[0];
  auto col = [&](Value* v, int64_t j) {
    Value* y = ctx.temp(n, v->dtype, {b}, "col");
    ctx.emit("tfl.GATHER", n, {v, ctx.constant(n, "j", Tensor::from_int64s(DType::kInt32, {}, {j}))}, {y})
        ->attrs["axis"] = int64_t{1};
    return y;
  };
  Value *s0 = col(s, 0), *s1 = col(s, 1), *h0 = col(scored, 0), *h1 = col(scored, 1);
  if (base.size() == 2) {
    Value* lifted = a.add(s0, base[1]);
    s0 = a.select(h1, a.un("tfl.NEG", lifted), a.add(s0, base[0]));
    s1 = a.select(h1, lifted, a.add(s1, base[1]));
  } else if (base.size() == 1) {
    s0 = a.add(s0, base[0]);
  }
  Value* zero = a.scalar(0.0);
  Value* kept_s0 = a.select(h0, s0, zero);
  Value* pos = a.select(h1, s1, kept_s0);  // popped ⇔ !h1 here, so one formula serves both
  Value* positive = a.bin("tfl.GREATER", pos, a.scalar(binary_case && all_positive ? 0.5 : 0.0), DType::kBool);
  auto label = [&](int64_t v) { return ctx.constant(n, "label", Tensor::from_int64s(DType::kInt64, {}, {v})); };
  ctx.emit("tfl.SELECT_V2", n, {positive, label(binary_case ? labels[1] : 1), label(binary_case ? labels[0] : 0)},
           {n.outputs[0]});
  if (n.outputs.size() < 2 || !n.outputs[1]) return Status::ok();
  auto pair = [&](Value* c0, Value* c1) {
    Value* y = ctx.temp(n, DType::kFloat32, {b, 2}, "pair");
    ctx.emit("tfl.CONCATENATION", n, {ctx.reshape(n, c0, {b, 1}), ctx.reshape(n, c1, {b, 1})}, {y})->attrs["axis"] =
        int64_t{1};
    return y;
  };
  Value* z = ml::post_transform(ctx, n, pair(kept_s0, a.select(h1, s1, zero)), t);
  if (can_pop) {
    Value* popped = nullptr;
    if (t == ml::PostTransform::kLogistic)
      popped = pair(a.un("tfl.LOGISTIC", a.un("tfl.NEG", kept_s0)), a.un("tfl.LOGISTIC", kept_s0));
    else if (binary_case && all_positive)
      popped = pair(a.sub(a.scalar(1.0), kept_s0), kept_s0);
    else
      popped = pair(a.un("tfl.NEG", kept_s0), kept_s0);
    z = a.select(ctx.reshape(n, h1, {b, 1}), z, popped);
  }
  ctx.reshape(n, z, n.outputs[1]->shape, n.outputs[1]);
  return Status::ok();
}

Status lower_tree_classifier(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Forest f, forest_of(n));
  PT_ASSIGN_OR_RETURN(ml::PostTransform t, transform_attr(n));
  const std::vector<int64_t> labels = n.get_ints("classlabels_int64s");
  const auto k = static_cast<int64_t>(labels.size());
  NODE_CHECK(n, k >= 1 && f.targets <= k, "classlabels_int64s has fewer labels than the class ids used");
  NODE_UNSUPPORTED_IF(n, k == 1, "a tree classifier with one class label");
  PT_ASSIGN_OR_RETURN(Value* rows, ml::rows_float(ctx, n, n.inputs[0]));
  PT_ASSIGN_OR_RETURN(Value* leaves, ml::walk(ctx, n, f, rows));
  Value* scored = nullptr;
  PT_ASSIGN_OR_RETURN(Value* s, ml::aggregate(ctx, n, f, leaves, Agg::kSum, &scored));
  if (k == 2) return binary_classifier(ctx, n, f, s, scored, t, labels);
  Arith a(ctx, n);
  const std::vector<double> base = base_values(n);
  NODE_CHECK(n, static_cast<int64_t>(base.size()) <= k, "more base_values than classes");
  if (!base.empty()) {  // onnxruntime: the first base_values.size() classes get theirs and count as scored
    std::vector<double> padded = base;
    padded.resize(static_cast<size_t>(k), 0.0);
    std::vector<int64_t> given(static_cast<size_t>(k), 0);
    std::fill(given.begin(), given.begin() + static_cast<std::ptrdiff_t>(base.size()), 1);
    s = a.add(s, ctx.constant(n, "base_values", Tensor::from_doubles(DType::kFloat32, {k}, padded)));
    scored = a.bin("tfl.LOGICAL_OR", scored, ctx.constant(n, "based", Tensor::from_int64s(DType::kBool, {k}, given)));
  }
  // The label: the first maximum among the scored classes.
  const int64_t b = rows->shape[0];
  Value* ranked = a.select(scored, s, a.scalar(-std::numeric_limits<double>::infinity()));
  Value* idx = ctx.temp(n, DType::kInt32, {b}, "argmax");
  ctx.emit("tfl.ARG_MAX", n, {ranked, ctx.const_int32(n, "axis", {1})}, {idx});
  ctx.emit("tfl.GATHER", n, {ctx.constant(n, "labels", Tensor::from_int64s(DType::kInt64, {k}, labels)), idx},
           {n.outputs[0]})
      ->attrs["axis"] = int64_t{0};
  if (n.outputs.size() > 1 && n.outputs[1])
    ctx.reshape(n, ml::post_transform(ctx, n, s, t), n.outputs[1]->shape, n.outputs[1]);
  return Status::ok();
}

}  // namespace

void register_onnx_ml_trees(Registry& r) {
  r.add("ai.onnx.ml.TreeEnsembleRegressor", {infer_tree_regressor, nullptr, lower_tree_regressor});
  r.add("ai.onnx.ml.TreeEnsemble", {infer_tree_regressor, nullptr, lower_tree_regressor});
  r.add("ai.onnx.ml.TreeEnsembleClassifier", {infer_tree_classifier, nullptr, lower_tree_classifier});
}

}  // namespace pt2tflite::lower
