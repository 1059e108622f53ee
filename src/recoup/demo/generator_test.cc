#include "recoup/demo/generator.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "recoup/core/exact.h"
#include "recoup/core/time.h"

namespace recoup::demo {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Inflates a whole gzip file; fails the test on any error.
bool Gunzip(const std::string& gz, std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return false;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  char buf[1 << 16];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out->append(buf, sizeof buf - zs.avail_out);
  } while (rc != Z_STREAM_END);
  const bool ok = rc == Z_STREAM_END && zs.avail_in == 0;
  inflateEnd(&zs);
  return ok;
}

bool IsUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

std::string Relative(const fs::path& root, const std::string& p) {
  return fs::relative(fs::path(p), root).generic_string();
}

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

std::string SlaClass(const Json& r) {
  const auto aed = r.find("additionalEventData");
  if (aed != r.end() && aed->is_object() && aed->contains("customKeyStoreId")) {
    return "custom_key_store";
  }
  if (!r.contains("errorCode")) return "success";
  const std::string code = r["errorCode"];
  if (code == "ThrottlingException") return "throttling";
  if (code == "KMSInternalException" || code == "DependencyTimeoutException" ||
      code == "KeyUnavailableException") {
    return "server_error";
  }
  return "client_error";
}

// What the files say, recomputed independently of the generator.
struct CellView {
  std::map<std::string, int64_t> classes;
  int64_t kms_records = 0, other = 0, cks_failed = 0;
  std::map<int64_t, std::pair<int64_t, int64_t>> intervals;  // start -> requests, server errors
};

struct Observed {
  std::map<std::string, CellView> cells;  // "account/region"
  std::set<std::string> request_ids;
  std::map<std::string, Json> by_request_id;  // KMS records of payments us-east-1 on day 14
  int64_t records = 0;
  std::vector<std::string> problems;
};

// Generating and parsing a month takes a few seconds, and ctest runs each test
// in its own process, so every test builds only what it needs, once.
class DemoGeneratorTest : public ::testing::Test {
 protected:
  static void TearDownTestSuite() {
    std::error_code ec;
    if (root_ != nullptr) fs::remove_all(*root_, ec);
    delete root_;
    delete manifest_;
    delete truth_;
    delete observed_;
    root_ = nullptr;
    manifest_ = nullptr;
    truth_ = nullptr;
    observed_ = nullptr;
  }

  static const fs::path& Root() {
    if (root_ == nullptr) {
      root_ = new fs::path(fs::temp_directory_path() /
                           ("recoup_demo_test_" + std::to_string(::getpid())));
      fs::remove_all(*root_);
      fs::create_directories(*root_);
    }
    return *root_;
  }

  static DemoManifest GenerateInto(const std::string& name) {
    DemoOptions o;
    o.out_dir = (Root() / name).string();
    auto m = GenerateDemo(o);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : DemoManifest{};
  }

  static const DemoManifest& Manifest() {
    if (manifest_ == nullptr) manifest_ = new DemoManifest(GenerateInto("a"));
    return *manifest_;
  }

  static const Json& Truth() {
    if (truth_ == nullptr) truth_ = new Json(Json::parse(ReadAll(Manifest().truth_file)));
    return *truth_;
  }

  static const Observed& Seen() {
    if (observed_ == nullptr) observed_ = new Observed(Observe(Manifest()));
    return *observed_;
  }

