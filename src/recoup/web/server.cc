#include "recoup/web/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <utility>

#include "recoup/core/mutex.h"
#include "recoup/core/sha256.h"
#include "recoup/web/api.h"
#include "recoup/web/assets.h"
#include "recoup/web/otlp.h"

namespace recoup::web {

bool IsLoopback(const std::string& bind) {
  return bind == "localhost" || bind == "::1" || bind.rfind("127.", 0) == 0;
}

namespace {

using Log = std::function<void(const std::string&)>;

Log OrStderr(Log log) {
  if (log) return log;
  return [](const std::string& line) { std::fprintf(stderr, "recoup: %s\n", line.c_str()); };
}

Status CheckListen(const std::string& what, const std::string& bind, int port,
                   const std::string& token) {
  if (bind.empty()) return InvalidArgument(what + ": bind address is empty");
  if (port < 0 || port > 65535) {
    return InvalidArgument(what + ": port " + std::to_string(port) + " is out of range");
  }
  if (!IsLoopback(bind) && token.empty()) {
    return InvalidArgument(what + ": bound to " + bind +
                           " (not loopback), a bearer token is required: set one in the "
                           "configuration");
  }
  if (!token.empty() && token.size() < 16) {
    return InvalidArgument(what + ": the bearer token must be at least 16 characters");
  }
  return Status::Ok();
}

// Compares the SHA-256 of both strings in constant time, so neither the
// token's bytes nor its length shape the time taken.
bool TokenMatches(const std::string& expected_digest, std::string_view presented) {
  const std::string got = Sha256::Hex(presented);
  if (got.size() != expected_digest.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    diff |= static_cast<unsigned char>(got[i] ^ expected_digest[i]);
  }
  return diff == 0;
}

// Authorization: Bearer <token>. Returns true when the request may proceed;
// otherwise fills a 401 answer. The header's value is never logged.
bool Authorized(const std::string& token_digest, const httplib::Request& req,
                httplib::Response& res) {
  if (token_digest.empty()) return true;
  const std::string h = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (h.size() > kBearer.size() && h.compare(0, kBearer.size(), kBearer) == 0 &&
      TokenMatches(token_digest, std::string_view(h).substr(kBearer.size()))) {
    return true;
  }
  res.status = 401;
  res.set_header("WWW-Authenticate", "Bearer realm=\"recoup\"");
  res.set_content("{\"error\":\"missing or wrong bearer token\"}", "application/json");
  return false;
}

// Without a token the dashboard is only for this machine: refuse Host names
// other than loopback ones, so a web page cannot read the API through DNS
// rebinding.
bool HostAllowed(const httplib::Request& req) {
  std::string host = req.get_header_value("Host");
  if (host.empty()) return true;  // HTTP/1.0 clients
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    host = close == std::string::npos ? host : host.substr(1, close - 1);
  } else if (const size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return IsLoopback(host);
}

void SecurityHeaders(httplib::Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; frame-ancestors 'none'");
}

Status Bind(httplib::Server& svr, const std::string& what, const std::string& bind, int port,
            int* bound) {
  if (port == 0) {
    const int p = svr.bind_to_any_port(bind);
    if (p <= 0) return Unavailable(what + ": cannot bind " + bind + " (any port)");
    *bound = p;
  } else {
    if (!svr.bind_to_port(bind, port)) {
      return Unavailable(what + ": cannot bind " + bind + ":" + std::to_string(port) +
                         " (in use, or no permission)");
    }
    *bound = port;
  }
  return Status::Ok();
}

std::multimap<std::string, std::string> QueryOf(const httplib::Request& req) {
  std::multimap<std::string, std::string> q;
  for (const auto& [k, v] : req.params) q.emplace(k, v);
  return q;
}

void ServeAsset(const std::string& name, httplib::Response& res) {
  const Asset* a = FindAsset(name);
  if (a == nullptr) {
    res.status = 404;
    res.set_content("not found\n", "text/plain");
    return;
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_content(std::string(a->data, a->size), a->content_type);
}

// How a server listens: the options both kinds have.
struct ListenOptions {
  std::string what;  // "dashboard", "otlp receiver": starts every message
  std::string bind;
  int port = 0;
  std::string token;
  size_t max_bytes = 0;  // request body limit
  int threads = 1;
  Log log;
};

}  // namespace

// ---- HttpListener ----

// The httplib server, its socket options, its thread and its bearer token
// (only the token's digest is kept).
class HttpListener::Impl {
 public:
  explicit Impl(ListenOptions o)
      : what_(std::move(o.what)),
        bind_(std::move(o.bind)),
        port_(o.port),
        log_(OrStderr(std::move(o.log))),
        token_digest_(o.token.empty() ? std::string() : Sha256::Hex(o.token)) {
    // httplib's default also sets SO_REUSEPORT, which would let a second
    // process bind the same port and take half the traffic: keep only
    // SO_REUSEADDR (restarts while old connections linger in TIME_WAIT).
    svr_.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    svr_.set_payload_max_length(o.max_bytes);
    svr_.set_read_timeout(10, 0);
    svr_.set_write_timeout(10, 0);
    svr_.set_keep_alive_max_count(100);
    const size_t n = static_cast<size_t>(o.threads > 0 ? o.threads : 1);
    svr_.new_task_queue = [n] { return new httplib::ThreadPool(n); };
  }
  virtual ~Impl() { Stop(); }

