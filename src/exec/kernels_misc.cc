// SOFTMAX and LOG_SOFTMAX (last axis), RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR (NHWC,
// align_corners / half_pixel_centers exactly as TFLite's reference kernels: bilinear reads
// the unclamped source coordinate with clamped neighbours; nearest rounds with align_corners,
// floors otherwise), ARG_MAX / ARG_MIN (first of equal values), QUANTIZE / DEQUANTIZE
// (the tensors' quantization; FLOAT16 dequantizes too).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "exec/kernel_util.h"
#include "ir/half.h"

namespace pt2tflite::exec {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;

template <bool kLog>
Status softmax(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "input"));
  const Tensor& x = *io.in[0];
  Tensor& y = *io.out[0];
  PT_RETURN_IF_ERROR(need_float(x, "input"));
  if (x.shape.empty() || y.size() != x.size()) return invalid_model("input must have rank >= 1");
  const float beta = kLog ? 1.0f : static_cast<float>(n.get_float("beta", 1.0));
  const int64_t depth = x.shape.back();
  const int64_t rows = depth == 0 ? 0 : x.size() / depth;
  const float* in = x.data<float>();
  float* out = y.data<float>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = in + r * depth;
    float* yr = out + r * depth;
    float mx = std::numeric_limits<float>::lowest();
    for (int64_t i = 0; i < depth; ++i) mx = std::max(mx, xr[i]);
    double sum = 0;
    for (int64_t i = 0; i < depth; ++i) {
      const float e = std::exp((xr[i] - mx) * beta);
      if (!kLog) yr[i] = e;
      sum += e;
    }
    if (kLog) {
      const float log_sum = static_cast<float>(std::log(sum));
      for (int64_t i = 0; i < depth; ++i) yr[i] = (xr[i] - mx) - log_sum;
    } else {
      const float inv = static_cast<float>(1.0 / sum);
      for (int64_t i = 0; i < depth; ++i) yr[i] *= inv;
    }
  }
  return Status::ok();
}

struct ResizeGeometry {
  int64_t batch, in_h, in_w, depth, out_h, out_w;
  bool align_corners, half_pixel_centers;
};

Status resize_geometry(const Node& n, const KernelIO& io, ResizeGeometry* g) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "input"));
  PT_RETURN_IF_ERROR(need_input(io, 1, "size"));
  const Tensor& x = *io.in[0];
  const Tensor& y = *io.out[0];
  PT_RETURN_IF_ERROR(need_float(x, "input"));
  const std::vector<int64_t> size = ints(*io.in[1]);
  if (x.shape.size() != 4 || size.size() != 2) return invalid_model("input must be 4-D and size hold 2 values");
  *g = {x.shape[0], x.shape[1], x.shape[2], x.shape[3], size[0], size[1],
        n.get_int("align_corners", 0) != 0, n.get_int("half_pixel_centers", 0) != 0};
  if (y.shape != Shape{g->batch, g->out_h, g->out_w, g->depth})
    return internal_error("output shape " + ir::shape_to_string(y.shape) + " does not match the size input");
  if (g->align_corners && g->half_pixel_centers)
    return invalid_model("align_corners and half_pixel_centers cannot both be set");
  return Status::ok();
}

// The float scale TFLite uses: in/out, or (in-1)/(out-1) with align_corners and out > 1.
float resize_scale(int64_t in, int64_t out, bool align_corners) {
  if (align_corners && out > 1) return static_cast<float>(in - 1) / static_cast<float>(out - 1);
  return static_cast<float>(in) / static_cast<float>(out);
}

