// Every request-error-rate SLA of the built-in catalog: its terms as the
// reference notes state them (written out by hand here, not read back from
// the catalog), each tier boundary on both sides, what counts as a failure,
// the names evidence uses for the service, and the confidence marks.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "recoup/core/exact.h"
#include "recoup/sla/catalog.h"

namespace recoup::sla {
namespace {

using events::OutcomeClass;

Rational Pct(const char* s) { return *ParseDecimal(s); }
// A hair below a threshold: one billionth of a percentage point.
Rational Below(const char* s) { return Pct(s) - Ratio(1, 1000000000); }

struct Expected {
  const char* service;
  const char* version;
  const char* month;  // a billing month the version governs
  const char* commitment;
  std::vector<std::pair<const char*, const char*>> tiers;  // {lower bound, credit} top down
  const char* charges_scope;
};

// From reference/aws-slas.md section 2 and aws-facts.md sections 0 and 2.
const std::vector<Expected>& Table() {
  static const std::vector<Expected> kTable = {
      {"kms",
       "kms-2019-01-16",
       "2020-06",
       "99.9",
       {{"99.0", "10"}, {"0", "25"}},
       "account_all_regions"},
      {"kms",
       "kms-2022-11-29",
       "2025-10",
       "99.999",
       {{"99.0", "10"}, {"95.0", "25"}, {"0", "100"}},
       "region"},
      {"s3",
       "s3-2023-11-28",
       "2025-10",
       "99.9",
       {{"99.0", "10"}, {"95.0", "25"}, {"0", "100"}},
       "region"},
      {"dynamodb",
       "dynamodb-2019",
       "2025-10",
       "99.99",
       {{"99.0", "10"}, {"95.0", "25"}, {"0", "100"}},
       "region"},
      {"lambda",
       "lambda-2018",
       "2025-10",
       "99.95",
       {{"99.0", "10"}, {"95.0", "25"}, {"0", "100"}},
       "region"},
      {"apigateway",
       "apigateway-2022-05-05",
       "2025-10",
       "99.95",
       {{"99.0", "10"}, {"95.0", "25"}, {"0", "100"}},
       "region"},
      {"sqs",
       "sqs-messaging",
       "2025-10",
       "99.9",
       {{"99.0", "10"}, {"95.0", "25"}, {"0", "100"}},
       "region"},
      {"sns",
       "sns-messaging",
       "2025-10",
       "99.9",
       {{"99.0", "10"}, {"95.0", "25"}, {"0", "100"}},
       "region"},
      {"secretsmanager",
       "secretsmanager-2019",
       "2023-11",
       "99.9",
       {{"99.0", "10"}, {"95.0", "25"}, {"0", "100"}},
       "region"},
      {"secretsmanager",
       "secretsmanager-2023-12",
       "2023-12",
       "99.99",
       {{"99.0", "10"}, {"95.0", "25"}, {"0", "100"}},
       "region"},
      {"kinesis",
       "kinesis-2019",
       "2025-10",
       "99.9",
       {{"99.0", "10"}, {"95.0", "25"}, {"0", "100"}},
       "region"},
      {"cloudfront",
       "cloudfront-2022-05-05",
       "2025-10",
       "99.9",
       {{"99.0", "10"}, {"95.0", "25"}, {"0", "100"}},
       "account_all_regions"},
  };
  return kTable;
}

TEST(CatalogServicesTest, EveryRequestErrorRateServiceIsInTheCatalog) {
  auto cat = Catalog::Default();
  for (const char* s : {"kms", "s3", "dynamodb", "lambda", "apigateway", "sqs", "sns",
                        "secretsmanager", "kinesis", "cloudfront"}) {
    EXPECT_NE(cat->Find(s), nullptr) << s;
  }
}

TEST(CatalogServicesTest, EachVersionGovernsItsMonthsWithTheStatedTerms) {
  auto cat = Catalog::Default();
  for (const Expected& e : Table()) {
    SCOPED_TRACE(e.version);
    const ServiceTerms* t = cat->Find(e.service);
    ASSERT_NE(t, nullptr);
    const SlaVersion* v = t->VersionFor(*YearMonth::Parse(e.month));
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->id, e.version);
    EXPECT_EQ(v->commitment_pct, Pct(e.commitment));
    EXPECT_EQ(v->charges_scope, e.charges_scope);
    EXPECT_EQ(v->interval_seconds, 300);
    EXPECT_EQ(v->empty_interval_error_rate, Rational(0));
    EXPECT_EQ(v->tiers.size(), e.tiers.size());
  }
}

// AWS's tables read "less than X but greater than or equal to Y": exactly the
// commitment earns nothing, a hair below earns the first tier; exactly a lower
// bound stays in the tier above it, a hair below falls to the next.
TEST(CatalogServicesTest, EveryTierBoundaryOnBothSides) {
  auto cat = Catalog::Default();
  for (const Expected& e : Table()) {
    SCOPED_TRACE(e.version);
    const SlaVersion* v = cat->Find(e.service)->VersionById(e.version);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->CreditPct(Pct(e.commitment)), Rational(0));
    EXPECT_EQ(v->CreditPct(Pct("100")), Rational(0));
    EXPECT_EQ(v->CreditPct(Below(e.commitment)), Pct(e.tiers[0].second));
    for (size_t i = 0; i + 1 < e.tiers.size(); ++i) {
      const char* bound = e.tiers[i].first;
      EXPECT_EQ(v->CreditPct(Pct(bound)), Pct(e.tiers[i].second)) << "at " << bound;
      EXPECT_EQ(v->CreditPct(Below(bound)), Pct(e.tiers[i + 1].second)) << "below " << bound;
    }
    EXPECT_EQ(v->CreditPct(Pct("0")), Pct(e.tiers.back().second));
  }
}

