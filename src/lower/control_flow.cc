// If, Loop, Scan: resolved at conversion time (expand.h), since TFLite gets a flat graph.
//   If   — a condition that folds to a constant (PyTorch computes it from static shapes)
//          inlines the taken branch and drops the other; a run-time condition inlines both
//          and selects each output with SELECT_V2 (same dtypes and static shapes needed).
//   Loop — unrolled: the trip count and the condition must be constants (the body's condition
//          output must fold in every iteration); loop-carried values are threaded from one
//          copy of the body to the next, scan outputs stacked along a new axis 0.
//   Scan — unrolled over the scan axis (static); scan inputs are sliced per iteration (Gather
//          at a constant index), scan outputs stacked along their axis, in either direction.
//          Scan-8 (batched on axis 0, optional sequence_lens): each batch element is scanned
//          the same way and the results stacked; sequence_lens must be absent or all full.
// Both unroll at most kMaxUnrolledIterations iterations.
#include <algorithm>

#include "lower/context.h"
#include "lower/expand.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Value;

const std::string kRuntimeHint =
    "TFLite gets a flat graph, so pt2tflite resolves control flow at conversion time; export with static input "
    "shapes so the value folds, or move the data-dependent logic out of the model";

Result<const ir::Graph*> subgraph(const Node& n, const std::string& key) {
  auto it = n.subgraphs.find(key);
  NODE_CHECK(n, it != n.subgraphs.end() && it->second, "needs the graph attribute '" + key + "'");
  return it->second.get();
}

std::vector<Value*> captured_inputs(const Node& n) {
  return {n.inputs.end() - n.captured, n.inputs.end()};
}

Result<bool> const_bool(const Node& n, const Value* v, const std::string& what) {
  NODE_UNSUPPORTED_IF(n, !v->is_const(), what + " '" + v->name + "' is computed at run time; " + kRuntimeHint);
  NODE_CHECK(n, v->data->size() == 1, what + " must have one element, has shape " + ir::shape_to_string(v->shape));
  return v->data->to_doubles()[0] != 0;
}

Value* bool_const(ExpandContext& ctx, const Node& n, bool b) {
  return ctx.constant(n, "cond", ir::Tensor::from_raw<uint8_t>(DType::kBool, {}, {static_cast<uint8_t>(b)}));
}

// values[i] gets a new axis `axis`; the results are concatenated along it.
Result<Value*> stack(ExpandContext& ctx, const Node& n, const std::vector<Value*>& values, int64_t axis) {
  std::vector<Value*> parts;
  for (Value* v : values) {
    NODE_CHECK(n, ctx.is_tensor(v), "a scan output must be a tensor, '" + v->name + "' is a sequence or optional");
    const int64_t rank = static_cast<int64_t>(v->shape.size()) + 1;
    const int64_t a = axis < 0 ? axis + rank : axis;
    NODE_CHECK(n, a >= 0 && a < rank, "scan output axis " + std::to_string(axis) + " out of range");
    PT_ASSIGN_OR_RETURN(auto u, ctx.emit("Unsqueeze", n, {v}, 1, {{"axes", std::vector<int64_t>{a}}}));
    parts.push_back(u[0]);
    axis = a;
  }
  if (parts.size() == 1) return parts[0];
  PT_ASSIGN_OR_RETURN(auto c, ctx.emit("Concat", n, parts, 1, {{"axis", axis}}));
  return c[0];
}

