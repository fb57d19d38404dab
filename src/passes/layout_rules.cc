#include "passes/layout_rules.h"

#include <algorithm>
#include <optional>
#include <set>

namespace pt2tflite::passes {

namespace {

const std::set<std::string>& elementwise_unary() {
  static const std::set<std::string> s = {
      "tfl.RELU", "tfl.RELU6", "tfl.RELU_N1_TO_1", "tfl.LOGISTIC", "tfl.TANH", "tfl.ELU", "tfl.HARD_SWISH",
      "tfl.GELU", "tfl.LEAKY_RELU", "tfl.EXP", "tfl.LOG", "tfl.SQRT", "tfl.RSQRT", "tfl.NEG", "tfl.ABS",
      "tfl.FLOOR", "tfl.CEIL", "tfl.ROUND", "tfl.SIN", "tfl.COS", "tfl.SQUARE", "tfl.SIGN", "tfl.CAST",
      "tfl.LOGICAL_NOT", "tfl.DEQUANTIZE", "tfl.QUANTIZE", "tfl.ZEROS_LIKE"};
  return s;
}

const std::set<std::string>& elementwise_nary() {
  static const std::set<std::string> s = {
      "tfl.ADD", "tfl.SUB", "tfl.MUL", "tfl.DIV", "tfl.POW", "tfl.MAXIMUM", "tfl.MINIMUM", "tfl.SQUARED_DIFFERENCE",
      "tfl.PRELU", "tfl.EQUAL", "tfl.NOT_EQUAL", "tfl.LESS", "tfl.LESS_EQUAL", "tfl.GREATER", "tfl.GREATER_EQUAL",
      "tfl.LOGICAL_AND", "tfl.LOGICAL_OR", "tfl.FLOOR_DIV", "tfl.FLOOR_MOD", "tfl.SELECT_V2", "tfl.ATAN2",
      "tfl.BITWISE_XOR", "tfl.RIGHT_SHIFT"};
  return s;
}

bool const_input(const ir::Node& n, size_t i) { return i < n.inputs.size() && n.inputs[i] && n.inputs[i]->is_const(); }

// Replaces input i by an INT32 constant with these values and shape.
void set_const_input(ir::Graph& g, ir::Node& n, size_t i, const std::vector<int64_t>& values, ir::Shape shape) {
  n.inputs[i] = g.add_const(n.name + "/remapped", ir::Tensor::from_int64s(ir::DType::kInt32, std::move(shape), values));
}

int64_t norm_axis(int64_t a, size_t rank) { return a < 0 ? a + static_cast<int64_t>(rank) : a; }

// The permutation left on the other axes when `removed_y` (axes of y = transpose(x, perm))
// disappear from the result: the survivors keep their relative order in x.
std::vector<int64_t> perm_without_axes(const std::vector<int64_t>& perm, const std::set<int64_t>& removed_y) {
  std::vector<int64_t> kept_x;
  for (size_t d = 0; d < perm.size(); ++d) {
    const bool removed = std::any_of(removed_y.begin(), removed_y.end(),
                                     [&](int64_t a) { return perm[a] == static_cast<int64_t>(d); });
    if (!removed) kept_x.push_back(static_cast<int64_t>(d));
  }
  std::vector<int64_t> q;
  for (size_t j = 0; j < perm.size(); ++j) {
    if (removed_y.count(static_cast<int64_t>(j))) continue;
    q.push_back(std::find(kept_x.begin(), kept_x.end(), perm[j]) - kept_x.begin());
  }
  return q;
}

// Reduction: axes a → perm[a]. With keep_dims the output keeps the permutation; without,
// the surviving axes keep their relative order in x, which gives the output permutation.
bool remap_reduce(ir::Graph& g, ir::Node& n, const std::vector<int64_t>& perm, std::vector<std::vector<int64_t>>* out) {
  if (!const_input(n, 1)) return false;
  const size_t r = perm.size();
  std::set<int64_t> axes_y;
  for (int64_t a : n.inputs[1]->data->to_int64s()) axes_y.insert(norm_axis(a, r));
  std::vector<int64_t> axes_x;
  for (int64_t a : axes_y) axes_x.push_back(perm[a]);
  std::sort(axes_x.begin(), axes_x.end());
  set_const_input(g, n, 1, axes_x, {static_cast<int64_t>(axes_x.size())});
  if (n.get_int("keep_dims", 0)) {
    out->push_back(perm);
    return true;
  }
  out->push_back(perm_without_axes(perm, axes_y));
  return true;
}

// Per-axis [rank, 2] tables (PAD paddings): row a of y is row perm[a] of x.
bool remap_rows(ir::Graph& g, ir::Node& n, size_t input, const std::vector<int64_t>& perm) {
  if (!const_input(n, input)) return false;
  auto v = n.inputs[input]->data->to_int64s();
  const size_t r = perm.size();
  if (v.size() % r != 0) return false;
  const size_t cols = v.size() / r;
  std::vector<int64_t> out(v.size());
  for (size_t a = 0; a < r; ++a)
    for (size_t c = 0; c < cols; ++c) out[perm[a] * cols + c] = v[a * cols + c];
  set_const_input(g, n, input, out, n.inputs[input]->shape);
  return true;
}

// The axes a RESHAPE of y into z regroups: consecutive runs of y's non-unit axes whose
// product is one run of z's non-unit axes (unit axes belong to no block). Empty when the
// shapes do not line up that way (cannot happen for a valid reshape, but checked).
struct ReshapeBlock {
  std::vector<size_t> y_axes, z_axes;
};

std::optional<std::vector<ReshapeBlock>> reshape_blocks(const ir::Shape& y, const ir::Shape& z) {
  std::vector<size_t> ys, zs;  // non-unit axes
  for (size_t i = 0; i < y.size(); ++i)
    if (y[i] != 1) ys.push_back(i);
  for (size_t j = 0; j < z.size(); ++j)
    if (z[j] != 1) zs.push_back(j);
  std::vector<ReshapeBlock> blocks;
  size_t i = 0, j = 0;
  while (i < ys.size() || j < zs.size()) {
    if (i >= ys.size() || j >= zs.size()) return std::nullopt;
    ReshapeBlock b;
    int64_t py = y[ys[i]], pz = z[zs[j]];
    b.y_axes.push_back(ys[i++]);
    b.z_axes.push_back(zs[j++]);
    while (py != pz) {
      if (py < pz) {
        if (i >= ys.size()) return std::nullopt;
        py *= y[ys[i]];
        b.y_axes.push_back(ys[i++]);
      } else {
        if (j >= zs.size()) return std::nullopt;
        pz *= z[zs[j]];
        b.z_axes.push_back(zs[j++]);
      }
    }
    blocks.push_back(b);
  }
  return blocks;
}

// Each non-unit axis of x = transpose(y, inverse(perm)) numbered in order (-1 for unit axes).
std::vector<int64_t> rank_among_non_unit(const ir::Shape& y, const std::vector<int64_t>& perm) {
  ir::Shape x_shape = ir::permute(y, ir::inverse_permutation(perm));
  std::vector<int64_t> rank(x_shape.size(), -1);
  int64_t k = 0;
  for (size_t a = 0; a < x_shape.size(); ++a)
    if (x_shape[a] != 1) rank[a] = k++;
  return rank;
}

// RESHAPE of y = transpose(x, P) commutes when it only regroups axes that stay adjacent
// and in order in x — the "permuted axes survive" case: inserting/removing 1s, merging
// [N,C,H,W] → [N,C,H*W] (H,W adjacent in NHWC too), splitting channels. Then
// reshape(y) = transpose(reshape(x, w), q), and the reshape moves above the transpose.
bool reshape_through(const ir::Shape& y, const ir::Shape& z, const std::vector<int64_t>& perm, ir::Shape* w_out,
                     std::vector<int64_t>* q_out) {
  const auto blocks = reshape_blocks(y, z);
  if (!blocks || y.size() != perm.size()) return false;
  // y axis i is x axis perm[i]; a block's x axes must be consecutive and in the same order.
  const std::vector<int64_t> rank_in_x = rank_among_non_unit(y, perm);
  for (const ReshapeBlock& b : *blocks)
    for (size_t t = 1; t < b.y_axes.size(); ++t)
      if (rank_in_x[perm[b.y_axes[t]]] != rank_in_x[perm[b.y_axes[t - 1]]] + 1) return false;
  // w: z's unit axes where they are; z's other axes regrouped block by block in x order.
  std::vector<size_t> order(blocks->size());
  for (size_t b = 0; b < blocks->size(); ++b) order[b] = b;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return rank_in_x[perm[(*blocks)[a].y_axes[0]]] < rank_in_x[perm[(*blocks)[b].y_axes[0]]];
  });
  std::vector<size_t> zs;
  for (size_t j = 0; j < z.size(); ++j)
    if (z[j] != 1) zs.push_back(j);
  ir::Shape w(z.size(), 1);
  std::vector<int64_t> q(z.size());
  for (size_t jj = 0; jj < z.size(); ++jj) q[jj] = static_cast<int64_t>(jj);
  size_t slot = 0;
  for (size_t b : order)
    for (size_t za : (*blocks)[b].z_axes) {
      const size_t pos = zs[slot++];
      w[pos] = z[za];
      q[za] = static_cast<int64_t>(pos);
    }
  *w_out = std::move(w);
  *q_out = std::move(q);
  return true;
}

