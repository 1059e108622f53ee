// The "health" section of the SQLite store: one row per ARN, newer updates
// win, overlap filtering.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "recoup/health/health_event.h"
#include "recoup/storage/store.h"

namespace recoup::health {
namespace {

namespace fs = std::filesystem;

class HealthStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("recoup-health-store-" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    auto s = storage::OpenSqliteStore((dir_ / "s.db").string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  static health::HealthEvent Event(const std::string& arn, int64_t start, int64_t end,
                                   int64_t updated) {
    health::HealthEvent e;
    e.arn = arn;
    e.service = "KMS";
    e.event_type_code = "AWS_KMS_OPERATIONAL_ISSUE";
    e.event_type_category = "issue";
    e.region = "us-east-1";
    e.status = end == 0 ? "open" : "closed";
    e.start_ms = start;
    e.end_ms = end;
    e.last_updated_ms = updated;
    e.source = "eventbridge";
    return e;
  }

  fs::path dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(HealthStoreTest, NewerUpdateWinsOlderChangesNothing) {
  auto open = Event("arn:1", 1000, 0, 1000);
  open.description = "investigating";
  open.accounts = {"111111111111", "222222222222"};
  ASSERT_TRUE(*store_->PutHealthEvent(open));
  EXPECT_FALSE(*store_->PutHealthEvent(open));  // the same again
  auto closed = Event("arn:1", 1000, 5000, 6000);
  ASSERT_TRUE(*store_->PutHealthEvent(closed));
  auto stale = Event("arn:1", 1000, 0, 2000);
  EXPECT_FALSE(*store_->PutHealthEvent(stale));
  auto all = store_->ListHealthEvents({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  const auto& e = (*all)[0];
  EXPECT_EQ(e.status, "closed");
  EXPECT_EQ(e.end_ms, 5000);
  EXPECT_EQ(e.last_updated_ms, 6000);
  // An update without description or accounts keeps the known ones.
  EXPECT_EQ(e.description, "investigating");
  EXPECT_EQ(e.accounts, (std::vector<std::string>{"111111111111", "222222222222"}));
  EXPECT_EQ(store_->PutHealthEvent(Event("", 1, 2, 3)).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(HealthStoreTest, FiltersByOverlapRegionAndService) {
  ASSERT_TRUE(store_->PutHealthEvent(Event("arn:a", 1000, 2000, 2000)).ok());
  ASSERT_TRUE(store_->PutHealthEvent(Event("arn:b", 3000, 0, 3000)).ok());
  auto other = Event("arn:c", 1000, 2000, 2000);
  other.region = "eu-west-1";
  ASSERT_TRUE(store_->PutHealthEvent(other).ok());
  storage::HealthEventFilter f;
  f.start_ms = 2000;
  f.end_ms = 10000;
  auto r = store_->ListHealthEvents(f);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);  // arn:a ended at 2000 (exclusive); arn:b is still open
  EXPECT_EQ((*r)[0].arn, "arn:b");
  f = {};
  f.region = "eu-west-1";
  EXPECT_EQ(store_->ListHealthEvents(f)->size(), 1u);
  f = {};
  f.service = "kms";  // Health says "KMS"; compared without case
  EXPECT_EQ(store_->ListHealthEvents(f)->size(), 3u);
  f.start_ms = 0;
  f.end_ms = 1000;
  EXPECT_EQ(store_->ListHealthEvents(f)->size(), 0u);
}

}  // namespace
}  // namespace recoup::health
