#include "recoup/net/retry.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <thread>
#include <utility>

namespace recoup::net {
namespace {

// botocore/retries/standard.py ThrottledRetryableChecker, plus the SDK
// reference guide's list.
constexpr std::array<std::string_view, 14> kThrottlingCodes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

// botocore TransientRetryableChecker and aws-sdk-js-v3 TRANSIENT_ERROR_CODES.
constexpr std::array<std::string_view, 5> kTransientCodes = {
    "RequestTimeout",  "RequestTimeoutException", "InternalError",
    "InternalFailure", "ServiceUnavailable",
};

std::string_view SkipSpace(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  return s;
}

// The string value of the first `"key": "value"` in `json`, if any.
std::optional<std::string_view> JsonStringField(std::string_view json, std::string_view key) {
  std::string quoted = "\"" + std::string(key) + "\"";
  size_t pos = 0;
  while ((pos = json.find(quoted, pos)) != std::string_view::npos) {
    pos += quoted.size();
    std::string_view rest = SkipSpace(json.substr(pos));
    if (rest.empty() || rest.front() != ':') continue;
    rest = SkipSpace(rest.substr(1));
    if (rest.empty() || rest.front() != '"') continue;
    rest.remove_prefix(1);
    size_t end = rest.find('"');
    if (end == std::string_view::npos) return std::nullopt;
    return rest.substr(0, end);
  }
  return std::nullopt;
}

// "prefix#Code:uri" -> "Code" (JSON __type and x-amzn-ErrorType forms).
std::string_view TrimErrorType(std::string_view code) {
  size_t hash = code.rfind('#');
  if (hash != std::string_view::npos) code = code.substr(hash + 1);
  code = code.substr(0, code.find(':'));
  return code;
}

template <size_t N>
bool Contains(const std::array<std::string_view, N>& list, std::string_view code) {
  return std::find(list.begin(), list.end(), code) != list.end();
}

bool IsSuccess(const Result<HttpResponse>& outcome) {
  return outcome.ok() && outcome->status >= 200 && outcome->status < 300;
}

}  // namespace

bool RetryQuota::TryAcquire(int cost) {
  MutexLock lock(mu_);
  if (available_ < cost) return false;
  available_ -= cost;
  return true;
}

void RetryQuota::Release(int amount) {
  MutexLock lock(mu_);
  available_ = std::min(capacity_, available_ + amount);
}

int RetryQuota::available() const {
  MutexLock lock(mu_);
  return available_;
}

std::string ParseAwsErrorCode(const HttpResponse& response) {
  if (auto header = response.Header("x-amzn-ErrorType"); header && !header->empty()) {
    return std::string(TrimErrorType(*header));
  }
  std::string_view body = response.body;
  for (std::string_view key : {"__type", "code", "Code"}) {
    if (auto v = JsonStringField(body, key)) return std::string(TrimErrorType(*v));
  }
  size_t open = body.find("<Code>");
  if (open != std::string_view::npos) {
    std::string_view rest = body.substr(open + 6);
    size_t close = rest.find("</Code>");
    if (close != std::string_view::npos) return std::string(rest.substr(0, close));
  }
  return "";
}

bool IsThrottlingErrorCode(std::string_view code) { return Contains(kThrottlingCodes, code); }
bool IsTransientErrorCode(std::string_view code) { return Contains(kTransientCodes, code); }

RetryKind ClassifyOutcome(const Result<HttpResponse>& outcome) {
  if (!outcome.ok()) {
    switch (outcome.status().code()) {
      case StatusCode::kDeadlineExceeded:
        return RetryKind::kTimeout;
      case StatusCode::kUnavailable:
        return RetryKind::kTransient;
      default:
        return RetryKind::kNone;
    }
  }
  const int status = outcome->status;
  if (status < 300) return RetryKind::kNone;
  const std::string code = ParseAwsErrorCode(*outcome);
  if (status == 429 || IsThrottlingErrorCode(code)) return RetryKind::kThrottling;
  if (status == 500 || status == 502 || status == 503 || status == 504 ||
      IsTransientErrorCode(code)) {
    return RetryKind::kTransient;
  }
  return RetryKind::kNone;
}

std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int retry, bool throttling,
                                       double random01) {
  const double base =
      static_cast<double>(throttling ? policy.throttling_base_delay_ms : policy.base_delay_ms);
  const double cap = static_cast<double>(policy.max_backoff_ms);
  // Clamp the exponent so 2^retry cannot overflow before the min().
  const double exp = std::ldexp(base, std::clamp(retry, 0, 62));
  const double r = std::clamp(random01, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(r * std::min(cap, exp)));
}

