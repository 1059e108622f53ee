#include "recoup/ingest/record_parser.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "recoup/core/clock.h"
#include "recoup/core/time.h"
#include "recoup/io/byte_source.h"

namespace recoup::ingest {
namespace {

using events::EventView;
using events::OutcomeClass;
using events::SourceKind;

std::string TestData() {
  const char* d = std::getenv("RECOUP_TESTDATA");
  return d != nullptr ? d : RECOUP_TESTDATA_DEFAULT;
}

std::string ReadAll(const std::string& path) {
  auto text = io::ReadFileToString(path);
  EXPECT_TRUE(text.ok()) << text.status().message();
  return text.ok() ? *text : std::string();
}

class ParserTest : public ::testing::Test {
 protected:
  ParseOutcome Parse(const std::string& json, ParserOptions opt = {}) {
    padded_ = json;
    padded_.append(64, ' ');
    RawRecord r;
    r.json = std::string_view(padded_.data(), json.size());
    r.capacity = padded_.size();
    r.line = 1;
    parser_ = std::make_unique<RecordParser>(sla::Catalog::Default(), std::move(opt));
    error_.clear();
    return parser_->Parse(r, &ev_, &error_);
  }
  std::string padded_;
  std::unique_ptr<RecordParser> parser_;
  EventView ev_;
  std::string error_;
};

struct FileCounts {
  int accepted = 0, skipped = 0, rejected = 0;
  std::vector<std::string> errors;
};

// Splits a whole file into records as ingest does, then parses each.
FileCounts ParseFile(const std::string& path) {
  FileCounts c;
  const std::string text = ReadAll(path);
  auto src = io::FromMemory(text);
  RecordStream rs(src.get(), path, [&](const std::string& m) {
    ++c.rejected;
    c.errors.push_back(m);
  });
  RecordParser parser(sla::Catalog::Default(), {});
  RawRecord r;
  EventView ev;
  std::string err;
  while (*rs.Next(&r)) {
    switch (parser.Parse(r, &ev, &err)) {
      case ParseOutcome::kAccepted:
        ++c.accepted;
        break;
      case ParseOutcome::kSkipped:
        ++c.skipped;
        break;
      case ParseOutcome::kRejected:
        ++c.rejected;
        c.errors.push_back(err);
        break;
    }
  }
  return c;
}

TEST(ParserFileTest, EveryValidKmsDocExampleIsAcceptedOrSkippedNeverRejected) {
  const std::string dir = TestData() + "/cloudtrail/awsdocs-kms-developer-guide";
  int accepted = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".json" || name[0] == '_') continue;
    const FileCounts c = ParseFile(entry.path());
    // Examples older than the first KMS SLA (2019-01-16) are outside the SLA's
    // history: rejected, naming eventTime; nothing else is.
    for (const std::string& e : c.errors) {
      EXPECT_NE(e.find("eventTime: "), std::string::npos) << name << ": " << e;
      EXPECT_NE(e.find("is before 2019-01-16T00:00:00Z"), std::string::npos) << name << ": " << e;
    }
    accepted += c.accepted;
  }
  EXPECT_GE(accepted, 40);
}

TEST(ParserFileTest, EveryValidCloudTrailGuideExampleParses) {
  const std::string dir = TestData() + "/cloudtrail/awsdocs-cloudtrail-user-guide";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".json" || name[0] == '_') continue;
    const FileCounts c = ParseFile(entry.path());
    for (const std::string& e : c.errors) {  // only examples older than the first SLA
      EXPECT_NE(e.find("is before 2019-01-16T00:00:00Z"), std::string::npos) << name << ": " << e;
    }
    EXPECT_GT(c.accepted + c.skipped + c.rejected, 0) << name;
  }
}

TEST(ParserFileTest, EveryInvalidJsonDocExampleGivesAClearErrorAndKeepsTheRest) {
  int seen = 0;
  for (const char* sub : {"awsdocs-kms-developer-guide", "awsdocs-cloudtrail-user-guide"}) {
    const std::string dir = TestData() + "/cloudtrail/" + sub;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name.find(".invalid-json.txt") == std::string::npos) continue;
      ++seen;
      const FileCounts c = ParseFile(entry.path());
      ASSERT_GE(c.rejected, 1) << name;
      EXPECT_TRUE(c.errors[0].find("line ") != std::string::npos ||
                  c.errors[0].find(".txt:") != std::string::npos)
          << c.errors[0];
    }
  }
  EXPECT_EQ(seen, 9);
  // "... additional entries ..." between records: the records around it are kept.
  const FileCounts ref = ParseFile(
      TestData() +
      "/cloudtrail/awsdocs-cloudtrail-user-guide/cloudtrail-event-reference-1.invalid-json.txt");
  EXPECT_GE(ref.accepted + ref.skipped, 1);
}

