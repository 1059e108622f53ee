#include "recoup/billing/cur_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace recoup::billing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string TestData(const std::string& rel) {
  const char* dir = std::getenv("RECOUP_TESTDATA");
  return std::string(dir != nullptr ? dir : "/work/shared/testdata") + "/" + rel;
}

const std::string kLegacyDir = "billing/cur-legacy-focus_converters/";
std::string LegacyFull() {
  return TestData(kLegacyDir + "sample-anonymous-aws-export-dataset.csv");
}
std::string LegacyKms() {
  return TestData(kLegacyDir + "sample-anonymous-aws-export-dataset.awskms-rows.csv");
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class CurReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           (std::string("cur_reader_") + info->name() + "_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteFile(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    return path;
  }

  static std::string Gzip(const std::string& bytes) {
    z_stream zs{};
    EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&zs, bytes.size()) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    zs.avail_in = static_cast<uInt>(bytes.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
  }

  std::filesystem::path dir_;
};

Rational Frac(const char* num, const char* den) {
  Rational r{mpz_class(num), mpz_class(den)};
  r.canonicalize();
  return r;
}

Rational Dec(const char* text) {
  auto r = ParseCurAmount(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : Rational(0);
}

void ExpectSameCharges(const CurReadResult& a, const CurReadResult& b) {
  ASSERT_EQ(a.charges.size(), b.charges.size());
  for (size_t i = 0; i < a.charges.size(); ++i) {
    const KmsCharge& x = a.charges[i];
    const KmsCharge& y = b.charges[i];
    EXPECT_EQ(x.account, y.account);
    EXPECT_EQ(x.region, y.region);
    EXPECT_EQ(x.month, y.month);
    EXPECT_EQ(x.unblended, y.unblended);
    EXPECT_EQ(x.net_unblended, y.net_unblended);
    EXPECT_EQ(x.credits, y.credits);
    EXPECT_EQ(x.tax, y.tax);
    EXPECT_EQ(x.line_items, y.line_items);
    EXPECT_EQ(x.currency, y.currency);
  }
}

// Expected values computed from the CSV outside this code:
//   python3 csv.DictReader + decimal.Decimal, cross-checked with
//   sed 's/"[^"]*"/Q/g' | awk -F, on lineItem/ProductCode == awskms:
//   51 Usage rows in ca-central-1: 1 x 0.0263888891 + 6 x 0.0333333336 +
//   1 x 0.0041666667 + 43 x 0.0 = 0.2305555574 (KMS-Keys; requests are free tier);
//   1 Tax row, product/region empty, 0.01. All USD, billing period 2023-11-01.
void ExpectLegacyKmsTotals(const CurReadResult& r) {
  EXPECT_EQ(r.format, "cur-legacy");
  EXPECT_EQ(r.matched_rows, 52);
  EXPECT_EQ(r.rejected_rows, 0);
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.charges.size(), 2u);

  const KmsCharge& tax = r.charges[0];  // "" sorts before "ca-central-1"
  EXPECT_EQ(tax.account, "123412340534");
  EXPECT_EQ(tax.region, "");
  EXPECT_EQ(tax.month, (YearMonth{2023, 11}));
  EXPECT_EQ(tax.unblended, 0);
  EXPECT_EQ(tax.tax, Dec("0.01"));
  EXPECT_EQ(tax.credits, 0);
  EXPECT_EQ(tax.line_items, 1);
  EXPECT_FALSE(tax.net_unblended.has_value());  // no lineItem/NetUnblendedCost column
  EXPECT_EQ(tax.currency, "USD");

  const KmsCharge& ca = r.charges[1];
  EXPECT_EQ(ca.account, "123412340534");
  EXPECT_EQ(ca.region, "ca-central-1");
  EXPECT_EQ(ca.month, (YearMonth{2023, 11}));
  EXPECT_EQ(ca.unblended, Dec("0.2305555574"));
  EXPECT_EQ(ca.unblended, Dec("0.0263888891") + 6 * Dec("0.0333333336") + Dec("0.0041666667"));
  EXPECT_FALSE(ca.net_unblended.has_value());
  EXPECT_EQ(ca.credits, 0);
  EXPECT_EQ(ca.tax, 0);
  EXPECT_EQ(ca.line_items, 51);
  EXPECT_EQ(ca.currency, "USD");
}

