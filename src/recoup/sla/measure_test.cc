#include "recoup/sla/measure.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace recoup::sla {
namespace {

const SlaVersion& Kms2022() {
  return *Catalog::Default()->Find("kms")->VersionById("kms-2022-11-29");
}

IntervalCounts At(YearMonth m, int64_t index, int64_t requests, int64_t failed,
                  int64_t no_response = 0) {
  IntervalCounts c;
  c.start_ms = m.StartMs() + index * 300000;
  c.requests = requests;
  c.failed = failed;
  c.no_response = no_response;
  return c;
}

// The figures a measure decides, in one comparable list.
std::vector<std::string> Figures(const Verdict& v) {
  return {v.mup_pct.get_str(),
          v.customer_mup_pct.get_str(),
          v.sum_error_rates.get_str(),
          std::to_string(v.intervals),
          std::to_string(v.intervals_with_requests),
          std::to_string(v.failing_intervals),
          std::to_string(v.requests) + "/" + std::to_string(v.failed_requests) + "/" +
              std::to_string(v.no_response)};
}

// Two partial states over disjoint intervals, combined, give exactly the
// figures one pass over all of them gives (and Evaluate gives).
TEST(MeasureTest, CombinedPartialStatesEqualOnePass) {
  const SlaVersion& v = Kms2022();
  const YearMonth m = *YearMonth::Parse("2026-10");
  const Measure& measure = MeasureFor(v);
  EXPECT_EQ(measure.name(), "request_error_rate");
  std::vector<IntervalCounts> all;
  for (int i = 0; i < 40; ++i) all.push_back(At(m, i * 7, 100 + i, i % 3, i % 5 == 0 ? 2 : 0));

  auto one = measure.Init(v, m);
  for (const auto& c : all) ASSERT_TRUE(measure.Update(*one, c).ok());
  auto even = measure.Init(v, m);
  auto odd = measure.Init(v, m);
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_TRUE(measure.Update(i % 2 == 0 ? *even : *odd, all[i]).ok());
  }
  ASSERT_TRUE(measure.Combine(*even, *odd).ok());

  Verdict a, b;
  measure.Finalize(*one, &a);
  measure.Finalize(*even, &b);
  EXPECT_EQ(Figures(a), Figures(b));
  EXPECT_EQ(a.intervals, 31 * 288);

  MonthInput in;
  in.month = m;
  in.intervals = all;
  auto full = Evaluate(v, in);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(Figures(*full), Figures(a));
}

TEST(MeasureTest, CombineRefusesAnIntervalInBothStates) {
  const SlaVersion& v = Kms2022();
  const YearMonth m = *YearMonth::Parse("2026-10");
  const Measure& measure = MeasureFor(v);
  auto x = measure.Init(v, m);
  auto y = measure.Init(v, m);
  ASSERT_TRUE(measure.Update(*x, At(m, 3, 10, 1)).ok());
  ASSERT_TRUE(measure.Update(*y, At(m, 3, 10, 1)).ok());
  const Status st = measure.Combine(*x, *y);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("given twice"), std::string::npos) << st.message();
}

TEST(MeasureTest, CatalogRefusesAMeasureItHasNot) {
  // The built-in KMS version, but for its measure.
  const std::string version = R"({"id": "v1", "effective_from": "2022-11-29",
      "commitment_pct": "99.999", "tiers": [{"below_pct": "99.999", "credit_pct": "10"}],
      "interval_seconds": 300, "empty_interval_error_rate": "0", "excluded_in_total": false,
      "excluded_classes": ["throttling"], "minimum_credit_usd": "1",
      "minimum_rule": "credit_must_exceed", "charges_scope": "region",
      "claim_window_billing_cycles": 2)";
  auto catalog_with = [&](const std::string& extra) {
    return R"({"catalog_version": "t", "services": {"kms": {
      "name": "AWS Key Management Service", "event_source": "kms.amazonaws.com",
      "cur_product_code": "awskms", "error_classes": {"server_error": ["InternalFailure"]},
      "versions": [)" +
           version + extra + "}]}}}";
  };
  ASSERT_TRUE(Catalog::Parse(catalog_with(""), "test catalog").ok());
  ASSERT_TRUE(Catalog::Parse(catalog_with(R"(, "measure": "request_error_rate")"), "t").ok());
  const std::string json = catalog_with(R"(, "measure": "unavailable_minutes")");
  auto c = Catalog::Parse(json, "test catalog");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("measure"), std::string::npos) << c.status().message();
}

}  // namespace
}  // namespace recoup::sla
