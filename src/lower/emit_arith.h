// Arithmetic emitters for composite lowerings (grid_sample.cc, det.cc, …): each call adds one
// tfl.* node whose output shape is the broadcast of its inputs' shapes and returns the output.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lower/context.h"

namespace pt2tflite::lower {

class Arith {
 public:
  Arith(LowerContext& ctx, const ir::Node& n) : ctx_(ctx), n_(n) {}

  // Binary op ("tfl.ADD"); the result has a's dtype unless `dtype` is given (comparisons: kBool).
  ir::Value* bin(const std::string& op, ir::Value* a, ir::Value* b, std::optional<ir::DType> dtype = std::nullopt) {
    ir::Shape s;
    ir::broadcast_shapes(a->shape, b->shape, &s);
    ir::Value* y = ctx_.temp(n_, dtype.value_or(a->dtype), s, op.substr(4));
    ctx_.emit(op, n_, {a, b}, {y});
    return y;
  }
  ir::Value* un(const std::string& op, ir::Value* a) {
    ir::Value* y = ctx_.temp(n_, a->dtype, a->shape, op.substr(4));
    ctx_.emit(op, n_, {a}, {y});
    return y;
  }
  ir::Value* add(ir::Value* a, ir::Value* b) { return bin("tfl.ADD", a, b); }
  ir::Value* sub(ir::Value* a, ir::Value* b) { return bin("tfl.SUB", a, b); }
  ir::Value* mul(ir::Value* a, ir::Value* b) { return bin("tfl.MUL", a, b); }
  ir::Value* div(ir::Value* a, ir::Value* b) { return bin("tfl.DIV", a, b); }
  ir::Value* add(ir::Value* a, double c) { return add(a, scalar(a->dtype, c)); }
  ir::Value* mul(ir::Value* a, double c) { return mul(a, scalar(a->dtype, c)); }
  // min(max(a, lo), hi)
  ir::Value* clamp(ir::Value* a, double lo, double hi) {
    return bin("tfl.MINIMUM", bin("tfl.MAXIMUM", a, scalar(a->dtype, lo)), scalar(a->dtype, hi));
  }
  ir::Value* select(ir::Value* cond, ir::Value* a, ir::Value* b) {
    ir::Shape s, s2;
    ir::broadcast_shapes(a->shape, b->shape, &s);
    ir::broadcast_shapes(cond->shape, s, &s2);
    ir::Value* y = ctx_.temp(n_, a->dtype, s2, "select");
    ctx_.emit("tfl.SELECT_V2", n_, {cond, a, b}, {y});
    return y;
  }
  // A scalar constant of `dtype` (float32 by default).
  ir::Value* scalar(ir::DType dtype, double v) {
    return ctx_.constant(n_, "c", ir::Tensor::from_doubles(dtype, {}, {v}));
  }
  ir::Value* scalar(double v) { return scalar(ir::DType::kFloat32, v); }
  // A one-element bool [1]: the run-time axis `a` names axis k of a rank-r tensor (k or k − r).
  ir::Value* axis_is(ir::Value* a, int64_t k, int64_t r) {
    ir::Value* a1 = ctx_.reshape(n_, a, {1});
    auto eq = [&](int64_t v) {
      return bin("tfl.EQUAL", a1, ctx_.constant(n_, "axis_k", ir::Tensor::from_int64s(a->dtype, {1}, {v})),
                 ir::DType::kBool);
    };
    return bin("tfl.LOGICAL_OR", eq(k), eq(k - r));
  }

 private:
  LowerContext& ctx_;
  const ir::Node& n_;
};

}  // namespace pt2tflite::lower