  // Parses every CloudTrail file whose path contains `only` (all when empty).
  static Observed Observe(const DemoManifest& m, const std::string& only = "") {
    Observed o;
    const std::regex name_re(
        R"(AWSLogs/o-a1b2c3d4e5/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/)"
        R"((\d{12})_CloudTrail_([a-z0-9-]+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[A-Za-z0-9]{16}\.json\.gz)");
    const int64_t day14 = YearMonth{2026, 10}.StartMs() + 13 * kMsPerDay;
    for (const std::string& file : m.cloudtrail_files) {
      if (!only.empty() && file.find(only) == std::string::npos) continue;
      const std::string rel = Relative(m.cloudtrail_dir, file);
      std::smatch mt;
      if (!std::regex_match(rel, mt, name_re)) {
        o.problems.push_back("bad name " + rel);
        continue;
      }
      const std::string account = mt[1], region = mt[2];
      if (mt[6] != account || mt[7] != region || mt[3] != mt[8] || mt[4] != mt[9] ||
          mt[5] != mt[10]) {
        o.problems.push_back("inconsistent path " + rel);
      }
      const int64_t delivered =
          (DaysFromCivil(std::stoi(mt[8]), static_cast<unsigned>(std::stoi(mt[9])),
                         static_cast<unsigned>(std::stoi(mt[10]))) *
               86400 +
           std::stoi(mt[11]) * 3600 + std::stoi(mt[12]) * 60) *
          1000;
      std::string body;
      if (!Gunzip(ReadAll(file), &body)) {
        o.problems.push_back("bad gzip " + rel);
        continue;
      }
      Json doc = Json::parse(body, nullptr, false);
      if (doc.is_discarded() || !doc.is_object() || !doc.contains("Records") ||
          !doc["Records"].is_array() || doc["Records"].empty()) {
        o.problems.push_back("bad JSON " + rel);
        continue;
      }
      int64_t newest = 0;
      for (const Json& r : doc["Records"]) {
        ++o.records;
        const auto t = ParseTimestampMs(r.value("eventTime", ""));
        const std::string et = r.value("eventTime", "");
        if (!t.ok() || et.size() != 20 || et.back() != 'Z') {
          o.problems.push_back("bad eventTime in " + rel);
          continue;
        }
        newest = std::max(newest, *t);
        const std::string rid = r.value("requestID", "");
        if (rid.empty() || !IsUuid(r.value("eventID", ""))) {
          o.problems.push_back("bad IDs in " + rel);
        }
        if (r.value("awsRegion", "") != region || r.value("recipientAccountId", "") != account ||
            r["userIdentity"].value("accountId", "") != account ||
            r["userIdentity"].value("accessKeyId", "").rfind("ASIA", 0) != 0 ||
            r.value("eventType", "") != "AwsApiCall" || r.value("managementEvent", false) != true ||
            r.value("eventCategory", "") != "Management" || !r.contains("readOnly") ||
            !r.contains("requestParameters") || !r.contains("responseElements")) {
          o.problems.push_back("missing or wrong common fields in " + rel + ": " + r.dump());
        }
        o.request_ids.insert(rid);
        CellView& cv = o.cells[account + "/" + region];
        if (r.value("eventSource", "") != "kms.amazonaws.com") {
          ++cv.other;
          continue;
        }
        const std::string ver = r.value("eventVersion", "");
        if ((ver != "1.09" && ver != "1.11") || !IsUuid(rid) ||
            r.value("errorCode", "").empty() != !r.contains("errorCode")) {
          o.problems.push_back("bad KMS record in " + rel);
        }
        for (const Json& res : r.value("resources", Json::array())) {
          if (res.value("type", "") != "AWS::KMS::Key" ||
              res.value("ARN", "").rfind("arn:aws:kms:" + region + ":" + account + ":key/", 0) !=
                  0) {
            o.problems.push_back("bad resource in " + rel);
          }
        }
        const std::string cls = SlaClass(r);
        ++cv.kms_records;
        ++cv.classes[cls];
        if (cls == "custom_key_store" && r.contains("errorCode")) ++cv.cks_failed;
        const int64_t start = *t - *t % (5 * kMsPerMinute);
        auto& iv = cv.intervals[start];
        if (cls != "custom_key_store") ++iv.first;
        if (cls == "server_error") ++iv.second;
        if (account == kPaymentsAccount && region == "us-east-1" && *t >= day14 &&
            *t < day14 + kMsPerDay) {
          o.by_request_id[rid] = r;
        }
      }
      if (delivered < newest || delivered > newest + 10 * kMsPerMinute) {
        o.problems.push_back("delivery time not a few minutes after the newest record: " + rel);
      }
    }
    return o;
  }

  static const Json& TruthCell(const std::string& account, const std::string& region) {
    for (const Json& c : Truth()["cells"]) {
      if (c["account_id"] == account && c["region"] == region) return c;
    }
    static const Json kNone;
    return kNone;
  }

  static fs::path* root_;
  static DemoManifest* manifest_;
  static Json* truth_;
  static Observed* observed_;
};

