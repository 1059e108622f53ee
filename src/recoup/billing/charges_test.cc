#include "recoup/billing/charges.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "recoup/storage/temp_store_test_util.h"

namespace recoup::billing {
namespace {

namespace fs = std::filesystem;

Rational Dec(const char* s) { return *ParseDecimal(s); }

using ChargesTest = storage::TempStoreTest;

TEST_F(ChargesTest, CurImportStoresOneChargePerRegionAndMonthButNotRegionlessTax) {
  // By hand: us-east-1 0.10 + 2.25 = 2.35; eu-west-1 1.00; the Region-less
  // tax line is no credit base.
  const std::string cur =
      WriteFile("cur.csv",
                "lineItem/UsageAccountId,lineItem/ProductCode,lineItem/LineItemType,"
                "lineItem/UnblendedCost,bill/BillingPeriodStartDate,product/region\n"
                "111122223333,awskms,Usage,0.10,2026-10-01T00:00:00Z,us-east-1\n"
                "111122223333,awskms,Usage,2.25,2026-10-01T00:00:00Z,us-east-1\n"
                "111122223333,awskms,Usage,1.00,2026-10-01T00:00:00Z,eu-west-1\n"
                "111122223333,awskms,Tax,0.50,2026-10-01T00:00:00Z,\n");
  auto service = ServiceForProductCode(*sla::Catalog::Default(), "awskms");
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(*service, "kms");
  auto r = ImportCurFiles(*store_, {cur}, "awskms", *service);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->rows, 4);
  EXPECT_EQ(r->rejected_rows, 0);
  ASSERT_EQ(r->stored.size(), 2u);
  auto east = store_->GetCharge("111122223333", "us-east-1", "kms", YearMonth{2026, 10});
  ASSERT_TRUE(east.ok() && east->has_value());
  EXPECT_EQ((*east)->amount, Dec("2.35"));
  EXPECT_EQ((*east)->origin, "cur");
  EXPECT_EQ((*east)->source, cur);
  auto west = store_->GetCharge("111122223333", "eu-west-1", "kms", YearMonth{2026, 10});
  ASSERT_TRUE(west.ok() && west->has_value());
  EXPECT_EQ((*west)->amount, Dec("1"));
  // Imported again: the same two charges, not four.
  ASSERT_TRUE(ImportCurFiles(*store_, {cur}, "awskms", *service).ok());
  auto all = store_->ListCharges({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_F(ChargesTest, OnePassImportsEveryServiceOfTheCatalog) {
  // By hand: DynamoDB us-east-1 12.00 + 0.40 = 12.40; Lambda us-east-1 3.00;
  // S3 us-east-1 7.25; KMS us-east-1 1.00; EC2 is not in the catalog.
  const std::string cur =
      WriteFile("all.csv",
                "line_item_usage_account_id,line_item_product_code,line_item_line_item_type,"
                "line_item_unblended_cost,bill_billing_period_start_date,product_region_code\n"
                "111122223333,AmazonDynamoDB,Usage,12.00,2025-10-01T00:00:00Z,us-east-1\n"
                "111122223333,AmazonDynamoDB,Usage,0.40,2025-10-01T00:00:00Z,us-east-1\n"
                "111122223333,AWSLambda,Usage,3.00,2025-10-01T00:00:00Z,us-east-1\n"
                "111122223333,AmazonS3,Usage,7.25,2025-10-01T00:00:00Z,us-east-1\n"
                "111122223333,awskms,Usage,1.00,2025-10-01T00:00:00Z,us-east-1\n"
                "111122223333,AmazonEC2,Usage,99.00,2025-10-01T00:00:00Z,us-east-1\n");
  auto products = ProductsToImport(*sla::Catalog::Default(), "", "");
  ASSERT_TRUE(products.ok());
  // Every service once, and S3's Infrequent-Access-like classes split out.
  EXPECT_EQ(products->size(), sla::Catalog::Default()->services().size() + 1);
  auto r = ImportCurFiles(*store_, {cur}, *products);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->rows, 6);
  EXPECT_EQ(r->stored.size(), 4u);
  const YearMonth oct{2025, 10};
  auto get = [&](const char* service) {
    auto c = store_->GetCharge("111122223333", "us-east-1", service, oct);
    EXPECT_TRUE(c.ok() && c->has_value()) << service;
    return c.ok() && c->has_value() ? (*c)->amount : Rational(-1);
  };
  EXPECT_EQ(get("dynamodb"), Dec("12.40"));
  EXPECT_EQ(get("lambda"), Dec("3"));
  EXPECT_EQ(get("s3"), Dec("7.25"));
  EXPECT_EQ(get("kms"), Dec("1"));
  // One service by any of its names; unknown names are refused by flag.
  auto one = ProductsToImport(*sla::Catalog::Default(), "", "DynamoDB");
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].product_code, "AmazonDynamoDB");
  auto bad = ProductsToImport(*sla::Catalog::Default(), "", "ec2");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--service: 'ec2'"), std::string::npos);
  auto clash = ProductsToImport(*sla::Catalog::Default(), "AmazonS3", "lambda");
  EXPECT_FALSE(clash.ok());
}

TEST_F(ChargesTest, S3ChargesSplitByStorageClassWhereTheCurSaysSo) {
  // By hand: Standard-like 10.00 + 2.50 = 12.50 (the request row has no
  // class part); Infrequent-Access-like 4.00 (SIA) + 1.25 (INT) + 0.75 (GIR)
  // = 6.00. "SIAX" is no class part; "MYSIA" neither.
  const std::string cur = WriteFile(
      "s3.csv",
      "lineItem/UsageAccountId,lineItem/LineItemType,lineItem/ProductCode,product/region,"
      "lineItem/UsageType,lineItem/UnblendedCost,bill/BillingPeriodStartDate\n"
      "111122223333,Usage,AmazonS3,us-east-1,USE1-TimedStorage-ByteHrs,10.00,2025-10-01T00:00:00Z\n"
      "111122223333,Usage,AmazonS3,us-east-1,USE1-Requests-SIAX,2.50,2025-10-01T00:00:00Z\n"
      "111122223333,Usage,AmazonS3,us-east-1,USE1-TimedStorage-SIA-ByteHrs,4.00,2025-10-01T00:00:"
      "00Z\n"
      "111122223333,Usage,AmazonS3,us-east-1,USE1-Requests-INT-Tier1,1.25,2025-10-01T00:00:00Z\n"
      "111122223333,Usage,AmazonS3,us-east-1,USE1-TimedStorage-GIR-ByteHrs,0.75,2025-10-01T00:00:"
      "00Z\n");
  auto products = ProductsToImport(*sla::Catalog::Default(), "", "s3");
  ASSERT_TRUE(products.ok());
  ASSERT_EQ(products->size(), 2u);
  EXPECT_EQ((*products)[1].product_code, "AmazonS3#infrequent_access");
  EXPECT_EQ((*products)[1].service, "s3.infrequent_access");
  auto r = ImportCurFiles(*store_, {cur}, *products);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->stored.size(), 2u);
  const YearMonth oct{2025, 10};
  auto standard = store_->GetCharge("111122223333", "us-east-1", "s3", oct);
  ASSERT_TRUE(standard.ok() && standard->has_value());
  EXPECT_EQ((*standard)->amount, Dec("12.50"));
  auto ia = store_->GetCharge("111122223333", "us-east-1", "s3.infrequent_access", oct);
  ASSERT_TRUE(ia.ok() && ia->has_value());
  EXPECT_EQ((*ia)->amount, Dec("6.00"));
  // The sub-scope alone reads its split only.
  auto only = ProductsToImport(*sla::Catalog::Default(), "", "s3.infrequent_access");
  ASSERT_TRUE(only.ok());
  ASSERT_EQ(only->size(), 1u);
  EXPECT_EQ((*only)[0].service, "s3.infrequent_access");
  // DynamoDB's Global Tables are not told apart by the bill: billing set.
  auto gt = ProductsToImport(*sla::Catalog::Default(), "", "dynamodb.global_tables");
  ASSERT_FALSE(gt.ok());
  EXPECT_NE(gt.status().message().find("billing set --service dynamodb.global_tables"),
            std::string::npos);
}

