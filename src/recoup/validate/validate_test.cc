#include "recoup/validate/validate.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace recoup::validate {
namespace {

using events::EventView;

// Both sides of every bound: each row is a value and whether it passes.
struct Case {
  std::string value;
  bool ok;
};

void ExpectCases(Status (*check)(std::string_view, std::string_view),
                 std::initializer_list<Case> cases) {
  for (const Case& c : cases) {
    const Status st = check("field", c.value);
    EXPECT_EQ(st.ok(), c.ok) << "'" << c.value << "': " << st.ToString();
    if (!st.ok()) {
      EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(st.message().rfind("field: ", 0), 0u) << st.message();
    }
  }
}

TEST(ValidateTest, AccountIdIsTwelveDigits) {
  ExpectCases(AccountId, {{"111122223333", true},
                          {"000000000000", true},
                          {"11112222333", false},
                          {"1111222233334", false},
                          {"", false},
                          {"11112222333a", false},
                          {"../../../../x", false},
                          {"１11122223333", false}});
}

TEST(ValidateTest, RegionFollowsAwsPattern) {
  ExpectCases(Region, {{"us-east-1", true},
                       {"eu-central-2", true},
                       {"ap-southeast-5", true},
                       {"us-gov-west-1", true},
                       {"us-isob-east-1", true},
                       {"cn-northwest-1", true},
                       {"mx-central-12", true},
                       {"us-east-123", false},
                       {"us-east", false},
                       {"useast1", false},
                       {"US-EAST-1", false},
                       {"u-east-1", false},
                       {"usa-east-1", false},
                       {"us-a-b-c-d-1", false},
                       {"us-a-b-c-1", true},
                       {"", false},
                       {"/../../../../elsewhere/x", false},
                       {"us-east-1\n", false},
                       {"us-east-1a", false}});
  // 32 bytes exactly passes, 33 does not.
  const std::string at_max = "us-" + std::string(27, 'a') + "-1";  // 32 bytes
  ASSERT_EQ(at_max.size(), kMaxRegionLength);
  EXPECT_TRUE(Region("r", at_max).ok());
  EXPECT_FALSE(Region("r", "us-" + std::string(28, 'a') + "-1").ok());
}

TEST(ValidateTest, AvailabilityZoneNamesAndIds) {
  ExpectCases(AvailabilityZone, {{"us-east-1a", true},
                                 {"us-west-2-lax-1a", true},
                                 {"use1-az1", true},
                                 {"euc1-az3", true},
                                 {"us-east-1", false},
                                 {"us-east-1ab", false},
                                 {"use1-az", false},
                                 {"use1az1", false},
                                 {"", false}});
}

TEST(ValidateTest, ServiceMustBeInTheCatalog) {
  auto catalog = sla::Catalog::Default();
  EXPECT_TRUE(Service("service", "kms", *catalog).ok());
  EXPECT_FALSE(Service("service", "KMS", *catalog).ok());
  EXPECT_FALSE(Service("service", "", *catalog).ok());
  EXPECT_FALSE(Service("service", "madeup", *catalog).ok());
  EXPECT_FALSE(Service("service", std::string(65, 'k'), *catalog).ok());
}

TEST(ValidateTest, RequestIdIsPrintableAndBounded) {
  ExpectCases(RequestId, {{"6b0f5e1a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", true},
                          {"otel:0123abcd/89ef", true},
                          {"x", true},
                          {std::string(256, 'a'), true},
                          {std::string(257, 'a'), false},
                          {"", false},
                          {"has space", false},
                          {"quote\"d", false},
                          {"tab\t", false},
                          {"\x1b[31m", false},
                          {"caf\xc3\xa9", false}});
}

TEST(ValidateTest, ArnHasItsSixParts) {
  ExpectCases(Arn, {{"arn:aws:kms:us-east-1:111122223333:key/1234abcd", true},
                    {"arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/x", true},
                    {"arn:aws:s3:::bucket/key", true},
                    {"arn:aws:iam::111122223333:role/r", true},
                    {"arn:aws:kms:us-east-1:111122223333:", false},
                    {"arn:aws:kms:us-east-1:11112222333:key/x", false},
                    {"arn:aws:kms:/../../x:111122223333:key/x", false},
                    {"arn:evil:kms:us-east-1:111122223333:key/x", false},
                    {"arn:aws:kms:us-east-1", false},
                    {"arn:aws:kms:us-east-1:111122223333:key/\x07", false},
                    {"key/1234", false}});
  EXPECT_FALSE(Arn("a", "arn:aws:s3:::" + std::string(2048, 'b')).ok());
}

TEST(ValidateTest, TimeWithinTheSlaHistoryAndClockSkew) {
  auto catalog = sla::Catalog::Default();
  const int64_t now = *ParseTimestampMs("2026-12-07T16:00:00Z");
  const TimeBounds b = TimeBounds::For(*catalog, now);
  // The earliest version in the catalog is Lambda's (2018-10-01, its date
  // marked unverified); each service is held to its own: KMS's first SLA
  // took effect on 2019-01-16.
  EXPECT_EQ(b.earliest_ms, *ParseTimestampMs("2018-10-01T00:00:00Z"));
  EXPECT_EQ(b.EarliestFor("kms"), *ParseTimestampMs("2019-01-16T00:00:00Z"));
  EXPECT_EQ(b.EarliestFor("lambda"), *ParseTimestampMs("2018-10-01T00:00:00Z"));
  EXPECT_EQ(b.EarliestFor("no-such-service"), b.earliest_ms);
  EXPECT_EQ(b.latest_ms, now + kClockSkewMs);
  EXPECT_TRUE(Time("t", b.earliest_ms, b).ok());
  EXPECT_FALSE(Time("t", b.earliest_ms - 1, b).ok());
  EXPECT_TRUE(Time("t", now + kClockSkewMs, b).ok());
  EXPECT_FALSE(Time("t", now + kClockSkewMs + 1, b).ok());
  for (int64_t hostile :
       {int64_t{1} << 62, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
        int64_t{-1}, *ParseTimestampMs("9999-12-31T23:59:59Z")}) {
    const Status st = Time("Timestamp", hostile, b);
    EXPECT_FALSE(st.ok()) << hostile;
    EXPECT_EQ(st.message().rfind("Timestamp: ", 0), 0u) << st.message();
  }
  // Skew never overflows.
  const TimeBounds far = TimeBounds::For(*catalog, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(far.latest_ms, std::numeric_limits<int64_t>::max());
}

TEST(ValidateTest, IntInRangeIsInclusive) {
  EXPECT_TRUE(IntInRange("n", 100, 100, 999).ok());
  EXPECT_TRUE(IntInRange("n", 999, 100, 999).ok());
  EXPECT_FALSE(IntInRange("n", 99, 100, 999).ok());
  EXPECT_FALSE(IntInRange("n", 1000, 100, 999).ok());
  EXPECT_EQ(IntInRange("HttpStatusCode", -5, 100, 999).message(),
            "HttpStatusCode: -5 is outside 100..999");
}

TEST(ValidateTest, TextIsBoundedUtf8WithoutControls) {
  EXPECT_TRUE(Text("t", "Decrypt", 7).ok());
  EXPECT_FALSE(Text("t", "Decrypts", 7).ok());
  EXPECT_TRUE(Text("t", "", 0).ok());
  EXPECT_TRUE(Text("t", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 64).ok());
  for (std::string_view bad :
       {std::string_view("a\x1b[2Jb"), std::string_view("bell\x07"), std::string_view("nul\0x", 5),
        std::string_view("del\x7f"), std::string_view("c1\xc2\x85"), std::string_view("\xff"),
        std::string_view("\xc0\xaf"), std::string_view("\xed\xa0\x80"),
        std::string_view("\xf4\x90\x80\x80"), std::string_view("trunc\xe2\x82")}) {
    EXPECT_FALSE(Text("t", bad, 64).ok()) << bad;
  }
}

TEST(ValidateTest, FileNameComponentRefusesTraversal) {
  ExpectCases(FileNameComponent, {{"111122223333-us-east-1-kms-2026-10", true},
                                  {"a", true},
                                  {std::string(128, 'a'), true},
                                  {std::string(129, 'a'), false},
                                  {"", false},
                                  {".", false},
                                  {"..", false},
                                  {".hidden", false},
                                  {"-rf", false},
                                  {"a/b", false},
                                  {"111122223333-/../../../../elsewhere/x-kms-2026-10", false},
                                  {"a\\b", false},
                                  {"a b", false}});
}

TEST(ValidateTest, PathInsideItsRoot) {
  EXPECT_TRUE(PathInside("/tmp/out", "/tmp/out/c/attachments/x.csv"));
  EXPECT_TRUE(PathInside("/tmp/out/", "/tmp/out/c"));
  EXPECT_TRUE(PathInside("/tmp/out", "/tmp/out/a/../b"));
  EXPECT_FALSE(PathInside("/tmp/out", "/tmp/out/../elsewhere/x"));
  EXPECT_FALSE(PathInside("/tmp/out", "/tmp/outside"));
  EXPECT_FALSE(PathInside("/tmp/out", "/etc/passwd"));
  EXPECT_FALSE(PathInside("/tmp/out", "/tmp/out/111-/../../../../elsewhere/x-kms/manifest.json"));
  EXPECT_TRUE(PathInside("rel", "rel/x"));
  EXPECT_FALSE(PathInside("rel", "rel/../x"));
  EXPECT_FALSE(ContainedPath("/tmp/out", "/tmp/x").ok());
}

TEST(ValidateTest, EventFieldsNameTheFailingField) {
  auto catalog = sla::Catalog::Default();
  const int64_t now = *ParseTimestampMs("2026-12-07T16:00:00Z");
  const TimeBounds b = TimeBounds::For(*catalog, now);
  EventView e;
  e.time_ms = *ParseTimestampMs("2026-11-03T10:00:00Z");
  e.account = "111122223333";
  e.region = "us-east-1";
  e.service = "kms";
  e.operation = "Decrypt";
  e.error_code = "KMSInternalException";
  e.request_id = "6b0f5e1a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
  e.resource = "arn:aws:kms:us-east-1:111122223333:key/1234";
  e.http_status = 500;
  e.latency_ms = 12;
  FieldNames names;
  names.region = "awsRegion";
  names.time = "eventTime";
  names.request_id = "requestID";
  ASSERT_TRUE(EventFields(e, names, b, *catalog).ok());

  auto fails_on = [&](EventView bad, const std::string& prefix) {
    const Status st = EventFields(bad, names, b, *catalog);
    EXPECT_FALSE(st.ok()) << prefix;
    EXPECT_EQ(st.message().rfind(prefix, 0), 0u) << st.message();
  };
  EventView v = e;
  v.region = "/../../../../elsewhere/x";
  fails_on(v, "awsRegion: ");
  v = e;
  v.time_ms = int64_t{1} << 62;
  fails_on(v, "eventTime: ");
  // Each service within its own SLA's history: a KMS call on 2019-01-01
  // predates KMS's first SLA (2019-01-16); a Lambda call then does not.
  v = e;
  v.time_ms = *ParseTimestampMs("2019-01-01T00:00:00Z");
  fails_on(v, "eventTime: ");
  EXPECT_NE(EventFields(v, names, b, *catalog).message().find("earliest kms SLA"),
            std::string::npos);
  v.service = "lambda";
  v.error_code = "ServiceException";
  EXPECT_TRUE(EventFields(v, names, b, *catalog).ok());
  v = e;
  v.account = "1";
  fails_on(v, "account: ");
  v = e;
  v.request_id = "a b";
  fails_on(v, "requestID: ");
  v = e;
  v.http_status = 1000;
  fails_on(v, "http_status: ");
  v = e;
  v.latency_ms = kMaxLatencyMs + 1;
  fails_on(v, "latency_ms: ");
  v = e;
  v.resource = "arn:bad";
  fails_on(v, "resource: ");
  v = e;
  v.operation = "Decrypt\x1b";
  fails_on(v, "operation: ");
  // No answer: an empty request ID, status and latency unknown.
  v = e;
  v.request_id = {};
  v.http_status = 0;
  v.latency_ms = -1;
  v.resource = "1234abcd";
  EXPECT_TRUE(EventFields(v, names, b, *catalog).ok());
}

}  // namespace
}  // namespace recoup::validate
