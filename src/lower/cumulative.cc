#include "lower/cumulative.h"

#include "lower/context.h"

namespace pt2tflite::lower {

bool runtime_axis(const ir::Node& n) {
  return n.input(1) && !n.inputs[1]->is_const() && n.inputs[0]->shape.size() > 1;
}

Result<int64_t> cumulative_axis(const ir::Node& n) {
  const ir::Value* a_in = n.input(1);
  if (a_in && !a_in->is_const() && n.inputs[0]->shape.size() == 1) {
    NODE_CHECK(n, ir::num_elements(a_in->shape) == 1, "axis must hold one value");
    return 0;
  }
  PT_ASSIGN_OR_RETURN(std::vector<int64_t> a, const_ints(n, 1, "axis"));
  NODE_CHECK(n, a.size() == 1, "axis must hold one value");
  const int64_t axis = normalize_axis(a[0], n.inputs[0]->shape.size());
  NODE_CHECK(n, axis >= 0, "axis " + std::to_string(a[0]) + " out of range");
  return axis;
}

Status infer_cumulative(ir::Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs x and axis");
  NODE_CHECK(n, !n.inputs[0]->shape.empty(), "input must have rank >= 1");
  if (runtime_axis(n)) {  // checked when it runs (CumSum) or refused by the lowering (CumProd)
    NODE_CHECK(n, ir::num_elements(n.inputs[1]->shape) == 1, "axis must hold one value");
  } else {
    PT_ASSIGN_OR_RETURN(int64_t axis, cumulative_axis(n));
    (void)axis;  // checked only
  }
  set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
  return Status::ok();
}

Result<std::vector<ir::Tensor>> fold_cumulative(const ir::Node& n, bool product) {
  PT_ASSIGN_OR_RETURN(int64_t axis, cumulative_axis(n));
  const ir::Tensor& t = *n.inputs[0]->data;
  const bool exclusive = n.get_int("exclusive", 0) != 0, reverse = n.get_int("reverse", 0) != 0;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= t.shape[d];
  for (size_t d = axis + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
  const int64_t extent = t.shape[axis];
  const bool fl = ir::is_float(t.dtype);
  const std::vector<double> xf = fl ? t.to_doubles() : std::vector<double>{};
  const std::vector<int64_t> xi = fl ? std::vector<int64_t>{} : t.to_int64s();
  std::vector<double> of(xf.size());
  std::vector<int64_t> oi(xi.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double af = product ? 1 : 0;
      uint64_t ai = product ? 1 : 0;  // unsigned: wrap-around, as the kernels do
      for (int64_t s = 0; s < extent; ++s) {
        const int64_t k = reverse ? extent - 1 - s : s;
        const int64_t at = (o * extent + k) * inner + i;
        if (exclusive) (fl ? of[at] = af : oi[at] = static_cast<int64_t>(ai));
        if (fl)
          af = product ? af * xf[at] : af + xf[at];
        else
          ai = product ? ai * static_cast<uint64_t>(xi[at]) : ai + static_cast<uint64_t>(xi[at]);
        if (!exclusive) (fl ? of[at] = af : oi[at] = static_cast<int64_t>(ai));
      }
    }
  return std::vector<ir::Tensor>{fl ? ir::Tensor::from_doubles(t.dtype, t.shape, of)
                                    : ir::Tensor::from_int64s(t.dtype, t.shape, oi)};
}

}  // namespace pt2tflite::lower
