#include "recoup/web/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "recoup/core/mutex.h"
#include "recoup/core/sha256.h"
#include "recoup/io/byte_source.h"
#include "recoup/web/api.h"
#include "recoup/web/assets.h"
#include "recoup/web/otlp.h"

namespace recoup::web {

bool IsLoopback(const std::string& bind) {
  if (bind == "localhost" || bind == "::1") return true;
  in_addr a{};
  return inet_pton(AF_INET, bind.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool HostHeaderAllowed(std::string_view host, const std::vector<std::string>& allowed) {
  // Split off the port: "[v6]:port", "name:port"; the port, when present,
  // must be digits only.
  std::string_view name = host;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !AllDigits(rest.substr(1)))) return false;
    name = host.substr(0, close + 1);  // keeps the brackets: "[::1]"
  } else if (const size_t colon = host.find(':'); colon != std::string_view::npos) {
    if (!AllDigits(host.substr(colon + 1))) return false;
    name = host.substr(0, colon);
  }
  if (name.empty()) return false;
  for (std::string_view ok : {"localhost", "127.0.0.1", "[::1]"}) {
    if (EqualsNoCase(name, ok)) return true;
  }
  for (const std::string& ok : allowed) {
    if (EqualsNoCase(name, ok)) return true;
    // An IPv6 address configured without brackets.
    if (name.size() == ok.size() + 2 && name.front() == '[' &&
        EqualsNoCase(name.substr(1, ok.size()), ok)) {
      return true;
    }
  }
  return false;
}

