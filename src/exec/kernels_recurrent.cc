// UNIDIRECTIONAL_SEQUENCE_LSTM on float32, as TFLite's float kernel (lstm_eval) computes it
// step by step, inputs in TFLite's order (src/tflite/op_table.cc):
//   i = σ(Wi·x + Ri·h + Pi⊙c + bi),  f = σ(Wf·x + Rf·h + Pf⊙c + bf),  g = act(Wc·x + Rc·h + bc)
//   c' = f⊙c + i⊙g,  o = σ(Wo·x + Ro·h + Po⊙c' + bo),  h' = o⊙act(c')
// (peepholes P optional). The state starts from the output_state / cell_state inputs (18, 19)
// and is not written back: the converter's graphs refill those variable tensors with zeros
// before every op. What the converter never writes is refused rather than left untested:
// CIFG (no input gate weights), cell_clip, projection, layer normalisation, and cell
// activations other than TANH.
#include <cmath>

#include "exec/kernel_util.h"

namespace pt2tflite::exec {

namespace {

using ir::Node;
using ir::Tensor;

float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

std::vector<float> floats_or_empty(const Tensor* t) { return t ? t->to_floats() : std::vector<float>(); }

// y[r] += Σ_c w[r·cols + c] · x[c] for r < rows.
void matvec_add(const std::vector<float>& w, const float* x, int64_t rows, int64_t cols, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    double acc = 0;
    for (int64_t c = 0; c < cols; ++c) acc += static_cast<double>(w[r * cols + c]) * x[c];
    y[r] += static_cast<float>(acc);
  }
}

Status unidirectional_sequence_lstm(const Node& n, KernelIO& io) {
  PT_RETURN_IF_ERROR(need_input(io, 0, "input"));
  PT_RETURN_IF_ERROR(need_float(*io.in[0], "input"));
  for (size_t i : {2, 3, 4, 6, 7, 8, 13, 14, 15, 18, 19}) PT_RETURN_IF_ERROR(need_input(io, i, "LSTM operand"));
  PT_RETURN_IF_ERROR(need_input(io, 1, "input gate weights (CIFG is not supported by the reference kernel)"));
  PT_RETURN_IF_ERROR(need_input(io, 5, "recurrent input gate weights (CIFG is not supported)"));
  PT_RETURN_IF_ERROR(need_input(io, 12, "input gate bias"));
  for (size_t i = 16; i < io.in.size(); ++i)
    EXEC_UNSUPPORTED_IF(i != 18 && i != 19 && io.in[i] != nullptr,
                        "LSTM projection and layer normalisation are not supported by the reference kernel");
  EXEC_UNSUPPORTED_IF(n.get_float("cell_clip", 0.0) != 0.0 || n.get_float("proj_clip", 0.0) != 0.0,
                      "LSTM cell_clip / proj_clip are not supported by the reference kernel");
  EXEC_UNSUPPORTED_IF(n.get_string("fused_activation_function", "NONE") != "TANH",
                      "LSTM activations other than TANH are not supported by the reference kernel");
  const auto act = [](float v) { return std::tanh(v); };
  const Tensor& x = *io.in[0];
  EXEC_CHECK(x.shape.size() == 3, "LSTM input must be 3-D");
  const bool time_major = n.get_int("time_major", 1) != 0;
  const int64_t T = x.shape[time_major ? 0 : 1], B = x.shape[time_major ? 1 : 0], I = x.shape[2];
  const int64_t H = io.in[2]->shape[0];
  const std::vector<float> w[4] = {io.in[1]->to_floats(), io.in[2]->to_floats(), io.in[3]->to_floats(),
                                   io.in[4]->to_floats()};
  const std::vector<float> r[4] = {io.in[5]->to_floats(), io.in[6]->to_floats(), io.in[7]->to_floats(),
                                   io.in[8]->to_floats()};
  const std::vector<float> p[3] = {floats_or_empty(io.in[9]), floats_or_empty(io.in[10]), floats_or_empty(io.in[11])};
  const std::vector<float> b[4] = {io.in[12]->to_floats(), io.in[13]->to_floats(), io.in[14]->to_floats(),
                                   io.in[15]->to_floats()};
  for (int k = 0; k < 4; ++k)
    EXEC_CHECK(static_cast<int64_t>(w[k].size()) == H * I && static_cast<int64_t>(r[k].size()) == H * H &&
                   static_cast<int64_t>(b[k].size()) == H,
               "LSTM weight shapes do not match the input and state");
  for (const auto& pk : p) EXEC_CHECK(pk.empty() || static_cast<int64_t>(pk.size()) == H, "LSTM peephole shape");
  std::vector<float> h = io.in[18]->to_floats(), c = io.in[19]->to_floats();
  EXEC_CHECK(static_cast<int64_t>(h.size()) == B * H && static_cast<int64_t>(c.size()) == B * H, "LSTM state shape");
  EXEC_CHECK(io.out[0]->size() == T * B * H, "LSTM output shape");
  const float* xs = x.data<float>();
  float* ys = io.out[0]->data<float>();
  std::vector<float> gate[4];
  for (auto& g : gate) g.resize(H);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t bi = 0; bi < B; ++bi) {
      const int64_t row = time_major ? t * B + bi : bi * T + t;
      float* hb = h.data() + bi * H;
      float* cb = c.data() + bi * H;
      for (int k = 0; k < 4; ++k) {
        std::copy(b[k].begin(), b[k].end(), gate[k].begin());
        matvec_add(w[k], xs + row * I, H, I, gate[k].data());
        matvec_add(r[k], hb, H, H, gate[k].data());
      }
      for (int64_t j = 0; j < H; ++j) {
        const float i = sigmoid(gate[0][j] + (p[0].empty() ? 0.0f : p[0][j] * cb[j]));
        const float f = sigmoid(gate[1][j] + (p[1].empty() ? 0.0f : p[1][j] * cb[j]));
        cb[j] = f * cb[j] + i * act(gate[2][j]);
        const float o = sigmoid(gate[3][j] + (p[2].empty() ? 0.0f : p[2][j] * cb[j]));
        hb[j] = o * act(cb[j]);
      }
      std::copy(hb, hb + H, ys + row * H);
    }
  }
  return Status::ok();
}

}  // namespace

void register_recurrent_kernels(KernelTable& t) { t.add("tfl.UNIDIRECTIONAL_SEQUENCE_LSTM", unidirectional_sequence_lstm); }

}  // namespace pt2tflite::exec
