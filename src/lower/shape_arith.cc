// Ops exporters use to build or broadcast tensors from shapes: ConstantOfShape Range
// Expand Tile, and the selection their shape arithmetic needs: Where (the comparisons and
// Not are in logic.cc). All fold on constants; what survives folding maps onto one TFLite
// op each (FILL, RANGE, BROADCAST_TO, TILE, SELECT_V2), with shape-like parameters as INT32
// constants. A broadcast or tile that only adds size-1 axes is a RESHAPE. Parameters computed
// at run time are passed to the same ops as run-time tensors (their outputs then have
// extents known only at run time).
#include <cmath>

#include "lower/context.h"
#include "lower/eval_util.h"
#include "lower/registry.h"
#include "lower/runtime_params.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

// --- ConstantOfShape: 'value' is a one-element tensor attribute, which the importer
// stores as the number plus its dtype ('value_dtype'); absent, it is float32 0 ---

Status infer_constant_of_shape(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  const DType dtype = static_cast<DType>(n.get_int("value_dtype", static_cast<int64_t>(DType::kFloat32)));
  if (!n.inputs[0]->is_const()) {  // the shape is computed at run time: FILL sizes the output
    const Shape& s = n.inputs[0]->shape;
    NODE_CHECK(n, s.size() == 1 && s[0] >= 0, "shape input is not a 1-D tensor of known length");
    set_output(n, 0, dtype, Shape(s[0], -1));
    return Status::ok();
  }
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> shape, const_ints(n, 0, "shape"));
  for (int64_t d : shape) NODE_CHECK(n, d >= 0, "negative dimension in the shape");
  set_output(n, 0, static_cast<DType>(n.get_int("value_dtype", static_cast<int64_t>(DType::kFloat32))), shape);
  return Status::ok();
}

ir::Tensor fill_scalar(const Node& n, DType dtype) {
  const double v = n.get_float("value", 0.0);
  return ir::is_float(dtype) ? ir::Tensor::from_doubles(dtype, {}, {v})
                             : ir::Tensor::from_int64s(dtype, {}, {static_cast<int64_t>(v)});
}

Result<std::vector<ir::Tensor>> fold_constant_of_shape(const Node& n) {
  const Value* out = n.outputs[0];
  ir::Tensor one = fill_scalar(n, out->dtype);
  ir::Tensor t{out->dtype, out->shape, {}};
  for (int64_t i = 0; i < ir::num_elements(out->shape); ++i) t.bytes.insert(t.bytes.end(), one.bytes.begin(), one.bytes.end());
  return std::vector<ir::Tensor>{std::move(t)};
}

// Reached only when the result is too big to fold into the model.
Status lower_constant_of_shape(LowerContext& ctx, Node& n) {
  Value* out = n.outputs[0];
  if (!n.inputs[0]->is_const()) {
    ctx.emit("tfl.FILL", n, {ctx.cast(n, n.inputs[0], DType::kInt32), ctx.constant(n, "value", fill_scalar(n, out->dtype))},
             {out});
    return Status::ok();
  }
  ctx.emit("tfl.FILL", n, {ctx.const_int32(n, "dims", out->shape), ctx.constant(n, "value", fill_scalar(n, out->dtype))},
           {out});
  return Status::ok();
}

// --- Range: start, limit and delta must be constant (they decide the output's length) ---

Status infer_range(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1) && n.input(2), "needs start, limit and delta");
  const DType dt = n.inputs[0]->dtype;
  if (!n.inputs[0]->is_const() || !n.inputs[1]->is_const() || !n.inputs[2]->is_const()) {
    // RANGE computes the length when it runs.
    // float16 runs in float32 (ONNX's default stash_type=1 accumulates in float32 too).
    NODE_UNSUPPORTED_IF(n, dt != DType::kFloat32 && dt != DType::kInt32 && dt != DType::kInt64 &&
                               !(dt == DType::kFloat16 && n.get_int("stash_type", 1) != 0),
                        std::string("start/limit/delta computed at run time in ") + ir::dtype_name(dt) +
                            " (TFLite's RANGE takes float32, int32 or int64)");
    set_output(n, 0, dt, {-1});
    return Status::ok();
  }
  // Opset 27's stash_type=0 accumulates in float16 itself; the fold computes in double
  // (what the default stash_type=1, float32, gives up to rounding).
  NODE_UNSUPPORTED_IF(n, dt == DType::kFloat16 && n.get_int("stash_type", 1) == 0,
                      "stash_type=0 (accumulating in float16) is not reproduced");
  int64_t count;
  if (ir::is_float(dt)) {
    const double start = n.inputs[0]->data->to_doubles()[0], limit = n.inputs[1]->data->to_doubles()[0],
                 delta = n.inputs[2]->data->to_doubles()[0];
    NODE_CHECK(n, delta != 0, "delta 0");
    count = static_cast<int64_t>(std::max(std::ceil((limit - start) / delta), 0.0));
  } else {
    const int64_t start = n.inputs[0]->data->to_int64s()[0], limit = n.inputs[1]->data->to_int64s()[0],
                  delta = n.inputs[2]->data->to_int64s()[0];
    NODE_CHECK(n, delta != 0, "delta 0");
    const int64_t span = delta > 0 ? limit - start : start - limit, step = delta > 0 ? delta : -delta;
    count = span > 0 ? (span + step - 1) / step : 0;
  }
  set_output(n, 0, dt, {count});
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_range(const Node& n) {
  const Value* out = n.outputs[0];
  const int64_t count = out->shape[0];
  if (ir::is_float(out->dtype)) {
    const double start = n.inputs[0]->data->to_doubles()[0], delta = n.inputs[2]->data->to_doubles()[0];
    std::vector<double> v(count);
    for (int64_t i = 0; i < count; ++i) v[i] = start + static_cast<double>(i) * delta;
    return std::vector<ir::Tensor>{ir::Tensor::from_doubles(out->dtype, out->shape, v)};
  }
  const int64_t start = n.inputs[0]->data->to_int64s()[0], delta = n.inputs[2]->data->to_int64s()[0];
  std::vector<int64_t> v(count);
  for (int64_t i = 0; i < count; ++i) v[i] = start + i * delta;
  return std::vector<ir::Tensor>{ir::Tensor::from_int64s(out->dtype, out->shape, v)};
}

