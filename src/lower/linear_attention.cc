// LinearAttention (opset 27): the recurrent state S [B, Hkv, dk, dv] unrolled over the T
// steps of the (static) sequence, float32 inside (float16 between CASTs). Per step t, with
// q, k, v the step's heads (SPLIT along T once, then RESHAPEs):
//   gated / gated_delta:  S ← S · exp(decay_t)       (per head [.., 1, 1] or per key channel [.., dk, 1])
//   delta / gated_delta:  v ← beta_t · (v − k·S)      (BATCH_MATMUL [1, dk]·[dk, dv])
//   all:                  S ← S + kᵀ v                (MUL of [dk, 1] and [1, dv])
//   output_t = scale · q·S, grouped-query heads as [B, Hkv, G, dk]·[B, Hkv, dk, dv] (query head
//   h reads kv head h / G), scale applied to the whole query once.
// The steps' outputs are CONCATENATED along T; present_state is the last S. chunk_size is a
// tuning hint of the chunked algorithm and changes nothing here. A zero initial state (no
// past_state) skips the first step's decay and retrieval. The graph grows linearly with T:
// a long prefill makes a large model.
#include <cmath>

#include "lower/context.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

struct La {
  int64_t batch = 0, steps = 0, q_heads = 0, kv_heads = 0, dk = 0, dv = 0, decay_width = 0, beta_width = 0;
  bool gating = false, delta = false;
};

Result<La> la_of(const Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1) && n.input(2), "needs query, key and value");
  const Shape &q = n.inputs[0]->shape, &k = n.inputs[1]->shape, &v = n.inputs[2]->shape;
  NODE_CHECK(n, q.size() == 3 && k.size() == 3 && v.size() == 3, "query, key and value must be [B, T, H·d]");
  La a;
  a.q_heads = n.get_int("q_num_heads", 0);
  a.kv_heads = n.get_int("kv_num_heads", 0);
  NODE_CHECK(n, a.q_heads > 0 && a.kv_heads > 0 && a.q_heads % a.kv_heads == 0,
             "q_num_heads must be a positive multiple of kv_num_heads");
  a.batch = q[0];
  a.steps = q[1];
  NODE_CHECK(n, k[0] == a.batch && v[0] == a.batch && k[1] == a.steps && v[1] == a.steps, "B and T must agree");
  NODE_CHECK(n, q[2] % a.q_heads == 0 && v[2] % a.kv_heads == 0, "hidden sizes must be multiples of the head counts");
  a.dk = q[2] / a.q_heads;
  a.dv = v[2] / a.kv_heads;
  NODE_CHECK(n, k[2] == a.kv_heads * a.dk, "key must be [B, T, kv_num_heads · d_k]");
  const std::string rule = n.get_string("update_rule", "gated_delta");
  NODE_CHECK(n, rule == "linear" || rule == "gated" || rule == "delta" || rule == "gated_delta",
             "update_rule must be linear, gated, delta or gated_delta");
  a.gating = rule == "gated" || rule == "gated_delta";
  a.delta = rule == "delta" || rule == "gated_delta";
  NODE_CHECK(n, !n.input(4) == !a.gating, "update_rule '" + rule + (a.gating ? "' needs" : "' forbids") + " decay");
  NODE_CHECK(n, !n.input(5) == !a.delta, "update_rule '" + rule + (a.delta ? "' needs" : "' forbids") + " beta");
  if (n.input(3))
    NODE_CHECK(n, n.inputs[3]->shape == Shape({a.batch, a.kv_heads, a.dk, a.dv}), "past_state must be [B, Hkv, dk, dv]");
  if (a.gating) {
    const Shape& d = n.inputs[4]->shape;
    NODE_CHECK(n, d.size() == 3 && d[0] == a.batch && d[1] == a.steps && (d[2] == a.kv_heads || d[2] == a.kv_heads * a.dk),
               "decay must be [B, T, Hkv] or [B, T, Hkv · dk]");
    a.decay_width = d[2] / a.kv_heads;
  }
  if (a.delta) {
    const Shape& b = n.inputs[5]->shape;
    NODE_CHECK(n, b.size() == 3 && b[0] == a.batch && b[1] == a.steps && (b[2] == a.kv_heads || b[2] == 1),
               "beta must be [B, T, Hkv] or [B, T, 1]");
    a.beta_width = b[2];
  }
  return a;
}

Status infer_linear_attention(Node& n) {
  PT_ASSIGN_OR_RETURN(const La a, la_of(n));
  NODE_CHECK(n, ir::is_float(n.inputs[0]->dtype), "needs float inputs");
  set_output(n, 0, n.inputs[0]->dtype, {a.batch, a.steps, a.q_heads * a.dv});
  if (n.outputs.size() > 1)
    set_output(n, 1, n.input(3) ? n.inputs[3]->dtype : n.inputs[0]->dtype, {a.batch, a.kv_heads, a.dk, a.dv});
  return Status::ok();
}