// If whose condition is computed at run time: both branches are inlined (ONNX branches are
// pure tensor computations: no state, no I/O) and each output is picked by Where(cond, then,
// else) → SELECT_V2, which is exact (a copy of one of the two). Needs outputs that are
// tensors with the same dtype and static shape in both branches; sequences, optionals and
// differing shapes are refused (a flat TFLite graph cannot make a shape depend on a value here).
// Caveat: the branch not taken runs too, so one the condition guards against a kernel error
// (a GATHER index out of range only when the condition is false) fails the whole invocation.
Status expand_if_runtime(ExpandContext& ctx, Node& n) {
  Value* cond = n.input(0);
  const std::string why = "the condition '" + cond->name + "' is computed at run time and ";
  const std::string how = " (with a run-time condition both branches are computed and each output is selected by "
                          "SELECT_V2)";
  NODE_CHECK(n, ir::num_elements(cond->shape) == 1,
             "the condition must have one element, has shape " + ir::shape_to_string(cond->shape));
  NODE_CHECK(n, cond->dtype == DType::kBool,
             std::string("the condition must be bool, is ") + ir::dtype_name(cond->dtype));
  PT_ASSIGN_OR_RETURN(const ir::Graph* then_g, subgraph(n, "then_branch"));
  PT_ASSIGN_OR_RETURN(const ir::Graph* else_g, subgraph(n, "else_branch"));
  PT_ASSIGN_OR_RETURN(auto then_outs, ctx.inline_graph(*then_g, captured_inputs(n), n, "then"));
  PT_ASSIGN_OR_RETURN(auto else_outs, ctx.inline_graph(*else_g, captured_inputs(n), n, "else"));
  NODE_CHECK(n, then_outs.size() == n.outputs.size() && else_outs.size() == n.outputs.size(),
             "the branches have " + std::to_string(then_outs.size()) + " and " + std::to_string(else_outs.size()) +
                 " outputs, the node " + std::to_string(n.outputs.size()));
  for (size_t i = 0; i < then_outs.size(); ++i) {
    const Value* t = then_outs[i];
    const Value* e = else_outs[i];
    const std::string which = "output " + std::to_string(i) + " ('" + n.outputs[i]->name + "')";
    NODE_UNSUPPORTED_IF(n, !ctx.is_tensor(t) || !ctx.is_tensor(e),
                        why + which + " is a sequence or optional in a branch: only tensors can be selected" + how);
    NODE_UNSUPPORTED_IF(n, t->dtype != e->dtype,
                        why + which + " is " + ir::dtype_name(t->dtype) + " in the then branch and " +
                            ir::dtype_name(e->dtype) + " in the else branch: they must have the same type" + how);
    NODE_UNSUPPORTED_IF(n, !ir::is_static(t->shape) || t->shape != e->shape,
                        why + which + " has shape " + ir::shape_to_string(t->shape) + " in the then branch and " +
                            ir::shape_to_string(e->shape) +
                            " in the else branch: they must have the same static shape" + how);
  }
  Value* c = cond;
  if (!cond->shape.empty()) {  // [1] → 0-d, so the selection keeps the branches' shape
    Value* scalar_shape = ctx.constant(n, "scalar_shape", ir::Tensor::from_int64s(DType::kInt64, {0}, {}));
    PT_ASSIGN_OR_RETURN(auto r, ctx.emit("Reshape", n, {cond, scalar_shape}, 1));
    c = r[0];
  }
  for (size_t i = 0; i < then_outs.size(); ++i) {
    if (then_outs[i] == else_outs[i]) {
      ctx.replace(n.outputs[i], then_outs[i]);
      continue;
    }
    PT_ASSIGN_OR_RETURN(auto picked, ctx.emit("Where", n, {c, then_outs[i], else_outs[i]}, 1));
    ctx.replace(n.outputs[i], picked[0]);
  }
  return Status::ok();
}

Status expand_if(ExpandContext& ctx, Node& n) {
  NODE_CHECK(n, n.input(0), "needs a condition");
  if (!n.input(0)->is_const()) return expand_if_runtime(ctx, n);
  PT_ASSIGN_OR_RETURN(bool taken, const_bool(n, n.input(0), "the condition"));
  PT_ASSIGN_OR_RETURN(const ir::Graph* branch, subgraph(n, taken ? "then_branch" : "else_branch"));
  PT_ASSIGN_OR_RETURN(auto outs, ctx.inline_graph(*branch, captured_inputs(n), n, taken ? "then" : "else"));
  NODE_CHECK(n, outs.size() == n.outputs.size(),
             "the branch has " + std::to_string(outs.size()) + " outputs, the node " + std::to_string(n.outputs.size()));
  for (size_t i = 0; i < outs.size(); ++i) ctx.replace(n.outputs[i], outs[i]);
  return Status::ok();
}

