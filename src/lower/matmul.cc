// MatMul (numpy semantics) and Gemm (Y = alpha·A'·B' + beta·C).
// A product with constant 2-D weights becomes FULLY_CONNECTED: weights [N,K] (B transposed
// now, on the constant), a bias (always present: TFLite's FC without one needs version 6),
// keep_num_dims when A has rank > 2. Gemm folds alpha into the weights and beta·C into the
// bias when C broadcasts along rows; any other C is added after. A product of two run-time
// tensors (attention) or with batched constant weights becomes BATCH_MATMUL, which
// broadcasts batch dimensions like numpy. 1-D operands are reshaped per numpy.
#include "lower/context.h"
#include "lower/eval_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

// Shapes of A and B as matrices ([..., M, K] and [..., K, N]) after numpy's 1-D promotion.
Shape as_lhs(const Shape& a) { return a.size() == 1 ? Shape{1, a[0]} : a; }
Shape as_rhs(const Shape& b) { return b.size() == 1 ? Shape{b[0], 1} : b; }

// numpy matmul's result shape; false when the operands do not fit together.
bool matmul_shape(const Shape& a, const Shape& b, Shape* out) {
  if (a.empty() || b.empty()) return false;
  const Shape a2 = as_lhs(a), b2 = as_rhs(b);
  const int64_t ka = a2[a2.size() - 1], kb = b2[b2.size() - 2];
  if (ka != kb && ka >= 0 && kb >= 0) return false;  // (-1: known only at run time)
  if (!ir::broadcast_shapes(Shape(a2.begin(), a2.end() - 2), Shape(b2.begin(), b2.end() - 2), out)) return false;
  if (a.size() > 1) out->push_back(a2[a2.size() - 2]);
  if (b.size() > 1) out->push_back(b2.back());
  return true;
}

// numpy matmul of constants (in double, stored as `dtype`).
Tensor matmul_values(const Tensor& a, const Tensor& b, ir::DType dtype) {
  const Shape sa = as_lhs(a.shape), sb = as_rhs(b.shape);
  const int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  Shape batch;
  ir::broadcast_shapes(Shape(sa.begin(), sa.end() - 2), Shape(sb.begin(), sb.end() - 2), &batch);
  // Batch index → offset of its matrix in a and b (size-1 batch dims repeat).
  auto batch_offsets = [&](const Shape& s, int64_t matrix) {
    Shape bs(batch.size() - (s.size() - 2), 1);
    bs.insert(bs.end(), s.begin(), s.end() - 2);
    std::vector<int64_t> st = strides_of(bs), offs;
    for (int64_t i = 0; i < ir::num_elements(batch); ++i) {
      int64_t rest = i, off = 0;
      for (int d = static_cast<int>(batch.size()) - 1; d >= 0; --d) {
        const int64_t idx = rest % batch[d];
        rest /= batch[d];
        if (bs[d] != 1) off += idx * st[d];
      }
      offs.push_back(off * matrix);
    }
    return offs;
  };
  const auto oa = batch_offsets(sa, m * k), ob = batch_offsets(sb, k * n);
  const auto va = a.to_doubles(), vb = b.to_doubles();
  std::vector<double> out;
  for (size_t i = 0; i < oa.size(); ++i)
    for (int64_t r = 0; r < m; ++r)
      for (int64_t c = 0; c < n; ++c) {
        double acc = 0;
        for (int64_t j = 0; j < k; ++j) acc += va[oa[i] + r * k + j] * vb[ob[i] + j * n + c];
        out.push_back(acc);
      }
  Shape shape;
  matmul_shape(a.shape, b.shape, &shape);
  return Tensor::from_doubles(dtype, shape, out);
}

// FULLY_CONNECTED(a, w [N,K], bias [N]) into `out`, reshaping to out's shape when numpy's
// 1-D rules or extra batch dims of B make it differ.
void fully_connected(LowerContext& ctx, const Node& n, Value* a, Tensor w, Tensor bias, Value* out) {
  if (a->shape.size() == 1) a = ctx.reshape(n, a, {1, a->shape[0]});
  Shape shape(a->shape.begin(), a->shape.end() - 1);
  shape.push_back(w.shape[0]);
  Value* y = shape == out->shape ? out : ctx.temp(n, out->dtype, shape, "fc");
  Node* fc = ctx.emit("tfl.FULLY_CONNECTED", n, {a, ctx.constant(n, "weights", std::move(w)), ctx.constant(n, "bias", std::move(bias))}, {y});
  if (a->shape.size() > 2) fc->attrs["keep_num_dims"] = int64_t{1};
  if (y != out) ctx.reshape(n, y, out->shape, out);
}

