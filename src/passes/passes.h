// Every graph rewrite, one per file. Each takes a graph, leaves one that passes
// ir::verify, and returns an error only when the graph is wrong (a rewrite that does not
// apply declines silently). The order they run in, with reasons, is in api/pipeline.cc.
#pragma once

#include "ir/graph.h"
#include "pt2tflite/status.h"

namespace pt2tflite::passes {

// --- on the ONNX graph (before lowering) ---
Status remove_identity(ir::Graph& g);       // remove_identity.cc: Identity, Dropout (inference)
Status fold_batch_norm(ir::Graph& g);       // fold_batch_norm.cc: BN into Conv/ConvTranspose/Gemm/MatMul
Status dead_code(ir::Graph& g);             // dead_code.cc: nodes nobody reads

Status fuse_gelu(ir::Graph& g);             // fuse_gelu.cc: x*0.5*(1+erf(x/sqrt2)) and tanh form → onnx.Gelu
Status fuse_depth_space(ir::Graph& g);      // fuse_depth_space.cc: Reshape/6-D Transpose/Reshape pixel (un)shuffle

// --- on the TFLite graph (after lowering) ---
Status io_layout_nhwc(ir::Graph& g);        // io_layout_nhwc.cc: --nhwc-io border rewrite
Status fold_constant_layout(ir::Graph& g);  // fold_constant_layout.cc: TRANSPOSE/RESHAPE of constants
Status sink_transposes(ir::Graph& g);       // sink_transposes.cc: move transposes down until they cancel
Status transpose_to_reshape(ir::Graph& g);  // transpose_to_reshape.cc: transposes that move only 1-sized axes
Status merge_reshapes(ir::Graph& g);        // merge_reshapes.cc: RESHAPE chains, identity reshapes
Status fold_transpose_into_fc(ir::Graph& g);  // fold_transpose_into_fc.cc: flatten-after-NHWC into FC weights
Status fuse_pad(ir::Graph& g);              // fuse_pad.cc: explicit PAD into conv/pool when it equals SAME
Status fuse_bias_add(ir::Graph& g);         // fuse_bias_add.cc: constant per-channel ADD/SUB into FC/conv bias
Status fuse_activation(ir::Graph& g);       // fuse_activation.cc: RELU/RELU6/... into the producer

}  // namespace pt2tflite::passes
