// Building blocks for lowerings whose integer parameters (axes, starts, pads, sizes …) are
// values computed at run time: each call emits tfl.* nodes that turn such a value into the
// tensor argument a TFLite op reads at run time (STRIDED_SLICE's begin, PAD's paddings,
// RESHAPE's shape …). Constants stay constants: a constant input is converted, not computed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lower/context.h"

namespace pt2tflite::lower {

class RuntimeParams {
 public:
  RuntimeParams(LowerContext& ctx, const ir::Node& n) : ctx_(ctx), n_(n) {}

  // v as a tensor of `dtype` (a converted constant, or a CAST).
  ir::Value* as(ir::Value* v, ir::DType dtype);
  // A constant of `dtype` holding `values`: 1-D, or with `shape` ({} is 0-d).
  ir::Value* ints(ir::DType dtype, const std::vector<int64_t>& values) {
    return ints(dtype, values, ir::Shape{static_cast<int64_t>(values.size())});
  }
  ir::Value* ints(ir::DType dtype, const std::vector<int64_t>& values, ir::Shape shape);
  ir::Value* scalar(ir::DType dtype, int64_t v) { return ints(dtype, {v}, ir::Shape{}); }

  // One-op emitters; the output shape is the broadcast of the inputs' (bin) or given.
  ir::Value* bin(const std::string& op, ir::Value* a, ir::Value* b);
  ir::Value* cmp(const std::string& op, ir::Value* a, ir::Value* b);  // → bool
  ir::Value* select(ir::Value* cond, ir::Value* a, ir::Value* b);
  ir::Value* cast(ir::Value* v, ir::DType dtype);
  ir::Value* reshape(ir::Value* v, const ir::Shape& shape);
  // SUM / REDUCE_ANY over one axis, dropping it.
  ir::Value* reduce(const std::string& op, ir::Value* v, int64_t axis);
  // GATHER along axis 0 with constant indices.
  ir::Value* pick(ir::Value* v, const std::vector<int64_t>& indices);
  // A 0-d scalar: element i of a 1-D tensor.
  ir::Value* element(ir::Value* v, int64_t i);
  ir::Value* concat(const std::vector<ir::Value*>& parts, int64_t axis = 0);

  // Run-time axes (1-D, any int dtype) for a tensor of `rank`, negative ones counted from
  // the end: int32 in [0, rank).
  ir::Value* axes(ir::Value* axes, int64_t rank);
  // hit[k][i] = (axes[k] == i) for i < rank: [k, rank] bool.
  ir::Value* axis_hits(ir::Value* axes_norm, int64_t rank);
  // A per-axis vector of length rank (dtype of `values`): values[k] at axes[k], `fallback[i]`
  // (a tensor of shape [rank]) elsewhere.
  ir::Value* scatter(ir::Value* axes_norm, ir::Value* values, ir::Value* fallback, int64_t rank);

 private:
  LowerContext& ctx_;
  const ir::Node& n_;
};

}  // namespace pt2tflite::lower
