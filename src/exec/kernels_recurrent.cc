// UNIDIRECTIONAL_SEQUENCE_LSTM on float32, as TFLite's float kernel (lstm_eval) computes it
// step by step, inputs in TFLite's order (src/tflite/op_table.cc):
//   i = σ(Wi·x + Ri·h + Pi⊙c + bi)   (CIFG, no input weights: i = 1 − f)
//   f = σ(Wf·x + Rf·h + Pf⊙c + bf)
//   g = act(Wc·x + Rc·h + bc)
//   c' = f⊙c + i⊙g, clamped to ±cell_clip when cell_clip > 0
//   o = σ(Wo·x + Ro·h + Po⊙c' + bo)
//   h' = o⊙act(c'), then the projection Wp·h' + bp (clamped to ±proj_clip) when present.
// The state starts from the output_state / cell_state inputs (18, 19) and is not written
// back: the converter's graphs refill those variable tensors with zeros before every op.
// Layer-norm coefficients (inputs 20–23) are refused; the converter never writes them.
#include <cmath>

#include "exec/kernel_util.h"

namespace pt2tflite::exec {

namespace {

using ir::Node;
using ir::Tensor;

float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

Result<float (*)(float)> cell_activation(const Node& n) {
  const std::string a = n.get_string("fused_activation_function", "NONE");
  if (a == "TANH") return +[](float v) { return std::tanh(v); };
  if (a == "NONE") return +[](float v) { return v; };
  if (a == "RELU") return +[](float v) { return std::max(v, 0.0f); };
  if (a == "RELU6") return +[](float v) { return std::min(std::max(v, 0.0f), 6.0f); };
  return unsupported("LSTM activation " + a + " is not supported by the reference kernel");
}

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
  for (size_t i = 20; i < io.in.size(); ++i)
    EXEC_UNSUPPORTED_IF(io.in[i] != nullptr, "LSTM layer normalisation is not supported by the reference kernel");
  PT_ASSIGN_OR_RETURN(auto act, cell_activation(n));
  const Tensor& x = *io.in[0];
  EXEC_CHECK(x.shape.size() == 3, "LSTM input must be 3-D");
  const bool time_major = n.get_int("time_major", 1) != 0;
  const int64_t T = x.shape[time_major ? 0 : 1], B = x.shape[time_major ? 1 : 0], I = x.shape[2];
  const int64_t H = io.in[2]->shape[0];  // cells
  const int64_t O = io.in[18]->shape.back();  // outputs (H without projection)
  const bool cifg = io.in[1] == nullptr;
  const float cell_clip = static_cast<float>(n.get_float("cell_clip", 0.0));
  const float proj_clip = static_cast<float>(n.get_float("proj_clip", 0.0));
  const std::vector<float> w[4] = {floats_or_empty(io.in[1]), io.in[2]->to_floats(), io.in[3]->to_floats(),
                                   io.in[4]->to_floats()};
  const std::vector<float> r[4] = {floats_or_empty(io.in[5]), io.in[6]->to_floats(), io.in[7]->to_floats(),
                                   io.in[8]->to_floats()};
  const std::vector<float> p[3] = {floats_or_empty(io.in[9]), floats_or_empty(io.in[10]), floats_or_empty(io.in[11])};
  const std::vector<float> b[4] = {floats_or_empty(io.in[12]), io.in[13]->to_floats(), io.in[14]->to_floats(),
                                   io.in[15]->to_floats()};
  const std::vector<float> proj_w = floats_or_empty(io.in.size() > 16 ? io.in[16] : nullptr);
  const std::vector<float> proj_b = floats_or_empty(io.in.size() > 17 ? io.in[17] : nullptr);
  for (int k = 1; k < 4; ++k)
    EXEC_CHECK(static_cast<int64_t>(w[k].size()) == H * I && static_cast<int64_t>(r[k].size()) == H * O &&
                   static_cast<int64_t>(b[k].size()) == H,
               "LSTM weight shapes do not match the input and state");
  EXEC_CHECK(proj_w.empty() ? O == H : static_cast<int64_t>(proj_w.size()) == O * H, "LSTM projection shape");
  std::vector<float> h = io.in[18]->to_floats(), c = io.in[19]->to_floats();
  EXEC_CHECK(static_cast<int64_t>(h.size()) == B * O && static_cast<int64_t>(c.size()) == B * H, "LSTM state shape");
  const float* xs = x.data<float>();
  float* ys = io.out[0]->data<float>();
  std::vector<float> gate[4], hout(H);
  for (auto& g : gate) g.resize(H);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t bi = 0; bi < B; ++bi) {
      const float* xt = xs + (time_major ? (t * B + bi) : (bi * T + t)) * I;
      float* hb = h.data() + bi * O;
      float* cb = c.data() + bi * H;
      for (int k = cifg ? 1 : 0; k < 4; ++k) {
        for (int64_t j = 0; j < H; ++j) gate[k][j] = b[k].empty() ? 0.0f : b[k][j];
        matvec_add(w[k], xt, H, I, gate[k].data());
        matvec_add(r[k], hb, H, O, gate[k].data());
      }
      for (int64_t j = 0; j < H; ++j) {
        float f = gate[1][j] + (p[1].empty() ? 0.0f : p[1][j] * cb[j]);
        f = sigmoid(f);
        const float i = cifg ? 1.0f - f : sigmoid(gate[0][j] + (p[0].empty() ? 0.0f : p[0][j] * cb[j]));
        float cn = f * cb[j] + i * act(gate[2][j]);
        if (cell_clip > 0) cn = std::min(std::max(cn, -cell_clip), cell_clip);
        cb[j] = cn;
        const float o = sigmoid(gate[3][j] + (p[2].empty() ? 0.0f : p[2][j] * cn));
        hout[j] = o * act(cn);
      }
      if (proj_w.empty()) {
        std::copy(hout.begin(), hout.end(), hb);
      } else {
        for (int64_t j = 0; j < O; ++j) hb[j] = proj_b.empty() ? 0.0f : proj_b[j];
        matvec_add(proj_w, hout.data(), O, H, hb);
        if (proj_clip > 0)
          for (int64_t j = 0; j < O; ++j) hb[j] = std::min(std::max(hb[j], -proj_clip), proj_clip);
      }
      std::copy(hb, hb + O, ys + (time_major ? (t * B + bi) : (bi * T + t)) * O);
    }
  }
  return Status::ok();
}

}  // namespace

void register_recurrent_kernels(KernelTable& t) { t.add("tfl.UNIDIRECTIONAL_SEQUENCE_LSTM", unidirectional_sequence_lstm); }

}  // namespace pt2tflite::exec