namespace {

using Log = std::function<void(const std::string&)>;

Log OrStderr(Log log) {
  if (log) return log;
  return [](const std::string& line) { std::fprintf(stderr, "recoup: %s\n", line.c_str()); };
}

Status CheckListen(const std::string& what, const std::string& bind, int port,
                   const std::string& token, const HttpLimits& limits) {
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
  if (limits.max_connections < 1) {
    return InvalidArgument(what + ": max_connections must be at least 1");
  }
  if (limits.max_connections_per_ip < 0) {
    return InvalidArgument(what + ": max_connections_per_ip must not be negative");
  }
  if (limits.max_header_bytes < 1024 || limits.max_header_bytes > (1u << 20)) {
    return InvalidArgument(what + ": max_header_bytes must be between 1024 and 1048576");
  }
  if (limits.max_headers < 8) return InvalidArgument(what + ": max_headers must be at least 8");
  if (limits.header_timeout_ms < 1000 || limits.read_timeout_ms < limits.header_timeout_ms ||
      limits.idle_timeout_ms < 1000) {
    return InvalidArgument(what +
                           ": timeouts must be at least 1s, and read_timeout at least "
                           "header_timeout");
  }
  for (const std::string& h : limits.allowed_hosts) {
    if (h.empty() || h.find_first_of(" /\t\r\n") != std::string::npos) {
      return InvalidArgument(what + ": allowed_hosts: '" + h + "' is not a host name");
    }
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

}  // namespace

// One request as the handlers see it: headers are looked up in the
// connection (case-insensitive), the body is complete.
struct HttpRequest {
  MHD_Connection* conn = nullptr;
  std::string method, path;
  std::multimap<std::string, std::string> query;
  std::string body;
  std::string Header(const char* name) const {
    const char* v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
    return v == nullptr ? std::string() : std::string(v);
  }
  bool HasHeader(const char* name) const {
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name) != nullptr;
  }
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain";
  std::vector<std::pair<std::string, std::string>> headers;
  void Set(int st, std::string b, std::string ct) {
    status = st;
    body = std::move(b);
    content_type = std::move(ct);
  }
  void Header(std::string k, std::string v) { headers.emplace_back(std::move(k), std::move(v)); }
};

namespace {

// Authorization: Bearer <token>. Returns true when the request may proceed;
// otherwise fills a 401 answer. The header's value is never logged.
bool Authorized(const std::string& token_digest, const HttpRequest& req, HttpResponse& res) {
  if (token_digest.empty()) return true;
  const std::string h = req.Header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (h.size() > kBearer.size() && h.compare(0, kBearer.size(), kBearer) == 0 &&
      TokenMatches(token_digest, std::string_view(h).substr(kBearer.size()))) {
    return true;
  }
  res.Set(401, "{\"error\":\"missing or wrong bearer token\"}", "application/json");
  res.Header("WWW-Authenticate", "Bearer realm=\"recoup\"");
  return false;
}

void SecurityHeaders(HttpResponse& res) {
  res.Header("X-Content-Type-Options", "nosniff");
  res.Header("X-Frame-Options", "DENY");
  res.Header("Referrer-Policy", "no-referrer");
  res.Header("Content-Security-Policy",
             "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
             "connect-src 'self'; frame-ancestors 'none'");
}

void ServeAsset(const std::string& name, HttpResponse& res) {
  const Asset* a = FindAsset(name);
  if (a == nullptr) {
    res.Set(404, "not found\n", "text/plain");
    return;
  }
  res.Header("Cache-Control", "no-cache");
  res.Set(200, std::string(a->data, a->size), a->content_type);
}

// How a server listens: the options both kinds have.
struct ListenOptions {
  std::string what;  // "dashboard", "otlp receiver": starts every message
  std::string bind;
  int port = 0;
  std::string token;
  size_t max_bytes = 0;      // request body limit
  size_t max_in_flight = 0;  // all bodies being received, together
  int threads = 1;
  HttpLimits limits;
  Log log;
};

// A bound, listening, non-blocking TCP socket (SO_REUSEADDR only: not
// SO_REUSEPORT, which would let a second process take half the traffic).
Result<int> ListenSocket(const std::string& what, const std::string& bind, int port, int* bound) {
  const std::string host = bind == "localhost" ? "127.0.0.1" : bind;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port_s = std::to_string(port);
  if (getaddrinfo(host.c_str(), port_s.c_str(), &hints, &res) != 0 || res == nullptr) {
    return Unavailable(what + ": cannot resolve the bind address " + bind);
  }
  const std::string where = (bind.find(':') != std::string::npos ? "[" + bind + "]" : bind) + ":" +
                            (port == 0 ? std::string("(any port)") : port_s);
  const int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    freeaddrinfo(res);
    return Unavailable(what + ": cannot bind " + where + ": " + std::strerror(errno));
  }
  int yes = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  const bool ok = ::bind(fd, res->ai_addr, res->ai_addrlen) == 0 && ::listen(fd, 128) == 0;
  const int err = errno;
  freeaddrinfo(res);
  if (!ok) {
    ::close(fd);
    return Unavailable(what + ": cannot bind " + where + " (" + std::strerror(err) + ")");
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  *bound = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                    : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

int64_t NowMs() { return SystemClock().MonotonicMs(); }

bool IsWildcard(const std::string& bind) { return bind == "0.0.0.0" || bind == "::"; }

// A listener bound to one address also answers to that address as a Host.
HttpLimits WithBindAddress(HttpLimits l, const std::string& bind) {
  if (!IsLoopback(bind) && !IsWildcard(bind)) l.allowed_hosts.push_back(bind);
  return l;
}

// What the listener keeps per connection, for the header and read timeouts.
struct ConnState {
  int fd = -1;
  int64_t phase_start_ms = 0;  // connect, or the end of the previous answer
  bool headers_done = false;
};

// What it keeps per request while the body arrives.
struct RequestState {
  HttpRequest req;
  size_t reserved = 0;   // bytes counted against the in-flight budget
  bool refused = false;  // an answer is queued already; discard the body
};

}  // namespace

// ---- HttpListener ----

// The libmicrohttpd daemon, its limits, its bearer token (only the token's
// digest is kept) and the watcher that closes connections past their header
// or read timeout (libmicrohttpd's own timeout is for inactivity only, so a
// client trickling one byte at a time would otherwise never time out).
class HttpListener::Impl {
 public:
  explicit Impl(ListenOptions o)
      : what_(std::move(o.what)),
        bind_(std::move(o.bind)),
        port_(o.port),
        log_(OrStderr(std::move(o.log))),
        token_digest_(o.token.empty() ? std::string() : Sha256::Hex(o.token)),
        limits_(WithBindAddress(std::move(o.limits), bind_)),
        max_bytes_(o.max_bytes),
        max_in_flight_(o.max_in_flight),
        threads_(o.threads > 0 ? o.threads : 1) {}
  virtual ~Impl() { Stop(); }

