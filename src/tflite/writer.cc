#include "tflite/writer.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "tflite/op_table.h"
#include "tflite/quantized_versions.h"

namespace pt2tflite::tflite_writer {

namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

class ModelWriter {
 public:
  // The builder starts at the size of the weights (plus room for the tables), so it does
  // not grow by doubling: peak memory stays near one copy of the model.
  explicit ModelWriter(const ir::Graph& g) : g_(g), fbb_(initial_size(g)) {}

  static size_t initial_size(const ir::Graph& g) {
    size_t bytes = 1 << 16;
    for (const auto& v : g.values())
      if (v->is_const()) bytes += v->data->bytes.size() + 64;
    return bytes + 256 * g.nodes().size();
  }

  Status write(const WriteOptions& opt, const ByteSink& sink) {
    PT_RETURN_IF_ERROR(check_ops());
    // Buffer 0 is the empty sentinel that every non-constant tensor points to.
    buffers_.push_back(tflite::CreateBuffer(fbb_));
    for (ir::Value* v : g_.inputs) tensor_index(v);
    std::vector<Offset<tflite::Operator>> ops;
    for (const auto& n : g_.nodes()) ops.push_back(write_operator(*n));
    for (ir::Value* v : g_.outputs) tensor_index(v);

    std::vector<int32_t> inputs, outputs;
    for (ir::Value* v : g_.inputs) inputs.push_back(tensor_index(v));
    for (ir::Value* v : g_.outputs) outputs.push_back(tensor_index(v));

    std::vector<Offset<tflite::Tensor>> tensors;
    for (const ir::Value* v : tensor_order_) tensors.push_back(write_tensor(*v));
    auto subgraph = tflite::CreateSubGraphDirect(fbb_, &tensors, &inputs, &outputs, &ops, g_.name.c_str());

    std::vector<Offset<tflite::OperatorCode>> codes;
    for (const auto& [code, version] : opcodes_) {
      const int32_t c = static_cast<int32_t>(code);
      // Codes past 127 live in builtin_code; the old byte field holds the placeholder.
      const int8_t deprecated = static_cast<int8_t>(std::min<int32_t>(c, 127));
      codes.push_back(tflite::CreateOperatorCode(fbb_, deprecated, 0, version, code));
    }

    std::vector<Offset<tflite::TensorMap>> sig_in, sig_out;
    for (size_t i = 0; i < g_.inputs.size(); ++i)
      sig_in.push_back(tflite::CreateTensorMapDirect(fbb_, g_.inputs[i]->name.c_str(), inputs[i]));
    for (size_t i = 0; i < g_.outputs.size(); ++i)
      sig_out.push_back(tflite::CreateTensorMapDirect(fbb_, g_.outputs[i]->name.c_str(), outputs[i]));
    std::vector<Offset<tflite::SignatureDef>> sigs{
        tflite::CreateSignatureDefDirect(fbb_, &sig_in, &sig_out, opt.signature_key.c_str(), 0)};

    std::vector<Offset<tflite::SubGraph>> subgraphs{subgraph};
    auto model = tflite::CreateModelDirect(fbb_, /*version=*/3, &codes, &subgraphs, opt.description.c_str(),
                                           &buffers_, nullptr, nullptr, &sigs);
    tflite::FinishModelBuffer(fbb_, model);

    flatbuffers::Verifier verifier(fbb_.GetBufferPointer(), fbb_.GetSize());
    if (!tflite::VerifyModelBuffer(verifier)) return internal_error("the written flatbuffer fails verification");
    return sink(fbb_.GetBufferPointer(), fbb_.GetSize());
  }

 private:
  Status check_ops() {
    std::map<std::string, std::string> unknown;
    for (const auto& n : g_.nodes())
      if (!find_op(n->op)) unknown.emplace(n->op, n->name);
    if (unknown.empty()) return Status::ok();
    std::string msg = "the TFLite writer cannot emit:";
    for (const auto& [op, name] : unknown) msg += " " + op + " (node '" + name + "')";
    return internal_error(msg);
  }

  int32_t tensor_index(const ir::Value* v) {
    if (!v) return -1;
    auto it = index_.find(v);
    if (it != index_.end()) return it->second;
    const int32_t i = static_cast<int32_t>(tensor_order_.size());
    index_[v] = i;
    tensor_order_.push_back(v);
    return i;
  }

