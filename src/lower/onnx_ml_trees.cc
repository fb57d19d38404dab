// ONNX-ML tree ensembles (placeholder until the lowering lands).
#include "lower/registry.h"

namespace pt2tflite::lower {

void register_onnx_ml_trees(Registry&) {}

}  // namespace pt2tflite::lower
