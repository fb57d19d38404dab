#include "quant/op_rules.h"

#include <map>

namespace pt2tflite::quant {

namespace {

OpQuantRule free_op(bool int16) {
  OpQuantRule r;
  r.int16 = int16;
  return r;
}

OpQuantRule shared(bool int16) {
  OpQuantRule r;
  r.output = OutputRule::kShared;
  r.int16 = int16;
  return r;
}

OpQuantRule weighted(int weight, int axis, int bias, int data, bool int16) {
  OpQuantRule r;
  r.weight = weight;
  r.weight_axis = axis;
  r.bias = bias;
  r.data = data;
  r.int16 = int16;
  return r;
}

// Output parameters the spec fixes: the op's output range is known in advance.
OpQuantRule fixed(QParams int8, QParams int16) {
  OpQuantRule r;
  r.output = OutputRule::kFixed;
  r.fixed_int8 = int8;
  r.fixed_int16 = int16;
  r.int16 = int16.scale > 0;
  return r;
}

const std::map<std::string, OpQuantRule>& rules() {
  static const std::map<std::string, OpQuantRule> m = [] {
    std::map<std::string, OpQuantRule> t;
    // Weighted ops: conv weights per output channel (OHWI axis 0, depthwise 1HWO axis 3).
    // FULLY_CONNECTED weights are per tensor, as the spec lists them and Micro/Vela expect.
    t["tfl.CONV_2D"] = weighted(1, 0, 2, 0, true);
    t["tfl.DEPTHWISE_CONV_2D"] = weighted(1, 3, 2, 0, true);
    t["tfl.TRANSPOSE_CONV"] = weighted(1, 0, 3, 2, true);
    t["tfl.FULLY_CONNECTED"] = weighted(1, -1, 2, 0, true);
    // No rule for CONV_3D: LiteRT's kernel is float32 only, so a 3-D convolution stays float
    // (with --allow-float-fallback). CONV_3D_TRANSPOSE likewise: its int8/16x8 kernels are
    // recent and older runtimes refuse them.
    t["tfl.BATCH_MATMUL"] = free_op(true);

    for (const char* op : {"tfl.ADD", "tfl.SUB", "tfl.MUL", "tfl.MEAN", "tfl.LEAKY_RELU", "tfl.RELU", "tfl.RELU6",
                           "tfl.ABS", "tfl.RSQRT"})
      t[op] = free_op(true);
    for (const char* op : {"tfl.SUM", "tfl.HARD_SWISH", "tfl.RELU_N1_TO_1", "tfl.PRELU", "tfl.SQUARED_DIFFERENCE",
                           "tfl.GELU", "tfl.ELU", "tfl.EXP", "tfl.LOG", "tfl.NEG", "tfl.SQRT", "tfl.ARG_MAX",
                           "tfl.ARG_MIN", "tfl.EQUAL", "tfl.NOT_EQUAL", "tfl.LESS", "tfl.LESS_EQUAL", "tfl.GREATER",
                           "tfl.GREATER_EQUAL"})
      t[op] = free_op(false);

    // Kernels that move raw integers: one set of parameters for inputs and output.
    for (const char* op : {"tfl.RESHAPE", "tfl.SQUEEZE", "tfl.EXPAND_DIMS", "tfl.TRANSPOSE", "tfl.MAX_POOL_2D",
                           "tfl.AVERAGE_POOL_2D", "tfl.CONCATENATION", "tfl.PACK", "tfl.PAD", "tfl.PADV2",
                           "tfl.GATHER", "tfl.STRIDED_SLICE", "tfl.SLICE", "tfl.SPLIT", "tfl.SPLIT_V",
                           "tfl.MAXIMUM", "tfl.MINIMUM", "tfl.RESIZE_BILINEAR", "tfl.RESIZE_NEAREST_NEIGHBOR",
                           "tfl.REDUCE_MAX", "tfl.REDUCE_MIN", "tfl.SELECT_V2", "tfl.BROADCAST_TO", "tfl.TILE"})
      t[op] = shared(true);
    for (const char* op : {"tfl.MIRROR_PAD", "tfl.GATHER_ND", "tfl.DEPTH_TO_SPACE", "tfl.SPACE_TO_DEPTH"})
      t[op] = shared(false);

    t["tfl.LOGISTIC"] = fixed({1.0f / 256, -128}, {1.0f / 32768, 0});
    t["tfl.SOFTMAX"] = fixed({1.0f / 256, -128}, {1.0f / 32768, 0});
    t["tfl.TANH"] = fixed({1.0f / 128, 0}, {1.0f / 32768, 0});
    t["tfl.LOG_SOFTMAX"] = fixed({16.0f / 256, 127}, {0, 0});
    return t;
  }();
  return m;
}

}  // namespace

const OpQuantRule* find_rule(const std::string& op) {
  auto it = rules().find(op);
  return it == rules().end() ? nullptr : &it->second;
}

}  // namespace pt2tflite::quant
