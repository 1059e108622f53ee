#include "recoup/demo/generator.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "recoup/core/exact.h"

namespace recoup::demo {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr int64_t kIntervalMs = 5 * kMsPerMinute;
constexpr int64_t kHourMs = 60 * kMsPerMinute;
// Money is counted in units of 1e-10 USD, the precision of CUR amounts.
constexpr int64_t kUsd = 10'000'000'000;
constexpr int64_t kSymmetricRequestUnits = 30'000;    // $0.03 per 10,000
constexpr int64_t kAsymmetricRequestUnits = 150'000;  // $0.15 per 10,000
constexpr int64_t kFreeTierRequests = 20'000;
constexpr int64_t kPaymentsUsEast1Target = 41'237 * kUsd / 100;  // 412.37 USD

// ---------------------------------------------------------------------------
// Deterministic randomness: splitmix64 and integer-only draws, so the output
// does not depend on the standard library's distributions or on libm.

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t HashString(uint64_t seed, std::string_view s) {
  uint64_t h = 1469598103934665603ULL ^ Mix64(seed + 0x9E3779B97F4A7C15ULL);
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return Mix64(h);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return Mix64(state_ += 0x9E3779B97F4A7C15ULL); }
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo + 1)));
  }
  bool Chance(uint64_t num, uint64_t den) { return Below(den) < num; }

 private:
  uint64_t state_;
};

constexpr std::string_view kHex = "0123456789abcdef";
constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kAlnum =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string RandomChars(Rng& rng, std::string_view alphabet, int n) {
  std::string s(static_cast<size_t>(n), ' ');
  for (char& c : s) c = alphabet[rng.Below(alphabet.size())];
  return s;
}

std::string Uuid(Rng& rng) {
  uint64_t a = rng.Next(), b = rng.Next();
  a = (a & ~0xF000ULL) | 0x4000ULL;                         // version 4
  b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

// ---------------------------------------------------------------------------
// Formatting.

void AppendEscaped(std::string& out, std::string_view s) {
  size_t plain = 0;
  while (plain < s.size() && s[plain] != '"' && s[plain] != '\\' &&
         static_cast<unsigned char>(s[plain]) >= 0x20) {
    ++plain;
  }
  out.append(s.data(), plain);
  for (char c : s.substr(plain)) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
}

// Appends "key":"value".
void Kv(std::string& out, std::string_view key, std::string_view value) {
  out += '"';
  out += key;
  out += "\":\"";
  AppendEscaped(out, value);
  out += '"';
}

std::string Iso(int64_t ms) { return FormatTimestamp(ms); }

// "20261014T0915Z"
std::string CompactMinute(int64_t ms) {
  const CivilDate d = CivilFromDays(FloorDiv(ms, kMsPerDay));
  const int64_t secs = (ms - FloorDiv(ms, kMsPerDay) * kMsPerDay) / 1000;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld%02u%02uT%02lld%02lldZ", static_cast<long long>(d.year),
                d.month, d.day, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60));
  return buf;
}

// "2026/10/14"
std::string DatePath(int64_t ms) {
  const CivilDate d = CivilFromDays(FloorDiv(ms, kMsPerDay));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld/%02u/%02u", static_cast<long long>(d.year), d.month,
                d.day);
  return buf;
}

// "2026-10-14"
std::string DateDash(int64_t ms) {
  std::string s = DatePath(ms);
  std::replace(s.begin(), s.end(), '/', '-');
  return s;
}

// CUR style: "2026-10-01T00:00:00.000Z"
std::string CurTime(int64_t ms) {
  std::string s = Iso(ms);
  s.insert(s.size() - 1, ".000");
  return s;
}

// STS style: "Oct 14, 2026, 10:10:22 AM"
std::string StsExpiration(int64_t ms) {
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const CivilDate d = CivilFromDays(FloorDiv(ms, kMsPerDay));
  const int64_t secs = (ms - FloorDiv(ms, kMsPerDay) * kMsPerDay) / 1000;
  int64_t h = secs / 3600;
  const char* ampm = h < 12 ? "AM" : "PM";
  h = h % 12 == 0 ? 12 : h % 12;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s %u, %lld, %lld:%02lld:%02lld %s", kMonths[d.month - 1], d.day,
                static_cast<long long>(d.year), static_cast<long long>(h),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60), ampm);
  return buf;
}

// Units of 1e-10 USD (or of 1e-10 of any quantity) as a plain decimal with at
// least `min_frac` fraction digits: 4123700000000 -> "412.37".
std::string FormatUnits(int64_t units, int min_frac) {
  const bool neg = units < 0;
  const uint64_t a = neg ? static_cast<uint64_t>(-units) : static_cast<uint64_t>(units);
  std::string frac = std::to_string(a % static_cast<uint64_t>(kUsd));
  frac.insert(0, 10 - frac.size(), '0');
  while (static_cast<int>(frac.size()) > min_frac && frac.back() == '0') frac.pop_back();
  std::string s = std::to_string(a / static_cast<uint64_t>(kUsd));
  if (!frac.empty()) s += "." + frac;
  return neg ? "-" + s : s;
}

// ---------------------------------------------------------------------------
// The world: accounts, Regions, keys and the callers that use them.

enum class KeyKind { kSymmetric, kRsaSign, kXks };
enum class KeyState { kEnabled, kDisabled, kPendingDeletion };

struct KeyDef {
  std::string alias;  // without "alias/"; empty for tenant keys
  std::string id;
  std::string arn;
  KeyKind kind = KeyKind::kSymmetric;
  KeyState state = KeyState::kEnabled;
  std::string custom_key_store_id, xks_key_id;
};

enum class Host { kEcs, kLambda, kEc2, kGlue };
enum class Ctx { kMerchant, kSettlement, kSecret, kS3, kDataset, kLedger, kReport };
enum class FixedError { kNone, kDisabled, kPendingDeletion };

struct OpWeight {
  const char* op;
  int weight;
};

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

constexpr std::array<int, 24> kDiurnal = {45,  40,  35,  35,  38,  45,  60,  80, 105, 125, 135, 140,
                                          135, 135, 140, 140, 130, 115, 100, 90, 80,  70,  60,  50};

const char* kBoto3Ua =
    "Boto3/1.40.11 md/Botocore#1.43.11 ua/2.1 os/linux#5.10.240-238.959.amzn2.x86_64 "
    "md/arch#x86_64 lang/python#3.12.11 md/pyimpl#CPython exec-env/AWS_ECS_FARGATE m/Z,b,E "
    "cfg/retry-mode#standard Botocore/1.43.11";
const char* kJsUa =
    "aws-sdk-js/3.637.0 ua/2.1 os/linux#5.10.227-239.884.amzn2.x86_64 lang/js md/nodejs#20.17.0 "
    "api/kms#3.637.0 exec-env/AWS_Lambda_nodejs20.x m/E,N";
const char* kJavaUa =
    "aws-sdk-java/2.28.16 ua/2.1 os/Linux#5.10.226-214.880.amzn2.x86_64 "
    "lang/java#17.0.12 md/OpenJDK_64-Bit_Server_VM#17.0.12+7-LTS md/vendor#Amazon.com_Inc. "
    "md/en_US exec-env/AWS_ECS_EC2 md/internal cfg/retry-mode#standard m/D,N";
const char* kJavaEc2Ua =
    "aws-sdk-java/2.28.16 ua/2.1 os/Linux#6.1.109-118.189.amzn2023.x86_64 "
    "lang/java#17.0.12 md/OpenJDK_64-Bit_Server_VM#17.0.12+7-LTS md/vendor#Amazon.com_Inc. "
    "md/en_US md/internal cfg/retry-mode#standard m/D,N";
const char* kGoUa =
    "aws-sdk-go-v2/1.32.3 ua/2.1 os/linux lang/go#1.23.1 md/GOOS#linux md/GOARCH#amd64 "
    "api/kms#1.37.6 m/E";

std::string KeyArn(const Cell& c, std::string_view id) {
  return "arn:aws:kms:" + c.region + ":" + c.account + ":key/" + std::string(id);
}

int AddKey(Cell& c, Rng& rng, std::string alias, KeyKind kind = KeyKind::kSymmetric,
           KeyState state = KeyState::kEnabled) {
  KeyDef k;
  k.alias = std::move(alias);
  k.id = Uuid(rng);
  k.arn = KeyArn(c, k.id);
  k.kind = kind;
  k.state = state;
  if (kind == KeyKind::kXks) {
    k.custom_key_store_id = "cks-" + RandomChars(rng, kHex, 17);
    k.xks_key_id = "payments-ledger-au-" + RandomChars(rng, kHex, 8);
  }
  c.keys.push_back(std::move(k));
  return static_cast<int>(c.keys.size()) - 1;
}

void AddTenantKeys(Cell& c, Rng& rng, int n) {
  c.tenant_begin = static_cast<int>(c.keys.size());
  for (int i = 0; i < n; ++i) AddKey(c, rng, "");
  c.tenant_end = static_cast<int>(c.keys.size());
}

Actor SdkActor(std::string name, std::string role, Host host, const char* ua,
               std::vector<std::string> ips, int64_t rate_milli, Ctx ctx) {
  Actor a;
  a.session_key = name;
  a.name = std::move(name);
  a.role = std::move(role);
  a.host = host;
  a.user_agent = ua;
  a.ips = std::move(ips);
  a.rate_milli = rate_milli;
  a.ctx = ctx;
  a.other_services = true;
  a.scattered_errors = true;
  return a;
}

// A KMS call an AWS service makes with a caller's credentials (forward access).
Actor ServiceActor(const Actor& base, std::string service, int64_t rate_milli, Ctx ctx) {
  Actor a;
  a.name = base.name + "/" + service;
  a.session_key = base.session_key;
  a.role = base.role;
  a.host = base.host;
  a.invoked_by = service;
  a.user_agent = service;
  a.ips = {service};
  a.rate_milli = rate_milli;
  a.ctx = ctx;
  return a;
}

const std::vector<OpWeight> kAppOps = {{"Decrypt", 48},
                                       {"GenerateDataKey", 26},
                                       {"Encrypt", 9},
                                       {"DescribeKey", 7},
                                       {"GenerateDataKeyWithoutPlaintext", 6},
                                       {"ReEncrypt", 4}};

