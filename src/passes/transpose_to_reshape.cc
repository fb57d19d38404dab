// Before: y = TRANSPOSE(x, P) where the axes P moves all have extent 1
//         (e.g. NHWC [N,1,1,C] → NCHW [N,C,1,1] after a global pool).
// After:  y = RESHAPE(x, shape(y)) — the same bytes in the same order.
// Condition: the non-1 axes keep their relative order. Reshapes are free in TFLite and
// merge with neighbouring reshapes (Flatten), so the transpose disappears.
#include "passes/layout_rules.h"
#include "passes/passes.h"

namespace pt2tflite::passes {

Status transpose_to_reshape(ir::Graph& g) {
  for (ir::Node* n : g.node_list()) {
    if (n->op != "tfl.TRANSPOSE" || !n->input(1) || !n->inputs[1]->is_const() || ir::has_dynamic_shape(*n)) continue;
    const auto perm = n->inputs[1]->data->to_int64s();
    if (!moves_only_unit_axes(n->inputs[0]->shape, perm)) continue;
    const ir::Shape& out = n->outputs[0]->shape;
    n->op = "tfl.RESHAPE";
    n->inputs[1] = g.add_const(n->name + "/shape",
                               ir::Tensor::from_int64s(ir::DType::kInt32, {static_cast<int64_t>(out.size())}, out));
  }
  return Status::ok();
}

}  // namespace pt2tflite::passes
