// ONNX ModelProto → ir::Graph with onnx.* nodes (NCHW, ONNX semantics).
// Initializers and Constant nodes become constant values; symbolic input dimensions are
// fixed from the options or reported; value_info shapes are kept as hints.
// If/Loop/Scan bodies become closed subgraphs on their node (ir::Node::subgraphs); the
// lowering stage inlines or unrolls them.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "pt2tflite/status.h"

namespace pt2tflite::onnx_import {

struct ImportOptions {
  int64_t batch = 0;  // value for a symbolic leading dimension; 0 = none given
  std::vector<std::pair<std::string, std::vector<int64_t>>> input_shapes;
  std::string model_path;  // for error messages
  std::string base_dir;    // external data is resolved (and confined) here; "" forbids it
};

// Parses and imports a serialized ModelProto.
// Takes the bytes by value: a caller that moves its buffer in has it freed right after parsing.
Result<ir::Graph> import_model(std::string model_bytes, const ImportOptions& options);

// Opsets of the default ONNX domain we accept. Raised to 28 after reviewing, op by op, what
// opsets 24–28 changed for every op we lower (onnx.defs schema history, onnx 1.23):
//   Cast, CastLike, ConstantOfShape, Flatten, Identity, Pad, Reshape, Shape, Size, Squeeze,
//     Transpose, Unsqueeze: only new element types (float8e8m0, int2/uint2, float6), which the
//     importer refuses as types TFLite lacks; Cast's new round_mode applies to float8e8m0 only.
//   Mod (28): the float special cases are now spelled out (fmod=0 is A − floor(A/B)·B with
//     ±inf/0/NaN rules) — what TFLite's FLOOR_MOD computes, up to the sign of a zero.
//   Celu (28): float16 — activations compute float16 in float32 between CASTs.
//   Range (27): stash_type for float16 — the fold computes in double; stash_type=0 is refused.
//   ReduceLogSum(Exp) (28): integer types dropped — nothing to do.
//   Swish (24): new, lowered in unary_math.cc.
// Below 7 only ops whose definition did not change up to opset 7 are accepted, each from the
// opset its definition dates from (lower/min_opset.cc); the others are refused per node.
constexpr int kMinOpset = 1;
constexpr int kMaxOpset = 28;

// The ONNX-ML domain (onnx/defs/traditionalml): its nodes become ops "ai.onnx.ml.<Type>"
// carrying the model's ai.onnx.ml opset (1 to 5 in onnx 1.23). Its tensor attributes are
// imported as lists (see import.cc); a string tensor's "<name>_dtype" is kStringTensorAttr.
inline constexpr const char* kMlDomain = "ai.onnx.ml";
constexpr int kMaxMlOpset = 5;
constexpr int64_t kStringTensorAttr = -1;

}  // namespace pt2tflite::onnx_import
