// Bitwise ops on integers. TFLite has BITWISE_XOR and RIGHT_SHIFT (int8/16/32, uint8/16/32)
// but no AND, OR, NOT or left shift; the rest is exact integer arithmetic in int32:
//   Xor(a, b) = BITWISE_XOR(a, b)
//   Not(x)    = BITWISE_XOR(x, all ones)
//   And(a, b) = 2·h + lo with a' = a >> 1, b' = b >> 1, h = (a' + b' − (a' ^ b')) >> 1 and
//               lo = (a mod 2)·(b mod 2) — from a + b = (a ^ b) + 2(a & b), applied to the
//               halves so no sum leaves int32 (the identity holds for two's complement);
//   Or(a, b)  = (a ^ b) + (a & b)          (disjoint bits: the sum is the OR, no carry)
// int8/uint8/int16 run in int32 between CASTs (exact: the extended values have the same
// bits below the type's width); int64 is refused (BITWISE_XOR has no int64 kernel).
// BitShift (uint8, and int8/int16/int32 from opset 28), computed in int32: RIGHT is an
// arithmetic RIGHT_SHIFT of the sign- or zero-extended value; LEFT multiplies in int64 by
// 2^y (a GATHER from a constant table: POW has no int64 kernel) and the CAST back keeps the
// low bits, discarding those shifted past the width. A shift y < 0 or ≥ the width gives the
// sign fill (opset 28; older opsets leave it undefined): RIGHT shifts by 31 instead (TFLite
// would clamp to width − 1, wrong for uint8), LEFT selects 0.
#include "lower/context.h"
#include "lower/eval_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

bool is_int(DType t) {
  return t == DType::kInt8 || t == DType::kUInt8 || t == DType::kInt16 || t == DType::kInt32 || t == DType::kInt64 ||
         t == DType::kUInt64;
}

Status infer_bitwise(Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  const DType t = n.inputs[0]->dtype;
  NODE_CHECK(n, is_int(t), std::string("needs integer inputs, got ") + ir::dtype_name(t));
  Shape s = n.inputs[0]->shape;
  if (n.op != "onnx.BitwiseNot") {
    NODE_CHECK(n, n.input(1) && n.inputs[1]->dtype == t, "needs two inputs of one type");
    NODE_CHECK(n, ir::broadcast_shapes(n.inputs[0]->shape, n.inputs[1]->shape, &s), "input shapes do not broadcast");
  }
  if (n.op == "onnx.BitShift") {
    const std::string d = n.get_string("direction", "");
    NODE_CHECK(n, d == "LEFT" || d == "RIGHT", "direction must be LEFT or RIGHT");
  }
  set_output(n, 0, t, s);
  return Status::ok();
}

uint64_t mask_of(DType t) {
  switch (t) {
    case DType::kInt8: case DType::kUInt8: return 0xFF;
    case DType::kInt16: return 0xFFFF;
    case DType::kInt32: return 0xFFFFFFFFull;
    default: return ~uint64_t{0};
  }
}

// Reinterprets the low bits of v as a value of type t.
int64_t wrap(DType t, uint64_t v) {
  v &= mask_of(t);
  switch (t) {
    case DType::kInt8: return static_cast<int8_t>(v);
    case DType::kInt16: return static_cast<int16_t>(v);
    case DType::kInt32: return static_cast<int32_t>(v);
    default: return static_cast<int64_t>(v);
  }
}

Result<std::vector<ir::Tensor>> fold_bitwise(const Node& n) {
  const DType t = n.outputs[0]->dtype;
  const ir::Tensor& a = *n.inputs[0]->data;
  if (n.op == "onnx.BitwiseNot") {
    const std::vector<int64_t> v = a.to_int64s();
    std::vector<int64_t> r;
    for (int64_t x : v) r.push_back(wrap(t, ~static_cast<uint64_t>(x)));
    return std::vector<ir::Tensor>{ir::Tensor::from_int64s(t, a.shape, r)};
  }
  const std::string& op = n.op;
  const bool left = n.get_string("direction", "") == "LEFT";
  return std::vector<ir::Tensor>{broadcast_binary_int(a, *n.inputs[1]->data, t, [&](int64_t x, int64_t y) {
    const uint64_t ux = static_cast<uint64_t>(x), uy = static_cast<uint64_t>(y);
    if (op == "onnx.BitwiseAnd") return wrap(t, ux & uy);
    if (op == "onnx.BitwiseOr") return wrap(t, ux | uy);
    if (op == "onnx.BitwiseXor") return wrap(t, ux ^ uy);
    const int bits = t == DType::kInt8 || t == DType::kUInt8 ? 8 : t == DType::kInt16 ? 16 : t == DType::kInt32 ? 32 : 64;
    if (y < 0 || y >= bits) return !left && x < 0 ? int64_t{-1} : int64_t{0};  // the sign fill (opset 28)
    if (left) return wrap(t, ux << uy);
    return x < 0 ? x >> y : static_cast<int64_t>((ux & mask_of(t)) >> uy);
  })};
}

class Int32Ops {
 public:
  Int32Ops(LowerContext& ctx, const Node& n) : ctx_(ctx), n_(n) {}
  Value* op(const char* name, Value* a, Value* b) {
    Shape s;
    ir::broadcast_shapes(a->shape, b->shape, &s);
    Value* y = ctx_.temp(n_, DType::kInt32, s, name + 4);
    ctx_.emit(name, n_, {a, b}, {y});
    return y;
  }
  Value* scalar(int64_t v) { return ctx_.constant(n_, "c", ir::Tensor::from_int64s(DType::kInt32, {}, {v})); }

