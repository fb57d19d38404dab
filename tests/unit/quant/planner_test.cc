// The full-integer planner (src/quant/quantize_integer.h) on small lowered graphs with given
// calibrated ranges: which tensors share parameters, which are fixed, where QUANTIZE /
// DEQUANTIZE go, and what apply_plan writes.
#include "quant/quantize_integer.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>

#include "graph_builder.h"

namespace pt2tflite::quant {
namespace {

using ir::DType;
using ir::Value;
using pt2tflite::testing::Builder;

Plan plan_ok(ir::Graph& g, const RangeMap& ranges, const IntegerOptions& o = IntegerOptions()) {
  Result<Plan> p = plan_integer(g, ranges, o);
  EXPECT_TRUE(p.is_ok()) << (p.is_ok() ? "" : p.status().message());
  return p.is_ok() ? std::move(p.value()) : Plan{};
}

void expect_params(const Plan& p, const Value* v, QParams want) {
  auto it = p.activation.find(v);
  ASSERT_NE(it, p.activation.end()) << v->name << " has no parameters";
  EXPECT_FLOAT_EQ(it->second.scale, want.scale) << v->name;
  EXPECT_EQ(it->second.zero_point, want.zero_point) << v->name;
}

QParams int8(Range r) { return asymmetric(r, -128, 127); }

const ir::Node* producer(const ir::Graph& g, const Value* v) {
  for (const auto& n : g.nodes())
    for (const Value* o : n->outputs)
      if (o == v) return n.get();
  return nullptr;
}

TEST(QuantPlanner, ConcatMaxPoolReshapeShareOneSetOfParams) {
  Builder b;
  Value* x = b.input("x", {1, 4, 4, 2});
  Value* y = b.input("y", {1, 4, 4, 2});
  Value* c = b.value("c", {1, 4, 4, 4});
  b.node("tfl.CONCATENATION", {x, y}, {c}, {{"axis", int64_t{3}}});
  Value* m = b.value("m", {1, 2, 2, 4});
  b.node("tfl.MAX_POOL_2D", {c}, {m});
  Value* r = b.value("r", {1, 16});
  b.node("tfl.RESHAPE", {m, b.ints("shape", {1, 16})}, {r});
  Value* s = b.value("s", {1, 16});
  b.node("tfl.ADD", {r, r}, {s});  // a free op: its output has its own params
  b.g.outputs = {s};
  const RangeMap ranges{{"x", {-1, 1}}, {"y", {0, 4}}, {"c", {-1, 4}}, {"m", {-0.5f, 4}}, {"r", {-0.5f, 4}},
                        {"s", {-1, 8}}};
  const Plan p = plan_ok(b.g, ranges);
  // The union of the five ranges, [-1, 4]: scale 5/255, zero point -128 + 51.
  const QParams shared = int8({-1, 4});
  EXPECT_EQ(shared.zero_point, -77);
  for (const Value* v : {x, y, c, m, r}) expect_params(p, v, shared);
  expect_params(p, s, int8({-1, 8}));
  // Float I/O: a QUANTIZE per input, a DEQUANTIZE for the output.
  EXPECT_EQ(b.count("tfl.QUANTIZE"), 2);
  EXPECT_EQ(b.count("tfl.DEQUANTIZE"), 1);
  EXPECT_EQ(b.g.inputs[0]->name, "x");  // the signature keeps the model's names
  EXPECT_EQ(b.g.inputs[0]->dtype, DType::kFloat32);
}

TEST(QuantPlanner, LogisticSoftmaxTanhOutputsHaveTheSpecsFixedParams) {
  for (DType act : {DType::kInt8, DType::kInt16}) {
    SCOPED_TRACE(ir::dtype_name(act));
    Builder b;
    Value* x = b.input("x", {1, 8});
    Value* l = b.value("l", {1, 8});
    Value* sm = b.value("sm", {1, 8});
    Value* t = b.value("t", {1, 8});
    b.node("tfl.LOGISTIC", {x}, {l});
    b.node("tfl.SOFTMAX", {x}, {sm}, {{"beta", 1.0}});
    b.node("tfl.TANH", {x}, {t});
    b.g.outputs = {l, sm, t};
    IntegerOptions o;
    o.activations = act;
    // Calibrated ranges narrower than the spec's: the fixed params win anyway.
    const Plan p = plan_ok(b.g, {{"x", {-3, 2}}, {"l", {0.05f, 0.88f}}, {"sm", {0.01f, 0.6f}}, {"t", {-0.99f, 0.96f}}}, o);
    if (act == DType::kInt8) {
      expect_params(p, l, {1.0f / 256, -128});
      expect_params(p, sm, {1.0f / 256, -128});
      expect_params(p, t, {1.0f / 128, 0});
      expect_params(p, x, int8({-3, 2}));
    } else {
      expect_params(p, l, {1.0f / 32768, 0});
      expect_params(p, sm, {1.0f / 32768, 0});
      expect_params(p, t, {1.0f / 32768, 0});
      expect_params(p, x, {3.0f / 32767, 0});  // 16x8 activations are symmetric
    }
  }
}

// LOGISTIC (fixed [0, 1)) and another tensor meet at a CONCATENATION (shared params).
struct SigmoidConcat {
  Builder b;
  Value *x, *w, *s, *c;
  SigmoidConcat() {
    x = b.input("x", {1, 4});
    w = b.input("w", {1, 4});
    s = b.value("s", {1, 4});
    c = b.value("c", {1, 8});
    b.node("tfl.LOGISTIC", {x}, {s});
    b.node("tfl.CONCATENATION", {s, w}, {c}, {{"axis", int64_t{1}}});
    b.g.outputs = {c};
  }
};

TEST(QuantPlanner, WideInputMeetingALogisticAtAConcatGetsARequantize) {
  SigmoidConcat m;
  const Plan p = plan_ok(m.b.g, {{"x", {-4, 4}}, {"w", {-10, 10}}, {"s", {0, 1}}, {"c", {-10, 10}}});
  expect_params(p, m.s, {1.0f / 256, -128});  // the logistic keeps its fixed output
  const QParams wide = int8({-10, 10});
  expect_params(p, m.c, wide);
  expect_params(p, m.w, wide);
  // The concat now reads a requantized copy of the logistic's output, in the shared params.
  const ir::Node* concat = m.b.find("tfl.CONCATENATION");
  Value* in0 = concat->inputs[0];
  ASSERT_NE(in0, m.s);
  const ir::Node* rq = producer(m.b.g, in0);
  ASSERT_NE(rq, nullptr);
  EXPECT_EQ(rq->op, "tfl.QUANTIZE");
  EXPECT_EQ(rq->inputs[0], m.s);
  expect_params(p, in0, wide);
  EXPECT_EQ(m.b.count("tfl.QUANTIZE"), 3);  // two inputs and the requantize
}

TEST(QuantPlanner, NarrowInputJoinsTheLogisticsFixedParams) {
  SigmoidConcat m;
  const Plan p = plan_ok(m.b.g, {{"x", {-4, 4}}, {"w", {0, 0.5f}}, {"s", {0, 1}}, {"c", {0, 1}}});
  for (const Value* v : {m.s, m.w, m.c}) expect_params(p, v, {1.0f / 256, -128});
  EXPECT_EQ(m.b.find("tfl.CONCATENATION")->inputs[0], m.s);
  EXPECT_EQ(m.b.count("tfl.QUANTIZE"), 2);  // the two graph inputs only
}

TEST(QuantPlanner, FallbackFloatNodeIsWrappedInDequantizeQuantize) {
  Builder b;
  Value* x = b.input("x", {1, 4});
  Value* a = b.value("a", {1, 4});
  Value* k = b.value("k", {1, 4});
  Value* f = b.value("f", {1, 4});
  Value* y = b.value("y", {1, 4});
  b.g.add_node("tfl.RELU", "first", {x}, {a});
  b.g.add_node("tfl.RELU", "keep", {a}, {k});
  b.g.add_node("tfl.ABS", "keep_1", {k}, {f});  // a second tfl node lowered from ONNX node "keep"
  b.g.add_node("tfl.RELU", "last", {f}, {y});
  b.g.outputs = {y};
  IntegerOptions o;
  o.keep_float = {"keep"};
  const Plan p = plan_ok(b.g, {{"x", {-1, 1}}, {"a", {0, 1}}, {"k", {0, 1}}, {"f", {0, 2}}, {"y", {0, 2}}}, o);
  EXPECT_EQ(p.float_nodes, (std::set<std::string>{"keep", "keep_1"}));
  // "keep" reads a DEQUANTIZE of a; "last" reads a QUANTIZE of f.
  const ir::Node* keep = b.g.find_node("keep");
  const ir::Node* deq = producer(b.g, keep->inputs[0]);
  ASSERT_NE(deq, nullptr);
  EXPECT_EQ(deq->op, "tfl.DEQUANTIZE");
  EXPECT_EQ(deq->inputs[0], a);
  const ir::Node* last = b.g.find_node("last");
  const ir::Node* q = producer(b.g, last->inputs[0]);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->op, "tfl.QUANTIZE");
  EXPECT_EQ(q->inputs[0], f);
  expect_params(p, last->inputs[0], int8({0, 2}));
  expect_params(p, a, int8({0, 1}));
  EXPECT_EQ(p.activation.count(k), 0u);
  EXPECT_EQ(p.activation.count(f), 0u);

