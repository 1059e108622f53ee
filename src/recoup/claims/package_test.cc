#include "recoup/claims/package.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <nlohmann/json.hpp>

#include "recoup/core/sha256.h"

namespace recoup::claims {
namespace {

std::string Gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return out;
}

TEST(MaskTest, DefaultPolicyMasksIpsPrincipalsAndContext) {
  const MaskPolicy p;
  EXPECT_EQ(MaskText("from 203.0.113.7 and 2001:db8::1.", p), "from **** and ****.");
  EXPECT_EQ(MaskText("arn:aws:iam::111122223333:user/alice", p),
            "arn:aws:iam::111122223333:user/****");
  EXPECT_EQ(MaskText("arn:aws:sts::111122223333:assumed-role/Admin/bob@example.com,x", p),
            "arn:aws:sts::111122223333:assumed-role/****,x");
  EXPECT_EQ(MaskText(R"({"encryptionContext": {"Department": "10"}, "x": 1})", p),
            R"({"encryptionContext": {****}, "x": 1})");
  EXPECT_EQ(MaskText("EncryptionContext=tenant:acme;op=Decrypt", p),
            "EncryptionContext=****;op=Decrypt");
  // Key ARNs, request IDs and times are evidence: untouched by default.
  const std::string arn =
      "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  EXPECT_EQ(MaskText(arn, p), arn);
  EXPECT_EQ(MaskText("2026-10-14T09:12:00Z", p), "2026-10-14T09:12:00Z");
  EXPECT_EQ(MaskText("v1.2.3", p), "v1.2.3");
}

TEST(MaskTest, Configurable) {
  auto none = MaskPolicy::Parse("none");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(MaskText("10.0.0.1", *none), "10.0.0.1");
  auto keys = MaskPolicy::Parse("key_id");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(MaskText("arn:aws:kms:us-east-1:111122223333:key/abcd", *keys),
            "arn:aws:kms:us-east-1:111122223333:key/****");
  EXPECT_EQ(keys->ToString(), "key_id");
  EXPECT_FALSE(MaskPolicy::Parse("passwords").ok());
}

TEST(GzipTest, DeterministicHeaderAndRoundTrip) {
  auto a = GzipDeterministic("hello, claims\n");
  auto b = GzipDeterministic("hello, claims\n");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  ASSERT_GE(a->size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>((*a)[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>((*a)[1]), 0x8b);
  EXPECT_EQ(a->substr(4, 4), std::string(4, '\0'));     // mtime 0
  EXPECT_EQ(static_cast<unsigned char>((*a)[9]), 255);  // OS unknown
  EXPECT_EQ(Gunzip(*a), "hello, claims\n");
}

PackageInput SampleInput(int windows) {
  static auto catalog = sla::Catalog::Default();
  PackageInput in;
  in.version = catalog->Find("kms")->VersionById("kms-2022-11-29");
  in.service_name = "AWS Key Management Service";
  in.claim.id = "111122223333-us-east-1-kms-2026-10";
  in.claim.account = "111122223333";
  in.claim.region = "us-east-1";
  in.claim.service = "kms";
  in.claim.month = YearMonth{2026, 10};
  in.claim.deadline_ms = in.version->ClaimDeadlineMs(in.claim.month);
  sla::MonthInput mi;
  mi.account = in.claim.account;
  mi.region = in.claim.region;
  mi.service = "kms";
  mi.month = in.claim.month;
  mi.charges_usd = Ratio(41237, 100);
  // Windows of one failing interval, separated by a healthy one.
  for (int i = 0; i < windows; ++i) {
    const int64_t start = mi.month.StartMs() + int64_t{i} * 600000;
    sla::IntervalCounts bad{start, 10, 4, {}, 0};
    sla::IntervalCounts good{start + 300000, 10, 0, {}, 0};
    mi.intervals.push_back(bad);
    mi.intervals.push_back(good);
    events::Event e;
    e.time_ms = start + 1000;
    e.operation = "Decrypt";
    e.error_code = "KMSInternalException";
    e.http_status = 500;
    e.request_id = "req-" + std::to_string(i);
    e.resource = "arn:aws:kms:us-east-1:111122223333:key/k1 from 198.51.100.4";
    in.failures.push_back(e);
  }
  auto v = sla::Evaluate(*in.version, mi);
  EXPECT_TRUE(v.ok());
  in.verdict = *v;
  in.intervals = mi.intervals;
  in.claim.credit_asked = *v->credit_usd;
  in.catalog_version = catalog->version();
  in.catalog_sha256 = catalog->sha256();
  in.recoup_version = "test";
  return in;
}

events::Event Failure(std::string op, std::string resource) {
  events::Event e;
  e.time_ms = 1;
  e.operation = std::move(op);
  e.error_code = "InternalError";
  e.resource = std::move(resource);
  return e;
}

std::vector<std::string> FieldValues(const std::vector<ClaimField>& fields,
                                     const std::string& name) {
  for (const ClaimField& f : fields) {
    if (f.name == name) return f.values;
  }
  ADD_FAILURE() << "no field " << name;
  return {};
}

TEST(ClaimFieldsTest, EachServiceNamesItsResourcesFromTheFailures) {
  auto catalog = sla::Catalog::Default();
  const std::vector<events::Event> s3 = {
      Failure("GetObject", "arn:aws:s3:::invoices/2025/10/a.pdf"),
      Failure("PutObject", "arn:aws:s3:::invoices"),
      Failure("GetObject", "arn:aws:s3:::media-eu/x"),
      Failure("GetObject", ""),  // SDK telemetry: no resource
      Failure("GetObject", "arn:aws:kms:us-east-1:111122223333:key/k")};
  auto f = ServiceClaimFields(*catalog->Find("s3"), s3);
  EXPECT_EQ(FieldValues(f, "bucket_names"), (std::vector<std::string>{"invoices", "media-eu"}));
  EXPECT_EQ(FieldValues(f, "request_types"), (std::vector<std::string>{"GetObject", "PutObject"}));
  EXPECT_EQ(FieldValues(f, "storage_class"),
            (std::vector<std::string>{"Standard-like storage classes"}));
  for (const ClaimField& field : f) {
    EXPECT_NE(field.name, "billing_cycle");  // every claim carries it already
    EXPECT_NE(field.name, "request_logs");
  }

  auto ddb = ServiceClaimFields(
      *catalog->Find("dynamodb"),
      {Failure("GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/orders"),
       Failure("Query", "arn:aws:dynamodb:us-east-1:111122223333:table/orders/index/by-day"),
       Failure("PutItem", "arn:aws:dynamodb:us-east-1:111122223333:table/carts")});
  EXPECT_EQ(FieldValues(ddb, "table_names"), (std::vector<std::string>{"carts", "orders"}));

  auto lambda = ServiceClaimFields(
      *catalog->Find("lambda"),
      {Failure("Invoke", "arn:aws:lambda:us-east-1:111122223333:function:resize:prod"),
       Failure("Invoke", "arn:aws:lambda:us-east-1:111122223333:function:resize")});
  EXPECT_EQ(FieldValues(lambda, "function_arns"),
            (std::vector<std::string>{"arn:aws:lambda:us-east-1:111122223333:function:resize"}));

  auto api = ServiceClaimFields(
      *catalog->Find("apigateway"),
      {Failure("Invoke", "a1b2c3d4e5"),  // an access log's API ID
       Failure("Invoke", "arn:aws:execute-api:us-east-1:111122223333:f9g8h7/prod/GET/x"),
       Failure("GetRestApi", "arn:aws:apigateway:us-east-1::/restapis/zz11yy/stages/prod"),
       Failure("Invoke", "not/an:id")});
  EXPECT_EQ(FieldValues(api, "api_ids"),
            (std::vector<std::string>{"a1b2c3d4e5", "f9g8h7", "zz11yy"}));

  auto sqs = ServiceClaimFields(
      *catalog->Find("sqs"), {Failure("SendMessage", "arn:aws:sqs:eu-west-1:111122223333:jobs")});
  EXPECT_EQ(FieldValues(sqs, "queue_urls"),
            (std::vector<std::string>{"https://sqs.eu-west-1.amazonaws.com/111122223333/jobs"}));

  auto cf =
      ServiceClaimFields(*catalog->Find("cloudfront"),
                         {Failure("GET", "d111111abcdef8.cloudfront.net"),
                          Failure("GET", "arn:aws:cloudfront::111122223333:distribution/E2X")});
  EXPECT_EQ(FieldValues(cf, "distribution_ids"),
            (std::vector<std::string>{"E2X", "d111111abcdef8.cloudfront.net"}));
}

TEST(ClaimFieldsTest, ValuesAreCappedAndCounted) {
  auto catalog = sla::Catalog::Default();
  std::vector<events::Event> many;
  for (int i = 0; i < 250; ++i) {
    many.push_back(Failure(
        "GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/t" + std::to_string(1000 + i)));
  }
  auto f = ServiceClaimFields(*catalog->Find("dynamodb"), many);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].values.size(), kMaxClaimFieldValues);
  EXPECT_EQ(f[0].distinct, 250);
}

// The verdict of `in`'s intervals under its (changed) version and service.
bool Reevaluate(PackageInput* in, std::optional<Rational> charges_usd) {
  sla::MonthInput mi;
  mi.account = in->claim.account;
  mi.region = in->claim.region;
  mi.service = in->claim.service;
  mi.month = in->claim.month;
  mi.charges_usd = std::move(charges_usd);
  mi.intervals = in->intervals;
  auto v = sla::Evaluate(*in->version, mi);
  if (!v.ok()) return false;
  in->verdict = *v;
  return true;
}

TEST(PackageTest, ADynamoDbClaimCarriesItsSubjectTablesAndExclusions) {
  static auto catalog = sla::Catalog::Default();
  PackageInput in = SampleInput(2);
  in.terms = catalog->Find("dynamodb");
  in.version = &in.terms->versions.back();
  in.service_name = in.terms->name;
  in.claim.service = "dynamodb";
  in.claim.id = "111122223333-us-east-1-dynamodb-2026-10";
  for (events::Event& e : in.failures) {
    e.operation = "GetItem";
    e.error_code = "InternalServerError";
    e.resource = "arn:aws:dynamodb:us-east-1:111122223333:table/orders";
  }
  ASSERT_TRUE(Reevaluate(&in, Ratio(41237, 100)));
  auto p = BuildPackage(in);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->subject.rfind("SLA Credit Request - Amazon DynamoDB, us-east-1, October 2026 ", 0),
            0u)
      << p->subject;
  EXPECT_NE(p->body.find("  DynamoDB table names: orders\n"), std::string::npos) << p->body;
  EXPECT_NE(p->body.find("of our Amazon DynamoDB charges"), std::string::npos) << p->body;
  EXPECT_NE(p->body.find("Throttling ("), std::string::npos) << p->body;
  EXPECT_EQ(p->body.find("custom key store"), std::string::npos) << p->body;
  EXPECT_EQ(p->body.find("key ARN"), std::string::npos) << p->body;
  EXPECT_EQ(
      p->files.at("requests.csv")
          .rfind("time_utc,operation,error_code,http_status,request_id,resource,seen_by\n", 0),
      0u);
  EXPECT_NE(p->files.at("report.html").find("<th>DynamoDB table names</th>"), std::string::npos);
  auto m = nlohmann::json::parse(p->files.at("manifest.json"));
  EXPECT_EQ(m["service_fields"]["table_names"]["values"], nlohmann::json::array({"orders"}));
  EXPECT_EQ(m["service_fields"]["table_names"]["distinct"], 1);
}

