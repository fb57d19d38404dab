// Attention (opset 23, 24, 25): scaled dot-product attention composed from BATCH_MATMUL,
// SOFTMAX, ADD, SELECT_V2, TANH, float32 inside (float16 between CASTs).
//   Q, K, V are [B, H, S, D] (4-D) or [B, S, H·D] (3-D, q_num_heads/kv_num_heads give H;
//   RESHAPE + TRANSPOSE to 4-D and back). past_key/past_value are CONCATENATED in front of
//   K/V along the sequence axis (the present_key/present_value outputs).
//   scores = (Q · scale) K^T, scale = attribute or 1/√head_size. Grouped-query attention
//   (Hkv < Hq, query head h reads kv head h / (Hq/Hkv)) needs no repeated K/V: Q is viewed
//   as [B, Hkv, G·Sq, D], which is a plain RESHAPE of [B, Hq, Sq, D], and multiplied with
//   K as is.
//   softcap c > 0: c · TANH(scores / c), before the bias.
//   bias: a float attn_mask is added (its last axis padded with −inf up to the total
//   sequence length); everything else is an "allowed" boolean — a bool attn_mask (padded
//   with false), is_causal (bottom-right: key j ≤ i + offset), the opset-25 window
//   (offset + i − left ≤ j ≤ offset + i + right) and nonpad_kv_seqlen (j < nonpad[b]; with
//   it the offset is nonpad[b] − Sq per batch) — turned into 0 / −inf by SELECT_V2. Parts
//   known at conversion time (causal, window, past length) are constants.
//   probs = SOFTMAX(scores + bias); a row with no allowed key (its bias all −inf) is 0, as
//   the spec and onnxruntime say, not NaN: SELECT_V2 on a row flag (REDUCE_MAX of the bias
//   = −inf; a constant when the bias is).
//   Y = probs · V. qk_matmul_output per qk_matmul_output_mode: 0 raw scores, 1 after
//   softcap, 2 with bias, 3 the guarded probabilities.
//   softmax_precision is accepted and ignored: the softmax runs in float32 either way.
#include <cmath>
#include <limits>

#include "lower/context.h"
#include "lower/eval_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

struct Dims {
  int64_t batch = 0, q_heads = 0, kv_heads = 0, q_len = 0, kv_len = 0, past = 0, total = 0, head = 0, v_head = 0;
  bool three_d = false;
};

Result<Dims> dims_of(const Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1) && n.input(2), "needs Q, K and V");
  const Shape &q = n.inputs[0]->shape, &k = n.inputs[1]->shape, &v = n.inputs[2]->shape;
  NODE_CHECK(n, (q.size() == 3 || q.size() == 4) && k.size() == q.size() && v.size() == q.size(),
             "Q, K and V must all be 3-D or all 4-D");
  Dims d;
  d.three_d = q.size() == 3;
  d.batch = q[0];
  if (d.three_d) {
    d.q_heads = n.get_int("q_num_heads", 0);
    d.kv_heads = n.get_int("kv_num_heads", 0);
    NODE_CHECK(n, d.q_heads > 0 && d.kv_heads > 0, "3-D Q/K/V need the q_num_heads and kv_num_heads attributes");
    NODE_CHECK(n, q[2] % d.q_heads == 0 && k[2] % d.kv_heads == 0 && v[2] % d.kv_heads == 0,
               "hidden sizes must be multiples of the head counts");
    d.q_len = q[1];
    d.kv_len = k[1];
    d.head = q[2] / d.q_heads;
    NODE_CHECK(n, k[2] / d.kv_heads == d.head, "Q and K head sizes differ");
    d.v_head = v[2] / d.kv_heads;
  } else {
    d.q_heads = q[1];
    d.kv_heads = k[1];
    d.q_len = q[2];
    d.kv_len = k[2];
    d.head = q[3];
    NODE_CHECK(n, k[3] == d.head, "Q and K head sizes differ");
    NODE_CHECK(n, v[1] == d.kv_heads, "K and V head counts differ");
    d.v_head = v[3];
  }
  NODE_CHECK(n, k[0] == d.batch && v[0] == d.batch, "batch sizes differ");
  NODE_CHECK(n, (d.three_d ? v[1] : v[2]) == d.kv_len, "K and V sequence lengths differ");
  NODE_CHECK(n, d.q_heads % d.kv_heads == 0, "q heads must be a multiple of kv heads");
  NODE_CHECK(n, !n.input(4) == !n.input(5), "past_key and past_value go together");
  if (n.input(4)) {
    const Shape &pk = n.inputs[4]->shape, &pv = n.inputs[5]->shape;
    NODE_CHECK(n, pk.size() == 4 && pv.size() == 4 && pk[0] == d.batch && pk[1] == d.kv_heads && pk[3] == d.head &&
                      pv[0] == d.batch && pv[1] == d.kv_heads && pv[3] == d.v_head && pv[2] == pk[2],
               "past_key/past_value must be [batch, kv_heads, past_length, head_size]");
    d.past = pk[2];
  }
  d.total = d.past + d.kv_len;
  return d;
}

