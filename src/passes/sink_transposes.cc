// Before: y = TRANSPOSE(x, P);  z = U(y, …)           (U commutes with P, see layout_rules)
// After:  z' = U'(x, …);        z = TRANSPOSE(z', P)   (U' has its axes remapped)
//         and TRANSPOSE(TRANSPOSE(x, P), Q) = TRANSPOSE(x, P∘Q), dropped when the identity.
// Moving every transpose towards the outputs makes the NCHW→NHWC / NHWC→NCHW pairs that
// the lowering put around each layout-sensitive op meet and cancel.
// Conditions:
//   - every data input of U is a transpose with the same P, or a constant (elementwise ops
//     permute constants, broadcasting them to full rank first);
//   - it never adds transposes: the transposes that die must at least match the new ones;
//   - a transpose reading a graph input stays (it is the model's input border); instead a
//     transpose below a chain of single-input ops starting at a graph input is hoisted up
//     to it, so borders gather in one place (and a PAD there can later fuse into a conv);
//   - a transpose read by several commuting ops is cloned per reader only when, after
//     sinking, fewer transposes remain (tried on a copy of the graph);
//   - a transpose into a RESHAPE it cannot pass is split into a data-moving half that
//     stays and a layout half that sinks (split_for_reshape), on the same terms.
#include <algorithm>
#include <optional>

#include "passes/layout_rules.h"
#include "passes/passes.h"