TEST_F(CurReaderTest, LegacyKmsSubsetTotals) {
  auto r = ReadCurFile(LegacyKms());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 52);
  ExpectLegacyKmsTotals(*r);
}

TEST_F(CurReaderTest, LegacyFullFileGivesSameKmsTotals) {
  auto full = ReadCurFile(LegacyFull());
  auto subset = ReadCurFile(LegacyKms());
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  ASSERT_TRUE(subset.ok()) << subset.status().ToString();
  EXPECT_EQ(full->rows, 1281);
  ExpectLegacyKmsTotals(*full);
  ExpectSameCharges(*full, *subset);
}

// Other products exercise the scientific notation in the real sample
// ("5.2E-9"): the same python/Decimal computation over lineItem/ProductCode ==
// AmazonS3 gives these sums.
TEST_F(CurReaderTest, ProductCodeIsAParameterAndExponentsAreExact) {
  auto r = ReadCurFile(LegacyFull(), "AmazonS3");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->matched_rows, 799);
  EXPECT_EQ(r->rejected_rows, 0);
  ASSERT_EQ(r->charges.size(), 4u);
  EXPECT_EQ(r->charges[0].region, "");
  EXPECT_EQ(r->charges[0].tax, Dec("0.07"));
  EXPECT_EQ(r->charges[1].region, "ca-central-1");
  EXPECT_EQ(r->charges[1].unblended, Dec("0.0022399473"));
  EXPECT_EQ(r->charges[1].line_items, 247);
  EXPECT_EQ(r->charges[2].region, "us-east-1");
  EXPECT_EQ(r->charges[2].unblended, Dec("0.0017308218"));
  EXPECT_EQ(r->charges[2].line_items, 291);
  EXPECT_EQ(r->charges[3].region, "us-west-2");
  EXPECT_EQ(r->charges[3].unblended, Dec("1.3665945874"));
  EXPECT_EQ(r->charges[3].line_items, 260);

  auto none = ReadCurFile(LegacyFull(), "NoSuchProduct");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->matched_rows, 0);
  EXPECT_TRUE(none->charges.empty());
}

TEST(ParseCurAmountTest, ExactDecimalsAndExponents) {
  EXPECT_EQ(*ParseCurAmount("5.2E-9"), Frac("52", "10000000000"));
  EXPECT_EQ(*ParseCurAmount("-1.5e+2"), Rational(-150));
  EXPECT_EQ(*ParseCurAmount("0.0000120000"), Frac("12", "1000000"));
  EXPECT_FALSE(ParseCurAmount("").ok());
  EXPECT_FALSE(ParseCurAmount("abc").ok());
  EXPECT_FALSE(ParseCurAmount("1e").ok());
  EXPECT_FALSE(ParseCurAmount("1e5x").ok());
  EXPECT_FALSE(ParseCurAmount("1e99999").ok());
}

TEST_F(CurReaderTest, GzipEqualsPlain) {
  for (const std::string& src : {LegacyKms(), LegacyFull()}) {
    const std::string gz = WriteFile("sample.csv.gz", Gzip(ReadAll(src)));
    auto plain = ReadCurFile(src);
    auto zipped = ReadCurFile(gz);
    ASSERT_TRUE(plain.ok());
    ASSERT_TRUE(zipped.ok()) << zipped.status().ToString();
    EXPECT_EQ(zipped->rows, plain->rows);
    EXPECT_EQ(zipped->matched_rows, plain->matched_rows);
    EXPECT_EQ(zipped->format, plain->format);
    ExpectLegacyKmsTotals(*zipped);
    ExpectSameCharges(*zipped, *plain);
  }
}

