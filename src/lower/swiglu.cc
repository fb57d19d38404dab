// SwiGLU (opset 28): Y = A · σ(alpha · A) · B for same-shape A (gate) and B (value):
// LOGISTIC and two MULs (one more MUL when alpha ≠ 1), float32 inside (float16 between
// CASTs), the product order of the ONNX reference ((A·σ)·B).
#include "lower/context.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Value;

Status infer_swiglu(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs A and B");
  NODE_CHECK(n, n.inputs[0]->shape == n.inputs[1]->shape, "A and B must have the same shape (no broadcasting)");
  NODE_CHECK(n, n.inputs[0]->dtype == n.inputs[1]->dtype && ir::is_float(n.inputs[0]->dtype),
             "A and B must have the same float type");
  set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
  return Status::ok();
}

Status lower_swiglu(LowerContext& ctx, Node& n) {
  Value* out = n.outputs[0];
  NODE_UNSUPPORTED_IF(n, out->dtype != DType::kFloat32 && out->dtype != DType::kFloat16,
                      std::string("TFLite has no kernels for ") + ir::dtype_name(out->dtype) + " here");
  Value* a = ctx.cast(n, n.inputs[0], DType::kFloat32);
  Value* b = ctx.cast(n, n.inputs[1], DType::kFloat32);
  auto emit = [&](const std::string& op, std::vector<Value*> in, Value* y = nullptr) {
    if (!y) y = ctx.temp(n, DType::kFloat32, a->shape, op.substr(4));
    ctx.emit(op, n, std::move(in), {y});
    return y;
  };
  const double alpha = n.get_float("alpha", 1.0);
  Value* gate_in = alpha == 1.0 ? a : emit("tfl.MUL", {a, ctx.const_float(n, "alpha", {static_cast<float>(alpha)}, {})});
  Value* swish = emit("tfl.MUL", {a, emit("tfl.LOGISTIC", {gate_in})});
  if (out->dtype == DType::kFloat32) {
    emit("tfl.MUL", {swish, b}, out);
  } else {
    ctx.cast(n, emit("tfl.MUL", {swish, b}), out->dtype, out);
  }
  return Status::ok();
}

}  // namespace

void register_swiglu(Registry& r) { r.add("SwiGLU", {infer_swiglu, nullptr, lower_swiglu}); }

}  // namespace pt2tflite::lower
