// ONNX-ML (ai.onnx.ml, onnx/defs/traditionalml) preprocessing ops on numeric tensors, as
// scikit-learn pipelines exported by skl2onnx use them (linear models: onnx_ml_linear.cc, trees:
// onnx_ml_trees.cc). Where the spec leaves a
// case open, onnxruntime's CPU kernels (core/providers/cpu/ml) decide, as noted per op.
//
// Binarizer: x > threshold ? 1 : 0 in x's type (GREATER, SELECT_V2).
// Scaler: (float(x) − offset)·scale; offset/scale of one value or one per feature of [N, C].
// Normalizer: rows of [N, C] (or [C]) divided by their MAX, L1 or L2 norm; a row whose norm is 0
//   is copied (onnxruntime; the spec is silent). Output float32.
// Imputer: elements equal to replaced_value_float (NaN matches NaN) / replaced_value_int64 become
//   the imputed value (one, or one per feature of [N, C]: onnxruntime uses the first value when
//   the count is neither).
// ArrayFeatureExtractor: GATHER along the last axis with run-time int64 indices; a 1-D input
//   gives [1, K] (onnxruntime; the spec's reference gives [K]).
// FeatureVectorizer: each input read as [N, size], cut or zero-padded to its inputdimensions
//   entry, concatenated along axis 1 as float32.
// LabelEncoder (opsets 2–4): numeric keys/values, list or tensor attributes; every element is
//   compared with the keys at once (EQUAL against a [K] constant), the first matching key
//   (ARG_MAX) picks its value (GATHER), no match gives the default. From opset 4 a NaN key
//   matches NaN (onnxruntime's LabelEncoder_4; its opset-2 kernel never matches NaN).
// OneHotEncoder: cats_int64s only; EQUAL of the int64-truncated input against the categories.
//   An unknown category gives an all-zero row also with zeros=0, where onnxruntime fails the run.
#include <algorithm>
#include <cmath>
#include <set>

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

bool is_int(DType t) { return t == DType::kInt32 || t == DType::kInt64; }

Status require_numeric(const Node& n, const Value* x) {
  NODE_UNSUPPORTED_IF(n, x->dtype != DType::kFloat32 && !is_int(x->dtype),
                      std::string("input of element type ") + ir::dtype_name(x->dtype) +
                          " (float32, int32 and int64 are converted)");
  return Status::ok();
}

// --- Binarizer ---

Status infer_same(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
  return Status::ok();
}

Status lower_binarizer(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  PT_RETURN_IF_ERROR(require_numeric(n, x));
  const double thr = n.get_float("threshold", 0.0);
  Arith a(ctx, n);
  // For integers x > t ⇔ x > floor(t), compared exactly in the input type.
  Value* above = a.bin("tfl.GREATER", x, a.scalar(x->dtype, is_int(x->dtype) ? std::floor(thr) : thr), DType::kBool);
  ctx.emit("tfl.SELECT_V2", n, {above, a.scalar(x->dtype, 1), a.scalar(x->dtype, 0)}, {n.outputs[0]});
  return Status::ok();
}

// --- Scaler / Normalizer / Imputer ---

Status infer_float_same_shape(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  set_output(n, 0, DType::kFloat32, n.inputs[0]->shape);
  return Status::ok();
}

// A per-feature parameter list as a constant broadcasting over [N, C] / [C]; one value → 0-d.
Result<Value*> feature_const(LowerContext& ctx, const Node& n, const Value* x, const std::vector<double>& v,
                             const std::string& what, DType dtype = DType::kFloat32) {
  if (v.size() == 1) return ctx.constant(n, what, Tensor::from_doubles(dtype, {}, v));
  const int64_t features = x->shape.size() == 1 ? x->shape[0] : x->shape.size() >= 2 ? x->shape[1] : -1;
  NODE_UNSUPPORTED_IF(n, x->shape.size() > 2,
                      what + " with one value per feature on an input of rank " + std::to_string(x->shape.size()) +
                          " (defined for [N, C] only)");
  NODE_CHECK(n, static_cast<int64_t>(v.size()) == features,
             what + " has " + std::to_string(v.size()) + " values for " + std::to_string(features) + " features");
  return ctx.constant(n, what, Tensor::from_doubles(dtype, {features}, v));
}

