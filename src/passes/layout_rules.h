// How each tfl.* op commutes with an axis permutation of its data inputs — the one place
// layout knowledge lives, used by sink_transposes. An op kind either:
//   - is elementwise (any permutation passes; constant operands are permuted with it),
//   - remaps axes held in attributes or constant inputs (concat, reduce, pad, slice …),
//     or passes permutations that keep the last axis (softmax, fully-connected, 1x1 conv),
//   - or is a barrier (spatial convs and pools, BATCH_MATMUL …).
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace pt2tflite::passes {

enum class LayoutKind { kBarrier, kElementwise, kAxes };

struct LayoutRule {
  LayoutKind kind = LayoutKind::kBarrier;
  // Indices of the inputs that carry data in the op's layout (the rest are parameters).
  std::vector<size_t> data_inputs;
};

LayoutRule layout_rule(const ir::Node& n);

// A transpose of a tensor of this shape that moves only size-1 axes: the bytes stay in
// order, so it is a reshape.
bool moves_only_unit_axes(const ir::Shape& in, const std::vector<int64_t>& perm);

// A RESHAPE of y = transpose(x, perm) that regroups axes which are not adjacent and in order
// in x does not commute with the transpose, but a part of it does: perm = inner then outer,
// where transpose(x, inner) makes each regrouped run of axes adjacent and in order (a real
// data move, like ShuffleNet's channel shuffle) and outer is a layout permutation the
// reshape commutes with, free to sink further. transpose(transpose(x, inner), outer) ==
// transpose(x, perm). False when this does not apply or either half would only move
// size-1 axes.
bool split_for_reshape(const ir::Node& reshape, const std::vector<int64_t>& perm, std::vector<int64_t>* inner,
                       std::vector<int64_t>* outer);

// For a RESHAPE n of y = transpose(x, perm) that commutes with it (see remap_axes): the
// permutation q that follows the moved reshape, reshape(y) = transpose(reshape(x, w), q).
// False when it does not commute.
bool reshape_output_perm(const ir::Node& n, const std::vector<int64_t>& perm, std::vector<int64_t>* q);

// A cheap, non-mutating "could a transpose by perm pass n?": false for barriers and for
// ops that work on the last axis when perm moves it. (remap_axes has the final word.)
bool may_commute(const ir::Node& n, const std::vector<int64_t>& perm);

// For a kAxes op whose data inputs are all transpose(x, perm): rewrites the node's axis
// parameters so that it computes on the un-permuted x. Returns false (changing nothing)
// when the op cannot absorb this permutation. On success, *out_perms holds for each output
// the permutation that must follow it to restore the original output.
bool remap_axes(ir::Graph& g, ir::Node& n, const std::vector<int64_t>& perm,
                std::vector<std::vector<int64_t>>* out_perms);

}  // namespace pt2tflite::passes