fs::path* DemoGeneratorTest::root_ = nullptr;
DemoManifest* DemoGeneratorTest::manifest_ = nullptr;
Json* DemoGeneratorTest::truth_ = nullptr;
Observed* DemoGeneratorTest::observed_ = nullptr;

TEST_F(DemoGeneratorTest, SameSeedGivesByteIdenticalFiles) {
  const DemoManifest& ma = Manifest();
  const DemoManifest mb = GenerateInto("b");
  std::map<std::string, fs::path> a, b;
  for (const auto& e : fs::recursive_directory_iterator(ma.out_dir)) {
    if (e.is_regular_file()) a[Relative(ma.out_dir, e.path().string())] = e.path();
  }
  for (const auto& e : fs::recursive_directory_iterator(mb.out_dir)) {
    if (e.is_regular_file()) b[Relative(mb.out_dir, e.path().string())] = e.path();
  }
  ASSERT_EQ(a.size(), b.size());
  size_t kms_trail = 0;
  std::set<std::string> tops;
  for (const auto& [rel, path] : a) {
    tops.insert(rel.substr(0, rel.find('/')));
    if (rel.rfind("cloudtrail/", 0) == 0) ++kms_trail;
  }
  EXPECT_EQ(kms_trail, ma.cloudtrail_files.size());
  EXPECT_EQ(tops, (std::set<std::string>{"apigateway", "cloudtrail", "csm", "cur", "data-events",
                                         "s3-access-logs", "truth.json"}));
  for (const auto& [rel, path] : a) {
    ASSERT_TRUE(b.count(rel)) << rel;
    ASSERT_EQ(ReadAll(path), ReadAll(b[rel])) << rel;
  }
  EXPECT_EQ(ma.kms_records, mb.kms_records);
  EXPECT_EQ(ma.bytes_written, mb.bytes_written);
}

// The other services' evidence, read back by file format, gives the counts
// truth.json states for every (account, Region, service).
TEST_F(DemoGeneratorTest, OtherServicesEvidenceMatchesTruth) {
  struct Counts {
    int64_t server = 0, throttled = 0, client = 0;
  };
  std::map<std::string, Counts> seen;  // "account/region/service"
  auto key = [](const std::string& a, const std::string& r, const std::string& s) {
    return a + "/" + r + "/" + s;
  };
  const DemoManifest& m = Manifest();
  // Data-event trail: error codes by service.
  const std::set<std::string> server = {"InternalServerError", "ServiceException", "InternalError"};
  const std::set<std::string> throttled = {"ProvisionedThroughputExceededException",
                                           "TooManyRequestsException", "RequestThrottled"};
  for (const auto& e : fs::recursive_directory_iterator(m.data_events_dir)) {
    if (!e.is_regular_file()) continue;
    std::string body;
    ASSERT_TRUE(Gunzip(ReadAll(e.path()), &body)) << e.path();
    const Json doc = Json::parse(body);
    for (const Json& r : doc["Records"]) {
      const std::string src = r["eventSource"];
      Counts& c = seen[key(r["recipientAccountId"], r["awsRegion"], src.substr(0, src.find('.')))];
      if (!r.contains("errorCode")) continue;
      const std::string code = r["errorCode"];
      if (server.count(code) != 0) {
        ++c.server;
      } else if (throttled.count(code) != 0) {
        ++c.throttled;
      } else {
        ++c.client;
      }
    }
  }
  // API Gateway access logs: 500 is API Gateway's own error, 429 throttling.
  for (const auto& e : fs::recursive_directory_iterator(m.apigateway_dir)) {
    if (!e.is_regular_file()) continue;
    std::string body;
    ASSERT_TRUE(Gunzip(ReadAll(e.path()), &body));
    std::istringstream lines(body);
    for (std::string line; std::getline(lines, line);) {
      const Json j = Json::parse(line);
      const std::string domain = j["domainName"];
      const size_t at = domain.find(".execute-api.") + 13;
      const std::string region = domain.substr(at, domain.find(".amazonaws.com") - at);
      Counts& c = seen[key(j["accountId"], region, "apigateway")];
      const std::string status = j["status"];
      if (status == "500") ++c.server;
      if (status == "429") ++c.throttled;
      if (status == "400") ++c.client;
    }
  }
  // S3 server access logs: the error code field.
  for (const auto& [account, dir] : m.s3_access_log_dirs) {
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      std::istringstream lines(ReadAll(e.path()));
      for (std::string line; std::getline(lines, line);) {
        const size_t host = line.find(".s3.");
        const std::string region =
            line.substr(host + 4, line.find(".amazonaws.com", host) - host - 4);
        Counts& c = seen[key(account, region, "s3")];
        if (line.find(" InternalError ") != std::string::npos ||
            line.find(" ServiceUnavailable ") != std::string::npos) {
          ++c.server;
        } else if (line.find(" SlowDown ") != std::string::npos) {
          ++c.throttled;
        } else if (line.find(" NoSuchKey ") != std::string::npos) {
          ++c.client;
        }
      }
    }
  }
  const Json& series = Truth()["services"]["series"];
  ASSERT_EQ(series.size(), seen.size());
  int64_t breached = 0;
  for (const Json& s : series) {
    const std::string k = key(s["account_id"], s["region"], s["service"]);
    ASSERT_TRUE(seen.count(k)) << k;
    EXPECT_EQ(seen[k].server, s["server_errors"].get<int64_t>()) << k;
    EXPECT_EQ(seen[k].throttled, s["throttled"].get<int64_t>()) << k;
    EXPECT_EQ(seen[k].client, s["client_errors"].get<int64_t>()) << k;
    // Only us-east-1 had the outage.
    if (s["region"] != "us-east-1") {
      EXPECT_EQ(s["server_errors"].get<int64_t>(), 0) << k;
    }
    if (s["expected_verdict"]["credit_tier_percent"].get<int>() > 0) ++breached;
  }
  EXPECT_EQ(breached, 5);  // payments' DynamoDB, Lambda, SQS, API Gateway; analytics' Lambda
}

