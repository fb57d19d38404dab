// Einsum with one or two operands, rewritten as SUM / TRANSPOSE / RESHAPE / BATCH_MATMUL:
// every label of a two-operand product is a batch label (both operands and the output),
// a contracted label (both operands, not the output), or a free label of one operand
// (it and the output). Labels in one operand only and not in the output are summed first.
// Each operand is put in [batch, free, contracted] order (or [batch, contracted, free]
// with BATCH_MATMUL's adj flag when that needs no transpose), flattened to 3-D, multiplied,
// and the [batch, free A, free B] result reshaped and transposed to the output's order.
// That covers the matmul family: "ij,jk->ik", "bij,bjk->bik", "bhqd,bhkd->bhqk",
// "bi,bi->b", transposed operands, "...ij,...jk->...ik", outer products; one operand
// gives sums and transposes ("ij->ji", "ij->i").
// Refused with a reason: three or more operands, a label repeated within an operand
// (diagonals), batch labels whose extents differ (broadcast ellipsis), non-float32 operands.
// Folds on constants for any equation (direct summation in double).
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "lower/context.h"
#include "lower/eval_util.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

using Labels = std::vector<int>;  // letters as their char code; ellipsis axes as 1000 + k

struct Equation {
  std::vector<Labels> inputs;
  Labels output;
  std::map<int, int64_t> extent;
};

// Parses the equation against the operand shapes: explicit or implicit output (labels seen
// once, sorted, after the ellipsis axes), ellipses expanded right-aligned.
Result<Equation> parse(const Node& n) {
  std::string eq;
  for (char ch : n.get_string("equation", "")) if (ch != ' ') eq += ch;
  NODE_CHECK(n, !eq.empty(), "needs the equation attribute");
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms(1);
  for (char ch : lhs) {
    if (ch == ',') terms.emplace_back();
    else terms.back() += ch;
  }
  NODE_CHECK(n, terms.size() == n.inputs.size(),
             "equation '" + eq + "' has " + std::to_string(terms.size()) + " operands, the node " +
                 std::to_string(n.inputs.size()));
  Equation e;
  int64_t ellipsis_rank = 0;
  auto expand = [&](const std::string& term, int64_t rank, Labels* out) -> Status {
    const size_t dots = term.find("...");
    const std::string plain = dots == std::string::npos ? term : term.substr(0, dots) + term.substr(dots + 3);
    for (char ch : plain)
      NODE_CHECK(n, std::isalpha(static_cast<unsigned char>(ch)), "bad label '" + std::string(1, ch) + "' in '" + eq + "'");
    const int64_t ell = dots == std::string::npos ? 0 : rank - static_cast<int64_t>(plain.size());
    NODE_CHECK(n, ell >= 0 && (dots != std::string::npos || rank == static_cast<int64_t>(plain.size())),
               "term '" + term + "' does not match an operand of rank " + std::to_string(rank));
    ellipsis_rank = std::max(ellipsis_rank, ell);
    for (size_t i = 0; i < term.size();) {
      if (term.compare(i, 3, "...") == 0) {
        out->insert(out->end(), static_cast<size_t>(ell), 1000);  // numbered below
        i += 3;
      } else {
        out->push_back(term[i++]);
      }
    }
    return Status::ok();
  };
  for (size_t i = 0; i < terms.size(); ++i) {
    NODE_CHECK(n, n.inputs[i], "missing operand");
    Labels l;
    PT_RETURN_IF_ERROR(expand(terms[i], static_cast<int64_t>(n.inputs[i]->shape.size()), &l));
    e.inputs.push_back(l);
  }
  // Ellipsis axes are numbered from the right so that they align across operands.
  for (size_t i = 0; i < terms.size(); ++i) {
    int64_t count = 0;
    for (int l : e.inputs[i]) count += l >= 1000;
    int64_t k = 0;
    for (int& l : e.inputs[i])
      if (l >= 1000) l = static_cast<int>(1000 + ellipsis_rank - count + k++);
  }
  if (arrow != std::string::npos) {
    const std::string rhs = eq.substr(arrow + 2);
    for (size_t i = 0; i < rhs.size();) {
      if (rhs.compare(i, 3, "...") == 0) {
        for (int64_t k = 0; k < ellipsis_rank; ++k) e.output.push_back(static_cast<int>(1000 + k));
        i += 3;
      } else {
        NODE_CHECK(n, std::isalpha(static_cast<unsigned char>(rhs[i])), "bad output label in '" + eq + "'");
        e.output.push_back(rhs[i++]);
      }
    }
  } else {
    for (int64_t k = 0; k < ellipsis_rank; ++k) e.output.push_back(static_cast<int>(1000 + k));
    std::map<int, int> seen;
    for (const Labels& l : e.inputs)
      for (int x : l) ++seen[x];
    for (const auto& [l, c] : seen)
      if (c == 1 && l < 1000) e.output.push_back(l);
  }
  for (size_t i = 0; i < e.inputs.size(); ++i)
    for (size_t d = 0; d < e.inputs[i].size(); ++d) {
      const int64_t x = n.inputs[i]->shape[d];
      auto [it, fresh] = e.extent.emplace(e.inputs[i][d], x);
      if (!fresh && it->second != x) {
        NODE_UNSUPPORTED_IF(n, it->second == 1 || x == 1, "broadcasting a size-1 label in '" + eq + "'");
        NODE_CHECK(n, false, "label extents differ in '" + eq + "'");
      }
    }
  std::set<int> out_set;
  for (int l : e.output) {
    NODE_CHECK(n, e.extent.count(l), "output label not in any operand in '" + eq + "'");
    NODE_CHECK(n, out_set.insert(l).second, "output label repeated in '" + eq + "'");
  }
  return e;
}

