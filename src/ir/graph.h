// The one IR for both halves of the converter: a Graph of Nodes that read and write Values.
// Ops are names in a namespace ("onnx.Conv", "tfl.CONV_2D"); the IR attaches no meaning to
// them. Nodes are kept in topological order.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "ir/dtype.h"
#include "ir/tensor.h"

namespace pt2tflite::ir {

struct Quantization {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int axis = 0;  // quantized dimension when per-channel
};

struct Value {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;
  std::shared_ptr<const Tensor> data;  // set: this value is a constant
  std::optional<Quantization> quant;
  // Written as a TFLite variable tensor (Tensor.is_variable): a state buffer that persists
  // across invocations, which UNIDIRECTIONAL_SEQUENCE_LSTM requires for its state inputs.
  bool is_variable = false;

  bool is_const() const { return data != nullptr; }
};

using Attribute = std::variant<int64_t, double, std::string, std::vector<int64_t>,
                               std::vector<double>, std::vector<std::string>>;

class Graph;

struct Node {
  std::string op;    // namespaced: "onnx.Conv", "tfl.CONV_2D"
  std::string name;  // unique within the graph; kept from ONNX where there is one
  std::vector<Value*> inputs;  // nullptr marks an omitted optional input
  std::vector<Value*> outputs;
  std::map<std::string, Attribute> attrs;  // ordered: deterministic output
  int opset = 0;  // opset of the op's domain at import; 0 for ops made by pt2tflite
  // Graph-valued attributes (If's branches, Loop's and Scan's body). A subgraph is closed:
  // each value it reads from an enclosing graph is one of its inputs, after its own formal
  // inputs, and the node passes those outer values as its last `captured` inputs, in the
  // same order for every subgraph of the node. Shared and immutable, like constant data.
  std::map<std::string, std::shared_ptr<const Graph>> subgraphs;
  int captured = 0;

  bool has(const std::string& key) const { return attrs.count(key) != 0; }
  int64_t get_int(const std::string& key, int64_t def) const;
  double get_float(const std::string& key, double def) const;
  std::string get_string(const std::string& key, const std::string& def) const;
  std::vector<int64_t> get_ints(const std::string& key, const std::vector<int64_t>& def = {}) const;
  std::vector<double> get_floats(const std::string& key, const std::vector<double>& def = {}) const;
  Value* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  // "node 'conv1' (onnx.Conv, opset 13)": the prefix every node error carries.
  std::string describe() const;
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  Graph(Graph&&) = default;
  Graph& operator=(Graph&&) = default;

  // Values. Names are made unique by suffixing.
  Value* add_value(const std::string& name, DType dtype, Shape shape);
  Value* add_const(const std::string& name, Tensor data);
  // A fresh name with this stem that no value or node uses yet.
  std::string unique_name(const std::string& stem);

  // Nodes are appended; call toposort() after inserting out of order.
  Node* add_node(const std::string& op, const std::string& name, std::vector<Value*> inputs,
                 std::vector<Value*> outputs);
  // Every use of `from` (node inputs and graph outputs) now reads `to`.
  // A graph output keeps its name: `to` takes it.
  void replace_uses(Value* from, Value* to);
  // Removes the node (its outputs become unproduced).
  void remove_node(Node* node);
  // Drops nodes whose outputs nobody reads and values nobody references.
  void remove_dead();
  // Orders nodes so every producer precedes its users; stable for nodes already in order.
  void toposort();

  // A deep copy (constant data is shared: it is immutable). Lets a pass try a rewrite
  // and keep it only if it pays off.
  Graph clone() const;
  Node* find_node(const std::string& name) const;

  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  const std::vector<std::unique_ptr<Value>>& values() const { return values_; }
  std::vector<Node*> node_list() const;  // a snapshot, safe to mutate the graph while walking

  std::vector<Value*> inputs;
  std::vector<Value*> outputs;
  std::string name;

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Value>> values_;
  std::set<std::string> names_;
  std::unordered_map<std::string, int> next_suffix_;
};

// Whether a value the node reads or writes has extents known only at run time: rewrites that
// reason about extents (layout, reshape folding, fusions) leave such nodes alone.
bool has_dynamic_shape(const Node& n);

// Who reads and who writes each value; rebuild after mutating the graph.
struct Uses {
  explicit Uses(const Graph& g);
  const std::vector<Node*>& users(const Value* v) const;
  Node* producer(const Value* v) const;
  bool is_graph_output(const Value* v) const { return graph_outputs.count(v) != 0; }
  // The only user of v, or nullptr when v has none, several, or is a graph output.
  Node* single_user(const Value* v) const;

  std::unordered_map<const Value*, std::vector<Node*>> readers;
  std::unordered_map<const Value*, Node*> writers;
  std::set<const Value*> graph_outputs;
};

}  // namespace pt2tflite::ir
