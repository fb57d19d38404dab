// Ops that move whole slices along one axis: Concat Split Slice Gather. Each folds on
// constants (exact for every dtype: slices are copied as bytes) and lowers to one TFLite
// op working in the ONNX layout: CONCATENATION, SPLIT / SPLIT_V, STRIDED_SLICE, GATHER.
// Parameters TFLite takes as tensors (axis, sizes, begin/end/strides, constant indices)
// become INT32 constants, with negative values normalised. Run-time parameters (Slice bounds,
// Split sizes) or input extents known only at run time are passed as run-time tensors
// instead: STRIDED_SLICE bounds are normalised and clamped by ONNX's rules with arithmetic
// on SHAPE(x), SPLIT_V reads its sizes when it runs, Gather wraps negative indices by the
// run-time extent.
#include <algorithm>
#include <limits>

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

// A 0-d INT32 constant (TFLite's axis operands are scalars).
Value* scalar_int32(LowerContext& ctx, const Node& n, const std::string& suffix, int64_t v) {
  return ctx.constant(n, suffix, ir::Tensor::from_int64s(DType::kInt32, {}, {v}));
}

std::vector<int64_t> iota_from(int64_t start, int64_t count, int64_t step = 1) {
  std::vector<int64_t> v(count);
  for (int64_t i = 0; i < count; ++i) v[i] = start + i * step;
  return v;
}

// --- Concat ---

Status infer_concat(Node& n) {
  NODE_CHECK(n, !n.inputs.empty() && n.inputs[0], "needs at least one input");
  NODE_CHECK(n, n.has("axis"), "needs the axis attribute");
  const Shape& first = n.inputs[0]->shape;
  PT_ASSIGN_OR_RETURN(int64_t axis, axis_attr(n, first.size(), 0));
  Shape out = first;
  out[axis] = 0;
  for (const Value* v : n.inputs) {
    NODE_CHECK(n, v, "missing input");
    bool ok = v->shape.size() == first.size();
    for (size_t i = 0; ok && i < first.size(); ++i) {
      ok = static_cast<int64_t>(i) == axis || v->shape[i] == first[i] || v->shape[i] < 0 || first[i] < 0;
      if (static_cast<int64_t>(i) != axis && out[i] < 0) out[i] = v->shape[i];  // a known extent wins
    }
    NODE_CHECK(n, ok, "input shapes " + ir::shape_to_string(first) + " and " + ir::shape_to_string(v->shape) +
                          " do not concatenate along axis " + std::to_string(axis));
    out[axis] = out[axis] < 0 || v->shape[axis] < 0 ? -1 : out[axis] + v->shape[axis];
  }
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_concat(const Node& n) {
  const Shape& out_shape = n.outputs[0]->shape;
  const int64_t axis = normalize_axis(n.get_int("axis", 0), out_shape.size());
  const size_t elem = ir::dtype_size(n.outputs[0]->dtype);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= out_shape[i];
  for (size_t i = axis + 1; i < out_shape.size(); ++i) inner *= out_shape[i];
  ir::Tensor out{n.outputs[0]->dtype, out_shape, {}};
  out.bytes.reserve(static_cast<size_t>(ir::num_elements(out_shape)) * elem);
  for (int64_t o = 0; o < outer; ++o)
    for (const Value* v : n.inputs) {
      const size_t chunk = static_cast<size_t>(v->shape[axis] * inner) * elem;
      const uint8_t* src = v->data->bytes.data() + o * chunk;
      out.bytes.insert(out.bytes.end(), src, src + chunk);
    }
  return std::vector<ir::Tensor>{std::move(out)};
}

Status lower_concat(LowerContext& ctx, Node& n) {
  const int64_t axis = normalize_axis(n.get_int("axis", 0), n.outputs[0]->shape.size());
  std::vector<Value*> parts;  // TFLite kernels need not cope with empty operands
  for (Value* v : n.inputs)
    if (ir::num_elements(v->shape) != 0) parts.push_back(v);  // (-1: extents known only at run time)
  NODE_UNSUPPORTED_IF(n, parts.empty(), "every input is empty");
  if (parts.size() == 1 && !ir::is_static(n.outputs[0]->shape)) {
    ctx.emit("tfl.RESHAPE", n, {parts[0], ctx.shape_of(n, parts[0])}, {n.outputs[0]});
    return Status::ok();
  }
  if (parts.size() == 1) {
    ctx.reshape(n, parts[0], n.outputs[0]->shape, n.outputs[0]);
    return Status::ok();
  }
  ctx.emit("tfl.CONCATENATION", n, parts, {n.outputs[0]})->attrs["axis"] = axis;
  return Status::ok();
}

// --- Split: sizes from 'split' (attribute < 13, input ≥ 13), else num_outputs (≥ 18) or
// the number of outputs; an uneven num_outputs split makes the last part smaller ---

// Split sizes given as an input computed at run time: the parts' extents along the axis
// are known only at run time (SPLIT_V reads the sizes when it runs).
bool runtime_split(const Node& n) { return !n.has("split") && n.input(1) && !n.inputs[1]->is_const(); }

Result<std::vector<int64_t>> split_sizes(const Node& n, int64_t axis) {
  const int64_t extent = n.inputs[0]->shape[axis];
  if (runtime_split(n)) {
    const Shape& s = n.inputs[1]->shape;
    NODE_CHECK(n, s.size() == 1 && s[0] == static_cast<int64_t>(n.outputs.size()),
               "split sizes input '" + n.inputs[1]->name + "' must be 1-D with one entry per output");
    return std::vector<int64_t>(n.outputs.size(), -1);
  }
  bool present = false;
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, ints_attr_or_input(n, "split", 1, &present));
  if (!present) {
    NODE_UNSUPPORTED_IF(n, extent < 0, "splitting an axis whose extent is known only at run time into equal "
                                       "parts; give the split sizes");
    const int64_t parts = n.get_int("num_outputs", static_cast<int64_t>(n.outputs.size()));
    NODE_CHECK(n, parts > 0, "needs at least one output");
    const int64_t chunk = (extent + parts - 1) / parts;
    for (int64_t i = 0, left = extent; i < parts; ++i, left -= chunk) sizes.push_back(std::clamp(left, int64_t{0}, chunk));
  }
  int64_t sum = 0;
  for (int64_t s : sizes) {
    NODE_CHECK(n, s >= 0, "negative split size");
    sum += s;
  }
  NODE_CHECK(n, sizes.size() == n.outputs.size() && (sum == extent || extent < 0),
             "split sizes (" + std::to_string(sizes.size()) + " parts summing to " + std::to_string(sum) +
                 ") do not cut extent " + std::to_string(extent) + " into " + std::to_string(n.outputs.size()) +
                 " outputs");
  return sizes;
}