Status infer_einsum(Node& n) {
  NODE_CHECK(n, !n.inputs.empty(), "needs operands");
  PT_ASSIGN_OR_RETURN(Equation e, parse(n));
  Shape out;
  for (int l : e.output) out.push_back(e.extent.at(l));
  set_output(n, 0, n.inputs[0]->dtype, out);
  return Status::ok();
}

// Direct summation over every label assignment.
Result<std::vector<ir::Tensor>> fold_einsum(const Node& n) {
  PT_ASSIGN_OR_RETURN(Equation e, parse(n));
  std::vector<int> labels;
  for (const auto& [l, x] : e.extent) labels.push_back(l);
  std::map<int, size_t> pos;
  for (size_t i = 0; i < labels.size(); ++i) pos[labels[i]] = i;
  std::vector<std::vector<double>> vals;
  std::vector<std::vector<int64_t>> strides;
  for (const Value* v : n.inputs) {
    vals.push_back(v->data->to_doubles());
    strides.push_back(strides_of(v->shape));
  }
  const Shape& os = n.outputs[0]->shape;
  const std::vector<int64_t> ost = strides_of(os);
  std::vector<double> out(static_cast<size_t>(ir::num_elements(os)), 0.0);
  std::vector<int64_t> at(labels.size(), 0);
  int64_t total = 1;
  for (int l : labels) total *= e.extent.at(l);
  for (int64_t it = 0; it < total; ++it) {
    int64_t rest = it;
    for (size_t i = labels.size(); i-- > 0;) {
      at[i] = rest % e.extent.at(labels[i]);
      rest /= e.extent.at(labels[i]);
    }
    double p = 1;
    for (size_t k = 0; k < e.inputs.size(); ++k) {
      int64_t off = 0;
      for (size_t d = 0; d < e.inputs[k].size(); ++d) off += at[pos[e.inputs[k][d]]] * strides[k][d];
      p *= vals[k][off];
    }
    int64_t off = 0;
    for (size_t d = 0; d < e.output.size(); ++d) off += at[pos[e.output[d]]] * ost[d];
    out[off] += p;
  }
  return std::vector<ir::Tensor>{ir::Tensor::from_doubles(n.outputs[0]->dtype, os, out)};
}

// --- lowering helpers that skip no-op steps ---

Value* permute_to(LowerContext& ctx, const Node& n, Value* x, Labels* have, const Labels& want) {
  if (*have == want) return x;
  std::vector<int64_t> perm;
  for (int l : want) perm.push_back(std::find(have->begin(), have->end(), l) - have->begin());
  *have = want;
  return ctx.transpose(n, x, perm);
}

Value* reshape_to(LowerContext& ctx, const Node& n, Value* x, const Shape& s) {
  return x->shape == s ? x : ctx.reshape(n, x, s);
}

// Sums x over the labels in `drop`.
Value* sum_out(LowerContext& ctx, const Node& n, Value* x, Labels* have, const std::set<int>& drop) {
  std::vector<int64_t> axes;
  Labels kept;
  Shape s;
  for (size_t d = 0; d < have->size(); ++d) {
    if (drop.count((*have)[d])) axes.push_back(static_cast<int64_t>(d));
    else {
      kept.push_back((*have)[d]);
      s.push_back(x->shape[d]);
    }
  }
  if (axes.empty()) return x;
  Value* y = ctx.temp(n, x->dtype, s, "summed");
  ctx.emit("tfl.SUM", n, {x, ctx.const_int32(n, "axes", axes)}, {y})->attrs["keep_dims"] = int64_t{0};
  *have = kept;
  return y;
}

