// Ops that change only a tensor's shape or element type: Shape Size Reshape Flatten Squeeze
// Unsqueeze Identity Transpose Cast CastLike (Dropout: dropout.cc). Shape and Size fold from
// the input's static shape alone, which is what turns the exporters' Shape→Gather→Concat→Reshape
// chains into constants. They also take extents known only at run time: Shape/Size read
// tfl.SHAPE, and a reshape whose target is decided at run time (a run-time shape input, or
// extents copied from such an input, Squeeze/Unsqueeze axes given at run time) gets its shape
// argument assembled from tfl.SHAPE. Every reshape-like op lowers to tfl.RESHAPE (one op
// kind, which the layout
// passes understand; SQUEEZE/EXPAND_DIMS would add nothing), Transpose to tfl.TRANSPOSE
// and Cast to tfl.CAST.
#include <algorithm>
#include <numeric>

#include "lower/context.h"
#include "lower/registry.h"
#include "lower/runtime_params.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;

std::string ints_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

int64_t rank_of(const Node& n, size_t i = 0) { return static_cast<int64_t>(n.inputs[i]->shape.size()); }

// Shape (opset 15+: start/end select a range of axes, clamped to [0, rank]).
std::pair<int64_t, int64_t> shape_range(const Node& n) {
  const int64_t r = rank_of(n);
  auto clamp_axis = [r](int64_t a) { return std::clamp(a < 0 ? a + r : a, int64_t{0}, r); };
  const int64_t start = clamp_axis(n.get_int("start", 0)), end = clamp_axis(n.get_int("end", r));
  return {start, std::max(end, start)};
}

Status infer_shape(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  auto [start, end] = shape_range(n);
  set_output(n, 0, DType::kInt64, {end - start});
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_shape(const Node& n) {
  auto [start, end] = shape_range(n);
  const Shape& s = n.inputs[0]->shape;
  std::vector<int64_t> dims(s.begin() + start, s.begin() + end);
  return std::vector<ir::Tensor>{ir::Tensor::from_int64s(DType::kInt64, {end - start}, dims)};
}

Status infer_size(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  set_output(n, 0, DType::kInt64, {});
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_size(const Node& n) {
  return std::vector<ir::Tensor>{ir::Tensor::from_int64s(DType::kInt64, {}, {ir::num_elements(n.inputs[0]->shape)})};
}

// Shape and Size fold when their input's shape is static; with extents known only at run
// time they read tfl.SHAPE (Size: its product).
Status lower_shape_or_size(LowerContext& ctx, Node& n) {
  ir::Value* x = n.inputs[0];
  if (ir::is_static(x->shape)) {  // written by an op: the output may be a graph output
    auto folded = n.op == "onnx.Shape" ? fold_shape(n) : fold_size(n);
    ir::Value* c = ctx.constant(n, "value", std::move(folded.value()[0]));
    ctx.reshape(n, c, c->shape, n.outputs[0]);
    return Status::ok();
  }
  if (n.op == "onnx.Size") {
    ir::Value* dims = ctx.shape_of(n, x, DType::kInt64);
    ctx.emit("tfl.REDUCE_PROD", n, {dims, ctx.const_int32(n, "all_axes", {0})}, {n.outputs[0]})->attrs["keep_dims"] =
        int64_t{0};
    return Status::ok();
  }
  auto [start, end] = shape_range(n);
  if (start == 0 && end == rank_of(n)) {
    ctx.emit("tfl.SHAPE", n, {x}, {n.outputs[0]});
    return Status::ok();
  }
  ir::Value* dims = ctx.shape_of(n, x, DType::kInt64);
  ctx.emit("tfl.SLICE", n, {dims, ctx.const_int32(n, "begin", {start}), ctx.const_int32(n, "size", {end - start})},
           {n.outputs[0]});
  return Status::ok();
}

// --- reshape-like ops: the output shape is all they compute ---

// The target shape computed at run time: its length is the output's rank, every extent is
// known only at run time.
Result<Shape> runtime_reshape_shape(const Node& n) {
  const Shape& s = n.inputs[1]->shape;
  NODE_CHECK(n, s.size() == 1 && s[0] >= 0, "shape input '" + n.inputs[1]->name + "' is not a 1-D tensor of known length");
  return Shape(s[0], -1);
}

Result<Shape> reshape_shape(const Node& n) {
  const Shape& in = n.inputs[0]->shape;
  NODE_CHECK(n, n.input(1), "missing shape input");
  if (!n.inputs[1]->is_const()) return runtime_reshape_shape(n);
  std::vector<int64_t> target = n.inputs[1]->data->to_int64s();
  const bool allow_zero = n.get_int("allowzero", 0) != 0;
  Shape out(target.size());
  int infer_at = -1;
  int64_t known = 1;
  bool unknown = false;  // an extent copied from the input is known only at run time
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == 0 && !allow_zero) {
      NODE_CHECK(n, i < in.size(), "shape " + ints_str(target) + " copies dimension " +
                                       std::to_string(i) + " (0) of a rank-" + std::to_string(in.size()) + " input");
      d = in[i];
      if (d < 0) {
        out[i] = -1;
        unknown = true;
        continue;
      }
    }
    if (d == -1) {
      NODE_CHECK(n, infer_at < 0, "shape " + ints_str(target) + " has more than one -1");
      infer_at = static_cast<int>(i);
      continue;
    }
    NODE_CHECK(n, d >= 0, "shape " + ints_str(target) + " has a negative dimension");
    out[i] = d;
    known *= d;
  }
  const int64_t total = ir::num_elements(in);
  if (infer_at >= 0) {
    if (unknown || total < 0) {
      out[infer_at] = -1;
      return out;
    }
    NODE_CHECK(n, known != 0 && total % known == 0,
               "cannot infer the -1 in " + ints_str(target) + " for input " + ir::shape_to_string(in));
    out[infer_at] = total / known;
  }
  if (unknown || total < 0) return out;
  NODE_CHECK(n, ir::num_elements(out) == total,
             "cannot reshape " + ir::shape_to_string(in) + " into " + ints_str(target));
  return out;
}

