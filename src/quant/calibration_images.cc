#include "quant/calibration_images.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include <stb/stb_image.h>

namespace pt2tflite::quant {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One value per channel: a list of 1 applies to every channel.
Result<std::vector<float>> per_channel(const std::vector<float>& v, int64_t c, float dflt, const char* flag) {
  if (v.empty()) return std::vector<float>(static_cast<size_t>(c), dflt);
  if (v.size() == 1) return std::vector<float>(static_cast<size_t>(c), v[0]);
  if (static_cast<int64_t>(v.size()) != c)
    return invalid_argument(std::string(flag) + " has " + std::to_string(v.size()) + " values; the input has " +
                            std::to_string(c) + " channels (give one value, or one per channel)");
  return v;
}

}  // namespace

bool is_image_path(const std::string& path) {
  static const char* exts[] = {".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm"};
  const std::string e = lower(std::filesystem::path(path).extension().string());
  return std::any_of(std::begin(exts), std::end(exts), [&](const char* x) { return e == x; });
}

Result<Image> decode_image(const std::string& path) {
  int w = 0, h = 0, c = 0;
  stbi_uc* data = stbi_load(path.c_str(), &w, &h, &c, 0);  // 16-bit files come back as 8 bits
  if (!data) return invalid_argument(path + ": cannot decode the image (" + stbi_failure_reason() + ")");
  Image im{h, w, c, std::vector<uint8_t>(data, data + static_cast<size_t>(w) * h * c)};
  stbi_image_free(data);
  return im;
}

std::vector<float> resize_bilinear(const Image& im, int64_t h, int64_t w) {
  const int64_t c = im.channels;
  // Source coordinate of an output pixel centre, clamped at the borders.
  auto src = [](int64_t o, int64_t in, int64_t out, int64_t* i0, int64_t* i1, float* f) {
    float s = (static_cast<float>(o) + 0.5f) * static_cast<float>(in) / static_cast<float>(out) - 0.5f;
    s = std::max(s, 0.0f);
    *i0 = std::min(static_cast<int64_t>(s), in - 1);
    *i1 = std::min(*i0 + 1, in - 1);
    *f = s - static_cast<float>(*i0);
  };
  std::vector<float> out(static_cast<size_t>(h * w * c));
  auto px = [&](int64_t y, int64_t x, int64_t k) { return static_cast<float>(im.pixels[(y * im.width + x) * c + k]); };
  for (int64_t y = 0; y < h; ++y) {
    int64_t y0, y1;
    float fy;
    src(y, im.height, h, &y0, &y1, &fy);
    for (int64_t x = 0; x < w; ++x) {
      int64_t x0, x1;
      float fx;
      src(x, im.width, w, &x0, &x1, &fx);
      for (int64_t k = 0; k < c; ++k) {
        const float top = (1 - fx) * px(y0, x0, k) + fx * px(y0, x1, k);
        const float bottom = (1 - fx) * px(y1, x0, k) + fx * px(y1, x1, k);
        out[static_cast<size_t>((y * w + x) * c + k)] = (1 - fy) * top + fy * bottom;
      }
    }
  }
  return out;
}

Result<ir::Tensor> image_to_sample(const Image& im, const ir::Value& input, bool channels_last,
                                   const ImageOptions& o, const std::string& what) {
  const ir::Shape& s = input.shape;
  if (s.size() != 4 || s[0] != 1 || input.dtype != ir::DType::kFloat32)
    return invalid_argument(what + ": images calibrate a float32 input of shape [1,C,H,W] (or [1,H,W,C] with "
                            "--nhwc-io); input '" + input.name + "' is " + ir::dtype_name(input.dtype) + " " +
                            ir::shape_to_string(s));
  const int64_t c = channels_last ? s[3] : s[1];
  const int64_t h = channels_last ? s[1] : s[2];
  const int64_t w = channels_last ? s[2] : s[3];
  if (c != 1 && c != 3)
    return invalid_argument(what + ": input '" + input.name + "' " + ir::shape_to_string(s) + " has " +
                            std::to_string(c) + " channels; images feed 1 (grayscale) or 3 (RGB) channels" +
                            (channels_last ? "" : " (is the input already NHWC? then convert with --nhwc-io)"));
  const int64_t colours = im.channels >= 3 ? 3 : 1;  // an alpha channel is dropped
  if (colours != c)
    return invalid_argument(what + ": the image is " + (colours == 1 ? "grayscale" : "colour") + " but input '" +
                            input.name + "' takes " + std::to_string(c) + " channel" + (c == 1 ? "" : "s") +
                            "; convert the images first");
  PT_ASSIGN_OR_RETURN(std::vector<float> mean, per_channel(o.mean, c, 0.0f, "--mean"));
  PT_ASSIGN_OR_RETURN(std::vector<float> std, per_channel(o.std, c, 1.0f, "--std"));
  const std::vector<float> px = resize_bilinear(im, h, w);
  std::vector<float> out(static_cast<size_t>(c * h * w));
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t k = 0; k < c; ++k) {
        const int64_t from = o.bgr && c == 3 ? 2 - k : k;  // stb decodes RGB
        const float v = px[static_cast<size_t>((y * w + x) * im.channels + from)] / 255.0f;
        const int64_t to = channels_last ? (y * w + x) * c + k : (k * h + y) * w + x;
        out[static_cast<size_t>(to)] = (v - mean[static_cast<size_t>(k)]) / std[static_cast<size_t>(k)];
      }
  return ir::Tensor::from_floats(s, out);
}

Result<std::vector<Sample>> samples_from_images(const ir::Graph& g, const std::vector<std::string>& files,
                                                bool nhwc_io, int64_t limit, const ImageOptions& o) {
  if (g.inputs.size() != 1)
    return invalid_argument("calibration images feed one-input models only; this model has " +
                            std::to_string(g.inputs.size()) + " inputs (give an .npz with one array per input)");
  for (float sd : o.std)
    if (!(sd > 0)) return invalid_argument("--std values must be positive");
  std::vector<Sample> out;
  for (const std::string& f : files) {
    if (limit > 0 && static_cast<int64_t>(out.size()) >= limit) break;
    PT_ASSIGN_OR_RETURN(Image im, decode_image(f));
    PT_ASSIGN_OR_RETURN(ir::Tensor t, image_to_sample(im, *g.inputs[0], nhwc_io, o, f));
    out.push_back(Sample{std::move(t)});
  }
  return out;
}

}  // namespace pt2tflite::quant
