// AWS Health events as recoup keeps them: the record the store holds and the
// package and report show.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace recoup::health {

// An AWS Health event as recoup keeps it (from the Health API, an aws.health
// EventBridge event, or an SQS message carrying one). One row per ARN; a
// newer lastUpdatedTime replaces an older one.
struct HealthEvent {
  std::string arn;                  // unique
  std::string service;              // Health's service name, e.g. "KMS"
  std::string event_type_code;      // "AWS_KMS_OPERATIONAL_ISSUE"
  std::string event_type_category;  // "issue", "accountNotification", "scheduledChange"
  std::string region;               // "us-east-1" (or "global")
  std::string status;               // "open", "closed", "upcoming"
  int64_t start_ms = 0;
  int64_t end_ms = 0;  // 0 while still open
  int64_t last_updated_ms = 0;
  std::string description;            // latest description text, may be empty
  std::vector<std::string> accounts;  // affected accounts (organization view); empty: all/own
  std::string source;                 // "health-api", "health-org-api", "eventbridge", "sqs"
};

// What one AWS Health source looked at: every event of `account` in
// `region` from start_ms to end_ms. A claim may say that AWS Health shows no
// event only where coverage like this spans its incident windows; otherwise
// it says that recoup did not check AWS Health.
struct HealthCoverage {
  std::string source;                // "health-api", "health-org-api", "eventbridge", "sqs"
  std::string account;               // 12 digits, or "*": every account (organization view)
  std::string region;                // "us-east-1", or "*": every Region
  int64_t start_ms = 0, end_ms = 0;  // [start, end)
};

}  // namespace recoup::health
