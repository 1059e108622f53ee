// The Store contract, run against every backend.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "recoup/storage/store.h"

namespace recoup::storage {
namespace {

using aggregation::Aggregator;
using events::EventView;
using events::OutcomeClass;
using events::SourceKind;

struct Backend {
  const char* name;
  std::function<Result<std::unique_ptr<Store>>(const std::string& dir)> open;
};

const Backend kBackends[] = {
    {"sqlite", [](const std::string& dir) { return OpenSqliteStore(dir + "/recoup.db"); }},
};

class StoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/recoup-store-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto s = GetParam().open(dir_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = GetParam().open(dir_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  static EventView Ev(int64_t t, OutcomeClass oc, std::string_view rid, SourceKind src) {
    EventView e;
    e.time_ms = t;
    e.account = "111122223333";
    e.region = "us-east-1";
    e.service = "kms";
    e.operation = "Decrypt";
    e.error_code = oc == OutcomeClass::kServerError ? "KMSInternalException" : "";
    e.request_id = rid;
    e.outcome = oc;
    e.source = src;
    return e;
  }

  std::vector<ItemOutcome> Commit(const std::string& sha, const Aggregator& agg) {
    FileBatchItem item;
    item.entry.sha256 = sha;
    item.entry.path = "/evidence/" + sha;
    item.entry.status = "ok";
    item.agg = &agg;
    std::vector<ItemOutcome> out;
    Status st = store_->CommitFiles({item}, &out);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  }

  // A KMS charge of the fixture's account in us-east-1.
  static billing::ChargeRecord Charge(const char* month, const char* origin, const char* amount) {
    billing::ChargeRecord c;
    c.account = "111122223333";
    c.region = "us-east-1";
    c.service = "kms";
    c.month = *YearMonth::Parse(month);
    c.origin = origin;
    c.amount = *ParseDecimal(amount);
    return c;
  }

  int64_t Requests(int64_t start = 0, int64_t end = int64_t{1} << 50) {
    auto cells = store_->LoadSourceCells("111122223333", "us-east-1", "kms", start, end);
    EXPECT_TRUE(cells.ok());
    int64_t n = 0;
    for (const auto& c : *cells) n += c.counts[0] + c.server_errors;
    return n;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreConformanceTest, ReingestingTheSameFileChangesNothing) {
  Aggregator agg;
  for (int i = 0; i < 5; ++i)
    agg.Add(Ev(1000 * i, OutcomeClass::kSuccess, "", SourceKind::kCloudTrail));
  agg.Add(Ev(10, OutcomeClass::kServerError, "r1", SourceKind::kCloudTrail));
  EXPECT_FALSE(Commit("aaa", agg)[0].already_ingested);
  EXPECT_TRUE(Commit("aaa", agg)[0].already_ingested);
  EXPECT_EQ(Requests(), 6);
  auto has = store_->HasFile("aaa");
  ASSERT_TRUE(has.ok());
  EXPECT_TRUE(*has);
  EXPECT_FALSE(*store_->HasFile("bbb"));
}

TEST_P(StoreConformanceTest, LedgerPreCheckByPathSizeAndTime) {
  Aggregator agg;
  FileBatchItem item;
  item.entry.sha256 = "s1";
  item.entry.path = "/logs/a.json.gz";
  item.entry.file_bytes = 123;
  item.entry.mtime_ns = 456;
  item.entry.status = "ok";
  item.agg = &agg;
  std::vector<ItemOutcome> out;
  ASSERT_TRUE(store_->CommitFiles({item}, &out).ok());
  EXPECT_TRUE(*store_->HasFileAt("/logs/a.json.gz", 123, 456));
  EXPECT_FALSE(*store_->HasFileAt("/logs/a.json.gz", 124, 456));
  EXPECT_FALSE(*store_->HasFileAt("/logs/a.json.gz", 123, 457));
}

TEST_P(StoreConformanceTest, FailuresAreDeduplicatedByRequestIdAcrossSources) {
  Aggregator ct, csm, ct_again;
  ct.Add(Ev(300000, OutcomeClass::kServerError, "r1", SourceKind::kCloudTrail));
  ct.Add(Ev(300001, OutcomeClass::kServerError, "r2", SourceKind::kCloudTrail));
  csm.Add(Ev(300002, OutcomeClass::kServerError, "r1", SourceKind::kCsm));  // seen by both
  csm.Add(Ev(300003, OutcomeClass::kServerError, "r3", SourceKind::kCsm));  // CSM only
  ct_again.Add(Ev(300000, OutcomeClass::kServerError, "r1", SourceKind::kCloudTrail));
  auto a = Commit("f1", ct)[0];
  EXPECT_EQ(a.new_failures, 2);
  auto b = Commit("f2", csm)[0];
  EXPECT_EQ(b.new_failures, 1);
  EXPECT_EQ(b.cross_source_matches, 1);
  auto c = Commit("f3", ct_again)[0];  // another file repeating a CloudTrail record
  EXPECT_EQ(c.duplicate_failures, 1);
  auto u = store_->LoadFailureUnion("111122223333", "us-east-1", "kms", 0, 1 << 30);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->at(300000), 3);
  auto cells = store_->LoadSourceCells("111122223333", "us-east-1", "kms", 0, 1 << 30);
  ASSERT_TRUE(cells.ok());
  int64_t ct_failed = 0, csm_failed = 0;
  for (const auto& cell : *cells) {
    (cell.source == SourceKind::kCloudTrail ? ct_failed : csm_failed) += cell.server_errors;
  }
  EXPECT_EQ(ct_failed, 2);
  EXPECT_EQ(csm_failed, 2);
  auto f = store_->LoadFailures("111122223333", "us-east-1", "kms", 0, 1 << 30, 100);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 3u);
  EXPECT_EQ((*f)[0].request_id, "r1");
  EXPECT_EQ((*f)[0].time_ms, 300000);  // the earliest sighting wins
}

TEST_P(StoreConformanceTest, EarliestSightingDecidesAFailuresInterval) {
  Aggregator late, early;
  late.Add(Ev(600000, OutcomeClass::kServerError, "r9", SourceKind::kCsm));
  early.Add(Ev(599000, OutcomeClass::kServerError, "r9", SourceKind::kCloudTrail));
  Commit("late", late);
  Commit("early", early);
  auto u = store_->LoadFailureUnion("111122223333", "us-east-1", "kms", 0, 1 << 30);
  ASSERT_EQ(u->size(), 1u);
  EXPECT_EQ(u->begin()->first, 300000);
}

TEST_P(StoreConformanceTest, SamplesAreBoundedAndIndependentOfOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) ids.push_back("t" + std::to_string(100 + i));
  Aggregator a, b;
  for (int i = 0; i < 40; ++i) {
    (i % 2 ? a : b).Add(Ev(1000 + i, OutcomeClass::kThrottled, ids[i], SourceKind::kCloudTrail));
  }
  Commit("b", b);
  Commit("a", a);
  auto s = store_->LoadSamples("111122223333", "us-east-1", "kms", 0, 1 << 30);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ((*s)[i].request_id, ids[i]);
}

TEST_P(StoreConformanceTest, SeriesMonthsAndFilters) {
  Aggregator agg;
  agg.Add(Ev(*ParseTimestampMs("2026-03-31T23:58:00Z"), OutcomeClass::kSuccess, "",
             SourceKind::kCloudTrail));
  agg.Add(Ev(*ParseTimestampMs("2026-04-01T00:01:00Z"), OutcomeClass::kServerError, "x",
             SourceKind::kCloudTrail));
  Commit("m", agg);
  auto all = store_->ListSeriesMonths({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].month.ToString(), "2026-03");
  EXPECT_EQ((*all)[1].month.ToString(), "2026-04");
  SeriesFilter f;
  f.month = *YearMonth::Parse("2026-04");
  EXPECT_EQ(store_->ListSeriesMonths(f)->size(), 1u);
  f.region = "eu-west-1";
  EXPECT_TRUE(store_->ListSeriesMonths(f)->empty());
}

TEST_P(StoreConformanceTest, ManualChargesWinOverCur) {
  billing::ChargeRecord cur = Charge("2026-10", "cur", "412.3700000001");
  cur.source = "cur.csv";
  ASSERT_TRUE(store_->PutCharge(cur).ok());
  auto got = store_->GetCharge("111122223333", "us-east-1", "kms", cur.month);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->amount, cur.amount);  // exact, no float drift
  billing::ChargeRecord manual = cur;
  manual.origin = "manual";
  manual.amount = *ParseDecimal("400");
  ASSERT_TRUE(store_->PutCharge(manual).ok());
  EXPECT_EQ((*store_->GetCharge("111122223333", "us-east-1", "kms", cur.month))->amount,
            Rational(400));
  cur.amount = *ParseDecimal("1");  // re-import updates the CUR figure, manual still wins
  ASSERT_TRUE(store_->PutCharge(cur).ok());
  EXPECT_EQ((*store_->GetCharge("111122223333", "us-east-1", "kms", cur.month))->amount,
            Rational(400));
  EXPECT_EQ(store_->ListCharges({})->size(), 2u);
  EXPECT_FALSE((*store_->GetCharge("111122223333", "eu-west-1", "kms", cur.month)).has_value());
}