Status lower_range(LowerContext& ctx, Node& n) {
  std::vector<Value*> args;
  for (size_t i = 0; i < 3; ++i) {  // RANGE takes 0-d tensors; exporters also write [1]
    Value* v = n.inputs[i];
    NODE_CHECK(n, ir::num_elements(v->shape) == 1, "start, limit and delta must be scalars");
    if (v->dtype == DType::kFloat16) v = ctx.cast(n, v, DType::kFloat32);
    args.push_back(v->shape.empty() ? v : ctx.reshape(n, v, {}));
  }
  if (n.outputs[0]->dtype == DType::kFloat16) {
    Value* r = ctx.temp(n, DType::kFloat32, n.outputs[0]->shape, "range");
    ctx.emit("tfl.RANGE", n, args, {r});
    ctx.cast(n, r, DType::kFloat16, n.outputs[0]);
    return Status::ok();
  }
  ctx.emit("tfl.RANGE", n, args, {n.outputs[0]});
  return Status::ok();
}

// --- Expand (bidirectional broadcast to a constant shape) and Tile ---

// The target shape is computed at run time (or the input has extents known only then): an
// output extent is known where the input's is neither 1 nor run-time (the target must be 1
// or equal there).
Status infer_runtime_expand(Node& n) {
  const Shape& in = n.inputs[0]->shape;
  const Shape& s = n.inputs[1]->shape;
  NODE_CHECK(n, s.size() == 1 && s[0] >= 0, "shape input is not a 1-D tensor of known length");
  const int64_t r = static_cast<int64_t>(in.size()), out_rank = std::max(r, s[0]);
  Shape out(out_rank, -1);
  for (int64_t i = 0; i < r; ++i) {
    const int64_t d = in[i];
    if (d >= 0 && d != 1) out[out_rank - r + i] = d;
  }
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

Status infer_expand(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs input and shape");
  if (!n.inputs[1]->is_const()) return infer_runtime_expand(n);
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> shape, const_ints(n, 1, "shape"));
  Shape out;
  NODE_CHECK(n, ir::broadcast_shapes(n.inputs[0]->shape, shape, &out),
             "cannot expand " + ir::shape_to_string(n.inputs[0]->shape) + " to " + ir::shape_to_string(shape));
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_expand(const Node& n) {
  return std::vector<ir::Tensor>{broadcast_to(*n.inputs[0]->data, n.outputs[0]->shape)};
}

// BROADCAST_TO to SELECT(SHAPE(x) == 1, target, SHAPE(x)), both left-padded with 1s to the
// output rank: ONNX's bidirectional broadcast lets the target say 1 where x is wider,
// BROADCAST_TO does not.
Status lower_runtime_expand(LowerContext& ctx, Node& n) {
  RuntimeParams p(ctx, n);
  const DType i32 = DType::kInt32;
  Value* x = n.inputs[0];
  const int64_t r = static_cast<int64_t>(x->shape.size()), out_rank = static_cast<int64_t>(n.outputs[0]->shape.size());
  Value* target = p.as(n.inputs[1], i32);
  const int64_t k = target->shape[0];
  if (k < out_rank) target = p.concat({p.ints(i32, std::vector<int64_t>(out_rank - k, 1)), target});
  if (r == 0) {
    ctx.emit("tfl.BROADCAST_TO", n, {x, target}, {n.outputs[0]});
    return Status::ok();
  }
  Value* dims = ir::is_static(x->shape) ? p.ints(i32, x->shape) : ctx.shape_of(n, x);
  if (r < out_rank) dims = p.concat({p.ints(i32, std::vector<int64_t>(out_rank - r, 1)), dims});
  Value* shape = p.select(p.cmp("tfl.EQUAL", dims, p.scalar(i32, 1)), target, dims);
  ctx.emit("tfl.BROADCAST_TO", n, {x, shape}, {n.outputs[0]});
  return Status::ok();
}

Status lower_expand(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  const Shape& out = n.outputs[0]->shape;
  if (!n.inputs[1]->is_const() || !ir::is_static(x->shape)) return lower_runtime_expand(ctx, n);
  if (ir::num_elements(x->shape) == ir::num_elements(out))
    ctx.reshape(n, x, out, n.outputs[0]);
  else
    ctx.emit("tfl.BROADCAST_TO", n, {x, ctx.const_int32(n, "shape", out)}, {n.outputs[0]});
  return Status::ok();
}

Status infer_tile(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs input and repeats");
  if (!n.inputs[1]->is_const()) {  // TILE reads the repeats when it runs
    const Shape& s = n.inputs[1]->shape;
    NODE_CHECK(n, s.size() == 1 && s[0] == static_cast<int64_t>(n.inputs[0]->shape.size()),
               "repeats must have one entry per input axis");
    set_output(n, 0, n.inputs[0]->dtype, Shape(n.inputs[0]->shape.size(), -1));
    return Status::ok();
  }
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> repeats, const_ints(n, 1, "repeats"));
  Shape out = n.inputs[0]->shape;
  NODE_CHECK(n, repeats.size() == out.size(), "repeats must have one entry per input axis");
  for (size_t i = 0; i < out.size(); ++i) {
    NODE_CHECK(n, repeats[i] >= 0, "negative repeat");
    if (out[i] >= 0) out[i] *= repeats[i];
  }
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_tile(const Node& n) {
  ir::Tensor t = *n.inputs[0]->data;
  const Shape& out = n.outputs[0]->shape;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == t.shape[i]) continue;
    std::vector<int64_t> idx(out[i]);
    for (int64_t k = 0; k < out[i]; ++k) idx[k] = k % t.shape[i];
    t = gather_axis(t, i, idx);
  }
  return std::vector<ir::Tensor>{std::move(t)};
}

