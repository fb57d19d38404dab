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
// Thresholds given in double are rounded toward the side that keeps float32 comparisons exact.
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "lower/onnx_ml_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;
using ml::numbers;

enum Mode : int64_t { kLeq = 0, kLt, kGte, kGt, kEq, kNeq, kMember, kLeaf };

struct Forest {
  std::vector<int64_t> feature, mode, next_true, next_false;
  std::vector<double> threshold;
  std::vector<bool> tracks_missing;
  std::vector<std::vector<double>> members;  // BRANCH_MEMBER nodes' sets
  std::vector<int64_t> roots;
  std::vector<std::vector<std::pair<int64_t, double>>> leaf;  // per node: (target, weight)
  int64_t targets = 0;
  int64_t depth = 0;
  bool double_thresholds = false;
};

Result<Mode> mode_of(const Node& n, const std::string& s) {
  static const std::map<std::string, Mode> kModes = {{"BRANCH_LEQ", kLeq}, {"BRANCH_LT", kLt},  {"BRANCH_GTE", kGte},
                                                     {"BRANCH_GT", kGt},   {"BRANCH_EQ", kEq},  {"BRANCH_NEQ", kNeq},
                                                     {"BRANCH_MEMBER", kMember}, {"LEAF", kLeaf}};
  auto it = kModes.find(s);
  NODE_CHECK(n, it != kModes.end(), "unknown node mode '" + s + "'");
  return it->second;
}

// The longest root-to-leaf path (in steps); an error for cycles or dangling successors.
Status measure_depth(const Node& n, Forest* f) {
  const size_t g = f->feature.size();
  std::vector<int64_t> memo(g, -1);
  std::vector<bool> on_path(g, false);
  std::function<Result<int64_t>(int64_t)> depth = [&](int64_t i) -> Result<int64_t> {
    NODE_CHECK(n, i >= 0 && static_cast<size_t>(i) < g, "a tree node points outside the ensemble");
    if (f->mode[i] == kLeaf) return int64_t{0};
    if (memo[i] >= 0) return memo[i];
    NODE_CHECK(n, !on_path[i], "a tree has a cycle");
    on_path[i] = true;
    PT_ASSIGN_OR_RETURN(int64_t a, depth(f->next_true[i]));
    PT_ASSIGN_OR_RETURN(int64_t b, depth(f->next_false[i]));
    on_path[i] = false;
    return memo[i] = 1 + std::max(a, b);
  };
  for (int64_t r : f->roots) {
    PT_ASSIGN_OR_RETURN(int64_t d, depth(r));
    f->depth = std::max(f->depth, d);
  }
  return Status::ok();
}

