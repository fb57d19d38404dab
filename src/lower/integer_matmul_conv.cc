// MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv: products of 8-bit integers with
// zero points (the QOperator format of onnxruntime-quantized models).
//
// TFLite's integer kernels requantize with fixed-point multipliers, which do not round as
// ONNX does, so these run in float32: the operands are centered (q - zero_point, exact),
// multiplied by the existing MatMul / Conv lowerings (FULLY_CONNECTED / BATCH_MATMUL /
// CONV_2D …, called on a stand-in node), and the float accumulator is
//   MatMulInteger / ConvInteger: CAST to int32;
//   QLinear*: requantized as onnxruntime does: saturate(round_half_even(acc · m) + y_zp)
//             with m = (a_scale · b_scale) / y_scale in float32 (per output column/channel).
// Exactness bound: every product and partial sum is an integer, and float32 holds every
// integer up to 2^24 exactly, so the float accumulator equals the int32 one when
//   max|a - a_zp| · max_column Σ_k |b - b_zp| (+ |bias|) ≤ 2^24
// (with constant weights the column sums are computed; with run-time B or conv weights:
// K · max|a| · max|b|).
// Constant weights past the bound (e.g. Conv with K = 256·3·3 on uint8 input) are split
// into base-16 (else base-4, base-2) digits, w = Σ_j d_j·16^j; each digit's product stays
// within 2^24, and the products are CAST to int32 and recombined (MUL by 16^j, ADD, int32
// bias) exactly; QLinear* then CASTs that int32 sum to float as onnxruntime does. With
// both operands at run time (attention, ConvInteger/QLinearConv with run-time weights:
// integer_conv_runtime) A is split into base-16/base-4 digits at run time
// (MUL by 1/16, FLOOR, MUL, SUB: exact on integers); past that the node is refused with
// the bound in the message.
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>

#include "lower/eval_util.h"
#include "lower/quantize_linear.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

constexpr double kExactLimit = 16777216.0;  // 2^24