TEST_F(ParserTest, SuccessfulDecryptIsASuccess) {
  ASSERT_EQ(
      Parse(ReadAll(TestData() + "/cloudtrail/awsdocs-kms-developer-guide/ct-decrypt-1.json")),
      ParseOutcome::kAccepted);
  EXPECT_EQ(ev_.outcome, OutcomeClass::kSuccess);
  EXPECT_EQ(ev_.service, "kms");
  EXPECT_EQ(ev_.operation, "Decrypt");
  EXPECT_EQ(ev_.region, "us-west-2");
  EXPECT_EQ(ev_.account, "111122223333");
  EXPECT_EQ(ev_.source, SourceKind::kCloudTrail);
}

TEST_F(ParserTest, CustomKeyStoreRecordsAreExcludedWhateverTheirCode) {
  // AWS's own examples: CloudHSM and external key store decrypts, one failing
  // with KMSInvalidStateException.
  for (const char* f : {"ct-decrypt-3.json", "ct-decrypt-4.json", "ct-decrypt-5.json",
                        "ct-schedule-key-deletion-3.json"}) {
    ASSERT_EQ(Parse(ReadAll(TestData() + "/cloudtrail/awsdocs-kms-developer-guide/" + f)),
              ParseOutcome::kAccepted)
        << f << error_;
    EXPECT_EQ(ev_.outcome, OutcomeClass::kCustomKeyStore) << f;
  }
  // A synthetic failing record with customKeyStoreId: excluded, not a server error.
  ASSERT_EQ(Parse(R"({"eventTime":"2026-10-01T00:00:00Z","eventSource":"kms.amazonaws.com",
    "eventName":"Decrypt","awsRegion":"us-east-1","recipientAccountId":"111122223333",
    "errorCode":"KMSInternalException","requestID":"r1","eventType":"AwsApiCall",
    "additionalEventData":{"customKeyStoreId":"cks-1234567890abcdef0"}})"),
            ParseOutcome::kAccepted);
  EXPECT_EQ(ev_.outcome, OutcomeClass::kCustomKeyStore);
}

TEST_F(ParserTest, ClassifiesCloudTrailErrorCodes) {
  auto rec = [](const char* code) {
    return std::string(R"({"eventTime":"2026-10-01T00:00:00Z","eventSource":"kms.amazonaws.com",
      "eventName":"Decrypt","awsRegion":"us-east-1","recipientAccountId":"111122223333",
      "requestID":"r1","eventType":"AwsApiCall","errorCode":")") +
           code + "\"}";
  };
  ASSERT_EQ(Parse(rec("KMSInternalException")), ParseOutcome::kAccepted);
  EXPECT_EQ(ev_.outcome, OutcomeClass::kServerError);
  Parse(rec("com.amazonaws.kms#DependencyTimeoutException"));
  EXPECT_EQ(ev_.outcome, OutcomeClass::kServerError);
  EXPECT_EQ(ev_.error_code, "DependencyTimeoutException");
  Parse(rec("ThrottlingException"));
  EXPECT_EQ(ev_.outcome, OutcomeClass::kThrottled);
  Parse(rec("AccessDenied"));
  EXPECT_EQ(ev_.outcome, OutcomeClass::kClientError);
  Parse(rec("KMSInvalidStateException"));
  EXPECT_EQ(ev_.outcome, OutcomeClass::kClientError);
}

TEST_F(ParserTest, MissingRequiredFieldsAreNamed) {
  EXPECT_EQ(Parse(R"({"eventSource":"kms.amazonaws.com","awsRegion":"us-east-1"})"),
            ParseOutcome::kRejected);
  EXPECT_NE(error_.find("missing eventTime"), std::string::npos) << error_;
  EXPECT_EQ(Parse(R"({"eventTime":"yesterday","eventSource":"kms.amazonaws.com","awsRegion":"x"})"),
            ParseOutcome::kRejected);
  EXPECT_NE(error_.find("eventTime"), std::string::npos) << error_;
  EXPECT_EQ(Parse(R"({"eventTime":"2026-10-01T00:00:00Z","eventSource":"kms.amazonaws.com"})"),
            ParseOutcome::kRejected);
  EXPECT_NE(error_.find("awsRegion"), std::string::npos) << error_;
  EXPECT_EQ(Parse("[1,2]"), ParseOutcome::kRejected);
  EXPECT_EQ(Parse("\x01\x02\xff garbage"), ParseOutcome::kRejected);
}