TEST_F(CurReaderTest, TruncatedGzipIsDataLossNamingTheFile) {
  const std::string gz = Gzip(ReadAll(LegacyFull()));
  for (size_t keep : {gz.size() / 2, gz.size() - 4, size_t{15}}) {
    const std::string path = WriteFile("truncated.csv.gz", gz.substr(0, keep));
    auto r = ReadCurFile(path);
    ASSERT_FALSE(r.ok()) << "kept " << keep << " of " << gz.size() << " bytes";
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    EXPECT_THAT(r.status().message(), HasSubstr(path));
    EXPECT_THAT(r.status().message(), HasSubstr("truncated gzip"));
  }
}

TEST_F(CurReaderTest, CorruptGzipIsDataLoss) {
  std::string gz = Gzip(ReadAll(LegacyKms()));
  gz[gz.size() - 6] ^= 0x55;  // CRC-32 trailer
  const std::string path = WriteFile("corrupt.csv.gz", gz);
  auto r = ReadCurFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr(path));
}

// CUR 2.0 has no public sample; this one uses its column names in a shuffled
// order with CRLF line ends, quoted fields (commas, doubled quotes, a CRLF
// inside quotes), every line item class and a second month by usage start.
constexpr char kCur2Header[] =
    "line_item_line_item_type,bill_billing_period_start_date,line_item_usage_account_id,"
    "line_item_line_item_description,line_item_product_code,product_region_code,"
    "line_item_unblended_cost,line_item_net_unblended_cost,line_item_currency_code,"
    "line_item_usage_start_date,line_item_usage_type";

std::string Cur2Sample() {
  const char* rows[] = {
      // line 2
      "Usage,2023-11-01T00:00:00.000Z,111111111111,\"KMS keys, \"\"symmetric\"\"\",awskms,"
      "us-east-1,1.0000000000,0.9000000000,USD,2023-11-05T00:00:00Z,USE1-KMS-Keys",
      // lines 3-4: CRLF inside a quoted field
      "Usage,2023-11-01 00:00:00,111111111111,\"multi\r\nline\",awskms,us-east-1,0.03,0.027,"
      "USD,2023-11-06 00:00:00,USE1-KMS-Requests",
      "DiscountedUsage,2023-11-01T00:00:00Z,111111111111,d,awskms,us-east-1,5.2E-9,5.2E-9,USD,"
      "2023-11-07T00:00:00Z,USE1-KMS-Requests",
      "SavingsPlanCoveredUsage,2023-11-01T00:00:00Z,111111111111,s,awskms,us-east-1,0.5,0.4,USD,"
      "2023-11-07T00:00:00Z,USE1-KMS-Requests",
      "SavingsPlanNegation,2023-11-01T00:00:00Z,111111111111,n,awskms,us-east-1,-0.5,-0.4,USD,"
      "2023-11-07T00:00:00Z,USE1-KMS-Requests",
      "EdpDiscount,2023-11-01T00:00:00Z,111111111111,e,awskms,us-east-1,-0.05,-0.05,USD,"
      "2023-11-07T00:00:00Z,USE1-KMS-Requests",
      "Credit,2023-11-01T00:00:00Z,111111111111,\"SLA credit, KMS\",awskms,us-east-1,-0.10,-0.10,"
      "USD,2023-11-01T00:00:00Z,",
      "Refund,2023-11-01T00:00:00Z,111111111111,r,awskms,,-0.02,-0.02,USD,2023-11-01T00:00:00Z,",
      "Tax,2023-11-01T00:00:00Z,111111111111,\"Tax for product code awskms\",awskms,,0.15,0.15,"
      "USD,2023-11-01T00:00:00Z,",
      // empty billing period: month from the usage start (December)
      "Usage,,111111111111,late,awskms,us-east-1,0.25,0.25,USD,2023-12-03T10:00:00Z,"
      "USE1-KMS-Keys",
      // blank net-unblended: net unknown for that group
      "Usage,2023-11-01T00:00:00Z,222222222222,w,awskms,eu-west-1,2.5,,USD,"
      "2023-11-02T00:00:00Z,EU-KMS-Keys",
      "Usage,2023-11-01T00:00:00Z,111111111111,s3,AmazonS3,us-east-1,100.0,100.0,USD,"
      "2023-11-02T00:00:00Z,TimedStorage",
      "\"Usage\",\"2023-11-01T00:00:00Z\",\"333333333333\",\"\",\"awskms\",\"eu-central-1\","
      "\"4.00\",\"3.50\",\"EUR\",\"2023-11-02T00:00:00Z\",\"EUC1-KMS-Keys\"",
  };
  std::string out = kCur2Header;
  out += "\r\n";
  for (const char* row : rows) {
    out += row;
    out += "\r\n";
  }
  return out;
}

