// GridSample (opset 16/20/22) and AffineGrid (opset 20): spatial-transformer sampling.
//
// GridSample, X [N, C, D1..Dk] (k = 1..3) and grid [N, O1..Ok, k] (x first: the last spatial
// axis), works channels-last: X is transposed to [N, D.., C] (the sinking pass cancels it in
// a CNN) and flattened to rows [N·ΠD, C]. Per spatial axis the grid component is
// denormalised as onnxruntime does it, ((g+1)/2)·(d−1) with align_corners, ((g+1)·d − 1)/2
// without; then
//   nearest: ROUND (half to even, as ONNX/PyTorch), one tap;
//   linear:  FLOOR, taps f and f+1 weighted 1−t and t;
//   cubic:   taps f−1..f+2 with Keys' coefficients (A = −0.75), 2-D only (as ONNX);
// padding_mode moves the coordinate first: border clamps it into [0, d−1] (nearest, linear;
// cubic keeps it and clamps only its taps, as PyTorch and onnxruntime do — the ONNX
// reference clamps cubic coordinates outside [lo, hi] too); reflection folds it into
// [lo, hi] (lo, hi = 0, d−1 with align_corners, −0.5, d−0.5 without) by the triangle wave
// hi − |((c − lo) mod 2r) − r|, r = hi − lo. Tap indices outside [0, d−1] are then clamped
// (border), reflected the same way (reflection; only cubic taps can reach past one cell)
// or clamped with their weight zeroed (zeros). Each combination of taps is one GATHER_ND of a row (int32 row index
// n·ΠD + Σ i·stride) times the product of the tap weights, and the terms are summed:
// 2^k gathers for linear, 16 for bicubic. Float32 data only; shapes static.
//
// AffineGrid, theta [N, k, k+1] and a constant size [N, C, D1..Dk] (k = 2, 3): the base
// grid rows (x, y[, z], 1) of the ONNX reference (linspace over [−1, 1], cell centres
// without align_corners) are a constant [1, P, 1, k+1]; grid = SUM(base · theta) over the
// last axis, P = ΠD, reshaped to [N, D.., k]. A size computed at run time builds each axis's
// coordinates with RANGE at run time and sums coordinate × theta column by broadcasting
// ([1, .., D_j, .., 1] × [N, 1, .., k]); with align_corners and an extent of 1 it gives the
// ONNX reference's -1 (the static path refuses that case, see below).
#include <cmath>
#include <functional>

#include "lower/context.h"
#include "lower/emit_arith.h"
#include "lower/registry.h"
#include "lower/runtime_params.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

enum class Mode { kNearest, kLinear, kCubic };
enum class Padding { kZeros, kBorder, kReflection };

Result<Mode> mode_of(const Node& n) {
  const std::string m = n.get_string("mode", n.opset >= 20 ? "linear" : "bilinear");
  if (m == "nearest") return Mode::kNearest;
  if (m == "bilinear" || m == "linear") return Mode::kLinear;
  if (m == "bicubic" || m == "cubic") return Mode::kCubic;
  return invalid_model(n.describe() + ": unknown mode '" + m + "'");
}

Result<Padding> padding_of(const Node& n) {
  const std::string p = n.get_string("padding_mode", "zeros");
  if (p == "zeros") return Padding::kZeros;
  if (p == "border") return Padding::kBorder;
  if (p == "reflection") return Padding::kReflection;
  return invalid_model(n.describe() + ": unknown padding_mode '" + p + "'");
}

