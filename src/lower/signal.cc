// Signal ops for audio front ends: HannWindow, HammingWindow, BlackmanWindow, MelWeightMatrix,
// DFT, STFT.
//
// The windows and MelWeightMatrix depend only on scalar inputs that are constants after
// export: they fold, by ONNX's reference formulas evaluated in double and rounded to
// output_datatype once. A window whose size is computed at run time is computed at run time
// by the same formula in float32 (RANGE, then SIN/COS): the angle x·π/N carries float32
// rounding (≈ 1e-7 relative), so the values are within a few 1e-7 of the reference.
// MelWeightMatrix's sample rate and edges may be computed at run time (lower_mel_runtime);
// its num_mel_bins and dft_length decide the output shape and must be constant.
//
// DFT and STFT are linear maps of the signal, so with static shapes each becomes one
// FULLY_CONNECTED against a constant basis matrix (cos/sin computed in double, stored as
// float32), reading the ONNX [.., 2] real/imag (or [.., 1] real) layout directly and
// writing the [.., 2] layout:
//   DFT:  move `axis` next to the component axis (TRANSPOSE, cancelled by the sinking pass
//         when it can be), view as [rows, L·c], [STRIDED_SLICE to dft_length when it
//         truncates], FULLY_CONNECTED with W [K·2, L·c], RESHAPE, TRANSPOSE back.
//         Zero padding to dft_length needs no op: the padded samples have no columns.
//         A run-time axis (opset 20's input; ONNX's node tests feed it): the DFT along
//         every candidate signal axis, the one named picked by SELECT_V2 on
//         EQUAL(axis, k) OR EQUAL(axis, k − rank) — exact, one basis product per candidate.
//         Taken only when every candidate gives the same output shape (no onesided or
//         dft_length, or axes whose lengths make them agree); else refused.
//   STFT: frames by one GATHER of constant indices [frames, frame_length] along the signal
//         axis, the window folded into W (a run-time window: one MUL first), then as DFT.
//         A run-time frame_step: the frame count is known only at run time (-1); the
//         indices are RANGE(0, L − frame + 1, step) + 0 .. frame−1, the same basis after.
// Basis entries use (k·n mod N) so the angle stays exact for long transforms.
// Accuracy: one float32 dot product of length L·c per output. Measured on normal noise against
// numpy's float64 rfft: 8e-7 × max|ref| at n = 400, 2e-6 at n = 2048 (onnxruntime 1.32's own
// float32 DFT: 2.8e-5 at n = 400, 7e-7 at n = 2048).
#include <cmath>

#include "lower/context.h"
#include "lower/emit_arith.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

constexpr double kPi = 3.14159265358979323846;
// Basis matrices past this many entries (64 MB of float32) are refused: a direct DFT of
// that length would bloat the model.
constexpr int64_t kMaxBasisElements = int64_t{1} << 24;

// A scalar (0-d or one-element) input that must be constant: the output shape depends on it.
Result<double> const_scalar(const Node& n, size_t i, const std::string& what) {
  const Value* v = n.input(i);
  if (!v) return invalid_model(n.describe() + ": missing input " + std::to_string(i) + " (" + what + ")");
  if (!v->is_const())
    return unsupported(n.describe() + ": " + what + " (input '" + v->name +
                       "') is computed at run time, so the output shape is unknown; pt2tflite needs it "
                       "constant (export with a fixed value)");
  const std::vector<double> d = v->data->to_doubles();
  NODE_CHECK(n, d.size() == 1, what + " must hold one value");
  return d[0];
}

Result<int64_t> const_int(const Node& n, size_t i, const std::string& what) {
  const Value* v = n.input(i);
  if (v && v->is_const() && !ir::is_float(v->dtype)) {  // exact beyond 2^53
    const std::vector<int64_t> d = v->data->to_int64s();
    NODE_CHECK(n, d.size() == 1, what + " must hold one value");
    return d[0];
  }
  PT_ASSIGN_OR_RETURN(double d, const_scalar(n, i, what));
  return static_cast<int64_t>(d);
}

Result<DType> output_datatype(const Node& n) {
  if (!n.has("output_datatype")) return DType::kFloat32;
  return dtype_attr(n, "output_datatype");
}

// values (computed in double) as a tensor of `t`; integer types truncate like numpy's astype.
Tensor typed(DType t, Shape shape, const std::vector<double>& values) {
  if (ir::is_float(t)) return Tensor::from_doubles(t, std::move(shape), values);
  std::vector<int64_t> v;
  for (double d : values) v.push_back(static_cast<int64_t>(d));
  return Tensor::from_int64s(t, std::move(shape), v);
}

// --- HannWindow, HammingWindow, BlackmanWindow(size), periodic (default 1) ---

enum class Window { kHann, kHamming, kBlackman };

