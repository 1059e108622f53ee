#include "recoup/web/api.h"

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "recoup/core/exact.h"
#include "recoup/core/time.h"
#include "recoup/report/report.h"
#include "recoup/sla/evaluator.h"

namespace recoup::web {

// The live-state views as JSON: each field under its own name.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AlertView, id, kind, severity, state, account, region, service,
                                   month, source, summary, mup_pct, credit_pct, credit_usd,
                                   credit_usd_exact, opened_ms, updated_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SourceHealth, name, kind, state, events_in, rejected,
                                   unattributed, duplicates, series_refused, lag_ms, last_event_ms,
                                   last_error)

namespace {

using json = nlohmann::json;
using Query = std::multimap<std::string, std::string>;

constexpr const char* kJson = "application/json";
constexpr const char* kText = "text/plain; charset=utf-8";
constexpr const char* kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

ApiResponse JsonOk(const json& j) { return {200, kJson, j.dump()}; }

ApiResponse JsonError(int status, const std::string& message) {
  json j;
  j["error"] = message;
  return {status, kJson, j.dump()};
}

ApiResponse FromStatus(const Status& st) {
  const int code = st.code() == StatusCode::kInvalidArgument ? 400
                   : st.code() == StatusCode::kNotFound      ? 404
                                                             : 503;
  return JsonError(code, st.message());
}

// For /metrics: a scraper shows the text as it is.
ApiResponse TextUnavailable(const Status& st) { return {503, kText, st.message() + "\n"}; }

std::optional<std::string> Param(const Query& q, const char* key) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// Parameters are echoed in error messages: keep them short and printable.
Status CheckParam(const char* name, const std::string& v) {
  if (v.size() > 64) return InvalidArgument(std::string(name) + ": too long");
  for (char c : v) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.')) {
      return InvalidArgument(std::string(name) + ": unexpected character");
    }
  }
  return Status::Ok();
}

Result<storage::SeriesFilter> FilterFrom(const Query& q, bool month_required) {
  storage::SeriesFilter f;
  for (const char* k : {"month", "account", "region", "service"}) {
    if (auto v = Param(q, k)) RECOUP_RETURN_IF_ERROR(CheckParam(k, *v));
  }
  if (auto m = Param(q, "month")) {
    auto ym = YearMonth::Parse(*m);
    if (!ym.ok()) return InvalidArgument("month: expected YYYY-MM, got '" + *m + "'");
    f.month = *ym;
  } else if (month_required) {
    return InvalidArgument("month: required (YYYY-MM)");
  }
  f.account = Param(q, "account");
  f.region = Param(q, "region");
  f.service = Param(q, "service");
  return f;
}

// The optional month=YYYY-MM of /api/health-events and /api/claims.
Result<std::optional<YearMonth>> MonthParam(const Query& q) {
  auto m = Param(q, "month");
  if (!m) return std::optional<YearMonth>();
  auto ym = YearMonth::Parse(*m);
  if (!ym.ok()) return InvalidArgument("month: expected YYYY-MM");
  return std::optional<YearMonth>(*ym);
}

double ToDouble(const Rational& r) { return r.get_d(); }

// The month's error budget, read off the verdict.
struct Budget {
  Rational allowed;                  // sum of interval error rates the commitment allows
  Rational used;                     // the verdict's sum
  std::optional<Rational> left_pct;  // of the budget; negative once breached
  Rational left_minutes;             // full-outage minutes still within the commitment
};

Budget BudgetOf(const report::ReportRow& row) {
  Budget b;
  const sla::Verdict& v = row.verdict;
  b.allowed = (Rational(100) - v.commitment_pct) / 100 * Rational(v.intervals);
  b.used = v.sum_error_rates;
  if (b.allowed > 0) b.left_pct = (b.allowed - b.used) / b.allowed * 100;
  const int secs = row.version != nullptr ? row.version->interval_seconds : 300;
  b.left_minutes = (b.allowed - b.used) * Rational(secs) / 60;
  return b;
}

// ---- JSON bodies ----

