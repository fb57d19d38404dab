#include "lower/context.h"

#include <algorithm>

namespace pt2tflite::lower {

using ir::DType;
using ir::Node;
using ir::Value;

Node* LowerContext::emit(const std::string& op, const Node& origin, std::vector<Value*> inputs,
                         std::vector<Value*> outputs) {
  return g_.add_node(op, origin.name, std::move(inputs), std::move(outputs));
}

Value* LowerContext::temp(const Node& origin, DType dtype, ir::Shape shape, const std::string& suffix) {
  return g_.add_value(origin.name + (suffix.empty() ? "" : "/" + suffix), dtype, std::move(shape));
}

Value* LowerContext::const_int32(const Node& origin, const std::string& suffix, const std::vector<int64_t>& values,
                                 ir::Shape shape) {
  if (shape.empty() && values.size() != 1) shape = {static_cast<int64_t>(values.size())};
  if (shape.empty()) shape = {1};
  return g_.add_const(origin.name + "/" + suffix, ir::Tensor::from_int64s(DType::kInt32, shape, values));
}

Value* LowerContext::const_float(const Node& origin, const std::string& suffix, const std::vector<float>& values,
                                 ir::Shape shape) {
  return g_.add_const(origin.name + "/" + suffix, ir::Tensor::from_floats(std::move(shape), values));
}

Value* LowerContext::constant(const Node& origin, const std::string& suffix, ir::Tensor t) {
  return g_.add_const(origin.name + "/" + suffix, std::move(t));
}

Value* LowerContext::transpose(const Node& origin, Value* x, const std::vector<int64_t>& perm, Value* out) {
  if (!out) out = temp(origin, x->dtype, ir::permute(x->shape, perm), "transposed");
  emit("tfl.TRANSPOSE", origin, {x, const_int32(origin, "perm", perm)}, {out});
  return out;
}

Value* LowerContext::reshape(const Node& origin, Value* x, const ir::Shape& shape, Value* out) {
  if (!out) out = temp(origin, x->dtype, shape, "reshaped");
  const bool copy_of_dynamic = shape == x->shape && std::count(shape.begin(), shape.end(), -1) > 1;
  emit("tfl.RESHAPE", origin, {x, copy_of_dynamic ? shape_of(origin, x) : const_int32(origin, "shape", shape)}, {out});
  return out;
}

Value* LowerContext::dims_from(const Node& origin, Value* x, const std::vector<int64_t>& from_x,
                               const std::vector<int64_t>& constants) {
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  std::vector<int64_t> values(from_x.size()), picks, extra;
  bool known = true;
  for (size_t i = 0; i < from_x.size(); ++i) {
    if (from_x[i] >= 0) {
      values[i] = x->shape[from_x[i]];
      known &= values[i] >= 0;
      picks.push_back(from_x[i]);
    } else {
      values[i] = constants[i];
      picks.push_back(rank + static_cast<int64_t>(extra.size()));
      extra.push_back(constants[i]);
    }
  }
  if (known) return const_int32(origin, "shape", values);
  Value* pool = shape_of(origin, x);
  if (!extra.empty()) {
    Value* joined = temp(origin, DType::kInt32, {rank + static_cast<int64_t>(extra.size())}, "dims");
    emit("tfl.CONCATENATION", origin, {pool, const_int32(origin, "extra_dims", extra)}, {joined})->attrs["axis"] =
        int64_t{0};
    pool = joined;
  }
  Value* dims = temp(origin, DType::kInt32, {static_cast<int64_t>(from_x.size())}, "dims");
  emit("tfl.GATHER", origin, {pool, const_int32(origin, "dim_picks", picks)}, {dims})->attrs["axis"] = int64_t{0};
  return dims;
}

Value* LowerContext::shape_of(const Node& origin, Value* x, DType dtype) {
  Value* s = temp(origin, dtype, {static_cast<int64_t>(x->shape.size())}, "shape");
  emit("tfl.SHAPE", origin, {x}, {s});
  return s;
}

Value* LowerContext::cast(const Node& origin, Value* x, DType dtype, Value* out) {
  if (!out && x->dtype == dtype) return x;
  if (!out && x->is_const()) {
    const ir::Tensor& t = *x->data;
    return constant(origin, "cast", ir::is_float(dtype) ? ir::Tensor::from_doubles(dtype, t.shape, t.to_doubles())
                                                        : ir::Tensor::from_int64s(dtype, t.shape, t.to_int64s()));
  }
  if (!out) out = temp(origin, dtype, x->shape, "cast");
  emit("tfl.CAST", origin, {x}, {out});
  return out;
}

std::vector<int64_t> LowerContext::to_channels_last_perm(size_t rank) {
  std::vector<int64_t> p{0};
  for (size_t i = 2; i < rank; ++i) p.push_back(static_cast<int64_t>(i));
  p.push_back(1);
  return p;
}

std::vector<int64_t> LowerContext::to_channels_first_perm(size_t rank) {
  return ir::inverse_permutation(to_channels_last_perm(rank));
}

Value* LowerContext::to_channels_last(const Node& origin, Value* x) {
  return transpose(origin, x, to_channels_last_perm(x->shape.size()));
}

void LowerContext::from_channels_last(const Node& origin, Value* x_cl, Value* out) {
  transpose(origin, x_cl, to_channels_first_perm(x_cl->shape.size()), out);
}

int64_t normalize_axis(int64_t axis, size_t rank) {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) return -1;
  return axis < 0 ? axis + r : axis;
}