bool remap_reshape(ir::Graph& g, ir::Node& n, const std::vector<int64_t>& perm, std::vector<std::vector<int64_t>>* out) {
  ir::Shape w;
  std::vector<int64_t> q;
  if (!reshape_through(n.inputs[0]->shape, n.outputs[0]->shape, perm, &w, &q)) return false;
  n.inputs[1] = g.add_const(n.name + "/remapped",
                            ir::Tensor::from_int64s(ir::DType::kInt32, {static_cast<int64_t>(w.size())}, w));
  out->push_back(q);
  return true;
}

// GATHER_ND with constant full coordinates over a grid of the data's rank (GatherElements):
// z[i] = y[c[i]] with y = transpose(x, P) is x[c'[i]], c' = c with its columns moved to x's
// axes; with the grid itself transposed by P's inverse the result is z in x's layout, so the
// permutation travels on past the op.
// SCATTER_ND(c, updates, shape) likewise, the permuted updates being the grid: the same
// coordinate rewrite, and the output shape in x's layout.
bool remap_full_coords(ir::Graph& g, ir::Node& n, size_t coords_input, const std::vector<int64_t>& perm,
                       std::vector<std::vector<int64_t>>* out) {
  const size_t r = perm.size();
  if (!const_input(n, coords_input)) return false;
  const ir::Tensor& c = *n.inputs[coords_input]->data;
  if (c.shape.size() != r + 1 || c.shape.back() != static_cast<int64_t>(r)) return false;
  const std::vector<int64_t> v = c.to_int64s();
  std::vector<int64_t> moved(v.size());
  for (size_t e = 0; e < v.size() / r; ++e)
    for (size_t a = 0; a < r; ++a) moved[e * r + perm[a]] = v[e * r + a];
  std::vector<int64_t> grid_perm = ir::inverse_permutation(perm);
  grid_perm.push_back(static_cast<int64_t>(r));
  n.inputs[coords_input] = g.add_const(
      n.name + "/remapped", ir::transpose(ir::Tensor::from_int64s(ir::DType::kInt32, c.shape, moved), grid_perm));
  out->push_back(perm);
  return true;
}

