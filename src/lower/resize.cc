// Resize (opsets 10–19) and Upsample (7–9) → RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR, or
// the separable GATHER / matrix-product fallback.
//
// TFLite resizes H and W of an NHWC tensor with two flags, align_corners and
// half_pixel_centers; ONNX has a coordinate transformation (asymmetric, half_pixel,
// pytorch_half_pixel, align_corners, …), a nearest rounding mode and scales that need not
// equal out/in. Rather than a table of "equivalent" combinations (which hold only for some
// sizes, e.g. half_pixel + round_prefer_floor matches TFLite's half-pixel nearest on
// upsampling by 2 but not on downsampling by 2), we evaluate, for the actual sizes, the
// source index (nearest) or source coordinate (linear) that onnxruntime computes for every
// output row and column, and the ones each TFLite flag combination computes, and take the
// first combination that agrees everywhere. 3-D [N, C, L] inputs run as 4-D with H = 1.
//
// When none agrees (and for cubic, antialias, tf_crop_and_resize, other ranks, resized
// batch/channel axes, integer data) the resize runs separably in the ONNX layout, after
// the ONNX reference implementation: nearest as one GATHER per resized axis, linear and
// cubic as one product per resized axis with a constant [out, in] interpolation matrix
// (BATCH_MATMUL, FULLY_CONNECTED on the last axis). Exact, at the cost of out x in
// weights per axis; the builtins stay the path for the common cases.
//
// Scales, sizes or roi computed at run time take resize_runtime.cc instead (resized extents
// known only at run time); this file's path runs only when they are constant.
#include <algorithm>
#include <cmath>

#include "lower/registry.h"
#include "lower/resize_spec.h"