TEST_F(DemoGeneratorTest, RefusesNonEmptyDirectoryAndBadOptions) {
  const fs::path used = Root() / "used";
  fs::create_directories(used);
  std::ofstream(used / "notes.txt") << "keep me";
  DemoOptions again;
  again.out_dir = used.string();
  EXPECT_EQ(GenerateDemo(again).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadAll(used / "notes.txt"), "keep me");
  DemoOptions empty;
  EXPECT_EQ(GenerateDemo(empty).status().code(), StatusCode::kInvalidArgument);
  DemoOptions bad_month;
  bad_month.out_dir = (Root() / "never").string();
  bad_month.month = {2026, 13};
  EXPECT_EQ(GenerateDemo(bad_month).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(Root() / "never"));
}

// One test, because reading the month's CloudTrail takes seconds.
TEST_F(DemoGeneratorTest, CloudTrailFilesAreValidOrganizationTrailLogsMatchingTruth) {
  // One file per account, Region and hour that had records.
  EXPECT_LE(Manifest().cloudtrail_files.size(), 6u * 744u);
  EXPECT_GE(Manifest().cloudtrail_files.size(), 6u * 744u - 12u);
  for (size_t i = 0; i < Seen().problems.size() && i < 20; ++i) ADD_FAILURE() << Seen().problems[i];
  EXPECT_TRUE(Seen().problems.empty());
  EXPECT_EQ(Seen().records, Manifest().cloudtrail_records);
  EXPECT_LT(Manifest().cloudtrail_records, 150000);
  EXPECT_GT(Manifest().kms_records, 100000);
  // About 2% other services.
  EXPECT_GT(Manifest().other_service_records * 100, Manifest().cloudtrail_records);
  EXPECT_LT(Manifest().other_service_records * 100, Manifest().cloudtrail_records * 3);

  ASSERT_EQ(Seen().cells.size(), 6u);
  int64_t kms = 0;
  for (const auto& [key, cv] : Seen().cells) {
    const std::string account = key.substr(0, 12), region = key.substr(13);
    const Json& tc = TruthCell(account, region);
    ASSERT_TRUE(tc.is_object()) << key;
    const Json& ct = tc["cloudtrail"];
    EXPECT_EQ(ct["kms_records"], cv.kms_records) << key;
    EXPECT_EQ(ct["other_service_records"], cv.other) << key;
    EXPECT_EQ(ct["custom_key_store_failed"], cv.cks_failed) << key;
    for (const char* cls :
         {"success", "server_error", "throttling", "client_error", "custom_key_store"}) {
      const int64_t seen = cv.classes.count(cls) ? cv.classes.at(cls) : 0;
      EXPECT_EQ(ct[cls], seen) << key << " " << cls;
    }
    Json expected = Json::array();
    for (const auto& [start, counts] : cv.intervals) {
      if (counts.second > 0) {
        expected.push_back({{"start", FormatTimestamp(start)},
                            {"requests", counts.first},
                            {"server_errors", counts.second}});
      }
    }
    EXPECT_EQ(tc["server_error_intervals"], expected) << key;
    kms += cv.kms_records;
  }
  EXPECT_EQ(kms, Manifest().kms_records);
  EXPECT_EQ(Truth()["totals"]["kms_records"], Manifest().kms_records);
}

