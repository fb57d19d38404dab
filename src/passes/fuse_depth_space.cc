// Before: a pixel (un)shuffle spelled as Reshape → 6-D Transpose → Reshape on [N, C, H, W]
//   (both torch exporters write F.pixel_unshuffle this way; hand-written models also write
//   pixel_shuffle so), with b the block size:
//     [N, C, H/b, b, W/b, b]  perm [0,1,3,5,2,4]  → [N, C·b², H/b, W/b]   pixel_unshuffle
//     [N, C, H/b, b, W/b, b]  perm [0,3,5,1,2,4]  → [N, b²·C, H/b, W/b]   ONNX SpaceToDepth
//     [N, C, b, b, H, W]      perm [0,1,4,2,5,3]  → [N, C, H·b, W·b]       pixel_shuffle (CRD)
//     [N, b, b, C, H, W]      perm [0,3,4,1,5,2]  → [N, C, H·b, W·b]       DepthToSpace DCR
// After: one onnx.SpaceToDepth / onnx.DepthToSpace with blocksize b and mode DCR or CRD
//   (mode on SpaceToDepth is pt2tflite's own attribute: ONNX's SpaceToDepth is DCR only).
//   A 6-D transpose has no NHWC form that the layout pass could cancel; DEPTH_TO_SPACE /
//   SPACE_TO_DEPTH work on NHWC directly (lower/depth_space.cc).
// Conditions: static shapes (runs after infer_shapes_and_fold); the 6-D intermediates are
// read only inside the pattern and are not graph outputs.
#include "passes/passes.h"

namespace pt2tflite::passes {

namespace {

using ir::Node;
using ir::Shape;
using ir::Value;

struct Pattern {
  const char* op;
  const char* mode;
  bool to_space;          // DepthToSpace: the block sits on the channel side of the 6-D shape
  bool block_first;       // the 6-D shape puts the block before the channels ([N,b,b,C,H,W])
  std::vector<int64_t> perm;
};

const std::vector<Pattern>& patterns() {
  static const std::vector<Pattern> p = {
      {"onnx.SpaceToDepth", "CRD", false, false, {0, 1, 3, 5, 2, 4}},
      {"onnx.SpaceToDepth", "DCR", false, false, {0, 3, 5, 1, 2, 4}},
      {"onnx.DepthToSpace", "CRD", true, false, {0, 1, 4, 2, 5, 3}},
      {"onnx.DepthToSpace", "DCR", true, true, {0, 3, 4, 1, 5, 2}},
  };
  return p;
}

// The block size when x → six → out is this pattern's reshape pair; 0 otherwise.
int64_t block_size(const Pattern& p, const Shape& x, const Shape& six, const Shape& out) {
  if (x.size() != 4 || six.size() != 6 || out.size() != 4) return 0;
  const int64_t n = x[0], c = x[1], h = x[2], w = x[3];
  int64_t b = 0;
  Shape want6, want_out;
  if (!p.to_space) {
    b = six[3];
    if (b < 1 || h % b || w % b) return 0;
    want6 = {n, c, h / b, b, w / b, b};
    want_out = {n, c * b * b, h / b, w / b};
  } else {
    b = p.block_first ? six[1] : six[2];
    if (b < 1 || c % (b * b)) return 0;
    const int64_t co = c / (b * b);
    want6 = p.block_first ? Shape{n, b, b, co, h, w} : Shape{n, co, b, b, h, w};
    want_out = {n, co, h * b, w * b};
  }
  return six == want6 && out == want_out && b > 1 ? b : 0;
}

}  // namespace

Status fuse_depth_space(ir::Graph& g) {
  struct Match {
    Node *first, *transpose, *last;
    const Pattern* pattern;
    int64_t block;
  };
  std::vector<Match> matches;
  {
    ir::Uses uses(g);
    for (Node* t : g.node_list()) {
      if (t->op != "onnx.Transpose" || t->inputs.empty() || !t->inputs[0]) continue;
      Node* first = uses.single_user(t->inputs[0]) == t ? uses.producer(t->inputs[0]) : nullptr;
      Node* last = uses.single_user(t->outputs[0]);
      if (!first || !last || first->op != "onnx.Reshape" || last->op != "onnx.Reshape") continue;
      if (!first->inputs[0] || last->inputs[0] != t->outputs[0]) continue;
      if (ir::has_dynamic_shape(*first) || ir::has_dynamic_shape(*t) || ir::has_dynamic_shape(*last)) continue;
      const std::vector<int64_t> perm = t->get_ints("perm");
      for (const Pattern& p : patterns()) {
        if (perm != p.perm) continue;
        const int64_t b = block_size(p, first->inputs[0]->shape, t->inputs[0]->shape, last->outputs[0]->shape);
        if (b) matches.push_back({first, t, last, &p, b});
      }
    }
  }
  for (const Match& m : matches) {
    Value* x = m.first->inputs[0];
    Value* y = m.last->outputs[0];
    const std::string name = m.last->name;
    const int opset = m.transpose->opset;
    for (Node* p : {m.first, m.transpose, m.last}) g.remove_node(p);
    Node* n = g.add_node(m.pattern->op, name, {x}, {y});
    n->attrs["blocksize"] = m.block;
    n->attrs["mode"] = std::string(m.pattern->mode);
    n->opset = opset;
  }
  if (!matches.empty()) g.toposort();
  return Status::ok();
}

}  // namespace pt2tflite::passes