bool is_8bit(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

Status check_8bit(const Node& n, const Value* v, const char* what) {
  NODE_CHECK(n, v, std::string("missing input ") + what);
  NODE_UNSUPPORTED_IF(n, !is_8bit(v->dtype),
                      std::string(what) + " of type " + ir::dtype_name(v->dtype) + " (int8 and uint8 only)");
  return Status::ok();
}

// max |q - zp| over q of v's type and the zero point's values (any zp when run-time).
double centered_max(const Value* v, const Value* zp) {
  int64_t lo = 0, hi = 0;
  quant_range(v->dtype, &lo, &hi);
  if (zp && !zp->is_const()) return static_cast<double>(hi - lo);
  double m = 0;
  for (int64_t z : zp ? zp->data->to_int64s() : std::vector<int64_t>{0})
    m = std::max(m, static_cast<double>(std::max(z - lo, hi - z)));
  return m;
}

// A zero point or scale of one value per row ([M]) laid out as [M, 1]; others unchanged
// (scalars and N-D tensors shaped to broadcast already).
Shape per_row_shape(const Shape& s) { return s.size() == 1 && s[0] != 1 ? Shape{s[0], 1} : s; }

// The float32 run-time operand q - zp (zp optional).
Value* centered(LowerContext& ctx, const Node& n, Value* q, Value* zp, bool per_row) {
  Value* f = quantized_float_source(ctx.graph(), q);  // q requantized by the previous QLinear op
  if (!f) f = ctx.cast(n, q, DType::kFloat32);
  bool zero = !zp;
  if (zp && zp->is_const()) {
    const std::vector<int64_t> zs = zp->data->to_int64s();
    zero = std::all_of(zs.begin(), zs.end(), [](int64_t z) { return z == 0; });
  }
  if (zero) return f;
  Value* z = ctx.cast(n, zp, DType::kFloat32);
  if (per_row && z->shape != per_row_shape(z->shape)) z = ctx.reshape(n, z, per_row_shape(z->shape));
  Shape s;
  ir::broadcast_shapes(f->shape, z->shape, &s);
  Value* d = ctx.temp(n, DType::kFloat32, s, "centered");
  ctx.emit("tfl.SUB", n, {f, z}, {d});
  return d;
}

// A constant q - zp as float32; zp broadcasts against q (shaped by the caller).
Tensor centered_const(const Tensor& q, const Tensor* zp) {
  if (!zp) return Tensor::from_doubles(DType::kFloat32, q.shape, q.to_doubles());
  return broadcast_binary(q, *zp, DType::kFloat32, [](double a, double b) { return a - b; });
}

Status exact_or_refuse(const Node& n, double bound) {
  NODE_UNSUPPORTED_IF(n, bound > kExactLimit,
                      "the integer accumulator can reach " + std::to_string(static_cast<int64_t>(bound)) +
                          " > 2^24, beyond the integers float32 holds exactly (pt2tflite computes it in float32)");
  return Status::ok();
}

// Runs the registered lowering of `op_type` on a stand-in node reading `inputs`, with n's
// attributes, name and op (for error messages); returns its float32 output.
Result<Value*> lower_as(LowerContext& ctx, const Node& n, const std::string& op_type, std::vector<Value*> inputs) {
  const OpRule* rule = registry().find("onnx." + op_type);
  if (!rule) return internal_error(n.describe() + ": no lowering for " + op_type);
  Node stand_in;
  stand_in.op = n.op;
  stand_in.name = n.name;
  stand_in.attrs = n.attrs;
  stand_in.opset = n.opset;
  stand_in.inputs = std::move(inputs);
  stand_in.outputs = {ctx.temp(n, DType::kFloat32, {}, "accumulator")};
  PT_RETURN_IF_ERROR(rule->infer(stand_in));
  PT_RETURN_IF_ERROR(rule->lower(ctx, stand_in));
  return stand_in.outputs[0];
}

// --- exact accumulation with constant weights ---

// Largest Σ|w| over one output: conv weights [M, ...] per output channel (axis 0), matmul
// weights [..., K, N] per column of each matrix.
double worst_sum_conv(const Tensor& w) {
  const std::vector<float> v = w.to_floats();
  const int64_t m = w.shape[0], per = ir::num_elements(w.shape) / m;
  double worst = 0;
  for (int64_t o = 0; o < m; ++o) {
    double sum = 0;
    for (int64_t i = 0; i < per; ++i) sum += std::fabs(v[o * per + i]);
    worst = std::max(worst, sum);
  }
  return worst;
}

double worst_sum_matmul(const Tensor& w) {
  const Shape s = w.shape.size() == 1 ? Shape{w.shape[0], 1} : w.shape;
  const int64_t k = s[s.size() - 2], cols = s.back(), mats = ir::num_elements(s) / (k * cols);
  const std::vector<float> v = w.to_floats();
  double worst = 0;
  for (int64_t m = 0; m < mats; ++m)
    for (int64_t c = 0; c < cols; ++c) {
      double sum = 0;
      for (int64_t i = 0; i < k; ++i) sum += std::fabs(v[(m * k + i) * cols + c]);
      worst = std::max(worst, sum);
    }
  return worst;
}

// The digits of integer-valued w in base 2^bits: w = Σ_j d_j · 2^(bits·j), every digit in
// [0, 2^bits) but the last, which carries the sign (in [-2^bits, 2^bits)).
std::vector<Tensor> split_digits(const Tensor& w, int bits) {
  std::vector<int64_t> r = w.to_int64s();
  const int64_t base = int64_t{1} << bits;
  std::vector<Tensor> digits;
  for (;;) {
    bool last = true;
    for (int64_t v : r) last = last && v >= -base && v < base;
    if (last) {
      digits.push_back(Tensor::from_int64s(DType::kFloat32, w.shape, r));
      return digits;
    }
    std::vector<int64_t> d(r.size());
    for (size_t i = 0; i < r.size(); ++i) {
      d[i] = ((r[i] % base) + base) % base;
      r[i] = (r[i] - d[i]) / base;
    }
    digits.push_back(Tensor::from_int64s(DType::kFloat32, w.shape, d));
  }
}

// Σ_j parts[j] · 2^(bits·j) (+ an int32 bias) in int32, each float32 part an exact integer
// sum: CAST, MUL, ADD. Into int_out when given, else returned as float32 holding float(acc),
// rounded as onnxruntime converts its int32 sums.
Value* combine_digits(LowerContext& ctx, const Node& n, const std::vector<Value*>& parts, int bits, Value* bias,
                      Value* int_out) {
  std::vector<Value*> terms;
  for (size_t j = 0; j < parts.size(); ++j) {
    Value* ci = ctx.temp(n, DType::kInt32, parts[j]->shape, "digit_sum");
    ctx.emit("tfl.CAST", n, {parts[j]}, {ci});
    if (j > 0) {
      Value* scaled = ctx.temp(n, DType::kInt32, ci->shape, "digit_scaled");
      ctx.emit("tfl.MUL", n, {ci, ctx.const_int32(n, "digit_weight", {int64_t{1} << (bits * j)}, {})}, {scaled});
      ci = scaled;
    }
    terms.push_back(ci);
  }
  if (bias) terms.push_back(bias);
  const Shape shape = terms[0]->shape;
  Value* total = terms[0];
  for (size_t j = 1; j < terms.size(); ++j) {
    Value* sum = j + 1 == terms.size() && int_out ? int_out : ctx.temp(n, DType::kInt32, shape, "accumulator_int");
    ctx.emit("tfl.ADD", n, {total, terms[j]}, {sum});
    total = sum;
  }
  if (int_out) {
    if (total != int_out) ctx.reshape(n, total, shape, int_out);  // defensive: a single term
    return int_out;
  }
  Value* f = ctx.temp(n, DType::kFloat32, shape, "accumulator_float");
  ctx.emit("tfl.CAST", n, {total}, {f});
  return f;
}

// Emits the float32 product of the run-time operand with constant weights w (plus the
// bias, when `with_bias`).
using Product = std::function<Result<Value*>(Tensor w, bool with_bias)>;

// The accumulator Σ x·w (+ bias) with constant centered weights wc, computed exactly: one
// float32 product when its bound (xmax · Σ|w| + |bias|) stays within 2^24, else wc split
// into 4-, 2- or 1-bit digits whose products each stay within it, recombined in int32
// (MUL by 2^(bits·j), ADD). Writes the int32 accumulator into `int_out` when given; else
// returns float32 holding float(acc), rounded as onnxruntime converts its int32 sums.
Result<Value*> exact_accumulate(LowerContext& ctx, const Node& n, const Tensor& wc, double xmax, const Tensor* bias,
                                double (*worst)(const Tensor&), const Shape& bias_shape, const Product& product,
                                Value* int_out) {
  double bias_max = 0;
  if (bias)
    for (double b : bias->to_doubles()) bias_max = std::max(bias_max, std::fabs(b));
  if (xmax * worst(wc) + bias_max <= kExactLimit) {
    PT_ASSIGN_OR_RETURN(Value* acc, product(wc, true));
    if (!int_out) return acc;
    ctx.emit("tfl.CAST", n, {acc}, {int_out});
    return int_out;
  }
  std::vector<Tensor> digits;
  int bits = 0;
  for (int b : {4, 2, 1}) {
    digits = split_digits(wc, b);
    bool fits = true;
    for (const Tensor& d : digits) fits = fits && xmax * worst(d) <= kExactLimit;
    if (fits) {
      bits = b;
      break;
    }
  }
  PT_RETURN_IF_ERROR(exact_or_refuse(n, bits ? 0.0 : xmax * worst(digits.back())));
  std::vector<Value*> parts;
  for (Tensor& d : digits) {
    PT_ASSIGN_OR_RETURN(Value* c, product(std::move(d), false));
    parts.push_back(c);
  }
  Value* bias_term =
      bias ? ctx.constant(n, "bias_int32", Tensor::from_int64s(DType::kInt32, bias_shape, bias->to_int64s())) : nullptr;
  return combine_digits(ctx, n, parts, bits, bias_term, int_out);
}

// The accumulator Σ a·w when the weights are run-time values too, bounded by per_unit per
// unit of |a| (amax = max|a|): one float32 product when per_unit · amax ≤ 2^24, else a
// split into base-16 (else base-4) digits at run time, d = r - 16·floor(r / 16) (exact:
// powers of two, integers), one product per digit, recombined in int32 (combine_digits).
// `bias` (int32, shaped to broadcast against the accumulator) is added in int32. Into
// int_out when given, else float32 holding float(acc). Refuses past base-4 digits.
Result<Value*> runtime_digit_products(LowerContext& ctx, const Node& n, Value* a, double amax, double per_unit,
                                      Value* bias, Value* int_out,
                                      const std::function<Result<Value*>(Value*)>& product) {
  if (per_unit * amax <= kExactLimit) {
    PT_ASSIGN_OR_RETURN(Value* acc, product(a));
    if (bias) return combine_digits(ctx, n, {acc}, 0, bias, int_out);
    if (!int_out) return acc;
    ctx.emit("tfl.CAST", n, {acc}, {int_out});
    return int_out;
  }
  for (int bits : {4, 2}) {
    const double base = static_cast<double>(int64_t{1} << bits);
    std::vector<double> digit_max;
    double lo = -amax, hi = amax;
    while (std::max(-lo, hi) > base) {
      digit_max.push_back(base - 1);
      lo = std::floor(lo / base);
      hi = std::floor(hi / base);
    }
    digit_max.push_back(std::max(-lo, hi));
    bool fits = true;
    for (double d : digit_max) fits = fits && per_unit * d <= kExactLimit;
    if (!fits) continue;
    std::vector<Value*> parts;
    Value* r = a;
    for (size_t j = 0; j < digit_max.size(); ++j) {
      Value* digit = r;
      if (j + 1 < digit_max.size()) {
        auto binary = [&](const char* op, Value* x, float c, const char* suffix) {
          Value* y = ctx.temp(n, DType::kFloat32, a->shape, suffix);
          ctx.emit(op, n, {x, ctx.const_float(n, suffix, {c}, {})}, {y});
          return y;
        };
        Value* scaled = binary("tfl.MUL", r, static_cast<float>(1.0 / base), "over_base");
        Value* q = ctx.temp(n, DType::kFloat32, a->shape, "digit_rest");
        ctx.emit("tfl.FLOOR", n, {scaled}, {q});
        Value* back = binary("tfl.MUL", q, static_cast<float>(base), "rest_times_base");
        digit = ctx.temp(n, DType::kFloat32, a->shape, "digit");
        ctx.emit("tfl.SUB", n, {r, back}, {digit});
        r = q;
      }
      PT_ASSIGN_OR_RETURN(Value* c, product(digit));
      parts.push_back(c);
    }
    return combine_digits(ctx, n, parts, bits, bias, int_out);
  }
  PT_RETURN_IF_ERROR(exact_or_refuse(n, per_unit * amax));  // even base-4 digits would not stay exact
  return internal_error(n.describe() + ": unreachable");
}

// --- MatMulInteger / QLinearMatMul ---

struct MatMulOperands {
  Value *a, *a_zp, *b, *b_zp;
};

// The accumulator Σ_k (a - a_zp)(b - b_zp): into int_out (int32) when given, else as
// float32 (see exact_accumulate).
Result<Value*> integer_matmul(LowerContext& ctx, const Node& n, const MatMulOperands& p, Value* int_out) {
  PT_RETURN_IF_ERROR(check_8bit(n, p.a, "A"));
  PT_RETURN_IF_ERROR(check_8bit(n, p.b, "B"));
  NODE_CHECK(n, !p.a->shape.empty() && !p.b->shape.empty(), "operands must have rank >= 1");
  const double amax = centered_max(p.a, p.a_zp);
  Value* a = centered(ctx, n, p.a, p.a_zp, p.a->shape.size() == 2);
  if (p.b->is_const() && (!p.b_zp || p.b_zp->is_const())) {
    Tensor bc = centered_const(*p.b->data, p.b_zp ? p.b_zp->data.get() : nullptr);
    auto product = [&](Tensor w, bool) {
      return lower_as(ctx, n, "MatMul", {a, ctx.constant(n, "b_centered", std::move(w))});
    };
    return exact_accumulate(ctx, n, bc, amax, nullptr, worst_sum_matmul, {}, product, int_out);
  }
  const int64_t k = p.b->shape.size() == 1 ? p.b->shape[0] : p.b->shape[p.b->shape.size() - 2];
  const double per_unit = static_cast<double>(k) * centered_max(p.b, p.b_zp);  // bound per unit of |a|
  Value* b = centered(ctx, n, p.b, p.b_zp, false);
  return runtime_digit_products(ctx, n, a, amax, per_unit, nullptr, int_out,
                                [&](Value* digit) { return lower_as(ctx, n, "MatMul", {digit, b}); });
}

Status infer_integer_like(Node& n, const char* op_type, DType out_dtype) {
  const OpRule* rule = registry().find(std::string("onnx.") + op_type);
  Node stand_in;
  stand_in.op = n.op;
  stand_in.name = n.name;
  stand_in.attrs = n.attrs;
  const bool qlinear = n.op == "onnx.QLinearMatMul" || n.op == "onnx.QLinearConv";
  // QLinear*: x at 0 and w at 3; *Integer: at 0 and 1.
  Value* x = n.input(0);
  Value* w = n.input(qlinear ? 3 : 1);
  NODE_CHECK(n, x && w, "missing operand");
  stand_in.inputs = {x, w};
  ir::Value tmp;
  stand_in.outputs = {&tmp};
  PT_RETURN_IF_ERROR(rule->infer(stand_in));
  set_output(n, 0, out_dtype, tmp.shape);
  return Status::ok();
}

Status infer_matmul_integer(Node& n) { return infer_integer_like(n, "MatMul", DType::kInt32); }

Status lower_matmul_integer(LowerContext& ctx, Node& n) {
  const MatMulOperands p{n.input(0), n.input(2), n.input(1), n.input(3)};
  PT_ASSIGN_OR_RETURN(Value* acc, integer_matmul(ctx, n, p, n.outputs[0]));
  (void)acc;
  return Status::ok();
}

Status infer_qlinear_matmul(Node& n) {
  NODE_CHECK(n, n.input(7), "missing y_zero_point");
  NODE_UNSUPPORTED_IF(n, !is_8bit(n.inputs[7]->dtype), "output type must be int8 or uint8");
  return infer_integer_like(n, "MatMul", n.inputs[7]->dtype);
}

// The requantization multiplier (x_scale · w_scale) / y_scale as float32, shaped `shape_w`
// for w_scale's per-column/channel values and per-row x_scale as [M, 1].
Result<Value*> multiplier(LowerContext& ctx, const Node& n, Value* xs, Value* ws, Value* ys, const Shape& shape_w) {
  NODE_CHECK(n, xs && ws && ys, "missing scale");
  NODE_CHECK(n, ir::num_elements(ys->shape) == 1, "y_scale must be one value");
  Shape ws_shape = ir::num_elements(ws->shape) == 1 ? Shape{} : shape_w;
  Shape xs_shape = ir::num_elements(xs->shape) == 1 ? Shape{} : per_row_shape(xs->shape);
  NODE_CHECK(n, ir::num_elements(ws_shape) == ir::num_elements(ws->shape) || ws_shape.empty(),
             "weight scale " + ir::shape_to_string(ws->shape) + " does not fit the output channels");
  if (xs->is_const() && ws->is_const() && ys->is_const()) {
    Tensor a = Tensor::from_doubles(DType::kFloat32, xs_shape, xs->data->to_doubles());
    Tensor b = Tensor::from_doubles(DType::kFloat32, ws_shape, ws->data->to_doubles());
    // float32 products/quotients computed in double then rounded once are correctly rounded.
    Tensor ab = broadcast_binary(a, b, DType::kFloat32, [](double u, double v) { return u * v; });
    const double y = static_cast<float>(ys->data->to_doubles()[0]);
    return ctx.constant(n, "multiplier", map_unary(ab, DType::kFloat32, [&](double u) { return u / y; }));
  }
  auto shaped = [&](Value* v, const Shape& s) {
    Value* f = ctx.cast(n, v, DType::kFloat32);
    return f->shape == s ? f : ctx.reshape(n, f, s);
  };
  Value* a = shaped(xs, xs_shape);
  Value* b = shaped(ws, ws_shape);
  Shape s;
  ir::broadcast_shapes(a->shape, b->shape, &s);
  Value* ab = ctx.temp(n, DType::kFloat32, s, "scale_product");
  ctx.emit("tfl.MUL", n, {a, b}, {ab});
  Value* m = ctx.temp(n, DType::kFloat32, s, "multiplier");
  ctx.emit("tfl.DIV", n, {ab, shaped(ys, {})}, {m});
  return m;
}

// y = saturate(round(acc · m) + y_zp) into n's output.
Status requantize(LowerContext& ctx, const Node& n, Value* acc, Value* m, Value* y_zp) {
  Value* zp = nullptr;
  if (y_zp && !(y_zp->is_const() && y_zp->data->to_int64s() == std::vector<int64_t>(1, 0))) {
    NODE_CHECK(n, ir::num_elements(y_zp->shape) == 1, "y_zero_point must be one value");
    zp = ctx.cast(n, y_zp, DType::kFloat32);
    if (!zp->shape.empty())
      zp = zp->is_const() ? ctx.constant(n, "y_zp", Tensor::from_doubles(DType::kFloat32, {}, zp->data->to_doubles()))
                          : ctx.reshape(n, zp, {});
  }
  emit_quantize(ctx, n, acc, "tfl.MUL", m, zp, n.outputs[0]);
  return Status::ok();
}

Status lower_qlinear_matmul(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Value* acc, integer_matmul(ctx, n, {n.input(0), n.input(2), n.input(3), n.input(5)}, nullptr));
  const int64_t cols = n.inputs[3]->shape.size() == 1 ? 1 : n.inputs[3]->shape.back();
  PT_ASSIGN_OR_RETURN(Value* m, multiplier(ctx, n, n.input(1), n.input(4), n.input(6), {cols}));
  return requantize(ctx, n, acc, m, n.input(7));
}