Status infer_split(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  PT_ASSIGN_OR_RETURN(int64_t axis, axis_attr(n, n.inputs[0]->shape.size(), 0));
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, split_sizes(n, axis));
  for (size_t i = 0; i < sizes.size(); ++i) {
    Shape s = n.inputs[0]->shape;
    s[axis] = sizes[i];
    set_output(n, i, n.inputs[0]->dtype, s);
  }
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_split(const Node& n) {
  PT_ASSIGN_OR_RETURN(int64_t axis, axis_attr(n, n.inputs[0]->shape.size(), 0));
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, split_sizes(n, axis));
  std::vector<ir::Tensor> out;
  int64_t pos = 0;
  for (int64_t s : sizes) {
    out.push_back(gather_axis(*n.inputs[0]->data, axis, iota_from(pos, s)));
    pos += s;
  }
  return out;
}

Status lower_split(LowerContext& ctx, Node& n) {
  const int64_t axis = normalize_axis(n.get_int("axis", 0), n.inputs[0]->shape.size());
  if (runtime_split(n)) {
    RuntimeParams p(ctx, n);
    ctx.emit("tfl.SPLIT_V", n, {n.inputs[0], p.as(n.inputs[1], DType::kInt32), scalar_int32(ctx, n, "axis", axis)},
             n.outputs);
    return Status::ok();
  }
  if (n.outputs.size() == 1 && !ir::is_static(n.inputs[0]->shape)) {
    ctx.emit("tfl.RESHAPE", n, {n.inputs[0], ctx.shape_of(n, n.inputs[0])}, {n.outputs[0]});
    return Status::ok();
  }
  if (n.outputs.size() == 1) {
    ctx.reshape(n, n.inputs[0], n.outputs[0]->shape, n.outputs[0]);
    return Status::ok();
  }
  std::vector<int64_t> sizes;
  for (const Value* v : n.outputs) sizes.push_back(v->shape[axis]);
  if (std::all_of(sizes.begin(), sizes.end(), [&](int64_t s) { return s == sizes[0]; })) {
    ctx.emit("tfl.SPLIT", n, {scalar_int32(ctx, n, "axis", axis), n.inputs[0]}, n.outputs);
  } else {
    ctx.emit("tfl.SPLIT_V", n, {n.inputs[0], ctx.const_int32(n, "size_splits", sizes), scalar_int32(ctx, n, "axis", axis)},
             n.outputs);
  }
  return Status::ok();
}

