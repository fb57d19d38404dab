// Sequence and optional ops, resolved at conversion time (expand.h): a sequence is the list of
// tensor values it holds, an optional its element or nothing. Positions and split sizes must
// be constants (after folding and unrolling); the ops that make tensors become tensor ops:
//   SequenceAt → the element itself          SplitToSequence → Slice (or Gather) per piece
//   ConcatFromSequence → Concat (Unsqueeze first with new_axis=1)
//   SequenceLength → a constant              OptionalHasElement → a constant bool
//   SequenceMap → its body inlined once per element
#include <algorithm>

#include "lower/context.h"
#include "lower/expand.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Value;

Result<std::vector<Value*>> seq_input(const ExpandContext& ctx, const Node& n, size_t i) {
  const Value* v = n.input(i);
  NODE_CHECK(n, v, "needs input " + std::to_string(i));
  const auto* s = ctx.sequence(v);
  NODE_CHECK(n, s, "input '" + v->name + "' is not a sequence");
  return *s;
}

// A position input: constant, counted from the end when negative, within [0, limit].
Result<int64_t> position(const Node& n, size_t i, int64_t size, int64_t limit) {
  const Value* v = n.input(i);
  NODE_UNSUPPORTED_IF(n, !v->is_const(),
                      "the position '" + v->name + "' is computed at run time; sequences are resolved at conversion "
                      "time (TFLite has tensors only), so positions must fold to constants");
  NODE_CHECK(n, v->data->size() == 1, "the position must be a scalar");
  int64_t p = v->data->to_int64s()[0];
  if (p < 0) p += size;
  NODE_CHECK(n, p >= 0 && p <= limit,
             "position " + std::to_string(v->data->to_int64s()[0]) + " out of range for a sequence of " +
                 std::to_string(size));
  return p;
}

Status expand_sequence_empty(ExpandContext& ctx, Node& n) {
  ctx.set_sequence(n.outputs[0], {});
  return Status::ok();
}

Status expand_sequence_construct(ExpandContext& ctx, Node& n) {
  for (const Value* v : n.inputs) NODE_CHECK(n, v && ctx.is_tensor(v), "inputs must be tensors");
  ctx.set_sequence(n.outputs[0], n.inputs);
  return Status::ok();
}

Status expand_sequence_at(ExpandContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(auto s, seq_input(ctx, n, 0));
  const int64_t size = static_cast<int64_t>(s.size());
  NODE_CHECK(n, n.input(1), "needs a position");
  PT_ASSIGN_OR_RETURN(int64_t p, position(n, 1, size, size - 1));
  ctx.replace(n.outputs[0], s[static_cast<size_t>(p)]);
  return Status::ok();
}

Status expand_sequence_insert(ExpandContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(auto s, seq_input(ctx, n, 0));
  Value* t = n.input(1);
  NODE_CHECK(n, t && ctx.is_tensor(t), "needs a tensor to insert");
  const int64_t size = static_cast<int64_t>(s.size());
  int64_t p = size;
  if (n.input(2)) {
    PT_ASSIGN_OR_RETURN(p, position(n, 2, size, size));
  }
  s.insert(s.begin() + p, t);
  ctx.set_sequence(n.outputs[0], std::move(s));
  return Status::ok();
}

Status expand_sequence_erase(ExpandContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(auto s, seq_input(ctx, n, 0));
  const int64_t size = static_cast<int64_t>(s.size());
  NODE_CHECK(n, size > 0, "erases from an empty sequence");
  int64_t p = size - 1;
  if (n.input(1)) {
    PT_ASSIGN_OR_RETURN(p, position(n, 1, size, size - 1));
  }
  s.erase(s.begin() + p);
  ctx.set_sequence(n.outputs[0], std::move(s));
  return Status::ok();
}

Status expand_sequence_length(ExpandContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(auto s, seq_input(ctx, n, 0));
  ctx.replace(n.outputs[0],
              ctx.constant(n, "length", ir::Tensor::from_int64s(DType::kInt64, {}, {static_cast<int64_t>(s.size())})));
  return Status::ok();
}

