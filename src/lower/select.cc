// Ops that pick positions by value: ArgMax ArgMin → ARG_MAX / ARG_MIN, TopK → TOPK_V2.
// All fold on constants.
//
// ArgMax/ArgMin: TFLite drops the axis and writes int64 directly (ArgMaxOptions.output_type),
// keepdims=1 adds a RESHAPE. Ties give the first index in both; select_last_index=1 runs on
// the input reversed along the axis and maps index i back to extent-1-i. TFLite has no int64
// input kernel: int64 inputs are refused (a cast to int32 could change the winner).
//
// TopK: TOPK_V2 works on the last axis with k as an int32 tensor; another axis is moved last
// (the other axes keep their order, so an NCHW channel TopK meets the NHWC transposes and they
// cancel) and the outputs moved back. largest=0 is TOPK_V2 of -x, values negated back: TFLite
// and ONNX both put the lower index first among equal values, so the order is the same.
// sorted=0 leaves the order to the implementation; sorted output is one valid order.
// TOPK_V2's indices are int32; a CAST makes ONNX's int64.
// A K computed at run time (an input that is not constant) goes to TOPK_V2 as an int32
// tensor: the outputs' extent on the axis is then known only at run time (LiteRT sizes
// them when it runs); everything else is the same.
#include <algorithm>
#include <numeric>

#include "lower/context.h"
#include "lower/eval_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

// Element (outer, k, inner) of a tensor viewed as [outer, extent, inner] around `axis`.
struct AxisView {
  int64_t outer = 1, extent = 1, inner = 1;
  AxisView(const Shape& s, int64_t axis) {
    for (int64_t d = 0; d < axis; ++d) outer *= s[d];
    extent = s[axis];
    for (size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
  }
  int64_t at(int64_t o, int64_t k, int64_t i) const { return (o * extent + k) * inner + i; }
};

// --- ArgMax / ArgMin ---

Status infer_arg(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  const Shape& x = n.inputs[0]->shape;
  PT_ASSIGN_OR_RETURN(int64_t axis, axis_attr(n, x.size(), 0));
  NODE_CHECK(n, x[axis] > 0, "reduces an empty axis");
  Shape out = x;
  if (n.get_int("keepdims", 1)) out[axis] = 1;
  else out.erase(out.begin() + axis);
  set_output(n, 0, DType::kInt64, out);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_arg(const Node& n) {
  const ir::Tensor& t = *n.inputs[0]->data;
  const int64_t axis = normalize_axis(n.get_int("axis", 0), t.shape.size());
  const bool is_max = n.op == "onnx.ArgMax", last = n.get_int("select_last_index", 0) != 0;
  const AxisView v(t.shape, axis);
  const std::vector<double> x = t.to_doubles();
  std::vector<int64_t> out;
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < v.extent; ++k) {
        const double a = x[v.at(o, k, i)], b = x[v.at(o, best, i)];
        if (is_max ? (a > b || (last && a == b)) : (a < b || (last && a == b))) best = k;
      }
      out.push_back(best);
    }
  return std::vector<ir::Tensor>{ir::Tensor::from_int64s(DType::kInt64, n.outputs[0]->shape, out)};
}

