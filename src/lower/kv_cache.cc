// TensorScatter (opset 24): writes `update` ([B, ..., s, ...]) into `past_cache`
// ([B, ..., S, ...]) along `axis` at each batch's write index w[b], positions
// w[b] .. w[b]+s−1 ('linear') or those modulo S ('circular').
//   Without write_indices (w = 0) it is a CONCATENATION of update and the cache's tail.
//   Otherwise both tensors are viewed as [B, M, S, R] (M: the axes between batch and
//   `axis`, R: those after), SCATTER_ND puts update[b, m, j] at [b, m, w[b] + j] (FLOOR_MOD S
//   when circular), and SELECT_V2 takes the scattered rows where a row is written — a
//   [B, 1, S, 1] flag from comparing the position p with w[b] (w ≤ p < w + s, or
//   (p − w) mod S < s) — and the cache elsewhere. float16 goes through float32 (SCATTER_ND
//   has no float16 kernel).
#include <algorithm>

#include "lower/context.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

Status infer_tensor_scatter(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs past_cache and update");
  const Shape &c = n.inputs[0]->shape, &u = n.inputs[1]->shape;
  NODE_CHECK(n, c.size() == u.size() && c.size() >= 2, "past_cache and update must have the same rank ≥ 2");
  const int64_t axis = normalize_axis(n.get_int("axis", -2), c.size());
  NODE_CHECK(n, axis >= 1, "axis must name a non-batch axis");
  for (size_t i = 0; i < c.size(); ++i)
    NODE_CHECK(n, static_cast<int64_t>(i) == axis ? u[i] <= c[i] : u[i] == c[i],
               "update must match past_cache except for a shorter sequence axis");
  NODE_CHECK(n, n.inputs[1]->dtype == n.inputs[0]->dtype, "past_cache and update types differ");
  set_output(n, 0, n.inputs[0]->dtype, c);
  return Status::ok();
}

Status lower_tensor_scatter(LowerContext& ctx, Node& n) {
  const std::string mode = n.get_string("mode", "linear");
  NODE_UNSUPPORTED_IF(n, mode != "linear" && mode != "circular", "mode '" + mode + "'");
  Value* out = n.outputs[0];
  const Shape& cs = n.inputs[0]->shape;
  const Shape& us = n.inputs[1]->shape;
  const int64_t axis = normalize_axis(n.get_int("axis", -2), cs.size());
  const int64_t S = cs[axis], s = us[axis];

  if (!n.input(2)) {  // w = 0: update, then the cache from position s on
    if (s == S) {
      ctx.reshape(n, n.inputs[1], cs, out);
      return Status::ok();
    }
    std::vector<int64_t> begin(cs.size(), 0), size(cs.begin(), cs.end());
    begin[axis] = s;
    size[axis] = S - s;
    Shape tail_shape = cs;
    tail_shape[axis] = S - s;
    Value* tail = ctx.temp(n, n.inputs[0]->dtype, tail_shape, "tail");
    ctx.emit("tfl.SLICE", n, {n.inputs[0], ctx.const_int32(n, "begin", begin), ctx.const_int32(n, "size", size)}, {tail});
    ctx.emit("tfl.CONCATENATION", n, {n.inputs[1], tail}, {out})->attrs["axis"] = axis;
    return Status::ok();
  }

  const DType t = out->dtype;
  const DType work = t == DType::kFloat16 ? DType::kFloat32 : t;
  NODE_UNSUPPORTED_IF(n, work != DType::kFloat32 && work != DType::kInt32 && work != DType::kInt64 &&
                             work != DType::kInt8 && work != DType::kUInt8,
                      std::string("TFLite's SCATTER_ND has no ") + ir::dtype_name(t) + " kernel");
  const int64_t B = cs[0];
  int64_t M = 1, R = 1;
  for (int64_t i = 1; i < axis; ++i) M *= cs[i];
  for (size_t i = static_cast<size_t>(axis) + 1; i < cs.size(); ++i) R *= cs[i];
  Value* cache = ctx.reshape(n, ctx.cast(n, n.inputs[0], work), {B, M, S, R});
  Value* update = ctx.reshape(n, ctx.cast(n, n.inputs[1], work), {B, M, s, R});
  Value* w = ctx.reshape(n, ctx.cast(n, n.inputs[2], DType::kInt32), {B, 1, 1, 1});
  auto binary = [&](const std::string& op, Value* a, Value* b, DType dtype) {
    Shape r;
    ir::broadcast_shapes(a->shape, b->shape, &r);
    Value* y = ctx.temp(n, dtype, r, op.substr(4));
    ctx.emit(op, n, {a, b}, {y});
    return y;
  };
  const bool circular = mode == "circular";

  // Coordinates [B, M, s, 3]: (b, m, j) + (0, 0, w[b]), the last one mod S when circular.
  std::vector<int64_t> grid;
  grid.reserve(static_cast<size_t>(B * M * s * 3));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t j = 0; j < s; ++j) grid.insert(grid.end(), {b, m, j});
  Value* shift = binary("tfl.MUL", w, ctx.const_int32(n, "last", {0, 0, 1}, {1, 1, 1, 3}), DType::kInt32);
  Value* coords = binary("tfl.ADD", ctx.const_int32(n, "grid", grid, {B, M, s, 3}), shift, DType::kInt32);
  if (circular) {
    const int64_t big = std::max<int64_t>({B, M, S}) + 1;
    coords = binary("tfl.FLOOR_MOD", coords, ctx.const_int32(n, "modulus", {big, big, S}, {1, 1, 1, 3}), DType::kInt32);
  }
  Value* scattered = ctx.temp(n, work, {B, M, S, R}, "scattered");
  ctx.emit("tfl.SCATTER_ND", n, {coords, update, ctx.const_int32(n, "shape", {B, M, S, R})}, {scattered});

  // Rows written: [B, 1, S, 1].
  std::vector<int64_t> iota(static_cast<size_t>(S));
  for (int64_t p = 0; p < S; ++p) iota[p] = p;
  Value* pos = ctx.const_int32(n, "position", iota, {1, 1, S, 1});
  Value* written;
  if (circular) {
    Value* k = binary("tfl.FLOOR_MOD", binary("tfl.SUB", pos, w, DType::kInt32), ctx.const_int32(n, "S", {S}, {}),
                      DType::kInt32);
    written = binary("tfl.LESS", k, ctx.const_int32(n, "s", {s}, {}), DType::kBool);
  } else {
    Value* end = binary("tfl.ADD", w, ctx.const_int32(n, "s", {s}, {}), DType::kInt32);
    written = binary("tfl.LOGICAL_AND", binary("tfl.GREATER_EQUAL", pos, w, DType::kBool),
                     binary("tfl.LESS", pos, end, DType::kBool), DType::kBool);
  }
  Value* merged = ctx.temp(n, work, {B, M, S, R}, "merged");
  ctx.emit("tfl.SELECT_V2", n, {written, scattered, cache}, {merged});
  if (work == t) {
    ctx.reshape(n, merged, cs, out);
  } else {
    ctx.cast(n, ctx.reshape(n, merged, cs), t, out);
  }
  return Status::ok();
}

}  // namespace

void register_kv_cache(Registry& r) { r.add("TensorScatter", {infer_tensor_scatter, nullptr, lower_tensor_scatter}); }

}  // namespace pt2tflite::lower