  Status Start() {
    if (daemon_ != nullptr) return FailedPrecondition(what_ + ": already started");
    RECOUP_ASSIGN_OR_RETURN(const int fd, ListenSocket(what_, bind_, port_, &bound_port_));
    // The pool of a connection holds its request line, headers and read
    // buffer: twice the header limit leaves room for the buffer, and a header
    // block that does not fit is answered 431 by libmicrohttpd itself.
    const size_t pool = std::max<size_t>(size_t{32} * 1024, 2 * limits_.max_header_bytes);
    const unsigned idle_s = static_cast<unsigned>((limits_.idle_timeout_ms + 999) / 1000);
    daemon_ = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, nullptr, nullptr, &Impl::OnRequest,
        this, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
        static_cast<unsigned>(threads_), MHD_OPTION_CONNECTION_LIMIT,
        static_cast<unsigned>(limits_.max_connections), MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        static_cast<unsigned>(limits_.max_connections_per_ip), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        pool, MHD_OPTION_CONNECTION_TIMEOUT, idle_s, MHD_OPTION_NOTIFY_CONNECTION,
        &Impl::OnConnection, this, MHD_OPTION_NOTIFY_COMPLETED, &Impl::OnCompleted, this,
        MHD_OPTION_END);
    if (daemon_ == nullptr) {
      ::close(fd);
      return Unavailable(what_ + ": cannot start the HTTP server on port " +
                         std::to_string(bound_port_));
    }
    {
      MutexLock lock(mu_);
      stopping_ = false;
    }
    watcher_ = std::thread([this] { Watch(); });
    if (IsWildcard(bind_) && limits_.allowed_hosts.empty()) {
      log_("warning: " + what_ + ": bound to " + bind_ +
           ", but only the Host names localhost, 127.0.0.1 and [::1] are answered: list the "
           "names clients use in http.allowed_hosts");
    }
    log_(what_ + " listening on " +
         (bind_.find(':') != std::string::npos ? "[" + bind_ + "]" : bind_) + ":" +
         std::to_string(bound_port_));
    return Status::Ok();
  }
  void Stop() {
    if (daemon_ == nullptr) return;
    {
      MutexLock lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (watcher_.joinable()) watcher_.join();
    MHD_stop_daemon(daemon_);  // closes the listen socket too
    daemon_ = nullptr;
  }
  int port() const { return bound_port_; }

 protected:
  // The request, complete with its body; fills the answer. Runs on a server
  // thread.
  virtual void Handle(const HttpRequest& req, HttpResponse& res) = 0;
  // Before the body is read: false refuses the request with `res` filled.
  // The Host check, the header limits and the declared size come first.
  virtual bool Admit(const HttpRequest& req, HttpResponse& res) = 0;
  // An answer of this listener's own (security headers on the dashboard).
  virtual void Decorate(HttpResponse& res) const {}
  // A request refused by the shared checks (headers, Host, size), for counters.
  virtual void PrecheckRefused() {}

  bool HostOk(const HttpRequest& req) const {
    // HTTP/1.1 requires a Host (libmicrohttpd answers 400 without one); an
    // HTTP/1.0 request without one names no other site either.
    if (!req.HasHeader("Host")) return true;
    return HostHeaderAllowed(req.Header("Host"), limits_.allowed_hosts);
  }

  const std::string what_;
  const std::string bind_;
  const int port_;
  const Log log_;
  const std::string token_digest_;
  const HttpLimits limits_;
  const size_t max_bytes_;

 private:
  static MHD_Result Queue(MHD_Connection* conn, HttpResponse& res) {
    MHD_Response* r =
        MHD_create_response_from_buffer(res.body.size(), res.body.data(), MHD_RESPMEM_MUST_COPY);
    if (r == nullptr) return MHD_NO;
    for (const auto& [k, v] : res.headers) MHD_add_response_header(r, k.c_str(), v.c_str());
    MHD_add_response_header(r, "Content-Type", res.content_type.c_str());
    const MHD_Result ret = MHD_queue_response(conn, static_cast<unsigned>(res.status), r);
    MHD_destroy_response(r);
    return ret;
  }

  static MHD_Result HeaderCounter(void* cls, MHD_ValueKind, const char* key, const char* value) {
    auto* sum = static_cast<std::pair<size_t, int>*>(cls);
    sum->first += std::strlen(key) + (value ? std::strlen(value) : 0) + 4;
    ++sum->second;
    return MHD_YES;
  }
  static MHD_Result QueryCollector(void* cls, MHD_ValueKind, const char* key, const char* value) {
    static_cast<std::multimap<std::string, std::string>*>(cls)->emplace(
        key, value == nullptr ? "" : value);
    return MHD_YES;
  }

  static MHD_Result OnRequest(void* cls, MHD_Connection* conn, const char* url, const char* method,
                              const char* version, const char* upload_data,
                              size_t* upload_data_size, void** req_cls) {
    return static_cast<Impl*>(cls)->Request(conn, url, method, upload_data, upload_data_size,
                                            req_cls);
  }

  MHD_Result Request(MHD_Connection* conn, const char* url, const char* method,
                     const char* upload_data, size_t* upload_data_size, void** req_cls) {
    auto* st = static_cast<RequestState*>(*req_cls);
    if (st == nullptr) {  // the headers are in: admit or refuse before any body
      MarkHeadersDone(conn);
      st = new RequestState;
      *req_cls = st;
      st->req.conn = conn;
      st->req.method = method;
      st->req.path = url;
      HttpResponse res;
      const bool pre = Precheck(st, res);
      if (!pre) PrecheckRefused();
      if (!pre || !Admit(st->req, res)) {
        st->refused = true;
        Decorate(res);
        return Queue(conn, res);
      }
      return MHD_YES;
    }
    if (*upload_data_size > 0) {
      const size_t n = *upload_data_size;
      *upload_data_size = 0;
      if (st->refused) return MHD_YES;  // answered already: the rest is discarded
      if (st->req.body.size() + n > max_bytes_ || !Reserve(st, st->req.body.size() + n)) {
        // A body without a declared length that grew past the limits: no
        // answer can be queued in the middle of a body, so the connection
        // is closed.
        log_(what_ + ": closed a connection whose body passed the size limit");
        return MHD_NO;
      }
      st->req.body.append(upload_data, n);
      return MHD_YES;
    }
    if (st->refused) return MHD_YES;
    HttpResponse res;
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, &Impl::QueryCollector, &st->req.query);
    try {
      Handle(st->req, res);
    } catch (const std::exception&) {
      log_(what_ + ": internal error answering " + st->req.path.substr(0, 128));
      res = HttpResponse{};
      res.Set(500, "{\"error\":\"internal error\"}", "application/json");
    }
    Decorate(res);
    return Queue(conn, res);
  }