Status infer_grid_sample(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs X and grid");
  const Shape& x = n.inputs[0]->shape;
  const Shape& g = n.inputs[1]->shape;
  NODE_CHECK(n, x.size() >= 3, "X must be [N, C, D1, ...], got " + ir::shape_to_string(x));
  NODE_CHECK(n, g.size() == x.size() && g.back() == static_cast<int64_t>(x.size() - 2),
             "grid must be [N, D1_out, ..., " + std::to_string(x.size() - 2) + "], got " + ir::shape_to_string(g));
  Shape out{x[0], x[1]};
  out.insert(out.end(), g.begin() + 1, g.end() - 1);
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

// One sampling position along one axis: a float index (integral, inside [0, d−1]) and its
// weight (nullptr: 1).
struct Tap {
  Value* index;
  Value* weight;
};

class GridSampler {
 public:
  GridSampler(LowerContext& ctx, const Node& n, Mode mode, Padding pad, bool align)
      : ctx_(ctx), n_(n), a_(ctx, n), mode_(mode), pad_(pad), align_(align) {}

  // The taps of one spatial axis of extent d, from the grid component g.
  std::vector<Tap> taps(Value* g, int64_t d) {
    Value* c;
    if (align_) {
      c = a_.mul(a_.mul(a_.add(g, 1.0), 0.5), static_cast<double>(d - 1));
    } else {
      c = a_.mul(a_.add(a_.mul(a_.add(g, 1.0), static_cast<double>(d)), -1.0), 0.5);
    }
    const double lo = align_ ? 0.0 : -0.5, hi = align_ ? static_cast<double>(d - 1) : d - 0.5;
    if (mode_ == Mode::kNearest) c = a_.un("tfl.ROUND", c);
    if (pad_ == Padding::kBorder && mode_ != Mode::kCubic) {
      c = a_.clamp(c, 0, static_cast<double>(d - 1));
    } else if (pad_ == Padding::kReflection && hi > lo) {
      c = reflect(c, lo, hi);
    }
    std::vector<Tap> t;
    if (mode_ == Mode::kNearest) {
      t.push_back({c, nullptr});
    } else if (mode_ == Mode::kLinear) {
      Value* f = a_.un("tfl.FLOOR", c);
      Value* w1 = a_.sub(c, f);
      t.push_back({f, a_.sub(a_.scalar(1), w1)});
      t.push_back({a_.add(f, 1.0), w1});
    } else {
      Value* f = a_.un("tfl.FLOOR", c);
      Value* x = a_.sub(c, f);
      constexpr double A = -0.75;
      // Keys' kernel at distances 1+x, x, 1−x, 2−x (the ONNX reference's coefficients).
      auto outer = [&](Value* s) {  // ((A·s − 5A)·s + 8A)·s − 4A, for 1 ≤ s ≤ 2
        return a_.add(a_.mul(a_.add(a_.mul(a_.add(a_.mul(s, A), -5 * A), s), 8 * A), s), -4 * A);
      };
      auto inner = [&](Value* s) {  // ((A+2)·s − (A+3))·s·s + 1, for 0 ≤ s ≤ 1
        return a_.add(a_.mul(a_.mul(a_.add(a_.mul(s, A + 2), -(A + 3)), s), s), 1.0);
      };
      Value* one_minus = a_.sub(a_.scalar(1), x);
      t.push_back({a_.add(f, -1.0), outer(a_.add(x, 1.0))});
      t.push_back({f, inner(x)});
      t.push_back({a_.add(f, 1.0), inner(one_minus)});
      t.push_back({a_.add(f, 2.0), outer(a_.sub(a_.scalar(2), x))});
    }
    for (Tap& tap : t) resolve(tap, d, lo, hi);
    return t;
  }

 private:
  // hi − |((c − lo) mod 2r) − r|: the ONNX reference's repeated reflection at lo and hi.
  Value* reflect(Value* c, double lo, double hi) {
    const double r = hi - lo;
    Value* m = a_.bin("tfl.FLOOR_MOD", a_.add(c, -lo), a_.scalar(2 * r));
    return a_.sub(a_.scalar(hi), a_.un("tfl.ABS", a_.add(m, -r)));
  }

  // Brings a tap index into [0, d−1] by the padding mode.
  void resolve(Tap& tap, int64_t d, double lo, double hi) {
    const double last = static_cast<double>(d - 1);
    if (pad_ == Padding::kZeros) {
      Value* clamped = a_.clamp(tap.index, 0, last);
      Value* inside = ctx_.cast(n_, a_.bin("tfl.EQUAL", tap.index, clamped, DType::kBool), DType::kFloat32);
      tap.weight = tap.weight ? a_.mul(tap.weight, inside) : inside;
      tap.index = clamped;
      return;
    }
    if (pad_ == Padding::kReflection && mode_ == Mode::kCubic && hi > lo) tap.index = reflect(tap.index, lo, hi);
    tap.index = a_.clamp(tap.index, 0, last);
  }

  LowerContext& ctx_;
  const Node& n_;
  Arith a_;
  Mode mode_;
  Padding pad_;
  bool align_;
};

Status lower_grid_sample(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Mode mode, mode_of(n));
  PT_ASSIGN_OR_RETURN(Padding pad, padding_of(n));
  const bool align = n.get_int("align_corners", 0) != 0;
  Value* x = n.inputs[0];
  Value* out = n.outputs[0];
  const Shape& xs = x->shape;
  const size_t k = xs.size() - 2;
  NODE_UNSUPPORTED_IF(n, k > 3, std::to_string(k) + "-D sampling (only 1-D to 3-D is lowered)");
  NODE_UNSUPPORTED_IF(n, mode == Mode::kCubic && k != 2, "cubic mode on a " + std::to_string(k) +
                                                             "-D input (ONNX defines it for 4-D inputs only)");
  NODE_UNSUPPORTED_IF(n, x->dtype != DType::kFloat32,
                      std::string("X of type ") + ir::dtype_name(x->dtype) + " (only float32 is lowered)");
  NODE_UNSUPPORTED_IF(n, !ir::is_float(n.inputs[1]->dtype) || n.inputs[1]->dtype == DType::kFloat64,
                      std::string("grid of type ") + ir::dtype_name(n.inputs[1]->dtype));
  NODE_UNSUPPORTED_IF(n, !ir::is_static(xs) || !ir::is_static(n.inputs[1]->shape) || ir::num_elements(xs) == 0 ||
                             ir::num_elements(out->shape) == 0,
                      "dynamic or empty shapes (fix them with --input-shape)");
  const int64_t batch = xs[0], channels = xs[1];
  int64_t rows_per_image = 1;
  for (size_t a = 0; a < k; ++a) rows_per_image *= xs[2 + a];
  NODE_UNSUPPORTED_IF(n, batch * rows_per_image > (int64_t{1} << 31) - 1, "more pixels than int32 indices reach");

  Value* rows = ctx.reshape(n, ctx.to_channels_last(n, x), {batch * rows_per_image, channels});
  Value* grid = ctx.cast(n, n.inputs[1], DType::kFloat32);
  Shape one = grid->shape;
  one.back() = 1;  // [N, O.., 1]
  std::vector<Value*> comps;
  if (k == 1) {
    comps.push_back(grid);
  } else {
    for (size_t i = 0; i < k; ++i) comps.push_back(ctx.temp(n, DType::kFloat32, one, "grid_part"));
    ctx.emit("tfl.SPLIT", n, {ctx.const_int32(n, "axis", {static_cast<int64_t>(one.size() - 1)}, Shape{}), grid},
             comps)->attrs["num_splits"] = static_cast<int64_t>(k);
  }

  Arith a(ctx, n);
  GridSampler sampler(ctx, n, mode, pad, align);
  // Per axis: taps with their index already scaled to a row offset (int32).
  std::vector<std::vector<Tap>> axes(k);
  int64_t stride = rows_per_image;
  for (size_t ax = 0; ax < k; ++ax) {
    const int64_t d = xs[2 + ax];
    stride /= d;
    for (Tap t : sampler.taps(comps[k - 1 - ax], d)) {
      Value* i = ctx.cast(n, t.index, DType::kInt32);
      if (stride != 1) i = a.mul(i, a.scalar(DType::kInt32, static_cast<double>(stride)));
      if (ax == 0 && batch > 1) {
        std::vector<int64_t> base;
        for (int64_t b = 0; b < batch; ++b) base.push_back(b * rows_per_image);
        Shape bs(one.size(), 1);
        bs[0] = batch;
        i = a.add(i, ctx.constant(n, "batch_rows", Tensor::from_int64s(DType::kInt32, bs, base)));
      }
      axes[ax].push_back({i, t.weight});
    }
  }

  Shape sampled_shape = one;
  sampled_shape.back() = channels;  // [N, O.., C]
  Value* sum = nullptr;
  std::function<void(size_t, Value*, Value*)> combine = [&](size_t ax, Value* row, Value* weight) {
    if (ax == k) {
      Value* g = ctx.temp(n, DType::kFloat32, sampled_shape, "sampled");
      ctx.emit("tfl.GATHER_ND", n, {rows, row}, {g});
      Value* term = weight ? a.mul(g, weight) : g;
      sum = sum ? a.add(sum, term) : term;
      return;
    }
    for (const Tap& t : axes[ax]) {
      Value* r = row ? a.add(row, t.index) : t.index;
      Value* w = weight && t.weight ? a.mul(weight, t.weight) : (weight ? weight : t.weight);
      combine(ax + 1, r, w);
    }
  };
  combine(0, nullptr, nullptr);
  ctx.from_channels_last(n, sum, out);
  return Status::ok();
}