Result<int64_t> flatten_axis(const Node& n) {
  const int64_t r = rank_of(n);
  int64_t axis = n.get_int("axis", 1);
  NODE_CHECK(n, axis >= -r && axis <= r, "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(r));
  return axis < 0 ? axis + r : axis;
}

Result<Shape> flatten_shape(const Node& n) {
  const Shape& in = n.inputs[0]->shape;
  PT_ASSIGN_OR_RETURN(int64_t axis, flatten_axis(n));
  const Shape head(in.begin(), in.begin() + axis), tail(in.begin() + axis, in.end());
  return Shape{ir::num_elements(head), ir::num_elements(tail)};  // -1: known only at run time
}

// Squeeze, Unsqueeze, Identity: output axis i is input axis map[i], or an inserted 1 (-1).
Result<std::vector<int64_t>> squeeze_map(const Node& n) {
  const Shape& in = n.inputs[0]->shape;
  bool present = false;
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ints_attr_or_input(n, "axes", 1, &present));
  std::vector<bool> drop(in.size(), false);
  if (!present) {
    NODE_UNSUPPORTED_IF(n, !ir::is_static(in), "Squeeze without axes of " + ir::shape_to_string(in) +
                                                   ": which extents are 1 is known only at run time; give axes");
    for (size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
  }
  for (int64_t a : axes) {
    const int64_t axis = normalize_axis(a, in.size());
    NODE_CHECK(n, axis >= 0, "axis " + std::to_string(a) + " out of range for input " + ir::shape_to_string(in));
    NODE_CHECK(n, in[axis] == 1 || in[axis] < 0,
               "cannot squeeze axis " + std::to_string(a) + " of extent " + std::to_string(in[axis]));
    drop[axis] = true;
  }
  std::vector<int64_t> map;
  for (size_t i = 0; i < in.size(); ++i)
    if (!drop[i]) map.push_back(static_cast<int64_t>(i));
  return map;
}

Result<std::vector<int64_t>> unsqueeze_map(const Node& n) {
  const Shape& in = n.inputs[0]->shape;
  bool present = false;
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ints_attr_or_input(n, "axes", 1, &present));
  NODE_CHECK(n, present, "needs axes");
  const size_t out_rank = in.size() + axes.size();
  std::vector<bool> inserted(out_rank, false);
  for (int64_t a : axes) {
    const int64_t axis = normalize_axis(a, out_rank);
    NODE_CHECK(n, axis >= 0 && !inserted[axis], "axes " + ints_str(axes) + " are out of range or repeated");
    inserted[axis] = true;
  }
  std::vector<int64_t> map;
  int64_t next = 0;
  for (size_t i = 0; i < out_rank; ++i) map.push_back(inserted[i] ? -1 : next++);
  return map;
}