Status expand_loop(ExpandContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(const ir::Graph* body, subgraph(n, "body"));
  const size_t formal = n.inputs.size() - static_cast<size_t>(n.captured);
  NODE_CHECK(n, formal >= 2, "needs the trip count and condition inputs (either may be empty)");
  const size_t num_carried = formal - 2;
  NODE_CHECK(n, body->inputs.size() == formal + static_cast<size_t>(n.captured) && body->outputs.size() > num_carried,
             "the body's inputs/outputs do not match the loop's");
  const size_t num_scan = body->outputs.size() - 1 - num_carried;
  NODE_CHECK(n, n.outputs.size() == num_carried + num_scan, "the loop's outputs do not match the body's");

  int64_t trip = -1;  // none
  if (n.input(0)) {
    NODE_UNSUPPORTED_IF(n, !n.input(0)->is_const(),
                        "the trip count '" + n.input(0)->name + "' is computed at run time; " + kRuntimeHint);
    NODE_CHECK(n, n.input(0)->data->size() == 1, "the trip count must be a scalar");
    trip = n.input(0)->data->to_int64s()[0];
  }
  const bool use_cond = n.input(1) != nullptr;
  NODE_UNSUPPORTED_IF(n, trip < 0 && !use_cond, "has neither a trip count nor a condition (an endless loop)");
  Value* cond = use_cond ? n.input(1) : bool_const(ctx, n, true);
  std::vector<Value*> carried(n.inputs.begin() + 2, n.inputs.begin() + static_cast<std::ptrdiff_t>(formal));
  const std::vector<Value*> captures = captured_inputs(n);
  std::vector<std::vector<Value*>> scans(num_scan);

  for (int64_t i = 0;; ++i) {
    if (trip >= 0 && i >= trip) break;
    if (use_cond) {
      PT_ASSIGN_OR_RETURN(bool go_on, const_bool(n, cond, i == 0 ? "the initial condition" : "the body's condition"));
      if (!go_on) break;
    }
    NODE_UNSUPPORTED_IF(n, i >= kMaxUnrolledIterations,
                        "runs more than " + std::to_string(kMaxUnrolledIterations) +
                            " iterations; loops are unrolled at conversion time (TFLite gets a flat graph) up to " +
                            std::to_string(kMaxUnrolledIterations) + " iterations");
    std::vector<Value*> args{ctx.constant(n, "iter", ir::Tensor::from_int64s(DType::kInt64, {}, {i})), cond};
    args.insert(args.end(), carried.begin(), carried.end());
    args.insert(args.end(), captures.begin(), captures.end());
    PT_ASSIGN_OR_RETURN(auto outs, ctx.inline_graph(*body, args, n, "iter" + std::to_string(i)));
    // Without a condition input the body's condition output is ignored (a plain for loop).
    cond = use_cond ? outs[0] : (outs[0]->is_const() ? outs[0] : bool_const(ctx, n, true));
    carried.assign(outs.begin() + 1, outs.begin() + 1 + static_cast<std::ptrdiff_t>(num_carried));
    for (size_t k = 0; k < num_scan; ++k) scans[k].push_back(outs[1 + num_carried + k]);
  }
  for (size_t k = 0; k < num_carried; ++k) ctx.replace(n.outputs[k], carried[k]);
  for (size_t k = 0; k < num_scan; ++k) {
    NODE_UNSUPPORTED_IF(n, scans[k].empty(),
                        "the loop runs no iteration, so its scan output '" + n.outputs[num_carried + k]->name +
                            "' is empty with an unknown element shape");
    PT_ASSIGN_OR_RETURN(Value * s, stack(ctx, n, scans[k], 0));
    ctx.replace(n.outputs[num_carried + k], s);
  }
  return Status::ok();
}

// The unrolled scan shared by Scan-9+ and (per batch element) Scan-8: `state` and `scan_in`
// are the initial states and the scan inputs, scanned along in_axes (in_dirs: 1 = reverse);
// returns the final states followed by the scan outputs, stacked along out_axes (out_dirs:
// 1 = prepended). `tag` names the inlined copies.
struct ScanSpec {
  std::vector<int64_t> in_axes, in_dirs, out_axes, out_dirs;
};