TEST_P(StoreConformanceTest, ChangeStampMovesOnEveryCommitFromAnyHandle) {
  auto stamp = [this] {
    auto s = store_->ChangeStamp();
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : std::string();
  };
  const std::string s0 = stamp();
  EXPECT_EQ(stamp(), s0);  // reading changes nothing
  ASSERT_TRUE(store_->ListSeriesMonths({}).ok());
  EXPECT_EQ(stamp(), s0);
  // A commit through this handle.
  Aggregator agg;
  agg.Add(Ev(5, OutcomeClass::kServerError, "r1", SourceKind::kCloudTrail));
  Commit("a", agg);
  const std::string s1 = stamp();
  EXPECT_NE(s1, s0);
  // A commit through another handle (another process, in production).
  auto other = GetParam().open(dir_);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_TRUE((*other)->PutCharge(Charge("2025-03", "manual", "7")).ok());
  const std::string s2 = stamp();
  EXPECT_NE(s2, s1);
  EXPECT_EQ(stamp(), s2);
}

TEST_P(StoreConformanceTest, HealthCoverageMergesAndAppliesWildcards) {
  auto put = [&](std::string source, std::string account, std::string region, int64_t a,
                 int64_t b) {
    return store_->PutHealthCoverage(
        {std::move(source), std::move(account), std::move(region), a, b});
  };
  EXPECT_TRUE(store_->ListHealthCoverage("111122223333", "us-east-1")->empty());
  ASSERT_TRUE(put("sqs", "111122223333", "us-east-1", 1000, 2000).ok());
  ASSERT_TRUE(put("sqs", "111122223333", "us-east-1", 2000, 3000).ok());  // touches: merged
  ASSERT_TRUE(put("sqs", "111122223333", "us-east-1", 1500, 2500).ok());  // inside: merged
  ASSERT_TRUE(put("sqs", "111122223333", "us-east-1", 5000, 6000).ok());  // apart: its own row
  ASSERT_TRUE(put("sqs", "111122223333", "eu-west-1", 0, 9000).ok());     // other Region
  ASSERT_TRUE(put("health-org-api", "*", "*", 4000, 4500).ok());          // every account
  ASSERT_TRUE(put("eventbridge", "444455556666", "us-east-1", 0, 9000).ok());
  auto got = store_->ListHealthCoverage("111122223333", "us-east-1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].source, "sqs");
  EXPECT_EQ((*got)[0].start_ms, 1000);
  EXPECT_EQ((*got)[0].end_ms, 3000);
  EXPECT_EQ((*got)[1].source, "health-org-api");
  EXPECT_EQ((*got)[1].account, "*");
  EXPECT_EQ((*got)[1].region, "*");
  EXPECT_EQ((*got)[2].start_ms, 5000);
  // Merging spans rows: one put bridging two rows leaves one.
  ASSERT_TRUE(put("sqs", "111122223333", "us-east-1", 2500, 5500).ok());
  got = store_->ListHealthCoverage("111122223333", "us-east-1");
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].start_ms, 1000);
  EXPECT_EQ((*got)[0].end_ms, 6000);
  Reopen();
  EXPECT_EQ(store_->ListHealthCoverage("111122223333", "us-east-1")->size(), 2u);
  EXPECT_FALSE(put("", "111122223333", "us-east-1", 0, 1).ok());
  EXPECT_FALSE(put("sqs", "111122223333", "us-east-1", 10, 1).ok());
}

