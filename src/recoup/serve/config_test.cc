#include "recoup/serve/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

namespace recoup::serve {
namespace {

TEST(ServeConfig, DefaultsAreTheIssuePorts) {
  auto c = LoadServeConfig("");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->csm.listen.ToString(), "127.0.0.1:31000");
  EXPECT_EQ(c->otlp.listen.ToString(), "127.0.0.1:4318");
  EXPECT_EQ(c->dashboard.ToString(), "127.0.0.1:8080");
}

TEST(ServeConfig, ParsesEverySection) {
  auto c = ParseServeConfig(R"(
[serve]
account = "111122223333"
grace = "90s"
[sources.csm]
listen = "127.0.0.1:31001"
access_keys = { AKIAEXAMPLE = "444455556666" }
[[sources.jsonl]]
path = "/var/log/app.jsonl"
mapping = "request_id=aws.request_id"
[[probes]]
region = "eu-west-1"
key_id = "alias/canary"
every = "30s"
[alerts]
min_requests = 10
on_open_interval = true
[[alerts.channels]]
type = "email"
url = "smtp://127.0.0.1:2525"
from = "recoup@example.com"
to = ["oncall@example.com"]
[[alerts.channels]]
name = "hook"
type = "webhook"
url = "http://127.0.0.1:9000/hook"
)",
                            "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->account, "111122223333");
  EXPECT_EQ(c->grace_ms, 90000);
  EXPECT_EQ(c->csm.listen.port, 31001);
  EXPECT_EQ(c->csm.access_key_accounts.at("AKIAEXAMPLE"), "444455556666");
  ASSERT_EQ(c->jsonl.size(), 1u);
  ASSERT_EQ(c->probes.size(), 1u);
  EXPECT_EQ(c->probes[0].every_ms, 30000);
  ASSERT_EQ(c->alerts.channels.size(), 2u);
  EXPECT_EQ(c->alerts.channels[0].name, "email-0");
  EXPECT_EQ(c->alerts.channels[1].name, "hook");
  EXPECT_TRUE(c->alerts.on_open_interval);
}

TEST(ServeConfig, ErrorsNameTheKeyPath) {
  const struct {
    const char* toml;
    const char* want;  // a part of the message
  } kCases[] = {
      {"[sources.csm]\nlisten = \"nope\"\n", "t.toml: sources.csm.listen"},
      {"[alerts]\nchannel = []\n", "alerts.channel: unknown key"},
      {"[[alerts.channels]]\ntype = \"pager\"\n", "alerts.channels[0].type"},
      {"[dashboard]\nlisten = \"0.0.0.0:8080\"\n", "dashboard.token"},
      {"[dashboard]\nlisten = \"127.attacker.com:8080\"\n", "dashboard.token"},
      {"[sources.csm]\nallow_from = [\"10.0.0.300\"]\n", "sources.csm.allow_from: '10.0.0.300'"},
      {"[sources.csm]\nallow_from = [\"10.0.0.0/33\"]\n", "sources.csm.allow_from"},
      {"[http]\nmax_header = 5\n", "http.max_header: unknown key"},
      {"[serve\n", "t.toml:1:"},
  };
  for (const auto& c : kCases) {
    auto config = ParseServeConfig(c.toml, "t.toml");
    ASSERT_FALSE(config.ok()) << c.toml;
    EXPECT_NE(config.status().message().find(c.want), std::string::npos)
        << config.status().message();
  }
}

TEST(ServeConfig, HttpLimitsAndCsmAllowList) {
  auto c = ParseServeConfig(R"(
[sources.csm]
allow_from = ["127.0.0.1", "10.1.2.0/24"]
[http]
max_connections = 64
max_header_bytes = 4096
header_timeout = "3s"
allowed_hosts = ["recoup.internal"]
)",
                            "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->csm.allow_from, (std::vector<std::string>{"127.0.0.1", "10.1.2.0/24"}));
  EXPECT_EQ(c->http.max_connections, 64);
  EXPECT_EQ(c->http.max_header_bytes, 4096);
  EXPECT_EQ(c->http.header_timeout_ms, 3000);
  EXPECT_EQ(c->http.read_timeout_ms, 60000);
  EXPECT_EQ(c->http.allowed_hosts, (std::vector<std::string>{"recoup.internal"}));
  uint32_t net = 0, mask = 0;
  ASSERT_TRUE(ParseIpv4Range("10.1.2.77/24", &net, &mask));
  EXPECT_EQ(net, 0x0a010200u);
  EXPECT_EQ(mask, 0xffffff00u);
  ASSERT_TRUE(ParseIpv4Range("127.0.0.1", &net, &mask));
  EXPECT_EQ(mask, 0xffffffffu);
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "1.2.3.256", "1.2.3.4/", "a.b.c.d", "1..2.3",
                          "1.2.3.4/x", " 1.2.3.4"}) {
    EXPECT_FALSE(ParseIpv4Range(bad, &net, &mask)) << bad;
  }
}

