// Ops defined by element positions: Trilu, CumSum, OneHot, EyeLike, NonZero. All fold on
// constants.
//
// Trilu keeps the elements with j - i >= k (upper) or <= k (lower) of the last two axes:
// SELECT_V2 with a constant mask (exact, unlike a multiply: inf·0 would be NaN). k must be
// constant. The mask has the input's rank so the layout pass can permute it.
// CumSum → CUMSUM (float32/int32/int64; exclusive, reverse); an axis computed at run time
// goes to CUMSUM as a tensor (the output keeps the input's shape).
// OneHot → ONE_HOT with int32 indices; ONNX counts negative indices from the end (TFLite
// writes an all-off row), so negative ones get depth added first; indices outside
// [-depth, depth) stay outside and give all-off rows in both. values constant. A depth
// computed at run time makes the new axis' extent -1; ONE_HOT reads it as a tensor.
// EyeLike depends only on its input's shape: it always folds to a constant.
// NonZero's output shape depends on the values: it folds on a constant input and is
// otherwise left unlowered, which the unsupported-op report names with its nodes.
#include <algorithm>

#include "lower/context.h"
#include "lower/cumulative.h"
#include "lower/eval_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

// A 0-d constant of `dtype` holding v.
Tensor scalar(DType dtype, double v) {
  return ir::is_float(dtype) ? Tensor::from_doubles(dtype, {}, {v})
                             : Tensor::from_int64s(dtype, {}, {static_cast<int64_t>(v)});
}

// --- Trilu ---

Result<int64_t> trilu_k(const Node& n) {
  if (!n.input(1)) return int64_t{0};
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> k, const_ints(n, 1, "k"));
  NODE_CHECK(n, k.size() == 1, "k must hold one value");
  return k[0];
}

Status infer_trilu(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  NODE_CHECK(n, n.inputs[0]->shape.size() >= 2, "input must have rank >= 2");
  PT_ASSIGN_OR_RETURN(int64_t k, trilu_k(n));
  (void)k;
  set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
  return Status::ok();
}

// The kept positions of the last two axes, [M, N] row-major.
Result<std::vector<int64_t>> trilu_mask(const Node& n) {
  PT_ASSIGN_OR_RETURN(int64_t k, trilu_k(n));
  const Shape& s = n.inputs[0]->shape;
  const int64_t rows = s[s.size() - 2], cols = s.back();
  const bool upper = n.get_int("upper", 1) != 0;
  std::vector<int64_t> m;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) m.push_back(upper ? j - i >= k : j - i <= k);
  return m;
}

Result<std::vector<Tensor>> fold_trilu(const Node& n) {
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> m, trilu_mask(n));
  const Tensor& t = *n.inputs[0]->data;
  const std::vector<double> x = t.to_doubles();
  std::vector<double> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = m[i % m.size()] ? x[i] : 0.0;
  if (ir::is_float(t.dtype)) return std::vector<Tensor>{Tensor::from_doubles(t.dtype, t.shape, out)};
  std::vector<int64_t> ints(out.size());
  const std::vector<int64_t> xi = t.to_int64s();  // exact for int64
  for (size_t i = 0; i < xi.size(); ++i) ints[i] = m[i % m.size()] ? xi[i] : 0;
  return std::vector<Tensor>{Tensor::from_int64s(t.dtype, t.shape, ints)};
}

Status lower_trilu(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> m, trilu_mask(n));
  Value* x = n.inputs[0];
  if (std::all_of(m.begin(), m.end(), [](int64_t v) { return v != 0; })) {
    ctx.reshape(n, x, x->shape, n.outputs[0]);
    return Status::ok();
  }
  Shape ms(x->shape.size(), 1);
  ms[ms.size() - 2] = x->shape[x->shape.size() - 2];
  ms.back() = x->shape.back();
  Value* mask = ctx.constant(n, "mask", Tensor::from_int64s(DType::kBool, ms, m));
  ctx.emit("tfl.SELECT_V2", n, {mask, x, ctx.constant(n, "zero", scalar(x->dtype, 0))}, {n.outputs[0]});
  return Status::ok();
}

// --- CumSum: axis is a 0-d or 1-element input ---

Result<std::vector<Tensor>> fold_cumsum(const Node& n) { return fold_cumulative(n, false); }

