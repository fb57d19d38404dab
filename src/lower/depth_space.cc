// DepthToSpace and SpaceToDepth on 4-D NCHW tensors → TFLite's DEPTH_TO_SPACE /
// SPACE_TO_DEPTH, which work NHWC and order the channel axis "DCR": channel (i·b + j)·C + c
// holds pixel (i, j) of block row/column offsets of channel c. ONNX's DepthToSpace mode=DCR
// and SpaceToDepth are exactly that. DepthToSpace mode=CRD (torch's pixel_shuffle) orders
// channels c·b² + i·b + j: a constant GATHER of the channels (NHWC, last axis) reorders them
// to DCR before DEPTH_TO_SPACE. SpaceToDepth with the private attribute mode=CRD (made by
// passes/fuse_depth_space.cc from torch's pixel_unshuffle Reshape/Transpose/Reshape) gathers
// after SPACE_TO_DEPTH. The layout pass sinks the NCHW↔NHWC transposes through the GATHER.
#include "lower/context.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::Node;
using ir::Value;

bool to_space(const Node& n) { return n.op == "onnx.DepthToSpace"; }

Status infer_depth_space(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  const ir::Shape& s = n.inputs[0]->shape;
  NODE_CHECK(n, s.size() == 4, "needs a 4-D input, got " + ir::shape_to_string(s));
  const int64_t b = n.get_int("blocksize", 0);
  NODE_CHECK(n, b >= 1, "blocksize must be positive");
  const std::string mode = n.get_string("mode", "DCR");
  NODE_CHECK(n, mode == "DCR" || mode == "CRD", "mode must be DCR or CRD, not '" + mode + "'");
  if (to_space(n)) {
    NODE_CHECK(n, s[1] % (b * b) == 0, "channels " + std::to_string(s[1]) + " are not a multiple of blocksize²");
    set_output(n, 0, n.inputs[0]->dtype, {s[0], s[1] / (b * b), s[2] * b, s[3] * b});
  } else {
    NODE_CHECK(n, s[2] % b == 0 && s[3] % b == 0, "height and width must be multiples of blocksize");
    set_output(n, 0, n.inputs[0]->dtype, {s[0], s[1] * b * b, s[2] / b, s[3] / b});
  }
  return Status::ok();
}

// For each DCR channel (i·b + j)·c_out + c, the CRD channel c·b² + i·b + j holding the same
// pixel (c_out: channels after DepthToSpace / before SpaceToDepth).
std::vector<int64_t> crd_of_dcr(int64_t b, int64_t c_out) {
  std::vector<int64_t> idx(static_cast<size_t>(b * b * c_out));
  for (int64_t ij = 0; ij < b * b; ++ij)
    for (int64_t c = 0; c < c_out; ++c) idx[ij * c_out + c] = c * b * b + ij;
  return idx;
}

Value* gather_channels(LowerContext& ctx, const Node& n, Value* x, const std::vector<int64_t>& idx,
                       Value* y = nullptr) {
  if (!y) y = ctx.temp(n, x->dtype, x->shape, "channels");
  ctx.emit("tfl.GATHER", n, {x, ctx.const_int32(n, "channel_order", idx)}, {y})->attrs["axis"] = int64_t{3};
  return y;
}

Status lower_depth_space(LowerContext& ctx, Node& n) {
  const int64_t b = n.get_int("blocksize", 1);
  const bool crd = n.get_string("mode", "DCR") == "CRD";
  Value* out = n.outputs[0];
  Value* x = ctx.to_channels_last(n, n.inputs[0]);
  const ir::Shape out_cl = ir::permute(out->shape, LowerContext::to_channels_last_perm(4));
  Value* y = ctx.temp(n, out->dtype, out_cl, "nhwc");
  if (to_space(n)) {
    const std::vector<int64_t> order = crd_of_dcr(b, out->shape[1]);
    if (crd) x = gather_channels(ctx, n, x, order);
    ctx.emit("tfl.DEPTH_TO_SPACE", n, {x}, {y})->attrs["block_size"] = b;
  } else {
    Value* s = crd ? ctx.temp(n, out->dtype, out_cl, "dcr") : y;
    ctx.emit("tfl.SPACE_TO_DEPTH", n, {x}, {s})->attrs["block_size"] = b;
    if (crd) {  // output channel c·b² + ij reads DCR channel ij·C + c: the inverse order
      const std::vector<int64_t> fwd = crd_of_dcr(b, n.inputs[0]->shape[1]);
      std::vector<int64_t> inv(fwd.size());
      for (size_t k = 0; k < fwd.size(); ++k) inv[static_cast<size_t>(fwd[k])] = static_cast<int64_t>(k);
      gather_channels(ctx, n, s, inv, y);
    }
  }
  ctx.from_channels_last(n, y, out);
  return Status::ok();
}

}  // namespace

void register_depth_space(Registry& r) {
  r.add("DepthToSpace", {infer_depth_space, nullptr, lower_depth_space});
  r.add("SpaceToDepth", {infer_depth_space, nullptr, lower_depth_space});
}

}  // namespace pt2tflite::lower
