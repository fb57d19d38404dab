// MaxUnpool (opset 9/11/22): X's values written at their flat positions I (run-time indices,
// as MaxPool's Indices output gives them: positions in the whole output tensor, NCHW
// order) of an otherwise zero output.
//
// One SCATTER_ND of the flattened X at I (int64 → int32 [E, 1]) into zeros of the flattened
// output, then a RESHAPE. The output shape is the constant output_shape input when given
// (the indices then address that tensor, as onnxruntime reads them), else ONNX's inferred
// (in − 1)·stride − pads + kernel per spatial axis. SCATTER_ND sums duplicates; when the
// pooling windows overlap (a stride below the kernel), one input can be the maximum of two
// windows and appear twice with the same value, so the sum is divided by the number of
// writes (SCATTER_ND of ones, at least 1): the value itself. Float32 data.
#include "lower/context.h"
#include "lower/emit_arith.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

Result<Shape> unpool_shape(const Node& n, bool* overlapping) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs X and I");
  const Shape& x = n.inputs[0]->shape;
  NODE_CHECK(n, x.size() >= 3, "X must be [N, C, spatial...], got " + ir::shape_to_string(x));
  NODE_CHECK(n, n.inputs[1]->shape == x, "I must have X's shape");
  const size_t k = x.size() - 2;
  NODE_CHECK(n, n.has("kernel_shape"), "kernel_shape is required");
  const auto kernel = n.get_ints("kernel_shape");
  const auto strides = n.get_ints("strides", std::vector<int64_t>(k, 1));
  const auto pads = n.get_ints("pads", std::vector<int64_t>(2 * k, 0));
  NODE_CHECK(n, kernel.size() == k && strides.size() == k && pads.size() == 2 * k,
             "kernel_shape/strides/pads do not match X's rank");
  Shape out{x[0], x[1]};
  bool overlap = false;
  for (size_t i = 0; i < k; ++i) {
    out.push_back(x[2 + i] < 0 ? -1 : (x[2 + i] - 1) * strides[i] - pads[i] - pads[k + i] + kernel[i]);
    overlap |= strides[i] < kernel[i];
  }
  if (overlapping) *overlapping = overlap;
  if (n.input(2)) {
    PT_ASSIGN_OR_RETURN(std::vector<int64_t> given, const_ints(n, 2, "output_shape"));
    NODE_CHECK(n, given.size() == x.size(), "output_shape must have X's rank");
    return Shape(given.begin(), given.end());
  }
  return out;
}

Status infer_max_unpool(Node& n) {
  PT_ASSIGN_OR_RETURN(Shape out, unpool_shape(n, nullptr));
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

Status lower_max_unpool(LowerContext& ctx, Node& n) {
  bool overlap = false;
  PT_ASSIGN_OR_RETURN(Shape out_shape, unpool_shape(n, &overlap));
  Value* x = n.inputs[0];
  const DType t = x->dtype;
  NODE_UNSUPPORTED_IF(n, !ir::is_static(x->shape) || !ir::is_static(out_shape),
                      "dynamic shapes (fix them with --input-shape)");
  NODE_UNSUPPORTED_IF(n, t != DType::kFloat32,
                      std::string("MaxUnpool of ") + ir::dtype_name(t) + " (only float32 is lowered)");
  const int64_t e = ir::num_elements(x->shape), total = ir::num_elements(out_shape);
  NODE_UNSUPPORTED_IF(n, total > (int64_t{1} << 31) - 1, "an output larger than int32 indices reach");
  Value* idx = ctx.reshape(n, ctx.cast(n, n.inputs[1], DType::kInt32), {e, 1});
  Value* values = ctx.reshape(n, x, {e});
  Value* flat_shape = ctx.const_int32(n, "flat_shape", {total});
  Value* flat = ctx.temp(n, t, {total}, "scattered");
  ctx.emit("tfl.SCATTER_ND", n, {idx, values, flat_shape}, {flat});
  if (overlap) {
    Arith a(ctx, n);
    Value* ones = ctx.const_float(n, "ones", std::vector<float>(static_cast<size_t>(e), 1.0f), {e});
    Value* writes = ctx.temp(n, DType::kFloat32, {total}, "writes");
    ctx.emit("tfl.SCATTER_ND", n, {idx, ones, flat_shape}, {writes});
    flat = a.div(flat, a.bin("tfl.MAXIMUM", writes, a.scalar(1)));
  }
  ctx.reshape(n, flat, out_shape, n.outputs[0]);
  return Status::ok();
}

}  // namespace

void register_max_unpool(Registry& r) { r.add("MaxUnpool", {infer_max_unpool, nullptr, lower_max_unpool}); }

}  // namespace pt2tflite::lower