// One report row as `recoup report --output json` prints it, plus the budget.
json RowJson(const report::ReportRow& row) {
  json arr = json::parse(report::RenderJson({row}, false));
  json j = arr.at(0);
  const Budget b = BudgetOf(row);
  j["budget_error_rate_sum_allowed"] = FormatDecimal(b.allowed, 0, 12);
  j["budget_left_pct"] = b.left_pct ? json(FormatFixed(*b.left_pct, 6)) : json(nullptr);
  j["budget_left_minutes"] = FormatFixed(b.left_minutes, 3);
  j["interval_seconds"] = row.version != nullptr ? row.version->interval_seconds : 300;
  return j;
}

json RowsJson(const std::vector<report::ReportRow>& rows) {
  json arr = json::array();
  for (const auto& r : rows) arr.push_back(RowJson(r));
  return arr;
}

// One live source: its counters under the names /metrics uses (accepted,
// rejected, unattributed, duplicate) and the time of its last event.
json SourceJson(const SourceHealth& s) {
  json j = s;
  j["accepted"] = s.events_in;
  j["duplicate"] = s.duplicates;
  j["last_event"] = s.last_event_ms > 0 ? json(FormatTimestamp(s.last_event_ms)) : json(nullptr);
  return j;
}

// Empty values are null in JSON.
json OrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// Money in JSON: `*_usd` in dollars and cents (Cents) with `*_usd_exact`
// (Exact) beside it; null when unknown.
json Cents(const std::optional<Rational>& usd) {
  return usd ? json(FormatCents(*usd)) : json(nullptr);
}
json Exact(const std::optional<Rational>& usd) {
  return usd ? json(FormatUsd(*usd)) : json(nullptr);
}

json AlertJson(const AlertView& a) {
  json j = a;
  for (const char* k : {"month", "source", "mup_pct", "credit_pct", "credit_usd",
                        "credit_usd_exact", "account", "region", "service"}) {
    if (j[k].is_string() && j[k].get<std::string>().empty()) j[k] = nullptr;
  }
  j["opened"] = a.opened_ms > 0 ? json(FormatTimestamp(a.opened_ms, true)) : json(nullptr);
  return j;
}

int64_t OpenAlerts(const LiveState& live) {
  int64_t open = 0;
  for (const AlertView& a : live.alerts) open += a.state == "open";
  return open;
}

// The interval series of the first row, if any (the filter names one series).
json IntervalSeriesJson(const std::vector<report::ReportRow>& rows) {
  json j;
  json t = json::array(), req = json::array(), failed = json::array(), rate = json::array(),
       exact = json::array();
  if (!rows.empty()) {
    const report::ReportRow& row = rows.front();
    j["interval_seconds"] = row.version->interval_seconds;
    j["mup_pct"] = FormatPct(row.verdict.mup_pct);
    for (const sla::IntervalCounts& c : row.intervals) {
      const Rational r = sla::IntervalErrorRate(*row.version, c);
      t.push_back(c.start_ms);
      req.push_back(c.requests);
      failed.push_back(c.failed);
      rate.push_back(ToDouble(r * 100));
      exact.push_back(r == 0 ? std::string("0") : r.get_str());
    }
  } else {
    j["interval_seconds"] = 300;
    j["mup_pct"] = nullptr;
  }
  j["t"] = std::move(t);
  j["requests"] = std::move(req);
  j["failed"] = std::move(failed);
  j["error_rate_pct"] = std::move(rate);
  j["error_rate"] = std::move(exact);
  return j;
}

json HealthEventJson(const health::HealthEvent& e) {
  return json{{"arn", e.arn},
              {"service", e.service},
              {"event_type_code", e.event_type_code},
              {"category", e.event_type_category},
              {"region", e.region},
              {"status", e.status},
              {"start_ms", e.start_ms},
              {"end_ms", e.end_ms},
              {"start", FormatTimestamp(e.start_ms)},
              {"end", e.end_ms > 0 ? json(FormatTimestamp(e.end_ms)) : json(nullptr)},
              {"description", e.description},
              {"source", e.source}};
}

// Whole days left to file a claim for month `m`; null while the month runs.
json DaysLeft(int64_t now, int64_t deadline_ms, YearMonth m) {
  if (now < m.EndMs()) return nullptr;
  return (deadline_ms - now) / 86400000;
}

