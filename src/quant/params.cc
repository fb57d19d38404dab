#include "quant/params.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pt2tflite::quant {

using ir::DType;

int64_t qmin(DType t) {
  switch (t) {
    case DType::kInt8: return -128;
    case DType::kUInt8: return 0;
    case DType::kInt16: return -32768;
    case DType::kInt32: return std::numeric_limits<int32_t>::min();
    default: return std::numeric_limits<int64_t>::min();
  }
}

int64_t qmax(DType t) {
  switch (t) {
    case DType::kInt8: return 127;
    case DType::kUInt8: return 255;
    case DType::kInt16: return 32767;
    case DType::kInt32: return std::numeric_limits<int32_t>::max();
    default: return std::numeric_limits<int64_t>::max();
  }
}

namespace {

// A range too narrow to hold distinct levels still needs a positive scale.
constexpr float kMinScale = 1e-9f;

template <typename T>
void store(ir::Tensor& out, const std::vector<int64_t>& q) {
  out.bytes.resize(q.size() * sizeof(T));
  T* p = out.data<T>();
  for (size_t i = 0; i < q.size(); ++i) p[i] = static_cast<T>(q[i]);
}

void store_as(ir::Tensor& out, const std::vector<int64_t>& q) {
  switch (out.dtype) {
    case DType::kInt8: store<int8_t>(out, q); break;
    case DType::kUInt8: store<uint8_t>(out, q); break;
    case DType::kInt16: store<int16_t>(out, q); break;
    case DType::kInt32: store<int32_t>(out, q); break;
    default: store<int64_t>(out, q); break;
  }
}

int64_t round_clamp(double x, int64_t lo, int64_t hi) {
  const double r = std::round(x);  // half away from zero
  if (!(r >= static_cast<double>(lo))) return lo;  // also NaN → lo
  if (r > static_cast<double>(hi)) return hi;
  return static_cast<int64_t>(r);
}

}  // namespace

QParams asymmetric(Range r, int64_t lo, int64_t hi) {
  const double rmin = std::min(0.0, static_cast<double>(r.min));
  const double rmax = std::max(0.0, static_cast<double>(r.max));
  QParams p;
  p.scale = static_cast<float>(std::max((rmax - rmin) / static_cast<double>(hi - lo), static_cast<double>(kMinScale)));
  // rmin ≤ 0 ≤ rmax, so the integer that represents real 0 lies in [lo, hi]: zero is exact.
  p.zero_point = round_clamp(static_cast<double>(lo) - rmin / p.scale, lo, hi);
  return p;
}

QParams symmetric(Range r, int64_t hi) {
  const double m = std::max(std::abs(static_cast<double>(r.min)), std::abs(static_cast<double>(r.max)));
  QParams p;
  p.scale = static_cast<float>(std::max(m / static_cast<double>(hi), static_cast<double>(kMinScale)));
  p.zero_point = 0;
  return p;
}

ir::Tensor quantize(const ir::Tensor& f, QParams p, DType t) {
  const std::vector<float> x = f.to_floats();
  std::vector<int64_t> q(x.size());
  const int64_t lo = qmin(t), hi = qmax(t);
  for (size_t i = 0; i < x.size(); ++i)
    q[i] = round_clamp(static_cast<double>(x[i]) / p.scale + static_cast<double>(p.zero_point), lo, hi);
  ir::Tensor out{t, f.shape, {}};
  store_as(out, q);
  return out;
}

ir::Tensor dequantize(const ir::Tensor& q, QParams p) {
  const std::vector<int64_t> v = q.to_int64s();
  std::vector<float> x(v.size());
  for (size_t i = 0; i < v.size(); ++i) x[i] = static_cast<float>(static_cast<double>(v[i] - p.zero_point) * p.scale);
  return ir::Tensor::from_floats(q.shape, x);
}

QuantizedWeights quantize_weights(const ir::Tensor& f, int axis) {
  const std::vector<float> x = f.to_floats();
  const int64_t channels = axis < 0 ? 1 : f.shape[axis];
  int64_t inner = 1;  // elements between consecutive channel indices
  if (axis >= 0)
    for (size_t d = static_cast<size_t>(axis) + 1; d < f.shape.size(); ++d) inner *= f.shape[d];
  auto channel_of = [&](size_t i) { return axis < 0 ? 0 : static_cast<int64_t>(i / inner) % channels; };

  std::vector<float> absmax(channels, 0.0f);
  for (size_t i = 0; i < x.size(); ++i) absmax[channel_of(i)] = std::max(absmax[channel_of(i)], std::abs(x[i]));
  QuantizedWeights w;
  w.scales.resize(channels);
  for (int64_t c = 0; c < channels; ++c) w.scales[c] = absmax[c] > 0 ? absmax[c] / 127.0f : 1.0f;
  std::vector<int64_t> q(x.size());
  for (size_t i = 0; i < x.size(); ++i) q[i] = round_clamp(static_cast<double>(x[i]) / w.scales[channel_of(i)], -127, 127);
  w.data = ir::Tensor{DType::kInt8, f.shape, {}};
  store_as(w.data, q);
  return w;
}

QuantizedBias quantize_bias(const ir::Tensor& f, float input_scale, const std::vector<float>& weight_scales, DType t) {
  const std::vector<float> x = f.to_floats();
  QuantizedBias b;
  b.scales.resize(weight_scales.size());
  for (size_t c = 0; c < weight_scales.size(); ++c) b.scales[c] = input_scale * weight_scales[c];
  std::vector<int64_t> q(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const float s = b.scales[weight_scales.size() == 1 ? 0 : i % weight_scales.size()];
    q[i] = round_clamp(static_cast<double>(x[i]) / s, qmin(t), qmax(t));
  }
  b.data = ir::Tensor{t, f.shape, {}};
  store_as(b.data, q);
  return b;
}

}  // namespace pt2tflite::quant
