#include "quant/quantize_integer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_set>

#include "quant/op_rules.h"

namespace pt2tflite::quant {

using ir::DType;
using ir::Graph;
using ir::Node;
using ir::Value;

bool matches_keep_float(const Node& node, const std::vector<std::string>& keep_float) {
  for (const std::string& k : keep_float) {
    if (node.name == k || node.op == k || node.op == "tfl." + k) return true;
    // Lowering one ONNX node into several tfl nodes names them k, k_1, k_2, ...
    if (node.name.size() > k.size() + 1 && node.name.compare(0, k.size(), k) == 0 && node.name[k.size()] == '_' &&
        std::all_of(node.name.begin() + static_cast<long>(k.size()) + 1, node.name.end(),
                    [](char c) { return c >= '0' && c <= '9'; }))
      return true;
  }
  return false;
}

namespace {

bool is_float_tensor(const Value* v) { return v && v->dtype == DType::kFloat32; }

bool touches_float(const Node& n) {
  return std::any_of(n.inputs.begin(), n.inputs.end(), is_float_tensor) ||
         std::any_of(n.outputs.begin(), n.outputs.end(), is_float_tensor);
}

Range data_range(const ir::Tensor& t) {
  Range r{0, 0};
  for (float x : t.to_floats())
    if (counts_for_range(x))
      r = Range{std::min(r.min, x), std::max(r.max, x), r.infinite};
    else if (x == x)
      r.infinite = true;
  return r;
}

const char* mode_name(DType act) { return act == DType::kInt16 ? "int16x8" : "int8"; }

// Tensors that must share quantization parameters, with the union of their ranges and,
// for the outputs of logistic/softmax/tanh, the parameters the spec fixes.
class Groups {
 public:
  struct Group {
    Range range;
    std::optional<QParams> pin;
  };

  void add(const Value* v, Range r) {
    if (parent_.count(v)) return;
    parent_[v] = v;
    groups_[v] = Group{r, std::nullopt};
  }
  bool has(const Value* v) const { return parent_.count(v) != 0; }
  const Value* root(const Value* v) {
    const Value* p = parent_.at(v);
    if (p == v) return v;
    const Value* r = root(p);
    parent_[v] = r;
    return r;
  }
  Group& group(const Value* v) { return groups_.at(root(v)); }
  void pin(const Value* v, QParams p) { group(v).pin = p; }
  bool pinned(const Value* v) { return group(v).pin.has_value(); }

  // Merges the groups of a and b; refuses (false) when that would clip a range to fixed params.
  bool join(const Value* a, const Value* b, DType act) {
    const Value* ra = root(a);
    const Value* rb = root(b);
    if (ra == rb) return true;
    Group& ga = groups_.at(ra);
    Group& gb = groups_.at(rb);
    if (ga.pin && gb.pin) {
      if (ga.pin->scale != gb.pin->scale || ga.pin->zero_point != gb.pin->zero_point) return false;
    } else if (ga.pin || gb.pin) {
      const QParams p = ga.pin ? *ga.pin : *gb.pin;
      const Range free = ga.pin ? gb.range : ga.range;
      // One step of slack: a sigmoid's calibrated 0.999 is its fixed params' 255/256.
      const double lo = (static_cast<double>(qmin(act)) - static_cast<double>(p.zero_point) - 1) * p.scale;
      const double hi = (static_cast<double>(qmax(act)) - static_cast<double>(p.zero_point) + 1) * p.scale;
      if (free.min < lo || free.max > hi) return false;
    }
    Group merged{Range{std::min(ga.range.min, gb.range.min), std::max(ga.range.max, gb.range.max)},
                 ga.pin ? ga.pin : gb.pin};
    parent_[rb] = ra;
    groups_[ra] = merged;
    groups_.erase(rb);
    return true;
  }

  std::vector<const Value*> members() const {
    std::vector<const Value*> out;
    for (const auto& [v, p] : parent_) out.push_back(v);
    return out;
  }

