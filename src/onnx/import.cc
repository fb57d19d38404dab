#include "onnx/import.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "onnx/tensor_proto.h"

namespace pt2tflite::onnx_import {

namespace {

using ir::DType;
using ir::Graph;
using ir::Value;

struct TypeHint {
  DType dtype = DType::kFloat32;
  ir::Shape shape;
  std::vector<std::string> dim_names;  // symbolic names, "" where numeric
  bool has_shape = false;
};

Result<TypeHint> hint_from_type(const onnx::TypeProto& type, const std::string& context) {
  TypeHint h;
  if (!type.has_tensor_type())
    return unsupported(context + " is not a tensor (sequence/map/optional types have no TFLite form; inside the "
                       "model they are resolved at conversion time, but not as model inputs or outputs)");
  const auto& tt = type.tensor_type();
  PT_ASSIGN_OR_RETURN(h.dtype, dtype_from_onnx(tt.elem_type(), context));
  if (tt.has_shape()) {
    h.has_shape = true;
    for (const auto& d : tt.shape().dim()) {
      if (d.has_dim_value() && d.dim_value() >= 0) {
        h.shape.push_back(d.dim_value());
        h.dim_names.emplace_back();
      } else {
        h.shape.push_back(-1);
        h.dim_names.push_back(d.has_dim_param() ? d.dim_param() : "?");
      }
    }
  }
  return h;
}

// A TENSOR attribute of one element (ConstantOfShape's value) becomes a number plus its dtype.
// In other domains (ai.onnx.ml: LabelEncoder's keys_tensor, TreeEnsemble's nodes_splits) a
// tensor attribute is a list: integers as ints, floats as floats, strings as strings, plus
// "<name>_dtype" (the ir::DType, or kStringTensorAttr for strings, which TFLite lacks).
Status add_tensor_attribute(const onnx::AttributeProto& a, const std::string& base_dir, bool list, ir::Node* n) {
  if (list) {
    if (a.t().data_type() == onnx::TensorProto::STRING) {
      n->attrs[a.name()] = std::vector<std::string>(a.t().string_data().begin(), a.t().string_data().end());
      n->attrs[a.name() + "_dtype"] = kStringTensorAttr;
      return Status::ok();
    }
    PT_ASSIGN_OR_RETURN(ir::Tensor t, tensor_from_proto(a.t(), base_dir));
    if (ir::is_float(t.dtype))
      n->attrs[a.name()] = t.to_doubles();
    else
      n->attrs[a.name()] = t.to_int64s();
    n->attrs[a.name() + "_dtype"] = static_cast<int64_t>(t.dtype);
    return Status::ok();
  }
  PT_ASSIGN_OR_RETURN(ir::Tensor t, tensor_from_proto(a.t(), base_dir));
  if (t.size() != 1)
    return unsupported(n->describe() + ": tensor attribute '" + a.name() + "' with " +
                       std::to_string(t.size()) + " elements");
  auto d = t.to_doubles();
  n->attrs[a.name()] = d[0];
  n->attrs[a.name() + "_dtype"] = static_cast<int64_t>(t.dtype);
  return Status::ok();
}

Status add_attributes(const onnx::NodeProto& np, const std::string& base_dir, bool default_domain, ir::Node* n) {
  for (const auto& a : np.attribute()) {
    switch (a.type()) {
      case onnx::AttributeProto::INT: n->attrs[a.name()] = static_cast<int64_t>(a.i()); break;
      case onnx::AttributeProto::FLOAT: n->attrs[a.name()] = static_cast<double>(a.f()); break;
      case onnx::AttributeProto::STRING: n->attrs[a.name()] = a.s(); break;
      case onnx::AttributeProto::INTS:
        n->attrs[a.name()] = std::vector<int64_t>(a.ints().begin(), a.ints().end());
        break;
      case onnx::AttributeProto::FLOATS:
        n->attrs[a.name()] = std::vector<double>(a.floats().begin(), a.floats().end());
        break;
      case onnx::AttributeProto::STRINGS:
        n->attrs[a.name()] = std::vector<std::string>(a.strings().begin(), a.strings().end());
        break;
      case onnx::AttributeProto::TENSOR:
        PT_RETURN_IF_ERROR(add_tensor_attribute(a, base_dir, !default_domain, n));
        break;
      default:
        // GRAPH attributes are imported as subgraphs (import_subgraphs, which erases this
        // marker); other kinds (GRAPHS, sparse tensors, type protos) are left out and the
        // op's rule refuses them.
        n->attrs[a.name() + "_unsupported_attribute"] = static_cast<int64_t>(a.type());
        break;
    }
  }
  return Status::ok();
}

// The Constant op: its single attribute is the tensor.
Result<ir::Tensor> constant_value(const onnx::NodeProto& np, const std::string& base_dir) {
  for (const auto& a : np.attribute()) {
    if (a.name() == "value") return tensor_from_proto(a.t(), base_dir);
    if (a.name() == "value_float") return ir::Tensor::from_floats({}, {a.f()});
    if (a.name() == "value_floats")
      return ir::Tensor::from_floats({a.floats_size()}, std::vector<float>(a.floats().begin(), a.floats().end()));
    if (a.name() == "value_int") return ir::Tensor::from_int64s(DType::kInt64, {}, {a.i()});
    if (a.name() == "value_ints")
      return ir::Tensor::from_int64s(DType::kInt64, {a.ints_size()},
                                     std::vector<int64_t>(a.ints().begin(), a.ints().end()));
  }
  return unsupported("Constant node '" + np.name() + "' has no supported value attribute (sparse and string constants are not supported)");
}

// Fixes symbolic input dimensions from --input-shape / --batch, or explains what to pass.
Status fix_input_shape(const std::string& name, const ImportOptions& opt, TypeHint* h,
                       std::set<std::string>* used_overrides) {
  for (const auto& [n, dims] : opt.input_shapes) {
    if (n != name) continue;
    used_overrides->insert(n);
    if (h->has_shape && dims.size() != h->shape.size())
      return invalid_argument("--input-shape " + name + ": gives " + std::to_string(dims.size()) +
                              " dimensions, but the model's input has rank " + std::to_string(h->shape.size()));
    for (size_t i = 0; i < dims.size() && h->has_shape; ++i)
      if (h->shape[i] >= 0 && h->shape[i] != dims[i])
        return invalid_argument("--input-shape " + name + ": dimension " + std::to_string(i) + " is fixed to " +
                                std::to_string(h->shape[i]) + " in the model, not " + std::to_string(dims[i]));
    h->shape = dims;
    h->has_shape = true;
    return Status::ok();
  }
  if (!h->has_shape)
    return invalid_argument("input '" + name + "' has no shape in the model: give --input-shape " + name + ":D0,D1,...");
  if (!h->shape.empty() && h->shape[0] < 0 && opt.batch > 0) h->shape[0] = opt.batch;
  for (size_t i = 0; i < h->shape.size(); ++i) {
    if (h->shape[i] >= 0) continue;
    return invalid_argument("input '" + name + "' has symbolic dimension '" + h->dim_names[i] + "' at axis " +
                            std::to_string(i) + " (shape " + ir::shape_to_string(h->shape) +
                            "): fix it with --batch N" + std::string(i == 0 ? "" : " (axis 0 only)") +
                            " or --input-shape " + name + ":D0,D1,...");
  }
  return Status::ok();
}

// Imports one graph: the model's main graph, or (recursively) a subgraph of If/Loop/Scan.
// `outer_defines` tells whether an enclosing graph defines a name; a subgraph reading such a
// name gets it as an extra input, listed in *captured (see ir::Node::subgraphs). The main
// graph gets nullptr for both.
class GraphImporter {
 public:
  // `opset`: the default domain's version (0 when the model imports none); `domains`: the
  // version of every other imported domain (ai.onnx.ml).
  GraphImporter(const ImportOptions& opt, const std::string& path, int opset, std::map<std::string, int> domains)
      : opt_(opt), path_(path), opset_(opset), domains_(std::move(domains)) {}

