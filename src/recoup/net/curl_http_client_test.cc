// Real HTTP against testdata_server.py on 127.0.0.1 (ephemeral port).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "recoup/net/http_client.h"
#include "recoup/net/retry.h"

namespace recoup::net {
namespace {

class CurlHttpClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    int in[2], out[2];
    ASSERT_EQ(pipe(in), 0);
    ASSERT_EQ(pipe(out), 0);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      dup2(in[0], STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      close(in[0]), close(in[1]), close(out[0]), close(out[1]);
      execlp(RECOUP_NET_TEST_PYTHON, RECOUP_NET_TEST_PYTHON, RECOUP_NET_TEST_SERVER,
             static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_fd_ = in[1];
    FILE* f = fdopen(out[0], "r");
    ASSERT_NE(f, nullptr);
    char line[32] = {};
    ASSERT_NE(fgets(line, sizeof line, f), nullptr) << "test server did not start";
    fclose(f);
    port_ = std::stoi(line);
    base_ = "http://127.0.0.1:" + std::to_string(port_);
  }

  static void TearDownTestSuite() {
    if (stdin_fd_ >= 0) close(stdin_fd_);  // the server exits on EOF
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }

  static HttpRequest Get(const std::string& path) {
    HttpRequest r;
    r.url = base_ + path;
    return r;
  }

  // Unique key per test so schedules don't interfere.
  static std::string Key() {
    return ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  static inline pid_t pid_ = -1;
  static inline int stdin_fd_ = -1;
  static inline int port_ = 0;
  static inline std::string base_;
};

TEST_F(CurlHttpClientTest, PostHeadersBodyAndResponseHeaders) {
  auto client = MakeCurlHttpClient();
  HttpRequest req = Get("/echo");
  req.method = "POST";
  req.headers = {{"X-Test", "hello"}, {"Content-Type", "application/json"}};
  req.body = "{\"a\":1}";
  auto r = client->Send(req, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST hello {\"a\":1}");
  EXPECT_EQ(r->Header("x-reply").value_or(""), "yes");
  EXPECT_EQ(r->Header("CONTENT-LENGTH").value_or(""), std::to_string(r->body.size()));

  req.method = "PUT";
  r = client->Send(req, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "PUT hello {\"a\":1}");
}

TEST_F(CurlHttpClientTest, ReusesConnection) {
  auto client = MakeCurlHttpClient();
  auto a = client->Send(Get("/peer"), {});
  auto b = client->Send(Get("/peer"), {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->body, b->body);  // same client port: same TCP connection
}

TEST_F(CurlHttpClientTest, StreamsLargeBodyThroughSink) {
  auto client = MakeCurlHttpClient();
  constexpr size_t kSize = 8 << 20;
  size_t got = 0, chunks = 0;
  bool pattern_ok = true;
  RequestOptions opts;
  opts.body_sink = [&](const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (static_cast<unsigned char>(data[i]) != (got + i) % 251) pattern_ok = false;
    }
    got += n;
    ++chunks;
    return true;
  };
  auto r = client->Send(Get("/large?n=" + std::to_string(kSize)), opts);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(got, kSize);
  EXPECT_GT(chunks, 1u);
  EXPECT_TRUE(pattern_ok);
}

TEST_F(CurlHttpClientTest, SinkAbortStopsTransfer) {
  auto client = MakeCurlHttpClient();
  RequestOptions opts;
  opts.body_sink = [](const char*, size_t) { return false; };
  auto r = client->Send(Get("/large?n=1000000"), opts);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST_F(CurlHttpClientTest, ErrorBodiesAreCollectedEvenWithSink) {
  auto client = MakeCurlHttpClient();
  RequestOptions opts;
  bool sink_called = false;
  opts.body_sink = [&](const char*, size_t) { return sink_called = true; };
  auto r = client->Send(Get("/schedule?key=" + Key() + "&seq=throttle"), opts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  EXPECT_FALSE(sink_called);
  EXPECT_EQ(ParseAwsErrorCode(*r), "ThrottlingException");
}

TEST_F(CurlHttpClientTest, TimeoutIsDeadlineExceededNamingHost) {
  auto client = MakeCurlHttpClient();
  RequestOptions opts;
  opts.timeout_ms = 300;
  HttpRequest req = Get("/slow?ms=3000");
  req.headers = {{"Authorization", "AWS4-HMAC-SHA256 SECRETSIG"},
                 {"X-Amz-Security-Token", "SECRETTOKEN"}};
  auto start = std::chrono::steady_clock::now();
  auto r = client->Send(req, opts);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find("127.0.0.1:" + std::to_string(port_)), std::string::npos);
  EXPECT_EQ(r.status().message().find("SECRET"), std::string::npos);
  EXPECT_EQ(r.status().message().find("/slow"), std::string::npos);
  EXPECT_FALSE(IsRequestNotSentError(r.status()));
}

TEST_F(CurlHttpClientTest, ClosedConnectionIsUnavailable) {
  auto client = MakeCurlHttpClient();
  auto r = client->Send(Get("/close"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(IsRequestNotSentError(r.status()));  // the server may have acted
}

TEST_F(CurlHttpClientTest, ConnectionRefusedIsNotSent) {
  // Find a free port, then close it so nothing listens there.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  auto client = MakeCurlHttpClient();
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/x";
  auto r = client->Send(req, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(IsRequestNotSentError(r.status())) << r.status().message();
}

TEST_F(CurlHttpClientTest, RejectsDisablingTls) {
  auto client = MakeCurlHttpClient();
  RequestOptions opts;
  opts.verify_tls = false;
  EXPECT_EQ(client->Send(Get("/echo"), opts).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CurlHttpClientTest, RetryingClientRecoversWithinMaxAttempts) {
  auto curl = MakeCurlHttpClient();
  std::vector<std::string> log;
  RetryHooks hooks;
  hooks.sleep = [](std::chrono::milliseconds) {};
  hooks.random01 = [] { return 0.5; };
  hooks.debug_log = [&log](const std::string& l) { log.push_back(l); };
  RetryPolicy policy;
  policy.max_attempts = 4;
  RetryingClient client(curl.get(), policy, hooks);
  auto r = client.Send(Get("/schedule?key=" + Key() + "&seq=503,500,throttle,200"), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(log.size(), 4u);
  EXPECT_NE(log[2].find("status=400 code=ThrottlingException delay_ms=1000 retry"),
            std::string::npos)
      << log[2];
}

TEST_F(CurlHttpClientTest, RetryingClientGivesUpAfterMaxAttempts) {
  auto curl = MakeCurlHttpClient();
  RetryHooks hooks;
  int sleeps = 0;
  hooks.sleep = [&sleeps](std::chrono::milliseconds) { ++sleeps; };
  RetryingClient client(curl.get(), RetryPolicy{}, hooks);  // 3 attempts
  auto r = client.Send(Get("/schedule?key=" + Key() + "&seq=503,500,throttle,200"), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ParseAwsErrorCode(*r), "ThrottlingException");
  EXPECT_EQ(sleeps, 2);
}

TEST_F(CurlHttpClientTest, RetryingClientRetriesClosedConnectionOnlyIfIdempotent) {
  auto curl = MakeCurlHttpClient();
  RetryHooks hooks;
  int sleeps = 0;
  hooks.sleep = [&sleeps](std::chrono::milliseconds) { ++sleeps; };
  RetryingClient client(curl.get(), RetryPolicy{}, hooks);
  EXPECT_EQ(client.Send(Get("/close"), {}, /*idempotent=*/false).status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(sleeps, 0);
  EXPECT_EQ(client.Send(Get("/close"), {}, /*idempotent=*/true).status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(sleeps, 2);
}

}  // namespace
}  // namespace recoup::net