int remap_mask(int mask, const std::vector<int64_t>& perm) {
  int out = 0;
  for (size_t a = 0; a < perm.size(); ++a)
    if (mask & (1 << a)) out |= 1 << perm[a];
  return out;
}

// Ops that apply the same map to every position's last-axis vector: FULLY_CONNECTED that
// keeps the leading axes, and a 1x1, stride-1 CONV_2D (padding cannot matter for 1x1). A
// permutation of the other axes passes through them, as through SOFTMAX.
bool pointwise_on_last_axis(const ir::Node& n) {
  if (n.op == "tfl.FULLY_CONNECTED") return n.get_int("keep_num_dims", 0) != 0;
  if (n.op != "tfl.CONV_2D" || !n.input(1) || n.inputs[1]->shape.size() != 4) return false;
  const ir::Shape& w = n.inputs[1]->shape;  // OHWI
  return w[1] == 1 && w[2] == 1 && n.get_int("stride_h", 1) == 1 && n.get_int("stride_w", 1) == 1;
}

}  // namespace

bool moves_only_unit_axes(const ir::Shape& in, const std::vector<int64_t>& perm) {
  int64_t last = -1;
  for (int64_t a : perm) {
    if (in[a] == 1) continue;
    if (a < last) return false;
    last = a;
  }
  return true;
}

