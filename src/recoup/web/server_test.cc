#include "recoup/web/server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>

#include "recoup/core/clock.h"
#include "recoup/storage/store.h"

namespace recoup::web {
namespace {

using json = nlohmann::json;

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("recoup_web_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

constexpr const char* kToken = "s3cret-token-0123456789";

// Creates and starts a server of either kind on a free port, without logs.
template <class Server, class Options>
std::unique_ptr<Server> Started(Options o) {
  o.port = 0;
  o.log = [](const std::string&) {};
  auto s = Server::Create(std::move(o));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  EXPECT_TRUE((*s)->Start().ok());
  return std::move(s).value();
}

// The dashboard reads a store that `recoup serve` or `ingest` created; it
// never creates one.
void CreateStore(const std::string& path) {
  auto s = storage::OpenSqliteStore(path);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
}

std::unique_ptr<WebServer> StartWeb(const std::string& store, std::string token = "",
                                    LiveStateProvider live = {}, const Clock* clock = nullptr) {
  if (!std::filesystem::exists(store) &&
      std::filesystem::exists(std::filesystem::path(store).parent_path())) {
    CreateStore(store);
  }
  WebOptions o;
  o.store_path = store;
  o.token = std::move(token);
  o.live_state = std::move(live);
  o.clock = clock;
  return Started<WebServer>(std::move(o));
}

TEST(WebServer, RefusesNonLoopbackWithoutToken) {
  WebOptions o;
  o.bind = "0.0.0.0";
  o.store_path = "/nonexistent/x.db";
  auto s = WebServer::Create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("token is required"), std::string::npos);
  o.token = "short";
  s = WebServer::Create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("at least 16"), std::string::npos);
  o.token = kToken;
  EXPECT_TRUE(WebServer::Create(o).ok());
  EXPECT_TRUE(IsLoopback("127.0.0.1"));
  EXPECT_TRUE(IsLoopback("::1"));
  EXPECT_FALSE(IsLoopback("0.0.0.0"));
  EXPECT_FALSE(IsLoopback("192.168.1.2"));
  EXPECT_TRUE(IsLoopback("127.0.0.2"));
  EXPECT_FALSE(IsLoopback("127.attacker.com"));
  EXPECT_FALSE(IsLoopback("127.0.0.1.nip.io"));
}

TEST(WebServer, RoutesPageAssetsApiAndMetrics) {
  TempDir dir;
  const std::string store = dir.File("recoup.db");
  {
    auto st = storage::OpenSqliteStore(store);
    ASSERT_TRUE(st.ok());
  }
  auto live = [] {
    LiveState s;
    AlertView a;
    a.id = "tier-111122223333-us-east-1";
    a.kind = "tier_crossed";
    a.severity = "critical";
    a.state = "open";
    a.account = "111122223333";
    a.region = "us-east-1";
    a.summary = "KMS us-east-1 below 99.999%";
    a.credit_usd = "41.24";
    a.credit_usd_exact = "41.237";
    s.alerts.push_back(a);
    SourceHealth h;
    h.name = "otlp";
    h.kind = "otlp";
    h.state = "running";
    h.events_in = 42;
    h.rejected = 3;
    h.lag_ms = 1500;
    s.sources.push_back(h);
    return s;
  };
  auto web = StartWeb(store, "", live);
  ASSERT_NE(web, nullptr);
  ASSERT_GT(web->port(), 0);
  httplib::Client c("127.0.0.1", web->port());

  auto r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("<title>recoup"), std::string::npos);
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  for (const char* a : {"/assets/app.js", "/assets/style.css", "/assets/uPlot.iife.min.js",
                        "/assets/uPlot.min.css"}) {
    r = c.Get(a);
    ASSERT_TRUE(r) << a;
    EXPECT_EQ(r->status, 200) << a;
    EXPECT_GT(r->body.size(), 100u) << a;
  }
  EXPECT_EQ(c.Get("/assets/nope.js")->status, 404);
  EXPECT_EQ(c.Get("/api/nope")->status, 404);