  uint32_t write_buffer(const ir::Tensor& t) {
    fbb_.ForceVectorAlignment(t.bytes.size(), sizeof(uint8_t), 16);
    auto data = fbb_.CreateVector(t.bytes);
    buffers_.push_back(tflite::CreateBuffer(fbb_, data));
    return static_cast<uint32_t>(buffers_.size() - 1);
  }

  Offset<tflite::Tensor> write_tensor(const ir::Value& v) {
    // An extent known only at run time is -1 in shape_signature and 1 in shape, as TFLite's
    // own converter writes it: the interpreter resizes such tensors when an op computes them.
    std::vector<int32_t> shape(v.shape.begin(), v.shape.end());
    const bool dynamic = !ir::is_static(v.shape);
    std::vector<int32_t> signature = shape;
    for (int32_t& d : shape) d = d < 0 ? 1 : d;
    const uint32_t buffer = v.is_const() ? write_buffer(*v.data) : 0;
    Offset<tflite::QuantizationParameters> quant = 0;
    if (v.quant) {
      quant = tflite::CreateQuantizationParametersDirect(fbb_, nullptr, nullptr, &v.quant->scale, &v.quant->zero_point,
                                                         tflite::QuantizationDetails::NONE, 0, v.quant->axis);
    }
    auto shape_vec = fbb_.CreateVector(shape);
    Offset<flatbuffers::Vector<int32_t>> signature_vec = 0;
    if (dynamic) signature_vec = fbb_.CreateVector(signature);
    auto name = fbb_.CreateString(v.name);
    tflite::TensorBuilder b(fbb_);
    b.add_shape(shape_vec);
    b.add_type(tensor_type(v.dtype));
    b.add_buffer(buffer);
    b.add_name(name);
    if (!quant.IsNull()) b.add_quantization(quant);
    if (v.is_variable) b.add_is_variable(true);
    if (dynamic) b.add_shape_signature(signature_vec);
    b.add_has_rank(true);
    return b.Finish();
  }

  Offset<tflite::Operator> write_operator(const ir::Node& n) {
    const OpInfo& info = *find_op(n.op);
    const int version = std::max(info.version ? info.version(n) : 1, quantized_version(n));
    auto it = std::find_if(opcodes_.begin(), opcodes_.end(), [&](const auto& p) { return p.first == info.code; });
    uint32_t opcode_index;
    if (it == opcodes_.end()) {
      opcode_index = static_cast<uint32_t>(opcodes_.size());
      opcodes_.emplace_back(info.code, version);
    } else {
      opcode_index = static_cast<uint32_t>(it - opcodes_.begin());
      it->second = std::max(it->second, version);
    }
    std::vector<int32_t> inputs, outputs;
    for (const ir::Value* v : n.inputs) inputs.push_back(tensor_index(v));
    for (const ir::Value* v : n.outputs) outputs.push_back(tensor_index(v));
    Offset<void> options = info.build_options ? info.build_options(fbb_, n) : Offset<void>();
    return tflite::CreateOperatorDirect(fbb_, opcode_index, &inputs, &outputs,
                                        info.build_options ? info.options_type : tflite::BuiltinOptions::NONE, options);
  }

  const ir::Graph& g_;
  FlatBufferBuilder fbb_;
  std::vector<Offset<tflite::Buffer>> buffers_;
  std::vector<std::pair<tflite::BuiltinOperator, int>> opcodes_;  // in order of first use
  std::unordered_map<const ir::Value*, int32_t> index_;
  std::vector<const ir::Value*> tensor_order_;
};

}  // namespace

Status write_model(const ir::Graph& g, const WriteOptions& options, const ByteSink& sink) {
  ModelWriter w(g);
  return w.write(options, sink);
}

Result<std::vector<uint8_t>> write_model(const ir::Graph& g, const WriteOptions& options) {
  std::vector<uint8_t> out;
  PT_RETURN_IF_ERROR(write_model(g, options, [&out](const uint8_t* data, size_t size) {
    out.assign(data, data + size);
    return Status::ok();
  }));
  return out;
}

}  // namespace pt2tflite::tflite_writer
