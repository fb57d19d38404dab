// NonMaxSuppression (opset 10/11): boxes [B, N, 4], scores [B, C, N], optional
// max_output_boxes_per_class (K), iou_threshold, score_threshold → selected_indices
// [num_selected, 3] int64 rows (batch, class, box), batch-major, then class, then in the order
// the greedy selection picks them. num_selected is known only at run time.
//
// TFLite's NON_MAX_SUPPRESSION_V4 does greedy NMS on one [N, 4] box set; per (batch, class)
// pair (B·C of them, static) one runs. Three of its behaviours differ from onnxruntime and
// are steered around, so the result is exact (the same indices, not merely close):
//   • order among equal scores: onnxruntime takes the lower box index first; V4's heap leaves
//     it unspecified. The scores are first sorted by TOPK_V2 (stable: the lower index first
//     among equals) and V4 sees the boxes in that order with distinct stand-in scores N-rank
//     (rank 0 best); a box failing score_threshold (score > threshold, strictly, in both) or
//     taking no part in suppression gets 0, which V4's threshold of 0 drops.
//   • threshold tie: onnxruntime suppresses when IoU > t, V4 when IoU ≥ t'. t' is the next
//     float above t (constant: folded; run-time: BITCAST to int32, +1, BITCAST back, exact for
//     t ≥ 0; onnxruntime rejects t outside [0, 1]). For t = 0, t' is a denormal: no float op
//     may touch it on its way to V4 (XNNPACK-delegated ones flush denormals to 0).
//   • V4 pushes a selected box back on its queue and drops it when it meets itself (IoU 1 ≥ t').
//     A box of zero area has IoU 0 with everything (in both runtimes) and would be selected
//     again and again; t = 1 would do the same with every box. So boxes with a non-positive
//     extent or area never enter V4: they suppress nothing and nothing suppresses them
//     (onnxruntime's own rule), so they are simply selected when they pass the score threshold.
//     With t ≥ 1 nothing is ever suppressed: every candidate is selected (no V4 at all for a
//     constant t; SELECT_V2 on t ≥ 1 for a run-time t).
// The selections become a [B, C, N] mask over ranks (SCATTER_ND of V4's valid indices, OR the
// zero-area candidates), cut to the first K per pair (CUMSUM ≤ K), and WHERE of the mask
// gives (batch, class, rank) rows in onnxruntime's order; the rank maps back to the box index
// through the sort (GATHER_ND).
//
// IoU is computed by V4 from the same float operations as onnxruntime's (products and sums in
// the same pairs), so ties at the threshold resolve the same way. center_point_box=1 boxes
// [x_c, y_c, w, h] become corners x_c ∓ w/2, y_c ∓ h/2 first (onnxruntime's arithmetic); V4
// then sees [x1, y1, x2, y2], which gives the same IoU as [y1, x1, y2, x2] (x and y play
// symmetric roles). Corner boxes may have their corners in either order in both.
#include <cmath>
#include <limits>

#include "lower/context.h"
#include "lower/registry.h"

