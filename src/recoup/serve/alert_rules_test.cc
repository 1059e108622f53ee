#include "recoup/serve/alert_rules.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace recoup::serve {
namespace {

const sla::SlaVersion& Kms(YearMonth m) {
  return *sla::Catalog::Default()->Find("kms")->VersionFor(m);
}

sla::IntervalCounts Interval(int64_t start, int64_t requests, int64_t failed) {
  sla::IntervalCounts c;
  c.start_ms = start;
  c.requests = requests;
  c.failed = failed;
  return c;
}

// November 2026: 30 days, 8640 intervals. At 99.999% the budget is an
// average error rate of 1e-5; the 1h/5m pair at 2% fires at
// 0.02 * 8640 / 12 = 14.4x.
TEST(BurnRate, WorkbookThresholdSizedToTheCalendarMonth) {
  const YearMonth m{2026, 11};
  const int64_t end = m.StartMs() + 86400000;  // one day in
  const BurnWindowConfig w{3600000, 300000, "2", "page"};
  std::vector<sla::IntervalCounts> iv;
  // Last interval: 1 failure in 1000 (1e-3): the 5m window burns 100x; the
  // 1h window averages 1e-3/12 -> 8.33x: below 14.4, no alert.
  iv.push_back(Interval(end - 300000, 1000, 1));
  for (int i = 2; i <= 12; ++i) iv.push_back(Interval(end - 300000 * i, 1000, 0));
  BurnResult b = BurnRate(Kms(m), m, iv, end, w, 100);
  EXPECT_EQ(b.threshold, Rational(72, 5));  // 14.4
  EXPECT_EQ(b.short_burn, Rational(100));
  EXPECT_EQ(b.long_burn, Rational(25, 3));
  EXPECT_FALSE(b.firing);
  // Two failing intervals in the hour: long 16.67x, short 100x: fires.
  iv[5].failed = 1;
  b = BurnRate(Kms(m), m, iv, end, w, 100);
  EXPECT_TRUE(b.firing);
  // ... unless the hour saw fewer requests than the minimum (quiet Region).
  b = BurnRate(Kms(m), m, iv, end, w, 12001);
  EXPECT_FALSE(b.firing);
  // An interval after the window end is not judged yet.
  iv.push_back(Interval(end, 10, 10));
  EXPECT_EQ(BurnRate(Kms(m), m, iv, end, w, 100).short_burn, Rational(100));
}

TEST(BurnRate, ThirtyOneDayMonthHasAHigherThreshold) {
  const YearMonth m{2026, 12};
  const BurnWindowConfig w{3600000, 300000, "2", "page"};
  EXPECT_EQ(BurnRate(Kms(m), m, {}, m.StartMs() + 3600000, w, 1).threshold,
            Rational(2, 100) * 8928 / 12);
}

serve::AlertRecord Desired(const std::string& key, const std::string& fp) {
  serve::AlertRecord a;
  a.key = key;
  a.kind = key.substr(0, key.find('/'));
  a.fingerprint = fp;
  a.summary = "s " + fp;
  a.detail_json = "{}";
  return a;
}

TEST(Reconcile, SentOnceUpdatedOnChangeResolvedWhenOver) {
  std::vector<ChannelConfig> ch{{"hook", "webhook", "http://x", "", {}, "", ""},
                                {"mail", "email", "smtp://x", "a@b", {"c@d"}, "", ""}};
  const std::set<std::string> kinds{"tier", "burn"};
  std::map<std::string, serve::AlertRecord> current;
  auto apply = [&](const AlertChanges& c) {
    for (const auto& a : c.save) current[a.key] = a;
  };
  // Raised: one notification per channel.
  AlertChanges c = Reconcile(current, {Desired("tier/a", "10|5.00")}, kinds, ch, 1000);
  ASSERT_EQ(c.save.size(), 1u);
  EXPECT_EQ(c.save[0].state, "firing");
  EXPECT_EQ(c.save[0].opened_ms, 1000);
  ASSERT_EQ(c.notify.size(), 2u);
  EXPECT_EQ(c.notify[0].action, "firing");
  apply(c);
  // Same again: nothing.
  c = Reconcile(current, {Desired("tier/a", "10|5.00")}, kinds, ch, 2000);
  EXPECT_TRUE(c.save.empty());
  EXPECT_TRUE(c.notify.empty());
  // Figures moved, fingerprint same: saved, not sent.
  serve::AlertRecord moved = Desired("tier/a", "10|5.00");
  moved.summary = "MUP moved";
  c = Reconcile(current, {moved}, kinds, ch, 3000);
  EXPECT_EQ(c.save.size(), 1u);
  EXPECT_TRUE(c.notify.empty());
  apply(c);
  // Tier changed: an update, opened time kept.
  c = Reconcile(current, {Desired("tier/a", "25|12.50")}, kinds, ch, 4000);
  ASSERT_EQ(c.notify.size(), 2u);
  EXPECT_EQ(c.notify[0].action, "updated");
  EXPECT_EQ(c.save[0].opened_ms, 1000);
  apply(c);
  // A kind not judged this round is left alone.
  c = Reconcile(current, {}, {"silent"}, ch, 5000);
  EXPECT_TRUE(c.save.empty());
  // Over: resolved once.
  c = Reconcile(current, {}, kinds, ch, 6000);
  ASSERT_EQ(c.save.size(), 1u);
  EXPECT_EQ(c.save[0].state, "resolved");
  EXPECT_EQ(c.save[0].resolved_ms, 6000);
  ASSERT_EQ(c.notify.size(), 2u);
  EXPECT_EQ(c.notify[1].action, "resolved");
  EXPECT_EQ(c.notify[1].channel, "mail");
}

TEST(SeriesAlerts, TierAlertSaysMupTierAndCredit) {
  const YearMonth m{2026, 11};
  SeriesSnapshot s;
  s.key = {"111122223333", "us-east-1", "kms", m};
  s.version = &Kms(m);
  sla::MonthInput in;
  in.account = s.key.account;
  in.region = s.key.region;
  in.service = "kms";
  in.month = m;
  in.intervals = {Interval(m.StartMs(), 10, 5)};
  in.charges_usd = Rational(1000);
  s.intervals = in.intervals;
  s.verdict = *sla::Evaluate(*s.version, in);
  s.judged_until_ms = m.StartMs() + 300000;
  AlertsConfig cfg;
  cfg.min_requests = 1000;  // no burn alert
  auto alerts = SeriesAlerts(s, cfg);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].key, "tier/111122223333/us-east-1/kms/2026-11");
  // MUP = 100 - 50/8640 = 99.994212...%: tier 10%, credit $100.00.
  EXPECT_NE(alerts[0].summary.find("MUP so far 99.994212%"), std::string::npos)
      << alerts[0].summary;
  EXPECT_NE(alerts[0].summary.find("credit tier 10%"), std::string::npos);
  EXPECT_NE(alerts[0].summary.find("credit so far $100.00"), std::string::npos);
  EXPECT_EQ(alerts[0].fingerprint, "10|100.00");
  cfg.min_requests = 1;
  EXPECT_EQ(SeriesAlerts(s, cfg).size(), 2u);
}

