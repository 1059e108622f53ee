// ApiClient and the typed wrappers against a scripted HttpClient: the wire
// requests they build (target, body, signature scope) and how responses and
// errors map to structs.
#include "recoup/aws/api_client.h"

#include <gtest/gtest.h>

#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "recoup/aws/cloudtrail_api.h"
#include "recoup/aws/cost_explorer_api.h"
#include "recoup/aws/health_api.h"
#include "recoup/aws/kms_api.h"
#include "recoup/aws/organizations_api.h"
#include "recoup/aws/sqs_api.h"
#include "recoup/aws/sts_api.h"
#include "recoup/aws/support_api.h"

namespace recoup::aws {
namespace {

using nlohmann::json;

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

class ScriptedHttp : public net::HttpClient {
 public:
  Result<net::HttpResponse> Send(const net::HttpRequest& request,
                                 const net::RequestOptions& options) override {
    requests.push_back(request);
    idempotent.push_back(options.idempotent);
    if (responses.empty()) return Unavailable("no scripted response");
    net::HttpResponse r = responses.front();
    responses.pop_front();
    return r;
  }
  void Reply(int status, std::string body, net::Headers headers = {}) {
    responses.push_back({status, std::move(headers), std::move(body)});
  }
  void ReplyJson(const json& j) { Reply(200, j.dump()); }
  json Body(size_t i) const { return json::parse(requests.at(i).body); }
  std::string Target(size_t i) const {
    for (const auto& [k, v] : requests.at(i).headers) {
      if (k == "X-Amz-Target") return v;
    }
    return "";
  }
  std::string HeaderOf(size_t i, const std::string& name) const {
    for (const auto& [k, v] : requests.at(i).headers) {
      if (k == name) return v;
    }
    return "";
  }

  std::deque<net::HttpResponse> responses;
  std::vector<net::HttpRequest> requests;
  std::vector<bool> idempotent;
};

class ApiClientTest : public ::testing::Test {
 protected:
  ApiClientTest()
      : creds_(
            ExpiringCredentials{{"AKIDEXAMPLE", kSecret, "SESSIONTOKENSECRETVALUE"}, std::nullopt},
            "test") {}

  std::unique_ptr<ApiClient> Make(const ServiceSpec& spec, std::string url = "https://x.test",
                                  std::string region = "eu-west-1") {
    ApiClientOptions o;
    o.endpoint = Endpoint{std::move(url), std::move(region), "test"};
    o.clock = &clock_;
    return std::make_unique<ApiClient>(spec, &http_, &creds_, o);
  }

