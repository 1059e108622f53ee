#include "recoup/ingest/record_stream.h"

#include <gtest/gtest.h>

#include <cstring>

namespace recoup::ingest {
namespace {

// Hands out at most `step` bytes per read, to hit every buffer boundary.
class Trickle final : public io::ByteSource {
 public:
  Trickle(std::string data, size_t step) : data_(std::move(data)), step_(step) {}
  Result<size_t> Read(char* buf, size_t n) override {
    const size_t k = std::min({n, step_, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t step_;
  size_t pos_ = 0;
};

struct Out {
  std::vector<std::string> records;
  std::vector<int64_t> lines;
  std::vector<std::string> errors;
};

Out Split(const std::string& input, size_t step = 1 << 20, size_t max_record = 1 << 20) {
  Out out;
  Trickle src(input, step);
  RecordStream rs(
      &src, "f.json", [&](const std::string& m) { out.errors.push_back(m); }, max_record);
  RawRecord r;
  for (;;) {
    auto more = rs.Next(&r);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) break;
    EXPECT_GE(r.capacity, r.json.size() + 64);
    out.records.emplace_back(r.json);
    out.lines.push_back(r.line);
  }
  return out;
}

TEST(RecordStreamTest, CloudTrailLogFileYieldsEachRecord) {
  const std::string in = R"({"Records":[{"a":1,"s":"x}]"},{"b":{"c":[1,2]}} , {"d":"\"}"}]})";
  for (size_t step : {1u, 2u, 3u, 5u, 1024u}) {
    Out o = Split(in, step);
    ASSERT_EQ(o.records.size(), 3u) << step;
    EXPECT_EQ(o.records[0], R"({"a":1,"s":"x}]"})");
    EXPECT_EQ(o.records[1], R"({"b":{"c":[1,2]}})");
    EXPECT_EQ(o.records[2], R"({"d":"\"}"})");
    EXPECT_TRUE(o.errors.empty());
  }
}

TEST(RecordStreamTest, WrapperKeysBeforeAndAfterTheArrayAreSkipped) {
  Out o = Split(R"({"NextToken":"abc","Events":[{"x":1}],"Other":{"Records":[{"no":1}]}})"
                "\n{\"Records\":[{\"y\":2}]}");
  ASSERT_EQ(o.records.size(), 2u);
  EXPECT_EQ(o.records[0], R"({"x":1})");
  EXPECT_EQ(o.records[1], R"({"y":2})");
}

TEST(RecordStreamTest, JsonLinesAndTopLevelArrays) {
  Out o = Split("{\"a\":1}\n{\"b\":2}\r\n\n[{\"c\":3},{\"d\":4}]\n");
  ASSERT_EQ(o.records.size(), 4u);
  EXPECT_EQ(o.lines[1], 2);
  EXPECT_EQ(o.records[3], R"({"d":4})");
}

TEST(RecordStreamTest, APrettyPrintedSingleRecordIsOneRecord) {
  Out o = Split("{\n  \"eventTime\": \"2021-01-01T00:00:00Z\",\n  \"x\": {\n  }\n}\n");
  ASSERT_EQ(o.records.size(), 1u);
  EXPECT_EQ(o.lines[0], 1);
}

TEST(RecordStreamTest, BrokenJsonLineDoesNotSwallowTheNext) {
  Out o = Split("{\"a\":1}\n{\"b\":\"unterminated}\n{\"c\":3}\n{\"d\":{\n{\"e\":5}\n");
  ASSERT_EQ(o.records.size(), 3u);
  EXPECT_EQ(o.records[1], R"({"c":3})");
  EXPECT_EQ(o.records[2], R"({"e":5})");
  ASSERT_EQ(o.errors.size(), 2u);
  EXPECT_NE(o.errors[0].find("f.json:2:"), std::string::npos) << o.errors[0];
  EXPECT_NE(o.errors[1].find("f.json:4:"), std::string::npos) << o.errors[1];
}

TEST(RecordStreamTest, GarbageBetweenRecordsIsReportedAndSkipped) {
  // As in the AWS docs example "... additional entries ..." inside the array.
  Out o = Split(
      "{\"Records\": [\n{\"a\":1},\n... additional entries ...\n{\"b\":2}\n]}\n"
      "not json at all\n{\"c\":3}");
  ASSERT_EQ(o.records.size(), 3u);
  ASSERT_EQ(o.errors.size(), 2u);
  EXPECT_NE(o.errors[0].find("f.json:3:"), std::string::npos) << o.errors[0];
  EXPECT_NE(o.errors[1].find("f.json:6:"), std::string::npos) << o.errors[1];
}

TEST(RecordStreamTest, OversizeRecordsAreSkippedWithBoundedMemory) {
  std::string big =
      "{\"Records\":[{\"a\":1},{\"huge\":\"" + std::string(5000, 'x') + "\"},{\"b\":2}]}";
  Out o = Split(big, 100, 1000);
  ASSERT_EQ(o.records.size(), 2u);
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_NE(o.errors[0].find("larger than"), std::string::npos);
}

TEST(RecordStreamTest, TruncatedInputReportsTheOpenRecord) {
  Out o = Split("{\"Records\":[{\"a\":1},{\"b\":");
  ASSERT_EQ(o.records.size(), 1u);
  EXPECT_FALSE(o.errors.empty());
}

TEST(RecordStreamTest, EmptyAndWhitespaceInputs) {
  EXPECT_TRUE(Split("").records.empty());
  EXPECT_TRUE(Split("  \n\t ").records.empty());
  EXPECT_TRUE(Split("{\"Records\":[]}").records.empty());
}

}  // namespace
}  // namespace recoup::ingest