TEST(CatalogServicesTest, SecretsManagerRoseTo9999InDecember2023) {
  const ServiceTerms* t = Catalog::Default()->Find("secretsmanager");
  EXPECT_EQ(t->VersionFor(*YearMonth::Parse("2023-11"))->commitment_pct, Pct("99.9"));
  EXPECT_EQ(t->VersionFor(*YearMonth::Parse("2023-12"))->commitment_pct, Pct("99.99"));
  // 99.95% breaches the 2023 SLA and meets the 2019 one.
  EXPECT_EQ(t->VersionFor(*YearMonth::Parse("2023-11"))->CreditPct(Pct("99.95")), Rational(0));
  EXPECT_EQ(t->VersionFor(*YearMonth::Parse("2023-12"))->CreditPct(Pct("99.95")), Pct("10"));
}

const SubScope& ScopeOf(const ServiceTerms* t, const std::string& key) {
  for (const SubScope& s : t->sub_scopes) {
    if (s.key == key) return s;
  }
  static const SubScope kNone;
  ADD_FAILURE() << t->key << " has no sub-scope " << key;
  return kNone;
}

TEST(CatalogServicesTest, SubScopesCarryTheirOwnCommitments) {
  auto cat = Catalog::Default();
  const ServiceTerms* s3 = cat->Find("s3");
  ASSERT_EQ(s3->sub_scopes.size(), 2u);
  EXPECT_EQ(s3->default_sub_scope, "standard");
  const SubScope& ia = ScopeOf(s3, "infrequent_access");
  EXPECT_EQ(ia.key, "infrequent_access");
  EXPECT_EQ(ia.commitment_pct, Pct("99.0"));
  ASSERT_EQ(ia.tiers.size(), 3u);
  EXPECT_EQ(ia.tiers[1].below_pct, Pct("98.0"));
  EXPECT_NE(std::find(ia.storage_classes.begin(), ia.storage_classes.end(), "STANDARD_IA"),
            ia.storage_classes.end());
  const ServiceTerms* ddb = cat->Find("dynamodb");
  ASSERT_EQ(ddb->sub_scopes.size(), 2u);
  EXPECT_EQ(ddb->default_sub_scope, "standard");
  EXPECT_EQ(ScopeOf(ddb, "global_tables").commitment_pct, Pct("99.999"));
  EXPECT_EQ(ScopeOf(ddb, "global_tables").condition, "failover_attempted");
  EXPECT_EQ(ScopeOf(ddb, "standard").commitment_pct, Pct("99.99"));
  EXPECT_EQ(ScopeOf(s3, "standard").commitment_pct, Pct("99.9"));
}

