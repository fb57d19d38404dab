// Classification losses: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, composed
// from TFLite builtins (float32; float16 between CASTs).
//
// Both read scores [N, C] or [N, C, d1..dk] and labels [N] or [N, d1..dk] (int32/int64; CAST
// to int32, a builtin). The class axis is moved last ([N, d.., C], a transpose the sinking pass
// cancels against a channels-last producer such as a conv) and flattened to [M, C]:
//   valid  = NOT_EQUAL(label, ignore_index)          (only with ignore_index)
//   safe   = SELECT_V2(valid, label, 0)              (ignored labels may be negative/out of range)
//   picked = GATHER(x [M, C], safe [M], axis 1, batch_dims 1)    x[m, safe[m]]
//   w      = GATHER(weight, safe)  or 1; 0 where ignored
//   loss   = SELECT_V2(valid, −picked · w, 0)        (exactly 0 where ignored, even for −inf)
// reduction none → loss reshaped to [N, d..]; sum → SUM; mean → SUM(loss) / SUM(w), or
// / M without weights and ignore_index (ONNX and PyTorch divide by the total weight).
// SoftmaxCrossEntropyLoss first takes LOG_SOFTMAX over the (last) class axis; its optional
// second output log_prob is that tensor transposed back to [N, C, d..].
#include <algorithm>
#include <cstdint>

#include "lower/context.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

Value* emit1(LowerContext& ctx, const Node& n, const std::string& op, std::vector<Value*> in, DType t,
             const Shape& s, Value* out = nullptr) {
  if (!out) out = ctx.temp(n, t, s, op.substr(4));
  ctx.emit(op, n, std::move(in), {out});
  return out;
}

struct Loss {
  std::string reduction;
  bool has_ii = false;
  int64_t ii = 0;
  Value* weight = nullptr;
};

Result<Loss> loss_params(const Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs scores and labels");
  const Value* x = n.inputs[0];
  const Value* y = n.inputs[1];
  NODE_CHECK(n, x->shape.size() >= 2, "scores must have rank >= 2 ([N, C, ...])");
  Shape want = x->shape;
  want.erase(want.begin() + 1);
  NODE_CHECK(n, y->shape == want, "labels must have the scores' shape without the class axis");
  NODE_CHECK(n, y->dtype == DType::kInt64 || y->dtype == DType::kInt32, "labels must be int32 or int64");
  Loss p;
  p.reduction = n.get_string("reduction", "mean");
  NODE_CHECK(n, p.reduction == "none" || p.reduction == "sum" || p.reduction == "mean",
             "reduction must be none, sum or mean, not '" + p.reduction + "'");
  p.has_ii = n.has("ignore_index");
  p.ii = n.get_int("ignore_index", 0);
  p.weight = n.input(2);
  if (p.weight) NODE_CHECK(n, p.weight->shape == Shape{x->shape[1]}, "weights must be 1-D of the class count");
  return p;
}

Status infer_loss(Node& n) {
  PT_ASSIGN_OR_RETURN(Loss p, loss_params(n));
  const Value* x = n.inputs[0];
  set_output(n, 0, x->dtype, p.reduction == "none" ? n.inputs[1]->shape : Shape{});
  if (n.op == "onnx.SoftmaxCrossEntropyLoss") set_output(n, 1, x->dtype, x->shape);
  return Status::ok();
}

