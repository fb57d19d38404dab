#include "quant/quantize_weights_only.h"

#include <functional>
#include <unordered_map>

#include "ir/half.h"
#include "quant/op_rules.h"
#include "quant/params.h"

namespace pt2tflite::quant {

using ir::DType;
using ir::Graph;
using ir::Node;
using ir::Value;

namespace {

// Hybrid kernels: float activations × int8 weights in these input slots.
bool is_hybrid_weight(const Node& n, size_t input) {
  return input == 1 && (n.op == "tfl.CONV_2D" || n.op == "tfl.DEPTHWISE_CONV_2D" || n.op == "tfl.FULLY_CONNECTED");
}

// Replaces each read of a large float constant by a DEQUANTIZE of a smaller stored copy made
// by `store` (one copy and one DEQUANTIZE per constant, shared by its readers), unless
// `direct` says the reader takes the stored form as it is.
Status store_constants(Graph& g, int64_t min_elements, const std::function<void(Value& stored, const Value* original)>& store,
                       const std::function<bool(const Node&, size_t)>& direct) {
  std::unordered_map<Value*, Value*> stored, dequantized;
  for (Node* n : g.node_list()) {
    for (size_t i = 0; i < n->inputs.size(); ++i) {
      Value* v = n->inputs[i];
      if (!v || !v->is_const() || v->dtype != DType::kFloat32 || v->data->size() < min_elements) continue;
      Value*& s = stored[v];
      if (!s) {
        s = g.add_value(v->name + "/stored", v->dtype, v->shape);
        s->data = v->data;
        store(*s, v);
      }
      if (direct && direct(*n, i)) {
        n->inputs[i] = s;
        continue;
      }
      Value*& d = dequantized[v];
      if (!d) {
        d = g.add_value(v->name + "/dequantized", DType::kFloat32, v->shape);
        g.add_node("tfl.DEQUANTIZE", v->name + "/dequantize", {s}, {d});
      }
      n->inputs[i] = d;
    }
  }
  g.toposort();
  g.remove_dead();
  return Status::ok();
}

}  // namespace

Status quantize_float16(Graph& g) {
  return store_constants(
      g, kMinFloat16Elements,
      [](Value& v, const Value*) {
        const std::vector<float> x = v.data->to_floats();
        ir::Tensor t{DType::kFloat16, v.shape, {}};
        t.bytes.resize(x.size() * 2);
        auto* h = t.data<uint16_t>();
        for (size_t i = 0; i < x.size(); ++i) h[i] = ir::float_to_half(x[i]);
        v.data = std::make_shared<const ir::Tensor>(std::move(t));
        v.dtype = DType::kFloat16;
      },
      nullptr);
}

Status quantize_dynamic(Graph& g, bool per_tensor) {
  // Per-channel axis of a weight read by `n` in slot `i`, or -1 (per tensor).
  std::unordered_map<const Value*, int> axis;
  for (const auto& n : g.nodes()) {
    const OpQuantRule* r = find_rule(n->op);
    if (!r || r->weight < 0 || !n->input(static_cast<size_t>(r->weight))) continue;
    // FULLY_CONNECTED's hybrid kernel takes per-channel weights too; conv weights as in int8.
    const int a = n->op == "tfl.FULLY_CONNECTED" ? 0 : r->weight_axis;
    axis[n->input(static_cast<size_t>(r->weight))] = per_tensor ? -1 : a;
  }
  // The fused LSTM's eight gate weight matrices [cells, inputs]: one scale per row, like FC.
  // They are DEQUANTIZEd before the op (its float kernel), not read by its hybrid kernel.
  for (const auto& n : g.nodes())
    if (n->op == "tfl.UNIDIRECTIONAL_SEQUENCE_LSTM")
      for (size_t i = 1; i <= 8; ++i)
        if (n->input(i)) axis[n->input(i)] = per_tensor ? -1 : 0;
  return store_constants(
      g, kMinDynamicElements,
      [&](Value& v, const Value* original) {
        auto it = axis.find(original);
        const int a = it == axis.end() ? -1 : it->second;
        QuantizedWeights w = quantize_weights(*v.data, a);
        v.data = std::make_shared<const ir::Tensor>(std::move(w.data));
        v.dtype = DType::kInt8;
        v.quant = ir::Quantization{w.scales, std::vector<int64_t>(w.scales.size(), 0), std::max(a, 0)};
      },
      is_hybrid_weight);
}

}  // namespace pt2tflite::quant
