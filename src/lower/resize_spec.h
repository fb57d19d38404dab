// What the Resize files share: the parsed Resize/Upsample node, onnxruntime's nearest
// source index, the separable fallback (resize_separable.cc) and the run-time-parameter
// path (resize_runtime.cc).
#pragma once

#include <string>
#include <vector>

#include "lower/context.h"

namespace pt2tflite::lower::resize {

// A Resize/Upsample node with every opset form resolved to per-axis values.
struct ResizeSpec {
  std::string mode;
  bool linear = false;
  std::string coord;         // coordinate_transformation_mode
  std::string nearest_mode;  // "" = the pre-opset-11 rule (floor up, ceil down)
  std::vector<float> scales;  // per axis of X
  std::vector<double> exact_scales;  // the same in double, as the ONNX reference uses them
  bool from_scales = false;   // the output extents came from scales, not sizes
  std::vector<double> roi_start, roi_end;  // per axis of X (tf_crop_and_resize)
  ir::Shape out;
};

// What onnxruntime samples for output cell o along an axis: the input index (nearest) or
// the clamped source coordinate (linear).
double onnx_source(const ResizeSpec& s, int o, int64_t in, int64_t out, float scale);

// Resizes axis by axis in the ONNX layout, after the ONNX reference implementation.
Status lower_separable(LowerContext& ctx, ir::Node& n, const ResizeSpec& s);

// resize_runtime.cc: scales, sizes or roi computed at run time (or X with run-time extents).
bool has_runtime_params(const ir::Node& n);
Status infer_runtime(ir::Node& n);  // resized extents -1
Status lower_runtime(LowerContext& ctx, ir::Node& n);

}  // namespace pt2tflite::lower::resize
