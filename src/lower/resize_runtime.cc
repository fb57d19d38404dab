// Resize/Upsample whose scales, sizes or roi are computed at run time (resize.cc takes the
// constant case). The output's resized extents are then -1 (known at run time); the data
// is resized axis by axis in the ONNX layout with everything the static path reads off the
// parameters computed by the graph instead, per resized axis a with input length `in`:
//
//   scale, out   scales given: scale = scales[i], out = floor(scale * in) (float32, as
//                onnxruntime); sizes given: out = sizes[i], scale = out / in, or, under
//                keep_aspect_ratio_policy, one min/max scale and out = round(scale * in);
//   x[o]         the source coordinate of every output cell o = RANGE(0, out), per
//                coordinate_transformation_mode, with the ONNX reference's fractional
//                length scale * in where it divides by the output length (align_corners,
//                tf_crop_and_resize, half_pixel_symmetric);
//   nearest      the source index after nearest_mode, clamped, then one GATHER along a;
//   linear/cubic a run-time [out, in] interpolation matrix, applied with BATCH_MATMUL:
//                kernel weights K(sc * (p - x[o])) over a static range of positions p wide
//                enough for any valid scale, folded onto the edges (or dropped, with
//                exclude_outside) by a constant [positions, in] matrix and normalised by
//                their sum. sc = min(scale, 1) with antialias (the widened kernel), else 1;
//                the range covers the widest kernel any valid output length needs
//                (out >= 1 means scale >= 1 / (2 in)), so the tap count never depends on
//                the scale.
//   tf_crop_and_resize  cells whose coordinate falls outside [0, in - 1] take
//                extrapolation_value (SELECT_V2).
// X itself must have static extents (its lengths size the interpolation matrices).
#include <algorithm>
#include <cmath>

#include "lower/emit_arith.h"
#include "lower/resize_spec.h"

namespace pt2tflite::lower::resize {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

// Which inputs carry the parameters, per opset form.
struct Params {
  bool legacy = false;             // Upsample, Resize-10: asymmetric, the old nearest rule
  Value* scales = nullptr;         // float [k], when the output is given by scales
  std::vector<double> attr_scales;  // Upsample-7's attribute
  Value* sizes = nullptr;          // int64 [k], when given by sizes
  Value* roi = nullptr;            // tf_crop_and_resize
  std::vector<int64_t> axes;       // the axes scales/sizes/roi speak of
  std::string coord;
};

bool empty_value(const Value* v) {
  return !v || (v->shape.size() == 1 && v->shape[0] == 0) || (v->is_const() && ir::num_elements(v->data->shape) == 0);
}

Params read_params(const Node& n) {
  Params p;
  const size_t r = n.inputs[0]->shape.size();
  p.legacy = n.op == "onnx.Upsample" || n.opset < 11;
  p.coord = p.legacy ? "asymmetric" : n.get_string("coordinate_transformation_mode", "half_pixel");
  for (int64_t a : n.get_ints("axes")) p.axes.push_back(normalize_axis(a, r));
  if (p.axes.empty())
    for (size_t i = 0; i < r; ++i) p.axes.push_back(static_cast<int64_t>(i));
  if (n.op == "onnx.Upsample" && n.has("scales")) {
    p.attr_scales = n.get_floats("scales");
  } else if (p.legacy) {
    p.scales = n.input(1);
  } else {
    if (!empty_value(n.input(2))) p.scales = n.input(2);
    else if (!empty_value(n.input(3))) p.sizes = n.input(3);
    if (p.coord == "tf_crop_and_resize") p.roi = n.input(1);
  }
  return p;
}

bool runtime(const Value* v) { return v && !v->is_const(); }

// onnxruntime's round() for the positive products scale * in: half away from zero.
int64_t round_half_up(float v) { return static_cast<int64_t>(std::round(v)); }

}  // namespace

bool has_runtime_params(const Node& n) {
  if (!n.input(0)) return false;
  const Params p = read_params(n);
  return runtime(p.scales) || runtime(p.sizes) || runtime(p.roi) || !ir::is_static(n.inputs[0]->shape);
}

