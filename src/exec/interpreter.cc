#include "exec/interpreter.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

namespace pt2tflite::exec {

namespace {

// Ops whose output is the input's bytes under another shape.
bool is_reshape_like(const std::string& op) {
  return op == "tfl.RESHAPE" || op == "tfl.SQUEEZE" || op == "tfl.EXPAND_DIMS";
}

}  // namespace

Result<Interpreter> Interpreter::create(const ir::Graph& g, const Options& options) {
  Interpreter it;
  it.graph_ = &g;
  it.options_ = options;
  const KernelTable& table = kernels();

  // Every op without a kernel, reported once with its nodes.
  std::map<std::string, std::vector<std::string>> missing;
  for (const auto& n : g.nodes())
    if (!table.find(n->op)) missing[n->op].push_back(n->name);
  if (!missing.empty()) {
    std::string msg = "exec: no reference kernel for";
    for (const auto& [op, nodes] : missing) {
      msg += " " + op + " (" + std::to_string(nodes.size()) + (nodes.size() == 1 ? " node: " : " nodes, first: ") +
             nodes[0] + ");";
    }
    msg.back() = '.';
    return unsupported(msg);
  }

  auto slot = [&](const ir::Value* v) {
    auto [pos, inserted] = it.slot_of_.emplace(v, static_cast<int>(it.values_.size()));
    if (inserted) it.values_.push_back(v);
    return pos->second;
  };
  std::set<const ir::Value*> available;
  for (const ir::Value* v : g.inputs) {
    if (!ir::is_static(v->shape))
      return invalid_argument("exec: graph input '" + v->name + "' has shape " + ir::shape_to_string(v->shape) +
                              "; fix its dimensions before running");
    it.input_slots_.push_back(slot(v));
    available.insert(v);
  }
  for (const auto& n : g.nodes()) {
    Step step{n.get(), table.find(n->op), {}, {}, {}};
    for (const ir::Value* v : n->inputs) {
      if (!v) {
        step.inputs.push_back(-1);
        continue;
      }
      if (!v->is_const() && !available.count(v))
        return internal_error("exec: " + n->describe() + " reads '" + v->name +
                              "' before it is computed (nodes are not in topological order)");
      step.inputs.push_back(slot(v));
    }
    for (const ir::Value* v : n->outputs) {
      if (!v) return internal_error("exec: " + n->describe() + " has a null output");
      if (!ir::is_static(v->shape))
        return unsupported(n->describe() + ": output '" + v->name + "' has extents known only at run time " +
                           ir::shape_to_string(v->shape) +
                           "; the reference interpreter behind calibration and --verify needs static shapes. "
                           "Make the values that decide shapes constant, or use float32, float16 or dynamic-range "
                           "quantization");
      if (available.count(v)) return internal_error("exec: '" + v->name + "' is written twice");
      step.outputs.push_back(slot(v));
      available.insert(v);
    }
    it.steps_.push_back(std::move(step));
  }
  for (const ir::Value* v : g.outputs) {
    if (!v->is_const() && !available.count(v))
      return internal_error("exec: graph output '" + v->name + "' is never computed");
    slot(v);
  }

  it.owned_.resize(it.values_.size());
  it.tensors_.assign(it.values_.size(), nullptr);
  for (size_t s = 0; s < it.values_.size(); ++s)
    if (it.values_[s]->is_const()) it.tensors_[s] = it.values_[s]->data.get();

  // Last reader of every computed, non-output value; a value nobody reads dies where it is made.
  if (!options.keep_intermediates) {
    std::set<int> keep;
    for (const ir::Value* v : g.outputs) keep.insert(it.slot_of_.at(v));
    for (int s : it.input_slots_) keep.insert(s);
    std::vector<int> last(it.values_.size(), -1);
    for (size_t i = 0; i < it.steps_.size(); ++i) {
      for (int s : it.steps_[i].outputs) last[s] = static_cast<int>(i);
      for (int s : it.steps_[i].inputs)
        if (s >= 0) last[s] = static_cast<int>(i);
    }
    for (size_t s = 0; s < it.values_.size(); ++s)
      if (!it.values_[s]->is_const() && !keep.count(static_cast<int>(s)) && last[s] >= 0)
        it.steps_[last[s]].release.push_back(static_cast<int>(s));
    for (Step& step : it.steps_) {
      if (!is_reshape_like(step.node->op) || step.inputs.empty() || step.inputs[0] < 0) continue;
      const int in = step.inputs[0];
      const bool dies_here = std::find(step.release.begin(), step.release.end(), in) != step.release.end();
      if (dies_here && !it.values_[in]->is_const() && it.values_[in]->dtype == step.node->outputs[0]->dtype)
        step.reuse = in;
    }
  }
  return it;
}

Status Interpreter::run(const std::vector<ir::Tensor>& inputs, const Observer& observe) {
  const ir::Graph& g = *graph_;
  // Drop everything the previous run left.
  for (size_t s = 0; s < values_.size(); ++s) {
    if (values_[s]->is_const()) continue;
    owned_[s] = ir::Tensor{};
    tensors_[s] = nullptr;
  }
  if (inputs.size() != g.inputs.size())
    return invalid_argument("exec: the graph has " + std::to_string(g.inputs.size()) + " inputs, " +
                            std::to_string(inputs.size()) + " given");
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ir::Value* v = g.inputs[i];
    const ir::Tensor& t = inputs[i];
    if (t.dtype != v->dtype || t.shape != v->shape)
      return invalid_argument("exec: input '" + v->name + "' must be " + ir::dtype_name(v->dtype) + " " +
                              ir::shape_to_string(v->shape) + ", given " + ir::dtype_name(t.dtype) + " " +
                              ir::shape_to_string(t.shape));
    if (t.bytes.size() != static_cast<size_t>(t.size()) * ir::dtype_size(t.dtype))
      return invalid_argument("exec: input '" + v->name + "' holds " + std::to_string(t.bytes.size()) +
                              " bytes, its shape needs " + std::to_string(t.size() * ir::dtype_size(t.dtype)));
    const int s = input_slots_[i];
    owned_[s] = t;
    tensors_[s] = &owned_[s];
    if (observe) observe(*v, owned_[s]);
  }

