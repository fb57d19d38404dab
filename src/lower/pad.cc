// Pad, every opset: pads as attribute (< 11) or input, the fill value as attribute 'value'
// (< 11) or input constant_value, the axes input (≥ 18); modes constant, reflect, edge and
// wrap (≥ 19). Negative pads crop. The result is "crop, then pad" on each axis, both in
// folding and in lowering:
//   constant → [STRIDED_SLICE crop] → PAD (value 0) or PADV2 (any other value)
//   reflect  → MIRROR_PAD REFLECT when every pad is below the extent
//   edge     → MIRROR_PAD SYMMETRIC when every pad is at most 1 (mirroring one element
//              repeats the edge)
//   anything else (wrap, wide reflect/edge pads, reflect/edge crops) → one GATHER per
//   padded axis with a constant index map (exact, any dtype).
// Pads/axes computed at run time (or input extents known only then): see lower_runtime_pad.
#include <algorithm>

#include "lower/context.h"
#include "lower/eval_util.h"
#include "lower/registry.h"
#include "lower/runtime_params.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

struct PadSpec {
  std::string mode;
  std::vector<int64_t> begin, end;  // per input axis; negative crops
};

Result<PadSpec> pad_spec(const Node& n) {
  const size_t rank = n.inputs[0]->shape.size();
  PadSpec p;
  p.mode = n.get_string("mode", "constant");
  NODE_UNSUPPORTED_IF(n, p.mode != "constant" && p.mode != "reflect" && p.mode != "edge" && p.mode != "wrap",
                      "pad mode '" + p.mode + "'");
  bool present = false;
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> pads, ints_attr_or_input(n, "pads", 1, &present));
  NODE_CHECK(n, present, "needs pads");
  std::vector<int64_t> axes;
  for (size_t i = 0; i < rank; ++i) axes.push_back(static_cast<int64_t>(i));
  if (n.input(3)) {
    PT_ASSIGN_OR_RETURN(axes, const_ints(n, 3, "axes"));
  }
  NODE_CHECK(n, pads.size() == 2 * axes.size(),
             std::to_string(pads.size()) + " pads for " + std::to_string(axes.size()) + " axes");
  p.begin.assign(rank, 0);
  p.end.assign(rank, 0);
  for (size_t k = 0; k < axes.size(); ++k) {
    const int64_t axis = normalize_axis(axes[k], rank);
    NODE_CHECK(n, axis >= 0, "axis " + std::to_string(axes[k]) + " out of range");
    p.begin[axis] = pads[k];
    p.end[axis] = pads[axes.size() + k];
  }
  return p;
}

// The input position each output position reads along one axis (-1: the fill value).
std::vector<int64_t> pad_index(int64_t extent, int64_t begin, int64_t end, const std::string& mode) {
  const int64_t first = std::max<int64_t>(-begin, 0);
  const int64_t kept = extent - first - std::max<int64_t>(-end, 0);
  const int64_t before = std::max<int64_t>(begin, 0);
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < extent + begin + end; ++i) {
    int64_t j = i - before;
    if (j < 0 || j >= kept) {
      if (mode == "constant") {
        idx.push_back(-1);
        continue;
      }
      if (mode == "edge") {
        j = std::clamp<int64_t>(j, 0, kept - 1);
      } else if (mode == "wrap") {
        j = (j % kept + kept) % kept;
      } else {  // reflect about the first and last element
        const int64_t period = std::max<int64_t>(2 * (kept - 1), 1);
        j = (j % period + period) % period;
        if (j >= kept) j = period - j;
      }
    }
    idx.push_back(first + j);
  }
  return idx;
}

// Pads or axes computed at run time (inputs, opset >= 11 / 18), or an input whose extents
// are known only at run time.
bool runtime_pad(const Node& n) {
  if (!ir::is_static(n.inputs[0]->shape)) return true;
  if (!n.has("pads") && n.input(1) && !n.inputs[1]->is_const()) return true;
  return n.input(3) && !n.inputs[3]->is_const();
}

