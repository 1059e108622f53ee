#include "recoup/claims/claim.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace recoup::claims {

namespace {

struct Edge {
  std::string_view from, to;
};

// The life cycle. Anything not listed is refused.
constexpr Edge kEdges[] = {
    {kForming, kDetected},
    {kForming, kWithdrawn},
    {kDetected, kForming},
    {kReady, kForming},
    {kDetected, kReady},
    {kDetected, kExpired},
    {kDetected, kWithdrawn},
    {kReady, kDetected},
    {kReady, kFiled},
    {kReady, kExpired},
    {kReady, kWithdrawn},
    {kFiled, kAwaitingCustomer},
    {kFiled, kApproved},
    {kFiled, kDenied},
    {kFiled, kCredited},
    {kFiled, kWithdrawn},
    {kAwaitingCustomer, kFiled},
    {kAwaitingCustomer, kApproved},
    {kAwaitingCustomer, kDenied},
    {kAwaitingCustomer, kCredited},
    {kAwaitingCustomer, kWithdrawn},
    {kApproved, kCredited},
    {kDenied, kReady},
};

}  // namespace

const std::vector<std::string_view>& AllStates() {
  static const std::vector<std::string_view> kAll = {
      kForming,  kDetected, kReady,    kFiled,   kAwaitingCustomer,
      kApproved, kDenied,   kCredited, kExpired, kWithdrawn};
  return kAll;
}

bool IsKnownState(std::string_view state) {
  const auto& all = AllStates();
  return std::find(all.begin(), all.end(), state) != all.end();
}

bool CanTransition(std::string_view from, std::string_view to) {
  for (const Edge& e : kEdges) {
    if (e.from == from && e.to == to) return true;
  }
  return false;
}

bool IsTerminal(std::string_view state) {
  return state == kCredited || state == kExpired || state == kWithdrawn;
}

bool IsUnfiled(std::string_view state) {
  return state == kForming || state == kDetected || state == kReady;
}

std::optional<std::string> MonthNotOverReason(const claims::ClaimRecord& c, int64_t now_ms) {
  if (now_ms >= c.month.EndMs()) return std::nullopt;
  return "the month " + c.month.ToString() + " is not over (it ends at " +
         FormatTimestamp(c.month.EndMs()) +
         " UTC): AWS credits a whole month's uptime, so the claim stays forming until then";
}

std::string ClaimId(const std::string& account, const std::string& region,
                    const std::string& service, YearMonth month) {
  return account + "-" + region + "-" + service + "-" + month.ToString();
}

int64_t DaysLeft(int64_t deadline_ms, int64_t now_ms) {
  int64_t left;
  if (__builtin_sub_overflow(deadline_ms, now_ms, &left)) {
    left = deadline_ms < now_ms ? std::numeric_limits<int64_t>::min()
                                : std::numeric_limits<int64_t>::max();
  }
  return FloorDiv(left, kMsPerDay);
}

std::vector<std::string> RefusalReasons(const claims::ClaimRecord& c,
                                        const sla::SlaVersion& version, int64_t now_ms) {
  std::vector<std::string> out;
  if (auto not_over = MonthNotOverReason(c, now_ms)) out.push_back(*not_over);
  if (now_ms > c.deadline_ms) {
    out.push_back("the deadline passed at " + FormatTimestamp(c.deadline_ms) +
                  " (AWS must receive the claim by the end of the second billing cycle after " +
                  c.month.ToString() + "); a late claim is denied");
  }
  if (c.failed_requests <= 0) {
    out.push_back(
        "the breach has no server error that counts: every error was excluded by the SLA "
        "(throttling, client errors, custom key stores)");
  }
  if (!c.charges_usd) {
    out.push_back("the credit is unknown: no " + c.service + " charges for " + c.region + " in " +
                  c.month.ToString() +
                  " (recoup billing import CUR.csv, or recoup billing set ...)");
  } else if (c.credit_asked <= version.minimum_credit_usd) {
    out.push_back("the credit ($" + FormatUsd(c.credit_asked) + ") is not more than the $" +
                  FormatUsd(version.minimum_credit_usd) +
                  " minimum; AWS issues no credit at or below it");
  }
  return out;
}

void TakeVerdictFigures(const sla::Verdict& v, claims::ClaimRecord* c) {
  c->mup_pct = FormatPct(v.mup_pct);
  c->credit_pct = FormatDecimal(v.credit_pct, 0, 4);
  c->credit_asked = v.credit_usd ? *v.credit_usd : Rational(0);
  if (v.credit_before_minimum_usd && v.below_minimum)
    c->credit_asked = *v.credit_before_minimum_usd;
  c->charges_usd = v.charges_usd;
  c->deadline_ms = v.claim_deadline_ms;
  c->sla_version = v.sla_version;
  c->failed_requests = v.failed_requests;
  c->failing_intervals = v.failing_intervals;
}

claims::ClaimRecord ClaimFromVerdict(const events::SeriesMonth& key, const sla::Verdict& v,
                                     int64_t now_ms) {
  claims::ClaimRecord c;
  c.id = ClaimId(key.account, key.region, key.service, key.month);
  c.account = key.account;
  c.region = key.region;
  c.service = key.service;
  c.month = key.month;
  c.state = std::string(now_ms < key.month.EndMs() ? kForming : kDetected);
  TakeVerdictFigures(v, &c);
  c.created_ms = now_ms;
  c.updated_ms = now_ms;
  return c;
}

std::optional<std::string> StateForCaseStatus(std::string_view case_status,
                                              std::string_view current) {
  if (current != kFiled && current != kAwaitingCustomer) return std::nullopt;
  if (case_status == "pending-customer-action") {
    if (current == kFiled) return std::string(kAwaitingCustomer);
    return std::nullopt;
  }
  if (case_status == "opened" || case_status == "reopened" || case_status == "unassigned" ||
      case_status == "work-in-progress") {
    if (current == kAwaitingCustomer) return std::string(kFiled);
  }
  return std::nullopt;
}

std::string PctText(const Rational& pct, int digits) { return FormatDecimal(pct, 0, digits); }

}  // namespace recoup::claims