TEST(PackageTest, FieldsTheEvidenceDoesNotNameAreSaidToBeMissing) {
  static auto catalog = sla::Catalog::Default();
  PackageInput in = SampleInput(1);
  in.terms = catalog->Find("lambda");
  in.version = &in.terms->versions.back();
  in.claim.service = "lambda";
  for (events::Event& e : in.failures) e.resource.clear();  // CSM only
  ASSERT_TRUE(Reevaluate(&in, std::nullopt));
  auto p = BuildPackage(in);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_NE(p->body.find("  Lambda function ARNs: not recorded in our request logs\n"),
            std::string::npos)
      << p->body;
}

TEST(PackageTest, ReproducibleAndComplete) {
  auto a = BuildPackage(SampleInput(3));
  auto b = BuildPackage(SampleInput(3));
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->files, b->files);
  EXPECT_EQ(a->manifest_sha256, b->manifest_sha256);
  EXPECT_NE(a->subject.find("SLA Credit Request"), std::string::npos);
  EXPECT_NE(a->subject.find("us-east-1"), std::string::npos);
  EXPECT_NE(a->subject.find("October 2026"), std::string::npos);
  EXPECT_NE(a->subject.find("Key Management Service"), std::string::npos);
  EXPECT_NE(a->subject.find(ClaimMarker(a->claim_id)), std::string::npos);
  EXPECT_LE(a->body.size(), kMaxBodyChars);
  EXPECT_NE(a->body.find("111122223333"), std::string::npos);
  EXPECT_NE(a->body.find("2026-10-01T00:00:00Z to 2026-10-01T00:05:00Z"), std::string::npos);
  EXPECT_EQ(a->windows.size(), 3u);
  EXPECT_LE(a->attachments.size(), kMaxAttachments);
  for (const Attachment& att : a->attachments) {
    ASSERT_TRUE(a->files.count(att.path)) << att.path;
    EXPECT_LE(a->files.at(att.path).size(), kMaxAttachmentBytes);
  }
  // The request log is masked; the gzip attachment holds the same bytes.
  const std::string& csv = a->files.at("requests.csv");
  EXPECT_EQ(csv.find("198.51.100.4"), std::string::npos);
  EXPECT_NE(csv.find("from ****"), std::string::npos);
  EXPECT_EQ(Gunzip(a->files.at("attachments/claim-" + a->claim_id + "-requests.csv.gz")), csv);
  // The interval table's running sum ends at the verdict's sum.
  const std::string& icsv = a->files.at("intervals.csv");
  EXPECT_NE(icsv.find(",6/5,"), std::string::npos) << icsv;  // 3 x 4/10
  // The manifest names every other file with its hash.
  const std::string& m = a->files.at("manifest.json");
  for (const auto& [path, bytes] : a->files) {
    if (path == "manifest.json") continue;
    EXPECT_NE(m.find(Sha256::Hex(bytes)), std::string::npos) << path;
  }
  EXPECT_EQ(Sha256::Hex(m), a->manifest_sha256);
}

