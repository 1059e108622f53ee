#include "recoup/sla/evaluator.h"

#include <memory>

#include "recoup/sla/measure.h"

namespace recoup::sla {

using events::OutcomeClass;

int64_t EligibleTotal(const SlaVersion& v, const IntervalCounts& c) {
  int64_t total = c.requests;
  if (v.excluded_in_total) {
    for (events::OutcomeClass oc : v.excluded_classes) total += c.excluded[static_cast<int>(oc)];
  }
  return total;
}

Rational IntervalErrorRate(const SlaVersion& v, const IntervalCounts& c) {
  const int64_t total = EligibleTotal(v, c);
  if (total == 0) return v.empty_interval_error_rate;
  return Ratio(c.failed, total);
}

Result<Verdict> Evaluate(const SlaVersion& v, const MonthInput& in) {
  Verdict out;
  out.sla_version = v.id;
  out.commitment_pct = v.commitment_pct;
  const Measure& measure = MeasureFor(v);
  std::unique_ptr<MeasureState> state = measure.Init(v, in.month);
  for (const IntervalCounts& c : in.intervals) RECOUP_RETURN_IF_ERROR(measure.Update(*state, c));
  measure.Finalize(*state, &out);
  Price(v, in, &out);
  return out;
}

void Price(const SlaVersion& v, const MonthInput& in, Verdict* out) {
  out->breached = out->mup_pct < v.commitment_pct;
  out->credit_pct = v.CreditPct(out->mup_pct);
  out->claim_deadline_ms = v.ClaimDeadlineMs(in.month);
  if (in.charges_usd) {
    out->charges_usd = *in.charges_usd;
    Rational credit = *in.charges_usd * out->credit_pct / Rational(100);
    credit.canonicalize();
    out->credit_before_minimum_usd = credit;
    const bool issued = v.minimum_rule == "credit_at_least" ? credit >= v.minimum_credit_usd
                                                            : credit > v.minimum_credit_usd;
    out->below_minimum = out->credit_pct > 0 && !issued;
    out->credit_usd = issued ? credit : Rational(0);
  }
}

}  // namespace recoup::sla