Status lower_linear_attention(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(const La a, la_of(n));
  for (size_t i = 0; i < n.inputs.size(); ++i)
    if (n.inputs[i])
      NODE_UNSUPPORTED_IF(n, n.inputs[i]->dtype != DType::kFloat32 && n.inputs[i]->dtype != DType::kFloat16,
                          std::string("TFLite has no kernels for ") + ir::dtype_name(n.inputs[i]->dtype) + " here");
  const DType f = DType::kFloat32;
  const int64_t B = a.batch, T = a.steps, Hkv = a.kv_heads, G = a.q_heads / a.kv_heads, dk = a.dk, dv = a.dv;
  auto emit = [&](const std::string& op, std::vector<Value*> in, const Shape& s) {
    Value* y = ctx.temp(n, f, s, op.substr(4));
    ctx.emit(op, n, std::move(in), {y});
    return y;
  };
  // x [B, T, W] as T steps, each reshaped to `shape`.
  auto steps = [&](Value* x, const Shape& shape) {
    std::vector<Value*> parts;
    if (T == 1) {
      parts.push_back(ctx.reshape(n, x, shape));
      return parts;
    }
    for (int64_t t = 0; t < T; ++t) parts.push_back(ctx.temp(n, f, {B, 1, x->shape[2]}, "step"));
    ctx.emit("tfl.SPLIT", n, {ctx.const_int32(n, "axis", {1}, {}), x}, parts);
    for (Value*& p : parts) p = ctx.reshape(n, p, shape);
    return parts;
  };

  double scale = n.get_float("scale", 0.0);
  if (scale == 0.0) scale = 1.0 / std::sqrt(static_cast<double>(dk));
  Value* q = ctx.cast(n, n.inputs[0], f);
  q = emit("tfl.MUL", {q, ctx.const_float(n, "scale", {static_cast<float>(scale)}, {})}, q->shape);
  const std::vector<Value*> qs = steps(q, {B, Hkv, G, dk});
  const std::vector<Value*> ks = steps(ctx.cast(n, n.inputs[1], f), {B, Hkv, 1, dk});
  const std::vector<Value*> vs = steps(ctx.cast(n, n.inputs[2], f), {B, Hkv, 1, dv});
  std::vector<Value*> decays, betas;
  if (a.gating) {
    Value* d = ctx.cast(n, n.inputs[4], f);
    decays = steps(emit("tfl.EXP", {d}, d->shape), {B, Hkv, a.decay_width, 1});
  }
  if (a.delta) betas = steps(ctx.cast(n, n.inputs[5], f), {B, a.beta_width, 1, 1});

  const Shape state_shape = {B, Hkv, dk, dv};
  Value* S = n.input(3) ? ctx.cast(n, n.inputs[3], f) : nullptr;  // nullptr: all zeros
  std::vector<Value*> outs;
  for (int64_t t = 0; t < T; ++t) {
    Value* v = vs[t];
    if (S && a.gating) S = emit("tfl.MUL", {S, decays[t]}, state_shape);
    if (a.delta) {
      Value* diff = v;
      if (S) {
        Value* retrieved = ctx.temp(n, f, {B, Hkv, 1, dv}, "retrieved");
        ctx.emit("tfl.BATCH_MATMUL", n, {ks[t], S}, {retrieved});
        diff = emit("tfl.SUB", {v, retrieved}, v->shape);
      }
      v = emit("tfl.MUL", {betas[t], diff}, v->shape);
    }
    Value* outer = emit("tfl.MUL", {ctx.reshape(n, ks[t], {B, Hkv, dk, 1}), v}, state_shape);
    S = S ? emit("tfl.ADD", {S, outer}, state_shape) : outer;
    Value* o = ctx.temp(n, f, {B, Hkv, G, dv}, "out");
    ctx.emit("tfl.BATCH_MATMUL", n, {qs[t], S}, {o});
    outs.push_back(ctx.reshape(n, o, {B, 1, G * Hkv * dv}));
  }
  Value* y = n.outputs[0];
  Value* joined = y->dtype == f ? y : ctx.temp(n, f, y->shape, "joined");
  if (T == 1) {
    ctx.reshape(n, outs[0], y->shape, joined);
  } else {
    ctx.emit("tfl.CONCATENATION", n, outs, {joined})->attrs["axis"] = int64_t{1};
  }
  if (joined != y) ctx.cast(n, joined, y->dtype, y);
  if (n.outputs.size() > 1) {
    Value* st = n.outputs[1];
    if (st->dtype == f) {
      ctx.reshape(n, S, state_shape, st);
    } else {
      ctx.cast(n, S, st->dtype, st);
    }
  }
  return Status::ok();
}

}  // namespace

void register_linear_attention(Registry& r) {
  r.add("LinearAttention", {infer_linear_attention, nullptr, lower_linear_attention});
}

}  // namespace pt2tflite::lower
