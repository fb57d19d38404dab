#include "quant/calibrate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "exec/interpreter.h"

namespace pt2tflite::quant {

namespace {

constexpr double kMovingAverageWeight = 0.01;
constexpr int kHistogramBins = 2048;

Range range_of(const ir::Tensor& t) {
  Range r{std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
  const float* p = t.data<float>();
  for (int64_t i = 0, n = t.size(); i < n; ++i) {
    if (!counts_for_range(p[i])) continue;
    r.min = std::min(r.min, p[i]);
    r.max = std::max(r.max, p[i]);
  }
  if (r.min > r.max) r = Range{0, 0};
  return r;
}

struct Histogram {
  Range range;
  std::vector<uint64_t> bins = std::vector<uint64_t>(kHistogramBins, 0);
  uint64_t total = 0;

  void add(const ir::Tensor& t) {
    const float* p = t.data<float>();
    const double width = static_cast<double>(range.max) - range.min;
    for (int64_t i = 0, n = t.size(); i < n; ++i) {
      if (!counts_for_range(p[i])) continue;
      int b = width > 0 ? static_cast<int>((p[i] - range.min) / width * kHistogramBins) : 0;
      ++bins[std::clamp(b, 0, kHistogramBins - 1)];
      ++total;
    }
  }

  // The value below which `fraction` of the samples lie (bin edge, conservative outwards).
  float quantile(double fraction, bool upper) const {
    const double width = (static_cast<double>(range.max) - range.min) / kHistogramBins;
    const double target = fraction * static_cast<double>(total);
    double seen = 0;
    for (int b = 0; b < kHistogramBins; ++b) {
      seen += static_cast<double>(bins[b]);
      if (seen >= target) return static_cast<float>(range.min + width * (upper ? b + 1 : b));
    }
    return range.max;
  }
};

}  // namespace

Result<RangeMap> calibrate(const ir::Graph& g, const std::vector<Sample>& samples, const CalibrationOptions& options) {
  if (samples.empty()) return invalid_argument("calibration needs at least one representative sample");
  PT_ASSIGN_OR_RETURN(exec::Interpreter interp, exec::Interpreter::create(g));
  const bool percentile = options.observer == ObserverKind::kPercentile;
  const size_t total = samples.size() * (percentile ? 2 : 1);
  size_t done = 0;

  RangeMap ranges;
  std::unordered_map<const ir::Value*, Range> seen;
  bool first = true;
  for (const Sample& s : samples) {
    PT_RETURN_IF_ERROR(interp.run(s, [&](const ir::Value& v, const ir::Tensor& t) {
      if (v.dtype != ir::DType::kFloat32) return;
      const Range r = range_of(t);
      auto [it, fresh] = seen.try_emplace(&v, r);
      if (fresh) return;
      Range& acc = it->second;
      if (options.observer == ObserverKind::kMovingAverage && !first) {
        acc.min = static_cast<float>((1 - kMovingAverageWeight) * acc.min + kMovingAverageWeight * r.min);
        acc.max = static_cast<float>((1 - kMovingAverageWeight) * acc.max + kMovingAverageWeight * r.max);
      } else {
        acc.min = std::min(acc.min, r.min);
        acc.max = std::max(acc.max, r.max);
      }
    }));
    first = false;
    if (options.progress) options.progress(++done, total);
  }

  if (percentile) {
    std::unordered_map<const ir::Value*, Histogram> hist;
    for (const auto& [v, r] : seen) hist[v].range = r;
    for (const Sample& s : samples) {
      PT_RETURN_IF_ERROR(interp.run(s, [&](const ir::Value& v, const ir::Tensor& t) {
        auto it = hist.find(&v);
        if (it != hist.end()) it->second.add(t);
      }));
      if (options.progress) options.progress(++done, total);
    }
    const double tail = std::clamp(1.0 - options.percentile / 100.0, 0.0, 0.5);
    for (auto& [v, h] : hist) {
      if (h.total == 0) continue;
      seen[v] = Range{h.quantile(tail, false), h.quantile(1.0 - tail, true)};
    }
  }
  for (const auto& [v, r] : seen) ranges[v->name] = r;
  return ranges;
}

}  // namespace pt2tflite::quant
