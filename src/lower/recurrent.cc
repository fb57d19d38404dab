// Recurrent ops RNN, GRU, LSTM (forward, reverse, bidirectional; layout 0 [T,B,…] and
// 1 [B,T,…]), unrolled over the static sequence length — except LSTM where TFLite's fused
// UNIDIRECTIONAL_SEQUENCE_LSTM is exact and the options allow it (recurrent_fused.cc; --lstm
// unrolled and the int8/int16x8 modes keep this file's form).
//
// Why unrolled rather than TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM/RNN builtins: there is no GRU
// builtin anyway, and the plain ops (FULLY_CONNECTED, ADD, MUL, SUB, LOGISTIC, TANH, SPLIT,
// PACK, CONCATENATION, RESHAPE) run everywhere — LiteRT, TFLite Micro, Vela — quantize like
// any other FC/ADD/MUL/LOGISTIC/TANH (no LSTM-specific int8/int16 rules), reproduce ONNX's equations exactly
// (peepholes, GRU's linear_before_reset, either gate order) and need no new exec kernels or
// schema options. The price is graph size: about a dozen ops per step and direction, fine
// for the short sequences of on-device models.
//
// Per direction d:
//   xw   = FULLY_CONNECTED(X, W[d], Wb[d] + the recurrent biases that add unconditionally)
//          once for all steps, then SPLIT into one [B, G·H] row block per step;
//   step = gates = xw_t + FULLY_CONNECTED(H_prev, R[d]); SPLIT per gate; activations; update.
// A zero initial state (absent, or a constant of zeros, which is how torch exports it)
// skips the first step's recurrent product. Reverse directions walk the steps backwards.
// Y: for bidirectional ops the directions' states are concatenated per step ([B, 2H]),
// PACKed along time and reshaped to [T,B,2,H], then transposed to ONNX's [T,2,B,H]: torch
// follows Y with the inverse transpose (to [T,B,2·H]), so the two cancel.
//
// sequence_lens shorter than the sequence mask the steps past a row's end with [B,1]
// masks (constants, or compared at run time when the lengths are an input): Y is 0 there
// and the state carries over unchanged, which also makes a reverse direction start at each
// row's own last element.
//
// clip bounds the inputs of the gate activations (f, g), not LSTM's output activation h(C):
// that is what onnxruntime computes (checked in tests/e2e/test_recurrent_onnx.py).
//
// Weights fed at run time (as ONNX's node tests do) are sliced per direction by SLICE ops;
// constant ones, the normal case, become constants shared by all steps.
//
// input_forget=1 couples the gates as f = 1 − i (onnxruntime's reading, checked against it).
//
// Refused (NODE_UNSUPPORTED_IF): activations other than Sigmoid/Tanh/Relu, constant
// sequence_lens outside 1..T, non-float32 data.
#include <algorithm>
#include <map>

#include "lower/context.h"
#include "lower/recurrent_fused.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

enum class Cell { kRnn, kGru, kLstm };

struct Spec {
  Cell cell = Cell::kRnn;
  int64_t gates = 1;  // rows of W per hidden unit: RNN 1, GRU 3 (z r h), LSTM 4 (i o f c)
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, dirs = 1;
  bool batch_first = false;  // layout = 1
  bool reverse_only = false;
};

Cell cell_of(const Node& n) {
  if (n.op == "onnx.LSTM") return Cell::kLstm;
  if (n.op == "onnx.GRU") return Cell::kGru;
  return Cell::kRnn;
}

// Activation functions per direction, ONNX's defaults when the attribute is absent.
std::vector<std::string> default_activations(Cell c) {
  if (c == Cell::kLstm) return {"Sigmoid", "Tanh", "Tanh"};
  if (c == Cell::kGru) return {"Sigmoid", "Tanh"};
  return {"Tanh"};
}

const std::map<std::string, std::string>& tfl_activation() {
  static const std::map<std::string, std::string> m = {
      {"Sigmoid", "tfl.LOGISTIC"}, {"Tanh", "tfl.TANH"}, {"Relu", "tfl.RELU"}};
  return m;
}

