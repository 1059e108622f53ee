#include "recoup/claims/claim.h"

#include <gtest/gtest.h>

namespace recoup::claims {
namespace {

const sla::SlaVersion& Kms2022() {
  static auto catalog = sla::Catalog::Default();
  const sla::SlaVersion* v = catalog->Find("kms")->VersionById("kms-2022-11-29");
  return *v;
}

claims::ClaimRecord Sample() {
  claims::ClaimRecord c;
  c.id = ClaimId("111122223333", "us-east-1", "kms", YearMonth{2026, 10});
  c.account = "111122223333";
  c.region = "us-east-1";
  c.service = "kms";
  c.month = YearMonth{2026, 10};
  c.state = "ready";
  c.credit_asked = Ratio(4123, 100);
  c.charges_usd = Ratio(41237, 100);
  c.failed_requests = 10;
  c.deadline_ms = Kms2022().ClaimDeadlineMs(c.month);
  c.sla_version = "kms-2022-11-29";
  return c;
}

TEST(ClaimTest, IdAndDeadline) {
  EXPECT_EQ(ClaimId("111122223333", "us-east-1", "kms", YearMonth{2026, 10}),
            "111122223333-us-east-1-kms-2026-10");
  const claims::ClaimRecord c = Sample();
  EXPECT_EQ(FormatTimestamp(c.deadline_ms), "2026-12-31T23:59:59Z");
  const int64_t now = *ParseTimestampMs("2026-11-28T04:00:00Z");
  EXPECT_EQ(DaysLeft(c.deadline_ms, now), 33);
  EXPECT_EQ(DaysLeft(c.deadline_ms, c.deadline_ms + 1), -1);
  EXPECT_EQ(DaysLeft(c.deadline_ms, c.deadline_ms), 0);
}

TEST(ClaimTest, LifeCycle) {
  EXPECT_TRUE(CanTransition(kDetected, kReady));
  EXPECT_TRUE(CanTransition(kReady, kFiled));
  EXPECT_TRUE(CanTransition(kFiled, kAwaitingCustomer));
  EXPECT_TRUE(CanTransition(kAwaitingCustomer, kFiled));
  EXPECT_TRUE(CanTransition(kApproved, kCredited));
  EXPECT_FALSE(CanTransition(kDetected, kFiled));  // a package first
  EXPECT_FALSE(CanTransition(kCredited, kFiled));
  EXPECT_FALSE(CanTransition(kExpired, kReady));
  EXPECT_FALSE(CanTransition(kFiled, kReady));  // never back to fileable once filed
  for (std::string_view s : AllStates()) EXPECT_FALSE(CanTransition(s, s)) << s;
  EXPECT_TRUE(IsKnownState("awaiting-customer"));
  EXPECT_FALSE(IsKnownState("pending"));
}

TEST(ClaimTest, AMonthThatIsNotOverStaysForming) {
  const sla::SlaVersion& v = Kms2022();
  claims::ClaimRecord c = Sample();
  const int64_t during = *ParseTimestampMs("2026-10-20T00:00:00Z");
  ASSERT_TRUE(MonthNotOverReason(c, during).has_value());
  EXPECT_NE(MonthNotOverReason(c, during)->find("2026-11-01T00:00:00Z"), std::string::npos);
  EXPECT_FALSE(MonthNotOverReason(c, c.month.EndMs()).has_value());
  const auto reasons = RefusalReasons(c, v, during);
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_NE(reasons[0].find("is not over"), std::string::npos);
  EXPECT_TRUE(RefusalReasons(c, v, c.month.EndMs()).empty());
  EXPECT_TRUE(IsUnfiled(kForming));
  EXPECT_TRUE(CanTransition(kForming, kDetected));
  EXPECT_FALSE(CanTransition(kForming, kReady));
  EXPECT_FALSE(CanTransition(kForming, kFiled));
  sla::Verdict verdict;
  verdict.sla_version = "kms-2022-11-29";
  events::SeriesMonth key{"111122223333", "us-east-1", "kms", YearMonth{2026, 10}};
  EXPECT_EQ(ClaimFromVerdict(key, verdict, during).state, kForming);
  EXPECT_EQ(ClaimFromVerdict(key, verdict, key.month.EndMs()).state, kDetected);
}

TEST(ClaimTest, Refusals) {
  const sla::SlaVersion& v = Kms2022();
  claims::ClaimRecord c = Sample();
  const int64_t before = c.deadline_ms - kMsPerDay;
  EXPECT_TRUE(RefusalReasons(c, v, before).empty());

  auto late = RefusalReasons(c, v, c.deadline_ms + 1000);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_NE(late[0].find("deadline passed"), std::string::npos);
  EXPECT_TRUE(RefusalReasons(c, v, c.deadline_ms).empty());  // the last second still counts

  c.credit_asked = 1;  // exactly $1: not more than the minimum
  auto min = RefusalReasons(c, v, before);
  ASSERT_EQ(min.size(), 1u);
  EXPECT_NE(min[0].find("minimum"), std::string::npos);
  c.credit_asked = Ratio(101, 100);
  EXPECT_TRUE(RefusalReasons(c, v, before).empty());

  c.failed_requests = 0;  // only excluded errors
  auto excluded = RefusalReasons(c, v, before);
  ASSERT_EQ(excluded.size(), 1u);
  EXPECT_NE(excluded[0].find("excluded"), std::string::npos);

  c = Sample();
  c.charges_usd.reset();
  auto unknown = RefusalReasons(c, v, before);
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_NE(unknown[0].find("billing"), std::string::npos);
}

TEST(ClaimTest, CaseStatusMapping) {
  EXPECT_EQ(StateForCaseStatus("pending-customer-action", kFiled), std::string(kAwaitingCustomer));
  EXPECT_EQ(StateForCaseStatus("work-in-progress", kAwaitingCustomer), std::string(kFiled));
  EXPECT_EQ(StateForCaseStatus("opened", kFiled), std::nullopt);
  EXPECT_EQ(StateForCaseStatus("resolved", kFiled), std::nullopt);
  EXPECT_EQ(StateForCaseStatus("pending-customer-action", kReady), std::nullopt);
}

}  // namespace
}  // namespace recoup::claims
