// The ingest service end to end on real files and a real store: counts are
// those committed, a re-run adds nothing, a file with no usable record is
// left out of the ledger so a corrected run reads it.
#include "recoup/ingest/pipeline.h"

#include <gtest/gtest.h>

#include <string>

#include "recoup/storage/temp_store_test_util.h"

namespace recoup::ingest {
namespace {

std::string Record(const std::string& id, const std::string& time, const char* error) {
  std::string r = R"({"eventTime":")" + time +
                  R"(","eventSource":"kms.amazonaws.com","eventName":"Decrypt",)"
                  R"("awsRegion":"us-east-1","recipientAccountId":"111122223333",)"
                  R"("eventType":"AwsApiCall","requestID":")" +
                  id + "\"";
  if (error != nullptr) r += std::string(R"(,"errorCode":")") + error + "\"";
  return r + "}";
}

class PipelineTest : public storage::TempStoreTest {
 protected:
  void Write(const std::string& name, const std::string& text) { WriteFile("logs/" + name, text); }
  Result<IngestSummary> Run(ParserOptions parser = {}) {
    IngestOptions opt;
    opt.paths = {(dir_ / "logs").string()};
    opt.parser = parser;
    opt.threads = 2;
    opt.store_path = store_path_;
    opt.clock = &clock_;
    return RunIngest(*store_, sla::Catalog::Default(), opt);
  }

  FakeClock clock_{1'792'000'000'000};
};

TEST_F(PipelineTest, CountsWhatItCommitsAndARerunAddsNothing) {
  Write("a.json", "{\"Records\":[" + Record("r1", "2026-10-01T00:01:00Z", nullptr) + "," +
                      Record("r2", "2026-10-01T00:02:00Z", "KMSInternalException") + "]}");
  Write("b.json", "{\"Records\":[" + Record("r3", "2026-10-01T00:03:00Z", nullptr) + "," +
                      Record("r2", "2026-10-01T00:02:00Z", "KMSInternalException") + "," +
                      Record("r4", "2026-10-01T00:04:00Z", "ThrottlingException") + "]}");
  auto first = Run();
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->files, 2);
  EXPECT_EQ(first->files_ingested, 2);
  EXPECT_EQ(first->records, 5);
  EXPECT_EQ(first->accepted, 5);
  EXPECT_EQ(first->new_failures, 1);  // r2, seen twice, is one failing request
  EXPECT_EQ(first->duplicates, 1);
  EXPECT_EQ(first->seconds, 0.0);  // on the fake clock, no time passed
  auto totals = store_->Totals();
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->files, 2);
  EXPECT_EQ(totals->failures, 1);

  auto again = Run();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->files_ingested, 0);
  EXPECT_EQ(again->files_already, 2);
  EXPECT_EQ(again->records, 0);
  EXPECT_EQ(store_->Totals()->files, 2);
}

TEST_F(PipelineTest, AFileWithNoUsableRecordStaysOutOfTheLedger) {
  // CSM datagrams need an account: without --account every one is rejected.
  Write("app.csm.jsonl",
        R"({"Version":1,"ClientId":"app","Type":"ApiCallAttempt","Service":"KMS",)"
        R"("Api":"Decrypt","Timestamp":1790000000000,"AttemptLatency":12,)"
        R"("Fqdn":"kms.us-east-1.amazonaws.com","Region":"us-east-1","HttpStatusCode":200,)"
        R"("XAmznRequestId":"c1"})"
        "\n");
  ParserOptions csm;
  csm.format = InputFormat::kCsm;
  auto r = Run(csm);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->files_not_recorded, 1);
  EXPECT_EQ(r->accepted, 0);
  EXPECT_GT(r->rejected, 0);
  EXPECT_EQ(store_->Totals()->files, 0);
  ASSERT_FALSE(r->messages.empty());
  // Corrected, the same file is read.
  csm.default_account = "111122223333";
  auto fixed = Run(csm);
  ASSERT_TRUE(fixed.ok()) << fixed.status().message();
  EXPECT_EQ(fixed->files_ingested, 1);
  EXPECT_EQ(fixed->accepted, 1);
}

TEST_F(PipelineTest, AnS3UrlWithoutS3AccessIsRefused) {
  IngestOptions opt;
  opt.paths = {"s3://bucket/prefix/"};
  opt.store_path = store_path_;
  auto r = RunIngest(*store_, sla::Catalog::Default(), opt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "s3://bucket/prefix/: S3 access is not configured");
}

}  // namespace
}  // namespace recoup::ingest