Status lower_scaler(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  PT_RETURN_IF_ERROR(require_numeric(n, x));
  NODE_CHECK(n, !x->shape.empty(), "input must have rank >= 1");
  Arith a(ctx, n);
  Value* y = ctx.cast(n, x, DType::kFloat32);
  if (auto off = numbers(n, "offset"); off && !off->empty()) {
    PT_ASSIGN_OR_RETURN(Value* c, feature_const(ctx, n, x, *off, "offset"));
    y = a.sub(y, c);
  }
  if (auto sc = numbers(n, "scale"); sc && !sc->empty()) {
    PT_ASSIGN_OR_RETURN(Value* c, feature_const(ctx, n, x, *sc, "scale"));
    y = a.mul(y, c);
  }
  ctx.reshape(n, y, n.outputs[0]->shape, n.outputs[0]);
  return Status::ok();
}

Status lower_normalizer(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  PT_RETURN_IF_ERROR(require_numeric(n, x));
  NODE_UNSUPPORTED_IF(n, x->shape.empty() || x->shape.size() > 2,
                      "input of rank " + std::to_string(x->shape.size()) + " (Normalizer takes [N, C] or [C])");
  const std::string norm = n.get_string("norm", "MAX");
  Arith a(ctx, n);
  Value* f = ctx.cast(n, x, DType::kFloat32);
  Value* d = nullptr;
  if (norm == "MAX") {
    d = ml::reduce_last(ctx, n, "tfl.REDUCE_MAX", f);
  } else if (norm == "L1") {
    d = ml::reduce_last(ctx, n, "tfl.SUM", a.un("tfl.ABS", f));
  } else if (norm == "L2") {
    d = a.un("tfl.SQRT", ml::reduce_last(ctx, n, "tfl.SUM", a.mul(f, f)));
  } else {
    NODE_CHECK(n, false, "norm '" + norm + "' is not one of MAX, L1, L2");
  }
  // onnxruntime copies a row whose norm is 0: dividing by 1 there is exactly that.
  Value* safe = a.select(a.bin("tfl.EQUAL", d, a.scalar(0.0), DType::kBool), a.scalar(1.0), d);
  ctx.emit("tfl.DIV", n, {f, safe}, {n.outputs[0]});
  return Status::ok();
}

Status lower_imputer(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  NODE_UNSUPPORTED_IF(n, x->dtype != DType::kFloat32 && x->dtype != DType::kInt64,
                      std::string("input of element type ") + ir::dtype_name(x->dtype) +
                          " (onnxruntime's Imputer takes float32 and int64)");
  NODE_CHECK(n, !x->shape.empty(), "input must have rank >= 1");
  const bool fl = x->dtype == DType::kFloat32;
  std::vector<double> imputed = numbers(n, fl ? "imputed_value_floats" : "imputed_value_int64s").value_or(std::vector<double>{});
  NODE_CHECK(n, !imputed.empty(), std::string("no ") + (fl ? "imputed_value_floats" : "imputed_value_int64s") +
                                      " for a " + ir::dtype_name(x->dtype) + " input");
  const int64_t features = x->shape.size() == 1 ? x->shape[0] : x->shape[1];
  // onnxruntime: one value per feature when the count matches, else the first value for all.
  if (static_cast<int64_t>(imputed.size()) != features) imputed.resize(1);
  PT_ASSIGN_OR_RETURN(Value* fill, feature_const(ctx, n, x, imputed, "imputed", x->dtype));
  Arith a(ctx, n);
  Value* hit = nullptr;
  if (fl) {
    const double r = n.get_float("replaced_value_float", 0.0);
    hit = std::isnan(r) ? a.bin("tfl.NOT_EQUAL", x, x, DType::kBool) : a.bin("tfl.EQUAL", x, a.scalar(r), DType::kBool);
  } else {
    Value* r = ctx.constant(n, "replaced", Tensor::from_int64s(DType::kInt64, {}, {n.get_int("replaced_value_int64", 0)}));
    hit = a.bin("tfl.EQUAL", x, r, DType::kBool);
  }
  ctx.emit("tfl.SELECT_V2", n, {hit, fill, x}, {n.outputs[0]});
  return Status::ok();
}

// --- ArrayFeatureExtractor(X, Y int64 indices) ---

