// CausalConvWithState (opset 27): a depthwise causal 1-D convolution over [B, C, L] with
// kernel [C, 1, k], carrying the last k − 1 inputs between calls.
//   padded = CONCATENATION(past_state, x) along L (PAD with k − 1 zeros in front without
//   past_state); present_state = its last k − 1 steps (SLICE).
//   Constant weights: DEPTHWISE_CONV_2D (VALID) on padded viewed as NHWC [B, 1, k−1+L, C]
//   between the usual layout transposes, which the sinking pass cancels against a model's
//   own. Weights computed at run time (TFLite needs constant filters): Σᵢ SLICE(padded, i, L)
//   · w[:, 0, i], k MULs and ADDs with no layout change.
//   activation 'silu' / 'swish' (the same): y · LOGISTIC(y). Float32 inside, float16 between
//   CASTs. Kernel size 1 is refused: its present_state has no elements, which a .tflite
//   cannot carry as an output.
#include "lower/context.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

Status infer_causal_conv(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs input and weight");
  const Shape &x = n.inputs[0]->shape, &w = n.inputs[1]->shape;
  NODE_CHECK(n, x.size() == 3, "input must be [batch, channels, length]");
  NODE_CHECK(n, w.size() == 3 && w[0] == x[1] && w[1] == 1 && w[2] >= 1, "weight must be [channels, 1, k]");
  NODE_CHECK(n, ir::is_float(n.inputs[0]->dtype), "needs a float input");
  const int64_t k = w[2];
  if (n.input(2)) NODE_CHECK(n, n.inputs[2]->shape == Shape({x[1]}), "bias must be [channels]");
  if (n.input(3)) NODE_CHECK(n, n.inputs[3]->shape == Shape({x[0], x[1], k - 1}), "past_state must be [batch, channels, k - 1]");
  set_output(n, 0, n.inputs[0]->dtype, x);
  if (n.outputs.size() > 1) set_output(n, 1, n.inputs[0]->dtype, {x[0], x[1], k - 1});
  return Status::ok();
}

