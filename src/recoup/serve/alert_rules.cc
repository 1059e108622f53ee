#include "recoup/serve/alert_rules.h"

#include <nlohmann/json.hpp>

#include "recoup/core/time.h"

namespace recoup::serve {

namespace {

std::string Pct(const Rational& r) { return FormatFixed(r, 6, Rounding::kTruncate); }
std::string Usd(const Rational& r) { return FormatCents(r); }

// Money in an alert's JSON: `name` in dollars and cents, `name`_exact exact;
// null when unknown.
void PutUsd(nlohmann::ordered_json& j, const std::string& name,
            const std::optional<Rational>& usd) {
  j[name] = usd ? nlohmann::ordered_json(Usd(*usd)) : nlohmann::ordered_json(nullptr);
  j[name + "_exact"] =
      usd ? nlohmann::ordered_json(FormatUsd(*usd)) : nlohmann::ordered_json(nullptr);
}

std::string SeriesKeyText(const events::SeriesMonth& k) {
  return k.account + "/" + k.region + "/" + k.service + "/" + k.month.ToString();
}

std::string ServiceUpper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

nlohmann::ordered_json Figures(const SeriesSnapshot& s) {
  const sla::Verdict& v = s.verdict;
  nlohmann::ordered_json j;
  j["account"] = s.key.account;
  j["region"] = s.key.region;
  j["service"] = s.key.service;
  j["month"] = s.key.month.ToString();
  j["sla_version"] = v.sla_version;
  j["mup_pct"] = FormatFixed(v.mup_pct, 12, Rounding::kTruncate);
  j["commitment_pct"] = FormatDecimal(v.commitment_pct, 0, 12);
  j["credit_pct"] = FormatDecimal(v.credit_pct, 0, 6);
  PutUsd(j, "credit_usd", v.credit_usd);
  PutUsd(j, "charges_usd", v.charges_usd);
  j["requests"] = v.requests;
  j["failed_requests"] = v.failed_requests;
  j["failing_intervals"] = v.failing_intervals;
  j["judged_until"] = FormatTimestamp(s.judged_until_ms, true);
  j["claim_deadline"] = FormatTimestamp(v.claim_deadline_ms);
  return j;
}

std::string CreditText(const sla::Verdict& v) {
  if (!v.credit_usd) return "credit so far unknown (no charges recorded)";
  return "credit so far $" + Usd(*v.credit_usd);
}

}  // namespace

BurnResult BurnRate(const sla::SlaVersion& version, YearMonth month,
                    const std::vector<sla::IntervalCounts>& intervals, int64_t window_end_ms,
                    const BurnWindowConfig& window, int64_t min_requests) {
  BurnResult r;
  const int64_t interval_ms = int64_t{version.interval_seconds} * 1000;
  const int64_t month_intervals = (month.EndMs() - month.StartMs()) / interval_ms;
  const int64_t long_n = std::max<int64_t>(1, window.long_ms / interval_ms);
  const int64_t short_n = std::max<int64_t>(1, window.short_ms / interval_ms);
  const Rational budget_rate = (Rational(100) - version.commitment_pct) / 100;
  Rational share;
  if (auto p = ParseDecimal(window.budget_pct); p.ok()) share = *p / 100;
  r.threshold = share * month_intervals / long_n;
  Rational long_sum, short_sum;
  for (const sla::IntervalCounts& c : intervals) {
    if (c.start_ms >= window_end_ms) continue;
    const int64_t age = (window_end_ms - c.start_ms) / interval_ms;  // 1 = the last interval
    if (age > long_n) continue;
    const Rational rate = sla::IntervalErrorRate(version, c);
    long_sum += rate;
    r.long_requests += c.requests;
    if (age <= short_n) short_sum += rate;
  }
  if (budget_rate <= 0) return r;
  r.long_burn = long_sum / long_n / budget_rate;
  r.short_burn = short_sum / short_n / budget_rate;
  r.firing = r.long_requests >= min_requests && r.threshold > 0 && r.long_burn >= r.threshold &&
             r.short_burn >= r.threshold;
  return r;
}

std::vector<serve::AlertRecord> SeriesAlerts(const SeriesSnapshot& s, const AlertsConfig& config) {
  std::vector<serve::AlertRecord> out;
  if (s.version == nullptr) return out;
  const sla::Verdict& v = s.verdict;
  const std::string svc = ServiceUpper(s.key.service);
  if (v.breached) {
    serve::AlertRecord a;
    a.key = "tier/" + SeriesKeyText(s.key);
    a.kind = "tier";
    a.severity = "page";
    a.account = s.key.account;
    a.region = s.key.region;
    a.service = s.key.service;
    a.summary = svc + " " + s.key.region + " (" + s.key.account + ") " + s.key.month.ToString() +
                ": MUP so far " + Pct(v.mup_pct) + "% < " + FormatDecimal(v.commitment_pct, 0, 12) +
                "%: credit tier " + FormatDecimal(v.credit_pct, 0, 6) + "%, " + CreditText(v);
    a.detail_json = Figures(s).dump();
    a.fingerprint = FormatDecimal(v.credit_pct, 0, 6) + "|" +
                    (v.credit_usd ? Usd(*v.credit_usd) : std::string("?"));
    out.push_back(std::move(a));
  }
  const auto windows = config.burn_windows.empty() ? DefaultBurnWindows() : config.burn_windows;
  // One burn alert per series: the most severe firing window pair.
  for (const BurnWindowConfig& w : windows) {
    BurnResult b =
        BurnRate(*s.version, s.key.month, s.intervals, s.judged_until_ms, w, config.min_requests);
    if (!b.firing) continue;
    serve::AlertRecord a;
    a.key = "burn/" + SeriesKeyText(s.key);
    a.kind = "burn";
    a.severity = w.severity;
    a.account = s.key.account;
    a.region = s.key.region;
    a.service = s.key.service;
    const std::string lw = std::to_string(w.long_ms / 60000) + "m";
    const std::string sw = std::to_string(w.short_ms / 60000) + "m";
    a.summary = svc + " " + s.key.region + " (" + s.key.account + "): error budget burning " +
                FormatFixed(b.long_burn, 1, Rounding::kTruncate) + "x over " + lw + " (" +
                FormatFixed(b.short_burn, 1, Rounding::kTruncate) + "x over " + sw +
                "; threshold " + FormatFixed(b.threshold, 1, Rounding::kTruncate) +
                "x): MUP so far " + Pct(v.mup_pct) + "%, tier " +
                FormatDecimal(v.credit_pct, 0, 6) + "%, " + CreditText(v);
    nlohmann::ordered_json j = Figures(s);
    j["long_window_minutes"] = w.long_ms / 60000;
    j["short_window_minutes"] = w.short_ms / 60000;
    j["budget_pct"] = w.budget_pct;
    j["long_burn"] = FormatFixed(b.long_burn, 3, Rounding::kTruncate);
    j["short_burn"] = FormatFixed(b.short_burn, 3, Rounding::kTruncate);
    j["threshold"] = FormatFixed(b.threshold, 3, Rounding::kTruncate);
    j["long_window_requests"] = b.long_requests;
    a.detail_json = j.dump();
    a.fingerprint = w.severity + "|" + lw + "|" + FormatDecimal(v.credit_pct, 0, 6);
    out.push_back(std::move(a));
    break;
  }
  return out;
}

std::optional<serve::AlertRecord> DeadlineAlert(const SeriesSnapshot& s, const AlertsConfig& config,
                                                int64_t now_ms) {
  const sla::Verdict& v = s.verdict;
  if (!v.breached || v.claim_deadline_ms <= now_ms ||
      v.claim_deadline_ms - now_ms > config.deadline_warn_ms) {
    return std::nullopt;
  }
  serve::AlertRecord a;
  a.key = "deadline/" + SeriesKeyText(s.key);
  a.kind = "deadline";
  a.severity = "ticket";
  a.account = s.key.account;
  a.region = s.key.region;
  a.service = s.key.service;
  const int64_t days = (v.claim_deadline_ms - now_ms) / kMsPerDay;
  a.summary = ServiceUpper(s.key.service) + " " + s.key.region + " (" + s.key.account + ") " +
              s.key.month.ToString() + ": claim deadline " + FormatTimestamp(v.claim_deadline_ms) +
              " (" + std::to_string(days) + " days left): MUP " + Pct(v.mup_pct) + "%, tier " +
              FormatDecimal(v.credit_pct, 0, 6) + "%, " + CreditText(v);
  a.detail_json = Figures(s).dump();
  a.fingerprint = FormatDecimal(v.credit_pct, 0, 6);
  return a;
}

serve::AlertRecord SilentAlert(const std::string& source, int64_t last_event_ms, int64_t now_ms) {
  serve::AlertRecord a;
  a.key = "silent/" + source;
  a.kind = "silent";
  a.severity = "ticket";
  a.summary = "source " + source + " silent: " +
              (last_event_ms > 0 ? "no event since " + FormatTimestamp(last_event_ms, true)
                                 : std::string("no event since recoup started"));
  nlohmann::ordered_json j;
  j["source"] = source;
  j["last_event"] = last_event_ms > 0 ? nlohmann::ordered_json(FormatTimestamp(last_event_ms, true))
                                      : nlohmann::ordered_json(nullptr);
  j["checked_at"] = FormatTimestamp(now_ms, true);
  a.detail_json = j.dump();
  a.fingerprint = "silent";
  return a;
}

serve::AlertRecord SeriesLimitAlert(const std::string& source, int64_t refused, int64_t max_series,
                                    int64_t now_ms) {
  serve::AlertRecord a;
  a.key = "series_limit/" + source;
  a.kind = "series_limit";
  a.severity = "ticket";
  a.summary = "source " + source + " reached the bound of " + std::to_string(max_series) +
              " series per month (serve.max_series_per_source_month): " + std::to_string(refused) +
              " events of further series refused";
  nlohmann::ordered_json j;
  j["source"] = source;
  j["max_series_per_source_month"] = max_series;
  j["events_refused"] = refused;
  j["checked_at"] = FormatTimestamp(now_ms);
  a.detail_json = j.dump();
  a.fingerprint = "series_limit";
  return a;
}

AlertChanges Reconcile(const std::map<std::string, serve::AlertRecord>& current,
                       const std::vector<serve::AlertRecord>& desired,
                       const std::set<std::string>& kinds,
                       const std::vector<ChannelConfig>& channels, int64_t now_ms) {
  AlertChanges out;
  auto notify = [&](const serve::AlertRecord& a, const std::string& action) {
    out.announced.push_back(action + ": " + a.summary);
    nlohmann::ordered_json p;
    p["action"] = action;
    p["key"] = a.key;
    p["kind"] = a.kind;
    p["severity"] = a.severity;
    p["state"] = a.state;
    p["account"] = a.account;
    p["region"] = a.region;
    p["service"] = a.service;
    p["summary"] = a.summary;
    p["details"] = nlohmann::json::parse(a.detail_json, nullptr, false);
    p["opened"] = FormatTimestamp(a.opened_ms, true);
    p["updated"] = FormatTimestamp(a.updated_ms, true);
    if (a.resolved_ms > 0) p["resolved"] = FormatTimestamp(a.resolved_ms, true);
    for (const ChannelConfig& ch : channels) {
      serve::OutboxItem o;
      o.alert_key = a.key;
      o.channel = ch.name;
      o.action = action;
      o.payload_json = p.dump();
      o.next_attempt_ms = now_ms;
      o.created_ms = now_ms;
      out.notify.push_back(std::move(o));
    }
  };
  std::set<std::string> wanted;
  for (const serve::AlertRecord& d : desired) {
    wanted.insert(d.key);
    auto it = current.find(d.key);
    serve::AlertRecord a = d;
    a.state = "firing";
    a.updated_ms = now_ms;
    if (it == current.end()) {
      a.opened_ms = now_ms;
      out.save.push_back(a);
      notify(a, "firing");
      continue;
    }
    a.opened_ms = it->second.opened_ms;
    if (it->second.fingerprint != d.fingerprint) {
      out.save.push_back(a);
      notify(a, "updated");
    } else if (it->second.summary != d.summary || it->second.detail_json != d.detail_json) {
      out.save.push_back(a);  // figures moved: kept current, not worth a message
    }
  }
  for (const auto& [key, a] : current) {
    if (a.state != "firing" || wanted.count(key) || !kinds.count(a.kind)) continue;
    serve::AlertRecord r = a;
    r.state = "resolved";
    r.updated_ms = now_ms;
    r.resolved_ms = now_ms;
    out.save.push_back(r);
    notify(r, "resolved");
  }
  return out;
}

}  // namespace recoup::serve