Status lower_einsum(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Equation e, parse(n));
  const std::string eq = n.get_string("equation", "");
  NODE_UNSUPPORTED_IF(n, e.inputs.size() > 2, "'" + eq + "': more than two operands");
  for (const Labels& l : e.inputs)
    NODE_UNSUPPORTED_IF(n, std::set<int>(l.begin(), l.end()).size() != l.size(),
                        "'" + eq + "': a label repeated within one operand (diagonal)");
  for (const Value* v : n.inputs)
    NODE_UNSUPPORTED_IF(n, v->dtype != DType::kFloat32, "'" + eq + "' on " + ir::dtype_name(v->dtype) + " operands");
  const std::set<int> out_set(e.output.begin(), e.output.end());
  auto in = [](const Labels& l, int x) { return std::find(l.begin(), l.end(), x) != l.end(); };
  Value* out = n.outputs[0];
  auto finish = [&](Value* x, const Labels& have) {
    std::vector<int64_t> perm;
    for (int l : e.output) perm.push_back(std::find(have.begin(), have.end(), l) - have.begin());
    if (ir::is_identity_permutation(perm)) ctx.reshape(n, x, out->shape, out);
    else ctx.transpose(n, x, perm, out);
  };
  if (e.inputs.size() == 1) {
    Labels have = e.inputs[0];
    std::set<int> drop;
    for (int l : have) if (!out_set.count(l)) drop.insert(l);
    Value* x = sum_out(ctx, n, n.inputs[0], &have, drop);
    finish(x, have);
    return Status::ok();
  }
  Labels la = e.inputs[0], lb = e.inputs[1];
  std::set<int> drop_a, drop_b;
  for (int l : la) if (!out_set.count(l) && !in(lb, l)) drop_a.insert(l);
  for (int l : lb) if (!out_set.count(l) && !in(la, l)) drop_b.insert(l);
  Value* a = sum_out(ctx, n, n.inputs[0], &la, drop_a);
  Value* b = sum_out(ctx, n, n.inputs[1], &lb, drop_b);
  Labels batch, contract, free_a, free_b;
  for (int l : la) {
    if (in(lb, l)) (out_set.count(l) ? batch : contract).push_back(l);
    else free_a.push_back(l);
  }
  for (int l : lb) if (!in(la, l)) free_b.push_back(l);
  auto size = [&](const Labels& ls) {
    int64_t s = 1;
    for (int l : ls) s *= e.extent.at(l);
    return s;
  };
  auto cat = [](Labels x, const Labels& y, const Labels& z) {
    x.insert(x.end(), y.begin(), y.end());
    x.insert(x.end(), z.begin(), z.end());
    return x;
  };
  const int64_t nb = size(batch), m = size(free_a), k = size(contract), nn = size(free_b);
  // A as [batch, M, K], or [batch, K, M] with adj_x when that is its order already.
  const bool adj_x = la != cat(batch, free_a, contract) && la == cat(batch, contract, free_a);
  a = permute_to(ctx, n, a, &la, adj_x ? cat(batch, contract, free_a) : cat(batch, free_a, contract));
  a = reshape_to(ctx, n, a, adj_x ? Shape{nb, k, m} : Shape{nb, m, k});
  const bool adj_y = lb != cat(batch, contract, free_b) && lb == cat(batch, free_b, contract);
  b = permute_to(ctx, n, b, &lb, adj_y ? cat(batch, free_b, contract) : cat(batch, contract, free_b));
  b = reshape_to(ctx, n, b, adj_y ? Shape{nb, nn, k} : Shape{nb, k, nn});
  Value* prod = ctx.temp(n, DType::kFloat32, {nb, m, nn}, "product");
  Node* mm = ctx.emit("tfl.BATCH_MATMUL", n, {a, b}, {prod});
  mm->attrs["adj_x"] = int64_t{adj_x};
  mm->attrs["adj_y"] = int64_t{adj_y};
  const Labels have = cat(batch, free_a, free_b);
  Shape full;
  for (int l : have) full.push_back(e.extent.at(l));
  finish(reshape_to(ctx, n, prod, full), have);
  return Status::ok();
}

}  // namespace

void register_einsum(Registry& r) { r.add("Einsum", {infer_einsum, fold_einsum, lower_einsum}); }

}  // namespace pt2tflite::lower
