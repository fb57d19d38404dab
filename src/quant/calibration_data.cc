#include "quant/calibration_data.h"

#include <algorithm>
#include <filesystem>

#include "exec/npy.h"

namespace pt2tflite::quant {

namespace fs = std::filesystem;

namespace {

// NHWC ↔ NCHW for an input of rank 3-5 under --nhwc-io.
std::vector<int64_t> nchw_to_nhwc_perm(size_t rank) {
  std::vector<int64_t> p{0};
  for (size_t d = 2; d < rank; ++d) p.push_back(static_cast<int64_t>(d));
  p.push_back(1);
  return p;
}

bool has_nchw_twin(const ir::Value& v, bool nhwc_io) { return nhwc_io && v.shape.size() >= 3 && v.shape.size() <= 5; }

ir::Shape nchw_shape(const ir::Value& v) {
  return ir::permute(v.shape, ir::inverse_permutation(nchw_to_nhwc_perm(v.shape.size())));
}

ir::Tensor to_dtype(const ir::Tensor& t, ir::DType dtype) {
  if (t.dtype == dtype) return t;
  return ir::Tensor::from_doubles(dtype, t.shape, t.to_doubles());
}

// One array → the samples it holds for input `v` (one, or a stack along a new leading axis).
Result<std::vector<ir::Tensor>> samples_for_input(const ir::Value& v, const ir::Tensor& t, bool nhwc_io,
                                                  const std::string& what) {
  if (ir::is_float(t.dtype) && !ir::is_float(v.dtype))  // integer data (uint8 images) may feed a float input
    return invalid_argument(what + ": a " + ir::dtype_name(t.dtype) + " array cannot feed the " +
                            ir::dtype_name(v.dtype) + " input '" + v.name + "'");
  // The input's shape (or its NCHW twin) without its batch axis of 1.
  auto unbatched = [&](const ir::Shape& s, const ir::Shape& full) {
    return !full.empty() && full[0] == 1 && s == ir::Shape(full.begin() + 1, full.end());
  };
  // Called on shapes that fit; the input's own layout wins when both could (e.g. [3,3,3]).
  auto one = [&](ir::Tensor s) -> ir::Tensor {
    if (s.shape == v.shape || unbatched(s.shape, v.shape)) {
      ir::Tensor r = to_dtype(s, v.dtype);
      r.shape = v.shape;
      return r;
    }
    s.shape = nchw_shape(v);  // NCHW, with or without its batch axis of 1
    return to_dtype(ir::transpose(s, nchw_to_nhwc_perm(v.shape.size())), v.dtype);
  };
  auto fits = [&](const ir::Shape& s) {
    if (s == v.shape) return true;
    if (has_nchw_twin(v, nhwc_io) && (s == nchw_shape(v) || unbatched(s, nchw_shape(v)))) return true;
    return unbatched(s, v.shape);
  };
  if (fits(t.shape)) return std::vector<ir::Tensor>{one(t)};
  if (!t.shape.empty() && fits(ir::Shape(t.shape.begin() + 1, t.shape.end()))) {
    std::vector<ir::Tensor> out;
    const int64_t n = t.shape[0];
    const size_t bytes = t.bytes.size() / static_cast<size_t>(std::max<int64_t>(n, 1));
    for (int64_t i = 0; i < n; ++i) {
      ir::Tensor s{t.dtype, ir::Shape(t.shape.begin() + 1, t.shape.end()), {}};
      s.bytes.assign(t.bytes.begin() + static_cast<long>(i * bytes), t.bytes.begin() + static_cast<long>((i + 1) * bytes));
      out.push_back(one(s));
    }
    return out;
  }
  std::string expect = ir::shape_to_string(v.shape);
  if (has_nchw_twin(v, nhwc_io)) expect += " (or NCHW " + ir::shape_to_string(nchw_shape(v)) + ")";
  return invalid_argument(what + ": an array of shape " + ir::shape_to_string(t.shape) + " does not fit input '" +
                          v.name + "' of shape " + expect + ": give one sample of that shape or a stack [N, ...]");
}

// Per input, its samples → samples × inputs; every input must have as many samples.
Result<std::vector<Sample>> zip(const ir::Graph& g, const std::vector<std::vector<ir::Tensor>>& per_input,
                                const std::string& what) {
  std::vector<Sample> out(per_input.empty() ? 0 : per_input[0].size());
  for (size_t i = 0; i < per_input.size(); ++i) {
    if (per_input[i].size() != out.size())
      return invalid_argument(what + ": input '" + g.inputs[i]->name + "' has " + std::to_string(per_input[i].size()) +
                              " samples, input '" + g.inputs[0]->name + "' has " + std::to_string(out.size()));
    for (size_t s = 0; s < out.size(); ++s) out[s].push_back(per_input[i][s]);
  }
  return out;
}

Result<std::vector<Sample>> samples_from_file(const ir::Graph& g, const std::string& path, bool nhwc_io) {
  PT_ASSIGN_OR_RETURN(std::vector<exec::NamedTensor> arrays, exec::read_arrays(path));
  std::vector<std::vector<ir::Tensor>> per_input(g.inputs.size());
  if (g.inputs.size() == 1) {
    for (const auto& a : arrays) {
      PT_ASSIGN_OR_RETURN(auto s, samples_for_input(*g.inputs[0], a.tensor, nhwc_io,
                                                    path + (a.name.empty() ? "" : ":" + a.name)));
      per_input[0].insert(per_input[0].end(), s.begin(), s.end());
    }
    return zip(g, per_input, path);
  }
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const std::string& name = g.inputs[i]->name;
    auto it = std::find_if(arrays.begin(), arrays.end(), [&](const auto& a) { return a.name == name; });
    if (it == arrays.end()) {
      std::string have;
      for (const auto& a : arrays) have += (have.empty() ? "" : ", ") + (a.name.empty() ? "(unnamed .npy)" : a.name);
      return invalid_argument(path + ": the model has " + std::to_string(g.inputs.size()) +
                              " inputs; an .npz with one array per input name is needed, and '" + name +
                              "' is missing (arrays: " + have + ")");
    }
    PT_ASSIGN_OR_RETURN(per_input[i], samples_for_input(*g.inputs[i], it->tensor, nhwc_io, path + ":" + name));
  }
  return zip(g, per_input, path);
}

void keep_first(std::vector<Sample>& s, int64_t limit) {
  if (limit > 0 && static_cast<int64_t>(s.size()) > limit) s.resize(static_cast<size_t>(limit));
}

}  // namespace

