#include "recoup/demo/world.h"

#include <initializer_list>
#include <utility>

#include "recoup/demo/generator.h"
#include "recoup/demo/random.h"

namespace recoup::demo {
namespace {

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

const std::vector<OpWeight> kAppOps = {{"Decrypt", 48},
                                       {"GenerateDataKey", 26},
                                       {"Encrypt", 9},
                                       {"DescribeKey", 7},
                                       {"GenerateDataKeyWithoutPlaintext", 6},
                                       {"ReEncrypt", 4}};
const std::vector<OpWeight> kReportOps = {
    {"Decrypt", 70}, {"GenerateDataKey", 20}, {"DescribeKey", 10}};
const std::vector<OpWeight> kSecretOps = {{"Decrypt", 100}};

struct KeySpec {
  const char* alias;  // "" for a tenant key
  KeyKind kind = KeyKind::kSymmetric;
  KeyState state = KeyState::kEnabled;
};

void AddKey(Cell& c, Rng& rng, const KeySpec& spec) {
  KeyDef k;
  k.alias = spec.alias;
  k.id = Uuid(rng);
  k.arn = KeyArn(c, k.id);
  k.kind = spec.kind;
  k.state = spec.state;
  if (spec.kind == KeyKind::kXks) {
    k.custom_key_store_id = "cks-" + RandomChars(rng, kHex, 17);
    k.xks_key_id = "payments-ledger-au-" + RandomChars(rng, kHex, 8);
  }
  c.keys.push_back(std::move(k));
}

// A cell with the names of its account's secret and bucket, and its keys:
// `keys` in order, then `tenant_keys` keys without alias.
Cell MakeCell(uint64_t seed, std::string_view account, std::string name, std::string region,
              int utc_offset_hours, int weekend_percent, std::initializer_list<KeySpec> keys,
              int tenant_keys = 0) {
  Cell c;
  c.account = std::string(account);
  c.account_name = std::move(name);
  c.region = std::move(region);
  c.utc_offset_hours = utc_offset_hours;
  c.weekend_percent = weekend_percent;
  Rng rng(HashString(seed, "cell-meta/" + c.account + "/" + c.region));
  const std::string prefix = c.account == kPaymentsAccount ? "payments" : "analytics";
  c.secret_name = prefix + (prefix == "payments" ? "/db-credentials" : "/warehouse-credentials");
  c.secret_arn = "arn:aws:secretsmanager:" + c.region + ":" + c.account +
                 ":secret:" + c.secret_name + "-" + RandomChars(rng, kAlnum, 6);
  c.secret_version = Uuid(rng);
  c.bucket = prefix + "-" + (prefix == "payments" ? "statements" : "lake") + "-" + c.account + "-" +
             c.region;
  Rng key_rng(HashString(seed, "keys/" + c.account + "/" + c.region));
  for (const KeySpec& k : keys) AddKey(c, key_rng, k);
  c.tenant_begin = static_cast<int>(c.keys.size());
  for (int i = 0; i < tenant_keys; ++i) AddKey(c, key_rng, {""});
  c.tenant_end = static_cast<int>(c.keys.size());
  return c;
}

// The index of the cell's key with this alias (it must exist).
int KeyIndex(const Cell& c, std::string_view alias) {
  for (size_t i = 0; i < c.keys.size(); ++i) {
    if (c.keys[i].alias == alias) return static_cast<int>(i);
  }
  return -1;
}

std::vector<int> KeyIndices(const Cell& c, std::initializer_list<std::string_view> aliases) {
  std::vector<int> out;
  for (std::string_view alias : aliases) out.push_back(KeyIndex(c, alias));
  return out;
}

// A caller using an AWS SDK with its own credentials, on the keys named.
Actor SdkActor(const Cell& c, std::string name, std::string role, Host host, const char* ua,
               std::vector<std::string> ips, int64_t rate_milli, Ctx ctx, std::vector<OpWeight> ops,
               std::initializer_list<std::string_view> keys) {
  Actor a;
  a.session_key = name;
  a.name = std::move(name);
  a.role = std::move(role);
  a.host = host;
  a.user_agent = ua;
  a.ips = std::move(ips);
  a.rate_milli = rate_milli;
  a.ctx = ctx;
  a.ops = std::move(ops);
  a.keys = KeyIndices(c, keys);
  a.other_services = true;
  a.scattered_errors = true;
  return a;
}

// A job that keeps using a key it may no longer use: every call fails.
Actor BrokenJob(Actor a, FixedError error) {
  a.fixed_error = error;
  a.other_services = a.scattered_errors = false;
  return a;
}

// A KMS call an AWS service makes with a caller's credentials (forward
// access), on the keys named.
Actor ServiceActor(const Cell& c, const Actor& base, const std::string& service, int64_t rate_milli,
                   Ctx ctx, std::vector<OpWeight> ops,
                   std::initializer_list<std::string_view> keys) {
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
  a.ops = std::move(ops);
  a.keys = KeyIndices(c, keys);
  return a;
}

// payments, us-east-1: the application watched by CSM, a settlement Lambda,
// and two services calling KMS on their behalf.
Cell PaymentsUsEast1(uint64_t seed) {
  Cell c = MakeCell(seed, kPaymentsAccount, "payments", "us-east-1", -4, 85,
                    {{"payments-data"},
                     {"payments-tokens"},
                     {"payments-signing", KeyKind::kRsaSign},
                     {"payments-secrets"},
                     {"payments-statements"}},
                    300);
  Actor app = SdkActor(c, "payments-app", "payments-app-task", Host::kEcs, kBoto3Ua,
                       {"203.0.113.17", "203.0.113.42"}, 2700, Ctx::kMerchant, kAppOps,
                       {"payments-data", "payments-tokens"});
  app.tenant_percent = 60;
  app.sdk_app = app.emits_csm = app.settlement_batch = true;
  Actor settle =
      SdkActor(c, "payments-settlement", "payments-settlement-role", Host::kLambda, kJsUa,
               {"198.51.100.23", "198.51.100.87"}, 900, Ctx::kSettlement,
               {{"Sign", 45}, {"Decrypt", 35}, {"GenerateDataKey", 20}}, {"payments-data"});
  settle.sign_key = KeyIndex(c, "payments-signing");
  c.actors = {app, settle,
              ServiceActor(c, app, "secretsmanager.amazonaws.com", 450, Ctx::kSecret, kSecretOps,
                           {"payments-secrets"}),
              ServiceActor(c, settle, "s3.amazonaws.com", 350, Ctx::kS3,
                           {{"GenerateDataKey", 60}, {"Decrypt", 40}}, {"payments-statements"})};
  c.outage = c.gets_free_tier = c.fixed_charge = true;
  return c;
}

// payments, eu-west-1: a key pending deletion that a migrator still uses.
Cell PaymentsEuWest1(uint64_t seed) {
  Cell c = MakeCell(seed, kPaymentsAccount, "payments", "eu-west-1", 1, 85,
                    {{"payments-data-eu"},
                     {"payments-statements-eu"},
                     {"payments-archive-2019", KeyKind::kSymmetric, KeyState::kPendingDeletion}});
  const Actor app = SdkActor(c, "payments-app-eu", "payments-app-task", Host::kEcs, kBoto3Ua,
                             {"198.51.100.140", "198.51.100.141"}, 2200, Ctx::kMerchant, kAppOps,
                             {"payments-data-eu"});
  c.actors = {app,
              ServiceActor(c, app, "s3.amazonaws.com", 380, Ctx::kS3,
                           {{"GenerateDataKey", 55}, {"Decrypt", 45}}, {"payments-statements-eu"}),
              BrokenJob(SdkActor(c, "archive-migrator", "archive-migrator", Host::kEc2, kBoto3Ua,
                                 {"198.51.100.150"}, 25, Ctx::kMerchant,
                                 {{"Decrypt", 80}, {"ReEncrypt", 20}}, {"payments-archive-2019"}),
                        FixedError::kPendingDeletion)};
  return c;
}

// payments, ap-southeast-2: a ledger service on an external key store.
Cell PaymentsApSoutheast2(uint64_t seed) {
  Cell c = MakeCell(
      seed, kPaymentsAccount, "payments", "ap-southeast-2", 11, 85,
      {{"payments-data-au"}, {"payments-ledger-xks", KeyKind::kXks}, {"payments-secrets-au"}});
  const Actor app =
      SdkActor(c, "payments-app-au", "payments-app-task", Host::kEcs, kBoto3Ua,
               {"192.0.2.44", "192.0.2.45"}, 1300, Ctx::kMerchant, kAppOps, {"payments-data-au"});
  c.actors = {app,
              SdkActor(c, "ledger-service", "ledger-service-task", Host::kEcs, kJavaUa,
                       {"192.0.2.60", "192.0.2.61"}, 750, Ctx::kLedger,
                       {{"Decrypt", 50}, {"Encrypt", 30}, {"GenerateDataKey", 20}},
                       {"payments-ledger-xks"}),
              ServiceActor(c, app, "secretsmanager.amazonaws.com", 150, Ctx::kSecret, kSecretOps,
                           {"payments-secrets-au"})};
  return c;
}

// analytics, us-east-1: ETL on EC2 through a VPC endpoint, Glue reading
// SSE-KMS objects, and a forgotten job on a disabled key.
Cell AnalyticsUsEast1(uint64_t seed) {
  Cell c = MakeCell(seed, kAnalyticsAccount, "analytics", "us-east-1", -4, 50,
                    {{"analytics-lake"},
                     {"analytics-warehouse"},
                     {"legacy-reports", KeyKind::kSymmetric, KeyState::kDisabled}},
                    40);
  Actor etl = SdkActor(c, "etl-runner", "etl-runner-instance", Host::kEc2, kJavaEc2Ua,
                       {"10.40.12.31", "10.40.13.77"}, 2000, Ctx::kDataset,
                       {{"Decrypt", 55},
                        {"GenerateDataKey", 35},
                        {"DescribeKey", 5},
                        {"GenerateDataKeyWithoutPlaintext", 5}},
                       {"analytics-lake", "analytics-warehouse"});
  etl.vpc_endpoint = "vpce-0b7c6a1e2f3d4c5b6";
  etl.tenant_percent = 50;
  Actor glue_jobs;  // Glue's job runs, seen only through S3's calls
  glue_jobs.name = glue_jobs.session_key = "glue-lake-jobs";
  glue_jobs.role = "AWSGlueServiceRole-lake";
  glue_jobs.host = Host::kGlue;
  c.actors = {etl,
              ServiceActor(c, glue_jobs, "s3.amazonaws.com", 700, Ctx::kS3,
                           {{"Decrypt", 70}, {"GenerateDataKey", 30}}, {"analytics-lake"}),
              BrokenJob(SdkActor(c, "legacy-export", "legacy-export-instance", Host::kEc2, kGoUa,
                                 {"203.0.113.99"}, 30, Ctx::kReport, {{"Decrypt", 100}},
                                 {"legacy-reports"}),
                        FixedError::kDisabled)};
  c.outage = c.gets_free_tier = true;
  return c;
}

// analytics, eu-west-1: ETL bursts that get throttled.
Cell AnalyticsEuWest1(uint64_t seed) {
  Cell c = MakeCell(seed, kAnalyticsAccount, "analytics", "eu-west-1", 1, 50,
                    {{"analytics-lake-eu"}, {"analytics-exports-eu"}});
  Actor etl = SdkActor(c, "etl-runner-eu", "etl-runner-instance", Host::kEc2, kJavaEc2Ua,
                       {"198.51.100.200", "198.51.100.201"}, 1800, Ctx::kDataset,
                       {{"Decrypt", 55}, {"GenerateDataKey", 40}, {"DescribeKey", 5}},
                       {"analytics-lake-eu"});
  etl.throttled = true;
  c.actors = {
      etl, SdkActor(c, "reporting-eu", "reporting-task", Host::kEcs, kGoUa, {"198.51.100.210"}, 600,
                    Ctx::kReport, kReportOps, {"analytics-exports-eu", "analytics-lake-eu"})};
  return c;
}

// analytics, ap-southeast-2: reporting only.
Cell AnalyticsApSoutheast2(uint64_t seed) {
  Cell c = MakeCell(seed, kAnalyticsAccount, "analytics", "ap-southeast-2", 11, 50,
                    {{"analytics-lake-au"}});
  const Actor rep = SdkActor(c, "reporting-au", "reporting-task", Host::kEcs, kGoUa,
                             {"192.0.2.120", "192.0.2.121"}, 1550, Ctx::kReport, kReportOps,
                             {"analytics-lake-au"});
  c.actors = {rep, ServiceActor(c, rep, "s3.amazonaws.com", 250, Ctx::kS3,
                                {{"GenerateDataKey", 50}, {"Decrypt", 50}}, {"analytics-lake-au"})};
  return c;
}

}  // namespace

std::string KeyArn(const Cell& c, std::string_view id) {
  return "arn:aws:kms:" + c.region + ":" + c.account + ":key/" + std::string(id);
}

std::vector<Cell> BuildWorld(uint64_t seed) {
  std::vector<Cell> cells;
  cells.push_back(PaymentsUsEast1(seed));
  cells.push_back(PaymentsEuWest1(seed));
  cells.push_back(PaymentsApSoutheast2(seed));
  cells.push_back(AnalyticsUsEast1(seed));
  cells.push_back(AnalyticsEuWest1(seed));
  cells.push_back(AnalyticsApSoutheast2(seed));
  return cells;
}

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

}  // namespace recoup::demo