json StoredClaimJson(const claims::ClaimRecord& c, int64_t now) {
  return json{{"id", c.id},
              {"account", c.account},
              {"region", c.region},
              {"service", c.service},
              {"month", c.month.ToString()},
              {"state", c.state},
              {"origin", "store"},
              {"mup_pct", c.mup_pct},
              {"credit_pct", c.credit_pct},
              {"credit_usd", Cents(c.credit_asked)},
              {"credit_usd_exact", Exact(c.credit_asked)},
              {"credit_received_usd", Cents(c.credit_received)},
              {"credit_received_usd_exact", Exact(c.credit_received)},
              {"case_id", OrNull(c.case_id)},
              {"deadline_ms", c.deadline_ms},
              {"deadline", FormatTimestamp(c.deadline_ms)},
              {"days_left", DaysLeft(now, c.deadline_ms, c.month)},
              {"sla_version", c.sla_version}};
}

std::string ClaimIdOf(const storage::SeriesMonth& k) {
  return k.account + "-" + k.region + "-" + k.service + "-" + k.month.ToString();
}

// A breached series not recorded as a claim yet, as its verdict describes it.
json VerdictClaimJson(const report::ReportRow& r, const std::string& id, int64_t now) {
  const sla::Verdict& v = r.verdict;
  const bool month_over = now >= r.key.month.EndMs();
  const std::string state = !month_over                 ? "forming"
                            : now > v.claim_deadline_ms ? "expired"
                                                        : "detected";
  return json{{"id", id},
              {"account", r.key.account},
              {"region", r.key.region},
              {"service", r.key.service},
              {"month", r.key.month.ToString()},
              {"state", state},
              {"origin", "verdict"},
              {"mup_pct", FormatPct(v.mup_pct)},
              {"credit_pct", FormatDecimal(v.credit_pct)},
              {"credit_usd", Cents(v.credit_usd)},
              {"credit_usd_exact", Exact(v.credit_usd)},
              {"credit_received_usd", nullptr},
              {"credit_received_usd_exact", nullptr},
              {"case_id", nullptr},
              {"deadline_ms", v.claim_deadline_ms},
              {"deadline", FormatTimestamp(v.claim_deadline_ms)},
              {"days_left", DaysLeft(now, v.claim_deadline_ms, r.key.month)},
              {"sla_version", v.sla_version}};
}

json StoreTotalsJson(const storage::StoreTotals& t) {
  return json{{"files", t.files},
              {"records", t.records},
              {"accepted", t.accepted},
              {"rejected", t.rejected},
              {"failures", t.failures}};
}

// ---- Prometheus text format ----

using Labels = std::vector<std::pair<std::string, std::string>>;

// Escapes a label value: backslash, double quote and line feed.
std::string LabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

class PromText {
 public:
  void Family(const std::string& name, const char* type, const std::string& help) {
    current_ = name;
    out_ << "# HELP " << name << ' ' << help << '\n' << "# TYPE " << name << ' ' << type << '\n';
  }
  void Sample(const Labels& labels, const std::string& value) {
    out_ << current_;
    if (!labels.empty()) {
      out_ << '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i) out_ << ',';
        out_ << labels[i].first << "=\"" << LabelValue(labels[i].second) << '"';
      }
      out_ << '}';
    }
    out_ << ' ' << value << '\n';
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::string current_;
};

// One metric family with a sample per item (report row or live source);
// `value` returns nullopt where an item has no sample.
template <class T>
struct Family {
  const char* name;
  const char* type;
  const char* help;
  std::optional<std::string> (*value)(const T&);
};

template <class T, size_t N>
void WriteFamilies(PromText& out, const Family<T> (&families)[N],
                   const std::vector<const T*>& items, Labels (*labels)(const T&)) {
  for (const Family<T>& f : families) {
    out.Family(f.name, f.type, f.help);
    for (const T* item : items) {
      if (std::optional<std::string> v = f.value(*item)) out.Sample(labels(*item), *v);
    }
  }
}

