// Normalisation layers, composed from TFLite builtins (TFLite has none of them), in the
// ONNX layout (MEAN's axes are remapped by the transpose-sinking pass like any reduction):
//   BatchNormalization (inference; those after Conv/Gemm were folded by passes/fold_batch_norm):
//       y = x·s + t with s = scale/sqrt(var + eps), t = B − mean·s, constants shaped [C,1,...,1]
//     training_mode = 1 (opset 14+): normalised with the batch's own moments over every axis
//       but 1 (variance biased, as the spec's ReduceVar and onnxruntime), then ·scale + B; the
//       outputs running_mean/var = input_mean/var·momentum + current·(1 − momentum), when read.
//   InstanceNormalization: over the spatial axes of each (n, c), then ·scale[c] + B[c]
//   LayerNormalization:    over axes [axis, rank), then ·Scale + B
//   GroupNormalization:    x as [N, G, C/G·spatial] over the last axis, then ·scale[c] + bias[c]
// Moments: m = MEAN(x, axes, keep_dims); d = x − m; r = RSQRT(MEAN(d·d) + eps); y = d·r.
// That is the two-pass form, as exact in float32 as onnxruntime's.
#include <cmath>

#include "lower/context.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

// Whether any node reads v or it is a graph output (optional ONNX outputs are often unused).
bool is_read(const ir::Graph& g, const Value* v) {
  for (const Value* o : g.outputs)
    if (o == v) return true;
  for (const auto& node : g.nodes())
    for (const Value* in : node->inputs)
      if (in == v) return true;
  return false;
}

bool all_equal(const Value* v, double c) {
  if (!v->is_const()) return false;
  for (double x : v->data->to_doubles())
    if (x != c) return false;
  return true;
}

Value* emit(LowerContext& ctx, const Node& n, const std::string& op, std::vector<Value*> in, Value* out = nullptr) {
  if (!out) out = ctx.temp(n, in[0]->dtype, in[0]->shape, op.substr(4));
  ctx.emit(op, n, std::move(in), {out});
  return out;
}

Value* scalar(LowerContext& ctx, const Node& n, const std::string& suffix, ir::DType dt, double v) {
  return ctx.constant(n, suffix, Tensor::from_doubles(dt, {}, {v}));
}

// [C] → [C,1,...,1] for a tensor of `rank` with channels on axis 1 (constant or run time).
Value* per_channel(LowerContext& ctx, const Node& n, Value* v, size_t rank, const std::string& suffix) {
  Shape s(rank - 1, 1);
  s[0] = v->data ? v->data->size() : ir::num_elements(v->shape);
  if (!v->is_const()) return ctx.reshape(n, v, s);
  Tensor t = *v->data;
  t.shape = s;
  return ctx.constant(n, suffix, std::move(t));
}

struct Moments {
  Value* centered;  // x − mean
  Value* rstd;      // 1 / sqrt(var + eps), reduced axes kept as 1
};

Moments moments(LowerContext& ctx, const Node& n, Value* x, const std::vector<int64_t>& axes, double eps,
                Value* mean_out = nullptr, Value* rstd_out = nullptr, Value* var_out = nullptr) {
  Shape reduced = x->shape;
  for (int64_t a : axes) reduced[a] = 1;
  Value* axes_v = ctx.const_int32(n, "axes", axes);
  auto mean = [&](Value* v, Value* out) {
    if (!out) out = ctx.temp(n, v->dtype, reduced, "mean");
    ctx.emit("tfl.MEAN", n, {v, axes_v}, {out})->attrs["keep_dims"] = int64_t{1};
    return out;
  };
  Value* d = emit(ctx, n, "tfl.SUB", {x, mean(x, mean_out)});
  Value* var = mean(emit(ctx, n, "tfl.MUL", {d, d}), var_out);
  Value* r = emit(ctx, n, "tfl.RSQRT", {emit(ctx, n, "tfl.ADD", {var, scalar(ctx, n, "epsilon", x->dtype, eps)})}, rstd_out);
  return {d, r};
}

bool is_identity_affine(const Value* scale, const Value* bias) {
  return (!scale || all_equal(scale, 1.0)) && (!bias || all_equal(bias, 0.0));
}

