// What a lowering function may do: read the ONNX node, add tfl.* nodes and values.
// A lowering writes its results into the ONNX node's own output values (which keep their
// ONNX shapes, NCHW for images); layout-sensitive ops work NHWC between transposes that
// the transpose-sinking pass later cancels.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "lower/lower.h"
#include "pt2tflite/status.h"

namespace pt2tflite::lower {

class LowerContext {
 public:
  explicit LowerContext(ir::Graph& g, LowerOptions options = {}) : g_(g), options_(options) {}
  ir::Graph& graph() { return g_; }
  const LowerOptions& options() const { return options_; }

  // Adds `op` ("tfl.ADD") reading `inputs` and writing `outputs`, named after `origin`.
  ir::Node* emit(const std::string& op, const ir::Node& origin, std::vector<ir::Value*> inputs,
                 std::vector<ir::Value*> outputs);
  // A new intermediate value named after `origin`.
  ir::Value* temp(const ir::Node& origin, ir::DType dtype, ir::Shape shape, const std::string& suffix = "");

  ir::Value* const_int32(const ir::Node& origin, const std::string& suffix, const std::vector<int64_t>& values,
                         ir::Shape shape = {});  // shape {} → 1-D of values.size()
  ir::Value* const_float(const ir::Node& origin, const std::string& suffix, const std::vector<float>& values,
                         ir::Shape shape);
  ir::Value* constant(const ir::Node& origin, const std::string& suffix, ir::Tensor t);

  // tfl.TRANSPOSE of x by perm; writes into `out` when given.
  ir::Value* transpose(const ir::Node& origin, ir::Value* x, const std::vector<int64_t>& perm,
                       ir::Value* out = nullptr);
  // tfl.RESHAPE of x to shape; writes into `out` when given. A shape with extents known only
  // at run time may have one -1 (RESHAPE infers it), or be x's own shape (a copy, reshaped
  // to SHAPE(x)).
  ir::Value* reshape(const ir::Node& origin, ir::Value* x, const ir::Shape& shape, ir::Value* out = nullptr);

  // tfl.SHAPE: x's extents as a 1-D int32 (or int64) tensor, computed at run time. For
  // values whose shape has extents known only at run time; static ones are constants.
  ir::Value* shape_of(const ir::Node& origin, ir::Value* x, ir::DType dtype = ir::DType::kInt32);

  // A shape argument (1-D int32) assembled from x's extents and constants: entry i is x's
  // extent on axis `from_x[i]` when that is ≥ 0, else `constants[i]`. A constant tensor when
  // those extents are static; otherwise GATHER(CONCAT(SHAPE(x), constants)) at run time.
  ir::Value* dims_from(const ir::Node& origin, ir::Value* x, const std::vector<int64_t>& from_x,
                       const std::vector<int64_t>& constants);

  // x converted to `dtype`: x itself when it already has it, a converted constant when x is
  // constant, else a tfl.CAST (into `out` when given).
  ir::Value* cast(const ir::Node& origin, ir::Value* x, ir::DType dtype, ir::Value* out = nullptr);

  // Channels-first → channels-last for rank ≥ 3 ([N,C,D...] → [N,D...,C]) and back.
  static std::vector<int64_t> to_channels_last_perm(size_t rank);
  static std::vector<int64_t> to_channels_first_perm(size_t rank);
  ir::Value* to_channels_last(const ir::Node& origin, ir::Value* x);
  // Emits the transpose from a channels-last result into the node's NCHW output value.
  void from_channels_last(const ir::Node& origin, ir::Value* x_cl, ir::Value* out);

 private:
  ir::Graph& g_;
  LowerOptions options_;
};

// Node checks that return an error naming the node: NODE_CHECK(node, cond, "reason").
#define NODE_CHECK(node, cond, msg)                                                     \
  do {                                                                                  \
    if (!(cond)) return ::pt2tflite::invalid_model((node).describe() + ": " + (msg));   \
  } while (0)
#define NODE_UNSUPPORTED_IF(node, cond, msg)                                            \
  do {                                                                                  \
    if (cond) return ::pt2tflite::unsupported((node).describe() + ": " + (msg));        \
  } while (0)

// Helpers shared by lowering and inference code.
// Normalises a possibly negative axis for a tensor of `rank`; -1 when out of range.
int64_t normalize_axis(int64_t axis, size_t rank);
// The node's "axis" attribute (default `def`) normalised for `rank`; an error when out of range.
Result<int64_t> axis_attr(const ir::Node& n, size_t rank, int64_t def);
// An attribute holding an ONNX element type (TensorProto.DataType: Cast's "to", EyeLike's
// "dtype") as a DType; unsupported, naming the node, the attribute and the value, for others.
Result<ir::DType> dtype_attr(const ir::Node& n, const std::string& attr);
// An input that must be constant (e.g. Reshape's shape), read as int64.
Result<std::vector<int64_t>> const_ints(const ir::Node& n, size_t input_index, const std::string& what);
// Integer parameter given as attribute (old opsets) or constant input (new opsets);
// `present` tells whether either was there.
Result<std::vector<int64_t>> ints_attr_or_input(const ir::Node& n, const std::string& attr, size_t input_index,
                                                bool* present);
// Sets output i's dtype and shape.
void set_output(ir::Node& n, size_t i, ir::DType dtype, ir::Shape shape);

}  // namespace pt2tflite::lower
