// LSTM as TFLite's fused UNIDIRECTIONAL_SEQUENCE_LSTM (recurrent_fused.cc).
#pragma once

#include "ir/graph.h"

namespace pt2tflite::lower {

class LowerContext;

// Emits the fused form of a validated onnx.LSTM node and returns true when the options ask
// for it and it is exact; returns false, emitting nothing, otherwise (the caller unrolls).
bool lower_lstm_fused(LowerContext& ctx, const ir::Node& n);

}  // namespace pt2tflite::lower