// Opsets 1/3: nodes keyed by (tree id, node id); leaf outputs in target_* / class_* lists.
Result<Forest> forest_v1(const Node& n, const std::string& out_prefix) {
  Forest f;
  const std::vector<int64_t> trees = n.get_ints("nodes_treeids"), ids = n.get_ints("nodes_nodeids"),
                             feats = n.get_ints("nodes_featureids"), tids = n.get_ints("nodes_truenodeids"),
                             fids = n.get_ints("nodes_falsenodeids"),
                             missing = n.get_ints("nodes_missing_value_tracks_true");
  std::vector<double> values = numbers(n, "nodes_values").value_or(std::vector<double>{});
  if (values.empty() && n.has("nodes_values_as_tensor")) {
    values = *numbers(n, "nodes_values_as_tensor");
    f.double_thresholds = n.get_int("nodes_values_as_tensor_dtype", 0) == static_cast<int64_t>(DType::kFloat64);
  }
  auto it = n.attrs.find("nodes_modes");
  NODE_CHECK(n, it != n.attrs.end() && std::holds_alternative<std::vector<std::string>>(it->second),
             "no nodes_modes");
  const auto& modes = std::get<std::vector<std::string>>(it->second);
  const size_t g = ids.size();
  NODE_CHECK(n, g > 0 && trees.size() == g && feats.size() == g && tids.size() == g && fids.size() == g &&
                    modes.size() == g && (values.empty() || values.size() == g) &&
                    (missing.empty() || missing.size() == g),
             "the nodes_* attributes differ in length");
  std::map<std::pair<int64_t, int64_t>, int64_t> index;
  for (size_t i = 0; i < g; ++i) {
    NODE_CHECK(n, index.emplace(std::pair{trees[i], ids[i]}, static_cast<int64_t>(i)).second,
               "node " + std::to_string(ids[i]) + " of tree " + std::to_string(trees[i]) + " is listed twice");
  }
  std::map<int64_t, int64_t> root;  // tree id → its first listed node
  for (size_t i = 0; i < g; ++i) {
    PT_ASSIGN_OR_RETURN(Mode m, mode_of(n, modes[i]));
    NODE_UNSUPPORTED_IF(n, m == kMember, "BRANCH_MEMBER before opset 5");
    f.mode.push_back(m);
    f.feature.push_back(m == kLeaf ? 0 : feats[i]);
    f.threshold.push_back(m == kLeaf || values.empty() ? 0.0 : values[i]);
    f.tracks_missing.push_back(!missing.empty() && missing[i] != 0);
    if (m == kLeaf) {
      f.next_true.push_back(static_cast<int64_t>(i));
      f.next_false.push_back(static_cast<int64_t>(i));
    } else {
      auto t = index.find({trees[i], tids[i]}), e = index.find({trees[i], fids[i]});
      NODE_CHECK(n, t != index.end() && e != index.end(),
                 "node " + std::to_string(ids[i]) + " of tree " + std::to_string(trees[i]) + " has a missing successor");
      f.next_true.push_back(t->second);
      f.next_false.push_back(e->second);
    }
    if (!root.count(trees[i])) root[trees[i]] = static_cast<int64_t>(i);
  }
  f.members.resize(g);
  // A tree's root is its first listed node (the ONNX reference; skl2onnx lists node 0 first).
  for (const auto& [tree, r] : root) f.roots.push_back(r);
  f.leaf.resize(g);
  const std::vector<int64_t> wt = n.get_ints(out_prefix + "_treeids"), wn = n.get_ints(out_prefix + "_nodeids"),
                             wi = n.get_ints(out_prefix + "_ids");
  std::vector<double> ww = numbers(n, out_prefix + "_weights").value_or(std::vector<double>{});
  if (ww.empty() && n.has(out_prefix + "_weights_as_tensor")) ww = *numbers(n, out_prefix + "_weights_as_tensor");
  NODE_CHECK(n, wt.size() == wn.size() && wn.size() == wi.size() && wi.size() == ww.size(),
             "the " + out_prefix + "_* attributes differ in length");
  for (size_t k = 0; k < wt.size(); ++k) {
    auto node = index.find({wt[k], wn[k]});
    NODE_CHECK(n, node != index.end(), out_prefix + " weight for a node that does not exist");
    NODE_CHECK(n, wi[k] >= 0, "negative " + out_prefix + "_ids entry");
    f.leaf[node->second].emplace_back(wi[k], ww[k]);
    f.targets = std::max(f.targets, wi[k] + 1);
  }
  PT_RETURN_IF_ERROR(measure_depth(n, &f));
  return f;
}

