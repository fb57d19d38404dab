// Element-wise indexing: GatherElements GatherND ScatterND ScatterElements (and opset-9
// Scatter, ScatterElements' old name). Everything is said with TFLite's GATHER_ND and
// SCATTER_ND over int32 coordinate tensors [..., k] (both kernels take int32 indices; ONNX's
// int64 are cast, exact for any index a tensor can have). All fold on constants.
//
// GatherElements / ScatterElements: the coordinates of element e of `indices` are e's own
// position along every axis but `axis`, and indices[e] along it. Constant indices make one
// constant coordinate tensor; run-time ones are concatenated between constant position grids.
// GatherND with batch_dims = b: the b batch coordinates are prepended the same way.
//
// ONNX counts negative indices from the end; TFLite rejects them. Constant ones are
// normalised (and range-checked) here; run-time ones go through FLOOR_MOD by the extents
// (a same-shape constant: TFLite's FLOOR_MOD broadcasts only up to 4-D).
//
// Scatter: SCATTER_ND writes updates into zeros, summing duplicates. reduction='add' is
// data + SCATTER_ND(updates). reduction='none' selects SCATTER_ND(updates) where a mask of
// the written elements is set, data elsewhere (SELECT_V2: exact, NaN/inf in data stay put
// where not written); the mask is a constant for constant indices. ONNX leaves duplicate
// indices undefined for 'none'. 'mul'/'max'/'min' (torch's scatter_reduce prod/amax/amin,
// point-cloud scatter_max) have no TFLite scatter: see scatter_by_one_hot.
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
using ir::Tensor;
using ir::Value;

bool is_elements_op(const Node& n) {
  return n.op == "onnx.GatherElements" || n.op == "onnx.ScatterElements" || n.op == "onnx.Scatter";
}

// Elements per addressed slice: the product of the data extents past the coordinates.
int64_t slice_size(const Shape& data, int64_t depth) {
  int64_t inner = 1;
  for (size_t d = depth; d < data.size(); ++d) inner *= data[d];
  return inner;
}

