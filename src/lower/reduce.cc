// ReduceMean/Max/Min/Sum/Prod → MEAN / REDUCE_MAX / REDUCE_MIN / SUM / REDUCE_PROD (bool
// Max/Min → REDUCE_ANY / REDUCE_ALL), and the
// compositions ReduceL1 (ABS→SUM), ReduceL2 (MUL→SUM→SQRT), ReduceSumSquare (MUL→SUM),
// ReduceLogSum (SUM→LOG), ReduceLogSumExp (max-shifted: REDUCE_MAX, SUB, EXP, SUM, LOG, ADD).
// Axes are an attribute before opset 13 (ReduceSum) / 18 (the others), then an optional
// input; no axes means all axes, unless noop_with_empty_axes makes it a copy. An axes input
// computed at run time goes to the TFLite op as a tensor (their count must be static: it
// decides the output's rank, and whether there are none), and the output's extents are
// then known only at run time; inputs with such extents are taken too.
// Layout-agnostic: reduces the ONNX layout as it is (the sinking pass remaps the axes).
// All of them fold on constant inputs.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "lower/context.h"
#include "lower/eval_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::Node;
using ir::Shape;
using ir::Value;

struct Reduction {
  std::vector<int64_t> axes;  // sorted, normalised; empty with noop = identity
  bool keep_dims = true;
  bool noop = false;
  // Axes computed at run time (ONNX's node tests feed them as a graph input): how many is
  // static (the input's length), which is not, so `axes` stays empty.
  Value* runtime_axes = nullptr;
  int64_t runtime_count = 0;
  Shape out;
};

// The shape of x reduced over red's axes. With run-time axes the rank is known (x's, or
// x's minus their count) but an extent only where every candidate agrees: with keep_dims,
// axis i is x's extent or 1 (known when that is 1); without, output axis j is one of
// x's axes j … j + count.
Shape reduced_shape(const Shape& x, const Reduction& red, bool keep) {
  Shape s;
  if (red.runtime_axes) {
    const int64_t r = static_cast<int64_t>(x.size()), k = red.runtime_count;
    if (keep) {
      for (int64_t d : x) s.push_back(d == 1 ? 1 : -1);
      return s;
    }
    for (int64_t j = 0; j < r - k; ++j) {
      int64_t e = x[j];
      for (int64_t i = j + 1; i <= j + k; ++i)
        if (x[i] != e) e = -1;
      s.push_back(e < 0 ? -1 : e);
    }
    return s;
  }
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::count(red.axes.begin(), red.axes.end(), static_cast<int64_t>(i)))
      s.push_back(x[i]);
    else if (keep)
      s.push_back(1);
  }
  return s;
}

Status read_reduction(const Node& n, Reduction* red) {
  NODE_CHECK(n, n.input(0), "missing input");
  const Shape& x = n.inputs[0]->shape;
  const int64_t rank = static_cast<int64_t>(x.size());
  red->keep_dims = n.get_int("keepdims", 1) != 0;
  std::set<int64_t> set;
  Value* given = n.has("axes") ? nullptr : n.input(1);
  if (given && !given->is_const()) {
    const Shape& as = given->shape;
    NODE_UNSUPPORTED_IF(n, as.size() != 1 || as[0] < 0,
                        "axes (input '" + given->name + "') are computed at run time and their count " +
                            ir::shape_to_string(as) + " is not static either; pt2tflite needs at least the count");
    NODE_CHECK(n, as[0] <= rank, std::to_string(as[0]) + " axes for a rank-" + std::to_string(rank) + " input");
    if (as[0] > 0 && as[0] < rank) {  // which axes is decided at run time
      red->runtime_axes = given;
      red->runtime_count = as[0];
      red->out = reduced_shape(x, *red, red->keep_dims);
      return Status::ok();
    }
    // No axes: as if none were given. As many as the rank: every axis (ONNX's are distinct).
    for (int64_t i = 0; i < as[0]; ++i) set.insert(i);
  } else {
    bool present = false;
    auto axes = ints_attr_or_input(n, "axes", 1, &present);
    if (!axes.is_ok()) return axes.status();
    for (int64_t a : axes.value()) {
      const int64_t na = normalize_axis(a, x.size());
      NODE_CHECK(n, na >= 0, "axis " + std::to_string(a) + " out of range for rank " + std::to_string(x.size()));
      NODE_CHECK(n, set.insert(na).second, "axis " + std::to_string(a) + " is repeated");
    }
  }
  red->noop = set.empty() && n.get_int("noop_with_empty_axes", 0) != 0;
  if (set.empty() && !red->noop)
    for (size_t i = 0; i < x.size(); ++i) set.insert(static_cast<int64_t>(i));
  red->axes.assign(set.begin(), set.end());
  red->out = reduced_shape(x, *red, red->keep_dims);
  return Status::ok();
}

