#include "recoup/ingest/access_log.h"

#include <gtest/gtest.h>

#include <string>

#include "recoup/core/time.h"

namespace recoup::ingest {
namespace {

using events::EventView;
using events::OutcomeClass;

// The example line of the S3 server access log documentation (LogFormat.html),
// with the fields as published.
constexpr char kS3Doc[] =
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 "
    "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 "
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE "
    "REST.GET.VERSIONING - \"GET /amzn-s3-demo-bucket1?versioning HTTP/1.1\" 200 - 113 - 7 - "
    "\"-\" \"S3Console/0.4\" - "
    "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 "
    "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com "
    "TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes";

std::string S3Line(const std::string& status, const std::string& code,
                   const std::string& op = "REST.GET.OBJECT",
                   const std::string& host = "bkt.s3.eu-west-1.amazonaws.com") {
  return "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be bkt "
         "[20/Oct/2025:07:01:02 +0000] 192.0.2.3 arn:aws:iam::111122223333:user/app "
         "REQ123 " +
         op + " photos/a.jpg \"GET /bkt/photos/a.jpg HTTP/1.1\" " + status + " " + code +
         " 100 100 12 10 \"-\" \"aws-sdk-java/2.20\" - HOSTID SigV4 "
         "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader " +
         host + " TLSv1.2 - -";
}

AccessLogParser Parser(AccessLogFormat f, std::string account = "111122223333",
                       std::string region = "") {
  return AccessLogParser(sla::Catalog::Default(), f, {std::move(account), std::move(region)});
}

TEST(AccessLogTest, ReadsTheS3DocumentationExample) {
  auto p = Parser(AccessLogFormat::kS3, "");
  EventView ev;
  std::string err;
  ASSERT_EQ(p.ParseLine(kS3Doc, &ev, &err), ParseOutcome::kAccepted) << err;
  EXPECT_EQ(ev.service, "s3");
  EXPECT_EQ(ev.account, "123456789012");  // from the access point ARN
  EXPECT_EQ(ev.region, "us-west-1");
  EXPECT_EQ(ev.request_id, "3E57427F3EXAMPLE");
  EXPECT_EQ(ev.operation, "REST.GET.VERSIONING");
  EXPECT_EQ(ev.http_status, 200);
  EXPECT_EQ(ev.outcome, OutcomeClass::kSuccess);
  EXPECT_EQ(ev.time_ms, *ParseTimestampMs("2019-02-06T00:00:38Z"));
  EXPECT_EQ(ev.resource, "arn:aws:s3:::amzn-s3-demo-bucket1");
  EXPECT_EQ(AccessLogParser::Detect(kS3Doc), AccessLogFormat::kS3);
}

TEST(AccessLogTest, S3CountsOnlyItsTwoServerErrorCodes) {
  auto p = Parser(AccessLogFormat::kS3);
  EventView ev;
  std::string err;
  struct Case {
    const char* status;
    const char* code;
    OutcomeClass want;
  };
  for (const Case& c : {Case{"500", "InternalError", OutcomeClass::kServerError},
                        Case{"503", "ServiceUnavailable", OutcomeClass::kServerError},
                        Case{"503", "SlowDown", OutcomeClass::kThrottled},
                        Case{"501", "NotImplemented", OutcomeClass::kClientError},
                        Case{"404", "NoSuchKey", OutcomeClass::kClientError},
                        Case{"206", "-", OutcomeClass::kSuccess}}) {
    ASSERT_EQ(p.ParseLine(S3Line(c.status, c.code), &ev, &err), ParseOutcome::kAccepted) << err;
    EXPECT_EQ(ev.outcome, c.want) << c.code;
    EXPECT_EQ(ev.region, "eu-west-1");
    EXPECT_EQ(ev.account, "111122223333");  // --account: the log names no account
  }
}

TEST(AccessLogTest, S3SkipsItsOwnBookkeepingAndNamesBadFields) {
  auto p = Parser(AccessLogFormat::kS3);
  EventView ev;
  std::string err;
  EXPECT_EQ(p.ParseLine(S3Line("200", "-", "S3.TRANSITION_SIA.OBJECT"), &ev, &err),
            ParseOutcome::kSkipped);
  EXPECT_EQ(p.ParseLine(S3Line("204", "-", "BATCH.DELETE.OBJECT"), &ev, &err),
            ParseOutcome::kSkipped);
  EXPECT_EQ(p.ParseLine("", &ev, &err), ParseOutcome::kSkipped);
  EXPECT_EQ(p.ParseLine(S3Line("5x0", "InternalError"), &ev, &err), ParseOutcome::kRejected);
  EXPECT_NE(err.find("http_status"), std::string::npos) << err;
  std::string bad_time = S3Line("200", "-");
  bad_time.replace(bad_time.find("20/Oct"), 6, "32/Oct");
  EXPECT_EQ(p.ParseLine(bad_time, &ev, &err), ParseOutcome::kRejected);
  EXPECT_NE(err.find("time"), std::string::npos) << err;
  EXPECT_EQ(p.ParseLine("a b \"unterminated", &ev, &err), ParseOutcome::kRejected);
  // No Region in the host and none given: named, not guessed.
  EXPECT_EQ(p.ParseLine(S3Line("200", "-", "REST.GET.OBJECT", "bkt.s3.amazonaws.com"), &ev, &err),
            ParseOutcome::kRejected);
  EXPECT_NE(err.find("--region"), std::string::npos) << err;
  auto with_region = Parser(AccessLogFormat::kS3, "111122223333", "us-east-1");
  ASSERT_EQ(with_region.ParseLine(S3Line("200", "-", "REST.GET.OBJECT", "bkt.s3.amazonaws.com"),
                                  &ev, &err),
            ParseOutcome::kAccepted)
      << err;
  EXPECT_EQ(ev.region, "us-east-1");
  auto no_account = Parser(AccessLogFormat::kS3, "");
  EXPECT_EQ(no_account.ParseLine(S3Line("200", "-"), &ev, &err), ParseOutcome::kRejected);
  EXPECT_NE(err.find("--account"), std::string::npos) << err;
}

std::string ApiLine(const std::string& status, const std::string& extra) {
  return R"({"requestId":"r-1","requestTimeEpoch":1760943662000,"status":")" + status +
         R"(","apiId":"a1b2c3d4e5","domainName":"a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",)"
         R"("accountId":"111122223333")" +
         extra + "}";
}

