// ONNX-ML support vector machines (scikit-learn SVR / SVC as skl2onnx exports them), as
// onnxruntime computes them (core/providers/cpu/ml/svmregressor.cc, svmclassifier.{h,cc}).
//
// Kernel values K(x, sv) [N, V]: LINEAR x·sv, POLY (γ x·sv + c0)^degree, SIGMOID tanh(γ x·sv + c0)
// through FULLY_CONNECTED on the support vectors; RBF exp(−γ Σ (x − sv)²) by SQUARED_DIFFERENCE
// summed per pair (as onnxruntime sums it, no |x|² − 2x·sv + |sv|² cancellation).
//
// SVMRegressor: without support vectors a linear model (coefficients, rho); with them
//   K · coefficients + rho. one_class gives ±1 by the sign. onnxruntime ignores post_transform.
// SVMClassifier, linear mode (no support vectors): scores = x · coefficientsᵀ + rho[0] (one rho
//   for every class, as onnxruntime adds it); label = classlabels[first maximum], for two classes
//   labels[1] when the top score is ≥ 0.5 (all coefficients ≥ 0) or > 0 (mixed) without prob_a;
//   scores post-transformed.
// SVMClassifier, SVC mode: one score per class pair (i < j): Σ over both classes' support
//   vectors of coefficient·K + rho — a [pairs, V] weight matrix on K; each pair votes for i when
//   its score is > 0, else for j; label = classlabels[first most-voted]. Scores: the pair scores
//   post-transformed (three or more classes); two classes → [−s, s] under NONE, [σ(−s), σ(s)]
//   under LOGISTIC, else [1 − s, s] (onnxruntime's binary rule). Probability estimates (prob_a / prob_b: onnxruntime's iterative
//   pairwise coupling) are refused, as is PROBIT on two classes (onnxruntime fills one score).
#include <algorithm>
#include <cmath>
#include <tuple>

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

int64_t batch_of(const Value* x) { return x->shape.size() == 1 ? 1 : x->shape[0]; }

struct KernelParams {
  std::string type;
  double gamma = 0, coef0 = 0, degree = 0;
};

Result<KernelParams> kernel_params(const Node& n) {
  KernelParams k;
  k.type = n.get_string("kernel_type", "LINEAR");
  NODE_CHECK(n, k.type == "LINEAR" || k.type == "POLY" || k.type == "RBF" || k.type == "SIGMOID",
             "kernel_type '" + k.type + "' is not one of LINEAR, POLY, RBF, SIGMOID");
  const std::vector<double> p = numbers(n, "kernel_params").value_or(std::vector<double>{});
  NODE_CHECK(n, p.empty() || p.size() >= 3, "kernel_params holds gamma, coef0, degree");
  if (!p.empty()) std::tie(k.gamma, k.coef0, k.degree) = std::tuple{p[0], p[1], p[2]};
  return k;
}

// K(x, sv) [N, V] for support vectors sv [V, C] (row-major).
Value* kernel_values(LowerContext& ctx, const Node& n, Value* rows, const std::vector<double>& sv, int64_t v,
                     const KernelParams& k) {
  Arith a(ctx, n);
  const int64_t b = rows->shape[0], c = rows->shape[1];
  if (k.type == "RBF") {
    Value* d = a.bin("tfl.SQUARED_DIFFERENCE", ctx.reshape(n, rows, {b, 1, c}),
                     ctx.constant(n, "support_vectors", Tensor::from_doubles(DType::kFloat32, {1, v, c}, sv)));
    Value* dist = ctx.temp(n, DType::kFloat32, {b, v}, "dist");
    ctx.emit("tfl.SUM", n, {d, ctx.const_int32(n, "axis", {2})}, {dist})->attrs["keep_dims"] = int64_t{0};
    return a.un("tfl.EXP", a.mul(dist, -k.gamma));
  }
  Value* dot = ml::dense(ctx, n, rows, sv, v, std::vector<double>(static_cast<size_t>(v), 0.0));
  if (k.type == "LINEAR") return dot;
  Value* z = a.add(a.mul(dot, k.gamma), k.coef0);
  if (k.type == "SIGMOID") return a.un("tfl.TANH", z);
  if (k.degree == std::floor(k.degree) && k.degree >= 1 && k.degree <= 4) {  // POLY
    Value* p = z;
    for (int i = 1; i < static_cast<int>(k.degree); ++i) p = a.mul(p, z);
    return p;
  }
  return a.bin("tfl.POW", z, a.scalar(k.degree));
}

// --- SVMRegressor ---

Status infer_svm_regressor(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  set_output(n, 0, DType::kFloat32, {batch_of(n.inputs[0]), 1});
  return Status::ok();
}