RetryingClient::RetryingClient(HttpClient* inner, RetryPolicy policy, RetryHooks hooks,
                               std::shared_ptr<RetryQuota> quota)
    : inner_(inner),
      policy_(policy),
      hooks_(std::move(hooks)),
      quota_(quota ? std::move(quota) : std::make_shared<RetryQuota>(policy.initial_quota)) {
  if (policy_.max_attempts < 1) policy_.max_attempts = 1;
  if (!hooks_.sleep) {
    hooks_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
  if (!hooks_.random01) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    hooks_.random01 = [engine] {
      return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
    };
  }
}

Result<HttpResponse> RetryingClient::Send(const HttpRequest& request,
                                          const RequestOptions& options) {
  return Send(request, options, options.idempotent);
}

Result<HttpResponse> RetryingClient::Send(const HttpRequest& request, const RequestOptions& options,
                                          bool idempotent) {
  // Track whether the caller's sink saw any byte: then no retry is possible.
  bool streamed = false;
  RequestOptions attempt_options = options;
  if (options.body_sink) {
    attempt_options.body_sink = [&streamed, &options](const char* data, size_t n) {
      streamed = true;
      return options.body_sink(data, n);
    };
  }
  const std::string host(UrlHost(request.url));
  const std::string path(UrlPath(request.url));

  int last_cost = 0;  // tokens taken by the latest retry
  for (int attempt = 1;; ++attempt) {
    Result<HttpResponse> outcome = inner_->Send(request, attempt_options);
    const RetryKind kind = ClassifyOutcome(outcome);

    std::string decision;
    std::chrono::milliseconds delay{0};
    bool retry = false;
    if (kind == RetryKind::kNone) {
      decision = "done";
    } else if (!idempotent && (outcome.ok() || !IsRequestNotSentError(outcome.status()))) {
      decision = "give up: not idempotent";
    } else if (streamed) {
      decision = "give up: body already streamed";
    } else if (attempt >= policy_.max_attempts) {
      decision = "give up: max attempts";
    } else {
      const int cost =
          kind == RetryKind::kTimeout ? policy_.timeout_retry_cost : policy_.retry_cost;
      if (!quota_->TryAcquire(cost)) {
        decision = "give up: retry quota exhausted";
      } else {
        last_cost = cost;
        retry = true;
        delay =
            BackoffDelay(policy_, attempt - 1, kind == RetryKind::kThrottling, hooks_.random01());
        decision = "retry";
      }
    }

    if (hooks_.debug_log) {
      std::string line = "http attempt " + std::to_string(attempt) + "/" +
                         std::to_string(policy_.max_attempts) + " " + request.method + " " + host +
                         " " + path;
      if (outcome.ok()) {
        line += " status=" + std::to_string(outcome->status);
        if (outcome->status >= 300) {
          std::string code = ParseAwsErrorCode(*outcome);
          if (!code.empty()) line += " code=" + code;
        }
      } else {
        line += std::string(" error=") + StatusCodeName(outcome.status().code());
      }
      line += " delay_ms=" + std::to_string(delay.count()) + " " + decision;
      hooks_.debug_log(line);
    }

    if (!retry) {
      if (IsSuccess(outcome)) {
        quota_->Release(last_cost > 0 ? last_cost : policy_.no_retry_increment);
      }
      return outcome;
    }
    hooks_.sleep(delay);
  }
}

}  // namespace recoup::net