TEST_F(DemoGeneratorTest, ScenarioShowsOnlyTheUsEast1Outage) {
  for (const Json& c : Truth()["cells"]) {
    const bool outage_region = c["region"] == "us-east-1";
    const Json& ivs = c["server_error_intervals"];
    if (!outage_region) {
      EXPECT_TRUE(ivs.empty()) << c["account_id"] << " " << c["region"];
      EXPECT_EQ(c["expected_verdict"]["credit_tier_percent"], 0);
      continue;
    }
    ASSERT_EQ(ivs.size(), 7u) << c["account_id"];
    const char* starts[] = {"2026-10-14T09:10:00Z", "2026-10-14T09:15:00Z", "2026-10-14T09:20:00Z",
                            "2026-10-14T09:25:00Z", "2026-10-14T09:30:00Z", "2026-10-14T09:35:00Z",
                            "2026-10-14T09:40:00Z"};
    for (size_t i = 0; i < 7; ++i) {
      EXPECT_EQ(ivs[i]["start"], starts[i]);
      const int64_t req = ivs[i]["requests"], err = ivs[i]["server_errors"];
      EXPECT_GE(err * 100, req * 20) << ivs[i].dump();
      EXPECT_LE(err * 100, req * 60) << ivs[i].dump();
    }
    EXPECT_EQ(c["expected_verdict"]["credit_tier_percent"], 10) << c["account_id"];
  }
  const Json& payments = TruthCell(std::string(kPaymentsAccount), "us-east-1");
  EXPECT_EQ(payments["expected_verdict"]["credit_usd"], "41.237");
  EXPECT_GE(payments["server_error_intervals"][0]["requests"], 15);
  EXPECT_GT(TruthCell(std::string(kAnalyticsAccount), "eu-west-1")["cloudtrail"]["throttling"],
            100);
  EXPECT_GT(TruthCell(std::string(kPaymentsAccount),
                      "ap-southeast-2")["cloudtrail"]["custom_key_store_failed"],
            10);
}

// The fields botocore writes for datagram `d` (an ApiCall or an
// ApiCallAttempt), in its order, given which optional fields `d` has: the
// HTTP status (with the request ID on attempts), then an AWS or SDK exception
// with its message.
std::vector<std::string> BotocoreFieldOrder(const OrderedJson& d) {
  const bool call = d["Type"] == "ApiCall";
  const std::string final = call ? "Final" : "";
  std::vector<std::string> want = {"Version", "ClientId", "Type", "Service", "Api", "Timestamp"};
  const std::vector<std::string> middle =
      call ? std::vector<std::string>{"AttemptCount", "Region", "UserAgent"}
           : std::vector<std::string>{"AttemptLatency", "Fqdn",   "UserAgent",
                                      "AccessKey",      "Region", "SessionToken"};
  want.insert(want.end(), middle.begin(), middle.end());
  if (d.contains(final + "HttpStatusCode")) {
    want.push_back(final + "HttpStatusCode");
    if (!call) want.push_back("XAmznRequestId");
  }
  for (const std::string exception : {"AwsException", "SdkException"}) {
    if (d.contains(final + exception)) {
      want.push_back(final + exception);
      want.push_back(final + exception + "Message");
    }
  }
  if (call) {
    want.push_back("Latency");
    want.push_back("MaxRetriesExceeded");
  }
  return want;
}