using Row = report::ReportRow;
using Value = std::optional<std::string>;

Labels RowLabels(const Row& r) {
  return Labels{{"account", r.key.account},
                {"region", r.key.region},
                {"service", r.key.service},
                {"month", r.key.month.ToString()}};
}

Labels SourceLabels(const SourceHealth& s) { return Labels{{"source", s.name}, {"kind", s.kind}}; }

const Family<Row> kRowFamilies[] = {
    {"recoup_mup_percent", "gauge",
     "Monthly Uptime Percentage so far (intervals not yet seen count as 0% errors).",
     [](const Row& r) -> Value { return FormatPct(r.verdict.mup_pct); }},
    {"recoup_error_budget_remaining_ratio", "gauge",
     "Share of the month's error budget left (1 = untouched, below 0 = breached).",
     [](const Row& r) -> Value {
       const Budget b = BudgetOf(r);
       if (!b.left_pct) return std::nullopt;
       return FormatDecimal(*b.left_pct / 100, 1, 12);
     }},
    {"recoup_error_budget_remaining_seconds", "gauge",
     "Seconds of complete outage the month can still take within the commitment.",
     [](const Row& r) -> Value { return FormatDecimal(BudgetOf(r).left_minutes * 60, 1, 3); }},
    {"recoup_credit_percent", "gauge", "Service credit tier reached so far, in percent.",
     [](const Row& r) -> Value { return FormatDecimal(r.verdict.credit_pct, 1, 6); }},
    {"recoup_credit_usd", "gauge",
     "Service credit so far in USD (only where the month's charges are known).",
     [](const Row& r) -> Value {
       if (!r.verdict.credit_usd) return std::nullopt;
       return FormatUsd(*r.verdict.credit_usd);
     }},
    {"recoup_sla_breached", "gauge", "1 when the month's MUP is below the commitment.",
     [](const Row& r) -> Value { return r.verdict.breached ? "1" : "0"; }},
    {"recoup_month_requests", "gauge", "Requests the SLA counts in the month so far.",
     [](const Row& r) -> Value { return std::to_string(r.verdict.requests); }},
    {"recoup_month_failed_requests", "gauge",
     "Server errors (distinct request IDs) in the month so far.",
     [](const Row& r) -> Value { return std::to_string(r.verdict.failed_requests); }},
    // The month's totals as counters: within one month label they only grow,
    // so rate() and increase() apply.
    {"recoup_requests_total", "counter",
     "Requests the SLA counts (successes and server errors) in the series' month.",
     [](const Row& r) -> Value { return std::to_string(r.verdict.requests); }},
    {"recoup_failed_requests_total", "counter",
     "Server errors (distinct request IDs) in the series' month.",
     [](const Row& r) -> Value { return std::to_string(r.verdict.failed_requests); }},
    {"recoup_throttled_requests_total", "counter",
     "Throttled requests (excluded from the SLA) in the series' month.",
     [](const Row& r) -> Value {
       return std::to_string(
           r.verdict.excluded[static_cast<int>(events::OutcomeClass::kThrottled)]);
     }},
    {"recoup_client_error_requests_total", "counter",
     "Client errors (excluded from the SLA) in the series' month.",
     [](const Row& r) -> Value {
       return std::to_string(
           r.verdict.excluded[static_cast<int>(events::OutcomeClass::kClientError)]);
     }},
};

