// The normalized model of one AWS API call outcome, whatever source saw it.
//
// EventView borrows its strings from the reader's buffer and is only valid
// until the reader moves on; Event owns them. Pure value types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace recoup::events {

// How the SLA sees an outcome. Stored as integers: never renumber.
enum class OutcomeClass : uint8_t {
  kSuccess = 0,
  kServerError = 1,     // counts against the SLA
  kThrottled = 2,       // excluded
  kClientError = 3,     // excluded
  kCustomKeyStore = 4,  // excluded: custom key stores carry no SLA
  kNoResponse = 5,      // never answered (timeout, connection error, no request ID):
                        // not AWS's count, but what the customer felt
};
constexpr int kOutcomeClassCount = 6;
const char* OutcomeClassName(OutcomeClass c);  // "success", "server_error", ...

// Where an event came from. Stored as bit positions: never renumber.
enum class SourceKind : uint8_t {
  kCloudTrail = 0,
  kCsm = 1,
  kJsonl = 2,
  kProbe = 3,
  kOtel = 4,
};
constexpr int kSourceKindCount = 5;
const char* SourceKindName(SourceKind s);  // "cloudtrail", "csm", ...
// "cloudtrail+probe" for a mask of (1 << SourceKind) bits, in bit order.
std::string SourceMaskName(uint32_t mask);

struct EventView {
  int64_t time_ms = 0;          // request time, UTC
  std::string_view account;     // 12-digit account ID
  std::string_view region;      // e.g. "us-east-1"
  std::string_view service;     // short name, e.g. "kms"
  std::string_view operation;   // e.g. "Decrypt"
  std::string_view error_code;  // empty on success
  std::string_view request_id;  // AWS request ID; empty if none was returned
  std::string_view resource;    // key ARN or key ID where known
  int http_status = 0;          // 0 when unknown (CloudTrail has none)
  int64_t latency_ms = -1;      // -1 when unknown
  OutcomeClass outcome = OutcomeClass::kSuccess;
  SourceKind source = SourceKind::kCloudTrail;
};

struct Event {
  int64_t time_ms = 0;
  std::string account, region, service, operation, error_code, request_id, resource;
  int http_status = 0;
  int64_t latency_ms = -1;
  OutcomeClass outcome = OutcomeClass::kSuccess;
  SourceKind source = SourceKind::kCloudTrail;
  // Every source that saw this request, as bits (1 << SourceKind), where the
  // store knows it (failures de-duplicated across sources); 0: just `source`.
  uint32_t seen_by = 0;

  static Event From(const EventView& v);
  EventView View() const;
};

// "kms.amazonaws.com" -> "kms"; "kms" -> "kms".
std::string_view ServiceFromEventSource(std::string_view event_source);

// Strips a shape prefix: "com.amazonaws.kms#KMSInternalException" -> "KMSInternalException",
// and a trailing ":..." as some JSON protocols send it.
std::string_view NormalizeErrorCode(std::string_view code);

}  // namespace recoup::events
