#include "recoup/web/api.h"

#include <algorithm>
#include <chrono>
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

namespace {

using json = nlohmann::json;

ApiResponse JsonOk(const json& j) { return {200, "application/json", j.dump()}; }

ApiResponse JsonError(int status, const std::string& message) {
  json j;
  j["error"] = message;
  return {status, "application/json", j.dump()};
}

ApiResponse FromStatus(const Status& st) {
  const int code = st.code() == StatusCode::kInvalidArgument ? 400
                   : st.code() == StatusCode::kNotFound      ? 404
                                                             : 503;
  return JsonError(code, st.message());
}

std::optional<std::string> Param(const std::multimap<std::string, std::string>& q,
                                 const char* key) {
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

Result<storage::SeriesFilter> FilterFrom(const std::multimap<std::string, std::string>& q,
                                         bool month_required) {
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

json AlertJson(const AlertView& a) {
  return json{{"id", a.id},
              {"kind", a.kind},
              {"severity", a.severity},
              {"state", a.state},
              {"account", a.account},
              {"region", a.region},
              {"service", a.service},
              {"month", a.month},
              {"source", a.source},
              {"summary", a.summary},
              {"mup_pct", a.mup_pct},
              {"credit_pct", a.credit_pct},
              {"credit_usd", a.credit_usd},
              {"opened", a.opened_ms > 0 ? FormatTimestamp(a.opened_ms) : ""},
              {"opened_ms", a.opened_ms},
              {"updated_ms", a.updated_ms}};
}

json SourceJson(const SourceHealth& s) {
  return json{{"name", s.name},
              {"kind", s.kind},
              {"state", s.state},
              {"events_in", s.events_in},
              {"rejected", s.rejected},
              {"lag_ms", s.lag_ms},
              {"last_event_ms", s.last_event_ms},
              {"last_error", s.last_error}};
}

// ---- Prometheus text format ----

std::string LabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Metrics {
 public:
  void Family(const std::string& name, const char* type, const std::string& help) {
    current_ = name;
    out_ << "# HELP " << name << ' ' << help << '\n' << "# TYPE " << name << ' ' << type << '\n';
  }
  void Sample(const std::vector<std::pair<std::string, std::string>>& labels,
              const std::string& value) {
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

}  // namespace

Api::Api(std::string store_path, std::shared_ptr<const sla::Catalog> catalog,
         LiveStateProvider live_state, std::function<int64_t()> now_ms)
    : store_path_(std::move(store_path)),
      catalog_(catalog ? std::move(catalog) : sla::Catalog::Default()),
      live_state_(std::move(live_state)),
      now_ms_(std::move(now_ms)) {
  if (!now_ms_) {
    now_ms_ = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

Result<storage::Store*> Api::OpenStore() {
  if (store_ == nullptr) {
    if (store_path_.empty()) return Unavailable("no evidence store configured");
    auto s = storage::OpenSqliteStore(store_path_);
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

ApiResponse Api::Handle(std::string_view path, const std::multimap<std::string, std::string>& q) {
  const int64_t now = now_ms_();
  const YearMonth this_month = YearMonth::FromMs(now);

  if (path == "/api/alerts") {
    json arr = json::array();
    for (const AlertView& a : Live().alerts) arr.push_back(AlertJson(a));
    return JsonOk(json{{"alerts", arr}});
  }

  std::lock_guard<std::mutex> lock(mu_);
  auto store_or = OpenStore();
  if (!store_or.ok()) {
    if (path == "/metrics") {
      return {503, "text/plain; charset=utf-8", store_or.status().message() + "\n"};
    }
    return FromStatus(store_or.status());
  }
  storage::Store& store = **store_or;

  if (path == "/api/months") {
    auto months = MonthRows(store, this_month);
    if (!months.ok()) return FromStatus(months.status());
    json arr = json::array();
    for (auto it = (*months)->rbegin(); it != (*months)->rend(); ++it) {
      json series = json::array();
      for (const auto& r : it->second) series.push_back(RowJson(r));
      arr.push_back(json{{"month", it->first.ToString()},
                         {"current", it->first == this_month},
                         {"series", std::move(series)}});
    }
    return JsonOk(json{{"months", arr}, {"current_month", this_month.ToString()}});
  }

  if (path == "/api/series") {
    auto f = FilterFrom(q, false);
    if (!f.ok()) return FromStatus(f.status());
    if (!f->month) f->month = this_month;
    auto rows = report::BuildReport(store, *catalog_, *f);
    if (!rows.ok()) return FromStatus(rows.status());
    json arr = json::array();
    for (const auto& r : *rows) arr.push_back(RowJson(r));
    return JsonOk(json{{"month", f->month->ToString()}, {"series", arr}});
  }

  if (path == "/api/intervals") {
    auto f = FilterFrom(q, true);
    if (!f.ok()) return FromStatus(f.status());
    if (!f->account || !f->region) {
      return JsonError(400, "account and region: required");
    }
    if (!f->service) f->service = "kms";
    auto rows = report::BuildReport(store, *catalog_, *f);
    if (!rows.ok()) return FromStatus(rows.status());
    json j{{"month", f->month->ToString()},
           {"account", *f->account},
           {"region", *f->region},
           {"service", *f->service},
           {"start_ms", f->month->StartMs()},
           {"end_ms", f->month->EndMs()}};
    json t = json::array(), req = json::array(), failed = json::array(), rate = json::array(),
         exact = json::array();
    if (!rows->empty()) {
      const report::ReportRow& row = rows->front();
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
    return JsonOk(j);
  }

  if (path == "/api/health-events") {
    storage::HealthEventFilter hf;
    if (auto r = Param(q, "region")) {
      if (auto st = CheckParam("region", *r); !st.ok()) return FromStatus(st);
      hf.region = *r;
    }
    if (auto m = Param(q, "month")) {
      auto ym = YearMonth::Parse(*m);
      if (!ym.ok()) return JsonError(400, "month: expected YYYY-MM");
      hf.start_ms = ym->StartMs();
      hf.end_ms = ym->EndMs();
    }
    json arr = json::array();
    json j;
    auto evs = store.ListHealthEvents(hf);
    if (evs.ok()) {
      for (const health::HealthEvent& e : *evs) {
        arr.push_back(json{{"arn", e.arn},
                           {"service", e.service},
                           {"event_type_code", e.event_type_code},
                           {"category", e.event_type_category},
                           {"region", e.region},
                           {"status", e.status},
                           {"start_ms", e.start_ms},
                           {"end_ms", e.end_ms},
                           {"start", FormatTimestamp(e.start_ms)},
                           {"end", e.end_ms > 0 ? FormatTimestamp(e.end_ms) : ""},
                           {"description", e.description},
                           {"source", e.source}});
      }
      j["available"] = true;
    } else {
      j["available"] = false;
      j["note"] = "Health events are not available from this store: " + evs.status().message();
    }
    j["events"] = std::move(arr);
    return JsonOk(j);
  }

  if (path == "/api/claims") {
    // The claims recorded in the store (their life cycle belongs to the
    // claims module), plus every breached (account, Region, service, month)
    // not recorded yet, derived from its verdict.
    std::optional<YearMonth> month;
    if (auto m = Param(q, "month")) {
      auto ym = YearMonth::Parse(*m);
      if (!ym.ok()) return JsonError(400, "month: expected YYYY-MM");
      month = *ym;
    }
    json arr = json::array();
    std::set<std::string> recorded;
    auto days_left = [now](int64_t deadline_ms, YearMonth m) -> json {
      if (now < m.EndMs()) return nullptr;
      return (deadline_ms - now) / 86400000;
    };
    auto claims = store.ListClaims();
    if (claims.ok()) {
      for (const claims::ClaimRecord& c : *claims) {
        if (month && c.month != *month) continue;
        recorded.insert(c.id);
        arr.push_back(
            json{{"id", c.id},
                 {"account", c.account},
                 {"region", c.region},
                 {"service", c.service},
                 {"month", c.month.ToString()},
                 {"state", c.state},
                 {"origin", "store"},
                 {"mup_pct", c.mup_pct},
                 {"credit_pct", c.credit_pct},
                 {"credit_usd", FormatUsd(c.credit_asked)},
                 {"credit_received_usd",
                  c.credit_received ? json(FormatUsd(*c.credit_received)) : json(nullptr)},
                 {"case_id", c.case_id},
                 {"deadline_ms", c.deadline_ms},
                 {"deadline", FormatTimestamp(c.deadline_ms)},
                 {"days_left", days_left(c.deadline_ms, c.month)},
                 {"sla_version", c.sla_version}});
      }
    }
    storage::SeriesFilter f;
    f.month = month;
    auto rows = report::BuildReport(store, *catalog_, f);
    if (!rows.ok()) return FromStatus(rows.status());
    for (const report::ReportRow& r : *rows) {
      const sla::Verdict& v = r.verdict;
      if (!v.breached) continue;
      const std::string id =
          r.key.account + "-" + r.key.region + "-" + r.key.service + "-" + r.key.month.ToString();
      if (recorded.count(id)) continue;
      const bool month_over = now >= r.key.month.EndMs();
      const std::string state = !month_over                 ? "forming"
                                : now > v.claim_deadline_ms ? "expired"
                                                            : "detected";
      arr.push_back(
          json{{"id", id},
               {"account", r.key.account},
               {"region", r.key.region},
               {"service", r.key.service},
               {"month", r.key.month.ToString()},
               {"state", state},
               {"origin", "verdict"},
               {"mup_pct", FormatPct(v.mup_pct)},
               {"credit_pct", FormatDecimal(v.credit_pct)},
               {"credit_usd", v.credit_usd ? json(FormatUsd(*v.credit_usd)) : json(nullptr)},
               {"credit_received_usd", nullptr},
               {"case_id", ""},
               {"deadline_ms", v.claim_deadline_ms},
               {"deadline", FormatTimestamp(v.claim_deadline_ms)},
               {"days_left", days_left(v.claim_deadline_ms, r.key.month)},
               {"sla_version", v.sla_version}});
    }
    json j{{"claims", arr}};
    if (!claims.ok()) j["note"] = "claims store unavailable: " + claims.status().message();
    return JsonOk(j);
  }

  if (path == "/api/status") {
    auto totals = store.Totals();
    if (!totals.ok()) return FromStatus(totals.status());
    const LiveState live = Live();
    json sources = json::array();
    for (const SourceHealth& s : live.sources) sources.push_back(SourceJson(s));
    int64_t open = 0;
    for (const AlertView& a : live.alerts) open += a.state == "open";
    return JsonOk(json{{"now_ms", now},
                       {"now", FormatTimestamp(now)},
                       {"current_month", this_month.ToString()},
                       {"started_ms", live.started_ms},
                       {"catalog_version", catalog_->version()},
                       {"store",
                        {{"files", totals->files},
                         {"records", totals->records},
                         {"accepted", totals->accepted},
                         {"rejected", totals->rejected},
                         {"failures", totals->failures}}},
                       {"alerts_open", open},
                       {"sources", sources}});
  }

  if (path == "/metrics") {
    // Series of the current month and of every month whose claim can
    // still be made.
    auto months = MonthRows(store, this_month);
    if (!months.ok()) {
      return {503, "text/plain; charset=utf-8", months.status().message() + "\n"};
    }
    std::vector<const report::ReportRow*> rows;
    for (const auto& [m, month_rows] : **months) {
      for (const auto& row : month_rows) {
        if (m == this_month || now <= row.verdict.claim_deadline_ms) rows.push_back(&row);
      }
    }
    using Labels = std::vector<std::pair<std::string, std::string>>;
    auto labels = [](const report::ReportRow& r) {
      return Labels{{"account", r.key.account},
                    {"region", r.key.region},
                    {"service", r.key.service},
                    {"month", r.key.month.ToString()}};
    };
    Metrics m;
    m.Family("recoup_mup_percent", "gauge",
             "Monthly Uptime Percentage so far (intervals not yet seen count as 0% errors).");
    for (const report::ReportRow* r : rows) m.Sample(labels(*r), FormatPct(r->verdict.mup_pct));
    m.Family("recoup_error_budget_remaining_ratio", "gauge",
             "Share of the month's error budget left (1 = untouched, below 0 = breached).");
    for (const report::ReportRow* r : rows) {
      const Budget b = BudgetOf(*r);
      if (b.left_pct) m.Sample(labels(*r), FormatDecimal(*b.left_pct / 100, 1, 12));
    }
    m.Family("recoup_error_budget_remaining_seconds", "gauge",
             "Seconds of complete outage the month can still take within the commitment.");
    for (const report::ReportRow* r : rows) {
      m.Sample(labels(*r), FormatDecimal(BudgetOf(*r).left_minutes * 60, 1, 3));
    }
    m.Family("recoup_credit_percent", "gauge", "Service credit tier reached so far, in percent.");
    for (const report::ReportRow* r : rows)
      m.Sample(labels(*r), FormatDecimal(r->verdict.credit_pct, 1, 6));
    m.Family("recoup_credit_usd", "gauge",
             "Service credit so far in USD (only where the month's charges are known).");
    for (const report::ReportRow* r : rows) {
      if (r->verdict.credit_usd) m.Sample(labels(*r), FormatDecimal(*r->verdict.credit_usd, 1, 10));
    }
    m.Family("recoup_sla_breached", "gauge", "1 when the month's MUP is below the commitment.");
    for (const report::ReportRow* r : rows) m.Sample(labels(*r), r->verdict.breached ? "1" : "0");
    m.Family("recoup_month_requests", "gauge", "Requests the SLA counts in the month so far.");
    for (const report::ReportRow* r : rows)
      m.Sample(labels(*r), std::to_string(r->verdict.requests));
    m.Family("recoup_month_failed_requests", "gauge",
             "Server errors (distinct request IDs) in the month so far.");
    for (const report::ReportRow* r : rows)
      m.Sample(labels(*r), std::to_string(r->verdict.failed_requests));

    const LiveState live = Live();
    auto slabels = [](const SourceHealth& s) {
      return Labels{{"source", s.name}, {"kind", s.kind}};
    };
    m.Family("recoup_source_events_in_total", "counter",
             "Events a live source accepted and stored since start.");
    for (const auto& s : live.sources) m.Sample(slabels(s), std::to_string(s.events_in));
    m.Family("recoup_source_rejected_total", "counter",
             "Inputs a live source refused since start.");
    for (const auto& s : live.sources) m.Sample(slabels(s), std::to_string(s.rejected));
    m.Family("recoup_source_lag_seconds", "gauge",
             "Now minus the newest event time a live source has seen.");
    for (const auto& s : live.sources) {
      if (s.lag_ms >= 0) m.Sample(slabels(s), FormatDecimal(Ratio(s.lag_ms, 1000), 0, 3));
    }
    m.Family("recoup_source_up", "gauge", "1 while a live source is running.");
    for (const auto& s : live.sources) m.Sample(slabels(s), s.state == "running" ? "1" : "0");
    m.Family("recoup_alerts_open", "gauge", "Alerts currently open.");
    int64_t open = 0;
    for (const AlertView& a : live.alerts) open += a.state == "open";
    m.Sample({}, std::to_string(open));
    auto totals = store.Totals();
    if (totals.ok()) {
      m.Family("recoup_store_files", "gauge", "Evidence files in the store's ledger.");
      m.Sample({}, std::to_string(totals->files));
      m.Family("recoup_store_failures", "gauge", "Distinct failing requests in the store.");
      m.Sample({}, std::to_string(totals->failures));
    }
    return {200, "text/plain; version=0.0.4; charset=utf-8", m.str()};
  }

  return JsonError(404, "no such endpoint");
}

}  // namespace recoup::web
