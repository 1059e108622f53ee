#include "recoup/health/health_event.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "recoup/core/time.h"

namespace recoup::health {
namespace {

namespace fs = std::filesystem;

fs::path TestData() {
  if (const char* env = std::getenv("RECOUP_TESTDATA"); env != nullptr && *env != '\0') return env;
  return RECOUP_TESTDATA_DEFAULT;
}

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream b;
  b << in.rdbuf();
  return b.str();
}

int64_t Ms(const char* iso) { return *ParseTimestampMs(iso); }

TEST(HealthEventTest, ParsesCloudCustodianRetirementEvent) {
  const std::string text =
      Read(TestData() / "health/cloud-custodian/eventbridge/event-phd-ec2-retire.json");
  ASSERT_FALSE(text.empty());
  auto e = ParseEventBridgeEvent(text);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->service, "EC2");
  EXPECT_EQ(e->event_type_code, "AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED");
  EXPECT_EQ(e->event_type_category, "scheduledChange");
  EXPECT_EQ(e->region, "us-east-1");
  EXPECT_EQ(e->start_ms, Ms("2018-11-01T22:00:00Z"));
  EXPECT_EQ(e->end_ms, Ms("2018-11-01T22:00:00Z"));
  EXPECT_EQ(e->status, "closed");  // no statusCode, but an end time
  EXPECT_NE(e->description.find("degradation of the underlying hardware"), std::string::npos);
  EXPECT_EQ(e->source, "eventbridge");
}

TEST(HealthEventTest, ParsesNewerFieldsAndAccountScope) {
  const std::string text =
      Read(TestData() / "health/aws-health-events-insight/MockHealthEvent.block1.json");
  auto e = ParseEventBridgeEvent(text);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->status, "upcoming");
  EXPECT_EQ(e->region, "us-west-2");
  EXPECT_EQ(e->last_updated_ms, Ms("2023-08-29T03:13:27Z"));
  EXPECT_EQ(e->end_ms, Ms("2023-08-29T04:30:00Z"));
  ASSERT_EQ(e->accounts.size(), 1u);
  EXPECT_EQ(e->accounts[0], "123456789012");
}

TEST(HealthEventTest, ParsesPutEventsEntriesArray) {
  const std::string text =
      Read(TestData() /
           "health/aws-health-tools/automated-actions/AWS_EBS_VOLUME_LOST/mock_payload.json");
  ParsedFile f = ParseEventFile(text, "mock_payload.json");
  ASSERT_EQ(f.events.size(), 1u) << (f.errors.empty() ? "" : f.errors[0]);
  EXPECT_EQ(f.events[0].event_type_code, "AWS_EBS_VOLUME_LOST");
  EXPECT_EQ(f.events[0].region, "ap-southeast-2");
  EXPECT_EQ(f.events[0].status, "open");
}

TEST(HealthEventTest, JsonLinesNameBadLinesAndKeepGoodOnes) {
  const std::string good =
      R"({"source":"aws.health","detail-type":"AWS Health Event","region":"eu-west-1",)"
      R"("detail":{"eventArn":"arn:aws:health:eu-west-1::event/KMS/AWS_KMS_OPERATIONAL_ISSUE/x1",)"
      R"("service":"KMS","eventTypeCode":"AWS_KMS_OPERATIONAL_ISSUE","eventTypeCategory":"issue",)"
      R"("startTime":"Mon, 5 Oct 2026 10:00:00 GMT"}})";
  const std::string text =
      good + "\n{not json\n\n" + R"({"source":"aws.ec2","detail":{}})" + "\n" + good + "\n";
  ParsedFile f = ParseEventFile(text, "events.jsonl");
  ASSERT_EQ(f.events.size(), 2u);
  ASSERT_EQ(f.errors.size(), 2u);
  EXPECT_EQ(f.errors[0].rfind("events.jsonl:2: ", 0), 0u) << f.errors[0];
  EXPECT_EQ(f.errors[1].rfind("events.jsonl:4: ", 0), 0u) << f.errors[1];
  EXPECT_EQ(f.events[0].end_ms, 0);
  EXPECT_EQ(f.events[0].status, "open");
}