Status lower_cumsum(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  Value* out = n.outputs[0];
  const DType t = x->dtype == DType::kFloat16 ? DType::kFloat32 : x->dtype;
  NODE_UNSUPPORTED_IF(n, t != DType::kFloat32 && t != DType::kInt32 && t != DType::kInt64,
                      std::string("TFLite's CUMSUM has no ") + ir::dtype_name(t) + " kernel");
  Value* y = t == out->dtype ? out : ctx.temp(n, t, out->shape, "wide");
  Value* axis_t = nullptr;  // CUMSUM: 0-d int32, which LiteRT reads when it runs
  if (runtime_axis(n)) {
    axis_t = ctx.cast(n, n.inputs[1], DType::kInt32);
    if (!axis_t->shape.empty()) axis_t = ctx.reshape(n, axis_t, {});
  } else {
    PT_ASSIGN_OR_RETURN(int64_t axis, cumulative_axis(n));
    axis_t = ctx.constant(n, "axis", Tensor::from_int64s(DType::kInt32, {}, {axis}));
  }
  Node* c = ctx.emit("tfl.CUMSUM", n, {ctx.cast(n, x, t), axis_t}, {y});
  c->attrs["exclusive"] = n.get_int("exclusive", 0);
  c->attrs["reverse"] = n.get_int("reverse", 0);
  if (y != out) ctx.cast(n, y, out->dtype, out);
  return Status::ok();
}

// --- OneHot(indices, depth, values=[off, on]), axis (default -1) in the output ---

struct OneHot {
  int64_t depth = 0, axis = 0;  // depth -1: computed at run time
  std::vector<double> off_on;
};

// The constant depth, or -1 when it is computed at run time (the new axis' extent is then
// known only at run time, and ONE_HOT reads the depth tensor).
Result<int64_t> one_hot_depth(const Node& n) {
  NODE_CHECK(n, ir::num_elements(n.inputs[1]->shape) == 1, "depth must hold one value");
  if (!n.inputs[1]->is_const()) return int64_t{-1};
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> depth, const_ints(n, 1, "depth"));
  NODE_CHECK(n, depth.size() == 1 && depth[0] > 0, "depth must be one positive value");
  return depth[0];
}

// ONE_HOT's depth argument: a 0-d int32 constant, or the run-time depth CAST to int32
// (truncating a float depth, as onnxruntime does) and reshaped to 0-d.
Value* one_hot_depth_tensor(LowerContext& ctx, const Node& n, int64_t depth) {
  if (depth >= 0) return ctx.constant(n, "depth", Tensor::from_int64s(DType::kInt32, {}, {depth}));
  Value* d = ctx.cast(n, n.inputs[1], DType::kInt32);
  return d->shape.empty() ? d : ctx.reshape(n, d, {});
}

Result<OneHot> one_hot_params(const Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1) && n.input(2), "needs indices, depth and values");
  OneHot p;
  PT_ASSIGN_OR_RETURN(p.depth, one_hot_depth(n));
  const size_t rank = n.inputs[0]->shape.size() + 1;
  const int64_t a = n.get_int("axis", -1);
  p.axis = normalize_axis(a, rank);
  NODE_CHECK(n, p.axis >= 0, "axis " + std::to_string(a) + " out of range for output rank " + std::to_string(rank));
  NODE_UNSUPPORTED_IF(n, !n.inputs[2]->is_const(), "values are computed at run time; pt2tflite needs them constant");
  p.off_on = n.inputs[2]->data->to_doubles();
  NODE_CHECK(n, p.off_on.size() == 2, "values must hold [off, on]");
  return p;
}

Status infer_one_hot(Node& n) {
  PT_ASSIGN_OR_RETURN(OneHot p, one_hot_params(n));
  Shape out = n.inputs[0]->shape;
  out.insert(out.begin() + p.axis, p.depth);
  set_output(n, 0, n.inputs[2]->dtype, out);
  return Status::ok();
}

Result<std::vector<Tensor>> fold_one_hot(const Node& n) {
  PT_ASSIGN_OR_RETURN(OneHot p, one_hot_params(n));
  const std::vector<double> idx = n.inputs[0]->data->to_doubles();
  const Shape& out_shape = n.outputs[0]->shape;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < p.axis; ++d) outer *= out_shape[d];
  for (size_t d = p.axis + 1; d < out_shape.size(); ++d) inner *= out_shape[d];
  std::vector<double> out(static_cast<size_t>(outer * p.depth * inner), p.off_on[0]);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t v = static_cast<int64_t>(idx[o * inner + i]);
      if (v < 0) v += p.depth;
      if (v >= 0 && v < p.depth) out[(o * p.depth + v) * inner + i] = p.off_on[1];
    }
  return std::vector<Tensor>{Tensor::from_doubles(n.outputs[0]->dtype, out_shape, out)};
}