TEST(SeriesAlerts, MoneyInCentsWithTheExactValueAndNullWhenUnknown) {
  const YearMonth m{2026, 11};
  SeriesSnapshot s;
  s.key = {"111122223333", "us-east-1", "kms", m};
  s.version = &Kms(m);
  sla::MonthInput in;
  in.account = s.key.account;
  in.region = s.key.region;
  in.service = "kms";
  in.month = m;
  in.intervals = {Interval(m.StartMs(), 10, 5)};
  in.charges_usd = Ratio(1000055, 1000);  // $1000.055: 10% is $100.0055
  s.intervals = in.intervals;
  s.verdict = *sla::Evaluate(*s.version, in);
  s.judged_until_ms = m.StartMs() + 300123;
  AlertsConfig cfg;
  cfg.min_requests = 1000;
  auto alerts = SeriesAlerts(s, cfg);
  ASSERT_EQ(alerts.size(), 1u);
  auto d = nlohmann::json::parse(alerts[0].detail_json);
  EXPECT_EQ(d["credit_usd"], "100.01");
  EXPECT_EQ(d["credit_usd_exact"], "100.0055");
  EXPECT_EQ(d["charges_usd"], "1000.06");
  EXPECT_EQ(d["charges_usd_exact"], "1000.055");
  EXPECT_EQ(d["judged_until"], "2026-11-01T00:05:00.123Z");
  in.charges_usd.reset();
  s.verdict = *sla::Evaluate(*s.version, in);
  d = nlohmann::json::parse(SeriesAlerts(s, cfg).at(0).detail_json);
  EXPECT_TRUE(d["credit_usd"].is_null());
  EXPECT_TRUE(d["credit_usd_exact"].is_null());
  EXPECT_TRUE(d["charges_usd"].is_null());
  auto silent = nlohmann::json::parse(SilentAlert("csm", 0, 5000).detail_json);
  EXPECT_TRUE(silent["last_event"].is_null());
}

}  // namespace
}  // namespace recoup::serve
