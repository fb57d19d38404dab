// Weight-only modes: activations stay float32, constants shrink.
//
//   --quantize float16  every float constant of ≥ kMinElements elements is stored FLOAT16 and a
//                       DEQUANTIZE turns it back into float32 at run time (LiteRT folds it once
//                       at load; GPU delegates read the halves directly).
//   --quantize dynamic  weights of ≥ 1024 elements become int8 symmetric. CONV_2D,
//                       DEPTHWISE_CONV_2D and FULLY_CONNECTED read them directly (TFLite's hybrid
//                       kernels quantize the activations on the fly); elsewhere an int8
//                       DEQUANTIZE restores float32.
#pragma once

#include "ir/graph.h"
#include "pt2tflite/status.h"

namespace pt2tflite::quant {

// Scalars and tiny vectors stay float32: a DEQUANTIZE op costs more than the bytes it saves.
constexpr int64_t kMinFloat16Elements = 16;
// TFLite's dynamic-range threshold: smaller tensors are not worth the precision loss.
constexpr int64_t kMinDynamicElements = 1024;

Status quantize_float16(ir::Graph& g);
Status quantize_dynamic(ir::Graph& g, bool per_tensor);

}  // namespace pt2tflite::quant