namespace pt2tflite::passes {

namespace {

using ir::Node;
using ir::Value;

std::vector<int64_t> perm_of(const Node& t) {
  if (t.op != "tfl.TRANSPOSE" || !t.input(1) || !t.inputs[1]->is_const()) return {};
  return t.inputs[1]->data->to_int64s();
}

bool is_graph_input(const ir::Graph& g, const Value* v) {
  return std::find(g.inputs.begin(), g.inputs.end(), v) != g.inputs.end();
}

Value* add_transpose(ir::Graph& g, Value* x, const std::vector<int64_t>& perm, Value* out, const std::string& name) {
  Value* p = g.add_const(name + "/perm", ir::Tensor::from_int64s(ir::DType::kInt32, {static_cast<int64_t>(perm.size())}, perm));
  g.add_node("tfl.TRANSPOSE", name + "/sunk", {x, p}, {out});
  return out;
}

// A constant operand c of an elementwise op on y = transpose(x, P): the operand for the op
// on x is transpose(c', inverse(P)), c' being c broadcast to full rank.
Value* permute_constant(ir::Graph& g, const Value* c, const std::vector<int64_t>& perm) {
  ir::Tensor t = *c->data;
  const size_t rank = perm.size();
  if (t.shape.size() > rank) return nullptr;
  t.shape.insert(t.shape.begin(), rank - t.shape.size(), 1);
  return g.add_const(c->name + "/permuted", ir::transpose(t, ir::inverse_permutation(perm)));
}

// A run-time operand broadcast against y = transpose(x, P) whose inverse permutation only
// moves size-1 axes (a [C,1,1] gate, a scalar): the permuted operand is just a reshape.
std::optional<ir::Shape> reshape_for(const Value* v, const std::vector<int64_t>& perm) {
  const size_t rank = perm.size();
  if (v->shape.size() > rank) return std::nullopt;
  ir::Shape full(rank - v->shape.size(), 1);
  full.insert(full.end(), v->shape.begin(), v->shape.end());
  const auto inv = ir::inverse_permutation(perm);
  int64_t last = -1;
  for (int64_t a : inv) {
    if (full[a] == 1) continue;
    if (a < last) return std::nullopt;
    last = a;
  }
  return ir::permute(full, inv);
}

// T(T(x, P), Q) → T(x, P∘Q); returns true if it changed the graph.
bool compose(ir::Graph& g, const ir::Uses& uses, Node* outer) {
  std::vector<int64_t> q = perm_of(*outer);
  Node* inner = uses.producer(outer->inputs[0]);
  if (q.empty() || !inner) return false;
  std::vector<int64_t> p = perm_of(*inner);
  if (p.empty() || p.size() != q.size()) return false;
  std::vector<int64_t> pq(q.size());
  for (size_t i = 0; i < q.size(); ++i) pq[i] = p[q[i]];
  Value* x = inner->inputs[0];
  if (ir::is_identity_permutation(pq)) {
    Value* out = outer->outputs[0];
    if (uses.is_graph_output(out) && (is_graph_input(g, x) || uses.is_graph_output(x) || x->is_const())) {
      if (!ir::is_static(out->shape)) return false;  // the copy below is a reshape to out's extents
      outer->inputs[0] = x;  // keep a copy node: an output cannot alias an input
      outer->op = "tfl.RESHAPE";
      outer->inputs[1] = g.add_const(outer->name + "/shape", ir::Tensor::from_int64s(ir::DType::kInt32,
                                     {static_cast<int64_t>(out->shape.size())}, out->shape));
      return true;
    }
    g.replace_uses(out, x);
    g.remove_node(outer);
    return true;
  }
  outer->inputs[0] = x;
  outer->inputs[1] = g.add_const(outer->name + "/perm", ir::Tensor::from_int64s(ir::DType::kInt32,
                                 {static_cast<int64_t>(pq.size())}, pq));
  return true;
}

// Moves the transposes feeding `u` below it. `perm` is their common permutation.
// `trial`: also move border transposes and moves that add transposes locally (a SPLIT
// with several outputs); only used on a copy whose final count decides.
bool sink_into(ir::Graph& g, const ir::Uses& uses, Node* u, const std::vector<int64_t>& perm,
               bool allow_border = false) {
  const LayoutRule rule = layout_rule(*u);
  if (rule.kind == LayoutKind::kBarrier) return false;
  int dying = 0;
  std::vector<Value*> new_inputs = u->inputs;
  std::vector<std::optional<ir::Shape>> reshaped(u->inputs.size());
  for (size_t i : rule.data_inputs) {
    Value* in = u->input(i);
    if (!in) continue;
    Node* p = uses.producer(in);
    if (p && perm_of(*p) == perm && (allow_border || !is_graph_input(g, p->inputs[0]))) {
      new_inputs[i] = p->inputs[0];
      if (uses.users(in).size() == 1 && !uses.is_graph_output(in)) ++dying;
      continue;
    }
    if (in->is_const() && rule.kind == LayoutKind::kElementwise) {
      Value* c = permute_constant(g, in, perm);
      if (!c) return false;
      new_inputs[i] = c;
      continue;
    }
    if (rule.kind == LayoutKind::kElementwise && (reshaped[i] = reshape_for(in, perm))) {
      continue;  // a [C,1,1]-like operand: the permutation is a free reshape (made below)
    }
    return false;
  }
  if (dying < static_cast<int>(u->outputs.size()) && !allow_border) return false;  // would add transposes

  std::vector<std::vector<int64_t>> out_perms;
  if (rule.kind == LayoutKind::kAxes) {
    if (!remap_axes(g, *u, perm, &out_perms)) return false;
  } else {
    out_perms.assign(u->outputs.size(), perm);
  }
  for (size_t i : rule.data_inputs) {
    if (reshaped[i]) {
      Value* r = g.add_value(u->inputs[i]->name + "/reshaped", u->inputs[i]->dtype, *reshaped[i]);
      Value* shape = g.add_const(u->name + "/shape", ir::Tensor::from_int64s(ir::DType::kInt32,
                                 {static_cast<int64_t>(reshaped[i]->size())}, *reshaped[i]));
      g.add_node("tfl.RESHAPE", u->name + "/operand", {u->inputs[i], shape}, {r});
      new_inputs[i] = r;
    }
    u->inputs[i] = new_inputs[i];  // remap_axes may have replaced the others
  }
  for (size_t i = 0; i < u->outputs.size(); ++i) {
    Value* original = u->outputs[i];
    const auto& q = out_perms[i];
    Value* inner = g.add_value(original->name + "/sunk", original->dtype,
                               ir::permute(original->shape, ir::inverse_permutation(q)));
    u->outputs[i] = inner;
    add_transpose(g, inner, q, original, u->name);
  }
  return true;
}

// The one non-constant data input of an op that may carry a border transpose up with it:
// elementwise ops (their constant operands get permuted) and pads. -1 if there is none.
int single_varying_input(const Node& n) {
  const LayoutRule rule = layout_rule(n);
  const bool pad = n.op == "tfl.PAD" || n.op == "tfl.PADV2" || n.op == "tfl.MIRROR_PAD";
  if ((rule.kind != LayoutKind::kElementwise && !pad) || n.outputs.size() != 1) return -1;
  int found = -1;
  for (size_t i : rule.data_inputs) {
    const Value* in = n.input(i);
    if (!in || in->is_const()) continue;
    if (found >= 0) return -1;
    found = static_cast<int>(i);
  }
  return found;
}

// True when t sits below a chain of one-varying-input ops that starts at a graph input
// (or at a border transpose on one): such a transpose belongs at the border.
bool on_border_chain(const ir::Graph& g, const ir::Uses& uses, const Node& t) {
  const Node* cur = uses.producer(t.inputs[0]);
  if (perm_of(t).empty() || !cur || uses.single_user(t.inputs[0]) != &t) return false;
  for (int ci = single_varying_input(*cur);;) {
    if (ci < 0) return false;
    const Value* in = cur->input(ci);
    if (is_graph_input(g, in)) return true;
    const Node* p = uses.producer(in);
    if (!p) return false;
    if (!perm_of(*p).empty() && is_graph_input(g, p->inputs[0])) return true;
    if (uses.single_user(in) != cur) return false;
    ci = single_varying_input(*p);
    cur = p;
  }
}

bool hoist_to_border(ir::Graph& g, const ir::Uses& uses, Node* t) {
  if (!on_border_chain(g, uses, *t)) return false;
  const std::vector<int64_t> perm = perm_of(*t);
  Node* u = uses.producer(t->inputs[0]);
  const int di = single_varying_input(*u);
  // u(x, c) then T(P)  ==  T(P) then u(T(x, P), c') — u now runs in the transposed layout.
  const std::vector<int64_t> inv = ir::inverse_permutation(perm);
  if (layout_rule(*u).kind == LayoutKind::kAxes) {  // a pad: x = T(T(x), inverse(P))
    std::vector<std::vector<int64_t>> out_perms;
    if (!remap_axes(g, *u, inv, &out_perms)) return false;
  } else {
    for (size_t i : layout_rule(*u).data_inputs) {
      if (static_cast<int>(i) == di || !u->input(i)) continue;
      Value* c = permute_constant(g, u->inputs[i], inv);  // transposes the constant by P
      if (!c) return false;
      u->inputs[i] = c;
    }
  }
  Value* x = u->inputs[di];
  Value* tx = g.add_value(x->name + "/hoisted", x->dtype, ir::permute(x->shape, perm));
  add_transpose(g, x, perm, tx, t->name);
  u->inputs[di] = tx;
  Value* u_out = u->outputs[0];
  u_out->shape = t->outputs[0]->shape;
  g.replace_uses(t->outputs[0], u_out);
  g.remove_node(t);
  return true;
}

// `trial`: sink everything as far as it goes, border transposes included, and hoist
// nothing — used on a copy to see whether the border transposes would cancel.
bool one_rewrite(ir::Graph& g, bool trial) {
  ir::Uses uses(g);
  for (Node* n : g.node_list()) {
    if (n->op != "tfl.TRANSPOSE") continue;
    if (compose(g, uses, n)) return true;
    // Two identical transposes of one value (an input read by two convs) become one.
    for (Node* other : uses.users(n->inputs[0])) {
      if (other == n || perm_of(*other).empty() || perm_of(*other) != perm_of(*n)) continue;
      if (uses.is_graph_output(other->outputs[0])) continue;
      g.replace_uses(other->outputs[0], n->outputs[0]);
      g.remove_node(other);
      return true;
    }
  }
  for (Node* t : g.node_list()) {
    const std::vector<int64_t> perm = perm_of(*t);
    if (perm.empty()) continue;
    if (!trial && (is_graph_input(g, t->inputs[0]) || on_border_chain(g, uses, *t))) continue;
    for (Node* u : uses.users(t->outputs[0]))
      if (sink_into(g, uses, u, perm, trial)) return true;
  }
  if (trial) return false;
  for (Node* t : g.node_list())
    if (hoist_to_border(g, uses, t)) return true;
  return false;
}

void sink_all(ir::Graph& g, bool trial = false) {
  // Each rewrite moves a transpose strictly down (or a border one up), so this terminates;
  // the bound is a guard against a rule bug, not a tuning knob.
  const size_t limit = 10 * g.nodes().size() + 100;
  for (size_t i = 0; i < limit; ++i) {
    if (!one_rewrite(g, trial)) break;
    g.toposort();
  }
  g.remove_dead();
}

// Transposes that move data (those moving only size-1 axes become free reshapes later).
int count_transposes(const ir::Graph& g) {
  int c = 0;
  for (const auto& n : g.nodes()) {
    const auto perm = perm_of(*n);
    if (!perm.empty() && !moves_only_unit_axes(n->inputs[0]->shape, perm)) ++c;
  }
  return c;
}

// Transposes read by several ops that could each take it (a value feeding both a MEAN and
// a SUB, as normalisations do). Cloning one per reader pays off only if the clones cancel
// further down, which shows only after sinking.
std::vector<std::string> fan_out_candidates(const ir::Graph& g) {
  ir::Uses uses(g);
  std::vector<std::string> out;
  for (const auto& t : g.nodes()) {
    if (perm_of(*t).empty() || is_graph_input(g, t->inputs[0]) || uses.is_graph_output(t->outputs[0])) continue;
    const auto& readers = uses.users(t->outputs[0]);
    if (readers.size() < 2) continue;
    const bool all_commute = std::all_of(readers.begin(), readers.end(), [](const Node* u) {
      return layout_rule(*u).kind != LayoutKind::kBarrier;
    });
    if (all_commute) out.push_back(t->name);
  }
  return out;
}

void clone_per_reader(ir::Graph& g, Node* t) {
  ir::Uses uses(g);
  const auto readers = uses.users(t->outputs[0]);
  for (size_t i = 1; i < readers.size(); ++i) {
    Value* copy = g.add_value(t->outputs[0]->name + "/copy", t->outputs[0]->dtype, t->outputs[0]->shape);
    add_transpose(g, t->inputs[0], perm_of(*t), copy, t->name);
    for (auto& in : readers[i]->inputs)
      if (in == t->outputs[0]) in = copy;
  }
  g.toposort();
}

// Transposes whose only reader is a RESHAPE they cannot pass but split_for_reshape can
// halve (ShuffleNet's channel shuffle seen through the NHWC layout). Only when something
// below the reshape could take the layout half: otherwise (attention's head merge, whose
// layout half would move the last axis into a FULLY_CONNECTED) the trial could not pay,
// and trials are not free.
std::vector<std::string> split_candidates(const ir::Graph& g) {
  ir::Uses uses(g);
  std::vector<std::string> out;
  std::vector<int64_t> inner, outer;
  for (const auto& t : g.nodes()) {
    const auto perm = perm_of(*t);
    if (perm.empty() || uses.is_graph_output(t->outputs[0])) continue;
    const Node* r = uses.single_user(t->outputs[0]);
    std::vector<int64_t> q;  // the layout half's permutation below the reshape
    if (!r || !split_for_reshape(*r, perm, &inner, &outer) || !reshape_output_perm(*r, outer, &q)) continue;
    const auto& below = uses.users(r->outputs[0]);
    if (std::any_of(below.begin(), below.end(),
                    [&](const Node* u) { return u->op == "tfl.TRANSPOSE" || may_commute(*u, q); }))
      out.push_back(t->name);
  }
  return out;
}

// T(x, P) → R  becomes  T(x, inner) → R' → T(Q): the data-moving half stays above the
// reshape, the layout half goes below it, where it may cancel. (Sunk at once: left as
// T(T(x, inner), outer), compose would merge the halves back.)
void split_above_reshape(ir::Graph& g, Node* t) {
  Value* y = t->outputs[0];
  Node* r = ir::Uses(g).single_user(y);
  std::vector<int64_t> inner, outer;
  split_for_reshape(*r, perm_of(*t), &inner, &outer);
  Value* x = t->inputs[0];
  Value* mid = g.add_value(y->name + "/inner", y->dtype, ir::permute(x->shape, inner));
  t->inputs[1] = g.add_const(t->name + "/inner_perm", ir::Tensor::from_int64s(ir::DType::kInt32,
                             {static_cast<int64_t>(inner.size())}, inner));
  t->outputs[0] = mid;
  add_transpose(g, mid, outer, y, t->name + "/outer");
  g.toposort();
  sink_into(g, ir::Uses(g), r, outer);
  g.toposort();
}

// Rewrites that help only once the transposes they create have sunk and cancelled. Each
// runs on a copy and is kept only when fewer transposes remain, so every accepted one
// removes at least one transpose and the loop is bounded. `try_splits`: also split
// transposes above reshapes (whose trials run the other rewrites, but not further splits).
void improve(ir::Graph& g, bool try_splits) {
  for (bool improved = true; improved;) {
    improved = false;
    const int current = count_transposes(g);
    auto accept_if_better = [&](ir::Graph& trial, bool deep) {
      sink_all(trial);
      if (deep) improve(trial, false);
      if (count_transposes(trial) >= current) return false;
      g = std::move(trial);
      return true;
    };
    for (const std::string& name : fan_out_candidates(g)) {
      ir::Graph trial = g.clone();
      clone_per_reader(trial, trial.find_node(name));
      if ((improved = accept_if_better(trial, false))) break;
    }
    if (improved || current == 0) continue;
    // Border transposes stay put unless moving them down lets them cancel — with
    // --nhwc-io on a model without convolutions the inserted NHWC→NCHW transpose meets
    // the output's NCHW→NHWC one only after crossing the whole graph.
    ir::Graph trial = g.clone();
    sink_all(trial, /*trial=*/true);
    if (count_transposes(trial) < current) {
      g = std::move(trial);
      sink_all(g);
      improved = true;
      continue;
    }
    if (!try_splits) continue;
    for (const std::string& name : split_candidates(g)) {
      ir::Graph split = g.clone();
      split_above_reshape(split, split.find_node(name));
      if ((improved = accept_if_better(split, true))) break;
    }
  }
}

}  // namespace

Status sink_transposes(ir::Graph& g) {
  sink_all(g);
  improve(g, /*try_splits=*/true);
  return Status::ok();
}

}  // namespace pt2tflite::passes
