// RNN GRU LSTM (src/lower/recurrent.cc): the unrolled lowering run on the reference
// kernels against ONNX's equations written out plainly below, plus what is refused.
#include <cmath>
#include <optional>
#include <set>

#include "exec/interpreter.h"
#include "lower/shape_test_util.h"

namespace pt2tflite::lower {
namespace {

using ir::DType;
using ir::Shape;
using testing::OnnxCase;

std::vector<float> noise(size_t n, uint32_t seed, float scale = 0.5f) {
  std::vector<float> v(n);
  for (auto& f : v) {
    seed = seed * 1664525u + 1013904223u;
    f = scale * (static_cast<float>(seed >> 8) / static_cast<float>(1u << 24) * 2.0f - 1.0f);
  }
  return v;
}

double activate(const std::string& a, double x) {
  if (a == "Sigmoid") return 1.0 / (1.0 + std::exp(-x));
  if (a == "Relu") return x > 0 ? x : 0;
  return std::tanh(x);
}

struct Rnn {
  std::string op = "LSTM";
  int64_t T = 3, B = 2, I = 4, H = 5, D = 1;
  std::string direction = "forward";
  bool batch_first = false, lbr = false, peepholes = false, bias = true;
  bool h0 = false, c0 = false, states_at_run_time = true;
  bool weights_at_run_time = false;  // W R B P graph inputs, as in ONNX's node tests
  std::vector<std::string> acts;  // per direction; empty = ONNX's defaults
  std::vector<int64_t> lens;      // sequence_lens; empty = absent
  bool lens_at_run_time = false;
  double clip = 0;                // bound on the gate activations' inputs; 0 = none
  bool input_forget = false;      // LSTM: f = 1 - i
  bool zero_states = false;       // h0/c0 given as constant zeros (torch's export)
  bool read_y_c = true;           // LSTM: Y_c a graph output (which keeps the unrolled form)

  int64_t G() const { return op == "LSTM" ? 4 : op == "GRU" ? 3 : 1; }
  int64_t x_at(int64_t t, int64_t b, int64_t i) const { return (batch_first ? b * T + t : t * B + b) * I + i; }
  int64_t s_at(int64_t d, int64_t b, int64_t j) const { return (batch_first ? b * D + d : d * B + b) * H + j; }
  int64_t y_at(int64_t t, int64_t d, int64_t b, int64_t j) const {
    return (batch_first ? (b * T + t) * D + d : (t * D + d) * B + b) * H + j;
  }
  std::vector<std::string> act_list() const {
    std::vector<std::string> one = !acts.empty() ? acts
                                   : op == "LSTM" ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
                                   : op == "GRU"  ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                                  : std::vector<std::string>{"Tanh"};
    std::vector<std::string> all;
    for (int64_t d = 0; d < D; ++d) all.insert(all.end(), one.begin(), one.end());
    return all;
  }

  std::vector<float> x = {}, w, r, b, p, h_init, c_init;
  void make_data() {
    D = direction == "bidirectional" ? 2 : 1;
    x = noise(T * B * I, 1, 1.0f);
    w = noise(D * G() * H * I, 2);
    r = noise(D * G() * H * H, 3);
    b = bias ? noise(D * 2 * G() * H, 4) : std::vector<float>{};
    p = peepholes ? noise(D * 3 * H, 5) : std::vector<float>{};
    h_init = h0 && !zero_states ? noise(D * B * H, 6) : std::vector<float>(D * B * H, 0.0f);
    c_init = c0 && !zero_states ? noise(D * B * H, 7) : std::vector<float>(D * B * H, 0.0f);
  }