// Each key's rule and each section's check, with the whole message.
TEST(ServeConfig, RulesAndChecksSayWhatIsWanted) {
  const struct {
    const char* toml;
    const char* message;
  } kCases[] = {
      {"[serve]\ngrace = true\n", "t.toml: serve.grace: want a duration such as \"5m\""},
      {"[sources.csm]\nbogus = 1\n", "t.toml: sources.csm.bogus: unknown key"},
      {"[sources.csm]\nreceive_buffer_bytes = -1\n",
       "t.toml: sources.csm.receive_buffer_bytes: want a non-negative integer"},
      {"[sources.csm]\naccess_keys = { A = 1 }\n",
       "t.toml: sources.csm.access_keys.A: want a string"},
      {"[[sources.jsonl]]\nmapping = \"x\"\n", "t.toml: sources.jsonl[0].path: required"},
      {"[[sources.cloudtrail_s3]]\nurl = \"https://b/\"\n",
       "t.toml: sources.cloudtrail_s3[0].url: want s3://bucket/prefix/"},
      {"[[probes]]\nregion = \"r\"\noperations = [\"Encrypt\", \"Bogus\"]\n",
       "t.toml: probes[0].key_id: required for Encrypt"},
      {"[[probes]]\nregion = \"r\"\noperations = [\"Bogus\"]\nevery = 0\n",
       "t.toml: probes[0].operations: 'Bogus' (want GenerateRandom, Encrypt, Decrypt)"},
      {"[[probes]]\nregion = \"r\"\noperations = \"GenerateRandom\"\nevery = \"500ms\"\n",
       "t.toml: probes[0].every: at least 1s"},
      {"[[alerts.burn_windows]]\nlong = \"5m\"\nshort = \"1h\"\n",
       "t.toml: alerts.burn_windows[0].short: want 0 < short <= long"},
      {"[[alerts.burn_windows]]\nlong = \"1h\"\nshort = \"5m\"\n",
       "t.toml: alerts.burn_windows[0].budget_pct: required"},
      {"[[alerts.channels]]\ntype = \"slack\"\nurl = \"ftp://h\"\n",
       "t.toml: alerts.channels[0].url: want an http:// or https:// URL"},
      {"[[alerts.channels]]\ntype = \"email\"\nurl = \"smtp://h:25\"\n",
       "t.toml: alerts.channels[0].from: required for email"},
      {"[[alerts.channels]]\ntype = \"log\"\nto = [1]\n",
       "t.toml: alerts.channels[0].to[0]: want a string"},
      {"probes = 1\n", "t.toml: probes: want [[probes]]"},
      {"[[probes]]\nservice = \"ec2\"\nregion = \"r\"\n",
       "t.toml: probes[0].service: 'ec2' (want kms, dynamodb, sqs, secretsmanager or s3)"},
      {"[[probes]]\nservice = \"dynamodb\"\nregion = \"r\"\n",
       "t.toml: probes[0].resource: required for a dynamodb probe (a table name or ARN)"},
      {"[[probes]]\nservice = \"sqs\"\nregion = \"r\"\nresource = \"jobs\"\n",
       "t.toml: probes[0].resource: want the queue URL (https://...)"},
      {"[[probes]]\nservice = \"secretsmanager\"\nregion = \"r\"\nresource = \"s\"\n"
       "operations = [\"GetSecretValue\"]\n",
       "t.toml: probes[0].operations: 'GetSecretValue' (want DescribeSecret)"},
  };
  for (const auto& c : kCases) {
    auto config = ParseServeConfig(c.toml, "t.toml");
    ASSERT_FALSE(config.ok()) << c.toml;
    EXPECT_EQ(config.status().message(), c.message);
  }
}