template <Window W>
Status infer_window(Node& n) {
  NODE_CHECK(n, n.input(0), "missing size");
  if (!n.inputs[0]->is_const()) {  // computed at run time: RANGE sizes the output
    NODE_CHECK(n, ir::num_elements(n.inputs[0]->shape) == 1, "size must hold one value");
    PT_ASSIGN_OR_RETURN(DType t, output_datatype(n));
    set_output(n, 0, t, {-1});
    return Status::ok();
  }
  PT_ASSIGN_OR_RETURN(int64_t size, const_int(n, 0, "size"));
  NODE_CHECK(n, size >= 0, "size must not be negative");
  PT_ASSIGN_OR_RETURN(DType t, output_datatype(n));
  set_output(n, 0, t, {size});
  return Status::ok();
}

// ONNX's reference: N_1 = size (periodic) or size - 1 (symmetric), n = 0 .. size-1.
template <Window W>
Tensor window(const Node& n) {
  const int64_t size = n.outputs[0]->shape[0];
  const double n1 = static_cast<double>(n.get_int("periodic", 1) != 0 ? size : size - 1);
  std::vector<double> w;
  for (int64_t i = 0; i < size; ++i) {
    const double x = static_cast<double>(i);
    switch (W) {
      case Window::kHann: {
        const double s = std::sin(x * kPi / n1);
        w.push_back(s * s);
        break;
      }
      case Window::kHamming: {
        const double alpha = 25.0 / 46.0;
        w.push_back(alpha - std::cos(x * kPi * 2 / n1) * (1 - alpha));
        break;
      }
      case Window::kBlackman:
        w.push_back(std::cos(x * (kPi * 2) / n1) * -0.5 + std::cos(x * (kPi * 4) / n1) * 0.08 + 0.42);
        break;
    }
  }
  return typed(n.outputs[0]->dtype, {size}, w);
}

template <Window W>
Result<std::vector<Tensor>> fold_window(const Node& n) {
  return std::vector<Tensor>{window<W>(n)};
}

// Reached only when the fold was skipped for size: the constant is copied out.
template <Window W>
Status lower_runtime_window(LowerContext& ctx, Node& n) {
  Arith a(ctx, n);
  Value* size = ctx.cast(n, n.inputs[0], DType::kFloat32);
  if (!size->shape.empty()) size = ctx.reshape(n, size, {});
  Value* x = ctx.temp(n, DType::kFloat32, {-1}, "positions");
  ctx.emit("tfl.RANGE", n, {a.scalar(0.0), size, a.scalar(1.0)}, {x});
  Value* n1 = n.get_int("periodic", 1) != 0 ? size : a.add(size, -1.0);
  auto cos_of = [&](double k) { return a.un("tfl.COS", a.div(a.mul(x, k * kPi), n1)); };
  Value* w = nullptr;
  switch (W) {
    case Window::kHann: {
      Value* s = a.un("tfl.SIN", a.div(a.mul(x, kPi), n1));
      w = a.mul(s, s);
      break;
    }
    case Window::kHamming: {
      const double alpha = 25.0 / 46.0;
      w = a.add(a.mul(cos_of(2), -(1 - alpha)), alpha);
      break;
    }
    case Window::kBlackman:
      w = a.add(a.add(a.mul(cos_of(2), -0.5), a.mul(cos_of(4), 0.08)), 0.42);
      break;
  }
  if (n.outputs[0]->dtype == DType::kFloat32)
    ctx.reshape(n, w, {-1}, n.outputs[0]);
  else
    ctx.cast(n, w, n.outputs[0]->dtype, n.outputs[0]);
  return Status::ok();
}

template <Window W>
Status lower_window(LowerContext& ctx, Node& n) {
  if (!n.inputs[0]->is_const()) return lower_runtime_window<W>(ctx, n);
  ctx.reshape(n, ctx.constant(n, "window", window<W>(n)), n.outputs[0]->shape, n.outputs[0]);
  return Status::ok();
}

// --- MelWeightMatrix(num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz) ---

struct Mel {
  int64_t bins = 0, dft_length = 0, sample_rate = 0;
  double lower_hz = 0, upper_hz = 0;
};

Result<Mel> mel_params(const Node& n) {
  Mel m;
  PT_ASSIGN_OR_RETURN(m.bins, const_int(n, 0, "num_mel_bins"));
  PT_ASSIGN_OR_RETURN(m.dft_length, const_int(n, 1, "dft_length"));
  PT_ASSIGN_OR_RETURN(m.sample_rate, const_int(n, 2, "sample_rate"));
  PT_ASSIGN_OR_RETURN(m.lower_hz, const_scalar(n, 3, "lower_edge_hertz"));
  PT_ASSIGN_OR_RETURN(m.upper_hz, const_scalar(n, 4, "upper_edge_hertz"));
  NODE_CHECK(n, m.bins > 0 && m.dft_length > 0 && m.sample_rate > 0,
             "num_mel_bins, dft_length and sample_rate must be positive");
  return m;
}

// Only num_mel_bins and dft_length decide the output shape; the edges and the sample rate
// may be computed at run time.
bool mel_runtime_values(const Node& n) {
  for (size_t i = 2; i < 5; ++i)
    if (n.input(i) && !n.inputs[i]->is_const()) return true;
  return false;
}