// --- AffineGrid ---

Status infer_runtime_affine_grid(Node& n) {
  const Shape& s = n.inputs[1]->shape;
  NODE_CHECK(n, s.size() == 1, "size must be 1-D");
  NODE_UNSUPPORTED_IF(n, s[0] != 4 && s[0] != 5, "size of length " + std::to_string(s[0]) + " (2-D and 3-D grids only)");
  const int64_t k = s[0] - 2;
  const Shape& t = n.inputs[0]->shape;
  NODE_CHECK(n, t.size() == 3 && t[1] == k && t[2] == k + 1,
             "theta must be [N, " + std::to_string(k) + ", " + std::to_string(k + 1) + "], got " + ir::shape_to_string(t));
  NODE_UNSUPPORTED_IF(n, t[0] < 0, "theta's batch is known only at run time");
  Shape out(k + 2, -1);
  out[0] = t[0];
  out[k + 1] = k;
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

Status infer_affine_grid(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs theta and size");
  if (!n.inputs[1]->is_const()) return infer_runtime_affine_grid(n);
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> size, const_ints(n, 1, "size"));
  NODE_UNSUPPORTED_IF(n, size.size() != 4 && size.size() != 5,
                      "size of length " + std::to_string(size.size()) + " (2-D and 3-D grids only)");
  const int64_t k = static_cast<int64_t>(size.size()) - 2;
  const Shape& t = n.inputs[0]->shape;
  NODE_CHECK(n, t.size() == 3 && t[1] == k && t[2] == k + 1,
             "theta must be [N, " + std::to_string(k) + ", " + std::to_string(k + 1) + "], got " + ir::shape_to_string(t));
  Shape out{size[0]};
  out.insert(out.end(), size.begin() + 2, size.end());
  out.push_back(k);
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

// The ONNX reference's coordinates along an axis of extent d.
std::vector<double> linspace(int64_t d, bool align) {
  std::vector<double> v(static_cast<size_t>(d));
  for (int64_t i = 0; i < d; ++i)
    v[i] = align ? -1.0 + 2.0 * static_cast<double>(i) / static_cast<double>(d - 1)
                 : -1.0 + (2.0 * static_cast<double>(i) + 1.0) / static_cast<double>(d);
  return v;
}

Status lower_runtime_affine_grid(LowerContext& ctx, Node& n) {
  RuntimeParams p(ctx, n);
  Arith a(ctx, n);
  const bool align = n.get_int("align_corners", 0) != 0;
  Value* theta = n.inputs[0];
  NODE_UNSUPPORTED_IF(n, theta->dtype != DType::kFloat32 && theta->dtype != DType::kFloat16,
                      std::string("theta of type ") + ir::dtype_name(theta->dtype));
  const int64_t batch = theta->shape[0], k = theta->shape[1];
  Value* t32 = ctx.cast(n, theta, DType::kFloat32);
  Value* size = ctx.cast(n, n.inputs[1], DType::kFloat32);
  Shape col_shape(k + 2, 1);
  col_shape[0] = batch;
  col_shape[k + 1] = k;
  // theta's last column (the translation), then coordinate j's contribution per axis.
  auto theta_column = [&](int64_t c) {
    Value* g = ctx.temp(n, DType::kFloat32, {batch, k, 1}, "theta_column");
    ctx.emit("tfl.GATHER", n, {t32, ctx.const_int32(n, "column", {c})}, {g})->attrs["axis"] = int64_t{2};
    return ctx.reshape(n, g, col_shape);
  };
  Value* sum = theta_column(k);
  for (int64_t j = 0; j < k; ++j) {  // spatial axis j of size[2..]; coordinate k-1-j (x is the last axis)
    Value* d = p.element(size, 2 + j);
    Value* i = ctx.temp(n, DType::kFloat32, {-1}, "positions");
    ctx.emit("tfl.RANGE", n, {a.scalar(0.0), d, a.scalar(1.0)}, {i});
    Value* coords = align ? a.add(a.div(a.mul(i, 2.0), a.bin("tfl.MAXIMUM", a.add(d, -1.0), a.scalar(1.0))), -1.0)
                          : a.add(a.div(a.add(a.mul(i, 2.0), 1.0), d), -1.0);
    Shape at(k + 2, 1);
    at[1 + j] = -1;
    sum = a.add(sum, a.mul(ctx.reshape(n, coords, at), theta_column(k - 1 - j)));
  }
  Value* out = n.outputs[0];
  if (out->dtype == DType::kFloat32)
    ctx.emit("tfl.RESHAPE", n, {sum, ctx.shape_of(n, sum)}, {out});
  else
    ctx.cast(n, sum, out->dtype, out);
  return Status::ok();
}

Status lower_affine_grid(LowerContext& ctx, Node& n) {
  if (!n.inputs[1]->is_const()) return lower_runtime_affine_grid(ctx, n);
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> size, const_ints(n, 1, "size"));
  const bool align = n.get_int("align_corners", 0) != 0;
  const int64_t k = static_cast<int64_t>(size.size()) - 2, batch = size[0];
  Value* theta = n.inputs[0];
  NODE_UNSUPPORTED_IF(n, theta->dtype != DType::kFloat32 && theta->dtype != DType::kFloat16,
                      std::string("theta of type ") + ir::dtype_name(theta->dtype));
  NODE_UNSUPPORTED_IF(n, theta->shape[0] != batch, "theta's batch differs from size[0]");
  const Shape dims(size.begin() + 2, size.end());
  for (int64_t d : dims)
    NODE_UNSUPPORTED_IF(n, align && d == 1,
                        "align_corners=1 with a spatial extent of 1: the grid coordinate is not agreed on (the "
                        "ONNX reference gives -1, onnxruntime +1, PyTorch 0)");
  const int64_t points = ir::num_elements(dims);
  // Base rows (x, y[, z], 1), x along the last spatial axis, in row-major order of dims.
  std::vector<std::vector<double>> axis_coords;
  for (int64_t d : dims) axis_coords.push_back(linspace(d, align));
  std::vector<double> base;
  base.reserve(static_cast<size_t>(points * (k + 1)));
  std::vector<int64_t> idx(static_cast<size_t>(k), 0);
  for (int64_t p = 0; p < points; ++p) {
    for (int64_t j = k - 1; j >= 0; --j) base.push_back(axis_coords[j][idx[j]]);
    base.push_back(1.0);
    for (int64_t j = k - 1; j >= 0; --j) {
      if (++idx[j] < dims[j]) break;
      idx[j] = 0;
    }
  }
  Arith a(ctx, n);
  Value* t32 = ctx.cast(n, theta, DType::kFloat32);
  Value* products = a.mul(ctx.constant(n, "base_grid", Tensor::from_doubles(DType::kFloat32, {1, points, 1, k + 1}, base)),
                          ctx.reshape(n, t32, {batch, 1, k, k + 1}));
  Value* summed = ctx.temp(n, DType::kFloat32, {batch, points, k}, "grid");
  ctx.emit("tfl.SUM", n, {products, ctx.const_int32(n, "axes", {3})}, {summed})->attrs["keep_dims"] = int64_t{0};
  Value* out = n.outputs[0];
  if (out->dtype == DType::kFloat32) {
    ctx.reshape(n, summed, out->shape, out);
  } else {
    ctx.cast(n, ctx.reshape(n, summed, out->shape), out->dtype, out);
  }
  return Status::ok();
}

}  // namespace

void register_grid_sample(Registry& r) {
  r.add("GridSample", {infer_grid_sample, nullptr, lower_grid_sample});
  r.add("AffineGrid", dynamic({infer_affine_grid, nullptr, lower_affine_grid}));
}

}  // namespace pt2tflite::lower
