#include "recoup/aws/config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "recoup/aws/config_test_util.h"

namespace recoup::aws {
namespace {

using testing::ScopedEnv;
using testing::TempDir;

// ---- INI parsing --------------------------------------------------------------

TEST(ParseIniTest, FollowsBotocoreRules) {
  const char* text =
      "# leading comment\n"
      "; another\n"
      "[default]\n"
      "Region = us-west-2 # not a comment\n"
      "  # indented comment\n"
      "output: json\r\n"
      "EMPTY =\n"
      "s3 =\n"
      "  endpoint_url = http://localhost:9000\n"
      "\n"
      "  Addressing_Style=path\n"
      "multi = first\n"
      "    second\n"
      "[ profile dev ]\n"
      "region=eu-west-1\n";
  Result<IniFile> ini = ParseIni(text, "cfg");
  ASSERT_TRUE(ini.ok()) << ini.status().ToString();
  ASSERT_EQ(ini->sections.size(), 2u);
  const IniSection& d = ini->sections[0];
  EXPECT_EQ(d.name, "default");
  EXPECT_EQ(d.line, 3);
  EXPECT_EQ(d.values.at("region"), "us-west-2 # not a comment");
  EXPECT_EQ(d.values.at("output"), "json");
  EXPECT_EQ(d.values.at("empty"), "");
  EXPECT_EQ(d.values.at("multi"), "first\nsecond");
  ASSERT_EQ(d.subsections.count("s3"), 1u);
  EXPECT_EQ(d.subsections.at("s3").at("endpoint_url"), "http://localhost:9000");
  EXPECT_EQ(d.subsections.at("s3").at("Addressing_Style"), "path");
  EXPECT_EQ(d.key_lines.at("s3"), 8);
  EXPECT_EQ(ini->sections[1].name, "profile dev");
  EXPECT_EQ(ini->sections[1].values.at("region"), "eu-west-1");
}

TEST(ParseIniTest, ErrorsNameFileLineAndKey) {
  const struct {
    const char* text;
    const char* file;
    std::vector<std::string> expect;  // in the message
  } cases[] = {
      {"[default]\nregion = a\nREGION = b\n", "/x/config", {"/x/config:3", "'region'"}},
      {"region = a\n", "cfg", {"cfg:1"}},              // outside a section
      {"[default]\n\njunk line\n", "cfg", {"cfg:3"}},  // no '='
      {"[a]\n[a]\n", "cfg", {"cfg:2"}},                // section twice
      {"[a]\ns3 =\n  nonsense\n", "cfg", {"'s3'"}},    // bad sub-section line
  };
  for (const auto& c : cases) {
    Result<IniFile> ini = ParseIni(c.text, c.file);
    ASSERT_FALSE(ini.ok()) << c.text;
    EXPECT_EQ(ini.status().code(), StatusCode::kInvalidArgument) << c.text;
    for (const std::string& part : c.expect) {
      EXPECT_NE(ini.status().message().find(part), std::string::npos) << ini.status().message();
    }
  }
}

// ---- Loading and profiles -------------------------------------------------------

class AwsConfigTest : public ::testing::Test {
 protected:
  void WriteFiles(const std::string& config, const std::string& credentials) {
    env_.Set("AWS_CONFIG_FILE", dir_.Write("cfg/config", config));
    env_.Set("AWS_SHARED_CREDENTIALS_FILE", dir_.Write("cfg/credentials", credentials));
  }
  ScopedEnv env_;
  TempDir dir_;
};

TEST_F(AwsConfigTest, DefaultPathsUnderHome) {
  env_.Set("HOME", dir_.path());
  dir_.Write(".aws/config", "[default]\nregion = ap-south-1\n");
  dir_.Write(".aws/credentials", "[default]\naws_access_key_id = AKIDHOME\n");
  Result<AwsConfig> config = AwsConfig::Load();
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->profile_name(), "default");
  EXPECT_EQ(*config->Region(), "ap-south-1");
  EXPECT_EQ(config->profile().Get("aws_access_key_id"), "AKIDHOME");
}

TEST_F(AwsConfigTest, MissingFilesAreEmpty) {
  env_.Set("HOME", dir_.path());
  Result<AwsConfig> config = AwsConfig::Load();
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->Region().status().code(), StatusCode::kNotFound);
}