// x: [N, d.., C] float32, the (log-)probabilities with the class axis last.
Status lower_nll_channels_last(LowerContext& ctx, Node& n, const Loss& p, Value* x) {
  const DType f = DType::kFloat32;
  const int64_t c = x->shape.back();
  const int64_t m = ir::num_elements(x->shape) / c;
  Value* flat = ctx.reshape(n, x, {m, c});
  Value* label = ctx.reshape(n, ctx.cast(n, n.inputs[1], DType::kInt32), {m});
  Value* zero = ctx.const_float(n, "zero", {0.0f}, {});
  Value* valid = nullptr;
  Value* safe = label;
  if (p.has_ii) {
    const int64_t ii = std::max<int64_t>(std::min<int64_t>(p.ii, INT32_MAX), INT32_MIN);
    valid = emit1(ctx, n, "tfl.NOT_EQUAL", {label, ctx.const_int32(n, "ignore_index", {ii}, Shape{})}, DType::kBool, {m});
    safe = emit1(ctx, n, "tfl.SELECT_V2", {valid, label, ctx.const_int32(n, "label_zero", {0}, Shape{})},
                 DType::kInt32, {m});
  }
  Value* picked = ctx.temp(n, f, {m}, "picked");
  Node* g = ctx.emit("tfl.GATHER", n, {flat, safe}, {picked});
  g->attrs["axis"] = int64_t{1};
  g->attrs["batch_dims"] = int64_t{1};
  Value* loss = emit1(ctx, n, "tfl.NEG", {picked}, f, {m});
  Value* w = nullptr;  // per-element weight, 0 where ignored; nullptr: all 1
  if (p.weight) {
    Value* wt = ctx.cast(n, p.weight, f);
    Value* gw = ctx.temp(n, f, {m}, "weight");
    ctx.emit("tfl.GATHER", n, {wt, safe}, {gw})->attrs["axis"] = int64_t{0};
    loss = emit1(ctx, n, "tfl.MUL", {loss, gw}, f, {m});
    w = gw;
  }
  if (valid) {
    loss = emit1(ctx, n, "tfl.SELECT_V2", {valid, loss, zero}, f, {m});
    w = w ? emit1(ctx, n, "tfl.SELECT_V2", {valid, w, zero}, f, {m}) : emit1(ctx, n, "tfl.CAST", {valid}, f, {m});
  }
  Value* out = n.outputs[0];
  Value* res = out->dtype == f ? out : nullptr;
  if (p.reduction == "none") {
    res = ctx.reshape(n, loss, n.inputs[1]->shape, res);
  } else {
    auto sum = [&](Value* v, Value* into) {
      Value* s = into ? into : ctx.temp(n, f, {}, "sum");
      ctx.emit("tfl.SUM", n, {v, ctx.const_int32(n, "axes", {0})}, {s})->attrs["keep_dims"] = int64_t{0};
      return s;
    };
    if (p.reduction == "sum") {
      res = sum(loss, res);
    } else {
      Value* den = w ? sum(w, nullptr) : ctx.const_float(n, "count", {static_cast<float>(m)}, {});
      res = emit1(ctx, n, "tfl.DIV", {sum(loss, nullptr), den}, f, {}, res);
    }
  }
  if (res != out) ctx.cast(n, res, out->dtype, out);
  return Status::ok();
}

Status check_float(const Node& n) {
  const DType t = n.inputs[0]->dtype;
  NODE_UNSUPPORTED_IF(n, t != DType::kFloat32 && t != DType::kFloat16,
                      std::string("scores of element type ") + ir::dtype_name(t) +
                          " (TFLite computes this loss in float32/float16 only)");
  return Status::ok();
}

// [N, C, d..] → [N, d.., C] in float32.
Value* classes_last(LowerContext& ctx, const Node& n, Value* x) {
  x = ctx.cast(n, x, DType::kFloat32);
  return x->shape.size() > 2 ? ctx.to_channels_last(n, x) : x;
}

Status lower_nll(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Loss p, loss_params(n));
  PT_RETURN_IF_ERROR(check_float(n));
  return lower_nll_channels_last(ctx, n, p, classes_last(ctx, n, n.inputs[0]));
}

Status lower_sce(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Loss p, loss_params(n));
  PT_RETURN_IF_ERROR(check_float(n));
  Value* x = classes_last(ctx, n, n.inputs[0]);
  Value* lp = emit1(ctx, n, "tfl.LOG_SOFTMAX", {x}, DType::kFloat32, x->shape);
  Value* lp_out = n.outputs.size() > 1 ? n.outputs[1] : nullptr;
  if (lp_out) {
    const bool cl = lp->shape.size() > 2;
    Value* direct = lp_out->dtype == DType::kFloat32 ? lp_out : nullptr;
    Value* back = cl ? ctx.transpose(n, lp, LowerContext::to_channels_first_perm(lp->shape.size()), direct)
                     : ctx.reshape(n, lp, lp->shape, direct);
    if (back != lp_out) ctx.cast(n, back, lp_out->dtype, lp_out);
  }
  return lower_nll_channels_last(ctx, n, p, lp);
}

}  // namespace

void register_losses(Registry& r) {
  r.add("NegativeLogLikelihoodLoss", {infer_loss, nullptr, lower_nll});
  r.add("SoftmaxCrossEntropyLoss", {infer_loss, nullptr, lower_sce});
}

}  // namespace pt2tflite::lower
