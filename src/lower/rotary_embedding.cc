// RotaryEmbedding (opset 23), float32 inside (float16 between CASTs), no transposes:
//   a 4-D X [B, H, S, D] is rotated where it is, a 3-D X [B, S, H·D] is viewed as
//   [B, S, H, D] (num_heads). The first r = rotary_embedding_dim (default D) channels of each
//   head are rotated in r/2 pairs (x1, x2) — halves, or even/odd channels when interleaved:
//     x1' = cos·x1 − sin·x2,  x2' = sin·x1 + cos·x2.
//   Written as one product per operand: rot = x·cos2 + GATHER(x, partner)·sin2, where
//   partner[c] is the other channel of c's pair, cos2 = cos repeated onto both channels of
//   each pair and sin2 = sin likewise with −1 on the first channel. The caches are
//   expanded to r channels once (a constant when they are constants) and, with
//   position_ids, GATHERed per token ([B, S, r]; constants again when the ids are);
//   without, they are [B, S, r/2] already.
//   The remaining D − r channels pass through (SLICE, CONCATENATION).
#include "lower/context.h"
#include "lower/eval_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

struct Rope {
  int64_t heads = 0, head = 0, rot = 0;
};

Result<Rope> rope_of(const Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1) && n.input(2), "needs X, cos_cache and sin_cache");
  const Shape& x = n.inputs[0]->shape;
  NODE_CHECK(n, x.size() == 3 || x.size() == 4, "X must be 3-D or 4-D");
  Rope r;
  if (x.size() == 3) {
    r.heads = n.get_int("num_heads", 0);
    NODE_CHECK(n, r.heads > 0 && x[2] % r.heads == 0, "3-D X needs num_heads dividing its hidden size");
    r.head = x[2] / r.heads;
  } else {
    r.heads = x[1];
    r.head = x[3];
  }
  r.rot = n.get_int("rotary_embedding_dim", 0);
  if (r.rot == 0) r.rot = r.head;
  NODE_CHECK(n, r.rot > 0 && r.rot <= r.head && r.rot % 2 == 0, "rotary_embedding_dim must be even and ≤ head size");
  const Shape &c = n.inputs[1]->shape, &s = n.inputs[2]->shape;
  NODE_CHECK(n, c == s, "cos_cache and sin_cache shapes differ");
  NODE_CHECK(n, !c.empty() && c.back() == r.rot / 2, "the caches' last axis must be rotary_embedding_dim / 2");
  const int64_t batch = x[0], seq = x.size() == 3 ? x[1] : x[2];
  if (n.input(3)) {
    NODE_CHECK(n, c.size() == 2, "with position_ids the caches are [max_position, rotary_dim / 2]");
    NODE_CHECK(n, n.inputs[3]->shape == Shape({batch, seq}), "position_ids must be [batch, sequence_length]");
  } else {
    NODE_CHECK(n, c.size() == 3 && c[0] == batch && c[1] == seq,
               "without position_ids the caches are [batch, sequence_length, rotary_dim / 2]");
  }
  return r;
}

Status infer_rope(Node& n) {
  PT_ASSIGN_OR_RETURN(const Rope r, rope_of(n));
  (void)r;
  NODE_CHECK(n, ir::is_float(n.inputs[0]->dtype), "needs a float X");
  set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
  return Status::ok();
}

