#include "tflite/quantized_versions.h"

#include <map>
#include <string>

namespace pt2tflite::tflite_writer {

namespace {

using ir::DType;

struct Versions {
  int int8 = 0;    // int8 activations
  int int16 = 0;   // int16 activations (16x8)
  int hybrid = 0;  // float activations, int8 constant weights
  int hybrid_per_channel = 0;
};

const std::map<std::string, Versions>& table() {
  static const std::map<std::string, Versions> t = [] {
    std::map<std::string, Versions> m;
    m["tfl.CONV_2D"] = {3, 1, 2, 5};
    m["tfl.DEPTHWISE_CONV_2D"] = {3, 1, 4, 6};
    m["tfl.TRANSPOSE_CONV"] = {2, 2, 2, 2};
    m["tfl.FULLY_CONNECTED"] = {4, 1, 3, 12};
    m["tfl.BATCH_MATMUL"] = {2, 3, 1, 1};
    m["tfl.ADD"] = {2, 3};  // 16x8 with pot_scale_int16 = false (op_table.cc writes it so)
    m["tfl.SUB"] = {2, 5};
    m["tfl.MUL"] = {2, 4};
    m["tfl.MAXIMUM"] = m["tfl.MINIMUM"] = {2, 4};
    m["tfl.TRANSPOSE"] = {2, 5};
    m["tfl.GATHER"] = {2, 4};
    m["tfl.SLICE"] = m["tfl.SPLIT"] = {2, 4};
    m["tfl.RESIZE_BILINEAR"] = m["tfl.RESIZE_NEAREST_NEIGHBOR"] = {2, 4};
    m["tfl.EQUAL"] = {2, 5};
    m["tfl.NOT_EQUAL"] = {2, 4};
    m["tfl.LEAKY_RELU"] = {1, 2};
    m["tfl.BROADCAST_TO"] = {3, 3};
    m["tfl.TILE"] = {3, 1};
    m["tfl.EXP"] = m["tfl.LOG"] = {2, 2};
    for (const char* op : {"tfl.CONCATENATION", "tfl.SOFTMAX", "tfl.MEAN", "tfl.REDUCE_MAX", "tfl.REDUCE_MIN", "tfl.PAD",
                           "tfl.PADV2", "tfl.MIRROR_PAD", "tfl.RELU", "tfl.RELU6", "tfl.LOGISTIC", "tfl.TANH", "tfl.RSQRT",
                           "tfl.ABS", "tfl.AVERAGE_POOL_2D", "tfl.MAX_POOL_2D", "tfl.PACK", "tfl.LESS", "tfl.GREATER_EQUAL"})
      m[op] = {2, 3};
    for (const char* op : {"tfl.SQUARED_DIFFERENCE", "tfl.LOG_SOFTMAX", "tfl.SUM", "tfl.STRIDED_SLICE", "tfl.SPLIT_V",
                           "tfl.GELU", "tfl.SQRT", "tfl.DEPTH_TO_SPACE", "tfl.SPACE_TO_DEPTH", "tfl.ARG_MAX", "tfl.ARG_MIN",
                           "tfl.LESS_EQUAL", "tfl.GREATER"})
      m[op] = {2, 1};
    return m;
  }();
  return t;
}

bool per_channel(const ir::Value* v, int axis) {
  return v && v->quant && v->quant->scale.size() > 1 && axis < static_cast<int>(v->shape.size()) &&
         static_cast<int64_t>(v->quant->scale.size()) == v->shape[axis];
}

// The input whose type selects the kernel.
const ir::Value* data_input(const ir::Node& n) {
  if (n.op == "tfl.SPLIT") return n.input(1);
  if (n.op == "tfl.TRANSPOSE_CONV") return n.input(2);
  return n.input(0);
}

}  // namespace

int quantized_version(const ir::Node& n) {
  if (n.op == "tfl.QUANTIZE") {  // keyed on the output
    const ir::Value* out = n.outputs[0];
    if (per_channel(out, out->quant ? out->quant->axis : 0)) return 3;
    return out->dtype == DType::kInt16 ? 2 : 1;
  }
  if (n.op == "tfl.DEQUANTIZE") {  // keyed on the input
    const ir::Value* in = n.input(0);
    if (!in) return 0;
    if (in->dtype == DType::kInt16 || in->dtype == DType::kFloat16) return 3;
    if (in->dtype == DType::kInt8) return per_channel(in, in->quant ? in->quant->axis : 0) ? 5 : 2;
    return 1;
  }
  auto it = table().find(n.op);
  const ir::Value* in = data_input(n);
  if (it == table().end() || !in) return 0;
  const Versions& v = it->second;
  if (in->dtype == DType::kInt8) return v.int8;
  if (in->dtype == DType::kInt16) return v.int16;
  const ir::Value* w = n.input(1);
  if (in->dtype == DType::kFloat32 && w && w->is_const() && w->dtype == DType::kInt8) {
    const int axis = n.op == "tfl.DEPTHWISE_CONV_2D" ? 3 : 0;
    return per_channel(w, axis) && v.hybrid_per_channel ? v.hybrid_per_channel : v.hybrid;
  }
  return 0;
}

}  // namespace pt2tflite::tflite_writer
