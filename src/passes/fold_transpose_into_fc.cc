// Before: t = TRANSPOSE(x, P);  f = RESHAPE(t, [N, K]);  y = FULLY_CONNECTED(f, W, b)
//         — PyTorch's flatten of an NCHW feature map, with x the NHWC map
// After:  f = RESHAPE(x, [N, K]);  y = FULLY_CONNECTED(f, W', b)
//         where W' permutes W's input columns: column k of W' is column perm(k) of W.
// The classic NHWC bug is flattening in the wrong order; folding the order into the
// weights instead keeps results exact and removes the transpose.
// Conditions: P keeps axis 0 (the batch), the reshape keeps axis 0 and collapses the rest,
// W is constant [units, K], and t and f have no other readers.
#include <cstring>

#include "passes/passes.h"

namespace pt2tflite::passes {

Status fold_transpose_into_fc(ir::Graph& g) {
  ir::Uses uses(g);
  for (ir::Node* fc : g.node_list()) {
    if (fc->op != "tfl.FULLY_CONNECTED" || fc->get_int("keep_num_dims", 0) || ir::has_dynamic_shape(*fc)) continue;
    ir::Value* f = fc->inputs[0];
    ir::Node* reshape = uses.producer(f);
    if (!reshape || reshape->op != "tfl.RESHAPE" || uses.single_user(f) != fc) continue;
    ir::Value* t = reshape->inputs[0];
    ir::Node* tr = uses.producer(t);
    if (!tr || tr->op != "tfl.TRANSPOSE" || uses.single_user(t) != reshape || !tr->inputs[1]->is_const() ||
        ir::has_dynamic_shape(*tr))
      continue;
    const auto perm = tr->inputs[1]->data->to_int64s();
    const ir::Shape& ts = t->shape;
    if (perm.empty() || perm[0] != 0 || f->shape.size() != 2 || f->shape[0] != ts[0]) continue;
    ir::Value* w = fc->input(1);
    if (!w || !w->is_const() || w->shape.size() != 2 || w->shape[1] != f->shape[1]) continue;

    // Flat index k in t (row-major over ts[1:]) reads element src(k) of x's flattening.
    const ir::Shape& xs = tr->inputs[0]->shape;
    const size_t r = ts.size();
    std::vector<int64_t> x_strides(r, 1);
    for (int i = static_cast<int>(r) - 2; i >= 0; --i) x_strides[i] = x_strides[i + 1] * xs[i + 1];
    const int64_t k_total = f->shape[1];
    std::vector<int64_t> src(static_cast<size_t>(k_total));
    std::vector<int64_t> idx(r, 0);
    for (int64_t k = 0; k < k_total; ++k) {
      int64_t s = 0;
      for (size_t d = 1; d < r; ++d) s += idx[d] * x_strides[perm[d]];
      src[k] = s;
      for (int d = static_cast<int>(r) - 1; d >= 1; --d) {
        if (++idx[d] < ts[d]) break;
        idx[d] = 0;
      }
    }
    // y = f·Wᵀ with f[k] = xflat[src(k)]  ⇒  W'[:, src(k)] = W[:, k].
    const ir::Tensor& wt = *w->data;
    const int64_t units = wt.shape[0];
    const size_t elem = ir::dtype_size(wt.dtype);
    ir::Tensor nw = wt;
    for (int64_t u = 0; u < units; ++u)
      for (int64_t k = 0; k < k_total; ++k)
        std::memcpy(nw.bytes.data() + (u * k_total + src[k]) * elem, wt.bytes.data() + (u * k_total + k) * elem, elem);
    fc->inputs[1] = g.add_const(w->name + "/nhwc", std::move(nw));
    reshape->inputs[0] = tr->inputs[0];
    uses = ir::Uses(g);
  }
  g.remove_dead();
  return Status::ok();
}

}  // namespace pt2tflite::passes