 private:
  std::unordered_map<const Value*, const Value*> parent_;
  std::unordered_map<const Value*, Group> groups_;
};

class Planner {
 public:
  Planner(Graph& g, const RangeMap& ranges, const IntegerOptions& o) : g_(g), o_(o) {
    for (const auto& v : g.values()) {
      auto it = ranges.find(v->name);
      if (it != ranges.end()) range_[v.get()] = it->second;
    }
  }

  Result<Plan> run() {
    PT_RETURN_IF_ERROR(choose_integer_nodes());
    PT_RETURN_IF_ERROR(check_io_types());
    mark_integer_values();
    insert_converters();
    insert_io_converters();
    copy_shared_constants();
    g_.toposort();
    PT_RETURN_IF_ERROR(group_tensors());
    g_.toposort();
    PT_RETURN_IF_ERROR(choose_params());
    return std::move(plan_);
  }

 private:
  // A softmax over scores that held ±inf (an attention mask) and the op that wrote them: in
  // integers the −inf would clamp to the grid's low end and masked positions would get weight.
  std::set<const Node*> masked_softmax_nodes() {
    std::map<const Value*, const Node*> producer;
    for (const auto& n : g_.nodes())
      for (const Value* v : n->outputs) producer[v] = n.get();
    std::set<const Node*> out;
    for (const auto& n : g_.nodes()) {
      if ((n->op != "tfl.SOFTMAX" && n->op != "tfl.LOG_SOFTMAX") || n->inputs.empty()) continue;
      const Value* x = n->inputs[0];
      const bool infinite = x->is_const() ? data_range(*x->data).infinite : range_.count(x) && range_.at(x).infinite;
      if (!infinite) continue;
      out.insert(n.get());
      if (producer.count(x)) out.insert(producer.at(x));
    }
    return out;
  }

  // Positions and decisions: float values cast to integers (gather positions of GridSample,
  // RoiAlign, DeformConv, Resize …) or compared (in-bounds masks, a decision tree's
  // feature ≤ threshold), and the elementwise / data-movement ops computing them. On the
  // int8 grid a position moves by a step of its range/255, FLOOR turns that into another
  // pixel, and a value and a threshold quantized with different scales compare wrongly near
  // each other (one flipped branch changes a tree's whole output), so they stay float; the
  // values they start from (a conv's offsets, a grid input, the features) are quantized as
  // usual. Arithmetic on those
  // positions alone (the bilinear weights: fractions, 1 − fraction, in-bounds factors) stays
  // float too: its inputs would otherwise be quantized on the positions' coarse grid.
  std::set<const Node*> index_arithmetic_nodes() {
    static const std::set<std::string> arithmetic = {
        "tfl.ADD", "tfl.SUB", "tfl.MUL", "tfl.DIV", "tfl.FLOOR", "tfl.CEIL", "tfl.ROUND", "tfl.MAXIMUM",
        "tfl.MINIMUM", "tfl.NEG", "tfl.ABS", "tfl.FLOOR_DIV", "tfl.FLOOR_MOD", "tfl.SELECT_V2", "tfl.RESHAPE",
        "tfl.TRANSPOSE", "tfl.CONCATENATION", "tfl.SLICE", "tfl.STRIDED_SLICE", "tfl.SPLIT", "tfl.SPLIT_V",
        "tfl.GATHER", "tfl.PACK", "tfl.UNPACK", "tfl.BROADCAST_TO", "tfl.TILE", "tfl.EXPAND_DIMS", "tfl.SQUEEZE"};
    std::map<const Value*, const Node*> producer;
    for (const auto& n : g_.nodes())
      for (const Value* v : n->outputs) producer[v] = n.get();
    std::set<const Node*> out;
    std::vector<const Value*> todo;
    for (const auto& n : g_.nodes()) {
      if (n->op == "tfl.CAST" && is_float_tensor(n->inputs[0]) && !ir::is_float(n->outputs[0]->dtype))
        todo.push_back(n->inputs[0]);
      static const std::set<std::string> comparisons = {"tfl.EQUAL", "tfl.NOT_EQUAL", "tfl.LESS",
                                                         "tfl.LESS_EQUAL", "tfl.GREATER", "tfl.GREATER_EQUAL"};
      if (comparisons.count(n->op) && touches_float(*n)) {
        out.insert(n.get());
        for (const Value* in : n->inputs)
          if (is_float_tensor(in) && !in->is_const()) todo.push_back(in);
      }
    }
    while (!todo.empty()) {
      const Value* v = todo.back();
      todo.pop_back();
      auto it = producer.find(v);
      if (it == producer.end() || !arithmetic.count(it->second->op) || !out.insert(it->second).second) continue;
      for (const Value* in : it->second->inputs)
        if (is_float_tensor(in) && !in->is_const()) todo.push_back(in);
    }
    std::set<const Value*> exact;  // float values computed from positions or integers alone
    for (const Node* n : out)
      for (const Value* v : n->outputs) exact.insert(v);
    for (const auto& n : g_.nodes()) {  // topological order: one pass reaches every consumer
      if (n->op == "tfl.CAST" && !ir::is_float(n->inputs[0]->dtype)) exact.insert(n->outputs[0]);
      if (out.count(n.get()) || !arithmetic.count(n->op) || !touches_float(*n)) continue;
      const bool from_positions = std::all_of(n->inputs.begin(), n->inputs.end(), [&](const Value* in) {
        return !is_float_tensor(in) || in->is_const() || exact.count(in);
      });
      if (!from_positions) continue;
      out.insert(n.get());
      for (const Value* v : n->outputs) exact.insert(v);
    }
    return out;
  }