const Family<SourceHealth> kSourceFamilies[] = {
    {"recoup_source_events_in_total", "counter",
     "Events a live source accepted and stored since start.",
     [](const SourceHealth& s) -> Value { return std::to_string(s.events_in); }},
    {"recoup_source_accepted_total", "counter",
     "Events a live source accepted and stored since start.",
     [](const SourceHealth& s) -> Value { return std::to_string(s.events_in); }},
    {"recoup_source_rejected_total", "counter", "Inputs a live source refused since start.",
     [](const SourceHealth& s) -> Value { return std::to_string(s.rejected); }},
    {"recoup_source_unattributed_total", "counter",
     "Records a live source kept without an account since start (attributed once known).",
     [](const SourceHealth& s) -> Value { return std::to_string(s.unattributed); }},
    {"recoup_source_duplicate_total", "counter",
     "Inputs a live source found already stored since start.",
     [](const SourceHealth& s) -> Value { return std::to_string(s.duplicates); }},
    {"recoup_source_series_refused_total", "counter",
     "Events a live source refused since start because their series would pass "
     "serve.max_series_per_source_month.",
     [](const SourceHealth& s) -> Value { return std::to_string(s.series_refused); }},
    {"recoup_source_last_event_timestamp_seconds", "gauge",
     "Time of the newest event a live source delivered (Unix seconds).",
     [](const SourceHealth& s) -> Value {
       if (s.last_event_ms <= 0) return std::nullopt;
       return FormatDecimal(Ratio(s.last_event_ms, 1000), 0, 3);
     }},
    {"recoup_source_lag_seconds", "gauge",
     "Now minus the newest event time a live source has seen.",
     [](const SourceHealth& s) -> Value {
       if (s.lag_ms < 0) return std::nullopt;
       return FormatDecimal(Ratio(s.lag_ms, 1000), 0, 3);
     }},
    {"recoup_source_up", "gauge", "1 while a live source is running.",
     [](const SourceHealth& s) -> Value { return s.state == "running" ? "1" : "0"; }},
};

}  // namespace

// ---- routes ----

const Api::Route Api::kRoutes[] = {
    {"/api/alerts", &Api::Alerts, Needs::kNothing, Errors::kJson},
    {"/api/months", &Api::Months, Needs::kStore, Errors::kJson},
    {"/api/series", &Api::Series, Needs::kStore, Errors::kJson},
    {"/api/intervals", &Api::Intervals, Needs::kStore, Errors::kJson},
    {"/api/health-events", &Api::HealthEvents, Needs::kStore, Errors::kJson},
    {"/api/claims", &Api::Claims, Needs::kStore, Errors::kJson},
    {"/api/status", &Api::StatusSummary, Needs::kStore, Errors::kJson},
    {"/metrics", &Api::Prometheus, Needs::kStore, Errors::kText},
};

Api::Api(std::string store_path, std::shared_ptr<const sla::Catalog> catalog,
         LiveStateProvider live_state, const Clock* clock,
         std::vector<std::pair<std::string, std::string>> build_info)
    : store_path_(std::move(store_path)),
      catalog_(catalog ? std::move(catalog) : sla::Catalog::Default()),
      live_state_(std::move(live_state)),
      clock_(clock != nullptr ? clock : &SystemClock()),
      build_info_(std::move(build_info)) {}

ApiResponse Api::Handle(std::string_view path, const Query& query) {
  const int64_t now = clock_->NowMs();
  Request req{query, now, YearMonth::FromMs(now), nullptr};
  const Route* route = std::find_if(std::begin(kRoutes), std::end(kRoutes),
                                    [path](const Route& r) { return r.path == path; });
  if (route == std::end(kRoutes)) route = nullptr;
  if (route != nullptr && route->needs == Needs::kNothing) return (this->*route->handler)(req);

  MutexLock lock(mu_);
  auto store = OpenStore();
  // Without a store, every path but the live ones answers 503 (even unknown ones).
  if (!store.ok()) {
    return route != nullptr && route->errors == Errors::kText ? TextUnavailable(store.status())
                                                              : FromStatus(store.status());
  }
  if (route == nullptr) return JsonError(404, "no such endpoint");
  req.store = *store;
  return (this->*route->handler)(req);
}

Result<storage::Store*> Api::OpenStore() {
  if (store_ == nullptr) {
    if (store_path_.empty()) return Unavailable("no evidence store configured");
    // The dashboard only reads: a store this process may not write is opened
    // read-only, and none is created.
    auto s = storage::OpenSqliteStoreForReading(store_path_);
    if (!s.ok()) return Unavailable("evidence store: " + s.status().message());
    store_ = std::move(s).value();
  }
  return store_.get();
}

