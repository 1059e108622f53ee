// A claim and its history as records: what the store keeps of each SLA
// credit claim. The rules that move a claim (claims/claim.h) and the store
// (storage/store.h) both speak these types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "recoup/core/exact.h"
#include "recoup/core/time.h"

namespace recoup::claims {

// A claim: one per (account, Region, service, month) that breached. The
// claims module owns its life cycle; others (dashboard, reminders) read it.
struct ClaimRecord {
  std::string id;  // stable, e.g. "111122223333-us-east-1-kms-2026-10"
  std::string account, region, service;
  YearMonth month;
  // detected, ready, filed, awaiting-customer, approved, denied, credited,
  // expired, withdrawn
  std::string state;
  std::string mup_pct;     // as reported (truncated decimal)
  std::string credit_pct;  // tier, e.g. "10"
  Rational credit_asked;   // USD
  std::optional<Rational> credit_received;
  int64_t deadline_ms = 0;  // last millisecond a claim may be filed
  std::string case_id;      // AWS Support case ID once filed
  std::string sla_version;
  int64_t created_ms = 0, updated_ms = 0;
  // Filled by the claims module as the claim moves on.
  std::optional<Rational> charges_usd;  // the credit base the credit was computed from
  int64_t failed_requests = 0;          // server errors counted against the SLA
  int64_t failing_intervals = 0;
  std::string package_sha256;  // of the last built package's manifest
  std::string case_status;     // AWS Support's status of the case ("opened", "resolved", ...)
  std::string display_id;      // the case number shown in the console
  int64_t filed_ms = 0;
  int64_t credited_ms = 0;
};

// One move of a claim from one state to another (append only).
struct ClaimTransition {
  std::string claim_id;
  int64_t seq = 0;  // 1, 2, ... per claim
  int64_t at_ms = 0;
  std::string from_state;  // "" for the first record (creation)
  std::string to_state;
  std::string reason;
};

// What was about to be, or was, sent to AWS Support for a claim. Written
// BEFORE CreateCase so that a crash between the request and the reply is
// noticed and reconciled (DescribeCases) instead of filing twice.
struct ClaimFiling {
  std::string claim_id;  // primary key
  // "intent": about to call CreateCase (the case may or may not exist);
  // "filed": case_id known; "manual": prepared for filing in the console.
  std::string status;
  std::string subject;  // carries the claim ID: the reconciliation key
  std::string attachment_set_id;
  std::string case_id;
  int64_t attempts = 0;  // CreateCase calls made
  int64_t created_ms = 0, updated_ms = 0;
};

// A message on a claim's case, from AWS or from the customer.
struct ClaimCommunication {
  std::string claim_id;
  std::string case_id;
  std::string time_created;  // as AWS gives it
  std::string submitted_by;
  std::string body;
  std::vector<std::string> attachments;  // file names
};

}  // namespace recoup::claims