TEST_P(StoreConformanceTest, HealthEventsUpsertByArnAndNeverGoBack) {
  health::HealthEvent e;
  e.arn = "arn:aws:health:us-east-1::event/KMS/AWS_KMS_OPERATIONAL_ISSUE/1";
  e.service = "KMS";
  e.event_type_code = "AWS_KMS_OPERATIONAL_ISSUE";
  e.event_type_category = "issue";
  e.region = "us-east-1";
  e.status = "open";
  e.start_ms = 1000;
  e.last_updated_ms = 2000;
  e.description = "Increased error rates";
  e.source = "eventbridge";
  EXPECT_TRUE(*store_->PutHealthEvent(e));
  EXPECT_FALSE(*store_->PutHealthEvent(e));  // the same again changes nothing
  health::HealthEvent closed = e;
  closed.status = "closed";
  closed.end_ms = 9000;
  closed.last_updated_ms = 3000;
  closed.description = "";  // a later update without text keeps the text
  EXPECT_TRUE(*store_->PutHealthEvent(closed));
  health::HealthEvent stale = e;  // an older update arriving late
  stale.last_updated_ms = 1500;
  EXPECT_FALSE(*store_->PutHealthEvent(stale));
  auto all = store_->ListHealthEvents({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().status, "closed");
  EXPECT_EQ(all->front().end_ms, 9000);
  EXPECT_EQ(all->front().description, "Increased error rates");
  // Overlap filter: [start, end) against the window; an open event reaches now.
  HealthEventFilter f;
  f.start_ms = 9000;
  f.end_ms = 20000;
  EXPECT_TRUE(store_->ListHealthEvents(f)->empty());
  f.start_ms = 8999;
  EXPECT_EQ(store_->ListHealthEvents(f)->size(), 1u);
  health::HealthEvent open = e;
  open.arn += "-open";
  open.start_ms = 5000;
  open.accounts = {"111122223333", "444455556666"};
  ASSERT_TRUE(store_->PutHealthEvent(open).ok());
  f.start_ms = 100000;
  f.end_ms = 200000;
  auto later = store_->ListHealthEvents(f);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ(later->front().accounts, open.accounts);
  f = {};
  f.region = "eu-west-1";
  EXPECT_TRUE(store_->ListHealthEvents(f)->empty());
}

TEST_P(StoreConformanceTest, ClaimsMoveOnlyFromTheStateTheyAreIn) {
  claims::ClaimRecord c;
  c.id = "111122223333-us-east-1-kms-2026-10";
  c.account = "111122223333";
  c.region = "us-east-1";
  c.service = "kms";
  c.month = *YearMonth::Parse("2026-10");
  c.state = "detected";
  c.mup_pct = "99.970303277242";
  c.credit_pct = "10";
  c.credit_asked = *ParseDecimal("41.237");
  c.deadline_ms = 1798761599999;
  c.created_ms = 100;
  ASSERT_TRUE(store_->PutClaim(c, "breach found").ok());
  // Re-putting keeps the state: states move only through TransitionClaim.
  claims::ClaimRecord again = c;
  again.state = "credited";
  again.credit_asked = *ParseDecimal("41.24");
  ASSERT_TRUE(store_->PutClaim(again, "rebuilt").ok());
  auto got = store_->GetClaim(c.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->state, "detected");
  EXPECT_EQ((*got)->credit_asked, *ParseDecimal("41.24"));  // exact
  EXPECT_FALSE((*got)->credit_received.has_value());

  claims::ClaimRecord filed = **got;
  filed.state = "filed";
  filed.case_id = "case-1";
  ASSERT_TRUE(store_->TransitionClaim(filed, "detected", "filed with AWS", 200).ok());
  // A second mover that still thinks it is "detected" is refused.
  Status st = store_->TransitionClaim(filed, "detected", "filed twice", 300);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("filed"), std::string::npos) << st.message();
  claims::ClaimRecord credited = filed;
  credited.state = "credited";
  credited.credit_received = *ParseDecimal("41.24");
  ASSERT_TRUE(store_->TransitionClaim(credited, "filed", "credit on the bill", 400).ok());
  claims::ClaimRecord unknown = c;
  unknown.id = "nope";
  EXPECT_EQ(store_->TransitionClaim(unknown, "detected", "x", 1).code(), StatusCode::kNotFound);

  auto log = store_->ListClaimTransitions(c.id);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].from_state, "");
  EXPECT_EQ((*log)[0].to_state, "detected");
  EXPECT_EQ((*log)[1].to_state, "filed");
  EXPECT_EQ((*log)[1].at_ms, 200);
  EXPECT_EQ((*log)[2].to_state, "credited");
  EXPECT_EQ((*log)[2].seq, 3);
  Reopen();
  auto after = store_->GetClaim(c.id);
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->state, "credited");
  EXPECT_EQ(*(*after)->credit_received, *ParseDecimal("41.24"));
  EXPECT_EQ((*after)->case_id, "case-1");
  EXPECT_EQ((*after)->created_ms, 100);
}