Status infer_mel(Node& n) {
  PT_ASSIGN_OR_RETURN(DType t, output_datatype(n));
  if (mel_runtime_values(n)) {
    PT_ASSIGN_OR_RETURN(int64_t bins, const_int(n, 0, "num_mel_bins"));
    PT_ASSIGN_OR_RETURN(int64_t dft_length, const_int(n, 1, "dft_length"));
    NODE_CHECK(n, bins > 0 && dft_length > 0, "num_mel_bins and dft_length must be positive");
    for (size_t i = 2; i < 5; ++i) {
      NODE_CHECK(n, n.input(i), "missing input " + std::to_string(i));
      NODE_CHECK(n, ir::num_elements(n.inputs[i]->shape) == 1, "input " + std::to_string(i) + " must hold one value");
    }
    set_output(n, 0, t, {dft_length / 2 + 1, bins});
    return Status::ok();
  }
  PT_ASSIGN_OR_RETURN(Mel m, mel_params(n));
  set_output(n, 0, t, {m.dft_length / 2 + 1, m.bins});
  return Status::ok();
}

// ONNX's reference: bins + 2 points evenly spaced in mel (2595·log10(1 + hz/700)) from the
// lower to the upper edge (step = range / (bins + 2)), mapped to spectrogram bins
// floor((dft_length + 1)·hz / sample_rate); triangle i rises from point i to point i+1
// and falls to point i+2.
Result<Tensor> mel_matrix(const Node& n) {
  PT_ASSIGN_OR_RETURN(Mel m, mel_params(n));
  const int64_t rows = m.dft_length / 2 + 1, count = m.bins + 2;
  const double low = 2595 * std::log1p(m.lower_hz / 700) / std::log(10.0);
  const double high = 2595 * std::log1p(m.upper_hz / 700) / std::log(10.0);
  const double step = (high - low) / static_cast<double>(count);
  std::vector<int64_t> f(count);
  for (int64_t i = 0; i < count; ++i) {
    const double hz = 700 * std::expm1((static_cast<double>(i) * step + low) / 2595 * std::log(10.0));
    f[i] = static_cast<int64_t>(std::floor(static_cast<double>(m.dft_length + 1) * hz / static_cast<double>(m.sample_rate)));
    NODE_CHECK(n, f[i] >= 0 && f[i] < rows,
               "the mel edges map outside the spectrogram bins (check lower/upper_edge_hertz against sample_rate)");
  }
  std::vector<double> out(static_cast<size_t>(rows * m.bins), 0.0);
  auto at = [&](int64_t j, int64_t i) -> double& { return out[j * m.bins + i]; };
  for (int64_t i = 0; i < m.bins; ++i) {
    const int64_t lo = f[i], c = f[i + 1], hi = f[i + 2];
    if (c == lo) {
      at(c, i) = 1;
    } else {
      for (int64_t j = lo; j <= c; ++j) at(j, i) = static_cast<double>(j - lo) / static_cast<double>(c - lo);
    }
    if (hi > c)
      for (int64_t j = c; j < hi; ++j) at(j, i) = static_cast<double>(hi - j) / static_cast<double>(hi - c);
  }
  return typed(n.outputs[0]->dtype, {rows, m.bins}, out);
}

Result<std::vector<Tensor>> fold_mel(const Node& n) {
  PT_ASSIGN_OR_RETURN(Tensor t, mel_matrix(n));
  return std::vector<Tensor>{std::move(t)};
}

