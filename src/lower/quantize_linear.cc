// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear: the ONNX quantization-format ops
// of QDQ models (PyTorch QAT exports, onnxruntime quantize_static).
//
// Constant inputs fold: DequantizeLinear of int8 weights becomes a float weight, the common
// QDQ pattern. On run-time tensors the ops become an exact float composition rather than
// TFLite's QUANTIZE/DEQUANTIZE, whose float→int rounding is half away from zero (ONNX
// rounds half to even) and which need scales fixed at conversion time:
//   QuantizeLinear   y = saturate(round_half_even(x / scale) + zp)
//                    → DIV, ROUND, ADD, MAXIMUM, MINIMUM, CAST (all exact in float32:
//                      DIV is correctly rounded, ROUND is half-to-even, the rest is on
//                      integers far below 2^24)
//   DequantizeLinear y = (x - zp) * scale → CAST, SUB, MUL (x - zp is exact in float32 for
//                      8/16-bit x, so the one rounding is MUL's, as in onnxruntime)
//   DynamicQuantizeLinear: REDUCE_MAX/MIN of x, the uint8 scale and zero point as
//                      onnxruntime computes them (scale 1 when x is all zero), then as above.
// Scales and zero points may be per tensor, per axis (`axis`) or blocked (`block_size`;
// run-time blocked parameters are repeated along the axis with GATHER). Element types
// TFLite lacks (uint16, int4, float8) are refused by the importer; `precision` other than
// float32 is refused here.
#include "lower/quantize_linear.h"

#include <cmath>

#include "lower/eval_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

bool quant_range(DType t, int64_t* lo, int64_t* hi) {
  switch (t) {
    case DType::kInt8: *lo = -128, *hi = 127; return true;
    case DType::kUInt8: *lo = 0, *hi = 255; return true;
    case DType::kInt16: *lo = -32768, *hi = 32767; return true;
    case DType::kInt32: *lo = INT32_MIN, *hi = INT32_MAX; return true;
    default: return false;
  }
}

namespace {

// The node writing v, or nullptr.
Node* producer(ir::Graph& g, const Value* v) {
  for (const auto& node : g.nodes())
    for (const Value* o : node->outputs)
      if (o == v) return node.get();
  return nullptr;
}

// Same constant data and shape.
bool same_const(const Value* a, const Tensor& b) {
  return a && a->is_const() && a->data->shape == b.shape && a->data->dtype == b.dtype && a->data->bytes == b.bytes;
}

// Holds integers only: a constant with integral values, or a CAST from an integer type.
bool integral(ir::Graph& g, const Value* v) {
  if (v->is_const()) {
    for (double d : v->data->to_doubles())
      if (d != std::nearbyint(d)) return false;
    return true;
  }
  const Node* c = producer(g, v);
  return c && c->op == "tfl.CAST" && !ir::is_float(c->inputs[0]->dtype) && c->inputs[0]->dtype != DType::kBool;
}

}  // namespace

Value* quantized_float_source(ir::Graph& g, const Value* q) {
  int64_t lo = 0, hi = 0;
  if (q->dtype == DType::kInt32 || !quant_range(q->dtype, &lo, &hi)) return nullptr;
  const Node* cast = producer(g, q);
  if (!cast || cast->op != "tfl.CAST" || cast->inputs[0]->dtype != DType::kFloat32) return nullptr;
  const Node* mn = producer(g, cast->inputs[0]);
  if (!mn || mn->op != "tfl.MINIMUM" || !same_const(mn->inputs[1], Tensor::from_floats({}, {static_cast<float>(hi)})))
    return nullptr;
  const Node* mx = producer(g, mn->inputs[0]);
  if (!mx || mx->op != "tfl.MAXIMUM" || !same_const(mx->inputs[1], Tensor::from_floats({}, {static_cast<float>(lo)})))
    return nullptr;
  const Node* r = producer(g, mx->inputs[0]);
  if (r && r->op == "tfl.ADD" && integral(g, r->inputs[1])) r = producer(g, r->inputs[0]);
  return r && r->op == "tfl.ROUND" ? cast->inputs[0] : nullptr;
}

