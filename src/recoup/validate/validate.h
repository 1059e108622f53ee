// The validation layer at the edge: one function per kind of value that
// enters the store from an outside source (CloudTrail, CSM, OTLP, JSON lines,
// AWS Health, billing). Every reader calls these before it keeps a value; a
// value that fails makes its record a rejected record with the message
// returned here, which names the field ("awsRegion: ..."). Nothing is ever
// fixed up: a value is kept as it came or the record is refused.
//
// Identifiers that later become parts of file names (account, Region,
// service, claim IDs) are checked again where files are written
// (FileNameComponent, ContainedPath).
//
// Pure functions of their arguments ("now" is a parameter); thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recoup/core/status.h"
#include "recoup/core/time.h"
#include "recoup/events/event.h"
#include "recoup/sla/catalog.h"

namespace recoup::validate {

// How far ahead of the receiving machine's clock an event time may be: the
// clock skew SigV4 itself tolerates (AWS refuses requests signed further out).
inline constexpr int64_t kClockSkewMs = 15 * kMsPerMinute;

// Length bounds, in bytes.
inline constexpr size_t kMaxRegionLength = 32;
inline constexpr size_t kMaxZoneLength = 40;
inline constexpr size_t kMaxServiceLength = 64;
inline constexpr size_t kMaxOperationLength = 128;
inline constexpr size_t kMaxErrorCodeLength = 256;
inline constexpr size_t kMaxRequestIdLength = 256;
inline constexpr size_t kMaxResourceLength = 2048;  // ARNs are at most 2048 characters
inline constexpr size_t kMaxFileNameComponent = 128;
inline constexpr int64_t kMaxLatencyMs = kMsPerDay;  // a call that took longer is not a call

// The times an event may carry: from the first day of the earliest SLA
// version in the catalog (no SLA governs anything older) to now plus the
// clock-skew bound. Both ends inclusive.
struct TimeBounds {
  int64_t earliest_ms = 0;
  int64_t latest_ms = 0;
  // Per service: the first instant of its earliest SLA version (an event of
  // a service is checked against its own SLA's history).
  std::vector<std::pair<std::string, int64_t>> service_earliest_ms;
  int64_t EarliestFor(std::string_view service) const;

  // `now_ms`: the wall clock of the receiving side.
  static TimeBounds For(const sla::Catalog& catalog, int64_t now_ms,
                        int64_t skew_ms = kClockSkewMs);
  // The first instant of the earliest SLA version's effective date.
  static int64_t EarliestMs(const sla::Catalog& catalog);
};

// Each function returns OK or INVALID_ARGUMENT "<field>: <why>", quoting at
// most a short, control-character-free prefix of the offending value.

// Exactly 12 ASCII digits.
Status AccountId(std::string_view field, std::string_view value);
// An AWS Region name: two lower-case letters, one to three lower-case words,
// a number ("us-east-1", "us-gov-west-1", "us-isob-east-1", "eu-central-2").
Status Region(std::string_view field, std::string_view value);
// An Availability Zone name (a Region plus a letter, "us-east-1a", or a
// Local Zone "us-west-2-lax-1a") or a zone ID ("use1-az1").
Status AvailabilityZone(std::string_view field, std::string_view value);
// A service key the catalog knows ("kms").
Status Service(std::string_view field, std::string_view value, const sla::Catalog& catalog);
// A request ID as AWS returns them: 1 to 256 printable ASCII characters
// without blanks or quotes.
Status RequestId(std::string_view field, std::string_view value);
// An ARN: arn:<partition>:<service>:<region>:<account>:<resource>, the Region
// empty or a Region, the account empty or 12 digits.
Status Arn(std::string_view field, std::string_view value);
// A time (epoch ms) within `bounds`.
Status Time(std::string_view field, int64_t ms, const TimeBounds& bounds);
// The same, with the lower bound of `service`'s own SLA history.
Status Time(std::string_view field, int64_t ms, const TimeBounds& bounds, std::string_view service);
// An integer in [lo, hi].
Status IntInRange(std::string_view field, int64_t value, int64_t lo, int64_t hi);
// Valid UTF-8 of at most `max_bytes` bytes without control characters
// (C0, DEL, C1).
Status Text(std::string_view field, std::string_view value, size_t max_bytes);
// A name safe as one path component: 1 to 128 of [A-Za-z0-9._-], not "." or
// "..", not starting with '-' or '.'.
Status FileNameComponent(std::string_view field, std::string_view value);
// True when `path`, resolved lexically (no symbolic links followed), stays
// inside `root` (a path below it, or the root itself).
bool PathInside(const std::string& root, const std::string& path);
// OK when PathInside; INVALID_ARGUMENT naming both otherwise.
Status ContainedPath(const std::string& root, const std::string& path);

// The names a source gives the fields of an event, for the messages.
struct FieldNames {
  std::string_view time = "time";
  std::string_view account = "account";
  std::string_view region = "region";
  std::string_view service = "service";
  std::string_view operation = "operation";
  std::string_view error_code = "error_code";
  std::string_view request_id = "request_id";
  std::string_view resource = "resource";
  std::string_view http_status = "http_status";
  std::string_view latency_ms = "latency_ms";
};

// Every field of a normalized event, as a reader is about to keep it: time
// within bounds, account, Region and service valid, the operation, error
// code and resource bounded text (a resource that starts with "arn:" must be
// an ARN), the request ID empty (no answer) or valid, the HTTP status 0 or
// 100..999, the latency -1 or 0..kMaxLatencyMs.
Status EventFields(const events::EventView& event, const FieldNames& names,
                   const TimeBounds& bounds, const sla::Catalog& catalog);

}  // namespace recoup::validate