// Sample rate or edges computed at run time: the same formulas as elementwise float32 ops on a
// [rows, bins] grid. Points f[0 .. bins+1] as above (LOG / EXP, FLOOR of the division);
// entry (j, i) with lo = f[i], c = f[i+1], hi = f[i+2] is
//   (hi − j)/(hi − c)                       for c ≤ j < hi (the falling edge, written last),
//   c = lo ? 1 : (j − lo)/(c − lo)           for lo ≤ j ≤ c,
//   0                                        elsewhere,
// which is the reference's loops (both edges give 1 at j = c). Points outside the
// spectrogram bins (edges beyond the Nyquist frequency) simply leave no entries, where the
// static fold refuses them. The points are float32: one landing within float32 rounding of a
// bin boundary could floor differently from the reference's float64 (600 random rate/edge
// settings at 8–64 bins matched the reference and onnxruntime exactly).
Status lower_mel_runtime(LowerContext& ctx, Node& n) {
  Value* out = n.outputs[0];
  NODE_UNSUPPORTED_IF(n, out->dtype != DType::kFloat32,
                      std::string("with the sample rate or edges computed at run time only a float32 output is "
                                  "lowered, not ") + ir::dtype_name(out->dtype));
  const int64_t rows = out->shape[0], bins = out->shape[1], count = bins + 2;
  PT_ASSIGN_OR_RETURN(int64_t dft_length, const_int(n, 1, "dft_length"));
  Arith a(ctx, n);
  auto scalar_in = [&](size_t i) -> Value* {
    Value* v = n.inputs[i];
    return ctx.reshape(n, ctx.cast(n, v, DType::kFloat32), {1, 1});
  };
  for (size_t i = 2; i < 5; ++i) {
    const DType t = n.inputs[i]->dtype;
    NODE_UNSUPPORTED_IF(n, t != DType::kFloat32 && t != DType::kFloat16 && t != DType::kInt32 && t != DType::kInt64,
                        std::string("input ") + std::to_string(i) + " has element type " + ir::dtype_name(t));
  }
  Value* rate = scalar_in(2);
  const double ln10 = std::log(10.0);
  auto to_mel = [&](Value* hz) {  // 2595·log(1 + hz/700)/ln 10
    return a.mul(a.un("tfl.LOG", a.add(a.div(hz, a.scalar(700)), 1.0)), 2595 / ln10);
  };
  Value* low = to_mel(scalar_in(3));
  Value* high = to_mel(scalar_in(4));
  Value* step = a.div(a.sub(high, low), a.scalar(static_cast<double>(count)));
  std::vector<float> idx;
  for (int64_t i = 0; i < count; ++i) idx.push_back(static_cast<float>(i));
  Value* mel = a.add(a.mul(ctx.const_float(n, "mel_points", idx, {1, count}), step), low);
  Value* hz = a.mul(a.add(a.un("tfl.EXP", a.mul(mel, ln10 / 2595)), -1.0), 700);
  Value* f = a.un("tfl.FLOOR", a.div(a.mul(hz, static_cast<double>(dft_length + 1)), rate));
  auto point = [&](int64_t k) {  // f[k .. k + bins - 1] as [1, bins]
    Value* p = ctx.temp(n, DType::kFloat32, {1, bins}, "mel_edge");
    ctx.emit("tfl.SLICE", n, {f, ctx.const_int32(n, "begin", {0, k}), ctx.const_int32(n, "size", {1, bins})}, {p});
    return p;
  };
  Value* lo = point(0);
  Value* c = point(1);
  Value* hi = point(2);
  std::vector<float> rows_idx;
  for (int64_t j = 0; j < rows; ++j) rows_idx.push_back(static_cast<float>(j));
  Value* j = ctx.const_float(n, "spectrogram_bins", rows_idx, {rows, 1});
  auto both = [&](Value* p, Value* q) { return a.bin("tfl.LOGICAL_AND", p, q, DType::kBool); };
  Value* one = a.scalar(1.0);
  Value* rising = a.select(a.bin("tfl.EQUAL", c, lo, DType::kBool), one,
                           a.div(a.sub(j, lo), a.bin("tfl.MAXIMUM", a.sub(c, lo), one)));
  Value* falling = a.div(a.sub(hi, j), a.bin("tfl.MAXIMUM", a.sub(hi, c), one));
  Value* in_rise = both(a.bin("tfl.GREATER_EQUAL", j, lo, DType::kBool), a.bin("tfl.LESS_EQUAL", j, c, DType::kBool));
  Value* in_fall = both(a.bin("tfl.GREATER_EQUAL", j, c, DType::kBool), a.bin("tfl.LESS", j, hi, DType::kBool));
  Value* zero = a.scalar(0.0);
  ctx.emit("tfl.SELECT_V2", n, {in_fall, falling, a.select(in_rise, rising, zero)}, {out});
  return Status::ok();
}

Status lower_mel(LowerContext& ctx, Node& n) {
  if (mel_runtime_values(n)) return lower_mel_runtime(ctx, n);
  PT_ASSIGN_OR_RETURN(Tensor t, mel_matrix(n));
  ctx.reshape(n, ctx.constant(n, "mel", std::move(t)), n.outputs[0]->shape, n.outputs[0]);
  return Status::ok();
}

// --- The DFT as a matrix ---

// A linear map from `in` samples of `c_in` components (the input, interleaved as ONNX
// stores it) to `out` bins of `c_out` components: w is [(out·c_out), (in·c_in)] row-major.
struct Basis {
  int64_t in = 0, c_in = 1, out = 0, c_out = 2;
  std::vector<double> w;
};

// cos and sin of 2π·(k·j mod n)/n.
void angle(int64_t k, int64_t j, int64_t n, double* c, double* s) {
  const double a = 2 * kPi * static_cast<double>((k * j) % n) / static_cast<double>(n);
  *c = std::cos(a);
  *s = std::sin(a);
}

