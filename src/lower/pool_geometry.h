// The windows of ONNX's pooling ops (MaxPool, AveragePool, LpPool): kernel, strides,
// dilations, pads / auto_pad and ceil_mode per spatial axis, and the output extents.
#pragma once

#include <vector>

#include "ir/graph.h"
#include "ir/padding.h"
#include "pt2tflite/status.h"

namespace pt2tflite::lower {

struct PoolGeometry {
  std::vector<ir::AxisWindow> axes;  // one per spatial axis
  std::vector<int64_t> out;          // output spatial extents
  bool count_include_pad = false;    // AveragePool's attribute
};

Status read_pool_geometry(const ir::Node& n, PoolGeometry* g);

}  // namespace pt2tflite::lower
