// Operator versions that quantized kernels need (TFLite's op_version rules for int8, 16x8 and
// hybrid kernels). The writer takes the larger of this and the float version in op_table.cc.
#pragma once

#include "ir/graph.h"

namespace pt2tflite::tflite_writer {

// 0 when the node runs no quantized kernel.
int quantized_version(const ir::Node& n);

}  // namespace pt2tflite::tflite_writer
