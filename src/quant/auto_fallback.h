// --auto-fallback DB: keep the fewest layers float that bring the model's output SQNR (signal
// over quantization noise, in dB, against the float model) to the target.
//
// The integer model is simulated on the float reference kernels (src/exec): the planned graph
// runs with every planned tensor rounded to its integer grid and back after it is computed
// (weights per channel, biases at input × weight scale), so no integer kernels are needed.
// Greedy: each round measures, per integer node, how much SQNR its outputs lose relative to
// its inputs (the error it adds itself, not the error it inherits), keeps the worst one float,
// and re-plans, until the output reaches the target or nothing is left to keep float.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "pt2tflite/status.h"
#include "quant/calibrate.h"
#include "quant/quantize_integer.h"

namespace pt2tflite::quant {

struct FallbackChoice {
  std::vector<std::string> keep_float;  // the options' list plus the nodes chosen here
  double output_db = 0;                 // simulated output SQNR with that choice
  bool reached = false;
};

// Output SQNR (min over outputs, dB) of `options` simulated on `samples`.
Result<double> simulated_sqnr(const ir::Graph& float_graph, const RangeMap& ranges, const IntegerOptions& options,
                              const std::vector<Sample>& samples);

Result<FallbackChoice> choose_float_layers(const ir::Graph& float_graph, const RangeMap& ranges,
                                           const IntegerOptions& options, const std::vector<Sample>& samples,
                                           double target_db, std::ostream* log);

}  // namespace pt2tflite::quant