// normalized·scale + bias into out, skipping a scale of ones and a bias of zeros (or absent);
// callers handle the case where both are skipped (is_identity_affine).
void scale_shift(LowerContext& ctx, const Node& n, Value* normalized, Value* scale, Value* bias, Value* out) {
  const bool use_scale = scale && !all_equal(scale, 1.0), use_bias = bias && !all_equal(bias, 0.0);
  Value* y = normalized;
  if (use_scale) y = emit(ctx, n, "tfl.MUL", {y, scale}, use_bias ? nullptr : out);
  if (use_bias) emit(ctx, n, "tfl.ADD", {y, bias}, out);
}

Status infer_same(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  NODE_CHECK(n, n.inputs[0]->shape.size() >= 2, "input must have rank >= 2 ([N, C, ...])");
  set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
  return Status::ok();
}

// Training-mode outputs (running/saved mean and variance) are [C] of the statistics' type;
// before opset 14 they are rejected by the lowering only when something reads them.
Status infer_batch_norm(Node& n) {
  PT_RETURN_IF_ERROR(infer_same(n));
  const ir::DType stats = n.input(3) ? n.inputs[3]->dtype : n.inputs[0]->dtype;
  for (size_t i = 1; i < n.outputs.size(); ++i) set_output(n, i, stats, {n.inputs[0]->shape[1]});
  return Status::ok();
}

// training_mode = 1: y from the batch's moments; outputs 1, 2 (when read) the running
// statistics input·momentum + current·(1 − momentum).
Status lower_batch_norm_training(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  const size_t r = x->shape.size();
  NODE_UNSUPPORTED_IF(n, !ir::is_float(x->dtype) || x->dtype == ir::DType::kFloat64,
                      std::string("training mode on ") + ir::dtype_name(x->dtype) + " (TFLite computes it in float32)");
  std::vector<int64_t> axes{0};
  for (size_t i = 2; i < r; ++i) axes.push_back(static_cast<int64_t>(i));
  Shape reduced(r, 1);
  reduced[1] = x->shape[1];
  Value* mean = ctx.temp(n, x->dtype, reduced, "batch_mean");
  Value* var = ctx.temp(n, x->dtype, reduced, "batch_var");
  const Moments m = moments(ctx, n, x, axes, n.get_float("epsilon", 1e-5), mean, nullptr, var);
  // scale and B are [C]: as [C, 1, ...] they broadcast against [N, C, ...].
  const bool identity = is_identity_affine(n.inputs[1], n.inputs[2]);
  Value* y = emit(ctx, n, "tfl.MUL", {m.centered, m.rstd}, identity ? n.outputs[0] : nullptr);
  if (!identity)
    scale_shift(ctx, n, y, per_channel(ctx, n, n.inputs[1], r, "scale"), per_channel(ctx, n, n.inputs[2], r, "bias"),
                n.outputs[0]);
  const double momentum = n.get_float("momentum", 0.9);
  Value* current[2] = {mean, var};
  for (size_t i = 1; i < 3 && i < n.outputs.size(); ++i) {
    Value* out = n.outputs[i];
    if (!out || !is_read(ctx.graph(), out)) continue;
    Value* input_stat = ctx.cast(n, n.inputs[2 + i], x->dtype);  // input_mean (3) / input_var (4)
    Value* cur = ctx.reshape(n, current[i - 1], {x->shape[1]});
    Value* a = emit(ctx, n, "tfl.MUL", {input_stat, scalar(ctx, n, "momentum", x->dtype, momentum)});
    Value* b = emit(ctx, n, "tfl.MUL", {cur, scalar(ctx, n, "one_minus_momentum", x->dtype, 1.0 - momentum)});
    Value* sum = out->dtype == x->dtype ? out : ctx.temp(n, x->dtype, out->shape, "running");
    emit(ctx, n, "tfl.ADD", {a, b}, sum);
    if (sum != out) ctx.cast(n, sum, out->dtype, out);
  }
  return Status::ok();
}