// BATCH_MATMUL(a, b) into `out` (or a new temporary when out is null), 1-D operands promoted.
Value* batch_matmul(LowerContext& ctx, const Node& n, Value* a, Value* b, bool adj_x, bool adj_y, Value* out) {
  if (a->shape.size() == 1) a = ctx.reshape(n, a, {1, a->shape[0]});
  if (b->shape.size() == 1) b = ctx.reshape(n, b, {b->shape[0], 1});
  Shape sa = a->shape, sb = b->shape;
  if (adj_x) std::swap(sa[sa.size() - 1], sa[sa.size() - 2]);
  if (adj_y) std::swap(sb[sb.size() - 1], sb[sb.size() - 2]);
  Shape shape;
  matmul_shape(sa, sb, &shape);
  Value* y = out && shape == out->shape ? out : ctx.temp(n, a->dtype, shape, "matmul");
  Node* bmm = ctx.emit("tfl.BATCH_MATMUL", n, {a, b}, {y});
  if (adj_x) bmm->attrs["adj_x"] = int64_t{1};
  if (adj_y) bmm->attrs["adj_y"] = int64_t{1};
  if (out && y != out) ctx.reshape(n, y, out->shape, out);
  return out ? out : y;
}

Status infer_matmul(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs two inputs");
  Shape out;
  NODE_CHECK(n, matmul_shape(n.inputs[0]->shape, n.inputs[1]->shape, &out),
             "shapes " + ir::shape_to_string(n.inputs[0]->shape) + " and " +
                 ir::shape_to_string(n.inputs[1]->shape) + " do not multiply");
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

Result<std::vector<Tensor>> fold_matmul(const Node& n) {
  return std::vector<Tensor>{matmul_values(*n.inputs[0]->data, *n.inputs[1]->data, n.outputs[0]->dtype)};
}

Status lower_matmul(LowerContext& ctx, Node& n) {
  Value* a = n.inputs[0];
  Value* b = n.inputs[1];
  NODE_UNSUPPORTED_IF(n, !ir::is_float(a->dtype), "MatMul on integers has no TFLite kernel (quantize the model instead)");
  NODE_UNSUPPORTED_IF(n, a->shape.size() > 5 || b->shape.size() > 5, "TFLite multiplies tensors of rank <= 5 only");
  if (!ir::is_static(a->shape) || !ir::is_static(b->shape)) {
    // Extents known only at run time: FULLY_CONNECTED / BATCH_MATMUL size their outputs when
    // they run; numpy's 1-D promotions would need a run-time reshape back.
    NODE_UNSUPPORTED_IF(n, a->shape.size() < 2 || b->shape.size() < 2,
                        "a 1-D operand of a product whose extents are known only at run time");
    NODE_UNSUPPORTED_IF(n, a->shape.back() < 0 && b->is_const(),
                        "the reduced extent is known only at run time");
  }
  // Constant B whose batch dimensions are all 1: one weight matrix.
  bool one_matrix = b->is_const();
  for (size_t i = 0; one_matrix && i + 2 < b->shape.size(); ++i) one_matrix = b->shape[i] == 1;
  if (one_matrix) {
    Tensor w = *b->data;
    const Shape kn = as_rhs(b->shape);
    w.shape = {kn[kn.size() - 2], kn.back()};
    w = ir::transpose(w, {1, 0});
    Tensor bias = Tensor::from_doubles(w.dtype, {kn.back()}, std::vector<double>(kn.back(), 0.0));
    fully_connected(ctx, n, a, std::move(w), std::move(bias), n.outputs[0]);
    return Status::ok();
  }
  batch_matmul(ctx, n, a, b, false, false, n.outputs[0]);
  return Status::ok();
}

// --- Gemm ---

struct Gemm {
  bool trans_a, trans_b;
  double alpha, beta;
  int64_t m, k, n;
};

Gemm gemm_params(const Node& n) {
  Gemm p{n.get_int("transA", 0) != 0, n.get_int("transB", 0) != 0, n.get_float("alpha", 1.0), n.get_float("beta", 1.0),
         0, 0, 0};
  const Shape& a = n.inputs[0]->shape;
  const Shape& b = n.inputs[1]->shape;
  p.m = a[p.trans_a ? 1 : 0];
  p.k = a[p.trans_a ? 0 : 1];
  p.n = b[p.trans_b ? 0 : 1];
  return p;
}

Status infer_gemm(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs A and B");
  NODE_CHECK(n, n.inputs[0]->shape.size() == 2 && n.inputs[1]->shape.size() == 2, "A and B must be 2-D");
  const Gemm p = gemm_params(n);
  NODE_CHECK(n, n.inputs[1]->shape[p.trans_b ? 1 : 0] == p.k, "inner dimensions of A and B differ");
  Shape out;
  if (Value* c = n.input(2))
    NODE_CHECK(n, ir::broadcast_shapes(c->shape, {p.m, p.n}, &out) && out == Shape({p.m, p.n}),
               "C " + ir::shape_to_string(c->shape) + " does not broadcast to [M, N]");
  set_output(n, 0, n.inputs[0]->dtype, {p.m, p.n});
  return Status::ok();
}

Result<std::vector<Tensor>> fold_gemm(const Node& n) {
  const Gemm p = gemm_params(n);
  const ir::DType dt = n.outputs[0]->dtype;
  Tensor a = *n.inputs[0]->data, b = *n.inputs[1]->data;
  if (p.trans_a) a = ir::transpose(a, {1, 0});
  if (p.trans_b) b = ir::transpose(b, {1, 0});
  Tensor y = map_unary(matmul_values(a, b, ir::DType::kFloat64), dt, [&](double v) { return p.alpha * v; });
  if (Value* c = n.input(2))
    y = broadcast_binary(y, *c->data, dt, [&](double v, double cv) { return v + p.beta * cv; });
  return std::vector<Tensor>{std::move(y)};
}

Status lower_gemm(LowerContext& ctx, Node& n) {
  const Gemm p = gemm_params(n);
  Value* a = n.inputs[0];
  Value* b = n.inputs[1];
  Value* c = p.beta != 0 ? n.input(2) : nullptr;
  Value* out = n.outputs[0];
  NODE_UNSUPPORTED_IF(n, !ir::is_float(a->dtype), "Gemm on integers has no TFLite kernel (quantize the model instead)");
  // C along rows ([N], [1,N] or one value) goes into the bias, at run time C is added after.
  const bool c_in_bias = c && c->is_const() && (c->data->size() == 1 || (c->data->size() == p.n && c->shape.back() == p.n));
  Value* c_after = nullptr;
  if (c && !c_in_bias) {
    if (c->is_const())
      c_after = ctx.constant(n, "c", map_unary(*c->data, c->dtype, [&](double v) { return p.beta * v; }));
    else
      c_after = p.beta == 1 ? c : ctx.temp(n, c->dtype, c->shape, "beta_c");
    if (!c->is_const() && p.beta != 1)
      ctx.emit("tfl.MUL", n, {c, ctx.constant(n, "beta", Tensor::from_doubles(c->dtype, {}, {p.beta}))}, {c_after});
  }
  Value* y = c_after ? ctx.temp(n, out->dtype, out->shape, "product") : out;
  if (b->is_const()) {
    Tensor w = *b->data;
    if (!p.trans_b) w = ir::transpose(w, {1, 0});
    w = map_unary(w, w.dtype, [&](double v) { return p.alpha * v; });
    std::vector<double> bias(p.n, 0.0);
    if (c_in_bias) {
      const auto cv = c->data->to_doubles();
      for (int64_t j = 0; j < p.n; ++j) bias[j] = p.beta * cv[cv.size() == 1 ? 0 : j];
    }
    if (p.trans_a) a = ctx.transpose(n, a, {1, 0});
    fully_connected(ctx, n, a, std::move(w), Tensor::from_doubles(b->dtype, {p.n}, bias), y);
  } else {
    Value* prod = p.alpha == 1 && !c_in_bias ? y : nullptr;
    prod = batch_matmul(ctx, n, a, b, p.trans_a, p.trans_b, prod);
    if (p.alpha != 1) {
      Value* scaled = c_in_bias ? ctx.temp(n, out->dtype, out->shape, "scaled") : y;
      ctx.emit("tfl.MUL", n, {prod, ctx.constant(n, "alpha", Tensor::from_doubles(a->dtype, {}, {p.alpha}))}, {scaled});
      prod = scaled;
    }
    if (c_in_bias)
      ctx.emit("tfl.ADD", n, {prod, ctx.constant(n, "c", map_unary(*c->data, c->dtype, [&](double v) { return p.beta * v; }))}, {y});
  }
  if (c_after) ctx.emit("tfl.ADD", n, {y, c_after}, {out});
  return Status::ok();
}

}  // namespace

void register_matmul(Registry& r) {
  r.add("MatMul", dynamic({infer_matmul, fold_matmul, lower_matmul}));
  r.add("Gemm", {infer_gemm, fold_gemm, lower_gemm});
}

}  // namespace pt2tflite::lower