TEST_P(StoreConformanceTest, FilingsAndCommunicationsAreKeptOnce) {
  claims::ClaimFiling f;
  f.claim_id = "c1";
  f.status = "intent";
  f.subject = "SLA Credit Request";
  f.attempts = 1;
  f.created_ms = 10;
  f.updated_ms = 10;
  ASSERT_TRUE(store_->PutClaimFiling(f).ok());
  f.status = "filed";
  f.case_id = "case-9";
  f.updated_ms = 20;
  ASSERT_TRUE(store_->PutClaimFiling(f).ok());
  auto got = store_->GetClaimFiling("c1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->status, "filed");
  EXPECT_EQ((*got)->case_id, "case-9");
  EXPECT_EQ((*got)->created_ms, 10);
  EXPECT_FALSE(store_->GetClaimFiling("c2")->has_value());

  claims::ClaimCommunication m;
  m.claim_id = "c1";
  m.case_id = "case-9";
  m.time_created = "2026-11-03T10:00:00Z";
  m.submitted_by = "Amazon Web Services";
  m.body = "We have applied the credit.";
  m.attachments = {"a.csv", "b.txt"};
  EXPECT_TRUE(*store_->PutClaimCommunication(m));
  EXPECT_FALSE(*store_->PutClaimCommunication(m));  // synced twice: stored once
  claims::ClaimCommunication earlier = m;
  earlier.time_created = "2026-11-02T09:00:00Z";
  earlier.body = "Thank you for your request.";
  earlier.attachments = {};
  EXPECT_TRUE(*store_->PutClaimCommunication(earlier));
  auto msgs = store_->ListClaimCommunications("c1");
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 2u);
  EXPECT_EQ((*msgs)[0].body, earlier.body);
  EXPECT_EQ((*msgs)[1].attachments, m.attachments);
}