bool split_for_reshape(const ir::Node& reshape, const std::vector<int64_t>& perm, std::vector<int64_t>* inner,
                       std::vector<int64_t>* outer) {
  if (reshape.op != "tfl.RESHAPE" || !reshape.input(0)) return false;
  const ir::Shape& y = reshape.inputs[0]->shape;
  const auto blocks = reshape_blocks(y, reshape.outputs[0]->shape);
  if (!blocks || y.size() != perm.size()) return false;
  // x' lists x's axes in order, except that the first axis of each block brings the whole
  // block along, in y's order; unit axes stay where they are.
  std::vector<int> block_of_x(perm.size(), -1);
  for (size_t b = 0; b < blocks->size(); ++b)
    for (size_t ya : (*blocks)[b].y_axes) block_of_x[perm[ya]] = static_cast<int>(b);
  std::vector<bool> emitted(blocks->size(), false);
  inner->clear();
  for (size_t d = 0; d < perm.size(); ++d) {
    const int b = block_of_x[d];
    if (b < 0) {
      inner->push_back(static_cast<int64_t>(d));
    } else if (!emitted[b]) {
      emitted[b] = true;
      for (size_t ya : (*blocks)[b].y_axes) inner->push_back(perm[ya]);
    }
  }
  const std::vector<int64_t> inv_inner = ir::inverse_permutation(*inner);
  outer->assign(perm.size(), 0);
  for (size_t j = 0; j < perm.size(); ++j) (*outer)[j] = inv_inner[perm[j]];
  const ir::Shape x_shape = ir::permute(y, ir::inverse_permutation(perm));
  // Worth it only if both halves move data: otherwise the reshape already commutes or
  // nothing would be left to sink.
  return !moves_only_unit_axes(x_shape, *inner) && !moves_only_unit_axes(ir::permute(x_shape, *inner), *outer);
}