  // What both listeners check first: header count and bytes, the Host, the
  // declared body size and the in-flight budget.
  bool Precheck(RequestState* st, HttpResponse& res) {
    std::pair<size_t, int> sum{st->req.path.size() + st->req.method.size() + 16, 0};
    MHD_get_connection_values(st->req.conn, MHD_HEADER_KIND, &Impl::HeaderCounter, &sum);
    if (sum.second > limits_.max_headers || sum.first > limits_.max_header_bytes) {
      res.Set(431,
              "{\"error\":\"request headers too large (at most " +
                  std::to_string(limits_.max_headers) + " lines, " +
                  std::to_string(limits_.max_header_bytes) + " bytes)\"}",
              "application/json");
      return false;
    }
    if (!HostOk(st->req)) {
      res.Set(421, "{\"error\":\"this server answers only to its own host names\"}",
              "application/json");
      return false;
    }
    if (st->req.HasHeader("Content-Length")) {
      const std::string len = st->req.Header("Content-Length");
      const unsigned long long n = std::strtoull(len.c_str(), nullptr, 10);
      if (len.size() > 18 || n > max_bytes_) {
        res.Set(413, "{\"error\":\"body larger than " + std::to_string(max_bytes_) + " bytes\"}",
                "application/json");
        return false;
      }
      if (!Reserve(st, static_cast<size_t>(n))) {
        res.Set(503, "{\"error\":\"too many request bodies at once; retry later\"}",
                "application/json");
        res.Header("Retry-After", "1");
        return false;
      }
    }
    return true;
  }

