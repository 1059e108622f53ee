#include "recoup/aggregation/aggregator.h"

#include <gtest/gtest.h>

#include <map>

namespace recoup::aggregation {
namespace {

using events::EventView;
using events::OutcomeClass;
using events::SourceKind;

EventView Ev(int64_t t, OutcomeClass oc, std::string_view rid = "",
             std::string_view region = "us-east-1") {
  EventView e;
  e.time_ms = t;
  e.account = "111122223333";
  e.region = region;
  e.service = "kms";
  e.operation = "Decrypt";
  e.request_id = rid;
  e.outcome = oc;
  e.source = SourceKind::kCloudTrail;
  return e;
}

TEST(AggregatorTest, RequestsOnAScopedResourceCountInTheSubScopesSeries) {
  auto catalog = sla::Catalog::Default();
  sla::ScopeMap scopes;
  ASSERT_TRUE(scopes.Add(*catalog, "s3.infrequent_access=archive-*", "test").ok());
  Aggregator a;
  a.set_scopes(&scopes);
  auto s3 = [](std::string_view resource, OutcomeClass oc, std::string_view rid) {
    EventView e = Ev(1000, oc, rid);
    e.service = "s3";
    e.resource = resource;
    return e;
  };
  a.Add(s3("arn:aws:s3:::archive-2025/a", OutcomeClass::kSuccess, ""));
  a.Add(s3("arn:aws:s3:::archive-2025/b", OutcomeClass::kServerError, "r1"));
  a.Add(s3("arn:aws:s3:::live/c", OutcomeClass::kSuccess, ""));
  a.Add(s3("", OutcomeClass::kSuccess, ""));  // no resource: the default scope
  std::map<std::string, int64_t> ok;
  for (const auto& [k, c] : a.cells()) ok[k.series.service] += c[0];
  EXPECT_EQ(ok, (std::map<std::string, int64_t>{{"s3", 2}, {"s3.infrequent_access", 1}}));
  ASSERT_EQ(a.failures().size(), 1u);
  EXPECT_EQ(a.failures()[0].service, "s3.infrequent_access");
}

TEST(AggregatorTest, BucketsByFiveMinuteIntervalBoundaryGoesToLater) {
  Aggregator a;
  a.Add(Ev(299999, OutcomeClass::kSuccess));
  a.Add(Ev(300000, OutcomeClass::kSuccess));
  a.Add(Ev(300001, OutcomeClass::kThrottled));
  ASSERT_EQ(a.cells().size(), 2u);
  auto it = a.cells().begin();
  EXPECT_EQ(it->first.interval_start_ms, 0);
  EXPECT_EQ(it->second[0], 1);
  ++it;
  EXPECT_EQ(it->first.interval_start_ms, 300000);
  EXPECT_EQ(it->second[static_cast<int>(OutcomeClass::kSuccess)], 1);
  EXPECT_EQ(it->second[static_cast<int>(OutcomeClass::kThrottled)], 1);
}

TEST(AggregatorTest, KeepsEveryFailureWithItsRequestIdButNoSuccesses) {
  Aggregator a;
  for (int i = 0; i < 10000; ++i) a.Add(Ev(i, OutcomeClass::kSuccess, "ok-id"));
  a.Add(Ev(5, OutcomeClass::kServerError, "req-1"));
  EXPECT_EQ(a.failures().size(), 1u);
  EXPECT_EQ(a.failures()[0].request_id, "req-1");
  EXPECT_EQ(a.cells().size(), 1u);
  EXPECT_TRUE(a.samples().empty());
}

TEST(AggregatorTest, KeepsProbeSuccessesWithTheirRequestIds) {
  Aggregator a;
  EventView ok = Ev(7, OutcomeClass::kSuccess, "probe-ok-1");
  ok.source = SourceKind::kProbe;
  a.Add(ok);
  a.Add(Ev(8, OutcomeClass::kSuccess, "app-ok-1"));  // an application's success: counted only
  ASSERT_EQ(a.samples().size(), 1u);
  const auto& [key, evs] = *a.samples().begin();
  EXPECT_EQ(key.outcome, OutcomeClass::kSuccess);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].request_id, "probe-ok-1");
  EXPECT_EQ(evs[0].source, SourceKind::kProbe);
  EXPECT_EQ(a.cells().size(), 2u);  // one cell per source
}

TEST(AggregatorTest, SamplesAreBoundedAndOrderIndependent) {
  Aggregator a(300000, 3), b(300000, 3), all(300000, 3);
  for (int i = 0; i < 10; ++i) {
    const std::string rid = "r" + std::to_string(i);
    EventView e = Ev(1000 - i, OutcomeClass::kThrottled, rid);
    all.Add(e);
    (i % 2 ? a : b).Add(e);
  }
  a.Merge(std::move(b));
  ASSERT_EQ(a.samples().size(), 1u);
  const auto& s = a.samples().begin()->second;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].time_ms, 991);
  EXPECT_EQ(s[2].time_ms, 993);
  const auto& t = all.samples().begin()->second;
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(s[i].request_id, t[i].request_id);
}

TEST(AggregatorTest, MergeIsAssociativeOnCounts) {
  Aggregator x, y, z;
  x.Add(Ev(1, OutcomeClass::kSuccess));
  y.Add(Ev(2, OutcomeClass::kClientError, "c1"));
  z.Add(Ev(600000, OutcomeClass::kSuccess, "", "eu-west-1"));
  Aggregator left;
  left.Merge(std::move(x));
  left.Merge(std::move(y));
  left.Merge(std::move(z));
  EXPECT_EQ(left.cells().size(), 2u);
  EXPECT_EQ(left.events_added(), 3);
  int64_t client = 0;
  for (const auto& [k, c] : left.cells()) client += c[static_cast<int>(OutcomeClass::kClientError)];
  EXPECT_EQ(client, 1);
}

}  // namespace
}  // namespace recoup::aggregation