TEST(ServeConfig, ProbesOfOtherServicesGetTheirOwnOperationAndSource) {
  auto c = ParseServeConfig(
      "[[probes]]\nservice = \"dynamodb\"\nregion = \"eu-west-1\"\nresource = \"orders\"\n"
      "[[probes]]\nregion = \"us-east-1\"\nkey_id = \"k\"\n",
      "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->probes.size(), 2u);
  EXPECT_EQ(c->probes[0].operations, (std::vector<std::string>{"DescribeTable"}));
  EXPECT_EQ(ProbeSourceName(c->probes[0]), "probe:dynamodb:eu-west-1");
  EXPECT_EQ(c->probes[1].service, "kms");
  EXPECT_EQ(c->probes[1].operations,
            (std::vector<std::string>{"GenerateRandom", "Encrypt", "Decrypt"}));
  EXPECT_EQ(ProbeSourceName(c->probes[1]), "probe:us-east-1");
}

TEST(ServeConfig, Durations) {
  EXPECT_EQ(*ParseDurationMs("250ms", "x"), 250);
  EXPECT_EQ(*ParseDurationMs("90", "x"), 90000);
  EXPECT_EQ(*ParseDurationMs("5m", "x"), 300000);
  EXPECT_EQ(*ParseDurationMs("3d", "x"), 3 * 86400000LL);
  EXPECT_FALSE(ParseDurationMs("5 minutes", "x").ok());
  EXPECT_FALSE(ParseDurationMs("", "x").ok());
}

}  // namespace
}  // namespace recoup::serve

namespace recoup::serve {
namespace {

TEST(ServeConfig, ThePackagedExampleIsValid) {
  const char* src = std::getenv("RECOUP_SOURCE_DIR");
  const std::string root = src != nullptr ? src : RECOUP_SOURCE_DIR_DEFAULT;
  auto c = LoadServeConfig(root + "/packaging/recoup.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->csm.listen.ToString(), "127.0.0.1:31000");
  EXPECT_EQ(c->otlp.listen.ToString(), "127.0.0.1:4318");
  EXPECT_EQ(c->dashboard.ToString(), "127.0.0.1:8080");
  EXPECT_EQ(c->grace_ms, 30000);
  ASSERT_EQ(c->alerts.channels.size(), 1u);
  EXPECT_EQ(c->alerts.channels[0].type, "log");
}

// The config search path of `recoup serve` without --config.
class ServeConfigSearch : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("recoup-config-search-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& rel) {
    const auto p = dir_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << "[serve]\n";
    return p.string();
  }
  Result<std::string> Find(const std::string& system_path) {
    return FindServeConfig(
        [this](const char* name) -> const char* {
          auto it = env_.find(name);
          return it == env_.end() ? nullptr : it->second.c_str();
        },
        system_path);
  }
  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ServeConfigSearch, RecoupConfigThenXdgThenEtc) {
  const std::string etc = Write("etc/recoup/recoup.toml");
  const std::string xdg = Write("xdg/recoup/recoup.toml");
  const std::string named = Write("named.toml");
  env_["XDG_CONFIG_HOME"] = (dir_ / "xdg").string();
  env_["HOME"] = (dir_ / "home").string();
  env_["RECOUP_CONFIG"] = named;
  EXPECT_EQ(*Find(etc), named);
  env_.erase("RECOUP_CONFIG");
  EXPECT_EQ(*Find(etc), xdg);
  env_["XDG_CONFIG_HOME"] = (dir_ / "empty").string();
  EXPECT_EQ(*Find(etc), etc);
  EXPECT_EQ(*Find((dir_ / "none.toml").string()), "");  // none: the defaults
}

TEST_F(ServeConfigSearch, HomeConfigWhenXdgIsUnset) {
  const std::string home = Write("home/.config/recoup/recoup.toml");
  env_["HOME"] = (dir_ / "home").string();
  EXPECT_EQ(*Find(""), home);
  env_["XDG_CONFIG_HOME"] = "";  // empty counts as unset
  EXPECT_EQ(*Find(""), home);
}

TEST_F(ServeConfigSearch, AMissingRecoupConfigIsAnError) {
  Write("xdg/recoup/recoup.toml");
  env_["XDG_CONFIG_HOME"] = (dir_ / "xdg").string();
  env_["RECOUP_CONFIG"] = (dir_ / "missing.toml").string();
  auto r = Find("");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("RECOUP_CONFIG=" + env_["RECOUP_CONFIG"]), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace recoup::serve

namespace recoup::serve {
namespace {

TEST(ServeConfig, SeriesBoundPerSourceAndMonth) {
  auto d = LoadServeConfig("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->max_series_per_source_month, 1000);
  auto c = ParseServeConfig("[serve]\nmax_series_per_source_month = 20\n", "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->max_series_per_source_month, 20);
  EXPECT_TRUE(ValidateServeConfig(*c).ok());
  auto zero = ParseServeConfig("[serve]\nmax_series_per_source_month = 0\n", "t.toml");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("serve.max_series_per_source_month"), std::string::npos)
      << zero.status().message();
}

}  // namespace
}  // namespace recoup::serve