// Opset 5 (TreeEnsemble): interior nodes 0..I-1 by position, leaves I..I+L-1.
Result<Forest> forest_v5(const Node& n) {
  Forest f;
  const std::vector<int64_t> feats = n.get_ints("nodes_featureids"), tids = n.get_ints("nodes_truenodeids"),
                             fids = n.get_ints("nodes_falsenodeids"), tleaf = n.get_ints("nodes_trueleafs"),
                             fleaf = n.get_ints("nodes_falseleafs"), targets = n.get_ints("leaf_targetids"),
                             missing = n.get_ints("nodes_missing_value_tracks_true"), roots = n.get_ints("tree_roots");
  const std::vector<double> splits = numbers(n, "nodes_splits").value_or(std::vector<double>{}),
                            modes = numbers(n, "nodes_modes").value_or(std::vector<double>{}),
                            weights = numbers(n, "leaf_weights").value_or(std::vector<double>{}),
                            members = numbers(n, "membership_values").value_or(std::vector<double>{});
  f.double_thresholds = n.get_int("nodes_splits_dtype", 0) == static_cast<int64_t>(DType::kFloat64);
  const size_t interior = feats.size(), leaves = weights.size();
  NODE_CHECK(n, tids.size() == interior && fids.size() == interior && tleaf.size() == interior &&
                    fleaf.size() == interior && splits.size() == interior &&
                    (modes.empty() || modes.size() == interior) && (missing.empty() || missing.size() == interior),
             "the nodes_* attributes differ in length");
  NODE_CHECK(n, targets.size() == leaves && leaves > 0, "leaf_targetids and leaf_weights differ in length");
  const auto I = static_cast<int64_t>(interior);
  auto child = [&](size_t i, bool is_leaf, int64_t id) -> Result<int64_t> {
    NODE_CHECK(n, id >= 0 && static_cast<size_t>(id) < (is_leaf ? leaves : interior), "a node successor is out of range");
    return is_leaf ? I + id : id;
  };
  size_t next_member = 0;
  f.members.resize(interior + leaves);
  for (size_t i = 0; i < interior; ++i) {
    const auto m = static_cast<Mode>(modes.empty() ? 0 : static_cast<int64_t>(modes[i]));
    NODE_CHECK(n, m >= kLeq && m <= kMember, "unknown node mode " + std::to_string(static_cast<int64_t>(m)));
    f.mode.push_back(m);
    f.feature.push_back(feats[i]);
    f.threshold.push_back(splits[i]);
    f.tracks_missing.push_back(!missing.empty() && missing[i] != 0);
    PT_ASSIGN_OR_RETURN(int64_t t, child(i, tleaf[i] != 0, tids[i]));
    PT_ASSIGN_OR_RETURN(int64_t e, child(i, fleaf[i] != 0, fids[i]));
    f.next_true.push_back(t);
    f.next_false.push_back(e);
    if (m == kMember) {  // the next NaN-terminated run of membership_values
      while (next_member < members.size() && !std::isnan(members[next_member]))
        f.members[i].push_back(members[next_member++]);
      NODE_CHECK(n, next_member < members.size(), "membership_values has too few NaN-terminated sets");
      ++next_member;
    }
  }
  f.leaf.resize(interior + leaves);
  for (size_t l = 0; l < leaves; ++l) {
    f.mode.push_back(kLeaf);
    f.feature.push_back(0);
    f.threshold.push_back(0);
    f.tracks_missing.push_back(false);
    f.next_true.push_back(I + static_cast<int64_t>(l));
    f.next_false.push_back(I + static_cast<int64_t>(l));
    NODE_CHECK(n, targets[l] >= 0, "negative leaf_targetids entry");
    f.leaf[interior + l].emplace_back(targets[l], weights[l]);
  }
  f.targets = n.get_int("n_targets", 0);
  for (int64_t t : targets) NODE_CHECK(n, t < f.targets, "a leaf_targetids entry is not below n_targets");
  for (int64_t r : roots) {
    NODE_CHECK(n, r >= 0 && r < I, "a tree_roots entry is out of range");
    // A tree that is one leaf: both successors the same leaf (the spec's degenerate case).
    const bool is_leaf = tleaf[r] && fleaf[r] && tids[r] == fids[r];
    f.roots.push_back(is_leaf ? I + tids[r] : r);
  }
  PT_RETURN_IF_ERROR(measure_depth(n, &f));
  return f;
}

