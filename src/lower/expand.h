// Static resolution of what TFLite's flat graph cannot hold: control flow (If, Loop, Scan) and
// non-tensor values (sequences, optionals). It happens inside the shape-inference walk
// (infer_shapes.cc), node by node in topological order, because it needs that walk's results:
// PyTorch computes an If's condition and a Loop's trip count from shapes, which are constant
// only once Shape→Gather→… has been folded, and a sequence position inside a loop body is a
// constant only once the loop is unrolled. Doing it in the importer (on protos) would need
// the folding there too; doing it in a separate pass would need the walk run to a fixed point.
//
// A rule's `expand` rewrites its node into other onnx.* nodes (each inferred, folded or
// expanded in turn at once) or resolves its outputs outright:
//   - a sequence value is the list of tensor values it holds, known at conversion time; an
//     optional value is its element or "empty". Both live in this context only: the IR never
//     sees a sequence type, and after the walk no node reads one (a graph output that is one
//     is refused: TFLite has tensors only).
//   - a subgraph is inlined: its nodes are copied into the graph with its inputs bound to
//     values of the outer graph.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"
#include "pt2tflite/status.h"

namespace pt2tflite::lower {

// Loops and scans are unrolled; past this many iterations the model is refused (the graph
// would grow by a copy of the body per iteration).
constexpr int kMaxUnrolledIterations = 64;

class ExpandContext {
 public:
  explicit ExpandContext(ir::Graph& g) : g_(g) {}
  virtual ~ExpandContext() = default;
  ir::Graph& graph() { return g_; }

  // The elements of a sequence value; nullptr when v is not a (resolved) sequence.
  const std::vector<ir::Value*>* sequence(const ir::Value* v) const;
  void set_sequence(const ir::Value* v, std::vector<ir::Value*> elements) { sequences_[v] = std::move(elements); }
  // Whether v is a (resolved) optional, and its element (nullptr: empty).
  bool is_optional(const ir::Value* v) const { return optionals_.count(v) != 0; }
  ir::Value* optional_element(const ir::Value* v) const;
  void set_optional(const ir::Value* v, ir::Value* element) { optionals_[v] = element; }
  // Known at this point of the walk: a static tensor shape, or a resolved sequence/optional.
  bool known(const ir::Value* v) const;
  bool is_tensor(const ir::Value* v) const { return !sequence(v) && !is_optional(v); }

  // Every use of `from` reads `to` from now on (the node producing `from` is going away).
  // A graph output that would become a graph input or another graph output gets an
  // onnx.Identity node of its own instead, as in passes/remove_identity.cc.
  void replace(ir::Value* from, ir::Value* to);
  ir::Value* constant(const ir::Node& origin, const std::string& suffix, ir::Tensor t);

  // Adds an onnx.<op_type> node made from `origin` (same opset), runs it through the walk at
  // once, and returns the values that now stand for its outputs (constants when it folded).
  Result<std::vector<ir::Value*>> emit(const std::string& op_type, const ir::Node& origin,
                                       std::vector<ir::Value*> inputs, size_t num_outputs,
                                       std::map<std::string, ir::Attribute> attrs = {});
  // Copies `body`'s nodes into the graph with body.inputs bound to `args` (formal inputs then
  // captured ones), runs them through the walk, and returns the values of body.outputs.
  Result<std::vector<ir::Value*>> inline_graph(const ir::Graph& body, const std::vector<ir::Value*>& args,
                                               const ir::Node& origin, const std::string& tag);

  // Infers, folds or expands one node (the walk's step). Nodes made during an expansion have
  // their errors returned; the walk itself collects the errors of the graph's own nodes.
  virtual Status process(ir::Node* n) = 0;

 private:
  ir::Graph& g_;
  std::unordered_map<const ir::Value*, std::vector<ir::Value*>> sequences_;
  std::unordered_map<const ir::Value*, ir::Value*> optionals_;
  // A subgraph's constants, copied once into the graph however often the subgraph is inlined.
  std::unordered_map<const ir::Value*, ir::Value*> inlined_consts_;
  // Outputs of nodes that folded or expanded away → the value that took their place.
  std::unordered_map<const ir::Value*, ir::Value*> replaced_;

 protected:
  ir::Value* current(ir::Value* v) const;
};

}  // namespace pt2tflite::lower
