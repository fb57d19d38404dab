#include "lower/runtime_params.h"

#include <numeric>

namespace pt2tflite::lower {

using ir::DType;
using ir::Shape;
using ir::Value;

Value* RuntimeParams::as(Value* v, DType dtype) { return ctx_.cast(n_, v, dtype); }

Value* RuntimeParams::ints(DType dtype, const std::vector<int64_t>& values, Shape shape) {
  return ctx_.constant(n_, "c", ir::Tensor::from_int64s(dtype, shape, values));
}

Value* RuntimeParams::bin(const std::string& op, Value* a, Value* b) {
  Shape s;
  ir::broadcast_shapes(a->shape, b->shape, &s);
  Value* y = ctx_.temp(n_, a->dtype, s, op.substr(4));
  ctx_.emit(op, n_, {a, b}, {y});
  return y;
}

Value* RuntimeParams::cmp(const std::string& op, Value* a, Value* b) {
  Shape s;
  ir::broadcast_shapes(a->shape, b->shape, &s);
  Value* y = ctx_.temp(n_, DType::kBool, s, op.substr(4));
  ctx_.emit(op, n_, {a, b}, {y});
  return y;
}

Value* RuntimeParams::select(Value* cond, Value* a, Value* b) {
  Shape s, s2;
  ir::broadcast_shapes(a->shape, b->shape, &s);
  ir::broadcast_shapes(cond->shape, s, &s2);
  Value* y = ctx_.temp(n_, a->dtype, s2, "select");
  ctx_.emit("tfl.SELECT_V2", n_, {cond, a, b}, {y});
  return y;
}

Value* RuntimeParams::cast(Value* v, DType dtype) { return ctx_.cast(n_, v, dtype); }

Value* RuntimeParams::reshape(Value* v, const Shape& shape) {
  Value* y = ctx_.temp(n_, v->dtype, shape, "reshaped");
  ctx_.emit("tfl.RESHAPE", n_, {v, ctx_.const_int32(n_, "shape", shape)}, {y});
  return y;
}

Value* RuntimeParams::reduce(const std::string& op, Value* v, int64_t axis) {
  Shape s = v->shape;
  s.erase(s.begin() + axis);
  Value* y = ctx_.temp(n_, v->dtype, s, op.substr(4));
  ctx_.emit(op, n_, {v, ctx_.const_int32(n_, "axis", {axis})}, {y})->attrs["keep_dims"] = int64_t{0};
  return y;
}

Value* RuntimeParams::pick(Value* v, const std::vector<int64_t>& indices) {
  Shape s = v->shape;
  s[0] = static_cast<int64_t>(indices.size());
  Value* y = ctx_.temp(n_, v->dtype, s, "picked");
  ctx_.emit("tfl.GATHER", n_, {v, ctx_.const_int32(n_, "indices", indices)}, {y})->attrs["axis"] = int64_t{0};
  return y;
}

Value* RuntimeParams::element(Value* v, int64_t i) {
  Value* y = ctx_.temp(n_, v->dtype, {}, "element");
  ctx_.emit("tfl.GATHER", n_, {v, ctx_.constant(n_, "index", ir::Tensor::from_int64s(DType::kInt32, {}, {i}))}, {y})
      ->attrs["axis"] = int64_t{0};
  return y;
}

Value* RuntimeParams::concat(const std::vector<Value*>& parts, int64_t axis) {
  Shape s = parts[0]->shape;
  s[axis] = 0;
  for (const Value* p : parts) s[axis] = s[axis] < 0 || p->shape[axis] < 0 ? -1 : s[axis] + p->shape[axis];
  Value* y = ctx_.temp(n_, parts[0]->dtype, s, "joined");
  ctx_.emit("tfl.CONCATENATION", n_, parts, {y})->attrs["axis"] = axis;
  return y;
}

Value* RuntimeParams::axes(Value* axes, int64_t rank) {
  Value* a = as(axes, DType::kInt32);
  // Valid axes lie in [-rank, rank): FLOOR_MOD maps them onto [0, rank).
  return bin("tfl.FLOOR_MOD", a, scalar(DType::kInt32, rank));
}

Value* RuntimeParams::axis_hits(Value* axes_norm, int64_t rank) {
  const int64_t k = axes_norm->shape[0];
  std::vector<int64_t> pos(rank);
  std::iota(pos.begin(), pos.end(), 0);
  return cmp("tfl.EQUAL", reshape(axes_norm, {k, 1}), ints(DType::kInt32, pos, {1, rank}));
}

Value* RuntimeParams::scatter(Value* axes_norm, Value* values, Value* fallback, int64_t rank) {
  const int64_t k = axes_norm->shape[0];
  if (k == 0) return fallback;
  Value* hits = axis_hits(axes_norm, rank);
  Value* given = reduce("tfl.REDUCE_ANY", hits, 0);
  Value* spread = select(hits, reshape(values, {k, 1}), ints(values->dtype, {0}, Shape{}));
  return select(given, reduce("tfl.SUM", spread, 0), fallback);
}

}  // namespace pt2tflite::lower