Result<std::vector<Value*>> unroll_scan(ExpandContext& ctx, const Node& n, const ir::Graph& body,
                                        std::vector<Value*> state, const std::vector<Value*>& scan_in,
                                        const ScanSpec& spec, const std::string& tag) {
  const size_t num_state = state.size(), num_scan_in = scan_in.size();
  NODE_CHECK(n, body.outputs.size() >= num_state, "the body has fewer outputs than states");
  const size_t num_scan_out = body.outputs.size() - num_state;
  int64_t length = -1;
  std::vector<int64_t> axes;
  for (size_t j = 0; j < num_scan_in; ++j) {
    const Value* x = scan_in[j];
    NODE_CHECK(n, x && ctx.is_tensor(x), "scan input " + std::to_string(j) + " must be a tensor");
    const int64_t a = normalize_axis(spec.in_axes[j], x->shape.size());
    NODE_CHECK(n, a >= 0, "scan_input_axes[" + std::to_string(j) + "] out of range");
    NODE_CHECK(n, length < 0 || x->shape[a] == length, "scan inputs have different sequence lengths");
    length = x->shape[a];
    axes.push_back(a);
  }
  NODE_UNSUPPORTED_IF(n, length == 0, "scans an empty sequence: its scan outputs have an unknown element shape");
  NODE_UNSUPPORTED_IF(n, length > kMaxUnrolledIterations,
                      "scans " + std::to_string(length) + " steps; scans are unrolled at conversion time (TFLite "
                      "gets a flat graph) up to " + std::to_string(kMaxUnrolledIterations) + " steps");

  const std::vector<Value*> captures = captured_inputs(n);
  std::vector<std::vector<Value*>> scans(num_scan_out);
  for (int64_t t = 0; t < length; ++t) {
    std::vector<Value*> args = state;
    for (size_t j = 0; j < num_scan_in; ++j) {
      const int64_t index = spec.in_dirs[j] ? length - 1 - t : t;
      Value* idx = ctx.constant(n, "index", ir::Tensor::from_int64s(DType::kInt64, {}, {index}));
      PT_ASSIGN_OR_RETURN(auto slice, ctx.emit("Gather", n, {scan_in[j], idx}, 1, {{"axis", axes[j]}}));
      args.push_back(slice[0]);
    }
    args.insert(args.end(), captures.begin(), captures.end());
    PT_ASSIGN_OR_RETURN(auto outs, ctx.inline_graph(body, args, n, tag + "step" + std::to_string(t)));
    state.assign(outs.begin(), outs.begin() + static_cast<std::ptrdiff_t>(num_state));
    for (size_t k = 0; k < num_scan_out; ++k) scans[k].push_back(outs[num_state + k]);
  }
  std::vector<Value*> results = state;
  for (size_t k = 0; k < num_scan_out; ++k) {
    if (spec.out_dirs[k]) std::reverse(scans[k].begin(), scans[k].end());  // prepended
    PT_ASSIGN_OR_RETURN(Value * v, stack(ctx, n, scans[k], spec.out_axes[k]));
    results.push_back(v);
  }
  return results;
}

// Scan-8: inputs (sequence_lens, states..., scan inputs...) all batched on axis 0, scan
// inputs scanned along axis 1 (`directions` per scan input), scan outputs appended along
// axis 1. Each batch element is scanned on its own (Gather at b) and the results stacked
// back on axis 0. sequence_lens must be absent or a constant equal to the full length:
// shorter per-element sequences would stop each element at a different step.
Status expand_scan8(ExpandContext& ctx, Node& n, const ir::Graph& body, size_t formal, size_t num_scan_in) {
  NODE_CHECK(n, formal >= 1 + num_scan_in, "needs sequence_lens (may be empty), the states and the scan inputs");
  const size_t num_state = formal - 1 - num_scan_in;
  NODE_CHECK(n, body.inputs.size() == num_state + num_scan_in + static_cast<size_t>(n.captured) &&
                    body.outputs.size() == n.outputs.size() && n.outputs.size() >= num_state,
             "the body's inputs/outputs do not match the node's");
  const size_t num_scan_out = n.outputs.size() - num_state;
  std::vector<Value*> states(n.inputs.begin() + 1, n.inputs.begin() + 1 + static_cast<std::ptrdiff_t>(num_state));
  std::vector<Value*> scan_in(n.inputs.begin() + 1 + static_cast<std::ptrdiff_t>(num_state),
                              n.inputs.begin() + static_cast<std::ptrdiff_t>(formal));
  int64_t batch = -1, length = -1;
  for (Value* v : states) {
    NODE_CHECK(n, v && ctx.is_tensor(v) && !v->shape.empty(), "Scan-8 states must be tensors with a batch axis");
    NODE_CHECK(n, batch < 0 || v->shape[0] == batch, "Scan-8 inputs have different batch sizes");
    batch = v->shape[0];
  }
  for (Value* v : scan_in) {
    NODE_CHECK(n, v && ctx.is_tensor(v) && v->shape.size() >= 2,
               "Scan-8 scan inputs must be tensors [batch, sequence, ...]");
    NODE_CHECK(n, batch < 0 || v->shape[0] == batch, "Scan-8 inputs have different batch sizes");
    batch = v->shape[0];
    length = v->shape[1];
  }
  NODE_UNSUPPORTED_IF(n, batch <= 0, "an empty or unknown batch");
  if (Value* lens = n.input(0)) {
    NODE_UNSUPPORTED_IF(n, !lens->is_const(),
                        "sequence_lens '" + lens->name + "' is computed at run time; each batch element may stop at a "
                        "different step, which pt2tflite resolves at conversion time only when every length is the full "
                        "sequence: export with opset 9 or newer (Scan without sequence_lens)");
    for (int64_t l : lens->data->to_int64s())
      NODE_UNSUPPORTED_IF(n, l != length,
                          "sequence_lens holds " + std::to_string(l) + " for a sequence of " + std::to_string(length) +
                              " steps; only full-length sequences are supported (export with opset 9 or newer)");
  }
  ScanSpec spec;
  spec.in_axes.assign(num_scan_in, 0);  // axis 1 of the batched input, 0 once batch is gathered
  spec.in_dirs = n.get_ints("directions", std::vector<int64_t>(num_scan_in, 0));
  NODE_CHECK(n, spec.in_dirs.size() == num_scan_in, "directions needs one entry per scan input");
  spec.out_axes.assign(num_scan_out, 0);
  spec.out_dirs.assign(num_scan_out, 0);
  std::vector<std::vector<Value*>> per_output(n.outputs.size());
  for (int64_t b = 0; b < batch; ++b) {
    Value* idx = ctx.constant(n, "batch", ir::Tensor::from_int64s(DType::kInt64, {}, {b}));
    auto pick = [&](Value* v) -> Result<Value*> {
      PT_ASSIGN_OR_RETURN(auto g, ctx.emit("Gather", n, {v, idx}, 1, {{"axis", int64_t{0}}}));
      return g[0];
    };
    std::vector<Value*> st, xs;
    for (Value* v : states) {
      PT_ASSIGN_OR_RETURN(Value * g, pick(v));
      st.push_back(g);
    }
    for (Value* v : scan_in) {
      PT_ASSIGN_OR_RETURN(Value * g, pick(v));
      xs.push_back(g);
    }
    PT_ASSIGN_OR_RETURN(auto outs, unroll_scan(ctx, n, body, st, xs, spec, "batch" + std::to_string(b) + "_"));
    for (size_t k = 0; k < outs.size(); ++k) per_output[k].push_back(outs[k]);
  }
  for (size_t k = 0; k < n.outputs.size(); ++k) {
    PT_ASSIGN_OR_RETURN(Value * v, stack(ctx, n, per_output[k], 0));
    ctx.replace(n.outputs[k], v);
  }
  return Status::ok();
}