TEST_F(ParserTest, OtherServicesAndServiceEventsAreSkipped) {
  EXPECT_EQ(Parse(R"({"eventTime":"2026-10-01T00:00:00Z","eventSource":"ec2.amazonaws.com",
    "eventName":"RunInstances","awsRegion":"us-east-1","recipientAccountId":"111122223333"})"),
            ParseOutcome::kSkipped);
  EXPECT_EQ(
      Parse(ReadAll(TestData() + "/cloudtrail/awsdocs-kms-developer-guide/ct-rotatekey-1.json")),
      ParseOutcome::kSkipped);  // AwsServiceEvent
}

TEST_F(ParserTest, LookupEventsResultsCarryTheRecordAsAString) {
  std::ifstream in(TestData() + "/cloudtrail/plaso/aws_cloudtrail.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++n;
    EXPECT_EQ(Parse(line), ParseOutcome::kSkipped) << error_;  // EC2 events
  }
  EXPECT_EQ(n, 6);
  ASSERT_EQ(
      Parse(
          R"({"EventId":"e1","EventName":"Decrypt","CloudTrailEvent":"{\"eventTime\":\"2026-10-01T00:00:01Z\",\"eventSource\":\"kms.amazonaws.com\",\"eventName\":\"Decrypt\",\"awsRegion\":\"eu-west-1\",\"recipientAccountId\":\"444455556666\",\"requestID\":\"abc\",\"errorCode\":\"KMSInternalException\",\"eventType\":\"AwsApiCall\"}"})"),
      ParseOutcome::kAccepted)
      << error_;
  EXPECT_EQ(ev_.region, "eu-west-1");
  EXPECT_EQ(ev_.request_id, "abc");
  EXPECT_EQ(ev_.outcome, OutcomeClass::kServerError);
}

TEST_F(ParserTest, EventBridgeWrappedCloudTrailRecords) {
  ASSERT_EQ(Parse(R"({"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail",
    "source":"aws.kms","account":"111122223333","time":"2026-10-01T00:00:00Z","region":"us-east-1",
    "resources":[],"detail":{"eventVersion":"1.09","eventTime":"2026-10-01T00:00:00Z",
    "eventSource":"kms.amazonaws.com","eventName":"Encrypt","awsRegion":"us-east-1",
    "requestID":"q1","eventType":"AwsApiCall","recipientAccountId":"111122223333"}})"),
            ParseOutcome::kAccepted)
      << error_;
  EXPECT_EQ(ev_.operation, "Encrypt");
  const std::string dir = TestData() + "/cloudtrail/cloud-custodian-eventbridge";
  // None is KMS; the API Gateway, CloudFront and S3 calls among them are
  // evidence of those services' SLAs, named by their event source.
  int accepted = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string text = ReadAll(entry.path());
    const ParseOutcome o = Parse(text);
    if (o != ParseOutcome::kAccepted) continue;
    ++accepted;
    EXPECT_NE(ev_.service, "kms") << entry.path();
    const std::string source = std::string(ev_.service) + ".amazonaws.com";
    EXPECT_NE(text.find(source), std::string::npos) << entry.path() << " is not " << source;
  }
  EXPECT_GT(accepted, 0);
}

TEST_F(ParserTest, PantherKmsEvents) {
  std::ifstream in(TestData() +
                   "/cloudtrail/panther-analysis/panther_cloudtrail_test_events.kms.jsonl");
  std::string line;
  int accepted = 0, before_sla = 0;
  while (std::getline(in, line)) {
    const ParseOutcome o = Parse(line);
    if (o == ParseOutcome::kAccepted) {
      ++accepted;
      EXPECT_NE(ev_.outcome, OutcomeClass::kServerError);
    } else if (o == ParseOutcome::kRejected &&
               error_.find("eventTime: 2019-01-01T00:00:00Z is before 2019-01-16") !=
                   std::string::npos) {
      ++before_sla;  // dated before the first KMS SLA: outside its history
    }
  }
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(before_sla, 6);
}

