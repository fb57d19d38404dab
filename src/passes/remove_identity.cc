// Before: y = onnx.Identity(x)   or   y[, mask] = onnx.Dropout(x, ...)
// After:  users of y read x.
// Conditions: Dropout is an identity at inference (training_mode absent or a constant false)
// and in training with a constant ratio of 0; its mask output must be unused. A Dropout that
// may drop at random (lower/dropout.cc) stays.
#include <algorithm>

#include "passes/passes.h"

namespace pt2tflite::passes {

namespace {

bool dropout_is_identity(const ir::Node& n) {
  if (n.opset > 0 && n.opset < 7) return false;  // Dropout-1/6: is_test = 0 (the default) drops at random
  const ir::Value* training = n.input(2);
  if (!training) return true;
  if (!training->is_const() || training->data->size() != 1) return false;
  if (training->data->to_int64s()[0] == 0) return true;
  const ir::Value* ratio = n.input(1);
  return ratio && ratio->is_const() && ratio->data->size() == 1 && ratio->data->to_doubles()[0] == 0;
}

}  // namespace

Status remove_identity(ir::Graph& g) {
  ir::Uses uses(g);
  for (ir::Node* n : g.node_list()) {
    if (n->op != "onnx.Identity" && n->op != "onnx.Dropout") continue;
    if (!n->input(0)) continue;
    if (n->op == "onnx.Dropout" && !dropout_is_identity(*n)) continue;
    if (n->outputs.size() > 1 && (!uses.users(n->outputs[1]).empty() || uses.is_graph_output(n->outputs[1]))) continue;
    ir::Value* in = n->inputs[0];
    ir::Value* out = n->outputs[0];
    // A graph output that is also a graph input or a constant must keep its own node.
    if (uses.is_graph_output(out) && (in->is_const() || std::count(g.inputs.begin(), g.inputs.end(), in) ||
                                      uses.is_graph_output(in)))
      continue;
    g.replace_uses(out, in);
    g.remove_node(n);
  }
  return Status::ok();
}

}  // namespace pt2tflite::passes
