// How each tfl.* op is quantized (integer modes), from the TFLite quantization spec and the
// constraints LiteRT's integer kernels check when they are prepared.
//
//   kFree    every float input and the output get their own parameters from their ranges
//   kShared  all float inputs and outputs share one (scale, zero point): the kernel moves raw
//            integers (reshape, pooling, concat, pad, slicing, max/min, resize ...)
//   kFixed   the output's parameters are fixed by the spec (logistic, tanh, softmax ...)
//
// `weight`/`bias` name the constant inputs quantized symmetrically (per channel along
// weight_axis) and as int32/int64 bias with scale = input scale × weight scale.
// An op without a rule has no integer kernel: it stays float only when the user asks.
#pragma once

#include <string>

#include "quant/params.h"

namespace pt2tflite::quant {

enum class OutputRule { kFree, kShared, kFixed };

struct OpQuantRule {
  OutputRule output = OutputRule::kFree;
  int weight = -1;       // input index of the weights, -1: none
  int weight_axis = -1;  // per-channel axis of the weights, -1: per tensor only
  int bias = -1;         // input index of the bias, -1: none
  int data = 0;          // input index whose scale multiplies the weight scale in the bias scale
  bool int16 = false;    // has an int16-activation (16x8) kernel too
  QParams fixed_int8, fixed_int16;
};

// nullptr: the op has no integer kernel.
const OpQuantRule* find_rule(const std::string& op);

}  // namespace pt2tflite::quant