  ASSERT_TRUE(apply_plan(b.g, p, o).is_ok());
  EXPECT_EQ(a->dtype, DType::kInt8);
  EXPECT_EQ(k->dtype, DType::kFloat32);
  EXPECT_EQ(f->dtype, DType::kFloat32);
  EXPECT_EQ(last->inputs[0]->dtype, DType::kInt8);
  EXPECT_EQ(keep->inputs[0]->dtype, DType::kFloat32);
}

TEST(QuantPlanner, KeepFloatByOpType) {
  Builder b;
  Value* x = b.input("x", {1, 4});
  Value* y = b.value("y", {1, 4});
  b.g.add_node("tfl.RELU", "r", {x}, {y});
  b.g.outputs = {y};
  IntegerOptions o;
  o.keep_float = {"RELU"};
  const Plan p = plan_ok(b.g, {{"x", {-1, 1}}, {"y", {0, 1}}}, o);
  EXPECT_EQ(p.float_nodes, (std::set<std::string>{"r"}));
  EXPECT_TRUE(p.activation.empty());
  EXPECT_EQ(b.count("tfl.QUANTIZE") + b.count("tfl.DEQUANTIZE"), 0);
}

// Two CONV_2D read the same weight and bias constants but see different input ranges.
struct TwoConvs {
  Builder b;
  Value *x1, *x2, *w, *bias, *y1, *y2;
  ir::Node *c1, *c2;
  TwoConvs() {
    x1 = b.input("x1", {1, 2, 2, 1});
    x2 = b.input("x2", {1, 2, 2, 1});
    w = b.floats("w", {2, 1, 1, 1}, {0.5f, -2});  // OHWI, 2 output channels
    bias = b.floats("bias", {2}, {0.11f, -0.31f});
    y1 = b.value("y1", {1, 2, 2, 2});
    y2 = b.value("y2", {1, 2, 2, 2});
    c1 = b.g.add_node("tfl.CONV_2D", "conv1", {x1, w, bias}, {y1});
    c2 = b.g.add_node("tfl.CONV_2D", "conv2", {x2, w, bias}, {y2});
    b.g.outputs = {y1, y2};
  }
  RangeMap ranges() const { return {{"x1", {-1, 1}}, {"x2", {-4, 4}}, {"y1", {-2, 2}}, {"y2", {-8, 8}}}; }
};

TEST(QuantPlanner, ConstantSharedByTwoConvsIsCopiedPerReader) {
  TwoConvs m;
  const Plan p = plan_ok(m.b.g, m.ranges());
  Value* w1 = m.c1->inputs[1];
  Value* w2 = m.c2->inputs[1];
  Value* b1 = m.c1->inputs[2];
  Value* b2 = m.c2->inputs[2];
  ASSERT_NE(w1, w2);
  ASSERT_NE(b1, b2);
  ASSERT_TRUE(w1->is_const() && w2->is_const() && b1->is_const() && b2->is_const());
  // Weights: per output channel (axis 0), max |w| / 127.
  for (const Value* w : {w1, w2}) {
    ASSERT_EQ(p.weights.count(w), 1u);
    EXPECT_EQ(p.weights.at(w).axis, 0);
    ASSERT_EQ(p.weights.at(w).scales.size(), 2u);
    EXPECT_FLOAT_EQ(p.weights.at(w).scales[0], 0.5f / 127);
    EXPECT_FLOAT_EQ(p.weights.at(w).scales[1], 2.0f / 127);
  }
  // Bias scale = that conv's input scale × weight scale: the copies differ by 4x.
  const float s1 = p.activation.at(m.x1).scale, s2 = p.activation.at(m.x2).scale;
  EXPECT_FLOAT_EQ(s2, 4 * s1);
  ASSERT_EQ(p.bias.count(b1), 1u);
  ASSERT_EQ(p.bias.count(b2), 1u);
  EXPECT_FLOAT_EQ(p.bias.at(b1)[0], s1 * 0.5f / 127);
  EXPECT_FLOAT_EQ(p.bias.at(b1)[1], s1 * 2.0f / 127);
  EXPECT_FLOAT_EQ(p.bias.at(b2)[1], s2 * 2.0f / 127);

  IntegerOptions o;
  ASSERT_TRUE(apply_plan(m.b.g, p, o).is_ok());
  EXPECT_EQ(w1->dtype, DType::kInt8);
  EXPECT_EQ(w1->data->to_int64s(), (std::vector<int64_t>{127, -127}));
  ASSERT_EQ(b1->dtype, DType::kInt32);
  ASSERT_TRUE(b1->quant.has_value());
  EXPECT_FLOAT_EQ(b1->quant->scale[1], s1 * 2.0f / 127);
  EXPECT_EQ(b1->quant->zero_point, (std::vector<int64_t>{0, 0}));
  const std::vector<int64_t> q1 = b1->data->to_int64s(), q2 = b2->data->to_int64s();
  // round(b / bias scale): 0.11 / (2/255 · 0.5/127) ≈ 3562.4, a quarter of that for conv2.
  EXPECT_EQ(q1[0], std::llround(static_cast<double>(0.11f) / b1->quant->scale[0]));
  EXPECT_EQ(q1[1], std::llround(static_cast<double>(-0.31f) / b1->quant->scale[1]));
  EXPECT_EQ(q2[0], std::llround(static_cast<double>(0.11f) / b2->quant->scale[0]));
  EXPECT_EQ(q1[0], 3562);
  EXPECT_EQ(q1[1], -2510);
  EXPECT_EQ(q2[0], 891);
}

TEST(QuantPlanner, Uint8IoShiftsTheZeroPointBy128) {
  Builder b;
  Value* x = b.input("x", {1, 4});
  Value* y = b.value("y", {1, 4});
  b.node("tfl.RELU", {x}, {y});
  b.g.outputs = {y};
  IntegerOptions o;
  o.input_type = DType::kUInt8;
  o.output_type = DType::kUInt8;
  const Plan p = plan_ok(b.g, {{"x", {-1, 4}}, {"y", {0, 4}}}, o);
  ASSERT_TRUE(apply_plan(b.g, p, o).is_ok());
  Value* in = b.g.inputs[0];
  Value* out = b.g.outputs[0];
  EXPECT_EQ(in->name, "x");
  EXPECT_EQ(out->name, "y");
  ASSERT_EQ(in->dtype, DType::kUInt8);
  ASSERT_EQ(out->dtype, DType::kUInt8);
  EXPECT_EQ(x->dtype, DType::kInt8);
  EXPECT_EQ(y->dtype, DType::kInt8);
  // Same scale; uint8 zero point = int8 zero point + 128.
  EXPECT_FLOAT_EQ(in->quant->scale[0], x->quant->scale[0]);
  EXPECT_EQ(x->quant->zero_point[0], -77);
  EXPECT_EQ(in->quant->zero_point[0], 51);
  EXPECT_EQ(y->quant->zero_point[0], -128);
  EXPECT_EQ(out->quant->zero_point[0], 0);
  EXPECT_EQ(b.count("tfl.QUANTIZE"), 2);  // uint8 → int8 in, int8 → uint8 out
  EXPECT_EQ(b.count("tfl.DEQUANTIZE"), 0);
}

TEST(QuantPlanner, Int16x8HasSymmetricActivationsAndInt64Bias) {
  TwoConvs m;
  IntegerOptions o;
  o.activations = DType::kInt16;
  const Plan p = plan_ok(m.b.g, m.ranges(), o);
  expect_params(p, m.x1, {1.0f / 32767, 0});
  expect_params(p, m.y2, {8.0f / 32767, 0});
  ASSERT_TRUE(apply_plan(m.b.g, p, o).is_ok());
  EXPECT_EQ(m.x1->dtype, DType::kInt16);
  EXPECT_EQ(m.y1->dtype, DType::kInt16);
  EXPECT_EQ(m.c1->inputs[1]->dtype, DType::kInt8);
  Value* b1 = m.c1->inputs[2];
  EXPECT_EQ(b1->dtype, DType::kInt64);
  EXPECT_EQ(b1->data->dtype, DType::kInt64);
  EXPECT_FLOAT_EQ(b1->quant->scale[0], 1.0f / 32767 * 0.5f / 127);
  EXPECT_EQ(b1->data->to_int64s()[0], 915510);  // 0.11 / (1/32767 · 0.5/127)
}

TEST(QuantPlanner, Int16x8RefusesInt8Io) {
  Builder b;
  Value* x = b.input("x", {1, 4});
  Value* y = b.value("y", {1, 4});
  b.node("tfl.RELU", {x}, {y});
  b.g.outputs = {y};
  IntegerOptions o;
  o.activations = DType::kInt16;
  o.input_type = DType::kInt8;
  Result<Plan> p = plan_integer(b.g, {{"x", {-1, 1}}, {"y", {0, 1}}}, o);
  ASSERT_FALSE(p.is_ok());
  EXPECT_NE(p.status().message().find("int16x8"), std::string::npos) << p.status().message();
}

TEST(QuantPlanner, ErrorListsEveryOpWithoutAnIntegerKernel) {
  Builder b;
  Value* x = b.input("x", {1, 4});
  Value* a = b.value("a", {1, 4});
  Value* r = b.value("r", {1, 4});
  Value* e = b.value("e", {1, 4});
  Value* y = b.value("y", {1, 4});
  b.g.add_node("tfl.COS", "cos1", {x}, {a});
  b.g.add_node("tfl.RELU", "relu1", {a}, {r});
  b.g.add_node("tfl.EXP", "exp1", {r}, {e});  // int8 kernel only
  b.g.add_node("tfl.SIN", "sin1", {e}, {y});
  b.g.outputs = {y};
  const RangeMap ranges{{"x", {-1, 1}}, {"a", {0, 1}}, {"r", {0, 1}}, {"e", {1, 3}}, {"y", {0, 1}}};
  {  // a refused plan leaves the graph as it was: the same graph serves every mode below
    Result<Plan> p = plan_integer(b.g, ranges, IntegerOptions());
    ASSERT_FALSE(p.is_ok());
    const std::string& msg = p.status().message();
    EXPECT_NE(msg.find("no int8 kernel"), std::string::npos) << msg;
    EXPECT_NE(msg.find("tfl.COS (node 'cos1')"), std::string::npos) << msg;
    EXPECT_NE(msg.find("tfl.SIN (node 'sin1')"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("exp1"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("relu1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--fallback-float"), std::string::npos) << msg;
  }
  IntegerOptions o16;
  o16.activations = DType::kInt16;
  Result<Plan> p16 = plan_integer(b.g, ranges, o16);
  ASSERT_FALSE(p16.is_ok());
  const std::string& msg16 = p16.status().message();
  EXPECT_NE(msg16.find("no int16x8 kernel"), std::string::npos) << msg16;
  EXPECT_NE(msg16.find("tfl.EXP (node 'exp1')"), std::string::npos) << msg16;
  EXPECT_NE(msg16.find("cos1"), std::string::npos) << msg16;
  EXPECT_NE(msg16.find("sin1"), std::string::npos) << msg16;

  IntegerOptions fallback;
  fallback.allow_float_fallback = true;
  const Plan p = plan_ok(b.g, ranges, fallback);
  EXPECT_EQ(p.float_nodes, (std::set<std::string>{"cos1", "sin1"}));
  expect_params(p, r, int8({0, 1}));
}

TEST(QuantPlanner, FloatMaxPaddingDoesNotStretchTheSharedScale) {
  // PADV2 with -FLT_MAX (a max pool's padding, lowered): the pad value joins the shared group
  // but stands for -infinity; it saturates to -128 and must not widen the scale.
  Builder b;
  Value* x = b.input("x", {1, 2, 2, 1});
  Value* pads = b.ints("pads", {0, 0, 1, 1, 1, 1, 0, 0}, {4, 2});
  Value* cval = b.floats("cval", {}, {-FLT_MAX});
  Value* padded = b.value("padded", {1, 4, 4, 1});
  Value* y = b.value("y", {1, 2, 2, 1});
  b.node("tfl.PADV2", {x, pads, cval}, {padded});
  b.node("tfl.MAX_POOL_2D", {padded}, {y});
  b.g.outputs = {y};
  const Plan p = plan_ok(b.g, {{"x", {-1, 3}}, {"padded", {-1, 3}}, {"y", {-1, 3}}});
  const QParams want = int8({-1, 3});
  for (const Value* v : {x, padded, y, cval}) expect_params(p, v, want);
  ASSERT_TRUE(apply_plan(b.g, p, IntegerOptions()).is_ok());
  EXPECT_EQ(cval->dtype, DType::kInt8);
  EXPECT_EQ(cval->data->to_int64s(), (std::vector<int64_t>{-128}));
}

}  // namespace
}  // namespace pt2tflite::quant