TEST_F(ParserTest, CsmAttemptsAsBotocoreSendsThem) {
  ParserOptions opt;
  opt.default_account = "111122223333";
  const std::string ok = R"({"Version":1,"ClientId":"","Type":"ApiCallAttempt","Service":"KMS",
    "Api":"Decrypt","Timestamp":1790000000123,"AttemptLatency":12,"Fqdn":"kms.us-east-1.amazonaws.com",
    "UserAgent":"Boto3/1.43","AccessKey":"AKIDEXAMPLE","Region":"us-east-1","HttpStatusCode":200,
    "XAmznRequestId":"0f1e2d3c"})";
  ASSERT_EQ(Parse(ok, opt), ParseOutcome::kAccepted) << error_;
  EXPECT_EQ(ev_.outcome, OutcomeClass::kSuccess);
  EXPECT_EQ(ev_.time_ms, 1790000000123);
  EXPECT_EQ(ev_.source, SourceKind::kCsm);
  EXPECT_EQ(ev_.latency_ms, 12);
  ASSERT_EQ(Parse(R"({"Version":1,"Type":"ApiCallAttempt","Service":"KMS","Api":"Decrypt",
    "Timestamp":1790000000123,"Region":"us-east-1","HttpStatusCode":500,"XAmznRequestId":"r-500",
    "AwsException":"KMSInternalException","AwsExceptionMessage":"boom"})",
                  opt),
            ParseOutcome::kAccepted);
  EXPECT_EQ(ev_.outcome, OutcomeClass::kServerError);
  EXPECT_EQ(ev_.request_id, "r-500");
  ASSERT_EQ(Parse(R"({"Version":1,"Type":"ApiCallAttempt","Service":"KMS","Api":"Decrypt",
    "Timestamp":1790000000123,"Region":"us-east-1","SdkException":"ReadTimeoutError",
    "SdkExceptionMessage":"Read timeout"})",
                  opt),
            ParseOutcome::kAccepted);
  EXPECT_EQ(ev_.outcome, OutcomeClass::kNoResponse);
  EXPECT_EQ(Parse(R"({"Version":1,"Type":"ApiCall","Service":"KMS","Api":"Decrypt",
    "Timestamp":1,"AttemptCount":1,"Region":"us-east-1","Latency":5})",
                  opt),
            ParseOutcome::kSkipped);
  // No account: a clear error.
  EXPECT_EQ(Parse(ok), ParseOutcome::kRejected);
  EXPECT_NE(error_.find("--account"), std::string::npos);
  // Access-key mapping wins.
  ParserOptions mapped;
  mapped.access_key_accounts["AKIDEXAMPLE"] = "444455556666";
  ASSERT_EQ(Parse(ok, mapped), ParseOutcome::kAccepted);
  EXPECT_EQ(ev_.account, "444455556666");
}

TEST_F(ParserTest, JsonLinesWithAFieldMapping) {
  ParserOptions opt;
  opt.format = InputFormat::kJsonl;
  auto m = JsonlMapping::Parse(
      "time=ts,request_id=aws.requestId,http_status=aws.status,error_code=aws.error");
  ASSERT_TRUE(m.ok());
  opt.mapping = *m;
  ASSERT_EQ(Parse(R"({"ts":"2026-10-14T09:12:00.250Z","account":"111122223333","region":"us-east-1",
    "service":"kms","operation":"Decrypt","aws":{"requestId":"abc","status":503,
    "error":"DependencyTimeoutException"}})",
                  opt),
            ParseOutcome::kAccepted)
      << error_;
  EXPECT_EQ(ev_.outcome, OutcomeClass::kServerError);
  EXPECT_EQ(ev_.request_id, "abc");
  EXPECT_EQ(ev_.http_status, 503);
  EXPECT_EQ(ev_.source, SourceKind::kJsonl);
  EXPECT_EQ(Parse(R"({"account":"111122223333","region":"us-east-1","service":"kms"})", opt),
            ParseOutcome::kRejected);
  EXPECT_NE(error_.find("'ts'"), std::string::npos) << error_;
  EXPECT_FALSE(JsonlMapping::Parse("bogus=x").ok());
  EXPECT_FALSE(JsonlMapping::Parse("time").ok());
}

