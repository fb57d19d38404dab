// Reads a TFLite flatbuffer back into a plain description: for `inspect`, for the writer's
// round-trip tests, and to check quantization parameters in written files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pt2tflite/status.h"

namespace pt2tflite::tflite_writer {

struct TensorInfo {
  std::string name;
  std::vector<int32_t> shape;
  std::string type;       // "FLOAT32", "INT8", ...
  size_t data_bytes = 0;  // > 0 for constants
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int quantized_dimension = 0;
  bool is_variable = false;
};

struct OperatorInfo {
  std::string op;  // "CONV_2D"
  int version = 1;
  std::vector<int32_t> inputs, outputs;
};

struct ModelInfo {
  uint32_t schema_version = 0;
  std::string description;
  std::vector<TensorInfo> tensors;
  std::vector<OperatorInfo> operators;
  std::vector<int32_t> inputs, outputs;
  std::vector<std::string> signature_inputs, signature_outputs;  // names of the first SignatureDef
  size_t file_bytes = 0;
  size_t subgraphs = 0;
};

// Verifies the buffer (file identifier TFL3, flatbuffers Verifier) and describes subgraph 0.
Result<ModelInfo> read_model(const uint8_t* data, size_t size);

}  // namespace pt2tflite::tflite_writer