Status lower_causal_conv(LowerContext& ctx, Node& n) {
  const std::string act = n.get_string("activation", "none");
  NODE_UNSUPPORTED_IF(n, act != "none" && act != "silu" && act != "swish", "activation '" + act + "'");
  const DType t = n.outputs[0]->dtype;
  NODE_UNSUPPORTED_IF(n, t != DType::kFloat32 && t != DType::kFloat16,
                      std::string("TFLite has no kernels for ") + ir::dtype_name(t) + " here");
  const Shape& xs = n.inputs[0]->shape;
  const int64_t B = xs[0], C = xs[1], L = xs[2], k = n.inputs[1]->shape[2];
  NODE_UNSUPPORTED_IF(n, k == 1, "kernel size 1 leaves present_state empty ([B, C, 0]); TFLite tensors cannot be empty");
  const int64_t P = k - 1 + L;
  const DType f = DType::kFloat32;
  auto temp = [&](const Shape& s, const std::string& what) { return ctx.temp(n, f, s, what); };

  Value* x = ctx.cast(n, n.inputs[0], f);
  Value* padded = temp({B, C, P}, "padded");
  if (n.input(3)) {
    ctx.emit("tfl.CONCATENATION", n, {ctx.cast(n, n.inputs[3], f), x}, {padded})->attrs["axis"] = int64_t{2};
  } else {
    ctx.emit("tfl.PAD", n, {x, ctx.const_int32(n, "paddings", {0, 0, 0, 0, k - 1, 0}, {3, 2})}, {padded});
  }
  auto slice = [&](Value* v, int64_t begin, int64_t len, Value* out = nullptr) {
    if (!out) out = temp({v->shape[0], v->shape[1], len}, "window");
    ctx.emit("tfl.SLICE", n, {v, ctx.const_int32(n, "begin", {0, 0, begin}), ctx.const_int32(n, "size", {-1, -1, len})},
             {out});
    return out;
  };
  if (n.outputs.size() > 1) {
    Value* state = n.outputs[1];
    if (t == f) {
      slice(padded, P - (k - 1), k - 1, state);
    } else {
      ctx.cast(n, slice(padded, P - (k - 1), k - 1), t, state);
    }
  }

  Value* bias = n.input(2) ? ctx.cast(n, n.inputs[2], f) : nullptr;
  Value* y;
  if (n.inputs[1]->is_const()) {  // DEPTHWISE_CONV_2D on [B, 1, P, C]
    const std::vector<double> w = n.inputs[1]->data->to_doubles();  // [C, 1, k] → filter [1, 1, k, C]
    std::vector<float> filter(static_cast<size_t>(k * C));
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < k; ++i) filter[static_cast<size_t>(i * C + c)] = static_cast<float>(w[c * k + i]);
    const bool const_bias = !bias || bias->is_const();
    Value* b = const_bias && bias ? bias : ctx.const_float(n, "bias", std::vector<float>(C, 0.0f), {C});
    Value* nhwc = ctx.to_channels_last(n, ctx.reshape(n, padded, {B, C, 1, P}));
    Value* conv = ctx.temp(n, f, {B, 1, L, C}, "conv");
    ir::Node* op = ctx.emit("tfl.DEPTHWISE_CONV_2D", n, {nhwc, ctx.const_float(n, "filter", filter, {1, 1, k, C}), b},
                            {conv});
    op->attrs["padding"] = std::string("VALID");
    op->attrs["stride_h"] = int64_t{1};
    op->attrs["stride_w"] = int64_t{1};
    op->attrs["dilation_h_factor"] = int64_t{1};
    op->attrs["dilation_w_factor"] = int64_t{1};
    op->attrs["depth_multiplier"] = int64_t{1};
    Value* nchw = ctx.temp(n, f, {B, C, 1, L}, "nchw");
    ctx.from_channels_last(n, conv, nchw);
    y = ctx.reshape(n, nchw, xs);
    if (!const_bias) {
      Value* s = temp(xs, "biased");
      ctx.emit("tfl.ADD", n, {y, ctx.reshape(n, bias, {C, 1})}, {s});
      y = s;
    }
  } else {  // Σᵢ padded[:, :, i : i + L] · w[:, 0, i]
    Value* w = ctx.reshape(n, ctx.cast(n, n.inputs[1], f), {C, k});
    y = nullptr;
    for (int64_t i = 0; i < k; ++i) {
      Value* wi = temp({C, 1}, "tap");
      ctx.emit("tfl.SLICE", n, {w, ctx.const_int32(n, "begin", {0, i}), ctx.const_int32(n, "size", {C, 1})}, {wi});
      Value* term = temp(xs, "term");
      ctx.emit("tfl.MUL", n, {slice(padded, i, L), wi}, {term});
      if (y) {
        Value* sum = temp(xs, "sum");
        ctx.emit("tfl.ADD", n, {y, term}, {sum});
        y = sum;
      } else {
        y = term;
      }
    }
    if (bias) {
      Value* s = temp(xs, "biased");
      ctx.emit("tfl.ADD", n, {y, ctx.reshape(n, bias, {C, 1})}, {s});
      y = s;
    }
  }
  if (act != "none") {
    Value* sig = temp(xs, "sigmoid");
    ctx.emit("tfl.LOGISTIC", n, {y}, {sig});
    Value* s = temp(xs, "silu");
    ctx.emit("tfl.MUL", n, {y, sig}, {s});
    y = s;
  }
  if (t == f) {
    ctx.reshape(n, y, xs, n.outputs[0]);
  } else {
    ctx.cast(n, y, t, n.outputs[0]);
  }
  return Status::ok();
}

}  // namespace

void register_causal_conv(Registry& r) {
  r.add("CausalConvWithState", {infer_causal_conv, nullptr, lower_causal_conv});
}

}  // namespace pt2tflite::lower