// Index (row-major flat) → multi-index of `shape`.
std::vector<int64_t> unravel(int64_t flat, const Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    idx[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  return idx;
}

// --- The coordinate problem, shared by all four ops ---
//
// coords [I..., k+b]: for each index position I, the data coordinates it names on axes
// 0..k+b-1 (elements ops: k+b = rank). Built from `indices` plus constant grids.
struct Coords {
  Shape index_shape;  // I
  int64_t depth = 0;  // coordinates per position
};

// Checks shapes and returns the shape of the index grid and the coordinate depth.
Result<Coords> coords_shape(const Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs data and indices");
  const Shape& data = n.inputs[0]->shape;
  const Shape& idx = n.inputs[1]->shape;
  NODE_CHECK(n, n.inputs[1]->dtype == DType::kInt32 || n.inputs[1]->dtype == DType::kInt64,
             "indices must be int32 or int64");
  if (is_elements_op(n)) {
    PT_ASSIGN_OR_RETURN(int64_t axis, axis_attr(n, data.size(), 0));
    (void)axis;
    NODE_CHECK(n, idx.size() == data.size(), "indices and data differ in rank");
    return Coords{idx, static_cast<int64_t>(data.size())};
  }
  NODE_CHECK(n, !idx.empty(), "indices must have rank >= 1");
  const int64_t b = n.get_int("batch_dims", 0), k = idx.back();
  NODE_CHECK(n, b >= 0 && b < static_cast<int64_t>(idx.size()) && b + k <= static_cast<int64_t>(data.size()),
             "batch_dims " + std::to_string(b) + " and index depth " + std::to_string(k) + " do not fit data rank " +
                 std::to_string(data.size()));
  for (int64_t d = 0; d < b; ++d) NODE_CHECK(n, idx[d] == data[d], "batch dimensions of data and indices differ");
  return Coords{Shape(idx.begin(), idx.end() - 1), b + k};
}

// Extent of the data axis that index column j (of the node's own indices) addresses.
int64_t column_extent(const Node& n, int64_t j) {
  const Shape& data = n.inputs[0]->shape;
  if (is_elements_op(n)) return data[normalize_axis(n.get_int("axis", 0), data.size())];
  return data[n.get_int("batch_dims", 0) + j];
}

// All coordinates, from constant indices (negative ones normalised, all range-checked).
Result<std::vector<int64_t>> const_coords(const Node& n, const Coords& c) {
  const std::vector<int64_t> raw = n.inputs[1]->data->to_int64s();
  const int64_t count = ir::num_elements(c.index_shape);
  std::vector<int64_t> out(static_cast<size_t>(count * c.depth));
  const bool elements = is_elements_op(n);
  const int64_t axis = elements ? normalize_axis(n.get_int("axis", 0), n.inputs[0]->shape.size()) : 0;
  const int64_t b = elements ? 0 : n.get_int("batch_dims", 0);
  const int64_t k = c.depth - b;
  for (int64_t e = 0; e < count; ++e) {
    const std::vector<int64_t> pos = unravel(e, c.index_shape);
    for (int64_t d = 0; d < c.depth; ++d) {
      int64_t v;
      if (elements) {
        v = d == axis ? raw[e] : pos[d];
      } else {
        v = d < b ? pos[d] : raw[e * k + (d - b)];
      }
      const bool from_indices = elements ? d == axis : d >= b;
      if (from_indices) {
        const int64_t extent = column_extent(n, elements ? 0 : d - b);
        NODE_CHECK(n, v >= -extent && v < extent,
                   "index " + std::to_string(v) + " out of range for extent " + std::to_string(extent));
        if (v < 0) v += extent;
      }
      out[e * c.depth + d] = v;
    }
  }
  return out;
}

// The coordinate tensor as a value: a constant, or run-time indices between constant grids.
Result<Value*> coords_value(LowerContext& ctx, const Node& n, const Coords& c) {
  Shape cs = c.index_shape;
  cs.push_back(c.depth);
  Value* idx = n.inputs[1];
  NODE_UNSUPPORTED_IF(n, !is_elements_op(n) && !ir::is_static(n.inputs[0]->shape),
                      "data " + ir::shape_to_string(n.inputs[0]->shape) +
                          " has extents known only at run time; GatherND needs static data");
  if (idx->is_const()) {
    PT_ASSIGN_OR_RETURN(std::vector<int64_t> v, const_coords(n, c));
    return ctx.constant(n, "coords", Tensor::from_int64s(DType::kInt32, cs, v));
  }
  const bool elements = is_elements_op(n);
  const int64_t k = elements ? 1 : idx->shape.back();
  Value* i32 = ctx.cast(n, idx, DType::kInt32);
  if (!elements && !ir::is_static(idx->shape)) {
    // GatherND with a run-time number of index rows (x[mask] after NonZero, boxes kept by
    // NMS): wrap negatives by the column extents, broadcast along the rows.
    NODE_UNSUPPORTED_IF(n, n.get_int("batch_dims", 0) != 0,
                        "GatherND with batch_dims and a number of index rows known only at run time");
    std::vector<int64_t> extents;
    for (int64_t j = 0; j < k; ++j) extents.push_back(column_extent(n, j));
    Value* wrapped = ctx.temp(n, DType::kInt32, idx->shape, "indices_wrapped");
    ctx.emit("tfl.FLOOR_MOD", n, {i32, ctx.const_int32(n, "extents", extents, {k})}, {wrapped});
    return wrapped;
  }
  // Wrap negatives: FLOOR_MOD by each column's extent (a constant of idx's own shape).
  std::vector<int64_t> extents(static_cast<size_t>(ir::num_elements(idx->shape)));
  for (size_t i = 0; i < extents.size(); ++i) extents[i] = column_extent(n, static_cast<int64_t>(i) % k);
  Value* wrapped = ctx.temp(n, DType::kInt32, idx->shape, "indices_wrapped");
  ctx.emit("tfl.FLOOR_MOD", n, {i32, ctx.constant(n, "extents", Tensor::from_int64s(DType::kInt32, idx->shape, extents))},
           {wrapped});
  // Position grids for the coordinates not taken from the indices: [0, first) and [last, depth).
  const int64_t first = elements ? normalize_axis(n.get_int("axis", 0), idx->shape.size()) : n.get_int("batch_dims", 0);
  const int64_t last = first + k;
  auto grid = [&](int64_t from, int64_t to, const std::string& name) {
    Shape gs = c.index_shape;
    gs.push_back(to - from);
    std::vector<int64_t> v;
    for (int64_t e = 0; e < ir::num_elements(c.index_shape); ++e) {
      const std::vector<int64_t> pos = unravel(e, c.index_shape);
      for (int64_t d = from; d < to; ++d) v.push_back(pos[d]);
    }
    return ctx.constant(n, name, Tensor::from_int64s(DType::kInt32, gs, v));
  };
  std::vector<Value*> parts;
  if (first > 0) parts.push_back(grid(0, first, "grid_before"));
  Shape ws = c.index_shape;
  ws.push_back(k);
  parts.push_back(ws == wrapped->shape ? wrapped : ctx.reshape(n, wrapped, ws));
  if (last < c.depth) parts.push_back(grid(last, c.depth, "grid_after"));
  if (parts.size() == 1) return parts[0];
  Value* coords = ctx.temp(n, DType::kInt32, cs, "coords");
  ctx.emit("tfl.CONCATENATION", n, parts, {coords})->attrs["axis"] = static_cast<int64_t>(cs.size() - 1);
  return coords;
}

// --- Gather ---

Status infer_gather(Node& n) {
  PT_ASSIGN_OR_RETURN(Coords c, coords_shape(n));
  Shape out = c.index_shape;
  const Shape& data = n.inputs[0]->shape;
  if (!is_elements_op(n)) out.insert(out.end(), data.begin() + c.depth, data.end());
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

// Copies slices data[coords[e]] (each `inner` elements) one after another.
Tensor gather_slices(const Tensor& data, const std::vector<int64_t>& coords, int64_t depth, const Shape& out_shape) {
  const std::vector<int64_t> st = strides_of(data.shape);
  const int64_t inner = slice_size(data.shape, depth);
  const size_t elem = ir::dtype_size(data.dtype), chunk = static_cast<size_t>(inner) * elem;
  Tensor out{data.dtype, out_shape, {}};
  out.bytes.resize(static_cast<size_t>(ir::num_elements(out_shape)) * elem);
  const int64_t count = depth ? static_cast<int64_t>(coords.size()) / depth : 0;
  for (int64_t e = 0; e < count; ++e) {
    int64_t off = 0;
    for (int64_t d = 0; d < depth; ++d) off += coords[e * depth + d] * st[d];
    std::copy_n(data.bytes.data() + off * elem, chunk, out.bytes.data() + e * chunk);
  }
  return out;
}

Result<std::vector<Tensor>> fold_gather(const Node& n) {
  PT_ASSIGN_OR_RETURN(Coords c, coords_shape(n));
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> coords, const_coords(n, c));
  return std::vector<Tensor>{gather_slices(*n.inputs[0]->data, coords, c.depth, n.outputs[0]->shape)};
}

// GatherElements whose indices or data have extents known only at run time: the position
// grids are built when the model runs (RANGE along each axis, BROADCAST_TO the indices'
// shape plus a trailing 1) and concatenated around the wrapped indices.
Status lower_runtime_gather_elements(LowerContext& ctx, Node& n) {
  RuntimeParams p(ctx, n);
  const DType i32 = DType::kInt32;
  Value* data = n.inputs[0];
  Value* idx = p.as(n.inputs[1], i32);
  const int64_t r = static_cast<int64_t>(data->shape.size());
  NODE_UNSUPPORTED_IF(n, r > 4, "run-time extents on a rank above 4 (TFLite's FLOOR_MOD broadcasts up to 4-D)");
  const int64_t axis = normalize_axis(n.get_int("axis", 0), data->shape.size());
  Value* extent =
      data->shape[axis] >= 0 ? p.scalar(i32, data->shape[axis]) : p.element(ctx.shape_of(n, data), axis);
  Value* wrapped = p.bin("tfl.FLOOR_MOD", idx, extent);
  Value* ishape = ctx.shape_of(n, idx);
  Value* target = p.concat({ishape, p.ints(i32, {1})});
  Shape cshape = idx->shape;
  cshape.push_back(1);
  std::vector<Value*> parts;
  for (int64_t d = 0; d < r; ++d) {
    Value* part = ctx.temp(n, i32, cshape, "coord");
    if (d == axis) {
      ctx.emit("tfl.RESHAPE", n, {wrapped, target}, {part});
    } else {
      Value* pos = ctx.temp(n, i32, {-1}, "positions");
      ctx.emit("tfl.RANGE", n, {p.scalar(i32, 0), p.element(ishape, d), p.scalar(i32, 1)}, {pos});
      Shape at(r + 1, 1);
      at[d] = -1;
      ctx.emit("tfl.BROADCAST_TO", n, {ctx.reshape(n, pos, at), target}, {part});
    }
    parts.push_back(part);
  }
  ctx.emit("tfl.GATHER_ND", n, {data, p.concat(parts, r)}, {n.outputs[0]});
  return Status::ok();
}

Status lower_gather(LowerContext& ctx, Node& n) {
  if (is_elements_op(n) && (!ir::is_static(n.inputs[0]->shape) || !ir::is_static(n.inputs[1]->shape)))
    return lower_runtime_gather_elements(ctx, n);
  PT_ASSIGN_OR_RETURN(Coords c, coords_shape(n));
  PT_ASSIGN_OR_RETURN(Value* coords, coords_value(ctx, n, c));
  ctx.emit("tfl.GATHER_ND", n, {n.inputs[0], coords}, {n.outputs[0]});
  return Status::ok();
}

// --- Scatter ---

Result<std::string> reduction_of(const Node& n) {
  const std::string r = n.get_string("reduction", "none");
  NODE_CHECK(n, r == "none" || r == "add" || r == "mul" || r == "max" || r == "min", "unknown reduction '" + r + "'");
  return r;
}

Status infer_scatter(Node& n) {
  PT_ASSIGN_OR_RETURN(Coords c, coords_shape(n));
  NODE_CHECK(n, n.input(2), "missing updates");
  NODE_CHECK(n, n.get_int("batch_dims", 0) == 0, "ScatterND has no batch_dims");
  Shape want = c.index_shape;
  const Shape& data = n.inputs[0]->shape;
  if (!is_elements_op(n)) want.insert(want.end(), data.begin() + c.depth, data.end());
  NODE_CHECK(n, n.inputs[2]->shape == want,
             "updates have shape " + ir::shape_to_string(n.inputs[2]->shape) + ", expected " + ir::shape_to_string(want));
  NODE_CHECK(n, n.inputs[2]->dtype == n.inputs[0]->dtype, "updates and data differ in type");
  PT_ASSIGN_OR_RETURN(std::string red, reduction_of(n));
  (void)red;
  set_output(n, 0, n.inputs[0]->dtype, data);
  return Status::ok();
}

// Applies updates at coordinates (depth coordinates each, slices after) onto base.
Tensor scatter_values(const Tensor& base, const std::vector<int64_t>& coords, int64_t depth, const Tensor& updates,
                      const std::string& red) {
  std::vector<double> out = base.to_doubles();
  const std::vector<double> upd = updates.to_doubles();
  const std::vector<int64_t> st = strides_of(base.shape);
  const int64_t inner = slice_size(base.shape, depth);
  const int64_t count = depth ? static_cast<int64_t>(coords.size()) / depth : 0;
  for (int64_t e = 0; e < count; ++e) {
    int64_t off = 0;
    for (int64_t d = 0; d < depth; ++d) off += coords[e * depth + d] * st[d];
    for (int64_t j = 0; j < inner; ++j) {
      double& o = out[off + j];
      const double u = upd[e * inner + j];
      o = red == "add" ? o + u : red == "mul" ? o * u : red == "max" ? std::max(o, u) : red == "min" ? std::min(o, u) : u;
    }
  }
  if (ir::is_float(base.dtype)) return Tensor::from_doubles(base.dtype, base.shape, out);
  std::vector<int64_t> ints(out.begin(), out.end());  // integer data: exact below 2^53
  return Tensor::from_int64s(base.dtype, base.shape, ints);
}

Result<std::vector<Tensor>> fold_scatter(const Node& n) {
  PT_ASSIGN_OR_RETURN(Coords c, coords_shape(n));
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> coords, const_coords(n, c));
  PT_ASSIGN_OR_RETURN(std::string red, reduction_of(n));
  return std::vector<Tensor>{scatter_values(*n.inputs[0]->data, coords, c.depth, *n.inputs[2]->data, red)};
}