LayoutRule layout_rule(const ir::Node& n) {
  if (ir::has_dynamic_shape(n)) return {};  // the axis bookkeeping below needs every extent
  if (elementwise_unary().count(n.op)) return {LayoutKind::kElementwise, {0}};
  if (elementwise_nary().count(n.op)) {
    LayoutRule r{LayoutKind::kElementwise, {}};
    for (size_t i = 0; i < n.inputs.size(); ++i) r.data_inputs.push_back(i);
    return r;
  }
  if (n.op == "tfl.CONCATENATION") {
    LayoutRule r{LayoutKind::kAxes, {}};
    for (size_t i = 0; i < n.inputs.size(); ++i) r.data_inputs.push_back(i);
    return r;
  }
  if (n.op == "tfl.MEAN" || n.op == "tfl.SUM" || n.op == "tfl.REDUCE_MAX" || n.op == "tfl.REDUCE_MIN" ||
      n.op == "tfl.REDUCE_PROD" || n.op == "tfl.PAD" || n.op == "tfl.PADV2" || n.op == "tfl.MIRROR_PAD" ||
      n.op == "tfl.SOFTMAX" || n.op == "tfl.LOG_SOFTMAX" || n.op == "tfl.STRIDED_SLICE" || n.op == "tfl.SLICE" ||
      n.op == "tfl.TILE" || n.op == "tfl.GATHER" || n.op == "tfl.BROADCAST_TO")
    return {LayoutKind::kAxes, {0}};
  if (pointwise_on_last_axis(n)) return {LayoutKind::kAxes, {0}};
  if (n.op == "tfl.ARG_MAX" || n.op == "tfl.ARG_MIN" || n.op == "tfl.CUMSUM" || n.op == "tfl.REVERSE_V2" ||
      n.op == "tfl.TOPK_V2" || n.op == "tfl.GATHER_ND")
    return {LayoutKind::kAxes, {0}};
  if (n.op == "tfl.SCATTER_ND") return {LayoutKind::kAxes, {1}};  // (coordinates, updates, shape)
  if (n.op == "tfl.SPLIT") return {LayoutKind::kAxes, {1}};
  if (n.op == "tfl.RESHAPE") return {LayoutKind::kAxes, {0}};
  if (n.op == "tfl.SPLIT_V") return {LayoutKind::kAxes, {0}};
  return {};
}

bool reshape_output_perm(const ir::Node& n, const std::vector<int64_t>& perm, std::vector<int64_t>* q) {
  ir::Shape w;
  return n.op == "tfl.RESHAPE" && n.input(0) && reshape_through(n.inputs[0]->shape, n.outputs[0]->shape, perm, &w, q);
}

bool may_commute(const ir::Node& n, const std::vector<int64_t>& perm) {
  const LayoutRule rule = layout_rule(n);
  if (rule.kind == LayoutKind::kBarrier) return false;
  const bool last_axis_only = n.op == "tfl.SOFTMAX" || n.op == "tfl.LOG_SOFTMAX" || pointwise_on_last_axis(n);
  return !last_axis_only || (!perm.empty() && perm.back() == static_cast<int64_t>(perm.size() - 1));
}

