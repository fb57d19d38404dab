// Before: y = onnx.BatchNormalization(onnx.Conv(x, W, b), scale, B, mean, var)
// After:  y = onnx.Conv(x, W', b')   with s = scale / sqrt(var + eps),
//         W'[o,...] = W[o,...] * s[o],  b' = (b - mean) * s + B.
// Also for ConvTranspose (output channel is weight axis 1, per group) and Gemm (a linear
// layer followed by BatchNorm1d on its features).
// Conditions: the producer's only reader is the BatchNormalization; W, b and all BN
// parameters are constant; BN is in inference mode (one output, training_mode 0: in
// training mode it normalises with the batch's own statistics). This is the seed's
// torch.quantization.fuse_modules step, done for the user.
#include <cmath>

#include "passes/passes.h"

namespace pt2tflite::passes {

namespace {

// For each element of W, which output channel it scales.
std::vector<int64_t> output_channel_of_each_weight(const ir::Node& producer, const ir::Shape& w) {
  const int64_t n = ir::num_elements(w);
  std::vector<int64_t> ch(static_cast<size_t>(n));
  if (producer.op == "onnx.Conv") {  // [O, I/g, k...]
    const int64_t inner = n / w[0];
    for (int64_t i = 0; i < n; ++i) ch[i] = i / inner;
  } else if (producer.op == "onnx.ConvTranspose") {  // [I, O/g, k...]; channel = group*O/g + j
    const int64_t groups = producer.get_int("group", 1);
    const int64_t in_per_group = w[0] / groups;
    const int64_t spatial = n / (w[0] * w[1]);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t ic = i / (w[1] * spatial);
      const int64_t j = (i / spatial) % w[1];
      ch[i] = (ic / in_per_group) * w[1] + j;
    }
  } else {  // Gemm: W is [N, K] with transB, else [K, N]
    const bool trans_b = producer.get_int("transB", 0) != 0;
    for (int64_t i = 0; i < n; ++i) ch[i] = trans_b ? i / w[1] : i % w[1];
  }
  return ch;
}

bool foldable(const ir::Node& bn, const ir::Node& producer) {
  if (producer.op != "onnx.Conv" && producer.op != "onnx.ConvTranspose" && producer.op != "onnx.Gemm") return false;
  if (bn.outputs.size() != 1 || bn.inputs.size() < 5 || bn.get_int("training_mode", 0) != 0) return false;
  if (bn.opset > 0 && bn.opset < 7) return false;  // BatchNormalization-1/6 (is_test, spatial): refused when lowering
  for (size_t i = 1; i < 5; ++i)
    if (!bn.inputs[i] || !bn.inputs[i]->is_const()) return false;
  if (!producer.input(1) || !producer.input(1)->is_const()) return false;
  if (producer.input(2) && !producer.input(2)->is_const()) return false;
  if (producer.op == "onnx.Gemm") {
    // Gemm's bias may broadcast along rows; only the per-feature form folds cleanly.
    if (producer.get_int("transA", 0) != 0 || producer.outputs[0]->shape.size() != 2) return false;
    if (producer.input(2) && producer.input(2)->data->size() != producer.outputs[0]->shape[1]) return false;
  }
  return true;
}

}  // namespace

Status fold_batch_norm(ir::Graph& g) {
  ir::Uses uses(g);
  for (ir::Node* bn : g.node_list()) {
    if (bn->op != "onnx.BatchNormalization") continue;
    ir::Node* producer = uses.producer(bn->inputs[0]);
    if (!producer || uses.single_user(bn->inputs[0]) != bn || !foldable(*bn, *producer)) continue;

    const auto scale = bn->inputs[1]->data->to_doubles();
    const auto shift = bn->inputs[2]->data->to_doubles();
    const auto mean = bn->inputs[3]->data->to_doubles();
    const auto var = bn->inputs[4]->data->to_doubles();
    const double eps = bn->get_float("epsilon", 1e-5);
    const size_t channels = scale.size();
    std::vector<double> s(channels);
    for (size_t c = 0; c < channels; ++c) s[c] = scale[c] / std::sqrt(var[c] + eps);

    const ir::Tensor& w = *producer->inputs[1]->data;
    auto wv = w.to_doubles();
    auto ch = output_channel_of_each_weight(*producer, w.shape);
    for (size_t i = 0; i < wv.size(); ++i) {
      if (ch[i] >= static_cast<int64_t>(channels)) return invalid_model(bn->describe() + ": has fewer channels than the weights of " + producer->describe());
      wv[i] *= s[ch[i]];
    }
    std::vector<double> bias(channels, 0.0);
    if (producer->input(2)) bias = producer->inputs[2]->data->to_doubles();
    if (bias.size() != channels) continue;
    if (producer->op == "onnx.Gemm")
      for (double& x : bias) x *= producer->get_float("beta", 1.0);
    for (size_t c = 0; c < channels; ++c) bias[c] = (bias[c] - mean[c]) * s[c] + shift[c];

    producer->inputs[1] = g.add_const(producer->inputs[1]->name + "_bn", ir::Tensor::from_doubles(w.dtype, w.shape, wv));
    ir::Value* b = g.add_const(producer->name + "_bias_bn",
                               ir::Tensor::from_doubles(w.dtype, {static_cast<int64_t>(channels)}, bias));
    if (producer->inputs.size() < 3) producer->inputs.resize(3, nullptr);
    producer->inputs[2] = b;
    if (producer->op == "onnx.Gemm") producer->attrs["beta"] = 1.0;
    g.replace_uses(bn->outputs[0], bn->inputs[0]);
    g.remove_node(bn);
  }
  return Status::ok();
}

}  // namespace pt2tflite::passes
