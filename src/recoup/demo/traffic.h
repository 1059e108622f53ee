// The demo's traffic: every KMS call of one cell over the month, as the
// CloudTrail records and (for the CSM application on the outage day) the CSM
// datagrams it leaves, with the counts the truth file reports. Internal to
// recoup_demo.
//
// Cells are independent: each draws from its own streams, so cells may be
// generated on different threads in any order with the same result.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "recoup/demo/world.h"

namespace recoup::demo {

// The SLA class of a KMS record (see truth.json's "basis").
enum Cls : int {
  kSuccess = 0,
  kServerError,
  kThrottling,
  kClientError,
  kCustomKeyStore,
  kClsCount
};
inline constexpr std::array<const char*, kClsCount> kClsNames = {
    "success", "server_error", "throttling", "client_error", "custom_key_store"};

// A CloudTrail record's JSON, ordered by (ms, seq) within its cell.
struct CtRecord {
  int64_t ms;
  uint32_t seq;
  std::string json;
};

// A CSM datagram's JSON, ordered by (emit_ms, seq).
struct CsmLine {
  int64_t emit_ms;
  uint32_t seq;
  std::string json;
};

struct IntervalStat {
  int32_t requests = 0;  // KMS records without customKeyStoreId
  int32_t server_errors = 0;
};

// A server error the application saw that CloudTrail did not log.
struct CsmOnlyFailure {
  int64_t ms;
  std::string request_id, api, code;
  int http;
};

// An attempt that got no answer (SDK connect or read timeout).
struct NoResponse {
  int64_t ms;
  std::string api, exception;
};

struct CsmIntervalStat {
  int32_t csm_only_server_errors = 0;
  int32_t no_response = 0;
};

struct CsmTruth {
  int64_t api_calls = 0, attempts = 0, attempts_in_cloudtrail = 0;
  int64_t max_retries_exceeded = 0;
  std::vector<CsmOnlyFailure> csm_only;
  std::vector<NoResponse> no_response;
  std::map<int64_t, CsmIntervalStat> intervals;  // by interval index
  std::vector<std::string> access_keys;          // distinct, in order of first use
};

// One cell's month.
struct CellResult {
  std::array<int64_t, kClsCount> classes{};
  int64_t kms_records = 0, other_service_records = 0, custom_key_store_failed = 0;
  std::vector<IntervalStat> intervals;          // one per 5-minute interval of the month
  std::map<std::string, int64_t> billable_ops;  // KMS requests AWS bills, by operation
  std::vector<CtRecord> records;                // unsorted
  std::vector<CsmLine> csm;                     // unsorted; empty but for cell 0
  CsmTruth csm_truth;
};

// Generates one cell's traffic for the month of `w`.
CellResult GenerateTraffic(const Cell& cell, const Windows& w, uint64_t seed);

}  // namespace recoup::demo
