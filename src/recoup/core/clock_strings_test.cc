#include <gtest/gtest.h>

#include "recoup/core/clock.h"
#include "recoup/core/strings.h"

namespace recoup {
namespace {

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(1'000);
  EXPECT_EQ(clock.NowMs(), 1'000);
  const int64_t m0 = clock.MonotonicNs();
  clock.Advance(250);
  EXPECT_EQ(clock.NowMs(), 1'250);
  EXPECT_EQ(clock.MonotonicNs() - m0, 250'000'000);
  clock.SleepFor(50);  // advances instead of sleeping
  EXPECT_EQ(clock.NowMs(), 1'300);
  clock.SetNowMs(900);  // wall time back: monotonic time stays
  EXPECT_EQ(clock.NowMs(), 900);
  EXPECT_EQ(clock.MonotonicNs() - m0, 300'000'000);
  clock.Advance(-5);  // ignored
  EXPECT_EQ(clock.NowMs(), 900);
}

TEST(ClockTest, SystemClockIsNearTheWallAndMonotonic) {
  const Clock& c = SystemClock();
  const int64_t a = c.MonotonicNs();
  const int64_t b = c.MonotonicNs();
  EXPECT_LE(a, b);
  EXPECT_GT(c.NowMs(), 1'700'000'000'000);  // after November 2023
}

TEST(StringsTest, LowerTrimSplit) {
  EXPECT_EQ(AsciiLower("X-Amz-Date\xC3\x89"), "x-amz-date\xC3\x89");
  EXPECT_EQ(Trim(" \t a b \r\n"), "a b");
  EXPECT_EQ(Trim("   "), "");
  EXPECT_EQ(TrimBlanks(" \t12\n "), "12\n");
  EXPECT_TRUE(EqualsIgnoreCase("Content-Type", "content-type"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abd"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abcd"));
  const auto parts = Split("a,,b", ',');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], "a");
  EXPECT_EQ(parts[1], "");
  EXPECT_EQ(parts[2], "b");
  EXPECT_EQ(Split("", ',').size(), 1u);
}

}  // namespace
}  // namespace recoup
