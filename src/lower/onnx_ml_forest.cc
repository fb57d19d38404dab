#include "lower/onnx_ml_forest.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "lower/emit_arith.h"
#include "lower/onnx_ml_util.h"

namespace pt2tflite::lower::ml {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

namespace {


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

}  // namespace

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

  // Thresholds have the input's type (the spec; onnxruntime rejects others): a double input is
  // refused before lowering as a type TFLite lacks, so double thresholds here are a bad model.
  NODE_CHECK(n, !f.double_thresholds, "double thresholds for a float input (they must have the input's type)");
  std::vector<float> thr(f.threshold.begin(), f.threshold.end());
  std::set<int64_t> modes;
  bool tracks = false;
  size_t widest_set = 0;
  for (size_t i = 0; i < thr.size(); ++i) {
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
}  // namespace pt2tflite::lower::ml