  // ONNX's equations, step by step in double.
  std::vector<std::vector<float>> reference() const {
    const auto acts_all = act_list();
    const size_t per_dir = acts_all.size() / D;
    std::vector<float> y(T * D * B * H), yh(D * B * H), yc(D * B * H);
    for (int64_t d = 0; d < D; ++d) {
      auto f = [&](size_t k, double v) {
        const bool gate = !(op == "LSTM" && k == 2);  // LSTM's h(C) is not clipped
        if (clip > 0 && gate) v = std::min(clip, std::max(-clip, v));
        return activate(acts_all[d * per_dir + k], v);
      };
      const bool back = direction == "reverse" || d == 1;
      for (int64_t bi = 0; bi < B; ++bi) {
        std::vector<double> h(H), c(H);
        for (int64_t j = 0; j < H; ++j) h[j] = h_init[s_at(d, bi, j)], c[j] = c_init[s_at(d, bi, j)];
        const int64_t len = lens.empty() ? T : lens[bi];  // steps past it: Y stays 0
        for (int64_t k = 0; k < len; ++k) {
          const int64_t t = back ? len - 1 - k : k;
          auto wx = [&](int64_t row) {
            double s = b.empty() ? 0 : b[(d * 2 * G()) * H + row];
            for (int64_t i = 0; i < I; ++i) s += w[(d * G() * H + row) * I + i] * x[x_at(t, bi, i)];
            return s;
          };
          auto rh = [&](int64_t row, const std::vector<double>& hv) {
            double s = b.empty() ? 0 : b[(d * 2 * G() + G()) * H + row];
            for (int64_t i = 0; i < H; ++i) s += r[(d * G() * H + row) * H + i] * hv[i];
            return s;
          };
          std::vector<double> hn(H), cn(H);
          for (int64_t j = 0; j < H; ++j) {
            if (op == "RNN") {
              hn[j] = f(0, wx(j) + rh(j, h));
            } else if (op == "GRU") {
              const double z = f(0, wx(j) + rh(j, h));
              double n;
              if (lbr) {
                const double rg = f(0, wx(H + j) + rh(H + j, h));
                n = f(1, wx(2 * H + j) + rg * rh(2 * H + j, h));
              } else {
                std::vector<double> rhv(H);
                for (int64_t i = 0; i < H; ++i) rhv[i] = f(0, wx(H + i) + rh(H + i, h)) * h[i];
                n = f(1, wx(2 * H + j) + rh(2 * H + j, rhv));
              }
              hn[j] = (1 - z) * n + z * h[j];
            } else {
              auto pe = [&](int64_t k2, double cv) { return p.empty() ? 0.0 : p[d * 3 * H + k2 * H + j] * cv; };
              const double ig = f(0, wx(j) + rh(j, h) + pe(0, c[j]));
              const double fg = input_forget ? 1 - ig : f(0, wx(2 * H + j) + rh(2 * H + j, h) + pe(2, c[j]));
              const double cg = f(1, wx(3 * H + j) + rh(3 * H + j, h));
              cn[j] = fg * c[j] + ig * cg;
              const double og = f(0, wx(H + j) + rh(H + j, h) + pe(1, cn[j]));
              hn[j] = og * f(2, cn[j]);
            }
          }
          h = hn;
          c = cn;
          for (int64_t j = 0; j < H; ++j) y[y_at(t, d, bi, j)] = static_cast<float>(h[j]);
        }
        for (int64_t j = 0; j < H; ++j) {
          yh[s_at(d, bi, j)] = static_cast<float>(h[j]);
          yc[s_at(d, bi, j)] = static_cast<float>(c[j]);
        }
      }
    }
    if (op == "LSTM") return {y, yh, yc};
    return {y, yh};
  }

  // The one-node ONNX graph; states are graph inputs (after X) or constants.
  OnnxCase build(std::map<std::string, ir::Attribute> extra = {}) {
    make_data();
    OnnxCase c;
    const Shape state = batch_first ? Shape{B, D, H} : Shape{D, B, H};
    auto weight = [&](const char* name, Shape shape, const std::vector<float>& v) {
      return weights_at_run_time ? c.input(name, shape) : c.f32(name, shape, v);
    };
    std::vector<ir::Value*> in = {c.input("X", batch_first ? Shape{B, T, I} : Shape{T, B, I}),
                                  weight("W", {D, G() * H, I}, w), weight("R", {D, G() * H, H}, r),
                                  bias ? weight("B", {D, 2 * G() * H}, b) : nullptr,
                                  lens.empty()       ? nullptr
                                  : lens_at_run_time ? c.input("sequence_lens", {B}, DType::kInt32)
                                                     : c.i64("sequence_lens", lens)};
    auto state_input = [&](bool given, const char* name, const std::vector<float>& v) -> ir::Value* {
      if (!given) return nullptr;
      return states_at_run_time ? c.input(name, state) : c.f32(name, state, v);
    };
    in.push_back(state_input(h0, "initial_h", h_init));
    if (op == "LSTM") {
      in.push_back(state_input(c0, "initial_c", c_init));
      in.push_back(peepholes ? weight("P", {D, 3 * H}, p) : nullptr);
    }
    std::map<std::string, ir::Attribute> attrs = {{"hidden_size", H}, {"direction", direction},
                                                  {"layout", int64_t{batch_first}}};
    if (op == "GRU") attrs["linear_before_reset"] = int64_t{lbr};
    if (!acts.empty()) attrs["activations"] = act_list();
    if (clip > 0) attrs["clip"] = clip;
    if (input_forget) attrs["input_forget"] = int64_t{1};
    for (auto& [k, v] : extra) attrs[k] = v;
    c.op(op, in, attrs, 14, op == "LSTM" ? 3 : 2);
    if (op == "LSTM" && !read_y_c) c.b.g.outputs.pop_back();
    return c;
  }