Status lower_arg(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  NODE_UNSUPPORTED_IF(n, x->dtype == DType::kInt64, "int64 input (TFLite's ARG_MAX/ARG_MIN have no int64 kernel)");
  const int64_t axis = normalize_axis(n.get_int("axis", 0), x->shape.size());
  const int64_t extent = x->shape[axis];
  const bool last = n.get_int("select_last_index", 0) != 0;
  if (x->dtype == DType::kFloat16) x = ctx.cast(n, x, DType::kFloat32);
  // Exact widenings: TFLite's ARG_MAX/ARG_MIN lack int16 and bool.
  if (x->dtype == DType::kInt16 || x->dtype == DType::kBool) x = ctx.cast(n, x, DType::kInt32);
  Value* axis_t = ctx.const_int32(n, "axis", {axis});
  if (last) {
    Value* rev = ctx.temp(n, x->dtype, x->shape, "reversed");
    ctx.emit("tfl.REVERSE_V2", n, {x, axis_t}, {rev});
    x = rev;
  }
  Shape dropped = x->shape;
  dropped.erase(dropped.begin() + axis);
  Value* out = n.outputs[0];
  Value* idx = !last && out->shape == dropped ? out : ctx.temp(n, DType::kInt64, dropped, "index");
  ctx.emit(n.op == "onnx.ArgMax" ? "tfl.ARG_MAX" : "tfl.ARG_MIN", n, {x, axis_t}, {idx});
  if (last) {  // index i in the reversed input is extent-1-i in the original
    Value* flipped = out->shape == dropped ? out : ctx.temp(n, DType::kInt64, dropped, "flipped");
    ctx.emit("tfl.SUB", n, {ctx.constant(n, "last", ir::Tensor::from_int64s(DType::kInt64, {}, {extent - 1})), idx},
             {flipped});
    idx = flipped;
  }
  if (idx != out) ctx.reshape(n, idx, out->shape, out);
  return Status::ok();
}

// --- TopK: k is an attribute before opset 10, then a 1-element input ---

// K is an input whose value is known only at run time.
bool runtime_k(const Node& n) {
  return n.opset >= 10 && !n.has("k") && n.input(1) && !n.inputs[1]->is_const();
}

Result<int64_t> topk_k(const Node& n) {
  int64_t k = 0;
  if (n.opset < 10 || n.has("k")) {
    k = n.get_int("k", -1);
  } else {
    PT_ASSIGN_OR_RETURN(std::vector<int64_t> ks, const_ints(n, 1, "K"));
    NODE_CHECK(n, ks.size() == 1, "K must hold one value");
    k = ks[0];
  }
  NODE_CHECK(n, k >= 0, "K must be non-negative");
  return k;
}

Status infer_topk(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  const Shape& x = n.inputs[0]->shape;
  PT_ASSIGN_OR_RETURN(int64_t axis, axis_attr(n, x.size(), -1));
  int64_t k = -1;  // known only at run time
  if (runtime_k(n)) {
    NODE_CHECK(n, ir::num_elements(n.inputs[1]->shape) == 1, "K must hold one value");
  } else {
    PT_ASSIGN_OR_RETURN(k, topk_k(n));
    NODE_CHECK(n, x[axis] < 0 || k <= x[axis],
               "K=" + std::to_string(k) + " exceeds the axis extent " + std::to_string(x[axis]));
  }
  Shape out = x;
  out[axis] = k;
  set_output(n, 0, n.inputs[0]->dtype, out);
  set_output(n, 1, DType::kInt64, out);
  return Status::ok();
}

// Positions along one row in output order: by value (largest or smallest first), the lower
// index first among equals.
std::vector<int64_t> topk_order(const std::vector<double>& row, int64_t k, bool largest) {
  std::vector<int64_t> order(row.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return largest ? row[a] > row[b] : row[a] < row[b]; });
  order.resize(k);
  return order;
}

Result<std::vector<ir::Tensor>> fold_topk(const Node& n) {
  const ir::Tensor& t = *n.inputs[0]->data;
  const int64_t axis = normalize_axis(n.get_int("axis", -1), t.shape.size());
  PT_ASSIGN_OR_RETURN(int64_t k, topk_k(n));
  const AxisView v(t.shape, axis), o_view(n.outputs[0]->shape, axis);
  const std::vector<double> x = t.to_doubles();
  std::vector<double> values(static_cast<size_t>(o_view.outer * k * v.inner));
  std::vector<int64_t> indices(values.size());
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i) {
      std::vector<double> row(v.extent);
      for (int64_t e = 0; e < v.extent; ++e) row[e] = x[v.at(o, e, i)];
      const std::vector<int64_t> order = topk_order(row, k, n.get_int("largest", 1) != 0);
      for (int64_t j = 0; j < k; ++j) {
        values[o_view.at(o, j, i)] = row[order[j]];
        indices[o_view.at(o, j, i)] = order[j];
      }
    }
  return std::vector<ir::Tensor>{ir::Tensor::from_doubles(t.dtype, n.outputs[0]->shape, values),
                                 ir::Tensor::from_int64s(DType::kInt64, n.outputs[1]->shape, indices)};
}