Status infer_runtime(Node& n) {
  const Value* x = n.inputs[0];
  const Params p = read_params(n);
  NODE_UNSUPPORTED_IF(n, !ir::is_static(x->shape),
                      "input X has extents known only at run time " + ir::shape_to_string(x->shape) +
                          "; Resize needs X's shape static (its lengths size the interpolation)");
  for (int64_t a : p.axes) NODE_CHECK(n, a >= 0, "an axis is out of range");
  NODE_CHECK(n, p.scales || p.sizes || !p.attr_scales.empty(), "neither scales nor sizes is given");
  Shape out = x->shape;
  const std::string policy = n.get_string("keep_aspect_ratio_policy", "stretch");
  if (runtime(p.scales) || runtime(p.sizes)) {
    for (int64_t a : p.axes) out[a] = -1;
  } else if (p.scales || !p.attr_scales.empty()) {  // constant scales, run-time roi
    const std::vector<double> sc =
        p.scales ? p.scales->data->to_doubles() : std::vector<double>(p.attr_scales.begin(), p.attr_scales.end());
    NODE_CHECK(n, sc.size() == p.axes.size(), "scales has one value per axis");
    for (size_t i = 0; i < p.axes.size(); ++i)
      out[p.axes[i]] = static_cast<int64_t>(static_cast<float>(sc[i]) * static_cast<float>(x->shape[p.axes[i]]));
  } else {
    const std::vector<int64_t> sz = p.sizes->data->to_int64s();
    NODE_CHECK(n, sz.size() == p.axes.size(), "sizes has one value per axis");
    float scale = policy == "not_larger" ? INFINITY : 0.0f;
    for (size_t i = 0; i < p.axes.size(); ++i) {
      const float s = static_cast<float>(sz[i]) / static_cast<float>(x->shape[p.axes[i]]);
      scale = policy == "not_larger" ? std::min(scale, s) : std::max(scale, s);
    }
    for (size_t i = 0; i < p.axes.size(); ++i)
      out[p.axes[i]] = policy == "stretch" ? sz[i] : round_half_up(scale * static_cast<float>(x->shape[p.axes[i]]));
  }
  set_output(n, 0, x->dtype, out);
  return Status::ok();
}

namespace {

// The per-axis run-time quantities, all 0-D.
struct AxisTerms {
  Value* scale;  // float
  Value* out_f;  // float, the output length
  Value* out_i;  // int32, the output length
  Value* len;    // float, the length the reference divides by (scale * in or out)
};

class RuntimeResize {
 public:
  RuntimeResize(LowerContext& ctx, Node& n, Params p) : ctx_(ctx), n_(n), a_(ctx, n), p_(std::move(p)) {}

  Status run() {
    Value* x = n_.inputs[0];
    const std::string mode = n_.get_string("mode", "nearest");
    linear_ = mode == "linear" || mode == "bilinear";
    cubic_ = mode == "cubic";
    nearest_ = mode == "nearest";
    NODE_UNSUPPORTED_IF(n_, !nearest_ && !linear_ && !cubic_, "mode '" + mode + "' (nearest, linear and cubic are supported)");
    NODE_UNSUPPORTED_IF(n_, !nearest_ && x->dtype != DType::kFloat32, "linear/cubic resize of non-float32 data");
    NODE_UNSUPPORTED_IF(n_, nearest_ && p_.coord == "tf_crop_and_resize", "nearest tf_crop_and_resize");
    NODE_UNSUPPORTED_IF(n_, nearest_ && n_.get_int("antialias", 0) != 0, "antialias with nearest (ONNX leaves it undefined)");
    NODE_UNSUPPORTED_IF(n_, p_.coord == "tf_crop_and_resize" && !p_.roi, "tf_crop_and_resize without roi");
    const std::string policy = n_.get_string("keep_aspect_ratio_policy", "stretch");
    NODE_CHECK(n_, policy == "stretch" || policy == "not_larger" || policy == "not_smaller",
               "unknown keep_aspect_ratio_policy '" + policy + "'");
    if (p_.sizes && policy != "stretch") {
      // One scale for all the listed axes: the smallest (not_larger) or largest ratio.
      std::vector<float> ins;
      for (int64_t a : p_.axes) ins.push_back(static_cast<float>(x->shape[a]));
      Value* ratios = a_.div(ctx_.cast(n_, p_.sizes, DType::kFloat32),
                             ctx_.const_float(n_, "in_lengths", ins, {static_cast<int64_t>(ins.size())}));
      common_scale_ = ctx_.temp(n_, DType::kFloat32, {}, "common_scale");
      ctx_.emit(policy == "not_larger" ? "tfl.REDUCE_MIN" : "tfl.REDUCE_MAX", n_,
                {ratios, ctx_.const_int32(n_, "axis", {0})}, {common_scale_})
          ->attrs["keep_dims"] = int64_t{0};
    }
    // Ascending axes, so those after the one being resized still have their static extents.
    std::vector<size_t> order(p_.axes.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t l, size_t r) { return p_.axes[l] < p_.axes[r]; });
    Value* y = x;
    for (size_t i : order) y = resize_axis(y, i);
    ctx_.reshape(n_, y, n_.outputs[0]->shape, n_.outputs[0]);
    return Status::ok();
  }