  // Counts `want` bytes for this request against the listener's budget.
  bool Reserve(RequestState* st, size_t want) {
    if (want <= st->reserved) return true;
    const size_t more = want - st->reserved;
    size_t cur = in_flight_.load();
    do {
      if (cur + more > max_in_flight_) return false;
    } while (!in_flight_.compare_exchange_weak(cur, cur + more));
    st->reserved = want;
    return true;
  }

  static void OnCompleted(void* cls, MHD_Connection* conn, void** req_cls,
                          MHD_RequestTerminationCode) {
    auto* self = static_cast<Impl*>(cls);
    auto* st = static_cast<RequestState*>(*req_cls);
    if (st != nullptr) {
      self->in_flight_.fetch_sub(st->reserved);
      delete st;
      *req_cls = nullptr;
    }
    // The next request on this connection starts its header clock now.
    if (const MHD_ConnectionInfo* ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT)) {
      if (auto* cs = static_cast<ConnState*>(ci->socket_context)) {
        MutexLock lock(self->mu_);
        cs->headers_done = false;
        cs->phase_start_ms = NowMs();
      }
    }
  }

  static void OnConnection(void* cls, MHD_Connection* conn, void** socket_context,
                           MHD_ConnectionNotificationCode code) {
    auto* self = static_cast<Impl*>(cls);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      auto* cs = new ConnState;
      const MHD_ConnectionInfo* ci =
          MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
      cs->fd = ci != nullptr ? ci->connect_fd : -1;
      cs->phase_start_ms = NowMs();
      *socket_context = cs;
      MutexLock lock(self->mu_);
      self->conns_.insert(cs);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
      auto* cs = static_cast<ConnState*>(*socket_context);
      if (cs == nullptr) return;
      {
        MutexLock lock(self->mu_);
        self->conns_.erase(cs);
      }
      delete cs;
      *socket_context = nullptr;
    }
  }

  void MarkHeadersDone(MHD_Connection* conn) {
    const MHD_ConnectionInfo* ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci == nullptr || ci->socket_context == nullptr) return;
    MutexLock lock(mu_);
    static_cast<ConnState*>(ci->socket_context)->headers_done = true;
  }

  // Every 200 ms: shut down connections past their header or read timeout.
  // The socket stays open until libmicrohttpd closes it (after its
  // NOTIFY_CLOSED, which takes mu_ first), so the descriptor is never stale.
  void Watch() {
    MutexLock lock(mu_);
    while (!stopping_) {
      const int64_t now = NowMs();
      for (ConnState* cs : conns_) {
        const int64_t limit =
            cs->headers_done ? limits_.read_timeout_ms : limits_.header_timeout_ms;
        if (cs->fd >= 0 && now - cs->phase_start_ms > limit) {
          ::shutdown(cs->fd, SHUT_RDWR);
          cs->phase_start_ms = now;  // once is enough
        }
      }
      lock.WaitFor(wake_, std::chrono::milliseconds(200));
    }
  }

  const size_t max_in_flight_;
  const int threads_;
  MHD_Daemon* daemon_ = nullptr;
  int bound_port_ = 0;
  std::atomic<size_t> in_flight_{0};
  std::thread watcher_;
  Mutex mu_;
  std::condition_variable_any wake_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::set<ConnState*> conns_ GUARDED_BY(mu_);
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
                            o.max_request_bytes, 4 * o.max_request_bytes, o.threads,
                            std::move(o.limits), std::move(o.log)}),
        api_(std::move(o.store_path), std::move(o.catalog), std::move(o.live_state), o.clock,
             std::move(o.build_info)) {}

 private:
  void Decorate(HttpResponse& res) const override { SecurityHeaders(res); }

  // GET/HEAD only, and the token for everything but the page and its assets.
  bool Admit(const HttpRequest& req, HttpResponse& res) override {
    if (req.method != "GET" && req.method != "HEAD") {
      res.Set(405, "{\"error\":\"method not allowed\"}", "application/json");
      res.Header("Allow", "GET, HEAD");
      return false;
    }
    // The page itself and its scripts hold no data: they load without the
    // token, and the page sends the token with every API call.
    const bool is_asset = req.path == "/" || req.path.rfind("/assets/", 0) == 0;
    return is_asset || Authorized(token_digest_, req, res);
  }

  static bool AssetName(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-';
    });
  }

  static bool ApiPath(std::string_view path) {
    if (path == "/metrics") return true;
    constexpr std::string_view kApi = "/api/";
    if (path.rfind(kApi, 0) != 0 || path.size() == kApi.size()) return false;
    return std::all_of(path.begin() + kApi.size(), path.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
  }

  void Handle(const HttpRequest& req, HttpResponse& res) override {
    if (req.path == "/") return ServeAsset("index.html", res);
    constexpr std::string_view kAssets = "/assets/";
    if (req.path.rfind(kAssets, 0) == 0) {
      const std::string name = req.path.substr(kAssets.size());
      if (AssetName(name)) return ServeAsset(name, res);
    } else if (ApiPath(req.path)) {
      const ApiResponse r = api_.Handle(req.path, req.query);
      res.Set(r.status, r.body, r.content_type);
      res.Header("Cache-Control", "no-store");
      return;
    }
    res.Set(404, "{\"error\":\"404\"}", "application/json");
  }

  Api api_;
};