  Status choose_integer_nodes() {
    std::vector<std::string> missing;
    const std::set<const Node*> masked = masked_softmax_nodes();
    const std::set<const Node*> coordinates = index_arithmetic_nodes();
    for (const auto& n : g_.nodes()) {
      if (!touches_float(*n)) continue;  // integer/bool index arithmetic: nothing to quantize
      if (matches_keep_float(*n, o_.keep_float)) {
        plan_.float_nodes.insert(n->name);
        continue;
      }
      // Ops with an integer kernel whose values integers cannot hold: float, or named.
      std::string why_float;
      if (masked.count(n.get()))
        why_float = std::string("softmax over masked scores; the mask's -inf has no ") + mode_name(o_.activations) +
                    " value";
      else if (coordinates.count(n.get()))
        why_float = std::string("computes or compares positions or thresholds (gathers, in-bounds masks, tree "
                                "decisions); on the ") +
                    mode_name(o_.activations) + " grid they would land on other pixels or branches";
      if (!why_float.empty()) {
        if (o_.allow_float_fallback)
          plan_.float_nodes.insert(n->name);
        else
          missing.push_back(n->op + " (node '" + n->name + "': " + why_float + ")");
        continue;
      }
      const OpQuantRule* r = find_rule(n->op);
      // Integer kernels want symmetric (zero point 0) weights, which a tensor computed at run
      // time cannot promise: such a convolution or FC stays float.
      const bool runtime_weights = r && r->weight >= 0 && static_cast<size_t>(r->weight) < n->inputs.size() &&
                                   n->inputs[r->weight] && !n->inputs[r->weight]->is_const();
      if (r && !runtime_weights && (o_.activations == DType::kInt8 || r->int16)) {
        integer_.insert(n.get());
      } else if (o_.allow_float_fallback) {
        plan_.float_nodes.insert(n->name);
      } else {
        missing.push_back(n->op + " (node '" + n->name + "'" + (runtime_weights ? ": weights computed at run time" : "") +
                          ")");
      }
    }
    if (missing.empty()) return Status::ok();
    std::string msg = std::string("no ") + mode_name(o_.activations) + " kernel in TFLite for:";
    for (const auto& m : missing) msg += "\n  " + m;
    msg += "\nkeep them float with --fallback-float NODE_OR_OP (DEQUANTIZE/QUANTIZE go around them)";
    return unsupported(msg);
  }

  Status check_io_types() {
    for (DType t : {o_.input_type, o_.output_type}) {
      if (t == DType::kFloat32) continue;
      const bool ok = o_.activations == DType::kInt16 ? t == DType::kInt16 : (t == DType::kInt8 || t == DType::kUInt8);
      if (!ok)
        return invalid_argument(std::string("--io-type ") + ir::dtype_name(t) + " does not fit --quantize " +
                                mode_name(o_.activations) + " (use " +
                                (o_.activations == DType::kInt16 ? "int16" : "int8 or uint8") + ", or float32)");
    }
    return Status::ok();
  }

