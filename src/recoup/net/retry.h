// AWS SDK "standard" retry mode as an HttpClient decorator.
//
// Sources: AWS SDKs and Tools Reference Guide, "Retry behavior" (standard
// mode: 3 attempts, retry quota); botocore/retries/standard.py and quota.py
// (error lists, quota 500/5/10/1, backoff rand * min(base * 2^i, 20 s));
// aws-sdk-js-v3 @smithy/util-retry constants.ts (base 100 ms, throttling
// base 500 ms, cap 20 s). botocore uses a 1 s base; we follow JS v3 / Java v2
// and make both configurable.
//
// Which failures are retried (when attempts and quota remain):
//   * transport errors from Send: UNAVAILABLE and DEADLINE_EXCEEDED;
//   * HTTP 500, 502, 503, 504 and 429;
//   * throttling error codes (kThrottlingCodes) and transient error codes
//     (kTransientCodes), read from a JSON body's "__type"/"code"/"Code", an
//     XML body's <Code>, or the x-amzn-ErrorType header.
// Idempotency rule: a request sent with idempotent == false is retried only
// when the failure is a RequestNotSentError (DNS failure, connection
// refused, connect timeout: the request bytes never left this host). Any
// response, and any failure after the connection was up, may mean the
// server acted on it, so those are returned as-is.
// Streaming rule: once RequestOptions::body_sink received any byte, the
// attempt's outcome is final (a retry would deliver duplicate bytes).
//
// Retry quota (token bucket, may be shared by clients across threads): each
// retry takes 5 tokens (10 after a timeout); when the bucket cannot pay, the
// last outcome is returned. A 2xx response returns the tokens its last retry
// took, or 1 token if it needed no retry, capped at the initial capacity.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "recoup/core/mutex.h"
#include "recoup/core/status.h"
#include "recoup/net/http_client.h"

namespace recoup::net {

struct RetryPolicy {
  int max_attempts = 3;  // all sends, including the first; >= 1
  int64_t base_delay_ms = 100;
  int64_t throttling_base_delay_ms = 500;
  int64_t max_backoff_ms = 20000;
  int initial_quota = 500;
  int retry_cost = 5;
  int timeout_retry_cost = 10;
  int no_retry_increment = 1;
};

// Thread-safe token bucket for retries.
class RetryQuota {
 public:
  explicit RetryQuota(int capacity) : capacity_(capacity), available_(capacity) {}
  // Takes `cost` tokens if that many are available.
  bool TryAcquire(int cost);
  // Returns `amount` tokens, never exceeding the capacity.
  void Release(int amount);
  int available() const;

 private:
  const int capacity_;
  mutable Mutex mu_;
  int available_ GUARDED_BY(mu_);
};

enum class RetryKind {
  kNone,        // success or a permanent error
  kTransient,   // 5xx, transient codes, transport errors
  kThrottling,  // 429 and throttling codes
  kTimeout,     // DEADLINE_EXCEEDED from Send
};

// The AWS error code of an error response ("" if none): x-amzn-ErrorType
// header, JSON "__type" (text after '#'), "code" or "Code", or XML <Code>.
std::string ParseAwsErrorCode(const HttpResponse& response);
bool IsThrottlingErrorCode(std::string_view code);
bool IsTransientErrorCode(std::string_view code);
// How the outcome of one attempt should be treated (ignores idempotency).
RetryKind ClassifyOutcome(const Result<HttpResponse>& outcome);

// Delay before retry number `retry` (0 for the first retry), given a
// uniform `random01` in [0, 1): random01 * min(max_backoff, base * 2^retry).
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int retry, bool throttling,
                                       double random01);

struct RetryHooks {
  // Defaults: std::this_thread::sleep_for, and a per-client mt19937_64.
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<double()> random01;
  // One line per attempt: method, host, path (no query), status or error
  // code, AWS error code, attempt number, delay and decision. Never header
  // values, query strings, bodies or transport messages.
  std::function<void(const std::string&)> debug_log;
};

class RetryingClient final : public HttpClient {
 public:
  // `inner` must outlive this client. A null `quota` gets a private bucket.
  RetryingClient(HttpClient* inner, RetryPolicy policy, RetryHooks hooks = {},
                 std::shared_ptr<RetryQuota> quota = nullptr);

  // Idempotent unless options.idempotent is false.
  Result<HttpResponse> Send(const HttpRequest& request, const RequestOptions& options) override;
  Result<HttpResponse> Send(const HttpRequest& request, const RequestOptions& options,
                            bool idempotent);

  const RetryQuota& quota() const { return *quota_; }

 private:
  HttpClient* inner_;
  RetryPolicy policy_;
  RetryHooks hooks_;
  std::shared_ptr<RetryQuota> quota_;
};

}  // namespace recoup::net
