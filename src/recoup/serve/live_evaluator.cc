#include "recoup/serve/live_evaluator.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "recoup/aggregation/aggregator.h"
#include "recoup/aggregation/combine.h"
#include "recoup/report/report.h"

namespace recoup::serve {

namespace {
constexpr size_t kLatencyRing = 100000;
constexpr int64_t kDeadlineScanMs = 60 * kMsPerMinute;
// How far apart two sources may place the same request (see Evaluate).
constexpr int64_t kSightingSkewMs = 15 * kMsPerMinute;
}  // namespace

LiveEvaluator::LiveEvaluator(std::unique_ptr<storage::Store> store,
                             std::shared_ptr<const sla::Catalog> catalog, ServeConfig config,
                             std::function<std::map<std::string, SourceStats>()> source_stats,
                             std::vector<std::string> silent_watch, const Clock* clock)
    : store_(std::move(store)),
      catalog_(std::move(catalog)),
      config_(std::move(config)),
      source_stats_(std::move(source_stats)),
      silent_watch_(std::move(silent_watch)),
      clock_(clock != nullptr ? clock : &SystemClock()),
      finest_interval_ms_(catalog_->FinestIntervalMs()) {}

LiveEvaluator::~LiveEvaluator() { Stop(); }

Status LiveEvaluator::Start() {
  RECOUP_RETURN_IF_ERROR(Load());
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

Status LiveEvaluator::Load() {
  started_ms_ = clock_->NowMs();
  pass_.last_deadlines_ms = started_ms_;
  RECOUP_ASSIGN_OR_RETURN(auto firing, store_->ListAlerts(true));
  {
    MutexLock lock(mu_);
    for (auto& a : firing) firing_[a.key] = a;
  }
  // The month so far, as the store has it.
  storage::SeriesFilter f;
  f.month = YearMonth::FromMs(started_ms_);
  RECOUP_ASSIGN_OR_RETURN(auto keys, store_->ListSeriesMonths(f));
  for (const auto& k : keys) RECOUP_RETURN_IF_ERROR(Evaluate(k, started_ms_));
  return RunAlerts(started_ms_, true);
}

void LiveEvaluator::Stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LiveEvaluator::OnCommit(CommitNotice notice) {
  {
    MutexLock lock(mu_);
    for (const auto& [t, span] : notice.touched) {
      auto [it, fresh] = dirty_.try_emplace(t, span);
      if (!fresh) it->second.Add(span);
    }
    arrivals_.insert(arrivals_.end(), notice.arrivals.begin(), notice.arrivals.end());
  }
  cv_.notify_one();
}

std::vector<SeriesLive> LiveEvaluator::Series() const {
  MutexLock lock(mu_);
  std::vector<SeriesLive> out;
  for (const auto& [k, v] : series_) out.push_back(v);
  return out;
}

std::vector<serve::AlertRecord> LiveEvaluator::FiringAlerts() const {
  MutexLock lock(mu_);
  std::vector<serve::AlertRecord> out;
  for (const auto& [k, v] : firing_) {
    if (v.state == "firing") out.push_back(v);
  }
  return out;
}

int64_t LiveEvaluator::evaluations() const {
  MutexLock lock(mu_);
  return evaluations_;
}

int64_t LiveEvaluator::partial_evaluations() const {
  MutexLock lock(mu_);
  return partial_evaluations_;
}

LatencyStats LiveEvaluator::Latency() const {
  std::vector<std::pair<int64_t, int64_t>> v;
  LatencyStats s;
  {
    MutexLock lock(mu_);
    v.assign(latencies_.begin(), latencies_.end());
    s.events = latency_events_;
  }
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  int64_t total = 0;
  for (auto& [us, n] : v) total += n;
  auto quantile = [&](double q) {
    const int64_t want = static_cast<int64_t>(q * static_cast<double>(total));
    int64_t seen = 0;
    for (auto& [us, n] : v) {
      seen += n;
      if (seen > want) return us;
    }
    return v.back().first;
  };
  s.p50_us = quantile(0.50);
  s.p99_us = quantile(0.99);
  s.max_us = v.back().first;
  return s;
}

int64_t LiveEvaluator::JudgedUntil(int64_t now_ms, int64_t interval_ms) const {
  if (config_.alerts.on_open_interval) {
    return (now_ms / interval_ms + 1) * interval_ms;  // the open interval's end
  }
  return ((now_ms - config_.grace_ms) / interval_ms) * interval_ms;
}

Status LiveEvaluator::Evaluate(const storage::SeriesMonth& key, int64_t now_ms,
                               const TimeSpan* span) {
  const TouchedSeries t{key};
  auto held = months_.find(t);
  const sla::ServiceTerms* terms = catalog_->Find(key.service);
  const sla::SlaVersion* version = terms != nullptr ? terms->VersionFor(key.month) : nullptr;
  if (span != nullptr && held != months_.end() && version != nullptr) {
    // Only the intervals this commit touched, and those a little later: a
    // failure that another source saw earlier moves to the interval of the
    // earliest sighting, leaving a later interval that the commit's events
    // do not cover. kSightingSkewMs bounds how far sources' clocks disagree;
    // beyond it, the whole-month re-read at each interval close corrects.
    const int64_t interval_ms = int64_t{version->interval_seconds} * 1000;
    const int64_t start =
        std::max(aggregation::IntervalStart(span->min_ms, interval_ms), key.month.StartMs());
    const int64_t end = std::min(
        aggregation::IntervalStart(span->max_ms + kSightingSkewMs, interval_ms) + interval_ms,
        key.month.EndMs());
    RECOUP_ASSIGN_OR_RETURN(
        auto cells, store_->LoadSourceCells(key.account, key.region, key.service, start, end));
    RECOUP_ASSIGN_OR_RETURN(
        auto failed, store_->LoadFailureUnion(key.account, key.region, key.service, start, end));
    std::map<int64_t, sla::IntervalCounts>& month = held->second;
    month.erase(month.lower_bound(start), month.lower_bound(end));
    for (sla::IntervalCounts& c : aggregation::CombineSources(cells, failed)) {
      month[c.start_ms] = c;
    }
    std::vector<sla::IntervalCounts> intervals;
    intervals.reserve(month.size());
    for (const auto& [s, c] : month) intervals.push_back(c);
    RECOUP_ASSIGN_OR_RETURN(report::ReportRow row,
                            report::RowFromIntervals(*store_, *version, key, std::move(intervals)));
    {
      MutexLock lock(mu_);
      ++partial_evaluations_;
    }
    return Judge(row, now_ms);
  }
  // The whole month, as `recoup report` reads it.
  storage::SeriesFilter f;
  f.account = key.account;
  f.region = key.region;
  f.service = key.service;
  f.month = key.month;
  RECOUP_ASSIGN_OR_RETURN(auto rows, report::BuildReport(*store_, *catalog_, f));
  for (const report::ReportRow& row : rows) {
    std::map<int64_t, sla::IntervalCounts>& month = months_[TouchedSeries{row.key}];
    month.clear();
    for (const sla::IntervalCounts& c : row.intervals) month[c.start_ms] = c;
    RECOUP_RETURN_IF_ERROR(Judge(row, now_ms));
  }
  // Past months are not held: only the current one takes live commits.
  const YearMonth current = YearMonth::FromMs(now_ms);
  for (auto it = months_.begin(); it != months_.end();) {
    it = it->first.key.month < current ? months_.erase(it) : std::next(it);
  }
  return Status::Ok();
}

Status LiveEvaluator::Judge(const report::ReportRow& row, int64_t now_ms) {
  const int64_t interval_ms = int64_t{row.version->interval_seconds} * 1000;
  SeriesSnapshot snap;
  snap.key = row.key;
  snap.version = row.version;
  snap.judged_until_ms = std::min(JudgedUntil(now_ms, interval_ms), row.key.month.EndMs());
  sla::MonthInput in;
  in.account = row.key.account;
  in.region = row.key.region;
  in.service = row.key.service;
  in.month = row.key.month;
  for (const sla::IntervalCounts& c : row.intervals) {
    if (c.start_ms + interval_ms <= snap.judged_until_ms) in.intervals.push_back(c);
  }
  if (row.charge) in.charges_usd = row.charge->amount;
  snap.intervals = in.intervals;
  RECOUP_ASSIGN_OR_RETURN(snap.verdict, sla::Evaluate(*row.version, in));
  SeriesLive live;
  live.key = row.key;
  live.sla_version = row.version->id;
  live.running = row.verdict;
  live.judged = snap.verdict;
  live.judged_until_ms = snap.judged_until_ms;
  live.updated_ms = now_ms;
  TouchedSeries t{row.key};
  judged_[t] = std::move(snap);
  MutexLock lock(mu_);
  series_[t] = std::move(live);
  ++evaluations_;
  return Status::Ok();
}

Status LiveEvaluator::Apply(const AlertChanges& changes) {
  if (changes.save.empty() && changes.notify.empty()) return Status::Ok();
  RECOUP_RETURN_IF_ERROR(store_->SaveAlerts(changes.save, changes.notify));
  MutexLock lock(mu_);
  for (const auto& a : changes.save) {
    if (a.state == "firing") {
      firing_[a.key] = a;
    } else {
      firing_.erase(a.key);
    }
  }
  for (const std::string& line : changes.announced) {
    std::fprintf(stderr, "recoup serve: alert %s\n", line.c_str());
  }
  return Status::Ok();
}

Status LiveEvaluator::RunAlerts(int64_t now_ms, bool deadlines) {
  std::vector<serve::AlertRecord> desired;
  std::set<std::string> kinds{"tier", "burn", "silent", "series_limit"};
  const YearMonth month = YearMonth::FromMs(now_ms);
  for (const auto& [k, snap] : judged_) {
    if (snap.key.month != month) continue;
    for (auto& a : SeriesAlerts(snap, config_.alerts)) desired.push_back(std::move(a));
  }
  if (config_.alerts.silent_after_ms > 0 && source_stats_) {
    const auto stats = source_stats_();
    for (const std::string& name : silent_watch_) {
      auto it = stats.find(name);
      const int64_t last = it != stats.end() && it->second.last_commit_ms > 0
                               ? it->second.last_commit_ms
                               : started_ms_;
      if (now_ms - last > config_.alerts.silent_after_ms) {
        desired.push_back(
            SilentAlert(name, it != stats.end() ? it->second.last_event_ms : 0, now_ms));
      }
    }
  }
  if (source_stats_) {
    for (const auto& [name, s] : source_stats_()) {
      if (s.series_refused > 0) {
        desired.push_back(
            SeriesLimitAlert(name, s.series_refused, config_.max_series_per_source_month, now_ms));
      }
    }
  }
  if (deadlines) {
    kinds.insert("deadline");
    // Claims already filed (or closed) need no reminder; an open claim's
    // own deadline wins. Without claims, every breached month is reminded.
    std::map<std::string, claims::ClaimRecord> claims;
    if (auto cl = store_->ListClaims(); cl.ok()) {
      for (auto& c : *cl) {
        claims[c.account + "/" + c.region + "/" + c.service + "/" + c.month.ToString()] = c;
      }
    }
    // Breached past months whose claim window is still open.
    storage::SeriesFilter f;
    std::set<std::string> seen;
    for (int back = 1; back <= 3; ++back) {
      f.month = month.Plus(-back);
      RECOUP_ASSIGN_OR_RETURN(auto rows, report::BuildReport(*store_, *catalog_, f));
      for (const report::ReportRow& row : rows) {
        SeriesSnapshot snap;
        snap.key = row.key;
        snap.version = row.version;
        snap.verdict = row.verdict;
        snap.judged_until_ms = row.key.month.EndMs();
        auto claim = claims.find(row.key.account + "/" + row.key.region + "/" + row.key.service +
                                 "/" + row.key.month.ToString());
        if (claim != claims.end()) {
          const std::string& st = claim->second.state;
          if (st != "detected" && st != "ready") continue;  // filed or closed
          if (claim->second.deadline_ms > 0) {
            snap.verdict.claim_deadline_ms = claim->second.deadline_ms;
          }
        }
        if (auto a = DeadlineAlert(snap, config_.alerts, now_ms)) desired.push_back(*a);
      }
    }
  }
  std::map<std::string, serve::AlertRecord> current;
  {
    MutexLock lock(mu_);
    current = firing_;
  }
  return Apply(Reconcile(current, desired, kinds, config_.alerts.channels, now_ms));
}

void LiveEvaluator::Run() {
  MutexLock lock(mu_);
  while (!stop_) {
    {
      const auto until =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.evaluate_every_ms);
      while (!(stop_ || !dirty_.empty()) && lock.WaitUntil(cv_, until)) {
      }
    }
    if (stop_) break;
    lock.Unlock();
    (void)Step();  // a failed pass is logged; the next one tries again
    lock.Lock();
  }
}

Status LiveEvaluator::Step() {
  std::map<TouchedSeries, TimeSpan> dirty;
  std::vector<std::pair<int64_t, int64_t>> arrivals;
  {
    MutexLock lock(mu_);
    dirty.swap(dirty_);
    arrivals.swap(arrivals_);
  }
  const int64_t now = clock_->NowMs();
  Status st = Status::Ok();
  for (const auto& [t, span] : dirty) {
    Status e = Evaluate(t.key, now, &span);
    if (!e.ok()) st = e;
  }
  const int64_t done_ns = clock_->MonotonicNs();
  // A newly closed interval re-judges every series of the month, re-read
  // whole from the store (so what other writers added is seen too).
  const int64_t judged_until = JudgedUntil(now, finest_interval_ms_);
  if (judged_until != pass_.last_judged_until_ms) {
    pass_.last_judged_until_ms = judged_until;
    std::vector<storage::SeriesMonth> all;
    for (const auto& [k, s] : judged_) all.push_back(s.key);
    for (const auto& k : all) {
      Status e = Evaluate(k, now);
      if (!e.ok()) st = e;
    }
  }
  if (now - pass_.last_alerts_ms >= config_.evaluate_every_ms || !dirty.empty()) {
    const bool deadlines = now - pass_.last_deadlines_ms >= kDeadlineScanMs;
    if (deadlines) pass_.last_deadlines_ms = now;
    Status a = RunAlerts(now, deadlines);
    if (!a.ok()) st = a;
    pass_.last_alerts_ms = now;
  }
  if (!st.ok()) std::fprintf(stderr, "recoup serve: evaluation: %s\n", st.message().c_str());

  MutexLock lock(mu_);
  for (const auto& [arrival_ns, n] : arrivals) {
    latencies_.emplace_back((done_ns - arrival_ns) / 1000, n);
    latency_events_ += n;
    if (latencies_.size() > kLatencyRing) latencies_.pop_front();
  }
  return st;
}

}  // namespace recoup::serve