  r = c.Get("/api/months");
  ASSERT_EQ(r->status, 200);
  json j = json::parse(r->body);
  ASSERT_TRUE(j["months"].is_array());
  EXPECT_EQ(j["months"][0]["month"], j["current_month"]);

  r = c.Get("/api/alerts");
  ASSERT_EQ(r->status, 200);
  j = json::parse(r->body);
  ASSERT_EQ(j["alerts"].size(), 1u);
  EXPECT_EQ(j["alerts"][0]["id"], "tier-111122223333-us-east-1");
  EXPECT_EQ(j["alerts"][0]["credit_usd"], "41.24");
  EXPECT_EQ(j["alerts"][0]["credit_usd_exact"], "41.237");
  EXPECT_TRUE(j["alerts"][0]["month"].is_null());  // unknown: null, not ""

  r = c.Get("/api/status");
  ASSERT_EQ(r->status, 200);
  j = json::parse(r->body);
  EXPECT_EQ(j["sources"][0]["events_in"], 42);
  EXPECT_EQ(j["alerts_open"], 1);

  r = c.Get("/api/intervals?month=2026-10");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("account and region"), std::string::npos);
  r = c.Get("/api/series?month=2026-13");
  EXPECT_EQ(r->status, 400);
  r = c.Get("/api/intervals?month=2026-10&account=111122223333&region=us-east-1");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["t"].size(), 0u);
  r = c.Get("/api/health-events?month=2026-10");
  ASSERT_EQ(r->status, 200);
  EXPECT_TRUE(json::parse(r->body)["events"].is_array());
  r = c.Get("/api/claims");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["claims"].size(), 0u);

  r = c.Get("/metrics");
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_NE(r->body.find("# TYPE recoup_mup_percent gauge"), std::string::npos);
  EXPECT_NE(r->body.find("recoup_source_events_in_total{source=\"otlp\",kind=\"otlp\"} 42"),
            std::string::npos);
  EXPECT_NE(r->body.find("recoup_source_lag_seconds{source=\"otlp\",kind=\"otlp\"} 1.5"),
            std::string::npos);
  EXPECT_NE(r->body.find("recoup_alerts_open 1"), std::string::npos);

  // Only GET; only loopback Host names without a token (DNS rebinding).
  EXPECT_EQ(c.Post("/api/months", "{}", "application/json")->status, 405);
  r = c.Get("/api/months", {{"Host", "attacker.example:8080"}});
  EXPECT_EQ(r->status, 421);
  EXPECT_EQ(c.Get("/api/months", {{"Host", "localhost:8080"}})->status, 200);
  web->Stop();
  web->Stop();  // idempotent
}

