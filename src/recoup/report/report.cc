#include "recoup/report/report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "recoup/aggregation/combine.h"
#include "recoup/core/safe_text.h"

namespace recoup::report {

using events::OutcomeClass;

namespace {

Result<std::optional<billing::ChargeRecord>> ChargeFor(storage::Store& store,
                                                       const sla::SlaVersion& v,
                                                       const storage::SeriesMonth& k,
                                                       std::string* note) {
  if (v.charges_scope == "region") {
    RECOUP_ASSIGN_OR_RETURN(auto c, store.GetCharge(k.account, k.region, k.service, k.month));
    if (c) *note = c->origin + " charges for " + k.region;
    return c;
  }
  // account_all_regions: the SLA's credit base is all of the service's charges.
  storage::SeriesFilter f;
  f.account = k.account;
  f.service = k.service;
  f.month = k.month;
  RECOUP_ASSIGN_OR_RETURN(auto all, store.ListCharges(f));
  std::map<std::string, billing::ChargeRecord> per_region;
  for (auto& c : all) {
    auto it = per_region.find(c.region);
    if (it == per_region.end() || c.origin == "manual") per_region[c.region] = c;
  }
  if (per_region.empty()) return std::optional<billing::ChargeRecord>();
  billing::ChargeRecord sum = per_region.begin()->second;
  sum.region = "*";
  sum.amount = 0;
  sum.net_amount.reset();
  for (auto& [r, c] : per_region) sum.amount += c.amount;
  *note = "charges of all Regions (" + std::to_string(per_region.size()) + ")";
  return std::optional<billing::ChargeRecord>(sum);
}

}  // namespace

namespace {

// Health events of the series' Region (or global) and service that meet a
// failing interval of the month.
Result<std::vector<health::HealthEvent>> OverlappingHealthEvents(storage::Store& store,
                                                                 const ReportRow& row) {
  std::vector<health::HealthEvent> out;
  if (row.verdict.failing_intervals == 0) return out;
  const int64_t len = static_cast<int64_t>(row.version->interval_seconds) * 1000;
  storage::HealthEventFilter f;
  // Compared without case: Health says "KMS"; a sub-scope's series is its service's.
  f.service = row.base_service.empty() ? row.key.service : row.base_service;
  f.start_ms = row.key.month.StartMs();
  f.end_ms = row.key.month.EndMs();
  RECOUP_ASSIGN_OR_RETURN(std::vector<health::HealthEvent> candidates, store.ListHealthEvents(f));
  for (health::HealthEvent& e : candidates) {
    if (e.region != row.key.region && e.region != "global") continue;
    if (!e.accounts.empty() &&
        std::find(e.accounts.begin(), e.accounts.end(), row.key.account) == e.accounts.end()) {
      continue;
    }
    for (const sla::IntervalCounts& c : row.intervals) {
      if (c.failed == 0) continue;
      if (e.start_ms < c.start_ms + len && (e.end_ms == 0 || e.end_ms > c.start_ms)) {
        out.push_back(std::move(e));
        break;
      }
    }
  }
  return out;
}

}  // namespace

Result<std::vector<ReportRow>> BuildReport(storage::Store& store, const sla::Catalog& catalog,
                                           const storage::SeriesFilter& filter,
                                           std::vector<std::string>* notes) {
  std::vector<storage::SeriesMonth> keys;
  if (filter.service) {
    // The service and its sub-scopes' series ("s3", "s3.infrequent_access").
    for (const std::string& series : catalog.SeriesKeysOf(*filter.service)) {
      storage::SeriesFilter f = filter;
      f.service = series;
      RECOUP_ASSIGN_OR_RETURN(std::vector<storage::SeriesMonth> some, store.ListSeriesMonths(f));
      keys.insert(keys.end(), some.begin(), some.end());
    }
    std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
      return std::tie(a.account, a.region, a.service, a.month.year, a.month.month) <
             std::tie(b.account, b.region, b.service, b.month.year, b.month.month);
    });
  } else {
    RECOUP_ASSIGN_OR_RETURN(keys, store.ListSeriesMonths(filter));
  }
  std::vector<ReportRow> rows;
  for (const storage::SeriesMonth& k : keys) {
    const sla::ServiceTerms* terms = catalog.Find(k.service);
    if (terms == nullptr) continue;
    const sla::SlaVersion* v = terms->VersionFor(k.month);
    if (v == nullptr) {  // before the service had an SLA
      if (notes != nullptr) {
        notes->push_back(k.account + " " + k.region + " " + k.service + " " + k.month.ToString() +
                         ": no " + terms->key + " SLA version in the catalog covers this month");
      }
      continue;
    }
    const int64_t start = k.month.StartMs(), end = k.month.EndMs();
    RECOUP_ASSIGN_OR_RETURN(auto cells,
                            store.LoadSourceCells(k.account, k.region, k.service, start, end));
    RECOUP_ASSIGN_OR_RETURN(auto failed,
                            store.LoadFailureUnion(k.account, k.region, k.service, start, end));
    RECOUP_ASSIGN_OR_RETURN(
        ReportRow row, RowFromIntervals(store, *v, k, aggregation::CombineSources(cells, failed)));
    row.base_service = terms->base.empty() ? terms->key : terms->base;
    row.scope = terms->scope;
    RECOUP_ASSIGN_OR_RETURN(row.health_events, OverlappingHealthEvents(store, row));
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<ReportRow> RowFromIntervals(storage::Store& store, const sla::SlaVersion& version,
                                   const storage::SeriesMonth& key,
                                   std::vector<sla::IntervalCounts> intervals) {
  ReportRow row;
  row.key = key;
  row.version = &version;
  row.intervals = std::move(intervals);
  RECOUP_ASSIGN_OR_RETURN(row.charge, ChargeFor(store, version, key, &row.charges_note));
  sla::MonthInput in;
  in.account = key.account;
  in.region = key.region;
  in.service = key.service;
  in.month = key.month;
  in.intervals = row.intervals;
  if (row.charge) in.charges_usd = row.charge->amount;
  auto verdict = sla::Evaluate(version, in);
  if (!verdict.ok()) {
    return verdict.status().WithPrefix(key.account + "/" + key.region + "/" + key.month.ToString());
  }
  row.verdict = std::move(verdict).value();
  return row;
}

namespace {

// Money in JSON: `name` in dollars and cents (rounded half up) and
// `name`_exact, the exact value; both null when unknown.
void PutUsd(nlohmann::ordered_json& j, const std::string& name,
            const std::optional<Rational>& usd) {
  j[name] = usd ? nlohmann::ordered_json(FormatCents(*usd)) : nlohmann::ordered_json(nullptr);
  j[name + "_exact"] =
      usd ? nlohmann::ordered_json(FormatUsd(*usd)) : nlohmann::ordered_json(nullptr);
}

// Money in CSV: the cents cell and the exact cell; both empty when unknown.
std::string CsvUsd(const std::optional<Rational>& usd) {
  return usd ? FormatCents(*usd) + ',' + FormatUsd(*usd) : std::string(",");
}

// Money for people: "$12.35", with the exact value beside it when the cents
// are a rounding ("$12.35 (exactly $12.345)").
std::string UsdText(const Rational& usd) {
  const std::string cents = FormatCents(usd);
  const std::string exact = FormatUsd(usd);
  return "$" + cents + (exact == cents ? std::string() : " (exactly $" + exact + ")");
}

// A value from input, shown in a table or text: control characters escaped.
std::string Shown(const std::string& s) { return EscapeControls(s); }

nlohmann::ordered_json RowJson(const ReportRow& r, bool with_intervals) {
  const sla::Verdict& v = r.verdict;
  nlohmann::ordered_json j;
  j["account"] = r.key.account;
  j["region"] = r.key.region;
  j["service"] = r.key.service;
  j["scope"] = r.scope.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(r.scope);
  j["month"] = r.key.month.ToString();
  j["sla_version"] = v.sla_version;
  j["sla_confidence"] = sla::ConfidenceName(r.version->confidence);
  j["unverified_facts"] = r.version->FactsAtLeast(sla::Confidence::kUnverified);
  j["commitment_pct"] = FormatDecimal(v.commitment_pct, 0, 12);
  j["mup_pct"] = FormatPct(v.mup_pct);
  j["intervals"] = v.intervals;
  j["intervals_with_requests"] = v.intervals_with_requests;
  j["failing_intervals"] = v.failing_intervals;
  j["requests"] = v.requests;
  j["failed_requests"] = v.failed_requests;
  j["excluded_requests"] = {
      {"throttling", v.excluded[static_cast<int>(OutcomeClass::kThrottled)]},
      {"client_error", v.excluded[static_cast<int>(OutcomeClass::kClientError)]},
      {"custom_key_store", v.excluded[static_cast<int>(OutcomeClass::kCustomKeyStore)]}};
  j["error_rate_sum"] = v.sum_error_rates.get_str();
  j["breached"] = v.breached;
  j["credit_pct"] = FormatDecimal(v.credit_pct, 0, 12);
  PutUsd(j, "charges_usd", v.charges_usd);
  j["charges_source"] =
      r.charge ? nlohmann::ordered_json(r.charges_note) : nlohmann::ordered_json(nullptr);
  PutUsd(j, "credit_usd", v.credit_usd);
  PutUsd(j, "credit_before_minimum_usd", v.credit_before_minimum_usd);
  j["below_minimum"] = v.below_minimum;
  PutUsd(j, "minimum_credit_usd", r.version->minimum_credit_usd);
  j["claim_deadline"] = FormatTimestamp(v.claim_deadline_ms);
  j["customer_view"] = {{"mup_pct", FormatPct(v.customer_mup_pct)},
                        {"no_response_requests", v.no_response}};
  nlohmann::ordered_json health = nlohmann::ordered_json::array();
  for (const health::HealthEvent& e : r.health_events) {
    health.push_back({{"arn", e.arn},
                      {"event_type_code", e.event_type_code},
                      {"status", e.status},
                      {"start", FormatTimestamp(e.start_ms)},
                      {"end", e.end_ms != 0 ? nlohmann::ordered_json(FormatTimestamp(e.end_ms))
                                            : nlohmann::ordered_json(nullptr)}});
  }
  j["health_events"] = std::move(health);
  if (v.failing_intervals > 0 && r.health_events.empty()) {
    j["health_note"] = "AWS posted no Health event for " + r.key.service + " in " + r.key.region +
                       " during the failing intervals (or none was synced/imported)";
  }
  if (with_intervals) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const sla::IntervalCounts& c : r.intervals) {
      const Rational rate = sla::IntervalErrorRate(*r.version, c);
      arr.push_back(
          {{"start", FormatTimestamp(c.start_ms)},
           {"requests", c.requests},
           {"failed_requests", c.failed},
           {"error_rate", rate.get_str()},
           {"error_rate_pct", FormatPct(rate * 100)},
           {"excluded_requests",
            {{"throttling", c.excluded[static_cast<int>(OutcomeClass::kThrottled)]},
             {"client_error", c.excluded[static_cast<int>(OutcomeClass::kClientError)]},
             {"custom_key_store", c.excluded[static_cast<int>(OutcomeClass::kCustomKeyStore)]}}},
           {"no_response_requests", c.no_response}});
    }
    j["interval_detail"] = arr;
  }
  return j;
}

}  // namespace

