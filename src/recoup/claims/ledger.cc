#include "recoup/claims/ledger.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>
#include <utility>

#include "recoup/claims/claim.h"
#include "recoup/core/safe_text.h"

namespace recoup::claims {

namespace {

int Rank(const std::string& state) {
  if (IsUnfiled(state)) return 0;
  if (!IsTerminal(state) && state != kDenied) return 1;
  return 2;
}

std::string Money(const Rational& r) { return FormatCents(r); }

// Money in JSON: `*_usd` in dollars and cents (Cents) with `*_usd_exact`
// (Exact) beside it; null when unknown. `credit_asked`/`credit_received`
// stay as they were (exact), for scripts that read them.
nlohmann::json Cents(const std::optional<Rational>& usd) {
  return usd ? nlohmann::json(FormatCents(*usd)) : nlohmann::json();
}
nlohmann::json Exact(const std::optional<Rational>& usd) {
  return usd ? nlohmann::json(FormatUsd(*usd)) : nlohmann::json();
}

// Money in CSV: the cents cell and the exact cell, empty when unknown.
std::string CsvUsd(const std::optional<Rational>& usd) {
  return usd ? FormatCents(*usd) + ',' + FormatUsd(*usd) : std::string(",");
}

nlohmann::json OrNull(const std::string& s) {
  return s.empty() ? nlohmann::json() : nlohmann::json(s);
}

// The totals of the text table: a heading row (`key_title`: "MONTH",
// "SERVICE"), then one row per total.
void WriteTotals(std::ostream& out, const char* key_title, const std::vector<LedgerTotal>& totals) {
  char line[512];
  std::snprintf(line, sizeof line, "  %-12s  %6s  %12s  %12s\n", key_title, "CLAIMS", "ASKED $",
                "RECOVERED $");
  out << line;
  for (const LedgerTotal& t : totals) {
    std::snprintf(line, sizeof line, "  %-12s  %6lld  %12s  %12s\n", t.key.c_str(),
                  static_cast<long long>(t.claims), Money(t.asked).c_str(),
                  Money(t.received).c_str());
    out << line;
  }
}

// The totals of `by_key`, each with its key, in key order.
std::vector<LedgerTotal> KeyedTotals(const std::map<std::string, LedgerTotal>& by_key) {
  std::vector<LedgerTotal> out;
  out.reserve(by_key.size());
  for (const auto& [k, t] : by_key) {
    out.push_back(t);
    out.back().key = k;
  }
  return out;
}

}  // namespace

Ledger BuildLedger(std::vector<claims::ClaimRecord> claims, int64_t now_ms, int reminder_days) {
  Ledger l;
  l.reminder_days = reminder_days;
  std::sort(claims.begin(), claims.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(Rank(a.state), a.deadline_ms, a.id) <
           std::make_tuple(Rank(b.state), b.deadline_ms, b.id);
  });
  std::map<std::string, LedgerTotal> months, services;
  for (claims::ClaimRecord& c : claims) {
    LedgerRow r;
    r.days_left = DaysLeft(c.deadline_ms, now_ms);
    r.remind = IsUnfiled(c.state) && r.days_left <= reminder_days;
    const bool counts = c.state != kWithdrawn && c.state != kExpired;
    const Rational received = c.credit_received.value_or(Rational(0));
    for (auto* m : {&months[c.month.ToString()], &services[c.service]}) {
      if (counts) m->asked += c.credit_asked;
      m->received += received;
      ++m->claims;
    }
    if (counts) l.asked += c.credit_asked;
    l.received += received;
    r.claim = std::move(c);
    l.rows.push_back(std::move(r));
  }
  l.by_month = KeyedTotals(months);
  l.by_service = KeyedTotals(services);
  return l;
}

