// Before: z = RESHAPE(RESHAPE(x, s1), s2)        After: z = RESHAPE(x, s2)
// Before: y = RESHAPE(x, shape(x))               After: users of y read x
// Before: z = RESHAPE(U(RESHAPE(w, s1)), s2), U elementwise unary, U's result read only here
// After:  z = U(RESHAPE(w, s2)) — reshape pairs around activations meet and merge. (Only
// then: a lone reshape stays below U, where U can still fuse into its producer.)
// Conditions: an identity reshape stays when removing it would make a graph output alias
// a graph input or another output.
#include <algorithm>
#include <set>

#include "passes/layout_rules.h"
#include "passes/passes.h"

namespace pt2tflite::passes {

namespace {

bool is_graph_input(const ir::Graph& g, const ir::Value* v) {
  return std::find(g.inputs.begin(), g.inputs.end(), v) != g.inputs.end();
}

bool one_rewrite(ir::Graph& g) {
  ir::Uses uses(g);
  for (ir::Node* n : g.node_list()) {
    if (n->op != "tfl.RESHAPE") continue;
    ir::Value* x = n->inputs[0];
    ir::Value* y = n->outputs[0];
    ir::Node* p = uses.producer(x);
    if (p && p->op == "tfl.RESHAPE") {  // chain: read the first reshape's input
      n->inputs[0] = p->inputs[0];
      return true;
    }
    if (x->shape == y->shape && ir::is_static(y->shape)) {
      const bool aliasing = uses.is_graph_output(y) && (is_graph_input(g, x) || uses.is_graph_output(x) || x->is_const());
      if (!aliasing) {
        g.replace_uses(y, x);
        g.remove_node(n);
        return true;
      }
    }
    // Sink the reshape above an elementwise unary producer read only by it.
    ir::Node* pp = p && p->inputs.size() == 1 ? uses.producer(p->inputs[0]) : nullptr;
    if (p && pp && pp->op == "tfl.RESHAPE" && layout_rule(*p).kind == LayoutKind::kElementwise &&
        uses.single_user(x) == n && uses.single_user(p->inputs[0]) == p) {
      ir::Value* px = p->inputs[0];
      ir::Value* r = g.add_value(px->name + "/reshaped", px->dtype, y->shape);
      n->inputs[0] = px;
      n->outputs[0] = r;
      p->inputs[0] = r;
      p->outputs[0] = y;
      x->shape = y->shape;  // x is now unused; keep it consistent until dead-code removal
      return true;
    }
  }
  return false;
}

}  // namespace

Status merge_reshapes(ir::Graph& g) {
  const size_t limit = 10 * g.nodes().size() + 100;
  for (size_t i = 0; i < limit && one_rewrite(g); ++i) g.toposort();
  g.remove_dead();
  return Status::ok();
}

}  // namespace pt2tflite::passes
