// Full-integer quantization (--quantize int8 / int16x8) of a lowered float graph, given the
// calibrated ranges. Two steps, so --auto-fallback can simulate a plan before committing:
//
//   plan_integer   decides which nodes run integer, inserts QUANTIZE/DEQUANTIZE where float
//                  and integer meet (graph inputs/outputs for float I/O, kept-float layers),
//                  gives every tensor that must share parameters one group (union-find over
//                  the op rules in op_rules.h; a requantizing QUANTIZE where pinned groups
//                  clash), and chooses (scale, zero point) per group. The graph stays float.
//   apply_plan     turns the planned tensors into int8/int16, weights into symmetric int8,
//                  biases into int32/int64, and sets the graph's I/O types.
#pragma once

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"
#include "pt2tflite/status.h"
#include "quant/calibrate.h"
#include "quant/params.h"

namespace pt2tflite::quant {

struct IntegerOptions {
  ir::DType activations = ir::DType::kInt8;  // kInt8, or kInt16 for 16x8
  ir::DType input_type = ir::DType::kFloat32;   // kFloat32, kInt8, kUInt8 or kInt16
  ir::DType output_type = ir::DType::kFloat32;
  bool per_tensor = false;  // conv weights per tensor instead of per channel
  // Node names (a lowered node keeps its ONNX node's name, "_N" suffixes for the extra nodes)
  // and op types ("CONV_2D" or "tfl.CONV_2D") that stay float.
  std::vector<std::string> keep_float;
  // Ops without an integer kernel stay float instead of failing (TF's TFLITE_BUILTINS beside
  // TFLITE_BUILTINS_INT8).
  bool allow_float_fallback = false;
};

struct WeightPlan {
  std::vector<float> scales;
  int axis = -1;
};

struct Plan {
  std::unordered_map<const ir::Value*, QParams> activation;  // tensors that become integer
  std::unordered_map<const ir::Value*, WeightPlan> weights;  // constant weights → int8 symmetric
  std::unordered_map<const ir::Value*, std::vector<float>> bias;  // bias → int32/int64, these scales
  std::set<std::string> float_nodes;  // names of the nodes that stay float
  std::vector<const ir::Value*> io_inputs, io_outputs;  // graph I/O values whose type changes
};

// Ranges are keyed by value name (calibrate's output for this graph before planning).
Result<Plan> plan_integer(ir::Graph& g, const RangeMap& ranges, const IntegerOptions& options);
Status apply_plan(ir::Graph& g, const Plan& plan, const IntegerOptions& options);

// Does `node` match a --fallback-float entry (node name, name + "_N", op type)?
bool matches_keep_float(const ir::Node& node, const std::vector<std::string>& keep_float);

}  // namespace pt2tflite::quant
