#include "quant/calibrate.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "exec/interpreter.h"

namespace pt2tflite::quant {

namespace {

constexpr double kMovingAverageWeight = 0.01;
constexpr int kHistogramBins = 2048;

// Min and max over the values that count for a range. Runs on every tensor of every sample,
// so it is written to vectorize: independent lanes with branchless selects (a `continue` on
// the filtered values kept the compiler scalar, a fifth of the calibration time).
Range range_of(const ir::Tensor& t) {
  constexpr int kLanes = 16;
  constexpr float inf = std::numeric_limits<float>::infinity();
  float lo[kLanes], hi[kLanes];
  bool beyond[kLanes] = {};
  std::fill(lo, lo + kLanes, inf);
  std::fill(hi, hi + kLanes, -inf);
  const float* p = t.data<float>();
  const int64_t n = t.size(), body = n - n % kLanes;
  for (int64_t i = 0; i < body; i += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      const float x = p[i + j];
      const bool ok = (x > -kInfinityLike) & (x < kInfinityLike);  // counts_for_range, without a branch
      const float a = ok ? x : inf, b = ok ? x : -inf;
      lo[j] = a < lo[j] ? a : lo[j];
      hi[j] = b > hi[j] ? b : hi[j];
      beyond[j] = beyond[j] | (!ok & (x == x));  // not NaN
    }
  for (int64_t i = body; i < n; ++i)
    if (counts_for_range(p[i])) {
      lo[0] = std::min(lo[0], p[i]);
      hi[0] = std::max(hi[0], p[i]);
    } else if (p[i] == p[i]) {
      beyond[0] = true;
    }
  Range r{*std::min_element(lo, lo + kLanes), *std::max_element(hi, hi + kLanes)};
  if (r.min > r.max) r = Range{0, 0};
  r.infinite = std::any_of(beyond, beyond + kLanes, [](bool b) { return b; });
  return r;
}

struct Histogram {
  Range range;
  std::vector<uint64_t> bins = std::vector<uint64_t>(kHistogramBins, 0);
  uint64_t total = 0;