Status expand_scan(ExpandContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(const ir::Graph* body, subgraph(n, "body"));
  const size_t formal = n.inputs.size() - static_cast<size_t>(n.captured);
  const int64_t m = n.get_int("num_scan_inputs", -1);
  NODE_CHECK(n, m >= 1 && static_cast<size_t>(m) <= formal, "needs num_scan_inputs between 1 and the input count");
  const size_t num_scan_in = static_cast<size_t>(m);
  if (n.opset < 9) return expand_scan8(ctx, n, *body, formal, num_scan_in);
  const size_t num_state = formal - num_scan_in;
  NODE_CHECK(n, body->inputs.size() == formal + static_cast<size_t>(n.captured) &&
                    body->outputs.size() == n.outputs.size() && n.outputs.size() >= num_state,
             "the body's inputs/outputs do not match the node's");
  const size_t num_scan_out = n.outputs.size() - num_state;
  ScanSpec spec;
  spec.in_axes = n.get_ints("scan_input_axes", std::vector<int64_t>(num_scan_in, 0));
  spec.in_dirs = n.get_ints("scan_input_directions", std::vector<int64_t>(num_scan_in, 0));
  spec.out_axes = n.get_ints("scan_output_axes", std::vector<int64_t>(num_scan_out, 0));
  spec.out_dirs = n.get_ints("scan_output_directions", std::vector<int64_t>(num_scan_out, 0));
  NODE_CHECK(n, spec.in_axes.size() == num_scan_in && spec.in_dirs.size() == num_scan_in &&
                    spec.out_axes.size() == num_scan_out && spec.out_dirs.size() == num_scan_out,
             "scan_input_axes/directions and scan_output_axes/directions need one entry per scan input/output");
  std::vector<Value*> state(n.inputs.begin(), n.inputs.begin() + static_cast<std::ptrdiff_t>(num_state));
  std::vector<Value*> scan_in(n.inputs.begin() + static_cast<std::ptrdiff_t>(num_state),
                              n.inputs.begin() + static_cast<std::ptrdiff_t>(formal));
  PT_ASSIGN_OR_RETURN(auto outs, unroll_scan(ctx, n, *body, state, scan_in, spec, ""));
  for (size_t k = 0; k < outs.size(); ++k) ctx.replace(n.outputs[k], outs[k]);
  return Status::ok();
}

}  // namespace

void register_control_flow(Registry& r) {
  r.add("If", dynamic(expand_only(expand_if)));  // the taken branch may read run-time extents
  r.add("Loop", expand_only(expand_loop));
  r.add("Scan", expand_only(expand_scan));
}

}  // namespace pt2tflite::lower
