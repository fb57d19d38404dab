// Tree ensembles as data: the ONNX-ML tree attributes (opsets 1/3 and TreeEnsemble-5) read into
// one flat node list, and the level-by-level walk and leaf aggregation that evaluate it with
// static shapes (onnx_ml_trees.cc has the whole story).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "lower/context.h"

namespace pt2tflite::lower::ml {

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

// Opsets 1/3: nodes keyed by (tree id, node id); leaf outputs in `<out_prefix>_*` lists
// ("target" for the regressor, "class" for the classifier).
Result<Forest> forest_v1(const ir::Node& n, const std::string& out_prefix);
// Opset 5 (TreeEnsemble): interior nodes 0..I-1 by position, leaves I..I+L-1.
Result<Forest> forest_v5(const ir::Node& n);
// The leaf every (sample, tree) reaches, [N, T] int32; x_rows is float32 [N, C].
Result<ir::Value*> walk(LowerContext& ctx, const ir::Node& n, const Forest& f, ir::Value* x_rows);

enum class Agg { kSum, kAverage, kMin, kMax };
// Aggregated leaf outputs [N, targets] (before base values); with `scored`, also whether some
// tree gave each target a weight ([N, targets] bool).
Result<ir::Value*> aggregate(LowerContext& ctx, const ir::Node& n, const Forest& f, ir::Value* leaves, Agg agg,
                             ir::Value** scored);

}  // namespace pt2tflite::lower::ml
