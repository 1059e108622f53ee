#include "recoup/serve/live_sink.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "recoup/aggregation/aggregator.h"

namespace recoup::serve {

LiveSink::LiveSink(std::unique_ptr<storage::Store> store, int64_t commit_every_ms, int64_t cell_ms,
                   int64_t max_pending_events, const Clock* clock)
    : store_(std::move(store)),
      commit_every_ms_(commit_every_ms),
      cell_ms_(cell_ms),
      max_pending_(max_pending_events),
      clock_(clock != nullptr ? clock : &SystemClock()) {}

LiveSink::~LiveSink() { Stop(); }

void LiveSink::SetListener(std::function<void(CommitNotice)> listener) {
  listener_ = std::move(listener);
}

void LiveSink::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LiveSink::Stop() {
  {
    MutexLock lock(mu_);
    if (stopped_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  space_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  MutexLock lock(mu_);
  stopped_ = true;
}

bool LiveSink::Submit(LiveBatch batch) {
  if (batch.arrival_ns == 0) batch.arrival_ns = clock_->MonotonicNs();
  const int64_t n = static_cast<int64_t>(batch.events.size());
  MutexLock lock(mu_);
  while (!(stopping_ || pending_events_ + n <= max_pending_ || n == 0 || pending_.empty()))
    lock.Wait(space_cv_);
  if (stopping_) return false;
  if (pending_.empty()) first_pending_ns_ = batch.arrival_ns;
  pending_events_ += n;
  pending_.push_back(std::move(batch));
  lock.Unlock();
  cv_.notify_one();
  return true;
}

std::map<std::string, SourceStats> LiveSink::Stats() const {
  MutexLock lock(mu_);
  return stats_;
}

void LiveSink::RegisterSource(const std::string& name) {
  MutexLock lock(mu_);
  stats_.try_emplace(name);
}

void LiveSink::AddStats(const std::string& name, const SourceStats& d) {
  MutexLock lock(mu_);
  SourceStats& s = stats_[name];
  s.events_in += d.events_in;
  s.rejected += d.rejected;
  s.unattributed += d.unattributed;
  s.duplicates += d.duplicates;
  s.batches += d.batches;
  s.last_event_ms = std::max(s.last_event_ms, d.last_event_ms);
  if (d.last_commit_ms > 0) s.last_commit_ms = d.last_commit_ms;
}

int64_t LiveSink::commit_failures() const {
  MutexLock lock(mu_);
  return commit_failures_;
}

void LiveSink::Run() {
  const int64_t every_ns = commit_every_ms_ * 1'000'000;
  for (;;) {
    std::vector<LiveBatch> batches;
    {
      MutexLock lock(mu_);
      for (;;) {
        if (pending_.empty()) {
          if (stopping_) return;
          lock.Wait(cv_);
          continue;
        }
        // Commit when the oldest batch has waited commit_every, when much is
        // pending, or when stopping.
        const int64_t due = first_pending_ns_ + every_ns;
        const int64_t now = clock_->MonotonicNs();
        if (stopping_ || now >= due || pending_events_ >= max_pending_ / 4) break;
        lock.WaitFor(cv_, std::chrono::nanoseconds(due - now));
      }
      batches.assign(std::make_move_iterator(pending_.begin()),
                     std::make_move_iterator(pending_.end()));
      pending_.clear();
      pending_events_ = 0;
    }
    space_cv_.notify_all();

    // A failed commit (e.g. the database busy for longer than its timeout) is
    // retried: the events are acknowledged by nobody until it succeeds.
    int attempt = 0;
    for (;;) {
      Status st = CommitOnce(batches);
      if (st.ok()) break;
      ++attempt;
      {
        MutexLock lock(mu_);
        ++commit_failures_;
      }
      std::fprintf(stderr, "recoup serve: live commit failed (attempt %d): %s\n", attempt,
                   st.message().c_str());
      bool stopping;
      {
        MutexLock lock(mu_);
        stopping = stopping_;
      }
      if (stopping && attempt >= 5) {
        for (LiveBatch& b : batches) {
          if (b.done) b.done(st);
        }
        break;
      }
      clock_->SleepFor(std::min(5000, 200 << attempt));
    }
  }
}

void LiveSink::ApplySeriesLimit(LiveBatch& b) {
  std::string key;
  std::erase_if(b.events, [&](const events::Event& e) {
    std::set<std::string>& seen = series_seen_[{b.source, YearMonth::FromMs(e.time_ms)}];
    key = e.account;
    key += '/';
    key += e.region;
    key += '/';
    key += e.service;
    if (seen.count(key)) return false;
    if (static_cast<int64_t>(seen.size()) < max_series_) {
      seen.insert(key);
      return false;
    }
    ++b.series_refused;
    return true;
  });
}

Status LiveSink::CommitOnce(std::vector<LiveBatch>& batches) {
  for (LiveBatch& b : batches) ApplySeriesLimit(b);
  // Batches without an idempotency key share one aggregate; keyed batches
  // keep their own so that a replayed key skips exactly its events.
  std::vector<std::unique_ptr<aggregation::Aggregator>> aggs;
  std::vector<storage::LiveBatchItem> items;
  std::vector<int> item_of(batches.size(), -1);
  CommitNotice notice;
  int shared = -1;
  for (size_t i = 0; i < batches.size(); ++i) {
    LiveBatch& b = batches[i];
    int idx;
    if (b.batch_key.empty()) {
      if (shared < 0) {
        aggs.push_back(std::make_unique<aggregation::Aggregator>(cell_ms_));
        aggs.back()->set_scopes(scopes_.get());
        items.emplace_back().agg = aggs.back().get();
        shared = static_cast<int>(items.size()) - 1;
      }
      idx = shared;
    } else {
      aggs.push_back(std::make_unique<aggregation::Aggregator>(cell_ms_));
      aggs.back()->set_scopes(scopes_.get());
      storage::LiveBatchItem& item = items.emplace_back();
      item.agg = aggs.back().get();
      item.batch_key = b.batch_key;
      idx = static_cast<int>(items.size()) - 1;
    }
    item_of[i] = idx;
    aggregation::Aggregator& agg = *aggs[static_cast<size_t>(idx)];
    for (const events::Event& e : b.events) agg.Add(e.View());
    storage::LiveBatchItem& item = items[static_cast<size_t>(idx)];
    for (auto& cp : b.checkpoints) item.checkpoints.push_back(cp);
    for (auto& u : b.unattributed) item.unattributed.push_back(std::move(u));
    item.attributed_ids.insert(item.attributed_ids.end(), b.attributed_ids.begin(),
                               b.attributed_ids.end());
  }
  std::vector<storage::ItemOutcome> outcomes;
  RECOUP_RETURN_IF_ERROR(store_->CommitLive(items, &outcomes));

  const int64_t now_ns = clock_->MonotonicNs();
  const int64_t now_ms = clock_->NowMs();
  {
    MutexLock lock(mu_);
    for (size_t i = 0; i < batches.size(); ++i) {
      const LiveBatch& b = batches[i];
      const storage::ItemOutcome& oc = outcomes[static_cast<size_t>(item_of[i])];
      SourceStats& s = stats_[b.source];
      ++s.batches;
      s.rejected += b.rejected;
      s.series_refused += b.series_refused;
      if (!b.events.empty()) s.last_commit_ms = now_ms;
      s.lag_ms = (now_ns - b.arrival_ns) / 1'000'000;
      if (oc.already_ingested) {
        ++s.duplicates;
        continue;
      }
      s.unattributed += static_cast<int64_t>(b.unattributed.size());
      s.events_in += static_cast<int64_t>(b.events.size());
      for (const events::Event& e : b.events) {
        if (e.time_ms > s.last_event_ms) s.last_event_ms = e.time_ms;
      }
    }
  }
  for (LiveBatch& b : batches) {
    if (!b.events.empty())
      notice.arrivals.emplace_back(b.arrival_ns, static_cast<int64_t>(b.events.size()));
    const events::Event* last = nullptr;
    int64_t last_month_start = 0, last_month_end = 0;
    TimeSpan* span = nullptr;
    for (const events::Event& e : b.events) {
      // Consecutive events mostly share a series and month.
      if (last != nullptr && e.time_ms < last_month_end && e.time_ms >= last_month_start &&
          e.account == last->account && e.region == last->region && e.service == last->service &&
          (scopes_ == nullptr || e.resource == last->resource)) {
        span->Add(e.time_ms);
        continue;
      }
      TouchedSeries t;
      t.key.account = e.account;
      t.key.region = e.region;
      t.key.service = e.service;
      if (scopes_ != nullptr) {  // the series the aggregator counted it in
        const std::string_view scoped = scopes_->SeriesOf(e.service, e.resource);
        if (!scoped.empty()) t.key.service.assign(scoped);
      }
      t.key.month = YearMonth::FromMs(e.time_ms);
      last_month_start = t.key.month.StartMs();
      last_month_end = t.key.month.EndMs();
      last = &e;
      auto [it, fresh] = notice.touched.try_emplace(std::move(t), TimeSpan{e.time_ms, e.time_ms});
      span = &it->second;
      if (!fresh) span->Add(e.time_ms);
    }
  }
  if (listener_ && !notice.arrivals.empty()) listener_(std::move(notice));
  for (LiveBatch& b : batches) {
    if (b.done) b.done(Status::Ok());
  }
  return Status::Ok();
}

}  // namespace recoup::serve
