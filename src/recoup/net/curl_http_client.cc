// libcurl adapter for HttpClient. See http_client.h for the contract.
#include <curl/curl.h>
#include <strings.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "recoup/net/http_client.h"

namespace recoup::net {
namespace {

// curl_global_init is not thread-safe; a function-local static is
// initialised exactly once even with concurrent callers.
CURLcode GlobalInit() {
  static const CURLcode kCode = curl_global_init(CURL_GLOBAL_DEFAULT);
  return kCode;
}

struct Transfer {
  CURL* curl = nullptr;
  const RequestOptions* options = nullptr;
  HttpResponse* response = nullptr;
  bool sink_aborted = false;
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    t->response->headers.clear();  // a new response (e.g. after 100 Continue)
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  t->response->headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return len;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->options->body_sink && status >= 200 && status < 300) {
    if (!t->options->body_sink(data, len)) {
      t->sink_aborted = true;
      return 0;  // makes curl fail with CURLE_WRITE_ERROR
    }
    return len;
  }
  t->response->body.append(data, len);
  return len;
}

class CurlHttpClient final : public HttpClient {
 public:
  CurlHttpClient() : init_(GlobalInit()), curl_(init_ == CURLE_OK ? curl_easy_init() : nullptr) {}
  ~CurlHttpClient() override {
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
  }
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  Result<HttpResponse> Send(const HttpRequest& request, const RequestOptions& options) override;

 private:
  CURLcode init_;
  CURL* curl_;  // reused across requests, so its connection cache is too
};

// Frees the header list on every return path.
struct SlistDeleter {
  curl_slist* list = nullptr;
  ~SlistDeleter() { curl_slist_free_all(list); }
};

Result<HttpResponse> CurlHttpClient::Send(const HttpRequest& request,
                                          const RequestOptions& options) {
  const std::string host(UrlHost(request.url));
  if (curl_ == nullptr) return Internal("libcurl initialisation failed");
  if (!options.verify_tls) {
    return InvalidArgument("TLS verification cannot be disabled (request to " + host + ")");
  }

  // Reset clears per-request options but keeps the connection, DNS and TLS
  // session caches.
  curl_easy_reset(curl_);
  HttpResponse response;
  Transfer transfer{curl_, &options, &response, false};

  curl_easy_setopt(curl_, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout_ms));
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout_ms));
  curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &transfer);
  // Larger reads mean fewer, larger writes from the peer (curl(1) uses 100 KB;
  // libcurl's default is 16 KB).
  curl_easy_setopt(curl_, CURLOPT_BUFFERSIZE, 128L * 1024);

  if (request.method == "GET") {
    curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl_, CURLOPT_NOBODY, 1L);
  } else {
    if (request.method != "POST") {
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (request.method == "POST" || !request.body.empty()) {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }

  SlistDeleter headers;
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    if (name.size() == 12 && strncasecmp(name.c_str(), "content-type", 12) == 0) {
      has_content_type = true;
    }
    // "Name;" is curl's syntax for a header with an empty value.
    std::string line = name;
    line += value.empty() ? ";" : ": ";
    line += value;
    curl_slist* next = curl_slist_append(headers.list, line.c_str());
    if (next == nullptr) return Internal("out of memory building headers for " + host);
    headers.list = next;
  }
  // No implicit "Expect: 100-continue" or form Content-Type: what the caller
  // signed is what goes on the wire.
  for (const char* extra : {"Expect:", has_content_type ? nullptr : "Content-Type:"}) {
    if (extra == nullptr) continue;
    curl_slist* next = curl_slist_append(headers.list, extra);
    if (next == nullptr) return Internal("out of memory building headers for " + host);
    headers.list = next;
  }
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers.list);

  CURLcode code = curl_easy_perform(curl_);
  // Drop pointers into this stack frame before returning.
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, nullptr);

  if (code != CURLE_OK) {
    // Messages use curl_easy_strerror (fixed text) and the host only.
    std::string what = request.method + " " + host + ": " + curl_easy_strerror(code);
    if (transfer.sink_aborted) return Internal(request.method + " " + host + ": body sink aborted");
    curl_off_t connect_us = 0;
    curl_easy_getinfo(curl_, CURLINFO_CONNECT_TIME_T, &connect_us);
    long os_errno = 0;
    curl_easy_getinfo(curl_, CURLINFO_OS_ERRNO, &os_errno);
    switch (code) {
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
        return WithTransportCause(RequestNotSentError(what), TransportCause::kDns, host);
      case CURLE_COULDNT_CONNECT:
        return WithTransportCause(RequestNotSentError(what),
                                  os_errno == ECONNREFUSED ? TransportCause::kConnectionRefused
                                                           : TransportCause::kUnreachable,
                                  host);
      case CURLE_OPERATION_TIMEDOUT:
        if (connect_us == 0) {
          // Timed out while connecting: nothing was sent. Still a deadline.
          return WithTransportCause(
              Status(StatusCode::kDeadlineExceeded, what + std::string(kRequestNotSentMarker)),
              TransportCause::kTimeout, host);
        }
        return WithTransportCause(Status(StatusCode::kDeadlineExceeded, what),
                                  TransportCause::kTimeout, host);
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CIPHER:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_ISSUER_ERROR:
      case CURLE_SSL_INVALIDCERTSTATUS:
      case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      case CURLE_USE_SSL_FAILED:
        return WithTransportCause(Unavailable(what), TransportCause::kTls, host);
      default:
        return Unavailable(what);
    }
  }
  long status = 0;
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient() { return std::make_unique<CurlHttpClient>(); }

}  // namespace recoup::net