// --- ConvInteger / QLinearConv ---

// ConvInteger / QLinearConv whose weights, weight zero point or bias are computed at run
// time: w - w_zp in float32 (SUB of exact small integers) feeds the float Conv lowering's
// run-time-weight path (TRANSPOSE to OHWI, or SPLIT per group). Exact: with K = w's
// elements per output channel, every partial sum is an integer of magnitude at most
// max|x - x_zp| · K · max|w - w_zp| (the constant weights' Σ|w| when only the bias is
// run-time); when that exceeds 2^24, x - x_zp is split into base-16/base-4 digits at run
// time (runtime_digit_products), each digit's product within 2^24, recombined in int32;
// past that the node is refused. The bias is added in int32, so its size does not matter.
Result<Value*> integer_conv_runtime(LowerContext& ctx, const Node& n, Value* xc, double xmax, Value* w, Value* w_zp,
                                    const Shape& zp_shape, Value* bias, const Shape& bias_shape, Value* int_out) {
  const int64_t m = w->shape[0];
  Value* wc = nullptr;
  double per_unit = 0;  // bound of one output's Σ|w - w_zp| per unit of |x - x_zp|
  if (w->is_const() && (!w_zp || w_zp->is_const())) {
    std::unique_ptr<Tensor> zp;
    if (w_zp) {
      zp = std::make_unique<Tensor>(*w_zp->data);
      zp->shape = zp_shape;
    }
    Tensor t = centered_const(*w->data, zp.get());
    per_unit = worst_sum_conv(t);
    wc = ctx.constant(n, "w_centered", std::move(t));
  } else {
    Value* zp = w_zp;
    if (zp && zp->shape != zp_shape) {
      zp = zp->is_const() ? ctx.constant(n, "w_zp", Tensor::from_int64s(zp->dtype, zp_shape, zp->data->to_int64s()))
                          : ctx.reshape(n, zp, zp_shape);
    }
    per_unit = static_cast<double>(ir::num_elements(w->shape) / m) * centered_max(w, w_zp);
    wc = centered(ctx, n, w, zp, false);
  }
  Value* bias_int = nullptr;
  if (bias) {
    bias_int = bias->is_const() ? ctx.constant(n, "bias_int32",
                                               Tensor::from_int64s(DType::kInt32, bias_shape, bias->data->to_int64s()))
                                : ctx.reshape(n, ctx.cast(n, bias, DType::kInt32), bias_shape);
  }
  return runtime_digit_products(ctx, n, xc, xmax, per_unit, bias_int, int_out,
                                [&](Value* digit) { return lower_as(ctx, n, "Conv", {digit, wc}); });
}

