// Ops whose output shape depends on input values: Compress and Unique. With the values that
// decide the shape constant they fold (Unique) or gather constant indices (Compress);
// otherwise the length is known only at run time and LiteRT sizes the outputs when it runs.
//   Compress(input, condition, axis?): keeps the slices along `axis` (the flattened input
//     without it) whose condition is true. A constant condition → GATHER with the constant
//     indices of the true entries (a condition shorter than the axis counts as false beyond
//     its end). A run-time condition → WHERE(condition) (int64 [count, 1]) flattened to the
//     indices of a GATHER.
//   Unique(X, sorted, axis?): folds on a constant X (all four outputs). A run-time X without
//     axis (or 1-D) → UNIQUE on the flattened X, which gives the values in first-occurrence
//     order (ONNX's sorted=0 order) and each element's position among them; from those:
//       counts  = SCATTER_ND of ones at the positions (duplicates sum),
//       first   = the first element of each value's run after a stable sort of the positions
//                 (TOPK_V2 of -position puts the lower index first among equals) at the
//                 exclusive running sum of the counts,
//     and sorted=1 reorders all four by TOPK_V2 of the values (distinct, so no ties),
//     reversed to ascending; the inverse indices map through the inverse permutation.
//     The axis form on a tensor of rank > 1 (unique slices; no TFLite kernel) compares every
//     pair of slices (the axis moved first, the rest flattened: [S, L]): equal slices by
//     REDUCE_ALL of EQUAL, each slice's first equal one by ARG_MAX (first maximum), the first
//     occurrences by WHERE; sorted=1 orders slices lexicographically (in the row-major order
//     of their elements, as onnxruntime compares them): slice j < slice i when at their first
//     differing element j's is smaller, and a slice's sorted position is the number of distinct
//     slices below it. O(S²·L) work, so it is refused beyond kMaxSlicePairElements.
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
  bool runtime = false;       // the condition is computed at run time
  std::vector<int64_t> keep;  // indices along the axis (constant condition)
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
  NODE_CHECK(n, c->shape.size() == 1, "condition must be 1-D");
  NODE_CHECK(n, extent < 0 || c->shape[0] < 0 || c->shape[0] <= extent, "condition is longer than the selected axis");
  if (!c->is_const()) {
    p.runtime = true;
    return p;
  }
  const std::vector<double> cond = c->data->to_doubles();
  for (size_t i = 0; i < cond.size(); ++i)
    if (cond[i] != 0) p.keep.push_back(static_cast<int64_t>(i));
  return p;
}

Status infer_compress(Node& n) {
  PT_ASSIGN_OR_RETURN(Compress p, compress_params(n));
  Shape s = p.flatten ? Shape{0} : n.inputs[0]->shape;
  s[p.flatten ? 0 : p.axis] = p.runtime ? -1 : static_cast<int64_t>(p.keep.size());
  set_output(n, 0, n.inputs[0]->dtype, s);
  return Status::ok();
}

Result<std::vector<Tensor>> fold_compress(const Node& n) {
  PT_ASSIGN_OR_RETURN(Compress p, compress_params(n));
  Tensor t = *n.inputs[0]->data;
  if (p.flatten) t.shape = {t.size()};
  return std::vector<Tensor>{gather_axis(t, static_cast<size_t>(p.axis), p.keep)};
}

// The input's true positions as a 1-D int64 tensor whose length is known only at run time.
Value* true_positions(LowerContext& ctx, const Node& n, Value* c) {
  if (c->dtype != DType::kBool) {  // (ONNX's condition is bool; other types are compared with 0)
    if (c->dtype != DType::kFloat32 && c->dtype != DType::kInt64) c = ctx.cast(n, c, DType::kInt32);
    Value* b = ctx.temp(n, DType::kBool, c->shape, "condition");
    ctx.emit("tfl.NOT_EQUAL", n, {c, ctx.constant(n, "zero", Tensor::from_doubles(c->dtype, {}, {0.0}))}, {b});
    c = b;
  }
  Value* coords = ctx.temp(n, DType::kInt64, {-1, 1}, "true_coords");
  ctx.emit("tfl.WHERE", n, {c}, {coords});
  return ctx.reshape(n, coords, {-1});
}

Status lower_compress(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Compress p, compress_params(n));
  NODE_UNSUPPORTED_IF(n, !p.runtime && p.keep.empty(), "the condition selects nothing: an empty output tensor");
  Value* x = n.inputs[0];
  if (p.flatten) x = ctx.reshape(n, x, {ir::num_elements(x->shape)});  // -1: RESHAPE infers it
  Value* index = p.runtime ? true_positions(ctx, n, n.inputs[1]) : ctx.const_int32(n, "kept", p.keep);
  ctx.emit("tfl.GATHER", n, {x, index}, {n.outputs[0]})->attrs["axis"] = p.axis;
  return Status::ok();
}