std::string RenderLedgerTable(const Ledger& l) {
  std::ostringstream out;
  if (l.rows.empty()) {
    out << "no claims (a claim appears when recoup report shows a breach)\n";
    return out.str();
  }
  char line[512];
  std::snprintf(line, sizeof line, "%-40s  %-17s  %-16s  %4s  %12s  %12s  %-20s  %9s  %s\n",
                "CLAIM", "STATE", "MUP %", "TIER", "ASKED $", "RECEIVED $", "DEADLINE (UTC)",
                "DAYS LEFT", "CASE");
  out << line;
  for (const LedgerRow& r : l.rows) {
    const claims::ClaimRecord& c = r.claim;
    std::snprintf(
        line, sizeof line, "%-40s  %-17s  %-16s  %3s%%  %12s  %12s  %-20s  %9lld  %s%s\n",
        EscapeControls(c.id).c_str(), EscapeControls(c.state).c_str(),
        EscapeControls(c.mup_pct.substr(0, 16)).c_str(), EscapeControls(c.credit_pct).c_str(),
        Money(c.credit_asked).c_str(), c.credit_received ? Money(*c.credit_received).c_str() : "-",
        FormatTimestamp(c.deadline_ms).c_str(), static_cast<long long>(r.days_left),
        c.case_id.empty() ? "-" : EscapeControls(c.case_id).c_str(),
        r.remind
            ? (r.days_left < 0 ? "  (deadline passed)" : "  REMINDER: file before the deadline")
            : "");
    out << line;
  }
  out << "\nTotals (withdrawn and expired claims ask nothing):\n";
  WriteTotals(out, "MONTH", l.by_month);
  WriteTotals(out, "SERVICE", l.by_service);
  std::snprintf(line, sizeof line, "  %-12s  %6zu  %12s  %12s\n", "ALL", l.rows.size(),
                Money(l.asked).c_str(), Money(l.received).c_str());
  out << line;
  return out.str();
}

std::string RenderLedgerJson(const Ledger& l) {
  nlohmann::json j;
  j["reminder_days"] = l.reminder_days;
  j["claims"] = nlohmann::json::array();
  for (const LedgerRow& r : l.rows) {
    const claims::ClaimRecord& c = r.claim;
    j["claims"].push_back(
        {{"id", c.id},
         {"account", c.account},
         {"region", c.region},
         {"service", c.service},
         {"month", c.month.ToString()},
         {"state", c.state},
         {"mup_pct", c.mup_pct},
         {"credit_pct", c.credit_pct},
         {"credit_asked", FormatUsd(c.credit_asked)},
         {"credit_received", c.credit_received ? nlohmann::json(FormatUsd(*c.credit_received))
                                               : nlohmann::json(nullptr)},
         {"credit_asked_usd", Cents(c.credit_asked)},
         {"credit_asked_usd_exact", Exact(c.credit_asked)},
         {"credit_received_usd", Cents(c.credit_received)},
         {"credit_received_usd_exact", Exact(c.credit_received)},
         {"deadline", FormatTimestamp(c.deadline_ms)},
         {"days_left", r.days_left},
         {"reminder", r.remind},
         {"case_id", OrNull(c.case_id)},
         {"case_status", OrNull(c.case_status)},
         {"sla_version", c.sla_version}});
  }
  auto totals = [](const std::vector<LedgerTotal>& v, const char* key) {
    nlohmann::json a = nlohmann::json::array();
    for (const LedgerTotal& t : v) {
      a.push_back({{key, t.key},
                   {"claims", t.claims},
                   {"credit_asked", FormatUsd(t.asked)},
                   {"credit_received", FormatUsd(t.received)},
                   {"credit_asked_usd", Cents(t.asked)},
                   {"credit_asked_usd_exact", Exact(t.asked)},
                   {"credit_received_usd", Cents(t.received)},
                   {"credit_received_usd_exact", Exact(t.received)}});
    }
    return a;
  };
  j["totals"] = {
      {"credit_asked", FormatUsd(l.asked)},       {"credit_received", FormatUsd(l.received)},
      {"credit_asked_usd", Cents(l.asked)},       {"credit_asked_usd_exact", Exact(l.asked)},
      {"credit_received_usd", Cents(l.received)}, {"credit_received_usd_exact", Exact(l.received)},
      {"by_month", totals(l.by_month, "month")},  {"by_service", totals(l.by_service, "service")}};
  return j.dump(2) + "\n";
}

std::string RenderLedgerCsv(const Ledger& l) {
  std::ostringstream out;
  out << "id,account,region,service,month,state,mup_pct,credit_pct,credit_asked_usd,"
         "credit_asked_usd_exact,credit_received_usd,credit_received_usd_exact,deadline,days_left,"
         "reminder,case_id\n";
  for (const LedgerRow& r : l.rows) {
    const claims::ClaimRecord& c = r.claim;
    out << CsvText(c.id) << ',' << CsvText(c.account) << ',' << CsvText(c.region) << ','
        << CsvText(c.service) << ',' << c.month.ToString() << ',' << CsvText(c.state) << ','
        << CsvText(c.mup_pct) << ',' << CsvText(c.credit_pct) << ',' << CsvUsd(c.credit_asked)
        << ',' << CsvUsd(c.credit_received) << ',' << FormatTimestamp(c.deadline_ms) << ','
        << r.days_left << ',' << (r.remind ? "true" : "false") << ',' << CsvText(c.case_id) << '\n';
  }
  return out.str();
}

}  // namespace recoup::claims