Status expand_split_to_sequence(ExpandContext& ctx, Node& n) {
  Value* x = n.input(0);
  NODE_CHECK(n, x && ctx.is_tensor(x), "needs a tensor input");
  PT_ASSIGN_OR_RETURN(int64_t axis, axis_attr(n, x->shape.size(), 0));
  const int64_t dim = x->shape[axis];
  std::vector<Value*> parts;
  if (!n.input(1)) {  // one piece per index; keepdims=0 drops the axis
    NODE_UNSUPPORTED_IF(n, dim > 4096, "splits into " + std::to_string(dim) + " pieces");
    const bool keep = n.get_int("keepdims", 1) != 0;
    for (int64_t i = 0; i < dim; ++i) {
      if (keep) {
        PT_ASSIGN_OR_RETURN(auto p, ctx.emit("Slice", n, {x}, 1,
                                             {{"starts", std::vector<int64_t>{i}}, {"ends", std::vector<int64_t>{i + 1}},
                                              {"axes", std::vector<int64_t>{axis}}}));
        parts.push_back(p[0]);
      } else {
        Value* idx = ctx.constant(n, "index", ir::Tensor::from_int64s(DType::kInt64, {}, {i}));
        PT_ASSIGN_OR_RETURN(auto p, ctx.emit("Gather", n, {x, idx}, 1, {{"axis", axis}}));
        parts.push_back(p[0]);
      }
    }
  } else {
    const Value* split = n.input(1);
    NODE_UNSUPPORTED_IF(n, !split->is_const(),
                        "the split sizes '" + split->name + "' are computed at run time; sequences are resolved at "
                        "conversion time, so the sizes must fold to constants");
    std::vector<int64_t> sizes = split->data->to_int64s();
    if (split->shape.empty()) {  // a scalar: equal pieces, the last one smaller
      const int64_t chunk = sizes.at(0);
      NODE_CHECK(n, chunk > 0, "split must be positive");
      sizes.clear();
      for (int64_t at = 0; at < dim; at += chunk) sizes.push_back(std::min(chunk, dim - at));
    }
    int64_t at = 0;
    for (int64_t sz : sizes) {
      NODE_CHECK(n, sz >= 0, "split sizes must not be negative");
      PT_ASSIGN_OR_RETURN(auto p, ctx.emit("Slice", n, {x}, 1,
                                           {{"starts", std::vector<int64_t>{at}}, {"ends", std::vector<int64_t>{at + sz}},
                                            {"axes", std::vector<int64_t>{axis}}}));
      parts.push_back(p[0]);
      at += sz;
    }
    NODE_CHECK(n, at == dim, "split sizes add up to " + std::to_string(at) + ", the axis has " + std::to_string(dim));
  }
  ctx.set_sequence(n.outputs[0], std::move(parts));
  return Status::ok();
}

Status expand_concat_from_sequence(ExpandContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(auto s, seq_input(ctx, n, 0));
  NODE_UNSUPPORTED_IF(n, s.empty(), "concatenates an empty sequence (its shape is unknown)");
  NODE_CHECK(n, n.has("axis"), "needs the axis attribute");
  const bool new_axis = n.get_int("new_axis", 0) != 0;
  const size_t rank = s[0]->shape.size() + (new_axis ? 1 : 0);
  PT_ASSIGN_OR_RETURN(int64_t axis, axis_attr(n, rank, 0));
  if (new_axis)
    for (Value*& v : s) {
      PT_ASSIGN_OR_RETURN(auto u, ctx.emit("Unsqueeze", n, {v}, 1, {{"axes", std::vector<int64_t>{axis}}}));
      v = u[0];
    }
  if (s.size() == 1) {
    ctx.replace(n.outputs[0], s[0]);
    return Status::ok();
  }
  PT_ASSIGN_OR_RETURN(auto c, ctx.emit("Concat", n, s, 1, {{"axis", axis}}));
  ctx.replace(n.outputs[0], c[0]);
  return Status::ok();
}