TEST_F(CurReaderTest, Cur2CsvWithQuotingCrlfAndAllLineItemTypes) {
  const std::string path = WriteFile("cur2.csv", Cur2Sample());
  auto r = ReadCurFile(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, "cur-2.0");
  EXPECT_EQ(r->rows, 13);
  EXPECT_EQ(r->matched_rows, 12);  // all but AmazonS3; ignored types included
  EXPECT_EQ(r->rejected_rows, 0);
  EXPECT_TRUE(r->errors.empty()) << r->errors.front();
  ASSERT_EQ(r->charges.size(), 5u);

  const KmsCharge& global = r->charges[0];
  EXPECT_EQ(global.account, "111111111111");
  EXPECT_EQ(global.region, "");
  EXPECT_EQ(global.month, (YearMonth{2023, 11}));
  EXPECT_EQ(global.unblended, 0);
  EXPECT_EQ(global.net_unblended, std::optional<Rational>(0));
  EXPECT_EQ(global.credits, Dec("-0.02"));
  EXPECT_EQ(global.tax, Dec("0.15"));
  EXPECT_EQ(global.line_items, 2);

  const KmsCharge& nov = r->charges[1];
  EXPECT_EQ(nov.region, "us-east-1");
  EXPECT_EQ(nov.month, (YearMonth{2023, 11}));
  EXPECT_EQ(nov.unblended, Dec("1.5300000052"));  // 1 + 0.03 + 5.2E-9 + 0.5
  ASSERT_TRUE(nov.net_unblended.has_value());
  EXPECT_EQ(*nov.net_unblended, Dec("1.3270000052"));  // 0.9 + 0.027 + 5.2E-9 + 0.4
  EXPECT_EQ(nov.credits, Dec("-0.10"));
  EXPECT_EQ(nov.tax, 0);
  EXPECT_EQ(nov.line_items, 5);
  EXPECT_EQ(nov.currency, "USD");

  const KmsCharge& dec = r->charges[2];
  EXPECT_EQ(dec.region, "us-east-1");
  EXPECT_EQ(dec.month, (YearMonth{2023, 12}));
  EXPECT_EQ(dec.unblended, Dec("0.25"));
  EXPECT_EQ(dec.line_items, 1);

  const KmsCharge& eu = r->charges[3];
  EXPECT_EQ(eu.account, "222222222222");
  EXPECT_EQ(eu.region, "eu-west-1");
  EXPECT_EQ(eu.unblended, Dec("2.5"));
  EXPECT_FALSE(eu.net_unblended.has_value());

  const KmsCharge& eur = r->charges[4];
  EXPECT_EQ(eur.account, "333333333333");
  EXPECT_EQ(eur.region, "eu-central-1");
  EXPECT_EQ(eur.unblended, Dec("4"));
  EXPECT_EQ(eur.net_unblended, std::optional<Rational>(Dec("3.5")));
  EXPECT_EQ(eur.currency, "EUR");

  // Same bytes gzipped, and with LF line ends, give the same result.
  auto gz = ReadCurFile(WriteFile("cur2.csv.gz", Gzip(Cur2Sample())));
  ASSERT_TRUE(gz.ok()) << gz.status().ToString();
  ExpectSameCharges(*gz, *r);
  std::string lf = Cur2Sample();
  for (size_t p; (p = lf.find("\r\n")) != std::string::npos;) lf.erase(p, 1);
  auto lf_result = ReadCurFile(WriteFile("cur2-lf.csv", lf));
  ASSERT_TRUE(lf_result.ok());
  ExpectSameCharges(*lf_result, *r);
}

