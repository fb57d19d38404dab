#include <algorithm>
#include <set>

#include "lower/context.h"
#include "lower/expand.h"
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

// The walk: one node at a time, in topological order, with the static values of expand.h.
class Walk : public ExpandContext {
 public:
  explicit Walk(ir::Graph& g) : ExpandContext(g) {}

  Status process(ir::Node* n) override {
    const OpRule* rule = registry().find(n->op);
    if (!rule || (!rule->infer && !rule->expand)) {
      // Left for lower_graph to report with every other unsupported op, unless it came out
      // of a subgraph: then the loop or branch around it cannot be resolved either.
      if (nested_ > 0) return unsupported(n->describe() + ": op type not supported (inside a subgraph)");
      return Status::ok();
    }
    if (older_than_rule(*n, *rule)) {  // an older definition of the op: reported by lower_graph
      if (nested_ > 0) return unsupported(n->describe() + ": " + old_opset_reason(n->op, rule->min_opset));
      return Status::ok();
    }
    for (const ir::Value* v : n->inputs) {
      auto dyn = dynamic_.find(v);
      if (v && dyn != dynamic_.end()) {
        // (An expansion that declares it only splices values through: If with a constant
        // condition; the spliced nodes are walked, and judged, one by one.)
        if (rule->dynamic_shapes) continue;
        return unsupported(n->describe() + ": input '" + v->name + "' has extents known only at run time " +
                           ir::shape_to_string(v->shape) + " (they depend on values " + dyn->second +
                           " computes at run time); this op needs static shapes. Make the values that decide "
                           "shapes constant (export with fixed shapes, or fix them with --input-shape)");
      }
      if (v && !(rule->expand ? known(v) : ir::is_static(v->shape))) {
        if (nested_ > 0)
          return unsupported(n->describe() + ": input '" + v->name + "' has no static shape " +
                             ir::shape_to_string(v->shape));
        return Status::ok();  // downstream of something unsupported
      }
    }
    if (rule->expand) {
      ++nested_;
      Status s = rule->expand(*this, *n);
      --nested_;
      PT_RETURN_IF_ERROR(s);
      graph().remove_node(n);
      return Status::ok();
    }
    PT_RETURN_IF_ERROR(rule->infer(*n));
    bool dynamic = false;  // an output extent is decided by run-time values
    for (const ir::Value* v : n->outputs)
      // Without dynamic_shapes such a shape only means the op cannot be lowered unless it
      // folds (a window function of a constant size): check_supported reports it otherwise.
      if (v && !ir::is_static(v->shape) && rule->dynamic_shapes) {
        dynamic_.emplace(v, "node '" + n->name + "'");
        dynamic = true;
      }
    for (const ir::Value* v : n->inputs) dynamic |= v && dynamic_.count(v) != 0;
    if (rule->fold && !dynamic && (rule->fold_from_shapes || all_inputs_const(*n))) {
      int64_t total = 0, largest_input = 0;
      for (const ir::Value* v : n->outputs) total += std::max<int64_t>(ir::num_elements(v->shape), 0);
      for (const ir::Value* v : n->inputs)
        if (v && v->is_const()) largest_input = std::max(largest_input, ir::num_elements(v->shape));
      // No bigger than an input (DequantizeLinear / Transpose of big weights): no bloat.
      if (total > kMaxFoldElements && total > largest_input) return Status::ok();
      auto folded = rule->fold(*n);
      if (!folded.is_ok()) {
        // Folding is an optimisation; an op that can't fold here is lowered instead,
        // unless folding failed because the model itself is wrong.
        if (folded.status().kind() == ErrorKind::kInvalidModel) return folded.status();
        return Status::ok();
      }
      PT_RETURN_IF_ERROR(fold_node(n, std::move(folded).value()));
    }
    return Status::ok();
  }

 private:
  Status fold_node(ir::Node* n, std::vector<ir::Tensor> results) {
    if (results.size() != n->outputs.size())
      return internal_error(n->describe() + ": folding produced " + std::to_string(results.size()) +
                            " tensors for " + std::to_string(n->outputs.size()) + " outputs");
    for (size_t i = 0; i < results.size(); ++i) {
      ir::Value* old = n->outputs[i];
      ir::Value* c = graph().add_const(old->name + "_folded", std::move(results[i]));
      replace(old, c);
    }
    graph().remove_node(n);
    return Status::ok();
  }

  int nested_ = 0;  // > 0 while an expansion runs
  // Values whose shape has extents known only at run time (-1), with the node that made them
  // so: only ops whose rule declares dynamic_shapes may read them.
  std::unordered_map<const ir::Value*, std::string> dynamic_;
};

// Sequences and optionals exist only during the walk: one still read afterwards (a graph
// output) has no TFLite form.
Status check_no_static_values_left(const Walk& w, const ir::Graph& g) {
  std::string names;
  for (const ir::Value* v : g.outputs)
    if (!w.is_tensor(v)) names += std::string(names.empty() ? "" : ", ") + "'" + v->name + "'";
  if (names.empty()) return Status::ok();
  return unsupported("graph output(s) " + names +
                     " are not tensors (sequence/map/optional types have no TFLite form): output the tensors "
                     "themselves, e.g. concatenate a sequence with ConcatFromSequence");
}

}  // namespace

const std::vector<ir::Value*>* ExpandContext::sequence(const ir::Value* v) const {
  auto it = sequences_.find(v);
  return it == sequences_.end() ? nullptr : &it->second;
}

ir::Value* ExpandContext::optional_element(const ir::Value* v) const {
  auto it = optionals_.find(v);
  return it == optionals_.end() ? nullptr : it->second;
}