Status infer_array_feature_extractor(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs X and Y");
  const Shape& xs = n.inputs[0]->shape;
  NODE_CHECK(n, !xs.empty(), "X must have rank >= 1");
  int64_t k = 1;
  for (int64_t d : n.inputs[1]->shape) k *= d;
  NODE_CHECK(n, k > 0, "Y holds no indices");
  Shape out = xs.size() == 1 ? Shape{1, k} : xs;
  out.back() = k;
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

Status lower_array_feature_extractor(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  Value* idx = n.inputs[1];
  NODE_UNSUPPORTED_IF(n, !is_int(idx->dtype), std::string("indices of element type ") + ir::dtype_name(idx->dtype));
  int64_t k = 1;
  for (int64_t d : idx->shape) k *= d;
  Value* flat = ctx.reshape(n, ctx.cast(n, idx, DType::kInt32), {k});
  Shape gathered = x->shape;
  gathered.back() = k;
  Value* out = n.outputs[0];
  Value* y = gathered == out->shape ? out : ctx.temp(n, x->dtype, gathered, "gathered");
  ctx.emit("tfl.GATHER", n, {x, flat}, {y})->attrs["axis"] = static_cast<int64_t>(x->shape.size()) - 1;
  if (y != out) ctx.reshape(n, y, out->shape, out);
  return Status::ok();
}

// --- FeatureVectorizer ---

Result<std::vector<int64_t>> vectorizer_dims(const Node& n) {
  std::vector<int64_t> dims = n.get_ints("inputdimensions");
  NODE_CHECK(n, dims.size() == n.inputs.size(),
             "inputdimensions has " + std::to_string(dims.size()) + " entries for " + std::to_string(n.inputs.size()) +
                 " inputs");
  return dims;
}

// (rows, features) of an input as onnxruntime reads it.
std::pair<int64_t, int64_t> rows_features(const Shape& s) {
  if (s.size() == 1) return {1, s[0]};
  int64_t f = 1;
  for (size_t i = 1; i < s.size(); ++i) f *= s[i];
  return {s.empty() ? 1 : s[0], f};
}

Status infer_feature_vectorizer(Node& n) {
  NODE_CHECK(n, !n.inputs.empty(), "needs inputs");
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> dims, vectorizer_dims(n));
  int64_t total = 0;
  const int64_t rows = rows_features(n.inputs[0]->shape).first;
  for (size_t i = 0; i < dims.size(); ++i) {
    NODE_CHECK(n, n.inputs[i] && !n.inputs[i]->shape.empty(), "inputs must have rank >= 1");
    NODE_CHECK(n, rows_features(n.inputs[i]->shape).first == rows, "inputs have different batch sizes");
    NODE_CHECK(n, dims[i] >= 0, "negative inputdimensions entry");
    total += dims[i];
  }
  set_output(n, 0, DType::kFloat32, {rows, total});
  return Status::ok();
}

Status lower_feature_vectorizer(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> dims, vectorizer_dims(n));
  std::vector<Value*> parts;
  for (size_t i = 0; i < dims.size(); ++i) {
    Value* x = n.inputs[i];
    PT_RETURN_IF_ERROR(require_numeric(n, x));
    if (dims[i] == 0) continue;
    auto [rows, features] = rows_features(x->shape);
    Value* f = ctx.reshape(n, ctx.cast(n, x, DType::kFloat32), {rows, features});
    if (features > dims[i]) {
      Value* cut = ctx.temp(n, DType::kFloat32, {rows, dims[i]}, "cut");
      ctx.emit("tfl.SLICE", n, {f, ctx.const_int32(n, "begin", {0, 0}), ctx.const_int32(n, "size", {rows, dims[i]})},
               {cut});
      f = cut;
    } else if (features < dims[i]) {
      Value* padded = ctx.temp(n, DType::kFloat32, {rows, dims[i]}, "padded");
      ctx.emit("tfl.PAD", n, {f, ctx.const_int32(n, "pads", {0, 0, 0, dims[i] - features}, Shape{2, 2})}, {padded});
      f = padded;
    }
    parts.push_back(f);
  }
  Value* out = n.outputs[0];
  NODE_UNSUPPORTED_IF(n, parts.empty(), "every inputdimensions entry is 0 (an empty output)");
  if (parts.size() == 1)
    ctx.reshape(n, parts[0], out->shape, out);
  else
    ctx.emit("tfl.CONCATENATION", n, parts, {out})->attrs["axis"] = int64_t{1};
  return Status::ok();
}

// --- LabelEncoder ---

