// Shared by the ONNX-ML lowerings (onnx_ml.cc, onnx_ml_trees.cc): attribute readers for the
// list/tensor attribute forms, and the score post-transforms of onnxruntime's ml_common.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lower/context.h"
#include "lower/emit_arith.h"

namespace pt2tflite::lower::ml {

// The importer's "<name>_dtype" of a string tensor attribute (onnx/import.h kStringTensorAttr).
constexpr int64_t kStringTensorAttr = -1;

// A numeric list attribute as doubles, whether stored as ints or floats (tensor attributes
// keep their element type); nullopt when absent.
std::optional<std::vector<double>> numbers(const ir::Node& n, const std::string& key);
// True when the attribute (list or tensor form) holds strings.
bool is_strings(const ir::Node& n, const std::string& key);

// x as float32 [N, C] the way onnxruntime's ML kernels read their input: rank 1 is one row,
// rank 2 as is; other ranks are refused (onnxruntime rejects them too).
Result<ir::Value*> rows_float(LowerContext& ctx, const ir::Node& n, ir::Value* x);

enum class PostTransform { kNone, kLogistic, kSoftmax, kSoftmaxZero, kProbit };
Result<PostTransform> post_transform_attr(const ir::Node& n);

// Applies a post-transform to scores [N, E] with E >= 2 (onnxruntime's batched_update_scores
// for batch sizes above one): LOGISTIC 1/(1+e^-x), SOFTMAX per row, SOFTMAX_ZERO (entries with
// |x| <= 1e-7 are left out of the sum and scaled by e^-max), PROBIT (√2·erfinv(2x−1) with
// onnxruntime's closed-form erfinv approximation, reproduced so the numbers agree).
ir::Value* post_transform(LowerContext& ctx, const ir::Node& n, ir::Value* scores, PostTransform t);
// √2·erfinv(2x−1), onnxruntime's ComputeProbit.
ir::Value* probit(LowerContext& ctx, const ir::Node& n, ir::Value* x);

// FULLY_CONNECTED: rows [N, C] · w[outs, C]ᵀ + bias[outs] (w row-major), float32 [N, outs].
ir::Value* dense(LowerContext& ctx, const ir::Node& n, ir::Value* rows, const std::vector<double>& w, int64_t outs,
                 const std::vector<double>& bias);

// REDUCE op over the last axis, keeping it as size 1.
ir::Value* reduce_last(LowerContext& ctx, const ir::Node& n, const std::string& op, ir::Value* x);

}  // namespace pt2tflite::lower::ml
