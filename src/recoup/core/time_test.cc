#include "recoup/core/time.h"

#include <gtest/gtest.h>

#include <limits>

namespace recoup {
namespace {

TEST(TimeTest, ParsesCloudTrailTimestamps) {
  auto t = ParseTimestampMs("2014-11-18T21:39:19Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 1416346759000);
  EXPECT_EQ(FormatTimestamp(*t), "2014-11-18T21:39:19Z");
}

TEST(TimeTest, ParsesFractionsOffsetsAndDates) {
  EXPECT_EQ(*ParseTimestampMs("1970-01-01T00:00:00.250Z"), 250);
  EXPECT_EQ(*ParseTimestampMs("1970-01-01T02:00:00+02:00"), 0);
  EXPECT_EQ(*ParseTimestampMs("1970-01-01T00:00:00-0130"), 90 * 60 * 1000);
  EXPECT_EQ(*ParseTimestampMs("1970-01-02"), kMsPerDay);
  EXPECT_EQ(*ParseTimestampMs("2025-10-20 06:48:00"), *ParseTimestampMs("2025-10-20T06:48:00Z"));
}

TEST(TimeTest, RejectsMalformedTimestamps) {
  for (const char* bad :
       {"", "2025", "2025-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2025-10-20T25:00:00Z",
        "2025-10-20T06:48:00Q", "garbage", "2025-10-20T06:48:00Zjunk"}) {
    EXPECT_FALSE(ParseTimestampMs(bad).ok()) << bad;
  }
  EXPECT_TRUE(ParseTimestampMs("2024-02-29T00:00:00Z").ok());
}

TEST(TimeTest, FormatsRfc5322MailDates) {
  EXPECT_EQ(FormatRfc5322(*ParseTimestampMs("2025-03-11T14:42:00Z")),
            "Tue, 11 Mar 2025 14:42:00 +0000");
  EXPECT_EQ(FormatRfc5322(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(FormatRfc5322(*ParseTimestampMs("2024-02-29T23:59:59.999Z")),
            "Thu, 29 Feb 2024 23:59:59 +0000");
  EXPECT_EQ(FormatRfc5322(-1000), "Wed, 31 Dec 1969 23:59:59 +0000");
}

TEST(TimeTest, ParsesRfc1123AsHealthEventsCarryIt) {
  EXPECT_EQ(*ParseRfc1123Ms("Tue, 11 Mar 2025 14:42:00 GMT"),
            *ParseTimestampMs("2025-03-11T14:42:00Z"));
  EXPECT_FALSE(ParseRfc1123Ms("Tue, 11 Foo 2025 14:42:00 GMT").ok());
}

TEST(TimeTest, MonthLengthsAndBoundaries) {
  struct Case {
    const char* month;
    int days;
  } cases[] = {{"2026-02", 28}, {"2024-02", 29}, {"2026-04", 30},
               {"2026-10", 31}, {"2000-02", 29}, {"2100-02", 28}};
  for (const auto& c : cases) {
    auto m = YearMonth::Parse(c.month);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->Days(), c.days) << c.month;
    EXPECT_EQ(m->EndMs() - m->StartMs(), c.days * kMsPerDay) << c.month;
  }
  EXPECT_EQ(YearMonth::Parse("2025-12")->Plus(2).ToString(), "2026-02");
  EXPECT_EQ(YearMonth::Parse("2025-01")->Plus(-1).ToString(), "2024-12");
  EXPECT_EQ(YearMonth::FromMs(*ParseTimestampMs("2025-10-31T23:59:59.999Z")).ToString(), "2025-10");
  EXPECT_EQ(YearMonth::FromMs(*ParseTimestampMs("2025-11-01T00:00:00Z")).ToString(), "2025-11");
  EXPECT_FALSE(YearMonth::Parse("2025-1").ok());
  EXPECT_FALSE(YearMonth::Parse("2025-00").ok());
}

}  // namespace
}  // namespace recoup

namespace recoup {
namespace {

// A hostile event time (CSM Timestamp 2^62 or 2^63-1) must never overflow
// the month arithmetic, whatever reaches it.
TEST(TimeTest, MonthsOfExtremeTimesSaturateInsteadOfOverflowing) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  for (int64_t ms : {int64_t{1} << 62, kMax, kMin, -(int64_t{1} << 62)}) {
    const YearMonth m = YearMonth::FromMs(ms);
    EXPECT_GE(m.month, 1) << ms;
    EXPECT_LE(m.month, 12) << ms;
    const int64_t start = m.StartMs();
    const int64_t end = m.EndMs();
    EXPECT_LE(start, end) << ms;
    (void)m.Plus(3).StartMs();
    (void)FormatTimestamp(ms);
  }
  EXPECT_EQ(YearMonth::FromMs(kMax).Plus(1).StartMs(), kMax);
  EXPECT_EQ(YearMonth::FromMs(kMin).StartMs(), kMin);
  // Ordinary months are exact.
  EXPECT_EQ(YearMonth::FromMs(*ParseTimestampMs("9999-12-31T23:59:59Z")).EndMs(),
            DaysFromCivil(10000, 1, 1) * kMsPerDay);
}

}  // namespace
}  // namespace recoup
