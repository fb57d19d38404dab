// pt2tflite public C++ API: ONNX model in, TFLite flatbuffer bytes (or an error) out.
// The CLI and the Python binding are thin layers over these functions.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "pt2tflite/status.h"

namespace pt2tflite {

// Fixes the dimensions of one model input: every symbolic dimension must be fixed before
// conversion, because TFLite kernels are planned for static shapes.
struct InputShape {
  std::string name;
  std::vector<int64_t> dims;
};

enum class QuantizeMode { kNone, kFloat16, kDynamic, kInt8, kInt16x8 };
enum class IoType { kFloat32, kInt8, kUInt8, kInt16 };
enum class CalibrationObserver { kMinMax, kMovingAverage, kPercentile };
enum class ChannelOrder { kRgb, kBgr };
// How ONNX LSTM nodes are converted: TFLite's fused UNIDIRECTIONAL_SEQUENCE_LSTM where it is
// exact (else unrolled), or always unrolled into plain ops (TFLite Micro, Ethos-U/Vela).
enum class LstmForm { kFused, kUnrolled };

// One array of a calibration sample, in the model's input layout (NCHW arrays are accepted
// for NHWC inputs under --nhwc-io and transposed).
struct FloatArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct QuantizeOptions {
  QuantizeMode mode = QuantizeMode::kNone;
  // Types of the model's inputs/outputs in int8 / int16x8 mode (float32: QUANTIZE/DEQUANTIZE at
  // the borders; uint8 goes with int8, int16 with int16x8).
  IoType input_type = IoType::kFloat32;
  IoType output_type = IoType::kFloat32;
  // Conv/depthwise weights per tensor instead of per output channel.
  bool per_tensor = false;
  // Representative data (int8 / int16x8): a .npy or .npz file, or a folder of them. Each array
  // is one sample (the input's shape) or a stack of samples (one more leading axis). An .npz
  // names its arrays after the model's inputs (or holds one array for a one-input model).
  // Or a folder of images (.png .jpg .jpeg .bmp .ppm .pgm) for a one-input image model: each is
  // resized (bilinear) to the input's H×W, scaled to [0, 1] and normalised with the fields below.
  std::string calibration_path;
  // Image preprocessing: (x - mean) / std per input channel (one value: every channel);
  // empty: mean 0, std 1. Channel order of colour images as the model expects them.
  std::vector<float> mean;
  std::vector<float> std;
  ChannelOrder channel_order = ChannelOrder::kRgb;
  // Or in memory: samples × (one array per model input, in input order).
  std::vector<std::vector<FloatArray>> calibration_samples;
  int64_t calibration_size = 0;  // use the first N samples only; 0 = all
  CalibrationObserver observer = CalibrationObserver::kMinMax;
  double percentile = 99.99;  // for kPercentile
  // Node names (ONNX names) or TFLite op types (CONV_2D) kept float32 in int8/int16x8 mode.
  std::vector<std::string> fallback_float;
  // Ops with no integer kernel stay float32 instead of failing the conversion.
  bool allow_float_fallback = false;
  // > 0: keep the fewest layers float32 that bring the output SQNR against the float model to
  // this many dB, measured by simulating the integer model on the first auto_fallback_samples
  // calibration samples (greedy, worst layer first).
  double auto_fallback_db = 0;
  int64_t auto_fallback_samples = 8;
  // Called while calibrating: (samples done, samples to do).
  std::function<void(size_t, size_t)> progress;
};

struct ConvertOptions {
  // Inputs and outputs in NHWC (channels last) instead of the model's NCHW: removes the
  // border transposes. Applies to every 3-D to 5-D input and output.
  bool nhwc_io = false;
  // Value for a symbolic leading (batch) dimension of every input; 0 = not given.
  int64_t batch = 0;
  // Explicit shapes for named inputs; takes precedence over `batch`.
  std::vector<InputShape> input_shapes;
  // Post-training quantization; mode kNone keeps float32.
  QuantizeOptions quantize;
  // LSTM as the fused builtin (not in int8 / int16x8 mode, which always unrolls) or unrolled.
  LstmForm lstm = LstmForm::kFused;
  // Print the graph after this pass ("all" for every pass, "list" to list pass names).
  std::string dump_after;
  // Where --dump-after and pass statistics go; nullptr: nowhere.
  std::ostream* log = nullptr;
};

// Converts the ONNX model at `onnx_path` (external data is read relative to its folder).
Result<std::vector<uint8_t>> convert_file(const std::string& onnx_path, const ConvertOptions& options);

// Converts a serialized ModelProto held in memory. `base_dir` is where external data lives
// ("" forbids external data).
Result<std::vector<uint8_t>> convert_bytes(const std::string& model_bytes, const std::string& base_dir,
                                           const ConvertOptions& options);

// Converts `onnx_path` and writes the result to `tflite_path` atomically, straight from the
// flatbuffer builder (one copy of the weights fewer than convert_file + write_file_atomic:
// the peak memory of large models). Returns the number of bytes written.
Result<size_t> convert_file_to_file(const std::string& onnx_path, const std::string& tflite_path,
                                    const ConvertOptions& options);

// Writes bytes to `path` atomically: a temporary file in the same folder, then rename.
// On failure nothing is left at `path`.
Status write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);
Status write_file_atomic(const std::string& path, const uint8_t* data, size_t size);

// Names of the passes in pipeline order, for --dump-after.
std::vector<std::string> pass_names();

// ONNX op types the converter converts, sorted.
std::vector<std::string> supported_onnx_ops();
// The subset of supported_onnx_ops() evaluated at conversion time only (NonZero, window
// functions …): their output shape depends on input values, so their inputs must be constant.
std::vector<std::string> constant_input_onnx_ops();
// The subset of supported_onnx_ops() that also read and write tensors whose extents are known
// only at run time (a shape decided by values the graph computes).
std::vector<std::string> dynamic_shape_onnx_ops();

}  // namespace pt2tflite
