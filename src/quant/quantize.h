// The quantization stage: the lowered, optimised float graph in; the same graph with the
// requested post-training quantization out (see include/pt2tflite/pt2tflite.h QuantizeOptions).
#pragma once

#include <ostream>

#include "ir/graph.h"
#include "pt2tflite/pt2tflite.h"

namespace pt2tflite::quant {

// `log` (may be null) receives what --auto-fallback measured and chose.
Status quantize(ir::Graph& g, const QuantizeOptions& options, bool nhwc_io, std::ostream* log);

}  // namespace pt2tflite::quant
