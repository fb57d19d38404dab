#include "quant/quantize.h"

#include <algorithm>

#include "quant/auto_fallback.h"
#include "quant/calibrate.h"
#include "quant/calibration_data.h"
#include "quant/quantize_integer.h"
#include "quant/quantize_weights_only.h"

namespace pt2tflite::quant {

namespace {

ir::DType io_dtype(IoType t) {
  switch (t) {
    case IoType::kInt8: return ir::DType::kInt8;
    case IoType::kUInt8: return ir::DType::kUInt8;
    case IoType::kInt16: return ir::DType::kInt16;
    case IoType::kFloat32: break;
  }
  return ir::DType::kFloat32;
}

Result<std::vector<Sample>> samples(const ir::Graph& g, const QuantizeOptions& o, bool nhwc_io) {
  SampleSource src{nhwc_io, o.calibration_size, ImageOptions{o.mean, o.std, o.channel_order == ChannelOrder::kBgr}};
  if (!o.calibration_samples.empty()) {
    std::vector<std::vector<ir::Tensor>> arrays;
    for (const auto& sample : o.calibration_samples) {
      arrays.emplace_back();
      for (const FloatArray& a : sample) arrays.back().push_back(ir::Tensor::from_floats(a.shape, a.data));
    }
    return samples_from_arrays(g, arrays, src);
  }
  if (!o.calibration_path.empty()) return load_samples(g, o.calibration_path, src);
  return invalid_argument(
      "full-integer quantization needs representative data to calibrate activation ranges: "
      "--calibration FILE_OR_DIR (.npy/.npz or images), or representative_dataset in Python");
}

}  // namespace

Status quantize(ir::Graph& g, const QuantizeOptions& o, bool nhwc_io, std::ostream* log) {
  const bool integer = o.mode == QuantizeMode::kInt8 || o.mode == QuantizeMode::kInt16x8;
  if (!integer && (o.input_type != IoType::kFloat32 || o.output_type != IoType::kFloat32))
    return invalid_argument("--io-type other than float32 needs --quantize int8 or int16x8");
  if (!integer && (!o.mean.empty() || !o.std.empty() || o.channel_order != ChannelOrder::kRgb))
    return invalid_argument("--mean, --std and --channel-order preprocess calibration images: they need --quantize "
                            "int8 or int16x8");
  switch (o.mode) {
    case QuantizeMode::kNone: return Status::ok();
    case QuantizeMode::kFloat16: return quantize_float16(g);
    case QuantizeMode::kDynamic: return quantize_dynamic(g, o.per_tensor);
    case QuantizeMode::kInt8:
    case QuantizeMode::kInt16x8: break;
  }
  PT_ASSIGN_OR_RETURN(std::vector<Sample> data, samples(g, o, nhwc_io));
  CalibrationOptions co;
  co.observer = o.observer == CalibrationObserver::kPercentile      ? ObserverKind::kPercentile
                : o.observer == CalibrationObserver::kMovingAverage ? ObserverKind::kMovingAverage
                                                                    : ObserverKind::kMinMax;
  co.percentile = o.percentile;
  co.progress = o.progress;
  PT_ASSIGN_OR_RETURN(RangeMap ranges, calibrate(g, data, co));

  IntegerOptions io;
  io.activations = o.mode == QuantizeMode::kInt16x8 ? ir::DType::kInt16 : ir::DType::kInt8;
  io.input_type = io_dtype(o.input_type);
  io.output_type = io_dtype(o.output_type);
  io.per_tensor = o.per_tensor;
  io.keep_float = o.fallback_float;
  io.allow_float_fallback = o.allow_float_fallback;
  if (o.auto_fallback_db > 0) {
    std::vector<Sample> few(data.begin(), data.begin() + static_cast<long>(std::min<size_t>(
                                                           data.size(), static_cast<size_t>(std::max<int64_t>(1, o.auto_fallback_samples)))));
    PT_ASSIGN_OR_RETURN(FallbackChoice c, choose_float_layers(g, ranges, io, few, o.auto_fallback_db, log));
    if (!c.reached && log)
      *log << "auto-fallback: the target " << o.auto_fallback_db << " dB is not reachable; best simulated "
           << c.output_db << " dB with " << c.keep_float.size() << " layer(s) float\n";
    io.keep_float = c.keep_float;
  }
  PT_ASSIGN_OR_RETURN(Plan plan, plan_integer(g, ranges, io));
  return apply_plan(g, plan, io);
}

}  // namespace pt2tflite::quant