Result<std::vector<int64_t>> axis_map(const Node& n) {
  if (n.op == "onnx.Squeeze") return squeeze_map(n);
  if (n.op == "onnx.Unsqueeze") return unsqueeze_map(n);
  std::vector<int64_t> map(n.inputs[0]->shape.size());
  std::iota(map.begin(), map.end(), 0);
  return map;
}

// Squeeze/Unsqueeze whose axes input is computed at run time: the output rank is known
// (the input's, minus or plus the number of axes), its extents only at run time.
bool has_runtime_axes(const Node& n) {
  return (n.op == "onnx.Squeeze" || n.op == "onnx.Unsqueeze") && !n.has("axes") && n.input(1) &&
         !n.inputs[1]->is_const();
}

Result<Shape> runtime_axes_shape(const Node& n) {
  const Shape& a = n.inputs[1]->shape;
  NODE_CHECK(n, a.size() == 1 && a[0] >= 0, "axes input '" + n.inputs[1]->name + "' is not a 1-D tensor of known length");
  const int64_t r = rank_of(n);
  const int64_t out_rank = n.op == "onnx.Squeeze" ? r - a[0] : r + a[0];
  NODE_CHECK(n, out_rank >= 0, std::to_string(a[0]) + " axes to squeeze from a rank-" + std::to_string(r) + " input");
  if (r == 0) return Shape(out_rank, 1);  // only inserted 1s
  return Shape(out_rank, -1);
}

Result<Shape> reshape_like_shape(const Node& n) {
  if (n.op == "onnx.Reshape") return reshape_shape(n);
  if (n.op == "onnx.Flatten") return flatten_shape(n);
  if (has_runtime_axes(n)) return runtime_axes_shape(n);
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> map, axis_map(n));
  Shape out;
  for (int64_t a : map) out.push_back(a < 0 ? 1 : n.inputs[0]->shape[a]);
  return out;
}