Status lower_svm_regressor(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Value* rows, ml::rows_float(ctx, n, n.inputs[0]));
  const int64_t c = rows->shape[1];
  const std::vector<double> coef = numbers(n, "coefficients").value_or(std::vector<double>{});
  const std::vector<double> rho = numbers(n, "rho").value_or(std::vector<double>{});
  NODE_CHECK(n, !coef.empty() && !rho.empty(), "needs coefficients and rho");
  PT_ASSIGN_OR_RETURN(KernelParams k, kernel_params(n));
  const int64_t v = n.get_int("n_supports", 0);
  Arith a(ctx, n);
  Value* y = nullptr;
  if (v <= 0) {  // linear mode: the coefficients are the weights
    NODE_CHECK(n, static_cast<int64_t>(coef.size()) == c, "coefficients do not match the features");
    y = ml::dense(ctx, n, rows, coef, 1, {rho[0]});
  } else {
    const std::vector<double> sv = numbers(n, "support_vectors").value_or(std::vector<double>{});
    NODE_CHECK(n, static_cast<int64_t>(sv.size()) == v * c && static_cast<int64_t>(coef.size()) == v,
               "support_vectors / coefficients do not match n_supports × features");
    y = ml::dense(ctx, n, kernel_values(ctx, n, rows, sv, v, k), coef, 1, {rho[0]});
  }
  if (n.get_int("one_class", 0) != 0)
    y = a.select(a.bin("tfl.GREATER", y, a.scalar(0.0), DType::kBool), a.scalar(1.0), a.scalar(-1.0));
  ctx.reshape(n, y, n.outputs[0]->shape, n.outputs[0]);
  return Status::ok();
}

// --- SVMClassifier ---

struct Svc {
  std::vector<int64_t> labels, per_class;
  std::vector<double> coef, rho, sv;
  int64_t classes = 0, vectors = 0;
};

Result<Svc> svc_params(const Node& n) {
  NODE_UNSUPPORTED_IF(n, n.has("classlabels_strings"),
                      "string class labels (classlabels_strings): TFLite has no string tensors; export the model "
                      "with integer labels (classlabels_ints)");
  Svc s;
  s.labels = n.get_ints("classlabels_ints");
  s.classes = static_cast<int64_t>(s.labels.size());
  NODE_CHECK(n, s.classes >= 2, "classlabels_ints needs two or more labels");
  s.per_class = n.get_ints("vectors_per_class");
  for (int64_t c : s.per_class) s.vectors += c;
  s.coef = numbers(n, "coefficients").value_or(std::vector<double>{});
  s.rho = numbers(n, "rho").value_or(std::vector<double>{});
  s.sv = numbers(n, "support_vectors").value_or(std::vector<double>{});
  NODE_CHECK(n, !s.coef.empty() && !s.rho.empty(), "needs coefficients and rho");
  return s;
}

int64_t svc_scores(const Node& n, const Svc& s) {
  const bool proba = n.has("prob_a");
  if (s.vectors > 0 && !proba) return s.classes > 2 ? s.classes * (s.classes - 1) / 2 : 2;
  return s.classes;
}

Status infer_svm_classifier(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  PT_ASSIGN_OR_RETURN(Svc s, svc_params(n));
  const int64_t b = batch_of(n.inputs[0]);
  set_output(n, 0, DType::kInt64, {b});
  if (n.outputs.size() > 1) set_output(n, 1, DType::kFloat32, {b, svc_scores(n, s)});
  return Status::ok();
}

