// Golden SLA cases computed by hand (see the comment on each case).
#include "recoup/sla/evaluator.h"

#include <gtest/gtest.h>

namespace recoup::sla {
namespace {

using events::OutcomeClass;

const SlaVersion& Kms2022() {
  return *Catalog::Default()->Find("kms")->VersionById("kms-2022-11-29");
}

YearMonth M(const char* s) { return *YearMonth::Parse(s); }

IntervalCounts At(YearMonth m, int64_t index, int64_t requests, int64_t failed) {
  IntervalCounts c;
  c.start_ms = m.StartMs() + index * 300000;
  c.requests = requests;
  c.failed = failed;
  return c;
}

Verdict Eval(YearMonth m, std::vector<IntervalCounts> iv, std::optional<Rational> charges = {},
             const SlaVersion& v = Kms2022()) {
  MonthInput in;
  in.account = "111122223333";
  in.region = "us-east-1";
  in.service = "kms";
  in.month = m;
  in.intervals = std::move(iv);
  in.charges_usd = charges;
  auto r = Evaluate(v, in);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return *r;
}

Rational Pct(const char* s) { return *ParseDecimal(s); }

TEST(EvaluatorTest, IntervalCountsFollowMonthLength) {
  EXPECT_EQ(Eval(M("2026-02"), {}).intervals, 8064);
  EXPECT_EQ(Eval(M("2024-02"), {}).intervals, 8352);
  EXPECT_EQ(Eval(M("2026-04"), {}).intervals, 8640);
  EXPECT_EQ(Eval(M("2026-10"), {}).intervals, 8928);
  EXPECT_EQ(Eval(M("2026-10"), {}).mup_pct, Rational(100));
}

TEST(EvaluatorTest, OneFullyFailedIntervalIn30Days) {
  // 100 - 100 * 1/8640 = 99.98842592592...% -> 10% tier.
  const Verdict v = Eval(M("2026-04"), {At(M("2026-04"), 10, 7, 7)});
  EXPECT_EQ(v.mup_pct, Rational(100) - Ratio(100, 8640));
  EXPECT_TRUE(v.breached);
  EXPECT_EQ(v.credit_pct, Rational(10));
}

TEST(EvaluatorTest, Exactly99999IsMetAndOneFailureMoreIsNot) {
  // 30 days: the budget is a sum of error rates of 0.00001 * 8640 = 0.0864 = 54/625.
  const YearMonth m = M("2026-04");
  const Verdict at = Eval(m, {At(m, 0, 625, 54)});
  EXPECT_EQ(at.mup_pct, Pct("99.999"));
  EXPECT_FALSE(at.breached);
  EXPECT_EQ(at.credit_pct, Rational(0));
  const Verdict over = Eval(m, {At(m, 0, 625, 55)});
  EXPECT_LT(over.mup_pct, Pct("99.999"));
  EXPECT_TRUE(over.breached);
  EXPECT_EQ(over.credit_pct, Rational(10));
}

TEST(EvaluatorTest, Exactly99999In28DayAnd31DayMonths) {
  // 28 days: 0.00001 * 8064 = 0.08064 = 252/3125.
  const YearMonth feb = M("2026-02");
  EXPECT_FALSE(Eval(feb, {At(feb, 5, 3125, 252)}).breached);
  EXPECT_TRUE(Eval(feb, {At(feb, 5, 3125, 253)}).breached);
  // 31 days: 0.00001 * 8928 = 0.08928 = 279/3125.
  const YearMonth oct = M("2026-10");
  EXPECT_EQ(Eval(oct, {At(oct, 8927, 3125, 279)}).mup_pct, Pct("99.999"));
  EXPECT_TRUE(Eval(oct, {At(oct, 8927, 3125, 280)}).breached);
  // 29 days: 0.00001 * 8352 = 0.08352 = 261/3125.
  const YearMonth leap = M("2024-02");
  EXPECT_FALSE(Eval(leap, {At(leap, 0, 3125, 261)}).breached);
  EXPECT_TRUE(Eval(leap, {At(leap, 0, 3125, 262)}).breached);
}

TEST(EvaluatorTest, The99And95PercentTierEdges) {
  const YearMonth m = M("2026-04");  // 8640 intervals
  // 99.0%: sum 86.4 = 86 full intervals + one at 2/5.
  std::vector<IntervalCounts> iv;
  for (int i = 0; i < 86; ++i) iv.push_back(At(m, i, 10, 10));
  iv.push_back(At(m, 86, 5, 2));
  Verdict v = Eval(m, iv);
  EXPECT_EQ(v.mup_pct, Rational(99));
  EXPECT_EQ(v.credit_pct, Rational(10));  // exactly 99.0 -> 10%
  iv.back() = At(m, 86, 5, 3);
  v = Eval(m, iv);
  EXPECT_LT(v.mup_pct, Rational(99));
  EXPECT_EQ(v.credit_pct, Rational(25));
  // 95.0%: sum 432.
  iv.clear();
  for (int i = 0; i < 432; ++i) iv.push_back(At(m, i, 4, 4));
  v = Eval(m, iv);
  EXPECT_EQ(v.mup_pct, Rational(95));
  EXPECT_EQ(v.credit_pct, Rational(25));  // exactly 95.0 -> 25%
  iv.push_back(At(m, 500, 1000, 1));
  v = Eval(m, iv);
  EXPECT_LT(v.mup_pct, Rational(95));
  EXPECT_EQ(v.credit_pct, Rational(100));
}

TEST(EvaluatorTest, MixedCaseFromTheFactSheet) {
  // 31 days, 12 intervals at 5% -> sum 0.6 -> MUP 100 - 60/8928 = 99.993279569...%.
  const YearMonth m = M("2026-10");
  std::vector<IntervalCounts> iv;
  for (int i = 0; i < 12; ++i) iv.push_back(At(m, 100 + i, 20, 1));
  iv.push_back(At(m, 200, 0, 0));  // an interval with no requests counts as 0%
  const Verdict v = Eval(m, iv);
  EXPECT_EQ(v.sum_error_rates, Ratio(3, 5));
  EXPECT_EQ(v.mup_pct, Rational(100) - Ratio(60, 8928));
  EXPECT_EQ(FormatFixed(v.mup_pct, 12), "99.993279569892");
  EXPECT_EQ(v.failing_intervals, 12);
  EXPECT_EQ(v.credit_pct, Rational(10));
}

TEST(EvaluatorTest, CreditMustExceedOneDollar) {
  const YearMonth m = M("2026-04");
  const auto one_bad = std::vector<IntervalCounts>{At(m, 0, 1, 1)};
  // 10% of $8.00 = $0.80: not issued.
  Verdict v = Eval(m, one_bad, Pct("8.00"));
  EXPECT_EQ(*v.credit_before_minimum_usd, Pct("0.8"));
  EXPECT_EQ(*v.credit_usd, Rational(0));
  EXPECT_TRUE(v.below_minimum);
  // 10% of $10.00 = exactly $1.00: still not issued (must exceed $1).
  v = Eval(m, one_bad, Pct("10.00"));
  EXPECT_EQ(*v.credit_usd, Rational(0));
  EXPECT_TRUE(v.below_minimum);
  // 10% of $10.01 = $1.001: issued.
  v = Eval(m, one_bad, Pct("10.01"));
  EXPECT_EQ(*v.credit_usd, Pct("1.001"));
  EXPECT_FALSE(v.below_minimum);
  // 10% of $12.00 = $1.20.
  EXPECT_EQ(*Eval(m, one_bad, Pct("12")).credit_usd, Pct("1.2"));
  // Unknown charges: no credit figure at all.
  EXPECT_FALSE(Eval(m, one_bad).credit_usd.has_value());
  // No breach: credit 0, not "below minimum".
  v = Eval(m, {}, Pct("500"));
  EXPECT_EQ(*v.credit_usd, Rational(0));
  EXPECT_FALSE(v.below_minimum);
}

TEST(EvaluatorTest, ClaimDeadlineIsEndOfSecondBillingCycleAfter) {
  EXPECT_EQ(FormatTimestamp(Eval(M("2025-10"), {}).claim_deadline_ms), "2025-12-31T23:59:59Z");
  EXPECT_EQ(FormatTimestamp(Eval(M("2025-11"), {}).claim_deadline_ms), "2026-01-31T23:59:59Z");
  EXPECT_EQ(FormatTimestamp(Eval(M("2025-12"), {}).claim_deadline_ms), "2026-02-28T23:59:59Z");
  EXPECT_EQ(FormatTimestamp(Eval(M("2023-12"), {}).claim_deadline_ms), "2024-02-29T23:59:59Z");
}

TEST(EvaluatorTest, Version2019UsesItsOwnTiers) {
  const SlaVersion& v2019 = *Catalog::Default()->Find("kms")->VersionById("kms-2019-01-16");
  const YearMonth m = M("2021-04");
  // One full interval out of 8640: 99.988% is above 99.9%: no breach under 2019 terms.
  EXPECT_FALSE(Eval(m, {At(m, 0, 1, 1)}, {}, v2019).breached);
  // 9 full intervals: 100 - 900/8640 = 99.8958...% < 99.9 -> 10%.
  std::vector<IntervalCounts> iv;
  for (int i = 0; i < 9; ++i) iv.push_back(At(m, i, 1, 1));
  EXPECT_EQ(Eval(m, iv, {}, v2019).credit_pct, Rational(10));
  // Below 95% the 2019 SLA still pays 25% (no 100% tier).
  iv.clear();
  for (int i = 0; i < 1000; ++i) iv.push_back(At(m, i, 1, 1));
  EXPECT_EQ(Eval(m, iv, {}, v2019).credit_pct, Rational(25));
}

TEST(EvaluatorTest, ExcludedRequestsStayOutOfTheTotalUnlessTheCatalogSaysSo) {
  const YearMonth m = M("2026-04");
  IntervalCounts c = At(m, 0, 2, 1);
  c.excluded[static_cast<int>(OutcomeClass::kThrottled)] = 2;
  EXPECT_EQ(Eval(m, {c}).sum_error_rates, Ratio(1, 2));
  SlaVersion with = Kms2022();
  with.excluded_in_total = true;
  EXPECT_EQ(Eval(m, {c}, {}, with).sum_error_rates, Ratio(1, 4));
  // Only throttled requests: the interval has no counted requests -> 0%.
  IntervalCounts t = At(m, 1, 0, 0);
  t.excluded[static_cast<int>(OutcomeClass::kThrottled)] = 50;
  EXPECT_EQ(Eval(m, {t}).mup_pct, Rational(100));
}

TEST(EvaluatorTest, CustomerViewCountsUnansweredCalls) {
  const YearMonth m = M("2026-04");
  IntervalCounts c = At(m, 0, 10, 0);
  c.no_response = 10;
  const Verdict v = Eval(m, {c});
  EXPECT_EQ(v.mup_pct, Rational(100));
  EXPECT_EQ(v.customer_mup_pct, Rational(100) - Ratio(100, 2 * 8640));
  EXPECT_EQ(v.no_response, 10);
}

TEST(EvaluatorTest, RejectsIntervalsOutsideTheMonthOrMisaligned) {
  const YearMonth m = M("2026-04");
  MonthInput in;
  in.month = m;
  in.intervals = {At(M("2026-05"), 0, 1, 1)};
  EXPECT_FALSE(Evaluate(Kms2022(), in).ok());
  IntervalCounts c = At(m, 0, 1, 1);
  c.start_ms += 1000;
  in.intervals = {c};
  EXPECT_FALSE(Evaluate(Kms2022(), in).ok());
  in.intervals = {At(m, 0, 1, 2)};  // more failures than requests
  EXPECT_FALSE(Evaluate(Kms2022(), in).ok());
}

}  // namespace
}  // namespace recoup::sla
