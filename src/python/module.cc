// pt2tflite._core: the Python binding of the public C++ API (include/pt2tflite/pt2tflite.h).
// Thin on purpose: options arrive as a dict built by python/pt2tflite/_options.py, errors
// leave as the exception classes of python/pt2tflite/errors.py, and conversion runs with the
// GIL released. Everything Python-specific (PyTorch export, TFLiteConverter, verify) is Python.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "pt2tflite/pt2tflite.h"

namespace py = pybind11;

namespace {

using pt2tflite::ConvertOptions;
using pt2tflite::ErrorKind;

// A failed Status on its way to Python; translated to pt2tflite.errors.* below.
struct ConversionFailure {
  ErrorKind kind;
  std::string message;
};

const char* kind_id(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUnsupported: return "unsupported";
    case ErrorKind::kInvalidModel: return "invalid_model";
    case ErrorKind::kInvalidArgument: return "invalid_argument";
    case ErrorKind::kIo: return "io";
    case ErrorKind::kInternal: return "internal";
  }
  return "internal";
}

[[noreturn]] void fail(ErrorKind kind, std::string message) { throw ConversionFailure{kind, std::move(message)}; }

// The "quantization" dict (built by _options.to_core) → ConvertOptions::quantize. Its keys:
//   mode                  "float16" | "dynamic" | "int8" | "int16x8"   (the CLI's --quantize)
//   input_type, output_type  "float32" | "int8" | "uint8" | "int16"  (--input-type/--output-type)
//   allow_float_fallback  bool: TF's TFLITE_BUILTINS next to TFLITE_BUILTINS_INT8
//   calibration           None, or a list of samples, each a list of float32 arrays in ONNX
//                         input order (the representative_dataset, materialised)
//   per_tensor, fallback_float, observer, percentile, calibration_size,
//   auto_fallback_db, auto_fallback_samples                             as the CLI's flags
// Unknown keys and values are errors, like everywhere in this dict. Runs with the GIL held:
// the arrays are copied here, so the conversion itself needs no Python object.
template <typename E>
E pick(const std::string& what, const std::string& v, std::initializer_list<std::pair<const char*, E>> table) {
  std::string names;
  for (const auto& [name, e] : table) {
    if (v == name) return e;
    names += names.empty() ? name : std::string(", ") + name;
  }
  fail(ErrorKind::kInvalidArgument, "quantization " + what + " '" + v + "'; expected one of " + names);
}

pt2tflite::IoType io_type(const std::string& what, py::handle v) {
  using pt2tflite::IoType;
  return pick<IoType>(what, py::str(v).cast<std::string>(), {{"float32", IoType::kFloat32}, {"int8", IoType::kInt8},
                                                              {"uint8", IoType::kUInt8}, {"int16", IoType::kInt16}});
}

// One sample: a list of arrays, each copied into float32 C order.
std::vector<pt2tflite::FloatArray> calibration_sample(py::handle sample) {
  std::vector<pt2tflite::FloatArray> out;
  for (py::handle a : sample) {
    auto arr = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!arr) fail(ErrorKind::kInvalidArgument, "calibration: a sample holds something that is not a float array");
    pt2tflite::FloatArray f;
    f.shape.assign(arr.shape(), arr.shape() + arr.ndim());
    f.data.assign(arr.data(), arr.data() + arr.size());
    out.push_back(std::move(f));
  }
  return out;
}

void apply_quantization(const py::dict& q, ConvertOptions* options) {
  using pt2tflite::CalibrationObserver;
  using pt2tflite::QuantizeMode;
  pt2tflite::QuantizeOptions& o = options->quantize;
  for (auto item : q) {
    std::string key = py::str(item.first).cast<std::string>();
    py::handle v = item.second;
    if (key == "mode") {
      o.mode = pick<QuantizeMode>("mode", v.cast<std::string>(),
                                  {{"float16", QuantizeMode::kFloat16}, {"dynamic", QuantizeMode::kDynamic},
                                   {"int8", QuantizeMode::kInt8}, {"int16x8", QuantizeMode::kInt16x8}});
    } else if (key == "input_type") {
      o.input_type = io_type("input_type", v);
    } else if (key == "output_type") {
      o.output_type = io_type("output_type", v);
    } else if (key == "allow_float_fallback") {
      o.allow_float_fallback = v.cast<bool>();
    } else if (key == "per_tensor") {
      o.per_tensor = v.cast<bool>();
    } else if (key == "fallback_float") {
      if (!v.is_none()) o.fallback_float = v.cast<std::vector<std::string>>();
    } else if (key == "observer") {
      o.observer = pick<CalibrationObserver>("observer", v.cast<std::string>(),
                                             {{"minmax", CalibrationObserver::kMinMax},
                                              {"moving_average", CalibrationObserver::kMovingAverage},
                                              {"percentile", CalibrationObserver::kPercentile}});
    } else if (key == "percentile") {
      o.percentile = v.cast<double>();
    } else if (key == "calibration_size") {
      if (!v.is_none()) o.calibration_size = v.cast<int64_t>();
    } else if (key == "auto_fallback_db") {
      if (!v.is_none()) o.auto_fallback_db = v.cast<double>();
    } else if (key == "auto_fallback_samples") {
      o.auto_fallback_samples = v.cast<int64_t>();
    } else if (key == "calibration") {
      if (v.is_none()) continue;
      for (py::handle sample : v) o.calibration_samples.push_back(calibration_sample(sample));
    } else {
      fail(ErrorKind::kInvalidArgument, "unknown quantization option '" + key + "'");
    }
  }
  if (o.mode == QuantizeMode::kNone) fail(ErrorKind::kInvalidArgument, "quantization options without a mode");
}

