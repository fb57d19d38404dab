// The one place that lists the op families. Explicit calls, not static registration
// objects: a static library drops objects nobody references.
#include "lower/registry.h"

namespace pt2tflite::lower {

const OpRule* Registry::find(const std::string& op) const {
  static const std::string kPrefix = "onnx.";
  if (op.compare(0, kPrefix.size(), kPrefix) != 0) return nullptr;
  auto it = rules_.find(op.substr(kPrefix.size()));
  return it == rules_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::op_types() const {
  std::vector<std::string> out;
  for (const auto& [name, rule] : rules_)
    if (rule.lower || rule.fold || rule.expand) out.push_back(name);
  return out;
}

std::vector<std::string> Registry::fold_only_op_types() const {
  std::vector<std::string> out;
  for (const auto& [name, rule] : rules_)
    if ((!rule.lower && rule.fold) || rule.needs_constant_inputs) out.push_back(name);
  return out;
}

std::vector<std::string> Registry::dynamic_shape_op_types() const {
  std::vector<std::string> out;
  for (const auto& [name, rule] : rules_)
    if (rule.dynamic_shapes && rule.lower) out.push_back(name);
  return out;
}

const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    register_conv(reg);
    register_pool(reg);
    register_elementwise(reg);
    register_activation(reg);
    register_shape_ops(reg);
    register_slice_gather(reg);
    register_pad(reg);
    register_shape_arith(reg);
    register_matmul(reg);
    register_reduce(reg);
    register_softmax(reg);
    register_resize(reg);
    register_normalization(reg);
    register_logic(reg);
    register_math(reg);
    register_unary_math(reg);
    register_depth_space(reg);
    register_norm_ops(reg);
    register_bitwise(reg);
    register_recurrent(reg);
    register_select(reg);
    register_gather_scatter(reg);
    register_positional(reg);
    register_einsum(reg);
    register_signal(reg);
    register_attention(reg);
    register_rotary_embedding(reg);
    register_kv_cache(reg);
    register_swiglu(reg);
    register_causal_conv(reg);
    register_linear_attention(reg);
    register_losses(reg);
    register_cumprod(reg);
    register_bitcast(reg);
    register_compress_unique(reg);
    register_random(reg);
    register_grid_sample(reg);
    register_lp_pool(reg);
    register_crop_reverse(reg);
    register_col2im(reg);
    register_det(reg);
    register_max_unpool(reg);
    register_roi_pool(reg);
    register_deform_conv(reg);
    register_quantize_linear(reg);
    register_integer_matmul_conv(reg);
    register_control_flow(reg);
    register_sequence(reg);
    return reg;
  }();
  return r;
}

}  // namespace pt2tflite::lower
