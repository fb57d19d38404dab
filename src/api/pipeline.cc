#include "api/pipeline.h"

#include "ir/print.h"
#include "ir/verify.h"
#include "lower/lower.h"
#include "passes/passes.h"

namespace pt2tflite::api {

const std::vector<Step>& onnx_steps() {
  static const std::vector<Step> steps = {
      {"remove_identity", "Identity and inference-mode Dropout compute nothing", passes::remove_identity},
      {"infer_shapes_and_fold", "static shapes for every value; folds Shape→Gather→Concat→Reshape arithmetic",
       lower::infer_shapes_and_fold},
      {"fuse_gelu", "GELU spelled with Erf (no TFLite builtin) or Tanh before opset 20 becomes one onnx.Gelu",
       passes::fuse_gelu},
      {"fuse_depth_space", "pixel (un)shuffle as Reshape/6-D Transpose/Reshape becomes one DepthToSpace/SpaceToDepth",
       passes::fuse_depth_space},
      {"fold_batch_norm", "BatchNorm after Conv/ConvTranspose/Gemm becomes new weights and bias", passes::fold_batch_norm},
      {"dead_code", "folding leaves shape subgraphs and unused initializers behind", passes::dead_code},
  };
  return steps;
}

namespace {

// The LSTM stays unrolled when asked, and in the full-integer modes: the fused kernel's int8 /
// int16 forms need per-gate intermediate scales the calibrator does not compute.
Status lower_with_options(ir::Graph& g, const ConvertOptions& options) {
  lower::LowerOptions lo;
  const QuantizeMode q = options.quantize.mode;
  lo.fused_lstm = options.lstm == LstmForm::kFused && q != QuantizeMode::kInt8 && q != QuantizeMode::kInt16x8;
  return lower::lower_graph(g, lo);
}

}  // namespace

const std::vector<Step>& tflite_steps() {
  static const std::vector<Step> steps = {
      {"lower", "ONNX ops become TFLite builtins, NHWC between transposes", nullptr, false, lower_with_options},
      {"io_layout_nhwc", "--nhwc-io: inputs/outputs become channels-last with a transpose the next steps cancel",
       passes::io_layout_nhwc, true},
      {"fold_constant_layout", "transposes and reshapes of constants (weights) are done now, not at run time",
       passes::fold_constant_layout},
      {"sink_transposes", "moves every transpose towards the outputs until inverse pairs meet and cancel",
       passes::sink_transposes},
      {"transpose_to_reshape", "a transpose that moves only size-1 axes is a reshape (free in TFLite)",
       passes::transpose_to_reshape},
      {"merge_reshapes", "reshape chains collapse; reshapes to the same shape vanish", passes::merge_reshapes},
      {"fold_transpose_into_fc", "flattening an NHWC tensor into a linear layer permutes the weights instead",
       passes::fold_transpose_into_fc},
      {"sink_transposes_again", "the previous rewrites expose new cancellations", passes::sink_transposes},
      {"merge_reshapes_again", "and new reshape chains", passes::merge_reshapes},
      {"fuse_pad", "explicit zero PAD before conv/pool equal to SAME becomes the op's padding", passes::fuse_pad},
      {"fuse_bias_add", "a constant per-channel ADD after FC/conv (Linear on 3-D input is MatMul + Add) joins the bias",
       passes::fuse_bias_add},
      {"fuse_activation", "RELU/RELU6/RELU_N1_TO_1/TANH after conv/FC/add/mul/sub run inside that op",
       passes::fuse_activation},
      {"dead_code", "rewrites leave unused constants behind", passes::dead_code},
  };
  return steps;
}

namespace {

Status run_steps(const std::vector<Step>& steps, ir::Graph& g, const ConvertOptions& options) {
  for (const Step& step : steps) {
    if (step.only_if_nhwc_io && !options.nhwc_io) continue;
    Status s = step.run_with_options ? step.run_with_options(g, options) : step.run(g);
    if (!s.is_ok()) return s;
#ifndef NDEBUG
    PT_RETURN_IF_ERROR(ir::verify(g));
#else
    if (!options.dump_after.empty()) PT_RETURN_IF_ERROR(ir::verify(g));
#endif
    if (options.log && (options.dump_after == step.name || options.dump_after == "all")) {
      *options.log << "=== after " << step.name << " (" << g.nodes().size() << " nodes: " << ir::op_histogram(g)
                   << ")\n"
                   << ir::print(g);
    }
  }
  return Status::ok();
}

}  // namespace

Status run_pipeline(ir::Graph& g, const ConvertOptions& options) {
  PT_RETURN_IF_ERROR(run_steps(onnx_steps(), g, options));
  PT_RETURN_IF_ERROR(run_steps(tflite_steps(), g, options));
  return ir::verify(g);
}

}  // namespace pt2tflite::api
