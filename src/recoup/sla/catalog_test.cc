#include "recoup/sla/catalog.h"

#include <gtest/gtest.h>

namespace recoup::sla {
namespace {

using events::OutcomeClass;

TEST(CatalogTest, BuiltInCatalogHasBothKmsVersions) {
  auto cat = Catalog::Default();
  const ServiceTerms* kms = cat->Find("kms");
  ASSERT_NE(kms, nullptr);
  ASSERT_EQ(kms->versions.size(), 2u);
  EXPECT_EQ(kms->versions[0].id, "kms-2019-01-16");
  EXPECT_EQ(kms->versions[0].commitment_pct, Ratio(999, 10));
  EXPECT_EQ(kms->versions[1].id, "kms-2022-11-29");
  EXPECT_EQ(kms->versions[1].commitment_pct, Ratio(99999, 1000));
  EXPECT_EQ(kms->versions[1].tiers.size(), 3u);
  EXPECT_EQ(cat->sha256().size(), 64u);
}

TEST(CatalogTest, PicksTheVersionInForceForTheWholeMonth) {
  const ServiceTerms* kms = Catalog::Default()->Find("kms");
  // Published 2022-11-29: governs from December 2022.
  EXPECT_EQ(kms->VersionFor(*YearMonth::Parse("2022-11"))->id, "kms-2019-01-16");
  EXPECT_EQ(kms->VersionFor(*YearMonth::Parse("2022-12"))->id, "kms-2022-11-29");
  EXPECT_EQ(kms->VersionFor(*YearMonth::Parse("2019-02"))->id, "kms-2019-01-16");
  EXPECT_EQ(kms->VersionFor(*YearMonth::Parse("2019-01")), nullptr);
}

TEST(CatalogTest, ClassifiesAll48KmsErrorsAndCommonOnes) {
  const ServiceTerms* kms = Catalog::Default()->Find("kms");
  EXPECT_EQ(kms->Classify("", 0), OutcomeClass::kSuccess);
  EXPECT_EQ(kms->Classify("", 200), OutcomeClass::kSuccess);
  for (const char* c : {"KMSInternalException", "KeyUnavailableException",
                        "DependencyTimeoutException", "InternalFailure", "ServiceUnavailable"}) {
    EXPECT_EQ(kms->Classify(c, 0), OutcomeClass::kServerError) << c;
  }
  EXPECT_EQ(kms->Classify("ThrottlingException", 400), OutcomeClass::kThrottled);
  for (const char* c : {"XksProxyUriUnreachableException", "CloudHsmClusterNotActiveException",
                        "CustomKeyStoreInvalidStateException"}) {
    EXPECT_EQ(kms->Classify(c, 400), OutcomeClass::kCustomKeyStore) << c;
  }
  for (const char* c :
       {"AccessDeniedException", "NotFoundException", "DisabledException",
        "KMSInvalidStateException", "IncorrectKeyException", "ValidationException"}) {
    EXPECT_EQ(kms->Classify(c, 0), OutcomeClass::kClientError) << c;
  }
  // Modelled codes: 3 server + 22 custom key store + 23 client = 48.
  int server = 0, cks = 0, client = 0;
  for (const auto& [code, cls] : kms->codes) {
    if (cls == OutcomeClass::kServerError && code.find("Exception") != std::string::npos &&
        (code.rfind("KMS", 0) == 0 || code.rfind("Key", 0) == 0 ||
         code.rfind("Dependency", 0) == 0)) {
      ++server;
    }
    if (cls == OutcomeClass::kCustomKeyStore) ++cks;
    (void)client;
  }
  EXPECT_EQ(server, 3);
  EXPECT_EQ(cks, 22);
}

TEST(CatalogTest, UnknownCodesFallBackOnHttpStatusConservatively) {
  const ServiceTerms* kms = Catalog::Default()->Find("kms");
  EXPECT_EQ(kms->Classify("BrandNewFault", 502), OutcomeClass::kServerError);
  EXPECT_EQ(kms->Classify("BrandNewThrottle", 429), OutcomeClass::kThrottled);
  EXPECT_EQ(kms->Classify("BrandNewThing", 0), OutcomeClass::kClientError);
  EXPECT_EQ(kms->Classify("", 503), OutcomeClass::kServerError);
}

TEST(CatalogTest, RejectsBrokenCatalogsNamingTheField) {
  auto r =
      Catalog::Parse(R"({"services":{"kms":{"versions":[{"id":"x","effective_from":"2022-11-29",
      "commitment_pct":"99.999","tiers":[{"below_pct":"99.9x","credit_pct":"10"}],
      "minimum_credit_usd":"1"}]}}})",
                     "my.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("my.json: services.kms.versions[0].tiers[0].below_pct"),
            std::string::npos)
      << r.status().message();
  EXPECT_FALSE(Catalog::Parse("{not json", "x.json").ok());
  EXPECT_FALSE(Catalog::Parse(R"({"services":{"kms":{"versions":[]}}})", "x.json").ok());
}

// The store counts in cells of the finest interval: 60 s and 300 s versions
// fit 60 s cells; 120 s and 300 s versions have no common cell.
TEST(CatalogTest, IntervalsMustShareTheFinestCell) {
  auto catalog = [](int a, int b) {
    auto version = [](const char* id, const char* from, int seconds) {
      return std::string(R"({"id":")") + id + R"(","effective_from":")" + from +
             R"(","commitment_pct":"99.999","tiers":[{"below_pct":"99.999","credit_pct":"10"}],)" +
             R"("minimum_credit_usd":"1","interval_seconds":)" + std::to_string(seconds) + "}";
    };
    return Catalog::Parse(R"({"services":{"kms":{"versions":[)" + version("a", "2019-01-01", a) +
                              "," + version("b", "2022-11-29", b) + "]}}}",
                          "c.json");
  };
  auto ok = catalog(60, 300);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ((*ok)->FinestIntervalMs(), 60000);
  EXPECT_EQ(Catalog::Default()->FinestIntervalMs(), 300000);
  auto longer = catalog(600, 900);
  ASSERT_TRUE(longer.ok()) << longer.status().message();
  EXPECT_EQ((*longer)->FinestIntervalMs(), 300000);  // cells never exceed 5 minutes
  auto bad = catalog(120, 300);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("c.json: services.kms version b: interval_seconds 300"),
            std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace recoup::sla