Result<Spec> spec_of(const Node& n) {
  Spec s;
  s.cell = cell_of(n);
  s.gates = s.cell == Cell::kLstm ? 4 : s.cell == Cell::kGru ? 3 : 1;
  NODE_CHECK(n, n.input(0) && n.input(1) && n.input(2), "needs X, W and R");
  const Shape &x = n.inputs[0]->shape, &w = n.inputs[1]->shape, &r = n.inputs[2]->shape;
  NODE_CHECK(n, x.size() == 3, "X must be 3-D, got " + ir::shape_to_string(x));
  NODE_CHECK(n, w.size() == 3 && r.size() == 3, "W and R must be 3-D");
  s.batch_first = n.get_int("layout", 0) != 0;
  s.seq = x[s.batch_first ? 1 : 0];
  s.batch = x[s.batch_first ? 0 : 1];
  s.input = x[2];
  const std::string dir = n.get_string("direction", "forward");
  NODE_CHECK(n, dir == "forward" || dir == "reverse" || dir == "bidirectional", "unknown direction '" + dir + "'");
  s.dirs = dir == "bidirectional" ? 2 : 1;
  s.reverse_only = dir == "reverse";
  s.hidden = n.get_int("hidden_size", r[2]);
  const int64_t gh = s.gates * s.hidden;
  NODE_CHECK(n, w == (Shape{s.dirs, gh, s.input}),
             "W " + ir::shape_to_string(w) + " does not match X, direction and hidden_size");
  NODE_CHECK(n, r == (Shape{s.dirs, gh, s.hidden}), "R " + ir::shape_to_string(r) + " does not match hidden_size");
  if (const Value* b = n.input(3))
    NODE_CHECK(n, b->shape == (Shape{s.dirs, 2 * gh}), "B must be [num_directions, 2*gates*hidden]");
  const Shape state = s.batch_first ? Shape{s.batch, s.dirs, s.hidden} : Shape{s.dirs, s.batch, s.hidden};
  for (size_t i : {size_t{5}, size_t{6}})
    if (const Value* v = n.input(i); v && (i == 5 || s.cell == Cell::kLstm))
      NODE_CHECK(n, v->shape == state,
                 "initial state " + ir::shape_to_string(v->shape) + " should be " + ir::shape_to_string(state));
  if (s.cell == Cell::kLstm)
    if (const Value* p = n.input(7))
      NODE_CHECK(n, p->shape == (Shape{s.dirs, 3 * s.hidden}), "P must be [num_directions, 3*hidden]");
  return s;
}

Status infer_recurrent(Node& n) {
  PT_ASSIGN_OR_RETURN(const Spec s, spec_of(n));
  const size_t max_outputs = s.cell == Cell::kLstm ? 3 : 2;
  NODE_CHECK(n, n.outputs.size() <= max_outputs, "too many outputs");
  const DType t = n.inputs[0]->dtype;
  set_output(n, 0, t, s.batch_first ? Shape{s.batch, s.seq, s.dirs, s.hidden} : Shape{s.seq, s.dirs, s.batch, s.hidden});
  const Shape state = s.batch_first ? Shape{s.batch, s.dirs, s.hidden} : Shape{s.dirs, s.batch, s.hidden};
  set_output(n, 1, t, state);
  set_output(n, 2, t, state);
  return Status::ok();
}

// Rows [begin, begin + count) of direction d of a constant [D, rows, cols] (a [D, n] bias
// or peephole vector with cols = 1), as a float vector.
std::vector<float> rows_of(const Tensor& t, int64_t d, int64_t begin, int64_t count, int64_t cols) {
  const std::vector<float> v = t.to_floats();
  const int64_t per_dir = t.size() / t.shape[0];
  const auto first = v.begin() + d * per_dir + begin * cols;
  return std::vector<float>(first, first + count * cols);
}

bool all_zero(const Value* v) {
  if (!v || !v->is_const()) return false;
  for (float f : v->data->to_floats())
    if (f != 0.0f) return false;
  return true;
}

// Emits the tfl ops of one ONNX recurrent node.
class Unroller {
 public:
  Unroller(LowerContext& ctx, const Node& n, const Spec& s) : ctx_(ctx), n_(n), s_(s) {}

  Status run() {
    PT_RETURN_IF_ERROR(check());
    hs_.assign(s_.dirs, std::vector<Value*>(s_.seq, nullptr));
    for (int64_t d = 0; d < s_.dirs; ++d) PT_RETURN_IF_ERROR(direction(d));
    write_outputs();
    return Status::ok();
  }

