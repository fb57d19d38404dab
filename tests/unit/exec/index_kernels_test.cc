// TOPK_V2, CUMSUM, ONE_HOT, SCATTER_ND (src/exec/kernels_index.cc), values worked out by hand
// from TFLite's kernel semantics.
#include <gtest/gtest.h>

#include "exec_test_util.h"

namespace pt2tflite::exec {
namespace {

using namespace pt2tflite::testing;
using Attrs = std::map<std::string, ir::Attribute>;

TEST(IndexKernels, TopKOrdersByValueThenLowerIndex) {
  auto r = run_op("tfl.TOPK_V2", {F({2, 4}, {1, 3, 3, 2, 0, -1, 5, 0}), I32({}, {3})},
                  {{{2, 3}}, {{2, 3}, ir::DType::kInt32}});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  expect_near(r.value()[0].to_floats(), {3, 3, 2, 5, 0, 0});
  EXPECT_EQ(r.value()[1].to_int64s(), (std::vector<int64_t>{1, 2, 3, 2, 0, 3}));
}

TEST(IndexKernels, CumsumFlags) {
  const ir::Tensor x = F({2, 3}, {1, 2, 3, 4, 5, 6});
  expect_near(run_f("tfl.CUMSUM", {x, I32({}, {1})}, {2, 3}), {1, 3, 6, 4, 9, 15});
  expect_near(run_f("tfl.CUMSUM", {x, I32({}, {0})}, {2, 3}, {{"exclusive", int64_t{1}}}), {0, 0, 0, 1, 2, 3});
  expect_near(run_f("tfl.CUMSUM", {x, I32({}, {1})}, {2, 3}, {{"reverse", int64_t{1}}, {"exclusive", int64_t{1}}}),
              {5, 3, 0, 11, 6, 0});
}

TEST(IndexKernels, OneHotAxisAndOutOfRange) {
  const std::vector<std::optional<ir::Tensor>> in = {I32({3}, {2, -1, 0}), I32({}, {3}), F({}, {5}), F({}, {-1})};
  expect_near(run_f("tfl.ONE_HOT", in, {3, 3}), {-1, -1, 5, -1, -1, -1, 5, -1, -1});
  expect_near(run_f("tfl.ONE_HOT", in, {3, 3}, {{"axis", int64_t{0}}}), {-1, -1, 5, -1, -1, -1, 5, -1, -1});
}

TEST(IndexKernels, ScatterNdSumsDuplicatesIntoZeros) {
  expect_near(run_f("tfl.SCATTER_ND", {I32({3, 1}, {2, 0, 2}), F({3, 2}, {1, 2, 3, 4, 5, 6}), I32({3, 2})}, {3, 2}),
              {3, 4, 0, 0, 6, 8});
  auto bad = run_op("tfl.SCATTER_ND", {I32({1, 1}, {3}), F({1, 2}, {1, 2}), I32({3, 2})}, {{{3, 2}}});
  EXPECT_FALSE(bad.is_ok());
}

}  // namespace
}  // namespace pt2tflite::exec