// /metrics and /api/months keep their figures between scrapes; what another
// process commits must show on the next one.
TEST(WebServer, FiguresFollowCommitsFromOtherProcesses) {
  TempDir dir;
  const std::string path = dir.File("recoup.db");
  auto writer = storage::OpenSqliteStore(path);
  ASSERT_TRUE(writer.ok());
  const int64_t now = 1791969120250;  // 2026-10-14T09:12:00.250Z
  FakeClock clock(now);
  auto web = StartWeb(path, "", {}, &clock);
  ASSERT_NE(web, nullptr);
  httplib::Client c("127.0.0.1", web->port());
  const std::string sample =
      "recoup_month_requests{account=\"111122223333\",region=\"us-east-1\",service=\"kms\","
      "month=\"" +
      YearMonth::FromMs(now).ToString() + "\"} ";
  auto commit = [&](const std::string& name, int successes) {
    aggregation::Aggregator agg;
    for (int i = 0; i < successes; ++i) {
      events::EventView e;
      e.time_ms = now - i;
      e.account = "111122223333";
      e.region = "us-east-1";
      e.service = "kms";
      e.operation = "Decrypt";
      e.outcome = events::OutcomeClass::kSuccess;
      e.source = events::SourceKind::kCloudTrail;
      agg.Add(e);
    }
    storage::FileBatchItem item;
    item.entry.sha256 = name;
    item.entry.path = "/evidence/" + name;
    item.entry.status = "ok";
    item.agg = &agg;
    std::vector<storage::ItemOutcome> out;
    ASSERT_TRUE((*writer)->CommitFiles({item}, &out).ok());
  };
  auto metrics = [&] {
    auto r = c.Get("/metrics");
    EXPECT_TRUE(r && r->status == 200);
    return r ? r->body : std::string();
  };
  EXPECT_EQ(metrics().find(sample), std::string::npos);
  commit("one", 3);
  EXPECT_NE(metrics().find(sample + "3\n"), std::string::npos);
  EXPECT_NE(metrics().find(sample + "3\n"), std::string::npos);  // unchanged store, same figure
  commit("two", 4);
  EXPECT_NE(metrics().find(sample + "7\n"), std::string::npos);
  auto r = c.Get("/api/months");
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(json::parse(r->body)["months"][0]["series"][0]["requests"], 7);
  web->Stop();
}

TEST(WebServer, BearerTokenGuardsDataButNotThePage) {
  TempDir dir;
  auto web = StartWeb(dir.File("recoup.db"), kToken);
  ASSERT_NE(web, nullptr);
  httplib::Client c("127.0.0.1", web->port());
  EXPECT_EQ(c.Get("/")->status, 200);
  EXPECT_EQ(c.Get("/assets/app.js")->status, 200);
  for (const char* p : {"/api/status", "/api/months", "/metrics"}) {
    auto r = c.Get(p);
    EXPECT_EQ(r->status, 401) << p;
    EXPECT_EQ(r->body.find(kToken), std::string::npos);
    EXPECT_EQ(c.Get(p, {{"Authorization", "Bearer wrong-token-0123456789"}})->status, 401);
    EXPECT_EQ(c.Get(p, {{"Authorization", std::string("Basic ") + kToken}})->status, 401);
    EXPECT_EQ(c.Get(p, {{"Authorization", std::string("Bearer ") + kToken + "x"}})->status, 401);
    EXPECT_EQ(c.Get(p, {{"Authorization", std::string("Bearer ") + kToken}})->status, 200) << p;
  }
  // With a token too, only this machine's names and the configured ones.
  EXPECT_EQ(c.Get("/api/status", {{"Authorization", std::string("Bearer ") + kToken},
                                  {"Host", "recoup.internal:8080"}})
                ->status,
            421);
}

TEST(WebServer, ConfiguredHostNamesAreAnswered) {
  TempDir dir;
  WebOptions o;
  o.port = 0;
  o.store_path = dir.File("recoup.db");
  CreateStore(o.store_path);
  o.limits.allowed_hosts = {"recoup.internal"};
  o.log = [](const std::string&) {};
  auto web = Started<WebServer>(std::move(o));
  ASSERT_NE(web, nullptr);
  httplib::Client c("127.0.0.1", web->port());
  EXPECT_EQ(c.Get("/api/status", {{"Host", "recoup.internal:8080"}})->status, 200);
  EXPECT_EQ(c.Get("/api/status", {{"Host", "RECOUP.internal"}})->status, 200);
  EXPECT_EQ(c.Get("/api/status", {{"Host", "recoup.internal.attacker.com"}})->status, 421);
  EXPECT_EQ(c.Get("/api/status", {{"Host", "127.attacker.com"}})->status, 421);
}

