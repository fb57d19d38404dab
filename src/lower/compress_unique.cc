// Ops whose output shape depends on input values: Compress and Unique. A .tflite has static
// shapes, so both need the values that decide the shape at conversion time.
//   Compress(input, condition, axis?): keeps the slices along `axis` (the flattened input
//     without it) whose condition is true. A constant condition → GATHER with the constant
//     indices of the true entries (a condition shorter than the axis counts as false beyond
//     its end). A run-time condition is refused: the output length would be data-dependent.
//   Unique(X, sorted, axis?): folds on a constant X (all four outputs); otherwise it has no
//     lowering and is named in the unsupported-op report (as NonZero is).
#include <algorithm>
#include <map>

#include "lower/context.h"
#include "lower/eval_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

// --- Compress ---

struct Compress {
  bool flatten = false;  // no axis: select from the flattened input
  int64_t axis = 0;
  std::vector<int64_t> keep;  // indices along the axis
};

Result<Compress> compress_params(const Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs input and condition");
  const Value* x = n.inputs[0];
  const Value* c = n.inputs[1];
  Compress p;
  p.flatten = !n.has("axis");
  if (!p.flatten) {
    PT_ASSIGN_OR_RETURN(p.axis, axis_attr(n, x->shape.size(), 0));
  }
  const int64_t extent = p.flatten ? ir::num_elements(x->shape) : x->shape[p.axis];
  NODE_UNSUPPORTED_IF(n, !c->is_const(),
                      "condition (input '" + c->name + "') is computed at run time: the output's length would "
                      "depend on its values, and a .tflite needs static shapes; make it a constant");
  const std::vector<double> cond = c->data->to_doubles();
  NODE_CHECK(n, c->shape.size() == 1, "condition must be 1-D");
  NODE_CHECK(n, static_cast<int64_t>(cond.size()) <= extent, "condition is longer than the selected axis");
  for (size_t i = 0; i < cond.size(); ++i)
    if (cond[i] != 0) p.keep.push_back(static_cast<int64_t>(i));
  return p;
}

Status infer_compress(Node& n) {
  PT_ASSIGN_OR_RETURN(Compress p, compress_params(n));
  Shape s = p.flatten ? Shape{0} : n.inputs[0]->shape;
  s[p.flatten ? 0 : p.axis] = static_cast<int64_t>(p.keep.size());
  set_output(n, 0, n.inputs[0]->dtype, s);
  return Status::ok();
}

Result<std::vector<Tensor>> fold_compress(const Node& n) {
  PT_ASSIGN_OR_RETURN(Compress p, compress_params(n));
  Tensor t = *n.inputs[0]->data;
  if (p.flatten) t.shape = {t.size()};
  return std::vector<Tensor>{gather_axis(t, static_cast<size_t>(p.axis), p.keep)};
}

Status lower_compress(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Compress p, compress_params(n));
  NODE_UNSUPPORTED_IF(n, p.keep.empty(), "the condition selects nothing: an empty output tensor");
  Value* x = n.inputs[0];
  if (p.flatten) x = ctx.reshape(n, x, {ir::num_elements(x->shape)});
  ctx.emit("tfl.GATHER", n, {x, ctx.const_int32(n, "kept", p.keep)}, {n.outputs[0]})->attrs["axis"] = p.axis;
  return Status::ok();
}

// --- Unique ---

struct Unique {
  Tensor y;
  std::vector<int64_t> first, inverse, counts;
  int64_t axis = 0;
};

// Slices along `axis` compared by value (exact: int64 for integers, double for floats).
template <typename T>
Unique unique_by(const Tensor& t, int64_t axis, const std::vector<T>& v, bool sorted) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= t.shape[d];
  for (size_t d = axis + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
  const int64_t extent = t.shape[axis];
  std::vector<std::vector<T>> keys(extent);
  for (int64_t k = 0; k < extent; ++k)
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) keys[k].push_back(v[(o * extent + k) * inner + i]);
  std::map<std::vector<T>, int64_t> first_of;  // key → first slice index
  std::vector<int64_t> order;                  // first slice index of each unique key, output order
  for (int64_t k = 0; k < extent; ++k)
    if (first_of.emplace(keys[k], k).second) order.push_back(k);
  if (sorted) {
    order.clear();
    for (const auto& [key, k] : first_of) order.push_back(k);
  }
  std::map<std::vector<T>, int64_t> position;
  for (size_t u = 0; u < order.size(); ++u) position[keys[order[u]]] = static_cast<int64_t>(u);
  Unique r;
  r.axis = axis;
  r.first = order;
  r.counts.assign(order.size(), 0);
  for (int64_t k = 0; k < extent; ++k) {
    const int64_t u = position[keys[k]];
    r.inverse.push_back(u);
    ++r.counts[u];
  }
  r.y = gather_axis(t, static_cast<size_t>(axis), order);
  return r;
}

Result<Unique> unique_of(const Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  const Value* x = n.inputs[0];
  NODE_UNSUPPORTED_IF(n, !x->is_const(),
                      "input '" + x->name + "' is computed at run time: Unique's output length depends on its "
                      "values, and a .tflite needs static shapes (only a constant input is folded)");
  Tensor t = *x->data;
  int64_t axis = 0;
  if (n.has("axis")) {
    PT_ASSIGN_OR_RETURN(axis, axis_attr(n, t.shape.size(), 0));
  } else {
    t.shape = {t.size()};
  }
  const bool sorted = n.get_int("sorted", 1) != 0;
  if (ir::is_float(t.dtype)) return unique_by(t, axis, t.to_doubles(), sorted);
  return unique_by(t, axis, t.to_int64s(), sorted);
}

Status infer_unique(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  if (!n.inputs[0]->is_const()) {  // lengths unknown: left unlowered, named in the unsupported-op report
    const Value* x = n.inputs[0];
    Shape y{-1};
    int64_t slices = ir::num_elements(x->shape);
    if (n.has("axis")) {
      PT_ASSIGN_OR_RETURN(int64_t axis, axis_attr(n, x->shape.size(), 0));
      y = x->shape;
      y[axis] = -1;
      slices = x->shape[axis];
    }
    set_output(n, 0, x->dtype, y);
    set_output(n, 1, DType::kInt64, {-1});
    set_output(n, 2, DType::kInt64, {slices});
    set_output(n, 3, DType::kInt64, {-1});
    return Status::ok();
  }
  PT_ASSIGN_OR_RETURN(Unique u, unique_of(n));
  set_output(n, 0, u.y.dtype, u.y.shape);
  const int64_t count = static_cast<int64_t>(u.first.size());
  set_output(n, 1, DType::kInt64, {count});
  set_output(n, 2, DType::kInt64, {static_cast<int64_t>(u.inverse.size())});
  set_output(n, 3, DType::kInt64, {count});
  return Status::ok();
}

Result<std::vector<Tensor>> fold_unique(const Node& n) {
  PT_ASSIGN_OR_RETURN(Unique u, unique_of(n));
  std::vector<Tensor> out{u.y};
  for (const auto* v : {&u.first, &u.inverse, &u.counts})
    out.push_back(Tensor::from_int64s(DType::kInt64, {static_cast<int64_t>(v->size())}, *v));
  out.resize(std::min(out.size(), n.outputs.size()));
  return out;
}

}  // namespace

void register_compress_unique(Registry& r) {
  r.add("Compress", {infer_compress, fold_compress, lower_compress});
  r.add("Unique", {infer_unique, fold_unique, nullptr});
}

}  // namespace pt2tflite::lower