 private:
  Status check() {
    const Node& n = n_;
    NODE_UNSUPPORTED_IF(n, n.inputs[0]->dtype != DType::kFloat32, "only float32 recurrent ops are supported");
    clip_ = static_cast<float>(n.get_float("clip", 0.0));
    NODE_CHECK(n, !n.has("clip") || clip_ > 0, "clip must be positive");
    NODE_UNSUPPORTED_IF(n, s_.seq < 1, "the sequence is empty");
    if (Value* lens = n.input(4); lens && !lens->is_const()) {
      NODE_CHECK(n, lens->shape == Shape{s_.batch}, "sequence_lens must hold one length per batch row");
      live_lens_ = lens;
    } else if (lens) {
      NODE_CHECK(n, lens->data->size() == s_.batch, "sequence_lens must hold one length per batch row");
      lens_ = lens->data->to_int64s();
      for (int64_t len : lens_)
        NODE_UNSUPPORTED_IF(n, len < 1 || len > s_.seq,
                            "sequence_lens " + std::to_string(len) + " is outside 1.." + std::to_string(s_.seq));
      if (std::all_of(lens_.begin(), lens_.end(), [&](int64_t len) { return len == s_.seq; })) lens_.clear();
    }
    const auto defaults = default_activations(s_.cell);
    acts_.clear();
    if (auto it = n.attrs.find("activations"); it != n.attrs.end())
      if (const auto* names = std::get_if<std::vector<std::string>>(&it->second)) acts_ = *names;
    if (acts_.empty())
      for (int64_t d = 0; d < s_.dirs; ++d) acts_.insert(acts_.end(), defaults.begin(), defaults.end());
    if (acts_.size() == defaults.size() && s_.dirs == 2) acts_.insert(acts_.end(), defaults.begin(), defaults.end());
    NODE_CHECK(n, acts_.size() == defaults.size() * static_cast<size_t>(s_.dirs),
               "needs " + std::to_string(defaults.size()) + " activations per direction");
    for (const std::string& a : acts_)
      NODE_UNSUPPORTED_IF(n, !tfl_activation().count(a),
                          "activation '" + a + "' is not supported (Sigmoid, Tanh, Relu are)");
    return Status::ok();
  }

  const std::string& act(int64_t d, size_t k) const { return acts_[d * default_activations(s_.cell).size() + k]; }

  std::string tag(int64_t d, int64_t t, const std::string& what) const {
    return "d" + std::to_string(d) + "_t" + std::to_string(t) + "_" + what;
  }

  Value* temp(const std::string& suffix, Shape shape) { return ctx_.temp(n_, DType::kFloat32, std::move(shape), suffix); }
  Shape bh(int64_t width = -1) const { return {s_.batch, width < 0 ? s_.hidden : width}; }

  Value* binary(const char* op, Value* a, Value* b, const std::string& suffix) {
    Value* y = temp(suffix, a->shape.size() >= b->shape.size() ? a->shape : b->shape);
    ctx_.emit(op, n_, {a, b}, {y});
    return y;
  }
  // f(x); with the clip attribute, f(clamp(x, -clip, clip)) for the gates (`clipped`).
  Value* activation(const std::string& onnx_name, Value* x, const std::string& suffix, bool clipped = true) {
    if (clip_ > 0 && clipped) {
      if (!clip_hi_) {
        clip_hi_ = ctx_.constant(n_, "clip_hi", Tensor::from_floats({}, {clip_}));
        clip_lo_ = ctx_.constant(n_, "clip_lo", Tensor::from_floats({}, {-clip_}));
      }
      x = binary("tfl.MINIMUM", binary("tfl.MAXIMUM", x, clip_lo_, suffix + "_clip_lo"), clip_hi_, suffix + "_clipped");
    }
    Value* y = temp(suffix, x->shape);
    ctx_.emit(tfl_activation().at(onnx_name), n_, {x}, {y});
    return y;
  }
  std::vector<Value*> split(Value* x, int64_t parts, const std::string& suffix) {
    std::vector<Value*> outs;
    for (int64_t k = 0; k < parts; ++k) outs.push_back(temp(suffix + std::to_string(k), bh()));
    ctx_.emit("tfl.SPLIT", n_, {ctx_.constant(n_, "axis", Tensor::from_int64s(DType::kInt32, {}, {1})), x}, outs)
        ->attrs["num_splits"] = parts;
    return outs;
  }
  // One constant per key, shared by every step that uses it (the writer stores each
  // constant value separately: a per-step copy of R would multiply the model size by T).
  Value* shared(const std::string& key, Shape shape, const std::vector<float>& v) {
    Value*& c = shared_[key];
    if (!c) c = ctx_.constant(n_, key, Tensor::from_floats(std::move(shape), v));
    return c;
  }
  Value* zeros(int64_t n) { return shared("zeros" + std::to_string(n), {n}, std::vector<float>(n, 0.0f)); }
  // FULLY_CONNECTED(x, weights [rows, cols], bias [rows]) into a new [.., rows] value.
  Value* fc(Value* x, Value* weights, Value* bias, Shape out_shape, const std::string& suffix) {
    Value* y = temp(suffix, std::move(out_shape));
    Node* f = ctx_.emit("tfl.FULLY_CONNECTED", n_, {x, weights, bias}, {y});
    if (y->shape.size() > 2) f->attrs["keep_num_dims"] = int64_t{1};
    return y;
  }