// Constant slice coordinates [I..., d] → one coordinate per element [I..., data[d:]..., rank]:
// a scatter whose coordinates cover every axis commutes with layout permutations
// (layout_rules.cc), so a channel update in an NHWC model needs no transposes. Past this
// many updated elements the coordinate table would outweigh the transposes it saves.
constexpr int64_t kMaxExpandedUpdates = 1 << 16;

Tensor expand_coords(const Tensor& coords, const Shape& data) {
  const int64_t d = coords.shape.back(), rank = static_cast<int64_t>(data.size());
  const Shape slice(data.begin() + d, data.end());
  const int64_t per = ir::num_elements(slice), count = coords.size() / d;
  const std::vector<int64_t> c = coords.to_int64s();
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(count * per * rank));
  for (int64_t e = 0; e < count; ++e)
    for (int64_t j = 0; j < per; ++j) {
      out.insert(out.end(), c.begin() + e * d, c.begin() + (e + 1) * d);
      const std::vector<int64_t> pos = unravel(j, slice);
      out.insert(out.end(), pos.begin(), pos.end());
    }
  Shape s(coords.shape.begin(), coords.shape.end() - 1);
  s.insert(s.end(), slice.begin(), slice.end());
  s.push_back(rank);
  return Tensor::from_int64s(DType::kInt32, s, out);
}