Status infer_attention(Node& n) {
  PT_ASSIGN_OR_RETURN(const Dims d, dims_of(n));
  const DType t = n.inputs[0]->dtype;
  NODE_CHECK(n, ir::is_float(t), "needs float Q/K/V");
  if (d.three_d) {
    set_output(n, 0, t, {d.batch, d.q_len, d.q_heads * d.v_head});
  } else {
    set_output(n, 0, t, {d.batch, d.q_heads, d.q_len, d.v_head});
  }
  if (n.outputs.size() > 1) set_output(n, 1, n.inputs[1]->dtype, {d.batch, d.kv_heads, d.total, d.head});
  if (n.outputs.size() > 2) set_output(n, 2, n.inputs[2]->dtype, {d.batch, d.kv_heads, d.total, d.v_head});
  if (n.outputs.size() > 3) set_output(n, 3, t, {d.batch, d.q_heads, d.q_len, d.total});
  return Status::ok();
}

// Emits float32/bool tfl.* ops for one Attention node, shapes worked out here.
class Builder {
 public:
  Builder(LowerContext& ctx, const Node& n) : ctx_(ctx), n_(n) {}

  Value* op(const std::string& op, std::vector<Value*> in, DType dtype, const Shape& shape, Value* out = nullptr) {
    if (!out) out = ctx_.temp(n_, dtype, shape, op.substr(4));
    ctx_.emit(op, n_, std::move(in), {out});
    return out;
  }
  // Elementwise op with broadcasting; the result takes the broadcast shape.
  Value* binary(const std::string& op, Value* a, Value* b, DType dtype, Value* out = nullptr) {
    Shape s;
    ir::broadcast_shapes(a->shape, b->shape, &s);
    return this->op(op, {a, b}, dtype, s, out);
  }
  Value* select(Value* cond, Value* a, Value* b, Value* out = nullptr) {
    Shape s, s2;
    ir::broadcast_shapes(cond->shape, a->shape, &s);
    ir::broadcast_shapes(s, b->shape, &s2);
    return op("tfl.SELECT_V2", {cond, a, b}, DType::kFloat32, s2, out);
  }
  Value* scalar(float v) { return ctx_.const_float(n_, "c", {v}, {}); }
  Value* matmul(Value* a, Value* b, bool adj_y, Value* out = nullptr) {
    Shape s = a->shape;
    s.back() = adj_y ? b->shape[b->shape.size() - 2] : b->shape.back();
    if (!out) out = ctx_.temp(n_, DType::kFloat32, s, "bmm");
    ir::Node* m = ctx_.emit("tfl.BATCH_MATMUL", n_, {a, b}, {out});
    if (adj_y) m->attrs["adj_y"] = int64_t{1};
    return out;
  }
  // A reduction over the last axis, kept as size 1.
  Value* reduce_last(const std::string& op, Value* x, DType dtype) {
    Shape s = x->shape;
    s.back() = 1;
    Value* y = ctx_.temp(n_, dtype, s, op.substr(4));
    ctx_.emit(op, n_, {x, ctx_.const_int32(n_, "axis", {static_cast<int64_t>(s.size()) - 1})}, {y})
        ->attrs["keep_dims"] = int64_t{1};
    return y;
  }
  // x, or x reshaped into `out` (when given) / to `shape`.
  Value* reshape(Value* x, const Shape& shape, Value* out = nullptr) {
    if (!out && x->shape == shape) return x;
    return ctx_.reshape(n_, x, shape, out);
  }
  // x converted to dtype into `out` (when given): a CAST, or a RESHAPE copy for the same dtype.
  void store(Value* x, Value* out) {
    if (x->dtype == out->dtype) {
      ctx_.reshape(n_, x, out->shape, out);
    } else {
      ctx_.cast(n_, reshape(x, out->shape), out->dtype, out);
    }
  }

 private:
  LowerContext& ctx_;
  const Node& n_;
};

// [B, S, H·D] → [B, H, S, D] (4-D inputs pass through).
Value* to_heads(LowerContext& ctx, const Node& n, Value* x, bool three_d, int64_t heads) {
  if (!three_d) return x;
  const Shape& s = x->shape;
  Value* r = ctx.reshape(n, x, {s[0], s[1], heads, s[2] / heads});
  return ctx.transpose(n, r, {0, 2, 1, 3});
}