std::vector<Cell> BuildWorld(uint64_t seed) {
  std::vector<Cell> cells;
  auto make_cell = [&](std::string_view account, std::string name, std::string region, int offset,
                       int weekend) {
    Cell c;
    c.account = std::string(account);
    c.account_name = std::move(name);
    c.region = std::move(region);
    c.utc_offset_hours = offset;
    c.weekend_percent = weekend;
    Rng rng(HashString(seed, "cell-meta/" + c.account + "/" + c.region));
    const std::string prefix = c.account == kPaymentsAccount ? "payments" : "analytics";
    c.secret_name = prefix + (prefix == "payments" ? "/db-credentials" : "/warehouse-credentials");
    c.secret_arn = "arn:aws:secretsmanager:" + c.region + ":" + c.account +
                   ":secret:" + c.secret_name + "-" + RandomChars(rng, kAlnum, 6);
    c.secret_version = Uuid(rng);
    c.bucket = prefix + "-" + (prefix == "payments" ? "statements" : "lake") + "-" + c.account +
               "-" + c.region;
    return c;
  };

  // --- payments, us-east-1: the application watched by CSM, a settlement
  // Lambda, and two services calling KMS on their behalf.
  {
    Cell c = make_cell(kPaymentsAccount, "payments", "us-east-1", -4, 85);
    Rng rng(HashString(seed, "keys/" + c.account + "/" + c.region));
    const int data = AddKey(c, rng, "payments-data");
    const int tokens = AddKey(c, rng, "payments-tokens");
    const int signing = AddKey(c, rng, "payments-signing", KeyKind::kRsaSign);
    const int secrets = AddKey(c, rng, "payments-secrets");
    const int statements = AddKey(c, rng, "payments-statements");
    AddTenantKeys(c, rng, 300);
    Actor app = SdkActor("payments-app", "payments-app-task", Host::kEcs, kBoto3Ua,
                         {"203.0.113.17", "203.0.113.42"}, 2700, Ctx::kMerchant);
    app.ops = kAppOps;
    app.keys = {data, tokens};
    app.tenant_percent = 60;
    app.sdk_app = app.emits_csm = app.settlement_batch = true;
    Actor settle = SdkActor("payments-settlement", "payments-settlement-role", Host::kLambda, kJsUa,
                            {"198.51.100.23", "198.51.100.87"}, 900, Ctx::kSettlement);
    settle.ops = {{"Sign", 45}, {"Decrypt", 35}, {"GenerateDataKey", 20}};
    settle.keys = {data};
    settle.sign_key = signing;
    Actor sm = ServiceActor(app, "secretsmanager.amazonaws.com", 450, Ctx::kSecret);
    sm.ops = {{"Decrypt", 100}};
    sm.keys = {secrets};
    Actor s3 = ServiceActor(settle, "s3.amazonaws.com", 350, Ctx::kS3);
    s3.ops = {{"GenerateDataKey", 60}, {"Decrypt", 40}};
    s3.keys = {statements};
    c.actors = {app, settle, sm, s3};
    c.outage = true;
    c.gets_free_tier = true;
    c.fixed_charge = true;
    cells.push_back(std::move(c));
  }
  // --- payments, eu-west-1: a key pending deletion that a migrator still uses.
  {
    Cell c = make_cell(kPaymentsAccount, "payments", "eu-west-1", 1, 85);
    Rng rng(HashString(seed, "keys/" + c.account + "/" + c.region));
    const int data = AddKey(c, rng, "payments-data-eu");
    const int statements = AddKey(c, rng, "payments-statements-eu");
    const int archive =
        AddKey(c, rng, "payments-archive-2019", KeyKind::kSymmetric, KeyState::kPendingDeletion);
    Actor app = SdkActor("payments-app-eu", "payments-app-task", Host::kEcs, kBoto3Ua,
                         {"198.51.100.140", "198.51.100.141"}, 2200, Ctx::kMerchant);
    app.ops = kAppOps;
    app.keys = {data};
    Actor s3 = ServiceActor(app, "s3.amazonaws.com", 380, Ctx::kS3);
    s3.ops = {{"GenerateDataKey", 55}, {"Decrypt", 45}};
    s3.keys = {statements};
    Actor migrator = SdkActor("archive-migrator", "archive-migrator", Host::kEc2, kBoto3Ua,
                              {"198.51.100.150"}, 25, Ctx::kMerchant);
    migrator.ops = {{"Decrypt", 80}, {"ReEncrypt", 20}};
    migrator.keys = {archive};
    migrator.fixed_error = FixedError::kPendingDeletion;
    migrator.other_services = migrator.scattered_errors = false;
    c.actors = {app, s3, migrator};
    cells.push_back(std::move(c));
  }
  // --- payments, ap-southeast-2: a ledger service on an external key store.
  {
    Cell c = make_cell(kPaymentsAccount, "payments", "ap-southeast-2", 11, 85);
    Rng rng(HashString(seed, "keys/" + c.account + "/" + c.region));
    const int data = AddKey(c, rng, "payments-data-au");
    const int ledger = AddKey(c, rng, "payments-ledger-xks", KeyKind::kXks);
    const int secrets = AddKey(c, rng, "payments-secrets-au");
    Actor app = SdkActor("payments-app-au", "payments-app-task", Host::kEcs, kBoto3Ua,
                         {"192.0.2.44", "192.0.2.45"}, 1300, Ctx::kMerchant);
    app.ops = kAppOps;
    app.keys = {data};
    Actor led = SdkActor("ledger-service", "ledger-service-task", Host::kEcs, kJavaUa,
                         {"192.0.2.60", "192.0.2.61"}, 750, Ctx::kLedger);
    led.ops = {{"Decrypt", 50}, {"Encrypt", 30}, {"GenerateDataKey", 20}};
    led.keys = {ledger};
    Actor sm = ServiceActor(app, "secretsmanager.amazonaws.com", 150, Ctx::kSecret);
    sm.ops = {{"Decrypt", 100}};
    sm.keys = {secrets};
    c.actors = {app, led, sm};
    cells.push_back(std::move(c));
  }
  // --- analytics, us-east-1: ETL on EC2 through a VPC endpoint, Glue reading
  // SSE-KMS objects, and a forgotten job on a disabled key.
  {
    Cell c = make_cell(kAnalyticsAccount, "analytics", "us-east-1", -4, 50);
    Rng rng(HashString(seed, "keys/" + c.account + "/" + c.region));
    const int lake = AddKey(c, rng, "analytics-lake");
    const int warehouse = AddKey(c, rng, "analytics-warehouse");
    const int legacy = AddKey(c, rng, "legacy-reports", KeyKind::kSymmetric, KeyState::kDisabled);
    AddTenantKeys(c, rng, 40);
    Actor etl = SdkActor("etl-runner", "etl-runner-instance", Host::kEc2, kJavaEc2Ua,
                         {"10.40.12.31", "10.40.13.77"}, 2000, Ctx::kDataset);
    etl.vpc_endpoint = "vpce-0b7c6a1e2f3d4c5b6";
    etl.ops = {{"Decrypt", 55},
               {"GenerateDataKey", 35},
               {"DescribeKey", 5},
               {"GenerateDataKeyWithoutPlaintext", 5}};
    etl.keys = {lake, warehouse};
    etl.tenant_percent = 50;
    Actor glue_base;
    glue_base.name = glue_base.session_key = "glue-lake-jobs";
    glue_base.role = "AWSGlueServiceRole-lake";
    glue_base.host = Host::kGlue;
    Actor glue = ServiceActor(glue_base, "s3.amazonaws.com", 700, Ctx::kS3);
    glue.ops = {{"Decrypt", 70}, {"GenerateDataKey", 30}};
    glue.keys = {lake};
    Actor legacy_job = SdkActor("legacy-export", "legacy-export-instance", Host::kEc2, kGoUa,
                                {"203.0.113.99"}, 30, Ctx::kReport);
    legacy_job.ops = {{"Decrypt", 100}};
    legacy_job.keys = {legacy};
    legacy_job.fixed_error = FixedError::kDisabled;
    legacy_job.other_services = legacy_job.scattered_errors = false;
    c.actors = {etl, glue, legacy_job};
    c.outage = true;
    c.gets_free_tier = true;
    cells.push_back(std::move(c));
  }
  // --- analytics, eu-west-1: ETL bursts that get throttled.
  {
    Cell c = make_cell(kAnalyticsAccount, "analytics", "eu-west-1", 1, 50);
    Rng rng(HashString(seed, "keys/" + c.account + "/" + c.region));
    const int lake = AddKey(c, rng, "analytics-lake-eu");
    const int exports = AddKey(c, rng, "analytics-exports-eu");
    Actor etl = SdkActor("etl-runner-eu", "etl-runner-instance", Host::kEc2, kJavaEc2Ua,
                         {"198.51.100.200", "198.51.100.201"}, 1800, Ctx::kDataset);
    etl.ops = {{"Decrypt", 55}, {"GenerateDataKey", 40}, {"DescribeKey", 5}};
    etl.keys = {lake};
    etl.throttled = true;
    Actor rep = SdkActor("reporting-eu", "reporting-task", Host::kEcs, kGoUa, {"198.51.100.210"},
                         600, Ctx::kReport);
    rep.ops = {{"Decrypt", 70}, {"GenerateDataKey", 20}, {"DescribeKey", 10}};
    rep.keys = {exports, lake};
    c.actors = {etl, rep};
    cells.push_back(std::move(c));
  }
  // --- analytics, ap-southeast-2: reporting only.
  {
    Cell c = make_cell(kAnalyticsAccount, "analytics", "ap-southeast-2", 11, 50);
    Rng rng(HashString(seed, "keys/" + c.account + "/" + c.region));
    const int lake = AddKey(c, rng, "analytics-lake-au");
    Actor rep = SdkActor("reporting-au", "reporting-task", Host::kEcs, kGoUa,
                         {"192.0.2.120", "192.0.2.121"}, 1550, Ctx::kReport);
    rep.ops = {{"Decrypt", 70}, {"GenerateDataKey", 20}, {"DescribeKey", 10}};
    rep.keys = {lake};
    Actor s3 = ServiceActor(rep, "s3.amazonaws.com", 250, Ctx::kS3);
    s3.ops = {{"GenerateDataKey", 50}, {"Decrypt", 50}};
    s3.keys = {lake};
    c.actors = {rep, s3};
    cells.push_back(std::move(c));
  }
  return cells;
}

// ---------------------------------------------------------------------------
// Scenario windows and SLA classes.

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
  int OutageFailPercent(int64_t ms) const {
    return outage_fail_percent[static_cast<size_t>((ms - outage_begin) / kIntervalMs)];
  }
  int DayOfMonth(int64_t ms) const { return static_cast<int>((ms - month_start) / kMsPerDay) + 1; }
};

Windows MakeWindows(const YearMonth& m, uint64_t seed) {
  Windows w;
  w.month_start = m.StartMs();
  w.month_end = m.EndMs();
  const int64_t s = w.month_start;
  w.outage_begin = s + (kOutageDay - 1) * kMsPerDay + 9 * kHourMs + 10 * kMsPerMinute;
  w.outage_end = s + (kOutageDay - 1) * kMsPerDay + 9 * kHourMs + 45 * kMsPerMinute;
  w.throttle[0] = {s + 7 * kMsPerDay + 1 * kHourMs, s + 7 * kMsPerDay + 3 * kHourMs};
  w.throttle[1] = {s + 21 * kMsPerDay + 13 * kHourMs,
                   s + 21 * kMsPerDay + 13 * kHourMs + 30 * kMsPerMinute};
  w.xks_begin = s + 20 * kMsPerDay + 3 * kHourMs;
  w.xks_end = s + 20 * kMsPerDay + 4 * kHourMs;
  Rng rng(HashString(seed, "outage"));
  for (int& p : w.outage_fail_percent) p = static_cast<int>(rng.Range(25, 60));
  return w;
}

