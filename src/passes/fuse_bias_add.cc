// Before: y = OP(x, w, bias);  z = ADD(y, c)   (or ADD(c, y), or SUB(y, c))
// After:  z = OP(x, w, bias + c)                 (bias - c for SUB)
// OP: FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, CONV_3D(_TRANSPOSE) — ops whose bias is added
// per output channel, the last axis. A Linear on a 3-D input is exported as MatMul + Add, so
// every transformer layer has several of these.
// Conditions: c is a float32 constant that varies at most along the last axis (one value, or
// [.., 1, C] with C the output channels), so broadcasting leaves y's shape unchanged; the
// bias is a constant; y is read only by the ADD/SUB, is no graph output, and OP has no fused
// activation yet.
#include <map>

#include "passes/passes.h"

namespace pt2tflite::passes {

namespace {

// Index of the bias input per op.
const std::map<std::string, size_t>& bias_input() {
  static const std::map<std::string, size_t> m = {
      {"tfl.FULLY_CONNECTED", 2}, {"tfl.CONV_2D", 2}, {"tfl.DEPTHWISE_CONV_2D", 2}, {"tfl.TRANSPOSE_CONV", 3},
      {"tfl.CONV_3D", 2},         {"tfl.CONV_3D_TRANSPOSE", 3}};
  return m;
}

// c's values along y's last axis (one value repeated), or empty if c is not such a constant.
std::vector<double> per_channel(const ir::Value* c, const ir::Shape& y) {
  if (!c || !c->is_const() || c->dtype != ir::DType::kFloat32 || y.empty() || c->shape.size() > y.size()) return {};
  const int64_t channels = y.back();
  for (size_t i = 0; i + 1 < c->shape.size(); ++i)
    if (c->shape[i] != 1) return {};
  const std::vector<double> v = c->data->to_doubles();
  if (v.size() == 1) return std::vector<double>(static_cast<size_t>(channels), v[0]);
  if (static_cast<int64_t>(v.size()) != channels) return {};
  return v;
}

}  // namespace

Status fuse_bias_add(ir::Graph& g) {
  ir::Uses uses(g);
  for (ir::Node* add : g.node_list()) {
    if (add->op != "tfl.ADD" && add->op != "tfl.SUB") continue;
    if (add->inputs.size() != 2 || add->get_string("fused_activation_function", "NONE") != "NONE") continue;
    for (size_t side = 0; side < 2; ++side) {
      if (add->op == "tfl.SUB" && side == 1) break;  // c - y is not a bias
      ir::Value* y = add->inputs[side];
      ir::Value* c = add->inputs[1 - side];
      ir::Node* p = uses.producer(y);
      if (!p || p->outputs.size() != 1 || uses.single_user(y) != add || y->dtype != ir::DType::kFloat32) continue;
      auto bi = bias_input().find(p->op);
      if (bi == bias_input().end() || p->get_string("fused_activation_function", "NONE") != "NONE") continue;
      const ir::Value* bias = p->input(bi->second);
      if (!bias || !bias->is_const() || add->outputs[0]->shape != y->shape || ir::has_dynamic_shape(*add)) continue;
      std::vector<double> extra = per_channel(c, y->shape);
      if (extra.empty() || static_cast<int64_t>(extra.size()) != bias->data->size()) continue;
      std::vector<double> b = bias->data->to_doubles();
      const double sign = add->op == "tfl.SUB" ? -1.0 : 1.0;
      for (size_t i = 0; i < b.size(); ++i) b[i] += sign * extra[i];
      // A new constant: the old bias may be shared with another op.
      p->inputs[bi->second] = g.add_const(p->name + "/bias_fused", ir::Tensor::from_doubles(bias->dtype, bias->shape, b));
      p->outputs[0] = add->outputs[0];
      g.remove_node(add);
      uses = ir::Uses(g);
      break;
    }
  }
  g.remove_dead();
  return Status::ok();
}

}  // namespace pt2tflite::passes