TEST(CatalogServicesTest, S3CountsOnlyInternalErrorAndServiceUnavailable) {
  const ServiceTerms* s3 = Catalog::Default()->Find("s3");
  EXPECT_EQ(s3->Classify("InternalError", 500), OutcomeClass::kServerError);
  EXPECT_EQ(s3->Classify("ServiceUnavailable", 503), OutcomeClass::kServerError);
  EXPECT_EQ(s3->Classify("SlowDown", 503), OutcomeClass::kThrottled);
  EXPECT_EQ(s3->Classify("NotImplemented", 501), OutcomeClass::kClientError);
  EXPECT_EQ(s3->Classify("", 503), OutcomeClass::kClientError);  // no code: not provable
  EXPECT_EQ(s3->Classify("NoSuchKey", 404), OutcomeClass::kClientError);
  EXPECT_EQ(s3->Classify("", 200), OutcomeClass::kSuccess);
}

TEST(CatalogServicesTest, LambdaCountsOnly500And503) {
  const ServiceTerms* l = Catalog::Default()->Find("lambda");
  EXPECT_EQ(l->Classify("ServiceException", 500), OutcomeClass::kServerError);
  EXPECT_EQ(l->Classify("", 500), OutcomeClass::kServerError);
  EXPECT_EQ(l->Classify("", 503), OutcomeClass::kServerError);
  EXPECT_EQ(l->Classify("", 502), OutcomeClass::kClientError);
  EXPECT_EQ(l->Classify("EC2UnexpectedException", 502), OutcomeClass::kClientError);
  EXPECT_EQ(l->Classify("TooManyRequestsException", 429), OutcomeClass::kThrottled);
  EXPECT_EQ(l->Classify("Unhandled", 200), OutcomeClass::kClientError);  // function error
}

TEST(CatalogServicesTest, ApiGatewayExcludesIntegrationErrors) {
  const ServiceTerms* a = Catalog::Default()->Find("apigateway");
  EXPECT_EQ(a->Classify("InternalFailure", 500), OutcomeClass::kServerError);
  EXPECT_EQ(a->Classify("", 502), OutcomeClass::kClientError);
  EXPECT_EQ(a->Classify("INTEGRATION_TIMEOUT", 504), OutcomeClass::kClientError);
  EXPECT_EQ(a->Classify("TooManyRequestsException", 429), OutcomeClass::kThrottled);
}

TEST(CatalogServicesTest, DynamoDbServerErrorsAndThrottling) {
  const ServiceTerms* d = Catalog::Default()->Find("dynamodb");
  EXPECT_EQ(d->Classify("InternalServerError", 500), OutcomeClass::kServerError);
  EXPECT_EQ(d->Classify("ProvisionedThroughputExceededException", 400), OutcomeClass::kThrottled);
  EXPECT_EQ(d->Classify("ConditionalCheckFailedException", 400), OutcomeClass::kClientError);
  EXPECT_EQ(d->Classify("", 503), OutcomeClass::kServerError);
}

