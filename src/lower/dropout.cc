// Dropout(x, ratio = 0.5, training_mode = false) → y[, mask].
//
// Inference (training_mode absent or a constant false; opset 7-11 have no training_mode) and
// training with a constant ratio of 0: y = x, mask all true. The remove_identity pass drops
// such nodes whose mask nobody reads; the rest lower to a copy plus a FILL of true. A
// run-time ratio does not matter then.
//
// Training (training_mode a constant true with ratio != 0, or computed at run time): as the
// ONNX spec and onnxruntime, with u drawn by TFLite's RANDOM_UNIFORM in [0, 1):
//   mask = u >= ratio,  y = x · mask · scale,  scale = 1 / (1 − ratio)
// (ratio a constant: scale folds; computed at run time: 1 / (1 − ratio) at run time; ratio 0
// keeps every element and scale is 1, so y = x exactly). With training_mode computed at run
// time: y = SELECT_V2(training_mode, that, x) and mask = mask OR NOT training_mode.
// The draws differ from onnxruntime's (another generator), the distribution is the same. The
// int `seed` attribute gives RANDOM_UNIFORM seed = seed, seed2 = 1: the same stream in every
// interpreter; without it TFLite seeds afresh (seed = seed2 = 0). float32 inside (float16
// through CASTs).
#include "lower/context.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

struct Dropout {
  bool identity = true;
  Value* training = nullptr;  // computed at run time; nullptr when constant (or absent)
  Value* ratio = nullptr;     // computed at run time; nullptr when constant
  double ratio_value = 0.5;   // the constant ratio (ONNX's default 0.5)
};

Result<Dropout> dropout_params(const Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  Dropout p;
  Value* t = n.input(2);
  if (!t) return p;  // no training_mode (or opset < 12): inference
  NODE_CHECK(n, ir::num_elements(t->shape) == 1, "training_mode must hold one value");
  if (t->is_const()) {
    if (t->data->to_int64s()[0] == 0) return p;  // inference: ratio unused
  } else {
    p.training = t;
  }
  Value* r = n.input(1);
  if (r) {
    NODE_CHECK(n, ir::num_elements(r->shape) == 1, "ratio must hold one value");
    NODE_UNSUPPORTED_IF(n, !ir::is_float(r->dtype), std::string("ratio of element type ") + ir::dtype_name(r->dtype));
    if (r->is_const()) {
      p.ratio_value = r->data->to_doubles()[0];
      NODE_CHECK(n, p.ratio_value >= 0 && p.ratio_value < 1,
                 "ratio " + std::to_string(p.ratio_value) + " outside [0, 1)");
    } else {
      p.ratio = r;
    }
  }
  p.identity = !p.training && !p.ratio && p.ratio_value == 0;
  return p;
}

Status infer_dropout(Node& n) {
  PT_ASSIGN_OR_RETURN(Dropout p, dropout_params(n));
  const Value* x = n.inputs[0];
  if (!p.identity) {
    NODE_UNSUPPORTED_IF(n, x->dtype != DType::kFloat32 && x->dtype != DType::kFloat16,
                        std::string("training-mode Dropout of ") + ir::dtype_name(x->dtype) +
                            " (TFLite's random kernel and arithmetic here are float32)");
  }
  set_output(n, 0, x->dtype, x->shape);
  if (n.outputs.size() > 1 && n.outputs[1]) set_output(n, 1, DType::kBool, x->shape);
  return Status::ok();
}

Tensor all_true(const Shape& shape) {
  return Tensor::from_int64s(DType::kBool, shape, std::vector<int64_t>(ir::num_elements(shape), 1));
}

Result<std::vector<Tensor>> fold_dropout(const Node& n) {
  PT_ASSIGN_OR_RETURN(Dropout p, dropout_params(n));
  if (!p.identity) return unsupported("training-mode Dropout draws random numbers at run time");
  if (n.outputs.size() > 1 && !n.outputs[1]) return unsupported("no mask value to fold into");
  std::vector<Tensor> out{*n.inputs[0]->data};
  if (n.outputs.size() > 1) out.push_back(all_true(n.inputs[0]->shape));
  return out;
}