TEST_F(CurReaderTest, MalformedRowsAreRejectedWithFileLineAndField) {
  const std::string good =
      "Usage,2023-11-01T00:00:00Z,111111111111,ok,awskms,us-east-1,1.00,1.00,USD,"
      "2023-11-02T00:00:00Z,USE1-KMS-Keys";
  std::string csv = std::string(kCur2Header) + "\n";
  csv += good + "\n";                                                               // 2
  csv += "Usage,2023-11-01T00:00:00Z,111111111111,awskms,us-east-1,1,1,USD,x,y\n";  // 3
  csv +=
      "Usage,2023-11-01T00:00:00Z,111111111111,\"two\nlines\",awskms,us-east-1,2.00,2.00,"
      "USD,2023-11-02T00:00:00Z,k\n";                                                      // 4-5
  csv += "Usage,2023-11-01T00:00:00Z,111111111111,c,awskms,us-east-1,abc,1,USD,,k\n";      // 6
  csv += "Usage,2023-11-01T00:00:00Z,,c,awskms,us-east-1,1,1,USD,,k\n";                    // 7
  csv += "Usage,2023-11-01T00:00:00Z,111111111111,c,awskms,,1,1,USD,,k\n";                 // 8
  csv += "Bogus,2023-11-01T00:00:00Z,111111111111,c,awskms,us-east-1,1,1,USD,,k\n";        // 9
  csv += "Usage,2023-13-01T00:00:00Z,111111111111,c,awskms,us-east-1,1,1,USD,,k\n";        // 10
  csv += "Usage,2023-11-01T00:00:00Z,111111111111,c,awskms,us-east-1,3.00,3.00,USD,,k\n";  // 11
  csv += "Usage,2023-11-01T00:00:00Z,111111111111,c,awskms,us-east-1,1,1,EUR,,k\n";        // 12
  csv += "Usage,2023-11-01T00:00:00Z,111111111111,\"c\"x,awskms,us-east-1,1,1,USD,,k\n";   // 13
  csv += "Usage,2023-11-01T00:00:00Z,111111111111,,awskms,us-east-1,1,1,USD,,\"open\n";    // 14
  const std::string path = WriteFile("bad.csv", csv);
  auto r = ReadCurFile(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 12);
  EXPECT_EQ(r->matched_rows, 3);
  EXPECT_EQ(r->rejected_rows, 9);
  ASSERT_EQ(r->errors.size(), 9u);
  const std::string p = path + ":";
  EXPECT_THAT(r->errors[0], StartsWith(p + "3: row has 10 fields, header has 11"));
  EXPECT_THAT(r->errors[1], StartsWith(p + "6: field 'line_item_unblended_cost'"));
  EXPECT_THAT(r->errors[2], StartsWith(p + "7: field 'line_item_usage_account_id' is empty"));
  EXPECT_THAT(r->errors[3], StartsWith(p + "8: field 'product_region_code' is empty"));
  EXPECT_THAT(r->errors[4], StartsWith(p + "9: field 'line_item_line_item_type'"));
  EXPECT_THAT(r->errors[5], StartsWith(p + "10: field 'bill_billing_period_start_date'"));
  EXPECT_THAT(r->errors[6], StartsWith(p + "12: field 'line_item_currency_code'"));
  EXPECT_THAT(r->errors[7], StartsWith(p + "13: malformed CSV record"));
  EXPECT_THAT(r->errors[8], StartsWith(p + "14: malformed CSV record: unterminated"));
  ASSERT_EQ(r->charges.size(), 1u);
  EXPECT_EQ(r->charges[0].unblended, Dec("6.00"));
  EXPECT_EQ(r->charges[0].line_items, 3);
  EXPECT_EQ(r->charges[0].currency, "USD");
}