  // A float tensor computed by an integer node is integer; so is a graph input an integer
  // node reads (it gets a QUANTIZE, or becomes an integer input).
  void mark_integer_values() {
    ir::Uses uses(g_);
    for (const auto& v : g_.values()) {
      if (v->is_const() || !is_float_tensor(v.get())) continue;
      Node* p = uses.producer(v.get());
      bool q = false;
      if (p) {
        q = integer_.count(p) != 0;
      } else {
        for (Node* u : uses.users(v.get())) q = q || integer_.count(u) != 0;
      }
      if (q) int_values_.insert(v.get());
    }
  }

  bool is_int(const Value* v) const { return int_values_.count(v) != 0; }

  Value* make_value(const Value* like, const std::string& suffix, bool integer) {
    Value* v = g_.add_value(like->name + "/" + suffix, DType::kFloat32, like->shape);
    if (range_.count(like)) range_[v] = range_.at(like);
    if (integer) int_values_.insert(v);
    return v;
  }

  // Float meets integer inside the graph (a kept-float layer): DEQUANTIZE in, QUANTIZE out.
  void insert_converters() {
    std::unordered_map<const Value*, Value*> to_int, to_float;
    for (Node* n : g_.node_list()) {
      if (!touches_float(*n)) continue;
      const bool n_int = integer_.count(n) != 0;
      for (Value*& in : n->inputs) {
        if (!in || in->is_const() || !is_float_tensor(in) || is_int(in) == n_int) continue;
        if (n_int) {
          Value*& c = to_int[in];
          if (!c) {
            c = make_value(in, "quantized", true);
            g_.add_node("tfl.QUANTIZE", in->name + "/quantize", {in}, {c});
          }
          in = c;
        } else {
          Value*& c = to_float[in];
          if (!c) {
            c = make_value(in, "dequantized", false);
            g_.add_node("tfl.DEQUANTIZE", in->name + "/dequantize", {in}, {c});
          }
          in = c;
        }
      }
    }
  }

  // The value `v` gives its name (the model's signature name) to `io`, a new graph I/O value.
  Value* take_over_name(Value* v, DType dtype, const std::string& suffix) {
    Value* io = g_.add_value(v->name + "/" + suffix, dtype, v->shape);
    std::swap(io->name, v->name);
    return io;
  }

  void insert_io_converters() {
    for (Value*& in : g_.inputs) {
      if (!is_int(in)) continue;
      if (o_.input_type == o_.activations) {
        plan_.io_inputs.push_back(in);
        continue;
      }
      Value* q = in;
      Value* io = take_over_name(q, o_.input_type, "quantized");
      if (range_.count(q)) range_[io] = range_.at(q);
      g_.add_node("tfl.QUANTIZE", io->name + "/quantize", {io}, {q});
      if (o_.input_type == DType::kUInt8) uint8_partner_[io] = q;
      in = io;
      plan_.io_inputs.push_back(io);
    }
    for (Value*& out : g_.outputs) {
      if (!is_int(out)) continue;
      if (o_.output_type == o_.activations) {
        plan_.io_outputs.push_back(out);
        continue;
      }
      Value* q = out;
      Value* io = take_over_name(q, o_.output_type, "quantized");
      const char* op = o_.output_type == DType::kFloat32 ? "tfl.DEQUANTIZE" : "tfl.QUANTIZE";
      g_.add_node(op, io->name + "/output", {q}, {io});
      if (o_.output_type == DType::kUInt8) uint8_partner_[io] = q;
      out = io;
      plan_.io_outputs.push_back(io);
    }
  }