Result<DType> dtype_attr(const Node& n, const std::string& attr) {
  const int64_t t = n.get_int(attr, 0);
  switch (t) {
    case 1: return DType::kFloat32;
    case 2: return DType::kUInt8;
    case 3: return DType::kInt8;
    case 5: return DType::kInt16;
    case 6: return DType::kInt32;
    case 7: return DType::kInt64;
    case 9: return DType::kBool;
    case 10: return DType::kFloat16;
    case 11: return DType::kFloat64;
    default:
      return unsupported(n.describe() + ": " + attr + " = ONNX element type " + std::to_string(t) +
                         " (only float32/16/64, int8/16/32/64, uint8 and bool are supported)");
  }
}

Result<int64_t> axis_attr(const Node& n, size_t rank, int64_t def) {
  const int64_t a = n.get_int("axis", def);
  const int64_t axis = normalize_axis(a, rank);
  NODE_CHECK(n, axis >= 0, "axis " + std::to_string(a) + " out of range for rank " + std::to_string(rank));
  return axis;
}

Result<std::vector<int64_t>> const_ints(const Node& n, size_t input_index, const std::string& what) {
  const Value* v = n.input(input_index);
  if (!v) return invalid_model(n.describe() + ": missing input " + std::to_string(input_index) + " (" + what + ")");
  if (!v->is_const())
    return unsupported(n.describe() + ": " + what + " (input '" + v->name +
                       "') is computed at run time; pt2tflite needs it constant. Export with fixed "
                       "shapes or fix them with --input-shape");
  return v->data->to_int64s();
}

Result<std::vector<int64_t>> ints_attr_or_input(const Node& n, const std::string& attr, size_t input_index,
                                                bool* present) {
  if (n.has(attr)) {
    *present = true;
    return n.get_ints(attr);
  }
  if (n.input(input_index)) {
    *present = true;
    return const_ints(n, input_index, attr);
  }
  *present = false;
  return std::vector<int64_t>{};
}

void set_output(Node& n, size_t i, DType dtype, ir::Shape shape) {
  if (i >= n.outputs.size()) return;
  n.outputs[i]->dtype = dtype;
  n.outputs[i]->shape = std::move(shape);
}

}  // namespace pt2tflite::lower