// Wrong JSON types for the fields that decide the verdict are rejected
// records naming the field, never reinterpreted.
TEST_F(ParserTest, WrongTypesForVerdictFieldsAreRejectedAndNamed) {
  auto ct = [](const std::string& extra) {
    return R"({"eventTime":"2026-10-01T00:00:00Z","eventSource":"kms.amazonaws.com",
      "eventName":"Decrypt","awsRegion":"us-east-1","recipientAccountId":"111122223333",
      "eventType":"AwsApiCall","errorCode":"KMSInternalException")" +
           extra + "}";
  };
  // Baseline: the same record with a string request ID is a server error.
  ASSERT_EQ(Parse(ct(R"(,"requestID":"r1")")), ParseOutcome::kAccepted) << error_;
  EXPECT_EQ(ev_.outcome, OutcomeClass::kServerError);
  struct Bad {
    std::string extra, field;
  };
  for (const Bad& b : std::vector<Bad>{
           {R"(,"requestID":"r1","additionalEventData":{"customKeyStoreId":7})",
            "additionalEventData.customKeyStoreId: a number where a string is expected"},
           {R"(,"requestID":"")", "requestID: empty"},
           {R"(,"requestID":12345)", "requestID: a number where a string is expected"},
           {R"(,"requestID":["r1"])", "requestID: an array where a string is expected"},
           {R"(,"requestID":"r1","errorCode":{"code":"x"})",
            "errorCode: an object where a string is expected"},
           {R"(,"requestID":"r1","recipientAccountId":111122223333)",
            "recipientAccountId: a number where a string is expected"},
       }) {
    EXPECT_EQ(Parse(ct(b.extra)), ParseOutcome::kRejected) << b.extra;
    EXPECT_NE(error_.find(b.field), std::string::npos) << b.extra << " -> " << error_;
  }
  EXPECT_EQ(Parse(R"({"eventTime":7,"eventSource":"kms.amazonaws.com","awsRegion":"us-east-1",
    "recipientAccountId":"111122223333","requestID":"r1"})"),
            ParseOutcome::kRejected);
  EXPECT_NE(error_.find("eventTime: a number where a string is expected"), std::string::npos)
      << error_;
}

TEST_F(ParserTest, HostileTimesAreRejectedAtTheEdge) {
  FakeClock clock(*ParseTimestampMs("2026-12-07T16:00:00Z"));
  ParserOptions opt;
  opt.default_account = "111122223333";
  opt.clock = &clock;
  auto csm = [](const std::string& ts) {
    return R"({"Version":1,"Type":"ApiCallAttempt","Service":"KMS","Api":"Decrypt","Timestamp":)" +
           ts + R"(,"Region":"us-east-1","HttpStatusCode":500,"XAmznRequestId":"r-500",
      "AwsException":"KMSInternalException"})";
  };
  ASSERT_EQ(Parse(csm("1790000000123"), opt), ParseOutcome::kAccepted) << error_;
  for (const char* ts : {"4611686018427387904", "9223372036854775807", "-5", "-1",
                         "18446744073709551615", "1.5e300", "\"1790000000123\""}) {
    EXPECT_EQ(Parse(csm(ts), opt), ParseOutcome::kRejected) << ts;
    EXPECT_NE(error_.find("Timestamp"), std::string::npos) << ts << " -> " << error_;
  }
  // Before the earliest SLA (2019-01-16) and beyond now + 15 minutes.
  EXPECT_EQ(Parse(csm("1547596799999"), opt), ParseOutcome::kRejected);
  EXPECT_EQ(Parse(csm("1547596800000"), opt), ParseOutcome::kAccepted) << error_;
  const int64_t skew_edge = clock.NowMs() + 15 * kMsPerMinute;
  EXPECT_EQ(Parse(csm(std::to_string(skew_edge)), opt), ParseOutcome::kAccepted) << error_;
  EXPECT_EQ(Parse(csm(std::to_string(skew_edge + 1)), opt), ParseOutcome::kRejected);
  EXPECT_NE(error_.find("in the future"), std::string::npos) << error_;
  // The bound moves with the clock.
  clock.SetNowMs(clock.NowMs() + kMsPerMinute);
  EXPECT_EQ(Parse(csm(std::to_string(skew_edge + 1)), opt), ParseOutcome::kAccepted) << error_;

  const std::string far = R"({"eventTime":"9999-12-31T23:59:59Z","eventSource":"kms.amazonaws.com",
    "eventName":"Decrypt","awsRegion":"us-east-1","recipientAccountId":"111122223333",
    "requestID":"r1","eventType":"AwsApiCall"})";
  EXPECT_EQ(Parse(far, opt), ParseOutcome::kRejected);
  EXPECT_NE(error_.find("eventTime: "), std::string::npos) << error_;
}

