// ONNX LSTM as TFLite's fused UNIDIRECTIONAL_SEQUENCE_LSTM (one op per direction instead of
// about a dozen per step and direction), where that computes exactly what ONNX does;
// recurrent.cc unrolls every other case.
//
// Exact when: float32; activations Sigmoid/Tanh/Tanh (TFLite's gates are sigmoids, its
// cell-input and output activation is the op's TANH); no clip (TFLite's cell_clip clamps the
// cell state, onnxruntime's clip the gate inputs); input_forget = 0 (TFLite's CIFG couples
// i = 1 − f, onnxruntime f = 1 − i); no sequence_lens shorter than the sequence; initial
// states absent or constant zeros; Y_c not read (the op has no cell-state output); W, R, B,
// P constant.
//
// Per direction d:
//   weights: ONNX's gate blocks i o f c of W[d], R[d] become the op's input→{i,f,c,o} and
//   recurrent→{i,f,c,o} weights, Wb + Rb its gate biases, P[d] = Pi Po Pf its cell→{i,f,o}
//   peepholes (omitted when absent or zero);
//   state: output_state [B,H] and cell_state [B,H] are TFLite variable tensors, which the
//   kernel updates in place and which otherwise keep their value from one invoke() to the
//   next (LiteRT resets them only on AllocateTensors / reset_all_variables). Each is written
//   by a FILL of zeros just before the op, so every invocation starts from the zero state
//   ONNX specifies (checked in tests/e2e/test_recurrent_fused.py by invoking twice);
//   reverse: REVERSE_V2 along time before and after the op;
//   time_major = (layout == 0): the op reads X as it is.
// Y: one direction is a reshape of the op's output; two are concatenated on the hidden axis,
// reshaped to [T,B,2,H] and transposed to ONNX's [T,2,B,H] (layout 0; torch's inverse
// transpose cancels it) or reshaped to [B,T,2,H] (layout 1).
// Y_h: each direction's last step (a SLICE of the op's output before any reversal),
// concatenated along the direction axis.
#include "lower/recurrent_fused.h"

#include <algorithm>

#include "lower/context.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

bool all_zero(const Value* v) {
  if (!v || !v->is_const()) return false;
  const std::vector<float> f = v->data->to_floats();
  return std::all_of(f.begin(), f.end(), [](float x) { return x == 0.0f; });
}

bool is_read(const ir::Graph& g, const Value* v) {
  if (!v) return false;
  if (std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end()) return true;
  for (const auto& other : g.nodes())
    for (const Value* in : other->inputs)
      if (in == v) return true;
  return false;
}

// Whether the fused op computes exactly this node (see the header comment).
bool fusable(LowerContext& ctx, const Node& n) {
  if (!ctx.options().fused_lstm || n.op != "onnx.LSTM") return false;
  const Value* x = n.input(0);
  if (!x || x->dtype != DType::kFloat32 || x->shape.size() != 3) return false;
  if (n.has("clip") || n.get_int("input_forget", 0) != 0) return false;
  if (auto it = n.attrs.find("activations"); it != n.attrs.end()) {
    const auto* names = std::get_if<std::vector<std::string>>(&it->second);
    if (!names || names->empty() || names->size() % 3 != 0) return false;
    for (size_t i = 0; i < names->size(); ++i)
      if ((*names)[i] != (i % 3 == 0 ? "Sigmoid" : "Tanh")) return false;
  }
  for (size_t i : {size_t{1}, size_t{2}, size_t{3}, size_t{7}})
    if (const Value* v = n.input(i); (i <= 2 && !v) || (v && !v->is_const())) return false;
  const int64_t seq = x->shape[n.get_int("layout", 0) != 0 ? 1 : 0];
  if (seq < 1) return false;
  if (const Value* lens = n.input(4)) {
    if (!lens->is_const()) return false;
    for (int64_t len : lens->data->to_int64s())
      if (len != seq) return false;
  }
  for (size_t i : {size_t{5}, size_t{6}})
    if (n.input(i) && !all_zero(n.input(i))) return false;
  return n.outputs.size() < 3 || !is_read(ctx.graph(), n.outputs[2]);
}