enum Cls : int {
  kSuccess = 0,
  kServerError,
  kThrottling,
  kClientError,
  kCustomKeyStore,
  kClsCount
};
constexpr std::array<const char*, kClsCount> kClsNames = {"success", "server_error", "throttling",
                                                          "client_error", "custom_key_store"};

struct Outcome {
  std::string code;  // empty on success
  std::string message;
  int http = 200;
};

Cls Classify(const KeyDef* key, const Outcome& o) {
  if (key != nullptr && key->kind == KeyKind::kXks) return kCustomKeyStore;
  if (o.code.empty()) return kSuccess;
  if (o.code == "ThrottlingException") return kThrottling;
  if (o.code == "KMSInternalException" || o.code == "DependencyTimeoutException" ||
      o.code == "KeyUnavailableException") {
    return kServerError;
  }
  return kClientError;
}

Outcome ServerError(Rng& rng, const KeyDef* key) {
  const uint64_t r = rng.Below(100);
  if (r < 55)
    return {"KMSInternalException", "An internal error has occurred. Try your request again.", 500};
  if (r < 80) {
    return {"DependencyTimeoutException",
            "The system timed out while trying to fulfill the request. You can retry the request.",
            503};
  }
  (void)key;
  return {"KeyUnavailableException",
          "The request was rejected because the specified KMS key was not available. You can "
          "retry the request.",
          500};
}

// ---------------------------------------------------------------------------
// Per-cell generation.

struct CtRecord {
  int64_t ms;
  uint32_t seq;
  std::string json;
};

struct CsmLine {
  int64_t emit_ms;
  uint32_t seq;
  std::string json;
};

struct IntervalStat {
  int32_t requests = 0;  // KMS records without customKeyStoreId
  int32_t server_errors = 0;
};

struct CsmOnlyFailure {
  int64_t ms;
  std::string request_id, api, code;
  int http;
};

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

struct CellResult {
  std::array<int64_t, kClsCount> classes{};
  int64_t kms_records = 0, other_service_records = 0, custom_key_store_failed = 0;
  std::vector<IntervalStat> intervals;
  std::map<std::string, int64_t> billable_ops;  // KMS requests AWS bills, by operation
  std::vector<CtRecord> records;
  std::vector<CsmLine> csm;
  CsmTruth csm_truth;
  // Written by the file stage.
  std::vector<std::string> files;
  int64_t bytes = 0;
  Status status;
};

struct Session {
  std::string access_key, principal_id, role_id, session_name, creation, token;
  std::string identity;  // userIdentity JSON up to (excluding) invokedBy and the closing brace
};

class CellGenerator {
 public:
  CellGenerator(const Cell& cell, const Windows& w, uint64_t seed, CellResult* out)
      : cell_(cell),
        w_(w),
        seed_(seed),
        rng_(HashString(seed, "traffic/" + cell.account + "/" + cell.region)),
        out_(out) {
    out_->intervals.assign(static_cast<size_t>((w.month_end - w.month_start) / kIntervalMs), {});
    role_ids_.reserve(cell.actors.size());
    last_session_.assign(cell.actors.size(), {0, nullptr});
    for (const Actor& a : cell.actors) {
      Rng r(HashString(seed, "role/" + cell.account + "/" + a.role));
      role_ids_.push_back("AROA" + RandomChars(r, kBase32, 17));
    }
  }

  void Run() {
    const int64_t n = static_cast<int64_t>(out_->intervals.size());
    struct Intent {
      int64_t ms;
      size_t actor;
      bool server_error;
    };
    std::vector<Intent> intents;
    for (int64_t iv = 0; iv < n; ++iv) {
      const int64_t t0 = w_.month_start + iv * kIntervalMs;
      const int64_t days = FloorDiv(t0, kMsPerDay);
      const int weekday = static_cast<int>((days + 4) % 7);  // 0 = Sunday
      const int64_t local_hour = ((t0 / kHourMs + cell_.utc_offset_hours) % 24 + 24) % 24;
      const int64_t utc_hour = (t0 - days * kMsPerDay) / kHourMs;
      const bool outage = cell_.outage && w_.InOutage(t0);
      intents.clear();
      for (size_t ai = 0; ai < cell_.actors.size(); ++ai) {
        const Actor& a = cell_.actors[ai];
        int64_t lam = a.rate_milli * kDiurnal[static_cast<size_t>(local_hour)] / 100;
        if (weekday == 0 || weekday == 6) lam = lam * cell_.weekend_percent / 100;
        if (a.settlement_batch && utc_hour == 9) lam += 16000;
        if (a.throttled && w_.InThrottle(t0)) lam += 20000;  // a backfill job
        if (!a.keys.empty() && cell_.keys[static_cast<size_t>(a.keys[0])].kind == KeyKind::kXks &&
            w_.InXks(t0)) {
          lam *= 3;  // the ledger's retries
        }
        const int64_t count = Binomial(lam);
        for (int64_t k = 0; k < count; ++k) {
          intents.push_back({t0 + static_cast<int64_t>(rng_.Below(kIntervalMs)), ai, false});
        }
      }
      if (outage) ChooseOutageFailures(intents, t0);
      std::sort(intents.begin(), intents.end(),
                [](const Intent& a, const Intent& b) { return a.ms < b.ms; });
      for (const Intent& in : intents) {
        const Actor& a = cell_.actors[in.actor];
        if (a.sdk_app) {
          AppCall(a, in.actor, in.ms);
        } else {
          SimpleCall(a, in.actor, in.ms, in.server_error);
        }
        if (a.other_services && rng_.Chance(2, 100)) OtherServiceCall(a, in.actor, in.ms);
      }
    }
  }

 private:
  // Draws a call count with mean lam/1000 as a binomial over small slots,
  // in integers only.
  int64_t Binomial(int64_t lam_milli) {
    if (lam_milli <= 0) return 0;
    const int64_t trials = std::max<int64_t>(24, (lam_milli * 2 + 999) / 1000);
    const uint64_t threshold = static_cast<uint64_t>(lam_milli) * (uint64_t{1} << 32) /
                               static_cast<uint64_t>(trials * 1000);
    int64_t n = 0;
    for (int64_t i = 0; i < trials; ++i) n += (rng_.Next() >> 32) < threshold ? 1 : 0;
    return n;
  }

  template <typename Intent>
  void ChooseOutageFailures(std::vector<Intent>& intents, int64_t t0) {
    auto eligible = [&](const Intent& in) {
      const Actor& a = cell_.actors[in.actor];
      return !a.sdk_app && a.fixed_error == FixedError::kNone;
    };
    std::vector<size_t> idx;
    for (size_t i = 0; i < intents.size(); ++i)
      if (eligible(intents[i])) idx.push_back(i);
    // Every outage interval shows the failure in every affected account.
    size_t main_actor = 0;
    while (main_actor < cell_.actors.size() &&
           (cell_.actors[main_actor].sdk_app ||
            cell_.actors[main_actor].fixed_error != FixedError::kNone)) {
      ++main_actor;
    }
    while (idx.size() < 2 && main_actor < cell_.actors.size()) {
      intents.push_back({t0 + static_cast<int64_t>(rng_.Below(kIntervalMs)), main_actor, false});
      idx.push_back(intents.size() - 1);
    }
    const int64_t pct = w_.OutageFailPercent(t0);
    const int64_t k = std::max<int64_t>(1, static_cast<int64_t>(idx.size()) * pct / 100);
    for (int64_t i = 0; i < k; ++i) {  // partial Fisher-Yates
      const size_t j = static_cast<size_t>(i) + rng_.Below(idx.size() - static_cast<size_t>(i));
      std::swap(idx[static_cast<size_t>(i)], idx[j]);
      intents[idx[static_cast<size_t>(i)]].server_error = true;
    }
  }

  const char* PickOp(const Actor& a) {
    int total = 0;
    for (const OpWeight& o : a.ops) total += o.weight;
    int r = static_cast<int>(rng_.Below(static_cast<uint64_t>(total)));
    for (const OpWeight& o : a.ops) {
      if (r < o.weight) return o.op;
      r -= o.weight;
    }
    return a.ops.back().op;
  }

  const KeyDef* PickKey(const Actor& a, std::string_view op) {
    if (op == "Sign") return &cell_.keys[static_cast<size_t>(a.sign_key)];
    if (a.tenant_percent > 0 && cell_.tenant_end > cell_.tenant_begin &&
        rng_.Chance(static_cast<uint64_t>(a.tenant_percent), 100)) {
      return &cell_.keys[static_cast<size_t>(rng_.Range(cell_.tenant_begin, cell_.tenant_end - 1))];
    }
    return &cell_.keys[static_cast<size_t>(a.keys[rng_.Below(a.keys.size())])];
  }

  const Session& GetSession(const Actor& a, size_t actor_index, int64_t ms) {
    const int64_t period = a.host == Host::kLambda ? 4 * kHourMs : 6 * kHourMs;
    const int64_t idx = ms / period;
    // Periods divide a day, so an ECS session never spans two task IDs.
    auto& last = last_session_[actor_index];
    if (last.second != nullptr && last.first == idx) return *last.second;
    auto key = std::make_pair(a.session_key, idx);
    auto it = sessions_.find(key);
    if (it != sessions_.end()) {
      last = {idx, &it->second};
      return it->second;
    }
    Rng r(HashString(seed_,
                     "session/" + cell_.account + "/" + a.session_key + "/" + std::to_string(idx)));
    Session s;
    s.access_key = "ASIA" + RandomChars(r, kBase32, 16);
    s.role_id = role_ids_[actor_index];
    switch (a.host) {
      case Host::kEcs: {
        Rng day(HashString(
            seed_, "task/" + a.session_key + "/" + std::to_string(FloorDiv(ms, kMsPerDay))));
        s.session_name = RandomChars(day, kHex, 32);
        break;
      }
      case Host::kLambda:
        s.session_name = a.session_key;
        break;
      case Host::kEc2: {
        Rng inst(HashString(seed_, "instance/" + a.session_key));
        s.session_name = "i-0" + RandomChars(inst, kHex, 16);
        break;
      }
      case Host::kGlue:
        s.session_name = "GlueJobRunnerSession";
        break;
    }
    s.principal_id = s.role_id + ":" + s.session_name;
    s.creation = Iso(idx * period - r.Range(60, 900) * 1000);
    s.token = "IQoJb3JpZ2luX2VjE" + RandomChars(r, kAlnum, 4) + "//////////wEaCX" +
              RandomChars(r, kBase64, 620);
    s.identity = IdentityJson(a, s);
    const Session& stored = sessions_.emplace(key, std::move(s)).first->second;
    last = {idx, &stored};
    return stored;
  }

  void AppendIdentity(std::string& j, const Actor& a, const Session& s) {
    j += s.identity;
    if (!a.invoked_by.empty()) {
      j += ',';
      Kv(j, "invokedBy", a.invoked_by);
    }
    j += "},";
  }

