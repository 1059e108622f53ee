#include "recoup/serve/live_evaluator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <random>

#include "recoup/report/report.h"
#include "recoup/serve/live_sink.h"
#include "recoup/storage/temp_store_test_util.h"

namespace recoup::serve {
namespace {

namespace fs = std::filesystem;

constexpr const char* kAccount = "111122223333";

class LiveEvaluatorTest : public storage::TempStoreTest {
 protected:
  std::unique_ptr<storage::Store> Open() { return OpenStore(); }
};

events::Event Ev(int64_t t, const std::string& rid, bool failed, events::SourceKind src) {
  events::Event e;
  e.time_ms = t;
  e.account = kAccount;
  e.region = "us-east-1";
  e.service = "kms";
  e.operation = "Decrypt";
  e.request_id = rid;
  e.source = src;
  if (failed) {
    e.outcome = events::OutcomeClass::kServerError;
    e.error_code = "KMSInternalException";
    e.http_status = 500;
  } else {
    e.http_status = 200;
  }
  return e;
}

// Commits touch a few intervals each (late data included, and failures that
// a second source reports again); the running figures the evaluator keeps by
// re-reading only the touched intervals must equal what `recoup report`
// computes from the whole month. The evaluator runs on a fake clock that
// never moves, driven pass by pass: no interval closes during the test, so no
// whole-month re-read can hide a wrong incremental path, and nothing waits on
// real time.
TEST_F(LiveEvaluatorTest, IncrementalFiguresEqualTheFullReport) {
  ServeConfig config;
  config.alerts.silent_after_ms = 0;
  auto catalog = sla::Catalog::Default();
  FakeClock clock(SystemClock().NowMs());
  LiveSink sink(Open(), /*commit_every_ms=*/0, catalog->FinestIntervalMs(), 2'000'000, &clock);
  LiveEvaluator ev(
      Open(), catalog, config, [&sink] { return sink.Stats(); }, {}, &clock);
  sink.SetListener([&ev](CommitNotice n) { ev.OnCommit(std::move(n)); });
  sink.Start();
  ASSERT_TRUE(ev.Load().ok());

  const int64_t now = clock.NowMs();
  const int64_t month_start = YearMonth::FromMs(now).StartMs();
  const int64_t span = std::max<int64_t>(now - month_start, 1);
  std::mt19937_64 rng(42);
  int64_t expected_events = 0;
  std::vector<std::pair<std::string, int64_t>> failed_ids;
  // One commit, then one evaluation pass over what it touched.
  auto submit = [&sink, &ev](LiveBatch batch) {
    std::promise<void> committed;
    batch.done = [&committed](const Status&) { committed.set_value(); };
    ASSERT_TRUE(sink.Submit(std::move(batch)));
    committed.get_future().wait();
    ASSERT_TRUE(ev.Step().ok());
  };
  for (int b = 0; b < 40; ++b) {
    LiveBatch batch;
    batch.source = "test";
    batch.arrival_ns = clock.MonotonicNs();
    // Mostly the last hour; every fifth batch reaches back anywhere in the month.
    const int64_t window = b % 5 == 0 ? span : std::min<int64_t>(span, 3600 * 1000);
    for (int i = 0; i < 50; ++i) {
      const int64_t t = now - static_cast<int64_t>(rng() % static_cast<uint64_t>(window));
      const bool failed = rng() % 7 == 0;
      std::string rid = "b" + std::to_string(b) + "-" + std::to_string(i);
      if (failed) failed_ids.emplace_back(rid, t);
      batch.events.push_back(Ev(t, rid, failed, events::SourceKind::kCsm));
      ++expected_events;
    }
    // The same failure seen again by another source: counted once.
    if (!failed_ids.empty() && b % 3 == 0) {
      const auto& [rid, t] = failed_ids[rng() % failed_ids.size()];
      batch.events.push_back(Ev(t, rid, true, events::SourceKind::kCloudTrail));
      ++expected_events;
    }
    // One commit per batch, so every evaluation after the first takes the
    // incremental path.
    submit(std::move(batch));
  }
  // Last, failures seen again, each alone in its batch, by a source whose
  // clock puts them 4 minutes earlier: the earliest sighting moves each to an
  // earlier interval, and the interval it leaves must lose it (no later batch
  // re-reads that interval for it).
  for (int k = 0; k < 6; ++k) {
    auto& [rid, t] = failed_ids[rng() % failed_ids.size()];
    t = std::max(t - 4 * 60 * 1000, month_start);
    LiveBatch again;
    again.source = "test";
    again.arrival_ns = clock.MonotonicNs();
    again.events.push_back(Ev(t, rid, true, events::SourceKind::kOtel));
    ++expected_events;
    submit(std::move(again));  // evaluated on its own
  }

  auto report_store = Open();
  storage::SeriesFilter f;
  f.month = YearMonth::FromMs(now);
  auto r = report::BuildReport(*report_store, *catalog, f);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const std::vector<report::ReportRow> rows = *r;
  const std::vector<SeriesLive> live = ev.Series();
  // Every committed batch has been through an evaluation.
  EXPECT_EQ(sink.Stats()["test"].events_in, expected_events);
  EXPECT_EQ(ev.Latency().events, expected_events);
  EXPECT_EQ(ev.partial_evaluations(), 45);  // all but the first of 46 commits
  ev.Stop();
  sink.Stop();
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(live.size(), 1u);
  const sla::Verdict& full = rows[0].verdict;
  const sla::Verdict& run = live[0].running;
  EXPECT_EQ(run.requests, full.requests);
  EXPECT_EQ(run.failed_requests, full.failed_requests);
  EXPECT_EQ(run.intervals_with_requests, full.intervals_with_requests);
  EXPECT_EQ(run.failing_intervals, full.failing_intervals);
  EXPECT_EQ(run.sum_error_rates, full.sum_error_rates);
  EXPECT_EQ(run.mup_pct, full.mup_pct);
  EXPECT_EQ(full.requests, 40 * 50);  // each re-reported failure counted once
  EXPECT_EQ(full.failed_requests, static_cast<int64_t>(failed_ids.size()));
}

}  // namespace
}  // namespace recoup::serve