class Fuser {
 public:
  Fuser(LowerContext& ctx, const Node& n) : ctx_(ctx), n_(n) {
    const Shape& x = n.inputs[0]->shape;
    batch_first_ = n.get_int("layout", 0) != 0;
    seq_ = x[batch_first_ ? 1 : 0];
    batch_ = x[batch_first_ ? 0 : 1];
    input_ = x[2];
    hidden_ = n.inputs[2]->shape[2];
    dirs_ = n.inputs[1]->shape[0];
    reverse_only_ = n.get_string("direction", "forward") == "reverse";
  }

  void run() {
    std::vector<Value*> ys, lasts;
    for (int64_t d = 0; d < dirs_; ++d) {
      Value* y = nullptr;
      Value* last = nullptr;
      direction(d, &y, &last);
      ys.push_back(y);
      lasts.push_back(last);
    }
    const int64_t T = seq_, B = batch_, H = hidden_, D = dirs_;
    if (Value* out = n_.outputs.empty() ? nullptr : n_.outputs[0]) {
      if (D == 1) {
        ctx_.reshape(n_, ys[0], out->shape, out);
      } else {
        Value* both = ctx_.temp(n_, DType::kFloat32, batch_first_ ? Shape{B, T, 2 * H} : Shape{T, B, 2 * H}, "y");
        ctx_.emit("tfl.CONCATENATION", n_, ys, {both})->attrs["axis"] = int64_t{2};
        if (batch_first_)
          ctx_.reshape(n_, both, out->shape, out);
        else
          ctx_.transpose(n_, ctx_.reshape(n_, both, {T, B, 2, H}), {0, 2, 1, 3}, out);
      }
    }
    if (Value* out = n_.outputs.size() > 1 ? n_.outputs[1] : nullptr) {
      if (D == 1)
        ctx_.reshape(n_, lasts[0], out->shape, out);
      else
        ctx_.emit("tfl.CONCATENATION", n_, lasts, {out})->attrs["axis"] = int64_t{batch_first_ ? 1 : 0};
    }
  }

 private:
  int64_t time_axis() const { return batch_first_ ? 1 : 0; }
  Shape seq_shape(int64_t width) const {
    return batch_first_ ? Shape{batch_, seq_, width} : Shape{seq_, batch_, width};
  }

  // Gate block k (ONNX order i o f c) of direction d of a constant [D, 4H, cols] or [D, 8H]
  // (offset: 4H for the recurrent biases), as [H, cols] or [H].
  std::vector<float> block(const Value* v, int64_t d, int64_t k, int64_t offset = 0) const {
    const std::vector<float> all = v->data->to_floats();
    const int64_t cols = v->shape.size() == 3 ? v->shape[2] : 1;
    const int64_t per_dir = static_cast<int64_t>(all.size()) / dirs_;
    const auto first = all.begin() + d * per_dir + (offset + k * hidden_) * cols;
    return std::vector<float>(first, first + hidden_ * cols);
  }

  Value* weight(size_t input, int64_t d, int64_t k, const char* name) {
    const Value* v = n_.inputs[input];
    return ctx_.constant(n_, "d" + std::to_string(d) + "_" + name,
                         Tensor::from_floats({hidden_, v->shape[2]}, block(v, d, k)));
  }
  Value* bias(int64_t d, int64_t k, const char* name) {
    std::vector<float> b(hidden_, 0.0f);
    if (const Value* v = n_.input(3)) {
      const std::vector<float> wb = block(v, d, k), rb = block(v, d, k, 4 * hidden_);
      for (int64_t i = 0; i < hidden_; ++i) b[i] = wb[i] + rb[i];
    }
    return ctx_.constant(n_, "d" + std::to_string(d) + "_" + name, Tensor::from_floats({hidden_}, b));
  }
  // Peephole k (ONNX order i o f) of direction d; nullptr when P is absent or zero.
  Value* peephole(int64_t d, int64_t k, const char* name) {
    const Value* p = n_.input(7);
    if (!p) return nullptr;
    std::vector<float> v = block(p, d, k);
    if (std::all_of(v.begin(), v.end(), [](float f) { return f == 0.0f; })) return nullptr;
    return ctx_.constant(n_, "d" + std::to_string(d) + "_" + name, Tensor::from_floats({hidden_}, v));
  }
  // A [B, H] variable tensor set to zero by a FILL before the op reads it.
  Value* zero_state(int64_t d, const char* name) {
    Value* s = ctx_.temp(n_, DType::kFloat32, {batch_, hidden_}, "d" + std::to_string(d) + "_" + name);
    s->is_variable = true;
    if (!state_dims_) {  // shared by the node's FILLs
      state_dims_ = ctx_.const_int32(n_, "state_dims", {batch_, hidden_});
      state_zero_ = ctx_.constant(n_, "state_zero", Tensor::from_floats({}, {0.0f}));
    }
    ctx_.emit("tfl.FILL", n_, {state_dims_, state_zero_}, {s});
    return s;
  }
  Value* reverse_time(Value* x, const std::string& suffix) {
    Value* y = ctx_.temp(n_, x->dtype, x->shape, suffix);
    ctx_.emit("tfl.REVERSE_V2", n_, {x, ctx_.const_int32(n_, "time_axis", {time_axis()}, {1})}, {y});
    return y;
  }

