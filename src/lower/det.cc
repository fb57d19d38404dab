// Det (opset 11): determinants of [..., M, M] float32 matrices, M <= 8, unrolled.
//
// The batch is flattened to B matrices. M <= 3: the cofactor expansion over the M·M entries
// (a SPLIT of the rows [B, M·M]): a, ad − bc, and Sarrus' three 2x2 minors.
// 4 <= M <= 8: Gaussian elimination with partial pivoting, as LAPACK/Eigen's LU does it,
// unrolled over the M − 1 steps on the active rows W [B, R, M]:
//   the pivot row is the first with the largest |W[:, r, k]| (ARG_MAX, EQUAL against an iota:
//   a one-hot [B, R, 1]); it is read with SELECT + SUM (exact: the other rows add zeros);
//   the first row takes its place (SELECT), which flips the sign unless the pivot was first;
//   the rows below lose factor · pivot row, factor = W[r, k] / pivot (0 when the pivot is 0:
//   the column is all zero and the determinant is 0).
// The determinant is the product of the signed pivots. Rounding follows the same steps as
// onnxruntime's partial-pivot LU, so for matrices that are not near-singular the results
// agree to a few float32 ulps of the product; near-singular matrices differ as any two LU
// implementations do (the error is relative to the matrix norm, not to a tiny determinant).
// M > 8 is refused: the unrolled graph grows as M² ops.
#include "lower/context.h"
#include "lower/emit_arith.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

constexpr int64_t kMaxOrder = 8;

Status infer_det(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  const Shape& x = n.inputs[0]->shape;
  NODE_CHECK(n, x.size() >= 2, "input must be [..., M, M], got " + ir::shape_to_string(x));
  NODE_CHECK(n, x[x.size() - 1] < 0 || x[x.size() - 2] < 0 || x[x.size() - 1] == x[x.size() - 2],
             "matrices must be square, got " + ir::shape_to_string(x));
  set_output(n, 0, n.inputs[0]->dtype, Shape(x.begin(), x.end() - 2));
  return Status::ok();
}

class DetBuilder {
 public:
  DetBuilder(LowerContext& ctx, const Node& n) : ctx_(ctx), n_(n), a_(ctx, n) {}

  Value* slice(Value* x, std::vector<int64_t> begin, std::vector<int64_t> size) {
    Shape s = size;
    for (size_t i = 0; i < s.size(); ++i)
      if (s[i] < 0) s[i] = x->shape[i] - begin[i];
    Value* y = ctx_.temp(n_, x->dtype, s, "slice");
    ctx_.emit("tfl.SLICE", n_, {x, ctx_.const_int32(n_, "begin", begin), ctx_.const_int32(n_, "size", size)}, {y});
    return y;
  }

  // [B, M·M] → det [B, 1] by cofactors, M <= 3.
  Value* cofactor(Value* flat, int64_t m) {
    const int64_t b = flat->shape[0];
    if (m == 1) return flat;
    std::vector<Value*> e;
    for (int64_t i = 0; i < m * m; ++i) e.push_back(ctx_.temp(n_, DType::kFloat32, {b, 1}, "entry"));
    ctx_.emit("tfl.SPLIT", n_, {ctx_.const_int32(n_, "axis", {1}, Shape{}), flat}, e)->attrs["num_splits"] = m * m;
    auto at = [&](int64_t r, int64_t c) { return e[r * m + c]; };
    auto minor2 = [&](Value* p, Value* q, Value* r, Value* s) { return a_.sub(a_.mul(p, s), a_.mul(q, r)); };
    if (m == 2) return minor2(at(0, 0), at(0, 1), at(1, 0), at(1, 1));
    Value* t0 = a_.mul(at(0, 0), minor2(at(1, 1), at(1, 2), at(2, 1), at(2, 2)));
    Value* t1 = a_.mul(at(0, 1), minor2(at(1, 0), at(1, 2), at(2, 0), at(2, 2)));
    Value* t2 = a_.mul(at(0, 2), minor2(at(1, 0), at(1, 1), at(2, 0), at(2, 1)));
    return a_.add(a_.sub(t0, t1), t2);
  }