Result<std::unique_ptr<WebServer>> WebServer::Create(WebOptions options) {
  RECOUP_RETURN_IF_ERROR(
      CheckListen("dashboard", options.bind, options.port, options.token, options.limits));
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
      : HttpListener::Impl({"otlp receiver", o.bind, o.port, o.token, o.max_body_bytes,
                            o.max_bodies_in_flight_bytes, o.threads, o.limits, o.log}),
        opt_(std::move(o)),
        catalog_(opt_.catalog ? opt_.catalog : sla::Catalog::Default()) {
    opt_.token.clear();  // only the digest is kept
  }

  OtlpStats stats() const {
    MutexLock lock(mu_);
    return stats_;
  }

 private:
  // The media type, lower case, without parameters.
  static std::string MediaType(std::string ct) {
    if (const size_t semi = ct.find(';'); semi != std::string::npos) ct.resize(semi);
    while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.pop_back();
    for (char& c : ct) c = Lower(c);
    return ct;
  }

  // Before the body: the token, the one path, POST only, the content type
  // and the encoding.
  bool Admit(const HttpRequest& req, HttpResponse& res) override {
    if (!Authorized(token_digest_, req, res)) {
      Count(&OtlpStats::rejected_requests);
      return false;
    }
    if (req.path != "/v1/traces") {
      res.Set(404, "only /v1/traces is served here\n", "text/plain");
      return false;
    }
    if (req.method != "POST") {
      res.Set(405, "use POST\n", "text/plain");
      res.Header("Allow", "POST");
      return false;
    }
    const std::string ct = MediaType(req.Header("Content-Type"));
    if (ct != "application/json" && ct != "application/x-protobuf") {
      return Reject(res, 415,
                    "Content-Type must be application/json or application/x-protobuf, got '" +
                        ct.substr(0, 64) + "'");
    }
    const std::string enc = req.Header("Content-Encoding");
    if (!enc.empty() && enc != "identity" && enc != "gzip") {
      return Reject(
          res, 415,
          "Content-Encoding '" + enc.substr(0, 32) + "' is not supported (use gzip or none)");
    }
    return true;
  }

  void PrecheckRefused() override { Count(&OtlpStats::rejected_requests); }

  void Count(int64_t OtlpStats::*field, int64_t n = 1) {
    MutexLock lock(mu_);
    stats_.*field += n;
  }

  bool Reject(HttpResponse& res, int status, const std::string& message) {
    Count(&OtlpStats::rejected_requests);
    res.Set(status, message + "\n", "text/plain");
    return false;
  }

  void Handle(const HttpRequest& req, HttpResponse& res) override {
    const bool is_json = MediaType(req.Header("Content-Type")) == "application/json";
    std::string inflated;
    const std::string* body = &req.body;
    if (req.Header("Content-Encoding") == "gzip") {
      if (!Gunzip(req.body, res, &inflated)) return;
      body = &inflated;
    }
    OtlpDecodeOptions dopt;
    dopt.default_account = opt_.default_account;
    dopt.catalog = catalog_.get();
    dopt.max_json_depth = opt_.max_json_depth;
    dopt.json_memory_budget_bytes = opt_.json_memory_budget_bytes;
    dopt.now_ms = (opt_.clock != nullptr ? opt_.clock : &SystemClock())->NowMs();
    auto decoded =
        is_json ? DecodeOtlpTracesJson(*body, dopt) : DecodeOtlpTracesProtobuf(*body, dopt);
    if (!decoded.ok()) {
      Reject(res, 400, "bad OTLP trace request: " + decoded.status().message());
      return;
    }
    if (!Store(*decoded, *body, res)) return;
    if (is_json) {
      res.Set(200, OtlpResponseJson(*decoded), "application/json");
    } else {
      res.Set(200, OtlpResponseProtobuf(*decoded), "application/x-protobuf");
    }
  }

  // The body after gzip decoding, capped: a small compressed body must not
  // inflate past the limit. False once the request is answered (413, 400).
  bool Gunzip(const std::string& in, HttpResponse& res, std::string* out) {
    auto src = io::Gunzip(io::FromMemory(in), "request body");
    char buf[64 * 1024];
    while (true) {
      auto n = src->Read(buf, sizeof buf);
      if (!n.ok()) {
        Reject(res, 400, "could not read the body (truncated, or not valid gzip)");
        return false;
      }
      if (*n == 0) return true;
      if (out->size() + *n > opt_.max_body_bytes) {
        Reject(res, 413,
               "body larger than " + std::to_string(opt_.max_body_bytes) + " bytes (decoded)");
        return false;
      }
      out->append(buf, *n);
    }
  }

  // Hands the decoded events to the sink (keyed by the body's digest) and
  // counts the request. False once the request is answered 503. Moves the
  // events out of `decoded`.
  bool Store(OtlpDecoded& decoded, const std::string& body, HttpResponse& res) {
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
        res.Set(503, "events could not be stored; retry later\n", "text/plain");
        res.Header("Retry-After", "5");
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
  RECOUP_RETURN_IF_ERROR(
      CheckListen("otlp receiver", options.bind, options.port, options.token, options.limits));
  if (!options.sink && !options.keyed_sink) {
    return InvalidArgument("otlp receiver: an events sink is required");
  }
  if (options.max_body_bytes < 1024) {
    return InvalidArgument("otlp receiver: max_body_bytes must be at least 1024");
  }
  if (options.max_bodies_in_flight_bytes < options.max_body_bytes) {
    return InvalidArgument(
        "otlp receiver: max_bodies_in_flight_bytes must be at least max_body_bytes");
  }
  if (options.max_json_depth < 16) {
    return InvalidArgument("otlp receiver: max_json_depth must be at least 16");
  }
  return std::unique_ptr<OtlpReceiver>(
      new OtlpReceiver(std::make_unique<Impl>(std::move(options))));
}

OtlpReceiver::OtlpReceiver(std::unique_ptr<Impl> impl) : HttpListener(std::move(impl)) {}
OtlpStats OtlpReceiver::stats() const { return static_cast<const Impl&>(impl()).stats(); }

}  // namespace recoup::web