namespace pt2tflite::lower {

namespace {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Tensor;
using ir::Value;

struct Nms {
  int64_t batches = 0, classes = 0, boxes = 0;
  bool center = false;
};

Result<Nms> nms_params(const Node& n) {
  NODE_CHECK(n, n.input(0) && n.input(1), "needs boxes and scores");
  const Shape& b = n.inputs[0]->shape;
  const Shape& s = n.inputs[1]->shape;
  NODE_CHECK(n, b.size() == 3 && s.size() == 3, "boxes must be [batches, boxes, 4] and scores [batches, classes, boxes]");
  NODE_UNSUPPORTED_IF(n, !ir::is_static(b) || !ir::is_static(s),
                      "boxes " + ir::shape_to_string(b) + " / scores " + ir::shape_to_string(s) +
                          " with extents known only at run time (one suppression runs per batch and class: "
                          "their counts and the box count must be fixed)");
  NODE_CHECK(n, b[2] == 4, "boxes' last extent must be 4");
  NODE_CHECK(n, b[0] == s[0] && b[1] == s[2], "boxes " + ir::shape_to_string(b) + " and scores " +
                                                  ir::shape_to_string(s) + " disagree on batches or boxes");
  NODE_UNSUPPORTED_IF(n, b[1] == 0 || s[1] == 0, "no boxes or no classes (empty inputs)");
  NODE_UNSUPPORTED_IF(n, n.inputs[0]->dtype != DType::kFloat32 || n.inputs[1]->dtype != DType::kFloat32,
                      "boxes and scores must be float32");
  const int64_t center = n.get_int("center_point_box", 0);
  NODE_CHECK(n, center == 0 || center == 1, "center_point_box must be 0 or 1");
  for (size_t i = 2; i < 5; ++i)
    if (const Value* v = n.input(i))
      NODE_CHECK(n, ir::num_elements(v->shape) == 1, "input " + std::to_string(i) + " must hold one value");
  return Nms{b[0], s[1], b[1], center == 1};
}

Status infer_nms(Node& n) {
  PT_ASSIGN_OR_RETURN(Nms p, nms_params(n));
  (void)p;
  set_output(n, 0, DType::kInt64, {-1, 3});
  return Status::ok();
}

// Small emitters: one TFLite op into a new value.
struct Emit {
  LowerContext& ctx;
  const Node& n;
  Value* op(const std::string& op, std::vector<Value*> in, DType t, Shape s, const std::string& what) {
    Value* out = ctx.temp(n, t, std::move(s), what);
    ctx.emit(op, n, std::move(in), {out});
    return out;
  }
  Value* f32(const std::string& what, float v) { return ctx.const_float(n, what, {v}, {}); }
  Value* i32(const std::string& what, int64_t v) { return ctx.constant(n, what, Tensor::from_int64s(DType::kInt32, {}, {v})); }
  Value* slice(Value* x, std::vector<int64_t> begin, std::vector<int64_t> size, const std::string& what) {
    Shape s(size.begin(), size.end());
    return op("tfl.SLICE", {x, ctx.const_int32(n, what + "_begin", begin), ctx.const_int32(n, what + "_size", size)},
              x->dtype, s, what);
  }
};

// The [N·B, 4] boxes as V4 reads them (corners), and which of them take part in suppression:
// both extents and the area positive (onnxruntime skips every other box in its IoU test).
std::pair<Value*, Value*> corners_and_solid(Emit& e, Value* boxes, const Nms& p) {
  const int64_t bn = p.batches * p.boxes;
  Value* flat = e.ctx.reshape(e.n, boxes, {bn, 4});
  Value* lo = e.slice(flat, {0, 0}, {bn, 2}, "first_pair");
  Value* hi = e.slice(flat, {0, 2}, {bn, 2}, "second_pair");
  Value *corners = flat, *extent = nullptr;
  if (p.center) {  // [x_c, y_c] ∓ [w, h] / 2, as onnxruntime computes them
    Value* half = e.op("tfl.MUL", {hi, e.f32("half", 0.5f)}, DType::kFloat32, {bn, 2}, "half_size");
    Value* mins = e.op("tfl.SUB", {lo, half}, DType::kFloat32, {bn, 2}, "mins");
    Value* maxs = e.op("tfl.ADD", {lo, half}, DType::kFloat32, {bn, 2}, "maxs");
    corners = e.ctx.temp(e.n, DType::kFloat32, {bn, 4}, "corners");
    e.ctx.emit("tfl.CONCATENATION", e.n, {mins, maxs}, {corners})->attrs["axis"] = int64_t{1};
    extent = e.op("tfl.SUB", {maxs, mins}, DType::kFloat32, {bn, 2}, "extent");  // negative size: not solid
  } else {  // |a - b| is max(a, b) - min(a, b) exactly
    Value* diff = e.op("tfl.SUB", {hi, lo}, DType::kFloat32, {bn, 2}, "diff");
    extent = e.op("tfl.ABS", {diff}, DType::kFloat32, {bn, 2}, "extent");
  }
  Value* e0 = e.slice(extent, {0, 0}, {bn, 1}, "extent0");
  Value* e1 = e.slice(extent, {0, 1}, {bn, 1}, "extent1");
  Value* area = e.op("tfl.MUL", {e0, e1}, DType::kFloat32, {bn, 1}, "area");
  Value* least = e.op("tfl.MINIMUM", {e0, e1}, DType::kFloat32, {bn, 1}, "least_extent");
  least = e.op("tfl.MINIMUM", {least, area}, DType::kFloat32, {bn, 1}, "least");
  Value* solid = e.op("tfl.GREATER", {least, e.f32("zero_area", 0.f)}, DType::kBool, {bn, 1}, "solid");
  return {corners, e.ctx.reshape(e.n, solid, {bn})};
}

// V4's threshold t' (suppress when IoU ≥ t') for onnxruntime's t (suppress when IoU > t):
// the next float above t. nullptr with *never = true when a constant t ≥ 1 suppresses nothing.
Result<Value*> v4_threshold(Emit& e, bool* never, Value** runtime_ge1) {
  const Node& n = e.n;
  const Value* t = n.input(3);
  if (!t || t->is_const()) {
    const float v = t ? static_cast<float>(t->data->to_doubles()[0]) : 0.f;
    NODE_CHECK(n, v >= 0.f && v <= 1.f, "iou_threshold " + std::to_string(v) + " is outside [0, 1]");
    *never = v >= 1.f;
    return e.f32("iou_threshold", std::nextafter(v, std::numeric_limits<float>::infinity()));
  }
  Value* s = n.inputs[3]->shape.empty() ? n.inputs[3] : e.ctx.reshape(n, n.inputs[3], {});
  *runtime_ge1 = e.op("tfl.GREATER_EQUAL", {s, e.f32("one", 1.f)}, DType::kBool, {}, "no_suppression");
  Value* a = e.op("tfl.ABS", {s}, DType::kFloat32, {}, "iou_abs");  // -0 → +0
  Value* bits = e.op("tfl.BITCAST", {a}, DType::kInt32, {}, "iou_bits");
  Value* next = e.op("tfl.ADD", {bits, e.i32("ulp", 1)}, DType::kInt32, {}, "next_bits");
  // No float op after the BITCAST (t' may be a denormal, see above); above 1 it is unused
  // (SELECT_V2 takes every candidate then).
  return e.op("tfl.BITCAST", {next}, DType::kFloat32, {}, "iou_threshold");
}

Status lower_nms(LowerContext& ctx, Node& n) {
  PT_ASSIGN_OR_RETURN(Nms p, nms_params(n));
  Emit e{ctx, n};
  const int64_t B = p.batches, C = p.classes, N = p.boxes, P = B * C;
  const Shape pn{P, N};

  // Scores sorted per pair, best first, the lower box index first among equals.
  Value* scores = ctx.reshape(n, n.inputs[1], pn);
  Value* sorted = ctx.temp(n, DType::kFloat32, pn, "sorted_scores");
  Value* order = ctx.temp(n, DType::kInt32, pn, "order");
  ctx.emit("tfl.TOPK_V2", n, {scores, ctx.const_int32(n, "all_boxes", {N})}, {sorted, order});

  // Row of each sorted box in the [B·N, 4] boxes: its index plus its batch's offset.
  std::vector<int64_t> batch_offset(P), pair_offset(P);
  for (int64_t q = 0; q < P; ++q) {
    batch_offset[q] = (q / C) * N;
    pair_offset[q] = q * N;
  }
  Value* rows = e.op("tfl.ADD", {order, ctx.const_int32(n, "batch_offset", batch_offset, {P, 1})}, DType::kInt32, pn,
                     "box_rows");
  auto [corners, solid] = corners_and_solid(e, n.inputs[0], p);
  Value* solid_sorted = e.op("tfl.GATHER", {solid, rows}, DType::kBool, pn, "solid_sorted");

  // Candidates: score > score_threshold (all boxes without one).
  Value* candidate = nullptr;
  if (Value* st = n.input(4))
    candidate = e.op("tfl.GREATER", {sorted, st->shape.empty() ? st : ctx.reshape(n, st, {})}, DType::kBool, pn,
                     "candidate");

  bool never = false;
  Value* runtime_ge1 = nullptr;
  PT_ASSIGN_OR_RETURN(Value * threshold, v4_threshold(e, &never, &runtime_ge1));

  Value* mask = nullptr;  // [P, N] bool over ranks: selected before the K cut
  if (!never) {
    Value* enters = candidate ? e.op("tfl.LOGICAL_AND", {candidate, solid_sorted}, DType::kBool, pn, "enters_v4")
                              : solid_sorted;
    // Stand-ins chosen in int32 and converted at run time: a float constant could be stored
    // as float16 by --quantize float16, which holds integers exactly only up to 2048.
    std::vector<int64_t> stand_in(N);
    for (int64_t r = 0; r < N; ++r) stand_in[r] = N - r;
    Value* v4_ranks = e.op("tfl.SELECT_V2", {enters, ctx.const_int32(n, "rank_scores", stand_in, {N}), e.i32("out", 0)},
                           DType::kInt32, pn, "v4_ranks");
    Value* v4_scores = ctx.cast(n, v4_ranks, DType::kFloat32);
    ir::Node* g = ctx.emit("tfl.GATHER", n, {corners, rows}, {ctx.temp(n, DType::kFloat32, {P, N, 4}, "sorted_boxes")});
    g->attrs["axis"] = int64_t{0};
    Value* sorted_boxes = g->outputs[0];
    std::vector<Value*> box_sets, score_sets, picks, counts;
    if (P == 1) {
      box_sets.push_back(ctx.reshape(n, sorted_boxes, {N, 4}));
      score_sets.push_back(ctx.reshape(n, v4_scores, {N}));
    } else {
      for (int64_t q = 0; q < P; ++q) {
        box_sets.push_back(ctx.temp(n, DType::kFloat32, {N, 4}, "boxes_" + std::to_string(q)));
        score_sets.push_back(ctx.temp(n, DType::kFloat32, {N}, "scores_" + std::to_string(q)));
      }
      ctx.emit("tfl.UNPACK", n, {sorted_boxes}, box_sets)->attrs["axis"] = int64_t{0};
      ctx.emit("tfl.UNPACK", n, {v4_scores}, score_sets)->attrs["axis"] = int64_t{0};
    }
    Value* max_out = e.i32("max_output", N);
    Value* zero = e.f32("score_threshold", 0.f);
    for (int64_t q = 0; q < P; ++q) {
      picks.push_back(ctx.temp(n, DType::kInt32, {N}, "picked_" + std::to_string(q)));
      counts.push_back(ctx.temp(n, DType::kInt32, {}, "picked_count_" + std::to_string(q)));
      ctx.emit("tfl.NON_MAX_SUPPRESSION_V4", n, {box_sets[q], score_sets[q], max_out, threshold, zero},
               {picks[q], counts[q]});
    }
    Value *picked = nullptr, *count = nullptr;
    if (P == 1) {
      picked = ctx.reshape(n, picks[0], pn);
      count = ctx.reshape(n, counts[0], {P, 1});
    } else {
      picked = ctx.temp(n, DType::kInt32, pn, "picked");
      ctx.emit("tfl.PACK", n, picks, {picked})->attrs["axis"] = int64_t{0};
      Value* c = ctx.temp(n, DType::kInt32, {P}, "picked_count");
      ctx.emit("tfl.PACK", n, counts, {c})->attrs["axis"] = int64_t{0};
      count = ctx.reshape(n, c, {P, 1});
    }
    // V4 pads its output with zeros: only the first `count` entries are picks.
    std::vector<int64_t> iota(N);
    for (int64_t r = 0; r < N; ++r) iota[r] = r;
    Value* valid = e.op("tfl.LESS", {ctx.const_int32(n, "slot", iota, {1, N}), count}, DType::kBool, pn, "valid_pick");
    Value* ones = ctx.cast(n, valid, DType::kInt32);
    Value* at = e.op("tfl.ADD", {picked, ctx.const_int32(n, "pair_offset", pair_offset, {P, 1})}, DType::kInt32, pn,
                     "pick_slot");
    Value* hits = e.op("tfl.SCATTER_ND",
                       {ctx.reshape(n, at, {P * N, 1}), ctx.reshape(n, ones, {P * N}),
                        ctx.const_int32(n, "mask_shape", {P * N})},
                       DType::kInt32, {P * N}, "hits");
    mask = e.op("tfl.GREATER", {ctx.reshape(n, hits, pn), e.i32("none", 0)}, DType::kBool, pn, "picked_mask");
    // Boxes without area: selected whenever they are candidates.
    Value* hollow = e.op("tfl.LOGICAL_NOT", {solid_sorted}, DType::kBool, pn, "hollow");
    if (candidate) hollow = e.op("tfl.LOGICAL_AND", {hollow, candidate}, DType::kBool, pn, "hollow_candidate");
    mask = e.op("tfl.LOGICAL_OR", {mask, hollow}, DType::kBool, pn, "selected");
    if (runtime_ge1) {  // t ≥ 1 at run time: every candidate
      mask = candidate ? e.op("tfl.SELECT_V2", {runtime_ge1, candidate, mask}, DType::kBool, pn, "selected_all")
                       : e.op("tfl.LOGICAL_OR", {mask, runtime_ge1}, DType::kBool, pn, "selected_all");
    }
  } else {
    mask = candidate ? candidate
                     : ctx.constant(n, "all", Tensor::from_int64s(DType::kBool, pn, std::vector<int64_t>(P * N, 1)));
  }

  // At most K per pair: the first K selections in rank order. K absent means 0 (none).
  const Value* k = n.input(2);
  Value* limit = nullptr;
  if (!k || k->is_const()) {
    const int64_t kv = k ? k->data->to_int64s()[0] : 0;
    if (kv < N) limit = e.i32("max_per_class", std::max<int64_t>(kv, 0));
  } else {
    Value* k64 = ctx.cast(n, n.inputs[2], DType::kInt64);
    Value* capped = e.op("tfl.MINIMUM", {k64, ctx.constant(n, "box_count", Tensor::from_int64s(DType::kInt64, {}, {N}))},
                         DType::kInt64, k64->shape, "max_per_class_capped");
    limit = ctx.cast(n, capped, DType::kInt32);
  }
  if (limit) {
    Value* ordinal = ctx.temp(n, DType::kInt32, pn, "ordinal");
    ctx.emit("tfl.CUMSUM", n, {ctx.cast(n, mask, DType::kInt32), e.i32("pair_axis", 1)}, {ordinal});
    Value* within = e.op("tfl.LESS_EQUAL", {ordinal, limit}, DType::kBool, pn, "within_limit");
    mask = e.op("tfl.LOGICAL_AND", {mask, within}, DType::kBool, pn, "kept");
  }

  // (batch, class, rank) of each kept box, in onnxruntime's order; rank → box index.
  Value* coords = e.op("tfl.WHERE", {ctx.reshape(n, mask, {B, C, N})}, DType::kInt64, {-1, 3}, "kept_coords");
  Value* box = e.op("tfl.GATHER_ND", {ctx.reshape(n, order, {B, C, N}), coords}, DType::kInt32, {-1}, "box_index");
  Value* box64 = ctx.reshape(n, ctx.cast(n, box, DType::kInt64), {-1, 1});
  Value* batch_class = e.slice(coords, {0, 0}, {-1, 2}, "batch_class");
  ctx.emit("tfl.CONCATENATION", n, {batch_class, box64}, {n.outputs[0]})->attrs["axis"] = int64_t{1};
  return Status::ok();
}

}  // namespace

void register_nms(Registry& r) { r.add("NonMaxSuppression", dynamic({infer_nms, nullptr, lower_nms})); }

}  // namespace pt2tflite::lower
