// ONNX-ML linear models on numeric tensors; onnxruntime's CPU kernels decide what the spec
// leaves open (core/providers/cpu/ml/linear*.cc, ml_common.h).
//
// LinearRegressor: FULLY_CONNECTED with the coefficients [targets, C]; intercepts are used when
//   there is one per target (onnxruntime ignores other counts). One target is post-transformed
//   only by PROBIT, several by any post_transform (onnx_ml_util.h).
// LinearClassifier: scores = FULLY_CONNECTED; labels: one score → classlabels[score > 0] (1/0
//   without two labels), else classlabels[ARG_MAX] (first maximum). Scores: one score with two
//   labels → two columns as onnxruntime writes them (see lower_linear_classifier), one score
//   otherwise → PROBIT or the raw score; several → the post_transform. String labels are refused.
#include "lower/onnx_ml_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;
using ml::numbers;

struct Linear {
  int64_t targets = 0, features = 0;
  std::vector<double> coef, intercepts;
};

Result<Linear> linear_params(const Node& n, int64_t targets) {
  Linear l;
  const Shape& xs = n.inputs[0]->shape;
  NODE_UNSUPPORTED_IF(n, xs.empty() || xs.size() > 2,
                      "input of rank " + std::to_string(xs.size()) + " (the linear models take [N, C] or [C])");
  l.features = xs.back();
  l.coef = numbers(n, "coefficients").value_or(std::vector<double>{});
  l.intercepts = numbers(n, "intercepts").value_or(std::vector<double>{});
  l.targets = targets;
  NODE_CHECK(n, targets > 0, "no targets");
  NODE_CHECK(n, static_cast<int64_t>(l.coef.size()) == targets * l.features,
             "coefficients has " + std::to_string(l.coef.size()) + " values for " + std::to_string(targets) +
                 " targets × " + std::to_string(l.features) + " features");
  // onnxruntime uses the intercepts only when there is one per target.
  if (static_cast<int64_t>(l.intercepts.size()) != targets) l.intercepts.assign(static_cast<size_t>(targets), 0.0);
  return l;
}

Value* linear_scores(LowerContext& ctx, const Node& n, Value* rows, const Linear& l) {
  Value* s = ctx.temp(n, DType::kFloat32, {rows->shape[0], l.targets}, "scores");
  ctx.emit("tfl.FULLY_CONNECTED", n,
           {rows, ctx.constant(n, "coefficients", Tensor::from_doubles(DType::kFloat32, {l.targets, l.features}, l.coef)),
            ctx.constant(n, "intercepts", Tensor::from_doubles(DType::kFloat32, {l.targets}, l.intercepts))},
           {s});
  return s;
}

int64_t batch_of(const Value* x) { return x->shape.size() == 1 ? 1 : x->shape[0]; }

Status infer_linear_regressor(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  set_output(n, 0, DType::kFloat32, {batch_of(n.inputs[0]), n.get_int("targets", 1)});
  return Status::ok();
}

Status lower_linear_regressor(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Linear l, linear_params(n, n.get_int("targets", 1)));
  PT_ASSIGN_OR_RETURN(ml::PostTransform t, ml::post_transform_attr(n));
  PT_ASSIGN_OR_RETURN(Value* rows, ml::rows_float(ctx, n, n.inputs[0]));
  Value* s = linear_scores(ctx, n, rows, l);
  // onnxruntime transforms a single target only by PROBIT (batched_update_scores_inplace).
  if (l.targets > 1 || t == ml::PostTransform::kProbit) s = ml::post_transform(ctx, n, s, t);
  ctx.reshape(n, s, n.outputs[0]->shape, n.outputs[0]);
  return Status::ok();
}

Status refuse_string_labels(const Node& n) {
  NODE_UNSUPPORTED_IF(n, n.has("classlabels_strings"),
                      "string class labels (classlabels_strings): TFLite has no string tensors; export the model "
                      "with integer labels (classlabels_ints)");
  return Status::ok();
}

int64_t classifier_scores(const Node& n) {
  const size_t e = numbers(n, "intercepts").value_or(std::vector<double>{}).size();
  return e == 1 && n.get_ints("classlabels_ints").size() == 2 ? 2 : static_cast<int64_t>(e);
}