TEST_F(AwsConfigTest, MergesFilesAndSections) {
  WriteFiles(
      "[default]\nregion = us-east-2\noutput = text\n"
      "[profile default]\nregion = us-west-1\n"
      "[sso-session corp]\nsso_region = us-east-1\n"
      "[profile dev]\nregion = eu-west-1\naws_access_key_id = FROMCONFIG\n",
      "[dev]\naws_access_key_id = FROMCREDS\n[only-creds]\nregion = sa-east-1\n");
  Result<AwsConfig> config = AwsConfig::Load();
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  // [profile default] overrides [default]; other keys of [default] stay.
  EXPECT_EQ(config->profile().Get("region"), "us-west-1");
  EXPECT_EQ(config->profile().Get("output"), "text");
  const Profile* dev = config->FindProfile("dev");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->Get("aws_access_key_id"), "FROMCREDS");  // credentials file wins
  EXPECT_NE(dev->Describe("aws_access_key_id").find("credentials:2"), std::string::npos);
  EXPECT_NE(config->FindProfile("only-creds"), nullptr);
  EXPECT_EQ(config->FindProfile("corp"), nullptr);
}

TEST_F(AwsConfigTest, ProfileSelection) {
  WriteFiles("[profile a]\nregion = r-a\n[profile b]\nregion = r-b\n", "");
  Result<AwsConfig> by_default = AwsConfig::Load();
  ASSERT_TRUE(by_default.ok());
  EXPECT_EQ(by_default->profile_name(), "default");

  env_.Set("AWS_PROFILE", "a");
  Result<AwsConfig> by_env = AwsConfig::Load();
  ASSERT_TRUE(by_env.ok());
  EXPECT_EQ(by_env->profile_name(), "a");
  EXPECT_EQ(*by_env->Region(), "r-a");

  Result<AwsConfig> explicit_name = AwsConfig::Load({.profile = "b", .env = {}});
  ASSERT_TRUE(explicit_name.ok());
  EXPECT_EQ(*explicit_name->Region(), "r-b");

  Result<AwsConfig> missing = AwsConfig::Load({.profile = "nope", .env = {}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("'nope'"), std::string::npos);
}

TEST_F(AwsConfigTest, SyntaxErrorNamesFile) {
  WriteFiles("[default]\nregion\n", "");
  Result<AwsConfig> config = AwsConfig::Load();
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("cfg/config:2"), std::string::npos);
}

TEST_F(AwsConfigTest, RegionPrecedence) {
  WriteFiles("[default]\nregion = from-profile\n", "");
  auto region = [] { return *AwsConfig::Load()->Region(); };
  EXPECT_EQ(region(), "from-profile");
  env_.Set("AWS_DEFAULT_REGION", "from-default-region");
  EXPECT_EQ(region(), "from-default-region");
  env_.Set("AWS_REGION", "from-region");
  EXPECT_EQ(region(), "from-region");
  env_.Set("AWS_REGION", "");  // empty counts as unset
  EXPECT_EQ(region(), "from-default-region");
}

// ---- Endpoints ------------------------------------------------------------------

TEST(ServiceIdTest, Conversions) {
  EXPECT_EQ(ServiceIdToEnvSuffix("Cost Explorer"), "COST_EXPLORER");
  EXPECT_EQ(ServiceIdToEnvSuffix("Support"), "SUPPORT");
  EXPECT_EQ(ServiceIdToEnvSuffix("S3"), "S3");
  EXPECT_EQ(ServiceIdToConfigKey("Cost Explorer"), "cost_explorer");
}

TEST(EndpointUrlTest, Split) {
  auto split = [](const char* url) {
    EndpointUrlParts p = SplitEndpointUrl(url);
    return p.scheme + "|" + p.authority + "|" + p.base_path;
  };
  EXPECT_EQ(split("http://127.0.0.1:5000"), "http|127.0.0.1:5000|");
  EXPECT_EQ(split("https://vpce-1.kms.eu-west-1.vpce.amazonaws.com/"),
            "https|vpce-1.kms.eu-west-1.vpce.amazonaws.com|");
  EXPECT_EQ(split("http://localhost:4566/proxy/aws//"), "http|localhost:4566|/proxy/aws");
  EXPECT_EQ(split("kms.eu-west-1.amazonaws.com"), "https|kms.eu-west-1.amazonaws.com|");
}