struct Encoder {
  DType key_type = DType::kInt64, value_type = DType::kInt64;
  std::vector<double> keys, values;
  double dflt = 0;
};

// One side of the mapping: the list attribute of a known type, or (opset 4) the tensor form.
Result<std::pair<DType, std::vector<double>>> encoder_side(const Node& n, const std::string& side) {
  for (const auto& [suffix, type] : {std::pair<const char*, DType>{"_int64s", DType::kInt64}, {"_floats", DType::kFloat32}}) {
    if (auto v = numbers(n, side + suffix)) return std::pair{type, *v};
  }
  NODE_UNSUPPORTED_IF(n, n.has(side + "_strings") || ml::is_strings(n, side + "_tensor"),
                      "string " + side + " (" + side + "_strings): TFLite has no string tensors");
  if (auto v = numbers(n, side + "_tensor")) {
    const auto dt = static_cast<DType>(n.get_int(side + "_tensor_dtype", static_cast<int64_t>(DType::kInt64)));
    NODE_UNSUPPORTED_IF(n, dt != DType::kInt64 && dt != DType::kFloat32 && dt != DType::kInt32,
                        side + "_tensor of element type " + ir::dtype_name(dt));
    return std::pair{dt, *v};
  }
  NODE_CHECK(n, false, "no " + side + " (" + side + "_int64s, " + side + "_floats or " + side + "_tensor)");
  return std::pair{DType::kInt64, std::vector<double>{}};
}

Result<Encoder> encoder(const Node& n) {
  NODE_UNSUPPORTED_IF(n, n.opset < 2 || n.has("classes_strings"),
                      "LabelEncoder-1 maps strings to integers: TFLite has no string tensors");
  Encoder e;
  PT_ASSIGN_OR_RETURN(auto k, encoder_side(n, "keys"));
  PT_ASSIGN_OR_RETURN(auto v, encoder_side(n, "values"));
  std::tie(e.key_type, e.keys) = k;
  std::tie(e.value_type, e.values) = v;
  NODE_CHECK(n, e.keys.size() == e.values.size(),
             std::to_string(e.keys.size()) + " keys but " + std::to_string(e.values.size()) + " values");
  if (auto d = numbers(n, "default_tensor"); d && !d->empty()) {
    NODE_UNSUPPORTED_IF(n, ml::is_strings(n, "default_tensor"), "a string default_tensor");
    e.dflt = (*d)[0];
  } else if (ir::is_float(e.value_type)) {
    e.dflt = n.get_float("default_float", -0.0);
  } else {
    e.dflt = static_cast<double>(n.get_int("default_int64", -1));
  }
  return e;
}

Status infer_label_encoder(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  PT_ASSIGN_OR_RETURN(Encoder e, encoder(n));
  set_output(n, 0, e.value_type, n.inputs[0]->shape);
  return Status::ok();
}

Status lower_label_encoder(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Encoder e, encoder(n));
  Value* x = n.inputs[0];
  Value* out = n.outputs[0];
  // Later duplicates of a key never match (onnxruntime keeps the first); NaN equals NaN.
  std::vector<double> keys, values;
  bool nan_key = false;
  double nan_value = 0;
  std::set<double> seen;
  for (size_t i = 0; i < e.keys.size(); ++i) {
    if (std::isnan(e.keys[i])) {
      // onnxruntime matches NaN with a NaN key from opset 4 on; before, a NaN key never matches.
      if (!nan_key && n.opset >= 4) nan_value = e.values[i];
      nan_key = true;
    } else if (seen.insert(e.keys[i]).second) {
      keys.push_back(e.keys[i]);
      values.push_back(e.values[i]);
    }
  }
  Arith a(ctx, n);
  Value* dflt = ctx.constant(n, "default", Tensor::from_doubles(e.value_type, {}, {e.dflt}));
  Value* xk = ctx.cast(n, x, e.key_type);
  Value* result = nullptr;
  if (keys.empty()) {
    result = a.bin("tfl.ADD", a.mul(ctx.cast(n, xk, e.value_type), a.scalar(e.value_type, 0)), dflt);
  } else {
    const int64_t k = static_cast<int64_t>(keys.size());
    Shape xe = x->shape;
    xe.push_back(1);
    Value* eq = a.bin("tfl.EQUAL", ctx.reshape(n, xk, xe), ctx.constant(n, "keys", Tensor::from_doubles(e.key_type, {k}, keys)),
                      DType::kBool);
    Value* hit = ctx.temp(n, DType::kInt32, x->shape, "hit");
    ctx.emit("tfl.ARG_MAX", n, {ctx.cast(n, eq, DType::kFloat32), ctx.const_int32(n, "axis", {static_cast<int64_t>(x->shape.size())}, Shape{})},
             {hit});
    Value* picked = ctx.temp(n, e.value_type, x->shape, "picked");
    ctx.emit("tfl.GATHER", n, {ctx.constant(n, "values", Tensor::from_doubles(e.value_type, {k}, values)), hit}, {picked})
        ->attrs["axis"] = int64_t{0};
    Value* any = ctx.temp(n, DType::kBool, x->shape, "any");
    ctx.emit("tfl.REDUCE_ANY", n, {eq, ctx.const_int32(n, "axis", {static_cast<int64_t>(x->shape.size())})}, {any});
    result = a.select(any, picked, dflt);
  }
  if (nan_key && n.opset >= 4 && ir::is_float(e.key_type))
    result = a.select(a.bin("tfl.NOT_EQUAL", xk, xk, DType::kBool),
                      ctx.constant(n, "nan_value", Tensor::from_doubles(e.value_type, {}, {nan_value})), result);
  ctx.reshape(n, result, out->shape, out);
  return Status::ok();
}

