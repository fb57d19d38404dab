// Ops that change only a tensor's shape or element type: Shape Size Reshape Flatten Squeeze
// Unsqueeze Identity Transpose Cast CastLike (Dropout: dropout.cc). Shape and Size fold from
// the input's static shape alone, which is what turns the exporters' Shape→Gather→Concat→Reshape chains into
// constants. Every reshape-like op lowers to tfl.RESHAPE (one op kind, which the layout
// passes understand; SQUEEZE/EXPAND_DIMS would add nothing), Transpose to tfl.TRANSPOSE
// and Cast to tfl.CAST.
#include <algorithm>
#include <numeric>

#include "lower/context.h"
#include "lower/registry.h"

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

// Shape and Size always fold (their input shapes are static once inferred); a lowering
// exists only so they count as supported: it writes the folded constant.
Status lower_as_constant(LowerContext& ctx, Node& n) {
  auto folded = n.op == "onnx.Shape" ? fold_shape(n) : fold_size(n);
  ir::Value* c = ctx.constant(n, "value", std::move(folded.value()[0]));
  ctx.reshape(n, c, c->shape, n.outputs[0]);
  return Status::ok();
}

// --- reshape-like ops: the output shape is all they compute ---

Result<Shape> reshape_shape(const Node& n) {
  const Shape& in = n.inputs[0]->shape;
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> target, const_ints(n, 1, "shape"));
  const bool allow_zero = n.get_int("allowzero", 0) != 0;
  Shape out(target.size());
  int infer_at = -1;
  int64_t known = 1;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == 0 && !allow_zero) {
      NODE_CHECK(n, i < in.size(), "shape " + ints_str(target) + " copies dimension " +
                                       std::to_string(i) + " (0) of a rank-" + std::to_string(in.size()) + " input");
      d = in[i];
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
    NODE_CHECK(n, known != 0 && total % known == 0,
               "cannot infer the -1 in " + ints_str(target) + " for input " + ir::shape_to_string(in));
    out[infer_at] = total / known;
  }
  NODE_CHECK(n, ir::num_elements(out) == total,
             "cannot reshape " + ir::shape_to_string(in) + " into " + ints_str(target));
  return out;
}

Result<Shape> flatten_shape(const Node& n) {
  const Shape& in = n.inputs[0]->shape;
  const int64_t r = rank_of(n);
  int64_t axis = n.get_int("axis", 1);
  NODE_CHECK(n, axis >= -r && axis <= r, "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(r));
  if (axis < 0) axis += r;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < r; ++i) (i < axis ? outer : inner) *= in[i];
  return Shape{outer, inner};
}

Result<Shape> squeeze_shape(const Node& n) {
  const Shape& in = n.inputs[0]->shape;
  bool present = false;
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ints_attr_or_input(n, "axes", 1, &present));
  std::vector<bool> drop(in.size(), false);
  if (!present) {
    for (size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
  }
  for (int64_t a : axes) {
    const int64_t axis = normalize_axis(a, in.size());
    NODE_CHECK(n, axis >= 0, "axis " + std::to_string(a) + " out of range for input " + ir::shape_to_string(in));
    NODE_CHECK(n, in[axis] == 1, "cannot squeeze axis " + std::to_string(a) + " of extent " + std::to_string(in[axis]));
    drop[axis] = true;
  }
  Shape out;
  for (size_t i = 0; i < in.size(); ++i)
    if (!drop[i]) out.push_back(in[i]);
  return out;
}

Result<Shape> unsqueeze_shape(const Node& n) {
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
  Shape out;
  auto next = in.begin();
  for (size_t i = 0; i < out_rank; ++i) out.push_back(inserted[i] ? 1 : *next++);
  return out;
}

Result<Shape> reshape_like_shape(const Node& n) {
  if (n.op == "onnx.Reshape") return reshape_shape(n);
  if (n.op == "onnx.Flatten") return flatten_shape(n);
  if (n.op == "onnx.Squeeze") return squeeze_shape(n);
  if (n.op == "onnx.Unsqueeze") return unsqueeze_shape(n);
  return n.inputs[0]->shape;  // Identity
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

Status lower_reshape_like(LowerContext& ctx, Node& n) {
  ctx.reshape(n, n.inputs[0], n.outputs[0]->shape, n.outputs[0]);
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
  OpRule shape{infer_shape, fold_shape, lower_as_constant};
  shape.fold_from_shapes = true;
  r.add("Shape", shape);
  OpRule size{infer_size, fold_size, lower_as_constant};
  size.fold_from_shapes = true;
  r.add("Size", size);
  for (const char* op : {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"})
    r.add(op, {infer_reshape_like, fold_reshape_like, lower_reshape_like});
  r.add("Transpose", {infer_transpose, fold_transpose, lower_transpose});
  r.add("Cast", {infer_cast, fold_cast, lower_cast});
  r.add("CastLike", {infer_cast_like, fold_cast, lower_cast});
}

}  // namespace pt2tflite::lower
