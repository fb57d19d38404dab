#include "tflite/reader.h"

#include <algorithm>

#include "tflite/schema_generated.h"

namespace pt2tflite::tflite_writer {

Result<ModelInfo> read_model(const uint8_t* data, size_t size) {
  if (size < 8 || !tflite::ModelBufferHasIdentifier(data))
    return invalid_model("not a TFLite file (no TFL3 identifier)");
  flatbuffers::Verifier verifier(data, size);
  if (!tflite::VerifyModelBuffer(verifier)) return invalid_model("TFLite flatbuffer fails verification");
  const tflite::Model* m = tflite::GetModel(data);
  ModelInfo info;
  info.file_bytes = size;
  info.schema_version = m->version();
  if (m->description()) info.description = m->description()->str();
  if (!m->subgraphs() || m->subgraphs()->size() == 0) return invalid_model("TFLite model has no subgraph");
  info.subgraphs = m->subgraphs()->size();
  const tflite::SubGraph* sg = m->subgraphs()->Get(0);
  auto buffers = m->buffers();
  if (sg->tensors()) {
    for (const tflite::Tensor* t : *sg->tensors()) {
      TensorInfo ti;
      if (t->name()) ti.name = t->name()->str();
      if (t->shape()) ti.shape.assign(t->shape()->begin(), t->shape()->end());
      // Extents known only at run time: the signature says -1 where shape says 1.
      if (t->shape_signature() && t->shape_signature()->size() == ti.shape.size())
        ti.shape.assign(t->shape_signature()->begin(), t->shape_signature()->end());
      ti.type = tflite::EnumNameTensorType(t->type());
      ti.is_variable = t->is_variable();
      if (buffers && t->buffer() < buffers->size()) {
        const tflite::Buffer* b = buffers->Get(t->buffer());
        if (b && b->data()) ti.data_bytes = b->data()->size();
      }
      if (const auto* q = t->quantization()) {
        if (q->scale()) ti.scale.assign(q->scale()->begin(), q->scale()->end());
        if (q->zero_point()) ti.zero_point.assign(q->zero_point()->begin(), q->zero_point()->end());
        ti.quantized_dimension = q->quantized_dimension();
      }
      info.tensors.push_back(std::move(ti));
    }
  }
  if (sg->operators()) {
    for (const tflite::Operator* op : *sg->operators()) {
      OperatorInfo oi;
      const auto* codes = m->operator_codes();
      if (!codes || op->opcode_index() >= codes->size()) return invalid_model("operator refers to a missing opcode");
      const tflite::OperatorCode* code = codes->Get(op->opcode_index());
      // Readers take the larger of the two fields: old files only set the byte one.
      const int32_t c = std::max<int32_t>(static_cast<int32_t>(code->builtin_code()),
                                          static_cast<int32_t>(code->deprecated_builtin_code()));
      if (static_cast<tflite::BuiltinOperator>(c) == tflite::BuiltinOperator::CUSTOM && code->custom_code())
        oi.op = "CUSTOM:" + code->custom_code()->str();
      else if (c >= 0 && c <= static_cast<int32_t>(tflite::BuiltinOperator::MAX))
        oi.op = tflite::EnumNameBuiltinOperator(static_cast<tflite::BuiltinOperator>(c));
      if (oi.op.empty()) oi.op = "BUILTIN_" + std::to_string(c);
      oi.version = code->version();
      if (op->inputs()) oi.inputs.assign(op->inputs()->begin(), op->inputs()->end());
      if (op->outputs()) oi.outputs.assign(op->outputs()->begin(), op->outputs()->end());
      info.operators.push_back(std::move(oi));
    }
  }
  if (sg->inputs()) info.inputs.assign(sg->inputs()->begin(), sg->inputs()->end());
  if (sg->outputs()) info.outputs.assign(sg->outputs()->begin(), sg->outputs()->end());
  if (m->signature_defs() && m->signature_defs()->size() > 0) {
    const auto* sig = m->signature_defs()->Get(0);
    if (sig->inputs())
      for (const auto* tm : *sig->inputs()) info.signature_inputs.push_back(tm->name() ? tm->name()->str() : "");
    if (sig->outputs())
      for (const auto* tm : *sig->outputs()) info.signature_outputs.push_back(tm->name() ? tm->name()->str() : "");
  }
  return info;
}

}  // namespace pt2tflite::tflite_writer