  KernelIO io;
  for (const Step& step : steps_) {
    io.in.clear();
    io.out.clear();
    for (int s : step.inputs) io.in.push_back(s < 0 ? nullptr : tensors_[s]);
    for (int s : step.outputs) {
      const ir::Value* v = values_[s];
      ir::Tensor& t = owned_[s];
      t.dtype = v->dtype;
      t.shape = v->shape;
      tensors_[s] = &t;
      io.out.push_back(&t);
    }
    if (step.reuse >= 0 && owned_[step.reuse].bytes.size() ==
                               static_cast<size_t>(io.out[0]->size()) * ir::dtype_size(io.out[0]->dtype)) {
      owned_[step.outputs[0]].bytes = std::move(owned_[step.reuse].bytes);
    } else {
      for (ir::Tensor* t : io.out) t->bytes.assign(static_cast<size_t>(t->size()) * ir::dtype_size(t->dtype), 0);
      Status s = step.kernel(*step.node, io);
      if (!s.is_ok()) return Status::error(s.kind(), "exec: " + step.node->describe() + ": " + s.message());
    }
    if (observe)
      for (int s : step.outputs) observe(*values_[s], owned_[s]);
    for (int s : step.release) {
      owned_[s] = ir::Tensor{};
      tensors_[s] = nullptr;
    }
  }
  return Status::ok();
}

bool Interpreter::has_value(const ir::Value* v) const {
  auto it = slot_of_.find(v);
  if (it == slot_of_.end()) return v && v->is_const();
  return tensors_[it->second] != nullptr;
}

const ir::Tensor& Interpreter::value(const ir::Value* v) const {
  auto it = slot_of_.find(v);
  if (it == slot_of_.end() && v && v->is_const()) return *v->data;
  if (it == slot_of_.end() || !tensors_[it->second]) {
    std::fprintf(stderr, "exec::Interpreter::value: '%s' is not held (freed after its last use, or never computed)\n",
                 v ? v->name.c_str() : "(null)");
    std::abort();
  }
  return *tensors_[it->second];
}

}  // namespace pt2tflite::exec
