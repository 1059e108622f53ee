// Turns one raw JSON record into a normalized, classified event.
//
// Shapes understood (auto-detected per record, or forced by --format):
//   * a CloudTrail record (as in log files, organization trails, exports);
//   * a LookupEvents result ({"CloudTrailEvent": "<record as a string>", ...});
//   * an EventBridge event wrapping a CloudTrail record
//     ({"detail-type": "AWS API Call via CloudTrail", "detail": {...}});
//   * an AWS SDK client-side monitoring (CSM) datagram, as botocore sends it;
//   * an application log line, through a configurable field mapping.
// Not thread-safe: one parser per thread. Views returned in EventView stay
// valid until the next call.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/core/clock.h"
#include "recoup/core/mutex.h"
#include "recoup/core/status.h"
#include "recoup/events/event.h"
#include "recoup/ingest/record_stream.h"
#include "recoup/sla/catalog.h"
#include "recoup/sla/scopes.h"

namespace recoup::ingest {

// kAuto tells every JSON shape apart per record, and S3 and CloudFront access
// logs per file by their first bytes; API Gateway access logs are JSON of the
// user's own shape and need --format apigateway-access-log.
enum class InputFormat {
  kAuto,
  kCloudTrail,
  kCsm,
  kJsonl,
  kS3AccessLog,
  kApiGatewayAccessLog,
  kCloudFrontLog,
};
Result<InputFormat> ParseInputFormat(std::string_view name);

// Field mapping for JSON-lines application logs. Each entry is a dotted path
// into the object ("aws.requestId"). Defaults are the plain names below.
struct JsonlMapping {
  std::string time = "time";  // ISO 8601 string, or epoch ms/seconds number
  std::string account = "account";
  std::string region = "region";
  std::string service = "service";  // "kms" or "kms.amazonaws.com" or "KMS"
  std::string operation = "operation";
  std::string error_code = "error_code";
  std::string http_status = "http_status";
  std::string request_id = "request_id";
  std::string resource = "resource";
  std::string latency_ms = "latency_ms";
  std::string custom_key_store = "custom_key_store_id";

  // Parses "time=ts,request_id=aws.request_id,..." over the defaults.
  static Result<JsonlMapping> Parse(std::string_view spec);
};

// A bound on the distinct (account, Region, service) series each source kind
// may create in one month, shared by the parsers of one ingest run: an event
// of a further series is a rejected record ("series bound reached"), so a
// flood of invented identifiers cannot create unbounded state
// (docs/SECURITY.md, "Cardinality limits"). Thread-safe.
class SeriesLimit {
 public:
  // REQUIRES: max_series >= 1.
  explicit SeriesLimit(int64_t max_series) : max_(max_series) {}
  // True if `e`'s series is already admitted or fits under the bound.
  bool Admit(const events::EventView& e);
  int64_t max_series() const { return max_; }
  int64_t refused() const;

 private:
  const int64_t max_;
  mutable Mutex mu_;
  std::map<std::pair<int, int64_t>, std::set<std::string>> seen_ GUARDED_BY(mu_);
  int64_t refused_ GUARDED_BY(mu_) = 0;
};

// The default bound of `recoup ingest --max-series-per-source-month`.
inline constexpr int64_t kDefaultIngestMaxSeries = 10000;

struct ParserOptions {
  InputFormat format = InputFormat::kAuto;
  std::string default_account;                             // for sources without an account (CSM)
  std::string default_region;                              // for log lines that name none
  std::map<std::string, std::string> access_key_accounts;  // CSM AccessKey -> account
  // A CSM record with no account (neither mapped nor defaulted) is accepted
  // with an empty account instead of rejected; the caller attributes it
  // (csm_access_key() names its key).
  bool keep_unattributed = false;
  JsonlMapping mapping;
  // Reads "now" for the upper time bound (validate::TimeBounds: now plus the
  // clock-skew bound); not owned; nullptr: the system clock.
  const Clock* clock = nullptr;
  // Shared by every parser of a run; nullptr: no bound (serve bounds series
  // in its live sink instead).
  std::shared_ptr<SeriesLimit> series_limit;
  // The resources that count in a sub-scope's series (sla/scopes.h); shared
  // by every aggregator of a run; nullptr: none.
  std::shared_ptr<const sla::ScopeMap> scopes;
};

enum class ParseOutcome {
  kAccepted,  // `out` holds an event of a service the catalog covers
  kSkipped,   // valid, but not evidence (other service, ApiCall summary, service event)
  kRejected,  // invalid; `error` says why (field named): a field of the wrong JSON type,
              // or a value validate::EventFields refuses (time outside the SLA's
              // history or in the future, account, Region, request ID, ...)
};

class RecordParser {
 public:
  RecordParser(std::shared_ptr<const sla::Catalog> catalog, ParserOptions options);
  ~RecordParser();
  RecordParser(const RecordParser&) = delete;
  RecordParser& operator=(const RecordParser&) = delete;

  ParseOutcome Parse(const RawRecord& rec, events::EventView* out, std::string* error);
  // The AccessKey of the last CSM record parsed (empty: none); valid until
  // the next call.
  std::string_view csm_access_key() const;

  // Fast path for a whole document held in memory (a CloudTrail log file, a
  // LookupEvents page, an array or a single record): one parse for all its
  // records. Calls `fn` per record; records are named by index in errors.
  // Returns false, having called nothing, if the bytes are not exactly one
  // valid JSON document; the caller then splits them with RecordStream, which
  // isolates the bad parts. REQUIRES: capacity >= len + 64 readable bytes.
  using RecordFn = std::function<void(ParseOutcome, const events::EventView&, const std::string&)>;
  bool ParseDocument(const char* data, size_t len, size_t capacity, const RecordFn& fn);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace recoup::ingest