  // Rows [begin, begin + count) of direction d of a weight input (W, R: [D, rows, cols]; B, P:
  // [D, n]) as [count, cols] or [count]: a constant shared by all steps when the input is
  // constant, else one SLICE + RESHAPE at run time (the ONNX node tests feed weights as
  // graph inputs). An absent B or P reads as zeros.
  Value* param(size_t input, int64_t d, int64_t begin, int64_t count) {
    Value* v = n_.input(input);
    if (!v) return zeros(count);
    const bool matrix = v->shape.size() == 3;
    const int64_t cols = matrix ? v->shape[2] : 1;
    const Shape shape = matrix ? Shape{count, cols} : Shape{count};
    const std::string key = "d" + std::to_string(d) + "_in" + std::to_string(input) + "_" + std::to_string(begin) + "_" +
                            std::to_string(count);
    if (v->is_const()) return shared(key, shape, rows_of(*v->data, d, begin, count, cols));
    Value*& piece = shared_[key];
    if (!piece) {
      const std::vector<int64_t> at = matrix ? std::vector<int64_t>{d, begin, 0} : std::vector<int64_t>{d, begin};
      const std::vector<int64_t> size = matrix ? std::vector<int64_t>{1, count, cols} : std::vector<int64_t>{1, count};
      Value* sliced = temp(key + "_slice", Shape(size.begin(), size.end()));
      ctx_.emit("tfl.SLICE", n_, {v, ctx_.const_int32(n_, "begin", at), ctx_.const_int32(n_, "size", size)}, {sliced});
      piece = ctx_.reshape(n_, sliced, shape);
    }
    return piece;
  }
  // a + b of two [n] vectors, folded when both are constant.
  Value* sum(Value* a, Value* b, const std::string& key) {
    if (all_zero(b)) return a;
    if (all_zero(a)) return b;
    if (!a->is_const() || !b->is_const()) return binary("tfl.ADD", a, b, key);
    std::vector<float> v = a->data->to_floats();
    const std::vector<float> w = b->data->to_floats();
    for (size_t i = 0; i < v.size(); ++i) v[i] += w[i];
    return shared(key, a->shape, v);
  }
  // [n] vectors joined, folded when all are constant.
  Value* join(const std::vector<Value*>& parts, const std::string& key) {
    std::vector<float> v;
    bool all_const = true;
    for (Value* p : parts) {
      all_const = all_const && p->is_const();
      if (p->is_const()) for (float f : p->data->to_floats()) v.push_back(f);
    }
    int64_t n = 0;
    for (Value* p : parts) n += p->shape[0];
    if (all_const) return shared(key, {n}, v);
    Value* y = temp(key, {n});
    ctx_.emit("tfl.CONCATENATION", n_, parts, {y})->attrs["axis"] = int64_t{0};
    return y;
  }

  // Direction d's weights as the steps use them.
  struct Weights {
    Value* r = nullptr;         // R [G·H, H] (GRU without linear_before_reset: Rz|Rr [2H, H])
    Value* r_bias = nullptr;    // bias of the recurrent product: 0, or [0, 0, Rbh] (GRU, lbr)
    Value* rh = nullptr;        // GRU without linear_before_reset: Rh [H, H]
    Value* rbh = nullptr;       // GRU, lbr: Rbh [H] (the recurrent product of a zero state)
    Value* peep[3] = {};        // LSTM peepholes Pi Po Pf [H], nullptr when absent
  };

