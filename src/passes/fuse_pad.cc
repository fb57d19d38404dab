// Before: p = PAD(x, paddings) [zeros];  y = CONV_2D / DEPTHWISE_CONV_2D(p, …) {padding: VALID}
//         (or PADV2 with the lowest float before MAX_POOL_2D)
// After:  y = CONV_2D(x, …) {padding: SAME}
// Conditions: NHWC, batch and channel paddings zero, and along H and W the padding equals
// what TFLite's SAME pads for this input, kernel, stride and dilation (cells no window
// reaches do not count). The PAD's result must have no other reader.
#include <cmath>
#include <limits>

#include "ir/padding.h"
#include "passes/passes.h"

namespace pt2tflite::passes {

namespace {

bool pad_is_neutral(const ir::Node& pad, const ir::Node& op) {
  if (pad.op == "tfl.PAD") return op.op != "tfl.AVERAGE_POOL_2D" && op.op != "tfl.MAX_POOL_2D";
  if (pad.op != "tfl.PADV2" || op.op != "tfl.MAX_POOL_2D" || !pad.input(2) || !pad.inputs[2]->is_const()) return false;
  // Max pooling ignores SAME's padding; a pad value no input can beat is equivalent.
  return pad.inputs[2]->data->to_doubles()[0] <= -std::numeric_limits<float>::max();
}

}  // namespace

Status fuse_pad(ir::Graph& g) {
  ir::Uses uses(g);
  for (ir::Node* op : g.node_list()) {
    if (op->op != "tfl.CONV_2D" && op->op != "tfl.DEPTHWISE_CONV_2D" && op->op != "tfl.MAX_POOL_2D") continue;
    if (op->get_string("padding", "VALID") != "VALID" || ir::has_dynamic_shape(*op)) continue;
    ir::Node* pad = uses.producer(op->inputs[0]);
    if (!pad || uses.single_user(op->inputs[0]) != op || !pad_is_neutral(*pad, *op)) continue;
    if (!pad->input(1) || !pad->inputs[1]->is_const()) continue;
    const auto p = pad->inputs[1]->data->to_int64s();
    const ir::Shape& x = pad->inputs[0]->shape;
    if (p.size() != 8 || x.size() != 4 || p[0] || p[1] || p[6] || p[7]) continue;
    int64_t kh, kw;
    if (op->op == "tfl.MAX_POOL_2D") {
      kh = op->get_int("filter_height", 1);
      kw = op->get_int("filter_width", 1);
    } else {
      const ir::Shape& w = op->inputs[1]->shape;  // OHWI or 1HWO
      kh = w[1];
      kw = w[2];
    }
    const int64_t out_h = op->outputs[0]->shape[1], out_w = op->outputs[0]->shape[2];
    ir::AxisWindow h{x[1], kh, op->get_int("stride_h", 1), op->get_int("dilation_h_factor", 1), p[2], p[3]};
    ir::AxisWindow w{x[2], kw, op->get_int("stride_w", 1), op->get_int("dilation_w_factor", 1), p[4], p[5]};
    if (ir::combine({ir::classify_padding(h, out_h), ir::classify_padding(w, out_w)}) != ir::TflPadding::kSame)
      continue;
    op->inputs[0] = pad->inputs[0];
    op->attrs["padding"] = std::string("SAME");
    uses = ir::Uses(g);
  }
  g.remove_dead();
  return Status::ok();
}

}  // namespace pt2tflite::passes