  // A constant read by several nodes gets a copy per integer reader: each copy is quantized
  // with its reader's parameters (a weight shared by two convs, a scalar used twice), and a
  // float reader keeps the float original.
  void copy_shared_constants() {
    std::unordered_map<const Value*, int> reads;
    for (const auto& n : g_.nodes())
      for (const Value* v : n->inputs)
        if (v && v->is_const()) ++reads[v];
    for (const Value* v : g_.outputs) ++reads[v];
    for (Node* n : g_.node_list()) {
      if (!integer_.count(n)) continue;
      for (Value*& in : n->inputs) {
        if (!in || !in->is_const() || !is_float_tensor(in) || reads[in] <= 1) continue;
        Value* copy = g_.add_value(in->name + "/" + n->name, in->dtype, in->shape);
        copy->data = in->data;
        in = copy;
      }
    }
  }

  Result<Range> range_of(const Value* v) const {
    if (v->is_const()) return data_range(*v->data);
    auto it = range_.find(v);
    if (it == range_.end())
      return internal_error("quantize: no calibrated range for tensor '" + v->name +
                            "' (the graph changed between calibration and planning)");
    return it->second;
  }

  Status add(const Value* v) {
    if (groups_.has(v)) return Status::ok();
    PT_ASSIGN_OR_RETURN(Range r, range_of(v));
    groups_.add(v, r);
    return Status::ok();
  }

  // Inputs that take part in activation grouping: float, not the weights/bias slots.
  std::vector<Value*> grouped_inputs(const Node& n, const OpQuantRule& r) {
    std::vector<Value*> out;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      Value* v = n.inputs[i];
      if (!is_float_tensor(v)) continue;
      const bool weight_slot = static_cast<int>(i) == r.weight || static_cast<int>(i) == r.bias;
      if (weight_slot && v->is_const()) continue;
      out.push_back(v);
    }
    return out;
  }

  Status group_tensors() {
    for (Node* n : g_.node_list()) {
      if (n->op == "tfl.QUANTIZE" && is_int(n->outputs[0])) {  // converter: its output is free
        PT_RETURN_IF_ERROR(add(n->outputs[0]));
        continue;
      }
      if (!integer_.count(n)) continue;
      const OpQuantRule& r = *find_rule(n->op);
      std::vector<Value*> ins = grouped_inputs(*n, r);
      for (Value* v : ins) PT_RETURN_IF_ERROR(add(v));
      std::vector<Value*> outs;
      for (Value* v : n->outputs)
        if (is_float_tensor(v)) {
          PT_RETURN_IF_ERROR(add(v));
          outs.push_back(v);
        }
      if (r.output == OutputRule::kFixed) {
        for (Value* v : outs) groups_.pin(v, o_.activations == DType::kInt16 ? r.fixed_int16 : r.fixed_int8);
      } else if (r.output == OutputRule::kShared && !outs.empty()) {
        PT_RETURN_IF_ERROR(share(*n, outs, ins));
      }
    }
    return Status::ok();
  }

  // Outputs and free inputs merge; an input with fixed params joins only if the merged range
  // fits them, else a requantizing QUANTIZE feeds the op a copy in the shared params.
  Status share(Node& n, const std::vector<Value*>& outs, const std::vector<Value*>& ins) {
    for (Value* v : outs) groups_.join(outs[0], v, o_.activations);
    std::vector<Value*> pinned;
    for (Value* v : ins) {
      if (groups_.pinned(v)) pinned.push_back(v);
      else if (!groups_.join(outs[0], v, o_.activations)) pinned.push_back(v);
    }
    for (Value* v : pinned) {
      if (groups_.join(outs[0], v, o_.activations)) continue;
      Value* r = make_value(v, "requantized", true);
      g_.add_node("tfl.QUANTIZE", v->name + "/requantize", {v}, {r});
      std::replace(n.inputs.begin(), n.inputs.end(), v, r);
      groups_.add(r, groups_.group(v).range);
      if (!groups_.join(outs[0], r, o_.activations))
        return internal_error("quantize: " + n.describe() + ": cannot give input '" + v->name +
                              "' the parameters its output shares");
    }
    return Status::ok();
  }