Status infer_reshape_like(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  PT_ASSIGN_OR_RETURN(Shape out, reshape_like_shape(n));
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_reshape_like(const Node& n) {
  ir::Tensor t = *n.inputs[0]->data;
  t.shape = n.outputs[0]->shape;
  return std::vector<ir::Tensor>{std::move(t)};
}

// Reshape to a shape computed at run time: ONNX's 0 (unless allowzero) copies the input's
// extent at that position, which TFLite's RESHAPE does not know, so zeros are replaced by
// SHAPE(x) first; -1 means the same in both.
ir::Value* runtime_target(LowerContext& ctx, const Node& n) {
  ir::Value* x = n.inputs[0];
  ir::Value* s = ctx.cast(n, n.inputs[1], DType::kInt32);
  if (n.get_int("allowzero", 0) != 0) return s;
  const int64_t k = n.inputs[1]->shape[0], r = rank_of(n);
  std::vector<int64_t> from_x(k, -1), zeros(k, 0);
  for (int64_t i = 0; i < std::min(k, r); ++i) from_x[i] = i;
  ir::Value* dims = ctx.dims_from(n, x, from_x, zeros);
  ir::Value* is_zero = ctx.temp(n, DType::kBool, {k}, "copies_input_extent");
  ctx.emit("tfl.EQUAL", n, {s, ctx.const_int32(n, "zero", {0}, {})}, {is_zero});
  ir::Value* target = ctx.temp(n, DType::kInt32, {k}, "target_shape");
  ctx.emit("tfl.SELECT_V2", n, {is_zero, dims, s}, {target});
  return target;
}

// The target shape of Squeeze/Unsqueeze with run-time axes, from SHAPE(x):
//   Unsqueeze: output axis j is inserted when some axis equals j; otherwise it reads input
//     axis j - (number of inserted axes before j), GATHERed from [1] ++ SHAPE(x).
//   Squeeze: input axis i is dropped when some axis equals i; a kept one lands at output
//     position i - (number of dropped axes before i); a one-hot [out_rank, rank] selection
//     summed over the input axes places its extent.
ir::Value* runtime_axes_target(LowerContext& ctx, const Node& n) {
  RuntimeParams p(ctx, n);
  const DType i32 = DType::kInt32;
  const int64_t r = rank_of(n), out_rank = static_cast<int64_t>(n.outputs[0]->shape.size());
  const int64_t span = std::max(r, out_rank);  // the axes count positions in this rank
  ir::Value* axes = p.axes(n.inputs[1], span);
  const int64_t k = axes->shape[0];
  std::vector<int64_t> pos(span);
  std::iota(pos.begin(), pos.end(), 0);
  ir::Value* hit = p.reduce("tfl.REDUCE_ANY", p.axis_hits(axes, span), 0);  // [span]
  ir::Value* before =
      p.reduce("tfl.SUM", p.cast(p.cmp("tfl.LESS", p.reshape(axes, {k, 1}), p.ints(i32, pos, {1, span})), i32), 0);
  ir::Value* dims = ctx.shape_of(n, n.inputs[0]);
  ir::Value* target = ctx.temp(n, i32, {out_rank}, "target_shape");
  if (n.op == "onnx.Unsqueeze") {
    std::vector<int64_t> pos1(pos);
    for (int64_t& v : pos1) ++v;
    ir::Value* idx = p.select(hit, p.scalar(i32, 0), p.bin("tfl.SUB", p.ints(i32, pos1), before));
    ir::Value* pool = p.concat({p.ints(i32, {1}), dims});
    ctx.emit("tfl.GATHER", n, {pool, idx}, {target})->attrs["axis"] = int64_t{0};
    return target;
  }
  ir::Value* out_pos = p.select(hit, p.scalar(i32, -1), p.bin("tfl.SUB", p.ints(i32, pos), before));
  std::vector<int64_t> slots(out_rank);
  std::iota(slots.begin(), slots.end(), 0);
  ir::Value* lands = p.cmp("tfl.EQUAL", p.reshape(out_pos, {1, r}), p.ints(i32, slots, {out_rank, 1}));
  ir::Value* placed = p.select(lands, p.reshape(dims, {1, r}), p.scalar(i32, 0));
  ctx.emit("tfl.SUM", n, {placed, ctx.const_int32(n, "axis", {1})}, {target})->attrs["keep_dims"] = int64_t{0};
  return target;
}

// The shape argument when the output has extents known only at run time: a constant with
// at most one -1 where that suffices, else assembled from SHAPE(x).
Result<ir::Value*> dynamic_target(LowerContext& ctx, const Node& n) {
  ir::Value* x = n.inputs[0];
  const Shape& in = x->shape;
  const Shape& out = n.outputs[0]->shape;
  if (std::count(out.begin(), out.end(), -1) <= 1) return ctx.const_int32(n, "shape", out);
  if (n.op == "onnx.Reshape") {
    if (!n.inputs[1]->is_const()) return runtime_target(ctx, n);
    const std::vector<int64_t> target = n.inputs[1]->data->to_int64s();
    std::vector<int64_t> from_x(target.size(), -1);
    for (size_t i = 0; i < target.size(); ++i)
      if (target[i] == 0 && n.get_int("allowzero", 0) == 0) from_x[i] = static_cast<int64_t>(i);
    return ctx.dims_from(n, x, from_x, target);  // at most one -1 is left for RESHAPE to infer
  }
  if (has_runtime_axes(n)) return runtime_axes_target(ctx, n);
  NODE_UNSUPPORTED_IF(n, n.op == "onnx.Flatten",
                      "flattening " + ir::shape_to_string(in) + ": both halves have extents known only at run time");
  // Squeeze / Unsqueeze / Identity: the input's extents, with 1s dropped or inserted.
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> from_x, axis_map(n));
  const std::vector<int64_t> ones(from_x.size(), 1);
  return ctx.dims_from(n, x, from_x, ones);
}

Status lower_reshape_like(LowerContext& ctx, Node& n) {
  const Shape& out = n.outputs[0]->shape;
  if (ir::is_static(out)) {
    ctx.reshape(n, n.inputs[0], out, n.outputs[0]);
    return Status::ok();
  }
  PT_ASSIGN_OR_RETURN(ir::Value* target, dynamic_target(ctx, n));
  ctx.emit("tfl.RESHAPE", n, {n.inputs[0], target}, {n.outputs[0]});
  return Status::ok();
}

