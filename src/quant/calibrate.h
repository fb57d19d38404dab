// Calibration: runs the lowered float graph on the reference kernels (src/exec) over the
// representative samples and records a range for every float tensor the graph computes
// (graph inputs and node outputs), keyed by value name. Samples run in parallel, one
// interpreter per thread.
//
// Observers (--observer):
//   minmax          the min and max seen over all samples (TFLite's default)
//   moving_average  min/max per sample, averaged with an exponential moving average
//                   (weight 0.01 for each new sample); the first sample sets the start
//   percentile      a second pass histograms every tensor over its min/max range and clips the
//                   range to the [100−p, p] percentiles (p = --percentile, default 99.99):
//                   rare outliers no longer stretch the scale
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "pt2tflite/status.h"
#include "quant/params.h"

namespace pt2tflite::quant {

enum class ObserverKind { kMinMax, kMovingAverage, kPercentile };

struct CalibrationOptions {
  ObserverKind observer = ObserverKind::kMinMax;
  double percentile = 99.99;
  // Samples run on this many threads (0: one per hardware thread, at most 8). The ranges do not depend
  // on it: per-sample results are merged in sample order.
  int threads = 0;
  // Called after every sample of every pass: (samples done, samples in all passes).
  std::function<void(size_t, size_t)> progress;
};

using Sample = std::vector<ir::Tensor>;  // one float32 tensor per graph input, the graph's shapes
using RangeMap = std::map<std::string, Range>;

Result<RangeMap> calibrate(const ir::Graph& g, const std::vector<Sample>& samples, const CalibrationOptions& options);

}  // namespace pt2tflite::quant