  // The op's Y for direction d in ONNX time order, and its last step as [1,B,H] / [B,1,H].
  void direction(int64_t d, Value** y, Value** last) {
    const bool backwards = reverse_only_ || d == 1;
    const std::string dn = "d" + std::to_string(d);
    Value* x = n_.inputs[0];
    if (backwards) x = reverse_time(x, dn + "_x_reversed");
    // ONNX gate blocks: 0 i, 1 o, 2 f, 3 c.
    std::vector<Value*> in(24, nullptr);
    in[0] = x;
    in[1] = weight(1, d, 0, "w_i");
    in[2] = weight(1, d, 2, "w_f");
    in[3] = weight(1, d, 3, "w_c");
    in[4] = weight(1, d, 1, "w_o");
    in[5] = weight(2, d, 0, "r_i");
    in[6] = weight(2, d, 2, "r_f");
    in[7] = weight(2, d, 3, "r_c");
    in[8] = weight(2, d, 1, "r_o");
    in[9] = peephole(d, 0, "p_i");
    in[10] = peephole(d, 2, "p_f");
    in[11] = peephole(d, 1, "p_o");
    in[12] = bias(d, 0, "b_i");
    in[13] = bias(d, 2, "b_f");
    in[14] = bias(d, 3, "b_c");
    in[15] = bias(d, 1, "b_o");
    in[18] = zero_state(d, "output_state");
    in[19] = zero_state(d, "cell_state");
    Value* out = ctx_.temp(n_, DType::kFloat32, seq_shape(hidden_), dn + "_y");
    Node* op = ctx_.emit("tfl.UNIDIRECTIONAL_SEQUENCE_LSTM", n_, in, {out});
    op->attrs["fused_activation_function"] = std::string("TANH");
    op->attrs["time_major"] = int64_t{batch_first_ ? 0 : 1};
    // The last step the op computed is its output's last time index, before un-reversing.
    const std::vector<int64_t> begin = batch_first_ ? std::vector<int64_t>{0, seq_ - 1, 0}
                                                    : std::vector<int64_t>{seq_ - 1, 0, 0};
    const std::vector<int64_t> size = batch_first_ ? std::vector<int64_t>{batch_, 1, hidden_}
                                                   : std::vector<int64_t>{1, batch_, hidden_};
    *last = ctx_.temp(n_, DType::kFloat32, Shape(size.begin(), size.end()), dn + "_last");
    ctx_.emit("tfl.SLICE", n_, {out, ctx_.const_int32(n_, "last_begin", begin), ctx_.const_int32(n_, "last_size", size)},
              {*last});
    *y = backwards ? reverse_time(out, dn + "_y_in_order") : out;
  }

  LowerContext& ctx_;
  const Node& n_;
  bool batch_first_ = false, reverse_only_ = false;
  int64_t seq_ = 0, batch_ = 0, input_ = 0, hidden_ = 0, dirs_ = 1;
  Value *state_dims_ = nullptr, *state_zero_ = nullptr;
};

}  // namespace

bool lower_lstm_fused(LowerContext& ctx, const Node& n) {
  if (!fusable(ctx, n)) return false;
  Fuser(ctx, n).run();
  return true;
}

}  // namespace pt2tflite::lower
