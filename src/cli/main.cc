// pt2tflite command line: convert | inspect | ops. Argument parsing and printing only;
// everything else is the public API.
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/inspect.h"
#include "pt2tflite/pt2tflite.h"

namespace {

constexpr const char* kUsage = R"(pt2tflite — convert ONNX models (e.g. exported from PyTorch) to TFLite / LiteRT.

Usage:
  pt2tflite convert MODEL.onnx -o OUT.tflite [options]
  pt2tflite inspect FILE.tflite [--json]
  pt2tflite ops [--constant-input | --dynamic-shapes]
  pt2tflite --help | --version

convert options:
  -o, --output PATH        where to write the .tflite file (required); written atomically,
                           nothing is left there when conversion fails
  --nhwc-io                inputs and outputs of rank 3-5 in channels-last layout (NHWC);
                           removes the transposes at the model's borders. Default: keep the
                           ONNX (PyTorch) NCHW shapes, with one transpose at each border
  --batch N                value for a symbolic leading (batch) dimension of every input
  --input-shape NAME:D0,D1,...
                           fix the shape of input NAME (repeatable); overrides --batch
  --dump-after PASS        print the graph after PASS to stderr ("all": after every pass,
                           "list": print the pass names)
  --lstm FORM              fused (default): LSTM as TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM where
                           exact (int8/int16x8 modes always unroll); unrolled: plain
                           FULLY_CONNECTED/ADD/MUL/LOGISTIC/TANH ops per time step, for
                           TFLite Micro and Ethos-U (Vela)

quantization (post-training; see the README's quantization section):
  --quantize MODE          float16  float constants stored as FLOAT16, DEQUANTIZE before use
                           dynamic  weights >= 1024 elements int8 (hybrid conv/FC kernels)
                           int8     full integer: int8 activations, per-channel int8 weights,
                                    int32 bias; needs --calibration
                           int16x8  int16 activations, int8 weights, int64 bias; needs
                                    --calibration
  --calibration PATH       representative inputs: a .npy/.npz file or a folder of them; each
                           array is one sample or a stack [N, ...]; an .npz names arrays after
                           the model's inputs. NCHW arrays are accepted with --nhwc-io.
                           Or a folder of images (.png .jpg .jpeg .bmp .ppm .pgm; one-input
                           models with 1 or 3 channels): each is resized (bilinear) to the
                           input's HxW, scaled to [0,1], then (x - mean) / std per channel
  --calibration-size N     use the first N samples (files in name order) only
  --mean LIST, --std LIST  image normalisation per channel, comma-separated, or one value for
                           all (default mean 0, std 1); e.g. ImageNet: --mean 0.485,0.456,0.406
                           --std 0.229,0.224,0.225
  --channel-order ORDER    rgb (default) or bgr: channel order of the model's colour input
  --observer KIND          range observer: minmax (default), moving_average, percentile
  --percentile P           percentile kept by --observer percentile (default 99.99)
  --io-type TYPE           type of the model's inputs and outputs in int8/int16x8 mode:
                           float32 (default; QUANTIZE/DEQUANTIZE inside), int8, uint8, int16
  --input-type TYPE, --output-type TYPE
                           the same for inputs or outputs only
  --per-tensor             conv/depthwise weights per tensor instead of per channel
  --fallback-float LIST    comma-separated node names (ONNX names) or op types (SOFTMAX) that
                           stay float32 in int8/int16x8 mode, DEQUANTIZE/QUANTIZE around them
  --allow-float-fallback   ops with no integer kernel stay float32 instead of failing
  --auto-fallback DB       keep the fewest layers float32 that bring the output SQNR (vs the
                           float model, simulated on the calibration data) to DB decibels;
                           what it measured and kept is printed to stderr
  --auto-fallback-samples N
                           calibration samples the simulation uses (default 8)

inspect: ops by type, transposes, tensors, bytes, inputs/outputs with shapes and dtypes.
ops:     the ONNX op types this build can convert, one per line. --constant-input: only
         those evaluated at conversion time, whose inputs must be constant (their output
         shape depends on input values: NonZero, window functions ...). --dynamic-shapes:
         only those that also take tensors whose extents are known only at run time (a
         shape decided by values the graph computes); other ops need static shapes.

Exit status: 0 success, 1 conversion error (message names file, node and reason), 2 usage.
)";

int usage_error(const std::string& msg) {
  std::cerr << "pt2tflite: " << msg << "\nRun 'pt2tflite --help' for usage.\n";
  return 2;
}

bool parse_int(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end != '\0' || v <= 0) return false;
  *out = v;
  return true;
}

bool parse_input_shape(const std::string& arg, pt2tflite::InputShape* out) {
  auto colon = arg.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  out->name = arg.substr(0, colon);
  std::stringstream ss(arg.substr(colon + 1));
  std::string item;
  while (std::getline(ss, item, ',')) {
    int64_t d;
    if (!parse_int(item, &d)) return false;
    out->dims.push_back(d);
  }
  return !out->dims.empty();
}

