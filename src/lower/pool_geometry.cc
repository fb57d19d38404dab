#include "lower/pool_geometry.h"

#include "lower/context.h"

namespace pt2tflite::lower {

Status read_pool_geometry(const ir::Node& n, PoolGeometry* g) {
  NODE_CHECK(n, n.input(0), "missing input");
  const ir::Shape& x = n.inputs[0]->shape;
  NODE_CHECK(n, x.size() >= 3, "input must be [N, C, spatial...], got " + ir::shape_to_string(x));
  const size_t k = x.size() - 2;
  NODE_CHECK(n, n.has("kernel_shape"), "kernel_shape is required");
  const auto kernel = n.get_ints("kernel_shape");
  const auto strides = n.get_ints("strides", std::vector<int64_t>(k, 1));
  const auto dil = n.get_ints("dilations", std::vector<int64_t>(k, 1));
  const auto pads = n.get_ints("pads", std::vector<int64_t>(2 * k, 0));
  NODE_CHECK(n, kernel.size() == k && strides.size() == k && dil.size() == k && pads.size() == 2 * k,
             "kernel_shape/strides/dilations/pads do not match the input rank " + std::to_string(x.size()));
  const bool ceil_mode = n.get_int("ceil_mode", 0) != 0;
  const std::string auto_pad = n.get_string("auto_pad", "NOTSET");
  g->count_include_pad = n.get_int("count_include_pad", 0) != 0;
  g->axes.clear();
  g->out.clear();
  for (size_t i = 0; i < k; ++i) {
    ir::AxisWindow a{x[2 + i], kernel[i], strides[i], dil[i], pads[i], pads[k + i]};
    NODE_CHECK(n, a.kernel >= 1 && a.stride >= 1 && a.dilation >= 1, "non-positive kernel, stride or dilation");
    NODE_CHECK(n, a.pad_begin >= 0 && a.pad_end >= 0, "negative pads");
    ir::apply_auto_pad(auto_pad, &a);
    const int64_t out = ir::window_output_size(a, ceil_mode);
    NODE_CHECK(n, out > 0, "the window does not fit the input along spatial axis " + std::to_string(i));
    g->axes.push_back(a);
    g->out.push_back(out);
  }
  return Status::ok();
}

}  // namespace pt2tflite::lower