// X[k] = scale · Σ_j win[j]·x[j]·exp(±2πi·kj/n) for k < bins, j < in (in ≤ n: the rest is
// the zero padding), sign + for the inverse with scale 1/n.
Basis complex_dft(int64_t n, int64_t in, int64_t c_in, int64_t bins, bool inverse, const std::vector<double>& win) {
  Basis b{in, c_in, bins, 2, {}};
  b.w.assign(static_cast<size_t>(bins * 2 * in * c_in), 0.0);
  const double s = inverse ? 1.0 : -1.0, scale = inverse ? 1.0 / static_cast<double>(n) : 1.0;
  const int64_t cols = in * c_in;
  for (int64_t k = 0; k < bins; ++k)
    for (int64_t j = 0; j < in; ++j) {
      double c, sn;
      angle(k, j, n, &c, &sn);
      const double g = scale * (win.empty() ? 1.0 : win[j]);
      // (xr + i·xi)(cos + i·s·sin) = xr·cos − s·xi·sin + i(s·xr·sin + xi·cos)
      b.w[(2 * k) * cols + j * c_in] = g * c;
      b.w[(2 * k + 1) * cols + j * c_in] = g * s * sn;
      if (c_in == 2) {
        b.w[(2 * k) * cols + j * c_in + 1] = -g * s * sn;
        b.w[(2 * k + 1) * cols + j * c_in + 1] = g * c;
      }
    }
  return b;
}

// Inverse of a one-sided spectrum (numpy's irfft): the n real samples of the Hermitian
// spectrum whose first `in` (≤ n/2 + 1) bins are given; bins 1 .. ceil(n/2)-1 count twice,
// the imaginary parts of bin 0 and of bin n/2 (n even) drop out (their sines are zero).
Basis inverse_onesided(int64_t n, int64_t in, int64_t c_in) {
  Basis b{in, c_in, n, 1, {}};
  const int64_t cols = in * c_in;
  b.w.assign(static_cast<size_t>(n * cols), 0.0);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t k = 0; k < in; ++k) {
      double c, s;
      angle(k, t, n, &c, &s);
      const double g = (k == 0 || 2 * k == n ? 1.0 : 2.0) / static_cast<double>(n);
      b.w[t * cols + k * c_in] = g * c;
      if (c_in == 2) b.w[t * cols + k * c_in + 1] = -g * s;
    }
  return b;
}

// x [rows, L·c_in] (L ≥ basis.in samples; extra ones are cut off) times the basis:
// [rows, out·c_out] into `out` when given.
Status apply_basis(LowerContext& ctx, const Node& n, Value* x, const Basis& b, Value* out) {
  const int64_t rows = x->shape[0], cols = b.in * b.c_in, outs = b.out * b.c_out;
  NODE_UNSUPPORTED_IF(n, cols * outs > kMaxBasisElements,
                      "the DFT basis matrix would hold " + std::to_string(cols * outs) +
                          " values; pt2tflite lowers DFT/STFT as a matrix product and refuses transforms this long");
  if (x->shape[1] > cols) {  // dft_length truncates the signal
    Value* cut = ctx.temp(n, x->dtype, {rows, cols}, "truncated");
    ctx.emit("tfl.STRIDED_SLICE", n,
             {x, ctx.const_int32(n, "begin", {0, 0}), ctx.const_int32(n, "end", {rows, cols}),
              ctx.const_int32(n, "strides", {1, 1})},
             {cut});
    x = cut;
  }
  const std::vector<float> w(b.w.begin(), b.w.end());
  Value* y = out ? out : ctx.temp(n, x->dtype, {rows, outs}, "dft");
  ctx.emit("tfl.FULLY_CONNECTED", n,
           {x, ctx.const_float(n, "dft_basis", w, {outs, cols}),
            ctx.const_float(n, "zero_bias", std::vector<float>(static_cast<size_t>(outs), 0.0f), {outs})},
           {y});
  return Status::ok();
}

Status check_signal(const Node& n, const Value* x) {
  NODE_CHECK(n, x->shape.size() >= 2, "input must have rank >= 2 (the last axis holds 1 real or 2 real/imag values)");
  NODE_UNSUPPORTED_IF(n, x->dtype != DType::kFloat32,
                      std::string("only float32 signals are lowered, not ") + ir::dtype_name(x->dtype));
  return Status::ok();
}

// --- DFT(input, dft_length?, axis? (opset 20)); opsets 17/19: axis attribute ---

struct Dft {
  int64_t axis = 0, n = 0, length = 0;  // length: samples/bins read along axis
  bool inverse = false, onesided = false;
};

// Opset 20's axis input is computed at run time (the axis attribute of opsets 17/19 never is).
bool runtime_dft_axis(const Node& n) { return n.opset >= 20 && n.input(2) && !n.inputs[2]->is_const(); }

// The transform along `axis` (as given: negative counts from the end).
Result<Dft> dft_params_along(const Node& n, int64_t axis) {
  NODE_CHECK(n, n.input(0), "missing input");
  const Value* x = n.inputs[0];
  PT_RETURN_IF_ERROR(check_signal(n, x));
  NODE_CHECK(n, x->shape.back() == 1 || x->shape.back() == 2, "the last axis must have size 1 (real) or 2 (complex)");
  const size_t r = x->shape.size();
  Dft d;
  d.axis = normalize_axis(axis, r);
  NODE_CHECK(n, d.axis >= 0 && d.axis + 1 < static_cast<int64_t>(r),
             "axis " + std::to_string(axis) + " must name a signal axis (not the last, real/imag one)");
  d.inverse = n.get_int("inverse", 0) != 0;
  d.onesided = n.get_int("onesided", 0) != 0;
  const int64_t len = x->shape[d.axis];
  if (n.input(1)) {
    PT_ASSIGN_OR_RETURN(d.n, const_int(n, 1, "dft_length"));
    NODE_CHECK(n, d.n > 0, "dft_length must be positive");
  } else {
    d.n = d.inverse && d.onesided ? 2 * (len - 1) : len;
    NODE_CHECK(n, d.n > 0, "the signal axis is too short");
  }
  // Inverse one-sided reads bins 0 .. n/2; otherwise samples 0 .. n-1.
  d.length = std::min(len, d.inverse && d.onesided ? d.n / 2 + 1 : d.n);
  return d;
}