// Account and Region pass the validation layer before a charge is kept: a
// row with an account that is not 12 digits or a Region that is not one is
// rejected naming the field.
TEST_F(CurReaderTest, HostileAccountAndRegionAreRejectedRows) {
  std::string csv = std::string(kCur2Header) + "\n";
  csv += "Usage,2023-11-01T00:00:00Z,111111111111,ok,awskms,us-east-1,1.00,1.00,USD,,k\n";  // 2
  csv += "Usage,2023-11-01T00:00:00Z,1111,c,awskms,us-east-1,1,1,USD,,k\n";                 // 3
  csv += "Usage,2023-11-01T00:00:00Z,111111111111,c,awskms,/../../x,1,1,USD,,k\n";          // 4
  csv += "Usage,2023-11-01T00:00:00Z,111111111111,c,awskms,US-EAST-1,1,1,USD,,k\n";         // 5
  const std::string path = WriteFile("hostile.csv", csv);
  auto r = ReadCurFile(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rejected_rows, 3);
  ASSERT_EQ(r->errors.size(), 3u);
  const std::string p = path + ":";
  EXPECT_THAT(r->errors[0], StartsWith(p + "3: field 'line_item_usage_account_id': '1111'"));
  EXPECT_THAT(r->errors[1], StartsWith(p + "4: field 'product_region_code': '/../../x'"));
  EXPECT_THAT(r->errors[2], StartsWith(p + "5: field 'product_region_code': 'US-EAST-1'"));
  ASSERT_EQ(r->charges.size(), 1u);
  EXPECT_EQ(r->charges[0].region, "us-east-1");
}

// Many CRLF rows, some with CRLF inside quotes, so that records, CR/LF pairs
// and quoted fields straddle the reader's 64 KiB chunks; line numbers must
// still be right at the end.
TEST_F(CurReaderTest, LargeCrlfFileAcrossReadChunks) {
  constexpr int kRows = 30000;
  std::string csv = std::string(kCur2Header) + "\r\n";
  int64_t line = 2;
  for (int i = 0; i < kRows; ++i) {
    const bool multi = i % 7 == 3;
    csv += "Usage,2023-11-01T00:00:00Z,111111111111,";
    csv += multi ? "\"a,\r\n\"\"b\"\"\"" : "plain";
    csv += ",awskms,us-east-1,0.0100000001,0.01,USD,2023-11-02T00:00:00Z,USE1-KMS-Requests\r\n";
    line += multi ? 2 : 1;
  }
  csv += "Usage,2023-11-01T00:00:00Z,111111111111,x,awskms,us-east-1,bad,0.01,USD,,k\r\n";
  for (const bool gzip : {false, true}) {
    const std::string path = WriteFile(gzip ? "big.csv.gz" : "big.csv", gzip ? Gzip(csv) : csv);
    auto r = ReadCurFile(path);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->rows, kRows + 1);
    EXPECT_EQ(r->matched_rows, kRows);
    ASSERT_EQ(r->errors.size(), 1u);
    EXPECT_THAT(r->errors[0], StartsWith(path + ":" + std::to_string(line) +
                                         ": field 'line_item_unblended_cost'"));
    ASSERT_EQ(r->charges.size(), 1u);
    EXPECT_EQ(r->charges[0].unblended, kRows * Dec("0.0100000001"));
    EXPECT_EQ(r->charges[0].net_unblended, std::optional<Rational>(kRows * Dec("0.01")));
  }
}