  // Lowers, runs on the reference kernels, compares every output with reference().
  void check(int fused_ops = 0) {
    OnnxCase c = build();
    const Status lowered = c.run();
    ASSERT_TRUE(lowered.is_ok()) << lowered.message();
    EXPECT_EQ(c.count("tfl.UNIDIRECTIONAL_SEQUENCE_LSTM"), fused_ops);
    const std::map<std::string, const std::vector<float>*> data = {
        {"X", &x}, {"W", &w}, {"R", &r}, {"B", &b}, {"P", &p}, {"initial_h", &h_init}, {"initial_c", &c_init}};
    std::vector<ir::Tensor> inputs;
    for (const ir::Value* v : c.b.g.inputs)
      inputs.push_back(v->name == "sequence_lens" ? ir::Tensor::from_int64s(DType::kInt32, v->shape, lens)
                                                  : ir::Tensor::from_floats(v->shape, *data.at(v->name)));
    auto interp = exec::Interpreter::create(c.b.g);
    ASSERT_TRUE(interp.is_ok()) << interp.status().message();
    ASSERT_TRUE(interp.value().run(inputs).is_ok());
    const auto want = reference();
    for (size_t o = 0; o < c.b.g.outputs.size(); ++o) {
      const std::vector<float> got = interp.value().value(c.out(o)).to_floats();
      ASSERT_EQ(got.size(), want[o].size()) << "output " << o;
      for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[o][i], 1e-5) << "output " << o << " at " << i;
    }
  }
};

TEST(Recurrent, LstmForwardMatchesEquations) {
  Rnn r;
  r.check();
}

// The fused UNIDIRECTIONAL_SEQUENCE_LSTM (recurrent_fused.cc) on the reference kernel, when
// Y_c is not read, against the same equations.
TEST(Recurrent, FusedLstmForward) {
  Rnn r;
  r.read_y_c = false;
  r.check(1);
}

TEST(Recurrent, FusedLstmBidirectionalBatchFirstPeepholesZeroStates) {
  Rnn r;
  r.read_y_c = false;
  r.direction = "bidirectional";
  r.batch_first = true;
  r.B = 3;
  r.peepholes = r.h0 = r.c0 = r.zero_states = true;
  r.states_at_run_time = false;
  r.check(2);
}

TEST(Recurrent, FusedLstmReverseTimeMajorNoBias) {
  Rnn r;
  r.read_y_c = false;
  r.direction = "reverse";
  r.bias = false;
  r.T = 4;
  r.check(1);
}

TEST(Recurrent, FusedLstmStateTensorsAreVariablesZeroedByFill) {
  Rnn r;
  r.read_y_c = false;
  OnnxCase c = r.build();
  ASSERT_TRUE(c.run().is_ok());
  const ir::Node* lstm = c.find("tfl.UNIDIRECTIONAL_SEQUENCE_LSTM");
  ASSERT_NE(lstm, nullptr);
  ASSERT_EQ(lstm->inputs.size(), 24u);
  for (size_t i : {size_t{18}, size_t{19}}) {
    const ir::Value* state = lstm->inputs[i];
    ASSERT_NE(state, nullptr);
    EXPECT_TRUE(state->is_variable);
    int fills = 0;
    for (const auto& n : c.b.g.nodes())
      if (n->op == "tfl.FILL" && n->outputs[0] == state) ++fills;
    EXPECT_EQ(fills, 1) << "state input " << i;
  }
  EXPECT_EQ(lstm->get_int("time_major", 0), 1);
}

TEST(Recurrent, FusedLstmOnlyWhereExact) {
  auto fused = [](Rnn r, bool option = true) {
    r.read_y_c = false;
    OnnxCase c = r.build();
    Status s = c.infer();
    if (s.is_ok()) {
      LowerOptions o;
      o.fused_lstm = option;
      s = lower_graph(c.b.g, o);
    }
    EXPECT_TRUE(s.is_ok()) << s.message();
    return c.count("tfl.UNIDIRECTIONAL_SEQUENCE_LSTM");
  };
  Rnn plain;
  EXPECT_EQ(fused(plain), 1);
  EXPECT_EQ(fused(plain, false), 0);  // --lstm unrolled, int8, int16x8
  Rnn y_c = plain;
  y_c.read_y_c = true;
  OnnxCase with_y_c = y_c.build();
  ASSERT_TRUE(with_y_c.run().is_ok());
  EXPECT_EQ(with_y_c.count("tfl.UNIDIRECTIONAL_SEQUENCE_LSTM"), 0);  // the op has no cell-state output
  Rnn clip = plain;
  clip.clip = 0.5;  // TFLite's cell_clip clamps the state, ONNX's clip the gate inputs
  EXPECT_EQ(fused(clip), 0);
  Rnn coupled = plain;
  coupled.input_forget = true;  // TFLite's CIFG is i = 1 - f, ONNX's f = 1 - i
  EXPECT_EQ(fused(coupled), 0);
  Rnn states = plain;
  states.h0 = states.c0 = true;  // run-time initial states
  EXPECT_EQ(fused(states), 0);
  Rnn lens = plain;
  lens.lens = {3, 1};
  EXPECT_EQ(fused(lens), 0);
  Rnn full_lens = plain;
  full_lens.lens = {3, 3};
  EXPECT_EQ(fused(full_lens), 1);
  Rnn relu = plain;
  relu.acts = {"Sigmoid", "Relu", "Tanh"};
  EXPECT_EQ(fused(relu), 0);
  Rnn live = plain;
  live.weights_at_run_time = true;
  EXPECT_EQ(fused(live), 0);
}

TEST(Recurrent, LstmZeroStateSkipsFirstRecurrentProduct) {
  Rnn r;
  OnnxCase c = r.build();
  ASSERT_TRUE(c.run().is_ok());
  EXPECT_EQ(c.count("tfl.FULLY_CONNECTED"), 1 + (r.T - 1));  // input projection + steps 2..T
  EXPECT_EQ(c.count("tfl.TRANSPOSE"), 0);
  EXPECT_EQ(c.out(0)->shape, (Shape{3, 1, 2, 5}));
}

TEST(Recurrent, StepsShareOneCopyOfTheWeights) {
  Rnn r;
  r.T = 6;
  OnnxCase c = r.build();
  ASSERT_TRUE(c.run().is_ok());
  std::set<const ir::Value*> weights;
  for (const auto& n : c.b.g.nodes())
    if (n->op == "tfl.FULLY_CONNECTED") weights.insert(n->inputs[1]);
  EXPECT_EQ(weights.size(), 2u);  // W for the projection, R for every step
}

TEST(Recurrent, LstmBidirectionalBatchFirstPeepholesRunTimeStates) {
  Rnn r;
  r.direction = "bidirectional";
  r.batch_first = true;
  r.peepholes = r.h0 = r.c0 = true;
  r.check();
}

TEST(Recurrent, LstmReverseConstantStates) {
  Rnn r;
  r.direction = "reverse";
  r.h0 = r.c0 = true;
  r.states_at_run_time = false;
  r.T = 4;
  r.check();
}

TEST(Recurrent, LstmBidirectionalTimeMajorEndsInOneTranspose) {
  Rnn r;
  r.direction = "bidirectional";
  r.check();
  OnnxCase c = r.build();
  ASSERT_TRUE(c.run().is_ok());
  // [T,B,2,H] → ONNX's [T,2,B,H]; torch transposes back right after, and the two cancel.
  EXPECT_EQ(c.count("tfl.TRANSPOSE"), 1);
}

TEST(Recurrent, LstmBatchFirstWithSeveralRowsSplitsAlongTime) {
  Rnn r;
  r.batch_first = true;
  r.B = 3;
  r.bias = false;
  r.check();
}

TEST(Recurrent, GruLinearBeforeResetBidirectional) {
  Rnn r;
  r.op = "GRU";
  r.lbr = true;
  r.direction = "bidirectional";
  r.h0 = true;
  r.check();
}

TEST(Recurrent, GruLinearBeforeResetZeroStateKeepsRecurrentBias) {
  Rnn r;
  r.op = "GRU";
  r.lbr = true;
  r.check();
}

TEST(Recurrent, GruResetBeforeLinear) {
  Rnn r;
  r.op = "GRU";
  r.direction = "reverse";
  r.batch_first = true;
  r.h0 = true;
  r.check();
  Rnn z;
  z.op = "GRU";
  z.check();
}

TEST(Recurrent, RnnTanhAndRelu) {
  Rnn r;
  r.op = "RNN";
  r.direction = "bidirectional";
  r.h0 = true;
  r.check();
  Rnn relu;
  relu.op = "RNN";
  relu.acts = {"Relu"};
  relu.T = 1;
  relu.check();
}

TEST(Recurrent, GruCustomActivations) {
  Rnn r;
  r.op = "GRU";
  r.acts = {"Relu", "Sigmoid"};
  r.h0 = true;
  r.check();
}

TEST(Recurrent, InputForgetCouplesTheGates) {
  Rnn r;
  r.input_forget = r.peepholes = r.h0 = r.c0 = true;
  r.check();
}

TEST(Recurrent, ClipBoundsGateInputs) {
  for (const std::string op : {"LSTM", "GRU", "RNN"}) {
    Rnn r;
    r.op = op;
    r.clip = 0.3;
    r.h0 = r.c0 = true;
    r.check();
  }
}

Status lower_with(const std::map<std::string, ir::Attribute>& attrs, const std::string& op = "LSTM") {
  Rnn r;
  r.op = op;
  OnnxCase c = r.build(attrs);
  return c.run();
}

TEST(Recurrent, RefusesWhatItCannotExpress) {
  for (const auto& [attrs, words] : std::vector<std::pair<std::map<std::string, ir::Attribute>, std::string>>{
           {{{"activations", std::vector<std::string>{"HardSigmoid", "Tanh", "Tanh"}}}, "HardSigmoid"}}) {
    const Status s = lower_with(attrs);
    ASSERT_FALSE(s.is_ok()) << words;
    EXPECT_EQ(s.kind(), ErrorKind::kUnsupported) << words;
    EXPECT_NE(s.message().find(words), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("onnx.LSTM"), std::string::npos) << s.message();
  }
}

TEST(Recurrent, SequenceLensMaskStepsPastEachRow) {
  for (const std::string op : {"LSTM", "GRU", "RNN"}) {
    Rnn r;
    r.op = op;
    r.T = 4;
    r.B = 3;
    r.lens = {4, 2, 1};
    r.direction = "bidirectional";
    r.h0 = r.c0 = true;
    r.check();
  }
  Rnn rev;
  rev.direction = "reverse";
  rev.lens = {1, 3};
  rev.batch_first = true;
  rev.check();
}

TEST(Recurrent, SequenceLensAtRunTime) {
  for (const std::string op : {"LSTM", "GRU"}) {
    Rnn r;
    r.op = op;
    r.T = 4;
    r.B = 3;
    r.lens = {2, 4, 1};
    r.lens_at_run_time = true;
    r.direction = "bidirectional";
    r.h0 = true;
    r.check();
  }
}

TEST(Recurrent, SequenceLensOutsideTheSequenceRefused) {
  for (const std::vector<int64_t>& lens : {std::vector<int64_t>{0, 3}, std::vector<int64_t>{3, 4}}) {
    Rnn r;
    r.op = "GRU";
    r.lens = lens;
    const Status s = r.build().run();
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.message().find("sequence_lens"), std::string::npos) << s.message();
  }
  Rnn full;  // lengths equal to T need no masks
  full.lens = {3, 3};
  OnnxCase c = full.build();
  ASSERT_TRUE(c.run().is_ok());
  EXPECT_EQ(c.count("tfl.MUL"), 2 * 3 + 2);  // i·c~, o·h(c) per step, f·c on steps 2 and 3
}

