// Before: y = OP(…) {fused_activation_function: NONE};  z = RELU(y)   (or RELU6, RELU_N1_TO_1)
// After:  z = OP(…) {fused_activation_function: RELU}
// Conditions: OP's kernel applies its fused activation (TFLite's float and integer kernels
// clamp to the RELU family only: a fused TANH is ignored, and CONCATENATION and
// TRANSPOSE_CONV refuse or drop one), y is read only by the activation, no graph output.
#include <map>
#include <set>

#include "passes/passes.h"

namespace pt2tflite::passes {

namespace {

const std::map<std::string, std::string>& activations() {
  static const std::map<std::string, std::string> m = {
      {"tfl.RELU", "RELU"}, {"tfl.RELU6", "RELU6"}, {"tfl.RELU_N1_TO_1", "RELU_N1_TO_1"}};
  return m;
}

bool accepts(const std::string& op, const std::string& act) {
  static const std::set<std::string> with_relus = {"tfl.CONV_2D", "tfl.DEPTHWISE_CONV_2D", "tfl.FULLY_CONNECTED",
                                                   "tfl.ADD",     "tfl.SUB",               "tfl.MUL",
                                                   "tfl.DIV",     "tfl.AVERAGE_POOL_2D",   "tfl.MAX_POOL_2D",
                                                   "tfl.CONV_3D"};
  return act != "TANH" && with_relus.count(op);
}

}  // namespace

Status fuse_activation(ir::Graph& g) {
  ir::Uses uses(g);
  for (ir::Node* act : g.node_list()) {
    auto it = activations().find(act->op);
    if (it == activations().end()) continue;
    ir::Value* y = act->inputs[0];
    ir::Node* p = uses.producer(y);
    if (!p || p->outputs.size() != 1 || uses.single_user(y) != act) continue;
    if (!accepts(p->op, it->second) || p->get_string("fused_activation_function", "NONE") != "NONE") continue;
    // Integer ADD/SUB/MUL fuse too, but only float32 is emitted before quantization.
    if (y->dtype != ir::DType::kFloat32) continue;
    p->attrs["fused_activation_function"] = it->second;
    ir::Value* z = act->outputs[0];
    p->outputs[0] = z;
    g.remove_node(act);
    uses = ir::Uses(g);
  }
  g.remove_dead();
  return Status::ok();
}

}  // namespace pt2tflite::passes
