// BitCast (opset 26): the same bytes read as another element type of the same width, same
// shape → TFLite's BITCAST builtin (which keeps the shape when the widths are equal). Types
// TFLite lacks (uint16, uint32, bfloat16, float8 …) are refused by the `to` attribute or the
// importer; float64 ↔ int64 by the float64 rule. Folds on a constant input (a byte copy).
#include "lower/context.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Tensor;

Status infer_bitcast(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  NODE_CHECK(n, n.has("to"), "missing attribute 'to'");
  PT_ASSIGN_OR_RETURN(DType to, dtype_attr(n, "to"));
  const DType from = n.inputs[0]->dtype;
  NODE_CHECK(n, ir::dtype_size(from) == ir::dtype_size(to),
             std::string("'to' must have the input's bit width: ") + ir::dtype_name(from) + " → " + ir::dtype_name(to));
  set_output(n, 0, to, n.inputs[0]->shape);
  return Status::ok();
}

Result<std::vector<Tensor>> fold_bitcast(const Node& n) {
  const Tensor& t = *n.inputs[0]->data;
  return std::vector<Tensor>{Tensor{n.outputs[0]->dtype, t.shape, t.bytes}};
}

Status lower_bitcast(LowerContext& ctx, Node& n) {
  if (n.inputs[0]->dtype == n.outputs[0]->dtype) {
    ctx.reshape(n, n.inputs[0], n.outputs[0]->shape, n.outputs[0]);
    return Status::ok();
  }
  ctx.emit("tfl.BITCAST", n, {n.inputs[0]}, {n.outputs[0]});
  return Status::ok();
}

}  // namespace

void register_bitcast(Registry& r) { r.add("BitCast", {infer_bitcast, fold_bitcast, lower_bitcast}); }

}  // namespace pt2tflite::lower