void emit_quantize(LowerContext& ctx, const Node& n, Value* x, const std::string& op, Value* s, Value* zp,
                   Value* out) {
  int64_t lo = 0, hi = 0;
  quant_range(out->dtype, &lo, &hi);
  const Shape& shape = out->shape;
  Value* t = ctx.temp(n, DType::kFloat32, shape, "scaled");
  ctx.emit(op, n, {x, s}, {t});
  Value* r = ctx.temp(n, DType::kFloat32, shape, "rounded");
  ctx.emit("tfl.ROUND", n, {t}, {r});
  if (zp) {
    Value* a = ctx.temp(n, DType::kFloat32, shape, "shifted");
    ctx.emit("tfl.ADD", n, {r, zp}, {a});
    r = a;
  }
  Value* m = ctx.temp(n, DType::kFloat32, shape, "at_least");
  ctx.emit("tfl.MAXIMUM", n, {r, ctx.const_float(n, "qmin", {static_cast<float>(lo)}, {})}, {m});
  Value* c = ctx.temp(n, DType::kFloat32, shape, "saturated");
  ctx.emit("tfl.MINIMUM", n, {m, ctx.const_float(n, "qmax", {static_cast<float>(hi)}, {})}, {c});
  ctx.emit("tfl.CAST", n, {c}, {out});
}

int64_t quantize_value(float x, float s, bool divide, float zp, int64_t lo, int64_t hi) {
  const float q = divide ? x / s : x * s;
  float r = std::nearbyint(q) + zp;  // default rounding mode: half to even
  r = std::fmax(r, static_cast<float>(lo));
  r = std::fmin(r, static_cast<float>(hi));
  return static_cast<int64_t>(r);
}

