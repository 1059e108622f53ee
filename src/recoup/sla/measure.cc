#include "recoup/sla/measure.h"

#include <set>
#include <string>

namespace recoup::sla {

namespace {

using events::OutcomeClass;

// The request error rate per interval: MUP = 100% - mean over every interval
// of the month of (server errors / requests), an interval without requests
// counting as the version's empty-interval rate.
class RequestErrorRate final : public Measure {
 public:
  struct State final : MeasureState {
    const SlaVersion* version = nullptr;
    YearMonth month;
    int64_t interval_ms = 0;
    std::set<int64_t> seen;  // interval starts folded in
    Rational sum = 0;        // of error rates over the intervals seen
    Rational sum_cv = 0;     // the same, never-answered attempts counted as failures
    Verdict counts;          // the request and interval counts only
  };

  std::string_view name() const override { return kRequestErrorRate; }

  std::unique_ptr<MeasureState> Init(const SlaVersion& version, YearMonth month) const override {
    auto s = std::make_unique<State>();
    s->version = &version;
    s->month = month;
    s->interval_ms = static_cast<int64_t>(version.interval_seconds) * 1000;
    s->counts.intervals = (month.EndMs() - month.StartMs()) / s->interval_ms;
    return s;
  }

  Status Update(MeasureState& state, const IntervalCounts& c) const override {
    State& s = static_cast<State&>(state);
    const int64_t start = s.month.StartMs();
    if (c.start_ms < start || c.start_ms >= s.month.EndMs() ||
        (c.start_ms - start) % s.interval_ms != 0) {
      return InvalidArgument("interval " + FormatTimestamp(c.start_ms) + " is not a " +
                             std::to_string(s.version->interval_seconds) + "-second interval of " +
                             s.month.ToString());
    }
    if (!s.seen.insert(c.start_ms).second) {
      return InvalidArgument("interval " + FormatTimestamp(c.start_ms) + " given twice");
    }
    if (c.failed < 0 || c.requests < 0 || c.failed > c.requests || c.no_response < 0) {
      return InvalidArgument("interval " + FormatTimestamp(c.start_ms) +
                             ": inconsistent counts (failed > requests or negative)");
    }
    const Rational& empty = s.version->empty_interval_error_rate;
    const int64_t total = EligibleTotal(*s.version, c);
    s.sum += total > 0 ? Ratio(c.failed, total) : empty;
    const int64_t total_cv = total + c.no_response;
    s.sum_cv += total_cv > 0 ? Ratio(c.failed + c.no_response, total_cv) : empty;
    Verdict& n = s.counts;
    if (c.requests + c.no_response > 0) ++n.intervals_with_requests;
    if (c.failed > 0) ++n.failing_intervals;
    n.requests += c.requests;
    n.failed_requests += c.failed;
    n.no_response += c.no_response;
    for (int i = 0; i < events::kOutcomeClassCount; ++i) n.excluded[i] += c.excluded[i];
    return Status::Ok();
  }

  Status Combine(MeasureState& state, const MeasureState& other_state) const override {
    State& s = static_cast<State&>(state);
    const State& o = static_cast<const State&>(other_state);
    for (int64_t start : o.seen) {
      if (!s.seen.insert(start).second) {
        return InvalidArgument("interval " + FormatTimestamp(start) + " given twice");
      }
    }
    s.sum += o.sum;
    s.sum_cv += o.sum_cv;
    Verdict& n = s.counts;
    n.intervals_with_requests += o.counts.intervals_with_requests;
    n.failing_intervals += o.counts.failing_intervals;
    n.requests += o.counts.requests;
    n.failed_requests += o.counts.failed_requests;
    n.no_response += o.counts.no_response;
    for (int i = 0; i < events::kOutcomeClassCount; ++i) n.excluded[i] += o.counts.excluded[i];
    return Status::Ok();
  }

  void Finalize(const MeasureState& state, Verdict* out) const override {
    const State& s = static_cast<const State&>(state);
    const Verdict& n = s.counts;
    out->intervals = n.intervals;
    out->intervals_with_requests = n.intervals_with_requests;
    out->failing_intervals = n.failing_intervals;
    out->requests = n.requests;
    out->failed_requests = n.failed_requests;
    out->no_response = n.no_response;
    out->excluded = n.excluded;
    // Intervals not given at all had no requests.
    const int64_t missing = n.intervals - static_cast<int64_t>(s.seen.size());
    Rational sum = s.sum + s.version->empty_interval_error_rate * missing;
    Rational sum_cv = s.sum_cv + s.version->empty_interval_error_rate * missing;
    sum.canonicalize();
    sum_cv.canonicalize();
    out->sum_error_rates = sum;
    out->mup_pct = Rational(100) - Rational(100) * sum / Rational(n.intervals);
    out->mup_pct.canonicalize();
    out->customer_mup_pct = Rational(100) - Rational(100) * sum_cv / Rational(n.intervals);
    out->customer_mup_pct.canonicalize();
  }
};

}  // namespace

const Measure& MeasureFor(const SlaVersion& version) {
  static const RequestErrorRate kRequestErrorRateMeasure;
  // The catalog refuses any other name (Catalog::Parse), so every version
  // has this measure until a second family is added.
  return kRequestErrorRateMeasure;
}

}  // namespace recoup::sla
