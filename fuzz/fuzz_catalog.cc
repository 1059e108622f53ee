// Fuzzes sla::Catalog::Parse, the SLA catalog a user may pass with --catalog
// or $RECOUP_CATALOG, then uses what it accepted the way the evaluator does.
//
// Invariants (besides no crash, no UB, no escaping exception):
//   * a failure says where (the message starts with the origin);
//   * an accepted catalog keeps the rules Parse promises: each service has
//     versions sorted by effective month, each version an id, tiers sorted by
//     threshold (descending) with the first at the commitment, an interval
//     that divides a day, and a known minimum rule and charges scope;
//   * lookups agree with the data: Find, VersionFor, VersionById, Classify,
//     CreditPct and ClaimDeadlineMs work on every accepted version.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "recoup/sla/catalog.h"

namespace {

using recoup::Rational;
using recoup::YearMonth;
using recoup::fuzz::Escape;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = recoup::sla::Catalog::Parse(input, "fuzz.json");
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().message().rfind("fuzz.json", 0) == 0,
               "error does not name the catalog: %s", Escape(parsed.status().message()).c_str());
    return 0;
  }
  const recoup::sla::Catalog& cat = **parsed;
  FUZZ_CHECK(cat.origin() == "fuzz.json", "origin '%s'", cat.origin().c_str());
  FUZZ_CHECK(cat.sha256().size() == 64, "sha256 '%s'", cat.sha256().c_str());

  for (const recoup::sla::ServiceTerms& t : cat.services()) {
    FUZZ_CHECK(cat.Find(t.key) != nullptr, "Find('%s') is null", Escape(t.key).c_str());
    FUZZ_CHECK(!t.versions.empty(), "service '%s' without versions", Escape(t.key).c_str());
    for (const auto& [code, cls] : t.codes) {
      if (code.empty()) continue;
      FUZZ_CHECK(t.Classify(code, 0) == cls, "Classify('%s') disagrees with the catalog",
                 Escape(code).c_str());
    }
    (void)t.Classify("", 0);
    (void)t.Classify("", 503);
    (void)t.Classify("NoSuchCode", 429);
    const recoup::sla::SlaVersion* prev = nullptr;
    for (const recoup::sla::SlaVersion& v : t.versions) {
      FUZZ_CHECK(!v.id.empty(), "version without id");
      FUZZ_CHECK(v.effective_month.month >= 1 && v.effective_month.month <= 12, "month %d",
                 v.effective_month.month);
      if (prev != nullptr) {
        FUZZ_CHECK(!(v.effective_month < prev->effective_month), "versions not sorted");
      }
      prev = &v;
      FUZZ_CHECK(!v.tiers.empty(), "version '%s' without tiers", Escape(v.id).c_str());
      FUZZ_CHECK(v.tiers.front().below_pct == v.commitment_pct, "first tier is not the commitment");
      for (size_t i = 1; i < v.tiers.size(); ++i) {
        FUZZ_CHECK(v.tiers[i - 1].below_pct >= v.tiers[i].below_pct, "tiers not sorted");
      }
      FUZZ_CHECK(v.interval_seconds > 0 && 86400 % v.interval_seconds == 0, "interval %d",
                 v.interval_seconds);
      FUZZ_CHECK(v.minimum_rule == "credit_must_exceed" || v.minimum_rule == "credit_at_least",
                 "minimum_rule '%s'", Escape(v.minimum_rule).c_str());
      FUZZ_CHECK(v.charges_scope == "region" || v.charges_scope == "account_all_regions",
                 "charges_scope '%s'", Escape(v.charges_scope).c_str());

      const recoup::sla::SlaVersion* governing = t.VersionFor(v.effective_month);
      FUZZ_CHECK(governing != nullptr && governing->effective_month == v.effective_month,
                 "VersionFor(%s) does not find a version of that month",
                 v.effective_month.ToString().c_str());
      FUZZ_CHECK(t.VersionById(v.id) != nullptr, "VersionById('%s') is null", Escape(v.id).c_str());
      // Met commitment: no credit. Total outage: the deepest tier's credit.
      FUZZ_CHECK(v.CreditPct(v.commitment_pct) == 0, "credit at exactly the commitment");
      (void)v.CreditPct(Rational(0));
      (void)v.CreditPct(Rational(100));
      (void)v.ClaimDeadlineMs(v.effective_month);
      (void)v.ClaimDeadlineMs(YearMonth{2025, 12});
    }
  }
  return 0;
}
