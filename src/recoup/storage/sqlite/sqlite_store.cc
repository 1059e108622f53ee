// SQLite backend of the evidence store (WAL, migrations at open).
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <system_error>
#include <unordered_map>

#include "recoup/core/time.h"
#include "recoup/storage/store.h"

namespace recoup::storage {

namespace {

using events::Event;
using events::OutcomeClass;

// Schema migrations: append only. Each runs once, in order, in a transaction.
const char* const kMigrations[] = {
    // 1: evidence and charges.
    R"SQL(
CREATE TABLE ingested_files(
  sha256 TEXT PRIMARY KEY, content_hash TEXT NOT NULL, path TEXT NOT NULL,
  mtime_ns INTEGER NOT NULL,
  file_bytes INTEGER NOT NULL,
  json_bytes INTEGER NOT NULL, records INTEGER NOT NULL, accepted INTEGER NOT NULL,
  skipped INTEGER NOT NULL, rejected INTEGER NOT NULL, errors INTEGER NOT NULL,
  status TEXT NOT NULL, ingested_at_ms INTEGER NOT NULL, name TEXT NOT NULL,
  records_yielded INTEGER NOT NULL, superseded_by TEXT);
CREATE INDEX ingested_files_by_name ON ingested_files(name) WHERE status <> 'ok';
CREATE INDEX ingested_files_by_content ON ingested_files(content_hash);
CREATE INDEX ingested_files_by_path ON ingested_files(path, file_bytes, mtime_ns);
CREATE TABLE series(
  id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, service TEXT NOT NULL,
  UNIQUE(account, region, service));
CREATE TABLE interval_counts(
  series_id INTEGER NOT NULL, interval_start_ms INTEGER NOT NULL, source INTEGER NOT NULL,
  success INTEGER NOT NULL DEFAULT 0, server_error INTEGER NOT NULL DEFAULT 0,
  throttled INTEGER NOT NULL DEFAULT 0, client_error INTEGER NOT NULL DEFAULT 0,
  custom_key_store INTEGER NOT NULL DEFAULT 0, no_response INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(series_id, interval_start_ms, source)) WITHOUT ROWID;
CREATE TABLE failures(
  series_id INTEGER NOT NULL, request_id TEXT NOT NULL, interval_start_ms INTEGER NOT NULL,
  time_ms INTEGER NOT NULL, operation TEXT NOT NULL, error_code TEXT NOT NULL,
  http_status INTEGER NOT NULL, resource TEXT NOT NULL, sources INTEGER NOT NULL,
  PRIMARY KEY(series_id, request_id)) WITHOUT ROWID;
CREATE INDEX failures_by_interval ON failures(series_id, interval_start_ms);
CREATE TABLE samples(
  series_id INTEGER NOT NULL, interval_start_ms INTEGER NOT NULL, outcome INTEGER NOT NULL,
  time_ms INTEGER NOT NULL, request_id TEXT NOT NULL, operation TEXT NOT NULL,
  error_code TEXT NOT NULL, http_status INTEGER NOT NULL, resource TEXT NOT NULL,
  source INTEGER NOT NULL,
  PRIMARY KEY(series_id, interval_start_ms, outcome, time_ms, request_id, source)) WITHOUT ROWID;
CREATE TABLE charges(
  account TEXT NOT NULL, region TEXT NOT NULL, service TEXT NOT NULL, month TEXT NOT NULL,
  origin TEXT NOT NULL, amount TEXT NOT NULL, net_amount TEXT, credits TEXT NOT NULL,
  tax TEXT NOT NULL, currency TEXT NOT NULL, source TEXT NOT NULL, updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY(account, region, service, month, origin));
)SQL",
    // 2: AWS Health events (section "health").
    R"SQL(
CREATE TABLE health_events(
  arn TEXT PRIMARY KEY, service TEXT NOT NULL, event_type_code TEXT NOT NULL,
  event_type_category TEXT NOT NULL, region TEXT NOT NULL, status TEXT NOT NULL,
  start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, last_updated_ms INTEGER NOT NULL,
  description TEXT NOT NULL, accounts TEXT NOT NULL, source TEXT NOT NULL);
CREATE INDEX health_events_by_start ON health_events(start_ms);
)SQL",
    // 3: claims and their transitions (section "claims").
    R"SQL(
CREATE TABLE claims(
  id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, service TEXT NOT NULL,
  month TEXT NOT NULL, state TEXT NOT NULL, mup_pct TEXT NOT NULL, credit_pct TEXT NOT NULL,
  credit_asked TEXT NOT NULL, credit_received TEXT, deadline_ms INTEGER NOT NULL,
  case_id TEXT NOT NULL, sla_version TEXT NOT NULL, created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL, charges_usd TEXT, failed_requests INTEGER NOT NULL,
  failing_intervals INTEGER NOT NULL, package_sha256 TEXT NOT NULL, case_status TEXT NOT NULL,
  display_id TEXT NOT NULL, filed_ms INTEGER NOT NULL, credited_ms INTEGER NOT NULL);
CREATE TABLE claim_transitions(
  claim_id TEXT NOT NULL, seq INTEGER NOT NULL, at_ms INTEGER NOT NULL, from_state TEXT NOT NULL,
  to_state TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY(claim_id, seq)) WITHOUT ROWID;
CREATE TABLE claim_filings(
  claim_id TEXT PRIMARY KEY, status TEXT NOT NULL, subject TEXT NOT NULL,
  attachment_set_id TEXT NOT NULL, case_id TEXT NOT NULL, attempts INTEGER NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE claim_communications(
  id INTEGER PRIMARY KEY, claim_id TEXT NOT NULL, case_id TEXT NOT NULL,
  time_created TEXT NOT NULL, submitted_by TEXT NOT NULL, body TEXT NOT NULL,
  attachments TEXT NOT NULL, UNIQUE(case_id, time_created, submitted_by, body));
CREATE INDEX claim_communications_by_claim ON claim_communications(claim_id, time_created);
)SQL",
    // 4: live service state: checkpoints, alerts, notifications (section "serve").
    R"SQL(
CREATE TABLE serve_checkpoints(
  key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE serve_batches(key TEXT PRIMARY KEY, committed_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX serve_batches_by_time ON serve_batches(committed_ms);
CREATE TABLE serve_alerts(
  key TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL,
  account TEXT NOT NULL, region TEXT NOT NULL, service TEXT NOT NULL, summary TEXT NOT NULL,
  detail_json TEXT NOT NULL, fingerprint TEXT NOT NULL, opened_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL, resolved_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE serve_outbox(
  id INTEGER PRIMARY KEY AUTOINCREMENT, alert_key TEXT NOT NULL, channel TEXT NOT NULL,
  action TEXT NOT NULL, payload_json TEXT NOT NULL, state TEXT NOT NULL,
  attempts INTEGER NOT NULL, next_attempt_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL,
  sent_ms INTEGER NOT NULL, last_error TEXT NOT NULL);
CREATE INDEX serve_outbox_due ON serve_outbox(state, next_attempt_ms);
CREATE INDEX serve_outbox_by_alert ON serve_outbox(alert_key, id);
)SQL",
    // 5: live records not attributed to an account yet (section "serve").
    R"SQL(
CREATE TABLE serve_unattributed(
  id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, access_key TEXT NOT NULL,
  received_ms INTEGER NOT NULL, record TEXT NOT NULL);
CREATE INDEX serve_unattributed_by_key ON serve_unattributed(access_key, id);
)SQL",
    // 6: what each AWS Health source covered (section "health").
    R"SQL(
CREATE TABLE health_coverage(
  source TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL,
  start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,
  PRIMARY KEY(source, account, region, start_ms)) WITHOUT ROWID;
)SQL",
};