// --- Transpose: perm defaults to reversing the axes ---

Result<std::vector<int64_t>> transpose_perm(const Node& n) {
  const int64_t r = rank_of(n);
  std::vector<int64_t> perm(r);
  std::iota(perm.rbegin(), perm.rend(), 0);
  perm = n.get_ints("perm", perm);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  bool ok = static_cast<int64_t>(perm.size()) == r;
  for (int64_t i = 0; ok && i < r; ++i) ok = sorted[i] == i;
  NODE_CHECK(n, ok, "perm " + ints_str(perm) + " is not a permutation of " + std::to_string(r) + " axes");
  return perm;
}

Status infer_transpose(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> perm, transpose_perm(n));
  set_output(n, 0, n.inputs[0]->dtype, ir::permute(n.inputs[0]->shape, perm));
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_transpose(const Node& n) {
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> perm, transpose_perm(n));
  return std::vector<ir::Tensor>{ir::transpose(*n.inputs[0]->data, perm)};
}

Status lower_transpose(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> perm, transpose_perm(n));
  NODE_UNSUPPORTED_IF(n, perm.size() > 6, "TFLite TRANSPOSE handles at most 6 dimensions");
  if (ir::is_identity_permutation(perm))
    ctx.reshape(n, n.inputs[0], n.outputs[0]->shape, n.outputs[0]);
  else
    ctx.transpose(n, n.inputs[0], perm, n.outputs[0]);
  return Status::ok();
}

// --- Cast: 'to' is an ONNX TensorProto element type ---

Status infer_cast(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  PT_ASSIGN_OR_RETURN(DType to, dtype_attr(n, "to"));
  set_output(n, 0, to, n.inputs[0]->shape);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_cast(const Node& n) {
  const ir::Tensor& x = *n.inputs[0]->data;
  const DType to = n.outputs[0]->dtype;
  // Integer targets go through int64 (exact, and float → int truncates toward zero like
  // C and onnxruntime); float and bool targets through double (bool: x != 0).
  if (!ir::is_float(to) && to != DType::kBool)
    return std::vector<ir::Tensor>{ir::Tensor::from_int64s(to, x.shape, x.to_int64s())};
  if (to == DType::kBool && !ir::is_float(x.dtype))
    return std::vector<ir::Tensor>{ir::Tensor::from_int64s(to, x.shape, x.to_int64s())};
  return std::vector<ir::Tensor>{ir::Tensor::from_doubles(to, x.shape, x.to_doubles())};
}

Status lower_cast(LowerContext& ctx, Node& n) {
  ir::Value* x = n.inputs[0];
  const DType to = n.outputs[0]->dtype;
  if (x->dtype == to) {
    ctx.reshape(n, x, x->shape, n.outputs[0]);
    return Status::ok();
  }
  NODE_UNSUPPORTED_IF(n, to == DType::kFloat64 || x->dtype == DType::kFloat64,
                      "float64 tensors at run time have no TFLite kernels; keep the model in float32");
  ctx.emit("tfl.CAST", n, {x}, {n.outputs[0]});
  return Status::ok();
}

// --- CastLike: Cast to the second input's type ---

Status infer_cast_like(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs input and target_type");
  set_output(n, 0, n.inputs[1]->dtype, n.inputs[0]->shape);
  return Status::ok();
}

}  // namespace

void register_shape_ops(Registry& r) {
  OpRule shape = dynamic({infer_shape, fold_shape, lower_shape_or_size});
  shape.fold_from_shapes = true;
  r.add("Shape", shape);
  OpRule size = dynamic({infer_size, fold_size, lower_shape_or_size});
  size.fold_from_shapes = true;
  r.add("Size", size);
  for (const char* op : {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"})
    r.add(op, dynamic({infer_reshape_like, fold_reshape_like, lower_reshape_like}));
  r.add("Transpose", dynamic({infer_transpose, fold_transpose, lower_transpose}));
  r.add("Cast", dynamic({infer_cast, fold_cast, lower_cast}));
  r.add("CastLike", dynamic({infer_cast_like, fold_cast, lower_cast}));
}

}  // namespace pt2tflite::lower