  std::string IdentityJson(const Actor& a, const Session& s) {
    const std::string& acct = cell_.account;
    std::string j;
    j += "\"userIdentity\":{\"type\":\"AssumedRole\",";
    Kv(j, "principalId", s.principal_id);
    j += ',';
    Kv(j, "arn", "arn:aws:sts::" + acct + ":assumed-role/" + a.role + "/" + s.session_name);
    j += ',';
    Kv(j, "accountId", acct);
    j += ',';
    Kv(j, "accessKeyId", s.access_key);
    j += ",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",";
    Kv(j, "principalId", s.role_id);
    j += ',';
    Kv(j, "arn", "arn:aws:iam::" + acct + ":role/" + a.role);
    j += ',';
    Kv(j, "accountId", acct);
    j += ',';
    Kv(j, "userName", a.role);
    j += "},\"webIdFederationData\":{},\"attributes\":{";
    Kv(j, "creationDate", s.creation);
    j += ",\"mfaAuthenticated\":\"false\"}";
    if (a.host == Host::kEc2) j += ",\"ec2RoleDelivery\":\"2.0\"";
    j += '}';
    return j;
  }

  void AppendTail(std::string& j, const Actor& a, std::string_view host, bool with_tls) {
    j += "\"eventType\":\"AwsApiCall\",\"managementEvent\":true,";
    Kv(j, "recipientAccountId", cell_.account);
    if (!a.vpc_endpoint.empty()) {
      j += ',';
      Kv(j, "vpcEndpointId", a.vpc_endpoint);
      j += ',';
      Kv(j, "vpcEndpointAccountId", cell_.account);
    }
    j += ",\"eventCategory\":\"Management\"";
    if (with_tls) {
      j +=
          ",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",";
      Kv(j, "clientProvidedHostHeader", host);
      j += '}';
    }
    j += '}';
  }

  std::string Context(const Actor& a, int64_t ms) {
    std::string j = "{";
    switch (a.ctx) {
      case Ctx::kMerchant: {
        char buf[16];
        std::snprintf(buf, sizeof buf, "m-%06u", static_cast<unsigned>(rng_.Range(1, 4800)));
        Kv(j, "merchant_id", buf);
        j += ",\"purpose\":\"card-vault\"";
        break;
      }
      case Ctx::kSettlement:
        Kv(j, "settlement_batch", Iso(ms).substr(0, 13));
        break;
      case Ctx::kSecret:
        Kv(j, "SecretARN", cell_.secret_arn);
        j += ',';
        Kv(j, "SecretVersionId", cell_.secret_version);
        break;
      case Ctx::kS3:
        Kv(j, "aws:s3:arn",
           "arn:aws:s3:::" + cell_.bucket + "/" + DatePath(ms) + "/" + RandomChars(rng_, kHex, 12) +
               ".json");
        break;
      case Ctx::kDataset: {
        static constexpr std::array<const char*, 4> kSets = {"orders", "payments", "sessions",
                                                             "inventory"};
        Kv(j, "dataset", kSets[rng_.Below(kSets.size())]);
        j += ',';
        Kv(j, "partition", "dt=" + DateDash(ms));
        break;
      }
      case Ctx::kLedger: {
        char buf[16];
        std::snprintf(buf, sizeof buf, "j-%05u", static_cast<unsigned>(rng_.Range(1, 99999)));
        j += "\"ledger\":\"au-settlement\",";
        Kv(j, "journal", buf);
        break;
      }
      case Ctx::kReport: {
        static constexpr std::array<const char*, 3> kReports = {"daily-revenue", "churn", "cohort"};
        Kv(j, "report", kReports[rng_.Below(kReports.size())]);
        break;
      }
    }
    j += '}';
    return j;
  }

  // keyId as the caller supplied it: alias name, key ARN or key ID.
  std::string KeyRef(const Actor& a, const KeyDef& k) {
    if (!a.invoked_by.empty() || k.alias.empty()) return k.arn;
    const uint64_t r = rng_.Below(100);
    if (r < 50) return "alias/" + k.alias;
    if (r < 75) return k.arn;
    return k.id;
  }

  Outcome ClientError(const Actor& a, const Session& s, std::string_view op, const KeyDef* key,
                      const KeyDef** resolved, std::string* key_ref) {
    const uint64_t r = rng_.Below(100);
    if (r < 40 || (op != "Decrypt" && r >= 60) || op == "ReEncrypt") {
      return {"AccessDeniedException",
              "User: arn:aws:sts::" + cell_.account + ":assumed-role/" + a.role + "/" +
                  s.session_name + " is not authorized to perform: kms:" + std::string(op) +
                  " on resource: " + key->arn +
                  " because no identity-based policy allows the kms:" + std::string(op) + " action",
              400};
    }
    if (r < 60) {
      const std::string alias = (key->alias.empty() ? std::string("tenant") : key->alias) + "-v1";
      *key_ref = "alias/" + alias;
      *resolved = nullptr;
      return {"NotFoundException",
              "Alias arn:aws:kms:" + cell_.region + ":" + cell_.account + ":alias/" + alias +
                  " is not found.",
              404};
    }
    if (r < 75) {
      return {"IncorrectKeyException",
              "The key ID in the request does not identify a KMS key that can perform this "
              "operation.",
              400};
    }
    return {"InvalidCiphertextException", "", 400};
  }

  // Decides a non-server outcome: fixed errors, XKS, throttling, scattered
  // client errors. `key` and `key_ref` may be changed (NotFound has no key).
  Outcome OrdinaryOutcome(const Actor& a, const Session& s, std::string_view op, int64_t ms,
                          const KeyDef** key, std::string* key_ref, bool allow_client) {
    const KeyDef* k = *key;
    if (a.fixed_error == FixedError::kDisabled)
      return {"DisabledException", k->arn + " is disabled.", 409};
    if (a.fixed_error == FixedError::kPendingDeletion) {
      return {"KMSInvalidStateException", k->arn + " is pending deletion.", 409};
    }
    if (k->kind == KeyKind::kXks && w_.InXks(ms)) {
      return {"KMSInvalidStateException",
              "The external key store proxy did not respond to the request within the timeout "
              "allowed by AWS KMS. Retry the request. If you see this error repeatedly, report "
              "it to your external key store proxy administrator.",
              409};
    }
    if (a.throttled && w_.InThrottle(ms) && rng_.Chance(60, 100)) {
      return {"ThrottlingException",
              "You have exceeded the rate at which you may call KMS. Reduce the frequency of "
              "your calls.",
              400};
    }
    if (allow_client && a.scattered_errors && rng_.Chance(25, 10000)) {
      return ClientError(a, s, op, k, key, key_ref);
    }
    return {};
  }

  // Builds and stores one KMS CloudTrail record; returns its class.
  Cls EmitKms(const Actor& a, size_t actor_index, int64_t ms, std::string_view op,
              const KeyDef* key, const KeyDef* dest, std::string key_ref, const Outcome& o,
              const std::string& request_id) {
    const Session& s = GetSession(a, actor_index, ms);
    const int64_t sec_ms = ms / 1000 * 1000;
    std::string j;
    j.reserve(1700);
    j += "{\"eventVersion\":\"1.11\",";
    AppendIdentity(j, a, s);
    Kv(j, "eventTime", Iso(sec_ms));
    j += ",\"eventSource\":\"kms.amazonaws.com\",";
    Kv(j, "eventName", op);
    j += ',';
    Kv(j, "awsRegion", cell_.region);
    j += ',';
    Kv(j, "sourceIPAddress", a.ips[rng_.Below(a.ips.size())]);
    j += ',';
    Kv(j, "userAgent", a.user_agent);
    if (!o.code.empty()) {
      j += ',';
      Kv(j, "errorCode", o.code);
      if (!o.message.empty()) {
        j += ',';
        Kv(j, "errorMessage", o.message);
      }
    }
    j += ",\"requestParameters\":{";
    const bool omit_key = op == "Decrypt" && key_ref.rfind("alias/", 0) != 0 &&
                          (!a.invoked_by.empty() || rng_.Chance(60, 100));
    if (op == "Decrypt") {
      j += "\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",";
      if (!omit_key) {
        Kv(j, "keyId", key_ref);
        j += ',';
      }
      j += "\"encryptionContext\":" + Context(a, ms);
    } else if (op == "Encrypt") {
      Kv(j, "keyId", key_ref);
      j += ",\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",\"encryptionContext\":" + Context(a, ms);
    } else if (op == "GenerateDataKey" || op == "GenerateDataKeyWithoutPlaintext") {
      Kv(j, "keyId", key_ref);
      j += ",\"encryptionContext\":" + Context(a, ms) + ",\"keySpec\":\"AES_256\"";
    } else if (op == "ReEncrypt") {
      j += "\"sourceEncryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",\"sourceEncryptionContext\":" +
           Context(a, ms) + ",";
      Kv(j, "destinationKeyId", dest != nullptr ? dest->arn : key_ref);
      j += ",\"destinationEncryptionAlgorithm\":\"SYMMETRIC_DEFAULT\","
           "\"destinationEncryptionContext\":" +
           Context(a, ms);
    } else if (op == "Sign") {
      Kv(j, "keyId", key_ref);
      j += ",\"messageType\":\"DIGEST\",\"signingAlgorithm\":\"RSASSA_PSS_SHA_256\"";
    } else {  // DescribeKey
      Kv(j, "keyId", key_ref);
    }
    j += "},\"responseElements\":null,";
    if (key != nullptr && key->kind == KeyKind::kXks) {
      j += "\"additionalEventData\":{";
      Kv(j, "customKeyStoreId", key->custom_key_store_id);
      j += ',';
      Kv(j, "xksKeyId", key->xks_key_id);
      j += "},";
    }
    Kv(j, "requestID", request_id);
    j += ',';
    Kv(j, "eventID", Uuid(rng_));
    j += ",\"readOnly\":true,";
    if (key != nullptr) {
      j += "\"resources\":[{";
      Kv(j, "accountId", cell_.account);
      j += ",\"type\":\"AWS::KMS::Key\",";
      Kv(j, "ARN", key->arn);
      j += '}';
      if (dest != nullptr && dest != key) {
        j += ",{";
        Kv(j, "accountId", cell_.account);
        j += ",\"type\":\"AWS::KMS::Key\",";
        Kv(j, "ARN", dest->arn);
        j += '}';
      }
      j += "],";
    }
    AppendTail(j, a, "kms." + cell_.region + ".amazonaws.com", a.invoked_by.empty());
    out_->records.push_back({ms, seq_++, std::move(j)});

    const Cls cls = Classify(key, o);
    ++out_->kms_records;
    ++out_->classes[cls];
    if (cls == kCustomKeyStore && !o.code.empty()) ++out_->custom_key_store_failed;
    IntervalStat& st =
        out_->intervals[static_cast<size_t>((sec_ms - w_.month_start) / kIntervalMs)];
    if (cls != kCustomKeyStore) ++st.requests;
    if (cls == kServerError) ++st.server_errors;
    if (cls != kThrottling) ++out_->billable_ops[std::string(op)];
    return cls;
  }