TEST(AccessLogTest, ApiGatewayCountsInternalServiceErrorsOnly) {
  auto p = Parser(AccessLogFormat::kApiGateway, "");
  EventView ev;
  std::string err;
  ASSERT_EQ(p.ParseLine(ApiLine("200", ""), &ev, &err), ParseOutcome::kAccepted) << err;
  EXPECT_EQ(ev.outcome, OutcomeClass::kSuccess);
  EXPECT_EQ(ev.service, "apigateway");
  EXPECT_EQ(ev.region, "us-east-1");
  EXPECT_EQ(ev.resource, "a1b2c3d4e5");
  EXPECT_EQ(ev.time_ms, 1760943662000);
  // A 5xx of the gateway itself, with no integration answer: counts.
  ASSERT_EQ(
      p.ParseLine(
          ApiLine("500", R"(,"integrationStatus":"-","error":{"responseType":"DEFAULT_5XX"})"), &ev,
          &err),
      ParseOutcome::kAccepted);
  EXPECT_EQ(ev.outcome, OutcomeClass::kServerError);
  // The integration (the customer's back end) failed: excluded.
  ASSERT_EQ(p.ParseLine(
                ApiLine("502", R"(,"integrationStatus":"500","error.responseType":"DEFAULT_5XX")"),
                &ev, &err),
            ParseOutcome::kAccepted);
  EXPECT_EQ(ev.outcome, OutcomeClass::kClientError);
  ASSERT_EQ(
      p.ParseLine(ApiLine("504", R"(,"error":{"responseType":"INTEGRATION_TIMEOUT"})"), &ev, &err),
      ParseOutcome::kAccepted);
  EXPECT_EQ(ev.outcome, OutcomeClass::kClientError);
  ASSERT_EQ(
      p.ParseLine(ApiLine("500", R"(,"error":{"responseType":"AUTHORIZER_FAILURE"})"), &ev, &err),
      ParseOutcome::kAccepted);
  EXPECT_EQ(ev.outcome, OutcomeClass::kClientError);
  ASSERT_EQ(p.ParseLine(ApiLine("429", ""), &ev, &err), ParseOutcome::kAccepted);
  EXPECT_EQ(ev.outcome, OutcomeClass::kThrottled);
  // Numbers instead of strings, and the CLF requestTime.
  ASSERT_EQ(p.ParseLine(R"({"requestId":"r-2","requestTime":"20/Oct/2025:07:01:02 +0000",)"
                        R"("status":503,"integrationStatus":null,"accountId":"111122223333",)"
                        R"("domainName":"x.execute-api.eu-west-1.amazonaws.com"})",
                        &ev, &err),
            ParseOutcome::kAccepted)
      << err;
  EXPECT_EQ(ev.outcome, OutcomeClass::kServerError);
  EXPECT_EQ(ev.region, "eu-west-1");
  EXPECT_EQ(ev.time_ms, *ParseTimestampMs("2025-10-20T07:01:02Z"));
}