namespace {

// How scale / zero point map onto x's elements.
struct Layout {
  enum Kind { kTensor, kAxis, kBlocked } kind = kTensor;
  int64_t axis = 0;
  int64_t block = 0;
};

Result<Layout> param_layout(const Node& n, const Shape& xs, const Value* scale) {
  const Shape& ps = scale->shape;
  const int64_t block = n.get_int("block_size", 0);
  NODE_CHECK(n, block >= 0, "block_size must not be negative");
  Layout l;
  if (block > 0) {
    NODE_CHECK(n, !xs.empty(), "blocked quantization needs x of rank >= 1");
    PT_ASSIGN_OR_RETURN(l.axis, axis_attr(n, xs.size(), 1));
    NODE_CHECK(n, ps.size() == xs.size(), "blocked quantization needs a scale of x's rank, got " +
                                              ir::shape_to_string(ps) + " for x " + ir::shape_to_string(xs));
    for (size_t d = 0; d < xs.size(); ++d) {
      const int64_t want = static_cast<int64_t>(d) == l.axis ? (xs[d] + block - 1) / block : xs[d];
      NODE_CHECK(n, ps[d] == want, "scale " + ir::shape_to_string(ps) + " does not fit x " +
                                       ir::shape_to_string(xs) + " with block_size " + std::to_string(block));
    }
    l.kind = Layout::kBlocked;
    l.block = block;
    return l;
  }
  if (ps.size() <= 1 && ir::num_elements(ps) == 1) return l;
  NODE_CHECK(n, ps.size() == 1 && !xs.empty(),
             "scale " + ir::shape_to_string(ps) + " is neither one value, a 1-D per-axis tensor, nor blocked");
  PT_ASSIGN_OR_RETURN(l.axis, axis_attr(n, xs.size(), 1));
  NODE_CHECK(n, ps[0] == xs[l.axis], "per-axis scale of " + std::to_string(ps[0]) + " values for axis " +
                                         std::to_string(l.axis) + " of extent " + std::to_string(xs[l.axis]));
  l.kind = Layout::kAxis;
  return l;
}

// The shape a parameter takes to broadcast against x.
Shape param_shape(const Layout& l, const Shape& xs) {
  if (l.kind == Layout::kTensor) return {};
  if (l.kind == Layout::kBlocked) return xs;
  Shape s(xs.size(), 1);
  s[l.axis] = xs[l.axis];
  return s;
}

// A constant scale / zero point (any dtype) laid out to broadcast against x.
Tensor laid_out(Tensor t, const Layout& l, const Shape& xs) {
  if (l.kind == Layout::kBlocked) {
    std::vector<int64_t> idx;
    for (int64_t k = 0; k < xs[l.axis]; ++k) idx.push_back(k / l.block);
    t = gather_axis(t, static_cast<size_t>(l.axis), idx);
  }
  t.shape = param_shape(l, xs);
  return t;
}

// The same as float32 (zero points of 8/16-bit types and float16 scales convert exactly).
Tensor expand_const(const Tensor& p, const Layout& l, const Shape& xs) {
  return laid_out(Tensor::from_doubles(DType::kFloat32, p.shape, p.to_doubles()), l, xs);
}

// The parameter as a float32 value broadcasting against x (constant or run-time).
Result<Value*> param_value(LowerContext& ctx, const Node& n, Value* p, const Layout& l, const Shape& xs,
                           const std::string& suffix) {
  if (p->is_const()) return ctx.constant(n, suffix, expand_const(*p->data, l, xs));
  Value* f = ctx.cast(n, p, DType::kFloat32);
  if (l.kind == Layout::kBlocked) {  // repeat each block's value along the axis: GATHER
    std::vector<int64_t> idx;
    for (int64_t k = 0; k < xs[l.axis]; ++k) idx.push_back(k / l.block);
    Value* g = ctx.temp(n, DType::kFloat32, xs, suffix + "_per_element");
    ctx.emit("tfl.GATHER", n, {f, ctx.const_int32(n, suffix + "_blocks", idx)}, {g})->attrs["axis"] = l.axis;
    return g;
  }
  const Shape want = l.kind == Layout::kTensor && !xs.empty() ? f->shape : param_shape(l, xs);
  if (f->shape != want) f = ctx.reshape(n, f, want);
  return f;
}

// Per-element parameter values of a constant, broadcast to x's shape.
std::vector<float> expanded(const Tensor& p, const Layout& l, const Shape& xs) {
  return broadcast_to(expand_const(p, l, xs), xs).to_floats();
}

bool all_zero(const Value* v) {
  if (!v || !v->is_const()) return v == nullptr;
  for (int64_t z : v->data->to_int64s())
    if (z != 0) return false;
  return true;
}

// --- QuantizeLinear ---

Result<DType> quantize_output_type(const Node& n) {
  DType t = DType::kUInt8;
  const bool has_attr = n.get_int("output_dtype", 0) != 0;
  if (has_attr) {
    PT_ASSIGN_OR_RETURN(t, dtype_attr(n, "output_dtype"));
  }
  if (Value* zp = n.input(2)) {
    NODE_CHECK(n, !has_attr || zp->dtype == t, "output_dtype differs from the zero point's type");
    t = zp->dtype;
  }
  NODE_UNSUPPORTED_IF(n, t != DType::kInt8 && t != DType::kUInt8 && t != DType::kInt16,
                      std::string("quantizing to ") + ir::dtype_name(t) +
                          " (TFLite models carry int8, uint8 and int16 quantized tensors)");
  return t;
}

Status check_quantize(const Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs x and y_scale");
  const DType x = n.inputs[0]->dtype;
  NODE_UNSUPPORTED_IF(n, x != DType::kFloat32 && x != DType::kFloat16,
                      std::string("quantizing ") + ir::dtype_name(x) + " input (float32/float16 only)");
  const int64_t precision = n.get_int("precision", 0);
  NODE_UNSUPPORTED_IF(n, precision != 0 && precision != 1,
                      "precision = ONNX element type " + std::to_string(precision) + " (only float32 is supported)");
  return Status::ok();
}

Status infer_quantize(Node& n) {
  PT_RETURN_IF_ERROR(check_quantize(n));
  PT_ASSIGN_OR_RETURN(DType t, quantize_output_type(n));
  PT_ASSIGN_OR_RETURN(Layout l, param_layout(n, n.inputs[0]->shape, n.inputs[1]));
  (void)l;
  set_output(n, 0, t, n.inputs[0]->shape);
  return Status::ok();
}

Result<std::vector<Tensor>> fold_quantize(const Node& n) {
  const Shape& xs = n.inputs[0]->shape;
  PT_ASSIGN_OR_RETURN(Layout l, param_layout(n, xs, n.inputs[1]));
  const DType t = n.outputs[0]->dtype;
  int64_t lo = 0, hi = 0;
  quant_range(t, &lo, &hi);
  const std::vector<float> x = n.inputs[0]->data->to_floats();
  const std::vector<float> s = expanded(*n.inputs[1]->data, l, xs);
  const std::vector<float> z = n.input(2) ? expanded(*n.inputs[2]->data, l, xs) : std::vector<float>(x.size(), 0.f);
  std::vector<int64_t> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = quantize_value(x[i], s[i], true, z[i], lo, hi);
  return std::vector<Tensor>{Tensor::from_int64s(t, xs, y)};
}

Status lower_quantize(LowerContext& ctx, Node& n) {
  const Shape& xs = n.inputs[0]->shape;
  PT_ASSIGN_OR_RETURN(Layout l, param_layout(n, xs, n.inputs[1]));
  Value* x = ctx.cast(n, n.inputs[0], DType::kFloat32);
  PT_ASSIGN_OR_RETURN(Value* s, param_value(ctx, n, n.inputs[1], l, xs, "scale"));
  Value* zp = nullptr;
  if (!all_zero(n.input(2))) {
    PT_ASSIGN_OR_RETURN(zp, param_value(ctx, n, n.inputs[2], l, xs, "zero_point"));
  }
  emit_quantize(ctx, n, x, "tfl.DIV", s, zp, n.outputs[0]);
  return Status::ok();
}

// --- DequantizeLinear ---

Status infer_dequantize(Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs x and x_scale");
  const DType x = n.inputs[0]->dtype;
  NODE_UNSUPPORTED_IF(n, x != DType::kInt8 && x != DType::kUInt8 && x != DType::kInt16 && x != DType::kInt32,
                      std::string("dequantizing ") + ir::dtype_name(x) + " (int8, uint8, int16 and int32 only)");
  DType t = n.inputs[1]->dtype;
  if (n.get_int("output_dtype", 0) != 0) {
    PT_ASSIGN_OR_RETURN(t, dtype_attr(n, "output_dtype"));
  }
  NODE_UNSUPPORTED_IF(n, t != DType::kFloat32 && t != DType::kFloat16,
                      std::string("dequantizing to ") + ir::dtype_name(t) + " (float32/float16 only)");
  PT_ASSIGN_OR_RETURN(Layout l, param_layout(n, n.inputs[0]->shape, n.inputs[1]));
  (void)l;
  set_output(n, 0, t, n.inputs[0]->shape);
  return Status::ok();
}

Result<std::vector<Tensor>> fold_dequantize(const Node& n) {
  const Shape& xs = n.inputs[0]->shape;
  PT_ASSIGN_OR_RETURN(Layout l, param_layout(n, xs, n.inputs[1]));
  const std::vector<int64_t> x = n.inputs[0]->data->to_int64s();
  const std::vector<float> s = expanded(*n.inputs[1]->data, l, xs);
  std::vector<int64_t> z(x.size(), 0);
  if (n.input(2)) z = broadcast_to(laid_out(*n.inputs[2]->data, l, xs), xs).to_int64s();
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = static_cast<float>(x[i] - z[i]) * s[i];  // float32 product
  return std::vector<Tensor>{Tensor::from_doubles(n.outputs[0]->dtype, xs, y)};
}

// Q → DQ with the same constant parameters (around every activation of a QDQ model): when
// x is the CAST ending lower_quantize's MINIMUM(MAXIMUM([ADD(] ROUND(DIV(f, s)) [, zp)], lo), hi)
// and DQ's scale and zero point equal s and zp, then (q - zp)·s = clamp(r, lo - zp, hi - zp)·s
// with r = ROUND(f / s) (all integers, exact): DQ reads r and the CASTs, ADD and SUB drop out.
// Writes DQ's float32 result into `into`; false (nothing emitted) when the pattern does not hold.
bool dequantize_fused(LowerContext& ctx, const Node& n, const Layout& l, Value* into) {
  ir::Graph& g = ctx.graph();
  const Value* x = n.inputs[0];
  const Shape& xs = x->shape;
  int64_t lo = 0, hi = 0;
  if (!quant_range(x->dtype, &lo, &hi) || x->dtype == DType::kInt32 || !n.inputs[1]->is_const() ||
      (n.input(2) && !n.inputs[2]->is_const()))
    return false;
  const Tensor scale = expand_const(*n.inputs[1]->data, l, xs);
  const Tensor zp = n.input(2) ? expand_const(*n.inputs[2]->data, l, xs)
                               : Tensor::from_doubles(DType::kFloat32, param_shape(l, xs),
                                                      std::vector<double>(ir::num_elements(param_shape(l, xs)), 0.0));
  Value* f = quantized_float_source(g, x);
  if (!f) return false;
  Node* mx = producer(g, producer(g, f)->inputs[0]);  // f = MINIMUM(MAXIMUM(…, lo), hi)
  Node* r = producer(g, mx->inputs[0]);
  const bool zero_zp = all_zero(n.input(2));
  if (r && r->op == "tfl.ADD") {
    if (zero_zp || !same_const(r->inputs[1], zp)) return false;
    r = producer(g, r->inputs[0]);
  } else if (!zero_zp) {
    return false;
  }
  if (!r || r->op != "tfl.ROUND") return false;
  Node* div = producer(g, r->inputs[0]);
  if (!div || div->op != "tfl.DIV" || !same_const(div->inputs[1], scale)) return false;
  const Shape& shape = r->outputs[0]->shape;
  if (shape != xs) return false;
  auto shifted = [&](double bound) {
    return ctx.constant(n, "bound", map_unary(zp, DType::kFloat32, [&](double z) { return bound - z; }));
  };
  Value* a = ctx.temp(n, DType::kFloat32, xs, "at_least");
  ctx.emit("tfl.MAXIMUM", n, {r->outputs[0], shifted(static_cast<double>(lo))}, {a});
  Value* b = ctx.temp(n, DType::kFloat32, xs, "saturated");
  ctx.emit("tfl.MINIMUM", n, {a, shifted(static_cast<double>(hi))}, {b});
  ctx.emit("tfl.MUL", n, {b, ctx.constant(n, "scale", scale)}, {into});
  return true;
}

Status lower_dequantize(LowerContext& ctx, Node& n) {
  const Shape& xs = n.inputs[0]->shape;
  PT_ASSIGN_OR_RETURN(Layout l, param_layout(n, xs, n.inputs[1]));
  Value* out = n.outputs[0];
  Value* y = out->dtype == DType::kFloat32 ? out : ctx.temp(n, DType::kFloat32, xs, "float32");
  if (dequantize_fused(ctx, n, l, y)) {
    if (y != out) ctx.emit("tfl.CAST", n, {y}, {out});
    return Status::ok();
  }
  Value* x = quantized_float_source(ctx.graph(), n.inputs[0]);
  if (!x) x = ctx.cast(n, n.inputs[0], DType::kFloat32);
  if (!all_zero(n.input(2))) {
    NODE_UNSUPPORTED_IF(n, n.inputs[0]->dtype == DType::kInt32,
                        "int32 input with a nonzero zero point (ONNX allows only 0)");
    PT_ASSIGN_OR_RETURN(Value* zp, param_value(ctx, n, n.inputs[2], l, xs, "zero_point"));
    Value* d = ctx.temp(n, DType::kFloat32, xs, "centered");
    ctx.emit("tfl.SUB", n, {x, zp}, {d});
    x = d;
  }
  PT_ASSIGN_OR_RETURN(Value* s, param_value(ctx, n, n.inputs[1], l, xs, "scale"));
  ctx.emit("tfl.MUL", n, {x, s}, {y});
  if (y != out) ctx.emit("tfl.CAST", n, {y}, {out});
  return Status::ok();
}

// --- DynamicQuantizeLinear (uint8 only, per the spec) ---

Status infer_dynamic_quantize(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  NODE_UNSUPPORTED_IF(n, n.inputs[0]->dtype != DType::kFloat32, "only float32 input is defined");
  set_output(n, 0, DType::kUInt8, n.inputs[0]->shape);
  set_output(n, 1, DType::kFloat32, {});
  set_output(n, 2, DType::kUInt8, {});
  return Status::ok();
}

// onnxruntime's parameters: range widened to include 0, scale 1 when it is empty.
void dynamic_params(float mn, float mx, float* scale, float* zp) {
  mn = std::fmin(mn, 0.f);
  mx = std::fmax(mx, 0.f);
  *scale = mx == mn ? 1.f : (mx - mn) / 255.f;
  *zp = std::nearbyint(std::fmin(255.f, std::fmax(0.f, 0.f - mn / *scale)));
}

Result<std::vector<Tensor>> fold_dynamic_quantize(const Node& n) {
  const Tensor& t = *n.inputs[0]->data;
  const std::vector<float> x = t.to_floats();
  NODE_UNSUPPORTED_IF(n, x.empty(), "empty input");
  float mn = x[0], mx = x[0];
  for (float v : x) mn = std::fmin(mn, v), mx = std::fmax(mx, v);
  float scale = 0, zp = 0;
  dynamic_params(mn, mx, &scale, &zp);
  std::vector<int64_t> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = quantize_value(x[i], scale, true, zp, 0, 255);
  return std::vector<Tensor>{Tensor::from_int64s(DType::kUInt8, t.shape, y), Tensor::from_floats({}, {scale}),
                             Tensor::from_int64s(DType::kUInt8, {}, {static_cast<int64_t>(zp)})};
}

Status lower_dynamic_quantize(LowerContext& ctx, Node& n) {
  Value* x = n.inputs[0];
  NODE_UNSUPPORTED_IF(n, x->shape.empty() || ir::num_elements(x->shape) == 0, "scalar or empty input");
  std::vector<int64_t> axes;
  for (size_t i = 0; i < x->shape.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  auto scalar = [&](const std::string& suffix) { return ctx.temp(n, DType::kFloat32, {}, suffix); };
  auto binary = [&](const std::string& op, Value* a, Value* b, const std::string& suffix) {
    Value* r = scalar(suffix);
    ctx.emit(op, n, {a, b}, {r});
    return r;
  };
  Value* zero = ctx.const_float(n, "zero", {0.f}, {});
  Value* mx = scalar("max");
  ctx.emit("tfl.REDUCE_MAX", n, {x, ctx.const_int32(n, "axes", axes)}, {mx})->attrs["keep_dims"] = int64_t{0};
  Value* mn = scalar("min");
  ctx.emit("tfl.REDUCE_MIN", n, {x, ctx.const_int32(n, "axes", axes)}, {mn})->attrs["keep_dims"] = int64_t{0};
  mx = binary("tfl.MAXIMUM", mx, zero, "max0");
  mn = binary("tfl.MINIMUM", mn, zero, "min0");
  Value* range = binary("tfl.SUB", mx, mn, "range");
  Value* step = binary("tfl.DIV", range, ctx.const_float(n, "qrange", {255.f}, {}), "step");
  Value* empty = ctx.temp(n, DType::kBool, {}, "empty");
  ctx.emit("tfl.EQUAL", n, {mx, mn}, {empty});
  Value* scale = n.outputs[1];
  ctx.emit("tfl.SELECT_V2", n, {empty, ctx.const_float(n, "one", {1.f}, {}), step}, {scale});
  Value* ratio = binary("tfl.DIV", mn, scale, "min_over_scale");
  Value* zp = binary("tfl.SUB", zero, ratio, "initial_zp");
  zp = binary("tfl.MAXIMUM", zp, zero, "zp_lo");
  zp = binary("tfl.MINIMUM", zp, ctx.const_float(n, "qmax255", {255.f}, {}), "zp_hi");
  Value* zpr = scalar("zp");
  ctx.emit("tfl.ROUND", n, {zp}, {zpr});
  ctx.emit("tfl.CAST", n, {zpr}, {n.outputs[2]});
  emit_quantize(ctx, n, x, "tfl.DIV", scale, zpr, n.outputs[0]);
  return Status::ok();
}

}  // namespace

void register_quantize_linear(Registry& r) {
  r.add("QuantizeLinear", {infer_quantize, fold_quantize, lower_quantize});
  r.add("DequantizeLinear", {infer_dequantize, fold_dequantize, lower_dequantize});
  r.add("DynamicQuantizeLinear", {infer_dynamic_quantize, fold_dynamic_quantize, lower_dynamic_quantize});
}

}  // namespace pt2tflite::lower
