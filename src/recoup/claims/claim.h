// Claims as records: the life cycle of one SLA credit claim per (account,
// Region, service, month) that breached, and the rules that decide whether
// it can be filed. Pure: no clock, files or store; "now" is a parameter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/claims/record.h"
#include "recoup/core/exact.h"
#include "recoup/core/time.h"
#include "recoup/events/series.h"
#include "recoup/sla/catalog.h"
#include "recoup/sla/evaluator.h"

namespace recoup::claims {

// The states a claim moves through (ClaimRecord::state holds the name).
//   forming           a breach in a month that is not over yet: nothing can be
//                     built or filed until the month ends (AWS credits a whole
//                     month's uptime); then it becomes detected
//   detected          a breach was found in a closed month; no package built yet
//   ready             the package is built and the claim can be filed
//   filed             a Support case exists
//   awaiting-customer AWS asked the customer something
//   approved          AWS accepted the claim
//   denied            AWS refused it
//   credited          the credit appeared on a bill
//   expired           the deadline passed before it was filed
//   withdrawn         the breach no longer holds, or the user gave it up
inline constexpr std::string_view kForming = "forming";
inline constexpr std::string_view kDetected = "detected";
inline constexpr std::string_view kReady = "ready";
inline constexpr std::string_view kFiled = "filed";
inline constexpr std::string_view kAwaitingCustomer = "awaiting-customer";
inline constexpr std::string_view kApproved = "approved";
inline constexpr std::string_view kDenied = "denied";
inline constexpr std::string_view kCredited = "credited";
inline constexpr std::string_view kExpired = "expired";
inline constexpr std::string_view kWithdrawn = "withdrawn";

const std::vector<std::string_view>& AllStates();
bool IsKnownState(std::string_view state);
// True if the life cycle allows from -> to (from == to is not a transition).
bool CanTransition(std::string_view from, std::string_view to);
// States in which nothing more happens.
bool IsTerminal(std::string_view state);
// States before a case exists (forming, detected, ready).
bool IsUnfiled(std::string_view state);

// Why the claim's month does not allow a claim yet ("the month 2026-11 is
// not over ..."); nullopt once the month has ended at `now_ms`.
std::optional<std::string> MonthNotOverReason(const claims::ClaimRecord& claim, int64_t now_ms);

// "111122223333-us-east-1-kms-2026-10".
std::string ClaimId(const std::string& account, const std::string& region,
                    const std::string& service, YearMonth month);

// Whole days from `now_ms` until the deadline (rounded down; negative once
// it has passed).
int64_t DaysLeft(int64_t deadline_ms, int64_t now_ms);

// Why a claim must not be filed (each reason one sentence); empty: it can be.
// A claim is refused when its month is not over yet, when it is past its deadline, when its credit
// is at or below the catalog's minimum or unknown (no charges), or when its breach has no server
// error that counts (only excluded errors).
std::vector<std::string> RefusalReasons(const claims::ClaimRecord& claim,
                                        const sla::SlaVersion& version, int64_t now_ms);

// Sets on `claim` the figures a verdict decides: MUP, credit tier and amount
// asked (the amount before the minimum when the minimum zeroed it), charges,
// deadline, SLA version, failing requests and intervals. Identity, state and
// times are left alone.
void TakeVerdictFigures(const sla::Verdict& verdict, claims::ClaimRecord* claim);

// A claim record for a breached verdict (state "detected", or "forming"
// while its month is not over at `now_ms`); `now_ms` sets created/updated
// times.
claims::ClaimRecord ClaimFromVerdict(const events::SeriesMonth& key, const sla::Verdict& verdict,
                                     int64_t now_ms);

// Maps an AWS Support case status ("opened", "pending-customer-action",
// "reopened", "resolved", "unassigned", "work-in-progress") to the claim
// state it implies for a filed claim; nullopt: no change. A resolved case
// does not say whether AWS approved: that comes from the credit on the bill
// or the user (recoup claims set-state).
std::optional<std::string> StateForCaseStatus(std::string_view case_status,
                                              std::string_view current_state);

// The SLA percentage as claims show it: "99.9" (from the exact rational,
// truncated to `digits`, trailing zeros trimmed).
std::string PctText(const Rational& pct, int digits = 6);

}  // namespace recoup::claims
