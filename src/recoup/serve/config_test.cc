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
  auto c = ParseServeConfig("[sources.csm]\nlisten = \"nope\"\n", "t.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("t.toml: sources.csm.listen"), std::string::npos)
      << c.status().message();
  c = ParseServeConfig("[alerts]\nchannel = []\n", "t.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("alerts.channel: unknown key"), std::string::npos);
  c = ParseServeConfig("[[alerts.channels]]\ntype = \"pager\"\n", "t.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("alerts.channels[0].type"), std::string::npos);
  c = ParseServeConfig("[dashboard]\nlisten = \"0.0.0.0:8080\"\n", "t.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("dashboard.token"), std::string::npos);
  c = ParseServeConfig("[serve\n", "t.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("t.toml:1:"), std::string::npos);
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