Status lower_rope(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(const Rope r, rope_of(n));
  Value* out = n.outputs[0];
  for (size_t i : {0, 1, 2})
    NODE_UNSUPPORTED_IF(n, n.inputs[i]->dtype != DType::kFloat32 && n.inputs[i]->dtype != DType::kFloat16,
                        std::string("TFLite has no kernels for ") + ir::dtype_name(n.inputs[i]->dtype) + " here");
  const bool interleaved = n.get_int("interleaved", 0) != 0;
  const int64_t half = r.rot / 2;
  // pair[c]: the cache column of channel c; partner[c]: the other channel of c's pair.
  std::vector<int64_t> pair(static_cast<size_t>(r.rot)), partner(pair.size());
  std::vector<float> sign(pair.size());
  for (int64_t c = 0; c < r.rot; ++c) {
    const bool first = interleaved ? c % 2 == 0 : c < half;
    pair[c] = interleaved ? c / 2 : c % half;
    partner[c] = interleaved ? (first ? c + 1 : c - 1) : (first ? c + half : c - half);
    sign[c] = first ? -1.0f : 1.0f;
  }

  // The caches expanded to r channels (sin with its sign): [P, r] or [B, S, r].
  auto expand = [&](Value* cache, bool is_sin) -> Value* {
    Shape s = cache->shape;
    s.back() = r.rot;
    if (cache->is_const()) {
      const std::vector<double> v = cache->data->to_doubles();
      const int64_t rows = ir::num_elements(cache->shape) / half;
      std::vector<float> e(static_cast<size_t>(rows * r.rot));
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t c = 0; c < r.rot; ++c)
          e[static_cast<size_t>(i * r.rot + c)] =
              static_cast<float>(v[static_cast<size_t>(i * half + pair[c])]) * (is_sin ? sign[c] : 1.0f);
      return ctx.const_float(n, is_sin ? "sin" : "cos", e, s);
    }
    Value* c32 = ctx.cast(n, cache, DType::kFloat32);
    Value* g = ctx.temp(n, DType::kFloat32, s, "cache");
    ctx.emit("tfl.GATHER", n, {c32, ctx.const_int32(n, "pair", pair)}, {g})->attrs["axis"] =
        static_cast<int64_t>(s.size()) - 1;
    if (!is_sin) return g;
    Value* signed_sin = ctx.temp(n, DType::kFloat32, s, "signed");
    ctx.emit("tfl.MUL", n, {g, ctx.const_float(n, "sign", sign, {r.rot})}, {signed_sin});
    return signed_sin;
  };
  Value* cos = expand(n.inputs[1], false);
  Value* sin = expand(n.inputs[2], true);
  const Shape& xs = n.inputs[0]->shape;
  const bool four_d = xs.size() == 4;
  const int64_t batch = xs[0], seq = four_d ? xs[2] : xs[1];
  if (n.input(3) && n.inputs[3]->is_const() && cos->is_const() && sin->is_const()) {  // all known: gathered here
    const std::vector<int64_t> p = n.inputs[3]->data->to_int64s();
    const int64_t rows = cos->shape[0];
    for (int64_t i : p) NODE_CHECK(n, i >= 0 && i < rows, "position id " + std::to_string(i) + " outside the caches");
    auto gather = [&](Value* cache, const char* name) {
      ir::Tensor t = gather_axis(*cache->data, 0, p);
      t.shape = {batch, seq, r.rot};
      return ctx.constant(n, name, std::move(t));
    };
    cos = gather(cos, "cos_at_positions");
    sin = gather(sin, "sin_at_positions");
  } else if (n.input(3)) {
    Value* pos = ctx.cast(n, n.inputs[3], DType::kInt32);
    auto gather = [&](Value* cache) {
      Value* g = ctx.temp(n, DType::kFloat32, {batch, seq, r.rot}, "at_positions");
      ctx.emit("tfl.GATHER", n, {cache, pos}, {g})->attrs["axis"] = int64_t{0};
      return g;
    };
    cos = gather(cos);
    sin = gather(sin);
  }
  // Broadcast over heads: [B, 1, S, r] for [B, H, S, D], [B, S, 1, r] for [B, S, H, D].
  const Shape cs = four_d ? Shape{batch, 1, seq, r.rot} : Shape{batch, seq, 1, r.rot};
  cos = ctx.reshape(n, cos, cs);
  sin = ctx.reshape(n, sin, cs);

  Value* x = ctx.cast(n, n.inputs[0], DType::kFloat32);
  const Shape x4 = four_d ? xs : Shape{batch, seq, r.heads, r.head};
  if (!four_d) x = ctx.reshape(n, x, x4);
  auto slice = [&](Value* v, int64_t begin, int64_t size) {
    Shape s = x4;
    s[3] = size;
    Value* y = ctx.temp(n, DType::kFloat32, s, "slice");
    ctx.emit("tfl.SLICE", n, {v, ctx.const_int32(n, "begin", {0, 0, 0, begin}), ctx.const_int32(n, "size", {-1, -1, -1, size})},
             {y});
    return y;
  };
  Value* xr = r.rot == r.head ? x : slice(x, 0, r.rot);
  Shape rs = x4;
  rs[3] = r.rot;
  Value* xp = ctx.temp(n, DType::kFloat32, rs, "partner");
  ctx.emit("tfl.GATHER", n, {xr, ctx.const_int32(n, "partner", partner)}, {xp})->attrs["axis"] = int64_t{3};
  auto mul = [&](Value* a, Value* b) {
    Value* y = ctx.temp(n, DType::kFloat32, rs, "mul");
    ctx.emit("tfl.MUL", n, {a, b}, {y});
    return y;
  };
  // The last op writes into the output when no reshape or cast follows.
  const bool direct = out->dtype == DType::kFloat32 && four_d;
  Value* rot = direct && r.rot == r.head ? out : ctx.temp(n, DType::kFloat32, rs, "rotated");
  ctx.emit("tfl.ADD", n, {mul(xr, cos), mul(xp, sin)}, {rot});
  Value* y = rot;
  if (r.rot < r.head) {
    y = direct ? out : ctx.temp(n, DType::kFloat32, x4, "joined");
    ctx.emit("tfl.CONCATENATION", n, {rot, slice(x, r.rot, r.head - r.rot)}, {y})->attrs["axis"] = int64_t{3};
  }
  if (direct) return Status::ok();
  if (out->dtype == DType::kFloat32) {
    ctx.reshape(n, y, out->shape, out);
  } else {
    ctx.cast(n, y->shape == out->shape ? y : ctx.reshape(n, y, out->shape), out->dtype, out);
  }
  return Status::ok();
}

}  // namespace

void register_rotary_embedding(Registry& r) { r.add("RotaryEmbedding", {infer_rope, nullptr, lower_rope}); }

}  // namespace pt2tflite::lower