  ScriptedHttp http_;
  StaticCredentialsProvider creds_;
  FakeClock clock_{1440938160000};
};

TEST_F(ApiClientTest, JsonRequestIsSignedForTheServiceAndRegion) {
  auto c = Make(services::kKms, "http://127.0.0.1:4566/base/", "eu-west-1");
  http_.ReplyJson({{"KeyMetadata", {{"KeyId", "k"}}}});
  auto r = c->CallJson("DescribeKey", {{"KeyId", "alias/x"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(http_.requests.size(), 1u);
  const auto& req = http_.requests[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "http://127.0.0.1:4566/base/");
  EXPECT_EQ(http_.Target(0), "TrentService.DescribeKey");
  EXPECT_EQ(http_.HeaderOf(0, "Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(http_.HeaderOf(0, "Host"), "127.0.0.1:4566");
  const std::string auth = http_.HeaderOf(0, "Authorization");
  EXPECT_NE(auth.find("Credential=AKIDEXAMPLE/20150830/eu-west-1/kms/aws4_request"),
            std::string::npos)
      << auth;
  EXPECT_EQ(http_.HeaderOf(0, "X-Amz-Security-Token"), "SESSIONTOKENSECRETVALUE");
  EXPECT_EQ(http_.Body(0), (json{{"KeyId", "alias/x"}}));
  EXPECT_TRUE(http_.idempotent[0]);
}

TEST_F(ApiClientTest, Json10ForSqs) {
  auto c = Make(services::kSqs);
  http_.ReplyJson(json::object());
  ASSERT_TRUE(c->CallJson("DeleteMessage", json::object()).ok());
  EXPECT_EQ(http_.HeaderOf(0, "Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(http_.Target(0), "AmazonSQS.DeleteMessage");
}

TEST_F(ApiClientTest, JsonErrorBecomesTypedStatusWithoutSecrets) {
  auto c = Make(services::kKms);
  http_.Reply(400,
              json{{"__type", "com.amazonaws.kms#KMSInternalException"},
                   {"message", std::string("boom ") + kSecret}}
                  .dump(),
              {{"x-amzn-RequestId", "req-1"}});
  auto r = c->CallJson("Decrypt", json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  auto e = AwsErrorOf(r.status());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "KMSInternalException");
  EXPECT_EQ(e->request_id, "req-1");
  EXPECT_EQ(e->http_status, 400);
  EXPECT_EQ(e->operation, "Decrypt");
  EXPECT_TRUE(IsAwsError(r.status(), "KMSInternalException"));
  EXPECT_EQ(r.status().message().find(kSecret), std::string::npos) << r.status().message();
  EXPECT_EQ(e->message.find(kSecret), std::string::npos);
}

TEST_F(ApiClientTest, ErrorCodesMapToStatusCodes) {
  auto c = Make(services::kHealth);
  http_.Reply(400, R"({"__type":"SubscriptionRequiredException","message":"x"})");
  http_.Reply(400, R"({"__type":"ValidationException"})");
  http_.Reply(404, "");
  http_.Reply(400, R"({"code":"ResourceNotFoundException"})");
  EXPECT_EQ(c->CallJson("A", {}).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(c->CallJson("A", {}).status().code(), StatusCode::kInvalidArgument);
  auto s = c->CallJson("A", {}).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(AwsErrorOf(s)->code, "HTTP404");
  EXPECT_EQ(c->CallJson("A", {}).status().code(), StatusCode::kNotFound);
}

TEST_F(ApiClientTest, ErrorTypeHeaderIsUsedWhenBodyHasNone) {
  auto c = Make(services::kCloudTrail);
  http_.Reply(400, "{}", {{"x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/"}});
  auto s = c->CallJson("LookupEvents", {}).status();
  EXPECT_TRUE(IsAwsError(s, "ThrottlingException")) << s.ToString();
}

TEST_F(ApiClientTest, ErrorWithoutBodyNamesOperationHostAndStatus) {
  auto c = Make(services::kKms, "https://kms.proxy.test:8443");
  http_.Reply(502, "");
  http_.Reply(503, "<html><body>Service Unavailable</body></html>");
  for (const char* want : {"HTTP 502 Bad Gateway", "HTTP 503 Service Unavailable"}) {
    const Status s = c->CallJson("Decrypt", json::object()).status();
    EXPECT_NE(s.message().find("KMS Decrypt"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(want), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("kms.proxy.test:8443"), std::string::npos) << s.message();
  }
  // A body with an AWS error keeps the usual form.
  http_.Reply(400, R"({"__type":"ValidationException","message":"bad"})");
  const Status v = c->CallJson("Decrypt", json::object()).status();
  EXPECT_EQ(v.message(), "KMS Decrypt: ValidationException: bad (HTTP 400)");
}

TEST_F(ApiClientTest, NonJsonSuccessIsDataLoss) {
  auto c = Make(services::kKms);
  http_.Reply(200, "<html>");
  EXPECT_EQ(c->CallJson("DescribeKey", {}).status().code(), StatusCode::kDataLoss);
}

TEST_F(ApiClientTest, ProtocolMismatchIsInternal) {
  auto sts = Make(services::kSts);
  EXPECT_EQ(sts->CallJson("GetCallerIdentity", {}).status().code(), StatusCode::kInternal);
  auto kms = Make(services::kKms);
  EXPECT_EQ(kms->CallQuery("X", {}).status().code(), StatusCode::kInternal);
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(ApiClientTest, PaginationFollowsTokensAndStopsOnALoop) {
  auto c = Make(services::kOrganizations);
  http_.ReplyJson({{"Accounts", {{{"Id", "1"}}}}, {"NextToken", "t1"}});
  http_.ReplyJson({{"Accounts", {{{"Id", "2"}}, {{"Id", "3"}}}}, {"NextToken", "t2"}});
  http_.ReplyJson({{"Accounts", json::array()}});
  OrganizationsApi org(c.get());
  auto accounts = org.ListAccounts();
  ASSERT_TRUE(accounts.ok()) << accounts.status().ToString();
  ASSERT_EQ(accounts->size(), 3u);
  EXPECT_EQ((*accounts)[2].id, "3");
  ASSERT_EQ(http_.requests.size(), 3u);
  EXPECT_FALSE(http_.Body(0).contains("NextToken"));
  EXPECT_EQ(http_.Body(1)["NextToken"], "t1");
  EXPECT_EQ(http_.Body(2)["NextToken"], "t2");

  // A loop (A, B, A) is reported, not followed forever.
  http_.ReplyJson({{"Accounts", json::array()}, {"NextToken", "A"}});
  http_.ReplyJson({{"Accounts", json::array()}, {"NextToken", "B"}});
  http_.ReplyJson({{"Accounts", json::array()}, {"NextToken", "A"}});
  EXPECT_EQ(org.ListAccounts().status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(http_.requests.size(), 6u);
}

TEST_F(ApiClientTest, StsQueryProtocol) {
  auto c = Make(services::kSts);
  http_.Reply(200,
              "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:"
              "user/a</Arn><UserId>AIDA</UserId><Account>123456789012</Account>"
              "</GetCallerIdentityResult></GetCallerIdentityResponse>");
  StsApi sts(c.get());
  auto id = sts.GetCallerIdentity();
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->account, "123456789012");
  EXPECT_EQ(id->arn, "arn:aws:iam::123456789012:user/a");
  EXPECT_EQ(http_.requests[0].body, "Action=GetCallerIdentity&Version=2011-06-15");
  EXPECT_EQ(http_.HeaderOf(0, "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");

  http_.Reply(200,
              "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId>"
              "<SecretAccessKey>s&amp;k</SecretAccessKey><SessionToken>tok</SessionToken>"
              "<Expiration>2026-10-05T10:00:00Z</Expiration></Credentials><AssumedRoleUser>"
              "<Arn>arn:aws:sts::1:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId>"
              "</AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>");
  auto ar = sts.AssumeRole({.role_arn = "arn:aws:iam::1:role/r",
                            .session_name = "s",
                            .duration_seconds = 900,
                            .external_id = "e x"});
  ASSERT_TRUE(ar.ok()) << ar.status().ToString();
  EXPECT_EQ(ar->credentials.credentials.secret_access_key, "s&k");
  EXPECT_EQ(ar->assumed_role_arn, "arn:aws:sts::1:assumed-role/r/s");
  ASSERT_TRUE(ar->credentials.expiration_ms.has_value());
  EXPECT_EQ(http_.requests[1].body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&"
            "RoleSessionName=s&DurationSeconds=900&ExternalId=e%20x");

  http_.Reply(403,
              "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no"
              "</Message></Error><RequestId>rid</RequestId></ErrorResponse>");
  auto denied = sts.GetCallerIdentity();
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(AwsErrorOf(denied.status())->request_id, "rid");
}

TEST_F(ApiClientTest, KmsBlobsAreBase64OnTheWire) {
  auto c = Make(services::kKms);
  KmsApi kms(c.get());
  http_.ReplyJson({{"CiphertextBlob", Base64Encode("CIPHER")}, {"KeyId", "arn:k"}});
  auto enc = kms.Encrypt("alias/a", std::string("p\0q", 3), {{"purpose", "test"}});
  ASSERT_TRUE(enc.ok()) << enc.status().ToString();
  EXPECT_EQ(enc->ciphertext, "CIPHER");
  EXPECT_EQ(http_.Body(0)["Plaintext"], Base64Encode(std::string("p\0q", 3)));
  EXPECT_EQ(http_.Body(0)["EncryptionContext"]["purpose"], "test");

  http_.ReplyJson({{"Plaintext", Base64Encode("PLAIN")}, {"KeyId", "arn:k"}});
  auto dec = kms.Decrypt("CIPHER");
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(dec->plaintext, "PLAIN");
  EXPECT_FALSE(http_.Body(1).contains("KeyId"));

  http_.ReplyJson({{"Plaintext", Base64Encode(std::string(32, 'k'))},
                   {"CiphertextBlob", Base64Encode("wrapped")},
                   {"KeyId", "arn:k"}});
  auto dk = kms.GenerateDataKey("alias/a");
  ASSERT_TRUE(dk.ok());
  EXPECT_EQ(dk->plaintext.size(), 32u);
  EXPECT_EQ(http_.Body(2)["KeySpec"], "AES_256");

  http_.ReplyJson({{"Plaintext", Base64Encode("0123456789abcdef")}});
  auto rnd = kms.GenerateRandom(16);
  ASSERT_TRUE(rnd.ok());
  EXPECT_EQ(rnd->size(), 16u);
  EXPECT_EQ(kms.GenerateRandom(0).status().code(), StatusCode::kInvalidArgument);

  http_.ReplyJson({{"KeyMetadata",
                    {{"KeyId", "id"},
                     {"Arn", "arn:k"},
                     {"KeyState", "Enabled"},
                     {"Enabled", true},
                     {"CreationDate", 1700000000.5},
                     {"KeySpec", "SYMMETRIC_DEFAULT"}}}});
  auto md = kms.DescribeKey("alias/a");
  ASSERT_TRUE(md.ok());
  EXPECT_TRUE(md->enabled);
  EXPECT_EQ(md->creation_ms, 1700000000500);

  http_.ReplyJson({{"CiphertextBlob", "***not base64"}});
  EXPECT_EQ(kms.Encrypt("a", "b").status().code(), StatusCode::kDataLoss);
}

TEST_F(ApiClientTest, Base64RoundTrip) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_FALSE(Base64Decode("Zm8").ok());
  EXPECT_FALSE(Base64Decode("Z=m8").ok());
}

TEST_F(ApiClientTest, SupportCallsAndPagination) {
  auto c = Make(services::kSupport);
  SupportApi support(c.get());
  http_.ReplyJson(
      {{"services",
        {{{"code", "key-management-service"},
          {"name", "Key Management Service"},
          {"categories", {{{"code", "general-guidance"}, {"name", "General guidance"}}}}}}}});
  auto svcs = support.DescribeServices({"key-management-service"});
  ASSERT_TRUE(svcs.ok());
  ASSERT_EQ(svcs->size(), 1u);
  EXPECT_EQ((*svcs)[0].categories[0].code, "general-guidance");
  EXPECT_EQ(http_.Target(0), "AWSSupport_20130415.DescribeServices");
  EXPECT_EQ(http_.Body(0)["serviceCodeList"][0], "key-management-service");

  http_.ReplyJson({{"attachmentSetId", "as-1"}, {"expiryTime", "2026-10-05T10:00:00Z"}});
  auto set = support.AddAttachmentsToSet({{"log.csv", "a,b\n"}});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->attachment_set_id, "as-1");
  EXPECT_EQ(http_.Body(1)["attachments"][0]["data"], Base64Encode("a,b\n"));
  EXPECT_FALSE(http_.idempotent[1]);

  http_.ReplyJson({{"caseId", "case-1"}});
  auto id = support.CreateCase({.subject = "SLA Credit Request",
                                .communication_body = "body",
                                .service_code = "key-management-service",
                                .category_code = "general-guidance",
                                .severity_code = "low",
                                .issue_type = "customer-service",
                                .language = "en",
                                .cc_email_addresses = {"a@example.com"},
                                .attachment_set_id = "as-1"});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "case-1");
  EXPECT_FALSE(http_.idempotent[2]);
  EXPECT_EQ(http_.Body(2)["attachmentSetId"], "as-1");
  EXPECT_EQ(http_.Body(2)["ccEmailAddresses"][0], "a@example.com");

  http_.ReplyJson({{"cases", {{{"caseId", "case-1"}, {"status", "opened"}}}}, {"nextToken", "n"}});
  http_.ReplyJson({{"cases",
                    {{{"caseId", "case-2"},
                      {"recentCommunications",
                       {{"communications", {{{"body", "hi"}, {"caseId", "case-2"}}}}}}}}}});
  DescribeCasesInput dci;
  dci.include_resolved_cases = true;
  auto cases = support.DescribeCases(dci);
  ASSERT_TRUE(cases.ok()) << cases.status().ToString();
  ASSERT_EQ(cases->size(), 2u);
  EXPECT_EQ((*cases)[1].recent_communications[0].body, "hi");
  EXPECT_EQ(http_.Body(4)["nextToken"], "n");

  http_.ReplyJson({{"communications",
                    {{{"caseId", "case-1"},
                      {"body", "b"},
                      {"attachmentSet", {{{"attachmentId", "at"}, {"fileName", "f"}}}}}}}});
  DescribeCommunicationsInput dcm;
  dcm.case_id = "case-1";
  auto comms = support.DescribeCommunications(dcm);
  ASSERT_TRUE(comms.ok());
  EXPECT_EQ((*comms)[0].attachments[0].file_name, "f");

  http_.ReplyJson({{"result", true}});
  AddCommunicationInput aci;
  aci.case_id = "case-1";
  aci.communication_body = "more";
  auto added = support.AddCommunicationToCase(aci);
  ASSERT_TRUE(added.ok());
  EXPECT_TRUE(*added);

  http_.Reply(400, R"({"__type":"SubscriptionRequiredException","message":"no plan"})");
  auto no_plan = support.DescribeSeverityLevels();
  EXPECT_TRUE(IsAwsError(no_plan.status(), "SubscriptionRequiredException"));
  EXPECT_EQ(support.CreateCase({}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ApiClientTest, HealthViewsAndBatching) {
  auto c = Make(services::kHealth, "https://global.health.amazonaws.com", "us-east-1");
  HealthApi health(c.get());
  http_.ReplyJson({{"events",
                    {{{"arn", "arn:aws:health:us-east-1::event/KMS/T/1"},
                      {"service", "KMS"},
                      {"eventTypeCode", "AWS_KMS_OPERATIONAL_ISSUE"},
                      {"startTime", 1760000000},
                      {"endTime", 1760003600.25},
                      {"statusCode", "closed"}}}},
                   {"nextToken", "p2"}});
  http_.ReplyJson({{"events", json::array()}});
  HealthEventFilter f;
  f.services = {"KMS"};
  f.start_from_ms = 1760000000000;
  auto events = health.DescribeEvents(f);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].end_ms, 1760003600250);
  EXPECT_EQ(http_.Body(0)["filter"]["services"][0], "KMS");
  EXPECT_EQ(http_.Body(0)["filter"]["startTimes"][0]["from"], 1760000000.0);
  EXPECT_EQ(http_.Body(1)["nextToken"], "p2");

  std::vector<std::string> arns;
  for (int i = 0; i < 23; ++i) arns.push_back("arn" + std::to_string(i));
  for (int i = 0; i < 3; ++i) {
    http_.ReplyJson({{"successfulSet",
                      {{{"event", {{"arn", "arn"}}},
                        {"eventDescription", {{"latestDescription", "d" + std::to_string(i)}}}}}},
                     {"failedSet", json::array()}});
  }
  auto details = health.DescribeEventDetails(arns);
  ASSERT_TRUE(details.ok());
  EXPECT_EQ(details->successful.size(), 3u);
  EXPECT_EQ(http_.Body(2)["eventArns"].size(), 10u);
  EXPECT_EQ(http_.Body(4)["eventArns"].size(), 3u);

  http_.ReplyJson({{"events", {{{"arn", "a"}, {"service", "KMS"}}}}});
  auto org = health.DescribeEventsForOrganization(f);
  ASSERT_TRUE(org.ok());
  EXPECT_EQ(http_.Target(5), "AWSHealth_20160804.DescribeEventsForOrganization");
  EXPECT_EQ(http_.Body(5)["filter"]["startTime"]["from"], 1760000000.0);

  http_.ReplyJson({{"affectedAccounts", {"111111111111"}}, {"nextToken", "x"}});
  http_.ReplyJson({{"affectedAccounts", {"222222222222"}}});
  auto accounts = health.DescribeAffectedAccountsForOrganization("a");
  ASSERT_TRUE(accounts.ok());
  EXPECT_EQ(accounts->size(), 2u);

  http_.ReplyJson(
      {{"successfulSet",
        {{{"awsAccountId", "111111111111"},
          {"event", {{"arn", "a"}}},
          {"eventDescription", {{"latestDescription", "org d"}}}}}},
       {"failedSet",
        {{{"awsAccountId", "222222222222"}, {"eventArn", "a"}, {"errorName", "NotFound"}}}}});
  auto od =
      health.DescribeEventDetailsForOrganization({{"a", "111111111111"}, {"a", "222222222222"}});
  ASSERT_TRUE(od.ok());
  EXPECT_EQ(od->successful[0].aws_account_id, "111111111111");
  EXPECT_EQ(od->failed[0].error_name, "NotFound");
  EXPECT_EQ(http_.Body(8)["organizationEventDetailFilters"][1]["awsAccountId"], "222222222222");

  http_.ReplyJson({{"entities", {{{"entityValue", "key-1"}, {"awsAccountId", "1"}}}}});
  auto oe = health.DescribeAffectedEntitiesForOrganization({{"a", "1"}});
  ASSERT_TRUE(oe.ok());
  EXPECT_EQ((*oe)[0].entity_value, "key-1");

  http_.ReplyJson({{"entities", {{{"entityValue", "key-2"}}}}});
  auto ae = health.DescribeAffectedEntities({"a"});
  ASSERT_TRUE(ae.ok());
  EXPECT_EQ(http_.Body(10)["filter"]["eventArns"][0], "a");

  http_.ReplyJson(
      {{"eventTypes",
        {{{"service", "KMS"}, {"code", "AWS_KMS_OPERATIONAL_ISSUE"}, {"category", "issue"}}}}});
  auto types = health.DescribeEventTypes({"KMS"});
  ASSERT_TRUE(types.ok());
  EXPECT_EQ((*types)[0].category, "issue");
}

TEST_F(ApiClientTest, CostExplorerGroupsAndPages) {
  auto c = Make(services::kCostExplorer);
  CostExplorerApi ce(c.get());
  json group = {{"Keys", {"us-east-1", "111111111111"}},
                {"Metrics", {{"UnblendedCost", {{"Amount", "12.3456789"}, {"Unit", "USD"}}}}}};
  http_.ReplyJson({{"ResultsByTime",
                    {{{"TimePeriod", {{"Start", "2026-09-01"}, {"End", "2026-10-01"}}},
                      {"Groups", {group}},
                      {"Estimated", true}}}},
                   {"NextPageToken", "np"}});
  http_.ReplyJson({{"ResultsByTime",
                    {{{"TimePeriod", {{"Start", "2026-09-01"}, {"End", "2026-10-01"}}},
                      {"Groups", {group}}}}}});
  CostAndUsageInput in;
  in.start = "2026-09-01";
  in.end = "2026-10-01";
  in.metrics = {"UnblendedCost"};
  in.group_by = {"REGION", "LINKED_ACCOUNT"};
  in.dimensions = {{"SERVICE", {"AWS Key Management Service"}}};
  auto rows = ce.GetCostAndUsage(in);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].keys[1], "111111111111");
  EXPECT_EQ((*rows)[0].metrics.at("UnblendedCost").amount, "12.3456789");
  EXPECT_TRUE((*rows)[0].estimated);
  EXPECT_EQ(http_.Body(0)["Filter"]["Dimensions"]["Key"], "SERVICE");
  EXPECT_EQ(http_.Body(0)["GroupBy"][1]["Key"], "LINKED_ACCOUNT");
  EXPECT_EQ(http_.Body(1)["NextPageToken"], "np");
  EXPECT_EQ(http_.Target(0), "AWSInsightsIndexService.GetCostAndUsage");
}

// A clock that only moves when slept on, and remembers each sleep.
class SleepRecordingClock final : public Clock {
 public:
  int64_t NowMs() const override { return now_ms_; }
  int64_t MonotonicNs() const override { return now_ms_ * 1'000'000; }
  void SleepFor(int64_t ms) const override {
    sleeps.push_back(ms);
    now_ms_ += ms;
  }
  mutable std::vector<int64_t> sleeps;

 private:
  mutable int64_t now_ms_ = 0;
};

TEST_F(ApiClientTest, CloudTrailPacesCallsWithTheTokenBucket) {
  auto c = Make(services::kCloudTrail);
  SleepRecordingClock clock;
  TokenBucket bucket(2.0, 2.0, &clock);
  CloudTrailApi ct(c.get(), &bucket);
  for (int i = 0; i < 5; ++i) {
    json page = {{"Events",
                  {{{"EventId", "e" + std::to_string(i)},
                    {"EventName", "Decrypt"},
                    {"EventTime", 1760000000},
                    {"CloudTrailEvent", "{}"}}}}};
    if (i < 4) page["NextToken"] = "t" + std::to_string(i);
    http_.ReplyJson(page);
  }
  LookupEventsInput in;
  in.attribute_key = "EventSource";
  in.attribute_value = "kms.amazonaws.com";
  in.start_ms = 1760000000000;
  in.end_ms = 1760086400000;
  auto all = ct.LookupAllEvents(in);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), 5u);
  // Burst of 2, then one token every 500 ms: 3 waits totalling 1.5 s.
  EXPECT_EQ(clock.sleeps.size(), 3u);
  EXPECT_GE(bucket.total_slept_ms(), 1500);
  EXPECT_LE(bucket.total_slept_ms(), 1503);
  EXPECT_EQ(http_.Body(0)["LookupAttributes"][0]["AttributeValue"], "kms.amazonaws.com");
  EXPECT_EQ(http_.Body(0)["StartTime"], 1760000000.0);
  EXPECT_EQ(http_.Body(4)["NextToken"], "t3");
}

TEST_F(ApiClientTest, SqsReceiveAndDelete) {
  auto c = Make(services::kSqs);
  SqsApi sqs(c.get());
  http_.ReplyJson({{"Messages",
                    {{{"MessageId", "m1"},
                      {"ReceiptHandle", "rh"},
                      {"Body", "{}"},
                      {"Attributes", {{"SentTimestamp", "1"}}}}}}});
  auto msgs = sqs.ReceiveMessage({.queue_url = "http://q/1/x", .wait_time_seconds = 1});
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ((*msgs)[0].attributes.at("SentTimestamp"), "1");
  EXPECT_EQ(http_.Body(0)["WaitTimeSeconds"], 1);
  http_.ReplyJson(json::object());
  EXPECT_TRUE(sqs.DeleteMessage("http://q/1/x", "rh").ok());
  EXPECT_EQ(http_.Body(1)["ReceiptHandle"], "rh");
}

}  // namespace
}  // namespace recoup::aws
