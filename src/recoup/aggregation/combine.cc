#include "recoup/aggregation/combine.h"

#include <algorithm>

namespace recoup::aggregation {

using events::OutcomeClass;

std::vector<sla::IntervalCounts> CombineSources(const std::vector<SourceCell>& cells,
                                                const std::map<int64_t, int64_t>& failed_union) {
  std::map<int64_t, sla::IntervalCounts> out;
  std::map<int64_t, bool> has_source;
  for (const auto& [start, failed] : failed_union) {
    sla::IntervalCounts& ic = out[start];
    ic.start_ms = start;
    ic.failed = failed;
    ic.requests = failed;  // at least the failures themselves
  }
  for (const SourceCell& c : cells) {
    sla::IntervalCounts& ic = out[c.interval_start_ms];
    ic.start_ms = c.interval_start_ms;
    const int64_t eligible = c.counts[static_cast<int>(OutcomeClass::kSuccess)] + c.server_errors;
    const int64_t others_only = std::max<int64_t>(0, ic.failed - c.server_errors);
    ic.requests = std::max(ic.requests, eligible + others_only);
    for (OutcomeClass oc :
         {OutcomeClass::kThrottled, OutcomeClass::kClientError, OutcomeClass::kCustomKeyStore}) {
      const int i = static_cast<int>(oc);
      ic.excluded[i] = std::max(ic.excluded[i], c.counts[i]);
    }
    // Server errors without a request ID cannot be matched: they are what the
    // customer felt, like unanswered calls.
    const int64_t unmatched = c.counts[static_cast<int>(OutcomeClass::kNoResponse)] +
                              c.counts[static_cast<int>(OutcomeClass::kServerError)];
    ic.no_response = std::max(ic.no_response, unmatched);
  }
  std::vector<sla::IntervalCounts> v;
  v.reserve(out.size());
  for (auto& [k, ic] : out) v.push_back(ic);
  return v;
}

}  // namespace recoup::aggregation
