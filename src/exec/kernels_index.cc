// Index/selection kernels: TOPK_V2 (last axis; larger first, the lower index first among
// equals, as TFLite's TopContainer orders), CUMSUM (exclusive / reverse), ONE_HOT (indices
// outside [0, depth) give an all-off row), SCATTER_ND (into zeros, duplicates summed).
#include <algorithm>
#include <cstring>
#include <numeric>

#include "exec/kernel_util.h"

namespace pt2tflite::exec {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;

std::string dtype_error(const char* op, DType t) { return std::string(op) + " has no " + ir::dtype_name(t) + " kernel"; }

// TOPK_V2(input, k) → values, indices (int32), along the last axis.
Status topk_v2(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "input"));
  PT_RETURN_IF_ERROR(need_input(io, 1, "k"));
  const Tensor& x = *io.in[0];
  if (x.shape.empty()) return invalid_model("input must have rank >= 1");
  const int64_t row = x.shape.back(), k = ints(*io.in[1]).at(0);
  if (k < 0 || k > row) return invalid_model("k out of range");
  if (io.out.size() != 2 || io.out[1]->dtype != DType::kInt32) return invalid_model("needs values and int32 indices");
  Tensor& values = *io.out[0];
  int32_t* indices = io.out[1]->data<int32_t>();
  const int64_t rows = row ? x.size() / row : 0;
  if (values.dtype != x.dtype || values.size() != rows * k) return internal_error("output shape does not match");
  const bool known = dispatch_arith(x.dtype, [&](auto zero) {
    using T = decltype(zero);
    const T* in = x.data<T>();
    T* out = values.data<T>();
    std::vector<int32_t> order(static_cast<size_t>(row));
    for (int64_t r = 0; r < rows; ++r) {
      const T* v = in + r * row;
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return v[a] > v[b]; });
      for (int64_t j = 0; j < k; ++j) {
        out[r * k + j] = v[order[j]];
        indices[r * k + j] = order[j];
      }
    }
  });
  if (!known) return unsupported(dtype_error("TOPK_V2", x.dtype));
  return Status::ok();
}

// CUMSUM(input, axis): running sums along axis; exclusive starts from 0, reverse from the end.
Status cumsum(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "input"));
  PT_RETURN_IF_ERROR(need_input(io, 1, "axis"));
  const Tensor& x = *io.in[0];
  Tensor& y = *io.out[0];
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = normalize_axis(ints(*io.in[1]).at(0), rank);
  if (axis < 0) return invalid_model("axis out of range");
  if (y.dtype != x.dtype || y.shape != x.shape) return internal_error("output does not match the input");
  const bool exclusive = n.get_int("exclusive", 0) != 0, reverse = n.get_int("reverse", 0) != 0;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.shape[d];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x.shape[d];
  const int64_t extent = x.shape[axis];
  const bool known = dispatch_arith(x.dtype, [&](auto zero) {
    using T = decltype(zero);
    const T* in = x.data<T>();
    T* out = y.data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        T acc = 0;
        for (int64_t s = 0; s < extent; ++s) {
          const int64_t at = (o * extent + (reverse ? extent - 1 - s : s)) * inner + i;
          if (exclusive) out[at] = acc;
          acc += in[at];
          if (!exclusive) out[at] = acc;
        }
      }
  });
  if (!known) return unsupported(dtype_error("CUMSUM", x.dtype));
  return Status::ok();
}

// ONE_HOT(indices, depth, on, off), axis attribute (-1: last).
Status one_hot(const Node& n, KernelIO& io) {
  for (size_t i = 0; i < 4; ++i) PT_RETURN_IF_ERROR(need_input(io, i, "operand"));
  const std::vector<int64_t> idx = ints(*io.in[0]);
  const int64_t depth = ints(*io.in[1]).at(0);
  Tensor& y = *io.out[0];
  const int64_t rank = static_cast<int64_t>(y.shape.size());
  int64_t axis = n.get_int("axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank || y.shape[axis] != depth) return invalid_model("axis or depth does not match the output");
  if (io.in[2]->dtype != y.dtype || io.in[3]->dtype != y.dtype)
    return invalid_model("on/off values differ from the output type");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= y.shape[d];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= y.shape[d];
  if (outer * inner != static_cast<int64_t>(idx.size())) return internal_error("output shape does not match the indices");
  const size_t elem = ir::dtype_size(y.dtype);
  const uint8_t* on = io.in[2]->bytes.data();
  const uint8_t* off = io.in[3]->bytes.data();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t d = 0; d < depth; ++d)
      for (int64_t i = 0; i < inner; ++i)
        std::memcpy(y.bytes.data() + ((o * depth + d) * inner + i) * elem, idx[o * inner + i] == d ? on : off, elem);
  return Status::ok();
}

// SCATTER_ND(indices [..., k] int32, updates, shape): zeros of `shape` plus every update slice
// added at its coordinates.
Status scatter_nd(const Node& n, KernelIO& io) {
  for (size_t i = 0; i < 3; ++i) PT_RETURN_IF_ERROR(need_input(io, i, "operand"));
  const Tensor& upd = *io.in[1];
  Tensor& y = *io.out[0];
  if (io.in[0]->dtype != DType::kInt32) return unsupported("SCATTER_ND indices must be int32");
  if (y.dtype != upd.dtype) return invalid_model("updates and output differ in type");
  const Shape& is = io.in[0]->shape;
  if (is.empty()) return invalid_model("indices must have rank >= 1");
  const int64_t k = is.back();
  if (k > static_cast<int64_t>(y.shape.size())) return invalid_model("index depth exceeds the output rank");
  const std::vector<int64_t> idx = ints(*io.in[0]);
  const std::vector<int64_t> st = strides_of(y.shape);
  int64_t inner = 1;
  for (size_t d = k; d < y.shape.size(); ++d) inner *= y.shape[d];
  const int64_t count = k ? static_cast<int64_t>(idx.size()) / k : 0;
  if (count * inner != upd.size()) return invalid_model("updates do not match indices and shape");
  Status s = Status::ok();
  const bool known = dispatch_arith(y.dtype, [&](auto zero) {
    using T = decltype(zero);
    const T* u = upd.data<T>();
    T* out = y.data<T>();
    std::fill_n(out, y.size(), T{0});
    for (int64_t e = 0; e < count && s.is_ok(); ++e) {
      int64_t off = 0;
      for (int64_t d = 0; d < k; ++d) {
        const int64_t c = idx[e * k + d];
        if (c < 0 || c >= y.shape[d]) {
          s = invalid_argument("index " + std::to_string(c) + " is out of range");
          break;
        }
        off += c * st[d];
      }
      if (s.is_ok())
        for (int64_t j = 0; j < inner; ++j) out[off + j] += u[e * inner + j];
    }
  });
  if (!known) return unsupported(dtype_error("SCATTER_ND", y.dtype));
  return s;
}

}  // namespace

void register_index_kernels(KernelTable& t) {
  t.add("tfl.TOPK_V2", topk_v2);
  t.add("tfl.CUMSUM", cumsum);
  t.add("tfl.ONE_HOT", one_hot);
  t.add("tfl.SCATTER_ND", scatter_nd);
}

}  // namespace pt2tflite::exec
