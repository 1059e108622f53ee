// The health service's import: good events stored once, bad records and
// unreadable files named, the rest kept.
#include "recoup/health/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "recoup/storage/temp_store_test_util.h"

namespace recoup::health {
namespace {

namespace fs = std::filesystem;

std::string Event(const std::string& id, const std::string& updated) {
  return R"({"source":"aws.health","detail-type":"AWS Health Event","region":"eu-west-1",)"
         R"("detail":{"eventArn":"arn:aws:health:eu-west-1::event/KMS/AWS_KMS_OPERATIONAL_ISSUE/)" +
         id +
         R"(","service":"KMS","eventTypeCode":"AWS_KMS_OPERATIONAL_ISSUE",)"
         R"("eventTypeCategory":"issue","startTime":"Mon, 5 Oct 2026 10:00:00 GMT",)"
         R"("lastUpdatedTime":")" +
         updated + R"("}})";
}

using HealthServiceTest = storage::TempStoreTest;

TEST_F(HealthServiceTest, ImportKeepsGoodEventsAndNamesTheRest) {
  const std::string a =
      WriteFile("a.jsonl", Event("x1", "Mon, 5 Oct 2026 10:05:00 GMT") + "\n{broken\n" +
                               Event("x2", "Mon, 5 Oct 2026 10:06:00 GMT") + "\n");
  const std::string missing = (dir_ / "missing.json").string();
  auto r = ImportFiles(*store_, {a, missing});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->events, 2);
  EXPECT_EQ(r->changed, 2);
  EXPECT_EQ(r->bad_records, 1);
  EXPECT_EQ(r->unreadable_files, 1);
  ASSERT_EQ(r->errors.size(), 2u);
  EXPECT_EQ(r->errors[0].rfind(a + ":2: ", 0), 0u) << r->errors[0];
  EXPECT_NE(r->errors[1].find("missing.json"), std::string::npos) << r->errors[1];
  auto listed = store_->ListHealthEvents({});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
}

TEST_F(HealthServiceTest, ImportingTheSameEventsAgainChangesNothing) {
  const std::string a = WriteFile("a.json", Event("x1", "Mon, 5 Oct 2026 10:05:00 GMT"));
  ASSERT_TRUE(ImportFiles(*store_, {a}).ok());
  auto again = ImportFiles(*store_, {a});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->events, 1);
  EXPECT_EQ(again->changed, 0);
  // An older update of the same event changes nothing either; a newer one does.
  const std::string older = WriteFile("older.json", Event("x1", "Mon, 5 Oct 2026 10:01:00 GMT"));
  EXPECT_EQ(ImportFiles(*store_, {older})->changed, 0);
  const std::string newer = WriteFile("newer.json", Event("x1", "Mon, 5 Oct 2026 11:00:00 GMT"));
  EXPECT_EQ(ImportFiles(*store_, {newer})->changed, 1);
}

}  // namespace
}  // namespace recoup::health
