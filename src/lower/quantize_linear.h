// Pieces of the ONNX quantization ops shared by quantize_linear.cc and
// integer_matmul_conv.cc: integer ranges and the exact float composition of
// "round half to even, add zero point, saturate".
#pragma once

#include <string>

#include "lower/context.h"

namespace pt2tflite::lower {

// [lo, hi] of a quantized integer type (int8, uint8, int16, int32); false for others.
bool quant_range(ir::DType t, int64_t* lo, int64_t* hi);

// out = saturate(round_half_to_even(x ∘ s) + zp) as out->dtype, where ∘ is `op` ("tfl.DIV"
// for QuantizeLinear's x / scale, "tfl.MUL" for a requantization multiplier). x, s and zp
// are float32 (zp may be null: 0) and broadcast to out's shape. TFLite's float DIV/MUL are
// correctly rounded and its ROUND is half-to-even, so this is bit-exact with ONNX.
void emit_quantize(LowerContext& ctx, const ir::Node& n, ir::Value* x, const std::string& op, ir::Value* s,
                   ir::Value* zp, ir::Value* out);

// When q (int8/uint8/int16) is the CAST ending emit_quantize's chain, the float32 value it
// casts: it already holds q's integers exactly (integral, within q's range), so a consumer
// can read it instead of casting q back to float. nullptr otherwise.
ir::Value* quantized_float_source(ir::Graph& g, const ir::Value* q);

// The same on the host, in float32 arithmetic: saturate(nearbyint(x ∘ s) + zp).
int64_t quantize_value(float x, float s, bool divide, float zp, int64_t lo, int64_t hi);

}  // namespace pt2tflite::lower