// The mask's shape right-aligned to 4-D.
Shape as_4d(const Shape& s) {
  Shape r(4 - s.size(), 1);
  r.insert(r.end(), s.begin(), s.end());
  return r;
}

// x AND y (either may be absent); computed here when both are constants.
Value* and_of(LowerContext& ctx, const Node& n, Builder& b, Value* x, Value* y) {
  if (!x) return y;
  if (!y) return x;
  if (x->is_const() && y->is_const())
    return ctx.constant(n, "allowed", broadcast_binary(*x->data, *y->data, DType::kBool,
                                                       [](double a, double c) { return a != 0 && c != 0; }));
  return b.binary("tfl.LOGICAL_AND", x, y, DType::kBool);
}

// For a constant bias [.., .., Sq, T]: the rows that are all −inf, as a constant flag
// [.., .., Sq, 1]; nullptr when there is none.
Value* const_masked_rows(LowerContext& ctx, const Node& n, const ir::Tensor& bias) {
  const std::vector<double> v = bias.to_doubles();
  const int64_t T = bias.shape.back(), rows = bias.size() / T;
  std::vector<int64_t> masked(static_cast<size_t>(rows), 1);
  bool any = false;
  for (int64_t r = 0; r < rows; ++r) {
    bool all_inf = true;
    for (int64_t j = 0; j < T; ++j) all_inf = all_inf && std::isinf(v[r * T + j]) && v[r * T + j] < 0;
    masked[r] = all_inf;
    any = any || all_inf;
  }
  if (!any) return nullptr;
  Shape s = bias.shape;
  s.back() = 1;
  return ctx.constant(n, "row_masked", ir::Tensor::from_int64s(DType::kBool, s, masked));
}