TEST_F(DemoGeneratorTest, CsmLinesAreBotocoreDatagramsMatchingCloudTrail) {
  const Json& csm = Truth()["csm"];
  // The application's calls on day 14 are delivered on day 14 or just after.
  Observed ct = Observe(Manifest(), "/111122223333/CloudTrail/us-east-1/2026/10/14/");
  const Observed next = Observe(Manifest(), "/111122223333/CloudTrail/us-east-1/2026/10/15/");
  ct.request_ids.insert(next.request_ids.begin(), next.request_ids.end());
  ct.by_request_id.insert(next.by_request_id.begin(), next.by_request_id.end());
  EXPECT_TRUE(ct.problems.empty());
  std::set<std::string> csm_only;
  for (const Json& f : csm["csm_only_failures"]) csm_only.insert(f["request_id"]);
  std::set<std::string> access_keys;
  for (const Json& k : csm["access_keys"]) access_keys.insert(k);
  EXPECT_FALSE(csm_only.empty());
  EXPECT_FALSE(csm["no_response_attempts"].empty());

  std::ifstream in(Manifest().csm_file);
  std::string line;
  int64_t lines = 0, attempts = 0, calls = 0, in_ct = 0, only = 0, no_response = 0;
  std::set<std::string> seen_ids;
  while (std::getline(in, line)) {
    ++lines;
    OrderedJson d = OrderedJson::parse(line, nullptr, false);
    ASSERT_FALSE(d.is_discarded()) << line;
    // botocore's serializer: compact separators, fields in its fixed order.
    ASSERT_EQ(d.dump(), line);
    std::vector<std::string> keys;
    for (const auto& [k, v] : d.items()) keys.push_back(k);
    ASSERT_GE(keys.size(), 6u);
    EXPECT_EQ(
        std::vector<std::string>(keys.begin(), keys.begin() + 6),
        (std::vector<std::string>{"Version", "ClientId", "Type", "Service", "Api", "Timestamp"}));
    EXPECT_EQ(d["Version"], 1);
    EXPECT_EQ(d["ClientId"], "payments-app");
    EXPECT_EQ(d["Service"], "KMS");
    EXPECT_EQ(d["Region"], "us-east-1");
    EXPECT_EQ(keys, BotocoreFieldOrder(d)) << line;
    if (d["Type"] == "ApiCall") {
      ++calls;
      continue;
    }
    ASSERT_EQ(d["Type"], "ApiCallAttempt");
    ++attempts;
    EXPECT_EQ(d["Fqdn"], "kms.us-east-1.amazonaws.com");
    EXPECT_TRUE(access_keys.count(d["AccessKey"].get<std::string>())) << line;
    if (d.contains("HttpStatusCode")) {
      const std::string rid = d["XAmznRequestId"];
      EXPECT_TRUE(seen_ids.insert(rid).second) << "duplicate request ID " << rid;
      if (csm_only.count(rid)) {
        ++only;
        EXPECT_EQ(ct.request_ids.count(rid), 0u) << rid;
        EXPECT_EQ(d["HttpStatusCode"], 500);
      } else {
        ++in_ct;
        auto it = ct.by_request_id.find(rid);
        ASSERT_NE(it, ct.by_request_id.end()) << "not in CloudTrail: " << line;
        const Json& r = it->second;
        auto str = [](const auto& j) { return j.template get<std::string>(); };
        EXPECT_EQ(str(r["eventName"]), str(d["Api"]));
        EXPECT_EQ(str(r["userIdentity"]["accessKeyId"]), str(d["AccessKey"]));
        EXPECT_EQ(str(r["userAgent"]), str(d["UserAgent"]));
        EXPECT_EQ(r.value("errorCode", ""), d.value("AwsException", ""));
        const int64_t ts = d["Timestamp"];
        EXPECT_EQ(str(r["eventTime"]), FormatTimestamp(ts - ts % 1000));
      }
    } else {
      ++no_response;
      EXPECT_TRUE(d["SdkException"] == "ConnectTimeoutError" ||
                  d["SdkException"] == "ReadTimeoutError");
    }
  }
  EXPECT_EQ(lines, Manifest().csm_lines);
  EXPECT_EQ(attempts, Manifest().csm_attempts);
  EXPECT_EQ(csm["lines"], lines);
  EXPECT_EQ(csm["api_calls"], calls);
  EXPECT_EQ(csm["attempts"], attempts);
  EXPECT_EQ(csm["attempts_in_cloudtrail"], in_ct);
  EXPECT_EQ(static_cast<int64_t>(csm_only.size()), only);
  EXPECT_EQ(static_cast<int64_t>(csm["no_response_attempts"].size()), no_response);
}