TEST(HealthEventTest, ArrayElementErrorsNameTheirLine) {
  const std::string text =
      "[\n  {\"source\":\"aws.health\",\"detail\":{\"service\":\"KMS\"}},\n"
      "  {\"source\":\"aws.health\",\"detail\":{\"eventArn\":\"arn:aws:health:"
      "us-east-1::event/K/x\",\"service\":\"KMS\",\"eventTypeCode\":\"C\","
      "\"startTime\":\"2026-10-05T10:00:00Z\"}}\n]\n";
  ParsedFile f = ParseEventFile(text, "a.json");
  ASSERT_EQ(f.events.size(), 1u);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0], "a.json:2: detail.eventArn is missing");
}

TEST(HealthEventTest, DamagedDocumentNamesALine) {
  ParsedFile f = ParseEventFile("{\n \"a\": 1,\n \"b\": \n}\n", "d.json");
  EXPECT_TRUE(f.events.empty());
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].rfind("d.json:4: not JSON", 0), 0u) << f.errors[0];
}

TEST(HealthEventTest, OverlapTreatsOpenEventsAsOngoing) {
  health::HealthEvent e;
  e.start_ms = 1000;
  e.end_ms = 0;
  EXPECT_TRUE(Overlaps(e, 5000, 6000));
  EXPECT_FALSE(Overlaps(e, 0, 1000));
  e.end_ms = 2000;
  EXPECT_TRUE(Overlaps(e, 1999, 3000));
  EXPECT_FALSE(Overlaps(e, 2000, 3000));
}

TEST(HealthEventTest, FromApiEventDeduplicatesAccounts) {
  aws::HealthApiEvent a;
  a.arn = "arn:aws:health:us-east-1::event/KMS/AWS_KMS_OPERATIONAL_ISSUE/abc";
  a.service = "KMS";
  a.start_ms = 10;
  auto e = FromApiEvent(a, "d", {"2", "1", "2"}, "health-org-api");
  EXPECT_EQ(e.region, "us-east-1");
  EXPECT_EQ(e.accounts, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(e.last_updated_ms, 10);
}

}  // namespace
}  // namespace recoup::health

namespace recoup::health {
namespace {

// The validation layer applies to Health events: a Region, ARN or account
// that cannot be one is a rejected event naming the field.
TEST(HealthEventTest, HostileFieldsAreRejectedNamingTheField) {
  auto event = [](const std::string& region, const std::string& account) {
    return R"({"source":"aws.health","detail-type":"AWS Health Event","account":")" + account +
           R"(","region":"us-east-1","time":"2024-05-03T10:00:00Z","detail":{
      "eventArn":"arn:aws:health:us-east-1::event/KMS/AWS_KMS_OPERATIONAL_ISSUE/x",
      "service":"KMS","eventTypeCode":"AWS_KMS_OPERATIONAL_ISSUE","eventTypeCategory":"issue",
      "eventScopeCode":"ACCOUNT_SPECIFIC","eventRegion":")" +
           region + R"(","startTime":"Fri, 03 May 2024 10:00:00 GMT"}})";
  };
  auto ok = ParseEventBridgeEvent(event("us-east-1", "111122223333"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  auto bad_region = ParseEventBridgeEvent(event("/../../x", "111122223333"));
  ASSERT_FALSE(bad_region.ok());
  EXPECT_NE(bad_region.status().message().find("eventRegion: '/../../x'"), std::string::npos)
      << bad_region.status().message();
  auto bad_account = ParseEventBridgeEvent(event("us-east-1", "1111"));
  ASSERT_FALSE(bad_account.ok());
  EXPECT_NE(bad_account.status().message().find("account: '1111'"), std::string::npos)
      << bad_account.status().message();
  health::HealthEvent e = *ok;
  e.end_ms = e.start_ms - 1;
  EXPECT_FALSE(ValidateHealthEvent(e).ok());
  e = *ok;
  e.arn = "not-an-arn";
  EXPECT_FALSE(ValidateHealthEvent(e).ok());
}

}  // namespace
}  // namespace recoup::health
