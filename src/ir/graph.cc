#include "ir/graph.h"

#include <algorithm>
#include <queue>
#include <unordered_set>

namespace pt2tflite::ir {

namespace {

template <typename T>
const T* find_attr(const Node& n, const std::string& key) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return nullptr;
  return std::get_if<T>(&it->second);
}

}  // namespace

int64_t Node::get_int(const std::string& key, int64_t def) const {
  if (const auto* v = find_attr<int64_t>(*this, key)) return *v;
  if (const auto* v = find_attr<double>(*this, key)) return static_cast<int64_t>(*v);
  return def;
}

double Node::get_float(const std::string& key, double def) const {
  if (const auto* v = find_attr<double>(*this, key)) return *v;
  if (const auto* v = find_attr<int64_t>(*this, key)) return static_cast<double>(*v);
  return def;
}

std::string Node::get_string(const std::string& key, const std::string& def) const {
  if (const auto* v = find_attr<std::string>(*this, key)) return *v;
  return def;
}

std::vector<int64_t> Node::get_ints(const std::string& key, const std::vector<int64_t>& def) const {
  if (const auto* v = find_attr<std::vector<int64_t>>(*this, key)) return *v;
  if (const auto* v = find_attr<int64_t>(*this, key)) return {*v};
  return def;
}

std::vector<double> Node::get_floats(const std::string& key, const std::vector<double>& def) const {
  if (const auto* v = find_attr<std::vector<double>>(*this, key)) return *v;
  return def;
}

std::string Node::describe() const {
  std::string s = "node '" + name + "' (" + op;
  if (opset > 0) s += ", opset " + std::to_string(opset);
  return s + ")";
}

std::string Graph::unique_name(const std::string& stem) {
  std::string base = stem.empty() ? "t" : stem;
  if (!names_.count(base)) return base;
  int& n = next_suffix_[base];
  std::string candidate;
  do {
    candidate = base + "_" + std::to_string(++n);
  } while (names_.count(candidate));
  return candidate;
}

Value* Graph::add_value(const std::string& name, DType dtype, Shape shape) {
  auto v = std::make_unique<Value>();
  v->name = unique_name(name);
  names_.insert(v->name);
  v->dtype = dtype;
  v->shape = std::move(shape);
  values_.push_back(std::move(v));
  return values_.back().get();
}

Value* Graph::add_const(const std::string& name, Tensor data) {
  Value* v = add_value(name, data.dtype, data.shape);
  v->data = std::make_shared<const Tensor>(std::move(data));
  return v;
}

Node* Graph::add_node(const std::string& op, const std::string& name, std::vector<Value*> inputs,
                      std::vector<Value*> outputs) {
  auto n = std::make_unique<Node>();
  n->op = op;
  n->name = unique_name(name.empty() ? op : name);
  names_.insert(n->name);
  n->inputs = std::move(inputs);
  n->outputs = std::move(outputs);
  nodes_.push_back(std::move(n));
  return nodes_.back().get();
}

std::vector<Node*> Graph::node_list() const {
  std::vector<Node*> out;
  out.reserve(nodes_.size());
  for (const auto& n : nodes_) out.push_back(n.get());
  return out;
}

void Graph::replace_uses(Value* from, Value* to) {
  if (from == to) return;
  for (auto& n : nodes_)
    for (auto& in : n->inputs)
      if (in == from) in = to;
  for (auto& out : outputs) {
    if (out != from) continue;
    out = to;
    // Graph outputs keep their (ONNX) names; the replaced value gives its name away.
    const bool to_is_io = std::count(inputs.begin(), inputs.end(), to) ||
                          std::count(outputs.begin(), outputs.end(), to) > 1;
    if (!to_is_io) std::swap(from->name, to->name);
  }
}

void Graph::remove_node(Node* node) {
  nodes_.erase(std::remove_if(nodes_.begin(), nodes_.end(),
                              [&](const std::unique_ptr<Node>& n) { return n.get() == node; }),
               nodes_.end());
}