 private:
  Value* scalar_i32(int64_t v) { return ctx_.constant(n_, "c", Tensor::from_int64s(DType::kInt32, {}, {v})); }

  // Element i of a 1-D parameter as a 0-D value.
  Value* element(Value* v, size_t i) {
    Value* e = ctx_.temp(n_, v->dtype, {}, "param");
    ctx_.emit("tfl.GATHER", n_, {v, scalar_i32(static_cast<int64_t>(i))}, {e})->attrs["axis"] = int64_t{0};
    return e;
  }

  AxisTerms terms(size_t i, float in) {
    AxisTerms t;
    Value* in_f = a_.scalar(in);
    if (p_.scales || !p_.attr_scales.empty()) {
      t.scale = p_.scales ? ctx_.cast(n_, element(p_.scales, i), DType::kFloat32) : a_.scalar(p_.attr_scales[i]);
      t.len = a_.mul(t.scale, in_f);
      t.out_f = a_.un("tfl.FLOOR", t.len);
    } else if (common_scale_) {
      t.scale = common_scale_;
      t.len = a_.mul(t.scale, in_f);                           // fractional, as the reference
      t.out_f = a_.un("tfl.FLOOR", a_.add(t.len, 0.5));  // round half up, as std::round
    } else {
      t.out_f = ctx_.cast(n_, element(p_.sizes, i), DType::kFloat32);
      t.scale = a_.div(t.out_f, in_f);
      t.len = t.out_f;
    }
    t.out_i = ctx_.cast(n_, t.out_f, DType::kInt32);
    return t;
  }

  // x[o] for every output cell o, as 1-D float [out].
  Value* coordinates(const AxisTerms& t, size_t i, float in) {
    Value* o = ctx_.temp(n_, DType::kInt32, {-1}, "cells");
    ctx_.emit("tfl.RANGE", n_, {scalar_i32(0), t.out_i, scalar_i32(1)}, {o});
    Value* of = ctx_.cast(n_, o, DType::kFloat32);
    Value* centre = a_.add(a_.div(a_.add(of, 0.5), t.scale), -0.5);  // (o + 0.5) / scale - 0.5
    const std::string& c = p_.coord;
    Value* single = a_.bin("tfl.EQUAL", t.len, a_.scalar(1), DType::kBool);
    if (c == "asymmetric") return a_.div(of, t.scale);
    if (c == "tf_half_pixel_for_nn")  // an axis with scale 1 is left as it is (onnxruntime, the static path)
      return a_.select(a_.bin("tfl.EQUAL", t.scale, a_.scalar(1), DType::kBool), of, a_.div(a_.add(of, 0.5), t.scale));
    if (c == "pytorch_half_pixel")
      return a_.select(a_.bin("tfl.GREATER", t.len, a_.scalar(1), DType::kBool), centre, a_.scalar(nearest_ ? 0.0 : -0.5));
    if (c == "align_corners")
      return a_.select(single, a_.scalar(0), a_.div(a_.mul(of, in - 1), a_.add(t.len, -1.0)));
    if (c == "half_pixel_symmetric") {
      Value* adjustment = a_.div(t.out_f, a_.mul(t.scale, a_.scalar(in)));
      Value* offset = a_.mul(a_.sub(a_.scalar(1), adjustment), in / 2);
      return a_.add(offset, centre);
    }
    if (c == "tf_crop_and_resize") {
      Value* start = ctx_.cast(n_, element(p_.roi, i), DType::kFloat32);
      Value* end = ctx_.cast(n_, element(p_.roi, p_.axes.size() + i), DType::kFloat32);
      Value* span = a_.mul(a_.sub(end, start), in - 1);  // (end - start) * (in - 1)
      Value* spread = a_.select(single, a_.mul(span, 0.5), a_.div(a_.mul(of, span), a_.add(t.len, -1.0)));
      return a_.add(spread, a_.mul(start, in - 1));
    }
    return centre;  // half_pixel
  }