bool remap_axes(ir::Graph& g, ir::Node& n, const std::vector<int64_t>& perm,
                std::vector<std::vector<int64_t>>* out_perms) {
  const size_t r = perm.size();
  out_perms->clear();
  if (n.op == "tfl.SOFTMAX" || n.op == "tfl.LOG_SOFTMAX" || pointwise_on_last_axis(n)) {
    if (perm[r - 1] != static_cast<int64_t>(r - 1)) return false;  // they work on the last axis only
    out_perms->push_back(perm);
    return true;
  }
  if (n.op == "tfl.CONCATENATION") {
    n.attrs["axis"] = perm[norm_axis(n.get_int("axis", 0), r)];
    out_perms->push_back(perm);
    return true;
  }
  if (n.op == "tfl.MEAN" || n.op == "tfl.SUM" || n.op == "tfl.REDUCE_MAX" || n.op == "tfl.REDUCE_MIN" ||
      n.op == "tfl.REDUCE_PROD")
    return remap_reduce(g, n, perm, out_perms);
  if (n.op == "tfl.PAD" || n.op == "tfl.PADV2" || n.op == "tfl.MIRROR_PAD") {
    if (!remap_rows(g, n, 1, perm)) return false;
    out_perms->push_back(perm);
    return true;
  }
  if (n.op == "tfl.TILE" || n.op == "tfl.SLICE") {
    for (size_t i = 1; i < n.inputs.size(); ++i)
      if (!const_input(n, i)) return false;
    for (size_t i = 1; i < n.inputs.size(); ++i) remap_rows(g, n, i, perm);
    out_perms->push_back(perm);
    return true;
  }
  if (n.op == "tfl.RESHAPE") return remap_reshape(g, n, perm, out_perms);
  if (n.op == "tfl.BROADCAST_TO") {
    // The target shape is one entry per axis, like TILE's multiples, if no axis is added.
    if (!const_input(n, 1) || n.inputs[0]->shape.size() != r || n.inputs[1]->data->size() != static_cast<int64_t>(r))
      return false;
    remap_rows(g, n, 1, perm);
    out_perms->push_back(perm);
    return true;
  }
  if (n.op == "tfl.STRIDED_SLICE") {
    if (n.get_int("ellipsis_mask", 0) || n.get_int("new_axis_mask", 0) || n.get_int("shrink_axis_mask", 0)) return false;
    for (size_t i = 1; i < 4; ++i)
      if (!const_input(n, i)) return false;
    for (size_t i = 1; i < 4; ++i) remap_rows(g, n, i, perm);
    n.attrs["begin_mask"] = static_cast<int64_t>(remap_mask(static_cast<int>(n.get_int("begin_mask", 0)), perm));
    n.attrs["end_mask"] = static_cast<int64_t>(remap_mask(static_cast<int>(n.get_int("end_mask", 0)), perm));
    out_perms->push_back(perm);
    return true;
  }
  if (n.op == "tfl.GATHER") {
    // 1-D indices keep the rank (and the permutation); a scalar index drops the axis.
    if (!n.input(1) || n.inputs[1]->shape.size() > 1 || n.get_int("batch_dims", 0) != 0) return false;
    const int64_t axis = norm_axis(n.get_int("axis", 0), r);
    n.attrs["axis"] = perm[axis];
    out_perms->push_back(n.inputs[1]->shape.empty() ? perm_without_axes(perm, {axis}) : perm);
    return true;
  }
  if (n.op == "tfl.ARG_MAX" || n.op == "tfl.ARG_MIN") {
    // The reduced axis disappears; the others keep their order.
    if (!const_input(n, 1) || n.inputs[1]->data->size() != 1) return false;
    const int64_t a = norm_axis(n.inputs[1]->data->to_int64s()[0], r);
    set_const_input(g, n, 1, {perm[a]}, n.inputs[1]->shape);
    out_perms->push_back(perm_without_axes(perm, {a}));
    return true;
  }
  if (n.op == "tfl.CUMSUM" || n.op == "tfl.REVERSE_V2") {
    if (!const_input(n, 1) || n.inputs[1]->data->size() != 1) return false;
    const int64_t a = norm_axis(n.inputs[1]->data->to_int64s()[0], r);
    set_const_input(g, n, 1, {perm[a]}, n.inputs[1]->shape);
    out_perms->push_back(perm);
    return true;
  }
  if (n.op == "tfl.TOPK_V2") {  // works on the last axis, which must stay last
    if (perm[r - 1] != static_cast<int64_t>(r - 1)) return false;
    out_perms->assign(2, perm);
    return true;
  }
  if (n.op == "tfl.GATHER_ND") return remap_full_coords(g, n, 1, perm, out_perms);
  if (n.op == "tfl.SCATTER_ND") {
    if (!const_input(n, 0) || !const_input(n, 2) || n.inputs[2]->data->size() != static_cast<int64_t>(r)) return false;
    const ir::Shape shape = ir::permute(n.inputs[2]->data->to_int64s(), ir::inverse_permutation(perm));
    if (!remap_full_coords(g, n, 0, perm, out_perms)) return false;
    set_const_input(g, n, 2, shape, n.inputs[2]->shape);
    return true;
  }
  if (n.op == "tfl.SPLIT" || n.op == "tfl.SPLIT_V") {
    const size_t axis_input = n.op == "tfl.SPLIT" ? 0 : 2;
    if (!const_input(n, axis_input)) return false;
    const int64_t a = norm_axis(n.inputs[axis_input]->data->to_int64s()[0], r);
    n.inputs[axis_input] = g.add_const(n.name + "/axis", ir::Tensor::from_int64s(ir::DType::kInt32, {}, {perm[a]}));
    for (size_t i = 0; i < n.outputs.size(); ++i) out_perms->push_back(perm);
    return true;
  }
  return false;
}

}  // namespace pt2tflite::passes