// The accumulator of the convolution of centered x and w (+ bias): into int_out (int32)
// when given, else as float32 (see exact_accumulate). Weights, their zero point or the
// bias computed at run time take integer_conv_runtime.
Result<Value*> integer_conv(LowerContext& ctx, const Node& n, Value* x, Value* x_zp, Value* w, Value* w_zp,
                            Value* bias, Value* int_out) {
  PT_RETURN_IF_ERROR(check_8bit(n, x, "x"));
  PT_RETURN_IF_ERROR(check_8bit(n, w, "w"));
  NODE_UNSUPPORTED_IF(n, x_zp && ir::num_elements(x_zp->shape) != 1, "per-channel x_zero_point");
  NODE_CHECK(n, w->shape.size() == x->shape.size(), "x and w ranks differ");
  const int64_t m = w->shape[0];
  std::unique_ptr<Tensor> zp;
  Shape zp_shape(w->shape.size(), 1);  // [1 or M, 1, ...] against w
  if (w_zp) {
    NODE_CHECK(n, ir::num_elements(w_zp->shape) == 1 || ir::num_elements(w_zp->shape) == m,
               "w_zero_point must hold one value or one per output channel");
    zp_shape[0] = ir::num_elements(w_zp->shape);
    if (w_zp->is_const()) {
      zp = std::make_unique<Tensor>(*w_zp->data);
      zp->shape = zp_shape;
    }
  }
  if (bias) NODE_CHECK(n, ir::num_elements(bias->shape) == m, "bias must hold one value per output channel");
  Value* xc = centered(ctx, n, x, x_zp, false);
  Shape bias_shape(x->shape.size() - 1, 1);  // [M, 1, ...] against the NCHW accumulator
  bias_shape[0] = m;
  if (!w->is_const() || (w_zp && !w_zp->is_const()) || (bias && !bias->is_const()))
    return integer_conv_runtime(ctx, n, xc, centered_max(x, x_zp), w, w_zp, zp_shape, bias, bias_shape, int_out);
  auto product = [&](Tensor wt, bool with_bias) -> Result<Value*> {
    std::vector<Value*> inputs{xc, ctx.constant(n, "w_centered", std::move(wt))};
    if (bias && with_bias)
      inputs.push_back(
          ctx.constant(n, "bias_float", Tensor::from_doubles(DType::kFloat32, {m}, bias->data->to_doubles())));
    return lower_as(ctx, n, "Conv", inputs);
  };
  return exact_accumulate(ctx, n, centered_const(*w->data, zp.get()), centered_max(x, x_zp),
                          bias ? bias->data.get() : nullptr, worst_sum_conv, bias_shape, product, int_out);
}