// --- Unique ---

// The pairwise slice comparison of the axis form handles at most this many elements.
constexpr int64_t kMaxSlicePairElements = int64_t{1} << 24;

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
  if (!n.inputs[0]->is_const()) {  // lengths known only at run time
    const Value* x = n.inputs[0];
    Shape y{-1};
    int64_t slices = ir::num_elements(x->shape);
    if (n.has("axis")) {
      PT_ASSIGN_OR_RETURN(int64_t axis, axis_attr(n, x->shape.size(), 0));
      if (x->shape.size() > 1) {
        NODE_UNSUPPORTED_IF(n, !ir::is_static(x->shape),
                            "unique slices (axis=" + std::to_string(n.get_int("axis", 0)) + ") of the input '" + x->name +
                                "' whose extents are known only at run time " + ir::shape_to_string(x->shape));
        const int64_t s = x->shape[axis], l = s ? ir::num_elements(x->shape) / s : 0;
        NODE_UNSUPPORTED_IF(n, s == 0 || l == 0, "unique slices of an empty input");
        NODE_UNSUPPORTED_IF(n, s * s * l > kMaxSlicePairElements,
                            "unique slices (axis=" + std::to_string(n.get_int("axis", 0)) + ") of " +
                                ir::shape_to_string(x->shape) + ": comparing every pair of the " + std::to_string(s) +
                                " slices takes " + std::to_string(s * s * l) + " elements, over the limit of " +
                                std::to_string(kMaxSlicePairElements) +
                                " (without axis the flattened elements go to TFLite's UNIQUE)");
      }
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

// TOPK_V2 of x (1-D) with k = SHAPE(x) (or a constant when static): the permutation that
// orders x largest first, the lower index first among equals.
Value* sort_permutation(LowerContext& ctx, const Node& n, Value* x, const std::string& what) {
  Value* k = ir::is_static(x->shape) ? ctx.const_int32(n, what + "_k", {x->shape[0]}) : ctx.shape_of(n, x);
  Value* values = ctx.temp(n, x->dtype, x->shape, what + "_sorted");
  Value* perm = ctx.temp(n, DType::kInt32, x->shape, what + "_order");
  ctx.emit("tfl.TOPK_V2", n, {x, k}, {values, perm});
  return perm;
}

Value* scalar_i32(LowerContext& ctx, const Node& n, const std::string& what, int64_t v) {
  return ctx.constant(n, what, Tensor::from_int64s(DType::kInt32, {}, {v}));
}

Value* negated(LowerContext& ctx, const Node& n, Value* x) {
  Value* neg = ctx.temp(n, x->dtype, x->shape, "negated");
  ctx.emit("tfl.NEG", n, {x}, {neg});
  return neg;
}

Value* gather(LowerContext& ctx, const Node& n, Value* params, Value* index, const std::string& what) {
  Value* out = ctx.temp(n, params->dtype, index->shape, what);
  ctx.emit("tfl.GATHER", n, {params, index}, {out})->attrs["axis"] = int64_t{0};
  return out;
}

// The axis form on rank > 1 (see the header comment).
Status lower_unique_slices(LowerContext& ctx, Node& n, int64_t axis) {
  Value* x = n.inputs[0];
  const Shape& xs = x->shape;
  const int64_t rank = static_cast<int64_t>(xs.size()), S = xs[axis], L = ir::num_elements(xs) / S;
  const bool sorted = n.get_int("sorted", 1) != 0;
  auto wanted = [&](size_t i) { return n.outputs.size() > i && n.outputs[i] != nullptr; };
  auto op = [&](const std::string& name, std::vector<Value*> in, DType t, Shape shape, const std::string& what) {
    Value* out = ctx.temp(n, t, std::move(shape), what);
    ctx.emit(name, n, std::move(in), {out});
    return out;
  };
  auto reduce = [&](const std::string& name, Value* v, int64_t ax, DType t, Shape shape, const std::string& what) {
    Value* out = op(name, {v, ctx.const_int32(n, what + "_axis", {ax})}, t, std::move(shape), what);
    return out;
  };
  // Slices as rows [S, L], in a type TFLite compares exactly (8-bit ones count as quantized).
  DType ct = x->dtype;
  if (ct == DType::kInt8 || ct == DType::kUInt8 || ct == DType::kInt16 || ct == DType::kBool) ct = DType::kInt32;
  if (ct == DType::kFloat16) ct = DType::kFloat32;
  Value* rows = x;
  if (axis != 0) {
    std::vector<int64_t> perm{axis};
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis) perm.push_back(d);
    rows = ctx.transpose(n, rows, perm);
  }
  rows = ctx.cast(n, ctx.reshape(n, rows, {S, L}), ct);
  Value* a = ctx.reshape(n, rows, {S, 1, L});
  Value* b = ctx.reshape(n, rows, {1, S, L});
  Value* same = reduce("tfl.REDUCE_ALL", op("tfl.EQUAL", {a, b}, DType::kBool, {S, S, L}, "same_element"), 2,
                       DType::kBool, {S, S}, "same_slice");
  // rep[i]: the first slice equal to slice i (≤ i); slice i is a first occurrence when rep[i] = i.
  Value* rep = reduce("tfl.ARG_MAX", ctx.cast(n, same, DType::kInt32), 1, DType::kInt64, {S}, "representative");
  std::vector<int64_t> iota(S);
  for (int64_t i = 0; i < S; ++i) iota[i] = i;
  Value* is_first = op("tfl.EQUAL", {rep, ctx.constant(n, "slice_index", Tensor::from_int64s(DType::kInt64, {S}, iota))},
                       DType::kBool, {S}, "is_first");
  Value* firsts = ctx.reshape(n, op("tfl.WHERE", {is_first}, DType::kInt64, {-1, 1}, "first_coords"), {-1});
  Value *chosen = firsts, *inverse = nullptr;  // slice indices in output order; position of each slice
  if (sorted) {
    // less[j, i]: slice j < slice i at their first differing element (none: not less).
    Value* differ = op("tfl.NOT_EQUAL", {a, b}, DType::kBool, {S, S, L}, "differ");
    Value* first_diff = reduce("tfl.ARG_MAX", ctx.cast(n, differ, DType::kInt32), 2, DType::kInt64, {S, S}, "first_diff");
    std::vector<int64_t> lanes(L);
    for (int64_t k = 0; k < L; ++k) lanes[k] = k;
    Value* at = op("tfl.EQUAL", {ctx.constant(n, "lane", Tensor::from_int64s(DType::kInt64, {1, 1, L}, lanes)),
                                 ctx.reshape(n, first_diff, {S, S, 1})},
                   DType::kBool, {S, S, L}, "at_first_diff");
    Value* lt = op("tfl.LESS", {a, b}, DType::kBool, {S, S, L}, "element_less");
    Value* less = reduce("tfl.REDUCE_ANY", op("tfl.LOGICAL_AND", {lt, at}, DType::kBool, {S, S, L}, "less_there"), 2,
                         DType::kBool, {S, S}, "slice_less");
    Value* below = op("tfl.LOGICAL_AND", {less, ctx.reshape(n, is_first, {S, 1})}, DType::kBool, {S, S}, "distinct_below");
    inverse = reduce("tfl.SUM", ctx.cast(n, below, DType::kInt32), 0, DType::kInt32, {S}, "sorted_position");
    Value* first_pos = gather(ctx, n, inverse, firsts, "first_position");
    chosen = gather(ctx, n, firsts, sort_permutation(ctx, n, negated(ctx, n, first_pos), "by_position"), "chosen");
  } else {
    Value* ordinal = ctx.temp(n, DType::kInt32, {S}, "first_ordinal");
    Node* cs = ctx.emit("tfl.CUMSUM", n, {ctx.cast(n, is_first, DType::kInt32), scalar_i32(ctx, n, "cumsum_axis", 0)},
                        {ordinal});
    cs->attrs["exclusive"] = int64_t{1};
    inverse = gather(ctx, n, ordinal, rep, "inverse");
  }
  ctx.emit("tfl.GATHER", n, {x, chosen}, {n.outputs[0]})->attrs["axis"] = axis;
  if (wanted(1)) ctx.reshape(n, chosen, {-1}, n.outputs[1]);
  if (wanted(2)) ctx.cast(n, inverse, DType::kInt64, n.outputs[2]);
  if (wanted(3)) {
    Value* counts = op("tfl.SCATTER_ND",
                       {ctx.reshape(n, inverse, {S, 1}), ctx.const_int32(n, "ones", std::vector<int64_t>(S, 1), {S}),
                        ctx.shape_of(n, chosen)},
                       DType::kInt32, {-1}, "counts");
    ctx.cast(n, counts, DType::kInt64, n.outputs[3]);
  }
  return Status::ok();
}

Status lower_unique(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  if (n.has("axis") && x->shape.size() > 1) {
    PT_ASSIGN_OR_RETURN(int64_t axis, axis_attr(n, x->shape.size(), 0));
    return lower_unique_slices(ctx, n, axis);
  }
  const DType t = x->dtype;
  NODE_UNSUPPORTED_IF(n, t != DType::kFloat32 && t != DType::kInt32 && t != DType::kInt64 && t != DType::kInt8 &&
                             t != DType::kUInt8 && t != DType::kInt16,
                      std::string("TFLite's UNIQUE has no ") + ir::dtype_name(t) + " kernel");
  const bool sorted = n.get_int("sorted", 1) != 0;
  auto wanted = [&](size_t i) { return n.outputs.size() > i && n.outputs[i] != nullptr; };
  const int64_t total = ir::num_elements(x->shape);  // -1: known only at run time
  if (x->shape.size() != 1) x = ctx.reshape(n, x, {total});
  // Values in first-occurrence order, and each element's position among them.
  Value* y = sorted ? ctx.temp(n, t, {-1}, "first_order") : n.outputs[0];
  Value* pos = ctx.temp(n, DType::kInt32, {total}, "position");
  ctx.emit("tfl.UNIQUE", n, {x}, {y, pos});
  const bool stats = wanted(1) || wanted(3);
  Value* count = ctx.shape_of(n, y);  // [1]: the number of distinct values
  Value *counts = nullptr, *first = nullptr;
  if (stats) {
    Value* ones = ir::is_static(pos->shape) ? ctx.const_int32(n, "ones", std::vector<int64_t>(total, 1), {total})
                                            : ctx.temp(n, DType::kInt32, {-1}, "ones");
    if (!ones->is_const()) ctx.emit("tfl.FILL", n, {ctx.shape_of(n, pos), scalar_i32(ctx, n, "one", 1)}, {ones});
    counts = ctx.temp(n, DType::kInt32, {-1}, "counts");
    ctx.emit("tfl.SCATTER_ND", n, {ctx.reshape(n, pos, {total, 1}), ones, count}, {counts});
    // Positions sorted ascending, stably: element indices grouped by value, each group in
    // order; a group starts at the running sum of the counts before it.
    Value* grouped = sort_permutation(ctx, n, negated(ctx, n, pos), "grouped");
    Value* start = ctx.temp(n, DType::kInt32, {-1}, "group_start");
    Node* cs = ctx.emit("tfl.CUMSUM", n, {counts, scalar_i32(ctx, n, "cumsum_axis", 0)}, {start});
    cs->attrs["exclusive"] = int64_t{1};
    first = gather(ctx, n, grouped, start, "first");
  }
  Value* inverse = pos;
  if (sorted) {
    // The distinct values have no ties: TOPK_V2 orders them largest first; reversed, smallest.
    Value* key = t == DType::kInt16 ? ctx.cast(n, y, DType::kInt32) : y;  // TOPK_V2 lacks int16
    Value* desc = sort_permutation(ctx, n, key, "values");
    Value* perm = ctx.temp(n, DType::kInt32, {-1}, "ascending");
    ctx.emit("tfl.REVERSE_V2", n, {desc, ctx.const_int32(n, "reverse_axis", {0})}, {perm});
    ctx.emit("tfl.GATHER", n, {y, perm}, {n.outputs[0]})->attrs["axis"] = int64_t{0};
    if (wanted(2)) {
      // The rank of each first-occurrence value in sorted order: the inverse permutation,
      // which is the permutation sorting `perm` ascending.
      Value* rank = sort_permutation(ctx, n, negated(ctx, n, perm), "rank");
      inverse = gather(ctx, n, rank, pos, "inverse");
    }
    if (stats) {
      first = gather(ctx, n, first, perm, "first_sorted");
      counts = gather(ctx, n, counts, perm, "counts_sorted");
    }
  }
  if (wanted(1)) ctx.cast(n, first, DType::kInt64, n.outputs[1]);
  if (wanted(2)) ctx.cast(n, inverse, DType::kInt64, n.outputs[2]);
  if (wanted(3)) ctx.cast(n, counts, DType::kInt64, n.outputs[3]);
  return Status::ok();
}

}  // namespace

void register_compress_unique(Registry& r) {
  r.add("Compress", dynamic({infer_compress, fold_compress, lower_compress}));
  r.add("Unique", dynamic({infer_unique, fold_unique, lower_unique}));
}

}  // namespace pt2tflite::lower