Result<Dft> dft_params(const Node& n) {
  int64_t axis = n.opset >= 20 ? -2 : n.get_int("axis", 1);
  if (n.opset >= 20 && n.input(2)) {
    PT_ASSIGN_OR_RETURN(axis, const_int(n, 2, "axis"));
  }
  return dft_params_along(n, axis);
}

Shape dft_output_shape(const Node& n, const Dft& d) {
  Shape s = n.inputs[0]->shape;
  if (d.inverse && d.onesided) {
    s[d.axis] = d.n;
    s.back() = 1;
  } else {
    s[d.axis] = d.onesided ? d.n / 2 + 1 : d.n;
    s.back() = 2;
  }
  return s;
}

// With a run-time axis every signal axis is a candidate: the transform along each, all of
// which must give the same output shape (no onesided and no dft_length, or axes of equal
// length); otherwise the output shape would depend on the value.
Result<std::vector<Dft>> dft_candidates(const Node& n) {
  NODE_CHECK(n, n.input(0), "missing input");
  const Value* a = n.inputs[2];
  NODE_CHECK(n, ir::num_elements(a->shape) == 1, "axis must hold one value");
  NODE_UNSUPPORTED_IF(n, a->dtype != DType::kInt32 && a->dtype != DType::kInt64,
                      std::string("axis must be int32 or int64, is ") + ir::dtype_name(a->dtype));
  const int64_t r = static_cast<int64_t>(n.inputs[0]->shape.size());
  std::vector<Dft> c;
  Status last_error = Status::ok();
  for (int64_t k = 0; k + 1 < r; ++k) {
    Result<Dft> along = dft_params_along(n, k);
    if (!along.is_ok()) {  // an axis the model cannot name (a signal too short to invert): no candidate
      last_error = along.status();
      continue;
    }
    const Dft d = along.value();
    c.push_back(d);
    NODE_UNSUPPORTED_IF(
        n, dft_output_shape(n, d) != dft_output_shape(n, c[0]),
        "axis (input '" + a->name + "') is computed at run time and the output shape depends on it (" +
            ir::shape_to_string(dft_output_shape(n, c[0])) + " along axis " + std::to_string(c[0].axis) + ", " +
            ir::shape_to_string(dft_output_shape(n, d)) + " along axis " + std::to_string(k) +
            "); pt2tflite needs it constant here (a run-time axis is taken when every candidate axis gives the "
            "same shape: no onesided or dft_length, or signal axes of equal length)");
  }
  if (c.empty()) return last_error;
  return c;
}

Status infer_dft(Node& n) {
  if (runtime_dft_axis(n)) {
    PT_ASSIGN_OR_RETURN(std::vector<Dft> c, dft_candidates(n));
    set_output(n, 0, n.inputs[0]->dtype, dft_output_shape(n, c[0]));
    return Status::ok();
  }
  PT_ASSIGN_OR_RETURN(Dft d, dft_params(n));
  set_output(n, 0, n.inputs[0]->dtype, dft_output_shape(n, d));
  return Status::ok();
}

// The transform along d.axis into `out`.
Status lower_dft_along(LowerContext& ctx, Node& n, const Dft& d, Value* out) {
  Value* x = n.inputs[0];
  const int64_t r = static_cast<int64_t>(x->shape.size()), c_in = x->shape.back();
  const Basis b = d.inverse && d.onesided
                      ? inverse_onesided(d.n, d.length, c_in)
                      : complex_dft(d.n, d.length, c_in, d.onesided ? d.n / 2 + 1 : d.n, d.inverse, {});
  // perm moves the axis next to the components; its inverse moves it back.
  std::vector<int64_t> perm, inv(r);
  for (int64_t i = 0; i < r - 1; ++i)
    if (i != d.axis) perm.push_back(i);
  perm.push_back(d.axis);
  perm.push_back(r - 1);
  for (int64_t i = 0; i < r; ++i) inv[perm[i]] = i;
  const bool moved = d.axis != r - 2;
  if (moved) x = ctx.transpose(n, x, perm);
  Shape outer(x->shape.begin(), x->shape.end() - 2);
  int64_t rows = 1;
  for (int64_t v : outer) rows *= v;
  x = ctx.reshape(n, x, {rows, x->shape[r - 2] * c_in});
  Value* y = ctx.temp(n, out->dtype, {rows, b.out * b.c_out}, "dft");
  PT_RETURN_IF_ERROR(apply_basis(ctx, n, x, b, y));
  Shape moved_shape = outer;
  moved_shape.push_back(b.out);
  moved_shape.push_back(b.c_out);
  if (!moved) {
    ctx.reshape(n, y, moved_shape, out);
  } else {
    ctx.transpose(n, ctx.reshape(n, y, moved_shape), inv, out);
  }
  return Status::ok();
}