TEST(PackageTest, AwsHealthIsStatedOnlyWhenChecked) {
  // Unchecked: nowhere does the package say that AWS Health shows no event.
  auto unchecked = BuildPackage(SampleInput(2));
  ASSERT_TRUE(unchecked.ok()) << unchecked.status().message();
  auto j = nlohmann::json::parse(unchecked->files.at("health-events.json"));
  EXPECT_EQ(j["checked"], false);
  EXPECT_TRUE(j["checked_through"].is_null());
  EXPECT_EQ(j["sources"], nlohmann::json::array());
  EXPECT_EQ(j["events"], nlohmann::json::array());
  for (const char* f : {"case-body.txt", "report.html", "health-events.json"}) {
    const std::string& text = unchecked->files.at(f);
    EXPECT_EQ(text.find("shows no"), std::string::npos) << f;
    EXPECT_NE(text.find("recoup did not check AWS Health"), std::string::npos) << f;
  }
  // Checked: the statement names how far and with what.
  PackageInput in = SampleInput(2);
  in.health_check.checked = true;
  in.health_check.checked_through_ms = *ParseTimestampMs("2026-11-20T00:00:00Z");
  in.health_check.sources = {"health-api"};
  auto checked = BuildPackage(in);
  ASSERT_TRUE(checked.ok());
  j = nlohmann::json::parse(checked->files.at("health-events.json"));
  EXPECT_EQ(j["checked"], true);
  EXPECT_EQ(j["checked_through"], "2026-11-20T00:00:00Z");
  EXPECT_EQ(j["sources"], nlohmann::json::array({"health-api"}));
  for (const char* f : {"case-body.txt", "report.html"}) {
    const std::string& text = checked->files.at(f);
    EXPECT_NE(text.find("AWS Health shows no KMS event in us-east-1"), std::string::npos) << f;
    EXPECT_EQ(text.find("did not check"), std::string::npos) << f;
  }
  EXPECT_NE(checked->manifest_sha256, unchecked->manifest_sha256);
}