// Options dict → ConvertOptions. Unknown keys are an error: nothing is dropped silently.
ConvertOptions to_options(const py::dict& d, std::ostringstream* log) {
  ConvertOptions o;
  for (auto item : d) {
    std::string key = py::str(item.first).cast<std::string>();
    py::handle v = item.second;
    if (key == "nhwc_io") {
      o.nhwc_io = v.cast<bool>();
    } else if (key == "batch") {
      if (!v.is_none()) o.batch = v.cast<int64_t>();
    } else if (key == "input_shapes") {
      for (auto kv : v.cast<py::dict>())
        o.input_shapes.push_back({py::str(kv.first).cast<std::string>(), kv.second.cast<std::vector<int64_t>>()});
    } else if (key == "dump_after") {
      if (!v.is_none()) o.dump_after = v.cast<std::string>();
    } else if (key == "lstm") {
      const std::string form = v.cast<std::string>();
      if (form != "fused" && form != "unrolled")
        fail(ErrorKind::kInvalidArgument, "lstm must be 'fused' or 'unrolled', got '" + form + "'");
      o.lstm = form == "fused" ? pt2tflite::LstmForm::kFused : pt2tflite::LstmForm::kUnrolled;
    } else if (key == "quantization") {
      if (!v.is_none()) apply_quantization(v.cast<py::dict>(), &o);
    } else {
      fail(ErrorKind::kInvalidArgument, "unknown conversion option '" + key + "'");
    }
  }
  if (!o.dump_after.empty()) o.log = log;
  return o;
}

py::bytes finish(std::optional<pt2tflite::Result<std::vector<uint8_t>>>& r, const std::ostringstream& log) {
  if (!log.str().empty()) {
    py::object err = py::module_::import("sys").attr("stderr");
    err.attr("write")(log.str());
    err.attr("flush")();
  }
  if (!r->is_ok()) fail(r->status().kind(), r->status().message());
  const std::vector<uint8_t>& bytes = r->value();
  return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

py::bytes convert_file(const std::string& path, const py::dict& options) {
  std::ostringstream log;
  ConvertOptions o = to_options(options, &log);
  std::optional<pt2tflite::Result<std::vector<uint8_t>>> r;
  {
    py::gil_scoped_release no_gil;
    r.emplace(pt2tflite::convert_file(path, o));
  }
  return finish(r, log);
}

py::bytes convert_bytes(const py::bytes& model, const std::string& base_dir, const py::dict& options) {
  std::ostringstream log;
  ConvertOptions o = to_options(options, &log);
  std::string data = model;  // a copy, so the conversion can run without the GIL
  std::optional<pt2tflite::Result<std::vector<uint8_t>>> r;
  {
    py::gil_scoped_release no_gil;
    r.emplace(pt2tflite::convert_bytes(data, base_dir, o));
  }
  return finish(r, log);
}

void write_file_atomic(const std::string& path, const py::bytes& data) {
  std::string s = data;
  std::vector<uint8_t> bytes(s.begin(), s.end());
  pt2tflite::Status st = pt2tflite::write_file_atomic(path, bytes);
  if (!st.is_ok()) fail(st.kind(), st.message());
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "pt2tflite C++ core (ONNX → TFLite). Use the pt2tflite package, not this module.";
  m.attr("version") = PT2TFLITE_VERSION;
  py::dict features;
  features["quantization"] = true;  // float16, dynamic, int8, int16x8 (ConvertOptions::quantize)
  m.attr("FEATURES") = features;

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ConversionFailure& e) {
      // pt2tflite.errors.from_core builds the right subclass (UnsupportedError, …).
      py::object exc = py::module_::import("pt2tflite.errors").attr("from_core")(kind_id(e.kind), e.message);
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
    }
  });

  m.def("convert_file", &convert_file, py::arg("path"), py::arg("options"),
        "Converts the ONNX model at `path` (external data relative to its folder); returns the flatbuffer.");
  m.def("convert_bytes", &convert_bytes, py::arg("model"), py::arg("base_dir"), py::arg("options"),
        "Converts a serialized ModelProto; `base_dir` is where external data lives ('' forbids it).");
  m.def("write_file_atomic", &write_file_atomic, py::arg("path"), py::arg("data"),
        "Writes bytes to `path` through a temporary file and a rename.");
  m.def("pass_names", &pt2tflite::pass_names, "Pass names in pipeline order.");
  m.def("supported_onnx_ops", &pt2tflite::supported_onnx_ops, "ONNX op types the converter converts, sorted.");
  m.def("constant_input_onnx_ops", &pt2tflite::constant_input_onnx_ops,
        "The supported ONNX op types evaluated at conversion time: their inputs must be constant.");
  m.def("dynamic_shape_onnx_ops", &pt2tflite::dynamic_shape_onnx_ops,
        "The supported ONNX op types that also take tensors whose extents are known only at run time.");
}