// A one-value run-time tensor as a float32 (or bool) scalar.
Value* scalar_of(LowerContext& ctx, const Node& n, Value* v, DType t) {
  v = ctx.cast(n, v, t);
  return v->shape.empty() ? v : ctx.reshape(n, v, {});
}

Status lower_training(LowerContext& ctx, Node& n, const Dropout& p) {
  Value* x = n.inputs[0];
  const Shape& s = x->shape;
  NODE_UNSUPPORTED_IF(n, ir::num_elements(s) <= 0, "an empty or unknown input shape");
  const DType f = DType::kFloat32;
  Value* x32 = ctx.cast(n, x, f);

  Value* u = ctx.temp(n, f, s, "uniform");
  Node* g = ctx.emit("tfl.RANDOM_UNIFORM", n, {ctx.const_int32(n, "shape", std::vector<int64_t>(s.begin(), s.end()))},
                     {u});
  if (n.has("seed")) {
    g->attrs["seed"] = n.get_int("seed", 0);
    g->attrs["seed2"] = int64_t{1};
  }
  Value* ratio = p.ratio ? scalar_of(ctx, n, p.ratio, f)
                         : ctx.const_float(n, "ratio", {static_cast<float>(p.ratio_value)}, {});
  Value* keep = ctx.temp(n, DType::kBool, s, "keep");
  ctx.emit("tfl.GREATER_EQUAL", n, {u, ratio}, {keep});

  Value* kept = ctx.temp(n, f, s, "kept");
  ctx.emit("tfl.MUL", n, {x32, ctx.cast(n, keep, f)}, {kept});
  Value* scale;
  if (p.ratio) {  // 1 / (1 − ratio) at run time
    Value* one = ctx.const_float(n, "one", {1.0f}, {});
    Value* rest = ctx.temp(n, f, {}, "one_minus_ratio");
    ctx.emit("tfl.SUB", n, {one, ratio}, {rest});
    scale = ctx.temp(n, f, {}, "scale");
    ctx.emit("tfl.DIV", n, {one, rest}, {scale});
  } else {
    scale = ctx.const_float(n, "scale", {1.0f / (1.0f - static_cast<float>(p.ratio_value))}, {});
  }
  Value* out = n.outputs[0];
  Value* y = out->dtype == f && !p.training ? out : ctx.temp(n, f, s, "dropped");
  ctx.emit("tfl.MUL", n, {kept, scale}, {y});

  Value* mask_out = n.outputs.size() > 1 ? n.outputs[1] : nullptr;
  if (p.training) {  // training_mode computed at run time: x and all-true where it is false
    Value* t = scalar_of(ctx, n, p.training, DType::kBool);
    Value* sel = out->dtype == f ? out : ctx.temp(n, f, s, "selected");
    ctx.emit("tfl.SELECT_V2", n, {t, y, x32}, {sel});
    y = sel;
    if (mask_out) {
      Value* not_t = ctx.temp(n, DType::kBool, {}, "not_training");
      ctx.emit("tfl.LOGICAL_NOT", n, {t}, {not_t});
      ctx.emit("tfl.LOGICAL_OR", n, {keep, not_t}, {mask_out});
    }
  } else if (mask_out) {
    ctx.reshape(n, keep, s, mask_out);
  }
  if (y != out) ctx.cast(n, y, out->dtype, out);
  return Status::ok();
}

// Reached when remove_identity left the node: its mask is read, or it is a training Dropout.
Status lower_dropout(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Dropout p, dropout_params(n));
  if (!p.identity) return lower_training(ctx, n, p);
  ctx.reshape(n, n.inputs[0], n.outputs[0]->shape, n.outputs[0]);
  if (n.outputs.size() > 1 && n.outputs[1]) {  // mask: all true, written by an op (it may be a graph output)
    ctx.emit("tfl.FILL", n,
             {ctx.const_int32(n, "mask_shape", n.outputs[1]->shape),
              ctx.constant(n, "true", Tensor::from_int64s(DType::kBool, {}, {1}))},
             {n.outputs[1]});
  }
  return Status::ok();
}

}  // namespace

void register_dropout(Registry& r) { r.add("Dropout", {infer_dropout, fold_dropout, lower_dropout}); }

}  // namespace pt2tflite::lower
