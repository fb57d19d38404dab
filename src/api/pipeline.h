// The converter's stages in order: import → infer/fold → ONNX passes → lower → TFLite
// passes → write. Every step is listed in pipeline.cc with the reason it is there.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "pt2tflite/pt2tflite.h"

namespace pt2tflite::api {

struct Step {
  const char* name;
  const char* reason;
  Status (*run)(ir::Graph& g);
  bool only_if_nhwc_io = false;
  // Instead of run, for a step that depends on the conversion options.
  Status (*run_with_options)(ir::Graph& g, const ConvertOptions& options) = nullptr;
};

const std::vector<Step>& onnx_steps();    // before lowering
const std::vector<Step>& tflite_steps();  // after lowering

// Runs import's output through every step up to a graph ready for the writer.
Status run_pipeline(ir::Graph& g, const ConvertOptions& options);

}  // namespace pt2tflite::api