  Status Start() {
    if (thread_.joinable()) return FailedPrecondition(what_ + ": already started");
    RECOUP_RETURN_IF_ERROR(Bind(svr_, what_, bind_, port_, &bound_port_));
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    // stop() only acts on a running server: wait until the thread is in its
    // accept loop (the socket already queues connections since the bind).
    for (int i = 0; i < 5000 && !svr_.is_running(); ++i) SystemClock().SleepFor(1);
    log_(what_ + " listening on " +
         (bind_.find(':') != std::string::npos ? "[" + bind_ + "]" : bind_) + ":" +
         std::to_string(bound_port_));
    return Status::Ok();
  }
  void Stop() {
    if (thread_.joinable()) {
      svr_.stop();
      thread_.join();
    }
  }
  int port() const { return bound_port_; }

 protected:
  const std::string what_;
  const std::string bind_;
  const int port_;
  const Log log_;
  const std::string token_digest_;
  httplib::Server svr_;

 private:
  std::thread thread_;
  int bound_port_ = 0;
};

HttpListener::HttpListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpListener::~HttpListener() { Stop(); }
Status HttpListener::Start() { return impl_->Start(); }
void HttpListener::Stop() {
  if (impl_) impl_->Stop();
}
int HttpListener::port() const { return impl_->port(); }

// ---- WebServer ----

class WebServer::Impl final : public HttpListener::Impl {
 public:
  explicit Impl(WebOptions o)
      : HttpListener::Impl({"dashboard", std::move(o.bind), o.port, std::move(o.token),
                            o.max_request_bytes, o.threads, std::move(o.log)}),
        api_(std::move(o.store_path), std::move(o.catalog), std::move(o.live_state), o.clock) {
    svr_.set_pre_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) { return Guard(req, res); });
    svr_.Get("/", [](const httplib::Request&, httplib::Response& res) {
      ServeAsset("index.html", res);
    });
    svr_.Get(R"(/assets/([A-Za-z0-9._-]+))",
             [](const httplib::Request& req, httplib::Response& res) {
               ServeAsset(req.matches[1], res);
             });
    auto api = [this](const httplib::Request& req, httplib::Response& res) { AnswerApi(req, res); };
    svr_.Get(R"(/api/[a-z-]+)", api);
    svr_.Get("/metrics", api);
    svr_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) {
        res.set_content("{\"error\":\"" + std::to_string(res.status) + "\"}", "application/json");
      }
    });
    svr_.set_exception_handler(
        [this](const httplib::Request& req, httplib::Response& res, const std::exception_ptr&) {
          log_("dashboard: internal error answering " + req.path);
          res.status = 500;
          res.set_content("{\"error\":\"internal error\"}", "application/json");
        });
  }

 private:
  // Before routing: security headers on every answer, then the Host check
  // (without a token), GET/HEAD only, and the token for everything but the
  // page and its assets.
  httplib::Server::HandlerResponse Guard(const httplib::Request& req,
                                         httplib::Response& res) const {
    SecurityHeaders(res);
    if (token_digest_.empty() && !HostAllowed(req)) {
      res.status = 421;
      res.set_content("{\"error\":\"this server answers only to localhost names\"}",
                      "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      res.set_content("{\"error\":\"method not allowed\"}", "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    // The page itself and its scripts hold no data: they load without the
    // token, and the page sends the token with every API call.
    const bool is_asset = req.path == "/" || req.path.rfind("/assets/", 0) == 0;
    if (!is_asset && !Authorized(token_digest_, req, res)) {
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  void AnswerApi(const httplib::Request& req, httplib::Response& res) {
    const ApiResponse r = api_.Handle(req.path, QueryOf(req));
    res.status = r.status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(r.body, r.content_type);
  }

  Api api_;
};

Result<std::unique_ptr<WebServer>> WebServer::Create(WebOptions options) {
  RECOUP_RETURN_IF_ERROR(CheckListen("dashboard", options.bind, options.port, options.token));
  if (options.store_path.empty()) return InvalidArgument("dashboard: store_path is required");
  if (options.max_request_bytes < 1024) {
    return InvalidArgument("dashboard: max_request_bytes must be at least 1024");
  }
  return std::unique_ptr<WebServer>(new WebServer(std::make_unique<Impl>(std::move(options))));
}

WebServer::WebServer(std::unique_ptr<Impl> impl) : HttpListener(std::move(impl)) {}

// ---- OtlpReceiver ----

class OtlpReceiver::Impl final : public HttpListener::Impl {
 public:
  explicit Impl(OtlpOptions o)
      : HttpListener::Impl(
            {"otlp receiver", o.bind, o.port, o.token, o.max_body_bytes, o.threads, o.log}),
        opt_(std::move(o)),
        catalog_(opt_.catalog ? opt_.catalog : sla::Catalog::Default()) {
    opt_.token.clear();  // only the digest is kept
    svr_.set_pre_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) { return Guard(req, res); });
    svr_.Post("/v1/traces",
              [this](const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& reader) { Traces(req, res, reader); });
    svr_.set_exception_handler(
        [this](const httplib::Request&, httplib::Response& res, const std::exception_ptr&) {
          log_("otlp: internal error answering /v1/traces");
          res.status = 500;
          res.set_content("internal error\n", "text/plain");
        });
  }

  OtlpStats stats() const {
    MutexLock lock(mu_);
    return stats_;
  }

 private:
  // Before routing: the token, the one path, POST only, the declared size
  // and the encoding.
  httplib::Server::HandlerResponse Guard(const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(token_digest_, req, res)) {
      Count(&OtlpStats::rejected_requests);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.path != "/v1/traces") {
      res.status = 404;
      res.set_content("only /v1/traces is served here\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method != "POST") {
      res.status = 405;
      res.set_header("Allow", "POST");
      res.set_content("use POST\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.has_header("Content-Length")) {
      const std::string len = req.get_header_value("Content-Length");
      if (len.size() > 18 || std::strtoull(len.c_str(), nullptr, 10) > opt_.max_body_bytes) {
        return Reject(res, 413,
                      "body larger than " + std::to_string(opt_.max_body_bytes) + " bytes");
      }
    }
    const std::string enc = req.get_header_value("Content-Encoding");
    if (!enc.empty() && enc != "identity" && enc != "gzip") {
      return Reject(
          res, 415,
          "Content-Encoding '" + enc.substr(0, 32) + "' is not supported (use gzip or none)");
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  void Count(int64_t OtlpStats::*field, int64_t n = 1) {
    MutexLock lock(mu_);
    stats_.*field += n;
  }

  httplib::Server::HandlerResponse Reject(httplib::Response& res, int status,
                                          const std::string& message) {
    Count(&OtlpStats::rejected_requests);
    res.status = status;
    res.set_content(message + "\n", "text/plain");
    return httplib::Server::HandlerResponse::Handled;
  }

  void Traces(const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader& reader) {
    std::string ct = req.get_header_value("Content-Type");
    if (const size_t semi = ct.find(';'); semi != std::string::npos) ct.resize(semi);
    const bool is_json = ct == "application/json";
    const bool is_proto = ct == "application/x-protobuf";
    if (!is_json && !is_proto) {
      Reject(res, 415,
             "Content-Type must be application/json or application/x-protobuf, got '" +
                 ct.substr(0, 64) + "'");
      return;
    }
    std::string body;
    if (!ReadBody(reader, res, &body)) return;
    OtlpDecodeOptions dopt;
    dopt.default_account = opt_.default_account;
    dopt.catalog = catalog_.get();
    dopt.now_ms = (opt_.clock != nullptr ? opt_.clock : &SystemClock())->NowMs();
    auto decoded =
        is_json ? DecodeOtlpTracesJson(body, dopt) : DecodeOtlpTracesProtobuf(body, dopt);
    if (!decoded.ok()) {
      Reject(res, 400, "bad OTLP trace request: " + decoded.status().message());
      return;
    }
    if (!Store(*decoded, body, res)) return;
    res.status = 200;
    if (is_json) {
      res.set_content(OtlpResponseJson(*decoded), "application/json");
    } else {
      res.set_content(OtlpResponseProtobuf(*decoded), "application/x-protobuf");
    }
  }

  // The body after any gzip decoding, capped: a small compressed body must
  // not inflate past the limit. False once the request is answered (413, 400).
  bool ReadBody(const httplib::ContentReader& reader, httplib::Response& res, std::string* body) {
    bool too_large = false;
    const bool read_ok = reader([&](const char* data, size_t n) {
      if (body->size() + n > opt_.max_body_bytes) {
        too_large = true;
        return false;
      }
      body->append(data, n);
      return true;
    });
    if (too_large) {
      Reject(res, 413,
             "body larger than " + std::to_string(opt_.max_body_bytes) + " bytes (decoded)");
      return false;
    }
    if (!read_ok) {
      Reject(res, 400, "could not read the body (truncated, or not valid gzip)");
      return false;
    }
    return true;
  }

  // Hands the decoded events to the sink (keyed by the body's digest) and
  // counts the request. False once the request is answered 503. Moves the
  // events out of `decoded`.
  bool Store(OtlpDecoded& decoded, const std::string& body, httplib::Response& res) {
    const int64_t n_events = static_cast<int64_t>(decoded.events.size());
    int64_t newest = 0;
    for (const events::Event& e : decoded.events) newest = std::max(newest, e.time_ms);
    if (n_events > 0) {
      Status st = opt_.keyed_sink ? opt_.keyed_sink(std::move(decoded.events), Sha256::Hex(body))
                                  : opt_.sink(std::move(decoded.events));
      decoded.events.clear();
      if (!st.ok()) {
        Count(&OtlpStats::sink_failures);
        log_("otlp: could not store " + std::to_string(n_events) +
             " event(s), answered 503: " + st.message());
        res.status = 503;
        res.set_header("Retry-After", "5");
        res.set_content("events could not be stored; retry later\n", "text/plain");
        return false;
      }
    }
    MutexLock lock(mu_);
    ++stats_.requests;
    stats_.spans += decoded.spans;
    stats_.events_in += n_events;
    stats_.ignored_spans += decoded.ignored;
    stats_.last_event_ms = std::max(stats_.last_event_ms, newest);
    return true;
  }

  OtlpOptions opt_;
  std::shared_ptr<const sla::Catalog> catalog_;
  mutable Mutex mu_;
  OtlpStats stats_ GUARDED_BY(mu_);
};

Result<std::unique_ptr<OtlpReceiver>> OtlpReceiver::Create(OtlpOptions options) {
  RECOUP_RETURN_IF_ERROR(CheckListen("otlp receiver", options.bind, options.port, options.token));
  if (!options.sink && !options.keyed_sink) {
    return InvalidArgument("otlp receiver: an events sink is required");
  }
  if (options.max_body_bytes < 1024) {
    return InvalidArgument("otlp receiver: max_body_bytes must be at least 1024");
  }
  return std::unique_ptr<OtlpReceiver>(
      new OtlpReceiver(std::make_unique<Impl>(std::move(options))));
}

OtlpReceiver::OtlpReceiver(std::unique_ptr<Impl> impl) : HttpListener(std::move(impl)) {}
OtlpStats OtlpReceiver::stats() const { return static_cast<const Impl&>(impl()).stats(); }

}  // namespace recoup::web