Status infer_linear_classifier(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  PT_RETURN_IF_ERROR(refuse_string_labels(n));
  const int64_t b = batch_of(n.inputs[0]);
  set_output(n, 0, DType::kInt64, {b});
  if (n.outputs.size() > 1) set_output(n, 1, DType::kFloat32, {b, classifier_scores(n)});
  return Status::ok();
}

Status lower_linear_classifier(LowerContext& ctx, Node& n) {
  PT_RETURN_IF_ERROR(refuse_string_labels(n));
  // onnxruntime sizes the model by its intercepts.
  const int64_t e = static_cast<int64_t>(numbers(n, "intercepts").value_or(std::vector<double>{}).size());
  NODE_CHECK(n, e > 0, "no intercepts (onnxruntime counts the classes by them)");
  PT_ASSIGN_OR_RETURN(Linear l, linear_params(n, e));
  PT_ASSIGN_OR_RETURN(ml::PostTransform t, ml::post_transform_attr(n));
  const std::vector<int64_t> labels = n.get_ints("classlabels_ints");
  PT_ASSIGN_OR_RETURN(Value* rows, ml::rows_float(ctx, n, n.inputs[0]));
  Value* s = linear_scores(ctx, n, rows, l);
  const int64_t b = rows->shape[0];
  Arith a(ctx, n);
  Value* label = n.outputs[0];
  if (e == 1) {
    const bool two = labels.size() == 2;
    NODE_UNSUPPORTED_IF(n, two && t == ml::PostTransform::kProbit,
                        "PROBIT on a binary model with two class labels (onnxruntime fills only half the scores)");
    Value* pos = a.bin("tfl.GREATER", ctx.reshape(n, s, {b}), a.scalar(0.0), DType::kBool);
    Value* yes = ctx.constant(n, "positive", Tensor::from_int64s(DType::kInt64, {}, {two ? labels[1] : 1}));
    Value* no = ctx.constant(n, "negative", Tensor::from_int64s(DType::kInt64, {}, {two ? labels[0] : 0}));
    ctx.emit("tfl.SELECT_V2", n, {pos, yes, no}, {label});
    if (n.outputs.size() > 1 && n.outputs[1]) {
      if (two) {
        // onnxruntime (1.32, measured): LOGISTIC → [σ(−s), σ(s)]; NONE, SOFTMAX and
        // SOFTMAX_ZERO → [1 − s, s].
        std::vector<Value*> pair;
        if (t == ml::PostTransform::kLogistic)
          pair = {a.un("tfl.LOGISTIC", a.un("tfl.NEG", s)), a.un("tfl.LOGISTIC", s)};
        else
          pair = {a.sub(a.scalar(1.0), s), s};
        ctx.emit("tfl.CONCATENATION", n, pair, {n.outputs[1]})->attrs["axis"] = int64_t{1};
      } else {
        ctx.reshape(n, t == ml::PostTransform::kProbit ? ml::probit(ctx, n, s) : s, n.outputs[1]->shape, n.outputs[1]);
      }
    }
    return Status::ok();
  }
  NODE_CHECK(n, static_cast<int64_t>(labels.size()) == e,
             "classlabels_ints has " + std::to_string(labels.size()) + " labels for " + std::to_string(e) + " classes");
  Value* idx = ctx.temp(n, DType::kInt32, {b}, "argmax");
  ctx.emit("tfl.ARG_MAX", n, {s, ctx.const_int32(n, "axis", {1}, Shape{})}, {idx});
  ctx.emit("tfl.GATHER", n, {ctx.constant(n, "labels", Tensor::from_int64s(DType::kInt64, {e}, labels)), idx}, {label})
      ->attrs["axis"] = int64_t{0};
  if (n.outputs.size() > 1 && n.outputs[1]) ctx.reshape(n, ml::post_transform(ctx, n, s, t), n.outputs[1]->shape, n.outputs[1]);
  return Status::ok();
}

}  // namespace

void register_onnx_ml_linear(Registry& r) {
  r.add("ai.onnx.ml.LinearRegressor", {infer_linear_regressor, nullptr, lower_linear_regressor});
  r.add("ai.onnx.ml.LinearClassifier", {infer_linear_classifier, nullptr, lower_linear_classifier});
}

}  // namespace pt2tflite::lower