  Weights weights(int64_t d) {
    const int64_t gh = s_.gates * s_.hidden, hid = s_.hidden;
    const std::string dn = "d" + std::to_string(d);
    Weights w;
    if (s_.cell == Cell::kGru && !lbr_) {
      w.r = param(2, d, 0, 2 * hid);
      w.rh = param(2, d, 2 * hid, hid);
    } else {
      w.r = param(2, d, 0, gh);
    }
    w.r_bias = zeros(gh);
    if (s_.cell == Cell::kGru && lbr_) {
      w.rbh = param(3, d, gh + 2 * hid, hid);
      w.r_bias = join({zeros(2 * hid), w.rbh}, dn + "_R_bias");
    }
    if (s_.cell == Cell::kLstm && n_.input(7))
      for (int64_t k = 0; k < 3; ++k) w.peep[k] = param(7, d, k * hid, hid);
    return w;
  }

  // The input projection of all steps, split into one [B, G·H] value per time index.
  std::vector<Value*> project_input(int64_t d) {
    const int64_t gh = s_.gates * s_.hidden, hid = s_.hidden;
    const std::string dn = "d" + std::to_string(d);
    // Recurrent biases add unconditionally, except GRU's h-gate one with linear_before_reset
    // (it is multiplied by r) — that one stays with the recurrent product.
    Value* b = s_.cell == Cell::kGru && lbr_
                   ? join({sum(param(3, d, 0, 2 * hid), param(3, d, gh, 2 * hid), dn + "_bias_zr"),
                           param(3, d, 2 * hid, hid)},
                          dn + "_bias")
                   : sum(param(3, d, 0, gh), param(3, d, gh, gh), dn + "_bias");
    Value* w = param(1, d, 0, gh);
    Value* x = n_.inputs[0];
    std::vector<Value*> steps;
    // Time-major rows (layout 0, or one batch row / one step): the flattening FC already
    // yields [T·B, G·H] with step t in rows t·B … t·B+B-1.
    if (!s_.batch_first || s_.batch == 1 || s_.seq == 1) {
      Value* xw = fc(x, w, b, {s_.seq * s_.batch, gh}, dn + "_xw");
      if (s_.seq == 1) return {xw};
      for (int64_t t = 0; t < s_.seq; ++t) steps.push_back(temp(tag(d, t, "xw"), bh(gh)));
      ctx_.emit("tfl.SPLIT", n_, {ctx_.constant(n_, "axis", Tensor::from_int64s(DType::kInt32, {}, {0})), xw}, steps)
          ->attrs["num_splits"] = s_.seq;
      return steps;
    }
    // Batch-major: project keeping [B, T, G·H], split along time, drop the unit axis.
    Value* xw = fc(x, w, b, {s_.batch, s_.seq, gh}, dn + "_xw");
    std::vector<Value*> pieces;
    for (int64_t t = 0; t < s_.seq; ++t) pieces.push_back(temp(tag(d, t, "xw3"), {s_.batch, 1, gh}));
    ctx_.emit("tfl.SPLIT", n_, {ctx_.constant(n_, "axis", Tensor::from_int64s(DType::kInt32, {}, {1})), xw}, pieces)
        ->attrs["num_splits"] = s_.seq;
    for (int64_t t = 0; t < s_.seq; ++t) steps.push_back(ctx_.reshape(n_, pieces[t], bh(gh)));
    return steps;
  }