// Past this many [updates × data elements] the one-hot mask of scatter_by_one_hot is too big.
constexpr int64_t kMaxOneHotElements = int64_t{1} << 22;

// reduction 'max' / 'min' / 'mul': each update element's flat data index becomes a row of a
// one-hot [U, D] mask (ONE_HOT); the updates, with the reduction's identity (-inf, +inf, 1)
// where a row does not hit, are reduced over the rows (REDUCE_MAX / REDUCE_MIN / REDUCE_PROD)
// and combined with data (MAXIMUM / MINIMUM / MUL): elements nobody writes meet the identity
// and keep their value. Duplicate indices reduce together, as ONNX specifies. Indices that
// address slices (depth < rank) cover contiguous row-major runs: index + 0..slice-1. Float32.
Status scatter_by_one_hot(LowerContext& ctx, Node& n, Value* coords, int64_t depth, const std::string& red) {
  Value* data = n.inputs[0];
  Value* updates = n.inputs[2];
  const Shape& shape = data->shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  NODE_UNSUPPORTED_IF(n, data->dtype != DType::kFloat32,
                      "reduction='" + red + "' is composed for float32 data only (no TFLite scatter reduces so)");
  const int64_t elements = ir::num_elements(shape), count = ir::num_elements(updates->shape);
  NODE_UNSUPPORTED_IF(n, elements * count > kMaxOneHotElements,
                      "reduction='" + red + "': " + std::to_string(count) + " updates into " + std::to_string(elements) +
                          " elements need a one-hot mask larger than " + std::to_string(kMaxOneHotElements));
  // Flat index of every update element: coordinates · row-major strides, plus the offsets
  // inside an addressed slice.
  const int64_t per = slice_size(shape, depth), addressed = count / per;
  Value* rows = ctx.reshape(n, coords, {addressed, depth});
  std::vector<int64_t> strides = strides_of(shape);
  strides.resize(static_cast<size_t>(depth));
  Value* weighted = ctx.temp(n, DType::kInt32, {addressed, depth}, "weighted");
  ctx.emit("tfl.MUL", n, {rows, ctx.const_int32(n, "strides", strides, {1, depth})}, {weighted});
  Value* flat_index = ctx.temp(n, DType::kInt32, {addressed, 1}, "flat_index");
  ctx.emit("tfl.SUM", n, {weighted, ctx.const_int32(n, "axis", {1})}, {flat_index})->attrs["keep_dims"] = int64_t{1};
  if (per > 1) {
    std::vector<int64_t> offsets(static_cast<size_t>(per));
    for (int64_t j = 0; j < per; ++j) offsets[static_cast<size_t>(j)] = j;
    Value* run = ctx.temp(n, DType::kInt32, {addressed, per}, "flat_run");
    ctx.emit("tfl.ADD", n, {flat_index, ctx.const_int32(n, "offsets", offsets, {1, per})}, {run});
    flat_index = run;
  }
  flat_index = ctx.reshape(n, flat_index, {count});
  Value* hot = ctx.temp(n, DType::kBool, {count, elements}, "hits");
  ctx.emit("tfl.ONE_HOT", n,
           {flat_index, ctx.constant(n, "depth", Tensor::from_int64s(DType::kInt32, {}, {elements})),
            ctx.constant(n, "on", Tensor::from_int64s(DType::kBool, {}, {1})),
            ctx.constant(n, "off", Tensor::from_int64s(DType::kBool, {}, {0}))},
           {hot})
      ->attrs["axis"] = int64_t{-1};
  const float inf = std::numeric_limits<float>::infinity();
  const float identity = red == "max" ? -inf : red == "min" ? inf : 1.0f;
  Value* candidates = ctx.temp(n, DType::kFloat32, {count, elements}, "candidates");
  ctx.emit("tfl.SELECT_V2", n,
           {hot, ctx.reshape(n, updates, {count, 1}), ctx.const_float(n, "identity", {identity}, {})}, {candidates});
  const char* reduce = red == "max" ? "tfl.REDUCE_MAX" : red == "min" ? "tfl.REDUCE_MIN" : "tfl.REDUCE_PROD";
  const char* combine = red == "max" ? "tfl.MAXIMUM" : red == "min" ? "tfl.MINIMUM" : "tfl.MUL";
  Value* reduced = ctx.temp(n, DType::kFloat32, {elements}, "reduced");
  ctx.emit(reduce, n, {candidates, ctx.const_int32(n, "rows", {0})}, {reduced})->attrs["keep_dims"] = int64_t{0};
  Value* combined = ctx.temp(n, DType::kFloat32, {elements}, "combined");
  ctx.emit(combine, n, {ctx.reshape(n, data, {elements}), reduced}, {combined});
  ctx.reshape(n, combined, shape, n.outputs[0]);
  return Status::ok();
}