// Statistics computed at run time: s = scale / sqrt(var + eps), t = B - mean * s, per channel
// ([C] reshaped to [C, 1, ...]), then y = x * s + t.
Status lower_batch_norm_runtime(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  const size_t r = x->shape.size();
  auto channel = [&](size_t i, const char* suffix) { return per_channel(ctx, n, n.inputs[i], r, suffix); };
  Value* var = channel(4, "var");
  Value* rstd = emit(ctx, n, "tfl.RSQRT",
                     {emit(ctx, n, "tfl.ADD", {var, scalar(ctx, n, "epsilon", x->dtype, n.get_float("epsilon", 1e-5))})});
  Value* s = emit(ctx, n, "tfl.MUL", {channel(1, "scale"), rstd});
  Value* t = emit(ctx, n, "tfl.SUB", {channel(2, "shift"), emit(ctx, n, "tfl.MUL", {channel(3, "mean"), s})});
  emit(ctx, n, "tfl.ADD", {emit(ctx, n, "tfl.MUL", {x, s}, ctx.temp(n, x->dtype, x->shape, "scaled")), t}, n.outputs[0]);
  return Status::ok();
}

Status lower_batch_norm(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  NODE_CHECK(n, n.inputs.size() >= 5, "needs X, scale, B, mean and var");
  for (size_t i = 1; i < 5; ++i) NODE_CHECK(n, n.inputs[i] != nullptr, "needs X, scale, B, mean and var");
  if (n.get_int("training_mode", 0) != 0) return lower_batch_norm_training(ctx, n);
  for (size_t i = 1; i < n.outputs.size(); ++i)
    NODE_UNSUPPORTED_IF(n, is_read(ctx.graph(), n.outputs[i]),
                        "its mean/variance outputs are read: that is training mode as opset 9-13 spell it "
                        "(five outputs); export with opset 14 or newer (training_mode=1) or in eval() mode");
  bool all_const = true;
  for (size_t i = 1; i < 5; ++i) all_const = all_const && n.inputs[i]->is_const();
  if (!all_const) return lower_batch_norm_runtime(ctx, n);
  const auto scale = n.inputs[1]->data->to_doubles(), shift = n.inputs[2]->data->to_doubles();
  const auto mean = n.inputs[3]->data->to_doubles(), var = n.inputs[4]->data->to_doubles();
  const int64_t c = x->shape[1];
  for (const auto* p : {&scale, &shift, &mean, &var})
    NODE_CHECK(n, static_cast<int64_t>(p->size()) == c, "parameters must have C = " + std::to_string(c) + " values");
  const double eps = n.get_float("epsilon", 1e-5);
  std::vector<double> s(c), t(c);
  for (int64_t i = 0; i < c; ++i) {
    s[i] = scale[i] / std::sqrt(var[i] + eps);
    t[i] = shift[i] - mean[i] * s[i];
  }
  Shape cs(x->shape.size() - 1, 1);
  cs[0] = c;
  Value* y = emit(ctx, n, "tfl.MUL", {x, ctx.constant(n, "scale", Tensor::from_doubles(x->dtype, cs, s))});
  emit(ctx, n, "tfl.ADD", {y, ctx.constant(n, "shift", Tensor::from_doubles(x->dtype, cs, t))}, n.outputs[0]);
  return Status::ok();
}

Status lower_instance_norm(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  const size_t r = x->shape.size();
  NODE_CHECK(n, r >= 3 && n.input(1) && n.input(2), "needs X [N, C, spatial...], scale and B");
  std::vector<int64_t> axes;
  for (size_t i = 2; i < r; ++i) axes.push_back(static_cast<int64_t>(i));
  const Moments m = moments(ctx, n, x, axes, n.get_float("epsilon", 1e-5));
  Value* rstd = m.rstd;  // [N, C, 1...]: fold scale into it, cheaper than scaling the whole tensor
  if (!all_equal(n.inputs[1], 1.0))
    rstd = emit(ctx, n, "tfl.MUL", {rstd, per_channel(ctx, n, n.inputs[1], r, "scale")});
  Value* y = emit(ctx, n, "tfl.MUL", {m.centered, rstd}, all_equal(n.inputs[2], 0.0) ? n.outputs[0] : nullptr);
  if (y != n.outputs[0]) emit(ctx, n, "tfl.ADD", {y, per_channel(ctx, n, n.inputs[2], r, "bias")}, n.outputs[0]);
  return Status::ok();
}