std::string RenderJson(const std::vector<ReportRow>& rows, bool with_intervals) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const ReportRow& r : rows) arr.push_back(RowJson(r, with_intervals));
  return arr.dump(2) + "\n";
}

std::string RenderCsv(const std::vector<ReportRow>& rows) {
  std::ostringstream out;
  out << "account,region,service,month,sla_version,commitment_pct,mup_pct,intervals,requests,"
         "failed_requests,excluded_throttling,excluded_client_error,excluded_custom_key_store,"
         "breached,credit_pct,charges_usd,charges_usd_exact,credit_usd,credit_usd_exact,below_"
         "minimum,"
         "claim_deadline,"
         "customer_mup_pct,no_response_requests\n";
  for (const ReportRow& r : rows) {
    const sla::Verdict& v = r.verdict;
    out << CsvText(r.key.account) << ',' << CsvText(r.key.region) << ',' << CsvText(r.key.service)
        << ',' << r.key.month.ToString() << ',' << CsvText(v.sla_version) << ','
        << FormatDecimal(v.commitment_pct, 0, 12) << ',' << FormatPct(v.mup_pct) << ','
        << v.intervals << ',' << v.requests << ',' << v.failed_requests << ','
        << v.excluded[static_cast<int>(OutcomeClass::kThrottled)] << ','
        << v.excluded[static_cast<int>(OutcomeClass::kClientError)] << ','
        << v.excluded[static_cast<int>(OutcomeClass::kCustomKeyStore)] << ','
        << (v.breached ? "true" : "false") << ',' << FormatDecimal(v.credit_pct, 0, 12) << ','
        << CsvUsd(v.charges_usd) << ',' << CsvUsd(v.credit_usd) << ','
        << (v.below_minimum ? "true" : "false") << ',' << FormatTimestamp(v.claim_deadline_ms)
        << ',' << FormatPct(v.customer_mup_pct) << ',' << v.no_response << '\n';
  }
  return out.str();
}

