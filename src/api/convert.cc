// The public API (include/pt2tflite/pt2tflite.h).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/pipeline.h"
#include "lower/registry.h"
#include "ir/verify.h"
#include "onnx/import.h"
#include "quant/quantize.h"
#include "tflite/writer.h"

namespace pt2tflite {

namespace fs = std::filesystem;

namespace {

// Takes the bytes by value so a caller handing over its buffer lets it go right after import.
// The .tflite bytes go to `sink` straight from the flatbuffer builder.
Status convert_impl(std::string model_bytes, const std::string& base_dir, const std::string& model_path,
                    const ConvertOptions& options, const tflite_writer::ByteSink& sink) {
  onnx_import::ImportOptions io;
  io.batch = options.batch;
  for (const auto& s : options.input_shapes) io.input_shapes.emplace_back(s.name, s.dims);
  io.base_dir = base_dir;
  io.model_path = model_path;
  // Moved in: import frees the file's bytes once parsed (peak memory).
  PT_ASSIGN_OR_RETURN(ir::Graph g, onnx_import::import_model(std::move(model_bytes), io));
  Status s = api::run_pipeline(g, options);
  if (s.is_ok()) s = quant::quantize(g, options.quantize, options.nhwc_io, options.log);
  if (s.is_ok() && options.quantize.mode != QuantizeMode::kNone) s = ir::verify(g);
  // Errors from the stages name the node; the file name is added once, here.
  if (!s.is_ok()) return Status::error(s.kind(), (model_path.empty() ? std::string() : model_path + ": ") + s.message());
  tflite_writer::WriteOptions wo;
  wo.description = "pt2tflite " PT2TFLITE_VERSION;
  return tflite_writer::write_model(g, wo, sink);
}

tflite_writer::ByteSink to_vector(std::vector<uint8_t>* out) {
  return [out](const uint8_t* data, size_t size) {
    out->assign(data, data + size);
    return Status::ok();
  };
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return io_error(path + ": cannot open for reading");
  std::string bytes(static_cast<size_t>(in.tellg()), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) return io_error(path + ": read failed");
  return bytes;
}

std::string folder_of(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  return dir.empty() ? "." : dir.string();
}

}  // namespace

Result<std::vector<uint8_t>> convert_bytes(const std::string& model_bytes, const std::string& base_dir,
                                           const ConvertOptions& options) {
  std::vector<uint8_t> out;
  PT_RETURN_IF_ERROR(convert_impl(model_bytes, base_dir, "", options, to_vector(&out)));
  return out;
}

Result<std::vector<uint8_t>> convert_file(const std::string& onnx_path, const ConvertOptions& options) {
  PT_ASSIGN_OR_RETURN(std::string bytes, read_file(onnx_path));
  std::vector<uint8_t> out;
  PT_RETURN_IF_ERROR(convert_impl(std::move(bytes), folder_of(onnx_path), onnx_path, options, to_vector(&out)));
  return out;
}

Result<size_t> convert_file_to_file(const std::string& onnx_path, const std::string& tflite_path,
                                    const ConvertOptions& options) {
  PT_ASSIGN_OR_RETURN(std::string bytes, read_file(onnx_path));
  size_t written = 0;
  PT_RETURN_IF_ERROR(convert_impl(std::move(bytes), folder_of(onnx_path), onnx_path, options,
                                  [&](const uint8_t* data, size_t size) {
                                    written = size;
                                    return write_file_atomic(tflite_path, data, size);
                                  }));
  return written;
}

Status write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  return write_file_atomic(path, bytes.data(), bytes.size());
}

Status write_file_atomic(const std::string& path, const uint8_t* data, size_t size) {
  fs::path target(path);
  fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string tmpl = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  int fd = mkstemp(tmpl.data());
  if (fd < 0) return io_error(path + ": cannot create a temporary file in " + dir.string());
  const uint8_t* p = data;
  size_t left = size;
  while (left > 0) {
    ssize_t w = ::write(fd, p, left);
    if (w <= 0) {
      ::close(fd);
      ::unlink(tmpl.c_str());
      return io_error(path + ": write failed");
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmpl.c_str());
    return io_error(path + ": write failed");
  }
  ::chmod(tmpl.c_str(), 0644);
  if (std::rename(tmpl.c_str(), path.c_str()) != 0) {
    ::unlink(tmpl.c_str());
    return io_error(path + ": cannot rename the temporary file into place");
  }
  return Status::ok();
}

std::vector<std::string> pass_names() {
  std::vector<std::string> out;
  for (const auto& s : api::onnx_steps()) out.push_back(s.name);
  for (const auto& s : api::tflite_steps()) out.push_back(s.name);
  return out;
}

std::vector<std::string> supported_onnx_ops() {
  std::vector<std::string> ops = lower::registry().op_types();
  ops.push_back("Constant");  // read by the importer as constant data, never lowered
  std::sort(ops.begin(), ops.end());
  return ops;
}

std::vector<std::string> constant_input_onnx_ops() { return lower::registry().fold_only_op_types(); }

std::vector<std::string> dynamic_shape_onnx_ops() { return lower::registry().dynamic_shape_op_types(); }

}  // namespace pt2tflite