class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s_); }
  sqlite3_stmt** out() { return &s_; }
  sqlite3_stmt* get() const { return s_; }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, const std::string& v) { Bind(i, std::string_view(v)); }
  void BindNull(int i) { sqlite3_bind_null(s_, i); }
  void Bind(int i, const std::optional<std::string>& v) {
    if (v) {
      Bind(i, std::string_view(*v));
    } else {
      BindNull(i);
    }
  }
  // Binds the arguments to parameters 1, 2, ... in order.
  template <typename... Args>
  void BindAll(const Args&... args) {
    int i = 0;
    (Bind(++i, args), ...);
  }
  int64_t Int(int i) const { return sqlite3_column_int64(s_, i); }
  std::string Text(int i) const {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t));
  }
  bool IsNull(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// Amounts are stored as exact decimal text (12 fractional digits at most).
std::string Stored(const Rational& v) { return FormatDecimal(v, 0, 12); }
std::optional<std::string> Stored(const std::optional<Rational>& v) {
  if (!v) return std::nullopt;
  return Stored(*v);
}

// Columns 0-5 of the failure and sample queries: time_ms, request_id,
// operation, error_code, http_status, resource.
Event ReadEvent(const Stmt& s, const std::string& account, const std::string& region,
                const std::string& service) {
  Event e;
  e.time_ms = s.Int(0);
  e.request_id = s.Text(1);
  e.operation = s.Text(2);
  e.error_code = s.Text(3);
  e.http_status = static_cast<int>(s.Int(4));
  e.resource = s.Text(5);
  e.account = account;
  e.region = region;
  e.service = service;
  return e;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path, StoreOptions opt)
      : db_(db), path_(std::move(path)), opt_(opt) {}
  ~SqliteStore() override {
    has_at_.reset();
    sqlite3_close_v2(db_);
  }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Status Init() {
    // Several processes may open a new store at once: wait for locks rather
    // than fail, and decide on migrations inside the write transaction. The
    // busy handler does not cover every case at creation: while the file is
    // still in rollback-journal mode, two connections that both hold a shared
    // lock and both want to write get SQLITE_BUSY at once (SQLite's deadlock
    // avoidance), so the whole opening sequence is retried with jittered
    // backoff until the same 30 s budget runs out.
    constexpr int kBusyTimeoutMs = 30000;
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    // SQLite's locks wait in real time, so this loop does too, whatever
    // clock the store stamps rows with.
    const Clock& real = SystemClock();
    const int64_t deadline_ms = real.MonotonicMs() + kBusyTimeoutMs;
    std::minstd_rand jitter(static_cast<uint32_t>(real.MonotonicNs() ^ ::getpid()));
    for (int attempt = 1;; ++attempt) {
      bool busy = false;
      Status st = InitOnce(&busy);
      if (st.ok() || !busy || real.MonotonicMs() >= deadline_ms) return st;
      const int cap_ms = std::min(attempt, 10) * 20;
      real.SleepFor(1 + static_cast<int64_t>(jitter() % static_cast<uint32_t>(cap_ms)));
    }
  }

  // One attempt at opening; `*busy` tells whether a failure was a lock
  // conflict worth retrying.
  Status InitOnce(bool* busy) {
    auto failed = [&](Status st) {
      const int code = sqlite3_errcode(db_) & 0xff;
      *busy = code == SQLITE_BUSY || code == SQLITE_LOCKED;
      if (sqlite3_get_autocommit(db_) == 0) (void)Exec("ROLLBACK");
      return st;
    };
    if (opt_.read_only) {
      // Nothing may be written: no journal mode change, no migration.
      auto v = SchemaVersion();
      if (!v.ok()) return failed(v.status());
      if (*v != static_cast<int64_t>(std::size(kMigrations))) {
        return FailedPrecondition(path_ +
                                  ": the store is read-only and its schema is not this "
                                  "recoup's: open it once with write access to upgrade it");
      }
      return Status::Ok();
    }
    if (Status st = Exec("PRAGMA journal_mode=WAL"); !st.ok()) return failed(st);
    if (Status st = Exec(opt_.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
        !st.ok()) {
      return failed(st);
    }
    const int64_t latest = static_cast<int64_t>(std::size(kMigrations));
    // Fast path: an up-to-date store needs no write lock.
    auto v = SchemaVersion();
    if (v.ok() && *v == latest) return Status::Ok();
    if (!v.ok()) return failed(v.status());
    if (Status st = Exec("BEGIN IMMEDIATE"); !st.ok()) return failed(st);
    if (Status st = Migrate(latest); !st.ok()) return failed(st);
    if (Status st = Exec("COMMIT"); !st.ok()) return failed(st);
    return Status::Ok();
  }

  Result<int64_t> SchemaVersion() {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(Prepare(
        "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='schema_version'", &s));
    if (sqlite3_step(s.get()) != SQLITE_ROW) return Error("schema check");
    if (s.Int(0) == 0) return int64_t{0};
    Stmt v;
    RECOUP_RETURN_IF_ERROR(Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version", &v));
    if (sqlite3_step(v.get()) != SQLITE_ROW) return Error("schema version");
    return v.Int(0);
  }

  Status Migrate(int64_t latest) {
    RECOUP_RETURN_IF_ERROR(
        Exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)"));
    RECOUP_ASSIGN_OR_RETURN(int64_t version, SchemaVersion());
    if (version > latest) {
      return FailedPrecondition(path_ + ": store schema version " + std::to_string(version) +
                                " is newer than this recoup (" + std::to_string(latest) +
                                "): upgrade recoup");
    }
    for (int64_t v = version; v < latest; ++v) {
      Status st = Exec(kMigrations[v]);
      if (st.ok()) {
        st = Exec("INSERT INTO schema_version(version) VALUES(" + std::to_string(v + 1) + ")");
      }
      if (!st.ok()) return st.WithPrefix(path_ + ": migration " + std::to_string(v + 1));
    }
    return Status::Ok();
  }

  Result<bool> HasFile(const std::string& sha256) override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(Prepare("SELECT 1 FROM ingested_files WHERE sha256=?", &s));
    s.Bind(1, sha256);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Error("HasFile");
  }

  Result<bool> HasFileAt(const std::string& path, int64_t size, int64_t mtime_ns) override {
    if (!has_at_) {
      has_at_ = std::make_unique<Stmt>();
      RECOUP_RETURN_IF_ERROR(
          Prepare("SELECT 1 FROM ingested_files WHERE path=? AND file_bytes=? AND mtime_ns=?",
                  has_at_.get()));
    }
    has_at_->Reset();
    has_at_->Bind(1, path);
    has_at_->Bind(2, size);
    has_at_->Bind(3, mtime_ns);
    const int rc = sqlite3_step(has_at_->get());
    sqlite3_reset(has_at_->get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Error("HasFileAt");
  }

  Result<std::optional<DamagedFile>> FindDamagedFile(const std::string& file_name) override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT sha256, json_bytes, content_hash, records_yielded FROM ingested_files"
                " WHERE name=? AND status <> 'ok' AND superseded_by IS NULL"
                " ORDER BY ingested_at_ms LIMIT 1",
                &s));
    s.Bind(1, file_name);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::optional<DamagedFile>();
    if (rc != SQLITE_ROW) return Error("FindDamagedFile");
    DamagedFile d;
    d.sha256 = s.Text(0);
    d.json_bytes = s.Int(1);
    d.content_hash = s.Text(2);
    d.records_yielded = s.Int(3);
    return std::optional<DamagedFile>(d);
  }

  Status CommitFiles(const std::vector<FileBatchItem>& items,
                     std::vector<ItemOutcome>* outcomes) override {
    outcomes->assign(items.size(), ItemOutcome{});
    return InTransaction([&] { return CommitLocked(items, outcomes); });
  }

  Result<std::vector<SeriesMonth>> ListSeriesMonths(const SeriesFilter& f) override {
    std::string sql =
        "SELECT s.account, s.region, s.service, m.start FROM series s JOIN ("
        " SELECT series_id, interval_start_ms AS start FROM interval_counts"
        " UNION SELECT series_id, interval_start_ms FROM failures) m ON m.series_id = s.id"
        " WHERE 1=1";
    if (f.account) sql += " AND s.account=?1";
    if (f.region) sql += " AND s.region=?2";
    if (f.service) sql += " AND s.service=?3";
    if (f.month) sql += " AND m.start >= ?4 AND m.start < ?5";
    Stmt s;
    RECOUP_RETURN_IF_ERROR(Prepare(sql, &s));
    if (f.account) s.Bind(1, *f.account);
    if (f.region) s.Bind(2, *f.region);
    if (f.service) s.Bind(3, *f.service);
    if (f.month) {
      s.Bind(4, f.month->StartMs());
      s.Bind(5, f.month->EndMs());
    }
    std::set<std::tuple<std::string, std::string, std::string, YearMonth>> seen;
    RECOUP_RETURN_IF_ERROR(EachRow(s, "ListSeriesMonths", [&] {
      seen.emplace(s.Text(0), s.Text(1), s.Text(2), YearMonth::FromMs(s.Int(3)));
    }));
    std::vector<SeriesMonth> out;
    out.reserve(seen.size());
    for (const auto& [a, r, sv, m] : seen) out.push_back(SeriesMonth{a, r, sv, m});
    return out;
  }

  Result<std::vector<aggregation::SourceCell>> LoadSourceCells(const std::string& account,
                                                               const std::string& region,
                                                               const std::string& service,
                                                               int64_t start_ms,
                                                               int64_t end_ms) override {
    std::vector<aggregation::SourceCell> out;
    RECOUP_ASSIGN_OR_RETURN(int64_t sid, FindSeries(account, region, service));
    if (sid < 0) return out;
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT interval_start_ms, source, success, server_error, throttled, client_error,"
                " custom_key_store, no_response FROM interval_counts"
                " WHERE series_id=? AND interval_start_ms>=? AND interval_start_ms<?",
                &s));
    s.BindAll(sid, start_ms, end_ms);
    std::map<std::pair<int64_t, int>, aggregation::SourceCell> cells;
    RECOUP_RETURN_IF_ERROR(EachRow(s, "LoadSourceCells", [&] {
      aggregation::SourceCell& c = cells[{s.Int(0), static_cast<int>(s.Int(1))}];
      c.interval_start_ms = s.Int(0);
      c.source = static_cast<events::SourceKind>(s.Int(1));
      for (int i = 0; i < events::kOutcomeClassCount; ++i) c.counts[i] = s.Int(2 + i);
    }));
    // Per-source distinct failures from the failure ledger.
    Stmt f;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT interval_start_ms, sources FROM failures"
                " WHERE series_id=? AND interval_start_ms>=? AND interval_start_ms<?",
                &f));
    f.BindAll(sid, start_ms, end_ms);
    RECOUP_RETURN_IF_ERROR(EachRow(f, "LoadSourceCells", [&] {
      const int64_t start = f.Int(0);
      const int64_t mask = f.Int(1);
      for (int src = 0; src < events::kSourceKindCount; ++src) {
        if ((mask >> src) & 1) {
          aggregation::SourceCell& c = cells[{start, src}];
          c.interval_start_ms = start;
          c.source = static_cast<events::SourceKind>(src);
          ++c.server_errors;
        }
      }
    }));
    for (auto& [k, c] : cells) out.push_back(c);
    return out;
  }

  Result<std::map<int64_t, int64_t>> LoadFailureUnion(const std::string& account,
                                                      const std::string& region,
                                                      const std::string& service, int64_t start_ms,
                                                      int64_t end_ms) override {
    std::map<int64_t, int64_t> out;
    RECOUP_ASSIGN_OR_RETURN(int64_t sid, FindSeries(account, region, service));
    if (sid < 0) return out;
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT interval_start_ms, COUNT(*) FROM failures"
                " WHERE series_id=? AND interval_start_ms>=? AND interval_start_ms<?"
                " GROUP BY interval_start_ms",
                &s));
    s.BindAll(sid, start_ms, end_ms);
    RECOUP_RETURN_IF_ERROR(EachRow(s, "LoadFailureUnion", [&] { out[s.Int(0)] = s.Int(1); }));
    return out;
  }

  Result<std::vector<Event>> LoadFailures(const std::string& account, const std::string& region,
                                          const std::string& service, int64_t start_ms,
                                          int64_t end_ms, int64_t limit) override {
    std::vector<Event> out;
    RECOUP_ASSIGN_OR_RETURN(int64_t sid, FindSeries(account, region, service));
    if (sid < 0) return out;
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT time_ms, request_id, operation, error_code, http_status, resource, sources"
                " FROM failures WHERE series_id=? AND interval_start_ms>=? AND interval_start_ms<?"
                " ORDER BY time_ms, request_id LIMIT ?",
                &s));
    s.BindAll(sid, start_ms, end_ms, limit);
    RECOUP_RETURN_IF_ERROR(EachRow(s, "LoadFailures", [&] {
      Event e = ReadEvent(s, account, region, service);
      const int64_t mask = s.Int(6);
      e.seen_by = static_cast<uint32_t>(mask);
      for (int src = 0; src < events::kSourceKindCount; ++src) {
        if ((mask >> src) & 1) {
          e.source = static_cast<events::SourceKind>(src);
          break;
        }
      }
      e.outcome = OutcomeClass::kServerError;
      out.push_back(std::move(e));
    }));
    return out;
  }

  Result<std::vector<Event>> LoadSamples(const std::string& account, const std::string& region,
                                         const std::string& service, int64_t start_ms,
                                         int64_t end_ms) override {
    std::vector<Event> out;
    RECOUP_ASSIGN_OR_RETURN(int64_t sid, FindSeries(account, region, service));
    if (sid < 0) return out;
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT time_ms, request_id, operation, error_code, http_status, resource, source,"
                " outcome FROM samples WHERE series_id=? AND interval_start_ms>=? AND"
                " interval_start_ms<? ORDER BY time_ms, request_id, source",
                &s));
    s.BindAll(sid, start_ms, end_ms);
    RECOUP_RETURN_IF_ERROR(EachRow(s, "LoadSamples", [&] {
      Event e = ReadEvent(s, account, region, service);
      e.source = static_cast<events::SourceKind>(s.Int(6));
      e.outcome = static_cast<OutcomeClass>(s.Int(7));
      out.push_back(std::move(e));
    }));
    return out;
  }

  Status PutCharge(const billing::ChargeRecord& c) override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("INSERT INTO charges(account, region, service, month, origin, amount, net_amount,"
                " credits, tax, currency, source, updated_at_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(account, region, service, month, origin) DO UPDATE SET"
                " amount=excluded.amount, net_amount=excluded.net_amount, credits=excluded.credits,"
                " tax=excluded.tax, currency=excluded.currency, source=excluded.source,"
                " updated_at_ms=excluded.updated_at_ms",
                &s));
    s.BindAll(c.account, c.region, c.service, c.month.ToString(), c.origin, Stored(c.amount),
              Stored(c.net_amount), Stored(c.credits), Stored(c.tax), c.currency, c.source,
              int64_t{0});
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("PutCharge");
    return Status::Ok();
  }

  Result<std::optional<billing::ChargeRecord>> GetCharge(const std::string& account,
                                                         const std::string& region,
                                                         const std::string& service,
                                                         YearMonth month) override {
    SeriesFilter f;
    f.account = account;
    f.region = region;
    f.service = service;
    f.month = month;
    RECOUP_ASSIGN_OR_RETURN(std::vector<billing::ChargeRecord> all, ListCharges(f));
    // manual > cur (line items) > cost-explorer (may be estimated) > anything else.
    auto rank = [](const std::string& origin) {
      return origin == "manual" ? 3 : origin == "cur" ? 2 : origin == "cost-explorer" ? 1 : 0;
    };
    std::optional<billing::ChargeRecord> best;
    for (billing::ChargeRecord& c : all) {
      if (!best || rank(c.origin) > rank(best->origin)) best = std::move(c);
    }
    return best;
  }

  Result<std::vector<billing::ChargeRecord>> ListCharges(const SeriesFilter& f) override {
    std::string sql =
        "SELECT account, region, service, month, origin, amount, net_amount, credits, tax,"
        " currency, source FROM charges WHERE 1=1";
    if (f.account) sql += " AND account=?1";
    if (f.region) sql += " AND region=?2";
    if (f.service) sql += " AND service=?3";
    if (f.month) sql += " AND month=?4";
    sql += " ORDER BY account, region, service, month, origin";
    Stmt s;
    RECOUP_RETURN_IF_ERROR(Prepare(sql, &s));
    if (f.account) s.Bind(1, *f.account);
    if (f.region) s.Bind(2, *f.region);
    if (f.service) s.Bind(3, *f.service);
    if (f.month) s.Bind(4, f.month->ToString());
    std::vector<billing::ChargeRecord> out;
    RECOUP_RETURN_IF_ERROR(EachRow(s, "ListCharges", [&]() -> Status {
      billing::ChargeRecord c;
      c.account = s.Text(0);
      c.region = s.Text(1);
      c.service = s.Text(2);
      auto m = YearMonth::Parse(s.Text(3));
      if (!m.ok()) return DataLoss(path_ + ": charges.month: " + m.status().message());
      c.month = *m;
      c.origin = s.Text(4);
      auto amount = ParseDecimal(s.Text(5));
      if (!amount.ok()) return DataLoss(path_ + ": charges.amount: " + amount.status().message());
      c.amount = *amount;
      if (!s.IsNull(6)) {
        auto net = ParseDecimal(s.Text(6));
        if (net.ok()) c.net_amount = *net;
      }
      auto credits = ParseDecimal(s.Text(7));
      if (credits.ok()) c.credits = *credits;
      auto tax = ParseDecimal(s.Text(8));
      if (tax.ok()) c.tax = *tax;
      c.currency = s.Text(9);
      c.source = s.Text(10);
      out.push_back(std::move(c));
      return Status::Ok();
    }));
    return out;
  }

  Result<StoreTotals> Totals() override {
    StoreTotals t;
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT COUNT(*), COALESCE(SUM(records),0), COALESCE(SUM(accepted),0),"
                " COALESCE(SUM(rejected),0), (SELECT COUNT(*) FROM failures) FROM ingested_files",
                &s));
    if (sqlite3_step(s.get()) != SQLITE_ROW) return Error("Totals");
    t.files = s.Int(0);
    t.records = s.Int(1);
    t.accepted = s.Int(2);
    t.rejected = s.Int(3);
    t.failures = s.Int(4);
    return t;
  }

  // PRAGMA data_version moves when another connection commits;
  // sqlite3_total_changes64 when this one writes.
  Result<std::string> ChangeStamp() override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(Prepare("PRAGMA data_version", &s));
    if (sqlite3_step(s.get()) != SQLITE_ROW) return Error("data_version");
    return std::to_string(s.Int(0)) + ":" + std::to_string(sqlite3_total_changes64(db_));
  }

  // ---- section "health" (migration 2) ----
  // Accounts are kept as one comma-separated column (account IDs are digits).
  Result<bool> PutHealthEvent(const health::HealthEvent& e) override {
    if (e.arn.empty()) return InvalidArgument("PutHealthEvent: the event has no ARN");
    std::string accounts;
    for (const std::string& a : e.accounts) {
      if (!accounts.empty()) accounts.push_back(',');
      accounts += a;
    }
    Stmt s;
    RECOUP_RETURN_IF_ERROR(Prepare(
        "INSERT INTO health_events(arn, service, event_type_code, event_type_category, region,"
        " status, start_ms, end_ms, last_updated_ms, description, accounts, source)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)"
        " ON CONFLICT(arn) DO UPDATE SET service=excluded.service,"
        " event_type_code=excluded.event_type_code,"
        " event_type_category=excluded.event_type_category, region=excluded.region,"
        " status=excluded.status, start_ms=excluded.start_ms, end_ms=excluded.end_ms,"
        " last_updated_ms=excluded.last_updated_ms,"
        " description=CASE WHEN excluded.description <> '' THEN excluded.description"
        "   ELSE health_events.description END,"
        " accounts=CASE WHEN excluded.accounts <> '' THEN excluded.accounts"
        "   ELSE health_events.accounts END,"
        " source=excluded.source"
        " WHERE excluded.last_updated_ms > health_events.last_updated_ms OR"
        " (excluded.last_updated_ms = health_events.last_updated_ms AND"
        "  (excluded.status <> health_events.status OR excluded.end_ms <> health_events.end_ms"
        "   OR excluded.start_ms <> health_events.start_ms"
        "   OR (excluded.description <> '' AND excluded.description <> health_events.description)"
        "   OR (excluded.accounts <> '' AND excluded.accounts <> health_events.accounts)))",
        &s));
    s.BindAll(e.arn, e.service, e.event_type_code, e.event_type_category, e.region, e.status,
              e.start_ms, e.end_ms, e.last_updated_ms, e.description, accounts, e.source);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("PutHealthEvent");
    return sqlite3_changes(db_) > 0;
  }

  Result<std::vector<health::HealthEvent>> ListHealthEvents(const HealthEventFilter& f) override {
    std::string sql =
        "SELECT arn, service, event_type_code, event_type_category, region, status, start_ms,"
        " end_ms, last_updated_ms, description, accounts, source FROM health_events WHERE 1=1";
    if (f.region) sql += " AND region=?1";
    if (f.service) sql += " AND service=?2 COLLATE NOCASE";
    // Open events (end 0) last until now: they overlap any later window.
    if (f.end_ms) sql += " AND start_ms < ?3";
    if (f.start_ms) sql += " AND (end_ms = 0 OR end_ms > ?4)";
    sql += " ORDER BY start_ms, arn";
    Stmt s;
    RECOUP_RETURN_IF_ERROR(Prepare(sql, &s));
    if (f.region) s.Bind(1, *f.region);
    if (f.service) s.Bind(2, *f.service);
    if (f.end_ms) s.Bind(3, *f.end_ms);
    if (f.start_ms) s.Bind(4, *f.start_ms);
    std::vector<health::HealthEvent> out;
    RECOUP_RETURN_IF_ERROR(EachRow(s, "ListHealthEvents", [&] {
      health::HealthEvent e;
      e.arn = s.Text(0);
      e.service = s.Text(1);
      e.event_type_code = s.Text(2);
      e.event_type_category = s.Text(3);
      e.region = s.Text(4);
      e.status = s.Text(5);
      e.start_ms = s.Int(6);
      e.end_ms = s.Int(7);
      e.last_updated_ms = s.Int(8);
      e.description = s.Text(9);
      const std::string accounts = s.Text(10);
      for (size_t b = 0; b < accounts.size();) {
        size_t c = accounts.find(',', b);
        if (c == std::string::npos) c = accounts.size();
        if (c > b) e.accounts.push_back(accounts.substr(b, c - b));
        b = c + 1;
      }
      e.source = s.Text(11);
      out.push_back(std::move(e));
    }));
    return out;
  }

  Status PutHealthCoverage(const health::HealthCoverage& c) override {
    if (c.source.empty() || c.account.empty() || c.region.empty()) {
      return InvalidArgument("PutHealthCoverage: source, account and Region are required");
    }
    if (c.end_ms < c.start_ms) return InvalidArgument("PutHealthCoverage: end before start");
    return InTransaction([&]() -> Status {
      int64_t start = c.start_ms, end = c.end_ms;
      Stmt find;
      RECOUP_RETURN_IF_ERROR(Prepare(
          "SELECT MIN(start_ms), MAX(end_ms), COUNT(*) FROM health_coverage"
          " WHERE source=?1 AND account=?2 AND region=?3 AND start_ms <= ?5 AND end_ms >= ?4",
          &find));
      find.BindAll(c.source, c.account, c.region, start, end);
      if (sqlite3_step(find.get()) != SQLITE_ROW) return Error("PutHealthCoverage");
      if (find.Int(2) > 0) {
        start = std::min(start, find.Int(0));
        end = std::max(end, find.Int(1));
      }
      Stmt del;
      RECOUP_RETURN_IF_ERROR(
          Prepare("DELETE FROM health_coverage WHERE source=?1 AND account=?2 AND region=?3"
                  " AND start_ms <= ?5 AND end_ms >= ?4",
                  &del));
      del.BindAll(c.source, c.account, c.region, c.start_ms, c.end_ms);
      if (sqlite3_step(del.get()) != SQLITE_DONE) return Error("PutHealthCoverage");
      Stmt ins;
      RECOUP_RETURN_IF_ERROR(
          Prepare("INSERT INTO health_coverage(source, account, region, start_ms, end_ms)"
                  " VALUES(?1,?2,?3,?4,?5)",
                  &ins));
      ins.BindAll(c.source, c.account, c.region, start, end);
      if (sqlite3_step(ins.get()) != SQLITE_DONE) return Error("PutHealthCoverage");
      return Status::Ok();
    });
  }

  Result<std::vector<health::HealthCoverage>> ListHealthCoverage(
      const std::string& account, const std::string& region) override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT source, account, region, start_ms, end_ms FROM health_coverage"
                " WHERE account IN (?1, '*') AND region IN (?2, '*') ORDER BY start_ms, source",
                &s));
    s.BindAll(account, region);
    std::vector<health::HealthCoverage> out;
    RECOUP_RETURN_IF_ERROR(EachRow(s, "ListHealthCoverage", [&] {
      out.push_back({s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Int(4)});
    }));
    return out;
  }

  // ---- end of section "health" ----

  // ---- section "claims" (migration 3) ----
  Status PutClaim(const claims::ClaimRecord& c, const std::string& reason) override {
    return InTransaction([&] { return PutClaimLocked(c, reason); });
  }

  Result<std::optional<claims::ClaimRecord>> GetClaim(const std::string& id) override {
    RECOUP_ASSIGN_OR_RETURN(std::vector<claims::ClaimRecord> all, QueryClaims(" WHERE id=?1", id));
    if (all.empty()) return std::optional<claims::ClaimRecord>();
    return std::optional<claims::ClaimRecord>(std::move(all.front()));
  }

  Result<std::vector<claims::ClaimRecord>> ListClaims() override { return QueryClaims("", ""); }

  Status TransitionClaim(const claims::ClaimRecord& c, const std::string& from_state,
                         const std::string& reason, int64_t at_ms) override {
    return InTransaction([&] { return TransitionLocked(c, from_state, reason, at_ms); });
  }

  Result<std::vector<claims::ClaimTransition>> ListClaimTransitions(
      const std::string& claim_id) override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT seq, at_ms, from_state, to_state, reason FROM claim_transitions"
                " WHERE claim_id=? ORDER BY seq",
                &s));
    s.Bind(1, claim_id);
    std::vector<claims::ClaimTransition> out;
    RECOUP_RETURN_IF_ERROR(EachRow(s, "ListClaimTransitions", [&] {
      claims::ClaimTransition t;
      t.claim_id = claim_id;
      t.seq = s.Int(0);
      t.at_ms = s.Int(1);
      t.from_state = s.Text(2);
      t.to_state = s.Text(3);
      t.reason = s.Text(4);
      out.push_back(std::move(t));
    }));
    return out;
  }

  Status PutClaimFiling(const claims::ClaimFiling& f) override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(Prepare(
        "INSERT INTO claim_filings(claim_id, status, subject, attachment_set_id, case_id,"
        " attempts, created_ms, updated_ms) VALUES(?,?,?,?,?,?,?,?)"
        " ON CONFLICT(claim_id) DO UPDATE SET status=excluded.status, subject=excluded.subject,"
        " attachment_set_id=excluded.attachment_set_id, case_id=excluded.case_id,"
        " attempts=excluded.attempts, updated_ms=excluded.updated_ms",
        &s));
    s.BindAll(f.claim_id, f.status, f.subject, f.attachment_set_id, f.case_id, f.attempts,
              f.created_ms, f.updated_ms);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("PutClaimFiling");
    return Status::Ok();
  }

  Result<std::optional<claims::ClaimFiling>> GetClaimFiling(const std::string& claim_id) override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT status, subject, attachment_set_id, case_id, attempts, created_ms,"
                " updated_ms FROM claim_filings WHERE claim_id=?",
                &s));
    s.Bind(1, claim_id);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::optional<claims::ClaimFiling>();
    if (rc != SQLITE_ROW) return Error("GetClaimFiling");
    claims::ClaimFiling f;
    f.claim_id = claim_id;
    f.status = s.Text(0);
    f.subject = s.Text(1);
    f.attachment_set_id = s.Text(2);
    f.case_id = s.Text(3);
    f.attempts = s.Int(4);
    f.created_ms = s.Int(5);
    f.updated_ms = s.Int(6);
    return std::optional<claims::ClaimFiling>(std::move(f));
  }

  Result<bool> PutClaimCommunication(const claims::ClaimCommunication& c) override {
    std::string names;
    for (const std::string& a : c.attachments) {
      if (!names.empty()) names += '\n';
      names += a;
    }
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("INSERT OR IGNORE INTO claim_communications(claim_id, case_id, time_created,"
                " submitted_by, body, attachments) VALUES(?,?,?,?,?,?)",
                &s));
    s.BindAll(c.claim_id, c.case_id, c.time_created, c.submitted_by, c.body, names);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("PutClaimCommunication");
    return sqlite3_changes(db_) == 1;
  }

  Result<std::vector<claims::ClaimCommunication>> ListClaimCommunications(
      const std::string& claim_id) override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT case_id, time_created, submitted_by, body, attachments"
                " FROM claim_communications WHERE claim_id=? ORDER BY time_created, id",
                &s));
    s.Bind(1, claim_id);
    std::vector<claims::ClaimCommunication> out;
    RECOUP_RETURN_IF_ERROR(EachRow(s, "ListClaimCommunications", [&] {
      claims::ClaimCommunication c;
      c.claim_id = claim_id;
      c.case_id = s.Text(0);
      c.time_created = s.Text(1);
      c.submitted_by = s.Text(2);
      c.body = s.Text(3);
      const std::string names = s.Text(4);
      size_t start = 0;
      while (start < names.size()) {
        size_t nl = names.find('\n', start);
        if (nl == std::string::npos) nl = names.size();
        c.attachments.push_back(names.substr(start, nl - start));
        start = nl + 1;
      }
      out.push_back(std::move(c));
    }));
    return out;
  }

 private:
  static constexpr const char* kClaimColumns =
      "id, account, region, service, month, state, mup_pct, credit_pct, credit_asked,"
      " credit_received, deadline_ms, case_id, sla_version, created_ms, updated_ms, charges_usd,"
      " failed_requests, failing_intervals, package_sha256, case_status, display_id, filed_ms,"
      " credited_ms";

  void BindClaim(Stmt& s, const claims::ClaimRecord& c) {
    s.BindAll(c.id, c.account, c.region, c.service, c.month.ToString(), c.state, c.mup_pct,
              c.credit_pct, Stored(c.credit_asked), Stored(c.credit_received), c.deadline_ms,
              c.case_id, c.sla_version, c.created_ms, c.updated_ms, Stored(c.charges_usd),
              c.failed_requests, c.failing_intervals, c.package_sha256, c.case_status, c.display_id,
              c.filed_ms, c.credited_ms);
  }

  Result<std::vector<claims::ClaimRecord>> QueryClaims(const std::string& where,
                                                       const std::string& arg) {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(Prepare(std::string("SELECT ") + kClaimColumns + " FROM claims" + where +
                                       " ORDER BY deadline_ms, id",
                                   &s));
    if (!where.empty()) s.Bind(1, arg);
    std::vector<claims::ClaimRecord> out;
    RECOUP_RETURN_IF_ERROR(EachRow(s, "QueryClaims", [&]() -> Status {
      claims::ClaimRecord c;
      c.id = s.Text(0);
      c.account = s.Text(1);
      c.region = s.Text(2);
      c.service = s.Text(3);
      auto m = YearMonth::Parse(s.Text(4));
      if (!m.ok()) return DataLoss(path_ + ": claims.month: " + m.status().message());
      c.month = *m;
      c.state = s.Text(5);
      c.mup_pct = s.Text(6);
      c.credit_pct = s.Text(7);
      auto asked = ParseDecimal(s.Text(8));
      if (!asked.ok())
        return DataLoss(path_ + ": claims.credit_asked: " + asked.status().message());
      c.credit_asked = *asked;
      if (!s.IsNull(9)) {
        auto r = ParseDecimal(s.Text(9));
        if (!r.ok()) return DataLoss(path_ + ": claims.credit_received: " + r.status().message());
        c.credit_received = *r;
      }
      c.deadline_ms = s.Int(10);
      c.case_id = s.Text(11);
      c.sla_version = s.Text(12);
      c.created_ms = s.Int(13);
      c.updated_ms = s.Int(14);
      if (!s.IsNull(15)) {
        auto r = ParseDecimal(s.Text(15));
        if (!r.ok()) return DataLoss(path_ + ": claims.charges_usd: " + r.status().message());
        c.charges_usd = *r;
      }
      c.failed_requests = s.Int(16);
      c.failing_intervals = s.Int(17);
      c.package_sha256 = s.Text(18);
      c.case_status = s.Text(19);
      c.display_id = s.Text(20);
      c.filed_ms = s.Int(21);
      c.credited_ms = s.Int(22);
      out.push_back(std::move(c));
      return Status::Ok();
    }));
    return out;
  }

  Status AppendTransition(const std::string& id, int64_t at_ms, const std::string& from,
                          const std::string& to, const std::string& reason) {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("INSERT INTO claim_transitions(claim_id, seq, at_ms, from_state, to_state, reason)"
                " SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5 FROM claim_transitions"
                " WHERE claim_id=?1",
                &s));
    s.BindAll(id, at_ms, from, to, reason);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("claim transition");
    return Status::Ok();
  }

  Status WriteClaim(const claims::ClaimRecord& c) {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(Prepare(std::string("INSERT OR REPLACE INTO claims(") + kClaimColumns +
                                       ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                   &s));
    BindClaim(s, c);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("claim write");
    return Status::Ok();
  }

  Status PutClaimLocked(const claims::ClaimRecord& c, const std::string& reason) {
    RECOUP_ASSIGN_OR_RETURN(std::vector<claims::ClaimRecord> existing,
                            QueryClaims(" WHERE id=?1", c.id));
    if (existing.empty()) {
      RECOUP_RETURN_IF_ERROR(WriteClaim(c));
      return AppendTransition(c.id, c.created_ms, "", c.state, reason);
    }
    claims::ClaimRecord keep = c;
    keep.state = existing.front().state;
    keep.created_ms = existing.front().created_ms;
    return WriteClaim(keep);
  }

  Status TransitionLocked(const claims::ClaimRecord& c, const std::string& from_state,
                          const std::string& reason, int64_t at_ms) {
    RECOUP_ASSIGN_OR_RETURN(std::vector<claims::ClaimRecord> existing,
                            QueryClaims(" WHERE id=?1", c.id));
    if (existing.empty()) return NotFound("claim " + c.id + ": no such claim");
    if (existing.front().state != from_state) {
      return FailedPrecondition("claim " + c.id + " is " + existing.front().state + ", not " +
                                from_state);
    }
    claims::ClaimRecord next = c;
    next.created_ms = existing.front().created_ms;
    next.updated_ms = at_ms;
    RECOUP_RETURN_IF_ERROR(WriteClaim(next));
    if (next.state == from_state) return Status::Ok();
    return AppendTransition(c.id, at_ms, from_state, next.state, reason);
  }

 public:
  // ---- end of section "claims" ----

  // ---- section "serve" (migration 4) ----
  // Live batches go through the same counting as files (CommitLocked: cells,
  // failures de-duplicated by request ID, bounded samples). A live batch is
  // not a file: the transient ledger row CommitLocked writes for it is
  // removed in the same transaction; the batch key and checkpoints are what
  // make a replay after a crash skip what was committed.
  Status CommitLive(const std::vector<LiveBatchItem>& items,
                    std::vector<ItemOutcome>* outcomes) override {
    outcomes->assign(items.size(), ItemOutcome{});
    return InTransaction([&] { return CommitLiveLocked(items, outcomes); });
  }

  Result<std::map<std::string, std::string>> LoadCheckpoints(const std::string& prefix) override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(Prepare(
        "SELECT key, value FROM serve_checkpoints WHERE substr(key, 1, length(?1)) = ?1", &s));
    s.Bind(1, prefix);
    std::map<std::string, std::string> out;
    RECOUP_RETURN_IF_ERROR(EachRow(s, "LoadCheckpoints", [&] { out[s.Text(0)] = s.Text(1); }));
    return out;
  }

  Result<std::map<std::string, int64_t>> CountUnattributed() override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT access_key, COUNT(*) FROM serve_unattributed GROUP BY access_key", &s));
    std::map<std::string, int64_t> out;
    RECOUP_RETURN_IF_ERROR(EachRow(s, "CountUnattributed", [&] { out[s.Text(0)] = s.Int(1); }));
    return out;
  }

  Result<std::vector<UnattributedRecord>> ListUnattributed(const std::string& access_key,
                                                           int64_t limit) override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT id, source, access_key, received_ms, record FROM serve_unattributed"
                " WHERE access_key=?1 ORDER BY id LIMIT ?2",
                &s));
    s.BindAll(access_key, limit);
    std::vector<UnattributedRecord> out;
    RECOUP_RETURN_IF_ERROR(EachRow(s, "ListUnattributed", [&] {
      UnattributedRecord r;
      r.id = s.Int(0);
      r.source = s.Text(1);
      r.access_key = s.Text(2);
      r.received_ms = s.Int(3);
      r.record = s.Text(4);
      out.push_back(std::move(r));
    }));
    return out;
  }

  Result<std::vector<serve::AlertRecord>> ListAlerts(bool firing_only) override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare(std::string("SELECT key, kind, state, severity, account, region, service, summary,"
                            " detail_json, fingerprint, opened_ms, updated_ms, resolved_ms"
                            " FROM serve_alerts") +
                    (firing_only ? " WHERE state='firing'" : "") + " ORDER BY opened_ms, key",
                &s));
    std::vector<serve::AlertRecord> out;
    RECOUP_RETURN_IF_ERROR(EachRow(s, "ListAlerts", [&] {
      serve::AlertRecord a;
      a.key = s.Text(0);
      a.kind = s.Text(1);
      a.state = s.Text(2);
      a.severity = s.Text(3);
      a.account = s.Text(4);
      a.region = s.Text(5);
      a.service = s.Text(6);
      a.summary = s.Text(7);
      a.detail_json = s.Text(8);
      a.fingerprint = s.Text(9);
      a.opened_ms = s.Int(10);
      a.updated_ms = s.Int(11);
      a.resolved_ms = s.Int(12);
      out.push_back(std::move(a));
    }));
    return out;
  }

  Status SaveAlerts(const std::vector<serve::AlertRecord>& alerts,
                    const std::vector<serve::OutboxItem>& notifications) override {
    return InTransaction([&] { return SaveAlertsLocked(alerts, notifications); });
  }

  Result<std::vector<serve::OutboxItem>> DueNotifications(int64_t now_ms, int64_t limit) override {
    return QueryOutbox(
        " WHERE state='pending' AND next_attempt_ms<=?1 ORDER BY next_attempt_ms, id LIMIT ?2",
        [&](Stmt& s) { s.BindAll(now_ms, limit); });
  }

  Result<std::vector<serve::OutboxItem>> ListNotifications(const std::string& alert_key) override {
    return QueryOutbox(" WHERE alert_key=?1 ORDER BY id", [&](Stmt& s) { s.Bind(1, alert_key); });
  }

  Status UpdateNotification(const serve::OutboxItem& n) override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("UPDATE serve_outbox SET state=?2, attempts=?3, next_attempt_ms=?4, sent_ms=?5,"
                " last_error=?6 WHERE id=?1",
                &s));
    s.BindAll(n.id, n.state, n.attempts, n.next_attempt_ms, n.sent_ms, n.last_error);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("UpdateNotification");
    return Status::Ok();
  }

 private:
  Status CommitLiveLocked(const std::vector<LiveBatchItem>& items,
                          std::vector<ItemOutcome>* outcomes) {
    Stmt has_key, put_key, put_cp, drop_ledger, put_un, drop_un;
    RECOUP_RETURN_IF_ERROR(Prepare(
        "INSERT INTO serve_unattributed(source, access_key, received_ms, record) VALUES(?,?,?,?)",
        &put_un));
    RECOUP_RETURN_IF_ERROR(Prepare("DELETE FROM serve_unattributed WHERE id=?", &drop_un));
    RECOUP_RETURN_IF_ERROR(Prepare("SELECT 1 FROM serve_batches WHERE key=?", &has_key));
    RECOUP_RETURN_IF_ERROR(
        Prepare("INSERT INTO serve_batches(key, committed_ms) VALUES(?,?)", &put_key));
    RECOUP_RETURN_IF_ERROR(Prepare(
        "INSERT INTO serve_checkpoints(key, value, updated_ms) VALUES(?,?,?)"
        " ON CONFLICT(key) DO UPDATE SET value=excluded.value, updated_ms=excluded.updated_ms",
        &put_cp));
    RECOUP_RETURN_IF_ERROR(Prepare("DELETE FROM ingested_files WHERE sha256=?", &drop_ledger));
    const int64_t now = NowMs();
    std::vector<FileBatchItem> files;
    std::vector<size_t> index;  // files[i] is items[index[i]]
    for (size_t i = 0; i < items.size(); ++i) {
      const LiveBatchItem& it = items[i];
      if (!it.batch_key.empty()) {
        has_key.Reset();
        has_key.Bind(1, it.batch_key);
        const int rc = sqlite3_step(has_key.get());
        if (rc == SQLITE_ROW) {
          (*outcomes)[i].already_ingested = true;
          continue;
        }
        if (rc != SQLITE_DONE) return Error("batch key lookup");
        put_key.Reset();
        put_key.BindAll(it.batch_key, now);
        if (sqlite3_step(put_key.get()) != SQLITE_DONE) return Error("batch key insert");
      }
      for (const auto& [k, v] : it.checkpoints) {
        put_cp.Reset();
        put_cp.BindAll(k, v, now);
        if (sqlite3_step(put_cp.get()) != SQLITE_DONE) return Error("checkpoint upsert");
      }
      for (const UnattributedRecord& r : it.unattributed) {
        put_un.Reset();
        put_un.BindAll(r.source, r.access_key, r.received_ms, r.record);
        if (sqlite3_step(put_un.get()) != SQLITE_DONE) return Error("unattributed insert");
      }
      for (int64_t id : it.attributed_ids) {
        drop_un.Reset();
        drop_un.Bind(1, id);
        if (sqlite3_step(drop_un.get()) != SQLITE_DONE) return Error("unattributed delete");
      }
      if (it.agg == nullptr) continue;
      FileBatchItem f;
      f.entry.sha256 = "live-batch:" + std::to_string(i);
      f.entry.path = f.entry.sha256;
      f.entry.status = "ok";
      f.entry.ingested_at_ms = now;
      f.agg = it.agg;
      files.push_back(std::move(f));
      index.push_back(i);
    }
    std::vector<ItemOutcome> file_outcomes(files.size());
    RECOUP_RETURN_IF_ERROR(CommitLocked(files, &file_outcomes));
    for (size_t i = 0; i < files.size(); ++i) {
      drop_ledger.Reset();
      drop_ledger.Bind(1, files[i].entry.sha256);
      if (sqlite3_step(drop_ledger.get()) != SQLITE_DONE) return Error("live ledger cleanup");
      (*outcomes)[index[i]] = file_outcomes[i];
    }
    // Batch keys only matter while a sender may still re-send: keep a week.
    return Exec("DELETE FROM serve_batches WHERE committed_ms < " +
                std::to_string(now - 7 * kMsPerDay));
  }

  Status SaveAlertsLocked(const std::vector<serve::AlertRecord>& alerts,
                          const std::vector<serve::OutboxItem>& notifications) {
    Stmt a, n;
    RECOUP_RETURN_IF_ERROR(Prepare(
        "INSERT INTO serve_alerts(key, kind, state, severity, account, region, service, summary,"
        " detail_json, fingerprint, opened_ms, updated_ms, resolved_ms)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET kind=excluded.kind,"
        " state=excluded.state, severity=excluded.severity, summary=excluded.summary,"
        " detail_json=excluded.detail_json, fingerprint=excluded.fingerprint,"
        " opened_ms=excluded.opened_ms, updated_ms=excluded.updated_ms,"
        " resolved_ms=excluded.resolved_ms",
        &a));
    for (const serve::AlertRecord& r : alerts) {
      a.Reset();
      a.BindAll(r.key, r.kind, r.state, r.severity, r.account, r.region, r.service, r.summary,
                r.detail_json, r.fingerprint, r.opened_ms, r.updated_ms, r.resolved_ms);
      if (sqlite3_step(a.get()) != SQLITE_DONE) return Error("alert upsert");
    }
    RECOUP_RETURN_IF_ERROR(
        Prepare("INSERT INTO serve_outbox(alert_key, channel, action, payload_json, state,"
                " attempts, next_attempt_ms, created_ms, sent_ms, last_error)"
                " VALUES(?,?,?,?,?,?,?,?,?,?)",
                &n));
    for (const serve::OutboxItem& o : notifications) {
      n.Reset();
      n.BindAll(o.alert_key, o.channel, o.action, o.payload_json, o.state, o.attempts,
                o.next_attempt_ms, o.created_ms, o.sent_ms, o.last_error);
      if (sqlite3_step(n.get()) != SQLITE_DONE) return Error("outbox insert");
    }
    return Status::Ok();
  }

  template <typename BindFn>
  Result<std::vector<serve::OutboxItem>> QueryOutbox(const std::string& where, BindFn bind) {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT id, alert_key, channel, action, payload_json, state, attempts,"
                " next_attempt_ms, created_ms, sent_ms, last_error FROM serve_outbox" +
                    where,
                &s));
    bind(s);
    std::vector<serve::OutboxItem> out;
    RECOUP_RETURN_IF_ERROR(EachRow(s, "outbox query", [&] {
      serve::OutboxItem o;
      o.id = s.Int(0);
      o.alert_key = s.Text(1);
      o.channel = s.Text(2);
      o.action = s.Text(3);
      o.payload_json = s.Text(4);
      o.state = s.Text(5);
      o.attempts = s.Int(6);
      o.next_attempt_ms = s.Int(7);
      o.created_ms = s.Int(8);
      o.sent_ms = s.Int(9);
      o.last_error = s.Text(10);
      out.push_back(std::move(o));
    }));
    return out;
  }

  // The store's clock (StoreOptions::clock), for the times it stamps itself.
  int64_t NowMs() const { return (opt_.clock != nullptr ? *opt_.clock : SystemClock()).NowMs(); }

 public:
  // ---- end of section "serve" ----

 private:
  Status Error(const std::string& what) {
    if ((sqlite3_errcode(db_) & 0xff) == SQLITE_READONLY) {
      return Status(StatusCode::kPermissionDenied,
                    path_ + ": " + what + ": permission denied: the store is read-only");
    }
    return Unavailable(path_ + ": " + what + ": " + sqlite3_errmsg(db_));
  }

  Status Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      if ((sqlite3_errcode(db_) & 0xff) == SQLITE_READONLY) {
        return Status(StatusCode::kPermissionDenied,
                      path_ + ": permission denied: the store is read-only (" + msg + ")");
      }
      return Unavailable(path_ + ": " + msg);
    }
    return Status::Ok();
  }

  // Steps `s` through its rows, calling `row` (void or Status) on each.
  template <typename RowFn>
  Status EachRow(Stmt& s, const char* what, RowFn&& row) {
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      if constexpr (std::is_same_v<decltype(row()), Status>) {
        RECOUP_RETURN_IF_ERROR(row());
      } else {
        row();
      }
    }
    if (rc != SQLITE_DONE) return Error(what);
    return Status::Ok();
  }

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT, rolling back on error.
  template <typename Body>
  Status InTransaction(Body&& body) {
    RECOUP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status st = body();
    if (!st.ok()) {
      (void)Exec("ROLLBACK");
      return st;
    }
    return Exec("COMMIT");
  }

  Status Prepare(const std::string& sql, Stmt* s) {
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, s->out(), nullptr) != SQLITE_OK) {
      return Error("prepare");
    }
    return Status::Ok();
  }

  Result<int64_t> FindSeries(const std::string& account, const std::string& region,
                             const std::string& service) {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT id FROM series WHERE account=? AND region=? AND service=?", &s));
    s.BindAll(account, region, service);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_ROW) return s.Int(0);
    if (rc == SQLITE_DONE) return int64_t{-1};
    return Error("FindSeries");
  }

  Result<int64_t> SeriesId(const aggregation::SeriesKey& k) {
    auto it = series_cache_.find(k);
    if (it != series_cache_.end()) return it->second;
    RECOUP_ASSIGN_OR_RETURN(int64_t id, FindSeries(k.account, k.region, k.service));
    if (id < 0) {
      Stmt s;
      RECOUP_RETURN_IF_ERROR(
          Prepare("INSERT INTO series(account, region, service) VALUES(?,?,?)", &s));
      s.BindAll(k.account, k.region, k.service);
      if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("insert series");
      id = sqlite3_last_insert_rowid(db_);
    }
    series_cache_[k] = id;
    return id;
  }

  Status CommitLocked(const std::vector<FileBatchItem>& items, std::vector<ItemOutcome>* outcomes) {
    // Series IDs created in a rolled-back transaction must not be cached.
    series_cache_.clear();
    Stmt has, ledger, cell, fget, fput, sput, strim;
    RECOUP_RETURN_IF_ERROR(Prepare(
        "SELECT 1 FROM ingested_files WHERE sha256=?1 OR (?2 <> '' AND content_hash=?2)", &has));
    RECOUP_RETURN_IF_ERROR(Prepare(
        "INSERT INTO ingested_files(sha256, path, file_bytes, json_bytes, records, accepted,"
        " skipped, rejected, errors, status, ingested_at_ms, mtime_ns, content_hash, name,"
        " records_yielded) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        &ledger));
    RECOUP_RETURN_IF_ERROR(Prepare(
        "INSERT INTO interval_counts(series_id, interval_start_ms, source, success, server_error,"
        " throttled, client_error, custom_key_store, no_response) VALUES(?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(series_id, interval_start_ms, source) DO UPDATE SET"
        " success=success+excluded.success, server_error=server_error+excluded.server_error,"
        " throttled=throttled+excluded.throttled, client_error=client_error+excluded.client_error,"
        " custom_key_store=custom_key_store+excluded.custom_key_store,"
        " no_response=no_response+excluded.no_response",
        &cell));
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT sources, time_ms FROM failures WHERE series_id=? AND request_id=?", &fget));
    RECOUP_RETURN_IF_ERROR(Prepare(
        "INSERT INTO failures(series_id, request_id, interval_start_ms, time_ms, operation,"
        " error_code, http_status, resource, sources) VALUES(?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(series_id, request_id) DO UPDATE SET sources=sources|excluded.sources,"
        " interval_start_ms=CASE WHEN excluded.time_ms<time_ms THEN excluded.interval_start_ms"
        " ELSE interval_start_ms END,"
        " time_ms=MIN(time_ms, excluded.time_ms),"
        " http_status=MAX(http_status, excluded.http_status),"
        " resource=CASE WHEN resource='' THEN excluded.resource ELSE resource END",
        &fput));
    RECOUP_RETURN_IF_ERROR(Prepare(
        "INSERT OR IGNORE INTO samples(series_id, interval_start_ms, outcome, time_ms, request_id,"
        " operation, error_code, http_status, resource, source) VALUES(?,?,?,?,?,?,?,?,?,?)",
        &sput));
    RECOUP_RETURN_IF_ERROR(Prepare(
        "DELETE FROM samples WHERE (series_id, interval_start_ms, outcome, time_ms, request_id,"
        " source) IN (SELECT series_id, interval_start_ms, outcome, time_ms, request_id, source"
        " FROM samples WHERE series_id=?1 AND interval_start_ms=?2 AND outcome=?3"
        " ORDER BY time_ms, request_id, source LIMIT -1 OFFSET ?4)",
        &strim));

    for (size_t i = 0; i < items.size(); ++i) {
      const FileBatchItem& item = items[i];
      ItemOutcome& oc = (*outcomes)[i];
      has.Reset();
      has.BindAll(item.entry.sha256, item.entry.content_hash);
      const int hrc = sqlite3_step(has.get());
      if (hrc == SQLITE_ROW) {
        oc.already_ingested = true;
        continue;
      }
      if (hrc != SQLITE_DONE) return Error("ledger lookup");
      const FileLedgerEntry& e = item.entry;
      ledger.Reset();
      ledger.BindAll(e.sha256, e.path, e.file_bytes, e.json_bytes, e.records, e.accepted, e.skipped,
                     e.rejected, e.errors, e.status, e.ingested_at_ms, e.mtime_ns, e.content_hash,
                     LedgerName(e.path), e.records_yielded);
      if (sqlite3_step(ledger.get()) != SQLITE_DONE) return Error("ledger insert");
      if (!e.supersedes.empty()) {
        Stmt sup;
        RECOUP_RETURN_IF_ERROR(Prepare(
            "UPDATE ingested_files SET superseded_by=?1 WHERE sha256=?2 AND superseded_by IS NULL",
            &sup));
        sup.BindAll(e.sha256, e.supersedes);
        if (sqlite3_step(sup.get()) != SQLITE_DONE) return Error("supersede");
        if (sqlite3_changes(db_) != 1) {
          // Another run repaired it first: this file's records are all counted.
          return FailedPrecondition("retry: " + e.path + " was superseded concurrently");
        }
      }
      if (item.agg == nullptr) continue;
      const aggregation::Aggregator& agg = *item.agg;

      for (const auto& [key, counts] : agg.cells()) {
        RECOUP_ASSIGN_OR_RETURN(int64_t sid, SeriesId(key.series));
        cell.Reset();
        cell.BindAll(sid, key.interval_start_ms, static_cast<int64_t>(key.source));
        for (int c = 0; c < events::kOutcomeClassCount; ++c) cell.Bind(4 + c, counts[c]);
        if (sqlite3_step(cell.get()) != SQLITE_DONE) return Error("interval upsert");
      }
      for (const Event& f : agg.failures()) {
        RECOUP_ASSIGN_OR_RETURN(int64_t sid, SeriesId({f.account, f.region, f.service}));
        const int64_t bit = int64_t{1} << static_cast<int>(f.source);
        fget.Reset();
        fget.BindAll(sid, f.request_id);
        const int rc = sqlite3_step(fget.get());
        if (rc == SQLITE_ROW) {
          const int64_t mask = fget.Int(0);
          if (mask & bit) {
            ++oc.duplicate_failures;
            continue;  // this source already gave this request
          }
          ++oc.cross_source_matches;
        } else if (rc == SQLITE_DONE) {
          ++oc.new_failures;
        } else {
          return Error("failure lookup");
        }
        fput.Reset();
        fput.BindAll(sid, f.request_id, aggregation::IntervalStart(f.time_ms, agg.interval_ms()),
                     f.time_ms, f.operation, f.error_code, static_cast<int64_t>(f.http_status),
                     f.resource, bit);
        if (sqlite3_step(fput.get()) != SQLITE_DONE) return Error("failure upsert");
      }
      for (const auto& [key, evs] : agg.samples()) {
        RECOUP_ASSIGN_OR_RETURN(int64_t sid, SeriesId(key.series));
        for (const Event& s : evs) {
          sput.Reset();
          sput.BindAll(sid, key.interval_start_ms, static_cast<int64_t>(key.outcome), s.time_ms,
                       s.request_id, s.operation, s.error_code, static_cast<int64_t>(s.http_status),
                       s.resource, static_cast<int64_t>(s.source));
          if (sqlite3_step(sput.get()) != SQLITE_DONE) return Error("sample insert");
        }
        strim.Reset();
        strim.BindAll(sid, key.interval_start_ms, static_cast<int64_t>(key.outcome),
                      static_cast<int64_t>(opt_.sample_limit));
        if (sqlite3_step(strim.get()) != SQLITE_DONE) return Error("sample trim");
      }
    }
    return Status::Ok();
  }

  sqlite3* db_;
  std::string path_;
  StoreOptions opt_;
  std::map<aggregation::SeriesKey, int64_t> series_cache_;
  std::unique_ptr<Stmt> has_at_;
};

}  // namespace

