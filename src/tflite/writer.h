// ir::Graph of tfl.* nodes → TFLite flatbuffer bytes (schema v3, file id TFL3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "pt2tflite/status.h"

namespace pt2tflite::tflite_writer {

struct WriteOptions {
  std::string description = "pt2tflite";
  std::string signature_key = "serving_default";
};

// Refuses any node that is not a known tfl.* op. The result has passed the flatbuffers
// Verifier. Same graph → same bytes.
Result<std::vector<uint8_t>> write_model(const ir::Graph& g, const WriteOptions& options = {});

// The same bytes handed to `sink` straight from the flatbuffer builder: no second copy of the
// weights (peak memory on large models). `sink`'s status is returned.
using ByteSink = std::function<Status(const uint8_t* data, size_t size)>;
Status write_model(const ir::Graph& g, const WriteOptions& options, const ByteSink& sink);

}  // namespace pt2tflite::tflite_writer