  Value* bit_and(Value* a, Value* b) {
    Value* one = scalar(1);
    Value* ha = op("tfl.RIGHT_SHIFT", a, one);
    Value* hb = op("tfl.RIGHT_SHIFT", b, one);
    Value* h = op("tfl.RIGHT_SHIFT", op("tfl.SUB", op("tfl.ADD", ha, hb), op("tfl.BITWISE_XOR", ha, hb)), one);
    Value* two = scalar(2);
    Value* lo = op("tfl.MUL", op("tfl.FLOOR_MOD", a, two), op("tfl.FLOOR_MOD", b, two));
    return op("tfl.ADD", op("tfl.MUL", h, two), lo);
  }

 private:
  LowerContext& ctx_;
  const Node& n_;
};

int bits_of(DType t) { return t == DType::kInt8 || t == DType::kUInt8 ? 8 : t == DType::kInt16 ? 16 : 32; }

Status lower_bit_shift(LowerContext& ctx, Node& n) {
  Value* out = n.outputs[0];
  const DType t = out->dtype;
  const int bits = bits_of(t);
  Int32Ops o(ctx, n);
  Value* x = ctx.cast(n, n.inputs[0], DType::kInt32);
  Value* y = ctx.cast(n, n.inputs[1], DType::kInt32);
  auto cmp = [&](const char* name, Value* a, Value* b) {
    Value* r = ctx.temp(n, DType::kBool, a->shape, name + 4);
    ctx.emit(name, n, {a, b}, {r});
    return r;
  };
  Value* oob = ctx.temp(n, DType::kBool, y->shape, "out_of_range");
  ctx.emit("tfl.LOGICAL_OR", n, {cmp("tfl.LESS", y, o.scalar(0)), cmp("tfl.GREATER_EQUAL", y, o.scalar(bits))}, {oob});
  auto select = [&](Value* c, Value* a, Value* b, DType dt, const Shape& s, Value* into = nullptr) {
    if (!into) into = ctx.temp(n, dt, s, "select");
    ctx.emit("tfl.SELECT_V2", n, {c, a, b}, {into});
    return into;
  };
  if (n.get_string("direction", "") == "RIGHT") {
    Value* r = o.op("tfl.RIGHT_SHIFT", x, select(oob, o.scalar(31), y, DType::kInt32, y->shape));
    if (t == DType::kInt32)
      ctx.reshape(n, r, r->shape, out);
    else
      ctx.cast(n, r, t, out);
    return Status::ok();
  }
  std::vector<int64_t> powers;
  for (int k = 0; k < bits; ++k) powers.push_back(int64_t{1} << k);
  Value* table = ctx.constant(n, "powers_of_2", ir::Tensor::from_int64s(DType::kInt64, {bits}, powers));
  Value* p = ctx.temp(n, DType::kInt64, y->shape, "pow2");
  ctx.emit("tfl.GATHER", n, {table, select(oob, o.scalar(0), y, DType::kInt32, y->shape)}, {p})->attrs["axis"] =
      int64_t{0};
  Value* prod = ctx.temp(n, DType::kInt64, out->shape, "shifted");
  ctx.emit("tfl.MUL", n, {ctx.cast(n, x, DType::kInt64), p}, {prod});
  Value* zero = ctx.constant(n, "zero", ir::Tensor::from_int64s(t, {}, {0}));
  select(oob, zero, ctx.cast(n, prod, t), t, out->shape, out);
  return Status::ok();
}

Status lower_bitwise(LowerContext& ctx, Node& n) {
  Value* out = n.outputs[0];
  const DType t = out->dtype;
  const std::string& op = n.op;
  NODE_UNSUPPORTED_IF(n, t == DType::kInt64 || t == DType::kUInt64,
                      std::string("TFLite's BITWISE_XOR/RIGHT_SHIFT have no ") + ir::dtype_name(t) + " kernel");
  NODE_UNSUPPORTED_IF(n, op == "onnx.BitShift" && n.opset > 0 && n.opset < 28 && t != DType::kUInt8,
                      "BitShift before opset 28 takes unsigned types only");
  if (op == "onnx.BitShift") return lower_bit_shift(ctx, n);
  if (op == "onnx.BitwiseXor" || op == "onnx.BitwiseNot") {
    Value* b = op == "onnx.BitwiseNot" ? ctx.constant(n, "all_ones", ir::Tensor::from_int64s(t, {}, {wrap(t, ~0ull)}))
                                       : n.inputs[1];
    ctx.emit("tfl.BITWISE_XOR", n, {n.inputs[0], b}, {out});
    return Status::ok();
  }
  Int32Ops o(ctx, n);
  Value* a = ctx.cast(n, n.inputs[0], DType::kInt32);
  Value* b = ctx.cast(n, n.inputs[1], DType::kInt32);
  Value* r = o.bit_and(a, b);
  if (op == "onnx.BitwiseOr") r = o.op("tfl.ADD", o.op("tfl.BITWISE_XOR", a, b), r);
  if (t == DType::kInt32)
    ctx.reshape(n, r, r->shape, out);  // a copy; merge_reshapes drops it
  else
    ctx.cast(n, r, t, out);
  return Status::ok();
}

}  // namespace

void register_bitwise(Registry& r) {
  for (const char* op : {"BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot", "BitShift"})
    r.add(op, {infer_bitwise, fold_bitwise, lower_bitwise});
}

}  // namespace pt2tflite::lower
