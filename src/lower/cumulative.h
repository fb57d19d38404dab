// What CumSum and CumProd share: the axis input, shape inference and the fold.
#pragma once

#include <vector>

#include "ir/graph.h"
#include "pt2tflite/status.h"

namespace pt2tflite::lower {

// The axis: a 0-d or 1-element constant input 1, normalised. One computed at run time is
// still known for a 1-D input (0 and -1 both name its only axis).
Result<int64_t> cumulative_axis(const ir::Node& n);
// The axis is computed at run time and the input has more than one axis to choose from.
bool runtime_axis(const ir::Node& n);
// Output = input's dtype and shape, once the axis checks out.
Status infer_cumulative(ir::Node& n);
// Running sum (product = false) or product along the axis of a constant input, with ONNX's
// `exclusive` and `reverse`; integers wrap around as the kernels do.
Result<std::vector<ir::Tensor>> fold_cumulative(const ir::Node& n, bool product);

}  // namespace pt2tflite::lower