TEST(HostHeader, OnlyExactNamesPass) {
  const std::vector<std::string> none;
  for (const char* ok : {"localhost", "localhost:8080", "127.0.0.1", "127.0.0.1:1", "[::1]",
                         "[::1]:4318", "LocalHost"}) {
    EXPECT_TRUE(HostHeaderAllowed(ok, none)) << ok;
  }
  for (const char* bad :
       {"127.attacker.com", "127.0.0.1.nip.io", "localhost.attacker.com", "attacker.com",
        "127.0.0.2", "[::1].x", "[::1]x", "localhost:", "localhost:80:80", "localhost:http", "::1",
        "", "[::1", "[]", "127.0.0.1:123456"}) {
    EXPECT_FALSE(HostHeaderAllowed(bad, none)) << bad;
  }
  const std::vector<std::string> names{"recoup.internal", "fd00::5"};
  EXPECT_TRUE(HostHeaderAllowed("recoup.internal:8080", names));
  EXPECT_TRUE(HostHeaderAllowed("[fd00::5]:8080", names));
  EXPECT_FALSE(HostHeaderAllowed("xrecoup.internal", names));
  EXPECT_FALSE(HostHeaderAllowed("recoup.internal.", names));
}

TEST(WebServer, OversizedHeadersAre431) {
  TempDir dir;
  auto web = StartWeb(dir.File("recoup.db"));
  ASSERT_NE(web, nullptr);
  httplib::Client c("127.0.0.1", web->port());
  auto r = c.Get("/api/status", {{"X-Big", std::string(20000, 'a')}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  httplib::Headers many;
  for (int i = 0; i < 100; ++i) many.emplace("X-H" + std::to_string(i), "1");
  r = c.Get("/api/status", many);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(c.Get("/api/status")->status, 200);
}

TEST(WebServer, BindFailureNamesTheAddress) {
  TempDir dir;
  auto first = StartWeb(dir.File("a.db"));
  ASSERT_NE(first, nullptr);
  WebOptions o;
  o.port = first->port();
  o.store_path = dir.File("b.db");
  o.log = [](const std::string&) {};
  auto second = WebServer::Create(o);
  ASSERT_TRUE(second.ok());
  Status st = (*second)->Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("127.0.0.1:" + std::to_string(first->port())), std::string::npos);
}

// ---- OTLP receiver ----

const char* kSpan = R"({"resourceSpans":[{"resource":{"attributes":[
  {"key":"cloud.account.id","value":{"stringValue":"111122223333"}}]},
  "scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",
  "spanId":"eee19b7ec3c1b174","name":"KMS.Encrypt","kind":3,
  "startTimeUnixNano":"1791969120250000000","endTimeUnixNano":"1791969120290000000",
  "attributes":[
  {"key":"rpc.system","value":{"stringValue":"aws-api"}},
  {"key":"rpc.service","value":{"stringValue":"KMS"}},
  {"key":"rpc.method","value":{"stringValue":"Encrypt"}},
  {"key":"cloud.region","value":{"stringValue":"us-east-1"}},
  {"key":"aws.request.id","value":{"stringValue":"req-1"}},
  {"key":"http.status_code","value":{"intValue":200}}]}]}]}]})";

struct Sink {
  std::mutex mu;
  std::vector<events::Event> got;
  std::atomic<bool> fail{false};
  EventsSink fn() {
    return [this](std::vector<events::Event> evs) -> Status {
      if (fail) return Unavailable("disk full");
      std::lock_guard<std::mutex> lock(mu);
      for (auto& e : evs) got.push_back(std::move(e));
      return Status::Ok();
    };
  }
};

std::unique_ptr<OtlpReceiver> StartOtlp(Sink* sink, std::string token = "",
                                        size_t max_body = 8 * 1024 * 1024) {
  OtlpOptions o;
  o.token = std::move(token);
  o.sink = sink->fn();
  o.max_body_bytes = max_body;
  return Started<OtlpReceiver>(std::move(o));
}

// A client that sends its bodies gzip-encoded (the Collector's default).
httplib::Client GzipClient(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_compress(true);
  return c;
}