  // The source index ONNX's nearest_mode picks, clamped, as int32 [out].
  Value* nearest_index(Value* xc, const AxisTerms& t, float in) {
    Value* fl = a_.un("tfl.FLOOR", xc);
    Value* frac = a_.sub(xc, fl);
    Value* idx;
    if (p_.legacy) {  // the pre-opset-11 rule: ceil when downsampling, else truncate (x >= 0)
      idx = a_.select(a_.bin("tfl.LESS", t.scale, a_.scalar(1), DType::kBool), a_.un("tfl.CEIL", xc), fl);
    } else {
      const std::string m = n_.get_string("nearest_mode", "round_prefer_floor");
      if (m == "floor") idx = fl;
      else if (m == "ceil") idx = a_.un("tfl.CEIL", xc);
      else
        idx = a_.select(a_.bin(m == "round_prefer_ceil" ? "tfl.GREATER_EQUAL" : "tfl.GREATER", frac, a_.scalar(0.5),
                               DType::kBool),
                        a_.add(fl, 1.0), fl);
    }
    return ctx_.cast(n_, a_.clamp(idx, 0, in - 1), DType::kInt32);
  }

  // The [out, in] interpolation matrix at the coordinates xc.
  Value* interpolation_matrix(Value* xc, const AxisTerms& t, int64_t in) {
    const bool antialias = n_.get_int("antialias", 0) != 0, exclude = n_.get_int("exclude_outside", 0) != 0;
    const double support = cubic_ ? 2 : 1, ca = n_.get_float("cubic_coeff_a", -0.75);
    // Coordinates lie in [-0.5, in); the kernel reaches support / sc beyond, and sc >= 1/(2 in).
    const double reach = antialias ? support * 2 * static_cast<double>(in) : support;
    const int64_t first = static_cast<int64_t>(std::floor(-0.5 - reach)) - 1;
    const int64_t last = static_cast<int64_t>(std::ceil(static_cast<double>(in) + reach)) + 1;
    const int64_t count = last - first + 1;
    std::vector<float> positions(static_cast<size_t>(count));
    std::vector<float> fold(static_cast<size_t>(count * in), 0.0f);
    for (int64_t k = 0; k < count; ++k) {
      const int64_t pos = first + k;
      positions[k] = static_cast<float>(pos);
      if (!exclude || (pos >= 0 && pos < in)) fold[k * in + std::clamp<int64_t>(pos, 0, in - 1)] = 1.0f;
    }
    Value* col = ctx_.reshape(n_, xc, {-1, 1});
    Value* d = a_.sub(ctx_.const_float(n_, "positions", positions, {1, count}), col);  // [out, count]
    if (antialias) d = a_.mul(d, a_.bin("tfl.MINIMUM", t.scale, a_.scalar(1)));
    Value* s = a_.un("tfl.ABS", d);
    Value* k;
    if (!cubic_) {
      k = a_.bin("tfl.MAXIMUM", a_.sub(a_.scalar(1), s), a_.scalar(0));
    } else {
      Value* inner = a_.add(a_.mul(a_.mul(a_.add(a_.mul(s, ca + 2), -(ca + 3)), s), s), 1.0);
      Value* outer = a_.add(a_.mul(a_.add(a_.mul(a_.add(a_.mul(s, ca), -5 * ca), s), 8 * ca), s), -4 * ca);
      k = a_.select(a_.bin("tfl.LESS_EQUAL", s, a_.scalar(1), DType::kBool), inner,
                    a_.select(a_.bin("tfl.LESS", s, a_.scalar(2), DType::kBool), outer, a_.scalar(0)));
    }
    Value* folded = ctx_.temp(n_, DType::kFloat32, {-1, in}, "folded");
    ctx_.emit("tfl.BATCH_MATMUL", n_, {k, ctx_.const_float(n_, "fold", fold, {count, in})}, {folded});
    Value* sum = ctx_.temp(n_, DType::kFloat32, {-1, 1}, "weight_sum");
    ctx_.emit("tfl.SUM", n_, {exclude ? folded : k, ctx_.const_int32(n_, "axis", {1})}, {sum})->attrs["keep_dims"] =
        int64_t{1};
    return a_.div(folded, sum);
  }