std::string LedgerName(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  for (bool again = true; again;) {
    again = false;
    for (const char* suffix : {".part", ".partial", ".tmp", ".download", ".crdownload"}) {
      const size_t n = std::strlen(suffix);
      if (name.size() > n && name.compare(name.size() - n, n, suffix) == 0) {
        name.resize(name.size() - n);
        again = true;
      }
    }
  }
  return name;
}

namespace {

// "file:" URI of `path` with its reserved characters escaped.
std::string FileUri(const std::string& path, const char* query) {
  std::string out = "file:";
  for (const char c : std::filesystem::absolute(path).string()) {
    if (c == '?' || c == '#' || c == '%') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out + query;
}

Status PermissionDenied(const std::string& what) {
  return Status(StatusCode::kPermissionDenied, what + ": permission denied");
}

Result<std::unique_ptr<Store>> OpenWith(const std::string& path, const std::string& name, int flags,
                                        const StoreOptions& opt) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    if (::access(path.c_str(), F_OK) == 0 &&
        ::access(path.c_str(), (flags & SQLITE_OPEN_READWRITE) != 0 ? R_OK | W_OK : R_OK) != 0) {
      return PermissionDenied(path + ": cannot open store");
    }
    return Unavailable(path + ": cannot open store: " + msg);
  }
  auto store = std::make_unique<SqliteStore>(db, path, opt);
  Status st = store->Init();
  if (!st.ok()) return st;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const StoreOptions& opt) {
  if (opt.read_only) return OpenSqliteStoreForReading(path, opt);
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec == std::errc::permission_denied) {
      return PermissionDenied(path + ": cannot create the store's folder " + parent.string());
    }
  }
  const std::string dir = parent.empty() ? "." : parent.string();
  if (::access(path.c_str(), F_OK) == 0) {
    if (::access(path.c_str(), R_OK | W_OK) != 0) {
      return PermissionDenied(path + ": cannot write the store");
    }
  } else if (std::filesystem::is_directory(dir, ec) && ::access(dir.c_str(), W_OK) != 0) {
    return PermissionDenied(path + ": cannot create the store in " + dir);
  }
  return OpenWith(path, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, opt);
}

