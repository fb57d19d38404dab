#include "quant/auto_fallback.h"

#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

#include "exec/interpreter.h"
#include "quant/op_rules.h"

namespace pt2tflite::quant {

namespace {

using ir::DType;
using ir::Graph;
using ir::Tensor;
using ir::Value;

struct Noise {
  double signal = 0;
  double error = 0;
  double db() const { return error > 0 ? 10 * std::log10(signal / error) : std::numeric_limits<double>::infinity(); }
};

void accumulate(Noise& n, const Tensor& ref, const Tensor& got) {
  const float* r = ref.data<float>();
  const float* g = got.data<float>();
  for (int64_t i = 0, e = ref.size(); i < e; ++i) {
    if (!counts_for_range(r[i])) continue;
    n.signal += static_cast<double>(r[i]) * r[i];
    n.error += (static_cast<double>(r[i]) - g[i]) * (static_cast<double>(r[i]) - g[i]);
  }
}

void round_trip(Tensor& t, QParams p, DType act) {
  float* x = t.data<float>();
  const double lo = static_cast<double>(qmin(act)), hi = static_cast<double>(qmax(act));
  for (int64_t i = 0, n = t.size(); i < n; ++i) {
    const double q = std::clamp(std::round(static_cast<double>(x[i]) / p.scale) + static_cast<double>(p.zero_point), lo, hi);
    x[i] = static_cast<float>((q - static_cast<double>(p.zero_point)) * p.scale);
  }
}

// Constants of the planned graph replaced by their integer values seen as float.
void round_constants(Graph& g, const Plan& plan, DType act) {
  for (const auto& vp : g.values()) {
    Value* v = vp.get();
    if (!v->is_const() || v->dtype != DType::kFloat32) continue;
    Tensor t;
    if (auto w = plan.weights.find(v); w != plan.weights.end()) {
      QuantizedWeights q = quantize_weights(*v->data, w->second.axis);
      t = Tensor::from_floats(v->shape, q.data.to_floats());
      const int64_t channels = static_cast<int64_t>(q.scales.size());
      int64_t inner = 1;
      for (size_t d = static_cast<size_t>(std::max(w->second.axis, 0)) + 1; d < v->shape.size(); ++d) inner *= v->shape[d];
      float* x = t.data<float>();
      for (int64_t i = 0; i < t.size(); ++i) x[i] *= q.scales[channels == 1 ? 0 : (i / inner) % channels];
    } else if (auto b = plan.bias.find(v); b != plan.bias.end()) {
      const DType bias_type = act == DType::kInt16 ? DType::kInt64 : DType::kInt32;
      QuantizedBias q = quantize_bias(*v->data, 1.0f, b->second, bias_type);
      std::vector<float> x = q.data.to_floats();
      for (size_t i = 0; i < x.size(); ++i) x[i] *= q.scales[q.scales.size() == 1 ? 0 : i % q.scales.size()];
      t = Tensor::from_floats(v->shape, x);
    } else if (auto a = plan.activation.find(v); a != plan.activation.end()) {
      t = *v->data;
      round_trip(t, a->second, act);
    } else {
      continue;
    }
    v->data = std::make_shared<const Tensor>(std::move(t));
  }
}

struct Measured {
  double output_db = 0;
  std::map<std::string, double> local_loss;  // integer node name → noise-to-signal ratio it adds
};

// Float reference tensors of one sample, by value name.
using Reference = std::unordered_map<std::string, Tensor>;

Result<std::vector<Reference>> reference_runs(const Graph& g, const std::vector<Sample>& samples) {
  PT_ASSIGN_OR_RETURN(exec::Interpreter interp, exec::Interpreter::create(g));
  std::vector<Reference> out;
  for (const Sample& s : samples) {
    Reference ref;
    PT_RETURN_IF_ERROR(interp.run(s, [&](const Value& v, Tensor& t) {
      if (v.dtype == DType::kFloat32) ref[v.name] = t;
    }));
    out.push_back(std::move(ref));
  }
  return out;
}

Result<Measured> measure(const Graph& float_graph, const RangeMap& ranges, const IntegerOptions& options,
                         const std::vector<Sample>& samples, const std::vector<Reference>& refs) {
  IntegerOptions o = options;  // the borders do not change what the integer part computes
  o.input_type = o.output_type = DType::kFloat32;
  Graph g = float_graph.clone();
  PT_ASSIGN_OR_RETURN(Plan plan, plan_integer(g, ranges, o));
  round_constants(g, plan, o.activations);
  PT_ASSIGN_OR_RETURN(exec::Interpreter interp, exec::Interpreter::create(g));

  // A QUANTIZE/DEQUANTIZE the plan inserted computes its input again: compare it with the
  // reference of that input (else a layer after a float one would look error-free).
  std::unordered_map<std::string, std::string> alias;
  for (const auto& n : g.nodes())
    if ((n->op == "tfl.QUANTIZE" || n->op == "tfl.DEQUANTIZE") && !refs.empty() && !refs[0].count(n->outputs[0]->name)) {
      auto a = alias.find(n->inputs[0]->name);
      alias[n->outputs[0]->name] = a == alias.end() ? n->inputs[0]->name : a->second;
    }
  auto ref_name = [&](const std::string& name) -> const std::string& {
    auto a = alias.find(name);
    return a == alias.end() ? name : a->second;
  };
  std::unordered_map<std::string, Noise> per_value;
  std::vector<Noise> outputs(g.outputs.size());
  for (size_t k = 0; k < samples.size(); ++k) {
    PT_RETURN_IF_ERROR(interp.run(samples[k], [&](const Value& v, Tensor& t) {
      auto p = plan.activation.find(&v);
      if (p != plan.activation.end() && v.dtype == DType::kFloat32) round_trip(t, p->second, o.activations);
      auto r = refs[k].find(ref_name(v.name));
      if (r != refs[k].end() && r->second.shape == t.shape && t.dtype == DType::kFloat32)
        accumulate(per_value[v.name], r->second, t);
    }));
    for (size_t i = 0; i < g.outputs.size(); ++i) {
      auto r = refs[k].find(ref_name(float_graph.outputs[i]->name));
      if (r != refs[k].end()) accumulate(outputs[i], r->second, interp.value(g.outputs[i]));
    }
  }
  Measured m;
  m.output_db = std::numeric_limits<double>::infinity();
  for (const Noise& n : outputs) m.output_db = std::min(m.output_db, n.db());
  for (const auto& n : g.nodes()) {
    if (plan.float_nodes.count(n->name) || !find_rule(n->op)) continue;
    double in_db = std::numeric_limits<double>::infinity(), out_db = std::numeric_limits<double>::infinity();
    for (const Value* v : n->inputs)
      if (v && !v->is_const() && per_value.count(v->name)) in_db = std::min(in_db, per_value[v->name].db());
    for (const Value* v : n->outputs)
      if (v && per_value.count(v->name)) out_db = std::min(out_db, per_value[v->name].db());
    // Noise-to-signal ratios add up along a chain of layers, decibels do not: a layer taking
    // 50 dB to 45 dB adds less noise than one taking 30 dB to 29 dB.
    auto nsr = [](double db) { return std::isfinite(db) ? std::pow(10.0, -db / 10) : 0.0; };
    if (std::isfinite(out_db)) m.local_loss[n->name] = nsr(out_db) - nsr(in_db);
  }
  return m;
}

}  // namespace

Result<double> simulated_sqnr(const Graph& float_graph, const RangeMap& ranges, const IntegerOptions& options,
                              const std::vector<Sample>& samples) {
  PT_ASSIGN_OR_RETURN(std::vector<Reference> refs, reference_runs(float_graph, samples));
  PT_ASSIGN_OR_RETURN(Measured m, measure(float_graph, ranges, options, samples, refs));
  return m.output_db;
}

Result<FallbackChoice> choose_float_layers(const Graph& float_graph, const RangeMap& ranges,
                                           const IntegerOptions& options, const std::vector<Sample>& samples,
                                           double target_db, std::ostream* log) {
  PT_ASSIGN_OR_RETURN(std::vector<Reference> refs, reference_runs(float_graph, samples));
  FallbackChoice choice;
  choice.keep_float = options.keep_float;
  IntegerOptions o = options;
  for (size_t round = 0; round <= float_graph.nodes().size(); ++round) {
    o.keep_float = choice.keep_float;
    PT_ASSIGN_OR_RETURN(Measured m, measure(float_graph, ranges, o, samples, refs));
    choice.output_db = m.output_db;
    if (log) *log << "auto-fallback: " << (choice.keep_float.size() - options.keep_float.size())
                  << " layer(s) float, simulated output SQNR " << m.output_db << " dB (target " << target_db << ")\n";
    if (m.output_db >= target_db) {
      choice.reached = true;
      return choice;
    }
    const std::string* worst = nullptr;
    double loss = -std::numeric_limits<double>::infinity();
    for (const auto& [name, l] : m.local_loss)
      if (l > loss) {
        loss = l;
        worst = &name;
      }
    if (!worst) return choice;  // everything that can stay float already does
    if (log) *log << "auto-fallback: keeping '" << *worst << "' float (it adds noise/signal " << loss << ")\n";
    choice.keep_float.push_back(*worst);
  }
  return choice;
}

}  // namespace pt2tflite::quant