// A run-time axis: the transform along every candidate axis, the one named picked by
// SELECT_V2 (exact: a copy). An axis out of range leaves the last candidate's.
Status lower_dft(LowerContext& ctx, Node& n) {
  Value* out = n.outputs[0];
  if (!runtime_dft_axis(n)) {
    PT_ASSIGN_OR_RETURN(Dft d, dft_params(n));
    return lower_dft_along(ctx, n, d, out);
  }
  PT_ASSIGN_OR_RETURN(std::vector<Dft> c, dft_candidates(n));
  const int64_t r = static_cast<int64_t>(n.inputs[0]->shape.size());
  Value* picked = nullptr;
  for (size_t i = c.size(); i-- > 0;) {
    Value* y = i == 0 ? out : ctx.temp(n, out->dtype, out->shape, "dft_axis" + std::to_string(c[i].axis));
    if (!picked) {
      PT_RETURN_IF_ERROR(lower_dft_along(ctx, n, c[i], y));
      picked = y;
      continue;
    }
    Value* along = ctx.temp(n, out->dtype, out->shape, "dft_axis" + std::to_string(c[i].axis));
    PT_RETURN_IF_ERROR(lower_dft_along(ctx, n, c[i], along));
    ctx.emit("tfl.SELECT_V2", n, {Arith(ctx, n).axis_is(n.inputs[2], c[i].axis, r), along, picked}, {y});
    picked = y;
  }
  return Status::ok();
}

// --- STFT(signal [batch, length, 1|2], frame_step, window?, frame_length?), onesided (default 1) ---

struct Stft {
  int64_t step = 0, frame = 0, frames = 0, bins = 0;  // step 0, frames -1: computed at run time
};

// frame_step computed at run time (a graph input in ONNX's node tests).
bool runtime_step(const Node& n) { return n.input(1) && !n.inputs[1]->is_const(); }

Result<Stft> stft_params(const Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs signal and frame_step");
  const Value* x = n.inputs[0];
  NODE_UNSUPPORTED_IF(n, !ir::is_static(x->shape),
                      "the signal's shape " + ir::shape_to_string(x->shape) +
                          " is known only at run time; pt2tflite needs a static signal shape for STFT");
  PT_RETURN_IF_ERROR(check_signal(n, x));
  // [batch, signal_length] is read as real, as onnxruntime does (torch.onnx's TorchScript
  // exporter writes it so).
  NODE_CHECK(n, x->shape.size() == 2 || (x->shape.size() == 3 && (x->shape[2] == 1 || x->shape[2] == 2)),
             "signal must be [batch, signal_length, 1 or 2] (or [batch, signal_length], real)");
  Stft s;
  if (runtime_step(n)) {
    const Value* st = n.inputs[1];
    NODE_CHECK(n, ir::num_elements(st->shape) == 1, "frame_step must hold one value");
    NODE_UNSUPPORTED_IF(n, st->dtype != DType::kInt32 && st->dtype != DType::kInt64,
                        std::string("frame_step must be int32 or int64, is ") + ir::dtype_name(st->dtype));
  } else {
    PT_ASSIGN_OR_RETURN(s.step, const_int(n, 1, "frame_step"));
    NODE_CHECK(n, s.step > 0, "frame_step must be positive");
  }
  const Value* w = n.input(2);
  if (w) NODE_CHECK(n, w->shape.size() == 1, "window must be 1-D");
  if (w) NODE_UNSUPPORTED_IF(n, w->shape[0] < 0, "the window's length is known only at run time");
  if (n.input(3)) {
    PT_ASSIGN_OR_RETURN(s.frame, const_int(n, 3, "frame_length"));
    NODE_CHECK(n, !w || w->shape[0] == s.frame,
               "the window's length " + std::to_string(w ? w->shape[0] : 0) + " differs from frame_length " +
                   std::to_string(s.frame));
  } else {
    s.frame = w ? w->shape[0] : x->shape[1];
  }
  NODE_CHECK(n, s.frame > 0 && s.frame <= x->shape[1],
             "frame_length " + std::to_string(s.frame) + " must be in [1, signal_length]");
  // A frame as long as the signal gives one frame whatever the step.
  if (s.step == 0 && s.frame == x->shape[1]) s.step = 1;
  s.frames = s.step == 0 ? -1 : 1 + (x->shape[1] - s.frame) / s.step;
  s.bins = n.get_int("onesided", 1) != 0 ? s.frame / 2 + 1 : s.frame;
  return s;
}