  // Direction d's slice [B, H] of an initial state input (nullptr when it is zero).
  Value* initial_state(size_t input, int64_t d) {
    Value* v = n_.input(input);
    if (!v || all_zero(v)) return nullptr;
    const int64_t axis = s_.batch_first ? 1 : 0;
    if (v->is_const()) {
      // Direction d of [D,B,H] or [B,D,H], as [B,H].
      const std::vector<float> all = v->data->to_floats();
      std::vector<float> out;
      for (int64_t b = 0; b < s_.batch; ++b) {
        const int64_t row = axis == 0 ? d * s_.batch + b : b * s_.dirs + d;
        out.insert(out.end(), all.begin() + row * s_.hidden, all.begin() + (row + 1) * s_.hidden);
      }
      return ctx_.constant(n_, "initial_state", Tensor::from_floats(bh(), out));
    }
    Value* piece = v;
    if (s_.dirs == 2) {
      std::vector<Value*>& parts = state_parts_[input];
      if (parts.empty()) {
        Shape one = v->shape;
        one[axis] = 1;
        parts = {temp("initial_state0", one), temp("initial_state1", one)};
        ctx_.emit("tfl.SPLIT", n_, {ctx_.constant(n_, "axis", Tensor::from_int64s(DType::kInt32, {}, {axis})), v}, parts)
            ->attrs["num_splits"] = int64_t{2};
      }
      piece = parts[d];
    }
    return ctx_.reshape(n_, piece, bh());
  }

  Status direction(int64_t d) {
    lbr_ = n_.get_int("linear_before_reset", 0) != 0;
    const std::vector<Value*> xw = project_input(d);
    const int64_t gh = s_.gates * s_.hidden;
    const Weights w = weights(d);
    Value* h = initial_state(5, d);
    Value* c = s_.cell == Cell::kLstm ? initial_state(6, d) : nullptr;
    const bool backwards = s_.reverse_only || d == 1;
    for (int64_t k = 0; k < s_.seq; ++k) {
      const int64_t t = backwards ? s_.seq - 1 - k : k;
      Value *h_prev = h, *c_prev = c;
      if (s_.cell == Cell::kRnn) {
        Value* pre = h ? binary("tfl.ADD", xw[t], fc(h, w.r, w.r_bias, bh(gh), tag(d, t, "rec")),
                                tag(d, t, "pre"))
                       : xw[t];
        h = activation(act(d, 0), pre, tag(d, t, "h"));
      } else if (s_.cell == Cell::kGru) {
        h = gru_step(d, t, xw[t], h, w);
      } else {
        lstm_step(d, t, xw[t], &h, &c, w);
      }
      hs_[d][t] = h;
      if (Value* valid = step_mask(t, false)) {
        // Rows past their length: Y is 0 and the state stays as it was (in reverse, the
        // initial state until the row's last element is reached).
        Value* invalid = step_mask(t, true);
        hs_[d][t] = binary("tfl.MUL", h, valid, tag(d, t, "y_masked"));
        h = keep_where(hs_[d][t], h_prev, invalid, tag(d, t, "h_masked"));
        if (c)
          c = keep_where(binary("tfl.MUL", c, valid, tag(d, t, "c_valid")), c_prev, invalid, tag(d, t, "c_masked"));
      }
    }
    last_h_.push_back(h);
    last_c_.push_back(c);
    return Status::ok();
  }

  // [B, 1] of 1 where step t is inside the row's sequence_lens (0 where not), or its
  // complement; nullptr when every row includes step t.
  Value* step_mask(int64_t t, bool complement) {
    if (live_lens_) {  // compared at run time: t < lens (or lens <= t), as floats
      Value*& m = shared_[(complement ? "invalid_t" : "valid_t") + std::to_string(t)];
      if (!m) {
        Value* lens = ctx_.cast(n_, live_lens_, DType::kInt32);
        Value* at = ctx_.const_int32(n_, "t", {t});
        Value* cmp = ctx_.temp(n_, DType::kBool, {s_.batch}, tag(2, t, "in_seq"));
        if (complement)
          ctx_.emit("tfl.LESS_EQUAL", n_, {lens, at}, {cmp});
        else
          ctx_.emit("tfl.LESS", n_, {at, lens}, {cmp});
        m = ctx_.reshape(n_, ctx_.cast(n_, cmp, DType::kFloat32), {s_.batch, 1});
      }
      return m;
    }
    if (lens_.empty() || std::all_of(lens_.begin(), lens_.end(), [&](int64_t len) { return t < len; })) return nullptr;
    std::vector<float> m;
    for (int64_t len : lens_) m.push_back((t < len) != complement ? 1.0f : 0.0f);
    return shared((complement ? "invalid_t" : "valid_t") + std::to_string(t), {s_.batch, 1}, m);
  }
  // masked_new + prev·invalid (prev nullptr: zero).
  Value* keep_where(Value* masked_new, Value* prev, Value* invalid, const std::string& suffix) {
    if (!prev) return masked_new;
    return binary("tfl.ADD", masked_new, binary("tfl.MUL", prev, invalid, suffix + "_kept"), suffix);
  }