  const KeyDef* PickDest(const Actor& a, const KeyDef* src) {
    const KeyDef* d = &cell_.keys[static_cast<size_t>(a.keys[0])];
    if (d == src && a.keys.size() > 1) d = &cell_.keys[static_cast<size_t>(a.keys[1])];
    if (d == src) d = &cell_.keys[0];
    return d;
  }

  void SimpleCall(const Actor& a, size_t ai, int64_t ms, bool server_error) {
    const char* op = PickOp(a);
    const KeyDef* key = PickKey(a, op);
    const KeyDef* dest = std::string_view(op) == "ReEncrypt" ? PickDest(a, key) : nullptr;
    std::string key_ref = KeyRef(a, *key);
    const Session& s = GetSession(a, ai, ms);
    Outcome o =
        server_error ? ServerError(rng_, key) : OrdinaryOutcome(a, s, op, ms, &key, &key_ref, true);
    if (key == nullptr) dest = nullptr;
    EmitKms(a, ai, ms, op, key, dest, std::move(key_ref), o, Uuid(rng_));
  }

  // One boto3 call (standard retry mode, 3 attempts, connect_timeout=2,
  // read_timeout=5) as CloudTrail and, on the outage day, CSM see it.
  void AppCall(const Actor& a, size_t ai, int64_t start) {
    const char* op = PickOp(a);
    const KeyDef* key = PickKey(a, op);
    const KeyDef* dest = std::string_view(op) == "ReEncrypt" ? PickDest(a, key) : nullptr;
    const std::string key_ref = KeyRef(a, *key);
    const bool csm = a.emits_csm && w_.DayOfMonth(start) == kOutageDay;
    const std::string fqdn = "kms." + cell_.region + ".amazonaws.com";
    int64_t t = start + rng_.Range(1, 3);
    int attempts = 0;
    int64_t end = t;
    bool retryable_failure = false;
    Outcome last;
    std::string last_sdk_exception;
    while (true) {
      ++attempts;
      const Session& s = GetSession(a, ai, t);
      Outcome o;
      std::string sdk_exception, request_id;
      int64_t latency;
      bool in_cloudtrail = true;
      const KeyDef* k = key;
      std::string ref = key_ref;
      const bool outage = cell_.outage && w_.InOutage(t);
      if (outage && rng_.Chance(static_cast<uint64_t>(w_.OutageFailPercent(t)), 100)) {
        const uint64_t r = rng_.Below(100);
        if (r < 10) {
          in_cloudtrail = false;
          if (rng_.Chance(2, 5)) {
            sdk_exception = "ConnectTimeoutError";
            latency = 2000 + rng_.Range(0, 4);
          } else {
            sdk_exception = "ReadTimeoutError";
            latency = 5000 + rng_.Range(0, 6);
          }
        } else if (r < 24) {
          in_cloudtrail = false;  // KMS answered 500 but logged nothing
          o = {"KMSInternalException", "An internal error has occurred. Try your request again.",
               500};
          latency = rng_.Range(30, 400);
        } else {
          o = ServerError(rng_, key);
          latency = o.http == 503 ? rng_.Range(1500, 4500) : rng_.Range(20, 600);
        }
        retryable_failure = true;
      } else {
        o = OrdinaryOutcome(a, s, op, t, &k, &ref, attempts == 1);
        latency = outage ? rng_.Range(40, 900) : rng_.Range(6, 45);
        retryable_failure = false;
      }
      if (sdk_exception.empty()) request_id = Uuid(rng_);
      if (in_cloudtrail) {
        EmitKms(a, ai, t, op, k, k == nullptr ? nullptr : dest, ref, o, request_id);
      }
      const int64_t iv = (t - w_.month_start) / kIntervalMs;
      if (csm) {
        CsmTruth& ct = out_->csm_truth;
        ++ct.attempts;
        if (in_cloudtrail) ++ct.attempts_in_cloudtrail;
        if (std::find(ct.access_keys.begin(), ct.access_keys.end(), s.access_key) ==
            ct.access_keys.end()) {
          ct.access_keys.push_back(s.access_key);
        }
        if (!sdk_exception.empty()) {
          ct.no_response.push_back({t, op, sdk_exception});
          ++ct.intervals[iv].no_response;
        } else if (!in_cloudtrail) {
          ct.csm_only.push_back({t, request_id, op, o.code, o.http});
          ++ct.intervals[iv].csm_only_server_errors;
        }
        std::string j;
        j.reserve(1200);
        j += "{\"Version\":1,";
        Kv(j, "ClientId", kCsmClientId);
        j += ",\"Type\":\"ApiCallAttempt\",\"Service\":\"KMS\",";
        Kv(j, "Api", op);
        j += ",\"Timestamp\":" + std::to_string(t) +
             ",\"AttemptLatency\":" + std::to_string(latency) + ",";
        Kv(j, "Fqdn", fqdn);
        j += ',';
        Kv(j, "UserAgent", a.user_agent);
        j += ',';
        Kv(j, "AccessKey", s.access_key);
        j += ',';
        Kv(j, "Region", cell_.region);
        j += ',';
        Kv(j, "SessionToken", s.token);
        if (sdk_exception.empty()) {
          j += ",\"HttpStatusCode\":" + std::to_string(o.http) + ",";
          Kv(j, "XAmznRequestId", request_id);
          if (!o.code.empty()) {
            j += ',';
            Kv(j, "AwsException", o.code);
            j += ',';
            Kv(j, "AwsExceptionMessage", o.message);
          }
        } else {
          j += ',';
          Kv(j, "SdkException", sdk_exception);
          j += ',';
          Kv(j, "SdkExceptionMessage", SdkMessage(sdk_exception, fqdn));
        }
        j += '}';
        out_->csm.push_back({t + latency, seq_++, std::move(j)});
      }
      end = t + latency;
      last = o;
      last_sdk_exception = sdk_exception;
      if (!retryable_failure || attempts == 3) break;
      // Standard mode: exponential backoff with full jitter, base 1 s.
      t = end + rng_.Range(1, 1000 << attempts);
    }
    end += rng_.Range(1, 2);
    if (!csm) return;
    CsmTruth& ct = out_->csm_truth;
    ++ct.api_calls;
    const bool exceeded = retryable_failure && attempts == 3;
    if (exceeded) ++ct.max_retries_exceeded;
    std::string j;
    j.reserve(600);
    j += "{\"Version\":1,";
    Kv(j, "ClientId", kCsmClientId);
    j += ",\"Type\":\"ApiCall\",\"Service\":\"KMS\",";
    Kv(j, "Api", op);
    j += ",\"Timestamp\":" + std::to_string(start) +
         ",\"AttemptCount\":" + std::to_string(attempts) + ",";
    Kv(j, "Region", cell_.region);
    j += ',';
    Kv(j, "UserAgent", a.user_agent);
    if (last_sdk_exception.empty()) {
      j += ",\"FinalHttpStatusCode\":" + std::to_string(last.http);
      if (!last.code.empty()) {
        j += ',';
        Kv(j, "FinalAwsException", last.code);
        j += ',';
        Kv(j, "FinalAwsExceptionMessage", last.message);
      }
    } else {
      j += ',';
      Kv(j, "FinalSdkException", last_sdk_exception);
      j += ',';
      Kv(j, "FinalSdkExceptionMessage", SdkMessage(last_sdk_exception, fqdn));
    }
    j += ",\"Latency\":" + std::to_string(end - start) +
         ",\"MaxRetriesExceeded\":" + (exceeded ? "1" : "0") + "}";
    out_->csm.push_back({end, seq_++, std::move(j)});
  }

  static std::string SdkMessage(std::string_view exception, std::string_view fqdn) {
    const char* what = exception == "ConnectTimeoutError" ? "Connect" : "Read";
    return std::string(what) + " timeout on endpoint URL: \"https://" + std::string(fqdn) + "/\"";
  }

  // About 2% of a trail is other services: the same callers' STS, S3 and
  // Secrets Manager calls.
  void OtherServiceCall(const Actor& a, size_t ai, int64_t ms) {
    ms = std::min(ms + rng_.Range(0, 30000), w_.month_end - 1);
    const Session& s = GetSession(a, ai, ms);
    const int64_t sec_ms = ms / 1000 * 1000;
    const uint64_t r = rng_.Below(100);
    std::string j;
    j.reserve(2000);
    std::string host;
    if (r < 40) {
      host = "sts." + cell_.region + ".amazonaws.com";
      const std::string target = cell_.account_name + "-reporting-readonly";
      std::string session;
      if (a.user_agent.rfind("Boto3", 0) == 0) {
        session = "botocore-session-" + std::to_string(sec_ms / 1000);
      } else if (a.user_agent.rfind("aws-sdk-js", 0) == 0) {
        session = "aws-sdk-js-" + std::to_string(ms);
      } else if (a.user_agent.rfind("aws-sdk-java", 0) == 0) {
        session = "aws-sdk-java-" + std::to_string(ms);
      } else {
        session = "aws-go-sdk-" + std::to_string(ms) + std::to_string(rng_.Range(100000, 999999));
      }
      Rng cred(rng_.Next());
      j += "{\"eventVersion\":\"1.08\",";
      AppendIdentity(j, a, s);
      Kv(j, "eventTime", Iso(sec_ms));
      j += ",\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"AssumeRole\",";
      Kv(j, "awsRegion", cell_.region);
      j += ',';
      Kv(j, "sourceIPAddress", a.ips[0]);
      j += ',';
      Kv(j, "userAgent", a.user_agent);
      j += ",\"requestParameters\":{";
      Kv(j, "roleArn", "arn:aws:iam::" + cell_.account + ":role/" + target);
      j += ',';
      Kv(j, "roleSessionName", session);
      j += ",\"durationSeconds\":3600},\"responseElements\":{\"credentials\":{";
      Kv(j, "accessKeyId", "ASIA" + RandomChars(cred, kBase32, 16));
      j += ',';
      Kv(j, "sessionToken", "IQoJb3JpZ2luX2VjE" + RandomChars(cred, kBase64, 380));
      j += ',';
      Kv(j, "expiration", StsExpiration(sec_ms + kHourMs));
      j += "},\"assumedRoleUser\":{";
      const std::string target_id = "AROA" + RandomChars(cred, kBase32, 17);
      Kv(j, "assumedRoleId", target_id + ":" + session);
      j += ',';
      Kv(j, "arn", "arn:aws:sts::" + cell_.account + ":assumed-role/" + target + "/" + session);
      j += "}},";
      Kv(j, "requestID", Uuid(rng_));
      j += ',';
      Kv(j, "eventID", Uuid(rng_));
      j += ",\"readOnly\":true,\"resources\":[{";
      Kv(j, "accountId", cell_.account);
      j += ",\"type\":\"AWS::IAM::Role\",";
      Kv(j, "ARN", "arn:aws:iam::" + cell_.account + ":role/" + target);
      j += "}],";
    } else if (r < 60) {
      host = "s3." + cell_.region + ".amazonaws.com";
      j += "{\"eventVersion\":\"1.09\",";
      AppendIdentity(j, a, s);
      Kv(j, "eventTime", Iso(sec_ms));
      j += ",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\",";
      Kv(j, "awsRegion", cell_.region);
      j += ',';
      Kv(j, "sourceIPAddress", a.ips[0]);
      j += ',';
      Kv(j, "userAgent", "[" + a.user_agent + "]");
      j += ",\"requestParameters\":{";
      Kv(j, "Host", host);
      j += "},\"responseElements\":null,\"additionalEventData\":{\"SignatureVersion\":\"SigV4\","
           "\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"bytesTransferredIn\":0,"
           "\"AuthenticationMethod\":\"AuthHeader\",";
      Kv(j, "x-amz-id-2", RandomChars(rng_, kBase64, 76));
      j += ",\"bytesTransferredOut\":" + std::to_string(rng_.Range(1800, 2600)) + "},";
      Kv(j, "requestID", RandomChars(rng_, "0123456789ABCDEF", 16));
      j += ',';
      Kv(j, "eventID", Uuid(rng_));
      j += ",\"readOnly\":true,";
    } else {
      host = "secretsmanager." + cell_.region + ".amazonaws.com";
      j += "{\"eventVersion\":\"1.11\",";
      AppendIdentity(j, a, s);
      Kv(j, "eventTime", Iso(sec_ms));
      j += ",\"eventSource\":\"secretsmanager.amazonaws.com\",\"eventName\":\"GetSecretValue\",";
      Kv(j, "awsRegion", cell_.region);
      j += ',';
      Kv(j, "sourceIPAddress", a.ips[0]);
      j += ',';
      Kv(j, "userAgent", a.user_agent);
      j += ",\"requestParameters\":{";
      Kv(j, "secretId", cell_.secret_name);
      j += "},\"responseElements\":null,";
      Kv(j, "requestID", Uuid(rng_));
      j += ',';
      Kv(j, "eventID", Uuid(rng_));
      j += ",\"readOnly\":true,";
    }
    AppendTail(j, a, host, true);
    out_->records.push_back({ms, seq_++, std::move(j)});
    ++out_->other_service_records;
  }