TEST(AccessLogTest, ApiGatewayNamesWhatIsMissingOrMistyped) {
  auto p = Parser(AccessLogFormat::kApiGateway, "");
  EventView ev;
  std::string err;
  EXPECT_EQ(p.ParseLine("{not json", &ev, &err), ParseOutcome::kRejected);
  EXPECT_EQ(p.ParseLine(R"({"requestId":7,"status":"200"})", &ev, &err), ParseOutcome::kRejected);
  EXPECT_EQ(p.ParseLine(R"({"requestId":"r","status":{"x":1}})", &ev, &err),
            ParseOutcome::kRejected);
  EXPECT_NE(err.find("'status'"), std::string::npos) << err;
  EXPECT_EQ(
      p.ParseLine(ApiLine("200", "").replace(ApiLine("200", "").find("r-1"), 3, ""), &ev, &err),
      ParseOutcome::kRejected);
  EXPECT_NE(err.find("requestId"), std::string::npos) << err;
  EXPECT_EQ(p.ParseLine(R"({"requestId":"r","status":"200","requestTimeEpoch":1,)"
                        R"("domainName":"example.com","accountId":"111122223333"})",
                        &ev, &err),
            ParseOutcome::kRejected);
  EXPECT_NE(err.find("--region"), std::string::npos) << err;
}

constexpr char kCfHeader[] =
    "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "
    "cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id "
    "x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher "
    "x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port "
    "time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len "
    "sc-range-start sc-range-end";

std::string CfLine(const std::string& status, const std::string& result, const std::string& detail,
                   const std::string& id = "EDGE1") {
  return "2025-10-20\t07:01:02\tIAD89-C1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t"
         "/index.html\t" +
         status + "\t-\tMozilla/5.0\t-\t-\t" + result + "\t" + id +
         "\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE\t" + result +
         "\tHTTP/2.0\t-\t-\t11040\t0.001\t" + detail + "\ttext/html\t78\t-\t-";
}

TEST(AccessLogTest, CloudFrontCountsItsOwnErrorsNotTheOrigins) {
  auto p = Parser(AccessLogFormat::kCloudFront);
  EventView ev;
  std::string err;
  EXPECT_EQ(p.ParseLine(CfLine("200", "Hit", "Hit"), &ev, &err), ParseOutcome::kRejected);
  EXPECT_NE(err.find("#Fields"), std::string::npos) << err;
  EXPECT_EQ(p.ParseLine("#Version: 1.0", &ev, &err), ParseOutcome::kSkipped);
  EXPECT_EQ(p.ParseLine(kCfHeader, &ev, &err), ParseOutcome::kSkipped);
  ASSERT_EQ(p.ParseLine(CfLine("200", "Hit", "Hit"), &ev, &err), ParseOutcome::kAccepted) << err;
  EXPECT_EQ(ev.service, "cloudfront");
  EXPECT_EQ(ev.outcome, OutcomeClass::kSuccess);
  EXPECT_EQ(ev.request_id, "EDGE1");
  EXPECT_EQ(ev.time_ms, *ParseTimestampMs("2025-10-20T07:01:02Z"));
  struct Case {
    const char* status;
    const char* result;
    const char* detail;
    OutcomeClass want;
  };
  for (const Case& c :
       {Case{"503", "CapacityExceeded", "CapacityExceeded", OutcomeClass::kServerError},
        Case{"503", "LimitExceeded", "LimitExceeded", OutcomeClass::kThrottled},
        Case{"502", "Error", "OriginConnectError", OutcomeClass::kClientError},
        Case{"504", "Error", "OriginReadTimeout", OutcomeClass::kClientError},
        Case{"500", "Error", "Error", OutcomeClass::kClientError},  // could be a cached origin 500
        Case{"404", "Error", "Error", OutcomeClass::kClientError}}) {
    ASSERT_EQ(p.ParseLine(CfLine(c.status, c.result, c.detail), &ev, &err), ParseOutcome::kAccepted)
        << err;
    EXPECT_EQ(ev.outcome, c.want) << c.status << " " << c.result << " " << c.detail;
  }
  EXPECT_EQ(p.ParseLine(CfLine("200", "Hit", "Hit") + "\textra", &ev, &err),
            ParseOutcome::kRejected);
  EXPECT_EQ(p.ParseLine(CfLine("200", "Hit", "Hit", "-"), &ev, &err), ParseOutcome::kRejected);
  EXPECT_NE(err.find("x-edge-request-id"), std::string::npos) << err;
  EXPECT_EQ(AccessLogParser::Detect(std::string("#Version: 1.0\n") + kCfHeader + "\n"),
            AccessLogFormat::kCloudFront);
  EXPECT_FALSE(AccessLogParser::Detect(R"({"Records":[]})").has_value());
}

}  // namespace
}  // namespace recoup::ingest