Status lower_topk(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  const size_t rank = x->shape.size();
  const int64_t axis = normalize_axis(n.get_int("axis", -1), rank);
  const bool dynamic_k = runtime_k(n);
  int64_t k = -1;
  if (!dynamic_k) {
    PT_ASSIGN_OR_RETURN(k, topk_k(n));
    NODE_UNSUPPORTED_IF(n, k == 0, "K=0 (empty outputs)");
  }
  const bool largest = n.get_int("largest", 1) != 0;
  const DType t = x->dtype;
  NODE_UNSUPPORTED_IF(n, t == DType::kBool || t == DType::kInt16,
                      std::string("TOPK_V2 has no ") + ir::dtype_name(t) + " kernel");
  NODE_UNSUPPORTED_IF(n, !largest && (t == DType::kUInt8 || t == DType::kInt8),
                      "largest=0 on 8-bit integers (negating them can overflow)");
  const DType wt = t == DType::kFloat16 ? DType::kFloat32 : t;
  x = ctx.cast(n, x, wt);
  // Move the axis last, keeping the others in order.
  std::vector<int64_t> perm;
  for (size_t d = 0; d < rank; ++d)
    if (static_cast<int64_t>(d) != axis) perm.push_back(static_cast<int64_t>(d));
  perm.push_back(axis);
  const bool moved = axis != static_cast<int64_t>(rank) - 1;
  if (moved) x = ctx.transpose(n, x, perm);
  if (!largest) {
    Value* neg = ctx.temp(n, wt, x->shape, "negated");
    ctx.emit("tfl.NEG", n, {x}, {neg});
    x = neg;
  }
  Shape s = x->shape;
  s.back() = k;
  // A result lands in the node's output directly when nothing follows it.
  const bool direct = !moved && wt == t;
  Value* values = direct && largest ? n.outputs[0] : ctx.temp(n, wt, s, "values");
  Value* indices = ctx.temp(n, DType::kInt32, s, "indices");
  Value* k_t = dynamic_k ? ctx.cast(n, n.inputs[1], DType::kInt32) : ctx.const_int32(n, "k", {k});
  if (k_t->shape != Shape{1}) k_t = ctx.reshape(n, k_t, {1});
  ctx.emit("tfl.TOPK_V2", n, {x, k_t}, {values, indices});
  if (!largest) {
    Value* pos = direct ? n.outputs[0] : ctx.temp(n, wt, s, "values_negated");
    ctx.emit("tfl.NEG", n, {values}, {pos});
    values = pos;
  }
  const auto inv = ir::inverse_permutation(perm);
  // Back to the node's outputs: transpose back, then cast, whichever applies.
  auto finish = [&](Value* v, Value* out) {
    if (v == out) return;
    if (moved) v = v->dtype == out->dtype ? ctx.transpose(n, v, inv, out) : ctx.transpose(n, v, inv);
    if (v != out) ctx.cast(n, v, out->dtype, out);
  };
  finish(values, n.outputs[0]);
  if (n.outputs.size() > 1 && n.outputs[1]) finish(indices, n.outputs[1]);
  return Status::ok();
}

}  // namespace

void register_select(Registry& r) {
  r.add("ArgMax", {infer_arg, fold_arg, lower_arg});
  r.add("ArgMin", {infer_arg, fold_arg, lower_arg});
  r.add("TopK", dynamic({infer_topk, fold_topk, lower_topk}));
}

}  // namespace pt2tflite::lower