  void add(const ir::Tensor& t) {
    const float* p = t.data<float>();
    const double width = static_cast<double>(range.max) - range.min;
    // A multiply per value, not a division: this loop is most of the percentile pass.
    const double bins_per_unit = width > 0 ? kHistogramBins / width : 0;
    const double lo = range.min;
    for (int64_t i = 0, n = t.size(); i < n; ++i) {
      if (!counts_for_range(p[i])) continue;
      const int b = static_cast<int>((static_cast<double>(p[i]) - lo) * bins_per_unit);
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

  void merge(const Histogram& o) {
    for (int b = 0; b < kHistogramBins; ++b) bins[b] += o.bins[b];
    total += o.total;
  }
};

// Runs `samples` on up to `threads` interpreters at once (one per thread: an interpreter is not
// re-entrant, interpreters over one graph share nothing mutable). `work(interp, i)` handles
// sample i on its thread's interpreter; the error of the lowest failing sample is returned,
// so the outcome does not depend on the schedule.
Status for_each_sample(const std::vector<exec::Interpreter*>& interps, size_t n,
                       const std::function<Status(exec::Interpreter&, size_t, size_t)>& work) {
  std::atomic<size_t> next{0};
  std::vector<Status> status(n);
  auto loop = [&](size_t t) {
    for (size_t i = next++; i < n; i = next++) status[i] = work(*interps[t], i, t);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < interps.size(); ++t) pool.emplace_back(loop, t);
  loop(0);
  for (std::thread& th : pool) th.join();
  for (Status& s : status)
    if (!s.is_ok()) return s;
  return Status::ok();
}

// Each thread holds an interpreter with its own intermediates: cap the default so a many-core
// machine does not multiply the memory for little gain.
constexpr size_t kMaxDefaultThreads = 8;

size_t thread_count(const CalibrationOptions& o, size_t samples) {
  size_t t = o.threads > 0 ? static_cast<size_t>(o.threads)
                           : std::min<size_t>(kMaxDefaultThreads, std::max(1u, std::thread::hardware_concurrency()));
  return std::max<size_t>(1, std::min(t, samples));
}

}  // namespace

Result<RangeMap> calibrate(const ir::Graph& g, const std::vector<Sample>& samples, const CalibrationOptions& options) {
  if (samples.empty()) return invalid_argument("calibration needs at least one representative sample");
  std::vector<exec::Interpreter> owned;
  for (size_t t = 0, n = thread_count(options, samples.size()); t < n; ++t) {
    PT_ASSIGN_OR_RETURN(exec::Interpreter interp, exec::Interpreter::create(g));
    owned.push_back(std::move(interp));
  }
  std::vector<exec::Interpreter*> interps;
  for (exec::Interpreter& i : owned) interps.push_back(&i);
  const bool percentile = options.observer == ObserverKind::kPercentile;
  const size_t total = samples.size() * (percentile ? 2 : 1);
  size_t done = 0;
  std::mutex progress_mutex;
  auto progress = [&] {
    if (!options.progress) return;
    std::lock_guard<std::mutex> lock(progress_mutex);
    options.progress(++done, total);
  };

  // Pass 1: every sample's range of every float tensor, in the interpreter's (fixed) order;
  // merged below in sample order, so the result is the same for any thread count.
  using SampleRanges = std::vector<std::pair<const ir::Value*, Range>>;
  std::vector<SampleRanges> per_sample(samples.size());
  PT_RETURN_IF_ERROR(for_each_sample(interps, samples.size(), [&](exec::Interpreter& interp, size_t i, size_t) {
    Status s = interp.run(samples[i], [&](const ir::Value& v, const ir::Tensor& t) {
      if (v.dtype == ir::DType::kFloat32) per_sample[i].emplace_back(&v, range_of(t));
    });
    progress();
    return s;
  }));

  std::unordered_map<const ir::Value*, Range> seen;
  bool first = true;
  for (const SampleRanges& sample : per_sample) {
    for (const auto& [v, r] : sample) {
      auto [it, fresh] = seen.try_emplace(v, r);
      if (fresh) continue;
      Range& acc = it->second;
      acc.infinite = acc.infinite || r.infinite;
      if (options.observer == ObserverKind::kMovingAverage && !first) {
        acc.min = static_cast<float>((1 - kMovingAverageWeight) * acc.min + kMovingAverageWeight * r.min);
        acc.max = static_cast<float>((1 - kMovingAverageWeight) * acc.max + kMovingAverageWeight * r.max);
      } else {
        acc.min = std::min(acc.min, r.min);
        acc.max = std::max(acc.max, r.max);
      }
    }
    first = false;
  }

  if (percentile) {
    // Pass 2: a histogram per tensor and thread over its pass-1 range; counts add up exactly.
    std::vector<std::unordered_map<const ir::Value*, Histogram>> hists(interps.size());
    for (auto& h : hists)
      for (const auto& [v, r] : seen) h[v].range = r;
    PT_RETURN_IF_ERROR(for_each_sample(interps, samples.size(), [&](exec::Interpreter& interp, size_t i, size_t t) {
      Status s = interp.run(samples[i], [&](const ir::Value& v, const ir::Tensor& x) {
        auto it = hists[t].find(&v);
        if (it != hists[t].end()) it->second.add(x);
      });
      progress();
      return s;
    }));
    const double tail = std::clamp(1.0 - options.percentile / 100.0, 0.0, 0.5);
    for (auto& [v, h] : hists[0]) {
      for (size_t t = 1; t < hists.size(); ++t) h.merge(hists[t].at(v));
      if (h.total == 0) continue;
      seen[v] = Range{h.quantile(tail, false), h.quantile(1.0 - tail, true), seen[v].infinite};
    }
  }
  RangeMap ranges;
  for (const auto& [v, r] : seen) ranges[v->name] = r;
  return ranges;
}

}  // namespace pt2tflite::quant