TEST_F(DemoGeneratorTest, CurCarriesTheKmsChargesOfTheTruth) {
  std::string csv;
  ASSERT_TRUE(Gunzip(ReadAll(Manifest().cur_file), &csv));
  std::istringstream in(csv);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  const std::vector<std::string> header = SplitCsvLine(line);
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  for (const char* c :
       {"identity/LineItemId", "bill/BillingPeriodStartDate", "bill/PayerAccountId",
        "lineItem/UsageAccountId", "lineItem/LineItemType", "lineItem/UsageStartDate",
        "lineItem/ProductCode", "lineItem/UsageType", "lineItem/Operation", "lineItem/UsageAmount",
        "lineItem/CurrencyCode", "lineItem/UnblendedCost", "lineItem/NetUnblendedCost",
        "product/region", "product/productFamily"}) {
    ASSERT_TRUE(col.count(c)) << c;
  }
  std::map<std::string, Rational> usage;  // account/region
  int64_t rows = 0, tax = 0, other = 0, key_rows = 0;
  std::set<std::string> ids;
  while (std::getline(in, line)) {
    ++rows;
    const std::vector<std::string> f = SplitCsvLine(line);
    ASSERT_EQ(f.size(), header.size()) << line;
    EXPECT_TRUE(ids.insert(f[col["identity/LineItemId"]]).second);
    auto cost = ParseDecimal(f[col["lineItem/UnblendedCost"]]);
    ASSERT_TRUE(cost.ok()) << line;
    const std::string frac =
        f[col["lineItem/UsageAmount"]].substr(f[col["lineItem/UsageAmount"]].find('.') + 1);
    EXPECT_LE(frac.size(), 10u);
    if (f[col["lineItem/ProductCode"]] != "awskms") {
      ++other;
      continue;
    }
    if (f[col["lineItem/LineItemType"]] == "Tax") {
      ++tax;
      EXPECT_EQ(f[col["product/region"]], "");
      continue;
    }
    ASSERT_EQ(f[col["lineItem/LineItemType"]], "Usage");
    if (f[col["lineItem/UsageType"]].find("KMS-Keys") != std::string::npos) ++key_rows;
    usage[f[col["lineItem/UsageAccountId"]] + "/" + f[col["product/region"]]] += *cost;
  }
  EXPECT_EQ(rows, Manifest().cur_rows);
  EXPECT_EQ(tax, 2);
  EXPECT_GT(other, 0);
  EXPECT_GT(key_rows, 400);
  ASSERT_EQ(usage.size(), 6u);
  EXPECT_EQ(usage["111122223333/us-east-1"], Rational(41237, 100));
  for (const auto& [key, total] : usage) {
    const Json& tc = TruthCell(key.substr(0, 12), key.substr(13));
    auto want = ParseDecimal(tc["charges"]["kms_usage_unblended_usd"].get<std::string>());
    ASSERT_TRUE(want.ok());
    EXPECT_EQ(total, *want) << key;
  }
}

TEST(DemoGeneratorMonthTest, AnyMonthKeepsTheScenarioAndTheCharge) {
  const fs::path dir =
      fs::temp_directory_path() / ("recoup_demo_feb_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  DemoOptions o;
  o.out_dir = dir.string();
  o.month = {2027, 2};
  o.seed = 7;
  auto m = GenerateDemo(o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const Json t = Json::parse(ReadAll(m->truth_file));
  EXPECT_EQ(t["intervals_in_month"], 28 * 288);
  for (const Json& c : t["cells"]) {
    if (c["account_id"] == kPaymentsAccount && c["region"] == "us-east-1") {
      EXPECT_EQ(c["charges"]["kms_usage_unblended_usd"], "412.37");
      ASSERT_EQ(c["server_error_intervals"].size(), 7u);
      EXPECT_EQ(c["server_error_intervals"][0]["start"], "2027-02-14T09:10:00Z");
      EXPECT_EQ(c["expected_verdict"]["credit_usd"], "41.237");
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace recoup::demo
