// Folds events into the SLA's intervals per (account, Region, service, source).
//
// State is mergeable (Merge is associative and commutative), so partial
// aggregates from files, threads and re-runs combine deterministically.
// Memory grows with the number of (series, interval) cells touched and with
// the number of failing requests, never with successful requests:
//   * successes and excluded outcomes are counted per cell;
//   * every server error with a request ID is kept (the store de-duplicates
//     failures across sources by request ID);
//   * a bounded sample of other non-success outcomes, and of the successes of
//     recoup's own probes (source kProbe), is kept per cell and class as
//     evidence (the `sample_limit` smallest by time, then request ID).
// Not thread-safe: use one Aggregator per thread and Merge.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "recoup/events/event.h"
#include "recoup/sla/scopes.h"

namespace recoup::aggregation {

struct SeriesKey {
  std::string account, region, service;
  auto operator<=>(const SeriesKey&) const = default;
};

struct CellKey {
  SeriesKey series;
  int64_t interval_start_ms = 0;
  events::SourceKind source = events::SourceKind::kCloudTrail;
  auto operator<=>(const CellKey&) const = default;
};

// Per-cell counts by outcome class. counts[kServerError] counts only server
// errors WITHOUT a request ID (should be none: readers map those to
// kNoResponse); failures with IDs are kept in `failures` instead.
using ClassCounts = std::array<int64_t, events::kOutcomeClassCount>;

struct SampleKey {
  SeriesKey series;
  int64_t interval_start_ms = 0;
  events::OutcomeClass outcome = events::OutcomeClass::kSuccess;
  auto operator<=>(const SampleKey&) const = default;
};

class Aggregator {
 public:
  explicit Aggregator(int64_t interval_ms = 300000, size_t sample_limit = 20)
      : interval_ms_(interval_ms), sample_limit_(sample_limit) {}

  // Requests on the resources `scopes` names count in their sub-scope's
  // series (sla/scopes.h); not owned, must outlive the aggregator; nullptr:
  // every request in its service's default scope.
  void set_scopes(const sla::ScopeMap* scopes) { scopes_ = scopes; }

  void Add(const events::EventView& e);
  void Merge(Aggregator&& other);
  void Clear();

  int64_t interval_ms() const { return interval_ms_; }
  const std::map<CellKey, ClassCounts>& cells() const { return cells_; }
  const std::vector<events::Event>& failures() const { return failures_; }
  const std::map<SampleKey, std::vector<events::Event>>& samples() const { return samples_; }
  int64_t events_added() const { return events_added_; }

 private:
  void AddScoped(const events::EventView& e);
  void AddSample(const SampleKey& key, const events::EventView& e);

  int64_t interval_ms_;
  size_t sample_limit_;
  const sla::ScopeMap* scopes_ = nullptr;
  std::map<CellKey, ClassCounts> cells_;
  std::vector<events::Event> failures_;
  std::map<SampleKey, std::vector<events::Event>> samples_;
  int64_t events_added_ = 0;
  // Cache of the last cell touched: consecutive events mostly share it.
  ClassCounts* last_counts_ = nullptr;
  CellKey last_key_;
};

int64_t IntervalStart(int64_t time_ms, int64_t interval_ms);

}  // namespace recoup::aggregation