// --- OneHotEncoder (cats_int64s) ---

Status infer_one_hot_encoder(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  NODE_UNSUPPORTED_IF(n, n.has("cats_strings"), "string categories (cats_strings): TFLite has no string tensors");
  const std::vector<int64_t> cats = n.get_ints("cats_int64s");
  NODE_CHECK(n, !cats.empty(), "no cats_int64s");
  NODE_UNSUPPORTED_IF(n, n.inputs[0]->shape.size() > 2, "input of rank above 2 (onnxruntime takes [N, C] or [C])");
  Shape out = n.inputs[0]->shape;
  out.push_back(static_cast<int64_t>(cats.size()));
  set_output(n, 0, DType::kFloat32, out);
  return Status::ok();
}

Status lower_one_hot_encoder(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  PT_RETURN_IF_ERROR(require_numeric(n, x));
  const std::vector<int64_t> cats = n.get_ints("cats_int64s");
  const auto k = static_cast<int64_t>(cats.size());
  Arith a(ctx, n);
  // onnxruntime truncates a float input to int64; a repeated category sets only its last slot.
  Shape xe = x->shape;
  xe.push_back(1);
  Value* hit = a.bin("tfl.EQUAL", ctx.reshape(n, ctx.cast(n, x, DType::kInt64), xe),
                     ctx.constant(n, "cats", Tensor::from_int64s(DType::kInt64, {k}, cats)), DType::kBool);
  std::vector<int64_t> last(static_cast<size_t>(k), 1);
  for (size_t i = 0; i < cats.size(); ++i)
    for (size_t j = i + 1; j < cats.size(); ++j)
      if (cats[j] == cats[i]) last[i] = 0;
  if (std::find(last.begin(), last.end(), 0) != last.end())
    hit = a.bin("tfl.LOGICAL_AND", hit, ctx.constant(n, "last", Tensor::from_int64s(DType::kBool, {k}, last)));
  ctx.cast(n, hit, DType::kFloat32, n.outputs[0]);
  return Status::ok();
}

}  // namespace

void register_onnx_ml(Registry& r) {
  const std::string d = "ai.onnx.ml.";
  r.add(d + "Binarizer", {infer_same, nullptr, lower_binarizer});
  r.add(d + "Scaler", {infer_float_same_shape, nullptr, lower_scaler});
  r.add(d + "Normalizer", {infer_float_same_shape, nullptr, lower_normalizer});
  r.add(d + "Imputer", {infer_same, nullptr, lower_imputer});
  r.add(d + "ArrayFeatureExtractor", {infer_array_feature_extractor, nullptr, lower_array_feature_extractor});
  r.add(d + "FeatureVectorizer", {infer_feature_vectorizer, nullptr, lower_feature_vectorizer});
  r.add(d + "LabelEncoder", {infer_label_encoder, nullptr, lower_label_encoder});
  r.add(d + "OneHotEncoder", {infer_one_hot_encoder, nullptr, lower_one_hot_encoder});
}

}  // namespace pt2tflite::lower