// --- Slice: starts/ends/axes (attributes < 10), then steps (inputs ≥ 10), normalised per
// axis as the spec says: negative bounds count from the end, then clamp; INT64_MAX/MIN
// mean "to the end" ---

struct SliceAxis {
  int64_t begin = 0, end = 0, step = 1, count = 0;  // end is exclusive; -1 with a negative step: past index 0
};

// Slice's constant parameters (attributes before opset 10, inputs since), axes and steps
// defaulted, all of one length.
struct SliceParams {
  std::vector<int64_t> starts, ends, axes, steps;
};

Result<SliceParams> slice_params(const Node& n) {
  SliceParams p;
  bool present = false;
  PT_ASSIGN_OR_RETURN(p.starts, ints_attr_or_input(n, "starts", 1, &present));
  PT_ASSIGN_OR_RETURN(p.ends, ints_attr_or_input(n, "ends", 2, &present));
  PT_ASSIGN_OR_RETURN(p.axes, ints_attr_or_input(n, "axes", 3, &present));
  if (!present) p.axes = iota_from(0, static_cast<int64_t>(p.starts.size()));
  PT_ASSIGN_OR_RETURN(p.steps, ints_attr_or_input(n, "steps", 4, &present));
  if (!present) p.steps.assign(p.starts.size(), 1);
  const size_t k = p.starts.size();
  NODE_CHECK(n, p.ends.size() == k && p.axes.size() == k && p.steps.size() == k,
             "starts, ends, axes and steps differ in length");
  return p;
}

