// Runs a lowered graph (tfl.* ops, static shapes) on the reference kernels: calibration
// records per-tensor ranges through the observer, verification compares outputs.
//
//   PT_ASSIGN_OR_RETURN(auto interp, exec::Interpreter::create(graph));
//   PT_RETURN_IF_ERROR(interp.run({input}, [&](const ir::Value& v, const ir::Tensor& t) { … }));
//   const ir::Tensor& y = interp.value(graph.outputs[0]);
//
// Memory: an intermediate tensor is freed right after its last reader has run (last uses are
// computed once, in create); graph inputs, outputs and constants stay. The graph must
// outlive the interpreter and not change while it is used. One interpreter per thread:
// run() is not re-entrant, but interpreters over the same graph share nothing mutable.
#pragma once

#include <functional>
#include <unordered_map>
#include <vector>

#include "exec/kernel.h"
#include "ir/graph.h"
#include "pt2tflite/status.h"

namespace pt2tflite::exec {

class Interpreter {
 public:
  // Called once for every graph input and for every output of every node, in execution
  // order, while the tensor is alive (copy what must outlive the call). An observer may change
  // the tensor in place (same dtype and shape): later nodes read what it leaves, which is how
  // quantization is simulated.
  using Observer = std::function<void(const ir::Value&, ir::Tensor&)>;

  struct Options {
    // Keep every intermediate tensor after run() (bisecting, debugging); costs memory.
    bool keep_intermediates = false;
  };

  // Checks that every op has a kernel (listing all that do not, once), that shapes are
  // static and that nodes are in topological order.
  static Result<Interpreter> create(const ir::Graph& g) { return create(g, Options()); }
  static Result<Interpreter> create(const ir::Graph& g, const Options& options);

  // Inputs in graph input order, dtype and shape exactly the graph's.
  Status run(const std::vector<ir::Tensor>& inputs, const Observer& observe = {});

  // After run(): the tensor of a graph input, graph output or constant (any value with
  // keep_intermediates). Aborts on a value the interpreter does not hold; has_value tells.
  const ir::Tensor& value(const ir::Value* v) const;
  bool has_value(const ir::Value* v) const;

  const ir::Graph& graph() const { return *graph_; }

  // Movable, not copyable (tensors_ points into owned_).
  Interpreter(Interpreter&&) = default;
  Interpreter& operator=(Interpreter&&) = default;
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

 private:
  struct Step {
    const ir::Node* node;
    Kernel kernel;
    std::vector<int> inputs;   // slot per node input, -1 for an omitted one
    std::vector<int> outputs;  // slot per node output
    std::vector<int> release;  // slots whose last reader is this step
    int reuse = -1;            // RESHAPE-like step whose input dies here: move its bytes
  };

  Interpreter() = default;

  const ir::Graph* graph_ = nullptr;
  Options options_;
  std::unordered_map<const ir::Value*, int> slot_of_;
  std::vector<const ir::Value*> values_;      // by slot
  std::vector<ir::Tensor> owned_;             // by slot: inputs and computed tensors
  std::vector<const ir::Tensor*> tensors_;    // by slot: owned_ entry, constant data, or null
  std::vector<int> input_slots_;
  std::vector<Step> steps_;
};

}  // namespace pt2tflite::exec
