#include "recoup/net/http_client.h"

#include <cctype>

namespace recoup::net {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Everything after "scheme://", or the whole URL if it has no scheme.
std::string_view AfterScheme(std::string_view url) {
  size_t p = url.find("://");
  return p == std::string_view::npos ? url : url.substr(p + 3);
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

Status RequestNotSentError(std::string message) {
  message.append(kRequestNotSentMarker);
  return Unavailable(std::move(message));
}

namespace {
constexpr char kCausePayload[] = "net.cause";
constexpr char kHostPayload[] = "net.host";
}  // namespace

Status WithTransportCause(Status status, TransportCause cause, const std::string& host) {
  status.SetPayload(kCausePayload, std::to_string(static_cast<int>(cause)));
  status.SetPayload(kHostPayload, host);
  return status;
}

TransportCause TransportCauseOf(const Status& status) {
  auto c = status.GetPayload(kCausePayload);
  if (!c || c->size() != 1 || (*c)[0] < '0' || (*c)[0] > '5') return TransportCause::kNone;
  return static_cast<TransportCause>((*c)[0] - '0');
}

std::string TransportHostOf(const Status& status) {
  return status.GetPayload(kHostPayload).value_or("");
}

const char* TransportCauseText(TransportCause cause) {
  switch (cause) {
    case TransportCause::kDns:
      return "the host name does not resolve (DNS)";
    case TransportCause::kConnectionRefused:
      return "connection refused (nothing listens there)";
    case TransportCause::kUnreachable:
      return "host or network unreachable";
    case TransportCause::kTls:
      return "the TLS handshake or certificate check failed";
    case TransportCause::kTimeout:
      return "no answer before the timeout";
    case TransportCause::kNone:
      break;
  }
  return "no answer";
}

bool IsRequestNotSentError(const Status& status) {
  return (status.code() == StatusCode::kUnavailable ||
          status.code() == StatusCode::kDeadlineExceeded) &&
         status.message().ends_with(kRequestNotSentMarker);
}

std::string_view UrlHost(std::string_view url) {
  std::string_view rest = AfterScheme(url);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) rest = rest.substr(at + 1);
  return rest;
}

std::string_view UrlPath(std::string_view url) {
  std::string_view rest = AfterScheme(url);
  size_t slash = rest.find_first_of("/?#");
  if (slash == std::string_view::npos || rest[slash] != '/') return "/";
  rest = rest.substr(slash);
  return rest.substr(0, rest.find_first_of("?#"));
}

}  // namespace recoup::net
