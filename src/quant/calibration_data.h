// Representative samples for calibration, matched to the lowered graph's inputs.
//
// Sources: a .npy file, an .npz archive, or a folder of them (read in file-name order), a
// folder of images (calibration_images.h), or arrays handed over in memory (the Python API). An array is one sample (the input's
// shape) or a stack of samples (one more leading axis). An .npz maps its arrays to inputs by
// name (a one-input model takes its single array whatever its name). Arrays may be any float
// or integer dtype: each is converted to the input's dtype. With --nhwc-io an array in the
// ONNX model's NCHW shape is transposed to the NHWC input it feeds.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "pt2tflite/status.h"
#include "quant/calibrate.h"
#include "quant/calibration_images.h"

namespace pt2tflite::quant {

struct SampleSource {
  bool nhwc_io = false;
  int64_t limit = 0;  // keep the first `limit` samples; 0 = all
  ImageOptions image;  // preprocessing of image files (refused for arrays)
};

Result<std::vector<Sample>> load_samples(const ir::Graph& g, const std::string& path, const SampleSource& src);

// `arrays`: samples × inputs (input order), or a single entry holding stacks.
Result<std::vector<Sample>> samples_from_arrays(const ir::Graph& g, const std::vector<std::vector<ir::Tensor>>& arrays,
                                                const SampleSource& src);

}  // namespace pt2tflite::quant
