// Kernels for the math/vision op breadth: ATAN2 (operands of one shape, as TFLite's kernel
// requires: it does not broadcast), LOCAL_RESPONSE_NORMALIZATION (NHWC, over the last axis:
// y = x / (bias + alpha·Σ x²)^beta, the sum over channels [c − radius, c + radius] clipped
// to the tensor), BITWISE_XOR and RIGHT_SHIFT (integer; RIGHT_SHIFT is arithmetic for
// signed types, the shift amount clamped to the type's width − 1 as TFLite does).
#include <cmath>
#include <type_traits>

#include "exec/kernel_util.h"

namespace pt2tflite::exec {

namespace {

using ir::DType;
using ir::Node;
using ir::Tensor;

Status atan2_kernel(const Node&, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "y"));
  PT_RETURN_IF_ERROR(need_input(io, 1, "x"));
  PT_RETURN_IF_ERROR(need_float(*io.in[0], "y"));
  PT_RETURN_IF_ERROR(need_float(*io.in[1], "x"));
  EXEC_UNSUPPORTED_IF(io.in[0]->shape != io.in[1]->shape, "ATAN2 operands must have one shape (no broadcasting)");
  const float* y = io.in[0]->data<float>();
  const float* x = io.in[1]->data<float>();
  float* out = io.out[0]->data<float>();
  for (int64_t i = 0; i < io.in[0]->size(); ++i) out[i] = std::atan2(y[i], x[i]);
  return Status::ok();
}

Status local_response_norm(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "input"));
  PT_RETURN_IF_ERROR(need_float(*io.in[0], "input"));
  const Tensor& x = *io.in[0];
  EXEC_UNSUPPORTED_IF(x.shape.size() != 4, "LOCAL_RESPONSE_NORMALIZATION needs a 4-D input");
  const int64_t radius = n.get_int("radius", 0);
  const float bias = static_cast<float>(n.get_float("bias", 0));
  const float alpha = static_cast<float>(n.get_float("alpha", 0));
  const float beta = static_cast<float>(n.get_float("beta", 0));
  const int64_t depth = x.shape[3];
  const float* px = x.data<float>();
  float* py = io.out[0]->data<float>();
  for (int64_t base = 0; base < x.size(); base += depth) {
    for (int64_t c = 0; c < depth; ++c) {
      float sum = 0;
      for (int64_t k = std::max<int64_t>(0, c - radius); k <= std::min(depth - 1, c + radius); ++k)
        sum += px[base + k] * px[base + k];
      py[base + c] = px[base + c] / std::pow(bias + alpha * sum, beta);
    }
  }
  return Status::ok();
}

// An integer binary op with broadcasting over int8/uint8/int16/int32.
template <typename Op>
Status integer_binary(const Node&, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "x"));
  PT_RETURN_IF_ERROR(need_input(io, 1, "y"));
  const Tensor& a = *io.in[0];
  const Tensor& b = *io.in[1];
  Tensor& out = *io.out[0];
  EXEC_CHECK(a.dtype == b.dtype && a.dtype == out.dtype, "operand dtypes differ");
  Broadcast p;
  if (!plan_broadcast({&a.shape, &b.shape}, out.shape, &p))
    return invalid_model("operands do not broadcast to " + ir::shape_to_string(out.shape));
  auto run = [&](auto zero) {
    using T = decltype(zero);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    for_each_run<2>(p, [&](int64_t o, const int64_t* offs, int64_t count, const int64_t* steps) {
      for (int64_t i = 0; i < count; ++i) po[o + i] = Op::apply(pa[offs[0] + i * steps[0]], pb[offs[1] + i * steps[1]]);
    });
  };
  switch (a.dtype) {
    case DType::kInt8: run(int8_t{}); break;
    case DType::kUInt8: run(uint8_t{}); break;
    case DType::kInt16: run(int16_t{}); break;
    case DType::kInt32: run(int32_t{}); break;
    default: return unsupported(std::string("dtype ") + ir::dtype_name(a.dtype));
  }
  return Status::ok();
}

struct XorOp {
  template <class T> static T apply(T x, T y) { return static_cast<T>(x ^ y); }
};
struct RightShiftOp {
  template <class T> static T apply(T x, T y) {
    constexpr int kMax = static_cast<int>(sizeof(T) * 8) - 1;
    const int s = y < 0 ? 0 : y > kMax ? kMax : static_cast<int>(y);
    return static_cast<T>(x >> s);
  }
};

}  // namespace

void register_math_kernels(KernelTable& t) {
  t.add("tfl.ATAN2", atan2_kernel);
  t.add("tfl.LOCAL_RESPONSE_NORMALIZATION", local_response_norm);
  t.add("tfl.BITWISE_XOR", integer_binary<XorOp>);
  t.add("tfl.RIGHT_SHIFT", integer_binary<RightShiftOp>);
}

}  // namespace pt2tflite::exec
