#include "recoup/aggregation/aggregator.h"

#include <algorithm>

#include "recoup/core/time.h"

namespace recoup::aggregation {

using events::Event;
using events::EventView;
using events::OutcomeClass;

int64_t IntervalStart(int64_t time_ms, int64_t interval_ms) {
  return FloorDiv(time_ms, interval_ms) * interval_ms;
}

namespace {

bool SampleLess(const Event& a, const Event& b) {
  return std::tie(a.time_ms, a.request_id, a.operation, a.error_code) <
         std::tie(b.time_ms, b.request_id, b.operation, b.error_code);
}

}  // namespace

void Aggregator::Add(const EventView& e) {
  if (scopes_ != nullptr && !scopes_->empty()) {
    const std::string_view series = scopes_->SeriesOf(e.service, e.resource);
    if (!series.empty()) {
      EventView scoped = e;
      scoped.service = series;
      AddScoped(scoped);
      return;
    }
  }
  AddScoped(e);
}

void Aggregator::AddScoped(const EventView& e) {
  ++events_added_;
  const int64_t start = IntervalStart(e.time_ms, interval_ms_);
  if (e.outcome == OutcomeClass::kServerError && !e.request_id.empty()) {
    failures_.push_back(Event::From(e));
    return;
  }
  if (last_counts_ == nullptr || last_key_.interval_start_ms != start ||
      last_key_.source != e.source || last_key_.series.account != e.account ||
      last_key_.series.region != e.region || last_key_.series.service != e.service) {
    last_key_.series.account.assign(e.account);
    last_key_.series.region.assign(e.region);
    last_key_.series.service.assign(e.service);
    last_key_.interval_start_ms = start;
    last_key_.source = e.source;
    last_counts_ = &cells_[last_key_];  // std::map nodes are stable
  }
  ++(*last_counts_)[static_cast<int>(e.outcome)];
  // Samples: every class but success, and also the successes of recoup's own
  // probes, so a probe's answered calls are kept with their request IDs.
  if (sample_limit_ > 0 &&
      (e.outcome != OutcomeClass::kSuccess || e.source == events::SourceKind::kProbe)) {
    AddSample(SampleKey{last_key_.series, start, e.outcome}, e);
  }
}

void Aggregator::AddSample(const SampleKey& key, const EventView& e) {
  std::vector<Event>& v = samples_[key];
  Event ev = Event::From(e);
  if (v.size() < sample_limit_) {
    v.insert(std::upper_bound(v.begin(), v.end(), ev, SampleLess), std::move(ev));
    return;
  }
  if (SampleLess(ev, v.back())) {
    v.pop_back();
    v.insert(std::upper_bound(v.begin(), v.end(), ev, SampleLess), std::move(ev));
  }
}

void Aggregator::Merge(Aggregator&& other) {
  for (auto& [k, c] : other.cells_) {
    ClassCounts& mine = cells_[k];
    for (int i = 0; i < events::kOutcomeClassCount; ++i) mine[i] += c[i];
  }
  failures_.insert(failures_.end(), std::make_move_iterator(other.failures_.begin()),
                   std::make_move_iterator(other.failures_.end()));
  for (auto& [k, v] : other.samples_) {
    std::vector<Event>& mine = samples_[k];
    std::vector<Event> merged;
    merged.reserve(mine.size() + v.size());
    std::merge(std::make_move_iterator(mine.begin()), std::make_move_iterator(mine.end()),
               std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()),
               std::back_inserter(merged), SampleLess);
    if (merged.size() > sample_limit_) merged.resize(sample_limit_);
    mine = std::move(merged);
  }
  events_added_ += other.events_added_;
  other.Clear();
  last_counts_ = nullptr;
}

void Aggregator::Clear() {
  cells_.clear();
  failures_.clear();
  samples_.clear();
  events_added_ = 0;
  last_counts_ = nullptr;
}

}  // namespace recoup::aggregation