Status lower_tile(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  const Shape& out = n.outputs[0]->shape;
  if (!n.inputs[1]->is_const() || !ir::is_static(x->shape)) {
    ctx.emit("tfl.TILE", n, {x, ctx.cast(n, n.inputs[1], DType::kInt32)}, {n.outputs[0]});
    return Status::ok();
  }
  if (ir::num_elements(x->shape) == ir::num_elements(out)) {
    ctx.reshape(n, x, out, n.outputs[0]);
    return Status::ok();
  }
  std::vector<int64_t> multiples;
  for (size_t i = 0; i < out.size(); ++i) multiples.push_back(x->shape[i] == 0 ? 1 : out[i] / x->shape[i]);
  ctx.emit("tfl.TILE", n, {x, ctx.const_int32(n, "multiples", multiples)}, {n.outputs[0]});
  return Status::ok();
}

// --- Where ---

Status infer_broadcast(Node& n, DType dtype) {
  Shape out;
  for (const Value* v : n.inputs) {
    NODE_CHECK(n, v, "missing input");
    NODE_CHECK(n, ir::broadcast_shapes(out, v->shape, &out), "input shapes do not broadcast");
  }
  set_output(n, 0, dtype, out);
  return Status::ok();
}

Status infer_where(Node& n) {
  NODE_CHECK(n, n.inputs.size() == 3 && n.inputs[1], "needs condition, X and Y");
  return infer_broadcast(n, n.inputs[1]->dtype);
}

Result<std::vector<ir::Tensor>> fold_where(const Node& n) {
  const Shape& shape = n.outputs[0]->shape;
  const std::vector<int64_t> cond = broadcast_to(*n.inputs[0]->data, shape).to_int64s();
  const ir::Tensor x = broadcast_to(*n.inputs[1]->data, shape), y = broadcast_to(*n.inputs[2]->data, shape);
  ir::Tensor out = x;
  const size_t elem = ir::dtype_size(out.dtype);
  for (size_t i = 0; i < cond.size(); ++i)
    if (!cond[i]) std::memcpy(out.bytes.data() + i * elem, y.bytes.data() + i * elem, elem);
  return std::vector<ir::Tensor>{std::move(out)};
}

template <const char* kOp>
Status lower_one_to_one(LowerContext& ctx, Node& n) {
  ctx.emit(kOp, n, n.inputs, {n.outputs[0]});
  return Status::ok();
}
constexpr char kSelect[] = "tfl.SELECT_V2";

}  // namespace

void register_shape_arith(Registry& r) {
  r.add("ConstantOfShape", dynamic({infer_constant_of_shape, fold_constant_of_shape, lower_constant_of_shape}));
  r.add("Range", dynamic({infer_range, fold_range, lower_range}));
  r.add("Expand", dynamic({infer_expand, fold_expand, lower_expand}));
  r.add("Tile", dynamic({infer_tile, fold_tile, lower_tile}));
  r.add("Where", dynamic({infer_where, fold_where, lower_one_to_one<kSelect>}));
}

}  // namespace pt2tflite::lower