Status infer_stft(Node& n) {
  PT_ASSIGN_OR_RETURN(Stft s, stft_params(n));
  set_output(n, 0, n.inputs[0]->dtype, {n.inputs[0]->shape[0], s.frames, s.bins, 2});
  return Status::ok();
}

// The [frames, frame_length] int32 sample indices of a run-time frame_step:
// RANGE(0, L − frame + 1, step) (the frame starts; their count is the frame count) plus
// 0 .. frame−1. A step ≤ 0 fails in RANGE when the model runs.
Value* runtime_frame_indices(LowerContext& ctx, const Node& n, const Stft& s, int64_t length) {
  Value* step = ctx.reshape(n, ctx.cast(n, n.inputs[1], DType::kInt32), {1});
  Value* step0 = ctx.temp(n, DType::kInt32, {}, "frame_step");
  ctx.emit("tfl.GATHER", n, {step, ctx.constant(n, "first", Tensor::from_int64s(DType::kInt32, {}, {0}))}, {step0})
      ->attrs["axis"] = int64_t{0};
  Value* starts = ctx.temp(n, DType::kInt32, {-1}, "frame_starts");
  ctx.emit("tfl.RANGE", n,
           {ctx.constant(n, "zero", Tensor::from_int64s(DType::kInt32, {}, {0})),
            ctx.constant(n, "limit", Tensor::from_int64s(DType::kInt32, {}, {length - s.frame + 1})), step0},
           {starts});
  std::vector<int64_t> offsets;
  for (int64_t t = 0; t < s.frame; ++t) offsets.push_back(t);
  Value* idx = ctx.temp(n, DType::kInt32, {-1, s.frame}, "frame_indices");
  ctx.emit("tfl.ADD", n, {ctx.reshape(n, starts, {-1, 1}), ctx.const_int32(n, "offsets", offsets, {1, s.frame})},
           {idx});
  return idx;
}

Status lower_stft(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Stft s, stft_params(n));
  Value* x = n.inputs[0];
  const int64_t batch = x->shape[0], c_in = x->shape.size() == 3 ? x->shape[2] : 1;
  Value* w = n.input(2);
  std::vector<double> win;  // empty: a rectangular window
  if (w && w->is_const()) win = w->data->to_doubles();
  Value* indices = nullptr;
  if (s.frames < 0) {
    indices = runtime_frame_indices(ctx, n, s, x->shape[1]);
  } else {
    std::vector<int64_t> idx;
    for (int64_t f = 0; f < s.frames; ++f)
      for (int64_t t = 0; t < s.frame; ++t) idx.push_back(f * s.step + t);
    indices = ctx.const_int32(n, "frame_indices", idx, {s.frames, s.frame});
  }
  Shape framed_shape{batch, s.frames, s.frame};
  if (x->shape.size() == 3) framed_shape.push_back(c_in);
  Value* framed = ctx.temp(n, x->dtype, framed_shape, "frames");
  ctx.emit("tfl.GATHER", n, {x, indices}, {framed})->attrs["axis"] = int64_t{1};
  if (w && !w->is_const()) {
    NODE_UNSUPPORTED_IF(n, w->dtype != DType::kFloat32, "only a float32 window is lowered");
    Value* weighted = ctx.temp(n, x->dtype, framed->shape, "windowed");
    Shape ws{1, 1, s.frame};
    if (x->shape.size() == 3) ws.push_back(1);
    ctx.emit("tfl.MUL", n, {framed, ctx.reshape(n, w, ws)}, {weighted});
    framed = weighted;
  }
  // batch · frames rows (-1: the frame count is known only at run time).
  const int64_t rows = s.frames < 0 ? -1 : batch * s.frames;
  Value* flat = ctx.reshape(n, framed, {rows, s.frame * c_in});
  Value* y = ctx.temp(n, x->dtype, {rows, s.bins * 2}, "dft");
  PT_RETURN_IF_ERROR(apply_basis(ctx, n, flat, complex_dft(s.frame, s.frame, c_in, s.bins, false, win), y));
  ctx.reshape(n, y, n.outputs[0]->shape, n.outputs[0]);
  return Status::ok();
}

}  // namespace

void register_signal(Registry& r) {
  r.add("HannWindow", dynamic({infer_window<Window::kHann>, fold_window<Window::kHann>, lower_window<Window::kHann>}));
  r.add("HammingWindow",
        dynamic({infer_window<Window::kHamming>, fold_window<Window::kHamming>, lower_window<Window::kHamming>}));
  r.add("BlackmanWindow",
        dynamic({infer_window<Window::kBlackman>, fold_window<Window::kBlackman>, lower_window<Window::kBlackman>}));
  r.add("MelWeightMatrix", {infer_mel, fold_mel, lower_mel});
  r.add("DFT", {infer_dft, nullptr, lower_dft});
  // dynamic: a run-time frame_step leaves the frame count known only at run time.
  r.add("STFT", dynamic({infer_stft, nullptr, lower_stft}));
}

}  // namespace pt2tflite::lower