Status infer_runtime_pad(Node& n) {
  const Shape& in = n.inputs[0]->shape;
  const int64_t rank = static_cast<int64_t>(in.size());
  Shape out(in.size(), -1);
  const bool const_pads = n.has("pads") || (n.input(1) && n.inputs[1]->is_const());
  const bool const_axes = !n.input(3) || n.inputs[3]->is_const();
  if (const_pads && const_axes) {
    PT_ASSIGN_OR_RETURN(PadSpec p, pad_spec(n));
    for (size_t i = 0; i < in.size(); ++i) out[i] = in[i] < 0 ? -1 : in[i] + p.begin[i] + p.end[i];
  } else if (const_axes) {
    std::vector<int64_t> axes;
    if (n.input(3)) {
      axes = n.inputs[3]->data->to_int64s();
    } else {
      for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
    }
    out = in;
    for (int64_t a : axes) {
      const int64_t axis = normalize_axis(a, in.size());
      NODE_CHECK(n, axis >= 0, "axis " + std::to_string(a) + " out of range");
      out[axis] = -1;
    }
  }
  if (!const_pads) {
    NODE_CHECK(n, n.input(1), "needs pads");
    const Shape& ps = n.inputs[1]->shape;
    NODE_CHECK(n, ps.size() == 1 && ps[0] >= 0 && ps[0] % 2 == 0, "pads is not a 1-D tensor of known, even length");
  }
  const std::string mode = n.get_string("mode", "constant");
  NODE_UNSUPPORTED_IF(n, mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap",
                      "pad mode '" + mode + "'");
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

Status infer_pad(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  if (runtime_pad(n)) return infer_runtime_pad(n);
  PT_ASSIGN_OR_RETURN(PadSpec p, pad_spec(n));
  Shape out = n.inputs[0]->shape;
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t kept = out[i] + std::min<int64_t>(p.begin[i], 0) + std::min<int64_t>(p.end[i], 0);
    out[i] += p.begin[i] + p.end[i];
    NODE_CHECK(n, kept >= 0 && out[i] >= 0, "pads crop more than axis " + std::to_string(i) + " holds");
    NODE_CHECK(n, p.mode == "constant" || kept > 0 || out[i] == 0,
               p.mode + " padding of an empty axis " + std::to_string(i));
  }
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

// The fill value when it is known (0 when absent); `runtime` is set when it is an input
// computed at run time.
double fill_value(const Node& n, Value** runtime) {
  *runtime = nullptr;
  if (n.has("value")) return n.get_float("value", 0.0);
  const Value* v = n.input(2);
  if (!v) return 0.0;
  if (!v->is_const()) {
    *runtime = n.inputs[2];
    return 0.0;
  }
  return v->data->to_doubles().at(0);
}

Result<std::vector<ir::Tensor>> fold_pad(const Node& n) {
  PT_ASSIGN_OR_RETURN(PadSpec p, pad_spec(n));
  Value* runtime = nullptr;
  const double value = fill_value(n, &runtime);
  ir::Tensor t = *n.inputs[0]->data;
  for (size_t i = 0; i < p.begin.size(); ++i)
    if (p.begin[i] != 0 || p.end[i] != 0) t = gather_axis(t, i, pad_index(t.shape[i], p.begin[i], p.end[i], p.mode), value);
  return std::vector<ir::Tensor>{std::move(t)};
}

Status lower_by_gather(LowerContext& ctx, Node& n, const PadSpec& p) {
  Value* x = n.inputs[0];
  std::vector<size_t> axes;
  for (size_t i = 0; i < p.begin.size(); ++i)
    if (p.begin[i] != 0 || p.end[i] != 0) axes.push_back(i);
  for (size_t k = 0; k < axes.size(); ++k) {
    const size_t axis = axes[k];
    std::vector<int64_t> idx = pad_index(x->shape[axis], p.begin[axis], p.end[axis], p.mode);
    Shape s = x->shape;
    s[axis] = static_cast<int64_t>(idx.size());
    Value* y = k + 1 == axes.size() ? n.outputs[0] : ctx.temp(n, x->dtype, s, "padded");
    Node* g = ctx.emit("tfl.GATHER", n, {x, ctx.const_int32(n, "indices", idx)}, {y});
    g->attrs["axis"] = static_cast<int64_t>(axis);
    x = y;
  }
  if (axes.empty()) ctx.reshape(n, x, x->shape, n.outputs[0]);
  return Status::ok();
}

// Pads known at run time, as per-axis int32 vectors (begin, end) of length rank.
std::pair<Value*, Value*> runtime_pads(RuntimeParams& p, const Node& n, int64_t rank) {
  const DType i32 = DType::kInt32;
  if (n.has("pads")) {
    std::vector<int64_t> pads = n.get_ints("pads");
    return {p.ints(i32, std::vector<int64_t>(pads.begin(), pads.begin() + rank)),
            p.ints(i32, std::vector<int64_t>(pads.begin() + rank, pads.end()))};
  }
  Value* pads = p.as(n.inputs[1], i32);
  const int64_t k = pads->shape[0] / 2;
  std::vector<int64_t> first(k), second(k);
  for (int64_t i = 0; i < k; ++i) first[i] = i, second[i] = k + i;
  Value* begin = p.pick(pads, first);
  Value* end = p.pick(pads, second);
  if (!n.input(3) && k == rank) return {begin, end};
  std::vector<int64_t> all(k);
  for (int64_t i = 0; i < k; ++i) all[i] = i;
  Value* axes = n.input(3) ? p.axes(n.inputs[3], rank) : p.ints(i32, all);
  Value* zeros = p.ints(i32, std::vector<int64_t>(rank, 0));
  return {p.scatter(axes, begin, zeros, rank), p.scatter(axes, end, zeros, rank)};
}

// Pad with pads (or extents) known only at run time, on every axis:
//   constant → STRIDED_SLICE (crop the negative pads) → PAD / PADV2 with paddings
//              [[max(b,0), max(e,0)], …] assembled at run time;
//   edge / reflect / wrap → one GATHER per axis with an index map computed at run time from
//              RANGE: after cropping `first` = max(-b,0) elements, output position i reads
//              kept element j = i - max(b,0), folded into [0, kept) the mode's way (clamp,
//              reflect with period 2(kept-1), modulo kept).
Status lower_runtime_pad(LowerContext& ctx, Node& n) {
  RuntimeParams p(ctx, n);
  const DType i32 = DType::kInt32;
  Value* x = n.inputs[0];
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  NODE_UNSUPPORTED_IF(n, rank > 5, "TFLite PAD handles at most 5 dimensions");
  NODE_UNSUPPORTED_IF(n, rank == 0, "padding a scalar");
  const std::string mode = n.get_string("mode", "constant");
  auto [pb, pe] = runtime_pads(p, n, rank);
  Value* zero = p.scalar(i32, 0);
  Value* d = ctx.shape_of(n, x);
  Value* crop_b = p.bin("tfl.MAXIMUM", p.bin("tfl.SUB", zero, pb), zero);
  Value* crop_e = p.bin("tfl.MAXIMUM", p.bin("tfl.SUB", zero, pe), zero);
  if (mode == "constant") {
    Shape s(rank, -1);
    Value* cropped = ctx.temp(n, x->dtype, s, "cropped");
    ctx.emit("tfl.STRIDED_SLICE", n, {x, crop_b, p.bin("tfl.SUB", d, crop_e), p.ints(i32, std::vector<int64_t>(rank, 1))},
             {cropped});
    Value* paddings = p.concat({p.reshape(p.bin("tfl.MAXIMUM", pb, zero), {rank, 1}),
                                p.reshape(p.bin("tfl.MAXIMUM", pe, zero), {rank, 1})},
                               1);
    Value* runtime = nullptr;
    const double value = fill_value(n, &runtime);
    if (runtime) {
      NODE_UNSUPPORTED_IF(n, ir::num_elements(runtime->shape) != 1, "constant_value must hold one element");
      ctx.emit("tfl.PADV2", n, {cropped, paddings, runtime}, {n.outputs[0]});
    } else if (value == 0.0) {
      ctx.emit("tfl.PAD", n, {cropped, paddings}, {n.outputs[0]});
    } else {
      Value* v = ctx.constant(n, "constant_value", ir::Tensor::from_doubles(x->dtype, {}, {value}));
      ctx.emit("tfl.PADV2", n, {cropped, paddings, v}, {n.outputs[0]});
    }
    return Status::ok();
  }
  Value* one = p.scalar(i32, 1);
  for (int64_t i = 0; i < rank; ++i) {
    Value* di = p.element(d, i);
    Value* bi = p.element(pb, i);
    Value* first = p.element(crop_b, i);
    Value* kept = p.bin("tfl.SUB", p.bin("tfl.SUB", di, first), p.element(crop_e, i));
    Value* count = p.bin("tfl.ADD", p.bin("tfl.ADD", di, bi), p.element(pe, i));
    Value* positions = ctx.temp(n, i32, {-1}, "positions");
    ctx.emit("tfl.RANGE", n, {p.scalar(i32, 0), count, one}, {positions});
    Value* j = p.bin("tfl.SUB", positions, p.bin("tfl.MAXIMUM", bi, zero));
    if (mode == "edge") {
      j = p.bin("tfl.MINIMUM", p.bin("tfl.MAXIMUM", j, zero), p.bin("tfl.SUB", kept, one));
    } else if (mode == "wrap") {
      j = p.bin("tfl.FLOOR_MOD", j, kept);
    } else {  // reflect
      Value* period = p.bin("tfl.MAXIMUM", p.bin("tfl.MUL", p.bin("tfl.SUB", kept, one), p.scalar(i32, 2)), one);
      Value* m = p.bin("tfl.FLOOR_MOD", j, period);
      j = p.select(p.cmp("tfl.GREATER_EQUAL", m, kept), p.bin("tfl.SUB", period, m), m);
    }
    Value* idx = p.bin("tfl.ADD", j, first);
    Shape s = x->shape;
    s[i] = -1;
    Value* y = i + 1 == rank ? n.outputs[0] : ctx.temp(n, x->dtype, s, "padded");
    ctx.emit("tfl.GATHER", n, {x, idx}, {y})->attrs["axis"] = i;
    x = y;
  }
  return Status::ok();
}

// Constant pads without crops on an input with run-time extents: the paddings argument does
// not depend on the extents, so PAD / PADV2 / MIRROR_PAD take it as a constant (reflect: ONNX
// requires pads below the extent, as MIRROR_PAD REFLECT does; edge: pads of at most 1).
// Returns false when the case needs the run-time lowering.
Result<bool> lower_constant_pads(LowerContext& ctx, Node& n) {
  const bool const_pads = n.has("pads") || (n.input(1) && n.inputs[1]->is_const());
  if (!const_pads || (n.input(3) && !n.inputs[3]->is_const())) return false;
  PT_ASSIGN_OR_RETURN(PadSpec p, pad_spec(n));
  Value* x = n.inputs[0];
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  std::vector<int64_t> paddings;
  int64_t widest = 0;
  for (int64_t i = 0; i < rank; ++i) {
    if (p.begin[i] < 0 || p.end[i] < 0) return false;
    paddings.push_back(p.begin[i]);
    paddings.push_back(p.end[i]);
    widest = std::max({widest, p.begin[i], p.end[i]});
  }
  if (p.mode == "wrap" || (p.mode == "edge" && widest > 1) || rank > 5) return false;
  Value* pads = ctx.const_int32(n, "paddings", paddings, {rank, 2});
  if (p.mode != "constant") {
    ctx.emit("tfl.MIRROR_PAD", n, {x, pads}, {n.outputs[0]})->attrs["mode"] =
        std::string(p.mode == "reflect" ? "REFLECT" : "SYMMETRIC");
    return true;
  }
  Value* runtime = nullptr;
  const double value = fill_value(n, &runtime);
  if (runtime && ir::num_elements(runtime->shape) != 1) return false;
  if (runtime) {
    ctx.emit("tfl.PADV2", n, {x, pads, runtime}, {n.outputs[0]});
  } else if (value == 0.0) {
    ctx.emit("tfl.PAD", n, {x, pads}, {n.outputs[0]});
  } else {
    ctx.emit("tfl.PADV2", n, {x, pads, ctx.constant(n, "constant_value", ir::Tensor::from_doubles(x->dtype, {}, {value}))},
             {n.outputs[0]});
  }
  return true;
}

Status lower_pad(LowerContext& ctx, Node& n) {
  if (runtime_pad(n)) {
    PT_ASSIGN_OR_RETURN(bool done, lower_constant_pads(ctx, n));
    return done ? Status::ok() : lower_runtime_pad(ctx, n);
  }
  PT_ASSIGN_OR_RETURN(PadSpec p, pad_spec(n));
  Value* x = n.inputs[0];
  const size_t rank = x->shape.size();
  bool crops = false, zero = true, below_extent = true;
  int64_t widest = 0;
  for (size_t i = 0; i < rank; ++i) {
    crops |= p.begin[i] < 0 || p.end[i] < 0;
    zero &= p.begin[i] == 0 && p.end[i] == 0;
    below_extent &= p.begin[i] < x->shape[i] && p.end[i] < x->shape[i];
    widest = std::max({widest, p.begin[i], p.end[i]});
  }
  if (zero) {
    ctx.reshape(n, x, x->shape, n.outputs[0]);
    return Status::ok();
  }
  std::vector<int64_t> paddings;
  for (size_t i = 0; i < rank; ++i) {
    paddings.push_back(std::max<int64_t>(p.begin[i], 0));
    paddings.push_back(std::max<int64_t>(p.end[i], 0));
  }
  const Shape paddings_shape{static_cast<int64_t>(rank), 2};
  if (p.mode == "reflect" && !crops && below_extent) {
    ctx.emit("tfl.MIRROR_PAD", n, {x, ctx.const_int32(n, "paddings", paddings, paddings_shape)}, {n.outputs[0]})
        ->attrs["mode"] = std::string("REFLECT");
    return Status::ok();
  }
  if (p.mode == "edge" && !crops && widest <= 1) {
    ctx.emit("tfl.MIRROR_PAD", n, {x, ctx.const_int32(n, "paddings", paddings, paddings_shape)}, {n.outputs[0]})
        ->attrs["mode"] = std::string("SYMMETRIC");
    return Status::ok();
  }
  if (p.mode != "constant") return lower_by_gather(ctx, n, p);

  NODE_UNSUPPORTED_IF(n, rank > 5, "TFLite PAD handles at most 5 dimensions");
  if (crops) {  // cut the negative pads off first
    std::vector<int64_t> begin, end, strides(rank, 1);
    Shape s;
    for (size_t i = 0; i < rank; ++i) {
      begin.push_back(std::max<int64_t>(-p.begin[i], 0));
      end.push_back(x->shape[i] - std::max<int64_t>(-p.end[i], 0));
      s.push_back(end.back() - begin.back());
    }
    const bool pads_too = std::any_of(paddings.begin(), paddings.end(), [](int64_t v) { return v > 0; });
    Value* cropped = pads_too ? ctx.temp(n, x->dtype, s, "cropped") : n.outputs[0];
    ctx.emit("tfl.STRIDED_SLICE", n,
             {x, ctx.const_int32(n, "begin", begin), ctx.const_int32(n, "end", end),
              ctx.const_int32(n, "strides", strides)},
             {cropped});
    if (!pads_too) return Status::ok();
    x = cropped;
  }
  Value* pads = ctx.const_int32(n, "paddings", paddings, paddings_shape);
  Value* runtime = nullptr;
  const double value = fill_value(n, &runtime);
  if (runtime) {
    NODE_UNSUPPORTED_IF(n, ir::num_elements(runtime->shape) != 1, "constant_value must hold one element");
    ctx.emit("tfl.PADV2", n, {x, pads, runtime}, {n.outputs[0]});
  } else if (value == 0.0) {
    ctx.emit("tfl.PAD", n, {x, pads}, {n.outputs[0]});
  } else {
    Value* v = ctx.constant(n, "constant_value", ir::Tensor::from_doubles(x->dtype, {}, {value}));
    ctx.emit("tfl.PADV2", n, {x, pads, v}, {n.outputs[0]});
  }
  return Status::ok();
}

}  // namespace

void register_pad(Registry& r) { r.add("Pad", dynamic({infer_pad, fold_pad, lower_pad})); }

}  // namespace pt2tflite::lower
