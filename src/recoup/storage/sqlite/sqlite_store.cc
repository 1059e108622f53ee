// SQLite backend of the evidence store (WAL, migrations at open).
#include <sqlite3.h>

#include <cstring>
#include <filesystem>
#include <set>
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
    R"SQL(SELECT 1;)SQL",
    // 3: claims and their transitions (section "claims").
    R"SQL(SELECT 1;)SQL",
    // 4: live service state: checkpoints, alerts, notifications (section "serve").
    R"SQL(SELECT 1;)SQL",
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
  void BindNull(int i) { sqlite3_bind_null(s_, i); }
  int64_t Int(int i) const { return sqlite3_column_int64(s_, i); }
  std::string Text(int i) const {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t));
  }
  bool IsNull(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

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
    // than fail, and decide on migrations inside the write transaction.
    sqlite3_busy_timeout(db_, 30000);
    RECOUP_RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
    RECOUP_RETURN_IF_ERROR(
        Exec(opt_.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
    const int64_t latest = static_cast<int64_t>(std::size(kMigrations));
    // Fast path: an up-to-date store needs no write lock.
    if (auto v = SchemaVersion(); v.ok() && *v == latest) return Status::Ok();
    RECOUP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status st = Migrate(latest);
    if (!st.ok()) {
      (void)Exec("ROLLBACK");
      return st;
    }
    return Exec("COMMIT");
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
    RECOUP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status st = CommitLocked(items, outcomes);
    if (!st.ok()) {
      (void)Exec("ROLLBACK");
      return st;
    }
    return Exec("COMMIT");
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
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      seen.emplace(s.Text(0), s.Text(1), s.Text(2), YearMonth::FromMs(s.Int(3)));
    }
    if (rc != SQLITE_DONE) return Error("ListSeriesMonths");
    std::vector<SeriesMonth> out;
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
    s.Bind(1, sid);
    s.Bind(2, start_ms);
    s.Bind(3, end_ms);
    std::map<std::pair<int64_t, int>, aggregation::SourceCell> cells;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      aggregation::SourceCell& c = cells[{s.Int(0), static_cast<int>(s.Int(1))}];
      c.interval_start_ms = s.Int(0);
      c.source = static_cast<events::SourceKind>(s.Int(1));
      for (int i = 0; i < events::kOutcomeClassCount; ++i) c.counts[i] = s.Int(2 + i);
    }
    if (rc != SQLITE_DONE) return Error("LoadSourceCells");
    // Per-source distinct failures from the failure ledger.
    Stmt f;
    RECOUP_RETURN_IF_ERROR(
        Prepare("SELECT interval_start_ms, sources FROM failures"
                " WHERE series_id=? AND interval_start_ms>=? AND interval_start_ms<?",
                &f));
    f.Bind(1, sid);
    f.Bind(2, start_ms);
    f.Bind(3, end_ms);
    while ((rc = sqlite3_step(f.get())) == SQLITE_ROW) {
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
    }
    if (rc != SQLITE_DONE) return Error("LoadSourceCells");
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
    s.Bind(1, sid);
    s.Bind(2, start_ms);
    s.Bind(3, end_ms);
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out[s.Int(0)] = s.Int(1);
    if (rc != SQLITE_DONE) return Error("LoadFailureUnion");
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
    s.Bind(1, sid);
    s.Bind(2, start_ms);
    s.Bind(3, end_ms);
    s.Bind(4, limit);
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      Event e = ReadEvent(s, account, region, service);
      const int64_t mask = s.Int(6);
      for (int src = 0; src < events::kSourceKindCount; ++src) {
        if ((mask >> src) & 1) {
          e.source = static_cast<events::SourceKind>(src);
          break;
        }
      }
      e.outcome = OutcomeClass::kServerError;
      out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) return Error("LoadFailures");
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
    s.Bind(1, sid);
    s.Bind(2, start_ms);
    s.Bind(3, end_ms);
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      Event e = ReadEvent(s, account, region, service);
      e.source = static_cast<events::SourceKind>(s.Int(6));
      e.outcome = static_cast<OutcomeClass>(s.Int(7));
      out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) return Error("LoadSamples");
    return out;
  }

  Status PutCharge(const ChargeRecord& c) override {
    Stmt s;
    RECOUP_RETURN_IF_ERROR(
        Prepare("INSERT INTO charges(account, region, service, month, origin, amount, net_amount,"
                " credits, tax, currency, source, updated_at_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(account, region, service, month, origin) DO UPDATE SET"
                " amount=excluded.amount, net_amount=excluded.net_amount, credits=excluded.credits,"
                " tax=excluded.tax, currency=excluded.currency, source=excluded.source,"
                " updated_at_ms=excluded.updated_at_ms",
                &s));
    s.Bind(1, c.account);
    s.Bind(2, c.region);
    s.Bind(3, c.service);
    s.Bind(4, c.month.ToString());
    s.Bind(5, c.origin);
    s.Bind(6, FormatDecimal(c.amount, 0, 12));
    if (c.net_amount)
      s.Bind(7, FormatDecimal(*c.net_amount, 0, 12));
    else
      s.BindNull(7);
    s.Bind(8, FormatDecimal(c.credits, 0, 12));
    s.Bind(9, FormatDecimal(c.tax, 0, 12));
    s.Bind(10, c.currency);
    s.Bind(11, c.source);
    s.Bind(12, static_cast<int64_t>(0));
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("PutCharge");
    return Status::Ok();
  }

  Result<std::optional<ChargeRecord>> GetCharge(const std::string& account,
                                                const std::string& region,
                                                const std::string& service,
                                                YearMonth month) override {
    SeriesFilter f;
    f.account = account;
    f.region = region;
    f.service = service;
    f.month = month;
    RECOUP_ASSIGN_OR_RETURN(std::vector<ChargeRecord> all, ListCharges(f));
    std::optional<ChargeRecord> best;
    for (ChargeRecord& c : all) {
      if (!best || c.origin == "manual") best = std::move(c);
    }
    return best;
  }

  Result<std::vector<ChargeRecord>> ListCharges(const SeriesFilter& f) override {
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
    std::vector<ChargeRecord> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      ChargeRecord c;
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
    }
    if (rc != SQLITE_DONE) return Error("ListCharges");
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

  // ---- section "health" (migration 2) ----
  Result<bool> PutHealthEvent(const HealthEvent& event) override {
    (void)event;
    return Internal("PutHealthEvent: not yet implemented");
  }
  Result<std::vector<HealthEvent>> ListHealthEvents(const HealthEventFilter& filter) override {
    (void)filter;
    return Internal("ListHealthEvents: not yet implemented");
  }

  // ---- end of section "health" ----

  // ---- section "claims" (migration 3) ----

  // ---- end of section "claims" ----

  // ---- section "serve" (migration 4) ----

  // ---- end of section "serve" ----

 private:
  Status Error(const std::string& what) {
    return Unavailable(path_ + ": " + what + ": " + sqlite3_errmsg(db_));
  }

  Status Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      return Unavailable(path_ + ": " + msg);
    }
    return Status::Ok();
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
    s.Bind(1, account);
    s.Bind(2, region);
    s.Bind(3, service);
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
      s.Bind(1, k.account);
      s.Bind(2, k.region);
      s.Bind(3, k.service);
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
      has.Bind(1, item.entry.sha256);
      has.Bind(2, item.entry.content_hash);
      const int hrc = sqlite3_step(has.get());
      if (hrc == SQLITE_ROW) {
        oc.already_ingested = true;
        continue;
      }
      if (hrc != SQLITE_DONE) return Error("ledger lookup");
      const FileLedgerEntry& e = item.entry;
      ledger.Reset();
      ledger.Bind(1, e.sha256);
      ledger.Bind(2, e.path);
      ledger.Bind(3, e.file_bytes);
      ledger.Bind(4, e.json_bytes);
      ledger.Bind(5, e.records);
      ledger.Bind(6, e.accepted);
      ledger.Bind(7, e.skipped);
      ledger.Bind(8, e.rejected);
      ledger.Bind(9, e.errors);
      ledger.Bind(10, e.status);
      ledger.Bind(11, e.ingested_at_ms);
      ledger.Bind(12, e.mtime_ns);
      ledger.Bind(13, e.content_hash);
      ledger.Bind(14, LedgerName(e.path));
      ledger.Bind(15, e.records_yielded);
      if (sqlite3_step(ledger.get()) != SQLITE_DONE) return Error("ledger insert");
      if (!e.supersedes.empty()) {
        Stmt sup;
        RECOUP_RETURN_IF_ERROR(Prepare(
            "UPDATE ingested_files SET superseded_by=?1 WHERE sha256=?2 AND superseded_by IS NULL",
            &sup));
        sup.Bind(1, e.sha256);
        sup.Bind(2, e.supersedes);
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
        cell.Bind(1, sid);
        cell.Bind(2, key.interval_start_ms);
        cell.Bind(3, static_cast<int64_t>(key.source));
        for (int c = 0; c < events::kOutcomeClassCount; ++c) cell.Bind(4 + c, counts[c]);
        if (sqlite3_step(cell.get()) != SQLITE_DONE) return Error("interval upsert");
      }
      for (const Event& f : agg.failures()) {
        RECOUP_ASSIGN_OR_RETURN(int64_t sid, SeriesId({f.account, f.region, f.service}));
        const int64_t bit = int64_t{1} << static_cast<int>(f.source);
        fget.Reset();
        fget.Bind(1, sid);
        fget.Bind(2, f.request_id);
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
        fput.Bind(1, sid);
        fput.Bind(2, f.request_id);
        fput.Bind(3, aggregation::IntervalStart(f.time_ms, agg.interval_ms()));
        fput.Bind(4, f.time_ms);
        fput.Bind(5, f.operation);
        fput.Bind(6, f.error_code);
        fput.Bind(7, static_cast<int64_t>(f.http_status));
        fput.Bind(8, f.resource);
        fput.Bind(9, bit);
        if (sqlite3_step(fput.get()) != SQLITE_DONE) return Error("failure upsert");
      }
      for (const auto& [key, evs] : agg.samples()) {
        RECOUP_ASSIGN_OR_RETURN(int64_t sid, SeriesId(key.series));
        for (const Event& s : evs) {
          sput.Reset();
          sput.Bind(1, sid);
          sput.Bind(2, key.interval_start_ms);
          sput.Bind(3, static_cast<int64_t>(key.outcome));
          sput.Bind(4, s.time_ms);
          sput.Bind(5, s.request_id);
          sput.Bind(6, s.operation);
          sput.Bind(7, s.error_code);
          sput.Bind(8, static_cast<int64_t>(s.http_status));
          sput.Bind(9, s.resource);
          sput.Bind(10, static_cast<int64_t>(s.source));
          if (sqlite3_step(sput.get()) != SQLITE_DONE) return Error("sample insert");
        }
        strim.Reset();
        strim.Bind(1, sid);
        strim.Bind(2, key.interval_start_ms);
        strim.Bind(3, static_cast<int64_t>(key.outcome));
        strim.Bind(4, static_cast<int64_t>(opt_.sample_limit));
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

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const StoreOptions& opt) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Unavailable(path + ": cannot open store: " + msg);
  }
  auto store = std::make_unique<SqliteStore>(db, path, opt);
  Status st = store->Init();
  if (!st.ok()) return st;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace recoup::storage
