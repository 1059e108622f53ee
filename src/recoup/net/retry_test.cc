#include "recoup/net/retry.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

namespace recoup::net {
namespace {

constexpr char kSecret[] = "AKIAFAKE/wJalrXUtnFEMI-SECRET-SIGNATURE";
constexpr char kToken[] = "FAKE-SESSION-TOKEN-xyz";

HttpResponse Response(int status, std::string body = "") {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// Returns scripted outcomes in order; the last one repeats.
class FakeClient : public HttpClient {
 public:
  explicit FakeClient(std::vector<Result<HttpResponse>> script) : script_(std::move(script)) {}
  Result<HttpResponse> Send(const HttpRequest&, const RequestOptions& options) override {
    Result<HttpResponse> r = script_[std::min(calls_, script_.size() - 1)];
    ++calls_;
    if (r.ok() && options.body_sink && r->status / 100 == 2 && !r->body.empty()) {
      options.body_sink(r->body.data(), r->body.size());
      r->body.clear();
    }
    return r;
  }
  size_t calls() const { return calls_; }

 private:
  std::vector<Result<HttpResponse>> script_;
  size_t calls_ = 0;
};

struct Recorder {
  std::vector<std::chrono::milliseconds> sleeps;
  std::vector<std::string> log;
  double random = 0.5;
  RetryHooks Hooks() {
    RetryHooks h;
    h.sleep = [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
    h.random01 = [this] { return random; };
    h.debug_log = [this](const std::string& line) { log.push_back(line); };
    return h;
  }
};

HttpRequest SecretRequest() {
  HttpRequest req;
  req.method = "POST";
  req.url = "https://dynamodb.us-east-1.amazonaws.com/?X-Amz-Signature=" + std::string(kSecret);
  req.headers = {{"Authorization", std::string("AWS4-HMAC-SHA256 Credential=") + kSecret},
                 {"X-Amz-Security-Token", kToken}};
  req.body = std::string("{\"secret\":\"") + kSecret + "\"}";
  return req;
}

TEST(BackoffDelayTest, FullJitterBounds) {
  RetryPolicy p;
  EXPECT_EQ(BackoffDelay(p, 0, false, 0.0).count(), 0);
  EXPECT_EQ(BackoffDelay(p, 0, false, 0.999999).count(), 99);
  EXPECT_EQ(BackoffDelay(p, 1, false, 0.5).count(), 100);
  EXPECT_EQ(BackoffDelay(p, 3, false, 1.0).count(), 800);
  EXPECT_EQ(BackoffDelay(p, 0, true, 1.0).count(), 500);       // throttling base
  EXPECT_EQ(BackoffDelay(p, 10, false, 1.0).count(), 20000);   // capped at 20 s
  EXPECT_EQ(BackoffDelay(p, 1000, true, 1.0).count(), 20000);  // no overflow
  for (int retry = 0; retry < 40; ++retry) {
    for (double r : {0.0, 0.25, 0.75, 0.9999}) {
      auto d = BackoffDelay(p, retry, retry % 2 == 0, r).count();
      EXPECT_GE(d, 0);
      EXPECT_LE(d, 20000);
    }
  }
}

TEST(ParseAwsErrorCodeTest, JsonXmlAndHeader) {
  EXPECT_EQ(
      ParseAwsErrorCode(Response(
          400,
          R"({"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"x"})")),
      "ProvisionedThroughputExceededException");
  EXPECT_EQ(ParseAwsErrorCode(Response(400, R"({ "code" : "TooManyRequestsException" })")),
            "TooManyRequestsException");
  EXPECT_EQ(ParseAwsErrorCode(Response(503, "<Error><Code>SlowDown</Code></Error>")), "SlowDown");
  HttpResponse h = Response(400);
  h.headers = {{"X-Amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/"}};
  EXPECT_EQ(ParseAwsErrorCode(h), "ThrottlingException");
  EXPECT_EQ(ParseAwsErrorCode(Response(400, "not an aws error")), "");
}

TEST(ClassifyOutcomeTest, WhichErrorsRetry) {
  for (int s : {500, 502, 503, 504}) {
    EXPECT_EQ(ClassifyOutcome(Response(s)), RetryKind::kTransient) << s;
  }
  EXPECT_EQ(ClassifyOutcome(Response(429)), RetryKind::kThrottling);
  for (const char* code : {"Throttling", "ThrottlingException", "RequestLimitExceeded", "SlowDown",
                           "EC2ThrottledException", "PriorRequestNotComplete"}) {
    EXPECT_EQ(ClassifyOutcome(Response(400, std::string("{\"__type\":\"") + code + "\"}")),
              RetryKind::kThrottling)
        << code;
  }
  for (const char* code : {"RequestTimeout", "RequestTimeoutException", "InternalError",
                           "InternalFailure", "ServiceUnavailable"}) {
    EXPECT_EQ(ClassifyOutcome(Response(400, std::string("<Code>") + code + "</Code>")),
              RetryKind::kTransient)
        << code;
  }
  for (int s : {200, 204, 301, 400, 403, 404, 501}) {
    EXPECT_EQ(ClassifyOutcome(Response(s)), RetryKind::kNone) << s;
  }
  EXPECT_EQ(ClassifyOutcome(Response(400, R"({"__type":"ValidationException"})")),
            RetryKind::kNone);
  EXPECT_EQ(ClassifyOutcome(Unavailable("reset")), RetryKind::kTransient);
  EXPECT_EQ(ClassifyOutcome(Status(StatusCode::kDeadlineExceeded, "t")), RetryKind::kTimeout);
  EXPECT_EQ(ClassifyOutcome(InvalidArgument("bad")), RetryKind::kNone);
}

TEST(RetryingClientTest, RecoversWithinMaxAttempts) {
  FakeClient fake({Response(503), Response(500), Response(200, "ok")});
  Recorder rec;
  RetryingClient client(&fake, RetryPolicy{}, rec.Hooks());
  auto r = client.Send(SecretRequest(), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(fake.calls(), 3u);
  ASSERT_EQ(rec.sleeps.size(), 2u);
  EXPECT_EQ(rec.sleeps[0].count(), 50);   // 0.5 * 100 ms
  EXPECT_EQ(rec.sleeps[1].count(), 100);  // 0.5 * 200 ms
  // Two retries cost 10; success refunds the last retry's 5.
  EXPECT_EQ(client.quota().available(), 500 - 10 + 5);
}

TEST(RetryingClientTest, GivesUpAfterMaxAttemptsWithLastResponse) {
  FakeClient fake(
      {Response(503), Response(503), Response(400, R"({"__type":"Throttling"})"), Response(200)});
  Recorder rec;
  RetryingClient client(&fake, RetryPolicy{}, rec.Hooks());
  auto r = client.Send(SecretRequest(), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(fake.calls(), 3u);
  ASSERT_EQ(rec.log.size(), 3u);
  EXPECT_NE(rec.log[2].find("give up: max attempts"), std::string::npos) << rec.log[2];
  EXPECT_NE(rec.log[2].find("code=Throttling"), std::string::npos) << rec.log[2];
}

TEST(RetryingClientTest, MaxAttemptsConfigurable) {
  FakeClient fake({Response(503)});
  Recorder rec;
  RetryPolicy p;
  p.max_attempts = 5;
  RetryingClient client(&fake, p, rec.Hooks());
  EXPECT_EQ(client.Send(SecretRequest(), {})->status, 503);
  EXPECT_EQ(fake.calls(), 5u);
  EXPECT_EQ(client.quota().available(), 500 - 4 * 5);
}

TEST(RetryingClientTest, ThrottlingUsesLargerBase) {
  FakeClient fake({Response(429), Response(200)});
  Recorder rec;
  rec.random = 1.0;
  RetryingClient client(&fake, RetryPolicy{}, rec.Hooks());
  EXPECT_EQ(client.Send(SecretRequest(), {})->status, 200);
  ASSERT_EQ(rec.sleeps.size(), 1u);
  EXPECT_EQ(rec.sleeps[0].count(), 500);
}

TEST(RetryingClientTest, QuotaExhaustionStopsRetries) {
  auto quota = std::make_shared<RetryQuota>(12);
  FakeClient fake({Status(StatusCode::kDeadlineExceeded, "GET h: timeout")});
  Recorder rec;
  RetryPolicy p;
  p.max_attempts = 10;
  RetryingClient client(&fake, p, rec.Hooks(), quota);
  auto r = client.Send(SecretRequest(), {});
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(fake.calls(), 2u);  // one timeout retry (10 tokens), then 2 left
  EXPECT_EQ(quota->available(), 2);
  EXPECT_NE(rec.log.back().find("retry quota exhausted"), std::string::npos);

  // Successes without retries refill 1 token each, up to capacity.
  FakeClient ok({Response(200)});
  RetryingClient client2(&ok, p, rec.Hooks(), quota);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client2.Send(SecretRequest(), {}).ok());
  EXPECT_EQ(quota->available(), 12);
}

TEST(RetryingClientTest, NonIdempotentRetriesOnlyWhenNotSent) {
  Recorder rec;
  {
    FakeClient fake({Response(503), Response(200)});
    RetryingClient client(&fake, RetryPolicy{}, rec.Hooks());
    EXPECT_EQ(client.Send(SecretRequest(), {}, /*idempotent=*/false)->status, 503);
    EXPECT_EQ(fake.calls(), 1u);
  }
  {
    FakeClient fake({Unavailable("POST h: connection reset"), Response(200)});
    RetryingClient client(&fake, RetryPolicy{}, rec.Hooks());
    EXPECT_EQ(client.Send(SecretRequest(), {}, false).status().code(), StatusCode::kUnavailable);
    EXPECT_EQ(fake.calls(), 1u);
    EXPECT_NE(rec.log.back().find("not idempotent"), std::string::npos);
  }
  {
    FakeClient fake({RequestNotSentError("POST h: connection refused"), Response(200)});
    RetryingClient client(&fake, RetryPolicy{}, rec.Hooks());
    EXPECT_EQ(client.Send(SecretRequest(), {}, false)->status, 200);
    EXPECT_EQ(fake.calls(), 2u);
  }
  {  // the same failures are retried when idempotent
    FakeClient fake({Unavailable("POST h: connection reset"), Response(200)});
    RetryingClient client(&fake, RetryPolicy{}, rec.Hooks());
    EXPECT_EQ(client.Send(SecretRequest(), {}, true)->status, 200);
  }
}

TEST(RetryingClientTest, NoRetryAfterBodyStreamed) {
  // A 2xx that streamed bytes and then failed must not be repeated.
  class PartialClient : public HttpClient {
   public:
    Result<HttpResponse> Send(const HttpRequest&, const RequestOptions& o) override {
      ++calls;
      o.body_sink("abc", 3);
      return Unavailable("GET h: connection reset");
    }
    int calls = 0;
  } partial;
  Recorder rec;
  RetryingClient client(&partial, RetryPolicy{}, rec.Hooks());
  RequestOptions opts;
  std::string got;
  opts.body_sink = [&got](const char* d, size_t n) {
    got.append(d, n);
    return true;
  };
  EXPECT_FALSE(client.Send(SecretRequest(), opts).ok());
  EXPECT_EQ(partial.calls, 1);
  EXPECT_EQ(got, "abc");
}

TEST(RetryingClientTest, LogLinesNeverContainSecrets) {
  FakeClient fake({Response(503, std::string("<Code>InternalError</Code>") + kSecret),
                   Unavailable(std::string("leaky inner message ") + kSecret),
                   Response(200, kSecret)});
  Recorder rec;
  RetryingClient client(&fake, RetryPolicy{}, rec.Hooks());
  ASSERT_TRUE(client.Send(SecretRequest(), {}).ok());
  ASSERT_EQ(rec.log.size(), 3u);
  for (const std::string& line : rec.log) {
    EXPECT_EQ(line.find(kSecret), std::string::npos) << line;
    EXPECT_EQ(line.find(kToken), std::string::npos) << line;
    EXPECT_EQ(line.find("AWS4-HMAC"), std::string::npos) << line;
    EXPECT_EQ(line.find("X-Amz-Signature"), std::string::npos) << line;
    EXPECT_NE(line.find("POST dynamodb.us-east-1.amazonaws.com /"), std::string::npos) << line;
  }
  EXPECT_NE(rec.log[0].find("attempt 1/3"), std::string::npos) << rec.log[0];
  EXPECT_NE(rec.log[0].find("status=503 code=InternalError delay_ms=50 retry"), std::string::npos)
      << rec.log[0];
  EXPECT_NE(rec.log[1].find("error=UNAVAILABLE"), std::string::npos) << rec.log[1];
}

TEST(UrlTest, HostAndPath) {
  EXPECT_EQ(UrlHost("https://user:pw@s3.amazonaws.com:443/b/k?x=1"), "s3.amazonaws.com:443");
  EXPECT_EQ(UrlPath("https://s3.amazonaws.com/b/k?X-Amz-Signature=1"), "/b/k");
  EXPECT_EQ(UrlPath("https://s3.amazonaws.com?x"), "/");
  EXPECT_EQ(UrlHost("http://127.0.0.1:8080"), "127.0.0.1:8080");
}

}  // namespace
}  // namespace recoup::net