Status lower_one_hot(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(OneHot p, one_hot_params(n));
  const DType t = n.outputs[0]->dtype;
  NODE_UNSUPPORTED_IF(n, t == DType::kFloat16, "float16 values (TFLite's ONE_HOT has no float16 kernel)");
  Value* idx = n.inputs[0];
  Value* depth = one_hot_depth_tensor(ctx, n, p.depth);
  if (idx->is_const() && p.depth >= 0) {
    std::vector<int64_t> v;
    for (double d : idx->data->to_doubles()) v.push_back(static_cast<int64_t>(d) < 0 ? static_cast<int64_t>(d) + p.depth
                                                                                    : static_cast<int64_t>(d));
    idx = ctx.constant(n, "indices", Tensor::from_int64s(DType::kInt32, idx->shape, v));
  } else {  // negative i → i + depth
    idx = ctx.cast(n, idx, DType::kInt32);
    Value* zero = ctx.constant(n, "zero", Tensor::from_int64s(DType::kInt32, {}, {0}));
    Value* neg = ctx.temp(n, DType::kBool, idx->shape, "negative");
    ctx.emit("tfl.LESS", n, {idx, zero}, {neg});
    Value* shifted = ctx.temp(n, DType::kInt32, idx->shape, "shifted");
    ctx.emit("tfl.ADD", n, {idx, depth}, {shifted});
    Value* wrapped = ctx.temp(n, DType::kInt32, idx->shape, "wrapped");
    ctx.emit("tfl.SELECT_V2", n, {neg, shifted, idx}, {wrapped});
    idx = wrapped;
  }
  Node* oh = ctx.emit("tfl.ONE_HOT", n,
                      {idx, depth, ctx.constant(n, "on", scalar(t, p.off_on[1])),
                       ctx.constant(n, "off", scalar(t, p.off_on[0]))},
                      {n.outputs[0]});
  oh->attrs["axis"] = p.axis;
  return Status::ok();
}

// --- EyeLike: ones on diagonal k of a 2-D shape; dtype attr (ONNX element type) or the input's ---

Result<DType> eye_dtype(const Node& n) {
  if (!n.has("dtype")) return n.inputs[0]->dtype;
  return dtype_attr(n, "dtype");
}

Status infer_eye_like(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  NODE_CHECK(n, n.inputs[0]->shape.size() == 2, "input must be 2-D");
  PT_ASSIGN_OR_RETURN(DType t, eye_dtype(n));
  set_output(n, 0, t, n.inputs[0]->shape);
  return Status::ok();
}

Tensor eye(const Node& n) {
  const Shape& s = n.outputs[0]->shape;
  const int64_t k = n.get_int("k", 0);
  std::vector<int64_t> v;
  for (int64_t i = 0; i < s[0]; ++i)
    for (int64_t j = 0; j < s[1]; ++j) v.push_back(j - i == k);
  const DType t = n.outputs[0]->dtype;
  if (ir::is_float(t)) return Tensor::from_doubles(t, s, std::vector<double>(v.begin(), v.end()));
  return Tensor::from_int64s(t, s, v);
}

Result<std::vector<Tensor>> fold_eye_like(const Node& n) { return std::vector<Tensor>{eye(n)}; }

// Reached only when the fold was skipped for size: the constant is copied out.
Status lower_eye_like(LowerContext& ctx, Node& n) {
  ctx.reshape(n, ctx.constant(n, "eye", eye(n)), n.outputs[0]->shape, n.outputs[0]);
  return Status::ok();
}

// --- NonZero: [rank, count] int64 coordinates of the non-zero elements, row-major order ---

Status infer_non_zero(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  const Value* x = n.inputs[0];
  int64_t count = -1;  // unknown unless the input is constant
  if (x->is_const()) {
    count = 0;
    for (double v : x->data->to_doubles()) count += v != 0;
  }
  set_output(n, 0, DType::kInt64, {static_cast<int64_t>(x->shape.size()), count});
  return Status::ok();
}

Result<std::vector<Tensor>> fold_non_zero(const Node& n) {
  const Tensor& t = *n.inputs[0]->data;
  const std::vector<double> v = t.to_doubles();
  const std::vector<int64_t> st = strides_of(t.shape);
  const size_t rank = t.shape.size();
  std::vector<std::vector<int64_t>> rows(rank);
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == 0) continue;
    int64_t rest = static_cast<int64_t>(i);
    for (size_t d = 0; d < rank; ++d) {
      rows[d].push_back(rest / st[d]);
      rest %= st[d];
    }
  }
  std::vector<int64_t> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return std::vector<Tensor>{Tensor::from_int64s(DType::kInt64, n.outputs[0]->shape, flat)};
}

}  // namespace

void register_positional(Registry& r) {
  r.add("Trilu", {infer_trilu, fold_trilu, lower_trilu});
  r.add("CumSum", {infer_cumulative, fold_cumsum, lower_cumsum});
  r.add("OneHot", dynamic({infer_one_hot, fold_one_hot, lower_one_hot}));  // run-time depth
  r.add("EyeLike", {infer_eye_like, fold_eye_like, lower_eye_like, /*fold_from_shapes=*/true});
  r.add("NonZero", {infer_non_zero, fold_non_zero, nullptr});
}

}  // namespace pt2tflite::lower