Status infer_reduce(Node& n) {
  Reduction red;
  PT_RETURN_IF_ERROR(read_reduction(n, &red));
  set_output(n, 0, n.inputs[0]->dtype, red.out);
  return Status::ok();
}

// Folds any reduce op: combines each group of values along the axes in double.
Result<std::vector<ir::Tensor>> fold_reduce(const Node& n) {
  Reduction red;
  PT_RETURN_IF_ERROR(read_reduction(n, &red));
  const ir::Tensor& t = *n.inputs[0]->data;
  if (red.noop) return std::vector<ir::Tensor>{t};
  const std::string op = n.op.substr(5);
  const auto v = t.to_doubles();
  // Output index of every input element: the input index with reduced axes set to 0.
  Shape kept = t.shape;
  for (int64_t a : red.axes) kept[a] = 1;
  const auto in_strides = strides_of(t.shape), kept_strides = strides_of(kept);
  const int64_t count_out = ir::num_elements(kept);
  const int64_t group = count_out > 0 ? static_cast<int64_t>(v.size()) / count_out : 0;
  std::vector<std::vector<double>> groups(static_cast<size_t>(count_out));
  for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i) {
    int64_t rest = i, o = 0;
    for (size_t d = 0; d < t.shape.size(); ++d) {
      const int64_t idx = rest / in_strides[d];
      rest %= in_strides[d];
      if (kept[d] != 1) o += idx * kept_strides[d];  // reduced (or size-1) axes: index 0
    }
    groups[o].push_back(v[i]);
  }
  std::vector<double> out;
  for (const auto& gv : groups) {
    double acc = 0;
    if (op == "ReduceMax" || op == "ReduceMin") {
      NODE_CHECK(n, !gv.empty(), "reducing an empty axis with " + op);
      acc = op == "ReduceMax" ? *std::max_element(gv.begin(), gv.end()) : *std::min_element(gv.begin(), gv.end());
    } else if (op == "ReduceProd") {
      acc = 1;
      for (double e : gv) acc *= e;
    } else if (op == "ReduceLogSumExp") {
      const double m = gv.empty() ? 0 : *std::max_element(gv.begin(), gv.end());
      for (double e : gv) acc += std::exp(e - m);
      acc = std::log(acc) + m;
    } else {
      for (double e : gv) acc += op == "ReduceL1" ? std::fabs(e) : (op == "ReduceL2" || op == "ReduceSumSquare") ? e * e : e;
      if (op == "ReduceMean") acc /= static_cast<double>(group);
      if (op == "ReduceL2") acc = std::sqrt(acc);
      if (op == "ReduceLogSum") acc = std::log(acc);
    }
    out.push_back(acc);
  }
  return std::vector<ir::Tensor>{ir::Tensor::from_doubles(n.outputs[0]->dtype, red.out, out)};
}

const std::map<std::string, std::string>& direct_ops() {
  static const std::map<std::string, std::string> m = {
      {"ReduceMean", "tfl.MEAN"},       {"ReduceMax", "tfl.REDUCE_MAX"}, {"ReduceMin", "tfl.REDUCE_MIN"},
      {"ReduceSum", "tfl.SUM"},         {"ReduceProd", "tfl.REDUCE_PROD"}};
  return m;
}

const std::vector<std::string>& composite_ops() {
  static const std::vector<std::string> v = {"ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum",
                                             "ReduceLogSumExp"};
  return v;
}