  // [B, M, M] → det [B, 1, 1] by partial-pivot elimination.
  Value* lu(Value* w, int64_t m) {
    const int64_t b = w->shape[0];
    Value* det = nullptr;
    Value* zero = a_.scalar(0);
    for (int64_t k = 0; k + 1 < m; ++k) {
      const int64_t r = m - k;
      Value* col = ctx_.reshape(n_, slice(w, {0, 0, k}, {b, r, 1}), {b, r});
      Value* idx = ctx_.temp(n_, DType::kInt32, {b}, "pivot_index");
      ctx_.emit("tfl.ARG_MAX", n_, {a_.un("tfl.ABS", col), ctx_.const_int32(n_, "axis", {1}, Shape{})}, {idx});
      std::vector<int64_t> iota;
      for (int64_t i = 0; i < r; ++i) iota.push_back(i);
      Value* hot = a_.bin("tfl.EQUAL", ctx_.reshape(n_, idx, {b, 1, 1}), ctx_.const_int32(n_, "iota", iota, {1, r, 1}),
                          DType::kBool);  // [B, R, 1]
      Value* pivot_row = ctx_.temp(n_, DType::kFloat32, {b, 1, m}, "pivot_row");
      ctx_.emit("tfl.SUM", n_, {a_.select(hot, w, zero), ctx_.const_int32(n_, "axes", {1})}, {pivot_row})
          ->attrs["keep_dims"] = int64_t{1};
      Value* first_row = slice(w, {0, 0, 0}, {b, 1, m});
      Value* rest = slice(a_.select(hot, first_row, w), {0, 1, 0}, {b, r - 1, m});  // [B, R−1, M]
      Value* pivot = slice(pivot_row, {0, 0, k}, {b, 1, 1});
      Value* swapped = a_.bin("tfl.NOT_EQUAL", ctx_.reshape(n_, idx, {b, 1, 1}), a_.scalar(DType::kInt32, 0),
                              DType::kBool);
      Value* signed_pivot = a_.select(swapped, a_.un("tfl.NEG", pivot), pivot);
      det = det ? a_.mul(det, signed_pivot) : signed_pivot;
      Value* is_zero = a_.bin("tfl.EQUAL", pivot, zero, DType::kBool);
      Value* safe = a_.select(is_zero, a_.scalar(1), pivot);
      Value* factor = a_.div(slice(rest, {0, 0, k}, {b, r - 1, 1}), safe);  // [B, R−1, 1]
      w = a_.sub(rest, a_.mul(factor, pivot_row));
    }
    return a_.mul(det, slice(w, {0, 0, m - 1}, {b, 1, 1}));
  }

 private:
  LowerContext& ctx_;
  const Node& n_;
  Arith a_;
};

Status lower_det(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  Value* out = n.outputs[0];
  const Shape& s = x->shape;
  NODE_UNSUPPORTED_IF(n, x->dtype != DType::kFloat32,
                      std::string("Det of ") + ir::dtype_name(x->dtype) + " (only float32 is lowered)");
  NODE_UNSUPPORTED_IF(n, !ir::is_static(s), "dynamic input shape (fix it with --input-shape)");
  const int64_t m = s.back();
  NODE_UNSUPPORTED_IF(n, m > kMaxOrder,
                      std::to_string(m) + "x" + std::to_string(m) + " matrices (the unrolled elimination is "
                                           "emitted for M <= " + std::to_string(kMaxOrder) + ")");
  NODE_UNSUPPORTED_IF(n, m == 0 || ir::num_elements(s) == 0, "empty matrices");
  const int64_t b = ir::num_elements(s) / (m * m);
  DetBuilder d(ctx, n);
  Value* det = m <= 3 ? d.cofactor(ctx.reshape(n, x, {b, m * m}), m) : d.lu(ctx.reshape(n, x, {b, m, m}), m);
  ctx.reshape(n, det, out->shape, out);
  return Status::ok();
}

}  // namespace

void register_det(Registry& r) { r.add("Det", {infer_det, nullptr, lower_det}); }

}  // namespace pt2tflite::lower
