// The table of ONNX op types pt2tflite understands. Each op family file registers, per ONNX
// op type, up to three functions that hold everything the converter knows about the op:
//   infer — output dtypes/shapes from inputs and attributes (static unless dynamic_shapes),
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
class ExpandContext;

using InferFn = Status (*)(ir::Node& node);
using FoldFn = Result<std::vector<ir::Tensor>> (*)(const ir::Node& node);
using LowerFn = Status (*)(LowerContext& ctx, ir::Node& node);
// Resolves the node at conversion time (expand.h): on success every output has been replaced
// or registered as a sequence/optional, and the walk removes the node.
using ExpandFn = Status (*)(ExpandContext& ctx, ir::Node& node);

struct OpRule {
  InferFn infer = nullptr;
  FoldFn fold = nullptr;
  LowerFn lower = nullptr;
  // fold reads only its inputs' shapes, not their data (Shape, Size): it is tried even
  // when the inputs are computed at run time.
  bool fold_from_shapes = false;
  // The output shape depends on input values (a window's size): the inputs must be constant,
  // and `lower` only copies out a folded result. Listed by `pt2tflite ops --constant-input`.
  bool needs_constant_inputs = false;
  // infer and lower handle extents known only at run time (-1 in a shape): infer may produce
  // them (Reshape to a run-time shape, NonZero) and accepts inputs that have them; lower then
  // emits ops whose output TFLite sizes at run time. Other rules never see such a value: the
  // walk refuses the node, naming the op that made the shape dynamic.
  bool dynamic_shapes = false;
  // Instead of infer/fold/lower: control flow and sequence/optional ops (expand.h).
  ExpandFn expand = nullptr;
};

// The rule with dynamic_shapes set: for ops whose infer and lower are written for extents
// known only at run time (elementwise ops, which TFLite broadcasts at run time, and ops that
// assemble their shape arguments with tfl.SHAPE).
inline OpRule dynamic(OpRule r) {
  r.dynamic_shapes = true;
  return r;
}

inline OpRule expand_only(ExpandFn f) {
  OpRule r;
  r.expand = f;
  return r;
}

class Registry {
 public:
  void add(const std::string& onnx_op_type, OpRule rule) { rules_[onnx_op_type] = rule; }
  // `op` is the IR op name ("onnx.Conv"); nullptr when unknown.
  const OpRule* find(const std::string& op) const;
  // Op types with a lowering, or with only a fold (converted when their inputs are constant).
  std::vector<std::string> op_types() const;
  // The subset of op_types() whose inputs must be constant: only a fold, or
  // needs_constant_inputs (their output shapes depend on input values).
  std::vector<std::string> fold_only_op_types() const;
  // The subset of op_types() whose rule declares dynamic_shapes.
  std::vector<std::string> dynamic_shape_op_types() const;

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
void register_recurrent(Registry& r);  // recurrent.cc: RNN GRU LSTM (unrolled; LSTM fused in recurrent_fused.cc)
void register_select(Registry& r);          // select.cc: ArgMax ArgMin TopK
void register_gather_scatter(Registry& r);  // gather_scatter.cc: GatherElements GatherND ScatterND ScatterElements Scatter
void register_positional(Registry& r);      // positional.cc: Trilu CumSum OneHot EyeLike NonZero
void register_einsum(Registry& r);          // einsum.cc: Einsum
void register_signal(Registry& r);  // signal.cc: Hann/Hamming/BlackmanWindow MelWeightMatrix DFT STFT
void register_attention(Registry& r);       // attention.cc: Attention
void register_rotary_embedding(Registry& r);  // rotary_embedding.cc: RotaryEmbedding
void register_kv_cache(Registry& r);        // kv_cache.cc: TensorScatter
void register_swiglu(Registry& r);          // swiglu.cc: SwiGLU
void register_causal_conv(Registry& r);     // causal_conv.cc: CausalConvWithState
void register_linear_attention(Registry& r);  // linear_attention.cc: LinearAttention
void register_cumprod(Registry& r);         // cumprod.cc: CumProd (log-step scan)
void register_bitcast(Registry& r);         // bitcast.cc: BitCast
void register_compress_unique(Registry& r);  // compress_unique.cc: Compress Unique (constant selectors)
void register_random(Registry& r);          // random.cc: RandomNormal RandomUniform RandomNormalLike RandomUniformLike Bernoulli Multinomial
void register_losses(Registry& r);          // losses.cc: NegativeLogLikelihoodLoss SoftmaxCrossEntropyLoss
void register_grid_sample(Registry& r);     // grid_sample.cc: GridSample AffineGrid
void register_lp_pool(Registry& r);         // lp_pool.cc: LpPool
void register_crop_reverse(Registry& r);    // crop_reverse.cc: CenterCropPad ReverseSequence
void register_col2im(Registry& r);          // col2im.cc: Col2Im
void register_det(Registry& r);             // det.cc: Det
void register_max_unpool(Registry& r);      // max_unpool.cc: MaxUnpool
void register_roi_pool(Registry& r);        // roi_pool.cc: RoiAlign MaxRoiPool
void register_deform_conv(Registry& r);     // deform_conv.cc: DeformConv
void register_quantize_linear(Registry& r);  // quantize_linear.cc: QuantizeLinear DequantizeLinear DynamicQuantizeLinear
void register_integer_matmul_conv(Registry& r);  // integer_matmul_conv.cc: MatMulInteger ConvInteger QLinearMatMul QLinearConv
void register_control_flow(Registry& r);    // control_flow.cc: If Loop Scan (inlined, unrolled)
void register_sequence(Registry& r);        // sequence.cc: Sequence* SplitToSequence ConcatFromSequence Optional*

}  // namespace pt2tflite::lower
