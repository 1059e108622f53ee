// HTTP client port. The curl adapter (net/curl_http_client.cc) implements it;
// tests may use any other implementation. One client may be used from one
// thread at a time; create one per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recoup/core/status.h"

namespace recoup::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: https://host[:port]/path?query
  Headers headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  Headers headers;   // names as received
  std::string body;  // empty when RequestOptions::body_sink took the body
  // Case-insensitive header lookup.
  std::optional<std::string> Header(std::string_view name) const;
};

struct RequestOptions {
  int64_t connect_timeout_ms = 3100;
  int64_t timeout_ms = 60000;  // whole request
  bool verify_tls = true;      // never turned off by recoup itself
  // Whether sending the request twice is harmless. Retry decorators
  // (net/retry.h) retry a non-idempotent request only if it was never sent.
  bool idempotent = true;
  // If set, a 2xx response body is streamed here chunk by chunk instead of
  // being kept in HttpResponse::body; returning false aborts the transfer.
  std::function<bool(const char* data, size_t n)> body_sink;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends one request (no retries: see net/retry.h). A response with any
  // status is OK; transport failures (DNS, connect, TLS, timeout, reset) are
  // UNAVAILABLE or DEADLINE_EXCEEDED with a message that never contains
  // header values.
  virtual Result<HttpResponse> Send(const HttpRequest& request, const RequestOptions& options) = 0;
};

// Transport failures where the request certainly never left this host (DNS
// failure, connection refused, connect timeout) carry this marker at the end
// of their UNAVAILABLE (or, for a connect
// timeout, DEADLINE_EXCEEDED) message. RetryingClient (net/retry.h) may retry such
// failures even for non-idempotent requests. Any HttpClient may use it.
inline constexpr std::string_view kRequestNotSentMarker = " (request not sent)";

// UNAVAILABLE status with `message` plus kRequestNotSentMarker.
Status RequestNotSentError(std::string message);
// True if `status` was made by RequestNotSentError.
bool IsRequestNotSentError(const Status& status);

// Why a request got no HTTP answer, where the transport can tell: the
// endpoint's name does not resolve, nothing listens (connection refused), the
// host or network is unreachable, the TLS handshake or certificate check
// failed, or the deadline passed. An HttpClient sets it with
// WithTransportCause; `recoup doctor` tells these apart from AWS refusing
// the credentials.
enum class TransportCause { kNone, kDns, kConnectionRefused, kUnreachable, kTls, kTimeout };
Status WithTransportCause(Status status, TransportCause cause, const std::string& host);
TransportCause TransportCauseOf(const Status& status);
// The host (and port) the failed request was for, "" if not recorded.
std::string TransportHostOf(const Status& status);
// "connection refused", "DNS name does not resolve", ...
const char* TransportCauseText(TransportCause cause);

// "host[:port]" of an absolute URL, without scheme, userinfo, path or query.
std::string_view UrlHost(std::string_view url);
// Path of an absolute URL without query or fragment ("/" if empty). Used for
// logs: the query of a presigned URL holds credentials.
std::string_view UrlPath(std::string_view url);

// libcurl-backed client with connection reuse (one easy handle per client).
// TLS peer and host verification are always on: RequestOptions::verify_tls ==
// false is rejected with INVALID_ARGUMENT. Error messages name the method and
// host only, never the URL's path/query (presigned URLs carry credentials) or
// any header value.
std::unique_ptr<HttpClient> MakeCurlHttpClient();

}  // namespace recoup::net
