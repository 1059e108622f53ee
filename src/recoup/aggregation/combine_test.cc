#include "recoup/aggregation/combine.h"

#include <gtest/gtest.h>

namespace recoup::aggregation {
namespace {

using events::OutcomeClass;
using events::SourceKind;

SourceCell Cell(int64_t start, SourceKind s, int64_t ok, int64_t failed, int64_t throttled = 0,
                int64_t no_answer = 0) {
  SourceCell c;
  c.interval_start_ms = start;
  c.source = s;
  c.counts[static_cast<int>(OutcomeClass::kSuccess)] = ok;
  c.counts[static_cast<int>(OutcomeClass::kThrottled)] = throttled;
  c.counts[static_cast<int>(OutcomeClass::kNoResponse)] = no_answer;
  c.server_errors = failed;
  return c;
}

TEST(CombineTest, SameRequestsSeenByTwoSourcesCountOnce) {
  // CloudTrail saw 90 ok + 10 failed; CSM saw a subset (40 ok + 10 failed, the same 10).
  auto out = CombineSources(
      {Cell(0, SourceKind::kCloudTrail, 90, 10), Cell(0, SourceKind::kCsm, 40, 10)}, {{0, 10}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].requests, 100);
  EXPECT_EQ(out[0].failed, 10);
}

TEST(CombineTest, FailuresOnlyAnotherSourceSawAreAdded) {
  // CloudTrail: 90 ok + 8 failed. CSM: 40 ok + 5 failed, 2 of which CloudTrail never logged.
  // Union of failures: 10. Total = max(98 + 2, 45 + 5) = 100.
  auto out = CombineSources(
      {Cell(0, SourceKind::kCloudTrail, 90, 8), Cell(0, SourceKind::kCsm, 40, 5)}, {{0, 10}});
  EXPECT_EQ(out[0].requests, 100);
  EXPECT_EQ(out[0].failed, 10);
}

TEST(CombineTest, ExcludedAndUnansweredTakeTheMaximumNotTheSum) {
  auto out = CombineSources(
      {Cell(0, SourceKind::kCloudTrail, 10, 0, 30, 0), Cell(0, SourceKind::kCsm, 10, 0, 25, 4)},
      {});
  EXPECT_EQ(out[0].excluded[static_cast<int>(OutcomeClass::kThrottled)], 30);
  EXPECT_EQ(out[0].no_response, 4);
  EXPECT_EQ(out[0].requests, 10);
}

TEST(CombineTest, OrderOfCellsDoesNotMatter) {
  auto a =
      CombineSources({Cell(0, SourceKind::kCsm, 40, 5), Cell(0, SourceKind::kCloudTrail, 90, 8),
                      Cell(300000, SourceKind::kCloudTrail, 5, 0)},
                     {{0, 10}});
  auto b =
      CombineSources({Cell(300000, SourceKind::kCloudTrail, 5, 0),
                      Cell(0, SourceKind::kCloudTrail, 90, 8), Cell(0, SourceKind::kCsm, 40, 5)},
                     {{0, 10}});
  ASSERT_EQ(a.size(), 2u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].start_ms, b[i].start_ms);
    EXPECT_EQ(a[i].requests, b[i].requests);
    EXPECT_EQ(a[i].failed, b[i].failed);
  }
}

}  // namespace
}  // namespace recoup::aggregation