Result<const std::map<YearMonth, std::vector<report::ReportRow>>*> Api::MonthRows(
    storage::Store& store, YearMonth this_month) {
  RECOUP_ASSIGN_OR_RETURN(std::string stamp, store.ChangeStamp());
  if (rows_cache_ && rows_cache_->stamp == stamp && rows_cache_->month == this_month) {
    return &rows_cache_->rows;
  }
  rows_cache_.reset();
  RECOUP_ASSIGN_OR_RETURN(std::vector<storage::SeriesMonth> keys, store.ListSeriesMonths({}));
  std::set<YearMonth> months{this_month};
  for (const auto& k : keys) months.insert(k.month);
  RowsCache fresh{stamp, this_month, {}};
  for (const YearMonth& m : months) {
    storage::SeriesFilter f;
    f.month = m;
    RECOUP_ASSIGN_OR_RETURN(fresh.rows[m], report::BuildReport(store, *catalog_, f));
  }
  rows_cache_ = std::move(fresh);
  return &rows_cache_->rows;
}

LiveState Api::Live() const {
  if (!live_state_) return {};
  return live_state_();
}

// ---- handlers ----

ApiResponse Api::Alerts(const Request&) {
  json arr = json::array();
  for (const AlertView& a : Live().alerts) arr.push_back(AlertJson(a));
  return JsonOk(json{{"alerts", arr}});
}

ApiResponse Api::Months(const Request& req) {
  auto months = MonthRows(*req.store, req.this_month);
  if (!months.ok()) return FromStatus(months.status());
  json arr = json::array();
  for (auto it = (*months)->rbegin(); it != (*months)->rend(); ++it) {
    arr.push_back(json{{"month", it->first.ToString()},
                       {"current", it->first == req.this_month},
                       {"series", RowsJson(it->second)}});
  }
  return JsonOk(json{{"months", arr}, {"current_month", req.this_month.ToString()}});
}

ApiResponse Api::Series(const Request& req) {
  auto f = FilterFrom(req.query, false);
  if (!f.ok()) return FromStatus(f.status());
  if (!f->month) f->month = req.this_month;
  auto rows = report::BuildReport(*req.store, *catalog_, *f);
  if (!rows.ok()) return FromStatus(rows.status());
  return JsonOk(json{{"month", f->month->ToString()}, {"series", RowsJson(*rows)}});
}

ApiResponse Api::Intervals(const Request& req) {
  auto f = FilterFrom(req.query, true);
  if (!f.ok()) return FromStatus(f.status());
  if (!f->account || !f->region) return JsonError(400, "account and region: required");
  if (!f->service) f->service = "kms";
  auto rows = report::BuildReport(*req.store, *catalog_, *f);
  if (!rows.ok()) return FromStatus(rows.status());
  json j = IntervalSeriesJson(*rows);
  j["month"] = f->month->ToString();
  j["account"] = *f->account;
  j["region"] = *f->region;
  j["service"] = *f->service;
  j["start_ms"] = f->month->StartMs();
  j["end_ms"] = f->month->EndMs();
  return JsonOk(j);
}

ApiResponse Api::HealthEvents(const Request& req) {
  storage::HealthEventFilter hf;
  if (auto r = Param(req.query, "region")) {
    if (auto st = CheckParam("region", *r); !st.ok()) return FromStatus(st);
    hf.region = *r;
  }
  auto month = MonthParam(req.query);
  if (!month.ok()) return FromStatus(month.status());
  if (*month) {
    hf.start_ms = (*month)->StartMs();
    hf.end_ms = (*month)->EndMs();
  }
  json j;
  json arr = json::array();
  auto evs = req.store->ListHealthEvents(hf);
  if (evs.ok()) {
    for (const health::HealthEvent& e : *evs) arr.push_back(HealthEventJson(e));
    j["available"] = true;
  } else {
    j["available"] = false;
    j["note"] = "Health events are not available from this store: " + evs.status().message();
  }
  j["events"] = std::move(arr);
  return JsonOk(j);
}

