#include "recoup/serve/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

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
      {"[serve\n", "t.toml:1:"},
  };
  for (const auto& c : kCases) {
    auto config = ParseServeConfig(c.toml, "t.toml");
    ASSERT_FALSE(config.ok()) << c.toml;
    EXPECT_NE(config.status().message().find(c.want), std::string::npos)
        << config.status().message();
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
  };
  for (const auto& c : kCases) {
    auto config = ParseServeConfig(c.toml, "t.toml");
    ASSERT_FALSE(config.ok()) << c.toml;
    EXPECT_EQ(config.status().message(), c.message);
  }
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