  Status choose_params() {
    const DType act = o_.activations;
    for (const Value* v : groups_.members()) {
      const Groups::Group& grp = groups_.group(v);
      QParams p = grp.pin ? *grp.pin
                          : act == DType::kInt16 ? symmetric(grp.range, qmax(act)) : asymmetric(grp.range, qmin(act), qmax(act));
      plan_.activation[v] = p;
    }
    for (const auto& [io, partner] : uint8_partner_) {
      QParams p = plan_.activation.at(partner);
      p.zero_point += 128;  // same scale; uint8 q = int8 q + 128
      plan_.activation[io] = p;
    }
    for (Node* n : g_.node_list()) {
      if (!integer_.count(n)) continue;
      const OpQuantRule& r = *find_rule(n->op);
      const Value* w = n->input(static_cast<size_t>(std::max(r.weight, 0)));
      if (r.weight < 0 || !w || !w->is_const() || !is_float_tensor(w)) continue;
      WeightPlan wp;
      wp.axis = o_.per_tensor ? -1 : r.weight_axis;
      wp.scales = quantize_weights(*w->data, wp.axis).scales;
      const Value* b = n->input(static_cast<size_t>(std::max(r.bias, 0)));
      if (r.bias >= 0 && b && b->is_const() && is_float_tensor(b)) {
        const Value* data = n->input(static_cast<size_t>(r.data));
        auto it = plan_.activation.find(data);
        if (it == plan_.activation.end())
          return internal_error("quantize: " + n->describe() + ": its input has no parameters for the bias scale");
        std::vector<float> s;
        for (float ws : wp.scales) s.push_back(it->second.scale * ws);
        plan_.bias[b] = s;
      }
      plan_.weights[w] = std::move(wp);
    }
    return Status::ok();
  }

  Graph& g_;
  const IntegerOptions& o_;
  Plan plan_;
  std::unordered_map<const Value*, Range> range_;
  std::unordered_set<const Node*> integer_;
  std::unordered_set<const Value*> int_values_;
  std::unordered_map<const Value*, const Value*> uint8_partner_;  // uint8 I/O value → its int8 twin
  Groups groups_;
};

ir::Quantization per_tensor_quant(QParams p) { return ir::Quantization{{p.scale}, {p.zero_point}, 0}; }

}  // namespace

Result<Plan> plan_integer(Graph& g, const RangeMap& ranges, const IntegerOptions& options) {
  Planner p(g, ranges, options);
  return p.run();
}

Status apply_plan(Graph& g, const Plan& plan, const IntegerOptions& o) {
  const DType act = o.activations;
  const DType bias_type = act == DType::kInt16 ? DType::kInt64 : DType::kInt32;
  std::unordered_set<const Value*> io(plan.io_inputs.begin(), plan.io_inputs.end());
  io.insert(plan.io_outputs.begin(), plan.io_outputs.end());
  for (const auto& vp : g.values()) {
    Value* v = vp.get();
    if (auto it = plan.weights.find(v); it != plan.weights.end()) {
      QuantizedWeights w = quantize_weights(*v->data, it->second.axis);
      v->data = std::make_shared<const ir::Tensor>(std::move(w.data));
      v->dtype = DType::kInt8;
      v->quant = ir::Quantization{w.scales, std::vector<int64_t>(w.scales.size(), 0), std::max(it->second.axis, 0)};
    } else if (auto bt = plan.bias.find(v); bt != plan.bias.end()) {
      QuantizedBias b = quantize_bias(*v->data, 1.0f, bt->second, bias_type);
      v->data = std::make_shared<const ir::Tensor>(std::move(b.data));
      v->dtype = bias_type;
      v->quant = ir::Quantization{b.scales, std::vector<int64_t>(b.scales.size(), 0), 0};
    } else if (auto at = plan.activation.find(v); at != plan.activation.end()) {
      // A uint8 model input/output keeps the type it was made with; the rest are activations.
      const DType t = io.count(v) && v->dtype == DType::kUInt8 ? DType::kUInt8 : act;
      if (v->is_const()) v->data = std::make_shared<const ir::Tensor>(quantize(*v->data, at->second, t));
      v->dtype = t;
      v->quant = per_tensor_quant(at->second);
    }
  }
  return Status::ok();
}

}  // namespace pt2tflite::quant
