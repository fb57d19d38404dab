// The table of ONNX op types pt2tflite understands. Each op family file registers, per ONNX
// op type, up to three functions that hold everything the converter knows about the op:
//   infer — output dtypes/shapes from inputs and attributes (static shapes only),
//   fold  — evaluate the op when all inputs are constant (shape arithmetic, weight prep),
//   lower — emit tfl.* nodes computing the op, NHWC inside where layout matters.
// Families register through an explicit register_<family>() listed in register_all.cc.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "pt2tflite/status.h"

namespace pt2tflite::lower {

class LowerContext;

using InferFn = Status (*)(ir::Node& node);
using FoldFn = Result<std::vector<ir::Tensor>> (*)(const ir::Node& node);
using LowerFn = Status (*)(LowerContext& ctx, ir::Node& node);

struct OpRule {
  InferFn infer = nullptr;
  FoldFn fold = nullptr;
  LowerFn lower = nullptr;
  // fold reads only its inputs' shapes, not their data (Shape, Size): it is tried even
  // when the inputs are computed at run time.
  bool fold_from_shapes = false;
};

class Registry {
 public:
  void add(const std::string& onnx_op_type, OpRule rule) { rules_[onnx_op_type] = rule; }
  // `op` is the IR op name ("onnx.Conv"); nullptr when unknown.
  const OpRule* find(const std::string& op) const;
  std::vector<std::string> lowered_op_types() const;

 private:
  std::map<std::string, OpRule> rules_;
};

// The registry with every family registered (built once).
const Registry& registry();

// One line per family: defined in the family's file, called from register_all.cc.
void register_conv(Registry& r);
void register_pool(Registry& r);
void register_elementwise(Registry& r);
void register_activation(Registry& r);
void register_shape_ops(Registry& r);
void register_slice_gather(Registry& r);  // slice_gather.cc: Concat Split Slice Gather
void register_pad(Registry& r);           // pad.cc: Pad
void register_shape_arith(Registry& r);   // shape_arith.cc: ConstantOfShape Range Expand Tile Where
void register_matmul(Registry& r);
void register_reduce(Registry& r);
void register_softmax(Registry& r);
void register_resize(Registry& r);
void register_normalization(Registry& r);
void register_logic(Registry& r);  // logic.cc: Equal Greater Less GreaterOrEqual LessOrEqual And Or Xor Not
void register_math(Registry& r);   // math.cc: Sin Cos Round Sign Mod IsNaN IsInf
void register_depth_space(Registry& r);  // depth_space.cc: DepthToSpace SpaceToDepth
void register_norm_ops(Registry& r);    // norm_ops.cc: LRN RMSNormalization LpNormalization MVN GlobalLpPool Hardmax
void register_bitwise(Registry& r);     // bitwise.cc: BitwiseAnd/Or/Xor/Not BitShift
void register_unary_math(Registry& r);  // unary_math.cc: Tan Asin … Atanh Erf ThresholdedRelu Shrink Swish Mean
void register_recurrent(Registry& r);  // recurrent.cc: RNN GRU LSTM (unrolled)
void register_select(Registry& r);          // select.cc: ArgMax ArgMin TopK
void register_gather_scatter(Registry& r);  // gather_scatter.cc: GatherElements GatherND ScatterND ScatterElements Scatter
void register_positional(Registry& r);      // positional.cc: Trilu CumSum OneHot EyeLike NonZero
void register_einsum(Registry& r);          // einsum.cc: Einsum
void register_cumprod(Registry& r);         // cumprod.cc: CumProd (log-step scan)
void register_bitcast(Registry& r);         // bitcast.cc: BitCast
void register_compress_unique(Registry& r);  // compress_unique.cc: Compress Unique (constant selectors)
void register_random(Registry& r);          // random.cc: RandomNormal RandomUniform RandomNormalLike RandomUniformLike Bernoulli Multinomial
void register_losses(Registry& r);          // losses.cc: NegativeLogLikelihoodLoss SoftmaxCrossEntropyLoss

}  // namespace pt2tflite::lower
