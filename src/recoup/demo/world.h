// The demo's world: two accounts in three Regions (six cells), the KMS keys of
// each cell, the callers that use them, and the month's plan of outage,
// throttling and external-key-store windows. Internal to recoup_demo.
//
// Everything here is a pure function of the seed (and the month, for the
// windows); no randomness is drawn later from these values.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recoup/core/time.h"

namespace recoup::demo {

inline constexpr int64_t kIntervalMs = 5 * kMsPerMinute;  // the SLA's interval
inline constexpr int64_t kHourMs = 60 * kMsPerMinute;

enum class KeyKind { kSymmetric, kRsaSign, kXks };
enum class KeyState { kEnabled, kDisabled, kPendingDeletion };

struct KeyDef {
  std::string alias;  // without "alias/"; empty for tenant keys
  std::string id;
  std::string arn;
  KeyKind kind = KeyKind::kSymmetric;
  KeyState state = KeyState::kEnabled;
  std::string custom_key_store_id, xks_key_id;  // kXks only
};

// Where a caller runs: decides its session names and credential lifetime.
enum class Host { kEcs, kLambda, kEc2, kGlue };
// The shape of the encryption context a caller sends.
enum class Ctx { kMerchant, kSettlement, kSecret, kS3, kDataset, kLedger, kReport };
// An error every call of a caller gets, whatever else happens.
enum class FixedError { kNone, kDisabled, kPendingDeletion };

struct OpWeight {
  const char* op;
  int weight;
};

// One caller of KMS in a cell: an application, a job, or an AWS service
// calling with a caller's credentials (forward access).
struct Actor {
  std::string name;         // unique in the cell; keys the session hashes
  std::string session_key;  // actors sharing credentials share this
  std::string role;
  Host host = Host::kEcs;
  std::string invoked_by;  // "secretsmanager.amazonaws.com" for service calls
  std::string user_agent;
  std::vector<std::string> ips;
  std::string vpc_endpoint;
  int64_t rate_milli = 0;  // calls per 5 minutes x1000 at diurnal weight 100
  std::vector<OpWeight> ops;
  std::vector<int> keys;  // symmetric keys used (indices into Cell::keys)
  int sign_key = -1;
  int tenant_percent = 0;  // share of calls on tenant keys
  Ctx ctx = Ctx::kMerchant;
  FixedError fixed_error = FixedError::kNone;
  bool sdk_app = false;           // simulated with botocore retries (and CSM)
  bool emits_csm = false;         // on the outage day
  bool settlement_batch = false;  // +16 calls per interval 09:00-10:00 UTC
  bool throttled = false;         // throttling bursts apply
  bool other_services = false;    // ~2% sts/s3/secretsmanager records
  bool scattered_errors = false;
};

// One (account, Region): its keys, callers and the names its records use.
struct Cell {
  std::string account, account_name, region;
  int utc_offset_hours = 0;
  int weekend_percent = 100;
  std::vector<KeyDef> keys;
  int tenant_begin = 0, tenant_end = 0;  // tenant keys are keys[tenant_begin, tenant_end)
  std::vector<Actor> actors;
  std::string secret_name, secret_arn, secret_version, bucket;
  bool outage = false;
  bool gets_free_tier = false;
  bool fixed_charge = false;  // payments us-east-1: usage totals exactly 412.37
};

// "arn:aws:kms:<region>:<account>:key/<id>".
std::string KeyArn(const Cell& c, std::string_view id);

// The six cells, payments before analytics, each in the order us-east-1,
// eu-west-1, ap-southeast-2. Cell 0 (payments, us-east-1) holds the CSM
// application.
std::vector<Cell> BuildWorld(uint64_t seed);

// The month and its scenario windows, half-open [begin, end) in epoch ms.
struct Windows {
  int64_t month_start = 0, month_end = 0;
  int64_t outage_begin = 0, outage_end = 0;
  std::array<std::pair<int64_t, int64_t>, 2> throttle{};
  int64_t xks_begin = 0, xks_end = 0;
  std::array<int, 7> outage_fail_percent{};  // per outage interval

  bool InOutage(int64_t ms) const { return ms >= outage_begin && ms < outage_end; }
  bool InThrottle(int64_t ms) const {
    for (const auto& [b, e] : throttle)
      if (ms >= b && ms < e) return true;
    return false;
  }
  bool InXks(int64_t ms) const { return ms >= xks_begin && ms < xks_end; }
  // The failing share of the outage interval holding `ms` (InOutage(ms)).
  int OutageFailPercent(int64_t ms) const {
    return outage_fail_percent[static_cast<size_t>((ms - outage_begin) / kIntervalMs)];
  }
  int DayOfMonth(int64_t ms) const { return static_cast<int>((ms - month_start) / kMsPerDay) + 1; }
  int64_t Intervals() const { return (month_end - month_start) / kIntervalMs; }
};

Windows MakeWindows(const YearMonth& m, uint64_t seed);

}  // namespace recoup::demo