Result<std::unique_ptr<Store>> OpenSqliteStoreForReading(const std::string& path,
                                                         StoreOptions opt) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!std::filesystem::exists(path, ec)) {
    if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
      if (ec == std::errc::permission_denied) {
        return PermissionDenied(path + ": cannot look into the store's folder");
      }
      return NotFound(path + ": no store here: the folder " + parent.string() +
                      " does not exist (run recoup ingest first, or pass --store)");
    }
    if (ec == std::errc::permission_denied) {
      return PermissionDenied(path + ": cannot look into the store's folder");
    }
    return NotFound(path + ": no store here yet (run recoup ingest first)");
  }
  if (std::filesystem::is_directory(path, ec)) {
    return FailedPrecondition(path + ": is a folder, not a store file");
  }
  if (::access(path.c_str(), R_OK) != 0) return PermissionDenied(path + ": cannot read the store");
  const std::string dir = parent.empty() ? "." : parent.string();
  auto writable = [](const std::string& p) { return ::access(p.c_str(), W_OK) == 0; };
  auto present = [](const std::string& p) { return ::access(p.c_str(), F_OK) == 0; };
  const bool sidecars_writable = present(path + "-wal") && writable(path + "-wal") &&
                                 present(path + "-shm") && writable(path + "-shm");
  if (!opt.read_only && writable(path) && (writable(dir) || sidecars_writable)) {
    return OpenSqliteStore(path, opt);
  }
  opt.read_only = true;
  // A write-ahead-log store needs its -shm file even to read; where it is
  // missing and cannot be created (a read-only folder), nobody can be
  // writing the store either, so it is read as immutable.
  const bool can_share = sidecars_writable || (writable(dir) && !present(path + "-shm")) ||
                         (present(path + "-shm") && writable(path + "-shm"));
  if (can_share) {
    auto s = OpenWith(path, FileUri(path, "?mode=ro"), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, opt);
    if (s.ok()) return s;
  }
  return OpenWith(path, FileUri(path, "?mode=ro&immutable=1"),
                  SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, opt);
}

}  // namespace recoup::storage
