// Streaming evaluation: after every live commit the touched series' month is
// re-evaluated from the store (the same numbers `recoup report` gives), so
// the running MUP includes an event within one commit and one evaluation of
// its arrival. Alerts judge only closed intervals: an interval is closed once
// it ended `grace` ago (late data), unless alerts.on_open_interval is set.
// Every `evaluate_every` the alert rules run over every series of the month,
// the sources' silence is checked, and, hourly, the claim deadlines of past
// breached months. Alert changes and their notifications are saved in one
// transaction (the outbox), so none is lost across a restart.
#pragma once

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
#include <vector>

#include "recoup/core/clock.h"
#include "recoup/core/mutex.h"
#include "recoup/report/report.h"
#include "recoup/serve/alert_rules.h"
#include "recoup/serve/config.h"
#include "recoup/serve/live_sink.h"
#include "recoup/sla/catalog.h"
#include "recoup/storage/store.h"

namespace recoup::serve {

// The running figures of one (account, Region, service, month).
struct SeriesLive {
  storage::SeriesMonth key;
  std::string sla_version;
  sla::Verdict running;  // every interval, the open one included
  sla::Verdict judged;   // closed intervals only (what alerts use)
  int64_t judged_until_ms = 0;
  int64_t updated_ms = 0;
};

struct LatencyStats {
  int64_t events = 0;  // events whose arrival-to-MUP latency was measured
  int64_t p50_us = 0, p99_us = 0, max_us = 0;
};

class LiveEvaluator {
 public:
  // `sources_stats` gives the sink's per-source counters (silence checks).
  // `clock` (not owned, outlives the evaluator) gives "now" to every
  // judgement; nullptr: the system clock.
  LiveEvaluator(std::unique_ptr<storage::Store> store, std::shared_ptr<const sla::Catalog> catalog,
                ServeConfig config,
                std::function<std::map<std::string, SourceStats>()> source_stats,
                std::vector<std::string> silent_watch, const Clock* clock = nullptr);
  ~LiveEvaluator();
  LiveEvaluator(const LiveEvaluator&) = delete;
  LiveEvaluator& operator=(const LiveEvaluator&) = delete;

  // Loads the month so far and its firing alerts, then starts the thread
  // that runs Step() every evaluate_every (sooner after a commit).
  Status Start();
  // Start() without the thread: the caller drives evaluation with Step().
  Status Load();
  void Stop();
  // One pass of the evaluation loop at the clock's "now": evaluates what the
  // commits since the last pass touched, re-judges the month when an interval
  // closed, and runs the alert rules when due. Errors are also logged.
  Status Step();
  // From the sink's committer thread.
  void OnCommit(CommitNotice notice);

  std::vector<SeriesLive> Series() const;
  std::vector<serve::AlertRecord> FiringAlerts() const;
  LatencyStats Latency() const;
  int64_t evaluations() const;
  // Evaluations that re-read only the intervals a commit touched.
  int64_t partial_evaluations() const;

 private:
  void Run();
  // Step's state, kept between passes.
  struct Pass {
    int64_t last_alerts_ms = 0;
    int64_t last_deadlines_ms = 0;
    int64_t last_judged_until_ms = 0;
  };
  // Re-reads the series' month from the store (span empty), or only the
  // intervals `span` touched when the month is already held, then judges it.
  Status Evaluate(const storage::SeriesMonth& key, int64_t now_ms, const TimeSpan* span = nullptr);
  Status Judge(const report::ReportRow& row, int64_t now_ms);
  Status RunAlerts(int64_t now_ms, bool deadlines);
  Status Apply(const AlertChanges& changes);
  int64_t JudgedUntil(int64_t now_ms, int64_t interval_ms) const;

  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const sla::Catalog> catalog_;
  ServeConfig config_;
  std::function<std::map<std::string, SourceStats>()> source_stats_;
  std::vector<std::string> silent_watch_;
  const Clock* clock_;
  const int64_t finest_interval_ms_;  // the catalog's, fixed for the run
  int64_t started_ms_ = 0;
  Pass pass_;  // Step() only (one caller at a time)

  mutable Mutex mu_;
  std::condition_variable_any cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  std::map<TouchedSeries, TimeSpan> dirty_ GUARDED_BY(mu_);
  std::vector<std::pair<int64_t, int64_t>> arrivals_ GUARDED_BY(mu_);
  std::map<TouchedSeries, SeriesLive> series_ GUARDED_BY(mu_);
  std::map<TouchedSeries, SeriesSnapshot> judged_;  // evaluator thread only
  // The current months' intervals by start, as last read (evaluator thread
  // only): a commit re-reads just the intervals it touched.
  std::map<TouchedSeries, std::map<int64_t, sla::IntervalCounts>> months_;
  std::map<std::string, serve::AlertRecord> firing_ GUARDED_BY(mu_);
  // Latency samples (microseconds, weighted by events): a bounded ring.
  std::deque<std::pair<int64_t, int64_t>> latencies_ GUARDED_BY(mu_);
  int64_t latency_events_ GUARDED_BY(mu_) = 0;
  int64_t evaluations_ GUARDED_BY(mu_) = 0;
  int64_t partial_evaluations_ GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace recoup::serve