TEST_F(CurReaderTest, MalformedRowInRealLegacySampleKeepsTheOthers) {
  std::string csv = ReadAll(LegacyKms());
  // CurrencyCode, UnblendedRate, UnblendedCost of the 0.0263888891 key-month row.
  const std::string cost = ",USD,1.0,0.0263888891,";
  const size_t at = csv.find(cost);
  ASSERT_NE(at, std::string::npos);
  const int64_t line = 1 + std::count(csv.begin(), csv.begin() + static_cast<long>(at), '\n');
  csv.replace(at, cost.size(), ",USD,1.0,0.02638x8891,");
  const std::string path = WriteFile("legacy-bad.csv", csv);
  auto r = ReadCurFile(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rejected_rows, 1);
  EXPECT_EQ(r->matched_rows, 51);
  ASSERT_EQ(r->errors.size(), 1u);
  EXPECT_THAT(r->errors[0],
              StartsWith(path + ":" + std::to_string(line) + ": field 'lineItem/UnblendedCost'"));
  ASSERT_EQ(r->charges.size(), 2u);
  EXPECT_EQ(r->charges[1].unblended, Dec("0.2305555574") - Dec("0.0263888891"));
  EXPECT_EQ(r->charges[1].line_items, 50);
}

TEST_F(CurReaderTest, NonCurFilesFailNamingTheFile) {
  const std::string focus = TestData("billing/focus-1.0-sample-data/focus_sample.kms-rows.csv");
  const std::string other = WriteFile("other.csv", "hello,world\n1,2\n");
  const std::string empty = WriteFile("empty.csv", "");
  const std::string binary = WriteFile("bin.dat", std::string("\x00\x01\x02\"\xff", 5));
  for (const std::string& path : {focus, other, empty, binary}) {
    auto r = ReadCurFile(path);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr(path));
    EXPECT_THAT(r.status().message(), HasSubstr("not a Cost and Usage Report"));
  }
  auto missing = ReadCurFile((dir_ / "no-such-file.csv").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("no-such-file.csv"));
}

TEST_F(CurReaderTest, CurHeaderMissingARequiredColumnFails) {
  const std::string path =
      WriteFile("partial.csv",
                "lineItem/UsageAccountId,lineItem/ProductCode,lineItem/LineItemType,product/region,"
                "bill/BillingPeriodStartDate\n1,awskms,Usage,us-east-1,2023-11-01\n");
  auto r = ReadCurFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr(path));
  EXPECT_THAT(r.status().message(), HasSubstr("'lineItem/UnblendedCost'"));
}

TEST_F(CurReaderTest, LegacyNetUnblendedAndBomHeader) {
  const std::string path =
      WriteFile("legacy-net.csv",
                "\xEF\xBB\xBFlineItem/UsageAccountId,lineItem/ProductCode,lineItem/LineItemType,"
                "lineItem/UnblendedCost,lineItem/NetUnblendedCost,bill/BillingPeriodStartDate,"
                "product/region\n"
                "111111111111,awskms,Usage,1.00,0.95,2024-02-01T00:00:00.000Z,us-west-2\n"
                "111111111111,awskms,Usage,2.00,1.90,2024-02-01T00:00:00.000Z,us-west-2\n");
  auto r = ReadCurFile(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, "cur-legacy");
  ASSERT_EQ(r->charges.size(), 1u);
  EXPECT_EQ(r->charges[0].month, (YearMonth{2024, 2}));
  EXPECT_EQ(r->charges[0].unblended, Dec("3"));
  EXPECT_EQ(r->charges[0].net_unblended, std::optional<Rational>(Dec("2.85")));
  EXPECT_EQ(r->charges[0].currency, "USD");  // no currency column
}

}  // namespace
}  // namespace recoup::billing