bool ExpandContext::known(const ir::Value* v) const {
  return sequences_.count(v) || optionals_.count(v) || ir::is_static(v->shape);
}

void ExpandContext::replace(ir::Value* from, ir::Value* to) {
  auto in = [](const std::vector<ir::Value*>& list, const ir::Value* v) {
    return std::find(list.begin(), list.end(), v) != list.end();
  };
  if (from != to && is_tensor(to) && in(g_.outputs, from) && (in(g_.inputs, to) || in(g_.outputs, to))) {
    from->dtype = to->dtype;
    from->shape = to->shape;
    g_.add_node("onnx.Identity", from->name + "_identity", {to}, {from});
    return;
  }
  g_.replace_uses(from, to);
  replaced_[from] = to;
}

ir::Value* ExpandContext::current(ir::Value* v) const {
  for (auto it = replaced_.find(v); it != replaced_.end(); it = replaced_.find(v)) v = it->second;
  return v;
}

ir::Value* ExpandContext::constant(const ir::Node& origin, const std::string& suffix, ir::Tensor t) {
  return g_.add_const(origin.name + "_" + suffix, std::move(t));
}

Result<std::vector<ir::Value*>> ExpandContext::emit(const std::string& op_type, const ir::Node& origin,
                                                    std::vector<ir::Value*> inputs, size_t num_outputs,
                                                    std::map<std::string, ir::Attribute> attrs) {
  std::vector<ir::Value*> outs;
  for (size_t i = 0; i < num_outputs; ++i)
    outs.push_back(g_.add_value(origin.name + "_" + op_type, ir::DType::kFloat32, {-1}));
  ir::Node* n = g_.add_node("onnx." + op_type, origin.name + "_" + op_type, std::move(inputs), outs);
  n->opset = origin.opset;
  n->attrs = std::move(attrs);
  PT_RETURN_IF_ERROR(process(n));
  for (auto& v : outs) v = current(v);
  return outs;
}

Result<std::vector<ir::Value*>> ExpandContext::inline_graph(const ir::Graph& body, const std::vector<ir::Value*>& args,
                                                            const ir::Node& origin, const std::string& tag) {
  if (args.size() != body.inputs.size())
    return invalid_model(origin.describe() + ": subgraph '" + body.name + "' takes " +
                         std::to_string(body.inputs.size()) + " inputs, given " + std::to_string(args.size()));
  const std::string prefix = origin.name + "/" + tag + "/";
  std::unordered_map<const ir::Value*, ir::Value*> map;
  for (size_t i = 0; i < args.size(); ++i) map[body.inputs[i]] = args[i];
  auto bind = [&](ir::Value* v) -> Result<ir::Value*> {
    if (!v) return static_cast<ir::Value*>(nullptr);
    auto it = map.find(v);
    if (it != map.end()) return current(it->second);
    if (v->is_const()) {  // one copy for every iteration of a loop; the data is shared
      ir::Value*& c = inlined_consts_[v];
      if (!c) {
        c = g_.add_value(prefix + v->name, v->dtype, v->shape);
        c->data = v->data;
      }
      map[v] = c;
      return c;
    }
    return internal_error(origin.describe() + ": subgraph value '" + v->name + "' is read before it is produced");
  };
  for (const auto& bn : body.nodes()) {
    std::vector<ir::Value*> ins;
    for (ir::Value* v : bn->inputs) {
      PT_ASSIGN_OR_RETURN(ir::Value* b, bind(v));
      ins.push_back(b);
    }
    if (bn->op == "onnx.Identity" && ins.size() == 1 && ins[0] && bn->outputs.size() == 1) {
      map[bn->outputs[0]] = ins[0];  // remove_identity ran before the subgraph was inlined
      continue;
    }
    std::vector<ir::Value*> outs;
    for (ir::Value* v : bn->outputs) {
      outs.push_back(g_.add_value(prefix + v->name, v->dtype, v->shape));
      map[v] = outs.back();
    }
    ir::Node* n = g_.add_node(bn->op, prefix + bn->name, std::move(ins), std::move(outs));
    n->attrs = bn->attrs;
    n->opset = bn->opset;
    n->subgraphs = bn->subgraphs;
    n->captured = bn->captured;
    PT_RETURN_IF_ERROR(process(n));
  }
  std::vector<ir::Value*> results;
  for (ir::Value* v : body.outputs) {
    PT_ASSIGN_OR_RETURN(ir::Value* b, bind(v));
    results.push_back(b);
  }
  return results;
}

Status infer_shapes_and_fold(ir::Graph& g) {
  std::string errors;
  // Unsupported unless some error says the model itself is wrong.
  ErrorKind kind = ErrorKind::kUnsupported;
  Walk walk(g);
  for (ir::Node* n : g.node_list()) {
    Status s = walk.process(n);
    if (s.is_ok()) continue;
    errors += "\n  " + s.message();
    if (s.kind() != ErrorKind::kUnsupported) kind = s.kind();
  }
  g.toposort();  // inlined subgraphs were appended at the end
  if (!errors.empty()) {
    // A float64/uint64 value (the graph's inputs and outputs are typed from the start) is
    // named first: no other fix (constant shape parameters ...) makes such a model convert.
    const Status types = check_dtypes(g);
    const std::string prefix = types.is_ok() ? "" : types.message() + "\n";
    return Status::error(kind, prefix + "cannot infer static shapes:" + errors);
  }
  return check_no_static_values_left(walk, g);
}

}  // namespace pt2tflite::lower