// Node tables as constants and the level-by-level walk; returns the leaf of every (sample,
// tree), [N, T] int32.
Result<Value*> walk(LowerContext& ctx, const Node& n, const Forest& f, Value* x_rows) {
  Arith a(ctx, n);
  const int64_t rows = x_rows->shape[0], feats = x_rows->shape[1];
  const auto trees = static_cast<int64_t>(f.roots.size()), g = static_cast<int64_t>(f.feature.size());
  for (size_t i = 0; i < f.feature.size(); ++i)
    NODE_CHECK(n, f.mode[i] == kLeaf || (f.feature[i] >= 0 && f.feature[i] < feats),
               "a node reads feature " + std::to_string(f.feature[i]) + " of " + std::to_string(feats));
  std::vector<int64_t> start;
  for (int64_t r = 0; r < rows; ++r) start.insert(start.end(), f.roots.begin(), f.roots.end());
  Value* node = ctx.const_int32(n, "roots", start, {rows, trees});
  if (f.depth == 0) return node;
  std::vector<int64_t> offsets;
  for (int64_t r = 0; r < rows; ++r) offsets.push_back(r * feats);
  Value* row_off = ctx.const_int32(n, "row_offsets", offsets, {rows, 1});
  Value* flat = ctx.reshape(n, x_rows, {rows * feats});

  // Thresholds in float32: a double threshold is rounded so that the float comparison
  // decides as the double one would (≤, > round down; <, ≥ round up; =, ≠ only if exact).
  std::vector<float> thr(static_cast<size_t>(g));
  std::set<int64_t> modes;
  bool tracks = false;
  size_t widest_set = 0;
  for (size_t i = 0; i < thr.size(); ++i) {
    const double v = f.threshold[i];
    float t = static_cast<float>(v);
    if (f.double_thresholds && static_cast<double>(t) != v && !std::isnan(v)) {
      const bool down = f.mode[i] == kLeq || f.mode[i] == kGt;
      if (down && static_cast<double>(t) > v) t = std::nextafter(t, -std::numeric_limits<float>::infinity());
      if (!down && static_cast<double>(t) < v) t = std::nextafter(t, std::numeric_limits<float>::infinity());
      if (f.mode[i] == kEq || f.mode[i] == kNeq) t = std::numeric_limits<float>::quiet_NaN();
    }
    thr[i] = t;
    if (f.mode[i] != kLeaf) modes.insert(f.mode[i]);
    tracks = tracks || f.tracks_missing[i];
    widest_set = std::max(widest_set, f.members[i].size());
  }
  auto table_i32 = [&](const std::string& name, const std::vector<int64_t>& v) { return ctx.const_int32(n, name, v, {g}); };
  Value* feature_t = table_i32("feature", f.feature);
  Value* true_t = table_i32("next_true", f.next_true);
  Value* false_t = table_i32("next_false", f.next_false);
  Value* thr_t = ctx.constant(n, "threshold", Tensor::from_floats({g}, thr));
  Value* mode_t = modes.size() > 1 ? table_i32("mode", f.mode) : nullptr;
  Value* track_t = nullptr;
  if (tracks) {
    std::vector<int64_t> t(f.tracks_missing.begin(), f.tracks_missing.end());
    track_t = table_i32("tracks_missing", t);
  }
  Value* member_t = nullptr;
  if (modes.count(kMember)) {
    std::vector<float> sets(static_cast<size_t>(g) * widest_set, std::numeric_limits<float>::quiet_NaN());
    for (size_t i = 0; i < f.members.size(); ++i)
      for (size_t k = 0; k < f.members[i].size(); ++k) sets[i * widest_set + k] = static_cast<float>(f.members[i][k]);
    member_t = ctx.constant(n, "members", Tensor::from_floats({g, static_cast<int64_t>(widest_set)}, sets));
  }
  const Shape st{rows, trees};
  auto gather = [&](Value* table, Value* idx, DType dtype, Shape shape) {
    Value* y = ctx.temp(n, dtype, std::move(shape), "g");
    ctx.emit("tfl.GATHER", n, {table, idx}, {y})->attrs["axis"] = int64_t{0};
    return y;
  };
  for (int64_t step = 0; step < f.depth; ++step) {
    Value* xv = gather(flat, a.add(gather(feature_t, node, DType::kInt32, st), row_off), DType::kFloat32, st);
    Value* th = gather(thr_t, node, DType::kFloat32, st);
    Value* mode_v = mode_t ? gather(mode_t, node, DType::kInt32, st) : nullptr;
    Value* cond = nullptr;
    for (int64_t m : modes) {
      Value* c = nullptr;
      switch (m) {
        case kLeq: c = a.bin("tfl.LESS_EQUAL", xv, th, DType::kBool); break;
        case kLt: c = a.bin("tfl.LESS", xv, th, DType::kBool); break;
        case kGte: c = a.bin("tfl.GREATER_EQUAL", xv, th, DType::kBool); break;
        case kGt: c = a.bin("tfl.GREATER", xv, th, DType::kBool); break;
        case kEq: c = a.bin("tfl.EQUAL", xv, th, DType::kBool); break;
        case kNeq: c = a.bin("tfl.NOT_EQUAL", xv, th, DType::kBool); break;
        case kMember: {
          const auto w = static_cast<int64_t>(widest_set);
          Value* set = gather(member_t, node, DType::kFloat32, {rows, trees, w});
          Value* hit = a.bin("tfl.EQUAL", ctx.reshape(n, xv, {rows, trees, 1}), set, DType::kBool);
          c = ctx.temp(n, DType::kBool, st, "member");
          ctx.emit("tfl.REDUCE_ANY", n, {hit, ctx.const_int32(n, "axis", {2})}, {c});
          break;
        }
        default: break;
      }
      if (mode_v) c = a.bin("tfl.LOGICAL_AND", c, a.bin("tfl.EQUAL", mode_v, ctx.const_int32(n, "m", {m}), DType::kBool));
      cond = cond ? a.bin("tfl.LOGICAL_OR", cond, c) : c;
    }
    if (track_t) {
      Value* nan = a.bin("tfl.NOT_EQUAL", xv, xv, DType::kBool);
      Value* tr = a.bin("tfl.EQUAL", gather(track_t, node, DType::kInt32, st), ctx.const_int32(n, "one", {1}), DType::kBool);
      cond = a.bin("tfl.LOGICAL_OR", cond, a.bin("tfl.LOGICAL_AND", nan, tr));
    }
    Value* next = ctx.temp(n, DType::kInt32, st, "node");
    ctx.emit("tfl.SELECT_V2", n, {cond, gather(true_t, node, DType::kInt32, st), gather(false_t, node, DType::kInt32, st)},
             {next});
    node = next;
  }
  return node;
}

