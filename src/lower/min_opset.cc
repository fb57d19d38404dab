// The oldest opset each op is accepted from. The lowerings are written for opset 7 and newer;
// an op whose opset-7 definition was introduced at an older opset v is, by ONNX's
// versioning, the very same op for every opset from v on, so it is accepted from v (Not-1,
// Transpose-1, Reshape-5, Relu-6). Older versions (Relu-1 with consumed_inputs, Add-6 with
// legacy broadcast, BatchNormalization-6 with is_test ...) and every op not listed here are
// accepted from opset 7 (OpRule::kFirstOpset) only; an older node is refused naming the op
// and the opset (lower_graph.cc) before any lowering reads it.
// The table is onnx.defs.get_schema(op, 7).since_version for each registered op where that
// is < 7 (onnx 1.23); tests/e2e/test_runtime_values_onnx.py checks it against onnx.defs.
#include <utility>
#include <vector>

#include "lower/registry.h"

namespace pt2tflite::lower {

void register_min_opsets(Registry& r) {
  static const std::vector<std::pair<int, std::vector<const char*>>> kSince = {
      {1, {"ArgMax", "ArgMin", "Conv", "ConvTranspose", "DepthToSpace", "Flatten", "Gather",
       "GlobalAveragePool", "GlobalMaxPool", "Hardmax", "Identity", "If", "LRN", "LogSoftmax", "Loop",
       "LpNormalization", "MatMul", "MaxPool", "MaxRoiPool", "Not", "RandomNormal", "RandomNormalLike",
       "RandomUniform", "RandomUniformLike", "ReduceL1", "ReduceL2", "ReduceLogSum",
       "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum",
       "ReduceSumSquare", "Shape", "Size", "Slice", "Softmax", "Softplus", "Softsign", "SpaceToDepth",
       "Squeeze", "TopK", "Transpose", "Unsqueeze"}},
      {2, {"GlobalLpPool", "LpPool", "Pad", "Split"}},
      {4, {"Concat"}},
      {5, {"Reshape"}},
      {6, {"Abs", "Cast", "Ceil", "Clip", "Elu", "Exp", "Floor", "HardSigmoid", "InstanceNormalization",
       "LeakyRelu", "Log", "Max", "Mean", "Min", "Neg", "Reciprocal", "Relu", "Selu", "Sigmoid",
       "Sqrt", "Sum", "Tanh", "Tile"}},
  };
  for (const auto& [since, ops] : kSince)
    for (const char* op : ops) r.set_min_opset(op, since);
}

}  // namespace pt2tflite::lower