  // z = f(xz + Rz·h), r = f(xr + Rr·h), n = g(xh + Rh·(r⊙h))  or, linear_before_reset,
  // g(xh + r⊙(Rh·h + Rbh));  h' = n + z⊙(h − n)  (= (1−z)⊙n + z⊙h).
  Value* gru_step(int64_t d, int64_t t, Value* xw, Value* h, const Weights& w) {
    const int64_t hid = s_.hidden;
    const std::vector<Value*> x = split(xw, 3, tag(d, t, "x"));
    Value *z_pre = x[0], *r_pre = x[1], *n_pre = x[2];
    if (lbr_) {
      Value* rec_h = nullptr;  // Rh·h + Rbh, a constant when h is zero
      if (h) {
        const std::vector<Value*> rec = split(fc(h, w.r, w.r_bias, bh(3 * hid), tag(d, t, "rec")), 3, tag(d, t, "rec"));
        z_pre = binary("tfl.ADD", z_pre, rec[0], tag(d, t, "zpre"));
        r_pre = binary("tfl.ADD", r_pre, rec[1], tag(d, t, "rpre"));
        rec_h = rec[2];
      } else if (!all_zero(w.rbh)) {
        rec_h = w.rbh;
      }
      if (rec_h) {
        Value* gate_r = activation(act(d, 0), r_pre, tag(d, t, "r"));
        n_pre = binary("tfl.ADD", n_pre, binary("tfl.MUL", gate_r, rec_h, tag(d, t, "r_rec")), tag(d, t, "npre"));
      }
    } else if (h) {
      Value* rec_zr = fc(h, w.r, zeros(2 * hid), bh(2 * hid), tag(d, t, "rec"));
      const std::vector<Value*> rec = split(rec_zr, 2, tag(d, t, "rec"));
      z_pre = binary("tfl.ADD", z_pre, rec[0], tag(d, t, "zpre"));
      r_pre = binary("tfl.ADD", r_pre, rec[1], tag(d, t, "rpre"));
      Value* gate_r = activation(act(d, 0), r_pre, tag(d, t, "r"));
      Value* rh_in = binary("tfl.MUL", gate_r, h, tag(d, t, "rh_in"));
      n_pre = binary("tfl.ADD", n_pre, fc(rh_in, w.rh, zeros(hid), bh(), tag(d, t, "rec_h")),
                     tag(d, t, "npre"));
    }
    Value* z = activation(act(d, 0), z_pre, tag(d, t, "z"));
    Value* cand = activation(act(d, 1), n_pre, tag(d, t, "n"));
    if (!h) return binary("tfl.SUB", cand, binary("tfl.MUL", z, cand, tag(d, t, "zn")), tag(d, t, "h"));
    Value* keep = binary("tfl.MUL", z, binary("tfl.SUB", h, cand, tag(d, t, "h_minus_n")), tag(d, t, "z_h_minus_n"));
    return binary("tfl.ADD", cand, keep, tag(d, t, "h"));
  }

  // i = f(xi + Ri·h + Pi⊙c), f = f(xf + Rf·h + Pf⊙c), c~ = g(xc + Rc·h),
  // c' = f⊙c + i⊙c~, o = f(xo + Ro·h + Po⊙c'), h' = o⊙h(c').  ONNX gate order: i o f c.
  void lstm_step(int64_t d, int64_t t, Value* xw, Value** h, Value** c, const Weights& w) {
    const int64_t hid = s_.hidden;
    Value* gates = xw;
    if (*h)
      gates = binary("tfl.ADD", xw, fc(*h, w.r, w.r_bias, bh(4 * hid), tag(d, t, "rec")),
                     tag(d, t, "gates"));
    std::vector<Value*> g = split(gates, 4, tag(d, t, "gate"));
    auto peephole = [&](Value* pre, int64_t k, Value* cell, const std::string& name) {
      if (!w.peep[k] || all_zero(w.peep[k]) || !cell) return pre;
      return binary("tfl.ADD", pre, binary("tfl.MUL", cell, w.peep[k], tag(d, t, "pc" + name)), tag(d, t, name + "pre"));
    };
    Value* i = activation(act(d, 0), peephole(g[0], 0, *c, "i"), tag(d, t, "i"));
    Value* f = !*c ? nullptr
               : n_.get_int("input_forget", 0) ? binary("tfl.SUB", shared("one", {}, {1.0f}), i, tag(d, t, "f"))
                                                : activation(act(d, 0), peephole(g[2], 2, *c, "f"), tag(d, t, "f"));
    Value* cand = activation(act(d, 1), g[3], tag(d, t, "cand"));
    Value* c_new = binary("tfl.MUL", i, cand, tag(d, t, "i_cand"));
    if (*c) c_new = binary("tfl.ADD", binary("tfl.MUL", f, *c, tag(d, t, "f_c")), c_new, tag(d, t, "c"));
    Value* o = activation(act(d, 0), peephole(g[1], 1, c_new, "o"), tag(d, t, "o"));
    *h = binary("tfl.MUL", o, activation(act(d, 2), c_new, tag(d, t, "hc"), false), tag(d, t, "h"));
    *c = c_new;
  }