std::string RenderTable(const std::vector<ReportRow>& rows) {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof line,
                "%-12s  %-15s  %-15s  %-7s  %-18s  %10s  %7s  %-8s  %6s  %12s  %12s  %s\n",
                "ACCOUNT", "REGION", "SERVICE", "MONTH", "MUP %", "REQUESTS", "FAILED", "BREACHED",
                "CREDIT", "CHARGES $", "CREDIT $", "CLAIM BY");
  out << line;
  std::vector<const sla::SlaVersion*> unverified;
  for (const ReportRow& r : rows) {
    const sla::Verdict& v = r.verdict;
    // A '*' marks terms the catalog holds unverified (listed below the table).
    std::string service = r.key.service;
    if (!r.version->FactsAtLeast(sla::Confidence::kUnverified).empty()) {
      service += "*";
      if (std::find(unverified.begin(), unverified.end(), r.version) == unverified.end()) {
        unverified.push_back(r.version);
      }
    }
    std::string credit = v.credit_usd ? FormatCents(*v.credit_usd) : "unknown";
    if (v.below_minimum) credit += " (below $" + FormatCents(r.version->minimum_credit_usd) + ")";
    std::snprintf(line, sizeof line,
                  "%-12s  %-15s  %-15s  %-7s  %-18s  %10lld  %7lld  %-8s  %5s%%  %12s  %12s  %s\n",
                  Shown(r.key.account).c_str(), Shown(r.key.region).c_str(), Shown(service).c_str(),
                  r.key.month.ToString().c_str(), FormatFixed(v.mup_pct, 12).c_str(),
                  static_cast<long long>(v.requests), static_cast<long long>(v.failed_requests),
                  v.breached ? "YES" : "no", FormatDecimal(v.credit_pct, 0, 4).c_str(),
                  v.charges_usd ? FormatCents(*v.charges_usd).c_str() : "unknown", credit.c_str(),
                  v.breached ? FormatTimestamp(v.claim_deadline_ms).c_str() : "-");
    out << line;
  }
  for (const sla::SlaVersion* v : unverified) {
    std::string facts;
    for (const std::string& f : v->FactsAtLeast(sla::Confidence::kUnverified)) {
      facts += (facts.empty() ? "" : ", ") + f;
    }
    out << "* " << v->id << ": not verified against the SLA page: " << facts
        << " (recoup sla show; check before filing)\n";
  }
  bool header = false;
  for (const ReportRow& r : rows) {
    if (r.verdict.failing_intervals == 0) continue;
    if (!header) {
      out << "\nAWS Health events overlapping failing intervals:\n";
      header = true;
    }
    const std::string series = Shown(r.key.account) + " " + Shown(r.key.region) + " " +
                               Shown(r.key.service) + " " + r.key.month.ToString();
    if (r.health_events.empty()) {
      out << "  " << series << ": none (AWS posted no Health event, or none was synced)\n";
      continue;
    }
    for (const health::HealthEvent& e : r.health_events) {
      out << "  " << series << ": " << Shown(e.event_type_code) << " " << Shown(e.status) << " "
          << FormatTimestamp(e.start_ms) << " - "
          << (e.end_ms != 0 ? FormatTimestamp(e.end_ms) : std::string("(open)")) << "  "
          << Shown(e.arn) << "\n";
    }
  }
  return out.str();
}

