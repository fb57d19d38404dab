// The reference kernel interface and the table that maps tfl.* op names to kernels.
//
// A kernel computes one tfl.* node on float32 (and, for shape and index ops, integer and
// bool) tensors. It reads the node exactly as the TFLite writer writes it
// (src/tflite/op_table.cc): inputs and outputs in TFLite's order, options from attributes,
// and a missing attribute takes the writer's default. So what the interpreter computes is
// what LiteRT computes on the written file, up to float rounding.
//
// Kernel families register through an explicit register_<family>_kernels() listed in
// register_all.cc (static self-registration objects get dropped by static linking).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "pt2tflite/status.h"

namespace pt2tflite::exec {

// One node's operands. `in[i]` is nullptr for an omitted optional input. `out[i]` is
// already allocated with output i's dtype and static shape (bytes zeroed).
struct KernelIO {
  std::vector<const ir::Tensor*> in;
  std::vector<ir::Tensor*> out;
};

// Returns an error message without the node prefix; the interpreter adds it.
using Kernel = Status (*)(const ir::Node& node, KernelIO& io);

class KernelTable {
 public:
  void add(const std::string& op, Kernel k) { kernels_[op] = k; }
  Kernel find(const std::string& op) const {
    auto it = kernels_.find(op);
    return it == kernels_.end() ? nullptr : it->second;
  }
  std::vector<std::string> ops() const {
    std::vector<std::string> out;
    for (const auto& [name, k] : kernels_) out.push_back(name);
    return out;
  }

 private:
  std::map<std::string, Kernel> kernels_;
};

// The table with every family registered (built once, thread-safe).
const KernelTable& kernels();

// One line per family: defined in kernels_<family>.cc, called from register_all.cc.
void register_conv_kernels(KernelTable& t);
void register_pool_kernels(KernelTable& t);
void register_elementwise_kernels(KernelTable& t);
void register_shape_kernels(KernelTable& t);
void register_misc_kernels(KernelTable& t);
void register_math_kernels(KernelTable& t);  // kernels_math.cc: ATAN2 LRN BITWISE_XOR RIGHT_SHIFT
void register_index_kernels(KernelTable& t);  // kernels_index.cc: TOPK_V2 CUMSUM ONE_HOT SCATTER_ND
void register_recurrent_kernels(KernelTable& t);  // kernels_recurrent.cc: UNIDIRECTIONAL_SEQUENCE_LSTM

}  // namespace pt2tflite::exec
