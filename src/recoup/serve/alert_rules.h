// The alert rules of `recoup serve`, pure: values in, desired alerts out.
//
//   * tier: the month's MUP so far (judged intervals only) is below the
//     commitment: a credit tier is crossed. Says the MUP, the tier and the
//     credit in dollars so far. Updated when the tier or credit changes.
//   * burn: multi-window burn rates in the style of the Google SRE workbook,
//     sized to the calendar month: the error budget is (100% - commitment)
//     times the month's intervals, spent by each interval's error rate
//     (exactly the MUP's arithmetic). A window pair (long, short, share of
//     the budget) fires when both windows burn at least
//         share x (intervals in the month) / (intervals in the long window)
//     times the sustainable rate and the long window saw at least
//     `min_requests` requests (quiet Regions do not flap).
//   * deadline: a breached month whose claim deadline is near.
//   * silent: a source that delivered nothing for `silent_after`.
// Reconcile turns desired alerts into store changes and notifications: sent
// once when raised, again when the fingerprint changes, and when resolved.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "recoup/core/exact.h"
#include "recoup/events/series.h"
#include "recoup/serve/alert.h"
#include "recoup/serve/config.h"
#include "recoup/sla/catalog.h"
#include "recoup/sla/evaluator.h"

namespace recoup::serve {

struct SeriesSnapshot {
  events::SeriesMonth key;
  const sla::SlaVersion* version = nullptr;
  sla::Verdict verdict;                        // over the judged intervals
  std::vector<sla::IntervalCounts> intervals;  // judged intervals with traffic
  int64_t judged_until_ms = 0;                 // end of the last judged interval
};

struct BurnResult {
  Rational long_burn, short_burn, threshold;
  int64_t long_requests = 0;
  bool firing = false;
};

BurnResult BurnRate(const sla::SlaVersion& version, YearMonth month,
                    const std::vector<sla::IntervalCounts>& intervals, int64_t window_end_ms,
                    const BurnWindowConfig& window, int64_t min_requests);

// Desired (firing) alerts of one series: tier and burn.
std::vector<serve::AlertRecord> SeriesAlerts(const SeriesSnapshot& s, const AlertsConfig& config);
// A deadline alert for a breached month, if its deadline is within the warning.
std::optional<serve::AlertRecord> DeadlineAlert(const SeriesSnapshot& s, const AlertsConfig& config,
                                                int64_t now_ms);
serve::AlertRecord SilentAlert(const std::string& source, int64_t last_event_ms, int64_t now_ms);

// A source refused events because it reached the series bound (one alert
// per source, however many series were refused).
serve::AlertRecord SeriesLimitAlert(const std::string& source, int64_t refused, int64_t max_series,
                                    int64_t now_ms);

struct AlertChanges {
  std::vector<serve::AlertRecord> save;  // new, updated or resolved rows
  std::vector<serve::OutboxItem> notify;
  std::vector<std::string> announced;  // "firing: summary" lines for the log
};

// `current`: the firing alerts as stored. `desired`: what the rules say now,
// for the alerts whose kind is in `kinds` (others are left alone).
AlertChanges Reconcile(const std::map<std::string, serve::AlertRecord>& current,
                       const std::vector<serve::AlertRecord>& desired,
                       const std::set<std::string>& kinds,
                       const std::vector<ChannelConfig>& channels, int64_t now_ms);

}  // namespace recoup::serve