Result<std::vector<Sample>> load_samples(const ir::Graph& g, const std::string& path, const SampleSource& src) {
  std::error_code ec;
  std::vector<std::string> files, images;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec)) {
      if (!e.is_regular_file()) continue;
      const std::string ext = e.path().extension().string();
      if (ext == ".npy" || ext == ".npz") files.push_back(e.path().string());
      else if (is_image_path(e.path().string())) images.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    std::sort(images.begin(), images.end());
    if (!files.empty() && !images.empty())
      return invalid_argument(path + ": the calibration folder holds both .npy/.npz files and images; keep one kind");
    if (files.empty() && images.empty())
      return invalid_argument(path + ": the calibration folder holds no .npy, .npz or image (.png .jpg .jpeg .bmp "
                              ".ppm .pgm) file");
  } else if (fs::exists(path, ec)) {
    (is_image_path(path) ? images : files).push_back(path);
  } else {
    return io_error(path + ": no such calibration file or folder");
  }
  std::vector<Sample> out;
  if (!images.empty()) {
    PT_ASSIGN_OR_RETURN(out, samples_from_images(g, images, src.nhwc_io, src.limit, src.image));
  } else if (src.image.given()) {
    return invalid_argument(path + ": --mean, --std and --channel-order apply to image files only; preprocess "
                            ".npy/.npz arrays before saving them");
  }
  for (const std::string& f : files) {
    PT_ASSIGN_OR_RETURN(std::vector<Sample> s, samples_from_file(g, f, src.nhwc_io));
    out.insert(out.end(), std::make_move_iterator(s.begin()), std::make_move_iterator(s.end()));
    if (src.limit > 0 && static_cast<int64_t>(out.size()) >= src.limit) break;
  }
  keep_first(out, src.limit);
  if (out.empty()) return invalid_argument(path + ": no calibration samples found");
  return out;
}

Result<std::vector<Sample>> samples_from_arrays(const ir::Graph& g, const std::vector<std::vector<ir::Tensor>>& arrays,
                                                const SampleSource& src) {
  if (src.image.given())
    return invalid_argument("mean, std and channel order apply to calibration images only, not to arrays");
  std::vector<Sample> out;
  for (size_t k = 0; k < arrays.size(); ++k) {
    const std::string what = "calibration sample " + std::to_string(k);
    if (arrays[k].size() != g.inputs.size())
      return invalid_argument(what + " has " + std::to_string(arrays[k].size()) + " arrays; the model has " +
                              std::to_string(g.inputs.size()) + " inputs");
    std::vector<std::vector<ir::Tensor>> per_input(g.inputs.size());
    for (size_t i = 0; i < g.inputs.size(); ++i) {
      PT_ASSIGN_OR_RETURN(per_input[i], samples_for_input(*g.inputs[i], arrays[k][i], src.nhwc_io, what));
    }
    PT_ASSIGN_OR_RETURN(std::vector<Sample> s, zip(g, per_input, what));
    out.insert(out.end(), std::make_move_iterator(s.begin()), std::make_move_iterator(s.end()));
  }
  keep_first(out, src.limit);
  if (out.empty()) return invalid_argument("the representative dataset gave no samples");
  return out;
}

}  // namespace pt2tflite::quant