std::string RenderIntervalsTable(const ReportRow& r, bool all_intervals) {
  std::ostringstream out;
  const sla::Verdict& v = r.verdict;
  out << "Series: account " << Shown(r.key.account) << ", " << Shown(r.key.region) << ", "
      << Shown(r.key.service) << ", " << r.key.month.ToString() << " (SLA " << v.sla_version
      << ", commitment " << FormatDecimal(v.commitment_pct, 0, 12) << "%)\n";
  out << "Intervals in the month: " << v.intervals << " (" << r.key.month.Days() << " days x "
      << 86400 / r.version->interval_seconds << " intervals of " << r.version->interval_seconds / 60
      << " minutes); intervals without requests count as "
      << FormatDecimal(r.version->empty_interval_error_rate * 100, 0, 12) << "% errors.\n";
  out << (all_intervals ? "Every interval with traffic:\n" : "Intervals with server errors:\n");
  char line[256];
  std::snprintf(line, sizeof line, "  %-20s  %10s  %8s  %-16s  %-16s  %10s  %10s\n",
                "INTERVAL START (UTC)", "REQUESTS", "FAILED", "ERROR RATE", "ERROR RATE %",
                "EXCLUDED", "NO ANSWER");
  out << line;
  Rational running = 0;
  for (const sla::IntervalCounts& c : r.intervals) {
    if (!all_intervals && c.failed == 0) continue;
    const Rational rate = sla::IntervalErrorRate(*r.version, c);
    running += rate;
    int64_t excluded = 0;
    for (int64_t x : c.excluded) excluded += x;
    std::snprintf(line, sizeof line, "  %-20s  %10lld  %8lld  %-16s  %-16s  %10lld  %10lld\n",
                  FormatTimestamp(c.start_ms).c_str(), static_cast<long long>(c.requests),
                  static_cast<long long>(c.failed), rate.get_str().c_str(),
                  FormatFixed(rate * 100, 8).c_str(), static_cast<long long>(excluded),
                  static_cast<long long>(c.no_response));
    out << line;
  }
  out << "Sum of interval error rates: " << v.sum_error_rates.get_str() << " = "
      << FormatFixed(v.sum_error_rates, 12) << "\n";
  out << "MUP = 100% - 100% x " << FormatFixed(v.sum_error_rates, 12) << " / " << v.intervals
      << " = " << FormatPct(v.mup_pct) << "%\n";
  out << "Breached: " << (v.breached ? "yes" : "no") << "; credit tier "
      << FormatDecimal(v.credit_pct, 0, 4) << "%";
  if (v.charges_usd) {
    out << "; charges " << UsdText(*v.charges_usd) << " (" << Shown(r.charges_note) << ")"
        << "; credit " << UsdText(*v.credit_before_minimum_usd);
    if (v.below_minimum) {
      out << " is not more than the " << UsdText(r.version->minimum_credit_usd)
          << " minimum: no credit";
    }
  } else {
    out << "; charges unknown (recoup billing import / billing set)";
  }
  out << "\nClaim must reach AWS by " << FormatTimestamp(v.claim_deadline_ms) << "\n";
  return out.str();
}

std::string RenderIntervalsCsv(const std::vector<ReportRow>& rows) {
  std::ostringstream out;
  out << "account,region,service,month,interval_start,requests,failed_requests,error_rate,"
         "error_rate_pct,excluded_throttling,excluded_client_error,excluded_custom_key_store,"
         "no_response_requests\n";
  for (const ReportRow& r : rows) {
    for (const sla::IntervalCounts& c : r.intervals) {
      const Rational rate = sla::IntervalErrorRate(*r.version, c);
      out << CsvText(r.key.account) << ',' << CsvText(r.key.region) << ',' << CsvText(r.key.service)
          << ',' << r.key.month.ToString() << ',' << FormatTimestamp(c.start_ms) << ','
          << c.requests << ',' << c.failed << ',' << rate.get_str() << ',' << FormatPct(rate * 100)
          << ',' << c.excluded[static_cast<int>(OutcomeClass::kThrottled)] << ','
          << c.excluded[static_cast<int>(OutcomeClass::kClientError)] << ','
          << c.excluded[static_cast<int>(OutcomeClass::kCustomKeyStore)] << ',' << c.no_response
          << '\n';
    }
  }
  return out.str();
}

}  // namespace recoup::report
