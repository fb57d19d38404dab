// CenterCropPad (opset 18) and ReverseSequence (opset 10).
//
// CenterCropPad with a constant `shape`: per listed axis, a smaller target crops
// (dim − s) / 2 cells (rounded down) from the start, a larger one pads (s − dim) / 2 zeros
// before and the rest after (the ONNX reference's split). One SLICE for all crops, then one
// PAD for all pads; neither when the shape is unchanged (a RESHAPE copies). Any dtype.
// A `shape` computed at run time (or an input with run-time extents) takes the same steps
// with SLICE's begin/size and PAD's paddings computed from SHAPE(x) at run time.
//
// ReverseSequence: y[t, b] = x[L[b] − 1 − t, b] for t < L[b], x[t, b] after (time and batch
// axes 0/1 in either order). Said with GATHER_ND over int32 (time, batch) coordinates:
// constant when sequence_lens is, else SELECT_V2(t < L, L − 1 − t, t) against a constant
// time grid, concatenated with a constant batch grid. (GATHER_ND, not TFLite's
// REVERSE_SEQUENCE: the converter's reference kernels and quantizer know GATHER_ND.)
#include <algorithm>

#include "lower/context.h"
#include "lower/emit_arith.h"
#include "lower/registry.h"
#include "lower/runtime_params.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

// --- CenterCropPad ---

std::vector<int64_t> crop_pad_axes(const Node& n) {
  std::vector<int64_t> axes = n.get_ints("axes");
  if (!n.has("axes"))
    for (size_t a = 0; a < n.inputs[0]->shape.size(); ++a) axes.push_back(static_cast<int64_t>(a));
  return axes;
}

// Target extent per axis of the input (the input's own for axes not listed); -1 on the
// listed axes when `shape` is computed at run time.
Result<Shape> crop_pad_target(const Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs input_data and shape");
  const Shape& x = n.inputs[0]->shape;
  std::vector<int64_t> axes = crop_pad_axes(n);
  std::vector<int64_t> shape;
  if (n.inputs[1]->is_const()) {
    PT_ASSIGN_OR_RETURN(shape, const_ints(n, 1, "shape"));
  } else {
    NODE_CHECK(n, n.inputs[1]->shape.size() == 1, "shape must be 1-D");
    shape.assign(n.inputs[1]->shape[0], -1);
  }
  NODE_CHECK(n, axes.size() == shape.size(),
             "shape has " + std::to_string(shape.size()) + " values for " + std::to_string(axes.size()) + " axes");
  Shape target = x;
  for (size_t i = 0; i < axes.size(); ++i) {
    const int64_t a = normalize_axis(axes[i], x.size());
    NODE_CHECK(n, a >= 0, "axis " + std::to_string(axes[i]) + " out of range");
    NODE_CHECK(n, shape[i] >= 0 || !n.inputs[1]->is_const(), "negative target extent");
    target[a] = shape[i];
  }
  return target;
}

Status infer_center_crop_pad(Node& n) {
  PT_ASSIGN_OR_RETURN(Shape target, crop_pad_target(n));
  set_output(n, 0, n.inputs[0]->dtype, target);
  return Status::ok();
}

// begin = max(d - t, 0) / 2, size = min(d, t); pads before = max(t - d, 0) / 2, after = the rest.
Status lower_runtime_center_crop_pad(LowerContext& ctx, Node& n) {
  RuntimeParams p(ctx, n);
  const DType i32 = DType::kInt32;
  Value* x = n.inputs[0];
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  std::vector<int64_t> axes = crop_pad_axes(n);
  for (int64_t& a : axes) a = normalize_axis(a, rank);
  Value* d = ir::is_static(x->shape) ? p.ints(i32, x->shape) : ctx.shape_of(n, x);
  Value* t = p.scatter(p.ints(i32, axes), p.as(n.inputs[1], i32), d, rank);
  Value* zero = p.scalar(i32, 0);
  Value* two = p.scalar(i32, 2);
  Value* begin = p.bin("tfl.FLOOR_DIV", p.bin("tfl.MAXIMUM", p.bin("tfl.SUB", d, t), zero), two);
  Value* size = p.bin("tfl.MINIMUM", d, t);
  Value* grow = p.bin("tfl.MAXIMUM", p.bin("tfl.SUB", t, d), zero);
  Value* before = p.bin("tfl.FLOOR_DIV", grow, two);
  Value* after = p.bin("tfl.SUB", grow, before);
  Value* cropped = ctx.temp(n, x->dtype, Shape(rank, -1), "cropped");
  ctx.emit("tfl.SLICE", n, {x, begin, size}, {cropped});
  Value* paddings = p.concat({p.reshape(before, {rank, 1}), p.reshape(after, {rank, 1})}, 1);
  ctx.emit("tfl.PAD", n, {cropped, paddings}, {n.outputs[0]});
  return Status::ok();
}

