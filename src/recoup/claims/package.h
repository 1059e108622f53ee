// The evidence package of one claim: what AWS Support receives, and what a
// stranger needs to re-derive every number. Pure and deterministic: the same
// input gives the same bytes on every run and machine (no clock, sorted
// output, gzip with zero mtime and a fixed OS byte; the one machine-dependent
// part is the compressed bytes themselves, which depend on zlib's version).
//
// Files (paths relative to the package folder):
//   case-subject.txt   the case subject ("SLA Credit Request: ...")
//   case-body.txt      the case text (at most kMaxBodyChars characters)
//   intervals.csv      every interval with a server error, step by step to the MUP
//   mup-calculation.txt the MUP computed from the table, in words
//   requests.csv       the failing requests, sensitive values masked
//   health-events.json {"checked", "checked_through", "sources", "events", ...}: the
//                      AWS Health events overlapping the incident windows and
//                      whether AWS Health was checked for them at all
//   report.html        the whole package for people (forwardable)
//   how-to-file-in-console.txt  steps for filing without the Support API
//   attachments/       what is sent (<= 3 files, <= 5 MB each)
//   manifest.json      SHA-256 of every file above and of the inputs, versions
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/billing/charge.h"
#include "recoup/claims/record.h"
#include "recoup/core/status.h"
#include "recoup/events/event.h"
#include "recoup/health/record.h"
#include "recoup/sla/catalog.h"
#include "recoup/sla/evaluator.h"

namespace recoup::claims {

inline constexpr size_t kMaxBodyChars = 8000;                   // Support API limit
inline constexpr size_t kMaxAttachments = 3;                    // per attachment set
inline constexpr size_t kMaxAttachmentBytes = 5 * 1000 * 1000;  // 5 MB each

// Which sensitive values the request-log extract replaces with asterisks.
// Field names: "encryption_context", "source_ip", "principal" (the default
// set) and "key_id" (the key ID inside key ARNs; off by default, because AWS
// may need it to find the requests).
struct MaskPolicy {
  std::set<std::string> fields{"encryption_context", "principal", "source_ip"};
  // "encryption_context,principal,source_ip"; "none" for an empty set.
  static Result<MaskPolicy> Parse(std::string_view list);
  std::string ToString() const;
};

// Replaces sensitive values in free text according to `policy`: IPv4/IPv6
// addresses (source_ip); IAM/STS principal names in ARNs such as
// arn:aws:iam::111122223333:user/NAME or assumed-role/ROLE/SESSION
// (principal); encryption context objects or key=value lists after
// "encryptionContext"/"EncryptionContext" (encryption_context); the key ID of
// a KMS key ARN (key_id). Asterisks keep nothing of the value's length.
std::string MaskText(std::string_view text, const MaskPolicy& policy);

// Whether AWS Health was checked for a claim: a Health source (API sync,
// EventBridge import, SQS queue) covered its account and Region over every
// incident window. Only then may the package say that AWS Health shows no
// event; otherwise it says that recoup did not check AWS Health.
struct HealthCheck {
  bool checked = false;
  int64_t checked_through_ms = 0;    // where the coverage of the last window ends (0: unchecked)
  std::vector<std::string> sources;  // the sources whose coverage meets the windows, sorted
};

struct PackageInput {
  claims::ClaimRecord claim;
  const sla::SlaVersion* version = nullptr;  // required
  // The service's catalog entry: the claim subject, the fields its SLA asks
  // a claim to carry and the error codes it excludes. nullptr: the generic
  // wording (and no service fields).
  const sla::ServiceTerms* terms = nullptr;
  std::string service_name;  // "AWS Key Management Service"
  sla::Verdict verdict;
  std::vector<sla::IntervalCounts> intervals;  // intervals with traffic, any order
  std::vector<events::Event> failures;         // every failing request of the month
  std::optional<billing::ChargeRecord> charge;
  std::string charges_note;
  // recoup's own probe calls (answered, failed or unanswered) in the incident
  // windows, any order; written as probes.csv when there are any.
  std::vector<events::Event> probe_calls;
  std::vector<health::HealthEvent> health_events;  // overlapping the incident windows
  std::string health_note;                         // why there are none, or where they come from
  HealthCheck health_check;                        // unchecked unless a Health source covered it
  std::string catalog_version, catalog_sha256;
  std::string recoup_version;
  MaskPolicy mask;
  int64_t max_request_rows = 200000;  // the extract's cap (the manifest says if it was hit)
};

// One field a service's SLA asks a claim to carry (the catalog's
// `claim.required_fields`) beyond what every claim carries (billing cycle,
// Regions, incident times, request logs), filled from the failing requests:
// bucket names and request types for S3, table names for DynamoDB, function
// ARNs for Lambda, API IDs for API Gateway, and so on.
struct ClaimField {
  std::string name;                 // the catalog's name: "table_names"
  std::string label;                // for people: "DynamoDB table names"
  std::vector<std::string> values;  // distinct, sorted, at most kMaxClaimFieldValues
  int64_t distinct = 0;             // how many distinct values the failures name
};
inline constexpr size_t kMaxClaimFieldValues = 100;

// The service fields of `terms`' claim, in catalog order, each with the
// values that `failures` name (none when the evidence carries no resource,
// as SDK telemetry does not).
std::vector<ClaimField> ServiceClaimFields(const sla::ServiceTerms& terms,
                                           const std::vector<events::Event>& failures);

struct Attachment {
  std::string file_name;  // as AWS shows it
  std::string path;       // inside the package
};

struct IncidentWindow {
  int64_t start_ms = 0, end_ms = 0;  // [start, end)
  int64_t requests = 0, failed = 0;
  std::set<std::string> error_codes;
};

struct Package {
  std::string claim_id;
  std::string subject;
  std::string body;
  std::map<std::string, std::string> files;  // path -> bytes (sorted)
  std::vector<Attachment> attachments;
  std::vector<IncidentWindow> windows;
  std::string manifest_sha256;  // of manifest.json
};

// Consecutive failing intervals merged into windows (UTC).
std::vector<IncidentWindow> IncidentWindows(const std::vector<sla::IntervalCounts>& intervals,
                                            const std::vector<events::Event>& failures,
                                            int interval_seconds);

Result<Package> BuildPackage(const PackageInput& in);

// gzip with a fixed header (mtime 0, no name, OS byte 255) at level 9.
Result<std::string> GzipDeterministic(std::string_view data);

// The reconciliation marker every case recoup files carries in its subject.
std::string ClaimMarker(const std::string& claim_id);

// The command how-to-file-in-console.txt gives for recording a case filed
// in the console (CASE_ID is the placeholder for the case's ID).
std::string RecordCaseCommand(const std::string& claim_id);

}  // namespace recoup::claims