TEST(Recurrent, RunTimeWeightsAreSlicedPerDirection) {
  for (const std::string op : {"LSTM", "GRU", "RNN"}) {
    Rnn r;
    r.op = op;
    r.weights_at_run_time = true;
    r.direction = "bidirectional";
    r.peepholes = r.h0 = true;
    r.check();
  }
  Rnn gru;  // (the loop's GRU takes R apart into Rz|Rr and Rh) linear_before_reset joins [0, 0, Rbh]
  gru.op = "GRU";
  gru.lbr = true;
  gru.weights_at_run_time = true;
  gru.check();
}

TEST(Recurrent, InfersShapesForBothLayouts) {
  Rnn r;
  r.op = "GRU";
  r.direction = "bidirectional";
  r.batch_first = true;
  OnnxCase c = r.build();
  ASSERT_TRUE(c.infer().is_ok());
  EXPECT_EQ(c.out(0)->shape, (Shape{2, 3, 2, 5}));
  EXPECT_EQ(c.out(1)->shape, (Shape{2, 2, 5}));
  Rnn bad;
  OnnxCase c2 = bad.build({{"hidden_size", int64_t{7}}});
  EXPECT_EQ(c2.infer().kind(), ErrorKind::kInvalidModel);
}

}  // namespace
}  // namespace pt2tflite::lower
