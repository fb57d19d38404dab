#include "ir/print.h"

#include <map>
#include <sstream>

namespace pt2tflite::ir {

namespace {

std::string attr_to_string(const Attribute& a) {
  std::ostringstream os;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          os << '"' << v << '"';
        } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, double>) {
          os << v;
        } else {
          os << '[';
          for (size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << v[i];
          os << ']';
        }
      },
      a);
  return os.str();
}

std::string value_to_string(const Value* v) {
  if (!v) return "<none>";
  std::string s = v->name + ":" + dtype_name(v->dtype) + shape_to_string(v->shape);
  if (v->is_const()) s += "(const)";
  return s;
}

}  // namespace

std::string print(const Graph& g) {
  std::ostringstream os;
  os << "graph " << g.name << " (";
  for (size_t i = 0; i < g.inputs.size(); ++i) os << (i ? ", " : "") << value_to_string(g.inputs[i]);
  os << ")\n";
  for (const auto& n : g.nodes()) {
    os << "  ";
    for (size_t i = 0; i < n->outputs.size(); ++i) os << (i ? ", " : "") << value_to_string(n->outputs[i]);
    os << " = " << n->op << "(";
    for (size_t i = 0; i < n->inputs.size(); ++i) os << (i ? ", " : "") << value_to_string(n->inputs[i]);
    os << ")";
    if (!n->attrs.empty()) {
      os << " {";
      bool first = true;
      for (const auto& [k, v] : n->attrs) {
        os << (first ? "" : ", ") << k << "=" << attr_to_string(v);
        first = false;
      }
      os << "}";
    }
    for (const auto& [k, sub] : n->subgraphs)
      os << " [" << k << ": " << sub->nodes().size() << " nodes, " << n->captured << " captured]";
    os << "  # " << n->name << "\n";
  }
  os << "  return ";
  for (size_t i = 0; i < g.outputs.size(); ++i) os << (i ? ", " : "") << value_to_string(g.outputs[i]);
  os << "\n";
  return os.str();
}

std::string op_histogram(const Graph& g) {
  std::map<std::string, int> counts;
  for (const auto& n : g.nodes()) counts[n->op]++;
  std::string s;
  for (const auto& [op, c] : counts) s += (s.empty() ? "" : ", ") + op + ": " + std::to_string(c);
  return s;
}

}  // namespace pt2tflite::ir
