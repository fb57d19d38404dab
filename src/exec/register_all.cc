// The one place every kernel family is registered.
#include "exec/kernel.h"

namespace pt2tflite::exec {

const KernelTable& kernels() {
  static const KernelTable table = [] {
    KernelTable t;
    register_conv_kernels(t);
    register_pool_kernels(t);
    register_elementwise_kernels(t);
    register_shape_kernels(t);
    register_misc_kernels(t);
    register_math_kernels(t);
    register_index_kernels(t);
    register_recurrent_kernels(t);
    return t;
  }();
  return table;
}

}  // namespace pt2tflite::exec