Status lower_scatter(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Coords c, coords_shape(n));
  PT_ASSIGN_OR_RETURN(std::string red, reduction_of(n));
  Value* data = n.inputs[0];
  Value* updates = n.inputs[2];
  const DType t = data->dtype;
  NODE_UNSUPPORTED_IF(n, t != DType::kFloat32 && t != DType::kInt32 && t != DType::kInt64 && t != DType::kInt8 &&
                             t != DType::kUInt8,
                      std::string("TFLite's SCATTER_ND has no ") + ir::dtype_name(t) + " kernel");
  PT_ASSIGN_OR_RETURN(Value* coords, coords_value(ctx, n, c));
  const Shape& shape = data->shape;
  if (coords->is_const() && c.depth < static_cast<int64_t>(shape.size()) &&
      ir::num_elements(updates->shape) <= kMaxExpandedUpdates) {
    coords = ctx.constant(n, "coords_full", expand_coords(*coords->data, shape));
    c.depth = static_cast<int64_t>(shape.size());
  }
  if (red == "max" || red == "min" || red == "mul") return scatter_by_one_hot(ctx, n, coords, c.depth, red);
  Value* shape_t = ctx.const_int32(n, "shape", shape);
  // SCATTER_ND's updates are [I..., slice]: the elements ops' updates already are.
  Value* scattered;
  if (coords->is_const() && updates->is_const()) {  // e.g. x[:, idx] = 0: a constant, summing like SCATTER_ND
    const Tensor zeros = Tensor::from_int64s(t, shape, std::vector<int64_t>(ir::num_elements(shape), 0));
    scattered = ctx.constant(n, "scattered",
                             scatter_values(zeros, coords->data->to_int64s(), c.depth, *updates->data, "add"));
  } else {
    scattered = ctx.temp(n, t, shape, "scattered");
    ctx.emit("tfl.SCATTER_ND", n, {coords, updates, shape_t}, {scattered});
  }
  if (red == "add") {
    ctx.emit("tfl.ADD", n, {data, scattered}, {n.outputs[0]});
    return Status::ok();
  }
  Value* mask;
  if (coords->is_const()) {
    const std::vector<int64_t> cv = coords->data->to_int64s();
    const std::vector<int64_t> st = strides_of(shape);
    const int64_t inner = slice_size(shape, c.depth);
    std::vector<int64_t> m(static_cast<size_t>(ir::num_elements(shape)), 0);
    for (size_t e = 0; e * c.depth < cv.size(); ++e) {
      int64_t off = 0;
      for (int64_t d = 0; d < c.depth; ++d) off += cv[e * c.depth + d] * st[d];
      std::fill_n(m.begin() + off, inner, 1);
    }
    mask = ctx.constant(n, "written", Tensor::from_int64s(DType::kBool, shape, m));
  } else {  // count the writes per element: SCATTER_ND of ones
    Value* ones = ctx.constant(n, "ones", Tensor::from_int64s(DType::kInt32, updates->shape,
                                                              std::vector<int64_t>(ir::num_elements(updates->shape), 1)));
    Value* count = ctx.temp(n, DType::kInt32, shape, "writes");
    ctx.emit("tfl.SCATTER_ND", n, {coords, ones, shape_t}, {count});
    mask = ctx.temp(n, DType::kBool, shape, "written");
    ctx.emit("tfl.GREATER", n, {count, ctx.constant(n, "zero", Tensor::from_int64s(DType::kInt32, {}, {0}))}, {mask});
  }
  ctx.emit("tfl.SELECT_V2", n, {mask, scattered, data}, {n.outputs[0]});
  return Status::ok();
}

}  // namespace

void register_gather_scatter(Registry& r) {
  r.add("GatherElements", dynamic({infer_gather, fold_gather, lower_gather}));
  r.add("GatherND", dynamic({infer_gather, fold_gather, lower_gather}));
  r.add("ScatterND", {infer_scatter, fold_scatter, lower_scatter});
  r.add("ScatterElements", {infer_scatter, fold_scatter, lower_scatter});
  r.add("Scatter", {infer_scatter, fold_scatter, lower_scatter});
}

}  // namespace pt2tflite::lower