Status lower_attention(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(const Dims d, dims_of(n));
  for (size_t i : {0, 1, 2, 4, 5})
    if (n.input(i))
      NODE_UNSUPPORTED_IF(n, n.inputs[i]->dtype != DType::kFloat32 && n.inputs[i]->dtype != DType::kFloat16,
                          std::string("TFLite has no kernels for ") + ir::dtype_name(n.inputs[i]->dtype) + " here");
  const int64_t mode = n.get_int("qk_matmul_output_mode", 0);
  NODE_UNSUPPORTED_IF(n, mode < 0 || mode > 3, "qk_matmul_output_mode " + std::to_string(mode));
  const int64_t left = n.get_int("left_window_size", -1), right = n.get_int("right_window_size", -1);
  NODE_CHECK(n, left >= -1 && right >= -1, "window sizes must be -1 or nonnegative");
  const bool causal = n.get_int("is_causal", 0) != 0;
  const double softcap = n.get_float("softcap", 0.0);
  Value* mask = n.input(3);
  Value* nonpad = n.input(6);
  NODE_CHECK(n, !(nonpad && n.input(4)), "nonpad_kv_seqlen cannot be combined with past_key/past_value");
  if (nonpad) NODE_CHECK(n, ir::num_elements(nonpad->shape) == d.batch, "nonpad_kv_seqlen must be [batch]");
  if (mask) {
    NODE_CHECK(n, mask->shape.size() >= 1 && mask->shape.size() <= 4 && mask->shape.back() <= d.total,
               "attn_mask must have rank 1 to 4 and at most total_sequence_length keys");
    NODE_UNSUPPORTED_IF(n, mask->dtype != DType::kBool && !ir::is_float(mask->dtype),
                        "an attn_mask of " + std::string(ir::dtype_name(mask->dtype)));
  }
  Builder b(ctx, n);
  const int64_t B = d.batch, Hq = d.q_heads, Hkv = d.kv_heads, Sq = d.q_len, T = d.total, G = Hq / Hkv;

  // Q, K, V as float32 [B, H, S, D]; K, V with the past in front.
  Value* q = to_heads(ctx, n, ctx.cast(n, n.inputs[0], DType::kFloat32), d.three_d, Hq);
  Value* k = to_heads(ctx, n, ctx.cast(n, n.inputs[1], DType::kFloat32), d.three_d, Hkv);
  Value* v = to_heads(ctx, n, ctx.cast(n, n.inputs[2], DType::kFloat32), d.three_d, Hkv);
  // The present outputs, written directly when they are float32 and follow a CONCATENATION.
  auto present = [&](size_t i) {
    return n.outputs.size() > i && n.outputs[i]->dtype == DType::kFloat32 ? n.outputs[i] : nullptr;
  };
  Value* direct_k = n.input(4) ? present(1) : nullptr;
  Value* direct_v = n.input(4) ? present(2) : nullptr;
  if (n.input(4)) {
    auto concat = [&](Value* past, Value* x, Value* out) {
      Value* p = ctx.cast(n, past, DType::kFloat32);
      Shape s = x->shape;
      s[2] = T;
      ir::Node* c = ctx.emit("tfl.CONCATENATION", n, {p, x}, {out ? out : ctx.temp(n, DType::kFloat32, s, "present")});
      c->attrs["axis"] = int64_t{2};
      return c->outputs[0];
    };
    k = concat(n.inputs[4], k, direct_k);
    v = concat(n.inputs[5], v, direct_v);
  }
  if (n.outputs.size() > 1 && !direct_k) b.store(k, n.outputs[1]);
  if (n.outputs.size() > 2 && !direct_v) b.store(v, n.outputs[2]);

  // scores [B, Hq, Sq, T]
  const double scale = n.has("scale") ? n.get_float("scale", 1.0) : 1.0 / std::sqrt(static_cast<double>(d.head));
  Value* qs = b.binary("tfl.MUL", q, b.scalar(static_cast<float>(scale)), DType::kFloat32);
  const Shape grouped_scores = {B, Hkv, G * Sq, T}, scores_shape = {B, Hq, Sq, T};
  Value* scores = b.reshape(b.matmul(b.reshape(qs, {B, Hkv, G * Sq, d.head}), k, true), scores_shape);
  Value* qk_out = n.outputs.size() > 3 ? n.outputs[3] : nullptr;
  if (qk_out && mode == 0) b.store(scores, qk_out);
  if (softcap > 0) {
    Value* t = b.op("tfl.TANH", {b.binary("tfl.DIV", scores, b.scalar(static_cast<float>(softcap)), DType::kFloat32)},
                    DType::kFloat32, scores_shape);
    scores = b.binary("tfl.MUL", t, b.scalar(static_cast<float>(softcap)), DType::kFloat32);
  }
  if (qk_out && mode == 1) b.store(scores, qk_out);

  // "allowed" from the causal frontier, the window and the past length: constant [1,1,Sq,T].
  const bool window = left >= 0 || right >= 0;
  Value* allowed = nullptr;
  if (!nonpad && (causal || window)) {
    std::vector<int64_t> a(static_cast<size_t>(Sq * T));
    bool all = true;
    for (int64_t i = 0; i < Sq; ++i)
      for (int64_t j = 0; j < T; ++j) {
        const int64_t diff = i + d.past - j;  // query position minus key position
        const bool ok = (!causal || diff >= 0) && (left < 0 || diff <= left) && (right < 0 || -diff <= right);
        a[static_cast<size_t>(i * T + j)] = ok;
        all = all && ok;
      }
    if (!all) allowed = ctx.constant(n, "allowed", ir::Tensor::from_int64s(DType::kBool, {1, 1, Sq, T}, a));
  }
  // With nonpad_kv_seqlen the offset is nonpad[b] − Sq: comparisons of constant [Sq, T]
  // matrices with nonpad as [B, 1, 1] give [B, Sq, T].
  if (nonpad) {
    Value* nv = b.reshape(ctx.cast(n, nonpad, DType::kInt32), {B, 1, 1});
    auto matrix = [&](const std::string& name, auto f) {
      std::vector<int64_t> m(static_cast<size_t>(Sq * T));
      for (int64_t i = 0; i < Sq; ++i)
        for (int64_t j = 0; j < T; ++j) m[static_cast<size_t>(i * T + j)] = f(i, j);
      return ctx.const_int32(n, name, m, {1, Sq, T});
    };
    Value* a = b.binary("tfl.LESS", matrix("key", [](int64_t, int64_t j) { return j; }), nv, DType::kBool);
    if (causal)  // j ≤ i + nv − Sq  ⇔  j − i + Sq ≤ nv
      a = and_of(ctx, n, b, a, b.binary("tfl.LESS_EQUAL", matrix("causal", [&](int64_t i, int64_t j) { return j - i + Sq; }), nv,
                                DType::kBool));
    if (left >= 0)  // i + nv − Sq − j ≤ left  ⇔  nv ≤ left − i + j + Sq
      a = and_of(ctx, n, b, a, b.binary("tfl.LESS_EQUAL", nv, matrix("left", [&](int64_t i, int64_t j) { return left - i + j + Sq; }),
                                DType::kBool));
    if (right >= 0)  // j − (i + nv − Sq) ≤ right  ⇔  j − i + Sq − right ≤ nv
      a = and_of(ctx, n, b, a, b.binary("tfl.LESS_EQUAL", matrix("right", [&](int64_t i, int64_t j) { return j - i + Sq - right; }),
                                nv, DType::kBool));
    allowed = b.reshape(a, {B, 1, Sq, T});
  }

  // The attn_mask as 4-D with its key axis padded to T (false / −inf).
  Value* float_mask = nullptr;
  if (mask) {
    Shape s4 = as_4d(mask->shape);
    const bool is_bool = mask->dtype == DType::kBool;
    Value* m;
    if (mask->is_const()) {  // reshaped and padded here
      ir::Tensor t = is_bool ? *mask->data : ir::Tensor::from_doubles(DType::kFloat32, s4, mask->data->to_doubles());
      t.shape = s4;
      std::vector<int64_t> keys(static_cast<size_t>(T), -1);
      for (int64_t j = 0; j < s4[3]; ++j) keys[j] = j;
      s4[3] = T;
      m = ctx.constant(n, "mask", gather_axis(t, 3, keys, is_bool ? 0.0 : -std::numeric_limits<double>::infinity()));
    } else {
      m = b.reshape(is_bool ? mask : ctx.cast(n, mask, DType::kFloat32), s4);
    }
    if (s4[3] < T) {
      Shape pad_shape = s4;
      pad_shape[3] = T - s4[3];
      const int64_t count = ir::num_elements(pad_shape);
      Value* pad = is_bool ? ctx.constant(n, "pad", ir::Tensor::from_int64s(DType::kBool, pad_shape,
                                                                              std::vector<int64_t>(count, 0)))
                           : ctx.const_float(n, "pad", std::vector<float>(count, kNegInf), pad_shape);
      s4[3] = T;
      ir::Node* c = ctx.emit("tfl.CONCATENATION", n, {m, pad}, {ctx.temp(n, m->dtype, s4, "mask")});
      c->attrs["axis"] = int64_t{3};
      m = c->outputs[0];
    }
    if (is_bool) {
      allowed = and_of(ctx, n, b, m, allowed);
    } else {
      float_mask = m;
    }
  }

  // bias and the fully-masked-row flag.
  Value* bias = nullptr;
  Value* row_masked = nullptr;
  if (float_mask && allowed && float_mask->is_const() && allowed->is_const()) {
    bias = ctx.constant(n, "bias", broadcast_binary(*allowed->data, *float_mask->data, DType::kFloat32,
                                                    [](double a, double m) { return a != 0 ? m : -HUGE_VAL; }));
  } else if (float_mask) {
    bias = allowed ? b.select(allowed, float_mask, b.scalar(kNegInf)) : float_mask;
  } else if (allowed && allowed->is_const()) {
    bias = ctx.constant(n, "bias", map_unary(*allowed->data, DType::kFloat32,
                                             [](double a) { return a != 0 ? 0.0 : -HUGE_VAL; }));
  } else if (allowed) {
    bias = b.select(allowed, b.scalar(0.0f), b.scalar(kNegInf));
  }
  if (bias && bias->is_const()) {
    row_masked = const_masked_rows(ctx, n, *bias->data);
  } else if (bias) {
    row_masked = b.binary("tfl.EQUAL", b.reduce_last("tfl.REDUCE_MAX", bias, DType::kFloat32), b.scalar(kNegInf),
                          DType::kBool);
  }
  if (bias) scores = b.binary("tfl.ADD", scores, bias, DType::kFloat32);
  if (qk_out && mode == 2) b.store(scores, qk_out);

  Value* probs = ctx.temp(n, DType::kFloat32, scores_shape, "probs");
  ctx.emit("tfl.SOFTMAX", n, {scores}, {probs})->attrs["beta"] = 1.0;
  if (row_masked) probs = b.select(row_masked, b.scalar(0.0f), probs);
  if (qk_out && mode == 3) b.store(probs, qk_out);

  // Y = probs · V, back to the input layout.
  Value* out = n.outputs[0];
  const bool direct = !d.three_d && G == 1 && out->dtype == DType::kFloat32;
  Value* y = b.matmul(b.reshape(probs, grouped_scores), v, false, direct ? out : nullptr);  // [B, Hkv, G·Sq, Dv]
  if (direct) return Status::ok();
  if (d.three_d) y = ctx.transpose(n, b.reshape(y, {B, Hq, Sq, d.v_head}), {0, 2, 1, 3});
  b.store(y, out);
  return Status::ok();
}

}  // namespace

void register_attention(Registry& r) { r.add("Attention", {infer_attention, nullptr, lower_attention}); }

}  // namespace pt2tflite::lower