TEST(OtlpReceiver, AcceptsJsonAndAnswersAfterTheSink) {
  Sink sink;
  auto rx = StartOtlp(&sink);
  ASSERT_NE(rx, nullptr);
  httplib::Client c("127.0.0.1", rx->port());
  auto r = c.Post("/v1/traces", kSpan, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "{}");
  ASSERT_EQ(sink.got.size(), 1u);
  EXPECT_EQ(sink.got[0].operation, "Encrypt");
  EXPECT_EQ(sink.got[0].request_id, "req-1");
  const OtlpStats s = rx->stats();
  EXPECT_EQ(s.requests, 1);
  EXPECT_EQ(s.events_in, 1);
  EXPECT_EQ(s.last_event_ms, 1791969120250);

  // gzip-encoded bodies (the Collector's default).
  r = GzipClient(rx->port()).Post("/v1/traces", kSpan, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(sink.got.size(), 2u);

  // The sink failing means the events are not durable: 503, retry later.
  sink.fail = true;
  r = c.Post("/v1/traces", kSpan, "application/json");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(rx->stats().sink_failures, 1);
  EXPECT_EQ(sink.got.size(), 2u);
}

TEST(OtlpReceiver, RejectsBadRequestsWithClearMessages) {
  Sink sink;
  auto rx = StartOtlp(&sink, "", 4096);
  ASSERT_NE(rx, nullptr);
  httplib::Client c("127.0.0.1", rx->port());
  auto r = c.Post("/v1/traces", kSpan, "text/plain");
  EXPECT_EQ(r->status, 415);
  EXPECT_NE(r->body.find("application/json or application/x-protobuf"), std::string::npos);
  r = c.Post("/v1/traces", "{\"resourceSpans\":7}", "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("resourceSpans: not an array"), std::string::npos);
  r = c.Post("/v1/traces", "\x0a\xff\xff", "application/x-protobuf");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(c.Get("/v1/traces")->status, 405);
  EXPECT_EQ(c.Post("/v1/metrics", "{}", "application/json")->status, 404);
  r = c.Post("/v1/traces", std::string(5000, ' ') + "{}", "application/json");
  EXPECT_EQ(r->status, 413);
  // A small gzip body that inflates past the limit.
  r = GzipClient(rx->port())
          .Post("/v1/traces", std::string(100000, ' ') + "{}", "application/json");
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("(decoded)"), std::string::npos) << r->body;
  httplib::Headers br{{"Content-Encoding", "compress"}};
  EXPECT_EQ(c.Post("/v1/traces", br, "x", "application/json")->status, 415);
  EXPECT_TRUE(sink.got.empty());
  EXPECT_GE(rx->stats().rejected_requests, 6);
}

TEST(OtlpReceiver, RefusesNestingBombsAndWrongHostsBeforeParsing) {
  Sink sink;
  auto rx = StartOtlp(&sink);
  ASSERT_NE(rx, nullptr);
  httplib::Client c("127.0.0.1", rx->port());
  auto r = c.Post("/v1/traces", std::string(1 << 20, '['), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("nesting deeper than 64"), std::string::npos) << r->body;
  r = c.Post("/v1/traces", {{"Host", "127.attacker.com"}}, kSpan, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 421);
  EXPECT_EQ(c.Post("/v1/traces", kSpan, "Application/JSON; charset=utf-8")->status, 200);
  EXPECT_EQ(sink.got.size(), 1u);
}

TEST(OtlpReceiver, TokenRequiredWhenSet) {
  Sink sink;
  auto rx = StartOtlp(&sink, kToken);
  ASSERT_NE(rx, nullptr);
  httplib::Client c("127.0.0.1", rx->port());
  EXPECT_EQ(c.Post("/v1/traces", kSpan, "application/json")->status, 401);
  httplib::Headers auth{{"Authorization", std::string("Bearer ") + kToken}};
  EXPECT_EQ(c.Post("/v1/traces", auth, kSpan, "application/json")->status, 200);
  EXPECT_EQ(sink.got.size(), 1u);
}

}  // namespace
}  // namespace recoup::web