Result<std::vector<SliceAxis>> slice_axes(const Node& n) {
  const Shape& in = n.inputs[0]->shape;
  PT_ASSIGN_OR_RETURN(SliceParams sp, slice_params(n));
  const auto& [starts, ends, axes, steps] = sp;
  std::vector<SliceAxis> out(in.size());
  for (size_t i = 0; i < in.size(); ++i) out[i] = {0, in[i], 1, in[i]};
  std::vector<bool> seen(in.size(), false);
  for (size_t k = 0; k < starts.size(); ++k) {
    const int64_t axis = normalize_axis(axes[k], in.size());
    NODE_CHECK(n, axis >= 0 && !seen[axis], "axes are out of range or repeated");
    seen[axis] = true;
    const int64_t d = in[axis], step = steps[k];
    NODE_CHECK(n, step != 0, "step 0");
    int64_t b = starts[k] < 0 ? starts[k] + d : starts[k];
    int64_t e = ends[k] < 0 ? ends[k] + d : ends[k];
    int64_t count;
    if (step > 0) {
      b = std::clamp<int64_t>(b, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
      count = e > b ? (e - b + step - 1) / step : 0;
    } else {
      b = std::clamp<int64_t>(b, 0, d - 1);
      e = std::clamp<int64_t>(e, -1, d - 1);
      count = b > e ? (b - e - step - 1) / -step : 0;
    }
    out[axis] = {b, e, step, count};
  }
  return out;
}

// Slice whose starts/ends/axes/steps (inputs, opset >= 10) are computed at run time, or whose
// input has extents known only at run time: the output rank is the input's; an extent is
// known only when axes are constant and leave that axis alone.
bool runtime_slice(const Node& n) {
  if (!ir::is_static(n.inputs[0]->shape)) return true;
  for (size_t i = 1; i <= 4; ++i)
    if (n.input(i) && !n.inputs[i]->is_const()) return true;
  return false;
}

Status infer_runtime_slice(Node& n) {
  const Shape& in = n.inputs[0]->shape;
  NODE_CHECK(n, n.input(1) && n.input(2), "needs starts and ends");
  const Shape& ks = n.inputs[1]->shape;
  NODE_CHECK(n, ks.size() == 1 && ks[0] >= 0, "starts is not a 1-D tensor of known length");
  Shape out(in.size(), -1);
  if (!n.input(3) || n.inputs[3]->is_const()) {
    std::vector<int64_t> axes = n.input(3) ? n.inputs[3]->data->to_int64s() : iota_from(0, ks[0]);
    out = in;
    for (int64_t a : axes) {
      const int64_t axis = normalize_axis(a, in.size());
      NODE_CHECK(n, axis >= 0, "axis " + std::to_string(a) + " out of range");
      out[axis] = -1;
    }
  }
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

Status infer_slice(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  if (runtime_slice(n)) return infer_runtime_slice(n);
  PT_ASSIGN_OR_RETURN(std::vector<SliceAxis> axes, slice_axes(n));
  Shape out;
  for (const SliceAxis& a : axes) out.push_back(a.count);
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_slice(const Node& n) {
  PT_ASSIGN_OR_RETURN(std::vector<SliceAxis> axes, slice_axes(n));
  ir::Tensor t = *n.inputs[0]->data;
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i].count != t.shape[i] || axes[i].step != 1)
      t = gather_axis(t, i, iota_from(axes[i].begin, axes[i].count, axes[i].step));
  return std::vector<ir::Tensor>{std::move(t)};
}

// A run-time starts/ends/steps input as int32, saturated to the int32 range first (ONNX
// writes "to the end" as INT64_MAX / INT64_MIN).
Value* saturated_int32(RuntimeParams& p, Value* v) {
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  if (v->is_const()) {
    std::vector<int64_t> vals = v->data->to_int64s();
    for (int64_t& x : vals) x = std::clamp(x, -kMax, kMax);
    return p.ints(DType::kInt32, vals, v->shape);
  }
  if (v->dtype == DType::kInt32) return v;
  Value* lo = p.bin("tfl.MAXIMUM", p.bin("tfl.MINIMUM", v, p.ints(v->dtype, {kMax}, {})), p.ints(v->dtype, {-kMax}, {}));
  return p.cast(lo, DType::kInt32);
}

// STRIDED_SLICE with begin/end/strides computed at run time. The per-axis vectors start as
// (0, SHAPE(x), 1) with the given axes overwritten, then ONNX's rules are applied
// explicitly: negative bounds count from the end, begin clamps to [0, d] (step > 0) or
// [0, d-1] (step < 0), end to [0, d] or [-1, d-1]. TFLite then sees in-range, non-negative
// bounds, except end -1 with a negative step ("before index 0"), which TFLite would read as
// the last element: it is passed as -1 - d, which TFLite's own count-from-end and clamping
// turn back into -1.
Status lower_runtime_slice(LowerContext& ctx, Node& n) {
  RuntimeParams p(ctx, n);
  const DType i32 = DType::kInt32;
  Value* x = n.inputs[0];
  const int64_t r = static_cast<int64_t>(x->shape.size());
  NODE_UNSUPPORTED_IF(n, r > 5, "TFLite STRIDED_SLICE handles at most 5 dimensions");
  const int64_t k = n.inputs[1]->shape[0];
  Value* axes = n.input(3) ? p.axes(n.inputs[3], r) : p.ints(i32, iota_from(0, k));
  Value* starts = saturated_int32(p, n.inputs[1]);
  Value* ends = saturated_int32(p, n.inputs[2]);
  Value* steps = n.input(4) ? saturated_int32(p, n.inputs[4]) : p.ints(i32, std::vector<int64_t>(k, 1));
  Value* d = ctx.shape_of(n, x);
  Value* b = p.scatter(axes, starts, p.ints(i32, std::vector<int64_t>(r, 0)), r);
  Value* e = p.scatter(axes, ends, d, r);
  Value* st = p.scatter(axes, steps, p.ints(i32, std::vector<int64_t>(r, 1)), r);
  Value* zero = p.scalar(i32, 0);
  Value* forward = p.cmp("tfl.GREATER", st, zero);
  auto from_end = [&](Value* v) { return p.select(p.cmp("tfl.LESS", v, zero), p.bin("tfl.ADD", v, d), v); };
  Value* last = p.bin("tfl.SUB", d, p.scalar(i32, 1));
  Value* hi = p.select(forward, d, last);
  b = p.bin("tfl.MAXIMUM", p.bin("tfl.MINIMUM", from_end(b), hi), zero);
  e = p.bin("tfl.MAXIMUM", p.bin("tfl.MINIMUM", from_end(e), hi), p.select(forward, zero, p.scalar(i32, -1)));
  e = p.select(p.cmp("tfl.LESS", e, zero), p.bin("tfl.SUB", e, d), e);
  ctx.emit("tfl.STRIDED_SLICE", n, {x, b, e, st}, {n.outputs[0]});
  return Status::ok();
}

// Constant starts/ends/axes/steps on an input with run-time extents: TFLite's own rules
// (a negative bound counts from the end, then begin/end clamp to [0, d] for a positive
// stride, [-1, d-1] for a negative one) equal ONNX's, except a negative-step start below -d
// (ONNX clamps it to 0, TFLite to -1): that case, unknowable here, takes the run-time path.
// Untouched axes and "to the end" bounds are mask bits. Returns false when it does not apply.
Result<bool> lower_constant_slice(LowerContext& ctx, Node& n) {
  for (size_t i = 1; i <= 4; ++i)
    if (n.input(i) && !n.inputs[i]->is_const()) return false;
  const Shape& in = n.inputs[0]->shape;
  const int64_t r = static_cast<int64_t>(in.size());
  if (r > 5) return false;
  PT_ASSIGN_OR_RETURN(SliceParams sp, slice_params(n));
  const auto& [starts, ends, axes, steps] = sp;
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  std::vector<int64_t> begin(r, 0), end(r, 0), strides(r, 1);
  int64_t begin_mask = (int64_t{1} << r) - 1, end_mask = begin_mask;
  for (size_t k = 0; k < starts.size(); ++k) {
    const int64_t axis = normalize_axis(axes[k], in.size());
    NODE_CHECK(n, axis >= 0, "axis " + std::to_string(axes[k]) + " out of range");
    const int64_t step = steps[k];
    NODE_CHECK(n, step != 0, "step 0");
    if (step < 0 && starts[k] < -1 && (in[axis] < 0 || starts[k] < -in[axis])) return false;
    const int64_t bit = int64_t{1} << axis;
    begin_mask &= ~bit;
    end_mask &= ~bit;
    begin[axis] = std::clamp(starts[k], -kMax, kMax);
    strides[axis] = std::clamp(step, -kMax, kMax);
    if (step > 0 ? ends[k] >= kMax : ends[k] <= -kMax)
      end_mask |= bit;  // to the end (INT64_MAX / INT64_MIN)
    else
      end[axis] = std::clamp(ends[k], -kMax, kMax);
  }
  Node* s = ctx.emit("tfl.STRIDED_SLICE", n,
                     {n.inputs[0], ctx.const_int32(n, "begin", begin), ctx.const_int32(n, "end", end),
                      ctx.const_int32(n, "strides", strides)},
                     {n.outputs[0]});
  s->attrs["begin_mask"] = begin_mask;
  s->attrs["end_mask"] = end_mask;
  return true;
}

Status lower_slice(LowerContext& ctx, Node& n) {
  if (runtime_slice(n)) {
    PT_ASSIGN_OR_RETURN(bool done, lower_constant_slice(ctx, n));
    return done ? Status::ok() : lower_runtime_slice(ctx, n);
  }
  PT_ASSIGN_OR_RETURN(std::vector<SliceAxis> axes, slice_axes(n));
  const Shape& in = n.inputs[0]->shape;
  if (n.outputs[0]->shape == in && std::all_of(axes.begin(), axes.end(), [](const SliceAxis& a) { return a.step == 1; })) {
    ctx.reshape(n, n.inputs[0], in, n.outputs[0]);
    return Status::ok();
  }
  NODE_UNSUPPORTED_IF(n, in.size() > 5, "TFLite STRIDED_SLICE handles at most 5 dimensions");
  std::vector<int64_t> begin, end, strides;
  int64_t begin_mask = 0, end_mask = 0;
  for (size_t i = 0; i < axes.size(); ++i) {
    const SliceAxis& a = axes[i];
    begin.push_back(a.begin);
    end.push_back(a.end);
    strides.push_back(a.step);
    // A bound at the full extent is a mask bit; for a negative step the end "before index
    // 0" (-1) can only be said with the mask, as TFLite reads -1 as the last element.
    if (a.step > 0 ? a.begin == 0 : a.begin == in[i] - 1) begin_mask |= int64_t{1} << i;
    if (a.step > 0 ? a.end == in[i] : a.end == -1) {
      end_mask |= int64_t{1} << i;
      end.back() = a.step > 0 ? in[i] : 0;
    }
  }
  Node* s = ctx.emit("tfl.STRIDED_SLICE", n,
                     {n.inputs[0], ctx.const_int32(n, "begin", begin), ctx.const_int32(n, "end", end),
                      ctx.const_int32(n, "strides", strides)},
                     {n.outputs[0]});
  s->attrs["begin_mask"] = begin_mask;
  s->attrs["end_mask"] = end_mask;
  return Status::ok();
}

// --- Gather: output = data[:axis] + indices.shape + data[axis+1:] (a scalar index drops
// the axis) ---

Status infer_gather(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs data and indices");
  const Shape& data = n.inputs[0]->shape;
  PT_ASSIGN_OR_RETURN(int64_t axis, axis_attr(n, data.size(), 0));
  Shape out(data.begin(), data.begin() + axis);
  out.insert(out.end(), n.inputs[1]->shape.begin(), n.inputs[1]->shape.end());
  out.insert(out.end(), data.begin() + axis + 1, data.end());
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

// Constant indices with negative ones counted from the end.
Result<std::vector<int64_t>> gather_indices(const Node& n, int64_t axis) {
  const int64_t d = n.inputs[0]->shape[axis];
  std::vector<int64_t> idx = n.inputs[1]->data->to_int64s();
  for (int64_t& i : idx) {
    NODE_CHECK(n, i >= -d && i < d, "index " + std::to_string(i) + " out of range for extent " + std::to_string(d));
    if (i < 0) i += d;
  }
  return idx;
}

Result<std::vector<ir::Tensor>> fold_gather(const Node& n) {
  const int64_t axis = normalize_axis(n.get_int("axis", 0), n.inputs[0]->shape.size());
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> idx, gather_indices(n, axis));
  ir::Tensor t = gather_axis(*n.inputs[0]->data, axis, idx);
  t.shape = n.outputs[0]->shape;
  return std::vector<ir::Tensor>{std::move(t)};
}

Status lower_gather(LowerContext& ctx, Node& n) {
  const int64_t axis = normalize_axis(n.get_int("axis", 0), n.inputs[0]->shape.size());
  Value* indices = n.inputs[1];
  const int64_t extent = n.inputs[0]->shape[axis];
  if (extent < 0) {
    // The extent is known only at run time: negative indices are wrapped by FLOOR_MOD with
    // SHAPE(data)[axis], constant indices too.
    NODE_UNSUPPORTED_IF(n, indices->dtype != DType::kInt32 && indices->dtype != DType::kInt64,
                        "indices must be int32 or int64");
    RuntimeParams p(ctx, n);
    Value* dims = ctx.shape_of(n, n.inputs[0], indices->dtype);
    Value* wrapped = ctx.temp(n, indices->dtype, indices->shape, "indices");
    ctx.emit("tfl.FLOOR_MOD", n, {indices, p.element(dims, axis)}, {wrapped});
    ctx.emit("tfl.GATHER", n, {n.inputs[0], wrapped}, {n.outputs[0]})->attrs["axis"] = axis;
    return Status::ok();
  }
  if (indices->is_const()) {
    PT_ASSIGN_OR_RETURN(std::vector<int64_t> idx, gather_indices(n, axis));
    indices = ctx.constant(n, "indices", ir::Tensor::from_int64s(DType::kInt32, indices->shape, idx));
  }
  // Run-time indices: ONNX counts negative ones from the end, TFLite's GATHER rejects
  // them; FLOOR_MOD by the extent maps [-d, d) onto [0, d) (int32 or int64 alike).
  const int64_t d = n.inputs[0]->shape[axis];
  if (!indices->is_const() && d > 0) {
    NODE_UNSUPPORTED_IF(n, indices->dtype != DType::kInt32 && indices->dtype != DType::kInt64,
                        "indices must be int32 or int64");
    Value* wrapped = ctx.temp(n, indices->dtype, indices->shape, "indices");
    ctx.emit("tfl.FLOOR_MOD", n, {indices, ctx.constant(n, "extent", ir::Tensor::from_int64s(indices->dtype, {}, {d}))},
             {wrapped});
    indices = wrapped;
  }
  ctx.emit("tfl.GATHER", n, {n.inputs[0], indices}, {n.outputs[0]})->attrs["axis"] = axis;
  return Status::ok();
}

}  // namespace

void register_slice_gather(Registry& r) {
  r.add("Concat", dynamic({infer_concat, fold_concat, lower_concat}));
  r.add("Split", dynamic({infer_split, fold_split, lower_split}));
  r.add("Slice", dynamic({infer_slice, fold_slice, lower_slice}));
  r.add("Gather", dynamic({infer_gather, fold_gather, lower_gather}));
}

}  // namespace pt2tflite::lower