  // `release`: the same graph, mutable, whose initializer bytes are freed once converted
  // (peak memory; the main graph only).
  Result<Graph> import(const onnx::GraphProto& gp, const std::function<bool(const std::string&)>* outer_defines,
                       std::vector<std::string>* captured, onnx::GraphProto* release = nullptr);

 private:
  using Lookup = std::function<Value*(const std::string&)>;
  // The node's GRAPH attributes become closed subgraphs sharing one capture list: each gets
  // an input for every captured name (unused ones too), and the node reads the outer values.
  Status import_subgraphs(const onnx::NodeProto& np, const std::function<bool(const std::string&)>& defines,
                          const Lookup& lookup, ir::Node* n);

  const ImportOptions& opt_;
  const std::string& path_;
  int opset_;
  std::map<std::string, int> domains_;
};

Result<Graph> GraphImporter::import(const onnx::GraphProto& gp,
                                    const std::function<bool(const std::string&)>* outer_defines,
                                    std::vector<std::string>* captured, onnx::GraphProto* release) {
  const bool top = outer_defines == nullptr;
  const std::string& path = path_;
  const ImportOptions& opt = opt_;
  Graph g;
  g.name = gp.name().empty() ? "main" : gp.name();
  std::map<std::string, Value*> by_name;

  for (int i = 0; i < gp.initializer_size(); ++i) {
    const onnx::TensorProto& init = gp.initializer(i);
    auto t = tensor_from_proto(init, opt.base_dir);
    if (!t.is_ok()) return Status::error(t.status().kind(), path + ": " + t.status().message());
    by_name[init.name()] = g.add_const(init.name(), std::move(t).value());
    // Peak memory: the weights live in the IR now; their protobuf copy goes one by one.
    if (release) std::string().swap(*release->mutable_initializer(i)->mutable_raw_data());
  }
  std::map<std::string, TypeHint> hints;
  for (const auto& vi : gp.value_info()) {
    auto h = hint_from_type(vi.type(), "value '" + vi.name() + "'");
    if (h.is_ok()) hints[vi.name()] = h.value();
  }

  if (top) {
    // Check --input-shape names first: a typo should not surface as "symbolic dimension".
    std::set<std::string> input_names;
    for (const auto& in : gp.input())
      if (!by_name.count(in.name())) input_names.insert(in.name());
    for (const auto& [n, dims] : opt.input_shapes)
      if (!input_names.count(n)) {
        std::string names;
        for (const auto& name : input_names) names += (names.empty() ? "" : ", ") + name;
        return invalid_argument("--input-shape names '" + n + "', which is not a model input (inputs: " + names + ")");
      }
  }
  std::set<std::string> used_overrides;
  for (const auto& in : gp.input()) {
    if (by_name.count(in.name())) continue;  // old exporters list initializers as inputs too
    Value* v = nullptr;
    if (top) {
      auto h = hint_from_type(in.type(), "input '" + in.name() + "'");
      if (!h.is_ok()) return Status::error(h.status().kind(), path + ": " + h.status().message());
      PT_RETURN_IF_ERROR(fix_input_shape(in.name(), opt, &h.value(), &used_overrides));
      v = g.add_value(in.name(), h->dtype, h->shape);
    } else {
      // A subgraph's formal inputs (Loop's iteration number, carried values) take the type
      // of what the node passes in when the subgraph is inlined; sequences are allowed here.
      auto h = hint_from_type(in.type(), "input '" + in.name() + "'");
      v = g.add_value(in.name(), h.is_ok() ? h->dtype : DType::kFloat32, {-1});
    }
    g.inputs.push_back(v);
    by_name[in.name()] = v;
  }

  // Names this graph reads from an enclosing one become inputs after the formal ones.
  const Lookup lookup = [&](const std::string& name) -> Value* {
    auto it = by_name.find(name);
    if (it != by_name.end()) return it->second;
    if (top || !(*outer_defines)(name)) return nullptr;
    Value* v = g.add_value(name, DType::kFloat32, {-1});
    g.inputs.push_back(v);
    captured->push_back(name);
    by_name[name] = v;
    return v;
  };

  // Create every node and its outputs first, then link inputs: ONNX requires topological
  // order, but we tolerate models that break it and sort them ourselves.
  struct Pending {
    ir::Node* node;
    const onnx::NodeProto* proto;
  };
  std::vector<Pending> pending;
  int index = 0;
  for (const auto& np : gp.node()) {
    ++index;
    const bool default_domain = np.domain().empty() || np.domain() == "ai.onnx";
    if (default_domain && opset_ == 0)
      return invalid_model(path + ": node '" + np.name() + "' (" + np.op_type() +
                           ") is in the default ONNX domain, which the model does not import");
    if (default_domain && np.op_type() == "Constant") {
      auto t = constant_value(np, opt.base_dir);
      if (!t.is_ok()) return Status::error(t.status().kind(), path + ": " + t.status().message());
      if (np.output_size() != 1) return invalid_model(path + ": Constant node '" + np.name() + "' must have one output");
      by_name[np.output(0)] = g.add_const(np.output(0), std::move(t).value());
      continue;
    }
    const std::string op = (default_domain ? std::string("onnx") : np.domain()) + "." + np.op_type();
    std::vector<Value*> outs;
    for (int i = 0; i < np.output_size(); ++i) {
      const std::string& oname = np.output(i);
      if (!oname.empty() && by_name.count(oname))
        return invalid_model(path + ": value '" + oname + "' is produced twice (again by node '" + np.name() + "')");
      auto it = hints.find(oname);
      Value* v = g.add_value(oname.empty() ? np.name() + "_unused" : oname,
                             it != hints.end() ? it->second.dtype : DType::kFloat32,
                             it != hints.end() && it->second.has_shape ? it->second.shape : ir::Shape{});
      if (it == hints.end() || !it->second.has_shape) v->shape = {-1};  // unknown until inferred
      outs.push_back(v);
      if (!oname.empty()) by_name[oname] = v;
    }
    ir::Node* n = g.add_node(op, np.name().empty() ? np.op_type() + "_" + std::to_string(index) : np.name(), {}, outs);
    if (default_domain) {
      n->opset = opset_;
    } else {
      auto d = domains_.find(np.domain());
      n->opset = d != domains_.end() ? d->second : 1;
    }
    PT_RETURN_IF_ERROR(add_attributes(np, opt.base_dir, default_domain, n));
    pending.push_back({n, &np});
  }
  // Everything this graph defines (or can capture) is visible to its subgraphs.
  const std::function<bool(const std::string&)> defines = [&](const std::string& name) {
    return by_name.count(name) != 0 || (!top && (*outer_defines)(name));
  };
  for (auto& p : pending) {
    for (const auto& iname : p.proto->input()) {
      if (iname.empty()) {
        p.node->inputs.push_back(nullptr);
        continue;
      }
      Value* v = lookup(iname);
      if (!v) return invalid_model(path + ": " + p.node->describe() + " reads '" + iname + "', which nothing defines");
      p.node->inputs.push_back(v);
    }
    PT_RETURN_IF_ERROR(import_subgraphs(*p.proto, defines, lookup, p.node));
  }
  for (const auto& out : gp.output()) {
    Value* v = lookup(out.name());
    if (!v) return invalid_model(path + ": graph output '" + out.name() + "' is never produced");
    g.outputs.push_back(v);
  }
  g.toposort();
  return g;
}

Status GraphImporter::import_subgraphs(const onnx::NodeProto& np,
                                       const std::function<bool(const std::string&)>& defines,
                                       const Lookup& lookup, ir::Node* n) {
  std::vector<std::pair<std::string, Graph>> subs;
  std::vector<std::vector<std::string>> own;
  std::vector<std::string> all;  // the union, in first-use order
  for (const auto& a : np.attribute()) {
    if (a.type() != onnx::AttributeProto::GRAPH) continue;
    std::vector<std::string> names;
    PT_ASSIGN_OR_RETURN(Graph sub, import(a.g(), &defines, &names));
    for (const auto& name : names)
      if (std::find(all.begin(), all.end(), name) == all.end()) all.push_back(name);
    subs.emplace_back(a.name(), std::move(sub));
    own.push_back(std::move(names));
    n->attrs.erase(a.name() + "_unsupported_attribute");
  }
  for (size_t s = 0; s < subs.size(); ++s) {
    Graph& sub = subs[s].second;
    const size_t formal = sub.inputs.size() - own[s].size();
    std::vector<Value*> inputs(sub.inputs.begin(), sub.inputs.begin() + static_cast<std::ptrdiff_t>(formal));
    for (const auto& name : all) {
      auto it = std::find(own[s].begin(), own[s].end(), name);
      inputs.push_back(it != own[s].end() ? sub.inputs[formal + static_cast<size_t>(it - own[s].begin())]
                                          : sub.add_value(name, DType::kFloat32, {-1}));
    }
    sub.inputs = std::move(inputs);
    n->subgraphs[subs[s].first] = std::make_shared<const Graph>(std::move(sub));
  }
  for (const auto& name : all) {
    Value* v = lookup(name);
    if (!v) return internal_error(n->describe() + ": captured value '" + name + "' vanished");
    n->inputs.push_back(v);
  }
  n->captured = static_cast<int>(all.size());
  return Status::ok();
}

}  // namespace

Result<Graph> import_model(std::string bytes, const ImportOptions& opt) {
  const std::string& path = opt.model_path.empty() ? std::string("<memory>") : opt.model_path;
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes))
    return invalid_model(path + ": not an ONNX model (the file does not parse as an ONNX ModelProto; is it truncated?)");
  std::string().swap(bytes);  // peak memory: the parsed model holds everything from here
  if (model.ir_version() <= 0 || !model.has_graph() || model.graph().output_size() == 0)
    return invalid_model(path + ": not an ONNX model (no ir_version or no graph outputs)");

  int opset = 0;
  std::map<std::string, int> domains;
  for (const auto& o : model.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = static_cast<int>(o.version());
    else
      domains[o.domain()] = static_cast<int>(o.version());
  }
  // A model of only ai.onnx.ml nodes (a scikit-learn pipeline, ONNX's ai_onnx_ml node tests)
  // may import no default-domain opset; a default-domain node in it is then reported by name.
  if (opset == 0 && domains.empty())
    return invalid_model(path + ": the model imports no opset of the default ONNX domain");
  if (opset != 0 && (opset < kMinOpset || opset > kMaxOpset))
    return unsupported(path + ": ONNX opset " + std::to_string(opset) + " (supported: " +
                       std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset) + ")");
  auto ml = domains.find(kMlDomain);
  if (ml != domains.end() && (ml->second < 1 || ml->second > kMaxMlOpset))
    return unsupported(path + ": ONNX opset " + std::to_string(ml->second) + " (supported: 1 to " +
                       std::to_string(kMaxMlOpset) + ") of the " + kMlDomain + " domain");
  GraphImporter importer(opt, path, opset, std::move(domains));
  return importer.import(model.graph(), nullptr, nullptr, model.mutable_graph());
}

}  // namespace pt2tflite::onnx_import