TEST(CatalogServicesTest, FindsServicesByTheNamesSdksAndLogsUse) {
  auto cat = Catalog::Default();
  const std::vector<std::pair<const char*, const char*>> names = {
      {"DynamoDB", "dynamodb"},
      {"DynamoDb", "dynamodb"},
      {"dynamodb.amazonaws.com", "dynamodb"},
      {"S3", "s3"},
      {"Lambda", "lambda"},
      {"SQS", "sqs"},
      {"Sqs", "sqs"},
      {"SNS", "sns"},
      {"Secrets Manager", "secretsmanager"},
      {"SecretsManager", "secretsmanager"},
      {"API Gateway", "apigateway"},
      {"ApiGatewayV2", "apigateway"},
      {"Kinesis", "kinesis"},
      {"CloudFront", "cloudfront"},
      {"KMS", "kms"},
      {"kms", "kms"},
  };
  for (const auto& [name, key] : names) {
    const ServiceTerms* t = cat->FindByName(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->key, key) << name;
  }
  EXPECT_EQ(cat->FindByName("EC2"), nullptr);
  EXPECT_EQ(cat->FindByName(""), nullptr);
  EXPECT_EQ(cat->Find("DynamoDB"), nullptr);  // Find takes the catalog key only
}

TEST(CatalogServicesTest, ConfidenceIsTheWeakestFact) {
  auto cat = Catalog::Default();
  const SlaVersion* kms = cat->Find("kms")->VersionById("kms-2022-11-29");
  EXPECT_EQ(kms->confidence, Confidence::kSecondary);
  EXPECT_TRUE(kms->FactsAtLeast(Confidence::kUnverified).empty());
  const SlaVersion* sqs = cat->Find("sqs")->VersionById("sqs-messaging");
  EXPECT_EQ(sqs->confidence, Confidence::kUnverified);
  const auto weak = sqs->FactsAtLeast(Confidence::kUnverified);
  EXPECT_NE(std::find(weak.begin(), weak.end(), "tiers"), weak.end());
  EXPECT_EQ(std::find(weak.begin(), weak.end(), "commitment_pct"), weak.end());
  const SlaVersion* apigw = cat->Find("apigateway")->VersionById("apigateway-2022-05-05");
  EXPECT_EQ(apigw->confidence, Confidence::kVerbatimCopy);
  for (const ServiceTerms& s : cat->services()) {
    EXPECT_FALSE(s.claim_subject.empty()) << s.key;
    EXPECT_NE(s.claim_subject.find("SLA Credit Request"), std::string::npos) << s.key;
    for (const SlaVersion& v : s.versions) {
      EXPECT_FALSE(v.sources.empty()) << v.id;
      EXPECT_FALSE(v.facts.empty()) << v.id;
    }
  }
}

TEST(CatalogServicesTest, RejectsBadConfidenceAndNameClashes) {
  const std::string version =
      R"({"id":"a","effective_from":"2022-01-01","commitment_pct":"99.9",)"
      R"("tiers":[{"below_pct":"99.9","credit_pct":"10"}],"minimum_credit_usd":"1")";
  auto bad_mark = Catalog::Parse(
      R"({"services":{"x":{"versions":[)" + version + R"(,"confidence":{"tiers":"probably"}}]}}})",
      "c.json");
  ASSERT_FALSE(bad_mark.ok());
  EXPECT_NE(bad_mark.status().message().find("confidence.tiers"), std::string::npos)
      << bad_mark.status().message();
  auto clash = Catalog::Parse(
      R"({"services":{"x":{"sdk_service_names":["Same"],"versions":[)" + version +
          R"(}]},"y":{"sdk_service_names":["same"],"versions":[)" + version + "}]}}}",
      "c.json");
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.status().message().find("also names services.x"), std::string::npos)
      << clash.status().message();
  auto unmarked = Catalog::Parse(R"({"services":{"x":{"versions":[)" + version + "}]}}}", "c.json");
  ASSERT_TRUE(unmarked.ok()) << unmarked.status().message();
  EXPECT_EQ((*unmarked)->Find("x")->versions[0].confidence, Confidence::kUnverified);
  auto rising =
      Catalog::Parse(R"({"services":{"x":{"versions":[{"id":"a","effective_from":"2022-01-01",)"
                     R"("commitment_pct":"99.9","tiers":[{"below_pct":"99.9","credit_pct":"25"},)"
                     R"({"below_pct":"99.0","credit_pct":"10"}],"minimum_credit_usd":"1"}]}}})",
                     "c.json");
  EXPECT_FALSE(rising.ok());
}

}  // namespace
}  // namespace recoup::sla
