#include "recoup/sla/evaluator.h"

#include <algorithm>
#include <set>

namespace recoup::sla {

using events::OutcomeClass;

namespace {

int64_t EligibleTotal(const SlaVersion& v, const IntervalCounts& c) {
  int64_t total = c.requests;
  if (v.excluded_in_total) {
    for (OutcomeClass oc : v.excluded_classes) total += c.excluded[static_cast<int>(oc)];
  }
  return total;
}

}  // namespace

Rational IntervalErrorRate(const SlaVersion& v, const IntervalCounts& c) {
  const int64_t total = EligibleTotal(v, c);
  if (total == 0) return v.empty_interval_error_rate;
  return Ratio(c.failed, total);
}

Result<Verdict> Evaluate(const SlaVersion& v, const MonthInput& in) {
  Verdict out;
  out.sla_version = v.id;
  out.commitment_pct = v.commitment_pct;
  const int64_t interval_ms = static_cast<int64_t>(v.interval_seconds) * 1000;
  const int64_t start = in.month.StartMs();
  const int64_t end = in.month.EndMs();
  out.intervals = (end - start) / interval_ms;

  std::set<int64_t> seen;
  Rational sum = 0, sum_cv = 0;
  int64_t nonempty = 0;
  for (const IntervalCounts& c : in.intervals) {
    if (c.start_ms < start || c.start_ms >= end || (c.start_ms - start) % interval_ms != 0) {
      return InvalidArgument("interval " + FormatTimestamp(c.start_ms) + " is not a " +
                             std::to_string(v.interval_seconds) + "-second interval of " +
                             in.month.ToString());
    }
    if (!seen.insert(c.start_ms).second) {
      return InvalidArgument("interval " + FormatTimestamp(c.start_ms) + " given twice");
    }
    if (c.failed < 0 || c.requests < 0 || c.failed > c.requests || c.no_response < 0) {
      return InvalidArgument("interval " + FormatTimestamp(c.start_ms) +
                             ": inconsistent counts (failed > requests or negative)");
    }
    const int64_t total = EligibleTotal(v, c);
    if (total > 0) {
      ++nonempty;
      sum += Ratio(c.failed, total);
    } else {
      sum += v.empty_interval_error_rate;
    }
    const int64_t total_cv = total + c.no_response;
    if (total_cv > 0) {
      sum_cv += Ratio(c.failed + c.no_response, total_cv);
    } else {
      sum_cv += v.empty_interval_error_rate;
    }
    if (c.requests + c.no_response > 0) ++out.intervals_with_requests;
    if (c.failed > 0) ++out.failing_intervals;
    out.requests += c.requests;
    out.failed_requests += c.failed;
    out.no_response += c.no_response;
    for (int i = 0; i < events::kOutcomeClassCount; ++i) out.excluded[i] += c.excluded[i];
  }
  (void)nonempty;
  // Intervals not given at all have no requests.
  const int64_t missing = out.intervals - static_cast<int64_t>(seen.size());
  sum += v.empty_interval_error_rate * missing;
  sum_cv += v.empty_interval_error_rate * missing;
  sum.canonicalize();
  sum_cv.canonicalize();
  out.sum_error_rates = sum;
  out.mup_pct = Rational(100) - Rational(100) * sum / Rational(out.intervals);
  out.mup_pct.canonicalize();
  out.customer_mup_pct = Rational(100) - Rational(100) * sum_cv / Rational(out.intervals);
  out.customer_mup_pct.canonicalize();
  out.breached = out.mup_pct < v.commitment_pct;
  out.credit_pct = v.CreditPct(out.mup_pct);
  out.claim_deadline_ms = v.ClaimDeadlineMs(in.month);
  if (in.charges_usd) {
    out.charges_usd = *in.charges_usd;
    Rational credit = *in.charges_usd * out.credit_pct / Rational(100);
    credit.canonicalize();
    out.credit_before_minimum_usd = credit;
    const bool issued = v.minimum_rule == "credit_at_least" ? credit >= v.minimum_credit_usd
                                                            : credit > v.minimum_credit_usd;
    out.below_minimum = out.credit_pct > 0 && !issued;
    out.credit_usd = issued ? credit : Rational(0);
  }
  return out;
}

}  // namespace recoup::sla