bool parse_io_type(const std::string& s, pt2tflite::IoType* t) {
  static const std::map<std::string, pt2tflite::IoType> types = {{"float32", pt2tflite::IoType::kFloat32},
                                                                 {"int8", pt2tflite::IoType::kInt8},
                                                                 {"uint8", pt2tflite::IoType::kUInt8},
                                                                 {"int16", pt2tflite::IoType::kInt16}};
  auto it = types.find(s);
  if (it == types.end()) return false;
  *t = it->second;
  return true;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

bool parse_floats(const std::string& s, std::vector<float>* out) {
  out->clear();
  for (const std::string& item : split_list(s)) {
    char* end = nullptr;
    const float v = std::strtof(item.c_str(), &end);
    if (*end != '\0' || !std::isfinite(v)) return false;
    out->push_back(v);
  }
  return !out->empty();
}

// Calibration progress on a terminal: samples done, rate, time left (one line, redrawn).
void show_progress(size_t done, size_t total) {
  using clock = std::chrono::steady_clock;
  static clock::time_point start = clock::now();
  if (done <= 1) start = clock::now();
  const double secs = std::chrono::duration<double>(clock::now() - start).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  const double left = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  std::fprintf(stderr, "\rcalibrating: %zu/%zu samples, %.1f/s, %.0f s left   ", done, total, rate, left);
  if (done == total) std::fprintf(stderr, "\n");
}

// Returns -1 when `a` is not a quantization option, 0 when parsed, else the usage exit code.
template <typename Next>
int parse_quantize_option(const std::string& a, Next next, pt2tflite::QuantizeOptions* q) {
  using pt2tflite::QuantizeMode;
  if (a == "--quantize") {
    static const std::map<std::string, QuantizeMode> modes = {{"none", QuantizeMode::kNone},
                                                              {"float16", QuantizeMode::kFloat16},
                                                              {"dynamic", QuantizeMode::kDynamic},
                                                              {"int8", QuantizeMode::kInt8},
                                                              {"int16x8", QuantizeMode::kInt16x8}};
    const char* v = next("mode");
    if (!v || !modes.count(v)) return usage_error("--quantize needs float16, dynamic, int8 or int16x8");
    q->mode = modes.at(v);
  } else if (a == "--calibration") {
    const char* v = next("path");
    if (!v) return usage_error("--calibration needs a .npy/.npz file or a folder (of arrays or images)");
    q->calibration_path = v;
  } else if (a == "--calibration-size") {
    const char* v = next("N");
    if (!v || !parse_int(v, &q->calibration_size)) return usage_error("--calibration-size needs a positive integer");
  } else if (a == "--mean" || a == "--std") {
    const char* v = next("list");
    std::vector<float>* dst = a == "--mean" ? &q->mean : &q->std;
    if (!v || !parse_floats(v, dst)) return usage_error(a + " needs numbers, comma-separated (one per channel)");
    if (a == "--std" && std::any_of(dst->begin(), dst->end(), [](float x) { return !(x > 0); }))
      return usage_error("--std values must be positive");
  } else if (a == "--channel-order") {
    const char* v = next("order");
    const std::string k = v ? v : "";
    if (k == "rgb") q->channel_order = pt2tflite::ChannelOrder::kRgb;
    else if (k == "bgr") q->channel_order = pt2tflite::ChannelOrder::kBgr;
    else return usage_error("--channel-order needs rgb or bgr");
  } else if (a == "--observer") {
    const char* v = next("kind");
    const std::string k = v ? v : "";
    if (k == "minmax") q->observer = pt2tflite::CalibrationObserver::kMinMax;
    else if (k == "moving_average") q->observer = pt2tflite::CalibrationObserver::kMovingAverage;
    else if (k == "percentile") q->observer = pt2tflite::CalibrationObserver::kPercentile;
    else return usage_error("--observer needs minmax, moving_average or percentile");
  } else if (a == "--percentile") {
    const char* v = next("P");
    char* end = nullptr;
    const double p = v ? std::strtod(v, &end) : 0;
    if (!v || *end != '\0' || !(p > 50 && p <= 100)) return usage_error("--percentile needs a number in (50, 100]");
    q->percentile = p;
  } else if (a == "--io-type" || a == "--input-type" || a == "--output-type") {
    const char* v = next("type");
    pt2tflite::IoType t;
    if (!v || !parse_io_type(v, &t)) return usage_error(a + " needs float32, int8, uint8 or int16");
    if (a != "--output-type") q->input_type = t;
    if (a != "--input-type") q->output_type = t;
  } else if (a == "--per-tensor") {
    q->per_tensor = true;
  } else if (a == "--fallback-float") {
    const char* v = next("list");
    if (!v || split_list(v).empty()) return usage_error("--fallback-float needs node names or op types, comma-separated");
    for (auto& s : split_list(v)) q->fallback_float.push_back(s);
  } else if (a == "--allow-float-fallback") {
    q->allow_float_fallback = true;
  } else if (a == "--auto-fallback") {
    const char* v = next("dB");
    char* end = nullptr;
    const double db = v ? std::strtod(v, &end) : 0;
    if (!v || *end != '\0' || !(db > 0)) return usage_error("--auto-fallback needs a target SQNR in dB, e.g. 30");
    q->auto_fallback_db = db;
  } else if (a == "--auto-fallback-samples") {
    const char* v = next("N");
    if (!v || !parse_int(v, &q->auto_fallback_samples)) return usage_error("--auto-fallback-samples needs a positive integer");
  } else {
    return -1;
  }
  return 0;
}

int run_convert(int argc, char** argv) {
  pt2tflite::ConvertOptions opt;
  std::string input, output;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](const char* what) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)what;
      return argv[++i];
    };
    if (a == "-o" || a == "--output") {
      const char* v = next("path");
      if (!v) return usage_error(a + " needs a path");
      output = v;
    } else if (a == "--nhwc-io") {
      opt.nhwc_io = true;
    } else if (a == "--batch") {
      const char* v = next("N");
      if (!v || !parse_int(v, &opt.batch)) return usage_error("--batch needs a positive integer");
    } else if (a == "--input-shape") {
      const char* v = next("spec");
      pt2tflite::InputShape s;
      if (!v || !parse_input_shape(v, &s))
        return usage_error("--input-shape needs NAME:D0,D1,... with positive integers, e.g. input:1,3,224,224");
      opt.input_shapes.push_back(s);
    } else if (a == "--lstm") {
      const char* v = next("form");
      const std::string form = v ? v : "";
      if (form != "fused" && form != "unrolled") return usage_error("--lstm needs fused or unrolled");
      opt.lstm = form == "fused" ? pt2tflite::LstmForm::kFused : pt2tflite::LstmForm::kUnrolled;
    } else if (a == "--dump-after") {
      const char* v = next("pass");
      if (!v) return usage_error("--dump-after needs a pass name, 'all' or 'list'");
      opt.dump_after = v;
    } else if (int r = parse_quantize_option(a, next, &opt.quantize); r >= 0) {
      if (r > 0) return r;
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("unknown option '" + a + "' for convert");
    } else if (input.empty()) {
      input = a;
    } else {
      return usage_error("convert takes one model, got '" + input + "' and '" + a + "'");
    }
  }
  if (opt.dump_after == "list") {
    for (const auto& n : pt2tflite::pass_names()) std::cout << n << "\n";
    return 0;
  }
  if (input.empty()) return usage_error("convert needs MODEL.onnx");
  if (output.empty()) return usage_error("convert needs -o OUT.tflite");
  if (!opt.dump_after.empty()) {
    auto names = pt2tflite::pass_names();
    if (opt.dump_after != "all" && std::find(names.begin(), names.end(), opt.dump_after) == names.end())
      return usage_error("--dump-after: no pass named '" + opt.dump_after + "' (see --dump-after list)");
    opt.log = &std::cerr;
  }
  if (isatty(STDERR_FILENO)) opt.quantize.progress = show_progress;
  if (opt.quantize.auto_fallback_db > 0 && !opt.log) opt.log = &std::cerr;
  auto result = pt2tflite::convert_file_to_file(input, output, opt);
  if (!result.is_ok()) {
    std::cerr << "pt2tflite: error: " << result.status().to_string() << "\n";
    return 1;
  }
  std::cerr << "pt2tflite: wrote " << output << " (" << result.value() << " bytes)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef __GLIBC__
  // Weights live in large buffers that are copied and freed as the stages go (protobuf → IR →
  // permuted → flatbuffer). glibc raises its mmap threshold after the first large free, and
  // later weight-sized buffers then come from the heap, which keeps freed pages: a fixed 1 MB
  // threshold returns them at once (with the early frees in import, BERT-base's peak RSS went
  // 1.64 GB → 1.29 GB with it, not without).
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  if (argc < 2) return usage_error("missing command");
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (cmd == "--version") {
    std::cout << "pt2tflite " << PT2TFLITE_VERSION << "\n";
    return 0;
  }
  if (cmd == "convert") return run_convert(argc - 2, argv + 2);
  if (cmd == "inspect") return pt2tflite::cli::run_inspect(argc - 2, argv + 2);
  if (cmd == "ops") {
    const std::string flag = argc == 3 ? argv[2] : "";
    if (argc > 3 || (argc == 3 && flag != "--constant-input" && flag != "--dynamic-shapes"))
      return usage_error("ops takes one of --constant-input, --dynamic-shapes");
    auto ops = flag == "--constant-input"   ? pt2tflite::constant_input_onnx_ops()
               : flag == "--dynamic-shapes" ? pt2tflite::dynamic_shape_onnx_ops()
                                            : pt2tflite::supported_onnx_ops();
    for (const auto& op : ops) std::cout << op << "\n";
    return 0;
  }
  return usage_error("unknown command '" + cmd + "'");
}
