// The live commit path: every source hands its events to one LiveSink; one
// committer thread folds them into 5-minute cells and commits them with the
// sources' checkpoints in one store transaction (Store::CommitLive) at most
// `commit_every_ms` after they arrived. An event counts as received only once
// that transaction has committed; `LiveBatch::done` tells the source (the
// OTLP receiver answers its client only then).
//
// Thread-safe: Submit may be called from any thread.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "recoup/core/clock.h"
#include "recoup/core/mutex.h"
#include "recoup/core/status.h"
#include "recoup/core/time.h"
#include "recoup/events/event.h"
#include "recoup/sla/scopes.h"
#include "recoup/storage/store.h"

namespace recoup::serve {

struct LiveBatch {
  std::string source;  // "csm", "otlp", "jsonl:/var/log/app.jsonl", "probe:us-east-1", ...
  std::vector<events::Event> events;
  int64_t rejected = 0;        // records the source could not use (counted, not stored)
  int64_t series_refused = 0;  // events dropped by the series bound (set by the sink)
  std::vector<std::pair<std::string, std::string>> checkpoints;
  // Records kept for later attribution (counted as unattributed), and kept
  // records whose events this batch carries (removed with its commit).
  std::vector<storage::UnattributedRecord> unattributed;
  std::vector<int64_t> attributed_ids;
  std::string batch_key;                    // idempotency key; empty: none
  int64_t arrival_ns = 0;                   // the sink clock's MonotonicNs() at the earliest event
  std::function<void(const Status&)> done;  // after the commit (or its final failure)
};

struct SourceStats {
  int64_t events_in = 0;  // committed (accepted)
  int64_t rejected = 0;
  int64_t unattributed = 0;  // records kept without an account (attributed later)
  int64_t duplicates = 0;    // batches or failing requests already stored
  int64_t batches = 0;
  int64_t last_event_ms = 0;   // wall time of the newest committed event
  int64_t last_commit_ms = 0;  // wall time of the last commit
  int64_t lag_ms = 0;          // arrival to commit of the last batch
  // Events refused because their series would have passed the bound on
  // series per source and month (LiveSink::SetSeriesLimit).
  int64_t series_refused = 0;
};

// The default bound on distinct (account, Region, service) series one source
// may create in one month (docs/SECURITY.md, "Cardinality limits").
inline constexpr int64_t kDefaultMaxSeriesPerSourceMonth = 1000;

// (account, Region, service, month) a commit touched.
struct TouchedSeries {
  storage::SeriesMonth key;
  bool operator<(const TouchedSeries& o) const {
    return std::tie(key.account, key.region, key.service, key.month) <
           std::tie(o.key.account, o.key.region, o.key.service, o.key.month);
  }
};

// Event times (epoch ms) a commit touched in one series-month.
struct TimeSpan {
  int64_t min_ms = 0, max_ms = 0;
  // Widens the span to hold `t_ms` / `other`.
  void Add(int64_t t_ms) {
    min_ms = std::min(min_ms, t_ms);
    max_ms = std::max(max_ms, t_ms);
  }
  void Add(const TimeSpan& other) {
    min_ms = std::min(min_ms, other.min_ms);
    max_ms = std::max(max_ms, other.max_ms);
  }
};

struct CommitNotice {
  std::map<TouchedSeries, TimeSpan> touched;
  // Arrival stamps (MonotonicNs) of the committed batches, with their event counts.
  std::vector<std::pair<int64_t, int64_t>> arrivals;
};

class LiveSink {
 public:
  // `store` is used by the committer thread only.
  // Events are counted in cells of `cell_ms` (Catalog::FinestIntervalMs).
  // `clock` (not owned; nullptr: the system clock) stamps arrivals, paces
  // commits and is the clock every source feeding this sink uses.
  LiveSink(std::unique_ptr<storage::Store> store, int64_t commit_every_ms, int64_t cell_ms = 300000,
           int64_t max_pending_events = 2'000'000, const Clock* clock = nullptr);
  ~LiveSink();
  LiveSink(const LiveSink&) = delete;
  LiveSink& operator=(const LiveSink&) = delete;

  // Called on the committer thread after each successful commit, before the
  // batches' `done` callbacks (so an acknowledged event is already queued for
  // evaluation).
  void SetListener(std::function<void(CommitNotice)> listener);
  // At most `max_series` distinct (account, Region, service) series per
  // source per month, counted since the sink started; events of further
  // series are refused (SourceStats::series_refused). Call before Start.
  // REQUIRES: max_series >= 1.
  void SetSeriesLimit(int64_t max_series) { max_series_ = max_series; }
  // Requests on the resources `scopes` names count in their sub-scope's
  // series (sla/scopes.h). Before Start.
  void SetScopes(std::shared_ptr<const sla::ScopeMap> scopes) { scopes_ = std::move(scopes); }
  void Start();
  // Commits everything already submitted, then stops. Later Submits fail.
  void Stop();

  // Queues a batch; blocks while too many events wait (back-pressure).
  // False (and `done` not called) once stopped.
  bool Submit(LiveBatch batch);

  std::map<std::string, SourceStats> Stats() const;
  // Lists a source before its first batch (every configured source is shown).
  void RegisterSource(const std::string& name);
  // Counts for sources that do not commit through the sink (S3 polls, Health):
  // `delta`'s counters are added, its last_event_ms kept if newer.
  void AddStats(const std::string& name, const SourceStats& delta);
  int64_t commit_failures() const;
  const Clock& clock() const { return *clock_; }

 private:
  void Run();
  Status CommitOnce(std::vector<LiveBatch>& batches);
  // Drops the events of series past the bound (committer thread only).
  void ApplySeriesLimit(LiveBatch& batch);

  std::unique_ptr<storage::Store> store_;
  const int64_t commit_every_ms_;
  const int64_t cell_ms_;
  std::shared_ptr<const sla::ScopeMap> scopes_;  // nullptr: none
  const int64_t max_pending_;
  const Clock* const clock_;
  std::function<void(CommitNotice)> listener_;
  int64_t max_series_ = kDefaultMaxSeriesPerSourceMonth;
  // (source, month) -> its series "account/Region/service"; the committer
  // thread's own, so not locked.
  std::map<std::pair<std::string, YearMonth>, std::set<std::string>> series_seen_;

  mutable Mutex mu_;
  std::condition_variable_any cv_, space_cv_;
  std::deque<LiveBatch> pending_ GUARDED_BY(mu_);
  int64_t pending_events_ GUARDED_BY(mu_) = 0;
  int64_t first_pending_ns_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool stopped_ GUARDED_BY(mu_) = false;
  std::map<std::string, SourceStats> stats_ GUARDED_BY(mu_);
  int64_t commit_failures_ GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace recoup::serve
