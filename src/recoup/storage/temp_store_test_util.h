// For tests: a fresh SQLite store in a temporary folder of the test's own,
// removed afterwards. `store_` is one handle; OpenStore() gives more (as a
// second process or thread would have).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "recoup/storage/store.h"

namespace recoup::storage {

class TempStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("recoup-" + std::string(info->test_suite_name()) + "-" + info->name() + "-" +
            std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_path_ = (dir_ / "recoup.db").string();
    store_ = OpenStore();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<Store> OpenStore() {
    auto s = OpenSqliteStore(store_path_);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // Writes `text` to `name` under the test's folder; returns its path.
  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::filesystem::path p = dir_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  std::filesystem::path dir_;
  std::string store_path_;
  std::unique_ptr<Store> store_;
};

}  // namespace recoup::storage