// The claims recorded in the store (their life cycle belongs to the claims
// module), plus every breached (account, Region, service, month) not
// recorded yet, derived from its verdict.
ApiResponse Api::Claims(const Request& req) {
  auto month = MonthParam(req.query);
  if (!month.ok()) return FromStatus(month.status());
  json arr = json::array();
  std::set<std::string> recorded;
  auto claims = req.store->ListClaims();
  if (claims.ok()) {
    for (const claims::ClaimRecord& c : *claims) {
      if (*month && c.month != **month) continue;
      recorded.insert(c.id);
      arr.push_back(StoredClaimJson(c, req.now_ms));
    }
  }
  storage::SeriesFilter f;
  f.month = *month;
  auto rows = report::BuildReport(*req.store, *catalog_, f);
  if (!rows.ok()) return FromStatus(rows.status());
  for (const report::ReportRow& r : *rows) {
    if (!r.verdict.breached) continue;
    const std::string id = ClaimIdOf(r.key);
    if (!recorded.count(id)) arr.push_back(VerdictClaimJson(r, id, req.now_ms));
  }
  json j{{"claims", arr}};
  if (!claims.ok()) j["note"] = "claims store unavailable: " + claims.status().message();
  return JsonOk(j);
}

ApiResponse Api::StatusSummary(const Request& req) {
  auto totals = req.store->Totals();
  if (!totals.ok()) return FromStatus(totals.status());
  const LiveState live = Live();
  json sources = json::array();
  for (const SourceHealth& s : live.sources) sources.push_back(SourceJson(s));
  json waiting = json::array();
  int64_t waiting_total = 0;
  for (const UnattributedKey& u : live.unattributed) {
    waiting.push_back(
        json{{"source", u.source}, {"access_key", u.access_key}, {"records", u.records}});
    waiting_total += u.records;
  }
  return JsonOk(json{{"now_ms", req.now_ms},
                     {"now", FormatTimestamp(req.now_ms, true)},
                     {"current_month", req.this_month.ToString()},
                     {"started_ms", live.started_ms},
                     {"catalog_version", catalog_->version()},
                     {"store", StoreTotalsJson(*totals)},
                     {"alerts_open", OpenAlerts(live)},
                     {"sources", sources},
                     {"unattributed_pending", waiting_total},
                     {"unattributed", waiting}});
}

// Series of the current month and of every month whose claim can still be
// made, then the live sources, open alerts and store totals.
ApiResponse Api::Prometheus(const Request& req) {
  auto months = MonthRows(*req.store, req.this_month);
  if (!months.ok()) return TextUnavailable(months.status());
  std::vector<const Row*> rows;
  for (const auto& [m, month_rows] : **months) {
    for (const Row& row : month_rows) {
      if (m == req.this_month || req.now_ms <= row.verdict.claim_deadline_ms) rows.push_back(&row);
    }
  }
  const LiveState live = Live();
  std::vector<const SourceHealth*> sources;
  for (const SourceHealth& s : live.sources) sources.push_back(&s);

  PromText out;
  WriteFamilies(out, kRowFamilies, rows, RowLabels);
  WriteFamilies(out, kSourceFamilies, sources, SourceLabels);
  out.Family("recoup_unattributed_pending", "gauge",
             "Records kept without an account, waiting for one (by source).");
  std::map<std::string, int64_t> waiting;
  for (const SourceHealth& s : live.sources) {
    if (s.kind == "csm") waiting.try_emplace(s.name, 0);
  }
  for (const UnattributedKey& u : live.unattributed) waiting[u.source] += u.records;
  for (const auto& [source, n] : waiting) out.Sample({{"source", source}}, std::to_string(n));
  out.Family("recoup_build_info", "gauge", "Always 1; the labels name the build.");
  Labels build = build_info_;
  build.emplace_back("catalog_version", catalog_->version());
  out.Sample(build, "1");
  out.Family("recoup_alerts_open", "gauge", "Alerts currently open.");
  out.Sample({}, std::to_string(OpenAlerts(live)));
  if (auto totals = req.store->Totals(); totals.ok()) {
    out.Family("recoup_store_files", "gauge", "Evidence files in the store's ledger.");
    out.Sample({}, std::to_string(totals->files));
    out.Family("recoup_store_failures", "gauge", "Distinct failing requests in the store.");
    out.Sample({}, std::to_string(totals->failures));
  }
  return {200, kPrometheusText, out.str()};
}

}  // namespace recoup::web
