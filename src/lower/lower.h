// The two graph-wide steps of the lowering stage.
#pragma once

#include "ir/graph.h"
#include "pt2tflite/status.h"

namespace pt2tflite::lower {

// Walks the onnx.* graph in topological order: infers every output's dtype and static
// shape, and folds nodes whose inputs are all constant (the Shape→Gather→Concat→Reshape
// arithmetic exporters emit, weight preprocessing). Shape inference and folding share one
// walk because each needs the other: a Reshape's shape is known only once its shape input
// is folded, and Shape folds only once its input's shape is inferred.
Status infer_shapes_and_fold(ir::Graph& g);

// Values of element types TFLite has no kernels for (float64, uint64), named in one
// unsupported error; ok when there are none.
Status check_dtypes(const ir::Graph& g);

// Choices between equally exact lowerings, made from the conversion options (api/pipeline.cc).
struct LowerOptions {
  // LSTM as TFLite's fused UNIDIRECTIONAL_SEQUENCE_LSTM where that is exact; false: always
  // unrolled into FULLY_CONNECTED/ADD/MUL/LOGISTIC/TANH steps (TFLite Micro, Vela, and the
  // full-integer modes, whose calibration does not compute the LSTM kernel's internal scales).
  bool fused_lstm = true;
};

// Replaces every onnx.* node by tfl.* nodes. Every op type without a lowering is reported
// at once, with node names and opset, before anything is changed.
Status lower_graph(ir::Graph& g, const LowerOptions& options = {});

}  // namespace pt2tflite::lower