Status lower_reduce(LowerContext& ctx, Node& n) {
  Reduction red;
  PT_RETURN_IF_ERROR(read_reduction(n, &red));
  Value* x = n.inputs[0];
  Value* out = n.outputs[0];
  if (red.noop) {  // a copy
    ctx.reshape(n, x, x->shape, out);
    return Status::ok();
  }
  const std::string op = n.op.substr(5);
  // Run-time axes: TFLite's reduce ops take them as a tensor (int32; negative ones count
  // from the end, as in ONNX) and size their output at run time.
  Value* axes = red.runtime_axes ? ctx.cast(n, red.runtime_axes, ir::DType::kInt32)
                                 : ctx.const_int32(n, "axes", red.axes);
  auto reduce = [&](const std::string& tfl, Value* in, bool keep, Value* result) {
    if (!result) result = ctx.temp(n, in->dtype, reduced_shape(in->shape, red, keep), "reduced");
    ctx.emit(tfl, n, {in, axes}, {result})->attrs["keep_dims"] = int64_t{keep};
    return result;
  };
  auto unary = [&](const std::string& tfl, Value* in, Value* result) {
    if (!result) result = ctx.temp(n, in->dtype, in->shape, tfl.substr(4));
    ctx.emit(tfl, n, {in}, {result});
    return result;
  };
  if (x->dtype == ir::DType::kBool && (op == "ReduceMax" || op == "ReduceMin")) {
    // TFLite's REDUCE_MAX/MIN have no bool kernels: max is "any", min is "all" (and their
    // empty reductions give false / true, as ONNX's do).
    reduce(op == "ReduceMax" ? "tfl.REDUCE_ANY" : "tfl.REDUCE_ALL", x, red.keep_dims, out);
    return Status::ok();
  }
  auto it = direct_ops().find(op);
  if (it != direct_ops().end()) {
    NODE_UNSUPPORTED_IF(n, op == "ReduceMean" && !ir::is_float(x->dtype),
                        "integer ReduceMean (TFLite's integer MEAN rounds differently)");
    const bool empty = std::count(x->shape.begin(), x->shape.end(), 0) > 0;
    if (red.runtime_axes && empty && ir::is_float(x->dtype) && (op == "ReduceMax" || op == "ReduceMin")) {
      // Every output element of an empty input reduces nothing: ONNX's -inf (max) / +inf
      // (min). LiteRT's own kernels, which run whenever the output is sized at run time,
      // start from the lowest/highest finite value (XNNPACK, taking the static case, from
      // ±inf), so the reduction only gives the shape.
      Value* shaped = reduce(it->second, x, red.keep_dims, nullptr);
      const double inf = op == "ReduceMax" ? -INFINITY : INFINITY;
      ctx.emit("tfl.FILL", n, {ctx.shape_of(n, shaped), ctx.constant(n, "empty_value", ir::Tensor::from_doubles(x->dtype, {}, {inf}))},
               {out});
      return Status::ok();
    }
    reduce(it->second, x, red.keep_dims, out);
    return Status::ok();
  }
  NODE_UNSUPPORTED_IF(n, !ir::is_float(x->dtype), "integer " + op);
  if (op == "ReduceL1") {
    reduce("tfl.SUM", unary("tfl.ABS", x, nullptr), red.keep_dims, out);
  } else if (op == "ReduceL2" || op == "ReduceSumSquare") {
    Value* sq = ctx.temp(n, x->dtype, x->shape, "squared");
    ctx.emit("tfl.MUL", n, {x, x}, {sq});
    if (op == "ReduceSumSquare") {
      reduce("tfl.SUM", sq, red.keep_dims, out);
    } else {
      unary("tfl.SQRT", reduce("tfl.SUM", sq, red.keep_dims, nullptr), out);
    }
  } else if (op == "ReduceLogSum") {
    unary("tfl.LOG", reduce("tfl.SUM", x, red.keep_dims, nullptr), out);
  } else {  // ReduceLogSumExp = log(sum(exp(x - max))) + max
    Value* m = reduce("tfl.REDUCE_MAX", x, true, nullptr);
    Value* shifted = ctx.temp(n, x->dtype, x->shape, "shifted");
    ctx.emit("tfl.SUB", n, {x, m}, {shifted});
    Value* lse = unary("tfl.LOG", reduce("tfl.SUM", unary("tfl.EXP", shifted, nullptr), red.keep_dims, nullptr), nullptr);
    // Without keep_dims the max is added back in the output's shape: a reshape when that is
    // static, else the same max reduced again without keep_dims (RESHAPE would need it).
    Value* m_out = red.keep_dims                   ? m
                   : ir::is_static(out->shape) ? ctx.reshape(n, m, out->shape)
                                               : reduce("tfl.REDUCE_MAX", x, false, nullptr);
    ctx.emit("tfl.ADD", n, {lse, m_out}, {out});
  }
  return Status::ok();
}

}  // namespace

void register_reduce(Registry& r) {
  for (const auto& [op, tfl] : direct_ops()) r.add(op, dynamic({infer_reduce, fold_reduce, lower_reduce}));
  for (const auto& op : composite_ops()) r.add(op, dynamic({infer_reduce, fold_reduce, lower_reduce}));
}

}  // namespace pt2tflite::lower
