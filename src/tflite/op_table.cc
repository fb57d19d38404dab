#include "tflite/op_table.h"

#include <map>

namespace pt2tflite::tflite_writer {

namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;
using ir::Node;
using tflite::BuiltinOperator;
using tflite::BuiltinOptions;

tflite::ActivationFunctionType activation(const Node& n) {
  const std::string a = n.get_string("fused_activation_function", "NONE");
  if (a == "RELU") return tflite::ActivationFunctionType::RELU;
  if (a == "RELU6") return tflite::ActivationFunctionType::RELU6;
  if (a == "RELU_N1_TO_1") return tflite::ActivationFunctionType::RELU_N1_TO_1;
  if (a == "TANH") return tflite::ActivationFunctionType::TANH;
  return tflite::ActivationFunctionType::NONE;
}

tflite::Padding padding(const Node& n) {
  return n.get_string("padding", "VALID") == "SAME" ? tflite::Padding::SAME : tflite::Padding::VALID;
}

int i32(const Node& n, const char* key, int64_t def = 0) { return static_cast<int>(n.get_int(key, def)); }
bool flag(const Node& n, const char* key, bool def = false) { return n.get_int(key, def ? 1 : 0) != 0; }
float f32(const Node& n, const char* key, double def = 0) { return static_cast<float>(n.get_float(key, def)); }

size_t input_rank(const Node& n, size_t i = 0) {
  return i < n.inputs.size() && n.inputs[i] ? n.inputs[i]->shape.size() : 0;
}
size_t max_input_rank(const Node& n) {
  size_t r = 0;
  for (const auto* v : n.inputs)
    if (v) r = std::max(r, v->shape.size());
  return r;
}
bool broadcasts(const Node& n) {
  return n.inputs.size() >= 2 && n.inputs[0] && n.inputs[1] && n.inputs[0]->shape != n.inputs[1]->shape;
}

int v1(const Node&) { return 1; }

// 16x8 ADD/SUB: the general-scale kernel (pot_scale_int16 = false), as TFLite's own converter
// writes it; the power-of-two path would need every scale to be a power of two.
bool int16_input(const Node& n) { return n.input(0) && n.input(0)->dtype == ir::DType::kInt16; }

// Builders for option tables with no fields.
template <typename Builder>
Offset<void> empty_options(FlatBufferBuilder& fbb, const Node&) {
  return Builder(fbb).Finish().Union();
}

const std::map<std::string, OpInfo>& table() {
  static const std::map<std::string, OpInfo> t = [] {
    std::map<std::string, OpInfo> m;
    auto simple = [&](const char* name, BuiltinOperator code) { m[name] = OpInfo{code, BuiltinOptions::NONE, nullptr, v1}; };

    m["tfl.CONV_2D"] = {BuiltinOperator::CONV_2D, BuiltinOptions::Conv2DOptions,
                        [](FlatBufferBuilder& fbb, const Node& n) {
                          return tflite::CreateConv2DOptions(fbb, padding(n), i32(n, "stride_w", 1), i32(n, "stride_h", 1),
                                                             activation(n), i32(n, "dilation_w_factor", 1),
                                                             i32(n, "dilation_h_factor", 1)).Union();
                        },
                        [](const Node& n) {
                          // Grouped convolution: filter depth smaller than the input's channels.
                          if (n.inputs[0]->shape.back() != n.inputs[1]->shape.back()) return 6;
                          return 1;
                        }};
    m["tfl.DEPTHWISE_CONV_2D"] = {
        BuiltinOperator::DEPTHWISE_CONV_2D, BuiltinOptions::DepthwiseConv2DOptions,
        [](FlatBufferBuilder& fbb, const Node& n) {
          return tflite::CreateDepthwiseConv2DOptions(fbb, padding(n), i32(n, "stride_w", 1), i32(n, "stride_h", 1),
                                                      i32(n, "depth_multiplier", 1), activation(n),
                                                      i32(n, "dilation_w_factor", 1), i32(n, "dilation_h_factor", 1))
              .Union();
        },
        [](const Node& n) { return (i32(n, "dilation_w_factor", 1) != 1 || i32(n, "dilation_h_factor", 1) != 1) ? 2 : 1; }};
    m["tfl.TRANSPOSE_CONV"] = {
        BuiltinOperator::TRANSPOSE_CONV, BuiltinOptions::TransposeConvOptions,
        [](FlatBufferBuilder& fbb, const Node& n) {
          return tflite::CreateTransposeConvOptions(fbb, padding(n), i32(n, "stride_w", 1), i32(n, "stride_h", 1),
                                                    activation(n)).Union();
        },
        [](const Node& n) {
          if (activation(n) != tflite::ActivationFunctionType::NONE) return 4;
          return n.inputs.size() > 3 && n.inputs[3] ? 3 : 1;
        }};
    // NDHWC; CONV_3D's filter is [kD, kH, kW, I, O], CONV_3D_TRANSPOSE's [kD, kH, kW, O, I].
    auto conv3d_options = [](FlatBufferBuilder& fbb, const Node& n) {
      return tflite::CreateConv3DOptions(fbb, padding(n), i32(n, "stride_d", 1), i32(n, "stride_w", 1),
                                         i32(n, "stride_h", 1), activation(n), i32(n, "dilation_d_factor", 1),
                                         i32(n, "dilation_w_factor", 1), i32(n, "dilation_h_factor", 1))
          .Union();
    };
    m["tfl.CONV_3D"] = {BuiltinOperator::CONV_3D, BuiltinOptions::Conv3DOptions, conv3d_options, v1};
    m["tfl.CONV_3D_TRANSPOSE"] = {BuiltinOperator::CONV_3D_TRANSPOSE, BuiltinOptions::Conv3DOptions, conv3d_options, v1};
    auto pool_options = [](FlatBufferBuilder& fbb, const Node& n) {
      return tflite::CreatePool2DOptions(fbb, padding(n), i32(n, "stride_w", 1), i32(n, "stride_h", 1),
                                         i32(n, "filter_width", 1), i32(n, "filter_height", 1), activation(n)).Union();
    };
    m["tfl.AVERAGE_POOL_2D"] = {BuiltinOperator::AVERAGE_POOL_2D, BuiltinOptions::Pool2DOptions, pool_options, v1};
    m["tfl.MAX_POOL_2D"] = {BuiltinOperator::MAX_POOL_2D, BuiltinOptions::Pool2DOptions, pool_options, v1};
    m["tfl.FULLY_CONNECTED"] = {
        BuiltinOperator::FULLY_CONNECTED, BuiltinOptions::FullyConnectedOptions,
        [](FlatBufferBuilder& fbb, const Node& n) {
          return tflite::CreateFullyConnectedOptions(fbb, activation(n),
                                                     tflite::FullyConnectedOptionsWeightsFormat::DEFAULT,
                                                     flag(n, "keep_num_dims")).Union();
        },
        [](const Node& n) {
          if (n.inputs.size() < 3 || !n.inputs[2]) return 6;
          return flag(n, "keep_num_dims") ? 5 : 1;
        }};
    // Inputs in TFLite's order (input; input→i,f,c,o weights; recurrent→i,f,c,o weights;
    // cell→i,f,o peepholes; i,f,c,o biases; projection weights, bias; output and cell state
    // (variable tensors); four layer-norm coefficients), written by src/lower/recurrent.cc.
    m["tfl.UNIDIRECTIONAL_SEQUENCE_LSTM"] = {
        BuiltinOperator::UNIDIRECTIONAL_SEQUENCE_LSTM, BuiltinOptions::UnidirectionalSequenceLSTMOptions,
        [](FlatBufferBuilder& fbb, const Node& n) {
          return tflite::CreateUnidirectionalSequenceLSTMOptions(fbb, activation(n), f32(n, "cell_clip"),
                                                                 f32(n, "proj_clip"), flag(n, "time_major", true))
              .Union();
        },
        v1};
    m["tfl.BATCH_MATMUL"] = {BuiltinOperator::BATCH_MATMUL, BuiltinOptions::BatchMatMulOptions,
                             [](FlatBufferBuilder& fbb, const Node& n) {
                               return tflite::CreateBatchMatMulOptions(fbb, flag(n, "adj_x"), flag(n, "adj_y")).Union();
                             },
                             v1};
    auto binary_version = [](const Node& n) { return broadcasts(n) && max_input_rank(n) > 4 ? 3 : 1; };
    m["tfl.ADD"] = {BuiltinOperator::ADD, BuiltinOptions::AddOptions,
                    [](FlatBufferBuilder& fbb, const Node& n) {
                      return tflite::CreateAddOptions(fbb, activation(n), !int16_input(n)).Union();
                    },
                    binary_version};
    m["tfl.SUB"] = {BuiltinOperator::SUB, BuiltinOptions::SubOptions,
                    [](FlatBufferBuilder& fbb, const Node& n) {
                      return tflite::CreateSubOptions(fbb, activation(n), !int16_input(n)).Union();
                    },
                    binary_version};
    m["tfl.MUL"] = {BuiltinOperator::MUL, BuiltinOptions::MulOptions,
                    [](FlatBufferBuilder& fbb, const Node& n) { return tflite::CreateMulOptions(fbb, activation(n)).Union(); },
                    v1};
    m["tfl.DIV"] = {BuiltinOperator::DIV, BuiltinOptions::DivOptions,
                    [](FlatBufferBuilder& fbb, const Node& n) { return tflite::CreateDivOptions(fbb, activation(n)).Union(); },
                    [](const Node& n) { return broadcasts(n) && max_input_rank(n) > 4 ? 2 : 1; }};
    m["tfl.POW"] = {BuiltinOperator::POW, BuiltinOptions::PowOptions, empty_options<tflite::PowOptionsBuilder>, v1};
    m["tfl.MAXIMUM"] = {BuiltinOperator::MAXIMUM, BuiltinOptions::MaximumMinimumOptions,
                        empty_options<tflite::MaximumMinimumOptionsBuilder>, v1};
    m["tfl.MINIMUM"] = {BuiltinOperator::MINIMUM, BuiltinOptions::MaximumMinimumOptions,
                        empty_options<tflite::MaximumMinimumOptionsBuilder>, v1};
    m["tfl.SQUARED_DIFFERENCE"] = {BuiltinOperator::SQUARED_DIFFERENCE, BuiltinOptions::SquaredDifferenceOptions,
                                   empty_options<tflite::SquaredDifferenceOptionsBuilder>, v1};
    m["tfl.CONCATENATION"] = {BuiltinOperator::CONCATENATION, BuiltinOptions::ConcatenationOptions,
                              [](FlatBufferBuilder& fbb, const Node& n) {
                                return tflite::CreateConcatenationOptions(fbb, i32(n, "axis"), activation(n)).Union();
                              },
                              v1};
    m["tfl.RESHAPE"] = {BuiltinOperator::RESHAPE, BuiltinOptions::NONE, nullptr, v1};
    m["tfl.TRANSPOSE"] = {BuiltinOperator::TRANSPOSE, BuiltinOptions::TransposeOptions,
                          empty_options<tflite::TransposeOptionsBuilder>,
                          [](const Node& n) { return input_rank(n) > 5 ? 6 : input_rank(n) > 4 ? 5 : 1; }};
    m["tfl.SOFTMAX"] = {BuiltinOperator::SOFTMAX, BuiltinOptions::SoftmaxOptions,
                        [](FlatBufferBuilder& fbb, const Node& n) {
                          return tflite::CreateSoftmaxOptions(fbb, f32(n, "beta", 1.0)).Union();
                        },
                        v1};
    m["tfl.LOG_SOFTMAX"] = {BuiltinOperator::LOG_SOFTMAX, BuiltinOptions::LogSoftmaxOptions,
                            empty_options<tflite::LogSoftmaxOptionsBuilder>, v1};
    auto reducer = [](FlatBufferBuilder& fbb, const Node& n) {
      return tflite::CreateReducerOptions(fbb, flag(n, "keep_dims")).Union();
    };
    m["tfl.MEAN"] = {BuiltinOperator::MEAN, BuiltinOptions::ReducerOptions, reducer, v1};
    m["tfl.SUM"] = {BuiltinOperator::SUM, BuiltinOptions::ReducerOptions, reducer, v1};
    m["tfl.REDUCE_MAX"] = {BuiltinOperator::REDUCE_MAX, BuiltinOptions::ReducerOptions, reducer, v1};
    m["tfl.REDUCE_MIN"] = {BuiltinOperator::REDUCE_MIN, BuiltinOptions::ReducerOptions, reducer, v1};
    m["tfl.REDUCE_PROD"] = {BuiltinOperator::REDUCE_PROD, BuiltinOptions::ReducerOptions, reducer, v1};
    m["tfl.PAD"] = {BuiltinOperator::PAD, BuiltinOptions::PadOptions, empty_options<tflite::PadOptionsBuilder>,
                    [](const Node& n) { return input_rank(n) > 4 ? 4 : 1; }};
    m["tfl.PADV2"] = {BuiltinOperator::PADV2, BuiltinOptions::PadV2Options, empty_options<tflite::PadV2OptionsBuilder>,
                      [](const Node& n) { return input_rank(n) > 4 ? 4 : 1; }};
    m["tfl.MIRROR_PAD"] = {BuiltinOperator::MIRROR_PAD, BuiltinOptions::MirrorPadOptions,
                           [](FlatBufferBuilder& fbb, const Node& n) {
                             return tflite::CreateMirrorPadOptions(fbb, n.get_string("mode", "REFLECT") == "SYMMETRIC"
                                                                            ? tflite::MirrorPadMode::SYMMETRIC
                                                                            : tflite::MirrorPadMode::REFLECT).Union();
                           },
                           v1};
    m["tfl.GATHER"] = {BuiltinOperator::GATHER, BuiltinOptions::GatherOptions,
                       [](FlatBufferBuilder& fbb, const Node& n) {
                         return tflite::CreateGatherOptions(fbb, i32(n, "axis"), i32(n, "batch_dims")).Union();
                       },
                       [](const Node& n) { return i32(n, "batch_dims") != 0 ? 5 : 1; }};
    m["tfl.STRIDED_SLICE"] = {BuiltinOperator::STRIDED_SLICE, BuiltinOptions::StridedSliceOptions,
                              [](FlatBufferBuilder& fbb, const Node& n) {
                                return tflite::CreateStridedSliceOptions(fbb, i32(n, "begin_mask"), i32(n, "end_mask"),
                                                                         i32(n, "ellipsis_mask"), i32(n, "new_axis_mask"),
                                                                         i32(n, "shrink_axis_mask"), flag(n, "offset"))
                                    .Union();
                              },
                              [](const Node& n) { return input_rank(n) > 4 ? 4 : 1; }};
    m["tfl.SLICE"] = {BuiltinOperator::SLICE, BuiltinOptions::SliceOptions, empty_options<tflite::SliceOptionsBuilder>,
                      [](const Node& n) { return input_rank(n) > 4 ? 5 : 1; }};
    m["tfl.SPLIT"] = {BuiltinOperator::SPLIT, BuiltinOptions::SplitOptions,
                      [](FlatBufferBuilder& fbb, const Node& n) {
                        return tflite::CreateSplitOptions(fbb, static_cast<int>(n.outputs.size())).Union();
                      },
                      v1};
    m["tfl.SPLIT_V"] = {BuiltinOperator::SPLIT_V, BuiltinOptions::SplitVOptions,
                        [](FlatBufferBuilder& fbb, const Node& n) {
                          return tflite::CreateSplitVOptions(fbb, static_cast<int>(n.outputs.size())).Union();
                        },
                        v1};
    m["tfl.SQUEEZE"] = {BuiltinOperator::SQUEEZE, BuiltinOptions::SqueezeOptions,
                        [](FlatBufferBuilder& fbb, const Node& n) {
                          std::vector<int> dims;
                          for (int64_t d : n.get_ints("squeeze_dims")) dims.push_back(static_cast<int>(d));
                          return tflite::CreateSqueezeOptionsDirect(fbb, &dims).Union();
                        },
                        v1};
    m["tfl.EXPAND_DIMS"] = {BuiltinOperator::EXPAND_DIMS, BuiltinOptions::ExpandDimsOptions,
                            empty_options<tflite::ExpandDimsOptionsBuilder>, v1};
    m["tfl.RESIZE_BILINEAR"] = {BuiltinOperator::RESIZE_BILINEAR, BuiltinOptions::ResizeBilinearOptions,
                                [](FlatBufferBuilder& fbb, const Node& n) {
                                  tflite::ResizeBilinearOptionsBuilder b(fbb);
                                  b.add_align_corners(flag(n, "align_corners"));
                                  b.add_half_pixel_centers(flag(n, "half_pixel_centers"));
                                  return b.Finish().Union();
                                },
                                [](const Node& n) { return flag(n, "half_pixel_centers") ? 3 : 1; }};
    m["tfl.RESIZE_NEAREST_NEIGHBOR"] = {
        BuiltinOperator::RESIZE_NEAREST_NEIGHBOR, BuiltinOptions::ResizeNearestNeighborOptions,
        [](FlatBufferBuilder& fbb, const Node& n) {
          return tflite::CreateResizeNearestNeighborOptions(fbb, flag(n, "align_corners"), flag(n, "half_pixel_centers"))
              .Union();
        },
        [](const Node& n) { return flag(n, "half_pixel_centers") ? 3 : 1; }};
    m["tfl.LEAKY_RELU"] = {BuiltinOperator::LEAKY_RELU, BuiltinOptions::LeakyReluOptions,
                           [](FlatBufferBuilder& fbb, const Node& n) {
                             return tflite::CreateLeakyReluOptions(fbb, f32(n, "alpha", 0.2)).Union();
                           },
                           v1};
    m["tfl.GELU"] = {BuiltinOperator::GELU, BuiltinOptions::GeluOptions,
                     [](FlatBufferBuilder& fbb, const Node& n) {
                       return tflite::CreateGeluOptions(fbb, flag(n, "approximate")).Union();
                     },
                     v1};
    m["tfl.HARD_SWISH"] = {BuiltinOperator::HARD_SWISH, BuiltinOptions::HardSwishOptions,
                           empty_options<tflite::HardSwishOptionsBuilder>, v1};
    m["tfl.CAST"] = {BuiltinOperator::CAST, BuiltinOptions::CastOptions,
                     [](FlatBufferBuilder& fbb, const Node& n) {
                       return tflite::CreateCastOptions(fbb, tensor_type(n.inputs[0]->dtype), tensor_type(n.outputs[0]->dtype))
                           .Union();
                     },
                     v1};
    m["tfl.BROADCAST_TO"] = {BuiltinOperator::BROADCAST_TO, BuiltinOptions::BroadcastToOptions,
                             empty_options<tflite::BroadcastToOptionsBuilder>, [](const Node&) { return 2; }};
    m["tfl.TILE"] = {BuiltinOperator::TILE, BuiltinOptions::TileOptions, empty_options<tflite::TileOptionsBuilder>, v1};
    m["tfl.PACK"] = {BuiltinOperator::PACK, BuiltinOptions::PackOptions,
                     [](FlatBufferBuilder& fbb, const Node& n) {
                       return tflite::CreatePackOptions(fbb, static_cast<int>(n.inputs.size()), i32(n, "axis")).Union();
                     },
                     v1};
    m["tfl.DEPTH_TO_SPACE"] = {BuiltinOperator::DEPTH_TO_SPACE, BuiltinOptions::DepthToSpaceOptions,
                               [](FlatBufferBuilder& fbb, const Node& n) {
                                 return tflite::CreateDepthToSpaceOptions(fbb, i32(n, "block_size")).Union();
                               },
                               v1};
    m["tfl.SPACE_TO_DEPTH"] = {BuiltinOperator::SPACE_TO_DEPTH, BuiltinOptions::SpaceToDepthOptions,
                               [](FlatBufferBuilder& fbb, const Node& n) {
                                 return tflite::CreateSpaceToDepthOptions(fbb, i32(n, "block_size")).Union();
                               },
                               v1};
    m["tfl.ARG_MAX"] = {BuiltinOperator::ARG_MAX, BuiltinOptions::ArgMaxOptions,
                        [](FlatBufferBuilder& fbb, const Node& n) {
                          return tflite::CreateArgMaxOptions(fbb, tensor_type(n.outputs[0]->dtype)).Union();
                        },
                        v1};
    m["tfl.ARG_MIN"] = {BuiltinOperator::ARG_MIN, BuiltinOptions::ArgMinOptions,
                        [](FlatBufferBuilder& fbb, const Node& n) {
                          return tflite::CreateArgMinOptions(fbb, tensor_type(n.outputs[0]->dtype)).Union();
                        },
                        v1};
    // The run-time extents of a tensor (shapes known only at run time): int32 or int64.
    m["tfl.SHAPE"] = {BuiltinOperator::SHAPE, BuiltinOptions::ShapeOptions,
                      [](FlatBufferBuilder& fbb, const Node& n) {
                        return tflite::CreateShapeOptions(fbb, tensor_type(n.outputs[0]->dtype)).Union();
                      },
                      v1};
    m["tfl.DEQUANTIZE"] = {BuiltinOperator::DEQUANTIZE, BuiltinOptions::NONE, nullptr, v1};
    m["tfl.QUANTIZE"] = {BuiltinOperator::QUANTIZE, BuiltinOptions::NONE, nullptr, v1};
    simple("tfl.RELU", BuiltinOperator::RELU);
    simple("tfl.RELU6", BuiltinOperator::RELU6);
    simple("tfl.RELU_N1_TO_1", BuiltinOperator::RELU_N1_TO_1);
    simple("tfl.LOGISTIC", BuiltinOperator::LOGISTIC);
    simple("tfl.TANH", BuiltinOperator::TANH);
    simple("tfl.ELU", BuiltinOperator::ELU);
    simple("tfl.PRELU", BuiltinOperator::PRELU);
    simple("tfl.EXP", BuiltinOperator::EXP);
    simple("tfl.LOG", BuiltinOperator::LOG);
    simple("tfl.SQRT", BuiltinOperator::SQRT);
    simple("tfl.RSQRT", BuiltinOperator::RSQRT);
    simple("tfl.NEG", BuiltinOperator::NEG);
    simple("tfl.ABS", BuiltinOperator::ABS);
    simple("tfl.FLOOR", BuiltinOperator::FLOOR);
    simple("tfl.CEIL", BuiltinOperator::CEIL);
    simple("tfl.ROUND", BuiltinOperator::ROUND);
    simple("tfl.SIN", BuiltinOperator::SIN);
    simple("tfl.COS", BuiltinOperator::COS);
    simple("tfl.SQUARE", BuiltinOperator::SQUARE);
    simple("tfl.SIGN", BuiltinOperator::SIGN);
    simple("tfl.LOGICAL_NOT", BuiltinOperator::LOGICAL_NOT);
    simple("tfl.LOGICAL_AND", BuiltinOperator::LOGICAL_AND);
    simple("tfl.LOGICAL_OR", BuiltinOperator::LOGICAL_OR);
    simple("tfl.EQUAL", BuiltinOperator::EQUAL);
    simple("tfl.NOT_EQUAL", BuiltinOperator::NOT_EQUAL);
    simple("tfl.LESS", BuiltinOperator::LESS);
    simple("tfl.LESS_EQUAL", BuiltinOperator::LESS_EQUAL);
    simple("tfl.GREATER", BuiltinOperator::GREATER);
    simple("tfl.GREATER_EQUAL", BuiltinOperator::GREATER_EQUAL);
    simple("tfl.SELECT_V2", BuiltinOperator::SELECT_V2);
    simple("tfl.FLOOR_DIV", BuiltinOperator::FLOOR_DIV);
    simple("tfl.FLOOR_MOD", BuiltinOperator::FLOOR_MOD);
    simple("tfl.GATHER_ND", BuiltinOperator::GATHER_ND);
    simple("tfl.FILL", BuiltinOperator::FILL);
    simple("tfl.ZEROS_LIKE", BuiltinOperator::ZEROS_LIKE);
    simple("tfl.REVERSE_V2", BuiltinOperator::REVERSE_V2);
    // --- added by the shape-ops lowering (Range that is too long to fold) ---
    m["tfl.RANGE"] = {BuiltinOperator::RANGE, BuiltinOptions::RangeOptions, empty_options<tflite::RangeOptionsBuilder>, v1};
    // --- added by the conformance work (bool reductions) ---
    m["tfl.REDUCE_ANY"] = {BuiltinOperator::REDUCE_ANY, BuiltinOptions::ReducerOptions, reducer, v1};
    m["tfl.REDUCE_ALL"] = {BuiltinOperator::REDUCE_ALL, BuiltinOptions::ReducerOptions, reducer, v1};
    // --- added by the vision/math op breadth work ---
    simple("tfl.ATAN2", BuiltinOperator::ATAN2);
    simple("tfl.BITWISE_XOR", BuiltinOperator::BITWISE_XOR);
    simple("tfl.RIGHT_SHIFT", BuiltinOperator::RIGHT_SHIFT);
    m["tfl.LOCAL_RESPONSE_NORMALIZATION"] = {
        BuiltinOperator::LOCAL_RESPONSE_NORMALIZATION, BuiltinOptions::LocalResponseNormalizationOptions,
        [](FlatBufferBuilder& fbb, const Node& n) {
          return tflite::CreateLocalResponseNormalizationOptions(fbb, i32(n, "radius"), f32(n, "bias"), f32(n, "alpha"),
                                                                 f32(n, "beta")).Union();
        },
        v1};
    // --- added by the data-dependent-length ops (positional.cc NonZero, compress_unique.cc, nms.cc) ---
    // WHERE(condition bool) → int64 [num_true, rank] coordinates, sized at run time.
    m["tfl.WHERE"] = {BuiltinOperator::WHERE, BuiltinOptions::WhereOptions,
                      empty_options<tflite::WhereOptionsBuilder>, v1};
    // UNIQUE(x 1-D) → values in first-occurrence order, index of each element (int32/int64).
    m["tfl.UNIQUE"] = {BuiltinOperator::UNIQUE, BuiltinOptions::UniqueOptions,
                       [](FlatBufferBuilder& fbb, const Node& n) {
                         return tflite::CreateUniqueOptions(fbb, tensor_type(n.outputs[1]->dtype)).Union();
                       },
                       v1};
    m["tfl.NON_MAX_SUPPRESSION_V4"] = {BuiltinOperator::NON_MAX_SUPPRESSION_V4,
                                       BuiltinOptions::NonMaxSuppressionV4Options,
                                       empty_options<tflite::NonMaxSuppressionV4OptionsBuilder>, v1};
    m["tfl.UNPACK"] = {BuiltinOperator::UNPACK, BuiltinOptions::UnpackOptions,
                       [](FlatBufferBuilder& fbb, const Node& n) {
                         return tflite::CreateUnpackOptions(fbb, static_cast<int>(n.outputs.size()), i32(n, "axis"))
                             .Union();
                       },
                       v1};
    // --- added by the index/selection ops (select.cc, gather_scatter.cc, positional.cc) ---
    m["tfl.TOPK_V2"] = {BuiltinOperator::TOPK_V2, BuiltinOptions::TopKV2Options,
                        empty_options<tflite::TopKV2OptionsBuilder>, v1};
    m["tfl.SCATTER_ND"] = {BuiltinOperator::SCATTER_ND, BuiltinOptions::ScatterNdOptions,
                           empty_options<tflite::ScatterNdOptionsBuilder>, v1};
    m["tfl.CUMSUM"] = {BuiltinOperator::CUMSUM, BuiltinOptions::CumsumOptions,
                       [](FlatBufferBuilder& fbb, const Node& n) {
                         return tflite::CreateCumsumOptions(fbb, flag(n, "exclusive"), flag(n, "reverse")).Union();
                       },
                       v1};
    m["tfl.ONE_HOT"] = {BuiltinOperator::ONE_HOT, BuiltinOptions::OneHotOptions,
                        [](FlatBufferBuilder& fbb, const Node& n) {
                          return tflite::CreateOneHotOptions(fbb, i32(n, "axis", -1)).Union();
                        },
                        v1};
    // --- added by the losses/misc ops (bitcast.cc, random.cc) ---
    m["tfl.BITCAST"] = {BuiltinOperator::BITCAST, BuiltinOptions::BitcastOptions,
                        empty_options<tflite::BitcastOptionsBuilder>, v1};
    auto random = [](FlatBufferBuilder& fbb, const Node& n) {
      return tflite::CreateRandomOptions(fbb, n.get_int("seed", 0), n.get_int("seed2", 0)).Union();
    };
    m["tfl.RANDOM_STANDARD_NORMAL"] = {BuiltinOperator::RANDOM_STANDARD_NORMAL, BuiltinOptions::RandomOptions, random, v1};
    m["tfl.RANDOM_UNIFORM"] = {BuiltinOperator::RANDOM_UNIFORM, BuiltinOptions::RandomOptions, random, v1};
    m["tfl.MULTINOMIAL"] = {BuiltinOperator::MULTINOMIAL, BuiltinOptions::RandomOptions, random, v1};
    return m;
  }();
  return t;
}

}  // namespace