Status infer_conv_integer(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs x and w");
  return infer_integer_like(n, "Conv", DType::kInt32);
}

Status lower_conv_integer(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Value* acc,
                      integer_conv(ctx, n, n.input(0), n.input(2), n.input(1), n.input(3), nullptr, n.outputs[0]));
  (void)acc;
  return Status::ok();
}

Status infer_qlinear_conv(Node& n) {
  NODE_CHECK(n, n.input(7), "missing y_zero_point");
  NODE_UNSUPPORTED_IF(n, !is_8bit(n.inputs[7]->dtype), "output type must be int8 or uint8");
  return infer_integer_like(n, "Conv", n.inputs[7]->dtype);
}

Status lower_qlinear_conv(LowerContext& ctx, Node& n) {
  NODE_CHECK(n, n.input(1) && ir::num_elements(n.inputs[1]->shape) == 1, "x_scale must be one value");
  PT_ASSIGN_OR_RETURN(Value* acc,
                      integer_conv(ctx, n, n.input(0), n.input(2), n.input(3), n.input(5), n.input(8), nullptr));
  Shape per_channel(acc->shape.size(), 1);
  per_channel[1] = n.inputs[3]->shape[0];
  PT_ASSIGN_OR_RETURN(Value* m, multiplier(ctx, n, n.input(1), n.input(4), n.input(6), per_channel));
  return requantize(ctx, n, acc, m, n.input(7));
}

}  // namespace

void register_integer_matmul_conv(Registry& r) {
  r.add("MatMulInteger", {infer_matmul_integer, nullptr, lower_matmul_integer});
  r.add("QLinearMatMul", {infer_qlinear_matmul, nullptr, lower_qlinear_matmul});
  r.add("ConvInteger", {infer_conv_integer, nullptr, lower_conv_integer});
  r.add("QLinearConv", {infer_qlinear_conv, nullptr, lower_qlinear_conv});
}

}  // namespace pt2tflite::lower