TEST(DefaultEndpointTest, Partitions) {
  auto url = [](const char* service, const char* region) {
    Result<Endpoint> e = DefaultEndpoint(service, region);
    return e.ok() ? e->url + " " + e->signing_region : e.status().ToString();
  };
  EXPECT_EQ(url("STS", "eu-west-1"), "https://sts.eu-west-1.amazonaws.com eu-west-1");
  EXPECT_EQ(url("S3", "us-east-1"), "https://s3.us-east-1.amazonaws.com us-east-1");
  EXPECT_EQ(url("Support", "eu-west-1"), "https://support.us-east-1.amazonaws.com us-east-1");
  EXPECT_EQ(url("Cost Explorer", "ap-southeast-2"), "https://ce.us-east-1.amazonaws.com us-east-1");
  EXPECT_EQ(url("Organizations", "eu-central-1"),
            "https://organizations.us-east-1.amazonaws.com us-east-1");
  EXPECT_EQ(url("Health", "eu-west-1"), "https://global.health.amazonaws.com us-east-1");
  EXPECT_EQ(url("STS", "cn-north-1"), "https://sts.cn-north-1.amazonaws.com.cn cn-north-1");
  EXPECT_EQ(url("Cost Explorer", "cn-north-1"),
            "https://ce.cn-northwest-1.amazonaws.com.cn cn-northwest-1");
  EXPECT_EQ(url("Support", "cn-northwest-1"),
            "https://support.cn-north-1.amazonaws.com.cn cn-north-1");
  EXPECT_EQ(url("Support", "us-gov-east-1"),
            "https://support.us-gov-west-1.amazonaws.com us-gov-west-1");
  Result<Endpoint> bad = DefaultEndpoint("STS", "evil.com/x");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(AwsConfigTest, EndpointPrecedence) {
  WriteFiles(
      "[default]\nendpoint_url = https://profile.example\nservices = local\n"
      "[services local]\ncost explorer = \n  endpoint_url = http://ignored\n"
      "cost_explorer =\n  endpoint_url = http://ce.services.example/\n"
      "s3 =\n  endpoint_url = http://s3.services.example\n",
      "");
  auto resolve = [](const char* service) {
    Result<AwsConfig> config = AwsConfig::Load();
    if (!config.ok()) return config.status().ToString();
    Result<Endpoint> e = config->ResolveEndpoint(service, "eu-west-1");
    return e.ok() ? e->url + " " + e->source : e.status().ToString();
  };
  // Profile endpoint_url, then the services section.
  EXPECT_EQ(resolve("STS"), "https://profile.example profile 'default' (" + dir_.path() +
                                "/cfg/config:2) key 'endpoint_url'");
  EXPECT_EQ(resolve("Cost Explorer").substr(0, 27), "http://ce.services.example ");
  EXPECT_EQ(resolve("S3").substr(0, 27), "http://s3.services.example ");
  // Global env beats the config file.
  env_.Set("AWS_ENDPOINT_URL", "http://global.env:1234");
  EXPECT_EQ(resolve("S3"), "http://global.env:1234 AWS_ENDPOINT_URL");
  // Service-specific env beats everything.
  env_.Set("AWS_ENDPOINT_URL_COST_EXPLORER", "http://localhost:5000/");
  EXPECT_EQ(resolve("Cost Explorer"), "http://localhost:5000 AWS_ENDPOINT_URL_COST_EXPLORER");
  env_.Set("AWS_ENDPOINT_URL_SUPPORT", "http://support.local");
  EXPECT_EQ(resolve("Support"), "http://support.local AWS_ENDPOINT_URL_SUPPORT");
  EXPECT_EQ(resolve("S3"), "http://global.env:1234 AWS_ENDPOINT_URL");
  // The switch turns every configured URL off.
  env_.Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE");
  EXPECT_EQ(resolve("Cost Explorer"), "https://ce.us-east-1.amazonaws.com default");
  EXPECT_EQ(resolve("STS"), "https://sts.eu-west-1.amazonaws.com default");
}

TEST_F(AwsConfigTest, IgnoreEndpointUrlsInProfile) {
  WriteFiles("[default]\nendpoint_url = https://p.example\nignore_configured_endpoint_urls=true\n",
             "");
  env_.Set("AWS_ENDPOINT_URL_STS", "http://x");
  Result<Endpoint> e = AwsConfig::Load()->ResolveEndpoint("STS", "us-west-2");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->url, "https://sts.us-west-2.amazonaws.com");
  // The environment variable overrides the profile setting.
  env_.Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false");
  EXPECT_EQ(AwsConfig::Load()->ResolveEndpoint("STS", "us-west-2")->url, "http://x");
}

TEST_F(AwsConfigTest, EndpointErrors) {
  WriteFiles("[default]\nservices = missing\n[profile bad]\nendpoint_url = ftp://x\n", "");
  Result<Endpoint> missing = AwsConfig::Load()->ResolveEndpoint("STS", "us-east-1");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("services missing"), std::string::npos);
  EXPECT_NE(missing.status().message().find("config:2"), std::string::npos);

  Result<Endpoint> bad =
      AwsConfig::Load({.profile = "bad", .env = {}})->ResolveEndpoint("STS", "us-east-1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("config:4"), std::string::npos);
  EXPECT_NE(bad.status().message().find("endpoint_url"), std::string::npos);
}

TEST(AwsConfigInjectedEnvTest, UsesInjectedEnvironment) {
  Env env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_REGION") return "injected-1";
    return std::nullopt;
  };
  Result<AwsConfig> config = AwsConfig::FromText("", "c", "", "k", {.profile = {}, .env = env});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(*config->Region(), "injected-1");
}

}  // namespace
}  // namespace recoup::aws
