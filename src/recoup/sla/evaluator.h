// The SLA engine: Monthly Uptime Percentage, credit tier, credit and claim
// deadline for one (account, Region, service, month), in exact arithmetic.
//
// MUP = 100% - mean over EVERY interval of the calendar month (UTC) of the
// interval's error rate (server errors / requests); an interval without
// requests counts as the catalog's empty-interval rate (0%). The tier is
// chosen on the unrounded MUP. The uptime figures come from the version's
// measure (sla/measure.h); pricing is shared. Pure; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "recoup/core/exact.h"
#include "recoup/core/status.h"
#include "recoup/core/time.h"
#include "recoup/events/event.h"
#include "recoup/sla/catalog.h"

namespace recoup::sla {

// Counts for one interval, already combined across sources.
struct IntervalCounts {
  int64_t start_ms = 0;
  int64_t requests = 0;  // requests that count: successes + server errors
  int64_t failed = 0;    // server errors (distinct request IDs)
  // Excluded requests by class (indexed by OutcomeClass; only kThrottled,
  // kClientError and kCustomKeyStore are used).
  std::array<int64_t, events::kOutcomeClassCount> excluded{};
  int64_t no_response = 0;  // attempts never answered (customer view only)
};

struct MonthInput {
  std::string account, region, service;
  YearMonth month;
  std::vector<IntervalCounts> intervals;  // any order; empty intervals may be omitted
  std::optional<Rational> charges_usd;    // the credit base, if known
};

struct Verdict {
  std::string sla_version;
  Rational commitment_pct;
  int64_t intervals = 0;  // every interval of the month
  int64_t intervals_with_requests = 0;
  int64_t failing_intervals = 0;  // intervals with at least one server error
  int64_t requests = 0;
  int64_t failed_requests = 0;
  std::array<int64_t, events::kOutcomeClassCount> excluded{};
  int64_t no_response = 0;
  Rational sum_error_rates;  // sum over intervals of failed/requests
  Rational mup_pct;
  Rational customer_mup_pct;  // counting never-answered attempts as failures
  bool breached = false;
  Rational credit_pct;
  std::optional<Rational> charges_usd;
  std::optional<Rational> credit_before_minimum_usd;
  std::optional<Rational> credit_usd;  // 0 when at or below the minimum
  bool below_minimum = false;
  int64_t claim_deadline_ms = 0;
};

// REQUIRES: every interval lies in `in.month` and is aligned to the version's
// interval length; otherwise INVALID_ARGUMENT naming the interval.
Result<Verdict> Evaluate(const SlaVersion& version, const MonthInput& in);

// Tier, credit (against the $ minimum) and claim deadline of a verdict whose
// uptime figures (mup_pct) are set: the part every SLA family shares.
void Price(const SlaVersion& version, const MonthInput& in, Verdict* out);

// Requests of an interval that count under `version` (excluded classes
// included when the version keeps them in the total).
int64_t EligibleTotal(const SlaVersion& version, const IntervalCounts& c);

// Error rate of one interval under `version` (exact).
Rational IntervalErrorRate(const SlaVersion& version, const IntervalCounts& c);

}  // namespace recoup::sla