  // y's shape with axis a replaced by the run-time length out_i.
  Value* shape_with(Value* y, size_t a, Value* out_i) {
    const int64_t r = static_cast<int64_t>(y->shape.size());
    Value* pool = ctx_.temp(n_, DType::kInt32, {r + 1}, "dims");
    ctx_.emit("tfl.CONCATENATION", n_, {ctx_.shape_of(n_, y), ctx_.reshape(n_, out_i, {1})}, {pool})->attrs["axis"] =
        int64_t{0};
    std::vector<int64_t> picks;
    for (int64_t i = 0; i < r; ++i) picks.push_back(i == static_cast<int64_t>(a) ? r : i);
    Value* dims = ctx_.temp(n_, DType::kInt32, {r}, "dims");
    ctx_.emit("tfl.GATHER", n_, {pool, ctx_.const_int32(n_, "dim_picks", picks)}, {dims})->attrs["axis"] = int64_t{0};
    return dims;
  }

  Value* resize_axis(Value* y, size_t i) {
    const size_t a = static_cast<size_t>(p_.axes[i]);
    const int64_t in = n_.inputs[0]->shape[a];
    const AxisTerms t = terms(i, static_cast<float>(in));
    Value* xc = coordinates(t, i, static_cast<float>(in));
    Shape ys = y->shape;
    ys[a] = -1;
    Value* resized;
    if (nearest_) {
      resized = ctx_.temp(n_, y->dtype, ys, "gathered");
      ctx_.emit("tfl.GATHER", n_, {y, nearest_index(xc, t, static_cast<float>(in))}, {resized})->attrs["axis"] =
          static_cast<int64_t>(a);
    } else {
      int64_t after = 1;
      for (size_t k = a + 1; k < ys.size(); ++k) after *= ys[k];  // axes not resized yet: static
      Value* m = ctx_.reshape(n_, interpolation_matrix(xc, t, in), {1, -1, in});
      Value* product = ctx_.temp(n_, y->dtype, {-1, -1, after}, "interpolated");
      ctx_.emit("tfl.BATCH_MATMUL", n_, {m, ctx_.reshape(n_, y, {-1, in, after})}, {product});
      resized = ctx_.temp(n_, y->dtype, ys, "resized");
      ctx_.emit("tfl.RESHAPE", n_, {product, shape_with(y, a, t.out_i)}, {resized});
    }
    if (p_.coord == "tf_crop_and_resize") {  // extrapolated cells take extrapolation_value
      Value* outside = ctx_.temp(n_, DType::kBool, {-1}, "outside");
      ctx_.emit("tfl.LOGICAL_OR", n_,
                {a_.bin("tfl.LESS", xc, a_.scalar(0), DType::kBool),
                 a_.bin("tfl.GREATER", xc, a_.scalar(static_cast<double>(in - 1)), DType::kBool)},
                {outside});
      Shape ms(ys.size(), 1);
      ms[a] = -1;
      resized = a_.select(ctx_.reshape(n_, outside, ms), a_.scalar(n_.get_float("extrapolation_value", 0.0)), resized);
    }
    return resized;
  }

  LowerContext& ctx_;
  Node& n_;
  Arith a_;
  Params p_;
  bool linear_ = false, cubic_ = false, nearest_ = false;
  Value* common_scale_ = nullptr;
};

}  // namespace

Status lower_runtime(LowerContext& ctx, Node& n) { return RuntimeResize(ctx, n, read_params(n)).run(); }

}  // namespace pt2tflite::lower::resize
