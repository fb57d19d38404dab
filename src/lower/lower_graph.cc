#include <map>
#include <set>

#include "lower/context.h"
#include "lower/lower.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

// Every op type we cannot lower, with its nodes, in one message.
Status check_supported(const ir::Graph& g) {
  std::map<std::string, std::vector<const ir::Node*>> missing;
  for (const auto& n : g.nodes()) {
    const OpRule* rule = registry().find(n->op);
    if (!rule || !rule->lower) missing[n->op].push_back(n.get());
  }
  if (missing.empty()) return Status::ok();
  std::string msg = std::to_string(missing.size()) + " unsupported op type(s):";
  for (const auto& [op, nodes] : missing) {
    const OpRule* rule = registry().find(op);
    msg += "\n  " + op + " (opset " + std::to_string(nodes[0]->opset) + ")";
    if (rule && rule->expand)
      msg += " [resolved at conversion time: its inputs must have static shapes, and its condition, trip count "
             "or positions must fold to constants]";
    else if (rule)
      msg += " [only foldable: its inputs must be constant, or it must be part of a pattern such as GELU]";
    msg += ": ";
    for (size_t i = 0; i < nodes.size() && i < 8; ++i) msg += (i ? ", " : "") + std::string("'") + nodes[i]->name + "'";
    if (nodes.size() > 8) msg += " and " + std::to_string(nodes.size() - 8) + " more";
  }
  return unsupported(msg);
}

}  // namespace

// TFLite's kernels have no float64 or uint64 support (the importer already refuses the
// other types TFLite lacks): any value of those types left after folding is reported, with
// the values' names, before anything is lowered.
Status check_dtypes(const ir::Graph& g) {
  std::map<ir::DType, std::vector<std::string>> found;
  std::set<const ir::Value*> seen;
  auto note = [&](const ir::Value* v) {
    if (v && (v->dtype == ir::DType::kFloat64 || v->dtype == ir::DType::kUInt64) && seen.insert(v).second)
      found[v->dtype].push_back(v->name);
  };
  for (const auto& n : g.nodes()) {
    for (const ir::Value* v : n->inputs) note(v);
    for (const ir::Value* v : n->outputs) note(v);
  }
  for (const ir::Value* v : g.inputs) note(v);
  for (const ir::Value* v : g.outputs) note(v);
  if (found.empty()) return Status::ok();
  std::string msg = "TFLite has no kernels for these element types:";
  for (const auto& [dtype, names] : found) {
    msg += "\n  " + std::string(ir::dtype_name(dtype)) + ": ";
    for (size_t i = 0; i < names.size() && i < 8; ++i) msg += (i ? ", " : "") + std::string("'") + names[i] + "'";
    if (names.size() > 8) msg += " and " + std::to_string(names.size() - 8) + " more";
  }
  return unsupported(msg + "\n  export the model with float32 / int64 tensors (e.g. model.float())");
}

Status lower_graph(ir::Graph& g, const LowerOptions& options) {
  {  // reported together: everything unsupported at once
    const Status ops = check_supported(g), types = check_dtypes(g);
    if (!ops.is_ok() && !types.is_ok()) return unsupported(ops.message() + "\n" + types.message());
    PT_RETURN_IF_ERROR(ops);
    PT_RETURN_IF_ERROR(types);
  }
  // After inference every value has a static shape, or extents known only at run time made
  // by an op that declares it (the walk let only such ops read them); say which does not.
  for (const auto& n : g.nodes())
    for (const ir::Value* v : n->outputs)
      if (!ir::is_static(v->shape) && !registry().find(n->op)->dynamic_shapes)
        return unsupported(n->describe() + ": output '" + v->name + "' has no static shape " +
                           ir::shape_to_string(v->shape) +
                           "; fix the input shapes (--batch, --input-shape) or export with static shapes");
  LowerContext ctx(g, options);
  std::string errors;
  int failed = 0;
  for (ir::Node* n : g.node_list()) {
    Status s = registry().find(n->op)->lower(ctx, *n);
    if (!s.is_ok()) {
      errors += "\n  " + s.message();
      ++failed;
      continue;
    }
    g.remove_node(n);
  }
  if (failed) return unsupported(std::to_string(failed) + " node(s) could not be lowered:" + errors);
  g.toposort();
  for (const auto& n : g.nodes())
    if (n->op.rfind("tfl.", 0) != 0) return internal_error(n->describe() + " survived lowering");
  return Status::ok();
}

}  // namespace pt2tflite::lower