  const Cell& cell_;
  const Windows& w_;
  uint64_t seed_;
  Rng rng_;
  CellResult* out_;
  uint32_t seq_ = 0;
  std::vector<std::string> role_ids_;
  std::map<std::pair<std::string, int64_t>, Session> sessions_;
  std::vector<std::pair<int64_t, const Session*>> last_session_;  // per actor
};

// ---------------------------------------------------------------------------
// Files.

Status WriteFile(const fs::path& path, std::string_view data) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return Unavailable("cannot create " + path.parent_path().string() + ": " + ec.message());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Unavailable("cannot open " + path.string() + " for writing");
  const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) return Unavailable("cannot write " + path.string());
  return Status::Ok();
}

// A gzip member with a zero mtime, so equal input gives equal bytes.
Result<std::string> Gzip(std::string_view data, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Internal("deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const uLong written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Internal("deflate failed");
  out.resize(written);
  return out;
}

// Groups a cell's records into hourly files named after their delivery time.
void WriteCloudTrail(const Cell& cell, const Windows& w, uint64_t seed, const fs::path& root,
                     CellResult* res) {
  std::vector<CtRecord>& recs = res->records;
  std::sort(recs.begin(), recs.end(), [](const CtRecord& a, const CtRecord& b) {
    return a.ms != b.ms ? a.ms < b.ms : a.seq < b.seq;
  });
  Rng rng(HashString(seed, "delivery/" + cell.account + "/" + cell.region));
  const int64_t hours = (w.month_end - w.month_start) / kHourMs;
  std::vector<std::vector<size_t>> files(static_cast<size_t>(hours));
  for (size_t i = 0; i < recs.size(); ++i) {
    int64_t h = (recs[i].ms - w.month_start) / kHourMs;
    const int64_t into_hour = recs[i].ms - w.month_start - h * kHourMs;
    if (into_hour >= kHourMs - 90'000 && h + 1 < hours && rng.Chance(3, 10)) ++h;
    files[static_cast<size_t>(h)].push_back(i);
  }
  const fs::path dir =
      root / "AWSLogs" / std::string(kOrganizationId) / cell.account / "CloudTrail" / cell.region;
  std::string body;
  for (const std::vector<size_t>& file : files) {
    if (file.empty()) continue;
    int64_t newest = 0;
    body.clear();
    body += "{\"Records\":[";
    for (size_t k = 0; k < file.size(); ++k) {
      if (k > 0) body += ',';
      body += recs[file[k]].json;
      newest = std::max(newest, recs[file[k]].ms);
    }
    body += "]}";
    const int64_t delivered = newest + rng.Range(3 * kMsPerMinute, 9 * kMsPerMinute);
    const std::string name = cell.account + "_CloudTrail_" + cell.region + "_" +
                             CompactMinute(delivered) + "_" + RandomChars(rng, kAlnum, 16) +
                             ".json.gz";
    const fs::path path = dir / DatePath(delivered) / name;
    Result<std::string> gz = Gzip(body, 1);
    if (!gz.ok()) {
      res->status = gz.status();
      return;
    }
    Status st = WriteFile(path, *gz);
    if (!st.ok()) {
      res->status = st;
      return;
    }
    res->bytes += static_cast<int64_t>(gz->size());
    res->files.push_back(path.string());
  }
  recs.clear();
  recs.shrink_to_fit();
}

// ---------------------------------------------------------------------------
// Cost and Usage Report.

const std::vector<std::string> kCurColumns = {"identity/LineItemId",
                                              "identity/TimeInterval",
                                              "bill/InvoiceId",
                                              "bill/InvoicingEntity",
                                              "bill/BillingEntity",
                                              "bill/BillType",
                                              "bill/PayerAccountId",
                                              "bill/BillingPeriodStartDate",
                                              "bill/BillingPeriodEndDate",
                                              "lineItem/UsageAccountId",
                                              "lineItem/LineItemType",
                                              "lineItem/UsageStartDate",
                                              "lineItem/UsageEndDate",
                                              "lineItem/ProductCode",
                                              "lineItem/UsageType",
                                              "lineItem/Operation",
                                              "lineItem/AvailabilityZone",
                                              "lineItem/ResourceId",
                                              "lineItem/UsageAmount",
                                              "lineItem/NormalizationFactor",
                                              "lineItem/NormalizedUsageAmount",
                                              "lineItem/CurrencyCode",
                                              "lineItem/UnblendedRate",
                                              "lineItem/UnblendedCost",
                                              "lineItem/BlendedRate",
                                              "lineItem/BlendedCost",
                                              "lineItem/NetUnblendedRate",
                                              "lineItem/NetUnblendedCost",
                                              "lineItem/LineItemDescription",
                                              "lineItem/TaxType",
                                              "lineItem/LegalEntity",
                                              "product/ProductName",
                                              "product/group",
                                              "product/groupDescription",
                                              "product/location",
                                              "product/locationType",
                                              "product/productFamily",
                                              "product/region",
                                              "product/regionCode",
                                              "product/servicecode",
                                              "product/servicename",
                                              "product/sku",
                                              "product/usagetype",
                                              "pricing/RateCode",
                                              "pricing/RateId",
                                              "pricing/currency",
                                              "pricing/publicOnDemandCost",
                                              "pricing/publicOnDemandRate",
                                              "pricing/term",
                                              "pricing/unit"};

std::string RegionName(std::string_view region) {
  if (region == "us-east-1") return "US East (N. Virginia)";
  if (region == "eu-west-1") return "EU (Ireland)";
  if (region == "ap-southeast-2") return "Asia Pacific (Sydney)";
  return std::string(region);
}

struct CurLine {
  std::string account, region, product, type, usage_type, operation, resource, description;
  std::string family, group, group_description, unit, product_name, sku_seed;
  int64_t amount = 0;  // 1e-10 units of the usage unit
  int64_t rate = 0;    // 1e-10 USD per unit
  int64_t cost = 0;    // 1e-10 USD
};

class CurBuilder {
 public:
  CurBuilder(const Windows& w, uint64_t seed) : w_(w), rng_(HashString(seed, "cur")) {}

  void Add(CurLine line) { lines_.push_back(std::move(line)); }

  std::string Render() {
    std::string out;
    for (size_t i = 0; i < kCurColumns.size(); ++i) {
      if (i > 0) out += ',';
      out += kCurColumns[i];
    }
    out += '\n';
    const std::string period = Iso(w_.month_start) + "/" + Iso(w_.month_end);
    for (const CurLine& l : lines_) {
      const bool tax = l.type == "Tax";
      std::map<std::string_view, std::string> v;
      v["identity/LineItemId"] = RandomChars(rng_, "abcdefghijklmnopqrstuvwxyz234567", 52);
      v["identity/TimeInterval"] = period;
      v["bill/InvoicingEntity"] = "Amazon Web Services, Inc.";
      v["bill/BillingEntity"] = "AWS";
      v["bill/BillType"] = "Anniversary";
      v["bill/PayerAccountId"] = std::string(kPayerAccount);
      v["bill/BillingPeriodStartDate"] = CurTime(w_.month_start);
      v["bill/BillingPeriodEndDate"] = CurTime(w_.month_end);
      v["lineItem/UsageAccountId"] = l.account;
      v["lineItem/LineItemType"] = l.type;
      v["lineItem/UsageStartDate"] = CurTime(w_.month_start);
      v["lineItem/UsageEndDate"] = CurTime(w_.month_end);
      v["lineItem/ProductCode"] = l.product;
      v["lineItem/UsageType"] = l.usage_type;
      v["lineItem/Operation"] = l.operation;
      v["lineItem/ResourceId"] = l.resource;
      v["lineItem/UsageAmount"] = FormatUnits(l.amount, 1);
      v["lineItem/CurrencyCode"] = "USD";
      v["lineItem/UnblendedCost"] = FormatUnits(l.cost, 1);
      v["lineItem/BlendedCost"] = FormatUnits(l.cost, 1);
      v["lineItem/NetUnblendedCost"] = FormatUnits(l.cost, 1);
      v["lineItem/LineItemDescription"] = l.description;
      v["lineItem/LegalEntity"] = "Amazon Web Services, Inc.";
      v["product/ProductName"] = l.product_name;
      if (tax) {
        v["lineItem/TaxType"] = "Sales Tax";
        v["pricing/publicOnDemandCost"] = "0.0";
      } else {
        v["lineItem/UnblendedRate"] = FormatUnits(l.rate, 1);
        v["lineItem/BlendedRate"] = FormatUnits(l.rate, 1);
        v["lineItem/NetUnblendedRate"] = FormatUnits(l.rate, 1);
        v["product/group"] = l.group;
        v["product/groupDescription"] = l.group_description;
        v["product/location"] = RegionName(l.region);
        v["product/locationType"] = "AWS Region";
        v["product/productFamily"] = l.family;
        v["product/region"] = l.region;
        v["product/regionCode"] = l.region;
        v["product/servicecode"] = l.product;
        v["product/servicename"] = l.product_name;
        Rng sku(HashString(0, l.product + l.usage_type + l.sku_seed));
        const std::string s = RandomChars(sku, kBase32, 16);
        v["product/sku"] = s;
        v["product/usagetype"] = l.usage_type;
        v["pricing/RateCode"] = s + ".JRTCKXETXF.6YS6EN2CT7";
        v["pricing/RateId"] = std::to_string(sku.Range(100000000, 999999999));
        v["pricing/currency"] = "USD";
        v["pricing/publicOnDemandCost"] = FormatUnits(l.cost, 1);
        v["pricing/publicOnDemandRate"] = FormatUnits(l.rate, 1);
        v["pricing/term"] = "OnDemand";
        v["pricing/unit"] = l.unit;
      }
      for (size_t i = 0; i < kCurColumns.size(); ++i) {
        if (i > 0) out += ',';
        auto it = v.find(kCurColumns[i]);
        if (it == v.end()) continue;
        const std::string& f = it->second;
        if (f.find_first_of(",\"\n") != std::string::npos) {
          out += '"';
          for (char c : f) {
            if (c == '"') out += '"';
            out += c;
          }
          out += '"';
        } else {
          out += f;
        }
      }
      out += '\n';
    }
    return out;
  }

  size_t size() const { return lines_.size(); }
  Rng& rng() { return rng_; }

 private:
  const Windows& w_;
  Rng rng_;
  std::vector<CurLine> lines_;
};

CurLine KmsLine(const Cell& c, std::string usage_suffix, std::string operation) {
  CurLine l;
  l.account = c.account;
  l.region = c.region;
  l.product = "awskms";
  l.product_name = "AWS Key Management Service";
  l.type = "Usage";
  l.usage_type = c.region + "-" + usage_suffix;
  l.operation = std::move(operation);
  return l;
}

// Adds one cell's KMS rows; returns the cell's usage total (1e-10 USD).
Result<int64_t> AddKmsCharges(const Cell& c, const CellResult& res, const Windows& w,
                              CurBuilder* cur, std::map<std::string, int64_t>* free_left) {
  Rng& rng = cur->rng();
  int64_t total = 0;
  // Requests: free tier first (symmetric requests, once per account).
  int64_t& free = (*free_left)[c.account];
  for (const auto& [op, count] : res.billable_ops) {
    const bool asym = op == "Sign";
    int64_t paid = count;
    if (!asym && c.gets_free_tier && free > 0) {
      const int64_t f = std::min(free, count);
      free -= f;
      paid -= f;
      CurLine l = KmsLine(c, "KMS-Requests", op);
      l.amount = f * kUsd;
      l.description = "$0.00 per request - Monthly Global Free Tier for KMS requests";
      l.family = "API Request";
      l.group = "awskms-APIRequest-All";
      l.group_description = "All AWS KMS API requests";
      l.unit = "Requests";
      l.sku_seed = "free";
      cur->Add(std::move(l));
    }
    if (paid > 0) {
      CurLine l = KmsLine(c, asym ? "KMS-Requests-Asymmetric" : "KMS-Requests", op);
      l.amount = paid * kUsd;
      l.rate = asym ? kAsymmetricRequestUnits : kSymmetricRequestUnits;
      l.cost = paid * l.rate;
      l.description = asym ? "$0.15 per 10,000 asymmetric requests in " + RegionName(c.region)
                           : "$0.03 per 10,000 requests in " + RegionName(c.region);
      l.family = "API Request";
      l.group = asym ? "awskms-APIRequest-Asymmetric" : "awskms-APIRequest-All";
      l.group_description = asym ? "Asymmetric AWS KMS API requests" : "All AWS KMS API requests";
      l.unit = "Requests";
      total += l.cost;
      cur->Add(std::move(l));
    }
  }
  // Keys: every key used in the month, idle keys, and one key created during
  // the month (pro-rated). For payments us-east-1 the idle-key count and the
  // new key's share are solved so that the usage totals exactly 412.37.
  const int64_t hours = (w.month_end - w.month_start) / kHourMs;
  std::vector<std::pair<std::string, int64_t>> keys;  // ARN, key-months x1e10
  int64_t full = 0;
  for (const KeyDef& k : c.keys) {
    if (k.state == KeyState::kPendingDeletion) {
      // Scheduled for deletion on day 3: billed for two days.
      keys.emplace_back(k.arn, (48 * kUsd * 10 / hours + 5) / 10);
    } else {
      keys.emplace_back(k.arn, kUsd);
      ++full;
    }
  }
  int64_t idle;
  int64_t partial;
  if (c.fixed_charge) {
    int64_t pending = 0;
    for (const auto& [arn, amount] : keys) {
      if (amount != kUsd) pending += amount;
    }
    const int64_t remaining = kPaymentsUsEast1Target - total - pending;
    const int64_t whole = (remaining - 1) / kUsd;  // leaves a share in (0, 1]
    idle = whole - full;
    partial = remaining - whole * kUsd;
    if (idle < 0) return Internal("demo: payments us-east-1 charges exceed 412.37");
  } else {
    idle = rng.Range(5, 40);
    const int64_t h = rng.Range(24, hours - 24);
    partial = (h * kUsd * 10 / hours + 5) / 10;  // rounded to 10 decimals
  }
  for (int64_t i = 0; i < idle; ++i) keys.emplace_back(KeyArn(c, Uuid(rng)), kUsd);
  keys.emplace_back(KeyArn(c, Uuid(rng)), partial);
  for (const auto& [arn, amount] : keys) {
    CurLine l = KmsLine(c, "KMS-Keys", "CurrentKeys");
    l.resource = arn;
    l.amount = amount;
    l.rate = kUsd;
    l.cost = amount;
    l.description = "$1 per customer managed KMS key version in " + RegionName(c.region);
    l.family = "Encryption Key";
    l.unit = "Keys";
    total += l.cost;
    cur->Add(std::move(l));
  }
  if (c.fixed_charge && total != kPaymentsUsEast1Target) {
    return Internal("demo: payments us-east-1 charges do not total 412.37");
  }
  return total;
}

void AddOtherProducts(const std::string& account, CurBuilder* cur) {
  Rng& rng = cur->rng();
  struct Spec {
    const char *product, *name, *usage, *op, *family, *unit, *region, *desc;
    int64_t rate;    // 1e-10 USD per unit
    int64_t lo, hi;  // amount range, whole units
  };
  static const Spec kSpecs[] = {
      {"AmazonS3", "Amazon Simple Storage Service", "TimedStorage-ByteHrs", "StandardStorage",
       "Storage", "GB-Mo", "us-east-1", "$0.023 per GB - first 50 TB / month of storage used",
       230'000'000, 800, 9000},
      {"AmazonS3", "Amazon Simple Storage Service", "EU-Requests-Tier1", "PutObject", "API Request",
       "Requests", "eu-west-1", "$0.005 per 1,000 PUT, COPY, POST, or LIST requests", 50'000,
       200000, 2000000},
      {"AWSSecretsManager", "AWS Secrets Manager", "AWSSecretsManager-Secrets", "", "Secret",
       "Secrets", "us-east-1", "$0.40 per secret per month", 4'000'000'000, 3, 25},
      {"AWSCloudTrail", "AWS CloudTrail", "USE1-PaidEventsRecorded", "None",
       "Management Tools - AWS CloudTrail Paid Events Recorded", "Events", "us-east-1",
       "0.00002 per paid event recorded in US East (N. Virginia) region", 200'000, 20000, 200000},
  };
  for (const Spec& s : kSpecs) {
    CurLine l;
    l.account = account;
    l.region = s.region;
    l.product = s.product;
    l.product_name = s.name;
    l.type = "Usage";
    l.usage_type = s.usage;
    l.operation = s.op;
    l.family = s.family;
    l.unit = s.unit;
    l.description = s.desc;
    l.rate = s.rate;
    const int64_t whole = rng.Range(s.lo, s.hi);
    const int64_t frac = s.unit == std::string_view("GB-Mo") ? rng.Range(0, 9999) * 1'000'000 : 0;
    l.amount = whole * kUsd + frac;
    // cost = amount x rate, both in 1e-10 units; rounded to 10 decimals.
    const unsigned __int128 prod = static_cast<unsigned __int128>(l.amount) * l.rate;
    l.cost = static_cast<int64_t>((prod + kUsd / 2) / kUsd);
    cur->Add(std::move(l));
  }
}

// ---------------------------------------------------------------------------
// truth.json

Json Fraction(const Rational& q) { return q.get_str(); }

Json SlaVerdict(const std::vector<std::pair<int64_t, int64_t>>& intervals, int64_t n_intervals,
                int64_t charges_units) {
  Rational sum = 0;
  for (const auto& [requests, errors] : intervals) {
    if (requests > 0) sum += Rational(errors, requests);
  }
  const Rational mup = (Rational(1) - sum / Rational(n_intervals)) * 100;
  int tier = 0;
  if (mup < Rational(99999, 1000)) tier = mup >= 99 ? 10 : (mup >= 95 ? 25 : 100);
  const Rational charges(mpz_class(std::to_string(charges_units)), mpz_class(std::to_string(kUsd)));
  Rational credit = charges * tier / 100;
  credit.canonicalize();
  Json j;
  j["sum_of_error_rates"] = Fraction(sum);
  j["mup_percent"] = FormatFixed(mup, 6);
  j["mup_percent_exact"] = Fraction(mup);
  j["credit_tier_percent"] = tier;
  j["credit_usd"] = FormatDecimal(credit, 2, 10);
  j["credit_payable"] = credit > 1;
  return j;
}

}  // namespace

Result<DemoManifest> GenerateDemo(const DemoOptions& options) {
  if (options.out_dir.empty()) return InvalidArgument("demo: no output directory given");
  if (options.month.year < 2000 || options.month.year > 2999 || options.month.month < 1 ||
      options.month.month > 12) {
    return InvalidArgument("demo: month " + options.month.ToString() + " is out of range");
  }
  const fs::path out(options.out_dir);
  std::error_code ec;
  if (fs::exists(out, ec)) {
    if (!fs::is_directory(out, ec)) {
      return FailedPrecondition("demo: " + options.out_dir + " exists and is not a directory");
    }
    if (!fs::is_empty(out, ec)) {
      return FailedPrecondition("demo: " + options.out_dir +
                                " is not empty; choose a new or empty directory");
    }
  }
  fs::create_directories(out, ec);
  if (ec) return Unavailable("demo: cannot create " + options.out_dir + ": " + ec.message());

  const Windows w = MakeWindows(options.month, options.seed);
  const std::vector<Cell> cells = BuildWorld(options.seed);
  std::vector<CellResult> results(cells.size());
  const fs::path ct_root = out / "cloudtrail";

  // Cells are independent (own random streams), so two workers give the same
  // bytes as one.
  auto work = [&](size_t first, size_t step) {
    for (size_t i = first; i < cells.size(); i += step) {
      CellGenerator gen(cells[i], w, options.seed, &results[i]);
      gen.Run();
      WriteCloudTrail(cells[i], w, options.seed, ct_root, &results[i]);
    }
  };
  {
    std::thread helper(work, 1, 2);
    work(0, 2);
    helper.join();
  }

  DemoManifest m;
  m.out_dir = out.string();
  m.cloudtrail_dir = ct_root.string();
  for (CellResult& r : results) {
    RECOUP_RETURN_IF_ERROR(r.status);
    m.cloudtrail_files.insert(m.cloudtrail_files.end(), r.files.begin(), r.files.end());
    m.kms_records += r.kms_records;
    m.other_service_records += r.other_service_records;
    m.bytes_written += r.bytes;
  }
  std::sort(m.cloudtrail_files.begin(), m.cloudtrail_files.end());
  m.cloudtrail_records = m.kms_records + m.other_service_records;

  // CSM: the payments application in us-east-1 (cell 0), in emission order.
  CellResult& csm_cell = results[0];
  std::sort(csm_cell.csm.begin(), csm_cell.csm.end(), [](const CsmLine& a, const CsmLine& b) {
    return a.emit_ms != b.emit_ms ? a.emit_ms < b.emit_ms : a.seq < b.seq;
  });
  {
    std::string body;
    for (const CsmLine& l : csm_cell.csm) {
      body += l.json;
      body += '\n';
    }
    m.csm_file = (out / "csm" / (std::string(kCsmClientId) + ".csm.jsonl")).string();
    RECOUP_RETURN_IF_ERROR(WriteFile(m.csm_file, body));
    m.csm_lines = static_cast<int64_t>(csm_cell.csm.size());
    m.csm_attempts = csm_cell.csm_truth.attempts;
    m.bytes_written += static_cast<int64_t>(body.size());
  }

  // CUR.
  CurBuilder cur(w, options.seed);
  std::map<std::string, int64_t> free_left = {{std::string(kPaymentsAccount), kFreeTierRequests},
                                              {std::string(kAnalyticsAccount), kFreeTierRequests}};
  std::vector<int64_t> charges(cells.size());
  std::map<std::string, int64_t> account_kms;
  for (size_t i = 0; i < cells.size(); ++i) {
    RECOUP_ASSIGN_OR_RETURN(charges[i], AddKmsCharges(cells[i], results[i], w, &cur, &free_left));
    account_kms[cells[i].account] += charges[i];
  }
  for (const auto& [account, total] : account_kms) {
    CurLine tax;
    tax.account = account;
    tax.product = "awskms";
    tax.product_name = "AWS Key Management Service";
    tax.type = "Tax";
    tax.description = "Tax for product code awskms";
    // 6.25% sales tax, rounded to cents.
    const int64_t cents = (total * 625 / 10000 + kUsd / 200) / (kUsd / 100);
    tax.amount = kUsd;
    tax.cost = cents * (kUsd / 100);
    cur.Add(std::move(tax));
    AddOtherProducts(account, &cur);
  }
  {
    m.cur_rows = static_cast<int64_t>(cur.size());
    RECOUP_ASSIGN_OR_RETURN(std::string gz, Gzip(cur.Render(), 6));
    m.cur_file = (out / "cur" / ("cur-" + options.month.ToString() + ".csv.gz")).string();
    RECOUP_RETURN_IF_ERROR(WriteFile(m.cur_file, gz));
    m.bytes_written += static_cast<int64_t>(gz.size());
  }

  // truth.json
  const int64_t n_intervals = (w.month_end - w.month_start) / kIntervalMs;
  Json t;
  t["generator"] = {{"name", "recoup demo"},
                    {"format_version", 1},
                    {"seed", options.seed},
                    {"month", options.month.ToString()}};
  t["organization_id"] = std::string(kOrganizationId);
  t["payer_account_id"] = std::string(kPayerAccount);
  t["intervals_in_month"] = n_intervals;
  t["basis"] = {
      {"classes",
       "CloudTrail KMS records (eventSource kms.amazonaws.com, eventType AwsApiCall) by SLA class: "
       "custom_key_store = every record with additionalEventData.customKeyStoreId, whatever its "
       "outcome; then throttling = ThrottlingException; server_error = KMSInternalException, "
       "DependencyTimeoutException, KeyUnavailableException; client_error = any other errorCode"},
      {"interval_requests",
       "KMS records in the 5-minute interval of their eventTime, excluding custom_key_store"},
      {"verdict",
       "KMS SLA of 2022-11-29: MUP = 100% - mean over all intervals of the month of "
       "server_errors/requests (0 for intervals without requests); tiers 10/25/100% below "
       "99.999/99.0/95.0; credit on the Region's KMS Usage charges (unblended), payable above "
       "USD 1"},
      {"charges",
       "Sum of lineItem/UnblendedCost of awskms Usage rows per account and product/region; Tax "
       "rows carry no Region"}};
  t["scenario"] = {{"outage",
                    {{"region", "us-east-1"},
                     {"accounts", {std::string(kPaymentsAccount), std::string(kAnalyticsAccount)}},
                     {"start", Iso(w.outage_begin)},
                     {"end", Iso(w.outage_end)},
                     {"intervals", (w.outage_end - w.outage_begin) / kIntervalMs},
                     {"fail_percent_per_interval", w.outage_fail_percent}}},
                   {"throttling",
                    {{"account", std::string(kAnalyticsAccount)},
                     {"region", "eu-west-1"},
                     {"windows",
                      {{{"start", Iso(w.throttle[0].first)}, {"end", Iso(w.throttle[0].second)}},
                       {{"start", Iso(w.throttle[1].first)}, {"end", Iso(w.throttle[1].second)}}}},
                     {"throttled_percent", 60}}},
                   {"external_key_store_failure",
                    {{"account", std::string(kPaymentsAccount)},
                     {"region", "ap-southeast-2"},
                     {"start", Iso(w.xks_begin)},
                     {"end", Iso(w.xks_end)},
                     {"error_code", "KMSInvalidStateException"}}}};
  Json jcells = Json::array();
  for (size_t i = 0; i < cells.size(); ++i) {
    const Cell& c = cells[i];
    const CellResult& r = results[i];
    Json jc;
    jc["account_id"] = c.account;
    jc["account_name"] = c.account_name;
    jc["region"] = c.region;
    Json ct;
    ct["kms_records"] = r.kms_records;
    for (int k = 0; k < kClsCount; ++k)
      ct[kClsNames[static_cast<size_t>(k)]] = r.classes[static_cast<size_t>(k)];
    ct["custom_key_store_failed"] = r.custom_key_store_failed;
    ct["other_service_records"] = r.other_service_records;
    jc["cloudtrail"] = ct;
    Json ivs = Json::array();
    std::vector<std::pair<int64_t, int64_t>> verdict_in, verdict_csm;
    for (size_t iv = 0; iv < r.intervals.size(); ++iv) {
      const IntervalStat& st = r.intervals[iv];
      int64_t extra_err = 0;  // 500s only the application saw (CSM), cell 0 only
      if (i == 0) {
        auto it = r.csm_truth.intervals.find(static_cast<int64_t>(iv));
        if (it != r.csm_truth.intervals.end()) extra_err = it->second.csm_only_server_errors;
      }
      if (st.server_errors > 0) {
        Json ji = {{"start", Iso(w.month_start + static_cast<int64_t>(iv) * kIntervalMs)},
                   {"requests", st.requests},
                   {"server_errors", st.server_errors}};
        verdict_in.emplace_back(st.requests, st.server_errors);
        ivs.push_back(ji);
      }
      if (st.server_errors > 0 || extra_err > 0) {
        verdict_csm.emplace_back(st.requests + extra_err, st.server_errors + extra_err);
      }
    }
    jc["server_error_intervals"] = ivs;
    jc["charges"] = {{"kms_usage_unblended_usd", FormatUnits(charges[i], 2)},
                     {"kms_usage_net_unblended_usd", FormatUnits(charges[i], 2)}};
    jc["expected_verdict"] = SlaVerdict(verdict_in, n_intervals, charges[i]);
    if (i == 0) {
      jc["expected_verdict_with_csm"] = SlaVerdict(verdict_csm, n_intervals, charges[i]);
    }
    jcells.push_back(jc);
  }
  t["cells"] = jcells;

  const CsmTruth& cs = csm_cell.csm_truth;
  Json jcsm;
  jcsm["file"] = "csm/" + std::string(kCsmClientId) + ".csm.jsonl";
  jcsm["client_id"] = std::string(kCsmClientId);
  jcsm["account_id"] = cells[0].account;
  jcsm["region"] = cells[0].region;
  jcsm["day"] = DateDash(w.month_start + (kOutageDay - 1) * kMsPerDay);
  jcsm["access_keys"] = cs.access_keys;
  jcsm["lines"] = m.csm_lines;
  jcsm["api_calls"] = cs.api_calls;
  jcsm["attempts"] = cs.attempts;
  jcsm["attempts_in_cloudtrail"] = cs.attempts_in_cloudtrail;
  jcsm["max_retries_exceeded_calls"] = cs.max_retries_exceeded;
  Json only = Json::array();
  for (const CsmOnlyFailure& f : cs.csm_only) {
    only.push_back({{"time", Iso(f.ms)},
                    {"timestamp_ms", f.ms},
                    {"request_id", f.request_id},
                    {"api", f.api},
                    {"http_status", f.http},
                    {"error_code", f.code}});
  }
  jcsm["csm_only_failures"] = only;
  Json nr = Json::array();
  for (const NoResponse& f : cs.no_response) {
    nr.push_back({{"time", Iso(f.ms)},
                  {"timestamp_ms", f.ms},
                  {"api", f.api},
                  {"sdk_exception", f.exception}});
  }
  jcsm["no_response_attempts"] = nr;
  Json civ = Json::array();
  for (const auto& [iv, st] : cs.intervals) {
    const IntervalStat& ctst = csm_cell.intervals[static_cast<size_t>(iv)];
    civ.push_back({{"start", Iso(w.month_start + iv * kIntervalMs)},
                   {"cloudtrail_requests", ctst.requests},
                   {"cloudtrail_server_errors", ctst.server_errors},
                   {"csm_only_server_errors", st.csm_only_server_errors},
                   {"no_response_attempts", st.no_response}});
  }
  jcsm["intervals"] = civ;
  t["csm"] = jcsm;

  t["cur"] = {{"file", "cur/cur-" + options.month.ToString() + ".csv.gz"},
              {"rows", m.cur_rows},
              {"format", "cur-legacy"},
              {"product_code", "awskms"}};
  t["totals"] = {{"cloudtrail_files", m.cloudtrail_files.size()},
                 {"cloudtrail_records", m.cloudtrail_records},
                 {"kms_records", m.kms_records},
                 {"other_service_records", m.other_service_records}};
  const std::string truth = t.dump(2) + "\n";
  m.truth_file = (out / "truth.json").string();
  RECOUP_RETURN_IF_ERROR(WriteFile(m.truth_file, truth));
  m.bytes_written += static_cast<int64_t>(truth.size());
  return m;
}

}  // namespace recoup::demo