TEST(PackageTest, ConsoleStepsNameTheCommandThatRecordsTheCase) {
  auto p = BuildPackage(SampleInput(1));
  ASSERT_TRUE(p.ok());
  const std::string& steps = p->files.at("how-to-file-in-console.txt");
  EXPECT_NE(steps.find("   " + RecordCaseCommand(p->claim_id) + "\n"), std::string::npos) << steps;
  EXPECT_NE(RecordCaseCommand(p->claim_id).find("--case-id CASE_ID"), std::string::npos);
}

TEST(PackageTest, ProbeCallsAndEverySourceOfAFailureAreListed) {
  PackageInput in = SampleInput(1);
  auto without = BuildPackage(in);
  ASSERT_TRUE(without.ok()) << without.status().message();
  EXPECT_EQ(without->files.count("probes.csv"), 0u);  // no probes: no file
  EXPECT_NE(without->files.at("requests.csv").find(",cloudtrail\n"), std::string::npos);

  in.failures[0].source = events::SourceKind::kProbe;
  in.failures[0].seen_by = (1U << 0) | (1U << 3);  // CloudTrail and the probe
  events::Event ok;
  ok.time_ms = in.claim.month.StartMs() + 2500;
  ok.operation = "GenerateRandom";
  ok.http_status = 200;
  ok.request_id = "probe-ok-1";
  ok.outcome = events::OutcomeClass::kSuccess;
  ok.source = events::SourceKind::kProbe;
  in.probe_calls = {ok, in.failures[0]};
  in.probe_calls[1].outcome = events::OutcomeClass::kServerError;
  auto with = BuildPackage(in);
  ASSERT_TRUE(with.ok()) << with.status().message();
  EXPECT_NE(with->files.at("requests.csv").find(",cloudtrail+probe\n"), std::string::npos);
  EXPECT_EQ(with->files.at("probes.csv"),
            "time_utc,operation,outcome,error_code,http_status,request_id,key_arn\n"
            "2026-10-01T00:00:01Z,Decrypt,server_error,KMSInternalException,500,req-0,"
            "arn:aws:kms:us-east-1:111122223333:key/k1 from ****\n"
            "2026-10-01T00:00:02.500Z,GenerateRandom,success,,200,probe-ok-1,\n");
  EXPECT_NE(with->files.at("manifest.json").find(Sha256::Hex(with->files.at("probes.csv"))),
            std::string::npos);
}