Status lower_svm_classifier(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Svc s, svc_params(n));
  PT_ASSIGN_OR_RETURN(KernelParams kp, kernel_params(n));
  PT_ASSIGN_OR_RETURN(ml::PostTransform t, ml::post_transform_attr(n));
  PT_ASSIGN_OR_RETURN(Value* rows, ml::rows_float(ctx, n, n.inputs[0]));
  const int64_t b = rows->shape[0], c = rows->shape[1], k = s.classes;
  const bool proba = n.has("prob_a") && !numbers(n, "prob_a").value_or(std::vector<double>{}).empty();
  Arith a(ctx, n);
  auto labels_of = [&](Value* idx) {
    ctx.emit("tfl.GATHER", n, {ctx.constant(n, "labels", Tensor::from_int64s(DType::kInt64, {k}, s.labels)), idx},
             {n.outputs[0]})
        ->attrs["axis"] = int64_t{0};
  };
  auto argmax = [&](Value* v) {
    Value* idx = ctx.temp(n, DType::kInt32, {b}, "argmax");
    ctx.emit("tfl.ARG_MAX", n, {v, ctx.const_int32(n, "axis", {1})}, {idx});
    return idx;
  };
  Value* z_out = n.outputs.size() > 1 ? n.outputs[1] : nullptr;
  if (s.vectors <= 0) {  // linear mode
    NODE_CHECK(n, static_cast<int64_t>(s.coef.size()) == k * c, "coefficients do not match classes × features");
    Value* scores = ml::dense(ctx, n, rows, s.coef, k, std::vector<double>(static_cast<size_t>(k), s.rho[0]));
    Value* idx = argmax(scores);
    if (k == 2 && !proba) {
      const bool all_positive = std::all_of(s.coef.begin(), s.coef.end(), [](double w) { return w >= 0; });
      Value* top = ml::reduce_last(ctx, n, "tfl.REDUCE_MAX", scores);
      Value* one = all_positive ? a.bin("tfl.GREATER_EQUAL", top, a.scalar(0.5), DType::kBool)
                                : a.bin("tfl.GREATER", top, a.scalar(0.0), DType::kBool);
      idx = a.select(ctx.reshape(n, one, {b}), ctx.const_int32(n, "one", {1}), idx);
    }
    labels_of(idx);
    if (z_out) ctx.reshape(n, ml::post_transform(ctx, n, scores, t), z_out->shape, z_out);
    return Status::ok();
  }
  NODE_UNSUPPORTED_IF(n, proba,
                      "probability estimates (prob_a / prob_b): onnxruntime's iterative pairwise coupling is not "
                      "reproduced; export the SVC without probability=True");
  NODE_CHECK(n, static_cast<int64_t>(s.per_class.size()) == k, "vectors_per_class does not match the labels");
  NODE_CHECK(n, static_cast<int64_t>(s.sv.size()) == s.vectors * c, "support_vectors do not match the features");
  const int64_t pairs = k * (k - 1) / 2, v = s.vectors;
  NODE_CHECK(n, static_cast<int64_t>(s.coef.size()) >= (k - 1) * v && static_cast<int64_t>(s.rho.size()) >= pairs,
             "coefficients / rho are too short for the classes");
  NODE_UNSUPPORTED_IF(n, k == 2 && t == ml::PostTransform::kProbit,
                      "PROBIT on a two-class SVM (onnxruntime writes one of the two scores)");
  std::vector<int64_t> start(static_cast<size_t>(k), 0);
  for (int64_t i = 1; i < k; ++i) start[i] = start[i - 1] + s.per_class[i - 1];
  // Pair p = (i, j): weights over the support vectors, and its vote matrix (+1 for i, −1 for j
  // when the score is > 0; the bias counts the j votes of a non-positive score).
  std::vector<double> w(static_cast<size_t>(pairs * v), 0.0), vote(static_cast<size_t>(k * pairs), 0.0),
      vote_bias(static_cast<size_t>(k), 0.0), rho(s.rho.begin(), s.rho.begin() + pairs);
  int64_t p = 0;
  for (int64_t i = 0; i < k - 1; ++i)
    for (int64_t j = i + 1; j < k; ++j, ++p) {
      for (int64_t m = start[i]; m < start[i] + s.per_class[i]; ++m) w[p * v + m] = s.coef[(j - 1) * v + m];
      for (int64_t m = start[j]; m < start[j] + s.per_class[j]; ++m) w[p * v + m] = s.coef[i * v + m];
      vote[i * pairs + p] += 1;
      vote[j * pairs + p] -= 1;
      vote_bias[j] += 1;
    }
  Value* scores = ml::dense(ctx, n, kernel_values(ctx, n, rows, s.sv, v, kp), w, pairs, rho);
  Value* wins = ctx.cast(n, a.bin("tfl.GREATER", scores, a.scalar(0.0), DType::kBool), DType::kFloat32);
  labels_of(argmax(ml::dense(ctx, n, wins, vote, k, vote_bias)));
  if (!z_out) return Status::ok();
  if (k > 2) {
    ctx.reshape(n, ml::post_transform(ctx, n, scores, t), z_out->shape, z_out);
  } else {
    // onnxruntime 1.32 (measured): NONE → [−s, s], LOGISTIC → [σ(−s), σ(s)], else [1 − s, s].
    std::vector<Value*> pair;
    if (t == ml::PostTransform::kNone)
      pair = {a.un("tfl.NEG", scores), scores};
    else if (t == ml::PostTransform::kLogistic)
      pair = {a.un("tfl.LOGISTIC", a.un("tfl.NEG", scores)), a.un("tfl.LOGISTIC", scores)};
    else
      pair = {a.sub(a.scalar(1.0), scores), scores};
    ctx.emit("tfl.CONCATENATION", n, pair, {z_out})->attrs["axis"] = int64_t{1};
  }
  return Status::ok();
}

}  // namespace

void register_onnx_ml_svm(Registry& r) {
  r.add("ai.onnx.ml.SVMRegressor", {infer_svm_regressor, nullptr, lower_svm_regressor});
  r.add("ai.onnx.ml.SVMClassifier", {infer_svm_classifier, nullptr, lower_svm_classifier});
}

}  // namespace pt2tflite::lower
