// Calibration samples from a folder of images (.png .jpg .jpeg .bmp .ppm .pgm), preprocessed
// the way image models' representative_dataset generators do it: decode to 8 bits, resize to
// the input's H×W (bilinear, half-pixel centres, no antialiasing: OpenCV's INTER_LINEAR),
// RGB (or BGR) order, scale to [0, 1], then (x - mean) / std per channel. The sample is laid
// out as the input wants: NCHW, or NHWC when the input is channels-last under --nhwc-io.
// One-input models with a 1- or 3-channel float input only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "pt2tflite/status.h"
#include "quant/calibrate.h"

namespace pt2tflite::quant {

struct ImageOptions {
  std::vector<float> mean;  // per input channel (in the input's channel order) or one for all; empty: 0
  std::vector<float> std;   // likewise; empty: 1
  bool bgr = false;         // colour channels in BGR order (OpenCV-trained models)
  bool given() const { return !mean.empty() || !std.empty() || bgr; }
};

// An 8-bit image, channels interleaved (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).
struct Image {
  int64_t height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

bool is_image_path(const std::string& path);

Result<Image> decode_image(const std::string& path);

// Bilinear resize of `im` to h×w, values kept in 0..255 (float), channels interleaved.
std::vector<float> resize_bilinear(const Image& im, int64_t h, int64_t w);

// One image → the float32 sample for `input` (shape [1,C,H,W], or [1,H,W,C] when
// `channels_last`). `what` names the image in errors.
Result<ir::Tensor> image_to_sample(const Image& im, const ir::Value& input, bool channels_last,
                                   const ImageOptions& o, const std::string& what);

// The first `limit` (0: all) of `files`, in the given order, as samples for g's single input.
Result<std::vector<Sample>> samples_from_images(const ir::Graph& g, const std::vector<std::string>& files,
                                                bool nhwc_io, int64_t limit, const ImageOptions& o);

}  // namespace pt2tflite::quant