Status expand_sequence_map(ExpandContext& ctx, Node& n) {
  auto it = n.subgraphs.find("body");
  NODE_CHECK(n, it != n.subgraphs.end(), "needs the graph attribute 'body'");
  const ir::Graph& body = *it->second;
  const size_t formal = n.inputs.size() - static_cast<size_t>(n.captured);
  PT_ASSIGN_OR_RETURN(auto first, seq_input(ctx, n, 0));
  const size_t len = first.size();
  for (size_t j = 0; j < formal; ++j)
    if (const auto* s = ctx.sequence(n.inputs[j]))
      NODE_CHECK(n, s->size() == len, "input sequences have different lengths");
  NODE_CHECK(n, body.outputs.size() == n.outputs.size(), "the body's outputs do not match the node's");
  std::vector<std::vector<Value*>> outs(n.outputs.size());
  for (size_t i = 0; i < len; ++i) {
    std::vector<Value*> args;
    for (size_t j = 0; j < n.inputs.size(); ++j) {
      const auto* s = j < formal ? ctx.sequence(n.inputs[j]) : nullptr;
      args.push_back(s ? (*s)[i] : n.inputs[j]);
    }
    PT_ASSIGN_OR_RETURN(auto r, ctx.inline_graph(body, args, n, "elem" + std::to_string(i)));
    for (size_t k = 0; k < r.size(); ++k) outs[k].push_back(r[k]);
  }
  for (size_t k = 0; k < outs.size(); ++k) ctx.set_sequence(n.outputs[k], std::move(outs[k]));
  return Status::ok();
}

Status expand_optional(ExpandContext& ctx, Node& n) {
  ctx.set_optional(n.outputs[0], n.input(0));  // no input: an empty optional of the 'type' attribute
  return Status::ok();
}

Status expand_optional_has_element(ExpandContext& ctx, Node& n) {
  const Value* v = n.input(0);
  // Opset 18 also takes a tensor or sequence (present) or nothing (absent).
  const bool has = v && (!ctx.is_optional(v) || ctx.optional_element(v) != nullptr);
  ctx.replace(n.outputs[0], ctx.constant(n, "has_element",
                                         ir::Tensor::from_raw<uint8_t>(DType::kBool, {}, {static_cast<uint8_t>(has)})));
  return Status::ok();
}

Status expand_optional_get_element(ExpandContext& ctx, Node& n) {
  Value* v = n.input(0);
  NODE_CHECK(n, v, "needs an input");
  Value* element = ctx.is_optional(v) ? ctx.optional_element(v) : v;
  NODE_CHECK(n, element, "the optional '" + v->name + "' is empty");
  if (const auto* s = ctx.sequence(element)) {
    ctx.set_sequence(n.outputs[0], *s);
  } else {
    ctx.replace(n.outputs[0], element);
  }
  return Status::ok();
}

}  // namespace

void register_sequence(Registry& r) {
  r.add("SequenceEmpty", expand_only(expand_sequence_empty));
  r.add("SequenceConstruct", expand_only(expand_sequence_construct));
  r.add("SequenceAt", expand_only(expand_sequence_at));
  r.add("SequenceInsert", expand_only(expand_sequence_insert));
  r.add("SequenceErase", expand_only(expand_sequence_erase));
  r.add("SequenceLength", expand_only(expand_sequence_length));
  r.add("SplitToSequence", expand_only(expand_split_to_sequence));
  r.add("ConcatFromSequence", expand_only(expand_concat_from_sequence));
  r.add("SequenceMap", expand_only(expand_sequence_map));
  r.add("Optional", expand_only(expand_optional));
  r.add("OptionalHasElement", expand_only(expand_optional_has_element));
  r.add("OptionalGetElement", expand_only(expand_optional_get_element));
}

}  // namespace pt2tflite::lower