TEST(PackageTest, HostileValuesAreNeitherFormulasNorControlCharacters) {
  PackageInput in = SampleInput(2);
  in.claim.region = "us-east-1\x1b]0;x\x07";
  in.failures[0].operation = "=HYPERLINK(\"http://evil.example/\",\"x\")";
  in.failures[0].resource = "@SUM(1+1)\x1b[2J";
  in.failures[1].operation = "-2+3";
  in.failures[1].error_code = "+KMSInternalException\x07";
  auto pkg = BuildPackage(in);
  ASSERT_TRUE(pkg.ok()) << pkg.status().message();
  const std::string& csv = pkg->files.at("requests.csv");
  EXPECT_NE(csv.find(",\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\","),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find(",'@SUM(1+1)\\x1b[2J,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",'-2+3,'+KMSInternalException\\x07,500,"), std::string::npos) << csv;
  for (const auto& [path, bytes] : pkg->files) {
    if (path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0) continue;
    for (char c : bytes) {
      const auto u = static_cast<unsigned char>(c);
      EXPECT_FALSE((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f)
          << path << " holds control byte " << static_cast<int>(u);
    }
  }
  EXPECT_NE(pkg->body.find("us-east-1\\x1b]0;x\\x07"), std::string::npos) << pkg->body;
  EXPECT_EQ(pkg->subject.find('\x1b'), std::string::npos);
  EXPECT_EQ(pkg->files.at("case-body.txt"), pkg->body);
}

TEST(PackageTest, MoneyIsAskedInCentsWithTheExactValueBeside) {
  PackageInput in = SampleInput(1);  // charges $412.37, 10%: $41.237
  auto pkg = BuildPackage(in);
  ASSERT_TRUE(pkg.ok()) << pkg.status().message();
  EXPECT_NE(pkg->body.find("($412.37) = $41.24.\n"), std::string::npos) << pkg->body;
  EXPECT_EQ(pkg->body.find("41.237"), std::string::npos);
  EXPECT_NE(pkg->files.at("report.html").find("$41.24 (exactly $41.237)"), std::string::npos);
  const std::string& m = pkg->files.at("manifest.json");
  EXPECT_NE(m.find("\"credit_usd\": \"41.24\""), std::string::npos) << m;
  EXPECT_NE(m.find("\"credit_usd_exact\": \"41.237\""), std::string::npos) << m;
  EXPECT_NE(m.find("\"charges_usd\": \"412.37\""), std::string::npos) << m;
}

TEST(PackageTest, BodyStaysWithinTheLimit) {
  auto p = BuildPackage(SampleInput(400));
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_LE(p->body.size(), kMaxBodyChars);
  EXPECT_NE(p->body.find("more windows"), std::string::npos);
  EXPECT_EQ(p->windows.size(), 400u);
}

TEST(PackageTest, RequestLogShrinksToFitTheAttachmentLimit) {
  PackageInput in = SampleInput(1);
  events::Event proto = in.failures.front();
  in.failures.clear();
  uint64_t x = 88172645463325252ull;  // xorshift: incompressible, deterministic
  auto hex = [&x](int n) {
    std::string s;
    while (static_cast<int>(s.size()) < n) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      char buf[17];
      std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
      s += buf;
    }
    return s.substr(0, static_cast<size_t>(n));
  };
  for (int i = 0; i < 60000; ++i) {
    events::Event e = proto;
    e.time_ms = proto.time_ms + i;
    e.request_id = hex(32);
    e.resource = "arn:aws:kms:us-east-1:111122223333:key/" + hex(160);
    in.failures.push_back(e);
  }
  auto p = BuildPackage(in);
  ASSERT_TRUE(p.ok()) << p.status().message();
  const std::string& gz = p->files.at("attachments/claim-" + p->claim_id + "-requests.csv.gz");
  EXPECT_LE(gz.size(), kMaxAttachmentBytes);
  EXPECT_GT(gz.size(), kMaxAttachmentBytes / 2);  // shrunk, not emptied
  EXPECT_NE(p->files.at("manifest.json").find("\"request_extract_truncated\": true"),
            std::string::npos);
  EXPECT_NE(p->body.find(" of 60,000)"), std::string::npos);
}

TEST(PackageTest, InputChangesChangeTheManifest) {
  PackageInput in = SampleInput(2);
  auto a = BuildPackage(in);
  in.failures[0].request_id = "other";
  auto b = BuildPackage(in);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->manifest_sha256, b->manifest_sha256);
}

TEST(PackageTest, IncidentWindowsMergeAdjacentIntervals) {
  std::vector<sla::IntervalCounts> ivs = {
      {0, 10, 1, {}, 0}, {300000, 10, 2, {}, 0}, {900000, 5, 5, {}, 0}};
  events::Event e;
  e.time_ms = 301000;
  e.error_code = "DependencyTimeoutException";
  auto w = IncidentWindows(ivs, {e}, 300);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].start_ms, 0);
  EXPECT_EQ(w[0].end_ms, 600000);
  EXPECT_EQ(w[0].failed, 3);
  EXPECT_EQ(w[0].error_codes.count("DependencyTimeoutException"), 1u);
  EXPECT_EQ(w[1].start_ms, 900000);
}

}  // namespace
}  // namespace recoup::claims