TEST_P(StoreConformanceTest, EverythingSurvivesReopen) {
  Aggregator agg;
  agg.Add(Ev(5, OutcomeClass::kSuccess, "", SourceKind::kCloudTrail));
  agg.Add(Ev(6, OutcomeClass::kServerError, "r", SourceKind::kCloudTrail));
  Commit("z", agg);
  Reopen();
  EXPECT_TRUE(*store_->HasFile("z"));
  EXPECT_EQ(Requests(), 2);
  auto t = store_->Totals();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->files, 1);
  EXPECT_EQ(t->failures, 1);
}

// Records kept without an account land with their live batch and leave in
// the transaction that commits their events: each counts once.
TEST_P(StoreConformanceTest, UnattributedRecordsAreKeptUntilTheirEventsCommit) {
  UnattributedRecord kept;
  kept.source = "csm";
  kept.access_key = "AKIAIOSFODNN7EXAMPLE";
  kept.received_ms = 1000;
  kept.record = R"({"Type":"ApiCallAttempt"})";
  LiveBatchItem add;
  add.unattributed = {kept, kept, kept};
  add.unattributed[2].access_key = "";
  std::vector<ItemOutcome> out;
  ASSERT_TRUE(store_->CommitLive({add}, &out).ok());
  Reopen();
  auto counts = store_->CountUnattributed();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, (std::map<std::string, int64_t>{{"", 1}, {"AKIAIOSFODNN7EXAMPLE", 2}}));
  auto listed = store_->ListUnattributed("AKIAIOSFODNN7EXAMPLE", 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].record, kept.record);
  EXPECT_EQ((*listed)[0].source, "csm");
  EXPECT_EQ((*listed)[0].received_ms, 1000);
  EXPECT_LT((*listed)[0].id, (*listed)[1].id);
  EXPECT_EQ(store_->ListUnattributed("AKIAIOSFODNN7EXAMPLE", 1)->size(), 1u);

  Aggregator agg;
  agg.Add(Ev(5, OutcomeClass::kSuccess, "", SourceKind::kCsm));
  agg.Add(Ev(6, OutcomeClass::kSuccess, "", SourceKind::kCsm));
  LiveBatchItem attributed;
  attributed.agg = &agg;
  attributed.attributed_ids = {(*listed)[0].id, (*listed)[1].id};
  ASSERT_TRUE(store_->CommitLive({attributed}, &out).ok());
  EXPECT_EQ(Requests(), 2);
  EXPECT_EQ(*store_->CountUnattributed(), (std::map<std::string, int64_t>{{"", 1}}));
  EXPECT_TRUE(store_->ListUnattributed("AKIAIOSFODNN7EXAMPLE", 10)->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(SqliteStoreTest, RefusesAStoreFromANewerRecoup) {
  char tmpl[] = "/tmp/recoup-store-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = dir + "/recoup.db";
  { ASSERT_TRUE(OpenSqliteStore(path).ok()); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_version VALUES(999)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto s = OpenSqliteStore(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("newer"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// Processes that create one store at the same moment (two ingests started
// together on a new machine) must all open it: SQLite answers SQLITE_BUSY at
// once, without its busy handler, when two rollback-mode connections both
// want to write, so opening has to retry by itself.
TEST(SqliteStoreTest, ManyOpenersOfANewStoreAllSucceed) {
  char tmpl[] = "/tmp/recoup-store-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  constexpr int kRounds = 100;
  constexpr int kOpeners = 6;
  int failures = 0;
  std::string first_error;
  for (int round = 0; round < kRounds; ++round) {
    const std::string path = dir + "/race-" + std::to_string(round) + ".db";
    std::vector<Status> results(kOpeners);
    std::vector<std::thread> threads;
    for (int i = 0; i < kOpeners; ++i) {
      threads.emplace_back([&results, &path, i] {
        auto s = OpenSqliteStore(path);
        results[i] = s.ok() ? Status::Ok() : s.status();
      });
    }
    for (auto& t : threads) t.join();
    for (const Status& st : results) {
      if (!st.ok()) {
        ++failures;
        if (first_error.empty()) first_error = st.ToString();
      }
    }
    auto s = OpenSqliteStore(path);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
  }
  EXPECT_EQ(failures, 0) << first_error;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace recoup::storage