Status lower_center_crop_pad(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  const Shape& s = x->shape;
  if (!n.inputs[1]->is_const() || !ir::is_static(s)) return lower_runtime_center_crop_pad(ctx, n);
  PT_ASSIGN_OR_RETURN(Shape target, crop_pad_target(n));
  Value* out = n.outputs[0];
  std::vector<int64_t> begin, size, pads;
  Shape cropped = s;
  bool crop = false, pad = false;
  for (size_t a = 0; a < s.size(); ++a) {
    const int64_t dim = s[a], want = target[a];
    begin.push_back(want < dim ? (dim - want) / 2 : 0);
    size.push_back(std::min(dim, want));
    cropped[a] = std::min(dim, want);
    const int64_t before = want > dim ? (want - dim) / 2 : 0;
    pads.push_back(before);
    pads.push_back(want > dim ? want - dim - before : 0);
    crop |= want < dim;
    pad |= want > dim;
  }
  Value* y = x;
  if (crop) {
    y = pad ? ctx.temp(n, x->dtype, cropped, "cropped") : out;
    ctx.emit("tfl.SLICE", n, {x, ctx.const_int32(n, "begin", begin), ctx.const_int32(n, "size", size)}, {y});
  }
  if (pad) {
    const int64_t rank = static_cast<int64_t>(s.size());
    ctx.emit("tfl.PAD", n, {y, ctx.const_int32(n, "paddings", pads, {rank, 2})}, {out});
  }
  if (!crop && !pad) ctx.reshape(n, x, s, out);
  return Status::ok();
}

// --- ReverseSequence ---

struct SeqAxes {
  int64_t time, batch;
};

Result<SeqAxes> seq_axes(const Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs input and sequence_lens");
  const Shape& x = n.inputs[0]->shape;
  NODE_CHECK(n, x.size() >= 2, "input must have rank >= 2");
  const int64_t t = n.get_int("time_axis", 0), b = n.get_int("batch_axis", 1);
  NODE_CHECK(n, (t == 0 && b == 1) || (t == 1 && b == 0), "time_axis and batch_axis must be 0 and 1 in some order");
  NODE_CHECK(n, n.inputs[1]->shape.size() == 1 && n.inputs[1]->shape[0] == x[b],
             "sequence_lens must be [batch_size], got " + ir::shape_to_string(n.inputs[1]->shape));
  return SeqAxes{t, b};
}

Status infer_reverse_sequence(Node& n) {
  PT_ASSIGN_OR_RETURN(SeqAxes ax, seq_axes(n));
  (void)ax;
  set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
  return Status::ok();
}

Status lower_reverse_sequence(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(SeqAxes ax, seq_axes(n));
  Value* x = n.inputs[0];
  Value* lens = n.inputs[1];
  const Shape& s = x->shape;
  NODE_UNSUPPORTED_IF(n, s[0] < 0 || s[1] < 0, "dynamic time or batch extent (fix them with --input-shape)");
  const int64_t steps = s[ax.time], batch = s[ax.batch];
  // Grids over the leading [s0, s1]: the time index and the batch index of each position.
  std::vector<int64_t> time_grid, batch_grid;
  for (int64_t i = 0; i < s[0]; ++i)
    for (int64_t j = 0; j < s[1]; ++j) {
      time_grid.push_back(ax.time == 0 ? i : j);
      batch_grid.push_back(ax.batch == 0 ? i : j);
    }
  const Shape lead{s[0], s[1], 1};
  Value* coords;
  if (lens->is_const()) {
    const std::vector<int64_t> l = lens->data->to_int64s();
    std::vector<int64_t> c;
    for (size_t e = 0; e < time_grid.size(); ++e) {
      const int64_t t = time_grid[e], b = batch_grid[e], len = l[b];
      NODE_CHECK(n, len >= 0 && len <= steps, "sequence length " + std::to_string(len) + " outside [0, " +
                                                  std::to_string(steps) + "]");
      const int64_t src = t < len ? len - 1 - t : t;
      c.push_back(ax.time == 0 ? src : b);
      c.push_back(ax.time == 0 ? b : src);
    }
    coords = ctx.constant(n, "coords", Tensor::from_int64s(DType::kInt32, {s[0], s[1], 2}, c));
  } else {
    Arith a(ctx, n);
    Shape lshape{1, 1, 1};
    lshape[ax.batch] = batch;
    Value* l = ctx.reshape(n, ctx.cast(n, lens, DType::kInt32), lshape);
    Value* t = ctx.constant(n, "time", Tensor::from_int64s(DType::kInt32, lead, time_grid));
    Value* reversed = a.sub(a.sub(l, a.scalar(DType::kInt32, 1)), t);
    Value* src = a.select(a.bin("tfl.LESS", t, l, DType::kBool), reversed, t);
    Value* b = ctx.constant(n, "batch", Tensor::from_int64s(DType::kInt32, lead, batch_grid));
    coords = ctx.temp(n, DType::kInt32, {s[0], s[1], 2}, "coords");
    ctx.emit("tfl.CONCATENATION", n, ax.time == 0 ? std::vector<Value*>{src, b} : std::vector<Value*>{b, src}, {coords})
        ->attrs["axis"] = int64_t{2};
  }
  ctx.emit("tfl.GATHER_ND", n, {x, coords}, {n.outputs[0]});
  return Status::ok();
}

}  // namespace

void register_crop_reverse(Registry& r) {
  r.add("CenterCropPad", dynamic({infer_center_crop_pad, nullptr, lower_center_crop_pad}));
  r.add("ReverseSequence", {infer_reverse_sequence, nullptr, lower_reverse_sequence});
}

}  // namespace pt2tflite::lower