TEST_F(ChargesTest, AnUnreadableCurFileStopsTheImportWithItsName) {
  auto r = ImportCurFiles(*store_, {(dir_ / "missing.csv").string()}, "awskms", "kms");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("missing.csv"), std::string::npos) << r.status().message();
}

TEST_F(ChargesTest, AProductCodeNoServiceHasIsRefused) {
  auto r = ServiceForProductCode(*sla::Catalog::Default(), "AmazonEC2");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("--product-code: 'AmazonEC2'"), std::string::npos);
}

TEST_F(ChargesTest, AManualChargeWinsOverTheCurAndIsValidatedFirst) {
  const YearMonth oct{2026, 10};
  auto bad_amount = ManualCharge("111122223333", "us-east-1", "kms", oct, "-1", "");
  ASSERT_FALSE(bad_amount.ok());
  EXPECT_EQ(bad_amount.status().message(), "--amount: must not be negative");
  auto not_decimal = ManualCharge("111122223333", "us-east-1", "kms", oct, "1e3", "");
  ASSERT_FALSE(not_decimal.ok());
  EXPECT_EQ(not_decimal.status().message().rfind("--amount", 0), 0u);
  auto bad_account = ManualCharge("12345", "us-east-1", "kms", oct, "10", "");
  ASSERT_FALSE(bad_account.ok());
  EXPECT_EQ(bad_account.status().message(), "--account: '12345' is not a 12-digit AWS account ID");

  billing::ChargeRecord cur;
  cur.account = "111122223333";
  cur.region = "us-east-1";
  cur.service = "kms";
  cur.month = oct;
  cur.origin = "cur";
  cur.amount = Dec("5");
  ASSERT_TRUE(store_->PutCharge(cur).ok());
  auto manual = ManualCharge("111122223333", "us-east-1", "kms", oct, "412.37", "invoice 7");
  ASSERT_TRUE(manual.ok());
  EXPECT_EQ(manual->origin, "manual");
  EXPECT_EQ(manual->source, "invoice 7");
  ASSERT_TRUE(store_->PutCharge(*manual).ok());
  auto got = store_->GetCharge("111122223333", "us-east-1", "kms", oct);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->amount, Dec("412.37"));
  EXPECT_EQ(ManualCharge("111122223333", "us-east-1", "kms", oct, "1", "")->source,
            "recoup billing set");
}

TEST_F(ChargesTest, CostExplorerAmountsAreExactInEitherNotation) {
  EXPECT_EQ(*ParseCostExplorerAmount("12.30"), Dec("12.3"));
  EXPECT_EQ(*ParseCostExplorerAmount("7.5E-7"), Dec("0.00000075"));
  EXPECT_EQ(*ParseCostExplorerAmount("1.5e2"), Dec("150"));
  EXPECT_FALSE(ParseCostExplorerAmount("1.5e").ok());
  EXPECT_FALSE(ParseCostExplorerAmount("1e41").ok());
  EXPECT_FALSE(ParseCostExplorerAmount("abc").ok());
}

}  // namespace
}  // namespace recoup::billing