enum class Agg { kSum, kAverage, kMin, kMax };

// Aggregated leaf outputs [N, targets] (before base values), and optionally whether some tree
// gave each target a weight ([N, targets] bool).
Result<Value*> aggregate(LowerContext& ctx, const Node& n, const Forest& f, Value* leaves, Agg agg, Value** scored) {
  Arith a(ctx, n);
  const int64_t g = static_cast<int64_t>(f.feature.size()), k = f.targets;
  const int64_t rows = leaves->shape[0], trees = leaves->shape[1];
  const double inf = std::numeric_limits<double>::infinity();
  const double none = agg == Agg::kMin ? inf : agg == Agg::kMax ? -inf : 0.0;
  std::vector<double> table(static_cast<size_t>(g * k), none);
  std::vector<int64_t> has(static_cast<size_t>(g * k), 0);
  for (size_t i = 0; i < f.leaf.size(); ++i)
    for (const auto& [t, w] : f.leaf[i]) {
      NODE_CHECK(n, t < k, "a leaf weight names target " + std::to_string(t) + " of " + std::to_string(k));
      double& c = table[i * static_cast<size_t>(k) + static_cast<size_t>(t)];
      c = agg == Agg::kMin ? std::min(c, w) : agg == Agg::kMax ? std::max(c, w) : c + w;
      has[i * static_cast<size_t>(k) + static_cast<size_t>(t)] = 1;
    }
  Value* w = ctx.temp(n, DType::kFloat32, {rows, trees, k}, "leaf_weights");
  ctx.emit("tfl.GATHER", n, {ctx.constant(n, "weights", Tensor::from_doubles(DType::kFloat32, {g, k}, table)), leaves}, {w})
      ->attrs["axis"] = int64_t{0};
  const char* op = agg == Agg::kMin ? "tfl.REDUCE_MIN" : agg == Agg::kMax ? "tfl.REDUCE_MAX" : "tfl.SUM";
  Value* s = ctx.temp(n, DType::kFloat32, {rows, k}, "aggregated");
  ctx.emit(op, n, {w, ctx.const_int32(n, "axis", {1})}, {s})->attrs["keep_dims"] = int64_t{0};
  if (agg == Agg::kAverage) s = a.mul(s, 1.0 / static_cast<double>(trees));
  if (agg == Agg::kMin || agg == Agg::kMax)  // no tree scored the target: 0 (onnxruntime)
    s = a.select(a.bin("tfl.EQUAL", s, a.scalar(none), DType::kBool), a.scalar(0.0), s);
  if (scored) {
    Value* h = ctx.temp(n, DType::kBool, {rows, trees, k}, "has_weight");
    ctx.emit("tfl.GATHER", n, {ctx.constant(n, "has", Tensor::from_int64s(DType::kBool, {g, k}, has)), leaves}, {h})
        ->attrs["axis"] = int64_t{0};
    *scored = ctx.temp(n, DType::kBool, {rows, k}, "scored");
    ctx.emit("tfl.REDUCE_ANY", n, {h, ctx.const_int32(n, "axis", {1})}, {*scored});
  }
  return s;
}

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
  if (n.op == "ai.onnx.ml.TreeEnsemble") return forest_v5(n);
  if (n.op == "ai.onnx.ml.TreeEnsembleRegressor") {
    PT_ASSIGN_OR_RETURN(Forest f, forest_v1(n, "target"));
    f.targets = std::max(f.targets, n.get_int("n_targets", 1));
    return f;
  }
  NODE_UNSUPPORTED_IF(n, n.has("classlabels_strings"),
                      "string class labels (classlabels_strings): TFLite has no string tensors; export the model "
                      "with integer labels (classlabels_int64s)");
  PT_ASSIGN_OR_RETURN(Forest f, forest_v1(n, "class"));
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
  PT_ASSIGN_OR_RETURN(Value* leaves, walk(ctx, n, f, rows));
  PT_ASSIGN_OR_RETURN(Value* s, aggregate(ctx, n, f, leaves, agg, nullptr));
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
  PT_ASSIGN_OR_RETURN(Value* leaves, walk(ctx, n, f, rows));
  Value* scored = nullptr;
  PT_ASSIGN_OR_RETURN(Value* s, aggregate(ctx, n, f, leaves, Agg::kSum, &scored));
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