const OpInfo* find_op(const std::string& op) {
  auto it = table().find(op);
  return it == table().end() ? nullptr : &it->second;
}

std::vector<std::string> known_ops() {
  std::vector<std::string> out;
  for (const auto& [name, info] : table()) out.push_back(name);
  return out;
}

tflite::TensorType tensor_type(ir::DType t) {
  switch (t) {
    case ir::DType::kFloat32: return tflite::TensorType::FLOAT32;
    case ir::DType::kFloat16: return tflite::TensorType::FLOAT16;
    case ir::DType::kFloat64: return tflite::TensorType::FLOAT64;
    case ir::DType::kInt8: return tflite::TensorType::INT8;
    case ir::DType::kUInt8: return tflite::TensorType::UINT8;
    case ir::DType::kInt16: return tflite::TensorType::INT16;
    case ir::DType::kInt32: return tflite::TensorType::INT32;
    case ir::DType::kInt64: return tflite::TensorType::INT64;
    case ir::DType::kUInt64: return tflite::TensorType::UINT64;
    case ir::DType::kBool: return tflite::TensorType::BOOL;
  }
  return tflite::TensorType::FLOAT32;
}

Result<ir::DType> dtype_from_tensor_type(tflite::TensorType t) {
  switch (t) {
    case tflite::TensorType::FLOAT32: return ir::DType::kFloat32;
    case tflite::TensorType::FLOAT16: return ir::DType::kFloat16;
    case tflite::TensorType::FLOAT64: return ir::DType::kFloat64;
    case tflite::TensorType::INT8: return ir::DType::kInt8;
    case tflite::TensorType::UINT8: return ir::DType::kUInt8;
    case tflite::TensorType::INT16: return ir::DType::kInt16;
    case tflite::TensorType::INT32: return ir::DType::kInt32;
    case tflite::TensorType::INT64: return ir::DType::kInt64;
    case tflite::TensorType::UINT64: return ir::DType::kUInt64;
    case tflite::TensorType::BOOL: return ir::DType::kBool;
    default: return unsupported(std::string("TFLite tensor type ") + tflite::EnumNameTensorType(t));
  }
}

}  // namespace pt2tflite::tflite_writer