Status resize_bilinear(const Node& n, KernelIO& io) {
  ResizeGeometry g;
  PT_RETURN_IF_ERROR(resize_geometry(n, io, &g));
  const float sy = resize_scale(g.in_h, g.out_h, g.align_corners);
  const float sx = resize_scale(g.in_w, g.out_w, g.align_corners);
  // Source coordinate and neighbours per output column, as ComputeInterpolationValues.
  struct Tap {
    float pos;
    int64_t lo, hi;
  };
  auto tap = [&](int64_t v, float scale, int64_t in_size) {
    const float pos = g.half_pixel_centers ? (static_cast<float>(v) + 0.5f) * scale - 0.5f : static_cast<float>(v) * scale;
    const float fl = std::floor(pos);
    return Tap{pos, std::max<int64_t>(static_cast<int64_t>(fl), 0),
               std::min<int64_t>(static_cast<int64_t>(std::ceil(pos)), in_size - 1)};
  };
  std::vector<Tap> cols;
  for (int64_t x = 0; x < g.out_w; ++x) cols.push_back(tap(x, sx, g.in_w));
  const float* in = io.in[0]->data<float>();
  float* out = io.out[0]->data<float>();
  const int64_t C = g.depth;
  for (int64_t b = 0; b < g.batch; ++b)
    for (int64_t y = 0; y < g.out_h; ++y) {
      const Tap ty = tap(y, sy, g.in_h);
      const float dy = ty.pos - static_cast<float>(ty.lo);
      const float* row0 = in + (b * g.in_h + ty.lo) * g.in_w * C;
      const float* row1 = in + (b * g.in_h + ty.hi) * g.in_w * C;
      for (int64_t x = 0; x < g.out_w; ++x) {
        const Tap& tx = cols[x];
        const float dx = tx.pos - static_cast<float>(tx.lo);
        const float* p00 = row0 + tx.lo * C;
        const float* p01 = row0 + tx.hi * C;
        const float* p10 = row1 + tx.lo * C;
        const float* p11 = row1 + tx.hi * C;
        float* dst = out + ((b * g.out_h + y) * g.out_w + x) * C;
        for (int64_t c = 0; c < C; ++c)
          dst[c] = p00[c] * (1 - dy) * (1 - dx) + p10[c] * dy * (1 - dx) + p01[c] * (1 - dy) * dx + p11[c] * dy * dx;
      }
    }
  return Status::ok();
}

int64_t nearest_source(int64_t v, int64_t in_size, int64_t out_size, bool align_corners, bool half_pixel_centers) {
  const float scale = resize_scale(in_size, out_size, align_corners);
  const float offset = half_pixel_centers ? 0.5f : 0.0f;
  const float pos = (static_cast<float>(v) + offset) * scale;
  int64_t s = align_corners ? static_cast<int64_t>(std::round(pos)) : static_cast<int64_t>(std::floor(pos));
  s = std::min(s, in_size - 1);
  if (half_pixel_centers) s = std::max<int64_t>(s, 0);
  return s;
}

Status resize_nearest_neighbor(const Node& n, KernelIO& io) {
  ResizeGeometry g;
  PT_RETURN_IF_ERROR(resize_geometry(n, io, &g));
  const float* in = io.in[0]->data<float>();
  float* out = io.out[0]->data<float>();
  const int64_t C = g.depth;
  std::vector<int64_t> cols;
  for (int64_t x = 0; x < g.out_w; ++x)
    cols.push_back(nearest_source(x, g.in_w, g.out_w, g.align_corners, g.half_pixel_centers));
  for (int64_t b = 0; b < g.batch; ++b)
    for (int64_t y = 0; y < g.out_h; ++y) {
      const int64_t sy = nearest_source(y, g.in_h, g.out_h, g.align_corners, g.half_pixel_centers);
      for (int64_t x = 0; x < g.out_w; ++x)
        std::memcpy(out + ((b * g.out_h + y) * g.out_w + x) * C, in + ((b * g.in_h + sy) * g.in_w + cols[x]) * C,
                    sizeof(float) * C);
    }
  return Status::ok();
}

template <bool kMax>
Status arg_extreme(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "input"));
  PT_RETURN_IF_ERROR(need_input(io, 1, "axis"));
  const Tensor& x = *io.in[0];
  Tensor& y = *io.out[0];
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = normalize_axis(ints(*io.in[1]).at(0), rank);
  if (axis < 0) return invalid_model("axis out of range");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.shape[d];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x.shape[d];
  const int64_t extent = x.shape[axis];
  if (outer * inner != y.size()) return internal_error("output shape does not match");
  if (y.dtype != DType::kInt32 && y.dtype != DType::kInt64) return unsupported("ARG_MAX/ARG_MIN output must be int32 or int64");
  Status s = Status::ok();
  const bool known = dispatch_arith(x.dtype, [&](auto zero) {
    using T = decltype(zero);
    const T* px = x.data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t best = 0;
        for (int64_t k = 1; k < extent; ++k) {
          const T v = px[(o * extent + k) * inner + i], b = px[(o * extent + best) * inner + i];
          if (kMax ? v > b : v < b) best = k;
        }
        if (y.dtype == DType::kInt32) y.data<int32_t>()[o * inner + i] = static_cast<int32_t>(best);
        else y.data<int64_t>()[o * inner + i] = best;
      }
  });
  if (!known) return unsupported(std::string("dtype ") + ir::dtype_name(x.dtype));
  return s;
}

