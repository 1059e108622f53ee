// A fixed claim (SLA terms, intervals, failing requests, charges, Health
// events all written out below, nothing read from the catalog or the clock)
// must produce the package checked in under expected/, byte for byte. The
// compressed attachment is checked by content (its bytes depend on zlib's
// version) and by being identical across builds.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "recoup/claims/package.h"
#include "recoup/core/sha256.h"

namespace recoup::claims {
namespace {

namespace fs = std::filesystem;

sla::SlaVersion Terms() {
  sla::SlaVersion v;
  v.id = "kms-2022-11-29";
  v.title = "AWS Key Management Service (KMS) Service Level Agreement";
  v.effective_month = YearMonth{2022, 12};
  v.effective_from = "2022-11-29";
  v.commitment_pct = *ParseDecimal("99.999");
  v.tiers = {{*ParseDecimal("99.999"), 10}, {99, 25}, {95, 100}};
  v.interval_seconds = 300;
  v.empty_interval_error_rate = 0;
  v.minimum_credit_usd = 1;
  v.minimum_rule = "credit_must_exceed";
  v.charges_scope = "region";
  v.claim_window_billing_cycles = 2;
  v.excluded_classes = {events::OutcomeClass::kThrottled, events::OutcomeClass::kCustomKeyStore,
                        events::OutcomeClass::kClientError};
  return v;
}

// The service's entry as the catalog has it, reduced to what the package reads.
const sla::ServiceTerms& Service() {
  static const sla::ServiceTerms* terms = [] {
    auto* t = new sla::ServiceTerms();
    t->key = "kms";
    t->name = "AWS Key Management Service";
    t->claim_subject = "SLA Credit Request - AWS Key Management Service (KMS)";
    t->claim_fields = {"billing_cycle", "regions", "incident_times", "request_logs"};
    t->codes.emplace("ThrottlingException", events::OutcomeClass::kThrottled);
    t->codes.emplace("KMSInternalException", events::OutcomeClass::kServerError);
    return t;
  }();
  return *terms;
}

PackageInput Input(const sla::SlaVersion& terms) {
  PackageInput in;
  in.version = &terms;
  in.terms = &Service();
  in.service_name = "AWS Key Management Service";
  claims::ClaimRecord& c = in.claim;
  c.id = "123456789012-eu-central-1-kms-2025-02";
  c.account = "123456789012";
  c.region = "eu-central-1";
  c.service = "kms";
  c.month = YearMonth{2025, 2};
  c.deadline_ms = terms.ClaimDeadlineMs(c.month);
  sla::MonthInput mi{c.account, c.region, c.service, c.month, {}, *ParseDecimal("1234.56")};
  const int64_t t0 = *ParseTimestampMs("2025-02-11T22:50:00Z");
  // Two windows: 22:50-23:05 (three intervals) and 23:20-23:25.
  const int64_t counts[][3] = {{0, 40, 7}, {1, 52, 31}, {2, 45, 12}, {6, 30, 30}};
  int n = 0;
  for (const auto& row : counts) {
    sla::IntervalCounts ic;
    ic.start_ms = t0 + row[0] * 300000;
    ic.requests = row[1];
    ic.failed = row[2];
    ic.excluded[static_cast<int>(events::OutcomeClass::kThrottled)] = row[0];
    mi.intervals.push_back(ic);
    for (int64_t k = 0; k < row[2]; ++k) {
      events::Event e;
      e.time_ms = ic.start_ms + k * 7000 + 123;
      e.account = c.account;
      e.region = c.region;
      e.service = "kms";
      e.operation = k % 3 == 0 ? "GenerateDataKey" : "Decrypt";
      e.error_code = k % 4 == 0 ? "DependencyTimeoutException" : "KMSInternalException";
      e.http_status = k % 4 == 0 ? 503 : 500;
      e.request_id = "0000" + std::to_string(1000 + n++) + "-aaaa-bbbb-cccc-000000000000";
      e.resource = "arn:aws:kms:eu-central-1:123456789012:key/" +
                   std::string(k % 2 == 0 ? "11111111-2222-3333-4444-555555555555"
                                          : "66666666-7777-8888-9999-000000000000");
      if (k == 5) e.resource += " via 192.0.2.10 as arn:aws:iam::123456789012:user/ops-admin";
      e.source = k % 5 == 0 ? events::SourceKind::kCsm : events::SourceKind::kCloudTrail;
      in.failures.push_back(e);
    }
  }
  mi.intervals.push_back({t0 + 3 * 300000, 44, 0, {}, 0});  // healthy: not in the table
  auto v = sla::Evaluate(terms, mi);
  EXPECT_TRUE(v.ok()) << v.status().message();
  in.verdict = *v;
  in.intervals = mi.intervals;
  c.credit_asked = *v->credit_usd;
  billing::ChargeRecord ch;
  ch.account = c.account;
  ch.region = c.region;
  ch.service = "kms";
  ch.month = c.month;
  ch.origin = "cur";
  ch.amount = *ParseDecimal("1234.56");
  in.charge = ch;
  in.charges_note = "cur charges for eu-central-1";
  health::HealthEvent h;
  h.arn =
      "arn:aws:health:eu-central-1::event/KMS/AWS_KMS_OPERATIONAL_ISSUE/"
      "AWS_KMS_OPERATIONAL_ISSUE_ABCDE_12345";
  h.service = "KMS";
  h.event_type_code = "AWS_KMS_OPERATIONAL_ISSUE";
  h.event_type_category = "issue";
  h.region = "eu-central-1";
  h.status = "closed";
  h.start_ms = *ParseTimestampMs("2025-02-11T22:41:00Z");
  h.end_ms = *ParseTimestampMs("2025-02-11T23:40:00Z");
  h.last_updated_ms = *ParseTimestampMs("2025-02-12T01:02:03Z");
  h.description = "Increased error rates for KMS APIs in the EU-CENTRAL-1 Region.";
  in.health_events = {h};
  in.catalog_version = "golden";
  in.catalog_sha256 = Sha256::Hex("golden catalog");
  in.recoup_version = "golden";
  return in;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string Gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 22, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return out;
}

bool IsCompressed(const std::string& path) {
  return path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
}

TEST(GoldenClaims, PackageMatchesCheckedInFiles) {
  const sla::SlaVersion terms = Terms();
  auto a = BuildPackage(Input(terms));
  auto b = BuildPackage(Input(terms));
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(a->files, b->files);  // gzip included
  const fs::path dir = RECOUP_GOLDEN_CLAIMS_DIR;
  const char* update = std::getenv("RECOUP_UPDATE_GOLDEN");
  for (const auto& [path, bytes] : a->files) {
    const bool gz = IsCompressed(path);
    // The manifest holds the gzip's hash, which depends on zlib's version.
    if (gz || path == "manifest.json") continue;
    const fs::path want = dir / path;
    if (update != nullptr && *update != 0) {
      fs::create_directories(want.parent_path());
      std::ofstream(want, std::ios::binary) << bytes;
      continue;
    }
    ASSERT_TRUE(fs::exists(want)) << want;
    EXPECT_EQ(bytes, ReadFile(want)) << path;
  }
  // The compressed attachment holds exactly the request log.
  const std::string gz_path = "attachments/claim-" + a->claim_id + "-requests.csv.gz";
  ASSERT_TRUE(a->files.count(gz_path));
  EXPECT_EQ(Gunzip(a->files.at(gz_path)), a->files.at("requests.csv"));
  // Golden content checks that must hold whatever the files say.
  const std::string& csv = a->files.at("requests.csv");
  EXPECT_EQ(csv.find("192.0.2.10"), std::string::npos);
  EXPECT_EQ(csv.find("ops-admin"), std::string::npos);
  EXPECT_NE(a->body.find("AWS_KMS_OPERATIONAL_ISSUE_ABCDE_12345"), std::string::npos);
}

}  // namespace
}  // namespace recoup::claims