void Graph::remove_dead() {
  // Walk backwards from the graph outputs; keep only nodes that contribute.
  std::unordered_set<const Value*> live(outputs.begin(), outputs.end());
  std::vector<bool> keep(nodes_.size(), false);
  for (size_t i = nodes_.size(); i-- > 0;) {
    const Node& n = *nodes_[i];
    bool used = std::any_of(n.outputs.begin(), n.outputs.end(),
                            [&](const Value* v) { return v && live.count(v); });
    if (!used) continue;
    keep[i] = true;
    for (const Value* in : n.inputs)
      if (in) live.insert(in);
  }
  std::vector<std::unique_ptr<Node>> kept;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (keep[i]) kept.push_back(std::move(nodes_[i]));
  nodes_ = std::move(kept);

  std::unordered_set<const Value*> referenced(inputs.begin(), inputs.end());
  referenced.insert(outputs.begin(), outputs.end());
  for (const auto& n : nodes_) {
    referenced.insert(n->inputs.begin(), n->inputs.end());
    referenced.insert(n->outputs.begin(), n->outputs.end());
  }
  std::vector<std::unique_ptr<Value>> kept_values;
  for (auto& v : values_) {
    if (referenced.count(v.get())) {
      kept_values.push_back(std::move(v));
    } else {
      names_.erase(v->name);
    }
  }
  values_ = std::move(kept_values);
}

void Graph::toposort() {
  // (Runs after every rewrite of the sinking passes: no per-node allocations.)
  std::unordered_map<const Value*, size_t> producer;
  producer.reserve(2 * nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i)
    for (const Value* v : nodes_[i]->outputs) producer[v] = i;
  std::vector<int> pending(nodes_.size(), 0);
  std::vector<std::vector<size_t>> users(nodes_.size());
  std::vector<size_t> deps;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    deps.clear();
    for (const Value* v : nodes_[i]->inputs) {
      auto it = v ? producer.find(v) : producer.end();
      if (it != producer.end() && it->second != i) deps.push_back(it->second);
    }
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    pending[i] = static_cast<int>(deps.size());
    for (size_t d : deps) users[d].push_back(i);
  }
  // Smallest current index first keeps the existing order wherever it is already valid.
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (pending[i] == 0) ready.push(i);
  std::vector<std::unique_ptr<Node>> sorted;
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    for (size_t u : users[i])
      if (--pending[u] == 0) ready.push(u);
    sorted.push_back(std::move(nodes_[i]));
  }
  if (sorted.size() != nodes_.size()) {  // a cycle: keep the rest so verify() reports it
    for (auto& n : nodes_)
      if (n) sorted.push_back(std::move(n));
  }
  nodes_ = std::move(sorted);
}

Graph Graph::clone() const {
  Graph c;
  c.name = name;
  c.names_ = names_;
  c.next_suffix_ = next_suffix_;
  std::unordered_map<const Value*, Value*> map;
  for (const auto& v : values_) {
    c.values_.push_back(std::make_unique<Value>(*v));
    map[v.get()] = c.values_.back().get();
  }
  auto remap = [&](Value* v) { return v ? map.at(v) : nullptr; };
  for (const auto& n : nodes_) {
    c.nodes_.push_back(std::make_unique<Node>(*n));
    for (auto& in : c.nodes_.back()->inputs) in = remap(in);
    for (auto& out : c.nodes_.back()->outputs) out = remap(out);
  }
  for (Value* v : inputs) c.inputs.push_back(remap(v));
  for (Value* v : outputs) c.outputs.push_back(remap(v));
  return c;
}

Node* Graph::find_node(const std::string& node_name) const {
  for (const auto& n : nodes_)
    if (n->name == node_name) return n.get();
  return nullptr;
}

Uses::Uses(const Graph& g) {
  readers.reserve(3 * g.nodes().size());
  writers.reserve(2 * g.nodes().size());
  for (const auto& n : g.nodes()) {
    for (Value* v : n->inputs) {
      if (!v) continue;
      auto& list = readers[v];
      if (std::find(list.begin(), list.end(), n.get()) == list.end()) list.push_back(n.get());
    }
    for (Value* v : n->outputs) writers[v] = n.get();
  }
  graph_outputs.insert(g.outputs.begin(), g.outputs.end());
}

const std::vector<Node*>& Uses::users(const Value* v) const {
  static const std::vector<Node*> kNone;
  auto it = readers.find(v);
  return it == readers.end() ? kNone : it->second;
}

Node* Uses::producer(const Value* v) const {
  auto it = writers.find(v);
  return it == writers.end() ? nullptr : it->second;
}

bool has_dynamic_shape(const Node& n) {
  for (const Value* v : n.inputs)
    if (v && !is_static(v->shape)) return true;
  for (const Value* v : n.outputs)
    if (v && !is_static(v->shape)) return true;
  return false;
}

Node* Uses::single_user(const Value* v) const {
  const auto& u = users(v);
  if (u.size() != 1 || is_graph_output(v)) return nullptr;
  return u[0];
}

}  // namespace pt2tflite::ir