  // Y from the per-step states, Y_h / Y_c from the final ones.
  void write_outputs() {
    const int64_t B = s_.batch, H = s_.hidden, T = s_.seq, D = s_.dirs;
    const int64_t time_axis = s_.batch_first ? 1 : 0;
    Value* y = n_.outputs[0];
    std::vector<Value*> per_step;  // [B, D·H] per time index
    for (int64_t t = 0; t < T; ++t) {
      if (D == 1) {
        per_step.push_back(hs_[0][t]);
        continue;
      }
      Value* both = temp(tag(2, t, "y"), {B, D * H});
      ctx_.emit("tfl.CONCATENATION", n_, {hs_[0][t], hs_[1][t]}, {both})->attrs["axis"] = int64_t{1};
      per_step.push_back(both);
    }
    const Shape packed_shape = s_.batch_first ? Shape{B, T, D * H} : Shape{T, B, D * H};
    Value* packed = per_step[0];
    if (T > 1) {
      packed = temp("y_packed", packed_shape);
      ctx_.emit("tfl.PACK", n_, per_step, {packed})->attrs["axis"] = time_axis;
    }
    if (s_.batch_first || D == 1) {
      ctx_.reshape(n_, packed, y->shape, y);  // [B,T,D,H] or [T,1,B,H]: same bytes
    } else {
      ctx_.transpose(n_, ctx_.reshape(n_, packed, {T, B, D, H}), {0, 2, 1, 3}, y);
    }
    write_state(last_h_, 1);
    if (s_.cell == Cell::kLstm) write_state(last_c_, 2);
  }

  void write_state(const std::vector<Value*>& last, size_t output) {
    if (output >= n_.outputs.size()) return;
    Value* out = n_.outputs[output];
    if (s_.dirs == 1) {
      ctx_.reshape(n_, last[0], out->shape, out);
      return;
    }
    ctx_.emit("tfl.PACK", n_, {last[0], last[1]}, {out})->attrs["axis"] = int64_t{s_.batch_first ? 1 : 0};
  }

  LowerContext& ctx_;
  const Node& n_;
  const Spec& s_;
  std::vector<std::string> acts_;
  float clip_ = 0;  // the clip attribute; 0 when absent
  Value *clip_lo_ = nullptr, *clip_hi_ = nullptr;
  std::vector<int64_t> lens_;  // sequence_lens when some row is shorter than the sequence
  Value* live_lens_ = nullptr;  // sequence_lens computed at run time
  bool lbr_ = false;
  std::vector<std::vector<Value*>> hs_;  // [direction][time index] → H after that step
  std::vector<Value*> last_h_, last_c_;
  std::map<size_t, std::vector<Value*>> state_parts_;
  std::map<std::string, Value*> shared_;
};

Status lower_recurrent(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(const Spec s, spec_of(n));
  if (s.cell == Cell::kLstm && lower_lstm_fused(ctx, n)) return Status::ok();
  return Unroller(ctx, n, s).run();
}

}  // namespace

void register_recurrent(Registry& r) {
  r.add("RNN", {infer_recurrent, nullptr, lower_recurrent});
  r.add("GRU", {infer_recurrent, nullptr, lower_recurrent});
  r.add("LSTM", {infer_recurrent, nullptr, lower_recurrent});
}

}  // namespace pt2tflite::lower
