// Quantization arithmetic from the TFLite quantization spec:
//   real = (q - zero_point) × scale
// Activations: asymmetric per tensor, the range nudged to contain 0 (so zero is exact: padding
// and ReLU depend on it). Weights: symmetric, zero point 0, int8 in [-127, 127] (the spec leaves
// -128 out so that −w is representable), per channel along one axis or per tensor.
// Bias: int32 (int64 for 16x8) with scale = input_scale × weight_scale, zero point 0.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/tensor.h"

namespace pt2tflite::quant {

// Values at the float limits stand for ±infinity (the -FLT_MAX that pads a max pool): they
// saturate to the integer limits and must not stretch a scale, so ranges skip them.
constexpr float kInfinityLike = 1e30f;
inline bool counts_for_range(float x) { return x > -kInfinityLike && x < kInfinityLike; }  // false for NaN too

struct Range {
  float min = 0;
  float max = 0;
  // Values beyond ±kInfinityLike were seen (and left out of min/max): an attention mask's −inf,
  // MaxPool's −FLT_MAX padding. Harmless where the int8 grid's clamp to its end keeps the
  // result (max pooling), wrong where it does not (softmax over masked scores).
  bool infinite = false;
};

struct QParams {
  float scale = 1;
  int64_t zero_point = 0;
};

// Integer limits of a quantized dtype (int8 [-128,127], uint8 [0,255], int16 [-32768,32767]).
int64_t qmin(ir::DType t);
int64_t qmax(ir::DType t);

// Asymmetric params covering `r` ∪ {0} over [qmin, qmax].
QParams asymmetric(Range r, int64_t qmin, int64_t qmax);
// Symmetric params (zero point 0): max|r| maps to qmax.
QParams symmetric(Range r, int64_t qmax);

// float32 → quantized dtype `t` with one (scale, zero point), rounding half away from zero
// as TFLite's reference QUANTIZE does, saturating at the dtype's limits.
ir::Tensor quantize(const ir::Tensor& f, QParams p, ir::DType t);
// And back: (q - zp) × scale, as float32.
ir::Tensor dequantize(const ir::Tensor& q, QParams p);

// Symmetric int8 weights in [-127, 127]: one scale per slice along `axis` (per channel), or one
// for the whole tensor when axis < 0. An all-zero slice gets scale 1 (any positive scale is exact).
struct QuantizedWeights {
  ir::Tensor data;
  std::vector<float> scales;
};
QuantizedWeights quantize_weights(const ir::Tensor& f, int axis);

// Bias: q[c] = round(b[c] / (input_scale × weight_scales[c or 0])), int32 or int64, saturating.
struct QuantizedBias {
  ir::Tensor data;
  std::vector<float> scales;
};
QuantizedBias quantize_bias(const ir::Tensor& f, float input_scale, const std::vector<float>& weight_scales,
                            ir::DType t);

}  // namespace pt2tflite::quant
