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
Result<std::vector<uint8_t>> convert_impl(std::string model_bytes, const std::string& base_dir,
                                          const std::string& model_path, const ConvertOptions& options) {
  onnx_import::ImportOptions io;
  io.batch = options.batch;
  for (const auto& s : options.input_shapes) io.input_shapes.emplace_back(s.name, s.dims);
  io.base_dir = base_dir;
  io.model_path = model_path;
  PT_ASSIGN_OR_RETURN(ir::Graph g, onnx_import::import_model(model_bytes, io));
  std::string().swap(model_bytes);  // peak memory: the file's bytes are not needed past import
  Status s = api::run_pipeline(g, options);
  if (s.is_ok()) s = quant::quantize(g, options.quantize, options.nhwc_io, options.log);
  if (s.is_ok() && options.quantize.mode != QuantizeMode::kNone) s = ir::verify(g);
  // Errors from the stages name the node; the file name is added once, here.
  if (!s.is_ok()) return Status::error(s.kind(), (model_path.empty() ? std::string() : model_path + ": ") + s.message());
  tflite_writer::WriteOptions wo;
  wo.description = "pt2tflite " PT2TFLITE_VERSION;
  return tflite_writer::write_model(g, wo);
}

}  // namespace

Result<std::vector<uint8_t>> convert_bytes(const std::string& model_bytes, const std::string& base_dir,
                                           const ConvertOptions& options) {
  return convert_impl(model_bytes, base_dir, "", options);
}

Result<std::vector<uint8_t>> convert_file(const std::string& onnx_path, const ConvertOptions& options) {
  std::ifstream in(onnx_path, std::ios::binary | std::ios::ate);
  if (!in) return io_error(onnx_path + ": cannot open for reading");
  std::string bytes(static_cast<size_t>(in.tellg()), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) return io_error(onnx_path + ": read failed");
  fs::path dir = fs::path(onnx_path).parent_path();
  return convert_impl(std::move(bytes), dir.empty() ? "." : dir.string(), onnx_path, options);
}

Status write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  fs::path target(path);
  fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string tmpl = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  int fd = mkstemp(tmpl.data());
  if (fd < 0) return io_error(path + ": cannot create a temporary file in " + dir.string());
  const uint8_t* p = bytes.data();
  size_t left = bytes.size();
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

}  // namespace pt2tflite