// Scale and zero point for element i of a tensor of `shape` quantized as q.
struct QuantParams {
  const ir::Quantization* q;
  int64_t inner = 1, channels = 1;  // per-channel: index → channel (i / inner) % channels
  double scale(int64_t i) const { return q->scale.size() == 1 ? q->scale[0] : q->scale[(i / inner) % channels]; }
  int64_t zero(int64_t i) const {
    if (q->zero_point.empty()) return 0;
    return q->zero_point.size() == 1 ? q->zero_point[0] : q->zero_point[(i / inner) % channels];
  }
};

Result<QuantParams> quant_params(const ir::Value* v, const Shape& shape) {
  if (!v || !v->quant || v->quant->scale.empty()) return invalid_model("the quantized tensor has no quantization parameters");
  QuantParams p{&*v->quant};
  if (v->quant->scale.size() > 1) {
    const int64_t axis = v->quant->axis;
    if (axis < 0 || axis >= static_cast<int64_t>(shape.size()) ||
        shape[axis] != static_cast<int64_t>(v->quant->scale.size()))
      return invalid_model("per-channel scales do not match the quantized dimension");
    p.channels = shape[axis];
    for (size_t d = axis + 1; d < shape.size(); ++d) p.inner *= shape[d];
  }
  return p;
}

Status dequantize(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "input"));
  const Tensor& x = *io.in[0];
  Tensor& y = *io.out[0];
  if (y.dtype != DType::kFloat32 || y.size() != x.size()) return invalid_model("output must be float32 of the input's shape");
  float* out = y.data<float>();
  if (x.dtype == DType::kFloat16) {
    for (int64_t i = 0; i < x.size(); ++i) out[i] = ir::half_to_float(x.data<uint16_t>()[i]);
    return Status::ok();
  }
  if (x.dtype == DType::kFloat32) {  // planned but not applied yet: quant/ simulates it
    std::copy(x.data<float>(), x.data<float>() + x.size(), out);
    return Status::ok();
  }
  PT_ASSIGN_OR_RETURN(const QuantParams p, quant_params(n.inputs[0], x.shape));
  auto run = [&](auto zero) {
    using T = decltype(zero);
    const T* q = x.data<T>();
    for (int64_t i = 0; i < x.size(); ++i)
      out[i] = static_cast<float>(p.scale(i) * static_cast<double>(static_cast<int64_t>(q[i]) - p.zero(i)));
  };
  switch (x.dtype) {
    case DType::kInt8: run(int8_t{}); break;
    case DType::kUInt8: run(uint8_t{}); break;
    case DType::kInt16: run(int16_t{}); break;
    case DType::kInt32: run(int32_t{}); break;
    default: return unsupported(std::string("DEQUANTIZE of ") + ir::dtype_name(x.dtype));
  }
  return Status::ok();
}

// q = clamp(round_half_away(x / scale) + zero_point) as TFLite's AffineQuantize.
Status quantize(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "input"));
  const Tensor& x = *io.in[0];
  Tensor& y = *io.out[0];
  PT_RETURN_IF_ERROR(need_float(x, "input"));
  if (y.size() != x.size()) return invalid_model("output must have the input's shape");
  if (y.dtype == DType::kFloat32) {  // planned but not applied yet: quant/ simulates it
    y.bytes = x.bytes;
    return Status::ok();
  }
  PT_ASSIGN_OR_RETURN(const QuantParams p, quant_params(n.outputs[0], y.shape));
  const float* in = x.data<float>();
  auto run = [&](auto zero) {
    using T = decltype(zero);
    T* q = y.data<T>();
    for (int64_t i = 0; i < x.size(); ++i) {
      const int64_t v = static_cast<int64_t>(std::round(in[i] / static_cast<float>(p.scale(i)))) + p.zero(i);
      q[i] = static_cast<T>(std::clamp<int64_t>(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
    }
  };
  switch (y.dtype) {
    case DType::kInt8: run(int8_t{}); break;
    case DType::kUInt8: run(uint8_t{}); break;
    case DType::kInt16: run(int16_t{}); break;
    default: return unsupported(std::string("QUANTIZE to ") + ir::dtype_name(y.dtype));
  }
  return Status::ok();
}

}  // namespace

void register_misc_kernels(KernelTable& t) {
  t.add("tfl.SOFTMAX", softmax<false>);
  t.add("tfl.LOG_SOFTMAX", softmax<true>);
  t.add("tfl.RESIZE_BILINEAR", resize_bilinear);
  t.add("tfl.RESIZE_NEAREST_NEIGHBOR", resize_nearest_neighbor);
  t.add("tfl.ARG_MAX", arg_extreme<true>);
  t.add("tfl.ARG_MIN", arg_extreme<false>);
  t.add("tfl.DEQUANTIZE", dequantize);
  t.add("tfl.QUANTIZE", quantize);
}

}  // namespace pt2tflite::exec