TEST_F(ParserTest, IdentifiersAreValidatedAtTheEdge) {
  ParserOptions opt;
  opt.default_account = "111122223333";
  auto csm = [](const std::string& region, const std::string& rid) {
    return R"({"Version":1,"Type":"ApiCallAttempt","Service":"KMS","Api":"Decrypt",
      "Timestamp":1790000000123,"Region":")" +
           region + R"(","HttpStatusCode":500,"XAmznRequestId":")" + rid + R"("})";
  };
  ASSERT_EQ(Parse(csm("us-east-1", "r-1"), opt), ParseOutcome::kAccepted) << error_;
  EXPECT_EQ(Parse(csm("/../../../../elsewhere/x", "r-1"), opt), ParseOutcome::kRejected);
  EXPECT_EQ(error_.rfind("line 1 (record 1): Region: ", 0), 0u) << error_;
  EXPECT_EQ(Parse(csm("made-up-region", "r-1"), opt), ParseOutcome::kRejected);
  EXPECT_EQ(Parse(csm("us-east-1", ""), opt), ParseOutcome::kRejected);
  EXPECT_NE(error_.find("XAmznRequestId: empty"), std::string::npos) << error_;
  EXPECT_EQ(Parse(csm("us-east-1", "r 1\\u001b[2J"), opt), ParseOutcome::kRejected);
  EXPECT_NE(error_.find("XAmznRequestId: "), std::string::npos) << error_;
  ParserOptions bad_account;
  bad_account.default_account = "12";
  EXPECT_EQ(Parse(csm("us-east-1", "r-1"), bad_account), ParseOutcome::kRejected);
  EXPECT_NE(error_.find("account"), std::string::npos) << error_;

  ParserOptions jl;
  jl.format = InputFormat::kJsonl;
  EXPECT_EQ(Parse(R"({"time":"2026-10-14T09:12:00Z","account":"111122223333","region":"us-east-1",
    "service":"kms","request_id":7,"http_status":500})",
                  jl),
            ParseOutcome::kRejected);
  EXPECT_NE(error_.find("request_id: a number where a string is expected"), std::string::npos)
      << error_;
  EXPECT_EQ(Parse(R"({"time":"2026-10-14T09:12:00Z","account":"111122223333","region":"us-east-1",
    "service":"kms","request_id":"r","latency_ms":"12ms"})",
                  jl),
            ParseOutcome::kRejected);
  EXPECT_NE(error_.find("latency_ms"), std::string::npos) << error_;
  EXPECT_EQ(Parse(R"({"time":"2026-10-14T09:12:00Z","account":"111122223333","region":"us-east-1",
    "service":"kms","request_id":"r","custom_key_store_id":true})",
                  jl),
            ParseOutcome::kRejected);
  EXPECT_NE(error_.find("custom_key_store_id: a boolean"), std::string::npos) << error_;
}

}  // namespace
}  // namespace recoup::ingest

namespace recoup::ingest {
namespace {

TEST_F(ParserTest, TheSeriesBoundRejectsFurtherSeries) {
  ParserOptions opt;
  opt.default_account = "111122223333";
  opt.series_limit = std::make_shared<SeriesLimit>(2);
  auto csm = [](const std::string& region, const std::string& ts = "1790000000123") {
    return R"({"Version":1,"Type":"ApiCallAttempt","Service":"KMS","Api":"Decrypt","Timestamp":)" +
           ts + R"(,"Region":")" + region + R"(","HttpStatusCode":200,"XAmznRequestId":"r"})";
  };
  EXPECT_EQ(Parse(csm("us-east-1"), opt), ParseOutcome::kAccepted) << error_;
  EXPECT_EQ(Parse(csm("zz-made-1"), opt), ParseOutcome::kAccepted) << error_;
  EXPECT_EQ(Parse(csm("zz-made-2"), opt), ParseOutcome::kRejected);
  EXPECT_NE(error_.find("series bound reached: more than 2"), std::string::npos) << error_;
  // Series already admitted keep coming in; another month has its own bound.
  EXPECT_EQ(Parse(csm("us-east-1"), opt), ParseOutcome::kAccepted) << error_;
  EXPECT_EQ(Parse(csm("zz-made-2", "1760000000000"), opt), ParseOutcome::kAccepted) << error_;
  EXPECT_EQ(opt.series_limit->refused(), 1);
}

}  // namespace
}  // namespace recoup::ingest