namespace pt2tflite::lower {

namespace {

using ir::Node;
using ir::Shape;
using ir::Value;
using resize::ResizeSpec;


bool is_upsample(const Node& n) { return n.op == "onnx.Upsample"; }

// Scales or sizes, per ONNX version, expanded to every axis of X.
Status read_spec(const Node& n, ResizeSpec* s) {
  NODE_CHECK(n, n.input(0), "missing input");
  const Shape& x = n.inputs[0]->shape;
  const size_t r = x.size();
  const bool legacy = is_upsample(n) || n.opset < 11;
  s->mode = n.get_string("mode", "nearest");
  s->linear = s->mode == "linear" || s->mode == "bilinear";  // Upsample-7 exporters wrote "bilinear"
  s->coord = legacy ? "asymmetric" : n.get_string("coordinate_transformation_mode", "half_pixel");
  s->nearest_mode = legacy ? "" : n.get_string("nearest_mode", "round_prefer_floor");
  std::vector<int64_t> axes;
  for (int64_t a : n.get_ints("axes")) {
    const int64_t na = normalize_axis(a, r);
    NODE_CHECK(n, na >= 0, "axis " + std::to_string(a) + " out of range");
    axes.push_back(na);
  }
  if (axes.empty())
    for (size_t i = 0; i < r; ++i) axes.push_back(static_cast<int64_t>(i));

  std::vector<double> given_scales;
  std::vector<int64_t> sizes;
  if (is_upsample(n) && n.has("scales")) {
    given_scales = n.get_floats("scales");
  } else {
    const size_t scales_index = legacy ? 1 : 2;
    const Value* sv = n.input(scales_index);
    if (sv) {
      NODE_UNSUPPORTED_IF(n, !sv->is_const(), "scales (input '" + sv->name + "') are computed at run time; "
                                              "pt2tflite needs them constant (export with fixed sizes)");
      given_scales = sv->data->to_doubles();
    }
    if (!legacy && given_scales.empty() && n.input(3)) {
      auto v = const_ints(n, 3, "sizes");
      if (!v.is_ok()) return v.status();
      sizes = v.value();
    }
  }
  NODE_CHECK(n, !given_scales.empty() || !sizes.empty(), "neither scales nor sizes is given");
  s->scales.assign(r, 1.0f);
  s->out = x;
  s->from_scales = !given_scales.empty();
  if (!given_scales.empty()) {
    NODE_CHECK(n, given_scales.size() == axes.size(), "scales has " + std::to_string(given_scales.size()) +
                                                          " values for " + std::to_string(axes.size()) + " axes");
    for (size_t i = 0; i < axes.size(); ++i) {
      const float sc = static_cast<float>(given_scales[i]);
      NODE_CHECK(n, sc > 0, "scales must be positive");
      s->scales[axes[i]] = sc;
      s->out[axes[i]] = static_cast<int64_t>(sc * static_cast<float>(x[axes[i]]));  // as onnxruntime
    }
  } else {
    NODE_CHECK(n, sizes.size() == axes.size(), "sizes has " + std::to_string(sizes.size()) + " values for " +
                                                   std::to_string(axes.size()) + " axes");
    const std::string policy = n.get_string("keep_aspect_ratio_policy", "stretch");
    NODE_CHECK(n, policy == "stretch" || policy == "not_larger" || policy == "not_smaller",
               "unknown keep_aspect_ratio_policy '" + policy + "'");
    for (size_t i = 0; i < axes.size(); ++i) {
      NODE_CHECK(n, sizes[i] > 0 && x[axes[i]] > 0, "sizes must be positive");
      s->out[axes[i]] = sizes[i];
      s->scales[axes[i]] = static_cast<float>(sizes[i]) / static_cast<float>(x[axes[i]]);
    }
    if (policy != "stretch") {  // one scale for all the axes, the smallest / largest
      float scale = s->scales[axes[0]];
      for (int64_t a : axes) scale = policy == "not_larger" ? std::min(scale, s->scales[a]) : std::max(scale, s->scales[a]);
      for (int64_t a : axes) {
        s->scales[a] = scale;
        s->out[a] = static_cast<int64_t>(std::round(scale * static_cast<float>(x[a])));
      }
    }
  }
  s->exact_scales.assign(r, 1.0);
  for (size_t i = 0; i < r; ++i)
    s->exact_scales[i] = s->from_scales || s->scales[i] == 1.0f
                             ? static_cast<double>(s->scales[i])
                             : static_cast<double>(s->out[i]) / static_cast<double>(x[i]);
  if (n.get_string("keep_aspect_ratio_policy", "stretch") != "stretch" && !s->from_scales) {
    const bool not_larger = n.get_string("keep_aspect_ratio_policy", "") == "not_larger";
    double scale = static_cast<double>(sizes[0]) / static_cast<double>(x[axes[0]]);
    for (size_t i = 0; i < axes.size(); ++i) {
      const double sa = static_cast<double>(sizes[i]) / static_cast<double>(x[axes[i]]);
      scale = not_larger ? std::min(scale, sa) : std::max(scale, sa);
    }
    for (int64_t a : axes) s->exact_scales[a] = scale;
  }
  s->roi_start.assign(r, 0.0);
  s->roi_end.assign(r, 1.0);
  if (s->coord == "tf_crop_and_resize") {
    const Value* roi = n.input(1);
    NODE_CHECK(n, roi, "tf_crop_and_resize needs roi");
    NODE_UNSUPPORTED_IF(n, !roi->is_const(), "roi (input '" + roi->name + "') is computed at run time");
    const std::vector<double> v = roi->data->to_doubles();
    NODE_CHECK(n, v.size() == 2 * axes.size(), "roi needs a start and an end per resized axis");
    for (size_t i = 0; i < axes.size(); ++i) {
      s->roi_start[axes[i]] = v[i];
      s->roi_end[axes[i]] = v[axes.size() + i];
    }
  }
  for (size_t i = 0; i < r; ++i) NODE_CHECK(n, s->out[i] > 0, "output extent along axis " + std::to_string(i) + " is 0");
  return Status::ok();
}

Status infer_resize(Node& n) {
  if (resize::has_runtime_params(n)) return resize::infer_runtime(n);
  ResizeSpec s;
  PT_RETURN_IF_ERROR(read_spec(n, &s));
  set_output(n, 0, n.inputs[0]->dtype, s.out);
  return Status::ok();
}

// onnxruntime's source coordinate of output index o (float arithmetic as it does it).
float onnx_coordinate(const std::string& mode, float o, float scale, float out, float in) {
  if (mode == "asymmetric") return o / scale;
  if (mode == "pytorch_half_pixel") return out > 1 ? (o + 0.5f) / scale - 0.5f : 0.0f;
  if (mode == "tf_half_pixel_for_nn") return (o + 0.5f) / scale;
  if (mode == "align_corners") return out == 1 ? 0.0f : o * (in - 1) / (out - 1);
  if (mode == "half_pixel_symmetric") {
    const float adjustment = out / (scale * in);
    const float offset = in / 2 * (1 - adjustment);
    return offset + (o + 0.5f) / scale - 0.5f;
  }
  return (o + 0.5f) / scale - 0.5f;  // half_pixel
}

int64_t onnx_nearest(const std::string& mode, float x, bool downsample) {
  if (mode.empty()) return downsample ? static_cast<int64_t>(std::ceil(x)) : static_cast<int64_t>(x);
  if (mode == "round_prefer_ceil") return static_cast<int64_t>(std::round(x));
  if (mode == "floor") return static_cast<int64_t>(std::floor(x));
  if (mode == "ceil") return static_cast<int64_t>(std::ceil(x));
  if (x == static_cast<float>(static_cast<int64_t>(x)) + 0.5f) return static_cast<int64_t>(std::floor(x));
  return static_cast<int64_t>(std::round(x));  // round_prefer_floor
}

struct TflFlags {
  bool align_corners;
  bool half_pixel_centers;
};

// TFLite's source for output index o: the nearest index, or the (clamped) coordinate the
// bilinear weights interpolate at. Mirrors reference_ops GetNearestNeighbor /
// ComputeInterpolationValues.
double tfl_source(bool linear, TflFlags f, int o, int in, int out) {
  const float scale = (f.align_corners && out > 1) ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                                   : static_cast<float>(in) / static_cast<float>(out);
  if (!linear) {
    const float offset = f.half_pixel_centers ? 0.5f : 0.0f;
    int v = f.align_corners ? static_cast<int>(std::round((o + offset) * scale))
                            : static_cast<int>(std::floor((o + offset) * scale));
    v = std::min(v, in - 1);
    if (f.half_pixel_centers) v = std::max(v, 0);
    return v;
  }
  const float v = f.half_pixel_centers ? (o + 0.5f) * scale - 0.5f : o * scale;
  const int lo = std::max(static_cast<int>(std::floor(v)), 0);
  const int hi = std::min(static_cast<int>(std::ceil(v)), in - 1);
  return lo * (1.0 - (v - lo)) + hi * static_cast<double>(v - lo);
}

}  // namespace

double resize::onnx_source(const ResizeSpec& s, int o, int64_t in, int64_t out, float scale) {
  const float x = onnx_coordinate(s.coord, static_cast<float>(o), scale, static_cast<float>(out), static_cast<float>(in));
  if (s.linear) return std::max(0.0f, std::min(x, static_cast<float>(in - 1)));
  return std::clamp<int64_t>(onnx_nearest(s.nearest_mode, x, scale < 1), 0, in - 1);
}

namespace {

bool flags_match(const ResizeSpec& s, TflFlags f, const Shape& in, const Shape& out) {
  for (size_t a = in.size() - 2; a < in.size(); ++a)
    for (int o = 0; o < out[a]; ++o) {
      const double want = resize::onnx_source(s, o, in[a], out[a], s.scales[a]);
      const double got = tfl_source(s.linear, f, o, static_cast<int>(in[a]), static_cast<int>(out[a]));
      if (std::fabs(want - got) > (s.linear ? 1e-5 * std::max<double>(1, in[a]) : 0)) return false;
    }
  return true;
}

Status lower_resize(LowerContext& ctx, Node& n) {
  if (resize::has_runtime_params(n)) return resize::lower_runtime(ctx, n);
  ResizeSpec s;
  PT_RETURN_IF_ERROR(read_spec(n, &s));
  Value* x = n.inputs[0];
  Value* out = n.outputs[0];
  const size_t r = x->shape.size();
  NODE_UNSUPPORTED_IF(n, s.mode != "nearest" && !s.linear && s.mode != "cubic",
                      "mode '" + s.mode + "' (nearest, linear and cubic are supported)");
  // align_corners divides by (length_resized - 1): onnxruntime takes the integer output
  // extent, the ONNX reference in * scale; they differ when that is not a whole number.
  if (s.coord == "align_corners" && s.from_scales)
    for (size_t a = 0; a < r; ++a)
      NODE_UNSUPPORTED_IF(n, static_cast<double>(x->shape[a]) * s.scales[a] != static_cast<double>(s.out[a]),
                          "align_corners with scales whose in * scale is not a whole number along axis " +
                              std::to_string(a) + " (onnxruntime and the ONNX reference disagree there); "
                              "export with sizes");
  // A TFLite resize when one reproduces ONNX's sampling for these sizes, else the
  // separable fallback.
  bool builtin = (r == 3 || r == 4) && s.mode != "cubic" && s.coord != "tf_crop_and_resize" &&
                 x->dtype == ir::DType::kFloat32;
  for (size_t a = 0; a < 2 && builtin; ++a)
    builtin = s.out[a] == x->shape[a] && (x->shape[a] == 1 || s.scales[a] == 1.0f);  // H and W only
  if (n.get_int("antialias", 0) && s.linear)
    for (size_t a = 2; a < r; ++a) builtin = builtin && s.scales[a] >= 1;
  if (!builtin) return resize::lower_separable(ctx, n, s);
  ResizeSpec s4 = s;
  Shape in4 = x->shape, out4 = s.out;
  if (r == 3) {
    in4.insert(in4.begin() + 2, 1);
    out4.insert(out4.begin() + 2, 1);
    s4.scales.insert(s4.scales.begin() + 2, 1.0f);
  }
  const TflFlags candidates[] = {{false, false}, {false, true}, {true, false}};
  const TflFlags* chosen = nullptr;
  for (const TflFlags& f : candidates)
    if (flags_match(s4, f, in4, out4)) {
      chosen = &f;
      break;
    }
  if (!chosen) return resize::lower_separable(ctx, n, s);
  Value* x4 = r == 3 ? ctx.reshape(n, x, in4) : x;
  Value* y = ctx.to_channels_last(n, x4);
  Value* resized = ctx.temp(n, x->dtype, {in4[0], out4[2], out4[3], in4[1]}, "resized");
  Node* op = ctx.emit(s.linear ? "tfl.RESIZE_BILINEAR" : "tfl.RESIZE_NEAREST_NEIGHBOR", n,
                      {y, ctx.const_int32(n, "size", {out4[2], out4[3]})}, {resized});
  op->attrs["align_corners"] = int64_t{chosen->align_corners};
  op->attrs["half_pixel_centers"] = int64_t{chosen->half_pixel_centers};
  if (r == 4) {
    ctx.from_channels_last(n, resized, out);
  } else {
    Value* y4 = ctx.temp(n, x->dtype, out4, "resized_nchw");
    ctx.from_channels_last(n, resized, y4);
    ctx.reshape(n, y4, out->shape, out);
  }
  return Status::ok();
}

}  // namespace

void register_resize(Registry& r) {
  // dynamic: scales/sizes computed at run time make the resized extents -1 (resize_runtime.cc).
  r.add("Resize", dynamic({infer_resize, nullptr, lower_resize}));
  r.add("Upsample", dynamic({infer_resize, nullptr, lower_resize}));
}

}  // namespace pt2tflite::lower
