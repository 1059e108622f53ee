// Alerts and their notifications as records: what the live evaluator raises
// and the notifier sends, kept in the store (the outbox) so that none is lost
// across a restart.
#pragma once

#include <cstdint>
#include <string>

namespace recoup::serve {

// An alert as raised, updated and resolved by the live evaluator.
struct AlertRecord {
  std::string key;       // unique: "<kind>/<account>/<region>/<service>/<month or window>"
  std::string kind;      // "tier", "burn", "silent", "deadline"
  std::string state;     // "firing" or "resolved"
  std::string severity;  // "page", "ticket", "info"
  std::string account, region, service;
  std::string summary;      // one line for people
  std::string detail_json;  // the figures: MUP, tier, credit so far, windows, ...
  std::string fingerprint;  // a change of fingerprint is an update worth sending
  int64_t opened_ms = 0, updated_ms = 0, resolved_ms = 0;
};

// One notification of one alert change to one channel (the outbox).
struct OutboxItem {
  int64_t id = 0;  // assigned by the store
  std::string alert_key;
  std::string channel;  // the configured channel's name
  std::string action;   // "firing", "updated", "resolved"
  std::string payload_json;
  std::string state = "pending";  // "pending", "sent", "failed"
  int64_t attempts = 0;
  int64_t next_attempt_ms = 0;
  int64_t created_ms = 0, sent_ms = 0;
  std::string last_error;  // secret-free
};

}  // namespace recoup::serve
