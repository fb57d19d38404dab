#include <set>

#include "lower/context.h"
#include "lower/lower.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

// Folding materialises tensors; past this size it would bloat the model (e.g. Expand of a
// constant to a big activation) and is better left to the runtime, unless the result is no
// larger than an input it replaces.
constexpr int64_t kMaxFoldElements = 1 << 22;

bool all_inputs_const(const ir::Node& n) {
  for (const ir::Value* v : n.inputs)
    if (v && !v->is_const()) return false;
  return !n.inputs.empty();
}

Status fold_node(ir::Graph& g, ir::Node* n, std::vector<ir::Tensor> results) {
  if (results.size() != n->outputs.size())
    return internal_error(n->describe() + ": folding produced " + std::to_string(results.size()) +
                          " tensors for " + std::to_string(n->outputs.size()) + " outputs");
  for (size_t i = 0; i < results.size(); ++i) {
    ir::Value* old = n->outputs[i];
    ir::Value* c = g.add_const(old->name + "_folded", std::move(results[i]));
    g.replace_uses(old, c);
  }
  g.remove_node(n);
  return Status::ok();
}

}  // namespace

Status infer_shapes_and_fold(ir::Graph& g) {
  const Registry& reg = registry();
  std::string errors;
  // Unsupported unless some error says the model itself is wrong.
  ErrorKind kind = ErrorKind::kUnsupported;
  auto note = [&](const Status& s) {
    errors += "\n  " + s.message();
    if (s.kind() != ErrorKind::kUnsupported) kind = s.kind();
  };
  for (ir::Node* n : g.node_list()) {
    const OpRule* rule = reg.find(n->op);
    if (!rule || !rule->infer) continue;  // reported as unsupported by lower_graph
    bool inputs_known = true;
    for (const ir::Value* v : n->inputs)
      if (v && !ir::is_static(v->shape)) inputs_known = false;
    if (!inputs_known) continue;  // downstream of something unsupported
    Status s = rule->infer(*n);
    if (!s.is_ok()) {
      note(s);
      continue;
    }
    if (rule->fold && (rule->fold_from_shapes || all_inputs_const(*n))) {
      int64_t total = 0, largest_input = 0;
      for (const ir::Value* v : n->outputs) total += std::max<int64_t>(ir::num_elements(v->shape), 0);
      for (const ir::Value* v : n->inputs)
        if (v && v->is_const()) largest_input = std::max(largest_input, ir::num_elements(v->shape));
      // No bigger than an input (DequantizeLinear / Transpose of big weights): no bloat.
      if (total > kMaxFoldElements && total > largest_input) continue;
      auto folded = rule->fold(*n);
      if (!folded.is_ok()) {
        // Folding is an optimisation; an op that can't fold here is lowered instead,
        // unless folding failed because the model itself is wrong.
        if (folded.status().kind() == ErrorKind::kInvalidModel) note(folded.status());
        continue;
      }
      PT_RETURN_IF_ERROR(fold_node(g, n, std::move(folded).value()));
    }
  }
  if (!errors.empty()) return Status::error(kind, "cannot infer static shapes:" + errors);
  return Status::ok();
}

}  // namespace pt2tflite::lower
