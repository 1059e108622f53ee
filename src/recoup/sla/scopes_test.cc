#include "recoup/sla/scopes.h"

#include <gtest/gtest.h>

namespace recoup::sla {
namespace {

TEST(GlobTest, StarsMatchAnyRun) {
  EXPECT_TRUE(GlobMatch("archive-*", "archive-2025"));
  EXPECT_TRUE(GlobMatch("archive-*", "archive-"));
  EXPECT_FALSE(GlobMatch("archive-*", "xarchive-1"));
  EXPECT_TRUE(GlobMatch("*-ia", "logs-ia"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYY"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("exact", "exact"));
  EXPECT_FALSE(GlobMatch("exact", "exactly"));
  // No regex or bracket syntax: '?' and '[' are ordinary characters.
  EXPECT_FALSE(GlobMatch("a?c", "abc"));
  EXPECT_TRUE(GlobMatch("a?c", "a?c"));
}

TEST(ScopeMapTest, ResourcesOfANamedScopeCountInItsSeries) {
  auto catalog = Catalog::Default();
  ScopeMap m;
  ASSERT_TRUE(m.Add(*catalog, "s3.infrequent_access=archive-*", "--scope").ok());
  ASSERT_TRUE(
      m.Add(*catalog, "dynamodb.global_tables=arn:aws:dynamodb:*:table/orders", "--scope").ok());
  EXPECT_EQ(m.SeriesOf("s3", "arn:aws:s3:::archive-2025/k/1"), "s3.infrequent_access");
  EXPECT_EQ(m.SeriesOf("s3", "arn:aws:s3:::live-data/k"), "");
  EXPECT_EQ(m.SeriesOf("s3", ""), "");
  EXPECT_EQ(m.SeriesOf("dynamodb", "arn:aws:dynamodb:us-east-1:111122223333:table/orders"),
            "dynamodb.global_tables");
  EXPECT_EQ(m.SeriesOf("dynamodb", "arn:aws:dynamodb:us-east-1:111122223333:table/carts"), "");
  // A rule names its service: the same name in another service is not in scope.
  EXPECT_EQ(m.SeriesOf("lambda", "archive-2025"), "");
  EXPECT_EQ(m.ToStrings(),
            (std::vector<std::string>{"s3.infrequent_access=archive-*",
                                      "dynamodb.global_tables=arn:aws:dynamodb:*:table/orders"}));
}

TEST(ScopeMapTest, BadRulesAreNamed) {
  auto catalog = Catalog::Default();
  ScopeMap m;
  auto st = m.Add(*catalog, "s3.glacier=x", "--scope");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'s3.glacier' is not a sub-scope"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("s3.infrequent_access"), std::string::npos);
  EXPECT_FALSE(m.Add(*catalog, "s3.standard=x", "--scope").ok());  // the default scope
  EXPECT_FALSE(m.Add(*catalog, "s3=x", "--scope").ok());
  EXPECT_FALSE(m.Add(*catalog, "s3.infrequent_access", "--scope").ok());
  EXPECT_FALSE(m.Add(*catalog, "s3.infrequent_access=", "--scope").ok());
  EXPECT_FALSE(m.Add(*catalog, "s3.infrequent_access=a\x1b[2J", "--scope").ok());
  EXPECT_FALSE(m.Add(*catalog, "s3.infrequent_access=" + std::string(300, 'a'), "--scope").ok());
  EXPECT_TRUE(m.empty());
}

TEST(ScopedCatalogTest, SubScopesAreSeriesWithTheirOwnTerms) {
  auto catalog = Catalog::Default();
  const ServiceTerms* ia = catalog->Find("s3.infrequent_access");
  ASSERT_NE(ia, nullptr);
  EXPECT_EQ(ia->base, "s3");
  EXPECT_EQ(ia->scope, "infrequent_access");
  EXPECT_EQ(ia->cur_product_code, "AmazonS3");
  const SlaVersion* v = ia->VersionFor(YearMonth{2025, 10});
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->id, "s3-2023-11-28");
  EXPECT_EQ(v->commitment_pct, Rational(99));
  // Tiers 10% below 99.0, 25% below 98.0, 100% below 95.0.
  EXPECT_EQ(v->CreditPct(Rational(99)), 0);
  EXPECT_EQ(v->CreditPct(Rational(9899, 100)), 10);
  EXPECT_EQ(v->CreditPct(Rational(98)), 10);
  EXPECT_EQ(v->CreditPct(Rational(9799, 100)), 25);
  EXPECT_EQ(v->CreditPct(Rational(9499, 100)), 100);
  // The base entry keeps the Standard-like commitment.
  const ServiceTerms* s3 = catalog->Find("s3");
  EXPECT_EQ(s3->base, "s3");
  EXPECT_EQ(s3->scope, "standard");
  EXPECT_EQ(s3->VersionFor(YearMonth{2025, 10})->commitment_pct, Rational(999, 10));
  const ServiceTerms* gt = catalog->Find("dynamodb.global_tables");
  ASSERT_NE(gt, nullptr);
  EXPECT_EQ(gt->VersionFor(YearMonth{2025, 10})->commitment_pct, Rational(99999, 1000));
  // Listed apart: services() holds each service once.
  for (const ServiceTerms& t : catalog->services()) EXPECT_EQ(t.key.find('.'), std::string::npos);
  EXPECT_EQ(catalog->SeriesKeysOf("s3"), (std::vector<std::string>{"s3", "s3.infrequent_access"}));
  EXPECT_EQ(catalog->SeriesKeysOf("kms"), (std::vector<std::string>{"kms"}));
}

}  // namespace
}  // namespace recoup::sla
