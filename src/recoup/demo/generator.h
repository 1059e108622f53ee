// A deterministic generator of one realistic month of AWS KMS evidence, used by
// `recoup demo` (which ingests the output and prints the SLA verdict and credit).
//
// GenerateDemo writes, under DemoOptions::out_dir:
//   cloudtrail/AWSLogs/o-a1b2c3d4e5/<account>/CloudTrail/<region>/<YYYY>/<MM>/<DD>/
//       <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 alnum>.json.gz
//     An organization trail: gzip'd {"Records":[...]}, one file per account,
//     Region and hour, named after its delivery time (3-9 minutes after its
//     newest record, so the last hour of the month lands in the next month's
//     folder, as real delivery does). Some records of an hour's last 90 seconds
//     are delivered in the next hour's file.
//   csm/payments-app.csm.jsonl
//     AWS SDK client-side monitoring datagrams, one per line, byte-for-byte in
//     botocore's format (ApiCallAttempt and ApiCall), of account 111122223333's
//     application in us-east-1 on the outage day, all day.
//   cur/cur-<YYYY-MM>.csv.gz
//     A legacy Cost and Usage Report (monthly granularity, resource IDs on key
//     rows) with KMS key and request rows per account and Region, a Tax row per
//     account, and some other products' rows.
//   data-events/AWSLogs/o-a1b2c3d4e5/<account>/CloudTrail/<region>/...
//     A second organization trail, of data events: DynamoDB item calls,
//     Lambda Invoke and SQS message calls, laid out as the first.
//   csm/orders-app.csm.jsonl
//     botocore CSM of payments' order service: its DynamoDB calls in
//     us-east-1 during the day-20 outage (the same request IDs as the trail).
//   s3-access-logs/<account>/<bucket>/<YYYY-MM-DD-HH-MM-SS>-<16 hex>
//     S3 server access logs of each account's bucket, one object an hour.
//   apigateway/<account>/<region>/access-<YYYY-MM>.jsonl.gz
//     API Gateway access logs of payments' REST API (JSON lines with the
//     $context variables).
//   truth.json
//     What the generator knows, counted while generating: CloudTrail KMS calls
//     by SLA class per (account, Region), every 5-minute interval with a server
//     error, the CSM-only failures and unanswered attempts, the KMS charges, and
//     the MUP, tier and credit these imply under the 2022 KMS SLA.
//
// The scenario (month M, any month; days are day-of-month):
//   * accounts 111122223333 "payments" and 444455556666 "analytics", Regions
//     us-east-1, eu-west-1, ap-southeast-2; diurnal traffic of ~1-8 KMS calls per
//     5 minutes per account and Region, about 2% other services' records;
//   * day 14, 09:10-09:45 UTC (7 intervals): partial KMS outage in us-east-1,
//     25-60% of calls fail with KMSInternalException, DependencyTimeoutException
//     or KeyUnavailableException in both accounts; the payments application's
//     daily settlement run (09:00-10:00 UTC) makes that account busy then;
//   * day 8, 01:00-03:00 and day 22, 13:00-13:30 UTC: throttling bursts (60%
//     ThrottlingException) of analytics' ETL in eu-west-1 (excluded by the SLA);
//   * day 21, 03:00-04:00 UTC: payments' external-key-store (XKS) key in
//     ap-southeast-2 fails every call with KMSInvalidStateException (excluded);
//   * client errors scattered everywhere (AccessDenied, NotFound, IncorrectKey,
//     InvalidCiphertext), a disabled key (DisabledException, analytics us-east-1)
//     and a key pending deletion (KMSInvalidStateException, payments eu-west-1);
//   * day 20, 06:50-09:20 UTC (30 intervals): a partial outage in us-east-1
//     that hits several services at once: DynamoDB (up to 85% of calls fail
//     with InternalServerError), Lambda (55%, ServiceException), SQS (45%,
//     InternalError), API Gateway (40%, its own 5xx) and S3 (10%, InternalError
//     and ServiceUnavailable: within its SLA); analytics' DynamoDB jobs in
//     eu-west-1 run over their provisioned throughput all month (throttling,
//     excluded) and every service sees a few client errors;
//   * no other server error anywhere.
//
// Everything is a pure function of (month, seed): same inputs, byte-identical
// files. No clock, no std::random_device, no floating point in the model.
// Thread-compatible: concurrent calls must use different out_dirs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recoup/core/status.h"
#include "recoup/core/time.h"

namespace recoup::demo {

inline constexpr std::string_view kOrganizationId = "o-a1b2c3d4e5";
inline constexpr std::string_view kPaymentsAccount = "111122223333";
inline constexpr std::string_view kAnalyticsAccount = "444455556666";
inline constexpr std::string_view kPayerAccount = "999988887777";
inline constexpr std::string_view kCsmClientId = "payments-app";
inline constexpr int kOutageDay = 14;  // the CSM file covers this whole day

struct DemoOptions {
  std::string out_dir;  // created if missing; must not already hold files
  YearMonth month{2026, 10};
  uint64_t seed = 20261014;
};

// Where everything went and how much of it there is. Paths are out_dir joined
// with the relative layout above.
struct DemoManifest {
  std::string out_dir;
  std::string cloudtrail_dir;                 // <out_dir>/cloudtrail
  std::vector<std::string> cloudtrail_files;  // sorted
  std::string csm_file;
  std::string data_events_dir;    // <out_dir>/data-events
  std::string services_csm_file;  // <out_dir>/csm/orders-app.csm.jsonl
  std::string apigateway_dir;     // <out_dir>/apigateway
  // (account, folder) of each account's S3 server access logs.
  std::vector<std::pair<std::string, std::string>> s3_access_log_dirs;
  std::string cur_file;
  std::string truth_file;
  int64_t cloudtrail_records = 0;     // every record in every CloudTrail file
  int64_t kms_records = 0;            // of which eventSource kms.amazonaws.com
  int64_t other_service_records = 0;  // sts, s3, secretsmanager
  int64_t csm_lines = 0;              // ApiCallAttempt + ApiCall datagrams
  int64_t csm_attempts = 0;           // ApiCallAttempt datagrams
  int64_t data_event_records = 0;     // DynamoDB, Lambda, SQS records of the data-event trail
  int64_t s3_log_lines = 0;
  int64_t apigateway_log_lines = 0;
  int64_t cur_rows = 0;       // data rows, header excluded
  int64_t bytes_written = 0;  // all files, as stored (compressed)
};

// Generates the demo month into options.out_dir. Returns INVALID_ARGUMENT for
// an empty out_dir or a month outside 2000..2999, FAILED_PRECONDITION when
// out_dir exists and is not an empty directory (the generator never deletes or
// mixes with existing files), UNAVAILABLE when a file cannot be written (what
// was written before the failure stays in out_dir).
Result<DemoManifest> GenerateDemo(const DemoOptions& options);

}  // namespace recoup::demo
