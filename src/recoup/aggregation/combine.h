// Combines what several sources saw of the same (account, Region, service)
// into the one count per interval that the SLA engine uses. Pure.
//
// The same request can be seen by CloudTrail, the SDK (CSM), application logs
// and probes. Failing requests are matched exactly, on request ID (the store
// keeps every one). Successful requests carry no memory of their IDs, so the
// total per interval is "the most complete source's count plus the failures
// only the other sources saw":
//     requests = max over sources s of (eligible_s + failed_union - failed_s)
// where eligible_s = successes_s + failed_s. Excluded classes and never-
// answered attempts take the maximum over sources (they are not summed: two
// sources seeing the same throttled call must not count it twice).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "recoup/aggregation/aggregator.h"
#include "recoup/sla/evaluator.h"

namespace recoup::aggregation {

struct SourceCell {
  int64_t interval_start_ms = 0;
  events::SourceKind source = events::SourceKind::kCloudTrail;
  ClassCounts counts{};       // successes, excluded classes, no-response
  int64_t server_errors = 0;  // distinct failing request IDs this source saw
};

// `failed_union` maps interval start -> distinct failing request IDs seen by
// any source. Output is sorted by interval.
std::vector<sla::IntervalCounts> CombineSources(const std::vector<SourceCell>& cells,
                                                const std::map<int64_t, int64_t>& failed_union);

}  // namespace recoup::aggregation