Status infer_layer_norm(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs X and Scale");
  const Shape& x = n.inputs[0]->shape;
  const int64_t axis = normalize_axis(n.get_int("axis", -1), x.size());
  NODE_CHECK(n, axis >= 0, "axis out of range");
  Shape reduced = x;
  for (size_t i = axis; i < x.size(); ++i) reduced[i] = 1;
  set_output(n, 0, n.inputs[0]->dtype, x);
  set_output(n, 1, n.inputs[0]->dtype, reduced);  // ONNX: stash_type (float32); we compute in x's type
  set_output(n, 2, n.inputs[0]->dtype, reduced);
  return Status::ok();
}

Status lower_layer_norm(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  const int64_t axis = normalize_axis(n.get_int("axis", -1), x->shape.size());
  std::vector<int64_t> axes;
  for (size_t i = axis; i < x->shape.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  auto optional_out = [&](size_t i) {
    return i < n.outputs.size() && is_read(ctx.graph(), n.outputs[i]) ? n.outputs[i] : nullptr;
  };
  const Moments m = moments(ctx, n, x, axes, n.get_float("epsilon", 1e-5), optional_out(1), optional_out(2));
  const bool identity = is_identity_affine(n.inputs[1], n.input(2));
  Value* y = emit(ctx, n, "tfl.MUL", {m.centered, m.rstd}, identity ? n.outputs[0] : nullptr);
  if (!identity) scale_shift(ctx, n, y, n.inputs[1], n.input(2), n.outputs[0]);
  return Status::ok();
}

Status lower_group_norm(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  const Shape& s = x->shape;
  const int64_t groups = n.get_int("num_groups", 0), c = s[1];
  NODE_CHECK(n, groups > 0 && c % groups == 0, "num_groups must divide the channels");
  NODE_CHECK(n, n.input(1) && n.input(2), "needs X, scale and bias");
  // scale/bias: [C] (opset 21) or one value per group (opset 18).
  Value* params[2];
  for (int i = 0; i < 2; ++i) {
    Value* v = n.inputs[1 + i];
    const int64_t size = ir::num_elements(v->shape);
    NODE_CHECK(n, size == c || size == groups, "scale and bias need C or num_groups values");
    if (size == c) {
      params[i] = per_channel(ctx, n, v, s.size(), i ? "bias" : "scale");
      continue;
    }
    NODE_UNSUPPORTED_IF(n, !v->is_const(), "per-group scale/bias computed at run time");
    std::vector<double> per_c, g = v->data->to_doubles();
    for (int64_t ch = 0; ch < c; ++ch) per_c.push_back(g[ch / (c / groups)]);
    Shape cs(s.size() - 1, 1);
    cs[0] = c;
    params[i] = ctx.constant(n, i ? "bias" : "scale", Tensor::from_doubles(v->dtype, cs, per_c));
  }
  Value* grouped = ctx.reshape(n, x, {s[0], groups, ir::num_elements(s) / (s[0] * groups)});
  const Moments m = moments(ctx, n, grouped, {2}, n.get_float("epsilon", 1e-5));
  const bool identity = is_identity_affine(params[0], params[1]);
  Value* y = ctx.reshape(n, emit(ctx, n, "tfl.MUL", {m.centered, m.rstd}), s, identity ? n.outputs[0] : nullptr);
  if (!identity) scale_shift(ctx, n, y, params[0], params[1], n.outputs[0]);
  return Status::ok();
}

}  // namespace

void register_normalization(Registry& r) {
  r.add("BatchNormalization", {infer_batch_norm, nullptr, lower_batch_norm});
  r.add("InstanceNormalization", {infer_same, nullptr, lower_instance_norm});
  r.add("LayerNormalization", {infer_layer_norm, nullptr, lower_layer_norm});
  r.add("GroupNormalization", {infer_same, nullptr, lower_group_norm});
}

}  // namespace pt2tflite::lower
